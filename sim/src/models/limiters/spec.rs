//! The rate-limiters model's parameters, read into a [`Setup`].

use crate::params::{ParamError, ParamSet, ParamSpec};
use crate::requests::arrivals::Arrivals;
use crate::resilience::limiter::{Algorithm, Budget};

/// The highest offered rate, requests per second.
pub const MAX_RATE: f64 = 2_000.0;

/// How the stream arrives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pattern {
    /// Evenly spaced.
    Steady,
    /// Exponential gaps.
    Poisson,
    /// A peak rate for part of every period, the base rate otherwise.
    Bursts,
    /// `limit` requests just before every second window boundary and `limit` just after.
    Boundary,
}

/// How several gateways share the budget.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Coordination {
    /// Each enforces the whole budget on its own.
    Local,
    /// Each enforces its share of it.
    Share,
    /// One state in a store, updated atomically.
    SharedAtomic,
    /// One state in a store, read then written back a round trip later.
    SharedRacy,
}

/// The parameters, checked.
#[derive(Clone, Debug)]
pub struct Setup {
    pub algorithms: Vec<Algorithm>,
    pub budget: Budget,
    pub pattern: Pattern,
    pub rate: f64,
    pub peak_rate: f64,
    pub burst_on_us: u64,
    pub burst_every_us: u64,
    pub users: u32,
    pub per_user: bool,
    /// User 0's share of the requests, 0–1.
    pub heavy_share: f64,
    pub gateways: u32,
    pub coordination: Coordination,
    pub store_rtt_us: u64,
}

const SETS: &[(&str, &str)] = &[
    ("all", "All seven"),
    ("buckets", "The buckets and GCRA"),
    ("windows", "The three windows"),
    ("token-bucket", "Token bucket"),
    ("leaky-meter", "Leaky bucket (meter)"),
    ("leaky-queue", "Leaky bucket (queue)"),
    ("fixed-window", "Fixed window"),
    ("sliding-log", "Sliding window log"),
    ("sliding-counter", "Sliding window counter"),
    ("gcra", "GCRA"),
];

/// The model's parameters.
pub fn specs() -> Vec<ParamSpec> {
    vec![
        ParamSpec::choice("limiters", "Limiters", "all", SETS)
            .help("Which algorithms get a lane. The first one shown is the headline in the metrics."),
        ParamSpec::int("limit", "Limit", 10, 1, 10_000, 1)
            .unit("requests")
            .help("Requests allowed per window: the budget every algorithm enforces."),
        ParamSpec::int("window_ms", "Window", 1_000, 10, 60_000, 10)
            .unit("ms")
            .help("The window the limit is per. The buckets refill limit ÷ window."),
        ParamSpec::int("burst", "Burst", 10, 1, 10_000, 1)
            .unit("requests")
            .help("The buckets' capacity (how many can pass at once after a quiet spell) and the leaky queue's length."),
        ParamSpec::choice(
            "pattern",
            "Stream",
            "poisson",
            &[
                ("steady", "Steady"),
                ("poisson", "Poisson"),
                ("bursts", "Bursts"),
                ("boundary", "Boundary attack"),
            ],
        )
        .help("How requests arrive. The boundary attack sends the limit just before every second window boundary and the limit again just after it."),
        ParamSpec::float("rate", "Offered rate", 15.0, 0.0, MAX_RATE, 1.0)
            .unit("req/s")
            .help("Requests per second (between bursts, for the bursts stream)."),
        ParamSpec::float("peak_rate", "Burst rate", 80.0, 0.0, MAX_RATE, 1.0)
            .unit("req/s")
            .help("Requests per second during a burst."),
        ParamSpec::int("burst_on_ms", "Burst length", 500, 10, 60_000, 10)
            .unit("ms")
            .help("How long each burst lasts."),
        ParamSpec::int("burst_every_ms", "Burst every", 4_000, 100, 600_000, 100)
            .unit("ms")
            .help("How often a burst starts (longer than a burst)."),
        ParamSpec::int("users", "Users", 1, 1, 10_000, 1)
            .help("How many users send the requests."),
        ParamSpec::int("heavy_share", "Heavy user's share", 0, 0, 100, 1)
            .unit("%")
            .help("The share of requests user 0 sends; the rest are spread evenly over the others."),
        ParamSpec::choice(
            "key",
            "Limit per",
            "global",
            &[("global", "Everyone (one key)"), ("user", "User (a key each)")],
        )
        .help("One budget for all requests, or one per user."),
        ParamSpec::int("gateways", "Gateways", 1, 1, 32, 1)
            .help("API gateway instances the requests are spread over at random."),
        ParamSpec::choice(
            "coordination",
            "Gateways share",
            "local",
            &[
                ("local", "Nothing (each limits alone)"),
                ("share", "The limit, split evenly"),
                ("shared-atomic", "A store, atomic update"),
                ("shared-racy", "A store, read then write"),
            ],
        )
        .help("How gateways enforce one budget together."),
        ParamSpec::float("store_rtt_ms", "Store round trip", 5.0, 0.0, 1_000.0, 0.5)
            .unit("ms")
            .help("How long a read-then-write to the shared store takes: requests inside it race."),
    ]
}

impl Setup {
    /// Reads and checks the parameters.
    pub fn from_params(p: &ParamSet) -> Result<Setup, ParamError> {
        let algorithms = match p.text("limiters") {
            "all" => Algorithm::ALL.to_vec(),
            "buckets" => vec![
                Algorithm::TokenBucket,
                Algorithm::LeakyMeter,
                Algorithm::LeakyQueue,
                Algorithm::Gcra,
            ],
            "windows" => vec![
                Algorithm::FixedWindow,
                Algorithm::SlidingLog,
                Algorithm::SlidingCounter,
            ],
            one => vec![Algorithm::parse(one).ok_or_else(|| {
                ParamError::new(
                    "limiters",
                    one.to_string(),
                    "all, buckets, windows or one algorithm's id",
                )
            })?],
        };
        let budget = Budget {
            limit: p.int("limit").clamp(1, 10_000) as u32,
            window_us: p.int("window_ms").clamp(10, 60_000) as u64 * 1_000,
            burst: p.int("burst").clamp(1, 10_000) as u32,
        };
        let pattern = match p.text("pattern") {
            "steady" => Pattern::Steady,
            "bursts" => Pattern::Bursts,
            "boundary" => Pattern::Boundary,
            _ => Pattern::Poisson,
        };
        let burst_on_us = p.int("burst_on_ms").clamp(10, 60_000) as u64 * 1_000;
        let burst_every_us = p.int("burst_every_ms").clamp(100, 600_000) as u64 * 1_000;
        if pattern == Pattern::Bursts && burst_every_us <= burst_on_us {
            return Err(ParamError::new(
                "burst_every_ms",
                (burst_every_us / 1_000).to_string(),
                format!(
                    "a period longer than the burst length ({} ms)",
                    burst_on_us / 1_000
                ),
            ));
        }
        let finite = |name: &str| {
            let v = p.float(name);
            if v.is_finite() {
                Ok(v.clamp(0.0, MAX_RATE))
            } else {
                Err(ParamError::new(name, v.to_string(), "a number"))
            }
        };
        Ok(Setup {
            algorithms,
            budget,
            pattern,
            rate: finite("rate")?,
            peak_rate: finite("peak_rate")?,
            burst_on_us,
            burst_every_us,
            users: p.int("users").clamp(1, 10_000) as u32,
            per_user: p.text("key") == "user",
            heavy_share: p.int("heavy_share").clamp(0, 100) as f64 / 100.0,
            gateways: p.int("gateways").clamp(1, 32) as u32,
            coordination: match p.text("coordination") {
                "share" => Coordination::Share,
                "shared-atomic" => Coordination::SharedAtomic,
                "shared-racy" => Coordination::SharedRacy,
                _ => Coordination::Local,
            },
            store_rtt_us: (p.float("store_rtt_ms").clamp(0.0, 1_000.0) * 1_000.0).round() as u64,
        })
    }

    /// The arrival process at base rate `rate` (not used by the boundary attack).
    pub fn arrivals(&self, rate: f64) -> Arrivals {
        match self.pattern {
            Pattern::Steady => Arrivals::Constant { rate_per_sec: rate },
            Pattern::Bursts => Arrivals::Bursts {
                on_rate_per_sec: self.peak_rate,
                on_us: self.burst_on_us,
                off_rate_per_sec: rate,
                off_us: self.burst_every_us - self.burst_on_us,
            },
            Pattern::Poisson | Pattern::Boundary => Arrivals::Poisson { rate_per_sec: rate },
        }
    }

    /// The boundary attack's `k`-th request, µs: cycle `k / 2L` aims at boundary
    /// `(2c + 1)·w`, with `L` requests evenly in the `δ` before it and `L` in the `δ` after,
    /// `δ = min(50 ms, w / 10)`.
    pub fn attack_time(&self, k: u64) -> u64 {
        let l = u64::from(self.budget.limit);
        let w = self.budget.window_us;
        let delta = (w / 10).min(50_000);
        let (c, j) = (k / (2 * l), k % (2 * l));
        let boundary = (2 * c + 1) * w;
        if j < l {
            boundary - delta + j * delta / l
        } else {
            boundary + (j - l) * delta / l
        }
    }

    /// One line on the setup, for the diagram's title.
    pub fn title(&self) -> String {
        let b = self.budget;
        let window = if b.window_us % 1_000_000 == 0 {
            format!("{} s", b.window_us / 1_000_000)
        } else {
            format!("{} ms", b.window_us / 1_000)
        };
        let stream = match self.pattern {
            Pattern::Steady => format!("steady {}/s", self.rate),
            Pattern::Poisson => format!("Poisson {}/s", self.rate),
            Pattern::Bursts => format!(
                "bursts of {}/s for {} ms every {} ms, {}/s between",
                self.peak_rate,
                self.burst_on_us / 1_000,
                self.burst_every_us / 1_000,
                self.rate
            ),
            Pattern::Boundary => "boundary attack".to_string(),
        };
        let mut s = format!("{} per {window}, burst {} · {stream}", b.limit, b.burst);
        if self.users > 1 {
            s.push_str(&format!(
                " · {} users, limit per {}",
                self.users,
                if self.per_user { "user" } else { "everyone" }
            ));
        }
        if self.gateways > 1 {
            let how = match self.coordination {
                Coordination::Local => "each limiting alone",
                Coordination::Share => "each a share",
                Coordination::SharedAtomic => "one store, atomic",
                Coordination::SharedRacy => "one store, read then write",
            };
            s.push_str(&format!(" · {} gateways, {how}", self.gateways));
        }
        s
    }
}

/// Per algorithm: the ids of its admitted, rejected and peak metrics, then their labels.
pub fn lane_metric_ids(a: Algorithm) -> [&'static str; 6] {
    match a {
        Algorithm::TokenBucket => [
            "admitted_token_bucket",
            "rejected_token_bucket",
            "max_window_token_bucket",
            "Token bucket: admitted",
            "Token bucket: rejected",
            "Token bucket: most in a window",
        ],
        Algorithm::LeakyMeter => [
            "admitted_leaky_meter",
            "rejected_leaky_meter",
            "max_window_leaky_meter",
            "Leaky meter: admitted",
            "Leaky meter: rejected",
            "Leaky meter: most in a window",
        ],
        Algorithm::LeakyQueue => [
            "admitted_leaky_queue",
            "rejected_leaky_queue",
            "max_window_leaky_queue",
            "Leaky queue: admitted",
            "Leaky queue: rejected",
            "Leaky queue: most in a window",
        ],
        Algorithm::FixedWindow => [
            "admitted_fixed_window",
            "rejected_fixed_window",
            "max_window_fixed_window",
            "Fixed window: admitted",
            "Fixed window: rejected",
            "Fixed window: most in a window",
        ],
        Algorithm::SlidingLog => [
            "admitted_sliding_log",
            "rejected_sliding_log",
            "max_window_sliding_log",
            "Sliding log: admitted",
            "Sliding log: rejected",
            "Sliding log: most in a window",
        ],
        Algorithm::SlidingCounter => [
            "admitted_sliding_counter",
            "rejected_sliding_counter",
            "max_window_sliding_counter",
            "Sliding counter: admitted",
            "Sliding counter: rejected",
            "Sliding counter: most in a window",
        ],
        Algorithm::Gcra => [
            "admitted_gcra",
            "rejected_gcra",
            "max_window_gcra",
            "GCRA: admitted",
            "GCRA: rejected",
            "GCRA: most in a window",
        ],
    }
}
