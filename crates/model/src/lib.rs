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
pub mod expect;
pub mod foresight;
pub mod json;
pub mod json_read;
pub mod json_write;
pub mod plan;
pub mod signals;
pub mod spec;
pub mod validate;
mod validate_expect;

pub use error::{IssueKind, SpecError};
pub use expect::{expectations_json, Check, Expectation, OutputMatch, Stream, Subject};
pub use foresight::{Foresight, StaticRules};
pub use json::{parse as parse_json, JsonError, Kind, Member, Pos, Value};
pub use plan::{Plan, PlanNode};
pub use spec::{Forward, InitSpec, ProcessSpec, TreeSpec, DEFAULT_STOP_TIMEOUT_MS, INIT_NAME};
pub use validate::{validate, validate_checked, Checked, Limits, KERNEL_MAX_LEVELS, MAX_NAME_LEN};

/// Parses and validates a tree.json in one call.
pub fn parse_spec(text: &str, limits: Limits) -> Result<TreeSpec, Vec<SpecError>> {
    let value = json::parse(text).map_err(|e| vec![SpecError::from_json_error(&e)])?;
    validate(&value, limits)
}

/// [`parse_spec`], keeping the expectations (`expect`), with the given judges of what can never
/// hold: `&[&StaticRules]`, and whatever else can tell (see [`Foresight`]).
pub fn parse_checked(text: &str, limits: Limits, foresight: &[&dyn Foresight]) -> Result<Checked, Vec<SpecError>> {
    let value = json::parse(text).map_err(|e| vec![SpecError::from_json_error(&e)])?;
    validate_checked(&value, limits, foresight)
}
