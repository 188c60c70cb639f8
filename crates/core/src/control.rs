//! What the host asks of an init, over the init's own control socket (one SOCK_SEQPACKET pair
//! per init; the init sends the host's end with its `start`). One JSON object per datagram;
//! an `exec` carries the new process's stdin, stdout and stderr as SCM_RIGHTS.
use pidns_model::json::{self, Value};
use pidns_model::ProcessSpec;

use crate::json_out::JsonObject;

#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// Start `process` in namespace `node` (the init's own, or a child whose PID 1 is the
    /// user's command) as a child of the init, with the three descriptors that come along as
    /// its stdin, stdout and stderr. Its `start` and `exit` come back on the event socket.
    Exec { node: String, process: ProcessSpec },
}

impl Request {
    pub fn encode(&self) -> String {
        match self {
            Request::Exec { node, process } => {
                let mut env = JsonObject::new();
                for (k, v) in &process.env {
                    env = env.str(k, v);
                }
                let obj = JsonObject::new()
                    .str("t", "exec")
                    .str("node", node)
                    .str("name", &process.name)
                    .strs("command", &process.command)
                    .raw("env", &env.finish());
                match &process.cwd {
                    Some(cwd) => obj.str("cwd", cwd),
                    None => obj.null("cwd"),
                }
                .finish()
            }
        }
    }

    pub fn decode(bytes: &[u8]) -> Result<Request, String> {
        let text = std::str::from_utf8(bytes).map_err(|e| e.to_string())?;
        let v = json::parse(text).map_err(|e| e.message)?;
        let string =
            |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string).ok_or_else(|| format!("{k:?} is missing"));
        match string("t")?.as_str() {
            "exec" => {
                let (command, env, cwd) = exec_fields(&v)?;
                Ok(Request::Exec {
                    node: string("node")?,
                    process: ProcessSpec { name: string("name")?, command, env, cwd },
                })
            }
            other => Err(format!("unknown request {other:?}")),
        }
    }
}

/// `command`, `env` and `cwd` of an exec request.
pub type ExecFields = (Vec<String>, Vec<(String, String)>, Option<String>);

/// `command` (a non-empty argv), `env` (an object of strings) and `cwd` of an exec request:
/// the host's to an init and a client's to a supervisor are read the same way.
pub fn exec_fields(v: &Value) -> Result<ExecFields, String> {
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
    fn exec_round_trips() {
        let r = Request::Exec {
            node: "root/a".into(),
            process: ProcessSpec {
                name: "exec-1".into(),
                command: vec!["sh".into(), "-c".into(), "echo \"hi\"".into()],
                env: vec![("A".into(), "1".into())],
                cwd: Some("/tmp".into()),
            },
        };
        assert_eq!(Request::decode(r.encode().as_bytes()).unwrap(), r);
    }
}
