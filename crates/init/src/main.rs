//! pidns-init, two ways:
//! - `pidns-init --tree --token TOKEN`: the root init of a pidns-tree tree, started by the host
//!   (the Node binding, or a supervisor) as PID 1 of a new PID and mount namespace, with the
//!   event socket on fd 3, the host's /proc on fd 4, the plan (JSON) on fd 5 and its control
//!   socket, bound by the host, on fd 6. Deeper namespaces are clones of it.
//! - `pidns-init --supervise DIR --id ID ...`: the native owner of a detached tree
//!   (`pidns-tree spawn --detach`), serving its control socket.
//! - anything else: a tini-compatible init, `pidns-init [-s] [-g] [-e CODE] ... -- cmd`.
use std::io::{Read, Write};

use pidns_core::host::spawn::{FD_CONTROL, FD_EVENTS, FD_HOST_PROC, FD_PLAN};
use pidns_core::init::commands::CommandPaths;
use pidns_core::init::tini_args::{parse, Parsed};
use pidns_core::init::{node, start_order, tini, TreeContext};
use pidns_core::sys::arena::SharedArena;
use pidns_core::sys::{fd, limits, signals};
use pidns_model::Plan;

/// pidns-init is linked with musl (scripts/build-init.sh: half the size of a static glibc). musl's
/// malloc (mallocng) maps memory a page or a few at a time, so an init holds about eight more
/// mappings than with glibc's malloc. Each level's init is a clone of its parent's and forks
/// every process it starts, and fork copies each mapping with an anon_vma chain as long as the
/// nesting is deep: a chain of 32 namespaces took ~9% longer, mostly in the kernel's dup_mmap.
/// dlmalloc (std's allocator on wasm) takes memory from the system 64 KiB at a time.
///
/// Its lock knows nothing of fork: a child must not allocate if another thread might hold it.
/// Only --supervise has threads, and it forks (spawn_root) before the first one, into a child
/// that does not allocate before exec.
///
/// Either allocator sits behind a `SharedArena`: in tree mode the root init builds the plan in
/// a shared mapping, which the clones and forks below it do not copy (see `sys::arena`).
#[cfg(target_env = "musl")]
#[global_allocator]
static ALLOCATOR: SharedArena<dlmalloc::GlobalDlmalloc> = SharedArena::new(dlmalloc::GlobalDlmalloc);
#[cfg(not(target_env = "musl"))]
#[global_allocator]
static ALLOCATOR: SharedArena<std::alloc::System> = SharedArena::new(std::alloc::System);

/// What the plan's arena reserves: address space only (pages are used as they are touched,
/// and what is left over is given back once the plan is built). A plan that does not fit
/// goes on in private memory, as it would without the arena.
const PLAN_ARENA: usize = 1 << 30;

/// Rust's runtime sets SIGPIPE to SIG_IGN before main(); in tini mode the program must get
/// SIGPIPE as pidns-init inherited it (as tini's program does), so it is read before that:
/// functions in `.init_array` run before main, with glibc and with musl.
#[used]
#[link_section = ".init_array"]
static NOTE_INHERITED_SIGPIPE: extern "C" fn() = signals::note_inherited_sigpipe;

fn main() {
    let mut args = std::env::args();
    let argv0 = args.next().unwrap_or_else(|| "pidns-init".into());
    let name = argv0.rsplit('/').next().unwrap_or("pidns-init").to_string();
    let args: Vec<String> = args.collect();
    if args.len() == 3 && args[0] == "--tree" && args[1] == "--token" {
        tree_mode(args[2].clone());
    }
    if args.first().map(String::as_str) == Some("--supervise") {
        match pidns_core::live::supervise::parse_args(&args) {
            Ok(options) => std::process::exit(pidns_core::live::supervise::supervise(options)),
            Err(e) => {
                eprintln!("pidns-init: {e}");
                std::process::exit(2)
            }
        }
    }
    match parse(&argv0, &name, &args, &|k| std::env::var(k).ok()) {
        Parsed::Run(options) => std::process::exit(tini::run(&options)),
        Parsed::Exit { code, stdout, stderr } => {
            let _ = std::io::stdout().write_all(stdout.as_bytes());
            let _ = std::io::stderr().write_all(stderr.as_bytes());
            std::process::exit(code)
        }
    }
}

fn tree_mode(token: String) -> ! {
    // Whatever our parent ignored (Node ignores SIGPIPE) must not reach the user's processes.
    signals::reset_dispositions();
    let adopt = |n: i32| {
        fd::adopt_inherited(n).unwrap_or_else(|e| {
            eprintln!("pidns-init: fd {n} is not open ({}): --tree is for pidns-tree to use", e.desc());
            std::process::exit(2)
        })
    };
    let (events, host_proc, listener) = (adopt(FD_EVENTS), adopt(FD_HOST_PROC), adopt(FD_CONTROL));
    // Every namespace below is a clone of this process: what the plan takes (and what reading
    // it throws away) goes to a shared mapping that clones do not copy. Without one (an
    // address-space limit), private memory, as before.
    let _ = ALLOCATOR.open(PLAN_ARENA);
    let mut plan_text = String::new();
    let read = std::fs::File::from(adopt(FD_PLAN)).read_to_string(&mut plan_text);
    let plan = match read.map_err(|e| e.to_string()).and_then(|_| Plan::from_json(&plan_text)) {
        Ok(plan) => plan,
        Err(e) => {
            eprintln!("pidns-init: cannot read the plan on fd {FD_PLAN}: {e}");
            std::process::exit(2)
        }
    };
    drop(plan_text);
    let paths = CommandPaths::resolve(&plan);
    ALLOCATOR.close();
    // An init holds two descriptors per running process of its namespace: all it may have.
    let nofile = limits::raise_nofile();
    // Our level as the host counts it: the length of our NSpid in its /proc, less one.
    let root_level = pidns_core::sys::pidfd::open(pidns_core::sys::process::own_pid())
        .and_then(|me| {
            pidns_core::sys::hostproc::nspid_of(std::os::fd::AsFd::as_fd(&me), std::os::fd::AsFd::as_fd(&host_proc))
        })
        .map(|nspid| nspid.len() - 1)
        .unwrap_or_else(|e| {
            eprintln!("pidns-init: cannot read its own PIDs: {}", e.desc());
            std::process::exit(2)
        });
    // Reproducible PIDs: every process waits at the gate until the whole tree exists.
    let (gate, holds) = match plan.reproducible_pids.then(start_order::pipe).transpose() {
        Ok(Some((read, write))) => (Some(read), node::StartHolds { gate: Some(write), subtree: None }),
        Ok(None) => (None, node::StartHolds::default()),
        Err(e) => {
            eprintln!("pidns-init: cannot make the start-up gate: {}", e.desc());
            std::process::exit(2)
        }
    };
    let ctx = TreeContext { plan, paths, token, events, host_proc, nofile, root_level, gate };
    node::run(&ctx, 0, listener, None, holds)
}
