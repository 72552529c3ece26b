//! The consistent-hashing lesson's model: a [`HashRing`] with keys on it and a request stream.
//!
//! Keys are placed on the ring by hashing their names (or at an explicit angle in the 0–360°
//! teaching mode, written `User123@100`). Servers' points are hashed from their names too
//! (`S#0`, `S#1`, …), or with `tokens = "random"` are random tokens drawn from the run's seed
//! ([`crate::hashing::ring::random_tokens`]`(seed, S, vnodes)`, a stream of its own, so the keys,
//! requests and every other number of the run are the same as with hashed points, and a
//! server's tokens do not depend on the other servers). Every server change recomputes each key's owner and
//! reports exactly which keys moved from where to where, beside the number of the same keys that
//! `hash % N` placement would have moved under the same change. Requests arrive as a Poisson
//! process; each picks a key (uniformly or by Zipf popularity) and is routed to the key's owner,
//! so per-server *request* load can differ from per-server *key* load.
//!
//! Invariants checked by `validate`: the ring's own; every key's recorded owner is what a fresh
//! lookup returns; the per-server key counts add up to the number of keys.
//!
//! With `placement = "modulo"` the same servers and keys are placed by `hash % N` instead: a key
//! belongs to the server at index `position mod N` of the sorted server list, so servers own no
//! arcs (each owns an interleaved `1/N` of the positions) and a change of `N` deals most keys
//! again. Compare mode runs it beside the ring on the same keys and timeline.
//!
//! Simplifications: a request is routed instantly (no network); replicas are reported, and
//! `replicas > 1` shows each key's preference list, but requests go to the primary only.

use crate::hashing::ring::{HashRing, Position, Tokens};
use crate::hashing::HashFn;
use crate::model::{ActionSpec, Choice, Ctx, InputError, Metrics, Model};
use crate::models::sharding::{self, Moved, Placement};
use crate::params::{ParamError, ParamSet, ParamSpec};
use crate::query::Queries;
use crate::scenario::Input;
use crate::time::SimTime;
use crate::workload::Popularity;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

mod placement;
mod record;
mod report;
mod spec;
mod view;

use report::{server_shapes, ServerShape};

pub use placement::KeyPlace;
use placement::{modulo_owner, parse_list, parse_placed};
pub use record::{Change, Move, RingRecord};
pub use view::{KeyView, RemovedServer, RequestView, RingFrame, ServerView};

/// Most generated keys a run may have.
pub const MAX_KEYS: i64 = 50_000;
/// How many keys a frame draws (named keys are always drawn).
pub const FRAME_KEYS: usize = 400;
/// How long a routed request stays in the frame, for the view's pulse animation.
pub const REQUEST_SHOWN_US: u64 = 400_000;

/// Why `server` cannot be removed: it is the only one.
fn last_server(server: &str) -> String {
    format!("{server} is the last server; a ring needs at least one")
}

/// The model's own events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RingEvent {
    /// The next request arrives.
    Request,
}

/// The consistent-hashing lesson model.
#[derive(Clone, Debug)]
pub struct HashRingModel {
    ring: HashRing,
    /// Keys go to `hash % N` of the sorted server list instead of the first server clockwise.
    modulo: bool,
    replicas: u32,
    colors: BTreeMap<String, u32>,
    /// Crashed servers and where their vnode 0 was.
    removed: BTreeMap<String, Position>,
    /// Ring length each live server owns (cached: it changes only with membership).
    arcs: BTreeMap<String, u64>,
    /// Each live server's points, marker and arcs, as frames draw them (cached likewise).
    shapes: Rc<Vec<ServerShape>>,
    keys: Rc<Vec<KeyPlace>>,
    /// Owner of each key (parallel to `keys`).
    owner: Rc<Vec<String>>,
    keys_per_server: BTreeMap<String, u64>,
    requests_per_server: BTreeMap<String, u64>,
    requests_total: u64,
    popularity: Popularity,
    rate_per_sec: f64,
    last_change: Option<Change>,
    recent: Vec<RequestView>,
}

impl HashRingModel {
    /// The ring.
    pub fn ring(&self) -> &HashRing {
        &self.ring
    }
    /// The last server change.
    pub fn last_change(&self) -> Option<&Change> {
        self.last_change.as_ref()
    }
    /// The keys on the ring.
    pub fn keys(&self) -> &[KeyPlace] {
        &self.keys
    }

    fn owner_of(&self, pos: Position) -> String {
        owner_in(&self.ring, self.modulo, pos)
    }

    /// The position a request or a moved key is drawn travelling to: the owner's ring point
    /// clockwise, or (under `hash % N`, where points mean nothing) the owner's marker.
    fn point_of(&self, pos: Position, owner: &str) -> Position {
        if self.modulo {
            let names: Vec<&str> = self.ring.servers().collect();
            return names
                .binary_search(&owner)
                .ok()
                .and_then(|i| self.shapes.get(i))
                .map_or(pos, ServerShape::anchor);
        }
        self.ring.lookup(pos).map_or(pos, |p| p.position)
    }

    fn recount(&mut self) {
        let mut counts: BTreeMap<String, u64> =
            crate::order::map_of(self.ring.servers().map(|s| (s.to_string(), 0)));
        for o in self.owner.iter() {
            if let Some(c) = counts.get_mut(o) {
                *c += 1;
            }
        }
        self.keys_per_server = counts;
    }

    fn color_for(&mut self, name: &str) {
        let next = self.colors.len() as u32;
        self.colors.entry(name.to_string()).or_insert(next);
    }

    /// Recomputes every owner after a server change and records what moved.
    fn replace(
        &mut self,
        at: SimTime,
        what: String,
        before: Vec<String>,
        after: Vec<String>,
    ) -> Change {
        let mut moves = Vec::new();
        let mut owner = Vec::with_capacity(self.keys.len());
        let mut modulo_moved = 0;
        for (k, old) in self.keys.iter().zip(self.owner.iter()) {
            let new = self.owner_of(k.position);
            if &new != old {
                moves.push(Move {
                    key: k.name.clone(),
                    position: k.position,
                    from: old.clone(),
                    to: new.clone(),
                    point: k.position,
                });
            }
            if modulo_owner(&before, k.position) != modulo_owner(&after, k.position) {
                modulo_moved += 1;
            }
            owner.push(new);
        }
        self.owner = Rc::new(owner);
        self.arcs = arcs_of(&self.ring, self.modulo);
        self.shapes = Rc::new(server_shapes(&self.ring, self.modulo));
        for m in &mut moves {
            m.point = self.point_of(m.position, &m.to);
        }
        self.recount();
        let change = Change {
            at,
            what,
            moves: moves.into(),
            total: self.keys.len() as u64,
            modulo_moved,
        };
        self.last_change = Some(change.clone());
        change
    }

    fn server_names(&self) -> Vec<String> {
        self.ring.servers().map(str::to_string).collect()
    }

    fn add_keys(
        &mut self,
        new: Vec<KeyPlace>,
    ) -> Result<(u64, Option<(String, String)>), InputError> {
        let keys = Rc::make_mut(&mut self.keys);
        let owner = Rc::make_mut(&mut self.owner);
        let mut example = None;
        let count = new.len() as u64;
        for k in new {
            if keys.iter().any(|e| e.name == k.name) {
                return Err(InputError(format!(
                    "there is already a key called {}",
                    k.name
                )));
            }
            let o = owner_in(&self.ring, self.modulo, k.position);
            if example.is_none() {
                example = Some((k.name.clone(), o.clone()));
            }
            keys.push(k);
            owner.push(o);
        }
        self.recount();
        Ok((count, example))
    }

    fn generated_keys(
        rng: &mut crate::rng::SimRng,
        ring: &HashRing,
        count: u64,
        taken: &BTreeSet<String>,
    ) -> Vec<KeyPlace> {
        // Distinct draws give distinct names, so repeats are found on the numbers (cheaper than
        // on the names, with the same outcome).
        let mut drawn = BTreeSet::new();
        let mut out = Vec::new();
        while (out.len() as u64) < count {
            let n = rng.below(10_000_000);
            if !drawn.insert(n) {
                continue;
            }
            let name = format!("user-{n}");
            if taken.contains(&name) {
                continue;
            }
            out.push(KeyPlace {
                position: ring.position_of(&name),
                name,
                named: false,
            });
        }
        out
    }
}

impl Model for HashRingModel {
    type Event = RingEvent;
    type Record = RingRecord;
    type Frame = RingFrame;
    const ID: &'static str = "hash-ring";

    fn specs() -> Vec<ParamSpec> {
        spec::specs()
    }

    fn actions() -> Vec<ActionSpec> {
        spec::actions()
    }

    fn build(params: &ParamSet, ctx: &mut Ctx<'_, Self>) -> Result<Self, ParamError> {
        let hash = HashFn::parse(params.text("hash")).unwrap_or(HashFn::Murmur3_32);
        let vnodes = params.int("vnodes").clamp(1, 1000) as u32;
        let tokens = match params.text("tokens") {
            "random" => Tokens::Random { seed: ctx.seed },
            _ => Tokens::Hashed,
        };
        let mut ring = HashRing::with_tokens(hash, vnodes, tokens).map_err(|e| ParamError {
            param: "vnodes".into(),
            value: vnodes.to_string(),
            allowed: e.to_string(),
        })?;
        let servers = parse_list(params.text("servers"), "server", "servers")?;
        if servers.is_empty() {
            return Err(ParamError {
                param: "servers".into(),
                value: String::new(),
                allowed: "at least one server name".into(),
            });
        }
        let mut colors = BTreeMap::new();
        for (name, pos) in &servers {
            ring.add_server(name, *pos).map_err(|e| ParamError {
                param: "servers".into(),
                value: params.text("servers").to_string(),
                allowed: e.to_string(),
            })?;
            let next = colors.len() as u32;
            colors.insert(name.clone(), next);
        }
        let named = parse_list(params.text("named_keys"), "key", "named_keys")?;
        let taken: BTreeSet<String> = crate::order::set_of(named.iter().map(|(n, _)| n.clone()));
        let mut keys: Vec<KeyPlace> = named
            .into_iter()
            .map(|(name, pos)| KeyPlace {
                position: pos.unwrap_or_else(|| ring.position_of(&name)),
                name,
                named: true,
            })
            .collect();
        keys.extend(Self::generated_keys(
            ctx.rng,
            &ring,
            params.int("keys").max(0) as u64,
            &taken,
        ));
        let modulo = params.text("placement") == "modulo";
        let owner: Vec<String> = keys
            .iter()
            .map(|k| owner_in(&ring, modulo, k.position))
            .collect();
        let popularity = Popularity::from_params(params, keys.len() as u64);
        let mut model = HashRingModel {
            replicas: params.int("replicas").clamp(1, 5) as u32,
            modulo,
            colors,
            removed: BTreeMap::new(),
            arcs: arcs_of(&ring, modulo),
            shapes: Rc::new(server_shapes(&ring, modulo)),
            keys: Rc::new(keys),
            owner: Rc::new(owner),
            keys_per_server: BTreeMap::new(),
            requests_per_server: crate::order::map_of(ring.servers().map(|s| (s.to_string(), 0))),
            requests_total: 0,
            popularity,
            rate_per_sec: params.int("request_rate").max(0) as f64,
            last_change: None,
            recent: Vec::new(),
            ring,
        };
        model.recount();
        ctx.record(RingRecord::Built {
            servers: model.ring.server_count(),
            points: model.ring.points().len() as u32,
            keys: model.keys.len() as u64,
        });
        model.schedule_request(ctx);
        Ok(model)
    }

    fn apply(&mut self, input: &Input, ctx: &mut Ctx<'_, Self>) -> Result<(), InputError> {
        let arg = input.arg.as_deref().unwrap_or("").trim();
        match input.action.as_str() {
            "add-server" => {
                let (name, pos) = if arg.is_empty() {
                    (self.next_server_name(), None)
                } else {
                    parse_placed(arg, "server", "add-server", arg).map_err(|e| InputError(e.allowed))?
                };
                let before = self.server_names();
                self.ring.add_server(&name, pos).map_err(|e| InputError(e.to_string()))?;
                self.removed.remove(&name);
                self.color_for(&name);
                self.requests_per_server.entry(name.clone()).or_insert(0);
                let after = self.server_names();
                let change = self.replace(ctx.now, format!("server {name} added"), before, after);
                ctx.record(if self.modulo {
                    RingRecord::Redealt {
                        server: name,
                        joined: true,
                        moved_to: moved_to(&change),
                        total: change.total,
                    }
                } else {
                    RingRecord::ServerAdded {
                        server: name,
                        moved: change.moves.len() as u64,
                        total: change.total,
                        modulo_moved: change.modulo_moved,
                    }
                });
                Ok(())
            }
            "remove-server" => {
                if arg.is_empty() {
                    return Err(InputError("name the server to remove, e.g. remove-server:B".into()));
                }
                if self.ring.server_count() == 1 && self.ring.servers().any(|s| s == arg) {
                    return Err(InputError(last_server(arg)));
                }
                let before = self.server_names();
                let points = self.ring.remove_server(arg).map_err(|e| InputError(e.to_string()))?;
                let anchor = points.iter().find(|p| p.index == 0).map_or(0, |p| p.position);
                self.removed.insert(arg.to_string(), anchor);
                let after = self.server_names();
                let change = self.replace(ctx.now, format!("server {arg} removed"), before, after);
                ctx.record(if self.modulo {
                    RingRecord::Redealt {
                        server: arg.to_string(),
                        joined: false,
                        moved_to: moved_to(&change),
                        total: change.total,
                    }
                } else {
                    RingRecord::ServerRemoved {
                        server: arg.to_string(),
                        moved_to: moved_to(&change),
                        total: change.total,
                        modulo_moved: change.modulo_moved,
                    }
                });
                Ok(())
            }
            "add-keys" => {
                let new = match arg.parse::<u64>() {
                    Ok(n) if n == 0 || n as i64 > MAX_KEYS - self.keys.len() as i64 => {
                        return Err(InputError(format!(
                            "add between 1 and {} keys (a run holds at most {MAX_KEYS})",
                            (MAX_KEYS - self.keys.len() as i64).max(0)
                        )))
                    }
                    Ok(n) => {
                        let taken = crate::order::set_of(self.keys.iter().map(|k| k.name.clone()));
                        Self::generated_keys(ctx.rng, &self.ring, n, &taken)
                    }
                    Err(_) if arg.is_empty() => return Err(InputError("say how many keys, or a key name".into())),
                    Err(_) => {
                        let (name, pos) = parse_placed(arg, "key", "add-keys", arg).map_err(|e| InputError(e.allowed))?;
                        vec![KeyPlace { position: pos.unwrap_or_else(|| self.ring.position_of(&name)), name, named: true }]
                    }
                };
                let (count, example) = self.add_keys(new)?;
                ctx.record(RingRecord::KeysAdded { count, example });
                Ok(())
            }
            "remove-key" => {
                let idx = self
                    .keys
                    .iter()
                    .position(|k| k.name == arg)
                    .ok_or_else(|| InputError(format!("there is no key called {arg:?}")))?;
                Rc::make_mut(&mut self.keys).remove(idx);
                let owner = Rc::make_mut(&mut self.owner).remove(idx);
                self.recount();
                ctx.record(RingRecord::KeyRemoved { key: arg.to_string(), owner });
                Ok(())
            }
            "remove-keys" => {
                let generated = self.keys.iter().filter(|k| !k.named).count() as u64;
                let n = match arg.parse::<u64>() {
                    Ok(n) if (1..=generated).contains(&n) => n,
                    _ => {
                        return Err(InputError(format!(
                            "remove between 1 and {generated} generated keys (named keys are removed one by one with remove-key)"
                        )))
                    }
                };
                // The most recently added generated keys go first, so add-keys:N then
                // remove-keys:N leaves the ring as it was.
                let (keys, owners) = (Rc::make_mut(&mut self.keys), Rc::make_mut(&mut self.owner));
                let mut from = BTreeMap::new();
                let mut left = n;
                let mut i = keys.len();
                while left > 0 && i > 0 {
                    i -= 1;
                    if !keys[i].named {
                        keys.remove(i);
                        *from.entry(owners.remove(i)).or_insert(0) += 1;
                        left -= 1;
                    }
                }
                self.recount();
                ctx.record(RingRecord::KeysRemoved { count: n, from });
                Ok(())
            }
            other => Err(InputError(format!(
                "unknown action {other:?}; this lesson knows add-server, remove-server, add-keys, remove-key and remove-keys"
            ))),
        }
    }

    fn handle(&mut self, event: RingEvent, ctx: &mut Ctx<'_, Self>) {
        match event {
            RingEvent::Request => {
                if !self.keys.is_empty() {
                    let idx = self
                        .popularity
                        .pick(ctx.rng, self.keys.len() as u64)
                        .unwrap_or(0) as usize;
                    let key = &self.keys[idx];
                    let server = self.owner[idx].clone();
                    self.requests_total += 1;
                    *self.requests_per_server.entry(server.clone()).or_insert(0) += 1;
                    let id = self.requests_total;
                    self.recent
                        .retain(|r| ctx.now.since(r.at) < REQUEST_SHOWN_US);
                    self.recent.push(RequestView {
                        id,
                        position: key.position,
                        point: self.point_of(key.position, &server),
                        server: server.clone(),
                        at: ctx.now,
                    });
                    ctx.record(RingRecord::Routed {
                        id,
                        key: key.name.clone(),
                        server,
                    });
                }
                self.schedule_request(ctx);
            }
        }
    }

    fn frame(&self, now: SimTime) -> RingFrame {
        self.frame_at(now)
    }

    fn metrics(&self) -> Metrics {
        self.metrics_now()
    }

    /// `remove-server` picks a live server; the last one cannot go.
    fn choices(&self, action: &str) -> Vec<Choice> {
        if action != "remove-server" {
            return Vec::new();
        }
        let last = self.ring.server_count() == 1;
        self.ring
            .servers()
            .map(|s| {
                let choice = Choice::new(s);
                if last {
                    choice.unavailable(last_server(s))
                } else {
                    choice
                }
            })
            .collect()
    }

    fn queries() -> Queries<Self> {
        Queries::new().with::<dyn Placement>(|m| m)
    }

    fn validate(&self) -> Result<(), String> {
        self.ring.validate()?;
        for (k, o) in self.keys.iter().zip(self.owner.iter()) {
            let fresh = self.owner_of(k.position);
            if &fresh != o {
                return Err(format!(
                    "key {} is recorded on {o} but a lookup finds {fresh}",
                    k.name
                ));
            }
        }
        if self.arcs != arcs_of(&self.ring, self.modulo) {
            return Err("the cached arcs differ from the ring's".into());
        }
        if *self.shapes != server_shapes(&self.ring, self.modulo) {
            return Err("the cached server shapes differ from the ring's".into());
        }
        let sum: u64 = self.keys_per_server.values().sum();
        if sum != self.keys.len() as u64 {
            return Err(format!(
                "per-server key counts add up to {sum}, not the {} keys",
                self.keys.len()
            ));
        }
        Ok(())
    }
}

impl Placement for HashRingModel {
    fn nodes(&self) -> Vec<String> {
        self.server_names()
    }

    /// A key is named as on the ring (`User123`); any other name is hashed to where it would
    /// sit. Its owner comes first, then the `replicas − 1` next distinct servers clockwise.
    fn owners(&self, key: &str) -> Option<Vec<String>> {
        let pos = self
            .keys
            .iter()
            .find(|k| k.name == key)
            .map(|k| k.position)
            .unwrap_or_else(|| self.ring.position_of(key));
        if self.modulo {
            return Some(vec![self.owner_of(pos)]);
        }
        Some(
            self.ring
                .replicas(pos, self.replicas)
                .into_iter()
                .map(str::to_string)
                .collect(),
        )
    }

    fn last_moved(&self) -> Option<Moved> {
        self.last_change.as_ref().map(|c| Moved {
            keys: c.moves.len() as u64,
            total: c.total,
        })
    }

    fn last_moves(&self) -> Option<Vec<sharding::Move>> {
        let change = self.last_change.as_ref()?;
        Some(
            change
                .moves
                .iter()
                .map(|m| sharding::Move {
                    key: m.key.clone(),
                    from: m.from.clone(),
                    to: m.to.clone(),
                })
                .collect(),
        )
    }
}

/// How many of a change's moved keys went to each server.
fn moved_to(change: &Change) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for m in change.moves.iter() {
        *out.entry(m.to.clone()).or_insert(0) += 1;
    }
    out
}

/// The owner of `pos`: the first server clockwise, or under `hash % N` the server at index
/// `pos mod N` of the sorted list.
fn owner_in(ring: &HashRing, modulo: bool, pos: Position) -> String {
    if modulo {
        let servers: Vec<String> = ring.servers().map(str::to_string).collect();
        return modulo_owner(&servers, pos).unwrap_or("").to_string();
    }
    ring.owner(pos).unwrap_or("").to_string()
}

/// The share of the ring each server owns: its arcs, or under `hash % N` an equal `1/N` of the
/// positions (interleaved, not an arc).
fn arcs_of(ring: &HashRing, modulo: bool) -> BTreeMap<String, u64> {
    if !modulo {
        return ring.arcs();
    }
    let n = u64::from(ring.server_count()).max(1);
    crate::order::map_of(
        ring.servers()
            .map(|s| (s.to_string(), crate::hashing::ring::RING_SIZE / n)),
    )
}

impl HashRingModel {
    fn schedule_request(&self, ctx: &mut Ctx<'_, Self>) {
        ctx.schedule_poisson(self.rate_per_sec, RingEvent::Request);
    }

    fn next_server_name(&self) -> String {
        let taken: BTreeSet<&str> = crate::order::set_of(self.ring.servers());
        let letters = (b'A'..=b'Z').map(|c| (c as char).to_string());
        letters
            .chain((1..).map(|i| format!("S{i}")))
            .find(|n| !taken.contains(n.as_str()) && !self.colors.contains_key(n))
            .unwrap_or_else(|| "S".to_string())
    }
}
