//! The host side of a tree: starting the root init from a (multi-threaded) host process, and
//! collecting what the tree reports into the event stream users see.
pub mod collector;
pub mod events;
pub mod handles;
pub mod lines;
pub mod spawn;
pub mod zombies;
