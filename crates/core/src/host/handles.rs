//! What the owner of a running tree needs to act on it, shared between the collector (which
//! learns them from `start` messages) and the owner (the Node binding, a supervisor):
//! - each init's control socket, by the namespace it serves: its own, and its children whose
//!   PID 1 is a user's command (it starts their processes);
//! - a pidfd for every living process, so signals never reach a process that reused a PID.
use std::collections::HashMap;
use std::os::fd::{AsFd, OwnedFd, RawFd};
use std::sync::{Arc, Mutex};

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::unistd::pipe2;
use pidns_model::{Plan, ProcessSpec};

use crate::control::Request;
use crate::sys::seqpacket;

#[derive(Clone, Default)]
pub struct Handles {
    by_node: Arc<Mutex<HashMap<String, Arc<OwnedFd>>>>,
    pidfds: Arc<Mutex<HashMap<(String, String), OwnedFd>>>,
}

#[derive(Debug)]
pub enum ExecError {
    /// No living init serves this namespace (unknown, or already ended).
    NoNamespace,
    Io(Errno),
}

/// The caller's ends of an exec'd process's stdio.
pub struct ExecStdio {
    pub stdin: OwnedFd,
    pub stdout: OwnedFd,
    pub stderr: OwnedFd,
}

impl Handles {
    /// Process `process` of `node` (or its init) is up.
    pub fn add_process(&self, node: &str, process: &str, pidfd: OwnedFd) {
        let mut map = self.pidfds.lock().unwrap_or_else(|e| e.into_inner());
        map.insert((node.to_string(), process.to_string()), pidfd);
    }

    /// It has exited: its pidfd is no longer needed.
    pub fn remove_process(&self, node: &str, process: &str) {
        let mut map = self.pidfds.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(&(node.to_string(), process.to_string()));
    }

    /// Signals a process through its pidfd. Ok(false) when there is no such living process.
    pub fn signal(&self, node: &str, process: &str, signal: i32) -> Result<bool, Errno> {
        let map = self.pidfds.lock().unwrap_or_else(|e| e.into_inner());
        let Some(fd) = map.get(&(node.to_string(), process.to_string())) else { return Ok(false) };
        crate::sys::pidfd::signal_if_alive(fd.as_fd(), signal)
    }

    /// The init of `node` is up with this control socket.
    pub fn add(&self, plan: &Plan, node: &str, control: OwnedFd) {
        let control = Arc::new(control);
        let mut map = self.by_node.lock().unwrap_or_else(|e| e.into_inner());
        for served in served_by(plan, node) {
            map.insert(served, control.clone());
        }
    }

    /// The init of `node` has exited.
    pub fn remove(&self, plan: &Plan, node: &str) {
        let mut map = self.by_node.lock().unwrap_or_else(|e| e.into_inner());
        for served in served_by(plan, node) {
            map.remove(&served);
        }
    }

    /// Asks the init serving `node` to start `process` there, with new pipes as its stdio.
    pub fn exec(&self, node: &str, process: ProcessSpec) -> Result<ExecStdio, ExecError> {
        let (in_r, in_w) = pipe2(OFlag::O_CLOEXEC).map_err(ExecError::Io)?;
        let (out_r, out_w) = pipe2(OFlag::O_CLOEXEC).map_err(ExecError::Io)?;
        let (err_r, err_w) = pipe2(OFlag::O_CLOEXEC).map_err(ExecError::Io)?;
        self.exec_with(node, process, [raw(&in_r), raw(&out_w), raw(&err_w)])?;
        Ok(ExecStdio { stdin: in_w, stdout: out_r, stderr: err_r })
    }

    /// The same with stdin, stdout and stderr the caller already has (a client's terminal).
    pub fn exec_with(&self, node: &str, process: ProcessSpec, stdio: [RawFd; 3]) -> Result<(), ExecError> {
        let control = {
            let map = self.by_node.lock().unwrap_or_else(|e| e.into_inner());
            map.get(node).cloned().ok_or(ExecError::NoNamespace)?
        };
        let request = Request::Exec { node: node.to_string(), process };
        seqpacket::send(control.as_fd(), request.encode().as_bytes(), &stdio).map_err(|e| match e {
            Errno::EPIPE | Errno::ECONNREFUSED | Errno::ECONNRESET => ExecError::NoNamespace,
            e => ExecError::Io(e),
        })
    }
}

fn raw(fd: &OwnedFd) -> RawFd {
    use std::os::fd::AsRawFd;
    fd.as_raw_fd()
}

/// `node` and its children whose PID 1 is the user's command.
fn served_by(plan: &Plan, node: &str) -> Vec<String> {
    let Some(n) = plan.nodes.iter().find(|n| n.path == node) else { return vec![node.to_string()] };
    std::iter::once(node.to_string())
        .chain(n.children.iter().map(|&c| &plan.nodes[c]).filter(|c| c.init.command.is_some()).map(|c| c.path.clone()))
        .collect()
}
