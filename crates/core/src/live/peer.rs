//! Who is at the other end of a control socket: SO_PEERCRED, the kernel's record of the
//! process that connected (or, for a listening socket, that called listen). Both ends check it
//! before they send anything: the supervisor serves only its owner or root, and a client talks
//! only to a supervisor run by itself or by root, so it never hands its stdin, stdout and
//! stderr to someone else's listener.
use std::os::fd::OwnedFd;

use nix::sys::socket::{getsockopt, sockopt};

use crate::sys::dirfd;

/// Ok when the peer runs as our effective uid or as root; otherwise the uid found.
pub fn trusted(sock: &OwnedFd) -> Result<(), Option<u32>> {
    let me = dirfd::euid();
    match getsockopt(sock, sockopt::PeerCredentials) {
        Ok(cred) if cred.uid() == me || cred.uid() == 0 => Ok(()),
        Ok(cred) => Err(Some(cred.uid())),
        Err(_) => Err(None),
    }
}
