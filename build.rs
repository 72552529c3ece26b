//! Compiles the lessons' prose and code into the app.
//!
//! Reads every `lessons/**/*.toml`, renders each guided step's `body` and each question's
//! `explain` from Markdown to HTML (pulldown-cmark), and syntax-highlights every source file a
//! lesson lists in `code` (paths under `sim/src/`) with syntect's class-based HTML, compacted to
//! a few token classes (`hl-k` keyword, `hl-s` string, …) so light and dark themes are pure CSS
//! (`www/styles/code.css`). The result is `$OUT_DIR/content.rs`: static
//! tables that `src/content.rs` includes. Nothing is fetched and nothing is stripped from the
//! sources: the Code tab shows the real files.
//!
//! A lesson file that does not parse, or names a code file that does not exist, fails the build
//! with a message naming the file.

use pulldown_cmark::{html, Options, Parser};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Component, Path, PathBuf};
use syntect::html::{ClassStyle, ClassedHTMLGenerator};
use syntect::parsing::SyntaxSet;
use syntect::util::LinesWithEndings;

/// The class prefix syntect writes before each scope atom (`hl-keyword hl-control hl-rust`).
const CLASS_PREFIX: &str = "hl-";

/// The fields of a lesson file this script needs; the rest is `sim::lesson`'s business.
#[derive(Deserialize)]
struct LessonFile {
    id: String,
    #[serde(default)]
    code: Vec<String>,
    #[serde(default, rename = "step")]
    steps: Vec<StepFile>,
    #[serde(default, rename = "question")]
    questions: Vec<QuestionFile>,
}

#[derive(Deserialize)]
struct StepFile {
    body: String,
}

#[derive(Deserialize)]
struct QuestionFile {
    id: String,
    #[serde(default)]
    explain: String,
}

fn main() {
    if let Err(message) = run() {
        eprintln!("error: {message}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let root = PathBuf::from(
        std::env::var("CARGO_MANIFEST_DIR").map_err(|e| format!("CARGO_MANIFEST_DIR: {e}"))?,
    );
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").map_err(|e| format!("OUT_DIR: {e}"))?);
    let lessons_dir = root.join("lessons");
    let code_root = root.join("sim").join("src");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed={}", lessons_dir.display());

    let mut files = Vec::new();
    collect_toml(&lessons_dir, &mut files)?;
    files.sort();

    let syntaxes = SyntaxSet::load_defaults_newlines();
    // Highlighted sources by path, so a file several lessons show is compiled in once.
    let mut code: BTreeMap<String, String> = BTreeMap::new();
    let mut lessons: Vec<(LessonFile, PathBuf)> = Vec::new();
    for file in files {
        println!("cargo:rerun-if-changed={}", file.display());
        let shown = file
            .strip_prefix(&root)
            .unwrap_or(&file)
            .display()
            .to_string();
        let text = fs::read_to_string(&file).map_err(|e| format!("{shown}: cannot read: {e}"))?;
        let lesson: LessonFile =
            toml::from_str(&text).map_err(|e| format!("{shown}: not a valid lesson file: {e}"))?;
        if let Some((_, other)) = lessons.iter().find(|(l, _)| l.id == lesson.id) {
            return Err(format!(
                "{shown}: lesson id {:?} is already used by {}",
                lesson.id,
                other.strip_prefix(&root).unwrap_or(other).display()
            ));
        }
        for path in &lesson.code {
            if code.contains_key(path) {
                continue;
            }
            let source = code_path(&code_root, path).ok_or_else(|| {
                format!("{shown}: code entry {path:?} must be a relative path under sim/src/ (like \"hashing/ring.rs\")")
            })?;
            println!("cargo:rerun-if-changed={}", source.display());
            let text = fs::read_to_string(&source).map_err(|e| {
                format!("{shown}: code entry {path:?}: cannot read sim/src/{path}: {e}")
            })?;
            let html = highlight(&syntaxes, path, &text)
                .map_err(|e| format!("{shown}: highlighting {path:?}: {e}"))?;
            code.insert(path.clone(), html);
        }
        lessons.push((lesson, file));
    }

    let generated = generate(&lessons, &code);
    let target = out_dir.join("content.rs");
    fs::write(&target, generated).map_err(|e| format!("cannot write {}: {e}", target.display()))?;
    Ok(())
}

/// Every `*.toml` under `dir`, recursively.
fn collect_toml(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let entries = fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    for entry in entries {
        let path = entry
            .map_err(|e| format!("cannot list {}: {e}", dir.display()))?
            .path();
        if path.is_dir() {
            println!("cargo:rerun-if-changed={}", path.display());
            collect_toml(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "toml") {
            out.push(path);
        }
    }
    Ok(())
}

/// `sim/src/<path>` if `path` is a plain relative path (no `..`, not absolute).
fn code_path(code_root: &Path, path: &str) -> Option<PathBuf> {
    let rel = Path::new(path);
    let plain = !path.is_empty()
        && !path.contains('\\')
        && rel.components().all(|c| matches!(c, Component::Normal(_)));
    plain.then(|| code_root.join(rel))
}

/// The file as `<div class="code-file">`: a line-number gutter beside the class-highlighted
/// source. The gutter is its own `<pre>` because highlighted spans (a block comment, a
/// multi-line string) can cross lines, so lines cannot be wrapped one element each.
fn highlight(syntaxes: &SyntaxSet, path: &str, text: &str) -> Result<String, String> {
    let ext = Path::new(path)
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("");
    let syntax = syntaxes
        .find_syntax_by_extension(ext)
        .unwrap_or_else(|| syntaxes.find_syntax_plain_text());
    let mut gen = ClassedHTMLGenerator::new_with_class_style(
        syntax,
        syntaxes,
        ClassStyle::SpacedPrefixed {
            prefix: CLASS_PREFIX,
        },
    );
    let mut lines = 0usize;
    for line in LinesWithEndings::from(text) {
        gen.parse_html_for_line_which_includes_newline(line)
            .map_err(|e| e.to_string())?;
        lines += 1;
    }
    let body = compact_spans(&gen.finalize());
    let mut gutter = String::new();
    for n in 1..=lines {
        let _ = writeln!(gutter, "{n}");
    }
    let lang = syntax.name.to_lowercase().replace(' ', "-");
    Ok(format!(
        "<div class=\"code-file\" data-lines=\"{lines}\"><pre class=\"code-gutter\" aria-hidden=\"true\">{gutter}</pre>\
         <pre class=\"code-src\"><code class=\"language-{lang}\">{body}</code></pre></div>"
    ))
}

/// The short token class for a syntect span's scope classes (`hl-keyword hl-control hl-rust`
/// → `hl-k`), or `None` for scopes the code theme does not colour (meta scopes, punctuation):
/// those spans are dropped and their text takes its parent's colour.
fn token_class(classes: &str) -> Option<&'static str> {
    let atoms: Vec<&str> = classes
        .split_whitespace()
        .map(|c| c.trim_start_matches(CLASS_PREFIX))
        .collect();
    let has = |a: &str| atoms.contains(&a);
    Some(match *atoms.first()? {
        "comment" if has("documentation") => "hl-cd",
        "comment" => "hl-c",
        "string" => "hl-s",
        "constant" if has("character") || has("placeholder") => "hl-e",
        "constant" => "hl-n",
        "keyword" if has("operator") => "hl-o",
        "keyword" => "hl-k",
        "storage" if has("lifetime") => "hl-l",
        "storage" => "hl-k",
        "entity" if has("function") => "hl-f",
        "entity" => "hl-t",
        "support" if has("function") => "hl-f",
        "support" if has("macro") => "hl-m",
        "support" => "hl-t",
        "variable" if has("language") => "hl-v",
        "variable" if has("parameter") => "hl-p",
        "variable" | "meta" if has("annotation") => "hl-a",
        _ => return None,
    })
}

/// Rewrites syntect's nested, fully-scoped spans as flat token spans (see [`token_class`]),
/// dropping spans that colour nothing and spans that repeat their parent's class. The text is
/// untouched (syntect has escaped it, so every `<` starts one of its tags); the HTML shrinks to
/// about a third.
fn compact_spans(html: &str) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    // For each open span: the class it was rewritten to, or None if dropped.
    let mut open: Vec<Option<&'static str>> = Vec::new();
    // The class of the span closed last and where the output ended just after it.
    let mut just_closed: Option<(&'static str, usize)> = None;
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        if let Some(after) = rest.strip_prefix("<span class=\"") {
            let Some(end) = after.find("\">") else { break };
            let inherited = open.iter().rev().find_map(|c| *c);
            let class = token_class(&after[..end]).filter(|c| Some(*c) != inherited);
            if let Some(c) = class {
                // `=` `=` as two operator spans in a row become one span.
                match just_closed {
                    Some((prev, len)) if prev == c && len == out.len() => {
                        out.truncate(len - "</span>".len())
                    }
                    _ => {
                        let _ = write!(out, "<span class=\"{c}\">");
                    }
                }
            }
            open.push(class);
            rest = &after[end + 2..];
        } else if let Some(after) = rest.strip_prefix("</span>") {
            if let Some(Some(c)) = open.pop() {
                out.push_str("</span>");
                just_closed = Some((c, out.len()));
            }
            rest = after;
        } else {
            out.push('<');
            rest = &rest[1..];
        }
    }
    out.push_str(rest);
    out
}

/// Markdown to HTML (CommonMark plus tables and strikethrough).
fn markdown(text: &str) -> String {
    let parser = Parser::new_ext(text, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH);
    let mut out = String::new();
    html::push_html(&mut out, parser);
    out
}

/// The Rust source of `$OUT_DIR/content.rs`. `{:?}` of a `str` is a valid Rust string literal.
fn generate(lessons: &[(LessonFile, PathBuf)], code: &BTreeMap<String, String>) -> String {
    let mut out = String::from(
        "// @generated by build.rs from lessons/**/*.toml and sim/src/: do not edit.\n\n",
    );
    let index: BTreeMap<&str, usize> = code
        .keys()
        .enumerate()
        .map(|(i, k)| (k.as_str(), i))
        .collect();
    for (i, html) in code.values().enumerate() {
        let _ = writeln!(out, "static CODE_{i}: &str = {html:?};");
    }
    out.push_str("\n/// Every lesson's compiled content, in file-path order.\nstatic LESSONS: &[LessonContent] = &[\n");
    for (lesson, _) in lessons {
        let _ = writeln!(out, "    LessonContent {{\n        id: {:?},", lesson.id);
        out.push_str("        code: &[");
        for path in &lesson.code {
            let _ = write!(out, "({path:?}, CODE_{}), ", index[path.as_str()]);
        }
        out.push_str("],\n        steps: &[");
        for step in &lesson.steps {
            let _ = write!(out, "{:?}, ", markdown(&step.body));
        }
        out.push_str("],\n        questions: &[");
        for q in &lesson.questions {
            let _ = write!(out, "({:?}, {:?}), ", q.id, markdown(&q.explain));
        }
        out.push_str("],\n    },\n");
    }
    out.push_str("];\n");
    out
}
