use pidns_model::{parse_spec, Forward, InitSpec, Limits, Plan, PlanNode, ProcessSpec, TreeSpec};

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

fn sample() -> TreeSpec {
    // root
    // ├── a
    // │   ├── b
    // │   └── c
    // └── d
    //     └── e
    let mut root =
        node("root", vec![node("a", vec![node("b", vec![]), node("c", vec![])]), node("d", vec![node("e", vec![])])]);
    root.children[1].mount_proc = false;
    root.processes.push(ProcessSpec {
        name: "web".into(),
        command: vec!["node".into(), "server.js".into()],
        env: vec![("PORT".into(), "8080".into())],
        cwd: Some("/srv".into()),
        tty: true,
    });
    root
}

#[test]
fn flattens_depth_first_pre_order() {
    let plan = Plan::from_spec(&sample());
    let rows: Vec<(&str, u32, Option<usize>, Vec<usize>)> =
        plan.nodes.iter().map(|n| (n.path.as_str(), n.depth, n.parent, n.children.clone())).collect();
    assert_eq!(
        rows,
        [
            ("root", 1, None, vec![1, 4]),
            ("root/a", 2, Some(0), vec![2, 3]),
            ("root/a/b", 3, Some(1), vec![]),
            ("root/a/c", 3, Some(1), vec![]),
            ("root/d", 2, Some(0), vec![5]),
            ("root/d/e", 3, Some(4), vec![]),
        ]
    );
    assert_eq!(plan.nodes[4].name, "d");
    assert!(!plan.nodes[4].mount_proc);
    assert!(plan.nodes[5].mount_proc);
    assert_eq!(plan.nodes[0].processes[0].name, "web");
}

#[test]
fn to_json_is_compact_and_exact() {
    let plan = Plan::from_spec(&node("r", vec![node("a", vec![])]));
    assert_eq!(
        plan.to_json(),
        r#"{"nodes":[{"path":"r","name":"r","depth":1,"parent":null,"children":[1],"mountProc":true,"processes":[],"init":{"forward":"process","stopTimeoutMs":10000,"command":null}},{"path":"r/a","name":"a","depth":2,"parent":0,"children":[],"mountProc":true,"processes":[],"init":{"forward":"process","stopTimeoutMs":10000,"command":null}}],"reproduciblePids":false}"#
    );
    let json = Plan::from_spec(&sample()).to_json();
    assert!(json.contains(
        r#""processes":[{"name":"web","command":["node","server.js"],"env":{"PORT":"8080"},"cwd":"/srv","tty":true}]"#
    ));
}

#[test]
fn round_trips() {
    let plan = Plan::from_spec(&sample());
    assert_eq!(Plan::from_json(&plan.to_json()).unwrap(), plan);
}

#[test]
fn reproducible_pids_reaches_the_plan() {
    let spec = parse_spec(r#"{"name": "r", "reproduciblePids": true, "children": [{"name": "a"}]}"#, Limits::default())
        .unwrap();
    let plan = Plan::from_spec(&spec);
    assert!(plan.reproducible_pids);
    assert!(plan.to_json().ends_with(r#"],"reproduciblePids":true}"#));
    assert_eq!(Plan::from_json(&plan.to_json()).unwrap(), plan);
    // A plan without the field (an older writer) means the default start order.
    assert!(!Plan::from_json(&root_json("")).unwrap().reproducible_pids);
    assert_eq!(
        bad(&format!("{},\"reproduciblePids\":1}}", root_json("").trim_end_matches('}'))),
        "plan.reproduciblePids: expected a boolean, found a number"
    );
}

#[test]
fn round_trips_weird_strings() {
    let weird = [
        "",
        "quote \" backslash \\ slash /",
        "controls \u{0} \u{1} \u{8} \t \n \r \u{c} \u{1f} \u{7f}",
        "unicode é ß 日本 😀 \u{10ffff}",
        "separators \u{2028} \u{2029}",
        "\\u0041 is not an escape here",
        "{\"json\": [1,2]}",
    ];
    let mut root = node("root", vec![]);
    for (i, w) in weird.iter().enumerate() {
        root.processes.push(ProcessSpec {
            name: format!("p{i}"),
            command: vec![format!("prog{w}"), w.to_string()],
            env: vec![(format!("K{w}"), w.to_string())],
            cwd: Some(format!("/{w}")),
            tty: i % 2 == 0,
        });
    }
    let plan = Plan::from_spec(&root);
    let json = plan.to_json();
    assert!(!json.contains('\u{2028}') && !json.contains('\n'), "must stay on one line: {json}");
    assert_eq!(Plan::from_json(&json).unwrap(), plan);
}

#[test]
fn validated_spec_round_trips() {
    let spec = parse_spec(
        r#"{"name": "root", "children": [{"name": "a", "mountProc": false, "processes": [
            {"name": "w", "command": ["sh", "-c", "echo \"hi\"\n"], "env": {"Z": "1", "A": "2"}}]}]}"#,
        Limits::default(),
    )
    .unwrap();
    let plan = Plan::from_spec(&spec);
    let back = Plan::from_json(&plan.to_json()).unwrap();
    assert_eq!(back, plan);
    // Environment order is preserved, not sorted.
    assert_eq!(back.nodes[1].processes[0].env[0].0, "Z");
}

fn bad(json: &str) -> String {
    Plan::from_json(json).expect_err("expected the plan to be rejected")
}

fn root_json(fields: &str) -> String {
    format!(
        r#"{{"nodes":[{{"path":"r","name":"r","depth":1,"parent":null,"children":[],"mountProc":true,"processes":[],"init":{{"forward":"process","stopTimeoutMs":10000,"command":null}}{fields}}}]}}"#
    )
}

#[test]
fn from_json_rejects_malformed_plans() {
    assert_eq!(bad("{"), "plan: expected a string, found the end of the text");
    assert_eq!(bad("[]"), "plan: expected an object, found an array");
    assert_eq!(bad(r#"{"nodes": []} x"#), "plan: extra text after the document");
    assert_eq!(bad(r#"{"nodes": []}"#), "plan.nodes is empty");
    assert_eq!(bad(r#"{"nodes": [{}]}"#), "plan.nodes[0]: path is missing");
    assert_eq!(
        bad(&root_json("").replace(r#""depth":1"#, r#""depth":1.5"#)),
        "plan.nodes[0].depth: expected an integer, found a number with a fraction or exponent"
    );
    assert_eq!(bad(&root_json("").replace(r#""depth":1"#, r#""depth":2"#)), "plan.nodes[0].depth is 2, expected 1");
    assert_eq!(
        bad(&root_json("").replace(r#""path":"r""#, r#""path":"x""#)),
        "plan.nodes[0].path is \"x\", expected \"r\""
    );
    assert_eq!(
        bad(&root_json("").replace(r#""children":[]"#, r#""children":[7]"#)),
        "plan.nodes[0].children is [7], but the parent links say []"
    );
    assert_eq!(
        bad(&root_json("").replace(r#""parent":null"#, r#""parent":0"#)),
        "plan.nodes[0].parent (0) is not an earlier node"
    );
    assert_eq!(
        bad(&root_json("")
            .replace(r#""processes":[]"#, r#""processes":[{"name":"p","command":[],"env":{},"cwd":null}]"#)),
        "plan.nodes[0].processes[0].command: has no program to run"
    );
    assert_eq!(
        bad(&root_json("")
            .replace(r#""processes":[]"#, r#""processes":[{"name":"p","command":["x"],"env":{"A":1},"cwd":null}]"#)),
        "plan.nodes[0].processes[0].env.A: expected a string, found a number"
    );
    // Unknown fields are ignored.
    assert!(Plan::from_json(&root_json(r#","future":1"#)).is_ok());
}

#[test]
fn from_json_checks_parent_links() {
    let mut plan = Plan::from_spec(&sample());
    let mut forward = plan.clone();
    forward.nodes[2].parent = Some(4);
    assert_eq!(Plan::from_json(&forward.to_json()).unwrap_err(), "plan.nodes[2].parent (4) is not an earlier node");
    // Consistent depth and path, but the parent doesn't list the child.
    plan.nodes[3].parent = Some(0);
    plan.nodes[3].path = "root/c".into();
    plan.nodes[3].depth = 2;
    assert_eq!(
        Plan::from_json(&plan.to_json()).unwrap_err(),
        "plan.nodes[0].children is [1, 4], but the parent links say [1, 3, 4]"
    );
    let extra_root = Plan {
        nodes: vec![
            PlanNode {
                path: "r".into(),
                name: "r".into(),
                depth: 1,
                parent: None,
                children: vec![],
                mount_proc: true,
                processes: vec![],
                init: InitSpec::default(),
            };
            2
        ],
        reproducible_pids: false,
    };
    assert_eq!(
        Plan::from_json(&extra_root.to_json()).unwrap_err(),
        "plan.nodes[1] has no parent but is not the first node"
    );
}

#[test]
fn init_options_and_user_init_round_trip() {
    let spec = parse_spec(
        r#"{"name": "r", "init": {"forward": "group", "stopTimeout": 2.5},
            "children": [{"name": "u", "init": {"command": ["sh", "-c", "sleep 9"], "env": {"A": "1"}, "cwd": "/"}}]}"#,
        Limits::default(),
    )
    .unwrap();
    let plan = Plan::from_spec(&spec);
    assert_eq!(plan.nodes[0].init.forward, Forward::Group);
    assert_eq!(plan.nodes[0].init.stop_timeout_ms, 2500);
    let user = plan.nodes[1].init.command.as_ref().unwrap();
    assert_eq!(user.name, "init");
    assert_eq!(user.command, ["sh", "-c", "sleep 9"]);
    assert_eq!(user.env, [("A".to_string(), "1".to_string())]);
    assert_eq!(Plan::from_json(&plan.to_json()).unwrap(), plan);
}
