//! Two kinds of test, kept apart by name:
//!
//! - **Known answers** from outside the implementation: the source material's worked ring (A at
//!   45°, B at 120°, C at 280°; User123 at 100° on B, then on C; arcs of 125°, 75° and 160°, then
//!   235°), each checkable by hand on a circle.
//! - **Change detectors** (`change_detector_*`): digests and metrics pinned from this
//!   implementation's own output. They are not evidence that the output is right — the known
//!   answers and the fidelity tests are — only that it has not changed: every saved link replays
//!   these runs, so a change must be deliberate.
//!
//! This file also runs as wasm32 (`cargo test -p sim --target wasm32-unknown-unknown --test
//! golden`), so any drift between targets — a float formatted differently, a platform-sized
//! integer — fails CI.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use sim::frame::Frame;
use sim::hashing::ring::{degrees_to_position, RING_SIZE};
use sim::model::MetricValue;
use sim::models::sharding::placement;
use sim::registry;
use sim::time::SimTime;

use crate::common;

fn source_example(inputs: &[&str]) -> Box<dyn sim::engine::Simulation> {
    let mut s = common::preset("consistent-hashing", Some("source-example"));
    s.inputs = common::inputs(inputs);
    common::start_at(&s, SimTime::from_ms(1))
}

fn group(run: &dyn sim::engine::Simulation, id: &str) -> Vec<(String, f64)> {
    run.metrics().group(id).unwrap().values.clone()
}

#[test]
fn user123_lives_on_b_and_moves_to_c_when_b_dies() {
    let run = source_example(&[]);
    assert_eq!(
        placement(&*run).unwrap().owners("User123").unwrap()[0],
        "B",
        "100° lies in B's arc (45°, 120°]"
    );
    let run = source_example(&["0:remove-server:B"]);
    assert_eq!(
        placement(&*run).unwrap().owners("User123").unwrap()[0],
        "C",
        "after B dies the next server clockwise is C"
    );
}

#[test]
fn arcs_are_125_75_160_degrees_then_c_owns_235() {
    let deg = |run: &dyn sim::engine::Simulation| -> Vec<(String, f64)> {
        group(run, "arc_percent")
            .into_iter()
            .map(|(s, p)| (s, (p * 3.6 * 1e6).round() / 1e6))
            .collect()
    };
    let run = source_example(&[]);
    assert_eq!(
        deg(run.as_ref()),
        [("A".into(), 125.0), ("B".into(), 75.0), ("C".into(), 160.0)]
    );
    let run = source_example(&["0:remove-server:B"]);
    assert_eq!(
        deg(run.as_ref()),
        [("A".into(), 125.0), ("C".into(), 235.0)]
    );
}

#[test]
fn only_keys_in_b_arc_move_and_all_go_to_c() {
    let before = source_example(&[]);
    let after = source_example(&["0:remove-server:B"]);
    let (lo, hi) = (degrees_to_position(45.0), degrees_to_position(120.0));
    let Frame::Ring(f) = after.frame() else {
        panic!("the ring lesson draws a ring")
    };
    let change = f.last_change.clone().expect("the crash is a change");
    assert!(!change.moves.is_empty());
    for m in change.moves.iter() {
        assert!(
            m.position > lo && m.position <= hi,
            "{} at {} is outside (45°, 120°]",
            m.key,
            m.position
        );
        assert_eq!(
            (m.from.as_str(), m.to.as_str()),
            ("B", "C"),
            "{} must move from B to C",
            m.key
        );
    }
    let b_keys = before.metrics().group("keys_per_server").unwrap().values[1].1;
    assert_eq!(
        change.moves.len() as f64,
        b_keys,
        "every key B owned moves, and nothing else"
    );
    assert_eq!(
        after.metrics().get("moved_keys"),
        Some(&MetricValue::Int(b_keys as i64))
    );
}

/// The ring frame says where everything goes, by the notes' numbers, so the view never
/// hashes or looks up: markers at the pinned angles, the arcs 125°, 75° and 160°, and each key
/// B's crash moved walks to C's point at 280°.
#[test]
fn the_ring_frame_carries_anchors_arcs_and_serving_points() {
    let at = degrees_to_position;
    let Frame::Ring(f) = source_example(&[]).frame() else {
        panic!("the ring lesson draws a ring")
    };
    let anchors: Vec<u32> = f.servers.iter().map(|s| s.anchor).collect();
    assert_eq!(anchors, [at(45.0), at(120.0), at(280.0)]);
    let degrees: Vec<Vec<(f64, f64)>> = f
        .servers
        .iter()
        .map(|s| {
            let deg = |p: u64| (p as f64 * 360.0 / RING_SIZE as f64).round();
            s.arcs
                .iter()
                .map(|a| (deg(u64::from(a.start)), deg(a.len)))
                .collect()
        })
        .collect();
    assert_eq!(
        degrees,
        [
            vec![(280.0, 125.0)],
            vec![(45.0, 75.0)],
            vec![(120.0, 160.0)]
        ],
        "A owns (280°, 45°], B (45°, 120°], C (120°, 280°]"
    );
    let Frame::Ring(f) = source_example(&["0:remove-server:B"]).frame() else {
        panic!("the ring lesson draws a ring")
    };
    let change = f.last_change.clone().expect("the crash is a change");
    assert!(change.moves.iter().all(|m| m.point == at(280.0)));
}

/// A change detector, not a known answer: the values were pinned from this implementation's
/// output. If one changes, every saved link's run changes: update only on purpose.
#[test]
fn change_detector_pinned_digests_and_metrics() {
    let run = source_example(&["0:remove-server:B"]);
    let mut lesson_run = {
        let lesson = catalog::lesson("consistent-hashing").unwrap();
        let s = lesson.scenario(Some("hot-key")).unwrap();
        registry::start(&s).unwrap()
    };
    lesson_run.seek(SimTime::from_secs(5));
    let got = (
        format!("{:016x}", run.digest()),
        format!("{:016x}", lesson_run.digest()),
        lesson_run
            .metrics()
            .get("max_mean_ratio")
            .and_then(MetricValue::as_f64)
            .map(|r| format!("{r:.12}")),
        group(lesson_run.as_ref(), "requests_per_server"),
    );
    assert_eq!(got, expected(), "golden run drifted");
}

fn expected() -> (String, String, Option<String>, Vec<(String, f64)>) {
    (
        "f9045f231a686a29".to_string(),
        "cb4a381ce26375f3".to_string(),
        Some("1.146853146853".to_string()),
        vec![
            ("A".into(), 81.0),
            ("B".into(), 316.0),
            ("C".into(), 229.0),
            ("D".into(), 338.0),
        ],
    )
}
