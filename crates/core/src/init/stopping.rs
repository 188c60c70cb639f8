//! Stopping without losses: SIGTERM, a grace period, then SIGKILL, never exiting while a child
//! is left (the kernel would SIGKILL it mid-shutdown the moment PID 1 exits). Orphans adopted
//! while stopping get their SIGTERM too, from a scan every `scan_every`. The clock is the
//! caller's (`now`), so that unit tests drive it without waiting.
use std::time::{Duration, Instant};

pub struct Stopping {
    deadline: Option<Instant>,
    killed: bool,
    /// How often to look for orphans adopted since the stop began.
    scan_every: Duration,
    last_scan: Option<Instant>,
}

/// What a stopping init does now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    Nothing,
    /// The grace period is over: SIGKILL to everything below (once).
    Kill,
    /// SIGTERM to the children adopted since the last scan.
    ScanOrphans,
}

impl Stopping {
    pub fn new(scan_every: Duration) -> Stopping {
        Stopping { deadline: None, killed: false, scan_every, last_scan: None }
    }

    /// Arms the grace period (once); the caller sends the SIGTERMs. True if it just started.
    pub fn begin(&mut self, grace: Duration, now: Instant) -> bool {
        if self.deadline.is_some() {
            return false;
        }
        self.deadline = Some(now + grace);
        true
    }

    pub fn started(&self) -> bool {
        self.deadline.is_some()
    }

    /// The caller has just sent SIGTERM to every child it has: the next scan is due a period
    /// from now.
    pub fn scanned(&mut self, now: Instant) {
        self.last_scan = Some(now);
    }

    /// What is due at `now`: the SIGKILL once the deadline has passed (exactly once), else a
    /// scan for new orphans every `scan_every` while stopping.
    pub fn due(&mut self, now: Instant) -> Due {
        let Some(deadline) = self.deadline else { return Due::Nothing };
        if !self.killed && now >= deadline {
            self.killed = true;
            return Due::Kill;
        }
        match self.last_scan {
            Some(last) if now.saturating_duration_since(last) < self.scan_every => Due::Nothing,
            _ => Due::ScanOrphans,
        }
    }

    /// How long the loop may wait at `now` before something is due; None: until an event.
    pub fn wait(&self, now: Instant) -> Option<Duration> {
        self.deadline?;
        let scan = match self.last_scan {
            Some(last) => self.scan_every.saturating_sub(now.saturating_duration_since(last)),
            None => Duration::ZERO,
        };
        match self.deadline {
            Some(d) if !self.killed => Some(scan.min(d.saturating_duration_since(now))),
            _ => Some(scan),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCAN: Duration = Duration::from_millis(100);
    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn sigterm_then_orphan_scans_then_sigkill_once_then_scans_again() {
        let t0 = Instant::now();
        let mut s = Stopping::new(SCAN);
        assert_eq!((s.started(), s.due(t0), s.wait(t0)), (false, Due::Nothing, None), "not stopping: nothing due");
        assert!(s.begin(Duration::from_millis(250), t0));
        assert!(!s.begin(Duration::ZERO, t0), "armed once: a second SIGTERM changes nothing");
        s.scanned(t0);
        assert_eq!(s.due(t0 + 50 * MS), Due::Nothing);
        assert_eq!(s.wait(t0 + 50 * MS), Some(50 * MS), "until the next scan");
        assert_eq!(s.due(t0 + 100 * MS), Due::ScanOrphans);
        s.scanned(t0 + 200 * MS);
        assert_eq!(s.wait(t0 + 200 * MS), Some(50 * MS), "until the deadline, which comes first");
        assert_eq!(s.due(t0 + 250 * MS), Due::Kill);
        assert_eq!(s.due(t0 + 251 * MS), Due::Nothing, "SIGKILL once");
        assert_eq!(s.due(t0 + 300 * MS), Due::ScanOrphans, "orphans still get their scan");
    }

    #[test]
    fn no_grace_kills_at_once() {
        let t0 = Instant::now();
        let mut s = Stopping::new(SCAN);
        s.begin(Duration::ZERO, t0);
        assert_eq!(s.due(t0), Due::Kill);
    }
}
