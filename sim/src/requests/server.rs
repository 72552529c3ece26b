//! A server: `workers` identical workers behind one FIFO queue, optionally bounded.
//!
//! An attempt that arrives while a worker is free starts at once; otherwise it waits in the
//! queue, or is **dropped** at once (tail drop, an HTTP 503) when `queue_limit` requests are
//! already waiting. A worker that finishes takes the oldest waiting request. With one worker
//! and Poisson arrivals of exponential cost this is the M/M/1 queue; with `c` workers, M/M/c.
//!
//! **Speed.** A server has a speed (1.0 nominal; 0.25 is four times slower). A request's
//! service time is fixed *when it starts*: `round(cost / speed)` microseconds at the speed in
//! force then. A speed change affects only requests that start after it.
//!
//! **States.** `up`; `killed` (a crash: every request queued or in service is lost as an error
//! at that instant, and requests sent to it fail at once, like a refused connection); `draining`
//! (being removed: it refuses new requests, finishes those it holds, then is `removed`).
//! Revival brings a killed server back `up`, empty.
//!
//! **What it records.** Busy worker-time (for utilisation), the time-weighted queue length and
//! its maximum, and how many attempts had to wait. The server does not know about client
//! timeouts: a request the client gave up on is still served in turn (as most real servers do,
//! lacking deadline propagation); the simulator counts that work as wasted.

use crate::requests::ServerId;
use crate::time::SimTime;
use std::collections::VecDeque;

/// The most workers a server may have.
pub const MAX_WORKERS: u32 = 10_000;
/// The highest speed (and 1/lowest) a server may have.
pub const MAX_SPEED: f64 = 1_000.0;

/// A server's configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct ServerSpec {
    /// Its name ("A", "10.0.0.1:8080").
    pub name: String,
    /// Workers behind its queue (c in M/M/c).
    pub workers: u32,
    /// At most this many requests wait; more are dropped. `None`: unbounded.
    pub queue_limit: Option<u32>,
    /// Relative speed, 1.0 nominal.
    pub speed: f64,
    /// The balancer's weight for it (nginx `weight=`).
    pub weight: u32,
}

impl ServerSpec {
    /// One worker, unbounded queue, speed 1, weight 1.
    pub fn new(name: &str) -> Self {
        ServerSpec {
            name: name.to_string(),
            workers: 1,
            queue_limit: None,
            speed: 1.0,
            weight: 1,
        }
    }

    /// The same with `workers` workers.
    pub fn workers(mut self, workers: u32) -> Self {
        self.workers = workers;
        self
    }

    /// The same with a queue bound.
    pub fn queue_limit(mut self, limit: u32) -> Self {
        self.queue_limit = Some(limit);
        self
    }

    /// The same with this speed.
    pub fn speed(mut self, speed: f64) -> Self {
        self.speed = speed;
        self
    }

    /// The same with this weight.
    pub fn weight(mut self, weight: u32) -> Self {
        self.weight = weight;
        self
    }

    /// Checks the configuration; the message names the server and what to change.
    pub fn validate(&self) -> Result<(), String> {
        let n = &self.name;
        if n.trim().is_empty() || n.chars().count() > 64 {
            return Err(format!("a server name must be 1–64 characters, got {n:?}"));
        }
        if !(1..=MAX_WORKERS).contains(&self.workers) {
            return Err(format!(
                "server {n}: workers must be 1–{MAX_WORKERS}, got {}",
                self.workers
            ));
        }
        if self.queue_limit.is_some_and(|l| l > 10_000_000) {
            return Err(format!(
                "server {n}: the queue limit must be at most 10,000,000"
            ));
        }
        check_speed(n, self.speed)?;
        if !(1..=1_000).contains(&self.weight) {
            return Err(format!(
                "server {n}: the weight must be 1–1000, got {}",
                self.weight
            ));
        }
        Ok(())
    }
}

/// Checks a speed for server `name`.
pub fn check_speed(name: &str, speed: f64) -> Result<(), String> {
    if !speed.is_finite() || !(1.0 / MAX_SPEED..=MAX_SPEED).contains(&speed) {
        return Err(format!(
            "server {name}: the speed must be between {} and {MAX_SPEED}, got {speed}",
            1.0 / MAX_SPEED
        ));
    }
    Ok(())
}

/// A server's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServerState {
    /// Serving.
    Up,
    /// Crashed: refuses everything until revived.
    Killed,
    /// Finishing what it holds before removal; refuses new requests.
    Draining,
    /// Gone.
    Removed,
}

impl ServerState {
    /// A short lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            ServerState::Up => "up",
            ServerState::Killed => "killed",
            ServerState::Draining => "draining",
            ServerState::Removed => "removed",
        }
    }
}

/// One attempt given to a server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Job {
    /// The request.
    pub req: u64,
    /// Its attempt number.
    pub attempt: u32,
    /// Its cost at speed 1, microseconds.
    pub cost_us: u64,
    /// When it reached the server.
    pub sent_at: SimTime,
}

/// A job a worker is serving.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InService {
    /// The job.
    pub job: Job,
    /// When service started.
    pub start: SimTime,
    /// When it will finish.
    pub finish: SimTime,
}

/// What a server did with an attempt it was offered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Offer {
    /// A worker took it at once; it finishes then.
    Started(InService),
    /// It waits; this many requests are now waiting (itself included).
    Queued(u32),
    /// The queue was full: refused.
    Dropped,
    /// The server is killed, draining or removed: refused.
    Refused(ServerState),
}

/// A server at run time.
#[derive(Clone, Debug)]
pub struct Server {
    /// Its id.
    pub id: ServerId,
    /// Its configuration (speed as configured; see [`Server::speed`] for the current one).
    pub spec: ServerSpec,
    state: ServerState,
    speed: f64,
    queue: VecDeque<Job>,
    in_service: Vec<InService>,
    /// When it was added.
    pub added_at: SimTime,
    /// When it was removed, once it has been.
    pub removed_at: Option<SimTime>,
    busy_done_us: u64,
    queue_area: u128,
    queue_since: SimTime,
    /// The longest its queue got.
    pub max_queue: u32,
    /// Attempts that had to wait.
    pub waited: u64,
    /// Total wait of the attempts that started, microseconds.
    pub wait_total_us: u64,
    /// Attempts that started service.
    pub started: u64,
}

impl Server {
    /// A new idle server, `up` from `now` (validate the spec first).
    pub fn new(id: ServerId, spec: ServerSpec, now: SimTime) -> Self {
        Server {
            id,
            speed: spec.speed,
            spec,
            state: ServerState::Up,
            queue: VecDeque::new(),
            in_service: Vec::new(),
            added_at: now,
            removed_at: None,
            busy_done_us: 0,
            queue_area: 0,
            queue_since: now,
            max_queue: 0,
            waited: 0,
            wait_total_us: 0,
            started: 0,
        }
    }

    /// Its state.
    pub fn state(&self) -> ServerState {
        self.state
    }

    /// Its current speed.
    pub fn speed(&self) -> f64 {
        self.speed
    }

    /// Requests waiting.
    pub fn queue_len(&self) -> u32 {
        self.queue.len() as u32
    }

    /// Requests in service (busy workers).
    pub fn busy_workers(&self) -> u32 {
        self.in_service.len() as u32
    }

    /// The jobs in service (unordered).
    pub fn in_service(&self) -> &[InService] {
        &self.in_service
    }

    /// The waiting jobs, oldest first.
    pub fn queued(&self) -> impl Iterator<Item = &Job> {
        self.queue.iter()
    }

    /// Holds nothing (no job waiting or in service).
    pub fn is_idle(&self) -> bool {
        self.queue.is_empty() && self.in_service.is_empty()
    }

    fn note_queue(&mut self, now: SimTime) {
        self.queue_area += u128::from(now.since(self.queue_since)) * self.queue.len() as u128;
        self.queue_since = now;
    }

    fn start(&mut self, now: SimTime, job: Job) -> InService {
        let service = libm::round(job.cost_us as f64 / self.speed) as u64;
        let s = InService {
            job,
            start: now,
            finish: now.plus_us(service),
        };
        self.started += 1;
        self.wait_total_us += now.since(job.sent_at);
        self.in_service.push(s);
        s
    }

    /// Offers an attempt arriving now.
    pub fn offer(&mut self, now: SimTime, job: Job) -> Offer {
        if self.state != ServerState::Up {
            return Offer::Refused(self.state);
        }
        if self.busy_workers() < self.spec.workers {
            return Offer::Started(self.start(now, job));
        }
        if self.spec.queue_limit.is_some_and(|l| self.queue_len() >= l) {
            return Offer::Dropped;
        }
        self.note_queue(now);
        self.queue.push_back(job);
        self.waited += 1;
        self.max_queue = self.max_queue.max(self.queue_len());
        Offer::Queued(self.queue_len())
    }

    /// Ends the service of `(req, attempt)` at `now` (its finish time). Returns the finished
    /// service and, if a waiting job took the freed worker, that job's service; `None` when the
    /// job is not in service here (it was lost when the server was killed).
    pub fn finish(
        &mut self,
        now: SimTime,
        req: u64,
        attempt: u32,
    ) -> Option<(InService, Option<InService>)> {
        let i = self
            .in_service
            .iter()
            .position(|s| s.job.req == req && s.job.attempt == attempt)?;
        let done = self.in_service.swap_remove(i);
        self.busy_done_us += done.finish.since(done.start);
        let next = if matches!(self.state, ServerState::Up | ServerState::Draining) {
            self.note_queue(now);
            self.queue.pop_front().map(|job| self.start(now, job))
        } else {
            None
        };
        Some((done, next))
    }

    /// Crashes it: returns every job it held (in service by start time and request id, then
    /// the queue oldest first), all lost. Its busy time counts up to now.
    pub fn kill(&mut self, now: SimTime) -> Vec<Job> {
        self.note_queue(now);
        let mut serving = std::mem::take(&mut self.in_service);
        serving.sort_unstable_by_key(|s| (s.start, s.job.req, s.job.attempt));
        let mut lost: Vec<Job> = Vec::with_capacity(serving.len() + self.queue.len());
        for s in serving {
            self.busy_done_us += now.since(s.start);
            lost.push(s.job);
        }
        lost.extend(self.queue.drain(..));
        self.state = ServerState::Killed;
        lost
    }

    /// Brings a killed server back up, empty. False if it was not killed.
    pub fn revive(&mut self, now: SimTime) -> bool {
        if self.state != ServerState::Killed {
            return false;
        }
        self.note_queue(now);
        self.state = ServerState::Up;
        true
    }

    /// Starts draining (refuses new work, finishes what it holds). A killed server holds
    /// nothing and is removed at once. Returns the new state.
    pub fn drain(&mut self, now: SimTime) -> ServerState {
        match self.state {
            ServerState::Up | ServerState::Draining => self.state = ServerState::Draining,
            ServerState::Killed => self.state = ServerState::Draining,
            ServerState::Removed => return ServerState::Removed,
        }
        self.finish_drain(now);
        self.state
    }

    /// Removes a draining server that holds nothing; true if it did.
    pub fn finish_drain(&mut self, now: SimTime) -> bool {
        if self.state == ServerState::Draining && self.is_idle() {
            self.note_queue(now);
            self.state = ServerState::Removed;
            self.removed_at = Some(now);
            return true;
        }
        false
    }

    /// Sets the speed for requests that start from now on.
    pub fn set_speed(&mut self, speed: f64) {
        self.speed = speed;
    }

    /// Busy worker-time up to `now`, microseconds (in-service work counted up to `now`).
    pub fn busy_us(&self, now: SimTime) -> u64 {
        self.busy_done_us
            + self
                .in_service
                .iter()
                .map(|s| now.min(s.finish).since(s.start))
                .sum::<u64>()
    }

    /// How long it has existed by `now` (until its removal), microseconds.
    pub fn lifetime_us(&self, now: SimTime) -> u64 {
        self.removed_at.unwrap_or(now).min(now).since(self.added_at)
    }

    /// Busy worker-time over `workers ×` its lifetime, 0–1 (0 before any time has passed).
    pub fn utilisation(&self, now: SimTime) -> f64 {
        let span = self.lifetime_us(now) as f64 * f64::from(self.spec.workers);
        if span == 0.0 {
            0.0
        } else {
            self.busy_us(now) as f64 / span
        }
    }

    /// The time-weighted mean queue length over its lifetime up to `now`.
    pub fn mean_queue(&self, now: SimTime) -> f64 {
        let span = self.lifetime_us(now);
        if span == 0 {
            return 0.0;
        }
        let open = if self.removed_at.is_none() {
            u128::from(now.since(self.queue_since)) * self.queue.len() as u128
        } else {
            0
        };
        (self.queue_area + open) as f64 / span as f64
    }

    /// Checks its invariants: no more jobs in service than workers; a non-empty queue only
    /// when every worker is busy (while up or draining); nothing held when killed or removed.
    pub fn validate(&self) -> Result<(), String> {
        let name = &self.spec.name;
        if self.busy_workers() > self.spec.workers {
            return Err(format!("server {name}: more jobs in service than workers"));
        }
        match self.state {
            ServerState::Up | ServerState::Draining => {
                if !self.queue.is_empty() && self.busy_workers() < self.spec.workers {
                    return Err(format!("server {name}: a job waits while a worker is idle"));
                }
            }
            ServerState::Killed | ServerState::Removed => {
                if !self.is_idle() {
                    return Err(format!(
                        "server {name}: holds jobs while {}",
                        self.state.name()
                    ));
                }
            }
        }
        if let Some(l) = self.spec.queue_limit {
            if self.queue_len() > l {
                return Err(format!("server {name}: queue longer than its limit"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(req: u64, cost_us: u64, at: u64) -> Job {
        Job {
            req,
            attempt: 1,
            cost_us,
            sent_at: SimTime::from_us(at),
        }
    }

    #[test]
    fn two_workers_then_queue_then_drop() {
        // Worked by hand: 2 workers, 1 waiting place, 10 µs jobs at 0, 1, 2, 3.
        let mut s = Server::new(
            ServerId(0),
            ServerSpec::new("A").workers(2).queue_limit(1),
            SimTime::ZERO,
        );
        let t = SimTime::from_us;
        assert!(matches!(s.offer(t(0), job(0, 10, 0)), Offer::Started(x) if x.finish == t(10)));
        assert!(matches!(s.offer(t(1), job(1, 10, 1)), Offer::Started(x) if x.finish == t(11)));
        assert_eq!(s.offer(t(2), job(2, 10, 2)), Offer::Queued(1));
        assert_eq!(s.offer(t(3), job(3, 10, 3)), Offer::Dropped);
        let (done, next) = s.finish(t(10), 0, 1).unwrap();
        assert_eq!(done.job.req, 0);
        let next = next.unwrap();
        assert_eq!((next.job.req, next.start, next.finish), (2, t(10), t(20)));
        assert_eq!(s.wait_total_us, 8);
        s.validate().unwrap();
        // Busy: job 0 10 µs, job 1 up to 12 (11 − 1 = 10, capped at 11 → 10), job 2 2 µs.
        assert_eq!(s.busy_us(t(12)), 10 + 10 + 2);
    }

    #[test]
    fn speed_applies_at_start_and_kill_loses_everything() {
        let mut s = Server::new(ServerId(0), ServerSpec::new("A"), SimTime::ZERO);
        let t = SimTime::from_us;
        s.set_speed(0.5);
        assert!(matches!(s.offer(t(0), job(0, 10, 0)), Offer::Started(x) if x.finish == t(20)));
        s.set_speed(2.0);
        assert_eq!(s.offer(t(1), job(1, 10, 1)), Offer::Queued(1));
        let lost = s.kill(t(5));
        assert_eq!(lost.iter().map(|j| j.req).collect::<Vec<_>>(), [0, 1]);
        assert_eq!(
            s.offer(t(6), job(2, 10, 6)),
            Offer::Refused(ServerState::Killed)
        );
        assert_eq!(s.finish(t(20), 0, 1), None);
        assert!(s.revive(t(7)));
        assert!(matches!(s.offer(t(8), job(3, 10, 8)), Offer::Started(x) if x.finish == t(13)));
        assert_eq!(s.drain(t(9)), ServerState::Draining);
        assert!(s.finish(t(13), 3, 1).is_some());
        assert!(s.finish_drain(t(13)));
        assert_eq!(s.state(), ServerState::Removed);
        assert_eq!(s.lifetime_us(t(100)), 13);
    }
}
