//! Terminals for JavaScript: the pty of an interactive exec (`pidns_core::host::terminal`: its
//! slave goes to the command, its master is relayed to a socket JavaScript reads and writes),
//! and raw mode for the CLI's own terminal while it relays one.
use std::io::IsTerminal;
use std::os::fd::{AsFd, IntoRawFd, OwnedFd};
use std::sync::Mutex;

use napi_derive::napi;
use nix::sys::termios::Termios;
use pidns_core::error_code::ErrorCode;
use pidns_core::host::terminal::Terminal;
use pidns_core::sys::fd;
use pidns_core::sys::pty::{self, WinSize};

use crate::coded::{Error, Result};

fn failure(what: &str, e: nix::errno::Errno) -> Error {
    Error::new(ErrorCode::SyscallFailed, format!("{what}: {}", e.desc()))
}

fn size(cols: u32, rows: u32) -> Result<WinSize> {
    let dim = |n: u32, what: &str| {
        u16::try_from(n)
            .ok()
            .filter(|&n| n > 0)
            .ok_or_else(|| Error::new(ErrorCode::BadArgument, format!("{what} must be from 1 to 65535, not {n}")))
    };
    Ok(WinSize::chars(dim(cols, "cols")?, dim(rows, "rows")?))
}

/// A new pseudo-terminal for one exec, with its relay running.
#[napi]
pub struct NativeTerminal {
    inner: Terminal,
    socket: Mutex<Option<OwnedFd>>,
}

impl NativeTerminal {
    /// The slave, once, for the exec that uses this terminal.
    pub fn take_slave(&self) -> Option<OwnedFd> {
        self.inner.take_slave()
    }
}

/// Opens a terminal of `cols` x `rows` characters.
#[napi]
pub fn open_terminal(cols: u32, rows: u32) -> Result<NativeTerminal> {
    let (inner, socket) = Terminal::open(size(cols, rows)?).map_err(|e| failure("cannot open a terminal", e))?;
    Ok(NativeTerminal { inner, socket: Mutex::new(Some(socket)) })
}

#[napi]
impl NativeTerminal {
    /// The caller's end of the relay, once: a stream socket (what is written is typed, what is
    /// read was output); JavaScript owns it. Closing it hangs the terminal up.
    #[napi]
    pub fn take_socket(&self) -> Result<i32> {
        let socket = self.socket.lock().unwrap_or_else(|e| e.into_inner()).take();
        socket
            .map(IntoRawFd::into_raw_fd)
            .ok_or_else(|| Error::new(ErrorCode::BadArgument, "the terminal's socket was taken already".to_string()))
    }

    /// Sets the window size; the kernel sends SIGWINCH inside when it changes. False once the
    /// terminal's relay has ended.
    #[napi]
    pub fn resize(&self, cols: u32, rows: u32) -> Result<bool> {
        self.inner.resize(size(cols, rows)?).map_err(|e| failure("cannot resize the terminal", e))
    }

    /// Gives it the size of terminal `fd` (the CLI's own, on SIGWINCH), pixels included.
    /// False when `fd` is not a terminal or the relay has ended.
    #[napi]
    pub fn resize_from(&self, fd: i32) -> Result<bool> {
        let own = fd::dup_raw(fd, 3).map_err(|e| failure("resize from", e))?;
        match pty::size(own.as_fd()) {
            Ok(size) if size.cols > 0 && size.rows > 0 => {
                self.inner.resize(size).map_err(|e| failure("cannot resize the terminal", e))
            }
            _ => Ok(false),
        }
    }

    /// The command has exited: the socket ends once what it wrote has been relayed.
    #[napi]
    pub fn finish(&self) {
        self.inner.finish();
    }
}

/// The size of terminal `fd` as [cols, rows], or null when it is not a terminal (or says 0x0).
#[napi]
pub fn terminal_size(fd: i32) -> Option<Vec<u32>> {
    let own = fd::dup_raw(fd, 3).ok()?;
    let size = pty::size(own.as_fd()).ok().filter(|s| s.cols > 0 && s.rows > 0)?;
    Some(vec![size.cols as u32, size.rows as u32])
}

/// A terminal of the CLI's (its stdin) in raw mode: every key, Ctrl-C included, is a byte
/// for the terminal inside. `restore` gives back the exact settings it had.
#[napi]
pub struct RawTerminal {
    fd: OwnedFd,
    saved: Termios,
}

/// Puts terminal `fd` in raw mode; null when it is not a terminal.
#[napi]
pub fn make_raw(fd: i32) -> Result<Option<RawTerminal>> {
    let own = fd::dup_raw(fd, 3).map_err(|e| failure("raw mode", e))?;
    if !own.is_terminal() {
        return Ok(None);
    }
    let saved = pty::make_raw(own.as_fd()).map_err(|e| failure("cannot put the terminal in raw mode", e))?;
    Ok(Some(RawTerminal { fd: own, saved }))
}

#[napi]
impl RawTerminal {
    /// Back to the settings it had before raw mode.
    #[napi]
    pub fn restore(&self) -> Result<()> {
        pty::restore(self.fd.as_fd(), &self.saved).map_err(|e| failure("cannot restore the terminal", e))
    }

    /// Raw mode again (after SIGCONT: whoever stopped us may have changed it).
    #[napi]
    pub fn reapply(&self) -> Result<()> {
        pty::make_raw(self.fd.as_fd()).map(drop).map_err(|e| failure("cannot put the terminal in raw mode", e))
    }
}
