//! nginx's configuration tokens, after `ngx_conf_read_token` (`src/core/ngx_conf_file.c`): words
//! separated by spaces, tabs and newlines; `;` ends a directive, `{` opens a block, `}` closes
//! one (only where a word may start, as in nginx); `#` starts a comment where a word may start;
//! `"…"` and `'…'` quote, with `\"`, `\'`, `\\`, `\t`, `\r`, `\n` escapes (a backslash before
//! any other character is kept); a closing quote must be followed by a space, `;` or `{`; `${`
//! inside a word does not open a block. [`Reader`] groups the tokens into directives.

use super::{clip, err, ConfigError, MAX_TOKENS_PER_LINE};

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Tok {
    Word(String),
    Semi,
    Open,
    Close,
}

pub(super) fn tokenize(text: &str) -> Result<Vec<(Tok, u32)>, ConfigError> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    let mut line: u32 = 1;
    while let Some(c) = chars.next() {
        match c {
            '\n' => line += 1,
            ' ' | '\t' | '\r' => {}
            ';' => out.push((Tok::Semi, line)),
            '{' => out.push((Tok::Open, line)),
            '}' => out.push((Tok::Close, line)),
            '#' => {
                while chars.peek().is_some_and(|c| *c != '\n') {
                    chars.next();
                }
            }
            '"' | '\'' => {
                let start = line;
                let mut word = String::new();
                loop {
                    match chars.next() {
                        None => {
                            return err(
                                start,
                                format!("unexpected end of input: expected the closing {c}"),
                            )
                        }
                        Some('\\') => escape(&mut chars, &mut word, &mut line),
                        Some(q) if q == c => break,
                        Some(ch) => {
                            if ch == '\n' {
                                line += 1;
                            }
                            word.push(ch);
                        }
                    }
                }
                match chars.peek() {
                    None | Some(' ' | '\t' | '\r' | '\n' | ';' | '{') => {}
                    Some(other) => {
                        return err(
                            line,
                            format!("unexpected `{other}` after a quoted word: expected a space, `;` or `{{`"),
                        )
                    }
                }
                out.push((Tok::Word(word), start));
            }
            first => {
                let start = line;
                let mut word = String::new();
                let mut ch = first;
                loop {
                    let dollar = if ch == '\\' {
                        escape(&mut chars, &mut word, &mut line);
                        false
                    } else {
                        word.push(ch);
                        ch == '$'
                    };
                    match chars.peek().copied() {
                        None | Some(' ' | '\t' | '\r' | '\n' | ';') => break,
                        // `${name}` is a variable, not a block.
                        Some('{') if !dollar => break,
                        Some(next) => {
                            chars.next();
                            ch = next;
                        }
                    }
                }
                out.push((Tok::Word(word), start));
            }
        }
    }
    Ok(out)
}

/// After a backslash: nginx's escapes, any other character kept with its backslash.
fn escape(chars: &mut std::iter::Peekable<std::str::Chars<'_>>, word: &mut String, line: &mut u32) {
    match chars.next() {
        Some('t') => word.push('\t'),
        Some('r') => word.push('\r'),
        Some('n') => word.push('\n'),
        Some(c @ ('"' | '\'' | '\\')) => word.push(c),
        Some(c) => {
            if c == '\n' {
                *line += 1;
            }
            word.push('\\');
            word.push(c);
        }
        None => word.push('\\'),
    }
}

/// One directive: its words, the line of its first word, and how it ended.
pub(super) struct Directive {
    pub(super) words: Vec<String>,
    pub(super) line: u32,
    pub(super) end: Tok,
    pub(super) end_line: u32,
}

pub(super) struct Reader {
    pub(super) toks: Vec<(Tok, u32)>,
    pub(super) pos: usize,
}

impl Reader {
    /// The next directive, or `None` at the end of input.
    pub(super) fn next(&mut self) -> Result<Option<Directive>, ConfigError> {
        let mut words = Vec::new();
        let mut line = 0;
        while let Some((tok, l)) = self.toks.get(self.pos).cloned() {
            self.pos += 1;
            match tok {
                Tok::Word(w) => {
                    if words.is_empty() {
                        line = l;
                    }
                    if words.len() >= MAX_TOKENS_PER_LINE as usize {
                        return err(
                            l,
                            format!("more than {MAX_TOKENS_PER_LINE} words in one directive"),
                        );
                    }
                    words.push(w);
                }
                end => {
                    if words.is_empty() && end != Tok::Close {
                        let c = if end == Tok::Semi { ";" } else { "{" };
                        return err(
                            l,
                            format!("unexpected `{c}`: expected a directive name first"),
                        );
                    }
                    if !words.is_empty() && end == Tok::Close {
                        return err(
                            l,
                            format!("unexpected `}}`: expected `;` to end `{}`", clip(&words[0])),
                        );
                    }
                    return Ok(Some(Directive {
                        words,
                        line: if line == 0 { l } else { line },
                        end,
                        end_line: l,
                    }));
                }
            }
        }
        if words.is_empty() {
            Ok(None)
        } else {
            err(
                line,
                format!(
                    "unexpected end of input: expected `;` after `{}`",
                    clip(&words.join(" "))
                ),
            )
        }
    }

    /// Skip the rest of a block whose `{` was just read.
    pub(super) fn skip_block(&mut self, open_line: u32) -> Result<(), ConfigError> {
        let mut depth = 1u32;
        while let Some((tok, _)) = self.toks.get(self.pos) {
            self.pos += 1;
            match tok {
                Tok::Open => depth += 1,
                Tok::Close => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(());
                    }
                }
                _ => {}
            }
        }
        err(
            open_line,
            "unexpected end of input: this block's `}` is missing",
        )
    }
}
