//! Random: evict an object chosen uniformly at random (Redis' `allkeys-random`).
//!
//! The objects sit in a `Vec`, with an index from key to position, so a uniform pick is one
//! draw and a removal is O(1) (a `cache::list::KeyIndex`): the last object takes the removed one's place (`swap_remove`).
//! The draws come from a [`SimRng`] seeded by the constructor, as integers below the number of
//! objects (never a `usize`), so a run is the same on every target. `validate` checks that the
//! index and the `Vec` agree and `used() <= capacity()`.

use super::list::{hit, miss, one_segment, say, KeyVec, Obj, OneSegment};
use super::{CacheEvent, CacheView, Outcome, Policy, Request, ViewEntry};
use crate::rng::SimRng;

/// Segment name of the cached objects.
pub const CACHE: &str = "cache";

/// Uniformly random eviction.
#[derive(Clone, Debug)]
pub struct RandomEviction {
    capacity: u64,
    /// The objects in slot order, indexed by key.
    objects: KeyVec<Obj>,
    rng: SimRng,
}

impl RandomEviction {
    /// An empty cache of `capacity` units whose victims are drawn from `seed`.
    pub fn new(capacity: u64, seed: u64) -> Self {
        RandomEviction {
            capacity,
            objects: KeyVec::new(),
            rng: SimRng::stream(seed, "cache-random"),
        }
    }
}

impl OneSegment for RandomEviction {
    const SEGMENT: &'static str = CACHE;

    /// Any object may go: one drawn uniformly among those cached.
    #[inline(always)]
    fn evict_one(&mut self, events: &mut Option<&mut Vec<CacheEvent>>) -> bool {
        if self.objects.is_empty() {
            return false;
        }
        let n = self.objects.len();
        let gone = self.objects.take(self.rng.below(n) as u32);
        say(events, || CacheEvent::Evict {
            key: gone.key,
            segment: CACHE,
            why: format!("drawn at random among {n} objects"),
        });
        true
    }

    #[inline(always)]
    fn store(&mut self, req: &Request) {
        self.objects.push(Obj {
            key: req.key,
            size: req.size,
        });
    }
}

impl Policy for RandomEviction {
    fn id(&self) -> &'static str {
        "random"
    }

    /// A hit changes nothing.
    fn access(&mut self, req: &Request, events: Option<&mut Vec<CacheEvent>>) -> Outcome {
        let mut events = events;
        if self.objects.contains(req.key) {
            return hit(&mut events, req.key, CACHE);
        }
        miss(self, req, &mut events)
    }

    fn contains(&self, key: u64) -> bool {
        self.objects.contains(key)
    }

    fn remove(&mut self, key: u64) -> bool {
        self.objects.remove(key).is_some()
    }

    #[inline(always)]
    fn used(&self) -> u64 {
        self.objects.used()
    }

    fn len(&self) -> u64 {
        self.objects.len()
    }

    fn capacity(&self) -> u64 {
        self.capacity
    }

    /// One segment, the objects in slot order (any of them may be the next victim).
    fn view(&self) -> CacheView {
        let entries = self
            .objects
            .iter()
            .map(|o| ViewEntry {
                key: o.key,
                size: o.size,
                mark: None,
            })
            .collect();
        one_segment(CACHE, self.capacity, entries, None)
    }

    fn validate(&self) -> Result<(), String> {
        self.objects.validate_within(self.capacity)
    }
}
