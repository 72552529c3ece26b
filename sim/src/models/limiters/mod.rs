//! Rate limiters side by side: one stream of requests feeds every chosen algorithm
//! ([`crate::resilience::limiter`]) with the same budget, `limit` per `window_ms` and a burst
//! allowance, and each lane counts what it admitted and what it rejected with a 429 and a
//! `Retry-After`.
//!
//! **The stream.** Steady (evenly spaced), Poisson, bursts (a peak rate for `burst_on_ms` of
//! every `burst_every_ms`, the base rate between), or the boundary attack on a fixed window: every
//! second window boundary, `limit` requests in the 50 ms before it and `limit` in the 50 ms after.
//! Each request comes from a user: user 0 sends `heavy_share` % of them, the rest are spread
//! evenly over the other users.
//!
//! **Keys.** With `key = global` every request draws on one budget; with `key = user` each user
//! has a limiter of their own (what an API does per API key), so a heavy user cannot starve the
//! rest.
//!
//! **Gateways.** Requests are spread at random over `gateways` instances, and `coordination`
//! says how they share the budget:
//! - `local`: each keeps its own limiter with the whole budget, so together they admit about
//!   `gateways` times it;
//! - `share`: each enforces `limit / gateways` exactly (as `limit / g` per `gateways / g` windows,
//!   `g` their greatest common divisor) with `burst / gateways` (at least 1): the total is right,
//!   but a gateway that gets more than its share rejects while others have room;
//! - `shared-atomic`: one state in a shared store, read and updated in one step (Redis `INCR`, or
//!   a Lua script for a bucket): exactly the budget;
//! - `shared-racy`: the same store read, decided on, and written back `store_rtt_ms` later (a
//!   `GET` then a `SET`). Requests in flight together read the same state and admit on it, and
//!   the last write wins, losing the others' updates (`lost_updates`).
//!
//! **Metrics.** The first limiter shown is the run's headline (`admitted`, `rejected`,
//! `max_window`: the most admitted in any window of `window_ms`, the figure a limit promises to
//! bound), and each limiter has its own (`admitted_token_bucket`, …).
//!
//! **What it ignores.** Request cost (one token each), the limiter's own latency (the racy store's
//! round trip delays no request), clients reacting to 429s (no retries here: the retries lesson
//! adds them), clock skew between gateways, and a store that fails.

mod spec;

use crate::model::{ActionSpec, Ctx, InputError, Metric, MetricGroup, MetricValue, Metrics, Model};
use crate::models::lanes::{LaneView, LanesFrame, MarkKind, Recent};
use crate::params::{ParamError, ParamSet, ParamSpec};
use crate::query::Queries;
use crate::requests::arrivals::ArrivalStream;
use crate::resilience::limiter::{Algorithm, Budget, Decision, Limiter, WindowPeak};
use crate::rng::SimRng;
use crate::scenario::Input;
use crate::time::SimTime;
use crate::trace::Narrate;
use spec::{lane_metric_ids, Coordination, Pattern, Setup};
use std::collections::{BTreeMap, VecDeque};

/// The longest history a strip shows, µs.
const MAX_SPAN_US: u64 = 10_000_000;

/// What the model records.
#[derive(Clone, Debug, PartialEq)]
pub enum LimiterRecord {
    /// A request and each lane's decision.
    Request {
        /// Its number, from 1.
        id: u64,
        /// Its user.
        user: u32,
        /// The gateway it reached.
        gateway: u32,
        /// Per lane: the algorithm and its decision.
        decisions: Vec<(Algorithm, Decision)>,
    },
    /// A racy write-back overwrote another gateway's update.
    LostUpdate {
        /// The lane's algorithm.
        algorithm: Algorithm,
        /// The key (user) whose state was overwritten.
        user: u32,
    },
    /// The stream's rate was changed.
    Rate {
        /// The new rate, per second.
        rate: f64,
    },
}

impl Narrate for LimiterRecord {
    fn narrate(&self) -> String {
        match self {
            LimiterRecord::Request {
                id,
                user,
                gateway,
                decisions,
            } => {
                let ok: Vec<&str> = decisions
                    .iter()
                    .filter(|(_, d)| d.admitted())
                    .map(|(a, _)| a.label())
                    .collect();
                let no: Vec<String> = decisions
                    .iter()
                    .filter_map(|(a, d)| {
                        d.retry_after_header()
                            .map(|s| format!("{} (429, Retry-After: {s})", a.label()))
                    })
                    .collect();
                let mut s = format!("Request {id} from user {user} via gateway {}", gateway + 1);
                if !ok.is_empty() {
                    s.push_str(&format!(": admitted by {}", ok.join(", ")));
                }
                if !no.is_empty() {
                    s.push_str(&format!(
                        "{} rejected by {}",
                        if ok.is_empty() { ":" } else { ";" },
                        no.join(", ")
                    ));
                }
                s.push('.');
                s
            }
            LimiterRecord::LostUpdate { algorithm, user } => format!(
                "Lost update: a gateway wrote back the {} state of user {user} it read earlier, \
                 erasing another gateway's admission.",
                algorithm.label()
            ),
            LimiterRecord::Rate { rate } => format!("The offered rate is now {rate}/s."),
        }
    }

    fn is_milestone(&self) -> bool {
        matches!(self, LimiterRecord::Rate { .. })
    }
}

/// The model's events.
#[derive(Clone, Debug)]
pub enum LimiterEvent {
    /// The next request of the stream.
    Arrive,
    /// A racy gateway writes back the state it read and updated.
    WriteBack {
        /// Which lane.
        lane: u8,
        /// Whose key.
        user: u32,
        /// The store's version it read.
        read_version: u64,
        /// The state it writes.
        state: Box<Limiter>,
    },
}

/// A key's state in the shared store, with a version bumped on every write.
#[derive(Clone, Debug)]
struct Stored {
    limiter: Limiter,
    version: u64,
}

/// One limiter's lane: its states and its tallies.
#[derive(Clone, Debug)]
struct Lane {
    algorithm: Algorithm,
    /// Local states by (gateway, key), created on first use.
    local: BTreeMap<(u32, u32), Limiter>,
    /// The shared store by key (shared coordination).
    store: BTreeMap<u32, Stored>,
    admitted: u64,
    rejected: u64,
    /// Rejections of users other than user 0, and their requests.
    light_rejected: u64,
    light_requests: u64,
    retry_after_sum_us: u64,
    max_delay_us: u64,
    lost_updates: u64,
    /// When admitted requests reach the service (arrival + queue delay), for the peak.
    peak: WindowPeak,
    /// Pending service times of delayed requests (the queue), in order of arrival.
    pending: VecDeque<u64>,
    /// Recent marks for the frame.
    marks: Recent,
}

/// The rate-limiters model.
#[derive(Clone, Debug)]
pub struct LimiterModel {
    setup: Setup,
    stream: ArrivalStream,
    /// For the boundary attack: which cycle and which request of it comes next.
    attack_next: u64,
    picks: SimRng,
    lanes: Vec<Lane>,
    offered: u64,
    arrivals: Recent,
    last: Option<(u64, SimTime)>,
    now: SimTime,
    /// When the current arrival stream started (a rate change starts a new one).
    stream_offset: SimTime,
}

impl LimiterModel {
    fn span_us(&self) -> u64 {
        (self.setup.budget.window_us * 3).clamp(2_000_000, MAX_SPAN_US)
    }

    fn schedule_next(&mut self, ctx: &mut Ctx<'_, Self>) {
        let next = match self.setup.pattern {
            Pattern::Boundary => {
                let t = self.setup.attack_time(self.attack_next);
                self.attack_next += 1;
                Some(SimTime::from_us(t))
            }
            _ => self
                .stream
                .next_arrival()
                .map(|t| self.stream_offset.plus_us(t.as_us())),
        };
        if let Some(t) = next {
            ctx.schedule(t.max(ctx.now), LimiterEvent::Arrive);
        }
    }

    fn budget_for(&self) -> Budget {
        let b = self.setup.budget;
        match self.setup.coordination {
            Coordination::Share => {
                // limit / n per window, exactly: (limit / g) per (n / g) windows, g = gcd.
                let n = self.setup.gateways.max(1);
                let g = gcd(b.limit, n);
                Budget {
                    limit: b.limit / g,
                    window_us: b.window_us * u64::from(n / g),
                    burst: (b.burst / n).max(1),
                }
            }
            _ => b,
        }
    }

    fn arrive(&mut self, ctx: &mut Ctx<'_, Self>) {
        let now = ctx.now.as_us();
        self.offered += 1;
        let id = self.offered;
        let users = self.setup.users;
        let user = if users <= 1 || self.picks.chance(self.setup.heavy_share) {
            0
        } else {
            1 + self.picks.below(u64::from(users - 1)) as u32
        };
        let gateway = if self.setup.gateways <= 1 {
            0
        } else {
            self.picks.below(u64::from(self.setup.gateways)) as u32
        };
        let key = if self.setup.per_user { user } else { 0 };
        let budget = self.budget_for();
        let coordination = self.setup.coordination;
        let rtt = self.setup.store_rtt_us;
        let span = self.span_us();
        let mut decisions = Vec::with_capacity(self.lanes.len());
        for (i, lane) in self.lanes.iter_mut().enumerate() {
            let alg = lane.algorithm;
            let decision = match coordination {
                Coordination::Local | Coordination::Share => lane
                    .local
                    .entry((gateway, key))
                    .or_insert_with(|| Limiter::new(alg, budget))
                    .decide(now),
                Coordination::SharedAtomic => {
                    let s = lane.store.entry(key).or_insert_with(|| Stored {
                        limiter: Limiter::new(alg, budget),
                        version: 0,
                    });
                    s.version += 1;
                    s.limiter.decide(now)
                }
                Coordination::SharedRacy => {
                    let s = lane.store.entry(key).or_insert_with(|| Stored {
                        limiter: Limiter::new(alg, budget),
                        version: 0,
                    });
                    let mut copy = s.limiter.clone();
                    let d = copy.decide(now);
                    if rtt == 0 {
                        s.limiter = copy;
                        s.version += 1;
                    } else {
                        ctx.schedule(
                            ctx.now.plus_us(rtt),
                            LimiterEvent::WriteBack {
                                lane: i as u8,
                                user: key,
                                read_version: s.version,
                                state: Box::new(copy),
                            },
                        );
                    }
                    d
                }
            };
            lane.tally(now, user, decision, span);
            decisions.push((alg, decision));
        }
        self.arrivals.push(now, MarkKind::Ok, span);
        self.last = Some((id, ctx.now));
        ctx.record(LimiterRecord::Request {
            id,
            user,
            gateway,
            decisions,
        });
    }

    fn headline(&self) -> Option<&Lane> {
        self.lanes.first()
    }

    fn elapsed_windows(&self) -> f64 {
        self.now.as_us() as f64 / self.setup.budget.window_us as f64
    }
}

fn gcd(a: u32, b: u32) -> u32 {
    if b == 0 {
        a.max(1)
    } else {
        gcd(b, a % b)
    }
}

impl Lane {
    fn new(algorithm: Algorithm, window_us: u64) -> Lane {
        Lane {
            algorithm,
            local: BTreeMap::new(),
            store: BTreeMap::new(),
            admitted: 0,
            rejected: 0,
            light_rejected: 0,
            light_requests: 0,
            retry_after_sum_us: 0,
            max_delay_us: 0,
            lost_updates: 0,
            peak: WindowPeak::new(window_us),
            pending: VecDeque::new(),
            marks: Recent::default(),
        }
    }

    fn tally(&mut self, now: u64, user: u32, d: Decision, span: u64) {
        // Queued requests due by now reach the service before this one.
        self.flush(now);
        if user != 0 {
            self.light_requests += 1;
        }
        let mark = match d {
            Decision::Admit { delay_us } => {
                self.admitted += 1;
                self.max_delay_us = self.max_delay_us.max(delay_us);
                if delay_us == 0 {
                    self.peak.push(now);
                    MarkKind::Ok
                } else {
                    // Service times of a leaky queue are nondecreasing: keep them until due.
                    self.pending.push_back(now + delay_us);
                    MarkKind::Delayed
                }
            }
            Decision::Reject { retry_after_us } => {
                self.rejected += 1;
                self.retry_after_sum_us += retry_after_us;
                if user != 0 {
                    self.light_rejected += 1;
                }
                MarkKind::Rejected
            }
        };
        self.marks.push(now, mark, span);
    }

    /// Counts the queued requests that have reached the service by `now` in the peak.
    fn flush(&mut self, now: u64) {
        while self.pending.front().is_some_and(|&t| t <= now) {
            let t = self.pending.pop_front().unwrap_or(now);
            self.peak.push(t);
        }
    }

    /// The state a gauge shows: gateway 0's (or the store's) for key 0.
    fn shown(&self) -> Option<&Limiter> {
        self.store
            .get(&0)
            .map(|s| &s.limiter)
            .or_else(|| self.local.get(&(0, 0)))
            .or_else(|| self.local.values().next())
            .or_else(|| self.store.values().next().map(|s| &s.limiter))
    }
}

fn lane_stats_metrics(lane: &Lane, out: &mut Vec<Metric>) {
    let ids = lane_metric_ids(lane.algorithm);
    out.push(Metric {
        id: ids[0],
        label: ids[3],
        value: MetricValue::Int(lane.admitted as i64),
        unit: None,
        help: "Requests this limiter admitted.",
    });
    out.push(Metric {
        id: ids[1],
        label: ids[4],
        value: MetricValue::Int(lane.rejected as i64),
        unit: None,
        help: "Requests this limiter rejected with a 429.",
    });
    out.push(Metric {
        id: ids[2],
        label: ids[5],
        value: MetricValue::Int(lane.peak.peak as i64),
        unit: None,
        help: "The most requests this limiter let reach the service in any one window.",
    });
}

impl Model for LimiterModel {
    type Event = LimiterEvent;
    type Record = LimiterRecord;
    type Frame = LanesFrame;
    const ID: &'static str = "rate-limiters";

    fn specs() -> Vec<ParamSpec> {
        spec::specs()
    }

    fn actions() -> Vec<ActionSpec> {
        vec![ActionSpec::new("set-rate", "Set the offered rate to")
            .arg("requests per second", Some("40"))
            .help("Changes the stream's base rate from now on (steady, Poisson and bursts).")]
    }

    fn build(params: &ParamSet, ctx: &mut Ctx<'_, Self>) -> Result<Self, ParamError> {
        let setup = Setup::from_params(params)?;
        let stream = ArrivalStream::new(
            setup.arrivals(setup.rate),
            SimRng::stream(ctx.seed, "limiter-arrivals"),
        );
        let window = setup.budget.window_us;
        let lanes = setup
            .algorithms
            .iter()
            .map(|&a| Lane::new(a, window))
            .collect();
        let mut model = LimiterModel {
            picks: SimRng::stream(ctx.seed, "limiter-picks"),
            setup,
            stream,
            attack_next: 0,
            lanes,
            offered: 0,
            arrivals: Recent::default(),
            last: None,
            now: SimTime::ZERO,
            stream_offset: SimTime::ZERO,
        };
        model.schedule_next(ctx);
        Ok(model)
    }

    fn apply(&mut self, input: &Input, ctx: &mut Ctx<'_, Self>) -> Result<(), InputError> {
        match input.action.as_str() {
            "set-rate" => {
                let arg = input.arg.as_deref().unwrap_or("").trim();
                let rate: f64 = arg
                    .parse()
                    .ok()
                    .filter(|r: &f64| r.is_finite() && (0.0..=spec::MAX_RATE).contains(r))
                    .ok_or_else(|| {
                        InputError(format!(
                            "set-rate needs a rate from 0 to {} requests per second, e.g. set-rate:40",
                            spec::MAX_RATE
                        ))
                    })?;
                if self.setup.pattern == Pattern::Boundary {
                    return Err(InputError(
                        "the boundary attack sends a fixed pattern; pick another stream to change its rate"
                            .into(),
                    ));
                }
                self.setup.rate = rate;
                // A fresh stream from now on, its clock starting at the change: the arrival
                // already scheduled stays, the ones after it come from the new rate.
                self.stream = ArrivalStream::new(
                    self.setup.arrivals(rate),
                    SimRng::stream(ctx.seed ^ ctx.now.as_us(), "limiter-arrivals"),
                );
                self.stream_offset = ctx.now;
                ctx.record(LimiterRecord::Rate { rate });
                Ok(())
            }
            other => Err(InputError(format!(
                "unknown action {other:?}; this lesson knows set-rate"
            ))),
        }
    }

    fn handle(&mut self, event: LimiterEvent, ctx: &mut Ctx<'_, Self>) {
        self.now = ctx.now;
        match event {
            LimiterEvent::Arrive => {
                self.arrive(ctx);
                self.schedule_next(ctx);
            }
            LimiterEvent::WriteBack {
                lane,
                user,
                read_version,
                state,
            } => {
                let Some(l) = self.lanes.get_mut(usize::from(lane)) else {
                    return;
                };
                let alg = l.algorithm;
                if let Some(s) = l.store.get_mut(&user) {
                    let lost = s.version != read_version;
                    s.limiter = *state;
                    s.version += 1;
                    if lost {
                        l.lost_updates += 1;
                        ctx.record(LimiterRecord::LostUpdate {
                            algorithm: alg,
                            user,
                        });
                    }
                }
            }
        }
    }

    fn frame(&self, now: SimTime) -> LanesFrame {
        let span = self.span_us();
        let t = now.as_us();
        let since = t.saturating_sub(span);
        let b = self.setup.budget;
        let lanes = self
            .lanes
            .iter()
            .map(|l| {
                let gauge = l.shown().map(|s| s.gauge(t));
                let (fill, text) = match gauge {
                    Some(g) if g.max > 0.0 => ((g.level / g.max).clamp(0.0, 1.0), g.text),
                    _ => {
                        let fresh = Limiter::new(l.algorithm, self.budget_for()).gauge(t);
                        (
                            (fresh.level / fresh.max.max(1.0)).clamp(0.0, 1.0),
                            fresh.text,
                        )
                    }
                };
                LaneView {
                    id: l.algorithm.id().to_string(),
                    label: l.algorithm.label().to_string(),
                    fill,
                    gauge: text,
                    marks: l.marks.packed(since, t),
                    ticks_us: match l.algorithm {
                        Algorithm::FixedWindow | Algorithm::SlidingCounter => b.window_us,
                        _ => 0,
                    },
                    window_us: match l.algorithm {
                        Algorithm::SlidingLog | Algorithm::SlidingCounter => b.window_us,
                        _ => 0,
                    },
                    admitted: l.admitted,
                    rejected: l.rejected,
                    extra: if l.lost_updates > 0 {
                        format!("{} lost updates", l.lost_updates)
                    } else {
                        String::new()
                    },
                    bands: Vec::new(),
                }
            })
            .collect();
        let note = match self.last {
            Some((id, at)) => format!("Request {id} at {at}."),
            None => "No request yet: press play.".to_string(),
        };
        LanesFrame {
            now,
            span_us: span,
            title: self.setup.title(),
            arrivals: self.arrivals.times(since, t),
            offered: None,
            counts: None,
            lanes,
            note,
        }
    }

    fn metrics(&self) -> Metrics {
        let mut scalars = Vec::new();
        let windows = self.elapsed_windows();
        scalars.push(Metric {
            id: "offered",
            label: "Offered",
            value: MetricValue::Int(self.offered as i64),
            unit: None,
            help: "Requests that arrived.",
        });
        if let Some(h) = self.headline() {
            scalars.push(Metric {
                id: "admitted",
                label: "Admitted",
                value: MetricValue::Int(h.admitted as i64),
                unit: None,
                help: "Requests the first limiter shown admitted (all gateways together).",
            });
            scalars.push(Metric {
                id: "rejected",
                label: "Rejected (429)",
                value: MetricValue::Int(h.rejected as i64),
                unit: None,
                help: "Requests the first limiter shown rejected with a 429.",
            });
            scalars.push(Metric {
                id: "max_window",
                label: "Most in one window",
                value: MetricValue::Int(h.peak.peak as i64),
                unit: None,
                help: "The most requests the first limiter let reach the service in any window of the limit's length: what the limit promises to bound.",
            });
            scalars.push(Metric {
                id: "max_window_ratio",
                label: "Most in a window ÷ limit",
                value: MetricValue::Float(h.peak.peak as f64 / f64::from(self.setup.budget.limit)),
                unit: Some("×"),
                help: "The first limiter's most in one window over the limit: 1 keeps its promise, 2 lets twice through.",
            });
            scalars.push(Metric {
                id: "admitted_per_window",
                label: "Admitted per window",
                value: if windows > 0.0 {
                    MetricValue::Float(h.admitted as f64 / windows)
                } else {
                    MetricValue::None
                },
                unit: None,
                help: "The first limiter's admissions per window on average, against the limit (N gateways limiting locally: about N times it).",
            });
            scalars.push(Metric {
                id: "retry_after_mean",
                label: "Mean Retry-After",
                value: if h.rejected > 0 {
                    MetricValue::Float(h.retry_after_sum_us as f64 / h.rejected as f64 / 1e3)
                } else {
                    MetricValue::None
                },
                unit: Some("ms"),
                help: "How long, on average, the first limiter told a rejected request to wait (the exact wait; the header rounds it up to whole seconds).",
            });
            scalars.push(Metric {
                id: "light_rejected_percent",
                label: "Other users rejected",
                value: if h.light_requests > 0 {
                    MetricValue::Float(100.0 * h.light_rejected as f64 / h.light_requests as f64)
                } else {
                    MetricValue::None
                },
                unit: Some("%"),
                help: "Share of the requests of every user but the heavy user 0 that the first limiter rejected.",
            });
            scalars.push(Metric {
                id: "lost_updates",
                label: "Lost updates",
                value: MetricValue::Int(h.lost_updates as i64),
                unit: None,
                help: "Write-backs of the shared state that erased another gateway's update (the racy read-then-write store only).",
            });
            scalars.push(Metric {
                id: "max_delay",
                label: "Longest queue wait",
                value: MetricValue::Float(
                    self.lanes.iter().map(|l| l.max_delay_us).max().unwrap_or(0) as f64 / 1e3,
                ),
                unit: Some("ms"),
                help: "The longest a request waited in a leaky bucket's queue (0 without one).",
            });
        }
        for l in &self.lanes {
            lane_stats_metrics(l, &mut scalars);
        }
        let groups = vec![
            MetricGroup {
                id: "admitted_per_limiter",
                label: "Admitted per limiter",
                unit: None,
                values: self
                    .lanes
                    .iter()
                    .map(|l| (l.algorithm.label().to_string(), l.admitted as f64))
                    .collect(),
            },
            MetricGroup {
                id: "rejected_per_limiter",
                label: "Rejected per limiter",
                unit: None,
                values: self
                    .lanes
                    .iter()
                    .map(|l| (l.algorithm.label().to_string(), l.rejected as f64))
                    .collect(),
            },
        ];
        Metrics { scalars, groups }
    }

    fn queries() -> Queries<Self> {
        Queries::new()
    }

    fn validate(&self) -> Result<(), String> {
        for l in &self.lanes {
            let requests = l.admitted + l.rejected;
            if requests != self.offered {
                return Err(format!(
                    "{}: {} admitted + {} rejected ≠ {} offered",
                    l.algorithm.label(),
                    l.admitted,
                    l.rejected,
                    self.offered
                ));
            }
            // A single exact limiter never lets more than burst + limit through in a window.
            let single = self.setup.gateways == 1 && !self.setup.per_user;
            let b = self.setup.budget;
            let bound = match l.algorithm {
                Algorithm::SlidingLog => u64::from(b.limit),
                Algorithm::FixedWindow => 2 * u64::from(b.limit),
                Algorithm::SlidingCounter => 2 * u64::from(b.limit),
                _ => u64::from(b.limit) + u64::from(b.burst),
            };
            if single && self.setup.coordination != Coordination::SharedRacy && l.peak.peak > bound
            {
                return Err(format!(
                    "{} let {} through in one window, over its bound {bound}",
                    l.algorithm.label(),
                    l.peak.peak
                ));
            }
        }
        Ok(())
    }
}
