//! The request path: each client (an application server) keeps its own cache of directory
//! entries with a time to live; a request uses a fresh cached entry if it has one, else asks the
//! directory, then goes to the shard. A cached entry that has gone stale (the tenant moved since
//! it was fetched) sends the request to the old shard, which answers "moved"; the client drops
//! the entry and asks the directory. Plain data with methods, usable without the scheduler.
//!
//! *Versioned* caches ([`ClientCaches::versioned`]) work as MongoDB's routers do: an entry never
//! expires; it carries the version of the tenant's directory entry, every request sends that
//! version to the shard, and a shard whose version for the tenant is newer (the tenant moved)
//! answers with a stale-version error, after which the client refreshes the entry from the
//! directory ([`Route::decide_versioned`]).

use crate::time::SimTime;

/// One cached directory entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CacheEntry {
    /// Physical id of the shard the directory named.
    pub phys: u32,
    /// When it was fetched.
    pub fetched: SimTime,
    /// The version of the tenant's directory entry it was fetched at.
    pub version: u32,
}

/// Every client's cache of directory entries (per client, per tenant).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientCaches {
    ttl_us: u64,
    versioned: bool,
    rows: Vec<Vec<Option<CacheEntry>>>,
}

impl ClientCaches {
    /// `clients` empty caches whose entries live `ttl_us` (0: nothing is ever cached).
    pub fn new(clients: u32, ttl_us: u64) -> Self {
        ClientCaches {
            ttl_us,
            versioned: false,
            rows: vec![Vec::new(); clients as usize],
        }
    }
    /// `clients` empty caches whose entries never expire: they are checked by version instead.
    pub fn versioned(clients: u32) -> Self {
        ClientCaches {
            ttl_us: 0,
            versioned: true,
            rows: vec![Vec::new(); clients as usize],
        }
    }
    /// Whether entries are version-checked (and never expire).
    pub fn is_versioned(&self) -> bool {
        self.versioned
    }
    fn alive(&self, e: &CacheEntry, now: SimTime) -> bool {
        self.versioned || now.since(e.fetched) < self.ttl_us
    }
    /// The time to live, in µs.
    pub fn ttl_us(&self) -> u64 {
        self.ttl_us
    }
    /// Whether caching is on.
    pub fn enabled(&self) -> bool {
        self.versioned || self.ttl_us > 0
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
        self.fresh_entry(client, tenant, now).map(|e| e.phys)
    }
    /// A client's entry for a tenant if it is still usable at `now` (versioned entries always
    /// are).
    pub fn fresh_entry(&self, client: u32, tenant: u32, now: SimTime) -> Option<CacheEntry> {
        self.entry(client, tenant).filter(|e| self.alive(e, now))
    }
    /// Remembers what the directory answered (nothing when caching is off).
    pub fn store(&mut self, client: u32, tenant: u32, phys: u32, now: SimTime) {
        self.store_version(client, tenant, phys, 0, now);
    }
    /// Remembers what the directory answered, with the entry's version.
    pub fn store_version(
        &mut self,
        client: u32,
        tenant: u32,
        phys: u32,
        version: u32,
        now: SimTime,
    ) {
        if !self.enabled() {
            return;
        }
        let Some(row) = self.rows.get_mut(client as usize) else {
            return;
        };
        if row.len() <= tenant as usize {
            row.resize(tenant as usize + 1, None);
        }
        row[tenant as usize] = Some(CacheEntry {
            phys,
            fetched: now,
            version,
        });
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
            .filter(|e| self.alive(e, now))
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
    /// Decides the route of a versioned request: the client's entry (if any) and the version the
    /// shards hold for the tenant. A matching version is served where the entry points; an older
    /// one meets a stale-version error and a refresh from the directory.
    pub fn decide_versioned(cached: Option<CacheEntry>, version: u32, directory_up: bool) -> Route {
        match (cached, directory_up) {
            (Some(e), _) if e.version == version => Route::CacheHit,
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
    /// The sum of the service times on a served request's path: each shard visit costs
    /// `shard_us`, a directory lookup `directory_us`, a cache lookup nothing (it is in the
    /// client's memory). This is its latency when it waits in no queue; the model adds the
    /// waits.
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
    fn versioned_entries_never_expire_and_are_checked_by_version() {
        let mut c = ClientCaches::versioned(1);
        assert!(c.enabled());
        c.store_version(0, 2, 5, 3, SimTime::ZERO);
        let e = c.fresh_entry(0, 2, SimTime::from_secs(3_600));
        assert_eq!(e.map(|e| (e.phys, e.version)), Some((5, 3)));
        assert_eq!(Route::decide_versioned(e, 3, false), Route::CacheHit);
        assert_eq!(Route::decide_versioned(e, 4, true), Route::StaleThenLookup);
        assert_eq!(Route::decide_versioned(e, 4, false), Route::FailedStale);
        assert_eq!(
            Route::decide_versioned(None, 4, false),
            Route::FailedNoEntry
        );
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
