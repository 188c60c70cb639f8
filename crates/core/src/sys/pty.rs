//! Pseudo-terminals: a new pair, its window size, a session's controlling terminal, and raw
//! mode for the caller's own terminal (an interactive `exec`, a process with `"tty": true`).
//!
//! The slave is opened from the master with TIOCGPTPEER, never by its path in /dev/pts: nothing
//! another user does there (a link, a race on the name) can hand us a terminal that is not ours.
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::sys::stat::Mode;
use nix::sys::termios::{self, LocalFlags, OutputFlags, SetArg, SpecialCharacterIndices, Termios};

/// Both ends of a new pseudo-terminal, close-on-exec, neither one anybody's controlling
/// terminal yet (O_NOCTTY).
pub struct Pty {
    pub master: OwnedFd,
    pub slave: OwnedFd,
}

/// A terminal's size in characters (and pixels, which some programs use for images).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WinSize {
    pub cols: u16,
    pub rows: u16,
    pub xpixel: u16,
    pub ypixel: u16,
}

impl WinSize {
    pub fn chars(cols: u16, rows: u16) -> WinSize {
        WinSize { cols, rows, xpixel: 0, ypixel: 0 }
    }
}

/// The size a terminal gets when nobody says: the VT100's.
pub const DEFAULT_SIZE: WinSize = WinSize { cols: 80, rows: 24, xpixel: 0, ypixel: 0 };

/// Opens a new pseudo-terminal pair of size `size`.
pub fn open(size: WinSize) -> Result<Pty, Errno> {
    let master = nix::fcntl::open("/dev/ptmx", OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_CLOEXEC, Mode::empty())?;
    let unlock: libc::c_int = 0;
    // SAFETY: TIOCSPTLCK reads one int from the pointer, which points at a live local.
    if unsafe { libc::ioctl(master.as_raw_fd(), libc::TIOCSPTLCK, &unlock) } == -1 {
        return Err(Errno::last());
    }
    let flags = libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC;
    // SAFETY: TIOCGPTPEER takes the open flags by value and returns a new descriptor.
    let slave = unsafe { libc::ioctl(master.as_raw_fd(), libc::TIOCGPTPEER, flags) };
    if slave == -1 {
        return Err(Errno::last());
    }
    // SAFETY: the ioctl just returned this descriptor; nobody else owns it.
    let slave = unsafe { OwnedFd::from_raw_fd(slave) };
    set_size(master.as_fd(), size)?;
    Ok(Pty { master, slave })
}

/// Sets the terminal's size; when it changes, the kernel sends SIGWINCH to the terminal's
/// foreground process group. Works on either end.
pub fn set_size(fd: BorrowedFd<'_>, size: WinSize) -> Result<(), Errno> {
    let ws = libc::winsize { ws_row: size.rows, ws_col: size.cols, ws_xpixel: size.xpixel, ws_ypixel: size.ypixel };
    // SAFETY: TIOCSWINSZ reads one winsize from the pointer, which points at a live local.
    if unsafe { libc::ioctl(fd.as_raw_fd(), libc::TIOCSWINSZ, &ws) } == -1 {
        return Err(Errno::last());
    }
    Ok(())
}

/// The terminal's size; ENOTTY when `fd` is not a terminal.
pub fn size(fd: BorrowedFd<'_>) -> Result<WinSize, Errno> {
    let mut ws = libc::winsize { ws_row: 0, ws_col: 0, ws_xpixel: 0, ws_ypixel: 0 };
    // SAFETY: TIOCGWINSZ writes one winsize to the pointer, which points at a live local.
    if unsafe { libc::ioctl(fd.as_raw_fd(), libc::TIOCGWINSZ, &mut ws) } == -1 {
        return Err(Errno::last());
    }
    Ok(WinSize { cols: ws.ws_col, rows: ws.ws_row, xpixel: ws.ws_xpixel, ypixel: ws.ws_ypixel })
}

/// Makes terminal `fd` the controlling terminal of the caller, which must lead a session that
/// has none (right after setsid). Async-signal-safe: it runs between fork and exec.
pub fn make_controlling(fd: RawFd) -> Result<(), Errno> {
    // SAFETY: TIOCSCTTY takes an int by value (0: do not steal it from another session).
    if unsafe { libc::ioctl(fd, libc::TIOCSCTTY, 0) } == -1 {
        return Err(Errno::last());
    }
    Ok(())
}

/// Output as the program writes it: no `\n` → `\r\n` (ONLCR), for a terminal whose output is
/// relayed as lines rather than shown on a screen.
pub fn output_as_written(fd: BorrowedFd<'_>) -> Result<(), Errno> {
    let mut t = termios::tcgetattr(fd)?;
    t.output_flags.remove(OutputFlags::ONLCR);
    termios::tcsetattr(fd, SetArg::TCSANOW, &t)
}

/// Puts the terminal `fd` in raw mode (cfmakeraw: no echo, no line editing, no signals from
/// keys, no output processing: every byte passes as it is) and returns its settings before, for
/// `restore`.
pub fn make_raw(fd: BorrowedFd<'_>) -> Result<Termios, Errno> {
    let saved = termios::tcgetattr(fd)?;
    let mut raw = saved.clone();
    termios::cfmakeraw(&mut raw);
    termios::tcsetattr(fd, SetArg::TCSAFLUSH, &raw)?;
    Ok(saved)
}

/// Gives the terminal back the settings `make_raw` returned, after what was written to it has
/// been sent (TCSADRAIN), so nothing is shown with the wrong settings.
pub fn restore(fd: BorrowedFd<'_>, saved: &Termios) -> Result<(), Errno> {
    termios::tcsetattr(fd, SetArg::TCSADRAIN, saved)
}

/// The character that types end-of-file (VEOF, ^D by default) when the terminal is in canonical
/// mode (line by line, as a shell's `read` or `cat` use it); None in raw mode, where no byte
/// means end-of-file. On a pty's master, termios calls act on the slave's settings.
pub fn eof_char(master: BorrowedFd<'_>) -> Option<u8> {
    let t = termios::tcgetattr(master).ok()?;
    if !t.local_flags.contains(LocalFlags::ICANON) {
        return None;
    }
    Some(t.control_chars[SpecialCharacterIndices::VEOF as usize])
}

#[cfg(test)]
mod tests {
    use std::io::IsTerminal;

    use super::*;

    #[test]
    fn a_new_pair_carries_bytes_and_its_size() {
        let pty = open(WinSize::chars(100, 40)).unwrap();
        assert!(pty.slave.is_terminal() && pty.master.is_terminal());
        assert_eq!(size(pty.slave.as_fd()).unwrap(), WinSize::chars(100, 40));
        set_size(pty.master.as_fd(), WinSize { cols: 120, rows: 50, xpixel: 7, ypixel: 9 }).unwrap();
        assert_eq!(size(pty.slave.as_fd()).unwrap(), WinSize { cols: 120, rows: 50, xpixel: 7, ypixel: 9 });
        // A terminal's defaults: ONLCR turns the newline into \r\n, until output_as_written.
        nix::unistd::write(&pty.slave, b"a\n").unwrap();
        let mut buf = [0u8; 16];
        let n = nix::unistd::read(&pty.master, &mut buf).unwrap();
        assert_eq!(&buf[..n], b"a\r\n");
        output_as_written(pty.slave.as_fd()).unwrap();
        nix::unistd::write(&pty.slave, b"b\n").unwrap();
        let n = nix::unistd::read(&pty.master, &mut buf).unwrap();
        assert_eq!(&buf[..n], b"b\n");
        assert_eq!(eof_char(pty.master.as_fd()), Some(4), "^D in canonical mode");
    }

    #[test]
    fn raw_mode_and_back() {
        let pty = open(DEFAULT_SIZE).unwrap();
        let before = termios::tcgetattr(pty.slave.as_fd()).unwrap();
        let saved = make_raw(pty.slave.as_fd()).unwrap();
        let raw = termios::tcgetattr(pty.slave.as_fd()).unwrap();
        assert!(!raw.local_flags.contains(LocalFlags::ICANON) && !raw.local_flags.contains(LocalFlags::ISIG));
        assert_eq!(eof_char(pty.master.as_fd()), None);
        restore(pty.slave.as_fd(), &saved).unwrap();
        let after = termios::tcgetattr(pty.slave.as_fd()).unwrap();
        assert_eq!(before, after);
    }

    #[test]
    fn a_pipe_is_not_a_terminal() {
        let (r, _w) = nix::unistd::pipe().unwrap();
        assert!(!r.is_terminal());
        assert_eq!(size(r.as_fd()), Err(Errno::ENOTTY));
    }
}
