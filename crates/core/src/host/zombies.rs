//! Zombies under a PID 1 that does not reap (a user's `init.command`): its children in state Z,
//! read from the host's /proc. Nothing tells us when such a child dies (only its parent, the
//! user's program, is notified), so the collector looks again while such a namespace lives.
use std::fs;
use std::os::fd::{AsFd, BorrowedFd};

use crate::sys::hostproc;

/// The zombie children of host PID `parent`, as PIDs in their own namespace, ascending.
pub fn zombie_children(parent: i32) -> Vec<i32> {
    let Ok(list) = fs::read_to_string(format!("/proc/{parent}/task/{parent}/children")) else {
        return Vec::new();
    };
    let proc = fs::File::open("/proc");
    let mut pids: Vec<i32> = list
        .split_whitespace()
        .filter_map(|p| p.parse::<i32>().ok())
        .filter(|p| proc.as_ref().is_ok_and(|proc| is_zombie_at(proc.as_fd(), *p)))
        .filter_map(|p| {
            let status = fs::read_to_string(format!("/proc/{p}/status")).ok()?;
            hostproc::parse_nspid(&status)?.last().copied()
        })
        .collect();
    pids.sort_unstable();
    pids
}

/// Whether host PID `pid` is a zombie (its state, after the parenthesised command name, is Z),
/// read through `proc`, the host's /proc, open once by the caller (`ps` asks for every process
/// of a tree): one openat below that descriptor, one read into a buffer on the stack and a
/// close, where a path from / and `read_to_string` took ten system calls (a stat for the size,
/// which /proc files do not have, then reads from 32 bytes up).
pub fn is_zombie_at(proc: BorrowedFd<'_>, pid: i32) -> bool {
    hostproc::start_time(proc, pid).is_ok_and(|(_, state)| state == 'Z')
}

#[cfg(test)]
mod tests {
    use super::*;
    use nix::sys::wait::{waitid, Id, WaitPidFlag};
    use nix::unistd::Pid;

    #[test]
    fn tells_a_zombie_from_a_running_or_reaped_process() {
        let proc = fs::File::open("/proc").unwrap();
        assert!(!is_zombie_at(proc.as_fd(), std::process::id() as i32), "we are running");
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id() as i32;
        // Until it has ended, without reaping it: a zombie until we wait for it.
        waitid(Id::Pid(Pid::from_raw(pid)), WaitPidFlag::WEXITED | WaitPidFlag::WNOWAIT).unwrap();
        assert!(is_zombie_at(proc.as_fd(), pid), "ended, not yet reaped");
        child.wait().unwrap();
        assert!(!is_zombie_at(proc.as_fd(), pid), "reaped: no such process");
    }
}
