//! Reaping: which child ended, and (for orphans) its PIDs at every level before it is gone.
use std::os::fd::{AsFd, BorrowedFd};

use nix::errno::Errno;
use nix::unistd::Pid;

use crate::status::ExitStatus;
use crate::sys::{hostproc, pidfd};

/// The next child that has ended, without reaping it (so it can still be looked at), or None.
pub fn peek_ended() -> Option<Pid> {
    // SAFETY: siginfo_t is plain data; zeroed is a valid value for waitid to fill in.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    // SAFETY: waitid writes only into `info`, which outlives the call.
    let r = unsafe { libc::waitid(libc::P_ALL, 0, &mut info, libc::WEXITED | libc::WNOHANG | libc::WNOWAIT) };
    // SAFETY: waitid succeeded, so si_pid is the field it filled (0: nothing has ended).
    let pid = if r == 0 { unsafe { info.si_pid() } } else { 0 };
    (pid > 0).then(|| Pid::from_raw(pid))
}

/// Reaps `pid`, which `peek_ended` reported. (Raw status: a real-time signal that killed it
/// is reported too, see sys::wait.)
pub fn reap(pid: Pid) -> Option<ExitStatus> {
    crate::sys::wait::wait(Some(pid), libc::__WALL).ok().flatten().map(|(_, status)| status)
}

/// True while the caller has any child at all (running or ended).
pub fn has_children() -> bool {
    // SAFETY: as in `peek_ended`.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    // SAFETY: as in `peek_ended`; WNOWAIT|WNOHANG only asks, it changes nothing.
    let r = unsafe { libc::waitid(libc::P_ALL, 0, &mut info, libc::WEXITED | libc::WNOHANG | libc::WNOWAIT) };
    !(r == -1 && Errno::last() == Errno::ECHILD)
}

/// The PIDs of an ended, not yet reaped child at every level, host first.
pub fn nspid_of_zombie(pid: Pid, host_proc: BorrowedFd<'_>) -> Option<Vec<i32>> {
    let fd = pidfd::open(pid).ok()?;
    hostproc::nspid_of(fd.as_fd(), host_proc).ok().filter(|p| p.iter().all(|&n| n > 0))
}
