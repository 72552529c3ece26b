//! The shards as queues, and the latency histogram the percentiles are read from.
//!
//! Each shard is one server with a first-in-first-out queue. Requests reach a shard in time order
//! (the model dispatches a request only at the moment it arrives), so the queue needs no list of
//! waiting requests: by Lindley's recursion a request arriving at `a` starts at
//! `max(a, free_at)` and finishes `service` later, which becomes the new `free_at`. Utilisation is
//! not a parameter — it is the busy time the draws add up to, over the time the shard existed.

use crate::time::SimTime;

/// One shard server: a FIFO queue in front of a single worker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShardServer {
    /// When the worker finishes everything it has been given so far.
    pub free_at: SimTime,
    /// Service time given to it so far, in microseconds (including work still queued).
    pub busy_us: u64,
    /// When it joined the cluster.
    pub since: SimTime,
    /// Requests it has been sent.
    pub requests: u64,
    /// Whether it is degraded (every service time multiplied by the degradation factor).
    pub degraded: bool,
}

/// How one shard answered one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Response {
    /// The shard.
    pub shard: u32,
    /// When the request reached it.
    pub arrived: SimTime,
    /// When the worker took it up (after the requests queued before it).
    pub start: SimTime,
    /// When it answered.
    pub finish: SimTime,
    /// Whether its service included a pause.
    pub paused: bool,
}

impl Response {
    /// Time from arrival to answer (queueing plus service), in microseconds.
    pub fn latency_us(&self) -> u64 {
        self.finish.since(self.arrived)
    }
}

impl ShardServer {
    /// A new idle shard joining at `since`.
    pub fn new(since: SimTime) -> Self {
        ShardServer {
            free_at: since,
            busy_us: 0,
            since,
            requests: 0,
            degraded: false,
        }
    }

    /// Queues a request arriving at `at` that needs `service_us` of work; returns when it starts
    /// and finishes. Callers must offer requests in nondecreasing arrival order.
    pub fn serve(&mut self, at: SimTime, service_us: u64) -> (SimTime, SimTime) {
        let start = at.max(self.free_at);
        let finish = start.plus_us(service_us);
        self.free_at = finish;
        self.busy_us += service_us;
        self.requests += 1;
        (start, finish)
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

    /// Share of `[since, now]` the worker was busy, in percent (0 for a shard that just joined).
    pub fn utilisation_percent(&self, now: SimTime) -> f64 {
        let span = now.since(self.since);
        if span == 0 {
            0.0
        } else {
            self.busy_until(now) as f64 * 100.0 / span as f64
        }
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
        let mut s = ShardServer::new(SimTime::ZERO);
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
