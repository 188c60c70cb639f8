//! A simulation: a tree started the way pidns-tree starts it, then steps played one at a time,
//! each until nothing more follows from it (a real run's "quiet" moments between steps).
use std::collections::{BTreeMap, BTreeSet};

use pidns_model::{Plan, SpecError, INIT_NAME};

use crate::kernel::{Disposition, Errno, ExitStatus, Parent, Pid, ProcId, Reaper, Sender as KSender, State};
use crate::startup::{self, Item};
use crate::steps::{Op, Pin, ProcessRef, Sender, Steps, Target};
use crate::world::{Kind, Label, World};

/// How a step turned out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    /// fork and enter: the new process.
    Created(ProcId),
    /// The kernel refused: kill → ESRCH, enter → ENOMEM, setsid → EPERM.
    Failed(Errno),
    /// The step could not be played: its process does not run (any more, or yet).
    Skipped(String),
}

#[derive(Debug, Clone)]
pub struct StepRecord {
    pub op: Op,
    pub outcome: Outcome,
    /// Processes a kill reached.
    pub signalled: Vec<ProcId>,
    /// Inits whose exit depends on which of several things of this step a real run sees first
    /// (the first failure among what they started; whose stop deadline fires first): the ways
    /// it may end.
    pub racing: Vec<(ProcId, Vec<ExitStatus>)>,
    /// Orphans whose `reap` a real run may not show (see `World::racing_reaps`).
    pub racing_reaps: Vec<ProcId>,
}

pub struct Simulation<'p> {
    pub world: World<'p>,
    pub records: Vec<StepRecord>,
    /// Start-up items whose PIDs the model chose among several possible ones (neither
    /// determined by the start order nor pinned by the caller).
    pub assumed: Vec<ProcId>,
    forks: BTreeMap<ProcId, usize>,
    entered: BTreeMap<usize, usize>,
}

impl<'p> Simulation<'p> {
    /// Starts `plan`'s tree; `pins` fix start-up PIDs that race in the default order.
    pub fn start(plan: &'p Plan, pins: &[Pin]) -> Result<Simulation<'p>, Vec<SpecError>> {
        if plan.nodes[0].init.command.is_some() {
            // The validator refuses init.command on the root (its PID 1 is always our init):
            // only a plan made some other way gets here.
            return Err(vec![SpecError::new(
                "$.init.command",
                None,
                "the root namespace's PID 1 is pidns-tree's init: init.command is refused there".into(),
                Some("put your init in a child namespace".into()),
            )]);
        }
        let predicted = startup::predict(plan);
        let order: Vec<Item> = predicted.iter().map(|p| p.item).collect();
        let canonical = startup::reproducible_pids(plan, &order);
        let assignment = assign(plan, &predicted, &canonical, pins)?;
        let mut world = World::new(plan);
        let mut assumed = Vec::new();
        for (i, item) in order.iter().enumerate() {
            let p = create(&mut world, plan, *item, &assignment[i]);
            let pinned_all = predicted[i].ranges.iter().enumerate().all(|(level, (lo, hi))| {
                lo == hi
                    || pins.iter().any(|pin| pin_matches(plan, pin, *item) && level_of(plan, pin.level_node) == level)
            });
            if !pinned_all {
                assumed.push(p);
            }
            world.announce(p);
        }
        for (node, &ns) in world.node_ns.clone().iter().enumerate() {
            world.kernel.set_cursor(ns, subtree_size(plan, node));
        }
        world.wake_all();
        world.settle();
        world.sample_zombies();
        Ok(Simulation { world, records: Vec::new(), assumed, forks: BTreeMap::new(), entered: BTreeMap::new() })
    }

    /// Plays `steps` in order.
    pub fn play(&mut self, steps: &Steps) {
        for op in &steps.steps {
            self.play_one(op);
        }
    }

    pub fn play_one(&mut self, op: &Op) {
        let index = self.records.len();
        self.world.begin_step(index);
        let first_event = self.world.collector.events.len();
        let mut signalled = Vec::new();
        let outcome = if self.world.collector.ended {
            Outcome::Skipped("the tree has ended".into())
        } else {
            self.act(op, &mut signalled)
        };
        self.world.settle();
        self.world.sample_zombies();
        let racing = self.world.collector.events[first_event..]
            .iter()
            .filter_map(|(e, _)| match e {
                crate::collector::Event::Exit { process, .. } => {
                    let exits = self.world.possible_exits(*process);
                    (exits.len() > 1).then_some((*process, exits))
                }
                _ => None,
            })
            .collect();
        let racing_reaps = self.world.racing_reaps();
        self.records.push(StepRecord { op: op.clone(), outcome, signalled, racing, racing_reaps });
    }

    /// The latest process with this name in this node.
    pub fn find(&self, r: &ProcessRef) -> Option<ProcId> {
        if r.name == INIT_NAME {
            return self.world.node_init[r.node];
        }
        self.world.labels.iter().rposition(|l| l.node == r.node && l.name == r.name).map(ProcId)
    }

    fn describe(&self, r: &ProcessRef) -> String {
        format!("{}:{}", self.world.plan.nodes[r.node].path, r.name)
    }

    /// The process acting in a step, if it can act now.
    fn actor(&self, r: &ProcessRef) -> Result<ProcId, Outcome> {
        let Some(p) = self.find(r) else {
            return Err(Outcome::Skipped(format!("there is no process {} (it was never forked)", self.describe(r))));
        };
        match self.world.kernel.process(p).state {
            State::Running => Ok(p),
            State::Stopped => Err(Outcome::Skipped(format!("{} is stopped", self.describe(r)))),
            State::Zombie | State::Exiting => {
                Err(Outcome::Skipped(format!("{} has exited (zombie)", self.describe(r))))
            }
            State::Reaped => Err(Outcome::Skipped(format!("{} has exited and is gone", self.describe(r)))),
        }
    }

    fn unique_name(&self, node: usize, base: &str, counter: usize) -> String {
        let mut k = counter;
        loop {
            let name = format!("{base}.{k}");
            if !self.world.labels.iter().any(|l| l.node == node && l.name == name) {
                return name;
            }
            k += 1;
        }
    }

    fn act(&mut self, op: &Op, signalled: &mut Vec<ProcId>) -> Outcome {
        let k = |r: Result<(), Errno>| match r {
            Ok(()) => Outcome::Ok,
            Err(e) => Outcome::Failed(e),
        };
        match op {
            Op::Fork { process, child } => {
                let p = match self.actor(process) {
                    Ok(p) => p,
                    Err(o) => return o,
                };
                let node = process.node;
                let name = match child {
                    Some(c) if self.world.labels.iter().any(|l| l.node == node && &l.name == c) => {
                        return Outcome::Skipped(format!(
                            "{} already has a process named {c}",
                            self.world.plan.nodes[node].path
                        ));
                    }
                    Some(c) => c.clone(),
                    None => {
                        let n = self.forks.entry(p).or_insert(0);
                        *n += 1;
                        let count = *n;
                        self.unique_name(node, &self.world.labels[p.0].name.clone(), count)
                    }
                };
                match self.world.fork(p, name) {
                    Ok(c) => Outcome::Created(c),
                    Err(e) => Outcome::Failed(e),
                }
            }
            Op::Exit { process, code } => match self.actor(process) {
                Ok(p) => {
                    self.world.kernel.die(p, ExitStatus::exited(*code));
                    Outcome::Ok
                }
                Err(o) => o,
            },
            Op::Exec { process, command } => match self.actor(process) {
                Ok(p) => {
                    if let Some(c) = command {
                        self.world.labels[p.0].command = c.clone();
                    }
                    Outcome::Ok
                }
                Err(o) => o,
            },
            Op::Setsid { process } => match self.actor(process) {
                Ok(p) => k(self.world.kernel.setsid(p)),
                Err(o) => o,
            },
            Op::Subreaper { process } => match self.actor(process) {
                Ok(p) => {
                    self.world.kernel.set_subreaper(p);
                    Outcome::Ok
                }
                Err(o) => o,
            },
            Op::Kill { from, target, signal } => self.kill(from, target, *signal, signalled),
            Op::Stop { node } => {
                let Some(init) = self.world.node_init[*node] else { return Outcome::Skipped("no PID 1".into()) };
                let r = self.world.kernel.kill_process(KSender::Host, init, Some(crate::signal::Signal::TERM));
                if r.is_ok() {
                    signalled.push(init);
                }
                k(r)
            }
            Op::Enter { node, name } => {
                let ns = self.world.node_ns[*node];
                let counter = self.entered.entry(*node).or_insert(0);
                *counter += 1;
                let count = *counter;
                let name = match name {
                    Some(n) if self.world.labels.iter().any(|l| l.node == *node && &l.name == n) => {
                        return Outcome::Skipped(format!(
                            "{} already has a process named {n}",
                            self.world.plan.nodes[*node].path
                        ));
                    }
                    Some(n) => n.clone(),
                    None => self.unique_name(*node, "host", count),
                };
                match self.world.kernel.fork(Parent::Host, ns, Disposition::Defaults, None) {
                    Ok(p) => {
                        // Like `nsenter` or `pidns-tree exec`: a group of its own.
                        self.world.kernel.own_group(p);
                        let label =
                            Label { node: *node, name, command: vec!["pidns-sim-agent".into()], kind: Kind::Entered };
                        self.world.register(p, label, None);
                        Outcome::Created(p)
                    }
                    Err(e) => Outcome::Failed(e),
                }
            }
        }
    }

    fn kill(
        &mut self,
        from: &Sender,
        target: &Target,
        signal: Option<crate::signal::Signal>,
        signalled: &mut Vec<ProcId>,
    ) -> Outcome {
        match from {
            Sender::Host => {
                let Target::Path(r) = target else { return Outcome::Skipped("the host names targets by path".into()) };
                let Some(t) = self.find(r) else {
                    return Outcome::Skipped(format!("there is no process {} (it was never forked)", self.describe(r)));
                };
                match self.world.kernel.kill_process(KSender::Host, t, signal) {
                    Ok(()) => {
                        signalled.push(t);
                        Outcome::Ok
                    }
                    Err(e) => Outcome::Failed(e),
                }
            }
            Sender::Process(s) => {
                let sender = match self.actor(s) {
                    Ok(p) => p,
                    Err(o) => return o,
                };
                let pid = match target {
                    Target::Pid(n) => *n,
                    Target::Path(r) => {
                        let Some(t) = self.find(r) else {
                            return Outcome::Skipped(format!(
                                "there is no process {} (it was never forked)",
                                self.describe(r)
                            ));
                        };
                        match self.world.kernel.pid_in(t, self.world.kernel.process(sender).ns) {
                            Some(n) => i64::from(n),
                            // The sender's namespace has no PID for it: nothing to pass to kill.
                            None => return Outcome::Failed(Errno::Esrch),
                        }
                    }
                };
                match self.world.kernel.kill_pid(sender, pid, signal) {
                    Ok(reached) => {
                        signalled.extend(reached);
                        Outcome::Ok
                    }
                    Err(e) => Outcome::Failed(e),
                }
            }
        }
    }

    /// Who reaped `p`, as a process, "host" or "kernel".
    pub fn reaper_of(&self, p: ProcId) -> Option<Reaper> {
        self.world.reaped_by[p.0]
    }
}

fn level_of(plan: &Plan, node: usize) -> usize {
    plan.nodes[node].depth as usize - 1
}

fn subtree_size(plan: &Plan, node: usize) -> Pid {
    1 + plan.nodes[node].processes.len() as Pid
        + plan.nodes[node].children.iter().map(|&c| subtree_size(plan, c)).sum::<Pid>()
}

fn pin_matches(plan: &Plan, pin: &Pin, item: Item) -> bool {
    pin.process.node == item.node
        && match item.process {
            None => pin.process.name == INIT_NAME,
            Some(i) => plan.nodes[item.node].processes[i].name == pin.process.name,
        }
}

/// The start-up PIDs of every item (per level): pinned where the caller says, the canonical
/// (plan order) number otherwise, or the smallest possible one still free.
fn assign(
    plan: &Plan,
    predicted: &[startup::Predicted],
    canonical: &[Vec<Pid>],
    pins: &[Pin],
) -> Result<Vec<Vec<Pid>>, Vec<SpecError>> {
    let mut errors = Vec::new();
    let lineage = |node: usize| -> Vec<usize> {
        let mut out = vec![node];
        while let Some(p) = plan.nodes[*out.last().unwrap_or(&node)].parent {
            out.push(p);
        }
        out.reverse();
        out
    };
    let mut out: Vec<Vec<Option<Pid>>> = predicted.iter().map(|p| vec![None; p.ranges.len()]).collect();
    for pin in pins {
        let Some(i) = predicted.iter().position(|p| pin_matches(plan, pin, p.item)) else {
            let n = &plan.nodes[pin.process.node];
            errors.push(SpecError::new(
                &pin.path,
                None,
                format!("{}:{} is not started with the tree", n.path, pin.process.name),
                Some("pins are for the inits and processes of the spec; later PIDs follow from the steps".into()),
            ));
            continue;
        };
        let levels = lineage(predicted[i].item.node);
        let Some(level) = levels.iter().position(|&x| x == pin.level_node) else {
            errors.push(SpecError::new(
                &pin.path,
                None,
                format!("it has no PID in {}, which is not one of its namespaces", plan.nodes[pin.level_node].path),
                None,
            ));
            continue;
        };
        let (lo, hi) = predicted[i].ranges[level];
        if pin.pid < lo || pin.pid > hi {
            let possible = if lo == hi { format!("it is always {lo}") } else { format!("it is {lo} to {hi}") };
            errors.push(SpecError::new(
                &pin.path,
                None,
                format!("PID {} is not possible here: {possible}", pin.pid),
                None,
            ));
            continue;
        }
        out[i][level] = Some(pin.pid);
    }
    // Per namespace (plan node), the numbers taken so far.
    let mut used: Vec<BTreeSet<Pid>> = vec![BTreeSet::new(); plan.nodes.len()];
    for (i, levels) in out.iter().enumerate() {
        for (level, pid) in levels.iter().enumerate() {
            if let Some(pid) = pid {
                let x = lineage(predicted[i].item.node)[level];
                if !used[x].insert(*pid) {
                    errors.push(SpecError::new(
                        "$.pids",
                        None,
                        format!("two processes are pinned to PID {pid} in {}", plan.nodes[x].path),
                        None,
                    ));
                }
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut result = Vec::with_capacity(out.len());
    for (i, levels) in out.iter().enumerate() {
        let lin = lineage(predicted[i].item.node);
        let mut pids = Vec::with_capacity(levels.len());
        for (level, pid) in levels.iter().enumerate() {
            let x = lin[level];
            let pid = match pid {
                Some(p) => *p,
                None => {
                    let (lo, hi) = predicted[i].ranges[level];
                    let want = canonical[i][level];
                    let pick =
                        if !used[x].contains(&want) { Some(want) } else { (lo..=hi).find(|n| !used[x].contains(n)) };
                    match pick {
                        Some(n) => {
                            used[x].insert(n);
                            n
                        }
                        None => {
                            return Err(vec![SpecError::new(
                                "$.pids",
                                None,
                                format!(
                                    "the pinned PIDs leave no possible PID in {} for an item of the tree",
                                    plan.nodes[x].path
                                ),
                                Some("pin every start-up PID of that namespace, as a real run reported them".into()),
                            )])
                        }
                    }
                }
            };
            pids.push(pid);
        }
        result.push(pids);
    }
    Ok(result)
}

/// Creates one start-up item in the kernel, as pidns-tree's init does.
fn create(world: &mut World, plan: &Plan, item: Item, pids: &[Pid]) -> ProcId {
    let node = &plan.nodes[item.node];
    let kernel_fork = |world: &mut World, parent: Parent, ns, disposition| {
        world.kernel.fork(parent, ns, disposition, Some(pids)).expect("start-up PIDs are consistent")
    };
    match item.process {
        None => {
            let (ns, parent) = match node.parent {
                None => (world.kernel.new_namespace(None).expect("the plan is validated"), Parent::Host),
                Some(p) => {
                    let ns = world.kernel.new_namespace(Some(world.node_ns[p])).expect("the plan is validated");
                    (ns, Parent::Process(world.node_init[p].expect("the parent's init comes first")))
                }
            };
            debug_assert_eq!(world.node_ns.len(), item.node);
            world.node_ns.push(ns);
            let user = node.init.command.clone();
            let disposition = if user.is_some() { Disposition::Defaults } else { Disposition::Catches };
            let p = kernel_fork(world, parent, ns, disposition);
            // Every namespace's PID 1 leads its own session (become_namespace_init).
            let _ = world.kernel.setsid(p);
            let label = match &user {
                Some(u) => {
                    Label { node: item.node, name: INIT_NAME.into(), command: u.command.clone(), kind: Kind::UserInit }
                }
                None => Label {
                    node: item.node,
                    name: INIT_NAME.into(),
                    command: vec!["pidns-init".into()],
                    kind: Kind::OurInit,
                },
            };
            world.register(p, label, user.is_some().then_some(p));
            world.node_init[item.node] = Some(p);
            if let Parent::Process(parent_init) = parent {
                world.track(parent_init, p, true);
            }
            p
        }
        Some(i) => {
            let spec = &node.processes[i];
            // In a namespace whose PID 1 is the user's, the parent's init forks them (setns).
            let forker = match (&node.init.command, node.parent) {
                (Some(_), Some(parent)) => world.node_init[parent],
                _ => world.node_init[item.node],
            }
            .expect("inits come first");
            let p = kernel_fork(world, Parent::Process(forker), world.node_ns[item.node], Disposition::Defaults);
            world.kernel.own_group(p);
            let label =
                Label { node: item.node, name: spec.name.clone(), command: spec.command.clone(), kind: Kind::Declared };
            world.register(p, label, Some(p));
            world.track(forker, p, false);
            p
        }
    }
}
