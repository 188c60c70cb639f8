//! Writing JSON: the one writer of every crate (plans, wire messages, events, replies, the
//! simulator's reports). An object is built member by member in the order given, which is the
//! order users read them in; nested objects and arrays are written into the same buffer. A
//! writer that batches many objects (the collector's NDJSON) appends to its own buffer: no
//! copy, no allocation per event.
//!
//! ```
//! use pidns_model::json_write::JsonObject;
//!
//! let json = JsonObject::new()
//!     .str("event", "exit")
//!     .exit_status(137, Some(9))
//!     .object("pids", |o| o.int("host", 4821).int("root", 2))
//!     .bool("relayed", true)
//!     .finish();
//! assert_eq!(json, r#"{"event":"exit","code":137,"signal":"SIGKILL","pids":{"host":4821,"root":2},"relayed":true}"#);
//! ```
use std::fmt::Write as _;

use crate::signals::signal_name;

/// Where JSON text goes: a `String`, or bytes (the collector's frames also carry raw output).
pub trait Buf {
    fn put(&mut self, text: &str);
    /// One ASCII byte (punctuation: the hot path writes many).
    fn put_ascii(&mut self, byte: u8);
}

impl Buf for String {
    #[inline]
    fn put(&mut self, text: &str) {
        self.push_str(text);
    }

    #[inline]
    fn put_ascii(&mut self, byte: u8) {
        debug_assert!(byte.is_ascii());
        self.push(byte as char);
    }
}

impl Buf for Vec<u8> {
    #[inline]
    fn put(&mut self, text: &str) {
        self.extend_from_slice(text.as_bytes());
    }

    #[inline]
    fn put_ascii(&mut self, byte: u8) {
        self.push(byte);
    }
}

impl<B: Buf + ?Sized> Buf for &mut B {
    #[inline]
    fn put(&mut self, text: &str) {
        (**self).put(text);
    }

    #[inline]
    fn put_ascii(&mut self, byte: u8) {
        (**self).put_ascii(byte);
    }
}

/// Formats numbers straight into a `Buf`.
struct Fmt<'a, B: Buf + ?Sized>(&'a mut B);

impl<B: Buf + ?Sized> std::fmt::Write for Fmt<'_, B> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.put(s);
        Ok(())
    }
}

/// What `ints` takes: any integer, or a reference to one (`&[i32]`, `&Vec<usize>`, ...).
pub trait JsonInt {
    fn json_int(self) -> i64;
}

macro_rules! json_int {
    ($($t:ty),*) => {$(
        impl JsonInt for $t {
            fn json_int(self) -> i64 {
                self as i64
            }
        }
        impl JsonInt for &$t {
            fn json_int(self) -> i64 {
                *self as i64
            }
        }
    )*};
}

json_int!(u8, i32, u32, i64, u64, usize);

fn put_int(out: &mut (impl Buf + ?Sized), n: i64) {
    let _ = write!(Fmt(out), "{n}");
}

const LOW: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// Whether a byte cannot go into a JSON string as it is: a control character, the quote, the
/// backslash, or 0xE2 (the first byte of U+2028 and U+2029, which are escaped too).
#[inline]
fn special(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\' || b == 0xe2
}

/// The [`special`] bytes of 8, found at once and exactly whatever the bytes (UTF-8 text of any
/// script included): the high bit of each such byte is set in the result.
#[inline]
fn special8(chunk: &[u8]) -> u64 {
    let x = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
    // Each byte's low 7 bits with the high bit set: subtracting up to 0x80 borrows from nothing.
    let low7 = (x & !HIGH) | HIGH;
    // High bit of each byte: set where its low 7 bits are >= n, or differ from c.
    let at_least = |n: u8| low7.wrapping_sub(LOW * u64::from(n));
    let differs = |c: u8| ((x & !HIGH) ^ (LOW * u64::from(c)) | HIGH).wrapping_sub(LOW);
    let ascii = !x & HIGH;
    let control = !at_least(0x20) & ascii;
    let quote = !differs(b'"') & ascii;
    let backslash = !differs(b'\\') & ascii;
    let e2 = !differs(0x62) & x & HIGH;
    (control | quote | backslash | e2) & HIGH
}

/// The first [`special`] byte of `bytes` from `from` on, 8 bytes at a time.
#[inline]
fn next_special(bytes: &[u8], mut from: usize) -> Option<usize> {
    while from + 8 <= bytes.len() {
        let found = special8(&bytes[from..from + 8]);
        if found != 0 {
            return Some(from + (found.trailing_zeros() / 8) as usize);
        }
        from += 8;
    }
    bytes[from..].iter().position(|&b| special(b)).map(|p| from + p)
}

/// `text` as a JSON string literal. U+2028 and U+2029 are escaped too, so that a line of it is
/// also valid JavaScript. Runs of bytes that need nothing are found 8 at a time and copied
/// whole: output lines are mostly that.
pub fn write_str(out: &mut (impl Buf + ?Sized), text: &str) {
    out.put_ascii(b'"');
    let bytes = text.as_bytes();
    let (mut start, mut from) = (0, 0);
    while let Some(at) = next_special(bytes, from) {
        let b = bytes[at];
        // A 0xE2 that does not begin U+2028 or U+2029 is plain after all.
        if b == 0xe2 && !(bytes.get(at + 1) == Some(&0x80) && matches!(bytes.get(at + 2), Some(0xa8 | 0xa9))) {
            from = at + 1;
            continue;
        }
        // Escapes start at an ASCII byte or at U+2028/U+2029's first byte: char boundaries.
        out.put(&text[start..at]);
        match b {
            b'"' => out.put("\\\""),
            b'\\' => out.put("\\\\"),
            b'\n' => out.put("\\n"),
            b'\r' => out.put("\\r"),
            b'\t' => out.put("\\t"),
            0xe2 => out.put(if bytes[at + 2] == 0xa8 { "\\u2028" } else { "\\u2029" }),
            c => {
                let _ = write!(Fmt(out), "\\u{c:04x}");
            }
        }
        from = at + if b == 0xe2 { 3 } else { 1 };
        start = from;
    }
    out.put(&text[start..]);
    out.put_ascii(b'"');
}

/// `text` as a JSON string literal, on its own.
pub fn string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    write_str(&mut out, text);
    out
}

/// An array whose items are JSON text already.
pub fn array(items: &[String]) -> String {
    format!("[{}]", items.join(","))
}

/// One JSON object being written into `B` (a `String` by default). Each method writes one
/// member; `finish` closes the object and gives the buffer back.
pub struct JsonObject<B: Buf = String> {
    buf: B,
    empty: bool,
}

impl Default for JsonObject {
    fn default() -> Self {
        Self::new()
    }
}

impl JsonObject {
    /// An object of its own.
    pub fn new() -> JsonObject {
        JsonObject::append_to(String::new())
    }
}

impl<B: Buf> JsonObject<B> {
    /// An object written after whatever `buf` holds.
    #[inline]
    pub fn append_to(mut buf: B) -> JsonObject<B> {
        buf.put("{");
        JsonObject { buf, empty: true }
    }

    /// A key of ours (a literal in the code): written as it is, nothing in it to escape.
    #[inline(always)]
    fn key(&mut self, key: &'static str) {
        debug_assert!(
            next_special(key.as_bytes(), 0).is_none(),
            "{key:?} needs escaping: write it with a method for keys from data"
        );
        if !self.empty {
            self.buf.put_ascii(b',');
        }
        self.empty = false;
        self.buf.put_ascii(b'"');
        self.buf.put(key);
        self.buf.put_ascii(b'"');
        self.buf.put_ascii(b':');
    }

    /// A key that comes from data (an environment variable's name, a namespace's path): escaped.
    fn data_key(&mut self, key: &str) {
        if !self.empty {
            self.buf.put_ascii(b',');
        }
        self.empty = false;
        write_str(&mut self.buf, key);
        self.buf.put_ascii(b':');
    }

    /// A string member whose key comes from data.
    pub fn str_at(mut self, key: &str, value: &str) -> Self {
        self.data_key(key);
        write_str(&mut self.buf, value);
        self
    }

    /// An integer member whose key comes from data.
    pub fn int_at(mut self, key: &str, value: i64) -> Self {
        self.data_key(key);
        put_int(&mut self.buf, value);
        self
    }

    /// A member whose key comes from data and whose value is JSON text already.
    pub fn raw_at(mut self, key: &str, json: &str) -> Self {
        self.data_key(key);
        self.buf.put(json);
        self
    }

    #[inline]
    pub fn str(mut self, key: &'static str, value: &str) -> Self {
        self.key(key);
        write_str(&mut self.buf, value);
        self
    }

    /// A string of ours (a literal in the code: an event's name, a stream's), written as it is:
    /// the hot path writes one per line of output.
    #[inline]
    pub fn word(mut self, key: &'static str, value: &'static str) -> Self {
        debug_assert!(next_special(value.as_bytes(), 0).is_none(), "{value:?} needs escaping: use str");
        self.key(key);
        self.buf.put_ascii(b'"');
        self.buf.put(value);
        self.buf.put_ascii(b'"');
        self
    }

    /// A string, or null.
    #[inline]
    pub fn opt_str(self, key: &'static str, value: Option<&str>) -> Self {
        match value {
            Some(v) => self.str(key, v),
            None => self.null(key),
        }
    }

    #[inline]
    pub fn int(mut self, key: &'static str, value: i64) -> Self {
        self.key(key);
        put_int(&mut self.buf, value);
        self
    }

    /// An integer, or null.
    pub fn opt_int(self, key: &'static str, value: Option<i64>) -> Self {
        match value {
            Some(v) => self.int(key, v),
            None => self.null(key),
        }
    }

    #[inline]
    pub fn bool(mut self, key: &'static str, value: bool) -> Self {
        self.key(key);
        self.buf.put(if value { "true" } else { "false" });
        self
    }

    #[inline]
    pub fn null(mut self, key: &'static str) -> Self {
        self.key(key);
        self.buf.put("null");
        self
    }

    /// A value that is JSON text already.
    #[inline]
    pub fn raw(mut self, key: &'static str, json: &str) -> Self {
        self.key(key);
        self.buf.put(json);
        self
    }

    /// An array member: each item written by `item`, with commas between.
    #[inline]
    fn list<T>(
        mut self,
        key: &'static str,
        items: impl IntoIterator<Item = T>,
        mut item: impl FnMut(&mut B, T),
    ) -> Self {
        self.key(key);
        self.buf.put_ascii(b'[');
        for (i, v) in items.into_iter().enumerate() {
            if i > 0 {
                self.buf.put_ascii(b',');
            }
            item(&mut self.buf, v);
        }
        self.buf.put_ascii(b']');
        self
    }

    /// An array of values that are JSON text already (lines a writer made before).
    pub fn raws<'v>(self, key: &'static str, values: impl IntoIterator<Item = &'v str>) -> Self {
        self.list(key, values, |buf, v| buf.put(v))
    }

    /// An array of strings.
    pub fn strs<S: AsRef<str>>(self, key: &'static str, values: impl IntoIterator<Item = S>) -> Self {
        self.list(key, values, |buf, v| write_str(buf, v.as_ref()))
    }

    /// An array of integers.
    pub fn ints<N: JsonInt>(self, key: &'static str, values: impl IntoIterator<Item = N>) -> Self {
        self.list(key, values, |buf, v| put_int(buf, v.json_int()))
    }

    /// A nested object, written by `members`.
    pub fn object(mut self, key: &'static str, members: impl FnOnce(JsonObject<&mut B>) -> JsonObject<&mut B>) -> Self {
        self.key(key);
        members(JsonObject::append_to(&mut self.buf)).finish();
        self
    }

    /// An array of objects, one per item, each written by `members`.
    pub fn objects<T>(
        self,
        key: &'static str,
        items: impl IntoIterator<Item = T>,
        mut members: impl FnMut(JsonObject<&mut B>, T) -> JsonObject<&mut B>,
    ) -> Self {
        self.list(key, items, |buf, item| {
            members(JsonObject::append_to(buf), item).finish();
        })
    }

    /// How a process ended, the one way every message says it: `"code"`, then `"signal"`, the
    /// name of the signal number that killed it (`"SIGKILL"`, `"SIG34"`: [`signal_name`]), or
    /// null.
    #[inline]
    pub fn exit_status(self, code: i32, signal: Option<i32>) -> Self {
        self.int("code", i64::from(code)).opt_str("signal", signal.map(signal_name).as_deref())
    }

    /// Closes the object; the buffer, with the object at its end.
    #[inline]
    pub fn finish(mut self) -> B {
        self.buf.put("}");
        self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_escape_what_json_and_javascript_need() {
        assert_eq!(string("a\"b\\c\n\r\t\u{1}\u{2028}\u{2029}é😀"), r#""a\"b\\c\n\r\t\u0001\u2028\u2029é😀""#);
        assert_eq!(string(""), r#""""#);
        // A lone 0xe2 lead byte that is not U+2028 stays as it is.
        assert_eq!(string("\u{2030}"), "\"\u{2030}\"");
    }

    /// The plain definition, a character at a time.
    fn reference(text: &str) -> String {
        let mut out = String::from('"');
        for c in text.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                c if (c as u32) < 0x20 || c == '\u{2028}' || c == '\u{2029}' => {
                    out.push_str(&format!("\\u{:04x}", c as u32))
                }
                c => out.push(c),
            }
        }
        out.push('"');
        out
    }

    #[test]
    fn every_position_of_every_kind_of_character() {
        for c in ['"', '\\', '\n', '\t', '\u{1}', '\u{1f}', '\u{2028}', '\u{2029}', '\u{2030}', 'é', '😀', 'x'] {
            for before in 0..20 {
                for filler in ["a", "я"] {
                    let text = format!("{}{c}{}", filler.repeat(before), filler.repeat(7));
                    assert_eq!(string(&text), reference(&text), "{text:?}");
                }
            }
        }
    }

    #[test]
    fn eight_at_a_time_is_exactly_one_at_a_time() {
        let one = |b: u8| !special(b);
        // Every byte value in every position, among plain neighbours and non-ASCII ones.
        for fill in [b'a', 0x80, 0xd0, 0xff, 0x7f] {
            for pos in 0..8 {
                for b in 0..=255u8 {
                    let mut chunk = [fill; 8];
                    chunk[pos] = b;
                    let expected =
                        chunk.iter().enumerate().fold(0u64, |m, (i, &c)| m | u64::from(!one(c)) << (8 * i + 7));
                    assert_eq!(special8(&chunk), expected, "{chunk:x?}");
                }
            }
        }
    }

    #[test]
    fn objects_nest_in_one_buffer_and_append_to_what_is_there() {
        let mut line = b"prefix ".to_vec();
        JsonObject::append_to(&mut line)
            .strs("argv", ["sh", "-c"])
            .ints("nspid", [40, 2])
            .objects("procs", [1, 2], |o, n| o.int("n", n).opt_int("x", None))
            .object("empty", |o| o)
            .raws("raw", [r#"{"a":1}"#, "2"])
            .finish();
        assert_eq!(
            String::from_utf8(line).unwrap(),
            r#"prefix {"argv":["sh","-c"],"nspid":[40,2],"procs":[{"n":1,"x":null},{"n":2,"x":null}],"empty":{},"raw":[{"a":1},2]}"#
        );
        assert_eq!(JsonObject::new().exit_status(0, None).finish(), r#"{"code":0,"signal":null}"#);
        assert_eq!(JsonObject::new().exit_status(162, Some(34)).finish(), r#"{"code":162,"signal":"SIG34"}"#);
    }
}
