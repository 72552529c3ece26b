//! Known answers for the hot-keys lesson: the catalogue's Zipf "80/20" figures (C7) computed
//! exactly, the jump-hash placement of the lesson's users, and the load laws of the mechanism
//! over long seeded runs — a celebrity's shard serves its share whatever the shard count, split
//! sub-keys each take share / k, replicas take a third of the reads each, a cache absorbs the
//! celebrity's reads. Also runs as wasm32.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use sim::engine::{Run, Simulation};
use sim::frame::Frame;
use sim::hashing::jump_bucket;
use sim::models::hot_keys::{zipf_top_share, HotKeys};
use sim::models::sharding::{placement, Move, Placement};
use sim::registry;
use sim::time::SimTime;
use sim::workload::Popularity;
use std::num::NonZeroU32;

use crate::common;
use common::metric;

/// A run of the hot-keys model: the lesson's defaults (1,000 users on 8 shards, 200 req/s,
/// 10% writes, uniform popularity) with `params` on top, seed 11.
fn run(params: &[(&str, &str)], inputs: &[&str], until_ms: u64) -> Run<HotKeys> {
    let until = SimTime::from_ms(until_ms);
    let r = common::run_at::<HotKeys>(
        &common::scenario("hot-keys", 11, until, params, inputs),
        until,
    );
    common::assert_all_accepted(&r);
    r
}

fn share(n: u64, total: u64) -> f64 {
    n as f64 * 100.0 / total as f64
}

#[test]
fn c7_caching_the_top_fifth_of_a_million_zipf_keys() {
    // Catalogue C7: the top 20% of 1,000,000 keys get 52% / 71% / 89% / 98% of the requests at
    // s = 0.6 / 0.8 / 1.0 / 1.2. Exactly: H(200000, s) / H(1000000, s).
    let n = 1_000_000;
    let expected = [
        (0.6, 52.383, 52.0),
        (0.8, 70.845, 71.0),
        (1.0, 88.818, 89.0),
        (1.2, 97.729, 98.0),
    ];
    for (s, exact, rounded) in expected {
        let pct = zipf_top_share(n, s, n / 5) * 100.0;
        assert!((pct - exact).abs() < 0.001, "s = {s}: {pct}%");
        assert_eq!(pct.round(), rounded, "s = {s} rounds as the catalogue says");
    }
    // The same figure from the request stream's own Zipf table.
    let Popularity::Zipf(cdf) = Popularity::zipf(n, 1.0) else {
        panic!("a Zipf table")
    };
    let from_cdf = cdf[(n / 5 - 1) as usize] / cdf[(n - 1) as usize];
    assert!((from_cdf - zipf_top_share(n, 1.0, n / 5)).abs() < 1e-12);
    // With 10,000 keys and s = 1.0 it is 84% (the catalogue's D4 check).
    let ten_k = zipf_top_share(10_000, 1.0, 2_000) * 100.0;
    assert!((ten_k - 83.558).abs() < 0.001, "{ten_k}");
}

#[test]
fn the_eighty_twenty_preset_reports_the_exact_top_share() {
    let lesson = catalog::lesson("hot-keys").unwrap();
    let scenario = lesson.scenario(Some("eighty-twenty")).unwrap();
    let mut r = registry::start(&scenario).unwrap();
    r.seek(SimTime::from_ms(3_000));
    let top = metric(r.as_ref(), "cache_top_share");
    assert!((top - 83.558).abs() < 0.001, "ideal hit rate {top}%");
    let lru = metric(r.as_ref(), "cache_hit_rate");
    assert!(
        lru < top,
        "an LRU cache that starts empty hits less than the ideal ({lru}%)"
    );
}

#[test]
fn users_are_placed_by_jump_hash_of_their_names() {
    let r = run(&[("request_rate", "0")], &[], 1);
    let m = r.metrics();
    let keys: Vec<f64> = m
        .group("keys_per_shard")
        .unwrap()
        .values
        .iter()
        .map(|(_, v)| *v)
        .collect();
    assert_eq!(
        keys,
        [122.0, 131.0, 125.0, 125.0, 129.0, 104.0, 133.0, 131.0]
    );
    let eight = NonZeroU32::new(8).unwrap();
    assert_eq!(jump_bucket("user:0", eight), 4);
    assert_eq!(r.model().owners("0").unwrap(), ["4"]);
    assert_eq!(r.model().owners("user 0").unwrap(), ["4"]);
    for id in [1u64, 17, 999] {
        let want = jump_bucket(&format!("user:{id}"), eight).to_string();
        assert_eq!(r.model().owners(&id.to_string()).unwrap(), [want]);
    }
}

#[test]
fn doubling_moves_half_the_users_and_the_celebrity_to_a_new_shard() {
    let r = run(&[("request_rate", "0")], &["0:resize:16"], 1);
    assert_eq!(metric(&r, "moved_keys"), 510.0);
    assert_eq!(metric(&r, "moved_percent"), 51.0);
    assert_eq!(r.model().owners("0").unwrap(), ["15"]);
    // Jump hash only ever moves a key onto one of the new shards.
    for Move { from, to, .. } in r.model().last_moves().unwrap() {
        let (from, to): (u32, u32) = (from.parse().unwrap(), to.parse().unwrap());
        assert!(from < 8 && to >= 8, "{from} → {to}");
    }
    for (n, moved, owner) in [(32, 756.0, "15"), (64, 882.0, "45")] {
        let r = run(&[("request_rate", "0")], &[&format!("0:resize:{n}")], 1);
        assert_eq!(metric(&r, "moved_keys"), moved, "8 → {n}");
        assert_eq!(r.model().owners("0").unwrap(), [owner], "8 → {n}");
    }
}

#[test]
fn the_split_celebrity_hashes_its_eight_sub_keys_to_six_shards() {
    let r = run(&[("request_rate", "0"), ("split", "8")], &[], 1);
    let subs: Vec<String> = (0..8)
        .map(|j| r.model().owners(&format!("0#{j}")).unwrap()[0].clone())
        .collect();
    assert_eq!(subs, ["5", "7", "6", "2", "7", "4", "1", "2"]);
    assert_eq!(
        r.model().owners("0").unwrap(),
        ["5", "7", "6", "2", "4", "1"]
    );
    assert_eq!(r.model().celebrity_shards(), [5, 7, 6, 2, 7, 4, 1, 2]);
    assert_eq!(r.model().owners("0#8"), None, "there are only 8 sub-keys");
    // 999 users plus 8 sub-keys are stored.
    let stored: f64 = r
        .metrics()
        .group("keys_per_shard")
        .unwrap()
        .values
        .iter()
        .map(|(_, v)| v)
        .sum();
    assert_eq!(stored, 1007.0);
}

/// Long runs: 500 requests a second for 60 s, about 30,000 requests.
const LONG_MS: u64 = 60_000;
const FAST: (&str, &str) = ("request_rate", "500");

#[test]
fn a_celebrity_shard_serves_its_share_plus_a_fair_part_of_the_rest() {
    let r = run(&[FAST, ("celebrity_share", "30")], &[], LONG_MS);
    let load = r.model().load();
    assert!(load.requests > 29_000, "{} requests", load.requests);
    // 30% for the celebrity plus 70% spread uniformly over 1,000 users, of which 129 (the
    // celebrity among them) live on its shard 4.
    let expected = 30.0 + 70.0 * 129.0 / 1000.0;
    let loads = r.model().shard_loads();
    let hot = share(loads[4], load.hops());
    assert!(
        (hot - expected).abs() < 1.0,
        "shard 4 served {hot}%, expected {expected}%"
    );
    assert!(
        (metric(&r, "hottest_share") - hot).abs() < 1e-9,
        "it is the busiest shard"
    );
    let observed = metric(&r, "celebrity_share_observed");
    assert!(
        (observed - 30.07).abs() < 1.0,
        "celebrity asked for {observed}%"
    );
    let Frame::Shards(f) = r.frame() else {
        panic!("a shard frame")
    };
    let hot_shards: Vec<u32> = f.shards.iter().filter(|s| s.hot).map(|s| s.index).collect();
    assert_eq!(
        hot_shards,
        [4],
        "only the celebrity's shard is over twice the mean"
    );
    assert!(
        f.keys.iter().any(|k| k.id == 0 && k.hot),
        "the celebrity is drawn hot"
    );
}

#[test]
fn more_shards_never_take_the_celebrity_shard_below_its_share() {
    for (n, shard) in [(16u32, 15usize), (32, 15), (64, 45)] {
        let r = run(
            &[FAST, ("celebrity_share", "30")],
            &[&format!("0:resize:{n}")],
            LONG_MS,
        );
        let load = r.model().load();
        let loads = r.model().shard_loads();
        assert!(
            loads[shard] >= load.celebrity_requests,
            "the celebrity's shard serves every celebrity request"
        );
        let keys = r.metrics().group("keys_per_shard").unwrap().values[shard].1;
        let expected = 30.0 + 70.0 * keys / 1000.0;
        let hottest = metric(&r, "hottest_share");
        assert!(hottest > 29.0, "{n} shards: busiest {hottest}%");
        assert!(
            (hottest - expected).abs() < 1.2,
            "{n} shards: {hottest}% vs {expected}%"
        );
        assert!((share(loads[shard], load.hops()) - hottest).abs() < 1e-9);
    }
}

#[test]
fn splitting_k_ways_gives_each_sub_key_share_over_k() {
    // Reads only, copies: each celebrity read picks one of 8 sub-keys uniformly.
    let r = run(
        &[
            FAST,
            ("celebrity_share", "30"),
            ("split", "8"),
            ("write_percent", "0"),
        ],
        &[],
        LONG_MS,
    );
    let load = r.model().load();
    let per_sub = load.celebrity_requests as f64 / 8.0;
    // Binomial(n ≈ 9,000, 1/8): σ ≈ 31; allow 4σ.
    for (j, hops) in load.sub_hops.iter().enumerate() {
        assert!(
            (*hops as f64 - per_sub).abs() < 125.0,
            "sub-key #{j} served {hops}, expected about {per_sub}"
        );
        let pct = share(*hops, load.requests);
        assert!(
            (pct - 30.07 / 8.0).abs() < 0.5,
            "sub-key #{j}: {pct}% of requests"
        );
    }
    // Shards 2 and 7 hold two sub-keys each: about 2 × 3.75% + 70% × their users' share.
    let loads = r.model().shard_loads();
    let keys = r.metrics().group("keys_per_shard").unwrap().values.clone();
    for s in [2usize, 7] {
        let ordinary = keys[s].1 - 2.0;
        let expected = 30.0 * 2.0 / 8.0 + 70.0 * ordinary / 1000.0;
        let got = share(loads[s], load.hops());
        assert!(
            (got - expected).abs() < 1.0,
            "shard {s}: {got}% vs {expected}%"
        );
    }
    assert_eq!(metric(&r, "read_fanout"), 1.0);
}

#[test]
fn split_fan_out_is_exactly_k_for_copy_writes_and_part_reads() {
    // Copies, all writes: each celebrity write goes to all 8 copies.
    let r = run(
        &[
            FAST,
            ("celebrity_share", "30"),
            ("split", "8"),
            ("write_percent", "100"),
        ],
        &[],
        10_000,
    );
    let l = r.model().load();
    assert_eq!(l.write_hops, l.writes + 7 * l.celebrity_requests);
    // Parts, all reads: each celebrity read gathers all 8 parts.
    let r = run(
        &[
            FAST,
            ("celebrity_share", "30"),
            ("split", "8"),
            ("split_mode", "counter"),
            ("write_percent", "0"),
        ],
        &[],
        10_000,
    );
    let l = r.model().load();
    assert_eq!(l.read_hops, l.reads + 7 * l.celebrity_requests);
    let fanout = metric(&r, "read_fanout");
    assert!(
        (fanout - (1.0 + 7.0 * 0.3007)).abs() < 0.1,
        "read fan-out {fanout}"
    );
}

#[test]
fn replicas_take_a_third_of_the_reads_each_and_no_writes() {
    let r = run(
        &[FAST, ("celebrity_share", "30"), ("replicas", "2")],
        &[],
        LONG_MS,
    );
    let l = r.model().load();
    let (reads, writes): (Vec<u64>, Vec<u64>) = (
        (12..15).map(|i| l.node_reads[i]).collect(),
        (12..15).map(|i| l.node_writes[i]).collect(),
    );
    // Shard 4's nodes are 12 (primary), 13 and 14.
    assert_eq!(&writes[1..], [0, 0], "replicas never serve writes");
    let shard_reads: u64 = reads.iter().sum();
    for (node, n) in reads.iter().enumerate() {
        let third = shard_reads as f64 / 3.0;
        assert!(
            (*n as f64 - third).abs() < 4.0 * (third * 2.0 / 3.0).sqrt(),
            "node {node}: {n} of {shard_reads}"
        );
    }
    // The busiest node is shard 4's primary: its third of the reads plus every write.
    let busiest = metric(&r, "max_node_load");
    assert_eq!(busiest as u64, reads[0] + writes[0]);
    assert!(metric(&r, "max_node_share") < 18.0);
    assert!(
        metric(&r, "hottest_share") > 38.0,
        "the shard as a whole is as hot as before"
    );
}

#[test]
fn a_cache_answers_the_celebrity_after_its_first_read() {
    // Reads only: the celebrity is read 30% of the time, so it never ages out of a 100-user LRU.
    let r = run(
        &[
            FAST,
            ("celebrity_share", "30"),
            ("cache_size", "100"),
            ("write_percent", "0"),
        ],
        &[],
        10_000,
    );
    let lines = r.trace_lines();
    let misses = lines
        .iter()
        .filter(|l| l.text.starts_with("Read user 0 (celebrity): shard"))
        .count();
    let hits = lines
        .iter()
        .filter(|l| l.text.starts_with("Read user 0 (celebrity): cache hit"))
        .count() as u64;
    assert_eq!(
        misses, 1,
        "only the very first read of the celebrity reaches its shard"
    );
    assert_eq!(hits + 1, r.model().load().celebrity_requests);
    // With 10% writes, each write deletes the cached copy and costs one more miss.
    let r = run(
        &[FAST, ("celebrity_share", "30"), ("cache_size", "100")],
        &[],
        10_000,
    );
    let lines = r.trace_lines();
    let misses = lines
        .iter()
        .filter(|l| l.text.starts_with("Read user 0 (celebrity): shard"))
        .count();
    let deleted = lines
        .iter()
        .filter(|l| {
            l.text.starts_with("Write user 0 (celebrity)")
                && l.text.ends_with("cached copy deleted.")
        })
        .count();
    assert!(
        misses == deleted || misses == deleted + 1,
        "{misses} misses, {deleted} deletions"
    );
    let hit_rate = metric(&r, "cache_hit_rate");
    assert!(
        hit_rate > 30.0 && hit_rate < metric(&r, "cache_top_share"),
        "{hit_rate}%"
    );
}

#[test]
fn uniform_requests_load_shards_like_their_key_counts() {
    let r = run(&[FAST, ("celebrity_share", "0")], &[], LONG_MS);
    let hottest = metric(&r, "hottest_share");
    assert!(
        (hottest - 13.3).abs() < 1.0,
        "the shard with 133 of 1,000 users: {hottest}%"
    );
    assert!(metric(&r, "max_mean_ratio") < 1.2);
    let Frame::Shards(f) = r.frame() else {
        panic!("a shard frame")
    };
    assert!(f.shards.iter().all(|s| !s.hot));
}

#[test]
fn zipf_one_point_two_gives_user_zero_about_23_percent() {
    let r = run(
        &[
            FAST,
            ("celebrity_share", "0"),
            ("popularity", "zipf"),
            ("zipf_s", "1.2"),
        ],
        &[],
        LONG_MS,
    );
    // 1 / H(1000, 1.2) = 23.06%.
    let top = zipf_top_share(1000, 1.2, 1) * 100.0;
    assert!((top - 23.064).abs() < 0.001);
    let observed = metric(&r, "celebrity_share_observed");
    assert!((observed - top).abs() < 1.0, "user 0 got {observed}%");
}

#[test]
fn bad_inputs_are_refused_and_change_nothing() {
    let mut s = common::scenario(
        "hot-keys",
        1,
        SimTime::from_ms(10),
        &[("request_rate", "0")],
        &[
            "0:remove-shard:3",
            "0:resize:0",
            "0:resize:65",
            "0:split:0",
            "0:split:65",
            "0:cache:2001",
            "0:celebrity:1000",
            "0:celebrity:0#1",
            "0:add-keys:9001",
            "0:remove-replica",
            "0:teleport",
        ],
    );
    let mut r = registry::start(&s).unwrap();
    r.seek(SimTime::from_ms(10));
    let refused = r.trace_lines().into_iter().filter(|l| l.rejected).count();
    assert_eq!(refused, 11);
    assert_eq!(placement(&*r).unwrap().nodes().len(), 8);
    assert_eq!(placement(&*r).unwrap().owners("0").unwrap(), ["4"]);
    r.validate().unwrap();
    // The last shard can go, by name or without one.
    s.inputs = common::inputs(&["0:remove-shard:7", "0:remove-shard"]);
    let mut r = registry::start(&s).unwrap();
    r.seek(SimTime::from_ms(10));
    assert_eq!(placement(&*r).unwrap().nodes().len(), 6);
    // A celebrity that is not one of the users is a parameter error.
    s.inputs.clear();
    s.params.insert("celebrity".into(), "1000".into());
    let err = registry::start(&s).err().expect("refused").to_string();
    assert!(err.contains("celebrity"), "{err}");
}
