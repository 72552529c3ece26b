//! The consistent-hash ring: servers as points on a circle, keys owned by the next point clockwise.
//!
//! # What it models
//!
//! - **Consistent hashing** (Karger, Lehman, Leighton, Panigrahy, Levine & Lewin, "Consistent
//!   Hashing and Random Trees", STOC 1997). Servers and keys are hashed onto the same circle of
//!   2^32 [`Position`]s. A key belongs to the first server point at or after its position, going
//!   clockwise and wrapping past the top. Adding or removing a server therefore moves only the keys
//!   on the arcs next to that server's points, about 1/N of them, where `key % N` moves most keys.
//! - **Virtual nodes** (DeCandia et al., "Dynamo: Amazon's Highly Available Key-value Store",
//!   SOSP 2007, §4.2; Cassandra's `num_tokens`). Each physical server sits at
//!   `vnodes_per_server` points ([`VirtualNode`]s), so it owns many short arcs rather than one long
//!   one and the load evens out as the count grows.
//! - **Where the points go** ([`Tokens`]). By default vnode `i` of server `S` sits at
//!   `hash("S#i")`, as ketama places a server's points by hashing its name, so the same servers
//!   always give the same ring. With [`Tokens::Random`] each point is a random *token* drawn when
//!   the server joins, as in Dynamo's first partitioning strategy ("T random tokens per node",
//!   DeCandia et al. 2007, §6.2) and Cassandra's `num_tokens` when no token allocation option
//!   (`allocate_tokens_for_keyspace`, …) is set, its default before 4.0: the draws come from a
//!   seed the ring is given, so a ring is still a function of its inputs ([`random_tokens`]).
//! - **The replica walk** (Dynamo's *preference list*, §4.3). [`HashRing::replicas`] walks
//!   clockwise from the owner and keeps the first `n` *distinct* physical servers, skipping further
//!   points of servers already chosen.
//!
//! # Ownership and ties
//!
//! A point owns the half-open arc *(previous point, its position]*; the first point's arc wraps
//! past zero. Points are kept sorted by *(position, server name, index)*. When two points share a
//! position, the first of them in that order owns the arc and the others own nothing. That order is
//! the tie-break, and [`HashRing::lookup`] and [`HashRing::arcs`] both follow it.
//!
//! # Invariants checked by [`HashRing::validate`]
//!
//! 1. The points are strictly sorted by the tie-break order.
//! 2. Every point belongs to a known server, and each server has exactly `vnodes_per_server` points,
//!    with indices `0..vnodes_per_server`.
//! 3. Every point sits where it should: vnode `i` of server `S` at `hash("S#i")` (or, with random
//!    tokens, at `S`'s `i`-th token), except that vnode 0 of a server added with a fixed position
//!    sits at that position.
//!
//! # What it simplifies
//!
//! - Random tokens are uniform and independent: no check that a token is new (two points may
//!   share a position; the tie-break above decides), and no token allocation algorithm that
//!   places a joining server's tokens to even out the load (Cassandra 4.0's
//!   `allocate_tokens_for_local_replication_factor`; Dynamo's strategy 3 of equal partitions).
//! - Every server has the same number of vnodes (no per-server weights or capacities).
//! - Membership changes are global and instant: no gossip, no hinted hand-off, and no time or
//!   bandwidth spent moving data.
//! - The replica walk ignores racks and data centres (Cassandra's `NetworkTopologyStrategy`).

use std::collections::BTreeMap;
use std::fmt;

use super::arcs::{owned_arcs, OwnedArc};
use super::hash::HashFn;
use crate::rng::SimRng;

/// A point on the ring: 0 is the top, and positions grow clockwise up to 2^32 − 1, then wrap.
pub type Position = u32;

/// The number of positions on the ring, 2^32.
pub const RING_SIZE: u64 = 1 << 32;

/// The largest number of virtual nodes a server may have; the smallest is 1.
pub const MAX_VNODES_PER_SERVER: u32 = 1000;

/// The ring position at `deg` degrees clockwise from the top, for the 0–360° teaching mode.
///
/// Computes `round(deg / 360 × 2^32)`. Multiplying by 2^32 is exact in `f64`, so the division is
/// the only rounding step and 45° gives exactly 536870912. Angles outside `[0, 360)` wrap (360°
/// is the top, position 0); a non-finite angle maps to 0.
pub fn degrees_to_position(deg: f64) -> Position {
    if !deg.is_finite() {
        return 0;
    }
    let exact = deg.rem_euclid(360.0) * RING_SIZE as f64 / 360.0;
    // `rem_euclid` can return 360.0 for tiny negative angles; the modulo wraps that to the top.
    (exact.round() as u64 % RING_SIZE) as Position
}

/// The angle in degrees, in `[0, 360)`, of ring position `p`.
pub fn position_to_degrees(p: Position) -> f64 {
    f64::from(p) * 360.0 / RING_SIZE as f64
}

/// Where a server's points go on the ring.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tokens {
    /// Vnode `i` of server `S` at `hash("S#i")`, hashed with the ring's hash function (the
    /// ketama style): the same server names always give the same ring.
    Hashed,
    /// Vnode `i` of server `S` at `S`'s `i`-th random token, [`random_tokens`]`(seed, S, …)`:
    /// the same seed and names give the same ring, and another seed another ring.
    Random {
        /// The seed every server's tokens are drawn from (a run's seed).
        seed: u64,
    },
}

/// The first `count` random tokens of server `server` on a ring seeded with `seed`: token `i` is
/// the high 32 bits of the `i`-th output of [`SimRng::stream`]`(seed, "ring-tokens/" + server)`
/// (xoshiro256++ seeded through SplitMix64, so `u64` draws only and the same tokens on every
/// platform).
///
/// A server's tokens depend on the seed and its own name only: not on the other servers, the
/// order servers joined in, the hash function or the number of points per server (with more
/// points a server keeps its first tokens and gains new ones). A server that leaves and rejoins
/// under the same name gets the same tokens back, as a restarted Cassandra node keeps the tokens
/// it saved.
pub fn random_tokens(seed: u64, server: &str, count: u32) -> Vec<Position> {
    let mut rng = SimRng::stream(seed, &format!("ring-tokens/{server}"));
    (0..count)
        .map(|_| (rng.next_u64() >> 32) as Position)
        .collect()
}

/// One of a physical server's points on the ring.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VirtualNode {
    /// Where the point sits.
    pub position: Position,
    /// The physical server it stands for.
    pub server: String,
    /// Which of the server's points it is, from 0 to `vnodes_per_server − 1`.
    pub index: u32,
}

impl VirtualNode {
    /// The label hashed to place this point, `"server#index"`, e.g. `"A#3"`.
    pub fn label(&self) -> String {
        vnode_label(&self.server, self.index)
    }
}

/// Why a ring operation was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RingError {
    /// A server name was empty.
    EmptyName,
    /// A server with this name is already on the ring.
    DuplicateServer(String),
    /// No server with this name is on the ring.
    UnknownServer(String),
    /// The requested number of virtual nodes per server is outside `1..=MAX_VNODES_PER_SERVER`.
    VnodesOutOfRange(u32),
}

impl fmt::Display for RingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RingError::EmptyName => write!(f, "a server needs a non-empty name"),
            RingError::DuplicateServer(name) => {
                write!(
                    f,
                    "server \"{name}\" is already on the ring; pick another name"
                )
            }
            RingError::UnknownServer(name) => {
                write!(f, "no server named \"{name}\" is on the ring")
            }
            RingError::VnodesOutOfRange(v) => write!(
                f,
                "virtual nodes per server must be between 1 and {MAX_VNODES_PER_SERVER}, got {v}"
            ),
        }
    }
}

impl std::error::Error for RingError {}

/// A consistent-hash ring of physical servers, each placed at `vnodes_per_server` points.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HashRing {
    hash: HashFn,
    vnodes_per_server: u32,
    tokens: Tokens,
    /// Server name → the position of its vnode 0, if it was placed by hand.
    servers: BTreeMap<String, Option<Position>>,
    /// Every server's points, sorted by (position, server name, index).
    points: Vec<VirtualNode>,
}

impl HashRing {
    /// An empty ring hashing with `hash` and placing `vnodes_per_server` points per server, each
    /// at the hash of its label ([`Tokens::Hashed`]).
    pub fn new(hash: HashFn, vnodes_per_server: u32) -> Result<Self, RingError> {
        Self::with_tokens(hash, vnodes_per_server, Tokens::Hashed)
    }

    /// An empty ring like [`HashRing::new`] whose servers' points are placed as `tokens` says.
    pub fn with_tokens(
        hash: HashFn,
        vnodes_per_server: u32,
        tokens: Tokens,
    ) -> Result<Self, RingError> {
        check_vnodes(vnodes_per_server)?;
        Ok(HashRing {
            hash,
            vnodes_per_server,
            tokens,
            servers: BTreeMap::new(),
            points: Vec::new(),
        })
    }

    /// Adds server `name`, with its vnode 0 at `fixed` if given (its other vnodes are hashed, or
    /// take their random tokens).
    /// Returns the points added, in index order.
    pub fn add_server(
        &mut self,
        name: &str,
        fixed: Option<Position>,
    ) -> Result<Vec<VirtualNode>, RingError> {
        if name.is_empty() {
            return Err(RingError::EmptyName);
        }
        if self.servers.contains_key(name) {
            return Err(RingError::DuplicateServer(name.to_owned()));
        }
        self.servers.insert(name.to_owned(), fixed);
        let added = self.points_of(name, fixed);
        self.points.extend(added.iter().cloned());
        self.sort_points();
        Ok(added)
    }

    /// Removes server `name` and all its points. Returns the points removed, in ring order.
    pub fn remove_server(&mut self, name: &str) -> Result<Vec<VirtualNode>, RingError> {
        if self.servers.remove(name).is_none() {
            return Err(RingError::UnknownServer(name.to_owned()));
        }
        let (removed, kept) = std::mem::take(&mut self.points)
            .into_iter()
            .partition(|p| p.server == name);
        self.points = kept;
        Ok(removed)
    }

    /// The ring position of `key`: the hash of its UTF-8 bytes.
    pub fn position_of(&self, key: &str) -> Position {
        self.hash.hash(key.as_bytes())
    }

    /// The point that owns `pos`: the first point at or after `pos` clockwise, wrapping to the
    /// first point past the top. `None` on an empty ring. Binary search, O(log n).
    pub fn lookup(&self, pos: Position) -> Option<&VirtualNode> {
        self.owner_index(pos).map(|i| &self.points[i])
    }

    /// The same answer as [`HashRing::lookup`] by a naive O(n) scan, kept as the reference that
    /// tests compare `lookup` against. It does not rely on the points being sorted: it picks the
    /// point with the shortest clockwise distance from `pos`, ties broken by (server, index).
    pub fn lookup_linear(&self, pos: Position) -> Option<&VirtualNode> {
        self.points
            .iter()
            .min_by_key(|p| (p.position.wrapping_sub(pos), p.server.as_str(), p.index))
    }

    /// Every point once, clockwise from the one that owns `pos` ([`HashRing::lookup`]) round to
    /// the point just before it: the order a walk that skips servers visits them in.
    pub fn clockwise(&self, pos: Position) -> impl Iterator<Item = &VirtualNode> + '_ {
        let start = self.owner_index(pos).unwrap_or(0);
        let (before, from) = self.points.split_at(start);
        from.iter().chain(before)
    }

    /// The name of the physical server that owns `pos`, or `None` on an empty ring.
    pub fn owner(&self, pos: Position) -> Option<&str> {
        self.lookup(pos).map(|p| p.server.as_str())
    }

    /// The servers that hold copies of the key at `pos`: walking clockwise from the owner, the
    /// first `n` distinct physical servers (all of them if there are fewer than `n`). The owner
    /// comes first.
    pub fn replicas(&self, pos: Position, n: u32) -> Vec<&str> {
        let Some(start) = self.owner_index(pos) else {
            return Vec::new();
        };
        let want = n.min(self.server_count()) as usize;
        let mut chosen: Vec<&str> = Vec::with_capacity(want);
        let clockwise = self.points[start..].iter().chain(&self.points[..start]);
        for p in clockwise {
            if chosen.len() == want {
                break;
            }
            if !chosen.contains(&p.server.as_str()) {
                chosen.push(&p.server);
            }
        }
        chosen
    }

    /// How many ring positions each server owns, summed over its points. Every server appears
    /// (possibly with 0), and the values sum to exactly 2^32 when the ring has a server.
    pub fn arcs(&self) -> BTreeMap<String, u64> {
        let mut arcs: BTreeMap<String, u64> =
            crate::order::map_of(self.servers.keys().map(|name| (name.clone(), 0)));
        let (Some(first), Some(last)) = (self.points.first(), self.points.last()) else {
            return arcs;
        };
        let mut credit = |p: &VirtualNode, length: u64| {
            *arcs.entry(p.server.clone()).or_default() += length;
        };
        // The first point's arc wraps past the top, back to the last point.
        credit(
            first,
            u64::from(first.position) + RING_SIZE - u64::from(last.position),
        );
        for pair in self.points.windows(2) {
            credit(&pair[1], u64::from(pair[1].position - pair[0].position));
        }
        arcs
    }

    /// The same ownership as stretches to draw: every server's arcs in ring order, neighbouring
    /// points of one server merged ([`super::arcs`]). `owner` is the server's place in
    /// [`HashRing::servers`] (name order); a server whose points all share positions with
    /// others' may own none.
    pub fn owned_arcs(&self) -> Vec<OwnedArc> {
        let index: BTreeMap<&str, usize> = crate::order::map_of(
            self.servers
                .keys()
                .enumerate()
                .map(|(i, name)| (name.as_str(), i)),
        );
        let points: Vec<(Position, usize)> = self
            .points
            .iter()
            .map(|p| (p.position, index[p.server.as_str()]))
            .collect();
        owned_arcs(&points)
    }

    /// The servers' names, in name order.
    pub fn servers(&self) -> impl Iterator<Item = &str> + '_ {
        self.servers.keys().map(String::as_str)
    }

    /// Where `name`'s vnode 0 was pinned, if it was added at an explicit position (the 0–360°
    /// teaching mode) rather than by hashing.
    pub fn fixed_position(&self, name: &str) -> Option<Position> {
        self.servers.get(name).copied().flatten()
    }

    /// How many physical servers are on the ring.
    pub fn server_count(&self) -> u32 {
        u32::try_from(self.servers.len()).unwrap_or(u32::MAX)
    }

    /// Every point, sorted by the tie-break order (position, server name, index).
    pub fn points(&self) -> &[VirtualNode] {
        &self.points
    }

    /// How many points each server has.
    pub fn vnodes_per_server(&self) -> u32 {
        self.vnodes_per_server
    }

    /// The hash function placing keys, and servers' points unless they take random tokens.
    pub fn hash_fn(&self) -> HashFn {
        self.hash
    }

    /// How servers' points are placed.
    pub fn tokens(&self) -> Tokens {
        self.tokens
    }

    /// Changes the number of points per server and re-places every server's points.
    pub fn set_vnodes_per_server(&mut self, vnodes_per_server: u32) -> Result<(), RingError> {
        check_vnodes(vnodes_per_server)?;
        self.vnodes_per_server = vnodes_per_server;
        self.rebuild();
        Ok(())
    }

    /// Changes the hash function and re-places every server's points (with random tokens they
    /// stay where they are; only keys are hashed).
    pub fn set_hash_fn(&mut self, hash: HashFn) {
        self.hash = hash;
        self.rebuild();
    }

    /// Checks the invariants listed in the module documentation; the error says which one broke.
    pub fn validate(&self) -> Result<(), String> {
        check_vnodes(self.vnodes_per_server).map_err(|e| e.to_string())?;
        for pair in self.points.windows(2) {
            if tie_break_key(&pair[0]) >= tie_break_key(&pair[1]) {
                return Err(format!(
                    "points out of (position, server, index) order: {} at {} then {} at {}",
                    pair[0].label(),
                    pair[0].position,
                    pair[1].label(),
                    pair[1].position
                ));
            }
        }
        let mut counts: BTreeMap<&str, u32> = BTreeMap::new();
        // Each server's expected positions, computed once (a server's random tokens are drawn
        // in sequence).
        let mut expected: BTreeMap<&str, Vec<Position>> = BTreeMap::new();
        for p in &self.points {
            let Some(&fixed) = self.servers.get(&p.server) else {
                return Err(format!("point {} belongs to no known server", p.label()));
            };
            if p.index >= self.vnodes_per_server {
                return Err(format!(
                    "point {} has an index beyond vnodes_per_server = {}",
                    p.label(),
                    self.vnodes_per_server
                ));
            }
            let want = expected
                .entry(p.server.as_str())
                .or_insert_with(|| self.positions_of(&p.server, fixed))[p.index as usize];
            if p.position != want {
                return Err(format!(
                    "point {} sits at {} but belongs at {want}",
                    p.label(),
                    p.position
                ));
            }
            *counts.entry(p.server.as_str()).or_default() += 1;
        }
        for name in self.servers.keys() {
            if name.is_empty() {
                return Err("a server has an empty name".to_owned());
            }
            let have = counts.get(name.as_str()).copied().unwrap_or(0);
            if have != self.vnodes_per_server {
                return Err(format!(
                    "server \"{name}\" has {have} points, expected {}",
                    self.vnodes_per_server
                ));
            }
        }
        Ok(())
    }

    /// Where each of server `name`'s vnodes belongs, in index order: vnode 0 at `fixed` if
    /// given, the others (or all) at the hashes of their labels or at the server's random tokens.
    /// A pinned server still draws its token 0 (and drops it), so its token `i` is the same
    /// whether or not it is pinned.
    fn positions_of(&self, name: &str, fixed: Option<Position>) -> Vec<Position> {
        let mut positions = match self.tokens {
            Tokens::Hashed => (0..self.vnodes_per_server)
                .map(|index| self.hash.hash(vnode_label(name, index).as_bytes()))
                .collect(),
            Tokens::Random { seed } => random_tokens(seed, name, self.vnodes_per_server),
        };
        if let (Some(at), Some(first)) = (fixed, positions.first_mut()) {
            *first = at;
        }
        positions
    }

    /// All the points of server `name`, in index order.
    fn points_of(&self, name: &str, fixed: Option<Position>) -> Vec<VirtualNode> {
        (0u32..)
            .zip(self.positions_of(name, fixed))
            .map(|(index, position)| VirtualNode {
                position,
                server: name.to_owned(),
                index,
            })
            .collect()
    }

    /// Re-places every server's points from scratch.
    fn rebuild(&mut self) {
        let points: Vec<VirtualNode> = self
            .servers
            .iter()
            .flat_map(|(name, &fixed)| self.points_of(name, fixed))
            .collect();
        self.points = points;
        self.sort_points();
    }

    fn sort_points(&mut self) {
        // (server, index) pairs are unique, so an unstable sort gives one deterministic order.
        self.points
            .sort_unstable_by(|a, b| tie_break_key(a).cmp(&tie_break_key(b)));
    }

    /// Index of the point owning `pos`: the first with position >= `pos`, else the first point.
    fn owner_index(&self, pos: Position) -> Option<usize> {
        if self.points.is_empty() {
            return None;
        }
        let i = self.points.partition_point(|p| p.position < pos);
        Some(if i == self.points.len() { 0 } else { i })
    }
}

/// The sort key that orders points and breaks ties between colliding positions.
fn tie_break_key(p: &VirtualNode) -> (Position, &str, u32) {
    (p.position, p.server.as_str(), p.index)
}

/// The label hashed to place vnode `index` of `server`.
fn vnode_label(server: &str, index: u32) -> String {
    format!("{server}#{index}")
}

fn check_vnodes(v: u32) -> Result<(), RingError> {
    if (1..=MAX_VNODES_PER_SERVER).contains(&v) {
        Ok(())
    } else {
        Err(RingError::VnodesOutOfRange(v))
    }
}
