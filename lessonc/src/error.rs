//! Compile errors: each names the file, and where it can, the line and column, and says what is
//! wrong in words a lesson author can act on.

use std::fmt;

/// One problem in one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompileError {
    /// The file, relative to the repository root (`lessons/hashing/modulo-sharding.toml`).
    pub file: String,
    /// 1-based line, if known.
    pub line: Option<u32>,
    /// 1-based column, if known.
    pub column: Option<u32>,
    /// What is wrong.
    pub message: String,
}

impl CompileError {
    /// An error about a whole file.
    pub fn file(file: &str, message: impl Into<String>) -> Self {
        CompileError {
            file: file.to_string(),
            line: None,
            column: None,
            message: message.into(),
        }
    }

    /// An error at a line (and column, if known) of a file.
    pub fn at(
        file: &str,
        line: Option<u32>,
        column: Option<u32>,
        message: impl Into<String>,
    ) -> Self {
        CompileError {
            file: file.to_string(),
            line,
            column,
            message: message.into(),
        }
    }
}

impl fmt::Display for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(col) = self.column {
                write!(f, ":{col}")?;
            }
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for CompileError {}

/// Every problem found, in file order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Errors(pub Vec<CompileError>);

impl fmt::Display for Errors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Errors {}

/// 1-based (line, column) of a byte offset in `text` (the column counts characters).
pub fn line_col(text: &str, offset: usize) -> (u32, u32) {
    let offset = offset.min(text.len());
    let before = &text[..text.floor_char_boundary_compat(offset)];
    let line = before.matches('\n').count() as u32 + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u32 + 1;
    (line, col)
}

/// `str::floor_char_boundary` is not stable on every toolchain this builds with.
trait FloorCharBoundary {
    fn floor_char_boundary_compat(&self, i: usize) -> usize;
}

impl FloorCharBoundary for str {
    fn floor_char_boundary_compat(&self, mut i: usize) -> usize {
        while i > 0 && !self.is_char_boundary(i) {
            i -= 1;
        }
        i
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based() {
        let text = "a = 1\nbé = 2\n";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 6), (2, 1));
        assert_eq!(
            line_col(text, 9),
            (2, 3),
            "columns count characters, not bytes"
        );
    }

    #[test]
    fn display_names_the_file_line_and_column() {
        let e = CompileError::at("lessons/x/y.toml", Some(3), Some(7), "bad");
        assert_eq!(e.to_string(), "lessons/x/y.toml:3:7: bad");
        assert_eq!(CompileError::file("f", "gone").to_string(), "f: gone");
    }
}
