//! Signals in the init: all blocked and read from a signalfd (as tini does with sigtimedwait),
//! so that no handler ever runs in the middle of the loop and none can be lost. Processes we
//! start get a clean slate: empty mask, default dispositions.
use nix::errno::Errno;
use nix::sys::signal::{sigprocmask, SigSet, SigmaskHow, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};

/// Every signal as glibc's sigfillset gives it: all but 32 and 33, which glibc keeps for
/// itself (and its sigprocmask never blocks). musl's sigfillset also leaves out 34 (glibc's
/// SIGRTMIN), which would then keep its default action and kill an init that is not PID 1; it is
/// added back, so that the init blocks and collects the same signals with either libc.
pub fn all() -> SigSet {
    #[allow(unused_mut)]
    let mut set = SigSet::all();
    #[cfg(target_env = "musl")]
    {
        let mut raw = *set.as_ref();
        // SAFETY: on Linux a sigset_t starts with the kernel's 64-bit mask, bit N-1 for signal
        // N; raw is a local copy we own. (musl's sigaddset refuses 34, so the bit is set here.)
        unsafe { *(&mut raw as *mut libc::sigset_t as *mut u64) |= 1 << (34 - 1) };
        // SAFETY: raw was initialised by sigfillset; one more bit keeps it a valid set.
        set = unsafe { SigSet::from_sigset_t_unchecked(raw) };
    }
    set
}

/// Blocks every signal (SIGKILL and SIGSTOP cannot be) and returns a signalfd that reads them.
pub fn block_all() -> Result<SignalFd, Errno> {
    let all = all();
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

#[cfg(test)]
mod tests {
    #[test]
    fn all_has_every_signal_from_1_to_64_but_32_and_33() {
        let set = super::all();
        for sig in (1..=64).filter(|s| *s != 32 && *s != 33) {
            // SAFETY: sigismember only reads the set.
            assert_eq!(unsafe { libc::sigismember(set.as_ref(), sig) }, 1, "signal {sig}");
        }
    }
}
