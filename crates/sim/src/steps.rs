//! The steps a simulation plays, read from JSON (README "Simulating a tree: the steps").
//!
//! ```json
//! { "pids": { "root/c:init": { "root": 6 } },
//!   "steps": [
//!     { "op": "fork", "process": "root/a:worker", "child": "w2" },
//!     { "op": "exit", "process": "root/a:w2", "code": 3 },
//!     { "op": "kill", "from": "root/a:worker", "target": 4, "signal": "SIGTERM" },
//!     { "op": "kill", "from": "host", "target": "root/a", "signal": "SIGKILL" },
//!     { "op": "stop", "node": "root" } ] }
//! ```
//!
//! A bare array of steps is the same as `{"steps": [...]}`. `pids` (optional) pins start-up
//! PIDs where the default start order races (what a real run got), per process and level.
use pidns_model::json::{quote, Kind, Value};
use pidns_model::{parse_json, Plan, SpecError, INIT_NAME};

use crate::signal::Signal;

/// A process as a step names it: `node:process`, or `node` for its PID 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessRef {
    pub node: usize,
    /// `init` for the node's PID 1.
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A process (or a node's PID 1) by path; a process signals it by its PID in its own
    /// namespace (ESRCH when it has none there), the host through a pidfd.
    Path(ProcessRef),
    /// A number as the sender's namespace sees it: N, 0 (its group), -1 (all), -N (group N).
    Pid(i64),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sender {
    Host,
    Process(ProcessRef),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    Fork {
        process: ProcessRef,
        child: Option<String>,
    },
    Exit {
        process: ProcessRef,
        code: i32,
    },
    Exec {
        process: ProcessRef,
        command: Option<Vec<String>>,
    },
    Setsid {
        process: ProcessRef,
    },
    Subreaper {
        process: ProcessRef,
    },
    /// `signal` None: kill -0, the probe.
    Kill {
        from: Sender,
        target: Target,
        signal: Option<Signal>,
    },
    Stop {
        node: usize,
    },
    Enter {
        node: usize,
        name: Option<String>,
    },
}

impl Op {
    pub fn name(&self) -> &'static str {
        match self {
            Op::Fork { .. } => "fork",
            Op::Exit { .. } => "exit",
            Op::Exec { .. } => "exec",
            Op::Setsid { .. } => "setsid",
            Op::Subreaper { .. } => "subreaper",
            Op::Kill { .. } => "kill",
            Op::Stop { .. } => "stop",
            Op::Enter { .. } => "enter",
        }
    }
}

/// A start-up PID the caller pins: `process`'s PID in namespace `node` (a plan node index).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pin {
    pub process: ProcessRef,
    pub level_node: usize,
    pub pid: u32,
    pub path: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Steps {
    pub steps: Vec<Op>,
    pub pins: Vec<Pin>,
}

const OPS: &str = "\"fork\", \"exit\", \"exec\", \"setsid\", \"subreaper\", \"kill\", \"stop\" or \"enter\"";

struct Reader<'a> {
    plan: &'a Plan,
    errors: Vec<SpecError>,
}

/// Reads a steps document against the tree it will play on: node paths and names must
/// exist, except names that forks create (those are checked when the step plays).
pub fn parse_steps(text: &str, plan: &Plan) -> Result<Steps, Vec<SpecError>> {
    let value = parse_json(text).map_err(|e| vec![SpecError::from_json_error(&e)])?;
    let mut r = Reader { plan, errors: Vec::new() };
    let mut out = Steps::default();
    let list = match &value.kind {
        Kind::Array(items) => Some(("$".to_string(), items.as_slice())),
        Kind::Object(members) => {
            for m in members {
                if !matches!(m.key.as_str(), "steps" | "pids" | "$schema") {
                    r.error(
                        &format!("$.{}", m.key),
                        &m.value,
                        format!("unknown field {}", quote(&m.key)),
                        Some(
                            "a steps file has \"steps\" (the list) and, optionally, \"pids\" (start-up PIDs to assume)"
                                .into(),
                        ),
                    );
                }
            }
            if let Some(p) = value.get("pids") {
                out.pins = r.pins(p);
            }
            match value.get("steps") {
                Some(Value { kind: Kind::Array(items), .. }) => Some(("$.steps".to_string(), items.as_slice())),
                Some(v) => {
                    r.error("$.steps", v, format!("expected an array of steps, found {}", v.kind.describe()), None);
                    None
                }
                None => {
                    r.error(
                        "$",
                        &value,
                        "missing \"steps\"".into(),
                        Some("e.g. {\"steps\": [{\"op\": \"stop\", \"node\": \"root\"}]}".into()),
                    );
                    None
                }
            }
        }
        k => {
            r.error(
                "$",
                &value,
                format!("expected an array of steps or an object with \"steps\", found {}", k.describe()),
                None,
            );
            None
        }
    };
    if let Some((base, items)) = list {
        for (i, item) in items.iter().enumerate() {
            if let Some(op) = r.step(item, &format!("{base}[{i}]")) {
                out.steps.push(op);
            }
        }
    }
    if r.errors.is_empty() {
        Ok(out)
    } else {
        r.errors.sort_by_key(|e| e.pos);
        Err(r.errors)
    }
}

impl Reader<'_> {
    fn error(&mut self, path: &str, at: &Value, message: String, hint: Option<String>) {
        self.errors.push(SpecError::new(path, Some(at.pos), message, hint));
    }

    fn node(&mut self, v: &Value, path: &str) -> Option<usize> {
        let Some(s) = v.as_str() else {
            self.error(
                path,
                v,
                format!("expected a namespace path like \"root/a\", found {}", v.kind.describe()),
                None,
            );
            return None;
        };
        let found = self.plan.nodes.iter().position(|n| n.path == s);
        if found.is_none() {
            let known: Vec<String> = self.plan.nodes.iter().map(|n| quote(&n.path)).collect();
            self.error(
                path,
                v,
                format!("there is no namespace {}", quote(s)),
                Some(format!("the tree's namespaces: {}", known.join(", "))),
            );
        }
        found
    }

    /// `node:process` or `node` (its PID 1).
    fn process(&mut self, v: &Value, path: &str) -> Option<ProcessRef> {
        let Some(s) = v.as_str() else {
            self.error(
                path,
                v,
                format!("expected a process like \"root/a:worker\", found {}", v.kind.describe()),
                None,
            );
            return None;
        };
        let (node, name) = s.split_once(':').unwrap_or((s, INIT_NAME));
        let Some(idx) = self.plan.nodes.iter().position(|n| n.path == node) else {
            let known: Vec<String> = self.plan.nodes.iter().map(|n| quote(&n.path)).collect();
            self.error(
                path,
                v,
                format!("there is no namespace {} in the tree", quote(node)),
                Some(format!("the tree's namespaces: {}", known.join(", "))),
            );
            return None;
        };
        if name.is_empty() {
            self.error(
                path,
                v,
                format!("{} names no process", quote(s)),
                Some(format!("write {node}:NAME, or {node} for its PID 1")),
            );
            return None;
        }
        Some(ProcessRef { node: idx, name: name.to_string() })
    }

    /// A process that acts (forks, exits...): not pidns-tree's own init, which only takes signals.
    fn actor(&mut self, v: &Value, path: &str) -> Option<ProcessRef> {
        let p = self.process(v, path)?;
        if p.name == INIT_NAME && self.plan.nodes[p.node].init.command.is_none() {
            self.error(path, v, format!("PID 1 of {} is pidns-tree's init, which takes no steps", self.plan.nodes[p.node].path), Some(
                "steps act as a process of the tree or as the user's init.command; send pidns-tree's init signals with \"kill\" or \"stop\"".into(),
            ));
            return None;
        }
        Some(p)
    }

    fn name(&mut self, v: &Value, path: &str) -> Option<String> {
        match v.as_str() {
            Some(s)
                if !s.is_empty()
                    && s != INIT_NAME
                    && s.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)) =>
            {
                Some(s.to_string())
            }
            _ => {
                self.error(
                    path,
                    v,
                    "expected a process name (letters, digits, '.', '_', '-'; not \"init\")".into(),
                    None,
                );
                None
            }
        }
    }

    fn field<'v>(&mut self, item: &'v Value, key: &str, path: &str, example: &str) -> Option<&'v Value> {
        let v = item.get(key);
        if v.is_none() {
            self.error(path, item, format!("missing {}", quote(key)), Some(format!("e.g. {example}")));
        }
        v
    }

    fn step(&mut self, item: &Value, path: &str) -> Option<Op> {
        let Some(members) = item.as_object() else {
            self.error(
                path,
                item,
                format!("expected a step object, found {}", item.kind.describe()),
                Some("e.g. {\"op\": \"fork\", \"process\": \"root:web\"}".into()),
            );
            return None;
        };
        let op = match item.get("op") {
            Some(o) => o,
            None => {
                self.error(path, item, "missing \"op\"".into(), Some(format!("\"op\" is one of {OPS}")));
                return None;
            }
        };
        let allowed: &[&str] = match op.as_str() {
            Some("fork") => &["op", "process", "child"],
            Some("exit") => &["op", "process", "code"],
            Some("exec") => &["op", "process", "command"],
            Some("setsid") | Some("subreaper") => &["op", "process"],
            Some("kill") => &["op", "from", "target", "signal"],
            Some("stop") => &["op", "node"],
            Some("enter") => &["op", "node", "name"],
            _ => {
                self.error(
                    &format!("{path}.op"),
                    op,
                    format!("unknown op {}", pidns_model::json::quote(op.as_str().unwrap_or("?"))),
                    Some(format!("\"op\" is one of {OPS}")),
                );
                return None;
            }
        };
        let mut ok = true;
        for m in members {
            if !allowed.contains(&m.key.as_str()) {
                let list: Vec<String> = allowed.iter().map(|a| quote(a)).collect();
                self.error(
                    &format!("{path}.{}", m.key),
                    &m.value,
                    format!("unknown field {} for a {} step", quote(&m.key), op.as_str().unwrap_or("?")),
                    Some(format!("its fields: {}", list.join(", "))),
                );
                ok = false;
            }
        }
        let at = |k: &str| format!("{path}.{k}");
        let result = match op.as_str().unwrap_or_default() {
            "fork" => {
                let process = self
                    .field(item, "process", path, "\"process\": \"root:web\"")
                    .and_then(|v| self.actor(v, &at("process")));
                let child = match item.get("child") {
                    Some(c) => Some(self.name(c, &at("child"))?),
                    None => None,
                };
                process.map(|process| Op::Fork { process, child })
            }
            "exit" => {
                let process = self
                    .field(item, "process", path, "\"process\": \"root:web\"")
                    .and_then(|v| self.actor(v, &at("process")));
                let code = match item.get("code") {
                    None => Some(0),
                    Some(c) => match c.as_i64() {
                        Some(n) if (0..=255).contains(&n) => Some(n as i32),
                        _ => {
                            self.error(
                                &at("code"),
                                c,
                                "expected an exit code from 0 to 255".into(),
                                Some("to end a process by a signal, use a \"kill\" step".into()),
                            );
                            None
                        }
                    },
                };
                process.zip(code).map(|(process, code)| Op::Exit { process, code })
            }
            "exec" => {
                let process = self
                    .field(item, "process", path, "\"process\": \"root:web\"")
                    .and_then(|v| self.actor(v, &at("process")));
                let command = match item.get("command") {
                    None => None,
                    Some(c) => match c
                        .as_array()
                        .map(|a| a.iter().map(|s| s.as_str().map(str::to_string)).collect::<Option<Vec<_>>>())
                    {
                        Some(Some(cmd)) if !cmd.is_empty() => Some(cmd),
                        _ => {
                            self.error(&at("command"), c, "expected a non-empty array of strings".into(), None);
                            return None;
                        }
                    },
                };
                process.map(|process| Op::Exec { process, command })
            }
            "setsid" => self
                .field(item, "process", path, "\"process\": \"root:web\"")
                .and_then(|v| self.actor(v, &at("process")))
                .map(|process| Op::Setsid { process }),
            "subreaper" => self
                .field(item, "process", path, "\"process\": \"root:web\"")
                .and_then(|v| self.actor(v, &at("process")))
                .map(|process| Op::Subreaper { process }),
            "kill" => self.kill(item, path),
            "stop" => self
                .field(item, "node", path, "\"node\": \"root/a\"")
                .and_then(|v| self.node(v, &at("node")))
                .map(|node| Op::Stop { node }),
            "enter" => {
                let node =
                    self.field(item, "node", path, "\"node\": \"root/a\"").and_then(|v| self.node(v, &at("node")));
                let name = match item.get("name") {
                    Some(n) => Some(self.name(n, &at("name"))?),
                    None => None,
                };
                node.map(|node| Op::Enter { node, name })
            }
            _ => None,
        };
        if ok {
            result
        } else {
            None
        }
    }

    fn kill(&mut self, item: &Value, path: &str) -> Option<Op> {
        let from = match self.field(item, "from", path, "\"from\": \"host\" or \"from\": \"root:web\"") {
            Some(v) if v.as_str() == Some("host") => Some(Sender::Host),
            Some(v) => self.actor(v, &format!("{path}.from")).map(Sender::Process),
            None => None,
        };
        let target = match self.field(
            item,
            "target",
            path,
            "\"target\": \"root/a:worker\", or a PID as the sender sees it: 4",
        ) {
            Some(v) => match &v.kind {
                Kind::String(_) => self.process(v, &format!("{path}.target")).map(Target::Path),
                Kind::Number { .. } => match v.as_i64() {
                    Some(n) if n.unsigned_abs() <= u64::from(u32::MAX) => Some(Target::Pid(n)),
                    _ => {
                        self.error(&format!("{path}.target"), v, "expected a whole PID".into(), None);
                        None
                    }
                },
                k => {
                    self.error(
                        &format!("{path}.target"),
                        v,
                        format!("expected a process path or a PID, found {}", k.describe()),
                        None,
                    );
                    None
                }
            },
            None => None,
        };
        if let (Some(Sender::Host), Some(Target::Pid(_))) = (&from, &target) {
            let v = item.get("target").unwrap_or(item);
            self.error(
                &format!("{path}.target"),
                v,
                "the host names processes by path here".into(),
                Some(
                    "the model has no host PIDs: write the target as \"node:process\" (or \"node\" for its PID 1)"
                        .into(),
                ),
            );
            return None;
        }
        let signal = match item.get("signal") {
            None => Some(Signal::TERM),
            Some(v) => {
                let text = match &v.kind {
                    Kind::String(s) => Some(s.clone()),
                    Kind::Number { raw, .. } => Some(raw.clone()),
                    _ => None,
                };
                if text.as_deref() == Some("0") {
                    None
                } else {
                    match text.as_deref().and_then(Signal::parse) {
                        Some(s) => Some(s),
                        None => {
                            self.error(&format!("{path}.signal"), v, format!("unknown signal {}", text.map(|t| quote(&t)).unwrap_or_else(|| v.kind.describe().into())), Some(
                                "a name (\"SIGTERM\", \"KILL\"), a number from 1 to 64, or 0 to only check the target exists".into(),
                            ));
                            return None;
                        }
                    }
                }
            }
        };
        Some(Op::Kill { from: from?, target: target?, signal })
    }

    fn pins(&mut self, v: &Value) -> Vec<Pin> {
        let Some(members) = v.as_object() else {
            self.error(
                "$.pids",
                v,
                format!("expected an object, found {}", v.kind.describe()),
                Some("e.g. \"pids\": {\"root/c:init\": {\"root\": 6}}".into()),
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for m in members {
            let at = format!("$.pids[{}]", quote(&m.key));
            let key = Value { kind: Kind::String(m.key.clone()), pos: m.key_pos };
            let Some(process) = self.process(&key, &at) else { continue };
            let Some(levels) = m.value.as_object() else {
                self.error(
                    &at,
                    &m.value,
                    "expected an object of PIDs by namespace path".into(),
                    Some("e.g. {\"root\": 6}".into()),
                );
                continue;
            };
            for l in levels {
                let lat = format!("{at}[{}]", quote(&l.key));
                let level = self.plan.nodes.iter().position(|n| n.path == l.key);
                let pid = l.value.as_i64().filter(|&n| n >= 1 && n <= i64::from(u32::MAX));
                match (level, pid) {
                    (Some(level_node), Some(pid)) => {
                        out.push(Pin { process: process.clone(), level_node, pid: pid as u32, path: lat })
                    }
                    (None, _) => self.error(&lat, &l.value, format!("there is no namespace {}", quote(&l.key)), None),
                    (_, None) => self.error(&lat, &l.value, "expected a PID (a whole number from 1)".into(), None),
                }
            }
        }
        out
    }
}
