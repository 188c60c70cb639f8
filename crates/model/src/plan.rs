//! The flat plan: the validated tree in depth-first pre-order.
//!
//! The init that spawns the namespaces walks a list rather than a tree, and
//! the plan crosses a pipe from the Node binding as JSON, so it has its own
//! compact (de)serialisation here, checked for consistency on the way in.

use crate::json::{self, write_string, Kind, Member, Value};
use crate::spec::{Forward, InitSpec, ProcessSpec, TreeSpec};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Pre-order: a parent always comes before its children; `nodes[0]` is the root.
    pub nodes: Vec<PlanNode>,
    /// The tree asked for reproducible PIDs (`"reproduciblePids": true`, or
    /// `spawn --reproducible-pids`). The init then creates every namespace's PID 1 and every
    /// process in **plan order**, one at a time, each held at a barrier before it runs its
    /// program, so that nothing else takes a PID number first:
    ///
    /// 1. Walk `nodes` in their order (depth-first pre-order: a node, then its children's
    ///    subtrees in spec order).
    /// 2. For each node: first its PID 1 (the root init; for another node, the clone of its
    ///    init, or of the user's `init.command`, by its parent's init), then each of its
    ///    `processes` in spec order (forked by its init; for a node whose PID 1 is the user's
    ///    command, forked into it by its parent's init through setns), then its children's
    ///    subtrees.
    /// 3. A node's subtree is complete before its next sibling's PID 1 is created.
    ///
    /// A namespace hands out PIDs from 1 and each process takes the next number at every level
    /// from its own up to the root, so in namespace `X` the k-th item of this order that lies
    /// in `X`'s subtree (counting `X`'s own PID 1 as the first) gets PID k. pidns-sim's
    /// `startup` module computes exactly these numbers; a test can then assert "worker is
    /// PID 7 in root".
    pub reproducible_pids: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanNode {
    /// Names joined by '/', e.g. "root/a/b".
    pub path: String,
    pub name: String,
    /// The root is 1.
    pub depth: u32,
    /// Index into `Plan::nodes`.
    pub parent: Option<usize>,
    /// Indices into `Plan::nodes`, in spec order.
    pub children: Vec<usize>,
    pub mount_proc: bool,
    pub processes: Vec<ProcessSpec>,
    pub init: InitSpec,
}

impl Plan {
    pub fn from_spec(spec: &TreeSpec) -> Plan {
        let mut nodes = Vec::new();
        push(&mut nodes, spec, None);
        Plan { nodes, reproducible_pids: spec.reproducible_pids }
    }

    /// Compact JSON; `from_json` reads it back.
    pub fn to_json(&self) -> String {
        let mut out = String::from("{\"nodes\":[");
        for (i, n) in self.nodes.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str("{\"path\":");
            write_string(&mut out, &n.path);
            out.push_str(",\"name\":");
            write_string(&mut out, &n.name);
            out.push_str(&format!(",\"depth\":{},\"parent\":", n.depth));
            match n.parent {
                Some(p) => out.push_str(&p.to_string()),
                None => out.push_str("null"),
            }
            let children: Vec<String> = n.children.iter().map(|c| c.to_string()).collect();
            out.push_str(&format!(",\"children\":[{}],\"mountProc\":{}", children.join(","), n.mount_proc));
            out.push_str(",\"processes\":[");
            for (j, p) in n.processes.iter().enumerate() {
                if j > 0 {
                    out.push(',');
                }
                write_process(&mut out, p);
            }
            out.push_str("],\"init\":");
            write_init(&mut out, &n.init);
            out.push('}');
        }
        out.push_str(&format!("],\"reproduciblePids\":{}}}", self.reproducible_pids));
        out
    }

    /// Reads `to_json` output, rejecting anything inconsistent: the reader
    /// (the native init) indexes by these numbers and must not panic.
    pub fn from_json(text: &str) -> Result<Plan, String> {
        let v = json::parse(text).map_err(|e| format!("plan is not valid JSON: {e}"))?;
        let top = object(&v, "plan")?;
        let items = array(field(top, "nodes", "plan")?, "plan.nodes")?;
        // Absent in plans written before the field existed: the default start order.
        let reproducible_pids = match top.iter().find(|m| m.key == "reproduciblePids") {
            Some(m) => boolean(&m.value, "plan.reproduciblePids")?,
            None => false,
        };
        let mut nodes = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            nodes.push(read_node(item, &format!("plan.nodes[{i}]"))?);
        }
        check(&nodes)?;
        Ok(Plan { nodes, reproducible_pids })
    }
}

fn push(nodes: &mut Vec<PlanNode>, spec: &TreeSpec, parent: Option<usize>) -> usize {
    let (path, depth) = match parent {
        Some(p) => (format!("{}/{}", nodes[p].path, spec.name), nodes[p].depth + 1),
        None => (spec.name.clone(), 1),
    };
    let index = nodes.len();
    nodes.push(PlanNode {
        path,
        name: spec.name.clone(),
        depth,
        parent,
        children: Vec::new(),
        mount_proc: spec.mount_proc,
        processes: spec.processes.clone(),
        init: spec.init.clone(),
    });
    for child in &spec.children {
        let c = push(nodes, child, Some(index));
        nodes[index].children.push(c);
    }
    index
}

fn write_process(out: &mut String, p: &ProcessSpec) {
    out.push_str("{\"name\":");
    write_string(out, &p.name);
    out.push_str(",\"command\":[");
    for (i, arg) in p.command.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_string(out, arg);
    }
    out.push_str("],\"env\":{");
    for (i, (k, v)) in p.env.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_string(out, k);
        out.push(':');
        write_string(out, v);
    }
    out.push_str("},\"cwd\":");
    match &p.cwd {
        Some(c) => write_string(out, c),
        None => out.push_str("null"),
    }
    out.push('}');
}

fn write_init(out: &mut String, init: &InitSpec) {
    out.push_str("{\"forward\":");
    write_string(out, init.forward.as_str());
    out.push_str(&format!(",\"stopTimeoutMs\":{},\"command\":", init.stop_timeout_ms));
    match &init.command {
        Some(p) => write_process(out, p),
        None => out.push_str("null"),
    }
    out.push('}');
}

fn read_init(v: &Value, at: &str) -> Result<InitSpec, String> {
    let m = object(v, at)?;
    let forward = string(field(m, "forward", at)?, &format!("{at}.forward"))?;
    let forward = Forward::parse(&forward).ok_or_else(|| format!("{at}.forward: unknown mode {forward:?}"))?;
    let stop_timeout_ms = index(field(m, "stopTimeoutMs", at)?, &format!("{at}.stopTimeoutMs"))? as u64;
    let command = field(m, "command", at)?;
    let command = match &command.kind {
        Kind::Null => None,
        _ => Some(read_process(command, &format!("{at}.command"))?),
    };
    Ok(InitSpec { forward, stop_timeout_ms, command })
}

fn read_node(v: &Value, at: &str) -> Result<PlanNode, String> {
    let m = object(v, at)?;
    let parent = match &field(m, "parent", at)?.kind {
        Kind::Null => None,
        _ => Some(index(field(m, "parent", at)?, &format!("{at}.parent"))?),
    };
    let children = array(field(m, "children", at)?, &format!("{at}.children"))?
        .iter()
        .enumerate()
        .map(|(i, c)| index(c, &format!("{at}.children[{i}]")))
        .collect::<Result<Vec<_>, _>>()?;
    let depth = index(field(m, "depth", at)?, &format!("{at}.depth"))?;
    let processes = array(field(m, "processes", at)?, &format!("{at}.processes"))?
        .iter()
        .enumerate()
        .map(|(i, p)| read_process(p, &format!("{at}.processes[{i}]")))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(PlanNode {
        path: string(field(m, "path", at)?, &format!("{at}.path"))?,
        name: string(field(m, "name", at)?, &format!("{at}.name"))?,
        depth: u32::try_from(depth).map_err(|_| format!("{at}.depth is too large"))?,
        parent,
        children,
        mount_proc: boolean(field(m, "mountProc", at)?, &format!("{at}.mountProc"))?,
        processes,
        init: read_init(field(m, "init", at)?, &format!("{at}.init"))?,
    })
}

fn read_process(v: &Value, at: &str) -> Result<ProcessSpec, String> {
    let m = object(v, at)?;
    let command = array(field(m, "command", at)?, &format!("{at}.command"))?
        .iter()
        .enumerate()
        .map(|(i, a)| string(a, &format!("{at}.command[{i}]")))
        .collect::<Result<Vec<_>, _>>()?;
    if command.first().is_none_or(|c| c.is_empty()) {
        return Err(format!("{at}.command has no program to run"));
    }
    let env = object(field(m, "env", at)?, &format!("{at}.env"))?
        .iter()
        .map(|e| Ok((e.key.clone(), string(&e.value, &format!("{at}.env.{}", e.key))?)))
        .collect::<Result<Vec<_>, String>>()?;
    let cwd = match &field(m, "cwd", at)?.kind {
        Kind::Null => None,
        Kind::String(s) => Some(s.clone()),
        _ => return Err(format!("{at}.cwd: expected a string or null")),
    };
    Ok(ProcessSpec { name: string(field(m, "name", at)?, &format!("{at}.name"))?, command, env, cwd })
}

/// The structural invariants `from_spec` guarantees.
fn check(nodes: &[PlanNode]) -> Result<(), String> {
    if nodes.is_empty() {
        return Err("plan.nodes is empty".into());
    }
    let mut expected_children: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
    for (i, n) in nodes.iter().enumerate() {
        let at = format!("plan.nodes[{i}]");
        let (path, depth) = match n.parent {
            None if i == 0 => (n.name.clone(), 1),
            None => return Err(format!("{at} has no parent but is not the first node")),
            Some(p) if p >= i => return Err(format!("{at}.parent ({p}) is not an earlier node")),
            Some(p) => {
                expected_children[p].push(i);
                (format!("{}/{}", nodes[p].path, n.name), nodes[p].depth.saturating_add(1))
            }
        };
        if i == 0 && n.parent.is_some() {
            return Err(format!("{at} is the root but has a parent"));
        }
        if n.path != path {
            return Err(format!("{at}.path is {:?}, expected {:?}", n.path, path));
        }
        if n.depth != depth {
            return Err(format!("{at}.depth is {}, expected {depth}", n.depth));
        }
    }
    for (i, (n, expected)) in nodes.iter().zip(&expected_children).enumerate() {
        if &n.children != expected {
            return Err(format!(
                "plan.nodes[{i}].children is {:?}, but the parent links say {:?}",
                n.children, expected
            ));
        }
    }
    Ok(())
}

fn object<'v>(v: &'v Value, at: &str) -> Result<&'v [Member], String> {
    match &v.kind {
        Kind::Object(m) => Ok(m),
        k => Err(format!("{at}: expected an object, found {}", k.describe())),
    }
}

fn array<'v>(v: &'v Value, at: &str) -> Result<&'v [Value], String> {
    match &v.kind {
        Kind::Array(a) => Ok(a),
        k => Err(format!("{at}: expected an array, found {}", k.describe())),
    }
}

fn field<'v>(m: &'v [Member], key: &str, at: &str) -> Result<&'v Value, String> {
    m.iter().find(|m| m.key == key).map(|m| &m.value).ok_or_else(|| format!("{at}.{key} is missing"))
}

fn string(v: &Value, at: &str) -> Result<String, String> {
    match &v.kind {
        Kind::String(s) => Ok(s.clone()),
        k => Err(format!("{at}: expected a string, found {}", k.describe())),
    }
}

fn boolean(v: &Value, at: &str) -> Result<bool, String> {
    match &v.kind {
        Kind::Bool(b) => Ok(*b),
        k => Err(format!("{at}: expected a boolean, found {}", k.describe())),
    }
}

fn index(v: &Value, at: &str) -> Result<usize, String> {
    match &v.kind {
        // Integers are exact in f64 up to 2^53, far beyond any real plan.
        Kind::Number { value, .. } if value.fract() == 0.0 && *value >= 0.0 && *value <= 9_007_199_254_740_992.0 => {
            usize::try_from(*value as u64).map_err(|_| format!("{at} is too large"))
        }
        k => Err(format!("{at}: expected a non-negative integer, found {}", k.describe())),
    }
}
