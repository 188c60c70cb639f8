//! Expectations: what a tree.json says should happen when the tree runs (`expect` on a process,
//! a user's `init`, a namespace, and the tree). The validator collects them, each with the JSON
//! path and the position of the value that states it, so that a report can point at the line.
//!
//! They are kept apart from [`crate::TreeSpec`] and the plan: the init never needs them, and
//! what checks them (the TypeScript runner) reads them as JSON ([`expectations_json`]).

use crate::json::{write_string, Pos};

/// What an expectation is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// The whole tree (the root's `expect.code` and `expect.within`).
    Tree,
    /// A namespace (its `expect`: zombies, reaped, processesSeen).
    Namespace,
    /// A declared process, or `"init"` for a namespace whose PID 1 is the user's command.
    Process(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

impl Stream {
    pub fn as_str(self) -> &'static str {
        match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        }
    }
}

/// How output is matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutputMatch {
    /// The stream's text contains this string.
    Contains(String),
    /// A JavaScript regular expression (checked and run by the runner, with the `m` flag).
    Matches(String),
    /// The stream is exactly these lines (each without its newline).
    Lines(Vec<String>),
}

/// One thing to check, and its bound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    /// The process exits with one of these codes (128+N when signal N killed it).
    ExitCode(Vec<u8>),
    /// The process is killed by this signal (its name, e.g. `SIGTERM`).
    Signal(String),
    Output(Stream, OutputMatch),
    /// The process (or the tree) ends within this many milliseconds, or is stopped then.
    Within(u64),
    /// At most this many zombies under the namespace's PID 1 at any time.
    ZombiesMax(u32),
    /// Exactly this many zombies under the namespace's PID 1 when it ends.
    ZombiesAtEnd(u32),
    /// The namespace's init (pidns-tree's) reaps between `min` and `max` orphans.
    Reaped {
        min: Option<u32>,
        max: Option<u32>,
    },
    /// The namespace's /proc lists this many processes once the tree is up.
    ProcessesSeen(u32),
    /// The tree's exit status is one of these.
    Code(Vec<u8>),
}

/// An expectation and where the tree.json states it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expectation {
    /// The namespace's path (`root/a`); for the tree, the root's.
    pub node: String,
    pub subject: Subject,
    pub check: Check,
    /// JSON path of the value that states it, e.g. `$.processes[0].expect.exitCode`.
    pub path: String,
    pub pos: Pos,
}

/// Signal names as the events report them (Linux's numbers, the same on x86-64 and arm64).
pub const SIGNALS: [(&str, u8); 31] = [
    ("SIGHUP", 1),
    ("SIGINT", 2),
    ("SIGQUIT", 3),
    ("SIGILL", 4),
    ("SIGTRAP", 5),
    ("SIGABRT", 6),
    ("SIGBUS", 7),
    ("SIGFPE", 8),
    ("SIGKILL", 9),
    ("SIGUSR1", 10),
    ("SIGSEGV", 11),
    ("SIGUSR2", 12),
    ("SIGPIPE", 13),
    ("SIGALRM", 14),
    ("SIGTERM", 15),
    ("SIGSTKFLT", 16),
    ("SIGCHLD", 17),
    ("SIGCONT", 18),
    ("SIGSTOP", 19),
    ("SIGTSTP", 20),
    ("SIGTTIN", 21),
    ("SIGTTOU", 22),
    ("SIGURG", 23),
    ("SIGXCPU", 24),
    ("SIGXFSZ", 25),
    ("SIGVTALRM", 26),
    ("SIGPROF", 27),
    ("SIGWINCH", 28),
    ("SIGIO", 29),
    ("SIGPWR", 30),
    ("SIGSYS", 31),
];

/// The number of a signal named as in [`SIGNALS`].
pub fn signal_number(name: &str) -> Option<u8> {
    SIGNALS.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
}

/// The expectations as JSON, for the runner: `[{"node", "subject", "process"?, "kind", ...,
/// "path", "line", "column"}]`, in document order. The kinds and their fields:
/// `exitCode`/`code` `codes`; `signal` `signal`; `output` `stream`, `match` and `value`;
/// `within` `ms`; `zombies` `bound` (`max` or `atEnd`) and `count`; `reaped` `min`/`max`;
/// `processesSeen` `count`.
pub fn expectations_json(expectations: &[Expectation]) -> String {
    let mut out = String::from("[");
    for (i, e) in expectations.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"node\":");
        write_string(&mut out, &e.node);
        match &e.subject {
            Subject::Tree => out.push_str(",\"subject\":\"tree\""),
            Subject::Namespace => out.push_str(",\"subject\":\"namespace\""),
            Subject::Process(name) => {
                out.push_str(",\"subject\":\"process\",\"process\":");
                write_string(&mut out, name);
            }
        }
        write_check(&mut out, &e.check);
        out.push_str(",\"path\":");
        write_string(&mut out, &e.path);
        out.push_str(&format!(",\"line\":{},\"column\":{}}}", e.pos.line, e.pos.col));
    }
    out.push(']');
    out
}

fn write_codes(out: &mut String, kind: &str, codes: &[u8]) {
    let list: Vec<String> = codes.iter().map(u8::to_string).collect();
    out.push_str(&format!(",\"kind\":\"{kind}\",\"codes\":[{}]", list.join(",")));
}

fn write_check(out: &mut String, check: &Check) {
    match check {
        Check::ExitCode(codes) => write_codes(out, "exitCode", codes),
        Check::Code(codes) => write_codes(out, "code", codes),
        Check::Signal(name) => {
            out.push_str(",\"kind\":\"signal\",\"signal\":");
            write_string(out, name);
        }
        Check::Output(stream, m) => {
            out.push_str(&format!(",\"kind\":\"output\",\"stream\":\"{}\"", stream.as_str()));
            match m {
                OutputMatch::Contains(s) | OutputMatch::Matches(s) => {
                    let name = if matches!(m, OutputMatch::Contains(_)) { "contains" } else { "matches" };
                    out.push_str(&format!(",\"match\":\"{name}\",\"value\":"));
                    write_string(out, s);
                }
                OutputMatch::Lines(lines) => {
                    out.push_str(",\"match\":\"lines\",\"value\":[");
                    for (i, l) in lines.iter().enumerate() {
                        if i > 0 {
                            out.push(',');
                        }
                        write_string(out, l);
                    }
                    out.push(']');
                }
            }
        }
        Check::Within(ms) => out.push_str(&format!(",\"kind\":\"within\",\"ms\":{ms}")),
        Check::ZombiesMax(n) => out.push_str(&format!(",\"kind\":\"zombies\",\"bound\":\"max\",\"count\":{n}")),
        Check::ZombiesAtEnd(n) => out.push_str(&format!(",\"kind\":\"zombies\",\"bound\":\"atEnd\",\"count\":{n}")),
        Check::Reaped { min, max } => {
            out.push_str(",\"kind\":\"reaped\"");
            if let Some(min) = min {
                out.push_str(&format!(",\"min\":{min}"));
            }
            if let Some(max) = max {
                out.push_str(&format!(",\"max\":{max}"));
            }
        }
        Check::ProcessesSeen(n) => out.push_str(&format!(",\"kind\":\"processesSeen\",\"count\":{n}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signal_table() {
        assert_eq!(signal_number("SIGKILL"), Some(9));
        assert_eq!(signal_number("SIGTERM"), Some(15));
        assert_eq!(signal_number("SIGSYS"), Some(31));
        assert_eq!(signal_number("TERM"), None);
        // One entry per number, in order.
        assert!(SIGNALS.iter().enumerate().all(|(i, (_, n))| usize::from(*n) == i + 1));
    }

    #[test]
    fn json_of_each_kind() {
        let at = |check: Check, subject: Subject| Expectation {
            node: "root".into(),
            subject,
            check,
            path: "$.expect".into(),
            pos: Pos { line: 2, col: 3 },
        };
        let p = || Subject::Process("w".into());
        let list = vec![
            at(Check::ExitCode(vec![0, 3]), p()),
            at(Check::Signal("SIGTERM".into()), p()),
            at(Check::Output(Stream::Stderr, OutputMatch::Lines(vec!["a\"".into(), "".into()])), p()),
            at(Check::Output(Stream::Stdout, OutputMatch::Matches("^x$".into())), p()),
            at(Check::Reaped { min: Some(1), max: None }, Subject::Namespace),
            at(Check::Code(vec![1]), Subject::Tree),
        ];
        assert_eq!(
            expectations_json(&list),
            concat!(
                r#"[{"node":"root","subject":"process","process":"w","kind":"exitCode","codes":[0,3],"path":"$.expect","line":2,"column":3},"#,
                r#"{"node":"root","subject":"process","process":"w","kind":"signal","signal":"SIGTERM","path":"$.expect","line":2,"column":3},"#,
                r#"{"node":"root","subject":"process","process":"w","kind":"output","stream":"stderr","match":"lines","value":["a\"",""],"path":"$.expect","line":2,"column":3},"#,
                r#"{"node":"root","subject":"process","process":"w","kind":"output","stream":"stdout","match":"matches","value":"^x$","path":"$.expect","line":2,"column":3},"#,
                r#"{"node":"root","subject":"namespace","kind":"reaped","min":1,"path":"$.expect","line":2,"column":3},"#,
                r#"{"node":"root","subject":"tree","kind":"code","codes":[1],"path":"$.expect","line":2,"column":3}]"#,
            )
        );
    }
}
