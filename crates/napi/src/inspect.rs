//! `pidns-tree inspect <pid>`: a host process's PID at every level, with each level's namespace.
use napi::{Error, Result, Status};
use napi_derive::napi;
use pidns_core::sys::{hostproc, nschain};

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

/// The PID-namespace chain of host process `pid` and its PID in each namespace.
#[napi]
pub fn inspect_pid(pid: i32) -> Result<Inspected> {
    let missing = |what: &str| Error::new(Status::InvalidArg, format!("no process {pid} ({what})"));
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).map_err(|_| missing("no /proc entry"))?;
    let nspid = hostproc::parse_nspid(&status).ok_or_else(|| missing("no NSpid"))?;
    let chain = nschain::pid_ns_chain(pid).map_err(|e| missing(e.desc()))?;
    let name = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default().trim_end().to_string();
    // NSpid starts at the namespace of the /proc we read (ours); the chain may reach further up.
    let chain = &chain[chain.len().saturating_sub(nspid.len())..];
    let levels = chain.iter().zip(&nspid).map(|(ino, pid)| PidLevel { namespace: *ino as f64, pid: *pid }).collect();
    Ok(Inspected { pid, name, levels })
}
