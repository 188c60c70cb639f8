//! Starting one process: fork (a pidfd comes with it), then in the child everything up to exec.
//!
//! The parent, not the child, tells the host the process exists (`start_message`, read from the
//! child's pidfd while the child cannot be reaped by anyone else), before it relays a byte of
//! its output and before it can report its exit: every `exit` has its `start` first, even for a
//! process killed before it ever ran.
use std::convert::Infallible;
use std::ffi::{CStr, CString};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};

use nix::errno::Errno;
use nix::unistd::{chdir, execv, setpgid, setsid, Pid};
use pidns_model::ProcessSpec;

use super::start_order;
use crate::sys::exec::execvp;
use crate::sys::{clone, fd, hostproc, limits, pty, seqpacket, setns, signals};
use crate::wire::tree::{ProcKey, TreeMessage};

/// What the child needs to become the process.
pub struct Setup<'a> {
    pub key: ProcKey,
    pub spec: &'a ProcessSpec,
    /// The program's file when the root init looked it up already (`commands::CommandPaths`);
    /// otherwise execvp searches PATH.
    pub exe: Option<&'a CStr>,
    /// What becomes its stdin, stdout and stderr.
    pub stdio: [RawFd; 3],
    /// The tree's event socket: the child reports a failed exec there itself.
    pub events: BorrowedFd<'a>,
    /// The soft RLIMIT_NOFILE the tree started with (inits raise theirs).
    pub nofile: Option<u64>,
    /// Join this process's mount namespace first (a namespace whose PID 1 is the user's: the
    /// caller has already pointed its children's PID namespace there).
    pub mounts_of: Option<BorrowedFd<'a>>,
    /// A terminal session (`tty`): the child leads a new session (setsid, instead of a process
    /// group of its own) whose controlling terminal is its stdin, a terminal. Then it is the
    /// terminal's foreground job, and a shell there has job control.
    pub session: bool,
    /// Wait at this gate before exec: the start-up's (reproducible PIDs: see `start_order`), or
    /// an exec'd terminal session's own, open once its session is tracked (`node`).
    pub gate: Option<BorrowedFd<'a>>,
}

/// Forks the process; returns its PID here and a pidfd for it.
pub fn fork_process(setup: &Setup<'_>) -> Result<(Pid, OwnedFd), Errno> {
    // SAFETY: the init is single-threaded, so the child may run arbitrary code before exec.
    match unsafe { clone::clone_into_namespaces(0) }? {
        clone::Forked::Parent { pid, pidfd } => Ok((pid, pidfd)),
        clone::Forked::Child => {
            if setup.session {
                // A session is a process group too (its leader's): signals by group still work.
                let _ = setsid();
            } else {
                // Its own process group, so that a signal can reach everything it starts.
                let _ = setpgid(Pid::from_raw(0), Pid::from_raw(0));
            }
            become_process(setup)
        }
    }
}

/// Turns the calling process into `setup`'s process (a forked child, or the user's PID 1 right
/// after its clone); exits 126/127 when the command cannot run, after telling the host why.
pub fn become_process(setup: &Setup<'_>) -> ! {
    let code = match prepare_and_exec(setup) {
        Ok(never) => match never {},
        Err(code) => code,
    };
    crate::sys::process::exit_now(code)
}

fn prepare_and_exec(s: &Setup<'_>) -> Result<Infallible, i32> {
    let fail = |error: String, errno: Errno| -> i32 {
        let msg = TreeMessage::ExecFailed { key: s.key, error };
        let _ = seqpacket::send(s.events, &msg.to_bytes(), &[]);
        // The shell's convention: 127 when there is nothing to run, 126 when it cannot run.
        if errno == Errno::ENOENT || errno == Errno::ENOTDIR {
            127
        } else {
            126
        }
    };
    if let Some(target) = s.mounts_of {
        setns::mount_ns(target).map_err(|e| fail(format!("cannot enter the namespace's mounts: {}", e.desc()), e))?;
    }
    for (target, source) in [0, 1, 2].into_iter().zip(s.stdio) {
        fd::move_to(source, target).map_err(|e| fail(format!("cannot set up fd {target}: {}", e.desc()), e))?;
    }
    if s.session {
        match pty::make_controlling(0) {
            Ok(()) => {}
            // EIO: its terminal was hung up (the other end closed: a caller that destroyed the
            // terminal's stream) before the command could start. That is no failure to execute
            // (126): it ends as a hang-up ends a session leader, by SIGHUP, and says why.
            Err(Errno::EIO) => return Err(hung_up(s)),
            Err(e) => return Err(fail(format!("cannot make its terminal its controlling terminal: {}", e.desc()), e)),
        }
    }
    if let Some(gate) = s.gate {
        // Hold nothing of the init's while waiting: a subtree's end or the gate's write end
        // held here would keep the start-up waiting for us.
        fd::keep_only(&[gate.as_raw_fd(), s.events.as_raw_fd()]);
    }
    for (key, value) in &s.spec.env {
        // Single-threaded child: changing our own environment is safe here, and execvp then
        // searches the PATH the spec gives, if it gives one.
        std::env::set_var(key, value);
    }
    if let Some(dir) = &s.spec.cwd {
        chdir(dir.as_str()).map_err(|e| fail(format!("cannot change to directory {dir:?}: {}", e.desc()), e))?;
    }
    let argv: Vec<CString> = s
        .spec
        .command
        .iter()
        .map(|a| CString::new(a.as_str()))
        .collect::<Result<_, _>>()
        .map_err(|_| fail("an argument contains a NUL byte".into(), Errno::EINVAL))?;
    if let Some(soft) = s.nofile {
        limits::restore_nofile(soft);
    }
    // Last: a signal sent to it meanwhile (a stop that began) is delivered here, before exec.
    signals::clean_slate_for_exec();
    if let Some(gate) = s.gate {
        // With default signal actions: a stop that comes while we wait ends us here.
        start_order::wait_at_gate(gate);
    }
    if let Some(exe) = s.exe {
        // Whatever goes wrong here (the file changed since the lookup, ENOEXEC), execvp below
        // tries again and has the last word.
        let _ = execv(exe, &argv);
    }
    let e = match execvp(&argv[0], &argv) {
        Ok(never) => match never {},
        Err(e) => e,
    };
    Err(fail(format!("cannot execute {:?}: {}", s.spec.command[0], e.desc()), e))
}

/// A session whose terminal was hung up before its command started: the host is told why, and
/// the child ends by SIGHUP, as the hang-up would have ended it a moment later (exit 129 should
/// SIGHUP not end it).
fn hung_up(s: &Setup<'_>) -> i32 {
    let error = "its terminal was hung up before the command could start (the terminal's other end was closed): \
                 it did not run"
        .to_string();
    let _ = seqpacket::send(s.events, &TreeMessage::ExecFailed { key: s.key, error }.to_bytes(), &[]);
    signals::clean_slate_for_exec();
    // kill(getpid()), not raise(): this child was made by a raw clone, and musl's raise signals
    // the thread id it cached, which is the init's.
    let _ = signals::send(nix::unistd::getpid(), libc::SIGHUP);
    128 + libc::SIGHUP
}

/// The `start` of a child of ours: its PIDs at every level and its start time, read through its
/// pidfd and the host's /proc; with its host PID, the first of those PIDs.
pub fn start_message(
    key: ProcKey,
    name: &str,
    command: &[String],
    relayed: bool,
    pidfd: BorrowedFd<'_>,
    host_proc: BorrowedFd<'_>,
) -> Result<(TreeMessage<'static>, i32), Errno> {
    let nspid = hostproc::nspid_of(pidfd.as_fd(), host_proc)?;
    let host_pid = *nspid.first().ok_or(Errno::ENOENT)?;
    let (start_time, _) = hostproc::start_time(host_proc, host_pid)?;
    let msg = TreeMessage::Start { key, name: name.to_string(), nspid, start_time, command: command.to_vec(), relayed };
    Ok((msg, host_pid))
}
