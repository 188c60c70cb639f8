//! What the supervisor knows of its tree, from the events the collector emits.
use std::collections::{HashMap, VecDeque};
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
    /// Orphans each namespace's init has reaped, by namespace.
    pub reaped: HashMap<String, u64>,
    pub end: Option<i64>,
    /// Clients still to be answered; the supervisor waits for them before it exits.
    pub replying: usize,
    /// The last lifecycle events (start, exit, reap, zombies, error, end) as NDJSON, each with
    /// its sequence number, for watchers (`pidns-tree ui`): at most `LOG_KEPT`, so that a reap
    /// storm costs bounded memory. A watcher that fell further behind reads `ps` again.
    pub log: VecDeque<(u64, String)>,
    /// The sequence number of the last event recorded (0: none yet).
    pub seq: u64,
}

/// How many lifecycle events the supervisor keeps for watchers (about 150 bytes each).
pub const LOG_KEPT: usize = 4096;

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
    /// events, changes nothing here: no lock, nobody woken, nothing rendered. Every other event
    /// is kept in the log for watchers, and wakes them.
    pub fn record(&self, names: &dyn Names, event: &Event<'_>) -> Recorded {
        let kind = match event {
            Event::Start { .. } => Recorded::Start,
            Event::Error { .. } => Recorded::Error,
            Event::End { .. } => Recorded::End,
            _ => Recorded::Other,
        };
        if matches!(event, Event::Output { .. }) {
            return kind;
        }
        let line = {
            let mut line = Vec::new();
            write_ndjson(&mut line, names, event);
            line.pop();
            String::from_utf8_lossy(&line).into_owned()
        };
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        st.seq += 1;
        let seq = st.seq;
        if st.log.len() == LOG_KEPT {
            st.log.pop_front();
        }
        st.log.push_back((seq, line.clone()));
        match event {
            Event::Start { key, nspid, .. } => st.procs.push(Proc {
                key: *key,
                start: line,
                host_pid: nspid.first().copied().unwrap_or(0) as i64,
                exit: None,
            }),
            Event::Exit { key, .. } => {
                if let Some(p) = st.procs.iter_mut().rev().find(|p| p.key == *key) {
                    p.exit = Some(line);
                }
            }
            Event::Zombies { node, pids } => {
                st.zombies.insert(names.node_path(*node).to_string(), pids.iter().map(|&p| p as i64).collect());
            }
            Event::Reap { node, .. } => *st.reaped.entry(names.node_path(*node).to_string()).or_insert(0) += 1,
            Event::End { code } => st.end = Some(*code as i64),
            _ => {}
        }
        drop(st);
        self.changed.notify_all();
        kind
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::ExitStatus;
    use crate::wire::tree::ProcKey;

    struct Names2;
    impl Names for Names2 {
        fn node_path(&self, node: u32) -> &str {
            ["root", "root/a"][node as usize]
        }
        fn process_name(&self, key: ProcKey) -> &str {
            if key.is_init() {
                "init"
            } else {
                "web"
            }
        }
    }

    #[test]
    fn keeps_the_last_lifecycle_events_numbered_and_counts_reaps() {
        let shared = Shared::default();
        let out = Event::Output {
            key: ProcKey { node: 0, slot: 0 },
            stream: crate::wire::tree::Stream::Stdout,
            bytes: b"x",
            newline: true,
        };
        assert_eq!(shared.record(&Names2, &out), Recorded::Other);
        assert_eq!(shared.state.lock().unwrap().seq, 0, "output is not kept");
        for _ in 0..LOG_KEPT + 10 {
            shared.record(&Names2, &Event::Reap { node: 1, nspid: &[9, 4, 2], status: ExitStatus::exited(0) });
        }
        let st = shared.state.lock().unwrap();
        assert_eq!(st.seq, (LOG_KEPT + 10) as u64);
        assert_eq!(st.log.len(), LOG_KEPT);
        assert_eq!(st.log.front().map(|(n, _)| *n), Some(11));
        assert_eq!(st.reaped.get("root/a"), Some(&((LOG_KEPT + 10) as u64)));
        assert!(st.log.back().is_some_and(|(_, line)| line.starts_with(r#"{"event":"reap","node":"root/a""#)));
    }
}
