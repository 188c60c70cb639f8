//! Small fd operations that must also work between fork and exec (no allocation).
use std::os::fd::{BorrowedFd, FromRawFd, OwnedFd, RawFd};

use nix::errno::Errno;
use nix::fcntl::{fcntl, FcntlArg, OFlag};

/// dup2 that is async-signal-safe and, unlike dup2 itself, also clears O_CLOEXEC when `from`
/// already is `to` (dup2 is then a no-op and the flag would survive into exec).
pub fn move_to(from: RawFd, to: RawFd) -> Result<(), Errno> {
    if from == to {
        // SAFETY: plain fcntl on a descriptor number; no memory is touched.
        let r = unsafe { libc::fcntl(from, libc::F_SETFD, 0) };
        return if r == -1 { Err(Errno::last()) } else { Ok(()) };
    }
    // SAFETY: dup2 only manipulates the descriptor table.
    let r = unsafe { libc::dup2(from, to) };
    if r == -1 {
        Err(Errno::last())
    } else {
        Ok(())
    }
}

/// Duplicates `fd` to a number >= `min`, close-on-exec, so that later `move_to`s to low fixed
/// numbers (0..=5) never overwrite a source that happens to sit there.
pub fn dup_high(fd: BorrowedFd<'_>, min: RawFd) -> Result<OwnedFd, Errno> {
    let n = fcntl(fd, FcntlArg::F_DUPFD_CLOEXEC(min))?;
    // SAFETY: F_DUPFD_CLOEXEC returned a new descriptor that nobody else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(n) })
}

/// A close-on-exec duplicate (numbered `min` or above) of a descriptor someone else owns and
/// keeps open, named by its number (JavaScript hands out numbers, such as its stdout's).
pub fn dup_raw(fd: RawFd, min: RawFd) -> Result<OwnedFd, Errno> {
    // SAFETY: F_DUPFD_CLOEXEC only reads the descriptor table; a bad number is EBADF.
    let n = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, min) };
    if n < 0 {
        return Err(Errno::last());
    }
    // SAFETY: the new descriptor is ours alone.
    Ok(unsafe { OwnedFd::from_raw_fd(n) })
}

/// Takes ownership of an inherited descriptor number (fds 3, 4, 5 handed to pidns-init) and
/// marks it close-on-exec so it never leaks into the user's processes.
pub fn adopt_inherited(fd: RawFd) -> Result<OwnedFd, Errno> {
    // SAFETY: plain fcntl on a descriptor number; no memory is touched.
    if unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) } == -1 {
        return Err(Errno::last());
    }
    // SAFETY: the fd is open (fcntl succeeded) and by the launch contract belongs to us alone.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

pub fn set_nonblocking(fd: BorrowedFd<'_>) -> Result<(), Errno> {
    let flags = OFlag::from_bits_truncate(fcntl(fd, FcntlArg::F_GETFL)?);
    fcntl(fd, FcntlArg::F_SETFL(flags | OFlag::O_NONBLOCK))?;
    Ok(())
}

/// Opens /dev/null read-write, close-on-exec.
pub fn dev_null() -> Result<OwnedFd, Errno> {
    nix::fcntl::open("/dev/null", OFlag::O_RDWR | OFlag::O_CLOEXEC, nix::sys::stat::Mode::empty())
}

/// Closes every descriptor from 3 up except those in `keep` (a cloned init starts clean: its
/// parent's pipes, sockets and signalfd are not its own). Works whatever the numbers are,
/// with no allocation and no descriptor to spare.
pub fn keep_only(keep: &[RawFd]) {
    let mut kept = [0 as RawFd; 8];
    let n = keep.len().min(kept.len());
    kept[..n].copy_from_slice(&keep[..n]);
    kept[..n].sort_unstable();
    let mut from = 3;
    for &k in &kept[..n] {
        if k >= from {
            close_range(from, k - 1);
            from = k + 1;
        }
    }
    close_range(from, RawFd::MAX);
}

fn close_range(first: RawFd, last: RawFd) {
    if first > last {
        return;
    }
    // SAFETY: close_range only closes descriptors; the caller owns everything in the range.
    unsafe { libc::syscall(libc::SYS_close_range, first as libc::c_uint, last as libc::c_uint, 0) };
}
