//! A strict RFC 8259 JSON parser that remembers where every value starts.
//!
//! Hand-written rather than serde-based so the crate has no dependencies and
//! so errors can say what the user most likely did wrong (trailing commas,
//! comments, single quotes) at the exact line and column.

use std::fmt;

/// A 1-based position; `col` counts characters, not bytes, so it matches
/// what editors show for non-ASCII text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pos {
    pub line: u32,
    pub col: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Value {
    pub kind: Kind,
    /// Where the value's first character is.
    pub pos: Pos,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Null,
    Bool(bool),
    /// `raw` is the exact source text, so callers can echo it in messages
    /// without float formatting surprises.
    Number {
        value: f64,
        raw: String,
    },
    String(String),
    Array(Vec<Value>),
    /// Members in document order, duplicates kept: the validator reports them.
    Object(Vec<Member>),
}

impl Kind {
    /// The type with an article, for "expected X, found a number".
    pub fn describe(&self) -> &'static str {
        match self {
            Kind::Null => "null",
            Kind::Bool(_) => "a boolean",
            Kind::Number { .. } => "a number",
            Kind::String(_) => "a string",
            Kind::Array(_) => "an array",
            Kind::Object(_) => "an object",
        }
    }
}

/// Typed reads for code that consumes JSON it wrote itself (messages, plans): `None` when the
/// value is not of that type. (The validator reports type errors its own way.)
impl Value {
    /// The member `key` of an object (the first, if repeated).
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.as_object()?.iter().find(|m| m.key == key).map(|m| &m.value)
    }

    pub fn as_object(&self) -> Option<&[Member]> {
        match &self.kind {
            Kind::Object(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Value]> {
        match &self.kind {
            Kind::Array(a) => Some(a),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::String(s) => Some(s),
            _ => None,
        }
    }

    /// A number without a fractional part.
    pub fn as_i64(&self) -> Option<i64> {
        match &self.kind {
            Kind::Number { value, .. } if value.fract() == 0.0 => Some(*value as i64),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.kind, Kind::Null)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub key: String,
    pub key_pos: Pos,
    pub value: Value,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    pub message: String,
    pub pos: Pos,
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}: {}", self.pos.line, self.pos.col, self.message)
    }
}

impl std::error::Error for JsonError {}

/// Arrays and objects nested deeper than this are rejected, so hostile input
/// gets an error instead of overflowing the (small, on wasm) stack.
pub const MAX_NESTING: usize = 512;

pub fn parse(text: &str) -> Result<Value, JsonError> {
    // Some Windows editors prepend a BOM; it is invisible, so don't count it.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut p = Parser { chars: text.chars().collect(), i: 0, line: 1, col: 1, depth: 0 };
    p.skip_ws()?;
    if p.peek().is_none() {
        return Err(p.err_here("unexpected end of input: the document is empty"));
    }
    let value = p.value()?;
    p.skip_ws()?;
    if p.peek().is_some() {
        return Err(p.err_here("extra text after the JSON document"));
    }
    Ok(value)
}

/// `s` as a JSON string literal, for quoting user text in messages (see [`crate::json_write`]).
pub fn quote(s: &str) -> String {
    crate::json_write::string(s)
}

/// How a character is shown in "found X": quoted if visible, else by code
/// (invisible ones like a stray BOM or zero-width space are the confusing ones).
pub(crate) fn describe_char(c: char) -> String {
    let invisible =
        matches!(c, '\u{feff}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2064}');
    if invisible || c.is_control() || (c.is_whitespace() && c != ' ') {
        format!("U+{:04X}", c as u32)
    } else {
        format!("'{c}'")
    }
}

struct Parser {
    chars: Vec<char>,
    i: usize,
    line: u32,
    col: u32,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.i).copied()
    }

    fn peek_at(&self, k: usize) -> Option<char> {
        self.chars.get(self.i + k).copied()
    }

    fn pos(&self) -> Pos {
        Pos { line: self.line, col: self.col }
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.i += 1;
        if c == '\n' {
            self.line += 1;
            self.col = 1;
        } else {
            self.col += 1;
        }
        Some(c)
    }

    fn err_here(&self, message: &str) -> JsonError {
        JsonError { message: message.to_string(), pos: self.pos() }
    }

    fn err_at(pos: Pos, message: String) -> JsonError {
        JsonError { message, pos }
    }

    fn eof_inside(&self, what: &str, open: Pos) -> JsonError {
        Self::err_at(
            self.pos(),
            format!(
                "unexpected end of input: the document ends inside {what} (opened at line {}, column {})",
                open.line, open.col
            ),
        )
    }

    fn skip_ws(&mut self) -> Result<(), JsonError> {
        loop {
            match self.peek() {
                Some(' ' | '\t' | '\n' | '\r') => {
                    self.bump();
                }
                Some('/') if matches!(self.peek_at(1), Some('/' | '*')) => {
                    return Err(self.err_here("comments are not allowed in JSON"));
                }
                _ => return Ok(()),
            }
        }
    }

    /// Callers have already checked that input remains.
    fn value(&mut self) -> Result<Value, JsonError> {
        let pos = self.pos();
        let kind = match self.peek() {
            Some('{') => self.object()?,
            Some('[') => self.array()?,
            Some('"') => Kind::String(self.string()?),
            Some('-' | '0'..='9') => self.number()?,
            Some(c) if c.is_alphabetic() => self.word()?,
            Some('\'') => return Err(self.err_here("strings must use double quotes, not single quotes")),
            Some(c) => return Err(Self::err_at(pos, format!("expected a JSON value, found {}", describe_char(c)))),
            None => return Err(self.err_here("unexpected end of input")),
        };
        Ok(Value { kind, pos })
    }

    fn enter(&mut self, open: Pos) -> Result<(), JsonError> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(Self::err_at(
                open,
                format!("nesting is too deep: more than {MAX_NESTING} levels of arrays and objects"),
            ));
        }
        Ok(())
    }

    fn array(&mut self) -> Result<Kind, JsonError> {
        let open = self.pos();
        self.bump();
        self.enter(open)?;
        let mut items = Vec::new();
        self.skip_ws()?;
        if self.peek() == Some(']') {
            self.bump();
            self.depth -= 1;
            return Ok(Kind::Array(items));
        }
        loop {
            if self.peek().is_none() {
                return Err(self.eof_inside("an array", open));
            }
            items.push(self.value()?);
            if self.after_item(']', "an array", "an array element", open)? {
                break;
            }
        }
        self.depth -= 1;
        Ok(Kind::Array(items))
    }

    fn object(&mut self) -> Result<Kind, JsonError> {
        let open = self.pos();
        self.bump();
        self.enter(open)?;
        let mut members = Vec::new();
        self.skip_ws()?;
        if self.peek() == Some('}') {
            self.bump();
            self.depth -= 1;
            return Ok(Kind::Object(members));
        }
        loop {
            let key_pos = self.pos();
            match self.peek() {
                Some('"') => {}
                None => return Err(self.eof_inside("an object", open)),
                Some('\'') => return Err(self.err_here("strings must use double quotes, not single quotes")),
                Some(c) => {
                    return Err(Self::err_at(
                        key_pos,
                        format!("expected a member name in double quotes, found {}", describe_char(c)),
                    ))
                }
            }
            let key = self.string()?;
            self.skip_ws()?;
            match self.peek() {
                Some(':') => {
                    self.bump();
                }
                None => return Err(self.eof_inside("an object", open)),
                Some(c) => {
                    return Err(Self::err_at(
                        self.pos(),
                        format!("expected ':' after the member name {}, found {}", quote(&key), describe_char(c)),
                    ))
                }
            }
            self.skip_ws()?;
            if self.peek().is_none() {
                return Err(self.eof_inside("an object", open));
            }
            let value = self.value()?;
            members.push(Member { key, key_pos, value });
            if self.after_item('}', "an object", "an object member", open)? {
                break;
            }
        }
        self.depth -= 1;
        Ok(Kind::Object(members))
    }

    /// After an array element or object member: a comma (not before the closing bracket: users
    /// write trailing commas, and deserve to be told so) or the closing bracket, which ends the
    /// container (true).
    fn after_item(&mut self, close: char, container: &str, item: &str, open: Pos) -> Result<bool, JsonError> {
        self.skip_ws()?;
        match self.peek() {
            Some(',') => {
                let comma = self.pos();
                self.bump();
                self.skip_ws()?;
                if self.peek() == Some(close) {
                    return Err(Self::err_at(comma, format!("trailing comma before '{close}'")));
                }
                Ok(false)
            }
            Some(c) if c == close => {
                self.bump();
                Ok(true)
            }
            None => Err(self.eof_inside(container, open)),
            Some(c) => Err(Self::err_at(
                self.pos(),
                format!("expected ',' or '{close}' after {item}, found {}", describe_char(c)),
            )),
        }
    }

    fn string(&mut self) -> Result<String, JsonError> {
        let start = self.pos();
        self.bump();
        let mut s = String::new();
        loop {
            let here = self.pos();
            match self.peek() {
                None => return Err(Self::err_at(start, "unterminated string".into())),
                Some('"') => {
                    self.bump();
                    return Ok(s);
                }
                Some('\\') => {
                    self.bump();
                    self.escape(here, &mut s)?;
                }
                Some(c) if (c as u32) < 0x20 => {
                    let esc = match c {
                        '\n' => "\\n".to_string(),
                        '\t' => "\\t".to_string(),
                        '\r' => "\\r".to_string(),
                        c => format!("\\u{:04x}", c as u32),
                    };
                    return Err(Self::err_at(here, format!("control character in string: escape it as {esc}")));
                }
                Some(c) => {
                    self.bump();
                    s.push(c);
                }
            }
        }
    }

    /// Called after the backslash; `at` is the backslash's position.
    fn escape(&mut self, at: Pos, s: &mut String) -> Result<(), JsonError> {
        let c = match self.bump() {
            Some(c) => c,
            None => return Err(Self::err_at(at, "unterminated string".into())),
        };
        let decoded = match c {
            '"' => '"',
            '\\' => '\\',
            '/' => '/',
            'b' => '\u{8}',
            'f' => '\u{c}',
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            'u' => return self.unicode_escape(at, s),
            c => {
                let shown = if c.is_control() { describe_char(c) } else { c.to_string() };
                return Err(Self::err_at(
                    at,
                    format!("invalid escape \\{shown} (to write a backslash itself, use \\\\)"),
                ));
            }
        };
        s.push(decoded);
        Ok(())
    }

    fn unicode_escape(&mut self, at: Pos, s: &mut String) -> Result<(), JsonError> {
        let hi = self.hex4(at)?;
        let code = if (0xD800..0xDC00).contains(&hi) {
            // A high surrogate is only meaningful followed by an escaped low one.
            let low_at = self.pos();
            if self.peek() != Some('\\') || self.peek_at(1) != Some('u') {
                return Err(lone_surrogate(at, hi));
            }
            self.bump();
            self.bump();
            let lo = self.hex4(low_at)?;
            if !(0xDC00..0xE000).contains(&lo) {
                return Err(lone_surrogate(at, hi));
            }
            0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
        } else if (0xDC00..0xE000).contains(&hi) {
            return Err(lone_surrogate(at, hi));
        } else {
            hi
        };
        // Surrogates were excluded above, so this cannot fail.
        s.push(char::from_u32(code).unwrap_or('\u{fffd}'));
        Ok(())
    }

    fn hex4(&mut self, at: Pos) -> Result<u32, JsonError> {
        let mut n = 0;
        for _ in 0..4 {
            match self.peek().and_then(|c| c.to_digit(16)) {
                Some(d) => {
                    self.bump();
                    n = n * 16 + d;
                }
                None => return Err(Self::err_at(at, "invalid escape: \\u must be followed by 4 hex digits".into())),
            }
        }
        Ok(n)
    }

    fn digits(&mut self) {
        while matches!(self.peek(), Some('0'..='9')) {
            self.bump();
        }
    }

    fn number(&mut self) -> Result<Kind, JsonError> {
        let start = self.i;
        let pos = self.pos();
        if self.peek() == Some('-') {
            self.bump();
        }
        match self.peek() {
            Some('0') => {
                self.bump();
                if matches!(self.peek(), Some('0'..='9')) {
                    return Err(Self::err_at(pos, "leading zeros are not allowed in numbers".into()));
                }
            }
            Some('1'..='9') => self.digits(),
            _ => return Err(self.err_here("expected a digit after '-'")),
        }
        if self.peek() == Some('.') {
            self.bump();
            if !matches!(self.peek(), Some('0'..='9')) {
                return Err(self.err_here("expected a digit after the decimal point"));
            }
            self.digits();
        }
        if matches!(self.peek(), Some('e' | 'E')) {
            self.bump();
            if matches!(self.peek(), Some('+' | '-')) {
                self.bump();
            }
            if !matches!(self.peek(), Some('0'..='9')) {
                return Err(self.err_here("expected a digit in the exponent"));
            }
            self.digits();
        }
        let raw: String = self.chars[start..self.i].iter().collect();
        // The grammar above is a subset of what f64's parser accepts.
        let value: f64 = raw.parse().unwrap_or(f64::INFINITY);
        if !value.is_finite() {
            return Err(Self::err_at(pos, format!("number {raw} is too large")));
        }
        Ok(Kind::Number { value, raw })
    }

    /// true/false/null, or a bare word the user meant as something else.
    fn word(&mut self) -> Result<Kind, JsonError> {
        let pos = self.pos();
        let mut w = String::new();
        while let Some(c) = self.peek().filter(|c| c.is_alphanumeric() || *c == '_') {
            self.bump();
            w.push(c);
        }
        match w.as_str() {
            "true" => Ok(Kind::Bool(true)),
            "false" => Ok(Kind::Bool(false)),
            "null" => Ok(Kind::Null),
            _ if matches!(w.to_ascii_lowercase().as_str(), "true" | "false" | "null") => {
                Err(Self::err_at(pos, format!("invalid literal {w}: JSON only has lowercase true, false and null")))
            }
            _ => Err(Self::err_at(pos, format!("expected a JSON value, found {w} (strings must be in double quotes)"))),
        }
    }
}

fn lone_surrogate(at: Pos, code: u32) -> JsonError {
    JsonError {
        message: format!(
            "invalid escape \\u{code:04X}: a lone surrogate is not a character (surrogates must come in \\uD800-\\uDBFF + \\uDC00-\\uDFFF pairs)"
        ),
        pos: at,
    }
}
