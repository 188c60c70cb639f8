//! Spec validation for JavaScript, with errors as plain objects (path, position, message, hint).
use napi_derive::napi;
use pidns_core::sys::nslevel;
use pidns_model::{parse_spec, Limits, Plan};

#[napi(object)]
pub struct SpecIssue {
    /// "syntax", "invalid", "depth" or "impossible" (see `pidns_model::IssueKind`).
    pub kind: String,
    /// JSON path of the offending value, e.g. `$.children[0].processes[1].command`.
    pub path: String,
    pub line: Option<u32>,
    pub column: Option<u32>,
    pub message: String,
    pub hint: Option<String>,
}

#[napi(object)]
pub struct SpecCheck {
    /// The flat plan as JSON when the spec is valid.
    pub plan: Option<String>,
    pub errors: Vec<SpecIssue>,
    /// PID-namespace levels the caller already sits below the initial namespace.
    pub host_levels: u32,
    /// Namespace levels a tree may use from here.
    pub max_depth: u32,
}

/// Parses and validates a tree.json text against the limits of the calling process.
#[napi]
pub fn check_spec(text: String) -> SpecCheck {
    let limits = Limits::for_host_levels(nslevel::current_level());
    match parse_spec(&text, limits) {
        Ok(spec) => SpecCheck {
            plan: Some(Plan::from_spec(&spec).to_json()),
            errors: vec![],
            host_levels: limits.host_levels,
            max_depth: limits.max_depth,
        },
        Err(errors) => SpecCheck {
            plan: None,
            errors: errors
                .into_iter()
                .map(|e| SpecIssue {
                    kind: e.kind.as_str().to_string(),
                    path: e.path,
                    line: e.pos.map(|p| p.line),
                    column: e.pos.map(|p| p.col),
                    message: e.message,
                    hint: e.hint,
                })
                .collect(),
            host_levels: limits.host_levels,
            max_depth: limits.max_depth,
        },
    }
}
