//! Developer tool: validate a tree.json, spawn it with the real kernel and print the event
//! stream as NDJSON, with no Node involved. `cargo run --example run_spec -- tree.json`
//! (needs `cargo build -p pidns-init` first; the path defaults to target/debug/pidns-init).
use pidns_core::host::output::{Format, FrameOutput};
use pidns_core::host::registry::Registry;
use pidns_core::host::{collector::Collector, spawn::spawn_root};
use pidns_core::model::{parse_spec, Limits, Plan};
use pidns_core::sys::nslevel;

fn main() {
    let path = std::env::args().nth(1).expect("usage: run_spec TREE.json [INIT]");
    let init = std::env::args().nth(2).unwrap_or_else(|| "target/debug/pidns-init".into());
    let text = std::fs::read_to_string(&path).expect("read spec");
    let spec = match parse_spec(&text, Limits::for_host_levels(nslevel::current_level())) {
        Ok(s) => s,
        Err(errors) => {
            errors.iter().for_each(|e| eprintln!("{e}"));
            std::process::exit(2)
        }
    };
    let plan = Plan::from_spec(&spec);
    let tree = spawn_root(std::path::Path::new(&init), &plan.to_json(), pidns_core::host::spawn::Isolation::auto())
        .unwrap_or_else(|e| {
            eprintln!("{e}");
            std::process::exit(1)
        });
    let registry = Registry::new(&plan, &tree.token);
    // The NDJSON goes straight to stdout; the frame pipe only carries the code (drained here).
    let (r, w) = nix::unistd::pipe().expect("pipe");
    let drain = std::thread::spawn(move || std::io::copy(&mut std::fs::File::from(r), &mut std::io::sink()));
    let stdout = pidns_core::sys::fd::dup_raw(1, 3).expect("stdout");
    let mut out = FrameOutput::new(std::fs::File::from(w), Format::Ndjson(std::fs::File::from(stdout)));
    let code = Collector::new(tree, &plan, registry, &mut out, None).run();
    drop(out);
    let _ = drain.join();
    std::process::exit(code)
}
