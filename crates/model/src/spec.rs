//! The validated tree spec: what a tree.json means once it is known to be valid.

/// One PID namespace and everything started inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeSpec {
    pub name: String,
    /// Mount a fresh /proc so tools inside see the namespace's own PIDs.
    pub mount_proc: bool,
    pub processes: Vec<ProcessSpec>,
    pub children: Vec<TreeSpec>,
    /// Who is PID 1 of this namespace, and how it behaves.
    pub init: InitSpec,
    /// `reproduciblePids` (top level only; false on every other node): start every init and
    /// process in plan order (see `Plan::reproducible_pids`), so each gets the PIDs the plan
    /// predicts at every level, run after run.
    pub reproducible_pids: bool,
}

/// Where the init sends the signals it receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forward {
    /// To each process it started.
    Process,
    /// To each process's process group (everything the process started too).
    Group,
}

impl Forward {
    pub fn as_str(self) -> &'static str {
        match self {
            Forward::Process => "process",
            Forward::Group => "group",
        }
    }

    pub fn parse(s: &str) -> Option<Forward> {
        match s {
            "process" => Some(Forward::Process),
            "group" => Some(Forward::Group),
            _ => None,
        }
    }
}

/// How long a stopping init waits after SIGTERM before it sends SIGKILL, as `docker stop` does.
pub const DEFAULT_STOP_TIMEOUT_MS: u64 = 10_000;

/// What a namespace's PID 1 is called in events and targets (`root/a:init`), ours or the
/// user's command; reserved: no process of a spec may have this name.
pub const INIT_NAME: &str = "init";

/// The PID 1 of a namespace: pidns-tree's init (with its options), or the user's own command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitSpec {
    pub forward: Forward,
    pub stop_timeout_ms: u64,
    /// The user's program as PID 1 instead of ours (its `name` is "init").
    pub command: Option<ProcessSpec>,
}

impl Default for InitSpec {
    fn default() -> InitSpec {
        InitSpec { forward: Forward::Process, stop_timeout_ms: DEFAULT_STOP_TIMEOUT_MS, command: None }
    }
}

/// A process the namespace's init starts and supervises.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessSpec {
    pub name: String,
    /// Program and arguments, passed to execve without a shell.
    pub command: Vec<String>,
    /// In document order, so the environment the process sees is predictable.
    pub env: Vec<(String, String)>,
    /// Absolute; `None` means inherit the init's working directory.
    pub cwd: Option<String>,
    /// Runs on a new pseudo-terminal of its own, as the leader of a new session with it as its
    /// controlling terminal (`"tty": true`; for an exec, the requester's terminal).
    pub tty: bool,
}

impl TreeSpec {
    /// Number of namespace levels, counting this node as 1.
    pub fn depth(&self) -> u32 {
        1 + self.children.iter().map(TreeSpec::depth).max().unwrap_or(0)
    }
}
