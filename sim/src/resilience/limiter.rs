//! Rate limiters: seven algorithms with one budget, `limit` requests per `window_us`, and a burst
//! allowance `burst` for the ones that have one.
//!
//! | algorithm | state | admits when | source |
//! |---|---|---|---|
//! | token bucket | tokens, last refill | a whole token is left after refilling `limit / window` per µs, capped at `burst` | the notes' `RateLimiter(rate, capacity)`: starts full |
//! | leaky bucket (meter) | a level draining at `limit / window` | one more request fits under `burst` | Turner (1986); identical decisions to the token bucket |
//! | leaky bucket (queue) | a FIFO of at most `burst` waiting requests | the queue has room; each leaves `window / limit` after the one before | nginx `limit_req` without `nodelay` |
//! | fixed window | a count per window `[k·w, (k+1)·w)` | the window's count is under `limit` | Redis `INCR` + `EXPIRE` |
//! | sliding window log | times of the requests admitted in `(now − w, now]` | fewer than `limit` of them | Figma's and Redis sorted-set limiters |
//! | sliding window counter | this and the last window's counts | `prev·(w − e)/w + curr + 1 ≤ limit` (`e`: time into this window) | Cloudflare (2017) |
//! | GCRA | a theoretical arrival time | it is at most `(burst − 1)·w/limit` ahead of now | ATM Forum TM 4.0; `redis-cell`, `governor` |
//!
//! **Exact arithmetic.** Every state is an integer. A token is `window_us` units and the bucket
//! refills `limit` units per µs; GCRA keeps its theoretical arrival time in µs × `limit`. So the
//! token bucket, the meter and GCRA make *identical* decisions on any arrival sequence (a test
//! checks it), with no floating-point drift between native and wasm runs.
//!
//! **Retry-After.** A rejection says when the same request would next be admitted if nothing else
//! arrived ([`Decision::Reject`]); an HTTP 429's `Retry-After` header is that in whole seconds,
//! rounded up (RFC 9110 §10.2.3: `delay-seconds` is an integer).
//!
//! **What these ignore.** Request cost (every request takes one token; `governor` and GCRA allow
//! n at once), clock skew, and concurrency: each limiter here is one atomic state (the
//! traffic-control model puts copies of them behind gateways and a shared store to show what
//! that costs). The sliding window log keeps only admitted requests (some Redis sorted-set
//! versions add every attempt, which keeps a client that never stops retrying blocked for ever).

use std::collections::VecDeque;

/// The algorithms, in the order a lesson shows them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Algorithm {
    /// Token bucket: starts full, refills continuously, capped at the burst.
    TokenBucket,
    /// Leaky bucket as a meter: a level that drains; the same decisions as the token bucket.
    LeakyMeter,
    /// Leaky bucket as a queue: admitted requests wait and leave at a steady pace.
    LeakyQueue,
    /// A counter per fixed window.
    FixedWindow,
    /// The times of admitted requests within the last window.
    SlidingLog,
    /// Two windows' counts, the previous one weighted by its overlap.
    SlidingCounter,
    /// The generic cell rate algorithm: one timestamp.
    Gcra,
}

impl Algorithm {
    /// Every algorithm, in lesson order.
    pub const ALL: [Algorithm; 7] = [
        Algorithm::TokenBucket,
        Algorithm::LeakyMeter,
        Algorithm::LeakyQueue,
        Algorithm::FixedWindow,
        Algorithm::SlidingLog,
        Algorithm::SlidingCounter,
        Algorithm::Gcra,
    ];

    /// Its id in parameters and metric names (`token-bucket`).
    pub const fn id(self) -> &'static str {
        match self {
            Algorithm::TokenBucket => "token-bucket",
            Algorithm::LeakyMeter => "leaky-meter",
            Algorithm::LeakyQueue => "leaky-queue",
            Algorithm::FixedWindow => "fixed-window",
            Algorithm::SlidingLog => "sliding-log",
            Algorithm::SlidingCounter => "sliding-counter",
            Algorithm::Gcra => "gcra",
        }
    }

    /// Its name for people.
    pub const fn label(self) -> &'static str {
        match self {
            Algorithm::TokenBucket => "Token bucket",
            Algorithm::LeakyMeter => "Leaky bucket (meter)",
            Algorithm::LeakyQueue => "Leaky bucket (queue)",
            Algorithm::FixedWindow => "Fixed window",
            Algorithm::SlidingLog => "Sliding window log",
            Algorithm::SlidingCounter => "Sliding window counter",
            Algorithm::Gcra => "GCRA",
        }
    }

    /// The algorithm with this id.
    pub fn parse(id: &str) -> Option<Algorithm> {
        Algorithm::ALL.into_iter().find(|a| a.id() == id.trim())
    }

    /// Whether it uses the burst allowance (the windows use only the limit).
    pub const fn uses_burst(self) -> bool {
        matches!(
            self,
            Algorithm::TokenBucket
                | Algorithm::LeakyMeter
                | Algorithm::LeakyQueue
                | Algorithm::Gcra
        )
    }
}

/// The budget every algorithm enforces: `limit` requests per `window_us`, with `burst` the
/// bucket's capacity (token bucket, meter, GCRA) or the queue's length (leaky queue).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    /// Requests per window (≥ 1).
    pub limit: u32,
    /// The window, µs (≥ 1).
    pub window_us: u64,
    /// Bucket capacity or queue length, requests (≥ 1).
    pub burst: u32,
}

impl Budget {
    /// Checks the figures; the message names the one out of range.
    pub fn validate(&self) -> Result<(), String> {
        if self.limit == 0 {
            return Err("limit must be at least 1 request per window".into());
        }
        if self.window_us == 0 {
            return Err("the window must be longer than 0".into());
        }
        if self.burst == 0 {
            return Err("burst must be at least 1 request".into());
        }
        Ok(())
    }

    /// The steady rate, requests per second.
    pub fn rate_per_sec(&self) -> f64 {
        f64::from(self.limit) * 1e6 / self.window_us as f64
    }
}

/// What a limiter decided for one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Admitted; it reaches the service `delay_us` later (non-zero only for the leaky queue).
    Admit {
        /// How long it waits in the limiter, µs.
        delay_us: u64,
    },
    /// Rejected (HTTP 429).
    Reject {
        /// How long until the same request would be admitted if nothing else arrived, µs.
        retry_after_us: u64,
    },
}

impl Decision {
    /// Whether it was admitted.
    pub fn admitted(self) -> bool {
        matches!(self, Decision::Admit { .. })
    }

    /// The `Retry-After` header of a rejection: whole seconds, rounded up (at least 1).
    pub fn retry_after_header(self) -> Option<u64> {
        match self {
            Decision::Admit { .. } => None,
            Decision::Reject { retry_after_us } => Some(retry_after_us.div_ceil(1_000_000).max(1)),
        }
    }
}

/// How full a limiter is now, for a gauge: `level` of `max` (tokens left, requests counted,
/// requests queued).
#[derive(Clone, Debug, PartialEq)]
pub struct Gauge {
    /// The current value.
    pub level: f64,
    /// Its ceiling.
    pub max: f64,
    /// The value in words (`7.3 of 10 tokens`).
    pub text: String,
}

/// `a * b`, saturating, in 128 bits.
fn mul(a: u64, b: u64) -> u128 {
    u128::from(a) * u128::from(b)
}

/// One limiter's state. `Clone` so a model can copy it (a gateway reading a shared store).
#[derive(Clone, Debug, PartialEq)]
pub enum Limiter {
    /// Tokens in units of `1/window_us` of a token, and when they were last refilled.
    TokenBucket {
        /// The budget.
        budget: Budget,
        /// Tokens × `window_us`.
        tokens: u128,
        /// The last refill, µs.
        last_us: u64,
    },
    /// The level in the same units, draining `limit` per µs.
    LeakyMeter {
        /// The budget.
        budget: Budget,
        /// Level × `window_us`.
        level: u128,
        /// The last drain, µs.
        last_us: u64,
    },
    /// When each waiting request leaves, µs × `limit` (the last one leaving last).
    LeakyQueue {
        /// The budget.
        budget: Budget,
        /// Departure times of the requests not yet released, scaled by `limit`.
        departures: VecDeque<u128>,
        /// The last departure scheduled, scaled (`None`: none yet).
        last_departure: Option<u128>,
    },
    /// The current window's index and count.
    FixedWindow {
        /// The budget.
        budget: Budget,
        /// Which window (`now / window_us`).
        index: u64,
        /// Requests admitted in it.
        count: u32,
    },
    /// The times of admitted requests in the last window.
    SlidingLog {
        /// The budget.
        budget: Budget,
        /// Admission times, µs, oldest first.
        log: VecDeque<u64>,
    },
    /// The current window's index and count, and the previous window's count.
    SlidingCounter {
        /// The budget.
        budget: Budget,
        /// Which window.
        index: u64,
        /// Admitted in this window.
        current: u32,
        /// Admitted in the window before.
        previous: u32,
    },
    /// The theoretical arrival time, µs × `limit`.
    Gcra {
        /// The budget.
        budget: Budget,
        /// TAT × `limit`.
        tat: u128,
    },
}

impl Limiter {
    /// A fresh limiter of `algorithm` enforcing `budget` (full bucket, empty windows and queue).
    pub fn new(algorithm: Algorithm, budget: Budget) -> Limiter {
        let b = budget;
        match algorithm {
            Algorithm::TokenBucket => Limiter::TokenBucket {
                budget: b,
                tokens: mul(u64::from(b.burst), b.window_us),
                last_us: 0,
            },
            Algorithm::LeakyMeter => Limiter::LeakyMeter {
                budget: b,
                level: 0,
                last_us: 0,
            },
            Algorithm::LeakyQueue => Limiter::LeakyQueue {
                budget: b,
                departures: VecDeque::new(),
                last_departure: None,
            },
            Algorithm::FixedWindow => Limiter::FixedWindow {
                budget: b,
                index: 0,
                count: 0,
            },
            Algorithm::SlidingLog => Limiter::SlidingLog {
                budget: b,
                log: VecDeque::new(),
            },
            Algorithm::SlidingCounter => Limiter::SlidingCounter {
                budget: b,
                index: 0,
                current: 0,
                previous: 0,
            },
            Algorithm::Gcra => Limiter::Gcra { budget: b, tat: 0 },
        }
    }

    /// Which algorithm it is.
    pub fn algorithm(&self) -> Algorithm {
        match self {
            Limiter::TokenBucket { .. } => Algorithm::TokenBucket,
            Limiter::LeakyMeter { .. } => Algorithm::LeakyMeter,
            Limiter::LeakyQueue { .. } => Algorithm::LeakyQueue,
            Limiter::FixedWindow { .. } => Algorithm::FixedWindow,
            Limiter::SlidingLog { .. } => Algorithm::SlidingLog,
            Limiter::SlidingCounter { .. } => Algorithm::SlidingCounter,
            Limiter::Gcra { .. } => Algorithm::Gcra,
        }
    }

    /// Its budget.
    pub fn budget(&self) -> Budget {
        match self {
            Limiter::TokenBucket { budget, .. }
            | Limiter::LeakyMeter { budget, .. }
            | Limiter::LeakyQueue { budget, .. }
            | Limiter::FixedWindow { budget, .. }
            | Limiter::SlidingLog { budget, .. }
            | Limiter::SlidingCounter { budget, .. }
            | Limiter::Gcra { budget, .. } => *budget,
        }
    }

    /// Brings time-driven state up to `now` (refill, drain, expire, roll windows). Decisions
    /// call it; a view calls it on a copy before drawing a gauge. Times before the last one
    /// seen are treated as that time (a limiter never runs backwards).
    pub fn advance(&mut self, now: u64) {
        match self {
            Limiter::TokenBucket {
                budget,
                tokens,
                last_us,
            } => {
                let now = now.max(*last_us);
                let cap = mul(u64::from(budget.burst), budget.window_us);
                *tokens = (*tokens + mul(now - *last_us, u64::from(budget.limit))).min(cap);
                *last_us = now;
            }
            Limiter::LeakyMeter {
                budget,
                level,
                last_us,
            } => {
                let now = now.max(*last_us);
                let drained = mul(now - *last_us, u64::from(budget.limit));
                *level = level.saturating_sub(drained);
                *last_us = now;
            }
            Limiter::LeakyQueue {
                budget, departures, ..
            } => {
                let now_s = mul(now, u64::from(budget.limit));
                while departures.front().is_some_and(|&d| d <= now_s) {
                    departures.pop_front();
                }
            }
            Limiter::FixedWindow {
                budget,
                index,
                count,
            } => {
                let i = now / budget.window_us;
                if i > *index {
                    *index = i;
                    *count = 0;
                }
            }
            Limiter::SlidingLog { budget, log } => {
                // Keep (now − w, now]: an entry exactly one window old has left it.
                while log
                    .front()
                    .is_some_and(|&t| t.saturating_add(budget.window_us) <= now)
                {
                    log.pop_front();
                }
            }
            Limiter::SlidingCounter {
                budget,
                index,
                current,
                previous,
            } => {
                let i = now / budget.window_us;
                if i == *index + 1 {
                    *previous = *current;
                    *current = 0;
                    *index = i;
                } else if i > *index + 1 {
                    *previous = 0;
                    *current = 0;
                    *index = i;
                }
            }
            Limiter::Gcra { .. } => {}
        }
    }

    /// Decides one request arriving at `now` (µs since the start), and counts it if admitted.
    pub fn decide(&mut self, now: u64) -> Decision {
        self.advance(now);
        match self {
            Limiter::TokenBucket { budget, tokens, .. } => {
                let one = u128::from(budget.window_us);
                if *tokens >= one {
                    *tokens -= one;
                    Decision::Admit { delay_us: 0 }
                } else {
                    let short = (one - *tokens) as u64;
                    Decision::Reject {
                        retry_after_us: short.div_ceil(u64::from(budget.limit)),
                    }
                }
            }
            Limiter::LeakyMeter { budget, level, .. } => {
                let one = u128::from(budget.window_us);
                let cap = mul(u64::from(budget.burst), budget.window_us);
                if *level + one <= cap {
                    *level += one;
                    Decision::Admit { delay_us: 0 }
                } else {
                    let over = (*level + one - cap) as u64;
                    Decision::Reject {
                        retry_after_us: over.div_ceil(u64::from(budget.limit)),
                    }
                }
            }
            Limiter::LeakyQueue {
                budget,
                departures,
                last_departure,
            } => {
                let limit = u64::from(budget.limit);
                let now_s = mul(now, limit);
                if departures.len() < budget.burst as usize {
                    // The first request in an idle queue leaves at once; each later one one
                    // emission interval (window / limit) after the one before it.
                    let d = match *last_departure {
                        None => now_s,
                        Some(last) => (last + u128::from(budget.window_us)).max(now_s),
                    };
                    *last_departure = Some(d);
                    let delay = (d - now_s).div_ceil(u128::from(limit)) as u64;
                    if d > now_s {
                        departures.push_back(d);
                    }
                    Decision::Admit { delay_us: delay }
                } else {
                    let first = departures.front().copied().unwrap_or(now_s);
                    Decision::Reject {
                        retry_after_us: (first - now_s).div_ceil(u128::from(limit)).max(1) as u64,
                    }
                }
            }
            Limiter::FixedWindow {
                budget,
                index,
                count,
            } => {
                if *count < budget.limit {
                    *count += 1;
                    Decision::Admit { delay_us: 0 }
                } else {
                    Decision::Reject {
                        retry_after_us: (*index + 1) * budget.window_us - now,
                    }
                }
            }
            Limiter::SlidingLog { budget, log } => {
                if log.len() < budget.limit as usize {
                    log.push_back(now);
                    Decision::Admit { delay_us: 0 }
                } else {
                    // The oldest entry leaves the window at t + w; the one at position
                    // len − limit is the one whose leaving makes room.
                    let oldest = log[log.len() - budget.limit as usize];
                    Decision::Reject {
                        retry_after_us: (oldest + budget.window_us - now).max(1),
                    }
                }
            }
            Limiter::SlidingCounter {
                budget,
                index,
                current,
                previous,
            } => {
                let w = budget.window_us;
                let limit = u128::from(budget.limit);
                let into = now - *index * w;
                let estimate =
                    mul(u64::from(*previous), w - into) + mul(u64::from(*current) + 1, w);
                if estimate <= limit * u128::from(w) {
                    *current += 1;
                    Decision::Admit { delay_us: 0 }
                } else {
                    Decision::Reject {
                        retry_after_us: counter_retry_after(
                            *budget, *index, *current, *previous, now,
                        ),
                    }
                }
            }
            Limiter::Gcra { budget, tat } => {
                let limit = u64::from(budget.limit);
                let now_s = mul(now, limit);
                let t = u128::from(budget.window_us);
                let tau = u128::from(budget.burst - 1) * t;
                if *tat <= now_s + tau {
                    *tat = (*tat).max(now_s) + t;
                    Decision::Admit { delay_us: 0 }
                } else {
                    Decision::Reject {
                        retry_after_us: (*tat - tau - now_s).div_ceil(u128::from(limit)) as u64,
                    }
                }
            }
        }
    }

    /// How full it is at `now`, without changing it.
    pub fn gauge(&self, now: u64) -> Gauge {
        let mut copy = self.clone();
        copy.advance(now);
        let b = copy.budget();
        let w = b.window_us as f64;
        match &copy {
            Limiter::TokenBucket { tokens, .. } => {
                let level = *tokens as f64 / w;
                Gauge {
                    level,
                    max: f64::from(b.burst),
                    text: format!("{} of {} tokens", one_decimal(level), b.burst),
                }
            }
            Limiter::LeakyMeter { level, .. } => {
                let level = *level as f64 / w;
                Gauge {
                    level,
                    max: f64::from(b.burst),
                    text: format!("level {} of {}", one_decimal(level), b.burst),
                }
            }
            Limiter::LeakyQueue { departures, .. } => Gauge {
                level: departures.len() as f64,
                max: f64::from(b.burst),
                text: format!("{} of {} queued", departures.len(), b.burst),
            },
            Limiter::FixedWindow { count, index, .. } => {
                let count = if now / b.window_us == *index {
                    *count
                } else {
                    0
                };
                Gauge {
                    level: f64::from(count),
                    max: f64::from(b.limit),
                    text: format!("{count} of {} this window", b.limit),
                }
            }
            Limiter::SlidingLog { log, .. } => Gauge {
                level: log.len() as f64,
                max: f64::from(b.limit),
                text: format!("{} of {} in the last window", log.len(), b.limit),
            },
            Limiter::SlidingCounter {
                index,
                current,
                previous,
                ..
            } => {
                let into = (now.saturating_sub(index * b.window_us)).min(b.window_us) as f64;
                let est = f64::from(*previous) * (w - into) / w + f64::from(*current);
                Gauge {
                    level: est,
                    max: f64::from(b.limit),
                    text: format!("estimate {} of {}", one_decimal(est), b.limit),
                }
            }
            Limiter::Gcra { tat, .. } => {
                // Credit left, in requests: the equivalent token bucket's tokens.
                let ahead = tat.saturating_sub(mul(now, u64::from(b.limit)));
                let level = f64::from(b.burst) - ahead as f64 / w;
                Gauge {
                    level,
                    max: f64::from(b.burst),
                    text: format!(
                        "TAT {} ms ahead",
                        one_decimal(ahead as f64 / f64::from(b.limit) / 1e3)
                    ),
                }
            }
        }
    }
}

/// The sliding window counter's wait until `prev·(w − e)/w + curr + 1 ≤ limit` holds, in this
/// window or the next (where `prev` becomes this window's count).
fn counter_retry_after(b: Budget, index: u64, current: u32, previous: u32, now: u64) -> u64 {
    let w = b.window_us;
    let limit = u64::from(b.limit);
    let start = index * w;
    // Within this window: needs prev·(w − e) ≤ (limit − curr − 1)·w.
    if u64::from(current) < limit && previous > 0 {
        let room = (limit - u64::from(current) - 1) * w;
        let e = w - room / u64::from(previous);
        return (start + e).saturating_sub(now).max(1);
    }
    // In the next window, where this window's count weighs in: curr·(w − e) ≤ (limit − 1)·w.
    let next = start + w;
    let room = (limit - 1) * w;
    let e = if current == 0 {
        0
    } else {
        w.saturating_sub(room / u64::from(current))
    };
    (next + e).saturating_sub(now).max(1)
}

fn one_decimal(x: f64) -> String {
    let r = (x * 10.0).round() / 10.0;
    if (r - r.round()).abs() < 1e-9 {
        format!("{}", r.round() as i64)
    } else {
        format!("{r:.1}")
    }
}

/// The most events of `times` (ascending, µs) inside any window `[s, s + window_us)`.
pub fn max_in_window(times: &[u64], window_us: u64) -> u64 {
    let mut best = 0;
    let mut lo = 0;
    for (hi, &t) in times.iter().enumerate() {
        while times[lo] + window_us <= t {
            lo += 1;
        }
        best = best.max((hi - lo + 1) as u64);
    }
    best
}

/// A running [`max_in_window`] over times that arrive in order: what a model keeps per limiter.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WindowPeak {
    window_us: u64,
    recent: VecDeque<u64>,
    /// The most seen in any window so far.
    pub peak: u64,
    /// When that window ended (the last event in it), µs.
    pub peak_at: u64,
}

impl WindowPeak {
    /// A peak tracker over windows of `window_us`.
    pub fn new(window_us: u64) -> Self {
        WindowPeak {
            window_us: window_us.max(1),
            ..WindowPeak::default()
        }
    }

    /// Adds an event at `t` (not before the last one).
    pub fn push(&mut self, t: u64) {
        while self
            .recent
            .front()
            .is_some_and(|&s| s + self.window_us <= t)
        {
            self.recent.pop_front();
        }
        self.recent.push_back(t);
        let n = self.recent.len() as u64;
        if n > self.peak {
            self.peak = n;
            self.peak_at = t;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1_000_000;

    fn budget(limit: u32, window_ms: u64, burst: u32) -> Budget {
        Budget {
            limit,
            window_us: window_ms * 1_000,
            burst,
        }
    }

    fn admitted(alg: Algorithm, b: Budget, times: &[u64]) -> Vec<bool> {
        let mut l = Limiter::new(alg, b);
        times.iter().map(|&t| l.decide(t).admitted()).collect()
    }

    #[test]
    fn token_bucket_starts_full_then_settles_at_its_rate() {
        // 5 per second, burst 10: a burst of 15 at t = 0 lets 10 through.
        let b = budget(5, 1_000, 10);
        let burst = admitted(Algorithm::TokenBucket, b, &[0; 15]);
        assert_eq!(burst.iter().filter(|a| **a).count(), 10);
        // Then one token every 200 ms.
        let mut l = Limiter::new(Algorithm::TokenBucket, b);
        for _ in 0..10 {
            assert!(l.decide(0).admitted());
        }
        assert_eq!(
            l.decide(0),
            Decision::Reject {
                retry_after_us: 200_000
            }
        );
        assert!(!l.decide(199_999).admitted());
        assert!(l.decide(200_000).admitted());
        assert_eq!(
            l.decide(250_000),
            Decision::Reject {
                retry_after_us: 150_000
            }
        );
    }

    #[test]
    fn fixed_window_lets_twice_the_limit_through_at_a_boundary() {
        let b = budget(10, 1_000, 10);
        let mut times = vec![999_000; 10];
        times.extend([1_000_000; 10]);
        assert!(admitted(Algorithm::FixedWindow, b, &times)
            .iter()
            .all(|a| *a));
        assert_eq!(max_in_window(&times, S), 20);
        // The sliding log admits only 10 of the 20.
        let log = admitted(Algorithm::SlidingLog, b, &times);
        assert_eq!(log.iter().filter(|a| **a).count(), 10);
    }

    #[test]
    fn sliding_counter_weights_the_previous_window() {
        // Cloudflare's example shape: 10 per second, 8 in the last window, 25 % into this one:
        // estimate = 8 · 0.75 + current.
        let b = budget(10, 1_000, 10);
        let mut l = Limiter::new(Algorithm::SlidingCounter, b);
        for _ in 0..8 {
            assert!(l.decide(500_000).admitted());
        }
        // At 1.25 s: 6 from before; 4 more fit (6 + 4 = 10), the 5th does not.
        let next: Vec<bool> = (0..5).map(|_| l.decide(1_250_000).admitted()).collect();
        assert_eq!(next, [true, true, true, true, false]);
        // It fits again when 8·(1 − e) + 4 + 1 ≤ 10, e ≥ 3/8: at 1.375 s.
        assert_eq!(
            l.decide(1_250_000),
            Decision::Reject {
                retry_after_us: 125_000
            }
        );
        assert!(!l.decide(1_374_999).admitted());
        assert!(l.decide(1_375_000).admitted());
    }

    #[test]
    fn leaky_queue_spaces_requests_one_interval_apart() {
        let b = budget(5, 1_000, 3);
        let mut l = Limiter::new(Algorithm::LeakyQueue, b);
        let d: Vec<Decision> = (0..5).map(|_| l.decide(0)).collect();
        assert_eq!(d[0], Decision::Admit { delay_us: 0 });
        assert_eq!(d[1], Decision::Admit { delay_us: 200_000 });
        assert_eq!(d[2], Decision::Admit { delay_us: 400_000 });
        assert_eq!(d[3], Decision::Admit { delay_us: 600_000 });
        assert_eq!(
            d[4],
            Decision::Reject {
                retry_after_us: 200_000
            }
        );
        assert!(l.decide(200_000).admitted(), "one left, room for one more");
    }

    #[test]
    fn gcra_and_the_meter_decide_as_the_token_bucket() {
        let b = budget(7, 1_300, 4);
        let mut r = crate::rng::SimRng::new(9);
        let mut t = 0;
        let times: Vec<u64> = (0..2_000)
            .map(|_| {
                t += r.below(400_000);
                t
            })
            .collect();
        let tb = admitted(Algorithm::TokenBucket, b, &times);
        assert_eq!(tb, admitted(Algorithm::Gcra, b, &times));
        assert_eq!(tb, admitted(Algorithm::LeakyMeter, b, &times));
        assert!(tb.iter().any(|a| !a) && tb.iter().any(|a| *a));
    }

    #[test]
    fn retry_after_header_rounds_up_to_whole_seconds() {
        let r = |us| Decision::Reject { retry_after_us: us }.retry_after_header();
        assert_eq!(r(1), Some(1));
        assert_eq!(r(1_000_000), Some(1));
        assert_eq!(r(1_000_001), Some(2));
        assert_eq!(Decision::Admit { delay_us: 0 }.retry_after_header(), None);
    }

    #[test]
    fn a_rejection_is_admitted_exactly_at_its_retry_after() {
        let b = budget(3, 700, 2);
        for alg in Algorithm::ALL {
            let mut l = Limiter::new(alg, b);
            let mut t = 5_000;
            let mut checked = 0;
            for _ in 0..200 {
                match l.decide(t) {
                    Decision::Admit { .. } => t += 1_000,
                    Decision::Reject { retry_after_us } => {
                        let mut early = l.clone();
                        if retry_after_us > 1 {
                            assert!(
                                !early.decide(t + retry_after_us - 1).admitted(),
                                "{alg:?} admits before its Retry-After"
                            );
                        }
                        t += retry_after_us;
                        assert!(l.clone().decide(t).admitted(), "{alg:?} at its Retry-After");
                        checked += 1;
                    }
                }
            }
            assert!(checked > 10, "{alg:?}");
        }
    }

    #[test]
    fn window_peaks() {
        assert_eq!(max_in_window(&[], 10), 0);
        assert_eq!(max_in_window(&[0, 5, 9, 10, 11], 10), 4, "5, 9, 10, 11");
        assert_eq!(max_in_window(&[0, 10, 20], 10), 1, "a window is half-open");
        let mut p = WindowPeak::new(10);
        for t in [0, 5, 9, 10, 11, 30] {
            p.push(t);
        }
        assert_eq!((p.peak, p.peak_at), (4, 11));
    }
}
