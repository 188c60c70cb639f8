//! What an init sends to the host, in order, without ever blocking its loop on a slow host:
//! datagrams go out at once while the event socket has room and wait in a queue when it has not.
//! Output is only read from the pipes while the queue is short (`backlogged`), so a slow reader
//! holds the processes back on their pipes instead of filling the init's memory; lifecycle
//! messages (start, exit, ...) always queue, one per process at most.
use std::collections::VecDeque;
use std::os::fd::{AsFd, BorrowedFd};

use nix::errno::Errno;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};

use crate::sys::seqpacket;
use crate::wire::tree::{output_header, ProcKey, Stream, TreeMessage};

/// Queued bytes above which the init stops reading output until the host has caught up.
pub const HIGH_WATER: usize = 1 << 20;

#[derive(Default)]
pub struct Outbox {
    queue: VecDeque<Vec<u8>>,
    queued: usize,
    /// The host's end is gone (EPIPE, ECONNRESET): nothing can be sent any more.
    host_gone: bool,
}

impl Outbox {
    pub fn send(&mut self, sock: BorrowedFd<'_>, msg: &TreeMessage<'_>) {
        self.push(sock, msg.to_bytes());
    }

    /// Output of a process, as one datagram.
    pub fn output(&mut self, sock: BorrowedFd<'_>, key: ProcKey, stream: Stream, bytes: &[u8]) {
        let mut datagram = Vec::with_capacity(crate::wire::tree::OUTPUT_HEADER + bytes.len());
        output_header(&mut datagram, key, stream);
        datagram.extend_from_slice(bytes);
        self.push(sock, datagram);
    }

    fn push(&mut self, sock: BorrowedFd<'_>, datagram: Vec<u8>) {
        if self.host_gone {
            return;
        }
        if self.queue.is_empty() {
            match seqpacket::try_send(sock, &datagram) {
                Ok(true) => return,
                Ok(false) => {}
                Err(_) => {
                    self.host_gone = true;
                    return;
                }
            }
        }
        self.queued += datagram.len();
        self.queue.push_back(datagram);
    }

    /// Sends what the socket now has room for. Call when it polls writable.
    pub fn flush(&mut self, sock: BorrowedFd<'_>) {
        while let Some(front) = self.queue.front() {
            match seqpacket::try_send(sock, front) {
                Ok(true) => {
                    self.queued -= front.len();
                    self.queue.pop_front();
                }
                Ok(false) => return,
                Err(_) => {
                    self.host_gone = true;
                    self.queue.clear();
                    self.queued = 0;
                    return;
                }
            }
        }
    }

    /// Sends everything, waiting for room as long as it takes (before an init exits, and where
    /// order with another process matters: a child init may only speak after its `start`).
    pub fn flush_all(&mut self, sock: BorrowedFd<'_>) {
        while !self.queue.is_empty() && !self.host_gone {
            self.flush(sock);
            if self.queue.is_empty() {
                break;
            }
            let mut pfd = [PollFd::new(sock.as_fd(), PollFlags::POLLOUT)];
            match poll(&mut pfd, PollTimeout::NONE) {
                Ok(_) | Err(Errno::EINTR) => {}
                Err(_) => return,
            }
            if pfd[0].revents().is_some_and(|r| r.intersects(PollFlags::POLLHUP | PollFlags::POLLERR)) {
                self.host_gone = true;
                self.queue.clear();
                self.queued = 0;
            }
        }
    }

    /// Something waits to be sent: poll the socket for POLLOUT.
    pub fn pending(&self) -> bool {
        !self.queue.is_empty()
    }

    /// Too much waits: stop reading output until it has gone out.
    pub fn backlogged(&self) -> bool {
        self.queued >= HIGH_WATER
    }

    pub fn host_gone(&self) -> bool {
        self.host_gone
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::seqpacket::{recv_into, Datagram};

    #[test]
    fn queues_when_full_and_keeps_order() {
        let (host, tree) = seqpacket::pair().unwrap();
        let mut out = Outbox::default();
        let chunk = vec![b'x'; 60_000];
        let mut sent = 0;
        while !out.pending() {
            out.output(tree.as_fd(), ProcKey { node: 0, slot: 0 }, Stream::Stdout, &chunk);
            sent += 1;
        }
        out.send(
            tree.as_fd(),
            &TreeMessage::Exit { key: ProcKey { node: 0, slot: 0 }, status: crate::status::ExitStatus::exited(0) },
        );
        assert!(out.pending());
        let mut buf = vec![0u8; 128 * 1024];
        let mut got = Vec::new();
        loop {
            out.flush(tree.as_fd());
            match recv_into(host.as_fd(), &mut buf).unwrap() {
                Datagram::Message { .. } => got.push(buf[0]),
                Datagram::WouldBlock if !out.pending() => break,
                Datagram::WouldBlock => {}
                Datagram::Closed => unreachable!(),
            }
        }
        assert_eq!(got.len(), sent + 1);
        assert!(got[..sent].iter().all(|&t| t == b'O'));
        assert_eq!(*got.last().unwrap(), b'X');
    }
}
