//! Cross-shard queries: a query by shard key touches one shard; a query by any other attribute
//! scatters to every shard and gathers, so it is as slow as the slowest shard; a global secondary
//! index is the alternative.
//!
//! **Mechanism.** Users `0..rows` are sharded by `user_id % N` (the notes' `user_id % 4`, catalogue
//! D2). Each shard is a single FIFO server ([`servers::ShardServer`]); each request's service time
//! is drawn from [`service::ServiceDist`] — a lognormal body (median `service_ms`, spread
//! `service_sigma`) plus, with probability `slow_percent`, a pause of `slow_ms`. Queries arrive as
//! a Poisson stream at `query_rate`; `write_percent` of them are writes, and of the reads
//! `by_attribute_percent` filter on an attribute that is not the shard key ([`table`] deals the
//! attribute values out so each matches `matches` rows spread over the shards). The router plans:
//!
//! - by shard key → one request to shard `id % N`;
//! - by attribute with `index = none` (each shard indexes only its own rows) → one request to
//!   **every** shard; the query completes when the last answer is in, plus `gather_ms` to merge;
//! - by attribute with `index = global` (an index partitioned by the attribute value over the same
//!   servers) → one lookup on partition `fnv1a(value) % N`, then, when it answers, fetches from the
//!   distinct shards holding the matching rows (≤ `min(matches, N)`), plus the merge if more than
//!   one;
//! - a write → the row's shard; with a global index also the value's index partition, in
//!   parallel, and the write completes when both have answered. The index is kept
//!   **synchronously**: no read ever misses a committed row, and the price is visible — every
//!   write is a two-shard fan-out, and the index partitions carry write load. (An asynchronous
//!   index, as DynamoDB's global secondary indexes are, would make writes one-shard again at the
//!   cost of by-attribute reads that can miss recent writes; the lesson says so in words.)
//!
//! Requests reach each shard in time order (a fetch is dispatched only when its lookup answers),
//! so each queue is exactly Lindley's recursion and utilisation emerges from the load. A
//! degraded shard (`slow-shard:I`) multiplies its service times by `degraded_factor`: every
//! scatter query now waits for it, while by-key queries suffer only for the users on it.
//!
//! Arrivals, query kinds and targets come from their own random stream, and service times from
//! another, so two runs with the same seed and different shard counts (compare mode) see the
//! very same queries at the very same times.
//!
//! **Micro-partitions** ([`partitions`]). With `partitions_per_node = P > 1` the users are split
//! into `N · P` partitions (user `id` in partition `id % (N·P)`, partition `p` starting on node
//! `p % N`, so that at first every user is where `id % N` puts it), and a scatter asks every node
//! that holds a partition once. A scatter request's work is its draw's body times the partitions
//! the node holds over `P` (a node that took on 7 more of its 20 works 35 % longer; a pause does
//! not scale); a point read or a write is one draw. With `rebalance_ms > 0` a rebalancer watches
//! each node's median answer, puts a node answering more than twice as slowly as the median on
//! probation and drains it, one partition per receiving node at a time, each copy taking
//! `copy_ms / P` (Dean and Barroso's micro-partitions and latency-induced probation). With
//! `P = 1` and no rebalancer the run is exactly the one-partition-per-shard model below.
//!
//! **Theory beside the run.** For idle shards the slowest of `N` answers has
//! `P(max ≤ t) = F(t)^N`, so its p99 is the `0.99^(1/N)` quantile of one draw, and the share of
//! scatter queries that meet at least one pause is `1 − (1 − p)^N` (47.4 % for p = 1 %,
//! N = 64). The groups `p99_by_shards` and `slow_hit_by_shards` give these for N = 1, 2, 4, …, 64
//! (and `p99_scatter_theory_ms`, `slow_hit_theory_percent` for the current N); the scalars
//! `p50_attr_ms`, `p99_attr_ms` and `slow_hit_percent` are what this run measured. Under load the
//! run is slower than the theory, because the requests queued behind a pause wait for it too.
//!
//! **Invariants** (`validate`): one server per shard, 1 ≤ N ≤ 64; rows per shard add up to the
//! rows; requests per shard (plus those of removed shards) add up to the requests sent; the
//! histograms hold exactly the completed queries; no shard was busy longer than it existed; and
//! every completed query was checked when it completed — a by-key read or a write without index
//! touched one shard (the key's), a no-index attribute query touched each of the `N` shards
//! exactly once, a global-index read touched its partition and at most `min(matches, N)` shards,
//! and a query's latency is at least every touched shard's response time.
//!
//! **Simplifications.** No network time (the router is next to the shards); a shard's work does
//! not depend on how many rows it holds (a local-index lookup, not a scan); moving rows on resize
//! is instant, and queued work on a removed shard still completes; a partition copy costs no
//! server time and any number run at full speed; a drained node is never tried again; every write rewrites the
//! indexed attribute with its old value, so the rows matching each value never change.

pub mod partitions;
mod record;
pub mod servers;
pub mod service;
pub mod table;
mod view;

pub use record::ScatterRecord;

use crate::model::{ActionSpec, Ctx, InputError, MetricValue, Metrics, Model};
use crate::models::shard_view::{RequestOutcome, ShardChange, ShardFrame, ShardMove, ShardRequest};
use crate::models::sharding::{Move, Moved, Placement};
use crate::params::{ParamError, ParamSet, ParamSpec};
use crate::query::Queries;
use crate::rng::SimRng;
use crate::scenario::Input;
use crate::time::SimTime;
use crate::workload::poisson_gap_us;
use partitions::Partitions;
use servers::{LatencyHistogram, Response, ShardServer};
use service::{Draw, ServiceDist};
use std::rc::Rc;
use table::{index_partition, shard_of, Table};

/// Most shards a run may have.
pub const MAX_SHARDS: u32 = 64;
/// Most partitions per node.
pub const MAX_PARTITIONS: u32 = 32;
/// How many rows a frame draws.
pub const FRAME_KEYS: usize = 256;
pub use crate::models::shard_view::REQUEST_SHOWN_US;
/// Most requests a frame carries (the newest).
pub const FRAME_REQUESTS: usize = 256;
/// Read latencies of first copies the hedging client keeps to estimate its delay (the newest).
pub const HEDGE_WINDOW: usize = 1_000;
/// First-copy latencies a hedging client needs before it estimates a percentile and hedges.
pub const HEDGE_WARMUP: usize = 100;
/// The percentile (per mille) of recent first-copy latencies a hedge waits for by default: the
/// 95th, as Dean and Barroso suggest.
pub const HEDGE_PERMILLE: usize = 950;

/// What a query does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum QueryKind {
    /// A read by shard key (`WHERE user_id = 13`).
    ByKey,
    /// A read by another attribute (`WHERE city = 7`).
    ByAttribute,
    /// A write of one row, by shard key.
    Write,
}

impl QueryKind {
    const ALL: [QueryKind; 3] = [QueryKind::ByKey, QueryKind::ByAttribute, QueryKind::Write];

    fn slot(self) -> usize {
        match self {
            QueryKind::ByKey => 0,
            QueryKind::ByAttribute => 1,
            QueryKind::Write => 2,
        }
    }

    /// The name the `query` action takes (`by-key`, `by-attribute`, `write`).
    pub fn name(self) -> &'static str {
        match self {
            QueryKind::ByKey => "by-key",
            QueryKind::ByAttribute => "by-attribute",
            QueryKind::Write => "write",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        QueryKind::ALL.into_iter().find(|k| k.name() == text)
    }
}

/// Where the attribute index lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IndexMode {
    /// Each shard indexes its own rows only: attribute queries scatter to all shards.
    Local,
    /// One index partitioned by the attribute value: a lookup, then targeted fetches.
    Global,
}

/// A cure for the tail (Dean and Barroso, "The Tail at Scale", CACM 2013).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cure {
    /// Each shard request goes to one copy and the router waits for it.
    None,
    /// A second copy goes to another replica once the first has been out longer than the hedge
    /// delay; the first answer wins.
    Hedged,
    /// Two copies go to two replicas at once, each tagged with the other; the first to start
    /// cancels the other, which is removed if the cancellation reaches it before it starts.
    Tied,
    /// A scatter answers at the deadline with the shards that have answered.
    Partial,
}

impl Cure {
    fn parse(text: &str) -> Self {
        match text {
            "hedged" => Cure::Hedged,
            "tied" => Cure::Tied,
            "partial" => Cure::Partial,
            _ => Cure::None,
        }
    }
}

/// One query from start to end: what it asked and how every shard it touched answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuerySummary {
    /// Its number (1, 2, …).
    pub id: u64,
    /// What it did.
    pub kind: QueryKind,
    /// Whether a learner fired it (the `query` action) rather than the workload.
    pub manual: bool,
    /// The user id (by key, write) or attribute value (by attribute) it asked for.
    pub target: u64,
    /// When it reached the router.
    pub issued: SimTime,
    /// Shards in the cluster when it was issued.
    pub shards_then: u32,
    /// The global index partition's answer (a lookup for a read, an update for a write).
    pub index: Option<Response>,
    /// The data shards' answers.
    pub responses: Vec<Response>,
    /// When the router had the whole answer.
    pub done: SimTime,
    /// The id of its first shard request (the `query` of its [`ShardRequest`]s).
    pub first_request: u64,
    /// With partial results: the deadline, after which answers are left out.
    pub cutoff: Option<SimTime>,
    /// Hedge copies it sent (including those cancelled before they started).
    pub hedges: u32,
    /// The partition owner table it was planned with (which node holds which partition).
    pub owners: Rc<[u32]>,
}

impl QuerySummary {
    /// From issue to the whole answer, in microseconds.
    pub fn latency_us(&self) -> u64 {
        self.done.since(self.issued)
    }
    /// Shard requests it sent (index included).
    pub fn fanout(&self) -> u32 {
        self.responses.len() as u32 + u32::from(self.index.is_some())
    }
    /// Every answer, index first.
    pub fn all_responses(&self) -> impl Iterator<Item = &Response> {
        self.index.iter().chain(self.responses.iter())
    }
    /// The answer that came back last, measured from the query's issue.
    pub fn slowest(&self) -> Option<&Response> {
        self.answered().max_by_key(|r| (r.finish, r.shard))
    }
    /// The answers the router used: every one, or with partial results those in by the deadline.
    pub fn answered(&self) -> impl Iterator<Item = &Response> {
        let cutoff = self.cutoff;
        self.all_responses()
            .filter(move |r| cutoff.is_none_or(|c| r.finish <= c))
    }
}

/// A query waiting for its hedge timer: the legs (indexes into its responses) whose first copy
/// had not answered when the timer fired.
#[derive(Clone, Debug, PartialEq)]
pub struct PendingHedge {
    /// The query, with its first copies' answers.
    pub query: QuerySummary,
    /// Legs to hedge.
    pub legs: Vec<u32>,
}

/// The model's own events.
#[derive(Clone, Debug, PartialEq)]
pub enum ScatterEvent {
    /// The workload's next query arrives.
    Arrival,
    /// A global-index lookup answered: fetch the rows it named.
    Fetch(Rc<QuerySummary>),
    /// A query has its whole answer.
    Done(Rc<QuerySummary>),
    /// A query's hedge timer fired: send second copies of the legs still out.
    Hedge(Rc<PendingHedge>),
    /// The rebalancer's periodic look at the nodes.
    Rebalance,
    /// A partition's copy finished: its new node serves it from now on.
    MoveDone {
        /// The partition.
        partition: u32,
        /// Its old node.
        from: u32,
        /// Its new node.
        to: u32,
    },
}

/// The rebalancer of micro-partitions (see [`partitions`]).
#[derive(Clone, Debug)]
pub struct Rebalancer {
    /// How often it looks, in microseconds.
    pub period_us: u64,
    /// Time to copy one node's starting share of the data; a partition takes this divided by
    /// the partitions per node.
    pub copy_node_us: u64,
    /// The moves under way: (partition, from, to).
    pub moving: Vec<(u32, u32, u32)>,
    /// Nodes on probation (being drained, never receiving), by node.
    pub probation: Vec<bool>,
    /// Per node, the consecutive looks at which it was the candidate for probation.
    strikes: Vec<u32>,
    /// Answers the router has not seen yet: (answer time, node, latency), in send order.
    unseen: Vec<(SimTime, u32, u64)>,
    /// Per node, the latencies seen this period.
    seen: Vec<Vec<u64>>,
    /// Partitions moved so far.
    pub moved: u64,
}

/// How one read leg went out: answered, or waiting for its hedge.
enum Leg {
    Done(Response),
    Hedge(Response),
}

/// The cross-shard-queries lesson model.
#[derive(Clone, Debug)]
pub struct ScatterGather {
    table: Table,
    /// Which node holds each partition (one per node unless micro-partitioned).
    parts: Partitions,
    /// Moves partitions off a node that answers too slowly (off unless `rebalance_ms` > 0).
    rebalancer: Option<Rebalancer>,
    /// Each shard's first copy.
    servers: Vec<ShardServer>,
    /// Each shard's other replicas, each its own server: shard `i`'s replica `r ≥ 1` is
    /// `copies[i · (replicas − 1) + r − 1]`.
    copies: Vec<ShardServer>,
    replicas: u32,
    cure: Cure,
    /// A fixed hedge delay; `None`: the 95th percentile of recent first-copy latencies.
    hedge_fixed_us: Option<u64>,
    cancel_us: u64,
    deadline_us: u64,
    dist: ServiceDist,
    degraded_factor: u64,
    index: IndexMode,
    gather_us: u64,
    rate_per_sec: f64,
    by_attribute_percent: u64,
    write_percent: u64,
    /// Arrival gaps, kinds and targets of the workload.
    arrivals: SimRng,
    /// Service-time draws.
    service: SimRng,
    /// Targets of queries a learner fires.
    manual: SimRng,
    /// Which replica each copy goes to (drawn only with two or more replicas).
    route: SimRng,
    /// Service-time draws of second copies (hedges, tied twins, replicated writes).
    copy_service: SimRng,
    /// Read legs planned through the cures: the requests a run without a cure would send.
    legs: u64,
    /// Second copies sent (hedges, tied twins), including those cancelled before they started.
    copies_sent: u64,
    /// Second copies or first copies removed from their queue before they started.
    copies_cancelled: u64,
    /// Work done on second copies, in microseconds: every hedge that ran, and the losing twin
    /// of a tied pair that both ran (a run without a cure would do one copy's work).
    dup_busy_us: u64,
    /// Tied legs, and those whose copies both started within the cancellation delay.
    tied_legs: u64,
    tied_both: u64,
    /// Scatter reads that completed, those answered complete, and the shards answered in all.
    scatter_legs_answered: u64,
    scatter_legs: u64,
    scatter_complete: u64,
    scatter_done: u64,
    /// Busy time of servers that have since been removed.
    busy_removed_us: u64,
    /// First-copy latencies the client has not seen yet: (answer time, latency), in send order.
    unseen: Vec<(SimTime, u64)>,
    /// The newest first-copy latencies the client has seen: a ring of [`HEDGE_WINDOW`], the
    /// next to overwrite at `seen_next`.
    seen: Vec<u64>,
    seen_next: u32,
    /// Latencies seen since the percentile was last estimated.
    since_estimate: u32,
    /// The hedge delay now: the percentile of `seen` (None before the warm-up).
    hedge_estimate_us: Option<u64>,
    queries_issued: u64,
    requests_total: u64,
    /// Requests served by shards that have since been removed.
    requests_removed: u64,
    latency: [LatencyHistogram; 3],
    completed: u64,
    fanout_total: u64,
    attr_completed: u64,
    attr_paused: u64,
    last_change: Option<ShardChange>,
    recent: Vec<ShardRequest>,
    last_query: Option<Rc<QuerySummary>>,
    /// The newest planned query that fanned out or that a learner fired: the one the diagram
    /// follows.
    followed: Option<Rc<QuerySummary>>,
    /// The newest planned query of any kind, followed when no query has fanned out yet.
    newest: Option<Rc<QuerySummary>>,
    last_attr_value: Option<u64>,
    now: SimTime,
    broken: Option<String>,
}

impl ScatterGather {
    /// Shards now.
    pub fn shards(&self) -> u32 {
        self.servers.len() as u32
    }

    /// The table.
    pub fn table(&self) -> &Table {
        &self.table
    }

    /// The service-time distribution of a healthy shard.
    pub fn service(&self) -> &ServiceDist {
        &self.dist
    }

    /// The shard servers, by index.
    pub fn servers(&self) -> &[ShardServer] {
        &self.servers
    }

    /// Queries issued so far (completed or not), workload and manual alike.
    pub fn queries_issued(&self) -> u64 {
        self.queries_issued
    }

    /// The query that completed last.
    pub fn last_query(&self) -> Option<&QuerySummary> {
        self.last_query.as_deref()
    }

    /// The query the diagram follows: the newest planned one that fanned out or that a learner
    /// fired, else the newest planned one (it may still be waiting for answers).
    pub fn followed_query(&self) -> Option<&QuerySummary> {
        self.followed.as_deref().or(self.newest.as_deref())
    }

    /// The latency histogram of one kind of query.
    pub fn latency(&self, kind: QueryKind) -> &LatencyHistogram {
        &self.latency[kind.slot()]
    }

    fn fail(&mut self, why: String) {
        if self.broken.is_none() {
            self.broken = Some(why);
        }
    }

    /// The first row with attribute `value` on `shard`, if it holds one.
    fn match_on(&self, value: u64, shard: u32) -> Option<u64> {
        self.table
            .rows_with(value)
            .iter()
            .copied()
            .find(|id| self.parts.node_of(*id) == shard)
    }

    /// The partitions: which node holds which.
    pub fn partitions(&self) -> &Partitions {
        &self.parts
    }

    /// The rebalancer, if it runs.
    pub fn rebalancer(&self) -> Option<&Rebalancer> {
        self.rebalancer.as_ref()
    }

    /// Rows on each node.
    pub fn rows_per_node(&self) -> Vec<u64> {
        let mut rows = vec![0u64; self.shards() as usize];
        if self.parts.per_node() == 1 && self.rebalancer.as_ref().is_none_or(|r| r.moved == 0) {
            return self.table.rows_per_shard(self.shards());
        }
        for id in 0..self.table.rows() {
            rows[self.parts.node_of(id) as usize] += 1;
        }
        rows
    }

    /// A scatter leg's draw on a node searching `searched` of its partitions: the body of the
    /// work scales with the partitions searched (a node starts with `per_node` of them, which is
    /// the draw itself); a pause does not (it stops the machine, whatever it holds). Point reads
    /// and writes (`searched = 0`) take the draw as it is.
    fn scaled(&self, draw: Draw, searched: u32) -> Draw {
        let per = self.parts.per_node();
        if searched == 0 || searched == per {
            return draw;
        }
        let pause = if draw.paused {
            self.dist.slow_us as u64
        } else {
            0
        };
        let body = draw.us.saturating_sub(pause);
        Draw {
            us: (body * u64::from(searched) / u64::from(per)).max(1) + pause,
            paused: draw.paused,
        }
    }

    /// Replicas per shard (each its own server).
    pub fn replicas(&self) -> u32 {
        self.replicas
    }

    /// The server holding `shard`'s copy `replica`.
    pub fn server(&self, shard: u32, replica: u32) -> &ShardServer {
        match replica {
            0 => &self.servers[shard as usize],
            r => &self.copies[(shard * (self.replicas - 1) + r - 1) as usize],
        }
    }

    fn server_mut(&mut self, shard: u32, replica: u32) -> &mut ShardServer {
        match replica {
            0 => &mut self.servers[shard as usize],
            r => &mut self.copies[(shard * (self.replicas - 1) + r - 1) as usize],
        }
    }

    /// Every server, first copies then the other replicas.
    fn all_servers(&self) -> impl Iterator<Item = &ShardServer> {
        self.servers.iter().chain(self.copies.iter())
    }

    /// A draw's time on `shard`'s copy `replica` (a degraded server multiplies it).
    fn service_on(&self, shard: u32, replica: u32, draw: Draw) -> u64 {
        if self.server(shard, replica).degraded {
            draw.us.saturating_mul(self.degraded_factor)
        } else {
            draw.us
        }
    }

    /// When a request arriving at `at` would start on `shard`'s copy `replica` (FIFO: after all
    /// the work queued there), without queueing it.
    fn start_on(&self, shard: u32, replica: u32, at: SimTime) -> SimTime {
        at.max(self.server(shard, replica).free_at)
    }

    /// A replica of `shard` other than `not`, drawn uniformly (needs two or more replicas).
    fn other_replica(&mut self, not: u32) -> u32 {
        let r = self.route.below(u64::from(self.replicas - 1)) as u32;
        if r >= not {
            r + 1
        } else {
            r
        }
    }

    /// Sends one request to `shard`, arriving at `at`, with a first copy's service draw.
    fn send(&mut self, shard: u32, at: SimTime, key: Option<u64>, first: &mut u64) -> Response {
        let draw = self.dist.sample(&mut self.service);
        let draw = self.scaled(draw, 0);
        self.send_draw(shard, 0, at, key, first, draw)
    }

    /// Sends one request with service draw `draw` to `shard`'s copy `replica`, arriving at `at`,
    /// and queues it there.
    fn send_draw(
        &mut self,
        shard: u32,
        replica: u32,
        at: SimTime,
        key: Option<u64>,
        first: &mut u64,
        draw: Draw,
    ) -> Response {
        let us = self.service_on(shard, replica, draw);
        let (start, finish) = self.server_mut(shard, replica).serve(at, us);
        if let Some(rb) = self.rebalancer.as_mut() {
            rb.unseen.push((finish, shard, finish.since(at)));
        }
        self.requests_total += 1;
        let id = self.requests_total;
        if *first == 0 {
            *first = id;
        }
        self.recent.retain(|r| {
            at.since(r.at) < REQUEST_SHOWN_US || r.latency_us.is_some_and(|l| r.at.plus_us(l) > at)
        });
        if self.recent.len() >= FRAME_REQUESTS {
            self.recent.remove(0);
        }
        self.recent.push(ShardRequest {
            id,
            key,
            shard,
            at,
            query: *first,
            replica,
            outcome: RequestOutcome::Served,
            latency_us: Some(finish.since(at)),
        });
        Response {
            shard,
            replica,
            key,
            arrived: at,
            start,
            finish,
            paused: draw.paused,
        }
    }

    /// Plans and sends a query arriving now.
    fn issue(&mut self, kind: QueryKind, target: u64, manual: bool, ctx: &mut Ctx<'_, Self>) {
        self.queries_issued += 1;
        let n = self.shards();
        let now = ctx.now;
        if self.cure == Cure::Hedged {
            self.see_latencies(now);
        }
        let mut q = QuerySummary {
            id: self.queries_issued,
            kind,
            manual,
            target,
            issued: now,
            shards_then: n,
            index: None,
            responses: Vec::new(),
            done: now,
            first_request: 0,
            cutoff: None,
            hedges: 0,
            owners: self.parts.owners(),
        };
        if manual {
            ctx.record(ScatterRecord::Fired {
                query: q.id,
                kind,
                target,
            });
        }
        let mut first = 0;
        let mut hedge = Vec::new();
        match (kind, self.index) {
            (QueryKind::ByKey, _) => {
                let node = self.parts.node_of(target);
                match self.read_leg(node, now, Some(target), 0, &mut first) {
                    Leg::Done(r) => q.responses.push(r),
                    Leg::Hedge(r) => {
                        hedge.push(0);
                        q.responses.push(r);
                    }
                }
            }
            (QueryKind::Write, IndexMode::Local) => {
                let node = self.parts.node_of(target);
                let r = self.write_leg(node, now, Some(target), &mut first);
                q.responses.push(r);
            }
            (QueryKind::Write, IndexMode::Global) => {
                let node = self.parts.node_of(target);
                let r = self.write_leg(node, now, Some(target), &mut first);
                q.responses.push(r);
                let value = self.table.value_of(target).unwrap_or(0);
                q.index = Some(self.write_leg(index_partition(value, n), now, None, &mut first));
            }
            (QueryKind::ByAttribute, IndexMode::Local) => {
                self.last_attr_value = Some(target);
                // Every node that holds data, each searching all the partitions it holds.
                let held = self.parts.held(n);
                for s in (0..n).filter(|s| held[*s as usize] > 0) {
                    let key = self.match_on(target, s);
                    match self.read_leg(s, now, key, held[s as usize], &mut first) {
                        Leg::Done(r) => q.responses.push(r),
                        Leg::Hedge(r) => {
                            hedge.push(s);
                            q.responses.push(r);
                        }
                    }
                }
                if self.cure == Cure::Partial {
                    q.cutoff = Some(now.plus_us(self.deadline_us));
                }
            }
            (QueryKind::ByAttribute, IndexMode::Global) => {
                self.last_attr_value = Some(target);
                let lookup = self.send(index_partition(target, n), now, None, &mut first);
                q.index = Some(lookup);
                q.first_request = first;
                ctx.schedule(lookup.finish, ScatterEvent::Fetch(Rc::new(q)));
                return;
            }
        }
        q.first_request = first;
        if hedge.is_empty() {
            self.complete_plan(q, ctx);
        } else {
            let at = now.plus_us(self.hedge_delay_us().unwrap_or(0));
            ctx.schedule(
                at,
                ScatterEvent::Hedge(Rc::new(PendingHedge {
                    query: q,
                    legs: hedge,
                })),
            );
        }
    }

    /// The hedge delay a query issued now waits for: the fixed one, or the percentile of the
    /// recent first-copy latencies the client has seen (None until it has seen enough).
    fn hedge_delay_us(&self) -> Option<u64> {
        self.hedge_fixed_us.or(self.hedge_estimate_us)
    }

    /// Moves the first-copy latencies answered by `now` into the client's window, and
    /// re-estimates the percentile every 50 of them.
    fn see_latencies(&mut self, now: SimTime) {
        let mut i = 0;
        while i < self.unseen.len() {
            let (at, us) = self.unseen[i];
            if at > now {
                i += 1;
                continue;
            }
            self.unseen.remove(i);
            if self.seen.len() < HEDGE_WINDOW {
                self.seen.push(us);
            } else {
                self.seen[self.seen_next as usize] = us;
                self.seen_next = (self.seen_next + 1) % HEDGE_WINDOW as u32;
            }
            self.since_estimate += 1;
        }
        if self.seen.len() >= HEDGE_WARMUP
            && (self.since_estimate >= 50 || self.hedge_estimate_us.is_none())
        {
            let mut sorted = self.seen.clone();
            sorted.sort_unstable();
            let k = (sorted.len() * HEDGE_PERMILLE).div_ceil(1_000).max(1) - 1;
            self.hedge_estimate_us = Some(sorted[k]);
            self.since_estimate = 0;
        }
    }

    /// Sends one read leg to `shard` the way the cure says: to one copy (on a replica drawn at
    /// random when there are several), or to two tied copies, or to one copy with a hedge to
    /// follow if it is still out when the hedge timer fires.
    /// `searched`: the partitions a scatter leg searches on the node (0 for a point read).
    fn read_leg(
        &mut self,
        shard: u32,
        now: SimTime,
        key: Option<u64>,
        searched: u32,
        first: &mut u64,
    ) -> Leg {
        self.legs += 1;
        if self.cure == Cure::Tied && self.replicas >= 2 {
            return Leg::Done(self.tied_leg(shard, now, key, searched, first));
        }
        let replica = if self.replicas > 1 {
            self.route.below(u64::from(self.replicas)) as u32
        } else {
            0
        };
        let draw = self.dist.sample(&mut self.service);
        let draw = self.scaled(draw, searched);
        let r = self.send_draw(shard, replica, now, key, first, draw);
        if self.cure != Cure::Hedged || self.replicas < 2 {
            return Leg::Done(r);
        }
        // The client learns this latency when the answer arrives, not before.
        self.unseen.push((r.finish, r.latency_us()));
        match self.hedge_delay_us() {
            Some(d) if r.finish > now.plus_us(d) => Leg::Hedge(r),
            _ => Leg::Done(r),
        }
    }

    /// Two copies to two replicas at once, each tagged with the other. The first to start sends
    /// a cancellation that reaches its twin `cancel_us` later: a twin that has not started by
    /// then is removed from its queue (it is never queued here, which is the same for every
    /// later request); if both start within the delay, both do the work.
    fn tied_leg(
        &mut self,
        shard: u32,
        now: SimTime,
        key: Option<u64>,
        searched: u32,
        first: &mut u64,
    ) -> Response {
        let a = self.route.below(u64::from(self.replicas)) as u32;
        let b = self.other_replica(a);
        let da = self.dist.sample(&mut self.service);
        let db = self.dist.sample(&mut self.copy_service);
        let (da, db) = (self.scaled(da, searched), self.scaled(db, searched));
        let (sa, sb) = (self.start_on(shard, a, now), self.start_on(shard, b, now));
        self.copies_sent += 1;
        self.tied_legs += 1;
        if sb > sa.plus_us(self.cancel_us) {
            self.copies_cancelled += 1;
            self.send_draw(shard, a, now, key, first, da)
        } else if sa > sb.plus_us(self.cancel_us) {
            self.copies_cancelled += 1;
            self.send_draw(shard, b, now, key, first, db)
        } else {
            self.tied_both += 1;
            let ra = self.send_draw(shard, a, now, key, first, da);
            let rb = self.send_draw(shard, b, now, key, first, db);
            let (win, lose) = if (rb.finish, rb.replica) < (ra.finish, ra.replica) {
                (rb, ra)
            } else {
                (ra, rb)
            };
            self.dup_busy_us += lose.service_us();
            win
        }
    }

    /// A write goes to every replica of its shard, and is done when the last has it
    /// (synchronous replication); returns the last answer.
    fn write_leg(
        &mut self,
        shard: u32,
        now: SimTime,
        key: Option<u64>,
        first: &mut u64,
    ) -> Response {
        let mut last = self.send(shard, now, key, first);
        for replica in 1..self.replicas {
            let draw = self.dist.sample(&mut self.copy_service);
            let r = self.send_draw(shard, replica, now, key, first, draw);
            if r.finish > last.finish {
                last = r;
            }
        }
        last
    }

    /// The hedge timer fired: each leg still out gets a second copy on another replica, which
    /// is cancelled if the first copy's answer (plus the cancellation delay) beats its start.
    /// The first copy is not withdrawn when the hedge wins: its work stays in its queue.
    fn hedge(&mut self, pending: &PendingHedge, ctx: &mut Ctx<'_, Self>) {
        let mut q = pending.query.clone();
        let mut first = q.first_request;
        let now = ctx.now;
        let scatter = q.kind == QueryKind::ByAttribute && q.index.is_none();
        let held = self.parts.held(self.shards());
        for &i in &pending.legs {
            let a = q.responses[i as usize];
            if a.shard >= self.shards() {
                continue; // the shard was removed meanwhile: nowhere to hedge to
            }
            let b = self.other_replica(a.replica);
            let draw = self.dist.sample(&mut self.copy_service);
            // A scatter hedge searches what the node holds now (at least one partition).
            let searched = if scatter {
                held[a.shard as usize].max(1)
            } else {
                0
            };
            let draw = self.scaled(draw, searched);
            self.copies_sent += 1;
            q.hedges += 1;
            if self.start_on(a.shard, b, now) > a.finish.plus_us(self.cancel_us) {
                self.copies_cancelled += 1;
                continue;
            }
            // The hedge's work is the extra: the first copy's was done without a cure too.
            let r = self.send_draw(a.shard, b, now, a.key, &mut first, draw);
            self.dup_busy_us += r.service_us();
            if r.finish < a.finish {
                q.responses[i as usize] = r;
            }
        }
        self.complete_plan(q, ctx);
    }

    /// Schedules a query's completion: the last answer, plus the merge when several data shards
    /// answered; the diagram follows it if it fanned out or a learner fired it.
    fn complete_plan(&mut self, mut q: QuerySummary, ctx: &mut Ctx<'_, Self>) {
        let mut last = q
            .all_responses()
            .map(|r| r.finish)
            .max()
            .unwrap_or(q.issued);
        if let Some(cutoff) = q.cutoff {
            last = last.min(cutoff);
        }
        let merge = if q.responses.len() > 1 {
            self.gather_us
        } else {
            0
        };
        q.done = last.plus_us(merge);
        let q = Rc::new(q);
        if q.manual || q.fanout() > 1 {
            self.followed = Some(q.clone());
        }
        self.newest = Some(q.clone());
        ctx.schedule(q.done, ScatterEvent::Done(q));
    }

    /// Checks a completed query against the plan's laws; returns the first broken one.
    fn check(&self, q: &QuerySummary) -> Result<(), String> {
        let n = q.shards_then;
        let data: Vec<u32> = q.responses.iter().map(|r| r.shard).collect();
        let home = partitions::node_of(&q.owners, q.target);
        match (q.kind, q.index.is_some()) {
            (QueryKind::ByKey, false) | (QueryKind::Write, false) => {
                if data != [home] {
                    return Err(format!(
                        "query {} for user {} touched shards {data:?}, not just shard {home}",
                        q.id, q.target,
                    ));
                }
            }
            (QueryKind::ByAttribute, false) => {
                // Each node that held a partition when the query was planned, once.
                let holders: Vec<u32> = crate::order::set_of(q.owners.iter().copied())
                    .into_iter()
                    .collect();
                if data != holders || holders.iter().any(|s| *s >= n) {
                    return Err(format!(
                        "scatter query {} touched {data:?}, not each of the shards holding data ({holders:?}) once",
                        q.id
                    ));
                }
            }
            (QueryKind::ByAttribute, true) => {
                // The fetches go to distinct shards (by the shard count when the lookup
                // answered), at most one per matching row.
                let most = self.table.rows_with(q.target).len();
                if data.is_empty() || data.len() > most || data.windows(2).any(|w| w[0] >= w[1]) {
                    return Err(format!(
                        "index query {} fetched from shards {data:?}, not 1 to {most} distinct shards",
                        q.id
                    ));
                }
            }
            (QueryKind::Write, true) => {
                if data.len() != 1 {
                    return Err(format!("write {} touched {} data shards", q.id, data.len()));
                }
            }
            (QueryKind::ByKey, true) => {
                return Err(format!("by-key query {} used the index", q.id));
            }
        }
        let latency = q.latency_us();
        if let Some(c) = q.cutoff {
            if q.done > c.plus_us(self.gather_us) {
                return Err(format!(
                    "query {} answered {} µs after its deadline",
                    q.id,
                    q.done.since(c)
                ));
            }
        }
        if let Some(r) = q
            .answered()
            .find(|r| r.finish.since(q.issued) > latency || r.arrived < q.issued)
        {
            return Err(format!(
                "query {} took {latency} µs but shard {} answered {} µs after it was issued",
                q.id,
                r.shard,
                r.finish.since(q.issued)
            ));
        }
        Ok(())
    }

    fn done(&mut self, q: Rc<QuerySummary>, ctx: &mut Ctx<'_, Self>) {
        if let Err(e) = self.check(&q) {
            self.fail(e);
        }
        let latency = q.latency_us();
        self.latency[q.kind.slot()].record(latency);
        self.completed += 1;
        self.fanout_total += u64::from(q.fanout());
        let paused = q.all_responses().filter(|r| r.paused).count() as u32;
        if q.kind == QueryKind::ByAttribute {
            self.attr_completed += 1;
            if paused > 0 {
                self.attr_paused += 1;
            }
            if q.index.is_none() {
                let answered = q.answered().count() as u64;
                self.scatter_done += 1;
                self.scatter_legs += q.responses.len() as u64;
                self.scatter_legs_answered += answered;
                if answered == q.responses.len() as u64 {
                    self.scatter_complete += 1;
                }
            }
        }
        let answered = q.answered().count() as u32;
        let asked = q.fanout();
        if q.hedges > 0 || answered < asked {
            ctx.record(ScatterRecord::Cured {
                query: q.id,
                hedges: q.hedges,
                answered,
                asked,
            });
        }
        let (slowest, slowest_us) = q
            .slowest()
            .map(|r| (r.shard, r.latency_us()))
            .unwrap_or((0, 0));
        ctx.record(ScatterRecord::Completed {
            query: q.id,
            kind: q.kind,
            target: q.target,
            fanout: q.fanout(),
            shards: q.shards_then,
            index: q.index.map(|r| r.shard),
            latency_us: latency,
            slowest,
            slowest_us,
            paused,
            manual: q.manual,
        });
        self.last_query = Some(q);
    }

    fn draw_kind(&mut self) -> QueryKind {
        if self.arrivals.below(100) < self.write_percent {
            QueryKind::Write
        } else if self.arrivals.below(100) < self.by_attribute_percent {
            QueryKind::ByAttribute
        } else {
            QueryKind::ByKey
        }
    }

    fn schedule_arrival(&mut self, ctx: &mut Ctx<'_, Self>) {
        if let Some(gap) = poisson_gap_us(&mut self.arrivals, self.rate_per_sec) {
            ctx.schedule(ctx.now.plus_us(gap), ScatterEvent::Arrival);
        }
    }

    fn resize(&mut self, to: u32, ctx: &mut Ctx<'_, Self>) -> Result<(), InputError> {
        if !(1..=MAX_SHARDS).contains(&to) {
            return Err(InputError(format!(
                "a run has between 1 and {MAX_SHARDS} shards, not {to}"
            )));
        }
        if self.parts.per_node() > 1 {
            return Err(InputError(format!(
                "with {} partitions per node this run keeps its {} nodes: the rebalancer moves partitions between them instead",
                self.parts.per_node(),
                self.shards()
            )));
        }
        let from = self.shards();
        let moves: Vec<ShardMove> = (0..self.table.rows())
            .filter_map(|id| {
                let (a, b) = (self.parts.node_of(id), shard_of(id, to));
                (a != b).then_some(ShardMove { id, from: a, to: b })
            })
            .collect();
        if to > from {
            self.servers
                .extend((from..to).map(|_| ShardServer::new(ctx.now)));
            let others = self.replicas - 1;
            self.copies
                .extend((from * others..to * others).map(|_| ShardServer::new(ctx.now)));
        } else {
            let removed: Vec<ShardServer> = self
                .servers
                .drain(to as usize..)
                .chain(self.copies.drain((to * (self.replicas - 1)) as usize..))
                .collect();
            for s in removed {
                self.requests_removed += s.requests;
                self.busy_removed_us += s.busy_us;
            }
        }
        self.parts = Partitions::new(to, 1);
        if let Some(rb) = self.rebalancer.as_mut() {
            rb.seen = vec![Vec::new(); to as usize];
            rb.unseen.retain(|(_, node, _)| *node < to);
            rb.moving.clear();
            rb.probation = vec![false; to as usize];
            rb.strikes = vec![0; to as usize];
        }
        let total = self.table.rows();
        ctx.record(ScatterRecord::Resized {
            from,
            to,
            moved: moves.len() as u64,
            total,
        });
        self.last_change = Some(ShardChange {
            at: ctx.now,
            from_shards: from,
            to_shards: to,
            moves: moves.into(),
            total,
        });
        Ok(())
    }

    fn shard_arg(&self, action: &str, arg: &str) -> Result<u32, InputError> {
        let n = self.shards();
        let text = arg
            .trim()
            .trim_start_matches(|c: char| c.is_ascii_alphabetic() || c == ' ' || c == '-');
        text.parse::<u32>().ok().filter(|i| *i < n).ok_or_else(|| {
            InputError(format!(
                "{action} needs a shard from 0 to {}, e.g. {action}:0",
                n - 1
            ))
        })
    }

    fn fire(&mut self, arg: &str, ctx: &mut Ctx<'_, Self>) -> Result<(), InputError> {
        let (kind_text, target_text) = match arg.split_once(':') {
            Some((k, t)) => (k.trim(), Some(t.trim())),
            None => (arg.trim(), None),
        };
        let kind = QueryKind::parse(kind_text).ok_or_else(|| {
            InputError(format!(
                "query needs by-key, by-attribute or write (optionally :user or :value), not {kind_text:?}"
            ))
        })?;
        let limit = match kind {
            QueryKind::ByAttribute => self.table.values(),
            _ => self.table.rows(),
        };
        let what = match kind {
            QueryKind::ByAttribute => "attribute value",
            _ => "user id",
        };
        let target = match target_text {
            Some(t) => t
                .trim_start_matches("user")
                .trim_start_matches(['-', '_', ' '])
                .parse::<u64>()
                .ok()
                .filter(|v| *v < limit)
                .ok_or_else(|| {
                    InputError(format!(
                        "query:{}:{t} — the {what} must be from 0 to {}",
                        kind.name(),
                        limit - 1
                    ))
                })?,
            None => self.manual.below(limit),
        };
        self.issue(kind, target, true, ctx);
        Ok(())
    }

    /// The rebalancer's periodic look: each node's signal from the answers seen since the last
    /// look (or its queued work, if larger); starts one move if [`choose_move`] says so.
    fn rebalance(&mut self, ctx: &mut Ctx<'_, Self>) {
        let now = ctx.now;
        let n = self.shards();
        let backlog: Vec<u64> = (0..n).map(|s| self.server(s, 0).backlog_us(now)).collect();
        let Some(rb) = self.rebalancer.as_mut() else {
            return;
        };
        rb.seen.resize(n as usize, Vec::new());
        let mut i = 0;
        while i < rb.unseen.len() {
            let (at, node, us) = rb.unseen[i];
            if at > now {
                i += 1;
                continue;
            }
            rb.unseen.remove(i);
            if let Some(slot) = rb.seen.get_mut(node as usize) {
                slot.push(us);
            }
        }
        let signals: Vec<Option<u64>> = rb
            .seen
            .iter_mut()
            .zip(&backlog)
            .map(|(seen, &queued)| partitions::signal(seen, queued))
            .collect();
        rb.seen.iter_mut().for_each(Vec::clear);
        rb.probation.resize(n as usize, false);
        rb.strikes.resize(n as usize, 0);
        let held = self.parts.held(n);
        let candidate = partitions::should_probate(&signals, &held, &rb.probation);
        for (i, k) in rb.strikes.iter_mut().enumerate() {
            *k = if candidate == Some(i as u32) {
                *k + 1
            } else {
                0
            };
        }
        if let Some(w) =
            candidate.filter(|w| rb.strikes[*w as usize] >= partitions::PROBATION_LOOKS)
        {
            rb.probation[w as usize] = true;
            let mut healthy: Vec<u64> = (0..n)
                .filter(|i| held[*i as usize] > 0 && !rb.probation[*i as usize])
                .filter_map(|i| signals[i as usize])
                .collect();
            healthy.sort_unstable();
            ctx.record(ScatterRecord::Probation {
                shard: w,
                signal_us: signals[w as usize].unwrap_or(0),
                median_us: healthy
                    .get(healthy.len().saturating_sub(1) / 2)
                    .copied()
                    .unwrap_or(0),
            });
        }
        let mut receiving = vec![false; n as usize];
        let mut leaving = vec![0u32; n as usize];
        for &(_, from, to) in &rb.moving {
            receiving[to as usize] = true;
            leaving[from as usize] += 1;
        }
        let moves = partitions::plan(&signals, &held, &rb.probation, &receiving, &leaving);
        let copy_us = (rb.copy_node_us / u64::from(self.parts.per_node())).max(1);
        for (from, to) in moves {
            let busy: Vec<u32> = rb.moving.iter().map(|m| m.0).collect();
            let Some(partition) = self.parts.first_of(from, &busy) else {
                continue;
            };
            rb.moving.push((partition, from, to));
            ctx.record(ScatterRecord::MoveStarted {
                partition,
                from,
                to,
                copy_us,
            });
            ctx.schedule(
                now.plus_us(copy_us),
                ScatterEvent::MoveDone {
                    partition,
                    from,
                    to,
                },
            );
        }
        // Scheduled after the copies, so that a copy taking exactly one period is done before
        // the next look.
        ctx.schedule(now.plus_us(rb.period_us), ScatterEvent::Rebalance);
    }

    /// A partition's copy is done: the new node owns it (unless a resize replaced the table).
    fn move_done(&mut self, partition: u32, from: u32, to: u32, ctx: &mut Ctx<'_, Self>) {
        let Some(rb) = self.rebalancer.as_mut() else {
            return;
        };
        let Some(i) = rb.moving.iter().position(|m| *m == (partition, from, to)) else {
            return; // a resize cancelled it
        };
        rb.moving.remove(i);
        rb.moved += 1;
        self.parts.give(partition, to);
        let held = self.parts.held(self.shards());
        ctx.record(ScatterRecord::PartitionMoved {
            partition,
            from,
            to,
            left: held[from as usize],
        });
    }

    /// Work given to every server so far (removed ones included), in microseconds.
    fn busy_total_us(&self) -> u64 {
        self.all_servers().map(|s| s.busy_us).sum::<u64>() + self.busy_removed_us
    }

    fn percentile_ms(&self, kind: QueryKind, permille: u64) -> MetricValue {
        self.latency[kind.slot()]
            .quantile_us(permille)
            .map_or(MetricValue::None, |us| {
                MetricValue::Float(us as f64 / 1_000.0)
            })
    }
}

impl Model for ScatterGather {
    type Event = ScatterEvent;
    type Record = ScatterRecord;
    type Frame = ShardFrame;
    const ID: &'static str = "scatter-gather";

    fn specs() -> Vec<ParamSpec> {
        vec![
            ParamSpec::int("shards", "Shards", 4, 1, i64::from(MAX_SHARDS), 1)
                .help("N: users live on shard user_id % N; a scatter query asks all N."),
            ParamSpec::int("rows", "Users", 200, 1, 10_000, 1)
                .unit("rows")
                .help("Rows in the sharded table (users 0, 1, 2, …)."),
            ParamSpec::int("matches", "Users per attribute value", 4, 1, 100, 1)
                .unit("rows")
                .help("How many users share each attribute value: the rows one by-attribute query finds."),
            ParamSpec::choice(
                "index",
                "Attribute index",
                "none",
                &[
                    ("none", "None: local indexes, scatter-gather"),
                    ("global", "Global secondary index"),
                ],
            )
            .help("Local indexes make every attribute query ask every shard; a global index, partitioned by the attribute, needs one lookup and targeted fetches, but every write updates it too."),
            ParamSpec::int("query_rate", "Query rate", 100, 0, 1_000, 1)
                .unit("q/s")
                .help("Queries per simulated second (a Poisson stream)."),
            ParamSpec::int("by_attribute_percent", "Reads by attribute", 50, 0, 100, 1)
                .unit("%")
                .help("Share of reads that filter on the attribute instead of the shard key."),
            ParamSpec::int("write_percent", "Writes", 0, 0, 100, 1)
                .unit("%")
                .help("Share of queries that write one row (with a global index, its index entry too)."),
            ParamSpec::float("service_ms", "Median service time", 2.0, 0.1, 100.0, 0.1)
                .unit("ms")
                .help("Median time a shard needs for one request, without queueing."),
            ParamSpec::float("service_sigma", "Service-time spread σ", 0.5, 0.0, 1.5, 0.05)
                .help("σ of the lognormal body: 0 is a constant, 1 is a long tail."),
            ParamSpec::float("slow_percent", "Pause chance", 1.0, 0.0, 50.0, 0.1)
                .unit("%")
                .help("Chance that a request also meets a pause (garbage collection, compaction)."),
            ParamSpec::int("slow_ms", "Pause length", 50, 0, 2_000, 1)
                .unit("ms")
                .help("How long a pause adds."),
            ParamSpec::float("gather_ms", "Merge time", 0.5, 0.0, 50.0, 0.1)
                .unit("ms")
                .help("Router time to merge the answers of a query that touched several shards."),
            ParamSpec::int("degraded_factor", "Degraded slowdown", 10, 2, 100, 1)
                .unit("×")
                .help("A degraded shard (slow-shard) takes this many times as long per request."),
            ParamSpec::int("replicas", "Replicas per shard", 1, 1, 3, 1)
                .help("Copies of each shard, each on its own server. A read goes to one of them (or two, with a cure); a write goes to all."),
            ParamSpec::choice(
                "cure",
                "Tail cure",
                "none",
                &[
                    ("none", "None: wait for every shard"),
                    ("hedged", "Hedged requests"),
                    ("tied", "Tied requests"),
                    ("partial", "Partial results at a deadline"),
                ],
            )
            .help("Hedged: a second copy once the first is late. Tied: two copies, the first to start cancels the other. Partial: answer at the deadline. Hedged and tied need 2 replicas."),
            ParamSpec::float("hedge_ms", "Hedge delay", 0.0, 0.0, 500.0, 0.5)
                .unit("ms")
                .help("How long a read waits before hedging; 0 waits for the 95th percentile of recent first-copy latencies."),
            ParamSpec::float("cancel_ms", "Cancellation delay", 1.0, 0.0, 20.0, 0.1)
                .unit("ms")
                .help("Time a cancellation takes to reach the other copy (tied and hedged requests)."),
            ParamSpec::float("deadline_ms", "Deadline", 20.0, 1.0, 1_000.0, 1.0)
                .unit("ms")
                .help("With partial results, a scatter answers this long after it was issued with the shards that answered."),
            ParamSpec::int("partitions_per_node", "Partitions per node", 1, 1, i64::from(MAX_PARTITIONS), 1)
                .help("Micro-partitions: users are split into N × this many partitions, each movable on its own. 1 is one partition per shard."),
            ParamSpec::float("rebalance_ms", "Rebalance every", 0.0, 0.0, 10_000.0, 10.0)
                .unit("ms")
                .help("How often the rebalancer looks for a node answering more than twice as slowly as the median, and moves one partition off it; 0 turns it off."),
            ParamSpec::float("copy_ms", "Copy time of a node's data", 5_000.0, 0.0, 60_000.0, 100.0)
                .unit("ms")
                .help("Time to copy one node's starting share of the users; one partition takes this divided by the partitions per node."),
        ]
    }

    fn actions() -> Vec<ActionSpec> {
        vec![
            ActionSpec::new("query", "Fire a query")
                .arg("by-key, by-attribute or write", Some("by-attribute")),
            ActionSpec::new("slow-shard", "Degrade a shard").arg("shard", Some("0")),
            ActionSpec::new("heal-shard", "Heal a shard").arg("shard", Some("0")),
            ActionSpec::new("add-shard", "Add a shard"),
            ActionSpec::new("remove-shard", "Remove a shard"),
            ActionSpec::new("resize", "Resize to").arg("shard count", Some("16")),
        ]
    }

    fn build(params: &ParamSet, ctx: &mut Ctx<'_, Self>) -> Result<Self, ParamError> {
        let base = ctx.rng.next_u64();
        let mut layout = SimRng::stream(base, "scatter-gather/table");
        let rows = params.int("rows").clamp(1, 10_000) as u64;
        let matches = params.int("matches").clamp(1, 100) as u64;
        let table = Table::build(rows, matches, &mut layout);
        let shards = params.int("shards").clamp(1, i64::from(MAX_SHARDS)) as u32;
        let index = match params.text("index") {
            "global" => IndexMode::Global,
            _ => IndexMode::Local,
        };
        let replicas = params.int("replicas").clamp(1, 3) as u32;
        let cure = Cure::parse(params.text("cure"));
        if matches!(cure, Cure::Hedged | Cure::Tied) && replicas < 2 {
            return Err(ParamError {
                param: "replicas".into(),
                value: replicas.to_string(),
                allowed: format!(
                    "2 or 3 with {} requests: a second copy needs another replica to go to",
                    params.text("cure")
                ),
            });
        }
        let us = |name: &str| libm::round(params.float(name).max(0.0) * 1_000.0) as u64;
        let hedge_us = us("hedge_ms");
        let per_node = params
            .int("partitions_per_node")
            .clamp(1, i64::from(MAX_PARTITIONS)) as u32;
        let period_us = us("rebalance_ms");
        let rebalancer = (period_us > 0).then(|| Rebalancer {
            period_us,
            copy_node_us: us("copy_ms").max(1),
            moving: Vec::new(),
            probation: vec![false; shards as usize],
            strikes: vec![0; shards as usize],
            unseen: Vec::new(),
            seen: vec![Vec::new(); shards as usize],
            moved: 0,
        });
        let mut model = ScatterGather {
            parts: Partitions::new(shards, per_node),
            rebalancer,
            servers: (0..shards)
                .map(|_| ShardServer::new(SimTime::ZERO))
                .collect(),
            copies: (0..shards * (replicas - 1))
                .map(|_| ShardServer::new(SimTime::ZERO))
                .collect(),
            replicas,
            cure,
            hedge_fixed_us: (hedge_us > 0).then_some(hedge_us),
            cancel_us: us("cancel_ms"),
            deadline_us: us("deadline_ms").max(1),
            dist: ServiceDist {
                median_us: params.float("service_ms") * 1_000.0,
                sigma: params.float("service_sigma"),
                slow_p: params.float("slow_percent") / 100.0,
                slow_us: params.int("slow_ms").max(0) as f64 * 1_000.0,
            },
            degraded_factor: params.int("degraded_factor").clamp(2, 100) as u64,
            index,
            gather_us: libm::round(params.float("gather_ms").max(0.0) * 1_000.0) as u64,
            rate_per_sec: params.int("query_rate").max(0) as f64,
            by_attribute_percent: params.int("by_attribute_percent").clamp(0, 100) as u64,
            write_percent: params.int("write_percent").clamp(0, 100) as u64,
            arrivals: SimRng::stream(base, "scatter-gather/arrivals"),
            service: SimRng::stream(base, "scatter-gather/service"),
            manual: SimRng::stream(base, "scatter-gather/manual"),
            route: SimRng::stream(base, "scatter-gather/route"),
            copy_service: SimRng::stream(base, "scatter-gather/copies"),
            legs: 0,
            copies_sent: 0,
            copies_cancelled: 0,
            dup_busy_us: 0,
            tied_legs: 0,
            tied_both: 0,
            scatter_legs_answered: 0,
            scatter_legs: 0,
            scatter_complete: 0,
            scatter_done: 0,
            busy_removed_us: 0,
            unseen: Vec::new(),
            seen: Vec::new(),
            seen_next: 0,
            since_estimate: 0,
            hedge_estimate_us: None,
            queries_issued: 0,
            requests_total: 0,
            requests_removed: 0,
            latency: Default::default(),
            completed: 0,
            fanout_total: 0,
            attr_completed: 0,
            attr_paused: 0,
            last_change: None,
            recent: Vec::new(),
            last_query: None,
            followed: None,
            newest: None,
            last_attr_value: None,
            now: SimTime::ZERO,
            broken: None,
            table,
        };
        ctx.record(ScatterRecord::Built {
            shards,
            rows,
            values: model.table.values(),
            matches: model.table.matches(),
            global_index: index == IndexMode::Global,
        });
        if per_node > 1 || model.rebalancer.is_some() {
            ctx.record(ScatterRecord::Partitioned {
                partitions: model.parts.count(),
                per_node,
                rebalance_ms: period_us / 1_000,
                copy_ms: model
                    .rebalancer
                    .as_ref()
                    .map_or(0, |r| r.copy_node_us / 1_000),
            });
        }
        if let Some(rb) = &model.rebalancer {
            ctx.schedule(SimTime::ZERO.plus_us(rb.period_us), ScatterEvent::Rebalance);
        }
        model.schedule_arrival(ctx);
        Ok(model)
    }

    fn apply(&mut self, input: &Input, ctx: &mut Ctx<'_, Self>) -> Result<(), InputError> {
        self.now = ctx.now;
        let arg = input.arg.as_deref().unwrap_or("").trim();
        match input.action.as_str() {
            "query" => self.fire(arg, ctx),
            "slow-shard" | "heal-shard" => {
                let shard = self.shard_arg(&input.action, arg)?;
                let slow = input.action == "slow-shard";
                let server = &mut self.servers[shard as usize]; // the shard's first copy
                if server.degraded == slow {
                    return Err(InputError(format!(
                        "shard {shard} is already {}",
                        if slow { "degraded" } else { "healthy" }
                    )));
                }
                server.degraded = slow;
                ctx.record(if slow {
                    ScatterRecord::Degraded {
                        shard,
                        factor: self.degraded_factor,
                    }
                } else {
                    ScatterRecord::Healed { shard }
                });
                Ok(())
            }
            "add-shard" => self.resize(self.shards() + 1, ctx),
            "remove-shard" => {
                let last = self.shards().saturating_sub(1);
                if !arg.is_empty() && self.shard_arg("remove-shard", arg)? != last {
                    return Err(InputError(format!(
                        "with user_id % N placement the shards are 0 to N − 1, so removing one always removes the last, shard {last}"
                    )));
                }
                self.resize(last, ctx)
            }
            "resize" => {
                let to: u32 = arg.parse().map_err(|_| {
                    InputError(format!(
                        "resize needs a shard count from 1 to {MAX_SHARDS}, e.g. resize:16"
                    ))
                })?;
                self.resize(to, ctx)
            }
            other => Err(InputError(format!(
                "unknown action {other:?}; this lesson knows query, slow-shard, heal-shard, add-shard, remove-shard and resize"
            ))),
        }
    }

    fn handle(&mut self, event: ScatterEvent, ctx: &mut Ctx<'_, Self>) {
        self.now = ctx.now;
        match event {
            ScatterEvent::Arrival => {
                let kind = self.draw_kind();
                let target = match kind {
                    QueryKind::ByAttribute => self.arrivals.below(self.table.values()),
                    _ => self.arrivals.below(self.table.rows()),
                };
                self.issue(kind, target, false, ctx);
                self.schedule_arrival(ctx);
            }
            ScatterEvent::Fetch(q) => {
                let mut q = (*q).clone();
                let n = self.shards();
                let mut first = q.first_request;
                let nodes = crate::order::set_of(
                    self.table
                        .rows_with(q.target)
                        .iter()
                        .map(|id| self.parts.node_of(*id)),
                );
                for s in nodes.into_iter().filter(|s| *s < n) {
                    let key = self.match_on(q.target, s);
                    let r = self.send(s, ctx.now, key, &mut first);
                    q.responses.push(r);
                }
                self.complete_plan(q, ctx);
            }
            ScatterEvent::Done(q) => self.done(q, ctx),
            ScatterEvent::Hedge(h) => self.hedge(&h, ctx),
            ScatterEvent::Rebalance => self.rebalance(ctx),
            ScatterEvent::MoveDone {
                partition,
                from,
                to,
            } => self.move_done(partition, from, to, ctx),
        }
    }

    fn frame(&self, now: SimTime) -> ShardFrame {
        view::frame(self, now)
    }

    fn metrics(&self) -> Metrics {
        view::metrics(self)
    }

    fn queries() -> Queries<Self> {
        Queries::new().with::<dyn Placement>(|m| m)
    }

    fn validate(&self) -> Result<(), String> {
        if let Some(e) = &self.broken {
            return Err(e.clone());
        }
        let n = self.shards();
        if !(1..=MAX_SHARDS).contains(&n) {
            return Err(format!("{n} shards, outside 1..={MAX_SHARDS}"));
        }
        if self.parts.count() % n != 0
            || self.parts.held(n).iter().sum::<u32>() != self.parts.count()
        {
            return Err("a partition is owned by a node that does not exist".into());
        }
        let rows: u64 = self.rows_per_node().iter().sum();
        if rows != self.table.rows() {
            return Err(format!(
                "rows per shard add up to {rows}, not the {} rows",
                self.table.rows()
            ));
        }
        let served: u64 =
            self.all_servers().map(|s| s.requests).sum::<u64>() + self.requests_removed;
        if served != self.requests_total {
            return Err(format!(
                "shards were sent {served} requests but the router sent {}",
                self.requests_total
            ));
        }
        let recorded: u64 = self.latency.iter().map(LatencyHistogram::count).sum();
        if recorded != self.completed {
            return Err(format!(
                "the histograms hold {recorded} latencies for {} completed queries",
                self.completed
            ));
        }
        if self.fanout_total > self.requests_total {
            return Err(format!(
                "completed queries sent {} requests, more than the {} sent in all",
                self.fanout_total, self.requests_total
            ));
        }
        if self.copies.len() != (n * (self.replicas - 1)) as usize {
            return Err("the replicas do not match the shards".into());
        }
        // Each second copy ran, or was cancelled, or (tied) its twin was: never two of these.
        if self.tied_both + self.copies_cancelled > self.copies_sent || self.copies_sent > self.legs
        {
            return Err("more second copies accounted for than sent".into());
        }
        if self.dup_busy_us > self.busy_total_us() {
            return Err("more duplicated work than work done".into());
        }
        if self.scatter_legs_answered > self.scatter_legs
            || self.scatter_complete > self.scatter_done
        {
            return Err("more scatter answers than scatter requests".into());
        }
        for (i, s) in self.all_servers().enumerate() {
            if s.busy_until(self.now) > self.now.since(s.since) {
                return Err(format!(
                    "shard {i} was busy {} µs in the {} µs it existed",
                    s.busy_until(self.now),
                    self.now.since(s.since)
                ));
            }
        }
        Ok(())
    }
}

impl Placement for ScatterGather {
    fn nodes(&self) -> Vec<String> {
        (0..self.shards()).map(|i| i.to_string()).collect()
    }

    /// A key is a user id (`13`, `user-13`); its owner is the shard a by-key query touches.
    fn owners(&self, key: &str) -> Option<Vec<String>> {
        let id = crate::models::sharding::user_id(key)?;
        Some(vec![self.parts.node_of(id).to_string()])
    }

    fn last_moved(&self) -> Option<Moved> {
        self.last_change.as_ref().map(ShardChange::moved)
    }

    fn last_moves(&self) -> Option<Vec<Move>> {
        let c = self.last_change.as_ref()?;
        Some(c.listed(|id| id.to_string()))
    }
}
