//! Live trees: a tree owned by a small native supervisor (not Node), reachable from any shell
//! of its owner through a control socket in a state directory only the owner can read.
pub mod client;
pub mod peer;
pub mod server;
pub mod signal_stop;
pub mod state;
pub mod state_root;
pub mod supervise;
pub mod tree_dir;
