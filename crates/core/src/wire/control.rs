//! What the host asks of an init: one request per connection to the init's control socket, one
//! reply. The socket is an abstract SOCK_SEQPACKET socket named after the tree's random token
//! and the node (see [`socket_name`]); its creator binds it before the init exists, and each
//! side checks the other's credentials (SO_PEERCRED) before it acts or sends a descriptor.
//!
//! | tag | message | direction | body |
//! | --- | --- | --- | --- |
//! | `E` | [`Request::Exec`] | host → init, with the process's stdin, stdout and stderr as SCM_RIGHTS (with `"tty": true`, the same terminal three times) | JSON |
//! | `K` | [`Reply::Started`] | init → host: forked, its `Start` event is on the event socket | JSON |
//! | `!` | [`Reply::Refused`] | init → host: why not | JSON |
use pidns_model::json_read::{Members, Reader};
use pidns_model::json_write::JsonObject;
use pidns_model::plan::{process_fields, read_process_with};
use pidns_model::ProcessSpec;

#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// Start `process` in node `node` (the init's own, or a child whose PID 1 is the user's
    /// command) as a child of the init, with the three descriptors that come along as its stdin,
    /// stdout and stderr. Its `Start` and `Exit` come on the event socket under its name. With
    /// `process.tty` they are a terminal, and the process leads a new session with it as its
    /// controlling terminal; when it ends, the init ends that session (see `init::session`).
    Exec { node: u32, process: ProcessSpec },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// It runs, in this slot of the node.
    Started {
        slot: u32,
    },
    Refused {
        message: String,
    },
}

/// The abstract socket name of the control socket of `node` in the tree with `token` (without
/// the leading NUL that makes it abstract).
pub fn socket_name(token: &str, node: u32) -> String {
    format!("pidns-tree/{token}/{node}")
}

fn text(body: &[u8]) -> Result<&str, String> {
    std::str::from_utf8(body).map_err(|e| format!("not UTF-8: {e}"))
}

impl Request {
    pub fn to_bytes(&self) -> Vec<u8> {
        let Request::Exec { node, process } = self;
        let mut out = vec![b'E'];
        // The process as a plan has it: its members beside the node's.
        process_fields(JsonObject::append_to(&mut out).int("node", *node as i64), process).finish();
        out
    }

    pub fn decode(bytes: &[u8]) -> Result<Request, String> {
        match bytes.split_first() {
            Some((b'E', body)) => {
                let mut r = Reader::new(text(body)?, "request 'E'");
                let mut node = None;
                let process = read_process_with(&mut r, |r, key| match key {
                    "node" => r.u32().map(|n| node = Some(n)),
                    _ => r.skip(),
                })?;
                r.end()?;
                Ok(Request::Exec { node: node.ok_or("request 'E'.node is missing")?, process })
            }
            Some((tag, _)) => Err(format!("unknown request tag {:?}", *tag as char)),
            None => Err("an empty request".into()),
        }
    }
}

impl Reply {
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            Reply::Started { slot } => JsonObject::append_to(vec![b'K']).int("slot", *slot as i64).finish(),
            Reply::Refused { message } => JsonObject::append_to(vec![b'!']).str("message", message).finish(),
        }
    }

    pub fn decode(bytes: &[u8]) -> Result<Reply, String> {
        match bytes.split_first() {
            Some((b'K', body)) => Ok(Reply::Started { slot: Members::parse(text(body)?, "reply 'K'")?.u32("slot")? }),
            Some((b'!', body)) => {
                Ok(Reply::Refused { message: Members::parse(text(body)?, "reply '!'")?.string("message")? })
            }
            Some((tag, _)) => Err(format!("unknown reply tag {:?}", *tag as char)),
            None => Err("an empty reply".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_and_replies_round_trip() {
        let r = Request::Exec {
            node: 3,
            process: ProcessSpec {
                name: "exec-1".into(),
                command: vec!["sh".into(), "-c".into(), "echo \"hi\"".into()],
                env: vec![("A".into(), "1".into())],
                cwd: Some("/tmp".into()),
                tty: false,
            },
        };
        assert_eq!(Request::decode(&r.to_bytes()).unwrap(), r);
        let Request::Exec { node, mut process } = r;
        process.tty = true;
        let r = Request::Exec { node, process };
        assert_eq!(Request::decode(&r.to_bytes()).unwrap(), r);
        for reply in [Reply::Started { slot: 7 }, Reply::Refused { message: "stopping".into() }] {
            assert_eq!(Reply::decode(&reply.to_bytes()).unwrap(), reply);
        }
        assert!(Request::decode(br#"E{"node":0,"name":"x","command":[],"env":{},"cwd":null}"#).is_err());
        // The process's members are a plan's: `tty` only when true.
        let plain = br#"E{"node":2,"name":"x","command":["sh"],"env":{},"cwd":null}"#;
        let Ok(Request::Exec { node: 2, process }) = Request::decode(plain) else { panic!("not decoded") };
        assert!(!process.tty);
        let no_node = Request::decode(br#"E{"name":"x","command":["sh"],"env":{},"cwd":null}"#);
        assert_eq!(no_node, Err("request 'E'.node is missing".to_string()));
    }
}
