//! The error type shown to users for a tree.json that can't be used.

use std::fmt;

use crate::json::{JsonError, Pos};

/// One problem in a tree spec, located both by JSON path and by position.
///
/// The path (`$.children[0].processes[1].command[0]`) stays meaningful when
/// the spec was built in code rather than read from a file; the position
/// points an editor at the exact spot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError {
    pub path: String,
    pub pos: Option<Pos>,
    pub message: String,
    pub hint: Option<String>,
}

impl SpecError {
    pub fn new(path: &str, pos: Option<Pos>, message: String, hint: Option<String>) -> SpecError {
        SpecError { path: path.to_string(), pos, message, hint }
    }

    /// A syntax error means the document has no usable structure, so it is
    /// reported as a single error against the root.
    pub fn from_json_error(err: &JsonError) -> SpecError {
        SpecError {
            path: "$".to_string(),
            pos: Some(err.pos),
            message: format!("not valid JSON: {}", err.message),
            hint: Some(format!("fix the syntax at line {}, column {}", err.pos.line, err.pos.col)),
        }
    }
}

impl From<JsonError> for SpecError {
    fn from(err: JsonError) -> SpecError {
        SpecError::from_json_error(&err)
    }
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.pos {
            Some(p) => write!(f, "{} (line {}, column {}): {}", self.path, p.line, p.col, self.message)?,
            None => write!(f, "{}: {}", self.path, self.message)?,
        }
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for SpecError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_with_pos_and_hint() {
        let e =
            SpecError::new("$.children[0].name", Some(Pos { line: 3, col: 7 }), "bad".into(), Some("fix it".into()));
        assert_eq!(e.to_string(), "$.children[0].name (line 3, column 7): bad\n  hint: fix it");
    }

    #[test]
    fn display_without_pos_or_hint() {
        let e = SpecError::new("$", None, "bad".into(), None);
        assert_eq!(e.to_string(), "$: bad");
    }

    #[test]
    fn from_json_error() {
        let j = JsonError { message: "unterminated string".into(), pos: Pos { line: 2, col: 5 } };
        let e = SpecError::from(j);
        assert_eq!(e.path, "$");
        assert_eq!(e.message, "not valid JSON: unterminated string");
        assert_eq!(e.hint.as_deref(), Some("fix the syntax at line 2, column 5"));
        assert_eq!(e.pos, Some(Pos { line: 2, col: 5 }));
    }
}
