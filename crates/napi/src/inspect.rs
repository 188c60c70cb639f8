//! `pidns-tree inspect <pid>`: a host process's PID at every level, with each level's namespace.
//! Its errors carry their code (`err.code`): BAD_PID, UNKNOWN_PROCESS or NOT_PERMITTED, so that
//! the CLI tells "no such process" from "not allowed to look" without reading the message.
use napi_derive::napi;
use nix::errno::Errno;
use nix::unistd::Pid;
use pidns_core::error_code::ErrorCode;
use pidns_core::sys::{hostproc, nschain};

use crate::coded::{Error, Result};

#[napi(object)]
pub struct PidLevel {
    /// The namespace's inode, as in pid:[INODE] (lsns, /proc/PID/ns/pid).
    pub namespace: f64,
    /// The process's PID in that namespace.
    pub pid: i32,
}

#[napi(object)]
pub struct Inspected {
    pub pid: i32,
    /// Its command name (/proc/PID/comm).
    pub name: String,
    /// From the caller's namespace (first) down to the process's own (last).
    pub levels: Vec<PidLevel>,
}

/// The kernel's highest possible PID (PID_MAX_LIMIT on 64-bit: 4194304); pid_max may be lower.
const PID_MAX_LIMIT: f64 = 4_194_304.0;

/// Whether process `pid` exists for the caller: kill(pid, 0) says so (EPERM: it exists but is
/// not ours) even where /proc does not show it (hidepid, another namespace's /proc).
fn exists(pid: i32) -> bool {
    !matches!(nix::sys::signal::kill(Pid::from_raw(pid), None), Err(Errno::ESRCH))
}

/// The error for an `errno` met while reading `file` (under /proc/PID) for `pid`.
fn failure(pid: i32, file: &str, errno: Errno) -> Error {
    let path = format!("/proc/{pid}/{file}");
    match errno {
        Errno::EACCES | Errno::EPERM => Error::new(
            ErrorCode::NotPermitted,
            format!(
                "process {pid} exists, but you may not read {path} ({}): run as its owner or as root",
                errno.desc()
            ),
        ),
        Errno::ENOENT | Errno::ESRCH if !exists(pid) => {
            Error::new(ErrorCode::UnknownProcess, format!("no process {pid}"))
        }
        Errno::ENOENT | Errno::ESRCH => Error::new(
            ErrorCode::NotPermitted,
            format!(
                "process {pid} exists, but this /proc does not show it (hidepid=, or another PID namespace's /proc)"
            ),
        ),
        other => Error::new(ErrorCode::NotPermitted, format!("process {pid}: cannot read {path}: {}", other.desc())),
    }
}

fn io_errno(e: std::io::Error) -> Errno {
    Errno::from_raw(e.raw_os_error().unwrap_or(nix::libc::ENOENT))
}

/// The PID-namespace chain of host process `pid` and its PID in each namespace. `pid` is taken
/// as a JavaScript number, not an i32, which napi would wrap (4294967298 would become 2).
#[napi]
pub fn inspect_pid(pid: f64) -> Result<Inspected> {
    if pid.fract() != 0.0 || !(1.0..=PID_MAX_LIMIT).contains(&pid) {
        return Err(Error::new(
            ErrorCode::BadPid,
            format!("{pid} is not a PID: a whole number from 1 to {PID_MAX_LIMIT}"),
        ));
    }
    let pid = pid as i32;
    let status =
        std::fs::read_to_string(format!("/proc/{pid}/status")).map_err(|e| failure(pid, "status", io_errno(e)))?;
    let nspid = hostproc::parse_nspid(&status).ok_or_else(|| {
        Error::new(
            ErrorCode::NotPermitted,
            format!("/proc/{pid}/status has no NSpid line: Linux 4.1 or later is needed"),
        )
    })?;
    let chain = nschain::pid_ns_chain(pid).map_err(|e| failure(pid, "ns/pid", e))?;
    let name = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default().trim_end().to_string();
    // Both end at the process's own namespace, but start elsewhere: the chain at ours (the
    // kernel shows no parent above it), NSpid at the namespace of the /proc we read, which is
    // further up when that /proc is an outer one (`unshare --pid` without a /proc of its own).
    // Paired from the end, each namespace gets the PID it gives the process.
    let n = chain.len().min(nspid.len());
    let levels = chain[chain.len() - n..]
        .iter()
        .zip(&nspid[nspid.len() - n..])
        .map(|(ino, pid)| PidLevel { namespace: *ino as f64, pid: *pid })
        .collect();
    Ok(Inspected { pid, name, levels })
}
