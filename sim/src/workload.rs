//! Request workloads shared by the lesson models: which key a request asks for (uniform, or Zipf
//! popularity by key rank) and when the next request arrives (a Poisson stream).
//!
//! Floats come from `libm`, not `std`, so the weights and gaps are bit-identical on every target.

use crate::params::{ParamSet, ParamSpec};
use crate::rng::SimRng;
use std::rc::Rc;

/// How requests choose keys.
#[derive(Clone, Debug, PartialEq)]
pub enum Popularity {
    /// Every key equally often.
    Uniform,
    /// Zipf: the key of rank r (1-based, in key order) is asked for in proportion to 1/r^s.
    /// Holds the cumulative weights.
    Zipf(Rc<[f64]>),
}

impl Popularity {
    /// Reads the `popularity` and `zipf_s` parameters (see [`specs`]) for `keys` keys.
    pub fn from_params(params: &ParamSet, keys: u64) -> Self {
        match params.text("popularity") {
            "zipf" => Self::zipf(keys, params.float("zipf_s")),
            _ => Popularity::Uniform,
        }
    }

    /// Zipf popularity with exponent `s` over `keys` keys.
    pub fn zipf(keys: u64, s: f64) -> Self {
        let mut acc = 0.0;
        let cdf: Vec<f64> = (1..=keys)
            .map(|rank| {
                acc += 1.0 / libm::pow(rank as f64, s);
                acc
            })
            .collect();
        Popularity::Zipf(cdf.into())
    }

    /// Draws the index of the key a request asks for, among `keys` keys (None when there are
    /// none). A Zipf table built for fewer keys covers only its own ranks.
    pub fn pick(&self, rng: &mut SimRng, keys: u64) -> Option<u64> {
        if keys == 0 {
            return None;
        }
        let idx = match self {
            Popularity::Uniform => rng.below(keys),
            Popularity::Zipf(cdf) => {
                let total = cdf.last().copied().unwrap_or(0.0);
                let u = rng.unit_f64() * total;
                cdf.partition_point(|c| *c <= u) as u64
            }
        };
        Some(idx.min(keys - 1))
    }
}

/// The gap to the next arrival of a Poisson stream of `rate_per_sec` requests per second, in
/// microseconds (at least 1), or None when the rate is zero.
pub fn poisson_gap_us(rng: &mut SimRng, rate_per_sec: f64) -> Option<u64> {
    if rate_per_sec <= 0.0 {
        return None;
    }
    let u = 1.0 - rng.unit_f64();
    Some((-libm::log(u) / rate_per_sec * 1_000_000.0).max(1.0) as u64)
}

/// The workload parameters every keyed lesson shares: `request_rate`, `popularity`, `zipf_s`.
pub fn specs(default_rate: i64) -> Vec<ParamSpec> {
    vec![
        ParamSpec::int("request_rate", "Request rate", default_rate, 0, 500, 1)
            .unit("req/s")
            .help("Requests per simulated second (a Poisson stream); each asks for one key."),
        ParamSpec::choice(
            "popularity",
            "Key popularity",
            "uniform",
            &[("uniform", "Uniform"), ("zipf", "Zipf (a few hot keys)")],
        )
        .help("Which keys requests ask for."),
        ParamSpec::float("zipf_s", "Zipf exponent s", 1.0, 0.0, 3.0, 0.1).help(
            "Skew of the Zipf popularity: 0 is uniform, 1 is classic Zipf, higher is hotter.",
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zipf_prefers_low_ranks_and_uniform_does_not() {
        let mut rng = SimRng::new(1);
        let z = Popularity::zipf(100, 1.2);
        let mut first = 0;
        for _ in 0..10_000 {
            if z.pick(&mut rng, 100) == Some(0) {
                first += 1;
            }
        }
        // Rank 1's share under s = 1.2 over 100 keys is 1 / H(100, 1.2) ≈ 0.278.
        assert!(
            (2_550..3_000).contains(&first),
            "rank 1 drawn {first} times in 10,000"
        );
        assert_eq!(Popularity::Uniform.pick(&mut rng, 0), None);
        assert!(Popularity::Uniform.pick(&mut rng, 3).unwrap() < 3);
    }

    #[test]
    fn poisson_gaps_average_one_over_the_rate() {
        let mut rng = SimRng::new(2);
        let n = 20_000u64;
        let sum: u64 = (0..n)
            .map(|_| poisson_gap_us(&mut rng, 100.0).unwrap())
            .sum();
        let mean_ms = sum as f64 / n as f64 / 1_000.0;
        assert!(
            (9.7..10.3).contains(&mean_ms),
            "mean gap {mean_ms} ms at 100 req/s"
        );
        assert_eq!(poisson_gap_us(&mut rng, 0.0), None);
    }
}
