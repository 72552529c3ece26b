//! The event loop: configuration, the run, its digest and its report.
//!
//! Events live in one [`EventQueue`] ordered by `(time, sequence number)`. Arrivals are
//! generated one ahead (the next arrival is always scheduled, until `duration`). After
//! `duration` no request arrives and no probe or sample is scheduled; the run goes on until
//! every request has ended (the queues drain), so a finished run has no unfinished request.
//! Hard caps refuse a run with a clear error instead of exhausting memory or time: a
//! `duration` of at most 7 days, at most `max_requests` arrivals (latencies are kept for exact
//! percentiles), `max_events` events, and `max_drain_us` of simulated time after `duration`.

use crate::event::EventQueue;
use crate::requests::arrivals::{ArrivalStream, Arrivals};
use crate::requests::balancer::{
    AttemptOutcome, BackendView, Balancer, Membership, RequestInfo, Response,
};
use crate::requests::cost::CostDist;
use crate::requests::health::{
    slow_start_weight_milli, HealthChange, HealthCheckConfig, HealthState,
};
use crate::requests::server::{check_speed, Job, Offer, Server, ServerSpec, ServerState};
use crate::requests::stats::{LatencySamples, Report, ServerReport};
use crate::requests::timeline::{AttemptRecord, RequestRecord, Sample, ServerSample, SimEvent};
use crate::requests::ServerId;
use crate::rng::SimRng;
use crate::time::SimTime;
use crate::workload::Popularity;
use std::collections::VecDeque;
use std::rc::Rc;

/// The longest `duration` a run may have: 7 simulated days.
pub const MAX_DURATION: SimTime = SimTime::from_secs(7 * 24 * 3_600);
/// The highest `max_requests` may be set.
pub const MAX_REQUESTS: u64 = 50_000_000;
/// The highest `max_events` may be set.
pub const MAX_EVENTS: u64 = 1_000_000_000;
/// The most servers a run may have (configured plus added).
pub const MAX_SERVERS: u32 = 1_000;
/// The most retries a request may have.
pub const MAX_RETRIES: u32 = 10;

/// Which failed attempts are tried again, how often, and after how long.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0: none).
    pub max_retries: u32,
    /// Retry attempts dropped by a full queue (nginx `http_503`).
    pub on_dropped: bool,
    /// Retry attempts that failed with an error (nginx `error`).
    pub on_error: bool,
    /// Retry attempts that timed out (nginx `timeout`).
    pub on_timeout: bool,
    /// Wait before each retry, microseconds (0: at once).
    pub backoff_us: u64,
}

impl RetryPolicy {
    /// nginx's default `proxy_next_upstream error timeout`: retry errors and timeouts on
    /// another server, at once, up to `max_retries` times.
    pub fn next_upstream(max_retries: u32) -> Self {
        RetryPolicy {
            max_retries,
            on_dropped: false,
            on_error: true,
            on_timeout: true,
            backoff_us: 0,
        }
    }

    fn covers(&self, outcome: AttemptOutcome) -> bool {
        match outcome {
            AttemptOutcome::Served => false,
            AttemptOutcome::Dropped => self.on_dropped,
            AttemptOutcome::Error => self.on_error,
            AttemptOutcome::TimedOut => self.on_timeout,
        }
    }
}

/// What a run keeps beyond its counters and latencies (all off by default).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Recording {
    /// Every request's timeline ([`RequestRecord`]).
    pub requests: bool,
    /// The event log ([`SimEvent`]).
    pub events: bool,
    /// The balancer's explanation of every pick, in the event log (needs `events`).
    pub explanations: bool,
    /// Every server's queue, busy workers and in-flight count every this many microseconds.
    pub sample_every_us: Option<u64>,
}

/// A change to the servers, applied at a moment of the run.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Crash a server: it loses what it holds and refuses requests until revived.
    Kill(ServerId),
    /// Bring a killed server back, empty.
    Revive(ServerId),
    /// Change a server's speed (for requests that start from then on).
    SetSpeed(ServerId, f64),
    /// Add a server (it gets the next id; slow start ramps it after time zero).
    Add(ServerSpec),
    /// Remove a server: it drains (no new requests, finishes what it holds), then is gone.
    Remove(ServerId),
}

/// Everything a run is made of, besides its seed and its balancer.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// The servers at time zero (ids 0, 1, … in this order).
    pub servers: Vec<ServerSpec>,
    /// When requests arrive.
    pub arrivals: Arrivals,
    /// What they cost.
    pub cost: CostDist,
    /// How many distinct clients (keys) send requests.
    pub clients: u64,
    /// Which client sends each request.
    pub popularity: Popularity,
    /// Requests arrive in `[0, duration)`; the run then drains.
    pub duration: SimTime,
    /// The per-attempt timeout, microseconds (`None`: wait forever).
    pub timeout_us: Option<u64>,
    /// Retries.
    pub retry: RetryPolicy,
    /// Active health checks (`None`: the balancer believes every server up).
    pub health: Option<HealthCheckConfig>,
    /// nginx-style slow start, microseconds (0: off).
    pub slow_start_us: u64,
    /// The most requests that may arrive (a clear error beyond).
    pub max_requests: u64,
    /// The most events that may be processed (a clear error beyond).
    pub max_events: u64,
    /// How long after `duration` the queues may take to drain, microseconds (a clear error
    /// beyond: servers that cannot keep up would otherwise run on for a very long time).
    pub max_drain_us: u64,
    /// What to record.
    pub record: Recording,
    /// Changes to apply at given times.
    pub actions: Vec<(SimTime, Action)>,
}

impl SimConfig {
    /// A run of `servers` with these arrivals and costs for `duration`: 1,000 uniformly
    /// popular clients, no timeout, no retries, no health checks, no slow start, caps of
    /// 5,000,000 requests, 100,000,000 events and 7 days of draining, nothing recorded.
    pub fn new(
        servers: Vec<ServerSpec>,
        arrivals: Arrivals,
        cost: CostDist,
        duration: SimTime,
    ) -> Self {
        SimConfig {
            servers,
            arrivals,
            cost,
            clients: 1_000,
            popularity: Popularity::Uniform,
            duration,
            timeout_us: None,
            retry: RetryPolicy::default(),
            health: None,
            slow_start_us: 0,
            max_requests: 5_000_000,
            max_events: 100_000_000,
            max_drain_us: MAX_DURATION.as_us(),
            record: Recording::default(),
            actions: Vec::new(),
        }
    }

    /// Checks everything; the message says what to change.
    pub fn validate(&self) -> Result<(), String> {
        if self.servers.is_empty() {
            return Err("a run needs at least one server".into());
        }
        let adds = self
            .actions
            .iter()
            .filter(|(_, a)| matches!(a, Action::Add(_)))
            .count();
        if self.servers.len() + adds > MAX_SERVERS as usize {
            return Err(format!(
                "at most {MAX_SERVERS} servers (configured plus added), got {}",
                self.servers.len() + adds
            ));
        }
        for s in &self.servers {
            s.validate()?;
        }
        self.arrivals.validate()?;
        self.cost.validate()?;
        if self.clients == 0 {
            return Err("there must be at least one client".into());
        }
        if self.duration > MAX_DURATION {
            return Err(format!(
                "the duration must be at most {MAX_DURATION}, got {}",
                self.duration
            ));
        }
        if self.timeout_us == Some(0) {
            return Err("a timeout must be at least 1 µs (or none)".into());
        }
        if self.retry.max_retries > MAX_RETRIES {
            return Err(format!(
                "at most {MAX_RETRIES} retries, got {}",
                self.retry.max_retries
            ));
        }
        if let Some(h) = &self.health {
            h.validate()?;
        }
        if self.slow_start_us > MAX_DURATION.as_us() {
            return Err("slow start must be at most the longest run".into());
        }
        if self.max_requests == 0 || self.max_requests > MAX_REQUESTS {
            return Err(format!(
                "max_requests must be 1–{MAX_REQUESTS}, got {}",
                self.max_requests
            ));
        }
        if self.max_events == 0 || self.max_events > MAX_EVENTS {
            return Err(format!(
                "max_events must be 1–{MAX_EVENTS}, got {}",
                self.max_events
            ));
        }
        if self.max_drain_us > MAX_DURATION.as_us() {
            return Err(format!(
                "max_drain_us must be at most {} µs (7 days), got {}",
                MAX_DURATION.as_us(),
                self.max_drain_us
            ));
        }
        let expected = self.arrivals.expected_count(self.duration);
        if expected > self.max_requests as f64 {
            return Err(format!(
                "about {expected:.0} requests would arrive in {}, more than the cap of {}: \
                 lower the rate or the duration",
                self.duration, self.max_requests
            ));
        }
        if let Some(every) = self.record.sample_every_us {
            let samples = self.duration.as_us() / every.max(1);
            if every == 0 || samples > 1_000_000 {
                return Err(format!(
                    "sampling every {every} µs over {} gives too many samples (at most 1,000,000)",
                    self.duration
                ));
            }
        }
        let mut ids = self.servers.len() as u32;
        for (at, a) in &self.actions {
            if *at > self.duration {
                return Err(format!(
                    "an action at {at} is after the end of arrivals ({})",
                    self.duration
                ));
            }
            match a {
                Action::Add(spec) => {
                    spec.validate()?;
                    ids += 1;
                }
                Action::Kill(id) | Action::Revive(id) | Action::Remove(id) => check_id(*id, ids)?,
                Action::SetSpeed(id, s) => {
                    check_id(*id, ids)?;
                    check_speed(&format!("{id}"), *s)?;
                }
            }
        }
        Ok(())
    }
}

fn check_id(id: ServerId, count: u32) -> Result<(), String> {
    if id.0 >= count {
        return Err(format!(
            "no server {id}: there are {count} (ids #0–#{})",
            count.saturating_sub(1)
        ));
    }
    Ok(())
}

/// A scheduled event.
#[derive(Clone, Debug)]
enum Ev {
    /// The next arrival.
    Arrival,
    /// A request's next attempt (a retry after backoff).
    Dispatch(u64),
    /// A worker finishes an attempt.
    Finish { server: u32, req: u64, attempt: u32 },
    /// An attempt's timeout expires.
    Timeout { req: u64, attempt: u32 },
    /// A health probe is sent.
    Probe(u32),
    /// A probe's result arrives.
    ProbeResult { server: u32, ok: bool },
    /// A scheduled action (index into `actions`).
    Action(u32),
    /// A periodic sample.
    Sample,
}

/// A request that has not ended.
#[derive(Clone, Debug)]
struct Active {
    key: u64,
    arrived: SimTime,
    cost_us: u64,
    /// The number of the latest attempt (0 before the first).
    attempt: u32,
    /// Servers tried before the current attempt.
    tried: Vec<ServerId>,
    /// The server holding the current attempt, and when it was sent; `None` between attempts.
    current: Option<(ServerId, SimTime)>,
    /// How the previous attempt ended (what the client gets if no retry can be placed).
    last_outcome: Option<AttemptOutcome>,
}

/// The unfinished requests, by id. Ids are dense and requests end roughly in arrival order,
/// so a window of slots from the oldest unfinished id does: O(1) lookups, and the window
/// shrinks from the front as the oldest ones end.
#[derive(Clone, Debug, Default)]
struct ActiveSet {
    /// The id of `slots[0]`.
    base: u64,
    slots: VecDeque<Option<Active>>,
    len: u64,
}

impl ActiveSet {
    fn insert(&mut self, id: u64, a: Active) {
        debug_assert_eq!(
            id,
            self.base + self.slots.len() as u64,
            "ids arrive in order"
        );
        self.slots.push_back(Some(a));
        self.len += 1;
    }
    fn get(&self, id: &u64) -> Option<&Active> {
        let i = id.checked_sub(self.base)?;
        self.slots.get(i as usize)?.as_ref()
    }
    fn get_mut(&mut self, id: &u64) -> Option<&mut Active> {
        let i = id.checked_sub(self.base)?;
        self.slots.get_mut(i as usize)?.as_mut()
    }
    fn remove(&mut self, id: &u64) -> Option<Active> {
        let i = id.checked_sub(self.base)?;
        let a = self.slots.get_mut(i as usize)?.take()?;
        self.len -= 1;
        while self.slots.front().is_some_and(|s| s.is_none()) {
            self.slots.pop_front();
            self.base += 1;
        }
        Some(a)
    }
    fn len(&self) -> u64 {
        self.len
    }
    fn is_empty(&self) -> bool {
        self.len == 0
    }
    fn values(&self) -> impl Iterator<Item = &Active> {
        self.slots.iter().flatten()
    }
}

/// Per-server counters (per attempt).
#[derive(Clone, Debug, Default)]
struct Counters {
    received: u64,
    served: u64,
    dropped: u64,
    timed_out: u64,
    errors: u64,
    wasted: u64,
    latency: LatencySamples,
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// A running simulation. Build it with [`Simulation::new`], then [`Simulation::run`] it to
/// the end or drive it with [`Simulation::advance_to`] / [`Simulation::step`] and
/// [`Simulation::apply`]. It is `Clone` (balancer included), so a model can checkpoint it.
#[derive(Clone)]
pub struct Simulation {
    cfg: SimConfig,
    balancer: Box<dyn Balancer>,
    queue: EventQueue<Ev>,
    now: SimTime,
    servers: Vec<Server>,
    health: Vec<HealthState>,
    ramp_from: Vec<Option<SimTime>>,
    ramping: u32,
    views: Vec<BackendView>,
    arrivals: ArrivalStream,
    cost_rng: SimRng,
    key_rng: SimRng,
    balancer_rng: SimRng,
    active: ActiveSet,
    next_req: u64,
    counters: Vec<Counters>,
    overall: LatencySamples,
    served: u64,
    dropped: u64,
    timed_out: u64,
    errors: u64,
    no_server: u64,
    retries: u64,
    records: Vec<RequestRecord>,
    log: Vec<(SimTime, SimEvent)>,
    samples: Vec<Sample>,
    actions: Vec<Action>,
    digest: u64,
    events: u64,
    /// Timeout events in the queue (live or stale): once no request is unfinished, they are
    /// all stale, and if nothing else is pending the run is over.
    timers: u64,
}

impl Simulation {
    /// A run of `cfg` with `balancer`, every random draw a function of `seed`. Refuses an
    /// invalid configuration with the reason.
    pub fn new(cfg: SimConfig, balancer: Box<dyn Balancer>, seed: u64) -> Result<Self, String> {
        cfg.validate()?;
        let arrivals = ArrivalStream::new(
            cfg.arrivals.clone(),
            SimRng::stream(seed, "requests/arrivals"),
        );
        let mut sim = Simulation {
            balancer,
            queue: EventQueue::new(),
            now: SimTime::ZERO,
            servers: Vec::new(),
            health: Vec::new(),
            ramp_from: Vec::new(),
            ramping: 0,
            views: Vec::new(),
            arrivals,
            cost_rng: SimRng::stream(seed, "requests/costs"),
            key_rng: SimRng::stream(seed, "requests/keys"),
            balancer_rng: SimRng::stream(seed, "requests/balancer"),
            active: ActiveSet::default(),
            next_req: 0,
            counters: Vec::new(),
            overall: LatencySamples::default(),
            served: 0,
            dropped: 0,
            timed_out: 0,
            errors: 0,
            no_server: 0,
            retries: 0,
            records: Vec::new(),
            log: Vec::new(),
            samples: Vec::new(),
            actions: Vec::new(),
            digest: FNV_OFFSET,
            events: 0,
            timers: 0,
            cfg,
        };
        for spec in sim.cfg.servers.clone() {
            sim.add_server(spec, false);
        }
        let actions = std::mem::take(&mut sim.cfg.actions);
        for (at, action) in actions {
            let i = sim.actions.len() as u32;
            sim.actions.push(action);
            sim.queue.push(at, Ev::Action(i));
        }
        sim.schedule_arrival();
        if sim.cfg.record.sample_every_us.is_some() {
            sim.queue.push(SimTime::ZERO, Ev::Sample);
        }
        Ok(sim)
    }

    // -----------------------------------------------------------------------------------------
    // Reading the run.
    // -----------------------------------------------------------------------------------------

    /// The current simulated time.
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// The balancer's name.
    pub fn balancer_name(&self) -> &str {
        self.balancer.name()
    }

    /// The balancer, to read its state or have it explain a hypothetical pick.
    pub fn balancer(&self) -> &dyn Balancer {
        self.balancer.as_ref()
    }

    /// What the balancer sees, by server id (effective weights as of the last pick or
    /// [`Simulation::advance_to`]).
    pub fn views(&self) -> &[BackendView] {
        &self.views
    }

    /// The servers, by id.
    pub fn servers(&self) -> &[Server] {
        &self.servers
    }

    /// Request timelines, by id (when recorded).
    pub fn requests(&self) -> &[RequestRecord] {
        &self.records
    }

    /// The event log (when recorded).
    pub fn events(&self) -> &[(SimTime, SimEvent)] {
        &self.log
    }

    /// Periodic samples (when recorded).
    pub fn samples(&self) -> &[Sample] {
        &self.samples
    }

    /// Every end-to-end latency of a served request, in the order they ended (microseconds).
    pub fn latencies(&self) -> &[u64] {
        self.overall.values()
    }

    /// True when nothing is left to happen: arrivals are over, every request has ended and
    /// every server has finished its work (what remains in the queue, if anything, is the
    /// timers of requests that already ended, which are dropped unprocessed: the run ends at
    /// its last real event).
    pub fn is_finished(&self) -> bool {
        self.active.is_empty() && self.queue.len() == self.timers
    }

    /// The run's digest so far: FNV-1a 64 over every event processed (its time, kind and
    /// the ids it involves) and every request's end (id, outcome, latency), so two runs with
    /// equal digests made the same decisions at the same times.
    pub fn digest(&self) -> u64 {
        self.digest
    }

    /// The figures so far (see [`Report`]; percentiles sort a copy of the latencies).
    pub fn report(&self) -> Report {
        let now = self.now;
        let servers: Vec<ServerReport> = self
            .servers
            .iter()
            .zip(&self.counters)
            .map(|(s, c)| ServerReport {
                id: s.id,
                name: s.spec.name.clone(),
                state: s.state().name(),
                workers: s.spec.workers,
                received: c.received,
                served: c.served,
                dropped: c.dropped,
                timed_out: c.timed_out,
                errors: c.errors,
                wasted: c.wasted,
                waited: s.waited,
                mean_wait_us: (s.started > 0).then(|| s.wait_total_us as f64 / s.started as f64),
                utilisation: s.utilisation(now),
                mean_queue: s.mean_queue(now),
                max_queue: s.max_queue,
                latency: c.latency.summary(),
            })
            .collect();
        let busy: u64 = self.servers.iter().map(|s| s.busy_us(now)).sum();
        let capacity: f64 = self
            .servers
            .iter()
            .map(|s| s.lifetime_us(now) as f64 * f64::from(s.spec.workers))
            .sum();
        Report {
            now_us: now.as_us(),
            arrivals: self.next_req,
            served: self.served,
            dropped: self.dropped,
            timed_out: self.timed_out,
            errors: self.errors,
            unfinished: self.active.len(),
            retries: self.retries,
            no_server: self.no_server,
            latency: self.overall.summary(),
            throughput_per_sec: if now.as_us() == 0 {
                0.0
            } else {
                self.served as f64 * 1e6 / now.as_us() as f64
            },
            utilisation: if capacity > 0.0 {
                busy as f64 / capacity
            } else {
                0.0
            },
            servers,
            events: self.events,
            digest: self.digest,
        }
    }

    /// Checks the invariants in the module docs.
    pub fn validate(&self) -> Result<(), String> {
        let ended = self.served + self.dropped + self.timed_out + self.errors;
        if ended + self.active.len() != self.next_req {
            return Err(format!(
                "{} arrivals but {ended} ended and {} unfinished",
                self.next_req,
                self.active.len()
            ));
        }
        let mut in_flight = vec![0u32; self.servers.len()];
        for a in self.active.values() {
            if let Some((s, _)) = a.current {
                in_flight[s.0 as usize] += 1;
            }
        }
        for (s, v) in self.servers.iter().zip(&self.views) {
            s.validate()?;
            if v.in_flight != in_flight[s.id.0 as usize] {
                return Err(format!(
                    "the balancer counts {} in flight on {} but {} attempts are there",
                    v.in_flight, s.spec.name, in_flight[s.id.0 as usize]
                ));
            }
        }
        Ok(())
    }

    // -----------------------------------------------------------------------------------------
    // Driving the run.
    // -----------------------------------------------------------------------------------------

    /// Runs to the end (arrivals over, every request ended) and reports.
    pub fn run(&mut self) -> Result<Report, String> {
        while self.step()? {}
        Ok(self.report())
    }

    /// Processes every event up to and including `t`, then sets the clock to `t` (if later).
    pub fn advance_to(&mut self, t: SimTime) -> Result<(), String> {
        while !self.is_finished() && self.queue.peek_time().is_some_and(|e| e <= t) {
            self.step()?;
        }
        self.now = self.now.max(t);
        self.update_ramps();
        Ok(())
    }

    /// Processes the next event; false when the run is over ([`Simulation::is_finished`]).
    pub fn step(&mut self) -> Result<bool, String> {
        if self.is_finished() {
            return Ok(false);
        }
        let Some(e) = self.queue.pop() else {
            return Ok(false);
        };
        if matches!(e.event, Ev::Timeout { .. }) {
            self.timers -= 1;
        }
        self.events += 1;
        if self.events > self.cfg.max_events {
            return Err(format!(
                "more than {} events by {}: shorten the run, lower the rate, or raise max_events",
                self.cfg.max_events, e.time
            ));
        }
        if e.time > self.cfg.duration.plus_us(self.cfg.max_drain_us) {
            return Err(format!(
                "{} requests still unfinished at {}, {} µs after arrivals ended: the servers \
                 cannot keep up; bound their queues, add a timeout, or raise max_drain_us",
                self.active.len(),
                e.time,
                self.cfg.max_drain_us
            ));
        }
        self.now = e.time;
        self.mix(e.time.as_us());
        match e.event {
            Ev::Arrival => self.on_arrival()?,
            Ev::Dispatch(req) => {
                self.mix2(1, req);
                self.dispatch(req)?;
            }
            Ev::Finish {
                server,
                req,
                attempt,
            } => {
                self.mix2(2, req);
                self.on_finish(server, req, attempt)?;
            }
            Ev::Timeout { req, attempt } => {
                self.mix2(3, req);
                self.on_timeout(req, attempt)?;
            }
            Ev::Probe(s) => {
                self.mix2(4, u64::from(s));
                self.on_probe(s);
            }
            Ev::ProbeResult { server, ok } => {
                self.mix2(5, u64::from(server) << 1 | u64::from(ok));
                self.on_probe_result(server, ok);
            }
            Ev::Action(i) => {
                self.mix2(6, u64::from(i));
                let action = self.actions[i as usize].clone();
                if let Err(reason) = self.apply(action) {
                    self.note(SimEvent::Rejected { reason });
                }
            }
            Ev::Sample => self.on_sample(),
        }
        Ok(true)
    }

    /// Applies an action now. A server id that does not exist, or a change that does not fit
    /// the server's state (reviving a live server, killing a removed one), is refused with the
    /// reason and changes nothing.
    pub fn apply(&mut self, action: Action) -> Result<(), String> {
        let now = self.now;
        let id = match &action {
            Action::Add(spec) => {
                spec.validate()?;
                if self.servers.len() as u32 >= MAX_SERVERS {
                    return Err(format!("at most {MAX_SERVERS} servers"));
                }
                let ramp = self.cfg.slow_start_us > 0 && now > SimTime::ZERO;
                self.add_server(spec.clone(), ramp);
                return Ok(());
            }
            Action::Kill(id)
            | Action::Revive(id)
            | Action::Remove(id)
            | Action::SetSpeed(id, _) => {
                check_id(*id, self.servers.len() as u32)?;
                *id
            }
        };
        let i = id.0 as usize;
        let name = self.servers[i].spec.name.clone();
        match action {
            Action::Kill(_) => {
                let state = self.servers[i].state();
                if matches!(state, ServerState::Killed | ServerState::Removed) {
                    return Err(format!("cannot kill {name}: it is {}", state.name()));
                }
                let lost = self.servers[i].kill(now);
                self.note(SimEvent::Killed {
                    server: id,
                    lost: lost.len() as u32,
                });
                for job in lost {
                    if self.is_current(job.req, job.attempt, id) {
                        self.attempt_failed(job.req, id, AttemptOutcome::Error)?;
                    }
                }
                if state == ServerState::Draining {
                    self.servers[i].drain(now);
                    self.after_drain_step(i);
                }
            }
            Action::Revive(_) => {
                if !self.servers[i].revive(now) {
                    return Err(format!(
                        "cannot revive {name}: it is {}",
                        self.servers[i].state().name()
                    ));
                }
                self.note(SimEvent::Revived { server: id });
            }
            Action::SetSpeed(_, speed) => {
                check_speed(&name, speed)?;
                if self.servers[i].state() == ServerState::Removed {
                    return Err(format!("cannot change {name}: it is removed"));
                }
                self.servers[i].set_speed(speed);
                self.note(SimEvent::SpeedChanged { server: id, speed });
            }
            Action::Remove(_) => {
                let state = self.servers[i].state();
                if matches!(state, ServerState::Draining | ServerState::Removed) {
                    return Err(format!("cannot remove {name}: it is {}", state.name()));
                }
                self.servers[i].drain(now);
                self.views[i].membership = Membership::Draining;
                self.note(SimEvent::Draining { server: id });
                self.after_drain_step(i);
            }
            Action::Add(_) => unreachable!("handled above"),
        }
        self.mix2(7, u64::from(id.0));
        Ok(())
    }

    // -----------------------------------------------------------------------------------------
    // Internals.
    // -----------------------------------------------------------------------------------------

    fn mix(&mut self, x: u64) {
        for b in x.to_le_bytes() {
            self.digest ^= u64::from(b);
            self.digest = self.digest.wrapping_mul(FNV_PRIME);
        }
    }

    fn mix2(&mut self, tag: u64, x: u64) {
        self.mix(tag);
        self.mix(x);
    }

    fn note(&mut self, e: SimEvent) {
        if self.cfg.record.events {
            self.log.push((self.now, e));
        }
    }

    fn record_mut(&mut self, req: u64) -> Option<&mut RequestRecord> {
        if self.cfg.record.requests {
            self.records.get_mut(req as usize)
        } else {
            None
        }
    }

    fn attempt_mut(&mut self, req: u64) -> Option<&mut AttemptRecord> {
        self.record_mut(req).and_then(|r| r.attempts.last_mut())
    }

    fn add_server(&mut self, spec: ServerSpec, ramp: bool) {
        let id = ServerId(self.servers.len() as u32);
        let now = self.now;
        self.views.push(BackendView {
            id,
            name: Rc::from(spec.name.as_str()),
            in_flight: 0,
            weight: spec.weight,
            effective_weight_milli: u64::from(spec.weight) * 1_000,
            healthy: true,
            membership: Membership::Active,
            tried: false,
        });
        self.servers.push(Server::new(id, spec, now));
        self.health.push(HealthState::default());
        self.counters.push(Counters::default());
        self.ramp_from.push(None);
        if ramp {
            self.start_ramp(id.0 as usize);
        }
        if let Some(h) = self.cfg.health {
            let at = now.plus_us(h.interval_us);
            if at <= self.cfg.duration {
                self.queue.push(at, Ev::Probe(id.0));
            }
        }
        if now > SimTime::ZERO {
            self.note(SimEvent::Added { server: id });
        }
    }

    fn start_ramp(&mut self, i: usize) {
        // nginx ignores slow_start in a group of one server.
        let active = self
            .views
            .iter()
            .filter(|v| v.membership == Membership::Active)
            .count();
        if self.cfg.slow_start_us == 0 || active < 2 {
            return;
        }
        if self.ramp_from[i].is_none() {
            self.ramping += 1;
        }
        self.ramp_from[i] = Some(self.now);
        self.views[i].effective_weight_milli = 1;
    }

    fn update_ramps(&mut self) {
        if self.ramping == 0 {
            return;
        }
        for i in 0..self.servers.len() {
            if let Some(from) = self.ramp_from[i] {
                let w = slow_start_weight_milli(
                    self.views[i].weight,
                    self.now.since(from),
                    self.cfg.slow_start_us,
                );
                self.views[i].effective_weight_milli = w;
                if w >= u64::from(self.views[i].weight) * 1_000 {
                    self.ramp_from[i] = None;
                    self.ramping -= 1;
                }
            }
        }
    }

    fn schedule_arrival(&mut self) {
        if let Some(t) = self.arrivals.next_arrival() {
            if t < self.cfg.duration {
                self.queue.push(t, Ev::Arrival);
            }
        }
    }

    fn on_arrival(&mut self) -> Result<(), String> {
        if self.next_req >= self.cfg.max_requests {
            return Err(format!(
                "more than {} requests arrived by {}: lower the rate or the duration, or raise \
                 max_requests (at most {MAX_REQUESTS})",
                self.cfg.max_requests, self.now
            ));
        }
        let req = self.next_req;
        self.next_req += 1;
        let key = self
            .cfg
            .popularity
            .pick(&mut self.key_rng, self.cfg.clients)
            .unwrap_or(0);
        let cost_us = self.cfg.cost.draw(&mut self.cost_rng);
        self.mix2(8, req);
        self.mix(cost_us);
        self.active.insert(
            req,
            Active {
                key,
                arrived: self.now,
                cost_us,
                attempt: 0,
                tried: Vec::new(),
                current: None,
                last_outcome: None,
            },
        );
        if self.cfg.record.requests {
            self.records.push(RequestRecord {
                id: req,
                key,
                arrived: self.now,
                cost_us,
                attempts: Vec::new(),
                outcome: None,
                ended: None,
            });
        }
        self.note(SimEvent::Arrived { req, key, cost_us });
        self.schedule_arrival();
        self.dispatch(req)
    }

    /// Sends the next attempt of `req`.
    fn dispatch(&mut self, req: u64) -> Result<(), String> {
        let now = self.now;
        let Some(a) = self.active.get_mut(&req) else {
            return Ok(());
        };
        a.attempt += 1;
        let info = RequestInfo {
            id: req,
            key: a.key,
            attempt: a.attempt,
        };
        let cost_us = a.cost_us;
        let last_outcome = a.last_outcome;
        let tried = std::mem::take(&mut a.tried);
        self.update_ramps();
        for t in &tried {
            self.views[t.0 as usize].tried = true;
        }
        let pick = self
            .balancer
            .pick(now, &info, &self.views, &mut self.balancer_rng);
        let explanation = (self.cfg.record.events && self.cfg.record.explanations)
            .then(|| Box::new(self.balancer.explain(now, &info, &self.views)));
        for t in &tried {
            self.views[t.0 as usize].tried = false;
        }
        if let Some(a) = self.active.get_mut(&req) {
            a.tried = tried;
        }
        if let Some(s) = pick {
            if s.0 as usize >= self.servers.len() {
                return Err(format!(
                    "balancer {:?} picked server {s}, which does not exist",
                    self.balancer.name()
                ));
            }
        }
        self.mix2(9, pick.map_or(u64::MAX, |s| u64::from(s.0)));
        self.note(SimEvent::Picked {
            req,
            attempt: info.attempt,
            server: pick,
            explanation,
        });
        if let (None, Some(previous)) = (pick, last_outcome) {
            // No server left to retry on: the request ends with its previous attempt's outcome
            // (nginx, ngx_http_upstream_module: "the client will receive the result of the
            // communication with the last server").
            if let Some(a) = self.active.get_mut(&req) {
                a.attempt -= 1;
            }
            self.end_request(req, previous);
            return Ok(());
        }
        if pick.is_some() && info.attempt > 1 {
            self.retries += 1;
        }
        if let Some(r) = self.record_mut(req) {
            r.attempts.push(AttemptRecord {
                attempt: info.attempt,
                server: pick,
                sent: now,
                queued: false,
                start: None,
                end: None,
                outcome: None,
                server_finished: None,
            });
        }
        let Some(server) = pick else {
            // No server for a first attempt: the request fails here (HAProxy's 503).
            self.no_server += 1;
            if let Some(at) = self.attempt_mut(req) {
                at.end = Some(now);
                at.outcome = Some(AttemptOutcome::Error);
            }
            self.note(SimEvent::Failed {
                req,
                attempt: info.attempt,
                server: None,
                outcome: AttemptOutcome::Error,
            });
            self.end_request(req, AttemptOutcome::Error);
            return Ok(());
        };
        let i = server.0 as usize;
        if let Some(a) = self.active.get_mut(&req) {
            a.current = Some((server, now));
        }
        self.views[i].in_flight += 1;
        self.counters[i].received += 1;
        let job = Job {
            req,
            attempt: info.attempt,
            cost_us,
            sent_at: now,
        };
        match self.servers[i].offer(now, job) {
            Offer::Started(svc) => self.started(server, svc),
            Offer::Queued(len) => {
                if let Some(at) = self.attempt_mut(req) {
                    at.queued = true;
                }
                self.note(SimEvent::Queued {
                    req,
                    attempt: info.attempt,
                    server,
                    queue_len: len,
                });
            }
            Offer::Dropped => return self.attempt_failed(req, server, AttemptOutcome::Dropped),
            Offer::Refused(_) => return self.attempt_failed(req, server, AttemptOutcome::Error),
        }
        if let Some(t) = self.cfg.timeout_us {
            self.timers += 1;
            self.queue.push(
                now.plus_us(t),
                Ev::Timeout {
                    req,
                    attempt: info.attempt,
                },
            );
        }
        Ok(())
    }

    fn started(&mut self, server: ServerId, svc: crate::requests::server::InService) {
        self.queue.push(
            svc.finish,
            Ev::Finish {
                server: server.0,
                req: svc.job.req,
                attempt: svc.job.attempt,
            },
        );
        if self.is_current(svc.job.req, svc.job.attempt, server) {
            if let Some(at) = self.attempt_mut(svc.job.req) {
                at.start = Some(svc.start);
            }
        }
        self.note(SimEvent::Started {
            req: svc.job.req,
            attempt: svc.job.attempt,
            server,
            finish: svc.finish,
        });
    }

    /// Whether `(req, attempt)` on `server` is the request's live attempt.
    fn is_current(&self, req: u64, attempt: u32, server: ServerId) -> bool {
        self.active
            .get(&req)
            .is_some_and(|a| a.attempt == attempt && a.current.is_some_and(|(s, _)| s == server))
    }

    fn on_finish(&mut self, server: u32, req: u64, attempt: u32) -> Result<(), String> {
        let i = server as usize;
        let id = ServerId(server);
        let now = self.now;
        let Some((_, next)) = self.servers[i].finish(now, req, attempt) else {
            return Ok(()); // lost when the server was killed
        };
        if let Some(svc) = next {
            self.started(id, svc);
        }
        let live = self.is_current(req, attempt, id);
        self.note(SimEvent::Finished {
            req,
            attempt,
            server: id,
            late: !live,
        });
        if live {
            let (sent, arrived, key) = {
                let a = self.active.get(&req).expect("live");
                (a.current.map_or(now, |(_, t)| t), a.arrived, a.key)
            };
            let latency = now.since(sent);
            self.views[i].in_flight -= 1;
            self.counters[i].served += 1;
            self.counters[i].latency.record(latency);
            self.overall.record(now.since(arrived));
            if let Some(at) = self.attempt_mut(req) {
                at.end = Some(now);
                at.outcome = Some(AttemptOutcome::Served);
                at.server_finished = Some(now);
            }
            self.balancer.on_response(
                now,
                &Response {
                    request: RequestInfo {
                        id: req,
                        key,
                        attempt,
                    },
                    server: id,
                    latency_us: latency,
                    outcome: AttemptOutcome::Served,
                },
            );
            self.end_request(req, AttemptOutcome::Served);
        } else {
            self.counters[i].wasted += 1;
            if let Some(r) = self.record_mut(req) {
                if let Some(at) = r.attempts.iter_mut().find(|x| x.attempt == attempt) {
                    at.server_finished = Some(now);
                }
            }
        }
        self.after_drain_step(i);
        Ok(())
    }

    fn after_drain_step(&mut self, i: usize) {
        if self.servers[i].finish_drain(self.now)
            || (self.servers[i].state() == ServerState::Removed
                && self.views[i].membership != Membership::Removed)
        {
            self.views[i].membership = Membership::Removed;
            if self.ramp_from[i].take().is_some() {
                self.ramping -= 1;
            }
            self.note(SimEvent::Removed {
                server: ServerId(i as u32),
            });
        }
    }

    fn on_timeout(&mut self, req: u64, attempt: u32) -> Result<(), String> {
        let Some(a) = self.active.get(&req) else {
            return Ok(());
        };
        if a.attempt != attempt {
            return Ok(());
        }
        let Some((server, _)) = a.current else {
            return Ok(());
        };
        self.attempt_failed(req, server, AttemptOutcome::TimedOut)
    }

    /// The live attempt of `req` on `server` failed now: count it, tell the balancer, then
    /// retry or end the request.
    fn attempt_failed(
        &mut self,
        req: u64,
        server: ServerId,
        outcome: AttemptOutcome,
    ) -> Result<(), String> {
        let now = self.now;
        let i = server.0 as usize;
        let Some(a) = self.active.get_mut(&req) else {
            return Ok(());
        };
        let sent = a.current.map_or(now, |(_, t)| t);
        a.current = None;
        a.last_outcome = Some(outcome);
        a.tried.push(server);
        let (key, attempt) = (a.key, a.attempt);
        self.views[i].in_flight -= 1;
        let c = &mut self.counters[i];
        match outcome {
            AttemptOutcome::Dropped => c.dropped += 1,
            AttemptOutcome::TimedOut => c.timed_out += 1,
            AttemptOutcome::Error => c.errors += 1,
            AttemptOutcome::Served => unreachable!("a failure"),
        }
        if let Some(at) = self.attempt_mut(req) {
            at.end = Some(now);
            at.outcome = Some(outcome);
        }
        self.note(SimEvent::Failed {
            req,
            attempt,
            server: Some(server),
            outcome,
        });
        self.balancer.on_response(
            now,
            &Response {
                request: RequestInfo {
                    id: req,
                    key,
                    attempt,
                },
                server,
                latency_us: now.since(sent),
                outcome,
            },
        );
        let policy = self.cfg.retry;
        if attempt <= policy.max_retries && policy.covers(outcome) {
            if policy.backoff_us == 0 {
                self.note(SimEvent::RetryScheduled {
                    req,
                    attempt: attempt + 1,
                    at: now,
                });
                return self.dispatch(req);
            }
            let at = now.plus_us(policy.backoff_us);
            self.note(SimEvent::RetryScheduled {
                req,
                attempt: attempt + 1,
                at,
            });
            self.queue.push(at, Ev::Dispatch(req));
            return Ok(());
        }
        self.end_request(req, outcome);
        Ok(())
    }

    fn end_request(&mut self, req: u64, outcome: AttemptOutcome) {
        let Some(a) = self.active.remove(&req) else {
            return;
        };
        match outcome {
            AttemptOutcome::Served => self.served += 1,
            AttemptOutcome::Dropped => self.dropped += 1,
            AttemptOutcome::TimedOut => self.timed_out += 1,
            AttemptOutcome::Error => self.errors += 1,
        }
        let latency_us = self.now.since(a.arrived);
        self.mix2(10 + outcome as u64, req);
        self.mix(latency_us);
        let now = self.now;
        if let Some(r) = self.record_mut(req) {
            r.outcome = Some(outcome);
            r.ended = Some(now);
        }
        self.note(SimEvent::Ended {
            req,
            outcome,
            latency_us,
        });
    }

    fn on_probe(&mut self, s: u32) {
        let Some(h) = self.cfg.health else { return };
        let i = s as usize;
        let state = self.servers[i].state();
        match state {
            ServerState::Removed => return,
            ServerState::Up | ServerState::Draining => {
                self.queue.push(
                    self.now,
                    Ev::ProbeResult {
                        server: s,
                        ok: true,
                    },
                );
            }
            ServerState::Killed => {
                self.queue.push(
                    self.now.plus_us(h.timeout_us),
                    Ev::ProbeResult {
                        server: s,
                        ok: false,
                    },
                );
            }
        }
        let next = self.now.plus_us(h.interval_us);
        if next <= self.cfg.duration {
            self.queue.push(next, Ev::Probe(s));
        }
    }

    fn on_probe_result(&mut self, s: u32, ok: bool) {
        let Some(h) = self.cfg.health else { return };
        let i = s as usize;
        let id = ServerId(s);
        self.note(SimEvent::Probed { server: id, ok });
        match self.health[i].record(ok, &h) {
            HealthChange::None => {}
            HealthChange::MarkedDown => {
                self.views[i].healthy = false;
                self.note(SimEvent::MarkedDown { server: id });
            }
            HealthChange::MarkedUp => {
                self.views[i].healthy = true;
                self.note(SimEvent::MarkedUp { server: id });
                self.start_ramp(i);
            }
        }
    }

    fn on_sample(&mut self) {
        let servers = self
            .servers
            .iter()
            .zip(&self.views)
            .map(|(s, v)| ServerSample {
                queue: s.queue_len(),
                busy: s.busy_workers(),
                in_flight: v.in_flight,
            })
            .collect();
        self.samples.push(Sample {
            time: self.now,
            servers,
        });
        if let Some(every) = self.cfg.record.sample_every_us {
            let next = self.now.plus_us(every);
            if next < self.cfg.duration {
                self.queue.push(next, Ev::Sample);
            }
        }
    }
}
