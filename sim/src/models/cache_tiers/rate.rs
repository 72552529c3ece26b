//! A rate over the last few seconds: counts in 100 ms buckets, a ring of [`BUCKETS`], so the
//! load a level shows is its load now rather than an average since the (cold) start.

use crate::time::SimTime;

/// Buckets in the window.
pub const BUCKETS: u64 = 50;
/// A bucket's width in microseconds (100 ms: the window is 5 s).
pub const BUCKET_US: u64 = 100_000;

/// Events counted per 100 ms over the last 5 s (the current bucket and the 49 before it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RateWindow {
    counts: [u32; BUCKETS as usize],
    /// The bucket number (time / width) of the newest count.
    head: u64,
}

impl Default for RateWindow {
    fn default() -> Self {
        RateWindow {
            counts: [0; BUCKETS as usize],
            head: 0,
        }
    }
}

impl RateWindow {
    /// Counts one event at `now` (times never go back within a run).
    pub fn add(&mut self, now: SimTime) {
        let b = now.as_us() / BUCKET_US;
        if b > self.head {
            let first = (self.head + 1).max(b.saturating_sub(BUCKETS - 1));
            for i in first..=b {
                self.counts[(i % BUCKETS) as usize] = 0;
            }
            self.head = b;
        }
        let slot = &mut self.counts[(b % BUCKETS) as usize];
        *slot = slot.saturating_add(1);
    }

    /// Events per second over the window ending at `now` (the whole run while it is shorter
    /// than the window); 0 at time zero.
    pub fn per_sec(&self, now: SimTime) -> f64 {
        let nb = now.as_us() / BUCKET_US;
        // The window: the current bucket and the BUCKETS - 1 before it. Buckets newer than the
        // last count are empty; older ones than head - BUCKETS + 1 were overwritten, and lie
        // before `lo` anyway (head <= nb).
        let lo = nb.saturating_sub(BUCKETS - 1);
        let sum: u64 = (lo..=self.head.min(nb))
            .map(|i| u64::from(self.counts[(i % BUCKETS) as usize]))
            .sum();
        let span_us = now.as_us() - lo * BUCKET_US;
        if span_us == 0 {
            0.0
        } else {
            sum as f64 * 1_000_000.0 / span_us as f64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_the_last_five_seconds_only() {
        let mut w = RateWindow::default();
        // 10 a second for 10 s.
        for i in 0..100u64 {
            w.add(SimTime::from_ms(i * 100 + 50));
        }
        assert_eq!(w.per_sec(SimTime::from_secs(10)), 10.0);
        // Early on, the rate is over the time so far: 5 events in 0.5 s.
        let mut early = RateWindow::default();
        for i in 0..5u64 {
            early.add(SimTime::from_ms(i * 100 + 10));
        }
        assert_eq!(early.per_sec(SimTime::from_ms(500)), 10.0);
        // Nothing for 6 s: the window is empty.
        assert_eq!(w.per_sec(SimTime::from_secs(16)), 0.0);
        assert_eq!(RateWindow::default().per_sec(SimTime::ZERO), 0.0);
    }
}
