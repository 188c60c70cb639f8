//! The events users see (NDJSON of `spawn --json`, the API's `events()`), one JSON object each
//! with an `"event"` field. Field names and their order here are the documented contract.
use std::io::Write;

use crate::status::{signal_name, ExitStatus};
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

/// Appends `event` as one line of NDJSON (with its newline).
pub fn write_ndjson(out: &mut Vec<u8>, names: &dyn Names, event: &Event<'_>) {
    match event {
        Event::Start { key, nspid, command, .. } => {
            let node = names.node_path(key.node);
            head(out, "start", node);
            process(out, names, *key);
            let _ = write!(out, ",\"pid\":{}", nspid.last().copied().unwrap_or(0));
            out.extend_from_slice(b",\"pids\":");
            pids(out, node, nspid);
            out.extend_from_slice(b",\"command\":[");
            for (i, arg) in command.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                json_str(out, arg.as_bytes());
            }
            out.extend_from_slice(b"]}\n");
        }
        Event::Output { key, stream, bytes, newline } => {
            head(out, "output", names.node_path(key.node));
            process(out, names, *key);
            out.extend_from_slice(b",\"stream\":\"");
            out.extend_from_slice(stream.name().as_bytes());
            out.extend_from_slice(b"\",\"line\":");
            match std::str::from_utf8(bytes) {
                Ok(text) => json_str(out, text.as_bytes()),
                Err(_) => {
                    // Not UTF-8: `line` is readable text (U+FFFD for what is not), `base64` the
                    // exact bytes.
                    json_str(out, String::from_utf8_lossy(bytes).as_bytes());
                    out.extend_from_slice(b",\"base64\":\"");
                    base64(out, bytes);
                    out.push(b'"');
                }
            }
            if !newline {
                out.extend_from_slice(b",\"newline\":false");
            }
            out.extend_from_slice(b"}\n");
        }
        Event::Exit { key, status, error, reason } => {
            head(out, "exit", names.node_path(key.node));
            process(out, names, *key);
            status_fields(out, status);
            if let Some(e) = error {
                out.extend_from_slice(b",\"error\":");
                json_str(out, e.as_bytes());
            }
            if let Some(r) = reason {
                out.extend_from_slice(b",\"reason\":");
                json_str(out, r.as_bytes());
            }
            out.extend_from_slice(b"}\n");
        }
        Event::Reap { node, nspid, status } => {
            let path = names.node_path(*node);
            head(out, "reap", path);
            let _ = write!(out, ",\"pid\":{}", nspid.last().copied().unwrap_or(0));
            // Only when the kernel still had every level of it.
            if nspid.len() > path.split('/').count() {
                out.extend_from_slice(b",\"pids\":");
                pids(out, path, nspid);
            }
            status_fields(out, status);
            out.extend_from_slice(b"}\n");
        }
        Event::Zombies { node, pids } => {
            head(out, "zombies", names.node_path(*node));
            let _ = write!(out, ",\"count\":{},\"pids\":[", pids.len());
            for (i, p) in pids.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                let _ = write!(out, "{p}");
            }
            out.extend_from_slice(b"]}\n");
        }
        Event::Error { node, message } => {
            head(out, "error", names.node_path(*node));
            out.extend_from_slice(b",\"message\":");
            json_str(out, message.as_bytes());
            out.extend_from_slice(b"}\n");
        }
        Event::End { code } => {
            let _ = writeln!(out, "{{\"event\":\"end\",\"code\":{code}}}");
        }
    }
}

fn head(out: &mut Vec<u8>, event: &str, node: &str) {
    out.extend_from_slice(b"{\"event\":\"");
    out.extend_from_slice(event.as_bytes());
    out.extend_from_slice(b"\",\"node\":");
    json_str(out, node.as_bytes());
}

fn process(out: &mut Vec<u8>, names: &dyn Names, key: ProcKey) {
    out.extend_from_slice(b",\"process\":");
    json_str(out, names.process_name(key).as_bytes());
}

fn status_fields(out: &mut Vec<u8>, status: &ExitStatus) {
    let _ = write!(out, ",\"code\":{}", status.code);
    match status.signal {
        Some(sig) => {
            out.extend_from_slice(b",\"signal\":");
            json_str(out, signal_name(sig).as_bytes());
        }
        None => out.extend_from_slice(b",\"signal\":null"),
    }
}

/// `{"host": 48211, "root": 9, "root/a": 2}`: a process's PID at each level, host first, from
/// NSpid (outermost first) and the slash-joined path of its node.
pub fn pids(out: &mut Vec<u8>, node: &str, nspid: &[i32]) {
    let levels = node.split('/').count();
    // If the host's /proc belongs to an outer namespace, NSpid has more entries: ours are last.
    let nspid = &nspid[nspid.len().saturating_sub(levels + 1)..];
    out.push(b'{');
    let mut ends = node.match_indices('/').map(|(i, _)| i).chain(std::iter::once(node.len()));
    for (i, pid) in nspid.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        if i == 0 {
            out.extend_from_slice(b"\"host\"");
        } else {
            let end = ends.next().unwrap_or(node.len());
            json_str(out, &node.as_bytes()[..end]);
        }
        let _ = write!(out, ":{pid}");
    }
    out.push(b'}');
}

/// Bytes that need an escape in a JSON string (below 0x80): the quote, the backslash and the
/// control characters.
const ESCAPE: [bool; 128] = {
    let mut t = [false; 128];
    let mut i = 0;
    while i < 0x20 {
        t[i] = true;
        i += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
};

/// `text` (UTF-8) as a JSON string literal. U+2028 and U+2029 are escaped too, so the line is
/// also valid JavaScript.
pub fn json_str(out: &mut Vec<u8>, text: &[u8]) {
    out.push(b'"');
    let mut start = 0;
    let mut i = 0;
    while i < text.len() {
        let b = text[i];
        let special = if b < 0x80 {
            ESCAPE[b as usize]
        } else {
            b == 0xe2 && i + 2 < text.len() && text[i + 1] == 0x80 && (text[i + 2] == 0xa8 || text[i + 2] == 0xa9)
        };
        if !special {
            i += 1;
            continue;
        }
        out.extend_from_slice(&text[start..i]);
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0xe2 => {
                let _ = write!(out, "\\u{}", if text[i + 2] == 0xa8 { "2028" } else { "2029" });
                i += 2;
            }
            c => {
                let _ = write!(out, "\\u{:04x}", c);
            }
        }
        i += 1;
        start = i;
    }
    out.extend_from_slice(&text[start..]);
    out.push(b'"');
}

fn base64(out: &mut Vec<u8>, bytes: &[u8]) {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, &b)| n | (b as u32) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]);
            } else {
                out.push(b'=');
            }
        }
    }
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
        let mut out = Vec::new();
        pids(&mut out, "root/a/b", &[48211, 9, 5, 2]);
        assert_eq!(out, br#"{"host":48211,"root":9,"root/a":5,"root/a/b":2}"#);
        out.clear();
        // An outer /proc adds a leading level that is not ours.
        pids(&mut out, "root", &[7, 300, 1]);
        assert_eq!(out, br#"{"host":300,"root":1}"#);
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
            let mut out = Vec::new();
            base64(&mut out, input);
            assert_eq!(out, expected.as_bytes());
        }
    }
}
