//! Expiry and stampedes: many clients read products through a cache with TTLs in front of a
//! database with a few connections. When a popular key expires, every client that misses before
//! the value is back queries the database (the thundering herd, or cache stampede: Nishtala et
//! al., "Scaling Memcache at Facebook", NSDI 2013, §3.2.1), so the database's queue, its queries
//! in flight and the read latency's tail spike. The cures are a parameter: single flight, TTL
//! jitter, XFetch (probabilistic early refresh), stale-while-revalidate (RFC 5861), and
//! negative caching of "not found".
//!
//! [`store`] is the mechanism (see its doc for the exact read path and sources); this module
//! drives it with a Poisson stream of reads over Zipf-popular products, the inputs (a burst of
//! readers, an expiry, a traffic change), the narration and the frame.
//!
//! **Time.** Reads are processed in batches every [`TICK_US`] (100 ms) of simulated time, each at
//! its own microsecond, in order: batching changes no outcome, it keeps the engine's checkpoints
//! few at thousands of reads a second.
//!
//! **Long days.** A flash sale runs for hours; a page cannot replay 10 million reads. The run
//! instead *joins the day late*: `warm_age_s` says how long ago the warm-up happened (the
//! warmed keys' TTLs have that much less left), and `steady_start` starts every other key cached
//! with the probability a TTL cache holds it in steady state, `λT/(1+λT)`
//! ([`crate::theory::ttl_hit_ratio`]), its TTL left uniform on `(0, T]` (a cached key's age is
//! uniform over its TTL, because each insertion starts a fresh cycle). Rates and TTLs are the
//! real ones; only the hour before the window is skipped.
//!
//! Invariants (`validate`): the mechanism's ([`store::ExpiryCache::validate`]), and the model's
//! read count matches it.
//!
//! Simplifications: every query takes the same time once it runs (no slow queries, no database
//! degradation under load, no timeouts or retries); the cache has no capacity limit (expiry
//! alone removes entries) and its look-up costs a fixed [`CACHE_US`]; clients are an open
//! Poisson stream (a real client blocked on a slow read sends nothing else meanwhile).

pub mod spec;
pub mod store;

use crate::model::{ActionSpec, Ctx, InputError, Metrics, Model};
use crate::models::store_view::{FlowKind, FlowView, StoreFrame};
use crate::params::{ParamError, ParamSet, ParamSpec};
use crate::query::Queries;
use crate::rng::{splitmix64_fmix, SimRng};
use crate::scenario::Input;
use crate::time::SimTime;
use crate::trace::Narrate;
use crate::workload::Popularity;
use store::{ExpiryCache, Filled, Served};

/// Reads are processed in batches this far apart (µs).
pub const TICK_US: u64 = 100_000;
/// A cache look-up's latency (µs): about a network round trip to Redis or memcached in one
/// data centre.
pub const CACHE_US: u64 = 500;
/// Products the diagram draws (the most popular), and whose events are narrated one by one.
pub const SHOWN: u32 = 6;
/// Largest burst of simultaneous readers.
pub const MAX_BURST: u32 = 10_000;

/// What the model records.
#[derive(Clone, Debug, PartialEq)]
pub enum ExpiryRecord {
    /// The run started.
    Started {
        /// Products warmed.
        warmed: u32,
        /// Products cached (warmed or in steady state) and fresh at the start.
        cached: u32,
        /// Products in all.
        keys: u32,
    },
    /// One simulated second's totals.
    Second {
        /// Which second (from 0).
        second: u64,
        /// Reads in it.
        requests: u64,
        /// Of which hits.
        hits: u64,
        /// Queries sent to the database in it.
        db_reads: u64,
        /// Most queries in flight at once in it.
        peak_in_flight: u32,
    },
    /// A shown product missed and a client queried the database for it (the first of a herd).
    Missed {
        /// The product (0 = product 1).
        key: u32,
        /// When.
        at: SimTime,
        /// Queries in flight after it.
        in_flight: u32,
    },
    /// XFetch refreshed a shown product before it expired.
    EarlyRefresh {
        /// The product.
        key: u32,
        /// How long before expiry (µs).
        before_us: u64,
    },
    /// A shown product was served stale and its background refresh started.
    ServedStale {
        /// The product.
        key: u32,
        /// When.
        at: SimTime,
    },
    /// A shown product is back in the cache.
    Filled {
        /// The product.
        key: u32,
        /// When its query returned.
        at: SimTime,
        /// How long the query took from the request (µs).
        took_us: u64,
        /// Other queries for it still in flight (the herd).
        herd: u32,
        /// Readers that waited for this query (single flight).
        waited: u32,
    },
    /// A burst of simultaneous readers.
    Burst {
        /// Readers.
        clients: u32,
        /// Of which queried the database.
        db_reads: u64,
        /// Of which waited for another reader's query.
        waited: u64,
        /// Of which were served from the cache (fresh or stale).
        hits: u64,
    },
    /// A product's entry was deleted.
    Expired {
        /// The product.
        key: u32,
    },
    /// The traffic multiplier changed.
    Traffic {
        /// The new multiplier.
        x: f64,
    },
}

fn product(key: u32) -> String {
    format!("product {}", key + 1)
}

fn secs(t: SimTime) -> String {
    format!("{:.3} s", t.as_us() as f64 / 1e6)
}

impl Narrate for ExpiryRecord {
    fn narrate(&self) -> String {
        match self {
            ExpiryRecord::Started {
                warmed,
                cached,
                keys,
            } => format!(
                "Start: {cached} of {keys} products in the cache ({warmed} warmed up before)."
            ),
            ExpiryRecord::Second {
                second,
                requests,
                hits,
                db_reads,
                peak_in_flight,
            } => format!(
                "Second {second}: {requests} reads, {hits} hits, {db_reads} database queries, at most {peak_in_flight} in flight."
            ),
            ExpiryRecord::Missed { key, at, in_flight } => format!(
                "{} missed at {}: a client queries the database ({in_flight} queries in flight).",
                product(*key),
                secs(*at)
            ),
            ExpiryRecord::EarlyRefresh { key, before_us } => format!(
                "XFetch: a reader refreshes {} {:.2} s before it expires.",
                product(*key),
                *before_us as f64 / 1e6
            ),
            ExpiryRecord::ServedStale { key, at } => format!(
                "{} expired; at {} a reader gets the stale value and one background refresh starts.",
                product(*key),
                secs(*at)
            ),
            ExpiryRecord::Filled {
                key,
                at,
                took_us,
                herd,
                waited,
            } => {
                let mut s = format!(
                    "{} back in the cache at {} (the query took {:.0} ms)",
                    product(*key),
                    secs(*at),
                    *took_us as f64 / 1e3
                );
                if *herd > 0 {
                    s.push_str(&format!("; {herd} more queries for it still in flight"));
                }
                if *waited > 0 {
                    s.push_str(&format!("; {waited} readers waited for this one"));
                }
                s.push('.');
                s
            }
            ExpiryRecord::Burst {
                clients,
                db_reads,
                waited,
                hits,
            } => format!(
                "{clients} clients read product 1 at once: {db_reads} queried the database, {waited} waited for another's query, {hits} were served from the cache."
            ),
            ExpiryRecord::Expired { key } => format!("{} deleted from the cache.", product(*key)),
            ExpiryRecord::Traffic { x } => format!("Traffic is now ×{x}."),
        }
    }
    fn is_milestone(&self) -> bool {
        matches!(
            self,
            ExpiryRecord::Burst { .. }
                | ExpiryRecord::Expired { .. }
                | ExpiryRecord::Traffic { .. }
        ) || matches!(self, ExpiryRecord::Missed { key: 0, .. })
    }
}

/// The model's own events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExpiryEvent {
    /// Process the reads that arrived since the last tick.
    Tick,
}

/// The expiry-and-stampedes lesson model.
#[derive(Clone, Debug)]
pub struct CacheExpiry {
    cache: ExpiryCache,
    popularity: Popularity,
    base_rate: f64,
    traffic_x: f64,
    not_found_percent: u32,
    /// The request stream's own generator, so every strategy sees the same reads.
    arrivals: SimRng,
    next_arrival: Option<SimTime>,
    /// The second being counted, its reads, hits and peak queries in flight.
    second: u64,
    sec_requests: u64,
    sec_hits: u64,
    sec_peak: u32,
    /// Reads processed (checked against the mechanism's count).
    reads: u64,
    last: Option<FlowView>,
    caption: String,
    /// The time reads have been processed up to.
    now: SimTime,
}

impl CacheExpiry {
    /// The mechanism.
    pub fn cache(&self) -> &ExpiryCache {
        &self.cache
    }

    /// Whether the database has no product `key` (a fixed share of products, decided by a hash
    /// of the key; the shown products always exist).
    pub fn missing(&self, key: u32) -> bool {
        key >= SHOWN
            && splitmix64_fmix(u64::from(key) ^ 0x6e6f_7466_6f75_6e64) % 100
                < u64::from(self.not_found_percent)
    }

    fn rate(&self) -> f64 {
        self.base_rate * self.traffic_x
    }

    fn schedule_arrival(&mut self, from: SimTime) {
        let rate = self.rate();
        self.next_arrival =
            crate::workload::poisson_gap_us(&mut self.arrivals, rate).map(|gap| from.plus_us(gap));
    }

    fn flow(&mut self, at: SimTime, kind: FlowKind, key: u32, path: &[&str], text: String) {
        self.last = Some(FlowView {
            at,
            kind,
            key: product(key),
            path: path.iter().map(|s| s.to_string()).collect(),
            ok: true,
            text,
        });
    }

    fn narrate_fills(&mut self, fills: Vec<Filled>, ctx: &mut Ctx<'_, Self>) {
        for f in fills.into_iter().filter(|f| f.key < SHOWN && f.first) {
            let rec = ExpiryRecord::Filled {
                key: f.key,
                at: f.at,
                took_us: f.took_us,
                herd: f.herd,
                waited: f.waited,
            };
            self.flow(f.at, FlowKind::Fill, f.key, &["db", "cache"], rec.narrate());
            ctx.record(rec);
        }
    }

    /// Closes the seconds before `t` (records their totals).
    fn roll_seconds(&mut self, t: SimTime, ctx: &mut Ctx<'_, Self>) {
        let sec = t.as_us() / 1_000_000;
        while self.second < sec {
            let db_reads = self
                .cache
                .per_second()
                .get(self.second as usize)
                .copied()
                .unwrap_or(0);
            if self.sec_requests > 0 || db_reads > 0 {
                ctx.record(ExpiryRecord::Second {
                    second: self.second,
                    requests: self.sec_requests,
                    hits: self.sec_hits,
                    db_reads: u64::from(db_reads),
                    peak_in_flight: self.sec_peak,
                });
            }
            self.second += 1;
            self.sec_requests = 0;
            self.sec_hits = 0;
            self.sec_peak = self.cache.in_flight_at(SimTime::from_secs(self.second));
        }
    }

    fn settle(&mut self, t: SimTime, ctx: &mut Ctx<'_, Self>) {
        let fills = self.cache.settle(t);
        if !fills.is_empty() {
            self.narrate_fills(fills, ctx);
        }
    }

    /// One read of `key` at `t`.
    fn read(&mut self, key: u32, t: SimTime, ctx: &mut Ctx<'_, Self>) -> Served {
        self.roll_seconds(t, ctx);
        self.settle(t, ctx);
        let before = self.cache.entry(key);
        let missing = self.missing(key);
        let served = self.cache.read(key, t, missing, ctx.rng);
        self.reads += 1;
        self.sec_requests += 1;
        match served {
            Served::Hit | Served::NegativeHit => self.sec_hits += 1,
            Served::Stale { refresh } => {
                self.sec_hits += 1;
                if refresh && key < SHOWN {
                    let rec = ExpiryRecord::ServedStale { key, at: t };
                    self.flow(
                        t,
                        FlowKind::Read,
                        key,
                        &["clients", "cache", "db"],
                        rec.narrate(),
                    );
                    ctx.record(rec);
                }
            }
            Served::Waited { .. } => {}
            Served::DbRead {
                early, in_flight, ..
            } => {
                self.sec_peak = self.sec_peak.max(in_flight);
                if key < SHOWN && early {
                    let before_us = before.expires.map_or(0, |x| x.since(t));
                    let rec = ExpiryRecord::EarlyRefresh { key, before_us };
                    self.flow(
                        t,
                        FlowKind::Fill,
                        key,
                        &["clients", "cache", "db"],
                        rec.narrate(),
                    );
                    ctx.record(rec);
                } else if key < SHOWN && before.loads == 0 {
                    let rec = ExpiryRecord::Missed {
                        key,
                        at: t,
                        in_flight,
                    };
                    self.flow(
                        t,
                        FlowKind::Read,
                        key,
                        &["clients", "cache", "db"],
                        rec.narrate(),
                    );
                    ctx.record(rec);
                }
            }
        }
        served
    }

    /// Processes every read that arrived by `t`.
    fn catch_up(&mut self, t: SimTime, ctx: &mut Ctx<'_, Self>) {
        while let Some(at) = self.next_arrival.filter(|at| *at <= t) {
            let keys = u64::from(self.cache.keys());
            let key = self.popularity.pick(&mut self.arrivals, keys).unwrap_or(0) as u32;
            self.read(key, at, ctx);
            self.schedule_arrival(at);
        }
        self.roll_seconds(t, ctx);
        self.settle(t, ctx);
        self.now = self.now.max(t);
    }

    fn burst(&mut self, clients: u32, ctx: &mut Ctx<'_, Self>) {
        let before = self.cache.counts();
        for _ in 0..clients {
            self.read(0, ctx.now, ctx);
        }
        let after = self.cache.counts();
        let rec = ExpiryRecord::Burst {
            clients,
            db_reads: after.db_reads - before.db_reads,
            waited: after.coalesced - before.coalesced,
            hits: after.hits - before.hits,
        };
        self.flow(
            ctx.now,
            FlowKind::Read,
            0,
            &["clients", "cache", "db"],
            rec.narrate(),
        );
        ctx.record(rec);
    }
}

fn parse_arg<T: std::str::FromStr>(input: &Input, what: &str) -> Result<T, InputError> {
    input
        .arg
        .as_deref()
        .unwrap_or("")
        .trim()
        .parse()
        .map_err(|_| InputError(format!("{} needs {what}", input.action)))
}

impl Model for CacheExpiry {
    type Event = ExpiryEvent;
    type Record = ExpiryRecord;
    type Frame = StoreFrame;
    const ID: &'static str = "cache-expiry";

    fn specs() -> Vec<ParamSpec> {
        spec::specs()
    }

    fn actions() -> Vec<ActionSpec> {
        spec::actions()
    }

    fn build(params: &ParamSet, ctx: &mut Ctx<'_, Self>) -> Result<Self, ParamError> {
        let keys = params.int("keys").clamp(1, spec::MAX_KEYS) as u32;
        let cfg = spec::config(params);
        let strategy = cfg.strategy;
        let query_us = cfg.query_us;
        let fill_ttl_us = cfg.fill_ttl_us;
        let negative_ttl_us = cfg.negative_ttl_us;
        let popularity = Popularity::zipf(u64::from(keys), params.float("zipf_s").clamp(0.0, 2.0));
        let mut model = CacheExpiry {
            cache: ExpiryCache::new(cfg, keys, ctx.seed),
            base_rate: params.int("request_rate").clamp(0, spec::MAX_RATE) as f64,
            traffic_x: params.float("traffic_x").clamp(1.0, spec::MAX_TRAFFIC),
            not_found_percent: params.int("not_found_percent").clamp(0, 50) as u32,
            arrivals: SimRng::stream(ctx.seed, "cache-expiry/arrivals"),
            next_arrival: None,
            second: 0,
            sec_requests: 0,
            sec_hits: 0,
            sec_peak: 0,
            reads: 0,
            last: None,
            caption: spec::describe(&strategy),
            now: SimTime::ZERO,
            popularity,
        };
        // The warm-up: the most popular products that exist, `warm_age_s` ago.
        let warm = params.int("warm_keys").clamp(0, i64::from(keys)) as u32;
        let warm_ttl = (params.float("warm_ttl_s").max(0.0) * 1e6).round() as u64;
        let age = (params.float("warm_age_s").max(0.0) * 1e6).round() as u64;
        let mut warmed = 0u32;
        let mut key = 0u32;
        while warmed < warm && key < keys {
            if !model.missing(key) {
                let ttl = model.cache.jittered(warm_ttl);
                if ttl > age {
                    model
                        .cache
                        .warm(key, SimTime::from_us(ttl - age), query_us, false);
                } else {
                    // Expired before the run joined: its next read refilled it with the fill
                    // TTL (taken as at the expiry itself; the keys warmed are the popular ones).
                    let refill = model.cache.jittered(fill_ttl_us);
                    if ttl + refill > age {
                        let left = ttl + refill - age;
                        model
                            .cache
                            .warm(key, SimTime::from_us(left), query_us, false);
                    }
                }
                warmed += 1;
            }
            key += 1;
        }
        // Steady state for the others: cached with probability λT/(1+λT), TTL left uniform.
        if params.boolean("steady_start") {
            let mut rng = SimRng::stream(ctx.seed, "cache-expiry/steady");
            let rate = model.rate();
            if let Popularity::Zipf(cdf) = &model.popularity {
                let total = cdf.last().copied().unwrap_or(1.0);
                let mut prev = 0.0;
                for (k, c) in cdf.iter().enumerate() {
                    let share = (c - prev) / total;
                    prev = *c;
                    let k = k as u32;
                    let warmed_key = model.cache.entry(k).expires.is_some();
                    let missing = model.missing(k);
                    let ttl = if missing {
                        negative_ttl_us
                    } else {
                        fill_ttl_us
                    };
                    if warmed_key || ttl == 0 {
                        continue;
                    }
                    let p = crate::theory::ttl_hit_ratio(rate * share, ttl as f64 / 1e6);
                    if rng.chance(p) {
                        let left = 1 + rng.below(ttl);
                        model
                            .cache
                            .warm(k, SimTime::from_us(left), query_us, missing);
                    }
                }
            }
        }
        let cached = (0..keys)
            .filter(|&k| model.cache.entry(k).fresh_at(SimTime::ZERO))
            .count() as u32;
        ctx.record(ExpiryRecord::Started {
            warmed,
            cached,
            keys,
        });
        let _ = strategy;
        model.schedule_arrival(SimTime::ZERO);
        ctx.schedule(SimTime::from_us(TICK_US), ExpiryEvent::Tick);
        Ok(model)
    }

    fn apply(&mut self, input: &Input, ctx: &mut Ctx<'_, Self>) -> Result<(), InputError> {
        match input.action.as_str() {
            "burst" => {
                let n: u32 = parse_arg(
                    input,
                    &format!("a number of clients from 1 to {MAX_BURST}, e.g. burst:50"),
                )?;
                if !(1..=MAX_BURST).contains(&n) {
                    return Err(InputError(format!(
                        "a burst has 1 to {MAX_BURST} clients, not {n}"
                    )));
                }
                self.catch_up(ctx.now, ctx);
                self.burst(n, ctx);
                Ok(())
            }
            "expire" => {
                let n: u32 = parse_arg(input, "a product number, e.g. expire:1")?;
                if !(1..=self.cache.keys()).contains(&n) {
                    return Err(InputError(format!(
                        "there are products 1 to {}, not {n}",
                        self.cache.keys()
                    )));
                }
                self.catch_up(ctx.now, ctx);
                let key = n - 1;
                let e = self.cache.entry(key);
                self.cache.warm(key, ctx.now, e.delta_us, e.negative);
                let rec = ExpiryRecord::Expired { key };
                self.flow(ctx.now, FlowKind::Expire, key, &["cache"], rec.narrate());
                ctx.record(rec);
                Ok(())
            }
            "traffic" => {
                let x: f64 = parse_arg(input, "a multiplier from 1 to 10, e.g. traffic:10")?;
                if !(x.is_finite() && (1.0..=spec::MAX_TRAFFIC).contains(&x)) {
                    return Err(InputError(format!(
                        "the traffic multiplier is between 1 and 10, not {x}"
                    )));
                }
                self.catch_up(ctx.now, ctx);
                self.traffic_x = x;
                // Memoryless: the next read is drawn afresh at the new rate.
                self.schedule_arrival(ctx.now);
                ctx.record(ExpiryRecord::Traffic { x });
                Ok(())
            }
            other => Err(InputError(format!(
                "unknown action {other:?}; this lesson knows burst, expire and traffic"
            ))),
        }
    }

    fn handle(&mut self, event: ExpiryEvent, ctx: &mut Ctx<'_, Self>) {
        match event {
            ExpiryEvent::Tick => {
                self.catch_up(ctx.now, ctx);
                ctx.schedule(ctx.now.plus_us(TICK_US), ExpiryEvent::Tick);
            }
        }
    }

    fn frame(&self, now: SimTime) -> StoreFrame {
        view::frame(self, now)
    }

    fn metrics(&self) -> Metrics {
        view::metrics(self)
    }

    fn queries() -> Queries<Self> {
        Queries::new()
    }

    fn validate(&self) -> Result<(), String> {
        self.cache.validate()?;
        if self.reads != self.cache.counts().requests {
            return Err(format!(
                "the model processed {} reads but the cache counted {}",
                self.reads,
                self.cache.counts().requests
            ));
        }
        Ok(())
    }
}

mod view;
