//! Circuit breakers side by side (issue 14, lesson 2): the same calls to the same dependency, on
//! the request simulator ([`crate::requests`]), once per lane: one lane with no breaker, the
//! others each behind a breaker of [`crate::resilience::breaker`] (the course's Python breaker,
//! with and without its time-0 bug; gobreaker; Resilience4j's count and time windows). The
//! dependency suffers an outage: its failing servers go down (every call fails at once, a refused
//! connection) or slow down (calls take longer, and time out) from `outage_at_s` for
//! `outage_for_s`.
//!
//! **How it runs.** Each lane holds its own [`requests::Simulation`] built from the same
//! configuration and seed, so every lane sees the same arrivals and the same work per call; only
//! what its breaker lets through differs. The breaker sits in a [`gate::Gate`] (a balancer
//! wrapping round robin, where a client library's breaker sits in the call path): a rejected call
//! never reaches a server. The model advances every lane on a fixed tick ([`tick_us`], as the
//! balancing model does) and at the outage's exact start and end, which it applies to every lane.
//! The breakers change state only when a call arrives or a result comes back (Resilience4j's
//! default, gobreaker's `State()` on each call, the Python's `call`), so an open breaker whose
//! wait is over shows as open until the next call.
//!
//! **What each lane shows.** Its calls over the last seconds (succeeded above the line, failed
//! and rejected fast below it), its state as a band behind them (open red, half-open amber), a
//! gauge of what its breaker is judging, and its totals. The metrics give every state change with
//! its time, the calls that reached the service (the downstream load), and what the breaker cost:
//! calls rejected while the dependency was healthy.
//!
//! **What it ignores.** Network delay (a refused connection fails at once), fallbacks (a rejected
//! call simply fails), callers retrying, several caller instances each with its own breaker (one
//! caller here), and a dependency that degrades gradually (the outage is a step).

mod gate;
mod spec;

use crate::model::{ActionSpec, Ctx, InputError, Metric, MetricGroup, MetricValue, Metrics, Model};
use crate::models::balancer::tick_us;
use crate::models::lanes::{BandState, LaneView, LanesFrame, MarkKind, Recent};
use crate::params::{ParamError, ParamSet, ParamSpec};
use crate::query::Queries;
use crate::requests::{self, Action, ServerId, ServerState};
use crate::resilience::breaker::{Breaker, State, Transition, Trip, Why};
use crate::scenario::Input;
use crate::time::SimTime;
use crate::trace::Narrate;
use gate::{Call, Gate};
use spec::{num, LaneKind, Outage, Setup};
use std::cell::RefCell;
use std::rc::Rc;

/// How much history a strip shows at most, µs.
const SPAN_US: u64 = 20_000_000;
/// State changes listed in the `transitions` metric before "… and N more".
const LISTED: usize = 12;

/// What the model records.
#[derive(Clone, Debug, PartialEq)]
pub enum BreakerRecord {
    /// A breaker changed state.
    Transition {
        /// The lane's name.
        lane: String,
        /// The change, at the breaker's own clock.
        transition: Transition,
        /// The failures in a row that open a consecutive breaker, for the reason's words.
        failures: u32,
    },
    /// The outage started or ended (scripted or by an action).
    Outage(String),
    /// The run stopped on an error.
    Stopped(String),
}

fn why_text(why: Why, failures: u32) -> String {
    match why {
        Why::ConsecutiveFailures => format!("{failures} failures in a row"),
        Why::FailureRate => "the failure rate reached its threshold".into(),
        Why::SlowCallRate => "the slow-call rate reached its threshold".into(),
        Why::WaitOver => "its wait was over".into(),
        Why::ProbeFailed => "a probe failed".into(),
        Why::ProbesPassed => "the probes passed".into(),
        Why::LateSuccess => "a call sent before it opened succeeded".into(),
    }
}

fn transition_text(t: &Transition, failures: u32) -> String {
    format!(
        "{} {}→{} ({})",
        t.at.secs_text(),
        t.from.name(),
        t.to.name(),
        why_text(t.why, failures)
    )
}

impl Narrate for BreakerRecord {
    fn narrate(&self) -> String {
        match self {
            BreakerRecord::Transition {
                lane,
                transition,
                failures,
            } => format!(
                "{lane}: {} → {} at {} (breaker's clock): {}.",
                transition.from.name(),
                transition.to.name(),
                transition.at.secs_text(),
                why_text(transition.why, *failures)
            ),
            BreakerRecord::Outage(what) => format!("{what}."),
            BreakerRecord::Stopped(why) => format!("The run stopped: {why}."),
        }
    }

    fn is_milestone(&self) -> bool {
        true
    }
}

/// The model's events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BreakerEvent {
    /// Advance every lane to now.
    Tick,
    /// The scripted outage starts.
    OutageStart,
    /// The scripted outage ends.
    OutageEnd,
}

/// One lane: a simulation of the dependency behind its own gate.
#[derive(Clone)]
struct Lane {
    kind: LaneKind,
    label: String,
    sim: requests::Simulation,
    sink: Rc<RefCell<Vec<Call>>>,
    marks: Recent,
    sent: u64,
    rejected: u64,
    succeeded: u64,
    failed: u64,
    /// Calls rejected while the dependency was healthy (outside the outage).
    rejected_healthy: u64,
    /// The callers' total wait: each answer's latency (a rejection waits 0).
    wait_sum_us: u64,
    /// Transitions already recorded.
    seen: usize,
    /// The most calls the service held at once (in service and queued).
    max_backlog: u64,
}

impl Lane {
    fn gate(&self) -> Option<&Gate> {
        self.sim.balancer().as_any().downcast_ref::<Gate>()
    }

    fn breaker(&self) -> Option<&Breaker> {
        self.gate().and_then(Gate::breaker)
    }

    fn backlog(&self) -> u64 {
        self.sim
            .servers()
            .iter()
            .map(|s| u64::from(s.busy_workers() + s.queue_len()))
            .sum()
    }

    fn push_mark(&mut self, t: u64, kind: MarkKind) {
        self.marks.push(t, kind, SPAN_US);
    }

    /// What a breaker has opened: entries into the open state.
    fn opens(&self) -> u64 {
        self.breaker().map_or(0, |b| {
            b.transitions()
                .iter()
                .filter(|t| t.to == State::Open)
                .count() as u64
        })
    }
}

/// The circuit-breaker model.
#[derive(Clone)]
pub struct BreakerModel {
    setup: Setup,
    lanes: Vec<Lane>,
    tick_us: u64,
    now: SimTime,
    /// Whether the dependency is failing now, and since when (µs).
    outage_since: Option<u64>,
    /// When the latest outage ended, µs.
    outage_ended: Option<u64>,
    /// Arrival times within the span (lane 0's calls).
    arrivals: Recent,
    note: String,
    stopped: Option<String>,
}

impl BreakerModel {
    fn healthy_now(&self) -> bool {
        self.outage_since.is_none()
    }

    /// Advances every lane to `t` and takes in what their gates saw.
    fn advance(&mut self, t: SimTime, ctx: &mut Ctx<'_, Self>) {
        if self.stopped.is_some() {
            return;
        }
        self.now = self.now.max(t);
        let healthy = self.healthy_now();
        let failures = self.setup.failures;
        let mut error = None;
        for (i, lane) in self.lanes.iter_mut().enumerate() {
            if let Err(e) = lane.sim.advance_to(t) {
                error.get_or_insert(e);
            }
            let calls = std::mem::take(&mut *lane.sink.borrow_mut());
            for c in calls {
                match c {
                    Call::Sent { at } => {
                        lane.sent += 1;
                        if i == 0 {
                            self.arrivals.push(at.as_us(), MarkKind::Ok, SPAN_US);
                        }
                    }
                    Call::Rejected { at } => {
                        lane.rejected += 1;
                        if healthy {
                            lane.rejected_healthy += 1;
                        }
                        lane.push_mark(at.as_us(), MarkKind::Rejected);
                        if i == 0 {
                            self.arrivals.push(at.as_us(), MarkKind::Ok, SPAN_US);
                        }
                    }
                    Call::Done { at, ok, latency_us } => {
                        lane.wait_sum_us += latency_us;
                        if ok {
                            lane.succeeded += 1;
                        } else {
                            lane.failed += 1;
                        }
                        let kind = if ok { MarkKind::Ok } else { MarkKind::Failed };
                        lane.push_mark(at.as_us(), kind);
                    }
                }
            }
            lane.max_backlog = lane.max_backlog.max(lane.backlog());
            let new: Vec<Transition> = lane
                .breaker()
                .map(|b| b.transitions()[lane.seen..].to_vec())
                .unwrap_or_default();
            lane.seen += new.len();
            for transition in new {
                self.note = format!("{}: {}", lane.label, transition_text(&transition, failures));
                ctx.record(BreakerRecord::Transition {
                    lane: lane.label.clone(),
                    transition,
                    failures,
                });
            }
        }
        if let Some(e) = error {
            ctx.record(BreakerRecord::Stopped(e.clone()));
            self.stopped = Some(e);
        }
    }

    /// Applies `action` to the outage's servers in every lane, skipping those already in the
    /// state it would put them in.
    fn hit_servers(&mut self, action: impl Fn(ServerId) -> Action) -> Result<(), String> {
        for lane in &mut self.lanes {
            for i in 0..self.setup.failing {
                let id = ServerId(i);
                let a = action(id);
                let state = lane.sim.servers()[i as usize].state();
                let skip = match a {
                    Action::Kill(_) => state == ServerState::Killed,
                    Action::Revive(_) => state != ServerState::Killed,
                    _ => false,
                };
                if !skip {
                    lane.sim.apply(a)?;
                }
            }
        }
        Ok(())
    }

    fn start_outage(
        &mut self,
        kind: Outage,
        factor: f64,
        ctx: &mut Ctx<'_, Self>,
    ) -> Result<(), String> {
        let which = self.which();
        match kind {
            Outage::Fail => {
                self.hit_servers(Action::Kill)?;
                ctx.record(BreakerRecord::Outage(format!(
                    "{which} went down: every call to {} fails at once",
                    if self.setup.failing == 1 {
                        "it"
                    } else {
                        "them"
                    }
                )));
            }
            Outage::Slow => {
                self.hit_servers(|id| Action::SetSpeed(id, 1.0 / factor))?;
                ctx.record(BreakerRecord::Outage(format!(
                    "{which} slowed down {}×",
                    num(factor)
                )));
            }
            Outage::None => return Ok(()),
        }
        self.outage_since.get_or_insert(ctx.now.as_us());
        self.note = format!("{}: the outage started.", ctx.now.secs_text());
        Ok(())
    }

    fn end_outage(&mut self, ctx: &mut Ctx<'_, Self>) -> Result<(), String> {
        self.hit_servers(Action::Revive)?;
        self.hit_servers(|id| Action::SetSpeed(id, 1.0))?;
        if self.outage_since.take().is_some() {
            self.outage_ended = Some(ctx.now.as_us());
            ctx.record(BreakerRecord::Outage(format!("{} recovered", self.which())));
            self.note = format!("{}: the outage ended.", ctx.now.secs_text());
        } else {
            ctx.record(BreakerRecord::Outage(format!(
                "{} {} already up at full speed: nothing to recover",
                self.which(),
                if self.setup.failing == 1 {
                    "was"
                } else {
                    "were"
                }
            )));
        }
        Ok(())
    }

    fn which(&self) -> String {
        if self.setup.failing == self.setup.servers {
            if self.setup.servers == 1 {
                "The server".into()
            } else {
                format!("All {} servers", self.setup.servers)
            }
        } else {
            format!(
                "{} of the {} servers",
                self.setup.failing, self.setup.servers
            )
        }
    }

    /// The lane the headline metrics describe: the first with a breaker.
    fn headline(&self) -> Option<&Lane> {
        self.lanes
            .iter()
            .find(|l| l.kind != LaneKind::None)
            .or(self.lanes.first())
    }

    fn gauge(&self, lane: &Lane) -> (f64, String) {
        let Some(gate) = lane.gate() else {
            return (0.0, String::new());
        };
        let Some(b) = gate.breaker() else {
            let held = lane.backlog();
            let room = u64::from(self.setup.servers * self.setup.workers).max(1);
            return (
                (held as f64 / (2 * room) as f64).min(1.0),
                format!("{held} held by the service"),
            );
        };
        let cfg = b.config();
        match b.state() {
            State::Closed => match cfg.trip {
                Trip::Consecutive { failures } => {
                    let c = b.consecutive_failures();
                    (
                        f64::from(c) / f64::from(failures.max(1)),
                        format!("closed · {c} of {failures} failures in a row"),
                    )
                }
                Trip::CountWindow {
                    min_calls,
                    failure_rate_pct,
                    ..
                }
                | Trip::TimeWindow {
                    min_calls,
                    failure_rate_pct,
                    ..
                } => {
                    let c = b.counts();
                    match b.failure_rate_pct() {
                        None => (
                            0.0,
                            format!("closed · {} of {} calls to judge", c.calls, min_calls),
                        ),
                        Some(rate) => {
                            let slow = b.slow_rate_pct().filter(|_| cfg.slow_call_us.is_some());
                            let mut text =
                                format!("closed · {rate:.0}% of {failure_rate_pct}% failed");
                            let mut fill = rate / f64::from(failure_rate_pct);
                            if let Some(s) = slow {
                                text.push_str(&format!(", {s:.0}% slow"));
                                fill = fill.max(s / f64::from(cfg.slow_rate_pct));
                            }
                            (fill.min(1.0), text)
                        }
                    }
                }
            },
            State::Open => match b.open_until() {
                Some(until) => {
                    let t = gate.clock(self.now);
                    let left = until.as_us().saturating_sub(t.as_us());
                    if left == 0 {
                        (0.0, "open · wait over: the next call is a probe".into())
                    } else {
                        (
                            left as f64 / cfg.open_us.max(1) as f64,
                            format!("open · {:.1} s to wait", left as f64 / 1e6),
                        )
                    }
                }
                None => (1.0, "open for good: failure at 0".into()),
            },
            State::HalfOpen => match cfg.style {
                crate::resilience::breaker::Style::Notes { .. } => {
                    (1.0, "half-open · every call goes through".into())
                }
                _ => (
                    f64::from(b.admitted()) / f64::from(cfg.half_open_calls.max(1)),
                    format!(
                        "half-open · {} of {} probes sent",
                        b.admitted(),
                        cfg.half_open_calls
                    ),
                ),
            },
        }
    }

    fn bands(&self, lane: &Lane, since: u64) -> Vec<u64> {
        let Some(b) = lane.breaker() else {
            return Vec::new();
        };
        let code = |s: State| match s {
            State::Closed => BandState::Closed,
            State::Open => BandState::Open,
            State::HalfOpen => BandState::HalfOpen,
        };
        let mut out = vec![BandState::Closed.pack(0)];
        for t in b.transitions() {
            let at = t.at.as_us();
            // A band wholly before the strip is replaced by the one that follows it.
            if at <= since {
                out.clear();
            }
            out.push(code(t.to).pack(at));
        }
        out
    }
}

impl Model for BreakerModel {
    const ID: &'static str = "circuit-breakers";
    type Event = BreakerEvent;
    type Record = BreakerRecord;
    type Frame = LanesFrame;

    fn specs() -> Vec<ParamSpec> {
        spec::specs()
    }

    fn actions() -> Vec<ActionSpec> {
        vec![
            ActionSpec::new("fail", "Take the servers down")
                .help("The outage's servers go down now: every call to them fails at once."),
            ActionSpec::new("slow", "Slow the servers")
                .arg("factor", Some("50"))
                .help("The outage's servers work this many times slower from now."),
            ActionSpec::new("recover", "Recover")
                .help("The outage's servers come back at full speed."),
        ]
    }

    fn build(params: &ParamSet, ctx: &mut Ctx<'_, Self>) -> Result<Self, ParamError> {
        let setup = Setup::from_params(params)?;
        let mut lanes = Vec::with_capacity(setup.lanes.len());
        for &kind in &setup.lanes {
            let breaker = match setup.breaker(kind) {
                Some(cfg) => Some(Breaker::new(cfg).map_err(|e| ParamError {
                    param: "breakers".into(),
                    value: kind.id().into(),
                    allowed: e,
                })?),
                None => None,
            };
            let sink = Rc::new(RefCell::new(Vec::new()));
            let gate = Gate::new(breaker, setup.clock_seconds, sink.clone());
            let sim = requests::Simulation::new(setup.sim_config(), Box::new(gate), ctx.seed)
                .map_err(|e| ParamError {
                    param: "rate".into(),
                    value: num(setup.rate),
                    allowed: e,
                })?;
            lanes.push(Lane {
                kind,
                label: lane_label(&setup, kind),
                sim,
                sink,
                marks: Recent::default(),
                sent: 0,
                rejected: 0,
                succeeded: 0,
                failed: 0,
                rejected_healthy: 0,
                wait_sum_us: 0,
                seen: 0,
                max_backlog: 0,
            });
        }
        let tick = tick_us(setup.duration).min(50_000);
        if setup.has_outage() {
            ctx.schedule(
                SimTime::from_us(setup.outage_at_us),
                BreakerEvent::OutageStart,
            );
            if setup.outage_end_us() <= setup.duration.as_us() {
                ctx.schedule(
                    SimTime::from_us(setup.outage_end_us()),
                    BreakerEvent::OutageEnd,
                );
            }
        }
        ctx.schedule(ctx.now.plus_us(tick), BreakerEvent::Tick);
        Ok(BreakerModel {
            setup,
            lanes,
            tick_us: tick,
            now: SimTime::ZERO,
            outage_since: None,
            outage_ended: None,
            arrivals: Recent::default(),
            note: "Calls start at 0 s: press play.".into(),
            stopped: None,
        })
    }

    fn apply(&mut self, input: &Input, ctx: &mut Ctx<'_, Self>) -> Result<(), InputError> {
        self.advance(ctx.now, ctx);
        if let Some(why) = &self.stopped {
            return Err(InputError(format!("the run has stopped: {why}")));
        }
        let arg = input.arg.as_deref().unwrap_or("").trim();
        let result = match input.action.as_str() {
            "fail" => self.start_outage(Outage::Fail, 1.0, ctx),
            "slow" => {
                let factor = if arg.is_empty() {
                    self.setup.slow_factor
                } else {
                    arg.parse::<f64>()
                        .ok()
                        .filter(|f| f.is_finite() && (1.0..=10_000.0).contains(f))
                        .ok_or_else(|| {
                            InputError("slow needs a factor from 1 to 10000, e.g. slow:50".into())
                        })?
                };
                self.start_outage(Outage::Slow, factor, ctx)
            }
            "recover" => self.end_outage(ctx),
            other => {
                return Err(InputError(format!(
                    "unknown action {other:?}; this lesson knows fail, slow and recover"
                )))
            }
        };
        result.map_err(InputError)?;
        self.advance(ctx.now, ctx);
        Ok(())
    }

    fn handle(&mut self, event: BreakerEvent, ctx: &mut Ctx<'_, Self>) {
        self.advance(ctx.now, ctx);
        if self.stopped.is_some() {
            return;
        }
        let result = match event {
            BreakerEvent::Tick => {
                let done = ctx.now >= self.setup.duration
                    && self.lanes.iter().all(|l| l.sim.is_finished());
                if !done {
                    ctx.schedule(ctx.now.plus_us(self.tick_us), BreakerEvent::Tick);
                }
                Ok(())
            }
            BreakerEvent::OutageStart => {
                let (kind, factor) = (self.setup.outage, self.setup.slow_factor);
                self.start_outage(kind, factor, ctx)
            }
            BreakerEvent::OutageEnd => self.end_outage(ctx),
        };
        if let Err(e) = result {
            ctx.record(BreakerRecord::Stopped(e.clone()));
            self.stopped = Some(e);
        }
    }

    fn frame(&self, now: SimTime) -> LanesFrame {
        let t = now.as_us();
        let span = SPAN_US;
        let since = t.saturating_sub(span);
        let lanes = self
            .lanes
            .iter()
            .map(|l| {
                let (fill, gauge) = self.gauge(l);
                LaneView {
                    id: l.kind.id().to_string(),
                    label: l.label.clone(),
                    fill,
                    gauge,
                    marks: l.marks.packed(since, t),
                    ticks_us: 0,
                    window_us: 0,
                    admitted: l.succeeded,
                    rejected: l.rejected,
                    extra: format!("{} failed · {} sent", l.failed, l.sent),
                    bands: self.bands(l, since),
                }
            })
            .collect();
        LanesFrame {
            now,
            span_us: span,
            title: self.setup.title(),
            arrivals: self.arrivals.times(since, t),
            offered: Some("Calls made".into()),
            counts: Some((
                "calls that succeeded".into(),
                "calls turned away by the breaker".into(),
            )),
            lanes,
            note: match &self.stopped {
                Some(why) => format!("Stopped: {why}"),
                None => self.note.clone(),
            },
        }
    }

    fn metrics(&self) -> Metrics {
        let mut scalars = Vec::new();
        let elapsed_s = self.now.as_us().min(self.setup.duration.as_us()) as f64 / 1e6;
        let int = |v: u64| MetricValue::Int(v as i64);
        if let Some(h) = self.headline() {
            let calls = h.sent + h.rejected;
            let answered = h.succeeded + h.failed + h.rejected;
            let transitions = h.breaker().map(|b| b.transitions()).unwrap_or(&[]);
            let first_open = self.setup.has_outage().then(|| {
                transitions
                    .iter()
                    .find(|t| t.to == State::Open && t.at.as_us() >= self.setup.outage_at_us)
                    .map(|t| t.at.as_us() - self.setup.outage_at_us)
            });
            let closed_after = self.outage_ended.map(|end| {
                let state = h.breaker().map(Breaker::state);
                transitions
                    .iter()
                    .rev()
                    .find(|t| t.to == State::Closed && t.at.as_us() >= end)
                    .filter(|_| state == Some(State::Closed))
                    .map(|t| t.at.as_us() - end)
            });
            let open_us = open_time_us(transitions, self.now);
            let none = self.lanes.iter().find(|l| l.kind == LaneKind::None);
            let mut text = transitions
                .iter()
                .take(LISTED)
                .map(|t| transition_text(t, self.setup.failures))
                .collect::<Vec<_>>()
                .join("; ");
            if transitions.len() > LISTED {
                text.push_str(&format!("; … and {} more", transitions.len() - LISTED));
            }
            let ms = |v: Option<Option<u64>>| match v.flatten() {
                Some(us) => MetricValue::Float(us as f64 / 1e3),
                None => MetricValue::None,
            };
            scalars.extend([
                Metric {
                    id: "calls",
                    label: "Calls",
                    value: int(calls),
                    unit: None,
                    help: "Calls the caller made (the same in every lane).",
                },
                Metric {
                    id: "succeeded",
                    label: "Succeeded",
                    value: int(h.succeeded),
                    unit: None,
                    help: "Calls of the headline lane (the first breaker shown) that succeeded.",
                },
                Metric {
                    id: "failed",
                    label: "Failed at the service",
                    value: int(h.failed),
                    unit: None,
                    help: "Calls the headline breaker let through that failed or timed out.",
                },
                Metric {
                    id: "rejected",
                    label: "Rejected fast",
                    value: int(h.rejected),
                    unit: None,
                    help: "Calls the headline breaker turned away without calling the service.",
                },
                Metric {
                    id: "downstream_calls",
                    label: "Reached the service",
                    value: int(h.sent),
                    unit: None,
                    help: "Calls the headline lane sent to the service: the load the dependency carried.",
                },
                Metric {
                    id: "downstream_saved_percent",
                    label: "Load spared",
                    value: match none {
                        Some(n) if n.sent > 0 && h.kind != LaneKind::None => MetricValue::Float(
                            100.0 * (n.sent as f64 - h.sent as f64) / n.sent as f64,
                        ),
                        _ => MetricValue::None,
                    },
                    unit: Some("%"),
                    help: "How many fewer calls reached the service than without a breaker.",
                },
                Metric {
                    id: "goodput",
                    label: "Goodput",
                    value: if elapsed_s > 0.0 {
                        MetricValue::Float(h.succeeded as f64 / elapsed_s)
                    } else {
                        MetricValue::None
                    },
                    unit: Some("calls/s"),
                    help: "Successful calls per second, in the headline lane.",
                },
                Metric {
                    id: "mean_wait_ms",
                    label: "Caller's mean wait",
                    value: if answered > 0 {
                        MetricValue::Float(h.wait_sum_us as f64 / answered as f64 / 1e3)
                    } else {
                        MetricValue::None
                    },
                    unit: Some("ms"),
                    help: "How long a caller waited for its answer on average, a fast rejection counting 0.",
                },
                Metric {
                    id: "transitions",
                    label: "State changes",
                    value: if text.is_empty() {
                        MetricValue::None
                    } else {
                        MetricValue::Text(text)
                    },
                    unit: None,
                    help: "Every state change of the headline breaker, with its time on the breaker's clock.",
                },
                Metric {
                    id: "transition_count",
                    label: "State changes",
                    value: int(transitions.len() as u64),
                    unit: None,
                    help: "How many times the headline breaker changed state.",
                },
                Metric {
                    id: "opens",
                    label: "Times opened",
                    value: int(h.opens()),
                    unit: None,
                    help: "How many times the headline breaker opened (more than once per outage is flapping).",
                },
                Metric {
                    id: "first_open_ms",
                    label: "Opened after",
                    value: ms(first_open),
                    unit: Some("ms"),
                    help: "From the outage's start to the headline breaker's first opening after it.",
                },
                Metric {
                    id: "closed_after_ms",
                    label: "Closed again after",
                    value: ms(closed_after),
                    unit: Some("ms"),
                    help: "From the outage's end until the headline breaker closed for good (none while it is not closed).",
                },
                Metric {
                    id: "open_percent",
                    label: "Time open",
                    value: if self.now.as_us() > 0 {
                        MetricValue::Float(100.0 * open_us as f64 / self.now.as_us() as f64)
                    } else {
                        MetricValue::None
                    },
                    unit: Some("%"),
                    help: "Share of the run the headline breaker spent open.",
                },
                Metric {
                    id: "rejected_healthy",
                    label: "Rejected while healthy",
                    value: int(h.rejected_healthy),
                    unit: None,
                    help: "Calls the headline breaker turned away while the service was healthy: the cost of opening, or of staying open too long.",
                },
                Metric {
                    id: "max_backlog",
                    label: "Most held by the service",
                    value: int(h.max_backlog),
                    unit: None,
                    help: "The most calls the service held at once in the headline lane, in service and queued.",
                },
            ]);
        }
        for kind in LaneKind::ALL {
            let ids = kind.metric_ids();
            let lane = self.lanes.iter().find(|l| l.kind == kind);
            for k in 0..6 {
                let value = lane.map_or(MetricValue::None, |l| {
                    int([
                        l.succeeded,
                        l.failed,
                        l.rejected,
                        l.sent,
                        l.opens(),
                        l.max_backlog,
                    ][k])
                });
                scalars.push(Metric {
                    id: ids[k],
                    label: ids[k + 6],
                    value,
                    unit: None,
                    help: "Per lane (none when the lane is not shown): calls that succeeded, failed at the service, were rejected fast, reached the service; times the breaker opened; the most calls the service held at once.",
                });
            }
        }
        let group = |id: &'static str, label: &'static str, f: fn(&Lane) -> u64| MetricGroup {
            id,
            label,
            unit: None,
            values: self
                .lanes
                .iter()
                .map(|l| (l.label.clone(), f(l) as f64))
                .collect(),
        };
        let groups = vec![
            group("sent_per_lane", "Calls that reached the service", |l| {
                l.sent
            }),
            group("failed_per_lane", "Calls that failed at the service", |l| {
                l.failed
            }),
            group("rejected_per_lane", "Calls rejected fast", |l| l.rejected),
        ];
        Metrics { scalars, groups }
    }

    fn queries() -> Queries<Self> {
        Queries::new()
    }

    fn validate(&self) -> Result<(), String> {
        let first = self.lanes.first().map(|l| l.sent + l.rejected);
        for l in &self.lanes {
            l.sim.validate()?;
            let calls = l.sent + l.rejected;
            if Some(calls) != first {
                return Err(format!(
                    "{}: {calls} calls, but the first lane made {first:?}: every lane sees the same calls",
                    l.label
                ));
            }
            if l.succeeded + l.failed > l.sent {
                return Err(format!(
                    "{}: {} answers for {} calls sent",
                    l.label,
                    l.succeeded + l.failed,
                    l.sent
                ));
            }
            if l.kind == LaneKind::None && l.rejected > 0 {
                return Err("the lane without a breaker rejected a call".into());
            }
            if let Some(b) = l.breaker() {
                b.validate()?;
                let waiting = l.sent - l.succeeded - l.failed;
                let held = l.gate().map_or(0, Gate::in_flight) as u64;
                if held != waiting {
                    return Err(format!(
                        "{}: {held} permits held for {waiting} calls awaiting an answer",
                        l.label
                    ));
                }
                if b.not_permitted() != l.rejected {
                    return Err(format!(
                        "{}: the breaker rejected {} but the lane counted {}",
                        l.label,
                        b.not_permitted(),
                        l.rejected
                    ));
                }
            }
        }
        Ok(())
    }
}

/// How long a breaker with these transitions has been open by `now`, µs.
fn open_time_us(transitions: &[Transition], now: SimTime) -> u64 {
    let mut total = 0;
    let mut since = None;
    for t in transitions {
        if t.to == State::Open {
            since.get_or_insert(t.at.as_us());
        } else if let Some(s) = since.take() {
            total += t.at.as_us().saturating_sub(s);
        }
    }
    if let Some(s) = since {
        total += now.as_us().saturating_sub(s);
    }
    total
}

fn lane_label(s: &Setup, kind: LaneKind) -> String {
    match kind {
        LaneKind::None => "No breaker".into(),
        LaneKind::Python => format!("Python: {} in a row", s.failures),
        LaneKind::PythonZero => "Python, time-0 bug".into(),
        LaneKind::Gobreaker => format!("gobreaker: {} in a row", s.failures),
        LaneKind::CountWindow => format!("Last {} calls ≥ {}%", s.window, s.failure_rate),
        LaneKind::TimeWindow => format!("Last {} s ≥ {}%", s.window_s, s.failure_rate),
    }
}
