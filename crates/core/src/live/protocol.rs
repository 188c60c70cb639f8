//! Requests a client sends to a tree's supervisor: one JSON object per SEQPACKET message (an
//! `exec` carries the client's stdin, stdout and stderr); one JSON object comes back.
use pidns_model::json::{self, Value};
use pidns_model::ProcessSpec;

pub enum LiveRequest {
    /// The live tree: every process with its PIDs and state.
    Ps,
    /// A signal to `node:process` ("init" for a namespace's init).
    Kill { node: String, process: String, signal: i32 },
    /// SIGTERM to the root init, SIGKILL after `grace_ms`.
    Stop { grace_ms: u64 },
    /// Replies with the tree's exit code once it has ended.
    Wait,
    /// The lifecycle events recorded after sequence number `after`, waiting up to `wait_ms`
    /// for one to come (a long poll: `pidns-tree ui` watches a tree this way).
    Events { after: u64, wait_ms: u64 },
    /// Run a command in `node` with the client's stdio; the reply comes when it has exited.
    /// `tty`: the three descriptors are one terminal, which becomes the command's controlling
    /// terminal (see `wire::control`).
    Exec { node: String, command: Vec<String>, env: Vec<(String, String)>, cwd: Option<String>, tty: bool },
}

/// The longest an `events` request may wait for an event (a client sets its timeout above it).
pub const MAX_EVENTS_WAIT_MS: i64 = 30_000;

fn string(v: &Value, key: &str) -> Result<String, String> {
    v.get(key).and_then(Value::as_str).map(str::to_string).ok_or_else(|| format!("{key:?} is missing"))
}

fn int(v: &Value, key: &str) -> Option<i64> {
    v.get(key).and_then(Value::as_i64)
}

/// `"signal"`: SIGTERM when absent; otherwise a signal the kernel has, never a value wrapped
/// into another (4294967305 would be 9 as an i32: SIGKILL).
fn signal(v: &Value) -> Result<i32, String> {
    let Some(value) = v.get("signal") else { return Ok(libc::SIGTERM) };
    value.as_i64().and_then(crate::sys::signals::checked).ok_or_else(|| {
        let shown = match &value.kind {
            json::Kind::Number { raw, .. } => raw.clone(),
            other => other.describe().to_string(),
        };
        format!("\"signal\" must be a signal number from 1 to {}, not {shown}", crate::sys::signals::MAX)
    })
}

impl LiveRequest {
    pub fn parse(bytes: &[u8]) -> Result<LiveRequest, String> {
        let text = std::str::from_utf8(bytes).map_err(|e| e.to_string())?;
        let v = json::parse(text).map_err(|e| e.message)?;
        Ok(match string(&v, "cmd")?.as_str() {
            "ps" => LiveRequest::Ps,
            "kill" => LiveRequest::Kill {
                node: string(&v, "node")?,
                process: string(&v, "process").unwrap_or_else(|_| "init".into()),
                signal: signal(&v)?,
            },
            "wait" => LiveRequest::Wait,
            "events" => LiveRequest::Events {
                after: int(&v, "after").unwrap_or(0).max(0) as u64,
                wait_ms: int(&v, "waitMs").unwrap_or(0).clamp(0, MAX_EVENTS_WAIT_MS) as u64,
            },
            "stop" => LiveRequest::Stop { grace_ms: int(&v, "graceMs").unwrap_or(10_000).max(0) as u64 },
            "exec" => {
                let (command, env, cwd) = exec_fields(&v)?;
                let tty = match v.get("tty").map(|t| &t.kind) {
                    None | Some(json::Kind::Null) => false,
                    Some(json::Kind::Bool(b)) => *b,
                    Some(_) => return Err("tty is not a boolean".into()),
                };
                LiveRequest::Exec { node: string(&v, "node")?, command, env, cwd, tty }
            }
            other => return Err(format!("unknown command {other:?}")),
        })
    }
}

impl LiveRequest {
    /// The exec'd process's spec under the name the supervisor gives it.
    pub fn exec_spec(&self, name: String) -> Option<(String, ProcessSpec)> {
        match self {
            LiveRequest::Exec { node, command, env, cwd, tty } => Some((
                node.clone(),
                ProcessSpec { name, command: command.clone(), env: env.clone(), cwd: cwd.clone(), tty: *tty },
            )),
            _ => None,
        }
    }
}

/// `command`, `env` and `cwd` of an exec request.
type ExecFields = (Vec<String>, Vec<(String, String)>, Option<String>);

/// `command` (a non-empty argv), `env` (an object of strings) and `cwd` of a client's exec.
fn exec_fields(v: &Value) -> Result<ExecFields, String> {
    let items = v.get("command").and_then(Value::as_array).ok_or("command is missing")?;
    let command = items
        .iter()
        .map(|i| i.as_str().map(str::to_string).ok_or_else(|| "command item is not a string".to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    if command.first().is_none_or(|c| c.is_empty()) {
        return Err("exec needs a command".into());
    }
    let env = v
        .get("env")
        .and_then(Value::as_object)
        .map(|m| m.iter().filter_map(|m| Some((m.key.clone(), m.value.as_str()?.to_string()))).collect())
        .unwrap_or_default();
    let cwd = v.get("cwd").and_then(Value::as_str).map(str::to_string);
    Ok((command, env, cwd))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_waits_at_most_thirty_seconds() {
        match LiveRequest::parse(br#"{"cmd":"events","after":7,"waitMs":9999999}"#) {
            Ok(LiveRequest::Events { after, wait_ms }) => assert_eq!((after, wait_ms), (7, 30_000)),
            _ => panic!("not an events request"),
        }
        match LiveRequest::parse(br#"{"cmd":"events"}"#) {
            Ok(LiveRequest::Events { after, wait_ms }) => assert_eq!((after, wait_ms), (0, 0)),
            _ => panic!("not an events request"),
        }
    }
}
