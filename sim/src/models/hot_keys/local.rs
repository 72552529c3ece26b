//! The local (L1) cache each app server keeps in its own memory: a small LRU whose entries expire
//! after a TTL. Nobody invalidates it when the data changes (that is what makes it cheap: no
//! round trip, no invalidation traffic), so until an entry expires a read can return a value a
//! write has already replaced. Each entry remembers the version it was filled with, so a read can
//! tell whether it served a stale value.

use super::Lru;
use crate::time::SimTime;
use std::collections::BTreeMap;

/// One app server's local cache.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LocalCache {
    lru: Lru,
    /// Key → (when it was filled, the version it holds).
    filled: BTreeMap<u64, (SimTime, u64)>,
}

/// What a local lookup found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Local {
    /// A live entry holding this version.
    Hit(u64),
    /// No entry, or one whose TTL had run out (it is dropped).
    Miss,
}

impl LocalCache {
    /// An empty cache for `capacity` keys.
    pub fn new(capacity: u32) -> Self {
        LocalCache {
            lru: Lru::new(capacity),
            filled: BTreeMap::new(),
        }
    }

    /// How many keys it holds.
    pub fn len(&self) -> u32 {
        self.lru.len()
    }

    /// True when it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.lru.is_empty()
    }

    /// Looks `key` up at `now`: an entry filled at `t` is live while `now < t + ttl_us`.
    pub fn lookup(&mut self, key: u64, now: SimTime, ttl_us: u64) -> Local {
        match self.filled.get(&key).copied() {
            Some((at, version)) if now < at.plus_us(ttl_us) => {
                self.lru.get(key);
                Local::Hit(version)
            }
            Some(_) => {
                self.invalidate(key);
                Local::Miss
            }
            None => Local::Miss,
        }
    }

    /// Stores `key` at `version`, filled at `now` (evicting the least recently used if full).
    pub fn fill(&mut self, key: u64, version: u64, now: SimTime) {
        if self.lru.capacity() == 0 {
            return;
        }
        if let Some(old) = self.lru.insert(key) {
            self.filled.remove(&old);
        }
        self.filled.insert(key, (now, version));
    }

    /// Drops `key` (this app server wrote it).
    pub fn invalidate(&mut self, key: u64) {
        self.lru.invalidate(key);
        self.filled.remove(&key);
    }

    /// The LRU's own checks, and that both indexes hold the same keys.
    pub fn validate(&self) -> Result<(), String> {
        self.lru.validate()?;
        if self.lru.len() as usize != self.filled.len()
            || self.filled.keys().any(|k| !self.lru.contains(*k))
        {
            return Err("a local cache's entries and its LRU disagree".to_string());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_lives_for_its_ttl_and_keeps_its_version() {
        // Worked by hand: filled at 1 ms with version 3, TTL 10 ms: live at 10.999 ms, gone at 11.
        let mut c = LocalCache::new(2);
        c.fill(7, 3, SimTime::from_ms(1));
        assert_eq!(c.lookup(7, SimTime::from_us(10_999), 10_000), Local::Hit(3));
        assert_eq!(c.lookup(7, SimTime::from_ms(11), 10_000), Local::Miss);
        assert!(c.is_empty(), "an expired entry is dropped");
        c.validate().unwrap();
    }

    #[test]
    fn a_full_local_cache_evicts_the_least_recently_used() {
        let mut c = LocalCache::new(2);
        let t = SimTime::ZERO;
        c.fill(1, 0, t);
        c.fill(2, 0, t);
        assert_eq!(c.lookup(1, t, 5), Local::Hit(0));
        c.fill(3, 0, t);
        assert_eq!(c.lookup(2, t, 5), Local::Miss);
        assert_eq!(c.len(), 2);
        c.invalidate(1);
        assert_eq!(c.lookup(1, t, 5), Local::Miss);
        c.validate().unwrap();
        let mut none = LocalCache::new(0);
        none.fill(1, 0, t);
        assert!(none.is_empty());
    }
}
