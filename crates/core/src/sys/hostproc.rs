//! PID translation by the kernel. The host opens its /proc once and the descriptor is inherited
//! down the whole tree (never into user processes: it is close-on-exec). A process that reads
//! the fdinfo of a pidfd (of itself, or of a zombie child) through it gets `NSpid` as the host
//! sees it: the PID at the host's level and at every namespace level below. Nothing is guessed
//! or computed.
use std::os::fd::{AsRawFd, BorrowedFd};

use nix::errno::Errno;
use nix::fcntl::{openat, OFlag};
use nix::sys::stat::Mode;

/// The PIDs of the process `pidfd` refers to, outermost (the host's /proc) first: the pidfd's
/// fdinfo, read through the host's /proc, lists them as the host sees them. Also works for a
/// zombie not yet reaped. A few dozen bytes, one read: much cheaper than `status`, which every
/// process and init of a tree reads once.
pub fn nspid_of(pidfd: BorrowedFd<'_>, host_proc: BorrowedFd<'_>) -> Result<Vec<i32>, Errno> {
    let path = format!("self/fdinfo/{}", pidfd.as_raw_fd());
    let fd = openat(host_proc, path.as_str(), OFlag::O_RDONLY | OFlag::O_CLOEXEC, Mode::empty())?;
    // The record is written whole by the first read; a full buffer would mean it did not fit.
    let mut buf = [0u8; 512];
    let len = nix::unistd::read(&fd, &mut buf)?;
    if len == buf.len() {
        return Err(Errno::EOVERFLOW);
    }
    let text = std::str::from_utf8(&buf[..len]).map_err(|_| Errno::EIO)?;
    parse_nspid(text).ok_or(Errno::ENOENT)
}

/// The `NSpid:` line of a /proc/<pid>/status text.
pub fn parse_nspid(status: &str) -> Option<Vec<i32>> {
    let line = status.lines().find(|l| l.starts_with("NSpid:"))?;
    line["NSpid:".len()..].split_whitespace().map(|n| n.parse().ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_nspid() {
        let s = "Name:\tsleep\nPid:\t9\nNSpid:\t48211\t9\t5\t2\nPPid:\t1\n";
        assert_eq!(parse_nspid(s), Some(vec![48211, 9, 5, 2]));
        assert_eq!(parse_nspid("Pid:\t1\n"), None);
    }

    #[test]
    fn reads_own_nspid_through_a_pidfd() {
        let proc_dir = std::fs::File::open("/proc").unwrap();
        use std::os::fd::AsFd;
        let me = crate::sys::pidfd::open(nix::unistd::getpid()).unwrap();
        let pids = nspid_of(me.as_fd(), proc_dir.as_fd()).unwrap();
        assert_eq!(*pids.last().unwrap(), std::process::id() as i32);
    }
}
