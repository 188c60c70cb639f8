//! A pull reader for JSON that programs wrote (plans, messages): it reads straight into the
//! caller's types, with no tree of values in between and no copy of the text, so reading a
//! plan of thousands of namespaces costs little time and, above all, leaves no garbage behind
//! in an init whose memory every namespace below it is forked from. Errors name the JSON path
//! of the value that did not read (`plan.nodes[3].processes[0].command`).
//!
//! A message (a flat object whose members come in the writer's order) is read with
//! [`Members`]: each member by name, its errors naming it (`message 'X'.slot is missing`).
//!
//! Users' files go through [`crate::json::parse`], which keeps every position for messages.

/// Reads one JSON document. Each call consumes one value; objects and arrays call back for
/// each member or item, which the callback must consume (read or `skip`).
pub struct Reader<'a> {
    src: &'a str,
    text: &'a [u8],
    i: usize,
    /// The path of the value being read, for errors.
    path: Vec<Segment>,
    depth: usize,
}

#[derive(Clone)]
enum Segment {
    Key(String),
    Index(usize),
}

/// Arrays and objects nested deeper than this are refused (the stack is small on wasm).
const MAX_DEPTH: usize = 128;

pub type ReadResult<T> = Result<T, String>;

impl<'a> Reader<'a> {
    /// `root` names the document in error paths (`plan`, `message`).
    pub fn new(text: &'a str, root: &str) -> Reader<'a> {
        Reader { src: text, text: text.as_bytes(), i: 0, path: vec![Segment::Key(root.to_string())], depth: 0 }
    }

    /// The path of the value at hand, as `plan.nodes[3].name`.
    pub fn path(&self) -> String {
        let mut out = String::new();
        for (n, seg) in self.path.iter().enumerate() {
            match seg {
                Segment::Key(k) if n == 0 => out.push_str(k),
                Segment::Key(k) => {
                    out.push('.');
                    out.push_str(k);
                }
                Segment::Index(i) => out.push_str(&format!("[{i}]")),
            }
        }
        out
    }

    /// An error about the value at hand.
    pub fn error(&self, message: &str) -> String {
        format!("{}: {message}", self.path())
    }

    /// What comes next, for "expected X, found Y".
    fn found(&mut self) -> &'static str {
        match self.peek() {
            Some(b'{') => "an object",
            Some(b'[') => "an array",
            Some(b'"') => "a string",
            Some(b't' | b'f') => "a boolean",
            Some(b'n') => "null",
            Some(b'-' | b'0'..=b'9') => "a number",
            Some(_) => "something that is not JSON",
            None => "the end of the text",
        }
    }

    /// "expected `what`, found ..." about the value at hand.
    fn expected(&mut self, what: &str) -> String {
        let found = self.found();
        self.error(&format!("expected {what}, found {found}"))
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.text.get(self.i) {
            self.i += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.text.get(self.i).copied()
    }

    fn expect(&mut self, byte: u8, what: &str) -> ReadResult<()> {
        if self.peek() == Some(byte) {
            self.i += 1;
            Ok(())
        } else {
            Err(self.expected(what))
        }
    }

    /// The document is over: nothing but whitespace may follow.
    pub fn end(&mut self) -> ReadResult<()> {
        match self.peek() {
            None => Ok(()),
            Some(_) => Err(self.error("extra text after the document")),
        }
    }

    pub fn is_null(&mut self) -> bool {
        self.peek() == Some(b'n')
    }

    pub fn null(&mut self) -> ReadResult<()> {
        if self.is_null() {
            self.literal(b"null")
        } else {
            Err(self.expected("null"))
        }
    }

    fn literal(&mut self, word: &[u8]) -> ReadResult<()> {
        self.ws();
        if self.text[self.i..].starts_with(word) {
            self.i += word.len();
            Ok(())
        } else {
            Err(self.error("unexpected text"))
        }
    }

    pub fn bool(&mut self) -> ReadResult<bool> {
        match self.peek() {
            Some(b't') => self.literal(b"true").map(|_| true),
            Some(b'f') => self.literal(b"false").map(|_| false),
            _ => Err(self.expected("a boolean")),
        }
    }

    /// A number without a fraction or exponent.
    pub fn i64(&mut self) -> ReadResult<i64> {
        if !matches!(self.peek(), Some(b'-' | b'0'..=b'9')) {
            return Err(self.expected("an integer"));
        }
        let start = self.i;
        if self.text.get(self.i) == Some(&b'-') {
            self.i += 1;
        }
        while self.text.get(self.i).is_some_and(u8::is_ascii_digit) {
            self.i += 1;
        }
        let digits = std::str::from_utf8(&self.text[start..self.i]).unwrap_or("");
        if matches!(self.text.get(self.i), Some(b'.' | b'e' | b'E')) {
            return Err(self.error("expected an integer, found a number with a fraction or exponent"));
        }
        digits.parse().map_err(|_| self.error("expected an integer, found one out of range"))
    }

    pub fn u64(&mut self) -> ReadResult<u64> {
        let n = self.i64()?;
        u64::try_from(n).map_err(|_| self.error("expected a non-negative integer"))
    }

    pub fn u32(&mut self) -> ReadResult<u32> {
        let n = self.i64()?;
        u32::try_from(n).map_err(|_| self.error("expected an integer from 0 to 4294967295"))
    }

    pub fn string(&mut self) -> ReadResult<String> {
        if self.peek() != Some(b'"') {
            return Err(self.expected("a string"));
        }
        self.i += 1;
        let mut out = String::new();
        loop {
            let start = self.i;
            while let Some(&b) = self.text.get(self.i) {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.i += 1;
            }
            // The text is a &str and we stop only at ASCII bytes: a char boundary.
            out.push_str(std::str::from_utf8(&self.text[start..self.i]).expect("a char boundary"));
            match self.text.get(self.i) {
                Some(b'"') => {
                    self.i += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.i += 1;
                    self.escape(&mut out)?;
                }
                _ => return Err(self.error("an unterminated string, or a control character in one")),
            }
        }
    }

    fn escape(&mut self, out: &mut String) -> ReadResult<()> {
        let b = *self.text.get(self.i).ok_or_else(|| self.error("an unterminated escape"))?;
        self.i += 1;
        match b {
            b'"' => out.push('"'),
            b'\\' => out.push('\\'),
            b'/' => out.push('/'),
            b'b' => out.push('\u{8}'),
            b'f' => out.push('\u{c}'),
            b'n' => out.push('\n'),
            b'r' => out.push('\r'),
            b't' => out.push('\t'),
            b'u' => {
                let hi = self.hex4()?;
                let code = if (0xd800..0xdc00).contains(&hi) {
                    if !self.text[self.i..].starts_with(b"\\u") {
                        return Err(self.error("a lone surrogate"));
                    }
                    self.i += 2;
                    let lo = self.hex4()?;
                    if !(0xdc00..0xe000).contains(&lo) {
                        return Err(self.error("a lone surrogate"));
                    }
                    0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00)
                } else {
                    hi
                };
                out.push(char::from_u32(code).ok_or_else(|| self.error("a lone surrogate"))?);
            }
            _ => return Err(self.error("an invalid escape")),
        }
        Ok(())
    }

    fn hex4(&mut self) -> ReadResult<u32> {
        let digits = self.text.get(self.i..self.i + 4).ok_or_else(|| self.error("a short \\u escape"))?;
        let text = std::str::from_utf8(digits).map_err(|_| self.error("a bad \\u escape"))?;
        let n = u32::from_str_radix(text, 16).map_err(|_| self.error("a bad \\u escape"))?;
        self.i += 4;
        Ok(n)
    }

    fn nest(&mut self) -> ReadResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error("nested too deep"));
        }
        Ok(())
    }

    /// Calls `member(reader, key)` for each member; it must consume the member's value.
    pub fn object(&mut self, mut member: impl FnMut(&mut Self, &str) -> ReadResult<()>) -> ReadResult<()> {
        self.expect(b'{', "an object")?;
        self.nest()?;
        if self.peek() == Some(b'}') {
            self.i += 1;
            self.depth -= 1;
            return Ok(());
        }
        loop {
            let key = self.string()?;
            self.expect(b':', "':' after a key")?;
            self.path.push(Segment::Key(key.clone()));
            member(self, &key)?;
            self.path.pop();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    self.depth -= 1;
                    return Ok(());
                }
                _ => return Err(self.expected("',' or '}'")),
            }
        }
    }

    /// Calls `item(reader, index)` for each item; it must consume the item.
    pub fn array(&mut self, mut item: impl FnMut(&mut Self, usize) -> ReadResult<()>) -> ReadResult<()> {
        self.expect(b'[', "an array")?;
        self.nest()?;
        if self.peek() == Some(b']') {
            self.i += 1;
            self.depth -= 1;
            return Ok(());
        }
        let mut index = 0;
        loop {
            self.path.push(Segment::Index(index));
            item(self, index)?;
            self.path.pop();
            index += 1;
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    self.depth -= 1;
                    return Ok(());
                }
                _ => return Err(self.expected("',' or ']'")),
            }
        }
    }

    /// A number that fits an i32.
    pub fn i32(&mut self) -> ReadResult<i32> {
        let n = self.i64()?;
        i32::try_from(n).map_err(|_| self.error("expected a 32-bit integer, found one out of range"))
    }

    /// An array, each item read by `item`.
    pub fn list<T>(&mut self, mut item: impl FnMut(&mut Self) -> ReadResult<T>) -> ReadResult<Vec<T>> {
        let mut out = Vec::new();
        self.array(|r, _| {
            out.push(item(r)?);
            Ok(())
        })?;
        Ok(out)
    }

    /// An array of i32s.
    pub fn i32s(&mut self) -> ReadResult<Vec<i32>> {
        self.list(Self::i32)
    }

    /// An array of strings.
    pub fn strings(&mut self) -> ReadResult<Vec<String>> {
        self.list(Self::string)
    }

    /// An object of strings, in document order.
    pub fn string_map(&mut self) -> ReadResult<Vec<(String, String)>> {
        let mut out = Vec::new();
        self.object(|r, key| {
            out.push((key.to_string(), r.string()?));
            Ok(())
        })?;
        Ok(out)
    }

    /// Any value, as its JSON text (checked, not decoded).
    pub fn raw(&mut self) -> ReadResult<&'a str> {
        self.ws();
        let start = self.i;
        self.skip()?;
        // A value starts and ends at an ASCII byte: char boundaries.
        Ok(&self.src[start..self.i])
    }

    /// Any value, ignored (a field this reader does not know).
    pub fn skip(&mut self) -> ReadResult<()> {
        match self.peek() {
            Some(b'{') => self.object(|r, _| r.skip()),
            Some(b'[') => self.array(|r, _| r.skip()),
            Some(b'"') => self.string().map(|_| ()),
            Some(b't' | b'f') => self.bool().map(|_| ()),
            Some(b'n') => self.null(),
            Some(_) => {
                self.ws();
                let start = self.i;
                while self.text.get(self.i).is_some_and(|b| b"-+.eE0123456789".contains(b)) {
                    self.i += 1;
                }
                if self.i == start {
                    Err(self.error("expected a value"))
                } else {
                    Ok(())
                }
            }
            None => Err(self.error("expected a value")),
        }
    }
}

/// A message: a flat object read once, its members then read by name in any order, each with
/// the reader's checks and errors that name it (`request.node is missing`, `message 'X'.slot:
/// expected an integer, found a string`).
#[derive(Debug)]
pub struct Members<'a> {
    root: String,
    members: Vec<(String, &'a str)>,
}

impl<'a> Members<'a> {
    /// Reads the object in `text`; `root` names it in errors.
    pub fn parse(text: &'a str, root: &str) -> ReadResult<Members<'a>> {
        let mut r = Reader::new(text, root);
        let mut members = Vec::new();
        r.object(|r, key| {
            members.push((key.to_string(), r.raw()?));
            Ok(())
        })?;
        r.end()?;
        Ok(Members { root: root.to_string(), members })
    }

    /// Member `key`'s JSON text (the first, should there be two).
    pub fn raw(&self, key: &str) -> Option<&'a str> {
        self.members.iter().find(|(k, _)| k == key).map(|(_, v)| *v)
    }

    /// Whether `key` is there and not null.
    pub fn has(&self, key: &str) -> bool {
        self.raw(key).is_some_and(|v| v != "null")
    }

    /// Reads member `key` with `read`, which must consume it whole.
    pub fn read<T>(&self, key: &str, read: impl FnOnce(&mut Reader<'a>) -> ReadResult<T>) -> ReadResult<T> {
        let text = self.raw(key).ok_or_else(|| format!("{}.{key} is missing", self.root))?;
        let mut r = Reader::new(text, &format!("{}.{key}", self.root));
        let value = read(&mut r)?;
        r.end()?;
        Ok(value)
    }

    /// Member `key` read with `read`; None when it is absent or null.
    pub fn opt<T>(&self, key: &str, read: impl FnOnce(&mut Reader<'a>) -> ReadResult<T>) -> ReadResult<Option<T>> {
        if self.has(key) {
            self.read(key, read).map(Some)
        } else {
            Ok(None)
        }
    }

    pub fn string(&self, key: &str) -> ReadResult<String> {
        self.read(key, Reader::string)
    }

    pub fn i64(&self, key: &str) -> ReadResult<i64> {
        self.read(key, Reader::i64)
    }

    pub fn u32(&self, key: &str) -> ReadResult<u32> {
        self.read(key, Reader::u32)
    }

    pub fn u64(&self, key: &str) -> ReadResult<u64> {
        self.read(key, Reader::u64)
    }

    pub fn bool(&self, key: &str) -> ReadResult<bool> {
        self.read(key, Reader::bool)
    }

    pub fn i32s(&self, key: &str) -> ReadResult<Vec<i32>> {
        self.read(key, Reader::i32s)
    }

    pub fn strings(&self, key: &str) -> ReadResult<Vec<String>> {
        self.read(key, Reader::strings)
    }

    pub fn string_map(&self, key: &str) -> ReadResult<Vec<(String, String)>> {
        self.read(key, Reader::string_map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_are_read_by_name_with_errors_that_name_them() {
        let text = r#"{"node": 3, "name": "w\"x", "nspid": [7, 1], "env": {"A": "1"}, "cwd": null, "big": 5000000000}"#;
        let m = Members::parse(text, "message 'S'").unwrap();
        assert_eq!(m.u32("node").unwrap(), 3);
        assert_eq!(m.string("name").unwrap(), "w\"x");
        assert_eq!(m.i32s("nspid").unwrap(), [7, 1]);
        assert_eq!(m.string_map("env").unwrap(), [("A".to_string(), "1".to_string())]);
        assert_eq!(m.opt("cwd", Reader::string).unwrap(), None);
        assert!(!m.has("cwd") && m.has("node"));
        assert_eq!(m.raw("nspid"), Some("[7, 1]"));
        assert_eq!(m.string("slot").unwrap_err(), "message 'S'.slot is missing");
        assert_eq!(m.string("node").unwrap_err(), "message 'S'.node: expected a string, found a number");
        assert_eq!(m.u32("big").unwrap_err(), "message 'S'.big: expected an integer from 0 to 4294967295");
        assert_eq!(m.strings("nspid").unwrap_err(), "message 'S'.nspid[0]: expected a string, found a number");
        assert!(Members::parse("[1]", "m").unwrap_err().contains("expected an object"));
        assert!(Members::parse(r#"{"a": 1} x"#, "m").unwrap_err().contains("extra text"));
    }

    #[test]
    fn reads_into_types_and_names_the_path_on_error() {
        let text = r#" {"a": [1, -2], "s": "x\"\u00e9\ud83d\ude00\n", "o": {"k": true, "n": null}, "z": 1.5} "#;
        let mut r = Reader::new(text, "doc");
        let (mut nums, mut s, mut k) = (vec![], String::new(), false);
        r.object(|r, key| match key {
            "a" => r.array(|r, _| {
                nums.push(r.i64()?);
                Ok(())
            }),
            "s" => {
                s = r.string()?;
                Ok(())
            }
            "o" => r.object(|r, key| match key {
                "k" => {
                    k = r.bool()?;
                    Ok(())
                }
                _ => r.null(),
            }),
            _ => r.skip(),
        })
        .unwrap();
        r.end().unwrap();
        assert_eq!((nums, s.as_str(), k), (vec![1, -2], "x\"é😀\n", true));

        let mut r = Reader::new(r#"{"nodes": [{"name": 3}]}"#, "plan");
        let err = r.object(|r, _| r.array(|r, _| r.object(|r, _| r.string().map(|_| ())))).unwrap_err();
        assert_eq!(err, "plan.nodes[0].name: expected a string, found a number");
        assert!(Reader::new("[1.5]", "d").array(|r, _| r.i64().map(|_| ())).is_err());
        assert!(Reader::new(r#""\ud800""#, "d").string().is_err());
        assert!(Reader::new(&"[".repeat(200), "d").skip().unwrap_err().contains("nested too deep"));
    }
}
