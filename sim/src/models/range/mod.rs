//! Range sharding: each shard owns a contiguous range of ids, cut by editable split points.
//!
//! The notes' examples (catalogue B, D10): the Dharavi sectors put family ids 1–100,000,
//! 100,001–200,000 and 200,001–300,000 in sectors 1–3; the train lines put user ids
//! 0–33,000,000, 33,000,001–66,000,000 and 66,000,001–100,000,000 on the western, central and
//! harbour lines. A router finds an id's range by binary search over the split points
//! ([`table::RangeTable`]). Neighbouring ids share a shard, so a range scan asks only the shards
//! whose ranges it crosses — and ids that only grow (auto-increment sign-ups, timestamps) all land
//! on the last range: the *hot tail*. Splitting a range (at its median key, as HBase, Bigtable and
//! CockroachDB do automatically when a range grows) moves only that range's upper keys; merging
//! two neighbours moves only one side's keys. For contrast, `partition = hash` places the same ids
//! by `murmur3(id) % N`: writes spread evenly, but every scan must ask every shard and every
//! change of N re-hashes most keys.
//!
//! Split and move can be two steps (`split_moves = later`), as in HBase and CockroachDB: a split
//! then only edits the range table (both halves stay on their node, no key moves), and a range's
//! keys move when it is relocated, by `move:S[:NODE|new]` or by the rebalancer `rebalance_ms`
//! after the split (to the node holding the fewest keys). Without a given point a split cuts at
//! the median key (`split_by = size`) or at the median of the range's last [`RECENT_LOAD`]
//! requests (`split_by = load`); with sequential ids neither spreads the writes.
//!
//! `partition_by` and `primary_key` check MySQL's rule for partitioned tables: every column of the
//! partitioning expression must be in the primary key, or the table is refused with MySQL's
//! error 1503 ([`spec::check_primary_key`]).
//!
//! Inputs: `split:S[:AT]` (AT is the last id kept by S; without it, S's lower median key, so each
//! half holds half the keys), `merge:S` (with its right neighbour, on S's server),
//! `set-boundaries:LIST`, `add-shard` (split the fullest range at its median), `remove-shard[:S]`
//! (S's range and keys go to its left neighbour; shard 0's to its right one; default the last),
//! `resize:N`, `add-keys:N`, `insert:ID`, `lookup:ID`, `scan:LO-HI`. Under hash partitioning
//! every change of shards is a change of N.
//!
//! Ids outside `[min_id, max_id]` are refused (`out_of_range = reject`, the train lines' "need new
//! train line!") or land on the nearest end range (`clamp`, the Dharavi lookup's unchecked
//! `else`, which sends 500,000 to sector 3 and 0 to sector 1).
//!
//! Invariants checked by `validate`: the ranges tile the key space with no gap and no overlap
//! (strictly ascending split points inside the space, one server per range); keys are sorted,
//! distinct and — under `reject` — inside the space; the per-shard key counts equal a recount and
//! add up to the number of keys; every key the last change moved sits on the shard it moved to.
//!
//! **Capacity.** Each node (the server behind one or more ranges) is a
//! [`FifoServer`](crate::models::queueing::FifoServer): one request at a time, `read_ms` per read
//! or scan part and `write_ms` per write (by default the notes' 0.05 s and 0.1 s), at most
//! `queue_limit` waiting; a request that finds the queue full fails. A request's latency is its
//! wait plus its service, recorded when it completes (a [`RangeEvent::Done`] at that time). So a
//! hot last range shows as a growing queue and a growing p99 while the other ranges idle. A
//! node's queue belongs to the node: a range moved away leaves its queued work behind, a new
//! node starts idle when it joins. Utilisation and queues are read at the last event. `add-keys` is a bulk load (its ids are written straight into the ranges, as
//! HBase's bulk load writes store files), not requests.
//!
//! Simplifications: moving a key is instant (no copy traffic or double reads during a move);
//! service times are fixed (no variation, no caches, no batching), one worker per node; the
//! router is local and instant; shards never fail (without replicas each range is a single
//! point of failure for its ids — the notes' "no single point of failure" is wrong); per-shard
//! read and write counts restart at every change of shards (latencies and drops do not).

pub mod command;
mod record;
mod reshape;
pub mod spec;
pub mod table;
mod traffic;
mod view;

pub use record::{Queued, RangeRecord, Reshape, SplitHow};
pub use spec::{IdOrder, OutOfRange, Partition, SplitBy, SplitMoves};
pub use table::RangeTable;

use crate::model::{ActionSpec, Ctx, InputError, Metrics, Model};
use crate::models::queueing::{FifoServer, LatencyHistogram};
use crate::models::shard_view::ShardChange;
use crate::models::shard_view::{RecentRequests, ShardFrame};
use crate::models::sharding::{Move, Moved, Placement};
use crate::params::{ParamError, ParamSet, ParamSpec};
use crate::query::Queries;
use crate::scenario::Input;
use crate::time::SimTime;
use crate::workload::Popularity;
use command::{parse_id, Command};
use std::rc::Rc;

/// How many keys a frame draws.
pub const FRAME_KEYS: usize = 256;
pub use crate::models::shard_view::REQUEST_SHOWN_US;

/// How ids map to shards right now.
#[derive(Clone, Debug, PartialEq)]
pub enum Layout {
    /// By the range table.
    Range(RangeTable),
    /// By `murmur3(id) % n`.
    Hash {
        /// Shards.
        n: u32,
    },
}

/// Where the router sends an id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// To this shard; `clamped` when the id lies outside the space.
    To {
        /// The shard.
        shard: u32,
        /// Outside the space, placed by clamping.
        clamped: bool,
    },
    /// Nowhere: the id is outside the space and the policy is `reject`.
    Refused,
}

/// How many recent requests (reads and writes, by key) a load-based split looks at.
pub const RECENT_LOAD: usize = 200;

/// The model's own events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RangeEvent {
    /// The next read arrives.
    Read,
    /// The next new key is written.
    Insert,
    /// The rebalancer's turn for the range starting at this id (the upper half of a split).
    Rebalance(u64),
    /// A request (or a scan, once its slowest part is back) completes, this long after it
    /// arrived.
    Done {
        /// Its latency, queueing included.
        latency_us: u64,
    },
}

/// The range-sharding lesson model.
#[derive(Clone, Debug)]
pub struct RangeShards {
    layout: Layout,
    min_id: u64,
    max_id: u64,
    policy: OutOfRange,
    ids: IdOrder,
    time_gap: u64,
    /// Custom names by shard position.
    names: Vec<Option<String>>,
    /// Key ids, ascending and distinct.
    keys: Rc<Vec<u64>>,
    /// The last id the sequential or time-ordered rule issued.
    last_issued: Option<u64>,
    keys_per_shard: Vec<u64>,
    /// Reads (and scan sub-queries) per shard since the last change of shards.
    reads_per_shard: Vec<u64>,
    /// Writes per shard since the last change of shards.
    writes_per_shard: Vec<u64>,
    requests_total: u64,
    writes_total: u64,
    refused: u64,
    clamped: u64,
    next_request: u64,
    /// Shards asked and keys returned by the last scan.
    last_scan: Option<(u32, u64)>,
    popularity: Popularity,
    read_rate: f64,
    insert_rate: f64,
    last_change: Option<ShardChange>,
    recent: RecentRequests,
    split_moves: SplitMoves,
    split_by: SplitBy,
    rebalance_ms: u64,
    /// The keys of the last [`RECENT_LOAD`] requests, oldest first (what load-based splitting
    /// measures).
    recent_load: std::collections::VecDeque<u64>,
    /// Service time of a read (or one shard's part of a scan), µs.
    read_us: u64,
    /// Service time of a write, µs.
    write_us: u64,
    /// Requests that may wait at one node.
    queue_limit: u32,
    /// Each node's queue, indexed by node (server) id.
    servers: Vec<FifoServer>,
    /// Latencies of completed requests.
    latency: LatencyHistogram,
    /// Their sum, µs.
    latency_sum_us: u64,
    /// Requests accepted but not completed yet.
    in_flight: u64,
    /// Requests a full queue refused.
    dropped: u64,
    /// The time of the last event or input (what the metrics are read at).
    now: SimTime,
}

impl RangeShards {
    /// How many shards.
    pub fn shards(&self) -> u32 {
        match &self.layout {
            Layout::Range(t) => t.shards(),
            Layout::Hash { n } => *n,
        }
    }

    /// The layout (the range table, or the hash modulus).
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// The keys, ascending.
    pub fn keys(&self) -> &[u64] {
        &self.keys
    }

    /// Whether `id` lies in the key space.
    pub fn in_space(&self, id: i64) -> bool {
        id >= 0 && (self.min_id..=self.max_id).contains(&(id as u64))
    }

    /// Where the router sends `id`.
    pub fn route(&self, id: i64) -> Route {
        let clamped = !self.in_space(id);
        if clamped && self.policy == OutOfRange::Reject {
            return Route::Refused;
        }
        let shard = match &self.layout {
            Layout::Range(t) => t.shard_of(id.max(0) as u64),
            Layout::Hash { n } => table::hash_shard(id, *n),
        };
        Route::To { shard, clamped }
    }

    /// The shard of a stored key.
    pub fn shard_of(&self, id: u64) -> u32 {
        match &self.layout {
            Layout::Range(t) => t.shard_of(id),
            Layout::Hash { n } => table::hash_shard(id as i64, *n),
        }
    }

    /// The server behind shard position `i` (stable across renumbering).
    fn server(&self, i: u32) -> u32 {
        match &self.layout {
            Layout::Range(t) => t.uid(i),
            Layout::Hash { .. } => i,
        }
    }

    /// Shard `i`'s display name.
    pub fn name(&self, i: u32) -> String {
        self.names
            .get(i as usize)
            .cloned()
            .flatten()
            .unwrap_or_else(|| format!("Shard {i}"))
    }

    fn recount(&mut self) {
        let mut counts = vec![0u64; self.shards() as usize];
        for id in self.keys.iter() {
            counts[self.shard_of(*id) as usize] += 1;
        }
        self.keys_per_shard = counts;
    }

    /// The node (server) holding shard `i`.
    pub fn node(&self, i: u32) -> u32 {
        self.server(i)
    }

    /// Whether splits change only the range table (moves come later).
    pub fn splits_in_place(&self) -> bool {
        self.split_moves == SplitMoves::Later && matches!(self.layout, Layout::Range(_))
    }

    /// Keys per node (server), by server id.
    pub fn keys_per_node(&self) -> std::collections::BTreeMap<u32, u64> {
        let mut out = std::collections::BTreeMap::new();
        for i in 0..self.shards() {
            *out.entry(self.server(i)).or_insert(0) += self.keys_per_shard[i as usize];
        }
        out
    }

    fn schedule(&self, ctx: &mut Ctx<'_, Self>, event: RangeEvent) {
        let rate = match event {
            RangeEvent::Read => self.read_rate,
            RangeEvent::Insert => self.insert_rate,
            RangeEvent::Rebalance(_) | RangeEvent::Done { .. } => return,
        };
        ctx.schedule_poisson(rate, event);
    }
}

impl RangeShards {
    fn apply_command(&mut self, input: &Input, ctx: &mut Ctx<'_, Self>) -> Result<(), InputError> {
        match Command::parse(input).map_err(InputError)? {
            Command::Split { shard, at } => self.split(shard, at, false, ctx),
            Command::Merge(shard) => self.merge(shard, ctx),
            Command::SetBoundaries(text) => self.set_boundaries(&text, ctx),
            Command::AddShard => self.add_shard(ctx),
            Command::Move { shard, to } => self.move_range(shard, to, false, ctx),
            Command::RemoveShard(shard) => {
                self.remove_shard(shard.unwrap_or(self.shards() - 1), ctx)
            }
            Command::Resize(to) => self.resize(to, ctx),
            Command::AddKeys(n) => self.add_keys(n, ctx),
            Command::Insert(id) => self.insert(id, ctx),
            Command::Lookup(id) => {
                self.lookup(id, ctx);
                Ok(())
            }
            Command::Scan(lo, hi) => {
                self.scan(lo, hi, ctx);
                Ok(())
            }
        }
    }
}

fn param_error(param: &str, value: &str, allowed: String) -> ParamError {
    ParamError {
        param: param.into(),
        value: value.into(),
        allowed,
    }
}

impl Model for RangeShards {
    type Event = RangeEvent;
    type Record = RangeRecord;
    type Frame = ShardFrame;
    const ID: &'static str = "range";

    fn specs() -> Vec<ParamSpec> {
        spec::specs()
    }

    fn actions() -> Vec<ActionSpec> {
        spec::actions()
    }

    fn build(params: &ParamSet, ctx: &mut Ctx<'_, Self>) -> Result<Self, ParamError> {
        let (partition_by, primary_key) = (params.text("partition_by"), params.text("primary_key"));
        if let Err((mysql, missing)) = spec::check_primary_key(partition_by, primary_key) {
            return Err(param_error(
                "primary_key",
                primary_key,
                format!(
                    "a key that also holds {} (the partitioning column); MySQL refuses this table with {mysql}",
                    missing.join(", ")
                ),
            ));
        }
        let min_id = params.int("min_id").max(0) as u64;
        let max_id = params.int("max_id").max(0) as u64;
        if max_id <= min_id {
            return Err(param_error(
                "max_id",
                &max_id.to_string(),
                format!("an id above min_id ({})", table::grouped(min_id)),
            ));
        }
        let text = params.text("boundaries");
        let bounds = table::parse_bounds(text, min_id, max_id)
            .map_err(|e| param_error("boundaries", text, e))?;
        let n = bounds.len() as u32 + 1;
        let layout = match Partition::from_param(params.text("partition")) {
            Partition::Range => Layout::Range(
                RangeTable::new(min_id, max_id, bounds)
                    .map_err(|e| param_error("boundaries", text, e))?,
            ),
            Partition::Hash => Layout::Hash { n },
        };
        let mut names: Vec<Option<String>> = params
            .text("names")
            .split(',')
            .map(|s| Some(s.trim().to_string()).filter(|s| !s.is_empty()))
            .collect();
        names.resize(n as usize, None);
        let ids = IdOrder::from_param(params.text("ids"));
        let keys = Self::initial_keys(params, ids, (min_id, max_id), ctx)?;
        let count = keys.len() as u64;
        let mut model = RangeShards {
            layout,
            min_id,
            max_id,
            policy: OutOfRange::from_param(params.text("out_of_range")),
            ids,
            time_gap: params.int("time_gap").max(1) as u64,
            names,
            last_issued: keys.last().copied(),
            keys: Rc::new(keys),
            keys_per_shard: Vec::new(),
            reads_per_shard: vec![0; n as usize],
            writes_per_shard: vec![0; n as usize],
            requests_total: 0,
            writes_total: 0,
            refused: 0,
            clamped: 0,
            next_request: 0,
            last_scan: None,
            popularity: Popularity::from_params(params, count),
            read_rate: params.int("request_rate").max(0) as f64,
            insert_rate: params.int("insert_rate").max(0) as f64,
            last_change: None,
            recent: RecentRequests::default(),
            split_moves: SplitMoves::from_param(params.text("split_moves")),
            split_by: SplitBy::from_param(params.text("split_by")),
            rebalance_ms: params.int("rebalance_ms").max(0) as u64,
            recent_load: std::collections::VecDeque::new(),
            read_us: params.int("read_ms").clamp(0, spec::MAX_SERVICE_MS) as u64 * 1_000,
            write_us: params.int("write_ms").clamp(0, spec::MAX_SERVICE_MS) as u64 * 1_000,
            queue_limit: params.int("queue_limit").clamp(0, spec::MAX_QUEUE) as u32,
            servers: Vec::new(),
            latency: LatencyHistogram::default(),
            latency_sum_us: 0,
            in_flight: 0,
            dropped: 0,
            now: ctx.now,
        };
        model.recount();
        model.ensure_servers(ctx.now);
        ctx.record(RangeRecord::Built {
            shards: n,
            keys: count,
            ids: ids.label(),
            hash: matches!(model.layout, Layout::Hash { .. }),
        });
        model.schedule(ctx, RangeEvent::Read);
        model.schedule(ctx, RangeEvent::Insert);
        Ok(model)
    }

    fn apply(&mut self, input: &Input, ctx: &mut Ctx<'_, Self>) -> Result<(), InputError> {
        let done = self.apply_command(input, ctx);
        if done.is_ok() {
            // A refused input changes nothing, not even the time the metrics are read at.
            self.now = ctx.now;
        }
        done
    }

    fn handle(&mut self, event: RangeEvent, ctx: &mut Ctx<'_, Self>) {
        self.now = ctx.now;
        match event {
            RangeEvent::Read => self.read(ctx),
            RangeEvent::Insert => self.stream_insert(ctx),
            RangeEvent::Rebalance(lo) => {
                self.rebalance(lo, ctx);
                return;
            }
            RangeEvent::Done { latency_us } => {
                self.in_flight -= 1;
                self.latency.record(latency_us);
                self.latency_sum_us += latency_us;
                return;
            }
        }
        self.schedule(ctx, event);
    }

    fn frame(&self, now: SimTime) -> ShardFrame {
        self.shard_frame(now)
    }

    fn metrics(&self) -> Metrics {
        self.metric_set()
    }

    fn queries() -> Queries<Self> {
        Queries::new().with::<dyn Placement>(|m| m)
    }

    fn validate(&self) -> Result<(), String> {
        let n = self.shards();
        if let Layout::Range(t) = &self.layout {
            t.validate()?;
        }
        if !(1..=table::MAX_SHARDS).contains(&n) {
            return Err(format!("{n} shards"));
        }
        for (what, len) in [
            ("key counts", self.keys_per_shard.len()),
            ("read counts", self.reads_per_shard.len()),
            ("write counts", self.writes_per_shard.len()),
            ("names", self.names.len()),
        ] {
            if len != n as usize {
                return Err(format!("{len} {what} for {n} shards"));
            }
        }
        if let Some(w) = self.keys.windows(2).find(|w| w[0] >= w[1]) {
            return Err(format!("keys out of order: {} before {}", w[0], w[1]));
        }
        if self.policy == OutOfRange::Reject {
            if let Some(k) = self.keys.iter().find(|k| !self.in_space(**k as i64)) {
                return Err(format!(
                    "key {k} lies outside the space but ids are rejected there"
                ));
            }
        }
        let mut counts = vec![0u64; n as usize];
        for k in self.keys.iter() {
            counts[self.shard_of(*k) as usize] += 1;
        }
        if counts != self.keys_per_shard {
            return Err(format!(
                "per-shard key counts {:?} differ from a recount {counts:?}",
                self.keys_per_shard
            ));
        }
        let accepted: u64 = self.servers.iter().map(|s| s.requests).sum();
        let refused: u64 = self.servers.iter().map(|s| s.dropped).sum();
        if refused != self.dropped || self.latency.count() + self.in_flight > accepted {
            return Err("request counts disagree with the queues".into());
        }
        if let Some(c) = &self.last_change {
            if c.to_shards != n {
                return Err(format!(
                    "the last change left {} shards, not {n}",
                    c.to_shards
                ));
            }
            if c.moves.windows(2).any(|w| w[0].id >= w[1].id) {
                return Err("the moves are not in id order".into());
            }
            if let Some(m) = c.moves.iter().find(|m| self.shard_of(m.id) != m.to) {
                return Err(format!(
                    "key {} was moved to shard {} but belongs on {}",
                    m.id,
                    m.to,
                    self.shard_of(m.id)
                ));
            }
        }
        Ok(())
    }
}

impl Placement for RangeShards {
    fn nodes(&self) -> Vec<String> {
        (0..self.shards()).map(|i| i.to_string()).collect()
    }

    /// A key is named by its id (`150000`, `150,000`, `user-12`); any id gets an answer, stored
    /// or not. An id the router refuses has no owner.
    fn owners(&self, key: &str) -> Option<Vec<String>> {
        match self.route(parse_id(key)?) {
            Route::To { shard, .. } => Some(vec![shard.to_string()]),
            Route::Refused => None,
        }
    }

    fn last_moved(&self) -> Option<Moved> {
        self.last_change.as_ref().map(ShardChange::moved)
    }

    fn last_moves(&self) -> Option<Vec<Move>> {
        let c = self.last_change.as_ref()?;
        Some(c.listed(|id| id.to_string()))
    }
}
