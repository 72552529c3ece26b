//! Synthetic request streams for the caching lessons: which key each request asks for, and how
//! big that object is.
//!
//! A stream is a function of `(seed, workload, sizes)` only: [`Workload::stream`] yields requests
//! one at a time (for the million-request sweeps) and [`Workload::generate`] collects a trace with
//! every request's next use filled in (for Belady's MIN). Keys are drawn with [`SimRng`] and
//! Zipf ranks with the crate's one Zipf sampler, [`Popularity`] (binary search over a cumulative
//! table); floats go through `libm`, so a stream is bit-identical natively and in wasm32.
//!
//! The shapes (each a classic of the cache literature):
//! - [`Workload::Uniform`]: every key equally likely, the case no policy can improve on.
//! - [`Workload::Zipf`]: key of rank r asked for in proportion to 1/rˢ (Breslau et al., "Web
//!   caching and Zipf-like distributions", INFOCOM 1999), independent requests (the independent
//!   reference model).
//! - [`Workload::Loop`]: keys `0, 1, …, L−1, 0, 1, …`: with a cache smaller than `L`, LRU and
//!   FIFO miss on every request (each key is evicted just before it comes back).
//! - [`Workload::ScanMix`]: a Zipf hot set, interrupted periodically by a sequential scan of keys
//!   never seen before (a batch job, a backup) that floods a recency-based cache.
//! - [`Workload::OneHitWonders`]: a Zipf hot set, plus a share of requests each for a fresh key
//!   requested exactly once (the pattern S3-FIFO's small queue filters out).
//! - [`Workload::Shifting`]: a Zipf hot set that moves to other keys every `period` requests.
//!
//! Simplifications: requests are independent draws (no correlation in time beyond what the
//! shape builds in) and carry no timestamps: a cache policy sees virtual time, the request's
//! index. Object sizes ([`SizeModel`]) are a fixed function of `(seed, key)`, so a key keeps its
//! size for the whole trace (no updates that resize an object).

use super::{annotate_next, Request};
use crate::rng::{splitmix64_fmix, SimRng};
use crate::workload::Popularity;
use std::fmt;

/// Fresh keys (scans, one-hit wonders) are numbered from here up, far above any hot set, so they
/// can never collide with a hot key.
pub const FRESH_KEY_BASE: u64 = 1 << 48;

/// A workload shape and its parameters. Hot keys are numbered by popularity rank: key 0 is the
/// most requested.
#[derive(Clone, Debug, PartialEq)]
pub enum Workload {
    /// Every one of `keys` keys equally likely.
    Uniform {
        /// Number of keys.
        keys: u64,
    },
    /// Zipf popularity with exponent `s` over `keys` keys.
    Zipf {
        /// Number of keys.
        keys: u64,
        /// The exponent (0 = uniform, 1 = classic Zipf).
        s: f64,
    },
    /// The keys `0..len` in order, over and over.
    Loop {
        /// The loop's length in keys.
        len: u64,
    },
    /// A Zipf(`s`) hot set of `hot_keys` keys; in every period of `scan_len / scan_share`
    /// requests, the last `scan_len` are a sequential scan of never-seen keys.
    ScanMix {
        /// Number of hot keys.
        hot_keys: u64,
        /// Zipf exponent of the hot set.
        s: f64,
        /// The share (0–1, exclusive of 0) of requests that belong to scans.
        scan_share: f64,
        /// Requests per scan.
        scan_len: u64,
    },
    /// With probability `share` a request is for a fresh key requested exactly once; otherwise
    /// it is a Zipf(`s`) draw over `keys` keys.
    OneHitWonders {
        /// Number of hot (repeating) keys.
        keys: u64,
        /// Zipf exponent of the repeating keys.
        s: f64,
        /// The share (0–1) of requests to one-hit wonders.
        share: f64,
    },
    /// A Zipf(`s`) hot set of `keys` keys that moves every `period` requests: in phase `p`
    /// (requests `p·period .. (p+1)·period`) rank r is key `p·shift + r`.
    Shifting {
        /// Keys in the hot set.
        keys: u64,
        /// Zipf exponent of the hot set.
        s: f64,
        /// Requests between moves.
        period: u64,
        /// How many keys the hot set moves by (`keys` replaces it entirely).
        shift: u64,
    },
}

/// Object sizes in capacity units, a deterministic function of `(seed, key)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SizeModel {
    /// Every object has this size (1 for count capacity).
    Fixed(u32),
    /// Log-normal with this median and log-space standard deviation `sigma`, rounded, clamped
    /// to `1..=max`. Web object sizes are close to log-normal in their body (Downey, "Lognormal
    /// and Pareto distributions in the Internet", Computer Communications 28(7), 2005).
    LogNormal {
        /// The median size.
        median: f64,
        /// σ of the size's logarithm.
        sigma: f64,
        /// The largest size drawn.
        max: u32,
    },
    /// Pareto with scale `min` and tail index `alpha` (P(size > x) = (min/x)^alpha), clamped to
    /// `min..=max`: a heavy tail of a few huge objects.
    Pareto {
        /// The smallest size (the scale).
        min: u32,
        /// The tail index (smaller is heavier).
        alpha: f64,
        /// The largest size drawn.
        max: u32,
    },
}

/// A workload or size parameter out of range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkloadError(pub String);

impl fmt::Display for WorkloadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for WorkloadError {}

fn check(ok: bool, msg: impl FnOnce() -> String) -> Result<(), WorkloadError> {
    if ok {
        Ok(())
    } else {
        Err(WorkloadError(msg()))
    }
}

fn check_keys(keys: u64, what: &str) -> Result<(), WorkloadError> {
    // The Zipf table holds one f64 per key; 10 million keys is 80 MB, the most a page can hold.
    check((1..=10_000_000).contains(&keys), || {
        format!("{what} must be between 1 and 10,000,000 (got {keys})")
    })
}

fn check_s(s: f64) -> Result<(), WorkloadError> {
    check(s.is_finite() && (0.0..=10.0).contains(&s), || {
        format!("the Zipf exponent must be between 0 and 10 (got {s})")
    })
}

fn check_share(share: f64, what: &str, allow_zero: bool) -> Result<(), WorkloadError> {
    let ok = share.is_finite() && share <= 1.0 && (share > 0.0 || (allow_zero && share == 0.0));
    check(ok, || {
        format!("{what} must be a share between 0 and 1 (got {share})")
    })
}

impl Workload {
    /// Checks the parameters.
    pub fn validate(&self) -> Result<(), WorkloadError> {
        match *self {
            Workload::Uniform { keys } => check_keys(keys, "the number of keys"),
            Workload::Zipf { keys, s } => {
                check_keys(keys, "the number of keys")?;
                check_s(s)
            }
            Workload::Loop { len } => check(len >= 1, || "the loop needs at least 1 key".into()),
            Workload::ScanMix {
                hot_keys,
                s,
                scan_share,
                scan_len,
            } => {
                check_keys(hot_keys, "the hot set")?;
                check_s(s)?;
                check_share(scan_share, "the scan share", false)?;
                check(scan_len >= 1, || "a scan needs at least 1 request".into())
            }
            Workload::OneHitWonders { keys, s, share } => {
                check_keys(keys, "the number of keys")?;
                check_s(s)?;
                check_share(share, "the one-hit-wonder share", true)
            }
            Workload::Shifting {
                keys,
                s,
                period,
                shift,
            } => {
                check_keys(keys, "the hot set")?;
                check_s(s)?;
                check(period >= 1, || {
                    "the hot set must stay at least 1 request".into()
                })?;
                check(shift <= FRESH_KEY_BASE / 1_000_000, || {
                    format!("the shift is too large (got {shift})")
                })
            }
        }
    }

    /// The request stream for `seed`, sizes from `sizes` (its `next` fields are unknown).
    pub fn stream(&self, seed: u64, sizes: SizeModel) -> Result<RequestStream, WorkloadError> {
        self.validate()?;
        sizes.validate()?;
        let popularity = match *self {
            Workload::Uniform { .. } | Workload::Loop { .. } => Popularity::Uniform,
            Workload::Zipf { keys, s }
            | Workload::OneHitWonders { keys, s, .. }
            | Workload::Shifting { keys, s, .. }
            | Workload::ScanMix {
                hot_keys: keys, s, ..
            } => Popularity::zipf(keys, s),
        };
        let scan_period = match *self {
            // A period of scan_len / share requests makes scans that share of the stream.
            Workload::ScanMix {
                scan_share,
                scan_len,
                ..
            } => libm::ceil(scan_len as f64 / scan_share).max(scan_len as f64) as u64,
            _ => 0,
        };
        Ok(RequestStream {
            workload: self.clone(),
            popularity,
            sizes,
            seed,
            rng: SimRng::stream(seed, "cache-workload"),
            index: 0,
            fresh: 0,
            scan_period,
        })
    }

    /// The first `n` requests for `seed`, with every request's next use filled in.
    pub fn generate(
        &self,
        seed: u64,
        sizes: SizeModel,
        n: u64,
    ) -> Result<Vec<Request>, WorkloadError> {
        let mut trace: Vec<Request> = self.stream(seed, sizes)?.take_u64(n).collect();
        annotate_next(&mut trace);
        Ok(trace)
    }
}

impl SizeModel {
    /// Checks the parameters.
    pub fn validate(&self) -> Result<(), WorkloadError> {
        match *self {
            SizeModel::Fixed(size) => {
                check(size >= 1, || "objects need a size of at least 1".into())
            }
            SizeModel::LogNormal { median, sigma, max } => {
                check(median.is_finite() && median >= 1.0, || {
                    format!("the median size must be at least 1 (got {median})")
                })?;
                check(sigma.is_finite() && (0.0..=10.0).contains(&sigma), || {
                    format!("the size spread σ must be between 0 and 10 (got {sigma})")
                })?;
                check(max >= 1, || "the largest size must be at least 1".into())
            }
            SizeModel::Pareto { min, alpha, max } => {
                check(min >= 1 && max >= min, || {
                    format!("sizes need 1 ≤ min ≤ max (got {min} and {max})")
                })?;
                check(alpha.is_finite() && alpha > 0.0 && alpha <= 100.0, || {
                    format!("the tail index must be above 0 (got {alpha})")
                })
            }
        }
    }

    /// The size of `key` under `seed`: the same on every call, every target.
    pub fn size_of(&self, seed: u64, key: u64) -> u32 {
        match *self {
            SizeModel::Fixed(size) => size,
            SizeModel::LogNormal { median, sigma, max } => {
                // Box–Muller from two uniforms hashed from (seed, key).
                let (u1, u2) = key_uniforms(seed, key);
                let z = libm::sqrt(-2.0 * libm::log(u1)) * libm::cos(core::f64::consts::TAU * u2);
                let x = libm::round(median * libm::exp(sigma * z));
                clamp_size(x, 1, max)
            }
            SizeModel::Pareto { min, alpha, max } => {
                let (u, _) = key_uniforms(seed, key);
                // Inverse CDF: P(X > x) = (min/x)^α  ⇒  x = min · u^(−1/α), u in (0, 1].
                let x = libm::floor(f64::from(min) * libm::pow(u, -1.0 / alpha));
                clamp_size(x, min, max)
            }
        }
    }
}

fn clamp_size(x: f64, lo: u32, hi: u32) -> u32 {
    if x.is_nan() || x < f64::from(lo) {
        lo
    } else if x > f64::from(hi) {
        hi
    } else {
        x as u32
    }
}

/// Two uniforms in (0, 1] that depend only on `(seed, key)` (SplitMix64's finaliser, 53 bits
/// each; never 0, so logarithms stay finite).
fn key_uniforms(seed: u64, key: u64) -> (f64, f64) {
    let h1 = splitmix64_fmix(key ^ splitmix64_fmix(seed ^ 0x5349_5a45_5f53_4545));
    let h2 = splitmix64_fmix(h1 ^ 0x9e37_79b9_7f4a_7c15);
    let unit = |h: u64| ((h >> 11) + 1) as f64 * (1.0 / (1u64 << 53) as f64);
    (unit(h1), unit(h2))
}

/// An endless stream of requests (see [`Workload::stream`]).
#[derive(Clone, Debug)]
pub struct RequestStream {
    workload: Workload,
    popularity: Popularity,
    sizes: SizeModel,
    seed: u64,
    rng: SimRng,
    index: u64,
    fresh: u64,
    scan_period: u64,
}

impl RequestStream {
    /// The next `n` requests (a `take` counted in u64, the same on every target).
    pub fn take_u64(self, n: u64) -> impl Iterator<Item = Request> {
        let mut left = n;
        let mut inner = self;
        std::iter::from_fn(move || {
            if left == 0 {
                return None;
            }
            left -= 1;
            inner.next()
        })
    }

    fn fresh_key(&mut self) -> u64 {
        self.fresh += 1;
        FRESH_KEY_BASE + self.fresh - 1
    }

    fn zipf(&mut self, keys: u64) -> u64 {
        self.popularity.pick(&mut self.rng, keys).unwrap_or(0)
    }

    fn next_key(&mut self) -> u64 {
        let i = self.index;
        match self.workload {
            Workload::Uniform { keys } => self.rng.below(keys),
            Workload::Zipf { keys, .. } => self.zipf(keys),
            Workload::Loop { len } => i % len,
            Workload::ScanMix {
                hot_keys, scan_len, ..
            } => {
                if i % self.scan_period >= self.scan_period - scan_len {
                    self.fresh_key()
                } else {
                    self.zipf(hot_keys)
                }
            }
            Workload::OneHitWonders { keys, share, .. } => {
                if share > 0.0 && self.rng.chance(share) {
                    self.fresh_key()
                } else {
                    self.zipf(keys)
                }
            }
            Workload::Shifting {
                keys,
                period,
                shift,
                ..
            } => (i / period)
                .wrapping_mul(shift)
                .wrapping_add(self.zipf(keys)),
        }
    }
}

impl Iterator for RequestStream {
    type Item = Request;

    fn next(&mut self) -> Option<Request> {
        let key = self.next_key();
        self.index += 1;
        Some(Request {
            size: self.sizes.size_of(self.seed, key),
            ..Request::unit(key)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loop_cycles_in_order() {
        let w = Workload::Loop { len: 3 };
        let keys: Vec<u64> = w
            .stream(1, SizeModel::Fixed(1))
            .unwrap()
            .take_u64(7)
            .map(|r| r.key)
            .collect();
        assert_eq!(keys, [0, 1, 2, 0, 1, 2, 0]);
    }

    #[test]
    fn fixed_sizes_are_fixed() {
        assert_eq!(SizeModel::Fixed(7).size_of(3, 99), 7);
    }
}
