//! How much work a request needs: its **cost**, in microseconds of service on a server of
//! speed 1.0 (a server of speed `s` takes `cost / s`; see [`crate::requests::server`]).
//!
//! | distribution | parameters | mean | median |
//! |---|---|---|---|
//! | constant | `us` | `us` | `us` |
//! | exponential | `mean_us` = 1/μ | `mean_us` | `mean_us · ln 2` |
//! | log-normal | `median_us` = e^μ, `sigma` = σ of ln(cost) | `median_us · e^(σ²/2)` | `median_us` |
//! | Pareto (capped) | `min_us` = x_m, shape `alpha` = α, `cap_us` | see [`CostDist::mean_us`] | `x_m · 2^(1/α)` |
//! | mix | `cheap`, `expensive`, `expensive_share` = p | `(1−p)·cheap + p·expensive` | — |
//!
//! Draws are by inverse transform from [`SimRng::unit_f64`] (the normal for the log-normal by
//! Box–Muller: Box & Muller, "A note on the generation of random normal deviates", *Ann. Math.
//! Statist.* 29, 1958), with `libm` so every target draws the same bits. A draw is rounded to
//! the nearest whole microsecond (so it can be 0: a request that costs less than half a
//! microsecond) and never exceeds [`MAX_COST_US`]. The Pareto's tail `P(X > x) = (x_m/x)^α` has
//! an infinite mean for `α ≤ 1` and an infinite variance for `α ≤ 2`; `cap_us` truncates
//! each draw (`min(X, cap)`) so a draw cannot overflow and the mean stays finite (Newman,
//! "Power laws, Pareto distributions and Zipf's law", *Contemporary Physics* 46(5), 2005, on
//! why such tails matter).

use crate::rng::SimRng;

/// The largest cost any draw can have: 10¹² µs (about 11.6 days).
pub const MAX_COST_US: u64 = 1_000_000_000_000;

/// A request cost distribution (see the module docs for each parameterisation).
#[derive(Clone, Debug, PartialEq)]
pub enum CostDist {
    /// Every request costs `us`.
    Constant {
        /// Microseconds.
        us: u64,
    },
    /// Exponential with mean `mean_us` (M/M/· queues).
    Exponential {
        /// The mean, 1/μ, microseconds.
        mean_us: f64,
    },
    /// Log-normal: `ln(cost)` is normal with mean `ln(median_us)` and standard deviation
    /// `sigma`.
    LogNormal {
        /// The median (e^μ), microseconds.
        median_us: f64,
        /// σ of `ln(cost)` (0 is constant; 1 is a long tail).
        sigma: f64,
    },
    /// Pareto type I, `P(X > x) = (min_us / x)^alpha` for `x ≥ min_us`, each draw capped at
    /// `cap_us`.
    Pareto {
        /// The scale x_m: the smallest cost, microseconds.
        min_us: f64,
        /// The shape α (smaller is heavier; α ≤ 2 has infinite variance uncapped).
        alpha: f64,
        /// No draw exceeds this, microseconds (at most [`MAX_COST_US`]).
        cap_us: f64,
    },
    /// With probability `expensive_share` a draw from `expensive`, otherwise from `cheap`.
    Mix {
        /// The usual request.
        cheap: Box<CostDist>,
        /// The occasional expensive one.
        expensive: Box<CostDist>,
        /// The share (0–1) of expensive requests.
        expensive_share: f64,
    },
}

fn positive(what: &str, x: f64) -> Result<(), String> {
    if !x.is_finite() || x <= 0.0 || x > MAX_COST_US as f64 {
        return Err(format!(
            "{what} must be more than 0 and at most {MAX_COST_US} µs, got {x}"
        ));
    }
    Ok(())
}

impl CostDist {
    /// Checks the parameters; the message says what to change.
    pub fn validate(&self) -> Result<(), String> {
        self.validate_depth(0)
    }

    fn validate_depth(&self, depth: u32) -> Result<(), String> {
        match self {
            CostDist::Constant { us } => {
                if *us > MAX_COST_US {
                    return Err(format!("a cost must be at most {MAX_COST_US} µs, got {us}"));
                }
                Ok(())
            }
            CostDist::Exponential { mean_us } => positive("the mean cost", *mean_us),
            CostDist::LogNormal { median_us, sigma } => {
                positive("the median cost", *median_us)?;
                if !sigma.is_finite() || !(0.0..=5.0).contains(sigma) {
                    return Err(format!("sigma must be in 0–5, got {sigma}"));
                }
                Ok(())
            }
            CostDist::Pareto {
                min_us,
                alpha,
                cap_us,
            } => {
                positive("the Pareto minimum", *min_us)?;
                positive("the Pareto cap", *cap_us)?;
                if !alpha.is_finite() || !(0.1..=100.0).contains(alpha) {
                    return Err(format!(
                        "the Pareto shape alpha must be in 0.1–100, got {alpha}"
                    ));
                }
                if cap_us < min_us {
                    return Err(format!(
                        "the Pareto cap ({cap_us} µs) must be at least its minimum ({min_us} µs)"
                    ));
                }
                Ok(())
            }
            CostDist::Mix {
                cheap,
                expensive,
                expensive_share,
            } => {
                if depth >= 4 {
                    return Err("mixes may nest at most 4 deep".into());
                }
                if !(0.0..=1.0).contains(expensive_share) {
                    return Err(format!(
                        "the expensive share must be in 0–1, got {expensive_share}"
                    ));
                }
                cheap.validate_depth(depth + 1)?;
                expensive.validate_depth(depth + 1)
            }
        }
    }

    /// One draw, microseconds (rounded, at most [`MAX_COST_US`]).
    pub fn draw(&self, rng: &mut SimRng) -> u64 {
        let x = match self {
            CostDist::Constant { us } => return (*us).min(MAX_COST_US),
            CostDist::Exponential { mean_us } => -libm::log(1.0 - rng.unit_f64()) * mean_us,
            CostDist::LogNormal { median_us, sigma } => {
                median_us * libm::exp(sigma * standard_normal(rng))
            }
            CostDist::Pareto {
                min_us,
                alpha,
                cap_us,
            } => {
                // U in (0, 1]: x_m · U^(−1/α) ≥ x_m, infinite only if U = 0, which cannot be.
                let u = 1.0 - rng.unit_f64();
                (min_us * libm::exp(-libm::log(u) / alpha)).min(*cap_us)
            }
            CostDist::Mix {
                cheap,
                expensive,
                expensive_share,
            } => {
                return if rng.unit_f64() < *expensive_share {
                    expensive.draw(rng)
                } else {
                    cheap.draw(rng)
                }
            }
        };
        libm::round(x).clamp(0.0, MAX_COST_US as f64) as u64
    }

    /// The distribution's mean, microseconds (of the continuous distribution, before rounding
    /// to whole microseconds). For the capped Pareto it is the mean of `min(X, cap)`:
    /// `x_m + x_m^α (cap^(1−α) − x_m^(1−α)) / (1 − α)`, or `x_m (1 + ln(cap/x_m))` for α = 1
    /// (integrate the survival function `∫₀^cap P(X > x) dx`).
    pub fn mean_us(&self) -> f64 {
        match self {
            CostDist::Constant { us } => *us as f64,
            CostDist::Exponential { mean_us } => *mean_us,
            CostDist::LogNormal { median_us, sigma } => median_us * libm::exp(sigma * sigma / 2.0),
            CostDist::Pareto {
                min_us,
                alpha,
                cap_us,
            } => {
                let (m, a, c) = (*min_us, *alpha, *cap_us);
                if libm::fabs(a - 1.0) < 1e-12 {
                    m * (1.0 + libm::log(c / m))
                } else {
                    m + libm::pow(m, a) * (libm::pow(c, 1.0 - a) - libm::pow(m, 1.0 - a))
                        / (1.0 - a)
                }
            }
            CostDist::Mix {
                cheap,
                expensive,
                expensive_share,
            } => (1.0 - expensive_share) * cheap.mean_us() + expensive_share * expensive.mean_us(),
        }
    }
}

/// A standard normal draw (Box–Muller, one of the pair).
pub fn standard_normal(rng: &mut SimRng) -> f64 {
    let u1 = 1.0 - rng.unit_f64(); // (0, 1]: the log is finite
    let u2 = rng.unit_f64();
    libm::sqrt(-2.0 * libm::log(u1)) * libm::cos(2.0 * core::f64::consts::PI * u2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_draws_its_value_and_mixes_pick_by_share() {
        let mut r = SimRng::new(1);
        assert_eq!(CostDist::Constant { us: 7 }.draw(&mut r), 7);
        let m = CostDist::Mix {
            cheap: Box::new(CostDist::Constant { us: 1 }),
            expensive: Box::new(CostDist::Constant { us: 100 }),
            expensive_share: 0.0,
        };
        assert!((0..100).all(|_| m.draw(&mut r) == 1));
        assert_eq!(m.mean_us(), 1.0);
    }

    #[test]
    fn pareto_never_exceeds_its_cap_or_falls_below_its_minimum() {
        let p = CostDist::Pareto {
            min_us: 100.0,
            alpha: 0.5,
            cap_us: 10_000.0,
        };
        p.validate().unwrap();
        let mut r = SimRng::new(2);
        for _ in 0..10_000 {
            let x = p.draw(&mut r);
            assert!((100..=10_000).contains(&x), "{x}");
        }
    }

    #[test]
    fn bad_parameters_are_refused_with_a_reason() {
        assert!(CostDist::Exponential { mean_us: 0.0 }.validate().is_err());
        assert!(CostDist::Exponential {
            mean_us: f64::INFINITY
        }
        .validate()
        .is_err());
        let p = CostDist::Pareto {
            min_us: 10.0,
            alpha: 1.5,
            cap_us: 5.0,
        };
        assert!(p.validate().unwrap_err().contains("cap"));
        let l = CostDist::LogNormal {
            median_us: 10.0,
            sigma: -1.0,
        };
        assert!(l.validate().is_err());
    }
}
