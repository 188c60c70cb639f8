//! Signals in the init: all blocked and read from a signalfd (as tini does with sigtimedwait),
//! so that no handler ever runs in the middle of the loop and none can be lost. Processes a tree
//! starts get a clean slate: empty mask, default dispositions. In tini mode the program gets what
//! pidns-init inherited, as tini's does.
use std::sync::atomic::{AtomicBool, Ordering};

use nix::errno::Errno;
use nix::sys::signal::{sigaction, sigprocmask, SaFlags, SigAction, SigHandler, SigSet, SigmaskHow, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use nix::unistd::Pid;

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

/// Sets `sig`'s action to SIG_DFL with the raw system call: libc refuses the real-time signals
/// it keeps for itself (glibc 32 and 33, musl 32 to 34), and a glibc parent may have ignored 34,
/// its SIGRTMIN, which pidns-init (musl) could then not reset through libc.
fn set_default_action(sig: i32) -> Result<(), Errno> {
    /// The kernel's struct sigaction on x86_64 and arm64 (both define SA_RESTORER).
    #[repr(C)]
    struct KernelSigaction {
        handler: libc::c_ulong,
        flags: libc::c_ulong,
        restorer: libc::c_ulong,
        mask: u64,
    }
    // SIG_DFL is 0: no handler, no restorer needed, nothing blocked.
    let action = KernelSigaction { handler: 0, flags: 0, restorer: 0, mask: 0 };
    // SAFETY: rt_sigaction reads `action` (a kernel sigaction, sigsetsize 8) and writes
    // nothing back (null old action); installing SIG_DFL runs no code of ours.
    let r = unsafe {
        libc::syscall(libc::SYS_rt_sigaction, sig, &action as *const KernelSigaction, std::ptr::null::<u8>(), 8usize)
    };
    Errno::result(r).map(drop)
}

/// Resets every catchable signal, real-time ones included, to its default action. A parent like
/// Node ignores SIGPIPE; ignored signals survive exec, and `yes | head` would then behave
/// differently in the tree. 32 and 33 are left alone: no libc lets a program set them.
pub fn reset_dispositions() {
    for sig in (1..=MAX).filter(|&s| s != libc::SIGKILL && s != libc::SIGSTOP && s != 32 && s != 33) {
        let _ = set_default_action(sig);
    }
}

/// SIGPIPE as pidns-init inherited it: Rust's runtime sets it to SIG_IGN before main() runs, so
/// it is read earlier, from `.init_array` (crates/init's main.rs puts `note_inherited_sigpipe`
/// there). Nothing else that the init inherited is changed before main().
static SIGPIPE_INHERITED_IGNORED: AtomicBool = AtomicBool::new(false);

/// Reads SIGPIPE's action before Rust's runtime changes it (see SIGPIPE_INHERITED_IGNORED).
/// Runs from `.init_array`, before main(): only a sigaction query and an atomic store.
pub extern "C" fn note_inherited_sigpipe() {
    // SAFETY: zeroed is a valid sigaction for the kernel to fill in.
    let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: a null new action only reads the current one into `old`, which outlives the call.
    if unsafe { libc::sigaction(libc::SIGPIPE, std::ptr::null(), &mut old) } == 0 {
        SIGPIPE_INHERITED_IGNORED.store(old.sa_sigaction == libc::SIG_IGN, Ordering::Relaxed);
    }
}

/// In a child about to exec a program for tini mode: SIGPIPE back to what pidns-init inherited
/// (SIG_DFL unless its own parent ignored it), undoing what Rust's runtime did. tini's child
/// gets its parent's actions as they were (tini.c: restore_signals), and so does ours.
pub fn restore_inherited_sigpipe() {
    let handler =
        if SIGPIPE_INHERITED_IGNORED.load(Ordering::Relaxed) { SigHandler::SigIgn } else { SigHandler::SigDfl };
    // SAFETY: SIG_DFL or SIG_IGN runs no code of ours.
    let _ = unsafe { nix::sys::signal::signal(Signal::SIGPIPE, handler) };
}

/// SIGTTIN and SIGTTOU as they were before `ignore_terminal_stops`, to give a child back.
pub struct TerminalStops {
    ttin: SigAction,
    ttou: SigAction,
}

/// Ignores SIGTTIN and SIGTTOU (tini mode: making the child's group the terminal's foreground
/// could stop us on a write) and returns what they were.
pub fn ignore_terminal_stops() -> Result<TerminalStops, Errno> {
    let ignore = SigAction::new(SigHandler::SigIgn, SaFlags::empty(), SigSet::empty());
    // SAFETY: installing SIG_IGN runs no code of ours.
    let ttin = unsafe { sigaction(Signal::SIGTTIN, &ignore) }?;
    // SAFETY: as above.
    let ttou = unsafe { sigaction(Signal::SIGTTOU, &ignore) }?;
    Ok(TerminalStops { ttin, ttou })
}

impl TerminalStops {
    /// Back to what they were (in the child, before exec).
    pub fn restore(&self) {
        // SAFETY: restores dispositions this process had before: SIG_DFL or SIG_IGN, or a
        // handler installed before us that is still in this program's image until exec.
        let _ = unsafe { sigaction(Signal::SIGTTIN, &self.ttin) };
        // SAFETY: as above.
        let _ = unsafe { sigaction(Signal::SIGTTOU, &self.ttou) };
    }
}

/// SIGSEGV and SIGBUS back to their default action. Rust's runtime installs a handler for them
/// (to report a stack overflow) that survives one kill(SIGSEGV) by resetting itself; tini keeps
/// them at their default (tini.c: signals_for_tini are left out of the waited set), so that
/// either signal, sent to it, ends it (unless it is PID 1, which the kernel protects).
pub fn default_fault_actions() {
    for sig in [Signal::SIGSEGV, Signal::SIGBUS] {
        // SAFETY: installing SIG_DFL runs no code of ours; no handler is left dangling.
        let _ = unsafe { nix::sys::signal::signal(sig, SigHandler::SigDfl) };
    }
}

/// Sends signal number `sig` (real-time ones too, which nix's Signal cannot name) to `pid`
/// (a process group when negative).
pub fn send(pid: Pid, sig: i32) -> Result<(), Errno> {
    // SAFETY: kill takes two integers and touches no memory of ours.
    Errno::result(unsafe { libc::kill(pid.as_raw(), sig) }).map(drop)
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
