//! What the tree tells the host, one JSON object per datagram on the event socket.
//!
//! `start` is sent by the process itself between fork and exec, so its PIDs are read while it
//! certainly exists and reach the host before anything it prints. Its descriptors ride along:
//! a pidfd for the process, then (for user processes) the read ends of its stdout and stderr.
use pidns_model::json::{self, Value};

use crate::json_out::JsonObject;
use crate::status::ExitStatus;

#[derive(Debug, Clone, PartialEq)]
pub enum TreeMessage {
    /// A process (or a namespace's init, process "init") is up. `nspid` is its PID at every
    /// level, host first. Descriptors follow in this order: its pidfd; with `pipes`, the read
    /// ends of its stdout and stderr; with `control`, the host's end of the init's control socket.
    Start { node: String, process: String, nspid: Vec<i32>, command: Vec<String>, pipes: bool, control: bool },
    /// The init of `node` reaped one of its processes or the init of a child namespace.
    Exit { node: String, process: String, status: ExitStatus },
    /// The process could not be executed; its exit (126 or 127) follows.
    ExecError { node: String, process: String, error: String },
    /// The init of `node` reaped an orphan it adopted; `nspid` as for `Start` (or just its PID
    /// in `node` if it could not be read).
    Reap { node: String, nspid: Vec<i32>, status: ExitStatus },
    /// The init of `node` could not do its job (a mount failed, a fork failed, ...).
    Error { node: String, message: String },
}

impl TreeMessage {
    pub fn encode(&self) -> String {
        match self {
            TreeMessage::Start { node, process, nspid, command, pipes, control } => JsonObject::new()
                .str("t", "start")
                .str("node", node)
                .str("process", process)
                .ints("nspid", nspid)
                .strs("command", command)
                .int("pipes", *pipes as i64)
                .int("control", *control as i64)
                .finish(),
            TreeMessage::Exit { node, process, status } => {
                with_status(JsonObject::new().str("t", "exit").str("node", node).str("process", process), status)
                    .finish()
            }
            TreeMessage::ExecError { node, process, error } => JsonObject::new()
                .str("t", "exec_error")
                .str("node", node)
                .str("process", process)
                .str("error", error)
                .finish(),
            TreeMessage::Reap { node, nspid, status } => {
                with_status(JsonObject::new().str("t", "reap").str("node", node).ints("nspid", nspid), status).finish()
            }
            TreeMessage::Error { node, message } => {
                JsonObject::new().str("t", "error").str("node", node).str("message", message).finish()
            }
        }
    }

    pub fn decode(bytes: &[u8]) -> Result<TreeMessage, String> {
        let text = std::str::from_utf8(bytes).map_err(|e| e.to_string())?;
        let value = json::parse(text).map_err(|e| e.message)?;
        let f = Fields(&value);
        let node = f.string("node")?;
        Ok(match f.string("t")?.as_str() {
            "start" => TreeMessage::Start {
                node,
                process: f.string("process")?,
                nspid: f.ints("nspid")?,
                command: f.strings("command")?,
                pipes: f.int("pipes")? != 0,
                control: f.int("control")? != 0,
            },
            "exit" => TreeMessage::Exit { node, process: f.string("process")?, status: f.status()? },
            "exec_error" => TreeMessage::ExecError { node, process: f.string("process")?, error: f.string("error")? },
            "reap" => TreeMessage::Reap { node, nspid: f.ints("nspid")?, status: f.status()? },
            "error" => TreeMessage::Error { node, message: f.string("message")? },
            other => return Err(format!("unknown message type {other:?}")),
        })
    }
}

fn with_status(obj: JsonObject, status: &ExitStatus) -> JsonObject {
    let obj = obj.int("code", status.code as i64);
    match status.signal {
        Some(sig) => obj.int("signal", sig as i64),
        None => obj.null("signal"),
    }
}

/// Typed access to the members of a decoded message, with errors that name the member.
struct Fields<'a>(&'a Value);

impl Fields<'_> {
    fn get(&self, key: &str) -> Result<&Value, String> {
        self.0.get(key).ok_or_else(|| format!("message lacks {key:?}"))
    }

    fn string(&self, key: &str) -> Result<String, String> {
        self.get(key)?.as_str().map(str::to_string).ok_or_else(|| format!("{key:?} is not a string"))
    }

    fn int(&self, key: &str) -> Result<i64, String> {
        self.get(key)?.as_i64().ok_or_else(|| format!("{key:?} is not an integer"))
    }

    fn ints(&self, key: &str) -> Result<Vec<i32>, String> {
        let items = self.get(key)?.as_array().ok_or_else(|| format!("{key:?} is not an array"))?;
        items.iter().map(|v| v.as_i64().map(|n| n as i32).ok_or_else(|| format!("{key:?} item"))).collect()
    }

    fn strings(&self, key: &str) -> Result<Vec<String>, String> {
        let items = self.get(key)?.as_array().ok_or_else(|| format!("{key:?} is not an array"))?;
        items
            .iter()
            .map(|v| v.as_str().map(str::to_string).ok_or_else(|| format!("{key:?} item is not a string")))
            .collect()
    }

    fn status(&self) -> Result<ExitStatus, String> {
        let code = self.int("code")? as i32;
        let signal = if self.get("signal")?.is_null() { None } else { Some(self.int("signal")? as i32) };
        Ok(ExitStatus { code, signal })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_round_trips() {
        let msgs = vec![
            TreeMessage::Start {
                node: "root/a".into(),
                process: "web \"x\"".into(),
                nspid: vec![4821, 9, 2],
                command: vec!["sh".into(), "-c".into(), "echo é\n".into()],
                pipes: true,
                control: false,
            },
            TreeMessage::Exit { node: "root".into(), process: "init".into(), status: ExitStatus::killed(9) },
            TreeMessage::ExecError { node: "r".into(), process: "p".into(), error: "ENOENT".into() },
            TreeMessage::Reap { node: "r".into(), nspid: vec![900, 17], status: ExitStatus::exited(3) },
            TreeMessage::Error { node: "r".into(), message: "mount".into() },
        ];
        for m in msgs {
            assert_eq!(TreeMessage::decode(m.encode().as_bytes()).unwrap(), m);
        }
    }
}
