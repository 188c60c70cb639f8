//! The events users see (NDJSON of `--json`, the API's `events()`), one JSON object each with an
//! `"event"` field. Field names here are the documented contract.
use crate::json_out::JsonObject;
use crate::status::{signal_name, ExitStatus};

/// `{"host": 48211, "root": 9, "root/a": 2}`: a process's PID at each level, host first, from
/// NSpid (outermost first) and the slash-joined path of its node.
pub fn pids_json(node: &str, nspid: &[i32]) -> String {
    let levels: Vec<&str> = node.split('/').collect();
    let mut prefixes = Vec::with_capacity(levels.len() + 1);
    prefixes.push("host".to_string());
    for i in 1..=levels.len() {
        prefixes.push(levels[..i].join("/"));
    }
    // If the host's /proc belongs to an outer namespace, NSpid has more entries: ours are last.
    let nspid = &nspid[nspid.len().saturating_sub(prefixes.len())..];
    let mut obj = JsonObject::new();
    for (name, pid) in prefixes.iter().zip(nspid) {
        obj = obj.int(name, *pid as i64);
    }
    obj.finish()
}

pub fn start(node: &str, process: &str, nspid: &[i32], command: &[String]) -> String {
    JsonObject::new()
        .str("event", "start")
        .str("node", node)
        .str("process", process)
        .int("pid", nspid.last().copied().unwrap_or(0) as i64)
        .raw("pids", &pids_json(node, nspid))
        .strs("command", command)
        .finish()
}

pub fn output(node: &str, process: &str, stream: &str, line: &str) -> String {
    JsonObject::new()
        .str("event", "output")
        .str("node", node)
        .str("process", process)
        .str("stream", stream)
        .str("line", line)
        .finish()
}

fn with_status(obj: JsonObject, status: &ExitStatus) -> JsonObject {
    let obj = obj.int("code", status.code as i64);
    match status.signal {
        Some(sig) => obj.str("signal", &signal_name(sig)),
        None => obj.null("signal"),
    }
}

/// `error` (why it could not run) and `reason` (why it died without its init reporting it) are
/// present only when there is something to say.
pub fn exit(node: &str, process: &str, status: &ExitStatus, error: Option<&str>, reason: Option<&str>) -> String {
    let mut obj = with_status(JsonObject::new().str("event", "exit").str("node", node).str("process", process), status);
    if let Some(e) = error {
        obj = obj.str("error", e);
    }
    if let Some(r) = reason {
        obj = obj.str("reason", r);
    }
    obj.finish()
}

/// An orphan the init of `node` reaped: its PID there and, when known, at every level.
pub fn reap(node: &str, nspid: &[i32], status: &ExitStatus) -> String {
    let depth = node.split('/').count();
    let mut obj =
        JsonObject::new().str("event", "reap").str("node", node).int("pid", nspid.last().copied().unwrap_or(0) as i64);
    if nspid.len() > depth {
        obj = obj.raw("pids", &pids_json(node, nspid));
    }
    with_status(obj, status).finish()
}

/// The zombies now waiting under the user's PID 1 of `node` (PIDs in `node`).
pub fn zombies(node: &str, pids: &[i32]) -> String {
    JsonObject::new()
        .str("event", "zombies")
        .str("node", node)
        .int("count", pids.len() as i64)
        .ints("pids", pids)
        .finish()
}

pub fn error(node: &str, message: &str) -> String {
    JsonObject::new().str("event", "error").str("node", node).str("message", message).finish()
}

pub fn end(code: i32) -> String {
    JsonObject::new().str("event", "end").int("code", code as i64).finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pids_map_every_level() {
        assert_eq!(pids_json("root/a/b", &[48211, 9, 5, 2]), r#"{"host":48211,"root":9,"root/a":5,"root/a/b":2}"#);
        // An outer /proc adds a leading level that is not ours.
        assert_eq!(pids_json("root", &[7, 300, 1]), r#"{"host":300,"root":1}"#);
    }
}
