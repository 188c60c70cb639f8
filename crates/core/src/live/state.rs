//! What the supervisor knows of its tree, from the events the collector emits.
use std::collections::HashMap;
use std::sync::{Condvar, Mutex};

use crate::host::events::{write_ndjson, Event, Names};
use crate::wire::tree::ProcKey;

/// One process (or namespace init) as `ps` shows it.
#[derive(Clone)]
pub struct Proc {
    pub key: ProcKey,
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
    /// Takes in one event of the collector; says what kind it was. Output, the bulk of the
    /// events, changes nothing here: no lock, nobody woken, nothing rendered.
    pub fn record(&self, names: &dyn Names, event: &Event<'_>) -> Recorded {
        let kind = match event {
            Event::Start { .. } => Recorded::Start,
            Event::Error { .. } => Recorded::Error,
            Event::End { .. } => Recorded::End,
            _ => Recorded::Other,
        };
        if !matches!(event, Event::Start { .. } | Event::Exit { .. } | Event::Zombies { .. } | Event::End { .. }) {
            return kind;
        }
        let json = || {
            let mut line = Vec::new();
            write_ndjson(&mut line, names, event);
            line.pop();
            String::from_utf8_lossy(&line).into_owned()
        };
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        match event {
            Event::Start { key, nspid, .. } => st.procs.push(Proc {
                key: *key,
                start: json(),
                host_pid: nspid.first().copied().unwrap_or(0) as i64,
                exit: None,
            }),
            Event::Exit { key, .. } => {
                let line = json();
                if let Some(p) = st.procs.iter_mut().find(|p| p.key == *key) {
                    p.exit = Some(line);
                }
            }
            Event::Zombies { node, pids } => {
                st.zombies.insert(names.node_path(*node).to_string(), pids.iter().map(|&p| p as i64).collect());
            }
            Event::End { code } => st.end = Some(*code as i64),
            _ => {}
        }
        drop(st);
        self.changed.notify_all();
        kind
    }
}
