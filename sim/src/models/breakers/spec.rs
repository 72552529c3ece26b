//! The circuit-breaker model's parameters, read into a [`Setup`]: which breakers get a lane, their
//! settings, the dependency they guard, and the outage it suffers.

use crate::params::{ParamError, ParamSet, ParamSpec};
use crate::requests::{Action, Arrivals, CostDist, ServerId, ServerSpec, SimConfig};
use crate::resilience::breaker::{BreakerConfig, Style, Trip};
use crate::time::SimTime;

/// The highest call rate, per second.
pub const MAX_RATE: f64 = 500.0;
/// The longest run, seconds.
pub const MAX_DURATION_S: i64 = 600;
/// The most calls a run may expect (rate × duration), per lane.
pub const MAX_CALLS: f64 = 120_000.0;

/// One lane: no breaker, or a breaker following one library's rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum LaneKind {
    /// Every call goes to the dependency.
    None,
    /// The course's Python breaker (consecutive failures, no probe limit), with its clock fixed.
    Python,
    /// The same, with `if self.last_failure_time and …`: a last failure at time 0 reads as none.
    PythonZero,
    /// sony/gobreaker: consecutive failures, `MaxRequests` probes that must all succeed.
    Gobreaker,
    /// Resilience4j, a count-based window.
    CountWindow,
    /// Resilience4j, a time-based window.
    TimeWindow,
}

impl LaneKind {
    /// Every kind, in lane order.
    pub const ALL: [LaneKind; 6] = [
        LaneKind::None,
        LaneKind::Python,
        LaneKind::PythonZero,
        LaneKind::Gobreaker,
        LaneKind::CountWindow,
        LaneKind::TimeWindow,
    ];

    /// Its id in parameters, test ids and a step's highlight.
    pub const fn id(self) -> &'static str {
        match self {
            LaneKind::None => "none",
            LaneKind::Python => "python",
            LaneKind::PythonZero => "python-zero",
            LaneKind::Gobreaker => "gobreaker",
            LaneKind::CountWindow => "count-window",
            LaneKind::TimeWindow => "time-window",
        }
    }

    /// The kind an id names.
    pub fn parse(id: &str) -> Option<LaneKind> {
        LaneKind::ALL.into_iter().find(|k| k.id() == id)
    }

    /// Per kind: the ids of its succeeded, failed, rejected, sent, opens and backlog metrics,
    /// then their labels.
    pub const fn metric_ids(self) -> [&'static str; 12] {
        match self {
            LaneKind::None => [
                "succeeded_none",
                "failed_none",
                "rejected_none",
                "sent_none",
                "opens_none",
                "max_backlog_none",
                "No breaker: succeeded",
                "No breaker: failed",
                "No breaker: rejected fast",
                "No breaker: reached the service",
                "No breaker: opened",
                "No breaker: most held by the service",
            ],
            LaneKind::Python => [
                "succeeded_python",
                "failed_python",
                "rejected_python",
                "sent_python",
                "opens_python",
                "max_backlog_python",
                "Python: succeeded",
                "Python: failed",
                "Python: rejected fast",
                "Python: reached the service",
                "Python: opened",
                "Python: most held by the service",
            ],
            LaneKind::PythonZero => [
                "succeeded_python_zero",
                "failed_python_zero",
                "rejected_python_zero",
                "sent_python_zero",
                "opens_python_zero",
                "max_backlog_python_zero",
                "Python, time-0 bug: succeeded",
                "Python, time-0 bug: failed",
                "Python, time-0 bug: rejected fast",
                "Python, time-0 bug: reached the service",
                "Python, time-0 bug: opened",
                "Python, time-0 bug: most held by the service",
            ],
            LaneKind::Gobreaker => [
                "succeeded_gobreaker",
                "failed_gobreaker",
                "rejected_gobreaker",
                "sent_gobreaker",
                "opens_gobreaker",
                "max_backlog_gobreaker",
                "gobreaker: succeeded",
                "gobreaker: failed",
                "gobreaker: rejected fast",
                "gobreaker: reached the service",
                "gobreaker: opened",
                "gobreaker: most held by the service",
            ],
            LaneKind::CountWindow => [
                "succeeded_count_window",
                "failed_count_window",
                "rejected_count_window",
                "sent_count_window",
                "opens_count_window",
                "max_backlog_count_window",
                "Count window: succeeded",
                "Count window: failed",
                "Count window: rejected fast",
                "Count window: reached the service",
                "Count window: opened",
                "Count window: most held by the service",
            ],
            LaneKind::TimeWindow => [
                "succeeded_time_window",
                "failed_time_window",
                "rejected_time_window",
                "sent_time_window",
                "opens_time_window",
                "max_backlog_time_window",
                "Time window: succeeded",
                "Time window: failed",
                "Time window: rejected fast",
                "Time window: reached the service",
                "Time window: opened",
                "Time window: most held by the service",
            ],
        }
    }
}

/// What goes wrong with the dependency.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outage {
    /// Nothing.
    None,
    /// The failing servers are down: every call to them fails at once (connection refused).
    Fail,
    /// The failing servers run `slow_factor` times slower.
    Slow,
}

/// The parameters, checked.
#[derive(Clone, Debug)]
pub struct Setup {
    pub lanes: Vec<LaneKind>,
    pub failures: u32,
    pub window: u32,
    pub window_s: u32,
    pub min_calls: u32,
    pub failure_rate: u8,
    pub slow_us: Option<u64>,
    pub slow_rate: u8,
    pub open_us: u64,
    pub half_open_calls: u32,
    /// The breakers read a clock of whole seconds since start-up.
    pub clock_seconds: bool,
    pub rate: f64,
    pub poisson: bool,
    pub servers: u32,
    pub workers: u32,
    pub cost_us: f64,
    pub timeout_us: Option<u64>,
    pub outage: Outage,
    pub outage_at_us: u64,
    pub outage_for_us: u64,
    /// Servers that fail (the first ones).
    pub failing: u32,
    pub slow_factor: f64,
    pub duration: SimTime,
}

const SETS: &[(&str, &str)] = &[
    ("all", "No breaker and four breakers"),
    (
        "python-bug",
        "No breaker, Python, Python with the time-0 bug",
    ),
    ("windows", "No breaker and the two windows"),
    ("none", "No breaker"),
    ("python", "Python (5 in a row)"),
    ("python-zero", "Python with the time-0 bug"),
    ("gobreaker", "gobreaker"),
    ("count-window", "Resilience4j, count window"),
    ("time-window", "Resilience4j, time window"),
];

/// The model's parameters.
pub fn specs() -> Vec<ParamSpec> {
    vec![
        ParamSpec::choice("breakers", "Breakers", "all", SETS)
            .help("Which lanes to run, each on its own copy of the same calls and the same outage. The first breaker shown is the headline in the metrics."),
        ParamSpec::int("failures", "Failures in a row", 5, 1, 1_000, 1)
            .help("Consecutive failures that open the Python breaker and gobreaker."),
        ParamSpec::int("window", "Count window", 20, 1, 10_000, 1)
            .unit("calls")
            .help("How many of the latest results the count-window breaker judges."),
        ParamSpec::int("window_s", "Time window", 10, 1, 600, 1)
            .unit("s")
            .help("How many seconds of results the time-window breaker judges."),
        ParamSpec::int("min_calls", "Minimum calls", 10, 1, 10_000, 1)
            .unit("calls")
            .help("Results a window needs before its rates are judged at all."),
        ParamSpec::int("failure_rate", "Failure rate to open", 50, 1, 100, 1)
            .unit("%")
            .help("A window opens when at least this share of its results failed."),
        ParamSpec::int("slow_ms", "Slow call", 0, 0, 600_000, 10)
            .unit("ms")
            .help("A call that takes longer than this is slow (0: do not count slow calls). The windows open on the slow-call rate too."),
        ParamSpec::int("slow_rate", "Slow rate to open", 100, 1, 100, 1)
            .unit("%")
            .help("A window opens when at least this share of its results were slow."),
        ParamSpec::int("open_ms", "Wait when open", 60_000, 100, 3_600_000, 100)
            .unit("ms")
            .help("How long an open breaker rejects calls before it lets probes through."),
        ParamSpec::int("half_open_calls", "Probes", 3, 1, 1_000, 1)
            .help("Calls let through in half-open (gobreaker needs them all to succeed; Resilience4j judges their failure rate). The Python breaker has no limit."),
        ParamSpec::choice(
            "clock",
            "Breaker's clock",
            "exact",
            &[
                ("exact", "Exact (µs)"),
                ("seconds", "Whole seconds from start-up"),
            ],
        )
        .help("The clock the breakers read. A clock of whole seconds reads 0 for the whole first second."),
        ParamSpec::float("rate", "Calls", 20.0, 0.1, MAX_RATE, 1.0)
            .unit("calls/s")
            .help("Calls the caller makes to the dependency per second."),
        ParamSpec::choice(
            "arrivals",
            "Calls arrive",
            "poisson",
            &[("poisson", "Poisson"), ("steady", "Steady")],
        )
        .help("Randomly (Poisson) or evenly spaced."),
        ParamSpec::int("servers", "Servers", 2, 1, 20, 1)
            .help("Servers behind the dependency, taking calls in turn (round robin)."),
        ParamSpec::int("workers", "Workers", 4, 1, 256, 1)
            .help("Calls each server works on at once; the rest wait in its queue."),
        ParamSpec::float("cost_ms", "Work per call", 20.0, 0.1, 60_000.0, 1.0)
            .unit("ms")
            .help("Mean time a server spends on a call (exponentially distributed)."),
        ParamSpec::int("timeout_ms", "Timeout", 1_000, 0, 600_000, 10)
            .unit("ms")
            .help("How long the caller waits for an answer before it counts the call as failed (0: for ever)."),
        ParamSpec::choice(
            "outage",
            "Outage",
            "fail",
            &[
                ("none", "None"),
                ("fail", "Servers down"),
                ("slow", "Servers slow"),
            ],
        )
        .help("What happens to the failing servers during the outage: they refuse every call, or they run slower."),
        ParamSpec::float("outage_at_s", "Outage starts", 10.0, 0.0, MAX_DURATION_S as f64, 1.0)
            .unit("s")
            .help("When the outage starts."),
        ParamSpec::float("outage_for_s", "Outage lasts", 30.0, 0.0, MAX_DURATION_S as f64, 1.0)
            .unit("s")
            .help("How long it lasts."),
        ParamSpec::int("failing", "Failing servers", 0, 0, 20, 1)
            .help("How many servers the outage hits, the first ones (0: all of them)."),
        ParamSpec::float("slow_factor", "Slowdown", 50.0, 1.0, 10_000.0, 1.0)
            .unit("×")
            .help("How many times slower a slow server works."),
        ParamSpec::int("duration_s", "Calls for", 120, 1, MAX_DURATION_S, 1)
            .unit("s")
            .help("How long the caller keeps calling."),
    ]
}

impl Setup {
    /// Reads and checks the parameters.
    pub fn from_params(p: &ParamSet) -> Result<Setup, ParamError> {
        use LaneKind as K;
        let lanes = match p.text("breakers") {
            "all" => vec![
                K::None,
                K::Python,
                K::Gobreaker,
                K::CountWindow,
                K::TimeWindow,
            ],
            "python-bug" => vec![K::None, K::Python, K::PythonZero],
            "windows" => vec![K::None, K::CountWindow, K::TimeWindow],
            one => vec![K::parse(one).ok_or_else(|| {
                ParamError::new(
                    "breakers",
                    one.to_string(),
                    "all, python-bug, windows or one lane's id",
                )
            })?],
        };
        let rate = p.float_clamped("rate", 0.1, MAX_RATE)?;
        let duration_s = p.int("duration_s").clamp(1, MAX_DURATION_S);
        if rate * duration_s as f64 > MAX_CALLS {
            return Err(ParamError::new(
                "rate",
                rate.to_string(),
                format!(
                    "at most {MAX_CALLS} calls in a run: at most {:.1} calls/s for {duration_s} s",
                    MAX_CALLS / duration_s as f64
                ),
            ));
        }
        let servers = p.int("servers").clamp(1, 20) as u32;
        let failing = p.int("failing").clamp(0, 20) as u32;
        if failing > servers {
            return Err(ParamError::new(
                "failing",
                failing.to_string(),
                format!("0 (all) to the {servers} servers there are"),
            ));
        }
        let slow_ms = p.int("slow_ms").clamp(0, 600_000) as u64;
        let timeout_ms = p.int("timeout_ms").clamp(0, 600_000) as u64;
        let secs = |s: f64| (s * 1e6).round() as u64;
        Ok(Setup {
            lanes,
            failures: p.int("failures").clamp(1, 1_000) as u32,
            window: p.int("window").clamp(1, 10_000) as u32,
            window_s: p.int("window_s").clamp(1, 600) as u32,
            min_calls: p.int("min_calls").clamp(1, 10_000) as u32,
            failure_rate: p.int("failure_rate").clamp(1, 100) as u8,
            slow_us: (slow_ms > 0).then_some(slow_ms * 1_000),
            slow_rate: p.int("slow_rate").clamp(1, 100) as u8,
            open_us: p.int("open_ms").clamp(100, 3_600_000) as u64 * 1_000,
            half_open_calls: p.int("half_open_calls").clamp(1, 1_000) as u32,
            clock_seconds: p.text("clock") == "seconds",
            rate,
            poisson: p.text("arrivals") != "steady",
            servers,
            workers: p.int("workers").clamp(1, 256) as u32,
            cost_us: p.float_clamped("cost_ms", 0.1, 60_000.0)? * 1e3,
            timeout_us: (timeout_ms > 0).then_some(timeout_ms * 1_000),
            outage: match p.text("outage") {
                "none" => Outage::None,
                "slow" => Outage::Slow,
                _ => Outage::Fail,
            },
            outage_at_us: secs(p.float_clamped("outage_at_s", 0.0, MAX_DURATION_S as f64)?),
            outage_for_us: secs(p.float_clamped("outage_for_s", 0.0, MAX_DURATION_S as f64)?),
            failing: if failing == 0 { servers } else { failing },
            slow_factor: p.float_clamped("slow_factor", 1.0, 10_000.0)?,
            duration: SimTime::from_secs(duration_s as u64),
        })
    }

    /// When the outage ends, µs.
    pub fn outage_end_us(&self) -> u64 {
        self.outage_at_us + self.outage_for_us
    }

    /// Whether there is an outage that starts within the run.
    pub fn has_outage(&self) -> bool {
        self.outage != Outage::None
            && self.outage_for_us > 0
            && self.outage_at_us < self.duration.as_us()
    }

    /// The breaker a lane runs (`None` for the lane without one).
    pub fn breaker(&self, kind: LaneKind) -> Option<BreakerConfig> {
        let consecutive = Trip::Consecutive {
            failures: self.failures,
        };
        let base = BreakerConfig {
            style: Style::Resilience4j,
            trip: consecutive,
            slow_call_us: self.slow_us,
            slow_rate_pct: self.slow_rate,
            open_us: self.open_us,
            half_open_calls: self.half_open_calls,
            interval_us: None,
        };
        match kind {
            LaneKind::None => None,
            LaneKind::Python | LaneKind::PythonZero => Some(BreakerConfig {
                style: Style::Notes {
                    zero_clock_bug: kind == LaneKind::PythonZero,
                },
                slow_call_us: None,
                ..base
            }),
            LaneKind::Gobreaker => Some(BreakerConfig {
                style: Style::Gobreaker,
                slow_call_us: None,
                ..base
            }),
            LaneKind::CountWindow => Some(BreakerConfig {
                trip: Trip::CountWindow {
                    size: self.window,
                    min_calls: self.min_calls,
                    failure_rate_pct: self.failure_rate,
                },
                ..base
            }),
            LaneKind::TimeWindow => Some(BreakerConfig {
                trip: Trip::TimeWindow {
                    window_secs: self.window_s,
                    min_calls: self.min_calls,
                    failure_rate_pct: self.failure_rate,
                },
                ..base
            }),
        }
    }

    /// The request simulator's configuration: the servers, the calls, the timeout, and the
    /// outage as changes at its start and end.
    pub fn sim_config(&self) -> SimConfig {
        let servers = (0..self.servers)
            .map(|i| ServerSpec::new(&format!("S{}", i + 1)).workers(self.workers))
            .collect();
        let arrivals = if self.poisson {
            Arrivals::Poisson {
                rate_per_sec: self.rate,
            }
        } else {
            Arrivals::Constant {
                rate_per_sec: self.rate,
            }
        };
        let mut cfg = SimConfig::new(
            servers,
            arrivals,
            CostDist::Exponential {
                mean_us: self.cost_us,
            },
            self.duration,
        );
        cfg.timeout_us = self.timeout_us;
        cfg.max_requests = (MAX_CALLS * 1.5) as u64;
        if self.has_outage() {
            let start = SimTime::from_us(self.outage_at_us);
            let end = self.outage_end_us();
            let ends = end <= self.duration.as_us();
            for i in 0..self.failing {
                let id = ServerId(i);
                match self.outage {
                    Outage::Fail => {
                        cfg.actions.push((start, Action::Kill(id)));
                        if ends {
                            cfg.actions
                                .push((SimTime::from_us(end), Action::Revive(id)));
                        }
                    }
                    Outage::Slow => {
                        cfg.actions
                            .push((start, Action::SetSpeed(id, 1.0 / self.slow_factor)));
                        if ends {
                            cfg.actions
                                .push((SimTime::from_us(end), Action::SetSpeed(id, 1.0)));
                        }
                    }
                    Outage::None => {}
                }
            }
        }
        cfg
    }

    /// One line on the setup, for the diagram's title.
    pub fn title(&self) -> String {
        let mut s = format!(
            "{} calls/s to {} server{} × {} workers, {} ms each",
            num(self.rate),
            self.servers,
            if self.servers == 1 { "" } else { "s" },
            self.workers,
            num(self.cost_us / 1e3)
        );
        if let Some(t) = self.timeout_us {
            s.push_str(&format!(", timeout {} ms", t / 1_000));
        }
        s.push_str(&format!(
            " · breakers wait {} s when open",
            num(self.open_us as f64 / 1e6)
        ));
        if self.has_outage() {
            let which = if self.failing == self.servers {
                "every server".to_string()
            } else {
                format!("{} of {} servers", self.failing, self.servers)
            };
            let what = match self.outage {
                Outage::Fail => "down".to_string(),
                _ => format!("{}× slower", num(self.slow_factor)),
            };
            s.push_str(&format!(
                " · {which} {what} from {} s to {} s",
                num(self.outage_at_us as f64 / 1e6),
                num(self.outage_end_us() as f64 / 1e6)
            ));
        }
        s
    }
}

/// A number without a needless fraction (`20`, `2.5`).
pub fn num(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{}", v.round() as i64)
    } else {
        format!("{v:.1}")
    }
}
