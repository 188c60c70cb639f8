//! How deep the caller already is in the PID-namespace hierarchy. The kernel allows 32 levels
//! below the initial namespace; a tree can use what the host has left
//! (`pidns_model::Limits::for_host_levels`).
//!
//! The kernel counts levels from the initial namespace but shows a process nothing above its
//! own: NS_GET_PARENT on one's own PID namespace fails with EPERM (pidns_get_parent hands out
//! only namespaces at or below the caller's), so walking the chain up always found 0 levels.
//! What does show them is a procfs mounted for an outer namespace: `NSpid` in its
//! `self/status` lists the caller's PID in the namespace that /proc was mounted for and in each
//! one below, down to the caller's own. Its length less one is the caller's level *relative to
//! that /proc's namespace*:
//! - exact when /proc is the initial namespace's: on a host, and under `unshare --pid --fork`
//!   or anything else that creates PID namespaces without mounting a /proc of its own;
//! - a lower bound when /proc was mounted inside (a container, `unshare --mount-proc`): there
//!   the caller's own /proc lists one PID, and the level reads 0. A tree too deep for what is
//!   really left then fails at start with the kernel's ENOSPC (DEPTH_LIMIT), not at validation.
//!
//! It reads the /proc of the caller's mount namespace, the one `ps` would use, and only if it is
//! a procfs (anything else mounted there says nothing). `src/host-level.ts` reads the same line
//! for the WebAssembly validator, so both validators allow the same depth.
use std::os::fd::AsFd;
use std::path::Path;

use nix::errno::Errno;
use nix::fcntl::{open, openat, OFlag};
use nix::sys::stat::Mode;
use nix::sys::statfs::{fstatfs, PROC_SUPER_MAGIC};

use super::{dirfd, hostproc};

/// The caller's PID-namespace level (0 in the initial namespace) as /proc shows it; 0 when
/// /proc cannot tell (see the module's notes for when that is a lower bound).
pub fn current_level() -> u32 {
    level_seen_by(Path::new("/proc")).unwrap_or(0)
}

/// The caller's level below the namespace of the procfs mounted at `proc`: its `NSpid` entries
/// less one. EINVAL when `proc` is not a procfs; ENOENT when the caller has no PID there.
pub fn level_seen_by(proc: &Path) -> Result<u32, Errno> {
    let dir = open(proc, OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC, Mode::empty())?;
    if fstatfs(dir.as_fd())?.filesystem_type() != PROC_SUPER_MAGIC {
        return Err(Errno::EINVAL);
    }
    // `self` is the procfs's own link to the caller's PID in that namespace.
    let status = openat(dir.as_fd(), "self/status", OFlag::O_RDONLY | OFlag::O_CLOEXEC, Mode::empty())?;
    let text = dirfd::read_all(status).map_err(|e| Errno::from_raw(e.raw_os_error().unwrap_or(libc::EIO)))?;
    let nspid = hostproc::parse_nspid(&text).ok_or(Errno::ENOENT)?;
    Ok(nspid.len().saturating_sub(1) as u32)
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::process::Command;

    use nix::errno::Errno;

    /// Set for the copy of this test binary that `level_in` runs inside new namespaces.
    const PROBE: &str = "PIDNS_NSLEVEL_PROBE";

    /// The inode of the initial PID namespace (PROC_PID_INIT_INO).
    const INITIAL_PID_NS: &str = "pid:[4026531836]";

    /// Does nothing in a normal run; in the copy `level_in` starts, prints current_level().
    #[test]
    fn probe() {
        if std::env::var_os(PROBE).is_some() {
            println!("level={}", super::current_level());
        }
    }

    /// current_level() as this test binary sees it when run under `unshare` with `args` (a
    /// user namespace is added when we are not root).
    fn level_in(args: &[&str]) -> u32 {
        let exe = std::env::current_exe().expect("the test binary");
        let mut cmd = Command::new("unshare");
        if crate::sys::dirfd::euid() != 0 {
            cmd.args(["--user", "--map-root-user"]);
        }
        cmd.args(args).arg("--").arg(exe);
        cmd.args(["--exact", "sys::nslevel::tests::probe", "--nocapture", "--test-threads=1"]).env(PROBE, "1");
        let out = cmd.output().expect("unshare (util-linux) runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "unshare {args:?}: {}{stdout}", String::from_utf8_lossy(&out.stderr));
        // libtest writes the test's name on the same line, before what the test prints.
        let level = stdout.split("level=").nth(1).map(|rest| rest.chars().take_while(char::is_ascii_digit).collect());
        level.and_then(|n: String| n.parse().ok()).unwrap_or_else(|| panic!("no level in the probe's output: {stdout}"))
    }

    #[test]
    fn counts_the_levels_an_outer_proc_shows() {
        let here = super::current_level();
        if std::fs::read_link("/proc/self/ns/pid").unwrap().to_string_lossy() == INITIAL_PID_NS {
            assert_eq!(here, 0, "the initial namespace is level 0");
        }
        // Two new PID namespaces, /proc still the one outside: two levels more.
        let nested = level_in(&["--pid", "--fork", "--", "unshare", "--pid", "--fork"]);
        assert_eq!(nested, here + 2);
    }

    #[test]
    fn a_proc_of_the_callers_own_namespace_shows_no_level_above_it() {
        // What a container's /proc does: the documented lower bound, not an error.
        assert_eq!(level_in(&["--pid", "--fork", "--mount-proc"]), 0);
    }

    #[test]
    fn only_a_procfs_is_read() {
        assert_eq!(super::level_seen_by(Path::new("/")), Err(Errno::EINVAL));
        assert_eq!(super::level_seen_by(Path::new("/proc")), Ok(super::current_level()));
    }
}
