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

mod amplification;
mod contention;
mod record;
mod spec;

use crate::model::{ActionSpec, Ctx, InputError, MetricGroup, Metrics, Model};
use crate::models::lanes::{LanesFrame, MarkKind, Recent};
use crate::params::{ParamError, ParamSet, ParamSpec};
use crate::query::Queries;
use crate::scenario::Input;
use crate::time::SimTime;
use amplification::AmpLane;
use contention::ContentionLane;
pub use record::{RetriesEvent, RetriesRecord};
use spec::Setup;
pub use spec::{Policy, Scenario, MAX_CLIENTS, MAX_WORST_CALLS};

/// The retries model.
#[derive(Clone, Debug)]
pub struct RetriesModel {
    setup: Setup,
    contention: Vec<ContentionLane>,
    amp: Vec<AmpLane>,
    /// Amplification: requests sent so far.
    sent: u64,
    /// Amplification: recent request times, for the top strip.
    arrivals: Recent,
    /// Contention: clients added after the start, `(time, count)`.
    waves: Vec<(SimTime, u32)>,
    now: SimTime,
}

/// A lane's recent marks: (time µs, kind), oldest first.
pub(super) type Marks = Recent;

/// Adds a mark at `t` and drops those older than `span` or beyond the lanes' limit.
pub(super) fn push_mark(marks: &mut Marks, t: u64, kind: MarkKind, span: u64) {
    marks.push(t, kind, span);
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
            arrivals: Recent::default(),
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
        let strip = |marks: &Marks| -> Vec<u64> { marks.packed(since, t) };
        let mut lanes = self.contention_views(&strip);
        lanes.extend(self.amp_views(now, &strip));
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
            arrivals: self.arrivals.times(since, t),
            // The contention experiment's clients all start at once: no stream to draw.
            offered: Some(match self.setup.scenario {
                Scenario::Contention => String::new(),
                Scenario::Amplification => "Requests sent".into(),
            }),
            counts: Some(match self.setup.scenario {
                Scenario::Contention => ("writes accepted".into(), "stale writes refused".into()),
                Scenario::Amplification => {
                    ("calls that succeeded".into(), "calls that failed".into())
                }
            }),
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
        self.validate_contention()?;
        self.validate_amp()?;
        Ok(())
    }
}
