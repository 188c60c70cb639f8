//! The output of an init's children, relayed to the host: each child's stdout and stderr are
//! pipes whose read ends this init holds (two descriptors per running child, in the init of its
//! own namespace, never in the host: the host's descriptor limit does not bound a tree). A child
//! with a terminal (`"tty": true`) has one stream instead: the terminal's master, relayed as its
//! stdout. What a
//! pipe gives is sent as it comes, in one datagram per read, so nothing is held back: an init
//! that is killed loses at most what its children wrote in that instant and it had not read.
use std::collections::{HashMap, HashSet};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};

use nix::errno::Errno;
use nix::sys::epoll::{Epoll, EpollCreateFlags, EpollEvent, EpollFlags, EpollTimeout};

use super::outbox::Outbox;
use crate::wire::tree::{ProcKey, Stream};

/// The most one read takes from one pipe (the pipe's default capacity).
const CHUNK: usize = 64 * 1024;
/// Pipes served per `pump`: the loop gets back to signals and reaping in between.
const PIPES_PER_PUMP: usize = 64;

struct Pipe {
    fd: OwnedFd,
    key: ProcKey,
    stream: Stream,
    /// A terminal's master (`"tty": true`), not a pipe.
    terminal: bool,
}

pub struct Relay {
    /// The pipes, level-triggered; the init's main loop waits on this epoll's own descriptor.
    epoll: Epoll,
    pipes: HashMap<RawFd, Pipe>,
    open: HashMap<ProcKey, u8>,
    /// Terminal masters whose output has ended, kept open until their process has exited
    /// (`exited`): closing a master hangs its terminal up, and a process that closes its
    /// terminal while it exits (coreutils do) would be killed by that SIGHUP.
    held: HashMap<ProcKey, OwnedFd>,
    /// Processes whose terminal is still relayed, and those of them that have exited already
    /// (their master is closed at its EOF).
    terminals: HashSet<ProcKey>,
    exited: HashSet<ProcKey>,
    buf: Vec<u8>,
}

impl Relay {
    pub fn new() -> Result<Relay, Errno> {
        Ok(Relay {
            epoll: Epoll::new(EpollCreateFlags::EPOLL_CLOEXEC)?,
            pipes: HashMap::new(),
            open: HashMap::new(),
            held: HashMap::new(),
            terminals: HashSet::new(),
            exited: HashSet::new(),
            buf: vec![0; CHUNK],
        })
    }

    /// Readable when some pipe is.
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.epoll.0.as_fd()
    }

    /// Relays `key`'s stdout and stderr from these read ends on.
    pub fn add(&mut self, key: ProcKey, stdout: OwnedFd, stderr: OwnedFd) -> Result<(), Errno> {
        let watch =
            |fd: &OwnedFd| self.epoll.add(fd.as_fd(), EpollEvent::new(EpollFlags::EPOLLIN, fd.as_raw_fd() as u64));
        watch(&stdout)?;
        if let Err(e) = watch(&stderr) {
            let _ = self.epoll.delete(stdout.as_fd());
            return Err(e);
        }
        for (fd, stream) in [(stdout, Stream::Stdout), (stderr, Stream::Stderr)] {
            self.pipes.insert(fd.as_raw_fd(), Pipe { fd, key, stream, terminal: false });
        }
        self.open.insert(key, 2);
        Ok(())
    }

    /// Relays the master of `key`'s terminal (`"tty": true`) as its stdout: one stream, which
    /// ends when the master reads EIO (every holder of the terminal closed it).
    pub fn add_terminal(&mut self, key: ProcKey, master: OwnedFd) -> Result<(), Errno> {
        self.epoll.add(master.as_fd(), EpollEvent::new(EpollFlags::EPOLLIN, master.as_raw_fd() as u64))?;
        self.pipes.insert(master.as_raw_fd(), Pipe { fd: master, key, stream: Stream::Stdout, terminal: true });
        self.open.insert(key, 1);
        self.terminals.insert(key);
        Ok(())
    }

    /// `key` has exited: the master of its terminal, if it had one, is closed once its output
    /// has ended (now, if it has).
    pub fn exited(&mut self, key: ProcKey) {
        if self.held.remove(&key).is_none() && self.terminals.contains(&key) {
            self.exited.insert(key);
        }
    }

    /// How many of `key`'s streams are still open (0 when it never had any).
    pub fn open_streams(&self, key: ProcKey) -> u8 {
        self.open.get(&key).copied().unwrap_or(0)
    }

    /// Reads one chunk from each ready pipe (a bounded number of them) and queues it for the
    /// host; returns the processes whose last stream just reached EOF.
    pub fn pump(&mut self, outbox: &mut Outbox, sock: BorrowedFd<'_>) -> Vec<ProcKey> {
        let mut ready = [EpollEvent::empty(); PIPES_PER_PUMP];
        let n = match self.epoll.wait(&mut ready, EpollTimeout::ZERO) {
            Ok(n) => n,
            Err(_) => return Vec::new(),
        };
        let mut closed = Vec::new();
        for event in &ready[..n] {
            let raw = event.data() as RawFd;
            let Some(pipe) = self.pipes.get(&raw) else { continue };
            let got = loop {
                match nix::unistd::read(&pipe.fd, &mut self.buf) {
                    Err(Errno::EINTR) => continue,
                    r => break r,
                }
            };
            match got {
                Ok(0) | Err(_) => {
                    // EOF: every writer is gone (or the pipe broke, which ends it the same way;
                    // a terminal's master reads EIO once nobody holds the terminal any more).
                    let pipe = self.pipes.remove(&raw).expect("present");
                    let _ = self.epoll.delete(pipe.fd.as_fd());
                    let left = self.open.get_mut(&pipe.key).map(|n| {
                        *n -= 1;
                        *n
                    });
                    if left == Some(0) {
                        self.open.remove(&pipe.key);
                        closed.push(pipe.key);
                    }
                    if pipe.terminal {
                        self.terminals.remove(&pipe.key);
                        if !self.exited.remove(&pipe.key) {
                            self.held.insert(pipe.key, pipe.fd);
                        }
                    }
                }
                Ok(len) => outbox.output(sock, pipe.key, pipe.stream, &self.buf[..len]),
            }
        }
        closed
    }
}
