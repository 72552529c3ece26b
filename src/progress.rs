//! What the learner has done, kept in the browser's local storage under one versioned key:
//! the lessons visited, the questions answered (and whether right), and each lesson's last
//! state as its share link.
//!
//! ```json
//! {"v":1,"lessons":{"consistent-hashing":{"visited":true,"answers":{"where-user123":true},
//!   "last":"#/lesson/consistent-hashing?v=1&do=0:remove-server:B&t=2500"}}}
//! ```
//!
//! Stored text is untrusted: [`load`] never fails. Text that is not JSON, not an object, of
//! another version, or with fields of the wrong type is detected and reported as a
//! [`StoreProblem`]; what can be salvaged (whole lesson entries that are well-formed) is kept and
//! the rest dropped, and the caller writes the repaired document back so the problem is reported
//! once. A document written by a *newer* version is left untouched (an older copy of the app,
//! say a cached offline one, must not destroy it). Pure: the storage I/O is in
//! `components::progress`.

use crate::route;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::fmt;

/// The localStorage key.
pub const KEY: &str = "sdp.progress";
/// The version of the stored document this app writes and reads.
pub const VERSION: u64 = 1;
/// The longest `last` link kept (a longer one is dropped, not truncated).
pub const MAX_LINK: usize = 16 * 1024;

/// One lesson's progress.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LessonProgress {
    /// The lesson page was opened.
    pub visited: bool,
    /// Question id → whether the last answer was right.
    pub answers: BTreeMap<String, bool>,
    /// The lesson's last state, as its URL hash.
    pub last: Option<String>,
}

/// Every lesson's progress, by lesson id.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// Lesson id → progress.
    pub lessons: BTreeMap<String, LessonProgress>,
}

/// What was wrong with the stored text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreProblem {
    /// Not JSON at all.
    NotJson,
    /// JSON, but not an object with a numeric `v`.
    NotProgress,
    /// An older version than this app reads.
    OldVersion(u64),
    /// A newer version than this app reads: left as it is, not written over.
    NewerVersion(u64),
    /// Well-formed, but this many lesson entries had to be dropped.
    Damaged(usize),
}

impl StoreProblem {
    /// Whether the caller should write the repaired document back.
    pub fn repairs(&self) -> bool {
        !matches!(self, StoreProblem::NewerVersion(_))
    }
}

impl fmt::Display for StoreProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreProblem::NotJson | StoreProblem::NotProgress => f.write_str(
                "Your saved progress in this browser could not be read, so it was reset. \
                 Lessons and links work as before.",
            ),
            StoreProblem::OldVersion(v) => write!(
                f,
                "Your saved progress was in an old format (version {v}) and was reset. \
                 Lessons and links work as before."
            ),
            StoreProblem::NewerVersion(v) => write!(
                f,
                "Your saved progress was written by a newer version of the playground (format \
                 {v}); this older copy leaves it as it is and does not record progress."
            ),
            StoreProblem::Damaged(n) => write!(
                f,
                "Part of your saved progress was damaged: {} could not be read and {} removed. \
                 The rest is kept.",
                crate::layout::format::count(*n as u64, "lesson entry", "lesson entries"),
                if *n == 1 { "was" } else { "were" }
            ),
        }
    }
}

/// Reads stored text (`None`: nothing stored). Never fails: see the module docs.
pub fn load(text: Option<&str>) -> (Progress, Option<StoreProblem>) {
    let Some(text) = text else {
        return (Progress::default(), None);
    };
    let Ok(doc) = serde_json::from_str::<Value>(text) else {
        return (Progress::default(), Some(StoreProblem::NotJson));
    };
    let Some(v) = doc.get("v").and_then(Value::as_u64) else {
        return (Progress::default(), Some(StoreProblem::NotProgress));
    };
    match v.cmp(&VERSION) {
        std::cmp::Ordering::Less => {
            return (Progress::default(), Some(StoreProblem::OldVersion(v)));
        }
        std::cmp::Ordering::Greater => {
            return (Progress::default(), Some(StoreProblem::NewerVersion(v)));
        }
        std::cmp::Ordering::Equal => {}
    }
    let mut progress = Progress::default();
    let mut dropped = 0;
    match doc.get("lessons") {
        None => {}
        Some(Value::Object(map)) => {
            for (id, entry) in map {
                match read_lesson(id, entry) {
                    Some(p) => {
                        progress.lessons.insert(id.clone(), p);
                    }
                    None => dropped += 1,
                }
            }
        }
        Some(_) => return (Progress::default(), Some(StoreProblem::NotProgress)),
    }
    let problem = (dropped > 0).then_some(StoreProblem::Damaged(dropped));
    (progress, problem)
}

/// One lesson's entry, if every field it has is of the right type.
fn read_lesson(id: &str, entry: &Value) -> Option<LessonProgress> {
    let obj = entry.as_object()?;
    let visited = match obj.get("visited") {
        None => false,
        Some(v) => v.as_bool()?,
    };
    let mut answers = BTreeMap::new();
    match obj.get("answers") {
        None => {}
        Some(Value::Object(map)) => {
            for (q, right) in map {
                answers.insert(q.clone(), right.as_bool()?);
            }
        }
        Some(_) => return None,
    }
    let last = match obj.get("last") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if is_lesson_link(id, s) => Some(s.clone()),
        Some(_) => return None,
    };
    Some(LessonProgress {
        visited,
        answers,
        last,
    })
}

/// Whether `hash` is a link to lesson `id` (`#/lesson/<id>` or `#/lesson/<id>?…`), short enough
/// to keep.
fn is_lesson_link(id: &str, hash: &str) -> bool {
    let prefix = format!("#/lesson/{}", route::encode(id));
    hash.len() <= MAX_LINK
        && hash
            .strip_prefix(&prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('?'))
}

impl Progress {
    /// The stored form.
    pub fn to_json(&self) -> String {
        let mut lessons = Map::new();
        for (id, p) in &self.lessons {
            let mut entry = json!({ "visited": p.visited });
            if !p.answers.is_empty() {
                entry["answers"] = json!(p.answers);
            }
            if let Some(last) = &p.last {
                entry["last"] = json!(last);
            }
            lessons.insert(id.clone(), entry);
        }
        json!({ "v": VERSION, "lessons": lessons }).to_string()
    }

    /// One lesson's progress (empty if none is recorded).
    pub fn lesson(&self, id: &str) -> LessonProgress {
        self.lessons.get(id).cloned().unwrap_or_default()
    }

    /// Records a visit to a lesson.
    pub fn visit(&mut self, id: &str) {
        self.lessons.entry(id.to_string()).or_default().visited = true;
    }

    /// Records an answer (the latest answer to a question counts).
    pub fn answer(&mut self, lesson: &str, question: &str, right: bool) {
        let entry = self.lessons.entry(lesson.to_string()).or_default();
        entry.visited = true;
        entry.answers.insert(question.to_string(), right);
    }

    /// Records a lesson's last state; a link to another lesson, or one too long, is ignored.
    pub fn remember(&mut self, lesson: &str, hash: &str) {
        if is_lesson_link(lesson, hash) {
            let entry = self.lessons.entry(lesson.to_string()).or_default();
            entry.visited = true;
            entry.last = Some(hash.to_string());
        }
    }
}

/// How far a learner got with one lesson, for the home page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    /// The lesson was opened.
    pub visited: bool,
    /// Questions of the lesson answered (ids the lesson no longer has are not counted).
    pub answered: usize,
    /// Of those, answered right.
    pub right: usize,
    /// The lesson's questions.
    pub total: usize,
}

impl LessonProgress {
    /// Counts against the lesson's current question ids.
    pub fn summary<'a>(&self, questions: impl IntoIterator<Item = &'a str>) -> Summary {
        let mut s = Summary {
            visited: self.visited,
            answered: 0,
            right: 0,
            total: 0,
        };
        for q in questions {
            s.total += 1;
            if let Some(right) = self.answers.get(q) {
                s.answered += 1;
                s.right += usize::from(*right);
            }
        }
        s
    }
}

/// Whether a lesson URL hash carries no state (only the path, perhaps `v=`): the page then
/// offers to resume the lesson's last state.
pub fn is_bare_lesson_hash(hash: &str) -> bool {
    let hash = hash.strip_prefix('#').unwrap_or(hash);
    let (path, query) = hash.split_once('?').unwrap_or((hash, ""));
    path.starts_with("/lesson/") && route::parse_query(query).iter().all(|(k, _)| k == "v")
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINK: &str = "#/lesson/consistent-hashing?v=1&do=0:remove-server:B&t=2500";

    fn sample() -> Progress {
        let mut p = Progress::default();
        p.visit("modulo-sharding");
        p.answer("consistent-hashing", "where-user123", true);
        p.answer("consistent-hashing", "moved-percent", false);
        p.remember("consistent-hashing", LINK);
        p
    }

    #[test]
    fn nothing_stored_is_empty_progress_without_a_problem() {
        assert_eq!(load(None), (Progress::default(), None));
    }

    #[test]
    fn round_trips_through_the_stored_form() {
        let p = sample();
        assert_eq!(load(Some(&p.to_json())), (p, None));
    }

    #[test]
    fn the_stored_form_is_the_documented_one() {
        let doc: Value = serde_json::from_str(&sample().to_json()).unwrap();
        assert_eq!(doc["v"], 1);
        let ch = &doc["lessons"]["consistent-hashing"];
        assert_eq!(ch["visited"], true);
        assert_eq!(ch["answers"]["where-user123"], true);
        assert_eq!(ch["answers"]["moved-percent"], false);
        assert_eq!(ch["last"], LINK);
        assert_eq!(
            doc["lessons"]["modulo-sharding"],
            json!({ "visited": true }),
            "empty fields are left out"
        );
    }

    #[test]
    fn corrupt_text_is_detected_and_reset() {
        for text in ["", "{", "not json", "\u{0}\u{1}", "{\"v\":1,"] {
            assert_eq!(
                load(Some(text)),
                (Progress::default(), Some(StoreProblem::NotJson)),
                "{text:?}"
            );
        }
        for text in [
            "null",
            "42",
            "[]",
            "\"v\"",
            "{}",
            "{\"v\":\"1\"}",
            "{\"v\":-1}",
            "{\"v\":1,\"lessons\":[]}",
        ] {
            assert_eq!(
                load(Some(text)),
                (Progress::default(), Some(StoreProblem::NotProgress)),
                "{text:?}"
            );
        }
    }

    #[test]
    fn other_versions_are_detected_and_only_older_ones_repaired() {
        let (p, problem) = load(Some("{\"v\":0,\"lessons\":{\"x\":{\"visited\":true}}}"));
        assert_eq!(p, Progress::default());
        assert_eq!(problem, Some(StoreProblem::OldVersion(0)));
        assert!(problem.unwrap().repairs());
        let (_, problem) = load(Some("{\"v\":2,\"whatever\":[1,2,3]}"));
        assert_eq!(problem, Some(StoreProblem::NewerVersion(2)));
        assert!(
            !problem.unwrap().repairs(),
            "a newer document is not written over"
        );
    }

    #[test]
    fn wrong_types_drop_only_the_damaged_lessons() {
        let text = json!({
            "v": 1,
            "lessons": {
                "good": { "visited": true, "answers": { "q": false }, "future-field": 3 },
                "bad-visited": { "visited": "yes" },
                "bad-answers": { "answers": [true] },
                "bad-answer": { "answers": { "q": 1 } },
                "bad-last": { "last": 5 },
                "foreign-last": { "last": "#/lesson/other?t=0" },
                "not-an-object": 7
            }
        })
        .to_string();
        let (p, problem) = load(Some(&text));
        assert_eq!(problem, Some(StoreProblem::Damaged(6)));
        assert_eq!(p.lessons.len(), 1);
        assert_eq!(p.lesson("good").answers.get("q"), Some(&false));
        assert!(problem.unwrap().to_string().contains("6 lesson entries"));
    }

    #[test]
    fn remember_keeps_only_links_to_the_lesson() {
        let mut p = Progress::default();
        p.remember("consistent-hashing", "#/lesson/modulo-sharding?t=0");
        p.remember("consistent-hashing", "javascript:alert(1)");
        p.remember(
            "consistent-hashing",
            &format!("#/lesson/consistent-hashing?x={}", "a".repeat(MAX_LINK)),
        );
        assert_eq!(p.lesson("consistent-hashing").last, None);
        p.remember("consistent-hashing", "#/lesson/consistent-hashing");
        assert_eq!(
            p.lesson("consistent-hashing").last.as_deref(),
            Some("#/lesson/consistent-hashing")
        );
        assert!(p.lesson("consistent-hashing").visited);
    }

    #[test]
    fn a_later_answer_replaces_an_earlier_one() {
        let mut p = sample();
        p.answer("consistent-hashing", "moved-percent", true);
        assert_eq!(
            p.lesson("consistent-hashing").answers.get("moved-percent"),
            Some(&true)
        );
    }

    #[test]
    fn summary_counts_the_lessons_current_questions() {
        let l = sample().lesson("consistent-hashing");
        let s = l.summary(["where-user123", "moved-percent", "third"]);
        assert_eq!(
            s,
            Summary {
                visited: true,
                answered: 2,
                right: 1,
                total: 3
            }
        );
        let gone = l.summary(["third"]);
        assert_eq!(
            (gone.answered, gone.total),
            (0, 1),
            "removed questions do not count"
        );
        assert!(!Progress::default().lesson("x").summary([]).visited);
    }

    #[test]
    fn bare_lesson_hashes_carry_no_state() {
        for h in [
            "#/lesson/consistent-hashing",
            "#/lesson/consistent-hashing?",
            "#/lesson/consistent-hashing?v=1",
            "/lesson/x",
        ] {
            assert!(is_bare_lesson_hash(h), "{h}");
        }
        for h in [
            "#/lesson/consistent-hashing?t=0",
            "#/lesson/consistent-hashing?v=1&seed=3",
            "#/lesson/consistent-hashing?preset=b-crashes",
            "#/",
            "#/bench",
        ] {
            assert!(!is_bare_lesson_hash(h), "{h}");
        }
    }
}
