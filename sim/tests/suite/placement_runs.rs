//! Whole runs of the placement model: determinism (same seed and inputs, same trace digest, on
//! every target), seeking backwards and forwards, the compare-mode variants of the lessons that
//! use it, and the shared workload with the modulo model (same seed → same users and the same
//! requests, so compare mode lines them up).

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use sim::engine::Simulation;
use sim::frame::Frame;
use sim::registry;
use sim::scenario::Scenario;
use sim::time::SimTime;

use crate::common;

const STRATEGIES: [&str; 7] = [
    "modulo",
    "ring",
    "ketama",
    "jump",
    "rendezvous",
    "bounded",
    "slots",
];

fn busy(strategy: &str, seed: u64) -> Box<dyn Simulation> {
    let s = common::scenario(
        "placement",
        seed,
        SimTime::from_secs(6),
        &[
            ("strategy", strategy),
            ("shards", "4"),
            ("keys", "600"),
            ("ids", "random"),
            ("vnodes", "20"),
            ("weights", "1,2,1,1"),
            ("popularity", "zipf"),
            ("zipf_s", "1.1"),
            ("request_rate", "150"),
        ],
        &[
            "1000:add-shard",
            "2000:set-weight:0=3",
            "3000:remove-shard:1",
            "3500:add-keys:50",
            "4000:resize:6",
        ],
    );
    common::start_at(&s, s.until)
}

#[test]
fn same_seed_and_inputs_give_the_same_trace_for_every_strategy() {
    for strategy in STRATEGIES {
        let (a, b) = (busy(strategy, 11), busy(strategy, 11));
        assert_eq!(a.digest(), b.digest(), "{strategy}");
        assert_eq!(a.metrics(), b.metrics(), "{strategy}");
        assert!(
            a.trace_lines().iter().all(|l| !l.rejected),
            "{strategy}: every input applies"
        );
        assert_ne!(
            a.digest(),
            busy(strategy, 12).digest(),
            "{strategy}: another seed, another run"
        );
    }
}

/// Pinned digests: a change in placement, narration or the request stream shows here, and on
/// wasm32 any drift in the float steps (rendezvous's `ln`, ketama's weights) too.
#[test]
fn pinned_digests() {
    let digests: Vec<String> = STRATEGIES
        .iter()
        .map(|s| format!("{s}:{:016x}", busy(s, 11).digest()))
        .collect();
    assert_eq!(
        digests,
        [
            "modulo:24edbac6ae30f7a0",
            "ring:0deb1c6a7bd1910c",
            "ketama:b464525e566dcb78",
            "jump:e3e757aa744f0bda",
            "rendezvous:5b8a22b4006034be",
            "bounded:cc7878acd834735a",
            // New with the slot table (this model's output, a change detector).
            "slots:b8460323b7ecb60a",
        ]
    );
}

#[test]
fn seeking_back_and_forth_reproduces_the_same_state() {
    let mut run = busy("bounded", 5);
    let end = (run.digest(), run.metrics());
    run.seek(SimTime::from_ms(1_500));
    run.validate().unwrap();
    let middle = run.metrics();
    run.seek(SimTime::from_secs(6));
    assert_eq!((run.digest(), run.metrics()), end);
    run.seek(SimTime::from_ms(1_500));
    assert_eq!(run.metrics(), middle);
}

/// The user ids a shard frame draws, as a set (the modulo model draws them in creation order,
/// the placement model in id order).
fn drawn_ids(run: &dyn Simulation) -> std::collections::BTreeSet<u64> {
    let Frame::Shards(f) = run.frame() else {
        panic!("a shard frame")
    };
    f.keys.iter().map(|k| k.id).collect()
}

/// The user asked for by each request, in order (from the narration).
fn requested_users(run: &dyn Simulation) -> Vec<String> {
    run.trace_lines()
        .into_iter()
        .filter_map(|l| {
            l.text
                .strip_prefix("Request for user ")
                .and_then(|r| r.split(' ').next())
                .map(str::to_string)
        })
        .collect()
}

#[test]
fn placement_and_modulo_draw_the_same_users_and_requests_from_one_seed() {
    for ids in ["sequential", "random"] {
        let start = |model: &str, extra: &[(&str, &str)]| {
            let mut s = Scenario::new(model, 21, SimTime::from_secs(3));
            for (k, v) in [
                ("shards", "4"),
                ("keys", "300"),
                ("ids", ids),
                ("request_rate", "50"),
                ("popularity", "zipf"),
            ]
            .iter()
            .chain(extra)
            {
                s.params.insert((*k).into(), (*v).into());
            }
            let mut run = registry::start(&s).unwrap();
            run.seek(s.until);
            run
        };
        let modulo = start("modulo", &[]);
        for strategy in STRATEGIES {
            let placement = start("placement", &[("strategy", strategy)]);
            assert_eq!(
                drawn_ids(modulo.as_ref()),
                drawn_ids(placement.as_ref()),
                "{ids}"
            );
            let users = requested_users(placement.as_ref());
            assert!(users.len() > 100, "{strategy}: requests flow");
            assert_eq!(requested_users(modulo.as_ref()), users, "{ids} {strategy}");
        }
    }
}

/// Every compare variant of the lessons that run this model builds and runs on every preset's
/// parameters and timeline (compare mode runs all variants on one seed and one timeline).
#[test]
fn compare_variants_run_on_every_preset() {
    for id in ["hashing-strategies", "modulo-sharding"] {
        let lesson = catalog::lesson(id).unwrap();
        assert!(lesson.compare.len() >= 2, "{id} offers a comparison");
        let presets =
            std::iter::once(None).chain(lesson.presets.iter().map(|p| Some(p.id.as_str())));
        for preset in presets {
            let base = lesson.scenario(preset).unwrap();
            for v in &lesson.compare {
                let s = common::variant(&base, v);
                let mut run = registry::start(&s)
                    .unwrap_or_else(|e| panic!("{id} {preset:?} variant {}: {e}", v.id));
                run.seek(s.until);
                run.validate()
                    .unwrap_or_else(|e| panic!("{id} {preset:?} variant {}: {e}", v.id));
                let refused: Vec<_> = run
                    .trace_lines()
                    .into_iter()
                    .filter(|l| l.rejected)
                    .collect();
                assert!(
                    refused.is_empty(),
                    "{id} {preset:?} variant {}: {refused:?}",
                    v.id
                );
            }
        }
    }
    let lesson = catalog::lesson("hashing-strategies").unwrap();
    let ids: Vec<&str> = lesson.compare.iter().map(|v| v.id.as_str()).collect();
    assert_eq!(ids, STRATEGIES, "all seven strategies side by side");
}

/// In modulo-sharding's compare mode, 4 → 5 shards: user_id % N moves exactly 80%, the
/// consistent strategies about 20%.
#[test]
fn modulo_lessons_variants_show_the_difference() {
    let lesson = catalog::lesson("modulo-sharding").unwrap();
    let base = lesson.scenario(Some("four-to-five")).unwrap();
    let moved = |variant: &str| {
        let v = lesson.compare.iter().find(|v| v.id == variant).unwrap();
        let s = common::variant(&base, v);
        let mut run = registry::start(&s).unwrap();
        run.seek(s.until);
        common::metric(run.as_ref(), "moved_percent")
    };
    assert_eq!(moved("modulo"), 80.0);
    for v in ["ring", "jump"] {
        let pct = moved(v);
        assert!(pct < 40.0, "{v} moves {pct}% of 20 keys, not most of them");
    }
}
