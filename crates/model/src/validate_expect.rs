//! `expect`, checked like every other field (JSON path, position, what to do) and collected as
//! [`Expectation`]s, each with the position of the value that states it.

use crate::expect::{Check, Expectation, OutputMatch, Stream, Subject};
use crate::json::{quote, Kind, Value};
use crate::signals::{signal_number, SIGNALS};
use crate::validate::{describe_value, get, index_path, key_path, Fields, Shape, Validator};

/// A day: more than a test should ever need, and milliseconds stay exact.
const MAX_WITHIN_SECONDS: f64 = 86_400.0;

/// Where a field belongs when it is written in the wrong `expect`: a better hint than the list
/// of the fields allowed there.
pub(crate) fn misplaced_hint(key: &str, shape: Shape) -> Option<String> {
    let process = ["exitCode", "signal", "stdout", "stderr"];
    let namespace = ["zombies", "reaped", "processesSeen"];
    match shape {
        Shape::ProcessExpect if namespace.contains(&key) => Some(format!(
            "{} is about a namespace: put it in the \"expect\" of the namespace (next to \"name\" and \"processes\")",
            quote(key)
        )),
        Shape::ProcessExpect if key == "code" => Some(
            "\"code\" is the tree's exit status: put it in the top-level \"expect\"; a process has \"exitCode\"".into(),
        ),
        Shape::NodeExpect | Shape::RootExpect if process.contains(&key) => Some(format!(
            "{} is about a process: put it in the \"expect\" of that process, or of \"init\" for your own PID 1",
            quote(key)
        )),
        Shape::NodeExpect if key == "code" || key == "within" => Some(format!(
            "{} is about the whole tree: put it in the top-level \"expect\" (a process can have \"within\" too)",
            quote(key)
        )),
        _ => None,
    }
}

impl Validator<'_> {
    fn expect_object<'v>(&mut self, v: &'v Value, path: &str, shape: Shape, example: &str) -> Option<Fields<'v>> {
        match &v.kind {
            Kind::Object(m) => Some(self.fields(m, path, shape)),
            _ => {
                self.type_error(path, v, "an object", Some(format!("e.g. {example}")));
                None
            }
        }
    }

    fn expect(&mut self, node: &str, subject: &Subject, check: Check, path: String, v: &Value) {
        let e = Expectation { node: node.to_string(), subject: subject.clone(), check, path, pos: v.pos };
        self.expectations.push(e);
    }

    /// `expect` of a process, or of a namespace's init that is the user's command (`init`).
    pub(crate) fn process_expect(&mut self, v: &Value, path: &str, node: &str, process: &str) {
        let Some(f) = self.expect_object(v, path, Shape::ProcessExpect, "\"expect\": {\"exitCode\": 0}") else {
            return;
        };
        let subject = Subject::Process(process.to_string());
        if let Some(c) = get(&f, "exitCode") {
            let p = key_path(path, "exitCode");
            if let Some(codes) = self.codes(c, &p, "exitCode") {
                self.expect(node, &subject, Check::ExitCode(codes), p, c);
            }
        }
        if let Some(s) = get(&f, "signal") {
            let p = key_path(path, "signal");
            if let Some(name) = self.signal(s, &p) {
                self.expect(node, &subject, Check::Signal(name), p, s);
            }
        }
        for stream in [Stream::Stdout, Stream::Stderr] {
            if let Some(o) = get(&f, stream.as_str()) {
                self.output(o, &key_path(path, stream.as_str()), node, &subject, stream);
            }
        }
        if let Some(w) = get(&f, "within") {
            let p = key_path(path, "within");
            if let Some(ms) = self.seconds(w, &p) {
                self.expect(node, &subject, Check::Within(ms), p, w);
            }
        }
    }

    /// `expect` of a namespace; the root's also holds the tree's `code` and `within`.
    pub(crate) fn namespace_expect(&mut self, v: &Value, path: &str, node: &str, root: bool) {
        let shape = if root { Shape::RootExpect } else { Shape::NodeExpect };
        let Some(f) = self.expect_object(v, path, shape, "\"expect\": {\"reaped\": {\"min\": 1}}") else {
            return;
        };
        if let Some(c) = get(&f, "code") {
            let p = key_path(path, "code");
            if let Some(codes) = self.codes(c, &p, "code") {
                self.expect(node, &Subject::Tree, Check::Code(codes), p, c);
            }
        }
        if let Some(w) = get(&f, "within") {
            let p = key_path(path, "within");
            if let Some(ms) = self.seconds(w, &p) {
                self.expect(node, &Subject::Tree, Check::Within(ms), p, w);
            }
        }
        if let Some(z) = get(&f, "zombies") {
            self.zombies(z, &key_path(path, "zombies"), node);
        }
        if let Some(r) = get(&f, "reaped") {
            self.reaped(r, &key_path(path, "reaped"), node);
        }
        if let Some(n) = get(&f, "processesSeen") {
            let p = key_path(path, "processesSeen");
            if let Some(count) = self.count(n, &p, "processesSeen", 1) {
                self.expect(node, &Subject::Namespace, Check::ProcessesSeen(count), p, n);
            }
        }
    }

    /// An exit code, or a non-empty list of them.
    fn codes(&mut self, v: &Value, path: &str, field: &str) -> Option<Vec<u8>> {
        let hint = format!("e.g. \"{field}\": 0, or a list of the codes that are fine: \"{field}\": [0, 143]");
        match &v.kind {
            Kind::Number { .. } => self.code(v, path).map(|c| vec![c]),
            Kind::Array(items) if items.is_empty() => {
                self.error(
                    path,
                    v.pos,
                    format!("an empty list of codes: {} could never hold", quote(field)),
                    Some(hint),
                );
                None
            }
            Kind::Array(items) => {
                let mut codes = Vec::new();
                let mut ok = true;
                for (i, item) in items.iter().enumerate() {
                    match self.code(item, &index_path(path, i)) {
                        Some(c) if !codes.contains(&c) => codes.push(c),
                        Some(_) => {}
                        None => ok = false,
                    }
                }
                ok.then_some(codes)
            }
            Kind::String(s) if s.trim().parse::<u8>().is_ok() => {
                let hint = format!("remove the quotes: \"{field}\": {}", s.trim());
                self.type_error(path, v, "an exit code (a number from 0 to 255) or a list of them", Some(hint));
                None
            }
            _ => {
                self.type_error(path, v, "an exit code (a number from 0 to 255) or a list of them", Some(hint));
                None
            }
        }
    }

    fn code(&mut self, v: &Value, path: &str) -> Option<u8> {
        match v.as_i64() {
            Some(n) if (0..=255).contains(&n) => Some(n as u8),
            _ if matches!(v.kind, Kind::Number { .. }) => {
                let message = format!("an exit code is a whole number from 0 to 255, found {}", describe_value(v));
                let hint = "a process killed by signal N exits with 128+N (143 for SIGTERM); or expect \"signal\"";
                self.error(path, v.pos, message, Some(hint.into()));
                None
            }
            _ => {
                self.type_error(path, v, "an exit code (a number from 0 to 255)", None);
                None
            }
        }
    }

    /// A signal's name, as the events give it (`SIGTERM`).
    fn signal(&mut self, v: &Value, path: &str) -> Option<String> {
        match &v.kind {
            Kind::String(s) if signal_number(s).is_some() => return Some(s.clone()),
            Kind::String(s) => {
                let upper = s.trim().to_ascii_uppercase();
                let guess = if upper.starts_with("SIG") { upper } else { format!("SIG{upper}") };
                let hint = if signal_number(&guess).is_some() {
                    format!("write {}", quote(&guess))
                } else {
                    "name it as the events do: \"SIGTERM\", \"SIGKILL\", \"SIGINT\", \"SIGHUP\", \"SIGUSR1\", ... \
(signals 1 to 31)"
                        .to_string()
                };
                self.error(path, v.pos, format!("unknown signal {}", quote(s)), Some(hint));
            }
            Kind::Number { .. } => {
                let hint = match v.as_i64().filter(|n| (1..=31).contains(n)) {
                    Some(n) => format!("write its name: {}", quote(SIGNALS[n as usize - 1].0)),
                    None => "e.g. \"signal\": \"SIGTERM\"".to_string(),
                };
                self.type_error(path, v, "a signal name", Some(hint));
            }
            _ => self.type_error(path, v, "a signal name", Some("e.g. \"signal\": \"SIGTERM\"".into())),
        }
        None
    }

    /// `within`: seconds, as `stopTimeout`.
    fn seconds(&mut self, v: &Value, path: &str) -> Option<u64> {
        match &v.kind {
            Kind::Number { value, .. } if *value > 0.0 && *value <= MAX_WITHIN_SECONDS => {
                Some(((value * 1000.0).round() as u64).max(1))
            }
            _ => {
                let message = format!(
                    "\"within\" must be a number of seconds above 0 and at most {MAX_WITHIN_SECONDS}, found {}",
                    describe_value(v)
                );
                self.error(path, v.pos, message, Some("e.g. \"within\": 5 (seconds), or 0.5".into()));
                None
            }
        }
    }

    /// A whole number of at least `min`.
    fn count(&mut self, v: &Value, path: &str, field: &str, min: u32) -> Option<u32> {
        match v.as_i64() {
            Some(n) if n >= i64::from(min) && n <= i64::from(u32::MAX) => Some(n as u32),
            _ => {
                let at_least = if min == 0 { "0 or more".to_string() } else { format!("at least {min}") };
                let message =
                    format!("{} must be a whole number, {at_least}, found {}", quote(field), describe_value(v));
                let hint = match &v.kind {
                    Kind::String(s) if s.trim().parse::<u32>().is_ok() => {
                        Some(format!("remove the quotes: {}: {}", quote(field), s.trim()))
                    }
                    _ => None,
                };
                self.error(path, v.pos, message, hint);
                None
            }
        }
    }

    /// `stdout` / `stderr`: `contains` and `matches` (a string or a list), `lines` (exact).
    fn output(&mut self, v: &Value, path: &str, node: &str, subject: &Subject, stream: Stream) {
        let name = stream.as_str();
        let members = match &v.kind {
            Kind::Object(m) => m,
            Kind::String(s) => {
                let hint = format!("to look for this text, write \"{name}\": {{\"contains\": {}}}", quote(s));
                self.type_error(path, v, "an object", Some(hint));
                return;
            }
            _ => {
                let hint = format!("e.g. \"{name}\": {{\"contains\": \"ready\"}}");
                self.type_error(path, v, "an object", Some(hint));
                return;
            }
        };
        if members.is_empty() {
            let hint = "give \"contains\" (text), \"matches\" (a regular expression) or \"lines\" (the exact lines)";
            self.error(path, v.pos, format!("this {name} expectation checks nothing"), Some(hint.into()));
            return;
        }
        let f = self.fields(members, path, Shape::Output);
        for key in ["contains", "matches"] {
            let Some(x) = get(&f, key) else { continue };
            let p = key_path(path, key);
            let make = |s: &str| {
                let m =
                    if key == "contains" { OutputMatch::Contains(s.into()) } else { OutputMatch::Matches(s.into()) };
                Check::Output(stream, m)
            };
            match &x.kind {
                Kind::String(s) => self.expect(node, subject, make(s), p, x),
                Kind::Array(items) if items.is_empty() => {
                    let message = format!("an empty list: {} checks nothing", quote(key));
                    self.error(&p, x.pos, message, Some("give one or more strings, or remove it".into()));
                }
                Kind::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        let ip = index_path(&p, i);
                        match &item.kind {
                            Kind::String(s) => self.expect(node, subject, make(s), ip, item),
                            _ => self.type_error(&ip, item, "a string", None),
                        }
                    }
                }
                _ => self.type_error(&p, x, "a string or a list of strings", None),
            }
        }
        if let Some(l) = get(&f, "lines") {
            let p = key_path(path, "lines");
            let Kind::Array(items) = &l.kind else {
                let hint = format!("e.g. \"lines\": [\"first line\", \"second line\"]; [] means no {name} at all");
                self.type_error(&p, l, "an array of strings", Some(hint));
                return;
            };
            let mut lines = Vec::new();
            let mut ok = true;
            for (i, item) in items.iter().enumerate() {
                let ip = index_path(&p, i);
                match &item.kind {
                    Kind::String(s) if s.contains('\n') => {
                        ok = false;
                        let hint = "each item is one line, without its newline: split it into two items".to_string();
                        self.error(&ip, item.pos, "a line cannot contain a newline (\\n)".into(), Some(hint));
                    }
                    Kind::String(s) => lines.push(s.clone()),
                    _ => {
                        ok = false;
                        self.type_error(&ip, item, "a string (one line)", None);
                    }
                }
            }
            if ok {
                self.expect(node, subject, Check::Output(stream, OutputMatch::Lines(lines)), p, l);
            }
        }
    }

    /// `zombies`: `max` (at any time) and `atEnd` (when the namespace ends).
    fn zombies(&mut self, v: &Value, path: &str, node: &str) {
        let Kind::Object(members) = &v.kind else {
            let hint =
                "write \"zombies\": {\"max\": 0} (never more than 0 at any time) or {\"atEnd\": 2} (exactly 2 when \
the namespace ends)";
            self.type_error(path, v, "an object", Some(hint.into()));
            return;
        };
        if members.is_empty() {
            let hint = "give \"max\" (at most this many at any time) or \"atEnd\" (exactly this many when it ends)";
            self.error(path, v.pos, "this zombies expectation checks nothing".into(), Some(hint.into()));
            return;
        }
        let f = self.fields(members, path, Shape::Zombies);
        if let Some(m) = get(&f, "max") {
            let p = key_path(path, "max");
            if let Some(n) = self.count(m, &p, "max", 0) {
                self.expect(node, &Subject::Namespace, Check::ZombiesMax(n), p, m);
            }
        }
        if let Some(a) = get(&f, "atEnd") {
            let p = key_path(path, "atEnd");
            if let Some(n) = self.count(a, &p, "atEnd", 0) {
                self.expect(node, &Subject::Namespace, Check::ZombiesAtEnd(n), p, a);
            }
        }
    }

    /// `reaped`: a number (exactly), or `min` and/or `max`.
    fn reaped(&mut self, v: &Value, path: &str, node: &str) {
        let (min, max) = match &v.kind {
            Kind::Number { .. } => match self.count(v, path, "reaped", 0) {
                Some(n) => (Some(n), Some(n)),
                None => return,
            },
            Kind::Object(members) if members.is_empty() => {
                let hint = "give \"min\" and/or \"max\", or a number for exactly that many";
                self.error(path, v.pos, "this reaped expectation checks nothing".into(), Some(hint.into()));
                return;
            }
            Kind::Object(members) => {
                let f = self.fields(members, path, Shape::Reaped);
                let mut bound = |key: &str| -> Result<Option<u32>, ()> {
                    match get(&f, key) {
                        None => Ok(None),
                        Some(b) => self.count(b, &key_path(path, key), key, 0).map(Some).ok_or(()),
                    }
                };
                let (Ok(min), Ok(max)) = (bound("min"), bound("max")) else { return };
                if min.is_none() && max.is_none() {
                    return; // Only unknown fields, already reported.
                }
                if let (Some(lo), Some(hi)) = (min, max) {
                    if lo > hi {
                        let message = format!("\"min\" ({lo}) is more than \"max\" ({hi}): this could never hold");
                        self.error(path, v.pos, message, Some("swap them, or fix one".into()));
                        return;
                    }
                }
                (min, max)
            }
            _ => {
                let hint = "e.g. \"reaped\": 2 (exactly), or \"reaped\": {\"min\": 1, \"max\": 5}";
                self.type_error(path, v, "a number or an object with \"min\" and \"max\"", Some(hint.into()));
                return;
            }
        };
        self.expect(node, &Subject::Namespace, Check::Reaped { min, max }, path.to_string(), v);
    }
}
