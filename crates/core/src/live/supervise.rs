//! `pidns-init --supervise --id ID [--name NAME] [--mode MODE]`: own a tree detached from the
//! CLI. Reads the plan on stdin; claims `<state root>/<ID>` (`tree_dir::claim`: atomically, in
//! the checked state root); starts the tree; serves `control.sock` there; writes `info.json`
//! once the whole tree is up and then says so on stdout, in one JSON line: `{"t":"ready"}`. When
//! the tree ends, or fails to start, it removes its own files and directory, and only then, on
//! failure, says why: `{"t":"failed","code":CODE,"message":WHY}`, where CODE is BAD_TARGET (a
//! live tree has the name), STATE_UNSAFE (the state, or what is at the path, is not safe or not
//! pidns-tree's), or the start's own (NO_PRIVILEGE, NO_USERNS, DEPTH_LIMIT, SPAWN_FAILED:
//! everything it started has been killed and waited for).
use std::io::{Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::sync::atomic::AtomicU32;
use std::sync::Arc;

use super::server::{serve, Server};
use super::state::{Recorded, Shared};
use super::state_root::StateRoot;
use super::tree_dir::{self, ClaimError, Claimed, INFO, INFO_TMP};
use crate::error_code::ErrorCode;
use crate::host::collector::Collector;
use crate::host::events::{Event, Names};
use crate::host::output::Output;
use crate::host::registry::Registry;
use crate::host::rules::Sink;
use crate::host::spawn::{spawn_root, Isolation};
use crate::sys::{dirfd, fd, pidfd};
use crate::wire::live;
use crate::wire::JsonObject;

pub struct Options {
    pub id: String,
    pub name: String,
    pub isolation: Isolation,
}

/// Why a detached start failed, as the CLI reads it: its code and what to tell the user.
struct Failure {
    code: ErrorCode,
    message: String,
}

impl Failure {
    /// The tree could not be started (`code` says whether for lack of privileges, ...).
    fn start(code: ErrorCode, why: impl std::fmt::Display) -> Failure {
        Failure { code, message: format!("the tree could not be started: {why}") }
    }

    fn failed(why: impl std::fmt::Display) -> Failure {
        Failure::start(ErrorCode::SpawnFailed, why)
    }

    fn refused(why: String) -> Failure {
        Failure { code: ErrorCode::StateUnsafe, message: why }
    }
}

/// The start time of process `pid` in clock ticks since boot (/proc/PID/stat, field 22): with
/// the PID it identifies a process for good (info.json keeps it for the curious).
pub fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read(format!("/proc/{pid}/stat")).ok()?;
    crate::sys::hostproc::parse_stat(&stat).map(|(start, _)| start)
}

/// The one line the CLI waits for (`wire::live`; src/live/supervisor.ts reads it).
fn say(line: String) {
    let mut out = std::io::stdout();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

pub fn supervise(o: Options) -> i32 {
    match run(&o) {
        Ok(code) => code,
        Err(Failure { code, message }) => {
            say(live::failed(code, &message));
            125
        }
    }
}

/// For tests only: with `PIDNS_TREE_SUPERVISOR_PAUSE=FIFO`, the supervisor writes its PID to
/// FIFO right after it has claimed its directory, then stops itself (SIGSTOP): a test can kill
/// it at exactly that point, which no timing could hit reliably.
fn pause_for_tests() {
    let Some(path) = std::env::var_os("PIDNS_TREE_SUPERVISOR_PAUSE") else { return };
    if let Ok(mut fifo) = std::fs::OpenOptions::new().write(true).open(path) {
        let _ = writeln!(fifo, "{}", std::process::id());
    }
    let _ = nix::sys::signal::raise(nix::sys::signal::Signal::SIGSTOP);
}

/// The live protocol version this supervisor announces in info.json: `wire::live::PROTOCOL`.
///
/// For tests only: `PIDNS_TREE_SUPERVISOR_PROTOCOL=N` announces version N instead, and `=none`
/// announces none (as a supervisor built before versions existed), so that a test can meet a
/// tree of another version without keeping an old build. It is read from the supervisor's own
/// environment, which only the user who starts the tree sets, and it changes nothing but what
/// clients refuse to send: a client that meets another version sends no request, and `stop`
/// signals only processes it has proved are the tree's (`live::signal_stop`).
fn announced_protocol() -> Option<i64> {
    match std::env::var("PIDNS_TREE_SUPERVISOR_PROTOCOL") {
        Ok(v) if v == "none" => None,
        Ok(v) => Some(v.parse().unwrap_or(live::PROTOCOL)),
        Err(_) => Some(live::PROTOCOL),
    }
}

fn run(o: &Options) -> Result<i32, Failure> {
    let mut plan_json = String::new();
    std::io::stdin().read_to_string(&mut plan_json).map_err(|e| Failure::failed(format!("reading the plan: {e}")))?;
    let plan = pidns_model::Plan::from_json(&plan_json).map_err(Failure::failed)?;
    let root = StateRoot::open(true)
        .map_err(|u| Failure::refused(u.0))?
        .ok_or_else(|| Failure::refused("the state directory vanished as it was made".into()))?;
    let claimed = tree_dir::claim(&root, &o.id).map_err(|e| match e {
        ClaimError::Taken(why) => Failure { code: ErrorCode::BadTarget, message: why },
        ClaimError::Refused(why) => Failure::refused(why),
    })?;
    pause_for_tests();
    let shared = Arc::new(Shared::default());
    let outcome = run_tree(o, &plan, &plan_json, &claimed, &shared);
    // The tree is gone (or never started): our own files go, and nothing else.
    let _ = claimed.remove(&root);
    // Let clients waiting for the end get their answer before we go (at most a second).
    let st = shared.state.lock().unwrap_or_else(|e| e.into_inner());
    let _ = shared.changed.wait_timeout_while(st, std::time::Duration::from_secs(1), |st| st.replying > 0);
    outcome
}

/// Starts the tree and runs it to its end. A tree that fails to start (an init reports an
/// error, or it ends first) is killed at once through the root init's pidfd, and this returns
/// only when the kernel has taken down every namespace of it.
fn run_tree(
    o: &Options,
    plan: &pidns_model::Plan,
    plan_json: &str,
    claimed: &Claimed,
    shared: &Arc<Shared>,
) -> Result<i32, Failure> {
    let init = std::env::current_exe().map_err(Failure::failed)?;
    let tree = spawn_root(&init, plan_json, o.isolation).map_err(|e| Failure::start(e.code(), e))?;
    let root = Arc::new(fd::dup_high(tree.pidfd.as_fd(), 3).map_err(|e| Failure::failed(e.desc()))?);
    let registry = Registry::new(plan, &tree.token);
    let server = Arc::new(Server {
        shared: shared.clone(),
        registry: registry.clone(),
        root: root.clone(),
        plan: plan.clone(),
        execs: AtomicU32::new(0),
    });
    let dir = claimed.dir();
    let tree_pid = tree.pid.as_raw();
    let publish = || write_info(o, claimed, plan, tree_pid);
    let mut out = Recorder {
        shared,
        expected: plan.nodes.iter().map(|n| 1 + n.processes.len()).sum::<usize>(),
        starts: 0,
        decided: false,
        failure: None,
        publish: &publish,
        root: &root,
    };
    if let Err(why) = serve(dir.dir.as_fd(), &dir.path, server) {
        // The collector still runs below, to wait for the end of what was started.
        out.fail(why);
    }
    let code = Collector::new(tree, plan, registry, &mut out, None).run();
    match out.failure {
        Some(why) => Err(Failure::failed(why)),
        None => Ok(code),
    }
}

/// The supervisor's destination for events: its state (for ps, exec, wait); once every
/// process of the tree has started, info.json and `{"t":"ready"}` on stdout. A start that fails is
/// decided here: the tree is killed, and the cause kept for after the teardown.
struct Recorder<'a> {
    shared: &'a Shared,
    expected: usize,
    starts: usize,
    decided: bool,
    failure: Option<String>,
    /// Writes info.json.
    publish: &'a dyn Fn() -> Result<(), String>,
    root: &'a OwnedFd,
}

impl Recorder<'_> {
    fn fail(&mut self, why: String) {
        self.decided = true;
        self.failure = Some(why);
        // Nothing of a tree that failed to start stays: SIGKILL to its root init, and the
        // collector goes on until the kernel has taken every namespace down.
        let _ = pidfd::send_signal(self.root.as_fd(), libc::SIGKILL);
    }
}

impl Sink for Recorder<'_> {
    fn event(&mut self, names: &dyn Names, event: &Event<'_>) {
        let kind = self.shared.record(names, event);
        if self.decided {
            return;
        }
        if kind == Recorded::Start {
            self.starts += 1;
        }
        if self.starts == self.expected {
            self.decided = true;
            match (self.publish)() {
                Ok(()) => say(live::ready()),
                Err(why) => self.fail(format!("cannot write {INFO}: {why}")),
            }
        } else if let Event::Error { node, message } = event {
            self.fail(format!("{}: {message}", names.node_path(*node)));
        } else if kind == Recorded::End {
            self.fail("the tree ended before every process had started".into());
        }
    }
}

impl Output for Recorder<'_> {
    fn flush(&mut self) -> bool {
        true
    }
}

fn write_info(o: &Options, claimed: &Claimed, plan: &pidns_model::Plan, root_pid: i32) -> Result<(), String> {
    let me = std::process::id();
    let now =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0);
    let mut info = JsonObject::new();
    if let Some(version) = announced_protocol() {
        info = info.int("protocol", version);
    }
    let info = info
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
    let dir = claimed.dir().dir.as_fd();
    let tmp = dirfd::create_file_at(dir, INFO_TMP, 0o600).map_err(|e| e.desc().to_string())?;
    dirfd::write_all(tmp, info.as_bytes()).map_err(|e| e.to_string())?;
    dirfd::rename_at(dir, INFO_TMP, INFO).map_err(|e| e.desc().to_string())
}

/// Parses `--supervise --id ID [--name NAME] [--mode auto|rootless|privileged]`.
pub fn parse_args(args: &[String]) -> Result<Options, String> {
    let mut id = None;
    let mut name = String::new();
    let mut mode = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || it.next().cloned().ok_or_else(|| format!("{a} needs a value"));
        match a.as_str() {
            "--supervise" => {}
            "--id" => id = Some(value()?),
            "--name" => name = value()?,
            "--mode" => mode = Some(value()?),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    let id = id.ok_or("--id is required")?;
    tree_dir::check_id(&id)?;
    // Anything but rootless or privileged is auto, decided only now that it is needed.
    let isolation = mode.as_deref().and_then(Isolation::from_mode).unwrap_or_else(Isolation::auto);
    Ok(Options { id, name, isolation })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_id_must_be_one_plain_name() {
        let args = |id: &str| ["--supervise", "--id", id].map(String::from).to_vec();
        assert!(parse_args(&args("web-1")).is_ok());
        for bad in ["../x", ".tmp-x", "a/b", "", "."] {
            assert!(parse_args(&args(bad)).is_err(), "{bad}");
        }
    }
}
