//! The control sockets of a tree's inits: abstract SOCK_SEQPACKET sockets (no file to leave
//! behind, nothing to clean up when a tree is SIGKILLed), reached by name. Anyone on the host
//! can see an abstract name and try to connect, so both sides check the other's credentials
//! (SO_PEERCRED, which the kernel fills in and nobody can forge).
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};

use nix::errno::Errno;
use nix::sys::socket::{
    accept4, bind, connect as connect_to, getsockopt, listen as listen_on, socket, sockopt, AddressFamily, Backlog,
    SockFlag, SockType, UnixAddr,
};

/// Who is at the other end: the process that connected (for the listener), or that called
/// listen() (for the client). The PID is as the caller's PID namespace sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Peer {
    pub pid: i32,
    pub uid: u32,
}

/// Binds the abstract name and listens; accept() never blocks. Fails with EADDRINUSE if
/// someone holds the name already.
pub fn listen(name: &str) -> Result<OwnedFd, Errno> {
    let fd = socket(AddressFamily::Unix, SockType::SeqPacket, SockFlag::SOCK_CLOEXEC | SockFlag::SOCK_NONBLOCK, None)?;
    let addr = UnixAddr::new_abstract(name.as_bytes())?;
    bind(fd.as_raw_fd(), &addr)?;
    listen_on(&fd, Backlog::new(64)?)?;
    Ok(fd)
}

/// A connection to the abstract name (blocking).
pub fn connect(name: &str) -> Result<OwnedFd, Errno> {
    let fd = socket(AddressFamily::Unix, SockType::SeqPacket, SockFlag::SOCK_CLOEXEC, None)?;
    let addr = UnixAddr::new_abstract(name.as_bytes())?;
    loop {
        match connect_to(fd.as_raw_fd(), &addr) {
            Err(Errno::EINTR) => continue,
            Err(e) => return Err(e),
            Ok(()) => return Ok(fd),
        }
    }
}

/// The next pending connection, if any (close-on-exec, blocking).
pub fn accept(listener: BorrowedFd<'_>) -> Result<Option<OwnedFd>, Errno> {
    match accept4(listener, SockFlag::SOCK_CLOEXEC) {
        Ok(fd) => Ok(Some(fd)),
        Err(Errno::EAGAIN) => Ok(None),
        Err(e) => Err(e),
    }
}

pub fn peer(sock: BorrowedFd<'_>) -> Result<Peer, Errno> {
    let cred = getsockopt(&sock.as_fd(), sockopt::PeerCredentials)?;
    Ok(Peer { pid: cred.pid(), uid: cred.uid() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_ends_see_each_other() {
        let name = format!("pidns-tree-test/{}/{}", std::process::id(), line!());
        let l = listen(&name).unwrap();
        assert_eq!(listen(&name).unwrap_err(), Errno::EADDRINUSE);
        assert!(accept(l.as_fd()).unwrap().is_none());
        let c = connect(&name).unwrap();
        let s = accept(l.as_fd()).unwrap().unwrap();
        // SAFETY: geteuid only reads our credentials.
        let me = Peer { pid: std::process::id() as i32, uid: unsafe { libc::geteuid() } };
        assert_eq!(peer(c.as_fd()).unwrap(), me);
        assert_eq!(peer(s.as_fd()).unwrap(), me);
        drop(l);
        assert_eq!(connect(&name).unwrap_err(), Errno::ECONNREFUSED);
    }
}
