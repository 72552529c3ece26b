//! The load-balancing diagram's frame: every server as the balancer sees it and as it really is,
//! the newest requests (for an animation of dots), and why the last pick went where it did. Plain
//! owned data (serde: frames cross the engine's wire as values), built every animation frame, so
//! it holds O(servers + [`super::FRAME_REQUESTS`]) things and nothing that grows with the run.

use crate::time::SimTime;
use serde::{Deserialize, Serialize};

/// What the load-balancing diagram draws at one moment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BalanceFrame {
    /// When.
    pub now: SimTime,
    /// The strategy's name (`least connections`).
    pub strategy: String,
    /// The servers, by id (a removed server keeps its place, marked `removed`).
    pub servers: Vec<FrameServer>,
    /// The newest requests (at most [`super::FRAME_REQUESTS`]), oldest first.
    pub requests: Vec<FrameRequest>,
    /// The last pick and what the balancer saw for it.
    pub last_pick: Option<FramePick>,
    /// Directives of a pasted config that are not modelled, one sentence each.
    pub notices: Vec<String>,
}

/// One server.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FrameServer {
    /// Its name.
    pub name: String,
    /// Its configured weight.
    pub weight: u32,
    /// Its weight after slow start (`weight` once ramped).
    pub effective_weight: f64,
    /// Its speed (1 nominal; 0.25 is four times slower).
    pub speed: f64,
    /// Whether the balancer believes it up (its health checks' verdict).
    pub healthy: bool,
    /// Whether the strategy keeps it out by its own verdict (nginx passive checks, `max_fails`),
    /// though the health checks, if any, still call it up.
    #[serde(default)]
    pub shunned: bool,
    /// Whether it is really up (not killed, not removed): the truth the balancer may not know.
    pub alive: bool,
    /// `up`, `killed`, `draining` or `removed`.
    pub state: String,
    /// The balancer's count of its requests not answered yet.
    pub in_flight: u32,
    /// Requests waiting in its queue.
    pub queue: u32,
    /// Workers busy.
    pub busy: u32,
    /// Workers it has.
    pub workers: u32,
    /// Attempts it served in time.
    pub served: u64,
    /// Attempts it refused because its queue was full.
    pub dropped: u64,
    /// Attempts whose timeout expired while it held them.
    pub timed_out: u64,
    /// Attempts that failed on it (killed, down, draining).
    pub errors: u64,
    /// Busy worker-time over its worker-time since it joined, 0–1.
    pub utilisation: f64,
}

/// One request, as the animation draws it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FrameRequest {
    /// Its id (arrival order, from 0).
    pub id: u64,
    /// Its client (the key hashing strategies read).
    pub key: u64,
    /// The server of its latest attempt, by id (`None`: no server was available).
    pub server: Option<u32>,
    /// Its latest attempt (1, then 2 for the first retry, …).
    pub attempt: u32,
    /// When it arrived.
    pub arrived: SimTime,
    /// When its latest attempt was sent.
    pub sent: SimTime,
    /// When a worker started its latest attempt, if the run saw it in service.
    pub start: Option<SimTime>,
    /// When it ended, if it has.
    pub end: Option<SimTime>,
    /// `queued`, `in-service`, `retrying`, or how it ended (`served`, `dropped`, `error`,
    /// `timed-out`).
    pub state: String,
}

/// One server's score in the last pick.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FrameScore {
    /// The server, by id.
    pub server: u32,
    /// Its score in the strategy's terms (`None`: not considered, or not a number).
    pub score: Option<f64>,
    /// Why, in a few words ("B: 3 in flight × 12 ms EWMA = 36").
    pub text: String,
}

/// The last pick: "what the balancer sees".
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FramePick {
    /// The request.
    pub req: u64,
    /// Its attempt.
    pub attempt: u32,
    /// When the pick was made.
    pub at: SimTime,
    /// The server picked, by id (`None`: no server available).
    pub chosen: Option<u32>,
    /// One sentence ("lowest score wins: B (36)").
    pub summary: String,
    /// Per server.
    pub scores: Vec<FrameScore>,
}
