//! The process attributes an init sets on itself with prctl: the child-subreaper bit and the
//! parent-death signal.
use nix::errno::Errno;

/// Registers us as a child subreaper: orphans below us are re-parented to us, not to PID 1.
pub fn set_child_subreaper() -> Result<(), Errno> {
    // SAFETY: PR_SET_CHILD_SUBREAPER takes an integer and changes only our own attribute.
    Errno::result(unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1 as libc::c_ulong) }).map(drop)
}

/// Whether we are a child subreaper: also true when our parent set the bit before it exec'd
/// us, which exec keeps (as tini's reaper_check reads it back).
pub fn is_child_subreaper() -> Result<bool, Errno> {
    let mut bit: libc::c_int = 0;
    // SAFETY: PR_GET_CHILD_SUBREAPER writes one int through the pointer, which outlives the call.
    Errno::result(unsafe { libc::prctl(libc::PR_GET_CHILD_SUBREAPER, &mut bit as *mut libc::c_int) })?;
    Ok(bit != 0)
}

/// `signal` is sent to us when our parent dies.
pub fn set_parent_death_signal(signal: i32) -> Result<(), Errno> {
    // SAFETY: PR_SET_PDEATHSIG takes a signal number and changes only our own attribute.
    Errno::result(unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, signal as libc::c_ulong) }).map(drop)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_subreaper_bit_reads_back() {
        // A child process: the bit must not stick to the test runner.
        // SAFETY: the child only makes prctl calls and _exits.
        match unsafe { nix::unistd::fork() }.unwrap() {
            nix::unistd::ForkResult::Child => {
                let before = super::is_child_subreaper() == Ok(false);
                let set = super::set_child_subreaper().is_ok();
                let after = super::is_child_subreaper() == Ok(true);
                // SAFETY: _exit ends the forked child without running the parent's destructors.
                unsafe { libc::_exit(if before && set && after { 0 } else { 1 }) }
            }
            nix::unistd::ForkResult::Parent { child } => {
                let status = nix::sys::wait::waitpid(child, None).unwrap();
                assert_eq!(status, nix::sys::wait::WaitStatus::Exited(child, 0));
            }
        }
    }
}
