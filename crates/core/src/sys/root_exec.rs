//! The child half of starting a tree's root init (`host::spawn::spawn_root`): what runs between
//! clone and execve, in a child that may share a multi-threaded host's memory (vfork style).
use std::os::fd::RawFd;

use super::fd;

/// What the root init's child does between clone and execve, prepared by `spawn_root`.
pub struct RootExec {
    /// Rootless: (read end, write end) of the pipe on which the parent says the ID maps are set.
    pub wait_for_maps: Option<(RawFd, RawFd)>,
    /// dup2(from, to), in order (the sources are numbered above every target).
    pub moves: [(RawFd, RawFd); 7],
    /// Every descriptor from this one up is closed before exec.
    pub close_from: RawFd,
    pub path: *const libc::c_char,
    pub argv: *const *const libc::c_char,
    pub envp: *const *const libc::c_char,
}

/// The root init's child, up to execve: only async-signal-safe calls on the prepared
/// `RootExec`, no allocation, no locks (it may share Node's memory, see `spawn_vfork`).
pub extern "C" fn exec_root(arg: *mut libc::c_void) -> libc::c_int {
    // SAFETY: `arg` is the RootExec that spawn_root keeps alive until the child has exec'd.
    let exec = unsafe { &*(arg as *const RootExec) };
    // SAFETY: async-signal-safe syscalls on prepared, valid arguments.
    unsafe {
        // The tree dies with its owner: the kernel SIGKILLs this PID 1 (and so every process
        // of every namespace below) when the thread that cloned it exits.
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong);
        if let Some((maps_r, maps_w)) = exec.wait_for_maps {
            // Until the parent has written our ID maps we are nobody here; exec only as the
            // namespace's root. EOF without a byte means the parent gave up (or died): our
            // copy of the write end must not keep the pipe open.
            libc::close(maps_w);
            let mut go = 0u8;
            if libc::read(maps_r, &mut go as *mut u8 as *mut libc::c_void, 1) != 1 {
                libc::_exit(125);
            }
        }
        for (from, to) in exec.moves {
            if fd::move_to(from, to).is_err() {
                libc::_exit(126);
            }
        }
        // Nothing the host had open (a lock, someone's pipe) may reach the tree.
        libc::syscall(libc::SYS_close_range, exec.close_from, u32::MAX, 0);
        libc::execve(exec.path, exec.argv, exec.envp);
        libc::_exit(127)
    }
}
