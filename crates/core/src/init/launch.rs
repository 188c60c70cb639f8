//! Starting one process of a node: fork, then in the child everything up to exec.
//!
//! The child announces itself before it execs: it reads its own PIDs through the host's /proc
//! and sends them with a pidfd and the read ends of its stdout/stderr pipes. So the host knows
//! every PID of the process (also if it exits at once) before the first line it prints.
use std::convert::Infallible;
use std::ffi::{CStr, CString};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::unistd::{chdir, execv, fork, getpid, pipe2, setpgid, ForkResult, Pid};
use pidns_model::ProcessSpec;

use super::TreeFds;
use crate::protocol::TreeMessage;
use crate::sys::exec::execvp;
use crate::sys::{fd, hostproc, pidfd, setns, signals};

/// Forks and execs `spec` as a process of `node`; returns its PID in this namespace. With
/// `mounts_of`, the child first joins that process's mount namespace (the caller has already
/// pointed its children's PID namespace there): how processes enter a namespace whose PID 1
/// is a user command. `exe` is the program's file when it was looked up already
/// (`commands::CommandPaths`); otherwise execvp searches PATH.
pub fn launch(
    node: &str,
    spec: &ProcessSpec,
    fds: &TreeFds,
    mounts_of: Option<BorrowedFd<'_>>,
    stdio: Stdio<'_>,
    exe: Option<&CStr>,
) -> Result<Pid, Errno> {
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
            exec_in_place(node, spec, fds, stdio, exe)
        }
    }
}

/// Where a process's stdin, stdout and stderr come from.
#[derive(Clone, Copy)]
pub enum Stdio<'a> {
    /// /dev/null in, and pipes out that the process creates and hands to the host with its
    /// `start` (the tree's own processes: their lines become `output` events).
    Pipes,
    /// Descriptors the host handed over (exec: the caller reads and writes them directly).
    Given(&'a [OwnedFd; 3]),
}

/// Becomes `spec` (announcing it as a process of `node`) in the calling process; exits with
/// 126/127 if the command cannot run. Used by forked children and by a user's namespace PID 1.
pub fn exec_in_place(node: &str, spec: &ProcessSpec, fds: &TreeFds, stdio: Stdio<'_>, exe: Option<&CStr>) -> ! {
    let code = match run_child(node, spec, fds, stdio, exe) {
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
fn run_child(
    node: &str,
    spec: &ProcessSpec,
    fds: &TreeFds,
    stdio: Stdio<'_>,
    exe: Option<&CStr>,
) -> Result<Infallible, i32> {
    signals::clean_slate_for_exec();
    let me = pidfd::open(getpid()).map_err(|_| 1)?;
    let nspid = hostproc::nspid_of(me.as_fd(), fds.host_proc()).map_err(|_| 1)?;
    let start = |pipes: bool| TreeMessage::Start {
        node: node.to_string(),
        process: spec.name.clone(),
        nspid: nspid.clone(),
        command: spec.command.clone(),
        pipes,
        control: false,
    };
    // The three descriptors to become 0, 1 and 2.
    let (stdin, stdout, stderr) = match stdio {
        Stdio::Pipes => {
            let (out_r, out_w) = pipe2(OFlag::O_CLOEXEC).map_err(|_| 1)?;
            let (err_r, err_w) = pipe2(OFlag::O_CLOEXEC).map_err(|_| 1)?;
            fds.send(&start(true), &[me.as_raw_fd(), out_r.as_raw_fd(), err_r.as_raw_fd()]).map_err(|_| 1)?;
            (fd::dev_null().map_err(|_| 1)?, out_w, err_w)
        }
        Stdio::Given([i, o, e]) => {
            fds.send(&start(false), &[me.as_raw_fd()]).map_err(|_| 1)?;
            let dup = |f: &OwnedFd| f.try_clone().map_err(|_| 1);
            (dup(i)?, dup(o)?, dup(e)?)
        }
    };
    drop(me);

    let fail = |error: String, errno: Errno| -> i32 {
        let msg = TreeMessage::ExecError { node: node.to_string(), process: spec.name.clone(), error };
        let _ = fds.send(&msg, &[]);
        // The shell's convention: 127 when there is nothing to run, 126 when it cannot run.
        if errno == Errno::ENOENT || errno == Errno::ENOTDIR {
            127
        } else {
            126
        }
    };

    for (target, source) in [(0, &stdin), (1, &stdout), (2, &stderr)] {
        fd::move_to(source.as_raw_fd(), target)
            .map_err(|e| fail(format!("cannot set up fd {target}: {}", e.desc()), e))?;
    }
    drop((stdin, stdout, stderr));

    for (key, value) in &spec.env {
        // Single-threaded child: changing our own environment is safe here, and execvp then
        // searches the PATH the spec gives, if it gives one.
        std::env::set_var(key, value);
    }
    if let Some(dir) = &spec.cwd {
        chdir(dir.as_str()).map_err(|e| fail(format!("cannot change to directory {dir:?}: {}", e.desc()), e))?;
    }
    let argv: Vec<CString> =
        spec.command.iter().map(|a| CString::new(a.as_str()).map_err(|_| 1)).collect::<Result<_, _>>()?;
    if let Some(exe) = exe {
        // Whatever goes wrong here (the file changed since the lookup, ENOEXEC), execvp below
        // tries again and has the last word.
        let _ = execv(exe, &argv);
    }
    let e = match execvp(&argv[0], &argv) {
        Ok(never) => match never {},
        Err(e) => e,
    };
    Err(fail(format!("cannot execute {:?}: {}", spec.command[0], e.desc()), e))
}

/// The init's own `start`: it is process "init" of its node, with no pipes of its own (its
/// stderr is the host's, for diagnostics). It hands the host one end of a new control socket
/// and returns the other, on which the host's requests (exec) will arrive, with our own level
/// as the host counts it (the index of our PID in NSpid), and the pidfd of ourselves it sent.
pub fn announce_init(node: &str, fds: &TreeFds) -> Result<(OwnedFd, usize, OwnedFd), Errno> {
    let me = pidfd::open(getpid())?;
    let nspid = hostproc::nspid_of(me.as_fd(), fds.host_proc())?;
    let level = nspid.len() - 1;
    let (ours, hosts) = crate::sys::seqpacket::pair()?;
    let msg = TreeMessage::Start {
        node: node.to_string(),
        process: "init".into(),
        nspid,
        command: vec!["pidns-init".into()],
        pipes: false,
        control: true,
    };
    fds.send(&msg, &[me.as_fd().as_raw_fd(), hosts.as_raw_fd()])?;
    Ok((ours, level, me))
}
