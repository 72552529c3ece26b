//! One cache and one eviction policy, fed a workload one request at a time: the model of the
//! eviction-policies lesson (and the miss-ratio lessons built on it).
//!
//! Every request goes to one of the fourteen policies of [`crate::cache`] (built by
//! [`cache::build`], never re-implemented here); each [`CacheEvent`] the policy reports while
//! serving it becomes one trace record, narrated with the policy's own reason ("evicted k17 from
//! queue: its visited bit was 0"). A miss reads the database once (`db_reads` = `misses`).
//!
//! The request stream is drawn **in advance**, up to `requests` requests (at most
//! [`MAX_REQUESTS`]), because Belady's MIN needs every request's next use
//! ([`cache::annotate_next`]); after the last one the run serves no more and says so. Requests
//! arrive at fixed intervals of 1/`request_rate` seconds (virtual time is what a policy sees;
//! the spacing only paces the animation). A `request` input asks for one key now, in addition
//! to the stream; MIN is given that key's next use in the stream.
//!
//! Invariants checked by `validate`: the policy's own (capacity respected, indexes agree with
//! lists), hits + misses = requests served, misses = cached + evicted + refused objects,
//! evictions never exceed insertions.
//!
//! Simplifications: one cache, one thread: no concurrency, no lock contention, no per-entry
//! metadata overhead (capacity counts objects, or object bytes with sizes on), no expiry, no
//! writes (every miss is a read that fills the cache).

pub mod frame;

use crate::cache::attach::{self, Attached};
use crate::cache::tinylfu::{Duel, TinyLfu};
use crate::cache::workload::{SizeModel, Workload, FRESH_KEY_BASE};
use crate::cache::{self, CacheEvent, Outcome, Policy, Request, Stats, NEVER};
use crate::model::{ActionSpec, Ctx, InputError, Metric, MetricValue, Metrics, Model};
use crate::params::{ParamError, ParamSet, ParamSpec};
use crate::query::Queries;
use crate::scenario::Input;
use crate::time::SimTime;
use crate::trace::Narrate;
use frame::{
    CacheFrame, FrameEntry, FrameEvent, FrameSegment, FrameSketch, LastRequest, SketchKey,
};
use std::rc::Rc;

pub use crate::models::caching::Caching;

/// The most requests a run draws in advance.
pub const MAX_REQUESTS: i64 = 50_000;
/// The largest capacity a run takes, in objects or bytes.
pub const MAX_CAPACITY: i64 = 1_000_000;
/// Entries a frame draws per segment (the rest are counted).
pub const FRAME_ENTRIES: usize = 48;
/// Upcoming requests a frame shows.
pub const FRAME_UPCOMING: usize = 8;

/// A key as the lesson names it: `k17` for a workload's key 17 (hot keys are numbered by
/// popularity rank, `k0` the most requested), `n3` for the third never-seen key of a scan or a
/// one-hit wonder.
pub fn key_label(key: u64) -> String {
    if key >= FRESH_KEY_BASE {
        format!("n{}", key - FRESH_KEY_BASE)
    } else {
        format!("k{key}")
    }
}

/// Reads a key as [`key_label`] writes it (`k17`, `17`, `n3`).
pub fn parse_key(text: &str) -> Option<u64> {
    let t = text.trim();
    if let Some(n) = t.strip_prefix('n') {
        let n: u64 = n.parse().ok()?;
        return (n < FRESH_KEY_BASE).then(|| FRESH_KEY_BASE + n);
    }
    let k: u64 = t.strip_prefix('k').unwrap_or(t).parse().ok()?;
    (k < FRESH_KEY_BASE).then_some(k)
}

/// How a run names its keys: [`key_label`], or for the reader's trace the key as the file writes
/// it ([`Attached::key_name`], a table built once when the trace was parsed). Only the narration
/// and the diagram read it: names never change what the cache does.
#[derive(Clone, Default)]
pub struct Labels(Option<Rc<Attached>>);

impl Labels {
    /// Names from the attached trace `a`.
    pub fn of(a: Rc<Attached>) -> Self {
        Labels(Some(a))
    }

    /// The trace's name of `key`, if it has one.
    pub fn name(&self, key: u64) -> Option<String> {
        self.0.as_ref().and_then(|a| a.key_name(key))
    }

    /// `key` as the lesson shows it.
    pub fn label(&self, key: u64) -> String {
        self.name(key).unwrap_or_else(|| key_label(key))
    }

    /// A policy's reason with each key it names (`k17`, written by the policy) shown as
    /// [`label`](Self::label) shows it.
    pub fn relabel(&self, text: &str) -> String {
        // ASCII tests only: `char::is_alphanumeric` would bring Unicode's tables to the page.
        let b = text.as_bytes();
        let word = |i: usize| b.get(i).is_some_and(u8::is_ascii_alphanumeric);
        let (mut out, mut done, mut i) = (String::with_capacity(text.len()), 0, 0);
        while i < b.len() {
            if b[i] != b'k' || (i > 0 && word(i - 1)) {
                i += 1;
                continue;
            }
            let end = i + 1 + b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
            if let (false, Ok(key)) = (word(end), text[i + 1..end].parse::<u64>()) {
                out.push_str(&text[done..i]);
                out.push_str(&self.label(key));
                done = end;
            }
            i = end;
        }
        out.push_str(&text[done..]);
        out
    }
}

impl std::fmt::Debug for Labels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let r = self.0.as_ref().map(|a| a.reference.as_str());
        f.debug_tuple("Labels").field(&r).finish()
    }
}

impl PartialEq for Labels {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_ref().map(|a| &a.reference) == other.0.as_ref().map(|a| &a.reference)
    }
}

/// What the model records.
#[derive(Clone, Debug, PartialEq)]
pub enum CacheRecord {
    /// The run's setup.
    Built {
        /// The policy's label.
        policy: &'static str,
        /// Capacity in units.
        capacity: u64,
        /// Requests drawn in advance.
        requests: u64,
        /// Capacity in bytes (sizes on) rather than objects.
        bytes: bool,
    },
    /// One thing the policy did while serving request number `n` (from 1).
    Event {
        /// The request's number.
        n: u64,
        /// What the policy did.
        event: CacheEvent,
        /// An eviction from a ghost list (a remembered key forgotten), not from the cache.
        ghost: bool,
        /// How the narration names keys.
        labels: Labels,
    },
    /// The stream drawn in advance has been served.
    Done {
        /// Requests served from the stream.
        requests: u64,
    },
}

/// One event in words, keys named by `labels`; `ghost`: an eviction from a ghost list (keys
/// only).
pub fn narrate_event(event: &CacheEvent, ghost: bool, labels: &Labels) -> String {
    let key_label = |k: u64| labels.label(k);
    match event {
        CacheEvent::Evict { key, segment, why } if ghost => {
            format!(
                "forgot the key {} in the ghost list {segment}: {}",
                key_label(*key),
                labels.relabel(why)
            )
        }
        CacheEvent::Hit { key, segment } => format!("hit {} in {segment}", key_label(*key)),
        CacheEvent::Miss { key, ghost: None } => {
            format!("miss {}: read it from the database", key_label(*key))
        }
        CacheEvent::Miss {
            key,
            ghost: Some(g),
        } => format!(
            "miss {}: read it from the database (it is remembered in the ghost list {g})",
            key_label(*key)
        ),
        CacheEvent::Insert { key, segment } => {
            format!("inserted {} into {segment}", key_label(*key))
        }
        CacheEvent::Move { key, from, to } if from == to => {
            format!("moved {} to the front of {to}", key_label(*key))
        }
        CacheEvent::Move { key, from, to } => {
            format!("moved {} from {from} to {to}", key_label(*key))
        }
        CacheEvent::Evict { key, segment, why } => {
            format!(
                "evicted {} from {segment}: {}",
                key_label(*key),
                labels.relabel(why)
            )
        }
        CacheEvent::Refuse { key, why } => {
            format!("did not admit {}: {}", key_label(*key), labels.relabel(why))
        }
        CacheEvent::Adapt { name, value } => format!("{name} adapted to {value}"),
    }
}

impl Narrate for CacheRecord {
    fn narrate(&self) -> String {
        match self {
            CacheRecord::Built {
                policy,
                capacity,
                requests,
                bytes,
            } => {
                let unit = if *bytes { "bytes" } else { "objects" };
                format!("{policy} cache of {capacity} {unit}; {requests} requests drawn in advance (MIN needs the future).")
            }
            CacheRecord::Event {
                n,
                event,
                ghost,
                labels,
            } => {
                format!("Request {n}: {}.", narrate_event(event, *ghost, labels))
            }
            CacheRecord::Done { requests } => format!(
                "All {requests} requests drawn for this run are served; raise Requests for a longer run."
            ),
        }
    }
    fn is_milestone(&self) -> bool {
        matches!(self, CacheRecord::Done { .. })
    }
}

/// The model's own events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CacheTick {
    /// The next request of the stream arrives.
    Request,
}

/// The policy a run holds: W-TinyLFU by its own type (the diagram draws its sketch), any other
/// behind the [`Policy`] trait.
#[derive(Clone)]
enum Held {
    Any(Box<dyn Policy>),
    TinyLfu(Box<TinyLfu>),
}

impl std::ops::Deref for Held {
    type Target = dyn Policy;
    fn deref(&self) -> &(dyn Policy + 'static) {
        match self {
            Held::Any(p) => p.as_ref(),
            Held::TinyLfu(p) => p.as_ref(),
        }
    }
}

impl std::ops::DerefMut for Held {
    fn deref_mut(&mut self) -> &mut (dyn Policy + 'static) {
        match self {
            Held::Any(p) => p.as_mut(),
            Held::TinyLfu(p) => p.as_mut(),
        }
    }
}

/// The last admission duel, and both keys' counters read when it was fought.
#[derive(Clone, Debug)]
struct DuelSeen {
    duel: Duel,
    candidate: SketchKey,
    victim: SketchKey,
}

/// The eviction-policy lesson model.
#[derive(Clone)]
pub struct CachePolicyModel {
    policy: Held,
    /// W-TinyLFU's last duel as seen.
    duel: Option<DuelSeen>,
    /// How keys are named.
    labels: Labels,
    policy_id: &'static str,
    policy_label: &'static str,
    /// The policy's ghost lists (keys only): an eviction from one is not an eviction.
    ghosts: Vec<&'static str>,
    bytes: bool,
    /// The stream, every request's next use filled in.
    stream: Rc<Vec<Request>>,
    /// The next stream request to serve.
    cursor: u64,
    interval_us: u64,
    stats: Stats,
    evictions: u64,
    insertions: u64,
    refusals: u64,
    last_evicted: Option<u64>,
    last: Option<LastRequest>,
    /// The last [`WINDOW`] outcomes (true: a miss), oldest first.
    recent: std::collections::VecDeque<bool>,
    /// The share of the stream's requests for its top fifth of keys.
    top20: Option<f64>,
}

impl std::fmt::Debug for CachePolicyModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachePolicyModel")
            .field("policy", &self.policy_id)
            .field("cursor", &self.cursor)
            .field("stats", &self.stats)
            .finish()
    }
}

const WORKLOADS: &[(&str, &str)] = &[
    ("uniform", "Uniform"),
    ("zipf", "Zipf (a few hot keys)"),
    ("loop", "Loop over the keys in order"),
    ("scan", "Hot set with scans"),
    ("one-hit", "Hot set with one-hit wonders"),
    ("shifting", "Shifting hot set"),
    ("sequence", "A fixed sequence"),
    ("trace", "Your trace"),
];

fn workload_of(params: &ParamSet) -> Workload {
    let keys = params.int("keys").max(1) as u64;
    let s = params.float("zipf_s");
    match params.text("workload") {
        "uniform" => Workload::Uniform { keys },
        "loop" => Workload::Loop { len: keys },
        "scan" => Workload::ScanMix {
            hot_keys: keys,
            s,
            scan_share: params.float("scan_share"),
            scan_len: params.int("scan_len").max(1) as u64,
        },
        "one-hit" => Workload::OneHitWonders {
            keys,
            s,
            share: params.float("one_hit_share"),
        },
        "shifting" => Workload::Shifting {
            keys,
            s,
            period: params.int("shift_period").max(1) as u64,
            shift: params.int("shift").max(0) as u64,
        },
        _ => Workload::Zipf { keys, s },
    }
}

fn sizes_of(params: &ParamSet) -> SizeModel {
    let median = params.int("size_median").max(1) as u32;
    let max = median.saturating_mul(100);
    match params.text("sizes") {
        "lognormal" => SizeModel::LogNormal {
            median: f64::from(median),
            sigma: 1.0,
            max,
        },
        "pareto" => SizeModel::Pareto {
            min: median,
            alpha: 1.2,
            max,
        },
        _ => SizeModel::Fixed(1),
    }
}

fn param_error(param: &str, value: &str, allowed: String) -> ParamError {
    ParamError {
        param: param.to_string(),
        value: value.to_string(),
        allowed,
    }
}

/// The first `n` requests of the reader's trace named by the `trace` parameter
/// ([`attach::lookup`]), and the trace (its key names). With object sizes on (any `sizes` but `unit`) the trace's own sizes are
/// used when it has them; otherwise every object has size 1.
fn trace_stream(
    params: &ParamSet,
    n: u64,
    sizes: SizeModel,
) -> Result<(Vec<Request>, Rc<Attached>), ParamError> {
    let reference = params.text(attach::TRACE_PARAM);
    if reference.is_empty() {
        return Err(param_error(
            attach::TRACE_PARAM,
            reference,
            "a trace: paste or upload one under Your trace".into(),
        ));
    }
    let attached =
        attach::lookup(reference).map_err(|e| param_error(attach::TRACE_PARAM, reference, e.0))?;
    let sized = !matches!(sizes, SizeModel::Fixed(1)) && attached.trace.has_sizes;
    let mut trace: Vec<Request> = attached
        .trace
        .requests
        .iter()
        .take(usize::try_from(n).unwrap_or(usize::MAX))
        .map(|r| Request {
            size: if sized { r.size } else { 1 },
            ..Request::unit(r.key)
        })
        .collect();
    cache::annotate_next(&mut trace);
    Ok((trace, attached))
}

/// Requests in the window [`CachePolicyModel`]'s `recent_miss_ratio` reads.
pub const WINDOW: u64 = 500;

/// The share (0–1) of `stream`'s requests that go to its most requested fifth of `space` keys
/// (`space` = 0: of the distinct keys it requests).
pub fn top20_share(stream: &[Request], space: u64) -> Option<f64> {
    if stream.is_empty() {
        return None;
    }
    let mut keys: Vec<u64> = stream.iter().map(|r| r.key).collect();
    keys.sort_unstable();
    let mut counts: Vec<u64> = keys
        .chunk_by(|a, b| a == b)
        .map(|run| run.len() as u64)
        .collect();
    counts.sort_unstable_by(|a, b| b.cmp(a));
    let space = if space == 0 {
        counts.len() as u64
    } else {
        space
    };
    let top: u64 = counts.iter().take((space / 5) as usize).sum();
    Some(top as f64 / stream.len() as f64)
}

/// The keys of a fixed sequence (`1, 2, 3, 1` or `k1 k2 k3 k1`).
fn parse_sequence(text: &str) -> Result<Vec<u64>, String> {
    let keys: Result<Vec<u64>, String> = text
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|t| !t.is_empty())
        .map(|t| parse_key(t).ok_or_else(|| format!("`{t}` is not a key")))
        .collect();
    let keys = keys?;
    if keys.is_empty() {
        return Err("the sequence is empty".to_string());
    }
    Ok(keys)
}

impl CachePolicyModel {
    /// The policy's id.
    pub fn policy_id(&self) -> &'static str {
        self.policy_id
    }

    /// Totals so far.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// The stream drawn in advance.
    pub fn stream(&self) -> &[Request] {
        &self.stream
    }

    fn serve(&mut self, req: Request, n: u64, ctx: &mut Ctx<'_, Self>) {
        let mut events = Vec::new();
        let outcome = self.policy.access(&req, Some(&mut events));
        if let Held::TinyLfu(t) = &self.policy {
            let duel = t.last_duel();
            // A new duel: read both keys' counters now, as the duel read them (nothing is
            // counted between the duel and the end of the request).
            if let Some(d) = duel.filter(|d| self.duel.as_ref().map(|s| s.duel) != Some(*d)) {
                self.duel = Some(DuelSeen {
                    duel: d,
                    candidate: SketchKey::of(&t.sketch_view(d.candidate), "candidate", n),
                    victim: SketchKey::of(&t.sketch_view(d.victim), "victim", n),
                });
            }
        }
        self.stats.record(&req, outcome);
        if self.recent.len() as u64 == WINDOW {
            self.recent.pop_front();
        }
        self.recent.push_back(outcome == Outcome::Miss);
        let ghost = |e: &CacheEvent| matches!(e, CacheEvent::Evict { segment, .. } if self.ghosts.contains(segment));
        let ghosts: Vec<bool> = events.iter().map(ghost).collect();
        for (e, &g) in events.iter().zip(&ghosts) {
            match e {
                CacheEvent::Evict { key, .. } if !g => {
                    self.evictions += 1;
                    self.last_evicted = Some(*key);
                }
                CacheEvent::Insert { segment, .. } if !self.ghosts.contains(segment) => {
                    self.insertions += 1;
                }
                CacheEvent::Refuse { .. } => self.refusals += 1,
                _ => {}
            }
        }
        self.last = Some(LastRequest {
            n,
            key: req.key,
            hit: outcome == Outcome::Hit,
            at: ctx.now,
            events: events
                .iter()
                .zip(&ghosts)
                .map(|(e, &g)| FrameEvent::from_event(e, g, &self.labels))
                .collect(),
        });
        for (event, ghost) in events.into_iter().zip(ghosts) {
            ctx.record(CacheRecord::Event {
                n,
                event,
                ghost,
                labels: self.labels.clone(),
            });
        }
    }

    /// W-TinyLFU's sketch: its shape and sample, the last request's key's counters now and the
    /// last duel's keys' counters as the duel read them.
    fn sketch(&self) -> Option<FrameSketch> {
        let Held::TinyLfu(t) = &self.policy else {
            return None;
        };
        let s = t.sketch();
        let mut keys: Vec<SketchKey> = self
            .last
            .iter()
            .map(|l| SketchKey::of(&t.sketch_view(l.key), "request", l.n))
            .collect();
        if let Some(d) = &self.duel {
            keys.extend([d.candidate.clone(), d.victim.clone()]);
        }
        Some(FrameSketch {
            rows: crate::cache::tinylfu::SKETCH_SEEDS.len() as u32,
            width: s.width(),
            sample: s.additions(),
            sample_size: s.sample_size(),
            resets: s.resets(),
            doorkeeper: s.has_doorkeeper(),
            keys,
        })
    }

    /// The next use in the stream of `key` at or after the cursor.
    fn next_use(&self, key: u64) -> u64 {
        (self.cursor..self.stream.len() as u64)
            .find(|&i| self.stream[i as usize].key == key)
            .unwrap_or(NEVER)
    }
}

impl Model for CachePolicyModel {
    type Event = CacheTick;
    type Record = CacheRecord;
    type Frame = CacheFrame;
    const ID: &'static str = "cache-policy";

    fn specs() -> Vec<ParamSpec> {
        vec![
            ParamSpec::choice("policy", "Policy", "lru", cache::POLICIES)
                .help("The eviction policy: what the cache keeps and what it evicts."),
            ParamSpec::int("capacity", "Capacity", 4, 0, MAX_CAPACITY, 1)
                .help("How much the cache holds: objects, or bytes when objects have sizes."),
            ParamSpec::choice("workload", "Workload", "zipf", WORKLOADS)
                .help("Which keys the requests ask for."),
            ParamSpec::int("keys", "Keys", 10, 1, 1_000_000, 1).help(
                "Distinct keys (the hot set, or the loop's length); k0 is the most requested.",
            ),
            ParamSpec::float("zipf_s", "Zipf exponent s", 1.0, 0.0, 3.0, 0.1)
                .help("Skew: 0 is uniform, 1 is classic Zipf, higher is hotter."),
            ParamSpec::float("scan_share", "Scan share", 0.2, 0.01, 1.0, 0.01)
                .help("Share of requests that belong to scans of never-seen keys."),
            ParamSpec::int("scan_len", "Scan length", 8, 1, 100_000, 1)
                .unit("requests")
                .help("Requests per scan."),
            ParamSpec::float("one_hit_share", "One-hit share", 0.3, 0.0, 1.0, 0.01)
                .help("Share of requests for a never-seen key asked for only once."),
            ParamSpec::int("shift_period", "Shift period", 200, 1, 1_000_000, 1)
                .unit("requests")
                .help("Requests between moves of the hot set."),
            ParamSpec::int("shift", "Shift", 10, 0, 1_000_000, 1)
                .unit("keys")
                .help("How far the hot set moves each time."),
            ParamSpec::text(attach::TRACE_PARAM, "Trace", "", 80).help(
                "The trace you brought, by name and content hash (load it under Your trace).",
            ),
            ParamSpec::text("sequence", "Sequence", "1 2 3 4 1 2 5 1 2 3 4 5", 400)
                .help("The keys of the fixed sequence, in order (k1 or 1, separated by spaces or commas)."),
            ParamSpec::choice(
                "sizes",
                "Object sizes",
                "unit",
                &[
                    ("unit", "All 1 (capacity in objects)"),
                    ("lognormal", "Log-normal (capacity in bytes)"),
                    ("pareto", "Pareto, heavy tail (capacity in bytes)"),
                ],
            )
            .help("With sizes, capacity counts bytes and an object larger than the cache is never stored."),
            ParamSpec::int("size_median", "Typical size", 10, 1, 100_000, 1)
                .unit("bytes")
                .help("The log-normal median or the Pareto minimum; sizes are capped at 100 times it."),
            ParamSpec::int("request_rate", "Request rate", 5, 1, 1_000, 1)
                .unit("req/s")
                .help("Requests per simulated second, evenly spaced."),
            ParamSpec::int("requests", "Requests", 2_000, 1, MAX_REQUESTS, 1).help(
                "How many requests the run draws in advance (MIN needs the future); the run serves no more.",
            ),
        ]
    }

    fn actions() -> Vec<ActionSpec> {
        vec![ActionSpec::new("request", "Request a key")
            .arg("key", Some("k1"))
            .help("Asks the cache for one key now, on top of the workload.")]
    }

    fn build(params: &ParamSet, ctx: &mut Ctx<'_, Self>) -> Result<Self, ParamError> {
        let id = params.text("policy");
        let &(policy_id, policy_label) = cache::POLICIES
            .iter()
            .find(|p| p.0 == id)
            .ok_or_else(|| param_error("policy", id, "one of the listed policies".into()))?;
        let capacity = params.int("capacity").clamp(0, MAX_CAPACITY) as u64;
        let policy = cache::build(policy_id, capacity, ctx.seed)
            .map_err(|e| param_error("capacity", &capacity.to_string(), e))?;
        // `cache::build`'s W-TinyLFU, by its own type (`metrics_agree_with_replay_on_the_same_
        // stream` checks that the two agree).
        let policy = match policy_id {
            "tinylfu" => Held::TinyLfu(Box::new(TinyLfu::new(capacity))),
            _ => Held::Any(policy),
        };
        let n = params.int("requests").clamp(1, MAX_REQUESTS) as u64;
        let sizes = sizes_of(params);
        let mut labels = Labels::default();
        let stream = if params.text("workload") == "trace" {
            let (stream, attached) = trace_stream(params, n, sizes)?;
            labels = Labels::of(attached);
            stream
        } else if params.text("workload") == "sequence" {
            let text = params.text("sequence");
            let keys = parse_sequence(text)
                .map_err(|e| param_error("sequence", text, format!("keys like `1 2 3 1` ({e})")))?;
            let mut trace: Vec<Request> = keys
                .iter()
                .take(n as usize)
                .map(|&key| Request {
                    size: sizes.size_of(ctx.seed, key),
                    ..Request::unit(key)
                })
                .collect();
            cache::annotate_next(&mut trace);
            trace
        } else {
            workload_of(params)
                .generate(ctx.seed, sizes, n)
                .map_err(|e| param_error("workload", params.text("workload"), e.0))?
        };
        let rate = params.int("request_rate").clamp(1, 1_000) as u64;
        let space = match params.text("workload") {
            "uniform" | "zipf" => params.int("keys").max(1) as u64,
            _ => 0,
        };
        let top20 = top20_share(&stream, space);
        let ghosts = policy
            .view()
            .segments
            .iter()
            .filter(|s| s.ghost)
            .map(|s| s.name)
            .collect();
        let model = CachePolicyModel {
            policy,
            duel: None,
            labels,
            policy_id,
            policy_label,
            ghosts,
            bytes: !matches!(sizes, SizeModel::Fixed(1)),
            stream: Rc::new(stream),
            cursor: 0,
            interval_us: 1_000_000 / rate,
            stats: Stats::default(),
            evictions: 0,
            insertions: 0,
            refusals: 0,
            last_evicted: None,
            last: None,
            recent: std::collections::VecDeque::new(),
            top20,
        };
        ctx.record(CacheRecord::Built {
            policy: policy_label,
            capacity,
            requests: model.stream.len() as u64,
            bytes: model.bytes,
        });
        ctx.schedule(ctx.now.plus_us(model.interval_us), CacheTick::Request);
        Ok(model)
    }

    fn apply(&mut self, input: &Input, ctx: &mut Ctx<'_, Self>) -> Result<(), InputError> {
        match input.action.as_str() {
            "request" => {
                let arg = input.arg.as_deref().unwrap_or("");
                let key = parse_key(arg).ok_or_else(|| {
                    InputError(format!("request needs a key such as k1 or 17, not {arg:?}"))
                })?;
                let size = self
                    .stream
                    .iter()
                    .find(|r| r.key == key)
                    .map_or(1, |r| r.size);
                let req = Request {
                    key,
                    size,
                    next: self.next_use(key),
                };
                let n = self.stats.requests + 1;
                self.serve(req, n, ctx);
                Ok(())
            }
            other => Err(InputError(format!(
                "unknown action {other:?}; this lesson knows request"
            ))),
        }
    }

    fn handle(&mut self, event: CacheTick, ctx: &mut Ctx<'_, Self>) {
        match event {
            CacheTick::Request => {
                let Some(&req) = self.stream.get(self.cursor as usize) else {
                    return;
                };
                self.cursor += 1;
                let n = self.stats.requests + 1;
                self.serve(req, n, ctx);
                if self.cursor < self.stream.len() as u64 {
                    ctx.schedule(ctx.now.plus_us(self.interval_us), CacheTick::Request);
                } else {
                    ctx.record(CacheRecord::Done {
                        requests: self.cursor,
                    });
                }
            }
        }
    }

    fn frame(&self, now: SimTime) -> CacheFrame {
        let view = self.policy.view();
        let mut f = CacheFrame {
            now,
            policy: self.policy_id.to_string(),
            policy_label: self.policy_label.to_string(),
            capacity: self.policy.capacity(),
            used: self.policy.used(),
            bytes: self.bytes,
            segments: view
                .segments
                .iter()
                .map(|s| FrameSegment {
                    name: s.name.to_string(),
                    ghost: s.ghost,
                    capacity: s.capacity,
                    entries: s
                        .entries
                        .iter()
                        .take(FRAME_ENTRIES)
                        .map(|e| FrameEntry {
                            key: e.key,
                            size: e.size,
                            mark: e.mark,
                        })
                        .collect(),
                    more: s.entries.len().saturating_sub(FRAME_ENTRIES) as u64,
                })
                .collect(),
            hand: view.hand,
            values: view
                .values
                .iter()
                .map(|(k, v)| ((*k).to_string(), *v))
                .collect(),
            last: self.last.clone(),
            upcoming: self
                .stream
                .iter()
                .skip(self.cursor as usize)
                .take(FRAME_UPCOMING)
                .map(|r| r.key)
                .collect(),
            sketch: self.sketch().map_or_else(Vec::new, |s| s.pack()),
            named: Vec::new(),
            names: Vec::new(),
        };
        if self.labels.0.is_some() {
            let mut keys: Vec<u64> = f.upcoming.clone();
            keys.extend(
                f.segments
                    .iter()
                    .flat_map(|s| s.entries.iter().map(|e| e.key)),
            );
            keys.extend(
                f.last
                    .iter()
                    .flat_map(|l| l.events.iter().filter_map(|e| e.key)),
            );
            keys.extend(f.sketch().iter().flat_map(|s| s.keys.iter().map(|k| k.key)));
            keys.sort_unstable();
            keys.dedup();
            for k in keys {
                if let Some(n) = self.labels.name(k) {
                    f.named.push(k);
                    f.names.push(n);
                }
            }
        }
        f
    }

    fn metrics(&self) -> Metrics {
        let s = &self.stats;
        let ratio = |num: u64, den: u64| {
            if den == 0 {
                MetricValue::None
            } else {
                MetricValue::Float(num as f64 / den as f64)
            }
        };
        let int = |v: u64| MetricValue::Int(i64::try_from(v).unwrap_or(i64::MAX));
        let m = |id, label, value, help| Metric {
            id,
            label,
            value,
            unit: None,
            help,
        };
        let mut scalars =
            vec![
            m("requests", "Requests", int(s.requests), "Requests served so far."),
            m("hits", "Hits", int(s.hits), "Requests served from the cache."),
            m("misses", "Misses", int(s.misses), "Requests the cache could not serve."),
            m(
                "hit_ratio",
                "Hit ratio",
                ratio(s.hits, s.requests),
                "Hits over requests (0 to 1).",
            ),
            m(
                "miss_ratio",
                "Miss ratio",
                ratio(s.misses, s.requests),
                "Misses over requests (0 to 1): the y of a miss-ratio curve.",
            ),
            m(
                "recent_miss_ratio",
                "Recent miss ratio",
                ratio(
                    self.recent.iter().filter(|m| **m).count() as u64,
                    self.recent.len() as u64,
                ),
                "Misses over the last 500 requests (fewer at the start): the miss ratio now, not since the start.",
            ),
            m(
                "top20_share",
                "Top 20 % share",
                self.top20.map_or(MetricValue::None, MetricValue::Float),
                "Share of this run's requests that ask for its most requested fifth of the keys (of all the keys for Uniform and Zipf).",
            ),
            m(
                "evictions",
                "Evictions",
                int(self.evictions),
                "Objects the policy pushed out to make room.",
            ),
            m(
                "db_reads",
                "Database reads",
                int(s.misses),
                "Every miss reads the object from the database.",
            ),
            m(
                "refusals",
                "Refused",
                int(self.refusals),
                "Misses the policy chose not to store (an admission duel lost, an object too big).",
            ),
            m(
                "cached",
                "Cached objects",
                int(self.policy.len()),
                "Objects in the cache now (ghost entries excluded).",
            ),
            m(
                "last_evicted",
                "Last evicted key",
                self.last_evicted
                    .map_or(MetricValue::None, |k| int(k % FRESH_KEY_BASE)),
                "The number of the key evicted most recently (17 for k17).",
            ),
        ];
        if self.bytes {
            scalars.insert(
                4,
                m(
                    "byte_hit_ratio",
                    "Byte hit ratio",
                    ratio(s.bytes_hit, s.bytes_requested),
                    "Bytes served from the cache over bytes requested.",
                ),
            );
        }
        Metrics {
            scalars,
            groups: Vec::new(),
        }
    }

    fn queries() -> Queries<Self> {
        Queries::new().with::<dyn Caching>(|m| m)
    }

    fn validate(&self) -> Result<(), String> {
        self.policy.validate()?;
        let s = &self.stats;
        if s.hits + s.misses != s.requests {
            return Err(format!(
                "{} hits and {} misses for {} requests",
                s.hits, s.misses, s.requests
            ));
        }
        // Every miss stores the object or refuses it, and every stored object is still cached
        // or was evicted (or, in W-TinyLFU, lost its admission duel: a refusal).
        if s.misses != self.policy.len() + self.evictions + self.refusals {
            return Err(format!(
                "{} misses, but {} cached + {} evicted + {} refused",
                s.misses,
                self.policy.len(),
                self.evictions,
                self.refusals
            ));
        }
        if self.evictions > self.insertions {
            return Err(format!(
                "{} evictions but only {} insertions",
                self.evictions, self.insertions
            ));
        }
        if self.policy.used() > self.policy.capacity() {
            return Err(format!(
                "the cache holds {} units, more than its capacity {}",
                self.policy.used(),
                self.policy.capacity()
            ));
        }
        Ok(())
    }
}

impl Caching for CachePolicyModel {
    fn contains(&self, key: u64) -> bool {
        self.policy.contains(key)
    }
    fn policy(&self) -> &'static str {
        self.policy_id
    }
    fn cached(&self) -> Vec<u64> {
        let mut keys: Vec<u64> = self
            .policy
            .view()
            .segments
            .iter()
            .filter(|s| !s.ghost)
            .flat_map(|s| s.entries.iter().map(|e| e.key))
            .collect();
        keys.sort_unstable();
        keys
    }
    fn last_evicted(&self) -> Option<u64> {
        self.last_evicted
    }
}
