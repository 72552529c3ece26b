//! The standard throughput workload of the request simulator, shared by the native benchmark
//! (`tests/suite/requests_throughput.rs`) and, later, the app's in-browser benchmark page, so both
//! measure the same work. Timing is the caller's job: this crate never reads a clock.

use crate::requests::{Arrivals, CostDist, HealthCheckConfig, RetryPolicy, ServerSpec, SimConfig};
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
