//! What a cache-system diagram draws: the stores a request passes (clients, in-process caches,
//! a shared cache, a CDN edge, a write-behind buffer, the database), left to right in the order a
//! read visits them, each with the entries it holds, and the last request's path highlighted.
//!
//! Shared by the caching family's write-policy, expiry and hierarchy lessons, so one diagram
//! serves them all; a model fills only the parts it has (a version per entry when the lesson is
//! about staleness, the time to live when it is about expiry, a load when it is about the origin).
//! The eviction lessons draw a policy's internals instead (`CacheFrame`).

use crate::time::SimTime;
use serde::{Deserialize, Serialize};

/// Everything the diagram draws at one moment.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StoreFrame {
    /// The stores, in the order a read passes them (client first, database last).
    pub tiers: Vec<TierView>,
    /// The last request, message or flush, drawn as a path through the tiers it visited.
    pub last: Option<FlowView>,
    /// One line above the diagram (`write-behind: flush every 2 s or 10 writes`), if any.
    pub caption: Option<String>,
}

/// What kind of store a tier is: decides its shape, never its behaviour.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum TierKind {
    /// Where requests come from (clients, app servers); holds no entries of its own.
    Client,
    /// A cache (in-process, shared, CDN edge).
    #[default]
    Cache,
    /// Writes waiting to reach the database (write-behind).
    Buffer,
    /// The system of record (database, origin).
    Database,
}

/// One store.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TierView {
    /// Identifier: the `data-testid` suffix, and what [`FlowView::path`] names (`l1-0`, `db`).
    pub id: String,
    /// Its label (`App server 1 · L1`, `Redis`, `Database`).
    pub label: String,
    /// What it is.
    pub kind: TierKind,
    /// Tiers with the same group are drawn stacked in one column (several app servers' L1s).
    pub group: Option<String>,
    /// One short line under the label (`hit ratio 82 %`, `TTL 60 s`), if the lesson has one.
    pub caption: Option<String>,
    /// Whether it is down (crashed, unreachable).
    pub down: bool,
    /// Its current load as a share of its capacity (0.0–1.0 and beyond when overloaded), drawn
    /// as a bar, when the lesson is about load (the origin during a stampede).
    pub load: Option<f64>,
    /// Entries drawn, in the order the model gives (most relevant first).
    pub entries: Vec<EntryView>,
    /// Entries it holds but the frame leaves out (a cache of 10,000 keys draws a few).
    pub more: u64,
}

/// The state of one entry, drawn as its colour and a word (never colour alone).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum EntryState {
    /// Up to date with the database.
    #[default]
    Fresh,
    /// Older than the database's version (a read of it is a stale read).
    Stale,
    /// Written to the cache but not yet to the database (write-behind).
    Dirty,
    /// Past its time to live but still held (served stale while it is refreshed, or about to go).
    Expired,
    /// Being fetched or refreshed from the tier behind (a single-flight leader is on its way).
    Loading,
}

/// One entry in a tier.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EntryView {
    /// The key (`product 17`).
    pub key: String,
    /// The version of the value it holds, when the lesson tracks versions.
    pub version: Option<u64>,
    /// Time to live left, when it expires (`None`: no expiry).
    pub ttl_left: Option<SimTime>,
    /// Its state.
    pub state: EntryState,
    /// One short note (`3 waiting`, `hits 41`), if any.
    pub note: Option<String>,
    /// Whether the diagram emphasises it (the key of the last request, a hot key).
    pub hot: bool,
}

/// What the last flow was.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum FlowKind {
    /// A read (down the tiers until one holds the key, then back with the value).
    #[default]
    Read,
    /// A write.
    Write,
    /// An invalidation or delete.
    Invalidate,
    /// A cache filled from the tier behind (a miss's fill, a refresh).
    Fill,
    /// A write-behind flush to the database.
    Flush,
    /// An entry expired or was evicted.
    Expire,
}

/// The last request, message or flush: the tiers it visited, in order.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FlowView {
    /// When it happened.
    pub at: SimTime,
    /// What it was.
    pub kind: FlowKind,
    /// The key it concerned.
    pub key: String,
    /// Tier ids it visited, in order (`["client-0", "l1-0", "l2", "db"]`).
    pub path: Vec<String>,
    /// False when it went wrong (a stale read, a lost write, an error), drawn as a warning.
    pub ok: bool,
    /// The narration line (`client 2 read product 17 v3 from Redis: stale, the database has v4`).
    pub text: String,
}
