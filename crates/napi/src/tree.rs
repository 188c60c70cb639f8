//! A running tree as JavaScript holds it: the root init's pidfd, a registry to signal any
//! process or start one in any namespace, and the read end of the pipe the collector thread
//! writes its frames to (see `pidns_core::wire::frames`).
use std::os::fd::{AsFd, AsRawFd, IntoRawFd, OwnedFd};
use std::path::Path;
use std::sync::Arc;

use napi::bindgen_prelude::AsyncTask;
use napi::{Env, Task};
use napi_derive::napi;
use nix::fcntl::OFlag;
use nix::unistd::pipe2;
use pidns_core::error_code::ErrorCode;
use pidns_core::host::collector::Collector;
use pidns_core::host::human::HumanLines;
use pidns_core::host::output::{Format, FrameOutput};
use pidns_core::host::registry::{ExecError, Registry};
use pidns_core::host::spawn::{spawn_root, Isolation};
use pidns_core::sys::{fd, pidfd, signals};

use crate::coded::{rejection, Error, Result};
use crate::terminal::NativeTerminal;

#[napi]
pub struct NativeTree {
    rootless: bool,
    pid: i32,
    events_fd: i32,
    root_pidfd: Arc<OwnedFd>,
    registry: Registry,
}

/// How the events reach JavaScript.
#[napi(object)]
pub struct SpawnOptions {
    /// "auto", "rootless" or "privileged".
    pub mode: String,
    /// "events" (NDJSON to parse), "lines" (output lines in binary frames, other events as
    /// NDJSON), "ndjson" (NDJSON to print) or "human" (output lines rendered for a person,
    /// other events as NDJSON).
    pub format: String,
    /// human: ANSI colours in the rendered lines.
    pub color: Option<bool>,
    /// human: the width the `node:process` prefix is padded to.
    pub prefix_width: Option<u32>,
    /// A descriptor (the CLI's stdout) whose hang-up means nobody reads the events: the tree is
    /// then killed, even while it prints nothing.
    pub watch_fd: Option<i32>,
    /// ndjson: the descriptor (the CLI's stdout) the events are written to, straight from the
    /// collector; JavaScript then gets only the code.
    pub output_fd: Option<i32>,
}

/// The caller's ends of an exec'd process's stdin, stdout and stderr (JavaScript owns them);
/// all -1 for an exec on a terminal, whose one stream is the terminal's socket.
#[napi(object)]
pub struct ExecFds {
    pub stdin: i32,
    pub stdout: i32,
    pub stderr: i32,
    /// Its slot in the node (the process is named as asked).
    pub slot: u32,
}

/// A JavaScript number as a signal the kernel has. Taken as f64, not i32: napi would wrap
/// 4294967305 into 9 (SIGKILL) before we could see it.
fn checked_signal(signal: f64) -> Result<i32> {
    signals::checked_f64(signal).ok_or_else(|| {
        Error::new(ErrorCode::BadSignal, format!("{signal} is not a signal: a number from 1 to {}", signals::MAX))
    })
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

    /// The read end of the frame pipe; JavaScript owns (and closes) it.
    #[napi(getter)]
    pub fn events_fd(&self) -> i32 {
        self.events_fd
    }

    /// Sends `signal` to the root init through its pidfd. False once the tree is gone.
    #[napi]
    pub fn signal(&self, signal: f64) -> Result<bool> {
        let signal = checked_signal(signal)?;
        pidfd::signal_if_alive(self.root_pidfd.as_fd(), signal)
            .map_err(|e| Error::new(ErrorCode::SyscallFailed, format!("signal {signal}: {}", e.desc())))
    }

    /// Signals process `process` of namespace `node` ("init" for its PID 1), through a pidfd
    /// checked against the process's start time. False when no such process is running.
    #[napi]
    pub fn signal_process(&self, node: String, process: String, signal: f64) -> Result<bool> {
        let signal = checked_signal(signal)?;
        self.registry
            .signal(&node, &process, signal)
            .map_err(|e| Error::new(ErrorCode::SyscallFailed, format!("signal {signal}: {}", e.desc())))
    }

    /// Starts `command` in namespace `node` as a child of the init serving it, named `name`;
    /// its `start` and `exit` come as events. Resolves once it runs. With `terminal`, the
    /// terminal's slave is its stdin, stdout and stderr, and it leads a new session with it as
    /// its controlling terminal.
    #[napi(ts_return_type = "Promise<ExecFds>")]
    pub fn exec(
        &self,
        node: String,
        name: String,
        command: Vec<String>,
        env: std::collections::HashMap<String, String>,
        cwd: Option<String>,
        terminal: Option<&NativeTerminal>,
    ) -> Result<AsyncTask<ExecTask>> {
        if command.first().is_none_or(|c| c.is_empty()) {
            return Err(Error::new(ErrorCode::BadArgument, "exec needs a command".to_string()));
        }
        let slave = match terminal {
            Some(t) => Some(t.take_slave().ok_or_else(|| {
                Error::new(ErrorCode::BadArgument, "this terminal was given to an exec already".to_string())
            })?),
            None => None,
        };
        let tty = slave.is_some();
        let spec = pidns_model::ProcessSpec { name, command, env: env.into_iter().collect(), cwd, tty };
        Ok(AsyncTask::new(ExecTask { registry: self.registry.clone(), node, spec: Some(spec), slave }))
    }
}

/// An exec, off the JavaScript thread: it waits for the serving init's answer.
pub struct ExecTask {
    registry: Registry,
    node: String,
    spec: Option<pidns_model::ProcessSpec>,
    /// A terminal's slave (an exec with `tty`); closed here once the init has answered.
    slave: Option<OwnedFd>,
}

pub struct ExecDone {
    /// None on a terminal.
    stdio: Option<[OwnedFd; 3]>,
    slot: u32,
}

impl ExecTask {
    fn run(&mut self) -> Result<ExecDone> {
        let spec = self.spec.take().expect("computed once");
        let result = match self.slave.take() {
            Some(slave) => {
                let fd = slave.as_raw_fd();
                // The slave is closed here whatever the answer: only the command holds it then.
                self.registry.exec(&self.node, spec, [fd, fd, fd]).map(|key| ExecDone { stdio: None, slot: key.slot })
            }
            None => {
                let io = |e: nix::errno::Errno| Error::new(ErrorCode::SyscallFailed, format!("exec: {}", e.desc()));
                let (in_r, in_w) = pipe2(OFlag::O_CLOEXEC).map_err(io)?;
                let (out_r, out_w) = pipe2(OFlag::O_CLOEXEC).map_err(io)?;
                let (err_r, err_w) = pipe2(OFlag::O_CLOEXEC).map_err(io)?;
                let stdio = [in_r.as_raw_fd(), out_w.as_raw_fd(), err_w.as_raw_fd()];
                self.registry
                    .exec(&self.node, spec, stdio)
                    .map(|key| ExecDone { stdio: Some([in_w, out_r, err_r]), slot: key.slot })
            }
        };
        match result {
            Ok(done) => Ok(done),
            Err(ExecError::UnknownNode) | Err(ExecError::Gone) => {
                Err(Error::new(ErrorCode::TreeGone, format!("no namespace {} is running", self.node)))
            }
            Err(e) => Err(Error::new(e.code(), format!("exec in {}: {e}", self.node))),
        }
    }
}

impl Task for ExecTask {
    /// napi's tasks fail with its own statuses only: the coded error travels as the output and
    /// becomes the promise's rejection in `resolve`, on the JavaScript thread.
    type Output = Result<ExecDone>;
    type JsValue = ExecFds;

    fn compute(&mut self) -> napi::Result<Result<ExecDone>> {
        Ok(self.run())
    }

    fn resolve(&mut self, env: Env, done: Result<ExecDone>) -> napi::Result<ExecFds> {
        match done {
            Ok(done) => {
                let [stdin, stdout, stderr] = done.stdio.map_or([-1; 3], |fds| fds.map(IntoRawFd::into_raw_fd));
                Ok(ExecFds { stdin, stdout, stderr, slot: done.slot })
            }
            Err(coded) => Err(rejection(env, coded)),
        }
    }
}

/// Starts the tree described by `plan_json` (a checked plan) with the init at `init_path`.
/// Must be called on the main JavaScript thread: the tree is bound to the life of the thread
/// that starts it (PR_SET_PDEATHSIG).
#[napi]
pub fn spawn_tree(init_path: String, plan_json: String, options: SpawnOptions) -> Result<NativeTree> {
    let plan = pidns_model::Plan::from_json(&plan_json)
        .map_err(|e| Error::new(ErrorCode::BadArgument, format!("not a checked plan: {e}")))?;
    let isolation = Isolation::from_mode(&options.mode).ok_or_else(|| {
        Error::new(ErrorCode::BadArgument, format!("unknown mode {:?}: auto, rootless or privileged", options.mode))
    })?;
    let format = match options.format.as_str() {
        "events" => Format::Events,
        "lines" => Format::Lines,
        "ndjson" => {
            let fd = options
                .output_fd
                .ok_or_else(|| Error::new(ErrorCode::BadArgument, "ndjson needs outputFd".to_string()))?;
            let dup = fd::dup_raw(fd, 3)
                .map_err(|e| Error::new(ErrorCode::BadArgument, format!("outputFd: {}", e.desc())))?;
            Format::Ndjson(std::fs::File::from(dup))
        }
        "human" => {
            Format::Human(HumanLines::new(options.prefix_width.unwrap_or(0) as usize, options.color.unwrap_or(false)))
        }
        other => {
            return Err(Error::new(
                ErrorCode::BadArgument,
                format!("unknown format {other:?}: events, lines, ndjson or human"),
            ))
        }
    };
    let tree =
        spawn_root(Path::new(&init_path), &plan_json, isolation).map_err(|e| Error::new(e.code(), e.to_string()))?;
    let (events_r, events_w) =
        pipe2(OFlag::O_CLOEXEC).map_err(|e| Error::new(ErrorCode::SpawnFailed, format!("pipe: {}", e.desc())))?;
    let root_pidfd = Arc::new(
        fd::dup_high(tree.pidfd.as_fd(), 3)
            .map_err(|e| Error::new(ErrorCode::SpawnFailed, format!("dup: {}", e.desc())))?,
    );
    let pid = tree.pid.as_raw();
    let registry = Registry::new(&plan, &tree.token);
    let collector_registry = registry.clone();
    let watch = match options.watch_fd.filter(|&fd| fd >= 0) {
        Some(fd) => {
            Some(fd::dup_raw(fd, 3).map_err(|e| Error::new(ErrorCode::BadArgument, format!("watchFd: {}", e.desc())))?)
        }
        None => None,
    };
    std::thread::Builder::new()
        .name("pidns-collector".into())
        .spawn(move || {
            let mut out = FrameOutput::new(std::fs::File::from(events_w), format);
            Collector::new(tree, &plan, collector_registry, &mut out, watch).run();
        })
        .map_err(|e| Error::new(ErrorCode::SpawnFailed, format!("collector thread: {e}")))?;
    Ok(NativeTree {
        rootless: isolation == Isolation::Rootless,
        pid,
        events_fd: events_r.into_raw_fd(),
        root_pidfd,
        registry,
    })
}
