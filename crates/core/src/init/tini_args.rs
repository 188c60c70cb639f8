//! tini's command line and environment, read the way tini reads them (tini.c: parse_args with
//! glibc's getopt, which also takes options that follow the program name unless `--` ends them,
//! or POSIXLY_CORRECT is set: then the first non-option ends them), so that pidns-init can
//! replace tini in an ENTRYPOINT unchanged.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TiniOptions {
    /// -s / TINI_SUBREAPER: register as a child subreaper.
    pub subreaper: bool,
    /// -g / TINI_KILL_PROCESS_GROUP: forward signals to the child's process group.
    pub group: bool,
    /// -e CODE (repeatable): exit codes remapped to 0.
    pub expect: Vec<i32>,
    /// -p SIGNAL: signal to receive when our parent dies.
    pub parent_death_signal: Option<i32>,
    /// -w: a warning for every zombie reaped.
    pub warn_on_reap: bool,
    /// -v (repeatable) / TINI_VERBOSITY; 1 shows warnings, 2 info, 3 debug.
    pub verbosity: i32,
    /// -t SECONDS (ours): grace between SIGTERM and SIGKILL for processes left when the main
    /// process has exited.
    pub grace_ms: u64,
    pub argv: Vec<String>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    Run(TiniOptions),
    /// Print this to stdout (exit 0) or stderr (exit != 0), then exit.
    Exit {
        code: i32,
        stdout: String,
        stderr: String,
    },
}

pub const SIGNAL_NAMES: &[(&str, i32)] = &[
    ("SIGHUP", libc::SIGHUP),
    ("SIGINT", libc::SIGINT),
    ("SIGQUIT", libc::SIGQUIT),
    ("SIGILL", libc::SIGILL),
    ("SIGTRAP", libc::SIGTRAP),
    ("SIGABRT", libc::SIGABRT),
    ("SIGBUS", libc::SIGBUS),
    ("SIGFPE", libc::SIGFPE),
    ("SIGKILL", libc::SIGKILL),
    ("SIGUSR1", libc::SIGUSR1),
    ("SIGSEGV", libc::SIGSEGV),
    ("SIGUSR2", libc::SIGUSR2),
    ("SIGPIPE", libc::SIGPIPE),
    ("SIGALRM", libc::SIGALRM),
    ("SIGTERM", libc::SIGTERM),
    ("SIGCHLD", libc::SIGCHLD),
    ("SIGCONT", libc::SIGCONT),
    ("SIGSTOP", libc::SIGSTOP),
    ("SIGTSTP", libc::SIGTSTP),
    ("SIGTTIN", libc::SIGTTIN),
    ("SIGTTOU", libc::SIGTTOU),
    ("SIGURG", libc::SIGURG),
    ("SIGXCPU", libc::SIGXCPU),
    ("SIGXFSZ", libc::SIGXFSZ),
    ("SIGVTALRM", libc::SIGVTALRM),
    ("SIGPROF", libc::SIGPROF),
    ("SIGWINCH", libc::SIGWINCH),
    ("SIGSYS", libc::SIGSYS),
];

pub fn usage(name: &str) -> String {
    format!(
        "{name} (pidns-init version {v}, tini-compatible)
Usage: {name} [OPTIONS] PROGRAM -- [ARGS] | --version

Execute a program under the supervision of a valid init process ({name})

Command line options:

  --version: Show version and exit.
  -h: Show this help message and exit.
  -s: Register as a process subreaper (requires Linux >= 3.4).
  -p SIGNAL: Trigger SIGNAL when parent dies, e.g. \"-p SIGKILL\".
  -v: Generate more verbose output. Repeat up to 3 times.
  -w: Print a warning when processes are getting reaped.
  -g: Send signals to the child's process group.
  -e EXIT_CODE: Remap EXIT_CODE (from 0 to 255) to 0.
  -l: Show license and exit.
  -t SECONDS: When the program exits, give the processes it left SECONDS after SIGTERM
     before SIGKILL (default 10; tini kills them at once).

Environment variables:

  TINI_SUBREAPER: Register as a process subreaper (requires Linux >= 3.4).
  TINI_VERBOSITY: Set the verbosity level (default: 1).
  TINI_KILL_PROCESS_GROUP: Send signals to the child's process group.

",
        v = env!("CARGO_PKG_VERSION")
    )
}

pub const LICENSE: &str = "pidns-init is part of pidns-tree, released under the MIT License.\n\
Its command line follows tini (Copyright (c) 2015 Thomas Orozco, MIT License).\n";

fn fatal(message: String) -> Parsed {
    let pid = std::process::id();
    Parsed::Exit { code: 1, stdout: String::new(), stderr: format!("[FATAL pidns-init ({pid})] {message}\n") }
}

/// `argv0` as invoked (getopt's messages use it), `name` its basename (the usage text does),
/// `args` the rest; `env` looks up TINI_* variables.
pub fn parse(argv0: &str, name: &str, args: &[String], env: &dyn Fn(&str) -> Option<String>) -> Parsed {
    if args.len() == 1 && args[0] == "--version" {
        let text = format!("pidns-init version {} (tini-compatible)\n", env!("CARGO_PKG_VERSION"));
        return Parsed::Exit { code: 0, stdout: text, stderr: String::new() };
    }
    let mut o = TiniOptions {
        subreaper: false,
        group: false,
        expect: Vec::new(),
        parent_death_signal: None,
        warn_on_reap: false,
        verbosity: 1,
        // What a stopping init waits after SIGTERM before SIGKILL (tini has no such phase): the
        // same default as a tree node's stopTimeout.
        grace_ms: pidns_model::DEFAULT_STOP_TIMEOUT_MS,
        argv: Vec::new(),
    };
    // GNU getopt permutes: options after the program name are still ours, unless the
    // environment asks for POSIX behaviour, where the first non-option ends the options.
    let posixly_correct = env("POSIXLY_CORRECT").is_some();
    let usage_error =
        |line: String| Parsed::Exit { code: 1, stdout: String::new(), stderr: format!("{line}\n{}", usage(name)) };
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        i += 1;
        if arg == "--" {
            o.argv.extend(args[i..].iter().cloned());
            break;
        }
        if !arg.starts_with('-') || arg == "-" {
            if posixly_correct {
                o.argv.extend(args[i - 1..].iter().cloned());
                break;
            }
            o.argv.push(arg.clone());
            continue;
        }
        let flags: Vec<char> = arg[1..].chars().collect();
        let mut j = 0;
        while j < flags.len() {
            let c = flags[j];
            j += 1;
            let needs_value = matches!(c, 'p' | 'e' | 't');
            let value = if needs_value {
                let rest: String = flags[j..].iter().collect();
                j = flags.len();
                if !rest.is_empty() {
                    rest
                } else if i < args.len() {
                    i += 1;
                    args[i - 1].clone()
                } else {
                    return usage_error(format!("{argv0}: option requires an argument -- '{c}'"));
                }
            } else {
                String::new()
            };
            match c {
                'h' => return Parsed::Exit { code: 0, stdout: usage(name), stderr: String::new() },
                'l' => return Parsed::Exit { code: 0, stdout: LICENSE.into(), stderr: String::new() },
                's' => o.subreaper = true,
                'g' => o.group = true,
                'w' => o.warn_on_reap = true,
                'v' => o.verbosity += 1,
                'p' => match SIGNAL_NAMES.iter().find(|(n, _)| *n == value) {
                    Some((_, n)) => o.parent_death_signal = Some(*n),
                    None => return fatal(format!("Not a valid option for -p: {value}")),
                },
                'e' => match value.parse::<i32>() {
                    Ok(code) if (0..=255).contains(&code) => o.expect.push(code),
                    _ => return fatal(format!("Not a valid option for -e: {value}")),
                },
                't' => match value.parse::<f64>() {
                    Ok(s) if (0.0..=3600.0).contains(&s) => o.grace_ms = (s * 1000.0).round() as u64,
                    _ => return fatal(format!("Not a valid option for -t: {value}")),
                },
                other => return usage_error(format!("{argv0}: invalid option -- '{other}'")),
            }
        }
    }
    if env("TINI_SUBREAPER").is_some() {
        o.subreaper = true;
    }
    if env("TINI_KILL_PROCESS_GROUP").is_some() {
        o.group = true;
    }
    if let Some(v) = env("TINI_VERBOSITY") {
        // atoi: leading digits, 0 when there are none.
        let digits: String = v.trim_start().chars().take_while(|c| c.is_ascii_digit() || *c == '-').collect();
        o.verbosity = digits.parse().unwrap_or(0);
    }
    if o.argv.is_empty() {
        return Parsed::Exit { code: 1, stdout: String::new(), stderr: usage(name) };
    }
    Parsed::Run(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> TiniOptions {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        match parse("tini", "tini", &args, &|_| None) {
            Parsed::Run(o) => o,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn reads_tini_options() {
        let o = run(&["-s", "-g", "-e", "3", "-e143", "-p", "SIGKILL", "-wvv", "--", "sh", "-c", "x"]);
        assert!(o.subreaper && o.group && o.warn_on_reap);
        assert_eq!(o.expect, [3, 143]);
        assert_eq!(o.parent_death_signal, Some(libc::SIGKILL));
        assert_eq!(o.verbosity, 3);
        assert_eq!(o.argv, ["sh", "-c", "x"]);
    }

    #[test]
    fn permutes_like_getopt_and_refuses_unknown_options() {
        assert_eq!(run(&["sleep", "1", "-s"]).argv, ["sleep", "1"]);
        let args: Vec<String> = ["sh", "-c", "true"].iter().map(|s| s.to_string()).collect();
        match parse("/usr/bin/tini", "tini", &args, &|_| None) {
            Parsed::Exit { code: 1, stderr, .. } => {
                assert!(stderr.starts_with("/usr/bin/tini: invalid option -- 'c'\ntini ("))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn posixly_correct_ends_the_options_at_the_program() {
        let args: Vec<String> = ["-e", "1", "sh", "-c", "exit 0", "--", "-s"].iter().map(|s| s.to_string()).collect();
        let env = |k: &str| (k == "POSIXLY_CORRECT").then(String::new);
        match parse("tini", "tini", &args, &env) {
            Parsed::Run(o) => {
                assert_eq!(o.expect, [1]);
                assert!(!o.subreaper, "-s after the program is the program's");
                assert_eq!(o.argv, ["sh", "-c", "exit 0", "--", "-s"]);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn environment_and_errors() {
        let env = |k: &str| match k {
            "TINI_SUBREAPER" => Some(String::new()),
            "TINI_VERBOSITY" => Some("0".into()),
            _ => None,
        };
        match parse("tini", "tini", &["true".to_string()], &env) {
            Parsed::Run(o) => assert!(o.subreaper && o.verbosity == 0),
            other => panic!("{other:?}"),
        }
        let bad: Vec<String> = ["-p", "SIGNOPE", "true"].iter().map(|s| s.to_string()).collect();
        assert!(matches!(parse("tini", "tini", &bad, &|_| None), Parsed::Exit { code: 1, .. }));
        assert!(matches!(parse("tini", "tini", &[], &|_| None), Parsed::Exit { code: 1, .. }));
    }
}
