//! An exec'd terminal session's leader waits at a gate of its own until its init tracks the
//! session (init::node's exec): a leader killed there (its announce failed) leaves no session
//! behind, and one let through runs its command. Real processes, forked by the init's own
//! `launch::fork_process` from this single-threaded test.
use std::os::fd::{AsFd, AsRawFd, OwnedFd};

use nix::errno::Errno;
use nix::unistd::Pid;
use pidns_core::init::launch::{fork_process, Setup};
use pidns_core::init::{session, start_order};
use pidns_core::sys::{pidfd, pty, seqpacket, wait};
use pidns_core::wire::tree::ProcKey;
use pidns_model::ProcessSpec;

/// Starts a job in the session, says so on the terminal, and stays.
const SCRIPT: &str = "sleep 300 & echo started; exec sleep 301";

struct Leader {
    pid: Pid,
    pidfd: OwnedFd,
    master: OwnedFd,
    /// The gate's write end: dropping it lets the leader exec.
    gate: OwnedFd,
    /// The gate's read end's number, in the leader too.
    held: i32,
}

/// Forks a terminal session's leader as the init's exec does, held at its gate. The slave's
/// only holder is then the leader (and what it starts).
fn fork_held_leader() -> Leader {
    let spec = ProcessSpec {
        name: "sh".into(),
        command: vec!["sh".into(), "-c".into(), SCRIPT.into()],
        env: Vec::new(),
        cwd: None,
        tty: true,
    };
    let term = pty::open(pty::DEFAULT_SIZE).unwrap();
    let (events, _host) = seqpacket::pair().unwrap();
    let (held, gate) = start_order::pipe().unwrap();
    let slave = term.slave.as_raw_fd();
    let setup = Setup {
        key: ProcKey { node: 0, slot: 0 },
        spec: &spec,
        exe: None,
        stdio: [slave, slave, slave],
        events: events.as_fd(),
        nofile: None,
        mounts_of: None,
        session: true,
        gate: Some(held.as_fd()),
    };
    let (pid, pidfd) = fork_process(&setup).unwrap();
    Leader { pid, pidfd, master: term.master, gate, held: held.as_raw_fd() }
}

/// Whether the leader blocks reading its gate (held), or its command ran: whichever is seen
/// first, by looking again until one is (the kernel's /proc/PID/syscall; no clock involved).
fn held_at_gate(leader: &Leader) -> bool {
    let waiting = format!("{} {:#x} ", libc::SYS_read, leader.held);
    loop {
        let syscall = std::fs::read_to_string(format!("/proc/{}/syscall", leader.pid)).unwrap();
        if syscall.starts_with(&waiting) {
            return true;
        }
        let mut shown = [nix::poll::PollFd::new(leader.master.as_fd(), nix::poll::PollFlags::POLLIN)];
        if nix::poll::poll(&mut shown, nix::poll::PollTimeout::ZERO).unwrap() > 0 {
            return false;
        }
    }
}

/// What the terminal shows from now until nobody holds its slave any more (EIO).
fn read_to_end(master: &OwnedFd) -> String {
    let mut out = Vec::new();
    let mut buf = [0u8; 256];
    loop {
        match nix::unistd::read(master, &mut buf) {
            Ok(0) | Err(Errno::EIO) => return String::from_utf8_lossy(&out).into_owned(),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(Errno::EINTR) => {}
            Err(e) => panic!("reading the terminal: {e}"),
        }
    }
}

/// Reads the terminal until `text` has shown.
fn read_until(master: &OwnedFd, text: &str) {
    let mut out = Vec::new();
    let mut buf = [0u8; 256];
    while !String::from_utf8_lossy(&out).contains(text) {
        match nix::unistd::read(master, &mut buf) {
            Ok(n) if n > 0 => out.extend_from_slice(&buf[..n]),
            Err(Errno::EINTR) => {}
            other => panic!("the terminal ended before {text:?} ({other:?}): {:?}", String::from_utf8_lossy(&out)),
        }
    }
}

fn killed_and_reaped(pid: Pid, pidfd: &OwnedFd) {
    pidfd::send_signal(pidfd.as_fd(), libc::SIGKILL).unwrap();
    let (_, status) = wait::wait(Some(pid), 0).unwrap().unwrap();
    assert_eq!(status.signal, Some(libc::SIGKILL));
}

/// announce failed: the leader is killed while at its gate, and the gate dropped after. Its
/// command never ran: the terminal shows nothing and ends with the leader (a job would hold
/// it), and no process is left in its session.
fn a_leader_killed_at_its_gate_leaves_no_session() {
    let leader = fork_held_leader();
    let held = held_at_gate(&leader);
    killed_and_reaped(leader.pid, &leader.pidfd);
    drop(leader.gate);
    let host_proc = std::fs::File::open("/proc").unwrap();
    let left = session::end(host_proc.as_fd(), leader.pid.as_raw(), 0);
    assert!(held, "its command ran before its gate opened");
    assert_eq!(left, 0, "groups left in its session");
    assert_eq!(read_to_end(&leader.master), "");
}

/// Tracked: the gate opens and the command runs. Then its session ends whole, as when the
/// init reaps its leader.
fn a_leader_let_through_runs_its_command() {
    let leader = fork_held_leader();
    drop(leader.gate);
    read_until(&leader.master, "started");
    killed_and_reaped(leader.pid, &leader.pidfd);
    let host_proc = std::fs::File::open("/proc").unwrap();
    session::end(host_proc.as_fd(), leader.pid.as_raw(), 0);
    read_to_end(&leader.master);
}

fn main() {
    a_leader_killed_at_its_gate_leaves_no_session();
    a_leader_let_through_runs_its_command();
    println!("session_gate: 2 passed");
}
