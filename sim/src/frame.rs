//! Frames: what a view draws at one moment. One variant per kind of diagram.

use crate::models::hash_ring::RingFrame;
use crate::models::shard_view::ShardFrame;
use std::rc::Rc;

/// What to draw now.
#[derive(Clone, Debug, PartialEq)]
pub enum Frame {
    /// A consistent-hash ring.
    Ring(Rc<RingFrame>),
    /// Shards as buckets of keys.
    Shards(Rc<ShardFrame>),
}
