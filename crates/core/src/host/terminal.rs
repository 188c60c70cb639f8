//! The caller's side of an interactive exec (`tty`): a new pseudo-terminal made here, on the
//! host, whose slave travels to the init with the existing SCM_RIGHTS path as the process's
//! stdin, stdout and stderr, and whose master stays here. A thread relays the master to one
//! end of a socketpair, both ways; the other end is the caller's duplex stream (a Node socket).
//!
//! Why the pty is made on the caller's side, not by the init: the request path and the init
//! stay as they are (a terminal is three descriptors like any other); the window size is an
//! ioctl on the master right here, with no message to carry through the supervisor and the init
//! (the kernel signals SIGWINCH inside); the init relays no keystrokes; and the master never
//! enters the tree, so nothing inside can read what the user types into another session.
//!
//! The output ends when the master reads EIO, once every holder of the slave has closed it (the
//! kernel hands over all that was written first), or, after `finish` (the command has exited),
//! once the master has nothing more to read now: a process that left the session (a daemon) may
//! hold the terminal forever. Then the caller's stream ends. The master is closed once the
//! command has exited, which hangs the terminal up for whoever still holds it; input that still
//! comes is dropped until the caller closes its end. When the caller closes its stream while
//! the output goes on, the master is closed at once: the session gets SIGHUP, as when a terminal
//! window is closed. When the caller ends its input, the end-of-file character (^D) is typed if
//! the terminal is in canonical mode, as `script` does, so `cat` and `read` see the end.
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::sync::{Arc, Mutex, Weak};

use nix::errno::Errno;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::eventfd::{EfdFlags, EventFd};
use nix::sys::socket::{shutdown, socketpair, AddressFamily, Shutdown, SockFlag, SockType};

use crate::sys::fd;
use crate::sys::pty::{self, WinSize};

/// The most one read moves at once.
const CHUNK: usize = 64 * 1024;

pub struct Terminal {
    /// The master while the relay runs (it owns it): for the window size.
    master: Weak<OwnedFd>,
    /// The slave until it is sent to the process.
    slave: Mutex<Option<OwnedFd>>,
    /// Written once by `finish`, while the relay runs (it owns it: no descriptor outlives it).
    finish: Weak<EventFd>,
    relay: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl Terminal {
    /// A new terminal of `size` with its relay running; returns it and the caller's end of the
    /// stream (a stream socket: bytes written are typed, bytes read were output).
    pub fn open(size: WinSize) -> Result<(Terminal, OwnedFd), Errno> {
        let pty = pty::open(size)?;
        let (caller, ours) =
            socketpair(AddressFamily::Unix, SockType::Stream, None, SockFlag::SOCK_CLOEXEC | SockFlag::SOCK_NONBLOCK)?;
        fd::set_nonblocking(pty.master.as_fd())?;
        let finish = Arc::new(EventFd::from_value_and_flags(0, EfdFlags::EFD_CLOEXEC | EfdFlags::EFD_NONBLOCK)?);
        let master = Arc::new(pty.master);
        let weak = (Arc::downgrade(&master), Arc::downgrade(&finish));
        let relay = std::thread::Builder::new()
            .name("pidns-terminal".into())
            .spawn(move || Relay::new(master, ours, finish).run())
            .map_err(|e| Errno::from_raw(e.raw_os_error().unwrap_or(libc::EAGAIN)))?;
        let terminal = Terminal {
            master: weak.0,
            slave: Mutex::new(Some(pty.slave)),
            finish: weak.1,
            relay: Mutex::new(Some(relay)),
        };
        Ok((terminal, caller))
    }

    /// The slave, once: it goes to the process (and is closed here once sent).
    pub fn take_slave(&self) -> Option<OwnedFd> {
        self.slave.lock().unwrap_or_else(|e| e.into_inner()).take()
    }

    /// Sets the window size (the kernel sends SIGWINCH to the terminal's foreground job when
    /// it changes). Ok(false) once the relay has ended.
    pub fn resize(&self, size: WinSize) -> Result<bool, Errno> {
        match self.master.upgrade() {
            Some(master) => pty::set_size(master.as_fd(), size).map(|()| true),
            None => Ok(false),
        }
    }

    /// Waits until the relay has ended: once the command's exit is known (`finish`) and the
    /// caller has closed its end or ended its input. It holds nothing any more then.
    pub fn join(&self) {
        let relay = self.relay.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(relay) = relay {
            let _ = relay.join();
        }
    }

    /// The command has exited: relay what it wrote, then end the stream even if the terminal
    /// is still held (by a process that left the session).
    pub fn finish(&self) {
        if let Some(finish) = self.finish.upgrade() {
            let _ = finish.write(1);
        }
    }
}

/// The relay thread's state: one buffer per direction, each filled only when empty, so memory
/// stays bounded and a side that does not read holds the other one back (never the reverse).
struct Relay {
    /// None once the command has exited and the output has ended (then it is closed).
    master: Option<Arc<OwnedFd>>,
    sock: OwnedFd,
    finish: Arc<EventFd>,
    /// Typed by the caller, not yet written to the master.
    input: Vec<u8>,
    /// Read from the master, not yet written to the caller.
    output: Vec<u8>,
    input_open: bool,
    output_ended: bool,
    finishing: bool,
    buf: Vec<u8>,
}

enum Step {
    Go,
    /// The caller closed its stream, or it broke.
    CallerGone,
}

impl Relay {
    fn new(master: Arc<OwnedFd>, sock: OwnedFd, finish: Arc<EventFd>) -> Relay {
        Relay {
            master: Some(master),
            sock,
            finish,
            input: Vec::new(),
            output: Vec::new(),
            input_open: true,
            output_ended: false,
            finishing: false,
            buf: vec![0; CHUNK],
        }
    }

    fn run(mut self) {
        while !(self.output_ended && self.output.is_empty()) {
            if let Step::CallerGone = self.step() {
                // The caller left while the terminal was in use: dropping the master hangs it
                // up, and the session gets SIGHUP, as when a terminal window is closed.
                return;
            }
        }
        // Everything is out: the caller's stream ends.
        let _ = shutdown(self.sock.as_raw_fd(), Shutdown::Write);
        // The master stays open until the command has exited (`finish`), even if the caller
        // closes its end meanwhile: the output ends (EIO) as soon as nobody holds the terminal,
        // which a program does while it exits (coreutils close stdin, stdout and stderr before
        // exit), and a hang-up then would kill it with SIGHUP. What the caller still types is
        // read and dropped, as a hung-up terminal does: a write a moment too late is no error.
        if self.finishing {
            self.master = None;
        }
        let mut sock_open = true;
        let mut buf = [0u8; 4096];
        while !self.finishing || sock_open {
            let mut fds = Vec::with_capacity(2);
            if !self.finishing {
                fds.push(PollFd::new(self.finish.as_fd(), PollFlags::POLLIN));
            }
            if sock_open {
                fds.push(PollFd::new(self.sock.as_fd(), PollFlags::POLLIN));
            }
            match poll(&mut fds, PollTimeout::NONE) {
                Ok(_) | Err(Errno::EINTR) => {}
                Err(_) => return,
            }
            let revents: Vec<PollFlags> = fds.iter().map(|p| p.revents().unwrap_or(PollFlags::empty())).collect();
            drop(fds);
            let (f, s) = match (self.finishing, revents.as_slice()) {
                (false, [f, s]) => (*f, *s),
                (false, [f]) => (*f, PollFlags::empty()),
                (true, [s]) => (PollFlags::empty(), *s),
                _ => (PollFlags::empty(), PollFlags::empty()),
            };
            if f.contains(PollFlags::POLLIN) {
                let _ = self.finish.read();
                // The command has exited: the hang-up reaches only what left its session.
                self.finishing = true;
                self.master = None;
            }
            if !s.is_empty() {
                match nix::unistd::read(&self.sock, &mut buf) {
                    Ok(0) => sock_open = false,
                    Ok(_) | Err(Errno::EAGAIN | Errno::EINTR) => {}
                    Err(_) => sock_open = false,
                }
            }
        }
    }

    fn step(&mut self) -> Step {
        let Some(master) = self.master.clone() else { return Step::CallerGone };
        let mut master_events = PollFlags::empty();
        if self.output.is_empty() && !self.output_ended {
            master_events |= PollFlags::POLLIN;
        }
        if !self.input.is_empty() {
            master_events |= PollFlags::POLLOUT;
        }
        let mut sock_events = PollFlags::empty();
        if self.input_open && self.input.is_empty() {
            sock_events |= PollFlags::POLLIN;
        }
        if !self.output.is_empty() {
            sock_events |= PollFlags::POLLOUT;
        }
        // The caller's end is always watched (its hang-up ends everything); the master only
        // when there is something to do with it, since a hung-up master polls POLLHUP forever
        // and would spin us while the caller is slow to read.
        let mut fds = vec![PollFd::new(self.sock.as_fd(), sock_events)];
        if !self.finishing {
            fds.push(PollFd::new(self.finish.as_fd(), PollFlags::POLLIN));
        }
        if !master_events.is_empty() {
            fds.push(PollFd::new(master.as_fd(), master_events));
        }
        // While finishing, the master is read until it has nothing now: no waiting on it.
        let wait = if self.finishing && self.output.is_empty() { PollTimeout::ZERO } else { PollTimeout::NONE };
        match poll(&mut fds, wait) {
            Ok(_) | Err(Errno::EINTR) => {}
            Err(_) => return Step::CallerGone,
        }
        let revents = |i: usize| fds.get(i).and_then(PollFd::revents).unwrap_or(PollFlags::empty());
        let s = revents(0);
        let f = if self.finishing { PollFlags::empty() } else { revents(1) };
        let m = if master_events.is_empty() { PollFlags::empty() } else { revents(fds.len() - 1) };
        drop(fds);
        if s.intersects(PollFlags::POLLHUP | PollFlags::POLLERR | PollFlags::POLLNVAL) {
            return Step::CallerGone;
        }
        if f.contains(PollFlags::POLLIN) {
            let _ = self.finish.read();
            self.finishing = true;
        }
        if !self.output.is_empty() && s.contains(PollFlags::POLLOUT) {
            match nix::unistd::write(&self.sock, &self.output) {
                Ok(n) => drop(self.output.drain(..n)),
                Err(Errno::EAGAIN | Errno::EINTR) => {}
                Err(_) => return Step::CallerGone,
            }
        }
        if self.output.is_empty()
            && !self.output_ended
            && (self.finishing || m.intersects(PollFlags::POLLIN | PollFlags::POLLHUP | PollFlags::POLLERR))
        {
            self.read_output(master.as_fd());
        }
        if s.contains(PollFlags::POLLIN) && self.input_open && self.input.is_empty() {
            match nix::unistd::read(&self.sock, &mut self.buf) {
                Ok(0) => {
                    self.input_open = false;
                    if let Some(eof) = pty::eof_char(master.as_fd()) {
                        self.input.push(eof);
                    }
                }
                Ok(n) => self.input.extend_from_slice(&self.buf[..n]),
                Err(Errno::EAGAIN | Errno::EINTR) => {}
                Err(_) => return Step::CallerGone,
            }
        }
        if !self.input.is_empty() {
            // Non-blocking: a terminal whose input is full (nobody reads it) takes the rest
            // when the master polls writable.
            match nix::unistd::write(master.as_fd(), &self.input) {
                Ok(n) => drop(self.input.drain(..n)),
                Err(Errno::EAGAIN | Errno::EINTR) => {}
                // Nobody holds the terminal: what is typed goes nowhere.
                Err(_) => self.input.clear(),
            }
        }
        Step::Go
    }

    fn read_output(&mut self, master: BorrowedFd<'_>) {
        match nix::unistd::read(master, &mut self.buf) {
            Ok(0) => self.output_ended = true,
            Ok(n) => self.output.extend_from_slice(&self.buf[..n]),
            Err(Errno::EINTR) => {}
            // Nothing now; after `finish` that is the end of what the command wrote.
            Err(Errno::EAGAIN) => self.output_ended = self.finishing,
            // EIO: nobody holds the slave any more and all it got was read.
            Err(_) => self.output_ended = true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::os::unix::net::UnixStream;
    use std::os::unix::process::CommandExt;

    /// `sh` on the slave as a session leader, driven through the caller's stream, as the init
    /// would start it.
    fn shell(terminal: &Terminal, script: &str) -> std::process::Child {
        let slave = terminal.take_slave().unwrap();
        let mut cmd = std::process::Command::new("sh");
        cmd.args(["-c", script]).stdin(slave.try_clone().unwrap()).stdout(slave.try_clone().unwrap()).stderr(slave);
        // SAFETY: setsid and the ioctl are async-signal-safe, as pre_exec requires.
        unsafe {
            cmd.pre_exec(|| {
                nix::unistd::setsid()?;
                pty::make_controlling(0)?;
                Ok(())
            })
        };
        cmd.spawn().unwrap()
    }

    fn blocking(fd: OwnedFd) -> UnixStream {
        let s = UnixStream::from(fd);
        s.set_nonblocking(false).unwrap();
        s
    }

    /// Reads from the caller's side into `seen` until it holds `what`; the stream ending first
    /// fails the test rather than looping forever.
    fn read_until(caller: &mut UnixStream, seen: &mut Vec<u8>, what: &str) {
        while !String::from_utf8_lossy(seen).contains(what) {
            let mut buf = [0u8; 256];
            let n = caller.read(&mut buf).unwrap();
            assert!(n > 0, "ended before {what:?}: {:?}", String::from_utf8_lossy(seen));
            seen.extend_from_slice(&buf[..n]);
        }
    }

    #[test]
    fn relays_both_ways_passes_the_size_and_ends_with_the_output() {
        let (terminal, caller) = Terminal::open(WinSize::chars(91, 33)).unwrap();
        let mut caller = blocking(caller);
        let mut child = shell(&terminal, "stty size; read line; echo \"got $line\"; stty size; exit 7");
        let mut seen = Vec::new();
        read_until(&mut caller, &mut seen, "33 91\r\n");
        assert!(terminal.resize(WinSize::chars(120, 40)).unwrap());
        caller.write_all(b"hello\r").unwrap();
        read_until(&mut caller, &mut seen, "got hello\r\n40 120\r\n");
        assert_eq!(child.wait().unwrap().code(), Some(7));
        // EIO on the master (nobody holds the slave): the stream ends after the last byte.
        let mut rest = Vec::new();
        caller.read_to_end(&mut rest).unwrap();
        assert!(rest.is_empty(), "{rest:?}");
        // The terminal stays until the command's exit is known (`finish`).
        assert_eq!(terminal.resize(WinSize::chars(100, 30)), Ok(true));
        terminal.finish();
    }

    /// A program that closes its terminal before it exits (coreutils' cat does, at exit) is not
    /// hung up: the output has ended, but the master stays until the command has exited.
    #[test]
    fn closing_the_terminal_before_the_exit_is_no_hang_up() {
        let (terminal, caller) = Terminal::open(pty::DEFAULT_SIZE).unwrap();
        let mut caller = blocking(caller);
        // Some work after the terminal is closed: SIGHUP would come well before its end.
        let script = "echo bye; exec 0<&- 1>&- 2>&-; i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; exit 4";
        let mut child = shell(&terminal, script);
        let mut out = String::new();
        caller.read_to_string(&mut out).unwrap();
        assert_eq!(out, "bye\r\n");
        assert_eq!(child.wait().unwrap().code(), Some(4), "not killed by SIGHUP");
        terminal.finish();
    }

    #[test]
    fn the_end_of_input_is_typed_as_eof() {
        let (terminal, caller) = Terminal::open(pty::DEFAULT_SIZE).unwrap();
        let mut caller = blocking(caller);
        let mut child = shell(&terminal, "stty -echo; echo ready; cat; echo \"cat ended\"");
        read_until(&mut caller, &mut Vec::new(), "ready\r\n");
        caller.write_all(b"abc\n").unwrap();
        caller.shutdown(std::net::Shutdown::Write).unwrap();
        let mut rest = Vec::new();
        caller.read_to_end(&mut rest).unwrap();
        assert_eq!(String::from_utf8_lossy(&rest), "abc\r\ncat ended\r\n");
        assert!(child.wait().unwrap().success());
    }

    #[test]
    fn finish_ends_the_stream_while_a_process_still_holds_the_terminal() {
        let (terminal, caller) = Terminal::open(pty::DEFAULT_SIZE).unwrap();
        let mut caller = blocking(caller);
        // The background sleep keeps the terminal open after the shell exits.
        let mut child = shell(&terminal, "(trap '' HUP; exec sleep 100) & echo $!; echo bye");
        assert!(child.wait().unwrap().success());
        terminal.finish();
        let mut out = String::new();
        caller.read_to_string(&mut out).unwrap();
        let (pid, rest) = out.split_once("\r\n").unwrap();
        assert_eq!(rest, "bye\r\n", "all it wrote, then the end");
        let pid: i32 = pid.parse().unwrap();
        let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGKILL);
    }

    /// Once the exit is known and the caller is done, the relay closes everything it holds:
    /// the master (a process still holding the terminal is hung up) and its socket.
    #[test]
    fn the_relay_ends_and_closes_all_it_held() {
        let (terminal, caller) = Terminal::open(pty::DEFAULT_SIZE).unwrap();
        let mut caller = blocking(caller);
        // As a process that left the session would, we hold the terminal.
        let held = terminal.take_slave().unwrap();
        terminal.finish();
        let mut rest = Vec::new();
        caller.read_to_end(&mut rest).unwrap();
        assert!(rest.is_empty());
        // The master is closed: a read of the held terminal, which would wait for input,
        // returns at once (a hung-up terminal reads end-of-file).
        let mut buf = [0u8; 8];
        assert!(matches!(nix::unistd::read(&held, &mut buf), Ok(0) | Err(Errno::EIO)));
        // Done here too: the relay's thread ends, and all it held is closed.
        caller.shutdown(std::net::Shutdown::Write).unwrap();
        terminal.join();
        assert_eq!(terminal.resize(WinSize::chars(1, 1)), Ok(false), "the master is closed");
        assert!(terminal.finish.upgrade().is_none(), "the eventfd is closed");
    }

    #[test]
    fn closing_the_stream_hangs_the_terminal_up() {
        let (terminal, caller) = Terminal::open(pty::DEFAULT_SIZE).unwrap();
        let mut caller = blocking(caller);
        let mut child = shell(&terminal, "echo ready; exec sleep 100");
        read_until(&mut caller, &mut Vec::new(), "ready\r\n");
        drop(caller);
        // The session leader gets SIGHUP from the hang-up.
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(child.wait().unwrap().signal(), Some(libc::SIGHUP));
    }
}
