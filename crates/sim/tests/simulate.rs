//! Simulations end to end, through the JSON a caller gets: each test is a rule of the kernel or
//! of pidns-tree's init, played as steps.
use pidns_model::{parse_json, Value};
use pidns_sim::{plan_json, simulate_json};

fn sim(spec: &str, steps: &str) -> Value {
    let out = simulate_json(spec, steps, 0);
    let v = parse_json(&out).unwrap();
    assert_eq!(v.get("valid").map(|b| b.kind.clone()), Some(pidns_model::Kind::Bool(true)), "{out}");
    v
}

fn text(v: &Value) -> String {
    match &v.kind {
        pidns_model::Kind::String(s) => s.clone(),
        pidns_model::Kind::Number { raw, .. } => raw.clone(),
        pidns_model::Kind::Null => "null".into(),
        pidns_model::Kind::Bool(b) => b.to_string(),
        _ => format!("{v:?}"),
    }
}

/// A step's events as compact strings: `exit root/a:w 143 SIGTERM`, `reap root 5 0`, ...
fn events(v: &Value, step: usize) -> Vec<String> {
    let s = &v.get("steps").unwrap().as_array().unwrap()[step];
    s.get("events").unwrap().as_array().unwrap().iter().map(describe).collect()
}

fn describe(e: &Value) -> String {
    let f = |k: &str| e.get(k).map(text).unwrap_or_default();
    match f("event").as_str() {
        "exit" => {
            let reason = if e.get("reason").is_some() { " (with its namespace)" } else { "" };
            format!("exit {}:{} {} {}{reason}", f("node"), f("process"), f("code"), f("signal"))
        }
        "reap" => format!("reap {} {} {} {}", f("node"), f("pid"), f("code"), f("signal")),
        "zombies" => format!("zombies {} {}", f("node"), f("count")),
        "end" => format!("end {}", f("code")),
        other => format!("{other} {}:{}", f("node"), f("process")),
    }
}

fn result(v: &Value, step: usize) -> String {
    text(v.get("steps").unwrap().as_array().unwrap()[step].get("result").unwrap())
}

fn process<'v>(v: &'v Value, node: &str, name: &str) -> &'v Value {
    v.get("tree")
        .unwrap()
        .get("processes")
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .find(|p| text(p.get("node").unwrap()) == node && text(p.get("process").unwrap()) == name)
        .unwrap_or_else(|| panic!("no {node}:{name}"))
}

fn state(v: &Value, node: &str, name: &str) -> String {
    text(process(v, node, name).get("state").unwrap())
}

const SLEEPER: &str = r#"{"name": "w", "command": ["sleep", "infinity"]}"#;

#[test]
fn our_init_reaps_orphans_and_reports_them() {
    let spec = format!(r#"{{"name": "root", "processes": [{SLEEPER}]}}"#);
    let v = sim(
        &spec,
        r#"[{"op": "fork", "process": "root:w"}, {"op": "fork", "process": "root:w.1"},
        {"op": "exit", "process": "root:w.1", "code": 4}, {"op": "kill", "from": "root:w", "target": 4}]"#,
    );
    // w.1 exits while its child w.1.1 lives: w.1.1 goes to PID 1; w.1 stays a zombie of w.
    assert_eq!(events(&v, 2), Vec::<String>::new());
    assert_eq!(state(&v, "root", "w.1"), "zombie");
    assert_eq!(text(process(&v, "root", "w.1.1").get("parent").unwrap()), "root:init");
    // w kills PID 4 (w.1.1): our init reaps it.
    assert_eq!(events(&v, 3), ["reap root 4 143 SIGTERM"]);
    assert_eq!(text(process(&v, "root", "w.1.1").get("reapedBy").unwrap()), "root:init");
}

#[test]
fn an_init_whose_processes_are_done_stops_the_orphans_and_exits() {
    let spec = format!(r#"{{"name": "root", "processes": [{SLEEPER}]}}"#);
    let v = sim(&spec, r#"[{"op": "fork", "process": "root:w"}, {"op": "exit", "process": "root:w", "code": 0}]"#);
    // w's exit waits for its output pipe, which w.1 still has; PID 1 has only an orphan left,
    // sends it SIGTERM, reaps it, then exits 0 (orphans do not count); the tree ends.
    assert_eq!(events(&v, 1), ["exit root:w 0 null", "reap root 3 143 SIGTERM", "exit root:init 0 null", "end 0"]);
}

#[test]
fn stop_sends_sigterm_and_sigkills_what_ignores_it_at_the_deadline() {
    let spec = format!(
        r#"{{"name": "root", "init": {{"stopTimeout": 2.5}}, "processes": [{SLEEPER}], "children": [
            {{"name": "z", "init": {{"command": ["sleep", "infinity"]}}}}]}}"#
    );
    let v = sim(&spec, r#"[{"op": "stop", "node": "root"}]"#);
    assert_eq!(
        events(&v, 0),
        ["exit root:w 143 SIGTERM", "exit root/z:init 137 SIGKILL", "exit root:init 143 null", "end 143"]
    );
    assert_eq!(text(v.get("tree").unwrap().get("clockMs").unwrap()), "2500");
}

#[test]
fn signals_to_our_init_are_forwarded_by_process_or_by_group() {
    for forward in ["process", "group"] {
        // z (a user's PID 1) ignores SIGUSR1 from above: our init keeps something to wait for.
        let spec = format!(
            r#"{{"name": "root", "init": {{"forward": "{forward}"}}, "processes": [{SLEEPER}],
                "children": [{{"name": "z", "init": {{"command": ["sh"]}}}}]}}"#
        );
        let v = sim(
            &spec,
            r#"[{"op": "fork", "process": "root:w"}, {"op": "kill", "from": "root:w.1", "target": 1, "signal": "USR1"}]"#,
        );
        let e = events(&v, 1);
        assert_eq!(state(&v, "root/z", "init"), "running");
        if forward == "group" {
            // w's group is w and w.1: both die; w.1 was w's zombie, then PID 1's orphan.
            assert_eq!(e, ["exit root:w 138 SIGUSR1", "reap root 4 138 SIGUSR1"]);
        } else {
            // Only w: w.1 lives on (adopted by PID 1) and holds w's pipe, so w's exit waits.
            assert!(e.is_empty(), "{e:?}");
            assert_eq!(state(&v, "root", "w.1"), "running");
            assert_eq!(state(&v, "root", "w"), "gone");
        }
    }
}

#[test]
fn a_user_pid_1_that_does_not_reap_collects_zombies_and_kill_minus_one_spares_it() {
    let spec = r#"{"name": "root", "children": [{"name": "z", "init": {"command": ["sh"]},
        "processes": [{"name": "p", "command": ["sh"]}]}]}"#;
    let v = sim(
        spec,
        r#"[{"op": "fork", "process": "root/z:p"}, {"op": "fork", "process": "root/z:p"},
        {"op": "exit", "process": "root/z:p", "code": 0},
        {"op": "kill", "from": "root/z", "target": -1, "signal": "TERM"}]"#,
    );
    // p is the parent's init's child: it reports p. p's two children go to the user's PID 1.
    assert_eq!(events(&v, 2), Vec::<String>::new(), "p's pipe is still held by its children");
    assert_eq!(events(&v, 3), ["exit root/z:p 0 null", "zombies root/z 2"]);
    assert_eq!(state(&v, "root/z", "init"), "running");
    let tree = v.get("tree").unwrap().get("namespaces").unwrap().as_array().unwrap();
    let z = tree.iter().find(|n| text(n.get("node").unwrap()) == "root/z").unwrap();
    let pids: Vec<String> = z.get("proc").unwrap().get("pids").unwrap().as_array().unwrap().iter().map(text).collect();
    assert_eq!(pids, ["1", "3", "4"]);
}

#[test]
fn visibility_decides_what_a_pid_names() {
    let spec = format!(
        r#"{{"name": "root", "processes": [{SLEEPER}], "children": [{{"name": "a", "processes": [{SLEEPER}]}}]}}"#
    );
    let v = sim(
        &spec,
        r#"[{"op": "kill", "from": "root/a:w", "target": 3, "signal": 0},
        {"op": "kill", "from": "root:w", "target": 4, "signal": 0},
        {"op": "kill", "from": "root/a:w", "target": "root:w", "signal": "KILL"},
        {"op": "kill", "from": "root:w", "target": "root/a:w", "signal": "KILL"}]"#,
    );
    assert_eq!(result(&v, 0), "ESRCH", "root/a has PIDs 1 and 2 only");
    assert_eq!(result(&v, 1), "ok", "root sees root/a:w as 4");
    assert_eq!(result(&v, 2), "ESRCH", "root:w has no PID in root/a");
    // root/a's init has nothing left and exits with the first failure of what it started.
    assert_eq!(events(&v, 3), ["exit root/a:w 137 SIGKILL", "exit root/a:init 137 null"]);
}

#[test]
fn entering_a_namespace_whose_pid_1_died_fails_with_enomem_and_uses_a_number() {
    let spec = format!(
        r#"{{"name": "root", "processes": [{SLEEPER}], "children": [{{"name": "a", "processes": [{SLEEPER}]}}]}}"#
    );
    let v = sim(
        &spec,
        r#"[{"op": "enter", "node": "root/a"}, {"op": "kill", "from": "host", "target": "root/a", "signal": "KILL"},
        {"op": "enter", "node": "root/a"}, {"op": "fork", "process": "root:w"}]"#,
    );
    let created = |i: usize| {
        let s = &v.get("steps").unwrap().as_array().unwrap()[i];
        let pids = s.get("created").unwrap().get("pids").unwrap();
        pids.as_object().unwrap().iter().map(|m| format!("{}={}", m.key, text(&m.value))).collect::<Vec<_>>()
    };
    assert_eq!(created(0), ["root=5", "root/a=3"]);
    assert_eq!(events(&v, 1), ["exit root/a:init 137 SIGKILL", "exit root/a:w 137 SIGKILL (with its namespace)"]);
    assert_eq!(text(process(&v, "root/a", "host.1").get("reapedBy").unwrap()), "host");
    assert_eq!(result(&v, 2), "ENOMEM");
    assert_eq!(created(3), ["root=7"], "the failed fork took 6 in root");
}

#[test]
fn setsid_and_subreaper() {
    let spec = format!(r#"{{"name": "root", "processes": [{SLEEPER}]}}"#);
    let v = sim(
        &spec,
        r#"[{"op": "setsid", "process": "root:w"}, {"op": "fork", "process": "root:w"},
        {"op": "setsid", "process": "root:w.1"}, {"op": "subreaper", "process": "root:w"},
        {"op": "fork", "process": "root:w.1"}, {"op": "exit", "process": "root:w.1", "code": 0}]"#,
    );
    assert_eq!(result(&v, 0), "EPERM", "pidns-tree starts each process as a group leader");
    assert_eq!(result(&v, 2), "ok");
    assert_eq!(text(process(&v, "root", "w.1").get("sid").unwrap()), "3");
    assert_eq!(text(process(&v, "root", "w.1.1").get("parent").unwrap()), "root:w", "the subreaper adopts");
    assert_eq!(state(&v, "root", "w.1"), "zombie");
}

#[test]
fn a_namespace_with_nothing_to_run_ends_at_once() {
    let v =
        sim(r#"{"name": "root", "processes": [{"name": "w", "command": ["x"]}], "children": [{"name": "a"}]}"#, "[]");
    let startup: Vec<String> = v.get("startup").unwrap().as_array().unwrap().iter().map(describe).collect();
    assert_eq!(startup, ["start root:init", "start root:w", "start root/a:init", "exit root/a:init 0 null"]);
}

#[test]
fn steps_are_checked_against_the_tree() {
    let spec = format!(r#"{{"name": "root", "processes": [{SLEEPER}]}}"#);
    let out = simulate_json(
        &spec,
        r#"[{"op": "fork", "process": "root/x:w"}, {"op": "kill", "from": "host", "target": 3},
        {"op": "exit", "process": "root"}, {"op": "kill", "from": "root:w", "target": 1, "signal": "SIGFOO"}, {"op": "jump"}]"#,
        0,
    );
    let v = parse_json(&out).unwrap();
    assert_eq!(text(v.get("code").unwrap()), "INVALID_STEPS");
    let paths: Vec<String> =
        v.get("issues").unwrap().as_array().unwrap().iter().map(|i| text(i.get("path").unwrap())).collect();
    assert_eq!(paths, ["$[0].process", "$[1].target", "$[2].process", "$[3].signal", "$[4].op"]);
}

#[test]
fn steps_on_processes_that_are_gone_are_skipped() {
    let spec = format!(r#"{{"name": "root", "processes": [{SLEEPER}, {{"name": "x", "command": ["x"]}}]}}"#);
    let v = sim(
        &spec,
        r#"[{"op": "exit", "process": "root:w"}, {"op": "fork", "process": "root:w"}, {"op": "fork", "process": "root:nope"}]"#,
    );
    assert_eq!(result(&v, 1), "skipped");
    assert_eq!(result(&v, 2), "skipped");
}

#[test]
fn start_up_pids_can_be_pinned_within_what_is_possible() {
    let spec =
        r#"{"name": "h", "children": [{"name": "a", "processes": [{"name": "p", "command": ["x"]}]}, {"name": "b"}]}"#;
    let v = sim(spec, r#"{"pids": {"h/b:init": {"h": 3}, "h/a:p": {"h": 4}}, "steps": []}"#);
    let starts: Vec<String> = v
        .get("startup")
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| text(e.get("event").unwrap()) == "start")
        .map(|e| {
            format!(
                "{}:{}={}",
                text(e.get("node").unwrap()),
                text(e.get("process").unwrap()),
                text(e.get("pids").unwrap().get("h").unwrap())
            )
        })
        .collect();
    assert_eq!(starts, ["h:init=1", "h/a:init=2", "h/a:p=4", "h/b:init=3"]);
    assert_eq!(v.get("assumedPids").unwrap().as_array().unwrap().len(), 0);
    let unpinned = sim(spec, "[]");
    assert_eq!(unpinned.get("assumedPids").unwrap().as_array().unwrap().len(), 2, "h/a:p and h/b:init race");
    let bad = parse_json(&simulate_json(spec, r#"{"pids": {"h/b:init": {"h": 9}}, "steps": []}"#, 0)).unwrap();
    assert_eq!(
        text(bad.get("issues").unwrap().as_array().unwrap()[0].get("message").unwrap()),
        "PID 9 is not possible here: it is 3 to 4"
    );
}

#[test]
fn plan_predicts_pids_with_ranges_where_siblings_race() {
    let spec =
        r#"{"name": "h", "children": [{"name": "a", "processes": [{"name": "p", "command": ["x"]}]}, {"name": "b"}]}"#;
    let v = parse_json(&plan_json(spec, 0)).unwrap();
    let items = v.get("predicted").unwrap().as_array().unwrap();
    let b = items.iter().find(|i| text(i.get("node").unwrap()) == "h/b").unwrap();
    assert_eq!(text(b.get("pids").unwrap().get("h/b").unwrap()), "1");
    assert_eq!(text(&b.get("ranges").unwrap().get("h").unwrap().as_array().unwrap()[0]), "3");
    assert_eq!(text(&b.get("ranges").unwrap().get("h").unwrap().as_array().unwrap()[1]), "4");
    let r = parse_json(&plan_json(&spec.replacen('{', r#"{"reproduciblePids": true, "#, 1), 0)).unwrap();
    assert!(r.get("predicted").unwrap().as_array().unwrap().iter().all(|i| i
        .get("ranges")
        .unwrap()
        .as_object()
        .unwrap()
        .is_empty()));
}

#[test]
fn a_dying_pid_1_takes_everything_below_and_the_collector_says_why() {
    let spec = r#"{"name": "root", "children": [{"name": "a", "processes": [{"name": "a1", "command": ["x"]}],
        "children": [{"name": "b", "processes": [{"name": "b1", "command": ["x"]}]}]}, {"name": "c", "processes": [{"name": "c1", "command": ["x"]}]}]}"#;
    let v = sim(spec, r#"[{"op": "kill", "from": "host", "target": "root/a", "signal": "KILL"}]"#);
    assert_eq!(
        events(&v, 0),
        [
            "exit root/a:init 137 SIGKILL",
            "exit root/a:a1 137 SIGKILL (with its namespace)",
            "exit root/a/b:init 137 SIGKILL (with its namespace)",
            "exit root/a/b:b1 137 SIGKILL (with its namespace)"
        ]
    );
    assert_eq!(state(&v, "root/c", "c1"), "running");
}

#[test]
fn nested_stop_deadlines_race_and_the_inner_init_may_end_either_way() {
    // Found by the differential test: stopping `a` stops `b` too (SIGTERM forwarded), and only
    // the user's PID 1 of `z` ignores SIGTERM, so both inits reach their SIGKILL deadline after
    // the same stopTimeout. Whichever fires first decides how b's init ends.
    let spec = r#"{"name": "r", "children": [{"name": "a", "init": {"stopTimeout": 1}, "processes": [{"name": "w", "command": ["x"]}],
        "children": [{"name": "b", "init": {"stopTimeout": 1}, "children": [{"name": "z", "init": {"command": ["sh"]}}]}]}]}"#;
    let v = sim(spec, r#"[{"op": "stop", "node": "r/a"}]"#);
    assert_eq!(
        events(&v, 0),
        [
            "exit r/a:w 143 SIGTERM",
            "exit r/a/b:init 137 SIGKILL",
            "exit r/a/b/z:init 137 SIGKILL (with its namespace)",
            "exit r/a:init 143 null",
            "exit r:init 143 null",
            "end 143"
        ]
    );
    let racing = v.get("steps").unwrap().as_array().unwrap()[0].get("racing").unwrap().as_array().unwrap();
    let b = racing.iter().find(|r| text(r.get("node").unwrap()) == "r/a/b").unwrap();
    let exits: Vec<String> = b
        .get("exits")
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|e| format!("{} {}", text(e.get("code").unwrap()), text(e.get("signal").unwrap())))
        .collect();
    assert_eq!(exits, ["137 null", "137 SIGKILL"]);
}

/// The `racingReaps` of a step, as `node:process`.
fn racing_reaps(v: &Value, step: usize) -> Vec<String> {
    let s = &v.get("steps").unwrap().as_array().unwrap()[step];
    s.get("racingReaps")
        .map(|r| {
            r.as_array()
                .unwrap()
                .iter()
                .map(|e| format!("{}:{}", text(e.get("node").unwrap()), text(e.get("process").unwrap())))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn orphans_of_a_process_that_entered_may_come_after_the_init_has_ended() {
    // Found by the differential test (seed 2): `c`'s parent `e` entered from the host, so the
    // init does not wait for it. kill -1 ends p (the init's last process) and e at once; the
    // model lets e die and hand c over before the init reacts (it then stops c and reaps it),
    // but on a real run the init may exit first, and the kernel reaps c unseen.
    let spec = r#"{"name": "r", "processes": [{"name": "p", "command": ["x"]}]}"#;
    let steps = r#"[{"op": "enter", "node": "r", "name": "e"}, {"op": "fork", "process": "r:e", "child": "c"},
        {"op": "fork", "process": "r:c", "child": "g"},
        {"op": "kill", "from": "r:g", "target": -1, "signal": "SIGHUP"}]"#;
    let v = sim(spec, steps);
    assert_eq!(
        events(&v, 3),
        ["exit r:p 129 SIGHUP", "reap r 4 129 SIGHUP", "reap r 5 143 SIGTERM", "exit r:init 129 null", "end 129"]
    );
    // c (pid 4) came from e; g (5) came from c, which the init only had through e.
    assert_eq!(racing_reaps(&v, 3), ["r:c", "r:g"]);

    // The same orphans, but the init still has p: it waits for them, nothing races.
    let steps = r#"[{"op": "enter", "node": "r", "name": "e"}, {"op": "fork", "process": "r:e", "child": "c"},
        {"op": "kill", "from": "host", "target": "r:e", "signal": "SIGKILL"}, {"op": "exit", "process": "r:c"}]"#;
    let v = sim(spec, steps);
    assert_eq!(racing_reaps(&v, 2), Vec::<String>::new());
    assert_eq!(events(&v, 3), ["reap r 4 0 null"]);
    assert_eq!(racing_reaps(&v, 3), Vec::<String>::new());

    // Orphans of the init's own processes reach it before it can see their parent gone.
    let steps = r#"[{"op": "fork", "process": "r:p", "child": "c"}, {"op": "fork", "process": "r:c", "child": "g"},
        {"op": "kill", "from": "r:g", "target": -1, "signal": "SIGHUP"}]"#;
    let v = sim(spec, steps);
    // (p's exit waits for c, which holds its output pipe.)
    assert_eq!(
        events(&v, 2),
        ["reap r 3 129 SIGHUP", "exit r:p 129 SIGHUP", "reap r 4 143 SIGTERM", "exit r:init 129 null", "end 129"]
    );
    assert_eq!(racing_reaps(&v, 2), Vec::<String>::new());
}
