//! Which signals an init passes on, and to whom.
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use pidns_model::Forward;

/// Signals the init keeps for itself: SIGCHLD drives reaping, and the synchronous ones (a fault
/// in the init itself) or terminal job-control stops make no sense to pass on (as in tini).
pub fn is_forwarded(sig: i32) -> bool {
    !matches!(
        sig,
        libc::SIGCHLD
            | libc::SIGFPE
            | libc::SIGILL
            | libc::SIGSEGV
            | libc::SIGBUS
            | libc::SIGABRT
            | libc::SIGTRAP
            | libc::SIGSYS
            | libc::SIGTTIN
            | libc::SIGTTOU
    )
}

/// Sends `sig` to a process, or to its process group (every process we start leads its own).
pub fn send(pid: Pid, sig: i32, mode: Forward) -> nix::Result<()> {
    let Ok(sig) = Signal::try_from(sig) else { return Ok(()) };
    let target = match mode {
        Forward::Process => pid,
        Forward::Group => Pid::from_raw(-pid.as_raw()),
    };
    kill(target, sig)
}

/// kill(-1): everything this PID 1 can see except itself, namespaces below included.
pub fn everyone_below(sig: Signal) -> bool {
    kill(Pid::from_raw(-1), sig).is_ok()
}
