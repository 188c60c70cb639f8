//! The mounts of a node: its mount namespace made private, then a fresh /proc.
use nix::errno::Errno;
use nix::mount::{mount, MsFlags};

/// Stops mount events from propagating between this mount namespace and its parent. Without it
/// a /proc mounted here would appear on the host on distributions where / is shared (systemd).
pub fn make_private() -> Result<(), Errno> {
    mount(None::<&str>, "/", None::<&str>, MsFlags::MS_REC | MsFlags::MS_PRIVATE, None::<&str>)
}

/// Mounts a procfs for the caller's PID namespace over /proc, so that `ps` and /proc inside the
/// node show this namespace (and those below it) only.
pub fn mount_proc() -> Result<(), Errno> {
    mount(
        Some("proc"),
        "/proc",
        Some("proc"),
        MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC,
        None::<&str>,
    )
}
