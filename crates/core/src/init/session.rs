//! The end of a terminal session that an exec started (`exec` with `tty`): when its leader (the
//! exec'd command, which setsid made a session leader) has been reaped, every process still in
//! its session is killed, so that nothing the user started from that terminal is left behind:
//! background jobs, stopped jobs, `disown`ed and `nohup`ed ones alike.
//!
//! How: the host's /proc (the tree's one view that sees every level) is scanned for processes
//! whose session is the leader's, and each of their process groups is sent SIGKILL, by group:
//! kill(-pgid) reaches every member at once, also a child being forked at that moment (the
//! kernel either puts it in the group before it delivers the signal, or fails the fork). A
//! process that moved to a new group between a scan and the kill is found by the next scan; the
//! scans stop when one finds no group not killed yet. SIGKILL, not SIGHUP: a hang-up can be
//! ignored (that is what nohup does), and the user has left the session.
//!
//! The session's ID stays the leader's PID until its last member is gone (the kernel never
//! hands out a PID that is still a session or group ID), so after the reap it names that
//! session and no other. A process that left the session (setsid: a daemon) is not ended here;
//! the namespace's stop ends it like any other orphan.
use std::collections::HashSet;
use std::os::fd::BorrowedFd;

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use crate::sys::dirfd;
use crate::sys::hostproc::{parse_ns_ids, parse_session, read_at};

/// Scans allowed before giving up (each one kills at least one new group, and a session cannot
/// make groups faster than it is killed: a process with SIGKILL pending cannot fork).
const MAX_SCANS: usize = 64;

/// Kills every process group of the session that host process `leader` led. `level` is the
/// init's own level in the host's NSpid lists: kill() takes the group's ID in our namespace.
/// Returns how many groups were killed.
pub fn end(host_proc: BorrowedFd<'_>, leader: i32, level: usize) -> usize {
    let mut killed: HashSet<i32> = HashSet::new();
    for _ in 0..MAX_SCANS {
        let new: Vec<i32> = groups(host_proc, leader, level).into_iter().filter(|g| killed.insert(*g)).collect();
        if new.is_empty() {
            break;
        }
        for group in new {
            let _ = kill(Pid::from_raw(-group), Signal::SIGKILL);
        }
    }
    killed.len()
}

/// The process groups (as our namespace numbers them) of the live processes in `leader`'s
/// session.
fn groups(host_proc: BorrowedFd<'_>, leader: i32, level: usize) -> HashSet<i32> {
    let mut out = HashSet::new();
    let Ok(names) = dirfd::names(host_proc) else { return out };
    for pid in names.iter().filter_map(|n| n.parse::<i32>().ok()) {
        let Some(stat) = read_at(host_proc, &format!("{pid}/stat")) else { continue };
        match parse_session(stat.as_bytes()) {
            Some((state, session)) if session == leader && state != 'Z' && state != 'X' => {}
            _ => continue,
        }
        let Some(status) = read_at(host_proc, &format!("{pid}/status")) else { continue };
        if let Some(&group) = parse_ns_ids(&status, "NSpgid:").as_deref().and_then(|g| g.get(level)) {
            if group > 0 {
                out.insert(group);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsFd;
    use std::os::unix::process::CommandExt;

    /// A session of several groups (the leader's, a pipeline in it, a job in a group of its
    /// own) ends whole; a process outside it is left alone.
    #[test]
    fn kills_every_group_of_the_session_and_nothing_else() {
        let proc_dir = std::fs::File::open("/proc").unwrap();
        // The leader: a new session with a pipeline in its own group and a job in a group of
        // its own, as a shell's (perl, Debian's essential one, to call setpgid).
        let script = "sleep 300 | sleep 301 & \
                      perl -e '$| = 1; setpgrp(0, 0); print \"ready\\n\"; exec @ARGV' sleep 302 & exec sleep 303";
        let mut leader = std::process::Command::new("sh");
        leader.args(["-c", script]).stdout(std::process::Stdio::piped());
        // SAFETY: setsid is async-signal-safe, as pre_exec requires.
        unsafe { leader.pre_exec(|| nix::unistd::setsid().map(drop).map_err(std::io::Error::from)) };
        let mut leader = leader.spawn().unwrap();
        let mut line = String::new();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(leader.stdout.take().unwrap()), &mut line).unwrap();
        assert_eq!(line, "ready\n");
        let mut outsider = std::process::Command::new("sleep").arg("304").spawn().unwrap();
        let sid = leader.id() as i32;
        let members = members(sid);
        assert_eq!(members.len(), 4, "the leader and three sleeps: {members:?}");
        let pidfds: Vec<_> = members.iter().map(|&p| crate::sys::pidfd::open(Pid::from_raw(p)).unwrap()).collect();
        assert!(groups(proc_dir.as_fd(), sid, 0).len() >= 2);
        assert!(end(proc_dir.as_fd(), sid, 0) >= 2);
        leader.wait().unwrap();
        // A pidfd polls readable once its process has exited: wait for each, no sleep.
        for fd in &pidfds {
            let mut poll = [nix::poll::PollFd::new(fd.as_fd(), nix::poll::PollFlags::POLLIN)];
            assert_eq!(nix::poll::poll(&mut poll, nix::poll::PollTimeout::from(10_000u16)), Ok(1));
        }
        assert!(outsider.try_wait().unwrap().is_none(), "outside the session: still running");
        outsider.kill().unwrap();
        outsider.wait().unwrap();
    }

    /// The PIDs of the processes whose session is `sid`.
    fn members(sid: i32) -> Vec<i32> {
        std::fs::read_dir("/proc")
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
            .filter(|pid| {
                let stat = std::fs::read(format!("/proc/{pid}/stat")).unwrap_or_default();
                parse_session(&stat).is_some_and(|(_, s)| s == sid)
            })
            .collect()
    }
}
