//! The kernel's rules for PID namespaces, as a state machine: namespaces and the PIDs they hand
//! out, fork, exit, reparenting, zombies and reaping, signals and who may receive them, and
//! what happens when a namespace's PID 1 dies. Written from pid_namespaces(7), clone(2),
//! kill(2) and the kernel sources they describe (kernel/pid.c alloc_pid, kernel/exit.c
//! find_new_reaper, kernel/pid_namespace.c zap_pid_ns_processes, kernel/signal.c
//! sig_task_ignored and kill_something_info); each rule cites where it comes from.
//!
//! Nothing here runs a program: what a process *does* (pidns-tree's init reaps and forwards,
//! a user's program follows the steps it is given) is decided outside, from the [`Notice`]s
//! this machine queues.
use std::collections::{BTreeMap, VecDeque};

use crate::signal::{DefaultAction, Signal};

/// A PID as some namespace sees it.
pub type Pid = u32;

/// A process of the model (an index, stable for the whole run; never reused as PIDs never are
/// within one run, see `alloc`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProcId(pub usize);

/// A PID namespace of the model (an index).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NsId(pub usize);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Errno {
    /// No such process (kill(2)), as the sender's namespace sees it.
    Esrch,
    /// fork into a namespace whose PID 1 has exited (clone(2): "the PID namespace ... has
    /// been shut down", alloc_pid's !PIDNS_ADDING).
    Enomem,
    /// setsid(2) by a process group leader.
    Eperm,
    /// clone(2) with CLONE_NEWPID past the 32nd level below the initial namespace
    /// (MAX_PID_NS_LEVEL).
    Enospc,
}

impl Errno {
    pub fn name(self) -> &'static str {
        match self {
            Errno::Esrch => "ESRCH",
            Errno::Enomem => "ENOMEM",
            Errno::Eperm => "EPERM",
            Errno::Enospc => "ENOSPC",
        }
    }
}

/// How a process ended: exited with `code`, or killed by `signal` (then `code` is 128+N, as
/// pidns-tree and shells report it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExitStatus {
    pub code: i32,
    pub signal: Option<Signal>,
}

impl ExitStatus {
    pub fn exited(code: i32) -> ExitStatus {
        ExitStatus { code, signal: None }
    }

    pub fn killed(signal: Signal) -> ExitStatus {
        ExitStatus { code: 128 + signal.number(), signal: Some(signal) }
    }

    pub fn success(self) -> bool {
        self.code == 0 && self.signal.is_none()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Running,
    /// By SIGSTOP and its kin; SIGCONT resumes it.
    Stopped,
    /// A PID 1 that has exited and waits, as the kernel makes it (zap_pid_ns_processes), until
    /// every other PID of its namespace is free; only then does its parent learn of its exit.
    Exiting,
    /// Ended, waiting for its parent to reap it. Its PIDs stay taken and /proc still lists it.
    Zombie,
    /// Gone: reaped, its PIDs free (unless a process group or session still uses them).
    Reaped,
}

impl State {
    pub fn alive(self) -> bool {
        matches!(self, State::Running | State::Stopped)
    }
}

/// Who a process's parent is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parent {
    /// Outside the tree (pidns-tree itself for the root init, or a host process that entered a
    /// namespace with setns): it reaps its children at once and sees no PID of ours.
    Host,
    Process(ProcId),
}

/// How a process treats signals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// pidns-tree's init: every catchable signal blocked and read from a signalfd, so none is
    /// ever ignored for it (kernel/signal.c sig_ignored: "Blocked signals are never ignored").
    Catches,
    /// No handler, nothing blocked: every signal does its default action.
    Defaults,
}

/// Who sends a signal, which decides whether a namespace's PID 1 must take SIGKILL/SIGSTOP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sender {
    /// A process outside the tree (pidns-tree through a pidfd, or any host process).
    Host,
    Process(ProcId),
    /// The kernel itself (SEND_SIG_PRIV), as when a dying PID 1 takes its namespace with it.
    Kernel,
}

/// Who reaped a process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reaper {
    /// Its parent, with wait().
    Parent(ProcId),
    /// Its parent outside the tree.
    Host,
    /// The kernel, without anyone seeing it: the parent was a dying PID 1 (it ignores SIGCHLD
    /// while it waits for its namespace to empty).
    Kernel,
}

/// What the machine tells the world after an operation, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    /// A process that catches signals (our init) has `signal` to read from its signalfd.
    Caught { to: ProcId, signal: Signal },
    /// A child of `parent` has ended: a new zombie is there to reap (SIGCHLD).
    ChildEnded { parent: ProcId },
    /// A process has ended (exited or was killed): its file descriptors are closed.
    Ended(ProcId),
    /// A process is gone.
    Reaped { process: ProcId, by: Reaper },
    /// A stopped process that catches signals was continued: it has work to catch up on.
    Continued(ProcId),
    /// `orphan` became `by`'s child when its parent `from` ended. `from_outside`: `from` did not
    /// descend from `by` (it entered the namespace from outside, or descends from one that did),
    /// so nothing of `by`'s own waited on it.
    Adopted { orphan: ProcId, from: ProcId, by: ProcId, from_outside: bool },
}

#[derive(Debug, Clone)]
pub struct Namespace {
    pub parent: Option<NsId>,
    /// 0 for the tree's root namespace (the host's level is not counted here).
    pub level: usize,
    /// Its PID 1 (child_reaper) once there is one.
    pub reaper: Option<ProcId>,
    /// False once its PID 1 has exited: nothing new may enter (disable_pid_allocation).
    pub adding: bool,
    /// The last number handed out: numbers go up by one and are not reused until pid_max
    /// (idr_alloc_cyclic), also after a failed fork (the cursor has moved on).
    cursor: Pid,
    /// Numbers in use and whose they are: a process's own PID, kept while it lives or is a
    /// zombie, and while it still names a process group or session.
    numbers: BTreeMap<Pid, ProcId>,
}

#[derive(Debug, Clone)]
pub struct Process {
    pub ns: NsId,
    /// Its PID at every level, from the tree's root namespace down to its own.
    pub pids: Vec<Pid>,
    pub parent: Parent,
    /// In the order the kernel keeps them: forked ones in fork order, adopted ones at the end.
    pub children: Vec<ProcId>,
    pub state: State,
    pub status: Option<ExitStatus>,
    /// Its process group and session, by their leader; None when the leader is outside the
    /// tree (a host process's group, inherited through setns and fork).
    pub pgid: Option<ProcId>,
    pub sid: Option<ProcId>,
    /// PR_SET_CHILD_SUBREAPER: orphans below it come to it rather than to PID 1.
    pub subreaper: bool,
    pub disposition: Disposition,
    /// Fatal signals sent while it was stopped: they act when SIGCONT wakes it.
    pending: Vec<Signal>,
}

/// Linux's MAX_PID_NS_LEVEL: PID namespaces below the initial one.
pub const MAX_LEVELS: usize = 32;

#[derive(Debug, Clone, Default)]
pub struct Kernel {
    /// Levels the host's own namespace is below the initial one (the tree's root is one more).
    pub host_levels: usize,
    pub namespaces: Vec<Namespace>,
    pub processes: Vec<Process>,
    pub notices: VecDeque<Notice>,
}

impl Kernel {
    pub fn ns(&self, id: NsId) -> &Namespace {
        &self.namespaces[id.0]
    }

    pub fn process(&self, id: ProcId) -> &Process {
        &self.processes[id.0]
    }

    /// A new PID namespace below `parent` (or the tree's root). Its PID 1 is the first
    /// process forked into it. ENOSPC past the kernel's 32 levels (counting the host's).
    pub fn new_namespace(&mut self, parent: Option<NsId>) -> Result<NsId, Errno> {
        let level = parent.map(|p| self.ns(p).level + 1).unwrap_or(0);
        if self.host_levels + level + 1 > MAX_LEVELS {
            return Err(Errno::Enospc);
        }
        self.namespaces.push(Namespace {
            parent,
            level,
            reaper: None,
            adding: true,
            cursor: 0,
            numbers: BTreeMap::new(),
        });
        Ok(NsId(self.namespaces.len() - 1))
    }

    /// `ns` and its ancestors, innermost first.
    fn chain(&self, ns: NsId) -> Vec<NsId> {
        let mut out = vec![ns];
        while let Some(p) = self.ns(*out.last().unwrap_or(&ns)).parent {
            out.push(p);
        }
        out
    }

    /// Whether `inner` is `outer` or lies below it.
    pub fn within(&self, inner: NsId, outer: NsId) -> bool {
        self.chain(inner).contains(&outer)
    }

    /// The PID `p` has in `ns`, if `ns` can see it (its own namespace or an ancestor).
    pub fn pid_in(&self, p: ProcId, ns: NsId) -> Option<Pid> {
        let proc = self.process(p);
        self.within(proc.ns, ns).then(|| proc.pids[self.ns(ns).level])
    }

    /// A PID in `ns` for a new process, and one in every ancestor (alloc_pid). `fixed` gives
    /// the numbers, innermost level last (a start-up order decided outside); otherwise each
    /// level takes the number after its cursor. Fails with ENOMEM when `ns` no longer
    /// accepts processes, after the cursors have moved: the numbers are lost for good.
    fn alloc(&mut self, ns: NsId, fixed: Option<&[Pid]>) -> Result<Vec<Pid>, Errno> {
        let chain = self.chain(ns);
        let mut pids = vec![0; chain.len()];
        for &n in &chain {
            let level = self.ns(n).level;
            let space = &mut self.namespaces[n.0];
            let nr = match fixed {
                Some(f) => f[level],
                None => {
                    let mut nr = space.cursor + 1;
                    while space.numbers.contains_key(&nr) {
                        nr += 1;
                    }
                    nr
                }
            };
            space.cursor = space.cursor.max(nr);
            pids[level] = nr;
        }
        if !self.ns(ns).adding {
            return Err(Errno::Enomem);
        }
        Ok(pids)
    }

    /// fork(), or clone() into a new namespace, or fork after setns(): a child of `parent` in
    /// `ns`. The first process of a namespace is its PID 1. It inherits its parent's process
    /// group and session (a host parent's are outside the tree).
    pub fn fork(
        &mut self,
        parent: Parent,
        ns: NsId,
        disposition: Disposition,
        fixed: Option<&[Pid]>,
    ) -> Result<ProcId, Errno> {
        let pids = self.alloc(ns, fixed)?;
        let id = ProcId(self.processes.len());
        let (pgid, sid) = match parent {
            Parent::Process(p) => (self.process(p).pgid, self.process(p).sid),
            Parent::Host => (None, None),
        };
        for (level, n) in self.chain(ns).into_iter().rev().enumerate() {
            self.namespaces[n.0].numbers.insert(pids[level], id);
        }
        if pids[self.ns(ns).level] == 1 {
            // The namespace's child_reaper, with SIGNAL_UNKILLABLE (kernel/fork.c).
            self.namespaces[ns.0].reaper = Some(id);
        }
        self.processes.push(Process {
            ns,
            pids,
            parent,
            children: Vec::new(),
            state: State::Running,
            status: None,
            pgid,
            sid,
            subreaper: false,
            disposition,
            pending: Vec::new(),
        });
        if let Parent::Process(p) = parent {
            self.processes[p.0].children.push(id);
        }
        Ok(id)
    }

    /// setsid(2): a new session and process group led by `p`; EPERM for a group leader.
    pub fn setsid(&mut self, p: ProcId) -> Result<(), Errno> {
        if self.process(p).pgid == Some(p) {
            return Err(Errno::Eperm);
        }
        let old = (self.process(p).pgid, self.process(p).sid);
        self.processes[p.0].pgid = Some(p);
        self.processes[p.0].sid = Some(p);
        self.release_ids([old.0, old.1, None]);
        Ok(())
    }

    /// setpgid(0, 0): `p` leads a process group of its own (within its session).
    pub fn own_group(&mut self, p: ProcId) {
        let old = self.process(p).pgid;
        self.processes[p.0].pgid = Some(p);
        self.release_ids([old, None, None]);
    }

    /// PR_SET_CHILD_SUBREAPER.
    pub fn set_subreaper(&mut self, p: ProcId) {
        self.processes[p.0].subreaper = true;
    }

    /// kill(2) by `sender` of the processes it names with PID `target` as its namespace sees
    /// it (kill_something_info): N > 0 that process; 0 the sender's process group; -1 every
    /// process it can see but its namespace's PID 1 and itself; -N the group N. ESRCH when
    /// that names nobody. `signal` None is the probe (kill -0): checks, sends nothing.
    /// Returns who was signalled.
    pub fn kill_pid(&mut self, sender: ProcId, target: i64, signal: Option<Signal>) -> Result<Vec<ProcId>, Errno> {
        let ns = self.process(sender).ns;
        let level = self.ns(ns).level;
        let own_pid = |k: &Kernel, nr: i64| -> Option<ProcId> {
            let nr = Pid::try_from(nr).ok()?;
            let q = *k.ns(ns).numbers.get(&nr)?;
            (k.process(q).pids[level] == nr && k.process(q).state != State::Reaped).then_some(q)
        };
        let members = |k: &Kernel, leader: Option<ProcId>| -> Vec<ProcId> {
            (0..k.processes.len())
                .map(ProcId)
                .filter(|&q| k.process(q).state != State::Reaped && k.process(q).pgid == leader)
                .collect()
        };
        let targets: Vec<ProcId> = match target {
            n if n > 0 => own_pid(self, n).into_iter().collect(),
            0 => members(self, self.process(sender).pgid),
            -1 => (0..self.processes.len())
                .map(ProcId)
                .filter(|&q| q != sender && self.process(q).state != State::Reaped)
                .filter(|&q| self.pid_in(q, ns).is_some_and(|nr| nr > 1))
                .collect(),
            n => match Pid::try_from(-n).ok().and_then(|nr| self.ns(ns).numbers.get(&nr).copied()) {
                Some(leader) => members(self, Some(leader)),
                None => Vec::new(),
            },
        };
        if targets.is_empty() {
            return Err(Errno::Esrch);
        }
        if let Some(sig) = signal {
            for &q in &targets {
                self.send(Sender::Process(sender), q, sig);
            }
        }
        Ok(targets)
    }

    /// A signal to one process that the sender names directly (a pidfd, or a path resolved
    /// outside): ESRCH once it has been reaped.
    pub fn kill_process(&mut self, sender: Sender, target: ProcId, signal: Option<Signal>) -> Result<(), Errno> {
        if self.process(target).state == State::Reaped {
            return Err(Errno::Esrch);
        }
        if let Some(sig) = signal {
            self.send(sender, target, sig);
        }
        Ok(())
    }

    /// Delivers `sig` to `t` (send_signal_locked, prepare_signal, sig_task_ignored).
    pub fn send(&mut self, sender: Sender, t: ProcId, sig: Signal) {
        if !self.process(t).state.alive() {
            return;
        }
        // "Force if sent from an ancestor pid namespace": the sender has no PID in the
        // target's own namespace (the host and the kernel count as ancestors).
        let force = match sender {
            Sender::Host | Sender::Kernel => true,
            Sender::Process(s) => self.pid_in(s, self.process(t).ns).is_none(),
        };
        // SIGCONT wakes a stopped process whatever else becomes of the signal.
        if sig == Signal::CONT && self.process(t).state == State::Stopped {
            self.processes[t.0].state = State::Running;
            let pending = std::mem::take(&mut self.processes[t.0].pending);
            if let Some(&fatal) = pending.first() {
                self.die(t, ExitStatus::killed(fatal));
                return;
            }
            if self.process(t).disposition == Disposition::Catches {
                self.notices.push_back(Notice::Continued(t));
            }
        }
        let catches = self.process(t).disposition == Disposition::Catches && !sig.is_kernel_only();
        if catches {
            self.notices.push_back(Notice::Caught { to: t, signal: sig });
            return;
        }
        // SIGNAL_UNKILLABLE: a namespace's PID 1 ignores every signal it has no handler for,
        // except SIGKILL and SIGSTOP from an ancestor namespace.
        let unkillable = self.ns(self.process(t).ns).reaper == Some(t);
        if unkillable && !(force && sig.is_kernel_only()) {
            return;
        }
        match sig.default_action() {
            DefaultAction::Terminate if sig == Signal::KILL => self.die(t, ExitStatus::killed(sig)),
            DefaultAction::Terminate if self.process(t).state == State::Stopped => {
                self.processes[t.0].pending.push(sig);
            }
            DefaultAction::Terminate => self.die(t, ExitStatus::killed(sig)),
            DefaultAction::Stop => {
                if self.process(t).state == State::Running {
                    self.processes[t.0].state = State::Stopped;
                }
            }
            DefaultAction::Ignore | DefaultAction::Continue => {}
        }
    }

    /// `p` exits (exit(2), or a fatal signal): do_exit and exit_notify.
    pub fn die(&mut self, p: ProcId, status: ExitStatus) {
        if !self.process(p).state.alive() {
            return;
        }
        self.processes[p.0].status = Some(status);
        self.processes[p.0].pending.clear();
        self.notices.push_back(Notice::Ended(p));
        let ns = self.process(p).ns;
        if self.ns(ns).reaper == Some(p) {
            self.zap(p, ns);
            return;
        }
        self.processes[p.0].state = State::Zombie;
        self.reparent_children(p);
        self.notify_parent(p);
        self.complete_exits();
    }

    /// A namespace's PID 1 has exited (zap_pid_ns_processes): nothing may enter any more,
    /// everything with a PID in the namespace (its own processes and every namespace below)
    /// gets SIGKILL from the kernel, and the PID 1 ignores SIGCHLD so that its children are
    /// reaped unseen. It exits for good once its namespace holds no other PID.
    fn zap(&mut self, init: ProcId, ns: NsId) {
        self.namespaces[ns.0].adding = false;
        self.processes[init.0].state = State::Exiting;
        let level = self.ns(ns).level;
        let victims: Vec<ProcId> = self
            .ns(ns)
            .numbers
            .iter()
            .filter(|&(&nr, &q)| nr >= 2 && self.process(q).pids[level] == nr)
            .map(|(_, &q)| q)
            .collect();
        for q in victims {
            self.send(Sender::Kernel, q, Signal::KILL);
        }
        // Zombies it already had: reaped now, by the kernel on its behalf.
        let zombies: Vec<ProcId> =
            self.process(init).children.iter().copied().filter(|&c| self.process(c).state == State::Zombie).collect();
        for c in zombies {
            self.reap(c, Reaper::Kernel);
        }
        self.complete_exits();
    }

    /// The new parent of an orphan of `father` (find_new_reaper): the nearest living
    /// subreaper above it in its own namespace, otherwise its namespace's PID 1.
    fn new_reaper(&self, father: ProcId) -> Option<ProcId> {
        let level = self.ns(self.process(father).ns).level;
        let mut up = self.process(father).parent;
        while let Parent::Process(r) = up {
            let proc = self.process(r);
            if proc.pids.len() - 1 != level {
                break;
            }
            if proc.subreaper && proc.state.alive() {
                return Some(r);
            }
            up = proc.parent;
        }
        self.ns(self.process(father).ns).reaper
    }

    fn reparent_children(&mut self, father: ProcId) {
        let orphans = std::mem::take(&mut self.processes[father.0].children);
        let Some(reaper) = self.new_reaper(father) else { return };
        let from_outside = !self.descends_from(father, reaper);
        for c in orphans {
            self.processes[c.0].parent = Parent::Process(reaper);
            self.processes[reaper.0].children.push(c);
            self.notices.push_back(Notice::Adopted { orphan: c, from: father, by: reaper, from_outside });
            if self.process(c).state == State::Zombie {
                self.notify_parent(c);
            }
        }
    }

    /// Whether `ancestor` is `p`'s parent, or its parent's, and so on.
    fn descends_from(&self, p: ProcId, ancestor: ProcId) -> bool {
        let mut up = self.process(p).parent;
        while let Parent::Process(q) = up {
            if q == ancestor {
                return true;
            }
            up = self.process(q).parent;
        }
        false
    }

    /// `p` is a zombie: its parent gets SIGCHLD, or reaps it at once when it is outside the
    /// tree, or the kernel does when the parent is a dying PID 1.
    fn notify_parent(&mut self, p: ProcId) {
        match self.process(p).parent {
            Parent::Host => self.reap(p, Reaper::Host),
            Parent::Process(q) if self.process(q).state == State::Exiting => self.reap(p, Reaper::Kernel),
            Parent::Process(q) => {
                self.notices.push_back(Notice::ChildEnded { parent: q });
                // A parent that catches signals also gets SIGCHLD to read; it reaps either way.
            }
        }
    }

    /// wait() by `by` (or the kernel, or the host) for zombie `p`.
    pub fn reap(&mut self, p: ProcId, by: Reaper) {
        if self.process(p).state != State::Zombie {
            return;
        }
        self.processes[p.0].state = State::Reaped;
        if let Parent::Process(q) = self.process(p).parent {
            self.processes[q.0].children.retain(|&c| c != p);
        }
        self.notices.push_back(Notice::Reaped { process: p, by });
        let (pgid, sid) = (self.process(p).pgid, self.process(p).sid);
        self.release_ids([Some(p), pgid, sid]);
        self.complete_exits();
    }

    /// Frees the PIDs of each of `ids` that nothing uses any more: neither its process (until
    /// reaped) nor a process group or session it leads (free_pid runs on the last reference).
    fn release_ids(&mut self, ids: [Option<ProcId>; 3]) {
        for id in ids.into_iter().flatten() {
            let used = self.process(id).state != State::Reaped
                || self.processes.iter().any(|q| q.state != State::Reaped && (q.pgid == Some(id) || q.sid == Some(id)));
            if used {
                continue;
            }
            let proc = &self.processes[id.0];
            for (level, n) in self.chain(proc.ns).into_iter().rev().enumerate() {
                let nr = self.processes[id.0].pids[level];
                if self.namespaces[n.0].numbers.get(&nr) == Some(&id) {
                    self.namespaces[n.0].numbers.remove(&nr);
                }
            }
        }
    }

    /// A dying PID 1 becomes a zombie once its namespace holds only its own PID.
    fn complete_exits(&mut self) {
        loop {
            let ready = self.namespaces.iter().enumerate().find_map(|(i, n)| {
                let r = n.reaper?;
                (self.process(r).state == State::Exiting && n.numbers.len() == 1).then_some((NsId(i), r))
            });
            let Some((_, init)) = ready else { return };
            self.processes[init.0].state = State::Zombie;
            self.notify_parent(init);
        }
    }

    /// What `ls /proc` shows in a /proc mounted for `ns`: every process with a PID there, alive
    /// or zombie, by that PID.
    pub fn proc_listing(&self, ns: NsId) -> Vec<Pid> {
        let level = self.ns(ns).level;
        self.ns(ns)
            .numbers
            .iter()
            .filter(|&(&nr, &q)| self.process(q).pids[level] == nr && self.process(q).state != State::Reaped)
            .map(|(&nr, _)| nr)
            .collect()
    }

    /// The PID the next process forked into `ns` would get (if nothing in use is in the way).
    pub fn next_pid(&self, ns: NsId) -> Pid {
        self.ns(ns).cursor + 1
    }

    /// Sets a namespace's cursor after a start-up that placed numbers explicitly.
    pub fn set_cursor(&mut self, ns: NsId, cursor: Pid) {
        self.namespaces[ns.0].cursor = cursor;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// root ns with PID 1 (a program that reaps nothing) and a child of it.
    fn two() -> (Kernel, NsId, ProcId, ProcId) {
        let mut k = Kernel::default();
        let ns = k.new_namespace(None).unwrap();
        let init = k.fork(Parent::Host, ns, Disposition::Defaults, None).unwrap();
        let child = k.fork(Parent::Process(init), ns, Disposition::Defaults, None).unwrap();
        (k, ns, init, child)
    }

    #[test]
    fn numbering_starts_at_one_and_every_level_counts() {
        let (mut k, ns, init, child) = two();
        assert_eq!(k.process(init).pids, [1]);
        assert_eq!(k.process(child).pids, [2]);
        let inner = k.new_namespace(Some(ns)).unwrap();
        let i2 = k.fork(Parent::Process(init), inner, Disposition::Defaults, None).unwrap();
        let c2 = k.fork(Parent::Process(i2), inner, Disposition::Defaults, None).unwrap();
        assert_eq!(k.process(i2).pids, [3, 1]);
        assert_eq!(k.process(c2).pids, [4, 2]);
        assert_eq!(k.ns(inner).reaper, Some(i2));
        assert_eq!(k.pid_in(c2, ns), Some(4));
        assert_eq!(k.pid_in(child, inner), None, "a child namespace cannot see its parent's");
        assert_eq!(k.proc_listing(ns), [1, 2, 3, 4]);
        assert_eq!(k.proc_listing(inner), [1, 2]);
    }

    #[test]
    fn thirty_two_levels_and_no_more() {
        let mut k = Kernel::default();
        let mut ns = k.new_namespace(None).unwrap();
        for _ in 1..MAX_LEVELS {
            ns = k.new_namespace(Some(ns)).unwrap();
        }
        assert_eq!(k.ns(ns).level, 31);
        assert_eq!(k.new_namespace(Some(ns)), Err(Errno::Enospc), "the 33rd");
        let mut nested = Kernel { host_levels: 30, ..Kernel::default() };
        let top = nested.new_namespace(None).unwrap();
        let second = nested.new_namespace(Some(top)).unwrap();
        assert_eq!(nested.new_namespace(Some(second)), Err(Errno::Enospc), "the host already uses 30");
    }

    #[test]
    fn numbers_are_not_reused() {
        let (mut k, ns, init, child) = two();
        k.die(child, ExitStatus::exited(0));
        k.reap(child, Reaper::Parent(init));
        let next = k.fork(Parent::Process(init), ns, Disposition::Defaults, None).unwrap();
        assert_eq!(k.process(next).pids, [3]);
    }

    #[test]
    fn orphans_go_to_pid_1_and_zombies_stay_until_reaped() {
        let (mut k, ns, init, child) = two();
        let grandchild = k.fork(Parent::Process(child), ns, Disposition::Defaults, None).unwrap();
        k.die(grandchild, ExitStatus::exited(3));
        assert_eq!(k.process(grandchild).state, State::Zombie);
        k.die(child, ExitStatus::exited(0));
        // The zombie grandchild now belongs to PID 1, which does not reap (Defaults).
        assert_eq!(k.process(grandchild).parent, Parent::Process(init));
        assert_eq!(k.process(init).children, [child, grandchild]);
        assert_eq!(k.proc_listing(ns), [1, 2, 3]);
    }

    #[test]
    fn a_subreaper_adopts_before_pid_1() {
        let (mut k, ns, _init, child) = two();
        k.set_subreaper(child);
        let mid = k.fork(Parent::Process(child), ns, Disposition::Defaults, None).unwrap();
        let low = k.fork(Parent::Process(mid), ns, Disposition::Defaults, None).unwrap();
        k.die(mid, ExitStatus::exited(0));
        assert_eq!(k.process(low).parent, Parent::Process(child));
    }

    #[test]
    fn pid_1_ignores_unhandled_signals_from_inside_but_not_sigkill_from_above() {
        let (mut k, ns, init, child) = two();
        assert_eq!(k.kill_pid(child, 1, Some(Signal::TERM)), Ok(vec![init]));
        assert_eq!(k.kill_pid(child, 1, Some(Signal::KILL)), Ok(vec![init]));
        assert_eq!(k.process(init).state, State::Running);
        let inner = k.new_namespace(Some(ns)).unwrap();
        let i2 = k.fork(Parent::Process(init), inner, Disposition::Defaults, None).unwrap();
        k.send(Sender::Process(child), i2, Signal::TERM);
        assert_eq!(k.process(i2).state, State::Running, "SIGTERM from above is ignored without a handler");
        k.send(Sender::Process(child), i2, Signal::KILL);
        assert_eq!(k.process(i2).status, Some(ExitStatus::killed(Signal::KILL)));
    }

    #[test]
    fn visibility_decides_esrch() {
        let (mut k, ns, init, child) = two();
        let inner = k.new_namespace(Some(ns)).unwrap();
        let i2 = k.fork(Parent::Process(init), inner, Disposition::Defaults, None).unwrap();
        let c2 = k.fork(Parent::Process(i2), inner, Disposition::Defaults, None).unwrap();
        // PID 2 inside is c2, outside it is `child`.
        assert_eq!(k.kill_pid(c2, 2, None), Ok(vec![c2]));
        assert_eq!(k.kill_pid(child, 2, None), Ok(vec![child]));
        assert_eq!(k.kill_pid(c2, 4, None), Err(Errno::Esrch));
        assert_eq!(k.kill_pid(child, 4, None), Ok(vec![c2]));
    }

    #[test]
    fn kill_minus_one_spares_pid_1_and_the_sender() {
        let (mut k, ns, init, child) = two();
        let other = k.fork(Parent::Process(init), ns, Disposition::Defaults, None).unwrap();
        assert_eq!(k.kill_pid(init, -1, Some(Signal::TERM)), Ok(vec![child, other]));
        assert_eq!(k.process(child).state, State::Zombie);
        assert_eq!(k.process(init).state, State::Running);
        assert_eq!(k.kill_pid(init, -1, None), Ok(vec![child, other]), "zombies still count");
    }

    #[test]
    fn when_pid_1_dies_its_namespace_and_all_below_die_and_forks_fail_with_enomem() {
        let mut k = Kernel::default();
        let root = k.new_namespace(None).unwrap();
        let r1 = k.fork(Parent::Host, root, Disposition::Defaults, None).unwrap();
        let keep = k.fork(Parent::Process(r1), root, Disposition::Defaults, None).unwrap();
        let a = k.new_namespace(Some(root)).unwrap();
        let a1 = k.fork(Parent::Process(r1), a, Disposition::Defaults, None).unwrap();
        let a2 = k.fork(Parent::Process(a1), a, Disposition::Defaults, None).unwrap();
        let b = k.new_namespace(Some(a)).unwrap();
        let b1 = k.fork(Parent::Process(a1), b, Disposition::Defaults, None).unwrap();
        let b2 = k.fork(Parent::Process(b1), b, Disposition::Defaults, None).unwrap();
        k.send(Sender::Host, a1, Signal::KILL);
        for p in [a2, b1, b2] {
            assert_eq!(k.process(p).state, State::Reaped, "{p:?} was killed and reaped with its namespace");
            assert_eq!(k.process(p).status, Some(ExitStatus::killed(Signal::KILL)));
        }
        // a's PID 1 is a zombie for its parent (which does not reap here).
        assert_eq!(k.process(a1).state, State::Zombie);
        assert_eq!(k.process(keep).state, State::Running);
        let before = k.next_pid(root);
        assert_eq!(k.fork(Parent::Host, a, Disposition::Defaults, None), Err(Errno::Enomem));
        assert_eq!(k.next_pid(root), before + 1, "the failed fork used up a number in every level");
    }

    #[test]
    fn setsid_and_groups() {
        let (mut k, ns, init, child) = two();
        k.own_group(child);
        assert_eq!(k.setsid(child), Err(Errno::Eperm));
        let g = k.fork(Parent::Process(child), ns, Disposition::Defaults, None).unwrap();
        assert_eq!(k.process(g).pgid, Some(child));
        assert_eq!(k.kill_pid(init, -2, None), Ok(vec![child, g]));
        k.setsid(g).unwrap();
        assert_eq!(k.kill_pid(init, -2, None), Ok(vec![child]));
        assert_eq!(k.kill_pid(g, 0, None), Ok(vec![g]));
        // A group outlives its leader: the number stays taken while a member lives.
        let h = k.fork(Parent::Process(child), ns, Disposition::Defaults, None).unwrap();
        k.die(child, ExitStatus::exited(0));
        k.reap(child, Reaper::Parent(init));
        assert_eq!(k.kill_pid(init, -2, None), Ok(vec![h]));
        assert_eq!(k.kill_pid(init, 2, None), Err(Errno::Esrch));
        assert!(!k.proc_listing(ns).contains(&2));
    }

    #[test]
    fn stopped_processes_die_of_sigkill_at_once_and_of_others_when_continued() {
        let (mut k, _ns, init, child) = two();
        k.send(Sender::Process(init), child, Signal::STOP);
        assert_eq!(k.process(child).state, State::Stopped);
        k.send(Sender::Process(init), child, Signal::TERM);
        assert_eq!(k.process(child).state, State::Stopped);
        k.send(Sender::Process(init), child, Signal::CONT);
        assert_eq!(k.process(child).status, Some(ExitStatus::killed(Signal::TERM)));
    }
}
