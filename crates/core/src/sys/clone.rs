//! Fork-like clone3(2) into new namespaces.
//!
//! glibc's fork() cannot pass namespace flags, and nix's `clone` wants a separate stack and a
//! callback. clone3 with a zero stack behaves like fork (the child continues on a copy of the
//! caller's stack), takes CLONE_NEWPID|CLONE_NEWNS, and hands back a pidfd of the child at the
//! same time (CLONE_PIDFD), so the parent can wait and signal it without PID-reuse races.
use std::os::fd::{FromRawFd, OwnedFd};

use nix::errno::Errno;
use nix::unistd::Pid;

/// `struct clone_args` from linux/sched.h (the v0 layout, 64 bytes, plus set_tid and cgroup).
#[repr(C)]
#[derive(Default)]
struct CloneArgs {
    flags: u64,
    pidfd: u64,
    child_tid: u64,
    parent_tid: u64,
    exit_signal: u64,
    stack: u64,
    stack_size: u64,
    tls: u64,
    set_tid: u64,
    set_tid_size: u64,
    cgroup: u64,
}

pub enum Forked {
    /// In the parent: the child's PID as seen from here, and a pidfd for it.
    Parent { pid: Pid, pidfd: OwnedFd },
    /// In the child.
    Child,
}

/// The namespaces every node of a tree gets: a PID namespace, and a mount namespace so that its
/// own /proc (and anything mounted inside) never shows up on the host.
pub const NODE_NAMESPACES: u64 = (libc::CLONE_NEWPID | libc::CLONE_NEWNS) as u64;

/// clone3 with `ns_flags` (CLONE_NEW*), CLONE_PIDFD and SIGCHLD as the exit signal.
///
/// # Safety
/// Same contract as fork(2): in a multi-threaded caller the child may only run
/// async-signal-safe code until it execs (no allocation, no locks).
pub unsafe fn clone_into_namespaces(ns_flags: u64) -> Result<Forked, Errno> {
    let mut pidfd: libc::c_int = -1;
    let mut args = CloneArgs {
        flags: ns_flags | libc::CLONE_PIDFD as u64,
        pidfd: &mut pidfd as *mut libc::c_int as u64,
        exit_signal: libc::SIGCHLD as u64,
        ..Default::default()
    };
    // SAFETY: `args` is a valid, fully initialised clone_args of the size we pass; stack 0 makes
    // clone3 fork-like, which the caller's contract covers.
    let ret = unsafe { libc::syscall(libc::SYS_clone3, &mut args as *mut CloneArgs, std::mem::size_of::<CloneArgs>()) };
    match ret {
        -1 => Err(Errno::last()),
        0 => Ok(Forked::Child),
        pid => Ok(Forked::Parent {
            pid: Pid::from_raw(pid as i32),
            // SAFETY: with CLONE_PIDFD the kernel stored a new, owned, O_CLOEXEC pidfd here.
            pidfd: unsafe { OwnedFd::from_raw_fd(pidfd) },
        }),
    }
}

/// What a `spawn_vfork` child runs: it must exec or _exit, never return to shared state.
pub type VforkChild = extern "C" fn(*mut libc::c_void) -> libc::c_int;

/// Like posix_spawn: a child that shares our memory (CLONE_VM) on a stack of its own, in new
/// namespaces, while the calling thread waits (CLONE_VFORK) until it has exec'd or exited.
///
/// A fork-like clone copies the caller's page tables and write-protects every page; from a
/// Node process (tens of MB resident) that costs milliseconds on the clone, and one page fault
/// per page Node writes afterwards. Sharing the memory costs neither. The price: the child
/// runs in our address space, so it may only make raw syscalls on data prepared beforehand,
/// and nothing can happen in the parent between clone and exec (a rootless child, which waits
/// for its ID maps, cannot use this).
///
/// # Safety
/// `child` may only call async-signal-safe functions on what `arg` points to (which must stay
/// valid until this returns), must not unwind, and must end in execve or _exit. Signals must be
/// blocked in the calling thread: a handler would run on the child's stack in our memory.
pub unsafe fn spawn_vfork(ns_flags: u64, child: VforkChild, arg: *mut libc::c_void) -> Result<(Pid, OwnedFd), Errno> {
    // Small: the child only makes a handful of libc calls before execve. Below it, a page
    // that faults: an overflow must not write into Node's memory.
    const STACK: usize = 64 * 1024;
    const GUARD: usize = 4096;
    // SAFETY: a fresh private anonymous mapping; checked for MAP_FAILED below.
    let stack = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            GUARD + STACK,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_STACK,
            -1,
            0,
        )
    };
    if stack == libc::MAP_FAILED {
        return Err(Errno::last());
    }
    // SAFETY: the lowest page of the mapping we just made.
    if unsafe { libc::mprotect(stack, GUARD, libc::PROT_NONE) } != 0 {
        let e = Errno::last();
        // SAFETY: unmapping what we mapped; nothing uses it.
        unsafe { libc::munmap(stack, GUARD + STACK) };
        return Err(e);
    }
    let mut pidfd: libc::c_int = -1;
    let flags = ns_flags as libc::c_int | libc::CLONE_VM | libc::CLONE_VFORK | libc::CLONE_PIDFD | libc::SIGCHLD;
    // SAFETY: the stack grows down from the end of a mapping we own; with CLONE_VFORK we get
    // it back only once the child has exec'd or exited. CLONE_PIDFD stores the pidfd through
    // the parent_tid argument, which points at `pidfd`. The caller's contract covers `child`.
    let pid = unsafe {
        let top = (stack as *mut u8).add(GUARD + STACK) as *mut libc::c_void;
        libc::clone(child, top, flags, arg, &mut pidfd as *mut libc::c_int)
    };
    let clone_error = Errno::last();
    // SAFETY: the child no longer runs on it (see above); unmapping what we mapped.
    unsafe { libc::munmap(stack, GUARD + STACK) };
    if pid == -1 {
        return Err(clone_error);
    }
    // SAFETY: with CLONE_PIDFD the kernel stored a new, owned, O_CLOEXEC pidfd here.
    Ok((Pid::from_raw(pid), unsafe { OwnedFd::from_raw_fd(pidfd) }))
}
