//! `pidns-init --supervise DIR --id ID [--name NAME] [--mode MODE]`: own a tree detached from
//! the CLI. Reads the plan on stdin; writes `ready` (or `failed: why`) on stdout once the tree is
//! up; serves DIR/control.sock; keeps DIR/info.json; removes DIR when the tree has ended.
use std::io::{Read, Write};
use std::os::fd::AsFd;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::PathBuf;
use std::sync::atomic::AtomicU32;
use std::sync::Arc;

use super::server::{serve, Server};
use super::state::{Recorded, Shared};
use crate::host::collector::Collector;
use crate::host::events::{Event, Names};
use crate::host::output::Output;
use crate::host::registry::Registry;
use crate::host::rules::Sink;
use crate::host::spawn::{spawn_root, Isolation};
use crate::json_out::JsonObject;
use crate::sys::fd;

pub struct Options {
    pub dir: PathBuf,
    pub id: String,
    pub name: String,
    pub isolation: Isolation,
}

/// The start time of process `pid` in clock ticks since boot (/proc/PID/stat, field 22): with
/// the PID it identifies a process for good, so stale state is told from a live tree.
pub fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = &stat[stat.rfind(')')? + 2..];
    after.split_whitespace().nth(19)?.parse().ok()
}

fn say(line: &str) {
    let mut out = std::io::stdout();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

pub fn supervise(o: Options) -> i32 {
    match run(&o) {
        Ok(code) => code,
        Err(why) => {
            say(&format!("failed: {why}"));
            let _ = std::fs::remove_dir_all(&o.dir);
            125
        }
    }
}

fn run(o: &Options) -> Result<i32, String> {
    let mut plan_json = String::new();
    std::io::stdin().read_to_string(&mut plan_json).map_err(|e| format!("reading the plan: {e}"))?;
    let plan = pidns_model::Plan::from_json(&plan_json)?;
    if let Some(parent) = o.dir.parent() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(parent)
            .map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    std::fs::DirBuilder::new().mode(0o700).create(&o.dir).map_err(|e| format!("{}: {e}", o.dir.display()))?;
    std::fs::set_permissions(&o.dir, std::fs::Permissions::from_mode(0o700)).map_err(|e| e.to_string())?;

    let init = std::env::current_exe().map_err(|e| e.to_string())?;
    let tree = spawn_root(&init, &plan_json, o.isolation).map_err(|e| e.to_string())?;
    let root = Arc::new(fd::dup_high(tree.pidfd.as_fd(), 3).map_err(|e| e.desc().to_string())?);
    let registry = Registry::new(&plan, &tree.token);
    let shared = Arc::new(Shared::default());
    let server = Arc::new(Server {
        shared: shared.clone(),
        registry: registry.clone(),
        root,
        plan: plan.clone(),
        execs: AtomicU32::new(0),
    });
    serve(&o.dir.join("control.sock"), server)?;
    write_info(o, &plan, tree.pid.as_raw())?;

    let expected = plan.nodes.iter().map(|n| 1 + n.processes.len()).sum::<usize>();
    let mut out = Recorder { shared: &shared, expected, starts: 0, ready: false };
    let code = Collector::new(tree, &plan, registry, &mut out, None).run();
    let _ = std::fs::remove_dir_all(&o.dir);
    // Let clients waiting for the end get their answer before we go (at most a second).
    let st = shared.state.lock().unwrap_or_else(|e| e.into_inner());
    let _ = shared.changed.wait_timeout_while(st, std::time::Duration::from_secs(1), |st| st.replying > 0);
    Ok(code)
}

/// The supervisor's destination for events: its state (for ps, exec, wait), and `ready` on
/// stdout once every process of the tree has started (`failed: why` if it never will).
struct Recorder<'a> {
    shared: &'a Shared,
    expected: usize,
    starts: usize,
    ready: bool,
}

impl Sink for Recorder<'_> {
    fn event(&mut self, names: &dyn Names, event: &Event<'_>) {
        let kind = self.shared.record(names, event);
        if self.ready {
            return;
        }
        if kind == Recorded::Start {
            self.starts += 1;
        }
        if self.starts == self.expected {
            self.ready = true;
            say("ready");
        } else if let Event::Error { node, message } = event {
            self.ready = true;
            say(&format!("failed: {}: {message}", names.node_path(*node)));
        } else if kind == Recorded::End {
            self.ready = true;
            say("failed: the tree ended before every process had started");
        }
    }
}

impl Output for Recorder<'_> {
    fn flush(&mut self) -> bool {
        true
    }
}

fn write_info(o: &Options, plan: &pidns_model::Plan, root_pid: i32) -> Result<(), String> {
    let me = std::process::id();
    let now =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0);
    let info = JsonObject::new()
        .str("id", &o.id)
        .str("name", &o.name)
        .int("pid", me as i64)
        .int("startTime", start_time(me).unwrap_or(0) as i64)
        .int("rootPid", root_pid as i64)
        .str("root", &plan.nodes[0].path)
        .int("namespaces", plan.nodes.len() as i64)
        .str("mode", o.isolation.name())
        .int("createdAt", now)
        .finish();
    // Written whole, then renamed: a reader never sees half a file.
    let tmp = o.dir.join("info.json.tmp");
    std::fs::write(&tmp, info).map_err(|e| e.to_string())?;
    std::fs::rename(&tmp, o.dir.join("info.json")).map_err(|e| e.to_string())
}

/// Parses `--supervise DIR --id ID [--name NAME] [--mode auto|rootless|privileged]`.
pub fn parse_args(args: &[String]) -> Result<Options, String> {
    let mut dir = None;
    let mut id = None;
    let mut name = String::new();
    let mut mode = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || it.next().cloned().ok_or_else(|| format!("{a} needs a value"));
        match a.as_str() {
            "--supervise" => dir = Some(PathBuf::from(value()?)),
            "--id" => id = Some(value()?),
            "--name" => name = value()?,
            "--mode" => mode = Some(value()?),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    let dir = dir.ok_or("--supervise DIR is required")?;
    let id = id.ok_or("--id is required")?;
    // Anything but rootless or privileged is auto, decided only now that it is needed.
    let isolation = mode.as_deref().and_then(Isolation::from_mode).unwrap_or_else(Isolation::auto);
    Ok(Options { dir, id, name, isolation })
}
