//! The expectations of a tree.json (`expect`), with their positions, for the test runner.
//! Kept apart from `check_spec`: only `pidns-tree test` and `testTree` need them.
use napi::{Error, Result, Status};
use napi_derive::napi;
use pidns_core::sys::nslevel;
use pidns_model::{expectations_json, parse_checked, Limits, StaticRules};

/// The expectations as JSON (see `pidns_model::expectations_json`), in document order. The
/// caller checks the spec first (`check_spec`); an invalid one is an error here.
#[napi]
pub fn spec_expectations(text: String) -> Result<String> {
    let limits = Limits::for_host_levels(nslevel::current_level());
    match parse_checked(&text, limits, &[&StaticRules]) {
        Ok(checked) => Ok(expectations_json(&checked.expectations)),
        Err(errors) => {
            let first = errors.first().map(ToString::to_string).unwrap_or_default();
            Err(Error::new(Status::InvalidArg, format!("the spec is not valid: {first}")))
        }
    }
}
