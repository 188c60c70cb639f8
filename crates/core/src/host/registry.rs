//! What the owner of a running tree needs to act on any of its processes from any thread (the
//! Node binding's JavaScript thread, a supervisor's clients), without holding a descriptor per
//! process: the host's descriptor limit must not bound a tree.
//!
//! - **Signals** go through a pidfd opened when needed and checked before use: the process's
//!   host PID and start time were recorded from its `start`; a pidfd of that PID whose
//!   /proc/PID/stat shows the same start time is that process (a reused PID belongs to a
//!   process that started later). So a signal never reaches a process that reused a PID.
//! - **exec** connects to the control socket of the init that serves the namespace (its own
//!   init, or the parent's for a namespace whose PID 1 is the user's command) and checks that
//!   the socket belongs to the tree: the same user, and the very process that created it.
use std::collections::HashMap;
use std::os::fd::{AsFd, RawFd};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use nix::errno::Errno;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::unistd::Pid;
use pidns_model::{Plan, ProcessSpec, INIT_NAME};

use crate::error_code::ErrorCode;
use crate::sys::{ctlsock, hostproc, pidfd, seqpacket};
use crate::wire::control::{socket_name, Reply, Request};
use crate::wire::tree::ProcKey;

/// How long an exec waits for the init's answer. An init answers at once unless it is stopped
/// (SIGSTOP) or gone.
const EXEC_REPLY: Duration = Duration::from_secs(30);

/// What identifies a started process for good (its host PID and start time), and whether it
/// still runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    host_pid: i32,
    start_time: u64,
    alive: bool,
}

/// The processes of a tree that have started, by key, and the slot of each named one.
#[derive(Default)]
struct Procs {
    entries: HashMap<ProcKey, Entry>,
    /// (node, name) → slot, for the processes users name (`init` is not here: it is
    /// `ProcKey::init` of its node).
    slots: HashMap<(u32, String), u32>,
}

impl Procs {
    /// The key of `process` in `node`: its PID 1 for `init`, else the process of that name.
    fn key(&self, node: u32, process: &str) -> Option<ProcKey> {
        if process == INIT_NAME {
            return Some(ProcKey::init(node));
        }
        self.slots.get(&(node, process.to_string())).map(|&slot| ProcKey { node, slot })
    }
}

struct NodeEntry {
    path: String,
    parent: Option<u32>,
    /// The node whose init starts processes here (exec): itself, or its parent when its PID 1
    /// is the user's command.
    serving: u32,
}

struct Inner {
    token: String,
    /// The process that created the root's control socket (the host itself).
    host_pid: i32,
    nodes: Vec<NodeEntry>,
    procs: Mutex<Procs>,
}

#[derive(Clone)]
pub struct Registry(Arc<Inner>);

#[derive(Debug)]
pub enum ExecError {
    /// No such namespace in the tree.
    UnknownNode,
    /// The namespace (or the tree) is not running any more.
    Gone,
    /// The init refused (it is stopping, did not answer, ...).
    Refused(String),
    /// The namespace's control socket is held by another process than the init that made it
    /// (another user, or a process of ours that is not this tree's): nothing was sent to it.
    ForeignSocket(String),
    Io(Errno),
}

impl ExecError {
    pub fn code(&self) -> ErrorCode {
        match self {
            ExecError::UnknownNode | ExecError::Gone | ExecError::Refused(_) => ErrorCode::TreeGone,
            ExecError::ForeignSocket(_) => ErrorCode::StateUnsafe,
            ExecError::Io(_) => ErrorCode::SyscallFailed,
        }
    }
}

impl std::fmt::Display for ExecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExecError::UnknownNode => f.write_str("there is no such namespace in this tree"),
            ExecError::Gone => f.write_str("the namespace is not running"),
            ExecError::Refused(m) | ExecError::ForeignSocket(m) => f.write_str(m),
            ExecError::Io(e) => f.write_str(e.desc()),
        }
    }
}

impl Registry {
    pub fn new(plan: &Plan, token: &str) -> Registry {
        let nodes = plan
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| NodeEntry {
                path: n.path.clone(),
                parent: n.parent.map(|p| p as u32),
                serving: match (n.init.command.is_some(), n.parent) {
                    (true, Some(p)) => p as u32,
                    _ => i as u32,
                },
            })
            .collect();
        Registry(Arc::new(Inner {
            token: token.to_string(),
            host_pid: std::process::id() as i32,
            nodes,
            procs: Mutex::new(Procs::default()),
        }))
    }

    pub fn token(&self) -> &str {
        &self.0.token
    }

    fn procs(&self) -> std::sync::MutexGuard<'_, Procs> {
        self.0.procs.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn node_index(&self, path: &str) -> Option<u32> {
        self.0.nodes.iter().position(|n| n.path == path).map(|i| i as u32)
    }

    /// A process has started (from its `start`), under `name` (unless it is an init).
    pub fn started(&self, key: ProcKey, name: &str, host_pid: i32, start_time: u64) {
        let mut procs = self.procs();
        procs.entries.insert(key, Entry { host_pid, start_time, alive: true });
        if !key.is_init() {
            procs.slots.insert((key.node, name.to_string()), key.slot);
        }
    }

    /// It has exited (from its `exit`).
    pub fn exited(&self, key: ProcKey) {
        if let Some(e) = self.procs().entries.get_mut(&key) {
            e.alive = false;
        }
    }

    fn entry(&self, key: ProcKey) -> Option<Entry> {
        self.procs().entries.get(&key).copied()
    }

    /// Signals `process` of namespace `node` ("init" for its PID 1). Ok(false) when there is no
    /// such process or it is not running any more.
    pub fn signal(&self, node: &str, process: &str, signal: i32) -> Result<bool, Errno> {
        let Some(node) = self.node_index(node) else { return Ok(false) };
        let entry = {
            let procs = self.procs();
            procs.key(node, process).and_then(|key| procs.entries.get(&key).copied())
        };
        match entry {
            Some(e) if e.alive => signal_verified(e.host_pid, e.start_time, signal),
            _ => Ok(false),
        }
    }

    /// Starts `process` in namespace `node` as a child of the init serving it, with `stdio` as
    /// its stdin, stdout and stderr. Its `start` and `exit` come as events under its name.
    pub fn exec(&self, node: &str, process: ProcessSpec, stdio: [RawFd; 3]) -> Result<ProcKey, ExecError> {
        let index = self.node_index(node).ok_or(ExecError::UnknownNode)?;
        let serving = self.0.nodes[index as usize].serving;
        // The serving init must be running; the one that made its socket is its parent (or us).
        match self.entry(ProcKey::init(serving)) {
            Some(e) if e.alive => {}
            _ => return Err(ExecError::Gone),
        }
        let creator = match self.0.nodes[serving as usize].parent {
            None => self.0.host_pid,
            Some(parent) => self.entry(ProcKey::init(parent)).map(|e| e.host_pid).ok_or(ExecError::Gone)?,
        };
        let conn = ctlsock::connect(&socket_name(&self.0.token, serving)).map_err(|e| match e {
            Errno::ECONNREFUSED | Errno::ENOENT => ExecError::Gone,
            e => ExecError::Io(e),
        })?;
        let me = crate::sys::process::euid();
        let peer = ctlsock::peer(conn.as_fd()).map_err(ExecError::Io)?;
        if peer.uid != me || peer.pid != creator {
            return Err(ExecError::ForeignSocket(format!(
                "the control socket of {node} is not this tree's (it belongs to pid {} of uid {}): refusing to send it anything",
                peer.pid, peer.uid
            )));
        }
        let request = Request::Exec { node: index, process };
        seqpacket::send(conn.as_fd(), &request.to_bytes(), &stdio).map_err(|e| match e {
            Errno::EPIPE | Errno::ECONNRESET => ExecError::Gone,
            e => ExecError::Io(e),
        })?;
        let mut pfd = [PollFd::new(conn.as_fd(), PollFlags::POLLIN)];
        let timeout = PollTimeout::try_from(EXEC_REPLY.as_millis() as i32).unwrap_or(PollTimeout::NONE);
        match poll(&mut pfd, timeout) {
            Ok(0) => {
                return Err(ExecError::Refused(format!(
                    "the init of {node} did not answer within {} s (is it stopped?)",
                    EXEC_REPLY.as_secs()
                )))
            }
            Ok(_) => {}
            Err(e) => return Err(ExecError::Io(e)),
        }
        let mut buf = vec![0u8; 64 * 1024];
        let reply = match seqpacket::recv(conn.as_fd(), &mut buf) {
            Ok(seqpacket::Received::Message { bytes, .. }) => Reply::decode(&bytes).map_err(ExecError::Refused)?,
            Ok(_) => return Err(ExecError::Gone),
            Err(e) => return Err(ExecError::Io(e)),
        };
        match reply {
            Reply::Started { slot } => Ok(ProcKey { node: index, slot }),
            Reply::Refused { message } => Err(ExecError::Refused(message)),
        }
    }
}

/// Signals host process `pid` if it is the process that started at `start_time`: through a
/// pidfd, checked against /proc/PID/stat after opening it. Ok(false) when that process is gone
/// (or a zombie).
pub fn signal_verified(pid: i32, start_time: u64, signal: i32) -> Result<bool, Errno> {
    let fd = match pidfd::open(Pid::from_raw(pid)) {
        Ok(fd) => fd,
        Err(Errno::ESRCH) => return Ok(false),
        Err(e) => return Err(e),
    };
    // Read after the pidfd is open: if the stat is still of the process we mean, so is the
    // pidfd (it was opened while that PID was that process's, and a PID is reused only once
    // its process is gone, after which the stat shows another start time or nothing).
    let Ok(stat) = std::fs::read(format!("/proc/{pid}/stat")) else { return Ok(false) };
    match hostproc::parse_stat(&stat) {
        Some((started, state)) if started == start_time && state != 'Z' && state != 'X' => {}
        _ => return Ok(false),
    }
    pidfd::signal_if_alive(fd.as_fd(), signal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_foreign_control_socket_is_unsafe_state_not_a_gone_tree() {
        // A caller deciding on the code must not retry or report "the tree ended" when someone
        // else holds the socket: that is the hostile case README's STATE_UNSAFE describes.
        assert_eq!(ExecError::ForeignSocket("x".into()).code(), ErrorCode::StateUnsafe);
        assert_eq!(ExecError::Gone.code(), ErrorCode::TreeGone);
        assert_eq!(ExecError::Io(Errno::EMFILE).code(), ErrorCode::SyscallFailed);
    }

    #[test]
    fn processes_are_found_by_key_and_init_is_a_namespace_s_pid_1() {
        let plan = Plan::from_spec(
            &pidns_model::parse_spec(
                r#"{"name": "root", "processes": [{"name": "web", "command": ["x"]}], "children": [{"name": "a"}]}"#,
                pidns_model::Limits::default(),
            )
            .unwrap(),
        );
        let registry = Registry::new(&plan, "t");
        registry.started(ProcKey::init(0), INIT_NAME, 100, 1);
        registry.started(ProcKey { node: 0, slot: 0 }, "web", 101, 2);
        registry.started(ProcKey { node: 1, slot: 4 }, "exec-1", 102, 3);
        let procs = registry.procs();
        assert_eq!(procs.key(0, INIT_NAME), Some(ProcKey::init(0)));
        assert_eq!(procs.key(0, "web"), Some(ProcKey { node: 0, slot: 0 }));
        assert_eq!(procs.key(1, "exec-1"), Some(ProcKey { node: 1, slot: 4 }));
        assert_eq!(procs.key(1, "web"), None, "names are per namespace");
        assert_eq!(procs.entries[&ProcKey::init(0)].host_pid, 100);
        drop(procs);
        registry.exited(ProcKey { node: 0, slot: 0 });
        assert!(!registry.entry(ProcKey { node: 0, slot: 0 }).unwrap().alive);
        assert!(registry.entry(ProcKey::init(0)).unwrap().alive);
    }

    #[test]
    fn signals_only_the_process_that_started_then() {
        let mut child = std::process::Command::new("sleep").arg("30").spawn().unwrap();
        let pid = child.id() as i32;
        let stat = std::fs::read(format!("/proc/{pid}/stat")).unwrap();
        let (start, _) = hostproc::parse_stat(&stat).unwrap();
        assert_eq!(signal_verified(pid, start + 1, 0), Ok(false), "another start time: another process");
        assert_eq!(signal_verified(pid, start, libc::SIGKILL), Ok(true));
        child.wait().unwrap();
        assert_eq!(signal_verified(pid, start, 0), Ok(false), "gone");
    }
}
