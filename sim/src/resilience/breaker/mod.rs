//! Circuit breakers: a caller-side switch that stops sending calls to a dependency that keeps
//! failing, waits, then lets a few test calls ("probes") through to decide whether to resume.
//!
//! The pattern is Nygard's (*Release It!*, 2007). A breaker is **closed** (calls flow, results
//! are counted), **open** (calls are rejected at once without reaching the dependency, for
//! `open_us`), or **half-open** (probes are let through; their results close or reopen it).
//! [`Breaker`] is a plain state machine: the model asks [`Breaker::try_acquire`] before each call
//! and reports the outcome with [`Breaker::on_result`]; nothing here reads a clock.
//!
//! # Styles and their sources
//!
//! Three [`Style`]s, each following one real implementation rule for rule:
//!
//! - [`Style::Resilience4j`]: Resilience4j's `CircuitBreakerStateMachine`, `CircuitBreakerMetrics`,
//!   `FixedSizeSlidingWindowMetrics` and `SlidingTimeWindowMetrics` (github.com/resilience4j/
//!   resilience4j, and its CircuitBreaker documentation at resilience4j.readme.io). Closed counts
//!   results in a sliding window ([`Trip::CountWindow`] = `COUNT_BASED`, [`Trip::TimeWindow`] =
//!   `TIME_BASED`) and opens, after any result, once the window holds at least the minimum number
//!   of calls (`minimumNumberOfCalls`, capped at the window size for a count window) and the
//!   failure rate **or** the slow-call rate is **≥** its threshold. A call is slow when its
//!   duration is **strictly greater** than `slowCallDurationThreshold`. Open rejects until the
//!   first call **strictly after** `waitDurationInOpenState`, which moves it to half-open.
//!   Half-open permits exactly `permittedNumberOfCallsInHalfOpenState` calls (the rest are
//!   rejected) and judges a fresh count window of that size once it holds `min(minimumNumberOfCalls,
//!   permitted)` results: above a threshold → open, below both → closed. There are no
//!   generations: a late result (from a call admitted before a state change) is recorded in
//!   whatever the current state's window is, and while open it is recorded without effect. Open
//!   keeps the window that opened it; closed starts from an empty one.
//! - [`Style::Gobreaker`]: sony/gobreaker v1 `gobreaker.go` (github.com/sony/gobreaker). Closed
//!   counts since the last clear and checks its trip rule (gobreaker's `ReadyToTrip`) **only
//!   after a failure**; gobreaker's default rule is "consecutive failures > 5", which is
//!   [`Trip::Consecutive`] with `failures: 6`. Every state change, and in closed every
//!   `interval_us` (`Interval`; `None` = never), starts a new **generation**: counts are cleared
//!   and results of calls admitted in an earlier generation are ignored. Open lasts `Timeout`
//!   and becomes half-open at the first look **strictly after** it expires (`expiry.Before(now)`).
//!   Half-open admits at most `MaxRequests` calls in the generation (the rest get
//!   `ErrTooManyRequests`, here [`Rejected::HalfOpenFull`]); any failure reopens it, and
//!   `MaxRequests` consecutive successes close it.
//! - [`Style::Notes`]: the course notes' Python `CircuitBreaker` (catalogue-b D9, source lines
//!   3416–3486), with the bugs catalogued there. Consecutive failures only; a failure counts and
//!   stamps `last_failure`, a count **≥** the threshold opens; **any** success (whatever state
//!   the breaker is in, including a late one while open) resets the count and closes. Open lets
//!   the first call with `now − last_failure ≥ open_us` through as it moves to half-open (so the
//!   wait restarts at every failure, even one reported while open). Half-open has no probe limit:
//!   every caller goes through; a failure takes the count past the threshold (6 after a trip at
//!   5) and reopens. With `zero_clock_bug`, a last failure at exactly t = 0 reads as "no failure"
//!   (Python's `if self.last_failure_time and …` on a clock that starts at 0): the breaker then
//!   never leaves open.
//!
//! # Time
//!
//! Times are [`SimTime`] microseconds. A time earlier than the latest one seen is treated as the
//! latest one, so transitions are always in time order. [`Trip::TimeWindow`] uses one bucket per
//! whole simulated second, like Resilience4j's epoch-second buckets: a window of `window_secs`
//! holds the current (partial) second and the `window_secs − 1` before it. Where a library
//! compares "strictly after", the first admitted instant is one microsecond after the deadline;
//! [`Rejected::Open`] and [`Breaker::open_until`] give that first instant.
//!
//! # Invariants (checked by [`Breaker::validate`])
//!
//! Window totals equal the sum of their slots; only the transitions Closed→Open, Open→HalfOpen,
//! HalfOpen→Open, HalfOpen→Closed occur, plus Open→Closed in the notes style (a late success,
//! the source's unguarded `on_success`); in the Resilience4j and gobreaker styles no more than
//! `half_open_calls` probes are admitted per half-open period.
//!
//! # Simplifications
//!
//! Every failed call is recorded (no ignored or excluded exceptions); no forced-open, disabled
//! or metrics-only states; no maximum wait in half-open; gobreaker v2's bucketed rolling
//! interval is not modelled (v1's whole-interval clear is). A window counts completed calls
//! (Resilience4j's rule); gobreaker's own `Counts.Requests` counts admitted ones, which a custom
//! `ReadyToTrip` may read — only results are visible to [`Trip`] here. Memory is one byte per
//! count-window slot or one small bucket per second, allocated once; the transition log grows by
//! one entry per state change.

mod window;

use crate::time::SimTime;
use serde::{Deserialize, Serialize};
use window::{judge, Verdict, Window, FAILED, SLOW};

/// The largest [`Trip::CountWindow`] size [`BreakerConfig::validate`] accepts (one byte each).
pub const MAX_COUNT_WINDOW: u32 = 1_000_000;
/// The longest [`Trip::TimeWindow`] [`BreakerConfig::validate`] accepts, in seconds (one day).
pub const MAX_TIME_WINDOW_SECS: u32 = 86_400;

/// The three states of a breaker.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum State {
    /// Calls flow to the dependency and their results are counted.
    Closed,
    /// Calls are rejected at once, without reaching the dependency.
    Open,
    /// Probe calls are let through; their results decide between closed and open.
    HalfOpen,
}

impl State {
    /// The lower-case name used in events and on the diagram.
    pub const fn name(self) -> &'static str {
        match self {
            State::Closed => "closed",
            State::Open => "open",
            State::HalfOpen => "half-open",
        }
    }
}

/// When a closed breaker opens.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Trip {
    /// Opens when `failures` failures in a row have been counted (a success resets the run).
    Consecutive {
        /// The run length that opens the breaker (≥ 1). gobreaker's default "more than 5" is 6;
        /// the notes' `failure_threshold = 5` is 5.
        failures: u32,
    },
    /// Resilience4j's `COUNT_BASED` window: the last `size` results.
    CountWindow {
        /// Results kept (`slidingWindowSize`), 1..=[`MAX_COUNT_WINDOW`].
        size: u32,
        /// Results needed before the rates are judged (`minimumNumberOfCalls`, ≥ 1; capped at
        /// `size`).
        min_calls: u32,
        /// Failure rate, in percent, that opens the breaker (`failureRateThreshold`, 1..=100).
        failure_rate_pct: u8,
    },
    /// Resilience4j's `TIME_BASED` window: results of the last `window_secs` whole seconds.
    TimeWindow {
        /// Seconds kept (`slidingWindowSize`), 1..=[`MAX_TIME_WINDOW_SECS`].
        window_secs: u32,
        /// Results needed before the rates are judged (`minimumNumberOfCalls`, ≥ 1).
        min_calls: u32,
        /// Failure rate, in percent, that opens the breaker (`failureRateThreshold`, 1..=100).
        failure_rate_pct: u8,
    },
}

/// Which library's rules the breaker follows (see the module docs for each rule and its source).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Style {
    /// Resilience4j: rate windows, half-open judged on `half_open_calls` probes.
    Resilience4j,
    /// sony/gobreaker: generations, half-open closes after `half_open_calls` successes in a row.
    Gobreaker,
    /// The course notes' Python breaker, faithfully, bugs included.
    Notes {
        /// Treat a last failure at t = 0 as "no failure", as the Python does on a zero-based clock.
        zero_clock_bug: bool,
    },
}

/// A breaker's parameters. Which fields each style reads:
/// `trip` and `open_us` all; `slow_call_us`/`slow_rate_pct` the window trips;
/// `half_open_calls` Resilience4j and gobreaker; `interval_us` gobreaker only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BreakerConfig {
    /// Which library's rules to follow.
    pub style: Style,
    /// When a closed breaker opens.
    pub trip: Trip,
    /// A call whose duration is strictly greater than this is slow
    /// (`slowCallDurationThreshold`); `None` disables slow-call counting.
    pub slow_call_us: Option<u64>,
    /// Slow-call rate, in percent, that opens the breaker (`slowCallRateThreshold`, 1..=100).
    pub slow_rate_pct: u8,
    /// How long the breaker stays open (`waitDurationInOpenState`, `Timeout`, `recovery_timeout`).
    pub open_us: u64,
    /// Probes allowed in half-open (`permittedNumberOfCallsInHalfOpenState`, `MaxRequests`), ≥ 1.
    pub half_open_calls: u32,
    /// gobreaker's `Interval`: how often closed clears its counts; `None` never.
    pub interval_us: Option<u64>,
}

impl BreakerConfig {
    /// The notes' breaker: 5 consecutive failures, 60 s recovery.
    pub const fn notes(zero_clock_bug: bool) -> Self {
        BreakerConfig {
            style: Style::Notes { zero_clock_bug },
            trip: Trip::Consecutive { failures: 5 },
            slow_call_us: None,
            slow_rate_pct: 100,
            open_us: 60_000_000,
            half_open_calls: 1,
            interval_us: None,
        }
    }

    /// Resilience4j's defaults (`CircuitBreakerConfig`): count window of 100, minimum 100 calls,
    /// 50 % failures, calls over 60 s slow at 100 %, 60 s open, 10 probes.
    pub const fn resilience4j_defaults() -> Self {
        BreakerConfig {
            style: Style::Resilience4j,
            trip: Trip::CountWindow {
                size: 100,
                min_calls: 100,
                failure_rate_pct: 50,
            },
            slow_call_us: Some(60_000_000),
            slow_rate_pct: 100,
            open_us: 60_000_000,
            half_open_calls: 10,
            interval_us: None,
        }
    }

    /// gobreaker's defaults (`Settings{}`): more than 5 consecutive failures, 60 s timeout,
    /// one probe, counts never cleared while closed.
    pub const fn gobreaker_defaults() -> Self {
        BreakerConfig {
            style: Style::Gobreaker,
            trip: Trip::Consecutive { failures: 6 },
            slow_call_us: None,
            slow_rate_pct: 100,
            open_us: 60_000_000,
            half_open_calls: 1,
            interval_us: None,
        }
    }

    /// Checks every field the style reads; the message names the field.
    pub fn validate(&self) -> Result<(), String> {
        let pct = |name: &str, v: u8| {
            if (1..=100).contains(&v) {
                Ok(())
            } else {
                Err(format!("{name} must be 1..=100 (percent), got {v}"))
            }
        };
        match self.trip {
            Trip::Consecutive { failures } => {
                if failures == 0 {
                    return Err("trip.failures must be at least 1".into());
                }
                if self.style == Style::Resilience4j {
                    return Err("trip: Resilience4j counts a sliding window; use \
                                CountWindow or TimeWindow"
                        .into());
                }
            }
            Trip::CountWindow {
                size,
                min_calls,
                failure_rate_pct,
            } => {
                if size == 0 || size > MAX_COUNT_WINDOW {
                    return Err(format!(
                        "trip.size must be 1..={MAX_COUNT_WINDOW} calls, got {size}"
                    ));
                }
                if min_calls == 0 {
                    return Err("trip.min_calls must be at least 1".into());
                }
                pct("trip.failure_rate_pct", failure_rate_pct)?;
            }
            Trip::TimeWindow {
                window_secs,
                min_calls,
                failure_rate_pct,
            } => {
                if window_secs == 0 || window_secs > MAX_TIME_WINDOW_SECS {
                    return Err(format!(
                        "trip.window_secs must be 1..={MAX_TIME_WINDOW_SECS} seconds, got {window_secs}"
                    ));
                }
                if min_calls == 0 {
                    return Err("trip.min_calls must be at least 1".into());
                }
                pct("trip.failure_rate_pct", failure_rate_pct)?;
            }
        }
        if let Style::Notes { .. } = self.style {
            if !matches!(self.trip, Trip::Consecutive { .. }) {
                return Err(
                    "trip: the notes' breaker counts consecutive failures only; use \
                            the Resilience4j or gobreaker style for a rate window"
                        .into(),
                );
            }
        } else if self.half_open_calls == 0 {
            return Err("half_open_calls must be at least 1".into());
        }
        if self.slow_call_us.is_some() && !matches!(self.trip, Trip::Consecutive { .. }) {
            pct("slow_rate_pct", self.slow_rate_pct)?;
        }
        if self.interval_us == Some(0) {
            return Err("interval_us must be positive, or None for never".into());
        }
        Ok(())
    }
}

/// Why the breaker changed state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Why {
    /// The consecutive-failure count reached the threshold.
    ConsecutiveFailures,
    /// The window's failure rate reached its threshold.
    FailureRate,
    /// The window's slow-call rate reached its threshold.
    SlowCallRate,
    /// The open period ended (Open → HalfOpen).
    WaitOver,
    /// A probe failed (gobreaker, notes).
    ProbeFailed,
    /// The probes passed: enough successes, or rates below the thresholds (HalfOpen → Closed).
    ProbesPassed,
    /// Notes only: a success from a call admitted before the breaker opened closed it.
    LateSuccess,
}

/// One state change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transition {
    /// When it happened.
    pub at: SimTime,
    /// The state left.
    pub from: State,
    /// The state entered.
    pub to: State,
    /// What caused it.
    pub why: Why,
}

/// Permission to make one call; hand it back to [`Breaker::on_result`] with the outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Permit {
    generation: u64,
}

impl Permit {
    /// The generation the call was admitted in (gobreaker ignores results of earlier ones).
    pub fn generation(&self) -> u64 {
        self.generation
    }
}

/// Why a call was not let through.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Rejected {
    /// The breaker is open.
    Open {
        /// The first instant a call would be let through, if nothing else happens; `None` never.
        retry_at: Option<SimTime>,
    },
    /// Half-open, and every permitted probe has been admitted.
    HalfOpenFull {
        /// Probes admitted in this half-open period.
        admitted: u32,
    },
}

/// Calls, failures and slow calls in a window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Results recorded.
    pub calls: u32,
    /// Of which failed.
    pub failures: u32,
    /// Of which slow.
    pub slow: u32,
}

/// A circuit breaker driven by simulated time. See the module docs for the rules.
#[derive(Clone, Debug)]
pub struct Breaker {
    cfg: BreakerConfig,
    state: State,
    generation: u64,
    now: SimTime,
    /// First instant a call is let through while open; `None` never (or not open).
    retry_at: Option<SimTime>,
    /// gobreaker: when closed next clears its counts.
    interval_end: Option<SimTime>,
    window: Window,
    /// Resilience4j's half-open window (never slides: it is judged before it could fill).
    probes: Counts,
    /// Resilience4j: the figures come from `probes` (half-open, or open after half-open).
    judging_probes: bool,
    /// Results since the last clear (gobreaker generation; otherwise since the last state change).
    counts: Counts,
    consecutive_failures: u32,
    consecutive_successes: u32,
    /// Calls admitted in this generation (gobreaker's `Requests`; the probes in half-open).
    admitted: u32,
    probes_in_flight: u32,
    last_failure: Option<SimTime>,
    not_permitted: u64,
    transitions: Vec<Transition>,
}

impl Breaker {
    /// A closed breaker at t = 0, or the reason `cfg` is invalid.
    pub fn new(cfg: BreakerConfig) -> Result<Breaker, String> {
        cfg.validate()?;
        let interval_end = match cfg.style {
            Style::Gobreaker => cfg.interval_us.map(SimTime::from_us),
            _ => None,
        };
        Ok(Breaker {
            cfg,
            state: State::Closed,
            generation: 0,
            now: SimTime::ZERO,
            retry_at: None,
            interval_end,
            window: Window::new(cfg.trip),
            probes: Counts::default(),
            judging_probes: false,
            counts: Counts::default(),
            consecutive_failures: 0,
            consecutive_successes: 0,
            admitted: 0,
            probes_in_flight: 0,
            last_failure: None,
            not_permitted: 0,
            transitions: Vec::new(),
        })
    }

    /// Asks to make a call at `now`. Open or a full half-open rejects it (the dependency never
    /// sees it and nothing is counted but [`Breaker::not_permitted`]).
    pub fn try_acquire(&mut self, now: SimTime) -> Result<Permit, Rejected> {
        let now = self.clock(now);
        match self.cfg.style {
            Style::Notes { .. } => {
                if self.state == State::Open {
                    match self.retry_at {
                        Some(r) if now >= r => self.set_state(State::HalfOpen, now, Why::WaitOver),
                        retry_at => return self.reject(Rejected::Open { retry_at }),
                    }
                }
                self.admit()
            }
            Style::Resilience4j | Style::Gobreaker => {
                self.time_passes(now);
                match self.state {
                    State::Closed => self.admit(),
                    State::Open => self.reject(Rejected::Open {
                        retry_at: self.retry_at,
                    }),
                    State::HalfOpen => {
                        if self.admitted >= self.cfg.half_open_calls {
                            let admitted = self.admitted;
                            self.reject(Rejected::HalfOpenFull { admitted })
                        } else {
                            self.admit()
                        }
                    }
                }
            }
        }
    }

    /// Reports the outcome of a permitted call: whether it `failed`, and how long it took.
    pub fn on_result(&mut self, permit: Permit, now: SimTime, failed: bool, duration_us: u64) {
        let now = self.clock(now);
        let slow = matches!(self.cfg.slow_call_us, Some(s) if duration_us > s);
        let outcome = u8::from(failed) * FAILED + u8::from(slow) * SLOW;
        // gobreaker looks at the clock before taking a result (`afterRequest` calls
        // `currentState`); Resilience4j's open state records it and waits for the next call.
        if self.cfg.style == Style::Gobreaker {
            self.time_passes(now);
        }
        if permit.generation == self.generation && self.state == State::HalfOpen {
            self.probes_in_flight = self.probes_in_flight.saturating_sub(1);
        }
        match self.cfg.style {
            Style::Resilience4j => self.r4j_result(now, outcome),
            Style::Gobreaker => {
                if permit.generation == self.generation {
                    self.gobreaker_result(now, outcome);
                }
            }
            Style::Notes { .. } => self.notes_result(now, failed),
        }
    }

    /// Applies the changes time alone makes by `now`: open → half-open once the wait is over
    /// (Resilience4j with `automaticTransitionFromOpenToHalfOpenEnabled`; gobreaker's `State()`),
    /// gobreaker's interval clear, and the time window's expiry. The notes' breaker only changes
    /// on a call, so only the clock moves for it.
    pub fn advance(&mut self, now: SimTime) {
        let now = self.clock(now);
        if let Style::Resilience4j | Style::Gobreaker = self.cfg.style {
            self.time_passes(now);
        }
        self.window.slide(now);
    }

    fn clock(&mut self, now: SimTime) -> SimTime {
        self.now = self.now.max(now);
        self.now
    }

    fn admit(&mut self) -> Result<Permit, Rejected> {
        self.admitted = self.admitted.saturating_add(1);
        if self.state == State::HalfOpen {
            self.probes_in_flight = self.probes_in_flight.saturating_add(1);
        }
        Ok(Permit {
            generation: self.generation,
        })
    }

    fn reject(&mut self, why: Rejected) -> Result<Permit, Rejected> {
        self.not_permitted = self.not_permitted.saturating_add(1);
        Err(why)
    }

    /// The time-driven changes of the Resilience4j and gobreaker styles.
    fn time_passes(&mut self, now: SimTime) {
        match self.state {
            State::Open => {
                if matches!(self.retry_at, Some(r) if now >= r) {
                    self.set_state(State::HalfOpen, now, Why::WaitOver);
                }
            }
            State::Closed => {
                if let (Some(end), Some(i)) = (self.interval_end, self.cfg.interval_us) {
                    // gobreaker: `expiry.Before(now)`, then the next interval starts now.
                    if now > end {
                        self.new_generation(now);
                        self.interval_end = Some(now.plus_us(i));
                    }
                }
            }
            State::HalfOpen => {}
        }
    }

    fn r4j_result(&mut self, now: SimTime, outcome: u8) {
        self.count(outcome);
        match self.state {
            State::Closed => {
                self.window.record(now, outcome);
                if let Verdict::Above(why) = self.judge_window() {
                    self.set_state(State::Open, now, why);
                }
            }
            State::Open => {
                // Recorded without effect (a call admitted before the breaker opened).
                if self.judging_probes {
                    self.probes.add(outcome);
                } else {
                    self.window.record(now, outcome);
                }
            }
            State::HalfOpen => {
                self.probes.add(outcome);
                let (_, failure_pct) = self.trip_limits();
                let min = self.half_open_min_calls();
                match judge(self.probes, min, failure_pct, self.slow_pct()) {
                    Verdict::BelowMinimum => {}
                    Verdict::Below => self.set_state(State::Closed, now, Why::ProbesPassed),
                    Verdict::Above(why) => self.set_state(State::Open, now, why),
                }
            }
        }
    }

    fn gobreaker_result(&mut self, now: SimTime, outcome: u8) {
        let failed = outcome & FAILED != 0;
        match self.state {
            State::Closed => {
                self.count(outcome);
                self.window.record(now, outcome);
                if failed {
                    let verdict = match self.cfg.trip {
                        Trip::Consecutive { failures } => {
                            if self.consecutive_failures >= failures {
                                Verdict::Above(Why::ConsecutiveFailures)
                            } else {
                                Verdict::Below
                            }
                        }
                        _ => self.judge_window(),
                    };
                    if let Verdict::Above(why) = verdict {
                        self.set_state(State::Open, now, why);
                    }
                }
            }
            State::HalfOpen => {
                self.count(outcome);
                if failed {
                    self.set_state(State::Open, now, Why::ProbeFailed);
                } else if self.consecutive_successes >= self.cfg.half_open_calls {
                    self.set_state(State::Closed, now, Why::ProbesPassed);
                }
            }
            // Open is always a newer generation than any admitted call.
            State::Open => {}
        }
    }

    fn notes_result(&mut self, now: SimTime, failed: bool) {
        let threshold = match self.cfg.trip {
            Trip::Consecutive { failures } => failures,
            _ => u32::MAX, // unreachable: validate() allows only Consecutive here
        };
        self.count(u8::from(failed));
        if failed {
            self.last_failure = Some(now);
            if self.consecutive_failures >= threshold {
                match self.state {
                    State::Closed => self.set_state(State::Open, now, Why::ConsecutiveFailures),
                    State::HalfOpen => self.set_state(State::Open, now, Why::ProbeFailed),
                    // A late failure while open restarts the wait, as the Python's does.
                    State::Open => self.retry_at = self.notes_retry_at(),
                }
            }
        } else {
            match self.state {
                State::Closed => {}
                State::HalfOpen => self.set_state(State::Closed, now, Why::ProbesPassed),
                State::Open => self.set_state(State::Closed, now, Why::LateSuccess),
            }
        }
    }

    fn notes_retry_at(&self) -> Option<SimTime> {
        let last = self.last_failure?;
        if matches!(
            self.cfg.style,
            Style::Notes {
                zero_clock_bug: true
            }
        ) && last == SimTime::ZERO
        {
            return None;
        }
        last.as_us()
            .checked_add(self.cfg.open_us)
            .map(SimTime::from_us)
    }

    fn count(&mut self, outcome: u8) {
        self.counts.add(outcome);
        if outcome & FAILED != 0 {
            self.consecutive_failures = self.consecutive_failures.saturating_add(1);
            self.consecutive_successes = 0;
        } else {
            self.consecutive_successes = self.consecutive_successes.saturating_add(1);
            self.consecutive_failures = 0;
        }
    }

    fn trip_limits(&self) -> (u32, u8) {
        match self.cfg.trip {
            Trip::Consecutive { failures } => (failures, 100),
            Trip::CountWindow {
                size,
                min_calls,
                failure_rate_pct,
            } => (min_calls.min(size), failure_rate_pct),
            Trip::TimeWindow {
                min_calls,
                failure_rate_pct,
                ..
            } => (min_calls, failure_rate_pct),
        }
    }

    /// Resilience4j's half-open window: `min(minimumNumberOfCalls, permitted)` (the configured
    /// minimum, not the one capped at the closed window's size).
    fn half_open_min_calls(&self) -> u32 {
        let min_calls = match self.cfg.trip {
            Trip::Consecutive { failures } => failures,
            Trip::CountWindow { min_calls, .. } | Trip::TimeWindow { min_calls, .. } => min_calls,
        };
        min_calls.min(self.cfg.half_open_calls)
    }

    fn slow_pct(&self) -> Option<u8> {
        self.cfg.slow_call_us.map(|_| self.cfg.slow_rate_pct)
    }

    fn judge_window(&self) -> Verdict {
        let (min_calls, failure_pct) = self.trip_limits();
        judge(self.window.total(), min_calls, failure_pct, self.slow_pct())
    }

    fn new_generation(&mut self, now: SimTime) {
        self.generation += 1;
        self.admitted = 0;
        self.probes_in_flight = 0;
        self.counts = Counts::default();
        if self.cfg.style == Style::Gobreaker {
            // gobreaker clears all its counts at every generation.
            self.consecutive_failures = 0;
            self.consecutive_successes = 0;
            self.window.clear(now);
        }
    }

    fn set_state(&mut self, to: State, now: SimTime, why: Why) {
        let from = self.state;
        if from == to {
            return;
        }
        debug_assert!(self.transitions.last().is_none_or(|t| t.at <= now));
        self.transitions.push(Transition {
            at: now,
            from,
            to,
            why,
        });
        self.state = to;
        self.new_generation(now);
        self.retry_at = None;
        self.interval_end = None;
        match to {
            State::Open => {
                self.retry_at = match self.cfg.style {
                    Style::Notes { .. } => self.notes_retry_at(),
                    // Both compare "strictly after": the first instant is one microsecond on.
                    _ => now
                        .as_us()
                        .checked_add(self.cfg.open_us)
                        .and_then(|t| t.checked_add(1))
                        .map(SimTime::from_us),
                };
            }
            State::HalfOpen => {
                self.probes = Counts::default();
                if self.cfg.style == Style::Resilience4j {
                    self.judging_probes = true;
                }
            }
            State::Closed => {
                if self.cfg.style == Style::Gobreaker {
                    self.interval_end = self.cfg.interval_us.map(|i| now.plus_us(i));
                }
                if self.cfg.style == Style::Resilience4j {
                    self.judging_probes = false;
                    self.window.clear(now);
                    self.consecutive_failures = 0;
                    self.consecutive_successes = 0;
                }
            }
        }
        if to != State::HalfOpen {
            self.consecutive_successes = 0;
        }
    }

    /// The configuration.
    pub fn config(&self) -> &BreakerConfig {
        &self.cfg
    }

    /// The state as of the latest call or [`Breaker::advance`].
    pub fn state(&self) -> State {
        self.state
    }

    /// Every state change so far, in time order.
    pub fn transitions(&self) -> &[Transition] {
        &self.transitions
    }

    /// Bumped at every state change (and, in gobreaker, every interval clear).
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The counts the breaker judges now: the window (Resilience4j keeps the one that opened it
    /// while open, and judges the probes in half-open); for a consecutive trip, and in
    /// gobreaker's and the notes' half-open, the results since the last clear.
    pub fn counts(&self) -> Counts {
        if self.cfg.style == Style::Resilience4j && self.judging_probes {
            self.probes
        } else if matches!(self.window, Window::None) || self.state == State::HalfOpen {
            self.counts
        } else {
            self.window.total()
        }
    }

    /// The minimum number of calls before [`Breaker::counts`] is judged.
    fn min_calls_now(&self) -> u32 {
        let (min_calls, _) = self.trip_limits();
        match self.cfg.trip {
            Trip::Consecutive { .. } => 1,
            _ if self.cfg.style != Style::Resilience4j && self.state == State::HalfOpen => 1,
            _ if self.cfg.style == Style::Resilience4j && self.judging_probes => {
                self.half_open_min_calls()
            }
            _ => min_calls,
        }
    }

    /// Failure rate of [`Breaker::counts`] in percent, or `None` below the minimum number of
    /// calls (Resilience4j reports −1 there). For display only; decisions use integers.
    pub fn failure_rate_pct(&self) -> Option<f64> {
        let c = self.counts();
        (c.calls > 0 && c.calls >= self.min_calls_now())
            .then(|| f64::from(c.failures) * 100.0 / f64::from(c.calls))
    }

    /// Slow-call rate of [`Breaker::counts`] in percent, like [`Breaker::failure_rate_pct`].
    pub fn slow_rate_pct(&self) -> Option<f64> {
        let c = self.counts();
        (c.calls > 0 && c.calls >= self.min_calls_now())
            .then(|| f64::from(c.slow) * 100.0 / f64::from(c.calls))
    }

    /// Failures in a row (reset by a success; gobreaker also clears it every generation).
    pub fn consecutive_failures(&self) -> u32 {
        self.consecutive_failures
    }

    /// Probes admitted in this half-open period whose result has not come back.
    pub fn probes_in_flight(&self) -> u32 {
        self.probes_in_flight
    }

    /// Calls admitted in this generation (in half-open: the probes admitted so far).
    pub fn admitted(&self) -> u32 {
        self.admitted
    }

    /// While open, the first instant a call would be let through (`None`: never); `None` when
    /// not open.
    pub fn open_until(&self) -> Option<SimTime> {
        if self.state == State::Open {
            self.retry_at
        } else {
            None
        }
    }

    /// Calls rejected so far.
    pub fn not_permitted(&self) -> u64 {
        self.not_permitted
    }

    /// The last failure reported (the notes' `last_failure_time`), if any.
    pub fn last_failure(&self) -> Option<SimTime> {
        self.last_failure
    }

    /// Checks the invariants listed in the module docs.
    pub fn validate(&self) -> Result<(), String> {
        self.window.check()?;
        for pair in self.transitions.windows(2) {
            if pair[1].at < pair[0].at || pair[1].from != pair[0].to {
                return Err(format!("transitions out of order: {pair:?}"));
            }
        }
        for t in &self.transitions {
            let legal = matches!(
                (t.from, t.to),
                (State::Closed, State::Open)
                    | (State::Open, State::HalfOpen)
                    | (State::HalfOpen, State::Open)
                    | (State::HalfOpen, State::Closed)
            ) || (t.from, t.to, t.why)
                == (State::Open, State::Closed, Why::LateSuccess)
                && matches!(self.cfg.style, Style::Notes { .. });
            if !legal {
                return Err(format!("illegal transition {t:?}"));
            }
        }
        let limited = !matches!(self.cfg.style, Style::Notes { .. });
        if limited && self.state == State::HalfOpen && self.admitted > self.cfg.half_open_calls {
            return Err(format!(
                "{} probes admitted in half-open, limit {}",
                self.admitted, self.cfg.half_open_calls
            ));
        }
        if self.probes_in_flight > self.admitted {
            return Err("more probes in flight than admitted".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
