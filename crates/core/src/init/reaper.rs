//! Reaping: which child ended, and (for orphans) its PIDs at every level before it is gone.
use std::os::fd::{AsFd, BorrowedFd};

use nix::unistd::Pid;

use crate::status::ExitStatus;
use crate::sys::{hostproc, pidfd};

pub use crate::sys::wait::{has_children, peek_ended};

/// Reaps `pid`, which `peek_ended` reported. (Raw status: a real-time signal that killed it
/// is reported too, see sys::wait.)
pub fn reap(pid: Pid) -> Option<ExitStatus> {
    crate::sys::wait::wait(Some(pid), libc::__WALL).ok().flatten().map(|(_, status)| status)
}

/// The PIDs of an ended, not yet reaped child at every level, host first.
pub fn nspid_of_zombie(pid: Pid, host_proc: BorrowedFd<'_>) -> Option<Vec<i32>> {
    let fd = pidfd::open(pid).ok()?;
    hostproc::nspid_of(fd.as_fd(), host_proc).ok().filter(|p| p.iter().all(|&n| n > 0))
}
