//! The compiled-in lesson registry, parsed once, and the home page's search.

use sim::catalog::{self, Family};
use sim::lesson::Lesson;
use std::rc::Rc;

thread_local! {
    static LESSONS: Rc<[Rc<Lesson>]> = catalog::lessons().into_iter().flatten().map(Rc::new).collect();
}

/// Every lesson that parsed, in registry order.
pub fn all() -> Rc<[Rc<Lesson>]> {
    LESSONS.with(Rc::clone)
}

/// The lesson with this id.
pub fn find(id: &str) -> Option<Rc<Lesson>> {
    all().iter().find(|l| l.id == id).cloned()
}

/// The family with this id.
pub fn family(id: &str) -> Option<&'static Family> {
    catalog::FAMILIES.iter().find(|f| f.id == id)
}

/// True when every word of `query` appears in the lesson's title, summary, tags or family title
/// (case-insensitive). An empty query matches everything.
pub fn matches(lesson: &Lesson, query: &str) -> bool {
    let family = family(&lesson.family).map(|f| f.title).unwrap_or("");
    let haystack = format!(
        "{} {} {} {} {}",
        lesson.title,
        lesson.summary,
        lesson.tags.join(" "),
        family,
        lesson.id
    )
    .to_lowercase();
    query
        .split_whitespace()
        .all(|w| haystack.contains(&w.to_lowercase()))
}

/// The lessons matching `query`, grouped by family in home-page order; empty groups left out.
pub fn grouped(query: &str) -> Vec<(&'static Family, Vec<Rc<Lesson>>)> {
    let lessons = all();
    catalog::FAMILIES
        .iter()
        .map(|f| {
            let ls: Vec<Rc<Lesson>> = lessons
                .iter()
                .filter(|l| l.family == f.id && matches(l, query))
                .cloned()
                .collect();
            (f, ls)
        })
        .filter(|(_, ls)| !ls.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_consistent_hashing_lesson() {
        assert!(find("consistent-hashing").is_some());
        assert!(find("nope").is_none());
    }

    #[test]
    fn search_matches_title_summary_and_tags_case_insensitively() {
        let l = find("consistent-hashing").unwrap();
        for q in ["", "ring", "HASH", "vnodes dynamo", "  consistent   "] {
            assert!(matches(&l, q), "{q:?} should match");
        }
        for q in ["zzzz", "ring zzzz"] {
            assert!(!matches(&l, q), "{q:?} should not match");
        }
    }

    #[test]
    fn grouping_leaves_out_empty_families() {
        assert_eq!(grouped("ring").len(), 1);
        assert!(grouped("zzzz").is_empty());
    }
}
