//! Expectations that can never hold, found before anything runs: `validate` reports them as
//! errors, at the expectation's position, with why and what to do.
//!
//! [`StaticRules`] knows what follows from the spec alone (pidns-tree's init always reaps, so
//! no zombie is left under it; a process killed by SIGTERM exits 143; ...). Whatever can tell
//! more plugs in as another [`Foresight`]: the simulator of the kernel's PID-namespace rules
//! (crates/sim) can run the tree's model and find, for example, a process expected to exit 0
//! in a namespace whose PID 1 (the user's command) exits at once, so that the kernel's cascade
//! kills it. [`crate::validate_checked`] and [`crate::parse_checked`] take the list of judges.

use crate::error::SpecError;
use crate::expect::{Check, Expectation, OutputMatch, Stream, Subject};
use crate::json::quote;
use crate::signals::signal_number;
use crate::spec::TreeSpec;

/// Something that can tell, before a tree runs, that some of its expectations can never hold.
pub trait Foresight {
    /// One error per expectation that can never hold (at its path and position), for a tree
    /// that is otherwise valid.
    fn never_holds(&self, spec: &TreeSpec, expectations: &[Expectation]) -> Vec<SpecError>;
}

/// What follows from the spec alone.
pub struct StaticRules;

impl Foresight for StaticRules {
    fn never_holds(&self, spec: &TreeSpec, expectations: &[Expectation]) -> Vec<SpecError> {
        let mut out = Vec::new();
        for e in expectations {
            let Some(node) = find_node(spec, &e.node) else { continue };
            if let Some((message, hint)) = alone(e, node).or_else(|| against_others(e, expectations)) {
                out.push(SpecError::new(&e.path, Some(e.pos), message, Some(hint)));
            }
        }
        out
    }
}

/// The namespace at `path` (`root/a/b`).
pub fn find_node<'a>(spec: &'a TreeSpec, path: &str) -> Option<&'a TreeSpec> {
    let mut parts = path.split('/');
    if parts.next() != Some(spec.name.as_str()) {
        return None;
    }
    parts.try_fold(spec, |node, name| node.children.iter().find(|c| c.name == name))
}

fn same_subject(a: &Expectation, b: &Expectation) -> bool {
    a.node == b.node && a.subject == b.subject
}

/// An expectation against what its namespace is (and the processes declared in it).
fn alone(e: &Expectation, node: &TreeSpec) -> Option<(String, String)> {
    let ns = &e.node;
    match &e.check {
        Check::ZombiesAtEnd(n) if *n > 0 && node.init.command.is_none() => Some((
            format!("{ns} has pidns-tree's init as PID 1, which reaps every orphan at once: it never ends with {n} zombie{}", plural(*n)),
            format!("count the orphans it reaps with \"reaped\", or give {ns} your own PID 1 (\"init\": {{\"command\": [...]}}) to watch zombies pile up"),
        )),
        Check::Output(Stream::Stderr, _) => {
            let Subject::Process(name) = &e.subject else { return None };
            node.processes.iter().any(|p| p.name == *name && p.tty).then(|| {
                (
                    format!("{ns}:{name} has \"tty\": true: what it writes to stderr comes on its terminal, reported as stdout, so its stderr is always empty"),
                    "check \"stdout\" instead, or remove \"tty\" to keep stdout and stderr apart".to_string(),
                )
            })
        }
        Check::Reaped { .. } if node.init.command.is_some() => Some((
            format!("{ns} has your command as PID 1: pidns-tree sees only the orphans its own init reaps, so it cannot count these"),
            "use \"zombies\" to check what your PID 1 leaves unreaped".to_string(),
        )),
        _ => None,
    }
}

/// An expectation against the others on the same subject, or on the tree's processes.
fn against_others(e: &Expectation, all: &[Expectation]) -> Option<(String, String)> {
    match &e.check {
        Check::ExitCode(codes) => all.iter().filter(|o| same_subject(e, o)).find_map(|o| match &o.check {
            Check::Signal(name) => {
                let killed = 128 + signal_number(name)?;
                (!codes.contains(&killed)).then(|| {
                    (
                        format!("a process killed by {name} exits with {killed}, which \"exitCode\" does not list: \"exitCode\" and \"signal\" cannot both hold"),
                        format!("add {killed} to \"exitCode\", or remove one of them"),
                    )
                })
            }
            _ => None,
        }),
        Check::ZombiesAtEnd(end) => all.iter().filter(|o| same_subject(e, o)).find_map(|o| match o.check {
            Check::ZombiesMax(max) if max < *end => Some((
                format!("{end} zombie{} at the end is more than \"max\" ({max}) at any time: both cannot hold", plural(*end)),
                "raise \"max\", or lower \"atEnd\"".to_string(),
            )),
            _ => None,
        }),
        Check::Output(stream, OutputMatch::Contains(text)) => {
            all.iter().filter(|o| same_subject(e, o)).find_map(|o| match &o.check {
                Check::Output(s, OutputMatch::Lines(lines)) if s == stream => {
                    // The most "lines" allows: every line followed by a newline.
                    let whole: String = lines.iter().map(|l| format!("{l}\n")).collect();
                    (!whole.contains(text.as_str())).then(|| {
                        (
                            format!("{} is not in the exact lines expected of {}: both cannot hold", quote(text), stream.as_str()),
                            "fix \"contains\" or \"lines\"".to_string(),
                        )
                    })
                }
                _ => None,
            })
        }
        Check::Code(codes) if codes.iter().all(|c| *c == 0) => all.iter().find_map(|o| {
            let Subject::Process(name) = &o.subject else { return None };
            let fails = match &o.check {
                Check::ExitCode(c) => (!c.contains(&0)).then(|| format!("to exit with {}", list(c))),
                Check::Signal(s) => Some(format!("to be killed by {s}")),
                _ => None,
            }?;
            Some((
                format!("the tree exits 0 only when every process and init does, but {}:{name} is expected {fails}", o.node),
                "expect the code that process gives the tree, e.g. \"code\": [0, 1], or fix its expectation".to_string(),
            ))
        }),
        _ => None,
    }
}

fn plural(n: u32) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn list(codes: &[u8]) -> String {
    let s: Vec<String> = codes.iter().map(u8::to_string).collect();
    s.join(" or ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::InitSpec;

    fn node(name: &str, children: Vec<TreeSpec>) -> TreeSpec {
        TreeSpec {
            name: name.into(),
            mount_proc: true,
            processes: vec![],
            children,
            init: InitSpec::default(),
            reproducible_pids: false,
        }
    }

    #[test]
    fn finds_nodes_by_path() {
        let t = node("root", vec![node("a", vec![node("b", vec![])]), node("c", vec![])]);
        assert_eq!(find_node(&t, "root").map(|n| n.name.as_str()), Some("root"));
        assert_eq!(find_node(&t, "root/a/b").map(|n| n.name.as_str()), Some("b"));
        assert_eq!(find_node(&t, "root/c").map(|n| n.name.as_str()), Some("c"));
        assert!(find_node(&t, "root/b").is_none());
        assert!(find_node(&t, "other").is_none());
    }
}
