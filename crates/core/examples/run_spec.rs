//! Developer tool: validate a tree.json, spawn it with the real kernel and print the event
//! stream as NDJSON, with no Node involved. `cargo run --example run_spec -- tree.json`
//! (needs `cargo build -p pidns-init` first; the path defaults to target/debug/pidns-init).
use std::os::fd::AsFd;

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
    // NDJSON frames on a pipe; a thread strips the frame headers onto stdout.
    let (r, w) = nix::unistd::pipe().expect("pipe");
    let printer = std::thread::spawn(move || {
        use std::io::{Read, Write};
        let mut bytes = Vec::new();
        let _ = std::fs::File::from(r).read_to_end(&mut bytes);
        for (kind, body) in pidns_core::wire::frames::parse(&bytes).expect("frames") {
            if kind == b'o' {
                let _ = std::io::stdout().write_all(&body);
            }
        }
    });
    let mut out = FrameOutput::new(std::fs::File::from(w), Format::Ndjson);
    let _ = tree.events.as_fd();
    let code = Collector::new(tree, &plan, registry, &mut out, None).run();
    drop(out);
    let _ = printer.join();
    std::process::exit(code)
}
