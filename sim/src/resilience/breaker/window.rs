//! The results a closed breaker judges: a count window (the last N results, one byte each) or a
//! time window (one bucket per whole second), their totals, and the verdict on a rate.

use super::{Counts, Trip, Why};
use crate::time::SimTime;

pub(super) const FAILED: u8 = 1;
pub(super) const SLOW: u8 = 2;

impl Counts {
    pub(super) fn add(&mut self, outcome: u8) {
        self.calls = self.calls.saturating_add(1);
        self.failures = self.failures.saturating_add(u32::from(outcome & FAILED));
        self.slow = self.slow.saturating_add(u32::from((outcome & SLOW) >> 1));
    }
    pub(super) fn remove(&mut self, other: Counts) {
        debug_assert!(other.calls <= self.calls, "removing more than was added");
        self.calls = self.calls.saturating_sub(other.calls);
        self.failures = self.failures.saturating_sub(other.failures);
        self.slow = self.slow.saturating_sub(other.slow);
    }
    pub(super) fn one(outcome: u8) -> Counts {
        let mut c = Counts::default();
        c.add(outcome);
        c
    }
}

/// The outcome of judging a window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Verdict {
    BelowMinimum,
    Below,
    Above(Why),
}

/// Resilience4j's rule: below the minimum, no verdict; else a rate ≥ its threshold is above.
pub(super) fn judge(c: Counts, min_calls: u32, failure_pct: u8, slow_pct: Option<u8>) -> Verdict {
    if c.calls == 0 || c.calls < min_calls {
        return Verdict::BelowMinimum;
    }
    let calls = u64::from(c.calls);
    if u64::from(c.failures) * 100 >= u64::from(failure_pct) * calls {
        return Verdict::Above(Why::FailureRate);
    }
    if let Some(p) = slow_pct {
        if u64::from(c.slow) * 100 >= u64::from(p) * calls {
            return Verdict::Above(Why::SlowCallRate);
        }
    }
    Verdict::Below
}

/// The closed state's sliding window.
#[derive(Clone, Debug)]
pub(super) enum Window {
    /// No window (consecutive trips).
    None,
    /// The last `ring.len()` outcomes; `next` is where the next one goes.
    Count {
        ring: Vec<u8>,
        next: u32,
        filled: u32,
        total: Counts,
    },
    /// One bucket per second; `buckets[head]` is second `head_sec`.
    Time {
        buckets: Vec<Counts>,
        head: u32,
        head_sec: u64,
        total: Counts,
    },
}

impl Window {
    pub(super) fn new(trip: Trip) -> Window {
        match trip {
            Trip::Consecutive { .. } => Window::None,
            Trip::CountWindow { size, .. } => Window::Count {
                ring: vec![0; size as usize],
                next: 0,
                filled: 0,
                total: Counts::default(),
            },
            Trip::TimeWindow { window_secs, .. } => Window::Time {
                buckets: vec![Counts::default(); window_secs as usize],
                head: 0,
                head_sec: 0,
                total: Counts::default(),
            },
        }
    }

    pub(super) fn clear(&mut self, now: SimTime) {
        match self {
            Window::None => {}
            Window::Count {
                ring,
                next,
                filled,
                total,
            } => {
                ring.fill(0);
                *next = 0;
                *filled = 0;
                *total = Counts::default();
            }
            Window::Time {
                buckets,
                head,
                head_sec,
                total,
            } => {
                buckets.fill(Counts::default());
                *head = 0;
                *head_sec = now.as_us() / 1_000_000;
                *total = Counts::default();
            }
        }
    }

    /// Drops the seconds that have left a time window by `now`.
    pub(super) fn slide(&mut self, now: SimTime) {
        if let Window::Time {
            buckets,
            head,
            head_sec,
            total,
        } = self
        {
            let sec = now.as_us() / 1_000_000;
            if sec <= *head_sec {
                return;
            }
            let n = buckets.len() as u64;
            let steps = (sec - *head_sec).min(n);
            for _ in 0..steps {
                *head = ((u64::from(*head) + 1) % n) as u32;
                let b = &mut buckets[*head as usize];
                total.remove(*b);
                *b = Counts::default();
            }
            *head_sec = sec;
        }
    }

    pub(super) fn record(&mut self, now: SimTime, outcome: u8) {
        self.slide(now);
        match self {
            Window::None => {}
            Window::Count {
                ring,
                next,
                filled,
                total,
            } => {
                let len = ring.len();
                let slot = &mut ring[*next as usize];
                if *filled as usize == len {
                    total.remove(Counts::one(*slot));
                } else {
                    *filled += 1;
                }
                *slot = outcome;
                total.add(outcome);
                *next = ((*next as usize + 1) % len) as u32;
            }
            Window::Time {
                buckets,
                head,
                total,
                ..
            } => {
                buckets[*head as usize].add(outcome);
                total.add(outcome);
            }
        }
    }

    pub(super) fn total(&self) -> Counts {
        match self {
            Window::None => Counts::default(),
            Window::Count { total, .. } | Window::Time { total, .. } => *total,
        }
    }

    pub(super) fn check(&self) -> Result<(), String> {
        let sum = match self {
            Window::None => return Ok(()),
            Window::Count { ring, filled, .. } => {
                let mut c = Counts::default();
                // Unfilled slots are zero, which would count as successes: only the filled ones.
                let len = ring.len() as u32;
                if *filled < len {
                    for &o in &ring[..*filled as usize] {
                        c.add(o);
                    }
                } else {
                    for &o in ring {
                        c.add(o);
                    }
                }
                c
            }
            Window::Time { buckets, .. } => {
                let mut c = Counts::default();
                for b in buckets {
                    c.calls += b.calls;
                    c.failures += b.failures;
                    c.slow += b.slow;
                }
                c
            }
        };
        if sum == self.total() {
            Ok(())
        } else {
            Err(format!(
                "window total {:?} differs from the sum of its slots {sum:?}",
                self.total()
            ))
        }
    }
}
