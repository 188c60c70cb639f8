//! The client side of a live tree's control socket (SOCK_SEQPACKET, which Node's net module
//! cannot open, and exec passes our stdio as SCM_RIGHTS, which it cannot send either).
use std::os::fd::{AsFd, AsRawFd};

use napi::{Error, Result, Status};
use napi_derive::napi;
use nix::sys::socket::{connect, socket, AddressFamily, SockFlag, SockType, UnixAddr};
use pidns_core::sys::seqpacket;

/// Sends one request to the supervisor at `socket_path` (with our stdin, stdout and stderr
/// when `pass_stdio`) and returns its reply. Blocks until the reply comes: for exec, until the
/// command has exited.
#[napi]
pub fn live_request(socket_path: String, request: String, pass_stdio: bool) -> Result<String> {
    let fail = |what: &str, e: nix::errno::Errno| {
        Error::new(Status::GenericFailure, format!("{what} {socket_path}: {}", e.desc()))
    };
    let fd = socket(AddressFamily::Unix, SockType::SeqPacket, SockFlag::SOCK_CLOEXEC, None)
        .map_err(|e| fail("socket", e))?;
    let addr = UnixAddr::new(socket_path.as_str()).map_err(|e| fail("address", e))?;
    connect(fd.as_raw_fd(), &addr).map_err(|e| fail("cannot connect to", e))?;
    let stdio = [0, 1, 2];
    seqpacket::send(fd.as_fd(), request.as_bytes(), if pass_stdio { &stdio } else { &[] })
        .map_err(|e| fail("cannot send to", e))?;
    let mut buf = vec![0u8; seqpacket::MAX_MESSAGE];
    // The reply comes in chunks; a single NUL byte ends it.
    let mut reply = Vec::new();
    loop {
        let mut pfd = [nix::poll::PollFd::new(fd.as_fd(), nix::poll::PollFlags::POLLIN)];
        match nix::poll::poll(&mut pfd, nix::poll::PollTimeout::NONE) {
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => return Err(fail("poll", e)),
            Ok(_) => {}
        }
        match seqpacket::recv(fd.as_fd(), &mut buf) {
            Ok(seqpacket::Received::Message { bytes, .. }) if bytes == pidns_core::live::server::REPLY_END => {
                return Ok(String::from_utf8_lossy(&reply).into_owned());
            }
            Ok(seqpacket::Received::Message { bytes, .. }) => reply.extend_from_slice(&bytes),
            Ok(seqpacket::Received::WouldBlock) => continue,
            Ok(seqpacket::Received::Closed) => {
                return Err(Error::new(
                    Status::GenericFailure,
                    "the tree's supervisor closed the connection".to_string(),
                ))
            }
            Err(e) => return Err(fail("cannot read from", e)),
        }
    }
}
