//! The load-balancing family's model (issue 13): one balancer in front of servers, on the
//! request simulator ([`crate::requests`]), with every strategy of
//! [`crate::balance::strategies`] and a pasted nginx/HAProxy config.
//!
//! **How it runs.** The model holds a [`requests::Simulation`] and advances it on a fixed tick:
//! every `tick` of simulated time (`max(1 ms, duration / 4096)`, see [`tick_us`]) it processes
//! every simulator event up to that moment and writes what happened to the trace. An input is
//! exact, not ticked: the simulator is first advanced to the input's moment, then the change is
//! applied then. The run is therefore a function of (seed, parameters, inputs) like every
//! model, and the engine seeks it by replay. The tick only decides when the log *learns* of
//! an event and how fresh a frame is: each record keeps the simulator's own time, which its
//! sentence states, and the frame's requests carry theirs. (Why a tick and not one step per
//! simulator event: the engine checkpoints the whole model every 64 steps, and the simulator
//! keeps every latency for exact percentiles, so memory grows as checkpoints × requests; a
//! bounded number of ticks keeps it linear in the requests, at most [`setup::MAX_REQUESTS`].)
//!
//! **What the balancer decided, and why.** The strategy is wrapped in a recorder (a
//! [`Balancer`] that forwards every call) which, after each pick, asks the strategy for its
//! [`Explanation`] with the same views (as the simulator itself does when it records
//! explanations), and passes every pick and response to the model. The model turns them into
//! one record per pick ("req 17 → B: fewest in flight …"), drop, timeout and error; health
//! checks' verdicts and drained removals are read from the balancer's views after each advance.
//! The recorder and the model share the list through an `Rc`; the model empties it before every
//! method returns, so whatever copies the engine keeps (checkpoints) never see it non-empty.
//!
//! **Parameters** ([`BalancerModel::specs`]): the strategy, servers, weights and speeds (text
//! lists), workers and queue limit, arrivals and costs, a per-attempt timeout and retries
//! (nginx's `proxy_next_upstream error timeout`), active health checks, passive checks
//! (`max_fails` / `fail_timeout`), slow start, the client key space, the capacity threshold's
//! `threshold_percent` (capacities are the weights), the duration, and `config`:
//! a pasted nginx `upstream` block or HAProxy `backend` which, when given, decides the servers,
//! weights and strategy (and active checks and slow start); what it holds that is not modelled
//! is listed in the `notices` metric, the frame and the log, never dropped silently.
//!
//! **Actions**: `slow` (a server `n` times slower; a factor under 1 speeds it up), `kill`,
//! `revive`, `add` and `remove` (drains, then leaves).
//!
//! **Clients**: `clients` keys, each request's drawn uniformly or by Zipf popularity (`popularity`,
//! `zipf_s`: client 0 the busiest). [`stickiness::Stickiness`] records which server each client's
//! requests went to: the `moved_clients`, `moved_percent` and `sticky_percent` metrics.
//!
//! **Invariants** ([`BalancerModel::validate`]): the simulator's own (every arrival ended
//! exactly once or unfinished; in flight per server = unfinished attempts there; workers and
//! queues consistent), the model's per-server counts equal the simulator's, and every pick of a
//! server reached it.

pub mod frame;
pub mod setup;
pub mod stickiness;

use crate::engine::Simulation as Run;
use crate::model::{ActionSpec, Choice, Ctx, InputError, Metric, MetricGroup, MetricValue};
use crate::model::{Metrics, Model};
use crate::params::{ParamError, ParamSet, ParamSpec};
use crate::query::Queries;
use crate::requests::{
    self, Action, AttemptOutcome, Balancer, Explanation, Membership, RequestInfo, Response,
    ServerId, ServerSpec, ServerState,
};
use crate::rng::SimRng;
use crate::scenario::Input;
use crate::time::SimTime;
use crate::trace::Narrate;
use frame::{BalanceFrame, FramePick, FrameRequest, FrameScore, FrameServer};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

/// Requests a frame shows (the newest).
pub const FRAME_REQUESTS: usize = 64;
/// Picks kept for [`Balancing::picks`] (the first ones of the run).
pub const KEPT_PICKS: usize = 1_000;
/// Ticks a run's arrivals span at most (see [`tick_us`]).
pub const TICKS: u64 = 4_096;

/// The model's tick for a run of `duration`: `max(1 ms, duration / 4096)`.
pub fn tick_us(duration: SimTime) -> u64 {
    (duration.as_us() / TICKS).max(1_000)
}

/// What the recorder saw.
#[derive(Clone, Debug)]
enum Seen {
    Pick {
        at: SimTime,
        request: RequestInfo,
        chosen: Option<ServerId>,
        explanation: Explanation,
    },
    Response {
        at: SimTime,
        response: Response,
    },
}

/// The strategy, recorded: forwards every call and keeps each pick with its explanation and
/// each response, for the model.
#[derive(Clone)]
struct Recorder {
    inner: Box<dyn Balancer>,
    sink: Rc<RefCell<Vec<Seen>>>,
    /// Asks the strategy to explain each pick (off with `narration = events`: most of a pick's
    /// cost is its explanation's text).
    explain: bool,
}

impl Balancer for Recorder {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn pick(
        &mut self,
        now: SimTime,
        request: &RequestInfo,
        servers: &[requests::BackendView],
        rng: &mut SimRng,
    ) -> Option<ServerId> {
        let chosen = self.inner.pick(now, request, servers, rng);
        let explanation = if self.explain {
            self.inner.explain(now, request, servers)
        } else {
            Explanation {
                chosen,
                scores: Vec::new(),
                summary: String::new(),
            }
        };
        self.sink.borrow_mut().push(Seen::Pick {
            at: now,
            request: *request,
            chosen,
            explanation,
        });
        chosen
    }

    fn shunned(&self, now: SimTime, servers: &[requests::BackendView]) -> Vec<ServerId> {
        self.inner.shunned(now, servers)
    }

    fn on_response(&mut self, now: SimTime, response: &Response) {
        self.inner.on_response(now, response);
        self.sink.borrow_mut().push(Seen::Response {
            at: now,
            response: *response,
        });
    }

    fn explain(
        &self,
        now: SimTime,
        request: &RequestInfo,
        servers: &[requests::BackendView],
    ) -> Explanation {
        self.inner.explain(now, request, servers)
    }
}

/// What the model records.
#[derive(Clone, Debug, PartialEq)]
pub enum BalanceRecord {
    /// The run's setup.
    Built {
        /// The strategy.
        strategy: String,
        /// Servers at the start.
        servers: u32,
        /// The model's tick, µs.
        tick_us: u64,
    },
    /// Something of a pasted config that is not modelled.
    Notice(String),
    /// The balancer picked a server for an attempt (`server: None`: none was available).
    Pick {
        /// When.
        at: SimTime,
        /// The request.
        req: u64,
        /// The attempt (2 for the first retry).
        attempt: u32,
        /// The server.
        server: Option<String>,
        /// The strategy's explanation, in one sentence.
        summary: String,
    },
    /// An attempt failed.
    Failed {
        /// When the balancer learned it.
        at: SimTime,
        /// The request.
        req: u64,
        /// The attempt.
        attempt: u32,
        /// The server.
        server: String,
        /// How (`dropped`, `error`, `timed-out`).
        outcome: &'static str,
        /// From sending the attempt to the failure, µs.
        after_us: u64,
    },
    /// Health checks changed their verdict on a server.
    Health {
        /// The server.
        server: String,
        /// Marked up (true) or down.
        up: bool,
    },
    /// A learner's change: killed, revived, slowed, added, draining.
    Changed {
        /// The server.
        server: String,
        /// What happened to it, in words.
        what: String,
    },
    /// A drained server left.
    Removed {
        /// The server.
        server: String,
    },
    /// The simulator refused to go on (a cap), and why.
    Stopped(String),
    /// Arrivals are over and every request has ended.
    Finished {
        /// Requests that arrived.
        arrivals: u64,
        /// Requests served.
        served: u64,
    },
}

fn ms(t: SimTime) -> String {
    format!("{:.3} ms", t.as_us() as f64 / 1_000.0)
}

impl Narrate for BalanceRecord {
    fn narrate(&self) -> String {
        match self {
            BalanceRecord::Built {
                strategy,
                servers,
                tick_us,
            } => format!(
                "{strategy} over {servers} servers; the log catches up every {:.1} ms of \
                 simulated time, and each line gives the moment it happened.",
                *tick_us as f64 / 1_000.0
            ),
            BalanceRecord::Notice(text) => format!("Not modelled: {text}."),
            BalanceRecord::Pick {
                at,
                req,
                attempt,
                server,
                summary,
            } => {
                let retry = if *attempt > 1 {
                    format!(", retry {}", attempt - 1)
                } else {
                    String::new()
                };
                match server {
                    Some(s) => format!("req {req}{retry} → {s}: {summary} (at {}).", ms(*at)),
                    None => format!(
                        "req {req}{retry}: no server available: {summary} (at {}).",
                        ms(*at)
                    ),
                }
            }
            BalanceRecord::Failed {
                at,
                req,
                attempt,
                server,
                outcome,
                after_us,
            } => {
                let what = match *outcome {
                    "dropped" => format!("dropped by {server}: its queue was full"),
                    "timed-out" => format!(
                        "timed out on {server} after {:.1} ms",
                        *after_us as f64 / 1_000.0
                    ),
                    _ => format!("failed on {server}: it is down or leaving"),
                };
                let retry = if *attempt > 1 {
                    format!(" (retry {})", attempt - 1)
                } else {
                    String::new()
                };
                format!("req {req}{retry} {what} (at {}).", ms(*at))
            }
            BalanceRecord::Health { server, up: true } => {
                format!("Health checks marked {server} up again.")
            }
            BalanceRecord::Health { server, up: false } => {
                format!("Health checks marked {server} down: the balancer stops sending to it.")
            }
            BalanceRecord::Changed { server, what } => format!("{server} {what}."),
            BalanceRecord::Removed { server } => {
                format!("{server} has drained and left the pool.")
            }
            BalanceRecord::Stopped(why) => format!("The run stopped: {why}."),
            BalanceRecord::Finished { arrivals, served } => format!(
                "Arrivals are over and every request has ended: {served} of {arrivals} served."
            ),
        }
    }

    fn is_milestone(&self) -> bool {
        matches!(
            self,
            BalanceRecord::Health { .. }
                | BalanceRecord::Changed { .. }
                | BalanceRecord::Removed { .. }
                | BalanceRecord::Stopped(_)
                | BalanceRecord::Finished { .. }
        )
    }
}

/// The model's own event: advance the simulator to now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tick;

/// One pick, for [`Balancing::picks`].
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PickLine {
    /// The request.
    pub req: u64,
    /// The attempt.
    pub attempt: u32,
    /// The server picked (`None`: none available).
    pub server: Option<String>,
    /// The explanation's summary.
    pub summary: String,
}

/// The load-balancing family's query (see [`crate::query`]).
pub trait Balancing {
    /// The first picks of the run (at most [`KEPT_PICKS`]), in order.
    fn picks(&self) -> &[PickLine];
    /// The strategy's label.
    fn strategy(&self) -> &str;
    /// What a pasted config holds that is not modelled.
    fn notices(&self) -> &[String];
}

/// The load-balancing family's query of a run, if its model answers it.
pub fn balancing(run: &dyn Run) -> Option<&dyn Balancing> {
    run.query::<dyn Balancing>()
}

/// Per-server counts of attempts, from the responses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Counts {
    picked: u64,
    served: u64,
    dropped: u64,
    timed_out: u64,
    errors: u64,
    /// The most attempts sent and not yet answered at once.
    max_in_flight: u64,
}

/// A recent request as the frame shows it.
#[derive(Clone, Debug)]
struct Recent {
    id: u64,
    key: u64,
    server: Option<u32>,
    attempt: u32,
    arrived: SimTime,
    sent: SimTime,
    end: Option<SimTime>,
    outcome: Option<AttemptOutcome>,
    /// The latest attempt failed and another may follow.
    between: bool,
}

/// The load-balancing model (see the module docs).
#[derive(Clone)]
pub struct BalancerModel {
    sim: requests::Simulation,
    sink: Rc<RefCell<Vec<Seen>>>,
    strategy: String,
    tick_us: u64,
    duration: SimTime,
    workers: u32,
    queue_limit: Option<u32>,
    counts: Vec<Counts>,
    no_server_picks: u64,
    /// Health and membership as last seen, to notice changes.
    healthy: Vec<bool>,
    membership: Vec<Membership>,
    recent: VecDeque<Recent>,
    last_pick: Option<Rc<FramePick>>,
    picks: Rc<Vec<PickLine>>,
    notices: Rc<Vec<String>>,
    retry: requests::RetryPolicy,
    stopped: Option<String>,
    finished: bool,
    /// A trace line per pick (`narration = picks`), or only the events around them.
    narrate_picks: bool,
    /// Which server each client's requests went to (hashing and affinity lessons).
    stickiness: stickiness::Stickiness,
}

impl BalancerModel {
    /// The simulator, to read its report, servers and views.
    pub fn simulation(&self) -> &requests::Simulation {
        &self.sim
    }

    /// Advances the simulator to `t` and records what happened.
    fn advance(&mut self, t: SimTime, ctx: &mut Ctx<'_, Self>) {
        if self.stopped.is_some() {
            return;
        }
        let result = self.sim.advance_to(t);
        self.absorb(ctx);
        if let Err(e) = result {
            self.stop(e, ctx);
        }
        self.notice_views(ctx);
        if !self.finished && self.sim.is_finished() && t >= self.duration {
            self.finished = true;
            let r = self.sim.report();
            ctx.record(BalanceRecord::Finished {
                arrivals: r.arrivals,
                served: r.served,
            });
        }
    }

    fn stop(&mut self, why: String, ctx: &mut Ctx<'_, Self>) {
        ctx.record(BalanceRecord::Stopped(why.clone()));
        self.stopped = Some(why);
    }

    fn name(&self, id: ServerId) -> String {
        self.sim
            .views()
            .get(id.0 as usize)
            .map_or_else(|| id.to_string(), |v| v.name.to_string())
    }

    /// Turns what the recorder saw into records, counts and the frame's state.
    fn absorb(&mut self, ctx: &mut Ctx<'_, Self>) {
        let seen = std::mem::take(&mut *self.sink.borrow_mut());
        let n = self.sim.servers().len();
        if self.counts.len() < n {
            self.counts.resize(n, Counts::default());
        }
        for s in seen {
            match s {
                Seen::Pick {
                    at,
                    request,
                    chosen,
                    explanation,
                } => self.on_pick(at, request, chosen, explanation, ctx),
                Seen::Response { at, response } => self.on_response(at, response, ctx),
            }
        }
    }

    fn on_pick(
        &mut self,
        at: SimTime,
        request: RequestInfo,
        chosen: Option<ServerId>,
        explanation: Explanation,
        ctx: &mut Ctx<'_, Self>,
    ) {
        let server = chosen.map(|s| self.name(s));
        match chosen {
            Some(s) => {
                let c = &mut self.counts[s.0 as usize];
                c.picked += 1;
                let answered = c.served + c.dropped + c.timed_out + c.errors;
                c.max_in_flight = c.max_in_flight.max(c.picked - answered);
            }
            None => self.no_server_picks += 1,
        }
        if let Some(s) = chosen {
            self.stickiness.record(request.key, s.0);
        }
        if self.picks.len() < KEPT_PICKS {
            Rc::make_mut(&mut self.picks).push(PickLine {
                req: request.id,
                attempt: request.attempt,
                server: server.clone(),
                summary: explanation.summary.clone(),
            });
        }
        // The recent requests: a new one joins (the oldest leaves); a retry updates its own.
        match self.recent.iter_mut().find(|r| r.id == request.id) {
            Some(r) => {
                if let Some(s) = chosen {
                    r.server = Some(s.0);
                    r.attempt = request.attempt;
                    r.sent = at;
                }
                r.between = false;
            }
            None if request.attempt == 1 => {
                if self.recent.len() == FRAME_REQUESTS {
                    self.recent.pop_front();
                }
                self.recent.push_back(Recent {
                    id: request.id,
                    key: request.key,
                    server: chosen.map(|s| s.0),
                    attempt: 1,
                    arrived: at,
                    sent: at,
                    end: None,
                    outcome: None,
                    between: false,
                });
            }
            None => {}
        }
        if chosen.is_none() {
            // No server: the simulator ends the request now (its first attempt fails, or a
            // retry keeps the previous attempt's outcome).
            if let Some(r) = self.recent.iter_mut().find(|r| r.id == request.id) {
                r.end = Some(at);
                r.outcome = Some(if request.attempt == 1 {
                    AttemptOutcome::Error
                } else {
                    r.outcome.unwrap_or(AttemptOutcome::Error)
                });
                r.between = false;
            }
        }
        self.last_pick = Some(Rc::new(FramePick {
            req: request.id,
            attempt: request.attempt,
            at,
            chosen: chosen.map(|s| s.0),
            summary: explanation.summary.clone(),
            scores: explanation
                .scores
                .into_iter()
                .map(|s| FrameScore {
                    server: s.server.0,
                    score: s.score.filter(|x| x.is_finite()),
                    text: s.text,
                })
                .collect(),
        }));
        if !self.narrate_picks {
            return;
        }
        ctx.record(BalanceRecord::Pick {
            at,
            req: request.id,
            attempt: request.attempt,
            server,
            summary: explanation.summary,
        });
    }

    fn on_response(&mut self, at: SimTime, response: Response, ctx: &mut Ctx<'_, Self>) {
        let i = response.server.0 as usize;
        let c = &mut self.counts[i];
        match response.outcome {
            AttemptOutcome::Served => c.served += 1,
            AttemptOutcome::Dropped => c.dropped += 1,
            AttemptOutcome::TimedOut => c.timed_out += 1,
            AttemptOutcome::Error => c.errors += 1,
        }
        let retries_left = self.sim_retry_allows(&response);
        if let Some(r) = self.recent.iter_mut().find(|r| r.id == response.request.id) {
            r.outcome = Some(response.outcome);
            if response.ok() || !retries_left {
                r.end = Some(at);
                r.between = false;
            } else {
                // Another attempt may follow; if none can be placed the request ends with
                // this outcome (its `end` is set by that pick).
                r.between = true;
            }
        }
        if !response.ok() {
            ctx.record(BalanceRecord::Failed {
                at,
                req: response.request.id,
                attempt: response.request.attempt,
                server: self.name(response.server),
                outcome: response.outcome.name(),
                after_us: response.latency_us,
            });
        }
    }

    /// Whether the retry policy may try this failed attempt again.
    fn sim_retry_allows(&self, r: &Response) -> bool {
        let p = self.retry;
        !r.ok() && r.request.attempt <= p.max_retries && p.covers(r.outcome)
    }
}

impl BalancerModel {
    /// Records health checks' new verdicts and drained removals, read from the balancer's views.
    fn notice_views(&mut self, ctx: &mut Ctx<'_, Self>) {
        let mut changes = Vec::new();
        for (i, v) in self.sim.views().iter().enumerate() {
            if i >= self.healthy.len() {
                self.healthy.push(v.healthy);
                self.membership.push(v.membership);
                continue;
            }
            if self.healthy[i] != v.healthy {
                self.healthy[i] = v.healthy;
                changes.push(BalanceRecord::Health {
                    server: v.name.to_string(),
                    up: v.healthy,
                });
            }
            if self.membership[i] != v.membership {
                self.membership[i] = v.membership;
                if v.membership == Membership::Removed {
                    changes.push(BalanceRecord::Removed {
                        server: v.name.to_string(),
                    });
                }
            }
        }
        for c in changes {
            ctx.record(c);
        }
    }

    /// The id of the server called `name`.
    fn find(&self, name: &str) -> Result<ServerId, InputError> {
        let name = name.trim();
        self.sim
            .views()
            .iter()
            .find(|v| &*v.name == name)
            .map(|v| v.id)
            .ok_or_else(|| {
                let names: Vec<&str> = self.sim.views().iter().map(|v| &*v.name).collect();
                InputError(format!(
                    "no server {name:?}; the servers are {}",
                    names.join(", ")
                ))
            })
    }

    /// The first name A, B, … that no server has.
    fn next_name(&self) -> String {
        (0..)
            .map(setup::server_name)
            .find(|n| self.sim.views().iter().all(|v| &*v.name != n))
            .expect("names are unbounded")
    }
}

/// `B`, `B 10`, `B x10`, `B*10`, `B:10`: a server and a slow-down factor (default 4).
fn parse_slow(arg: &str) -> Result<(&str, f64), InputError> {
    let arg = arg.trim();
    let (name, rest) = match arg.find([' ', '*', ':', ',']) {
        Some(i) => (&arg[..i], arg[i + 1..].trim()),
        None => (arg, ""),
    };
    let rest = rest.trim_start_matches(['x', '×', '*']).trim();
    let factor = if rest.is_empty() {
        4.0
    } else {
        rest.parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .ok_or_else(|| {
                InputError(format!(
                    "slow needs a server and an optional factor, like `B` or `B 10`, not {arg:?}"
                ))
            })?
    };
    if !(0.001..=1_000.0).contains(&factor) {
        return Err(InputError(format!(
            "the slow-down factor must be 0.001–1000 (under 1 speeds the server up), got {factor}"
        )));
    }
    if name.is_empty() {
        return Err(InputError("slow needs a server, like `B` or `B 10`".into()));
    }
    Ok((name, factor))
}

fn int(v: u64) -> MetricValue {
    MetricValue::Int(i64::try_from(v).unwrap_or(i64::MAX))
}

fn ms_of(us: Option<u64>) -> MetricValue {
    us.map_or(MetricValue::None, |u| {
        MetricValue::Float(u as f64 / 1_000.0)
    })
}

impl Model for BalancerModel {
    type Event = Tick;
    type Record = BalanceRecord;
    type Frame = BalanceFrame;

    const ID: &'static str = "load-balancer";

    fn specs() -> Vec<ParamSpec> {
        vec![
            ParamSpec::choice("strategy", "Strategy", "round-robin", setup::STRATEGIES)
                .help("How the balancer picks a server for each request."),
            ParamSpec::int("servers", "Servers", 4, 1, setup::MAX_SERVERS, 1)
                .help("Servers at the start, named A, B, C, …"),
            ParamSpec::text("weights", "Weights", "", 4_000).help(
                "One weight per server, 1–1000, separated by commas (5,1,1); empty: all 1.",
            ),
            ParamSpec::text("speeds", "Speeds", "", 4_000).help(
                "One speed per server, separated by commas (1,1,0.5: C is twice as slow); empty: all 1.",
            ),
            ParamSpec::int("workers", "Workers per server", 1, 1, 1_000, 1)
                .help("Requests a server works on at once; the rest wait in its queue."),
            ParamSpec::int("queue_limit", "Queue limit", -1, -1, 1_000_000, 1).help(
                "Requests that may wait at a server; more are dropped (503). −1: unbounded.",
            ),
            ParamSpec::choice(
                "arrival",
                "Arrivals",
                "poisson",
                &[
                    ("poisson", "Poisson (random, memoryless)"),
                    ("constant", "Evenly spaced"),
                    ("bursts", "Bursts (alternating seconds at 1.75× and 0.25×)"),
                ],
            )
            .help("When requests arrive; the mean rate is the arrival rate for every shape."),
            ParamSpec::float("rate", "Arrival rate", 300.0, 0.01, 100_000.0, 1.0)
                .unit("req/s")
                .help("Requests per simulated second, on average: for the whole pool, or for each server (below)."),
            ParamSpec::choice(
                "rate_per",
                "Arrival rate per",
                "pool",
                &[
                    ("pool", "The whole pool"),
                    ("server", "Server (× the servers at the start)"),
                ],
            )
            .help("Whether the arrival rate is the pool's or each server's: per server, more servers bring more traffic and each stays as busy."),
            ParamSpec::choice(
                "cost",
                "Request cost",
                "exponential",
                &[
                    ("exponential", "Exponential"),
                    ("constant", "Constant"),
                    ("lognormal", "Log-normal (σ = 1)"),
                    ("pareto", "Pareto, heavy tail (α = 1.5)"),
                    ("bimodal", "Bimodal (10 % cost 10× the rest)"),
                ],
            )
            .help("How long a request takes at speed 1; every shape has the mean below."),
            ParamSpec::float("mean_ms", "Mean cost", 10.0, 0.001, 60_000.0, 0.1)
                .unit("ms")
                .help("The mean time a request takes on a server of speed 1."),
            ParamSpec::int("timeout_ms", "Timeout", 0, 0, 3_600_000, 1)
                .unit("ms")
                .help("Per attempt: the balancer gives up after this long (the server does not know). 0: never."),
            ParamSpec::int("retries", "Retries", 0, 0, 10, 1).help(
                "Retries on another server after an error or a timeout (nginx proxy_next_upstream).",
            ),
            ParamSpec::int("check_interval_ms", "Health check interval", 0, 0, 3_600_000, 1)
                .unit("ms")
                .help("How often the balancer probes each server. 0: no active checks (it never notices a dead server)."),
            ParamSpec::int("check_timeout_ms", "Health check timeout", 1_000, 1, 3_600_000, 1)
                .unit("ms")
                .help("How long a probe of a dead server waits before it counts as failed."),
            ParamSpec::int("fall", "Failures to mark down", 1, 1, 100, 1)
                .help("Consecutive failed probes that mark a server down (HAProxy fall)."),
            ParamSpec::int("rise", "Successes to mark up", 1, 1, 100, 1)
                .help("Consecutive passing probes that mark it up again (HAProxy rise)."),
            ParamSpec::int("max_fails", "Max fails", 0, 0, 1_000_000, 1).help(
                "Passive checks (nginx max_fails): failures within fail_timeout that take a server out for fail_timeout. 0: off.",
            ),
            ParamSpec::int("fail_timeout_s", "Fail timeout", 10, 1, 2_147_483, 1)
                .unit("s")
                .help("nginx fail_timeout: the window failures are counted in, and how long the server stays out."),
            ParamSpec::int("slow_start_ms", "Slow start", 0, 0, 3_600_000, 1)
                .unit("ms")
                .help("nginx slow_start: a server added or marked up again ramps its weight from 0 over this long."),
            ParamSpec::int("clients", "Clients", 1_000, 1, 1_000_000, 1)
                .help("Distinct clients sending requests: the keys hashing strategies read."),
            ParamSpec::choice(
                "popularity",
                "Client popularity",
                "uniform",
                &[("uniform", "Uniform"), ("zipf", "Zipf (a few busy clients)")],
            )
            .help("Which client sends each request: all alike, or Zipf by client number (client 0 the busiest)."),
            ParamSpec::float("zipf_s", "Zipf exponent s", 1.0, 0.0, 3.0, 0.1).help(
                "Skew of the Zipf popularity: 0 is uniform, 1 is classic Zipf, higher is hotter.",
            ),
            ParamSpec::int("d", "Choices (d)", 2, 1, 1_000, 1)
                .help("Power of d choices: servers sampled per request."),
            ParamSpec::int("aperture", "Aperture", 3, 1, 1_000, 1)
                .help("Aperture: the servers in the balancer's window."),
            ParamSpec::float("c", "Load bound (c)", 1.25, 1.0, 1_000.0, 0.05).help(
                "Bounded loads: no server takes more than c times the mean in flight.",
            ),
            ParamSpec::int("ewma_ms", "EWMA decay", 10_000, 1, 3_600_000, 1)
                .unit("ms")
                .help("Least response time and peak EWMA: how fast old latencies are forgotten."),
            ParamSpec::int("threshold_percent", "Threshold", 80, 1, 100, 1)
                .unit("%")
                .help("Capacity threshold: a server takes requests in green wave mode below this share of its capacity (its weight, in requests in flight); when none is below it, emergency mode."),
            ParamSpec::int("duration_s", "Duration", 60, 1, 3_600, 1)
                .unit("s")
                .help("Requests arrive for this long; then the queues drain."),
            ParamSpec::text_block("config", "Pasted config", "", 65_536).help(
                "An nginx upstream block or HAProxy backend; when given it decides the servers, weights and strategy.",
            ),
            ParamSpec::choice(
                "narration",
                "Narration",
                "picks",
                &[
                    ("picks", "Every pick, with the strategy's reasons"),
                    ("events", "Failures, retries, health and changes only"),
                ],
            )
            .help("`events` skips the line per pick and its explanation: the same numbers, several times faster (sweeps use it)."),
        ]
    }

    fn actions() -> Vec<ActionSpec> {
        vec![
            ActionSpec::new("slow", "Slow a server").pick("server").help(
                "Makes it 4 times slower for requests that start from now (`B 10` for another factor; under 1 speeds it up).",
            ),
            ActionSpec::new("kill", "Kill a server").pick("server").help(
                "It loses what it holds and refuses requests; the balancer sends it more until its checks notice.",
            ),
            ActionSpec::new("revive", "Revive a server")
                .pick("server")
                .help("A killed server comes back, empty."),
            ActionSpec::new("add", "Add a server").arg("name", None).help(
                "A new server (weight 1, speed 1, the run's workers and queue limit), named or the next letter.",
            ),
            ActionSpec::new("remove", "Remove a server").pick("server").help(
                "It takes no new requests, finishes what it holds, then leaves.",
            ),
        ]
    }

    fn build(params: &ParamSet, ctx: &mut Ctx<'_, Self>) -> Result<Self, ParamError> {
        let s = setup::setup(params)?;
        let narrate_picks = params.text("narration") != "events";
        let sink = Rc::new(RefCell::new(Vec::new()));
        let recorder = Recorder {
            inner: s.balancer,
            sink: sink.clone(),
            explain: narrate_picks,
        };
        let duration = s.cfg.duration;
        let retry = s.cfg.retry;
        let workers = s.cfg.servers[0].workers;
        let queue_limit = s.cfg.servers[0].queue_limit;
        let n = s.cfg.servers.len();
        let sim = requests::Simulation::new(s.cfg, Box::new(recorder), ctx.seed)
            .map_err(|e| setup::bad("rate", "", e))?;
        let model = BalancerModel {
            healthy: vec![true; n],
            membership: vec![Membership::Active; n],
            sim,
            sink,
            strategy: s.strategy,
            tick_us: tick_us(duration),
            duration,
            workers,
            queue_limit,
            counts: vec![Counts::default(); n],
            no_server_picks: 0,
            recent: VecDeque::new(),
            last_pick: None,
            picks: Rc::new(Vec::new()),
            notices: Rc::new(s.notices),
            retry,
            stopped: None,
            finished: false,
            narrate_picks,
            stickiness: stickiness::Stickiness::default(),
        };
        ctx.record(BalanceRecord::Built {
            strategy: model.strategy.clone(),
            servers: n as u32,
            tick_us: model.tick_us,
        });
        for notice in model.notices.iter() {
            ctx.record(BalanceRecord::Notice(notice.clone()));
        }
        ctx.schedule(ctx.now.plus_us(model.tick_us), Tick);
        Ok(model)
    }

    fn apply(&mut self, input: &Input, ctx: &mut Ctx<'_, Self>) -> Result<(), InputError> {
        self.advance(ctx.now, ctx);
        if let Some(why) = &self.stopped {
            return Err(InputError(format!("the run has stopped: {why}")));
        }
        let arg = input.arg.as_deref().unwrap_or("").trim();
        let needs_server = || InputError(format!("{} needs a server, like `B`", input.action));
        let (action, server, what) = match input.action.as_str() {
            "slow" => {
                let (name, factor) = parse_slow(arg)?;
                let id = self.find(name)?;
                let speed = self.sim.servers()[id.0 as usize].speed() / factor;
                let what = format!(
                    "is now {}× slower (speed {}) for requests that start from now",
                    crate::balance::strategies::num(factor),
                    crate::balance::strategies::num(speed)
                );
                (Action::SetSpeed(id, speed), self.name(id), what)
            }
            "kill" => {
                if arg.is_empty() {
                    return Err(needs_server());
                }
                let id = self.find(arg)?;
                let s = &self.sim.servers()[id.0 as usize];
                let held = s.busy_workers() + s.queue_len();
                let what = match held {
                    0 => "was killed; it held no requests".to_string(),
                    1 => "was killed, losing the 1 request it held".to_string(),
                    n => format!("was killed, losing the {n} requests it held"),
                };
                (Action::Kill(id), self.name(id), what)
            }
            "revive" => {
                if arg.is_empty() {
                    return Err(needs_server());
                }
                let id = self.find(arg)?;
                (
                    Action::Revive(id),
                    self.name(id),
                    "came back, empty".to_string(),
                )
            }
            "remove" => {
                if arg.is_empty() {
                    return Err(needs_server());
                }
                let id = self.find(arg)?;
                (
                    Action::Remove(id),
                    self.name(id),
                    "is draining: it takes no new requests and leaves once it has finished"
                        .to_string(),
                )
            }
            "add" => {
                let name = if arg.is_empty() {
                    self.next_name()
                } else {
                    arg.to_string()
                };
                if self.sim.views().iter().any(|v| *v.name == *name) {
                    return Err(InputError(format!("there is already a server {name}")));
                }
                let mut spec = ServerSpec::new(&name).workers(self.workers);
                if let Some(l) = self.queue_limit {
                    spec = spec.queue_limit(l);
                }
                (Action::Add(spec), name, "joined the pool".to_string())
            }
            other => {
                return Err(InputError(format!(
                    "unknown action {other:?}; this lesson knows slow, kill, revive, add and remove"
                )))
            }
        };
        self.sim.apply(action).map_err(InputError)?;
        ctx.record(BalanceRecord::Changed { server, what });
        let n = self.sim.servers().len();
        if self.counts.len() < n {
            self.counts.resize(n, Counts::default());
        }
        self.absorb(ctx);
        self.notice_views(ctx);
        Ok(())
    }

    fn handle(&mut self, _event: Tick, ctx: &mut Ctx<'_, Self>) {
        self.advance(ctx.now, ctx);
        if !self.finished && self.stopped.is_none() {
            ctx.schedule(ctx.now.plus_us(self.tick_us), Tick);
        }
    }

    fn frame(&self, now: SimTime) -> BalanceFrame {
        let t = self.sim.now();
        let shunned = self.sim.balancer().shunned(t, self.sim.views());
        let servers = self
            .sim
            .servers()
            .iter()
            .zip(self.sim.views())
            .enumerate()
            .map(|(i, (s, v))| {
                let c = self.counts.get(i).copied().unwrap_or_default();
                let state = s.state();
                FrameServer {
                    name: s.spec.name.clone(),
                    weight: v.weight,
                    effective_weight: v.effective_weight_milli as f64 / 1_000.0,
                    speed: s.speed(),
                    healthy: v.healthy,
                    shunned: shunned.contains(&v.id),
                    alive: matches!(state, ServerState::Up | ServerState::Draining),
                    state: state.name().to_string(),
                    in_flight: v.in_flight,
                    queue: s.queue_len(),
                    busy: s.busy_workers(),
                    workers: s.spec.workers,
                    served: c.served,
                    dropped: c.dropped,
                    timed_out: c.timed_out,
                    errors: c.errors,
                    utilisation: s.utilisation(t),
                }
            })
            .collect();
        let requests = self
            .recent
            .iter()
            .map(|r| {
                let in_service = r.server.and_then(|s| {
                    self.sim.servers()[s as usize]
                        .in_service()
                        .iter()
                        .find(|j| j.job.req == r.id && j.job.attempt == r.attempt)
                });
                let state = match (r.end, r.outcome) {
                    (Some(_), Some(o)) => o.name(),
                    _ if r.between => "retrying",
                    _ if in_service.is_some() => "in-service",
                    _ => "queued",
                };
                FrameRequest {
                    id: r.id,
                    key: r.key,
                    server: r.server,
                    attempt: r.attempt,
                    arrived: r.arrived,
                    sent: r.sent,
                    start: in_service.map(|j| j.start),
                    end: r.end,
                    state: state.to_string(),
                }
            })
            .collect();
        BalanceFrame {
            now,
            strategy: self.strategy.clone(),
            servers,
            requests,
            last_pick: self.last_pick.as_deref().cloned(),
            notices: self.notices.to_vec(),
        }
    }

    fn metrics(&self) -> Metrics {
        let r = self.sim.report();
        let m = |id, label, value, unit, help| Metric {
            id,
            label,
            value,
            unit,
            help,
        };
        let l = &r.latency;
        let scalars = vec![
            m("strategy", "Strategy", MetricValue::Text(self.strategy.clone()), None, "The balancing strategy."),
            m("arrivals", "Arrivals", int(r.arrivals), None, "Requests that arrived."),
            m("served", "Served", int(r.served), None, "Requests answered in time."),
            m("dropped", "Dropped", int(r.dropped), None, "Requests whose last attempt found the server's queue full (503)."),
            m("timed_out", "Timed out", int(r.timed_out), None, "Requests whose last attempt timed out."),
            m("errors", "Errors", int(r.errors), None, "Requests whose last attempt failed on a dead or leaving server, or found no server."),
            m("retries", "Retries", int(r.retries), None, "Attempts after the first sent to a server."),
            m("no_server", "No server", int(r.no_server), None, "Requests that found no server available."),
            m("unfinished", "Unfinished", int(r.unfinished), None, "Requests still queued, in service or waiting to retry."),
            m("throughput", "Throughput", MetricValue::Float(r.throughput_per_sec), Some("req/s"), "Requests served per simulated second so far."),
            m("utilisation", "Utilisation", MetricValue::Float(r.utilisation), None, "Busy worker-time over all servers' worker-time, 0–1."),
            m("mean_ms", "Mean latency", l.mean_us.map_or(MetricValue::None, |u| MetricValue::Float(u / 1_000.0)), Some("ms"), "Arrival to answer of served requests, retries included."),
            m("p50_ms", "p50 latency", ms_of(l.p50_us), Some("ms"), "Half of the served requests took at most this long."),
            m("p95_ms", "p95 latency", ms_of(l.p95_us), Some("ms"), "95 % of the served requests took at most this long."),
            m("p99_ms", "p99 latency", ms_of(l.p99_us), Some("ms"), "99 % of the served requests took at most this long."),
            m("p999_ms", "p99.9 latency", ms_of(l.p999_us), Some("ms"), "99.9 % of the served requests took at most this long."),
            m("max_ms", "Max latency", ms_of(l.max_us), Some("ms"), "The slowest served request."),
            m("max_in_flight", "Most in flight", int(self.counts.iter().map(|c| c.max_in_flight).max().unwrap_or(0)), None, "The most requests one server had in flight at once (sent, not yet answered): with nothing answered, the maximum load of balls into bins."),
            m("moved_clients", "Clients moved", int(self.stickiness.moved_clients()), None, "Clients whose requests have gone to more than one server."),
            m("moved_percent", "Clients moved", self.stickiness.moved_percent().map_or(MetricValue::None, MetricValue::Float), Some("%"), "Clients whose requests have gone to more than one server, of the clients seen."),
            m("sticky_percent", "Same server", self.stickiness.sticky_percent().map_or(MetricValue::None, MetricValue::Float), Some("%"), "Requests sent to the same server as their client's previous request, of the requests from clients seen before."),
            m("notices", "Not modelled", int(self.notices.len() as u64), None, "Directives of the pasted config the simulator does not model (listed in the log)."),
            m("stopped", "Stopped", self.stopped.clone().map_or(MetricValue::None, MetricValue::Text), None, "Why the run stopped early, if it did."),
        ];
        let group =
            |id, label, unit, f: &dyn Fn(&requests::ServerReport) -> Option<f64>| MetricGroup {
                id,
                label,
                unit,
                values: r
                    .servers
                    .iter()
                    .filter_map(|s| f(s).map(|v| (s.name.clone(), v)))
                    .collect(),
            };
        let lat = |p: fn(&requests::LatencySummary) -> Option<u64>| {
            move |s: &requests::ServerReport| p(&s.latency).map(|u| u as f64 / 1_000.0)
        };
        let groups = vec![
            group("served_per_server", "Served", None, &|s| {
                Some(s.served as f64)
            }),
            group("utilisation_per_server", "Utilisation", None, &|s| {
                Some(s.utilisation)
            }),
            group("mean_ms_per_server", "Mean latency", Some("ms"), &|s| {
                s.latency.mean_us.map(|u| u / 1_000.0)
            }),
            group(
                "p50_ms_per_server",
                "p50 latency",
                Some("ms"),
                &lat(|l| l.p50_us),
            ),
            group(
                "p95_ms_per_server",
                "p95 latency",
                Some("ms"),
                &lat(|l| l.p95_us),
            ),
            group(
                "p99_ms_per_server",
                "p99 latency",
                Some("ms"),
                &lat(|l| l.p99_us),
            ),
            group("dropped_per_server", "Dropped", None, &|s| {
                Some(s.dropped as f64)
            }),
            group("timed_out_per_server", "Timed out", None, &|s| {
                Some(s.timed_out as f64)
            }),
            group("errors_per_server", "Errors", None, &|s| {
                Some(s.errors as f64)
            }),
            group("max_queue_per_server", "Longest queue", None, &|s| {
                Some(f64::from(s.max_queue))
            }),
        ];
        Metrics { scalars, groups }
    }

    fn choices(&self, action: &str) -> Vec<Choice> {
        if !matches!(action, "slow" | "kill" | "revive" | "remove") {
            return Vec::new();
        }
        self.sim
            .servers()
            .iter()
            .map(|s| {
                let name = &s.spec.name;
                let state = s.state();
                let reason = match (action, state) {
                    (_, ServerState::Removed) => Some(format!("{name} has left")),
                    ("kill", ServerState::Killed) => Some(format!("{name} is already down")),
                    ("revive", ServerState::Up | ServerState::Draining) => {
                        Some(format!("{name} is not down"))
                    }
                    ("remove", ServerState::Draining) => {
                        Some(format!("{name} is already draining"))
                    }
                    _ => None,
                };
                match reason {
                    Some(r) => Choice::new(name.clone()).unavailable(r),
                    None => Choice::new(name.clone()),
                }
            })
            .collect()
    }

    fn queries() -> Queries<Self> {
        Queries::new().with::<dyn Balancing>(|m| m)
    }

    fn validate(&self) -> Result<(), String> {
        self.sim.validate()?;
        if !self.sink.borrow().is_empty() {
            return Err("the recorder holds picks the model has not read".into());
        }
        let r = self.sim.report();
        if self.counts.len() != r.servers.len() {
            return Err(format!(
                "the model counts {} servers, the simulator {}",
                self.counts.len(),
                r.servers.len()
            ));
        }
        for (c, s) in self.counts.iter().zip(&r.servers) {
            let model = (c.picked, c.served, c.dropped, c.timed_out, c.errors);
            let sim = (s.received, s.served, s.dropped, s.timed_out, s.errors);
            if model != sim {
                return Err(format!(
                    "{}: the model counts (picked, served, dropped, timed out, errors) {model:?}, \
                     the simulator {sim:?}",
                    s.name
                ));
            }
        }
        let picked: u64 = self.counts.iter().map(|c| c.picked).sum();
        let failed: u64 = self
            .counts
            .iter()
            .map(|c| c.served + c.dropped + c.timed_out + c.errors)
            .sum();
        let in_flight: u64 = self
            .sim
            .views()
            .iter()
            .map(|v| u64::from(v.in_flight))
            .sum();
        if picked != failed + in_flight {
            return Err(format!(
                "{picked} attempts sent but {failed} answered and {in_flight} in flight"
            ));
        }
        if self.no_server_picks < r.no_server {
            return Err(format!(
                "{} requests found no server, but the model saw {} such picks",
                r.no_server, self.no_server_picks
            ));
        }
        if self.recent.len() > FRAME_REQUESTS || self.picks.len() > KEPT_PICKS {
            return Err("the frame's request list or the kept picks outgrew their caps".into());
        }
        Ok(())
    }
}

impl Balancing for BalancerModel {
    fn picks(&self) -> &[PickLine] {
        &self.picks
    }
    fn strategy(&self) -> &str {
        &self.strategy
    }
    fn notices(&self) -> &[String] {
        &self.notices
    }
}
