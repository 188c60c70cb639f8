//! The client side of a live tree's control socket: find the tree in the checked state root,
//! connect to its socket through a descriptor (never a path that could have changed), check who
//! serves it, then send one request (with our stdin, stdout and stderr for `exec`) and read the
//! reply. Used by the Node binding; the checks are the supervisor's own (`state_root`, `tree_dir`).
use std::os::fd::{AsFd, AsRawFd, OwnedFd};

use nix::errno::Errno;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::socket::{connect, socket, AddressFamily, SockFlag, SockType, UnixAddr};

use super::peer;
use super::server::REPLY_END;
use super::state_root::{who, StateRoot};
use super::tree_dir::{self, Found, TreeDir, SOCKET};
use crate::error_code::ErrorCode;
use crate::sys::{dirfd, seqpacket};

/// Why a request got no answer.
#[derive(Debug)]
pub enum RequestError {
    /// The state (or the socket's server) is not safe to talk to; nothing was sent.
    Unsafe(String),
    /// No tree with this id runs here.
    NoTree(String),
    /// The tree went away (or is not up yet) before it answered.
    Gone(String),
}

impl RequestError {
    /// The error's code and message.
    pub fn coded(self) -> (ErrorCode, String) {
        match self {
            RequestError::Unsafe(m) => (ErrorCode::StateUnsafe, m),
            RequestError::NoTree(m) => (ErrorCode::UnknownTree, m),
            RequestError::Gone(m) => (ErrorCode::TreeGone, m),
        }
    }
}

/// Opens tree `id` of the checked state root, if it runs.
pub fn find(id: &str) -> Result<TreeDir, RequestError> {
    let none = || RequestError::NoTree(format!("no running tree {id:?} here (see pidns-tree ls)"));
    let root = StateRoot::open(false).map_err(|u| RequestError::Unsafe(u.0))?.ok_or_else(none)?;
    match tree_dir::open(&root, id).map_err(RequestError::NoTree)? {
        Found::Running(tree) => Ok(tree),
        Found::Absent | Found::Stale(_) => Err(none()),
        Found::Foreign(why) | Found::Unsafe(why) => Err(RequestError::Unsafe(why)),
    }
}

/// Connects to the tree's control socket and checks that its server is us or root.
pub fn connect_to(tree: &TreeDir) -> Result<OwnedFd, RequestError> {
    let path = tree.path.join(SOCKET);
    let gone = |what: &str, e: Errno| RequestError::Gone(format!("{what} {}: {}", path.display(), e.desc()));
    let handle = dirfd::open_path_at(tree.dir.as_fd(), SOCKET).map_err(|e| gone("cannot open", e))?;
    let m = dirfd::stat(handle.as_fd()).map_err(|e| gone("cannot look at", e))?;
    if m.kind != dirfd::Kind::Socket || m.uid != dirfd::euid() {
        return Err(RequestError::Unsafe(format!(
            "{} is {} owned by {}, not the tree's control socket: nothing was sent to it",
            path.display(),
            m.kind.describe(),
            who(m.uid)
        )));
    }
    let fd = socket(AddressFamily::Unix, SockType::SeqPacket, SockFlag::SOCK_CLOEXEC, None)
        .map_err(|e| gone("socket for", e))?;
    let addr = UnixAddr::new(&dirfd::proc_path(handle.as_fd())).map_err(|e| gone("address of", e))?;
    connect(fd.as_raw_fd(), &addr).map_err(|e| gone("cannot connect to", e))?;
    peer::trusted(&fd).map_err(|uid| {
        RequestError::Unsafe(format!(
            "{} is served by a process of {}, not by you or root: nothing was sent to it (someone may be \
             impersonating the tree; stop using this state directory and tell your administrator)",
            path.display(),
            uid.map_or_else(|| "an unknown user".to_string(), who)
        ))
    })?;
    Ok(fd)
}

/// Sends `request` to tree `id` (with our stdin, stdout and stderr when `pass_stdio`) and
/// returns its reply. Blocks until the reply comes (for exec, until the command has exited),
/// or until `timeout` if one is given: a supervisor that does not answer (stopped with
/// SIGSTOP, say) must not hang a `ps` or an `ls` forever.
pub fn request(
    id: &str,
    request: &str,
    pass_stdio: bool,
    timeout: Option<std::time::Duration>,
) -> Result<String, RequestError> {
    let stdio = [0, 1, 2];
    exchange(id, request, if pass_stdio { &stdio } else { &[] }, || {}, timeout)
}

/// An exec on a terminal (`"tty": true` in `request`): `terminal`, the slave of the caller's
/// pty, goes along as the command's stdin, stdout and stderr, and is closed here as soon as it
/// is sent, so that only the command and what it starts hold it. Blocks until the command has
/// exited.
pub fn request_on_terminal(id: &str, request: &str, terminal: OwnedFd) -> Result<String, RequestError> {
    let fd = terminal.as_raw_fd();
    exchange(id, request, &[fd, fd, fd], move || drop(terminal), None)
}

fn exchange(
    id: &str,
    request: &str,
    fds: &[std::os::fd::RawFd],
    sent: impl FnOnce(),
    timeout: Option<std::time::Duration>,
) -> Result<String, RequestError> {
    let deadline = timeout.map(|t| std::time::Instant::now() + t);
    let tree = find(id)?;
    let fd = connect_to(&tree)?;
    let gone = |what: &str, e: Errno| RequestError::Gone(format!("tree {id}: {what}: {}", e.desc()));
    seqpacket::send(fd.as_fd(), request.as_bytes(), fds).map_err(|e| gone("cannot send", e))?;
    sent();
    let mut buf = vec![0u8; seqpacket::MAX_MESSAGE];
    // The reply comes in chunks; a single NUL byte ends it.
    let mut reply = Vec::new();
    loop {
        let mut pfd = [PollFd::new(fd.as_fd(), PollFlags::POLLIN)];
        let wait = match deadline {
            None => PollTimeout::NONE,
            Some(d) => PollTimeout::try_from(d.saturating_duration_since(std::time::Instant::now()).as_millis() as i32)
                .unwrap_or(PollTimeout::NONE),
        };
        match poll(&mut pfd, wait) {
            Err(Errno::EINTR) => continue,
            Err(e) => return Err(gone("poll", e)),
            Ok(0) => {
                return Err(RequestError::Gone(format!(
                    "tree {id}: its supervisor did not answer within {} s (is it stopped?)",
                    timeout.map_or(0, |t| t.as_secs())
                )))
            }
            Ok(_) => {}
        }
        match seqpacket::recv(fd.as_fd(), &mut buf).map_err(|e| gone("cannot read", e))? {
            // Descriptors are never part of a reply: any that came are closed here.
            seqpacket::Received::Message { bytes, .. } if bytes == REPLY_END => {
                return Ok(String::from_utf8_lossy(&reply).into_owned())
            }
            seqpacket::Received::Message { bytes, .. } => reply.extend_from_slice(&bytes),
            seqpacket::Received::WouldBlock => continue,
            seqpacket::Received::Closed => {
                return Err(RequestError::Gone(format!("tree {id}: the supervisor closed the connection")))
            }
        }
    }
}
