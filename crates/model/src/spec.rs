//! The validated tree spec: what a tree.json means once it is known to be valid.

/// One PID namespace and everything started inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeSpec {
    pub name: String,
    /// Mount a fresh /proc so tools inside see the namespace's own PIDs.
    pub mount_proc: bool,
    pub processes: Vec<ProcessSpec>,
    pub children: Vec<TreeSpec>,
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
}

impl TreeSpec {
    /// Number of namespace levels, counting this node as 1.
    pub fn depth(&self) -> u32 {
        1 + self.children.iter().map(TreeSpec::depth).max().unwrap_or(0)
    }
}
