//! Experiments that print the numbers a lesson quotes, with the papers' qualitative claims as
//! assertions: on a skewed trace with one-hit wonders, S3-FIFO (SOSP 2023, §5) and SIEVE
//! (NSDI 2024, §4) miss less than LRU across most cache sizes. Every policy is the crate's own
//! (`cache::lru` for LRU, the one the lessons run); `cache_classic` checks that LRU against a
//! reference.
//!
//! `cargo test -p sim --test suite cache_experiments:: -- --nocapture` prints the table;
//! `cargo test --release -p sim --test suite cache_experiments:: -- --ignored --nocapture` the
//! throughput of every policy in `cache::POLICIES`.
// Slow in a debug wasm build and reads the wall clock: native only.
#![cfg(not(target_arch = "wasm32"))]

use sim::cache::arc::ArcCache;
use sim::cache::belady::Belady;
use sim::cache::lru::Lru;
use sim::cache::s3fifo::S3Fifo;
use sim::cache::sieve::Sieve;
use sim::cache::tinylfu::TinyLfu;
use sim::cache::{annotate_next, build, replay, Outcome, Policy, Request, POLICIES};
use sim::rng::SimRng;

/// Zipf(`alpha`) over `n` keys by inverse CDF (a test-side generator, independent of
/// `cache::workload`).
struct Zipf {
    cdf: Vec<f64>,
}

impl Zipf {
    fn new(n: u64, alpha: f64) -> Self {
        let mut cdf = Vec::with_capacity(n as usize);
        let mut sum = 0.0;
        for i in 1..=n {
            sum += 1.0 / (i as f64).powf(alpha);
            cdf.push(sum);
        }
        for c in &mut cdf {
            *c /= sum;
        }
        Zipf { cdf }
    }

    fn draw(&self, rng: &mut SimRng) -> u64 {
        let u = rng.unit_f64();
        self.cdf.partition_point(|&c| c < u) as u64
    }
}

/// Zipf(1.0) over 10,000 keys, with `one_hit` of the requests going to keys requested once.
fn trace(len: u64, one_hit: f64, seed: u64) -> Vec<Request> {
    let zipf = Zipf::new(10_000, 1.0);
    let mut rng = SimRng::new(seed);
    let mut fresh = 1u64 << 40;
    let mut t: Vec<Request> = (0..len)
        .map(|_| {
            if rng.chance(one_hit) {
                fresh += 1;
                Request::unit(fresh)
            } else {
                Request::unit(zipf.draw(&mut rng))
            }
        })
        .collect();
    annotate_next(&mut t);
    t
}

#[test]
fn s3fifo_and_sieve_miss_less_than_lru_on_skewed_traces_with_one_hit_wonders() {
    let t = trace(100_000, 0.2, 1);
    let sizes = [10u64, 25, 50, 100, 250, 500, 1000, 2000];
    let mut s3_wins = 0;
    let mut sieve_wins = 0;
    println!("size    LRU    S3-FIFO SIEVE  ARC    W-TinyLFU MIN");
    for &c in &sizes {
        let run = |p: &mut dyn Policy| replay(p, &t).miss_ratio();
        let lru = run(&mut Lru::new(c));
        let s3 = run(&mut S3Fifo::new(c));
        let sieve = run(&mut Sieve::new(c));
        let arc = run(&mut ArcCache::new(c));
        let tlfu = run(&mut TinyLfu::new(c));
        let min = run(&mut Belady::new(c));
        println!("{c:<7} {lru:.4} {s3:.4}  {sieve:.4} {arc:.4} {tlfu:.4}    {min:.4}");
        s3_wins += u32::from(s3 < lru);
        sieve_wins += u32::from(sieve < lru);
        assert!(min <= s3.min(sieve).min(arc).min(tlfu).min(lru));
    }
    // "Most cache sizes": strictly more than half of the eight.
    assert!(s3_wins > 4, "S3-FIFO beat LRU at only {s3_wins} of 8 sizes");
    assert!(
        sieve_wins > 4,
        "SIEVE beat LRU at only {sieve_wins} of 8 sizes"
    );
}

#[test]
#[ignore = "a measurement: run with --release --ignored --nocapture"]
fn throughput_on_zipf_08() {
    // The benchmark trace: 1,000,000 requests, Zipf(0.8) over 100,000 keys, capacity
    // 1,000. Wall time is read here only to report; nothing in `sim` sees it.
    let zipf = Zipf::new(100_000, 0.8);
    let mut rng = SimRng::new(42);
    let mut t: Vec<Request> = (0..1_000_000)
        .map(|_| Request::unit(zipf.draw(&mut rng)))
        .collect();
    annotate_next(&mut t);
    let policies: Vec<Box<dyn Policy>> = POLICIES
        .iter()
        .map(|&(id, _)| build(id, 1000, 1).unwrap())
        .collect();
    for mut p in policies {
        let start = std::time::Instant::now();
        let mut hits = 0u64;
        for r in &t {
            hits += u64::from(p.access(r, None) == Outcome::Hit);
        }
        let secs = start.elapsed().as_secs_f64();
        println!(
            "{:<12} {:>6.2} M req/s  hit ratio {:.4}",
            p.id(),
            t.len() as f64 / secs / 1e6,
            hits as f64 / t.len() as f64
        );
    }
}
