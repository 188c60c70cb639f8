//! pidns-sim: an executable model of Linux PID namespaces as pidns-tree uses them.
//!
//! Pure Rust, no syscalls, deterministic: the same tree and steps always give the same
//! events. It sits beside `pidns-model` (parse, validate, plan) rather than inside it because
//! the init links the model into every namespace's PID 1 and needs none of this; the wasm
//! build (crates/wasm) links both.
//!
//! - [`kernel`]: the kernel's rules as a state machine (PIDs per level, fork, exit, orphans,
//!   zombies, signals and PID 1's immunity, a dying PID 1 taking its namespace along, ENOMEM).
//! - [`startup`]: the order pidns-tree starts a tree in, and the PIDs it predicts (ranges
//!   where sibling namespaces race; exact with `reproduciblePids`).
//! - [`world`]: pidns-tree's init and collector on top of the kernel.
//! - [`steps`] and [`simulation`]: playing a list of steps on a started tree.
//! - [`report`]: the JSON of `pidns-tree plan --json` and `pidns-tree simulate --json`.
//!
//! ```
//! let spec = r#"{"name": "root", "children": [{"name": "a", "processes": [
//!     {"name": "w", "command": ["sleep", "infinity"]}]}]}"#;
//! let out = pidns_sim::simulate_json(spec, r#"[{"op": "kill", "from": "root/a:w", "target": 1, "signal": "KILL"}]"#, 0);
//! // From inside its namespace, PID 1 ignores even SIGKILL: nothing ends.
//! assert!(out.contains(r#""result":"ok","signalled":["root/a:init"],"events":[]"#));
//! ```
pub mod collector;
pub mod kernel;
pub mod report;
pub mod signal;
pub mod simulation;
pub mod startup;
pub mod steps;
pub mod world;

use pidns_model::{parse_spec, Limits, Plan};

/// `validate`: the plan as the init reads it, or the problems.
pub fn check_json(spec: &str, host_levels: u32) -> String {
    let limits = Limits::for_host_levels(host_levels);
    // Expectations that can never hold are problems of the spec too (`validate` says so).
    match pidns_model::parse_checked(spec, limits, &[&pidns_model::StaticRules]) {
        Ok(checked) => report::checked(&Plan::from_spec(&checked.spec), limits),
        Err(errors) => report::issues("INVALID_SPEC", &errors),
    }
}

/// The expectations of a valid spec (`expect`), with their positions, for `pidns-tree test`:
/// `{"valid":true,"expectations":[...]}` (see `pidns_model::expectations_json`).
pub fn expectations_json(spec: &str, host_levels: u32) -> String {
    let limits = Limits::for_host_levels(host_levels);
    match pidns_model::parse_checked(spec, limits, &[&pidns_model::StaticRules]) {
        Ok(checked) => {
            let expectations = pidns_model::expectations_json(&checked.expectations);
            pidns_model::json_write::JsonObject::new().bool("valid", true).raw("expectations", &expectations).finish()
        }
        Err(errors) => report::issues("INVALID_SPEC", &errors),
    }
}

/// `plan`: the plan with the PIDs every init and process will get.
pub fn plan_json(spec: &str, host_levels: u32) -> String {
    let limits = Limits::for_host_levels(host_levels);
    match parse_spec(spec, limits) {
        Ok(s) => report::planned(&Plan::from_spec(&s), limits),
        Err(errors) => report::issues("INVALID_SPEC", &errors),
    }
}

/// `simulate`: the tree started, `steps` played (a steps document; empty text means none).
pub fn simulate_json(spec: &str, steps: &str, host_levels: u32) -> String {
    let limits = Limits::for_host_levels(host_levels);
    let plan = match parse_spec(spec, limits) {
        Ok(s) => Plan::from_spec(&s),
        Err(errors) => return report::issues("INVALID_SPEC", &errors),
    };
    let steps = if steps.trim().is_empty() { Ok(steps::Steps::default()) } else { steps::parse_steps(steps, &plan) };
    let steps = match steps {
        Ok(s) => s,
        Err(errors) => return report::issues("INVALID_STEPS", &errors),
    };
    let mut sim = match simulation::Simulation::start(&plan, &steps.pins) {
        Ok(sim) => sim,
        Err(errors) => return report::issues("INVALID_STEPS", &errors),
    };
    sim.play(&steps);
    report::simulated(&sim, limits)
}
