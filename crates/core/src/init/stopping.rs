//! Stopping without losses: SIGTERM, a grace period, then SIGKILL, never exiting while a child
//! is left (the kernel would SIGKILL it mid-shutdown the moment PID 1 exits).
use std::time::{Duration, Instant};

#[derive(Default)]
pub struct Stopping {
    deadline: Option<Instant>,
    killed: bool,
}

impl Stopping {
    /// Arms the grace period (once); the caller sends the SIGTERMs. True if it just started.
    pub fn begin(&mut self, grace: Duration) -> bool {
        if self.deadline.is_some() {
            return false;
        }
        self.deadline = Some(Instant::now() + grace);
        true
    }

    pub fn started(&self) -> bool {
        self.deadline.is_some()
    }

    /// Milliseconds until the deadline, for poll; -1 when there is none (or it has passed).
    pub fn poll_timeout_ms(&self) -> i32 {
        match self.deadline {
            Some(d) if !self.killed => {
                d.saturating_duration_since(Instant::now()).as_millis().min(i32::MAX as u128) as i32
            }
            _ => -1,
        }
    }

    /// True exactly once, when the deadline has passed: time for SIGKILL.
    pub fn deadline_passed(&mut self) -> bool {
        match self.deadline {
            Some(d) if !self.killed && Instant::now() >= d => {
                self.killed = true;
                true
            }
            _ => false,
        }
    }
}
