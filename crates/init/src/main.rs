//! `pidns-init --tree`: the root init of a tree, started by the host (the Node binding) as PID 1
//! of a new PID and mount namespace with the event socket on fd 3, the host's /proc on fd 4 and
//! the plan (JSON) on fd 5. Deeper namespaces are clones of it, not new execs.
use std::io::Read;

use pidns_core::host::spawn::{FD_EVENTS, FD_HOST_PROC, FD_PLAN};
use pidns_core::init::{node, TreeFds};
use pidns_core::sys::{fd, signals};
use pidns_model::Plan;

const USAGE: &str = "pidns-init: PID 1 of the namespaces of a pidns-tree tree.
It is started by pidns-tree (`pidns-tree spawn tree.json`), not by hand:
  pidns-init --tree   (with the event socket on fd 3, the host's /proc on fd 4, the plan on fd 5)";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("--tree") => tree_mode(),
        Some("--version") | Some("-V") => println!("pidns-init {}", env!("CARGO_PKG_VERSION")),
        _ => {
            eprintln!("{USAGE}");
            std::process::exit(2);
        }
    }
}

fn tree_mode() -> ! {
    // Whatever our parent ignored (Node ignores SIGPIPE) must not reach the user's processes.
    signals::reset_dispositions();
    let adopt = |n: i32| {
        fd::adopt_inherited(n).unwrap_or_else(|e| {
            eprintln!("pidns-init: fd {n} is not open ({}): start it through pidns-tree", e.desc());
            std::process::exit(2)
        })
    };
    let fds = TreeFds { events: adopt(FD_EVENTS), host_proc: adopt(FD_HOST_PROC) };
    let mut plan_text = String::new();
    let read = std::fs::File::from(adopt(FD_PLAN)).read_to_string(&mut plan_text);
    let plan = match read.map_err(|e| e.to_string()).and_then(|_| Plan::from_json(&plan_text)) {
        Ok(plan) if !plan.nodes.is_empty() => plan,
        Ok(_) => fail("the plan has no nodes"),
        Err(e) => fail(&format!("cannot read the plan on fd {FD_PLAN}: {e}")),
    };
    node::run(&plan, 0, &fds)
}

fn fail(message: &str) -> ! {
    eprintln!("pidns-init: {message}");
    std::process::exit(2)
}
