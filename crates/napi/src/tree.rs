//! A running tree as JavaScript holds it.
use std::io::Write;
use std::os::fd::{AsFd, IntoRawFd, OwnedFd};
use std::path::Path;
use std::sync::Arc;

use napi::{Error, Result, Status};
use napi_derive::napi;
use pidns_core::host::collector::Collector;
use pidns_core::host::handles::{ExecError, Handles};
use pidns_core::host::spawn::{spawn_root, Isolation, SpawnError};
use pidns_core::sys::{fd, pidfd, signals};

#[napi]
pub struct NativeTree {
    rootless: bool,
    pid: i32,
    events_fd: i32,
    root_pidfd: Arc<OwnedFd>,
    handles: Handles,
}

/// The caller's ends of an exec'd process's stdin, stdout and stderr (JavaScript owns them).
#[napi(object)]
pub struct ExecFds {
    pub stdin: i32,
    pub stdout: i32,
    pub stderr: i32,
}

#[napi]
impl NativeTree {
    /// The root init's PID on the host.
    #[napi(getter)]
    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// True when the tree runs in a user namespace (rootless mode).
    #[napi(getter)]
    pub fn rootless(&self) -> bool {
        self.rootless
    }

    /// The read end of the NDJSON event pipe; JavaScript owns (and closes) it.
    #[napi(getter)]
    pub fn events_fd(&self) -> i32 {
        self.events_fd
    }

    /// Sends `signal` to the root init through its pidfd. False once the tree is gone.
    #[napi]
    pub fn signal(&self, signal: f64) -> Result<bool> {
        let signal = checked_signal(signal)?;
        pidfd::signal_if_alive(self.root_pidfd.as_fd(), signal)
            .map_err(|e| Error::new(Status::GenericFailure, format!("signal {signal}: {}", e.desc())))
    }
}

/// A JavaScript number as a signal the kernel has. Taken as f64, not i32: napi would wrap
/// 4294967305 into 9 (SIGKILL) before we could see it.
fn checked_signal(signal: f64) -> Result<i32> {
    signals::checked_f64(signal).ok_or_else(|| {
        Error::new(Status::InvalidArg, format!("{signal} is not a signal: a number from 1 to {}", signals::MAX))
    })
}

#[napi]
impl NativeTree {
    /// Signals process `process` of namespace `node` ("init" for its init) through its pidfd.
    /// False when no such process is alive.
    #[napi]
    pub fn signal_process(&self, node: String, process: String, signal: f64) -> Result<bool> {
        let signal = checked_signal(signal)?;
        self.handles
            .signal(&node, &process, signal)
            .map_err(|e| Error::new(Status::GenericFailure, format!("signal {signal}: {}", e.desc())))
    }

    /// Starts `command` in namespace `node` as a child of its PID 1, named `name`; its `start`
    /// and `exit` come as events. Throws "no namespace" when no living init serves `node`.
    #[napi]
    pub fn exec(
        &self,
        node: String,
        name: String,
        command: Vec<String>,
        env: std::collections::HashMap<String, String>,
        cwd: Option<String>,
    ) -> Result<ExecFds> {
        if command.first().is_none_or(|c| c.is_empty()) {
            return Err(Error::new(Status::InvalidArg, "exec needs a command".to_string()));
        }
        let process = pidns_model::ProcessSpec { name, command, env: env.into_iter().collect(), cwd };
        match self.handles.exec(&node, process) {
            Ok(stdio) => Ok(ExecFds {
                stdin: stdio.stdin.into_raw_fd(),
                stdout: stdio.stdout.into_raw_fd(),
                stderr: stdio.stderr.into_raw_fd(),
            }),
            Err(ExecError::NoNamespace) => {
                Err(Error::new(Status::InvalidArg, format!("no namespace {node} is running")))
            }
            Err(ExecError::Io(e)) => Err(Error::new(Status::GenericFailure, format!("exec: {}", e.desc()))),
        }
    }
}

/// Starts the tree described by `plan_json` (from `checkSpec`) with the init at `init_path`.
/// Must be called on the main JavaScript thread: the tree is bound to the life of the thread
/// that starts it (PR_SET_PDEATHSIG).
#[napi]
///
/// `mode`: "privileged" (needs CAP_SYS_ADMIN, never falls back), "rootless" (a user namespace
/// mapping the caller to root first) or "auto" (privileged when possible, rootless otherwise).
pub fn spawn_tree(init_path: String, plan_json: String, mode: String) -> Result<NativeTree> {
    let plan = pidns_model::Plan::from_json(&plan_json)
        .map_err(|e| Error::new(Status::InvalidArg, format!("not a plan from checkSpec: {e}")))?;
    let isolation = Isolation::from_mode(&mode).ok_or_else(|| {
        Error::new(Status::InvalidArg, format!("unknown mode {mode:?}: auto, rootless or privileged"))
    })?;
    let tree = spawn_root(Path::new(&init_path), &plan_json, isolation).map_err(|e| {
        let status = match e {
            SpawnError::Namespaces(_) | SpawnError::UserNamespace(_) => Status::Unknown,
            _ => Status::GenericFailure,
        };
        Error::new(status, e.to_string())
    })?;
    let (events_r, events_w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)
        .map_err(|e| Error::new(Status::GenericFailure, format!("pipe: {}", e.desc())))?;
    let root_pidfd = Arc::new(
        fd::dup_high(tree.pidfd.as_fd(), 3)
            .map_err(|e| Error::new(Status::GenericFailure, format!("dup: {}", e.desc())))?,
    );
    let pid = tree.pid.as_raw();
    let handles = Handles::default();
    let collector_handles = handles.clone();
    std::thread::Builder::new()
        .name("pidns-collector".into())
        .spawn(move || {
            let mut out = std::io::BufWriter::with_capacity(64 * 1024, std::fs::File::from(events_w));
            let mut sink = |mut line: String| {
                line.push('\n');
                // Flushed per event so JavaScript sees each as soon as it happens.
                out.write_all(line.as_bytes()).and_then(|_| out.flush()).is_ok()
            };
            Collector::new(tree, &plan, collector_handles, &mut sink).run();
        })
        .map_err(|e| Error::new(Status::GenericFailure, format!("collector thread: {e}")))?;
    Ok(NativeTree {
        rootless: isolation == Isolation::Rootless,
        pid,
        events_fd: events_r.into_raw_fd(),
        root_pidfd,
        handles,
    })
}
