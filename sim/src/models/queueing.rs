//! Servers with capacity: a first-in-first-out queue in front of one worker, optionally bounded,
//! and the latency histogram percentiles are read from. Every model that shows load as a delay
//! (shards, cache nodes, a directory) queues its requests here, so a hot node shows queueing
//! latency and, with a bound, drops — not just a higher count.
//!
//! **How the queue works.** Requests reach a server in time order (a model offers a request only
//! at the moment it arrives), so the queue needs no list of the work itself: by Lindley's
//! recursion a request arriving at `a` starts at `max(a, free_at)` and finishes `service` later,
//! which becomes the new `free_at` (Lindley, "The theory of queues with a single server", 1952).
//! A bounded queue also remembers when each accepted request starts, to count the requests still
//! waiting at an arrival: an arrival that finds `limit` requests waiting is dropped (tail drop, as
//! a full accept queue or a bounded thread-pool queue refuses work). Utilisation is not a
//! parameter — it is the busy time the draws add up to, over the time the server existed.
//!
//! `tests` checks the queue against queueing theory: the M/M/1 mean sojourn time `1/(μ−λ)` and
//! the M/M/1/K blocking probability.

use crate::time::SimTime;
use std::collections::VecDeque;

/// One server: a FIFO queue in front of a single worker, unbounded unless [`FifoServer::bounded`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FifoServer {
    /// When the worker finishes everything it has been given so far.
    pub free_at: SimTime,
    /// Service time given to it so far, in microseconds (including work still queued).
    pub busy_us: u64,
    /// When it joined.
    pub since: SimTime,
    /// Requests it accepted.
    pub requests: u64,
    /// Requests it refused because its queue was full.
    pub dropped: u64,
    /// Whether it is degraded (a model multiplies its service times by a factor).
    pub degraded: bool,
    /// At most this many requests may wait (not counting the one in service); `None`: unbounded.
    limit: Option<u32>,
    /// Start times of accepted requests that may not have started yet (bounded servers only),
    /// in order.
    starts: VecDeque<SimTime>,
}

/// Why a server refused a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Full {
    /// Requests waiting when it arrived (the server's limit).
    pub waiting: u32,
}

impl FifoServer {
    /// A new idle server with an unbounded queue, joining at `since`.
    pub fn new(since: SimTime) -> Self {
        FifoServer {
            free_at: since,
            busy_us: 0,
            since,
            requests: 0,
            dropped: 0,
            degraded: false,
            limit: None,
            starts: VecDeque::new(),
        }
    }

    /// A new idle server whose queue holds at most `limit` waiting requests.
    pub fn bounded(since: SimTime, limit: u32) -> Self {
        FifoServer {
            limit: Some(limit),
            ..FifoServer::new(since)
        }
    }

    /// The queue's bound, if it has one.
    pub fn limit(&self) -> Option<u32> {
        self.limit
    }

    /// Queues a request arriving at `at` that needs `service_us` of work; returns when it starts
    /// and finishes. Callers must offer requests in nondecreasing arrival order. An unbounded
    /// server never refuses.
    pub fn offer(&mut self, at: SimTime, service_us: u64) -> Result<(SimTime, SimTime), Full> {
        let start = at.max(self.free_at);
        if let Some(limit) = self.limit {
            // Only a request that would wait needs a place: an idle worker takes it at once.
            let waiting = self.waiting(at);
            if start > at && waiting >= limit {
                self.dropped += 1;
                return Err(Full { waiting });
            }
        }
        let finish = start.plus_us(service_us);
        self.free_at = finish;
        self.busy_us += service_us;
        self.requests += 1;
        if self.limit.is_some() && start > at {
            self.starts.push_back(start);
        }
        Ok((start, finish))
    }

    /// [`FifoServer::offer`] on a server that cannot refuse (unbounded).
    pub fn serve(&mut self, at: SimTime, service_us: u64) -> (SimTime, SimTime) {
        self.offer(at, service_us)
            .expect("serve() is for unbounded servers, which never refuse")
    }

    /// Requests waiting (accepted, not started) at `now`, for a bounded server; 0 for an
    /// unbounded one, which does not keep them.
    pub fn waiting(&mut self, now: SimTime) -> u32 {
        while self.starts.front().is_some_and(|s| *s <= now) {
            self.starts.pop_front();
        }
        self.starts.len() as u32
    }

    /// Work still queued or in service at `now`, in microseconds. Every request known arrived at
    /// or before `now`, so the worker is busy without a gap from `now` to `free_at`.
    pub fn backlog_us(&self, now: SimTime) -> u64 {
        self.free_at.since(now)
    }

    /// Busy time in `[since, now]`, in microseconds.
    pub fn busy_until(&self, now: SimTime) -> u64 {
        self.busy_us.saturating_sub(self.backlog_us(now))
    }

    /// Share of `[since, now]` the worker was busy, in percent (0 for a server that just joined).
    pub fn utilisation_percent(&self, now: SimTime) -> f64 {
        let span = now.since(self.since);
        if span == 0 {
            0.0
        } else {
            self.busy_until(now) as f64 * 100.0 / span as f64
        }
    }

    /// Share of offered requests it dropped, in percent (0 before any).
    pub fn drop_percent(&self) -> f64 {
        crate::models::common::share_percent(self.dropped, self.requests + self.dropped)
    }
}

/// Sub-buckets per power of two: 32, so a bucket is at most 1/32 (3.1 %) of its values wide.
const SUB_BITS: u32 = 5;
const SUB: u64 = 1 << SUB_BITS;
/// Values below this are their own bucket.
const EXACT: u64 = 2 * SUB;
/// Larger values are clamped (2^40 µs is about 12.7 days).
const MAX_EXP: u32 = 40;

/// A log-bucketed histogram of latencies in microseconds (HdrHistogram's layout): values under 64
/// are exact, larger ones fall in one of 32 equal slices of their power of two. Integer-only, so
/// percentiles are the same on every target.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LatencyHistogram {
    counts: Vec<u32>,
    total: u64,
    max_us: u64,
}

/// The bucket of value `v`.
fn bucket(v: u64) -> u32 {
    let v = v.min((1u64 << (MAX_EXP + 1)) - 1);
    if v < EXACT {
        return v as u32;
    }
    let e = 63 - v.leading_zeros(); // ≥ SUB_BITS + 1
    let sub = (v >> (e - SUB_BITS)) - SUB;
    (EXACT + u64::from(e - SUB_BITS - 1) * SUB + sub) as u32
}

/// The lowest value of bucket `b` and its width.
fn bucket_range(b: u32) -> (u64, u64) {
    let b = u64::from(b);
    if b < EXACT {
        return (b, 1);
    }
    let e = (b - EXACT) / SUB + u64::from(SUB_BITS) + 1;
    let sub = (b - EXACT) % SUB;
    let width = 1u64 << (e - u64::from(SUB_BITS));
    ((SUB + sub) * width, width)
}

impl LatencyHistogram {
    /// Counts one latency.
    pub fn record(&mut self, us: u64) {
        let b = bucket(us) as usize;
        if self.counts.len() <= b {
            self.counts.resize(b + 1, 0);
        }
        self.counts[b] += 1;
        self.total += 1;
        self.max_us = self.max_us.max(us);
    }

    /// Adds every latency `other` holds.
    pub fn merge(&mut self, other: &LatencyHistogram) {
        if self.counts.len() < other.counts.len() {
            self.counts.resize(other.counts.len(), 0);
        }
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += *b;
        }
        self.total += other.total;
        self.max_us = self.max_us.max(other.max_us);
    }

    /// How many latencies it holds.
    pub fn count(&self) -> u64 {
        self.total
    }

    /// The latency at per-mille `permille` by the nearest-rank rule (the smallest recorded value
    /// with at least that share of values at or below it), reported as the middle of its bucket
    /// and never above the largest value recorded; None when empty.
    pub fn quantile_us(&self, permille: u64) -> Option<u64> {
        if self.total == 0 {
            return None;
        }
        let rank = (permille.min(1000) * self.total).div_ceil(1000).max(1);
        let mut seen = 0u64;
        for (b, c) in self.counts.iter().enumerate() {
            seen += u64::from(*c);
            if seen >= rank {
                let (low, width) = bucket_range(b as u32);
                return Some((low + width / 2).min(self.max_us));
            }
        }
        Some(self.max_us)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SimRng;

    #[test]
    fn buckets_tile_the_line() {
        let mut expected_low = 0u64;
        for b in 0..bucket(1 << 30) {
            let (low, width) = bucket_range(b);
            assert_eq!(low, expected_low, "bucket {b}");
            assert_eq!(bucket(low), b);
            assert_eq!(bucket(low + width - 1), b);
            assert!(width * SUB <= low.max(EXACT), "bucket {b} too wide");
            expected_low = low + width;
        }
    }

    #[test]
    fn a_fifo_server_queues_and_counts_busy_time() {
        // Worked by hand: arrivals at 10 and 12 µs, 5 µs each. The second waits for the first.
        let mut s = FifoServer::new(SimTime::ZERO);
        assert_eq!(
            s.serve(SimTime::from_us(10), 5),
            (SimTime::from_us(10), SimTime::from_us(15))
        );
        assert_eq!(
            s.serve(SimTime::from_us(12), 5),
            (SimTime::from_us(15), SimTime::from_us(20))
        );
        assert_eq!(s.backlog_us(SimTime::from_us(12)), 8);
        assert_eq!(s.busy_until(SimTime::from_us(12)), 2);
        assert_eq!(s.utilisation_percent(SimTime::from_us(40)), 25.0);
    }

    #[test]
    fn a_bounded_queue_drops_arrivals_that_find_it_full() {
        // Worked by hand: one waiting place, 10 µs jobs arriving at 0, 1, 2, 12.
        // 0 is served at once; 1 waits (starts at 10); 2 finds one waiting and is dropped;
        // at 12 the one that waited has started, so the queue is empty again.
        let mut s = FifoServer::bounded(SimTime::ZERO, 1);
        let at = SimTime::from_us;
        assert_eq!(s.offer(at(0), 10), Ok((at(0), at(10))));
        assert_eq!(s.offer(at(1), 10), Ok((at(10), at(20))));
        assert_eq!(s.offer(at(2), 10), Err(Full { waiting: 1 }));
        assert_eq!(s.offer(at(12), 10), Ok((at(20), at(30))));
        assert_eq!((s.requests, s.dropped), (3, 1));
        assert_eq!(s.drop_percent(), 25.0);
        // A limit of zero is a server with no waiting room at all: busy means refused.
        let mut z = FifoServer::bounded(SimTime::ZERO, 0);
        assert!(z.offer(at(0), 10).is_ok());
        assert_eq!(z.offer(at(5), 10), Err(Full { waiting: 0 }));
        // ... unless the arrival finds it idle: starts at `at`, nothing waits.
        assert!(z.offer(at(10), 10).is_ok());
    }

    /// Exponential draw with mean `mean_us` (inverse transform).
    fn exp_us(rng: &mut SimRng, mean_us: f64) -> u64 {
        (-libm::log(1.0 - rng.unit_f64()) * mean_us).max(1.0) as u64
    }

    /// Runs an M/M/1 (or M/M/1/K with `limit`) queue for `n` arrivals: arrival rate λ per µs
    /// and service rate μ per µs; returns (mean sojourn µs, share dropped).
    fn mm1(lambda: f64, mu: f64, limit: Option<u32>, n: u64, seed: u64) -> (f64, f64) {
        let mut rng = SimRng::new(seed);
        let mut s = match limit {
            Some(l) => FifoServer::bounded(SimTime::ZERO, l),
            None => FifoServer::new(SimTime::ZERO),
        };
        let mut t = SimTime::ZERO;
        let mut sojourn = 0u64;
        for _ in 0..n {
            t = t.plus_us(exp_us(&mut rng, 1.0 / lambda));
            let service = exp_us(&mut rng, 1.0 / mu);
            if let Ok((_, finish)) = s.offer(t, service) {
                sojourn += finish.since(t);
            }
        }
        (
            sojourn as f64 / s.requests as f64,
            s.dropped as f64 / n as f64,
        )
    }

    #[test]
    fn mm1_mean_sojourn_is_one_over_mu_minus_lambda() {
        // Theory: W = 1/(μ − λ). With a 1 ms mean service time (μ = 0.001/µs) at ρ = 0.8,
        // W = 1/(0.001 − 0.0008) = 5,000 µs. 400,000 arrivals put the estimate within ~3 %.
        let (w, dropped) = mm1(0.0008, 0.001, None, 400_000, 7);
        assert_eq!(dropped, 0.0);
        assert!((w / 5_000.0 - 1.0).abs() < 0.05, "W = {w} µs, theory 5000");
    }

    #[test]
    fn mm1k_blocking_matches_the_closed_form() {
        // Theory (M/M/1/K, K = places in the system = waiting room + 1):
        // P_block = ρ^K (1 − ρ) / (1 − ρ^(K+1)). ρ = 0.9, K = 4 (3 waiting places):
        // 0.6561 · 0.1 / (1 − 0.59049) = 0.160217…
        let rho: f64 = 0.9;
        let k = 4;
        let theory = rho.powi(k) * (1.0 - rho) / (1.0 - rho.powi(k + 1));
        let (_, dropped) = mm1(0.0009, 0.001, Some(3), 400_000, 11);
        assert!(
            (dropped - theory).abs() < 0.01,
            "blocked {dropped}, theory {theory}"
        );
        // Overloaded (ρ = 2): blocking → 1 − 1/ρ as the room grows; with K = 4 it is
        // 16 · (−1) / (1 − 32) = 0.516…
        let theory2 = 2f64.powi(4) * (1.0 - 2.0) / (1.0 - 2f64.powi(5));
        let (_, dropped2) = mm1(0.002, 0.001, Some(3), 200_000, 13);
        assert!(
            (dropped2 - theory2).abs() < 0.01,
            "blocked {dropped2}, theory {theory2}"
        );
    }

    #[test]
    fn small_values_are_exact() {
        let mut h = LatencyHistogram::default();
        for v in 1..=10 {
            h.record(v);
        }
        assert_eq!(h.quantile_us(500), Some(5));
        assert_eq!(h.quantile_us(990), Some(10));
        assert_eq!(LatencyHistogram::default().quantile_us(500), None);
    }
}
