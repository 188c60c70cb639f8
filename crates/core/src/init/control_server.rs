//! An init's end of its control socket: requests from the host (exec), one per connection.
//! Only the tree's owner is served: a peer whose uid is not ours is refused before its request
//! is even read, and a connection that carries more descriptors than a request has is refused
//! with every descriptor closed.
use std::collections::HashMap;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};

use nix::errno::Errno;
use nix::sys::epoll::{Epoll, EpollEvent, EpollFlags};

use crate::sys::{ctlsock, seqpacket};
use crate::wire::control::{Reply, Request};

/// Connections waiting for their request at once; more are refused.
const MAX_PENDING: usize = 64;

pub struct ControlServer {
    listener: OwnedFd,
    pending: HashMap<RawFd, OwnedFd>,
}

/// A request with the descriptors that came with it, and where to answer.
pub struct Incoming {
    pub request: Request,
    pub fds: Vec<OwnedFd>,
    pub conn: OwnedFd,
}

impl ControlServer {
    pub fn new(listener: OwnedFd) -> ControlServer {
        ControlServer { listener, pending: HashMap::new() }
    }

    pub fn listener(&self) -> BorrowedFd<'_> {
        self.listener.as_fd()
    }

    /// Takes every waiting connection; each is watched in `epoll` under `token(fd)`.
    pub fn accept(&mut self, epoll: &Epoll, token: impl Fn(RawFd) -> u64) {
        let me = crate::sys::process::uid();
        while let Ok(Some(conn)) = ctlsock::accept(self.listener.as_fd()) {
            match ctlsock::peer(conn.as_fd()) {
                Ok(peer) if peer.uid == me => {}
                _ => {
                    refuse(conn.as_fd(), "permission denied: this tree belongs to another user");
                    continue;
                }
            }
            if self.pending.len() >= MAX_PENDING {
                refuse(conn.as_fd(), "too many requests at once; try again");
                continue;
            }
            let raw = conn.as_raw_fd();
            if epoll.add(conn.as_fd(), EpollEvent::new(EpollFlags::EPOLLIN, token(raw))).is_ok() {
                self.pending.insert(raw, conn);
            }
        }
    }

    /// Reads the request of the connection behind `raw`, which polled readable. Errors are
    /// answered here; Ok(None) when there is nothing to do.
    pub fn take(&mut self, raw: RawFd, epoll: &Epoll) -> Option<Incoming> {
        let conn = self.pending.remove(&raw)?;
        let _ = epoll.delete(conn.as_fd());
        let mut buf = vec![0u8; seqpacket::MAX_MESSAGE];
        let (bytes, fds) = match seqpacket::recv(conn.as_fd(), &mut buf) {
            Ok(seqpacket::Received::Message { truncated: true, .. }) => {
                // Its descriptors did not all arrive (our limit, or more than a request has):
                // the ones that did are closed with the message.
                refuse(
                    conn.as_fd(),
                    &crate::sys::limits::explain("the request's descriptors did not all arrive", Errno::EMFILE),
                );
                return None;
            }
            Ok(seqpacket::Received::Message { bytes, fds, .. }) => (bytes, fds),
            Ok(_) => return None,
            Err(e) => {
                refuse(conn.as_fd(), &format!("cannot read the request: {}", e.desc()));
                return None;
            }
        };
        match Request::decode(&bytes) {
            Ok(request) => Some(Incoming { request, fds, conn }),
            Err(e) => {
                refuse(conn.as_fd(), &format!("bad request: {e}"));
                None
            }
        }
    }
}

pub fn answer(conn: BorrowedFd<'_>, reply: &Reply) {
    let _ = seqpacket::send(conn, &reply.to_bytes(), &[]);
}

pub fn refuse(conn: BorrowedFd<'_>, message: &str) {
    answer(conn, &Reply::Refused { message: message.to_string() });
}

/// Errno as a refusal for a failed exec.
pub fn exec_failed(what: &str, e: Errno) -> String {
    crate::sys::limits::explain(what, e)
}
