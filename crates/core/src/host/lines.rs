//! Splitting a pipe's bytes into lines for `output` events.

/// A line longer than this is emitted in pieces, so one process cannot make us buffer without
/// bound.
pub const MAX_LINE: usize = 64 * 1024;

#[derive(Default)]
pub struct LineSplitter {
    partial: Vec<u8>,
}

impl LineSplitter {
    /// Feeds bytes and calls `emit` for every complete line (without its newline).
    pub fn feed(&mut self, mut bytes: &[u8], emit: &mut dyn FnMut(&str)) {
        while let Some(nl) = bytes.iter().position(|&b| b == b'\n') {
            self.partial.extend_from_slice(&bytes[..nl]);
            self.flush(emit);
            bytes = &bytes[nl + 1..];
        }
        self.partial.extend_from_slice(bytes);
        while self.partial.len() >= MAX_LINE {
            let rest = self.partial.split_off(MAX_LINE);
            self.flush(emit);
            self.partial = rest;
        }
    }

    /// At end of stream: a last line without a newline is still a line.
    pub fn finish(&mut self, emit: &mut dyn FnMut(&str)) {
        if !self.partial.is_empty() {
            self.flush(emit);
        }
    }

    fn flush(&mut self, emit: &mut dyn FnMut(&str)) {
        let line = String::from_utf8_lossy(&self.partial);
        emit(line.strip_suffix('\r').unwrap_or(&line));
        self.partial.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(chunks: &[&[u8]]) -> Vec<String> {
        let mut out = Vec::new();
        let mut s = LineSplitter::default();
        for c in chunks {
            s.feed(c, &mut |l| out.push(l.to_string()));
        }
        s.finish(&mut |l| out.push(l.to_string()));
        out
    }

    #[test]
    fn splits_across_chunks_and_keeps_the_tail() {
        assert_eq!(split(&[b"a\nb", b"c\r\n\nd"]), ["a", "bc", "", "d"]);
    }

    #[test]
    fn caps_long_lines() {
        let long = vec![b'x'; MAX_LINE + 5];
        let lines = split(&[&long]);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].len(), MAX_LINE);
    }
}
