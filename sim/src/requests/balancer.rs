//! The balancer interface: what a load balancer can see, what it decides, and how it explains
//! itself.
//!
//! A real balancer (nginx, HAProxy, Envoy, Finagle, Linkerd) does not see its servers' queues.
//! It knows what it has done and what came back: how many of *its own* requests each server
//! has not answered yet, each server's configured weight (after slow start), whether its health
//! checks currently believe the server up, and whether the server is being drained. That is
//! exactly [`BackendView`]. Every response (or failure, or timeout) comes back through
//! [`Balancer::on_response`] with its latency, so passive health checks (nginx's `max_fails`)
//! and latency-aware strategies (least response time, Finagle's and Linkerd's peak-EWMA) keep
//! their own state from it.
//!
//! The simulator calls [`Balancer::pick`] once per attempt. A strategy should pick among
//! [`BackendView::eligible`] servers (healthy, not draining or removed, not already tried by this
//! request, with a positive effective weight), and return `None` when there is none: the request
//! then fails as "no server available" (HAProxy answers 503; nginx answers 502 once every
//! server is marked down). A pick of an ineligible server is not overruled: it is sent there,
//! and fails if the server cannot take it, as a buggy balancer's would.
//!
//! Two reference strategies live here, for tests and as templates: [`RoundRobin`] (nginx's
//! default without weights) and [`UniformRandom`].

use crate::requests::ServerId;
use crate::rng::SimRng;
use crate::time::SimTime;
use std::rc::Rc;

/// Where a server stands in the balancer's configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Membership {
    /// Configured and taking new requests (if healthy).
    Active,
    /// Being removed: must get no new requests; finishes what it has.
    Draining,
    /// Gone (its id stays reserved so ids index the view).
    Removed,
}

/// One server as the balancer sees it. `servers[id.0 as usize]` is server `id`: ids are
/// dense and never reused, so a removed server keeps its slot, marked [`Membership::Removed`].
#[derive(Clone, Debug, PartialEq)]
pub struct BackendView {
    /// The server.
    pub id: ServerId,
    /// Its name, for explanations.
    pub name: Rc<str>,
    /// Requests this balancer sent it that have not been answered, failed or timed out (the
    /// balancer's own count, not the server's queue: a request the client gave up on is no
    /// longer counted, though the server may still be working on it).
    pub in_flight: u32,
    /// The configured weight (nginx `weight=`, default 1).
    pub weight: u32,
    /// The weight after slow start, in thousandths: `weight × 1000` once ramped, less while a
    /// new or recovered server ramps up (never 0 while active, so it can be picked at all).
    pub effective_weight_milli: u64,
    /// Whether active health checks currently believe it up (always true without checks).
    pub healthy: bool,
    /// Whether it is configured, draining or removed.
    pub membership: Membership,
    /// Whether the current request already tried it (for retries on another server).
    pub tried: bool,
}

impl BackendView {
    /// Healthy, active, not yet tried by this request and with a positive effective weight:
    /// the servers a well-behaved strategy chooses among.
    pub fn eligible(&self) -> bool {
        self.healthy
            && self.membership == Membership::Active
            && !self.tried
            && self.effective_weight_milli > 0
    }
}

/// The request being placed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestInfo {
    /// Its id (arrival order, from 0).
    pub id: u64,
    /// Its client or key id, for hashing strategies (IP hash, consistent hashing, affinity).
    pub key: u64,
    /// 1 for the first attempt, 2 for the first retry, …
    pub attempt: u32,
}

/// How an attempt ended, as the balancer learns it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// Served before the client's timeout.
    Served,
    /// Refused at once: the server's queue was full (an HTTP 503).
    Dropped,
    /// Failed: the server was killed while holding it, was already dead (connection
    /// refused), or was draining or removed.
    Error,
    /// The client's timeout expired first.
    TimedOut,
}

impl AttemptOutcome {
    /// A short lower-case name (`served`, `dropped`, `error`, `timed-out`).
    pub fn name(self) -> &'static str {
        match self {
            AttemptOutcome::Served => "served",
            AttemptOutcome::Dropped => "dropped",
            AttemptOutcome::Error => "error",
            AttemptOutcome::TimedOut => "timed-out",
        }
    }
}

/// What came back for one attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Response {
    /// The request.
    pub request: RequestInfo,
    /// The server the attempt went to.
    pub server: ServerId,
    /// From sending the attempt to this answer, microseconds (the timeout for a timeout, 0 for
    /// an immediate refusal).
    pub latency_us: u64,
    /// How it ended.
    pub outcome: AttemptOutcome,
}

impl Response {
    /// True when served.
    pub fn ok(&self) -> bool {
        self.outcome == AttemptOutcome::Served
    }
}

/// One server's score in an explanation.
#[derive(Clone, Debug, PartialEq)]
pub struct ServerScore {
    /// The server.
    pub server: ServerId,
    /// Its score, in the strategy's own terms (`None` when it was not considered).
    pub score: Option<f64>,
    /// Why, in a few words: "B: 3 in flight × 12 ms EWMA = 36", "unhealthy", "tried".
    pub text: String,
}

/// Why a strategy made its last pick: "what the balancer sees".
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Explanation {
    /// The server picked (`None`: no server available).
    pub chosen: Option<ServerId>,
    /// Per server considered.
    pub scores: Vec<ServerScore>,
    /// One sentence: "lowest score wins: B (36)".
    pub summary: String,
}

/// A load-balancing strategy. Object safe: the simulator holds a `Box<dyn Balancer>`, and
/// clones it with the simulation (for checkpoints), so a strategy derives `Clone` (the
/// blanket [`BalancerClone`] does the rest).
pub trait Balancer: BalancerClone {
    /// Its name, for legends ("round robin").
    fn name(&self) -> &str;

    /// Picks a server for `request` at `now` from `servers` (indexed by id; see
    /// [`BackendView`]), drawing any randomness from `rng` (the simulator's own stream, so a
    /// run stays a function of its seed). `None`: no server available.
    fn pick(
        &mut self,
        now: SimTime,
        request: &RequestInfo,
        servers: &[BackendView],
        rng: &mut SimRng,
    ) -> Option<ServerId>;

    /// Every attempt's outcome, when the balancer learns it (the default ignores it).
    fn on_response(&mut self, now: SimTime, response: &Response) {
        let _ = (now, response);
    }

    /// Explains the pick just made. The simulator calls it (only when recording explanations)
    /// right after [`Balancer::pick`], with the same `now`, request and views; a strategy that
    /// drew random numbers remembers what it drew.
    fn explain(&self, now: SimTime, request: &RequestInfo, servers: &[BackendView]) -> Explanation;

    /// The servers this strategy keeps out at `now` by its own verdict, besides those the views
    /// mark unhealthy: nginx's passive checks (`max_fails`) judge from failed requests, so the
    /// balancer's belief that a server is down can come from here as well as from its health
    /// checks. The default keeps none out; a wrapper asks its inner strategy.
    fn shunned(&self, now: SimTime, servers: &[BackendView]) -> Vec<ServerId> {
        let _ = (now, servers);
        Vec::new()
    }
}

/// Cloning a boxed strategy; implemented for every `Balancer + Clone`.
pub trait BalancerClone {
    /// A boxed copy.
    fn clone_box(&self) -> Box<dyn Balancer>;

    /// The strategy as [`std::any::Any`], so a model that installed a wrapper of its own (a
    /// circuit breaker in the caller) can read its state back from
    /// [`Simulation::balancer`](crate::requests::Simulation::balancer).
    fn as_any(&self) -> &dyn std::any::Any;
}

impl<T: Balancer + Clone + 'static> BalancerClone for T {
    fn clone_box(&self) -> Box<dyn Balancer> {
        Box::new(self.clone())
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

impl Clone for Box<dyn Balancer> {
    fn clone(&self) -> Self {
        self.clone_box()
    }
}

/// The text of a server a strategy skipped, and why.
pub fn skipped_reason(v: &BackendView) -> &'static str {
    match v.membership {
        Membership::Removed => "removed",
        Membership::Draining => "draining",
        Membership::Active if !v.healthy => "marked down by health checks",
        Membership::Active if v.tried => "already tried",
        Membership::Active => "weight 0",
    }
}

/// Plain round robin: each eligible server in turn, by id, ignoring weights (nginx's
/// round robin with equal weights; HAProxy `balance roundrobin`). It remembers the last server
/// it picked and takes the next eligible id after it, wrapping around, so servers joining,
/// leaving or failing health checks do not reset the rotation.
#[derive(Clone, Debug, Default)]
pub struct RoundRobin {
    /// The last server picked: the rotation continues after it.
    cursor: Option<ServerId>,
    /// The most recent pick's answer (`None` when no server was available).
    picked: Option<ServerId>,
}

impl RoundRobin {
    /// A rotation that starts at the lowest eligible id.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Balancer for RoundRobin {
    fn name(&self) -> &str {
        "round robin"
    }

    fn pick(
        &mut self,
        _now: SimTime,
        _request: &RequestInfo,
        servers: &[BackendView],
        _rng: &mut SimRng,
    ) -> Option<ServerId> {
        let n = servers.len();
        let start = self.cursor.map_or(0, |l| l.0 as usize + 1);
        let picked = (0..n)
            .map(|k| &servers[(start + k) % n])
            .find(|v| v.eligible())
            .map(|v| v.id);
        if picked.is_some() {
            self.cursor = picked;
        }
        self.picked = picked;
        picked
    }

    fn explain(
        &self,
        _now: SimTime,
        _request: &RequestInfo,
        servers: &[BackendView],
    ) -> Explanation {
        let scores = servers
            .iter()
            .map(|v| ServerScore {
                server: v.id,
                score: None,
                text: if v.eligible() {
                    format!("{}: in the rotation", v.name)
                } else {
                    format!("{}: skipped, {}", v.name, skipped_reason(v))
                },
            })
            .collect();
        Explanation {
            chosen: self.picked,
            scores,
            summary: match self.picked {
                Some(s) => format!(
                    "next in turn after the previous pick: {}",
                    servers.get(s.0 as usize).map_or("?", |v| &v.name)
                ),
                None => "no server available".into(),
            },
        }
    }
}

/// Uniformly random among the eligible servers, ignoring weights and load (the "d = 1" of the
/// power-of-d-choices family; nginx `random` without `two`).
#[derive(Clone, Debug, Default)]
pub struct UniformRandom {
    last: Option<(ServerId, u32)>,
}

impl UniformRandom {
    /// A uniform random picker (its randomness comes from the simulator's stream).
    pub fn new() -> Self {
        Self::default()
    }
}

impl Balancer for UniformRandom {
    fn name(&self) -> &str {
        "random"
    }

    fn pick(
        &mut self,
        _now: SimTime,
        _request: &RequestInfo,
        servers: &[BackendView],
        rng: &mut SimRng,
    ) -> Option<ServerId> {
        let eligible = servers.iter().filter(|v| v.eligible()).count() as u64;
        if eligible == 0 {
            self.last = None;
            return None;
        }
        let k = rng.below(eligible);
        let v = servers
            .iter()
            .filter(|v| v.eligible())
            .nth(k as usize)
            .expect("k < the number of eligible servers");
        self.last = Some((v.id, eligible as u32));
        Some(v.id)
    }

    fn explain(
        &self,
        _now: SimTime,
        _request: &RequestInfo,
        servers: &[BackendView],
    ) -> Explanation {
        let n = self.last.map_or(0, |(_, n)| n);
        let scores = servers
            .iter()
            .map(|v| ServerScore {
                server: v.id,
                score: v.eligible().then(|| 1.0 / f64::from(n.max(1))),
                text: if v.eligible() {
                    format!("{}: chance 1/{n}", v.name)
                } else {
                    format!("{}: skipped, {}", v.name, skipped_reason(v))
                },
            })
            .collect();
        Explanation {
            chosen: self.last.map(|(s, _)| s),
            scores,
            summary: match self.last {
                Some((s, n)) => format!(
                    "drew {} uniformly among {n} eligible servers",
                    servers.get(s.0 as usize).map_or("?", |v| &v.name)
                ),
                None => "no server available".into(),
            },
        }
    }
}
