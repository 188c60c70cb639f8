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

/// The start time (clock ticks since boot, /proc/PID/stat field 22) and state (field 3) of host
/// process `pid`, read through `host_proc`. With the PID, the start time identifies a process
/// for good: a PID reused later belongs to a process that started later.
pub fn start_time(host_proc: BorrowedFd<'_>, pid: i32) -> Result<(u64, char), Errno> {
    let path = format!("{pid}/stat");
    let fd = openat(host_proc, path.as_str(), OFlag::O_RDONLY | OFlag::O_CLOEXEC, Mode::empty())?;
    let mut buf = [0u8; 1024];
    let len = nix::unistd::read(&fd, &mut buf)?;
    parse_stat(&buf[..len]).ok_or(Errno::EIO)
}

/// A file of a /proc (`PID/status`, `thread-self/children`) read whole through its directory
/// `proc_dir`; None when it cannot be (the process is gone).
pub fn read_at(proc_dir: BorrowedFd<'_>, path: &str) -> Option<String> {
    let fd = openat(proc_dir, path, OFlag::O_RDONLY | OFlag::O_CLOEXEC, Mode::empty()).ok()?;
    crate::sys::dirfd::read_all(fd).ok()
}

/// The fields of a /proc/PID/stat text from field 3 (the state) on. The command name (field 2)
/// comes in parentheses and may contain anything, so fields are counted after its last ')'.
fn stat_fields(stat: &[u8]) -> Option<std::str::SplitAsciiWhitespace<'_>> {
    let close = stat.iter().rposition(|&b| b == b')')?;
    Some(std::str::from_utf8(stat.get(close + 2..)?).ok()?.split_ascii_whitespace())
}

/// Start time and state from a /proc/PID/stat text.
pub fn parse_stat(stat: &[u8]) -> Option<(u64, char)> {
    let mut fields = stat_fields(stat)?;
    let state = fields.next()?.chars().next()?;
    // Field 3 is the state; the start time is field 22, 19 fields further.
    let start = fields.nth(18)?.parse().ok()?;
    Some((start, state))
}

/// The parent's PID (field 4) from a /proc/PID/stat text.
pub fn parse_ppid(stat: &[u8]) -> Option<i32> {
    stat_fields(stat)?.nth(1)?.parse().ok()
}

/// State (field 3) and session (field 6) from a /proc/PID/stat text.
pub fn parse_session(stat: &[u8]) -> Option<(char, i32)> {
    let mut fields = stat_fields(stat)?;
    let state = fields.next()?.chars().next()?;
    // ppid, pgrp, then the session.
    let session = fields.nth(2)?.parse().ok()?;
    Some((state, session))
}

/// The `NSpid:` line of a /proc/<pid>/status text.
pub fn parse_nspid(status: &str) -> Option<Vec<i32>> {
    parse_ns_ids(status, "NSpid:")
}

/// A `NSpid:`-style line of a /proc/<pid>/status text (`NSpgid:`, `NSsid:`): the ID at every
/// level from that /proc's namespace down.
pub fn parse_ns_ids(status: &str, name: &str) -> Option<Vec<i32>> {
    let line = status.lines().find(|l| l.starts_with(name))?;
    line[name.len()..].split_whitespace().map(|n| n.parse().ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_nspid() {
        let s = "Name:\tsleep\nPid:\t9\nNSpid:\t48211\t9\t5\t2\nPPid:\t1\n";
        assert_eq!(parse_nspid(s), Some(vec![48211, 9, 5, 2]));
        assert_eq!(parse_nspid("Pid:\t1\n"), None);
        let status = "Name:\tsh\nNSpgid:\t4821\t9\t2\nNSsid:\t4800\t1\n";
        assert_eq!(parse_ns_ids(status, "NSpgid:"), Some(vec![4821, 9, 2]));
        assert_eq!(parse_ns_ids(status, "NSpid:"), None);
    }

    #[test]
    fn parses_stat_with_any_command_name() {
        let stat = b"42 (a) b (c)) S 1 42 42 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 98765 1 2\n";
        assert_eq!(parse_stat(stat), Some((98765, 'S')));
        assert_eq!(parse_stat(b"42 (x) Z"), None);
        let stat = b"42 (a) b (c)) S 1 40 39 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 98765 1 2\n";
        assert_eq!(parse_session(stat), Some(('S', 39)));
        assert_eq!(parse_session(b"42 (x) Z 1"), None);
        assert_eq!(parse_ppid(stat), Some(1));
        assert_eq!(parse_ppid(b"42 (x) Z"), None);
    }

    #[test]
    fn reads_own_start_time() {
        let proc_dir = std::fs::File::open("/proc").unwrap();
        use std::os::fd::AsFd;
        let (start, state) = start_time(proc_dir.as_fd(), std::process::id() as i32).unwrap();
        assert!(start > 0);
        assert!("RS".contains(state), "{state}");
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
