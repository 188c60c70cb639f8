//! pidfds: handles on a process that stay valid (and never point at another process) after its
//! PID is reused. Signals to tree processes and waits on the root init go through them.
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

use nix::errno::Errno;
use nix::unistd::Pid;

use crate::status::ExitStatus;

pub fn open(pid: Pid) -> Result<OwnedFd, Errno> {
    // SAFETY: pidfd_open takes a pid and flags and returns a new descriptor or -1.
    let r = unsafe { libc::syscall(libc::SYS_pidfd_open, pid.as_raw(), 0) };
    if r < 0 {
        return Err(Errno::last());
    }
    // SAFETY: the syscall returned a new, O_CLOEXEC descriptor that nobody else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(r as i32) })
}

pub fn send_signal(pidfd: BorrowedFd<'_>, signal: i32) -> Result<(), Errno> {
    // SAFETY: a null siginfo makes the kernel fill it in as for kill(2).
    let r = unsafe {
        libc::syscall(libc::SYS_pidfd_send_signal, pidfd.as_raw_fd(), signal, std::ptr::null::<libc::siginfo_t>(), 0)
    };
    if r < 0 {
        Err(Errno::last())
    } else {
        Ok(())
    }
}

/// `send_signal`, where a process that is gone is an answer, not an error: Ok(false) on ESRCH.
pub fn signal_if_alive(pidfd: BorrowedFd<'_>, signal: i32) -> Result<bool, Errno> {
    match send_signal(pidfd, signal) {
        Ok(()) => Ok(true),
        Err(Errno::ESRCH) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Reaps the (child) process behind `pidfd` without blocking; `None` while it still runs. The
/// status is the kernel's (a real-time signal that killed it included).
pub fn try_reap(pidfd: BorrowedFd<'_>) -> Result<Option<ExitStatus>, Errno> {
    // SAFETY: siginfo_t is plain data; zeroed is a valid initial value for waitid to fill.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    // SAFETY: waitid writes only into `info`, which lives for the whole call.
    let r = unsafe {
        libc::waitid(libc::P_PIDFD, pidfd.as_raw_fd() as libc::id_t, &mut info, libc::WEXITED | libc::WNOHANG)
    };
    if r < 0 {
        return Err(Errno::last());
    }
    // SAFETY: waitid succeeded, so these union fields are the ones it filled (zero pid = none).
    let (pid, code, status) = unsafe { (info.si_pid(), info.si_code, info.si_status()) };
    if pid == 0 {
        return Ok(None);
    }
    Ok(Some(match code {
        libc::CLD_EXITED => ExitStatus::exited(status),
        _ => ExitStatus::killed(status),
    }))
}
