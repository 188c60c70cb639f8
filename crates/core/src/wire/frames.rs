//! What the host's collector hands JavaScript: a stream of frames on a pipe, each a kind byte,
//! a u32 little-endian length and the payload. Runs of the same kind share one frame, and a
//! frame holds many events: lines cross into JavaScript in batches, never one call per line.
//!
//! | kind | payload | JavaScript |
//! | --- | --- | --- |
//! | `e` | NDJSON: one event per line | parses each line into an event object |
//! | `o` | bytes for standard output, already rendered (human lines, or NDJSON) | writes them as they are |
//! | `r` | bytes for standard error, already rendered | writes them as they are |
//! | `c` | the tree's exit code, i32 little-endian | the last frame when the output went elsewhere |
//! | `x` | nothing | the output's reader went away (its pipe broke): the tree was killed |

/// Which frame a payload belongs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Events,
    Stdout,
    Stderr,
    Code,
    ReaderGone,
}

impl Kind {
    pub fn byte(self) -> u8 {
        match self {
            Kind::Events => b'e',
            Kind::Stdout => b'o',
            Kind::Stderr => b'r',
            Kind::Code => b'c',
            Kind::ReaderGone => b'x',
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
}
