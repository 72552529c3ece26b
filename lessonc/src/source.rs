//! Reading `lessons/`: one folder per family with a `family.toml`, one TOML file per lesson.
//!
//! ```text
//! lessons/<family>/family.toml     title, blurb and the family's place on the home page
//! lessons/<family>/<id>.toml       one lesson (see `sim::lesson::Lesson`); the file is named
//!                                  after the lesson's id and sits in its family's folder
//! ```
//!
//! Syntax and type errors come from the TOML parser with their line and column; everything this
//! module checks itself (file names, folders) names the file.

use crate::error::{line_col, CompileError};
use serde::Deserialize;
use sim::lesson::Lesson;
use std::fs;
use std::path::{Path, PathBuf};

/// The file that describes a family.
pub const FAMILY_FILE: &str = "family.toml";

/// A family as its `family.toml` describes it.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FamilyFile {
    /// Title on the home page.
    pub title: String,
    /// One sentence under the title.
    pub blurb: String,
    /// Position on the home page (lower first; ties by id).
    #[serde(default = "default_order")]
    pub order: u32,
}

fn default_order() -> u32 {
    sim::lesson::DEFAULT_ORDER
}

/// A family read from disk.
#[derive(Clone, Debug, PartialEq)]
pub struct FamilySource {
    /// Its id: the folder's name.
    pub id: String,
    /// What its `family.toml` says.
    pub file: FamilyFile,
    /// Its lesson files.
    pub lessons: Vec<LessonSource>,
}

/// A lesson file read from disk and parsed.
#[derive(Clone, Debug, PartialEq)]
pub struct LessonSource {
    /// Path relative to the repository root, `/`-separated.
    pub path: String,
    /// The file's text (for locating errors).
    pub text: String,
    /// The parsed lesson (Markdown not yet rendered).
    pub lesson: Lesson,
}

/// Every family folder under `lessons_dir`, sorted by id, with every lesson file that parsed.
/// Files that do not parse, or sit where they should not, are reported in `errors`.
/// `shown_root` is what paths in messages are relative to.
pub fn read_lessons(
    lessons_dir: &Path,
    shown_root: &Path,
    errors: &mut Vec<CompileError>,
    inputs: &mut Vec<PathBuf>,
) -> Vec<FamilySource> {
    let shown = |p: &Path| {
        p.strip_prefix(shown_root)
            .unwrap_or(p)
            .to_string_lossy()
            .replace('\\', "/")
    };
    inputs.push(lessons_dir.to_path_buf());
    let entries = match sorted_entries(lessons_dir) {
        Ok(e) => e,
        Err(e) => {
            errors.push(CompileError::file(
                &shown(lessons_dir),
                format!("cannot list: {e}"),
            ));
            return Vec::new();
        }
    };
    let mut families = Vec::new();
    for path in entries {
        if path.is_dir() {
            inputs.push(path.clone());
            if let Some(f) = read_family(&path, &shown, errors, inputs) {
                families.push(f);
            }
        } else if is_toml(&path) {
            errors.push(CompileError::file(
                &shown(&path),
                "a lesson file belongs in its family's folder: lessons/<family>/<id>.toml",
            ));
        }
    }
    families
}

fn read_family(
    dir: &Path,
    shown: &dyn Fn(&Path) -> String,
    errors: &mut Vec<CompileError>,
    inputs: &mut Vec<PathBuf>,
) -> Option<FamilySource> {
    let id = dir.file_name()?.to_string_lossy().to_string();
    let family_path = dir.join(FAMILY_FILE);
    inputs.push(family_path.clone());
    let family_shown = shown(&family_path);
    if !valid_id(&id) {
        errors.push(CompileError::file(
            &shown(dir),
            format!("{id:?} is not a family id: use lowercase letters, digits and dashes"),
        ));
        return None;
    }
    let file: Option<FamilyFile> = match fs::read_to_string(&family_path) {
        Ok(text) => parse_toml(&text, &family_shown, errors),
        Err(_) => {
            errors.push(CompileError::file(
                &family_shown,
                "missing: every family folder needs a family.toml with its title and blurb",
            ));
            None
        }
    };
    let mut lessons = Vec::new();
    let entries = match sorted_entries(dir) {
        Ok(e) => e,
        Err(e) => {
            errors.push(CompileError::file(&shown(dir), format!("cannot list: {e}")));
            return None;
        }
    };
    for path in entries {
        let name = path.file_name().map(|n| n.to_string_lossy().to_string());
        if path.is_dir() {
            errors.push(CompileError::file(
                &shown(&path),
                "lesson folders do not nest: lessons/<family>/<id>.toml",
            ));
            continue;
        }
        if !is_toml(&path) || name.as_deref() == Some(FAMILY_FILE) {
            continue;
        }
        inputs.push(path.clone());
        let path_shown = shown(&path);
        let text = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                errors.push(CompileError::file(&path_shown, format!("cannot read: {e}")));
                continue;
            }
        };
        let Some(lesson) = parse_toml::<Lesson>(&text, &path_shown, errors) else {
            continue;
        };
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default();
        let locate = |key: &str| top_level_line(&text, key);
        if lesson.id != stem {
            errors.push(CompileError::at(
                &path_shown,
                locate("id"),
                None,
                format!(
                    "the lesson id {:?} must match the file name ({stem}.toml)",
                    lesson.id
                ),
            ));
            continue;
        }
        if !valid_id(&lesson.id) {
            errors.push(CompileError::at(
                &path_shown,
                locate("id"),
                None,
                format!(
                    "{:?} is not a lesson id: use lowercase letters, digits and dashes",
                    lesson.id
                ),
            ));
            continue;
        }
        if lesson.family != id {
            errors.push(CompileError::at(
                &path_shown,
                locate("family"),
                None,
                format!(
                    "family {:?} does not match the folder the file is in ({id}/)",
                    lesson.family
                ),
            ));
            continue;
        }
        lessons.push(LessonSource {
            path: path_shown,
            text,
            lesson,
        });
    }
    Some(FamilySource {
        id,
        file: file?,
        lessons,
    })
}

/// `TOML → T`, or an error with the parser's line and column.
fn parse_toml<T: for<'de> Deserialize<'de>>(
    text: &str,
    file: &str,
    errors: &mut Vec<CompileError>,
) -> Option<T> {
    match toml::from_str::<T>(text) {
        Ok(v) => Some(v),
        Err(e) => {
            let (line, col) = e
                .span()
                .map(|s| line_col(text, s.start))
                .map_or((None, None), |(l, c)| (Some(l), Some(c)));
            errors.push(CompileError::at(
                file,
                line,
                col,
                e.message().trim().to_string(),
            ));
            None
        }
    }
}

fn sorted_entries(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir)? {
        out.push(entry?.path());
    }
    out.sort();
    Ok(out)
}

fn is_toml(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "toml")
}

/// Lowercase ASCII letters, digits and dashes, starting with a letter or digit: safe in URLs,
/// file names and `data-testid`s.
pub fn valid_id(id: &str) -> bool {
    id.chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// The line of a top-level `key = …` (before the first table header).
pub fn top_level_line(text: &str, key: &str) -> Option<u32> {
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_start();
        if t.starts_with('[') {
            return None;
        }
        if key_of(t) == Some(key) {
            return Some(i as u32 + 1);
        }
    }
    None
}

/// The line of `id = "<id>"` in the `[[<table>]]` entry with that id.
pub fn entry_line(text: &str, table: &str, id: &str) -> Option<u32> {
    line_under(text, &format!("[[{table}]]"), |t| {
        key_of(t) == Some("id")
            && t.split_once('=').map(|(_, v)| v.trim().trim_matches('"')) == Some(id)
    })
}

/// The line of the `n`-th (from 0) `[[<table>]]` header.
pub fn nth_entry_line(text: &str, table: &str, n: usize) -> Option<u32> {
    let header = format!("[[{table}]]");
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.trim() == header)
        .nth(n)
        .map(|(i, _)| i as u32 + 1)
}

/// The line of `key = …` inside the `[<table>]` table.
pub fn table_key_line(text: &str, table: &str, key: &str) -> Option<u32> {
    line_under(text, &format!("[{table}]"), |t| key_of(t) == Some(key))
}

/// The first line under a `header` line (until the next header) that `wanted` accepts (trimmed).
fn line_under(text: &str, header: &str, wanted: impl Fn(&str) -> bool) -> Option<u32> {
    let mut inside = false;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.starts_with('[') {
            inside = t == header;
        } else if inside && wanted(t) {
            return Some(i as u32 + 1);
        }
    }
    None
}

fn key_of(line: &str) -> Option<&str> {
    let (k, _) = line.split_once('=')?;
    let k = k.trim();
    (!k.is_empty() && !k.starts_with('#')).then_some(k)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "id = \"x\"\nfamily = \"f\"\n\n[defaults]\nvnodes = 3\n\n[[preset]]\nid = \"a\"\n\n[[preset]]\nid = \"b\"\n[[question]]\nid = \"b\"\n";

    #[test]
    fn locates_entries_keys_and_top_level_fields() {
        assert_eq!(top_level_line(TEXT, "family"), Some(2));
        assert_eq!(top_level_line(TEXT, "vnodes"), None, "not top level");
        assert_eq!(table_key_line(TEXT, "defaults", "vnodes"), Some(5));
        assert_eq!(entry_line(TEXT, "preset", "b"), Some(11));
        assert_eq!(entry_line(TEXT, "question", "b"), Some(13));
        assert_eq!(entry_line(TEXT, "preset", "zz"), None);
    }

    #[test]
    fn ids_are_url_safe() {
        assert!(valid_id("consistent-hashing"));
        assert!(valid_id("d2"));
        assert!(!valid_id("-x"));
        assert!(!valid_id("Upper"));
        assert!(!valid_id("a b"));
        assert!(!valid_id(""));
    }
}
