//! Known answers for modulo sharding from the notes (catalogue D2), and the resize law
//! N → kN moves 1 − 1/k of the keys. Also runs as wasm32.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use sim::engine::Simulation;
use sim::frame::Frame;
use sim::models::sharding::{placement, Move};
use sim::registry;
use sim::scenario::{Scenario, TimedInput};
use sim::time::SimTime;

fn run(shards: u32, keys: u64, ids: &str, inputs: &[&str]) -> Box<dyn Simulation> {
    let mut s = Scenario::new("modulo", 3, SimTime::from_secs(1));
    s.params.insert("shards".into(), shards.to_string());
    s.params.insert("keys".into(), keys.to_string());
    s.params.insert("ids".into(), ids.into());
    s.params.insert("request_rate".into(), "0".into());
    s.inputs = inputs
        .iter()
        .map(|t| TimedInput::parse(t).unwrap())
        .collect();
    let mut run = registry::start(&s).unwrap();
    run.seek(SimTime::from_ms(1));
    run.validate().unwrap();
    run
}

fn members(run: &dyn Simulation) -> Vec<Vec<u64>> {
    let Frame::Shards(f) = run.frame() else {
        panic!("a shard frame")
    };
    let mut out = vec![Vec::new(); f.shards.len()];
    for k in &f.keys {
        out[k.shard as usize].push(k.id);
    }
    out
}

#[test]
fn user_id_mod_4_lays_out_users_as_the_notes_say() {
    let r = run(4, 16, "sequential", &[]);
    assert_eq!(
        members(r.as_ref()),
        [
            vec![0, 4, 8, 12],
            vec![1, 5, 9, 13],
            vec![2, 6, 10, 14],
            vec![3, 7, 11, 15]
        ]
    );
    assert_eq!(placement(&*r).unwrap().owners("13").unwrap(), ["1"]);
}

#[test]
fn four_to_five_moves_80_percent() {
    let r = run(4, 20, "sequential", &["0:resize:5"]);
    let m = r.metrics();
    assert_eq!(m.get("moved_keys").and_then(|v| v.as_f64()), Some(16.0));
    assert_eq!(m.get("moved_percent").and_then(|v| v.as_f64()), Some(80.0));
    let stayed: Vec<u64> = (0..20).filter(|id| id % 4 == id % 5).collect();
    assert_eq!(stayed, [0, 1, 2, 3], "a key stays only if id mod 20 < 4");
}

#[test]
fn four_to_eight_moves_exactly_half_each_from_s_to_s_plus_4() {
    let r = run(4, 16, "sequential", &["0:resize:8"]);
    assert_eq!(
        r.metrics().get("moved_percent").and_then(|v| v.as_f64()),
        Some(50.0)
    );
    let moves = placement(&*r).unwrap().last_moves().unwrap();
    assert_eq!(moves.len(), 8);
    for Move { key, from, to } in moves {
        let (from, to): (u32, u32) = (from.parse().unwrap(), to.parse().unwrap());
        assert_eq!(to, from + 4, "user {key} must move from shard s to s + 4");
    }
    assert_eq!(placement(&*r).unwrap().owners("13").unwrap(), ["5"]);
}

#[test]
fn resizing_n_to_kn_moves_one_minus_one_over_k() {
    // With ids spread uniformly (a multiple of kN sequential ids, or random ids), N → kN moves
    // exactly or about 1 − 1/k of the keys.
    for (n, k) in [(2u32, 2u32), (3, 3), (4, 4), (5, 2), (8, 3)] {
        let keys = u64::from(n * k) * 50;
        let r = run(n, keys, "sequential", &[&format!("0:resize:{}", n * k)]);
        let pct = r
            .metrics()
            .get("moved_percent")
            .and_then(|v| v.as_f64())
            .unwrap();
        let expected = (1.0 - 1.0 / f64::from(k)) * 100.0;
        assert!(
            (pct - expected).abs() < 1e-9,
            "{n} → {} moved {pct}%, expected {expected}%",
            n * k
        );
        let r = run(n, 5_000, "random", &[&format!("0:resize:{}", n * k)]);
        let pct = r
            .metrics()
            .get("moved_percent")
            .and_then(|v| v.as_f64())
            .unwrap();
        assert!(
            (pct - expected).abs() < 3.0,
            "random ids {n} → {}: {pct}% vs {expected}%",
            n * k
        );
    }
}

#[test]
fn bad_resizes_are_refused_and_change_nothing() {
    let r = run(
        4,
        16,
        "sequential",
        &["0:resize:0", "0:resize:65", "0:resize:many"],
    );
    let refused = r.trace_lines().into_iter().filter(|l| l.rejected).count();
    assert_eq!(refused, 3);
    assert_eq!(placement(&*r).unwrap().nodes().len(), 4);
}
