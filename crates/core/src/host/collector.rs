//! The host side of a running tree, as I/O: reads the tree's event socket (every init's
//! messages, output included), reaps the root init through its pidfd, counts zombies under
//! users' PID 1s, and feeds all of it to the rules (`rules.rs`), whose events go to an
//! [`Output`]. The host holds three descriptors for a tree of any size: the event socket, the
//! root init's pidfd, and where the events go.
//!
//! Order: everything an init sent is in the socket before its exit can be (see `wire::tree`),
//! and the root's own exit is taken in only once the socket is drained (every tree end closed).
use std::collections::HashMap;
use std::os::fd::{AsFd, OwnedFd};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};

use super::events::{Event, Names};
use super::output::Output;
use super::registry::Registry;
use super::rules::{Rules, Sink};
use super::spawn::SpawnedTree;
use super::zombies;
use crate::status::ExitStatus;
use crate::sys::pidfd;
use crate::sys::seqpacket::{recv_into, Datagram};
use crate::wire::tree::{TreeMessage, OUTPUT_HEADER};

/// How often zombies under a user's PID 1 are counted while such a namespace lives.
const ZOMBIE_SCAN: Duration = Duration::from_millis(200);

/// Room for the largest datagram an init sends (a read of a pipe and its header) and then some.
const DATAGRAM: usize = 2 * (64 * 1024 + OUTPUT_HEADER);

pub struct Collector<'a> {
    tree: SpawnedTree,
    rules: Rules,
    registry: Registry,
    out: &'a mut dyn Output,
    /// A descriptor whose hang-up means nobody reads our output any more (a dup of the CLI's
    /// stdout).
    watch: Option<OwnedFd>,
    listening: bool,
    /// An `error` came (the tree cannot run as declared), and whether the stop was sent.
    failed: bool,
    stop_sent: bool,
    root_status: Option<ExitStatus>,
    socket_closed: bool,
    zombies: HashMap<u32, Vec<i32>>,
    last_scan: Instant,
}

/// Passes events on and keeps the registry (signals, exec) up to date with starts and exits.
struct Tee<'b> {
    out: &'b mut dyn Output,
    registry: &'b Registry,
    /// An `error` came: the tree cannot run as declared.
    failed: &'b mut bool,
}

impl Sink for Tee<'_> {
    fn event(&mut self, names: &dyn Names, event: &Event<'_>) {
        match event {
            Event::Start { key, nspid, start_time, .. } => {
                self.registry.started(*key, names.process_name(*key), nspid.first().copied().unwrap_or(0), *start_time)
            }
            Event::Exit { key, .. } => self.registry.exited(*key),
            Event::Error { .. } => *self.failed = true,
            _ => {}
        }
        self.out.event(names, event);
    }
}

impl<'a> Collector<'a> {
    /// `registry` learns every process's identity as it starts; `watch`: see the field.
    pub fn new(
        tree: SpawnedTree,
        plan: &pidns_model::Plan,
        registry: Registry,
        out: &'a mut dyn Output,
        watch: Option<OwnedFd>,
    ) -> Self {
        Collector {
            tree,
            rules: Rules::new(plan),
            registry,
            out,
            watch,
            listening: true,
            failed: false,
            stop_sent: false,
            root_status: None,
            socket_closed: false,
            zombies: HashMap::new(),
            last_scan: Instant::now(),
        }
    }

    fn tee(&mut self) -> (&mut Rules, Tee<'_>) {
        (&mut self.rules, Tee { out: &mut *self.out, registry: &self.registry, failed: &mut self.failed })
    }

    /// Runs until the tree is gone; returns the tree's exit code (also sent as `end`).
    pub fn run(mut self) -> i32 {
        let root_start = self.tree.root_start.clone();
        {
            let (rules, mut sink) = self.tee();
            rules.message(root_start, &mut sink);
        }
        let mut buf = vec![0u8; DATAGRAM];
        while !(self.socket_closed && self.root_status.is_some()) {
            let ready = self.wait_ready();
            if ready.watch_gone {
                self.nobody_listens();
            }
            if ready.socket {
                self.drain_socket(&mut buf);
            }
            if ready.root {
                if let Ok(Some(status)) = pidfd::try_reap(self.tree.pidfd.as_fd()) {
                    self.root_status = Some(status);
                }
            }
            self.scan_zombies();
            if self.failed && !self.stop_sent {
                // A tree that cannot run as declared (a namespace could not start what it
                // declares, output could not be relayed, ...) is stopped, all of it, the
                // graceful way: nothing it started is left behind, and every exit is told.
                self.stop_sent = true;
                let _ = pidfd::send_signal(self.tree.pidfd.as_fd(), libc::SIGTERM);
            }
            if !self.out.flush() {
                self.nobody_listens();
            }
        }
        let status = self.root_status.unwrap_or(ExitStatus::killed(libc::SIGKILL));
        let (rules, mut sink) = self.tee();
        rules.root_exited(status, &mut sink);
        let code = rules.finish(&mut sink);
        self.out.flush();
        code
    }

    /// Nobody reads the events any more: end the tree rather than run it unobserved.
    fn nobody_listens(&mut self) {
        if self.listening {
            self.listening = false;
            let _ = pidfd::send_signal(self.tree.pidfd.as_fd(), libc::SIGKILL);
        }
    }

    fn wait_ready(&self) -> Ready {
        let mut pfds = Vec::with_capacity(3);
        let socket_at = (!self.socket_closed).then(|| {
            pfds.push(PollFd::new(self.tree.events.as_fd(), PollFlags::POLLIN));
            pfds.len() - 1
        });
        let root_at = self.root_status.is_none().then(|| {
            pfds.push(PollFd::new(self.tree.pidfd.as_fd(), PollFlags::POLLIN));
            pfds.len() - 1
        });
        // No events asked: a pipe's write end reports POLLERR once its reader has gone.
        let watch = self.watch.as_ref().filter(|_| self.listening).map(|fd| fd.as_fd());
        let watch_at = watch.map(|fd| {
            pfds.push(PollFd::new(fd, PollFlags::empty()));
            pfds.len() - 1
        });
        let timeout = if self.rules.running_user_inits().is_empty() {
            PollTimeout::NONE
        } else {
            PollTimeout::from(ZOMBIE_SCAN.saturating_sub(self.last_scan.elapsed()).as_millis() as u16)
        };
        while let Err(Errno::EINTR) = poll(&mut pfds, timeout) {}
        let flags = |at: Option<usize>| at.and_then(|i| pfds[i].revents()).unwrap_or(PollFlags::empty());
        Ready {
            socket: !flags(socket_at).is_empty(),
            root: !flags(root_at).is_empty(),
            watch_gone: flags(watch_at).intersects(PollFlags::POLLERR | PollFlags::POLLHUP),
        }
    }

    /// Everything the socket holds now (flushing the output as batches fill).
    fn drain_socket(&mut self, buf: &mut [u8]) {
        loop {
            let (len, truncated) = match recv_into(self.tree.events.as_fd(), buf) {
                Ok(Datagram::Message { len, truncated }) => (len, truncated),
                Ok(Datagram::WouldBlock) => return,
                Ok(Datagram::Closed) | Err(_) => {
                    self.socket_closed = true;
                    return;
                }
            };
            let (rules, mut sink) = self.tee();
            if truncated {
                rules.message(
                    TreeMessage::Error {
                        node: 0,
                        message:
                            "a message from the tree was cut short or came with descriptors (MSG_TRUNC/MSG_CTRUNC): \
                                  an event or output may be lost"
                                .into(),
                    },
                    &mut sink,
                );
                continue;
            }
            match TreeMessage::decode(&buf[..len]) {
                Ok(msg) => rules.message(msg, &mut sink),
                Err(e) => rules.message(
                    TreeMessage::Error { node: 0, message: format!("an unreadable message from the tree: {e}") },
                    &mut sink,
                ),
            }
        }
    }

    /// Counts the zombies under each running user PID 1 (at most every ZOMBIE_SCAN) and
    /// reports a namespace's when they change.
    fn scan_zombies(&mut self) {
        if self.last_scan.elapsed() < ZOMBIE_SCAN {
            return;
        }
        let running = self.rules.running_user_inits();
        if running.is_empty() {
            return;
        }
        self.last_scan = Instant::now();
        for (node, host_pid) in running {
            let now = zombies::zombie_children(host_pid);
            if self.zombies.get(&node).map_or(!now.is_empty(), |before| *before != now) {
                let (rules, mut sink) = self.tee();
                rules.zombies(node, &now, &mut sink);
                self.zombies.insert(node, now);
            }
        }
    }
}

struct Ready {
    socket: bool,
    root: bool,
    watch_gone: bool,
}
