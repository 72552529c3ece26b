//! What the ring diagram draws: the frame types of the hash-ring model.
//!
//! Everything the ring's rules decide is in the frame: where each server's marker sits (its
//! vnode 0), which stretches of the ring it owns, and which point served a request or now
//! serves a moved key. The view only turns positions into angles; it never hashes or looks up.

use crate::hashing::arcs::OwnedArc;
use crate::hashing::ring::Position;
use crate::time::SimTime;

use super::Change;
use serde::{Deserialize, Serialize};

/// A server drawn in a frame.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ServerView {
    /// Its name.
    pub name: String,
    /// A stable colour index (order of first appearance).
    pub color: u32,
    /// Its virtual nodes' positions.
    pub points: Vec<Position>,
    /// Where its vnode 0 sits (the pinned angle in the 0–360° teaching mode, else `hash("S#0")`
    /// or its first random token): where its marker goes.
    pub anchor: Position,
    /// The stretches of the ring it owns, in ring order (`owner` is its place in the frame's
    /// `servers`).
    pub arcs: Vec<OwnedArc>,
    /// Share of the ring it owns, in percent.
    pub arc_percent: f64,
    /// Placed at an explicit angle (the 0–360° teaching mode) rather than by hashing.
    pub pinned: bool,
    /// Keys it owns.
    pub keys: u64,
    /// Requests it has served.
    pub requests: u64,
}

/// A crashed server, remembered so the view can draw a ghost where it stood.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemovedServer {
    /// Its name.
    pub name: String,
    /// Its colour index.
    pub color: u32,
    /// Where its first virtual node (vnode 0) was.
    pub anchor: Position,
}

/// A key drawn in a frame.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KeyView {
    /// Its name.
    pub name: String,
    /// Where it sits.
    pub position: Position,
    /// Its owner first, then replicas.
    pub owners: Vec<String>,
    /// Named by the learner.
    pub named: bool,
}

/// A request drawn in a frame (routed within the last [`REQUEST_SHOWN_US`](super::REQUEST_SHOWN_US)).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RequestView {
    /// Its number (stable id for the view).
    pub id: u64,
    /// Where its key sits.
    pub position: Position,
    /// Who served it.
    pub server: String,
    /// The point of that server that served it: the first at or after `position` clockwise.
    pub point: Position,
    /// When it was routed.
    pub at: SimTime,
}

/// What the ring diagram draws.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RingFrame {
    /// The frame's time.
    pub now: SimTime,
    /// Live servers in name order.
    pub servers: Vec<ServerView>,
    /// Servers that crashed, drawn as ghosts where they were.
    pub removed: Vec<RemovedServer>,
    /// Up to [`FRAME_KEYS`](super::FRAME_KEYS) generated keys plus every named key.
    pub keys: Vec<KeyView>,
    /// All keys on the ring.
    pub keys_total: u64,
    /// The last server change, if any.
    pub last_change: Option<Change>,
    /// Recent requests.
    pub requests: Vec<RequestView>,
    /// The hash function in use.
    #[serde(deserialize_with = "crate::wire::static_str")]
    pub hash: crate::wire::StaticStr,
    /// Virtual nodes per server.
    pub vnodes: u32,
}
