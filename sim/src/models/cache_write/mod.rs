//! Write policies: clients read and write a few keys through a cache in front of a database, and
//! every key carries a version in each, so a stale read is a fact of the run, not a claim.
//!
//! Policies (`policy`):
//! - **cache-aside**: a read asks the cache; on a miss the client reads the database and fills
//!   the cache (a plain `SET`, as memcached's). A write updates the database, then deletes the
//!   cache entry.
//! - **read-through**: the same, but the cache itself loads a miss, once per key however many
//!   readers wait (concurrent misses coalesce, as a loading cache's per-key load does), and a fill
//!   only adds an absent key.
//! - **write-through**: a write goes to the cache, which writes the database synchronously and
//!   then updates itself; the client is acknowledged after both.
//! - **write-behind** (write-back): the cache takes the write, marks the entry dirty and
//!   acknowledges at once; a flush sends the pending writes to the database in one batch every
//!   `flush_ms`, or as soon as `batch` writes are pending (several writes to one key in a batch
//!   are coalesced into one database write). A `crash` loses the writes not yet flushed:
//!   `lost_writes`.
//! - **write-around**: a write goes to the database only; the cache is left alone, so an entry
//!   cached before the write is served, stale, until its time to live runs out.
//!
//! Three widely copied buggy versions, reproduced exactly:
//! - **write-through-recache**: after updating the database it calls the read function, which
//!   asks the cache first; on a hit it gets the *old* value and writes it back with a fresh time
//!   to live, so the stale value lives longer than if it had done nothing.
//! - **write-behind-one**: the flusher thread takes one pending write, writes it, then sleeps
//!   `flush_ms` whether or not more are waiting: it drains one write per `db_write_ms +
//!   flush_ms` (0.67 writes/s with 500 ms writes and a 1 s sleep), so any faster write rate
//!   grows the backlog, and a crash loses all of it.
//! - **write-through-cache-first**: a write sets the cache, then writes the database. When the
//!   database write fails (`fail-db-write` makes one fail; the client gets an error), the cache
//!   keeps a version the database never stored, and reads return it (`uncommitted_reads`) until
//!   its time to live runs out or the key is written again. The correct orders (the database
//!   first, then the cache's delete or update) leave the cache as it was when the database write
//!   fails: the error skips the cache step.
//!
//! **The cache-aside race** (`race` action): reader A misses, reads v1 from the database and is
//! delayed (`race_delay_ms`: a GC pause, a slow network); writer B commits v2 and deletes the
//! cache entry; A's fill then puts v1 in the cache, where it stays, stale, until its time to
//! live or the next write. The fix Facebook's memcache uses is a *lease* (Nishtala et al.,
//! "Scaling Memcache at Facebook", NSDI 2013, §3.2.1): a miss hands the reader a token, a delete
//! of the key invalidates it, and a fill with an invalid token is refused (`leases` on).
//!
//! Timing: a cache round trip costs `cache_ms`, a database read `db_read_ms`, a database write
//! `db_write_ms`. A database read sees the versions committed when it arrives (one cache round
//! trip after the request starts) and its answer comes back `db_read_ms` later; a write commits
//! when its `db_write_ms` have passed. Versions are numbered per key in commit order (the
//! database's), or in the cache's order for write-behind and the cache-first write-through (the
//! cache takes the write first; a version whose database write failed is never reused).
//!
//! Invariants (`validate`): a clean cache entry never holds a version newer than the database
//! (unless the cache-first write-through put it there and its database write is in flight or
//! failed); a
//! dirty one is waiting in the queue or in the flush in flight; the database never holds a
//! version no write produced; pending versions of a key only grow; stale reads never exceed hits;
//! every read is a hit or a miss.
//!
//! Simplifications: one cache node, no capacity (the keys are few) and so no eviction; no network
//! failures; a failed database write fails whole and is not retried; a write-behind flush never
//! fails; a crashed cache restarts at once, empty; a write-behind flush is one round trip
//! whatever its size; the thundering-herd half of leases (one token per key per few seconds) is
//! left to the expiry lesson.

mod policy;
mod view;

#[cfg(test)]
mod tests;

use crate::cache::ttl::TtlCache;
use crate::model::{ActionSpec, Ctx, InputError, Metric, MetricValue, Metrics, Model};
use crate::models::store_view::{FlowKind, FlowView, StoreFrame};
use crate::params::{ParamError, ParamSet, ParamSpec};
use crate::query::Queries;
use crate::scenario::Input;
use crate::time::SimTime;
use crate::trace::Narrate;
use crate::workload::Popularity;
pub use policy::Policy;
use std::collections::{BTreeMap, BTreeSet};

/// Most keys a run has (the diagram draws them all).
pub const MAX_KEYS: u32 = 8;

/// One cached value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cached {
    /// The version it holds.
    pub version: u64,
    /// Written to the cache but not yet to the database (write-behind).
    pub dirty: bool,
}

/// What a client has in flight (drawn in the client tier).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Op {
    /// Who: `A`, `B` for the race, else the request's number.
    pub who: String,
    /// The key.
    pub key: u32,
    /// A write (else a read).
    pub write: bool,
    /// The version it holds, once it has one (a read's database answer).
    pub holds: Option<u64>,
    /// When it started.
    pub start: SimTime,
}

/// What the run records: one line per completed step of a request.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    /// The line.
    pub text: String,
    /// Whether the log should always show it (a stale fill, a crash, the race).
    pub milestone: bool,
}

impl Narrate for Step {
    fn narrate(&self) -> String {
        self.text.clone()
    }
    fn is_milestone(&self) -> bool {
        self.milestone
    }
}

/// The model's events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// The next background read arrives.
    NextRead,
    /// The next background write arrives.
    NextWrite,
    /// A read starts (scripted: `who`, extra delay on its database answer).
    StartRead {
        /// Who.
        who: Option<String>,
        /// The key.
        key: u32,
        /// Extra delay of its database answer.
        slow_us: u64,
    },
    /// A write starts.
    StartWrite {
        /// Who.
        who: Option<String>,
        /// The key.
        key: u32,
    },
    /// A read reaches the cache.
    ReadAtCache {
        /// The request.
        id: u64,
        /// Extra delay of its database answer.
        slow_us: u64,
    },
    /// A read's database answer reaches the reader (or the loading cache), which fills.
    ReadFill {
        /// The request.
        id: u64,
        /// The version the database had.
        version: u64,
        /// The lease the miss was handed, when leases are on.
        lease: Option<u64>,
        /// Whether it fills (not a concurrent misser without a lease).
        fills: bool,
    },
    /// A write commits in the database.
    Commit {
        /// The request.
        id: u64,
    },
    /// A write's step after the commit (cache-aside's delete; the buggy re-cache's look-up).
    AfterCommit {
        /// The request.
        id: u64,
        /// The version it committed.
        version: u64,
    },
    /// The buggy re-cache's database read came back: it sets that.
    Recache {
        /// The request.
        id: u64,
        /// The version read.
        version: u64,
    },
    /// A cache-first write reaches the cache, which takes it before the database.
    CacheFirst {
        /// The request.
        id: u64,
    },
    /// A write reaches the write-behind cache.
    Buffer {
        /// The request.
        id: u64,
    },
    /// The write-behind flush timer.
    FlushTimer,
    /// A flush's batch has reached the database.
    Flushed {
        /// Key → the newest version in the batch.
        batch: BTreeMap<u32, u64>,
        /// Writes in the batch (before coalescing).
        writes: u64,
    },
}

/// Counters.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Counts {
    /// Reads completed.
    pub reads: u64,
    /// Reads served by the cache.
    pub hits: u64,
    /// Reads the cache did not have.
    pub misses: u64,
    /// Hits whose version was older than the database's.
    pub stale_reads: u64,
    /// Hits whose version the database had not committed (a cache-first write's; not
    /// write-behind's dirty entries).
    pub uncommitted_reads: u64,
    /// Writes whose database write failed (the client got an error).
    pub failed_writes: u64,
    /// Database reads (fills and the buggy re-cache's).
    pub db_reads: u64,
    /// Database row writes (a flush writes one row per key).
    pub db_writes: u64,
    /// Writes acknowledged to clients.
    pub writes: u64,
    /// Acknowledged writes a crash lost before they reached the database.
    pub lost_writes: u64,
    /// Fills refused because the lease was invalidated.
    pub refused_fills: u64,
    /// Fills that put a version older than the database's into the cache.
    pub stale_fills: u64,
    /// Crashes.
    pub crashes: u64,
    /// Sum of read latencies, µs.
    pub read_us: u64,
    /// Sum of write latencies (to the acknowledgement), µs.
    pub write_us: u64,
    /// Most writes ever pending at once.
    pub max_pending: u64,
}

/// The write-policy model.
#[derive(Clone, Debug)]
pub struct CacheWrite {
    policy: Policy,
    leases: bool,
    keys: u32,
    popularity: Popularity,
    read_rate: f64,
    write_rate: f64,
    cache_us: u64,
    db_read_us: u64,
    db_write_us: u64,
    flush_us: u64,
    batch: u64,
    race_delay_us: u64,
    ttl_us: u64,
    /// Database versions, by key.
    db: Vec<u64>,
    /// Versions handed out so far, by key (a version a crash lost is never reused).
    issued: Vec<u64>,
    /// Cache entries.
    cache: BTreeMap<u32, Cached>,
    /// Their expiry (the cache family's TTL cache, time in µs).
    expiry: TtlCache,
    /// Write-behind queue: (key, version), oldest first.
    pending: Vec<(u32, u64)>,
    /// The batch a flush has sent and the database has not yet applied.
    in_flight: Option<BTreeMap<u32, u64>>,
    /// Valid leases: key → token.
    lease: BTreeMap<u32, u64>,
    next_lease: u64,
    /// Writes (request ids) whose database write will fail.
    failing: BTreeSet<u64>,
    /// (key, version) a cache-first write put in the cache and the database never stored.
    never_committed: BTreeSet<(u32, u64)>,
    /// Read-through: key → requests waiting for its load.
    loading: BTreeMap<u32, Vec<u64>>,
    /// Requests in flight.
    ops: BTreeMap<u64, Op>,
    next_id: u64,
    counts: Counts,
    last: Option<FlowView>,
}

fn key_name(k: u32) -> String {
    format!("k{}", k + 1)
}

impl CacheWrite {
    /// The counters.
    pub fn counts(&self) -> &Counts {
        &self.counts
    }

    /// The database's version of `key`.
    pub fn db_version(&self, key: u32) -> u64 {
        self.db[key as usize]
    }

    /// The cache's entry for `key`, if it holds one.
    pub fn cached(&self, key: u32) -> Option<Cached> {
        self.cache.get(&key).copied()
    }

    /// Writes waiting to be flushed.
    pub fn pending(&self) -> u64 {
        self.pending.len() as u64
    }

    fn parse_key(&self, arg: &str) -> Result<u32, InputError> {
        let n = arg.trim().trim_start_matches('k');
        match n.parse::<u32>() {
            Ok(k) if (1..=self.keys).contains(&k) => Ok(k - 1),
            _ => Err(InputError(format!(
                "{arg:?} is not a key of this run: the keys are k1 to k{}",
                self.keys
            ))),
        }
    }

    fn flow(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        kind: FlowKind,
        key: u32,
        path: &[&str],
        ok: bool,
        text: String,
    ) {
        ctx.record(Step {
            text: text.clone(),
            // A wrong turn, or a crash (the only `Expire` flow here), is always worth a mark.
            milestone: !ok || kind == FlowKind::Expire,
        });
        self.last = Some(FlowView {
            at: ctx.now,
            kind,
            key: key_name(key),
            path: path.iter().map(|p| p.to_string()).collect(),
            ok,
            text,
        });
    }

    fn new_op(&mut self, who: Option<String>, key: u32, write: bool, now: SimTime) -> u64 {
        self.next_id += 1;
        let id = self.next_id;
        self.ops.insert(
            id,
            Op {
                who: who.unwrap_or_else(|| format!("#{id}")),
                key,
                write,
                holds: None,
                start: now,
            },
        );
        id
    }

    /// Drops the entries whose time to live has run out by now (a dirty entry stays: it is the
    /// only copy of its write until the flush).
    fn expire(&mut self, now: SimTime) {
        for k in self.expiry.advance(now.as_us()) {
            let k = k as u32;
            if self.cache.get(&k).is_some_and(|c| !c.dirty) {
                self.cache.remove(&k);
            }
        }
    }

    /// Puts `version` of `key` in the cache with a fresh time to live.
    fn set(&mut self, key: u32, version: u64, dirty: bool, now: SimTime) {
        self.expiry.remove(u64::from(key));
        self.expiry.access(u64::from(key), now.as_us());
        self.cache.insert(key, Cached { version, dirty });
    }

    /// Deletes `key` from the cache, invalidating its lease.
    fn delete(&mut self, key: u32) {
        self.expiry.remove(u64::from(key));
        self.cache.remove(&key);
        self.lease.remove(&key);
    }

    fn schedule_next(&self, ctx: &mut Ctx<'_, Self>, write: bool) {
        if write {
            ctx.schedule_poisson(self.write_rate, Event::NextWrite);
        } else {
            ctx.schedule_poisson(self.read_rate, Event::NextRead);
        }
    }

    fn pick_key(&self, ctx: &mut Ctx<'_, Self>) -> u32 {
        self.popularity
            .pick(ctx.rng, u64::from(self.keys))
            .unwrap_or(0) as u32
    }

    fn start_read(&mut self, who: Option<String>, key: u32, slow_us: u64, ctx: &mut Ctx<'_, Self>) {
        let id = self.new_op(who, key, false, ctx.now);
        ctx.schedule(
            ctx.now.plus_us(self.cache_us),
            Event::ReadAtCache { id, slow_us },
        );
    }

    /// Starts a write; returns its request id.
    fn start_write(&mut self, who: Option<String>, key: u32, ctx: &mut Ctx<'_, Self>) -> u64 {
        let id = self.new_op(who, key, true, ctx.now);
        let at = match self.policy {
            Policy::WriteBehind | Policy::WriteBehindOne => {
                ctx.schedule(ctx.now.plus_us(self.cache_us), Event::Buffer { id });
                return id;
            }
            Policy::WriteThroughCacheFirst => {
                ctx.schedule(ctx.now.plus_us(self.cache_us), Event::CacheFirst { id });
                return id;
            }
            // Through the cache, which writes the database.
            Policy::WriteThrough => self.cache_us + self.db_write_us,
            _ => self.db_write_us,
        };
        ctx.schedule(ctx.now.plus_us(at), Event::Commit { id });
        id
    }

    fn finish_read(&mut self, id: u64, ctx: &mut Ctx<'_, Self>) {
        if let Some(op) = self.ops.remove(&id) {
            self.counts.reads += 1;
            self.counts.read_us += ctx.now.since(op.start);
        }
    }

    fn ack_write(&mut self, id: u64, ctx: &mut Ctx<'_, Self>) {
        if let Some(op) = self.ops.remove(&id) {
            self.counts.writes += 1;
            self.counts.write_us += ctx.now.since(op.start);
        }
    }

    fn who(&self, id: u64) -> String {
        self.ops
            .get(&id)
            .map_or_else(|| format!("#{id}"), |o| o.who.clone())
    }

    fn read_at_cache(&mut self, id: u64, slow_us: u64, ctx: &mut Ctx<'_, Self>) {
        let Some(key) = self.ops.get(&id).map(|o| o.key) else {
            return;
        };
        self.expire(ctx.now);
        let who = self.who(id);
        let k = key_name(key);
        if let Some(c) = self.cache.get(&key).copied() {
            self.counts.hits += 1;
            let db = self.db[key as usize];
            let stale = c.version < db;
            if stale {
                self.counts.stale_reads += 1;
            }
            let uncommitted = !c.dirty && c.version > db;
            if uncommitted {
                self.counts.uncommitted_reads += 1;
            }
            let text = if uncommitted && self.never_committed.contains(&(key, c.version)) {
                format!(
                    "{who} read {k} v{} from the cache: its database write failed, so the database never stored it (it has v{db})",
                    c.version
                )
            } else if uncommitted {
                format!(
                    "{who} read {k} v{} from the cache before the database committed it (it has v{db})",
                    c.version
                )
            } else if stale {
                format!(
                    "{who} read {k} v{} from the cache: stale, the database has v{db}",
                    c.version
                )
            } else if c.dirty {
                format!(
                    "{who} read {k} v{} from the cache (dirty: the database still has v{db})",
                    c.version
                )
            } else {
                format!("{who} read {k} v{} from the cache: a hit", c.version)
            };
            self.finish_read(id, ctx);
            let ok = !stale && !uncommitted;
            self.flow(ctx, FlowKind::Read, key, &["client", "cache"], ok, text);
            return;
        }
        self.counts.misses += 1;
        if self.policy == Policy::ReadThrough {
            if let Some(waiting) = self.loading.get_mut(&key) {
                waiting.push(id);
                let text = format!("{who} missed {k}: it waits for the load already under way");
                self.flow(ctx, FlowKind::Read, key, &["client", "cache"], true, text);
                return;
            }
            self.loading.insert(key, vec![id]);
        }
        self.counts.db_reads += 1;
        let version = self.db[key as usize];
        // One lease per key at a time (memcache hands out a token only to the first of
        // concurrent missers; the others do not fill).
        let lease = (self.leases && !self.lease.contains_key(&key)).then(|| {
            self.next_lease += 1;
            self.lease.insert(key, self.next_lease);
            self.next_lease
        });
        let fills = !self.leases || lease.is_some();
        if let Some(op) = self.ops.get_mut(&id) {
            op.holds = Some(version);
        }
        let by = if self.policy == Policy::ReadThrough {
            "the cache loads it"
        } else {
            "reading the database"
        };
        let slow = if slow_us > 0 { ", slowly" } else { "" };
        let text = format!("{who} missed {k}: {by}, which has v{version}{slow}");
        self.flow(
            ctx,
            FlowKind::Read,
            key,
            &["client", "cache", "db"],
            true,
            text,
        );
        ctx.schedule(
            ctx.now.plus_us(self.db_read_us + slow_us),
            Event::ReadFill {
                id,
                version,
                lease,
                fills,
            },
        );
    }

    fn read_fill(
        &mut self,
        id: u64,
        version: u64,
        lease: Option<u64>,
        fills: bool,
        ctx: &mut Ctx<'_, Self>,
    ) {
        let Some(key) = self.ops.get(&id).map(|o| o.key) else {
            return;
        };
        self.expire(ctx.now);
        let who = self.who(id);
        let k = key_name(key);
        let db = self.db[key as usize];
        // Read-through and write-behind caches load a key themselves: the fill only adds an
        // absent key. Cache-aside's client sets whatever it read.
        let add_only = matches!(
            self.policy,
            Policy::ReadThrough | Policy::WriteBehind | Policy::WriteBehindOne
        );
        let waiters = if self.policy == Policy::ReadThrough {
            self.loading.remove(&key).unwrap_or_default()
        } else {
            vec![id]
        };
        let refused = lease.is_some() && self.lease.get(&key) != lease.as_ref();
        let text;
        let mut ok = true;
        if !fills {
            text = format!(
                "{who} got v{version} of {k}; another reader holds the lease, so it does not fill"
            );
        } else if refused {
            self.counts.refused_fills += 1;
            text = format!("{who} got v{version} of {k}, but its lease was invalidated by a write: the fill is refused");
        } else if add_only && self.cache.contains_key(&key) {
            text = format!(
                "{who} got v{version} of {k}; the cache already holds it, so it keeps its own"
            );
        } else {
            if lease.is_some() {
                self.lease.remove(&key);
            }
            self.set(key, version, false, ctx.now);
            if version < db {
                self.counts.stale_fills += 1;
                ok = false;
                text = format!("{who} filled the cache with {k} v{version}, but the database has v{db}: stale until its TTL or the next write");
            } else {
                text = format!("{who} filled the cache with {k} v{version}");
            }
        }
        for w in waiters {
            self.finish_read(w, ctx);
        }
        self.flow(
            ctx,
            FlowKind::Fill,
            key,
            &["client", "cache", "db", "cache"],
            ok,
            text,
        );
    }

    fn commit(&mut self, id: u64, ctx: &mut Ctx<'_, Self>) {
        let Some(key) = self.ops.get(&id).map(|o| o.key) else {
            return;
        };
        let who = self.who(id);
        let k = key_name(key);
        let i = key as usize;
        if self.failing.remove(&id) {
            return self.fail_write(id, ctx);
        }
        let v = if self.policy == Policy::WriteThroughCacheFirst {
            // Issued when the cache took it.
            self.ops
                .get(&id)
                .and_then(|o| o.holds)
                .unwrap_or(self.db[i])
        } else {
            self.issued[i] += 1;
            self.issued[i]
        };
        self.db[i] = v;
        self.counts.db_writes += 1;
        match self.policy {
            Policy::WriteThroughCacheFirst => {
                let text = format!("{who} wrote {k} v{v} to the database, after the cache");
                self.ack_write(id, ctx);
                self.flow(ctx, FlowKind::Write, key, &["client", "db"], true, text);
            }
            Policy::WriteThrough => {
                self.expire(ctx.now);
                self.lease.remove(&key);
                self.set(key, v, false, ctx.now);
                let text = format!(
                    "{who} wrote {k} v{v} through the cache to the database, then the cache"
                );
                self.flow(
                    ctx,
                    FlowKind::Write,
                    key,
                    &["client", "cache", "db", "cache"],
                    true,
                    text,
                );
                // The acknowledgement travels back from the cache.
                ctx.schedule(
                    ctx.now.plus_us(self.cache_us),
                    Event::AfterCommit { id, version: v },
                );
            }
            Policy::WriteAround => {
                self.expire(ctx.now);
                let cached = self.cache.get(&key).map(|c| c.version);
                let text = match cached {
                    Some(c) => format!(
                        "{who} wrote {k} v{v} to the database only: the cache still holds v{c}"
                    ),
                    None => format!("{who} wrote {k} v{v} to the database only"),
                };
                self.ack_write(id, ctx);
                self.flow(ctx, FlowKind::Write, key, &["client", "db"], true, text);
            }
            _ => {
                let text = format!("{who} wrote {k} v{v} to the database");
                self.flow(ctx, FlowKind::Write, key, &["client", "db"], true, text);
                ctx.schedule(
                    ctx.now.plus_us(self.cache_us),
                    Event::AfterCommit { id, version: v },
                );
            }
        }
    }

    /// A database write failed: the client gets an error and skips what followed it (the delete,
    /// the cache update); only the cache-first write has already changed the cache.
    fn fail_write(&mut self, id: u64, ctx: &mut Ctx<'_, Self>) {
        let Some(op) = self.ops.remove(&id) else {
            return;
        };
        self.expire(ctx.now);
        self.counts.failed_writes += 1;
        let (who, key, k) = (op.who, op.key, key_name(op.key));
        let db = self.db[key as usize];
        let cached = self.cache.get(&key).map(|c| c.version);
        let (ok, text) = match (self.policy, op.holds) {
            (Policy::WriteThroughCacheFirst, Some(v)) => {
                self.never_committed.insert((key, v));
                let text = if cached == Some(v) {
                    format!("{who}'s database write of {k} v{v} failed, but the cache already took v{v}: readers get a value the database never stored (it has v{db})")
                } else {
                    format!("{who}'s database write of {k} v{v} failed; the cache no longer holds v{v}")
                };
                (cached != Some(v), text)
            }
            _ => (
                true,
                match cached {
                    Some(c) => format!("{who}'s database write of {k} failed: nothing committed, and the cache still holds v{c} (the database has v{db})"),
                    None => format!("{who}'s database write of {k} failed: nothing committed, and the cache does not hold {k}"),
                },
            ),
        };
        let path: &[&str] = if self.policy == Policy::WriteThrough {
            &["client", "cache", "db"]
        } else {
            &["client", "db"]
        };
        self.flow(ctx, FlowKind::Write, key, path, ok, text);
    }

    /// The cache-first write-through's first step: the cache takes the new version, then the
    /// client writes the database.
    fn cache_first(&mut self, id: u64, ctx: &mut Ctx<'_, Self>) {
        let Some((key, who, v)) = self.cache_takes(id, false, ctx.now) else {
            return;
        };
        if let Some(op) = self.ops.get_mut(&id) {
            op.holds = Some(v);
        }
        let text = format!(
            "{who} wrote {} v{v} to the cache first; the database write follows",
            key_name(key)
        );
        self.flow(ctx, FlowKind::Write, key, &["client", "cache"], true, text);
        ctx.schedule(ctx.now.plus_us(self.db_write_us), Event::Commit { id });
    }

    fn after_commit(&mut self, id: u64, version: u64, ctx: &mut Ctx<'_, Self>) {
        let Some(key) = self.ops.get(&id).map(|o| o.key) else {
            return;
        };
        let who = self.who(id);
        let k = key_name(key);
        self.expire(ctx.now);
        match self.policy {
            Policy::WriteThrough => self.ack_write(id, ctx),
            Policy::WriteThroughRecache => {
                // The read function: the cache first.
                if let Some(c) = self.cache.get(&key).copied() {
                    self.set(key, c.version, false, ctx.now);
                    let db = self.db[key as usize];
                    let ok = c.version >= db;
                    if !ok {
                        self.counts.stale_fills += 1;
                    }
                    let text = if ok {
                        format!("{who} re-read {k} through the cache after writing v{version}: it got v{} and cached it again", c.version)
                    } else {
                        format!("{who} re-read {k} through the cache after writing v{version}: the cache's old v{} came back and was cached again with a fresh TTL", c.version)
                    };
                    self.ack_write(id, ctx);
                    self.flow(
                        ctx,
                        FlowKind::Fill,
                        key,
                        &["client", "db", "cache", "cache"],
                        ok,
                        text,
                    );
                } else {
                    self.counts.db_reads += 1;
                    let v = self.db[key as usize];
                    let text = format!("{who} re-read {k} after writing v{version}: a miss, so it reads the database");
                    self.flow(
                        ctx,
                        FlowKind::Read,
                        key,
                        &["client", "db", "cache", "db"],
                        true,
                        text,
                    );
                    ctx.schedule(
                        ctx.now.plus_us(self.db_read_us),
                        Event::Recache { id, version: v },
                    );
                }
            }
            _ => {
                self.delete(key);
                let text = format!("{who} deleted {k} from the cache after writing v{version}");
                self.ack_write(id, ctx);
                self.flow(
                    ctx,
                    FlowKind::Invalidate,
                    key,
                    &["client", "db", "cache"],
                    true,
                    text,
                );
            }
        }
    }

    fn recache(&mut self, id: u64, version: u64, ctx: &mut Ctx<'_, Self>) {
        let Some(key) = self.ops.get(&id).map(|o| o.key) else {
            return;
        };
        let who = self.who(id);
        self.set(key, version, false, ctx.now);
        let db = self.db[key as usize];
        let ok = version >= db;
        if !ok {
            self.counts.stale_fills += 1;
        }
        let text = format!("{who} cached {} v{version} it read back", key_name(key));
        self.ack_write(id, ctx);
        self.flow(
            ctx,
            FlowKind::Fill,
            key,
            &["client", "db", "cache", "db", "cache"],
            ok,
            text,
        );
    }

    /// The cache takes write `id` before the database has it (write-behind, the cache-first
    /// write-through): the next version of its key, set in the cache with a fresh time to live,
    /// invalidating the key's lease. Returns (key, who, version).
    fn cache_takes(&mut self, id: u64, dirty: bool, now: SimTime) -> Option<(u32, String, u64)> {
        let key = self.ops.get(&id)?.key;
        let who = self.who(id);
        self.expire(now);
        let i = key as usize;
        self.issued[i] += 1;
        let v = self.issued[i];
        self.lease.remove(&key);
        self.set(key, v, dirty, now);
        Some((key, who, v))
    }

    fn buffer(&mut self, id: u64, ctx: &mut Ctx<'_, Self>) {
        let Some((key, who, v)) = self.cache_takes(id, true, ctx.now) else {
            return;
        };
        self.pending.push((key, v));
        self.counts.max_pending = self.counts.max_pending.max(self.pending.len() as u64);
        let n = self.pending.len();
        let text = format!(
            "{who} wrote {} v{v} to the cache: dirty, {n} write{} waiting for the flush",
            key_name(key),
            if n == 1 { "" } else { "s" }
        );
        self.ack_write(id, ctx);
        self.flow(
            ctx,
            FlowKind::Write,
            key,
            &["client", "cache", "buffer"],
            true,
            text,
        );
        if self.policy == Policy::WriteBehind && self.pending.len() as u64 >= self.batch {
            self.flush(ctx);
        }
    }

    /// Sends the pending writes (one, for the one-at-a-time flusher) to the database.
    fn flush(&mut self, ctx: &mut Ctx<'_, Self>) {
        if self.in_flight.is_some() || self.pending.is_empty() {
            return;
        }
        let take = if self.policy == Policy::WriteBehindOne {
            1
        } else {
            self.pending.len()
        };
        let sent: Vec<(u32, u64)> = self.pending.drain(..take).collect();
        let writes = sent.len() as u64;
        let mut batch = BTreeMap::new();
        for (k, v) in sent {
            batch.insert(k, v);
        }
        self.in_flight = Some(batch.clone());
        ctx.schedule(
            ctx.now.plus_us(self.db_write_us),
            Event::Flushed { batch, writes },
        );
    }

    fn flushed(&mut self, batch: BTreeMap<u32, u64>, writes: u64, ctx: &mut Ctx<'_, Self>) {
        self.in_flight = None;
        let rows = batch.len() as u64;
        self.counts.db_writes += rows;
        for (&k, &v) in &batch {
            let i = k as usize;
            self.db[i] = self.db[i].max(v);
            if self
                .cache
                .get(&k)
                .is_some_and(|c| c.dirty && c.version == v)
            {
                if self.expiry.expiry(u64::from(k)).is_some() {
                    self.cache.insert(
                        k,
                        Cached {
                            version: v,
                            dirty: false,
                        },
                    );
                } else {
                    // Its time to live ran out while it waited: clean now, it goes.
                    self.cache.remove(&k);
                }
            }
        }
        let key = batch.keys().next().copied().unwrap_or(0);
        let text = format!(
            "flushed {writes} write{} to the database as {rows} row write{}",
            if writes == 1 { "" } else { "s" },
            if rows == 1 { "" } else { "s" }
        );
        self.flow(ctx, FlowKind::Flush, key, &["buffer", "db"], true, text);
        match self.policy {
            Policy::WriteBehindOne => {
                ctx.schedule(ctx.now.plus_us(self.flush_us), Event::FlushTimer);
            }
            _ if self.pending.len() as u64 >= self.batch => self.flush(ctx),
            _ => {}
        }
    }

    fn crash(&mut self, ctx: &mut Ctx<'_, Self>) {
        let lost = self.pending.len() as u64;
        self.counts.lost_writes += lost;
        self.counts.crashes += 1;
        self.pending.clear();
        self.cache.clear();
        self.expiry = TtlCache::new(self.expiry.ttl());
        self.lease.clear();
        let text = if lost > 0 {
            format!("the cache crashed and restarted empty: {lost} acknowledged write{} never reached the database", if lost == 1 { "" } else { "s" })
        } else {
            "the cache crashed and restarted empty: nothing was lost, the database has every write"
                .to_string()
        };
        self.flow(
            ctx,
            FlowKind::Expire,
            0,
            &["cache", "buffer"],
            lost == 0,
            text,
        );
    }
}

impl Model for CacheWrite {
    type Event = Event;
    type Record = Step;
    type Frame = StoreFrame;
    const ID: &'static str = "cache-write";

    fn specs() -> Vec<ParamSpec> {
        policy::specs()
    }

    fn actions() -> Vec<ActionSpec> {
        vec![
            ActionSpec::new("read", "Read")
                .arg("key", Some("k1"))
                .help("A client reads this key."),
            ActionSpec::new("write", "Write")
                .arg("key", Some("k1"))
                .help("A client writes this key."),
            ActionSpec::new("race", "Race on")
                .arg("key", Some("k1"))
                .help(
                "Reader A misses and reads the database slowly; writer B writes the key meanwhile.",
            ),
            ActionSpec::new("crash", "Crash the cache")
                .help("The cache restarts empty; writes it had not flushed are lost."),
            ActionSpec::new("fail-db-write", "Write, and the database fails it")
                .arg("key", Some("k1"))
                .help("A client writes this key and the database write fails: the client gets an error."),
        ]
    }

    fn build(params: &ParamSet, ctx: &mut Ctx<'_, Self>) -> Result<Self, ParamError> {
        let keys = params.int("keys").clamp(1, i64::from(MAX_KEYS)) as u32;
        let ms = |n: &str| params.int(n).max(0) as u64 * 1_000;
        let ttl_us = ms("ttl_ms");
        let model = CacheWrite {
            policy: Policy::from_id(params.text("policy")),
            leases: params.boolean("leases"),
            keys,
            popularity: Popularity::from_params(params, u64::from(keys)),
            read_rate: params.float("read_rate").max(0.0),
            write_rate: params.float("write_rate").max(0.0),
            cache_us: ms("cache_ms"),
            db_read_us: ms("db_read_ms"),
            db_write_us: ms("db_write_ms"),
            flush_us: ms("flush_ms").max(100_000),
            batch: params.int("batch").max(1) as u64,
            race_delay_us: ms("race_delay_ms"),
            // No expiry: a TTL longer than any run.
            ttl_us,
            db: vec![1; keys as usize],
            issued: vec![1; keys as usize],
            cache: BTreeMap::new(),
            expiry: TtlCache::new(if ttl_us == 0 { u64::MAX / 2 } else { ttl_us }),
            pending: Vec::new(),
            in_flight: None,
            lease: BTreeMap::new(),
            next_lease: 0,
            failing: BTreeSet::new(),
            never_committed: BTreeSet::new(),
            loading: BTreeMap::new(),
            ops: BTreeMap::new(),
            next_id: 0,
            counts: Counts::default(),
            last: None,
        };
        model.schedule_next(ctx, false);
        model.schedule_next(ctx, true);
        if model.policy.is_write_behind() {
            ctx.schedule(ctx.now.plus_us(model.flush_us), Event::FlushTimer);
        }
        Ok(model)
    }

    fn apply(&mut self, input: &Input, ctx: &mut Ctx<'_, Self>) -> Result<(), InputError> {
        let arg = input.arg.as_deref().unwrap_or("k1");
        match input.action.as_str() {
            "read" => {
                let key = self.parse_key(arg)?;
                self.start_read(None, key, 0, ctx);
            }
            "write" => {
                let key = self.parse_key(arg)?;
                self.start_write(None, key, ctx);
            }
            "race" => {
                let key = self.parse_key(arg)?;
                // A's key is not cached (it expired, or was never read), so A misses.
                if self.cache.get(&key).is_some_and(|c| !c.dirty) {
                    self.delete(key);
                }
                self.start_read(Some("A".into()), key, self.race_delay_us, ctx);
                // B writes just after A's read has reached the database.
                ctx.schedule(
                    ctx.now.plus_us(self.cache_us + 1_000),
                    Event::StartWrite {
                        who: Some("B".into()),
                        key,
                    },
                );
            }
            "crash" => self.crash(ctx),
            "fail-db-write" => {
                let key = self.parse_key(arg)?;
                if self.policy.is_write_behind() {
                    return Err(InputError(
                        "under write-behind a client's write ends at the cache; this model does not fail its flushes, so choose another policy to fail a database write".into(),
                    ));
                }
                let id = self.start_write(None, key, ctx);
                self.failing.insert(id);
            }
            other => {
                return Err(InputError(format!(
                    "unknown action {other:?}; this lesson knows read, write, race, crash and fail-db-write"
                )))
            }
        }
        Ok(())
    }

    fn handle(&mut self, event: Event, ctx: &mut Ctx<'_, Self>) {
        match event {
            Event::NextRead => {
                let key = self.pick_key(ctx);
                self.start_read(None, key, 0, ctx);
                self.schedule_next(ctx, false);
            }
            Event::NextWrite => {
                let key = self.pick_key(ctx);
                self.start_write(None, key, ctx);
                self.schedule_next(ctx, true);
            }
            Event::StartRead { who, key, slow_us } => self.start_read(who, key, slow_us, ctx),
            Event::StartWrite { who, key } => {
                self.start_write(who, key, ctx);
            }
            Event::ReadAtCache { id, slow_us } => self.read_at_cache(id, slow_us, ctx),
            Event::ReadFill {
                id,
                version,
                lease,
                fills,
            } => self.read_fill(id, version, lease, fills, ctx),
            Event::Commit { id } => self.commit(id, ctx),
            Event::AfterCommit { id, version } => self.after_commit(id, version, ctx),
            Event::Recache { id, version } => self.recache(id, version, ctx),
            Event::Buffer { id } => self.buffer(id, ctx),
            Event::CacheFirst { id } => self.cache_first(id, ctx),
            Event::FlushTimer => {
                let one = self.policy == Policy::WriteBehindOne;
                if !(one && !self.pending.is_empty() && self.in_flight.is_none()) {
                    // The one-at-a-time flusher sleeps again after its write, not on a clock.
                    ctx.schedule(ctx.now.plus_us(self.flush_us), Event::FlushTimer);
                }
                if !one || self.in_flight.is_none() {
                    self.flush(ctx);
                }
            }
            Event::Flushed { batch, writes } => self.flushed(batch, writes, ctx),
        }
    }

    fn frame(&self, now: SimTime) -> StoreFrame {
        view::frame(self, now)
    }

    fn metrics(&self) -> Metrics {
        let c = &self.counts;
        let int = |id, label, v: u64, help| Metric {
            id,
            label,
            value: MetricValue::Int(v as i64),
            unit: None,
            help,
        };
        let mean = |sum: u64, n: u64| {
            if n == 0 {
                MetricValue::None
            } else {
                MetricValue::Float(sum as f64 / n as f64 / 1_000.0)
            }
        };
        let served = c.hits + c.misses;
        Metrics {
            scalars: vec![
                int("hits", "Hits", c.hits, "Reads the cache served."),
                int(
                    "misses",
                    "Misses",
                    c.misses,
                    "Reads the cache did not have.",
                ),
                Metric {
                    id: "hit_ratio",
                    label: "Hit ratio",
                    value: if served == 0 {
                        MetricValue::None
                    } else {
                        MetricValue::Float(c.hits as f64 / served as f64)
                    },
                    unit: None,
                    help: "Hits over reads that reached the cache.",
                },
                int(
                    "stale_reads",
                    "Stale reads",
                    c.stale_reads,
                    "Hits that returned a version older than the database's.",
                ),
                int(
                    "uncommitted_reads",
                    "Uncommitted reads",
                    c.uncommitted_reads,
                    "Hits that returned a version the database had not committed: the cache took the write first and its database write failed or had not finished (write-behind's dirty entries aside).",
                ),
                int(
                    "failed_writes",
                    "Failed writes",
                    c.failed_writes,
                    "Writes whose database write failed; the client got an error.",
                ),
                int(
                    "db_reads",
                    "DB reads",
                    c.db_reads,
                    "Reads that reached the database.",
                ),
                int(
                    "db_writes",
                    "DB writes",
                    c.db_writes,
                    "Rows written to the database (a flush writes one per key).",
                ),
                int(
                    "lost_writes",
                    "Lost writes",
                    c.lost_writes,
                    "Acknowledged writes a crash lost before they reached the database.",
                ),
                int(
                    "pending_writes",
                    "Pending writes",
                    self.pending.len() as u64,
                    "Writes the cache holds that the database has not got yet.",
                ),
                Metric {
                    id: "write_latency_ms",
                    label: "Write latency",
                    value: mean(c.write_us, c.writes),
                    unit: Some("ms"),
                    help: "Mean time from a write's start to its acknowledgement.",
                },
                Metric {
                    id: "read_latency_ms",
                    label: "Read latency",
                    value: mean(c.read_us, c.reads),
                    unit: Some("ms"),
                    help: "Mean time from a read's start to its value.",
                },
                int(
                    "writes",
                    "Writes",
                    c.writes,
                    "Writes acknowledged to clients.",
                ),
                int("reads", "Reads", c.reads, "Reads completed."),
                int(
                    "stale_fills",
                    "Stale fills",
                    c.stale_fills,
                    "Times the cache was filled with a version older than the database's.",
                ),
                int(
                    "refused_fills",
                    "Refused fills",
                    c.refused_fills,
                    "Fills refused because a write invalidated their lease.",
                ),
                int(
                    "max_pending",
                    "Most pending",
                    c.max_pending,
                    "Most writes ever waiting for a flush at once.",
                ),
            ],
            groups: Vec::new(),
        }
    }

    fn queries() -> Queries<Self> {
        Queries::new()
    }

    fn validate(&self) -> Result<(), String> {
        let c = &self.counts;
        for (&k, e) in &self.cache {
            let db = *self
                .db
                .get(k as usize)
                .ok_or(format!("cached key {k} does not exist"))?;
            let in_flight = || {
                self.policy == Policy::WriteThroughCacheFirst
                    && (self.never_committed.contains(&(k, e.version))
                        || self
                            .ops
                            .values()
                            .any(|o| o.write && o.key == k && o.holds == Some(e.version)))
            };
            if !e.dirty && e.version > db && !in_flight() {
                return Err(format!(
                    "{} v{} is cached clean but the database has v{db}",
                    key_name(k),
                    e.version
                ));
            }
            if e.dirty {
                let queued = self
                    .pending
                    .iter()
                    .any(|&(pk, pv)| pk == k && pv == e.version)
                    || self
                        .in_flight
                        .as_ref()
                        .is_some_and(|b| b.get(&k) == Some(&e.version));
                if !queued {
                    return Err(format!(
                        "{} v{} is dirty but no flush holds it",
                        key_name(k),
                        e.version
                    ));
                }
            }
        }
        for (i, (&d, &v)) in self.db.iter().zip(&self.issued).enumerate() {
            if d > v {
                return Err(format!(
                    "the database has k{} v{d}, but only v{v} was ever written",
                    i + 1
                ));
            }
        }
        let mut newest: BTreeMap<u32, u64> = BTreeMap::new();
        for &(k, v) in &self.pending {
            if newest.insert(k, v).is_some_and(|before| before >= v) {
                return Err(format!("pending writes of {} out of order", key_name(k)));
            }
        }
        if c.stale_reads + c.uncommitted_reads > c.hits {
            return Err(format!(
                "{} stale and {} uncommitted reads but {} hits",
                c.stale_reads, c.uncommitted_reads, c.hits
            ));
        }
        if c.reads > c.hits + c.misses {
            return Err(format!(
                "{} reads but {} hits and {} misses",
                c.reads, c.hits, c.misses
            ));
        }
        self.expiry.validate()
    }
}
