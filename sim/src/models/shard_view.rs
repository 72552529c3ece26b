//! What a shard diagram draws: shards as buckets holding keys. Shared by the sharding lessons
//! (modulo now; range and directory sharding later), so one diagram serves them all.

use crate::time::SimTime;
use std::rc::Rc;

/// One shard.
#[derive(Clone, Debug, PartialEq)]
pub struct ShardView {
    /// Its index (shards are numbered 0..N).
    pub index: u32,
    /// Its display name (`Shard 0`).
    pub name: String,
    /// Keys it holds.
    pub keys: u64,
    /// Requests it has served.
    pub requests: u64,
}

/// One key drawn in a shard.
#[derive(Clone, Debug, PartialEq)]
pub struct ShardKeyView {
    /// Its name (`user 12`).
    pub name: String,
    /// Its numeric id (the user id the shard is computed from).
    pub id: u64,
    /// The shard holding it.
    pub shard: u32,
}

/// One key a resize moved.
#[derive(Clone, Debug, PartialEq)]
pub struct ShardMove {
    /// The key's id.
    pub id: u64,
    /// Its shard before.
    pub from: u32,
    /// Its shard after.
    pub to: u32,
}

/// The last change of shard count.
#[derive(Clone, Debug, PartialEq)]
pub struct ShardChange {
    /// When.
    pub at: SimTime,
    /// Shard count before.
    pub from_shards: u32,
    /// Shard count after.
    pub to_shards: u32,
    /// Every key that moved, in id order.
    pub moves: Rc<[ShardMove]>,
    /// Keys at the time.
    pub total: u64,
}

/// A request routed to a shard (drawn for a short while after `at`).
#[derive(Clone, Debug, PartialEq)]
pub struct ShardRequest {
    /// Its number (stable id for the view).
    pub id: u64,
    /// The key asked for.
    pub key: u64,
    /// The shard that served it.
    pub shard: u32,
    /// When it was routed.
    pub at: SimTime,
}

/// What the shard diagram draws.
#[derive(Clone, Debug, PartialEq)]
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
}
