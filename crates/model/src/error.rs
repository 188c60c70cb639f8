//! The error type shown to users for a tree.json that can't be used.

use std::fmt;

use crate::json::{JsonError, Pos};

/// What sort of problem an issue is, as data: callers decide on it (TypeScript makes a
/// lone `Depth` issue a DEPTH_LIMIT error), never on the message's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssueKind {
    /// The text is not JSON at all.
    Syntax,
    /// A value breaks a rule of the format (a wrong type, a missing field, a bad name, ...).
    Invalid,
    /// The tree is deeper than the PID-namespace levels left below the current one.
    Depth,
    /// An expectation that can never hold (see [`crate::Foresight`]).
    Impossible,
}

impl IssueKind {
    /// Its name on the wire (`"kind"` of each issue).
    pub fn as_str(self) -> &'static str {
        match self {
            IssueKind::Syntax => "syntax",
            IssueKind::Invalid => "invalid",
            IssueKind::Depth => "depth",
            IssueKind::Impossible => "impossible",
        }
    }
}

/// One problem in a tree spec, located both by JSON path and by position.
///
/// The path (`$.children[0].processes[1].command[0]`) stays meaningful when
/// the spec was built in code rather than read from a file; the position
/// points an editor at the exact spot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError {
    pub kind: IssueKind,
    pub path: String,
    pub pos: Option<Pos>,
    pub message: String,
    pub hint: Option<String>,
}

impl SpecError {
    /// A value that breaks a rule ([`IssueKind::Invalid`]; [`SpecError::of_kind`] says otherwise).
    pub fn new(path: &str, pos: Option<Pos>, message: String, hint: Option<String>) -> SpecError {
        SpecError { kind: IssueKind::Invalid, path: path.to_string(), pos, message, hint }
    }

    /// The same problem, of another kind.
    pub fn of_kind(self, kind: IssueKind) -> SpecError {
        SpecError { kind, ..self }
    }

    /// A syntax error means the document has no usable structure, so it is
    /// reported as a single error against the root.
    pub fn from_json_error(err: &JsonError) -> SpecError {
        SpecError {
            kind: IssueKind::Syntax,
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
        assert_eq!(e.kind, IssueKind::Syntax);
    }
}
