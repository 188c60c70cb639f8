//! The init's children as the kernel lists them (/proc/thread-self/children), in the init's own
//! PID namespace: processes it started, inits of child namespaces, and orphans it adopted.
use std::os::fd::BorrowedFd;

use nix::unistd::Pid;

use crate::sys::hostproc::{self, read_at as read};

/// Children listed through `proc_dir`. With `from_host = Some(level)`, that /proc is the host's
/// and each PID is translated to ours: the NSpid entry at `level`, our own level as the host
/// counts (not the last entry: a child namespace's init is 1 there, and a process in a
/// namespace whose PID 1 is the user's has its PID of that namespace there). With None it is
/// our own namespace's /proc already.
pub fn list(proc_dir: BorrowedFd<'_>, from_host: Option<usize>) -> Vec<Pid> {
    let Some(text) = read(proc_dir, "thread-self/children") else { return Vec::new() };
    text.split_whitespace()
        .filter_map(|n| n.parse::<i32>().ok())
        .filter_map(|pid| {
            let Some(level) = from_host else { return Some(pid) };
            let status = read(proc_dir, &format!("{pid}/status"))?;
            hostproc::parse_nspid(&status)?.get(level).copied()
        })
        .map(Pid::from_raw)
        .collect()
}
