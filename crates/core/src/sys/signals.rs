//! Signals in the init: all blocked and read from a signalfd (as tini does with sigtimedwait),
//! so that no handler ever runs in the middle of the loop and none can be lost. Processes we
//! start get a clean slate: empty mask, default dispositions.
use nix::errno::Errno;
use nix::sys::signal::{sigprocmask, SigSet, SigmaskHow, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};

/// Blocks every signal (SIGKILL and SIGSTOP cannot be) and returns a signalfd that reads them.
pub fn block_all() -> Result<SignalFd, Errno> {
    let all = SigSet::all();
    sigprocmask(SigmaskHow::SIG_SETMASK, Some(&all), None)?;
    SignalFd::with_flags(&all, SfdFlags::SFD_CLOEXEC | SfdFlags::SFD_NONBLOCK)
}

/// Resets every catchable signal to its default action. A parent like Node ignores SIGPIPE;
/// ignored signals survive exec, and `yes | head` would then behave differently in the tree.
pub fn reset_dispositions() {
    for sig in Signal::iterator() {
        if sig == Signal::SIGKILL || sig == Signal::SIGSTOP {
            continue;
        }
        // SAFETY: installing SIG_DFL runs no code of ours; no handler is left dangling.
        let _ = unsafe { nix::sys::signal::signal(sig, nix::sys::signal::SigHandler::SigDfl) };
    }
}

/// In a child of an init about to exec: nothing blocked. Its dispositions are already the
/// defaults: the init resets them once at start (`reset_dispositions`) and never installs a
/// handler (it reads signals from a signalfd), so resetting ~30 of them per process again
/// would only cost syscalls on the hot path.
pub fn clean_slate_for_exec() {
    let _ = sigprocmask(SigmaskHow::SIG_SETMASK, Some(&SigSet::empty()), None);
}
