//! The WebAssembly face of pidns-tree's pure part (validate, plan, simulate), built for
//! `wasm32-unknown-unknown` with no runtime and no imports: any JavaScript engine loads it with
//! `WebAssembly.instantiate` (src/model/ in the package does, for Node and for browsers).
//!
//! The ABI is three functions on UTF-8 JSON text, with no pointer handed in from outside:
//!
//! 1. `input(len)` makes room for `len` bytes in a buffer this module owns and returns its
//!    address in linear memory; JavaScript writes the input there.
//! 2. `run(op, host_levels, split)` runs `op` on it (1 check, 2 plan, 3 simulate, 4 the
//!    expectations of a spec; for
//!    simulate the spec is the first `split` bytes and the steps the rest) and returns the
//!    length of the output, which it keeps in a second buffer.
//! 3. `output()` returns that buffer's address; JavaScript copies the bytes out.
//!
//! The buffers are ordinary Vecs behind a Mutex: JavaScript writes into memory Rust handed out
//! and reads memory Rust filled, so the Rust side needs no `unsafe`. Outputs are the JSON of
//! `pidns_sim::check_json`, `plan_json` and `simulate_json`.
use std::sync::Mutex;

static INPUT: Mutex<Vec<u8>> = Mutex::new(Vec::new());
static OUTPUT: Mutex<Vec<u8>> = Mutex::new(Vec::new());

pub const OP_CHECK: u32 = 1;
pub const OP_PLAN: u32 = 2;
pub const OP_SIMULATE: u32 = 3;
pub const OP_EXPECTATIONS: u32 = 4;

/// The address of a zeroed input buffer of `len` bytes.
#[no_mangle]
pub extern "C" fn input(len: usize) -> *mut u8 {
    let mut buf = INPUT.lock().unwrap_or_else(|e| e.into_inner());
    buf.clear();
    buf.resize(len, 0);
    buf.as_mut_ptr()
}

/// Runs `op` on the input; the length of the JSON output.
#[no_mangle]
pub extern "C" fn run(op: u32, host_levels: u32, split: usize) -> usize {
    let input = std::mem::take(&mut *INPUT.lock().unwrap_or_else(|e| e.into_inner()));
    let out = dispatch(op, host_levels, split, &input);
    let len = out.len();
    *OUTPUT.lock().unwrap_or_else(|e| e.into_inner()) = out.into_bytes();
    len
}

/// The address of the last output.
#[no_mangle]
pub extern "C" fn output() -> *const u8 {
    OUTPUT.lock().unwrap_or_else(|e| e.into_inner()).as_ptr()
}

fn dispatch(op: u32, host_levels: u32, split: usize, input: &[u8]) -> String {
    let (first, rest) = input.split_at(split.min(input.len()));
    let bad_input = |message: String| {
        pidns_sim::report::issues("BAD_INPUT", &[pidns_model::SpecError::new("$", None, message, None)])
    };
    let (Ok(spec), Ok(steps)) = (std::str::from_utf8(first), std::str::from_utf8(rest)) else {
        return bad_input("the input is not UTF-8".into());
    };
    match op {
        OP_CHECK => pidns_sim::check_json(spec, host_levels),
        OP_PLAN => pidns_sim::plan_json(spec, host_levels),
        OP_SIMULATE => pidns_sim::simulate_json(spec, steps, host_levels),
        OP_EXPECTATIONS => pidns_sim::expectations_json(spec, host_levels),
        _ => bad_input(format!("unknown operation {op}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the JavaScript side does, natively: write, run, read.
    fn call(op: u32, spec: &str, steps: &str) -> String {
        let text = format!("{spec}{steps}");
        let at = input(text.len());
        let mut buf = INPUT.lock().unwrap();
        assert_eq!(buf.as_mut_ptr(), at);
        buf.copy_from_slice(text.as_bytes());
        drop(buf);
        let len = run(op, 0, spec.len());
        let at = output();
        let out = OUTPUT.lock().unwrap().clone();
        assert_eq!(OUTPUT.lock().unwrap().as_ptr(), at);
        assert_eq!(out.len(), len);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn check_plan_and_simulate_through_the_abi() {
        let spec = r#"{"name": "root", "processes": [{"name": "w", "command": ["sleep", "1"]}]}"#;
        assert!(
            call(OP_CHECK, spec, "").starts_with(r#"{"valid":true,"hostLevels":0,"maxDepth":32,"plan":{"nodes":[{"#)
        );
        assert!(call(OP_PLAN, spec, "").contains(r#""predicted":[{"node":"root","process":"init""#));
        let sim = call(OP_SIMULATE, spec, r#"[{"op": "exit", "process": "root:w", "code": 2}]"#);
        assert!(sim.contains(r#"{"event":"end","code":2}"#), "{sim}");
        assert!(call(OP_CHECK, "{", "").contains(r#""code":"INVALID_SPEC""#));
        assert!(call(9, spec, "").contains("unknown operation 9"));
    }
}
