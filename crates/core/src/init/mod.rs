//! pidns-init: PID 1 of every namespace of a tree (`node`), and a tini-compatible init for
//! containers (`tini`).
//!
//! The host starts the root init with clone+exec; every deeper namespace is a clone3 of its
//! parent's init (CLONE_NEWPID|CLONE_NEWNS) that simply carries on in `node::run` for its own
//! node: no exec per namespace. The init is single-threaded, so allocating after fork is safe.
pub mod children;
pub mod commands;
pub mod control_server;
pub mod decisions;
pub mod descendants;
pub mod forwarding;
pub mod launch;
pub mod leftovers;
pub mod lifecycle;
pub mod node;
pub mod outbox;
pub mod reaper;
pub mod relay;
pub mod session;
pub mod start_order;
pub mod stopping;
pub mod tini;
pub mod tini_args;

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use pidns_model::Plan;

use commands::CommandPaths;

/// What every init of a tree shares (the root init builds it; deeper inits are its clones).
pub struct TreeContext {
    pub plan: Plan,
    /// The plan's commands, looked up once by the root init.
    pub paths: CommandPaths,
    /// The tree's random token: the inits' control sockets are named after it.
    pub token: String,
    /// The tree end of the event socket (close-on-exec: user programs never hold it).
    pub events: OwnedFd,
    /// The host's /proc, for PID translation (see `sys::hostproc`).
    pub host_proc: OwnedFd,
    /// The soft RLIMIT_NOFILE the tree was started with; inits raise theirs to the hard limit
    /// and give this back to every process they start.
    pub nofile: Option<u64>,
    /// The root init's level in the host's NSpid lists (0 when the host is the initial PID
    /// namespace); every init below is one level deeper per namespace.
    pub root_level: usize,
    /// With reproducible PIDs, the read end of the gate every process waits at before exec
    /// (see `start_order`); the root init holds the write end.
    pub gate: Option<OwnedFd>,
}

impl TreeContext {
    pub fn events(&self) -> BorrowedFd<'_> {
        self.events.as_fd()
    }

    pub fn host_proc(&self) -> BorrowedFd<'_> {
        self.host_proc.as_fd()
    }

    pub fn gate(&self) -> Option<BorrowedFd<'_>> {
        self.gate.as_ref().map(|g| g.as_fd())
    }
}
