//! A least-recently-used cache of key ids, the cache in front of the shards.
//!
//! A count-only face (every key has size 1, capacities and lengths in `u32` as the model counts
//! them) over the one LRU of the crate, [`crate::cache::lru::Lru`]: a recency list over a slab
//! and a fixed-hasher index that is never iterated, O(1) and deterministic. Every change says
//! what it did: a fill returns the key it evicted, an invalidation whether the key was there.

use crate::cache::lru::Lru as Recency;
use crate::cache::Policy;

/// An LRU set of key ids holding at most `capacity` of them (0 = no cache: nothing is kept).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Lru {
    inner: Recency,
}

impl Lru {
    /// An empty cache for `capacity` keys.
    pub fn new(capacity: u32) -> Self {
        Lru {
            inner: Recency::new(u64::from(capacity)),
        }
    }

    /// How many keys it may hold.
    pub fn capacity(&self) -> u32 {
        self.inner.capacity() as u32
    }

    /// How many keys it holds.
    pub fn len(&self) -> u32 {
        self.inner.len() as u32
    }

    /// True when it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }

    /// Whether `key` is cached (without counting as a use).
    pub fn contains(&self, key: u64) -> bool {
        self.inner.contains(key)
    }

    /// The cached keys, least recently used first.
    pub fn keys_by_age(&self) -> impl Iterator<Item = u64> + '_ {
        self.inner.keys_by_age().into_iter()
    }

    /// Looks `key` up: on a hit it becomes the most recently used and `true` is returned.
    pub fn get(&mut self, key: u64) -> bool {
        self.inner.get(key)
    }

    /// Puts `key` in as the most recently used; returns the key evicted to make room, if any.
    /// A cache of capacity 0 keeps nothing.
    pub fn insert(&mut self, key: u64) -> Option<u64> {
        self.inner.insert(key)
    }

    /// Drops `key` (a write made it stale); returns whether it was cached.
    pub fn invalidate(&mut self, key: u64) -> bool {
        self.inner.invalidate(key)
    }

    /// Changes the capacity, evicting the least recently used keys that no longer fit; returns
    /// them, oldest first.
    pub fn set_capacity(&mut self, capacity: u32) -> Vec<u64> {
        self.inner.set_capacity(u64::from(capacity))
    }

    /// The LRU's own checks: links, index and capacity.
    pub fn validate(&self) -> Result<(), String> {
        self.inner.validate()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evicts_the_least_recently_used() {
        let mut c = Lru::new(2);
        assert_eq!(c.insert(1), None);
        assert_eq!(c.insert(2), None);
        assert!(c.get(1), "1 is cached and becomes the newest");
        assert_eq!(c.insert(3), Some(2), "2 is now the oldest");
        assert!(!c.get(2));
        assert_eq!(c.keys_by_age().collect::<Vec<_>>(), [1, 3]);
        assert!(c.invalidate(1));
        assert!(!c.invalidate(1));
        assert_eq!(c.len(), 1);
        c.validate().unwrap();
    }

    #[test]
    fn zero_capacity_keeps_nothing_and_shrinking_evicts_oldest() {
        let mut z = Lru::new(0);
        assert_eq!(z.insert(5), None);
        assert!(!z.get(5));
        let mut c = Lru::new(4);
        for k in 0..4 {
            c.insert(k);
        }
        c.get(0);
        assert_eq!(c.set_capacity(2), [1, 2]);
        assert_eq!(c.keys_by_age().collect::<Vec<_>>(), [3, 0]);
        c.validate().unwrap();
    }

    /// The obvious LRU: a list of keys, least recently used first. Slow and plainly right.
    struct Naive {
        capacity: u32,
        order: Vec<u64>,
    }

    impl Naive {
        fn get(&mut self, key: u64) -> bool {
            match self.order.iter().position(|k| *k == key) {
                Some(i) => {
                    let k = self.order.remove(i);
                    self.order.push(k);
                    true
                }
                None => false,
            }
        }
        fn insert(&mut self, key: u64) -> Option<u64> {
            if self.capacity == 0 {
                return None;
            }
            if self.get(key) {
                return None;
            }
            let evicted = (self.order.len() as u32 >= self.capacity).then(|| self.order.remove(0));
            self.order.push(key);
            evicted
        }
        fn invalidate(&mut self, key: u64) -> bool {
            let at = self.order.iter().position(|k| *k == key);
            at.map(|i| self.order.remove(i)).is_some()
        }
        fn set_capacity(&mut self, capacity: u32) -> Vec<u64> {
            self.capacity = capacity;
            let over = self.order.len().saturating_sub(capacity as usize);
            self.order.drain(..over).collect()
        }
    }

    #[test]
    fn random_operations_agree_with_a_naive_list() {
        // Model-based: 200 random sequences of 400 operations over a small key space (so hits,
        // evictions and invalidations of present keys are all common), each result compared
        // with the naive list's, `validate()` and the full recency order checked after every one.
        for seed in 0..200u64 {
            let mut rng = crate::rng::SimRng::new(seed);
            let capacity = rng.below(6) as u32;
            let mut lru = Lru::new(capacity);
            let mut naive = Naive {
                capacity,
                order: Vec::new(),
            };
            for step in 0..400 {
                let key = rng.below(10);
                let what = match rng.below(10) {
                    0..=3 => {
                        let (a, b) = (lru.get(key), naive.get(key));
                        assert_eq!(a, b, "seed {seed} step {step}: get({key})");
                        "get"
                    }
                    4..=7 => {
                        let (a, b) = (lru.insert(key), naive.insert(key));
                        assert_eq!(a, b, "seed {seed} step {step}: insert({key})");
                        "insert"
                    }
                    8 => {
                        let (a, b) = (lru.invalidate(key), naive.invalidate(key));
                        assert_eq!(a, b, "seed {seed} step {step}: invalidate({key})");
                        "invalidate"
                    }
                    _ => {
                        let cap = rng.below(6) as u32;
                        let (a, b) = (lru.set_capacity(cap), naive.set_capacity(cap));
                        assert_eq!(a, b, "seed {seed} step {step}: set_capacity({cap})");
                        "set_capacity"
                    }
                };
                lru.validate()
                    .unwrap_or_else(|e| panic!("seed {seed} step {step} after {what}: {e}"));
                assert_eq!(
                    lru.keys_by_age().collect::<Vec<_>>(),
                    naive.order,
                    "seed {seed} step {step} after {what}"
                );
                assert_eq!(lru.len() as usize, naive.order.len());
                for k in 0..10 {
                    assert_eq!(lru.contains(k), naive.order.contains(&k));
                }
            }
        }
    }

    #[test]
    fn reinserting_a_cached_key_evicts_nothing() {
        let mut c = Lru::new(2);
        c.insert(1);
        c.insert(2);
        assert_eq!(c.insert(1), None);
        assert_eq!(c.len(), 2);
    }
}
