//! PID translation by the kernel. The host opens its /proc once and the descriptor is inherited
//! down the whole tree (never into user processes: it is close-on-exec). A process that reads
//! `self/status` through it gets `NSpid` as the host sees it: its PID at the host's level and at
//! every namespace level below, down to its own. Nothing is guessed or computed.
use std::io::Read;
use std::os::fd::BorrowedFd;

use nix::errno::Errno;
use nix::fcntl::{openat, OFlag};
use nix::sys::stat::Mode;

/// The caller's PIDs, outermost (the host's /proc) first.
pub fn own_nspid(host_proc: BorrowedFd<'_>) -> Result<Vec<i32>, Errno> {
    let fd = openat(host_proc, "self/status", OFlag::O_RDONLY | OFlag::O_CLOEXEC, Mode::empty())?;
    let mut file = std::fs::File::from(fd);
    let mut text = String::new();
    file.read_to_string(&mut text).map_err(|_| Errno::EIO)?;
    parse_nspid(&text).ok_or(Errno::ENOENT)
}

/// The `NSpid:` line of a /proc/<pid>/status text.
pub fn parse_nspid(status: &str) -> Option<Vec<i32>> {
    let line = status.lines().find(|l| l.starts_with("NSpid:"))?;
    line["NSpid:".len()..]
        .split_whitespace()
        .map(|n| n.parse().ok())
        .collect()
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
    fn reads_own_nspid_through_proc() {
        let proc_dir = std::fs::File::open("/proc").unwrap();
        use std::os::fd::AsFd;
        let pids = own_nspid(proc_dir.as_fd()).unwrap();
        assert_eq!(*pids.last().unwrap(), std::process::id() as i32);
    }
}
