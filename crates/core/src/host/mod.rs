//! The host side of a tree: starting the root init from a (multi-threaded) host process, and
//! collecting what the tree reports into the event stream users see.
pub mod collector;
pub mod events;
pub mod human;
pub mod lines;
pub mod output;
pub mod registry;
pub mod rules;
pub mod spawn;
pub mod terminal;
pub mod zombies;
