//! Simulated requests per second, natively: a benchmark, not a test of speed (it asserts only
//! that each run is sane). The same workload and strategies run in the browser's worker
//! (`tests/e2e/bench/requests-bench.mjs`). Run it in release:
//! `cargo test -p sim --release --test suite requests_throughput:: -- --ignored --nocapture`.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use sim::requests::bench::{bench_run, BENCH_STRATEGIES};
use std::time::Instant;

#[test]
#[ignore]
fn simulated_requests_per_second() {
    let n = 1_000_000;
    let all = Instant::now();
    let mut total = 0;
    for name in BENCH_STRATEGIES {
        let t0 = Instant::now();
        let r = bench_run(name, n, 1).unwrap();
        let s = t0.elapsed().as_secs_f64();
        total += r.requests;
        println!(
            "{name}: {} requests, {} events in {s:.2} s = {:.0} requests/s, {:.0} events/s \
             (report with exact percentiles included); p99 {} µs",
            r.requests,
            r.events,
            r.requests as f64 / s,
            r.events as f64 / s,
            r.p99_us
        );
    }
    let s = all.elapsed().as_secs_f64();
    println!(
        "all {} strategies: {total} requests in {s:.2} s = {:.0} requests/s",
        BENCH_STRATEGIES.len(),
        total as f64 / s
    );
}
