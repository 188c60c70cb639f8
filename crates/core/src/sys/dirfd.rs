//! Files and directories reached through a directory descriptor, one name at a time, never
//! through a symbolic link: what was checked (owner, mode, type) is what is then used, even if
//! someone renames or replaces the path in between. The state of detached trees lives on this.
use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{openat, renameat, OFlag};
use nix::sys::stat::{fchmod, fstat, fstatat, mkdirat, FileStat, Mode, SFlag};
use nix::unistd::{unlinkat, UnlinkatFlags};

/// What a descriptor or a name is, as `fstat`/`lstat` tell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meta {
    pub kind: Kind,
    pub uid: u32,
    /// Permission bits only (0o7777).
    pub mode: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Dir,
    File,
    Symlink,
    Socket,
    Other,
}

impl Kind {
    pub fn describe(self) -> &'static str {
        match self {
            Kind::Dir => "a directory",
            Kind::File => "a regular file",
            Kind::Symlink => "a symbolic link",
            Kind::Socket => "a socket",
            Kind::Other => "a special file",
        }
    }
}

fn meta(st: &FileStat) -> Meta {
    let kind = match SFlag::from_bits_truncate(st.st_mode & SFlag::S_IFMT.bits()) {
        SFlag::S_IFDIR => Kind::Dir,
        SFlag::S_IFREG => Kind::File,
        SFlag::S_IFLNK => Kind::Symlink,
        SFlag::S_IFSOCK => Kind::Socket,
        _ => Kind::Other,
    };
    Meta { kind, uid: st.st_uid, mode: st.st_mode & 0o7777 }
}

/// Opens an absolute directory path, following links on the way (the caller checks what it got).
pub fn open_dir(path: &Path) -> Result<OwnedFd, Errno> {
    nix::fcntl::open(path, OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC, Mode::empty())
}

/// Opens directory `name` in `dir`; a symbolic link there fails (ELOOP or ENOTDIR).
pub fn open_dir_at(dir: BorrowedFd<'_>, name: &str) -> Result<OwnedFd, Errno> {
    openat(dir, name, OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC, Mode::empty())
}

/// Opens file `name` in `dir` for reading; never a link, never blocks on a FIFO.
pub fn open_file_at(dir: BorrowedFd<'_>, name: &str) -> Result<OwnedFd, Errno> {
    openat(dir, name, OFlag::O_RDONLY | OFlag::O_NOFOLLOW | OFlag::O_NONBLOCK | OFlag::O_CLOEXEC, Mode::empty())
}

/// Creates file `name` in `dir` (it must not exist: no link, no one else's file), mode `mode`.
pub fn create_file_at(dir: BorrowedFd<'_>, name: &str, mode: u32) -> Result<OwnedFd, Errno> {
    let flags = OFlag::O_RDWR | OFlag::O_CREAT | OFlag::O_EXCL | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
    let fd = openat(dir, name, flags, Mode::from_bits_truncate(mode))?;
    // Whatever the umask took away: the mode asked for, exactly.
    fchmod(&fd, Mode::from_bits_truncate(mode))?;
    Ok(fd)
}

/// An O_PATH handle on `name` in `dir` (not followed if it is a link): a socket is connected
/// through it (`proc_path`), so the one checked is the one reached.
pub fn open_path_at(dir: BorrowedFd<'_>, name: &str) -> Result<OwnedFd, Errno> {
    openat(dir, name, OFlag::O_PATH | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC, Mode::empty())
}

/// `/proc/self/fd/N`: a path that names exactly what descriptor N is (a directory to create a
/// socket in, a socket to connect to), and is short whatever the real path's length.
pub fn proc_path(fd: BorrowedFd<'_>) -> PathBuf {
    PathBuf::from(format!("/proc/self/fd/{}", fd.as_raw_fd()))
}

pub fn stat(fd: BorrowedFd<'_>) -> Result<Meta, Errno> {
    fstat(fd).map(|st| meta(&st))
}

/// What `name` in `dir` is, without following it if it is a link.
pub fn stat_at(dir: BorrowedFd<'_>, name: &str) -> Result<Meta, Errno> {
    fstatat(dir, name, nix::fcntl::AtFlags::AT_SYMLINK_NOFOLLOW).map(|st| meta(&st))
}

pub fn mkdir_at(dir: BorrowedFd<'_>, name: &str, mode: u32) -> Result<(), Errno> {
    mkdirat(dir, name, Mode::from_bits_truncate(mode))
}

pub fn set_mode(fd: BorrowedFd<'_>, mode: u32) -> Result<(), Errno> {
    fchmod(fd, Mode::from_bits_truncate(mode))
}

/// Sets the mode of `name` in `dir` (something we just made there: a socket has no descriptor
/// fchmod would reach).
pub fn set_mode_at(dir: BorrowedFd<'_>, name: &str, mode: u32) -> Result<(), Errno> {
    nix::sys::stat::fchmodat(dir, name, Mode::from_bits_truncate(mode), nix::sys::stat::FchmodatFlags::FollowSymlink)
}

/// Removes the name `name` in `dir` (a link itself, never what it points to).
pub fn unlink_at(dir: BorrowedFd<'_>, name: &str) -> Result<(), Errno> {
    unlinkat(dir, name, UnlinkatFlags::NoRemoveDir)
}

/// Removes the empty directory `name` in `dir` (ENOTEMPTY otherwise: never recursive).
pub fn rmdir_at(dir: BorrowedFd<'_>, name: &str) -> Result<(), Errno> {
    unlinkat(dir, name, UnlinkatFlags::RemoveDir)
}

pub fn rename_at(dir: BorrowedFd<'_>, from: &str, to: &str) -> Result<(), Errno> {
    renameat(dir, from, dir, to)
}

/// Renames `from` to `to` in `dir` only if `to` does not exist (EEXIST otherwise), atomically:
/// of two such renames to one name, exactly one succeeds.
pub fn rename_noreplace(dir: BorrowedFd<'_>, from: &str, to: &str) -> Result<(), Errno> {
    let from = std::ffi::CString::new(from).map_err(|_| Errno::EINVAL)?;
    let to = std::ffi::CString::new(to).map_err(|_| Errno::EINVAL)?;
    // SAFETY: both names are NUL-terminated strings that outlive the call; the kernel only reads
    // them. (nix offers renameat2 on glibc only; pidns-init is linked with musl.)
    let r = unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            dir.as_raw_fd(),
            from.as_ptr(),
            dir.as_raw_fd(),
            to.as_ptr(),
            libc::RENAME_NOREPLACE,
        )
    };
    if r < 0 {
        Err(Errno::last())
    } else {
        Ok(())
    }
}

/// Takes an exclusive flock on `fd` without waiting: Ok(false) when someone else holds it. The
/// lock lasts as long as the open file description (every dup of `fd`), and the kernel drops it
/// when the last one is closed, also when its holder is killed.
pub fn try_lock(fd: BorrowedFd<'_>) -> Result<bool, Errno> {
    // SAFETY: flock only acts on the descriptor; no memory is passed.
    let r = unsafe { libc::flock(fd.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    match r {
        0 => Ok(true),
        _ => match Errno::last() {
            Errno::EWOULDBLOCK => Ok(false),
            e => Err(e),
        },
    }
}

/// The names in directory `dir`, read through `proc_path` (the directory the descriptor is,
/// whatever its path has become).
pub fn names(dir: BorrowedFd<'_>) -> Result<Vec<String>, Errno> {
    let errno = |e: std::io::Error| Errno::from_raw(e.raw_os_error().unwrap_or(libc::EIO));
    let mut out = Vec::new();
    for entry in std::fs::read_dir(proc_path(dir)).map_err(errno)? {
        out.push(entry.map_err(errno)?.file_name().to_string_lossy().into_owned());
    }
    Ok(out)
}

/// Reads all of `fd` (a small file) from its current offset.
pub fn read_all(fd: OwnedFd) -> std::io::Result<String> {
    use std::io::Read;
    let mut text = String::new();
    std::fs::File::from(fd).read_to_string(&mut text)?;
    Ok(text)
}

/// Writes all of `bytes` to `fd`.
pub fn write_all(fd: OwnedFd, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    std::fs::File::from(fd).write_all(bytes)
}

/// Our effective uid: the owner every state directory must have.
pub fn euid() -> u32 {
    // SAFETY: geteuid only reads our credentials; it cannot fail.
    unsafe { libc::geteuid() }
}
