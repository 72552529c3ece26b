//! The bulkheads model's parameters, read into a [`Setup`], its lanes, and the latency
//! distribution's closed forms the metrics and the theory curves use.

use crate::models::scatter_gather::service::ServiceDist;
use crate::params::{ParamError, ParamSet, ParamSpec};
use crate::time::SimTime;

/// The most requests a run may expect (`(rate_a + rate_b) × duration`): it bounds a run's events
/// and the response times each lane keeps for its percentiles.
pub const MAX_REQUESTS: f64 = 60_000.0;

/// One lane: how the caller isolates and bounds its calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum LaneKind {
    /// One pool of `workers` threads for every request, no timeout on B.
    Shared,
    /// One pool, and a timeout on every call to B.
    SharedTimeout,
    /// A pool per dependency (`workers − pool_b` for A, `pool_b` for B), no timeout.
    Bulkhead,
    /// A pool per dependency and a timeout on B.
    BulkheadTimeout,
}

impl LaneKind {
    /// In lane order.
    pub const ALL: [LaneKind; 4] = [
        LaneKind::Shared,
        LaneKind::SharedTimeout,
        LaneKind::Bulkhead,
        LaneKind::BulkheadTimeout,
    ];

    /// Its id in parameters, compare variants and test ids.
    pub const fn id(self) -> &'static str {
        match self {
            LaneKind::Shared => "shared",
            LaneKind::SharedTimeout => "shared-timeout",
            LaneKind::Bulkhead => "bulkhead",
            LaneKind::BulkheadTimeout => "bulkhead-timeout",
        }
    }

    /// Whether its calls to B have a timeout.
    pub const fn timeout(self) -> bool {
        matches!(self, LaneKind::SharedTimeout | LaneKind::BulkheadTimeout)
    }

    /// Whether it gives each dependency its own pool.
    pub const fn bulkhead(self) -> bool {
        matches!(self, LaneKind::Bulkhead | LaneKind::BulkheadTimeout)
    }

    /// Its per-lane metric ids, then their labels: requests that succeeded, failed (an error
    /// answer), were rejected, timed out, got a fallback; p99 response time; A's requests that
    /// succeeded (%); the most threads B's calls held at once; B's requests' p99 response time.
    pub const fn metric_ids(self) -> ([&'static str; 9], [&'static str; 9]) {
        macro_rules! ids {
            ($s:literal, $l:literal) => {
                (
                    [
                        concat!("ok_", $s),
                        concat!("failed_", $s),
                        concat!("rejected_", $s),
                        concat!("timed_out_", $s),
                        concat!("fallbacks_", $s),
                        concat!("p99_ms_", $s),
                        concat!("a_ok_percent_", $s),
                        concat!("max_busy_b_", $s),
                        concat!("p99_b_ms_", $s),
                    ],
                    [
                        concat!($l, ": succeeded"),
                        concat!($l, ": failed"),
                        concat!($l, ": rejected"),
                        concat!($l, ": timed out"),
                        concat!($l, ": fallbacks"),
                        concat!($l, ": p99"),
                        concat!($l, ": A answered"),
                        concat!($l, ": most held by B"),
                        concat!($l, ": B's p99"),
                    ],
                )
            };
        }
        match self {
            LaneKind::Shared => ids!("shared", "Shared"),
            LaneKind::SharedTimeout => ids!("shared_timeout", "Shared + timeout"),
            LaneKind::Bulkhead => ids!("bulkhead", "Bulkheads"),
            LaneKind::BulkheadTimeout => ids!("bulkhead_timeout", "Bulkheads + timeout"),
        }
    }

    /// The lane whose id is `id`.
    pub fn parse(id: &str) -> Option<LaneKind> {
        LaneKind::ALL.into_iter().find(|k| k.id() == id)
    }
}

/// What happens to B during the outage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outage {
    /// Nothing: B stays healthy.
    None,
    /// B's calls take `slow_factor` times longer.
    Slow,
    /// B answers nothing until it recovers.
    Hang,
}

/// The parameters, checked.
#[derive(Clone, Debug)]
pub struct Setup {
    pub lanes: Vec<LaneKind>,
    pub workers: u32,
    pub pool_b: u32,
    pub wait_us: u64,
    pub timeout_us: u64,
    pub retries: u8,
    pub fallback: bool,
    pub rate_a: f64,
    pub rate_b: f64,
    pub dist_a: ServiceDist,
    pub dist_b: ServiceDist,
    pub outage: Outage,
    pub slow_factor: f64,
    pub outage_at_us: u64,
    pub outage_for_us: u64,
    pub duration: SimTime,
}

const LANE_SETS: &[(&str, &str)] = &[
    ("all", "All four"),
    ("pools", "Shared pool and bulkheads, no timeouts"),
    ("timeouts", "Shared pool, without and with a timeout"),
    ("shared", "Shared pool"),
    ("shared-timeout", "Shared pool, timeout"),
    ("bulkhead", "Bulkheads"),
    ("bulkhead-timeout", "Bulkheads, timeout"),
];

/// The model's parameters.
pub fn specs() -> Vec<ParamSpec> {
    vec![
        ParamSpec::choice("lanes", "Lanes", "all", LANE_SETS)
            .help("Which ways of calling the dependencies get a lane, all on the same requests."),
        ParamSpec::int("workers", "Worker threads", 20, 2, 200, 1)
            .help("Threads the service has; a request holds one for its whole call to a dependency."),
        ParamSpec::int("pool_b", "B's bulkhead", 5, 1, 199, 1)
            .help("Threads reserved for calls to B in the bulkhead lanes; A gets the rest."),
        ParamSpec::float("wait_ms", "Wait for a thread", 0.0, 0.0, 10_000.0, 1.0)
            .unit("ms")
            .help("How long a request may wait for a free thread before it is rejected (0: rejected at once)."),
        ParamSpec::float("timeout_ms", "Timeout on B", 250.0, 1.0, 60_000.0, 1.0)
            .unit("ms")
            .help("In the timeout lanes, a call to B still unanswered after this long is abandoned and its thread freed."),
        ParamSpec::int("retries", "Retries after a timeout", 0, 0, 2, 1)
            .help("Calls to B made again, on the same thread, after a timeout."),
        ParamSpec::boolean("fallback", "Fallback for B", false)
            .help("A request whose call to B timed out or was rejected gets a degraded answer (a default or cached one) instead of an error."),
        ParamSpec::float("rate_a", "Requests to A", 100.0, 0.0, 1_000.0, 1.0)
            .unit("req/s")
            .help("Requests per second that call dependency A (Poisson)."),
        ParamSpec::float("rate_b", "Requests to B", 10.0, 0.1, 1_000.0, 0.1)
            .unit("req/s")
            .help("Requests per second that call dependency B (Poisson)."),
        ParamSpec::float("a_ms", "A's median latency", 20.0, 0.1, 10_000.0, 0.1)
            .unit("ms")
            .help("The median of A's lognormal latency."),
        ParamSpec::float("b_ms", "B's median latency", 50.0, 0.1, 10_000.0, 0.1)
            .unit("ms")
            .help("The median of B's lognormal latency when healthy."),
        ParamSpec::float("sigma", "Latency spread σ", 0.5, 0.0, 2.0, 0.05)
            .help("σ of the latencies' logarithm: 0 is constant, 0.5 puts p99 at 3.2 × the median."),
        ParamSpec::choice(
            "outage",
            "B's outage",
            "slow",
            &[
                ("slow", "B slows down"),
                ("hang", "B hangs"),
                ("none", "None"),
            ],
        )
        .help("What happens to B during the outage: its calls take longer, or get no answer until it recovers."),
        ParamSpec::float("slow_factor", "Slow-down", 50.0, 1.0, 1_000.0, 1.0)
            .help("How many times longer B's calls take while it is slow."),
        ParamSpec::float("outage_at_s", "Outage starts", 10.0, 0.0, 600.0, 1.0)
            .unit("s")
            .help("When B's outage starts."),
        ParamSpec::float("outage_for_s", "Outage lasts", 20.0, 0.0, 600.0, 1.0)
            .unit("s")
            .help("How long B's outage lasts."),
        ParamSpec::float("duration_s", "Requests for", 40.0, 1.0, 600.0, 1.0)
            .unit("s")
            .help("Requests arrive for this long; the run then lets the calls in flight finish."),
    ]
}

fn err(name: &str, value: impl Into<String>, allowed: impl Into<String>) -> ParamError {
    ParamError::new(name, value, allowed)
}

fn ms_to_us(ms: f64) -> u64 {
    libm::round(ms * 1_000.0) as u64
}

impl Setup {
    /// Reads and checks the parameters.
    pub fn from_params(p: &ParamSet) -> Result<Setup, ParamError> {
        let lanes = match p.text("lanes") {
            "all" => LaneKind::ALL.to_vec(),
            "pools" => vec![LaneKind::Shared, LaneKind::Bulkhead],
            "timeouts" => vec![LaneKind::Shared, LaneKind::SharedTimeout],
            one => vec![LaneKind::parse(one).ok_or_else(|| {
                err(
                    "lanes",
                    one,
                    "all, pools, timeouts or one lane's id (shared, shared-timeout, bulkhead, bulkhead-timeout)",
                )
            })?],
        };
        let workers = p.int("workers").clamp(2, 200) as u32;
        let pool_b = p.int("pool_b").clamp(1, 199) as u32;
        if pool_b >= workers {
            return Err(err(
                "pool_b",
                pool_b.to_string(),
                format!("fewer than the {workers} worker threads, so A keeps at least one"),
            ));
        }
        let rate_a = p.float_within("rate_a", 0.0, 1_000.0)?;
        let rate_b = p.float_within("rate_b", 0.1, 1_000.0)?;
        let duration_s = p.float_within("duration_s", 1.0, 600.0)?;
        if (rate_a + rate_b) * duration_s > MAX_REQUESTS {
            return Err(err(
                "duration_s",
                duration_s.to_string(),
                format!(
                    "at most {:.0} s at {} requests a second (no more than {MAX_REQUESTS} requests in a run)",
                    MAX_REQUESTS / (rate_a + rate_b),
                    rate_a + rate_b
                ),
            ));
        }
        let sigma = p.float_within("sigma", 0.0, 2.0)?;
        let dist = |median_ms: f64| ServiceDist {
            median_us: median_ms * 1_000.0,
            sigma,
            slow_p: 0.0,
            slow_us: 0.0,
        };
        let outage = match p.text("outage") {
            "slow" => Outage::Slow,
            "hang" => Outage::Hang,
            "none" => Outage::None,
            other => return Err(err("outage", other, "slow, hang or none")),
        };
        Ok(Setup {
            lanes,
            workers,
            pool_b,
            wait_us: ms_to_us(p.float_within("wait_ms", 0.0, 10_000.0)?),
            timeout_us: ms_to_us(p.float_within("timeout_ms", 1.0, 60_000.0)?).max(1),
            retries: p.int("retries").clamp(0, 2) as u8,
            fallback: p.boolean("fallback"),
            rate_a,
            rate_b,
            dist_a: dist(p.float_within("a_ms", 0.1, 10_000.0)?),
            dist_b: dist(p.float_within("b_ms", 0.1, 10_000.0)?),
            outage,
            slow_factor: p.float_within("slow_factor", 1.0, 1_000.0)?,
            outage_at_us: ms_to_us(p.float_within("outage_at_s", 0.0, 600.0)? * 1_000.0),
            outage_for_us: ms_to_us(p.float_within("outage_for_s", 0.0, 600.0)? * 1_000.0),
            duration: SimTime::from_us(ms_to_us(duration_s * 1_000.0)),
        })
    }

    /// Whether a scripted outage happens within the run.
    pub fn has_outage(&self) -> bool {
        self.outage != Outage::None
            && self.outage_for_us > 0
            && self.outage_at_us < self.duration.as_us()
    }

    /// When the scripted outage ends, µs.
    pub fn outage_end_us(&self) -> u64 {
        self.outage_at_us + self.outage_for_us
    }

    /// The share of B's requests a timeout fails while B is healthy, %: `P(L > T)` to the power
    /// of the attempts (each retry draws a fresh latency). `None` for a lane without a timeout.
    pub fn false_timeouts(&self, kind: LaneKind) -> Option<f64> {
        kind.timeout().then(|| {
            let late = 1.0 - self.dist_b.cdf(self.timeout_us as f64);
            100.0 * libm::pow(late, f64::from(self.retries) + 1.0)
        })
    }

    /// The share of B's requests a bulkhead lane rejects while B is healthy, %: Erlang's loss
    /// formula `B(pool_b, rate_b × E[time held])`, which holds for any distribution of the time
    /// a call holds its thread (Erlang B is insensitive to it beyond its mean). `None` for a
    /// shared pool, with a wait for a thread, or with retries (their second calls hold longer).
    pub fn bulkhead_loss(&self, kind: LaneKind) -> Option<f64> {
        if !kind.bulkhead() || self.wait_us > 0 || (kind.timeout() && self.retries > 0) {
            return None;
        }
        let held_us = mean_held(
            &self.dist_b,
            kind.timeout().then_some(self.timeout_us as f64),
        );
        crate::theory::erlang_b(self.pool_b, self.rate_b * held_us / 1e6).map(|b| 100.0 * b)
    }

    /// A's pool in a bulkhead lane.
    pub fn pool_a(&self) -> u32 {
        self.workers - self.pool_b
    }
}

/// `E[min(L, T)]` for a lognormal `L` with this median and σ, in the unit of `median` and `t`:
/// `E[L·1{L ≤ T}] + T·P(L > T)`, where `E[L·1{L ≤ T}] = e^(μ + σ²/2)·Φ((ln T − μ − σ²)/σ)`.
/// `t = None` is no timeout: the mean.
pub fn mean_held(dist: &ServiceDist, t: Option<f64>) -> f64 {
    let (m, s) = (dist.median_us, dist.sigma);
    let mean = m * libm::exp(s * s / 2.0);
    let Some(t) = t else {
        return mean;
    };
    if t <= 0.0 {
        return 0.0;
    }
    if s <= 0.0 {
        return m.min(t);
    }
    let phi = |z: f64| 0.5 * libm::erfc(-z / core::f64::consts::SQRT_2);
    let z = (libm::log(t / m) - s * s) / s;
    mean * phi(z) + t * (1.0 - dist.cdf(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dist(sigma: f64) -> ServiceDist {
        ServiceDist {
            median_us: 50.0,
            sigma,
            slow_p: 0.0,
            slow_us: 0.0,
        }
    }

    #[test]
    fn mean_held_is_the_mean_without_a_timeout_and_the_timeout_far_below_it() {
        let d = dist(0.5);
        let mean = 50.0 * libm::exp(0.125);
        assert!((mean_held(&d, None) - mean).abs() < 1e-9);
        assert!((mean_held(&d, Some(1e9)) - mean).abs() < 1e-6);
        assert!((mean_held(&d, Some(1.0)) - 1.0).abs() < 1e-6);
        assert_eq!(mean_held(&dist(0.0), Some(30.0)), 30.0);
    }

    #[test]
    fn mean_held_matches_a_direct_integral_of_the_survival() {
        // E[min(L, T)] = ∫₀ᵀ P(L > t) dt, by the midpoint rule.
        let d = dist(0.8);
        let t = 90.0;
        let n = 200_000;
        let h = t / f64::from(n);
        let integral: f64 = (0..n)
            .map(|i| (1.0 - d.cdf((f64::from(i) + 0.5) * h)) * h)
            .sum();
        assert!((mean_held(&d, Some(t)) - integral).abs() < 1e-3);
    }
}
