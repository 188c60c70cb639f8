//! Signals in the init: all blocked and read from a signalfd (as tini does with sigtimedwait),
//! so that no handler ever runs in the middle of the loop and none can be lost. Processes we
//! start get a clean slate: empty mask, default dispositions.
use nix::errno::Errno;
use nix::sys::signal::{sigprocmask, SigSet, SigmaskHow, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};

/// The kernel's highest signal (_NSIG on x86_64 and arm64): 1 to 31 are the standard signals,
/// 32 to 64 the real-time ones (glibc keeps 32 and 33 for itself, musl 32 to 34).
pub const MAX: i32 = 64;

/// `n` as a signal number, if the kernel has that signal. 0 is not one (kill(pid, 0) only
/// probes), and nothing is wrapped: 4294967305 must not become 9, SIGKILL.
pub fn checked(n: i64) -> Option<i32> {
    (1..=i64::from(MAX)).contains(&n).then_some(n as i32)
}

/// The same for a JavaScript number, which may also be fractional or not finite.
pub fn checked_f64(n: f64) -> Option<i32> {
    if n.fract() != 0.0 || !n.is_finite() {
        return None;
    }
    checked(n as i64)
}

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
    fn checked_takes_the_kernels_signals_only() {
        assert_eq!(super::checked(1), Some(1));
        assert_eq!(super::checked(64), Some(64));
        for n in [0, -9, 65, 4294967305, i64::MIN, i64::MAX] {
            assert_eq!(super::checked(n), None, "{n}");
        }
        assert_eq!(super::checked_f64(34.0), Some(34));
        for n in [1.5, f64::NAN, f64::INFINITY, 4294967305.0, -0.5] {
            assert_eq!(super::checked_f64(n), None, "{n}");
        }
    }

    #[test]
    fn all_has_every_signal_from_1_to_64_but_32_and_33() {
        let set = super::all();
        for sig in (1..=64).filter(|s| *s != 32 && *s != 33) {
            // SAFETY: sigismember only reads the set.
            assert_eq!(unsafe { libc::sigismember(set.as_ref(), sig) }, 1, "signal {sig}");
        }
    }
}
