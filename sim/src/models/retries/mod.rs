//! Retries, backoff and jitter: the two experiments behind the claims made about retries, each
//! drawn as one lane per mechanism.
//!
//! **Contention** (`scenario = contention`, the default): Marc Brooker's experiment ("Exponential
//! Backoff And Jitter", AWS Architecture Blog, 2015; its simulator
//! `aws-samples/aws-arch-backoff-simulator`), run by
//! [`crate::resilience::backoff::contention`]. `clients` clients start together, each reading one
//! row and writing it back conditionally on the version it read; a conflict sends the client
//! into its backoff and round again. One lane per strategy, all on the same seed: a tick above
//! the line is a write the row accepted (the client is done), a mark below it a write refused as
//! a conflict (**Rejected**: the server refused a stale write, it did not fail). The gauge is the
//! clients done out of N. The run of each strategy is computed whole when the model is built
//! and replayed in simulated time, so the lanes, metrics and trace at any moment show only what
//! has happened by then. **Calls** are the conditional writes the server received (the blog's
//! count), **completion** the moment the last client learns its write succeeded.
//!
//! **Amplification** (`scenario = amplification`): `requests` requests, evenly spaced at `rate`,
//! go down a chain of `layers` services; each caller makes up to `attempts` attempts on the
//! layer below, and the last layer's calls reach a service that fails each call independently
//! with probability `p_fail` and answers after `call_ms`. A retry goes out as soon as the failure
//! comes back. One lane per policy, on the same requests: plain retries, retries under gRPC's
//! retry throttling (gRFC A6) at every caller, retries under Finagle's `RetryBudget` at every
//! caller, and no retries. The lane draws the calls the failing service receives (Ok above,
//! **Failed** below) and, below too, the retries a budget refused (**Rejected**: never sent).
//! With retries and no budget the calls per request converge on
//! [`layered_amplification`]`(p, attempts, layers)` (1 + p + … + p^(attempts−1) for one layer),
//! reported beside the measured value as `amplification_theory`.
//!
//! **Invariants** ([`RetriesModel::validate`]): contention: calls = accepted writes + conflicts,
//! never more clients done than clients, a lane's counts never pass its precomputed totals;
//! amplification: every finished request's calls are between 1 and attempts^layers, calls
//! received = successes + failures + calls in flight, and a lane's successful requests never
//! exceed its finished ones.
//!
//! **What it ignores.** Contention: reads are counted but cost nothing, the server has unlimited
//! capacity and no queue, clients never give up, and every client starts at the same moment.
//! Amplification: the failing service's failure rate does not rise with its load (real retry
//! storms feed on that: the extra calls are what keep it overloaded), intermediate services
//! never fail on their own, calls take a fixed time, and retries do not back off (backoff spreads
//! a persistently failing service's calls over time but does not reduce them).

mod spec;

use crate::model::{ActionSpec, Ctx, InputError, Metric, MetricGroup, MetricValue, Metrics, Model};
use crate::models::lanes::{LaneView, LanesFrame, MarkKind, MAX_MARKS};
use crate::params::{ParamError, ParamSet, ParamSpec};
use crate::query::Queries;
use crate::resilience::backoff::{
    layered_amplification, run_contention_with_waves, Backoff, ContentionConfig,
    ContentionEventKind, FinagleRetryBudget, GrpcRetryThrottle, NetDelay, RetryBudget, Strategy,
};
use crate::rng::SimRng;
use crate::scenario::Input;
use crate::time::SimTime;
use crate::trace::Narrate;
use spec::{policy_metric_ids, strategy_metric_ids, Setup};
pub use spec::{Policy, Scenario, MAX_CLIENTS, MAX_WORST_CALLS};
use std::collections::{BTreeMap, VecDeque};
use std::rc::Rc;

/// The most entries the contention log of one strategy keeps (about four per write; the
/// model's client cap keeps real runs far below it).
const MAX_LOG: u32 = 2_000_000;

/// What the model records.
#[derive(Clone, Debug, PartialEq)]
pub enum RetriesRecord {
    /// Writes reached the row at one moment in one lane.
    Writes {
        /// The lane's strategy.
        strategy: Strategy,
        /// Writes accepted.
        accepted: u32,
        /// Writes refused as conflicts.
        conflicts: u32,
        /// Clients done so far in this lane.
        done: u32,
        /// Clients in all.
        clients: u32,
    },
    /// Every client of a lane is done.
    Finished {
        /// The lane's strategy.
        strategy: Strategy,
        /// Writes in all.
        calls: u64,
        /// When the last client learnt it was done, µs.
        completion_us: u64,
    },
    /// A request of the amplification experiment finished in one lane.
    Request {
        /// The lane's policy.
        policy: Policy,
        /// The request's number, from 1.
        id: u64,
        /// It succeeded.
        ok: bool,
        /// Calls it caused at the failing service.
        calls: u32,
        /// Retries a budget refused it.
        denied: u32,
    },
    /// More clients started.
    ClientsAdded {
        /// How many.
        count: u32,
    },
    /// The failing service's failure probability changed.
    FailureRate {
        /// The new probability.
        p: f64,
    },
}

impl Narrate for RetriesRecord {
    fn narrate(&self) -> String {
        match self {
            RetriesRecord::Writes {
                strategy,
                accepted,
                conflicts,
                done,
                clients,
            } => {
                let mut parts = Vec::new();
                if *accepted > 0 {
                    parts.push(format!(
                        "{accepted} write{} accepted",
                        if *accepted == 1 { "" } else { "s" }
                    ));
                }
                if *conflicts > 0 {
                    parts.push(format!("{conflicts} refused as conflicts",));
                }
                format!(
                    "{}: {} ({done} of {clients} clients done).",
                    strategy.label(),
                    parts.join(", ")
                )
            }
            RetriesRecord::Finished {
                strategy,
                calls,
                completion_us,
            } => format!(
                "{}: every client is done after {calls} writes, at {:.1} ms.",
                strategy.label(),
                *completion_us as f64 / 1e3
            ),
            RetriesRecord::Request {
                policy,
                id,
                ok,
                calls,
                denied,
            } => {
                let mut s = format!(
                    "{}: request {id} {} after {calls} call{} to the failing service",
                    policy.label(),
                    if *ok { "succeeded" } else { "failed" },
                    if *calls == 1 { "" } else { "s" }
                );
                if *denied > 0 {
                    s.push_str(&format!(
                        "; the budget refused {denied} retr{}",
                        if *denied == 1 { "y" } else { "ies" }
                    ));
                }
                s.push('.');
                s
            }
            RetriesRecord::ClientsAdded { count } => {
                format!("{count} more clients start: each reads the row and writes it back.")
            }
            RetriesRecord::FailureRate { p } => {
                format!("The service now fails {:.0} % of calls.", 100.0 * p)
            }
        }
    }

    fn is_milestone(&self) -> bool {
        matches!(
            self,
            RetriesRecord::Finished { .. }
                | RetriesRecord::FailureRate { .. }
                | RetriesRecord::ClientsAdded { .. }
        )
    }
}

/// The model's events.
#[derive(Clone, Debug)]
pub enum RetriesEvent {
    /// The next entries of a contention lane's log are due.
    Replay {
        /// Which lane.
        lane: u8,
    },
    /// The next request of the amplification experiment.
    Arrive,
    /// A call to the failing service comes back.
    Return {
        /// Which lane.
        lane: u8,
        /// Which request.
        request: u64,
    },
}

/// One entry of a contention lane's log: what the replay shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    /// A write was accepted.
    Accepted,
    /// A write was refused as a conflict.
    Conflict,
    /// A client learnt its write succeeded.
    Done,
}

/// One strategy's lane of the contention experiment.
#[derive(Clone, Debug)]
struct ContentionLane {
    strategy: Strategy,
    /// The whole run, in time order (shared between checkpoints).
    log: Rc<[(u64, Step)]>,
    /// The next entry to replay.
    cursor: u32,
    /// When its pending replay event is due (an older one, left from before a wave was
    /// added, is ignored).
    next_due: Option<u64>,
    /// The run's totals, for the invariants.
    total_calls: u64,
    calls: u64,
    conflicts: u64,
    done: u32,
    completion_us: Option<u64>,
    marks: VecDeque<(u64, MarkKind)>,
}

/// A retry budget of one caller.
#[derive(Clone, Debug)]
enum Budget {
    Grpc(GrpcRetryThrottle),
    Finagle(FinagleRetryBudget),
}

impl Budget {
    fn get(&mut self) -> &mut dyn RetryBudget {
        match self {
            Budget::Grpc(b) => b,
            Budget::Finagle(b) => b,
        }
    }
}

/// A request in flight in one amplification lane.
#[derive(Clone, Debug)]
struct Flight {
    /// Attempts made so far by the caller at each depth (0: the client).
    attempts: Vec<u32>,
    /// Calls it has caused at the failing service.
    calls: u32,
    /// Retries refused.
    denied: u32,
}

/// One policy's lane of the amplification experiment.
#[derive(Clone, Debug)]
struct AmpLane {
    policy: Policy,
    rng: SimRng,
    /// One per layer's caller, for the budgeted policies.
    budgets: Vec<Budget>,
    flights: BTreeMap<u64, Flight>,
    calls: u64,
    ok_calls: u64,
    failed_calls: u64,
    denied: u64,
    finished: u64,
    succeeded: u64,
    finished_calls: u64,
    marks: VecDeque<(u64, MarkKind)>,
}

impl AmpLane {
    fn max_attempts(&self, setup: &Setup) -> u32 {
        if self.policy == Policy::NoRetry {
            1
        } else {
            setup.attempts
        }
    }
}

/// The retries model.
#[derive(Clone, Debug)]
pub struct RetriesModel {
    setup: Setup,
    contention: Vec<ContentionLane>,
    amp: Vec<AmpLane>,
    /// Amplification: requests sent so far.
    sent: u64,
    /// Amplification: recent request times, for the top strip.
    arrivals: VecDeque<u64>,
    /// Contention: clients added after the start, `(time, count)`.
    waves: Vec<(SimTime, u32)>,
    now: SimTime,
}

fn push_mark(marks: &mut VecDeque<(u64, MarkKind)>, t: u64, kind: MarkKind, span: u64) {
    marks.push_back((t, kind));
    while marks
        .front()
        .is_some_and(|&(m, _)| m + span < t || marks.len() > MAX_MARKS)
    {
        marks.pop_front();
    }
}

impl RetriesModel {
    fn span_us(&self) -> u64 {
        match self.setup.scenario {
            // Long enough to show a few of exponential's doublings side by side.
            Scenario::Contention => self.setup.cap_us.clamp(1_000_000, 10_000_000),
            Scenario::Amplification => {
                (self.setup.interarrival_us() * 40).clamp(1_000_000, 10_000_000)
            }
        }
    }

    fn contention_config(setup: &Setup, strategy: Strategy, seed: u64) -> ContentionConfig {
        let net = if setup.net_sd_us == 0 {
            NetDelay::Fixed {
                us: setup.net_mean_us,
            }
        } else {
            NetDelay::Normal {
                mean_us: setup.net_mean_us,
                sd_us: setup.net_sd_us,
            }
        };
        ContentionConfig {
            clients: setup.clients,
            backoff: Backoff::new(strategy, setup.base_us, setup.cap_us)
                .expect("the setup checks 1 ≤ base ≤ cap"),
            net,
            seed,
            record_events: true,
            max_events: MAX_LOG,
        }
    }

    /// A strategy's whole run (with the waves so far) as the replay's log, and its calls.
    fn contention_log(
        setup: &Setup,
        strategy: Strategy,
        seed: u64,
        waves: &[(SimTime, u32)],
    ) -> (Rc<[(u64, Step)]>, u64) {
        let cfg = Self::contention_config(setup, strategy, seed);
        let out = run_contention_with_waves(&cfg, waves)
            .expect("the setup and add-clients check the clients");
        debug_assert_eq!(out.events_dropped, 0);
        let log = out
            .events
            .iter()
            .filter_map(|e| {
                let step = match e.kind {
                    ContentionEventKind::WriteOk { .. } => Step::Accepted,
                    ContentionEventKind::WriteConflict { .. } => Step::Conflict,
                    ContentionEventKind::Done => Step::Done,
                    _ => return None,
                };
                Some((e.time.as_us(), step))
            })
            .collect();
        (log, out.calls)
    }

    fn build_contention(setup: &Setup, seed: u64) -> Vec<ContentionLane> {
        setup
            .strategies
            .iter()
            .map(|&strategy| {
                let (log, total_calls) = Self::contention_log(setup, strategy, seed, &[]);
                ContentionLane {
                    strategy,
                    log,
                    cursor: 0,
                    next_due: None,
                    total_calls,
                    calls: 0,
                    conflicts: 0,
                    done: 0,
                    completion_us: None,
                    marks: VecDeque::new(),
                }
            })
            .collect()
    }

    /// Schedules each contention lane's next replay, if it has one not yet due.
    fn schedule_replays(&mut self, ctx: &mut Ctx<'_, Self>) {
        for (i, l) in self.contention.iter_mut().enumerate() {
            if let Some(&(t, _)) = l.log.get(l.cursor as usize) {
                if l.next_due != Some(t) {
                    l.next_due = Some(t);
                    ctx.schedule(
                        SimTime::from_us(t).max(ctx.now),
                        RetriesEvent::Replay { lane: i as u8 },
                    );
                }
            }
        }
    }

    fn clients_now(&self) -> u32 {
        self.setup.clients + self.waves.iter().map(|w| w.1).sum::<u32>()
    }

    fn replay(&mut self, lane: u8, ctx: &mut Ctx<'_, Self>) {
        let span = self.span_us();
        let clients = self.clients_now();
        let now = ctx.now.as_us();
        let Some(l) = self.contention.get_mut(usize::from(lane)) else {
            return;
        };
        if l.next_due.is_none_or(|due| due > now) {
            // Superseded: a wave rescheduled this lane.
            return;
        }
        l.next_due = None;
        let (mut accepted, mut conflicts, mut finished) = (0u32, 0u32, 0u32);
        while let Some(&(t, step)) = l.log.get(l.cursor as usize) {
            if t > now {
                break;
            }
            l.cursor += 1;
            match step {
                Step::Accepted => {
                    l.calls += 1;
                    accepted += 1;
                    push_mark(&mut l.marks, t, MarkKind::Ok, span);
                }
                Step::Conflict => {
                    l.calls += 1;
                    l.conflicts += 1;
                    conflicts += 1;
                    push_mark(&mut l.marks, t, MarkKind::Rejected, span);
                }
                Step::Done => {
                    l.done += 1;
                    finished += 1;
                }
            }
        }
        if accepted + conflicts > 0 {
            ctx.record(RetriesRecord::Writes {
                strategy: l.strategy,
                accepted,
                conflicts,
                done: l.done,
                clients,
            });
        }
        if finished > 0 && l.done == clients {
            l.completion_us = Some(now);
            ctx.record(RetriesRecord::Finished {
                strategy: l.strategy,
                calls: l.calls,
                completion_us: now,
            });
        }
        self.schedule_replays(ctx);
    }

    /// `count` more clients start now: every lane's run is recomputed with them (its past is
    /// unchanged, see [`run_contention_with_waves`]) and replays on from where it is.
    fn add_clients(&mut self, count: u32, ctx: &mut Ctx<'_, Self>) {
        self.waves.push((ctx.now, count));
        let seed = ctx.seed;
        for l in &mut self.contention {
            let (log, total_calls) =
                Self::contention_log(&self.setup, l.strategy, seed, &self.waves);
            debug_assert!(
                log[..l.cursor as usize] == l.log[..l.cursor as usize],
                "a wave changed the past"
            );
            l.log = log;
            l.total_calls = total_calls;
            // The lane is not done any more until the newcomers are.
            l.completion_us = None;
            l.next_due = None;
        }
        self.schedule_replays(ctx);
    }

    fn build_amp(setup: &Setup, seed: u64) -> Vec<AmpLane> {
        setup
            .policies
            .iter()
            .map(|&policy| {
                let budgets = (0..setup.layers)
                    .filter_map(|_| match policy {
                        Policy::Grpc => Some(Budget::Grpc(
                            GrpcRetryThrottle::new(setup.max_tokens, setup.token_ratio_milli)
                                .expect("the setup keeps both above zero"),
                        )),
                        Policy::Finagle => Some(Budget::Finagle(
                            FinagleRetryBudget::new(
                                10,
                                10,
                                f64::from(setup.retry_percent) / 100.0,
                                SimTime::ZERO,
                            )
                            .expect("the setup keeps the percentage in range"),
                        )),
                        Policy::Retry | Policy::NoRetry => None,
                    })
                    .collect();
                AmpLane {
                    policy,
                    // Each policy flips its own coins: the same seed gives a lane the same
                    // outcomes whichever other lanes are shown.
                    rng: SimRng::stream(seed, &format!("retries/amplification/{}", policy.id())),
                    budgets,
                    flights: BTreeMap::new(),
                    calls: 0,
                    ok_calls: 0,
                    failed_calls: 0,
                    denied: 0,
                    finished: 0,
                    succeeded: 0,
                    finished_calls: 0,
                    marks: VecDeque::new(),
                }
            })
            .collect()
    }

    fn arrive(&mut self, ctx: &mut Ctx<'_, Self>) {
        let now = ctx.now;
        self.sent += 1;
        let id = self.sent;
        let layers = self.setup.layers as usize;
        let call_us = self.setup.call_us;
        for (i, lane) in self.amp.iter_mut().enumerate() {
            for b in &mut lane.budgets {
                b.get().deposit(now);
            }
            lane.flights.insert(
                id,
                Flight {
                    attempts: vec![1; layers],
                    calls: 1,
                    denied: 0,
                },
            );
            lane.calls += 1;
            ctx.schedule(
                now.plus_us(call_us),
                RetriesEvent::Return {
                    lane: i as u8,
                    request: id,
                },
            );
        }
        let span = self.span_us();
        self.arrivals.push_back(now.as_us());
        while self
            .arrivals
            .front()
            .is_some_and(|&t| t + span < now.as_us() || self.arrivals.len() > MAX_MARKS)
        {
            self.arrivals.pop_front();
        }
        if self.sent < self.setup.requests {
            ctx.schedule(
                SimTime::from_us(self.sent * self.setup.interarrival_us()),
                RetriesEvent::Arrive,
            );
        }
    }

    /// A call to the failing service comes back: its outcome goes up the chain of callers,
    /// each retrying (if its attempts and budget allow) or passing the failure up.
    fn call_returned(&mut self, lane: u8, request: u64, ctx: &mut Ctx<'_, Self>) {
        let span = self.span_us();
        let setup = &self.setup;
        let now = ctx.now;
        let t = now.as_us();
        let Some(l) = self.amp.get_mut(usize::from(lane)) else {
            return;
        };
        let max_attempts = l.max_attempts(setup);
        let Some(mut flight) = l.flights.remove(&request) else {
            return;
        };
        let ok = !l.rng.chance(setup.p_fail);
        if ok {
            l.ok_calls += 1;
            push_mark(&mut l.marks, t, MarkKind::Ok, span);
        } else {
            l.failed_calls += 1;
            push_mark(&mut l.marks, t, MarkKind::Failed, span);
        }
        let layers = setup.layers as usize;
        let mut depth = layers - 1;
        loop {
            if let Some(b) = l.budgets.get_mut(depth) {
                if ok {
                    b.get().on_success(now);
                } else {
                    b.get().on_failure(now);
                }
            }
            if !ok && flight.attempts[depth] < max_attempts {
                let allowed = l
                    .budgets
                    .get_mut(depth)
                    .is_none_or(|b| b.get().try_withdraw(now));
                if allowed {
                    flight.attempts[depth] += 1;
                    // The retry starts a fresh call down the rest of the chain.
                    for below in depth + 1..layers {
                        flight.attempts[below] = 1;
                        if let Some(b) = l.budgets.get_mut(below) {
                            b.get().deposit(now);
                        }
                    }
                    flight.calls += 1;
                    l.calls += 1;
                    l.flights.insert(request, flight);
                    ctx.schedule(
                        now.plus_us(setup.call_us),
                        RetriesEvent::Return { lane, request },
                    );
                    return;
                }
                flight.denied += 1;
                l.denied += 1;
                push_mark(&mut l.marks, t, MarkKind::Rejected, span);
            }
            // This caller's call into the layer below is over: `ok` is its outcome.
            if depth == 0 {
                break;
            }
            depth -= 1;
        }
        l.finished += 1;
        l.finished_calls += u64::from(flight.calls);
        if ok {
            l.succeeded += 1;
        }
        ctx.record(RetriesRecord::Request {
            policy: l.policy,
            id: request,
            ok,
            calls: flight.calls,
            denied: flight.denied,
        });
    }

    fn contention_lane(&self, s: Strategy) -> Option<&ContentionLane> {
        self.contention.iter().find(|l| l.strategy == s)
    }

    fn contention_metrics(&self, scalars: &mut Vec<Metric>) {
        let n = f64::from(self.clients_now());
        scalars.push(Metric {
            id: "clients",
            label: "Clients",
            value: MetricValue::Int(i64::from(self.clients_now())),
            unit: None,
            help: "Clients contending for the row.",
        });
        if let Some(h) = self.contention.first() {
            scalars.push(Metric {
                id: "calls",
                label: "Calls (writes)",
                value: MetricValue::Int(h.calls as i64),
                unit: None,
                help: "Conditional writes the server has received under the first strategy shown, accepted or refused.",
            });
            scalars.push(Metric {
                id: "conflicts",
                label: "Conflicts",
                value: MetricValue::Int(h.conflicts as i64),
                unit: None,
                help: "Writes the first strategy's clients made against a version someone else had already replaced.",
            });
            scalars.push(Metric {
                id: "done",
                label: "Clients done",
                value: MetricValue::Int(i64::from(h.done)),
                unit: None,
                help: "Clients of the first strategy whose write has succeeded.",
            });
            scalars.push(Metric {
                id: "completion_ms",
                label: "Time to finish",
                value: h
                    .completion_us
                    .map_or(MetricValue::None, |c| MetricValue::Float(c as f64 / 1e3)),
                unit: Some("ms"),
                help: "When the first strategy's last client learnt its write succeeded.",
            });
            scalars.push(Metric {
                id: "downstream_load",
                label: "Calls per client",
                value: MetricValue::Float(h.calls as f64 / n),
                unit: None,
                help: "Writes the server received per client under the first strategy: 1 would be no contention at all.",
            });
        }
        for l in &self.contention {
            let ids = strategy_metric_ids(l.strategy);
            scalars.push(Metric {
                id: ids[0],
                label: ids[3],
                value: MetricValue::Int(l.calls as i64),
                unit: None,
                help: "Conditional writes the server received under this strategy.",
            });
            scalars.push(Metric {
                id: ids[1],
                label: ids[4],
                value: l
                    .completion_us
                    .map_or(MetricValue::None, |c| MetricValue::Float(c as f64 / 1e3)),
                unit: Some("ms"),
                help: "When this strategy's last client learnt its write succeeded.",
            });
            scalars.push(Metric {
                id: ids[2],
                label: ids[5],
                value: MetricValue::Int(i64::from(l.done)),
                unit: None,
                help: "Clients of this strategy whose write has succeeded.",
            });
        }
        if let (Some(e), Some(f)) = (
            self.contention_lane(Strategy::Exponential),
            self.contention_lane(Strategy::FullJitter),
        ) {
            scalars.push(Metric {
                id: "calls_ratio_exp_vs_full",
                label: "Calls: exponential ÷ full jitter",
                value: if f.calls > 0 {
                    MetricValue::Float(e.calls as f64 / f.calls as f64)
                } else {
                    MetricValue::None
                },
                unit: Some("×"),
                help: "Writes made under exponential backoff without jitter over those made under full jitter.",
            });
            scalars.push(Metric {
                id: "time_ratio_exp_vs_full",
                label: "Time: exponential ÷ full jitter",
                value: match (e.completion_us, f.completion_us) {
                    (Some(a), Some(b)) if b > 0 => MetricValue::Float(a as f64 / b as f64),
                    _ => MetricValue::None,
                },
                unit: Some("×"),
                help: "How many times longer exponential backoff without jitter takes to get every client through than full jitter.",
            });
        }
    }

    fn amp_theory(&self, policy: Policy) -> f64 {
        let s = &self.setup;
        match policy {
            Policy::NoRetry => 1.0,
            _ => layered_amplification(s.p_fail, s.attempts, s.layers),
        }
    }

    fn amp_metrics(&self, scalars: &mut Vec<Metric>) {
        let load = |l: &AmpLane| {
            if l.finished > 0 {
                MetricValue::Float(l.finished_calls as f64 / l.finished as f64)
            } else {
                MetricValue::None
            }
        };
        let success = |l: &AmpLane| {
            if l.finished > 0 {
                MetricValue::Float(100.0 * l.succeeded as f64 / l.finished as f64)
            } else {
                MetricValue::None
            }
        };
        scalars.push(Metric {
            id: "requests",
            label: "Requests sent",
            value: MetricValue::Int(self.sent as i64),
            unit: None,
            help: "Requests the clients have sent.",
        });
        if let Some(h) = self.amp.first() {
            scalars.push(Metric {
                id: "downstream_load",
                label: "Calls per request",
                value: load(h),
                unit: None,
                help: "Calls the failing service received per finished request, under the first policy shown: the load retries multiply.",
            });
            scalars.push(Metric {
                id: "amplification_theory",
                label: "Calls per request, theory",
                value: MetricValue::Float(self.amp_theory(h.policy)),
                unit: None,
                help: "1 + p + p² + … up to the attempts, multiplied across layers: what retries without a budget cost on average.",
            });
            scalars.push(Metric {
                id: "service_calls",
                label: "Calls to the service",
                value: MetricValue::Int(h.calls as i64),
                unit: None,
                help: "Calls the failing service has received under the first policy shown.",
            });
            scalars.push(Metric {
                id: "success_percent",
                label: "Requests succeeded",
                value: success(h),
                unit: Some("%"),
                help: "Share of the finished requests that got a success back, under the first policy shown.",
            });
            scalars.push(Metric {
                id: "goodput",
                label: "Goodput",
                value: match success(h) {
                    MetricValue::Float(s) => MetricValue::Float(self.setup.rate * s / 100.0),
                    other => other,
                },
                unit: Some("req/s"),
                help: "Successful requests per second: the request rate times the share that succeeded.",
            });
            scalars.push(Metric {
                id: "service_load",
                label: "Load on the service",
                value: match load(h) {
                    MetricValue::Float(a) => MetricValue::Float(self.setup.rate * a),
                    other => other,
                },
                unit: Some("calls/s"),
                help: "Calls per second the failing service receives: the request rate times the calls per request.",
            });
            scalars.push(Metric {
                id: "retries_denied",
                label: "Retries refused",
                value: MetricValue::Int(h.denied as i64),
                unit: None,
                help: "Retries the first policy's budget refused to send.",
            });
        }
        for l in &self.amp {
            let ids = policy_metric_ids(l.policy);
            scalars.push(Metric {
                id: ids[0],
                label: ids[2],
                value: load(l),
                unit: None,
                help: "Calls the failing service received per finished request under this policy.",
            });
            scalars.push(Metric {
                id: ids[1],
                label: ids[3],
                value: success(l),
                unit: Some("%"),
                help: "Share of this policy's finished requests that succeeded.",
            });
        }
    }

    fn title(&self) -> String {
        let s = &self.setup;
        let ms = |us: u64| {
            let v = us as f64 / 1e3;
            if v.fract() == 0.0 {
                format!("{v:.0} ms")
            } else {
                format!("{v} ms")
            }
        };
        match s.scenario {
            Scenario::Contention => format!(
                "{} clients on one row · base {}, cap {} · network {} ± {}",
                self.clients_now(),
                ms(s.base_us),
                ms(s.cap_us),
                ms(s.net_mean_us),
                ms(s.net_sd_us)
            ),
            Scenario::Amplification => format!(
                "{} requests at {}/s · {} · up to {} attempt{} per call · the service fails {:.0} % of calls",
                s.requests,
                s.rate,
                if s.layers == 1 {
                    "1 layer".to_string()
                } else {
                    format!("{} layers", s.layers)
                },
                s.attempts,
                if s.attempts == 1 { "" } else { "s" },
                100.0 * s.p_fail
            ),
        }
    }
}

impl Model for RetriesModel {
    type Event = RetriesEvent;
    type Record = RetriesRecord;
    type Frame = LanesFrame;
    const ID: &'static str = "retries";

    fn specs() -> Vec<ParamSpec> {
        spec::specs()
    }

    fn actions() -> Vec<ActionSpec> {
        vec![
            ActionSpec::new("add-clients", "Add clients")
                .arg("how many", Some("20"))
                .help("More clients start now, each reading the row and writing it back (contention experiment)."),
            ActionSpec::new("set-p", "Set the failure probability to")
                .arg("probability, 0 to 1", Some("1"))
                .help("The failing service fails this share of calls from now on (failing-service experiment)."),
        ]
    }

    fn build(params: &ParamSet, ctx: &mut Ctx<'_, Self>) -> Result<Self, ParamError> {
        let setup = Setup::from_params(params)?;
        let seed = ctx.seed;
        let (contention, amp) = match setup.scenario {
            Scenario::Contention => (Self::build_contention(&setup, seed), Vec::new()),
            Scenario::Amplification => {
                ctx.schedule(SimTime::ZERO, RetriesEvent::Arrive);
                (Vec::new(), Self::build_amp(&setup, seed))
            }
        };
        let mut model = RetriesModel {
            setup,
            contention,
            amp,
            sent: 0,
            arrivals: VecDeque::new(),
            waves: Vec::new(),
            now: SimTime::ZERO,
        };
        model.schedule_replays(ctx);
        Ok(model)
    }

    fn apply(&mut self, input: &Input, ctx: &mut Ctx<'_, Self>) -> Result<(), InputError> {
        match input.action.as_str() {
            "set-p" => {
                if self.setup.scenario != Scenario::Amplification {
                    return Err(InputError(
                        "set-p changes the failing service's failure probability; pick the failing-service experiment".into(),
                    ));
                }
                let arg = input.arg.as_deref().unwrap_or("").trim();
                let p: f64 = arg
                    .parse()
                    .ok()
                    .filter(|p: &f64| p.is_finite() && (0.0..=1.0).contains(p))
                    .ok_or_else(|| {
                        InputError(
                            "set-p needs a probability from 0 to 1, e.g. set-p:1 for a service that is down".into(),
                        )
                    })?;
                self.setup.p_fail = p;
                ctx.record(RetriesRecord::FailureRate { p });
                Ok(())
            }
            "add-clients" => {
                if self.setup.scenario != Scenario::Contention {
                    return Err(InputError(
                        "add-clients adds clients to the contention experiment; pick it first"
                            .into(),
                    ));
                }
                let room = MAX_CLIENTS - self.clients_now();
                let arg = input.arg.as_deref().unwrap_or("").trim();
                let count: u32 = arg
                    .parse()
                    .ok()
                    .filter(|k| (1..=room).contains(k))
                    .ok_or_else(|| {
                        InputError(if room == 0 {
                            format!("already {MAX_CLIENTS} clients, the most this lesson runs")
                        } else {
                            format!(
                                "add-clients needs a number from 1 to {room} (at most {MAX_CLIENTS} clients in all), e.g. add-clients:20"
                            )
                        })
                    })?;
                self.add_clients(count, ctx);
                ctx.record(RetriesRecord::ClientsAdded { count });
                Ok(())
            }
            other => Err(InputError(format!(
                "unknown action {other:?}; this lesson knows add-clients and set-p"
            ))),
        }
    }

    fn handle(&mut self, event: RetriesEvent, ctx: &mut Ctx<'_, Self>) {
        self.now = ctx.now;
        match event {
            RetriesEvent::Replay { lane } => self.replay(lane, ctx),
            RetriesEvent::Arrive => self.arrive(ctx),
            RetriesEvent::Return { lane, request } => self.call_returned(lane, request, ctx),
        }
    }

    fn frame(&self, now: SimTime) -> LanesFrame {
        let span = self.span_us();
        let t = now.as_us();
        let since = t.saturating_sub(span);
        let strip = |marks: &VecDeque<(u64, MarkKind)>| -> Vec<u64> {
            marks
                .iter()
                .filter(|(m, _)| *m >= since && *m <= t)
                .map(|&(m, k)| k.pack(m))
                .collect()
        };
        let n = self.clients_now();
        let mut lanes: Vec<LaneView> = self
            .contention
            .iter()
            .map(|l| LaneView {
                id: l.strategy.id().to_string(),
                label: l.strategy.label().to_string(),
                fill: f64::from(l.done) / f64::from(n.max(1)),
                gauge: format!("{} of {n} done", l.done),
                marks: strip(&l.marks),
                ticks_us: 0,
                window_us: 0,
                admitted: l.calls - l.conflicts,
                rejected: l.conflicts,
                extra: match l.completion_us {
                    Some(c) => format!("{} calls, all done at {:.2} s", l.calls, c as f64 / 1e6),
                    None => format!("{} calls", l.calls),
                },
            })
            .collect();
        let worst = f64::from(self.setup.attempts).powi(self.setup.layers as i32);
        lanes.extend(self.amp.iter().map(|l| {
            let per_request = if l.finished > 0 {
                l.finished_calls as f64 / l.finished as f64
            } else {
                0.0
            };
            let (fill, gauge) = match l.budgets.last() {
                Some(Budget::Grpc(g)) => (
                    g.milli_tokens() as f64 / (f64::from(self.setup.max_tokens) * 1e3),
                    format!(
                        "{:.1} of {} tokens{}",
                        g.milli_tokens() as f64 / 1e3,
                        self.setup.max_tokens,
                        if g.allows_retries() {
                            ""
                        } else {
                            ": no retries"
                        }
                    ),
                ),
                Some(Budget::Finagle(f)) => {
                    let mut f = f.clone();
                    let balance = f.balance(now).max(0);
                    (
                        (balance as f64 / 100.0).min(1.0),
                        format!("{balance} retries left"),
                    )
                }
                None => (
                    if worst > 0.0 {
                        per_request / worst
                    } else {
                        0.0
                    },
                    format!("{per_request:.2} calls per request"),
                ),
            };
            LaneView {
                id: l.policy.id().to_string(),
                label: l.policy.label().to_string(),
                fill: fill.clamp(0.0, 1.0),
                gauge,
                marks: strip(&l.marks),
                ticks_us: 0,
                window_us: 0,
                admitted: l.ok_calls,
                rejected: l.failed_calls,
                extra: if l.denied > 0 {
                    format!("{} retries refused", l.denied)
                } else if l.finished > 0 {
                    format!("×{per_request:.2} per request")
                } else {
                    String::new()
                },
            }
        }));
        let note = match self.setup.scenario {
            Scenario::Contention => match self
                .contention
                .iter()
                .filter(|l| l.completion_us.is_none())
                .count()
            {
                0 if t > 0 => "Every lane is done.".to_string(),
                _ if self.contention.iter().all(|l| l.calls == 0) => {
                    "No write yet: press play.".to_string()
                }
                left => format!(
                    "{left} lane{} still retrying.",
                    if left == 1 { "" } else { "s" }
                ),
            },
            Scenario::Amplification => match self.sent {
                0 => "No request yet: press play.".to_string(),
                n => format!("Request {n} of {} sent.", self.setup.requests),
            },
        };
        LanesFrame {
            now,
            span_us: span,
            title: self.title(),
            arrivals: self
                .arrivals
                .iter()
                .copied()
                .filter(|&a| a >= since && a <= t)
                .collect(),
            lanes,
            note,
        }
    }

    fn metrics(&self) -> Metrics {
        let mut scalars = Vec::new();
        let mut groups = Vec::new();
        match self.setup.scenario {
            Scenario::Contention => {
                self.contention_metrics(&mut scalars);
                groups.push(MetricGroup {
                    id: "calls_per_strategy",
                    label: "Calls per strategy",
                    unit: None,
                    values: self
                        .contention
                        .iter()
                        .map(|l| (l.strategy.label().to_string(), l.calls as f64))
                        .collect(),
                });
            }
            Scenario::Amplification => {
                self.amp_metrics(&mut scalars);
                groups.push(MetricGroup {
                    id: "calls_per_policy",
                    label: "Calls to the service per policy",
                    unit: None,
                    values: self
                        .amp
                        .iter()
                        .map(|l| (l.policy.label().to_string(), l.calls as f64))
                        .collect(),
                });
            }
        }
        Metrics { scalars, groups }
    }

    fn queries() -> Queries<Self> {
        Queries::new()
    }

    fn validate(&self) -> Result<(), String> {
        let n = self.clients_now();
        for l in &self.contention {
            let name = l.strategy.label();
            if l.done > n {
                return Err(format!("{name}: {} clients done of {n}", l.done));
            }
            if l.calls > l.total_calls {
                return Err(format!(
                    "{name}: {} writes replayed, more than the run's {}",
                    l.calls, l.total_calls
                ));
            }
            if l.calls - l.conflicts < u64::from(l.done) {
                return Err(format!(
                    "{name}: {} clients done but only {} writes accepted",
                    l.done,
                    l.calls - l.conflicts
                ));
            }
            if l.completion_us.is_some() != (l.done == n) {
                return Err(format!(
                    "{name}: a completion time without every client done"
                ));
            }
        }
        let worst = u64::from(self.setup.attempts).pow(self.setup.layers);
        for l in &self.amp {
            let name = l.policy.label();
            let in_flight = l.flights.len() as u64;
            if l.calls != l.ok_calls + l.failed_calls + in_flight {
                return Err(format!(
                    "{name}: {} calls ≠ {} ok + {} failed + {in_flight} in flight",
                    l.calls, l.ok_calls, l.failed_calls
                ));
            }
            if l.succeeded > l.finished {
                return Err(format!("{name}: more successes than finished requests"));
            }
            if l.finished_calls < l.finished || l.finished_calls > l.finished * worst {
                return Err(format!(
                    "{name}: {} calls for {} finished requests, outside 1 to {worst} each",
                    l.finished_calls, l.finished
                ));
            }
            if l.policy == Policy::NoRetry && l.finished_calls != l.finished {
                return Err(format!("{name}: a retry without retries"));
            }
        }
        Ok(())
    }
}
