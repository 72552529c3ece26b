//! Sampled LRU as Redis does it (`maxmemory-policy allkeys-lru`): an approximation of LRU that
//! keeps no recency list at all.
//!
//! Redis stores in every object the clock time of its last access (`robj->lru`) and, when it
//! must free memory, runs `performEvictions()` in `src/evict.c` (read at redis/redis
//! 4f8cdc2a, October 2024):
//!
//! 1. `evictionPoolPopulate()` samples `maxmemory-samples` keys (default 5; the real code asks
//!    `kvstoreDictGetSomeKeys` for that many keys of the dictionary) and computes each one's
//!    idle time (`estimateObjectIdleTime()`: now minus its last access).
//! 2. Each sample enters the **eviction pool** (`EVPOOL_SIZE` = 16 entries, ascending idle
//!    time, best candidate on the right) if the pool has a free entry or the sample is idler
//!    than its leftmost entry: it goes in at the first entry with an idle time not smaller
//!    than its own (or the first free one), shifting the right part right when the last entry
//!    is free, otherwise shifting the left part left and dropping the leftmost entry.
//! 3. The pool is scanned from the right; each entry is removed from the pool, and the first
//!    whose key still exists is evicted. Entries whose keys were deleted are skipped ("ghosts");
//!    if the pool runs out, it is populated again.
//!
//! The pool keeps its entries across evictions, with the idle time measured when they were
//! sampled: a key used again after it entered the pool keeps its old idle time, and can still
//! be evicted from the pool, exactly as in Redis. The same key may sit in the pool twice.
//!
//! Simplifications: idle time is in *virtual time* (the number of requests served, where Redis
//! uses a clock of 1 s resolution); the sample is `samples` distinct keys drawn uniformly (a
//! repeat is drawn again; the draws come from a [`SimRng`] seeded by the constructor) where
//! Redis takes keys from nearby hash-table buckets; one database, no expiry. `validate` checks
//! the key array against the index, the pool's ascending order with its free entries on the
//! right, and `used() <= capacity()`.

use super::list::{hit, miss, say, KeyVec, OneSegment, Stored};
use super::{CacheEvent, CacheView, Outcome, Policy, Request, ViewEntry, ViewSegment};
use crate::rng::SimRng;

/// Segment name of the key space (every cached key, in the order sampling sees them).
pub const KEYSPACE: &str = "keyspace";
/// Segment name of the eviction pool.
pub const POOL: &str = "eviction pool";
/// Segment name of the keys sampled for the last eviction.
pub const SAMPLE: &str = "last sample";
/// `EVPOOL_SIZE` in Redis' `evict.c`.
pub const POOL_SIZE: usize = 16;
/// The default of Redis' `maxmemory-samples`.
pub const DEFAULT_SAMPLES: u32 = 5;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Entry {
    key: u64,
    size: u32,
    /// The request index of its last access (Redis' `robj->lru`).
    last: u64,
}

impl Stored for Entry {
    fn key(&self) -> u64 {
        self.key
    }
    fn size(&self) -> u32 {
        self.size
    }
}

/// One pool entry: a key and its idle time when it was sampled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct PoolEntry {
    idle: u64,
    key: u64,
}

/// Redis' approximated LRU: sampling plus a 16-entry eviction pool.
#[derive(Clone, Debug)]
pub struct SampledLru {
    capacity: u64,
    samples: u32,
    /// Requests served so far: the virtual clock (during a request, that request's index).
    now: u64,
    /// The key space in array order, indexed by key.
    keys: KeyVec<Entry>,
    /// `pool[..POOL_SIZE]`, `None` = a free entry (Redis' `key == NULL`).
    pool: [Option<PoolEntry>; POOL_SIZE],
    last_sample: Vec<PoolEntry>,
    rng: SimRng,
}

impl SampledLru {
    /// An empty cache of `capacity` units sampling `samples` keys per eviction (Redis accepts
    /// 1 to 64 for `maxmemory-samples`), drawing from `seed`.
    pub fn new(capacity: u64, samples: u32, seed: u64) -> Result<Self, String> {
        if !(1..=64).contains(&samples) {
            return Err(format!(
                "maxmemory-samples must be between 1 and 64 (Redis' own limits), not {samples}"
            ));
        }
        Ok(SampledLru {
            capacity,
            samples,
            now: 0,
            keys: KeyVec::new(),
            pool: [None; POOL_SIZE],
            last_sample: Vec::new(),
            rng: SimRng::stream(seed, "cache-sampled"),
        })
    }

    /// `maxmemory-samples`.
    pub fn samples(&self) -> u32 {
        self.samples
    }

    /// `evictionPoolPopulate()` during request `now`: samples keys and offers each to the pool.
    fn populate(&mut self, now: u64) {
        let n = self.keys.len();
        let count = n.min(u64::from(self.samples));
        self.last_sample.clear();
        for _ in 0..count {
            // Distinct keys, each uniform among those not drawn yet: a position already drawn
            // is drawn again (the key array is not reordered, so sampling touches no index).
            let e = loop {
                let e = *self.keys.get(self.rng.below(n) as u32);
                if !self.last_sample.iter().any(|s| s.key == e.key) {
                    break e;
                }
            };
            let sample = PoolEntry {
                idle: now - e.last,
                key: e.key,
            };
            self.last_sample.push(sample);
            self.offer(sample);
        }
    }

    /// The pool insertion of `evictionPoolPopulate()`, entry by entry as Redis does it.
    fn offer(&mut self, e: PoolEntry) {
        let pool = &mut self.pool;
        let mut k = 0;
        while k < POOL_SIZE && pool[k].is_some_and(|p| p.idle < e.idle) {
            k += 1;
        }
        if k == 0 && pool[POOL_SIZE - 1].is_some() {
            // Not idler than the least idle entry of a full pool.
            return;
        } else if k < POOL_SIZE && pool[k].is_none() {
            // A free entry: nothing to shift.
        } else if pool[POOL_SIZE - 1].is_none() {
            // Free space on the right: shift k.. right by one.
            pool.copy_within(k..POOL_SIZE - 1, k + 1);
        } else {
            // Full: shift the left part left, dropping the least idle entry.
            k -= 1;
            pool.copy_within(1..=k, 0);
        }
        pool[k] = Some(e);
    }

    /// One round of `performEvictions()`'s loop: populate, then take the pool's best entry
    /// whose key exists. Returns (key, size, idle when sampled).
    fn pool_victim(&mut self, now: u64) -> Option<(u64, u32, u64)> {
        if self.keys.is_empty() {
            return None;
        }
        loop {
            self.populate(now);
            for k in (0..POOL_SIZE).rev() {
                let Some(e) = self.pool[k].take() else {
                    continue;
                };
                if let Some(gone) = self.keys.remove(e.key) {
                    return Some((gone.key, gone.size, e.idle));
                }
                // A ghost: the key was deleted since it was sampled; try the next entry.
            }
        }
    }

    fn pool_entries(&self) -> Vec<ViewEntry> {
        self.pool
            .iter()
            .flatten()
            .map(|e| ViewEntry {
                key: e.key,
                size: self.keys.by_key(e.key).map_or(0, |k| k.size),
                mark: Some(u32::try_from(e.idle).unwrap_or(u32::MAX)),
            })
            .collect()
    }
}

impl OneSegment for SampledLru {
    const SEGMENT: &'static str = KEYSPACE;

    /// The idlest entry of the eviction pool goes (one round of `performEvictions()`).
    #[inline(always)]
    fn evict_one(&mut self, events: &mut Option<&mut Vec<CacheEvent>>) -> bool {
        let Some((key, _, idle)) = self.pool_victim(self.now) else {
            return false;
        };
        let samples = self.last_sample.len();
        say(events, || CacheEvent::Evict {
            key,
            segment: KEYSPACE,
            why: format!(
                "idlest entry of the eviction pool ({idle} requests idle when sampled; \
                 {samples} keys sampled)"
            ),
        });
        true
    }

    #[inline(always)]
    fn store(&mut self, req: &Request) {
        self.keys.push(Entry {
            key: req.key,
            size: req.size,
            last: self.now,
        });
    }
}

impl Policy for SampledLru {
    fn id(&self) -> &'static str {
        "sampled-lru"
    }

    /// A hit stamps the object with the current time; nothing moves.
    fn access(&mut self, req: &Request, events: Option<&mut Vec<CacheEvent>>) -> Outcome {
        let mut events = events;
        let outcome = if let Some(e) = self.keys.by_key_mut(req.key) {
            e.last = self.now;
            hit(&mut events, req.key, KEYSPACE)
        } else {
            miss(self, req, &mut events)
        };
        self.now += 1;
        outcome
    }

    fn contains(&self, key: u64) -> bool {
        self.keys.contains(key)
    }

    /// Deletes the key; like Redis, the pool keeps any entry for it (a ghost until the key
    /// comes back).
    fn remove(&mut self, key: u64) -> bool {
        self.keys.remove(key).is_some()
    }

    #[inline(always)]
    fn used(&self) -> u64 {
        self.keys.used()
    }

    fn len(&self) -> u64 {
        self.keys.len()
    }

    fn capacity(&self) -> u64 {
        self.capacity
    }

    /// Three segments: the key space in array order (mark: idle time now, in requests), the
    /// eviction pool in Redis' order, least idle first and the next victim last (mark: idle time
    /// when sampled; size 0 for a key no longer cached), and the last eviction's sample (mark:
    /// its idle time then). Values: `samples`, `pool size`, `now`.
    fn view(&self) -> CacheView {
        let idle = |last: u64| Some(u32::try_from(self.now - last).unwrap_or(u32::MAX));
        let keyspace = self
            .keys
            .iter()
            .map(|e| ViewEntry {
                key: e.key,
                size: e.size,
                mark: idle(e.last),
            })
            .collect();
        let sample = self
            .last_sample
            .iter()
            .map(|e| ViewEntry {
                key: e.key,
                size: self.keys.by_key(e.key).map_or(0, |k| k.size),
                mark: Some(u32::try_from(e.idle).unwrap_or(u32::MAX)),
            })
            .collect();
        CacheView {
            segments: vec![
                ViewSegment {
                    name: KEYSPACE,
                    ghost: false,
                    capacity: Some(self.capacity),
                    entries: keyspace,
                },
                ViewSegment {
                    name: POOL,
                    ghost: true,
                    capacity: Some(POOL_SIZE as u64),
                    entries: self.pool_entries(),
                },
                ViewSegment {
                    name: SAMPLE,
                    ghost: true,
                    capacity: Some(u64::from(self.samples)),
                    entries: sample,
                },
            ],
            hand: None,
            values: vec![
                ("samples", i64::from(self.samples)),
                ("pool size", POOL_SIZE as i64),
                ("now", i64::try_from(self.now).unwrap_or(i64::MAX)),
            ],
        }
    }

    fn validate(&self) -> Result<(), String> {
        self.keys.validate_within(self.capacity)?;
        if let Some(e) = self.keys.iter().find(|e| e.last >= self.now) {
            return Err(format!("key {} was used in the future", e.key));
        }
        let filled = self.pool.iter().take_while(|e| e.is_some()).count();
        if self.pool[filled..].iter().any(|e| e.is_some()) {
            return Err("the eviction pool has a free entry left of a used one".to_string());
        }
        let pool: Vec<&PoolEntry> = self.pool.iter().flatten().collect();
        if pool.windows(2).any(|w| w[0].idle > w[1].idle) {
            return Err("the eviction pool is not in ascending idle order".to_string());
        }
        Ok(())
    }
}
