//! The model behind pidns-tree: parse a tree.json, validate it, flatten it.
//!
//! Pure and dependency-free on purpose: the same code runs natively (in the
//! init that spawns the namespaces) and as WebAssembly (crates/wasm, which
//! validate, plan and simulate use on every OS), and both must agree on what a
//! spec means.
//!
//! ```
//! use pidns_model::{parse_spec, Limits, Plan};
//!
//! let spec = parse_spec(
//!     r#"{"name": "root", "children": [{"name": "a", "processes": [
//!         {"name": "worker", "command": ["sleep", "infinity"]}]}]}"#,
//!     Limits::default(),
//! )
//! .unwrap();
//! let plan = Plan::from_spec(&spec);
//! assert_eq!(plan.nodes[1].path, "root/a");
//! assert_eq!(Plan::from_json(&plan.to_json()).unwrap(), plan);
//! ```

pub mod error;
pub mod json;
pub mod json_read;
pub mod plan;
pub mod spec;
pub mod validate;

pub use error::SpecError;
pub use json::{parse as parse_json, JsonError, Kind, Member, Pos, Value};
pub use plan::{Plan, PlanNode};
pub use spec::{Forward, InitSpec, ProcessSpec, TreeSpec, DEFAULT_STOP_TIMEOUT_MS};
pub use validate::{validate, Limits, KERNEL_MAX_LEVELS, MAX_NAME_LEN};

/// Parses and validates a tree.json in one call.
pub fn parse_spec(text: &str, limits: Limits) -> Result<TreeSpec, Vec<SpecError>> {
    let value = json::parse(text).map_err(|e| vec![SpecError::from_json_error(&e)])?;
    validate(&value, limits)
}
