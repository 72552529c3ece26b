//! Rendering: lesson prose from Markdown to HTML, and source files to highlighted HTML.
//!
//! Source files are highlighted with syntect's class-based HTML, compacted to a few token classes
//! (`hl-k` keyword, `hl-s` string, …) so light and dark themes are pure CSS
//! (`www/styles/code.css`). Nothing is stripped from the sources: the Code tab shows the real
//! files.

use pulldown_cmark::{html, Options, Parser};
use std::fmt::Write as _;
use std::path::Path;
use syntect::html::{ClassStyle, ClassedHTMLGenerator};
use syntect::parsing::SyntaxSet;
use syntect::util::LinesWithEndings;

/// The class prefix syntect writes before each scope atom (`hl-keyword hl-control hl-rust`).
const CLASS_PREFIX: &str = "hl-";

/// The file as `<div class="code-file">`: a line-number gutter beside the class-highlighted
/// source. The gutter is its own `<pre>` because highlighted spans (a block comment, a
/// multi-line string) can cross lines, so lines cannot be wrapped one element each.
pub fn highlight(syntaxes: &SyntaxSet, path: &str, text: &str) -> Result<String, String> {
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
pub fn markdown(text: &str) -> String {
    let parser = Parser::new_ext(text, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH);
    let mut out = String::new();
    html::push_html(&mut out, parser);
    out
}
