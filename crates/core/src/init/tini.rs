//! pidns-init as a container's init, tini-compatible: start one program, forward signals to it
//! (or its process group), reap every zombie, exit with its status (128+N when signal N killed
//! it; codes given with -e become 0).
//!
//! One deliberate difference: tini exits as soon as its program does, and the kernel then
//! SIGKILLs whatever is left mid-work. We first send those processes SIGTERM (also each orphan
//! adopted meanwhile) and give them the grace period (-t, 10 s) before SIGKILL, and exit only
//! when none is left (see `leftovers`).
//!
//! Where we mirror tini (v0.19.0, src/tini.c), the function of tini.c that does it is named.
use std::ffi::CString;
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::signal::{sigprocmask, SigSet, SigmaskHow};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use nix::unistd::{fork, getpid, ForkResult, Pid};

use super::leftovers::{Leftovers, Order};
use super::tini_args::TiniOptions;
use super::{descendants, forwarding};
use crate::status::ExitStatus;
use crate::sys::{prctl, signals, wait};

struct Log {
    verbosity: i32,
}

// Messages are format_args!, not String: a line below the verbosity costs nothing, which
// matters in the reaping loop (a debug line per orphan).
impl Log {
    fn line(&self, level: i32, tag: &str, message: std::fmt::Arguments<'_>) {
        if self.verbosity < level {
            return;
        }
        let text = format!("[{tag} pidns-init ({})] {message}\n", getpid());
        // Like tini: warnings and errors on stderr, the chattier levels on stdout.
        if level <= 1 {
            eprint!("{text}");
        } else {
            print!("{text}");
        }
    }
    fn fatal(&self, m: std::fmt::Arguments<'_>) {
        eprintln!("[FATAL pidns-init ({})] {m}", getpid());
    }
    fn warn(&self, m: std::fmt::Arguments<'_>) {
        self.line(1, "WARN ", m);
    }
    fn info(&self, m: std::fmt::Arguments<'_>) {
        self.line(2, "INFO ", m);
    }
    fn debug(&self, m: std::fmt::Arguments<'_>) {
        self.line(3, "DEBUG", m);
    }
}

const REAPER_WARNING: &str = "pidns-init is not running as PID 1 and isn't registered as a child subreaper.
Zombie processes will not be re-parented to pidns-init, so zombie reaping won't work.
To fix the problem, use the -s option or set the environment variable TINI_SUBREAPER to register pidns-init as a child subreaper, or run pidns-init as PID 1.";

/// The signals the loop collects: all but those that concern the init itself (tini.c:
/// configure_signals, signals_for_tini).
fn collected() -> SigSet {
    let mut set = signals::all();
    for s in forwarding::KEPT {
        set.remove(s);
    }
    set
}

pub fn run(o: &TiniOptions) -> i32 {
    let log = Log { verbosity: o.verbosity };
    // Rust's runtime handles SIGSEGV and SIGBUS; tini leaves them at their default action.
    signals::default_fault_actions();
    let mut original_mask = SigSet::empty();
    let set = collected();
    if sigprocmask(SigmaskHow::SIG_SETMASK, Some(&set), Some(&mut original_mask)).is_err() {
        log.fatal(format_args!("sigprocmask failed"));
        return 1;
    }
    // Making the child's group the terminal's foreground could stop us on a write: ignore
    // SIGTTIN/SIGTTOU here and give the child back what they were.
    let Ok(stops) = signals::ignore_terminal_stops() else {
        log.fatal(format_args!("Failed to ignore SIGTTIN/SIGTTOU"));
        return 1;
    };
    let Ok(signals) = SignalFd::with_flags(&set, SfdFlags::SFD_CLOEXEC) else {
        log.fatal(format_args!("signalfd failed"));
        return 1;
    };
    if let Some(sig) = o.parent_death_signal {
        if prctl::set_parent_death_signal(sig).is_err() {
            log.fatal(format_args!("Failed to set up parent death signal"));
            return 1;
        }
    }
    if o.subreaper {
        if let Err(e) = prctl::set_child_subreaper() {
            log.fatal(format_args!("Failed to register as child subreaper: {}", e.desc()));
            return 1;
        }
        log.line(4, "TRACE", format_args!("Registered as child subreaper"));
    }
    let pid1 = getpid().as_raw() == 1;
    reaper_check(pid1, &log);

    let child = match spawn(o, &original_mask, &stops, &log) {
        Ok(pid) => pid,
        Err(code) => return code,
    };
    log.info(format_args!("Spawned child process '{}' with pid '{child}'", o.argv[0]));

    let mut exit_code: Option<i32> = None;
    let mut leftovers = Leftovers::new(Duration::from_millis(o.grace_ms));
    // Only PIDs read from a /proc of our own namespace may be signalled one by one.
    let proc_is_ours = descendants::proc_is_ours();
    loop {
        // Reap every zombie; note the main child's status (tini.c: reap_zombies).
        // The raw status (sys::wait): a program killed by a real-time signal must not be lost.
        loop {
            match wait::wait(None, libc::WNOHANG) {
                Ok(None) | Err(_) => break,
                Ok(Some((pid, status))) => {
                    log.debug(format_args!("Reaped child with pid: '{pid}'"));
                    leftovers.reaped(pid.as_raw());
                    if pid == child {
                        exit_code = Some(main_code(o, status, &log));
                    } else if o.warn_on_reap {
                        log.warn(format_args!("Reaped zombie process with pid={pid}"));
                    }
                }
            }
        }
        if let Some(code) = exit_code {
            if !super::reaper::has_children() {
                return code;
            }
            if !leftovers.started() {
                log.info(format_args!("Main child exited: stopping the processes it left (SIGTERM, then SIGKILL)"));
                if !pid1 && !proc_is_ours {
                    log.warn(format_args!(
                        "/proc is not this PID namespace's: cannot tell which processes to stop, waiting for them to exit"
                    ));
                }
            }
            let children = if proc_is_ours { descendants::children_of(getpid().as_raw()) } else { Vec::new() };
            let walk = || if proc_is_ours { descendants::all_below_us() } else { Vec::new() };
            if let Some(order) = leftovers.next(Instant::now(), &children, walk) {
                send_order(pid1, order, &log);
            }
        }
        // One signal per turn. The signalfd blocks, so an idle turn is one read(), as tini's
        // sigtimedwait(); poll() only while a stop's deadline runs.
        let timeout = leftovers.poll_timeout_ms(Instant::now());
        if timeout >= 0 {
            let mut pfds = [PollFd::new(signals.as_fd(), PollFlags::POLLIN)];
            let ready = poll(&mut pfds, PollTimeout::try_from(timeout).unwrap_or(PollTimeout::NONE));
            if !matches!(ready, Ok(n) if n > 0) {
                continue;
            }
        }
        let Ok(Some(info)) = signals.read_signal() else { continue };
        let sig = info.ssi_signo as i32;
        if sig == libc::SIGCHLD {
            log.debug(format_args!("Received SIGCHLD"));
            continue;
        }
        if exit_code.is_some() {
            continue;
        }
        log.debug(format_args!("Passing signal: '{}'", crate::status::signal_name(sig)));
        let mode = if o.group { pidns_model::Forward::Group } else { pidns_model::Forward::Process };
        if let Err(nix::errno::Errno::ESRCH) = forwarding::send(child, sig, mode) {
            log.warn(format_args!("Child was dead when forwarding signal"));
        }
    }
}

/// The status we exit with for the main child's: 128+N for signal N, then -e remapping.
fn main_code(o: &TiniOptions, status: ExitStatus, log: &Log) -> i32 {
    match status.signal {
        Some(sig) => {
            log.info(format_args!("Main child exited with signal (with signal '{}')", crate::status::signal_name(sig)))
        }
        None => log.info(format_args!("Main child exited normally (with status '{}')", status.code)),
    }
    let code = status.code % 256;
    if o.expect.contains(&code) {
        0
    } else {
        code
    }
}

/// tini.c: reaper_check. Without a subreaper bit (-s, TINI_SUBREAPER, or set by our parent
/// before it exec'd us: exec keeps it) and not PID 1, orphans go past us: say so.
fn reaper_check(pid1: bool, log: &Log) {
    if pid1 {
        return;
    }
    match prctl::is_child_subreaper() {
        Ok(true) => return,
        Ok(false) => {}
        Err(e) => log.debug(format_args!("Failed to read child subreaper attribute: {}", e.desc())),
    }
    log.warn(format_args!("{REAPER_WARNING}"));
}

/// Signals what the program left (see `leftovers`). As PID 1, "everyone" is kill(-1), which
/// also reaches what forked since /proc was read; as a subreaper, each process below us (kill(-1)
/// there would reach the whole host).
fn send_order(pid1: bool, order: Order, log: &Log) {
    match order {
        Order::Everyone(sig, _) if pid1 => {
            log.debug(format_args!("Sending {sig} to every process below us"));
            forwarding::everyone_below(sig);
        }
        Order::Everyone(sig, pids) | Order::Children(sig, pids) => {
            log.debug(format_args!("Sending {sig} to {pids:?}"));
            for pid in pids {
                let _ = nix::sys::signal::kill(Pid::from_raw(pid), sig);
            }
        }
    }
}

fn spawn(o: &TiniOptions, mask: &SigSet, stops: &signals::TerminalStops, log: &Log) -> Result<Pid, i32> {
    let argv: Vec<CString> =
        o.argv.iter().map(|a| CString::new(a.as_str())).collect::<Result<_, _>>().map_err(|_| {
            log.fatal(format_args!("an argument contains a NUL byte"));
            1
        })?;
    // SAFETY: pidns-init is single-threaded, so the child may run any code before exec.
    match unsafe { fork() } {
        Err(e) => {
            log.fatal(format_args!("fork failed: {}", e.desc()));
            Err(1)
        }
        Ok(ForkResult::Parent { child }) => Ok(child),
        Ok(ForkResult::Child) => {
            // Its own process group, the terminal's foreground one if there is a terminal.
            let _ = nix::unistd::setpgid(Pid::from_raw(0), Pid::from_raw(0));
            if let Err(e) = nix::unistd::tcsetpgrp(std::io::stdin(), nix::unistd::getpgrp()) {
                if e != nix::errno::Errno::ENOTTY && e != nix::errno::Errno::ENXIO {
                    log.fatal(format_args!("tcsetpgrp failed: {}", e.desc()));
                    std::process::exit(1);
                }
            }
            // tini.c: restore_signals. The mask and every action as pidns-init inherited them
            // (what tini's program gets): SIGTTIN/SIGTTOU, which we ignored, and SIGPIPE, which
            // Rust's runtime ignored before main(). The rest we never changed, and the handlers
            // Rust installed (SIGSEGV, SIGBUS) are reset by exec.
            let _ = sigprocmask(SigmaskHow::SIG_SETMASK, Some(mask), None);
            stops.restore();
            signals::restore_inherited_sigpipe();
            let e = crate::sys::exec::execvp(&argv[0], &argv).err().unwrap_or(nix::errno::Errno::EINVAL);
            log.fatal(format_args!("exec {} failed: {}", o.argv[0], e.desc()));
            std::process::exit(match e {
                nix::errno::Errno::ENOENT => 127,
                nix::errno::Errno::EACCES => 126,
                _ => 1,
            })
        }
    }
}
