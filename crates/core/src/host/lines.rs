//! Splitting a stream of bytes into lines for `output` events, without inventing or losing a
//! byte: concatenating each piece, followed by a newline where `newline` is true, gives back
//! exactly what the process wrote (a carriage return stays part of its line).
//!
//! A line longer than [`MAX_LINE`] is emitted in pieces (so one process cannot make us buffer
//! without bound), each cut at a UTF-8 character boundary when the text there is UTF-8; only
//! the last piece of the line has `newline`. A stream that ends without a newline ends with a
//! piece that has none.

/// The longest piece of a line emitted at once.
pub const MAX_LINE: usize = 64 * 1024;

#[derive(Default)]
pub struct LineSplitter {
    /// The start of a line whose newline has not come yet (at most MAX_LINE bytes).
    partial: Vec<u8>,
}

impl LineSplitter {
    /// Feeds bytes; calls `emit(piece, newline)` for every complete line and every full-size
    /// piece of a long one. Pieces borrow from `bytes` where they can (no copy).
    pub fn feed(&mut self, mut bytes: &[u8], emit: &mut dyn FnMut(&[u8], bool)) {
        while let Some(nl) = memchr(b'\n', bytes) {
            let line = &bytes[..nl];
            if self.partial.is_empty() {
                emit_long(line, true, emit);
            } else {
                self.partial.extend_from_slice(line);
                let whole = std::mem::take(&mut self.partial);
                emit_long(&whole, true, emit);
                self.partial = whole;
                self.partial.clear();
            }
            bytes = &bytes[nl + 1..];
        }
        if bytes.is_empty() {
            return;
        }
        self.partial.extend_from_slice(bytes);
        // Only more than MAX_LINE is cut: a line of exactly MAX_LINE whose newline comes in the
        // next read is still one line.
        while self.partial.len() > MAX_LINE {
            let cut = char_boundary(&self.partial, MAX_LINE);
            emit(&self.partial[..cut], false);
            self.partial.drain(..cut);
        }
    }

    /// At the end of the stream: what is left is a last piece without a newline.
    pub fn finish(&mut self, emit: &mut dyn FnMut(&[u8], bool)) {
        if !self.partial.is_empty() {
            emit(&self.partial, false);
            self.partial.clear();
        }
    }

    /// Bytes held back waiting for their newline.
    pub fn pending(&self) -> usize {
        self.partial.len()
    }
}

/// Emits `line` (all of whose bytes are known) in pieces of at most MAX_LINE.
fn emit_long(mut line: &[u8], newline: bool, emit: &mut dyn FnMut(&[u8], bool)) {
    while line.len() > MAX_LINE {
        let cut = char_boundary(line, MAX_LINE);
        emit(&line[..cut], false);
        line = &line[cut..];
    }
    emit(line, newline);
}

fn memchr(needle: u8, haystack: &[u8]) -> Option<usize> {
    haystack.iter().position(|&b| b == needle)
}

/// Where to cut `buf` at most `limit` bytes in: `limit`, or earlier when that would split a
/// UTF-8 encoded character (only when the bytes there really are one; binary is cut anywhere).
pub fn char_boundary(buf: &[u8], limit: usize) -> usize {
    if limit >= buf.len() {
        return buf.len();
    }
    let is_cont = |b: u8| b & 0xc0 == 0x80;
    if !is_cont(buf[limit]) {
        return limit;
    }
    // Back to the lead byte of the character that straddles the cut (at most 3 bytes back).
    let mut lead = limit;
    while lead > 0 && limit - lead < 3 && is_cont(buf[lead]) {
        lead -= 1;
    }
    let len = match buf[lead] {
        b if b & 0xe0 == 0xc0 => 2,
        b if b & 0xf0 == 0xe0 => 3,
        b if b & 0xf8 == 0xf0 => 4,
        _ => return limit,
    };
    let end = lead + len;
    // A real character: its continuation bytes are all there and it does straddle the cut.
    if lead == 0 || end <= limit || end > buf.len() || !buf[lead + 1..end].iter().all(|&b| is_cont(b)) {
        return limit;
    }
    if std::str::from_utf8(&buf[lead..end]).is_err() {
        return limit;
    }
    lead
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(chunks: &[&[u8]]) -> Vec<(Vec<u8>, bool)> {
        let mut out = Vec::new();
        let mut s = LineSplitter::default();
        for c in chunks {
            s.feed(c, &mut |l, nl| out.push((l.to_vec(), nl)));
        }
        s.finish(&mut |l, nl| out.push((l.to_vec(), nl)));
        out
    }

    fn join(pieces: &[(Vec<u8>, bool)]) -> Vec<u8> {
        let mut out = Vec::new();
        for (p, nl) in pieces {
            out.extend_from_slice(p);
            if *nl {
                out.push(b'\n');
            }
        }
        out
    }

    #[test]
    fn splits_across_chunks_keeps_carriage_returns_and_the_tail() {
        let pieces = split(&[b"a\nb", b"c\r\n\nd"]);
        let texts: Vec<(&[u8], bool)> = pieces.iter().map(|(l, n)| (l.as_slice(), *n)).collect();
        assert_eq!(texts, vec![(&b"a"[..], true), (b"bc\r", true), (b"", true), (b"d", false)]);
    }

    #[test]
    fn a_line_of_exactly_max_line_is_one_line() {
        let mut line = vec![b'x'; MAX_LINE];
        let (a, b) = line.split_at(40_000);
        let pieces = split(&[a, b, b"\n"]);
        assert_eq!(pieces.len(), 1);
        assert_eq!(pieces[0].0.len(), MAX_LINE);
        assert!(pieces[0].1);
        line.push(b'\n');
        assert_eq!(split(&[&line]).len(), 1);
    }

    #[test]
    fn a_long_line_in_two_reads_is_cut_and_rejoins() {
        let line = vec![b'y'; 70_000];
        let (a, b) = line.split_at(35_000);
        let pieces = split(&[a, b, b"\n"]);
        assert_eq!(
            pieces.iter().map(|p| (p.0.len(), p.1)).collect::<Vec<_>>(),
            vec![(MAX_LINE, false), (70_000 - MAX_LINE, true)]
        );
        assert_eq!(join(&pieces), [line.as_slice(), b"\n"].concat());
    }

    #[test]
    fn cuts_fall_on_character_boundaries() {
        // 'é' is two bytes: place one across the cut.
        let mut text = vec![b'a'; MAX_LINE - 1];
        text.extend_from_slice("é and more".as_bytes());
        text.push(b'\n');
        let pieces = split(&[&text]);
        assert_eq!(pieces[0].0.len(), MAX_LINE - 1);
        assert!(std::str::from_utf8(&pieces[0].0).is_ok() && std::str::from_utf8(&pieces[1].0).is_ok());
        assert_eq!(join(&pieces), text);
        // Binary is cut where the limit falls.
        let mut bin = vec![0x80u8; MAX_LINE + 10];
        bin.push(b'\n');
        assert_eq!(split(&[&bin])[0].0.len(), MAX_LINE);
    }

    #[test]
    fn round_trips_random_bytes_in_random_chunks() {
        // A small deterministic generator: no dependency for a test.
        let mut seed = 0x9e3779b97f4a7c15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for round in 0..200 {
            let mut data = Vec::new();
            for _ in 0..(next() % 8) {
                let len = (next() % 200_000) as usize;
                for _ in 0..len {
                    let r = next();
                    data.push(match round % 3 {
                        0 => (r % 256) as u8,
                        1 => {
                            let alphabet = b"ab\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\r\n";
                            alphabet[(r % alphabet.len() as u64) as usize]
                        }
                        _ => {
                            if r % 97 == 0 {
                                b'\n'
                            } else {
                                b'a' + (r % 26) as u8
                            }
                        }
                    });
                }
                if next() % 2 == 0 {
                    data.push(b'\n');
                }
            }
            let mut chunks = Vec::new();
            let mut rest = data.as_slice();
            while !rest.is_empty() {
                let n = ((next() % 70_000) as usize + 1).min(rest.len());
                chunks.push(&rest[..n]);
                rest = &rest[n..];
            }
            let pieces = split(&chunks);
            assert_eq!(join(&pieces), data, "round {round}");
            assert!(pieces.iter().all(|p| p.0.len() <= MAX_LINE));
        }
    }
}
