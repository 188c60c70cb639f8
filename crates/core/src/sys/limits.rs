//! The limits a tree can run into, read so that a failure names the limit and its value: a
//! fork that fails with EAGAIN says which of pids.max, RLIMIT_NPROC or kernel.pid_max it met,
//! a pipe that fails with EMFILE says RLIMIT_NOFILE.
use std::fs;

use nix::errno::Errno;
use nix::sys::resource::{getrlimit, setrlimit, Resource, RLIM_INFINITY};

/// Raises the soft limit on open descriptors to the hard one (an init holds two per running
/// process of its namespace) and returns the soft limit it had, which processes get back before
/// they exec; None when there was nothing to raise (Node raises its own, so usually), and then
/// nothing to give back.
pub fn raise_nofile() -> Option<u64> {
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).ok()?;
    if soft >= hard {
        return None;
    }
    setrlimit(Resource::RLIMIT_NOFILE, hard, hard).ok()?;
    Some(soft)
}

/// Gives the calling process (a child about to exec) the soft limit the tree started with.
pub fn restore_nofile(soft: u64) {
    if let Ok((_, hard)) = getrlimit(Resource::RLIMIT_NOFILE) {
        let _ = setrlimit(Resource::RLIMIT_NOFILE, soft.min(hard), hard);
    }
}

fn limit_text(v: u64) -> String {
    if v == RLIM_INFINITY {
        "unlimited".into()
    } else {
        v.to_string()
    }
}

fn read_trim(path: &str) -> Option<String> {
    fs::read_to_string(path).ok().map(|s| s.trim().to_string())
}

/// Descriptors open in this process right now.
fn open_descriptors() -> Option<usize> {
    Some(fs::read_dir("/proc/self/fd").ok()?.count().saturating_sub(1))
}

/// Where the calling process's pids cgroup is: (the directory of its hierarchy's root, its path
/// in it). cgroup v2 (`0::/path`, the unified hierarchy at /sys/fs/cgroup or its `unified`
/// directory) or v1 (a `pids` hierarchy).
fn pids_cgroup() -> Option<(String, String)> {
    let text = fs::read_to_string("/proc/self/cgroup").ok()?;
    for line in text.lines() {
        let mut parts = line.splitn(3, ':');
        let (_, controllers, path) = (parts.next()?, parts.next()?, parts.next()?);
        if controllers.split(',').any(|c| c == "pids") {
            return Some(("/sys/fs/cgroup/pids".into(), path.to_string()));
        }
    }
    let path = text.lines().find_map(|l| l.strip_prefix("0::"))?.to_string();
    ["/sys/fs/cgroup", "/sys/fs/cgroup/unified"]
        .into_iter()
        .find(|root| fs::metadata(format!("{root}/cgroup.controllers")).is_ok())
        .map(|root| (root.to_string(), path))
}

/// The pids cgroup limits on the calling process, innermost first: (cgroup path, pids.max,
/// pids.current), for each level that sets a limit.
fn pids_limits() -> Vec<(String, String, Option<String>)> {
    let Some((root, path)) = pids_cgroup() else { return Vec::new() };
    let mut path = path.trim_end_matches('/').to_string();
    let mut out = Vec::new();
    loop {
        let dir = format!("{root}{path}");
        if let Some(max) = read_trim(&format!("{dir}/pids.max")) {
            if max != "max" {
                let shown = if path.is_empty() { "/".to_string() } else { path.clone() };
                out.push((shown, max, read_trim(&format!("{dir}/pids.current"))));
            }
        }
        match path.rfind('/') {
            Some(i) if !path.is_empty() => path.truncate(i),
            _ => break,
        }
    }
    out
}

/// Why `errno` stopped `what` (e.g. "cannot fork web"), with the limit and its value where the
/// errno means one was reached.
pub fn explain(what: &str, errno: Errno) -> String {
    let base = format!("{what}: {} ({errno:?})", errno.desc());
    match errno {
        Errno::EAGAIN => {
            let mut reasons = Vec::new();
            for (cgroup, max, current) in pids_limits() {
                let used = current.map(|c| format!(", {c} in use")).unwrap_or_default();
                reasons.push(format!("the pids cgroup {cgroup} allows {max} processes (pids.max{used})"));
            }
            if let Ok((soft, _)) = getrlimit(Resource::RLIMIT_NPROC) {
                reasons.push(format!("RLIMIT_NPROC (ulimit -u) is {}", limit_text(soft)));
            }
            if let Some(max) = read_trim("/proc/sys/kernel/pid_max") {
                reasons.push(format!("kernel.pid_max is {max}"));
            }
            if let Some(max) = read_trim("/proc/sys/kernel/threads-max") {
                reasons.push(format!("kernel.threads-max is {max}"));
            }
            format!(
                "{base}: a limit on the number of processes is reached: {}; raise it or start fewer processes",
                reasons.join("; ")
            )
        }
        Errno::EMFILE => {
            let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).unwrap_or((0, 0));
            let open = open_descriptors().map(|n| format!(", {n} open")).unwrap_or_default();
            format!(
                "{base}: the limit on open descriptors is reached (RLIMIT_NOFILE soft {}, hard {}{open}); an init holds two per running process of its namespace: raise `ulimit -n` (hard) or spread the processes over more namespaces",
                limit_text(soft),
                limit_text(hard)
            )
        }
        Errno::ENFILE => format!(
            "{base}: the system-wide limit on open files is reached (fs.file-max is {})",
            read_trim("/proc/sys/fs/file-max").unwrap_or_else(|| "?".into())
        ),
        Errno::ENOSPC => format!(
            "{base}: a namespace limit is reached (32 nested PID namespaces, or user.max_pid_namespaces = {})",
            read_trim("/proc/sys/user/max_pid_namespaces").unwrap_or_else(|| "?".into())
        ),
        _ => base,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_limit() {
        let eagain = explain("cannot fork p", Errno::EAGAIN);
        assert!(
            eagain.starts_with("cannot fork p: ") && eagain.contains("(EAGAIN): a limit on the number of processes"),
            "{eagain}"
        );
        assert!(eagain.contains("RLIMIT_NPROC (ulimit -u) is") && eagain.contains("kernel.pid_max is"), "{eagain}");
        let emfile = explain("cannot make pipes for p", Errno::EMFILE);
        assert!(emfile.contains("RLIMIT_NOFILE soft") && emfile.contains("open)"), "{emfile}");
        assert_eq!(explain("x", Errno::EPERM), format!("x: {} (EPERM)", Errno::EPERM.desc()));
    }
}
