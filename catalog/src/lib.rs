//! # catalog — the lesson registry
//!
//! Generated at build time from `lessons/<family>/` by the lesson compiler (`lessonc`, run by this
//! crate's build script): a lesson file dropped into a family folder appears here, and so in the
//! app, the CLI, the offline build and the tests, with nothing else to edit. A broken one fails
//! the build with its path and line.
//!
//! What every build carries is the **index**: [`FAMILIES`] and [`LESSONS`] (ids, titles,
//! summaries, search tags, and the name of each lesson's compiled JSON). The app fetches a
//! lesson's JSON (its parameters, presets, steps as HTML, questions, compare variants) when the
//! lesson opens, and the highlighted source when the Code tab opens. With the `embedded` feature
//! (on by default; the app turns it off) the crate also holds every compiled file, so the CLI and
//! native tests read lessons without a network: [`lesson`], [`lessons`], [`file`].
//!
//! ```
//! let entry = catalog::entry("consistent-hashing").unwrap();
//! assert_eq!(entry.model, "hash-ring");
//! let lesson = catalog::lesson("consistent-hashing").unwrap();
//! assert!(lesson.steps[0].body.contains("<p>"), "prose arrives as HTML");
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

/// A family of lessons on the home page (from its `family.toml`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Family {
    /// Identifier: the family's folder under `lessons/`.
    pub id: &'static str,
    /// Title.
    pub title: &'static str,
    /// One sentence.
    pub blurb: &'static str,
}

/// What the index knows of a lesson without fetching it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Identifier, used in URLs (`consistent-hashing`).
    pub id: &'static str,
    /// Title.
    pub title: &'static str,
    /// Family id.
    pub family: &'static str,
    /// The model it drives.
    pub model: &'static str,
    /// One-sentence summary.
    pub summary: &'static str,
    /// Search words.
    pub tags: &'static [&'static str],
    /// The ids of its questions, in order (for progress: "2 of 3 answered").
    pub questions: &'static [&'static str],
    /// Its compiled JSON, relative to the app (`content/<id>.<digest>.json`).
    pub content: &'static str,
    /// The lesson file it was compiled from (`lessons/hashing/consistent-hashing.toml`).
    pub source: &'static str,
}

include!(concat!(env!("OUT_DIR"), "/registry.rs"));

/// The lesson with this id, from the index.
pub fn entry(id: &str) -> Option<&'static Entry> {
    LESSONS.iter().find(|l| l.id == id)
}

/// The family with this id.
pub fn family(id: &str) -> Option<&'static Family> {
    FAMILIES.iter().find(|f| f.id == id)
}

/// A compiled file's bytes, by its path relative to the app (`content/…json`, `code/…html`);
/// always `None` in a build without the `embedded` feature (the app's), which fetches them.
pub fn file(href: &str) -> Option<&'static [u8]> {
    #[cfg(feature = "embedded")]
    {
        FILES.iter().find(|(h, _)| *h == href).map(|(_, b)| *b)
    }
    #[cfg(not(feature = "embedded"))]
    {
        let _ = href;
        None
    }
}

/// The compiled lesson with this id (prose as HTML).
#[cfg(feature = "embedded")]
pub fn lesson(id: &str) -> Option<sim::lesson::Lesson> {
    let bytes = file(entry(id)?.content)?;
    Some(
        serde_json::from_slice(bytes)
            .unwrap_or_else(|e| panic!("the build wrote {id}'s JSON, so it parses: {e}")),
    )
}

/// Every compiled lesson, in index order.
#[cfg(feature = "embedded")]
pub fn lessons() -> Vec<sim::lesson::Lesson> {
    LESSONS.iter().filter_map(|e| lesson(e.id)).collect()
}
