//! The event channel: one SOCK_SEQPACKET socketpair for the whole tree. Every init and every
//! freshly forked process holds the tree end and writes whole messages (the kernel keeps each
//! datagram atomic however many writers there are); the host reads them, with the descriptors
//! (output pipes, pidfds) that travel along as SCM_RIGHTS.
use std::io::{IoSlice, IoSliceMut};
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

use nix::errno::Errno;
use nix::sys::socket::{
    recvmsg, sendmsg, socketpair, AddressFamily, ControlMessage, ControlMessageOwned, MsgFlags, SockFlag, SockType,
};

/// The largest message we send. Output never travels here (it has its own pipes), so events are
/// small; a command line or env is bounded by the spec.
pub const MAX_MESSAGE: usize = 256 * 1024;
/// At most this many descriptors ride along with one message.
pub const MAX_FDS: usize = 4;

/// (host end, tree end), both close-on-exec.
pub fn pair() -> Result<(OwnedFd, OwnedFd), Errno> {
    socketpair(AddressFamily::Unix, SockType::SeqPacket, None, SockFlag::SOCK_CLOEXEC)
}

pub fn send(sock: BorrowedFd<'_>, bytes: &[u8], fds: &[RawFd]) -> Result<(), Errno> {
    let iov = [IoSlice::new(bytes)];
    let rights = [ControlMessage::ScmRights(fds)];
    let cmsgs: &[ControlMessage] = if fds.is_empty() { &[] } else { &rights };
    loop {
        match sendmsg::<()>(sock.as_raw_fd(), &iov, cmsgs, MsgFlags::MSG_NOSIGNAL, None) {
            Err(Errno::EINTR) => continue,
            Err(e) => return Err(e),
            Ok(_) => return Ok(()),
        }
    }
}

pub enum Received {
    Message(Vec<u8>, Vec<OwnedFd>),
    /// Every tree end is closed and the queue is empty: the tree is gone.
    Closed,
    WouldBlock,
}

pub fn recv(sock: BorrowedFd<'_>, buf: &mut [u8]) -> Result<Received, Errno> {
    let mut cmsg = nix::cmsg_space!([RawFd; MAX_FDS]);
    let (len, fds) = {
        let mut iov = [IoSliceMut::new(buf)];
        let msg = match recvmsg::<()>(
            sock.as_raw_fd(),
            &mut iov,
            Some(&mut cmsg),
            MsgFlags::MSG_CMSG_CLOEXEC | MsgFlags::MSG_DONTWAIT,
        ) {
            Err(Errno::EAGAIN) => return Ok(Received::WouldBlock),
            Err(e) => return Err(e),
            Ok(m) => m,
        };
        let mut fds = Vec::new();
        // MSG_CTRUNC (we ran out of descriptors) makes cmsgs() fail: the message itself is
        // still good, it just arrives without its descriptors; the stream goes on.
        if let Ok(cmsgs) = msg.cmsgs() {
            for c in cmsgs {
                if let ControlMessageOwned::ScmRights(raw) = c {
                    // SAFETY: SCM_RIGHTS installed these descriptors in our table just now; we
                    // are their only owner.
                    fds.extend(raw.into_iter().map(|fd| unsafe { OwnedFd::from_raw_fd(fd) }));
                }
            }
        }
        (msg.bytes, fds)
    };
    if len == 0 && fds.is_empty() {
        return Ok(Received::Closed);
    }
    Ok(Received::Message(buf[..len].to_vec(), fds))
}

/// Sends one datagram without blocking: Ok(false) when the socket's buffer is full (try again
/// when it polls writable).
pub fn try_send(sock: BorrowedFd<'_>, bytes: &[u8]) -> Result<bool, Errno> {
    let iov = [IoSlice::new(bytes)];
    loop {
        match sendmsg::<()>(sock.as_raw_fd(), &iov, &[], MsgFlags::MSG_NOSIGNAL | MsgFlags::MSG_DONTWAIT, None) {
            Err(Errno::EINTR) => continue,
            Err(Errno::EAGAIN) => return Ok(false),
            Err(e) => return Err(e),
            Ok(_) => return Ok(true),
        }
    }
}

/// What `recv_into` read.
pub enum Datagram {
    /// A datagram of this many bytes is in the buffer. `truncated`: it came with descriptors
    /// (none are expected where this is used) or did not fit; they were closed, it is reported.
    Message {
        len: usize,
        truncated: bool,
    },
    /// Every other end is closed and the queue is empty.
    Closed,
    WouldBlock,
}

/// Receives one datagram into `buf` without blocking and without allocating; any descriptor
/// that came along is closed at once.
pub fn recv_into(sock: BorrowedFd<'_>, buf: &mut [u8]) -> Result<Datagram, Errno> {
    let mut cmsg = nix::cmsg_space!([RawFd; MAX_FDS]);
    let mut iov = [IoSliceMut::new(buf)];
    let msg = loop {
        match recvmsg::<()>(
            sock.as_raw_fd(),
            &mut iov,
            Some(&mut cmsg),
            MsgFlags::MSG_CMSG_CLOEXEC | MsgFlags::MSG_DONTWAIT,
        ) {
            Err(Errno::EINTR) => continue,
            Err(Errno::EAGAIN) => return Ok(Datagram::WouldBlock),
            Err(e) => return Err(e),
            Ok(m) => break m,
        }
    };
    let mut had_fds = false;
    if let Ok(cmsgs) = msg.cmsgs() {
        for c in cmsgs {
            if let ControlMessageOwned::ScmRights(raw) = c {
                had_fds = true;
                // SAFETY: SCM_RIGHTS installed these descriptors in our table just now; we are
                // their only owner, and nobody here wants them.
                drop(raw.into_iter().map(|fd| unsafe { OwnedFd::from_raw_fd(fd) }).collect::<Vec<_>>());
            }
        }
    }
    let truncated = had_fds || msg.flags.intersects(MsgFlags::MSG_CTRUNC | MsgFlags::MSG_TRUNC);
    if msg.bytes == 0 && !truncated {
        return Ok(Datagram::Closed);
    }
    Ok(Datagram::Message { len: msg.bytes, truncated })
}
