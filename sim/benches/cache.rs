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

use sim::bench::{cache_policy, cache_trace, CACHE_CAPACITY, CACHE_POLICIES};

fn main() {
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
