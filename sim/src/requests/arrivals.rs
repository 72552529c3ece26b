//! When requests arrive: constant rate, Poisson, on/off bursts, a daily curve, or a recorded
//! list of times.
//!
//! Every process yields nondecreasing integer microsecond times. The random ones are exact:
//!
//! - **Poisson**: independent exponential gaps of mean `1/λ` (inverse transform).
//! - **Bursts**: a Poisson stream whose rate alternates between `on_rate` for `on_us` and
//!   `off_rate` for `off_us`, starting "on" at time zero (an on/off-modulated Poisson process
//!   with a deterministic period). Because the exponential is memoryless, a gap that would
//!   cross a rate change is discarded and a fresh one drawn from the boundary at the new rate,
//!   which is exact for a piecewise-constant rate.
//! - **Daily curve**: a non-homogeneous Poisson process with rate
//!   `λ(t) = mean · (1 + amplitude · cos(2π (t − peak_at) / period))`, sampled by thinning
//!   (Lewis & Shedler, "Simulation of nonhomogeneous Poisson processes by thinning", *Naval
//!   Research Logistics Quarterly* 26(3), 1979): candidates from a Poisson stream of the peak
//!   rate `λ_max = mean · (1 + amplitude)`, each kept with probability `λ(t)/λ_max`.
//!
//! Constant-rate arrivals are evenly spaced: the i-th (i = 1, 2, …) at `round(i · 10⁶ / rate)`
//! µs. For every process the exact (fractional) times accumulate and only each time handed
//! out is rounded to the nearest microsecond, so rounding never drifts or shifts the rate; two
//! arrivals may share a microsecond.

use crate::rng::SimRng;
use crate::time::SimTime;

/// The highest rate any process may have, requests per second.
pub const MAX_RATE_PER_SEC: f64 = 1_000_000.0;

/// An arrival process.
#[derive(Clone, Debug, PartialEq)]
pub enum Arrivals {
    /// Evenly spaced arrivals, `rate_per_sec` per second.
    Constant {
        /// Requests per second.
        rate_per_sec: f64,
    },
    /// A Poisson stream of `rate_per_sec` per second (exponential gaps).
    Poisson {
        /// Requests per second (λ).
        rate_per_sec: f64,
    },
    /// A Poisson stream alternating between two rates, "on" first (see the module docs).
    Bursts {
        /// Rate while on, per second.
        on_rate_per_sec: f64,
        /// How long each on period lasts, microseconds.
        on_us: u64,
        /// Rate while off, per second (0 for silence).
        off_rate_per_sec: f64,
        /// How long each off period lasts, microseconds.
        off_us: u64,
    },
    /// A sinusoidal daily curve sampled by thinning (see the module docs).
    Daily {
        /// Mean rate over a period, per second.
        mean_rate_per_sec: f64,
        /// Relative swing, 0–1: the peak is `mean · (1 + amplitude)`, the trough
        /// `mean · (1 − amplitude)`.
        amplitude: f64,
        /// Length of one cycle, microseconds (86,400,000,000 for a real day; lessons compress it).
        period_us: u64,
        /// When the first peak is, microseconds.
        peak_at_us: u64,
    },
    /// Exactly these arrival times (nondecreasing), e.g. from a log.
    Recorded(Vec<SimTime>),
}

fn check_rate(what: &str, r: f64) -> Result<(), String> {
    if !r.is_finite() || !(0.0..=MAX_RATE_PER_SEC).contains(&r) {
        return Err(format!(
            "{what} must be between 0 and {MAX_RATE_PER_SEC} requests per second, got {r}"
        ));
    }
    Ok(())
}

impl Arrivals {
    /// Checks the parameters; the message says what to change.
    pub fn validate(&self) -> Result<(), String> {
        match self {
            Arrivals::Constant { rate_per_sec } | Arrivals::Poisson { rate_per_sec } => {
                check_rate("the arrival rate", *rate_per_sec)
            }
            Arrivals::Bursts {
                on_rate_per_sec,
                on_us,
                off_rate_per_sec,
                off_us,
            } => {
                check_rate("the burst (on) rate", *on_rate_per_sec)?;
                check_rate("the quiet (off) rate", *off_rate_per_sec)?;
                if *on_us == 0 || *off_us == 0 {
                    return Err("burst on and off periods must each be at least 1 µs".into());
                }
                Ok(())
            }
            Arrivals::Daily {
                mean_rate_per_sec,
                amplitude,
                period_us,
                ..
            } => {
                check_rate("the mean rate", *mean_rate_per_sec)?;
                check_rate("the peak rate", mean_rate_per_sec * (1.0 + amplitude.abs()))?;
                if !(0.0..=1.0).contains(amplitude) {
                    return Err(format!("the amplitude must be in 0–1, got {amplitude}"));
                }
                if *period_us == 0 {
                    return Err("the daily period must be at least 1 µs".into());
                }
                Ok(())
            }
            Arrivals::Recorded(times) => {
                if let Some(w) = times.windows(2).position(|w| w[1] < w[0]) {
                    return Err(format!(
                        "recorded arrival times must not go backwards: #{} at {} µs comes after {} µs",
                        w + 2,
                        times[w + 1].as_us(),
                        times[w].as_us()
                    ));
                }
                Ok(())
            }
        }
    }

    /// The expected number of arrivals in `[0, until)`, for refusing a run that would exceed
    /// the request cap before it starts.
    pub fn expected_count(&self, until: SimTime) -> f64 {
        let secs = until.as_us() as f64 / 1e6;
        match self {
            Arrivals::Constant { rate_per_sec } | Arrivals::Poisson { rate_per_sec } => {
                rate_per_sec * secs
            }
            Arrivals::Bursts {
                on_rate_per_sec,
                on_us,
                off_rate_per_sec,
                off_us,
            } => {
                let period = (on_us + off_us) as f64;
                (on_rate_per_sec * *on_us as f64 + off_rate_per_sec * *off_us as f64) / period
                    * secs
            }
            Arrivals::Daily {
                mean_rate_per_sec, ..
            } => mean_rate_per_sec * secs,
            Arrivals::Recorded(times) => times.iter().filter(|t| **t < until).count() as f64,
        }
    }

    /// The rate at time `t`, per second (for constant and Poisson the rate itself; for a
    /// recorded list, `None`).
    pub fn rate_at(&self, t: SimTime) -> Option<f64> {
        match self {
            Arrivals::Constant { rate_per_sec } | Arrivals::Poisson { rate_per_sec } => {
                Some(*rate_per_sec)
            }
            Arrivals::Bursts {
                on_rate_per_sec,
                on_us,
                off_rate_per_sec,
                off_us,
            } => Some(if t.as_us() % (on_us + off_us) < *on_us {
                *on_rate_per_sec
            } else {
                *off_rate_per_sec
            }),
            Arrivals::Daily {
                mean_rate_per_sec,
                amplitude,
                period_us,
                peak_at_us,
            } => Some(daily_rate(
                *mean_rate_per_sec,
                *amplitude,
                *period_us,
                *peak_at_us,
                t.as_us(),
            )),
            Arrivals::Recorded(_) => None,
        }
    }
}

/// `mean · (1 + amplitude · cos(2π (t − peak) / period))`, never negative.
fn daily_rate(mean: f64, amplitude: f64, period: u64, peak: u64, t: u64) -> f64 {
    // The phase in whole microseconds first, so large times keep their precision.
    let phase = ((t % period) + period - (peak % period)) % period;
    let phase = phase as f64 / period as f64;
    (mean * (1.0 + amplitude * libm::cos(2.0 * core::f64::consts::PI * phase))).max(0.0)
}

/// An exponential gap of rate `rate_per_sec`, in (fractional) microseconds.
fn exp_gap_us(rng: &mut SimRng, rate_per_sec: f64) -> f64 {
    -libm::log(1.0 - rng.unit_f64()) / rate_per_sec * 1e6
}

/// A running arrival process: yields the next arrival time, or `None` when it has no more.
#[derive(Clone, Debug)]
pub struct ArrivalStream {
    process: Arrivals,
    rng: SimRng,
    /// Arrivals yielded so far.
    count: u64,
    /// The last time yielded, unrounded (or the start): gaps accumulate exactly and only the
    /// times are rounded, so rounding never shifts the rate.
    exact_us: f64,
}

impl ArrivalStream {
    /// A stream of `process` drawing from `rng`; call [`Arrivals::validate`] first.
    pub fn new(process: Arrivals, rng: SimRng) -> Self {
        ArrivalStream {
            process,
            rng,
            count: 0,
            exact_us: 0.0,
        }
    }

    /// How many arrivals it has yielded.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The next arrival time, or `None` when the process has ended (a zero rate, the end of a
    /// recorded list, or time running out).
    pub fn next_arrival(&mut self) -> Option<SimTime> {
        let t = match &self.process {
            Arrivals::Constant { rate_per_sec } => {
                if *rate_per_sec <= 0.0 {
                    return None;
                }
                let i = (self.count + 1) as f64;
                i * 1e6 / rate_per_sec
            }
            Arrivals::Poisson { rate_per_sec } => {
                if *rate_per_sec <= 0.0 {
                    return None;
                }
                self.exact_us + exp_gap_us(&mut self.rng, *rate_per_sec)
            }
            Arrivals::Bursts {
                on_rate_per_sec,
                on_us,
                off_rate_per_sec,
                off_us,
            } => {
                if *on_rate_per_sec <= 0.0 && *off_rate_per_sec <= 0.0 {
                    return None;
                }
                let period = on_us + off_us;
                let mut t = self.exact_us;
                loop {
                    // The phase boundaries are whole microseconds.
                    let tu = t as u64;
                    let pos = tu % period;
                    let (rate, phase_end) = if pos < *on_us {
                        (*on_rate_per_sec, tu - pos + on_us)
                    } else {
                        (*off_rate_per_sec, tu - pos + period)
                    };
                    let cand = if rate > 0.0 {
                        t + exp_gap_us(&mut self.rng, rate)
                    } else {
                        f64::INFINITY
                    };
                    if cand < phase_end as f64 {
                        break cand;
                    }
                    // Memoryless: restart from the rate change at the new rate.
                    t = phase_end as f64;
                    if t > MAX_TIME_US {
                        return None;
                    }
                }
            }
            Arrivals::Daily {
                mean_rate_per_sec,
                amplitude,
                period_us,
                peak_at_us,
            } => {
                let max = mean_rate_per_sec * (1.0 + amplitude);
                if max <= 0.0 {
                    return None;
                }
                let mut t = self.exact_us;
                loop {
                    t += exp_gap_us(&mut self.rng, max);
                    if t > MAX_TIME_US {
                        return None;
                    }
                    let rate = daily_rate(
                        *mean_rate_per_sec,
                        *amplitude,
                        *period_us,
                        *peak_at_us,
                        t as u64,
                    );
                    if self.rng.unit_f64() * max < rate {
                        break t;
                    }
                }
            }
            Arrivals::Recorded(times) => times.get(self.count as usize)?.as_us() as f64,
        };
        if t > MAX_TIME_US {
            return None;
        }
        self.count += 1;
        self.exact_us = t;
        Some(SimTime::from_us(libm::round(t) as u64))
    }
}

/// Arrival times stop here (about 285 years): far beyond any run, and exact in an `f64`.
const MAX_TIME_US: f64 = 9.0e15;

#[cfg(test)]
mod tests {
    use super::*;

    fn take(a: Arrivals, n: u64) -> Vec<u64> {
        let mut s = ArrivalStream::new(a, SimRng::new(1));
        (0..n)
            .map_while(|_| s.next_arrival().map(|t| t.as_us()))
            .collect()
    }

    #[test]
    fn constant_rate_is_evenly_spaced_without_drift() {
        // 3 per second: 333,333.3 µs apart, rounded per arrival, not per gap.
        let t = take(Arrivals::Constant { rate_per_sec: 3.0 }, 4);
        assert_eq!(t, [333_333, 666_667, 1_000_000, 1_333_333]);
        assert!(take(Arrivals::Constant { rate_per_sec: 0.0 }, 3).is_empty());
    }

    #[test]
    fn recorded_times_come_back_in_order_and_backwards_lists_are_refused() {
        let times: Vec<SimTime> = [5, 5, 9].map(SimTime::from_us).to_vec();
        assert_eq!(take(Arrivals::Recorded(times), 10), [5, 5, 9]);
        let bad = Arrivals::Recorded([9, 5].map(SimTime::from_us).to_vec());
        assert!(bad.validate().unwrap_err().contains("backwards"));
    }

    #[test]
    fn bursts_are_silent_when_off_with_zero_rate() {
        let a = Arrivals::Bursts {
            on_rate_per_sec: 10_000.0,
            on_us: 1_000,
            off_rate_per_sec: 0.0,
            off_us: 9_000,
        };
        let t = take(a, 2_000);
        // Rounded to the nearest µs, an arrival just before the switch may land on it.
        assert!(
            t.iter().all(|x| x % 10_000 <= 1_000),
            "an arrival while off"
        );
        assert!(t.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn bad_parameters_are_refused_with_a_reason() {
        assert!(Arrivals::Poisson { rate_per_sec: -1.0 }.validate().is_err());
        assert!(Arrivals::Poisson {
            rate_per_sec: f64::NAN
        }
        .validate()
        .is_err());
        assert!(Arrivals::Poisson { rate_per_sec: 2e6 }.validate().is_err());
        let d = Arrivals::Daily {
            mean_rate_per_sec: 10.0,
            amplitude: 1.5,
            period_us: 100,
            peak_at_us: 0,
        };
        assert!(d.validate().unwrap_err().contains("amplitude"));
    }
}
