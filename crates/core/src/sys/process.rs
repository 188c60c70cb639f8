//! Small facts and acts about the calling process: its credentials, ending it at once, random
//! bytes, and whether any child has ended.
use nix::errno::Errno;
use nix::unistd::Pid;

/// The real uid (what an init compares its peers against: in a user namespace, the owner maps
/// to it).
pub fn uid() -> u32 {
    // SAFETY: getuid only reads our credentials and cannot fail.
    unsafe { libc::getuid() }
}

/// The effective uid and gid.
pub fn euid() -> u32 {
    // SAFETY: geteuid only reads our credentials and cannot fail.
    unsafe { libc::geteuid() }
}

pub fn egid() -> u32 {
    // SAFETY: getegid only reads our credentials and cannot fail.
    unsafe { libc::getegid() }
}

/// Ends the process now, without running exit handlers or flushing stdio buffers: what a
/// forked child does when it cannot exec (they are the parent's copies).
pub fn exit_now(code: i32) -> ! {
    // SAFETY: _exit never returns and touches no memory of ours.
    unsafe { libc::_exit(code) }
}

/// Fills `buf` with random bytes from the kernel.
pub fn random_bytes(buf: &mut [u8]) -> Result<(), Errno> {
    // SAFETY: getrandom writes at most `buf.len()` bytes into the buffer we own.
    let n = unsafe { libc::getrandom(buf.as_mut_ptr() as *mut libc::c_void, buf.len(), 0) };
    if n == buf.len() as isize {
        Ok(())
    } else {
        Err(Errno::last())
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
