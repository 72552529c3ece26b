//! The consistent-hashing lesson's model: a [`HashRing`] with keys on it and a request stream.
//!
//! Keys are placed on the ring by hashing their names (or at an explicit angle in the 0–360°
//! teaching mode, written `User123@100`). Every server change recomputes each key's owner and
//! reports exactly which keys moved from where to where, beside the number of the same keys that
//! `hash % N` placement would have moved under the same change. Requests arrive as a Poisson
//! process; each picks a key (uniformly or by Zipf popularity) and is routed to the key's owner,
//! so per-server *request* load can differ from per-server *key* load.
//!
//! Invariants checked by `validate`: the ring's own; every key's recorded owner is what a fresh
//! lookup returns; the per-server key counts add up to the number of keys.
//!
//! Simplifications: a request is routed instantly (no network); replicas are reported, and
//! `replicas > 1` shows each key's preference list, but requests go to the primary only.

use crate::frame::Frame;
use crate::hashing::ring::{degrees_to_position, HashRing, Position};
use crate::hashing::HashFn;
use crate::model::{ActionSpec, Ctx, InputError, Metric, MetricGroup, MetricValue, Metrics, Model};
use crate::params::{ParamError, ParamSet, ParamSpec};
use crate::scenario::Input;
use crate::time::SimTime;
use crate::trace::Narrate;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

/// Most generated keys a run may have.
pub const MAX_KEYS: i64 = 50_000;
/// How many keys a frame draws (named keys are always drawn).
pub const FRAME_KEYS: usize = 400;
/// How long a routed request stays in the frame, for the view's pulse animation.
pub const REQUEST_SHOWN_US: u64 = 400_000;

/// A key on the ring.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyPlace {
    /// Its name.
    pub name: String,
    /// Where it sits.
    pub position: Position,
    /// Named by the learner (drawn larger, always shown) rather than generated.
    pub named: bool,
}

/// One key that changed owner.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Move {
    /// The key.
    pub key: String,
    /// Where it sits.
    pub position: Position,
    /// Its owner before the change.
    pub from: String,
    /// Its owner after.
    pub to: String,
}

/// What a server change did to key placement.
#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    /// When.
    pub at: SimTime,
    /// What changed, in words (`server B removed`).
    pub what: String,
    /// Keys that moved, in key order (all of them).
    pub moves: Rc<[Move]>,
    /// Keys on the ring at the time.
    pub total: u64,
    /// How many of the same keys `hash % N` placement would have moved.
    pub modulo_moved: u64,
}

/// What the model records.
#[derive(Clone, Debug, PartialEq)]
pub enum RingRecord {
    /// The ring was built.
    Built {
        /// Servers.
        servers: u32,
        /// Points on the ring.
        points: u32,
        /// Keys placed.
        keys: u64,
    },
    /// A server joined.
    ServerAdded {
        /// Its name.
        server: String,
        /// Keys it took over.
        moved: u64,
        /// Keys on the ring.
        total: u64,
        /// Keys `hash % N` would have moved.
        modulo_moved: u64,
    },
    /// A server left (crashed).
    ServerRemoved {
        /// Its name.
        server: String,
        /// Keys that moved, with the server each went to.
        moved_to: BTreeMap<String, u64>,
        /// Keys on the ring.
        total: u64,
        /// Keys `hash % N` would have moved.
        modulo_moved: u64,
    },
    /// Keys were added.
    KeysAdded {
        /// How many.
        count: u64,
        /// The first one's name and owner, for the narration.
        example: Option<(String, String)>,
    },
    /// A key was removed.
    KeyRemoved {
        /// Its name.
        key: String,
        /// Who owned it.
        owner: String,
    },
    /// A request was routed to a key's owner.
    Routed {
        /// The request's number.
        id: u64,
        /// The key asked for.
        key: String,
        /// The server that served it.
        server: String,
    },
}

impl Narrate for RingRecord {
    fn narrate(&self) -> String {
        match self {
            RingRecord::Built {
                servers,
                points,
                keys,
            } => format!(
                "Built a ring of {servers} servers ({points} points) and placed {keys} keys."
            ),
            RingRecord::ServerAdded {
                server,
                moved,
                total,
                modulo_moved,
            } => format!(
                "Server {server} joined and took {moved} of {total} keys ({}) from its successors; \
                 hash % N would have moved {modulo_moved} ({}).",
                pct(*moved, *total),
                pct(*modulo_moved, *total)
            ),
            RingRecord::ServerRemoved {
                server,
                moved_to,
                total,
                modulo_moved,
            } => {
                let moved: u64 = moved_to.values().sum();
                let dest: Vec<String> = moved_to
                    .iter()
                    .map(|(s, n)| format!("{n} to {s}"))
                    .collect();
                let dest = if dest.is_empty() {
                    "none".to_string()
                } else {
                    dest.join(", ")
                };
                format!(
                    "Server {server} crashed: {moved} of {total} keys ({}) moved clockwise ({dest}); \
                     hash % N would have moved {modulo_moved} ({}).",
                    pct(moved, *total),
                    pct(*modulo_moved, *total)
                )
            }
            RingRecord::KeysAdded { count, example } => match example {
                Some((k, s)) if *count == 1 => format!("Key {k} added; it lands on {s}."),
                Some((k, s)) => format!("{count} keys added (for example {k} on {s})."),
                None => format!("{count} keys added."),
            },
            RingRecord::KeyRemoved { key, owner } => format!("Key {key} removed from {owner}."),
            RingRecord::Routed { key, server, .. } => {
                format!("Request for {key} served by {server}.")
            }
        }
    }
    fn is_milestone(&self) -> bool {
        !matches!(self, RingRecord::Routed { .. })
    }
}

fn pct(n: u64, total: u64) -> String {
    if total == 0 {
        "0%".to_string()
    } else {
        format!("{:.1}%", n as f64 * 100.0 / total as f64)
    }
}

/// The model's own events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RingEvent {
    /// The next request arrives.
    Request,
}

/// How requests choose keys.
#[derive(Clone, Debug, PartialEq)]
enum Popularity {
    Uniform,
    /// Cumulative Zipf weights by key rank (rank 1 = first key).
    Zipf(Rc<[f64]>),
}

/// A server drawn in a frame.
#[derive(Clone, Debug, PartialEq)]
pub struct ServerView {
    /// Its name.
    pub name: String,
    /// A stable colour index (order of first appearance).
    pub color: u32,
    /// Its virtual nodes' positions.
    pub points: Vec<Position>,
    /// Share of the ring it owns, in percent.
    pub arc_percent: f64,
    /// Keys it owns.
    pub keys: u64,
    /// Requests it has served.
    pub requests: u64,
}

/// A crashed server, remembered so the view can draw a ghost where it stood.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemovedServer {
    /// Its name.
    pub name: String,
    /// Its colour index.
    pub color: u32,
    /// Where its first virtual node (vnode 0) was.
    pub anchor: Position,
}

/// A key drawn in a frame.
#[derive(Clone, Debug, PartialEq)]
pub struct KeyView {
    /// Its name.
    pub name: String,
    /// Where it sits.
    pub position: Position,
    /// Its owner first, then replicas.
    pub owners: Vec<String>,
    /// Named by the learner.
    pub named: bool,
}

/// A request drawn in a frame (routed within the last [`REQUEST_SHOWN_US`]).
#[derive(Clone, Debug, PartialEq)]
pub struct RequestView {
    /// Its number (stable id for the view).
    pub id: u64,
    /// Where its key sits.
    pub position: Position,
    /// Who served it.
    pub server: String,
    /// When it was routed.
    pub at: SimTime,
}

/// What the ring diagram draws.
#[derive(Clone, Debug, PartialEq)]
pub struct RingFrame {
    /// The frame's time.
    pub now: SimTime,
    /// Live servers in name order.
    pub servers: Vec<ServerView>,
    /// Servers that crashed, drawn as ghosts where they were.
    pub removed: Vec<RemovedServer>,
    /// Up to [`FRAME_KEYS`] generated keys plus every named key.
    pub keys: Vec<KeyView>,
    /// All keys on the ring.
    pub keys_total: u64,
    /// The last server change, if any.
    pub last_change: Option<Change>,
    /// Recent requests.
    pub requests: Vec<RequestView>,
    /// The hash function in use.
    pub hash: &'static str,
    /// Virtual nodes per server.
    pub vnodes: u32,
}

/// The consistent-hashing lesson model.
#[derive(Clone, Debug)]
pub struct HashRingModel {
    ring: HashRing,
    replicas: u32,
    colors: BTreeMap<String, u32>,
    /// Crashed servers and where their vnode 0 was.
    removed: BTreeMap<String, Position>,
    /// Ring length each live server owns (cached: it changes only with membership).
    arcs: BTreeMap<String, u64>,
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

/// Parses `Name` or `Name@degrees`.
fn parse_placed(
    item: &str,
    what: &str,
    param: &str,
    raw: &str,
) -> Result<(String, Option<Position>), ParamError> {
    let bad = |allowed: String| ParamError {
        param: param.to_string(),
        value: raw.to_string(),
        allowed,
    };
    let item = item.trim();
    let (name, at) = match item.split_once('@') {
        Some((n, d)) => (n.trim(), Some(d.trim())),
        None => (item, None),
    };
    let name_ok = !name.is_empty()
        && name.len() <= 24
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.:".contains(c));
    if !name_ok {
        return Err(bad(format!(
            "a comma-separated list of {what} names (letters, digits, - _ . :), each optionally @degrees; {item:?} is not a valid name"
        )));
    }
    let pos = match at {
        None => None,
        Some(d) => {
            let deg: f64 = d
                .parse()
                .map_err(|_| bad(format!("degrees from 0 to 360 after @ in {item:?}")))?;
            if !(0.0..360.0).contains(&deg) {
                return Err(bad(format!(
                    "degrees from 0 to 360 (not 360 itself) after @ in {item:?}"
                )));
            }
            Some(degrees_to_position(deg))
        }
    };
    Ok((name.to_string(), pos))
}

fn parse_list(
    raw: &str,
    what: &str,
    param: &str,
) -> Result<Vec<(String, Option<Position>)>, ParamError> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for item in raw.split(',').filter(|s| !s.trim().is_empty()) {
        let (name, pos) = parse_placed(item, what, param, raw)?;
        if !seen.insert(name.clone()) {
            return Err(ParamError {
                param: param.to_string(),
                value: raw.to_string(),
                allowed: format!("distinct {what} names; {name:?} appears twice"),
            });
        }
        out.push((name, pos));
    }
    Ok(out)
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
        self.ring.owner(pos).unwrap_or("").to_string()
    }

    fn recount(&mut self) {
        let mut counts: BTreeMap<String, u64> =
            self.ring.servers().map(|s| (s.to_string(), 0)).collect();
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
                });
            }
            if modulo_owner(&before, k.position) != modulo_owner(&after, k.position) {
                modulo_moved += 1;
            }
            owner.push(new);
        }
        self.owner = Rc::new(owner);
        self.arcs = self.ring.arcs();
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
            let o = self.ring.owner(k.position).unwrap_or("").to_string();
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
        let mut names = BTreeSet::new();
        let mut out = Vec::new();
        while (out.len() as u64) < count {
            let name = format!("user-{}", rng.below(10_000_000));
            if taken.contains(&name) || !names.insert(name.clone()) {
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

/// The owner under `hash % N` placement over the sorted server list.
fn modulo_owner(servers: &[String], position: Position) -> Option<&str> {
    if servers.is_empty() {
        return None;
    }
    Some(&servers[(u64::from(position) % servers.len() as u64) as usize])
}

impl Model for HashRingModel {
    type Event = RingEvent;
    type Record = RingRecord;
    const ID: &'static str = "hash-ring";

    fn specs() -> Vec<ParamSpec> {
        vec![
            ParamSpec::text("servers", "Servers", "A,B,C,D", 300).help(
                "Comma-separated server names. Add @degrees to pin a server's first point in the 0–360° teaching mode (A@45); the rest are placed by hashing their names.",
            ),
            ParamSpec::int("vnodes", "Virtual nodes per server", 1, 1, 1000, 1).unit("per server").help(
                "Each server is hashed onto the ring this many times (as S#0, S#1, …). More points per server even out the arcs each one owns.",
            ),
            ParamSpec::choice("hash", "Hash function", "murmur3", &[("murmur3", "MurmurHash3 x86_32"), ("fnv1a", "FNV-1a 32-bit")])
                .help("How names become positions on the 2^32 ring."),
            ParamSpec::int("keys", "Generated keys", 200, 0, MAX_KEYS, 1).unit("keys").help(
                "How many random user keys to place (their names come from the seed).",
            ),
            ParamSpec::text("named_keys", "Named keys", "User123", 300).help(
                "Keys you want to follow, comma-separated; add @degrees to pin one (User123@100).",
            ),
            ParamSpec::int("replicas", "Replication factor", 1, 1, 5, 1).help(
                "Each key is stored on this many distinct servers, walking clockwise from its owner.",
            ),
            ParamSpec::int("request_rate", "Request rate", 20, 0, 500, 1).unit("req/s").help(
                "Requests per simulated second (a Poisson stream); each asks for one key.",
            ),
            ParamSpec::choice("popularity", "Key popularity", "uniform", &[("uniform", "Uniform"), ("zipf", "Zipf (a few hot keys)")])
                .help("Which keys requests ask for."),
            ParamSpec::float("zipf_s", "Zipf exponent s", 1.0, 0.0, 3.0, 0.1).help(
                "Skew of the Zipf popularity: 0 is uniform, 1 is classic Zipf, higher is hotter.",
            ),
        ]
    }

    fn actions() -> Vec<ActionSpec> {
        vec![
            ActionSpec {
                name: "add-server",
                label: "Add a server",
                arg: Some("name, optionally @degrees"),
            },
            ActionSpec {
                name: "remove-server",
                label: "Crash a server",
                arg: Some("server name"),
            },
            ActionSpec {
                name: "add-keys",
                label: "Add keys",
                arg: Some("how many, or a key name"),
            },
            ActionSpec {
                name: "remove-key",
                label: "Remove a key",
                arg: Some("key name"),
            },
        ]
    }

    fn build(params: &ParamSet, ctx: &mut Ctx<'_, Self>) -> Result<Self, ParamError> {
        let hash = HashFn::parse(params.text("hash")).unwrap_or(HashFn::Murmur3_32);
        let vnodes = params.int("vnodes").clamp(1, 1000) as u32;
        let mut ring = HashRing::new(hash, vnodes).map_err(|e| ParamError {
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
        let taken: BTreeSet<String> = named.iter().map(|(n, _)| n.clone()).collect();
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
        let owner: Vec<String> = keys
            .iter()
            .map(|k| ring.owner(k.position).unwrap_or("").to_string())
            .collect();
        let popularity = match params.text("popularity") {
            "zipf" => {
                let s = params.float("zipf_s");
                let mut acc = 0.0;
                let cdf: Vec<f64> = (1..=keys.len())
                    .map(|rank| {
                        // libm, not std's powf, so the weights are bit-identical on every target.
                        acc += 1.0 / libm::pow(rank as f64, s);
                        acc
                    })
                    .collect();
                Popularity::Zipf(cdf.into())
            }
            _ => Popularity::Uniform,
        };
        let mut model = HashRingModel {
            replicas: params.int("replicas").clamp(1, 5) as u32,
            colors,
            removed: BTreeMap::new(),
            arcs: ring.arcs(),
            keys: Rc::new(keys),
            owner: Rc::new(owner),
            keys_per_server: BTreeMap::new(),
            requests_per_server: ring.servers().map(|s| (s.to_string(), 0)).collect(),
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
                ctx.record(RingRecord::ServerAdded {
                    server: name,
                    moved: change.moves.len() as u64,
                    total: change.total,
                    modulo_moved: change.modulo_moved,
                });
                Ok(())
            }
            "remove-server" => {
                if arg.is_empty() {
                    return Err(InputError("name the server to remove, e.g. remove-server:B".into()));
                }
                if self.ring.server_count() == 1 && self.ring.servers().any(|s| s == arg) {
                    return Err(InputError(format!("{arg} is the last server; a ring needs at least one")));
                }
                let before = self.server_names();
                let points = self.ring.remove_server(arg).map_err(|e| InputError(e.to_string()))?;
                let anchor = points.iter().find(|p| p.index == 0).map_or(0, |p| p.position);
                self.removed.insert(arg.to_string(), anchor);
                let after = self.server_names();
                let change = self.replace(ctx.now, format!("server {arg} removed"), before, after);
                let mut moved_to = BTreeMap::new();
                for m in change.moves.iter() {
                    *moved_to.entry(m.to.clone()).or_insert(0) += 1;
                }
                ctx.record(RingRecord::ServerRemoved {
                    server: arg.to_string(),
                    moved_to,
                    total: change.total,
                    modulo_moved: change.modulo_moved,
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
                        let taken = self.keys.iter().map(|k| k.name.clone()).collect();
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
            other => Err(InputError(format!(
                "unknown action {other:?}; this lesson knows add-server, remove-server, add-keys and remove-key"
            ))),
        }
    }

    fn handle(&mut self, event: RingEvent, ctx: &mut Ctx<'_, Self>) {
        match event {
            RingEvent::Request => {
                if !self.keys.is_empty() {
                    let idx = match &self.popularity {
                        Popularity::Uniform => ctx.rng.below(self.keys.len() as u64) as usize,
                        Popularity::Zipf(cdf) => {
                            let total = cdf.last().copied().unwrap_or(0.0);
                            let u = ctx.rng.unit_f64() * total;
                            cdf.partition_point(|c| *c <= u).min(cdf.len() - 1)
                        }
                    }
                    .min(self.keys.len() - 1);
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

    fn frame(&self, now: SimTime) -> Frame {
        let arcs = &self.arcs;
        let mut points: BTreeMap<&str, Vec<Position>> = BTreeMap::new();
        for p in self.ring.points() {
            points
                .entry(p.server.as_str())
                .or_default()
                .push(p.position);
        }
        let servers = self
            .ring
            .servers()
            .map(|s| ServerView {
                name: s.to_string(),
                color: self.colors.get(s).copied().unwrap_or(0),
                points: points.remove(s).unwrap_or_default(),
                arc_percent: arcs.get(s).copied().unwrap_or(0) as f64 * 100.0
                    / crate::hashing::ring::RING_SIZE as f64,
                keys: self.keys_per_server.get(s).copied().unwrap_or(0),
                requests: self.requests_per_server.get(s).copied().unwrap_or(0),
            })
            .collect();
        let mut shown = 0;
        let keys = self
            .keys
            .iter()
            .filter(|k| {
                let take = k.named || shown < FRAME_KEYS;
                if take && !k.named {
                    shown += 1;
                }
                take
            })
            .map(|k| KeyView {
                name: k.name.clone(),
                position: k.position,
                owners: self
                    .ring
                    .replicas(k.position, self.replicas)
                    .into_iter()
                    .map(str::to_string)
                    .collect(),
                named: k.named,
            })
            .collect();
        let requests = self
            .recent
            .iter()
            .filter(|r| now.since(r.at) < REQUEST_SHOWN_US && r.at <= now)
            .cloned()
            .collect();
        Frame::Ring(Rc::new(RingFrame {
            now,
            servers,
            removed: self
                .removed
                .iter()
                .map(|(name, anchor)| RemovedServer {
                    name: name.clone(),
                    color: self.colors.get(name).copied().unwrap_or(0),
                    anchor: *anchor,
                })
                .collect(),
            keys,
            keys_total: self.keys.len() as u64,
            last_change: self.last_change.clone(),
            requests,
            hash: self.ring.hash_fn().id(),
            vnodes: self.ring.vnodes_per_server(),
        }))
    }

    fn metrics(&self) -> Metrics {
        let loads: Vec<f64> = self.keys_per_server.values().map(|v| *v as f64).collect();
        let n = loads.len().max(1) as f64;
        let mean = loads.iter().sum::<f64>() / n;
        let max = loads.iter().copied().fold(0.0, f64::max);
        let var = loads.iter().map(|l| (l - mean) * (l - mean)).sum::<f64>() / n;
        let ratio = if mean > 0.0 {
            MetricValue::Float(max / mean)
        } else {
            MetricValue::None
        };
        let (moved, moved_pct, modulo, modulo_pct) = match &self.last_change {
            Some(c) => {
                let p = |x: u64| {
                    if c.total == 0 {
                        0.0
                    } else {
                        x as f64 * 100.0 / c.total as f64
                    }
                };
                let m = c.moves.len() as u64;
                (
                    MetricValue::Int(m as i64),
                    MetricValue::Float(p(m)),
                    MetricValue::Int(c.modulo_moved as i64),
                    MetricValue::Float(p(c.modulo_moved)),
                )
            }
            None => (
                MetricValue::None,
                MetricValue::None,
                MetricValue::None,
                MetricValue::None,
            ),
        };
        let arcs = &self.arcs;
        Metrics {
            scalars: vec![
                Metric {
                    id: "servers",
                    label: "Servers",
                    value: MetricValue::Int(self.ring.server_count() as i64),
                    unit: None,
                    help: "Live servers on the ring.",
                },
                Metric {
                    id: "keys",
                    label: "Keys",
                    value: MetricValue::Int(self.keys.len() as i64),
                    unit: None,
                    help: "Keys placed on the ring.",
                },
                Metric {
                    id: "max_mean_ratio",
                    label: "Max / mean load",
                    value: ratio,
                    unit: Some("×"),
                    help:
                        "Keys on the busiest server divided by the average; 1.00 is perfectly even.",
                },
                Metric {
                    id: "load_stddev",
                    label: "Load std. deviation",
                    value: MetricValue::Float(libm::sqrt(var)),
                    unit: Some("keys"),
                    help: "How far servers' key counts spread around the mean.",
                },
                Metric {
                    id: "moved_keys",
                    label: "Keys moved (last change)",
                    value: moved,
                    unit: None,
                    help: "Keys whose owner changed at the last server change.",
                },
                Metric {
                    id: "moved_percent",
                    label: "Share moved",
                    value: moved_pct,
                    unit: Some("%"),
                    help: "The same, as a share of all keys.",
                },
                Metric {
                    id: "modulo_moved_keys",
                    label: "hash % N would move",
                    value: modulo,
                    unit: None,
                    help: "Keys that modulo placement over the same servers would have moved.",
                },
                Metric {
                    id: "modulo_moved_percent",
                    label: "hash % N share",
                    value: modulo_pct,
                    unit: Some("%"),
                    help: "The same, as a share of all keys.",
                },
                Metric {
                    id: "requests",
                    label: "Requests served",
                    value: MetricValue::Int(self.requests_total as i64),
                    unit: None,
                    help: "Requests routed so far.",
                },
            ],
            groups: vec![
                MetricGroup {
                    id: "keys_per_server",
                    label: "Keys per server",
                    unit: Some("keys"),
                    values: self
                        .keys_per_server
                        .iter()
                        .map(|(k, v)| (k.clone(), *v as f64))
                        .collect(),
                },
                MetricGroup {
                    id: "requests_per_server",
                    label: "Requests per server",
                    unit: Some("requests"),
                    values: self
                        .ring
                        .servers()
                        .map(|s| {
                            (
                                s.to_string(),
                                self.requests_per_server.get(s).copied().unwrap_or(0) as f64,
                            )
                        })
                        .collect(),
                },
                MetricGroup {
                    id: "arc_percent",
                    label: "Ring share",
                    unit: Some("%"),
                    values: arcs
                        .iter()
                        .map(|(k, v)| {
                            (
                                k.clone(),
                                *v as f64 * 100.0 / crate::hashing::ring::RING_SIZE as f64,
                            )
                        })
                        .collect(),
                },
            ],
        }
    }

    fn entities(&self) -> Vec<String> {
        self.server_names()
    }

    fn owners(&self, key: &str) -> Option<Vec<String>> {
        let pos = self
            .keys
            .iter()
            .find(|k| k.name == key)
            .map(|k| k.position)
            .unwrap_or_else(|| self.ring.position_of(key));
        Some(
            self.ring
                .replicas(pos, self.replicas)
                .into_iter()
                .map(str::to_string)
                .collect(),
        )
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
        if self.arcs != self.ring.arcs() {
            return Err("the cached arcs differ from the ring's".into());
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

impl HashRingModel {
    fn schedule_request(&self, ctx: &mut Ctx<'_, Self>) {
        if self.rate_per_sec <= 0.0 {
            return;
        }
        // Exponential inter-arrival times make the stream Poisson; libm keeps ln portable.
        let u = 1.0 - ctx.rng.unit_f64();
        let gap_us = (-libm::log(u) / self.rate_per_sec * 1_000_000.0).max(1.0) as u64;
        ctx.schedule(ctx.now.plus_us(gap_us), RingEvent::Request);
    }

    fn next_server_name(&self) -> String {
        let taken: BTreeSet<&str> = self.ring.servers().collect();
        let letters = (b'A'..=b'Z').map(|c| (c as char).to_string());
        letters
            .chain((1..).map(|i| format!("S{i}")))
            .find(|n| !taken.contains(n.as_str()) && !self.colors.contains_key(n))
            .unwrap_or_else(|| "S".to_string())
    }
}
