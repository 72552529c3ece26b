//! Cache hierarchies: an in-process L1 in every app server, a shared L2, optionally a CDN edge in
//! front, and the database behind them all — hit ratio, latency and origin load per level, what
//! an invalidation costs, and how an L1 absorbs a hot key.
//!
//! # Mechanism
//!
//! Requests arrive as a Poisson stream of `request_rate` a second. Each asks for key 0 (the
//! **hot key**) with probability `hot_share` %, otherwise for a key drawn by Zipf(`zipf_s`)
//! popularity over `keys` keys (key 0 is also the Zipf rank 1). A request is a write with
//! probability `write_percent` %, and goes through one of `app_servers` app servers picked
//! uniformly (a load balancer).
//!
//! A **read** ([`Hierarchy::read`]) walks the levels until one holds a live copy, and fills every
//! level it missed on the way back (cache-aside at each level, the look-aside design of
//! Facebook's memcache):
//! 1. **The CDN edge** (`edge` on): an LRU of `edge_size` objects whose copies live
//!    `edge_ttl_ms` (HTTP `max-age`). Only `cacheable_percent` % of keys may be cached there (a
//!    fixed set: public pages, not per-user ones); the rest pass through it.
//! 2. **The app server's L1** (`l1_size` > 0): an in-process LRU of `l1_size` keys, copies living
//!    `l1_ttl_ms`.
//! 3. **The L2** (`l2_size` > 0): a shared cache of `l2_size` keys over `l2_shards` nodes, a key
//!    on one node by a hash of it; each node evicts by sampled LRU, as Redis does
//!    (`maxmemory-policy allkeys-lru`, `maxmemory-samples` 5), copies living `l2_ttl_ms`.
//! 4. **The database** (the origin), which holds every key's current version.
//!
//! Every level's eviction is one of [`crate::cache`]'s policies ([`crate::cache::build`]); this
//! model adds only the version and time to live each copy carries ([`tier::TierCache`]).
//!
//! A read's latency is the sum of the parts it reached: `edge_ms` (client to edge), `dc_ms` (to
//! the data centre, from the client or from the edge), `l1_us`, `l2_us`, `db_ms`. Rates (the
//! load bars, `origin_rps`) are counted over the last 5 s ([`rate::RateWindow`]).
//!
//! A **write** ([`Hierarchy::write`]) goes to the database (the version goes up), deletes the key
//! from the L2 and from the writer's own L1 at once, then, by `l1_invalidation`:
//! **broadcast** sends one invalidation message to each of the other app servers, landing
//! `invalidation_ms` later (Facebook's mcsqueal daemons tail the database's commit log and send
//! deletes the same way); **ttl-only** sends nothing, so other servers' copies are served until
//! their L1 time to live runs out. With the edge on and `edge_invalidation` = purge, a purge
//! request reaches the edge `purge_ms` later. A read served a copy older than the database's
//! version is a **stale read**, counted at the level that served it. Stale copies spread
//! upwards: an edge that misses during the window refills from an L1 that still holds the old
//! version.
//!
//! # Invariants checked by `validate`
//!
//! Every level holds at most its capacity, and its policy and version table agree; no copy is
//! newer than the database; each L2 node holds only its own keys; reads are conserved (answered
//! per level add up to reads; the L1s' hits are the reads they answered; every read past the
//! edge looked in an L1); the database never serves a stale read; one latency per read.
//!
//! # Simplifications
//!
//! A read is answered at the instant it arrives: its latency is added up, not waited for, so
//! levels have no queues (load beyond a node's capacity is drawn, not slowed down) and the
//! cache-aside race (a slow reader filling an old value after a write) cannot happen here — the
//! write-policy lesson shows it. One edge location stands for the CDN (a real one has many,
//! each missing separately). Invalidation messages are never lost and arrive after a fixed
//! delay. Values have one size; the levels count keys, not bytes. Writes update the database
//! only (no write-through to the caches).

use crate::model::{ActionSpec, Ctx, InputError, Metrics, Model};
use crate::models::store_view::StoreFrame;
use crate::params::{ParamError, ParamSet, ParamSpec};
use crate::query::Queries;
use crate::rng::SimRng;
use crate::scenario::Input;
use crate::time::SimTime;
use crate::workload::Popularity;

pub mod hierarchy;
pub mod rate;
mod record;
mod report;
pub mod tier;

pub use hierarchy::{
    cacheable, l2_shard_of, Config, Counters, EdgeInvalidation, Hierarchy, Hop, L1Invalidation,
    Latency, Level, Message, Read, Write,
};
pub use record::TiersRecord;

/// Most app servers.
pub const MAX_SERVERS: u32 = 16;
/// Most keys.
pub const MAX_KEYS: u64 = 100_000;
/// Largest cache at any level, in keys.
pub const MAX_CACHE: u64 = 100_000;
/// Most L2 shards.
pub const MAX_SHARDS: u32 = 16;
/// The hot key.
pub const HOT_KEY: u64 = 0;

/// The model's own events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TiersEvent {
    /// The next request arrives.
    Request,
    /// An invalidation message or a purge lands.
    Deliver(Message),
}

/// What happened last, for the diagram's highlighted path.
#[derive(Clone, Debug, PartialEq)]
pub enum Last {
    /// A read.
    Read(Read, SimTime),
    /// A write.
    Write(Write, SimTime),
    /// A message landed.
    Delivered(Message, u64, SimTime),
    /// A purge was sent by the learner.
    PurgeSent(Option<u64>, SimTime),
}

/// The cache-hierarchy lesson model.
#[derive(Clone, Debug)]
pub struct CacheTiers {
    /// The levels and their counters.
    pub hierarchy: Hierarchy,
    keys: u64,
    popularity: Popularity,
    hot_share: f64,
    write_share: f64,
    rate_per_sec: f64,
    rng: SimRng,
    last: Option<Last>,
    l2_capacity: u64,
    db_capacity: u64,
    /// The time of the last event or input (metrics are read at it).
    now: SimTime,
}

fn ttl(params: &ParamSet, name: &str) -> Option<u64> {
    let ms = params.int(name).max(0) as u64;
    (ms > 0).then(|| ms * 1_000)
}

impl CacheTiers {
    /// The shape the parameters describe.
    pub fn config(params: &ParamSet) -> Result<Config, ParamError> {
        let choice = |name: &str, allowed: &[&str]| -> Result<String, ParamError> {
            let v = params.text(name);
            if allowed.contains(&v) {
                Ok(v.to_string())
            } else {
                Err(ParamError {
                    param: name.to_string(),
                    value: v.to_string(),
                    allowed: allowed.join(" or "),
                })
            }
        };
        let l1_invalidation = match choice("l1_invalidation", &["broadcast", "ttl-only"])?.as_str()
        {
            "broadcast" => L1Invalidation::Broadcast,
            _ => L1Invalidation::TtlOnly,
        };
        let edge_invalidation = match choice("edge_invalidation", &["purge", "ttl-only"])?.as_str()
        {
            "purge" => EdgeInvalidation::Purge,
            _ => EdgeInvalidation::TtlOnly,
        };
        let int = |n: &str| params.int(n).max(0) as u64;
        Ok(Config {
            servers: int("app_servers").clamp(1, u64::from(MAX_SERVERS)) as u32,
            l1_size: int("l1_size").min(MAX_CACHE),
            l1_ttl_us: ttl(params, "l1_ttl_ms"),
            l1_invalidation,
            invalidation_delay_us: int("invalidation_ms") * 1_000,
            l2_size: int("l2_size").min(MAX_CACHE),
            l2_shards: int("l2_shards").clamp(1, u64::from(MAX_SHARDS)) as u32,
            l2_ttl_us: ttl(params, "l2_ttl_ms"),
            edge: params.boolean("edge"),
            edge_size: int("edge_size").min(MAX_CACHE),
            edge_ttl_us: ttl(params, "edge_ttl_ms"),
            cacheable_percent: int("cacheable_percent").min(100) as u32,
            edge_invalidation,
            purge_delay_us: int("purge_ms") * 1_000,
            latency: Latency {
                edge_us: int("edge_ms") * 1_000,
                dc_us: int("dc_ms") * 1_000,
                l1_us: int("l1_us"),
                l2_us: int("l2_us"),
                db_us: int("db_ms") * 1_000,
            },
        })
    }

    fn schedule_request(&self, ctx: &mut Ctx<'_, Self>) {
        ctx.schedule_poisson(self.rate_per_sec, TiersEvent::Request);
    }

    fn send(&mut self, write: &Write, ctx: &mut Ctx<'_, Self>) {
        for &(delay, msg) in &write.messages {
            if delay == 0 {
                self.deliver(msg, ctx);
            } else {
                ctx.schedule(ctx.now.plus_us(delay), TiersEvent::Deliver(msg));
            }
        }
    }

    fn deliver(&mut self, msg: Message, ctx: &mut Ctx<'_, Self>) {
        let dropped = self.hierarchy.deliver(msg);
        ctx.record(match msg {
            Message::InvalidateL1 { server, key } => TiersRecord::Invalidated {
                server,
                key,
                dropped: dropped > 0,
            },
            Message::Purge { key } => TiersRecord::Purged { key, dropped },
        });
        self.last = Some(Last::Delivered(msg, dropped, ctx.now));
    }

    fn write(&mut self, server: u32, key: u64, manual: bool, ctx: &mut Ctx<'_, Self>) {
        let w = self.hierarchy.write(server, key, ctx.now);
        let l1_messages = w
            .messages
            .iter()
            .filter(|(_, m)| matches!(m, Message::InvalidateL1 { .. }))
            .count() as u64;
        ctx.record(TiersRecord::Wrote {
            key,
            server,
            version: w.version,
            l1_messages,
            purge: w
                .messages
                .iter()
                .any(|(_, m)| matches!(m, Message::Purge { .. })),
            manual,
        });
        self.last = Some(Last::Write(w.clone(), ctx.now));
        self.send(&w, ctx);
    }

    fn parse_key(&self, action: &str, arg: &str) -> Result<u64, InputError> {
        let k = arg.trim().trim_start_matches('k');
        match k.parse::<u64>() {
            Ok(k) if k < self.keys => Ok(k),
            _ => Err(InputError(format!(
                "{action} needs a key from 0 to {}, e.g. {action}:0 (got {arg:?})",
                self.keys - 1
            ))),
        }
    }

    /// What happened last.
    pub fn last(&self) -> Option<&Last> {
        self.last.as_ref()
    }
}

impl Model for CacheTiers {
    type Event = TiersEvent;
    type Record = TiersRecord;
    type Frame = StoreFrame;
    const ID: &'static str = "cache-tiers";

    fn specs() -> Vec<ParamSpec> {
        spec_list()
    }

    fn actions() -> Vec<ActionSpec> {
        vec![
            ActionSpec::new("write", "Write a key")
                .arg("key", Some("0"))
                .help("App server 1 writes the key: the database first, then the invalidations."),
            ActionSpec::new("purge", "Purge the CDN")
                .arg("key, or all", Some("0"))
                .help(
                    "Asks the CDN to drop the key (or everything); it lands after the purge delay.",
                ),
        ]
    }

    fn build(params: &ParamSet, ctx: &mut Ctx<'_, Self>) -> Result<Self, ParamError> {
        let config = Self::config(params)?;
        let hierarchy = Hierarchy::new(config, ctx.seed).map_err(|e| ParamError {
            param: "l1_size".into(),
            value: String::new(),
            allowed: e,
        })?;
        let keys = (params.int("keys").max(1) as u64).min(MAX_KEYS);
        let model = CacheTiers {
            hierarchy,
            keys,
            popularity: Popularity::zipf(keys, params.float("zipf_s")),
            hot_share: params.int("hot_share").clamp(0, 100) as f64 / 100.0,
            write_share: params.float("write_percent").clamp(0.0, 100.0) / 100.0,
            rate_per_sec: params.int("request_rate").max(0) as f64,
            // Requests draw from their own stream, so that two configurations compared side by
            // side see the very same requests.
            rng: SimRng::stream(ctx.seed, "cache-tiers-requests"),
            last: None,
            l2_capacity: params.int("l2_capacity").max(1) as u64,
            db_capacity: params.int("db_capacity").max(1) as u64,
            now: SimTime::ZERO,
        };
        model.schedule_request(ctx);
        Ok(model)
    }

    fn apply(&mut self, input: &Input, ctx: &mut Ctx<'_, Self>) -> Result<(), InputError> {
        self.now = ctx.now;
        let arg = input.arg.as_deref().unwrap_or("0").trim();
        match input.action.as_str() {
            "write" => {
                let key = self.parse_key("write", arg)?;
                self.write(0, key, true, ctx);
                Ok(())
            }
            "purge" => {
                if self.hierarchy.edge.is_none() {
                    return Err(InputError(
                        "there is no CDN edge to purge: switch the edge on first".into(),
                    ));
                }
                let key = if arg.eq_ignore_ascii_case("all") {
                    None
                } else {
                    Some(self.parse_key("purge", arg)?)
                };
                let msg = self.hierarchy.purge_message(key);
                let delay = self.hierarchy.config.purge_delay_us;
                ctx.record(TiersRecord::PurgeSent {
                    key,
                    delay_us: delay,
                });
                self.last = Some(Last::PurgeSent(key, ctx.now));
                if delay == 0 {
                    self.deliver(msg, ctx);
                } else {
                    ctx.schedule(ctx.now.plus_us(delay), TiersEvent::Deliver(msg));
                }
                Ok(())
            }
            other => Err(InputError(format!(
                "unknown action {other:?}; this lesson knows write and purge"
            ))),
        }
    }

    fn handle(&mut self, event: TiersEvent, ctx: &mut Ctx<'_, Self>) {
        self.now = ctx.now;
        match event {
            TiersEvent::Request => {
                let key = if self.hot_share > 0.0 && self.rng.chance(self.hot_share) {
                    HOT_KEY
                } else {
                    self.popularity.pick(&mut self.rng, self.keys).unwrap_or(0)
                };
                let server = self.rng.below(u64::from(self.hierarchy.config.servers)) as u32;
                let is_write = self.write_share > 0.0 && self.rng.chance(self.write_share);
                if is_write {
                    self.write(server, key, false, ctx);
                } else {
                    let r = self.hierarchy.read(server, key, ctx.now);
                    ctx.record(TiersRecord::Read {
                        key,
                        server,
                        served_by: r.served_by,
                        version: r.version,
                        current: r.current,
                        latency_us: r.latency_us,
                    });
                    self.last = Some(Last::Read(r, ctx.now));
                }
                self.schedule_request(ctx);
            }
            TiersEvent::Deliver(msg) => self.deliver(msg, ctx),
        }
    }

    fn frame(&self, now: SimTime) -> StoreFrame {
        report::frame(self, now)
    }

    fn metrics(&self) -> Metrics {
        report::metrics(self)
    }

    fn queries() -> Queries<Self> {
        Queries::new()
    }

    fn validate(&self) -> Result<(), String> {
        self.hierarchy.validate()?;
        if self.hierarchy.l1.len() as u32 != self.hierarchy.config.servers {
            return Err(format!(
                "{} L1s for {} app servers",
                self.hierarchy.l1.len(),
                self.hierarchy.config.servers
            ));
        }
        Ok(())
    }
}

fn spec_list() -> Vec<ParamSpec> {
    vec![
        ParamSpec::int("request_rate", "Request rate", 200, 0, 2_000, 10)
            .unit("req/s")
            .help("Requests per simulated second (a Poisson stream)."),
        ParamSpec::int("keys", "Keys", 1_000, 1, MAX_KEYS as i64, 1)
            .unit("keys")
            .help("How many distinct keys requests ask for (k0, k1, …)."),
        ParamSpec::float("zipf_s", "Zipf exponent s", 0.9, 0.0, 3.0, 0.1)
            .help("Skew of key popularity: 0 is uniform, 1 is classic Zipf; k0 is the most popular."),
        ParamSpec::int("hot_share", "Hot key share", 0, 0, 90, 1)
            .unit("%")
            .help("Share of all requests that ask for k0 on top of its Zipf share (a celebrity, a flash sale)."),
        ParamSpec::float("write_percent", "Writes", 1.0, 0.0, 50.0, 0.5)
            .unit("%")
            .help("Share of requests that write their key (and so invalidate it)."),
        ParamSpec::int("app_servers", "App servers", 4, 1, i64::from(MAX_SERVERS), 1)
            .help("App servers behind the load balancer, each with its own L1."),
        ParamSpec::int("l1_size", "L1 size", 0, 0, MAX_CACHE as i64, 10)
            .unit("keys")
            .help("Keys in each app server's in-process LRU cache (0: no L1)."),
        ParamSpec::int("l1_ttl_ms", "L1 time to live", 5_000, 0, 3_600_000, 1)
            .unit("ms")
            .help("How long an L1 copy is used (0: until evicted or invalidated)."),
        ParamSpec::choice(
            "l1_invalidation",
            "L1 invalidation",
            "broadcast",
            &[
                ("broadcast", "Broadcast a delete to every server"),
                ("ttl-only", "None: wait for the L1 time to live"),
            ],
        )
        .help("How other app servers learn that a key they cache was written."),
        ParamSpec::int("invalidation_ms", "Invalidation delay", 10, 0, 60_000, 1)
            .unit("ms")
            .help("How long a broadcast delete takes to reach the other app servers."),
        ParamSpec::int("l2_size", "L2 size", 500, 0, MAX_CACHE as i64, 10)
            .unit("keys")
            .help("Keys in the shared cache (Redis), over all its shards (0: no L2)."),
        ParamSpec::int("l2_shards", "L2 shards", 4, 1, i64::from(MAX_SHARDS), 1)
            .help("Nodes the shared cache is split over; each key lives on one."),
        ParamSpec::int("l2_ttl_ms", "L2 time to live", 0, 0, 3_600_000, 1_000)
            .unit("ms")
            .help("How long an L2 copy is used (0: until evicted or deleted)."),
        ParamSpec::int("l2_capacity", "L2 shard capacity", 150, 10, 1_000_000, 10)
            .unit("ops/s")
            .help("Operations a second one L2 shard is sized for: its load bar is full there."),
        ParamSpec::boolean("edge", "CDN edge", false)
            .help("Put a CDN edge between the clients and the app servers."),
        ParamSpec::int("edge_size", "Edge size", 200, 0, MAX_CACHE as i64, 10)
            .unit("objects")
            .help("Objects the edge holds."),
        ParamSpec::int("edge_ttl_ms", "Edge time to live", 60_000, 0, 3_600_000, 1_000)
            .unit("ms")
            .help("max-age: how long the edge serves a copy (0: until evicted or purged)."),
        ParamSpec::int("cacheable_percent", "Cacheable at the edge", 100, 0, 100, 5)
            .unit("%")
            .help("Share of keys the edge may cache (public pages); the rest pass through it."),
        ParamSpec::choice(
            "edge_invalidation",
            "Edge invalidation",
            "purge",
            &[
                ("purge", "Purge on every write"),
                ("ttl-only", "None: wait for max-age"),
            ],
        )
        .help("Whether a write asks the CDN to purge the object."),
        ParamSpec::int("purge_ms", "Purge delay", 150, 0, 60_000, 10)
            .unit("ms")
            .help("How long a purge takes to reach the edge."),
        ParamSpec::int("edge_ms", "Client to edge", 20, 0, 1_000, 1)
            .unit("ms")
            .help("Round trip from a client to the CDN edge."),
        ParamSpec::int("dc_ms", "To the data centre", 60, 0, 1_000, 1)
            .unit("ms")
            .help("Round trip to the app servers, from a client or from the edge."),
        ParamSpec::int("l1_us", "L1 lookup", 100, 0, 100_000, 10)
            .unit("µs")
            .help("An in-process lookup."),
        ParamSpec::int("l2_us", "L2 round trip", 1_000, 0, 1_000_000, 100)
            .unit("µs")
            .help("A round trip to the shared cache inside the data centre."),
        ParamSpec::int("db_ms", "Database read", 50, 0, 10_000, 1)
            .unit("ms")
            .help("A read from the database (the origin)."),
        ParamSpec::int("db_capacity", "Database capacity", 100, 10, 1_000_000, 10)
            .unit("req/s")
            .help("Requests a second the database is sized for: its load bar is full there."),
    ]
}
