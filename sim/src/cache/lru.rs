//! LRU: evict the least recently used object.
//!
//! The structure every textbook and production LRU uses (memcached's per-class LRU, the
//! "hash map + doubly linked list" of the interview classic): an index from key to node, and a
//! doubly linked list with the most recently used object at the front. A hit unlinks its node
//! and relinks it at the front; a miss inserts at the front and evicts from the back until the
//! new object fits. Every operation is O(1) expected: the index is a `cache::list::KeyIndex` (a hash map
//! with a fixed hasher, never iterated, so deterministic) and the list a slab list
//! (`cache::list`: nodes in a `Vec`, `u32` links, no unsafe code).
//!
//! A hit serves the stored copy: the request's size matters only on a miss (the size the object
//! is stored with). `validate` checks every link both ways, that the index and the list hold
//! the same keys, and that the sizes add up to `used() <= capacity()`.
//!
//! The hot-keys model's cache nodes use this LRU through the count-only methods
//! ([`Lru::get`], [`Lru::insert`], [`Lru::invalidate`], [`Lru::set_capacity`]).

use super::list::{hit, miss, one_segment, say, KeyList, OneSegment};
use super::{CacheEvent, CacheView, Outcome, Policy, Request};

/// Segment name of the LRU list.
pub const LIST: &str = "LRU list";

/// Least recently used: a recency list, most recent first.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Lru {
    capacity: u64,
    /// Most recently used at the front, the next victim at the back.
    list: KeyList,
}

impl Lru {
    /// An empty LRU cache of `capacity` units.
    pub fn new(capacity: u64) -> Self {
        Lru {
            capacity,
            ..Lru::default()
        }
    }

    /// Evicts the least recently used object; returns its key and size.
    pub fn pop_lru(&mut self) -> Option<(u64, u32)> {
        self.list.pop_back().map(|o| (o.key, o.size))
    }

    /// Keys from the least recently used to the most recent.
    pub fn keys_by_age(&self) -> Vec<u64> {
        let mut keys: Vec<u64> = self.list.iter().map(|(_, o)| o.key).collect();
        keys.reverse();
        keys
    }

    /// Looks `key` up without a size: on a hit it becomes the most recently used (a count-only
    /// convenience for models whose objects all have size 1).
    pub fn get(&mut self, key: u64) -> bool {
        self.list.move_to_front(key)
    }

    /// Stores `key` with size 1 as the most recently used (refreshing it if cached); returns the
    /// key evicted to make room, if any. A cache of capacity 0 keeps nothing.
    pub fn insert(&mut self, key: u64) -> Option<u64> {
        if self.capacity == 0 || self.get(key) {
            return None;
        }
        let evicted = if self.list.used() >= self.capacity {
            self.pop_lru().map(|(k, _)| k)
        } else {
            None
        };
        self.access(&Request::unit(key), None);
        evicted
    }

    /// Drops `key` (a write made it stale); returns whether it was cached.
    pub fn invalidate(&mut self, key: u64) -> bool {
        self.remove(key)
    }

    /// Changes the capacity, evicting the least recently used objects that no longer fit;
    /// returns their keys, least recent first.
    pub fn set_capacity(&mut self, capacity: u64) -> Vec<u64> {
        self.capacity = capacity;
        let mut evicted = Vec::new();
        while self.list.used() > self.capacity {
            match self.pop_lru() {
                Some((k, _)) => evicted.push(k),
                None => break,
            }
        }
        evicted
    }
}

impl OneSegment for Lru {
    const SEGMENT: &'static str = LIST;

    /// The least recently used object goes: the back of the list.
    #[inline(always)]
    fn evict_one(&mut self, events: &mut Option<&mut Vec<CacheEvent>>) -> bool {
        let Some((key, _)) = self.pop_lru() else {
            return false;
        };
        say(events, || CacheEvent::Evict {
            key,
            segment: LIST,
            why: "least recently used".to_string(),
        });
        true
    }

    #[inline(always)]
    fn store(&mut self, req: &Request) {
        self.list.push_front(req.key, req.size, 0);
    }
}

impl Policy for Lru {
    fn id(&self) -> &'static str {
        "lru"
    }

    /// A hit moves the object to the front; a miss evicts from the back and inserts at the
    /// front.
    fn access(&mut self, req: &Request, events: Option<&mut Vec<CacheEvent>>) -> Outcome {
        let mut events = events;
        if self.list.move_to_front(req.key) {
            let outcome = hit(&mut events, req.key, LIST);
            say(&mut events, || CacheEvent::Move {
                key: req.key,
                from: LIST,
                to: LIST,
            });
            return outcome;
        }
        miss(self, req, &mut events)
    }

    fn contains(&self, key: u64) -> bool {
        self.list.contains(key)
    }

    fn remove(&mut self, key: u64) -> bool {
        self.list.remove(key).is_some()
    }

    #[inline(always)]
    fn used(&self) -> u64 {
        self.list.used()
    }

    fn len(&self) -> u64 {
        self.list.len()
    }

    fn capacity(&self) -> u64 {
        self.capacity
    }

    fn view(&self) -> CacheView {
        one_segment(LIST, self.capacity, self.list.entries(false), None)
    }

    fn validate(&self) -> Result<(), String> {
        self.list.validate_within(LIST, self.capacity)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hit_moves_to_the_front_and_the_back_is_evicted() {
        let mut c = Lru::new(2);
        for k in [1, 2, 1, 3] {
            c.access(&Request::unit(k), None);
        }
        assert_eq!(c.keys_by_age(), [1, 3], "2 was the least recently used");
        c.validate().unwrap();
    }

    #[test]
    fn count_only_methods_report_what_changed() {
        let mut c = Lru::new(2);
        assert_eq!(c.insert(1), None);
        assert_eq!(c.insert(2), None);
        assert!(c.get(1));
        assert_eq!(c.insert(3), Some(2));
        assert_eq!(
            c.insert(3),
            None,
            "re-inserting a cached key evicts nothing"
        );
        assert!(c.invalidate(1));
        assert!(!c.invalidate(1));
        assert_eq!(c.set_capacity(0), [3]);
        assert_eq!(c.insert(4), None);
        assert!(c.is_empty());
        c.validate().unwrap();
    }
}
