//! pidns-core: everything of pidns-tree that talks to the kernel, without Node.
//!
//! - `sys`: the syscall boundary (clone3 into namespaces, mounts, signals, pidfds, the event
//!   socket, PID translation through the host's /proc, the namespace depth).
//! - `init`: pidns-init's tree mode, PID 1 of every namespace.
//! - `host`: starting a tree from a host process and collecting its events.
//! - `wire`: the messages between the tree's inits, the host and JavaScript.
//! - `error_code`: the codes of the errors TypeScript receives.
pub mod error_code;
pub mod host;
pub mod init;
pub mod live;
pub mod status;
pub mod sys;
pub mod wire;

pub use pidns_model as model;
