//! Turns a parsed JSON value into a [`TreeSpec`], reporting every problem.
//!
//! All errors are collected (a user fixing a file wants the whole list), but
//! once a value has the wrong type nothing inside it is checked: errors about
//! its contents would only be noise.

use crate::error::{IssueKind, SpecError};
use crate::expect::Expectation;
use crate::foresight::{Foresight, StaticRules};
use crate::json::{describe_char, quote, Kind, Member, Pos, Value};
use crate::spec::{Forward, InitSpec, ProcessSpec, TreeSpec, INIT_NAME};
use crate::validate_expect::misplaced_hint;

/// Linux's MAX_PID_NS_LEVEL: namespaces below the initial one.
pub const KERNEL_MAX_LEVELS: u32 = 32;
pub const MAX_NAME_LEN: usize = 64;

/// How deep a tree may be where it will be spawned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Namespace levels that may still be created; the root node uses one.
    pub max_depth: u32,
    /// Levels the caller's own PID namespace is already below the initial one.
    pub host_levels: u32,
}

impl Limits {
    /// Limits for a process whose PID namespace is `host_levels` deep.
    pub fn for_host_levels(host_levels: u32) -> Limits {
        Limits { max_depth: KERNEL_MAX_LEVELS.saturating_sub(host_levels), host_levels }
    }
}

impl Default for Limits {
    /// Running from the initial PID namespace.
    fn default() -> Limits {
        Limits::for_host_levels(0)
    }
}

const NAME_HINT: &str = "names appear in paths like root/a/b and targets like root/a:worker, \
so '/', ':' and spaces are not allowed; use letters, digits, '.', '_' and '-', starting with a letter or digit";

/// Which kind of object is being checked, to know its allowed fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    Root,
    Node,
    Process,
    Init,
    /// `expect` of a process or of a user's init.
    ProcessExpect,
    /// `expect` of a namespace below the root.
    NodeExpect,
    /// `expect` of the root: its namespace's, and the tree's.
    RootExpect,
    /// `expect.stdout` and `expect.stderr`.
    Output,
    Zombies,
    Reaped,
}

impl Shape {
    pub(crate) fn allowed(self) -> &'static [&'static str] {
        match self {
            Shape::Root => {
                &["$schema", "name", "processes", "children", "mountProc", "init", "reproduciblePids", "expect"]
            }
            Shape::Node => &["name", "processes", "children", "mountProc", "init", "expect"],
            Shape::Process => &["name", "command", "env", "cwd", "tty", "expect"],
            Shape::Init => &["command", "env", "cwd", "forward", "stopTimeout", "expect"],
            Shape::ProcessExpect => &["exitCode", "signal", "stdout", "stderr", "within"],
            Shape::NodeExpect => &["zombies", "reaped", "processesSeen"],
            Shape::RootExpect => &["code", "within", "zombies", "reaped", "processesSeen"],
            Shape::Output => &["contains", "matches", "lines"],
            Shape::Zombies => &["max", "atEnd"],
            Shape::Reaped => &["min", "max"],
        }
    }
}

/// A valid tree and what it expects to happen when it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub spec: TreeSpec,
    /// In document order.
    pub expectations: Vec<Expectation>,
}

/// Checks a parsed tree.json. Errors are sorted by position (document order). Expectations
/// that can never hold are errors too, as far as [`StaticRules`] can tell.
pub fn validate(value: &Value, limits: Limits) -> Result<TreeSpec, Vec<SpecError>> {
    validate_checked(value, limits, &[&StaticRules]).map(|c| c.spec)
}

/// [`validate`], keeping the expectations, with the given judges of what can never hold (the
/// static rules, and whatever else can tell: see [`Foresight`]). They look only at a tree that
/// is otherwise valid.
pub fn validate_checked(
    value: &Value,
    limits: Limits,
    foresight: &[&dyn Foresight],
) -> Result<Checked, Vec<SpecError>> {
    let mut v = Validator { errors: Vec::new(), limits, root: value, depth_reported: false, expectations: Vec::new() };
    let spec = v.node(value, "$", 1, "");
    if v.errors.is_empty() {
        for judge in foresight {
            v.errors.extend(
                judge.never_holds(&spec, &v.expectations).into_iter().map(|e| e.of_kind(IssueKind::Impossible)),
            );
        }
    }
    if v.errors.is_empty() {
        v.expectations.sort_by_key(|e| e.pos);
        Ok(Checked { spec, expectations: v.expectations })
    } else {
        // Checks run field by field, not in document order; sorting is
        // stable, so errors at one spot keep their logical order.
        v.errors.sort_by_key(|e| e.pos);
        Err(v.errors)
    }
}

pub(crate) struct Validator<'a> {
    errors: Vec<SpecError>,
    limits: Limits,
    root: &'a Value,
    /// The depth limit is reported once, not for every node below it.
    depth_reported: bool,
    /// Collected as the nodes are walked (see validate_expect.rs).
    pub(crate) expectations: Vec<Expectation>,
}

pub(crate) type Fields<'v> = Vec<(&'static str, &'v Value)>;

pub(crate) fn get<'v>(fields: &Fields<'v>, key: &str) -> Option<&'v Value> {
    fields.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
}

impl Validator<'_> {
    pub(crate) fn error(&mut self, path: &str, pos: Pos, message: String, hint: Option<String>) {
        self.errors.push(SpecError::new(path, Some(pos), message, hint));
    }

    pub(crate) fn type_error(&mut self, path: &str, v: &Value, expected: &str, hint: Option<String>) {
        self.error(path, v.pos, format!("expected {expected}, found {}", v.kind.describe()), hint);
    }

    fn missing(&mut self, path: &str, pos: Pos, field: &str, example: &str) {
        self.error(
            path,
            pos,
            format!("missing required field {}", quote(field)),
            Some(format!("add it, e.g. {example}")),
        );
    }

    /// Reports member `i` if an earlier member has its key (JSON.parse would silently keep
    /// the last one; a user who wrote a key twice wants to know).
    fn duplicate_key(&mut self, members: &[Member], i: usize, path: &str) -> bool {
        let m = &members[i];
        let dup = members[..i].iter().any(|o| o.key == m.key);
        if dup {
            self.error(path, m.key_pos, format!("duplicate key {}", quote(&m.key)), None);
        }
        dup
    }

    /// Picks out the known fields; reports duplicate and unknown keys.
    pub(crate) fn fields<'v>(&mut self, members: &'v [Member], path: &str, shape: Shape) -> Fields<'v> {
        let mut found = Vec::new();
        for (i, m) in members.iter().enumerate() {
            let mpath = key_path(path, &m.key);
            if self.duplicate_key(members, i, &mpath) {
                continue;
            }
            match shape.allowed().iter().find(|a| **a == m.key) {
                Some(a) => found.push((*a, &m.value)),
                None => self.unknown_field(m, &mpath, shape),
            }
        }
        found
    }

    fn unknown_field(&mut self, m: &Member, path: &str, shape: Shape) {
        let allowed = shape.allowed();
        let list: Vec<String> = allowed.iter().map(|a| quote(a)).collect();
        let list = list.join(", ");
        let hint = if m.key == "$schema" || m.key == "reproduciblePids" {
            format!("{} is only allowed at the top level", quote(&m.key))
        } else if let Some(h) = misplaced_hint(&m.key, shape) {
            h
        } else if let Some(s) = suggest(&m.key, allowed) {
            format!("did you mean {}? allowed fields here: {list}", quote(s))
        } else {
            format!("allowed fields here: {list}")
        };
        self.error(path, m.key_pos, format!("unknown field {}", quote(&m.key)), Some(hint));
    }

    fn node(&mut self, v: &Value, path: &str, depth: u32, parent_ns: &str) -> TreeSpec {
        let mut spec = TreeSpec {
            name: String::new(),
            mount_proc: true,
            processes: Vec::new(),
            children: Vec::new(),
            init: InitSpec::default(),
            reproducible_pids: false,
        };
        let members = match &v.kind {
            Kind::Object(m) => m,
            _ => {
                self.type_error(path, v, "a namespace object", None);
                return spec;
            }
        };
        if depth > self.limits.max_depth && !self.depth_reported {
            self.depth_reported = true;
            self.depth_error(path, v.pos);
        }
        let shape = if depth == 1 { Shape::Root } else { Shape::Node };
        let f = self.fields(members, path, shape);
        match get(&f, "name") {
            Some(n) => spec.name = self.name(n, &key_path(path, "name"), "namespace"),
            None => self.missing(path, v.pos, "name", "\"name\": \"web\""),
        }
        // Only used to make messages readable, so a bad name is shown as is.
        let own = get(&f, "name").and_then(Value::as_str).unwrap_or("?");
        let ns = if parent_ns.is_empty() { own.to_string() } else { format!("{parent_ns}/{own}") };
        if let Some(s) = get(&f, "$schema") {
            if s.as_str().is_none() {
                self.type_error(&key_path(path, "$schema"), s, "a string", None);
            }
        }
        if let Some(b) = self.boolean(&f, path, "reproduciblePids") {
            spec.reproducible_pids = b;
        }
        if let Some(b) = self.boolean(&f, path, "mountProc") {
            spec.mount_proc = b;
        }
        if let Some(i) = get(&f, "init") {
            spec.init = self.init(i, &key_path(path, "init"), &ns, depth == 1);
        }
        if let Some(p) = get(&f, "processes") {
            spec.processes = self.processes(p, &key_path(path, "processes"), &ns);
        }
        if let Some(c) = get(&f, "children") {
            spec.children = self.children(c, &key_path(path, "children"), depth, &ns);
            // (A root with init.command is refused as such: its children are not the problem.)
            if spec.init.command.is_some() && !spec.children.is_empty() {
                // The kernel lets a process create a PID namespace only inside its own (clone
                // with CLONE_NEWPID fails with EINVAL after setns), and the user's PID 1 is not
                // ours to drive.
                let message = format!("namespace {ns} has your command as PID 1, so it cannot have child namespaces");
                let hint =
                    "move the children to a namespace with pidns-tree's init, or remove init.command".to_string();
                self.error(&key_path(path, "children"), c.pos, message, Some(hint));
            }
        }
        if let Some(e) = get(&f, "expect") {
            self.namespace_expect(e, &key_path(path, "expect"), &ns, depth == 1);
        }
        spec
    }

    /// `init`: options of pidns-tree's init, or `command` (with `env`, `cwd`) for the user's own
    /// program as PID 1. The two do not mix: options of our init mean nothing to a user's init.
    /// The root's PID 1 is always ours (`root`): `command` is refused there.
    fn init(&mut self, v: &Value, path: &str, ns: &str, root: bool) -> InitSpec {
        let mut init = InitSpec::default();
        let members = match &v.kind {
            Kind::Object(m) => m,
            _ => {
                let hint = "e.g. \"init\": {\"stopTimeout\": 5} or \"init\": {\"command\": [\"my-init\"]}".to_string();
                self.type_error(path, v, "an init object", Some(hint));
                return init;
            }
        };
        let f = self.fields(members, path, Shape::Init);
        let command = get(&f, "command");
        if let Some(c) = command {
            let mut user = ProcessSpec {
                name: INIT_NAME.into(),
                command: self.command(c, &key_path(path, "command")),
                env: Vec::new(),
                cwd: None,
                tty: false,
            };
            if let Some(e) = get(&f, "env") {
                user.env = self.env(e, &key_path(path, "env"));
            }
            if let Some(c) = get(&f, "cwd") {
                user.cwd = self.cwd(c, &key_path(path, "cwd"));
            }
            if let Some(e) = get(&f, "expect") {
                self.process_expect(e, &key_path(path, "expect"), ns, "init");
            }
            if root {
                // A user's PID 1 gets the namespace's processes from the init one level up
                // (fork after setns), and only our init can create the namespaces below: in
                // the root, our init is both, so it has to be PID 1 there.
                let message = format!(
                    "the root namespace {ns} cannot have your command as PID 1: pidns-tree's init is PID 1 there, \
to start the tree's processes and create its namespaces"
                );
                let hint = format!(
                    "move \"init\" into a child namespace, with the processes it should have: {{\"name\": {}, \
\"children\": [{{\"name\": \"app\", \"init\": {{\"command\": [...]}}, \"processes\": [...]}}]}}",
                    quote(ns)
                );
                self.error(&key_path(path, "command"), c.pos, message, Some(hint));
            } else {
                init.command = Some(user);
            }
        }
        for key in ["forward", "stopTimeout"] {
            // At the root, "command" is what goes (above); the options stay valid there.
            if let (Some(_), false, Some(opt)) = (command, root, members.iter().find(|m| m.key == key)) {
                let message = format!(
                    "{} is an option of pidns-tree's init, but \"command\" makes your program PID 1 here",
                    quote(key)
                );
                let hint = format!("remove {}, or remove \"command\" to keep pidns-tree's init", quote(key));
                self.error(&key_path(path, key), opt.key_pos, message, Some(hint));
            }
        }
        for key in ["env", "cwd"] {
            if let (None, Some(opt)) = (command, members.iter().find(|m| m.key == key)) {
                let message = format!("{} applies to init.command, which is not given", quote(key));
                let hint = "set env and cwd on a process, or give \"command\" to run your own PID 1".to_string();
                self.error(&key_path(path, key), opt.key_pos, message, Some(hint));
            }
        }
        if let (None, Some(opt)) = (command, members.iter().find(|m| m.key == "expect")) {
            let message = "\"expect\" on init checks your own PID 1 (init.command), which is not given".to_string();
            let hint = "put what you expect of the namespace (zombies, reaped, processesSeen) in the namespace's own \
\"expect\"; pidns-tree's init itself is not checked"
                .to_string();
            self.error(&key_path(path, "expect"), opt.key_pos, message, Some(hint));
        }
        if let Some(fv) = get(&f, "forward") {
            match fv.as_str().and_then(Forward::parse) {
                Some(mode) => init.forward = mode,
                None => self.error(
                    &key_path(path, "forward"),
                    fv.pos,
                    format!("\"forward\" must be \"process\" or \"group\", found {}", describe_value(fv)),
                    Some("\"process\" signals each process; \"group\" its whole process group".into()),
                ),
            }
        }
        if let Some(tv) = get(&f, "stopTimeout") {
            match &tv.kind {
                Kind::Number { value, .. } if *value >= 0.0 && *value <= 3600.0 => {
                    init.stop_timeout_ms = (value * 1000.0).round() as u64;
                }
                _ => self.error(
                    &key_path(path, "stopTimeout"),
                    tv.pos,
                    format!("\"stopTimeout\" must be a number of seconds from 0 to 3600, found {}", describe_value(tv)),
                    Some("e.g. \"stopTimeout\": 2.5 (SIGTERM, then SIGKILL after 2.5 s)".into()),
                ),
            }
        }
        init
    }

    fn depth_error(&mut self, path: &str, pos: Pos) {
        let n = tree_depth(self.root);
        let Limits { max_depth: m, host_levels: k } = self.limits;
        let message = format!(
            "this tree is {n} level{} deep but only {m} PID-namespace level{} left below the current one \
(the kernel allows {KERNEL_MAX_LEVELS} in all; the host already uses {k})",
            if n == 1 { "" } else { "s" },
            if m == 1 { " is" } else { "s are" },
        );
        let hint = "flatten the tree or run from a shallower namespace".to_string();
        self.errors.push(SpecError::new(path, Some(pos), message, Some(hint)).of_kind(IssueKind::Depth));
    }

    fn children(&mut self, v: &Value, path: &str, depth: u32, ns: &str) -> Vec<TreeSpec> {
        let items = match &v.kind {
            Kind::Array(a) => a,
            _ => {
                self.type_error(path, v, "an array of namespace objects", None);
                return Vec::new();
            }
        };
        let out = items.iter().enumerate().map(|(i, c)| self.node(c, &index_path(path, i), depth + 1, ns)).collect();
        self.unique_names(items, path, |name| {
            (
                format!("there is already a namespace named {} in {ns}", quote(name)),
                format!(
                    "sibling namespaces need different names because each is addressed by its path, like {ns}/{name}"
                ),
            )
        });
        out
    }

    fn processes(&mut self, v: &Value, path: &str, ns: &str) -> Vec<ProcessSpec> {
        let items = match &v.kind {
            Kind::Array(a) => a,
            _ => {
                self.type_error(path, v, "an array of process objects", None);
                return Vec::new();
            }
        };
        let out = items.iter().enumerate().map(|(i, p)| self.process(p, &index_path(path, i), ns)).collect();
        self.unique_names(items, path, |name| {
            (
                format!("namespace {ns} already has a process named {}", quote(name)),
                format!("process names must be unique within a namespace because each is addressed like {ns}:{name}"),
            )
        });
        out
    }

    /// Reports each array element whose string `name` an earlier one has.
    fn unique_names(&mut self, items: &[Value], path: &str, describe: impl Fn(&str) -> (String, String)) {
        let mut seen: Vec<&str> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let nv = match first_member(item, "name") {
                Some(nv) => nv,
                None => continue,
            };
            if let Some(name) = nv.as_str() {
                if seen.contains(&name) {
                    let (message, hint) = describe(name);
                    self.error(&key_path(&index_path(path, i), "name"), nv.pos, message, Some(hint));
                } else {
                    seen.push(name);
                }
            }
        }
    }

    fn process(&mut self, v: &Value, path: &str, ns: &str) -> ProcessSpec {
        let mut p = ProcessSpec { name: String::new(), command: Vec::new(), env: Vec::new(), cwd: None, tty: false };
        let members = match &v.kind {
            Kind::Object(m) => m,
            _ => {
                let hint = "e.g. {\"name\": \"web\", \"command\": [\"sleep\", \"infinity\"]}".to_string();
                self.type_error(path, v, "a process object", Some(hint));
                return p;
            }
        };
        let f = self.fields(members, path, Shape::Process);
        match get(&f, "name") {
            Some(n) => {
                let npath = key_path(path, "name");
                p.name = self.name(n, &npath, "process");
                if p.name == INIT_NAME {
                    let hint = "each namespace's own init is reported as \"init\"; choose another name".to_string();
                    self.error(&npath, n.pos, "the process name \"init\" is reserved".into(), Some(hint));
                }
            }
            None => self.missing(path, v.pos, "name", "\"name\": \"web\""),
        }
        match get(&f, "command") {
            Some(c) => p.command = self.command(c, &key_path(path, "command")),
            None => self.missing(path, v.pos, "command", "\"command\": [\"sleep\", \"infinity\"]"),
        }
        if let Some(e) = get(&f, "env") {
            p.env = self.env(e, &key_path(path, "env"));
        }
        if let Some(c) = get(&f, "cwd") {
            p.cwd = self.cwd(c, &key_path(path, "cwd"));
        }
        p.tty = self.boolean(&f, path, "tty").unwrap_or(false);
        if let Some(e) = get(&f, "expect") {
            self.process_expect(e, &key_path(path, "expect"), ns, &p.name);
        }
        p
    }

    /// The boolean field `field` of the object at `path` (`mountProc`, `reproduciblePids`,
    /// `tty`): None when it is absent or not a boolean (an error then, and a quoted "true" or
    /// "false" gets a hint).
    fn boolean(&mut self, f: &Fields<'_>, path: &str, field: &str) -> Option<bool> {
        let v = get(f, field)?;
        let path = key_path(path, field);
        match &v.kind {
            Kind::Bool(b) => return Some(*b),
            Kind::String(s) if s == "true" || s == "false" => {
                let hint = format!("remove the quotes: \"{field}\": {s}");
                self.type_error(&path, v, "a boolean (true or false)", Some(hint));
            }
            _ => self.type_error(&path, v, "a boolean (true or false)", None),
        }
        None
    }

    fn name(&mut self, v: &Value, path: &str, what: &str) -> String {
        let s = match &v.kind {
            Kind::String(s) => s,
            _ => {
                self.type_error(path, v, "a string", None);
                return String::new();
            }
        };
        if let Some(problem) = name_problem(s) {
            let message = format!("invalid {what} name {}: {problem}", quote(s));
            self.error(path, v.pos, message, Some(NAME_HINT.to_string()));
        }
        s.clone()
    }

    fn command(&mut self, v: &Value, path: &str) -> Vec<String> {
        let items = match &v.kind {
            Kind::Array(a) => a,
            Kind::String(s) => {
                self.type_error(path, v, "an array of strings", Some(command_hint(s)));
                return Vec::new();
            }
            _ => {
                self.type_error(path, v, "an array of strings", None);
                return Vec::new();
            }
        };
        if items.is_empty() {
            let hint = "give the program and its arguments, e.g. [\"sleep\", \"infinity\"]".to_string();
            self.error(path, v.pos, "command must not be empty".into(), Some(hint));
            return Vec::new();
        }
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let ipath = index_path(path, i);
            match &item.kind {
                Kind::String(s) => {
                    if i == 0 && s.is_empty() {
                        let hint = "put the program to run first, e.g. \"sleep\" or \"/usr/bin/env\"".to_string();
                        self.error(
                            &ipath,
                            item.pos,
                            "the program name (command[0]) must not be empty".into(),
                            Some(hint),
                        );
                    }
                    self.no_nul(s, &ipath, item.pos, "command argument");
                    out.push(s.clone());
                }
                _ => self.type_error(&ipath, item, "a string", quote_hint(item, "command arguments")),
            }
        }
        out
    }

    fn env(&mut self, v: &Value, path: &str) -> Vec<(String, String)> {
        let members = match &v.kind {
            Kind::Object(m) => m,
            _ => {
                let hint = "e.g. \"env\": {\"PORT\": \"8080\"}".to_string();
                self.type_error(path, v, "an object mapping variable names to strings", Some(hint));
                return Vec::new();
            }
        };
        let mut out = Vec::new();
        for (i, m) in members.iter().enumerate() {
            let mpath = key_path(path, &m.key);
            if self.duplicate_key(members, i, &mpath) {
                continue;
            }
            if m.key.is_empty() {
                self.error(&mpath, m.key_pos, "environment variable name must not be empty".into(), None);
            } else if m.key.contains('=') {
                let hint = "the environment is passed as NAME=value, so a name cannot contain '='".to_string();
                let message = format!("environment variable name {} must not contain '='", quote(&m.key));
                self.error(&mpath, m.key_pos, message, Some(hint));
            }
            self.no_nul(&m.key, &mpath, m.key_pos, "environment variable name");
            match &m.value.kind {
                Kind::String(s) => {
                    self.no_nul(s, &mpath, m.value.pos, "environment variable value");
                    out.push((m.key.clone(), s.clone()));
                }
                _ => self.type_error(&mpath, &m.value, "a string", quote_hint(&m.value, "environment values")),
            }
        }
        out
    }

    fn cwd(&mut self, v: &Value, path: &str) -> Option<String> {
        let s = match &v.kind {
            Kind::String(s) => s,
            _ => {
                self.type_error(path, v, "a string", None);
                return None;
            }
        };
        if !s.starts_with('/') {
            let hint = "start it with '/', e.g. \"/srv/app\"".to_string();
            self.error(path, v.pos, format!("cwd must be an absolute path, found {}", quote(s)), Some(hint));
        }
        self.no_nul(s, path, v.pos, "cwd");
        Some(s.clone())
    }

    /// The kernel takes C strings, so a NUL would silently truncate.
    fn no_nul(&mut self, s: &str, path: &str, pos: Pos, what: &str) {
        if s.contains('\0') {
            let message = format!("{what} contains a NUL character (\\u0000), which cannot be passed to the kernel");
            self.error(path, pos, message, None);
        }
    }
}

fn first_member<'v>(v: &'v Value, key: &str) -> Option<&'v Value> {
    match &v.kind {
        Kind::Object(m) => m.iter().find(|m| m.key == key).map(|m| &m.value),
        _ => None,
    }
}

/// Levels in the raw tree, counting only well-formed nodes.
fn tree_depth(v: &Value) -> u32 {
    match first_member(v, "children").map(|c| &c.kind) {
        Some(Kind::Array(items)) => 1 + items.iter().map(tree_depth).max().unwrap_or(0),
        _ if matches!(v.kind, Kind::Object(_)) => 1,
        _ => 0,
    }
}

fn name_problem(s: &str) -> Option<String> {
    let mut chars = s.chars();
    let first = match chars.next() {
        Some(c) => c,
        None => return Some("it is empty".into()),
    };
    if !first.is_ascii_alphanumeric() {
        return Some(format!("it must start with a letter or digit, not {}", describe_char(first)));
    }
    if let Some(c) = chars.find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))) {
        return Some(format!("{} is not allowed", describe_char(c)));
    }
    if s.len() > MAX_NAME_LEN {
        return Some(format!("it is {} characters long; the limit is {MAX_NAME_LEN}", s.len()));
    }
    None
}

/// For `"command": "sleep 10"`: show the array form of what they wrote.
fn command_hint(s: &str) -> String {
    let shell = s.chars().any(|c| "'\"`$|&;<>()*?\\~".contains(c));
    let words: Vec<String> = s.split_whitespace().map(quote).collect();
    if shell {
        format!(
            "write the command as an array; to use shell syntax run it through a shell: [\"sh\", \"-c\", {}]",
            quote(s)
        )
    } else if words.is_empty() {
        "write the program and its arguments as an array, e.g. [\"sleep\", \"infinity\"]".to_string()
    } else {
        format!("write the program and its arguments as an array: [{}]", words.join(", "))
    }
}

/// For numbers and booleans where a string is needed: show it quoted.
fn quote_hint(v: &Value, what: &str) -> Option<String> {
    let text = match &v.kind {
        Kind::Number { raw, .. } => raw.clone(),
        Kind::Bool(b) => b.to_string(),
        _ => return None,
    };
    Some(format!("{what} must be strings: write {}", quote(&text)))
}

fn is_identifier(key: &str) -> bool {
    let mut chars = key.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphabetic() || c == '_' || c == '$' => {}
        _ => return false,
    }
    chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

/// `$.key`, or `$["odd key"]` when the key isn't a plain identifier.
pub(crate) fn key_path(base: &str, key: &str) -> String {
    if is_identifier(key) {
        format!("{base}.{key}")
    } else {
        format!("{base}[{}]", quote(key))
    }
}

pub(crate) fn index_path(base: &str, i: usize) -> String {
    format!("{base}[{i}]")
}

/// The closest allowed field if it is a plausible typo (case-insensitive).
pub(crate) fn suggest<'a>(key: &str, allowed: &[&'a str]) -> Option<&'a str> {
    let key = key.to_lowercase();
    let len = key.chars().count();
    allowed
        .iter()
        .map(|a| (edit_distance(&key, &a.to_lowercase()), *a))
        .filter(|(d, _)| *d <= 2 && *d < len)
        .min_by_key(|(d, _)| *d)
        .map(|(_, a)| a)
}

/// Levenshtein distance over chars.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// A value as a message shows it: strings quoted, numbers as written, others by kind.
pub(crate) fn describe_value(v: &Value) -> String {
    match &v.kind {
        Kind::String(s) => quote(s),
        Kind::Number { raw, .. } => raw.clone(),
        k => k.describe().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distances() {
        assert_eq!(edit_distance("proceses", "processes"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn suggestions() {
        let allowed = Shape::Node.allowed();
        assert_eq!(suggest("proccesses", allowed), Some("processes"));
        assert_eq!(suggest("mount_proc", allowed), Some("mountProc"));
        assert_eq!(suggest("Children", allowed), Some("children"));
        assert_eq!(suggest("colour", allowed), None);
        // Too short for a distance-2 guess to mean anything.
        assert_eq!(suggest("na", allowed), None);
    }

    #[test]
    fn paths() {
        assert_eq!(key_path("$", "name"), "$.name");
        assert_eq!(key_path("$", "$schema"), "$.$schema");
        assert_eq!(key_path("$", "weird key"), "$[\"weird key\"]");
        assert_eq!(key_path("$", "1st"), "$[\"1st\"]");
        assert_eq!(key_path("$", ""), "$[\"\"]");
        assert_eq!(key_path("$.a", "q\""), "$.a[\"q\\\"\"]");
    }

    #[test]
    fn names() {
        assert_eq!(name_problem("web-1.a_b"), None);
        assert_eq!(name_problem(&"a".repeat(64)), None);
        assert!(name_problem(&"a".repeat(65)).unwrap().contains("65 characters"));
        assert_eq!(name_problem("").unwrap(), "it is empty");
        assert_eq!(name_problem("-a").unwrap(), "it must start with a letter or digit, not '-'");
        assert_eq!(name_problem("a/b").unwrap(), "'/' is not allowed");
        assert_eq!(name_problem("a\tb").unwrap(), "U+0009 is not allowed");
    }

    #[test]
    fn command_hints() {
        assert_eq!(command_hint("sleep 10"), "write the program and its arguments as an array: [\"sleep\", \"10\"]");
        assert!(command_hint("echo $HOME").contains("[\"sh\", \"-c\", \"echo $HOME\"]"));
    }
}
