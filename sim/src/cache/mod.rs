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
//! - [`workload`] (synthetic request streams), [`trace`] (traces the reader brings) and
//!   [`attach`] (how a brought trace reaches a run: by content hash)
//! - `list` (private): the slab lists and the key index every policy is built on
//!
//! [`POLICIES`] names every policy and [`build`] makes one by id with its documented defaults.

pub mod arc;
pub mod attach;
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

/// Every policy [`build`] makes: (id, label for people). The id is the policy's
/// [`Policy::id`]; the order runs from the classics to the modern policies, MIN last.
pub const POLICIES: &[(&str, &str)] = &[
    ("fifo", "FIFO"),
    ("lru", "LRU"),
    ("lfu", "LFU"),
    ("lfu-da", "LFU with dynamic aging (LFU-DA)"),
    ("clock", "CLOCK"),
    ("random", "Random"),
    ("sampled-lru", "Sampled LRU (Redis)"),
    ("slru", "SLRU"),
    ("2q", "2Q"),
    ("arc", "ARC"),
    ("tinylfu", "W-TinyLFU"),
    ("s3fifo", "S3-FIFO"),
    ("sieve", "SIEVE"),
    ("belady", "Belady's MIN"),
];

/// The largest capacity [`build`] accepts, in units (2^40: a terabyte with byte capacity). It
/// keeps the policies' share arithmetic (`capacity * 99 / 100`, …) far from overflow.
pub const MAX_CAPACITY: u64 = 1 << 40;

/// Makes the policy `id` (one of [`POLICIES`]) with `capacity` units, `seed` feeding the
/// policies that draw (random, sampled LRU; the others ignore it), and each policy's documented
/// defaults:
/// - `lfu`: no aging; `lfu-da`: dynamic aging (LFU-DA);
/// - `sampled-lru`: Redis' `maxmemory-samples` default, [`sampled::DEFAULT_SAMPLES`] (5);
/// - `slru`: protected segment [`slru::DEFAULT_PROTECTED_PERCENT`] (80 %) of the capacity;
/// - `2q`: the paper's tuning, `Kin` = 25 %, `Kout` = 50 %;
/// - `tinylfu`: Caffeine's split (1 % window, 80 % of the main region protected), no doorkeeper;
/// - `s3fifo`: small queue 10 %, Algorithm 1's move threshold (frequency > 1);
/// - `belady`: MIN reads each request's `next`, so the trace **must be passed through
///   [`annotate_next`] first** (a request left at [`NEVER`] counts as never used again).
///
/// A capacity of 0 is allowed: every policy then stores nothing (the left end of a miss-ratio
/// curve). Errors, in plain words: an unknown id (naming the known ones), a capacity above
/// [`MAX_CAPACITY`].
pub fn build(id: &str, capacity: u64, seed: u64) -> Result<Box<dyn Policy>, String> {
    if capacity > MAX_CAPACITY {
        return Err(format!(
            "a capacity of {capacity} units is more than this simulator takes ({MAX_CAPACITY})"
        ));
    }
    let policy: Box<dyn Policy> = match id {
        "fifo" => Box::new(fifo::Fifo::new(capacity)),
        "lru" => Box::new(lru::Lru::new(capacity)),
        "lfu" => Box::new(lfu::Lfu::new(capacity, lfu::Aging::None)),
        "lfu-da" => Box::new(lfu::Lfu::new(capacity, lfu::Aging::Dynamic)),
        "clock" => Box::new(clock::Clock::new(capacity)),
        "random" => Box::new(random::RandomEviction::new(capacity, seed)),
        "sampled-lru" => Box::new(sampled::SampledLru::new(
            capacity,
            sampled::DEFAULT_SAMPLES,
            seed,
        )?),
        "slru" => Box::new(slru::Slru::new(capacity, slru::DEFAULT_PROTECTED_PERCENT)?),
        "2q" => Box::new(two_q::TwoQ::new(capacity)),
        "arc" => Box::new(arc::ArcCache::new(capacity)),
        "tinylfu" => Box::new(tinylfu::TinyLfu::new(capacity)),
        "s3fifo" => Box::new(s3fifo::S3Fifo::new(capacity)),
        "sieve" => Box::new(sieve::Sieve::new(capacity)),
        "belady" => Box::new(belady::Belady::new(capacity)),
        other => {
            let known: Vec<&str> = POLICIES.iter().map(|&(id, _)| id).collect();
            return Err(format!(
                "no cache policy `{other}`; the policies are {}",
                known.join(", ")
            ));
        }
    };
    Ok(policy)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_policy_builds_and_reports_its_own_id() {
        for &(id, label) in POLICIES {
            let mut p = build(id, 3, 7).unwrap_or_else(|e| panic!("{id}: {e}"));
            assert_eq!(p.id(), id, "POLICIES lists `{id}` ({label})");
            assert_eq!(p.capacity(), 3);
            let mut trace: Vec<Request> = [1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5]
                .into_iter()
                .map(Request::unit)
                .collect();
            annotate_next(&mut trace);
            let stats = replay(p.as_mut(), &trace);
            assert_eq!(stats.requests, 12);
            assert!(
                stats.misses >= 5,
                "{id}: five distinct keys miss at least once"
            );
            assert!(p.len() <= 3);
            p.validate().unwrap_or_else(|e| panic!("{id}: {e}"));
        }
    }

    #[test]
    fn a_cache_of_capacity_zero_stores_nothing() {
        for &(id, _) in POLICIES {
            let mut p = build(id, 0, 7).unwrap();
            let mut trace: Vec<Request> = [1, 1, 2, 1].into_iter().map(Request::unit).collect();
            annotate_next(&mut trace);
            assert_eq!(replay(p.as_mut(), &trace).hits, 0, "{id}");
            assert!(p.is_empty(), "{id}");
            p.validate().unwrap_or_else(|e| panic!("{id}: {e}"));
        }
    }

    #[test]
    fn ids_and_labels_are_unique() {
        let ids: std::collections::BTreeSet<&str> = POLICIES.iter().map(|p| p.0).collect();
        let labels: std::collections::BTreeSet<&str> = POLICIES.iter().map(|p| p.1).collect();
        assert_eq!(ids.len(), POLICIES.len());
        assert_eq!(labels.len(), POLICIES.len());
    }

    #[test]
    fn bad_input_gets_a_clear_error() {
        let err = |r: Result<Box<dyn Policy>, String>| r.err().expect("an error");
        let unknown = err(build("lru-k", 10, 1));
        assert!(unknown.contains("no cache policy `lru-k`"), "{unknown}");
        assert!(unknown.contains("s3fifo"), "{unknown}");
        assert!(err(build("tinylfu", MAX_CAPACITY + 1, 1)).contains("more than"));
        assert!(build("tinylfu", MAX_CAPACITY, 1).is_ok());
    }
}
