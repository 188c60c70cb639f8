//! Starting one process of a node: fork, then in the child everything up to exec.
//!
//! The child announces itself before it execs: it reads its own PIDs through the host's /proc
//! and sends them with a pidfd and the read ends of its stdout/stderr pipes. So the host knows
//! every PID of the process (also if it exits at once) before the first line it prints.
use std::convert::Infallible;
use std::ffi::CString;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::unistd::{chdir, execvp, fork, getpid, pipe2, setpgid, ForkResult, Pid};
use pidns_model::ProcessSpec;

use super::TreeFds;
use crate::protocol::TreeMessage;
use crate::sys::{fd, hostproc, pidfd, setns, signals};

/// Forks and execs `spec` as a process of `node`; returns its PID in this namespace. With
/// `mounts_of`, the child first joins that process's mount namespace (the caller has already
/// pointed its children's PID namespace there): how processes enter a namespace whose PID 1
/// is a user command.
pub fn launch(node: &str, spec: &ProcessSpec, fds: &TreeFds, mounts_of: Option<BorrowedFd<'_>>) -> Result<Pid, Errno> {
    // SAFETY: the init is single-threaded, so the child may run arbitrary code before exec.
    match unsafe { fork() }? {
        ForkResult::Parent { child } => Ok(child),
        ForkResult::Child => {
            if let Some(target) = mounts_of {
                if setns::mount_ns(target).is_err() {
                    exit_now(1);
                }
            }
            // Its own process group, so that a signal can reach everything it starts.
            let _ = setpgid(Pid::from_raw(0), Pid::from_raw(0));
            exec_in_place(node, spec, fds)
        }
    }
}

/// Becomes `spec` (announcing it as a process of `node`) in the calling process; exits with
/// 126/127 if the command cannot run. Used by forked children and by a user's namespace PID 1.
pub fn exec_in_place(node: &str, spec: &ProcessSpec, fds: &TreeFds) -> ! {
    let code = match run_child(node, spec, fds) {
        Ok(never) => match never {},
        Err(code) => code,
    };
    exit_now(code)
}

fn exit_now(code: i32) -> ! {
    // SAFETY: _exit ends the forked child without running the parent's atexit hooks or
    // flushing its copies of stdio buffers.
    unsafe { libc::_exit(code) }
}

/// The child's side. Returns only on failure, with the exit code to use.
fn run_child(node: &str, spec: &ProcessSpec, fds: &TreeFds) -> Result<Infallible, i32> {
    signals::clean_slate_for_exec();

    let (out_r, out_w) = pipe2(OFlag::O_CLOEXEC).map_err(|_| 1)?;
    let (err_r, err_w) = pipe2(OFlag::O_CLOEXEC).map_err(|_| 1)?;
    let null = fd::dev_null().map_err(|_| 1)?;
    let me = pidfd::open(getpid()).map_err(|_| 1)?;
    let nspid = hostproc::own_nspid(fds.host_proc()).map_err(|_| 1)?;

    let start = TreeMessage::Start {
        node: node.to_string(),
        process: spec.name.clone(),
        nspid,
        command: spec.command.clone(),
        pipes: true,
    };
    fds.send(&start, &[me.as_raw_fd(), out_r.as_raw_fd(), err_r.as_raw_fd()])
        .map_err(|_| 1)?;
    drop((me, out_r, err_r));

    let fail = |error: String, errno: Errno| -> i32 {
        let msg = TreeMessage::ExecError {
            node: node.to_string(),
            process: spec.name.clone(),
            error,
        };
        let _ = fds.send(&msg, &[]);
        // The shell's convention: 127 when there is nothing to run, 126 when it cannot run.
        if errno == Errno::ENOENT || errno == Errno::ENOTDIR { 127 } else { 126 }
    };

    for (target, source) in [(0, &null), (1, &out_w), (2, &err_w)] {
        fd::move_to(source.as_raw_fd(), target).map_err(|e| fail(format!("cannot set up fd {target}: {}", e.desc()), e))?;
    }
    drop((null, out_w, err_w));

    for (key, value) in &spec.env {
        // Single-threaded child: changing our own environment is safe here, and execvp then
        // searches the PATH the spec gives, if it gives one.
        std::env::set_var(key, value);
    }
    if let Some(dir) = &spec.cwd {
        chdir(dir.as_str()).map_err(|e| fail(format!("cannot change to directory {dir:?}: {}", e.desc()), e))?;
    }
    let argv: Vec<CString> = spec
        .command
        .iter()
        .map(|a| CString::new(a.as_str()).map_err(|_| 1))
        .collect::<Result<_, _>>()?;
    let e = match execvp(&argv[0], &argv) {
        Ok(never) => match never {},
        Err(e) => e,
    };
    Err(fail(format!("cannot execute {:?}: {}", spec.command[0], e.desc()), e))
}

/// The init's own `start`: it is process "init" of its node, with no pipes of its own (its
/// stderr is the host's, for diagnostics).
pub fn announce_init(node: &str, fds: &TreeFds) -> Result<(), Errno> {
    let me = pidfd::open(getpid())?;
    let nspid = hostproc::own_nspid(fds.host_proc())?;
    let msg = TreeMessage::Start {
        node: node.to_string(),
        process: "init".into(),
        nspid,
        command: vec!["pidns-init".into()],
        pipes: false,
    };
    fds.send(&msg, &[me.as_fd().as_raw_fd()])
}
