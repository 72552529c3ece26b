//! The hierarchy itself, without the scheduler: reads walk the levels, writes go to the database
//! and send invalidations, and a delivered message drops a copy. The model ([`super`]) draws
//! the requests and delivers the messages at their time; tests drive this directly.

use super::rate::RateWindow;
use super::tier::{Lookup, TierCache};
use crate::models::queueing::LatencyHistogram;
use crate::rng::splitmix64_fmix;
use crate::time::SimTime;
use std::collections::BTreeMap;

/// How app servers' L1 copies learn of a write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum L1Invalidation {
    /// The writer sends a delete to every other app server (it drops its own copy at once).
    Broadcast,
    /// Nobody is told: a copy is served until its L1 time to live runs out.
    TtlOnly,
}

/// How the CDN edge learns of a write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EdgeInvalidation {
    /// The writer asks the CDN to purge the object; the purge lands after the propagation delay.
    Purge,
    /// Nobody is told: the edge serves its copy until its time to live runs out.
    TtlOnly,
}

/// Per-level costs of a read, in microseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Latency {
    /// Client to the CDN edge and back.
    pub edge_us: u64,
    /// To the data centre and back (from the client, or from the edge on an edge miss).
    pub dc_us: u64,
    /// An in-process L1 lookup.
    pub l1_us: u64,
    /// A round trip to the shared L2.
    pub l2_us: u64,
    /// A database read.
    pub db_us: u64,
}

/// The hierarchy's shape.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// App servers, each with its own L1.
    pub servers: u32,
    /// Keys per L1 (0: no L1).
    pub l1_size: u64,
    /// L1 entries' time to live.
    pub l1_ttl_us: Option<u64>,
    /// How L1 copies are invalidated.
    pub l1_invalidation: L1Invalidation,
    /// How long a broadcast invalidation takes to reach the other servers.
    pub invalidation_delay_us: u64,
    /// Keys in the L2 over all its shards (0: no L2).
    pub l2_size: u64,
    /// L2 shards (nodes), each holding an equal part.
    pub l2_shards: u32,
    /// L2 entries' time to live.
    pub l2_ttl_us: Option<u64>,
    /// Whether a CDN edge sits in front.
    pub edge: bool,
    /// Objects the edge holds.
    pub edge_size: u64,
    /// Edge entries' time to live (`max-age`).
    pub edge_ttl_us: Option<u64>,
    /// Percentage of keys the edge may cache (the rest pass through it).
    pub cacheable_percent: u32,
    /// How the edge is invalidated.
    pub edge_invalidation: EdgeInvalidation,
    /// How long a purge takes to reach the edge.
    pub purge_delay_us: u64,
    /// Per-level costs.
    pub latency: Latency,
}

/// Where a read was answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// The CDN edge.
    Edge,
    /// The app server's in-process cache.
    L1,
    /// The shared cache.
    L2,
    /// The database.
    Origin,
}

impl Level {
    /// Its name for people.
    pub fn name(self) -> &'static str {
        match self {
            Level::Edge => "the CDN edge",
            Level::L1 => "its L1",
            Level::L2 => "the L2",
            Level::Origin => "the database",
        }
    }
}

/// A place a request or a message visited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hop {
    /// The clients.
    Clients,
    /// The CDN edge.
    Edge,
    /// App server `n`'s L1.
    L1(u32),
    /// L2 shard `n`.
    L2(u32),
    /// The database.
    Db,
}

/// What a read did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Read {
    /// The key.
    pub key: u64,
    /// The app server it went to (also when the edge answered: the one it would have gone to).
    pub server: u32,
    /// Where it was answered.
    pub served_by: Level,
    /// The version it got.
    pub version: u64,
    /// The database's version at that moment.
    pub current: u64,
    /// Its latency in microseconds.
    pub latency_us: u64,
    /// Where it went, in order.
    pub path: Vec<Hop>,
}

impl Read {
    /// Whether it got an older version than the database holds.
    pub fn stale(&self) -> bool {
        self.version < self.current
    }
}

/// A message a write sends, delivered later by the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Message {
    /// Drop `key` from app server `server`'s L1.
    InvalidateL1 {
        /// The server.
        server: u32,
        /// The key.
        key: u64,
    },
    /// Purge `key` (or everything: `None`) from the edge.
    Purge {
        /// The key, or everything.
        key: Option<u64>,
    },
}

/// What a write did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Write {
    /// The key.
    pub key: u64,
    /// The server that wrote it.
    pub server: u32,
    /// Its new version.
    pub version: u64,
    /// Whether the L2 held the key (the delete dropped it).
    pub l2_deleted: bool,
    /// Messages to deliver, each after its delay in microseconds.
    pub messages: Vec<(u64, Message)>,
}

/// Counters of a run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Reads.
    pub reads: u64,
    /// Writes (each one a database write).
    pub writes: u64,
    /// Reads answered per level: edge, L1, L2, origin.
    pub served: [u64; 4],
    /// Stale reads per level: edge, L1, L2, origin (always 0).
    pub stale: [u64; 4],
    /// Reads that passed the edge without a lookup (objects it may not cache).
    pub edge_passes: u64,
    /// Deletes sent to the L2.
    pub l2_deletes: u64,
    /// Invalidation messages sent to other app servers.
    pub l1_messages: u64,
    /// Messages that found a copy to drop.
    pub l1_dropped: u64,
    /// Purge requests sent to the CDN.
    pub purges: u64,
    /// Summed latency per part, microseconds: edge, data-centre network, L1, L2, database.
    pub latency_sum_us: [u64; 5],
}

impl Counters {
    /// Reads answered by some cache.
    pub fn hits(&self) -> u64 {
        self.served[0] + self.served[1] + self.served[2]
    }
    /// Reads that reached the database.
    pub fn db_reads(&self) -> u64 {
        self.served[3]
    }
    /// Stale reads at every level.
    pub fn stale_reads(&self) -> u64 {
        self.stale.iter().sum()
    }
    /// Invalidation messages of every kind.
    pub fn invalidations(&self) -> u64 {
        self.l2_deletes + self.l1_messages + self.purges
    }
}

/// The levels, the database and the counters.
#[derive(Clone, Debug)]
pub struct Hierarchy {
    /// The shape.
    pub config: Config,
    /// One L1 per app server (capacity 0 when there is none).
    pub l1: Vec<TierCache>,
    /// The L2's shards (empty when there is none).
    pub l2: Vec<TierCache>,
    /// The edge, if any.
    pub edge: Option<TierCache>,
    db: BTreeMap<u64, u64>,
    /// Counters.
    pub counters: Counters,
    /// Read latencies.
    pub latency: LatencyHistogram,
    /// Requests reaching the database (reads and writes), for its rate.
    pub db_rate: RateWindow,
    /// Operations (gets, sets, deletes) per L2 shard, for their rates.
    pub l2_rate: Vec<RateWindow>,
}

/// The L2 shard of `key` among `shards`: a hash of the key modulo the shard count (Redis
/// Cluster hashes a key to one of 16,384 slots, each owned by one node: one key, one node).
pub fn l2_shard_of(key: u64, shards: u32) -> u32 {
    (splitmix64_fmix(key ^ 0x4c32_5348_4152_4400) % u64::from(shards.max(1))) as u32
}

/// Whether the edge may cache `key` when `percent` of keys are cacheable (a fixed function of
/// the key: the same objects are public in every run).
pub fn cacheable(key: u64, percent: u32) -> bool {
    splitmix64_fmix(key ^ 0x4344_4e5f_4f4b_0000) % 100 < u64::from(percent)
}

impl Hierarchy {
    /// Builds the levels, empty; `seed` feeds the policies that draw (Redis' sampled LRU).
    pub fn new(config: Config, seed: u64) -> Result<Self, String> {
        let l1 = (0..config.servers)
            .map(|_| TierCache::new("lru", config.l1_size, config.l1_ttl_us, seed))
            .collect::<Result<Vec<_>, _>>()?;
        let shards = if config.l2_size > 0 {
            config.l2_shards.max(1)
        } else {
            0
        };
        let per_shard = config.l2_size.div_ceil(u64::from(shards.max(1)));
        let l2 = (0..shards)
            .map(|s| {
                TierCache::new(
                    "sampled-lru",
                    per_shard,
                    config.l2_ttl_us,
                    seed ^ u64::from(s),
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        let edge = if config.edge {
            Some(TierCache::new(
                "lru",
                config.edge_size,
                config.edge_ttl_us,
                seed,
            )?)
        } else {
            None
        };
        Ok(Hierarchy {
            l2_rate: vec![RateWindow::default(); shards as usize],
            config,
            l1,
            l2,
            edge,
            db: BTreeMap::new(),
            counters: Counters::default(),
            latency: LatencyHistogram::default(),
            db_rate: RateWindow::default(),
        })
    }

    /// The database's version of `key` (every key starts at version 1).
    pub fn db_version(&self, key: u64) -> u64 {
        self.db.get(&key).copied().unwrap_or(1)
    }

    /// Whether there is an L1.
    pub fn has_l1(&self) -> bool {
        self.config.l1_size > 0
    }

    /// The L2 shard holding `key`, if there is an L2.
    pub fn shard_of(&self, key: u64) -> Option<u32> {
        (!self.l2.is_empty()).then(|| l2_shard_of(key, self.l2.len() as u32))
    }

    /// A read of `key` through app server `server` at `now`: down the levels until one holds a
    /// live copy, then back up filling every level it missed (cache-aside at each level).
    pub fn read(&mut self, server: u32, key: u64, now: SimTime) -> Read {
        let lat = self.config.latency;
        let current = self.db_version(key);
        let mut parts = [0u64; 5];
        let mut path = vec![Hop::Clients];
        let mut found: Option<(Level, u64)> = None;
        let mut missed_edge = false;
        let mut missed_l1 = false;
        let mut missed_l2: Option<u32> = None;

        if let Some(edge) = self.edge.as_mut() {
            parts[0] = lat.edge_us;
            path.push(Hop::Edge);
            if cacheable(key, self.config.cacheable_percent) {
                match edge.lookup(key, now) {
                    Lookup::Hit(v) => found = Some((Level::Edge, v)),
                    Lookup::Miss { .. } => missed_edge = true,
                }
            } else {
                self.counters.edge_passes += 1;
            }
        }
        if found.is_none() {
            parts[1] = lat.dc_us;
            path.push(Hop::L1(server));
            if self.config.l1_size > 0 {
                parts[2] = lat.l1_us;
                match self.l1[server as usize].lookup(key, now) {
                    Lookup::Hit(v) => found = Some((Level::L1, v)),
                    Lookup::Miss { .. } => missed_l1 = true,
                }
            }
        }
        if found.is_none() {
            if let Some(s) = self.shard_of(key) {
                parts[3] = lat.l2_us;
                path.push(Hop::L2(s));
                self.l2_rate[s as usize].add(now);
                match self.l2[s as usize].lookup(key, now) {
                    Lookup::Hit(v) => found = Some((Level::L2, v)),
                    Lookup::Miss { .. } => missed_l2 = Some(s),
                }
            }
        }
        let (served_by, version) = found.unwrap_or_else(|| {
            parts[4] = lat.db_us;
            path.push(Hop::Db);
            self.db_rate.add(now);
            (Level::Origin, current)
        });
        // Fill on the way back, innermost first.
        if let Some(s) = missed_l2 {
            self.l2_rate[s as usize].add(now);
            self.l2[s as usize].fill(key, version, now);
        }
        if missed_l1 {
            self.l1[server as usize].fill(key, version, now);
        }
        if missed_edge {
            if let Some(edge) = self.edge.as_mut() {
                edge.fill(key, version, now);
            }
        }

        let latency_us: u64 = parts.iter().sum();
        let c = &mut self.counters;
        c.reads += 1;
        let li = served_by as usize;
        c.served[li] += 1;
        if version < current {
            c.stale[li] += 1;
        }
        for (sum, p) in c.latency_sum_us.iter_mut().zip(parts) {
            *sum += p;
        }
        self.latency.record(latency_us);
        Read {
            key,
            server,
            served_by,
            version,
            current,
            latency_us,
            path,
        }
    }

    /// A write of `key` by app server `server` at `now`: the database first, then the L2 entry
    /// is deleted and the writer's own L1 copy dropped at once; the other L1s and the edge are
    /// told by messages (by the invalidation settings) that the caller delivers after their
    /// delay.
    pub fn write(&mut self, server: u32, key: u64, now: SimTime) -> Write {
        let version = self.db_version(key) + 1;
        self.db.insert(key, version);
        self.db_rate.add(now);
        self.counters.writes += 1;
        let mut l2_deleted = false;
        if let Some(s) = self.shard_of(key) {
            self.l2_rate[s as usize].add(now);
            self.counters.l2_deletes += 1;
            l2_deleted = self.l2[s as usize].invalidate(key);
        }
        let mut messages = Vec::new();
        if self.has_l1() {
            self.l1[server as usize].invalidate(key);
            if self.config.l1_invalidation == L1Invalidation::Broadcast {
                for other in (0..self.config.servers).filter(|&o| o != server) {
                    self.counters.l1_messages += 1;
                    messages.push((
                        self.config.invalidation_delay_us,
                        Message::InvalidateL1 { server: other, key },
                    ));
                }
            }
        }
        if self.edge.is_some() && self.config.edge_invalidation == EdgeInvalidation::Purge {
            messages.push((self.config.purge_delay_us, self.purge_message(Some(key))));
        }
        Write {
            key,
            server,
            version,
            l2_deleted,
            messages,
        }
    }

    /// A purge request for `key` (or everything), counted; the caller delivers it.
    pub fn purge_message(&mut self, key: Option<u64>) -> Message {
        self.counters.purges += 1;
        Message::Purge { key }
    }

    /// Delivers a message; returns how many copies it dropped.
    pub fn deliver(&mut self, message: Message) -> u64 {
        match message {
            Message::InvalidateL1 { server, key } => {
                let dropped = self
                    .l1
                    .get_mut(server as usize)
                    .is_some_and(|c| c.invalidate(key));
                if dropped {
                    self.counters.l1_dropped += 1;
                }
                u64::from(dropped)
            }
            Message::Purge { key } => match (self.edge.as_mut(), key) {
                (Some(edge), Some(k)) => u64::from(edge.invalidate(k)),
                (Some(edge), None) => edge.clear(),
                (None, _) => 0,
            },
        }
    }

    /// Copies older than the database's version, per level (edge, L1s, L2), right now.
    pub fn stale_copies(&self) -> [u64; 3] {
        let count = |c: &TierCache| {
            c.entries()
                .filter(|(k, h)| h.version < self.db_version(*k))
                .count() as u64
        };
        [
            self.edge.as_ref().map_or(0, count),
            self.l1.iter().map(count).sum(),
            self.l2.iter().map(count).sum(),
        ]
    }

    /// Checks every level (capacity and bookkeeping), that requests are conserved, that no
    /// copy is newer than the database, and that each L2 shard holds only its own keys.
    pub fn validate(&self) -> Result<(), String> {
        let levels = self
            .edge
            .iter()
            .map(|c| ("the edge".to_string(), c))
            .chain(
                self.l1
                    .iter()
                    .enumerate()
                    .map(|(i, c)| (format!("app server {}'s L1", i + 1), c)),
            )
            .chain(
                self.l2
                    .iter()
                    .enumerate()
                    .map(|(i, c)| (format!("L2 shard {}", i + 1), c)),
            );
        for (name, c) in levels {
            c.validate().map_err(|e| format!("{name}: {e}"))?;
            if let Some((k, h)) = c.entries().find(|(k, h)| h.version > self.db_version(*k)) {
                return Err(format!(
                    "{name} holds k{k} v{} but the database has only v{}",
                    h.version,
                    self.db_version(k)
                ));
            }
        }
        for (s, c) in self.l2.iter().enumerate() {
            if let Some((k, _)) = c
                .entries()
                .find(|(k, _)| l2_shard_of(*k, self.l2.len() as u32) != s as u32)
            {
                return Err(format!(
                    "L2 shard {} holds k{k}, another shard's key",
                    s + 1
                ));
            }
        }
        let c = &self.counters;
        if c.served.iter().sum::<u64>() != c.reads {
            return Err(format!(
                "{:?} reads answered per level, but {} reads",
                c.served, c.reads
            ));
        }
        if c.stale[3] != 0 {
            return Err("the database served a stale read".into());
        }
        let l1_lookups: u64 = self.l1.iter().map(|l| l.hits + l.misses).sum();
        let l1_hits: u64 = self.l1.iter().map(|l| l.hits).sum();
        if l1_hits != c.served[1] {
            return Err(format!(
                "the L1s hit {l1_hits} times but answered {} reads",
                c.served[1]
            ));
        }
        let edge_misses = self.edge.as_ref().map_or(0, |e| e.misses);
        if self.has_l1() && l1_lookups != c.reads - c.served[0] {
            return Err(format!(
                "{l1_lookups} L1 lookups for {} reads past the edge ({edge_misses} edge misses)",
                c.reads - c.served[0]
            ));
        }
        if self.latency.count() != c.reads {
            return Err(format!(
                "{} latencies for {} reads",
                self.latency.count(),
                c.reads
            ));
        }
        Ok(())
    }
}
