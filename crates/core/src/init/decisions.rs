//! The decisions of a namespace's init loop, apart from the syscalls that tell it the facts and
//! carry them out, so that unit tests drive them without a kernel: what each epoll event is
//! about ([`Token`], never a bare number), whether the init is done ([`next`]), and what a
//! failed fork means ([`fork_failed`], by its errno, never by its message). When to stop and
//! kill is [`super::stopping`]'s.
use std::os::fd::RawFd;

use nix::errno::Errno;

use crate::sys::limits;

/// What the init's epoll watches, each under its own token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Token {
    /// The signalfd.
    Signals,
    /// The control socket: connections to accept.
    Listener,
    /// The output pipes of our children.
    Relay,
    /// The tree's event socket: room to send, or the host gone.
    Events,
    /// A control connection, waiting for its request.
    Connection(RawFd),
}

/// Connections are watched under this plus their descriptor number.
const CONNECTION: u64 = 16;

impl Token {
    pub fn to_u64(self) -> u64 {
        match self {
            Token::Signals => 0,
            Token::Listener => 1,
            Token::Relay => 2,
            Token::Events => 3,
            Token::Connection(fd) => CONNECTION + fd as u64,
        }
    }

    /// The token an event came with; None for a number no watch was given.
    pub fn from_u64(data: u64) -> Option<Token> {
        match data {
            0 => Some(Token::Signals),
            1 => Some(Token::Listener),
            2 => Some(Token::Relay),
            3 => Some(Token::Events),
            n => RawFd::try_from(n.checked_sub(CONNECTION)?).ok().map(Token::Connection),
        }
    }
}

/// What the init knows of what it started, each time round its loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts {
    /// Every process and namespace it started has been reaped.
    pub all_reaped: bool,
    /// ...and each exit has been sent (a relayed process's only once its output is out).
    pub all_reported: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Something it started still runs: go on.
    GoOn,
    /// Only adopted orphans are left (daemons of finished processes), or they hold the output
    /// pipes of a process that has ended: stop them gracefully rather than let the kernel
    /// SIGKILL them when PID 1 exits.
    StopOrphans,
    /// Nothing is left at all, and everything is told: exit.
    Finish,
}

/// Whether the init is done. `has_children` (a syscall) is asked only when it matters.
pub fn next(facts: Facts, has_children: impl FnOnce() -> bool) -> Next {
    if !facts.all_reaped {
        Next::GoOn
    } else if facts.all_reported && !has_children() {
        Next::Finish
    } else {
        Next::StopOrphans
    }
}

/// Why a fork failed. Into a namespace whose PID 1 (the user's command) has exited, the kernel
/// refuses every fork with ENOMEM: say so, rather than leave it at "out of memory".
pub fn fork_failed(what: &str, e: Errno, into_user_namespace: bool) -> String {
    let message = limits::explain(what, e);
    if into_user_namespace && e == Errno::ENOMEM {
        format!("{message}: its PID 1 has exited (fork into the namespace fails with ENOMEM)")
    } else {
        message
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enomem_into_a_user_s_namespace_means_its_pid_1_has_exited() {
        assert!(fork_failed("cannot fork p", Errno::ENOMEM, true)
            .ends_with(": its PID 1 has exited (fork into the namespace fails with ENOMEM)"));
        assert!(!fork_failed("cannot fork p", Errno::ENOMEM, false).contains("PID 1"));
        assert!(!fork_failed("cannot fork p", Errno::EAGAIN, true).contains("PID 1"));
    }

    #[test]
    fn tokens_read_back_as_what_they_watch() {
        for token in
            [Token::Signals, Token::Listener, Token::Relay, Token::Events, Token::Connection(0), Token::Connection(9)]
        {
            assert_eq!(Token::from_u64(token.to_u64()), Some(token));
        }
        assert_eq!(Token::from_u64(7), None, "between the fixed tokens and the connections");
    }

    #[test]
    fn an_init_finishes_only_when_nothing_is_left_and_everything_is_told() {
        let facts = |all_reaped, all_reported| Facts { all_reaped, all_reported };
        let never = || -> bool { panic!("no need to ask while something it started runs") };
        assert_eq!(next(facts(false, false), never), Next::GoOn);
        assert_eq!(next(facts(true, true), || false), Next::Finish);
        assert_eq!(next(facts(true, true), || true), Next::StopOrphans, "adopted orphans are left");
        assert_eq!(next(facts(true, false), || false), Next::StopOrphans, "an ended process's output is held open");
    }
}
