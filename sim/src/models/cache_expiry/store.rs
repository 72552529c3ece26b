//! The mechanism: a cache whose entries expire, in front of a database with a few connections,
//! read by many clients, with the stampede cures as switches. Usable without the engine: a test
//! calls [`ExpiryCache::read`] with a key and a time and reads what happened.
//!
//! A read at `t` of key `k`:
//! 1. installs every database load that finished by `t` (a load's value lands in the cache when
//!    its query returns, with a fresh TTL);
//! 2. if `k` is fresh (`t < expiry`): a hit, unless XFetch fires (below), in which case this
//!    client recomputes the value itself, as in the paper's algorithm;
//! 3. if `k` is expired but within the stale-while-revalidate window (RFC 5861,
//!    `stale-while-revalidate=N`: a cache may serve a stale response for up to N seconds while it
//!    revalidates in the background): served stale, and one background refresh starts if none
//!    runs;
//! 4. if a load of `k` is already on its way and single flight is on: the client waits for that
//!    leader's result (Go's `singleflight`, memcache leases, NSDI 2013 §3.2.1);
//! 5. otherwise a miss: the client queries the database. Without single flight every client that
//!    misses while the value is loading queries it again: the thundering herd.
//!
//! The database is `connections` first-in-first-out servers (`models::queueing::FifoServer`),
//! each taking one query of `query_us` at a time: a query goes to the connection that frees
//! first, which is exactly a first-come-first-served queue in front of `connections` workers. A
//! query's latency is its wait for a connection plus its service time, so a stampede shows as
//! queries in flight, queueing and a long tail.
//!
//! **XFetch** (Vattani, Chierichetti & Lowenstein, "Optimal Probabilistic Cache Stampede
//! Prevention", PVLDB 8(8), 2015, Algorithm 1): a read at `now` of a value that took `δ` to
//! compute recomputes early iff `now − δ·β·ln(u) ≥ expiry`, `u` uniform on (0, 1]. The chance of
//! that is `e^{−(expiry − now)/(δβ)}` ([`xfetch_probability`]): negligible long before expiry,
//! rising to 1 at it, and higher for values that are slow to compute. `δ` is measured as the
//! paper does, from the query's start to its return (here: from the client's request, so
//! queueing in the database counts).
//!
//! **TTL jitter**: every TTL set (fills, warm-up, "not found" entries) is multiplied by a factor
//! drawn uniformly from `[1 − j, 1 + j]`, so keys filled together expire apart.
//!
//! **Negative caching**: a lookup of a key the database does not have returns "not found"; with
//! a negative TTL that answer is cached like a value (RFC 2308 does this for DNS), otherwise
//! every lookup of a missing key reaches the database.
//!
//! Invariants (`validate`): every load in flight belongs to a key whose entry counts it; per-key
//! load counts add up to the loads in flight; with single flight no key has more than one load;
//! hits + misses = requests; no database connection is booked before the time it started.

use crate::models::queueing::{FifoServer, LatencyHistogram};
use crate::rng::SimRng;
use crate::time::SimTime;
use std::collections::BTreeMap;

/// Which cures are on.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Strategy {
    /// One load per key; other readers of a loading key wait for it.
    pub single_flight: bool,
    /// TTL jitter as a fraction (0.1: ±10 %); 0 for none.
    pub jitter: f64,
    /// XFetch's β, when probabilistic early refresh is on.
    pub xfetch_beta: Option<f64>,
    /// The stale-while-revalidate window, when on.
    pub swr_us: Option<u64>,
}

/// The cache's and the database's settings.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// TTL of a value filled after a miss.
    pub fill_ttl_us: u64,
    /// TTL of a cached "not found" (0: not cached).
    pub negative_ttl_us: u64,
    /// Database connections (queries served at once).
    pub connections: u32,
    /// One query's service time.
    pub query_us: u64,
    /// A cache look-up's latency (paid by every read).
    pub cache_us: u64,
    /// The cures.
    pub strategy: Strategy,
}

/// One key's cache state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Entry {
    /// When its cached value (or "not found") expires; `None`: never cached.
    pub expires: Option<SimTime>,
    /// How long the load that filled it took (XFetch's δ), in µs.
    pub delta_us: u64,
    /// Whether the cached answer is "not found".
    pub negative: bool,
    /// Database loads of this key in flight.
    pub loads: u32,
    /// When the first load in flight returns (what a single-flight waiter waits for).
    pub leader_done: SimTime,
    /// Readers waiting on that load.
    pub waiting: u32,
}

impl Entry {
    /// Whether it holds a value or "not found" that has not expired at `t`.
    pub fn fresh_at(&self, t: SimTime) -> bool {
        self.expires.is_some_and(|x| t < x)
    }
}

/// What one read did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Served {
    /// A fresh value from the cache.
    Hit,
    /// A cached "not found".
    NegativeHit,
    /// An expired value within the stale-while-revalidate window; `refresh`: this read started
    /// the background refresh.
    Stale {
        /// Whether this read started the refresh.
        refresh: bool,
    },
    /// Waited for another reader's load (single flight) returning at `until`.
    Waited {
        /// When the leader's load returns.
        until: SimTime,
    },
    /// Queried the database itself; the answer returns at `done`.
    DbRead {
        /// When the query returns.
        done: SimTime,
        /// XFetch: the value was still fresh and this read refreshed it early.
        early: bool,
        /// Queries in flight just after this one was sent (queued or running).
        in_flight: u32,
    },
}

/// A load a settle installed (for narration).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Filled {
    /// The key.
    pub key: u32,
    /// When the query returned.
    pub at: SimTime,
    /// How long it took from the request.
    pub took_us: u64,
    /// When the new entry expires (None: not cached, a "not found" without negative caching).
    pub expires: Option<SimTime>,
    /// Whether the key was not fresh when it returned (the first return of a herd, or a miss's
    /// only one), rather than a refill of a fresh entry.
    pub first: bool,
    /// Other queries for the key still in flight (the herd).
    pub herd: u32,
    /// Readers that waited for this query (single flight).
    pub waited: u32,
}

/// Counters of a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Reads.
    pub requests: u64,
    /// Reads answered from the cache without waiting for the database (fresh, stale, "not found").
    pub hits: u64,
    /// Reads that waited for the database (their own query, a leader's, an early refresh).
    pub misses: u64,
    /// Queries sent to the database.
    pub db_reads: u64,
    /// Reads served a stale value (stale-while-revalidate).
    pub stale_served: u64,
    /// Reads that waited on another reader's load (single flight).
    pub coalesced: u64,
    /// XFetch's early refreshes.
    pub early_refreshes: u64,
    /// Reads answered by a cached "not found".
    pub negative_hits: u64,
    /// Most queries in flight at once.
    pub peak_in_flight: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Load {
    key: u32,
    asked: SimTime,
    missing: bool,
}

/// The cache, the database and their counters.
#[derive(Clone, Debug)]
pub struct ExpiryCache {
    cfg: Config,
    entries: Vec<Entry>,
    db: Vec<FifoServer>,
    /// Loads in flight by (return time, sequence number).
    pending: BTreeMap<(SimTime, u64), Load>,
    seq: u64,
    counts: Counts,
    /// Database queries sent in each whole second of the run.
    per_second: Vec<u32>,
    latency: LatencyHistogram,
    jitter_rng: SimRng,
}

impl ExpiryCache {
    /// An empty cache over `keys` keys. `seed` feeds the jitter draws (their own stream, so
    /// turning jitter on leaves the request stream unchanged).
    pub fn new(cfg: Config, keys: u32, seed: u64) -> Self {
        let connections = cfg.connections.max(1);
        ExpiryCache {
            db: (0..connections)
                .map(|_| FifoServer::new(SimTime::ZERO))
                .collect(),
            cfg,
            entries: vec![Entry::default(); keys as usize],
            pending: BTreeMap::new(),
            seq: 0,
            counts: Counts::default(),
            per_second: Vec::new(),
            latency: LatencyHistogram::default(),
            jitter_rng: SimRng::stream(seed, "cache-expiry/jitter"),
        }
    }

    /// The settings.
    pub fn config(&self) -> &Config {
        &self.cfg
    }

    /// Keys it knows.
    pub fn keys(&self) -> u32 {
        self.entries.len() as u32
    }

    /// One key's state.
    pub fn entry(&self, key: u32) -> Entry {
        self.entries[key as usize]
    }

    /// The counters.
    pub fn counts(&self) -> Counts {
        self.counts
    }

    /// Read latencies.
    pub fn latency(&self) -> &LatencyHistogram {
        &self.latency
    }

    /// Queries sent in each whole second so far.
    pub fn per_second(&self) -> &[u32] {
        &self.per_second
    }

    /// Queries in flight (queued or running) at `t`, as of the last read.
    pub fn in_flight_at(&self, t: SimTime) -> u32 {
        self.pending.keys().filter(|(done, _)| *done > t).count() as u32
    }

    /// A TTL with the strategy's jitter applied.
    pub fn jittered(&mut self, ttl_us: u64) -> u64 {
        let j = self.cfg.strategy.jitter;
        if j <= 0.0 || ttl_us == 0 {
            return ttl_us;
        }
        let u = self.jitter_rng.unit_f64();
        (ttl_us as f64 * (1.0 + j * (2.0 * u - 1.0)))
            .round()
            .max(1.0) as u64
    }

    /// Puts a value in the cache as a warm-up does: it expires at `expires` (which may be in
    /// the past: already expired) and took `delta_us` to compute.
    pub fn warm(&mut self, key: u32, expires: SimTime, delta_us: u64, negative: bool) {
        let e = &mut self.entries[key as usize];
        e.expires = Some(expires);
        e.delta_us = delta_us;
        e.negative = negative;
    }

    /// Installs every load that returned by `t`, in the order they returned; returns them.
    pub fn settle(&mut self, t: SimTime) -> Vec<Filled> {
        let mut filled = Vec::new();
        while let Some((&(done, seq), _)) = self.pending.first_key_value() {
            if done > t {
                break;
            }
            let load = self.pending.remove(&(done, seq)).expect("first key exists");
            let base = if load.missing {
                self.cfg.negative_ttl_us
            } else {
                self.cfg.fill_ttl_us
            };
            let ttl = self.jittered(base);
            let e = &mut self.entries[load.key as usize];
            let first = !e.fresh_at(done);
            let waited = e.waiting;
            e.loads -= 1;
            e.waiting = 0;
            e.delta_us = done.since(load.asked);
            if load.missing && ttl == 0 {
                e.expires = None;
            } else {
                e.expires = Some(done.plus_us(ttl));
                e.negative = load.missing;
            }
            filled.push(Filled {
                key: load.key,
                at: done,
                took_us: e.delta_us,
                expires: e.expires,
                first,
                herd: e.loads,
                waited,
            });
        }
        filled
    }

    /// Sends a query for `key` at `t`; returns when it returns and the queries in flight.
    fn query(&mut self, key: u32, t: SimTime, missing: bool) -> (SimTime, u32) {
        // First come, first served over all connections: the connection that frees first.
        let idx = (0..self.db.len())
            .min_by_key(|&i| (self.db[i].free_at, i))
            .expect("at least one connection");
        let (_, done) = self.db[idx].serve(t, self.cfg.query_us);
        self.seq += 1;
        self.pending.insert(
            (done, self.seq),
            Load {
                key,
                asked: t,
                missing,
            },
        );
        let e = &mut self.entries[key as usize];
        if e.loads == 0 {
            e.leader_done = done;
        }
        e.loads += 1;
        self.counts.db_reads += 1;
        let second = (t.as_us() / 1_000_000) as usize;
        if self.per_second.len() <= second {
            self.per_second.resize(second + 1, 0);
        }
        self.per_second[second] += 1;
        let in_flight = self.pending.len() as u32;
        self.counts.peak_in_flight = self.counts.peak_in_flight.max(in_flight);
        (done, in_flight)
    }

    /// One client reads `key` at `t` (times must not go back); `missing`: the database has no
    /// such key. `rng` feeds XFetch's draw.
    pub fn read(&mut self, key: u32, t: SimTime, missing: bool, rng: &mut SimRng) -> Served {
        self.settle(t);
        self.counts.requests += 1;
        let cache_us = self.cfg.cache_us;
        let s = self.cfg.strategy;
        let e = self.entries[key as usize];
        let served = if e.fresh_at(t) {
            let expiry = e.expires.expect("fresh entries have an expiry");
            // With single flight an early refresh is that key's one load: no second one.
            let early = !e.negative
                && (!s.single_flight || e.loads == 0)
                && s.xfetch_beta.is_some_and(|beta| {
                    xfetch_fires(t, expiry, e.delta_us, beta, 1.0 - rng.unit_f64())
                });
            if early {
                self.counts.early_refreshes += 1;
                let (done, in_flight) = self.query(key, t, missing);
                Served::DbRead {
                    done,
                    early: true,
                    in_flight,
                }
            } else if e.negative {
                self.counts.negative_hits += 1;
                Served::NegativeHit
            } else {
                Served::Hit
            }
        } else if let Some(window) = s.swr_us.filter(|_| !e.negative) {
            match e.expires {
                Some(x) if t < x.plus_us(window) => {
                    self.counts.stale_served += 1;
                    let refresh = e.loads == 0;
                    if refresh {
                        self.query(key, t, missing);
                    }
                    Served::Stale { refresh }
                }
                _ => self.miss(key, t, missing),
            }
        } else {
            self.miss(key, t, missing)
        };
        match served {
            Served::Hit | Served::NegativeHit | Served::Stale { .. } => {
                self.counts.hits += 1;
                self.latency.record(cache_us);
            }
            Served::Waited { until } | Served::DbRead { done: until, .. } => {
                self.counts.misses += 1;
                self.latency.record(cache_us + until.since(t));
            }
        }
        served
    }

    fn miss(&mut self, key: u32, t: SimTime, missing: bool) -> Served {
        let e = self.entries[key as usize];
        if self.cfg.strategy.single_flight && e.loads > 0 {
            self.counts.coalesced += 1;
            self.entries[key as usize].waiting += 1;
            return Served::Waited {
                until: e.leader_done,
            };
        }
        let (done, in_flight) = self.query(key, t, missing);
        Served::DbRead {
            done,
            early: false,
            in_flight,
        }
    }

    /// Checks the invariants listed in the module doc.
    pub fn validate(&self) -> Result<(), String> {
        let c = &self.counts;
        if c.hits + c.misses != c.requests {
            return Err(format!(
                "{} hits + {} misses is not the {} requests",
                c.hits, c.misses, c.requests
            ));
        }
        let mut per_key: BTreeMap<u32, u32> = BTreeMap::new();
        for load in self.pending.values() {
            *per_key.entry(load.key).or_default() += 1;
        }
        for (i, e) in self.entries.iter().enumerate() {
            let want = per_key.get(&(i as u32)).copied().unwrap_or(0);
            if e.loads != want {
                return Err(format!(
                    "key {i} counts {} loads in flight but {want} are pending",
                    e.loads
                ));
            }
            if self.cfg.strategy.single_flight && e.loads > 1 {
                return Err(format!(
                    "single flight, yet key {i} has {} loads in flight",
                    e.loads
                ));
            }
        }
        let sent: u64 = self.per_second.iter().map(|&n| u64::from(n)).sum();
        if sent != c.db_reads {
            return Err(format!(
                "{sent} queries counted per second but {} sent",
                c.db_reads
            ));
        }
        Ok(())
    }
}

/// XFetch's test (Vattani et al. 2015, Algorithm 1): recompute early iff
/// `now − δ·β·ln(u) ≥ expiry`, with `u` uniform on (0, 1].
pub fn xfetch_fires(now: SimTime, expiry: SimTime, delta_us: u64, beta: f64, u: f64) -> bool {
    let u = u.clamp(f64::MIN_POSITIVE, 1.0);
    let ahead = -(delta_us as f64) * beta * libm::log(u);
    now.as_us() as f64 + ahead >= expiry.as_us() as f64
}

/// The chance that [`xfetch_fires`] at `gap_us` before expiry: `P(−δβ ln u ≥ gap) =
/// P(u ≤ e^{−gap/(δβ)}) = e^{−gap/(δβ)}` (1 at or after expiry; 0 if `δβ` is 0 before it).
pub fn xfetch_probability(gap_us: u64, delta_us: u64, beta: f64) -> f64 {
    let scale = delta_us as f64 * beta;
    if gap_us == 0 {
        1.0
    } else if scale <= 0.0 {
        0.0
    } else {
        libm::exp(-(gap_us as f64) / scale)
    }
}
