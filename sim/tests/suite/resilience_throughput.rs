//! Rate-limiter decisions per second and the backoff experiment's grid time, natively: a
//! benchmark, not a test of speed (it asserts only that each run is sane). The same workloads
//! run in the browser's worker (`tests/e2e/bench/resilience-bench.mjs`). Run it in release:
//! `cargo test -p sim --release --test suite resilience_throughput:: -- --ignored --nocapture`.
#![cfg(not(target_arch = "wasm32"))] // std::time::Instant: native only

use sim::resilience::backoff::Strategy;
use sim::resilience::bench::{backoff_grid, limiter_run};
use sim::resilience::limiter::Algorithm;
use std::time::Instant;

#[test]
#[ignore]
fn limiter_decisions_per_second() {
    let n = 10_000_000;
    for alg in Algorithm::ALL {
        let t0 = Instant::now();
        let r = limiter_run(alg, n);
        let s = t0.elapsed().as_secs_f64();
        println!(
            "{}: {} decisions, {} admitted in {s:.3} s = {:.0} decisions/s",
            alg.id(),
            r.decisions,
            r.admitted,
            r.decisions as f64 / s
        );
        assert!(r.admitted > n / 3 && r.admitted < n);
    }
}

#[test]
#[ignore]
fn backoff_grid_time() {
    let all = Instant::now();
    for s in Strategy::CLASSIC {
        let t0 = Instant::now();
        let g = backoff_grid(s, 100, 20).unwrap();
        println!(
            "{}: {} runs, {} calls in {:.3} s",
            s.id(),
            g.runs,
            g.calls,
            t0.elapsed().as_secs_f64()
        );
        assert_eq!(g.runs, 2_000);
    }
    println!(
        "backoff grid N=1..100 x 5 strategies x 20 seeds: {:.2} s",
        all.elapsed().as_secs_f64()
    );
}
