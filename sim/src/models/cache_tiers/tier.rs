//! One cache level of the hierarchy: an eviction policy from [`crate::cache`] (which keys stay
//! when the cache is full) plus, per cached key, the version of the value it holds and when it
//! expires. The policy decides capacity and eviction; this file only adds what a real cache keeps
//! beside it (Redis keeps an expiry per key, a CDN a `max-age` per object).
//!
//! Expiry is checked when a key is looked up (as Redis does for a key that is accessed): an entry
//! past its time to live is dropped and the lookup is a miss. Entries nobody asks for may stay
//! past their expiry until the policy evicts them; that changes memory, never a hit or a miss.
//!
//! `validate()` checks that the policy's own invariants hold (capacity included) and that the
//! side table holds exactly the keys the policy caches.

use crate::cache::{self, CacheEvent, Outcome, Policy, Request};
use crate::time::SimTime;
use std::collections::BTreeMap;

/// What a cached key holds beside its place in the policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Held {
    /// The version of the value (the database's version when it was filled).
    pub version: u64,
    /// When it expires (`None`: never).
    pub expires: Option<SimTime>,
}

/// The result of a lookup.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// Cached and live: the value's version.
    Hit(u64),
    /// Not cached, or `expired` (dropped by this lookup).
    Miss {
        /// Whether an entry was there but past its time to live.
        expired: bool,
    },
}

/// One cache: a policy, its entries' versions and expiries, and its counters.
#[derive(Clone)]
pub struct TierCache {
    policy: Box<dyn Policy>,
    held: BTreeMap<u64, Held>,
    ttl_us: Option<u64>,
    /// Lookups that found a live entry.
    pub hits: u64,
    /// Lookups that did not.
    pub misses: u64,
    /// Entries dropped because their time to live had passed.
    pub expired: u64,
    /// Entries the policy evicted to make room.
    pub evictions: u64,
    /// Entries dropped by an invalidation or a purge.
    pub invalidated: u64,
}

impl std::fmt::Debug for TierCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TierCache")
            .field("policy", &self.policy.id())
            .field("held", &self.held)
            .field("hits", &self.hits)
            .field("misses", &self.misses)
            .finish()
    }
}

impl TierCache {
    /// A cache of `capacity` keys run by `policy` (an id of [`cache::POLICIES`]), entries living
    /// `ttl_us` (`None`: until evicted or invalidated).
    pub fn new(
        policy: &str,
        capacity: u64,
        ttl_us: Option<u64>,
        seed: u64,
    ) -> Result<Self, String> {
        Ok(TierCache {
            policy: cache::build(policy, capacity, seed)?,
            held: BTreeMap::new(),
            ttl_us,
            hits: 0,
            misses: 0,
            expired: 0,
            evictions: 0,
            invalidated: 0,
        })
    }

    /// Looks `key` up at `now`: a hit refreshes its place in the policy (an LRU moves it to the
    /// front), an expired entry is dropped.
    pub fn lookup(&mut self, key: u64, now: SimTime) -> Lookup {
        let Some(held) = self.held.get(&key).copied() else {
            self.misses += 1;
            return Lookup::Miss { expired: false };
        };
        if held.expires.is_some_and(|at| at <= now) {
            self.policy.remove(key);
            self.held.remove(&key);
            self.expired += 1;
            self.misses += 1;
            return Lookup::Miss { expired: true };
        }
        let outcome = self.policy.access(&Request::unit(key), None);
        debug_assert_eq!(outcome, Outcome::Hit, "a held key is in the policy");
        self.hits += 1;
        Lookup::Hit(held.version)
    }

    /// Stores `version` of `key` at `now` (the fill after a miss); returns the keys the policy
    /// evicted to make room, oldest decision first.
    pub fn fill(&mut self, key: u64, version: u64, now: SimTime) -> Vec<u64> {
        let mut events = Vec::new();
        self.policy.access(&Request::unit(key), Some(&mut events));
        let mut evicted = Vec::new();
        for e in events {
            if let CacheEvent::Evict { key: k, .. } = e {
                self.held.remove(&k);
                self.evictions += 1;
                evicted.push(k);
            }
        }
        if self.policy.contains(key) {
            let expires = self.ttl_us.map(|t| now.plus_us(t));
            self.held.insert(key, Held { version, expires });
        }
        evicted
    }

    /// Drops `key` (a delete, an invalidation message, a purge); returns whether it was cached.
    pub fn invalidate(&mut self, key: u64) -> bool {
        let was = self.held.remove(&key).is_some();
        self.policy.remove(key);
        if was {
            self.invalidated += 1;
        }
        was
    }

    /// Drops every entry (a purge of everything); returns how many there were.
    pub fn clear(&mut self) -> u64 {
        let keys: Vec<u64> = self.held.keys().copied().collect();
        for k in &keys {
            self.invalidate(*k);
        }
        keys.len() as u64
    }

    /// What `key` holds, if cached (expired or not).
    pub fn held(&self, key: u64) -> Option<Held> {
        self.held.get(&key).copied()
    }

    /// Keys cached now.
    pub fn len(&self) -> u64 {
        self.held.len() as u64
    }

    /// True when nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.held.is_empty()
    }

    /// The capacity in keys.
    pub fn capacity(&self) -> u64 {
        self.policy.capacity()
    }

    /// Lookups that hit, over lookups (None before the first).
    pub fn hit_ratio(&self) -> Option<f64> {
        let n = self.hits + self.misses;
        (n > 0).then(|| self.hits as f64 / n as f64)
    }

    /// Cached keys in the policy's order: the most recently used first (the next victim last).
    pub fn keys_by_recency(&self) -> Vec<u64> {
        self.policy
            .view()
            .segments
            .iter()
            .filter(|s| !s.ghost)
            .flat_map(|s| s.entries.iter().map(|e| e.key))
            .collect()
    }

    /// Every cached key and what it holds, in key order.
    pub fn entries(&self) -> impl Iterator<Item = (u64, Held)> + '_ {
        self.held.iter().map(|(k, h)| (*k, *h))
    }

    /// Checks the policy's invariants (its capacity among them) and that the side table holds
    /// exactly the policy's keys.
    pub fn validate(&self) -> Result<(), String> {
        self.policy.validate()?;
        if self.policy.used() > self.policy.capacity() {
            return Err(format!(
                "{} keys cached in a cache of {}",
                self.policy.used(),
                self.policy.capacity()
            ));
        }
        if self.policy.len() != self.held.len() as u64 {
            return Err(format!(
                "the policy caches {} keys but {} have a version",
                self.policy.len(),
                self.held.len()
            ));
        }
        if let Some(k) = self.held.keys().find(|k| !self.policy.contains(**k)) {
            return Err(format!(
                "key {k} has a version but the policy does not hold it"
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_lru_level_evicts_the_least_recent_and_forgets_its_version() {
        let mut c = TierCache::new("lru", 2, None, 1).unwrap();
        let t = SimTime::ZERO;
        assert_eq!(c.lookup(1, t), Lookup::Miss { expired: false });
        assert!(c.fill(1, 1, t).is_empty());
        c.fill(2, 1, t);
        assert_eq!(c.lookup(1, t), Lookup::Hit(1));
        assert_eq!(c.fill(3, 4, t), vec![2], "2 is the least recently used");
        assert_eq!(c.held(2), None);
        assert_eq!(c.lookup(3, t), Lookup::Hit(4));
        assert_eq!((c.hits, c.misses, c.evictions), (2, 1, 1));
        c.validate().unwrap();
    }

    #[test]
    fn an_entry_expires_at_its_ttl_and_is_dropped_by_the_lookup() {
        let mut c = TierCache::new("lru", 4, Some(1_000), 1).unwrap();
        c.fill(7, 2, SimTime::from_us(500));
        assert_eq!(c.lookup(7, SimTime::from_us(1_499)), Lookup::Hit(2));
        assert_eq!(
            c.lookup(7, SimTime::from_us(1_500)),
            Lookup::Miss { expired: true }
        );
        assert!(c.is_empty());
        assert_eq!(c.expired, 1);
        assert!(!c.invalidate(7));
        c.validate().unwrap();
    }

    #[test]
    fn a_zero_capacity_level_holds_nothing() {
        let mut c = TierCache::new("lru", 0, None, 1).unwrap();
        c.fill(1, 1, SimTime::ZERO);
        assert!(c.is_empty());
        assert_eq!(c.lookup(1, SimTime::ZERO), Lookup::Miss { expired: false });
        c.validate().unwrap();
    }
}
