//! The messages that cross process boundaries inside a tree, one module per channel:
//!
//! | channel | from → to | transport | module |
//! | --- | --- | --- | --- |
//! | events | every init (and a child that cannot exec) → the host | the tree's one SOCK_SEQPACKET socket, a message per datagram | [`tree`] |
//! | control | the host (Node binding, supervisor) → the init serving a namespace | a connection to that init's abstract SOCK_SEQPACKET socket, one request and one reply | [`control`] |
//! | frames | the host's collector thread → JavaScript | a pipe, length-prefixed frames | [`frames`] |
//!
//! Every message starts with a one-byte tag; bodies are JSON written with [`JsonObject`] and read
//! with [`Fields`] (whose errors name the member), except output, which is raw bytes behind a
//! fixed binary header so that a flood of output costs no JSON at all.
pub mod control;
pub mod fields;
pub mod frames;
pub mod tree;

pub use crate::json_out::JsonObject;
pub use fields::Fields;
