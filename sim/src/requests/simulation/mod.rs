//! The event loop: the run, its digest and its report (`handlers.rs` has what each event
//! does; [`crate::requests::config`] the configuration).
//!
//! Events live in one [`EventQueue`] ordered by `(time, sequence number)`. Arrivals are
//! generated one ahead (the next arrival is always scheduled, until `duration`). After
//! `duration` no request arrives and no probe or sample is scheduled; the run goes on until
//! every request has ended (the queues drain), so a finished run has no unfinished request.
//! Hard caps refuse a run with a clear error instead of exhausting memory or time: a
//! `duration` of at most 7 days, at most `max_requests` arrivals (latencies are kept for exact
//! percentiles), `max_events` events, and `max_drain_us` of simulated time after `duration`.

mod handlers;

use crate::event::EventQueue;
use crate::requests::arrivals::ArrivalStream;
use crate::requests::balancer::{AttemptOutcome, BackendView, Balancer, Membership};
use crate::requests::config::{check_id, Action, SimConfig, MAX_SERVERS};
use crate::requests::health::HealthState;
use crate::requests::server::{check_speed, Server, ServerState};
use crate::requests::stats::{LatencySamples, Report, ServerReport};
use crate::requests::timeline::{AttemptRecord, RequestRecord, Sample, SimEvent};
use crate::requests::ServerId;
use crate::rng::SimRng;
use crate::time::SimTime;
use std::collections::VecDeque;

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
}
