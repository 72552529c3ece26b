//! How long one shard takes to answer one request: a lognormal body with an occasional long
//! pause, and the closed forms a scatter-gather query's latency follows from it.
//!
//! A request's service time is `median · e^(σ·Z)` (Z standard normal), plus — with probability
//! `p` — a pause of `slow` (a garbage-collection stop, a compaction, a noisy neighbour). Its CDF is
//! the mixture
//!
//! ```text
//! F(t) = (1 − p)·G(t) + p·G(t − slow),   G(x) = Φ(ln(x / median) / σ)  (0 for x ≤ 0)
//! ```
//!
//! A scatter query waits for the slowest of `N` independent answers, so (ignoring queueing)
//! `P(max ≤ t) = F(t)^N`: its q-quantile is the `q^(1/N)`-quantile of one draw, and the chance
//! that at least one of the `N` shards paused is `1 − (1 − p)^N` — 47.4 % for p = 1 % and N = 64.
//!
//! Floats come from `libm` so every target computes the same bits; the sampler always consumes
//! exactly three random numbers per draw, so a change of parameters never shifts later draws.

use crate::rng::SimRng;

/// Shard counts the theory series is computed for.
pub const THEORY_SHARDS: [u32; 7] = [1, 2, 4, 8, 16, 32, 64];

/// One shard's service-time distribution.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ServiceDist {
    /// Median of the lognormal body, in microseconds.
    pub median_us: f64,
    /// σ of the body's logarithm (0 makes the body a constant).
    pub sigma: f64,
    /// Chance that a request also pauses, in `[0, 1]`.
    pub slow_p: f64,
    /// Length of a pause, in microseconds.
    pub slow_us: f64,
}

/// One service-time draw.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Draw {
    /// The service time, in whole microseconds (at least 1).
    pub us: u64,
    /// Whether this request paused.
    pub paused: bool,
}

/// Φ((ln x − ln median) / σ): the lognormal body's CDF at `x` microseconds.
fn body_cdf(x: f64, median: f64, sigma: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if sigma <= 0.0 {
        return if x >= median { 1.0 } else { 0.0 };
    }
    let z = libm::log(x / median) / sigma;
    0.5 * libm::erfc(-z / core::f64::consts::SQRT_2)
}

impl ServiceDist {
    /// Draws one service time.
    pub fn sample(&self, rng: &mut SimRng) -> Draw {
        let u1 = 1.0 - rng.unit_f64(); // (0, 1]: the log is finite
        let u2 = rng.unit_f64();
        let u3 = rng.unit_f64();
        let z = libm::sqrt(-2.0 * libm::log(u1)) * libm::cos(2.0 * core::f64::consts::PI * u2);
        let paused = u3 < self.slow_p;
        let mut us = self.median_us * libm::exp(self.sigma * z);
        if paused {
            us += self.slow_us;
        }
        Draw {
            us: libm::round(us).clamp(1.0, 1e12) as u64,
            paused,
        }
    }

    /// `F(t)`: the chance that one draw is at most `t` microseconds.
    pub fn cdf(&self, t: f64) -> f64 {
        let p = self.slow_p.clamp(0.0, 1.0);
        (1.0 - p) * body_cdf(t, self.median_us, self.sigma)
            + p * body_cdf(t - self.slow_us, self.median_us, self.sigma)
    }

    /// The `q`-quantile of one draw, in microseconds: the smallest `t` with `F(t) ≥ q`, found by
    /// bisection (a fixed number of halvings, so the result is the same everywhere).
    pub fn quantile(&self, q: f64) -> f64 {
        let q = q.clamp(0.0, 1.0 - 1e-15);
        let mut hi = (self.median_us + self.slow_us).max(1.0);
        for _ in 0..200 {
            if self.cdf(hi) >= q {
                break;
            }
            hi *= 2.0;
        }
        let mut lo = 0.0;
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if self.cdf(mid) >= q {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        hi
    }

    /// The `q`-quantile of the slowest of `n` independent draws, in microseconds: the
    /// `q^(1/n)`-quantile of one draw, because `P(max ≤ t) = F(t)^n`.
    pub fn max_quantile(&self, q: f64, n: u32) -> f64 {
        self.quantile(libm::pow(q, 1.0 / f64::from(n.max(1))))
    }

    /// The chance that at least one of `n` independent requests pauses: `1 − (1 − p)^n`.
    pub fn any_paused(&self, n: u32) -> f64 {
        1.0 - libm::pow(1.0 - self.slow_p.clamp(0.0, 1.0), f64::from(n))
    }

    /// The mean service time, in microseconds: `median · e^(σ²/2) + p · slow`.
    pub fn mean_us(&self) -> f64 {
        self.median_us * libm::exp(self.sigma * self.sigma / 2.0) + self.slow_p * self.slow_us
    }
}

/// The `q`-quantile latency of a scatter query over `n` idle, healthy shards, in microseconds:
/// the slowest of `n` answers, plus the merge when there is more than one answer to merge.
pub fn scatter_quantile_us(dist: &ServiceDist, q: f64, n: u32, gather_us: u64) -> f64 {
    let merge = if n > 1 { gather_us as f64 } else { 0.0 };
    dist.max_quantile(q, n) + merge
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dist(p: f64) -> ServiceDist {
        ServiceDist {
            median_us: 2_000.0,
            sigma: 0.5,
            slow_p: p,
            slow_us: 50_000.0,
        }
    }

    #[test]
    fn the_median_of_the_body_is_the_median() {
        let d = dist(0.0);
        assert!((d.quantile(0.5) - 2_000.0).abs() < 1e-6);
        assert!((d.cdf(2_000.0) - 0.5).abs() < 1e-12);
    }

    #[test]
    fn one_percent_pauses_hit_almost_half_of_64_way_scatters() {
        let p = dist(0.01).any_paused(64);
        assert!((p - 0.474_403_512_474_438).abs() < 1e-12, "{p}");
    }

    #[test]
    fn a_constant_body_has_a_step_cdf() {
        let d = ServiceDist {
            median_us: 1_000.0,
            sigma: 0.0,
            slow_p: 0.0,
            slow_us: 0.0,
        };
        assert_eq!(d.cdf(999.0), 0.0);
        assert_eq!(d.cdf(1_000.0), 1.0);
        assert!((d.quantile(0.99) - 1_000.0).abs() < 1e-6);
        let mut rng = SimRng::new(1);
        assert_eq!(d.sample(&mut rng).us, 1_000);
    }
}
