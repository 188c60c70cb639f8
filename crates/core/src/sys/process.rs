//! Small facts and acts about the calling process: its credentials, ending it at once, random
//! bytes.
use nix::errno::Errno;

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

/// Our own PID, as nix names it.
pub fn own_pid() -> nix::unistd::Pid {
    nix::unistd::getpid()
}
