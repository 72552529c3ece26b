//! One request's way through the tiers: the app server's local cache, the sharded cache, the
//! database shards, then the reply (cache fill or invalidation). A tier with a service time is a
//! [`FifoServer`] per node: the request waits its turn there, and the next tier sees it when that
//! node has finished with it (an event at that time). A tier without one (time 0) answers at once,
//! so a run with every time at 0 goes through all the tiers in one step, as the model always has.

use super::record::{CacheStep, HotKeysRecord, Tier};
use super::route::{key_name, route, shard_of, sub_key_id, sub_key_name, Hop, Target};
use super::{HotKeys, HotKeysEvent, Local, SUB_KEY_STRIDE};
use crate::model::Ctx;
use crate::models::queueing::FifoServer;
use crate::models::shard_view::{RequestOutcome, ShardRequest};
use crate::time::SimTime;

/// A request between two tiers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InFlight {
    query: u64,
    key: u64,
    write: bool,
    arrived: SimTime,
    /// The app server it came through.
    app: u32,
    /// The measurement period it arrived in (counters of a later period ignore it).
    period: u64,
    stage: Stage,
}

/// Where an in-flight request goes next.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Stage {
    /// A cache node found it: answer.
    CacheHit,
    /// The cache missed (or there is none, or it is a write): ask the shards.
    Database {
        /// The cache entry a read will fill: (node, cached id).
        fill: Option<(u32, u64)>,
    },
    /// The shards answered: fill or invalidate the caches and reply.
    Reply {
        hops: Vec<Hop>,
        fill: Option<(u32, u64)>,
        /// The key's version the shards returned (reads).
        version: u64,
    },
}

/// Offers one operation to `servers[i]` when the tier has a service time: `Ok(finish)`, or
/// `Err(())` when the node's queue is full. Without servers (time 0) it finishes at once.
fn offer(servers: &mut [FifoServer], i: usize, now: SimTime, us: u64) -> Result<SimTime, ()> {
    match servers.get_mut(i) {
        Some(s) if us > 0 => s.offer(now, us).map(|(_, finish)| finish).map_err(|_| ()),
        _ => Ok(now),
    }
}

impl HotKeys {
    /// The stored name of a cached id: a user, or copy `j` of the celebrity (`user:ID#j`).
    pub(super) fn cached_name(id: u64) -> String {
        if id >= SUB_KEY_STRIDE {
            sub_key_name(id % SUB_KEY_STRIDE, (id / SUB_KEY_STRIDE - 1) as u32)
        } else {
            key_name(id)
        }
    }

    /// The cache node of a cached id: a user's by jump hash of its name over the cache nodes;
    /// copy `j` of a user on the `j`-th node after the user's own (wrapping), so `r` copies on at
    /// least `r` nodes sit on `r` different nodes, like a preference list.
    pub fn cache_node_of(&self, id: u64) -> u32 {
        let user = id % SUB_KEY_STRIDE;
        let home = shard_of(&key_name(user), self.cache_nodes);
        if id >= SUB_KEY_STRIDE {
            let j = (id / SUB_KEY_STRIDE - 1) % u64::from(self.cache_nodes);
            (home + j as u32) % self.cache_nodes
        } else {
            home
        }
    }

    /// The cache nodes holding the celebrity: one per copy.
    pub fn celebrity_cache_nodes(&self) -> Vec<u32> {
        if self.hot_copies > 1 {
            (0..self.hot_copies)
                .map(|j| self.cache_node_of(sub_key_id(self.celebrity, j)))
                .collect()
        } else {
            vec![self.cache_node_of(self.celebrity)]
        }
    }

    /// The (node, cached id) a read of `key` asks: one copy of the celebrity, drawn uniformly
    /// when it has several, else the key itself.
    fn cache_slot(&mut self, key: u64) -> (u32, u64) {
        let id = if key == self.celebrity && self.hot_copies > 1 {
            sub_key_id(key, self.route_rng.below(u64::from(self.hot_copies)) as u32)
        } else {
            key
        };
        (self.cache_node_of(id), id)
    }

    fn current(&self, f: &InFlight) -> bool {
        f.period == self.period
    }

    /// Runs `f` now, or parks it until `at` when a tier made it wait.
    fn next(&mut self, f: InFlight, at: SimTime, ctx: &mut Ctx<'_, Self>) {
        if at > ctx.now {
            ctx.schedule(at, HotKeysEvent::Stage(Box::new(f)));
        } else {
            self.advance(f, ctx);
        }
    }

    /// Serves one client request for user `key`, arriving now.
    pub(super) fn serve(&mut self, key: u64, write: bool, ctx: &mut Ctx<'_, Self>) {
        let now = ctx.now;
        self.queries += 1;
        let celebrity = key == self.celebrity;
        let load = &mut self.load;
        load.requests += 1;
        *load.per_key.entry(key).or_insert(0) += 1;
        if celebrity {
            load.celebrity_requests += 1;
        }
        if write {
            load.writes += 1;
        } else {
            load.reads += 1;
        }
        let app = if self.locals.is_empty() {
            0
        } else {
            self.route_rng.below(u64::from(self.app_servers)) as u32
        };
        let mut f = InFlight {
            query: self.queries,
            key,
            write,
            arrived: now,
            app,
            period: self.period,
            stage: Stage::Database { fill: None },
        };
        if write {
            return self.advance(f, ctx);
        }
        if let Some(local) = self.locals.get_mut(app as usize) {
            self.load.l1_lookups += 1;
            if let Local::Hit(version) = local.lookup(key, now, self.l1_ttl_us) {
                let stale = version < self.version(key);
                self.load.l1_hits += 1;
                self.load.l1_stale += u64::from(stale);
                self.load.latency.record(0);
                self.pulses += 1;
                let mut r = ShardRequest::served(self.pulses, key, self.shard_of_key(key), now);
                r.query = f.query;
                r.outcome = RequestOutcome::AnsweredInFront;
                self.pulse(r);
                ctx.record(HotKeysRecord::LocalHit {
                    query: f.query,
                    key,
                    app,
                    stale,
                });
                return;
            }
        }
        if self.cache_on() {
            let (node, id) = self.cache_slot(key);
            let hit = self.caches[node as usize].get(id);
            self.load.cache_ops[node as usize] += 1;
            let Ok(done) = offer(&mut self.cache_servers, node as usize, now, self.cache_us) else {
                self.load.cache_drops += 1;
                ctx.record(HotKeysRecord::Dropped {
                    query: f.query,
                    key,
                    write,
                    tier: Tier::Cache(node),
                });
                return;
            };
            if hit {
                self.load.cache_hits += 1;
                f.stage = Stage::CacheHit;
            } else {
                self.load.awaiting_shards += 1;
                f.stage = Stage::Database {
                    fill: Some((node, id)),
                };
            }
            return self.next(f, done, ctx);
        }
        self.load.awaiting_shards += 1;
        self.advance(f, ctx);
    }

    /// The key's version: how many writes to it the shards have applied.
    fn version(&self, key: u64) -> u64 {
        self.versions.get(&key).copied().unwrap_or(0)
    }

    /// Moves `f` through its next tier, now.
    pub(super) fn advance(&mut self, f: InFlight, ctx: &mut Ctx<'_, Self>) {
        let now = ctx.now;
        let current = self.current(&f);
        match f.stage {
            Stage::CacheHit => {
                let key = f.key;
                // Drawn at the chip the request would have reached: the key, or the split
                // celebrity's first sub-key.
                let (drawn, shard) = if key == self.celebrity && self.split_active() {
                    (sub_key_id(key, 0), self.sub_shards[0])
                } else {
                    (key, self.shard_of_key(key))
                };
                if current {
                    self.load.latency.record(now.since(f.arrived));
                }
                let version = self.version(key);
                if let Some(local) = self.locals.get_mut(f.app as usize) {
                    local.fill(key, version, now);
                }
                self.pulses += 1;
                let mut r = ShardRequest::served(self.pulses, drawn, shard, now);
                r.query = f.query;
                r.outcome = RequestOutcome::AnsweredInFront;
                self.pulse(r);
                ctx.record(HotKeysRecord::Routed {
                    query: f.query,
                    key,
                    write: f.write,
                    celebrity: key == self.celebrity,
                    cache: CacheStep::Hit,
                    hops: Vec::new(),
                });
            }
            Stage::Database { fill } => self.ask_shards(f.clone(), fill, ctx),
            Stage::Reply {
                ref hops,
                fill,
                version,
            } => self.reply(&f, hops, fill, version, ctx),
        }
    }

    /// Routes `f` to its shards' nodes, which queue it when they have a service time.
    fn ask_shards(&mut self, f: InFlight, fill: Option<(u32, u64)>, ctx: &mut Ctx<'_, Self>) {
        let now = ctx.now;
        let current = self.current(&f);
        let write = f.write;
        let target = if f.key == self.celebrity && self.split_active() {
            Target::Split(&self.sub_shards, self.mode)
        } else {
            Target::Single(self.shard_of_key(f.key))
        };
        let hops = route(target, write, self.replicas, &mut self.route_rng);
        let per = self.replicas as usize + 1;
        let mut done = now;
        let mut refused = None;
        let mut served = Vec::with_capacity(hops.len());
        for h in &hops {
            let i = h.shard as usize * per + h.replica as usize;
            match offer(&mut self.shard_servers, i, now, self.shard_us) {
                Ok(finish) => {
                    done = done.max(finish);
                    served.push(*h);
                }
                Err(()) => refused = Some(*h),
            }
        }
        if current {
            let load = &mut self.load;
            if !write {
                load.awaiting_shards -= 1;
            }
            for h in &served {
                let i = h.shard as usize * per + h.replica as usize;
                if write {
                    load.node_writes[i] += 1;
                } else {
                    load.node_reads[i] += 1;
                }
                if let Some(j) = h.sub {
                    load.sub_hops[j as usize] += 1;
                }
            }
            let n = served.len() as u64;
            load.dropped_hops += (hops.len() - served.len()) as u64;
            if write {
                load.write_queries += 1;
                load.write_hops += n;
            } else {
                load.read_queries += 1;
                load.read_hops += n;
            }
            load.shard_drops += u64::from(refused.is_some());
        }
        if let Some(h) = refused {
            // The request fails: a node it needed refused it. Hops already queued elsewhere
            // still cost their nodes the work (nobody can take back a sent request).
            ctx.record(HotKeysRecord::Dropped {
                query: f.query,
                key: f.key,
                write,
                tier: Tier::Shard(h.shard, h.replica),
            });
            self.pulses += 1;
            let mut r = ShardRequest::served(self.pulses, f.key, h.shard, now);
            r.query = f.query;
            r.replica = h.replica;
            r.outcome = RequestOutcome::Failed;
            self.pulse(r);
            return;
        }
        let version = self.version(f.key);
        let next = InFlight {
            stage: Stage::Reply {
                hops,
                fill,
                version,
            },
            ..f
        };
        self.next(next, done, ctx);
    }

    /// The shards answered `f`: a write is applied and deletes the cached copies (every copy of
    /// the celebrity), a read fills the cache entry it missed and its app server's local cache.
    fn reply(
        &mut self,
        f: &InFlight,
        hops: &[Hop],
        fill: Option<(u32, u64)>,
        version: u64,
        ctx: &mut Ctx<'_, Self>,
    ) {
        let now = ctx.now;
        let current = self.current(f);
        let key = f.key;
        let cache = if !self.cache_on() {
            CacheStep::NoCache
        } else if f.write {
            let ids: Vec<u64> = if key == self.celebrity && self.hot_copies > 1 {
                (0..self.hot_copies).map(|j| sub_key_id(key, j)).collect()
            } else {
                vec![key]
            };
            let mut was_cached = false;
            for id in ids {
                let node = self.cache_node_of(id) as usize;
                // A delete a full node refuses still counts as a drop, but it is applied: real
                // invalidation pipelines retry deletes until they land.
                let _ = offer(&mut self.cache_servers, node, now, self.cache_us);
                if current {
                    self.load.cache_ops[node] += 1;
                }
                was_cached |= self.caches[node].invalidate(id);
            }
            CacheStep::Invalidated { was_cached }
        } else {
            // The cache may have been reshaped while the read was at the shards: fill where the
            // entry belongs now.
            let id = fill.map_or(key, |(_, id)| id);
            let node = self.cache_node_of(id);
            let set = offer(&mut self.cache_servers, node as usize, now, self.cache_us);
            if current {
                self.load.cache_ops[node as usize] += 1;
            }
            CacheStep::Filled {
                evicted: match set {
                    Ok(_) => self.caches[node as usize].insert(id),
                    Err(()) => None,
                },
            }
        };
        if f.write {
            *self.versions.entry(key).or_insert(0) += 1;
            if let Some(local) = self.locals.get_mut(f.app as usize) {
                local.invalidate(key);
            }
        } else if let Some(local) = self.locals.get_mut(f.app as usize) {
            local.fill(key, version, now);
        }
        if current && !f.write {
            self.load.latency.record(now.since(f.arrived));
        }
        for h in hops {
            self.pulses += 1;
            let drawn = match h.sub {
                Some(j) => sub_key_id(key, j),
                None => key,
            };
            let mut r = ShardRequest::served(self.pulses, drawn, h.shard, now);
            r.query = f.query;
            r.replica = h.replica;
            if now > f.arrived {
                r.latency_us = Some(now.since(f.arrived));
            }
            self.pulse(r);
        }
        ctx.record(HotKeysRecord::Routed {
            query: f.query,
            key,
            write: f.write,
            celebrity: key == self.celebrity,
            cache,
            hops: hops.to_vec(),
        });
        if current {
            self.update_hot(ctx);
        }
    }
}
