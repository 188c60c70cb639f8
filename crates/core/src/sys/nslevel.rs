//! How deep the caller already is in the PID-namespace hierarchy. The kernel allows 32 levels
//! below the initial namespace (MAX_PID_NS_LEVEL); a tree can use what the host has left.
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// The kernel's limit on nested PID namespaces below the initial one.
pub const MAX_PID_NS_LEVEL: u32 = 32;

// NS_GET_PARENT = _IO(0xb7, 0x2) from linux/nsfs.h
const NS_GET_PARENT: libc::c_ulong = 0xb702;

/// The caller's PID-namespace level (0 in the initial namespace), found by walking
/// NS_GET_PARENT from /proc/self/ns/pid. The walk stops where the kernel refuses to show a
/// parent (outside the caller's user namespace), which is also where our own view ends.
pub fn current_level() -> u32 {
    let Ok(file) = std::fs::File::open("/proc/self/ns/pid") else {
        return 0;
    };
    let mut fd: OwnedFd = file.into();
    let mut level = 0;
    loop {
        // SAFETY: NS_GET_PARENT takes no argument and returns a new fd or -1.
        let parent = unsafe { libc::ioctl(fd.as_raw_fd(), NS_GET_PARENT) };
        if parent < 0 {
            return level;
        }
        // SAFETY: the ioctl returned a new descriptor that nobody else owns.
        fd = unsafe { OwnedFd::from_raw_fd(parent) };
        level += 1;
    }
}

/// How many nested levels a tree may use from here.
pub fn levels_left() -> u32 {
    MAX_PID_NS_LEVEL.saturating_sub(current_level())
}
