//! Determinism of the hot-keys model: a run is a function of (seed, params, inputs); pinned
//! digests catch any drift between targets (this file also runs as wasm32); an intervention
//! applied live equals the same intervention scripted; and the variants of compare mode see the
//! very same requests, because routing draws come from their own stream.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use sim::engine::Run;
use sim::models::hot_keys::HotKeys;
use sim::registry;
use sim::scenario::{Input, Scenario, TimedInput};
use sim::time::SimTime;

use crate::common;

fn preset(id: &str) -> Scenario {
    common::preset("hot-keys", Some(id))
}

fn digest_at(s: &Scenario, ms: u64) -> u64 {
    let mut r = registry::start(s).unwrap();
    r.seek(SimTime::from_ms(ms));
    r.digest()
}

#[test]
fn every_preset_gives_the_same_trace_twice_and_another_seed_a_different_one() {
    let lesson = catalog::lesson("hot-keys").unwrap();
    for p in &lesson.presets {
        let s = preset(&p.id);
        assert_eq!(digest_at(&s, 2_500), digest_at(&s, 2_500), "{}", p.id);
        let mut other = s.clone();
        other.seed += 1;
        assert_ne!(digest_at(&s, 2_500), digest_at(&other, 2_500), "{}", p.id);
    }
}

#[test]
fn pinned_digests() {
    // Natively computed; the wasm32 run of this file must agree bit for bit (Zipf weights and
    // Poisson gaps use libm, shares are integer percentages, nothing hashed is a usize).
    for (id, want) in [
        ("celebrity", 0x776a_a81f_2042_4013_u64),
        ("double-shards", 0xbf51_510e_a2dc_2fc1),
        ("all-three", 0x7d30_b29e_28e2_39ef),
        ("zipf", 0xb201_e36e_827e_6bac),
        ("eighty-twenty", 0xb3b7_9a7d_2753_68e0),
    ] {
        let got = digest_at(&preset(id), 3_000);
        assert_eq!(got, want, "{id}: {got:#018x}");
    }
}

#[test]
fn pinned_digests_with_queues_and_local_caches() {
    // Change detectors, natively computed like the ones above (the presets that give nodes a
    // service time, local caches a TTL and the celebrity copies): event times come from the
    // FIFO servers' integer arithmetic, so the wasm32 run must agree bit for bit.
    for (id, want) in [
        ("shard-queues", 0xf205_798a_b253_6900_u64),
        ("cache-nodes", 0xccb7_49ee_3da2_3ca0),
        ("local-cache", 0x7afd_329d_4529_aebf),
        ("hot-copies", 0x32c1_6df2_e136_6a1e),
    ] {
        let got = digest_at(&preset(id), 3_000);
        assert_eq!(got, want, "{id}: {got:#018x}");
    }
}

#[test]
fn a_live_intervention_equals_the_same_one_scripted() {
    let base = preset("celebrity");
    let mut live = registry::start(&base).unwrap();
    live.seek(SimTime::from_ms(1_500));
    live.apply_now(Input::new("split", Some("8")));
    live.seek(SimTime::from_ms(4_000));
    let mut scripted = base.clone();
    scripted
        .inputs
        .push(TimedInput::parse("1500:split:8").unwrap());
    let mut fresh = registry::start(&scripted).unwrap();
    fresh.seek(SimTime::from_ms(4_000));
    assert_eq!(live.digest(), fresh.digest());
    assert_eq!(live.metrics(), fresh.metrics());
}

#[test]
fn compare_variants_see_the_same_requests() {
    let lesson = catalog::lesson("hot-keys").unwrap();
    let base = preset("celebrity");
    let runs: Vec<Run<HotKeys>> = lesson
        .compare
        .iter()
        .map(|v| {
            let s = common::variant(&base, v);
            let mut r = Run::<HotKeys>::new(&s).unwrap();
            r.seek(s.until);
            r
        })
        .collect();
    assert_eq!(runs.len(), 5, "none, split, replicas, cache and all three");
    let first = runs[0].model().load();
    for r in &runs[1..] {
        let l = r.model().load();
        assert_eq!(
            (l.requests, l.reads, l.writes, &l.per_key),
            (first.requests, first.reads, first.writes, &first.per_key),
            "every variant serves the same requests"
        );
    }
}
