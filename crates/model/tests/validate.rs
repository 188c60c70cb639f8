use pidns_model::{parse_spec, InitSpec, IssueKind, Limits, ProcessSpec, SpecError, TreeSpec};

fn errors_with(text: &str, limits: Limits) -> Vec<SpecError> {
    parse_spec(text, limits).expect_err("expected validation errors")
}

fn errors(text: &str) -> Vec<SpecError> {
    errors_with(text, Limits::default())
}

/// The single error for `text`, as (path, message).
fn one(text: &str) -> (String, String) {
    let errs = errors(text);
    assert_eq!(errs.len(), 1, "expected one error, got {errs:#?}");
    (errs[0].path.clone(), errs[0].message.clone())
}

fn hint(text: &str) -> String {
    errors(text)[0].hint.clone().expect("expected a hint")
}

/// A root node whose one process has the given extra JSON fields.
fn proc_with(fields: &str) -> String {
    format!(r#"{{"name": "root", "processes": [{{"name": "p", {fields}}}]}}"#)
}

#[test]
fn full_spec_is_accepted() {
    let spec = parse_spec(
        r#"{
          "$schema": "https://example.com/tree.schema.json",
          "name": "root",
          "mountProc": false,
          "processes": [
            {"name": "web", "command": ["node", "server.js"], "env": {"PORT": "8080", "A": ""}, "cwd": "/srv"}
          ],
          "children": [
            {"name": "a", "children": [{"name": "b.1_x-y"}]},
            {"name": "c", "processes": [{"name": "w", "command": ["sleep", "1"]}]}
          ]
        }"#,
        Limits::default(),
    )
    .unwrap();
    let web = ProcessSpec {
        name: "web".into(),
        command: vec!["node".into(), "server.js".into()],
        env: vec![("PORT".into(), "8080".into()), ("A".into(), "".into())],
        cwd: Some("/srv".into()),
        tty: false,
    };
    assert_eq!(spec.name, "root");
    assert!(!spec.mount_proc);
    assert_eq!(spec.processes, vec![web]);
    assert_eq!(spec.children.len(), 2);
    assert!(spec.children[0].mount_proc);
    assert_eq!(spec.children[0].children[0].name, "b.1_x-y");
    assert_eq!(spec.children[1].processes[0].cwd, None);
    assert_eq!(spec.depth(), 3);
}

#[test]
fn defaults() {
    let spec = parse_spec(r#"{"name": "r"}"#, Limits::default()).unwrap();
    assert_eq!(
        spec,
        TreeSpec {
            name: "r".into(),
            mount_proc: true,
            processes: vec![],
            children: vec![],
            init: InitSpec::default(),
            reproducible_pids: false
        }
    );
}

#[test]
fn json_syntax_error_becomes_one_spec_error() {
    let errs = errors("{\"name\": \"root\",}");
    assert_eq!(errs.len(), 1);
    assert_eq!(
        errs[0].to_string(),
        "$ (line 1, column 16): not valid JSON: trailing comma before '}'\n  hint: fix the syntax at line 1, column 16"
    );
}

#[test]
fn root_must_be_an_object() {
    assert_eq!(one("[]"), ("$".into(), "expected a namespace object, found an array".into()));
}

#[test]
fn missing_name() {
    let errs = errors(r#"{"children": [{}]}"#);
    let got: Vec<(&str, &str)> = errs.iter().map(|e| (e.path.as_str(), e.message.as_str())).collect();
    assert_eq!(got, [("$", "missing required field \"name\""), ("$.children[0]", "missing required field \"name\"")]);
    assert_eq!(errs[1].pos.map(|p| p.col), Some(15));
}

#[test]
fn field_types() {
    assert_eq!(one(r#"{"name": 5}"#), ("$.name".into(), "expected a string, found a number".into()));
    assert_eq!(
        one(r#"{"name": "r", "processes": {}}"#),
        ("$.processes".into(), "expected an array of process objects, found an object".into())
    );
    assert_eq!(
        one(r#"{"name": "r", "children": "a"}"#),
        ("$.children".into(), "expected an array of namespace objects, found a string".into())
    );
    assert_eq!(
        one(r#"{"name": "r", "children": [null]}"#),
        ("$.children[0]".into(), "expected a namespace object, found null".into())
    );
    assert_eq!(
        one(r#"{"name": "r", "processes": [["sleep"]]}"#),
        ("$.processes[0]".into(), "expected a process object, found an array".into())
    );
    assert_eq!(
        one(r#"{"name": "r", "mountProc": 1}"#),
        ("$.mountProc".into(), "expected a boolean (true or false), found a number".into())
    );
    assert_eq!(hint(r#"{"name": "r", "mountProc": "false"}"#), "remove the quotes: \"mountProc\": false");
    assert_eq!(one(r#"{"$schema": 1, "name": "r"}"#), ("$.$schema".into(), "expected a string, found a number".into()));
}

#[test]
fn wrong_type_stops_descent() {
    // Nothing inside a non-array `processes` is looked at.
    assert_eq!(one(r#"{"name": "r", "processes": {"name": "bad name!", "x": 1}}"#).0, "$.processes");
}

#[test]
fn init_options_are_checked() {
    let errs = errors(r#"{"name": "r", "init": {"forward": "pgrp", "stopTimeout": -1, "wait": 1}}"#);
    let paths: Vec<&str> = errs.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(paths, ["$.init.forward", "$.init.stopTimeout", "$.init.wait"]);
    assert_eq!(errs[0].message, "\"forward\" must be \"process\" or \"group\", found \"pgrp\"");
    assert!(errs[1].message.starts_with("\"stopTimeout\" must be a number of seconds from 0 to 3600"));
}

#[test]
fn user_init_does_not_take_our_init_options() {
    let errs =
        errors(r#"{"name": "r", "children": [{"name": "a", "init": {"command": ["my-init"], "stopTimeout": 3}}]}"#);
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].path, "$.children[0].init.stopTimeout");
    assert!(errs[0].message.contains("makes your program PID 1 here"));
    let errs = errors(r#"{"name": "r", "init": {"env": {"A": "1"}}}"#);
    assert_eq!(errs[0].path, "$.init.env");
    let errs = errors(r#"{"name": "r", "children": [{"name": "a", "init": {"command": []}}]}"#);
    assert_eq!(errs[0].path, "$.children[0].init.command");
}

#[test]
fn the_root_pid_1_is_always_our_init() {
    // Also with options of our init, env, expect or children next to it: one problem, the command.
    for spec in [
        r#"{"name": "r", "init": {"command": ["my-init"]}, "processes": [{"name": "p", "command": ["x"]}]}"#,
        r#"{"name": "r", "init": {"command": ["my-init"], "stopTimeout": 3, "env": {"A": "1"}}}"#,
        r#"{"name": "r", "init": {"command": ["my-init"], "expect": {"exitCode": 0}}, "children": [{"name": "a"}]}"#,
    ] {
        let errs = errors(spec);
        assert_eq!(errs.len(), 1, "{spec}: {errs:?}");
        assert_eq!(errs[0].path, "$.init.command");
        assert_eq!(
            errs[0].message,
            "the root namespace r cannot have your command as PID 1: pidns-tree's init is PID 1 there, to start \
the tree's processes and create its namespaces"
        );
        assert_eq!(
            errs[0].hint.as_deref(),
            Some(
                r#"move "init" into a child namespace, with the processes it should have: {"name": "r", "children": [{"name": "app", "init": {"command": [...]}, "processes": [...]}]}"#
            )
        );
        assert_eq!(errs[0].pos.map(|p| (p.line, p.col)), Some((1, 35)));
    }
    // The same command one level down is what the hint says to write.
    assert!(parse_spec(
        r#"{"name": "r", "children": [{"name": "app", "init": {"command": ["my-init"]}, "processes": [{"name": "p", "command": ["x"]}]}]}"#,
        Limits::default()
    )
    .is_ok());
}

#[test]
fn unknown_fields_with_suggestions() {
    let errs = errors(r#"{"name": "r", "proceses": []}"#);
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].path, "$.proceses");
    assert_eq!(errs[0].message, "unknown field \"proceses\"");
    assert_eq!(
        errs[0].hint.as_deref(),
        Some(
            r#"did you mean "processes"? allowed fields here: "$schema", "name", "processes", "children", "mountProc", "init", "reproduciblePids", "expect""#
        )
    );
    assert_eq!(
        hint(r#"{"name": "r", "children": [{"name": "a", "colour": 1}]}"#),
        r#"allowed fields here: "name", "processes", "children", "mountProc", "init", "expect""#
    );
    assert_eq!(
        hint(&proc_with(r#""command": ["x"], "args": []"#)),
        r#"allowed fields here: "name", "command", "env", "cwd", "tty", "expect""#
    );
    let errs = errors(&proc_with(r#""comand": ["x"]"#));
    let msgs: Vec<&str> = errs.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(msgs, ["missing required field \"command\"", "unknown field \"comand\""]);
    assert!(errs[1].hint.as_deref().unwrap().starts_with("did you mean \"command\"?"));
    assert!(hint(&proc_with(r#""command": ["x"], "ENV": {}"#)).starts_with("did you mean \"env\"?"));
    assert_eq!(
        hint(r#"{"name": "r", "children": [{"name": "a", "$schema": ""}]}"#),
        "\"$schema\" is only allowed at the top level"
    );
    // Keys that aren't identifiers are bracketed in the path.
    assert_eq!(one(r#"{"name": "r", "mount proc": true}"#).0, "$[\"mount proc\"]");
}

#[test]
fn duplicate_keys() {
    let errs = errors(r#"{"name": "r", "name": "s"}"#);
    assert_eq!(errs.len(), 1);
    assert_eq!((errs[0].path.as_str(), errs[0].message.as_str()), ("$.name", "duplicate key \"name\""));
    assert_eq!(errs[0].pos.map(|p| p.col), Some(15));
    assert_eq!(
        one(&proc_with(r#""command": ["x"], "env": {"A": "1", "A": "2"}"#)),
        ("$.processes[0].env.A".into(), "duplicate key \"A\"".into())
    );
}

#[test]
fn invalid_names() {
    let hint_text = "names appear in paths like root/a/b and targets like root/a:worker, so '/', ':' and spaces are \
not allowed; use letters, digits, '.', '_' and '-', starting with a letter or digit";
    let errs = errors(r#"{"name": "my app"}"#);
    assert_eq!(errs[0].message, "invalid namespace name \"my app\": ' ' is not allowed");
    assert_eq!(errs[0].hint.as_deref(), Some(hint_text));
    assert_eq!(one(r#"{"name": "a/b"}"#).1, "invalid namespace name \"a/b\": '/' is not allowed");
    assert_eq!(one(r#"{"name": ""}"#).1, "invalid namespace name \"\": it is empty");
    assert_eq!(
        one(r#"{"name": "_x"}"#).1,
        "invalid namespace name \"_x\": it must start with a letter or digit, not '_'"
    );
    assert_eq!(
        one(r#"{"name": "é"}"#).1,
        "invalid namespace name \"é\": it must start with a letter or digit, not 'é'"
    );
    assert_eq!(
        one(&format!(r#"{{"name": "{}"}}"#, "a".repeat(65))).1,
        format!("invalid namespace name \"{}\": it is 65 characters long; the limit is 64", "a".repeat(65))
    );
    assert!(parse_spec(&format!(r#"{{"name": "{}"}}"#, "a".repeat(64)), Limits::default()).is_ok());
    assert_eq!(
        one(r#"{"name": "r", "processes": [{"name": "w:1", "command": ["x"]}]}"#),
        ("$.processes[0].name".into(), "invalid process name \"w:1\": ':' is not allowed".into())
    );
}

#[test]
fn sibling_and_process_names_are_unique() {
    let errs = errors(r#"{"name": "r", "children": [{"name": "a"}, {"name": "b"}, {"name": "a"}]}"#);
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].path, "$.children[2].name");
    assert_eq!(errs[0].message, "there is already a namespace named \"a\" in r");
    // Same name at different levels is fine.
    assert!(parse_spec(
        r#"{"name": "a", "children": [{"name": "a", "children": [{"name": "a"}]}]}"#,
        Limits::default()
    )
    .is_ok());

    let errs = errors(
        r#"{"name": "r", "children": [{"name": "a", "processes": [
            {"name": "w", "command": ["x"]}, {"name": "w", "command": ["y"]}]}]}"#,
    );
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].path, "$.children[0].processes[1].name");
    assert_eq!(errs[0].message, "namespace r/a already has a process named \"w\"");
    assert!(errs[0].hint.as_deref().unwrap().contains("r/a:w"));
    // A process may share its namespace's name, or a process name elsewhere.
    assert!(parse_spec(
        r#"{"name": "r", "processes": [{"name": "r", "command": ["x"]}], "children": [{"name": "a", "processes": [{"name": "r", "command": ["x"]}]}]}"#,
        Limits::default()
    )
    .is_ok());
}

#[test]
fn process_name_init_is_reserved() {
    let errs = errors(r#"{"name": "r", "processes": [{"name": "init", "command": ["x"]}]}"#);
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].path, "$.processes[0].name");
    assert_eq!(errs[0].message, "the process name \"init\" is reserved");
}

#[test]
fn process_required_fields() {
    assert_eq!(
        one(r#"{"name": "r", "processes": [{"name": "p"}]}"#),
        ("$.processes[0]".into(), "missing required field \"command\"".into())
    );
    assert_eq!(
        one(r#"{"name": "r", "processes": [{"command": ["x"]}]}"#),
        ("$.processes[0]".into(), "missing required field \"name\"".into())
    );
}

#[test]
fn command_rules() {
    assert_eq!(
        one(&proc_with(r#""command": 5"#)),
        ("$.processes[0].command".into(), "expected an array of strings, found a number".into())
    );
    assert_eq!(
        hint(&proc_with(r#""command": "sleep 10""#)),
        "write the program and its arguments as an array: [\"sleep\", \"10\"]"
    );
    assert_eq!(
        one(&proc_with(r#""command": []"#)),
        ("$.processes[0].command".into(), "command must not be empty".into())
    );
    assert_eq!(
        one(&proc_with(r#""command": ["", "x"]"#)),
        ("$.processes[0].command[0]".into(), "the program name (command[0]) must not be empty".into())
    );
    // Only the program must be non-empty; empty arguments are legitimate.
    assert!(parse_spec(&proc_with(r#""command": ["printf", ""]"#), Limits::default()).is_ok());
    let errs = errors(&proc_with(r#""command": ["nc", "-l", 8080]"#));
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].path, "$.processes[0].command[2]");
    assert_eq!(errs[0].message, "expected a string, found a number");
    assert_eq!(errs[0].hint.as_deref(), Some("command arguments must be strings: write \"8080\""));
    assert_eq!(
        one(&proc_with(r#""command": ["a\u0000b"]"#)),
        (
            "$.processes[0].command[0]".into(),
            "command argument contains a NUL character (\\u0000), which cannot be passed to the kernel".into()
        )
    );
}

#[test]
fn env_rules() {
    assert_eq!(
        one(&proc_with(r#""command": ["x"], "env": ["A=1"]"#)),
        ("$.processes[0].env".into(), "expected an object mapping variable names to strings, found an array".into())
    );
    assert_eq!(
        one(&proc_with(r#""command": ["x"], "env": {"": "1"}"#)),
        ("$.processes[0].env[\"\"]".into(), "environment variable name must not be empty".into())
    );
    assert_eq!(
        one(&proc_with(r#""command": ["x"], "env": {"A=B": "1"}"#)),
        ("$.processes[0].env[\"A=B\"]".into(), "environment variable name \"A=B\" must not contain '='".into())
    );
    let errs = errors(&proc_with(r#""command": ["x"], "env": {"PORT": 8080}"#));
    assert_eq!(
        (errs[0].path.as_str(), errs[0].message.as_str()),
        ("$.processes[0].env.PORT", "expected a string, found a number")
    );
    assert_eq!(errs[0].hint.as_deref(), Some("environment values must be strings: write \"8080\""));
    assert_eq!(
        one(&proc_with(r#""command": ["x"], "env": {"A": "\u0000"}"#)).1,
        "environment variable value contains a NUL character (\\u0000), which cannot be passed to the kernel"
    );
    assert_eq!(
        one(&proc_with(r#""command": ["x"], "env": {"A\u0000": "1"}"#)).1,
        "environment variable name contains a NUL character (\\u0000), which cannot be passed to the kernel"
    );
}

#[test]
fn cwd_rules() {
    assert_eq!(
        one(&proc_with(r#""command": ["x"], "cwd": "srv/app""#)),
        ("$.processes[0].cwd".into(), "cwd must be an absolute path, found \"srv/app\"".into())
    );
    assert_eq!(one(&proc_with(r#""command": ["x"], "cwd": null"#)).1, "expected a string, found null");
    assert_eq!(
        one(&proc_with(r#""command": ["x"], "cwd": "/a\u0000""#)).1,
        "cwd contains a NUL character (\\u0000), which cannot be passed to the kernel"
    );
}

#[test]
fn tty_rules() {
    let spec = parse_spec(&proc_with(r#""command": ["x"], "tty": true"#), Limits::default()).unwrap();
    assert!(spec.processes[0].tty);
    let spec = parse_spec(&proc_with(r#""command": ["x"]"#), Limits::default()).unwrap();
    assert!(!spec.processes[0].tty, "no terminal unless asked for");
    assert_eq!(
        one(&proc_with(r#""command": ["x"], "tty": "true""#)),
        ("$.processes[0].tty".into(), "expected a boolean (true or false), found a string".into())
    );
    assert_eq!(hint(&proc_with(r#""command": ["x"], "tty": "true""#)), "remove the quotes: \"tty\": true");
    assert_eq!(one(&proc_with(r#""command": ["x"], "tty": 1"#)).0, "$.processes[0].tty");
    // The user's PID 1 takes no terminal: it is not a field of `init`.
    let (path, _) = one(r#"{"name": "root", "children": [{"name": "a", "init": {"command": ["x"], "tty": true}}]}"#);
    assert_eq!(path, "$.children[0].init.tty");
}

#[test]
fn all_errors_are_collected_in_document_order() {
    let text = r#"{
  "name": "bad name",
  "processes": [
    {"name": "p", "command": []},
    {"name": "q", "command": ["x"], "cwd": "rel", "extra": 1}
  ],
  "children": [{"name": "a", "mountProc": "yes"}, {}]
}"#;
    let errs = errors(text);
    let got: Vec<(String, u32, u32)> =
        errs.iter().map(|e| (e.path.clone(), e.pos.unwrap().line, e.pos.unwrap().col)).collect();
    assert_eq!(
        got,
        [
            ("$.name".to_string(), 2, 11),
            ("$.processes[0].command".to_string(), 4, 30),
            ("$.processes[1].cwd".to_string(), 5, 44),
            ("$.processes[1].extra".to_string(), 5, 51),
            ("$.children[0].mountProc".to_string(), 7, 43),
            ("$.children[1]".to_string(), 7, 51),
        ]
    );
}

/// A chain of `depth` nested namespaces.
fn chain(depth: u32) -> String {
    let mut s = String::from(r#"{"name": "n1""#);
    for i in 2..=depth {
        s.push_str(&format!(r#", "children": [{{"name": "n{i}""#));
    }
    s.push('}');
    for _ in 2..=depth {
        s.push_str("]}");
    }
    s
}

#[test]
fn depth_limit_boundary() {
    assert!(parse_spec(&chain(32), Limits::default()).is_ok());
    let errs = errors(&chain(33));
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].path, format!("${}", ".children[0]".repeat(32)));
    assert_eq!(
        errs[0].message,
        "this tree is 33 levels deep but only 32 PID-namespace levels are left below the current one \
(the kernel allows 32 in all; the host already uses 0)"
    );
    assert_eq!(errs[0].hint.as_deref(), Some("flatten the tree or run from a shallower namespace"));
    assert_eq!(errs[0].kind, IssueKind::Depth, "callers tell the depth limit by its kind, not its text");

    let nested = Limits::for_host_levels(3);
    assert_eq!(nested, Limits { max_depth: 29, host_levels: 3 });
    assert!(parse_spec(&chain(29), nested).is_ok());
    let errs = errors_with(&chain(40), nested);
    assert_eq!(errs.len(), 1, "reported once, not per node");
    assert_eq!(errs[0].path, format!("${}", ".children[0]".repeat(29)));
    assert!(errs[0].message.starts_with("this tree is 40 levels deep but only 29 PID-namespace levels are left"));
    assert!(errs[0].message.ends_with("the host already uses 3)"));

    let none_left = Limits::for_host_levels(32);
    assert_eq!(
        errors_with(r#"{"name": "r"}"#, none_left)[0].message,
        "this tree is 1 level deep but only 0 PID-namespace levels are left below the current one \
(the kernel allows 32 in all; the host already uses 32)"
    );
}

#[test]
fn display_format() {
    let e = &errors(r#"{"name": "r", "mountPoc": true}"#)[0];
    assert_eq!(
        e.to_string(),
        "$.mountPoc (line 1, column 15): unknown field \"mountPoc\"\n  hint: did you mean \"mountProc\"? \
allowed fields here: \"$schema\", \"name\", \"processes\", \"children\", \"mountProc\", \"init\", \
\"reproduciblePids\", \"expect\""
    );
}

#[test]
fn user_init_has_no_child_namespaces() {
    let errs = errors(
        r#"{"name": "r", "children": [{"name": "u", "init": {"command": ["sleep", "9"]}, "children": [{"name": "a"}]}]}"#,
    );
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].path, "$.children[0].children");
    assert_eq!(errs[0].message, "namespace r/u has your command as PID 1, so it cannot have child namespaces");
}

#[test]
fn reproducible_pids_is_a_top_level_boolean() {
    let spec = parse_spec(r#"{"name": "r", "reproduciblePids": true}"#, Limits::default()).unwrap();
    assert!(spec.reproducible_pids);
    assert!(!parse_spec(r#"{"name": "r"}"#, Limits::default()).unwrap().reproducible_pids);
    assert_eq!(
        one(r#"{"name": "r", "reproduciblePids": "true"}"#),
        ("$.reproduciblePids".into(), "expected a boolean (true or false), found a string".into())
    );
    assert_eq!(hint(r#"{"name": "r", "reproduciblePids": "true"}"#), "remove the quotes: \"reproduciblePids\": true");
    let nested = r#"{"name": "r", "children": [{"name": "a", "reproduciblePids": true}]}"#;
    assert_eq!(one(nested), ("$.children[0].reproduciblePids".into(), "unknown field \"reproduciblePids\"".into()));
    assert_eq!(hint(nested), "\"reproduciblePids\" is only allowed at the top level");
}

#[test]
fn each_issue_says_what_kind_it_is() {
    assert_eq!(errors("{").iter().map(|e| e.kind).collect::<Vec<_>>(), [IssueKind::Syntax]);
    let errs = errors(r#"{"name": 1, "processes": {}}"#);
    assert!(errs.len() == 2 && errs.iter().all(|e| e.kind == IssueKind::Invalid), "{errs:#?}");
}
