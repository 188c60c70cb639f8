//! A process's PID-namespace chain: the inode of its PID namespace and of every ancestor, as
//! `lsns` and `readlink /proc/PID/ns/pid` name them (pid:[INODE]).
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use nix::errno::Errno;
use nix::sys::stat::fstat;

// NS_GET_PARENT = _IO(0xb7, 0x2) from linux/nsfs.h. libc::Ioctl is ioctl's request type:
// c_ulong on glibc, c_int on musl.
const NS_GET_PARENT: libc::Ioctl = 0xb702;

/// Inodes from the caller's own PID namespace (the outermost one it may see) down to `pid`'s.
pub fn pid_ns_chain(pid: i32) -> Result<Vec<u64>, Errno> {
    chain_from(&format!("/proc/{pid}/ns/pid"))
}

/// Walks NS_GET_PARENT up from the namespace file at `path`. The walk stops at the caller's
/// own PID namespace: the kernel refuses (EPERM) a parent above it (pidns_get_parent), so the
/// chain never says how deep the caller itself is (sys::nslevel does, from /proc).
fn chain_from(path: &str) -> Result<Vec<u64>, Errno> {
    let file = std::fs::File::open(path).map_err(|e| Errno::from_raw(e.raw_os_error().unwrap_or(libc::ENOENT)))?;
    let mut fd: OwnedFd = file.into();
    let mut chain = vec![fstat(&fd)?.st_ino];
    loop {
        // SAFETY: NS_GET_PARENT takes no argument and returns a new fd or -1.
        let parent = unsafe { libc::ioctl(fd.as_raw_fd(), NS_GET_PARENT) };
        if parent < 0 {
            break;
        }
        // SAFETY: the ioctl returned a new descriptor that nobody else owns.
        fd = unsafe { OwnedFd::from_raw_fd(parent) };
        chain.push(fstat(&fd)?.st_ino);
    }
    chain.reverse();
    Ok(chain)
}

#[cfg(test)]
mod tests {
    #[test]
    fn own_chain_ends_with_own_namespace() {
        let chain = super::pid_ns_chain(std::process::id() as i32).unwrap();
        let own = std::fs::read_link("/proc/self/ns/pid").unwrap();
        assert_eq!(own.to_string_lossy(), format!("pid:[{}]", chain.last().unwrap()));
    }
}
