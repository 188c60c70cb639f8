//! Joining a namespace of another process through its pidfd (setns(2) with a pidfd, Linux 5.8).
use std::os::fd::BorrowedFd;

use nix::errno::Errno;
use nix::sched::{setns, CloneFlags};

/// Children forked from now on are born in `target`'s PID namespace (the caller stays where it
/// is). Used to start processes inside a namespace whose PID 1 is the user's program.
pub fn pid_ns_for_children(target: BorrowedFd<'_>) -> Result<(), Errno> {
    setns(target, CloneFlags::CLONE_NEWPID)
}

/// Moves the (single-threaded) caller into `target`'s mount namespace, so /proc is its /proc.
pub fn mount_ns(target: BorrowedFd<'_>) -> Result<(), Errno> {
    setns(target, CloneFlags::CLONE_NEWNS)
}
