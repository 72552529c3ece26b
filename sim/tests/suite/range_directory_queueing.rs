//! Queueing in the range- and directory-sharding models, against answers known from outside the
//! models: hand-worked FIFO arithmetic, the Pollaczek–Khinchine mean for an M/D/1 queue (Poisson
//! arrivals, a fixed service time: W = S + λS² / (2(1 − λS))), and the throughput of a saturated
//! server (it completes one request per service time, so an arrival rate ρ times that loses
//! 1 − 1/ρ of its requests once its bounded queue is full). Both models use fixed service times,
//! hence M/D/1 rather than M/M/1. Also runs as wasm32 (the long runs are native only).

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use sim::engine::Simulation;
use sim::registry;
use sim::scenario::{Scenario, TimedInput};
use sim::time::SimTime;

fn run(model: &str, params: &[(&str, &str)], inputs: &[&str], secs: u64) -> Box<dyn Simulation> {
    run_seeded(model, params, inputs, secs, 7)
}

fn run_seeded(
    model: &str,
    params: &[(&str, &str)],
    inputs: &[&str],
    secs: u64,
    seed: u64,
) -> Box<dyn Simulation> {
    let mut s = Scenario::new(model, seed, SimTime::from_secs(secs));
    for (k, v) in params {
        s.params.insert((*k).into(), (*v).into());
    }
    s.inputs = inputs
        .iter()
        .map(|t| TimedInput::parse(t).unwrap())
        .collect();
    let mut r = registry::start(&s).unwrap_or_else(|e| panic!("{e}"));
    r.seek(SimTime::from_secs(secs));
    r.validate().unwrap();
    r
}

fn num(run: &dyn Simulation, id: &str) -> f64 {
    run.metrics()
        .get(id)
        .and_then(|v| v.as_f64())
        .unwrap_or_else(|| panic!("no value for {id}"))
}

fn group(run: &dyn Simulation, id: &str) -> Vec<f64> {
    run.metrics()
        .group(id)
        .unwrap_or_else(|| panic!("no group {id}"))
        .values
        .iter()
        .map(|(_, v)| *v)
        .collect()
}

/// Forty sequential ids 1–40 on four ranges (1–10, 11–20, 21–30, 31 and up); new ids land on
/// the last range.
const SIGN_UPS: &[(&str, &str)] = &[
    ("min_id", "1"),
    ("max_id", "10000000"),
    ("boundaries", "10,20,30"),
    ("keys", "40"),
    ("ids", "sequential"),
    ("request_rate", "0"),
];

fn with<'a>(base: &[(&'a str, &'a str)], more: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    base.iter().chain(more).copied().collect()
}

#[test]
fn range_writes_queue_fifo_and_a_full_queue_refuses_by_hand() {
    // Worked by hand, 100 ms a write, one waiting place. At 0: 41 starts at once (done at 100),
    // 42 waits (100 → 200), 43 finds one waiting and is refused. At 150 ms the waiting one has
    // started, so 44 is accepted and waits until 200 (done at 300, 150 ms after it arrived).
    // Latencies 100, 200, 150: mean 150 ms; one drop; 43 is not stored.
    let r = run(
        "range",
        &with(SIGN_UPS, &[("write_ms", "100"), ("queue_limit", "1")]),
        &[
            "0:insert:41",
            "0:insert:42",
            "0:insert:43",
            "150:insert:44",
            "1000:lookup:5",
        ],
        1,
    );
    // Read at 1 s, when the lookup of id 5 (50 ms on Shard 0) has just begun and is not counted.
    assert_eq!(num(&*r, "mean_latency_ms"), 150.0);
    assert_eq!(num(&*r, "shard_dropped"), 1.0);
    assert_eq!(num(&*r, "writes"), 3.0);
    assert_eq!(group(&*r, "keys_per_shard"), [10.0, 10.0, 10.0, 13.0]);
    // The last range's node was busy 300 ms of the run's first second.
    assert_eq!(num(&*r, "busiest_shard_util"), 30.0);
    assert_eq!(group(&*r, "queued_ms_per_shard"), [50.0, 0.0, 0.0, 0.0]);
    let log: Vec<String> = r.trace_lines().into_iter().map(|l| l.text).collect();
    assert!(
        log.iter()
            .any(|l| l == "Shard 3's queue is full: the write of id 43 failed."),
        "{log:#?}"
    );
    assert!(
        log.iter()
            .any(|l| l == "Inserted id 42 on Shard 3, stored in 200 ms (100 ms of it queued)."),
        "{log:#?}"
    );
}

#[cfg(not(target_arch = "wasm32"))]
#[test]
fn one_range_under_poisson_reads_matches_the_m_d_1_mean() {
    // λ = 10 reads/s, S = 50 ms: ρ = 0.5, W = 50 + 10 · 0.05² / (2 · 0.5) s = 50 + 25 = 75 ms.
    // 2,000 s give about 20,000 reads; 5 % covers the sampling error.
    let r = run(
        "range",
        &[
            ("boundaries", ""),
            ("keys", "30"),
            ("request_rate", "10"),
            ("read_ms", "50"),
            ("queue_limit", "10000"),
        ],
        &[],
        2_000,
    );
    let w = num(&*r, "mean_latency_ms");
    assert!((w / 75.0 - 1.0).abs() < 0.05, "W = {w} ms, theory 75");
    assert_eq!(num(&*r, "shard_dropped"), 0.0);
    let util = num(&*r, "busiest_shard_util");
    assert!((util - 50.0).abs() < 2.0, "ρ = {util} %, theory 50");
}

#[cfg(not(target_arch = "wasm32"))]
#[test]
fn the_hot_last_range_saturates_while_the_others_idle() {
    // Sequential ids at 20 writes/s, 100 ms a write: the last range is offered ρ = 2. Saturated,
    // it completes 10 writes a second, so half the writes fail once its 100 places are full,
    // and a write that gets in waits behind 100 others: 100 · 100 ms + its own 100 ms = 10.1 s.
    let r = run(
        "range",
        &with(
            SIGN_UPS,
            &[
                ("insert_rate", "20"),
                ("write_ms", "100"),
                ("queue_limit", "100"),
            ],
        ),
        &[],
        600,
    );
    let dropped = num(&*r, "shard_dropped");
    let accepted = num(&*r, "writes");
    let share = dropped / (dropped + accepted);
    assert!(
        (share - 0.5).abs() < 0.03,
        "dropped {share}, theory 1 − 1/ρ = 0.5"
    );
    let p99 = num(&*r, "p99_latency_ms");
    assert!(
        (9_500.0..10_400.0).contains(&p99),
        "p99 {p99} ms, theory 10,100"
    );
    assert!(num(&*r, "busiest_shard_util") > 99.0);
    let queued = group(&*r, "queued_ms_per_shard");
    assert_eq!(&queued[..3], [0.0; 3], "the other ranges idle");
    assert!(queued[3] > 9_000.0, "a full queue: {queued:?}");
    // The same writes spread by hash: each shard is offered about 5 a second (ρ ≈ 0.5), so each
    // is an M/D/1 queue with W = 100 + 5 · 0.1² / (2 · 0.5) s = 150 ms, and nothing is dropped.
    let hashed = run(
        "range",
        &with(
            SIGN_UPS,
            &[
                ("insert_rate", "20"),
                ("write_ms", "100"),
                ("partition", "hash"),
            ],
        ),
        &[],
        1_000,
    );
    assert_eq!(num(&*hashed, "shard_dropped"), 0.0);
    let w = num(&*hashed, "mean_latency_ms");
    assert!((w / 150.0 - 1.0).abs() < 0.08, "W = {w} ms, theory 150");
}

#[test]
fn a_queueing_range_run_is_a_function_of_seed_params_and_inputs() {
    let params = with(
        SIGN_UPS,
        &[
            ("insert_rate", "30"),
            ("request_rate", "20"),
            ("queue_limit", "5"),
        ],
    );
    let script = ["2000:add-shard", "4000:scan:1-60", "6000:lookup:12"];
    let digest = |seed: u64| {
        let r = run_seeded("range", &params, &script, 10, seed);
        assert!(num(&*r, "shard_dropped") > 0.0, "the hot range drops");
        (r.digest(), r.trace_len(), num(&*r, "p99_latency_ms"))
    };
    assert_eq!(digest(11), digest(11));
    assert_ne!(digest(11).0, digest(12).0);
}

/// Directory defaults with caching off: every request asks the directory, then the shard.
const NO_CACHE: &[(&str, &str)] = &[("cache_ttl_ms", "0")];

#[cfg(not(target_arch = "wasm32"))]
#[test]
fn an_uncached_directory_is_an_m_d_1_queue() {
    // Instant shards, a 2 ms directory, 250 requests/s: ρ = 0.5 and
    // W = 2 + 0.25 · 2² / (2 · 0.5) ms = 2 + 1 = 3 ms.
    let r = run(
        "directory",
        &with(
            NO_CACHE,
            &[
                ("shard_latency_ms", "0"),
                ("directory_latency_ms", "2"),
                ("request_rate", "250"),
            ],
        ),
        &[],
        200,
    );
    let w = num(&*r, "mean_latency_ms");
    assert!((w / 3.0 - 1.0).abs() < 0.05, "W = {w} ms, theory 3");
    let util = num(&*r, "directory_util");
    assert!((util - 50.0).abs() < 2.0, "ρ = {util} %, theory 50");
    assert_eq!(num(&*r, "directory_dropped"), 0.0);
}

#[cfg(not(target_arch = "wasm32"))]
#[test]
fn a_saturated_directory_drops_one_minus_one_over_rho_and_a_cache_relieves_it() {
    // A 3 ms directory can answer 333 lookups a second; 400 requests/s offer ρ = 1.2, so once
    // its queue is full it refuses 1 − 1/1.2 = 1/6 of them, and a lookup that gets in waits
    // behind 100 others (about 300 ms).
    let load = [
        ("shard_latency_ms", "1"),
        ("directory_latency_ms", "3"),
        ("request_rate", "400"),
    ];
    let r = run("directory", &with(NO_CACHE, &load), &[], 300);
    let share = num(&*r, "directory_dropped") / num(&*r, "requests");
    assert!(
        (share - 1.0 / 6.0).abs() < 0.02,
        "dropped {share}, theory 1/6"
    );
    assert!(num(&*r, "directory_util") > 99.0);
    let p99 = num(&*r, "p99_latency_ms");
    assert!((290.0..320.0).contains(&p99), "p99 {p99} ms, theory ≈ 304");
    // Cached for 1 s, at most one lookup per client and tenant a second reaches it (4 · 12 = 48
    // a second, ρ ≤ 0.15): nothing is dropped and requests take about the shard's 1 ms.
    let cached = run(
        "directory",
        &with(&[("cache_ttl_ms", "1000")], &load),
        &[],
        30,
    );
    assert_eq!(num(&*cached, "directory_dropped"), 0.0);
    assert!(num(&*cached, "directory_util") < 15.0);
    assert!(num(&*cached, "p50_latency_ms") < 1.1);
}

#[test]
fn a_queueing_directory_run_is_a_function_of_seed_params_and_inputs() {
    let params = with(
        NO_CACHE,
        &[
            ("directory_latency_ms", "3"),
            ("request_rate", "400"),
            ("queue_limit", "20"),
        ],
    );
    let script = [
        "1000:add-shard",
        "2000:move-tenant:acme:4",
        "3000:directory-down",
    ];
    let digest = |seed: u64| {
        let r = run_seeded("directory", &params, &script, 5, seed);
        assert!(num(&*r, "directory_dropped") > 0.0);
        (r.digest(), r.trace_len(), num(&*r, "p99_latency_ms"))
    };
    assert_eq!(digest(3), digest(3));
    assert_ne!(digest(3).0, digest(4).0);
}
