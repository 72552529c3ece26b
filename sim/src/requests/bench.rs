//! The standard throughput workload of the request simulator, shared by the native benchmark
//! (`tests/suite/requests_throughput.rs`) and the sweep worker's benchmark message
//! (`worker/src/bench.rs`), so both measure the same work. Timing is the caller's job: this crate never reads a clock.

use crate::requests::{
    Arrivals, Balancer, CostDist, HealthCheckConfig, RetryPolicy, RoundRobin, ServerSpec,
    SimConfig, Simulation, UniformRandom,
};
use crate::time::SimTime;

/// Ten servers of four workers each, Poisson arrivals at 80 % of their capacity, exponential
/// costs of mean 10 ms, a 100 ms timeout with one retry on another server, health checks
/// every second: about `requests` arrivals, nothing recorded.
pub fn bench_config(requests: u64) -> SimConfig {
    let mean_us = 10_000.0;
    let rate_per_sec = 0.8 * 40.0 * 1e6 / mean_us; // 3,200 per second
    let duration = SimTime::from_us((requests as f64 / rate_per_sec * 1e6) as u64);
    let servers = (0..10)
        .map(|i| ServerSpec::new(&format!("s{i}")).workers(4))
        .collect();
    let mut cfg = SimConfig::new(
        servers,
        Arrivals::Poisson { rate_per_sec },
        CostDist::Exponential { mean_us },
        duration,
    );
    cfg.timeout_us = Some(100_000);
    cfg.retry = RetryPolicy::next_upstream(1);
    cfg.health = Some(HealthCheckConfig::default());
    cfg.max_requests = requests + requests / 10 + 1_000;
    cfg.max_events = 1_000_000_000;
    cfg
}

/// The eight strategies the throughput benchmarks run on [`bench_config`], as the load-balancer
/// model names them: the native benchmark (`tests/suite/requests_throughput.rs`) and the worker's
/// (`worker/src/bench.rs`, `tests/e2e/bench/requests-bench.mjs`) run the same list.
pub const BENCH_STRATEGIES: [&str; 8] = [
    "round-robin",
    "weighted-round-robin",
    "least-connections",
    "peak-ewma",
    "p2c-peak-ewma",
    "random",
    "power-of-d",
    "consistent-hash",
];

/// The balancer one of [`BENCH_STRATEGIES`] names, at the model's defaults (a 10 s decay for
/// peak EWMA, scanning every server or Finagle's two choices; two choices for power of d);
/// `None` for any other name. Least response time is left out: it herds every request onto one
/// server between responses (its module docs), so on this workload most requests time out and
/// the run measures a different mix of events.
pub fn bench_balancer(strategy: &str) -> Option<Box<dyn Balancer>> {
    use crate::balance::strategies::{
        ConsistentHash, LeastConnections, PeakEwma, PowerOfD, WeightedRoundRobin,
    };
    let decay_us = 10_000_000;
    Some(match strategy {
        "round-robin" => Box::new(RoundRobin::new()),
        "weighted-round-robin" => Box::new(WeightedRoundRobin::new()),
        "least-connections" => Box::new(LeastConnections::new(false)),
        "peak-ewma" => Box::new(PeakEwma::new(None, decay_us).ok()?),
        "p2c-peak-ewma" => Box::new(PeakEwma::new(Some(2), decay_us).ok()?),
        "random" => Box::new(UniformRandom::new()),
        "power-of-d" => Box::new(PowerOfD::new(2).ok()?),
        "consistent-hash" => Box::new(ConsistentHash::new(None).ok()?),
        _ => return None,
    })
}

/// What one benchmark run did: the work to divide by the caller's clock.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BenchRun {
    /// Requests that arrived.
    pub requests: u64,
    /// Events the simulator processed.
    pub events: u64,
    /// Requests served.
    pub served: u64,
    /// The 99th percentile of latency, microseconds (0 if nothing was served).
    pub p99_us: u64,
}

/// Runs [`bench_config`]`(requests)` to its end under `strategy` (one of [`BENCH_STRATEGIES`])
/// with `seed`, and reports it (exact percentiles included, as a lesson's metrics need).
pub fn bench_run(strategy: &str, requests: u64, seed: u64) -> Result<BenchRun, String> {
    let balancer =
        bench_balancer(strategy).ok_or_else(|| format!("no benchmark strategy {strategy}"))?;
    let mut sim = Simulation::new(bench_config(requests), balancer, seed)?;
    while sim.step()? {}
    let r = sim.report();
    if r.arrivals != r.served + r.dropped + r.timed_out + r.errors {
        return Err(format!(
            "{strategy}: {} arrivals but {} served, {} dropped, {} timed out, {} errors",
            r.arrivals, r.served, r.dropped, r.timed_out, r.errors
        ));
    }
    Ok(BenchRun {
        requests: r.arrivals,
        events: r.events,
        served: r.served,
        p99_us: r.latency.p99_us.unwrap_or(0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_benchmark_strategy_runs_the_workload_to_its_end() {
        for s in BENCH_STRATEGIES {
            let r = bench_run(s, 5_000, 1).unwrap();
            assert!(r.requests > 4_500 && r.requests < 5_500, "{s}: {r:?}");
            assert!(r.served > r.requests * 9 / 10, "{s}: {r:?}");
            assert!(r.events > r.requests * 2, "{s}: {r:?}");
        }
        assert!(bench_balancer("threshold").is_none());
        assert!(bench_run("nope", 10, 1).is_err());
    }
}
