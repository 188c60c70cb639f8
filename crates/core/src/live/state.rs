//! What the supervisor knows of its tree, from the events the collector emits.
use std::collections::HashMap;
use std::sync::{Condvar, Mutex};

use pidns_model::json::{self, Value};

/// One process (or namespace init) as `ps` shows it.
#[derive(Clone)]
pub struct Proc {
    pub node: String,
    pub process: String,
    /// The `start` event, as JSON.
    pub start: String,
    pub host_pid: i64,
    /// The `exit` event, as JSON, once it has exited.
    pub exit: Option<String>,
}

#[derive(Default)]
pub struct State {
    pub procs: Vec<Proc>,
    /// Zombies under a user's PID 1, by namespace (the last `zombies` event).
    pub zombies: HashMap<String, Vec<i64>>,
    pub end: Option<i64>,
    /// Clients still to be answered; the supervisor waits for them before it exits.
    pub replying: usize,
}

#[derive(Default)]
pub struct Shared {
    pub state: Mutex<State>,
    /// Wakes whoever waits for an exit (exec) or the end.
    pub changed: Condvar,
}

fn text(v: &Value, key: &str) -> String {
    v.get(key).and_then(Value::as_str).unwrap_or_default().to_string()
}

/// The kinds of event line the supervisor's start-up accounting looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    Start,
    Error,
    End,
    /// Anything else (output, exit, zombies, ...), or not an event.
    Other,
}

impl Shared {
    /// Takes in one event line of the collector; says what kind it was.
    pub fn record(&self, line: &str) -> Recorded {
        let Ok(v) = json::parse(line) else { return Recorded::Other };
        let event = text(&v, "event");
        let kind = match event.as_str() {
            "start" => Recorded::Start,
            "error" => Recorded::Error,
            "end" => Recorded::End,
            _ => Recorded::Other,
        };
        // Output lines, the bulk of them, change nothing here: no lock, nobody woken.
        if !matches!(event.as_str(), "start" | "exit" | "zombies" | "end") {
            return kind;
        }
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        match event.as_str() {
            "start" => {
                let host_pid = v.get("pids").and_then(|p| p.get("host")).and_then(Value::as_i64);
                st.procs.push(Proc {
                    node: text(&v, "node"),
                    process: text(&v, "process"),
                    start: line.to_string(),
                    host_pid: host_pid.unwrap_or(0),
                    exit: None,
                });
            }
            "exit" => {
                let (node, process) = (text(&v, "node"), text(&v, "process"));
                if let Some(p) = st.procs.iter_mut().rev().find(|p| p.node == node && p.process == process) {
                    p.exit = Some(line.to_string());
                }
            }
            "zombies" => {
                let pids = v
                    .get("pids")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(Value::as_i64).collect())
                    .unwrap_or_default();
                st.zombies.insert(text(&v, "node"), pids);
            }
            _ => st.end = v.get("code").and_then(Value::as_i64),
        }
        drop(st);
        self.changed.notify_all();
        kind
    }
}
