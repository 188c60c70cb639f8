//! The flat plan: the validated tree in depth-first pre-order.
//!
//! The init that spawns the namespaces walks a list rather than a tree, and
//! the plan crosses a pipe from the Node binding as JSON, so it has its own
//! compact (de)serialisation here, checked for consistency on the way in.

use crate::json_read::Reader;
use crate::json_write::{Buf, JsonObject};
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
        JsonObject::new()
            .objects("nodes", &self.nodes, |o, n| {
                o.str("path", &n.path)
                    .str("name", &n.name)
                    .int("depth", i64::from(n.depth))
                    .opt_int("parent", n.parent.map(|p| p as i64))
                    .ints("children", &n.children)
                    .bool("mountProc", n.mount_proc)
                    .objects("processes", &n.processes, process_fields)
                    .object("init", |o| {
                        let o = o
                            .str("forward", n.init.forward.as_str())
                            .int("stopTimeoutMs", n.init.stop_timeout_ms as i64);
                        match &n.init.command {
                            Some(p) => o.object("command", |o| process_fields(o, p)),
                            None => o.null("command"),
                        }
                    })
            })
            .bool("reproduciblePids", self.reproducible_pids)
            .finish()
    }

    /// Reads `to_json` output, rejecting anything inconsistent: the reader
    /// (the native init) indexes by these numbers and must not panic. Read with the pull
    /// reader: an init forks every namespace below it from its own memory, which must hold
    /// the plan and nothing else.
    pub fn from_json(text: &str) -> Result<Plan, String> {
        let mut r = Reader::new(text, "plan");
        let mut nodes = None;
        // Absent in plans written before the field existed: the default start order.
        let mut reproducible_pids = false;
        r.object(|r, key| match key {
            "nodes" => {
                nodes = Some(r.list(read_node)?);
                Ok(())
            }
            "reproduciblePids" => {
                reproducible_pids = r.bool()?;
                Ok(())
            }
            _ => r.skip(),
        })?;
        r.end()?;
        let nodes = nodes.ok_or("plan.nodes is missing")?;
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

/// A process's members (a plan's processes and user inits, an exec request's process, see
/// pidns_core::wire::control), as [`read_process`] reads them back.
pub fn process_fields<'b, B: Buf>(o: JsonObject<&'b mut B>, p: &ProcessSpec) -> JsonObject<&'b mut B> {
    let o = o
        .str("name", &p.name)
        .strs("command", &p.command)
        .object("env", |mut env| {
            for (k, v) in &p.env {
                env = env.str_at(k, v);
            }
            env
        })
        .opt_str("cwd", p.cwd.as_deref());
    // Only when set: a plan without terminals reads as it did before `tty` existed.
    if p.tty {
        o.bool("tty", true)
    } else {
        o
    }
}

/// A required member read by an object callback.
fn required<T>(r: &Reader<'_>, value: Option<T>, key: &str) -> Result<T, String> {
    value.ok_or_else(|| r.error(&format!("{key} is missing")))
}

fn read_init(r: &mut Reader<'_>) -> Result<InitSpec, String> {
    let (mut forward, mut stop, mut command) = (None, None, None);
    r.object(|r, key| {
        match key {
            "forward" => {
                let name = r.string()?;
                forward = Some(Forward::parse(&name).ok_or_else(|| r.error(&format!("unknown mode {name:?}")))?);
            }
            "stopTimeoutMs" => stop = Some(r.u64()?),
            "command" if r.is_null() => {
                r.null()?;
                command = Some(None);
            }
            "command" => command = Some(Some(read_process(r)?)),
            _ => r.skip()?,
        }
        Ok(())
    })?;
    Ok(InitSpec {
        forward: required(r, forward, "forward")?,
        stop_timeout_ms: required(r, stop, "stopTimeoutMs")?,
        command: required(r, command, "command")?,
    })
}

fn read_node(r: &mut Reader<'_>) -> Result<PlanNode, String> {
    let (mut path, mut name, mut depth, mut parent, mut children) = (None, None, None, None, None);
    let (mut mount_proc, mut processes, mut init) = (None, None, None);
    r.object(|r, key| {
        match key {
            "path" => path = Some(r.string()?),
            "name" => name = Some(r.string()?),
            "depth" => depth = Some(r.u32()?),
            "parent" if r.is_null() => {
                r.null()?;
                parent = Some(None);
            }
            "parent" => parent = Some(Some(index(r)?)),
            "children" => children = Some(r.list(index)?),
            "mountProc" => mount_proc = Some(r.bool()?),
            "processes" => processes = Some(r.list(read_process)?),
            "init" => init = Some(read_init(r)?),
            _ => r.skip()?,
        }
        Ok(())
    })?;
    Ok(PlanNode {
        path: required(r, path, "path")?,
        name: required(r, name, "name")?,
        depth: required(r, depth, "depth")?,
        parent: required(r, parent, "parent")?,
        children: required(r, children, "children")?,
        mount_proc: required(r, mount_proc, "mountProc")?,
        processes: required(r, processes, "processes")?,
        init: required(r, init, "init")?,
    })
}

/// An object of [`process_fields`].
pub fn read_process(r: &mut Reader<'_>) -> Result<ProcessSpec, String> {
    read_process_with(r, |r, _| r.skip())
}

/// An object of [`process_fields`] and other members, which `other(reader, key)` reads (it
/// must consume the member's value): an exec request's `node`.
pub fn read_process_with<'a>(
    r: &mut Reader<'a>,
    mut other: impl FnMut(&mut Reader<'a>, &str) -> Result<(), String>,
) -> Result<ProcessSpec, String> {
    let (mut name, mut command, mut env, mut cwd) = (None, None, None, None);
    // Optional: plans written before `tty` existed have none.
    let mut tty = false;
    r.object(|r, key| {
        match key {
            "name" => name = Some(r.string()?),
            "command" => {
                let argv = r.strings()?;
                if argv.first().is_none_or(|c| c.is_empty()) {
                    return Err(r.error("has no program to run"));
                }
                command = Some(argv);
            }
            "env" => env = Some(r.string_map()?),
            "cwd" if r.is_null() => {
                r.null()?;
                cwd = Some(None);
            }
            "cwd" => cwd = Some(Some(r.string()?)),
            "tty" => tty = r.bool()?,
            _ => other(r, key)?,
        }
        Ok(())
    })?;
    Ok(ProcessSpec {
        name: required(r, name, "name")?,
        command: required(r, command, "command")?,
        env: required(r, env, "env")?,
        cwd: required(r, cwd, "cwd")?,
        tty,
    })
}

fn index(r: &mut Reader<'_>) -> Result<usize, String> {
    let n = r.u64()?;
    usize::try_from(n).map_err(|_| r.error("is too large"))
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
