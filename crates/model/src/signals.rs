//! Signal names, the one way pidns-tree writes them wherever it says how a process ended: the
//! events (`"signal":"SIGKILL"`), the wire between the inits and the host, the simulator's
//! reports, and the names `expect` takes.

/// The names of the signals that have one (Linux's numbers, the same on x86-64 and arm64).
pub const SIGNALS: [(&str, u8); 31] = [
    ("SIGHUP", 1),
    ("SIGINT", 2),
    ("SIGQUIT", 3),
    ("SIGILL", 4),
    ("SIGTRAP", 5),
    ("SIGABRT", 6),
    ("SIGBUS", 7),
    ("SIGFPE", 8),
    ("SIGKILL", 9),
    ("SIGUSR1", 10),
    ("SIGSEGV", 11),
    ("SIGUSR2", 12),
    ("SIGPIPE", 13),
    ("SIGALRM", 14),
    ("SIGTERM", 15),
    ("SIGSTKFLT", 16),
    ("SIGCHLD", 17),
    ("SIGCONT", 18),
    ("SIGSTOP", 19),
    ("SIGTSTP", 20),
    ("SIGTTIN", 21),
    ("SIGTTOU", 22),
    ("SIGURG", 23),
    ("SIGXCPU", 24),
    ("SIGXFSZ", 25),
    ("SIGVTALRM", 26),
    ("SIGPROF", 27),
    ("SIGWINCH", 28),
    ("SIGIO", 29),
    ("SIGPWR", 30),
    ("SIGSYS", 31),
];

/// The number of a signal named as in [`SIGNALS`] (`SIGTERM`, not `TERM`).
pub fn signal_number(name: &str) -> Option<u8> {
    SIGNALS.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
}

/// `SIGTERM` for 15; a signal with no name of its own (the real-time ones, 32 and up) as
/// `SIG34`.
pub fn signal_name(signal: i32) -> String {
    match SIGNALS.iter().find(|(_, n)| i32::from(*n) == signal) {
        Some((name, _)) => (*name).to_string(),
        None => format!("SIG{signal}"),
    }
}

/// The number a [`signal_name`] stands for: the inverse, `SIG34` included.
pub fn signal_from_name(name: &str) -> Option<i32> {
    if let Some(n) = signal_number(name) {
        return Some(i32::from(n));
    }
    let n: i32 = name.strip_prefix("SIG")?.parse().ok()?;
    (32..=64).contains(&n).then_some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signal_table() {
        assert_eq!(signal_number("SIGKILL"), Some(9));
        assert_eq!(signal_number("SIGTERM"), Some(15));
        assert_eq!(signal_number("SIGSYS"), Some(31));
        assert_eq!(signal_number("TERM"), None);
        // One entry per number, in order.
        assert!(SIGNALS.iter().enumerate().all(|(i, (_, n))| usize::from(*n) == i + 1));
    }

    #[test]
    fn every_signal_has_a_name_that_reads_back() {
        for n in 1..=64 {
            assert_eq!(signal_from_name(&signal_name(n)), Some(n), "{}", signal_name(n));
        }
        assert_eq!(signal_name(9), "SIGKILL");
        assert_eq!(signal_name(40), "SIG40");
        assert_eq!(signal_from_name("SIG65"), None);
        assert_eq!(signal_from_name("SIG9"), None, "a signal with a name is written by its name");
    }
}
