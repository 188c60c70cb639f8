//! Exit statuses as users read them: an exit code, or the signal that killed the process and
//! the shell's 128+N code for it.
use nix::sys::wait::WaitStatus;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExitStatus {
    pub code: i32,
    /// The signal number that killed the process, if one did.
    pub signal: Option<i32>,
}

impl ExitStatus {
    pub fn exited(code: i32) -> Self {
        ExitStatus { code, signal: None }
    }

    pub fn killed(signal: i32) -> Self {
        ExitStatus { code: 128 + signal, signal: Some(signal) }
    }

    pub fn from_wait(ws: WaitStatus) -> Option<Self> {
        match ws {
            WaitStatus::Exited(_, code) => Some(Self::exited(code)),
            WaitStatus::Signaled(_, sig, _) => Some(Self::killed(sig as i32)),
            _ => None,
        }
    }

    /// From waitpid's raw status: exited or killed (by any signal, real-time ones included),
    /// None for a stop or a continue.
    pub fn from_raw(status: i32) -> Option<Self> {
        if libc::WIFEXITED(status) {
            Some(Self::exited(libc::WEXITSTATUS(status)))
        } else if libc::WIFSIGNALED(status) {
            Some(Self::killed(libc::WTERMSIG(status)))
        } else {
            None
        }
    }

    pub fn success(&self) -> bool {
        self.code == 0 && self.signal.is_none()
    }
}

/// "SIGKILL" for 9: the name users grep for (the model's, one naming for every message).
pub use pidns_model::signals::signal_name;
