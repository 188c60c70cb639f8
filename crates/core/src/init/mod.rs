//! pidns-init: PID 1 of every namespace of a tree (`node`), and a tini-compatible init for
//! containers (`tini`).
//!
//! The host starts the root init with fork+exec; every deeper namespace is a clone3 of its
//! parent's init (CLONE_NEWPID|CLONE_NEWNS) that simply carries on in `node::run` for its own
//! node: no exec per namespace. The init is single-threaded, so allocating after fork is safe.
pub mod children;
pub mod commands;
pub mod descendants;
pub mod forwarding;
pub mod launch;
pub mod leftovers;
pub mod node;
pub mod reaper;
pub mod stopping;
pub mod tini;
pub mod tini_args;

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use crate::protocol::TreeMessage;
use crate::sys::seqpacket;

/// The descriptors every init holds (all close-on-exec).
pub struct TreeFds {
    /// The tree end of the event socket shared by the whole tree.
    pub events: OwnedFd,
    /// The host's /proc, for PID translation (see `sys::hostproc`).
    pub host_proc: OwnedFd,
}

impl TreeFds {
    /// Sends one message; errors are returned so callers decide whether losing the host is fatal.
    pub fn send(&self, msg: &TreeMessage, fds: &[std::os::fd::RawFd]) -> Result<(), nix::errno::Errno> {
        seqpacket::send(self.events.as_fd(), msg.encode().as_bytes(), fds)
    }

    pub fn host_proc(&self) -> BorrowedFd<'_> {
        self.host_proc.as_fd()
    }
}
