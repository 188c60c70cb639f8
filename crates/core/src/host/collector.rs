//! Turns what a running tree reports (event socket, output pipes, the root init's pidfd) into
//! the ordered event stream: `start`, `output`, `exit`, `reap`, `error`, and a final `end`.
//!
//! Order guarantees: a process's `start` precedes its output (its pipes arrive with `start`);
//! its `exit` is held until both pipes reach EOF, so no line is reported after it; `end` comes
//! once the root init is reaped, the socket is closed by every process of the tree and every
//! pipe is drained. Processes the kernel killed with their namespace (their init died and
//! could not report them) get an `exit` with a `reason`.
use std::collections::HashMap;
use std::os::fd::{AsFd, OwnedFd};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};

use super::events;
use super::handles::Handles;
use super::lines::LineSplitter;
use super::spawn::SpawnedTree;
use super::zombies;
use crate::protocol::TreeMessage;
use crate::status::ExitStatus;
use crate::sys::{fd, pidfd, seqpacket};

type Key = (String, String);

/// Why a process died that no init reported: the kernel's rule for a PID namespace.
const KILLED_WITH_NAMESPACE: &str = "killed by the kernel when its namespace's init exited";

/// How often zombies under a user's PID 1 are counted while such a namespace lives.
const ZOMBIE_SCAN: Duration = Duration::from_millis(200);

/// A namespace whose PID 1 is the user's program: its host PID and the zombies seen last.
struct UserInit {
    node: String,
    host_pid: Option<i32>,
    zombies: Vec<i32>,
}

struct Proc {
    open_pipes: u8,
    pending_exit: Option<(ExitStatus, Option<&'static str>)>,
    exited: bool,
    exec_error: Option<String>,
    /// Whether its failure fails the tree: the spec's processes and inits do, exec'd ones not.
    counts: bool,
}

struct Pipe {
    fd: OwnedFd,
    key: Key,
    stream: &'static str,
    lines: LineSplitter,
}

/// Where events go. Returning false means nobody listens any more: the tree is killed.
pub type Sink<'a> = &'a mut dyn FnMut(String) -> bool;

pub struct Collector<'a> {
    tree: SpawnedTree,
    root: String,
    sink: Sink<'a>,
    listening: bool,
    procs: HashMap<Key, Proc>,
    started: Vec<Key>,
    pipes: Vec<Pipe>,
    root_status: Option<ExitStatus>,
    socket_closed: bool,
    first_failure: Option<i32>,
    had_error: bool,
    user_inits: Vec<UserInit>,
    last_scan: Instant,
    plan: pidns_model::Plan,
    handles: Handles,
}

impl<'a> Collector<'a> {
    /// `plan` is the tree's plan: its root's path, and which namespaces have a user's PID 1.
    /// `handles` receives each init's control socket and each process's pidfd as they come up.
    pub fn new(tree: SpawnedTree, plan: &pidns_model::Plan, handles: Handles, sink: Sink<'a>) -> Self {
        let user_inits = plan
            .nodes
            .iter()
            .filter(|n| n.init.command.is_some())
            .map(|n| UserInit { node: n.path.clone(), host_pid: None, zombies: Vec::new() })
            .collect();
        Collector {
            tree,
            root: plan.nodes[0].path.clone(),
            user_inits,
            last_scan: Instant::now(),
            plan: plan.clone(),
            handles,
            sink,
            listening: true,
            procs: HashMap::new(),
            started: Vec::new(),
            pipes: Vec::new(),
            root_status: None,
            socket_closed: false,
            first_failure: None,
            had_error: false,
        }
    }

    /// Runs until the tree is gone; returns the tree's exit code (also sent as `end`).
    pub fn run(mut self) -> i32 {
        let mut buf = vec![0u8; seqpacket::MAX_MESSAGE];
        while !(self.socket_closed && self.root_status.is_some() && self.pipes.is_empty()) {
            let ready = self.wait_ready();
            if ready.socket {
                self.drain_socket(&mut buf);
            }
            if ready.root {
                self.reap_root();
            }
            for i in ready.pipes.into_iter().rev() {
                self.read_pipe(i, &mut buf);
            }
            self.scan_zombies();
        }
        self.finish()
    }

    fn wait_ready(&self) -> Ready {
        let mut pfds = Vec::with_capacity(self.pipes.len() + 2);
        let socket_at = (!self.socket_closed).then(|| {
            pfds.push(PollFd::new(self.tree.events.as_fd(), PollFlags::POLLIN));
            pfds.len() - 1
        });
        let root_at = self.root_status.is_none().then(|| {
            pfds.push(PollFd::new(self.tree.pidfd.as_fd(), PollFlags::POLLIN));
            pfds.len() - 1
        });
        let first_pipe = pfds.len();
        pfds.extend(self.pipes.iter().map(|p| PollFd::new(p.fd.as_fd(), PollFlags::POLLIN)));
        let watching = self.user_inits.iter().any(|u| u.host_pid.is_some());
        let timeout = if watching { PollTimeout::from(ZOMBIE_SCAN.as_millis() as u16) } else { PollTimeout::NONE };
        while let Err(Errno::EINTR) = poll(&mut pfds, timeout) {}
        let is_ready = |i: usize| pfds[i].revents().is_some_and(|r| !r.is_empty());
        Ready {
            socket: socket_at.is_some_and(is_ready),
            root: root_at.is_some_and(is_ready),
            pipes: (first_pipe..pfds.len()).filter(|&i| is_ready(i)).map(|i| i - first_pipe).collect(),
        }
    }

    fn emit(&mut self, line: String) {
        if self.listening && !(self.sink)(line) {
            // Nobody reads the events any more: end the tree rather than run it unobserved.
            self.listening = false;
            let _ = pidfd::send_signal(self.tree.pidfd.as_fd(), libc::SIGKILL);
        }
    }

    fn drain_socket(&mut self, buf: &mut [u8]) {
        loop {
            match seqpacket::recv(self.tree.events.as_fd(), buf) {
                Ok(seqpacket::Received::Message { bytes, fds, .. }) => self.on_message(&bytes, fds),
                Ok(seqpacket::Received::WouldBlock) => return,
                Ok(seqpacket::Received::Closed) | Err(_) => {
                    self.socket_closed = true;
                    return;
                }
            }
        }
    }

    fn on_message(&mut self, bytes: &[u8], fds: Vec<OwnedFd>) {
        let msg = match TreeMessage::decode(bytes) {
            Ok(m) => m,
            Err(e) => {
                let root = self.root.clone();
                self.emit(events::error(&root, &format!("unreadable message from the tree: {e}")));
                return;
            }
        };
        match msg {
            TreeMessage::Start { node, process, nspid, command, pipes, control } => {
                let mut fds = fds.into_iter();
                let pidfd = fds.next();
                let key = (node.clone(), process.clone());
                let mut open_pipes = 0;
                if pipes {
                    for (stream, pipe) in ["stdout", "stderr"].into_iter().zip(fds.by_ref()) {
                        let _ = fd::set_nonblocking(pipe.as_fd());
                        self.pipes.push(Pipe { fd: pipe, key: key.clone(), stream, lines: LineSplitter::default() });
                        open_pipes += 1;
                    }
                }
                if control {
                    if let Some(c) = fds.next() {
                        self.handles.add(&self.plan, &node, c);
                    }
                }
                if let Some(pidfd) = pidfd {
                    self.handles.add_process(&node, &process, pidfd);
                }
                // Exec'd processes are the only ones with neither output pipes nor a control socket.
                let counts = pipes || control;
                self.procs.insert(
                    key.clone(),
                    Proc { open_pipes, pending_exit: None, exited: false, exec_error: None, counts },
                );
                self.started.push(key);
                if process == "init" {
                    if let Some(u) = self.user_inits.iter_mut().find(|u| u.node == node) {
                        u.host_pid = nspid.first().copied();
                    }
                }
                self.emit(events::start(&node, &process, &nspid, &command));
            }
            TreeMessage::Exit { node, process, status } => {
                let key = (node, process);
                self.exit_after_output(&key, status, None);
                if key.1 == "init" {
                    self.handles.remove(&self.plan, &key.0);
                    self.namespace_ended(&key.0);
                }
            }
            TreeMessage::ExecError { node, process, error } => {
                // An exec the init could not even fork has no entry yet: its exit comes next.
                let p = self.procs.entry((node, process)).or_insert(Proc {
                    open_pipes: 0,
                    pending_exit: None,
                    exited: false,
                    exec_error: None,
                    counts: false,
                });
                p.exec_error = Some(error);
            }
            TreeMessage::Reap { node, nspid, status } => self.emit(events::reap(&node, &nspid, &status)),
            TreeMessage::Error { node, message } => {
                // The tree fails; with the code of the first failing process if one follows.
                self.had_error = true;
                self.emit(events::error(&node, &message));
            }
        }
    }

    /// Counts the zombies under each living user PID 1 (at most every ZOMBIE_SCAN) and
    /// reports a namespace's when they change.
    fn scan_zombies(&mut self) {
        if self.last_scan.elapsed() < ZOMBIE_SCAN || self.user_inits.iter().all(|u| u.host_pid.is_none()) {
            return;
        }
        self.last_scan = Instant::now();
        let mut changed = Vec::new();
        for u in &mut self.user_inits {
            let Some(pid) = u.host_pid else { continue };
            let now = zombies::zombie_children(pid);
            if now != u.zombies {
                u.zombies = now;
                changed.push(events::zombies(&u.node, &u.zombies));
            }
        }
        changed.into_iter().for_each(|e| self.emit(e));
    }

    /// Reports an exit once the process's output is drained (at once if it has none left).
    fn exit_after_output(&mut self, key: &Key, status: ExitStatus, reason: Option<&'static str>) {
        match self.procs.get_mut(key) {
            Some(p) if p.exited => {}
            Some(p) if p.open_pipes > 0 => p.pending_exit = Some((status, reason)),
            _ => self.emit_exit(key, status, reason),
        }
    }

    /// The init of `node` is gone, and with it (the kernel makes a dying PID 1 wait for them)
    /// everything in its namespace and below that nobody reported: they were SIGKILLed.
    fn namespace_ended(&mut self, node: &str) {
        // With a user's PID 1 the processes are our init's children one level up, and it
        // reports their real statuses itself.
        if self.user_inits.iter().any(|u| u.node == node) {
            return;
        }
        let below = format!("{node}/");
        let lost: Vec<Key> = self
            .started
            .iter()
            .filter(|k| (k.0 == node && k.1 != "init") || k.0.starts_with(&below))
            .filter(|k| self.procs.get(*k).is_some_and(|p| !p.exited && p.pending_exit.is_none()))
            .cloned()
            .collect();
        for key in lost {
            self.exit_after_output(&key, ExitStatus::killed(libc::SIGKILL), Some(KILLED_WITH_NAMESPACE));
        }
    }

    fn emit_exit(&mut self, key: &Key, status: ExitStatus, reason: Option<&str>) {
        self.handles.remove_process(&key.0, &key.1);
        if key.1 == "init" {
            if let Some(u) = self.user_inits.iter_mut().find(|u| u.node == key.0) {
                // Its namespace is gone, and its zombies with it.
                u.host_pid = None;
            }
        }
        let (error, counts) = match self.procs.get_mut(key) {
            Some(p) => {
                p.exited = true;
                (p.exec_error.take(), p.counts)
            }
            // Never started: a failed exec (its error came first) or the root init.
            None => (None, key.1 == "init"),
        };
        if !status.success() && counts {
            self.first_failure.get_or_insert(status.code);
        }
        self.emit(events::exit(&key.0, &key.1, &status, error.as_deref(), reason));
    }

    fn reap_root(&mut self) {
        if let Ok(Some(ws)) = pidfd::try_reap(self.tree.pidfd.as_fd()) {
            self.root_status = ExitStatus::from_wait(ws);
        }
    }

    fn read_pipe(&mut self, i: usize, buf: &mut [u8]) {
        let n = loop {
            match nix::unistd::read(&self.pipes[i].fd, buf) {
                Err(Errno::EINTR) => continue,
                Err(Errno::EAGAIN) => return,
                Ok(n) => break n,
                Err(_) => break 0,
            }
        };
        let pipe = &mut self.pipes[i];
        let (node, process, stream) = (pipe.key.0.clone(), pipe.key.1.clone(), pipe.stream);
        let mut out = Vec::new();
        let mut push = |line: &str| out.push(events::output(&node, &process, stream, line));
        if n > 0 {
            pipe.lines.feed(&buf[..n], &mut push);
        } else {
            pipe.lines.finish(&mut push);
        }
        for line in out {
            self.emit(line);
        }
        if n == 0 {
            let pipe = self.pipes.swap_remove(i);
            let pending = self.procs.get_mut(&pipe.key).and_then(|p| {
                p.open_pipes -= 1;
                if p.open_pipes == 0 {
                    p.pending_exit.take()
                } else {
                    None
                }
            });
            if let Some((status, reason)) = pending {
                self.emit_exit(&pipe.key, status, reason);
            }
        }
    }

    fn finish(mut self) -> i32 {
        let root_key = (self.root.clone(), "init".to_string());
        // Every process still without an exit died with its namespace: when a namespace's
        // init exits, the kernel SIGKILLs everything left in it, and nobody can report that.
        for key in std::mem::take(&mut self.started) {
            let unreported = self.procs.get(&key).is_some_and(|p| !p.exited);
            if unreported && key != root_key {
                self.emit_exit(&key, ExitStatus::killed(libc::SIGKILL), Some(KILLED_WITH_NAMESPACE));
            }
        }
        let root_status = self.root_status.unwrap_or(ExitStatus::killed(libc::SIGKILL));
        if !self.procs.contains_key(&root_key) {
            let root = self.root.clone();
            self.emit(events::error(
                &root,
                &format!(
                    "the root init exited with code {} before reporting in: is pidns-init built and runnable?",
                    root_status.code
                ),
            ));
            self.first_failure.get_or_insert(root_status.code.max(1));
        }
        self.emit_exit(&root_key, root_status, None);
        let code = self.first_failure.unwrap_or(if self.had_error { 1 } else { 0 });
        self.emit(events::end(code));
        code
    }
}

struct Ready {
    socket: bool,
    root: bool,
    pipes: Vec<usize>,
}
