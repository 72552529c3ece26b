//! Hot keys and skew: a celebrity key overloads its shard however many shards there are, and
//! three mitigations that do help — splitting the key, read replicas, and a cache in front.
//!
//! # Mechanism
//!
//! Users `0..K` are stored as keys `user:ID` on `N` shards by **jump consistent hash**
//! ([`crate::hashing::jump_bucket`]: FNV-1a 64 of the name, then Lamping & Veach's jump), so
//! adding a shard moves only about 1/(N+1) of the keys — and never splits a key. Requests arrive
//! as a Poisson stream ([`crate::workload`]). Each asks for the **celebrity** with probability
//! `celebrity_share` %, otherwise for a key drawn by the popularity (uniform, or Zipf(s) by id
//! order as rank); it is a write with probability `write_percent` %.
//!
//! A request comes through one of `app_servers` app servers (drawn uniformly) and passes, in
//! order:
//! 0. **The app server's local cache** (`l1_size` > 0, [`LocalCache`]): a small LRU whose
//!    entries live `l1_ttl_ms` and are never invalidated by other servers' writes (a server's own
//!    write drops its copy). A read it answers costs nothing else; it is **stale** when the key
//!    has been written since the entry was filled.
//! 1. **The cache** (`cache_size` > 0): an LRU of user ids per cache node ([`Lru`]), cache-aside,
//!    sharded over `cache_nodes` nodes by jump hash of the key (each node holds an equal part of
//!    `cache_size`). With `hot_copies` = r > 1 the celebrity is cached as r keys `user:ID#j`, copy
//!    j on the j-th node after its own: a read asks one copy at random, a write deletes all r. A
//!    read that hits is answered there and never reaches a shard. A read that misses asks the
//!    shards and then fills the entry (evicting the least recently used). A write goes to the
//!    shards and then deletes the cached copies.
//! 2. **The split router** (`split` = k > 1, for the celebrity only): the celebrity is stored as
//!    k sub-keys `user:ID#0 … #k−1`, each hashed to a shard like any key — so two sub-keys can
//!    land on the same shard (with k = N, only about N·(1 − (1 − 1/N)^k) distinct shards get
//!    one). Two schemes ([`SplitMode`]): **copies** (read-heavy: a write updates all k copies, a
//!    read picks one at random: reads spread k ways, writes cost k) and **parts** (`counter`,
//!    write-heavy: a write goes to one random part, a read gathers all k and combines them:
//!    writes spread k ways, reads cost k). `read_fanout` and `write_fanout` show the price.
//! 3. **The shard's nodes** (`replicas` = R): a read is served by the primary or one of its R
//!    read replicas, uniformly; a write is always served by the primary.
//!
//! **Capacity.** With `cache_op_us` > 0 every cache node, and with `shard_op_us` > 0 every
//! shard node (primary and replicas), is a [`FifoServer`]: one operation at a time, that long
//! each, at most `queue_limit` waiting; an arrival that finds the queue full is dropped and the
//! request fails. A tier that takes time hands the request to the next one in an event at the
//! moment it finishes, so latencies (`read_p50_ms`, `read_p99_ms`, from a [`LatencyHistogram`])
//! are the queues' own. With both times 0 (the default) every tier answers at once, exactly as
//! before capacity was modelled.
//!
//! Load is counted per node (primary and each replica) and per shard (the sum over its nodes).
//! Every accepted input starts a new **measurement period**: the load counters restart, so the
//! numbers describe the current setup. A shard is flagged **hot** once it has more than twice
//! the mean shard load (load × N > 2 × total, after at least 100 shard requests this period),
//! and loses the flag when it falls under 1.75× (hysteresis, so it does not flicker).
//!
//! Why adding shards does not help: with `split` = 1 and no cache, every request for the
//! celebrity goes to the one shard holding it, so that shard serves at least `celebrity_share`
//! of all requests whatever N is; more shards only shrink everyone else's share.
//!
//! # Invariants checked by `validate`
//!
//! Every key's and sub-key's recorded shard is what jump hash gives now; per-shard key counts add
//! up to the stored keys; requests are conserved (reads + writes = requests; local hits + cache
//! hits + reads a cache node dropped + reads on their way + reads that reached shards = reads;
//! node counters add up to the shard requests); no replica ever served a write; each cache node
//! holds at most its part of `cache_size`, only keys that hash to it, and its two indexes agree;
//! the local caches agree with their LRUs; there is one server per node that takes time; the
//! celebrity is one of the users.
//!
//! # Simplifications
//!
//! Service times are fixed, not drawn; a dropped request is not retried; a dropped cache delete
//! is still applied (real invalidation pipelines retry until it lands) and a dropped refill is
//! skipped. Whether a read hits the cache is decided when it reaches the cache node; the fill
//! happens when the shards answer, so while the shards work, other reads of the key miss too
//! (the herd leases prevent), and the cache-aside race (a slow read refilling a value a write has
//! just replaced) can happen once tiers take time — the model neither prevents nor counts it.
//! Every accepted input starts the servers afresh (queues are forgotten). Replicas apply writes by
//! replication, which is not counted as request load, and are never stale (see the replication
//! lesson for lag); copies of a split key are updated together; moving keys on a resize is
//! instant.

use crate::model::{ActionSpec, Ctx, InputError, Metrics, Model};
use crate::models::queueing::{FifoServer, LatencyHistogram};
use crate::models::shard_view::{RecentRequests, ShardFrame};
use crate::models::shard_view::{ShardChange, ShardMove, ShardRequest};
use crate::models::sharding::{Move, Moved, Placement};
use crate::params::{ParamError, ParamSet, ParamSpec};
use crate::query::Queries;
use crate::rng::SimRng;
use crate::scenario::Input;
use crate::time::SimTime;
use crate::workload::Popularity;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

mod local;
mod lru;
mod pipeline;
mod record;
mod report;
mod route;
mod skew;
mod spec;

pub use local::{Local, LocalCache};
pub use lru::Lru;
pub use pipeline::InFlight;
pub use record::{CacheStep, HotKeysRecord, Tier};
pub use route::{
    key_name, route, shard_of, sub_key_id, sub_key_name, Hop, SplitMode, Target, SUB_KEY_STRIDE,
};
pub use skew::{request_weights, top_mass, zipf_top_share};

/// Most shards a run may have.
pub const MAX_SHARDS: u32 = 64;
/// Most users a run may have.
pub const MAX_KEYS: u64 = 10_000;
/// Most sub-keys the celebrity may be split into.
pub const MAX_SPLIT: u32 = 64;
/// Most read replicas per shard.
pub const MAX_REPLICAS: u32 = 5;
/// Largest cache, in keys.
pub const MAX_CACHE: u32 = 2_000;
/// Most cache nodes (and copies of the celebrity in the cache).
pub const MAX_CACHE_NODES: u32 = 16;
/// Most app servers.
pub const MAX_APP_SERVERS: u32 = 64;
/// Largest local cache per app server, in keys.
pub const MAX_L1: u32 = 1_000;
/// Longest service time of one operation, in microseconds (1 s).
pub const MAX_OP_US: u64 = 1_000_000;
/// Longest queue at one node.
pub const MAX_QUEUE: u32 = 10_000;
/// How many users a frame draws (the celebrity and its sub-keys are always drawn).
pub const FRAME_KEYS: u64 = 256;
pub use crate::models::shard_view::REQUEST_SHOWN_US;
/// Shard requests a period needs before any shard is called hot.
pub const HOT_MIN_REQUESTS: u64 = 100;
/// A drawn key is flagged hot when it has at least this percentage of the period's requests
/// (after [`HOT_MIN_REQUESTS`] requests); the celebrity always is.
pub const HOT_KEY_PERCENT: u64 = 5;

/// The model's own events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HotKeysEvent {
    /// The next request arrives.
    Request,
    /// A request a tier made wait moves on to the next tier.
    Stage(Box<InFlight>),
}

/// The load counters of one measurement period (since the last accepted input).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Load {
    /// When the period started.
    pub since: SimTime,
    /// Client requests.
    pub requests: u64,
    /// Of which reads.
    pub reads: u64,
    /// Of which writes.
    pub writes: u64,
    /// Reads answered by the cache.
    pub cache_hits: u64,
    /// Reads that reached the shards.
    pub read_queries: u64,
    /// Writes that reached the shards (all of them).
    pub write_queries: u64,
    /// Shard requests made by reads (more than `read_queries` when a read gathers sub-keys).
    pub read_hops: u64,
    /// Shard requests made by writes (more than `write_queries` when a write updates copies).
    pub write_hops: u64,
    /// Requests for the celebrity (its share plus whatever its ordinary popularity adds).
    pub celebrity_requests: u64,
    /// Reads served per node, at `shard × (replicas + 1) + node` (node 0 = the primary).
    pub node_reads: Vec<u64>,
    /// Writes served per node, indexed the same way.
    pub node_writes: Vec<u64>,
    /// Shard requests per sub-key of the split celebrity.
    pub sub_hops: Vec<u64>,
    /// Requests per user id.
    pub per_key: BTreeMap<u64, u64>,
    /// Reads that looked in their app server's local cache.
    pub l1_lookups: u64,
    /// Of which it answered.
    pub l1_hits: u64,
    /// Of which with a value a write had already replaced.
    pub l1_stale: u64,
    /// Operations per cache node (gets, sets and deletes).
    pub cache_ops: Vec<u64>,
    /// Reads refused by a full cache node (they fail).
    pub cache_drops: u64,
    /// Requests that failed because a shard node they needed was full.
    pub shard_drops: u64,
    /// Shard requests refused by full shard nodes.
    pub dropped_hops: u64,
    /// Reads that missed the caches and have not reached the shards yet (waiting in a cache
    /// node's queue).
    pub awaiting_shards: u64,
    /// Read latencies, from arrival to answer, in microseconds (local hits count 0).
    pub latency: LatencyHistogram,
}

impl Load {
    fn new(since: SimTime, shards: u32, replicas: u32, split: u32, cache_nodes: u32) -> Self {
        let nodes = shards as usize * (replicas as usize + 1);
        Load {
            since,
            node_reads: vec![0; nodes],
            node_writes: vec![0; nodes],
            cache_ops: vec![0; cache_nodes as usize],
            sub_hops: vec![0; if split > 1 { split as usize } else { 0 }],
            ..Load::default()
        }
    }

    /// All shard requests.
    pub fn hops(&self) -> u64 {
        self.read_hops + self.write_hops
    }

    /// Requests served by node `i` (reads and writes).
    pub fn node(&self, i: usize) -> u64 {
        self.node_reads[i] + self.node_writes[i]
    }
}

/// The hot-keys lesson model.
#[derive(Clone, Debug)]
pub struct HotKeys {
    shards: u32,
    keys: u64,
    /// Each user's shard, by id.
    key_shard: Rc<Vec<u32>>,
    keys_per_shard: Vec<u64>,
    celebrity: u64,
    share: u32,
    write_percent: u32,
    split: u32,
    mode: SplitMode,
    /// Each sub-key's shard, by suffix (empty unless split > 1).
    sub_shards: Vec<u32>,
    replicas: u32,
    /// The cache's total size in keys, split evenly over its nodes.
    cache_size: u32,
    /// One LRU per cache node.
    caches: Vec<Lru>,
    cache_nodes: u32,
    /// Copies of the celebrity in the cache (1 = just the key).
    hot_copies: u32,
    /// Service time of one cache operation (0: no queueing).
    cache_us: u64,
    /// Service time of one shard request (0: no queueing).
    shard_us: u64,
    queue_limit: u32,
    /// One FIFO server per cache node, when cache operations take time.
    cache_servers: Vec<FifoServer>,
    /// One FIFO server per shard node (`shard × (replicas + 1) + node`), when shard requests take
    /// time.
    shard_servers: Vec<FifoServer>,
    app_servers: u32,
    /// One local cache per app server (empty when there are none).
    locals: Vec<LocalCache>,
    l1_ttl_us: u64,
    /// Writes applied per user: the version a reader sees.
    versions: BTreeMap<u64, u64>,
    /// Measurement periods so far (a request carries the one it arrived in).
    period: u64,
    /// When the last event happened (utilisations are measured up to it).
    now: SimTime,
    zipf: Option<f64>,
    popularity: Popularity,
    rate_per_sec: f64,
    /// Routing choices (which copy, which replica) come from their own stream, so every variant
    /// of a comparison sees the same requests whatever its routing draws.
    route_rng: SimRng,
    load: Load,
    hot: BTreeSet<u32>,
    last_change: Option<ShardChange>,
    recent: RecentRequests,
    /// Client requests in the whole run (query ids).
    queries: u64,
    /// Shard requests and cache answers in the whole run (pulse ids).
    pulses: u64,
    /// The ideal hit rate of a cache of this size (0–1), when there is a cache.
    cache_top: Option<f64>,
}

/// Parses `42`, `user 42`, `user:42`, `user-42`, optionally with a sub-key suffix `#3`.
fn parse_user(text: &str) -> Option<(u64, Option<u32>)> {
    let t = text
        .trim()
        .trim_start_matches("user")
        .trim_start_matches([' ', ':', '-', '_']);
    match t.split_once('#') {
        Some((id, sub)) => Some((id.trim().parse().ok()?, Some(sub.trim().parse().ok()?))),
        None => Some((t.parse().ok()?, None)),
    }
}

fn parse_count(arg: &str, what: &str, example: &str) -> Result<u64, InputError> {
    arg.parse()
        .map_err(|_| InputError(format!("{what} needs a whole number, e.g. {example}")))
}

impl HotKeys {
    /// The shard of user `id` (its home shard; a split celebrity's data is on its sub-keys').
    pub fn shard_of_key(&self, id: u64) -> u32 {
        self.key_shard
            .get(id as usize)
            .copied()
            .unwrap_or_else(|| shard_of(&key_name(id), self.shards))
    }

    /// The celebrity's user id.
    pub fn celebrity(&self) -> u64 {
        self.celebrity
    }

    /// The shards holding the celebrity's data: one per sub-key when split, else its shard.
    pub fn celebrity_shards(&self) -> Vec<u32> {
        if self.split > 1 {
            self.sub_shards.clone()
        } else {
            vec![self.shard_of_key(self.celebrity)]
        }
    }

    /// Read replicas per shard.
    pub fn replicas(&self) -> u32 {
        self.replicas
    }

    /// The load counters of the current measurement period.
    pub fn load(&self) -> &Load {
        &self.load
    }

    /// The cache in front of the shards: one LRU per cache node.
    pub fn caches(&self) -> &[Lru] {
        &self.caches
    }

    /// The cache nodes' FIFO servers (empty when cache operations take no time).
    pub fn cache_servers(&self) -> &[FifoServer] {
        &self.cache_servers
    }

    /// The shard nodes' FIFO servers, at `shard × (replicas + 1) + node` (empty when shard
    /// requests take no time).
    pub fn shard_servers(&self) -> &[FifoServer] {
        &self.shard_servers
    }

    /// The app servers' local caches (empty when there are none).
    pub fn locals(&self) -> &[LocalCache] {
        &self.locals
    }

    fn cache_on(&self) -> bool {
        self.cache_size > 0
    }

    /// Node `i`'s part of a cache of `size` keys over `nodes` nodes (equal, the first ones
    /// taking the remainder).
    fn node_capacity(size: u32, nodes: u32, i: u32) -> u32 {
        size / nodes + u32::from(i < size % nodes)
    }

    /// Resizes the cache to `size` keys over `nodes` nodes, keeping what still fits where its key
    /// now hashes; returns how many cached keys were evicted.
    fn reshape_cache(&mut self, size: u32, nodes: u32) -> u64 {
        let before: u64 = self.caches.iter().map(|c| u64::from(c.len())).sum();
        if nodes == self.cache_nodes && self.caches.len() == nodes as usize {
            for (i, c) in self.caches.iter_mut().enumerate() {
                c.set_capacity(Self::node_capacity(size, nodes, i as u32));
            }
        } else {
            let old = std::mem::take(&mut self.caches);
            self.cache_nodes = nodes;
            self.caches = (0..nodes)
                .map(|i| Lru::new(Self::node_capacity(size, nodes, i)))
                .collect();
            for c in &old {
                for id in c.keys_by_age() {
                    let node = self.cache_node_of(id) as usize;
                    self.caches[node].insert(id);
                }
            }
        }
        self.cache_size = size;
        let after: u64 = self.caches.iter().map(|c| u64::from(c.len())).sum();
        before - after
    }

    /// Shard requests this period per shard (primary and replicas together).
    pub fn shard_loads(&self) -> Vec<u64> {
        let per = self.replicas as usize + 1;
        (0..self.shards as usize)
            .map(|s| (0..per).map(|r| self.load.node(s * per + r)).sum())
            .collect()
    }

    fn split_active(&self) -> bool {
        self.split > 1
    }

    /// Every stored key as `(drawn id, shard)`: users in id order (the split celebrity's base
    /// key is not stored), then the celebrity's sub-keys by suffix.
    fn stored(&self) -> Vec<(u64, u32)> {
        let mut out: Vec<(u64, u32)> = self
            .key_shard
            .iter()
            .enumerate()
            .filter(|(id, _)| !(self.split_active() && *id as u64 == self.celebrity))
            .map(|(id, s)| (id as u64, *s))
            .collect();
        out.extend(
            self.sub_shards
                .iter()
                .enumerate()
                .map(|(j, s)| (sub_key_id(self.celebrity, j as u32), *s)),
        );
        out
    }

    fn place_subs(&mut self) {
        self.sub_shards = if self.split_active() {
            (0..self.split)
                .map(|j| shard_of(&sub_key_name(self.celebrity, j), self.shards))
                .collect()
        } else {
            Vec::new()
        };
    }

    fn recount(&mut self) {
        let mut counts = vec![0u64; self.shards as usize];
        for (_, s) in self.stored() {
            counts[s as usize] += 1;
        }
        self.keys_per_shard = counts;
    }

    fn refresh_cache_top(&mut self) {
        self.cache_top = (self.cache_size > 0).then(|| {
            let celeb = (self.share > 0).then(|| (self.celebrity, f64::from(self.share) / 100.0));
            top_mass(
                &request_weights(self.keys, self.zipf, celeb),
                self.cache_size,
            )
        });
    }

    /// Starts a new measurement period at `now`.
    /// Requests still queued at a node from before belong to the old period: they still occupy
    /// nothing in the new servers, which start idle (a simplification: a change forgets queues).
    fn restart(&mut self, now: SimTime) {
        self.period += 1;
        self.load = Load::new(
            now,
            self.shards,
            self.replicas,
            self.split,
            self.cache_nodes,
        );
        self.hot.clear();
        self.recent.clear();
        let bounded = |n: u32| -> Vec<FifoServer> {
            (0..n)
                .map(|_| FifoServer::bounded(now, self.queue_limit))
                .collect()
        };
        self.cache_servers = if self.cache_us > 0 && self.cache_on() {
            bounded(self.cache_nodes)
        } else {
            Vec::new()
        };
        self.shard_servers = if self.shard_us > 0 {
            bounded(self.shards * (self.replicas + 1))
        } else {
            Vec::new()
        };
    }

    fn resize(&mut self, to: u32, ctx: &mut Ctx<'_, Self>) -> Result<(), InputError> {
        if !(1..=MAX_SHARDS).contains(&to) {
            return Err(InputError(format!(
                "a run has between 1 and {MAX_SHARDS} shards, not {to}"
            )));
        }
        let from = self.shards;
        let before = self.stored();
        let celeb_before = self.celebrity_shards()[0];
        self.shards = to;
        self.key_shard = Rc::new(
            (0..self.keys)
                .map(|id| shard_of(&key_name(id), to))
                .collect(),
        );
        self.place_subs();
        self.recount();
        let after = self.stored();
        let moves: Vec<ShardMove> = before
            .iter()
            .zip(&after)
            .filter(|(a, b)| a.1 != b.1)
            .map(|(a, b)| ShardMove {
                id: a.0,
                from: a.1,
                to: b.1,
            })
            .collect();
        let total = after.len() as u64;
        ctx.record(HotKeysRecord::Resized {
            from,
            to,
            moved: moves.len() as u64,
            total,
            celebrity: (celeb_before, self.celebrity_shards()[0]),
        });
        self.last_change = Some(ShardChange {
            at: ctx.now,
            from_shards: from,
            to_shards: to,
            moves: moves.into(),
            total,
        });
        self.restart(ctx.now);
        Ok(())
    }

    fn set_replicas(&mut self, to: u32, ctx: &mut Ctx<'_, Self>) -> Result<(), InputError> {
        if to > MAX_REPLICAS {
            return Err(InputError(format!(
                "a shard has at most {MAX_REPLICAS} read replicas here"
            )));
        }
        let from = self.replicas;
        self.replicas = to;
        ctx.record(HotKeysRecord::Replicas { from, to });
        self.restart(ctx.now);
        Ok(())
    }

    fn schedule_request(&self, ctx: &mut Ctx<'_, Self>) {
        ctx.schedule_poisson(self.rate_per_sec, HotKeysEvent::Request);
    }

    fn pulse(&mut self, request: ShardRequest) {
        self.recent.push(request);
    }

    /// Flags shards over twice the mean load, and unflags those back under 1.75× (integer
    /// arithmetic: load × N against multiples of the total).
    fn update_hot(&mut self, ctx: &mut Ctx<'_, Self>) {
        let total = self.load.hops();
        if total < HOT_MIN_REQUESTS {
            return;
        }
        let n = u64::from(self.shards);
        for (s, l) in self.shard_loads().into_iter().enumerate() {
            let s = s as u32;
            let record = |load: u64| (s, load, total, self.shards);
            if !self.hot.contains(&s) && l * n > 2 * total {
                self.hot.insert(s);
                let (shard, load, total, shards) = record(l);
                ctx.record(HotKeysRecord::HotShard {
                    shard,
                    load,
                    total,
                    shards,
                });
            } else if self.hot.contains(&s) && 4 * l * n < 7 * total {
                self.hot.remove(&s);
                let (shard, load, total, shards) = record(l);
                ctx.record(HotKeysRecord::Cooled {
                    shard,
                    load,
                    total,
                    shards,
                });
            }
        }
    }
}

impl Model for HotKeys {
    type Event = HotKeysEvent;
    type Record = HotKeysRecord;
    type Frame = ShardFrame;
    const ID: &'static str = "hot-keys";

    fn specs() -> Vec<ParamSpec> {
        spec::specs()
    }

    fn actions() -> Vec<ActionSpec> {
        spec::actions()
    }

    fn build(params: &ParamSet, ctx: &mut Ctx<'_, Self>) -> Result<Self, ParamError> {
        let keys = params.int("keys").clamp(1, MAX_KEYS as i64) as u64;
        let celebrity = params.int("celebrity").max(0) as u64;
        if celebrity >= keys {
            return Err(ParamError {
                param: "celebrity".to_string(),
                value: celebrity.to_string(),
                allowed: format!("a user id below the number of users ({keys})"),
            });
        }
        let shards = params.int("shards").clamp(1, i64::from(MAX_SHARDS)) as u32;
        let replicas = params.int("replicas").clamp(0, i64::from(MAX_REPLICAS)) as u32;
        let split = params.int("split").clamp(1, i64::from(MAX_SPLIT)) as u32;
        let zipf = (params.text("popularity") == "zipf").then(|| params.float("zipf_s"));
        let route_seed = ctx.rng.next_u64();
        let cache_nodes = params
            .int("cache_nodes")
            .clamp(1, i64::from(MAX_CACHE_NODES)) as u32;
        let app_servers = params
            .int("app_servers")
            .clamp(1, i64::from(MAX_APP_SERVERS)) as u32;
        let l1_size = params.int("l1_size").clamp(0, i64::from(MAX_L1)) as u32;
        let mut model = HotKeys {
            shards,
            keys,
            key_shard: Rc::new(
                (0..keys)
                    .map(|id| shard_of(&key_name(id), shards))
                    .collect(),
            ),
            keys_per_shard: Vec::new(),
            celebrity,
            share: params.int("celebrity_share").clamp(0, 90) as u32,
            write_percent: params.int("write_percent").clamp(0, 100) as u32,
            split,
            mode: SplitMode::parse(params.text("split_mode")),
            sub_shards: Vec::new(),
            replicas,
            cache_size: 0,
            caches: Vec::new(),
            cache_nodes,
            hot_copies: params
                .int("hot_copies")
                .clamp(1, i64::from(MAX_CACHE_NODES)) as u32,
            cache_us: params.int("cache_op_us").clamp(0, MAX_OP_US as i64) as u64,
            shard_us: params.int("shard_op_us").clamp(0, MAX_OP_US as i64) as u64,
            queue_limit: params.int("queue_limit").clamp(0, i64::from(MAX_QUEUE)) as u32,
            cache_servers: Vec::new(),
            shard_servers: Vec::new(),
            app_servers,
            locals: (0..if l1_size > 0 { app_servers } else { 0 })
                .map(|_| LocalCache::new(l1_size))
                .collect(),
            l1_ttl_us: params.int("l1_ttl_ms").clamp(1, 60_000) as u64 * 1_000,
            versions: BTreeMap::new(),
            period: 0,
            now: ctx.now,
            zipf,
            popularity: Popularity::from_params(params, keys),
            rate_per_sec: params.int("request_rate").max(0) as f64,
            route_rng: SimRng::new(route_seed),
            load: Load::default(),
            hot: BTreeSet::new(),
            last_change: None,
            recent: RecentRequests::default(),
            queries: 0,
            pulses: 0,
            cache_top: None,
        };
        model.reshape_cache(
            params.int("cache_size").clamp(0, i64::from(MAX_CACHE)) as u32,
            cache_nodes,
        );
        model.place_subs();
        model.recount();
        model.refresh_cache_top();
        model.restart(ctx.now);
        ctx.record(HotKeysRecord::Built {
            shards,
            keys,
            celebrity,
            share: model.share,
            celebrity_shard: model.celebrity_shards()[0],
        });
        model.schedule_request(ctx);
        Ok(model)
    }

    fn apply(&mut self, input: &Input, ctx: &mut Ctx<'_, Self>) -> Result<(), InputError> {
        self.now = ctx.now;
        let arg = input.arg.as_deref().unwrap_or("").trim();
        match input.action.as_str() {
            "add-shard" => self.resize(self.shards + 1, ctx),
            "remove-shard" => {
                let last = self.shards - 1;
                if self.shards == 1 {
                    return Err(InputError("the last shard cannot be removed".to_string()));
                }
                if !arg.is_empty() && arg.parse::<u32>().ok() != Some(last) {
                    return Err(InputError(format!(
                        "jump hash numbers shards 0 to {last} and can only remove the last one, shard {last}; removing shard {arg} would renumber every shard after it"
                    )));
                }
                self.resize(last, ctx)
            }
            "resize" => {
                let to = parse_count(arg, "resize", "resize:16")?;
                self.resize(u32::try_from(to).unwrap_or(u32::MAX), ctx)
            }
            "add-keys" => {
                let n = parse_count(arg, "add-keys", "add-keys:100")?;
                let total = self.keys.saturating_add(n);
                if n == 0 || total > MAX_KEYS {
                    return Err(InputError(format!(
                        "add-keys needs 1 to {} more users (a run has at most {MAX_KEYS})",
                        MAX_KEYS - self.keys
                    )));
                }
                let shards = self.shards;
                Rc::make_mut(&mut self.key_shard)
                    .extend((self.keys..total).map(|id| shard_of(&key_name(id), shards)));
                self.keys = total;
                if let Some(s) = self.zipf {
                    self.popularity = Popularity::zipf(total, s);
                }
                self.recount();
                self.refresh_cache_top();
                ctx.record(HotKeysRecord::KeysAdded { added: n, total });
                self.restart(ctx.now);
                Ok(())
            }
            "celebrity" => {
                let id = match parse_user(arg) {
                    Some((id, None)) if id < self.keys => id,
                    _ => {
                        return Err(InputError(format!(
                            "celebrity needs a user id from 0 to {}, e.g. celebrity:7",
                            self.keys - 1
                        )))
                    }
                };
                let from = self.celebrity;
                self.celebrity = id;
                self.place_subs();
                self.recount();
                self.refresh_cache_top();
                ctx.record(HotKeysRecord::CelebrityChanged {
                    from,
                    to: id,
                    shards: self.celebrity_shards(),
                    share: self.share,
                });
                self.restart(ctx.now);
                Ok(())
            }
            "split" => {
                let k = parse_count(arg, "split", "split:8")?;
                if !(1..=u64::from(MAX_SPLIT)).contains(&k) {
                    return Err(InputError(format!(
                        "split needs 1 to {MAX_SPLIT} sub-keys (1 = not split)"
                    )));
                }
                self.split = k as u32;
                self.place_subs();
                self.recount();
                ctx.record(HotKeysRecord::Split {
                    key: self.celebrity,
                    k: self.split,
                    mode: self.mode,
                    shards: self.celebrity_shards(),
                });
                self.restart(ctx.now);
                Ok(())
            }
            "add-replica" => self.set_replicas(self.replicas + 1, ctx),
            "remove-replica" => {
                if self.replicas == 0 {
                    return Err(InputError("the shards have no read replicas".to_string()));
                }
                self.set_replicas(self.replicas - 1, ctx)
            }
            "cache" => {
                let size = parse_count(arg, "cache", "cache:100")?;
                if size > u64::from(MAX_CACHE) {
                    return Err(InputError(format!(
                        "the cache holds 0 to {MAX_CACHE} keys, not {size}"
                    )));
                }
                let from = self.cache_size;
                let evicted = self.reshape_cache(size as u32, self.cache_nodes);
                self.refresh_cache_top();
                ctx.record(HotKeysRecord::CacheResized {
                    from,
                    to: size as u32,
                    evicted,
                });
                self.restart(ctx.now);
                Ok(())
            }
            "cache-nodes" => {
                let n = parse_count(arg, "cache-nodes", "cache-nodes:8")?;
                if !(1..=u64::from(MAX_CACHE_NODES)).contains(&n) {
                    return Err(InputError(format!(
                        "the cache has 1 to {MAX_CACHE_NODES} nodes, not {n}"
                    )));
                }
                let from = self.cache_nodes;
                let evicted = self.reshape_cache(self.cache_size, n as u32);
                ctx.record(HotKeysRecord::CacheNodes {
                    from,
                    to: n as u32,
                    evicted,
                    celebrity: self.celebrity_cache_nodes(),
                });
                self.restart(ctx.now);
                Ok(())
            }
            other => Err(InputError(format!(
                "unknown action {other:?}; this lesson knows celebrity, add-shard, remove-shard, resize, add-keys, split, add-replica, remove-replica, cache and cache-nodes"
            ))),
        }
    }

    fn handle(&mut self, event: HotKeysEvent, ctx: &mut Ctx<'_, Self>) {
        self.now = ctx.now;
        match event {
            HotKeysEvent::Stage(f) => self.advance(*f, ctx),
            HotKeysEvent::Request => {
                // The workload's draws (celebrity or not, which key, read or write) come from
                // the run's stream in a fixed order; routing draws come from `route_rng`.
                let celeb = ctx.rng.below(100) < u64::from(self.share);
                let key = if celeb {
                    Some(self.celebrity)
                } else {
                    self.popularity.pick(ctx.rng, self.keys)
                };
                let write = ctx.rng.below(100) < u64::from(self.write_percent);
                if let Some(key) = key {
                    self.serve(key, write, ctx);
                }
                self.schedule_request(ctx);
            }
        }
    }

    fn frame(&self, now: SimTime) -> ShardFrame {
        self.frame_at(now)
    }

    fn metrics(&self) -> Metrics {
        self.metrics_now()
    }

    fn queries() -> Queries<Self> {
        Queries::new().with::<dyn Placement>(|m| m)
    }

    fn validate(&self) -> Result<(), String> {
        self.check_placement()?;
        self.check_load()?;
        self.check_caches()?;
        if let Some(s) = self.hot.iter().find(|s| **s >= self.shards) {
            return Err(format!("shard {s} is flagged hot but does not exist"));
        }
        Ok(())
    }
}

impl Placement for HotKeys {
    fn nodes(&self) -> Vec<String> {
        (0..self.shards).map(|i| i.to_string()).collect()
    }

    /// A user is named by id (`42`, `user 42`, `user:42`); a split celebrity's owners are its
    /// sub-keys' shards in suffix order (repeats dropped), and `42#3` names one sub-key.
    fn owners(&self, key: &str) -> Option<Vec<String>> {
        let (id, sub) = parse_user(key)?;
        let split_celeb = self.split_active() && id == self.celebrity;
        match sub {
            Some(j) => (split_celeb && j < self.split)
                .then(|| vec![self.sub_shards[j as usize].to_string()]),
            None if split_celeb => {
                let mut out: Vec<String> = Vec::new();
                for s in &self.sub_shards {
                    let s = s.to_string();
                    if !out.contains(&s) {
                        out.push(s);
                    }
                }
                Some(out)
            }
            None => Some(vec![self.shard_of_key(id).to_string()]),
        }
    }

    fn last_moved(&self) -> Option<Moved> {
        self.last_change.as_ref().map(ShardChange::moved)
    }

    fn last_moves(&self) -> Option<Vec<Move>> {
        let c = self.last_change.as_ref()?;
        Some(
            c.moves
                .iter()
                .map(|m| Move {
                    key: if m.id >= SUB_KEY_STRIDE {
                        format!("{}#{}", m.id % SUB_KEY_STRIDE, m.id / SUB_KEY_STRIDE - 1)
                    } else {
                        m.id.to_string()
                    },
                    from: m.from.to_string(),
                    to: m.to.to_string(),
                })
                .collect(),
        )
    }
}

impl HotKeys {
    fn check_placement(&self) -> Result<(), String> {
        if self.celebrity >= self.keys {
            return Err(format!(
                "the celebrity {} is not one of the {} users",
                self.celebrity, self.keys
            ));
        }
        if self.key_shard.len() as u64 != self.keys {
            return Err(format!(
                "{} placements for {} users",
                self.key_shard.len(),
                self.keys
            ));
        }
        for (id, s) in self.key_shard.iter().enumerate() {
            let want = shard_of(&key_name(id as u64), self.shards);
            if *s != want {
                return Err(format!("user {id} is on shard {s} but hashes to {want}"));
            }
        }
        let want_subs = if self.split_active() { self.split } else { 0 };
        if self.sub_shards.len() as u32 != want_subs {
            return Err(format!(
                "{} sub-keys placed for split {}",
                self.sub_shards.len(),
                self.split
            ));
        }
        for (j, s) in self.sub_shards.iter().enumerate() {
            let want = shard_of(&sub_key_name(self.celebrity, j as u32), self.shards);
            if *s != want {
                return Err(format!("sub-key #{j} is on shard {s} but hashes to {want}"));
            }
        }
        if self.keys_per_shard.len() != self.shards as usize {
            return Err(format!(
                "{} key counts for {} shards",
                self.keys_per_shard.len(),
                self.shards
            ));
        }
        let stored = self.keys - u64::from(self.split_active()) + u64::from(want_subs);
        let sum: u64 = self.keys_per_shard.iter().sum();
        if sum != stored {
            return Err(format!(
                "per-shard key counts add up to {sum}, not the {stored} stored keys"
            ));
        }
        Ok(())
    }

    fn check_caches(&self) -> Result<(), String> {
        if self.caches.len() != self.cache_nodes as usize {
            return Err(format!(
                "{} cache LRUs for {} cache nodes",
                self.caches.len(),
                self.cache_nodes
            ));
        }
        let mut total = 0;
        for (i, c) in self.caches.iter().enumerate() {
            c.validate()?;
            total += c.capacity();
            if let Some(id) = c
                .keys_by_age()
                .find(|id| self.cache_node_of(*id) != i as u32)
            {
                return Err(format!(
                    "cache node {i} holds {} but it hashes to node {}",
                    Self::cached_name(id),
                    self.cache_node_of(id)
                ));
            }
        }
        if total != self.cache_size {
            return Err(format!(
                "the cache nodes hold {total} keys between them, not the cache's {}",
                self.cache_size
            ));
        }
        for l in &self.locals {
            l.validate()?;
        }
        let l = &self.load;
        if l.l1_hits > l.l1_lookups || l.l1_stale > l.l1_hits {
            return Err(format!(
                "{} local hits ({} stale) of {} lookups",
                l.l1_hits, l.l1_stale, l.l1_lookups
            ));
        }
        if l.cache_ops.len() != self.cache_nodes as usize {
            return Err("cache op counters do not match the cache nodes".to_string());
        }
        let shard_nodes = if self.shard_us > 0 {
            self.shards * (self.replicas + 1)
        } else {
            0
        };
        if self.shard_servers.len() != shard_nodes as usize {
            return Err(format!(
                "{} shard servers for {shard_nodes} shard nodes",
                self.shard_servers.len()
            ));
        }
        Ok(())
    }

    fn check_load(&self) -> Result<(), String> {
        let l = &self.load;
        let nodes = self.shards as usize * (self.replicas as usize + 1);
        if l.node_reads.len() != nodes || l.node_writes.len() != nodes {
            return Err(format!(
                "node counters for {} nodes, not {nodes}",
                l.node_reads.len()
            ));
        }
        let per = self.replicas as usize + 1;
        if let Some(i) = (0..nodes).find(|i| i % per != 0 && l.node_writes[*i] > 0) {
            return Err(format!(
                "replica {} of shard {} served a write",
                i % per,
                i / per
            ));
        }
        let checks = [
            (l.reads + l.writes, l.requests, "reads + writes", "requests"),
            (
                l.l1_hits + l.cache_hits + l.cache_drops + l.read_queries + l.awaiting_shards,
                l.reads,
                "local hits + cache hits + reads a cache node refused + reads that reached shards + reads on their way",
                "reads",
            ),
            (
                l.write_queries,
                l.writes,
                "writes that reached shards",
                "writes",
            ),
            (
                l.node_reads.iter().sum(),
                l.read_hops,
                "reads served by nodes",
                "read shard requests",
            ),
            (
                l.node_writes.iter().sum(),
                l.write_hops,
                "writes served by nodes",
                "write shard requests",
            ),
            (
                l.per_key.values().sum(),
                l.requests,
                "requests per user",
                "requests",
            ),
            (
                l.per_key.get(&self.celebrity).copied().unwrap_or(0),
                l.celebrity_requests,
                "the celebrity's requests per user",
                "celebrity requests",
            ),
        ];
        for (a, b, what, whole) in checks {
            if a != b {
                return Err(format!("{what} ({a}) differ from {whole} ({b})"));
            }
        }
        if l.read_hops + l.write_hops + l.dropped_hops < l.read_queries + l.write_queries {
            return Err("a request that reached the shards made no shard request".to_string());
        }
        let subs: u64 = l.sub_hops.iter().sum();
        if subs > l.hops() {
            return Err(format!(
                "sub-keys served {subs} shard requests of only {}",
                l.hops()
            ));
        }
        Ok(())
    }
}
