//! What the host's collector hands JavaScript: a stream of frames on a pipe, each a kind byte,
//! a u32 little-endian length and the payload. Runs of the same kind share one frame, and a
//! frame holds many events: lines cross into JavaScript in batches, never one call per line.
//!
//! | kind | payload | JavaScript |
//! | --- | --- | --- |
//! | `e` | NDJSON: one event per line | parses each line into an event object |
//! | `l` | output lines of one process and stream, in binary (format `lines`, see below) | makes an `output` event of each line when it is read |
//! | `o` | bytes for standard output, already rendered (human lines, or NDJSON) | writes them as they are |
//! | `r` | bytes for standard error, already rendered | writes them as they are |
//! | `c` | the tree's exit code, i32 little-endian | the last frame when the output went elsewhere |
//! | `x` | nothing | the output's reader went away (its pipe broke): the tree was killed |
//!
//! An `l` frame carries what would otherwise be thousands of NDJSON `output` events without
//! JSON: its payload is the node path and the process name (each a u32 little-endian length
//! and its UTF-8), one byte for the stream (0 stdout, 1 stderr), then one record per line: a
//! u32 little-endian header, the line's length in its low 30 bits, [`NOT_UTF8`] when its bytes
//! are not valid UTF-8 and [`NO_NEWLINE`] when no newline followed it, then its bytes, exactly.
//! A new frame starts whenever the process or the stream changes, so the order of all events
//! is the order of the frames and of the records in them.

/// Which frame a payload belongs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Events,
    Stdout,
    Stderr,
    Code,
    ReaderGone,
    Lines,
}

/// In an `l` record's header: the line's bytes are not valid UTF-8.
pub const NOT_UTF8: u32 = 1 << 30;
/// In an `l` record's header: no newline followed this piece of a line.
pub const NO_NEWLINE: u32 = 1 << 31;

impl Kind {
    pub fn byte(self) -> u8 {
        match self {
            Kind::Events => b'e',
            Kind::Stdout => b'o',
            Kind::Stderr => b'r',
            Kind::Code => b'c',
            Kind::ReaderGone => b'x',
            Kind::Lines => b'l',
        }
    }
}

pub const HEADER: usize = 5;

/// Frames being assembled; `bytes()` gives what to write.
#[derive(Default)]
pub struct FrameBuf {
    buf: Vec<u8>,
    /// The kind and header offset of the frame still open.
    open: Option<(Kind, usize)>,
}

impl FrameBuf {
    /// The buffer to append `kind`'s payload to: the open frame if it is of that kind.
    pub fn payload(&mut self, kind: Kind) -> &mut Vec<u8> {
        if self.open.map(|(k, _)| k) != Some(kind) {
            self.close();
            self.open = Some((kind, self.buf.len()));
            self.buf.push(kind.byte());
            self.buf.extend_from_slice(&[0; 4]);
        }
        &mut self.buf
    }

    /// A new frame of `kind`, even if the open one is of that kind (an `l` frame's head).
    pub fn start(&mut self, kind: Kind) -> &mut Vec<u8> {
        self.close();
        self.payload(kind)
    }

    /// The kind of the frame still open.
    pub fn open_kind(&self) -> Option<Kind> {
        self.open.map(|(k, _)| k)
    }

    fn close(&mut self) {
        if let Some((_, at)) = self.open.take() {
            let len = (self.buf.len() - at - HEADER) as u32;
            self.buf[at + 1..at + HEADER].copy_from_slice(&len.to_le_bytes());
        }
    }

    /// Bytes buffered, including the open frame's.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Closes the open frame; the complete frames, ready to write.
    pub fn bytes(&mut self) -> &[u8] {
        self.close();
        &self.buf
    }

    pub fn clear(&mut self) {
        self.buf.clear();
        self.open = None;
    }
}

/// Appends the head of an `l` frame: whose lines follow.
pub fn line_head(out: &mut Vec<u8>, node: &str, process: &str, stderr: bool) {
    for text in [node, process] {
        out.extend_from_slice(&(text.len() as u32).to_le_bytes());
        out.extend_from_slice(text.as_bytes());
    }
    out.push(u8::from(stderr));
}

/// Appends one record of an `l` frame. `bytes` is at most a piece of a line (64 KiB), far
/// below the 30 bits its length has.
pub fn line_record(out: &mut Vec<u8>, bytes: &[u8], newline: bool) {
    let mut header = bytes.len() as u32;
    if std::str::from_utf8(bytes).is_err() {
        header |= NOT_UTF8;
    }
    if !newline {
        header |= NO_NEWLINE;
    }
    out.extend_from_slice(&header.to_le_bytes());
    out.extend_from_slice(bytes);
}

/// Splits a byte stream back into frames (tests, and a reference for the JavaScript reader).
pub fn parse(mut bytes: &[u8]) -> Result<Vec<(u8, Vec<u8>)>, String> {
    let mut frames = Vec::new();
    while !bytes.is_empty() {
        if bytes.len() < HEADER {
            return Err("a truncated frame header".into());
        }
        let len = u32::from_le_bytes(bytes[1..HEADER].try_into().expect("4 bytes")) as usize;
        let body = bytes.get(HEADER..HEADER + len).ok_or("a truncated frame")?;
        frames.push((bytes[0], body.to_vec()));
        bytes = &bytes[HEADER + len..];
    }
    Ok(frames)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_of_one_kind_share_a_frame() {
        let mut f = FrameBuf::default();
        f.payload(Kind::Events).extend_from_slice(b"{\"a\":1}\n");
        f.payload(Kind::Events).extend_from_slice(b"{\"b\":2}\n");
        f.payload(Kind::Stdout).extend_from_slice(b"out");
        f.payload(Kind::Events).extend_from_slice(b"{}\n");
        let frames = parse(f.bytes()).unwrap();
        assert_eq!(
            frames,
            vec![(b'e', b"{\"a\":1}\n{\"b\":2}\n".to_vec()), (b'o', b"out".to_vec()), (b'e', b"{}\n".to_vec())]
        );
        f.clear();
        assert!(f.is_empty());
        assert!(parse(b"e\x05\0\0\0ab").is_err());
    }

    #[test]
    fn line_frames_carry_each_line_exactly() {
        let mut f = FrameBuf::default();
        line_head(f.start(Kind::Lines), "root/a", "web", true);
        line_record(f.payload(Kind::Lines), b"hi", true);
        line_record(f.payload(Kind::Lines), b"\xff", false);
        assert_eq!(f.open_kind(), Some(Kind::Lines));
        line_head(f.start(Kind::Lines), "root", "p", false);
        let frames = parse(f.bytes()).unwrap();
        let mut first = b"\x06\0\0\0root/a\x03\0\0\0web\x01".to_vec();
        first.extend_from_slice(b"\x02\0\0\0hi");
        first.extend_from_slice(&(1 | NOT_UTF8 | NO_NEWLINE).to_le_bytes());
        first.push(0xff);
        assert_eq!(frames, vec![(b'l', first), (b'l', b"\x04\0\0\0root\x01\0\0\0p\0".to_vec())]);
    }
}
