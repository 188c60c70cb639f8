//! The JSON a caller gets: problems, the plan with predicted PIDs, a simulation (its events,
//! each step's outcome, the final tree). The formats are documented in README.md.
use pidns_model::{Limits, Plan, SpecError, INIT_NAME};

use crate::collector::{Event, KILLED_WITH_NAMESPACE};
use crate::kernel::{ExitStatus, Parent, Pid, ProcId, Reaper, State};
use crate::simulation::{Outcome, Simulation, StepRecord};
use crate::startup::{self, Predicted};
use crate::steps::{Op, ProcessRef, Sender, Target};
use crate::world::Kind;
use pidns_model::json_write::{array, string, JsonObject as Obj};

/// `{"valid": false, "code": ..., "issues": [...]}`: each issue as the CLI shows it, with its
/// kind (`syntax`, `invalid`, `depth`, `impossible`) for callers to decide on.
pub fn issues(code: &str, errors: &[SpecError]) -> String {
    let items: Vec<String> = errors
        .iter()
        .map(|e| {
            let mut o = Obj::new().str("kind", e.kind.as_str()).str("path", &e.path);
            if let Some(p) = e.pos {
                o = o.int("line", i64::from(p.line)).int("column", i64::from(p.col));
            }
            o = o.str("message", &e.message);
            if let Some(h) = &e.hint {
                o = o.str("hint", h);
            }
            o.finish()
        })
        .collect();
    Obj::new().bool("valid", false).str("code", code).raw("issues", &array(&items)).finish()
}

/// A valid spec: the limits it was checked against and its plan (as the init reads it), last,
/// so that a caller can take the plan's text as it is (`{"valid":true,...,"plan":PLAN}`).
pub fn checked(plan: &Plan, limits: Limits) -> String {
    Obj::new()
        .bool("valid", true)
        .int("hostLevels", i64::from(limits.host_levels))
        .int("maxDepth", i64::from(limits.max_depth))
        .raw("plan", &plan.to_json())
        .finish()
}

fn checked_obj(plan: &Plan, limits: Limits) -> Obj {
    Obj::new()
        .bool("valid", true)
        .raw("plan", &plan.to_json())
        .int("hostLevels", i64::from(limits.host_levels))
        .int("maxDepth", i64::from(limits.max_depth))
}

/// Level paths of `node`, root first: the keys of a `pids` object.
fn level_paths(plan: &Plan, node: usize) -> Vec<&str> {
    let mut out = vec![node];
    while let Some(p) = plan.nodes[*out.last().unwrap_or(&node)].parent {
        out.push(p);
    }
    out.reverse();
    out.into_iter().map(|n| plan.nodes[n].path.as_str()).collect()
}

fn pids_obj(plan: &Plan, node: usize, pids: &[Pid]) -> String {
    let mut o = Obj::new();
    for (path, pid) in level_paths(plan, node).into_iter().zip(pids) {
        o = o.int_at(path, i64::from(*pid));
    }
    o.finish()
}

/// The plan with every init's and process's predicted PIDs: `pids` where determined, `ranges`
/// (`[lowest, highest]`) where sibling namespaces race.
pub fn planned(plan: &Plan, limits: Limits) -> String {
    let predicted = startup::predict(plan);
    let items: Vec<String> = predicted.iter().map(|p| predicted_json(plan, p)).collect();
    let depth = plan.nodes.iter().map(|n| n.depth).max().unwrap_or(1);
    checked_obj(plan, limits)
        .bool("reproduciblePids", plan.reproducible_pids)
        .int("namespaces", plan.nodes.len() as i64)
        .int("processes", plan.nodes.iter().map(|n| n.processes.len() as i64).sum())
        .int("depth", i64::from(depth))
        .raw("predicted", &array(&items))
        .finish()
}

fn predicted_json(plan: &Plan, p: &Predicted) -> String {
    let node = &plan.nodes[p.item.node];
    let (name, command) = match p.item.process {
        Some(i) => (node.processes[i].name.as_str(), node.processes[i].command.clone()),
        None => (
            INIT_NAME,
            node.init.command.as_ref().map(|c| c.command.clone()).unwrap_or_else(|| vec!["pidns-init".into()]),
        ),
    };
    let mut pids = Obj::new();
    let mut ranges = Obj::new();
    for (path, (lo, hi)) in level_paths(plan, p.item.node).into_iter().zip(&p.ranges) {
        if lo == hi {
            pids = pids.int_at(path, i64::from(*lo));
        } else {
            ranges = ranges.raw_at(path, &format!("[{lo},{hi}]"));
        }
    }
    Obj::new()
        .str("node", &node.path)
        .str("process", name)
        .bool("userInit", p.item.process.is_none() && node.init.command.is_some())
        .raw("pids", &pids.finish())
        .raw("ranges", &ranges.finish())
        .strs("command", &command)
        .finish()
}

fn status_fields(o: Obj, s: ExitStatus) -> Obj {
    o.exit_status(s.code, s.signal.map(|sig| sig.number()))
}

fn event_json(sim: &Simulation, e: &Event) -> String {
    let w = &sim.world;
    let plan = w.plan;
    match e {
        Event::Start { node, process, pids } => Obj::new()
            .str("event", "start")
            .str("node", &plan.nodes[*node].path)
            .str("process", &w.labels[process.0].name)
            .int("pid", i64::from(*pids.last().unwrap_or(&0)))
            .raw("pids", &pids_obj(plan, *node, pids))
            .strs("command", &w.labels[process.0].command)
            .finish(),
        Event::Exit { node, process, status, reason } => {
            let o = Obj::new()
                .str("event", "exit")
                .str("node", &plan.nodes[*node].path)
                .str("process", &w.labels[process.0].name);
            let o = status_fields(o, *status);
            let o = if *reason { o.str("reason", KILLED_WITH_NAMESPACE) } else { o };
            o.finish()
        }
        Event::Reap { node, process, pids, status } => {
            let o = Obj::new()
                .str("event", "reap")
                .str("node", &plan.nodes[*node].path)
                .int("pid", i64::from(*pids.last().unwrap_or(&0)))
                .raw("pids", &pids_obj(plan, w.labels[process.0].node, pids));
            status_fields(o, *status).finish()
        }
        Event::Zombies { node, pids } => Obj::new()
            .str("event", "zombies")
            .str("node", &plan.nodes[*node].path)
            .int("count", pids.len() as i64)
            .ints("pids", pids.iter().map(|&p| i64::from(p)))
            .finish(),
        Event::End { code } => Obj::new().str("event", "end").int("code", i64::from(*code)).finish(),
    }
}

/// `node:process` of a process of the model.
fn label(sim: &Simulation, p: ProcId) -> String {
    let l = &sim.world.labels[p.0];
    format!("{}:{}", sim.world.plan.nodes[l.node].path, l.name)
}

fn process_ref(sim: &Simulation, r: &ProcessRef) -> String {
    format!("{}:{}", sim.world.plan.nodes[r.node].path, r.name)
}

fn op_fields(sim: &Simulation, o: Obj, op: &Op) -> Obj {
    let plan = sim.world.plan;
    let o = o.str("op", op.name());
    match op {
        Op::Fork { process, child } => {
            let o = o.str("process", &process_ref(sim, process));
            match child {
                Some(c) => o.str("child", c),
                None => o,
            }
        }
        Op::Exit { process, code } => o.str("process", &process_ref(sim, process)).int("code", i64::from(*code)),
        Op::Exec { process, command } => {
            let o = o.str("process", &process_ref(sim, process));
            match command {
                Some(c) => o.strs("command", c),
                None => o,
            }
        }
        Op::Setsid { process } | Op::Subreaper { process } => o.str("process", &process_ref(sim, process)),
        Op::Kill { from, target, signal } => {
            let o = match from {
                Sender::Host => o.str("from", "host"),
                Sender::Process(p) => o.str("from", &process_ref(sim, p)),
            };
            let o = match target {
                Target::Path(p) => o.str("target", &process_ref(sim, p)),
                Target::Pid(n) => o.int("target", *n),
            };
            match signal {
                Some(s) => o.str("signal", &s.name()),
                None => o.int("signal", 0),
            }
        }
        Op::Stop { node } => o.str("node", &plan.nodes[*node].path),
        Op::Enter { node, name } => {
            let o = o.str("node", &plan.nodes[*node].path);
            match name {
                Some(n) => o.str("name", n),
                None => o,
            }
        }
    }
}

fn step_json(sim: &Simulation, index: usize, r: &StepRecord, events: &[String]) -> String {
    let mut o = op_fields(sim, Obj::new().int("step", index as i64), &r.op);
    o = match &r.outcome {
        Outcome::Ok => o.str("result", "ok"),
        Outcome::Created(p) => {
            let l = &sim.world.labels[p.0];
            let created = Obj::new()
                .str("node", &sim.world.plan.nodes[l.node].path)
                .str("process", &l.name)
                .raw("pids", &pids_obj(sim.world.plan, l.node, &sim.world.kernel.process(*p).pids))
                .finish();
            o.str("result", "ok").raw("created", &created)
        }
        Outcome::Failed(e) => o.str("result", e.name()),
        Outcome::Skipped(why) => o.str("result", "skipped").str("message", why),
    };
    let signalled: Vec<String> = r.signalled.iter().map(|&p| string(&label(sim, p))).collect();
    if !signalled.is_empty() {
        o = o.raw("signalled", &array(&signalled));
    }
    o = o.raw("events", &array(events));
    if !r.racing.is_empty() {
        let racing: Vec<String> = r
            .racing
            .iter()
            .map(|(p, exits)| {
                let l = &sim.world.labels[p.0];
                let exits: Vec<String> = exits.iter().map(|&e| status_fields(Obj::new(), e).finish()).collect();
                Obj::new()
                    .str("node", &sim.world.plan.nodes[l.node].path)
                    .str("process", &l.name)
                    .raw("exits", &array(&exits))
                    .finish()
            })
            .collect();
        o = o.raw("racing", &array(&racing));
    }
    if !r.racing_reaps.is_empty() {
        let reaps: Vec<String> = r
            .racing_reaps
            .iter()
            .map(|p| {
                let l = &sim.world.labels[p.0];
                Obj::new().str("node", &sim.world.plan.nodes[l.node].path).str("process", &l.name).finish()
            })
            .collect();
        o = o.raw("racingReaps", &array(&reaps));
    }
    o.finish()
}

fn state_name(s: State) -> &'static str {
    match s {
        State::Running => "running",
        State::Stopped => "stopped",
        State::Exiting => "exiting",
        State::Zombie => "zombie",
        State::Reaped => "gone",
    }
}

fn kind_name(k: Kind) -> &'static str {
    match k {
        Kind::OurInit => "init",
        Kind::UserInit => "user-init",
        Kind::Declared => "process",
        Kind::Forked => "forked",
        Kind::Entered => "entered",
    }
}

fn tree_json(sim: &Simulation) -> String {
    let w = &sim.world;
    let plan = w.plan;
    let namespaces: Vec<String> = plan
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let ns = w.node_ns[i];
            let init = w.node_init[i].map(|p| state_name(w.kernel.process(p).state)).unwrap_or("none");
            // /proc here is its own, or (mountProc false) the nearest ancestor's, or the host's.
            let mut owner = Some(i);
            while let Some(o) = owner {
                if plan.nodes[o].mount_proc {
                    break;
                }
                owner = plan.nodes[o].parent;
            }
            let proc = match owner {
                Some(o) => {
                    let pids: Vec<i64> = w.kernel.proc_listing(w.node_ns[o]).into_iter().map(i64::from).collect();
                    Obj::new().str("of", &plan.nodes[o].path).ints("pids", &pids).finish()
                }
                None => Obj::new().str("of", "host").null("pids").finish(),
            };
            Obj::new()
                .str("node", &n.path)
                .str("init", init)
                .bool("accepting", w.kernel.ns(ns).adding)
                .raw("proc", &proc)
                .finish()
        })
        .collect();
    let processes: Vec<String> = (0..w.labels.len())
        .map(ProcId)
        .map(|p| {
            let l = &w.labels[p.0];
            let proc = w.kernel.process(p);
            let own = proc.ns;
            let seen = |leader: Option<ProcId>| -> i64 {
                leader.and_then(|q| w.kernel.pid_in(q, own)).map(i64::from).unwrap_or(0)
            };
            let mut o = Obj::new()
                .str("node", &plan.nodes[l.node].path)
                .str("process", &l.name)
                .str("kind", kind_name(l.kind))
                .raw("pids", &pids_obj(plan, l.node, &proc.pids))
                .str("state", state_name(proc.state));
            o = match proc.status {
                Some(s) => o.raw("exit", &status_fields(Obj::new(), s).finish()),
                None => o.null("exit"),
            };
            o = match proc.parent {
                Parent::Host => o.str("parent", "host"),
                Parent::Process(q) => o.str("parent", &label(sim, q)),
            };
            o = match sim.reaper_of(p) {
                Some(Reaper::Parent(q)) => o.str("reapedBy", &label(sim, q)),
                Some(Reaper::Host) => o.str("reapedBy", "host"),
                Some(Reaper::Kernel) => o.str("reapedBy", "kernel"),
                None => o.null("reapedBy"),
            };
            o.int("pgid", seen(proc.pgid)).int("sid", seen(proc.sid)).strs("command", &l.command).finish()
        })
        .collect();
    Obj::new()
        .bool("ended", w.collector.ended)
        .int("clockMs", w.clock_ms as i64)
        .raw("namespaces", &array(&namespaces))
        .raw("processes", &array(&processes))
        .finish()
}

/// The whole simulation.
pub fn simulated(sim: &Simulation, limits: Limits) -> String {
    let w = &sim.world;
    let events: Vec<String> = w.collector.events.iter().map(|(e, _)| event_json(sim, e)).collect();
    // Each event in its moment's list: the start-up's, or its step's.
    let mut startup = Vec::new();
    let mut by_step: Vec<Vec<String>> = vec![Vec::new(); sim.records.len()];
    for ((_, moment), json) in w.collector.events.iter().zip(&events) {
        match moment {
            None => startup.push(json.clone()),
            Some(i) => by_step.get_mut(*i).into_iter().for_each(|v| v.push(json.clone())),
        }
    }
    let steps: Vec<String> = sim.records.iter().enumerate().map(|(i, r)| step_json(sim, i, r, &by_step[i])).collect();
    let assumed: Vec<String> = sim.assumed.iter().map(|&p| string(&label(sim, p))).collect();
    let mut o = Obj::new()
        .bool("valid", true)
        .int("hostLevels", i64::from(limits.host_levels))
        .int("maxDepth", i64::from(limits.max_depth))
        .raw("events", &array(&events))
        .raw("startup", &array(&startup))
        .raw("assumedPids", &array(&assumed))
        .raw("steps", &array(&steps));
    if w.collector.ended {
        let ff = &w.collector.first_failure;
        let codes: Vec<i64> = if ff.is_set() { ff.possible.iter().map(|&c| i64::from(c)).collect() } else { vec![0] };
        o = o.ints("endCodes", &codes);
    }
    o.raw("tree", &tree_json(sim)).finish()
}
