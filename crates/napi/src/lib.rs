//! The Node binding: what needs Linux's syscalls. Start a tree (clone + immediate exec of
//! pidns-init, never tree logic in a child of Node) and stream its events to JavaScript in
//! frames; signal and exec into it; live trees; inspect. Checking a spec is the WebAssembly
//! model's (src/model/); `check_spec` stays as the benchmark's native baseline.
mod coded;
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
