//! Timeouts and bulkheads (issue 14, lesson 4): a service whose worker threads call two
//! dependencies, A (busy, healthy) and B (rarely called, and the one that slows down or hangs),
//! once per lane: one pool shared by every request or a pool per dependency (a bulkhead), each
//! with or without a timeout on calls to B, optionally with a fallback for B.
//!
//! **How it runs.** Requests arrive as one Poisson stream (`rate_a + rate_b` a second), each
//! calling A or B; each carries its latencies, drawn once from its dependency's lognormal
//! ([`ServiceDist`], median `a_ms` or `b_ms`, spread `sigma`) for its first call and up to two
//! retries. Every lane receives the same requests with the same latencies ([`pool::Req`]); only
//! its policy differs. A request takes a thread from its pool (waiting up to `wait_ms` for one,
//! else rejected) and holds it for its whole call: the thread is the caller's, blocked on the
//! dependency, as in a thread-per-request server or a Hystrix thread pool. While B is **slow** a
//! call to it started then takes `slow_factor` times its latency; while B **hangs** a call gets
//! no answer until B recovers, then answers after its healthy latency. A **timeout** abandons a
//! call to B after `timeout_ms` and frees its thread (B keeps working on it: the wasted work is
//! counted as each such call ends); `retries` calls B again on the same thread. A **fallback**
//! answers a request whose call to B timed out or was rejected with a degraded answer.
//!
//! **Little's law.** The threads B's calls hold on average are its call rate times how long each
//! holds one, `rate_b × E[min(L, T)]` ([`spec::mean_held`] gives the lognormal's closed form);
//! during a hang with a timeout every call holds its thread for exactly `T`. The metrics report
//! the measured time average beside it, outside and during the outage.
//!
//! **Invariants** ([`pool::Lane::validate`]): no pool over its size; threads held = live calls;
//! requests = answered + in progress; outcomes add up; no timeouts without one, no fallbacks
//! without one; and every lane has received the same requests.
//!
//! **What it ignores.** A's calls have no timeout and A never fails; the dependencies' own
//! capacity (B does not get slower with more calls, nor faster with fewer; abandoned work costs
//! it nothing); CPU time (a thread blocked on a call costs nothing but the thread); the caller's
//! own clients and their timeouts; a circuit breaker (lesson 2); connection pools and queues in
//! front of B; retries that back off.

mod metrics;
mod pool;
mod spec;

use crate::model::{ActionSpec, Ctx, InputError, Metrics, Model};
use crate::models::lanes::{LaneView, LanesFrame, MarkKind, Recent};
use crate::models::scatter_gather::service::ServiceDist;
use crate::params::{ParamError, ParamSet, ParamSpec};
use crate::query::Queries;
use crate::rng::SimRng;
use crate::scenario::Input;
use crate::time::SimTime;
use crate::trace::Narrate;
pub use pool::{quantile_us, Dep, Health};
use pool::{Due, Lane, Req};
use spec::Setup;
pub use spec::{mean_held, LaneKind, Outage, MAX_REQUESTS};

/// How much history a strip shows, µs: a lane keeps at most `MAX_MARKS` (400) marks, about
/// 3.6 s of the default 110 requests a second.
const SPAN_US: u64 = 3_000_000;

/// What the model records.
#[derive(Clone, Debug, PartialEq)]
pub enum BulkheadRecord {
    /// B's health changed (scripted or by an action).
    Health(String),
    /// A lane rejected its first request since B's health last changed.
    FirstRejection {
        /// The lane's name.
        lane: String,
        /// The dependency the request called.
        dep: Dep,
        /// The lane's threads in words at that moment.
        threads: String,
    },
}

impl Narrate for BulkheadRecord {
    fn narrate(&self) -> String {
        match self {
            BulkheadRecord::Health(what) => format!("{what}."),
            BulkheadRecord::FirstRejection { lane, dep, threads } => format!(
                "{lane}: no thread free for a request to {} ({threads}): rejected.",
                dep.name()
            ),
        }
    }

    fn is_milestone(&self) -> bool {
        true
    }
}

/// The model's events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BulkheadEvent {
    /// The next request arrives.
    Arrive,
    /// Something a lane asked for is due.
    Lane {
        /// Which lane.
        lane: u8,
        /// What.
        due: Due,
    },
    /// The scripted outage starts.
    OutageStart,
    /// The scripted outage ends.
    OutageEnd,
}

/// The bulkheads model.
#[derive(Clone, Debug)]
pub struct BulkheadModel {
    setup: Setup,
    lanes: Vec<Lane>,
    rng: SimRng,
    /// Requests so far.
    sent: u64,
    health: Health,
    /// B's health since when, µs, and how long it has been unhealthy before that.
    changed_us: u64,
    unhealthy_us: u64,
    arrivals: Recent,
    now: SimTime,
    note: String,
}

impl BulkheadModel {
    fn schedule(&self, lane: usize, due: Vec<(u64, Due)>, ctx: &mut Ctx<'_, Self>) {
        for (at, d) in due {
            ctx.schedule(
                SimTime::from_us(at),
                BulkheadEvent::Lane {
                    lane: lane as u8,
                    due: d,
                },
            );
        }
    }

    fn account(&mut self, now: u64) {
        let outage = self.health != Health::Up;
        for l in &mut self.lanes {
            l.account(now, outage);
        }
    }

    /// Time B has been unhealthy by `now`, µs.
    fn unhealthy_by(&self, now: u64) -> u64 {
        self.unhealthy_us
            + if self.health == Health::Up {
                0
            } else {
                now.saturating_sub(self.changed_us)
            }
    }

    fn set_health(&mut self, health: Health, words: String, ctx: &mut Ctx<'_, Self>) {
        let now = ctx.now.as_us();
        self.account(now);
        self.unhealthy_us = self.unhealthy_by(now);
        self.changed_us = now;
        let was_hung = self.health == Health::Hung;
        self.health = health;
        if was_hung && health != Health::Hung {
            for i in 0..self.lanes.len() {
                let mut due = Vec::new();
                self.lanes[i].recover(now, &mut due);
                self.schedule(i, due, ctx);
            }
        }
        for l in &mut self.lanes {
            l.rejected_since_change = false;
        }
        self.note = format!("{:.1} s: {words}.", now as f64 / 1e6);
        ctx.record(BulkheadRecord::Health(words));
    }

    fn start_outage(&mut self, ctx: &mut Ctx<'_, Self>) {
        match self.setup.outage {
            Outage::Slow => {
                let f = self.setup.slow_factor;
                self.set_health(
                    Health::Slow(f),
                    format!("B slowed down: its calls take {} times longer", num(f)),
                    ctx,
                );
            }
            Outage::Hang => self.set_health(
                Health::Hung,
                "B hangs: its calls get no answer until it recovers".into(),
                ctx,
            ),
            Outage::None => {}
        }
    }

    fn arrive(&mut self, ctx: &mut Ctx<'_, Self>) {
        let now = ctx.now.as_us();
        let s = &self.setup;
        let total = s.rate_a + s.rate_b;
        let dep = if self.rng.chance(s.rate_b / total) {
            Dep::B
        } else {
            Dep::A
        };
        let dist: ServiceDist = if dep == Dep::B { s.dist_b } else { s.dist_a };
        let mut lat_us = [0; 3];
        for l in &mut lat_us {
            *l = dist.sample(&mut self.rng).us;
        }
        let req = Req {
            dep,
            arrived_us: now,
            lat_us,
        };
        let id = self.sent;
        self.sent += 1;
        self.arrivals.push(now, MarkKind::Ok, SPAN_US);
        for i in 0..self.lanes.len() {
            let mut due = Vec::new();
            let before = self.lanes[i].rejected_since_change;
            self.lanes[i].arrive(id, req, self.health, SPAN_US, &mut due);
            self.after(i, before, dep, ctx);
            self.schedule(i, due, ctx);
        }
        if let Some(gap) = crate::workload::poisson_gap_us(&mut self.rng, total) {
            if now + gap < self.setup.duration.as_us() {
                ctx.schedule(SimTime::from_us(now + gap), BulkheadEvent::Arrive);
            }
        }
    }

    /// Records a lane's first rejection since B's health changed.
    fn after(&mut self, i: usize, before: bool, dep: Dep, ctx: &mut Ctx<'_, Self>) {
        let l = &self.lanes[i];
        if !before && l.rejected_since_change {
            let threads = threads_text(l);
            self.note = format!(
                "{:.1} s: {}: no thread for a request to {}.",
                ctx.now.as_us() as f64 / 1e6,
                l.label,
                dep.name()
            );
            ctx.record(BulkheadRecord::FirstRejection {
                lane: l.label.clone(),
                dep,
                threads,
            });
        }
    }

    fn title(&self) -> String {
        let s = &self.setup;
        format!(
            "{} threads · A {}/s, median {} ms · B {}/s, median {} ms · timeout {} ms{}{}",
            s.workers,
            num(s.rate_a),
            num(s.dist_a.median_us / 1e3),
            num(s.rate_b),
            num(s.dist_b.median_us / 1e3),
            num(s.timeout_us as f64 / 1e3),
            if s.retries > 0 {
                format!(
                    ", {} retr{}",
                    s.retries,
                    if s.retries == 1 { "y" } else { "ies" }
                )
            } else {
                String::new()
            },
            if s.fallback { " · fallback for B" } else { "" }
        )
    }
}

/// The theory curve `timeout-false-percent` for a run of these parameters: the share of B's
/// requests the last lane's timeout fails while B is healthy (none with an outage or no timeout).
pub fn false_timeout_percent(params: &ParamSet) -> Option<f64> {
    let s = Setup::from_params(params).ok()?;
    if s.outage != Outage::None {
        return None;
    }
    s.false_timeouts(*s.lanes.last()?)
}

/// The theory curve `bulkhead-erlang-b` for a run of these parameters: the share of B's
/// requests the last lane's bulkhead rejects while B is healthy (Erlang B; none with an outage,
/// a shared pool, a wait for a thread or retries).
pub fn bulkhead_loss_percent(params: &ParamSet) -> Option<f64> {
    let s = Setup::from_params(params).ok()?;
    if s.outage != Outage::None {
        return None;
    }
    s.bulkhead_loss(*s.lanes.last()?)
}

/// A number without a needless fraction (`50`, `0.5`).
fn num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}

/// A lane's threads in words: `14/20 busy · A 3 · B 11` or `A 3/15 · B 5/5`.
fn threads_text(l: &Lane) -> String {
    let text = if l.kind.bulkhead() {
        format!(
            "A {}/{} · B {}/{}",
            l.busy[0], l.caps[0], l.busy[1], l.caps[1]
        )
    } else {
        format!(
            "{}/{} busy · A {} · B {}",
            l.busy[0] + l.busy[1],
            l.caps[0],
            l.busy[0],
            l.busy[1]
        )
    };
    match l.waiting() {
        0 => text,
        n => format!("{text} · {n} waiting"),
    }
}

fn lane_label(s: &Setup, kind: LaneKind) -> String {
    // The timeout's value is in the frame's title; a label must fit beside its gauge.
    match kind {
        LaneKind::Shared => "Shared pool".into(),
        LaneKind::SharedTimeout => "Shared + timeout".into(),
        LaneKind::Bulkhead => format!("Bulkheads {}+{}", s.pool_a(), s.pool_b),
        LaneKind::BulkheadTimeout => format!("Bulkheads {}+{} + timeout", s.pool_a(), s.pool_b),
    }
}

impl Model for BulkheadModel {
    const ID: &'static str = "bulkheads";
    type Event = BulkheadEvent;
    type Record = BulkheadRecord;
    type Frame = LanesFrame;

    fn specs() -> Vec<ParamSpec> {
        spec::specs()
    }

    fn actions() -> Vec<ActionSpec> {
        vec![
            ActionSpec::new("slow", "Slow B down")
                .arg("factor", Some("50"))
                .help("B's calls started from now take this many times longer."),
            ActionSpec::new("hang", "Make B hang")
                .help("B's calls started from now get no answer until it recovers."),
            ActionSpec::new("recover", "Recover B")
                .help("B is healthy again; calls it hung on answer after their usual latency."),
        ]
    }

    fn build(params: &ParamSet, ctx: &mut Ctx<'_, Self>) -> Result<Self, ParamError> {
        let setup = Setup::from_params(params)?;
        let lanes = setup
            .lanes
            .iter()
            .map(|&kind| {
                Lane::new(
                    kind,
                    lane_label(&setup, kind),
                    setup.workers,
                    setup.pool_b,
                    setup.timeout_us,
                    setup.retries,
                    setup.fallback,
                    setup.wait_us,
                )
            })
            .collect();
        if setup.has_outage() {
            ctx.schedule(
                SimTime::from_us(setup.outage_at_us),
                BulkheadEvent::OutageStart,
            );
            if setup.outage_end_us() <= setup.duration.as_us() {
                ctx.schedule(
                    SimTime::from_us(setup.outage_end_us()),
                    BulkheadEvent::OutageEnd,
                );
            }
        }
        // The model's own stream: the requests and their latencies are the same whatever else
        // the run draws.
        let mut rng = SimRng::stream(ctx.seed, "bulkheads/requests");
        if let Some(gap) = crate::workload::poisson_gap_us(&mut rng, setup.rate_a + setup.rate_b) {
            if gap < setup.duration.as_us() {
                ctx.schedule(SimTime::from_us(gap), BulkheadEvent::Arrive);
            }
        }
        Ok(BulkheadModel {
            setup,
            lanes,
            rng,
            sent: 0,
            health: Health::Up,
            changed_us: 0,
            unhealthy_us: 0,
            arrivals: Recent::default(),
            now: SimTime::ZERO,
            note: "Requests start at 0 s: press play.".into(),
        })
    }

    fn apply(&mut self, input: &Input, ctx: &mut Ctx<'_, Self>) -> Result<(), InputError> {
        self.now = self.now.max(ctx.now);
        let arg = input.arg.as_deref().unwrap_or("").trim();
        match input.action.as_str() {
            "slow" => {
                let f = if arg.is_empty() {
                    self.setup.slow_factor
                } else {
                    arg.parse::<f64>()
                        .ok()
                        .filter(|f| f.is_finite() && (1.0..=1_000.0).contains(f))
                        .ok_or_else(|| {
                            InputError("slow needs a factor from 1 to 1000, e.g. slow:50".into())
                        })?
                };
                let words = if self.health == Health::Slow(f) {
                    format!("B is already {} times slower: nothing changes", num(f))
                } else {
                    format!("B slowed down: its calls take {} times longer", num(f))
                };
                self.set_health(Health::Slow(f), words, ctx);
            }
            "hang" => {
                let words = if self.health == Health::Hung {
                    "B already hangs: nothing changes".into()
                } else {
                    "B hangs: its calls get no answer until it recovers".into()
                };
                self.set_health(Health::Hung, words, ctx);
            }
            "recover" => {
                let words = if self.health == Health::Up {
                    "B is already healthy: nothing to recover".into()
                } else {
                    "B recovered".into()
                };
                self.set_health(Health::Up, words, ctx);
            }
            other => {
                return Err(InputError(format!(
                    "unknown action {other:?}; this lesson knows slow, hang and recover"
                )))
            }
        }
        Ok(())
    }

    fn handle(&mut self, event: BulkheadEvent, ctx: &mut Ctx<'_, Self>) {
        self.now = self.now.max(ctx.now);
        let now = ctx.now.as_us();
        self.account(now);
        match event {
            BulkheadEvent::Arrive => self.arrive(ctx),
            BulkheadEvent::OutageStart => self.start_outage(ctx),
            BulkheadEvent::OutageEnd => {
                if self.health != Health::Up {
                    self.set_health(Health::Up, "B recovered".into(), ctx);
                }
            }
            BulkheadEvent::Lane { lane, due } => {
                let i = usize::from(lane);
                let health = self.health;
                let Some(l) = self.lanes.get_mut(i) else {
                    return;
                };
                let before = l.rejected_since_change;
                let mut out = Vec::new();
                let rejected = match due {
                    Due::Done(call) => {
                        l.done(call, now, health, SPAN_US, &mut out);
                        None
                    }
                    Due::Timeout(call) => {
                        l.timeout(call, now, health, SPAN_US, &mut out);
                        None
                    }
                    Due::WaitOver(req) => l.wait_over(req, now, SPAN_US),
                };
                if let Some(dep) = rejected {
                    self.after(i, before, dep, ctx);
                }
                self.schedule(i, out, ctx);
            }
        }
    }

    fn frame(&self, now: SimTime) -> LanesFrame {
        let t = now.as_us();
        let since = t.saturating_sub(SPAN_US);
        let lanes = self
            .lanes
            .iter()
            .map(|l| {
                let total = l.busy[0] + l.busy[1];
                let workers = self.setup.workers;
                let mut extra = Vec::new();
                if l.timed_out > 0 {
                    extra.push(format!("{} timed out", l.timed_out));
                }
                let rejected = l.rejected[0] + l.rejected[1];
                if rejected > 0 {
                    extra.push(format!("{rejected} rejected"));
                }
                if l.fallbacks > 0 {
                    extra.push(format!("{} fallbacks", l.fallbacks));
                }
                LaneView {
                    id: l.kind.id().to_string(),
                    label: l.label.clone(),
                    fill: f64::from(total) / f64::from(workers.max(1)),
                    gauge: threads_text(l),
                    marks: l.marks.packed(since, t),
                    ticks_us: 0,
                    window_us: 0,
                    admitted: l.ok[0] + l.ok[1],
                    rejected: l.failed(),
                    extra: extra.join(" · "),
                    bands: Vec::new(),
                }
            })
            .collect();
        LanesFrame {
            now,
            span_us: SPAN_US,
            title: self.title(),
            arrivals: self.arrivals.times(since, t),
            offered: None,
            counts: Some(("requests answered".into(), "requests failed".into())),
            lanes,
            note: self.note.clone(),
        }
    }

    fn metrics(&self) -> Metrics {
        self.collect_metrics()
    }

    fn queries() -> Queries<Self> {
        Queries::new()
    }

    fn validate(&self) -> Result<(), String> {
        for l in &self.lanes {
            l.validate()?;
            let requests = l.requests[0] + l.requests[1];
            if requests != self.sent {
                return Err(format!(
                    "{}: {requests} requests, but {} were sent: every lane sees the same requests",
                    l.label, self.sent
                ));
            }
        }
        Ok(())
    }
}
