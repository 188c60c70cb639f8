//! The kernel with pidns-tree on top: every namespace's init (ours, as
//! crates/core/src/init/node.rs behaves, or the user's), the collector, and a clock for the
//! inits' stop deadlines. `settle` runs everything that follows from an action until nothing
//! more happens; that is one step of a simulation.
use std::collections::{BTreeMap, BTreeSet, VecDeque};

use pidns_model::{Forward, Plan};

use crate::collector::{Collector, Context, FirstFailure, Known};
use crate::kernel::{Disposition, ExitStatus, Kernel, Notice, NsId, Parent, Pid, ProcId, Reaper, State};
use crate::signal::Signal;

/// What a process of the model is, for naming and for deciding who acts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// pidns-tree's init, PID 1 of its node.
    OurInit,
    /// The user's `init.command`, PID 1 of its node.
    UserInit,
    /// A process of the spec.
    Declared,
    /// Forked by a process of the tree (a step).
    Forked,
    /// Forked into a namespace by a host process that entered it (setns): its parent is
    /// outside the tree.
    Entered,
}

#[derive(Debug, Clone)]
pub struct Label {
    pub node: usize,
    pub name: String,
    pub command: Vec<String>,
    pub kind: Kind,
}

/// Signals our init keeps for itself besides SIGCHLD (crates/core/src/init/forwarding.rs
/// KEPT): the synchronous ones and the terminal stops.
const KEPT: [u8; 9] = [8, 4, 11, 7, 6, 5, 31, 21, 22];

fn forwarded(sig: Signal) -> bool {
    sig != Signal::CHLD && !KEPT.contains(&sig.0)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tracked {
    Process,
    Namespace,
}

/// The state of one of our inits (NodeInit in crates/core/src/init/node.rs).
#[derive(Debug, Default)]
struct InitState {
    node: usize,
    /// What it started, in the order it started them.
    tracked: Vec<(ProcId, Tracked)>,
    terminated: BTreeSet<ProcId>,
    /// Stopping: the deadline for SIGKILL (ms on the clock) and whether it has passed.
    stopping: Option<(u64, bool)>,
    failure: FirstFailure,
    signals: VecDeque<Signal>,
    /// How it may end instead, when its stop deadline and an ancestor's SIGKILL deadline come
    /// together (see `DEADLINE_RACE_MS`).
    alt: Option<ExitStatus>,
}

/// Two inits' SIGKILL deadlines this close are a race on a real run (a stop cascades in
/// microseconds, so equal stopTimeouts give nearly equal deadlines): which one fires first
/// decides whether the inner init is SIGKILLed by the outer one, or ends by itself.
const DEADLINE_RACE_MS: u64 = 10;

pub struct World<'p> {
    pub plan: &'p Plan,
    pub kernel: Kernel,
    /// Per process.
    pub labels: Vec<Label>,
    pub reaped_by: Vec<Option<Reaper>>,
    /// Per process: whose output pipe it writes to (the spec's process it descends from).
    pipe_of: Vec<Option<ProcId>>,
    /// Per plan node.
    pub node_ns: Vec<NsId>,
    pub node_init: Vec<Option<ProcId>>,
    inits: BTreeMap<ProcId, InitState>,
    pub collector: Collector,
    pub clock_ms: u64,
    wakes: VecDeque<ProcId>,
    /// The step being played (None during the start-up).
    pub step: Option<usize>,
    /// Orphans one of our inits adopted in this step from outside its own descendants (a process
    /// that entered the namespace, or a fork of one), or through one such: the init that did.
    adopted_from_outside: BTreeMap<ProcId, ProcId>,
}

/// The collector's view of the world (disjoint from the collector itself).
struct Ctx<'a> {
    plan: &'a Plan,
    kernel: &'a Kernel,
    pipe_of: &'a [Option<ProcId>],
    inits: &'a BTreeMap<ProcId, InitState>,
}

impl Context for Ctx<'_> {
    fn user_init(&self, node: usize) -> bool {
        self.plan.nodes[node].init.command.is_some()
    }

    fn strictly_below(&self, inner: usize, outer: usize) -> bool {
        let mut n = self.plan.nodes[inner].parent;
        while let Some(p) = n {
            if p == outer {
                return true;
            }
            n = self.plan.nodes[p].parent;
        }
        false
    }

    fn pipe_open(&self, owner: ProcId) -> bool {
        pipe_open(self.kernel, self.pipe_of, owner)
    }

    fn possible_codes(&self, p: ProcId, status: ExitStatus) -> BTreeSet<i32> {
        possible_exits(self.inits, p, status).iter().map(|s| s.code).collect()
    }
}

/// How `p`, which ended with `status`, may have ended on a real run: an init whose first
/// failures raced may exit with any of their codes, and one whose deadline raced an ancestor's
/// may also have ended the other way.
fn possible_exits(inits: &BTreeMap<ProcId, InitState>, p: ProcId, status: ExitStatus) -> Vec<ExitStatus> {
    let mut out = vec![status];
    if let Some(s) = inits.get(&p) {
        let codes = |st: ExitStatus| -> Vec<ExitStatus> {
            if st.signal.is_none() && s.failure.is_set() {
                s.failure.possible.iter().map(|&c| ExitStatus::exited(c)).collect()
            } else {
                vec![st]
            }
        };
        out.extend(codes(status));
        if let Some(alt) = s.alt {
            out.extend(codes(alt));
            out.push(alt);
        }
    }
    let mut unique: Vec<ExitStatus> = Vec::new();
    for e in out {
        if !unique.contains(&e) {
            unique.push(e);
        }
    }
    unique.sort_by_key(|e| (e.code, e.signal.map(|s| s.0)));
    unique
}

fn pipe_open(kernel: &Kernel, pipe_of: &[Option<ProcId>], owner: ProcId) -> bool {
    pipe_of.iter().enumerate().any(|(q, o)| *o == Some(owner) && kernel.process(ProcId(q)).state.alive())
}

impl<'p> World<'p> {
    pub fn new(plan: &'p Plan) -> World<'p> {
        World {
            plan,
            kernel: Kernel::default(),
            labels: Vec::new(),
            reaped_by: Vec::new(),
            pipe_of: Vec::new(),
            node_ns: Vec::new(),
            node_init: vec![None; plan.nodes.len()],
            inits: BTreeMap::new(),
            collector: Collector::default(),
            clock_ms: 0,
            wakes: VecDeque::new(),
            step: None,
            adopted_from_outside: BTreeMap::new(),
        }
    }

    /// Registers a process the kernel just created.
    pub fn register(&mut self, p: ProcId, label: Label, pipe: Option<ProcId>) {
        debug_assert_eq!(p.0, self.labels.len());
        if label.kind == Kind::OurInit {
            self.inits.insert(p, InitState { node: label.node, ..InitState::default() });
        }
        self.labels.push(label);
        self.reaped_by.push(None);
        self.pipe_of.push(pipe);
    }

    /// Our init `init` started `p` (a process, or a child namespace's PID 1).
    pub fn track(&mut self, init: ProcId, p: ProcId, namespace: bool) {
        if let Some(s) = self.inits.get_mut(&init) {
            s.tracked.push((p, if namespace { Tracked::Namespace } else { Tracked::Process }));
        }
    }

    /// Reports `p`'s start (its PIDs as the kernel gave them).
    pub fn announce(&mut self, p: ProcId) {
        let l = &self.labels[p.0];
        let is_init = matches!(l.kind, Kind::OurInit | Kind::UserInit);
        let user = (l.kind == Kind::UserInit).then_some(l.node);
        let pids = self.kernel.process(p).pids.clone();
        self.collector.start(p, Known { node: l.node, is_init }, pids, user, self.step);
    }

    /// A new step begins.
    pub fn begin_step(&mut self, index: usize) {
        self.step = Some(index);
        self.adopted_from_outside.clear();
    }

    /// Orphans our inits reaped in this step (each a `reap` event) that a real run may not
    /// show: they came from a process the init does not wait for (one that entered the
    /// namespace from outside, or its forks), which died in this step, and the init ended in
    /// this step too. In the model everything a step kills dies before any init reacts; on a
    /// real run the init may find nothing of its own left and exit before that process has
    /// died and handed its children over: the kernel then reaps them unseen with the namespace
    /// (and kills those still alive by SIGKILL).
    pub fn racing_reaps(&self) -> Vec<ProcId> {
        self.adopted_from_outside
            .iter()
            .filter(|(orphan, by)| {
                self.reaped_by[orphan.0] == Some(Reaper::Parent(**by)) && !self.kernel.process(**by).state.alive()
            })
            .map(|(orphan, _)| *orphan)
            .collect()
    }

    pub fn is_our_init(&self, p: ProcId) -> bool {
        self.inits.contains_key(&p)
    }

    /// Runs everything that follows until nothing more happens: signals our inits read,
    /// children they reap, stops, deadlines (the clock jumps to the next one only when
    /// nothing else is left to do).
    pub fn settle(&mut self) {
        loop {
            if let Some(n) = self.kernel.notices.pop_front() {
                self.notice(n);
                continue;
            }
            if let Some(init) = self.wakes.pop_front() {
                self.wake(init);
                continue;
            }
            let next = self
                .inits
                .iter()
                .filter(|(p, _)| self.kernel.process(**p).state == State::Running)
                .filter_map(|(p, s)| match s.stopping {
                    Some((deadline, false)) => Some((deadline, *p)),
                    _ => None,
                })
                .min();
            match next {
                Some((deadline, init)) => {
                    self.clock_ms = self.clock_ms.max(deadline);
                    self.wake(init);
                }
                None => return,
            }
        }
    }

    /// Every init of ours runs its loop once: the start-up is over (one with nothing to do exits).
    pub fn wake_all(&mut self) {
        let inits: Vec<ProcId> = self.inits.keys().copied().collect();
        for init in inits {
            self.schedule(init);
        }
    }

    fn schedule(&mut self, init: ProcId) {
        if self.inits.contains_key(&init) && !self.wakes.contains(&init) {
            self.wakes.push_back(init);
        }
    }

    fn notice(&mut self, n: Notice) {
        let step = self.step;
        match n {
            Notice::Caught { to, signal } => {
                if let Some(s) = self.inits.get_mut(&to) {
                    s.signals.push_back(signal);
                }
                self.schedule(to);
            }
            Notice::ChildEnded { parent } | Notice::Continued(parent) => self.schedule(parent),
            Notice::Adopted { orphan, from, by, from_outside } => {
                if self.is_our_init(by) && (from_outside || self.adopted_from_outside.contains_key(&from)) {
                    self.adopted_from_outside.insert(orphan, by);
                }
            }
            Notice::Ended(p) => {
                if let Some(owner) = self.pipe_of[p.0] {
                    if !pipe_open(&self.kernel, &self.pipe_of, owner) {
                        let ctx =
                            Ctx { plan: self.plan, kernel: &self.kernel, pipe_of: &self.pipe_of, inits: &self.inits };
                        self.collector.pipe_closed(owner, step, &ctx);
                    }
                }
            }
            Notice::Reaped { process, by } => {
                self.reaped_by[process.0] = Some(by);
                if Some(process) == self.node_init[0] {
                    let status = self.kernel.process(process).status.unwrap_or(ExitStatus::exited(0));
                    let ctx = Ctx { plan: self.plan, kernel: &self.kernel, pipe_of: &self.pipe_of, inits: &self.inits };
                    self.collector.finish(process, status, step, &ctx);
                }
            }
        }
    }

    /// One turn of our init's loop (NodeInit::run): reap every ended child, stop when only
    /// orphans are left, exit when nothing is, SIGKILL below at the deadline, then the
    /// signals it has read; again until nothing is left to do.
    fn wake(&mut self, init: ProcId) {
        loop {
            if self.kernel.process(init).state != State::Running {
                return;
            }
            self.reap_all(init);
            let (tracked_empty, node) = {
                let s = &self.inits[&init];
                (s.tracked.is_empty(), s.node)
            };
            if tracked_empty {
                if self.kernel.process(init).children.is_empty() {
                    let s = &self.inits[&init];
                    let code = if s.failure.is_set() { s.failure.code } else { 0 };
                    self.kernel.die(init, ExitStatus::exited(code));
                    return;
                }
                self.begin_stop(init);
            }
            match self.inits[&init].stopping {
                Some((deadline, false)) if self.clock_ms >= deadline => {
                    if let Some(s) = self.inits.get_mut(&init) {
                        s.stopping = Some((deadline, true));
                    }
                    self.mark_deadline_races(init, deadline);
                    let _ = self.kernel.kill_pid(init, -1, Some(Signal::KILL));
                }
                Some(_) => self.terminate_new_children(init),
                None => {}
            }
            let signals: Vec<Signal> =
                self.inits.get_mut(&init).map(|s| s.signals.drain(..).collect()).unwrap_or_default();
            if signals.is_empty() {
                return;
            }
            for sig in signals {
                if sig == Signal::TERM {
                    self.begin_stop(init);
                } else if forwarded(sig) {
                    self.forward(init, sig, self.plan.nodes[node].init.forward);
                }
            }
        }
    }

    /// `init`'s deadline fires now. A stopping init below it whose own deadline comes at about
    /// the same time could have fired first on a real run, ended its namespace by itself and
    /// exited with its first failure (or 137: what it killed) instead of dying by our SIGKILL.
    /// One above it, about to fire too, could have SIGKILLed `init` first.
    fn mark_deadline_races(&mut self, init: ProcId, deadline: u64) {
        let ns = self.kernel.process(init).ns;
        let racing: Vec<(ProcId, bool)> = self
            .inits
            .iter()
            .filter(|(d, _)| **d != init && self.kernel.process(**d).state == State::Running)
            .filter_map(|(d, s)| match s.stopping {
                Some((dd, false)) if dd >= deadline && dd - deadline <= DEADLINE_RACE_MS => {
                    let dns = self.kernel.process(*d).ns;
                    if self.kernel.within(dns, ns) {
                        Some((*d, true))
                    } else if self.kernel.within(ns, dns) {
                        Some((*d, false))
                    } else {
                        None
                    }
                }
                _ => None,
            })
            .collect();
        for (d, below) in racing {
            if below {
                if let Some(s) = self.inits.get_mut(&d) {
                    s.alt = Some(ExitStatus::exited(if s.failure.is_set() { s.failure.code } else { 137 }));
                }
            } else if let Some(s) = self.inits.get_mut(&init) {
                s.alt = Some(ExitStatus::killed(Signal::KILL));
            }
        }
    }

    fn reap_all(&mut self, init: ProcId) {
        let step = self.step;
        loop {
            let zombie = self
                .kernel
                .process(init)
                .children
                .iter()
                .copied()
                .find(|&c| self.kernel.process(c).state == State::Zombie);
            let Some(c) = zombie else { return };
            let status = self.kernel.process(c).status.unwrap_or(ExitStatus::exited(0));
            let pids = self.kernel.process(c).pids.clone();
            self.kernel.reap(c, Reaper::Parent(init));
            let s = self.inits.get_mut(&init).expect("an init");
            let node = s.node;
            let was_tracked = s.tracked.iter().any(|(p, _)| *p == c);
            s.tracked.retain(|(p, _)| *p != c);
            if !was_tracked {
                self.collector.reap(node, c, pids, status, step);
                continue;
            }
            if !status.success() {
                let ctx = Ctx { plan: self.plan, kernel: &self.kernel, pipe_of: &self.pipe_of, inits: &self.inits };
                let possible = ctx.possible_codes(c, status);
                if let Some(s) = self.inits.get_mut(&init) {
                    s.failure.record(step, status.code, &possible);
                }
            }
            let open = pipe_open(&self.kernel, &self.pipe_of, c);
            let ctx = Ctx { plan: self.plan, kernel: &self.kernel, pipe_of: &self.pipe_of, inits: &self.inits };
            self.collector.report_exit(c, status, open, step, &ctx);
        }
    }

    /// SIGTERM to what it started (processes, child inits) and to every child, once; the
    /// deadline is `stopTimeout` from now.
    fn begin_stop(&mut self, init: ProcId) {
        let node = self.inits[&init].node;
        if self.inits[&init].stopping.is_some() {
            return;
        }
        let deadline = self.clock_ms + self.plan.nodes[node].init.stop_timeout_ms;
        if let Some(s) = self.inits.get_mut(&init) {
            s.stopping = Some((deadline, false));
        }
        self.forward(init, Signal::TERM, self.plan.nodes[node].init.forward);
        if let Some(s) = self.inits.get_mut(&init) {
            let tracked: Vec<ProcId> = s.tracked.iter().map(|(p, _)| *p).collect();
            s.terminated.extend(tracked);
        }
        self.terminate_new_children(init);
    }

    fn terminate_new_children(&mut self, init: ProcId) {
        let children = self.kernel.process(init).children.clone();
        for c in children {
            let fresh = self.inits.get_mut(&init).is_some_and(|s| s.terminated.insert(c));
            if fresh {
                self.send_as_init(init, c, Signal::TERM, Forward::Process);
            }
        }
    }

    /// To each process it started (or its process group) and each child namespace's PID 1.
    fn forward(&mut self, init: ProcId, sig: Signal, mode: Forward) {
        let tracked = self.inits[&init].tracked.clone();
        for (p, what) in tracked {
            let mode = if what == Tracked::Namespace { Forward::Process } else { mode };
            self.send_as_init(init, p, sig, mode);
        }
    }

    /// kill(pid) or kill(-pid) with `p`'s PID in the init's namespace.
    fn send_as_init(&mut self, init: ProcId, p: ProcId, sig: Signal, mode: Forward) {
        let ns = self.kernel.process(init).ns;
        if let Some(pid) = self.kernel.pid_in(p, ns) {
            let target = match mode {
                Forward::Process => i64::from(pid),
                Forward::Group => -i64::from(pid),
            };
            let _ = self.kernel.kill_pid(init, target, Some(sig));
        }
    }

    /// How a real run may report `p`'s exit: more than one way when things raced.
    pub fn possible_exits(&self, p: ProcId) -> Vec<ExitStatus> {
        let status = self.kernel.process(p).status.unwrap_or(ExitStatus::exited(0));
        possible_exits(&self.inits, p, status)
    }

    /// The zombie children of `node`'s user PID 1, by PID in that namespace.
    pub fn zombies_of(&self, node: usize) -> Vec<Pid> {
        let Some(init) = self.node_init[node] else { return Vec::new() };
        let ns = self.node_ns[node];
        let mut pids: Vec<Pid> = self
            .kernel
            .process(init)
            .children
            .iter()
            .filter(|&&c| self.kernel.process(c).state == State::Zombie)
            .filter_map(|&c| self.kernel.pid_in(c, ns))
            .collect();
        pids.sort_unstable();
        pids
    }

    pub fn sample_zombies(&mut self) {
        let step = self.step;
        let now: Vec<(usize, Vec<Pid>)> = (0..self.plan.nodes.len()).map(|n| (n, self.zombies_of(n))).collect();
        self.collector.sample_zombies(|n| now[n].1.clone(), step);
    }

    /// A process of the tree forks: the child inherits its namespace and its output pipe.
    pub fn fork(&mut self, parent: ProcId, name: String) -> Result<ProcId, crate::kernel::Errno> {
        let ns = self.kernel.process(parent).ns;
        let child = self.kernel.fork(Parent::Process(parent), ns, Disposition::Defaults, None)?;
        let l = &self.labels[parent.0];
        let label = Label { node: l.node, name, command: l.command.clone(), kind: Kind::Forked };
        let pipe = self.pipe_of[parent.0];
        self.register(child, label, pipe);
        Ok(child)
    }
}
