//! The events users see (NDJSON of `spawn --json`, the API's `events()`), one JSON object each
//! with an `"event"` field. Field names and their order here are the documented contract.
use pidns_model::json_write::{Buf, JsonObject};

use crate::status::ExitStatus;
use crate::wire::tree::{ProcKey, Stream};

/// One event, borrowing what it carries from whoever emits it.
#[derive(Debug, Clone, PartialEq)]
pub enum Event<'a> {
    /// `start_time` is not part of the event users see: with the host PID it identifies the
    /// process for signals (see `registry`).
    Start {
        key: ProcKey,
        nspid: &'a [i32],
        command: &'a [String],
        start_time: u64,
    },
    /// A piece of a line (`newline`: the process wrote a newline after it).
    Output {
        key: ProcKey,
        stream: Stream,
        bytes: &'a [u8],
        newline: bool,
    },
    Exit {
        key: ProcKey,
        status: ExitStatus,
        error: Option<&'a str>,
        reason: Option<&'a str>,
    },
    Reap {
        node: u32,
        nspid: &'a [i32],
        status: ExitStatus,
    },
    Zombies {
        node: u32,
        pids: &'a [i32],
    },
    Error {
        node: u32,
        message: &'a str,
    },
    End {
        code: i32,
    },
}

/// How events name what they are about.
pub trait Names {
    /// The path of node `node` (`root/a`).
    fn node_path(&self, node: u32) -> &str;
    /// The name of a process (`init` for a namespace's PID 1).
    fn process_name(&self, key: ProcKey) -> &str;
}

/// Appends `event` as one line of NDJSON (with its newline), with the model's one JSON writer,
/// straight into `out`.
pub fn write_ndjson(out: &mut Vec<u8>, names: &dyn Names, event: &Event<'_>) {
    let line = JsonObject::append_to(&mut *out);
    match event {
        Event::Start { key, nspid, command, .. } => {
            let node = names.node_path(key.node);
            head(line, "start", node)
                .str("process", names.process_name(*key))
                .int("pid", nspid.last().copied().unwrap_or(0).into())
                .object("pids", |o| pids(o, node, nspid))
                .strs("command", *command)
                .finish();
        }
        Event::Output { key, stream, bytes, newline } => {
            let line = head(line, "output", names.node_path(key.node))
                .str("process", names.process_name(*key))
                .word("stream", stream.name());
            let line = match std::str::from_utf8(bytes) {
                Ok(text) => line.str("line", text),
                // Not UTF-8: `line` is readable text (U+FFFD for what is not), `base64` the exact
                // bytes.
                Err(_) => line.str("line", &String::from_utf8_lossy(bytes)).str("base64", &base64(bytes)),
            };
            if *newline { line } else { line.bool("newline", false) }.finish();
        }
        Event::Exit { key, status, error, reason } => {
            let mut line = head(line, "exit", names.node_path(key.node))
                .str("process", names.process_name(*key))
                .exit_status(status.code, status.signal);
            if let Some(e) = error {
                line = line.str("error", e);
            }
            if let Some(r) = reason {
                line = line.str("reason", r);
            }
            line.finish();
        }
        Event::Reap { node, nspid, status } => {
            let path = names.node_path(*node);
            let mut line = head(line, "reap", path).int("pid", nspid.last().copied().unwrap_or(0).into());
            // Only when the kernel still had every level of it.
            if nspid.len() > path.split('/').count() {
                line = line.object("pids", |o| pids(o, path, nspid));
            }
            line.exit_status(status.code, status.signal).finish();
        }
        Event::Zombies { node, pids } => {
            head(line, "zombies", names.node_path(*node)).int("count", pids.len() as i64).ints("pids", *pids).finish();
        }
        Event::Error { node, message } => {
            head(line, "error", names.node_path(*node)).str("message", message).finish();
        }
        Event::End { code } => {
            line.word("event", "end").int("code", i64::from(*code)).finish();
        }
    }
    out.push(b'\n');
}

fn head<B: Buf>(line: JsonObject<B>, event: &'static str, node: &str) -> JsonObject<B> {
    line.word("event", event).str("node", node)
}

/// `{"host": 48211, "root": 9, "root/a": 2}`: a process's PID at each level, host first, from
/// NSpid (outermost first) and the slash-joined path of its node.
pub fn pids<B: Buf>(mut o: JsonObject<B>, node: &str, nspid: &[i32]) -> JsonObject<B> {
    let levels = node.split('/').count();
    // If the host's /proc belongs to an outer namespace, NSpid has more entries: ours are last.
    let nspid = &nspid[nspid.len().saturating_sub(levels + 1)..];
    let mut ends = node.match_indices('/').map(|(i, _)| i).chain(std::iter::once(node.len()));
    for (i, pid) in nspid.iter().enumerate() {
        let key = if i == 0 { "host" } else { &node[..ends.next().unwrap_or(node.len())] };
        o = o.int_at(key, i64::from(*pid));
    }
    o
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, &b)| n | (b as u32) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixed;
    impl Names for Fixed {
        fn node_path(&self, node: u32) -> &str {
            ["root", "root/a", "root/a/b"][node as usize]
        }
        fn process_name(&self, key: ProcKey) -> &str {
            if key.is_init() {
                "init"
            } else {
                "web"
            }
        }
    }

    fn line(e: Event<'_>) -> String {
        let mut out = Vec::new();
        write_ndjson(&mut out, &Fixed, &e);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn pids_map_every_level() {
        let map = |node: &str, nspid: &[i32]| pids(JsonObject::new(), node, nspid).finish();
        assert_eq!(map("root/a/b", &[48211, 9, 5, 2]), r#"{"host":48211,"root":9,"root/a":5,"root/a/b":2}"#);
        // An outer /proc adds a leading level that is not ours.
        assert_eq!(map("root", &[7, 300, 1]), r#"{"host":300,"root":1}"#);
    }

    #[test]
    fn events_as_documented() {
        let key = ProcKey { node: 1, slot: 0 };
        assert_eq!(
            line(Event::Start { key, nspid: &[40, 3, 2], command: &["sh".into(), "-c".into(), "echo \"é\"".into()], start_time: 5 }),
            "{\"event\":\"start\",\"node\":\"root/a\",\"process\":\"web\",\"pid\":2,\"pids\":{\"host\":40,\"root\":3,\"root/a\":2},\"command\":[\"sh\",\"-c\",\"echo \\\"é\\\"\"]}\n"
        );
        assert_eq!(
            line(Event::Output { key, stream: Stream::Stderr, bytes: b"a\tb\x01\xe2\x80\xa8", newline: true }),
            "{\"event\":\"output\",\"node\":\"root/a\",\"process\":\"web\",\"stream\":\"stderr\",\"line\":\"a\\tb\\u0001\\u2028\"}\n"
        );
        assert_eq!(
            line(Event::Output { key, stream: Stream::Stdout, bytes: b"\xff\x00x", newline: false }),
            "{\"event\":\"output\",\"node\":\"root/a\",\"process\":\"web\",\"stream\":\"stdout\",\"line\":\"\u{fffd}\\u0000x\",\"base64\":\"/wB4\",\"newline\":false}\n"
        );
        assert_eq!(
            line(Event::Exit { key: ProcKey::init(0), status: ExitStatus::killed(9), error: None, reason: Some("why") }),
            "{\"event\":\"exit\",\"node\":\"root\",\"process\":\"init\",\"code\":137,\"signal\":\"SIGKILL\",\"reason\":\"why\"}\n"
        );
        assert_eq!(
            line(Event::Reap { node: 1, nspid: &[900, 17, 4], status: ExitStatus::exited(0) }),
            "{\"event\":\"reap\",\"node\":\"root/a\",\"pid\":4,\"pids\":{\"host\":900,\"root\":17,\"root/a\":4},\"code\":0,\"signal\":null}\n"
        );
        assert_eq!(
            line(Event::Reap { node: 1, nspid: &[4], status: ExitStatus::exited(0) }),
            "{\"event\":\"reap\",\"node\":\"root/a\",\"pid\":4,\"code\":0,\"signal\":null}\n"
        );
        assert_eq!(
            line(Event::Zombies { node: 2, pids: &[3, 4] }),
            "{\"event\":\"zombies\",\"node\":\"root/a/b\",\"count\":2,\"pids\":[3,4]}\n"
        );
        assert_eq!(line(Event::End { code: 3 }), "{\"event\":\"end\",\"code\":3}\n");
    }

    #[test]
    fn base64_pads() {
        for (input, expected) in
            [(&b""[..], ""), (b"f", "Zg=="), (b"fo", "Zm8="), (b"foo", "Zm9v"), (b"foob", "Zm9vYg==")]
        {
            assert_eq!(base64(input), expected);
        }
    }
}
