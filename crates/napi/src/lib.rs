//! The Node binding. Three jobs: check a spec (the same Rust model the init uses), start a tree
//! (fork/clone + immediate exec of pidns-init, never tree logic in a child of Node), and stream
//! the tree's events to JavaScript as NDJSON over a pipe JS reads like any socket.
mod inspect;
mod live;
mod spec_check;
mod terminal;
mod tree;

pub use inspect::*;
pub use live::*;
pub use spec_check::*;
pub use terminal::*;
pub use tree::*;
