//! `expect` in tree.json: each kind read with the position of its value, each mistake reported
//! at its path and position, and the expectations that can never hold.
use pidns_model::{
    expectations_json, parse_checked, parse_spec, Check, Expectation, Foresight, IssueKind, Limits, OutputMatch, Pos,
    SpecError, StaticRules, Stream, Subject, TreeSpec,
};

fn checked(text: &str) -> Vec<Expectation> {
    match parse_checked(text, Limits::default(), &[&StaticRules]) {
        Ok(c) => c.expectations,
        Err(errors) => panic!("expected a valid spec, got {errors:#?}"),
    }
}

fn errors(text: &str) -> Vec<SpecError> {
    parse_spec(text, Limits::default()).expect_err("expected errors")
}

fn one(text: &str) -> SpecError {
    let mut errs = errors(text);
    assert_eq!(errs.len(), 1, "{errs:#?}");
    errs.remove(0)
}

const FULL: &str = r#"{
  "name": "root",
  "expect": {"code": [0, 1], "within": 2.5, "reaped": {"min": 1, "max": 3}, "processesSeen": 4},
  "processes": [
    {"name": "web", "command": ["sh"], "expect": {
      "exitCode": 143, "signal": "SIGTERM",
      "stdout": {"contains": ["ready", "up"], "matches": "^ok$"},
      "stderr": {"lines": ["a", ""]},
      "within": 0.25}}
  ],
  "children": [
    {"name": "a", "init": {"command": ["sleep", "1"], "expect": {"exitCode": 0}},
     "expect": {"zombies": {"max": 2, "atEnd": 1}, "reaped": 0}}
  ]
}"#;

#[test]
fn every_kind_with_its_position_in_a_valid_tree() {
    // FULL without the one expectation the static rules refuse (reaped under a user's init).
    let text = FULL.replace(r#", "reaped": 0}"#, "}");
    let got = checked(&text);
    let paths: Vec<(&str, u32, u32)> = got.iter().map(|e| (e.path.as_str(), e.pos.line, e.pos.col)).collect();
    assert_eq!(
        paths,
        [
            ("$.expect.code", 3, 22),
            ("$.expect.within", 3, 40),
            ("$.expect.reaped", 3, 55),
            ("$.expect.processesSeen", 3, 94),
            ("$.processes[0].expect.exitCode", 6, 19),
            ("$.processes[0].expect.signal", 6, 34),
            ("$.processes[0].expect.stdout.contains[0]", 7, 31),
            ("$.processes[0].expect.stdout.contains[1]", 7, 40),
            ("$.processes[0].expect.stdout.matches", 7, 58),
            ("$.processes[0].expect.stderr.lines", 8, 27),
            ("$.processes[0].expect.within", 9, 17),
            ("$.children[0].init.expect.exitCode", 12, 78),
            ("$.children[0].expect.zombies.max", 13, 36),
            ("$.children[0].expect.zombies.atEnd", 13, 48),
        ]
    );
    let checks: Vec<(&str, &Subject, &Check)> = got.iter().map(|e| (e.node.as_str(), &e.subject, &e.check)).collect();
    let web = Subject::Process("web".into());
    let init = Subject::Process("init".into());
    assert_eq!(
        checks,
        [
            ("root", &Subject::Tree, &Check::Code(vec![0, 1])),
            ("root", &Subject::Tree, &Check::Within(2500)),
            ("root", &Subject::Namespace, &Check::Reaped { min: Some(1), max: Some(3) }),
            ("root", &Subject::Namespace, &Check::ProcessesSeen(4)),
            ("root", &web, &Check::ExitCode(vec![143])),
            ("root", &web, &Check::Signal("SIGTERM".into())),
            ("root", &web, &Check::Output(Stream::Stdout, OutputMatch::Contains("ready".into()))),
            ("root", &web, &Check::Output(Stream::Stdout, OutputMatch::Contains("up".into()))),
            ("root", &web, &Check::Output(Stream::Stdout, OutputMatch::Matches("^ok$".into()))),
            ("root", &web, &Check::Output(Stream::Stderr, OutputMatch::Lines(vec!["a".into(), "".into()]))),
            ("root", &web, &Check::Within(250)),
            ("root/a", &init, &Check::ExitCode(vec![0])),
            ("root/a", &Subject::Namespace, &Check::ZombiesMax(2)),
            ("root/a", &Subject::Namespace, &Check::ZombiesAtEnd(1)),
        ]
    );
}

#[test]
fn json_for_the_runner_is_in_document_order() {
    let got = checked(
        r#"{"name": "r", "processes": [{"name": "p", "command": ["true"], "expect": {"exitCode": 0}}], "expect": {"code": 0}}"#,
    );
    assert_eq!(
        expectations_json(&got),
        r#"[{"node":"r","subject":"process","process":"p","kind":"exitCode","codes":[0],"path":"$.processes[0].expect.exitCode","line":1,"column":87},{"node":"r","subject":"tree","kind":"code","codes":[0],"path":"$.expect.code","line":1,"column":112}]"#
    );
}

fn proc_expect(expect: &str) -> String {
    format!(r#"{{"name": "r", "processes": [{{"name": "p", "command": ["true"], "expect": {expect}}}]}}"#)
}

fn ns_expect(expect: &str) -> String {
    format!(r#"{{"name": "r", "children": [{{"name": "a", "expect": {expect}}}]}}"#)
}

#[test]
fn exit_codes_are_whole_numbers_from_0_to_255() {
    let e = one(&proc_expect(r#"{"exitCode": 256}"#));
    assert_eq!(e.path, "$.processes[0].expect.exitCode");
    assert_eq!(e.message, "an exit code is a whole number from 0 to 255, found 256");
    assert_eq!(e.pos, Some(Pos { line: 1, col: 87 }));
    assert!(e.hint.unwrap().contains("128+N"));
    let e = one(&proc_expect(r#"{"exitCode": [0, 1.5]}"#));
    assert_eq!(e.path, "$.processes[0].expect.exitCode[1]");
    let e = one(&proc_expect(r#"{"exitCode": "0"}"#));
    assert_eq!(e.message, "expected an exit code (a number from 0 to 255) or a list of them, found a string");
    assert_eq!(e.hint.as_deref(), Some("remove the quotes: \"exitCode\": 0"));
    let e = one(&proc_expect(r#"{"exitCode": []}"#));
    assert_eq!(e.message, "an empty list of codes: \"exitCode\" could never hold");
    let e = one(r#"{"name": "r", "expect": {"code": -1}}"#);
    assert_eq!(e.path, "$.expect.code");
}

#[test]
fn signals_are_named_as_the_events_name_them() {
    let e = one(&proc_expect(r#"{"signal": "TERM"}"#));
    assert_eq!(e.message, "unknown signal \"TERM\"");
    assert_eq!(e.hint.as_deref(), Some("write \"SIGTERM\""));
    assert_eq!(one(&proc_expect(r#"{"signal": "sigkill"}"#)).hint.as_deref(), Some("write \"SIGKILL\""));
    let e = one(&proc_expect(r#"{"signal": 9}"#));
    assert_eq!(e.message, "expected a signal name, found a number");
    assert_eq!(e.hint.as_deref(), Some("write its name: \"SIGKILL\""));
    assert!(one(&proc_expect(r#"{"signal": "SIGNOPE"}"#)).hint.unwrap().contains("\"SIGTERM\", \"SIGKILL\""));
}

#[test]
fn output_expectations() {
    let e = one(&proc_expect(r#"{"stdout": "ready"}"#));
    assert_eq!(e.message, "expected an object, found a string");
    assert_eq!(e.hint.as_deref(), Some("to look for this text, write \"stdout\": {\"contains\": \"ready\"}"));
    let e = one(&proc_expect(r#"{"stderr": {}}"#));
    assert_eq!(e.message, "this stderr expectation checks nothing");
    let e = one(&proc_expect(r#"{"stdout": {"lines": ["a\nb"]}}"#));
    assert_eq!(e.path, "$.processes[0].expect.stdout.lines[0]");
    assert_eq!(e.message, "a line cannot contain a newline (\\n)");
    let e = one(&proc_expect(r#"{"stdout": {"contains": []}}"#));
    assert_eq!(e.message, "an empty list: \"contains\" checks nothing");
    let e = one(&proc_expect(r#"{"stdout": {"contain": "x"}}"#));
    assert_eq!(e.message, "unknown field \"contain\"");
    assert!(e.hint.unwrap().starts_with("did you mean \"contains\"?"));
    // `lines: []` means no output at all: fine.
    assert_eq!(checked(&proc_expect(r#"{"stdout": {"lines": []}}"#)).len(), 1);
}

#[test]
fn within_is_seconds() {
    let e = one(&proc_expect(r#"{"within": 0}"#));
    assert_eq!(e.message, "\"within\" must be a number of seconds above 0 and at most 86400, found 0");
    let got = checked(&proc_expect(r#"{"within": 0.0001}"#));
    assert_eq!(got[0].check, Check::Within(1), "never a bound of 0 ms");
}

#[test]
fn namespace_counts() {
    let e = one(&ns_expect(r#"{"processesSeen": 0}"#));
    assert_eq!(e.message, "\"processesSeen\" must be a whole number, at least 1, found 0");
    let e = one(&ns_expect(r#"{"zombies": 0}"#));
    assert_eq!(e.message, "expected an object, found a number");
    assert!(e.hint.unwrap().contains("{\"max\": 0}"));
    let e = one(&ns_expect(r#"{"reaped": {"min": 3, "max": 1}}"#));
    assert_eq!(e.message, "\"min\" (3) is more than \"max\" (1): this could never hold");
    let e = one(&ns_expect(r#"{"reaped": {"min": "2"}}"#));
    assert_eq!(e.path, "$.children[0].expect.reaped.min");
    assert_eq!(e.hint.as_deref(), Some("remove the quotes: \"min\": 2"));
    let got = checked(&ns_expect(r#"{"reaped": 2}"#));
    assert_eq!(got[0].check, Check::Reaped { min: Some(2), max: Some(2) });
}

#[test]
fn misplaced_fields_say_where_they_belong() {
    let e = one(&ns_expect(r#"{"code": 0}"#));
    assert_eq!(e.message, "unknown field \"code\"");
    assert!(e.hint.unwrap().starts_with("\"code\" is about the whole tree: put it in the top-level \"expect\""));
    let e = one(&proc_expect(r#"{"zombies": {"max": 0}}"#));
    assert!(e.hint.unwrap().starts_with("\"zombies\" is about a namespace"));
    let e = one(&ns_expect(r#"{"exitCode": 0}"#));
    assert!(e.hint.unwrap().starts_with("\"exitCode\" is about a process"));
    let e = one(&proc_expect(r#"{"code": 0}"#));
    assert!(e.hint.unwrap().contains("a process has \"exitCode\""));
    // Our init is not a process to check.
    let e = one(r#"{"name": "r", "init": {"stopTimeout": 1, "expect": {"exitCode": 0}}}"#);
    assert_eq!(e.path, "$.init.expect");
    assert_eq!(e.message, "\"expect\" on init checks your own PID 1 (init.command), which is not given");
}

#[test]
fn errors_point_at_each_value() {
    let errs = errors(&proc_expect(r#"{"exitCode": 300, "signal": "X", "within": -1}"#));
    let at: Vec<(&str, u32)> = errs.iter().map(|e| (e.path.as_str(), e.pos.unwrap().col)).collect();
    assert_eq!(
        at,
        [
            ("$.processes[0].expect.exitCode", 87),
            ("$.processes[0].expect.signal", 102),
            ("$.processes[0].expect.within", 117)
        ]
    );
}

// Expectations that can never hold.

#[test]
fn no_zombies_are_left_under_our_init() {
    let e = one(&ns_expect(r#"{"zombies": {"atEnd": 2}}"#));
    assert_eq!(e.path, "$.children[0].expect.zombies.atEnd");
    assert_eq!(
        e.message,
        "r/a has pidns-tree's init as PID 1, which reaps every orphan at once: it never ends with 2 zombies"
    );
    assert!(e.hint.unwrap().starts_with("count the orphans it reaps with \"reaped\""));
    // At most N, or none at the end, always holds there: not an error.
    assert_eq!(checked(&ns_expect(r#"{"zombies": {"max": 0, "atEnd": 0}}"#)).len(), 2);
    // Under the user's own PID 1 it can hold.
    let user = r#"{"name": "r", "children": [{"name": "a", "init": {"command": ["sleep", "1"]}, "expect": {"zombies": {"atEnd": 2}}}]}"#;
    assert_eq!(checked(user).len(), 1);
}

#[test]
fn reaps_of_a_users_init_cannot_be_seen() {
    let text = r#"{"name": "r", "children": [{"name": "a", "init": {"command": ["sleep", "1"]}, "expect": {"reaped": {"max": 5}}}]}"#;
    let e = one(text);
    assert_eq!(e.path, "$.children[0].expect.reaped");
    assert!(e
        .message
        .starts_with("r/a has your command as PID 1: pidns-tree sees only the orphans its own init reaps"));
    assert_eq!(e.hint.as_deref(), Some("use \"zombies\" to check what your PID 1 leaves unreaped"));
}

#[test]
fn a_signal_gives_its_exit_code() {
    let e = one(&proc_expect(r#"{"exitCode": 0, "signal": "SIGTERM"}"#));
    assert_eq!(e.path, "$.processes[0].expect.exitCode");
    assert_eq!(
        e.message,
        "a process killed by SIGTERM exits with 143, which \"exitCode\" does not list: \"exitCode\" and \"signal\" cannot both hold"
    );
    assert_eq!(e.hint.as_deref(), Some("add 143 to \"exitCode\", or remove one of them"));
    assert_eq!(checked(&proc_expect(r#"{"exitCode": [0, 143], "signal": "SIGTERM"}"#)).len(), 2);
}

#[test]
fn zombies_at_the_end_are_at_most_the_max() {
    let text = r#"{"name": "r", "children": [{"name": "a", "init": {"command": ["x"]}, "expect": {"zombies": {"max": 1, "atEnd": 2}}}]}"#;
    let e = one(text);
    assert_eq!(e.path, "$.children[0].expect.zombies.atEnd");
    assert_eq!(e.message, "2 zombies at the end is more than \"max\" (1) at any time: both cannot hold");
}

#[test]
fn contains_must_fit_the_exact_lines() {
    let e = one(&proc_expect(r#"{"stdout": {"lines": ["hello", "world"], "contains": "hello world"}}"#));
    assert_eq!(e.path, "$.processes[0].expect.stdout.contains");
    assert_eq!(e.message, "\"hello world\" is not in the exact lines expected of stdout: both cannot hold");
    assert_eq!(checked(&proc_expect(r#"{"stdout": {"lines": ["hello", "world"], "contains": "lo\nwo"}}"#)).len(), 2);
    // Another stream is another text.
    assert_eq!(checked(&proc_expect(r#"{"stdout": {"lines": ["a"]}, "stderr": {"contains": "b"}}"#)).len(), 2);
}

#[test]
fn a_terminal_has_no_stderr_apart() {
    let tty = |expect: &str| {
        format!(
            r#"{{"name": "r", "processes": [{{"name": "t", "command": ["sh"], "tty": true, "expect": {expect}}}]}}"#
        )
    };
    for stderr in [r#"{"contains": "oops"}"#, r#"{"matches": "o+"}"#, r#"{"lines": []}"#] {
        let e = one(&tty(&format!(r#"{{"stdout": {{"contains": "ok"}}, "stderr": {stderr}}}"#)));
        assert!(e.path.starts_with("$.processes[0].expect.stderr."), "{stderr}: {}", e.path);
        assert_eq!(
            e.message,
            "r:t has \"tty\": true: what it writes to stderr comes on its terminal, reported as stdout, so its stderr is always empty"
        );
        assert_eq!(
            e.hint.as_deref(),
            Some("check \"stdout\" instead, or remove \"tty\" to keep stdout and stderr apart")
        );
    }
    assert_eq!(checked(&tty(r#"{"stdout": {"contains": "oops"}}"#)).len(), 1);
    // Without a terminal, stderr is a stream of its own.
    assert_eq!(checked(&proc_expect(r#"{"stderr": {"contains": "oops"}}"#)).len(), 1);
}

#[test]
fn the_tree_exits_0_only_if_every_process_does() {
    let text = r#"{"name": "r", "expect": {"code": 0}, "children": [{"name": "a", "processes": [{"name": "p", "command": ["false"], "expect": {"exitCode": 1}}]}]}"#;
    let e = one(text);
    assert_eq!(e.path, "$.expect.code");
    assert_eq!(
        e.message,
        "the tree exits 0 only when every process and init does, but r/a:p is expected to exit with 1"
    );
    let killed = r#"{"name": "r", "expect": {"code": [0]}, "processes": [{"name": "p", "command": ["x"], "expect": {"signal": "SIGKILL", "exitCode": 137}}]}"#;
    assert!(one(killed).message.ends_with("r:p is expected to exit with 137"));
    // A list that allows 0 and a failure is fine.
    let fine = r#"{"name": "r", "expect": {"code": [0, 1]}, "processes": [{"name": "p", "command": ["false"], "expect": {"exitCode": 1}}]}"#;
    assert_eq!(checked(fine).len(), 2);
}

/// The seam for the simulator: another judge, whose findings come with the static ones.
struct EveryExitIsImpossible;

impl Foresight for EveryExitIsImpossible {
    fn never_holds(&self, _spec: &TreeSpec, expectations: &[Expectation]) -> Vec<SpecError> {
        expectations
            .iter()
            .filter(|e| matches!(e.check, Check::ExitCode(_)))
            .map(|e| SpecError::new(&e.path, Some(e.pos), "the model says no".into(), None))
            .collect()
    }
}

#[test]
fn other_judges_plug_in() {
    let text = proc_expect(r#"{"exitCode": 0}"#);
    assert!(parse_checked(&text, Limits::default(), &[&StaticRules]).is_ok());
    let errs = parse_checked(&text, Limits::default(), &[&StaticRules, &EveryExitIsImpossible]).unwrap_err();
    assert_eq!(errs.len(), 1);
    assert_eq!(
        (errs[0].path.as_str(), errs[0].message.as_str()),
        ("$.processes[0].expect.exitCode", "the model says no")
    );
    assert_eq!(errs[0].kind, IssueKind::Impossible, "whatever a judge finds can never hold");
    // Judges see only trees that are otherwise valid.
    let errs = parse_checked(&proc_expect(r#"{"exitCode": 0, "x": 1}"#), Limits::default(), &[&EveryExitIsImpossible])
        .unwrap_err();
    assert_eq!(errs[0].message, "unknown field \"x\"");
}
