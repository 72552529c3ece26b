//! The lesson registry: every lesson file is in it and compiled, names a real model and family, every default
//! and preset validates against the model's specs, every preset's scenario runs to its end with
//! its inputs accepted and invariants intact, and every question's answer is computable.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use sim::lesson::{Answer, Revealed};
use sim::params::ParamSet;
use sim::registry;

/// The registry is the folder: every `lessons/<family>/*.toml` but `family.toml` is a lesson of
/// the index, in its family, and nothing else is. Native only: wasm32 has no file system.
#[cfg(not(target_arch = "wasm32"))]
#[test]
fn every_lesson_file_is_in_the_registry() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../lessons");
    let mut on_disk = std::collections::BTreeSet::new();
    for family in std::fs::read_dir(&root).unwrap() {
        let family = family.unwrap().path();
        if !family.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&family).unwrap() {
            let file = file.unwrap().path();
            let name = file.file_name().unwrap().to_string_lossy().to_string();
            if name.ends_with(".toml") && name != "family.toml" {
                let fam = family.file_name().unwrap().to_string_lossy().to_string();
                on_disk.insert(format!("lessons/{fam}/{name}"));
            }
        }
    }
    let indexed: std::collections::BTreeSet<String> = catalog::LESSONS
        .iter()
        .map(|l| l.source.to_string())
        .collect();
    assert_eq!(indexed, on_disk, "the index holds exactly the lesson files");
}

#[test]
fn every_indexed_lesson_is_compiled_and_matches_its_entry() {
    assert!(!catalog::LESSONS.is_empty());
    let mut ids = std::collections::BTreeSet::new();
    for entry in catalog::LESSONS {
        assert!(ids.insert(entry.id), "lesson id {} is used twice", entry.id);
        assert!(
            catalog::family(entry.family).is_some(),
            "{}: unknown family {}",
            entry.id,
            entry.family
        );
        let lesson = catalog::lesson(entry.id).expect("every entry has its JSON");
        assert_eq!(lesson.id, entry.id);
        assert_eq!(lesson.title, entry.title);
        assert_eq!(lesson.model, entry.model);
        let qids: Vec<&str> = lesson.questions.iter().map(|q| q.id.as_str()).collect();
        assert_eq!(qids, entry.questions, "{}: question ids", entry.id);
        let specs = registry::specs(&lesson.model)
            .unwrap_or_else(|| panic!("{}: unknown model {}", lesson.id, lesson.model));
        let defaults: Vec<(String, String)> = lesson
            .defaults
            .iter()
            .map(|(k, v)| (k.clone(), v.to_text()))
            .collect();
        let (_, errors) = ParamSet::resolve(
            &specs,
            defaults.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        );
        assert!(errors.is_empty(), "{}: bad defaults: {errors:?}", lesson.id);
        assert_eq!(
            lesson.code.len(),
            lesson.code_href.len(),
            "{}: every code file is published",
            lesson.id
        );
        for href in &lesson.code_href {
            let html = catalog::file(href).unwrap_or_else(|| panic!("{href} is compiled in"));
            assert!(std::str::from_utf8(html).unwrap().contains("code-gutter"));
        }
        for step in &lesson.steps {
            if let Some(p) = &step.preset {
                assert!(
                    lesson.preset(p).is_some(),
                    "{}: step {:?} names a missing preset {p}",
                    lesson.id,
                    step.title
                );
            }
        }
    }
}

#[test]
fn prose_is_compiled_to_html() {
    let lesson = catalog::lesson("consistent-hashing").unwrap();
    let body = &lesson.steps[0].body;
    assert!(body.contains("<p>"), "{body}");
    assert!(
        body.contains("<code>hash(key) % N</code>"),
        "inline code: {body}"
    );
    assert!(body.contains("<strong>"), "bold: {body}");
    let explain = &lesson
        .questions
        .iter()
        .find(|q| q.id == "where-user123")
        .unwrap()
        .explain;
    assert!(explain.contains("280°"), "{explain}");
}

/// The Code tab shows the whole file, every line, highlighted.
#[cfg(not(target_arch = "wasm32"))]
#[test]
fn the_whole_source_is_highlighted() {
    let lesson = catalog::lesson("consistent-hashing").unwrap();
    let i = lesson
        .code
        .iter()
        .position(|p| p == "hashing/ring.rs")
        .unwrap();
    let html = std::str::from_utf8(catalog::file(&lesson.code_href[i]).unwrap()).unwrap();
    let lines = include_str!("../../../sim/src/hashing/ring.rs")
        .lines()
        .count();
    assert!(
        html.contains(&format!("data-lines=\"{lines}\"")),
        "every line is there"
    );
    assert!(
        html.contains("lookup") && html.contains("class=\"hl-"),
        "highlighted with classes"
    );
}

#[test]
fn every_scenario_runs_to_its_end_cleanly() {
    for lesson in catalog::lessons() {
        let presets =
            std::iter::once(None).chain(lesson.presets.iter().map(|p| Some(p.id.as_str())));
        for preset in presets {
            let scenario = lesson
                .scenario(preset)
                .unwrap_or_else(|e| panic!("{}: {e}", lesson.id));
            let mut run = registry::start(&scenario)
                .unwrap_or_else(|e| panic!("{} {preset:?}: {e}", lesson.id));
            run.validate().unwrap();
            run.seek(scenario.until);
            run.validate()
                .unwrap_or_else(|e| panic!("{} {preset:?}: {e}", lesson.id));
            let refused: Vec<_> = run
                .trace_lines()
                .into_iter()
                .filter(|l| l.rejected)
                .collect();
            assert!(
                refused.is_empty(),
                "{} {preset:?}: inputs refused: {refused:?}",
                lesson.id
            );
        }
    }
}

#[test]
fn every_question_has_a_computable_answer() {
    for lesson in catalog::lessons() {
        for q in &lesson.questions {
            let revealed = lesson
                .reveal(q)
                .unwrap_or_else(|e| panic!("{}: {e}", lesson.id));
            match (&q.answer, &revealed) {
                (Answer::Owner { .. }, Revealed::Owner { choices, answer }) => {
                    assert!(
                        choices.contains(answer),
                        "{}: answer {answer} is not among {choices:?}",
                        q.id
                    );
                    assert!(choices.len() >= 2, "{}: a choice needs alternatives", q.id);
                }
                (Answer::Metric { .. }, Revealed::Number { value, .. }) => {
                    assert!(value.is_finite())
                }
                other => panic!("{}: answer kind mismatch {other:?}", q.id),
            }
        }
    }
}

#[test]
fn the_consistent_hashing_questions_have_the_expected_answers() {
    let lesson = catalog::lesson("consistent-hashing").unwrap();
    let q = |id: &str| {
        lesson
            .reveal(lesson.questions.iter().find(|q| q.id == id).unwrap())
            .unwrap()
    };
    // Each question is asked in the step whose setup it plays: the crash, then the join.
    let step = |id: &str| lesson.questions.iter().find(|q| q.id == id).unwrap().step;
    assert_eq!(step("where-user123"), Some(2));
    assert_eq!(step("share-moved-b"), Some(2));
    assert_eq!(step("ring-moved-add"), Some(4));
    assert_eq!(step("modulo-moved-add"), Some(4));
    let where_ = q("where-user123");
    assert!(where_.is_right("C") && !where_.is_right("A") && !where_.is_right("B"));
    // B's arc is 75° of 360° (20.8%); hashed keys land there about that often.
    let Revealed::Number { value, .. } = q("share-moved-b") else {
        panic!()
    };
    assert!((10.0..35.0).contains(&value), "moved {value}%");
    // A sixth server with 100 virtual nodes takes about 1/6 of the ring, and only its keys move.
    let Revealed::Number { value, .. } = q("ring-moved-add") else {
        panic!()
    };
    assert!((12.0..22.0).contains(&value), "ring moved {value}%");
    // hash % N, 5 → 6 servers: a key stays only when hash mod 30 < 5, so about 83% move.
    let Revealed::Number { value, .. } = q("modulo-moved-add") else {
        panic!()
    };
    assert!((80.0..87.0).contains(&value), "modulo moved {value}%");
}

/// Native only: wasm32 has no file system.
#[cfg(not(target_arch = "wasm32"))]
#[test]
fn every_code_file_a_lesson_shows_exists() {
    for lesson in catalog::lessons() {
        assert!(
            !lesson.code.is_empty(),
            "{}: the Code tab needs at least one file",
            lesson.id
        );
        for path in &lesson.code {
            let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../sim/src")
                .join(path);
            assert!(
                file.is_file(),
                "{}: code file {path} does not exist",
                lesson.id
            );
        }
    }
}

/// The words of compiled prose (HTML tags and entities dropped).
fn words(html: &str) -> usize {
    let mut text = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.split_whitespace()
        .filter(|w| w.chars().any(|c| c.is_alphanumeric()))
        .count()
}

/// The guided format every lesson follows (issue 9): each step has a setup that names the 3–6
/// metrics that matter to it, a one-line takeaway and a body of about 150 words at most; every
/// question sits in a step; learner text has no internal references or CLI syntax.
#[test]
fn every_lesson_follows_the_guided_step_format() {
    for lesson in catalog::lessons() {
        let id = &lesson.id;
        assert!(!lesson.steps.is_empty(), "{id}: no steps");
        for (i, s) in lesson.steps.iter().enumerate() {
            let n = i + 1;
            assert!(
                (3..=sim::lesson::MAX_STEP_METRICS).contains(&s.metrics.len()),
                "{id} step {n}: {} metrics (3 to 6)",
                s.metrics.len()
            );
            assert!(!s.takeaway.trim().is_empty(), "{id} step {n}: no takeaway");
            let w = words(&s.body);
            assert!(
                w <= 160,
                "{id} step {n}: {w} words (about 150 at most; put derivations in `why`)"
            );
            assert!(lesson.step_scenario(i).is_ok(), "{id} step {n}: its setup");
        }
        for q in &lesson.questions {
            assert!(
                q.step.is_some(),
                "{id}: question {} belongs to no step",
                q.id
            );
        }
        let mut texts: Vec<(&str, &str)> = Vec::new();
        for s in &lesson.steps {
            texts.extend([
                ("body", s.body.as_str()),
                ("takeaway", &s.takeaway),
                ("why", &s.why),
            ]);
        }
        for q in &lesson.questions {
            texts.extend([("prompt", q.prompt.as_str()), ("explain", &q.explain)]);
        }
        for p in &lesson.presets {
            texts.extend([
                ("preset title", p.title.as_str()),
                ("preset description", &p.description),
            ]);
        }
        for (what, text) in texts {
            let lower = text.to_lowercase();
            for banned in [
                "the notes",
                "catalogue",
                "resize:",
                "remove-server:",
                "add-server:",
            ] {
                assert!(
                    !lower.contains(banned),
                    "{id} {what}: {banned:?} in learner text: {text}"
                );
            }
        }
    }
}
