//! Caches: eviction policies as real data structures, the requests they serve, and the events a
//! lesson narrates. No simulated time here: a policy sees one request after another (the
//! "virtual time" of the cache literature: the request's index in the trace).
//!
//! Every policy implements [`Policy`]. Capacity is in *units*: with count capacity every object
//! has size 1; with byte capacity an object's size is its bytes. A policy never holds more than
//! its capacity (checked by `validate`), and an object larger than the whole cache is never
//! admitted.
//!
//! Module map (one policy per file):
//! - [`fifo`], [`lru`], [`lfu`], [`clock`], [`random`], [`sampled`] (Redis' approximated LRU),
//!   [`slru`], [`two_q`]
//! - [`arc`], [`tinylfu`] (W-TinyLFU), [`s3fifo`], [`sieve`], [`belady`] (MIN, needs the future)
//! - [`workload`] (synthetic request streams) and [`trace`] (traces the reader brings)
//! - `list` (private): the slab lists and the key index every policy is built on

pub mod arc;
pub mod belady;
pub mod clock;
pub mod fifo;
pub mod lfu;
mod list;
pub mod lru;
pub mod random;
pub mod s3fifo;
pub mod sampled;
pub mod sieve;
pub mod slru;
pub mod tinylfu;
pub mod trace;
pub mod ttl;
pub mod two_q;
pub mod workload;

/// One request: a key, its size in capacity units (1 with count capacity), and when the same
/// key is requested next (the index of that request in the trace, or [`NEVER`]). Only Belady's
/// MIN reads `next`; [`annotate_next`] fills it for a whole trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Request {
    /// The object's key.
    pub key: u64,
    /// Its size in capacity units.
    pub size: u32,
    /// The index of the next request for this key, or [`NEVER`].
    pub next: u64,
}

/// `Request::next` of a key that is never requested again.
pub const NEVER: u64 = u64::MAX;

impl Request {
    /// A request of size 1 whose future is unknown.
    pub fn unit(key: u64) -> Self {
        Request {
            key,
            size: 1,
            next: NEVER,
        }
    }
}

/// Fills every request's `next` with the index of the next request for the same key (a pass
/// from the end, with an ordered map: deterministic on every target).
pub fn annotate_next(trace: &mut [Request]) {
    let mut seen: std::collections::BTreeMap<u64, u64> = std::collections::BTreeMap::new();
    for i in (0..trace.len()).rev() {
        let key = trace[i].key;
        trace[i].next = seen.insert(key, i as u64).unwrap_or(NEVER);
    }
}

/// Where an object sits inside a policy's structure, for narration and the diagram: the name of
/// the segment (queue, list, LRU stack, ghost list…) as the policy's paper names it.
pub type Segment = &'static str;

/// What a policy did while serving one request, in order. A lesson narrates each one
/// ("evicted k17: its visited bit was 0"), the diagram animates them.
#[derive(Clone, Debug, PartialEq)]
#[allow(missing_docs)] // variant fields: key, segment, why, as named
pub enum CacheEvent {
    /// The object was in the cache.
    Hit { key: u64, segment: Segment },
    /// It was not (a hit in a ghost list is still a miss; `ghost` names that list).
    Miss { key: u64, ghost: Option<Segment> },
    /// The object was stored in `segment`.
    Insert { key: u64, segment: Segment },
    /// The object moved between segments (or to the front of its own).
    Move {
        key: u64,
        from: Segment,
        to: Segment,
    },
    /// The object left the cache. `why` is the policy's reason in plain words
    /// ("its visited bit was 0", "least recently used", "next used farthest in the future").
    Evict {
        key: u64,
        segment: Segment,
        why: String,
    },
    /// The policy declined to store the missed object (TinyLFU's admission duel, an object
    /// larger than the cache, MIN bypassing an object used later than everything it holds).
    Refuse { key: u64, why: String },
    /// A policy parameter adapted (ARC's target size `p`).
    Adapt { name: &'static str, value: i64 },
}

/// Whether a request hit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Served from the cache.
    Hit,
    /// Not in the cache.
    Miss,
}

/// An eviction policy.
///
/// Implementations keep every structure a real implementation keeps (no "simulated" shortcut),
/// push one [`CacheEvent`] per thing they do when `events` is `Some` (and do no narration work
/// when it is `None`: the miss-ratio sweeps run millions of requests), and check their own
/// invariants in `validate`.
pub trait Policy: PolicyClone {
    /// The policy's id (`lru`, `s3fifo`, …).
    fn id(&self) -> &'static str;
    /// Serves one request: a hit, or a miss after which the policy decides whether and where
    /// to store the object and what to evict.
    fn access(&mut self, req: &Request, events: Option<&mut Vec<CacheEvent>>) -> Outcome;
    /// Whether the object is cached (ghost entries do not count).
    fn contains(&self, key: u64) -> bool;
    /// Drops the object if cached (an invalidation); returns whether it was. Ghost entries may
    /// stay.
    fn remove(&mut self, key: u64) -> bool;
    /// Units in use (objects with count capacity, bytes with byte capacity).
    fn used(&self) -> u64;
    /// Cached objects (ghosts excluded).
    fn len(&self) -> u64;
    /// True when no object is cached.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The capacity in units.
    fn capacity(&self) -> u64;
    /// The policy's structure as the diagram draws it.
    fn view(&self) -> CacheView;
    /// Checks the policy's invariants (capacity respected, indexes agree with lists, …).
    fn validate(&self) -> Result<(), String>;
}

/// Cloning a boxed policy: every `Policy + Clone` gets it, so a model holding a
/// `Box<dyn Policy>` stays `Clone` (the engine checkpoints models by cloning them).
pub trait PolicyClone {
    /// A boxed copy.
    fn clone_box(&self) -> Box<dyn Policy>;
}

impl<T: Policy + Clone + 'static> PolicyClone for T {
    fn clone_box(&self) -> Box<dyn Policy> {
        Box::new(self.clone())
    }
}

impl Clone for Box<dyn Policy> {
    fn clone(&self) -> Self {
        self.clone_box()
    }
}

/// One entry as drawn: the key, its size, and the policy's mark on it (a visited or reference
/// bit as 0/1, a frequency count, S3-FIFO's 0–3 counter), if it keeps one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ViewEntry {
    /// The key.
    pub key: u64,
    /// Its size in units.
    pub size: u32,
    /// The policy's mark, if it keeps one.
    pub mark: Option<u32>,
}

/// One segment as drawn, entries in the order the policy keeps them: **the next victim last**
/// (for an LRU list: most recent first, least recent last).
#[derive(Clone, Debug, PartialEq)]
pub struct ViewSegment {
    /// The segment's name.
    pub name: Segment,
    /// Ghost lists hold keys only (ARC's B1/B2, S3-FIFO's ghost queue, 2Q's A1out).
    pub ghost: bool,
    /// The segment's own capacity in units, where it has one.
    pub capacity: Option<u64>,
    /// Its entries, the next victim last.
    pub entries: Vec<ViewEntry>,
}

/// A policy's structure: its segments, a clock or SIEVE hand (segment index, entry index), and
/// named numbers (ARC's `p`, TinyLFU's sketch estimates of the last duel, the sample size…).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct CacheView {
    /// The segments.
    pub segments: Vec<ViewSegment>,
    /// The hand: (segment index, entry index).
    pub hand: Option<(u32, u32)>,
    /// Named numbers.
    pub values: Vec<(&'static str, i64)>,
}

/// Totals of a run over a trace.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Requests served.
    pub requests: u64,
    /// Hits.
    pub hits: u64,
    /// Misses.
    pub misses: u64,
    /// Bytes (units) requested.
    pub bytes_requested: u64,
    /// Bytes (units) served from the cache.
    pub bytes_hit: u64,
}

impl Stats {
    /// Counts one request.
    pub fn record(&mut self, req: &Request, outcome: Outcome) {
        self.requests += 1;
        self.bytes_requested += u64::from(req.size);
        match outcome {
            Outcome::Hit => {
                self.hits += 1;
                self.bytes_hit += u64::from(req.size);
            }
            Outcome::Miss => self.misses += 1,
        }
    }
    /// Misses over requests (0 for no requests).
    pub fn miss_ratio(&self) -> f64 {
        if self.requests == 0 {
            0.0
        } else {
            self.misses as f64 / self.requests as f64
        }
    }
}

/// Runs a policy over a trace without narration.
pub fn replay(policy: &mut dyn Policy, trace: &[Request]) -> Stats {
    let mut stats = Stats::default();
    for req in trace {
        let outcome = policy.access(req, None);
        stats.record(req, outcome);
    }
    stats
}
