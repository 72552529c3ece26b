//! What a run records when asked ([`crate::requests::Recording`]): each request's timeline,
//! the event log a view narrates, and periodic samples of every server's queue and load.
//! All off by default: a million-request fidelity run keeps only counters and latencies.

use crate::requests::balancer::{AttemptOutcome, Explanation};
use crate::requests::ServerId;
use crate::time::SimTime;

/// One attempt of a request.
#[derive(Clone, Debug, PartialEq)]
pub struct AttemptRecord {
    /// 1 for the first attempt, 2 for the first retry, …
    pub attempt: u32,
    /// The server picked (`None`: no server was available).
    pub server: Option<ServerId>,
    /// When the balancer sent it.
    pub sent: SimTime,
    /// Whether it had to wait in the server's queue.
    pub queued: bool,
    /// When a worker started it.
    pub start: Option<SimTime>,
    /// When the balancer learned the outcome (served, refused, failed or timed out).
    pub end: Option<SimTime>,
    /// How it ended for the balancer.
    pub outcome: Option<AttemptOutcome>,
    /// When the server finished it, if it did: after `end` for a timed-out attempt (wasted
    /// work).
    pub server_finished: Option<SimTime>,
}

/// One request's whole timeline.
#[derive(Clone, Debug, PartialEq)]
pub struct RequestRecord {
    /// Its id (arrival order).
    pub id: u64,
    /// Its client or key id.
    pub key: u64,
    /// When it arrived.
    pub arrived: SimTime,
    /// Its cost at speed 1, microseconds.
    pub cost_us: u64,
    /// Its attempts in order.
    pub attempts: Vec<AttemptRecord>,
    /// Its final outcome (its last attempt's), once it has ended.
    pub outcome: Option<AttemptOutcome>,
    /// When it ended.
    pub ended: Option<SimTime>,
}

/// Something that happened, for the event log and the animation.
#[derive(Clone, Debug, PartialEq)]
pub enum SimEvent {
    /// A request arrived.
    Arrived {
        /// The request.
        req: u64,
        /// Its key.
        key: u64,
        /// Its cost, µs at speed 1.
        cost_us: u64,
    },
    /// The balancer picked a server for an attempt (`None`: no server available), with its
    /// explanation when recorded.
    Picked {
        /// The request.
        req: u64,
        /// The attempt.
        attempt: u32,
        /// The server.
        server: Option<ServerId>,
        /// Why (when [`crate::requests::Recording::explanations`] is on).
        explanation: Option<Box<Explanation>>,
    },
    /// An attempt waits in a server's queue.
    Queued {
        /// The request.
        req: u64,
        /// The attempt.
        attempt: u32,
        /// The server.
        server: ServerId,
        /// Requests waiting there now, itself included.
        queue_len: u32,
    },
    /// A worker started an attempt.
    Started {
        /// The request.
        req: u64,
        /// The attempt.
        attempt: u32,
        /// The server.
        server: ServerId,
        /// When it will finish.
        finish: SimTime,
    },
    /// A server finished an attempt; `late` when the client had already given up.
    Finished {
        /// The request.
        req: u64,
        /// The attempt.
        attempt: u32,
        /// The server.
        server: ServerId,
        /// Whether the client had already timed out (wasted work).
        late: bool,
    },
    /// An attempt failed: dropped, error or timed out.
    Failed {
        /// The request.
        req: u64,
        /// The attempt.
        attempt: u32,
        /// The server (`None`: no server was available).
        server: Option<ServerId>,
        /// How.
        outcome: AttemptOutcome,
    },
    /// A failed request will be tried again at `at`.
    RetryScheduled {
        /// The request.
        req: u64,
        /// The next attempt's number.
        attempt: u32,
        /// When.
        at: SimTime,
    },
    /// A request ended.
    Ended {
        /// The request.
        req: u64,
        /// Its final outcome.
        outcome: AttemptOutcome,
        /// From arrival to the end, microseconds.
        latency_us: u64,
    },
    /// A health probe's result.
    Probed {
        /// The server.
        server: ServerId,
        /// Whether it passed.
        ok: bool,
    },
    /// Health checks marked a server down.
    MarkedDown {
        /// The server.
        server: ServerId,
    },
    /// Health checks marked a server up again.
    MarkedUp {
        /// The server.
        server: ServerId,
    },
    /// A server was killed, losing `lost` requests.
    Killed {
        /// The server.
        server: ServerId,
        /// Requests it held (queued or in service).
        lost: u32,
    },
    /// A killed server came back, empty.
    Revived {
        /// The server.
        server: ServerId,
    },
    /// A server joined.
    Added {
        /// The server.
        server: ServerId,
    },
    /// A server started draining.
    Draining {
        /// The server.
        server: ServerId,
    },
    /// A drained server is gone.
    Removed {
        /// The server.
        server: ServerId,
    },
    /// A server's speed changed.
    SpeedChanged {
        /// The server.
        server: ServerId,
        /// The new speed.
        speed: f64,
    },
    /// A scheduled action could not be applied, and why.
    Rejected {
        /// The reason.
        reason: String,
    },
}

impl SimEvent {
    /// True for events worth a mark on the timeline (a crash, not a routine request).
    pub fn is_milestone(&self) -> bool {
        matches!(
            self,
            SimEvent::MarkedDown { .. }
                | SimEvent::MarkedUp { .. }
                | SimEvent::Killed { .. }
                | SimEvent::Revived { .. }
                | SimEvent::Added { .. }
                | SimEvent::Draining { .. }
                | SimEvent::Removed { .. }
                | SimEvent::SpeedChanged { .. }
        )
    }
}

/// One server at a sample time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServerSample {
    /// Requests waiting in its queue.
    pub queue: u32,
    /// Workers busy.
    pub busy: u32,
    /// The balancer's in-flight count for it.
    pub in_flight: u32,
}

/// Every server's load at one moment (indexed by server id).
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    /// When.
    pub time: SimTime,
    /// Per server, by id.
    pub servers: Vec<ServerSample>,
}
