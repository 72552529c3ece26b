//! Load shedding and priorities (issue 14, lesson 5): one server of known capacity (workers ÷
//! mean work per request) whose clients give up after a deadline, fed more requests than it can
//! serve, once per lane under each admission policy: no shedding (an unbounded FIFO queue), a
//! bounded queue (drop tail), a load limit (refuse while the requests held reach `threshold` %
//! of the workers), the same check on a load figure that is never updated, Facebook's controlled
//! delay with adaptive LIFO, and priorities (sheddable requests refused first, a share of the
//! limit kept for critical ones).
//!
//! **How it runs.** Each lane is its own event loop ([`lane::Lane`]) over its own copy of the
//! same [`workload::Workload`], so every lane sees the same requests with the same work; only the
//! policy differs. The request simulator (`crate::requests`) was not used: its servers have no
//! hook for a queue discipline that drops a waiting request or serves the newest first, and a
//! refusal there costs nothing. The model advances every lane on a fixed tick and at the spike's
//! start and end, which change the offered rate in every lane at once.
//!
//! **Goodput** is answers within the client's deadline per second; an answer after it counts as
//! served but late (wasted work). Shedding a request costs `reject_cost_percent` of a mean
//! request's work, done by a worker ahead of queued requests.
//!
//! **Invariants** ([`SheddingModel::validate`]): in every lane admitted + refused = offered,
//! served + dropped + held = admitted, no more busy workers than workers, no idle worker while
//! work waits, a bounded queue within its limit, no shedding in the lanes that never shed, and
//! every lane offered the same requests.
//!
//! **What it ignores.** Retries (a shed or late request is not sent again), many servers and
//! their balancer, the network, a client cancelling its request (a server here never learns the
//! client has gone), work that varies with load (garbage collection, contention), and a
//! measured utilisation (the load here is the count of requests held, a concurrency limit).

mod lane;
mod metrics;
mod spec;
mod workload;

use crate::model::{ActionSpec, Ctx, InputError, Metrics, Model};
use crate::models::lanes::{LaneView, LanesFrame};
use crate::params::{ParamError, ParamSet, ParamSpec};
use crate::query::Queries;
use crate::scenario::Input;
use crate::time::SimTime;
use crate::trace::Narrate;
pub use lane::Policy;
use lane::{Lane, SPAN_US};
use spec::{num, Setup};
use workload::Workload;

/// How often the model advances its lanes, µs.
const TICK_US: u64 = 50_000;

/// What the model records.
#[derive(Clone, Debug, PartialEq)]
pub enum SheddingRecord {
    /// The offered load changed (a spike started or ended).
    Load {
        /// The new load, × capacity.
        load: f64,
        /// Requests per second.
        rate_per_s: f64,
        /// Why.
        why: String,
    },
}

impl Narrate for SheddingRecord {
    fn narrate(&self) -> String {
        match self {
            SheddingRecord::Load {
                load,
                rate_per_s,
                why,
            } => format!(
                "{why}: offered load {}× capacity ({} requests/s).",
                num(*load),
                num(*rate_per_s)
            ),
        }
    }

    fn is_milestone(&self) -> bool {
        true
    }
}

/// The model's events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SheddingEvent {
    /// Advance every lane to now.
    Tick,
    /// The scripted spike starts.
    SpikeStart,
    /// The spike numbered `gen` ends (a later spike supersedes it).
    SpikeEnd {
        /// Which spike.
        gen: u32,
    },
}

/// The load-shedding model.
#[derive(Clone, Debug)]
pub struct SheddingModel {
    setup: Setup,
    lanes: Vec<Lane>,
    now: SimTime,
    /// The offered load now, × capacity.
    load_now: f64,
    /// Spikes started so far.
    spikes: u32,
    note: String,
}

impl SheddingModel {
    /// The lane the headline metrics describe: the first that sheds, or the first.
    fn headline(&self) -> Option<&Lane> {
        self.lanes
            .iter()
            .find(|l| l.policy != Policy::Fifo)
            .or(self.lanes.first())
    }

    fn advance(&mut self, t: SimTime) {
        self.now = self.now.max(t);
        for lane in &mut self.lanes {
            lane.advance_to(t.as_us());
        }
    }

    fn set_load(&mut self, load: f64, why: String, ctx: &mut Ctx<'_, Self>) {
        self.load_now = load;
        let rate = load * self.setup.capacity_per_s();
        let now = ctx.now.as_us();
        for lane in &mut self.lanes {
            lane.workload_mut().set_rate(now, rate);
        }
        self.note = format!("{}: {why}.", secs(ctx.now));
        ctx.record(SheddingRecord::Load {
            load,
            rate_per_s: rate,
            why,
        });
    }

    fn spike(&mut self, load: f64, ctx: &mut Ctx<'_, Self>) {
        self.spikes += 1;
        let gen = self.spikes;
        let end = ctx.now.plus_us(self.setup.spike_for_us);
        self.set_load(
            load,
            format!(
                "A spike starts, for {} s",
                num(self.setup.spike_for_us as f64 / 1e6)
            ),
            ctx,
        );
        ctx.schedule(end, SheddingEvent::SpikeEnd { gen });
    }

    fn gauge(&self, l: &Lane) -> (f64, String) {
        let c = &self.setup.lane;
        let ms = |us: u64| format!("{} ms", us / 1_000);
        match l.policy {
            Policy::Fifo => (
                (l.oldest_wait_us() as f64 / c.deadline_us.max(1) as f64).min(1.0),
                format!(
                    "{} queued · oldest waited {}",
                    l.queued(),
                    ms(l.oldest_wait_us())
                ),
            ),
            Policy::Bounded => (
                l.queued() as f64 / f64::from(c.queue_limit.max(1)),
                format!("{} of {} queued", l.queued(), c.queue_limit),
            ),
            Policy::LoadLimit => (
                (l.load_pct() / f64::from(c.threshold_pct)).min(1.0),
                format!(
                    "load {:.0} % · refuses at {} %",
                    l.load_pct(),
                    c.threshold_pct
                ),
            ),
            Policy::DeadCheck => (
                (l.load_pct() / f64::from(c.threshold_pct)).min(1.0),
                format!(
                    "reads load 0 % · real {:.0} % · {} queued",
                    l.load_pct(),
                    l.queued()
                ),
            ),
            Policy::Codel => {
                let mode = if l.overloaded() {
                    format!("standing queue: {} timeout, LIFO", ms(c.codel_target_us))
                } else {
                    format!("{} timeout, FIFO", ms(c.codel_interval_us))
                };
                (
                    (l.oldest_wait_us() as f64 / c.codel_interval_us.max(1) as f64).min(1.0),
                    format!("{} queued · {mode}", l.queued()),
                )
            }
            Policy::Priority => (
                (l.load_pct() / f64::from(c.threshold_pct)).min(1.0),
                format!(
                    "load {:.0} % · sheddable refused at {} %, critical at {} %",
                    l.load_pct(),
                    c.threshold_pct,
                    num(l.limit_pct(true))
                ),
            ),
        }
    }
}

/// A time in seconds (`12.5 s`).
fn secs(t: SimTime) -> String {
    format!("{} s", num(t.as_us() as f64 / 1e6))
}

fn lane_label(s: &Setup, p: Policy) -> String {
    let c = &s.lane;
    match p {
        Policy::Fifo => "No shedding (FIFO)".into(),
        Policy::Bounded => format!("Queue of {}, drop tail", c.queue_limit),
        Policy::LoadLimit => format!("Refuse at load ≥ {} %", c.threshold_pct),
        Policy::DeadCheck => "Dead load check".into(),
        Policy::Codel => format!(
            "CoDel {}/{} ms + LIFO",
            c.codel_target_us / 1_000,
            c.codel_interval_us / 1_000
        ),
        Policy::Priority => "Shed sheddable first".into(),
    }
}

impl Model for SheddingModel {
    const ID: &'static str = "shedding";
    type Event = SheddingEvent;
    type Record = SheddingRecord;
    type Frame = LanesFrame;

    fn specs() -> Vec<ParamSpec> {
        spec::specs()
    }

    fn actions() -> Vec<ActionSpec> {
        vec![
            ActionSpec::new("spike", "Spike now")
                .arg("load, × capacity", Some("3"))
                .help("The offered load jumps to this multiple of capacity now, for the spike's length."),
            ActionSpec::new("set-load", "Set the load")
                .arg("load, × capacity", Some("1"))
                .help("The offered load from now on, as a multiple of capacity."),
        ]
    }

    fn build(params: &ParamSet, ctx: &mut Ctx<'_, Self>) -> Result<Self, ParamError> {
        let setup = Setup::from_params(params)?;
        let rate = setup.load * setup.capacity_per_s();
        let lanes = setup
            .lanes
            .iter()
            .map(|&p| {
                let w = Workload::new(
                    ctx.seed,
                    rate,
                    setup.cost_us,
                    setup.critical_share,
                    setup.duration_us,
                );
                Lane::new(p, lane_label(&setup, p), setup.lane, w)
            })
            .collect();
        if setup.has_spike() {
            ctx.schedule(
                SimTime::from_us(setup.spike_at_us),
                SheddingEvent::SpikeStart,
            );
        }
        ctx.schedule(ctx.now.plus_us(TICK_US), SheddingEvent::Tick);
        Ok(SheddingModel {
            load_now: setup.load,
            setup,
            lanes,
            now: SimTime::ZERO,
            spikes: 0,
            note: "Requests start at 0 s: press play.".into(),
        })
    }

    fn apply(&mut self, input: &Input, ctx: &mut Ctx<'_, Self>) -> Result<(), InputError> {
        self.advance(ctx.now);
        let arg = input.arg.as_deref().unwrap_or("").trim();
        let parse = |default: f64| -> Result<f64, InputError> {
            if arg.is_empty() {
                return Ok(default);
            }
            arg.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && (0.0..=spec::MAX_LOAD).contains(v))
                .ok_or_else(|| {
                    InputError(format!(
                        "{} needs a load from 0 to {} (× capacity), e.g. {}:3",
                        input.action,
                        spec::MAX_LOAD,
                        input.action
                    ))
                })
        };
        match input.action.as_str() {
            "spike" => {
                let default = if self.setup.spike_load > 0.0 {
                    self.setup.spike_load
                } else {
                    3.0
                };
                let load = parse(default)?;
                self.spike(load, ctx);
            }
            "set-load" => {
                let load = parse(1.0)?;
                self.spikes += 1; // a pending spike's end no longer applies
                self.set_load(load, "The load is set".into(), ctx);
            }
            other => {
                return Err(InputError(format!(
                    "unknown action {other:?}; this lesson knows spike and set-load"
                )))
            }
        }
        Ok(())
    }

    fn handle(&mut self, event: SheddingEvent, ctx: &mut Ctx<'_, Self>) {
        self.advance(ctx.now);
        match event {
            SheddingEvent::Tick => {
                if ctx.now.as_us() < self.setup.duration_us + self.setup.lane.deadline_us {
                    ctx.schedule(ctx.now.plus_us(TICK_US), SheddingEvent::Tick);
                }
            }
            SheddingEvent::SpikeStart => self.spike(self.setup.spike_load, ctx),
            SheddingEvent::SpikeEnd { gen } => {
                if gen == self.spikes {
                    let base = self.setup.load;
                    self.set_load(base, "The spike ends".into(), ctx);
                }
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
                let (fill, gauge) = self.gauge(l);
                LaneView {
                    id: l.policy.id().to_string(),
                    label: l.label.clone(),
                    fill,
                    gauge,
                    marks: l.marks.packed(since, t),
                    ticks_us: 0,
                    window_us: 0,
                    admitted: l.counts.good(),
                    rejected: l.counts.shed(),
                    extra: format!("{} late", l.counts.late),
                    bands: Vec::new(),
                }
            })
            .collect();
        LanesFrame {
            now,
            span_us: SPAN_US,
            title: self.setup.title(self.load_now),
            arrivals: self
                .lanes
                .first()
                .map_or_else(Vec::new, |l| l.arrivals.times(since, t)),
            offered: None,
            counts: Some(("answered within the deadline".into(), "shed".into())),
            lanes,
            note: self.note.clone(),
        }
    }

    fn metrics(&self) -> Metrics {
        self.all_metrics()
    }

    fn queries() -> Queries<Self> {
        Queries::new()
    }

    fn validate(&self) -> Result<(), String> {
        let first = self.lanes.first().map(|l| l.counts.offered);
        for l in &self.lanes {
            l.validate()?;
            if Some(l.counts.offered) != first {
                return Err(format!(
                    "{}: {} offered, but the first lane saw {first:?}: every lane sees the same requests",
                    l.label, l.counts.offered
                ));
            }
        }
        Ok(())
    }
}
