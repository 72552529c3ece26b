//! Determinism of the cross-shard-queries model: the same seed and inputs give the same trace
//! digest and metrics, seeking backwards and forwards (checkpoint restores) changes nothing, and
//! runs that differ only in the shard count see the very same queries (compare mode's promise).
//! The pinned digest also runs as wasm32, so any drift in the float sampler between targets
//! fails here.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use sim::engine::{Run, Simulation};
use sim::models::scatter_gather::ScatterGather;
use sim::registry;
use sim::scenario::Scenario;
use sim::time::SimTime;

fn preset(id: Option<&str>) -> Scenario {
    catalog::lesson("cross-shard-queries")
        .unwrap()
        .scenario(id)
        .unwrap()
}

fn finished(s: &Scenario) -> Box<dyn Simulation> {
    let mut r = registry::start(s).unwrap();
    r.seek(s.until);
    r
}

#[test]
fn same_seed_and_inputs_give_the_same_trace() {
    for id in [
        None,
        Some("by-key"),
        Some("by-attribute-64"),
        Some("slow-shard"),
        Some("global-index"),
        Some("mixed"),
    ] {
        let s = preset(id);
        let (a, b) = (finished(&s), finished(&s));
        assert_eq!(a.digest(), b.digest(), "{id:?}");
        assert_eq!(a.metrics(), b.metrics(), "{id:?}");
        let mut other = s.clone();
        other.seed += 1;
        assert_ne!(
            a.digest(),
            finished(&other).digest(),
            "{id:?}: the seed matters"
        );
    }
}

#[test]
fn seeking_back_and_forth_replays_the_same_run() {
    let mut s = preset(Some("slow-shard"));
    s.inputs.push("3000:query:by-attribute".parse().unwrap());
    let straight = finished(&s);
    let mut r = registry::start(&s).unwrap();
    for ms in [7_000, 1_500, 9_000, 2_500, 10_000] {
        r.seek(SimTime::from_ms(ms));
        r.validate().unwrap();
    }
    assert_eq!(r.digest(), straight.digest());
    assert_eq!(r.metrics(), straight.metrics());
    assert_eq!(r.frame(), straight.frame());
}

#[test]
fn different_shard_counts_see_the_same_queries() {
    let issued = |shards: &str, index: &str| {
        let mut s = preset(Some("by-attribute-4"));
        s.params.insert("shards".into(), shards.into());
        s.params.insert("index".into(), index.into());
        let mut r = Run::<ScatterGather>::new(&s).unwrap();
        r.seek(s.until);
        r.model().queries_issued()
    };
    let four = issued("4", "none");
    assert!(four > 900);
    assert_eq!(issued("64", "none"), four);
    assert_eq!(issued("64", "global"), four);
}

#[test]
fn pinned_digest() {
    // If this changes, every saved link to this lesson replays differently: update on purpose.
    let r = finished(&preset(Some("mixed")));
    assert_eq!(format!("{:016x}", r.digest()), "d1168c484808e248");
}
