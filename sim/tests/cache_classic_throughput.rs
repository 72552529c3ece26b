//! Requests per second of the classic policies on the benchmark trace: 1,000,000
//! requests, Zipf(0.8) over 100,000 keys, capacity 1,000, no narration. A measurement, not a
//! test: ignored by default; run it optimised with
//! `cargo test --release -p sim --test cache_classic_throughput -- --ignored --nocapture`.
#![cfg(not(target_arch = "wasm32"))]

use sim::cache::clock::Clock;
use sim::cache::fifo::Fifo;
use sim::cache::lfu::{Aging, Lfu};
use sim::cache::lru::Lru;
use sim::cache::random::RandomEviction;
use sim::cache::sampled::SampledLru;
use sim::cache::slru::Slru;
use sim::cache::two_q::TwoQ;
use sim::cache::{replay, Policy, Request};
use sim::rng::SimRng;

/// Zipf(s) over `n` keys by inverse transform on the cumulative weights (rank 1 = key 0).
fn zipf_trace(n: u64, s: f64, len: u64, seed: u64) -> Vec<Request> {
    let mut cdf = Vec::with_capacity(n as usize);
    let mut total = 0.0;
    for rank in 1..=n {
        total += 1.0 / libm::pow(rank as f64, s);
        cdf.push(total);
    }
    let mut rng = SimRng::new(seed);
    (0..len)
        .map(|_| {
            let u = rng.unit_f64() * total;
            Request::unit(cdf.partition_point(|&c| c < u) as u64)
        })
        .collect()
}

#[test]
#[ignore = "a measurement: run with --release --ignored --nocapture"]
fn requests_per_second_on_zipf_0_8() {
    let trace = zipf_trace(100_000, 0.8, 1_000_000, 1);
    let policies: Vec<Box<dyn Policy>> = vec![
        Box::new(Fifo::new(1_000)),
        Box::new(Lru::new(1_000)),
        Box::new(Lfu::new(1_000, Aging::None)),
        Box::new(Lfu::new(1_000, Aging::Dynamic)),
        Box::new(Clock::new(1_000)),
        Box::new(RandomEviction::new(1_000, 1)),
        Box::new(SampledLru::new(1_000, 5, 1).unwrap()),
        Box::new(Slru::new(1_000, 80).unwrap()),
        Box::new(TwoQ::new(1_000)),
    ];
    for mut p in policies {
        let start = std::time::Instant::now();
        let stats = replay(p.as_mut(), &trace);
        let secs = start.elapsed().as_secs_f64();
        println!(
            "{:12} {:>6.2} M requests/s   miss ratio {:.4}",
            p.id(),
            trace.len() as f64 / secs / 1e6,
            stats.miss_ratio()
        );
        p.validate().unwrap();
    }
}
