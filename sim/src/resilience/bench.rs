//! The traffic-control family's benchmark workloads (issue 14: "decisions per second per
//! limiter natively and in wasm; the time to run the backoff experiment for N = 1…100 clients ×
//! 5 strategies × 20 seeds in the worker"), shared by the native benchmark
//! (`tests/suite/resilience_throughput.rs`) and the sweep worker's benchmark messages
//! (`worker/src/bench.rs`, `tests/e2e/bench/resilience-bench.mjs`), so both time the same work.
//! Timing is the caller's job: this crate never reads a clock.

use crate::resilience::backoff::{run_contention, ContentionConfig, Strategy};
use crate::resilience::limiter::{Algorithm, Budget, Limiter};
use crate::rng::SimRng;

/// The limiter benchmark's budget: 100 per second, a burst of 100.
pub const LIMITER_BUDGET: Budget = Budget {
    limit: 100,
    window_us: 1_000_000,
    burst: 100,
};

/// What one limiter decided on the benchmark stream.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LimiterRun {
    /// Decisions made.
    pub decisions: u64,
    /// Of which admitted.
    pub admitted: u64,
}

/// `decisions` requests arriving at twice [`LIMITER_BUDGET`]'s rate (exponential gaps, mean
/// 5 ms, from seed 1), each decided by one `algorithm` limiter: about half are admitted.
pub fn limiter_run(algorithm: Algorithm, decisions: u64) -> LimiterRun {
    let mut rng = SimRng::new(1);
    let mut limiter = Limiter::new(algorithm, LIMITER_BUDGET);
    let mut t = 0u64;
    let mut admitted = 0;
    for _ in 0..decisions {
        // An exponential gap of mean 5,000 µs (integer, so the stream is the same everywhere).
        let u = rng.unit_f64();
        t += (-libm::log(1.0 - u) * 5_000.0) as u64;
        admitted += u64::from(limiter.decide(t).admitted());
    }
    LimiterRun {
        decisions,
        admitted,
    }
}

/// The backoff grid's totals for one strategy: the classic experiment for every client count in
/// `1..=max_clients`, `seeds` runs each.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BackoffGrid {
    /// Runs made.
    pub runs: u64,
    /// Calls (writes) summed over every run.
    pub calls: u64,
    /// Completion times summed over every run, µs.
    pub completion_us: u64,
}

/// The classic contention experiment (`ContentionConfig::classic`) for `strategy` at every
/// client count `1..=max_clients`, seeds `0..seeds`.
pub fn backoff_grid(
    strategy: Strategy,
    max_clients: u32,
    seeds: u64,
) -> Result<BackoffGrid, String> {
    let mut g = BackoffGrid::default();
    for n in 1..=max_clients {
        for seed in 0..seeds {
            let out = run_contention(&ContentionConfig::classic(n, strategy, seed))
                .map_err(|e| e.to_string())?;
            g.runs += 1;
            g.calls += out.calls;
            g.completion_us += out.completion_us;
        }
    }
    Ok(g)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limiter_stream_admits_about_half_and_the_buckets_agree() {
        let tb = limiter_run(Algorithm::TokenBucket, 20_000);
        assert_eq!(tb.decisions, 20_000);
        assert!((9_000..11_000).contains(&tb.admitted), "{tb:?}");
        assert_eq!(limiter_run(Algorithm::Gcra, 20_000), tb);
    }

    #[test]
    fn the_grid_runs_every_cell() {
        let g = backoff_grid(Strategy::FullJitter, 5, 2).unwrap();
        assert_eq!(g.runs, 10);
        assert!(g.calls >= 2 * (1 + 2 + 3 + 4 + 5));
    }
}
