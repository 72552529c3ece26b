//! The lessons in the app: the registry's index, compiled in (`catalog`: ids, titles, summaries,
//! tags, file names), and the lessons themselves, fetched when one opens and kept for the rest
//! of the visit. The home page and its search need only the index; a lesson page, an embed, a
//! run file or a question needs the lesson, so the page that wants one waits for [`load`] first
//! (see `components::lesson_gate`).

use catalog::{Entry, Family};
use sim::lesson::Lesson;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

thread_local! {
    static LOADED: RefCell<BTreeMap<String, Rc<Lesson>>> = const { RefCell::new(BTreeMap::new()) };
}

/// Every lesson in the index, by family in home-page order.
pub fn all() -> &'static [Entry] {
    catalog::LESSONS
}

/// The index entry of the lesson with this id.
pub fn entry(id: &str) -> Option<&'static Entry> {
    catalog::entry(id)
}

/// The family with this id.
pub fn family(id: &str) -> Option<&'static Family> {
    catalog::family(id)
}

/// The lesson with this id, if it is here: loaded on this visit, or compiled into this build
/// (native tests and tools build the catalog with its files; the app's wasm does not).
pub fn find(id: &str) -> Option<Rc<Lesson>> {
    if let Some(l) = LOADED.with(|m| m.borrow().get(id).cloned()) {
        return Some(l);
    }
    let bytes = catalog::file(entry(id)?.content)?;
    let lesson: Lesson = serde_json::from_slice(bytes).ok()?;
    Some(keep(lesson))
}

/// True when the lesson is in the index but not here yet, or its family's engine is not (see
/// [`crate::engine`]): a page that needs it must [`load`] it.
pub fn pending(id: &str) -> bool {
    entry(id).is_some() && find(id).is_none_or(|l| !crate::engine::ready(&l.model))
}

fn keep(lesson: Lesson) -> Rc<Lesson> {
    let lesson = Rc::new(lesson);
    LOADED.with(|m| m.borrow_mut().insert(lesson.id.clone(), lesson.clone()));
    lesson
}

/// Why a lesson could not be loaded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadError(pub String);

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Parses a lesson's compiled JSON and checks it is the lesson asked for.
pub fn parse(id: &str, json: &str) -> Result<Lesson, LoadError> {
    let lesson: Lesson = serde_json::from_str(json).map_err(|e| {
        LoadError(format!(
            "the lesson's file is damaged ({e}); reloading the page fetches it again"
        ))
    })?;
    if lesson.id != id {
        return Err(LoadError(format!(
            "the file for “{id}” holds the lesson “{}”: this copy of the app is inconsistent",
            lesson.id
        )));
    }
    Ok(lesson)
}

/// The lesson with this id and the engine that runs its model: at once if both are here, else
/// fetched (see [`crate::content::fetch`] and [`crate::engine::load`]).
pub async fn load(id: &str) -> Result<Rc<Lesson>, LoadError> {
    let entry = entry(id).ok_or_else(|| LoadError(format!("there is no lesson “{id}”")))?;
    let failed = |e: String| LoadError(format!("“{}” could not be loaded: {e}", entry.title));
    let lesson = match find(id) {
        Some(l) => l,
        None => {
            // Both on their way at once (the boot script may have started either already).
            crate::engine::prefetch(entry.family);
            let text = crate::content::fetch(entry.content).await.map_err(failed)?;
            keep(parse(id, &text)?)
        }
    };
    if !crate::engine::ready(&lesson.model) {
        crate::engine::load(entry.family).await.map_err(failed)?;
    }
    Ok(lesson)
}

/// True when every word of `query` appears in the lesson's title, summary, tags or family title
/// (ignoring ASCII case: Unicode's case tables would cost every visitor ~10 KB of wasm). An
/// empty query matches everything.
pub fn matches(lesson: &Entry, query: &str) -> bool {
    let family = family(lesson.family).map(|f| f.title).unwrap_or("");
    let haystack = format!(
        "{} {} {} {} {}",
        lesson.title,
        lesson.summary,
        lesson.tags.join(" "),
        family,
        lesson.id
    )
    .to_ascii_lowercase();
    query
        .split_whitespace()
        .all(|w| haystack.contains(&w.to_ascii_lowercase()))
}

/// The lessons matching `query`, grouped by family in home-page order; empty groups left out.
pub fn grouped(query: &str) -> Vec<(&'static Family, Vec<&'static Entry>)> {
    catalog::FAMILIES
        .iter()
        .map(|f| {
            let ls: Vec<&'static Entry> = all()
                .iter()
                .filter(|l| l.family == f.id && matches(l, query))
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
        assert!(
            !pending("consistent-hashing"),
            "native builds carry the lessons"
        );
        assert!(
            !pending("nope"),
            "an unknown lesson is not pending, it is missing"
        );
    }

    #[test]
    fn search_matches_title_summary_and_tags_case_insensitively() {
        let l = entry("consistent-hashing").unwrap();
        for q in ["", "ring", "HASH", "vnodes dynamo", "  consistent   "] {
            assert!(matches(l, q), "{q:?} should match");
        }
        for q in ["zzzz", "ring zzzz"] {
            assert!(!matches(l, q), "{q:?} should not match");
        }
    }

    #[test]
    fn grouping_leaves_out_empty_families() {
        // Only hashing lessons mention virtual nodes ("ring" also matches caching's "string").
        assert_eq!(grouped("vnodes").len(), 1);
        assert!(grouped("zzzz").is_empty());
    }

    #[test]
    fn a_damaged_or_mismatched_file_is_a_message_not_a_panic() {
        let e = parse("consistent-hashing", "{not json").unwrap_err();
        assert!(e.0.contains("damaged"), "{e}");
        let other = catalog::file(entry("hot-keys").unwrap().content).unwrap();
        let e = parse("consistent-hashing", std::str::from_utf8(other).unwrap()).unwrap_err();
        assert!(e.0.contains("hot-keys"), "{e}");
    }
}
