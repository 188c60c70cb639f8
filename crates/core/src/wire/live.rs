//! A detached tree's supervisor and its clients (`ls`, `ps`, `exec`, `kill`, `stop`, through the
//! Node binding): one JSON request per SOCK_SEQPACKET message on the tree's `control.sock` (an
//! `exec` carries the client's stdin, stdout and stderr), one JSON reply, in chunks that a
//! message of a single NUL byte ends. And the one line the supervisor says on its stdout to the
//! `spawn --detach` that started it. Every request and announcement is tagged by `"t"`.
//!
//! | direction | message | members |
//! | --- | --- | --- |
//! | client → supervisor | `{"t":"ps"}` | every process with its PIDs and state |
//! | client → supervisor | `{"t":"kill"}` | `node`, `process` (default `"init"`), `signal` (a number, default SIGTERM) |
//! | client → supervisor | `{"t":"stop"}` | `graceMs` (default 10 000): SIGTERM to the root init, SIGKILL after it |
//! | client → supervisor | `{"t":"wait"}` | the reply comes when the tree has ended |
//! | client → supervisor | `{"t":"events"}` | `after` (default 0), `waitMs` (default 0, at most 30 000): the lifecycle events recorded after `after`, once there is one or `waitMs` has passed |
//! | client → supervisor | `{"t":"exec"}` | `node`, `command`, `env`, `cwd`, `tty` (default false), with three descriptors (one terminal with `tty`): the reply comes when it has exited |
//! | supervisor → client | `{"ok":true,...}` | ps: `seq`, `processes`, `zombies`, `reaped`; kill: `sent`; wait: `code`; events: `seq`, `first`, `ended`, `events`; exec: `process`, `exit` |
//! | supervisor → client | `{"ok":false,"code","error"}` | `code` as in src/errors.ts, `error` says why |
//! | supervisor → `spawn --detach` | `{"t":"ready"}` | every process of the tree is up |
//! | supervisor → `spawn --detach` | `{"t":"failed","code","message"}` | it did not start; everything it started is gone |
//!
//! The version of this protocol is [`PROTOCOL`]: the supervisor writes it in its `info.json`
//! (`"protocol"`), which a client reads before it connects, and a client that speaks another
//! version (or finds none: a tree started before versions existed) sends nothing at all. A
//! detached tree keeps running the supervisor of the build that started it, so a later CLI
//! meets it; change [`PROTOCOL`] with any change to the messages above that an older or newer
//! peer would read differently (a member added, dropped, made optional or given another meaning).
use pidns_model::json_read::{Members, Reader};
use pidns_model::json_write::JsonObject;
use pidns_model::{ProcessSpec, INIT_NAME};

use crate::error_code::ErrorCode;

/// The version of the live protocol this build speaks (see the module's notes).
/// 1: the first numbered version (an exec's `tty` is sent only when true).
pub const PROTOCOL: i64 = 1;

/// What a client asks of the supervisor.
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

/// A request that cannot be served: its code and why.
pub type Refusal = (ErrorCode, String);

fn bad(message: String) -> Refusal {
    (ErrorCode::BadArgument, message)
}

/// `"signal"`: SIGTERM when absent; otherwise a signal the kernel has, never a value wrapped
/// into another (4294967305 would be 9 as an i32: SIGKILL).
fn signal(m: &Members) -> Result<i32, Refusal> {
    let Some(raw) = m.raw("signal") else { return Ok(libc::SIGTERM) };
    m.read("signal", Reader::i64).ok().and_then(crate::sys::signals::checked).ok_or_else(|| {
        (
            ErrorCode::BadSignal,
            format!("\"signal\" must be a signal number from 1 to {}, not {raw}", crate::sys::signals::MAX),
        )
    })
}

impl LiveRequest {
    pub fn parse(bytes: &[u8]) -> Result<LiveRequest, Refusal> {
        let text = std::str::from_utf8(bytes).map_err(|e| bad(format!("the request is not UTF-8: {e}")))?;
        let m = Members::parse(text, "request").map_err(bad)?;
        Ok(match m.string("t").map_err(bad)?.as_str() {
            "ps" => LiveRequest::Ps,
            "kill" => LiveRequest::Kill {
                node: m.string("node").map_err(bad)?,
                process: m.opt("process", Reader::string).map_err(bad)?.unwrap_or_else(|| INIT_NAME.into()),
                signal: signal(&m)?,
            },
            "wait" => LiveRequest::Wait,
            "events" => LiveRequest::Events {
                after: m.opt("after", Reader::i64).map_err(bad)?.unwrap_or(0).max(0) as u64,
                wait_ms: m.opt("waitMs", Reader::i64).map_err(bad)?.unwrap_or(0).clamp(0, MAX_EVENTS_WAIT_MS) as u64,
            },
            "stop" => LiveRequest::Stop {
                grace_ms: m.opt("graceMs", Reader::i64).map_err(bad)?.unwrap_or(10_000).max(0) as u64,
            },
            "exec" => {
                let command = m.strings("command").map_err(bad)?;
                if command.first().is_none_or(|c| c.is_empty()) {
                    return Err(bad("exec needs a command".into()));
                }
                LiveRequest::Exec {
                    node: m.string("node").map_err(bad)?,
                    command,
                    env: m.opt("env", Reader::string_map).map_err(bad)?.unwrap_or_default(),
                    cwd: m.opt("cwd", Reader::string).map_err(bad)?,
                    tty: m.opt("tty", Reader::bool).map_err(bad)?.unwrap_or(false),
                }
            }
            other => return Err(bad(format!("unknown request {other:?}: ps, kill, stop, wait, events or exec"))),
        })
    }

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

/// A reply that says yes; its members follow.
pub fn ok() -> JsonObject {
    JsonObject::new().bool("ok", true)
}

/// A reply that says no: the code and why.
pub fn refused(code: ErrorCode, why: &str) -> String {
    JsonObject::new().bool("ok", false).str("code", code.as_str()).str("error", why).finish()
}

/// The supervisor's line when the tree is up.
pub fn ready() -> String {
    JsonObject::new().str("t", "ready").finish()
}

/// The supervisor's line when it did not start the tree.
pub fn failed(code: ErrorCode, message: &str) -> String {
    JsonObject::new().str("t", "failed").str("code", code.as_str()).str("message", message).finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(text: &str) -> Refusal {
        LiveRequest::parse(text.as_bytes()).err().expect("refused")
    }

    #[test]
    fn requests_are_read_strictly_and_refusals_carry_their_code() {
        assert!(matches!(LiveRequest::parse(br#"{"t":"ps"}"#), Ok(LiveRequest::Ps)));
        match LiveRequest::parse(br#"{"t":"kill","node":"root/a"}"#) {
            Ok(LiveRequest::Kill { node, process, signal }) => {
                assert_eq!((node.as_str(), process.as_str(), signal), ("root/a", "init", libc::SIGTERM))
            }
            _ => panic!("not a kill"),
        }
        assert_eq!(
            refusal(r#"{"t":"kill","node":"r","signal":4294967305}"#),
            (ErrorCode::BadSignal, "\"signal\" must be a signal number from 1 to 64, not 4294967305".into())
        );
        assert_eq!(refusal(r#"{"t":"kill"}"#), (ErrorCode::BadArgument, "request.node is missing".into()));
        assert_eq!(refusal(r#"{"cmd":"ps"}"#), (ErrorCode::BadArgument, "request.t is missing".into()));
        assert_eq!(refusal(r#"{"t":"exec","node":"r","command":[]}"#).1, "exec needs a command");
        assert!(refusal(r#"{"t":"nope"}"#).1.starts_with("unknown request \"nope\""));
        assert_eq!(
            refused(ErrorCode::TreeGone, "the tree ended"),
            r#"{"ok":false,"code":"TREE_GONE","error":"the tree ended"}"#
        );
        assert_eq!(ok().bool("sent", true).finish(), r#"{"ok":true,"sent":true}"#);
    }

    #[test]
    fn events_waits_at_most_thirty_seconds() {
        match LiveRequest::parse(br#"{"t":"events","after":7,"waitMs":9999999}"#) {
            Ok(LiveRequest::Events { after, wait_ms }) => assert_eq!((after, wait_ms), (7, 30_000)),
            _ => panic!("not an events request"),
        }
        match LiveRequest::parse(br#"{"t":"events"}"#) {
            Ok(LiveRequest::Events { after, wait_ms }) => assert_eq!((after, wait_ms), (0, 0)),
            _ => panic!("not an events request"),
        }
    }
}
