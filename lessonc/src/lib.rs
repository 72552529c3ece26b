//! # lessonc — the lesson compiler
//!
//! Turns `lessons/<family>/*.toml` into what the app, the CLI and the tests read, at build time:
//!
//! 1. **Reads and parses** every family folder and lesson file ([`source`]); a syntax or type
//!    error names the file, line and column.
//! 2. **Checks** each lesson against its model in `sim` ([`check`]): the model exists, every
//!    default, preset and variant validates and builds a run, every scripted input names a real
//!    action, every reference resolves, every code file exists.
//! 3. **Renders** the Markdown prose to HTML and highlights the source files the Code tab shows
//!    ([`render`]).
//! 4. **Emits** one JSON file per lesson (the compiled [`sim::lesson::Lesson`]) and one HTML file
//!    per source file, each named after a digest of its bytes, plus the Rust source of the lesson
//!    registry ([`emit`]).
//!
//! The `catalog` crate runs this from its build script, so a broken lesson file fails the build;
//! the app then carries only the registry's index (ids, titles, summaries, file names) and fetches
//! a lesson's JSON when it opens. Nothing here runs in the browser.
//!
//! ```no_run
//! let compiled = lessonc::compile(std::path::Path::new(".")).unwrap();
//! for family in &compiled.families {
//!     println!("{}: {} lessons", family.id, family.lessons.len());
//! }
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod check;
pub mod emit;
pub mod error;
pub mod render;
pub mod source;

use error::{CompileError, Errors};
use sim::lesson::Lesson;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A family, compiled.
#[derive(Clone, Debug, PartialEq)]
pub struct CompiledFamily {
    /// Its id (the folder's name).
    pub id: String,
    /// Title.
    pub title: String,
    /// One sentence.
    pub blurb: String,
    /// Its position on the home page.
    pub order: u32,
    /// Its lessons in order.
    pub lessons: Vec<CompiledLesson>,
}

/// A lesson, compiled.
#[derive(Clone, Debug, PartialEq)]
pub struct CompiledLesson {
    /// The lesson with its prose as HTML and `code_href` filled in.
    pub lesson: Lesson,
    /// The lesson file, relative to the repository root.
    pub source: String,
    /// Where its JSON is published, relative to the app (`content/<id>.<digest>.json`).
    pub content: String,
}

/// Everything the compiler produces.
#[derive(Clone, Debug, PartialEq)]
pub struct Compiled {
    /// Families in home-page order.
    pub families: Vec<CompiledFamily>,
    /// Every file to publish: path relative to the app → bytes.
    pub files: BTreeMap<String, Vec<u8>>,
    /// Every file and folder read (for a build script's `rerun-if-changed`).
    pub inputs: Vec<PathBuf>,
}

impl Compiled {
    /// Every lesson, in order.
    pub fn lessons(&self) -> impl Iterator<Item = &CompiledLesson> {
        self.families.iter().flat_map(|f| f.lessons.iter())
    }
}

/// Compiles the repository at `root`: lessons from `root/lessons`, code from `root/sim/src`.
pub fn compile(root: &Path) -> Result<Compiled, Errors> {
    compile_dir(&root.join("lessons"), &root.join("sim").join("src"), root)
}

/// Compiles the lessons in `lessons_dir`, whose code files are under `code_root`; paths in
/// messages are relative to `shown_root`.
pub fn compile_dir(
    lessons_dir: &Path,
    code_root: &Path,
    shown_root: &Path,
) -> Result<Compiled, Errors> {
    let mut errors = Vec::new();
    let mut inputs = Vec::new();
    let sources = source::read_lessons(lessons_dir, shown_root, &mut errors, &mut inputs);
    let all: Vec<&source::LessonSource> = sources.iter().flat_map(|f| f.lessons.iter()).collect();
    check::check_unique_ids(&all, &mut errors);
    for src in &all {
        check::check_lesson(src, code_root, &mut errors);
    }
    if all.is_empty() && errors.is_empty() {
        errors.push(CompileError::file(
            &shown(lessons_dir, shown_root),
            "no lessons: expected lessons/<family>/<id>.toml",
        ));
    }
    if !errors.is_empty() {
        return Err(Errors(errors));
    }

    let syntaxes = syntect::parsing::SyntaxSet::load_defaults_newlines();
    let mut files = BTreeMap::new();
    // Highlighted sources by path, so a file several lessons show is written once.
    let mut code_hrefs: BTreeMap<String, String> = BTreeMap::new();
    let mut families = Vec::new();
    for fam in &sources {
        let mut lessons = Vec::new();
        for src in &fam.lessons {
            let mut lesson = src.lesson.clone();
            for path in &lesson.code {
                if let Some(href) = code_hrefs.get(path) {
                    lesson.code_href.push(href.clone());
                    continue;
                }
                let Some(file) = check::code_file(code_root, path) else {
                    continue;
                };
                inputs.push(file.clone());
                let text = std::fs::read_to_string(&file).map_err(|e| {
                    Errors(vec![CompileError::file(
                        &src.path,
                        format!("code file {path:?}: {e}"),
                    )])
                })?;
                let html = render::highlight(&syntaxes, path, &text).map_err(|e| {
                    Errors(vec![CompileError::file(
                        &src.path,
                        format!("highlighting {path:?}: {e}"),
                    )])
                })?;
                let href =
                    emit::hashed_name("code", &emit::code_stem(path), "html", html.as_bytes());
                files.insert(href.clone(), html.into_bytes());
                code_hrefs.insert(path.clone(), href.clone());
                lesson.code_href.push(href);
            }
            for step in &mut lesson.steps {
                step.body = render::markdown(&step.body);
                if !step.why.is_empty() {
                    step.why = render::markdown(&step.why);
                }
            }
            for q in &mut lesson.questions {
                q.explain = render::markdown(&q.explain);
            }
            for sw in &mut lesson.sweeps {
                if !sw.description.is_empty() {
                    sw.description = render::markdown(&sw.description);
                }
            }
            let json = serde_json::to_vec(&lesson).map_err(|e| {
                Errors(vec![CompileError::file(
                    &src.path,
                    format!("cannot write JSON: {e}"),
                )])
            })?;
            let content = emit::hashed_name("content", &lesson.id, "json", &json);
            files.insert(content.clone(), json);
            lessons.push(CompiledLesson {
                lesson,
                source: src.path.clone(),
                content,
            });
        }
        lessons.sort_by(|a, b| (a.lesson.order, &a.lesson.id).cmp(&(b.lesson.order, &b.lesson.id)));
        families.push(CompiledFamily {
            id: fam.id.clone(),
            title: fam.file.title.clone(),
            blurb: fam.file.blurb.clone(),
            order: fam.file.order,
            lessons,
        });
    }
    families.sort_by(|a, b| (a.order, &a.id).cmp(&(b.order, &b.id)));
    Ok(Compiled {
        families,
        files,
        inputs,
    })
}

fn shown(p: &Path, root: &Path) -> String {
    p.strip_prefix(root)
        .unwrap_or(p)
        .to_string_lossy()
        .replace('\\', "/")
}
