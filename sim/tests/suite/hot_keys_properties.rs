//! The laws of the hot-keys model, checked with proptest over random setups and random
//! timelines of actions: requests are conserved (cache answers + requests that reached the
//! shards = all requests, and every shard request is counted on exactly one node), no replica
//! ever serves a write, the cache never holds more than its size, the celebrity's shard serves at
//! least every celebrity request however the shards are resized (unsplit, uncached), growing the
//! shard count moves keys only onto new shards, and a run is a function of its seed and inputs.
// proptest needs OS randomness for its own seeds; these laws run natively only.
#![cfg(not(target_arch = "wasm32"))]

use crate::common;

use proptest::prelude::*;
use sim::engine::{Run, Simulation};
use sim::models::hot_keys::HotKeys;
use sim::models::sharding::{Move, Placement};
use sim::scenario::Scenario;
use sim::time::SimTime;

const UNTIL_MS: u64 = 1_500;

/// Random capacity features: cache nodes, copies of the celebrity, local caches, and service
/// times with bounded queues (0 = the feature is off).
fn capacity() -> impl Strategy<Value = Vec<(String, String)>> {
    (
        1u32..=5,
        1u32..=4,
        prop_oneof![Just(0u32), 1u32..=5],
        1u32..=300,
        1u32..=4,
        prop_oneof![Just(0u32), Just(500), Just(3_000)],
        prop_oneof![Just(0u32), Just(1_000), Just(8_000)],
        0u32..=10,
    )
        .prop_map(
            |(nodes, copies, l1, ttl, apps, cache_us, shard_us, limit)| {
                [
                    ("cache_nodes", nodes),
                    ("hot_copies", copies),
                    ("l1_size", l1),
                    ("l1_ttl_ms", ttl),
                    ("app_servers", apps),
                    ("cache_op_us", cache_us),
                    ("shard_op_us", shard_us),
                    ("queue_limit", limit),
                ]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
            },
        )
}

/// A random setup of the model, as parameter overrides.
fn setup() -> impl Strategy<Value = Vec<(String, String)>> {
    (base_setup(), capacity()).prop_map(|(mut a, b)| {
        a.extend(b);
        a
    })
}

fn base_setup() -> impl Strategy<Value = Vec<(String, String)>> {
    (
        1u32..=12,
        1u64..=300,
        any::<prop::sample::Index>(),
        0u32..=90,
        0u32..=100,
        1u32..=10,
        prop_oneof![Just("copies"), Just("counter")],
        0u32..=3,
        0u32..=40,
        prop_oneof![Just("uniform"), Just("zipf")],
        prop_oneof![Just("0.6"), Just("1"), Just("1.4")],
    )
        .prop_map(
            |(shards, keys, celeb, share, writes, split, mode, replicas, cache, pop, s)| {
                let celeb = celeb.index(keys as usize);
                [
                    ("shards", shards.to_string()),
                    ("keys", keys.to_string()),
                    ("celebrity", celeb.to_string()),
                    ("celebrity_share", share.to_string()),
                    ("write_percent", writes.to_string()),
                    ("split", split.to_string()),
                    ("split_mode", mode.to_string()),
                    ("replicas", replicas.to_string()),
                    ("cache_size", cache.to_string()),
                    ("popularity", pop.to_string()),
                    ("zipf_s", s.to_string()),
                    ("request_rate", "300".to_string()),
                ]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect()
            },
        )
}

/// A random action, some of them bound to be refused (which must change nothing).
fn action() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("add-shard".to_string()),
        Just("remove-shard".to_string()),
        (1u32..=20).prop_map(|n| format!("resize:{n}")),
        (1u32..=50).prop_map(|n| format!("add-keys:{n}")),
        (0u32..=320).prop_map(|k| format!("celebrity:{k}")),
        (1u32..=12).prop_map(|k| format!("split:{k}")),
        Just("add-replica".to_string()),
        Just("remove-replica".to_string()),
        (0u32..=60).prop_map(|n| format!("cache:{n}")),
        (1u32..=6).prop_map(|n| format!("cache-nodes:{n}")),
    ]
}

fn timeline() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec((0u64..UNTIL_MS, action()), 0..6).prop_map(|mut v| {
        v.sort();
        v.into_iter().map(|(t, a)| format!("{t}:{a}")).collect()
    })
}

fn scenario(seed: u64, params: &[(String, String)], inputs: &[String]) -> Scenario {
    common::scenario("hot-keys", seed, SimTime::from_ms(UNTIL_MS), params, inputs)
}

/// Checks the conservation laws on the model as it is now.
fn conserved(r: &Run<HotKeys>) -> Result<(), TestCaseError> {
    let m = r.model();
    let l = m.load();
    prop_assert_eq!(
        l.l1_hits
            + l.cache_hits
            + l.cache_drops
            + l.awaiting_shards
            + l.read_queries
            + l.write_queries,
        l.requests
    );
    prop_assert!(l.l1_stale <= l.l1_hits && l.l1_hits <= l.l1_lookups);
    prop_assert_eq!(l.reads + l.writes, l.requests);
    let per = m.replicas() as usize + 1;
    for (i, w) in l.node_writes.iter().enumerate() {
        if i % per != 0 {
            prop_assert_eq!(
                *w,
                0,
                "replica {} of shard {} served a write",
                i % per,
                i / per
            );
        }
    }
    let metrics = r.metrics();
    let sum = |id: &str| -> f64 {
        metrics
            .group(id)
            .unwrap()
            .values
            .iter()
            .map(|(_, v)| v)
            .sum()
    };
    prop_assert_eq!(sum("requests_per_shard"), l.hops() as f64);
    prop_assert_eq!(sum("requests_per_node"), l.hops() as f64);
    for c in m.caches() {
        prop_assert!(c.len() <= c.capacity());
    }
    prop_assert!(l.read_hops + l.write_hops + l.dropped_hops >= l.read_queries + l.write_queries);
    if l.dropped_hops == 0 {
        prop_assert!(l.read_hops >= l.read_queries && l.write_hops >= l.write_queries);
    }
    // Every queue the model builds is bounded (a full one drops).
    for s in m.cache_servers().iter().chain(m.shard_servers()) {
        prop_assert!(s.limit().is_some());
    }
    Ok(())
}

proptest! {
    #![proptest_config(common::config("hot_keys_properties"))]

    /// (1)–(3) At every moment: requests are conserved, replicas serve no writes, the cache
    /// stays within its size, and the model's own invariants hold.
    #[test]
    fn requests_are_conserved_and_replicas_never_write(
        seed in any::<u64>(),
        params in setup(),
        inputs in timeline(),
    ) {
        let mut r = Run::<HotKeys>::new(&scenario(seed, &params, &inputs)).unwrap();
        for t in (0..=UNTIL_MS).step_by(150) {
            r.seek(SimTime::from_ms(t));
            prop_assert_eq!(r.validate(), Ok(()));
            conserved(&r)?;
        }
    }

    /// (4) Unsplit and uncached, the celebrity's shard serves every celebrity request, before
    /// and after any number of resizes: more shards never take it below the celebrity's share.
    #[test]
    fn resizing_never_takes_the_celebrity_shard_below_its_share(
        seed in any::<u64>(),
        params in setup(),
        sizes in prop::collection::vec(1u32..=40, 1..4),
    ) {
        let mut params = params;
        for (k, v) in params.iter_mut() {
            match k.as_str() {
                "split" => *v = "1".to_string(),
                "cache_size" | "l1_size" | "shard_op_us" => *v = "0".to_string(),
                _ => {}
            }
        }
        let step = UNTIL_MS / (sizes.len() as u64 + 1);
        let inputs: Vec<String> = sizes
            .iter()
            .enumerate()
            .map(|(i, n)| format!("{}:resize:{n}", (i as u64 + 1) * step))
            .collect();
        let mut r = Run::<HotKeys>::new(&scenario(seed, &params, &inputs)).unwrap();
        for i in 0..=sizes.len() as u64 {
            // Just before the next resize: the whole period since the last one.
            r.seek(SimTime::from_ms((i + 1) * step - 1));
            let m = r.model();
            let shard = m.celebrity_shards()[0] as usize;
            let load = m.load();
            prop_assert!(
                m.shard_loads()[shard] >= load.celebrity_requests,
                "shard {} served {} requests but the celebrity alone asked {}",
                shard, m.shard_loads()[shard], load.celebrity_requests
            );
            if load.hops() > 0 {
                let hottest = r.metrics().get("hottest_share").and_then(|v| v.as_f64()).unwrap();
                let celeb = r.metrics().get("celebrity_share_observed").and_then(|v| v.as_f64()).unwrap();
                prop_assert!(hottest + 1e-9 >= celeb, "busiest shard {}% < celebrity {}%", hottest, celeb);
            }
        }
    }

    /// (5) Growing the shard count moves keys only onto the new shards (jump hash is
    /// monotone), and shrinking it only off the removed ones.
    #[test]
    fn resizes_move_keys_only_to_or_from_the_changed_shards(
        params in setup(),
        to in 1u32..=30,
    ) {
        let inputs = vec![format!("0:resize:{to}")];
        let mut r = Run::<HotKeys>::new(&scenario(1, &params, &inputs)).unwrap();
        r.seek(SimTime::from_ms(1));
        let from: u32 = params.iter().find(|(k, _)| k == "shards").unwrap().1.parse().unwrap();
        for Move { key, from: a, to: b } in r.model().last_moves().unwrap() {
            let (a, b): (u32, u32) = (a.parse().unwrap(), b.parse().unwrap());
            if to > from {
                prop_assert!(a < from && b >= from, "{} moved {} → {} growing {} → {}", key, a, b, from, to);
            } else {
                prop_assert!(a >= to && b < to, "{} moved {} → {} shrinking {} → {}", key, a, b, from, to);
            }
        }
    }

    /// (6) A run is a function of (seed, params, inputs): the same triple gives the same
    /// digest, and seeking back and forth (through checkpoints) gives the same state.
    #[test]
    fn runs_are_deterministic_and_seeking_is_exact(
        seed in any::<u64>(),
        params in setup(),
        inputs in timeline(),
    ) {
        let s = scenario(seed, &params, &inputs);
        let mut a = Run::<HotKeys>::new(&s).unwrap();
        let mut b = Run::<HotKeys>::new(&s).unwrap();
        a.seek(s.until);
        b.seek(SimTime::from_ms(UNTIL_MS / 3));
        b.seek(s.until);
        prop_assert_eq!(a.digest(), b.digest());
        prop_assert_eq!(a.metrics(), b.metrics());
        let end = a.metrics();
        a.seek(SimTime::from_ms(UNTIL_MS / 2));
        a.seek(s.until);
        prop_assert_eq!(a.metrics(), end);
        prop_assert_eq!(a.frame(), b.frame());
    }
}
