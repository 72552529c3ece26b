//! The lesson registry: every lesson file parses, names a real model and family, every default
//! and preset validates against the model's specs, every preset's scenario runs to its end with
//! its inputs accepted and invariants intact, and every question's answer is computable.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use sim::catalog;
use sim::lesson::{Answer, Revealed};
use sim::params::ParamSet;

#[test]
fn every_lesson_file_parses_and_fits_its_model() {
    let lessons = catalog::lessons();
    assert!(!lessons.is_empty());
    let mut ids = std::collections::BTreeSet::new();
    for lesson in lessons {
        let lesson = lesson.unwrap_or_else(|e| panic!("{e}"));
        assert!(
            ids.insert(lesson.id.clone()),
            "lesson id {} is used twice",
            lesson.id
        );
        assert!(
            catalog::FAMILIES.iter().any(|f| f.id == lesson.family),
            "{}: unknown family {}",
            lesson.id,
            lesson.family
        );
        let specs = catalog::specs(&lesson.model)
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
fn every_scenario_runs_to_its_end_cleanly() {
    for lesson in catalog::lessons().into_iter().map(Result::unwrap) {
        let presets =
            std::iter::once(None).chain(lesson.presets.iter().map(|p| Some(p.id.as_str())));
        for preset in presets {
            let scenario = lesson
                .scenario(preset)
                .unwrap_or_else(|e| panic!("{}: {e}", lesson.id));
            let mut run = catalog::start(&scenario)
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
    for lesson in catalog::lessons().into_iter().map(Result::unwrap) {
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
    let where_ = q("where-user123");
    assert!(where_.is_right("C") && !where_.is_right("A") && !where_.is_right("B"));
    // B's arc is 75° of 360° (20.8%); hashed keys land there about that often.
    let Revealed::Number { value, .. } = q("share-moved-b") else {
        panic!()
    };
    assert!((10.0..35.0).contains(&value), "moved {value}%");
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
    for lesson in catalog::lessons().into_iter().map(Result::unwrap) {
        assert!(
            !lesson.code.is_empty(),
            "{}: the Code tab needs at least one file",
            lesson.id
        );
        for path in &lesson.code {
            let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("src")
                .join(path);
            assert!(
                file.is_file(),
                "{}: code file {path} does not exist",
                lesson.id
            );
        }
    }
}
