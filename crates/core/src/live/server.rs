//! The supervisor's control socket: SOCK_SEQPACKET (a request and its descriptors arrive as one
//! message), mode 0600 in a 0700 directory, and the peer's credentials checked: only the tree's
//! owner (or root) is served.
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::socket::{accept, bind, listen, socket, AddressFamily, Backlog, SockFlag, SockType, UnixAddr};

use super::peer;
use super::state::Shared;
use super::tree_dir::SOCKET;
use crate::error_code::ErrorCode;
use crate::host::registry::Registry;
use crate::sys::{dirfd, pidfd, seqpacket};
use crate::wire::live::{ok, refused, LiveRequest};

pub struct Server {
    pub shared: Arc<Shared>,
    pub registry: Registry,
    pub root: Arc<OwnedFd>,
    pub plan: pidns_model::Plan,
    /// Names exec'd processes get: exec-1, exec-2, ...
    pub execs: AtomicU32,
}

/// Binds `control.sock` in the tree's directory `dir` (through its descriptor: the socket is
/// made in the directory that was checked, whatever its path has become; `shown` is that path,
/// for messages) and serves it on its own thread, a thread per client.
pub fn serve(dir: BorrowedFd<'_>, shown: &Path, server: Arc<Server>) -> Result<(), String> {
    let fd = socket(AddressFamily::Unix, SockType::SeqPacket, SockFlag::SOCK_CLOEXEC, None)
        .map_err(|e| e.desc().to_string())?;
    let addr = UnixAddr::new(&dirfd::proc_path(dir).join(SOCKET)).map_err(|e| e.desc().to_string())?;
    let shown = shown.join(SOCKET);
    bind(fd.as_raw_fd(), &addr).map_err(|e| format!("bind {}: {}", shown.display(), e.desc()))?;
    dirfd::set_mode_at(dir, SOCKET, 0o600).map_err(|e| format!("chmod {}: {}", shown.display(), e.desc()))?;
    listen(&fd, Backlog::new(16).map_err(|e| e.desc().to_string())?).map_err(|e| e.desc().to_string())?;
    std::thread::Builder::new()
        .spawn(move || loop {
            let client = match accept(&fd) {
                Ok(client) => client,
                Err(nix::errno::Errno::EINTR | nix::errno::Errno::ECONNABORTED) => continue,
                Err(_) => {
                    // Out of descriptors (or memory): the connection waits in the backlog until
                    // a client closes one; try again in a while rather than spin.
                    std::thread::sleep(Duration::from_millis(50));
                    continue;
                }
            };
            let server = server.clone();
            // No thread to be had (a pids limit): the client sees its connection close.
            let _ = std::thread::Builder::new().spawn(move || handle(&server, client));
        })
        .map_err(|e| format!("cannot start the control socket's thread: {e}"))?;
    Ok(())
}

/// Replies may be larger than one SEQPACKET message can be (ps of a big tree): they go in
/// chunks, and a message of a single NUL byte (never part of JSON) ends them.
pub const REPLY_CHUNK: usize = 64 * 1024;
pub const REPLY_END: &[u8] = &[0];

fn reply(client: &OwnedFd, json: String) {
    for chunk in json.as_bytes().chunks(REPLY_CHUNK) {
        if seqpacket::send(client.as_fd(), chunk, &[]).is_err() {
            return;
        }
    }
    let _ = seqpacket::send(client.as_fd(), REPLY_END, &[]);
}

/// A request in flight, counted in `replying` from its connection to its answer: when the tree
/// ends, the supervisor waits for these (a second at most) before it exits, so that a `kill`
/// that ends the tree (its last process) still gets its answer rather than a closed connection.
struct InFlight<'a>(&'a Shared);

impl<'a> InFlight<'a> {
    fn count(shared: &'a Shared) -> Self {
        shared.state.lock().unwrap_or_else(|e| e.into_inner()).replying += 1;
        InFlight(shared)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.state.lock().unwrap_or_else(|e| e.into_inner()).replying -= 1;
        self.0.changed.notify_all();
    }
}

fn handle(server: &Server, client: OwnedFd) {
    let _answering = InFlight::count(&server.shared);
    let mut pfd = [PollFd::new(client.as_fd(), PollFlags::POLLIN)];
    if poll(&mut pfd, PollTimeout::from(5_000u16)).unwrap_or(0) == 0 {
        return;
    }
    // Read the request before anything else, also one we refuse: closing a SEQPACKET
    // connection with unread data resets it, and the client would never see our answer.
    let mut buf = vec![0u8; seqpacket::MAX_MESSAGE];
    let (bytes, mut fds) = match seqpacket::recv(client.as_fd(), &mut buf) {
        Ok(seqpacket::Received::Message { truncated: true, fds, .. }) => {
            drop(fds);
            return reply(
                &client,
                refused(ErrorCode::BadArgument, "request refused: larger than 256 KiB or with more than 4 descriptors"),
            );
        }
        Ok(seqpacket::Received::Message { bytes, fds, .. }) => (bytes, fds),
        _ => return,
    };
    // Only the tree's owner, or root.
    if peer::trusted(&client).is_err() {
        drop(fds);
        return reply(
            &client,
            refused(ErrorCode::NotPermitted, "permission denied: this tree belongs to another user"),
        );
    }
    let request = match LiveRequest::parse(&bytes) {
        Ok(r) => r,
        Err((code, why)) => {
            drop(fds);
            return reply(&client, refused(code, &why));
        }
    };
    // Descriptors are for exec only; whatever else came is closed before we answer, so that a
    // client that has its reply knows they are gone.
    if !matches!(request, LiveRequest::Exec { .. }) {
        fds.clear();
    }
    let answer = match &request {
        LiveRequest::Ps => ps(server),
        LiveRequest::Kill { node, process, signal } => match server.registry.signal(node, process, *signal) {
            Ok(sent) => ok().bool("sent", sent).finish(),
            Err(e) => refused(ErrorCode::SyscallFailed, e.desc()),
        },
        LiveRequest::Stop { grace_ms } => {
            let _ = pidfd::send_signal(server.root.as_fd(), libc::SIGTERM);
            let (root, grace) = (server.root.clone(), *grace_ms);
            let later = root.clone();
            let timer = std::thread::Builder::new().spawn(move || {
                std::thread::sleep(Duration::from_millis(grace));
                let _ = pidfd::send_signal(later.as_fd(), libc::SIGKILL);
            });
            if timer.is_err() {
                // No thread for the grace period (a pids limit): the end must still come.
                let _ = pidfd::send_signal(root.as_fd(), libc::SIGKILL);
            }
            ok().finish()
        }
        LiveRequest::Exec { .. } => exec(server, &request, &client, fds),
        LiveRequest::Events { after, wait_ms } => events(server, *after, *wait_ms),
        LiveRequest::Wait => {
            let mut st = server.shared.state.lock().unwrap_or_else(|e| e.into_inner());
            while st.end.is_none() {
                st = server.shared.changed.wait(st).unwrap_or_else(|e| e.into_inner());
            }
            let code = st.end.unwrap_or(0);
            drop(st);
            ok().int("code", code).finish()
        }
    };
    reply(&client, answer);
}

fn exec(server: &Server, request: &LiveRequest, client: &OwnedFd, fds: Vec<OwnedFd>) -> String {
    let taken: Vec<String> =
        server.plan.nodes.iter().flat_map(|n| n.processes.iter().map(|p| p.name.clone())).collect();
    let name = loop {
        let n = format!("exec-{}", server.execs.fetch_add(1, Ordering::SeqCst) + 1);
        if !taken.contains(&n) {
            break n;
        }
    };
    let Some((node, spec)) = request.exec_spec(name.clone()) else {
        return refused(ErrorCode::BadArgument, "not an exec");
    };
    let Ok(stdio) = <[OwnedFd; 3]>::try_from(fds) else {
        return refused(ErrorCode::BadArgument, "exec needs stdin, stdout and stderr");
    };
    let raw = [stdio[0].as_raw_fd(), stdio[1].as_raw_fd(), stdio[2].as_raw_fd()];
    let key = match server.registry.exec(&node, spec, raw) {
        Ok(key) => key,
        Err(e) => return refused(e.code(), &format!("cannot run it in {node}: {e}")),
    };
    drop(stdio);
    // Wait for its exit; if the client goes away first (Ctrl-C), the command goes too.
    let mut st = server.shared.state.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        if let Some(exit) = st.procs.iter().find(|p| p.key == key).and_then(|p| p.exit.clone()) {
            return ok().str("process", &name).raw("exit", &exit).finish();
        }
        if st.end.is_some() {
            return refused(ErrorCode::TreeGone, "the tree ended");
        }
        st = server
            .shared
            .changed
            .wait_timeout(st, Duration::from_millis(200))
            .map(|(g, _)| g)
            .unwrap_or_else(|e| e.into_inner().0);
        let mut pfd = [PollFd::new(client.as_fd(), PollFlags::empty())];
        let gone = poll(&mut pfd, PollTimeout::ZERO)
            .is_ok_and(|_| pfd[0].revents().is_some_and(|r| r.intersects(PollFlags::POLLHUP | PollFlags::POLLERR)));
        if gone {
            let _ = server.registry.signal(&node, &name, libc::SIGKILL);
        }
    }
}

/// The events recorded after `after`, once there is one or `wait_ms` has passed (or the tree
/// has ended): `{"ok", "seq": the last one's number, "first": the oldest still kept, "ended",
/// "events": [...]}`. A client whose `after` is below `first - 1` has missed some: it reads `ps`
/// again (whose `seq` says where that picture stands) and goes on from there.
fn events(server: &Server, after: u64, wait_ms: u64) -> String {
    let deadline = std::time::Instant::now() + Duration::from_millis(wait_ms);
    let mut st = server.shared.state.lock().unwrap_or_else(|e| e.into_inner());
    while st.seq <= after && st.end.is_none() {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            break;
        }
        st = server.shared.changed.wait_timeout(st, left).map(|(g, _)| g).unwrap_or_else(|e| e.into_inner().0);
    }
    let first = st.log.front().map_or(st.seq + 1, |(seq, _)| *seq);
    ok().int("seq", st.seq as i64)
        .int("first", first as i64)
        .bool("ended", st.end.is_some())
        .raws("events", st.log.iter().filter(|(seq, _)| *seq > after).map(|(_, line)| line.as_str()))
        .finish()
}

/// Every process with its state: running, zombie (per /proc) or exited (with its exit), the
/// zombies under a user's PID 1 and the orphans reaped, by namespace, and `seq`, the number of
/// the last event this picture includes (see `events`).
fn ps(server: &Server) -> String {
    // A copy, so that the /proc reads below happen without the lock the collector's sink needs.
    let (rows, zombie_counts, reaped, seq) = {
        let st = server.shared.state.lock().unwrap_or_else(|e| e.into_inner());
        let rows: Vec<_> = st.procs.iter().map(|p| (p.start.clone(), p.exit.clone(), p.host_pid)).collect();
        let counts: Vec<_> = st.zombies.iter().map(|(node, pids)| (node.clone(), pids.len() as i64)).collect();
        let reaped: Vec<_> = st.reaped.iter().map(|(node, n)| (node.clone(), *n as i64)).collect();
        (rows, counts, reaped, st.seq)
    };
    ok().int("seq", seq as i64)
        .objects("processes", &rows, |o, (start, exit, host_pid)| {
            let state = match exit {
                Some(_) => "exited",
                None if crate::host::zombies::is_zombie(*host_pid as i32) => "zombie",
                None => "running",
            };
            let o = o.str("state", state).raw("start", start);
            match exit {
                Some(e) => o.raw("exit", e),
                None => o.null("exit"),
            }
        })
        .object("zombies", |mut o| {
            for (node, count) in &zombie_counts {
                o = o.int_at(node, *count);
            }
            o
        })
        .object("reaped", |mut o| {
            for (node, count) in &reaped {
                o = o.int_at(node, *count);
            }
            o
        })
        .finish()
}
