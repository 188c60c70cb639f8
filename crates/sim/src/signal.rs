//! Signals by number and name, and what the kernel does with one by default.
//!
//! Numbers are those of x86, arm and most other Linux architectures (alpha, mips, parisc and
//! sparc number some differently); the model names them as `kill -l` does.

/// A signal number, 1 to 64 (0 is the "is it there?" probe of kill(2), which sends nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Signal(pub u8);

/// What happens to a process that has no handler for a signal (signal(7), "Standard signals").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefaultAction {
    Terminate,
    Ignore,
    Stop,
    Continue,
}

impl Signal {
    pub const HUP: Signal = Signal(1);
    pub const INT: Signal = Signal(2);
    pub const KILL: Signal = Signal(9);
    pub const USR1: Signal = Signal(10);
    pub const TERM: Signal = Signal(15);
    pub const CHLD: Signal = Signal(17);
    pub const CONT: Signal = Signal(18);
    pub const STOP: Signal = Signal(19);

    /// `SIGTERM`, `TERM`, `term` or `15`; `0` is not a signal here (see `Probe` in steps).
    pub fn parse(text: &str) -> Option<Signal> {
        if let Ok(n) = text.parse::<u8>() {
            return (1..=64).contains(&n).then_some(Signal(n));
        }
        let upper = text.to_ascii_uppercase();
        let name = if upper.starts_with("SIG") { upper } else { format!("SIG{upper}") };
        if let Some(n) = pidns_model::signals::signal_number(&name) {
            return Some(Signal(n));
        }
        // Real-time signals: SIGRTMIN (34) to SIGRTMAX (64), as glibc numbers them for users.
        let rt = |rest: &str, base: u8, sign: i16| -> Option<Signal> {
            let k: i16 =
                if rest.is_empty() { 0 } else { rest.strip_prefix(if sign > 0 { '+' } else { '-' })?.parse().ok()? };
            let n = base as i16 + sign * k;
            (34..=64).contains(&n).then_some(Signal(n as u8))
        };
        if let Some(rest) = name.strip_prefix("SIGRTMIN") {
            return rt(rest, 34, 1);
        }
        if let Some(rest) = name.strip_prefix("SIGRTMAX") {
            return rt(rest, 64, -1);
        }
        None
    }

    /// `SIGTERM`; real-time ones as `SIG34`, as pidns-tree's events name them.
    pub fn name(self) -> String {
        pidns_model::signals::signal_name(self.number())
    }

    pub fn number(self) -> i32 {
        i32::from(self.0)
    }

    /// signal(7)'s table; every real-time signal terminates by default.
    pub fn default_action(self) -> DefaultAction {
        match self.0 {
            17 | 23 | 28 => DefaultAction::Ignore,
            18 => DefaultAction::Continue,
            19..=22 => DefaultAction::Stop,
            _ => DefaultAction::Terminate,
        }
    }

    /// SIGKILL and SIGSTOP: no handler, no blocking, and the only two an ancestor namespace can
    /// force on a namespace's PID 1 (kernel/signal.c, sig_task_ignored with `force`).
    pub fn is_kernel_only(self) -> bool {
        self == Signal::KILL || self == Signal::STOP
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers() {
        assert_eq!(Signal::parse("SIGTERM"), Some(Signal::TERM));
        assert_eq!(Signal::parse("term"), Some(Signal::TERM));
        assert_eq!(Signal::parse("9"), Some(Signal::KILL));
        assert_eq!(Signal::parse("0"), None);
        assert_eq!(Signal::parse("65"), None);
        assert_eq!(Signal::parse("SIGFOO"), None);
        assert_eq!(Signal::parse("SIGRTMIN"), Some(Signal(34)));
        assert_eq!(Signal::parse("RTMIN+2"), Some(Signal(36)));
        assert_eq!(Signal::parse("SIGRTMAX-1"), Some(Signal(63)));
        assert_eq!(Signal(15).name(), "SIGTERM");
        assert_eq!(Signal(40).name(), "SIG40");
    }

    #[test]
    fn default_actions() {
        assert_eq!(Signal::TERM.default_action(), DefaultAction::Terminate);
        assert_eq!(Signal::CHLD.default_action(), DefaultAction::Ignore);
        assert_eq!(Signal::STOP.default_action(), DefaultAction::Stop);
        assert_eq!(Signal::CONT.default_action(), DefaultAction::Continue);
        assert_eq!(Signal(50).default_action(), DefaultAction::Terminate);
        assert!(Signal::KILL.is_kernel_only() && !Signal::TERM.is_kernel_only());
    }
}
