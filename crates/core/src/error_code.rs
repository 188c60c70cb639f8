//! The stable codes of the errors that leave Rust for TypeScript: through the Node binding
//! (napi makes the code the JavaScript error's `code`) and in the detached supervisor's first
//! line. TypeScript decides on the code, never on the message; src/errors.ts
//! (`PidnsTreeErrorCode`) documents each, and every name here must be one of its names.

/// Why a native call failed, as the caller decides on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// The kernel refused a PID namespace for lack of privileges (no CAP_SYS_ADMIN).
    NoPrivilege,
    /// Rootless, but no user namespace is allowed here.
    NoUserns,
    /// The kernel refused another nested PID namespace (ENOSPC).
    DepthLimit,
    /// Starting the tree failed for another reason.
    SpawnFailed,
    /// An argument that cannot be used (an empty command, an unknown mode, ...).
    BadArgument,
    /// A system call failed where nothing else explains it (out of descriptors or memory).
    SyscallFailed,
    /// Not a signal the kernel has.
    BadSignal,
    /// Not a PID (inspect).
    BadPid,
    /// No process has that PID, or that name.
    UnknownProcess,
    /// The process exists, but may not be looked at.
    NotPermitted,
    /// The tree, or the namespace, has ended.
    TreeGone,
    /// No detached tree with this id runs here.
    UnknownTree,
    /// The name of a detached tree is taken by a live one.
    BadTarget,
    /// The state of detached trees is not safe to use; nothing was used, sent or removed.
    StateUnsafe,
}

impl ErrorCode {
    /// Every code, for tests that hold the two sides together.
    pub const ALL: [ErrorCode; 14] = [
        ErrorCode::NoPrivilege,
        ErrorCode::NoUserns,
        ErrorCode::DepthLimit,
        ErrorCode::SpawnFailed,
        ErrorCode::BadArgument,
        ErrorCode::SyscallFailed,
        ErrorCode::BadSignal,
        ErrorCode::BadPid,
        ErrorCode::UnknownProcess,
        ErrorCode::NotPermitted,
        ErrorCode::TreeGone,
        ErrorCode::UnknownTree,
        ErrorCode::BadTarget,
        ErrorCode::StateUnsafe,
    ];

    /// The code's name, as TypeScript's `PidnsTreeErrorCode` spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::NoPrivilege => "NO_PRIVILEGE",
            ErrorCode::NoUserns => "NO_USERNS",
            ErrorCode::DepthLimit => "DEPTH_LIMIT",
            ErrorCode::SpawnFailed => "SPAWN_FAILED",
            ErrorCode::BadArgument => "BAD_ARGUMENT",
            ErrorCode::SyscallFailed => "SYSCALL_FAILED",
            ErrorCode::BadSignal => "BAD_SIGNAL",
            ErrorCode::BadPid => "BAD_PID",
            ErrorCode::UnknownProcess => "UNKNOWN_PROCESS",
            ErrorCode::NotPermitted => "NOT_PERMITTED",
            ErrorCode::TreeGone => "TREE_GONE",
            ErrorCode::UnknownTree => "UNKNOWN_TREE",
            ErrorCode::BadTarget => "BAD_TARGET",
            ErrorCode::StateUnsafe => "STATE_UNSAFE",
        }
    }
}

/// napi's custom status: `napi::Error<ErrorCode>` reaches JavaScript with `code` set to this.
impl AsRef<str> for ErrorCode {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every code is one TypeScript knows (src/errors.ts), so none can reach it unexplained.
    #[test]
    fn every_code_is_documented_in_errors_ts() {
        let errors_ts = include_str!("../../../src/errors.ts");
        for code in ErrorCode::ALL {
            assert!(errors_ts.contains(&format!("| '{}'", code.as_str())), "{} is not in src/errors.ts", code.as_str());
        }
    }
}
