//! The event channel: one SOCK_SEQPACKET socketpair for the whole tree. Every init and every
//! freshly forked process holds the tree end and writes whole messages (the kernel keeps each
//! datagram atomic however many writers there are); the host reads them, with the descriptors
//! (output pipes, pidfds) that travel along as SCM_RIGHTS.
use std::io::IoSlice;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

use nix::errno::Errno;
use nix::sys::socket::{sendmsg, socketpair, AddressFamily, ControlMessage, MsgFlags, SockFlag, SockType};

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
    /// One message and the descriptors that came with it, all ours now (closed when dropped).
    /// `truncated`: the message, or its descriptors, did not fit (more than `buf` bytes, more
    /// than `MAX_FDS` descriptors): what did not fit is lost, and the kernel closed the extra
    /// descriptors. The caller decides whether to use what came; it must not be taken as whole.
    Message {
        bytes: Vec<u8>,
        fds: Vec<OwnedFd>,
        truncated: bool,
    },
    /// Every tree end is closed and the queue is empty: the tree is gone.
    Closed,
    WouldBlock,
}

/// Room for `MAX_FDS` descriptors in one SCM_RIGHTS message, in u64s so that the cmsghdr the
/// kernel writes there is aligned.
// SAFETY: CMSG_SPACE is arithmetic on its argument (unsafe only by libc's declaration).
const CONTROL_BYTES: usize = unsafe { libc::CMSG_SPACE((MAX_FDS * std::mem::size_of::<RawFd>()) as u32) } as usize;
const CONTROL_WORDS: usize = CONTROL_BYTES.div_ceil(8);

/// One recvmsg without blocking: the length of the bytes, every descriptor the kernel installed
/// in our table (owned: also when the control buffer was too small, where nix's cmsg iterator
/// refuses the buffer and would leave them open for good), and whether anything did not fit.
/// `None`: nothing to read now.
fn receive(sock: BorrowedFd<'_>, buf: &mut [u8]) -> Result<Option<(usize, Vec<OwnedFd>, bool)>, Errno> {
    let mut control = [0u64; CONTROL_WORDS];
    let mut iov = libc::iovec { iov_base: buf.as_mut_ptr().cast(), iov_len: buf.len() };
    // SAFETY: msghdr is plain data; all-zero is a valid empty header, filled in below.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr().cast();
    msg.msg_controllen = CONTROL_BYTES as _;
    let len = loop {
        // SAFETY: `msg` points at `iov` (into `buf`) and `control`, which outlive the call; the
        // kernel writes at most their lengths.
        let r = unsafe { libc::recvmsg(sock.as_raw_fd(), &mut msg, libc::MSG_CMSG_CLOEXEC | libc::MSG_DONTWAIT) };
        if r >= 0 {
            break r as usize;
        }
        match Errno::last() {
            Errno::EINTR => continue,
            Errno::EAGAIN => return Ok(None),
            e => return Err(e),
        }
    };
    let mut fds = Vec::new();
    // SAFETY: recvmsg set msg_controllen to the bytes it wrote in `control`; the CMSG macros
    // walk only within that, and each SCM_RIGHTS payload holds (cmsg_len - CMSG_LEN(0)) / 4
    // descriptors the kernel just installed for us alone (on truncation, as many as fitted).
    unsafe {
        let mut c = libc::CMSG_FIRSTHDR(&msg);
        while !c.is_null() {
            if (*c).cmsg_level == libc::SOL_SOCKET && (*c).cmsg_type == libc::SCM_RIGHTS {
                let data = libc::CMSG_DATA(c).cast::<RawFd>();
                let count = ((*c).cmsg_len as usize - libc::CMSG_LEN(0) as usize) / std::mem::size_of::<RawFd>();
                for i in 0..count {
                    fds.push(OwnedFd::from_raw_fd(data.add(i).read_unaligned()));
                }
            }
            c = libc::CMSG_NXTHDR(&msg, c);
        }
    }
    let truncated = msg.msg_flags & (libc::MSG_TRUNC | libc::MSG_CTRUNC) != 0;
    Ok(Some((len.min(buf.len()), fds, truncated)))
}

/// Receives one message with the descriptors that came with it.
pub fn recv(sock: BorrowedFd<'_>, buf: &mut [u8]) -> Result<Received, Errno> {
    let Some((len, fds, truncated)) = receive(sock, buf)? else { return Ok(Received::WouldBlock) };
    if len == 0 && fds.is_empty() && !truncated {
        return Ok(Received::Closed);
    }
    Ok(Received::Message { bytes: buf[..len].to_vec(), fds, truncated })
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

/// Receives one datagram into `buf` without blocking (allocating only if descriptors came);
/// any descriptor that came along is closed at once.
pub fn recv_into(sock: BorrowedFd<'_>, buf: &mut [u8]) -> Result<Datagram, Errno> {
    let Some((len, fds, truncated)) = receive(sock, buf)? else { return Ok(Datagram::WouldBlock) };
    let truncated = truncated || !fds.is_empty();
    drop(fds);
    if len == 0 && !truncated {
        return Ok(Datagram::Closed);
    }
    Ok(Datagram::Message { len, truncated })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsFd;

    /// How many of our descriptors point at `file` (other tests' descriptors never do).
    fn open_on(file: &std::path::Path) -> usize {
        std::fs::read_dir("/proc/self/fd")
            .unwrap()
            .filter(|e| e.as_ref().is_ok_and(|e| std::fs::read_link(e.path()).is_ok_and(|t| t == file)))
            .count()
    }

    #[test]
    fn descriptors_beyond_the_limit_are_reported_and_none_is_leaked() {
        let (a, b) = pair().unwrap();
        let file = std::env::temp_dir().join(format!("pidns-core-seqpacket-{}", std::process::id()));
        let probe = std::fs::File::create(&file).unwrap();
        let many = [probe.as_raw_fd(); MAX_FDS + 4];
        let mut buf = vec![0u8; 64];
        for _ in 0..50 {
            send(b.as_fd(), b"x", &many).unwrap();
            match recv(a.as_fd(), &mut buf).unwrap() {
                Received::Message { bytes, fds, truncated } => {
                    assert_eq!(bytes, b"x");
                    assert!(truncated);
                    assert_eq!(fds.len(), MAX_FDS, "the ones that fitted are handed over");
                }
                _ => panic!("expected a message"),
            }
        }
        assert_eq!(open_on(&file), 1, "every received descriptor was closed: only ours is open");
        drop(probe);
        std::fs::remove_file(file).unwrap();
    }

    #[test]
    fn an_oversized_message_is_reported_truncated() {
        let (a, b) = pair().unwrap();
        send(b.as_fd(), &[7u8; 100], &[]).unwrap();
        let mut buf = vec![0u8; 10];
        match recv(a.as_fd(), &mut buf).unwrap() {
            Received::Message { bytes, fds, truncated } => {
                assert_eq!(bytes, vec![7u8; 10]);
                assert!(fds.is_empty());
                assert!(truncated);
            }
            _ => panic!("expected a message"),
        }
        send(b.as_fd(), b"ok", &[]).unwrap();
        match recv(a.as_fd(), &mut buf).unwrap() {
            Received::Message { bytes, truncated, .. } => assert!(bytes == b"ok" && !truncated),
            _ => panic!("expected a message"),
        }
        drop(b);
        assert!(matches!(recv(a.as_fd(), &mut buf).unwrap(), Received::Closed));
    }

    #[test]
    fn recv_into_closes_whatever_came_also_beyond_the_limit() {
        let (a, b) = pair().unwrap();
        let file = std::env::temp_dir().join(format!("pidns-core-recv-into-{}", std::process::id()));
        let probe = std::fs::File::create(&file).unwrap();
        let mut buf = vec![0u8; 64];
        for n in [1, MAX_FDS + 4] {
            send(b.as_fd(), b"x", &vec![probe.as_raw_fd(); n]).unwrap();
            match recv_into(a.as_fd(), &mut buf).unwrap() {
                Datagram::Message { len, truncated } => assert!(len == 1 && truncated),
                _ => panic!("expected a message"),
            }
        }
        assert_eq!(open_on(&file), 1, "only our own descriptor is open");
        drop(probe);
        std::fs::remove_file(file).unwrap();
    }
}
