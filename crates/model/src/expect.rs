//! Expectations: what a tree.json says should happen when the tree runs (`expect` on a process,
//! a user's `init`, a namespace, and the tree). The validator collects them, each with the JSON
//! path and the position of the value that states it, so that a report can point at the line.
//!
//! They are kept apart from [`crate::TreeSpec`] and the plan: the init never needs them, and
//! what checks them (the TypeScript runner) reads them as JSON ([`expectations_json`]).

use crate::json::Pos;
use crate::json_write::{array, JsonObject};

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

/// The expectations as JSON, for the runner: `[{"node", "subject", "process"?, "kind", ...,
/// "path", "line", "column"}]`, in document order. The kinds and their fields:
/// `exitCode`/`code` `codes`; `signal` `signal`; `output` `stream`, `match` and `value`;
/// `within` `ms`; `zombies` `bound` (`max` or `atEnd`) and `count`; `reaped` `min`/`max`;
/// `processesSeen` `count`.
pub fn expectations_json(expectations: &[Expectation]) -> String {
    let items: Vec<String> = expectations
        .iter()
        .map(|e| {
            let o = JsonObject::new().str("node", &e.node);
            let o = match &e.subject {
                Subject::Tree => o.str("subject", "tree"),
                Subject::Namespace => o.str("subject", "namespace"),
                Subject::Process(name) => o.str("subject", "process").str("process", name),
            };
            check_fields(o, &e.check)
                .str("path", &e.path)
                .int("line", i64::from(e.pos.line))
                .int("column", i64::from(e.pos.col))
                .finish()
        })
        .collect();
    array(&items)
}

fn check_fields(o: JsonObject, check: &Check) -> JsonObject {
    match check {
        Check::ExitCode(codes) => o.str("kind", "exitCode").ints("codes", codes),
        Check::Code(codes) => o.str("kind", "code").ints("codes", codes),
        Check::Signal(name) => o.str("kind", "signal").str("signal", name),
        Check::Output(stream, m) => {
            let o = o.str("kind", "output").str("stream", stream.as_str());
            match m {
                OutputMatch::Contains(s) => o.str("match", "contains").str("value", s),
                OutputMatch::Matches(s) => o.str("match", "matches").str("value", s),
                OutputMatch::Lines(lines) => o.str("match", "lines").strs("value", lines),
            }
        }
        Check::Within(ms) => o.str("kind", "within").int("ms", *ms as i64),
        Check::ZombiesMax(n) => o.str("kind", "zombies").str("bound", "max").int("count", i64::from(*n)),
        Check::ZombiesAtEnd(n) => o.str("kind", "zombies").str("bound", "atEnd").int("count", i64::from(*n)),
        Check::Reaped { min, max } => {
            let o = o.str("kind", "reaped");
            let o = match min {
                Some(min) => o.int("min", i64::from(*min)),
                None => o,
            };
            match max {
                Some(max) => o.int("max", i64::from(*max)),
                None => o,
            }
        }
        Check::ProcessesSeen(n) => o.str("kind", "processesSeen").int("count", i64::from(*n)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
