//! A run's configuration: servers, arrivals, costs, timeouts, retries, health checks, slow
//! start, caps, what to record, and the changes to apply during the run; validated once, with
//! messages that say what to change.

use crate::requests::arrivals::Arrivals;
use crate::requests::balancer::AttemptOutcome;
use crate::requests::cost::CostDist;
use crate::requests::health::HealthCheckConfig;
use crate::requests::server::{check_speed, ServerSpec};
use crate::requests::ServerId;
use crate::time::SimTime;
use crate::workload::Popularity;

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

    /// Whether an attempt that ended with `outcome` is retried under this policy.
    pub fn covers(&self, outcome: AttemptOutcome) -> bool {
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
    /// Every request's timeline ([`RequestRecord`](crate::requests::RequestRecord)).
    pub requests: bool,
    /// The event log ([`SimEvent`](crate::requests::SimEvent)).
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

/// Checks that server `id` exists among `count`.
pub(crate) fn check_id(id: ServerId, count: u32) -> Result<(), String> {
    if id.0 >= count {
        return Err(format!(
            "no server {id}: there are {count} (ids #0–#{})",
            count.saturating_sub(1)
        ));
    }
    Ok(())
}
