//! How deep the caller already is in the PID-namespace hierarchy. The kernel allows 32 levels
//! below the initial namespace; a tree can use what the host has left
//! (`pidns_model::Limits::for_host_levels`).
use super::nschain;

/// The caller's PID-namespace level (0 in the initial namespace): the length of its
/// namespace chain, less its own.
pub fn current_level() -> u32 {
    nschain::own_pid_ns_chain().map(|chain| chain.len().saturating_sub(1) as u32).unwrap_or(0)
}
