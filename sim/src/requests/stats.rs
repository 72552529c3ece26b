//! Latency statistics with exact percentiles, and the per-server and overall reports.
//!
//! [`LatencySamples`] keeps every latency (8 bytes each) and reads percentiles from a sorted
//! copy by the **nearest-rank** rule: the p-quantile of `n` values is the value of rank
//! `⌈p·n⌉` (1-based, at least 1) in ascending order: a value that was actually observed, with
//! at least a share `p` of the values at or below it (Hyndman & Fan, "Sample quantiles in
//! statistical packages", *The American Statistician* 50(4), 1996, definition 1, the inverse
//! of the empirical distribution function). So p50 of `1..=10` is 5, p99 of 1,000 values is the
//! 990th smallest, p999 of 1,000 values is the 999th. Shares are given in parts per million
//! so the rank is integer arithmetic, the same on every target. Unlike the bucketed
//! [`crate::models::queueing::LatencyHistogram`] nothing is rounded: the price is memory, which
//! is why the simulator caps the number of requests.

use crate::requests::ServerId;
use serde::Serialize;

/// Parts per million of p50, p95, p99 and p999 (99.9 %).
pub const P50: u32 = 500_000;
/// p95 in parts per million.
pub const P95: u32 = 950_000;
/// p99 in parts per million.
pub const P99: u32 = 990_000;
/// p999 (the 99.9th percentile) in parts per million.
pub const P999: u32 = 999_000;

/// Every latency recorded, in microseconds, for exact percentiles.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LatencySamples {
    samples: Vec<u64>,
    sum: u128,
}

impl LatencySamples {
    /// Records one latency.
    pub fn record(&mut self, us: u64) {
        self.samples.push(us);
        self.sum += u128::from(us);
    }

    /// How many latencies it holds.
    pub fn count(&self) -> u64 {
        self.samples.len() as u64
    }

    /// The mean in microseconds (`None` when empty).
    pub fn mean_us(&self) -> Option<f64> {
        (!self.samples.is_empty()).then(|| self.sum as f64 / self.samples.len() as f64)
    }

    /// The recorded values in the order they were recorded.
    pub fn values(&self) -> &[u64] {
        &self.samples
    }

    /// The nearest-rank quantile of a share `ppm` (parts per million, clamped to 1,000,000) of
    /// an ascending slice: the value of rank `⌈ppm·n/10⁶⌉`, at least rank 1 (see the module
    /// docs). `None` for an empty slice.
    pub fn nearest_rank(sorted: &[u64], ppm: u32) -> Option<u64> {
        let n = sorted.len() as u64;
        if n == 0 {
            return None;
        }
        let rank = (u64::from(ppm.min(1_000_000)) * n)
            .div_ceil(1_000_000)
            .max(1);
        Some(sorted[(rank - 1) as usize])
    }

    /// The nearest-rank quantile at `ppm` parts per million (sorts a copy: call
    /// [`LatencySamples::summary`] to read several at once).
    pub fn quantile_us(&self, ppm: u32) -> Option<u64> {
        let mut sorted = self.samples.clone();
        sorted.sort_unstable();
        Self::nearest_rank(&sorted, ppm)
    }

    /// Count, mean, p50, p95, p99, p999 and max, from one sort.
    pub fn summary(&self) -> LatencySummary {
        let mut sorted = self.samples.clone();
        sorted.sort_unstable();
        let q = |ppm| Self::nearest_rank(&sorted, ppm);
        LatencySummary {
            count: self.count(),
            mean_us: self.mean_us(),
            p50_us: q(P50),
            p95_us: q(P95),
            p99_us: q(P99),
            p999_us: q(P999),
            max_us: sorted.last().copied(),
        }
    }
}

/// A latency distribution's headline numbers (all `None` when nothing was recorded).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct LatencySummary {
    /// Latencies recorded.
    pub count: u64,
    /// Mean, microseconds.
    pub mean_us: Option<f64>,
    /// Median (nearest rank), microseconds.
    pub p50_us: Option<u64>,
    /// 95th percentile, microseconds.
    pub p95_us: Option<u64>,
    /// 99th percentile, microseconds.
    pub p99_us: Option<u64>,
    /// 99.9th percentile, microseconds.
    pub p999_us: Option<u64>,
    /// Largest, microseconds.
    pub max_us: Option<u64>,
}

/// One server's figures. Counts are per *attempt* sent to this server (a request retried on
/// another server counts once on each); latency is from the moment the balancer sent the
/// attempt to the moment the server finished it, for attempts served in time.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ServerReport {
    /// Its id.
    pub id: ServerId,
    /// Its name.
    pub name: String,
    /// Its state at the time of the report (`up`, `killed`, `draining`, `removed`).
    pub state: &'static str,
    /// Workers behind its queue (the last value, if it changed).
    pub workers: u32,
    /// Attempts sent to it.
    pub received: u64,
    /// Attempts it finished before the client's timeout.
    pub served: u64,
    /// Attempts refused because its queue was full.
    pub dropped: u64,
    /// Attempts the client gave up on (the server may still have finished them: `wasted`).
    pub timed_out: u64,
    /// Attempts that failed with an error (killed while queued or in service, sent to a killed,
    /// draining or removed server).
    pub errors: u64,
    /// Attempts it finished after the client had given up: work done for nobody.
    pub wasted: u64,
    /// Attempts that had to wait in the queue (no worker free on arrival).
    pub waited: u64,
    /// Mean time from arrival at the server to the start of service over the attempts that
    /// started, microseconds.
    pub mean_wait_us: Option<f64>,
    /// Busy worker-time over (workers × the time it existed), 0–1.
    pub utilisation: f64,
    /// Time-weighted mean number of requests waiting in its queue.
    pub mean_queue: f64,
    /// The longest its queue got.
    pub max_queue: u32,
    /// Latency of the attempts it served.
    pub latency: LatencySummary,
}

/// The whole run's figures. Request counts are per *request* (its final outcome after any
/// retries); `arrivals = served + dropped + timed_out + errors + unfinished` always, and
/// `unfinished` is 0 once the run has drained.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    /// Simulated time of the report, microseconds.
    pub now_us: u64,
    /// Requests that arrived.
    pub arrivals: u64,
    /// Requests served.
    pub served: u64,
    /// Requests whose last attempt was dropped by a full queue.
    pub dropped: u64,
    /// Requests whose last attempt timed out.
    pub timed_out: u64,
    /// Requests whose last attempt failed with an error (including "no server available").
    pub errors: u64,
    /// Requests still waiting, queued, in service or about to be retried.
    pub unfinished: u64,
    /// Attempts after the first that were sent to a server (retries).
    pub retries: u64,
    /// Requests whose first attempt found no eligible server (a subset of `errors`). A retry
    /// that finds none ends the request with the previous attempt's outcome instead.
    pub no_server: u64,
    /// End-to-end latency (arrival to final answer, retries included) of served requests.
    pub latency: LatencySummary,
    /// Served requests per simulated second over `[0, now]`.
    pub throughput_per_sec: f64,
    /// Busy worker-time of all servers over their combined worker-time, 0–1.
    pub utilisation: f64,
    /// Per server, by id.
    pub servers: Vec<ServerReport>,
    /// Events processed so far.
    pub events: u64,
    /// The run's digest so far (see [`crate::requests::Simulation::digest`]).
    pub digest: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_by_hand() {
        let v: Vec<u64> = (1..=10).collect();
        assert_eq!(LatencySamples::nearest_rank(&v, P50), Some(5));
        assert_eq!(LatencySamples::nearest_rank(&v, P95), Some(10));
        assert_eq!(LatencySamples::nearest_rank(&v, 100_000), Some(1));
        assert_eq!(LatencySamples::nearest_rank(&v, 0), Some(1));
        assert_eq!(LatencySamples::nearest_rank(&v, 1_000_000), Some(10));
        assert_eq!(LatencySamples::nearest_rank(&[], P50), None);
        let k: Vec<u64> = (1..=1000).collect();
        assert_eq!(LatencySamples::nearest_rank(&k, P99), Some(990));
        assert_eq!(LatencySamples::nearest_rank(&k, P999), Some(999));
    }

    #[test]
    fn summary_reads_unsorted_samples() {
        let mut s = LatencySamples::default();
        for v in [30, 10, 20, 40] {
            s.record(v);
        }
        let sum = s.summary();
        assert_eq!(sum.count, 4);
        assert_eq!(sum.mean_us, Some(25.0));
        assert_eq!(sum.p50_us, Some(20));
        assert_eq!(sum.max_us, Some(40));
        assert_eq!(LatencySamples::default().summary().p50_us, None);
    }
}
