//! Which signals an init passes on, and to whom.
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use pidns_model::Forward;

/// Signals an init keeps for itself besides SIGCHLD: the synchronous ones (a fault in the init
/// itself) and terminal job-control stops make no sense to pass on (as in tini).
pub const KEPT: [Signal; 9] = [
    Signal::SIGFPE,
    Signal::SIGILL,
    Signal::SIGSEGV,
    Signal::SIGBUS,
    Signal::SIGABRT,
    Signal::SIGTRAP,
    Signal::SIGSYS,
    Signal::SIGTTIN,
    Signal::SIGTTOU,
];

/// Whether an init passes `sig` on: not SIGCHLD, which drives reaping, nor one of `KEPT`.
pub fn is_forwarded(sig: i32) -> bool {
    sig != libc::SIGCHLD && !KEPT.iter().any(|&s| s as i32 == sig)
}

/// Sends `sig` to a process, or to its process group (every process we start leads its own).
/// Any signal number: real-time signals are passed on too, as tini passes on whatever its
/// sigtimedwait returns (nix's Signal has no names for them, and they used to be dropped).
pub fn send(pid: Pid, sig: i32, mode: Forward) -> nix::Result<()> {
    let target = match mode {
        Forward::Process => pid,
        Forward::Group => Pid::from_raw(-pid.as_raw()),
    };
    crate::sys::signals::send(target, sig)
}

/// kill(-1): everything this PID 1 can see except itself, namespaces below included.
pub fn everyone_below(sig: Signal) -> bool {
    kill(Pid::from_raw(-1), sig).is_ok()
}
