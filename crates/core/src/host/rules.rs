//! The collector's rules, apart from its I/O: what the host makes of the messages a tree sends.
//! A state machine driven by [`Rules::message`], [`Rules::zombies`], [`Rules::root_exited`] and
//! [`Rules::finish`], each emitting events to a [`Sink`]; unit tests drive it without a kernel.
//!
//! What it guarantees to whoever reads the events:
//! - a process's `start` comes before anything else about it, and an `exit` is never emitted
//!   for a process that did not start;
//! - its output comes as lines (pieces of at most 64 KiB, byte-exact), and its `exit` after the
//!   last of them: for a process whose output its init relays, the exit is held until the init
//!   says the pipes are closed (a process can end while what it started still writes to them);
//! - causal order when a namespace dies at once (its PID 1 killed): every process in it and in
//!   the namespaces below that nobody could report gets an `exit` (SIGKILL, with a `reason`),
//!   deepest namespace first and each namespace's processes before its init, and only then the
//!   dead init's own `exit`;
//! - `end` comes last, with the code of the first declared process or init that failed, 1 if
//!   none failed but something went wrong (an `error`), else 0.
use std::collections::HashMap;

use pidns_model::{Plan, INIT_NAME};

use super::events::{Event, Names};
use super::lines::LineSplitter;
use crate::status::ExitStatus;
use crate::wire::tree::{ProcKey, Stream, TreeMessage};

/// Why a process died that no init reported: the kernel's rule for a PID namespace.
pub const KILLED_WITH_NAMESPACE: &str = "killed by the kernel when its namespace's init exited";

/// Where events go.
pub trait Sink {
    fn event(&mut self, names: &dyn Names, event: &Event<'_>);
}

impl<F: FnMut(&dyn Names, &Event<'_>)> Sink for F {
    fn event(&mut self, names: &dyn Names, event: &Event<'_>) {
        self(names, event)
    }
}

struct NodeInfo {
    path: String,
    children: Vec<u32>,
    /// Its PID 1 is the user's command (our init is not in it).
    user_init: bool,
    /// How many processes the spec declares (slots below are declared, above are exec'd).
    declared: u32,
    /// Processes of this node that started, in order (its init not included).
    started: Vec<ProcKey>,
}

/// Where a process is in its life, as far as the events go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcState {
    Running,
    Exited(ExitStatus),
}

struct Proc {
    name: String,
    nspid: Vec<i32>,
    start_time: u64,
    state: ProcState,
    lines: [LineSplitter; 2],
    exec_error: Option<String>,
    /// Its init relays its output: its exit waits for `Closed`.
    relayed: bool,
    closed: bool,
    /// Its exit status, told by its init, held until its output is closed.
    held: Option<ExitStatus>,
}

pub struct Rules {
    nodes: Vec<NodeInfo>,
    procs: HashMap<ProcKey, Proc>,
    /// Exec failures that arrived before their process's start (the child can be faster than
    /// its parent's message about it).
    early_exec_errors: HashMap<ProcKey, String>,
    first_failure: Option<i32>,
    had_error: bool,
}

impl Names for Rules {
    fn node_path(&self, node: u32) -> &str {
        self.nodes.get(node as usize).map_or("?", |n| n.path.as_str())
    }

    fn process_name(&self, key: ProcKey) -> &str {
        if key.is_init() {
            return INIT_NAME;
        }
        self.procs.get(&key).map_or("?", |p| p.name.as_str())
    }
}

impl Rules {
    pub fn new(plan: &Plan) -> Rules {
        let nodes = plan
            .nodes
            .iter()
            .map(|n| NodeInfo {
                path: n.path.clone(),
                children: n.children.iter().map(|&c| c as u32).collect(),
                user_init: n.init.command.is_some(),
                declared: n.processes.len() as u32,
                started: Vec::new(),
            })
            .collect();
        Rules { nodes, procs: HashMap::new(), early_exec_errors: HashMap::new(), first_failure: None, had_error: false }
    }

    pub fn state(&self, key: ProcKey) -> Option<ProcState> {
        self.procs.get(&key).map(|p| p.state)
    }

    /// The host PID and start time of a process that has started.
    pub fn identity(&self, key: ProcKey) -> Option<(i32, u64)> {
        self.procs.get(&key).and_then(|p| Some((*p.nspid.first()?, p.start_time)))
    }

    /// Nodes whose PID 1 is the user's command and still runs, with its host PID: the host
    /// counts the zombies under them.
    pub fn running_user_inits(&self) -> Vec<(u32, i32)> {
        (0..self.nodes.len() as u32)
            .filter(|&n| self.nodes[n as usize].user_init)
            .filter_map(|n| {
                let p = self.procs.get(&ProcKey::init(n))?;
                (p.state == ProcState::Running).then(|| (n, *p.nspid.first().unwrap_or(&0)))
            })
            .collect()
    }

    fn error(&mut self, node: u32, message: &str, sink: &mut dyn Sink) {
        self.had_error = true;
        let node = if (node as usize) < self.nodes.len() { node } else { 0 };
        sink.event(self, &Event::Error { node, message });
    }

    /// Takes in one message of the tree.
    pub fn message(&mut self, msg: TreeMessage<'_>, sink: &mut dyn Sink) {
        match msg {
            TreeMessage::Start { key, name, nspid, start_time, command, relayed } => {
                if self.nodes.get(key.node as usize).is_none() {
                    return self.error(0, &format!("a start for node {} that the plan does not have", key.node), sink);
                }
                if self.procs.contains_key(&key) {
                    let path = self.node_path(key.node).to_string();
                    return self.error(key.node, &format!("{path}:{name} started twice"), sink);
                }
                let exec_error = self.early_exec_errors.remove(&key);
                let proc = Proc {
                    name,
                    nspid,
                    start_time,
                    state: ProcState::Running,
                    lines: Default::default(),
                    exec_error,
                    relayed,
                    closed: false,
                    held: None,
                };
                self.procs.insert(key, proc);
                if !key.is_init() {
                    self.nodes[key.node as usize].started.push(key);
                }
                let p = &self.procs[&key];
                sink.event(self, &Event::Start { key, nspid: &p.nspid, command: &command, start_time });
            }
            TreeMessage::Output { key, stream, bytes } => self.output(key, stream, bytes, sink),
            TreeMessage::ExecFailed { key, error } => match self.procs.get_mut(&key) {
                Some(p) => p.exec_error = Some(error),
                None => {
                    self.early_exec_errors.insert(key, error);
                }
            },
            TreeMessage::Exit { key, status } => self.exited(key, status, sink),
            TreeMessage::Closed { key } => self.closed(key, sink),
            TreeMessage::Reap { node, nspid, status } => sink.event(self, &Event::Reap { node, nspid: &nspid, status }),
            TreeMessage::Error { node, message } => self.error(node, &message, sink),
        }
    }

    fn output(&mut self, key: ProcKey, stream: Stream, bytes: &[u8], sink: &mut dyn Sink) {
        let Some(p) = self.procs.get_mut(&key) else {
            return self.error(key.node, &format!("output from a process that never started ({key:?})"), sink);
        };
        if p.state != ProcState::Running {
            let message = format!("output from {} after its exit", p.name);
            return self.error(key.node, &message, sink);
        }
        // The splitter is taken out while it emits, so the sink can look at everything else.
        let mut lines = std::mem::take(&mut p.lines[stream.index()]);
        lines.feed(bytes, &mut |bytes, newline| sink.event(self, &Event::Output { key, stream, bytes, newline }));
        if let Some(p) = self.procs.get_mut(&key) {
            p.lines[stream.index()] = lines;
        }
    }

    /// Its init reaped it: its exit now, or once its output is closed.
    fn exited(&mut self, key: ProcKey, status: ExitStatus, sink: &mut dyn Sink) {
        match self.procs.get_mut(&key) {
            Some(p) if p.state == ProcState::Running && p.relayed && !p.closed => p.held = Some(status),
            _ => self.exit(key, status, sink),
        }
    }

    /// Its init says its output is all relayed: its exit, if its init reaped it already.
    fn closed(&mut self, key: ProcKey, sink: &mut dyn Sink) {
        let Some(p) = self.procs.get_mut(&key) else {
            let message = format!("a close of a process that never started ({key:?})");
            return self.error(key.node, &message, sink);
        };
        p.closed = true;
        self.flush_lines(key, sink);
        if let Some(status) = self.procs.get_mut(&key).and_then(|p| p.held.take()) {
            self.exit(key, status, sink);
        }
    }

    /// A process ended: its last partial lines, then (for a namespace's init) whatever died with
    /// it unreported, then its exit.
    fn exit(&mut self, key: ProcKey, status: ExitStatus, sink: &mut dyn Sink) {
        match self.procs.get(&key).map(|p| p.state) {
            None => {
                let path = self.node_path(key.node).to_string();
                return self.error(key.node, &format!("an exit in {path} of a process that never started"), sink);
            }
            Some(ProcState::Exited(_)) => return,
            Some(ProcState::Running) => {}
        }
        self.flush_lines(key, sink);
        if key.is_init() && !self.nodes[key.node as usize].user_init {
            for lost in self.unreported_below(key.node) {
                self.flush_lines(lost, sink);
                // One whose init had told its exit (its output was still being relayed) ended
                // as told; the others were killed by the kernel with their namespace.
                match self.procs.get_mut(&lost).and_then(|p| p.held.take()) {
                    Some(status) => self.emit_exit(lost, status, None, sink),
                    None => self.emit_exit(lost, ExitStatus::killed(libc::SIGKILL), Some(KILLED_WITH_NAMESPACE), sink),
                }
            }
        }
        self.emit_exit(key, status, None, sink);
    }

    fn flush_lines(&mut self, key: ProcKey, sink: &mut dyn Sink) {
        for stream in [Stream::Stdout, Stream::Stderr] {
            let Some(p) = self.procs.get_mut(&key) else { return };
            let mut lines = std::mem::take(&mut p.lines[stream.index()]);
            lines.finish(&mut |bytes, newline| sink.event(self, &Event::Output { key, stream, bytes, newline }));
        }
    }

    fn emit_exit(&mut self, key: ProcKey, status: ExitStatus, reason: Option<&str>, sink: &mut dyn Sink) {
        let Some(p) = self.procs.get_mut(&key) else { return };
        p.state = ProcState::Exited(status);
        let error = p.exec_error.take();
        let node = &self.nodes[key.node as usize];
        // Declared processes and inits decide the tree's status; exec'd ones do not.
        let counts = key.is_init() || key.slot < node.declared;
        if counts && !status.success() {
            self.first_failure.get_or_insert(status.code);
        }
        sink.event(self, &Event::Exit { key, status, error: error.as_deref(), reason });
    }

    /// Every started, still running process in `node` and below, except `node`'s init: the
    /// namespaces below first (deepest first), each namespace's processes before its init.
    fn unreported_below(&self, node: u32) -> Vec<ProcKey> {
        let mut out = Vec::new();
        self.collect_unreported(node, &mut out);
        out
    }

    fn collect_unreported(&self, node: u32, out: &mut Vec<ProcKey>) {
        let info = &self.nodes[node as usize];
        for &child in &info.children {
            self.collect_unreported(child, out);
            let init = ProcKey::init(child);
            if self.state(init) == Some(ProcState::Running) {
                out.push(init);
            }
        }
        out.extend(info.started.iter().copied().filter(|k| self.state(*k) == Some(ProcState::Running)));
    }

    /// The zombies under a user's PID 1 changed.
    pub fn zombies(&mut self, node: u32, pids: &[i32], sink: &mut dyn Sink) {
        sink.event(self, &Event::Zombies { node, pids });
    }

    /// The host reaped the root init. Call once the event socket is drained.
    pub fn root_exited(&mut self, status: ExitStatus, sink: &mut dyn Sink) {
        self.exit(ProcKey::init(0), status, sink);
    }

    /// The tree is gone: `end`, with the tree's code (also returned).
    pub fn finish(&mut self, sink: &mut dyn Sink) -> i32 {
        if self.state(ProcKey::init(0)) == Some(ProcState::Running) {
            // Never reaped (should not happen): report it as the kernel would have ended it.
            self.root_exited(ExitStatus::killed(libc::SIGKILL), sink);
        }
        let code = self.first_failure.unwrap_or(if self.had_error { 1 } else { 0 });
        sink.event(self, &Event::End { code });
        code
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::events::write_ndjson;
    use pidns_model::{parse_spec, Limits};

    fn plan(spec: &str) -> Plan {
        Plan::from_spec(&parse_spec(spec, Limits::default()).unwrap())
    }

    /// The events as compact strings: "start root:web", "output root:web stdout hi", ...
    struct Log(Vec<String>);
    impl Sink for Log {
        fn event(&mut self, names: &dyn Names, e: &Event<'_>) {
            let who = |k: ProcKey| format!("{}:{}", names.node_path(k.node), names.process_name(k));
            self.0.push(match e {
                Event::Start { key, .. } => format!("start {}", who(*key)),
                Event::Output { key, stream, bytes, newline } => {
                    format!(
                        "output {} {} {}{}",
                        who(*key),
                        stream.name(),
                        String::from_utf8_lossy(bytes),
                        if *newline { "" } else { " (no newline)" }
                    )
                }
                Event::Exit { key, status, reason, error } => format!(
                    "exit {} {}{}{}",
                    who(*key),
                    status.code,
                    reason.map(|_| " (with namespace)").unwrap_or(""),
                    error.map(|e| format!(" ({e})")).unwrap_or_default()
                ),
                Event::Reap { node, .. } => format!("reap {}", names.node_path(*node)),
                Event::Zombies { node, pids } => format!("zombies {} {}", names.node_path(*node), pids.len()),
                Event::Error { node, message } => format!("error {} {message}", names.node_path(*node)),
                Event::End { code } => format!("end {code}"),
            });
        }
    }

    /// A start as an init sends it: declared processes (slots below 5 here) have their output
    /// relayed, inits and exec'd processes not.
    fn start(node: u32, slot: u32, name: &str) -> TreeMessage<'static> {
        TreeMessage::Start {
            key: ProcKey { node, slot },
            name: name.into(),
            nspid: vec![100 + slot as i32, 2],
            start_time: 1,
            command: vec!["x".into()],
            relayed: slot < 5,
        }
    }

    fn closed(node: u32, slot: u32) -> TreeMessage<'static> {
        TreeMessage::Closed { key: ProcKey { node, slot } }
    }

    const THREE: &str = r#"{"name":"root","processes":[{"name":"r1","command":["x"]}],
        "children":[{"name":"a","processes":[{"name":"a1","command":["x"]}],
            "children":[{"name":"b","processes":[{"name":"b1","command":["x"]}]}]}]}"#;

    fn started_three(rules: &mut Rules, log: &mut Log) {
        rules.message(start(0, u32::MAX, "init"), log);
        rules.message(start(0, 0, "r1"), log);
        rules.message(start(1, u32::MAX, "init"), log);
        rules.message(start(1, 0, "a1"), log);
        rules.message(start(2, u32::MAX, "init"), log);
        rules.message(start(2, 0, "b1"), log);
    }

    #[test]
    fn a_dead_init_takes_its_namespace_with_it_deepest_first() {
        let mut rules = Rules::new(&plan(THREE));
        let mut log = Log(vec![]);
        started_three(&mut rules, &mut log);
        log.0.clear();
        rules.message(TreeMessage::Exit { key: ProcKey::init(1), status: ExitStatus::killed(9) }, &mut log);
        assert_eq!(
            log.0,
            [
                "exit root/a/b:b1 137 (with namespace)",
                "exit root/a/b:init 137 (with namespace)",
                "exit root/a:a1 137 (with namespace)",
                "exit root/a:init 137",
            ]
        );
        log.0.clear();
        rules.message(TreeMessage::Exit { key: ProcKey { node: 0, slot: 0 }, status: ExitStatus::exited(0) }, &mut log);
        rules.message(closed(0, 0), &mut log);
        rules.root_exited(ExitStatus::exited(137), &mut log);
        assert_eq!(rules.finish(&mut log), 137);
        assert_eq!(log.0, ["exit root:r1 0", "exit root:init 137", "end 137"]);
    }

    #[test]
    fn output_is_lines_and_the_exit_comes_after_the_last_piece() {
        let mut rules = Rules::new(&plan(THREE));
        let mut log = Log(vec![]);
        started_three(&mut rules, &mut log);
        log.0.clear();
        let key = ProcKey { node: 0, slot: 0 };
        rules.message(TreeMessage::Output { key, stream: Stream::Stdout, bytes: b"one\ntw" }, &mut log);
        rules.message(TreeMessage::Output { key, stream: Stream::Stderr, bytes: b"err" }, &mut log);
        rules.message(TreeMessage::Output { key, stream: Stream::Stdout, bytes: b"o" }, &mut log);
        rules.message(TreeMessage::Exit { key, status: ExitStatus::exited(3) }, &mut log);
        assert_eq!(log.0.len(), 1, "the exit waits for the end of the output: {:?}", log.0);
        rules.message(TreeMessage::Output { key, stream: Stream::Stdout, bytes: b"\n" }, &mut log);
        rules.message(closed(0, 0), &mut log);
        assert_eq!(
            log.0,
            [
                "output root:r1 stdout one",
                "output root:r1 stdout two",
                "output root:r1 stderr err (no newline)",
                "exit root:r1 3",
            ]
        );
        rules.message(TreeMessage::Output { key, stream: Stream::Stdout, bytes: b"late" }, &mut log);
        assert!(log.0.last().unwrap().starts_with("error root output from r1 after its exit"));
    }

    #[test]
    fn exec_errors_may_come_before_their_start() {
        let mut rules = Rules::new(&plan(THREE));
        let mut log = Log(vec![]);
        rules.message(start(0, u32::MAX, "init"), &mut log);
        let key = ProcKey { node: 0, slot: 0 };
        rules.message(TreeMessage::ExecFailed { key, error: "cannot execute".into() }, &mut log);
        rules.message(start(0, 0, "r1"), &mut log);
        rules.message(closed(0, 0), &mut log);
        rules.message(TreeMessage::Exit { key, status: ExitStatus::exited(127) }, &mut log);
        assert_eq!(log.0, ["start root:init", "start root:r1", "exit root:r1 127 (cannot execute)"]);
    }

    #[test]
    fn no_exit_without_a_start_and_the_first_failure_decides() {
        let mut rules = Rules::new(&plan(THREE));
        let mut log = Log(vec![]);
        rules.message(start(0, u32::MAX, "init"), &mut log);
        rules.message(TreeMessage::Exit { key: ProcKey { node: 0, slot: 0 }, status: ExitStatus::exited(1) }, &mut log);
        assert!(log.0[1].starts_with("error root an exit in root of a process that never started"));
        // Exec'd processes (above the declared slots) never fail the tree.
        rules.message(start(0, 5, "exec-1"), &mut log);
        rules.message(TreeMessage::Exit { key: ProcKey { node: 0, slot: 5 }, status: ExitStatus::exited(9) }, &mut log);
        rules.message(start(0, 0, "r1"), &mut log);
        rules.message(TreeMessage::Exit { key: ProcKey { node: 0, slot: 0 }, status: ExitStatus::exited(4) }, &mut log);
        rules.message(closed(0, 0), &mut log);
        rules.root_exited(ExitStatus::exited(4), &mut log);
        assert_eq!(rules.finish(&mut log), 4);
    }

    #[test]
    fn an_error_alone_fails_the_tree_with_1() {
        let mut rules = Rules::new(&plan(THREE));
        let mut log = Log(vec![]);
        rules.message(start(0, u32::MAX, "init"), &mut log);
        rules.message(TreeMessage::Error { node: 0, message: "cannot fork".into() }, &mut log);
        rules.root_exited(ExitStatus::exited(0), &mut log);
        assert_eq!(rules.finish(&mut log), 1);
    }

    #[test]
    fn a_user_init_reports_nothing_for_its_processes() {
        let spec = r#"{"name":"root","children":[{"name":"u","init":{"command":["sleep","1"]},"processes":[{"name":"p","command":["x"]}]}]}"#;
        let mut rules = Rules::new(&plan(spec));
        let mut log = Log(vec![]);
        rules.message(start(0, u32::MAX, "init"), &mut log);
        rules.message(start(1, u32::MAX, "init"), &mut log);
        rules.message(start(1, 0, "p"), &mut log);
        assert_eq!(rules.running_user_inits(), vec![(1, 99)]);
        rules.message(TreeMessage::Exit { key: ProcKey::init(1), status: ExitStatus::killed(9) }, &mut log);
        rules.message(closed(1, u32::MAX), &mut log);
        // Its processes are children of our init one level up, which reports them itself.
        assert_eq!(log.0.last().unwrap(), "exit root/u:init 137");
        assert_eq!(rules.state(ProcKey { node: 1, slot: 0 }), Some(ProcState::Running));
    }

    #[test]
    fn an_exit_told_before_its_init_died_keeps_its_status() {
        let mut rules = Rules::new(&plan(THREE));
        let mut log = Log(vec![]);
        started_three(&mut rules, &mut log);
        log.0.clear();
        // a1 exited 0, but something it started still held its pipes when root/a's init died.
        rules.message(TreeMessage::Exit { key: ProcKey { node: 1, slot: 0 }, status: ExitStatus::exited(0) }, &mut log);
        rules.message(TreeMessage::Exit { key: ProcKey::init(1), status: ExitStatus::killed(9) }, &mut log);
        assert_eq!(
            log.0,
            [
                "exit root/a/b:b1 137 (with namespace)",
                "exit root/a/b:init 137 (with namespace)",
                "exit root/a:a1 0",
                "exit root/a:init 137",
            ]
        );
    }

    #[test]
    fn renders_through_the_documented_ndjson() {
        let mut rules = Rules::new(&plan(THREE));
        let mut out = Vec::new();
        let mut sink = |names: &dyn Names, e: &Event<'_>| write_ndjson(&mut out, names, e);
        rules.message(start(0, 0, "r1"), &mut sink);
        assert!(String::from_utf8(out)
            .unwrap()
            .starts_with("{\"event\":\"start\",\"node\":\"root\",\"process\":\"r1\",\"pid\":2,"));
    }
}
