//! pidns-core: everything of pidns-tree that talks to the kernel, without Node.
//!
//! - `sys`: the syscall boundary (clone3 into namespaces, mounts, signals, pidfds, the event
//!   socket, PID translation through the host's /proc, the namespace depth).
//! - `init`: pidns-init's tree mode, PID 1 of every namespace.
//! - `host`: starting a tree from a host process and collecting its events.
//! - `protocol`: the messages from the tree to the host.
pub mod control;
pub mod host;
pub mod init;
pub mod json_out;
pub mod live;
pub mod protocol;
pub mod status;
pub mod sys;

pub use pidns_model as model;
