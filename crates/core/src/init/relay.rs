//! The output of an init's children, relayed to the host: each child's stdout and stderr are
//! pipes whose read ends this init holds (two descriptors per running child, in the init of its
//! own namespace, never in the host: the host's descriptor limit does not bound a tree). A child
//! with a terminal (`"tty": true`) has one stream instead: the terminal's master, relayed as its
//! stdout. What a
//! pipe gives is sent as it comes, in one datagram per read, so nothing is held back: an init
//! that is killed loses at most what its children wrote in that instant and it had not read.
use std::collections::HashMap;
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
    terminals: Terminals,
    buf: Vec<u8>,
}

/// The terminals of `"tty": true` processes, each in one state. A master whose output has
/// ended is kept open until its process has exited: closing a master hangs its terminal up,
/// and a process that closes its terminal while it exits (coreutils do) would be killed by
/// that SIGHUP.
#[derive(Default)]
struct Terminals(HashMap<ProcKey, Terminal>);

enum Terminal {
    /// Its output is still relayed (the master is among the pipes); its process may have
    /// exited already, and then the master is closed at its EOF.
    Relaying { exited: bool },
    /// Its output has ended, its process has not exited yet: the master, held open (only
    /// for the close its drop makes).
    Held { _master: OwnedFd },
}

impl Terminals {
    fn relaying(&mut self, key: ProcKey) {
        self.0.insert(key, Terminal::Relaying { exited: false });
    }

    /// `key`'s process has exited: its held master is closed now, or at its EOF.
    fn exited(&mut self, key: ProcKey) {
        match self.0.get_mut(&key) {
            Some(Terminal::Relaying { exited }) => *exited = true,
            Some(Terminal::Held { .. }) => drop(self.0.remove(&key)),
            None => {}
        }
    }

    /// `key`'s output ended at EOF on `master`: held until its process has exited (closed
    /// now if it has).
    fn output_ended(&mut self, key: ProcKey, master: OwnedFd) {
        if let Some(Terminal::Relaying { exited: false }) = self.0.remove(&key) {
            self.0.insert(key, Terminal::Held { _master: master });
        }
    }
}

impl Relay {
    pub fn new() -> Result<Relay, Errno> {
        Ok(Relay {
            epoll: Epoll::new(EpollCreateFlags::EPOLL_CLOEXEC)?,
            pipes: HashMap::new(),
            open: HashMap::new(),
            terminals: Terminals::default(),
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
        self.terminals.relaying(key);
        Ok(())
    }

    /// `key` has exited: the master of its terminal, if it had one, is closed once its output
    /// has ended (now, if it has).
    pub fn exited(&mut self, key: ProcKey) {
        self.terminals.exited(key);
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
                        self.terminals.output_ended(pipe.key, pipe.fd);
                    }
                }
                Ok(len) => outbox.output(sock, pipe.key, pipe.stream, &self.buf[..len]),
            }
        }
        closed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether the read end of the pipe `master` stands for is still open: writing to it
    /// fails with EPIPE once it is closed (Rust ignores SIGPIPE).
    fn open(writer: &OwnedFd) -> bool {
        nix::unistd::write(writer, b"x") != Err(Errno::EPIPE)
    }

    /// Each terminal's master (a pipe's read end stands for it) is closed once both its
    /// output has ended and its process has exited, in either order, and not before.
    #[test]
    fn a_master_is_closed_once_its_output_has_ended_and_its_process_exited() {
        let key = |slot| ProcKey { node: 0, slot };
        let mut terminals = Terminals::default();
        let (r1, w1) = nix::unistd::pipe().unwrap();
        let (r2, w2) = nix::unistd::pipe().unwrap();
        terminals.relaying(key(1));
        terminals.relaying(key(2));
        // 1: output first, then the exit.
        terminals.output_ended(key(1), r1);
        assert!(open(&w1), "held while its process runs");
        terminals.exited(key(1));
        assert!(!open(&w1));
        // 2: the exit first, then the output's end.
        terminals.exited(key(2));
        terminals.output_ended(key(2), r2);
        assert!(!open(&w2));
        assert!(terminals.0.is_empty());
        // A process without a terminal exits: nothing to do.
        terminals.exited(key(3));
        assert!(terminals.0.is_empty());
    }
}
