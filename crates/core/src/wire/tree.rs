//! What a tree tells its host: one message per datagram on the tree's event socket. Every init
//! holds the tree end (close-on-exec, so user programs never do); the host holds the other.
//!
//! | tag | message | sent by | body |
//! | --- | --- | --- | --- |
//! | `S` | [`TreeMessage::Start`] | the parent of the process (its init, or the host for the root init), right after it forks it | JSON |
//! | `O` | [`TreeMessage::Output`] | the init that holds the process's pipes | `node` u32 LE, `slot` u32 LE, stream u8, then the bytes |
//! | `F` | [`TreeMessage::ExecFailed`] | the forked child itself, when it cannot exec | JSON |
//! | `X` | [`TreeMessage::Exit`] | the init that reaped it, at once | JSON |
//! | `C` | [`TreeMessage::Closed`] | the init that relays its output, once its pipes reached EOF and every byte was sent | JSON |
//! | `R` | [`TreeMessage::Reap`] | an init that reaped an orphan it adopted | JSON |
//! | `!` | [`TreeMessage::Error`] | an init that could not do its job | JSON |
//!
//! Processes are named by [`ProcKey`]: the index of their node in the plan and a slot (the
//! process's index in the node's `processes`, [`INIT_SLOT`] for the namespace's PID 1, or a
//! slot above the declared ones for processes started later with exec). Each datagram is
//! delivered whole and the socket is FIFO, so a process's `Start` precedes its output and its
//! `Closed`, and everything an init sent precedes its own `Exit` (sent by its parent after
//! reaping it). A process whose output is relayed (`Start.relayed`) has ended for the host's
//! events only with both its `Exit` and its `Closed`, in either order: a process can exit
//! while something it started still writes to its pipes, and its exit status is told at once
//! so that it is known even if its init dies before the pipes close.
use pidns_model::json_read::Members;
use pidns_model::json_write::JsonObject;
use pidns_model::signals::signal_from_name;

use crate::status::ExitStatus;

/// The slot of a namespace's PID 1 (ours or the user's command).
pub const INIT_SLOT: u32 = u32::MAX;

/// A process of a tree: its node's index in the plan and its slot there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProcKey {
    pub node: u32,
    pub slot: u32,
}

impl ProcKey {
    pub fn init(node: u32) -> ProcKey {
        ProcKey { node, slot: INIT_SLOT }
    }

    pub fn is_init(self) -> bool {
        self.slot == INIT_SLOT
    }
}

/// Which of a process's output streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stream {
    Stdout,
    Stderr,
}

impl Stream {
    pub fn name(self) -> &'static str {
        match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        }
    }

    pub fn index(self) -> usize {
        match self {
            Stream::Stdout => 0,
            Stream::Stderr => 1,
        }
    }

    fn byte(self) -> u8 {
        match self {
            Stream::Stdout => 1,
            Stream::Stderr => 2,
        }
    }

    fn from_byte(b: u8) -> Option<Stream> {
        match b {
            1 => Some(Stream::Stdout),
            2 => Some(Stream::Stderr),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum TreeMessage<'a> {
    /// A process (or a namespace's PID 1) exists. `nspid` is its PID at every level, host first;
    /// `start_time` is its start in clock ticks since boot (/proc/PID/stat), which with its host
    /// PID identifies it for good (signals go through a pidfd opened and checked against both).
    Start { key: ProcKey, name: String, nspid: Vec<i32>, start_time: u64, command: Vec<String>, relayed: bool },
    /// Bytes the process wrote, in order, as read from its pipe (not split into lines).
    Output { key: ProcKey, stream: Stream, bytes: &'a [u8] },
    /// The process could not exec its command; its exit (126 or 127) follows.
    ExecFailed { key: ProcKey, error: String },
    /// The process ended (its init reaped it).
    Exit { key: ProcKey, status: ExitStatus },
    /// Every byte the process's pipes carried has been sent: they reached EOF.
    Closed { key: ProcKey },
    /// The init of `node` reaped an orphan it adopted; `nspid` as for `Start` (or just its PID
    /// in `node` when it could not be read).
    Reap { node: u32, nspid: Vec<i32>, status: ExitStatus },
    /// The init of `node` could not do its job (a mount, a fork, a pipe, a descriptor limit...).
    Error { node: u32, message: String },
}

/// The fixed part of an `Output` datagram: tag, node, slot, stream.
pub const OUTPUT_HEADER: usize = 1 + 4 + 4 + 1;

/// Writes the header of an `Output` datagram; the bytes follow it.
pub fn output_header(out: &mut Vec<u8>, key: ProcKey, stream: Stream) {
    out.push(b'O');
    out.extend_from_slice(&key.node.to_le_bytes());
    out.extend_from_slice(&key.slot.to_le_bytes());
    out.push(stream.byte());
}

/// An exit status as every message says it (`"code"`, `"signal"` by name or null).
fn with_status(obj: JsonObject, status: &ExitStatus) -> JsonObject {
    obj.exit_status(status.code, status.signal)
}

fn status(f: &Members, what: &str) -> Result<ExitStatus, String> {
    let code = f.read("code", |r| r.i32())?;
    let signal = match f.opt("signal", |r| r.string())? {
        Some(name) => Some(signal_from_name(&name).ok_or_else(|| format!("{what}.signal: {name:?} is not a signal"))?),
        None => None,
    };
    Ok(ExitStatus { code, signal })
}

fn key_fields(obj: JsonObject, key: ProcKey) -> JsonObject {
    obj.int("node", key.node as i64).int("slot", key.slot as i64)
}

fn key(f: &Members) -> Result<ProcKey, String> {
    Ok(ProcKey { node: f.u32("node")?, slot: f.u32("slot")? })
}

impl<'a> TreeMessage<'a> {
    /// The datagram for this message, appended to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let (tag, body) = match self {
            TreeMessage::Output { key, stream, bytes } => {
                output_header(out, *key, *stream);
                out.extend_from_slice(bytes);
                return;
            }
            TreeMessage::Start { key, name, nspid, start_time, command, relayed } => (
                b'S',
                key_fields(JsonObject::new(), *key)
                    .str("name", name)
                    .ints("nspid", nspid)
                    .int("startTime", *start_time as i64)
                    .strs("command", command)
                    .bool("relayed", *relayed),
            ),
            TreeMessage::ExecFailed { key, error } => (b'F', key_fields(JsonObject::new(), *key).str("error", error)),
            TreeMessage::Exit { key, status } => (b'X', with_status(key_fields(JsonObject::new(), *key), status)),
            TreeMessage::Closed { key } => (b'C', key_fields(JsonObject::new(), *key)),
            TreeMessage::Reap { node, nspid, status } => {
                (b'R', with_status(JsonObject::new().int("node", *node as i64).ints("nspid", nspid), status))
            }
            TreeMessage::Error { node, message } => {
                (b'!', JsonObject::new().int("node", *node as i64).str("message", message))
            }
        };
        out.push(tag);
        out.extend_from_slice(body.finish().as_bytes());
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }

    /// Reads a datagram; output borrows its bytes from `datagram`.
    pub fn decode(datagram: &'a [u8]) -> Result<TreeMessage<'a>, String> {
        let (&tag, body) = datagram.split_first().ok_or("an empty message")?;
        if tag == b'O' {
            if body.len() < OUTPUT_HEADER - 1 {
                return Err("an output message shorter than its header".into());
            }
            let node = u32::from_le_bytes(body[0..4].try_into().expect("4 bytes"));
            let slot = u32::from_le_bytes(body[4..8].try_into().expect("4 bytes"));
            let stream = Stream::from_byte(body[8]).ok_or("an output message for no stream")?;
            return Ok(TreeMessage::Output { key: ProcKey { node, slot }, stream, bytes: &body[9..] });
        }
        if !b"SFXCR!".contains(&tag) {
            return Err(format!("unknown message tag {:?}", tag as char));
        }
        let what = format!("message {:?}", tag as char);
        let text = std::str::from_utf8(body).map_err(|e| format!("{what}: not UTF-8: {e}"))?;
        let f = Members::parse(text, &what)?;
        Ok(match tag {
            b'S' => TreeMessage::Start {
                key: key(&f)?,
                name: f.string("name")?,
                nspid: f.i32s("nspid")?,
                start_time: f.u64("startTime")?,
                command: f.strings("command")?,
                relayed: f.bool("relayed")?,
            },
            b'F' => TreeMessage::ExecFailed { key: key(&f)?, error: f.string("error")? },
            b'X' => TreeMessage::Exit { key: key(&f)?, status: status(&f, &what)? },
            b'C' => TreeMessage::Closed { key: key(&f)? },
            b'R' => TreeMessage::Reap { node: f.u32("node")?, nspid: f.i32s("nspid")?, status: status(&f, &what)? },
            _ => TreeMessage::Error { node: f.u32("node")?, message: f.string("message")? },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_round_trips() {
        let bytes = b"line one\n\xffbinary\x00";
        let msgs = vec![
            TreeMessage::Start {
                key: ProcKey { node: 2, slot: 0 },
                name: "web \"x\"".into(),
                nspid: vec![4821, 9, 2],
                start_time: 123_456_789,
                command: vec!["sh".into(), "-c".into(), "echo é\n".into()],
                relayed: true,
            },
            TreeMessage::Start {
                key: ProcKey::init(0),
                name: "init".into(),
                nspid: vec![7, 1],
                start_time: 1,
                command: vec!["pidns-init".into()],
                relayed: false,
            },
            TreeMessage::Closed { key: ProcKey { node: 2, slot: 0 } },
            TreeMessage::Output { key: ProcKey { node: 1, slot: 3 }, stream: Stream::Stderr, bytes },
            TreeMessage::Output { key: ProcKey { node: 0, slot: 0 }, stream: Stream::Stdout, bytes: b"" },
            TreeMessage::ExecFailed { key: ProcKey { node: 0, slot: 1 }, error: "ENOENT".into() },
            TreeMessage::Exit { key: ProcKey::init(4), status: ExitStatus::killed(9) },
            TreeMessage::Exit { key: ProcKey::init(5), status: ExitStatus::killed(40) },
            TreeMessage::Exit { key: ProcKey { node: 4, slot: 1 }, status: ExitStatus::exited(3) },
            TreeMessage::Reap { node: 1, nspid: vec![900, 17], status: ExitStatus::exited(3) },
            TreeMessage::Error { node: 3, message: "mount".into() },
        ];
        for m in msgs {
            let wire = m.to_bytes();
            assert_eq!(TreeMessage::decode(&wire).unwrap(), m);
        }
    }

    #[test]
    fn bad_messages_say_what_is_wrong() {
        assert!(TreeMessage::decode(b"").unwrap_err().contains("empty"));
        assert!(TreeMessage::decode(b"O\x01").unwrap_err().contains("header"));
        assert!(TreeMessage::decode(b"O\0\0\0\0\0\0\0\0\x07").unwrap_err().contains("stream"));
        assert!(TreeMessage::decode(b"Z{}").unwrap_err().contains("unknown message tag"));
        assert_eq!(TreeMessage::decode(br#"X{"node":1}"#).unwrap_err(), "message 'X'.slot is missing");
        assert_eq!(
            TreeMessage::decode(br#"X{"node":1,"slot":0,"code":1,"signal":9}"#).unwrap_err(),
            "message 'X'.signal: expected a string, found a number"
        );
    }
}
