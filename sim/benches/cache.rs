//! Native cache-policy throughput: `cargo bench -p sim --bench cache`.
//!
//! Replays the caching benchmark's trace (`sim::bench::cache_trace`: 1,000,000 requests,
//! Zipf(0.8) over 100,000 keys) through each policy at capacity 1,000 with `cache::replay` (no
//! narration, as the miss-ratio sweeps run), and prints one line per policy:
//! `policy=<id> requests_per_sec=<n> hits=<n> miss_ratio=<r>`, the median of five timed runs
//! after one warm-up run, each on a freshly built (empty) cache. Building the cache is not timed.
//! The same figures in wasm: `scripts/bench-cache.sh`.
//!
//! Policies are built by `sim::bench::cache_policy` (`cache::build` with the benchmark's seed).
//!
//! `cargo bench -p sim --bench cache -- mrc` instead times the miss-ratio curve: every policy of
//! `sim::cache::POLICIES` (14, MIN included) at each of the 20 sizes of
//! `sim::bench::MRC_CAPACITIES` (100 to 100,000 objects, log-spaced) on the same trace, one
//! timed pass (the job takes seconds, not microseconds), each size on a fresh cache. It prints
//! the time to build the trace, one line per policy
//! (`mrc policy=<id> ms=<t> requests_per_sec=<n> miss_ratios=<r@size,…>`), the total, and fails
//! when `sim::bench::check_mrc` finds a result that cannot be right (a policy beating MIN). The
//! same job in the sweep worker in a browser: `scripts/bench-cache.sh` (step 3).

use sim::bench::{cache_policy, cache_trace, CACHE_CAPACITY, CACHE_POLICIES};
use std::time::Instant;

fn main() {
    if std::env::args().any(|a| a == "mrc") {
        return mrc();
    }
    let trace = cache_trace();
    let n = trace.len() as f64;
    println!(
        "native: {} requests, Zipf({}) over {} keys, capacity {}, seed {}; median of 5 runs after a warm-up",
        trace.len(),
        sim::bench::CACHE_ZIPF_S,
        sim::bench::CACHE_KEYS,
        CACHE_CAPACITY,
        sim::bench::CACHE_SEED
    );
    for id in CACHE_POLICIES.iter().chain(&["belady"]) {
        let fresh = || cache_policy(id, CACHE_CAPACITY).expect("a benchmark policy");
        let warm = sim::cache::replay(fresh().as_mut(), &trace);
        let mut rates: Vec<f64> = (0..5)
            .map(|_| {
                let mut policy = fresh();
                let start = std::time::Instant::now();
                let stats = sim::cache::replay(policy.as_mut(), &trace);
                let secs = start.elapsed().as_secs_f64();
                assert_eq!(stats, warm, "{id}: a replay is deterministic");
                std::hint::black_box(stats);
                n / secs
            })
            .collect();
        rates.sort_by(f64::total_cmp);
        println!(
            "policy={id} requests_per_sec={:.0} hits={} miss_ratio={:.4}",
            rates[2],
            warm.hits,
            warm.miss_ratio()
        );
    }
}

/// The 20-size × every-policy miss-ratio curve, timed once.
fn mrc() {
    let caps = sim::bench::MRC_CAPACITIES;
    let start = Instant::now();
    let trace = cache_trace();
    let trace_ms = start.elapsed().as_secs_f64() * 1e3;
    println!(
        "native mrc: {} requests, Zipf({}) over {} keys, {} sizes from {} to {} objects, {} policies; \
         trace built (with next uses) in {trace_ms:.0} ms",
        trace.len(),
        sim::bench::CACHE_ZIPF_S,
        sim::bench::CACHE_KEYS,
        caps.len(),
        caps[0],
        caps[caps.len() - 1],
        sim::cache::POLICIES.len()
    );
    let mut curves = Vec::new();
    let replays = Instant::now();
    for &(id, _) in sim::cache::POLICIES {
        let t = Instant::now();
        let misses = sim::bench::mrc_misses(id, &trace, &caps).expect("a listed policy");
        let secs = t.elapsed().as_secs_f64();
        let ratios: Vec<String> = caps
            .iter()
            .zip(&misses)
            .map(|(c, m)| format!("{:.6}@{c}", *m as f64 / trace.len() as f64))
            .collect();
        println!(
            "mrc policy={id} ms={:.0} requests_per_sec={:.0} miss_ratios={}",
            secs * 1e3,
            (trace.len() * caps.len()) as f64 / secs,
            ratios.join(",")
        );
        curves.push((id.to_string(), misses));
    }
    let replay_ms = replays.elapsed().as_secs_f64() * 1e3;
    let check = sim::bench::check_mrc(&trace, &caps, &curves);
    for n in &check.notes {
        println!("mrc note: {n}");
    }
    println!(
        "mrc total: {:.1} s ({:.1} s of replays, {} replays of {} requests); MIN the floor at every size: {}",
        (trace_ms + replay_ms) / 1e3,
        replay_ms / 1e3,
        curves.len() * caps.len(),
        trace.len(),
        if check.problems.is_empty() { "yes" } else { "NO" }
    );
    if !check.problems.is_empty() {
        for p in &check.problems {
            eprintln!("mrc problem: {p}");
        }
        std::process::exit(1);
    }
}
