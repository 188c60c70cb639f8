//! Zombies under a PID 1 that does not reap (a user's `init.command`): its children in state Z,
//! read from the host's /proc. Nothing tells us when such a child dies (only its parent, the
//! user's program, is notified), so the collector looks again while such a namespace lives.
use std::fs;

use crate::sys::hostproc;

/// The zombie children of host PID `parent`, as PIDs in their own namespace, ascending.
pub fn zombie_children(parent: i32) -> Vec<i32> {
    let Ok(list) = fs::read_to_string(format!("/proc/{parent}/task/{parent}/children")) else {
        return Vec::new();
    };
    let mut pids: Vec<i32> = list
        .split_whitespace()
        .filter_map(|p| p.parse::<i32>().ok())
        .filter(|p| is_zombie(*p))
        .filter_map(|p| {
            let status = fs::read_to_string(format!("/proc/{p}/status")).ok()?;
            hostproc::parse_nspid(&status)?.last().copied()
        })
        .collect();
    pids.sort_unstable();
    pids
}

/// Whether host PID `pid` is a zombie (its state, after the parenthesised command name, is Z).
pub fn is_zombie(pid: i32) -> bool {
    // The state follows the command name, which is in parentheses and may contain anything.
    fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| s.rfind(") ").map(|i| s[i + 2..].starts_with('Z')))
        .unwrap_or(false)
}
