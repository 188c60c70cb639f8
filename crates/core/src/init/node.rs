//! PID 1 of one node: mounts, start-up, then the signal/reap loop until nothing it started and
//! no child at all is left.
//!
//! A child node whose PID 1 is the user's command (`init.command`) is started here too: clone3,
//! then the clone execs the command. Its processes are forked from here into its PID namespace
//! (setns), so they stay our children and we still report their exits; orphans there belong to
//! the user's PID 1, which is the point of such a node.
use std::collections::{HashMap, HashSet};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::time::Duration;

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::signal::Signal;
use nix::sys::signalfd::SignalFd;
use nix::unistd::Pid;
use pidns_model::{Forward, Plan};

use super::commands::CommandPaths;
use super::launch::Stdio;
use super::{children, forwarding, launch, reaper, stopping::Stopping, TreeFds};
use crate::control::Request;
use crate::protocol::TreeMessage;
use crate::status::ExitStatus;
use crate::sys::{clone, mounts, seqpacket, setns, signals};

/// What a child of this init is to us.
enum Tracked {
    /// A process of node `node` (ours, or one whose PID 1 is a user command), by name;
    /// `exec` when the host asked for it (it does not decide the node's status).
    Process { node: usize, name: String, exec: bool },
    /// The PID 1 of a child namespace (ours or the user's), by node index.
    Namespace(usize),
}

struct NodeInit<'a> {
    plan: &'a Plan,
    /// The plan's commands, looked up once by the root init.
    paths: &'a CommandPaths,
    idx: usize,
    fds: &'a TreeFds,
    signals: SignalFd,
    /// A pidfd of ourselves: setns back into our own PID namespace after starting processes in
    /// a child namespace.
    me: OwnedFd,
    /// Our end of the control socket (the host's requests); None once the host closed it.
    control: Option<OwnedFd>,
    /// pidfds of child namespaces' PID 1s that are user commands: we start processes there.
    user_inits: HashMap<usize, OwnedFd>,
    tracked: HashMap<Pid, Tracked>,
    stopping: Stopping,
    /// Children already sent SIGTERM while stopping (orphans keep arriving: each gets one).
    terminated: HashSet<Pid>,
    /// Our level in the host's NSpid lists (host = 0).
    level: usize,
    first_failure: Option<ExitStatus>,
}

/// Runs node `idx` as its PID 1 and exits the process with the node's status: 0 when all it
/// started succeeded, otherwise the code of the first that failed.
pub fn run(plan: &Plan, idx: usize, fds: &TreeFds, paths: &CommandPaths) -> ! {
    let code = match NodeInit::start(plan, idx, fds, paths) {
        Ok(mut init) => init.run(),
        Err(message) => {
            let node = plan.nodes[idx].path.clone();
            let _ = fds.send(&TreeMessage::Error { node, message }, &[]);
            1
        }
    };
    std::process::exit(code)
}

/// What every namespace's PID 1 does first, ours or the user's: lead its own session (so its
/// session and process group are 1), private mounts, a fresh /proc.
fn become_namespace_init(mount_proc: bool) -> Result<(), String> {
    let _ = nix::unistd::setsid();
    mounts::make_private().map_err(|e| format!("cannot make the mount namespace private: {}", e.desc()))?;
    if mount_proc {
        mounts::mount_proc().map_err(|e| format!("cannot mount /proc: {}", e.desc()))?;
    }
    Ok(())
}

impl<'a> NodeInit<'a> {
    fn start(plan: &'a Plan, idx: usize, fds: &'a TreeFds, paths: &'a CommandPaths) -> Result<Self, String> {
        let node = &plan.nodes[idx];
        let signals = signals::block_all().map_err(|e| format!("signalfd: {}", e.desc()))?;
        become_namespace_init(node.mount_proc)?;
        let (control, level, me) =
            launch::announce_init(&node.path, fds).map_err(|e| format!("cannot report the init: {}", e.desc()))?;
        let mut init = NodeInit {
            plan,
            paths,
            idx,
            fds,
            signals,
            me,
            control: Some(control),
            user_inits: HashMap::new(),
            tracked: HashMap::new(),
            stopping: Stopping::default(),
            terminated: HashSet::new(),
            level,
            first_failure: None,
        };
        for spec in &node.processes {
            let pid = launch::launch(&node.path, spec, fds, None, Stdio::Pipes, paths.get(spec))
                .map_err(|e| format!("cannot fork {}: {}", spec.name, e.desc()))?;
            init.tracked.insert(pid, Tracked::Process { node: idx, name: spec.name.clone(), exec: false });
        }
        for &child in &node.children {
            init.spawn_namespace(child)?;
        }
        Ok(init)
    }

    /// Creates the child namespace `child`. With our init, its PID 1 continues right here in
    /// `run`, without exec; with a user command, the clone execs it.
    fn spawn_namespace(&mut self, child: usize) -> Result<(), String> {
        let node = &self.plan.nodes[child];
        // Only a user's PID 1 needs one: it closes on exec, so the parent knows its /proc is up.
        let ready = match node.init.command {
            Some(_) => Some(nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(|e| e.desc().to_string())?),
            None => None,
        };
        // SAFETY: the init is single-threaded: the child may run any code (it becomes the
        // child namespace's init).
        match unsafe { clone::clone_into_namespaces(clone::NODE_NAMESPACES) } {
            Ok(clone::Forked::Child) => {
                // The parent's signalfd, control socket and bookkeeping are not ours: the new
                // init starts clean.
                let _ = nix::unistd::close(self.signals.as_raw_fd());
                if let Some(c) = &self.control {
                    let _ = nix::unistd::close(c.as_raw_fd());
                }
                let Some(user) = &node.init.command else { run(self.plan, child, self.fds, self.paths) };
                if let Err(message) = become_namespace_init(node.mount_proc) {
                    let _ = self.fds.send(&TreeMessage::Error { node: node.path.clone(), message }, &[]);
                    std::process::exit(1);
                }
                // `ready` closes on exec: the parent then knows /proc is mounted.
                launch::exec_in_place(&node.path, user, self.fds, Stdio::Pipes, self.paths.get(user))
            }
            Ok(clone::Forked::Parent { pid, pidfd }) => {
                self.tracked.insert(pid, Tracked::Namespace(child));
                if let Some((ready, ready_w)) = ready {
                    drop(ready_w);
                    // Wait until the user's PID 1 has its mounts (or died), then start its
                    // namespace's processes from here.
                    let _ = nix::unistd::read(&ready, &mut [0u8; 1]);
                    for spec in &node.processes {
                        if let Err(message) = self.launch_into(child, &pidfd, spec, Stdio::Pipes) {
                            // Its PID 1 may already have exited: the kernel then refuses
                            // anything new in that namespace. That namespace failed, not the tree.
                            let _ = self.fds.send(&TreeMessage::Error { node: node.path.clone(), message }, &[]);
                            break;
                        }
                    }
                    self.user_inits.insert(child, pidfd);
                }
                Ok(())
            }
            Err(e) => Err(format!("cannot create namespace {}: {}", node.path, e.desc())),
        }
    }

    /// Starts one process of `child` (whose PID 1 is a user command) in its namespaces.
    fn launch_into(
        &mut self,
        child: usize,
        ns_init: &OwnedFd,
        spec: &pidns_model::ProcessSpec,
        stdio: Stdio<'_>,
    ) -> Result<(), String> {
        let node = &self.plan.nodes[child];
        setns::pid_ns_for_children(ns_init.as_fd()).map_err(|e| match e {
            nix::errno::Errno::ESRCH => "its PID 1 exited before its processes could be started".to_string(),
            e => format!("cannot enter the namespace: {}", e.desc()),
        })?;
        let exec = matches!(stdio, Stdio::Given(_));
        // exec requests are looked up afresh by execvp: the tree may be old by then.
        let exe = if exec { None } else { self.paths.get(spec) };
        let result = launch::launch(&node.path, spec, self.fds, Some(ns_init.as_fd()), stdio, exe);
        setns::pid_ns_for_children(self.me.as_fd())
            .map_err(|e| format!("cannot return to our namespace: {}", e.desc()))?;
        match result {
            Ok(pid) => {
                self.tracked.insert(pid, Tracked::Process { node: child, name: spec.name.clone(), exec });
                Ok(())
            }
            Err(nix::errno::Errno::ENOMEM) => Err(format!(
                "cannot start {}: its PID 1 has exited (fork into the namespace fails with ENOMEM)",
                spec.name
            )),
            Err(e) => Err(format!("cannot fork {}: {}", spec.name, e.desc())),
        }
    }

    /// Serves the host's requests that have arrived on the control socket.
    fn serve_requests(&mut self) {
        let mut buf = vec![0u8; seqpacket::MAX_MESSAGE];
        loop {
            let Some(control) = &self.control else { return };
            match seqpacket::recv(control.as_fd(), &mut buf) {
                Ok(seqpacket::Received::Message { bytes, fds, .. }) => match Request::decode(&bytes) {
                    Ok(Request::Exec { node, process }) => self.exec(&node, &process, fds),
                    Err(message) => {
                        let node = self.plan.nodes[self.idx].path.clone();
                        let _ = self
                            .fds
                            .send(&TreeMessage::Error { node, message: format!("bad request: {message}") }, &[]);
                    }
                },
                Ok(seqpacket::Received::WouldBlock) => return,
                Ok(seqpacket::Received::Closed) | Err(_) => {
                    self.control = None;
                    return;
                }
            }
        }
    }

    /// Starts `spec` in `node` (ours, or a child with a user's PID 1) with the caller's stdio.
    /// Whatever happens, the caller hears of it: a start and an exit, or an exec error and exit.
    fn exec(&mut self, node: &str, spec: &pidns_model::ProcessSpec, stdio: Vec<OwnedFd>) {
        let target = self.plan.nodes.iter().position(|n| n.path == node);
        let result = match (target, <[OwnedFd; 3]>::try_from(stdio)) {
            // Nothing new once a stop has begun: it would escape the SIGTERM/SIGKILL sequence.
            _ if self.stopping.started() => Err(format!("namespace {node} is stopping")),
            (_, Err(_)) => Err("exec needs stdin, stdout and stderr".to_string()),
            (Some(i), Ok(stdio)) if i == self.idx => {
                launch::launch(node, spec, self.fds, None, Stdio::Given(&stdio), None)
                    .map(|pid| {
                        self.tracked.insert(pid, Tracked::Process { node: i, name: spec.name.clone(), exec: true });
                    })
                    .map_err(|e| format!("cannot fork: {}", e.desc()))
            }
            (Some(i), Ok(stdio)) => match self.user_inits.remove(&i) {
                Some(ns_init) => {
                    let r = self.launch_into(i, &ns_init, spec, Stdio::Given(&stdio));
                    self.user_inits.insert(i, ns_init);
                    r
                }
                None => Err(format!("namespace {node} is not served by this init")),
            },
            (None, _) => Err(format!("there is no namespace {node}")),
        };
        if let Err(error) = result {
            let (node, process) = (node.to_string(), spec.name.clone());
            let _ = self.fds.send(&TreeMessage::ExecError { node: node.clone(), process: process.clone(), error }, &[]);
            let _ = self.fds.send(&TreeMessage::Exit { node, process, status: ExitStatus::exited(127) }, &[]);
        }
    }

    fn run(&mut self) -> i32 {
        loop {
            self.reap_all();
            if self.tracked.is_empty() {
                if !reaper::has_children() {
                    return self.first_failure.map(|s| s.code).unwrap_or(0);
                }
                // Only adopted orphans are left (daemons of finished processes): stop them
                // gracefully rather than let the kernel SIGKILL them when we exit.
                self.begin_stop();
            }
            if self.stopping.deadline_passed() {
                forwarding::everyone_below(Signal::SIGKILL);
            } else if self.stopping.started() {
                self.terminate_new_children();
            }
            let mut pfds = vec![
                PollFd::new(self.signals.as_fd(), PollFlags::POLLIN),
                // No events asked: poll still reports POLLHUP when the host end is closed.
                PollFd::new(self.fds.events.as_fd(), PollFlags::empty()),
            ];
            if let Some(control) = &self.control {
                pfds.push(PollFd::new(control.as_fd(), PollFlags::POLLIN));
            }
            let timeout = PollTimeout::try_from(self.stopping.poll_timeout_ms()).unwrap_or(PollTimeout::NONE);
            match poll(&mut pfds, timeout) {
                Ok(_) | Err(nix::errno::Errno::EINTR) => {}
                Err(_) => return 1,
            }
            let host_gone = pfds[1].revents().is_some_and(|r| r.intersects(PollFlags::POLLHUP | PollFlags::POLLERR));
            if host_gone {
                // Our owner is gone. As PID 1, exiting makes the kernel kill everything below.
                return 1;
            }
            let requests = pfds.get(2).and_then(|p| p.revents()).is_some_and(|r| !r.is_empty());
            drop(pfds);
            if requests {
                self.serve_requests();
            }
            while let Ok(Some(info)) = self.signals.read_signal() {
                match info.ssi_signo as i32 {
                    libc::SIGTERM => self.begin_stop(),
                    sig if forwarding::is_forwarded(sig) => self.forward(sig),
                    _ => {}
                }
            }
        }
    }

    /// SIGTERM to each of our children (processes, child inits that stop their own subtree,
    /// orphans), then SIGKILL to everything below once `stopTimeout` has passed.
    fn begin_stop(&mut self) {
        let grace = Duration::from_millis(self.plan.nodes[self.idx].init.stop_timeout_ms);
        if !self.stopping.begin(grace) {
            return;
        }
        self.forward(libc::SIGTERM);
        self.terminated.extend(self.tracked.keys().copied());
        self.terminate_new_children();
    }

    /// SIGTERM to every child not yet sent one: orphans adopted since the stop began.
    fn terminate_new_children(&mut self) {
        for pid in children::list(self.fds.host_proc(), Some(self.level)) {
            if self.terminated.insert(pid) {
                let _ = forwarding::send(pid, libc::SIGTERM, Forward::Process);
            }
        }
    }

    /// Passes a signal on to what we started: processes (or their groups, as the node says)
    /// and the inits of child namespaces, which pass it on in turn.
    fn forward(&self, sig: i32) {
        let mode = self.plan.nodes[self.idx].init.forward;
        for (pid, what) in &self.tracked {
            let _ = match what {
                Tracked::Process { .. } => forwarding::send(*pid, sig, mode),
                Tracked::Namespace(_) => forwarding::send(*pid, sig, Forward::Process),
            };
        }
    }

    /// Reaps until nothing has ended, reporting each exit (and each orphan, with its PIDs).
    fn reap_all(&mut self) {
        while let Some(pid) = reaper::peek_ended() {
            let tracked = self.tracked.remove(&pid);
            // An orphan's PIDs can only be read while it is a zombie: before reaping it.
            let orphan_nspid = match tracked {
                None => reaper::nspid_of_zombie(pid, self.fds.host_proc()),
                Some(_) => None,
            };
            let Some(status) = reaper::reap(pid) else { continue };
            let counts = !matches!(tracked, None | Some(Tracked::Process { exec: true, .. }));
            let msg = match tracked {
                Some(Tracked::Process { node, name, .. }) => {
                    TreeMessage::Exit { node: self.plan.nodes[node].path.clone(), process: name, status }
                }
                Some(Tracked::Namespace(child)) => {
                    TreeMessage::Exit { node: self.plan.nodes[child].path.clone(), process: "init".into(), status }
                }
                None => TreeMessage::Reap {
                    node: self.plan.nodes[self.idx].path.clone(),
                    nspid: orphan_nspid.unwrap_or_else(|| vec![pid.as_raw()]),
                    status,
                },
            };
            if !status.success() && counts {
                self.first_failure.get_or_insert(status);
            }
            let _ = self.fds.send(&msg, &[]);
        }
    }
}
