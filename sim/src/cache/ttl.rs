//! A TTL cache: every entry expires a fixed time `T` after it was inserted, whatever happens to
//! it meanwhile. There is no capacity and no eviction: expiry alone removes entries.
//!
//! This is the cache the expiry lessons build on, and the TTL cache of Jung, Berger &
//! Balakrishnan ("Modeling TTL-based Internet caches", INFOCOM 2003): a request at time `t` for
//! a key inserted at `t₀` hits iff `t < t₀ + T`; a miss (the key absent or expired) inserts it
//! with expiry `t + T`. The TTL is *non-refreshing*: a hit does not extend it, as with a DNS resolver's cached record or an HTTP
//! cache honouring `max-age` from the response that filled it. Under Poisson requests of rate
//! λ for a key its hit ratio is `λT / (1 + λT)` ([`crate::theory::ttl_hit_ratio`]).
//!
//! Time is the request's timestamp in any integer unit (the trace's own). Timestamps must not go
//! back; one that does is served at the latest time seen so far (a cache's clock cannot run
//! backwards) and counted in [`TtlCache::reordered`].
//!
//! Expired entries are removed eagerly (an index by expiry time is drained on every access), so
//! [`TtlCache::len`] is the number of live entries; a real cache may free them later (Redis
//! expires lazily on access plus a sampled sweep), which changes memory, never a hit or miss.
//!
//! `validate()` checks that the key map and the expiry index hold the same entries and that no
//! entry in them has expired.

use super::Outcome;
use std::collections::{BTreeMap, BTreeSet};

/// What one access did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TtlAccess {
    /// The key was cached and not expired.
    Hit,
    /// The key was absent and is now cached until `expires`.
    Miss {
        /// When the new entry expires.
        expires: u64,
        /// Whether the key had been cached before and expired (rather than never cached).
        expired: bool,
    },
}

impl TtlAccess {
    /// As a cache outcome.
    pub fn outcome(&self) -> Outcome {
        match self {
            TtlAccess::Hit => Outcome::Hit,
            TtlAccess::Miss { .. } => Outcome::Miss,
        }
    }
}

/// A cache whose entries live `ttl` time units from insertion.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TtlCache {
    ttl: u64,
    now: u64,
    expires: BTreeMap<u64, u64>,
    by_expiry: BTreeSet<(u64, u64)>,
    seen: BTreeSet<u64>,
    expired: u64,
    reordered: u64,
}

impl TtlCache {
    /// An empty cache whose entries live `ttl` units (0: nothing is ever served from it).
    pub fn new(ttl: u64) -> Self {
        TtlCache {
            ttl,
            ..TtlCache::default()
        }
    }

    /// The TTL.
    pub fn ttl(&self) -> u64 {
        self.ttl
    }

    /// The latest time seen.
    pub fn now(&self) -> u64 {
        self.now
    }

    /// Live entries.
    pub fn len(&self) -> u64 {
        self.expires.len() as u64
    }

    /// True when no entry is live.
    pub fn is_empty(&self) -> bool {
        self.expires.is_empty()
    }

    /// Entries that have expired so far.
    pub fn expired(&self) -> u64 {
        self.expired
    }

    /// Accesses whose timestamp was earlier than one before it.
    pub fn reordered(&self) -> u64 {
        self.reordered
    }

    /// When `key`'s entry expires, if it is live at the latest time seen.
    pub fn expiry(&self, key: u64) -> Option<u64> {
        self.expires.get(&key).copied()
    }

    /// Moves the clock to `time` (never back) and drops every entry expired by then; returns
    /// the keys dropped, earliest expiry first.
    pub fn advance(&mut self, time: u64) -> Vec<u64> {
        if time < self.now {
            self.reordered += 1;
        }
        self.now = self.now.max(time);
        let mut dropped = Vec::new();
        while let Some(&(at, key)) = self.by_expiry.first() {
            if at > self.now {
                break;
            }
            self.by_expiry.pop_first();
            self.expires.remove(&key);
            self.expired += 1;
            dropped.push(key);
        }
        dropped
    }

    /// Serves a request for `key` at `time`.
    pub fn access(&mut self, key: u64, time: u64) -> TtlAccess {
        self.advance(time);
        if self.expires.contains_key(&key) {
            return TtlAccess::Hit;
        }
        let expired = !self.seen.insert(key);
        let expires = self.now.saturating_add(self.ttl);
        if self.ttl > 0 {
            self.expires.insert(key, expires);
            self.by_expiry.insert((expires, key));
        }
        TtlAccess::Miss { expires, expired }
    }

    /// Drops `key` (an invalidation); returns whether it was live.
    pub fn remove(&mut self, key: u64) -> bool {
        match self.expires.remove(&key) {
            Some(at) => {
                self.by_expiry.remove(&(at, key));
                true
            }
            None => false,
        }
    }

    /// Checks the invariants (see the module doc).
    pub fn validate(&self) -> Result<(), String> {
        if self.expires.len() != self.by_expiry.len() {
            return Err(format!(
                "{} entries but {} in the expiry index",
                self.expires.len(),
                self.by_expiry.len()
            ));
        }
        for &(at, key) in &self.by_expiry {
            if self.expires.get(&key) != Some(&at) {
                return Err(format!("key {key}'s expiry index entry {at} is stale"));
            }
            if at <= self.now {
                return Err(format!(
                    "key {key} expired at {at} but is still cached at {}",
                    self.now
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hit_does_not_extend_the_ttl() {
        let mut c = TtlCache::new(10);
        assert_eq!(
            c.access(1, 0),
            TtlAccess::Miss {
                expires: 10,
                expired: false
            }
        );
        assert_eq!(c.access(1, 5), TtlAccess::Hit);
        assert_eq!(c.access(1, 9), TtlAccess::Hit);
        // Live on [0, 10): at 10 it has expired although it was hit at 9.
        assert_eq!(
            c.access(1, 10),
            TtlAccess::Miss {
                expires: 20,
                expired: true
            }
        );
        assert_eq!(c.expired(), 1);
        c.validate().unwrap();
    }

    #[test]
    fn random_accesses_agree_with_a_naive_table_of_insertion_times() {
        // Model-based: the naive cache remembers when each key was last inserted and nothing
        // else; a key is live iff now < inserted + ttl. 200 random sequences of 300 operations
        // (time steps of 0–3 against TTLs of 0–6, so hits, expiries and re-insertions are all
        // common), `validate()` after every one.
        for seed in 0..200u64 {
            let mut rng = crate::rng::SimRng::new(seed);
            let ttl = rng.below(7);
            let mut cache = TtlCache::new(ttl);
            let mut inserted: BTreeMap<u64, u64> = BTreeMap::new();
            let mut now = 0u64;
            for step in 0..300 {
                now += rng.below(4);
                let key = rng.below(8);
                let live = |ins: &BTreeMap<u64, u64>, k: u64| {
                    ins.get(&k).is_some_and(|t| now < t.saturating_add(ttl))
                };
                if rng.below(10) == 0 {
                    cache.advance(now);
                    let was = live(&inserted, key);
                    assert_eq!(cache.remove(key), was, "seed {seed} step {step}: remove");
                    inserted.remove(&key);
                } else {
                    let want_hit = live(&inserted, key);
                    let got = cache.access(key, now);
                    assert_eq!(
                        got == TtlAccess::Hit,
                        want_hit,
                        "seed {seed} step {step}: key {key} at {now}"
                    );
                    if !want_hit {
                        inserted.insert(key, now);
                    }
                }
                cache
                    .validate()
                    .unwrap_or_else(|e| panic!("seed {seed} step {step}: {e}"));
                let live_count = (0..8).filter(|k| live(&inserted, *k)).count() as u64;
                assert_eq!(cache.len(), live_count, "seed {seed} step {step}");
            }
        }
    }

    #[test]
    fn zero_ttl_never_hits_and_time_never_goes_back() {
        let mut c = TtlCache::new(0);
        assert!(matches!(c.access(1, 5), TtlAccess::Miss { .. }));
        assert!(matches!(c.access(1, 5), TtlAccess::Miss { .. }));
        assert!(c.is_empty());
        let mut c = TtlCache::new(10);
        c.access(1, 100);
        assert_eq!(c.access(1, 50), TtlAccess::Hit, "served at time 100");
        assert_eq!(c.reordered(), 1);
        assert_eq!(c.now(), 100);
        assert!(c.remove(1));
        assert!(!c.remove(1));
        c.validate().unwrap();
    }
}
