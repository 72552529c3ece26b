//! Random: evict an object chosen uniformly at random (Redis' `allkeys-random`).
//!
//! The objects sit in a `Vec`, with an index from key to position, so a uniform pick is one
//! draw and a removal is O(1) (a `cache::list::KeyIndex`): the last object takes the removed one's place (`swap_remove`).
//! The draws come from a [`SimRng`] seeded by the constructor, as integers below the number of
//! objects (never a `usize`), so a run is the same on every target. `validate` checks that the
//! index and the `Vec` agree and `used() <= capacity()`.

use super::list::{check_index, refuse_if_too_big, say, KeyIndex};
use super::{CacheEvent, CacheView, Outcome, Policy, Request, ViewEntry, ViewSegment};
use crate::rng::SimRng;

/// Segment name of the cached objects.
pub const CACHE: &str = "cache";

/// Uniformly random eviction.
#[derive(Clone, Debug)]
pub struct RandomEviction {
    capacity: u64,
    used: u64,
    /// (key, size), in slot order.
    slots: Vec<(u64, u32)>,
    /// key → position in `slots`.
    index: KeyIndex<u32>,
    rng: SimRng,
}

impl RandomEviction {
    /// An empty cache of `capacity` units whose victims are drawn from `seed`.
    pub fn new(capacity: u64, seed: u64) -> Self {
        RandomEviction {
            capacity,
            used: 0,
            slots: Vec::new(),
            index: KeyIndex::default(),
            rng: SimRng::stream(seed, "cache-random"),
        }
    }

    fn take(&mut self, pos: u32) -> (u64, u32) {
        let (key, size) = self.slots.swap_remove(pos as usize);
        self.index.remove(&key);
        if let Some(&(moved, _)) = self.slots.get(pos as usize) {
            self.index.insert(moved, pos);
        }
        self.used -= u64::from(size);
        (key, size)
    }
}

impl Policy for RandomEviction {
    fn id(&self) -> &'static str {
        "random"
    }

    fn access(&mut self, req: &Request, events: Option<&mut Vec<CacheEvent>>) -> Outcome {
        let mut events = events;
        if self.index.contains_key(&req.key) {
            say(&mut events, || CacheEvent::Hit {
                key: req.key,
                segment: CACHE,
            });
            return Outcome::Hit;
        }
        say(&mut events, || CacheEvent::Miss {
            key: req.key,
            ghost: None,
        });
        if refuse_if_too_big(req, self.capacity, &mut events) {
            return Outcome::Miss;
        }
        while self.used + u64::from(req.size) > self.capacity && !self.slots.is_empty() {
            let n = self.slots.len() as u64;
            let pos = self.rng.below(n) as u32;
            let (key, _) = self.take(pos);
            say(&mut events, || CacheEvent::Evict {
                key,
                segment: CACHE,
                why: format!("drawn at random among {n} objects"),
            });
        }
        self.index.insert(req.key, self.slots.len() as u32);
        self.slots.push((req.key, req.size));
        self.used += u64::from(req.size);
        say(&mut events, || CacheEvent::Insert {
            key: req.key,
            segment: CACHE,
        });
        Outcome::Miss
    }

    fn contains(&self, key: u64) -> bool {
        self.index.contains_key(&key)
    }

    fn remove(&mut self, key: u64) -> bool {
        match self.index.get(&key) {
            Some(&pos) => {
                self.take(pos);
                true
            }
            None => false,
        }
    }

    fn used(&self) -> u64 {
        self.used
    }

    fn len(&self) -> u64 {
        self.slots.len() as u64
    }

    fn capacity(&self) -> u64 {
        self.capacity
    }

    /// One segment, the objects in slot order (any of them may be the next victim).
    fn view(&self) -> CacheView {
        CacheView {
            segments: vec![ViewSegment {
                name: CACHE,
                ghost: false,
                capacity: Some(self.capacity),
                entries: self
                    .slots
                    .iter()
                    .map(|&(key, size)| ViewEntry {
                        key,
                        size,
                        mark: None,
                    })
                    .collect(),
            }],
            hand: None,
            values: Vec::new(),
        }
    }

    fn validate(&self) -> Result<(), String> {
        let listed: Vec<(u64, u32, u32)> = self
            .slots
            .iter()
            .enumerate()
            .map(|(i, &(k, size))| (k, i as u32, size))
            .collect();
        check_index(
            self.index.len(),
            &listed,
            |k| self.index.get(&k).copied(),
            self.used,
            self.capacity,
        )
    }
}
