//! Simulated requests per second, natively: a benchmark, not a test of speed (it asserts only
//! that the run is sane). Run it in release:
//! `cargo test -p sim --release --test suite requests_throughput:: -- --ignored --nocapture`.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use sim::requests::bench::bench_config;
use sim::requests::{Balancer, RoundRobin, Simulation, UniformRandom};
use std::time::Instant;

type MakeBalancer = fn() -> Box<dyn Balancer>;

#[test]
#[ignore]
fn simulated_requests_per_second() {
    let n = 2_000_000;
    let strategies: [(&str, MakeBalancer); 2] = [
        ("round robin", || Box::new(RoundRobin::new())),
        ("random", || Box::new(UniformRandom::new())),
    ];
    for (name, make) in strategies {
        let t0 = Instant::now();
        let mut sim = Simulation::new(bench_config(n), make(), 1).unwrap();
        while sim.step().unwrap() {}
        let run_s = t0.elapsed().as_secs_f64();
        let t1 = Instant::now();
        let r = sim.report();
        let report_s = t1.elapsed().as_secs_f64();
        assert_eq!(r.arrivals, r.served + r.dropped + r.timed_out + r.errors);
        println!(
            "{name}: {} requests, {} events in {run_s:.2} s = {:.0} requests/s, {:.0} events/s \
             (report with exact percentiles: {report_s:.2} s); p99 {} µs",
            r.arrivals,
            r.events,
            r.arrivals as f64 / run_s,
            r.events as f64 / run_s,
            r.latency.p99_us.unwrap()
        );
    }
}
