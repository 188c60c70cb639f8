//! How deep the caller already is in the PID-namespace hierarchy. The kernel allows 32 levels
//! below the initial namespace (MAX_PID_NS_LEVEL); a tree can use what the host has left.
use super::nschain;

/// The kernel's limit on nested PID namespaces below the initial one.
pub const MAX_PID_NS_LEVEL: u32 = 32;

/// The caller's PID-namespace level (0 in the initial namespace): the length of its
/// namespace chain, less its own.
pub fn current_level() -> u32 {
    nschain::own_pid_ns_chain().map(|chain| chain.len().saturating_sub(1) as u32).unwrap_or(0)
}

/// How many nested levels a tree may use from here.
pub fn levels_left() -> u32 {
    MAX_PID_NS_LEVEL.saturating_sub(current_level())
}
