//! What a run reports, as pidns-tree's host collector (crates/core/src/host/collector.rs)
//! turns the inits' messages into events: `start`, `exit` (held until the process's output
//! pipe is closed by everyone who has it), `reap`, `zombies`, `end`.
use std::collections::{BTreeMap, BTreeSet};

use crate::kernel::{ExitStatus, Pid, ProcId};

/// Why a process died that no init reported, as the collector says it.
pub const KILLED_WITH_NAMESPACE: &str = "killed by the kernel when its namespace's init exited";

/// One event, in the vocabulary of `pidns-tree spawn --json` (without `output` and `error`,
/// which the model does not produce, and without host PIDs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// `pids`: from the root namespace down to its own.
    Start {
        node: usize,
        process: ProcId,
        pids: Vec<Pid>,
    },
    Exit {
        node: usize,
        process: ProcId,
        status: ExitStatus,
        reason: bool,
    },
    /// `pids`: the orphan's, from the root down to the reaping init's namespace.
    Reap {
        node: usize,
        process: ProcId,
        pids: Vec<Pid>,
        status: ExitStatus,
    },
    /// Zombies under the user's PID 1 of `node`, by PID there.
    Zombies {
        node: usize,
        pids: Vec<Pid>,
    },
    End {
        code: i32,
    },
}

/// When something happened: during a step (its index), or during the start-up (None).
pub type Moment = Option<usize>;

/// The first failing exit, and the codes that can come first when exits of the same moment
/// race (several processes end together).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FirstFailure {
    set: bool,
    moment: Moment,
    pub code: i32,
    pub possible: BTreeSet<i32>,
}

impl FirstFailure {
    /// Records a failing exit at `moment` that may race with the others of that moment.
    pub fn record(&mut self, moment: Moment, code: i32, possible: &BTreeSet<i32>) {
        if !self.set {
            self.set = true;
            self.moment = moment;
            self.code = code;
            self.possible = possible.clone();
        } else if self.moment == moment {
            self.possible.extend(possible);
        }
    }

    pub fn is_set(&self) -> bool {
        self.set
    }
}

/// A process the collector knows (it sent `start`): its node and whether its PID 1 is a user's.
#[derive(Debug, Clone)]
pub struct Known {
    pub node: usize,
    pub is_init: bool,
}

#[derive(Debug, Default)]
pub struct Collector {
    /// (event, step it belongs to; None for the start-up)
    pub events: Vec<(Event, Moment)>,
    started: Vec<ProcId>,
    known: BTreeMap<ProcId, Known>,
    exited: BTreeSet<ProcId>,
    /// Reported by its init, but its output pipe is still open.
    pending: BTreeMap<ProcId, (ExitStatus, bool)>,
    pub first_failure: FirstFailure,
    /// Per node with a user's PID 1, while it lives: the zombies reported last.
    zombies: BTreeMap<usize, Vec<Pid>>,
    pub ended: bool,
}

impl Collector {
    pub fn start(
        &mut self,
        p: ProcId,
        known: Known,
        pids: Vec<Pid>,
        user_init_node: Option<usize>,
        step: Option<usize>,
    ) {
        self.started.push(p);
        let node = known.node;
        self.known.insert(p, known);
        if let Some(n) = user_init_node {
            self.zombies.insert(n, Vec::new());
        }
        self.events.push((Event::Start { node, process: p, pids }, step));
    }

    pub fn is_started(&self, p: ProcId) -> bool {
        self.known.contains_key(&p)
    }

    /// An init reported `p`'s exit; `pipe_open`: someone still holds its output pipe.
    /// `user_init`: whether node `node`'s PID 1 is the user's (see `namespace_ended`).
    pub fn report_exit(&mut self, p: ProcId, status: ExitStatus, pipe_open: bool, step: Moment, ctx: &dyn Context) {
        self.exit_after_output(p, status, false, pipe_open, step, ctx);
        if let Some(k) = self.known.get(&p).cloned() {
            if k.is_init {
                self.namespace_ended(k.node, step, ctx);
            }
        }
    }

    fn exit_after_output(
        &mut self,
        p: ProcId,
        status: ExitStatus,
        reason: bool,
        pipe_open: bool,
        step: Moment,
        ctx: &dyn Context,
    ) {
        if self.exited.contains(&p) || self.pending.contains_key(&p) {
            return;
        }
        if pipe_open {
            self.pending.insert(p, (status, reason));
        } else {
            self.emit_exit(p, status, reason, step, ctx);
        }
    }

    /// The last holder of `owner`'s output pipe has ended.
    pub fn pipe_closed(&mut self, owner: ProcId, step: Moment, ctx: &dyn Context) {
        if let Some((status, reason)) = self.pending.remove(&owner) {
            self.emit_exit(owner, status, reason, step, ctx);
        }
    }

    fn emit_exit(&mut self, p: ProcId, status: ExitStatus, reason: bool, step: Moment, ctx: &dyn Context) {
        let Some(k) = self.known.get(&p).cloned() else { return };
        self.exited.insert(p);
        if k.is_init {
            // Its namespace is gone, and its zombies with it.
            self.zombies.remove(&k.node);
        }
        if !status.success() {
            self.first_failure.record(step, status.code, &ctx.possible_codes(p, status));
        }
        self.events.push((Event::Exit { node: k.node, process: p, status, reason }, step));
    }

    /// The init of `node` has exited: whatever started in it and below and was never reported
    /// was SIGKILLed by the kernel with it. With a user's PID 1, the processes are our init's
    /// children one level up, which reports them itself.
    fn namespace_ended(&mut self, node: usize, step: Moment, ctx: &dyn Context) {
        if ctx.user_init(node) {
            return;
        }
        let lost: Vec<ProcId> = self
            .started
            .iter()
            .copied()
            .filter(|p| {
                let k = &self.known[p];
                ((k.node == node && !k.is_init) || ctx.strictly_below(k.node, node))
                    && !self.exited.contains(p)
                    && !self.pending.contains_key(p)
            })
            .collect();
        for p in lost {
            let status = ExitStatus::killed(crate::signal::Signal::KILL);
            let open = ctx.pipe_open(p);
            self.exit_after_output(p, status, true, open, step, ctx);
        }
    }

    pub fn reap(&mut self, node: usize, p: ProcId, pids: Vec<Pid>, status: ExitStatus, step: Moment) {
        self.events.push((Event::Reap { node, process: p, pids, status }, step));
    }

    /// The root init is gone: everything not reported died with it; then its own exit, `end`.
    pub fn finish(&mut self, root: ProcId, status: ExitStatus, step: Moment, ctx: &dyn Context) {
        for p in self.started.clone() {
            if p != root && !self.exited.contains(&p) {
                self.pending.remove(&p);
                self.emit_exit(p, ExitStatus::killed(crate::signal::Signal::KILL), true, step, ctx);
            }
        }
        self.emit_exit(root, status, false, step, ctx);
        let code = if self.first_failure.is_set() { self.first_failure.code } else { 0 };
        self.events.push((Event::End { code }, step));
        self.ended = true;
    }

    /// The zombies under each living user PID 1 now: an event where they changed.
    pub fn sample_zombies(&mut self, now: impl Fn(usize) -> Vec<Pid>, step: Moment) {
        let mut nodes: Vec<usize> = self.zombies.keys().copied().collect();
        nodes.sort_unstable();
        for node in nodes {
            let pids = now(node);
            if self.zombies.get(&node) != Some(&pids) {
                self.zombies.insert(node, pids.clone());
                self.events.push((Event::Zombies { node, pids }, step));
            }
        }
    }
}

/// What the collector needs to know about the tree.
pub trait Context {
    fn user_init(&self, node: usize) -> bool;
    /// `inner` lies below `outer` (not equal).
    fn strictly_below(&self, inner: usize, outer: usize) -> bool;
    fn pipe_open(&self, owner: ProcId) -> bool;
    /// The exit codes `p`'s exit can have on a real run (more than one for an init whose
    /// first failure raced).
    fn possible_codes(&self, p: ProcId, status: ExitStatus) -> BTreeSet<i32>;
}
