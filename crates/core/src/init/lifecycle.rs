//! What an init's children are to it and what to tell the host when: the decisions of a
//! namespace's PID 1, apart from its syscalls, so unit tests drive them without a kernel.
//!
//! A child's exit is told as soon as it is reaped (so its status is known even if this init
//! dies later); a child with output pipes is also told `Closed` once both reached EOF, and the
//! init keeps it until then: it exits only when everything its children wrote went out.
//! Orphans the init adopted are not tracked: they are reported as they are reaped.
use std::collections::HashMap;

use crate::status::ExitStatus;
use crate::wire::tree::ProcKey;

/// What a child of an init is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Child {
    /// A process of this node, or of a child node whose PID 1 is the user's (forked there by
    /// us). `counts`: its failure fails the node (exec'd processes do not).
    Process { key: ProcKey, counts: bool },
    /// The PID 1 of a child namespace: our init (no pipes), or the user's command (with pipes).
    Namespace { key: ProcKey, ours: bool },
    /// A child the host was never told of (its PIDs could not be read, so it was killed at
    /// once): reaped without a word, since an `exit` must never come without its `start`.
    Silent,
}

impl Child {
    pub fn key(self) -> Option<ProcKey> {
        match self {
            Child::Process { key, .. } | Child::Namespace { key, .. } => Some(key),
            Child::Silent => None,
        }
    }

    fn counts(self) -> bool {
        match self {
            Child::Process { counts, .. } => counts,
            Child::Namespace { .. } => true,
            Child::Silent => false,
        }
    }
}

struct Tracked {
    child: Child,
    /// Set once reaped.
    status: Option<ExitStatus>,
    open_streams: u8,
}

/// What a reap means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reaped {
    /// Tell the host this exit now.
    Report(ProcKey, ExitStatus),
    /// Not ours: an orphan we adopted.
    Orphan,
    /// Ours, but never announced: nothing to tell.
    Silent,
}

#[derive(Default)]
pub struct Lifecycle {
    by_pid: HashMap<i32, Tracked>,
    by_key: HashMap<ProcKey, i32>,
    first_failure: Option<ExitStatus>,
}

impl Lifecycle {
    /// `pid` (in our namespace) is `child`, with `streams` output pipes relayed.
    pub fn started(&mut self, pid: i32, child: Child, streams: u8) {
        if let Some(key) = child.key() {
            self.by_key.insert(key, pid);
        }
        self.by_pid.insert(pid, Tracked { child, status: None, open_streams: streams });
    }

    pub fn is_tracked(&self, pid: i32) -> bool {
        self.by_pid.contains_key(&pid)
    }

    pub fn reaped(&mut self, pid: i32, status: ExitStatus) -> Reaped {
        let Some(t) = self.by_pid.get_mut(&pid) else { return Reaped::Orphan };
        t.status = Some(status);
        if t.child.counts() && !status.success() {
            self.first_failure.get_or_insert(status);
        }
        let key = t.child.key();
        if t.open_streams == 0 {
            self.forget(pid);
        }
        match key {
            Some(key) => Reaped::Report(key, status),
            None => Reaped::Silent,
        }
    }

    /// The last of `key`'s pipes reached EOF: tell the host `Closed`. It is forgotten once it
    /// has been reaped too.
    pub fn streams_closed(&mut self, key: ProcKey) {
        let Some(&pid) = self.by_key.get(&key) else { return };
        let Some(t) = self.by_pid.get_mut(&pid) else { return };
        t.open_streams = 0;
        if t.status.is_some() {
            self.forget(pid);
        }
    }

    fn forget(&mut self, pid: i32) {
        if let Some(key) = self.by_pid.remove(&pid).and_then(|t| t.child.key()) {
            self.by_key.remove(&key);
        }
    }

    /// Children not reaped yet, for passing signals on.
    pub fn running(&self) -> impl Iterator<Item = (i32, Child)> + '_ {
        self.by_pid.iter().filter(|(_, t)| t.status.is_none()).map(|(&pid, t)| (pid, t.child))
    }

    /// Every tracked child has been reaped (some may still wait for EOF).
    pub fn all_reaped(&self) -> bool {
        self.by_pid.values().all(|t| t.status.is_some())
    }

    /// Every tracked child has been reaped and its output relayed to the end.
    pub fn all_reported(&self) -> bool {
        self.by_pid.is_empty()
    }

    /// The node's status: 0, or the code of the first counted child that failed.
    pub fn code(&self) -> i32 {
        self.first_failure.map_or(0, |s| s.code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(slot: u32) -> ProcKey {
        ProcKey { node: 0, slot }
    }

    #[test]
    fn an_exit_is_told_at_once_and_the_child_kept_until_its_output_ends() {
        let mut l = Lifecycle::default();
        l.started(2, Child::Process { key: key(0), counts: true }, 2);
        assert!(!l.all_reaped());
        assert_eq!(l.reaped(2, ExitStatus::exited(3)), Reaped::Report(key(0), ExitStatus::exited(3)));
        assert!(l.all_reaped() && !l.all_reported());
        l.streams_closed(key(0));
        assert!(l.all_reported());
        assert_eq!(l.code(), 3);
    }

    #[test]
    fn eof_first_then_the_reap() {
        let mut l = Lifecycle::default();
        l.started(2, Child::Process { key: key(0), counts: true }, 2);
        l.streams_closed(key(0));
        assert!(!l.all_reported());
        assert_eq!(l.reaped(2, ExitStatus::exited(0)), Reaped::Report(key(0), ExitStatus::exited(0)));
        assert!(l.all_reported());
    }

    #[test]
    fn orphans_and_exec_failures() {
        let mut l = Lifecycle::default();
        assert_eq!(l.reaped(9, ExitStatus::exited(0)), Reaped::Orphan);
        l.started(3, Child::Process { key: key(5), counts: false }, 0);
        l.started(4, Child::Namespace { key: ProcKey::init(1), ours: true }, 0);
        assert_eq!(l.running().count(), 2);
        assert_eq!(l.reaped(3, ExitStatus::exited(1)), Reaped::Report(key(5), ExitStatus::exited(1)));
        assert_eq!(l.code(), 0, "an exec'd process does not fail the node");
        assert_eq!(l.reaped(4, ExitStatus::killed(9)), Reaped::Report(ProcKey::init(1), ExitStatus::killed(9)));
        assert_eq!(l.code(), 137);
        l.started(5, Child::Silent, 0);
        assert_eq!(l.reaped(5, ExitStatus::killed(9)), Reaped::Silent);
        assert!(l.all_reported());
    }
}
