//! Directory (lookup) sharding: a table maps each tenant to a shard, and every request finds
//! its shard by asking the table.
//!
//! **Mechanism.** A multi-tenant service keeps each tenant's keys together on one shard. The
//! *directory* is a small service holding the table tenant → shard. New tenants are placed by a
//! policy (`least-loaded`: the emptiest shard, biggest tenants first at build time;
//! `round-robin`: tenant number % N, the notes' `user_id % N`; `hash`: FNV-1a of the name % N),
//! but after that the table, not a formula, is the truth. So:
//!
//! - *Adding a shard moves nothing.* The table still names the old shards; the new one stays
//!   empty until tenants are moved to it. Beside it the model reports what the stateless
//!   `% N` rule would have moved (`modulo_moved_*`) — the cost the table avoids (catalogue C6:
//!   "a directory moves only the keys you choose to move").
//! - *Moving a tenant* (`move-tenant:acme:3`) copies its keys to the target at `copy_rate` keys
//!   per second while requests keep going to the old shard, then *flips* the entry. Exactly that
//!   tenant's keys move. `rebalance` plans the moves (greedy, few tenants), `remove-shard` and
//!   `resize` down drain shards the same way before removing them. One migration runs at a time.
//! - *The directory is a hop and a single point of failure.* Each client (application server)
//!   keeps its own cache of entries for `cache_ttl_ms`. A request with a fresh entry goes straight
//!   to the shard; otherwise it asks the directory first. While the directory is down, only
//!   requests with a fresh entry succeed — and a copied migration cannot flip. A fresh entry
//!   fetched before a flip is *stale*: the old shard answers "moved", the client drops the entry
//!   and asks the directory (an extra shard hop; a failure if the directory is down).
//! - *Every hop queues.* The directory and each shard are a
//!   [`FifoServer`](crate::models::queueing::FifoServer): one request at a time,
//!   `directory_latency_ms` per lookup and `shard_latency_ms` per shard request, at most
//!   `queue_limit` waiting (a request that finds a queue full fails). A request moves from hop to
//!   hop as events ([`DirectoryEvent::Hop`]) at the times each server finishes with it, so its
//!   latency is the sum of its services plus its waits. Without a cache every request passes
//!   through the one directory, which saturates at 1,000 / `directory_latency_ms` lookups a
//!   second.
//!
//! - *Versioned caches* (`cache = versioned`, MongoDB's routers): entries never expire; each
//!   carries its tenant's entry version, bumped at every flip; a request whose version is older
//!   than the shard's gets a stale-version error and the client refreshes. During a directory
//!   outage every tenant a client has seen stays routable.
//! - *A move in phases*: the copy; catch-up rounds that replay, at `copy_rate`, the writes
//!   (`write_percent` of requests) made to the tenant meanwhile, at most
//!   [`MAX_CATCH_UP_ROUNDS`]; a cutover freeze of `freeze_ms` in which the tenant's requests are
//!   held (their wait adds to their latency); then the flip.
//!
//! Invariants checked by `validate`: the table is total (every tenant has exactly one entry and
//! it names a live shard); per-tenant key counts match the keys; per-shard key counts add up to
//! all keys; every request is served or failed, served requests add up over shards and over the
//! latency histogram; the last change's moves are in key order and name only keys of the tenants
//! it moved.
//!
//! Simplifications: service times are fixed and there is no network time of its own (a hop's
//! time is its server's); one worker per server; a cache lookup costs nothing; a wrong shard
//! takes a full service time to refuse a request; clients pick requests at random;
//! with `write_percent = 0` and `freeze_ms = 0` the copy is the whole move; the directory itself is one node (no replicas) so that its failure is visible;
//! tenant sizes are a deterministic Zipf split of `keys` so the worked examples have exact
//! numbers — the seed drives the traffic.

use crate::model::{ActionSpec, Ctx, InputError, Metrics, Model};
use crate::models::queueing::{FifoServer, LatencyHistogram};
use crate::models::shard_view::{RecentRequests, ShardFrame};
use crate::models::shard_view::{ShardChange, ShardMove, ShardRequest};
use crate::models::sharding::{self, Move, Moved};
use crate::params::{ParamError, ParamSet, ParamSpec};
use crate::query::Queries;
use crate::scenario::Input;
use crate::time::SimTime;
use crate::workload::Popularity;
use std::collections::BTreeMap;
use std::rc::Rc;

mod record;
mod report;
mod route;
mod table;

pub use record::{DirectoryRecord, Full, MoveKind, MoveLine, RequestLine};
pub use route::{CacheEntry, ClientCaches, Route};
pub use table::{
    zipf_sizes, Directory, Naming, Placement, PlannedMove, Tenant, COMPANY_NAMES, MAX_KEYS,
    MAX_SHARDS, MAX_TENANTS,
};

/// How many keys a frame draws.
pub const FRAME_KEYS: u64 = 256;
pub use crate::models::shard_view::REQUEST_SHOWN_US;

/// A request between two hops.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InFlight {
    id: u64,
    client: u32,
    key: u64,
    tenant: u32,
    /// When it arrived (before any cutover freeze held it).
    arrived: SimTime,
    /// Whether the client held an entry for the tenant when it arrived (fresh or not).
    had_entry: bool,
    /// The physical shard a stale entry sent it to first.
    stale: Option<u32>,
    /// Whether the directory has answered it.
    looked_up: bool,
    /// The sum of the services of the hops it has finished, µs.
    service_us: u64,
    /// Where it is now.
    at: Hop,
}

/// The server an in-flight request is at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Hop {
    /// Asking the directory.
    Directory,
    /// At a shard (physical id), which holds the tenant for it (`owns`) or answers "moved".
    Shard { phys: u32, owns: bool },
}

/// The model's own events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DirectoryEvent {
    /// The next request arrives.
    Request,
    /// A server has finished with a request: it goes on to its next hop.
    Hop(Box<InFlight>),
    /// The running migration's copy is complete.
    CopyDone,
    /// A catch-up round (replaying the writes made meanwhile) is complete.
    CatchUpDone,
    /// The cutover freeze ends: the directory flips.
    FreezeEnd,
}

/// The longest queue a server may be given.
pub const MAX_QUEUE: i64 = 10_000;

/// At most this many catch-up rounds run before the cutover freeze; whatever is left is replayed
/// inside the freeze (MongoDB enters its critical section once the remaining changes are few).
pub const MAX_CATCH_UP_ROUNDS: u32 = 3;

/// A migration in progress: tenants being copied, and shards to remove once they are empty.
#[derive(Clone, Debug, PartialEq)]
pub struct Migration {
    /// Why.
    pub kind: MoveKind,
    /// The tenants and their source and target (physical ids).
    pub moves: Vec<PlannedMove>,
    /// Physical ids of shards removed at the flip.
    pub removing: Vec<u32>,
    /// Keys being copied.
    pub keys: u64,
    /// When the copy started.
    pub started: SimTime,
    /// When it ends.
    pub done_at: SimTime,
    /// True once copied but waiting for the directory to come back.
    pub copied: bool,
    /// Writes to the moving tenants since the last copy or catch-up round began.
    pub pending_writes: u64,
    /// Writes replayed so far (catch-up rounds and the freeze).
    pub caught_up: u64,
    /// Catch-up rounds run.
    pub rounds: u32,
    /// When the cutover freeze began, if it has.
    pub frozen_since: Option<SimTime>,
}

/// Request counters.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Stats {
    /// Requests issued.
    pub requests: u64,
    /// Requests served.
    pub served: u64,
    /// Requests failed.
    pub failed: u64,
    /// Requests that reached a wrong shard first.
    pub misrouted: u64,
    /// Requests that used a fresh cache entry.
    pub cache_hits: u64,
    /// Lookups the directory answered.
    pub lookups: u64,
    /// Requests that needed the directory (answered or not).
    pub needed_directory: u64,
    /// Sum of served requests' latency.
    pub latency_sum_us: u64,
    /// Served requests' latencies.
    pub latency: LatencyHistogram,
    /// Served requests by the sum of their hops' service times, µs → count: their latency had
    /// they waited nowhere (one hop, two, or three).
    pub by_path: BTreeMap<u64, u64>,
    /// Time served requests spent waiting (in queues, or held by a freeze), in all.
    pub wait_sum_us: u64,
    /// Requests on their way (accepted by a server, not answered yet).
    pub in_flight: u64,
    /// Requests that failed because the directory's queue was full.
    pub directory_dropped: u64,
    /// Requests that failed because a shard's queue was full.
    pub shard_dropped: u64,
    /// Versioned caches: requests a shard refused with a stale-version error.
    pub stale_errors: u64,
    /// Lookups by a client that already held an entry for the tenant (expired or stale).
    pub refreshes: u64,
    /// Requests held by a cutover freeze.
    pub blocked: u64,
}

impl Stats {
    /// The latency that at least `permille` per mille of served requests do not exceed (the
    /// middle of its histogram bucket, within 3 %).
    pub fn quantile_us(&self, permille: u64) -> Option<u64> {
        self.latency.quantile_us(permille)
    }
}

/// The directory-sharding lesson model.
#[derive(Clone, Debug)]
pub struct DirectoryModel {
    dir: Directory,
    naming: Naming,
    placement: Placement,
    /// Tenant of each key, by key id.
    key_tenant: Rc<Vec<u32>>,
    /// Each key's number within its tenant (`acme/17` is 17).
    key_ordinal: Rc<Vec<u32>>,
    /// Key ids a frame draws.
    drawn: Rc<Vec<u64>>,
    caches: ClientCaches,
    clients: u32,
    directory_up: bool,
    directory_us: u64,
    shard_us: u64,
    /// The directory's queue.
    dir_server: FifoServer,
    /// Each shard's queue, indexed by physical id (handed out in order).
    shard_servers: Vec<FifoServer>,
    queue_limit: u32,
    /// The time of the last event or accepted input (what the metrics are read at).
    now: SimTime,
    copy_rate: u64,
    migration: Option<Migration>,
    /// Requests served, by physical shard id.
    served_by_phys: BTreeMap<u32, u64>,
    stats: Stats,
    popularity: Popularity,
    zipf_s: Option<f64>,
    rate_per_sec: f64,
    last_change: Option<ShardChange>,
    /// `(moved, total)` of the stateless rule at the last change of shard count.
    last_modulo: Option<(u64, u64)>,
    keys_moved_total: u64,
    recent: RecentRequests,
    visits: u64,
    last_request: Option<RequestLine>,
    /// The version of each tenant's directory entry (bumped at every flip that moves it).
    versions: Vec<u32>,
    /// Percent of requests that are writes (they must be caught up when their tenant moves).
    write_percent: u64,
    /// How long a cutover freeze holds the moving tenants' requests.
    freeze_us: u64,
    /// Draws whether a request is a write, apart from the run's stream.
    writes_rng: crate::rng::SimRng,
    /// Requests held by the running freeze: (arrival, client, key).
    held: Vec<(SimTime, u32, u64)>,
    /// How long the last freeze lasted.
    last_freeze_us: Option<u64>,
    /// Writes replayed by every migration so far.
    catch_up_total: u64,
}

/// Which keys of each tenant a frame draws: every tenant's first keys, in proportion to its
/// size and at least one, `limit` in all at most.
fn drawn_keys(key_tenant: &[u32], tenants: &[Tenant], limit: u64) -> Vec<u64> {
    let total = key_tenant.len() as u64;
    if total <= limit {
        return (0..total).collect();
    }
    let spare = limit.saturating_sub(tenants.len() as u64);
    let quota: Vec<u64> = tenants
        .iter()
        .map(|t| (t.keys * spare / total + 1).min(t.keys))
        .collect();
    let mut taken = vec![0u64; tenants.len()];
    let mut out = Vec::new();
    for (id, t) in key_tenant.iter().enumerate() {
        let t = *t as usize;
        if taken[t] < quota[t] {
            taken[t] += 1;
            out.push(id as u64);
        }
    }
    out.truncate(limit as usize);
    out
}

impl DirectoryModel {
    /// The directory table.
    pub fn directory(&self) -> &Directory {
        &self.dir
    }
    /// Request counters.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }
    /// The clients' caches.
    pub fn caches(&self) -> &ClientCaches {
        &self.caches
    }
    /// Whether the directory answers.
    pub fn directory_up(&self) -> bool {
        self.directory_up
    }
    /// The migration in progress, if any.
    pub fn migration(&self) -> Option<&Migration> {
        self.migration.as_ref()
    }
    /// The last request and how it went.
    pub fn last_request(&self) -> Option<&RequestLine> {
        self.last_request.as_ref()
    }
    /// The last change of placement (a flip, or added shards).
    pub fn last_change(&self) -> Option<&ShardChange> {
        self.last_change.as_ref()
    }
    /// Keys moved by every flip so far.
    pub fn keys_moved_total(&self) -> u64 {
        self.keys_moved_total
    }
    /// The tenant of key `id`.
    pub fn tenant_of_key(&self, id: u64) -> Option<u32> {
        self.key_tenant.get(id as usize).copied()
    }
    /// The name of key `id` (`acme/17`).
    pub fn key_name(&self, id: u64) -> String {
        match (
            self.key_tenant.get(id as usize),
            self.key_ordinal.get(id as usize),
        ) {
            (Some(t), Some(n)) => format!("{}/{n}", self.dir.tenants()[*t as usize].name),
            _ => format!("key {id}"),
        }
    }
    /// The current shard index of key `id`.
    pub fn shard_of_key(&self, id: u64) -> Option<u32> {
        self.tenant_of_key(id).map(|t| self.dir.shard_of(t))
    }

    fn refresh_drawn(&mut self) {
        self.drawn = Rc::new(drawn_keys(&self.key_tenant, self.dir.tenants(), FRAME_KEYS));
    }

    fn append_keys(&mut self, tenant: u32, from_ordinal: u64, count: u64) {
        let kt = Rc::make_mut(&mut self.key_tenant);
        let ko = Rc::make_mut(&mut self.key_ordinal);
        for n in from_ordinal..from_ordinal + count {
            kt.push(tenant);
            ko.push(n as u32);
        }
        if let Some(s) = self.zipf_s {
            self.popularity = Popularity::zipf(self.key_tenant.len() as u64, s);
        }
        self.refresh_drawn();
    }

    fn schedule_request(&self, ctx: &mut Ctx<'_, Self>) {
        ctx.schedule_poisson(self.rate_per_sec, DirectoryEvent::Request);
    }

    fn move_lines(&self, moves: &[PlannedMove]) -> Vec<MoveLine> {
        moves
            .iter()
            .map(|m| MoveLine {
                tenant: self.dir.tenants()[m.tenant as usize].name.clone(),
                keys: self.dir.tenants()[m.tenant as usize].keys,
                from: self.dir.index_of(m.from).unwrap_or(0),
                to: self.dir.index_of(m.to).unwrap_or(0),
            })
            .collect()
    }

    fn no_migration(&self) -> Result<(), InputError> {
        match &self.migration {
            None => Ok(()),
            Some(m) => Err(InputError(format!(
                "a migration is already running (its copy ends at {}); one at a time",
                m.done_at
            ))),
        }
    }

    /// Starts copying `moves` (then flips and removes `removing`); instant when `copy_rate` is 0
    /// or nothing needs copying.
    fn start_migration(
        &mut self,
        kind: MoveKind,
        moves: Vec<PlannedMove>,
        removing: Vec<u32>,
        ctx: &mut Ctx<'_, Self>,
    ) {
        let keys: u64 = moves
            .iter()
            .map(|m| self.dir.tenants()[m.tenant as usize].keys)
            .sum();
        let copy_us = if self.copy_rate == 0 || keys == 0 {
            0
        } else {
            (keys * 1_000_000).div_ceil(self.copy_rate)
        };
        let done_at = ctx.now.plus_us(copy_us);
        if copy_us > 0 {
            let moves = self.move_lines(&moves);
            ctx.record(if self.write_percent > 0 || self.freeze_us > 0 {
                DirectoryRecord::CopyPhaseStarted {
                    kind,
                    moves,
                    keys,
                    done_at,
                }
            } else {
                DirectoryRecord::CopyStarted {
                    kind,
                    moves,
                    keys,
                    done_at,
                }
            });
            ctx.schedule(done_at, DirectoryEvent::CopyDone);
        }
        self.migration = Some(Migration {
            kind,
            moves,
            removing,
            keys,
            started: ctx.now,
            done_at,
            copied: copy_us == 0,
            pending_writes: 0,
            caught_up: 0,
            rounds: 0,
            frozen_since: None,
        });
        if copy_us == 0 {
            if self.directory_up {
                self.cut_over(ctx);
            } else {
                ctx.record(DirectoryRecord::FlipWaiting { keys });
            }
        }
    }

    /// After the copy or a catch-up round: replay the writes made meanwhile in another round, or
    /// go on to the cutover.
    fn after_copy(&mut self, ctx: &mut Ctx<'_, Self>) {
        let Some(m) = self.migration.as_mut() else {
            return;
        };
        if m.pending_writes > 0 && m.rounds < MAX_CATCH_UP_ROUNDS && self.copy_rate > 0 {
            let writes = std::mem::take(&mut m.pending_writes);
            m.rounds += 1;
            m.caught_up += writes;
            let until = ctx
                .now
                .plus_us((writes * 1_000_000).div_ceil(self.copy_rate));
            ctx.record(DirectoryRecord::CatchingUp {
                writes,
                round: m.rounds,
                until,
            });
            ctx.schedule(until, DirectoryEvent::CatchUpDone);
            return;
        }
        self.cut_over(ctx);
    }

    /// The copy is caught up: freeze the moving tenants' requests for `freeze_us` (if any), then
    /// flip. The flip waits while the directory is down.
    fn cut_over(&mut self, ctx: &mut Ctx<'_, Self>) {
        let Some(m) = self.migration.as_mut() else {
            return;
        };
        if !self.directory_up {
            if !m.copied {
                m.copied = true;
                let keys = m.keys;
                ctx.record(DirectoryRecord::FlipWaiting { keys });
            }
            return;
        }
        if self.freeze_us > 0 && m.frozen_since.is_none() {
            m.copied = false;
            m.frozen_since = Some(ctx.now);
            let writes = std::mem::take(&mut m.pending_writes);
            m.caught_up += writes;
            let until = ctx.now.plus_us(self.freeze_us);
            let tenants: Vec<String> = m
                .moves
                .iter()
                .map(|mv| self.dir.tenants()[mv.tenant as usize].name.clone())
                .collect();
            ctx.record(DirectoryRecord::FreezeStarted {
                tenants,
                writes,
                until,
            });
            ctx.schedule(until, DirectoryEvent::FreezeEnd);
            return;
        }
        self.flip(ctx);
    }

    /// Points the migrating tenants at their new shards, removes drained shards, and records
    /// exactly which keys moved.
    fn flip(&mut self, ctx: &mut Ctx<'_, Self>) {
        let Some(m) = self.migration.take() else {
            return;
        };
        for mv in &m.moves {
            if let Some(v) = self.versions.get_mut(mv.tenant as usize) {
                *v += 1;
            }
        }
        self.catch_up_total += m.caught_up + m.pending_writes;
        if let Some(f) = m.frozen_since {
            self.last_freeze_us = Some(ctx.now.since(f));
        }
        let before = self.dir.shard_count();
        let from_index: BTreeMap<u32, u32> = crate::order::map_of(
            m.moves
                .iter()
                .map(|mv| (mv.tenant, self.dir.index_of(mv.from).unwrap_or(0))),
        );
        for mv in &m.moves {
            self.dir.set(mv.tenant, mv.to);
        }
        for phys in &m.removing {
            self.dir.remove_shard(*phys);
        }
        let after = self.dir.shard_count();
        let moved_to: BTreeMap<u32, (u32, u32)> = crate::order::map_of(m.moves.iter().map(|mv| {
            (
                mv.tenant,
                (
                    from_index[&mv.tenant],
                    self.dir.index_of(mv.to).unwrap_or(0),
                ),
            )
        }));
        let moves: Vec<ShardMove> = self
            .key_tenant
            .iter()
            .enumerate()
            .filter_map(|(id, t)| {
                moved_to.get(t).map(|&(from, to)| ShardMove {
                    id: id as u64,
                    from,
                    to,
                })
            })
            .collect();
        let total = self.key_tenant.len() as u64;
        let moved = moves.len() as u64;
        let modulo =
            (before != after).then(|| self.dir.modulo_moved(self.placement, before, after));
        if let Some(mm) = modulo {
            self.last_modulo = Some((mm, total));
        }
        let lines = m
            .moves
            .iter()
            .map(|mv| MoveLine {
                tenant: self.dir.tenants()[mv.tenant as usize].name.clone(),
                keys: self.dir.tenants()[mv.tenant as usize].keys,
                from: moved_to[&mv.tenant].0,
                to: moved_to[&mv.tenant].1,
            })
            .collect();
        ctx.record(DirectoryRecord::Flipped {
            kind: m.kind,
            moves: lines,
            moved,
            total,
            shards: (before, after),
            modulo_moved: modulo,
        });
        self.keys_moved_total += moved;
        self.last_change = Some(ShardChange {
            at: ctx.now,
            from_shards: before,
            to_shards: after,
            moves: moves.into(),
            total,
        });
        // The requests the freeze held go on now, to the new owner.
        for (at, client, key) in std::mem::take(&mut self.held) {
            self.start(client, key, at, ctx);
        }
    }

    fn add_shards(&mut self, count: u32, ctx: &mut Ctx<'_, Self>) -> Result<(), InputError> {
        let from = self.dir.shard_count();
        let to = from + count;
        if count == 0 || to > MAX_SHARDS {
            return Err(InputError(format!(
                "a run has at most {MAX_SHARDS} shards; it has {from}"
            )));
        }
        for _ in 0..count {
            self.dir.add_shard();
        }
        let total = self.key_tenant.len() as u64;
        let modulo_moved = self.dir.modulo_moved(self.placement, from, to);
        self.last_modulo = Some((modulo_moved, total));
        self.last_change = Some(ShardChange {
            at: ctx.now,
            from_shards: from,
            to_shards: to,
            moves: Vec::new().into(),
            total,
        });
        ctx.record(DirectoryRecord::ShardsAdded {
            from,
            to,
            modulo_moved,
            total,
            rule: self.placement.rule(),
        });
        Ok(())
    }

    fn remove_shards(
        &mut self,
        indices: &[u32],
        ctx: &mut Ctx<'_, Self>,
    ) -> Result<(), InputError> {
        self.no_migration()?;
        let n = self.dir.shard_count();
        if indices.is_empty() || indices.len() as u32 >= n {
            return Err(InputError(format!(
                "at least one shard must remain; there are {n}"
            )));
        }
        let removing: Vec<u32> = indices
            .iter()
            .map(|i| {
                self.dir.phys_at(*i).ok_or_else(|| {
                    InputError(format!("there is no shard {i}; shards are 0 to {}", n - 1))
                })
            })
            .collect::<Result<_, _>>()?;
        let plan = self.dir.plan_drain(&removing);
        self.start_migration(MoveKind::Drain, plan, removing, ctx);
        Ok(())
    }

    fn move_tenant(&mut self, arg: &str, ctx: &mut Ctx<'_, Self>) -> Result<(), InputError> {
        let usage = || InputError("move-tenant needs TENANT:SHARD, e.g. move-tenant:acme:3".into());
        let (name, shard) = arg.rsplit_once(':').ok_or_else(usage)?;
        let shard: u32 = shard.trim().parse().map_err(|_| usage())?;
        let t = self
            .dir
            .find(name)
            .ok_or_else(|| InputError(format!("there is no tenant {:?}", name.trim())))?;
        let n = self.dir.shard_count();
        let to = self.dir.phys_at(shard).ok_or_else(|| {
            InputError(format!(
                "there is no shard {shard}; shards are 0 to {}",
                n - 1
            ))
        })?;
        let from = self.dir.phys_of(t);
        if from == to {
            return Err(InputError(format!(
                "{} is already on shard {shard}",
                self.dir.tenants()[t as usize].name
            )));
        }
        self.no_migration()?;
        self.start_migration(
            MoveKind::Manual,
            vec![PlannedMove {
                tenant: t,
                from,
                to,
            }],
            Vec::new(),
            ctx,
        );
        Ok(())
    }

    fn rebalance(&mut self, ctx: &mut Ctx<'_, Self>) -> Result<(), InputError> {
        self.no_migration()?;
        let plan = self.dir.plan_rebalance();
        if plan.is_empty() {
            let largest = self
                .dir
                .tenants()
                .iter()
                .max_by_key(|t| (t.keys, std::cmp::Reverse(t.number)))
                .map(|t| (t.name.clone(), t.keys))
                .unwrap_or_default();
            ctx.record(DirectoryRecord::NothingToRebalance {
                peak: self.dir.loads().into_iter().max().unwrap_or(0),
                largest,
            });
            return Ok(());
        }
        self.start_migration(MoveKind::Rebalance, plan, Vec::new(), ctx);
        Ok(())
    }

    fn add_keys(&mut self, arg: &str, ctx: &mut Ctx<'_, Self>) -> Result<(), InputError> {
        let usage =
            || InputError("add-keys needs N (a new tenant) or TENANT:N, e.g. add-keys:50".into());
        let (who, count) = match arg.rsplit_once(':') {
            Some((w, c)) => (Some(w.trim()), c),
            None => (None, arg),
        };
        let count: u64 = count.trim().parse().map_err(|_| usage())?;
        let total = self.key_tenant.len() as u64;
        if count == 0 || total + count > MAX_KEYS {
            return Err(InputError(format!(
                "add-keys adds 1 or more keys, up to {MAX_KEYS} in all (there are {total})"
            )));
        }
        let (tenant, first, grew) = match who {
            Some(name) => {
                let t = self
                    .dir
                    .find(name)
                    .ok_or_else(|| InputError(format!("there is no tenant {name:?}")))?;
                let first = self.dir.tenants()[t as usize].keys;
                self.dir.grow(t, count);
                (t, first, true)
            }
            None => {
                let number = self.dir.tenants().len() as u32;
                if number >= MAX_TENANTS {
                    return Err(InputError(format!(
                        "a run has at most {MAX_TENANTS} tenants"
                    )));
                }
                let avoid = self
                    .migration
                    .as_ref()
                    .map(|m| m.removing.clone())
                    .unwrap_or_default();
                self.dir
                    .add_tenant(self.naming.name(number), count, self.placement, &avoid);
                self.versions.resize(self.dir.tenants().len(), 1);
                (number, 0, false)
            }
        };
        self.append_keys(tenant, first, count);
        ctx.record(DirectoryRecord::TenantAdded {
            tenant: self.dir.tenants()[tenant as usize].name.clone(),
            keys: count,
            shard: self.dir.shard_of(tenant),
            grew,
        });
        Ok(())
    }

    fn request(&mut self, ctx: &mut Ctx<'_, Self>) {
        let client = ctx.rng.below(u64::from(self.clients)) as u32;
        let Some(key) = self.popularity.pick(ctx.rng, self.key_tenant.len() as u64) else {
            return;
        };
        let write = self.write_percent > 0 && self.writes_rng.below(100) < self.write_percent;
        let tenant = self.key_tenant[key as usize];
        if let Some(m) = self.migration.as_mut() {
            if m.moves.iter().any(|mv| mv.tenant == tenant) {
                if m.frozen_since.is_some() {
                    self.stats.blocked += 1;
                    self.held.push((ctx.now, client, key));
                    return;
                }
                if write {
                    m.pending_writes += 1;
                }
            }
        }
        self.start(client, key, ctx.now, ctx);
    }

    /// Starts one request of `client` for `key`, which arrived at `arrived` (earlier when a
    /// cutover freeze held it): to the shard a usable cached entry names, else to the directory.
    fn start(&mut self, client: u32, key: u64, arrived: SimTime, ctx: &mut Ctx<'_, Self>) {
        let tenant = self.key_tenant[key as usize];
        let s = &mut self.stats;
        s.requests += 1;
        let mut f = InFlight {
            id: s.requests,
            client,
            key,
            tenant,
            arrived,
            had_entry: self.caches.entry(client, tenant).is_some(),
            stale: None,
            looked_up: false,
            service_us: 0,
            at: Hop::Directory,
        };
        let cached = self.caches.fresh_entry(client, tenant, ctx.now);
        match cached {
            Some(e) => {
                s.cache_hits += 1;
                // A TTL entry is right if it names the tenant's shard; a versioned one if its
                // version is the shards' (which then also names the right shard).
                let owns = if self.caches.is_versioned() {
                    e.version == self.version(tenant)
                } else {
                    e.phys == self.dir.phys_of(tenant)
                };
                self.send_to_shard(f, e.phys, owns, ctx);
            }
            None => {
                s.needed_directory += 1;
                if self.directory_up {
                    self.ask_directory(f, ctx);
                } else {
                    f.at = Hop::Directory;
                    self.finish(f, Route::FailedNoEntry, None, ctx);
                }
            }
        }
    }

    /// Gives every shard a queue, idle from `now` for a shard that has just been added.
    fn ensure_servers(&mut self, now: SimTime) {
        let top = (0..self.dir.shard_count())
            .filter_map(|i| self.dir.phys_at(i))
            .max()
            .unwrap_or(0);
        while self.shard_servers.len() <= top as usize {
            self.shard_servers
                .push(FifoServer::bounded(now, self.queue_limit));
        }
    }

    /// The queue of the shard at index `i`.
    pub fn shard_server(&self, i: u32) -> Option<&FifoServer> {
        self.shard_servers.get(self.dir.phys_at(i)? as usize)
    }

    fn version(&self, tenant: u32) -> u32 {
        self.versions.get(tenant as usize).copied().unwrap_or(1)
    }

    /// Goes on with `f` when its server finishes at `at`: now, or as an event then.
    fn next(&mut self, f: InFlight, at: SimTime, ctx: &mut Ctx<'_, Self>) {
        if at > ctx.now {
            self.stats.in_flight += 1;
            ctx.schedule(at, DirectoryEvent::Hop(Box::new(f)));
        } else {
            self.advance(f, ctx);
        }
    }

    /// Queues `f` at the directory.
    fn ask_directory(&mut self, mut f: InFlight, ctx: &mut Ctx<'_, Self>) {
        f.at = Hop::Directory;
        match self.dir_server.offer(ctx.now, self.directory_us) {
            Ok((_, done)) => {
                f.service_us += self.directory_us;
                self.next(f, done, ctx);
            }
            Err(_) => {
                self.stats.directory_dropped += 1;
                let route = Self::route_of(&f);
                self.finish(f, route, Some(Full::Directory), ctx);
            }
        }
    }

    /// Queues `f` at physical shard `phys`, which holds its tenant for it or not (`owns`). A
    /// stale entry may name a shard that has since been removed: the connection is refused at
    /// once, as "moved".
    fn send_to_shard(&mut self, mut f: InFlight, phys: u32, owns: bool, ctx: &mut Ctx<'_, Self>) {
        f.at = Hop::Shard { phys, owns };
        if self.dir.index_of(phys).is_none() {
            return self.advance(f, ctx);
        }
        // Every live shard has a queue (shards are only added by inputs, which ensure it).
        match self.shard_servers[phys as usize].offer(ctx.now, self.shard_us) {
            Ok((_, done)) => {
                f.service_us += self.shard_us;
                self.next(f, done, ctx);
            }
            Err(_) => {
                self.stats.shard_dropped += 1;
                let route = Self::route_of(&f);
                self.finish(f, route, Some(Full::Shard(phys)), ctx);
            }
        }
    }

    /// The route a request took so far: through a stale entry, the directory, or a good entry.
    fn route_of(f: &InFlight) -> Route {
        match (f.stale.is_some(), f.looked_up || f.at == Hop::Directory) {
            (true, _) => Route::StaleThenLookup,
            (false, true) => Route::Lookup,
            (false, false) => Route::CacheHit,
        }
    }

    /// A server has finished with `f`, now: on to its next hop, or answered.
    fn advance(&mut self, mut f: InFlight, ctx: &mut Ctx<'_, Self>) {
        match f.at {
            Hop::Directory => {
                if !self.directory_up {
                    // The directory died while the lookup waited in its queue.
                    let route = if f.stale.is_some() {
                        Route::FailedStale
                    } else {
                        Route::FailedNoEntry
                    };
                    return self.finish(f, route, None, ctx);
                }
                f.looked_up = true;
                let s = &mut self.stats;
                s.lookups += 1;
                if f.had_entry {
                    s.refreshes += 1;
                }
                let truth = self.dir.phys_of(f.tenant);
                let version = self.version(f.tenant);
                self.caches
                    .store_version(f.client, f.tenant, truth, version, ctx.now);
                self.send_to_shard(f, truth, true, ctx);
            }
            Hop::Shard { owns: true, .. } => {
                let route = Self::route_of(&f);
                self.finish(f, route, None, ctx);
            }
            Hop::Shard { phys, owns: false } => {
                // "moved" (TTL caches) or a stale-version error (versioned ones): the client
                // drops its entry and asks the directory.
                let s = &mut self.stats;
                s.misrouted += 1;
                if self.caches.is_versioned() {
                    s.stale_errors += 1;
                }
                s.needed_directory += 1;
                self.caches.forget(f.client, f.tenant);
                f.stale = Some(phys);
                if self.directory_up {
                    self.ask_directory(f, ctx);
                } else {
                    self.finish(f, Route::FailedStale, None, ctx);
                }
            }
        }
    }

    /// `f` is answered (served by the shard it is at) or has failed: count it, show it, log it.
    fn finish(&mut self, f: InFlight, route: Route, full: Option<Full>, ctx: &mut Ctx<'_, Self>) {
        let served = full.is_none() && route.served();
        let latency = served.then(|| ctx.now.since(f.arrived));
        let truth = self.dir.phys_of(f.tenant);
        let s = &mut self.stats;
        let wait_us = latency.map(|l| l.saturating_sub(f.service_us));
        match latency {
            Some(l) => {
                s.served += 1;
                s.latency_sum_us += l;
                s.latency.record(l);
                *s.by_path.entry(f.service_us).or_insert(0) += 1;
                s.wait_sum_us += wait_us.unwrap_or(0);
                let at = match f.at {
                    Hop::Shard { phys, .. } => phys,
                    Hop::Directory => truth,
                };
                *self.served_by_phys.entry(at).or_insert(0) += 1;
            }
            None => s.failed += 1,
        }
        let shard = match f.at {
            Hop::Shard { phys, .. } => self.dir.index_of(phys),
            Hop::Directory => None,
        }
        .or_else(|| self.dir.index_of(truth))
        .unwrap_or(0);
        let stale = f.stale.and_then(|p| self.dir.index_of(p));
        let key = f.key;
        let mut visit = |shard: u32, outcome| {
            self.visits += 1;
            let mut r = ShardRequest::served(self.visits, key, shard, ctx.now);
            r.query = f.id;
            r.outcome = outcome;
            r.latency_us = latency;
            r
        };
        use crate::models::shard_view::RequestOutcome as O;
        let mut shown = Vec::new();
        if let Some(s) = stale {
            shown.push(visit(s, O::Misrouted));
        }
        shown.push(visit(shard, if served { O::Served } else { O::Failed }));
        for r in shown {
            self.recent.push(r);
        }
        let full = full.map(|w| match w {
            Full::Shard(p) => Full::Shard(self.dir.index_of(p).unwrap_or(0)),
            other => other,
        });
        let line = RequestLine {
            id: f.id,
            client: f.client,
            key: self.key_name(f.key),
            route,
            shard,
            stale,
            latency_us: latency,
            wait_us: wait_us.unwrap_or(0),
            full,
            versioned: self.caches.is_versioned(),
        };
        self.last_request = Some(line.clone());
        ctx.record(DirectoryRecord::Request(line));
    }
}

impl DirectoryModel {
    fn apply_input(&mut self, input: &Input, ctx: &mut Ctx<'_, Self>) -> Result<(), InputError> {
        let arg = input.arg.as_deref().unwrap_or("").trim();
        match input.action.as_str() {
            "move-tenant" => self.move_tenant(arg, ctx),
            "add-shard" => self.add_shards(1, ctx),
            "rebalance" => self.rebalance(ctx),
            "remove-shard" => {
                let n = self.dir.shard_count();
                let which = if arg.is_empty() {
                    n.saturating_sub(1)
                } else {
                    arg.parse().map_err(|_| {
                        InputError(format!(
                            "remove-shard takes a shard number from 0 to {}, or nothing for the last",
                            n - 1
                        ))
                    })?
                };
                self.remove_shards(&[which], ctx)
            }
            "resize" => {
                let to: u32 = arg.parse().map_err(|_| {
                    InputError(format!(
                        "resize needs a shard count from 1 to {MAX_SHARDS}, e.g. resize:5"
                    ))
                })?;
                let n = self.dir.shard_count();
                if !(1..=MAX_SHARDS).contains(&to) {
                    Err(InputError(format!(
                        "a run has between 1 and {MAX_SHARDS} shards, not {to}"
                    )))
                } else if to > n {
                    self.add_shards(to - n, ctx)
                } else if to < n {
                    let top: Vec<u32> = (to..n).collect();
                    self.remove_shards(&top, ctx)
                } else {
                    Err(InputError(format!("there are already {n} shards")))
                }
            }
            "add-keys" => self.add_keys(arg, ctx),
            "directory-down" => {
                if !self.directory_up {
                    return Err(InputError("the directory is already down".into()));
                }
                self.directory_up = false;
                ctx.record(DirectoryRecord::DirectoryDown {
                    fresh_entries: self.caches.fresh_count(ctx.now),
                });
                Ok(())
            }
            "directory-up" => {
                if self.directory_up {
                    return Err(InputError("the directory is already up".into()));
                }
                self.directory_up = true;
                ctx.record(DirectoryRecord::DirectoryUp);
                if self.migration.as_ref().is_some_and(|m| m.copied) {
                    self.cut_over(ctx);
                }
                Ok(())
            }
            other => Err(InputError(format!(
                "unknown action {other:?}; this lesson knows move-tenant, add-shard, rebalance, directory-down, directory-up, remove-shard, resize and add-keys"
            ))),
        }
    }

    fn handle_event(&mut self, event: DirectoryEvent, ctx: &mut Ctx<'_, Self>) {
        self.now = ctx.now;
        match event {
            DirectoryEvent::Request => {
                self.request(ctx);
                self.schedule_request(ctx);
            }
            DirectoryEvent::Hop(f) => {
                self.stats.in_flight -= 1;
                self.advance(*f, ctx);
            }
            DirectoryEvent::CopyDone | DirectoryEvent::CatchUpDone => self.after_copy(ctx),
            DirectoryEvent::FreezeEnd => self.cut_over(ctx),
        }
    }
}

impl Model for DirectoryModel {
    type Event = DirectoryEvent;
    type Record = DirectoryRecord;
    type Frame = ShardFrame;
    const ID: &'static str = "directory";

    fn specs() -> Vec<ParamSpec> {
        let mut specs = vec![
            ParamSpec::int("shards", "Shards", 4, 1, i64::from(MAX_SHARDS), 1)
                .help("How many shards the tenants are spread over at the start."),
            ParamSpec::int("tenants", "Tenants", 12, 1, i64::from(MAX_TENANTS), 1)
                .help("Customers; all of a tenant's keys live on one shard."),
            ParamSpec::int("keys", "Keys", 600, 1, MAX_KEYS as i64, 1)
                .unit("keys")
                .help("All tenants' keys together (at least one per tenant)."),
            ParamSpec::float("tenant_skew", "Tenant size skew", 1.0, 0.0, 3.0, 0.1).help(
                "Tenant sizes fall as 1/rank^s: 0 makes them equal, 1 gives one big tenant (a whale) and a long tail.",
            ),
            ParamSpec::choice(
                "naming",
                "Tenant names",
                "companies",
                &[
                    ("companies", "Companies (acme, globex, …)"),
                    ("users", "User ids (user-0, user-1, …)"),
                ],
            )
            .help("User ids with one key each reproduce the notes' user_id % N layouts."),
            ParamSpec::choice(
                "placement",
                "Initial placement",
                "least-loaded",
                &[
                    ("least-loaded", "Least loaded (biggest first)"),
                    ("round-robin", "Round robin (tenant % N)"),
                    ("hash", "Hash of the name % N"),
                ],
            )
            .help("How the directory places a tenant it has not seen; after that the table rules."),
            ParamSpec::int("clients", "Clients", 4, 1, 32, 1)
                .help("Application servers sending requests; each keeps its own directory cache."),
            ParamSpec::choice(
                "cache",
                "Client cache",
                "ttl",
                &[
                    ("ttl", "Entries expire after a TTL"),
                    ("versioned", "Entries kept, checked by version"),
                ],
            )
            .help("Versioned: entries never expire; a shard refuses an old version and the client refreshes."),
            ParamSpec::int("cache_ttl_ms", "Cache TTL", 1_000, 0, 600_000, 100)
                .unit("ms")
                .help("How long a client trusts a cached directory entry; 0 turns caching off. Versioned caches ignore it."),
            ParamSpec::int("directory_latency_ms", "Directory lookup", 2, 0, 1_000, 1)
                .unit("ms")
                .help("Time the directory spends on one lookup; it answers one at a time, so lookups queue."),
            ParamSpec::int("shard_latency_ms", "Shard request", 5, 0, 1_000, 1)
                .unit("ms")
                .help("Time a shard spends on one request; requests queue behind each other."),
            ParamSpec::int("queue_limit", "Queue limit", 100, 0, MAX_QUEUE, 1)
                .unit("requests")
                .help("How many requests may wait at the directory or at one shard; one that finds the queue full fails."),
            ParamSpec::int("copy_rate", "Copy rate", 500, 0, 100_000, 1)
                .unit("keys/s")
                .help("How fast a move copies a tenant's keys before the directory flips; 0 is instant."),
            ParamSpec::int("write_percent", "Writes", 0, 0, 100, 1)
                .unit("%")
                .help("Writes to a tenant during its copy are replayed before the cutover."),
            ParamSpec::int("freeze_ms", "Cutover freeze", 0, 0, 10_000, 1)
                .unit("ms")
                .help("Requests for a moving tenant are held this long before the flip."),
        ];
        specs.extend(crate::workload::specs(50));
        specs
    }

    fn actions() -> Vec<ActionSpec> {
        vec![
            ActionSpec::new("move-tenant", "Move a tenant").arg("tenant:shard", Some("acme:3")),
            ActionSpec::new("add-shard", "Add an empty shard"),
            ActionSpec::new("rebalance", "Rebalance (few moves)"),
            ActionSpec::new("directory-down", "Take the directory down"),
            ActionSpec::new("directory-up", "Bring the directory back"),
            ActionSpec::new("remove-shard", "Drain and remove a shard")
                .arg("shard (empty: the last)", None),
            ActionSpec::new("resize", "Resize to").arg("shard count", Some("5")),
            ActionSpec::new("add-keys", "Add keys").arg("N (new tenant) or tenant:N", Some("50")),
        ]
    }

    fn build(params: &ParamSet, ctx: &mut Ctx<'_, Self>) -> Result<Self, ParamError> {
        let tenants = params.int("tenants").clamp(1, i64::from(MAX_TENANTS)) as u32;
        let keys = (params.int("keys").max(1) as u64).clamp(u64::from(tenants), MAX_KEYS);
        let naming = Naming::parse(params.text("naming"));
        let placement = Placement::parse(params.text("placement"));
        let sizes = zipf_sizes(keys, tenants, params.float("tenant_skew"));
        let list: Vec<Tenant> = sizes
            .iter()
            .enumerate()
            .map(|(i, k)| Tenant::new(i as u32, naming.name(i as u32), *k))
            .collect();
        let shards = params.int("shards").clamp(1, i64::from(MAX_SHARDS)) as u32;
        let dir = Directory::new(list, shards, placement);
        let mut key_tenant = Vec::with_capacity(keys as usize);
        let mut key_ordinal = Vec::with_capacity(keys as usize);
        for t in dir.tenants() {
            for n in 0..t.keys {
                key_tenant.push(t.number);
                key_ordinal.push(n as u32);
            }
        }
        let zipf_s = (params.text("popularity") == "zipf").then(|| params.float("zipf_s"));
        let clients = params.int("clients").clamp(1, 32) as u32;
        let ms = |name: &str| params.int(name).max(0) as u64 * 1_000;
        let queue_limit = params.int("queue_limit").clamp(0, MAX_QUEUE) as u32;
        let mut model = DirectoryModel {
            popularity: Popularity::from_params(params, keys),
            zipf_s,
            naming,
            placement,
            drawn: Rc::new(drawn_keys(&key_tenant, dir.tenants(), FRAME_KEYS)),
            key_tenant: Rc::new(key_tenant),
            key_ordinal: Rc::new(key_ordinal),
            caches: if params.text("cache") == "versioned" {
                ClientCaches::versioned(clients)
            } else {
                ClientCaches::new(clients, ms("cache_ttl_ms"))
            },
            clients,
            directory_up: true,
            directory_us: ms("directory_latency_ms"),
            shard_us: ms("shard_latency_ms"),
            dir_server: FifoServer::bounded(ctx.now, queue_limit),
            shard_servers: Vec::new(),
            queue_limit,
            now: ctx.now,
            copy_rate: params.int("copy_rate").max(0) as u64,
            migration: None,
            served_by_phys: BTreeMap::new(),
            stats: Stats::default(),
            rate_per_sec: params.int("request_rate").max(0) as f64,
            last_change: None,
            last_modulo: None,
            keys_moved_total: 0,
            recent: RecentRequests::default(),
            visits: 0,
            last_request: None,
            versions: vec![1; tenants as usize],
            write_percent: params.int("write_percent").clamp(0, 100) as u64,
            freeze_us: ms("freeze_ms"),
            writes_rng: crate::rng::SimRng::stream(ctx.seed, "directory-writes"),
            held: Vec::new(),
            last_freeze_us: None,
            catch_up_total: 0,
            dir,
        };
        ctx.record(DirectoryRecord::Built {
            tenants,
            keys,
            shards,
            placement: placement.id(),
        });
        for t in model.dir.tenants() {
            ctx.record(DirectoryRecord::Placed {
                tenant: t.name.clone(),
                keys: t.keys,
                shard: model.dir.shard_of(t.number),
            });
        }
        model.ensure_servers(ctx.now);
        model.schedule_request(ctx);
        Ok(model)
    }

    fn apply(&mut self, input: &Input, ctx: &mut Ctx<'_, Self>) -> Result<(), InputError> {
        let done = self.apply_input(input, ctx);
        if done.is_ok() {
            // A refused input changes nothing, not even the time the metrics are read at.
            self.now = ctx.now;
            self.ensure_servers(ctx.now);
        }
        done
    }

    fn handle(&mut self, event: DirectoryEvent, ctx: &mut Ctx<'_, Self>) {
        self.handle_event(event, ctx)
    }

    fn frame(&self, now: SimTime) -> ShardFrame {
        self.shard_frame(now)
    }

    fn metrics(&self) -> Metrics {
        self.report()
    }

    fn queries() -> Queries<Self> {
        Queries::new().with::<dyn sharding::Placement>(|m| m)
    }

    fn validate(&self) -> Result<(), String> {
        self.dir.validate()?;
        let tenants = self.dir.tenants();
        let mut counts = vec![0u64; tenants.len()];
        for t in self.key_tenant.iter() {
            let slot = counts
                .get_mut(*t as usize)
                .ok_or_else(|| format!("a key belongs to tenant #{t}, which does not exist"))?;
            *slot += 1;
        }
        if let Some(t) = tenants.iter().find(|t| counts[t.number as usize] != t.keys) {
            return Err(format!(
                "tenant {} has {} keys but {} keys name it",
                t.name, t.keys, counts[t.number as usize]
            ));
        }
        let loads = self.dir.loads();
        if loads.len() as u32 != self.dir.shard_count() {
            return Err("a shard without a key count".into());
        }
        let sum: u64 = loads.iter().sum();
        if sum != self.key_tenant.len() as u64 {
            return Err(format!(
                "per-shard key counts add up to {sum}, not the {} keys",
                self.key_tenant.len()
            ));
        }
        let s = &self.stats;
        if s.served + s.failed + s.in_flight != s.requests {
            return Err("served + failed + in flight ≠ requests".into());
        }
        if s.latency.count() != s.served
            || s.by_path.values().sum::<u64>() != s.served
            || self.served_by_phys.values().sum::<u64>() != s.served
        {
            return Err("served requests do not add up over shards and latencies".into());
        }
        let dropped =
            self.dir_server.dropped + self.shard_servers.iter().map(|q| q.dropped).sum::<u64>();
        if dropped != s.directory_dropped + s.shard_dropped {
            return Err("drops disagree with the queues".into());
        }
        if s.lookups > s.needed_directory || s.cache_hits > s.requests || s.misrouted > s.cache_hits
        {
            return Err("request counters are inconsistent".into());
        }
        if let Some(c) = &self.last_change {
            if c.moves.windows(2).any(|w| w[0].id >= w[1].id) {
                return Err("the last change's moves are not in key order".into());
            }
            if c.to_shards != self.dir.shard_count() {
                return Err(format!(
                    "the last change ends at {} shards but there are {}",
                    c.to_shards,
                    self.dir.shard_count()
                ));
            }
            // Nothing moves between changes, so every key the last change moved is still
            // where it went.
            if let Some(m) = c
                .moves
                .iter()
                .find(|m| self.shard_of_key(m.id) != Some(m.to))
            {
                return Err(format!(
                    "key {} was moved to shard {} but the directory sends it to {:?}",
                    self.key_name(m.id),
                    m.to,
                    self.shard_of_key(m.id)
                ));
            }
        }
        if self.versions.len() != tenants.len() {
            return Err(format!(
                "{} entry versions for {} tenants",
                self.versions.len(),
                tenants.len()
            ));
        }
        // A versioned entry that matches the tenant's current version names its current shard:
        // the version check can never let a request be served by the wrong shard.
        if self.caches.is_versioned() {
            for client in 0..self.clients {
                for t in tenants {
                    if let Some(e) = self.caches.entry(client, t.number) {
                        if e.version == self.versions[t.number as usize]
                            && e.phys != self.dir.phys_of(t.number)
                        {
                            return Err(format!(
                                "client {client} holds {}'s current version {} pointing at the wrong shard",
                                t.name, e.version
                            ));
                        }
                    }
                }
            }
        }
        if !self.held.is_empty()
            && self
                .migration
                .as_ref()
                .and_then(|m| m.frozen_since)
                .is_none()
        {
            return Err(format!(
                "{} requests held with no freeze running",
                self.held.len()
            ));
        }
        if let Some(m) = &self.migration {
            for mv in &m.moves {
                if mv.tenant as usize >= tenants.len() || self.dir.index_of(mv.to).is_none() {
                    return Err("a migration names a missing tenant or shard".into());
                }
            }
        }
        Ok(())
    }
}

impl sharding::Placement for DirectoryModel {
    fn nodes(&self) -> Vec<String> {
        (0..self.dir.shard_count()).map(|i| i.to_string()).collect()
    }

    /// A key is named by its tenant (`acme`), a key of a tenant (`acme/17`), or its numeric id.
    fn owners(&self, key: &str) -> Option<Vec<String>> {
        let key = key.trim();
        let tenant = if let Some((name, n)) = key.rsplit_once('/') {
            let t = self.dir.find(name)?;
            let n: u64 = n.trim().parse().ok()?;
            (n < self.dir.tenants()[t as usize].keys).then_some(t)?
        } else if let Some(t) = self.dir.find(key) {
            t
        } else {
            self.tenant_of_key(key.parse().ok()?)?
        };
        Some(vec![self.dir.shard_of(tenant).to_string()])
    }

    fn last_moved(&self) -> Option<Moved> {
        self.last_change.as_ref().map(ShardChange::moved)
    }

    fn last_moves(&self) -> Option<Vec<Move>> {
        let c = self.last_change.as_ref()?;
        Some(c.listed(|id| self.key_name(id)))
    }
}
