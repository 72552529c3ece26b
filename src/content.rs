//! Lesson prose and source code, compiled in at build time.
//!
//! `build.rs` renders every lesson's Markdown (steps, question explanations) to HTML and
//! syntax-highlights the `sim/src/` files each lesson lists under `code`, with CSS classes
//! (`hl-k` keyword, `hl-c` comment, … styled by `www/styles/code.css`). This module looks them up.
//! The HTML comes from the repository's own files, so it is trusted.

/// One lesson's compiled content.
struct LessonContent {
    /// The lesson id (`consistent-hashing`).
    id: &'static str,
    /// `(path under sim/src/, highlighted HTML)`, in the lesson's order.
    code: &'static [(&'static str, &'static str)],
    /// Each guided step's body as HTML, in order.
    steps: &'static [&'static str],
    /// `(question id, explanation as HTML)`.
    questions: &'static [(&'static str, &'static str)],
}

include!(concat!(env!("OUT_DIR"), "/content.rs"));

fn lesson(id: &str) -> Option<&'static LessonContent> {
    LESSONS.iter().find(|l| l.id == id)
}

/// The source files the lesson's Code tab shows, as `(path under sim/src/, HTML)`. The HTML is
/// a `<div class="code-file">` holding a line-number gutter and the highlighted source. Empty
/// for an unknown lesson.
pub fn code_files(lesson_id: &str) -> &'static [(&'static str, &'static str)] {
    lesson(lesson_id).map_or(&[], |l| l.code)
}

/// Guided step `index`'s body as HTML.
pub fn step_html(lesson_id: &str, index: usize) -> Option<&'static str> {
    lesson(lesson_id)?.steps.get(index).copied()
}

/// A question's explanation (shown after the reveal) as HTML; `None` for an unknown question,
/// `Some("")` when the lesson gives none.
pub fn question_explain_html(lesson_id: &str, question_id: &str) -> Option<&'static str> {
    lesson(lesson_id)?
        .questions
        .iter()
        .find(|(id, _)| *id == question_id)
        .map(|(_, html)| *html)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consistent_hashing_shows_the_ring_source_with_lookup() {
        let files = code_files("consistent-hashing");
        let (_, html) = files
            .iter()
            .find(|(path, _)| *path == "hashing/ring.rs")
            .expect("the consistent-hashing lesson lists hashing/ring.rs");
        assert!(html.contains("lookup"), "the ring source defines lookup");
        assert!(
            html.contains("class=\"hl-"),
            "the source is highlighted with classes"
        );
        assert!(html.contains("code-gutter"), "lines are numbered");
    }

    #[test]
    fn the_whole_source_is_shown() {
        let (_, html) = code_files("consistent-hashing")
            .iter()
            .find(|(path, _)| *path == "hashing/ring.rs")
            .expect("hashing/ring.rs is listed");
        let lines = include_str!("../sim/src/hashing/ring.rs").lines().count();
        assert!(
            html.contains(&format!("data-lines=\"{lines}\"")),
            "every line of the file is there"
        );
    }

    #[test]
    fn step_zero_is_rendered_markdown() {
        let html = step_html("consistent-hashing", 0).expect("the lesson has a first step");
        assert!(html.contains("<p>"), "{html}");
        assert!(
            html.contains("<code>hash(key) % N</code>"),
            "inline code is rendered: {html}"
        );
        assert!(html.contains("<strong>"), "bold is rendered: {html}");
    }

    #[test]
    fn question_explanations_are_found_by_id() {
        let html = question_explain_html("consistent-hashing", "where-user123")
            .expect("the question exists");
        assert!(html.contains("280°"), "{html}");
        assert_eq!(
            question_explain_html("consistent-hashing", "no-such-question"),
            None
        );
    }

    #[test]
    fn unknown_lessons_have_no_content() {
        assert!(code_files("no-such-lesson").is_empty());
        assert_eq!(step_html("no-such-lesson", 0), None);
        assert_eq!(step_html("consistent-hashing", 999), None);
    }
}
