//! Compare mode: columns share the primary's seed, parameters and timeline; a column's own
//! parameters win; inputs a column's model does not know are refused by that column alone; the
//! table holds every column's metrics; every lesson of the sharding family offers compare mode.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use sim::compare::Comparison;
use sim::model::MetricValue;
use sim::registry;
use sim::time::SimTime;

fn primary(lesson: &str, preset: Option<&str>) -> Box<dyn sim::engine::Simulation> {
    let lesson = catalog::lesson(lesson).expect("lesson");
    let scenario = lesson.scenario(preset).expect("scenario");
    let mut run = registry::start(&scenario).expect("starts");
    run.seek(scenario.until);
    run
}

#[test]
fn every_lesson_of_the_sharding_family_offers_two_or_more_variants_that_start() {
    for lesson in catalog::lessons() {
        if lesson.family != "hashing" {
            continue;
        }
        assert!(
            lesson.compare.len() >= 2,
            "{} offers {} compare variants",
            lesson.id,
            lesson.compare.len()
        );
        let mut ids = std::collections::BTreeSet::new();
        for v in &lesson.compare {
            assert!(
                ids.insert(v.id.clone()),
                "{}: variant {} twice",
                lesson.id,
                v.id
            );
        }
        let run = primary(&lesson.id, None);
        let mut cmp = Comparison::new(&lesson, &[]);
        cmp.sync(run.as_ref());
        for col in cmp.columns() {
            let r = col
                .run
                .as_ref()
                .unwrap_or_else(|e| panic!("{}/{}: {e}", lesson.id, col.variant.id));
            assert_eq!(r.now(), run.now(), "{}/{}", lesson.id, col.variant.id);
            assert_eq!(r.seed(), run.seed());
            assert_eq!(r.inputs(), run.inputs());
            r.validate().unwrap();
            for (k, v) in &col.variant.params {
                assert_eq!(
                    r.params().get(k).map(|p| p.to_text()),
                    Some(v.to_text()),
                    "{}/{}: the variant's own {k} wins",
                    lesson.id,
                    col.variant.id
                );
            }
        }
    }
}

#[test]
fn columns_follow_the_primary_in_time_and_rebuild_when_it_changes() {
    let lesson = catalog::lesson("consistent-hashing").unwrap();
    let mut run = primary("consistent-hashing", Some("source-example"));
    let mut cmp = Comparison::new(&lesson, &["one-point".into(), "vnodes-100".into()]);
    assert_eq!(cmp.ids(), ["one-point", "vnodes-100"]);
    run.seek(SimTime::from_ms(1000));
    cmp.sync(run.as_ref());
    run.apply_now(sim::scenario::Input::parse("remove-server:B").unwrap());
    cmp.sync(run.as_ref());
    let moved: Vec<i64> = cmp
        .columns()
        .iter()
        .map(
            |c| match c.run.as_ref().unwrap().metrics().get("moved_keys") {
                Some(MetricValue::Int(n)) => *n,
                other => panic!("{other:?}"),
            },
        )
        .collect();
    assert!(moved.iter().all(|m| *m > 0), "{moved:?}");
    // The single-point column is the primary's own run: the same digest.
    assert_eq!(
        cmp.columns()[0].run.as_ref().unwrap().digest(),
        run.digest(),
        "same params, seed and inputs give the same run"
    );
    let per_change = cmp.moved_per_change(1, run.now());
    assert_eq!(per_change.len(), 1);
    assert_eq!(per_change[0].input, "remove-server:B");
    assert_eq!(Some(moved[1]), per_change[0].moved);
    let rows = cmp.rows();
    let row = rows.iter().find(|r| r.id == "max_mean_ratio").unwrap();
    assert_eq!(row.cells.len(), 2);
    assert!(row.cells.iter().all(Option::is_some));
}

#[test]
fn an_input_a_column_does_not_know_is_refused_there_alone() {
    let lesson = catalog::lesson("consistent-hashing").unwrap();
    let mut run = primary("consistent-hashing", None);
    let mut cmp = Comparison::new(&lesson, &[]);
    run.apply_now(sim::scenario::Input::parse("remove-server:Z").unwrap());
    cmp.sync(run.as_ref());
    let changes = cmp.moved_per_change(0, run.now());
    assert!(
        changes[0].refused && changes[0].moved.is_none(),
        "{changes:?}"
    );
}

/// The consistent-hashing lesson's `hash % N` column, beside the ring, when B crashes on the
/// notes' ring (A 45°, B 120°, C 280°; 200 keys). Under `hash % N` a key stays only if its
/// server at index `h mod 3` is the one at index `h mod 2`: of the six residues of `h mod 6`,
/// 0 (A, A) and 5 (C, C) stay, so about 2/3 of the keys move. On the ring only B's arc moves,
/// 75° of 360°, about 1/5.
#[test]
fn consistent_hashing_compares_the_ring_with_hash_mod_n_when_b_crashes() {
    let lesson = catalog::lesson("consistent-hashing").expect("lesson");
    let action = lesson.compare_action.clone().expect("a header action");
    assert_eq!(action.input, "remove-server:B");
    let mut run = primary("consistent-hashing", None);
    run.apply_now(sim::scenario::Input::parse(&action.input).unwrap());
    let mut cmp = Comparison::new(&lesson, &["modulo".into(), "one-point".into()]);
    cmp.sync(run.as_ref());
    let moved = |i: usize| {
        let m = cmp.moved_per_change(i, run.now());
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].described, "Crash a server: B", "the input in words");
        m[0].percent.unwrap()
    };
    let (modulo, ring) = (moved(0), moved(1));
    assert!(
        (55.0..78.0).contains(&modulo),
        "hash % N moved {modulo}%, about 2/3"
    );
    assert!(
        (12.0..30.0).contains(&ring),
        "the ring moved {ring}%, about 1/5"
    );
    // The ring column is the lesson's own run: it moved what the lesson's run says hash % N
    // would have moved on the other side.
    let m = cmp.columns()[1].run.as_ref().unwrap().metrics();
    let would = m
        .get("modulo_moved_percent")
        .and_then(MetricValue::as_f64)
        .unwrap();
    assert!(
        (would - modulo).abs() < 1e-9,
        "the ring's estimate {would} = the column's {modulo}"
    );
    cmp.columns()[0].run.as_ref().unwrap().validate().unwrap();
}

/// Every lesson's header change is taken by every column, and a column whose model moves no
/// keys says what happened in its own words (its event-log line), so compare mode never shows
/// a change without saying what it did.
#[test]
fn every_header_change_is_taken_and_said_in_every_column() {
    for lesson in catalog::lessons() {
        let Some(action) = lesson.compare_action.clone() else {
            continue;
        };
        let mut run = primary(&lesson.id, None);
        run.apply_now(sim::scenario::Input::parse(&action.input).unwrap());
        let mut cmp = Comparison::new(&lesson, &[]);
        cmp.sync(run.as_ref());
        for (i, col) in cmp.columns().iter().enumerate() {
            let changes = cmp.moved_per_change(i, run.now());
            let c = changes
                .last()
                .unwrap_or_else(|| panic!("{}/{}", lesson.id, col.variant.id));
            assert!(
                !c.refused,
                "{}/{} refused {}",
                lesson.id, col.variant.id, action.input
            );
            assert!(
                c.moved.is_some() || c.said.as_deref().is_some_and(|s| !s.is_empty()),
                "{}/{}: {c:?}",
                lesson.id,
                col.variant.id
            );
            assert!(
                !c.described.contains(&action.input),
                "{}: {}",
                lesson.id,
                c.described
            );
        }
    }
}
