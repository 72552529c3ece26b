//! Capacity in the hot-keys model: shard and cache nodes that take time per request, queue first
//! in first out and drop when full; a sharded cache; local caches with a TTL; copies of the hot
//! key across cache nodes. The expected figures are worked by hand in each test from queueing and
//! renewal theory (utilisation = arrival rate × service time; a queue offered more than it can
//! serve drops about 1 − 1/ρ; a server idle a share 1 − ρ of the time answers over half its
//! requests at once when ρ < ½; a TTL cache misses once per TTL plus the wait for the next read),
//! not read back from the model. Figures pinned from the model's own output are named so.
//! Also runs as wasm32.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use sim::engine::{Run, Simulation};
use sim::models::hot_keys::{key_name, shard_of, HotKeys};
use sim::time::SimTime;

use crate::common;
use common::metric;

/// A run with the model's defaults (1,000 users on 8 shards, 200 req/s, 10 % writes, uniform,
/// every capacity feature off) and `params` on top, seed 5, validated at the end.
fn run(params: &[(&str, &str)], inputs: &[&str], until_ms: u64) -> Run<HotKeys> {
    let until = SimTime::from_ms(until_ms);
    let r = common::run_at::<HotKeys>(
        &common::scenario("hot-keys", 5, until, params, inputs),
        until,
    );
    common::assert_all_accepted(&r);
    r
}

#[test]
fn a_shard_nodes_utilisation_is_its_arrival_rate_times_its_service_time() {
    // By hand: no celebrity, 200 req/s over 1,000 users, 15 ms a request. Shard s holds k_s
    // users (counted here from jump hash directly), so it is offered 200 × k_s / 1000 requests a
    // second and is busy ρ_s = 200 × k_s / 1000 × 0.015 of the time: 0.375 for an even eighth.
    // 60 s gives each shard ~1,500 requests, so Poisson noise is ~2.6 %; allow 8 % relative.
    let r = run(
        &[("celebrity_share", "0"), ("shard_op_us", "15000")],
        &[],
        60_000,
    );
    let mut users = [0u64; 8];
    for id in 0..1000 {
        users[shard_of(&key_name(id), 8) as usize] += 1;
    }
    let servers = r.model().shard_servers();
    assert_eq!(servers.len(), 8, "one server per shard (no replicas)");
    for (s, server) in servers.iter().enumerate() {
        let rho = 200.0 * users[s] as f64 / 1000.0 * 0.015;
        let got = server.utilisation_percent(SimTime::from_ms(60_000)) / 100.0;
        assert!(
            (got / rho - 1.0).abs() < 0.08,
            "shard {s}: utilisation {got:.3}, λS = {rho:.3}"
        );
        assert_eq!(server.dropped, 0, "ρ ≈ 0.4 never fills a 100-place queue");
    }
    // Below ρ = ½ more than half the requests find their shard idle (an M/G/1 server is idle a
    // share 1 − ρ of the time, and Poisson arrivals see time averages), so the median read takes
    // exactly one service time: 15 ms, within the histogram's 1/32 bucket.
    let p50 = metric(&r, "read_p50_ms");
    assert!((p50 - 15.0).abs() <= 15.0 / 32.0, "p50 {p50} ms");
    assert!(metric(&r, "read_p99_ms") > 15.0, "some reads queue");
}

#[test]
fn the_celebrity_shard_saturates_and_drops_about_one_minus_one_over_rho() {
    // By hand: the celebrity takes 30 % of 200 req/s; its shard also holds k of the 1,000 users,
    // so it is offered λ = 200 × (0.3 + 0.7 × k / 1000) a second. At 15 ms a request ρ = λ × 0.015
    // > 1: it is busy all the time, and once its 20-place queue is full (after about
    // 20 / (λ − 66.7) s) it drops a share 1 − 1/ρ of what it is offered (M/D/1/K with ρ > 1; a
    // finite queue drops a little more). Every other shard is offered 140 × k_s / 1000 a second.
    let until = 60_000;
    let r = run(
        &[
            ("celebrity_share", "30"),
            ("shard_op_us", "15000"),
            ("queue_limit", "20"),
        ],
        &[],
        until,
    );
    let m = r.model();
    let hot = m.celebrity_shards()[0] as usize;
    let k = (0..1000)
        .filter(|id| shard_of(&key_name(*id), 8) as usize == hot)
        .count() as f64;
    let lambda = 200.0 * (0.3 + 0.7 * k / 1000.0);
    let rho = lambda * 0.015;
    assert!(
        rho > 1.1,
        "the setup overloads the celebrity's shard (ρ = {rho})"
    );
    let servers = m.shard_servers();
    let now = SimTime::from_ms(until);
    assert!(servers[hot].utilisation_percent(now) > 99.0);
    let offered = servers[hot].requests + servers[hot].dropped;
    let dropped = servers[hot].dropped as f64 / offered as f64;
    let theory = 1.0 - 1.0 / rho;
    assert!(
        dropped > theory - 0.03 && dropped < theory + 0.04,
        "dropped {dropped:.3} of the hot shard's requests, 1 − 1/ρ = {theory:.3}"
    );
    for (s, server) in servers.iter().enumerate().filter(|(s, _)| *s != hot) {
        assert_eq!(server.dropped, 0, "shard {s} is far from full");
        assert!(server.utilisation_percent(now) < 40.0, "shard {s}");
    }
    // Every dropped request is a failed request the model counts.
    assert_eq!(
        m.load().shard_drops,
        servers.iter().map(|s| s.dropped).sum::<u64>()
    );
    // The tail is the full queue: (20 waiting + 1 in service) × 15 ms = 315 ms at most.
    let p99 = metric(&r, "read_p99_ms");
    assert!(p99 > 250.0 && p99 <= 315.0, "p99 {p99} ms");
}

#[test]
fn a_cache_nodes_utilisation_is_its_operations_rate_times_its_service_time() {
    // By hand: one user, all 200 reads a second for it (no writes), a cache on 4 nodes at 1 ms
    // an operation. The key lives on one node, which serves 200 gets a second: ρ = 0.2. The
    // others serve nothing. (One miss at the start adds a set: negligible over 30 s.)
    let r = run(
        &[
            ("keys", "1"),
            ("celebrity_share", "0"),
            ("write_percent", "0"),
            ("cache_size", "4"),
            ("cache_nodes", "4"),
            ("cache_op_us", "1000"),
        ],
        &[],
        30_000,
    );
    let m = r.model();
    let home = m.cache_node_of(0) as usize;
    let now = SimTime::from_ms(30_000);
    for (i, s) in m.cache_servers().iter().enumerate() {
        let u = s.utilisation_percent(now) / 100.0;
        if i == home {
            assert!((u / 0.2 - 1.0).abs() < 0.05, "node {i}: {u}, λS = 0.2");
        } else {
            assert_eq!(s.requests, 0, "node {i} holds nothing");
        }
    }
    // Utilisation 0.2 and 1 ms per get: the median read finds the node idle and takes 1 ms.
    let p50 = metric(&r, "read_p50_ms");
    assert!((p50 - 1.0).abs() <= 1.0 / 32.0, "p50 {p50} ms");
}

#[test]
fn the_celebrity_pins_one_cache_node_and_doubling_the_nodes_does_not_free_it() {
    // The lesson's `cache-nodes` setup, worked by hand: the celebrity alone costs its cache node
    // 135 reads + 15 deletes + up to 15 refills a second, 165 × 5 ms ≈ 0.83 of it, before any
    // other key; any share of the other 350 requests a second pushes it past 1. So it is busy
    // all the time with 4 nodes and with 8, and only it drops.
    for nodes in ["4", "8"] {
        let r = run(
            &[
                ("celebrity_share", "30"),
                ("keys", "200"),
                ("request_rate", "500"),
                ("cache_size", "200"),
                ("cache_nodes", nodes),
                ("cache_op_us", "5000"),
            ],
            &[],
            20_000,
        );
        let m = r.model();
        let hot = m.celebrity_cache_nodes()[0] as usize;
        let now = SimTime::from_ms(20_000);
        for (i, s) in m.cache_servers().iter().enumerate() {
            if i == hot {
                assert!(s.utilisation_percent(now) > 99.0, "{nodes} nodes: node {i}");
                assert!(s.dropped > 0, "{nodes} nodes: the hot node drops");
            } else {
                assert!(s.utilisation_percent(now) < 70.0, "{nodes} nodes: node {i}");
                assert_eq!(s.dropped, 0, "{nodes} nodes: node {i}");
            }
        }
        assert!(metric(&r, "cache_dropped") > 0.0);
    }
}

#[test]
fn copies_spread_a_hot_keys_reads_over_r_nodes_within_binomial_noise() {
    // One user read 200 times a second, stored as 4 copies on 4 cache nodes: each read picks a
    // copy uniformly, so node i's gets are Binomial(n, 1/4): mean n/4, sd √(n · 3/16). Each copy
    // also misses once at the start and is filled by a set.
    let r = run(
        &[
            ("keys", "1"),
            ("celebrity_share", "90"),
            ("write_percent", "0"),
            ("cache_size", "4"),
            ("cache_nodes", "4"),
            ("hot_copies", "4"),
        ],
        &[],
        20_000,
    );
    let m = r.model();
    let mut nodes = m.celebrity_cache_nodes();
    nodes.sort_unstable();
    assert_eq!(nodes, [0, 1, 2, 3], "4 copies on 4 different nodes");
    let l = m.load();
    let n = l.reads as f64;
    let sd = (n * 3.0 / 16.0).sqrt();
    for (i, ops) in l.cache_ops.iter().enumerate() {
        let gets = *ops as f64 - 1.0;
        assert!(
            (gets - n / 4.0).abs() < 4.0 * sd,
            "node {i}: {gets} gets of {n} reads (n/4 = {}, sd {sd:.1})",
            n / 4.0
        );
    }
    // One copy, same workload: every read on one node.
    let one = run(
        &[
            ("keys", "1"),
            ("celebrity_share", "90"),
            ("write_percent", "0"),
            ("cache_size", "4"),
            ("cache_nodes", "4"),
        ],
        &[],
        20_000,
    );
    let ops = &one.model().load().cache_ops;
    assert_eq!(ops.iter().filter(|o| **o > 0).count(), 1);
}

#[test]
fn a_write_deletes_every_copy_and_costs_r_operations() {
    // Writes only, one user, 4 copies: each write sends one delete to each of the 4 nodes.
    let r = run(
        &[
            ("keys", "1"),
            ("celebrity_share", "90"),
            ("write_percent", "100"),
            ("cache_size", "4"),
            ("cache_nodes", "4"),
            ("hot_copies", "4"),
        ],
        &[],
        2_000,
    );
    let l = r.model().load();
    assert!(l.writes > 0);
    for (i, ops) in l.cache_ops.iter().enumerate() {
        assert_eq!(*ops, l.writes, "node {i}: one delete per write");
    }
}

#[test]
fn a_local_cache_misses_once_per_ttl_plus_the_wait_for_the_next_read() {
    // Renewal argument, by hand: one app server, one user read 200 times a second, no writes,
    // TTL 100 ms. A miss fills the entry; reads hit for 100 ms; the first read after that
    // misses. Each cycle lasts 100 ms plus the wait for the next Poisson read (mean 5 ms): 105 ms
    // on average, so 10 s hold 10 / 0.105 ≈ 95.2 misses and the hit ratio is
    // 1 − 1/(200 × 0.105) = 1 − 1/21 ≈ 95.2 %. The cycles' spread is small (sd 5 ms each), so
    // the count of misses is 95 ± 1.
    let r = run(
        &[
            ("keys", "1"),
            ("celebrity_share", "90"),
            ("write_percent", "0"),
            ("app_servers", "1"),
            ("l1_size", "1"),
            ("l1_ttl_ms", "100"),
        ],
        &[],
        10_000,
    );
    let l = r.model().load();
    let misses = l.l1_lookups - l.l1_hits;
    assert!((93..=97).contains(&misses), "{misses} misses, about 95");
    let hit = metric(&r, "l1_hit_rate");
    assert!((hit - 100.0 * 20.0 / 21.0).abs() < 0.5, "hit rate {hit}%");
    assert_eq!(l.l1_stale, 0, "no writes, nothing stale");
}

#[test]
fn only_a_local_cache_serves_stale_reads() {
    // One user, writes from 8 app servers: another server's write leaves a local copy stale
    // until its TTL runs out, so stale reads appear; the writer's own copy is dropped, so with a
    // single app server nothing is ever stale; without local caches the metric has no value.
    let base = [
        ("keys", "1"),
        ("celebrity_share", "90"),
        ("write_percent", "20"),
        ("l1_size", "1"),
        ("l1_ttl_ms", "500"),
    ];
    let many = run(&base, &[], 5_000);
    let l = many.model().load();
    assert!(l.l1_stale > 0 && l.l1_stale <= l.l1_hits);
    let mut one = base.to_vec();
    one.push(("app_servers", "1"));
    assert_eq!(run(&one, &[], 5_000).model().load().l1_stale, 0);
    // A TTL of 1 ms with reads 5 ms apart on average: almost every local lookup misses, and the
    // rare hit is fresh unless a write landed in that millisecond.
    let mut short = base.to_vec();
    short.push(("l1_ttl_ms", "1"));
    let s = run(&short, &[], 5_000);
    let ls = s.model().load();
    assert!(
        ls.l1_hits * 5 < ls.l1_lookups,
        "{} of {}",
        ls.l1_hits,
        ls.l1_lookups
    );
    assert!(ls.l1_stale * 10 < l.l1_stale.max(10));
    let off = run(&[("celebrity_share", "30")], &[], 1_000);
    assert!(off.metrics().get("stale_reads").unwrap().as_f64().is_none());
}

#[test]
fn with_every_capacity_feature_off_nothing_queues_and_no_metric_claims_a_latency() {
    let r = run(
        &[("celebrity_share", "30"), ("cache_size", "100")],
        &[],
        3_000,
    );
    let m = r.model();
    assert!(m.cache_servers().is_empty() && m.shard_servers().is_empty());
    for id in [
        "read_p50_ms",
        "read_p99_ms",
        "busiest_shard_util",
        "busiest_cache_util",
        "l1_hit_rate",
    ] {
        assert!(r.metrics().get(id).unwrap().as_f64().is_none(), "{id}");
    }
}

#[test]
fn bad_capacity_inputs_are_refused_with_a_reason() {
    let s = common::scenario(
        "hot-keys",
        1,
        SimTime::from_ms(100),
        &[("cache_size", "10")],
        &["10:cache-nodes:0", "20:cache-nodes:99", "30:cache-nodes:x"],
    );
    let mut r = Run::<HotKeys>::new(&s).unwrap();
    r.seek(SimTime::from_ms(100));
    let rejected: Vec<_> = r.trace_lines().into_iter().filter(|l| l.rejected).collect();
    assert_eq!(rejected.len(), 3);
    assert!(rejected[0].text.contains("1 to 16"), "{}", rejected[0].text);
    assert!(
        rejected[2].text.contains("whole number"),
        "{}",
        rejected[2].text
    );
    r.validate().unwrap();
}
