//! The messages that cross process boundaries inside a tree, one module per channel:
//!
//! | channel | from → to | transport | module |
//! | --- | --- | --- | --- |
//! | events | every init (and a child that cannot exec) → the host | the tree's one SOCK_SEQPACKET socket, a message per datagram | [`tree`] |
//! | control | the host (Node binding, supervisor) → the init serving a namespace | a connection to that init's abstract SOCK_SEQPACKET socket, one request and one reply | [`control`] |
//! | frames | the host's collector thread → JavaScript | a pipe, length-prefixed frames | [`frames`] |
//! | live | `ls`, `ps`, `exec`, `kill`, `stop` (Node binding) → a detached tree's supervisor; the supervisor → `spawn --detach` | the tree's `control.sock` (SOCK_SEQPACKET), one request and one reply; the supervisor's stdout, one line | [`live`] |
//!
//! Each module begins with the table of its messages. Between the processes of a tree, every
//! message starts with a one-byte tag; JSON messages (the live protocol) are tagged by a `"t"`
//! member. Bodies are JSON written with the model's one writer ([`JsonObject`]) and read with its
//! one reader for messages ([`Members`], whose errors name the member), except output, which is
//! raw bytes behind a fixed binary header so that a flood of output costs no JSON at all.
pub mod control;
pub mod frames;
pub mod live;
pub mod tree;

pub use pidns_model::json_read::Members;
pub use pidns_model::json_write::JsonObject;
