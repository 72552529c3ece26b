//! The hashing-strategies lesson's model: one set of keys, seven ways to place them on numbered
//! shards, and what each way moves when servers come, go or change weight.
//!
//! # Mechanism
//!
//! Shards are numbered `0..N` and each is a server with a memcached-style address,
//! `10.0.1.{i+1}:11211` for the first 254 servers ever created, and a whole-number weight. Every
//! key is a user id; the string every strategy hashes is **`user:{id}`**. The strategies are the
//! mechanisms of [`crate::hashing`], not re-implementations:
//!
//! - `modulo`: `hash(key) % N` with the 64-bit FNV-1a of [`crate::hashing::jump::key_hash`], or
//!   MD5 read as a big-endian 128-bit number as Python's `int(md5(key).hexdigest(), 16)` does
//!   ([`crate::hashing::KeyHash`]).
//! - `ring`: a [`crate::hashing::HashRing`] with `vnodes` points per server; a server of weight
//!   `w` is `w` ring servers (`addr`, `addr~1`, …), so it owns about `w` times the arc.
//! - `ketama`: the [`crate::hashing::Ketama`] continuum of the chosen memcached client over the
//!   server strings that client would use (`10.0.1.1:11211`; libmemcached drops the default port
//!   and hashes `10.0.1.1`), with the weights. A key therefore lands on the server a real client
//!   with that server list picks.
//! - `jump`: [`crate::hashing::jump_hash`] of the same 64-bit key hash over `N` buckets; bucket
//!   `b` is shard `b`. Weights are ignored.
//! - `rendezvous`: weighted highest-random-weight ([`crate::hashing::Rendezvous`]) over the
//!   addresses.
//! - `bounded`: [`crate::hashing::BoundedLoads`] over the weighted ring with `epsilon`: keys
//!   arrive in creation order and each takes the first ring point clockwise whose server is below
//!   `⌈(1 + ε) · m / n⌉` keys per unit of weight (`m` keys so far, `n` total weight). With
//!   `bound = requests` the bound is on **live requests** instead, as HAProxy's
//!   `hash-balance-factor` applies it ([`crate::hashing::LiveLoads`]): keys sit on their plain
//!   ring owner; every request holds a server for an exponential service time (mean
//!   `service_ms`) and goes to the first server clockwise from its key whose live count is below
//!   its slots, `⌈(served + 1) · factor / 100⌉` shared by weight, `factor = round(100 (1 + ε))`.
//! - `slots`: Redis Cluster's `CRC16(key) mod 16384` ([`crate::models::slots::hash`]) into a
//!   table of 16,384 slots, split as `redis-cli --cluster create` splits them (then weighted by
//!   a rebalance if any weight is not 1). A slot table is not rebuilt on a change: servers
//!   join, leave (weight 0) and change weight by `redis-cli --cluster rebalance
//!   --cluster-use-empty-masters` ([`crate::models::slots::rebalance`]), which moves only the
//!   slots that must move, each giver's lowest-numbered first.
//!
//! Servers may be **named** (`names`, e.g. data centres): a name replaces the address in every
//! hash and caption. They may have a **capacity** (`capacities`) in the unit of `population`, the
//! number of users the keys stand for: the keys are a sample, each standing for
//! `population / keys` users, and a shard's **fill** is its keys × that over its capacity.
//!
//! A server's identity is its address, not its index. Removing shard `i` renumbers the shards
//! after it down by one; strategies that place by address (ring, ketama, rendezvous, bounded)
//! move only the removed server's keys, while `modulo` and `jump`, which place by bucket number,
//! move every key whose bucket now belongs to another server. That renumbering is the honest cost
//! of removing a middle bucket from jump hash, which natively drops only the last one.
//!
//! Every change of servers or weights rebuilds the strategy from the new list (the slot table
//! excepted, see above) (for bounded loads
//! that replays the arrivals, the canonical placement of `BoundedLoads`), recomputes every key's
//! shard, and records each key whose *server* changed as a move (from its old index to its new
//! one), beside the number `hash % N` would have moved on the same change.
//!
//! # Invariants checked by `validate`
//!
//! - The strategy's own invariants (ring order, continuum points, weights, bounded capacities),
//!   and it holds exactly the shards' servers with their weights.
//! - Every key's recorded shard is what a fresh lookup returns.
//! - Per-shard key counts add up to the number of keys; bounded loads never put more than
//!   `weight × capacity` keys on a shard.
//! - Every key the last change moved is now on the shard the move names.
//! - Bounded live requests: every request went to a server with a free slot at that moment,
//!   one live count per shard, and the per-key request and forward counts add up to the totals.
//!
//! # Simplifications
//!
//! - Moving a key is instant (no copy traffic); requests go straight to the key's shard.
//! - With `bound = keys`, bounded loads bound *keys*, not requests: a hot key still makes its
//!   shard hot. With `bound = requests` a request holds its server for a service time and
//!   nothing queues; HAProxy picks the *nearer* of the two ring points around the hash before
//!   walking clockwise, this ring the next one clockwise, as the rest of the lesson does.
//! - Fill is keys × (population / keys) over capacity: a sample scaled up, not every user.
//! - Each change rebuilds the strategy from scratch; real clients update incrementally, with the
//!   same result.

use crate::hashing::{HashFn, KetamaFlavor, KeyHash, LiveLoads};
use crate::model::{ActionSpec, Ctx, InputError, Metrics, Model};
use crate::models::shard_view::{RecentRequests, ShardFrame};
use crate::models::shard_view::{ShardChange, ShardMove, ShardRequest};
use crate::models::sharding::{Move, Moved, Placement};
use crate::params::{ParamError, ParamSet, ParamSpec};
use crate::query::Queries;
use crate::scenario::Input;
use crate::time::SimTime;
use crate::workload::Popularity;
use std::collections::BTreeSet;
use std::rc::Rc;

pub mod placer;
mod record;
mod report;
mod ring_view;
mod spec;

pub use placer::{Placer, Server, Settings, Strategy};
pub use record::{ChangeKind, ChangeRecord, PlacementRecord};

/// Most shards a run may have.
pub const MAX_SHARDS: u32 = 64;
/// Most keys a run may hold.
pub const MAX_KEYS: i64 = 50_000;
/// The largest weight a shard may have.
pub const MAX_WEIGHT: u32 = 1_000;
/// How many keys a frame draws.
pub const FRAME_KEYS: usize = 256;
pub use crate::models::shard_view::REQUEST_SHOWN_US;
/// The largest capacity (and population) a run may state.
pub const MAX_CAPACITY: u64 = 1_000_000_000_000;
/// The longest mean service time of a live request, in milliseconds.
pub const MAX_SERVICE_MS: i64 = 10_000;
/// Random user ids are drawn below this (as the modulo model draws them).
pub const ID_SPACE: u64 = 1_000_000;

/// The string every strategy hashes for user `id`: `user:{id}`.
pub fn key_name(id: u64) -> String {
    format!("user:{id}")
}

/// The model's own events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlacementEvent {
    /// The next request arrives.
    Request,
    /// A live request on server `number` (its serial number) ends (bounded live requests).
    Done {
        /// The server's serial number.
        number: u32,
    },
}

/// Bounded loads on live requests: the live counts and what routing did.
#[derive(Clone, Debug)]
pub struct LiveState {
    /// Live requests per shard, with HAProxy's slots.
    pub loads: LiveLoads,
    /// Mean service time, in microseconds.
    pub service_us: u64,
    /// Requests routed.
    pub routed: u64,
    /// Requests served by a server other than their key's ring owner.
    pub forwarded: u64,
    /// Per key (parallel to the ids): requests, and how many of them were forwarded.
    pub per_key: Rc<Vec<[u32; 2]>>,
    /// Requests for the first key (rank 1, the hottest under Zipf) per shard that served them.
    pub top_by_shard: Vec<u64>,
    /// Sum over requests of max live / mean live right after each was placed.
    pub ratio_sum: f64,
    /// Requests placed on a server that had no free slot (the slot arithmetic rules it out;
    /// `validate` insists on 0).
    pub overflows: u64,
}

/// The hashing-strategies lesson model.
#[derive(Clone, Debug)]
pub struct PlacementModel {
    settings: Settings,
    /// The shards' servers, by index.
    servers: Vec<Server>,
    /// The serial number the next new server gets.
    next_number: u32,
    placer: Placer,
    /// User ids, in creation (arrival) order.
    ids: Rc<Vec<u64>>,
    random_ids: bool,
    /// Each key's shard index, parallel to `ids`.
    owner: Rc<Vec<u32>>,
    keys_per_shard: Vec<u64>,
    requests_per_shard: Vec<u64>,
    requests_total: u64,
    popularity: Popularity,
    rate_per_sec: f64,
    last_change: Option<ShardChange>,
    /// The last change as a ring draws it, for a strategy on a ring.
    ring_change: Option<Rc<crate::models::hash_ring::Change>>,
    last_modulo_moved: Option<u64>,
    /// Bounded loads: keys not on their plain ring owner.
    forwarded: Option<u64>,
    /// Bounded loads on live requests.
    live: Option<LiveState>,
    /// Users each key stands for (population / keys), when a population is given.
    users_per_key: Option<f64>,
    recent: RecentRequests,
}

/// Parses the `weights` list for `n` shards: missing entries are 1, extra ones unused.
pub fn parse_weights(raw: &str, n: u32) -> Result<Vec<u32>, ParamError> {
    let bad = |allowed: String| ParamError {
        param: "weights".into(),
        value: raw.to_string(),
        allowed,
    };
    let mut out = Vec::new();
    for item in raw.split(',').map(str::trim) {
        if item.is_empty() && raw.trim().is_empty() {
            break;
        }
        let w: u32 = item.parse().ok().filter(|w| (1..=MAX_WEIGHT).contains(w)).ok_or_else(|| {
            bad(format!(
                "comma-separated whole numbers from 1 to {MAX_WEIGHT}, one per shard (1,1,2,1); {item:?} is not one"
            ))
        })?;
        out.push(w);
    }
    out.resize(out.len().max(n as usize), 1);
    out.truncate(n as usize);
    Ok(out)
}

/// Parses the `names` list for `n` shards: missing entries keep the default address.
pub fn parse_names(raw: &str, n: u32) -> Result<Vec<Option<String>>, ParamError> {
    let bad = |allowed: String| ParamError {
        param: "names".into(),
        value: raw.to_string(),
        allowed,
    };
    let mut out: Vec<Option<String>> = Vec::new();
    if !raw.trim().is_empty() {
        for item in raw.split(',').map(str::trim) {
            let ok = (1..=40).contains(&item.len())
                && item
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.:".contains(c));
            if !ok {
                return Err(bad(format!(
                    "comma-separated names of 1 to 40 letters, digits, '-', '_', '.' or ':', one per shard (mumbai,delhi); {item:?} is not one"
                )));
            }
            if out.iter().flatten().any(|o| o == item) {
                return Err(bad(format!(
                    "every shard needs its own name; {item:?} is given twice"
                )));
            }
            out.push(Some(item.to_string()));
        }
    }
    out.resize(out.len().max(n as usize), None);
    out.truncate(n as usize);
    Ok(out)
}

/// Parses the `capacities` list for `n` shards: missing entries have no capacity.
pub fn parse_capacities(raw: &str, n: u32) -> Result<Vec<Option<u64>>, ParamError> {
    let mut out = Vec::new();
    if !raw.trim().is_empty() {
        for item in raw.split(',').map(str::trim) {
            let c: u64 = item
                .parse()
                .ok()
                .filter(|c| (1..=MAX_CAPACITY).contains(c))
                .ok_or_else(|| ParamError {
                    param: "capacities".into(),
                    value: raw.to_string(),
                    allowed: format!(
                        "comma-separated whole numbers from 1 to {MAX_CAPACITY}, one per shard (150,120,180,50); {item:?} is not one"
                    ),
                })?;
            out.push(Some(c));
        }
    }
    out.resize(out.len().max(n as usize), None);
    out.truncate(n as usize);
    Ok(out)
}

/// Reads a user id from `13`, `user:13`, `user-13` or `user 13`.
fn parse_id(key: &str) -> Option<u64> {
    let rest = key.trim().strip_prefix("user").unwrap_or(key.trim());
    rest.trim_start_matches(['-', '_', ' ', ':']).parse().ok()
}

impl PlacementModel {
    /// The strategy.
    pub fn strategy(&self) -> Strategy {
        self.settings.strategy
    }

    /// The shards' servers, by index.
    pub fn servers(&self) -> &[Server] {
        &self.servers
    }

    /// The built strategy.
    pub fn placer(&self) -> &Placer {
        &self.placer
    }

    /// The user ids, in creation order.
    pub fn ids(&self) -> &[u64] {
        &self.ids
    }

    /// Each key's shard, parallel to [`PlacementModel::ids`].
    pub fn shards_of_keys(&self) -> &[u32] {
        &self.owner
    }

    /// The shard of `key` (a user id like `13` or `user:13`, or any other string, hashed as
    /// written).
    pub fn shard_of(&self, key: &str) -> u32 {
        match parse_id(key) {
            Some(id) => match self.ids.iter().position(|&k| k == id) {
                Some(i) => self.owner[i],
                None => self.placer.owner(&key_name(id)),
            },
            None => self.placer.owner(key),
        }
    }

    fn key_names(&self) -> Vec<String> {
        self.ids.iter().map(|&id| key_name(id)).collect()
    }

    fn weights_ignored(&self) -> bool {
        !self.settings.strategy.honours_weights(self.settings.flavor)
            && self.servers.iter().any(|s| s.weight != 1)
    }

    fn recount(&mut self) {
        let mut counts = vec![0u64; self.servers.len()];
        for &o in self.owner.iter() {
            if let Some(c) = counts.get_mut(o as usize) {
                *c += 1;
            }
        }
        self.keys_per_shard = counts;
        self.forwarded = self.placer.bounded().map(|b| {
            let ring = b.ring();
            self.ids
                .iter()
                .filter(|&&id| {
                    let key = key_name(id);
                    ring.owner(ring.position_of(&key)) != b.server_of(&key)
                })
                .count() as u64
        });
    }

    /// Rebuilds the strategy over `servers`, moves the keys, and records the change.
    fn change(
        &mut self,
        servers: Vec<Server>,
        kind: ChangeKind,
        ctx: &mut Ctx<'_, Self>,
    ) -> Result<(), InputError> {
        let keys = self.key_names();
        let placer = match self.placer.reslot(&self.servers, &servers) {
            Some(slots) => slots,
            None => Placer::build(&self.settings, &servers, &keys).map_err(InputError)?,
        };
        let owner: Vec<u32> = keys.iter().map(|k| placer.owner(k)).collect();
        let (n_old, n_new) = (self.servers.len() as u64, servers.len() as u64);
        let mut moves = Vec::new();
        let mut modulo_moved = 0u64;
        for (i, key) in keys.iter().enumerate() {
            let (a, b) = (self.owner[i], owner[i]);
            if self.servers[a as usize].number != servers[b as usize].number {
                moves.push(ShardMove {
                    id: self.ids[i],
                    from: a,
                    to: b,
                });
            }
            let hash = self.settings.modulo_hash;
            let (bo, bn) = (
                hash.bucket(key, n_old as u32),
                hash.bucket(key, n_new as u32),
            );
            if self.servers[bo as usize].number != servers[bn as usize].number {
                modulo_moved += 1;
            }
        }
        crate::order::sort_by_key(&mut moves, |m| m.id);
        let same = |f: fn(&ShardMove) -> u32| {
            let first = moves.first().map(f)?;
            moves.iter().all(|m| f(m) == first).then_some(first)
        };
        let (all_from, all_to) = (same(|m| m.from), same(|m| m.to));
        let requests: Vec<u64> = servers
            .iter()
            .map(|s| {
                self.servers
                    .iter()
                    .position(|o| o.number == s.number)
                    .map_or(0, |i| self.requests_per_shard[i])
            })
            .collect();
        let from_shards = self.servers.len() as u32;
        self.live = self.live_for(&servers);
        self.servers = servers;
        self.placer = placer;
        self.owner = Rc::new(owner);
        self.requests_per_shard = requests;
        self.recount();
        let total = self.ids.len() as u64;
        ctx.record(PlacementRecord::Changed(ChangeRecord {
            kind,
            strategy: self.settings.strategy,
            moved: moves.len() as u64,
            total,
            modulo_moved,
            all_to,
            all_from,
            weights_ignored: !self.settings.strategy.honours_weights(self.settings.flavor),
        }));
        self.last_change = Some(ShardChange {
            at: ctx.now,
            from_shards,
            to_shards: self.servers.len() as u32,
            moves: moves.into(),
            total,
        });
        self.last_modulo_moved = Some(modulo_moved);
        self.ring_change = self
            .last_change
            .as_ref()
            .and_then(|c| self.ring_change(c))
            .map(Rc::new);
        Ok(())
    }

    fn new_server(&self, offset: u32) -> Server {
        Server::new(self.next_number + offset, 1)
    }

    /// The live state rebuilt for `servers`, keeping each surviving server's live requests.
    fn live_for(&self, servers: &[Server]) -> Option<LiveState> {
        let old = self.live.as_ref()?;
        let weights: Vec<u32> = servers.iter().map(|s| s.weight).collect();
        let mut loads = LiveLoads::new(old.loads.factor(), &weights);
        for (i, s) in servers.iter().enumerate() {
            if let Some(j) = self.servers.iter().position(|o| o.number == s.number) {
                for _ in 0..old.loads.live()[j] {
                    loads.start(i);
                }
            }
        }
        let top_by_shard = servers
            .iter()
            .map(|s| {
                let j = self.servers.iter().position(|o| o.number == s.number);
                j.map_or(0, |j| old.top_by_shard[j])
            })
            .collect();
        Some(LiveState {
            loads,
            top_by_shard,
            ..old.clone()
        })
    }

    fn resize(&mut self, to: u32, ctx: &mut Ctx<'_, Self>) -> Result<(), InputError> {
        if !(1..=MAX_SHARDS).contains(&to) {
            return Err(InputError(format!(
                "a run has between 1 and {MAX_SHARDS} shards, not {to}"
            )));
        }
        let from = self.servers.len() as u32;
        let mut servers = self.servers.clone();
        servers.truncate(to as usize);
        let grown = to.saturating_sub(from);
        servers.extend((0..grown).map(|k| self.new_server(k)));
        self.change(servers, ChangeKind::Resized { from, to }, ctx)?;
        self.next_number += grown;
        Ok(())
    }

    fn add_keys(&mut self, arg: &str, ctx: &mut Ctx<'_, Self>) -> Result<(), InputError> {
        let room = (MAX_KEYS as u64).saturating_sub(self.ids.len() as u64);
        let count: u64 = arg
            .parse()
            .ok()
            .filter(|n| (1..=room).contains(n))
            .ok_or_else(|| {
                InputError(format!(
                    "add between 1 and {room} keys (a run holds at most {MAX_KEYS}), e.g. add-keys:100"
                ))
            })?;
        let mut new = Vec::new();
        if self.random_ids {
            let mut seen: BTreeSet<u64> = crate::order::set_of(self.ids.iter().copied());
            if (ID_SPACE - seen.len() as u64) < count {
                return Err(InputError("no unused user ids are left".into()));
            }
            while (new.len() as u64) < count {
                let id = ctx.rng.below(ID_SPACE);
                if seen.insert(id) {
                    new.push(id);
                }
            }
        } else {
            let start = self.ids.iter().max().map_or(0, |m| m + 1);
            new.extend(start..start + count);
        }
        let mut placer = self.placer.clone();
        let mut shards = Vec::with_capacity(new.len());
        for &id in &new {
            shards.push(placer.place(&key_name(id)).map_err(InputError)?);
        }
        self.placer = placer;
        Rc::make_mut(&mut self.ids).extend(new);
        Rc::make_mut(&mut self.owner).extend(shards);
        self.recount();
        ctx.record(PlacementRecord::KeysAdded {
            count,
            total: self.ids.len() as u64,
        });
        Ok(())
    }

    fn set_weight(&mut self, arg: &str, ctx: &mut Ctx<'_, Self>) -> Result<(), InputError> {
        let n = self.servers.len();
        let usage = || {
            InputError(format!(
                "set-weight needs INDEX=WEIGHT with a shard index below {n} and a weight from 1 to {MAX_WEIGHT}, e.g. set-weight:0=2"
            ))
        };
        let (i, w) = arg.split_once(['=', ':', ' ']).ok_or_else(usage)?;
        let i: usize = i.trim().parse().map_err(|_| usage())?;
        let w: u32 = w.trim().parse().map_err(|_| usage())?;
        if i >= n || !(1..=MAX_WEIGHT).contains(&w) {
            return Err(usage());
        }
        let mut servers = self.servers.clone();
        let from = servers[i].weight;
        servers[i].weight = w;
        let kind = ChangeKind::Weight {
            index: i as u32,
            from,
            to: w,
        };
        self.change(servers, kind, ctx)
    }

    fn remove_shard(&mut self, arg: &str, ctx: &mut Ctx<'_, Self>) -> Result<(), InputError> {
        let n = self.servers.len();
        if n == 1 {
            return Err(InputError(
                "shard 0 is the last shard; a run needs at least one".into(),
            ));
        }
        let i = if arg.is_empty() {
            n - 1
        } else {
            arg.parse::<usize>()
                .ok()
                .filter(|i| *i < n)
                .ok_or_else(|| {
                    InputError(format!(
                        "remove-shard takes a shard index from 0 to {}, or nothing for the last",
                        n - 1
                    ))
                })?
        };
        let mut servers = self.servers.clone();
        let gone = servers.remove(i);
        let kind = ChangeKind::Removed {
            index: i as u32,
            address: gone.address(),
            renumbered: (n - 1 - i) as u32,
        };
        self.change(servers, kind, ctx)
    }

    /// Routes one request for key `idx` under bounded live loads: the first server clockwise
    /// from the key that is below its slots takes it and holds it for a service time.
    fn route_live(&mut self, idx: usize, ctx: &mut Ctx<'_, Self>) -> u32 {
        let owner = self.owner[idx];
        let key = key_name(self.ids[idx]);
        let Some(live) = self.live.as_mut() else {
            return owner;
        };
        let chosen = match self.placer.ring_walk(&key) {
            Some(walk) => live.loads.choose(walk).unwrap_or(owner),
            None => owner,
        };
        live.overflows += u64::from(!live.loads.eligible(chosen as usize));
        live.loads.start(chosen as usize);
        live.routed += 1;
        let forwarded = chosen != owner;
        live.forwarded += u64::from(forwarded);
        if let Some(k) = Rc::make_mut(&mut live.per_key).get_mut(idx) {
            k[0] += 1;
            k[1] += u32::from(forwarded);
        }
        if idx == 0 {
            live.top_by_shard[chosen as usize] += 1;
        }
        let loads = live.loads.live();
        let max = loads.iter().copied().max().unwrap_or(0) as f64;
        let mean = loads.iter().sum::<u64>() as f64 / loads.len().max(1) as f64;
        if mean > 0.0 {
            live.ratio_sum += max / mean;
        }
        let gap = crate::workload::poisson_gap_us(ctx.rng, 1e6 / live.service_us as f64);
        let number = self.servers[chosen as usize].number;
        ctx.schedule(
            ctx.now.plus_us(gap.unwrap_or(live.service_us)),
            PlacementEvent::Done { number },
        );
        chosen
    }

    fn schedule_request(&self, ctx: &mut Ctx<'_, Self>) {
        ctx.schedule_poisson(self.rate_per_sec, PlacementEvent::Request);
    }
}

impl Model for PlacementModel {
    type Event = PlacementEvent;
    type Record = PlacementRecord;
    type Frame = ShardFrame;
    const ID: &'static str = "placement";

    fn specs() -> Vec<ParamSpec> {
        spec::specs()
    }

    fn actions() -> Vec<ActionSpec> {
        spec::actions()
    }

    fn build(params: &ParamSet, ctx: &mut Ctx<'_, Self>) -> Result<Self, ParamError> {
        // Ids first, drawn exactly as the modulo model draws them, so a compare run over the
        // same seed places the same users.
        let count = params.int("keys").clamp(1, MAX_KEYS) as u64;
        let random_ids = params.text("ids") == "random";
        let ids: Vec<u64> = if random_ids {
            let mut seen = BTreeSet::new();
            let mut ids = Vec::new();
            while (ids.len() as u64) < count {
                let id = ctx.rng.below(ID_SPACE);
                if seen.insert(id) {
                    ids.push(id);
                }
            }
            ids
        } else {
            (0..count).collect()
        };
        let settings = Settings {
            strategy: Strategy::parse(params.text("strategy")).unwrap_or(Strategy::Ring),
            hash: HashFn::parse(params.text("hash")).unwrap_or(HashFn::Murmur3_32),
            vnodes: params.int("vnodes").clamp(1, 1_000) as u32,
            flavor: KetamaFlavor::parse(params.text("ketama_flavor"))
                .unwrap_or(KetamaFlavor::Libketama),
            epsilon: params.float("epsilon").clamp(0.0, 4.0),
            live: params.text("bound") == "requests",
            modulo_hash: KeyHash::parse(params.text("modulo_hash")).unwrap_or(KeyHash::Fnv1a64),
        };
        let n = params.int("shards").clamp(1, i64::from(MAX_SHARDS)) as u32;
        let weights = parse_weights(params.text("weights"), n)?;
        let names = parse_names(params.text("names"), n)?;
        let capacities = parse_capacities(params.text("capacities"), n)?;
        let servers: Vec<Server> = (1u32..)
            .zip(weights)
            .zip(names.into_iter().zip(capacities))
            .map(|((number, weight), (name, capacity))| Server {
                name,
                capacity,
                ..Server::new(number, weight)
            })
            .collect();
        if let Some(s) = servers.iter().find(|s| {
            s.name.is_some()
                && (1..=MAX_SHARDS + 1).any(|k| placer::default_address(k) == s.address())
        }) {
            return Err(ParamError {
                param: "names".into(),
                value: params.text("names").to_string(),
                allowed: format!(
                    "names other than the default addresses; {} is the address of a numbered server",
                    s.address()
                ),
            });
        }
        let population = params.int("population").clamp(0, MAX_CAPACITY as i64) as f64;
        let live = (settings.strategy == Strategy::Bounded && settings.live).then(|| {
            let w: Vec<u32> = servers.iter().map(|s| s.weight).collect();
            LiveState {
                loads: LiveLoads::new(crate::hashing::live::factor_percent(settings.epsilon), &w),
                service_us: params.int("service_ms").clamp(1, MAX_SERVICE_MS) as u64 * 1_000,
                routed: 0,
                forwarded: 0,
                per_key: Rc::new(vec![[0, 0]; count as usize]),
                top_by_shard: vec![0; n as usize],
                ratio_sum: 0.0,
                overflows: 0,
            }
        });
        let keys: Vec<String> = ids.iter().map(|&id| key_name(id)).collect();
        let placer = Placer::build(&settings, &servers, &keys).map_err(|allowed| {
            let weighted = servers.iter().any(|s| s.weight != 1);
            let param = if weighted { "weights" } else { "vnodes" };
            ParamError {
                param: param.into(),
                value: params.text(param).to_string(),
                allowed,
            }
        })?;
        let owner: Vec<u32> = keys.iter().map(|k| placer.owner(k)).collect();
        let mut model = PlacementModel {
            settings,
            next_number: n + 1,
            servers,
            placer,
            popularity: Popularity::from_params(params, count),
            ids: Rc::new(ids),
            random_ids,
            owner: Rc::new(owner),
            keys_per_shard: Vec::new(),
            requests_per_shard: vec![0; n as usize],
            requests_total: 0,
            rate_per_sec: params.int("request_rate").max(0) as f64,
            last_change: None,
            ring_change: None,
            last_modulo_moved: None,
            forwarded: None,
            live,
            users_per_key: (population > 0.0).then(|| population / count as f64),
            recent: RecentRequests::default(),
        };
        model.recount();
        ctx.record(PlacementRecord::Built {
            strategy: settings.strategy,
            shards: n,
            keys: count,
            weights_ignored: model.weights_ignored(),
            capacity: model.placer.bounded().map(|b| b.capacity()),
        });
        model.schedule_request(ctx);
        Ok(model)
    }

    fn apply(&mut self, input: &Input, ctx: &mut Ctx<'_, Self>) -> Result<(), InputError> {
        let arg = input.arg.as_deref().unwrap_or("").trim();
        match input.action.as_str() {
            "add-shard" => {
                let n = self.servers.len() as u32;
                if n >= MAX_SHARDS {
                    return Err(InputError(format!("a run has at most {MAX_SHARDS} shards")));
                }
                let server = self.new_server(0);
                let kind = ChangeKind::Added {
                    index: n,
                    address: server.address(),
                };
                let mut servers = self.servers.clone();
                servers.push(server);
                self.change(servers, kind, ctx)?;
                self.next_number += 1;
                Ok(())
            }
            "remove-shard" => self.remove_shard(arg, ctx),
            "resize" => {
                let to: u32 = arg.parse().map_err(|_| {
                    InputError(format!(
                        "resize needs a shard count from 1 to {MAX_SHARDS}, e.g. resize:8"
                    ))
                })?;
                self.resize(to, ctx)
            }
            "add-keys" => self.add_keys(arg, ctx),
            "set-weight" => self.set_weight(arg, ctx),
            other => Err(InputError(format!(
                "unknown action {other:?}; this lesson knows add-shard, remove-shard, resize, add-keys and set-weight"
            ))),
        }
    }

    fn handle(&mut self, event: PlacementEvent, ctx: &mut Ctx<'_, Self>) {
        match event {
            PlacementEvent::Request => {
                if let Some(idx) = self.popularity.pick(ctx.rng, self.ids.len() as u64) {
                    let key = self.ids[idx as usize];
                    let shard = match self.live.is_some() {
                        true => self.route_live(idx as usize, ctx),
                        false => self.owner[idx as usize],
                    };
                    self.requests_total += 1;
                    self.requests_per_shard[shard as usize] += 1;
                    let id = self.requests_total;
                    self.recent
                        .push(ShardRequest::served(id, key, shard, ctx.now));
                    ctx.record(PlacementRecord::Routed { id, key, shard });
                }
                self.schedule_request(ctx);
            }
            PlacementEvent::Done { number } => {
                let i = self.servers.iter().position(|s| s.number == number);
                if let (Some(live), Some(i)) = (self.live.as_mut(), i) {
                    live.loads.finish(i);
                }
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
        let n = self.servers.len();
        if !(1..=MAX_SHARDS as usize).contains(&n) {
            return Err(format!("{n} shards, outside 1..={MAX_SHARDS}"));
        }
        let numbers: BTreeSet<u32> = crate::order::set_of(self.servers.iter().map(|s| s.number));
        if numbers.len() != n || numbers.iter().any(|&x| x == 0 || x >= self.next_number) {
            return Err("two shards share a server, or a server number was never issued".into());
        }
        if self.keys_per_shard.len() != n || self.requests_per_shard.len() != n {
            return Err(format!(
                "{} key counts and {} request counts for {n} shards",
                self.keys_per_shard.len(),
                self.requests_per_shard.len()
            ));
        }
        self.placer.validate(&self.settings, &self.servers)?;
        if self.owner.len() != self.ids.len() {
            return Err("every key needs exactly one shard".into());
        }
        let mut counts = vec![0u64; n];
        for (&id, &o) in self.ids.iter().zip(self.owner.iter()) {
            let key = key_name(id);
            let fresh = self.placer.owner(&key);
            if fresh != o || o as usize >= n {
                return Err(format!(
                    "{key} is recorded on shard {o} but a lookup finds shard {fresh}"
                ));
            }
            counts[o as usize] += 1;
        }
        if counts != self.keys_per_shard {
            return Err(format!(
                "per-shard key counts {:?} differ from a recount {counts:?}",
                self.keys_per_shard
            ));
        }
        if let Some(b) = self.placer.bounded() {
            let cap = b.capacity();
            for (i, (s, &k)) in self.servers.iter().zip(&counts).enumerate() {
                if k > u64::from(s.weight) * cap {
                    return Err(format!(
                        "shard {i} holds {k} keys, above weight {} × capacity {cap}",
                        s.weight
                    ));
                }
            }
        }
        if let Some(live) = &self.live {
            live.loads.validate()?;
            if live.overflows > 0 {
                return Err(format!(
                    "{} requests went to a server with no free slot",
                    live.overflows
                ));
            }
            if live.loads.live().len() != n {
                return Err(format!(
                    "{} live counts for {n} shards",
                    live.loads.live().len()
                ));
            }
            if live.per_key.len() != self.ids.len() {
                return Err("one request count per key".into());
            }
            let routed: u64 = live.per_key.iter().map(|k| u64::from(k[0])).sum();
            let fwd: u64 = live.per_key.iter().map(|k| u64::from(k[1])).sum();
            if routed != live.routed || fwd != live.forwarded || fwd > routed {
                return Err(format!(
                    "per-key counts ({routed} routed, {fwd} forwarded) differ from the totals ({}, {})",
                    live.routed, live.forwarded
                ));
            }
        }
        if let Some(c) = &self.last_change {
            let mut at: std::collections::BTreeMap<u64, u32> = std::collections::BTreeMap::new();
            for (&id, &o) in self.ids.iter().zip(self.owner.iter()) {
                at.insert(id, o);
            }
            if let Some(m) = c.moves.iter().find(|m| at.get(&m.id) != Some(&m.to)) {
                return Err(format!(
                    "user {} was moved to shard {} but is on {:?}",
                    m.id,
                    m.to,
                    at.get(&m.id)
                ));
            }
        }
        Ok(())
    }
}

impl Placement for PlacementModel {
    fn nodes(&self) -> Vec<String> {
        (0..self.servers.len()).map(|i| i.to_string()).collect()
    }

    /// A key is a user id (`13`, `user:13`) or any other string, hashed as written (so the
    /// ketama vectors of real clients can be asked about directly).
    fn owners(&self, key: &str) -> Option<Vec<String>> {
        if key.trim().is_empty() && parse_id(key).is_none() {
            return None;
        }
        Some(vec![self.shard_of(key).to_string()])
    }

    fn last_moved(&self) -> Option<Moved> {
        self.last_change.as_ref().map(ShardChange::moved)
    }

    fn last_moves(&self) -> Option<Vec<Move>> {
        let c = self.last_change.as_ref()?;
        Some(c.listed(|id| id.to_string()))
    }
}
