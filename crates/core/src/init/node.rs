//! PID 1 of one node: mounts, start-up, then the signal/reap loop until everything it started
//! has ended.
use std::collections::HashMap;
use std::os::fd::{AsFd, AsRawFd};

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::signal::{kill, Signal};
use nix::sys::signalfd::SignalFd;
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;
use pidns_model::Plan;

use super::{launch, TreeFds};
use crate::protocol::TreeMessage;
use crate::status::ExitStatus;
use crate::sys::{clone, mounts, signals};

/// What a child of this init is to us.
enum Tracked {
    /// One of the node's processes, by name.
    Process(String),
    /// The init of a child namespace, by node index.
    Namespace(usize),
}

struct NodeInit<'a> {
    plan: &'a Plan,
    idx: usize,
    fds: &'a TreeFds,
    signals: SignalFd,
    tracked: HashMap<Pid, Tracked>,
    first_failure: Option<ExitStatus>,
}

/// Runs node `idx` as its PID 1 and exits the process with the node's status: 0 when all it
/// started succeeded, otherwise the code of the first that failed.
pub fn run(plan: &Plan, idx: usize, fds: &TreeFds) -> ! {
    let code = match NodeInit::start(plan, idx, fds) {
        Ok(mut init) => init.run(),
        Err(message) => {
            let node = plan.nodes[idx].path.clone();
            let _ = fds.send(&TreeMessage::Error { node, message }, &[]);
            1
        }
    };
    std::process::exit(code)
}

impl<'a> NodeInit<'a> {
    fn start(plan: &'a Plan, idx: usize, fds: &'a TreeFds) -> Result<Self, String> {
        let node = &plan.nodes[idx];
        let signals = signals::block_all().map_err(|e| format!("signalfd: {}", e.desc()))?;
        mounts::make_private()
            .map_err(|e| format!("cannot make the mount namespace private: {}", e.desc()))?;
        if node.mount_proc {
            mounts::mount_proc().map_err(|e| format!("cannot mount /proc: {}", e.desc()))?;
        }
        launch::announce_init(&node.path, fds)
            .map_err(|e| format!("cannot report the init: {}", e.desc()))?;
        let mut init = NodeInit { plan, idx, fds, signals, tracked: HashMap::new(), first_failure: None };
        for spec in &node.processes {
            let pid = launch::launch(&node.path, spec, fds)
                .map_err(|e| format!("cannot fork {}: {}", spec.name, e.desc()))?;
            init.tracked.insert(pid, Tracked::Process(spec.name.clone()));
        }
        for &child in &node.children {
            init.spawn_namespace(child)?;
        }
        Ok(init)
    }

    /// Creates the child namespace `child` whose PID 1 continues right here, without exec.
    fn spawn_namespace(&mut self, child: usize) -> Result<(), String> {
        // SAFETY: the init is single-threaded: the child may run any code (it becomes the
        // child namespace's init).
        match unsafe { clone::clone_into_namespaces(clone::NODE_NAMESPACES) } {
            Ok(clone::Forked::Child) => {
                // The parent's signalfd and bookkeeping are not ours: the new init starts clean.
                let _ = nix::unistd::close(self.signals.as_raw_fd());
                run(self.plan, child, self.fds)
            }
            Ok(clone::Forked::Parent { pid, pidfd }) => {
                drop(pidfd);
                self.tracked.insert(pid, Tracked::Namespace(child));
                Ok(())
            }
            Err(e) => Err(format!(
                "cannot create namespace {}: {}",
                self.plan.nodes[child].path,
                e.desc()
            )),
        }
    }

    fn run(&mut self) -> i32 {
        loop {
            self.reap_all();
            if self.tracked.is_empty() {
                return self.first_failure.map(|s| s.code).unwrap_or(0);
            }
            let mut pfds = [
                PollFd::new(self.signals.as_fd(), PollFlags::POLLIN),
                // No events asked: poll still reports POLLHUP when the host end is closed.
                PollFd::new(self.fds.events.as_fd(), PollFlags::empty()),
            ];
            match poll(&mut pfds, PollTimeout::NONE) {
                Ok(_) | Err(nix::errno::Errno::EINTR) => {}
                Err(_) => return 1,
            }
            let host_gone = pfds[1]
                .revents()
                .is_some_and(|r| r.intersects(PollFlags::POLLHUP | PollFlags::POLLERR));
            if host_gone {
                // Our owner is gone. As PID 1, exiting makes the kernel kill everything below.
                return 1;
            }
            while let Ok(Some(info)) = self.signals.read_signal() {
                let sig = info.ssi_signo as i32;
                if sig != libc::SIGCHLD {
                    self.forward(sig);
                }
            }
        }
    }

    /// Passes a signal the init received on to everything it started; child inits pass it on
    /// to theirs.
    fn forward(&self, sig: i32) {
        let Ok(sig) = Signal::try_from(sig) else { return };
        for pid in self.tracked.keys() {
            let _ = kill(*pid, sig);
        }
    }

    /// Reaps until nothing is left to reap, reporting each exit.
    fn reap_all(&mut self) {
        loop {
            let ws = match waitpid(None::<Pid>, Some(WaitPidFlag::WNOHANG)) {
                Ok(WaitStatus::StillAlive) | Err(_) => return,
                Ok(ws) => ws,
            };
            let (Some(pid), Some(status)) = (ws.pid(), ExitStatus::from_wait(ws)) else {
                continue;
            };
            let node = &self.plan.nodes[self.idx];
            let msg = match self.tracked.remove(&pid) {
                Some(Tracked::Process(name)) => {
                    TreeMessage::Exit { node: node.path.clone(), process: name, status }
                }
                Some(Tracked::Namespace(child)) => TreeMessage::Exit {
                    node: self.plan.nodes[child].path.clone(),
                    process: "init".into(),
                    status,
                },
                None => TreeMessage::Reap { node: node.path.clone(), pid: pid.as_raw(), status },
            };
            if !status.success() && !matches!(msg, TreeMessage::Reap { .. }) {
                self.first_failure.get_or_insert(status);
            }
            let _ = self.fds.send(&msg, &[]);
        }
    }
}
