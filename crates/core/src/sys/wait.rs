//! waitpid with the kernel's raw status. nix's WaitStatus names the signal that killed a
//! process with its Signal enum, which has no real-time signals: for a child killed by one,
//! nix's waitpid returned EINVAL after the kernel had reaped it, and its status was lost (a
//! tini-mode init then waited for ever for its program's end).
use nix::errno::Errno;
use nix::unistd::Pid;

use crate::status::ExitStatus;

/// Waits for `pid` (any child with None) with waitpid's `flags`: Some((pid, status)) for a
/// child that ended, None when WNOHANG found nothing. EINTR is retried.
pub fn wait(pid: Option<Pid>, flags: libc::c_int) -> Result<Option<(Pid, ExitStatus)>, Errno> {
    let target = pid.map_or(-1, Pid::as_raw);
    loop {
        let mut status: libc::c_int = 0;
        // SAFETY: waitpid writes one int through the pointer, which outlives the call.
        let r = unsafe { libc::waitpid(target, &mut status, flags) };
        match Errno::result(r) {
            Err(Errno::EINTR) => continue,
            Err(e) => return Err(e),
            Ok(0) => return Ok(None),
            // Without WUNTRACED/WCONTINUED only ends are reported: exited or killed.
            Ok(ended) => return Ok(ExitStatus::from_raw(status).map(|s| (Pid::from_raw(ended), s))),
        }
    }
}

/// waitid(P_ALL, WEXITED|WNOHANG|WNOWAIT): the PID of a child that has ended (without reaping
/// it), None when none has, and Err(ECHILD) when there is no child at all.
fn peek() -> Result<Option<Pid>, Errno> {
    // SAFETY: siginfo_t is plain data; zeroed is a valid value for waitid to fill in.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    // SAFETY: waitid writes only into `info`, which outlives the call; WNOWAIT changes nothing.
    let r = unsafe { libc::waitid(libc::P_ALL, 0, &mut info, libc::WEXITED | libc::WNOHANG | libc::WNOWAIT) };
    if r == -1 {
        return Err(Errno::last());
    }
    // SAFETY: waitid succeeded, so si_pid is the field it filled (0: nothing has ended).
    let pid = unsafe { info.si_pid() };
    Ok((pid > 0).then(|| Pid::from_raw(pid)))
}

/// The next child that has ended, not yet reaped, if any.
pub fn peek_ended() -> Option<Pid> {
    peek().ok().flatten()
}

/// True while the caller has any child at all (running or ended).
pub fn has_children() -> bool {
    peek() != Err(Errno::ECHILD)
}

#[cfg(test)]
mod tests {
    use std::process::Command;

    use nix::unistd::Pid;

    #[test]
    // Reaped by super::wait itself, not by Child::wait.
    #[allow(clippy::zombie_processes)]
    fn a_child_killed_by_a_real_time_signal_is_reported() {
        let child = Command::new("sh").args(["-c", "kill -s 40 $$"]).spawn().unwrap();
        let pid = Pid::from_raw(child.id() as i32);
        let (reaped, status) = super::wait(Some(pid), 0).unwrap().unwrap();
        assert_eq!(reaped, pid);
        assert_eq!((status.code, status.signal), (168, Some(40)));
    }
}
