//! The request path: each client (an application server) keeps its own cache of directory
//! entries with a time to live; a request uses a fresh cached entry if it has one, else asks the
//! directory, then goes to the shard. A cached entry that has gone stale (the tenant moved since
//! it was fetched) sends the request to the old shard, which answers "moved"; the client drops
//! the entry and asks the directory. Plain data with methods, usable without the scheduler.

use crate::time::SimTime;

/// One cached directory entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CacheEntry {
    /// Physical id of the shard the directory named.
    pub phys: u32,
    /// When it was fetched.
    pub fetched: SimTime,
}

/// Every client's cache of directory entries (per client, per tenant).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientCaches {
    ttl_us: u64,
    rows: Vec<Vec<Option<CacheEntry>>>,
}

impl ClientCaches {
    /// `clients` empty caches whose entries live `ttl_us` (0: nothing is ever cached).
    pub fn new(clients: u32, ttl_us: u64) -> Self {
        ClientCaches {
            ttl_us,
            rows: vec![Vec::new(); clients as usize],
        }
    }
    /// The time to live, in µs.
    pub fn ttl_us(&self) -> u64 {
        self.ttl_us
    }
    /// Whether caching is on.
    pub fn enabled(&self) -> bool {
        self.ttl_us > 0
    }
    /// The entry a client holds for a tenant, fresh or not.
    pub fn entry(&self, client: u32, tenant: u32) -> Option<CacheEntry> {
        self.rows
            .get(client as usize)
            .and_then(|r| r.get(tenant as usize))
            .copied()
            .flatten()
    }
    /// The physical shard of a client's entry for a tenant if it is still fresh at `now`
    /// (younger than the TTL).
    pub fn fresh(&self, client: u32, tenant: u32, now: SimTime) -> Option<u32> {
        self.entry(client, tenant)
            .filter(|e| now.since(e.fetched) < self.ttl_us)
            .map(|e| e.phys)
    }
    /// Remembers what the directory answered (nothing when caching is off).
    pub fn store(&mut self, client: u32, tenant: u32, phys: u32, now: SimTime) {
        if !self.enabled() {
            return;
        }
        let Some(row) = self.rows.get_mut(client as usize) else {
            return;
        };
        if row.len() <= tenant as usize {
            row.resize(tenant as usize + 1, None);
        }
        row[tenant as usize] = Some(CacheEntry { phys, fetched: now });
    }
    /// Drops a client's entry for a tenant (after a "moved" answer).
    pub fn forget(&mut self, client: u32, tenant: u32) {
        if let Some(e) = self
            .rows
            .get_mut(client as usize)
            .and_then(|r| r.get_mut(tenant as usize))
        {
            *e = None;
        }
    }
    /// How many (client, tenant) entries are fresh at `now`.
    pub fn fresh_count(&self, now: SimTime) -> u64 {
        self.rows
            .iter()
            .flatten()
            .flatten()
            .filter(|e| now.since(e.fetched) < self.ttl_us)
            .count() as u64
    }
}

/// Which way a request went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// A fresh cached entry named the right shard.
    CacheHit,
    /// No fresh entry: the directory answered, then the shard.
    Lookup,
    /// A fresh but stale entry named the wrong shard, which answered "moved"; the directory
    /// then named the right one.
    StaleThenLookup,
    /// No fresh entry and the directory is down.
    FailedNoEntry,
    /// A stale entry, and the directory is down so the retry cannot be resolved.
    FailedStale,
}

impl Route {
    /// Decides the route from what the client holds, where the tenant really is, and whether
    /// the directory answers.
    pub fn decide(cached: Option<u32>, truth: u32, directory_up: bool) -> Route {
        match (cached, directory_up) {
            (Some(p), _) if p == truth => Route::CacheHit,
            (Some(_), true) => Route::StaleThenLookup,
            (Some(_), false) => Route::FailedStale,
            (None, true) => Route::Lookup,
            (None, false) => Route::FailedNoEntry,
        }
    }
    /// Whether the request was served.
    pub fn served(self) -> bool {
        matches!(
            self,
            Route::CacheHit | Route::Lookup | Route::StaleThenLookup
        )
    }
    /// Whether a fresh cache entry was used.
    pub fn used_cache(self) -> bool {
        matches!(
            self,
            Route::CacheHit | Route::StaleThenLookup | Route::FailedStale
        )
    }
    /// Whether it needed the directory (asked it, or would have).
    pub fn needed_directory(self) -> bool {
        !matches!(self, Route::CacheHit)
    }
    /// Whether it reached a wrong shard first.
    pub fn misrouted(self) -> bool {
        matches!(self, Route::StaleThenLookup | Route::FailedStale)
    }
    /// End-to-end latency of a served request: each shard visit costs `shard_us`, a directory
    /// lookup `directory_us`, a cache lookup nothing (it is in the client's memory).
    pub fn latency_us(self, directory_us: u64, shard_us: u64) -> Option<u64> {
        match self {
            Route::CacheHit => Some(shard_us),
            Route::Lookup => Some(directory_us + shard_us),
            Route::StaleThenLookup => Some(shard_us + directory_us + shard_us),
            Route::FailedNoEntry | Route::FailedStale => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_after_the_ttl_and_ttl_zero_caches_nothing() {
        let mut c = ClientCaches::new(2, 1_000);
        c.store(1, 3, 7, SimTime::from_us(10));
        assert_eq!(c.fresh(1, 3, SimTime::from_us(1_009)), Some(7));
        assert_eq!(c.fresh(1, 3, SimTime::from_us(1_010)), None);
        assert_eq!(c.fresh(0, 3, SimTime::from_us(11)), None);
        c.forget(1, 3);
        assert_eq!(c.entry(1, 3), None);
        let mut off = ClientCaches::new(2, 0);
        off.store(0, 0, 1, SimTime::ZERO);
        assert_eq!(off.entry(0, 0), None);
    }

    #[test]
    fn routes_and_their_latencies() {
        assert_eq!(Route::decide(Some(2), 2, false), Route::CacheHit);
        assert_eq!(Route::decide(Some(1), 2, true), Route::StaleThenLookup);
        assert_eq!(Route::decide(None, 2, false), Route::FailedNoEntry);
        assert_eq!(Route::Lookup.latency_us(2_000, 5_000), Some(7_000));
        assert_eq!(
            Route::StaleThenLookup.latency_us(2_000, 5_000),
            Some(12_000)
        );
        assert_eq!(Route::FailedStale.latency_us(2_000, 5_000), None);
    }
}
