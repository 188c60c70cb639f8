//! What tini mode does with the processes its program leaves when it exits (tini does nothing:
//! it exits, and the kernel SIGKILLs them if it was PID 1). The rules, without a kernel: every
//! process below us gets SIGTERM at once, then each orphan adopted while they stop gets SIGTERM
//! too (a shell that SIGTERM kills leaves its `sleep` to us); when the grace period is over,
//! everything gets SIGKILL, and so does every orphan adopted after that.
use std::collections::HashSet;
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// The program runs (or nothing is left): nothing to do.
    Idle,
    /// SIGTERM sent; SIGKILL at the deadline.
    Terminating { deadline: Instant },
    /// SIGKILL sent to everything; whatever is adopted from now on gets it too.
    Killing,
}

/// Whom to signal, with what.
#[derive(Debug, PartialEq, Eq)]
pub enum Order {
    /// Every process below us: these (a subreaper signals each; PID 1 uses kill(-1), which
    /// also reaches what was forked since the list was read).
    Everyone(Signal, Vec<i32>),
    /// These children of ours, orphans adopted since the last order.
    Children(Signal, Vec<i32>),
}

pub struct Leftovers {
    grace: Duration,
    phase: Phase,
    /// Every process we have sent SIGTERM, so that an orphan gets it once, when it is adopted,
    /// not again. A PID leaves the set when we reap it (and may then be reused).
    terminated: HashSet<i32>,
}

impl Leftovers {
    pub fn new(grace: Duration) -> Leftovers {
        Leftovers { grace, phase: Phase::Idle, terminated: HashSet::new() }
    }

    /// The program has exited and processes are left: `children` are ours, read just now;
    /// `descendants` reads everything below us (a walk of /proc: only called when a phase
    /// begins). None when there is nothing to send.
    pub fn next(&mut self, now: Instant, children: &[i32], descendants: impl FnOnce() -> Vec<i32>) -> Option<Order> {
        match self.phase {
            Phase::Idle => {
                self.phase = Phase::Terminating { deadline: now + self.grace };
                let everyone = descendants();
                self.terminated.extend(&everyone);
                Some(Order::Everyone(Signal::SIGTERM, everyone))
            }
            Phase::Terminating { deadline } if now >= deadline => {
                self.phase = Phase::Killing;
                Some(Order::Everyone(Signal::SIGKILL, descendants()))
            }
            Phase::Terminating { .. } => {
                let adopted: Vec<i32> = children.iter().copied().filter(|p| self.terminated.insert(*p)).collect();
                (!adopted.is_empty()).then_some(Order::Children(Signal::SIGTERM, adopted))
            }
            // SIGKILL twice does no harm: no bookkeeping, every child gets it.
            Phase::Killing => (!children.is_empty()).then(|| Order::Children(Signal::SIGKILL, children.to_vec())),
        }
    }

    /// `pid` was reaped: its number may be reused by a process that deserves its own SIGTERM.
    pub fn reaped(&mut self, pid: i32) {
        self.terminated.remove(&pid);
    }

    /// Milliseconds until SIGKILL is due, for poll(); -1 when no deadline runs.
    pub fn poll_timeout_ms(&self, now: Instant) -> i32 {
        match self.phase {
            Phase::Terminating { deadline } => {
                deadline.saturating_duration_since(now).as_millis().min(i32::MAX as u128) as i32
            }
            _ => -1,
        }
    }

    /// True once the first SIGTERM went out.
    pub fn started(&self) -> bool {
        self.phase != Phase::Idle
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GRACE: Duration = Duration::from_secs(3);

    #[test]
    fn everyone_gets_sigterm_then_each_orphan_adopted_during_the_stop_once() {
        let t0 = Instant::now();
        let mut l = Leftovers::new(GRACE);
        assert_eq!(l.poll_timeout_ms(t0), -1);
        // The program left a shell (10) running a sleep (11).
        assert_eq!(l.next(t0, &[10], || vec![10, 11]), Some(Order::Everyone(Signal::SIGTERM, vec![10, 11])));
        assert!(l.started());
        assert_eq!(l.poll_timeout_ms(t0), 3000);
        // The shell died of it and was reaped; its sleep, already signalled, is now ours.
        l.reaped(10);
        assert_eq!(l.next(t0, &[11], || unreachable!("no walk of /proc between phases")), None);
        // An orphan forked after the SIGTERM (12) is adopted: it gets SIGTERM, once.
        let t1 = t0 + Duration::from_secs(1);
        assert_eq!(l.next(t1, &[11, 12], || unreachable!()), Some(Order::Children(Signal::SIGTERM, vec![12])));
        assert_eq!(l.next(t1, &[11, 12], || unreachable!()), None);
        assert_eq!(l.poll_timeout_ms(t1), 2000);
    }

    #[test]
    fn at_the_deadline_everything_gets_sigkill_and_so_does_every_later_orphan() {
        let t0 = Instant::now();
        let mut l = Leftovers::new(GRACE);
        l.next(t0, &[10], || vec![10, 11]);
        let late = t0 + GRACE;
        assert_eq!(l.next(late, &[10], || vec![10, 11]), Some(Order::Everyone(Signal::SIGKILL, vec![10, 11])));
        assert_eq!(l.poll_timeout_ms(late), -1, "no deadline any more");
        // 11 ignored SIGTERM; its parent is gone, so it is ours now: SIGKILL at once.
        assert_eq!(l.next(late, &[11], || unreachable!()), Some(Order::Children(Signal::SIGKILL, vec![11])));
        assert_eq!(l.next(late, &[], || unreachable!()), None);
    }

    #[test]
    fn a_reused_pid_gets_its_own_sigterm() {
        let t0 = Instant::now();
        let mut l = Leftovers::new(GRACE);
        l.next(t0, &[10], || vec![10]);
        l.reaped(10);
        assert_eq!(l.next(t0, &[10], || vec![10]), Some(Order::Children(Signal::SIGTERM, vec![10])));
    }

    #[test]
    fn no_grace_means_sigkill_on_the_next_turn() {
        let t0 = Instant::now();
        let mut l = Leftovers::new(Duration::ZERO);
        assert_eq!(l.next(t0, &[10], || vec![10]), Some(Order::Everyone(Signal::SIGTERM, vec![10])));
        assert_eq!(l.poll_timeout_ms(t0), 0);
        assert_eq!(l.next(t0, &[10], || vec![10]), Some(Order::Everyone(Signal::SIGKILL, vec![10])));
    }
}
