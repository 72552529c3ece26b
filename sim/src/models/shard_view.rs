//! What a shard diagram draws: shards as buckets holding keys, optionally behind one or more
//! front stages (a router, a directory, a cache, an index) that every request passes first.
//! Shared by every sharding lesson, so one diagram serves them all; a model fills only the
//! optional parts it has (a range caption, a down shard, read replicas, a hot key…).

use crate::models::hash_ring::RingFrame;
use crate::models::sharding::{Move, Moved};
use crate::time::SimTime;
use serde::{Deserialize, Serialize};
use std::rc::Rc;

/// One shard.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ShardView {
    /// Its index (shards are numbered 0..N).
    pub index: u32,
    /// Its display name (`Shard 0`).
    pub name: String,
    /// Keys it holds.
    pub keys: u64,
    /// Requests it has served.
    pub requests: u64,
    /// One short line under the name (`ids 1–100,000`, `p99 18 ms`), if the lesson has one.
    pub caption: Option<String>,
    /// Whether it is down (not serving).
    pub down: bool,
    /// Read replicas beside it that share its reads (0 = none).
    pub replicas: u32,
    /// Whether the model flags it as a hot spot (drawn with a warning outline).
    pub hot: bool,
    /// Its share of the load, when the lesson is about load (drawn as a fill and a percentage).
    pub load: Option<LoadShare>,
}

/// A shard's share of the load the model counts (requests, or shard requests after a cache).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LoadShare {
    /// Its share of the load, in percent (the shares add up to 100).
    pub percent: f64,
    /// Its load over the mean shard load (`3.2` = 3.2× the mean; `percent × N / 100`).
    pub of_mean: f64,
}

impl ShardView {
    /// A shard with these counts and nothing optional.
    pub fn new(index: u32, name: impl Into<String>, keys: u64, requests: u64) -> Self {
        ShardView {
            index,
            name: name.into(),
            keys,
            requests,
            ..ShardView::default()
        }
    }
}

/// A stage in front of the shards that requests pass first: a router, a directory, a cache, a
/// global index. Drawn left to right above the buckets in the order given.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FrontView {
    /// Identifier, for `data-testid`s (`directory`, `cache`).
    pub id: String,
    /// Its label (`Directory`).
    pub label: String,
    /// One short line (`hit rate 82%`, `12 tenants`), if any.
    pub caption: Option<String>,
    /// Whether it is down (requests that need it fail).
    pub down: bool,
}

/// One key drawn in a shard.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShardKeyView {
    /// Its name (`user 12`).
    pub name: String,
    /// Its numeric id (the user id the shard is computed from).
    pub id: u64,
    /// The shard holding it.
    pub shard: u32,
    /// Whether it is a hot key (a celebrity), drawn highlighted.
    pub hot: bool,
    /// Its share of the requests, in percent, when the model counts it (a celebrity's
    /// popularity, drawn as a larger marker with the share).
    pub share: Option<f64>,
}

/// One key a resize moved.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShardMove {
    /// The key's id.
    pub id: u64,
    /// Its shard before.
    pub from: u32,
    /// Its shard after.
    pub to: u32,
}

/// The last change of shard count.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShardChange {
    /// When.
    pub at: SimTime,
    /// Shard count before.
    pub from_shards: u32,
    /// Shard count after.
    pub to_shards: u32,
    /// Every key that moved, in id order.
    #[serde(with = "crate::wire::shared")]
    pub moves: Rc<[ShardMove]>,
    /// Keys at the time.
    pub total: u64,
}

/// How a request ended.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum RequestOutcome {
    /// A shard (or one of its replicas) served it.
    #[default]
    Served,
    /// A front stage answered it (a cache hit); no shard was asked.
    AnsweredInFront,
    /// It reached the wrong shard (a stale directory entry) and was redirected.
    Misrouted,
    /// It failed (a down shard or a down directory).
    Failed,
}

impl ShardChange {
    /// Every move, naming keys with `name` (what
    /// [`crate::models::sharding::Placement::last_moves`] reports).
    pub fn listed(&self, name: impl Fn(u64) -> String) -> Vec<Move> {
        self.moves
            .iter()
            .map(|m| Move {
                key: name(m.id),
                from: m.from.to_string(),
                to: m.to.to_string(),
            })
            .collect()
    }

    /// How many keys moved, of how many (what
    /// [`crate::models::sharding::Placement::last_moved`] reports).
    pub fn moved(&self) -> Moved {
        Moved {
            keys: self.moves.len() as u64,
            total: self.total,
        }
    }
}

/// A request routed to a shard (drawn for a short while after `at`). One query that fans out
/// to several shards is several requests with the same `query`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShardRequest {
    /// Its number (stable id for the view).
    pub id: u64,
    /// The key asked for; `None` for a request that asks for no particular row (an index
    /// partition, a shard searched for a match it does not hold).
    pub key: Option<u64>,
    /// The shard that served it (or would have, for a request answered in front or failed).
    pub shard: u32,
    /// When it was routed.
    pub at: SimTime,
    /// The query it belongs to (equal to `id` for a single-shard request).
    pub query: u64,
    /// The read replica that served it (0 = the primary; 1.. = replica number).
    pub replica: u32,
    /// How it ended.
    pub outcome: RequestOutcome,
    /// How long the shard took, if the model simulates latency.
    pub latency_us: Option<u64>,
}

impl ShardRequest {
    /// A request served by a shard's primary, on its own.
    pub fn served(id: u64, key: u64, shard: u32, at: SimTime) -> Self {
        ShardRequest {
            id,
            key: Some(key),
            shard,
            at,
            query: id,
            replica: 0,
            outcome: RequestOutcome::Served,
            latency_us: None,
        }
    }
}

/// How long a routed request stays in the frame, for the view's pulse.
pub const REQUEST_SHOWN_US: u64 = 400_000;
/// Most requests a frame carries (the busiest presets route hundreds a second).
pub const MAX_SHOWN_REQUESTS: usize = 256;

/// The requests a model keeps for its frames: those routed in the last [`REQUEST_SHOWN_US`], at
/// most [`MAX_SHOWN_REQUESTS`] of them (the oldest go first).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RecentRequests {
    items: Vec<ShardRequest>,
}

impl RecentRequests {
    /// Keeps a request routed now (requests arrive in time order), dropping those too old to
    /// draw.
    pub fn push(&mut self, request: ShardRequest) {
        let now = request.at;
        self.items.retain(|r| now.since(r.at) < REQUEST_SHOWN_US);
        self.items.push(request);
        if self.items.len() > MAX_SHOWN_REQUESTS {
            let extra = self.items.len() - MAX_SHOWN_REQUESTS;
            self.items.drain(..extra);
        }
    }

    /// Forgets every request (the shards were rebuilt).
    pub fn clear(&mut self) {
        self.items.clear();
    }

    /// The requests still pulsing at `now`.
    pub fn shown(&self, now: SimTime) -> Vec<ShardRequest> {
        self.items
            .iter()
            .filter(|r| r.at <= now && now.since(r.at) < REQUEST_SHOWN_US)
            .cloned()
            .collect()
    }
}

/// One shard request of a query that fanned out: when the router sent it, when the shard took
/// it up (after its queue) and when it answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FanLeg {
    /// The shard asked.
    pub shard: u32,
    /// When the router sent it.
    pub sent: SimTime,
    /// When the shard started on it (after the requests queued before it).
    pub start: SimTime,
    /// When the shard answered.
    pub finish: SimTime,
    /// Whether its service met a pause.
    pub paused: bool,
    /// Whether it was a lookup in an index partition (rather than a data shard's answer).
    pub index: bool,
}

/// The query the diagram follows: the shards a front stage asked, each answer's times, and when
/// the whole answer was in. Times are the model's, so a view animates from the simulated clock.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FanOut {
    /// The query's number.
    pub query: u64,
    /// What it asked, in words (`by attribute: value 17`).
    pub what: String,
    /// The front stage that sent the requests (`router`).
    pub from: String,
    /// When it reached that stage.
    pub issued: SimTime,
    /// When the stage had the whole answer (the last answer, plus any merge).
    pub done: SimTime,
    /// Its shard requests, in the order sent.
    pub legs: Vec<FanLeg>,
    /// The shard whose answer came last: what the query waited for.
    pub slowest: Option<u32>,
}

/// What the shard diagram draws.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShardFrame {
    /// The frame's time.
    pub now: SimTime,
    /// How keys map to shards, in words (`user_id % 4`).
    pub rule: String,
    /// The shards, by index.
    pub shards: Vec<ShardView>,
    /// Up to a few hundred keys, in id order.
    pub keys: Vec<ShardKeyView>,
    /// All keys.
    pub keys_total: u64,
    /// The last resize, if any.
    pub last_change: Option<ShardChange>,
    /// Recent requests.
    pub requests: Vec<ShardRequest>,
    /// Stages in front of the shards, left to right (empty: clients reach shards directly).
    pub front: Vec<FrontView>,
    /// The query whose fan-out the diagram follows, if the model draws one.
    pub fanout: Option<FanOut>,
    /// The same shards as a ring, for a placement that lives on one (the ring, ketama, bounded
    /// loads): the diagram then draws the ring instead of buckets.
    pub ring: Option<Rc<RingFrame>>,
}
