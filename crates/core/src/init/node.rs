//! PID 1 of one node: mounts, start-up, then one loop until nothing it started and no child at
//! all is left. The loop waits on one epoll: signals (a signalfd), the control socket (exec
//! requests), the output pipes of its children (relayed to the host), and the event socket
//! (room to send, or the host gone). It never blocks on the host while it runs: output waits in
//! the pipes when the host is slow, so reaping, signals and requests are always served.
//!
//! A child node whose PID 1 is the user's command (`init.command`) is started here too: clone3,
//! then the clone execs the command. Its processes are forked from here into its PID namespace
//! (setns), so they stay our children and we still report their exits and relay their output;
//! orphans there belong to the user's PID 1, which is the point of such a node.
use std::collections::{HashMap, HashSet};
use std::io::IsTerminal;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::sys::epoll::{Epoll, EpollCreateFlags, EpollEvent, EpollFlags, EpollTimeout};
use nix::sys::signal::Signal;
use nix::sys::signalfd::SignalFd;
use nix::unistd::{pipe2, Pid};
use pidns_model::{Forward, ProcessSpec, INIT_NAME};

use super::control_server::{self, ControlServer, Incoming};
use super::decisions::{self, fork_failed, Facts, Next, Token};
use super::launch::{self, Setup};
use super::lifecycle::{Child, Lifecycle, Reaped};
use super::outbox::Outbox;
use super::relay::Relay;
use super::start_order::{self, Woken};
use super::stopping::{Due, Stopping};
use super::{children, forwarding, reaper, session, TreeContext};
use crate::sys::{clone, ctlsock, fd, limits, mounts, pidfd, pty, setns, signals};
use crate::wire::control::{socket_name, Reply, Request};
use crate::wire::tree::{ProcKey, TreeMessage};

/// How often a stopping init looks for orphans adopted since the stop began.
const ORPHAN_SCAN: Duration = Duration::from_millis(100);

struct NodeInit<'a> {
    ctx: &'a TreeContext,
    idx: u32,
    signals: SignalFd,
    epoll: Epoll,
    control: ControlServer,
    /// The output pipes of our children; made with the first of them (a namespace with no
    /// process of its own, a level of a chain, never needs one).
    relay: Option<Relay>,
    outbox: Outbox,
    /// stdin of every process we start, opened with the first.
    null: Option<OwnedFd>,
    /// A pidfd of ourselves: setns back into our own PID namespace after starting processes in
    /// a child namespace (opened the first time).
    me: Option<OwnedFd>,
    /// pidfds of child namespaces' PID 1s that are user commands: we start processes there.
    user_inits: HashMap<u32, OwnedFd>,
    life: Lifecycle,
    /// Slots for exec'd processes, per node we serve.
    next_slot: HashMap<u32, u32>,
    /// Exec'd terminal sessions (`tty`) still running: their leader's PID here, and as the
    /// host's /proc numbers it (the session's ID there). See `session`.
    sessions: HashMap<i32, i32>,
    stopping: Stopping,
    /// Children already sent SIGTERM while stopping (orphans keep arriving: each gets one).
    terminated: HashSet<i32>,
    /// Our level in the host's NSpid lists (host = 0).
    level: usize,
    /// What the epoll watches now for the relay and the event socket.
    relay_on: bool,
    events_out: bool,
    reap_needed: bool,
}

/// Runs node `idx` as its PID 1 and exits the process with the node's status: 0 when all it
/// started succeeded, otherwise the code of the first that failed. `listener` is the node's
/// control socket, bound by its parent; `go` is read before this init says anything (its parent
/// tells the host about it first). `holds` is dropped once our start-up is over (see
/// `start_order`).
pub fn run(ctx: &TreeContext, idx: u32, listener: OwnedFd, go: Option<OwnedFd>, holds: StartHolds) -> ! {
    // Everything of our own first, while our parent tells the host about us...
    let init =
        become_namespace_init(ctx.plan.nodes[idx as usize].mount_proc).and_then(|()| NodeInit::new(ctx, idx, listener));
    if let Some(go) = go {
        // ...but until it has sent our `start`, nothing of ours may reach the host.
        let _ = nix::unistd::read(&go, &mut [0u8; 1]);
    }
    let code = match init {
        Ok(mut init) => {
            init.start_up();
            drop(holds);
            init.run()
        }
        Err(message) => {
            let msg = TreeMessage::Error { node: idx, message };
            let _ = crate::sys::seqpacket::send(ctx.events(), &msg.to_bytes(), &[]);
            1
        }
    };
    std::process::exit(code)
}

/// What an init holds open until its start-up is over, with reproducible PIDs: the root the
/// gate's write end, any other its subtree's end (see `start_order`). Empty otherwise.
#[derive(Default)]
pub struct StartHolds {
    pub gate: Option<OwnedFd>,
    pub subtree: Option<OwnedFd>,
}

/// What every namespace's PID 1 does first, ours or the user's: lead its own session (so its
/// session and process group are 1), private mounts, a fresh /proc.
fn become_namespace_init(mount_proc: bool) -> Result<(), String> {
    let _ = nix::unistd::setsid();
    mounts::make_private().map_err(|e| format!("cannot make the mount namespace private: {}", e.desc()))?;
    if mount_proc {
        mounts::mount_proc().map_err(mount_proc_failed)?;
    }
    Ok(())
}

fn mount_proc_failed(e: Errno) -> String {
    let mut message = format!("cannot mount /proc: {}", e.desc());
    if e == Errno::EPERM && crate::sys::userns::in_user_namespace() {
        message.push_str(
            ": without privileges (rootless) the kernel allows a new /proc only where the /proc around it is \
             fully visible, and here parts of it are hidden by mounts over them (as container runtimes do); set \
             \"mountProc\": false for this namespace, or run privileged (as root)",
        );
    }
    message
}

impl<'a> NodeInit<'a> {
    fn new(ctx: &'a TreeContext, idx: u32, listener: OwnedFd) -> Result<Self, String> {
        let sys = |what: &str| {
            let what = what.to_string();
            move |e: Errno| limits::explain(&what, e)
        };
        let signals = signals::block_all().map_err(sys("signalfd"))?;
        // Our level in the host's NSpid lists: the root's, and one per namespace below it.
        let level = ctx.root_level + ctx.plan.nodes[idx as usize].depth as usize - 1;
        let epoll = Epoll::new(EpollCreateFlags::EPOLL_CLOEXEC).map_err(sys("epoll"))?;
        let control = ControlServer::new(listener);
        let watch = |fd: BorrowedFd<'_>, flags: EpollFlags, token: u64| epoll.add(fd, EpollEvent::new(flags, token));
        watch(signals.as_fd(), EpollFlags::EPOLLIN, Token::Signals.to_u64()).map_err(sys("epoll"))?;
        watch(control.listener(), EpollFlags::EPOLLIN, Token::Listener.to_u64()).map_err(sys("epoll"))?;
        watch(ctx.events(), EpollFlags::empty(), Token::Events.to_u64()).map_err(sys("epoll"))?;
        Ok(NodeInit {
            ctx,
            idx,
            signals,
            epoll,
            control,
            relay: None,
            outbox: Outbox::default(),
            null: None,
            me: None,
            user_inits: HashMap::new(),
            life: Lifecycle::default(),
            next_slot: HashMap::new(),
            sessions: HashMap::new(),
            stopping: Stopping::new(ORPHAN_SCAN),
            terminated: HashSet::new(),
            level,
            relay_on: true,
            events_out: false,
            reap_needed: true,
        })
    }

    fn node(&self) -> &'a pidns_model::PlanNode {
        let ctx: &'a TreeContext = self.ctx;
        &ctx.plan.nodes[self.idx as usize]
    }

    /// /dev/null, for the stdin of the processes we start.
    fn null(&mut self) -> Result<RawFd, String> {
        if self.null.is_none() {
            self.null = Some(fd::dev_null().map_err(|e| limits::explain("cannot open /dev/null", e))?);
        }
        Ok(self.null.as_ref().map(|f| f.as_raw_fd()).expect("opened"))
    }

    /// The relay of our children's output, made (and watched) the first time.
    fn relay(&mut self) -> Result<&mut Relay, Errno> {
        if self.relay.is_none() {
            let relay = Relay::new()?;
            self.epoll.add(relay.fd(), EpollEvent::new(EpollFlags::EPOLLIN, Token::Relay.to_u64()))?;
            self.relay = Some(relay);
        }
        Ok(self.relay.as_mut().expect("made"))
    }

    fn send(&mut self, msg: &TreeMessage<'_>) {
        self.outbox.send(self.ctx.events(), msg);
    }

    fn error(&mut self, node: u32, message: String) {
        self.send(&TreeMessage::Error { node, message });
    }

    /// The node's processes in spec order, then its child namespaces in spec order. A failure
    /// is reported and ends the start-up: the node then stops what it started.
    fn start_up(&mut self) {
        let node = self.node();
        for (slot, spec) in node.processes.iter().enumerate() {
            let key = ProcKey { node: self.idx, slot: slot as u32 };
            if let Err(message) = self.launch_declared(key, spec, None) {
                return self.start_failed(message);
            }
        }
        for &child in &node.children {
            if self.stop_requested() {
                return;
            }
            let result = match self.ctx.plan.nodes[child].init.command {
                Some(_) => self.spawn_user_namespace(child as u32),
                None => self.spawn_namespace(child as u32),
            };
            if let Err(message) = result {
                return self.start_failed(message);
            }
        }
    }

    fn start_failed(&mut self, message: String) {
        self.error(self.idx, message);
        self.begin_stop();
    }

    /// Whether a SIGTERM came during start-up (other signals are passed on as usual).
    fn stop_requested(&mut self) -> bool {
        self.read_signals();
        self.stopping.started()
    }

    /// Forks declared process `spec` as `key` with its output relayed: new pipes, or a new
    /// terminal with `"tty": true`. `mounts_of` as for `Setup`. Its `start` is sent before any
    /// of its output.
    fn launch_declared(
        &mut self,
        key: ProcKey,
        spec: &ProcessSpec,
        mounts_of: Option<BorrowedFd<'_>>,
    ) -> Result<(), String> {
        if spec.tty {
            return self.launch_with_terminal(key, spec, mounts_of);
        }
        let what = format!("cannot make the output pipes of {}", spec.name);
        let pipes = || pipe2(OFlag::O_CLOEXEC).map_err(|e| limits::explain(&what, e));
        let ((out_r, out_w), (err_r, err_w)) = (pipes()?, pipes()?);
        let stdio = [self.null()?, out_w.as_raw_fd(), err_w.as_raw_fd()];
        self.launch_relayed(key, spec, mounts_of, stdio, vec![out_w, err_w], Output::Pipes(out_r, err_r))
    }

    /// `"tty": true`: forks `spec` as process `key` on a new pseudo-terminal (its stdin, stdout
    /// and stderr), as the leader of a new session with it as controlling terminal. We hold the
    /// master and relay it as the process's stdout: a terminal has one stream. The terminal
    /// leaves `\n` alone (no ONLCR), so its lines are what the program wrote; nobody types on it.
    fn launch_with_terminal(
        &mut self,
        key: ProcKey,
        spec: &ProcessSpec,
        mounts_of: Option<BorrowedFd<'_>>,
    ) -> Result<(), String> {
        let what = format!("cannot make the terminal of {}", spec.name);
        let pty = pty::open(pty::DEFAULT_SIZE)
            .and_then(|p| pty::output_as_written(p.slave.as_fd()).map(|()| p))
            .map_err(|e| limits::explain(&what, e))?;
        let slave = pty.slave.as_raw_fd();
        // From the fork on only the process (and what it starts) holds the terminal: the master
        // reads EIO, its end, once they have all closed it.
        self.launch_relayed(key, spec, mounts_of, [slave, slave, slave], vec![pty.slave], Output::Terminal(pty.master))
    }

    /// What both launch paths share: forks `spec` as process `key` (a declared process, held
    /// at the start-up's gate like any) with `stdio`, drops `theirs` (the child's ends of its
    /// output, which we must not hold), tells the host, and relays `output`.
    fn launch_relayed(
        &mut self,
        key: ProcKey,
        spec: &ProcessSpec,
        mounts_of: Option<BorrowedFd<'_>>,
        stdio: [RawFd; 3],
        theirs: Vec<OwnedFd>,
        output: Output,
    ) -> Result<(), String> {
        let setup = Setup {
            key,
            spec,
            exe: self.ctx.paths.get(spec),
            stdio,
            events: self.ctx.events(),
            nofile: self.ctx.nofile,
            mounts_of,
            session: matches!(output, Output::Terminal(_)),
            gate: self.ctx.gate(),
        };
        let (pid, pidfd) = fork_explained(&setup, &format!("cannot fork {}", spec.name))?;
        drop(theirs);
        let child = Child::Process { key, counts: true };
        self.announce(pid, &pidfd, child, &spec.name, &spec.command, true)?;
        self.track_relayed(pid, &pidfd, child, output, &spec.name)
    }

    /// Tracks an announced child whose output we relay. If its output cannot be watched it is
    /// killed (its output would go nowhere) and reported when reaped; the host hears at once
    /// that there is no output to wait for. `name` says whose output in the error.
    fn track_relayed(
        &mut self,
        pid: Pid,
        pidfd: &OwnedFd,
        child: Child,
        output: Output,
        name: &str,
    ) -> Result<(), String> {
        let key = child.key().expect("an announced child");
        let streams = output.streams();
        let added = self.relay().and_then(|relay| match output {
            Output::Pipes(out, err) => relay.add(key, out, err),
            Output::Terminal(master) => relay.add_terminal(key, master),
        });
        match added {
            Ok(()) => {
                self.life.started(pid.as_raw(), child, streams);
                Ok(())
            }
            Err(e) => {
                let _ = pidfd::send_signal(pidfd.as_fd(), libc::SIGKILL);
                self.life.started(pid.as_raw(), child, 0);
                self.send(&TreeMessage::Closed { key });
                Err(limits::explain(&format!("cannot relay the output of {name}"), e))
            }
        }
    }

    /// Tells the host `child` exists; returns its host PID. If its PIDs cannot be read, it is
    /// killed: a process the host was never told of must not run (nor be reported).
    fn announce(
        &mut self,
        pid: Pid,
        pidfd: &OwnedFd,
        child: Child,
        name: &str,
        command: &[String],
        relayed: bool,
    ) -> Result<i32, String> {
        let key = child.key().expect("a child to announce has a key");
        match launch::start_message(key, name, command, relayed, pidfd.as_fd(), self.ctx.host_proc()) {
            Ok((msg, host_pid)) => {
                self.send(&msg);
                Ok(host_pid)
            }
            Err(e) => {
                let _ = pidfd::send_signal(pidfd.as_fd(), libc::SIGKILL);
                self.life.started(pid.as_raw(), Child::Silent, 0);
                Err(limits::explain(&format!("cannot read the PIDs of {name}"), e))
            }
        }
    }

    /// Creates the child namespace `child` with our init as its PID 1: its control socket is
    /// bound here first, and the clone carries on in `run`, without exec, once we have told
    /// the host about it.
    fn spawn_namespace(&mut self, child: u32) -> Result<(), String> {
        let ctx: &'a TreeContext = self.ctx;
        let path = &ctx.plan.nodes[child as usize].path;
        let listener = ctlsock::listen(&socket_name(&self.ctx.token, child)).map_err(|e| match e {
            Errno::EADDRINUSE => format!(
                "cannot create the control socket of {path}: its name is taken (another process holds @{})",
                socket_name(&self.ctx.token, child)
            ),
            e => limits::explain(&format!("cannot create the control socket of {path}"), e),
        })?;
        let pipe = || pipe2(OFlag::O_CLOEXEC).map_err(|e| limits::explain("cannot make a pipe", e));
        let (go_r, go_w) = pipe()?;
        // In plan order, the child's whole subtree comes before our next item.
        let subtree = if ctx.plan.reproducible_pids { Some(pipe()?) } else { None };
        // SAFETY: the init is single-threaded: the child may run any code (it becomes the
        // child namespace's init).
        match unsafe { clone::clone_into_namespaces(clone::NODE_NAMESPACES) } {
            Ok(clone::Forked::Child) => {
                // Our pipes, sockets and signalfd are not the new init's: it starts clean.
                let optional = |f: Option<&OwnedFd>| f.map_or(-1, |f| f.as_raw_fd());
                fd::keep_only(&[
                    self.ctx.events.as_raw_fd(),
                    self.ctx.host_proc.as_raw_fd(),
                    listener.as_raw_fd(),
                    go_r.as_raw_fd(),
                    optional(self.ctx.gate.as_ref()),
                    optional(subtree.as_ref().map(|(_, w)| w)),
                ]);
                let holds = StartHolds { gate: None, subtree: subtree.map(|(_, w)| w) };
                run(self.ctx, child, listener, Some(go_r), holds)
            }
            Ok(clone::Forked::Parent { pid, pidfd }) => {
                drop((listener, go_r));
                let subtree_done = subtree.map(|(r, _)| r);
                let key = ProcKey::init(child);
                let announced = self.announce(
                    pid,
                    &pidfd,
                    Child::Namespace { key, ours: true },
                    INIT_NAME,
                    &["pidns-init".to_string()],
                    false,
                );
                // The child speaks only after its `start` is out.
                self.outbox.flush_all(self.ctx.events());
                let _ = nix::unistd::write(&go_w, &[1]);
                announced?;
                self.life.started(pid.as_raw(), Child::Namespace { key, ours: true }, 0);
                if let Some(done) = subtree_done {
                    self.wait_for_subtree(done.as_fd());
                }
                Ok(())
            }
            Err(e) => Err(limits::explain(&format!("cannot create namespace {path}"), e)),
        }
    }

    /// Waits until a child init has created its whole subtree (reproducible PIDs), or a stop
    /// begins: the stop goes on to that child too, which then ends its own start-up.
    fn wait_for_subtree(&mut self, done: BorrowedFd<'_>) {
        loop {
            match start_order::wait_subtree(done, self.signals.as_fd()) {
                Ok(Woken::Signal) => {
                    self.read_signals();
                    if self.stopping.started() {
                        return;
                    }
                }
                // A failed poll cannot keep the tree from starting: the order is then lost,
                // not the tree.
                Ok(Woken::SubtreeDone) | Err(_) => return,
            }
        }
    }

    /// Creates the child namespace `child` whose PID 1 is the user's command (with output pipes
    /// we relay), then starts its processes in it from here.
    fn spawn_user_namespace(&mut self, child: u32) -> Result<(), String> {
        let ctx: &'a TreeContext = self.ctx;
        let node = &ctx.plan.nodes[child as usize];
        let user = node.init.command.as_ref().expect("a user init");
        let key = ProcKey::init(child);
        let pipes = || {
            pipe2(OFlag::O_CLOEXEC)
                .map_err(|e| limits::explain(&format!("cannot make the output pipes of {}", node.path), e))
        };
        let ((out_r, out_w), (err_r, err_w)) = (pipes()?, pipes()?);
        // `ready` closes on exec: then the user's PID 1 has its mounts.
        let (ready_r, ready_w) = pipes()?;
        let null = self.null()?;
        let (go_r, go_w) = pipes()?;
        // SAFETY: as in spawn_namespace; the child execs the user's command.
        match unsafe { clone::clone_into_namespaces(clone::NODE_NAMESPACES) } {
            Ok(clone::Forked::Child) => {
                let setup = become_namespace_init(node.mount_proc);
                let _ = nix::unistd::read(&go_r, &mut [0u8; 1]);
                if let Err(message) = setup {
                    let msg = TreeMessage::Error { node: child, message };
                    let _ = crate::sys::seqpacket::send(self.ctx.events(), &msg.to_bytes(), &[]);
                    crate::sys::process::exit_now(1);
                }
                // `ready_w` (close-on-exec) stays open until the exec below.
                launch::become_process(&Setup {
                    key,
                    spec: user,
                    exe: self.ctx.paths.get(user),
                    stdio: [null, out_w.as_raw_fd(), err_w.as_raw_fd()],
                    events: self.ctx.events(),
                    nofile: self.ctx.nofile,
                    mounts_of: None,
                    session: false,
                    gate: self.ctx.gate(),
                })
            }
            Ok(clone::Forked::Parent { pid, pidfd }) => {
                drop((out_w, err_w, ready_w, go_r));
                let announced =
                    self.announce(pid, &pidfd, Child::Namespace { key, ours: false }, INIT_NAME, &user.command, true);
                self.outbox.flush_all(self.ctx.events());
                let _ = nix::unistd::write(&go_w, &[1]);
                announced?;
                let init = Child::Namespace { key, ours: false };
                self.track_relayed(pid, &pidfd, init, Output::Pipes(out_r, err_r), &node.path)?;
                // Wait until the user's PID 1 has its mounts (or died), then start its
                // namespace's processes from here.
                let _ = nix::unistd::read(&ready_r, &mut [0u8; 1]);
                for (slot, spec) in node.processes.iter().enumerate() {
                    let key = ProcKey { node: child, slot: slot as u32 };
                    if let Err(message) = self.launch_into(&pidfd, |init, ns| init.launch_declared(key, spec, Some(ns)))
                    {
                        // Its PID 1 may already have exited: the kernel then refuses anything
                        // new in that namespace. That namespace failed, not the tree.
                        self.error(child, message);
                        break;
                    }
                }
                self.user_inits.insert(child, pidfd);
                Ok(())
            }
            Err(e) => Err(limits::explain(&format!("cannot create namespace {}", node.path), e)),
        }
    }

    /// Runs `launch` with our children's PID namespace pointed at the namespace whose PID 1 (the
    /// user's command) is `ns_init`, and back.
    fn launch_into(
        &mut self,
        ns_init: &OwnedFd,
        launch: impl FnOnce(&mut Self, BorrowedFd<'_>) -> Result<(), String>,
    ) -> Result<(), String> {
        setns::pid_ns_for_children(ns_init.as_fd()).map_err(|e| match e {
            Errno::ESRCH => "its PID 1 exited before its processes could be started".to_string(),
            e => format!("cannot enter the namespace: {}", e.desc()),
        })?;
        let result = launch(self, ns_init.as_fd());
        let me = match &self.me {
            Some(me) => me,
            None => self
                .me
                .insert(pidfd::open(nix::unistd::getpid()).map_err(|e| limits::explain("a pidfd of the init", e))?),
        };
        setns::pid_ns_for_children(me.as_fd()).map_err(|e| format!("cannot return to our namespace: {}", e.desc()))?;
        result
    }

    /// Serves an exec request: the command runs in `node` (ours, or a child whose PID 1 is the
    /// user's) as our child, with the requester's stdio. The reply says whether it runs.
    fn serve(&mut self, incoming: Incoming) {
        let Incoming { request: Request::Exec { node, process }, fds, conn } = incoming;
        let reply = match self.exec(node, &process, fds) {
            Ok(slot) => Reply::Started { slot },
            Err(message) => Reply::Refused { message },
        };
        control_server::answer(conn.as_fd(), &reply);
    }

    fn exec(&mut self, node: u32, spec: &ProcessSpec, fds: Vec<OwnedFd>) -> Result<u32, String> {
        let path =
            self.ctx.plan.nodes.get(node as usize).map(|n| n.path.clone()).ok_or(format!("there is no node {node}"))?;
        // Nothing new once a stop has begun: it would escape the SIGTERM/SIGKILL sequence.
        if self.stopping.started() {
            return Err(format!("namespace {path} is stopping"));
        }
        let stdio = <[OwnedFd; 3]>::try_from(fds).map_err(|_| "exec needs stdin, stdout and stderr".to_string())?;
        // A terminal session (`tty`) needs a terminal to control.
        if spec.tty && !stdio[0].is_terminal() {
            return Err("exec with a terminal (tty) needs a terminal as stdin".to_string());
        }
        let declared = self.ctx.plan.nodes[node as usize].processes.len() as u32;
        let slot = *self.next_slot.entry(node).or_insert(declared);
        let key = ProcKey { node, slot };
        let fork = |init: &mut Self, mounts_of: Option<BorrowedFd<'_>>| -> Result<(), String> {
            // A terminal session's leader waits at a gate of its own until its session is
            // tracked: until then the session holds the leader alone, so a failure in between
            // (announce kills the leader) leaves nothing of the session behind. The gate opens
            // when `gate` is dropped, after the kill or the tracking.
            let gate =
                spec.tty.then(start_order::pipe).transpose().map_err(|e| limits::explain("cannot make a pipe", e))?;
            let setup = Setup {
                key,
                spec,
                // Looked up afresh by execvp: the tree may be old by now.
                exe: None,
                stdio: [stdio[0].as_raw_fd(), stdio[1].as_raw_fd(), stdio[2].as_raw_fd()],
                events: init.ctx.events(),
                nofile: init.ctx.nofile,
                mounts_of,
                session: spec.tty,
                // Exec'd once the tree is up: never held by the start-up's gate.
                gate: gate.as_ref().map(|(held, _)| held.as_fd()),
            };
            let (pid, pidfd) = fork_explained(&setup, "cannot fork")?;
            let child = Child::Process { key, counts: false };
            // The one read of its PIDs: the host PID is also the session's ID in the host's /proc.
            let host_pid = init.announce(pid, &pidfd, child, &spec.name, &spec.command, false)?;
            init.life.started(pid.as_raw(), child, 0);
            if spec.tty {
                // Its session ends with it (`reap_all`).
                init.sessions.insert(pid.as_raw(), host_pid);
            }
            drop(gate);
            Ok(())
        };
        if node == self.idx {
            fork(self, None)?;
        } else {
            let ns_init =
                self.user_inits.remove(&node).ok_or(format!("namespace {path} is not served by this init"))?;
            let result = self.launch_into(&ns_init, |init, ns| fork(init, Some(ns)));
            self.user_inits.insert(node, ns_init);
            result?;
        }
        self.next_slot.insert(node, slot + 1);
        Ok(slot)
    }

    fn run(&mut self) -> i32 {
        let mut ready = [EpollEvent::empty(); 32];
        loop {
            if self.reap_needed {
                self.reap_all();
            }
            let facts = Facts { all_reaped: self.life.all_reaped(), all_reported: self.life.all_reported() };
            match decisions::next(facts, reaper::has_children) {
                Next::GoOn => {}
                Next::StopOrphans => self.begin_stop(),
                Next::Finish => break,
            }
            match self.stopping.due(Instant::now()) {
                Due::Kill => {
                    forwarding::everyone_below(Signal::SIGKILL);
                }
                Due::ScanOrphans => self.terminate_new_children(),
                Due::Nothing => {}
            }
            if self.outbox.host_gone() {
                // Our owner is gone. As PID 1, exiting makes the kernel kill everything below.
                return 1;
            }
            self.watch();
            let n = match self.epoll.wait(&mut ready, self.timeout()) {
                Ok(n) => n,
                Err(Errno::EINTR) => 0,
                Err(_) => return 1,
            };
            for event in &ready[..n] {
                let Some(token) = Token::from_u64(event.data()) else { continue };
                match token {
                    Token::Signals => self.read_signals(),
                    Token::Listener => self.control.accept(&self.epoll, |fd| Token::Connection(fd).to_u64()),
                    Token::Relay => {
                        let Some(relay) = self.relay.as_mut() else { continue };
                        for key in relay.pump(&mut self.outbox, self.ctx.events()) {
                            self.life.streams_closed(key);
                            self.send(&TreeMessage::Closed { key });
                        }
                    }
                    Token::Events => {
                        if event.events().intersects(EpollFlags::EPOLLHUP | EpollFlags::EPOLLERR) {
                            return 1;
                        }
                        self.outbox.flush(self.ctx.events());
                    }
                    Token::Connection(fd) => {
                        if let Some(incoming) = self.control.take(fd, &self.epoll) {
                            self.serve(incoming);
                        }
                    }
                }
            }
        }
        self.outbox.flush_all(self.ctx.events());
        self.life.code()
    }

    /// Points the epoll at what matters now: output only while the host keeps up, the event
    /// socket's room only while something waits to be sent.
    fn watch(&mut self) {
        let relay_on = !self.outbox.backlogged();
        if let Some(relay) = self.relay.as_ref().filter(|_| relay_on != self.relay_on) {
            let flags = if relay_on { EpollFlags::EPOLLIN } else { EpollFlags::empty() };
            let _ = self.epoll.modify(relay.fd(), &mut EpollEvent::new(flags, Token::Relay.to_u64()));
            self.relay_on = relay_on;
        }
        let events_out = self.outbox.pending();
        if events_out != self.events_out {
            let flags = if events_out { EpollFlags::EPOLLOUT } else { EpollFlags::empty() };
            let _ = self.epoll.modify(self.ctx.events(), &mut EpollEvent::new(flags, Token::Events.to_u64()));
            self.events_out = events_out;
        }
    }

    fn timeout(&self) -> EpollTimeout {
        match self.stopping.wait(Instant::now()) {
            None => EpollTimeout::NONE,
            Some(wait) => EpollTimeout::try_from(wait.max(Duration::from_millis(1))).unwrap_or(EpollTimeout::NONE),
        }
    }

    fn read_signals(&mut self) {
        while let Ok(Some(info)) = self.signals.read_signal() {
            match info.ssi_signo as i32 {
                libc::SIGCHLD => self.reap_needed = true,
                libc::SIGTERM => self.begin_stop(),
                sig if forwarding::is_forwarded(sig) => self.forward(sig),
                _ => {}
            }
        }
    }

    /// SIGTERM to each of our children (processes, child inits that stop their own subtree,
    /// orphans), then SIGKILL to everything below once `stopTimeout` has passed.
    fn begin_stop(&mut self) {
        let grace = Duration::from_millis(self.node().init.stop_timeout_ms);
        if !self.stopping.begin(grace, Instant::now()) {
            return;
        }
        self.forward(libc::SIGTERM);
        let running: Vec<i32> = self.life.running().map(|(pid, _)| pid).collect();
        self.terminated.extend(running);
        self.terminate_new_children();
    }

    /// SIGTERM to every child not yet sent one: orphans adopted since the stop began.
    fn terminate_new_children(&mut self) {
        self.stopping.scanned(Instant::now());
        for pid in children::list(self.ctx.host_proc(), Some(self.level)) {
            if self.terminated.insert(pid.as_raw()) {
                let _ = forwarding::send(pid, libc::SIGTERM, Forward::Process);
            }
        }
    }

    /// Passes a signal on to what we started: processes (or their groups, as the node says)
    /// and the PID 1s of child namespaces (our inits pass it on in turn).
    fn forward(&self, sig: i32) {
        let mode = self.node().init.forward;
        for (pid, child) in self.life.running() {
            let _ = match child {
                Child::Process { .. } => forwarding::send(Pid::from_raw(pid), sig, mode),
                Child::Namespace { .. } => forwarding::send(Pid::from_raw(pid), sig, Forward::Process),
                Child::Silent => Ok(()),
            };
        }
    }

    /// Reaps until nothing has ended, reporting each exit (once its output is out) and each
    /// orphan, with its PIDs at every level.
    fn reap_all(&mut self) {
        self.reap_needed = false;
        while let Some(pid) = reaper::peek_ended() {
            let tracked = self.life.is_tracked(pid.as_raw());
            // An orphan's PIDs can only be read while it is a zombie: before reaping it.
            let orphan_nspid = if tracked { None } else { reaper::nspid_of_zombie(pid, self.ctx.host_proc()) };
            let Some(status) = reaper::reap(pid) else { continue };
            if let Some(leader) = self.sessions.remove(&pid.as_raw()) {
                // An exec'd terminal session ends with its leader, before its exit is told:
                // nothing the user started from that terminal is left (see `session`).
                session::end(self.ctx.host_proc(), leader, self.level);
            }
            match self.life.reaped(pid.as_raw(), status) {
                Reaped::Report(key, status) => {
                    self.send(&TreeMessage::Exit { key, status });
                    // A `"tty": true` process's terminal is closed only once it has exited.
                    if let Some(relay) = self.relay.as_mut() {
                        relay.exited(key);
                    }
                }
                Reaped::Silent => {}
                Reaped::Orphan => {
                    let nspid = orphan_nspid.unwrap_or_else(|| vec![pid.as_raw()]);
                    self.send(&TreeMessage::Reap { node: self.idx, nspid, status });
                }
            }
        }
    }
}

/// The read ends of a relayed child's output, which the relay takes.
enum Output {
    /// stdout and stderr.
    Pipes(OwnedFd, OwnedFd),
    /// A terminal's master (`"tty": true`): one stream, relayed as stdout.
    Terminal(OwnedFd),
}

impl Output {
    fn streams(&self) -> u8 {
        match self {
            Output::Pipes(..) => 2,
            Output::Terminal(_) => 1,
        }
    }
}

/// Forks `setup`'s process. A refusal says why, in every launch path alike: `what` and the
/// limit (limits::explain), or that the namespace's PID 1 has exited when the fork goes into a
/// namespace from outside it (`mounts_of`) and the kernel says ENOMEM.
fn fork_explained(setup: &Setup<'_>, what: &str) -> Result<(Pid, OwnedFd), String> {
    launch::fork_process(setup).map_err(|e| fork_failed(what, e, setup.mounts_of.is_some()))
}
