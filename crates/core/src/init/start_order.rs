//! Reproducible PIDs (`"reproduciblePids": true`, see `pidns_model::Plan::reproducible_pids`):
//! the start-up order that makes every PID the plan predicts the PID the kernel gives.
//!
//! The kernel gives the next free number of each namespace to whatever is created there next,
//! so the PIDs are reproducible when (a) the items of the tree are created one at a time in the
//! plan's order and (b) nothing else is created in the tree until the last of them exists. Two
//! pipes give both, with no timing involved:
//! - **the subtree's end**: a parent init waits, before its next child namespace, until the
//!   child's init has created its whole subtree (its PID 1, processes, then its own children,
//!   recursively). The child's init holds the only write end and drops it when its start-up is
//!   over (or dies): EOF is the signal, so a crash cannot hang the parent;
//! - **the gate**: every process (and a user's PID 1) waits, just before exec, until the root
//!   init, holder of the gate's only write end, has finished the whole start-up and closes it.
//!   A gated process holds nothing else of the init's while it waits (a copy of a subtree's
//!   write end would keep its parent waiting for ever), and waits with default signal actions,
//!   so a stop that comes meanwhile ends it at once.
//!
//! Without `reproduciblePids` neither exists: sibling subtrees start concurrently, as fast as
//! the kernel allows, and PIDs lie within the ranges `plan` shows.
use std::os::fd::{BorrowedFd, OwnedFd};

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::unistd::pipe2;

/// A pipe whose read end sees EOF when its write end is dropped: `(read, write)`, both
/// close-on-exec (no user program ever holds either).
pub fn pipe() -> Result<(OwnedFd, OwnedFd), Errno> {
    pipe2(OFlag::O_CLOEXEC)
}

/// In a process about to exec: waits until the gate opens (EOF on `gate`, whose write end only
/// an init holds: the root's for the start-up, or the exec'ing one's for a terminal session).
/// Every other descriptor of the init's must be closed first.
pub fn wait_at_gate(gate: BorrowedFd<'_>) {
    let mut buf = [0u8; 1];
    loop {
        match nix::unistd::read(gate, &mut buf) {
            Err(Errno::EINTR) | Ok(1..) => continue,
            Ok(0) | Err(_) => return,
        }
    }
}

/// What woke a parent init waiting for a child's subtree.
#[derive(Debug, PartialEq, Eq)]
pub enum Woken {
    /// The subtree is complete (or its init has died): go on with the next item.
    SubtreeDone,
    /// A signal is waiting on the signalfd: read it (a stop may have begun).
    Signal,
}

/// Waits until `done` (a child init's end-of-subtree pipe) reaches EOF or a signal arrives.
pub fn wait_subtree(done: BorrowedFd<'_>, signals: BorrowedFd<'_>) -> Result<Woken, Errno> {
    loop {
        let mut fds = [PollFd::new(done, PollFlags::POLLIN), PollFd::new(signals, PollFlags::POLLIN)];
        match poll(&mut fds, PollTimeout::NONE) {
            Err(Errno::EINTR) => continue,
            Err(e) => return Err(e),
            Ok(_) => {}
        }
        let ready = |f: &PollFd<'_>| f.revents().is_some_and(|r| !r.is_empty());
        if ready(&fds[0]) {
            // Only EOF can come: nobody writes to it.
            return Ok(Woken::SubtreeDone);
        }
        if ready(&fds[1]) {
            return Ok(Woken::Signal);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::os::fd::AsFd;

    use super::*;

    #[test]
    fn the_subtree_is_done_when_its_only_writer_is_dropped() {
        let (done_r, done_w) = pipe().unwrap();
        let (sig_r, _sig_w) = pipe().unwrap();
        drop(done_w);
        assert_eq!(wait_subtree(done_r.as_fd(), sig_r.as_fd()), Ok(Woken::SubtreeDone));
    }

    #[test]
    fn a_signal_wakes_the_waiting_parent_before_the_subtree_is_done() {
        let (done_r, _done_w) = pipe().unwrap();
        let (sig_r, sig_w) = pipe().unwrap();
        nix::unistd::write(&sig_w, b"s").unwrap();
        assert_eq!(wait_subtree(done_r.as_fd(), sig_r.as_fd()), Ok(Woken::Signal));
    }

    #[test]
    fn the_gate_opens_when_its_writer_is_dropped_from_another_thread() {
        let (gate_r, gate_w) = pipe().unwrap();
        let opener = std::thread::spawn(move || drop(gate_w));
        wait_at_gate(gate_r.as_fd());
        opener.join().unwrap();
    }
}
