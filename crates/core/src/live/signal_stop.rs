//! Stopping a detached tree without speaking its protocol: for a tree whose supervisor was
//! started by a build that speaks another live protocol (or none), to which a client must send
//! no request. Signals are the one interface every supervisor has had; they go only to
//! processes proved to be that tree's, through pidfds (never a PID that could be reused):
//!
//! - the supervisor: the process that serves the tree's control socket, as the kernel says
//!   (SO_PEERPIDFD of a connection to it, after its credentials were checked: us or root), and
//!   the PID that the tree's info.json names. Nothing is sent on that connection.
//! - the root init: the process that info.json names, if it is the supervisor's child (its
//!   parent PID, read while both are held by pidfds and still alive, is the supervisor's).
//!
//! The root init gets SIGTERM, then SIGKILL after the grace period (what the `stop` request
//! does), and the supervisor ends with its tree. A root init that cannot be proved is left
//! alone: the supervisor gets SIGTERM instead, and its root init dies with it (PDEATHSIG).
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::time::{Duration, Instant};

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::socket::{getsockopt, sockopt};
use nix::unistd::Pid;
use pidns_model::json_read::{Members, Reader};

use super::client::{connect_to, find, RequestError};
use crate::sys::{hostproc, pidfd};

/// How long a supervisor has to end once its tree has been killed.
const END_MS: u64 = 10_000;

/// How the tree was stopped.
#[derive(Debug, PartialEq, Eq)]
pub enum Stopped {
    /// Its root init ended within the grace period after SIGTERM.
    Terminated,
    /// Its root init got SIGKILL after the grace period.
    Killed,
    /// Its root init could not be proved to be the tree's: its supervisor got SIGTERM instead
    /// (and the root init died with it).
    SupervisorTerminated,
}

impl Stopped {
    /// How, in a word: what `pidns-tree stop` says and its JSON's `bySignal`.
    pub fn word(&self) -> &'static str {
        match self {
            Stopped::Terminated => "SIGTERM",
            Stopped::Killed => "SIGKILL",
            Stopped::SupervisorTerminated => "SIGTERM to its supervisor",
        }
    }
}

/// Sends `signal` (named `name`) to `what` through its pidfd; a process already gone is fine,
/// a refusal (EPERM: a supervisor that runs as root) is the caller's error, with its cause.
fn send(fd: BorrowedFd<'_>, signal: i32, name: &str, what: &str) -> Result<(), RequestError> {
    pidfd::signal_if_alive(fd, signal)
        .map(|_| ())
        .map_err(|e| RequestError::Unsafe(format!("cannot send {name} to {what}: {}", e.desc())))
}

/// The PID a pidfd refers to, as this process's /proc shows it (its fdinfo's `Pid:`).
fn pid_of(fd: BorrowedFd<'_>) -> Option<i32> {
    let text = std::fs::read_to_string(format!("/proc/self/fdinfo/{}", fd.as_raw_fd())).ok()?;
    text.lines().find_map(|l| l.strip_prefix("Pid:")).and_then(|v| v.trim().parse().ok())
}

/// Waits until the process behind `fd` has ended (its pidfd becomes readable), at most `ms`.
fn ended_within(fd: BorrowedFd<'_>, ms: u64) -> bool {
    let deadline = Instant::now() + Duration::from_millis(ms);
    loop {
        let left = deadline.saturating_duration_since(Instant::now()).as_millis().min(i32::MAX as u128) as i32;
        let mut pfd = [PollFd::new(fd, PollFlags::POLLIN)];
        match poll(&mut pfd, PollTimeout::try_from(left).unwrap_or(PollTimeout::ZERO)) {
            Ok(n) if n > 0 => return true,
            Ok(_) => return false,
            Err(nix::errno::Errno::EINTR) => continue,
            Err(_) => return false,
        }
    }
}

/// The root init, if it is provably the child of the supervisor behind `supervisor`.
fn root_init(root_pid: i32, supervisor: BorrowedFd<'_>, supervisor_pid: i32) -> Option<OwnedFd> {
    if root_pid <= 0 {
        return None;
    }
    // The pidfd first: whatever the stat read below shows, the pidfd's process is the one that
    // had the PID then, and it still has it if it is alive after the read (a PID is not reused
    // while its process, zombie or not, exists). The same holds for the supervisor's PID.
    let root = pidfd::open(Pid::from_raw(root_pid)).ok()?;
    let stat = std::fs::read(format!("/proc/{root_pid}/stat")).ok()?;
    let parent = hostproc::parse_ppid(&stat)?;
    let alive = |fd: BorrowedFd<'_>| pidfd::signal_if_alive(fd, 0).unwrap_or(false);
    (parent == supervisor_pid && alive(root.as_fd()) && alive(supervisor)).then_some(root)
}

/// Stops tree `id` by signals (see the module's notes), waiting up to `grace` for its root init
/// to end after SIGTERM. Returns once the supervisor has ended.
pub fn stop_by_signal(id: &str, grace: Duration) -> Result<Stopped, RequestError> {
    let tree = find(id)?;
    let info = tree.info().ok_or_else(|| RequestError::Gone(format!("tree {id} is not up yet (no info.json)")))?;
    let bad =
        |why: String| RequestError::Unsafe(format!("{}/info.json: {why}: nothing was signalled", tree.path.display()));
    let m = Members::parse(&info, "info").map_err(bad)?;
    let named_pid = m.read("pid", Reader::i32).map_err(bad)?;
    let root_pid = m.opt("rootPid", Reader::i32).map_err(bad)?.unwrap_or(0);
    // Checks the socket and who serves it (us or root) before anything else; sends nothing.
    let sock = connect_to(&tree)?;
    let supervisor = getsockopt(&sock, sockopt::PeerPidfd).map_err(|e| {
        RequestError::Unsafe(format!(
            "tree {id}: cannot tell which process serves its control socket ({}; SO_PEERPIDFD needs Linux 6.5 or \
             later): nothing was signalled; stop it with the pidns-tree that started it",
            e.desc()
        ))
    })?;
    drop(sock);
    let supervisor_pid = pid_of(supervisor.as_fd()).unwrap_or(0);
    if supervisor_pid != named_pid {
        return Err(RequestError::Unsafe(format!(
            "tree {id}: its control socket is served by PID {supervisor_pid}, but its info.json names PID \
             {named_pid}: nothing was signalled"
        )));
    }
    let supervisor_name = format!("the supervisor of tree {id} (PID {supervisor_pid})");
    let stopped = match root_init(root_pid, supervisor.as_fd(), supervisor_pid) {
        Some(root) => {
            let root_name = format!("the root init of tree {id} (PID {root_pid})");
            send(root.as_fd(), libc::SIGTERM, "SIGTERM", &root_name)?;
            if ended_within(root.as_fd(), grace.as_millis() as u64) {
                Stopped::Terminated
            } else {
                send(root.as_fd(), libc::SIGKILL, "SIGKILL", &root_name)?;
                Stopped::Killed
            }
        }
        None => {
            send(supervisor.as_fd(), libc::SIGTERM, "SIGTERM", &supervisor_name)?;
            Stopped::SupervisorTerminated
        }
    };
    if !ended_within(supervisor.as_fd(), END_MS) {
        // Its tree is gone or going; a supervisor that hangs on is ended (it is the tree's).
        send(supervisor.as_fd(), libc::SIGKILL, "SIGKILL", &supervisor_name)?;
        if !ended_within(supervisor.as_fd(), END_MS) {
            return Err(RequestError::Gone(format!("tree {id}: {supervisor_name} did not end after SIGKILL")));
        }
    }
    Ok(stopped)
}
