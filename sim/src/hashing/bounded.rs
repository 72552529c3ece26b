//! Consistent hashing with bounded loads: no server may hold more than `⌈(1 + ε) · m / n⌉` keys.
//!
//! # What it models
//!
//! Mirrokni, Thorup & Zadimoghaddam, "Consistent Hashing with Bounded Loads", SODA 2018
//! (arXiv:1608.01350), as deployed in Google Cloud Pub/Sub and in HAProxy's
//! `hash-balance-factor` (`chash_server_is_eligible` in `lb_chash.c`, contributed by Vimeo).
//! Keys and servers sit on the [`HashRing`] as usual, but every server has a **capacity**
//!
//! > `c = ⌈(1 + ε) · m / n⌉`
//!
//! for `m` keys over `n` servers, and a key goes to the **first server clockwise from its hash
//! whose load is below `c`**: the walk starts at the point [`HashRing::lookup`] returns and steps
//! through [`HashRing::points`], skipping the points of full servers (linear probing on the
//! circle). With a large ε no server is ever full and this is plain consistent hashing.
//!
//! # Which `m`: the online variant
//!
//! Keys are placed one at a time and **`m` counts the keys placed so far, including the one being
//! placed**. This is HAProxy's rule, which sizes the slots from
//! `(served + 1) × hash_balance_factor / 100`, the outstanding requests *including the one about to
//! be made*; the paper likewise states its bound for the number of balls currently present. (The
//! alternative, a fixed `m` = the final number of keys, needs the whole key set up front.)
//! Capacities only grow as keys arrive, so every load stays within the capacity of the final `m`.
//!
//! # Removals: replaying the arrivals
//!
//! Removing a key or a server can lower the capacity below a load, and can leave keys forwarded
//! past a server that now has room. This module keeps one canonical answer: the placement is
//! always exactly what the online rule gives when **the keys present now arrive in their original
//! order into the servers present now**. A removed key or server is treated as if it had never
//! been there, and adding a server treats it as if it had always been there. Placing a key never
//! moves another (it just arrives last); every other change replays the arrivals and reports each
//! key whose server changed as a [`Move`]: the removed server's keys, plus a *cascade* of keys
//! whose turn now finds different loads. The paper's analysis counts moves between such canonical
//! allocations in the same way.
//!
//! # Invariants checked by [`BoundedLoads::validate`]
//!
//! 1. The ring is valid, and the loads list exactly its servers and count exactly the keys on
//!    each.
//! 2. No server holds more than [`BoundedLoads::capacity`], `⌈(1 + ε) · m / n⌉` for the current
//!    `m` and `n`.
//! 3. Every key is on the first server clockwise from its hash that was below capacity at its
//!    turn, when the present keys arrive in arrival order (the replay above). This is weaker than
//!    "at the moment it was actually inserted": a later removal rewrites that history.
//!
//! # What it simplifies
//!
//! - ε is kept as a whole number of millionths so that `⌈(1 + ε) · m / n⌉` is exact integer
//!   arithmetic (in `f64`, 1.1 × 10 / 11 is 1.0000000000000002, whose ceiling is 2).
//! - Every server has the same weight; HAProxy's unequal weights split the slots by weight.
//! - A key's load is 1 and it stays until removed; HAProxy counts live connections, which end on
//!   their own.
//! - Removals recompute the placement from scratch (O(m) walks), which a real system would do
//!   incrementally.

use std::collections::BTreeMap;
use std::fmt;

use super::ring::{HashRing, RingError};

/// ε is stored in millionths: ε = 0.25 is 250,000.
pub const EPSILON_SCALE: u64 = 1_000_000;

/// The largest ε accepted (a thousand times the mean load: plain consistent hashing in practice).
pub const MAX_EPSILON: f64 = 1000.0;

/// Where [`BoundedLoads::place`] put a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placement {
    /// The key placed.
    pub key: String,
    /// The server it went to: the first below capacity clockwise from its hash.
    pub server: String,
    /// The full servers passed over on the way, in walk order, each once. Empty when the key's
    /// plain consistent-hashing owner had room.
    pub skipped: Vec<String>,
    /// The capacity `⌈(1 + ε) · m / n⌉` in force for this key (`m` includes it).
    pub capacity: u64,
}

/// A key that changed server because of a removal or an added server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Move {
    /// The key that moved.
    pub key: String,
    /// The server it was on.
    pub from: String,
    /// The server it is on now.
    pub to: String,
}

/// Why a bounded-loads operation was refused.
#[derive(Clone, Debug, PartialEq)]
pub enum BoundedError {
    /// ε must be a finite number from 0 to [`MAX_EPSILON`].
    EpsilonOutOfRange(f64),
    /// There is no server to place a key on.
    NoServers,
    /// This key is already placed.
    DuplicateKey(String),
    /// No key with this name is placed.
    UnknownKey(String),
    /// The last server cannot be removed while it holds keys.
    LastServer(String),
    /// The ring refused a server change.
    Ring(RingError),
}

impl fmt::Display for BoundedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BoundedError::EpsilonOutOfRange(e) => {
                write!(f, "ε must be between 0 and {MAX_EPSILON}, got {e}")
            }
            BoundedError::NoServers => write!(f, "add a server before placing keys"),
            BoundedError::DuplicateKey(key) => write!(f, "key \"{key}\" is already placed"),
            BoundedError::UnknownKey(key) => write!(f, "no key named \"{key}\" is placed"),
            BoundedError::LastServer(name) => write!(
                f,
                "\"{name}\" is the last server and still holds keys; remove the keys first"
            ),
            BoundedError::Ring(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for BoundedError {}

impl From<RingError> for BoundedError {
    fn from(e: RingError) -> Self {
        BoundedError::Ring(e)
    }
}

/// One placed key: when it arrived and where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Placed {
    arrival: u64,
    server: String,
}

/// Keys on a [`HashRing`] whose servers may hold at most `⌈(1 + ε) · m / n⌉` keys each.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BoundedLoads {
    ring: HashRing,
    /// ε in millionths ([`EPSILON_SCALE`]).
    epsilon_millionths: u64,
    /// The arrival number the next key gets; never reused.
    next_arrival: u64,
    /// Arrival number → key, so replays walk the keys in arrival order.
    arrivals: BTreeMap<u64, String>,
    /// Key → its arrival number and server.
    keys: BTreeMap<String, Placed>,
    /// Server → how many keys it holds; every server on the ring appears.
    loads: BTreeMap<String, u64>,
}

impl BoundedLoads {
    /// Bounded loads over `ring` (which may already hold servers) with balance parameter
    /// `epsilon`, rounded to the nearest millionth.
    pub fn new(ring: HashRing, epsilon: f64) -> Result<Self, BoundedError> {
        if !(0.0..=MAX_EPSILON).contains(&epsilon) {
            return Err(BoundedError::EpsilonOutOfRange(epsilon));
        }
        // In range, so the product is at most 1e9 and the cast is exact after rounding.
        let epsilon_millionths = (epsilon * EPSILON_SCALE as f64).round() as u64;
        let loads = crate::order::map_of(ring.servers().map(|s| (s.to_owned(), 0)));
        Ok(BoundedLoads {
            ring,
            epsilon_millionths,
            next_arrival: 0,
            arrivals: BTreeMap::new(),
            keys: BTreeMap::new(),
            loads,
        })
    }

    /// ε, as stored (a whole number of millionths).
    pub fn epsilon(&self) -> f64 {
        self.epsilon_millionths as f64 / EPSILON_SCALE as f64
    }

    /// The ring the servers sit on.
    pub fn ring(&self) -> &HashRing {
        &self.ring
    }

    /// How many keys are placed (`m`).
    pub fn key_count(&self) -> u64 {
        self.keys.len() as u64
    }

    /// The keys, in arrival order.
    pub fn keys(&self) -> impl Iterator<Item = &str> + '_ {
        self.arrivals.values().map(String::as_str)
    }

    /// The server holding `key`, if it is placed.
    pub fn server_of(&self, key: &str) -> Option<&str> {
        self.keys.get(key).map(|p| p.server.as_str())
    }

    /// Every server's load (number of keys), in name order.
    pub fn loads(&self) -> &BTreeMap<String, u64> {
        &self.loads
    }

    /// The largest load, 0 without servers.
    pub fn max_load(&self) -> u64 {
        self.loads.values().copied().max().unwrap_or(0)
    }

    /// The capacity now: `⌈(1 + ε) · m / n⌉` for the current `m` keys and `n` servers (0 when
    /// there are no servers).
    pub fn capacity(&self) -> u64 {
        self.capacity_for(self.key_count())
    }

    /// The capacity `⌈(1 + ε) · m / n⌉` for `m` keys over the current servers, in exact integer
    /// arithmetic.
    pub fn capacity_for(&self, m: u64) -> u64 {
        capacity(
            self.epsilon_millionths,
            m,
            u64::from(self.ring.server_count()),
        )
    }

    /// Places `key` on the first server clockwise from its hash whose load is below the
    /// capacity for `m + 1` keys. No other key moves.
    pub fn place(&mut self, key: &str) -> Result<Placement, BoundedError> {
        if self.ring.server_count() == 0 {
            return Err(BoundedError::NoServers);
        }
        if self.keys.contains_key(key) {
            return Err(BoundedError::DuplicateKey(key.to_owned()));
        }
        let capacity = self.capacity_for(self.key_count() + 1);
        let (server, skipped) = walk(&self.ring, &self.loads, key, capacity);
        let arrival = self.next_arrival;
        self.next_arrival += 1;
        self.arrivals.insert(arrival, key.to_owned());
        self.keys.insert(
            key.to_owned(),
            Placed {
                arrival,
                server: server.clone(),
            },
        );
        *self.loads.entry(server.clone()).or_default() += 1;
        Ok(Placement {
            key: key.to_owned(),
            server,
            skipped,
            capacity,
        })
    }

    /// Removes `key` and replays the later arrivals; returns the keys that moved as a result
    /// (in arrival order), often none.
    pub fn remove_key(&mut self, key: &str) -> Result<Vec<Move>, BoundedError> {
        let Some(placed) = self.keys.remove(key) else {
            return Err(BoundedError::UnknownKey(key.to_owned()));
        };
        self.arrivals.remove(&placed.arrival);
        if let Some(load) = self.loads.get_mut(&placed.server) {
            *load -= 1;
        }
        Ok(self.replay())
    }

    /// Adds server `name` to the ring and replays the arrivals as if it had always been there;
    /// returns the keys that moved (in arrival order).
    pub fn add_server(&mut self, name: &str) -> Result<Vec<Move>, BoundedError> {
        self.ring.add_server(name, None)?;
        self.loads.insert(name.to_owned(), 0);
        Ok(self.replay())
    }

    /// Removes server `name` and replays the arrivals as if it had never been there; returns the
    /// keys that moved (in arrival order): all of its keys, plus any cascade.
    pub fn remove_server(&mut self, name: &str) -> Result<Vec<Move>, BoundedError> {
        if self.ring.server_count() == 1 && self.loads.get(name).is_some_and(|&l| l > 0) {
            return Err(BoundedError::LastServer(name.to_owned()));
        }
        self.ring.remove_server(name)?;
        self.loads.remove(name);
        Ok(self.replay())
    }

    /// Checks the invariants listed in the module documentation; the error says which one broke.
    pub fn validate(&self) -> Result<(), String> {
        self.ring.validate()?;
        if !self
            .loads
            .keys()
            .map(String::as_str)
            .eq(self.ring.servers())
        {
            return Err("the loads do not list exactly the ring's servers".to_owned());
        }
        if self.arrivals.len() != self.keys.len() {
            return Err(format!(
                "{} arrivals recorded for {} keys",
                self.arrivals.len(),
                self.keys.len()
            ));
        }
        let mut counted: BTreeMap<&str, u64> = BTreeMap::new();
        for (arrival, key) in &self.arrivals {
            let Some(placed) = self.keys.get(key) else {
                return Err(format!("arrival {arrival} names unplaced key \"{key}\""));
            };
            if placed.arrival != *arrival || *arrival >= self.next_arrival {
                return Err(format!("key \"{key}\" has arrival {}", placed.arrival));
            }
            *counted.entry(placed.server.as_str()).or_default() += 1;
        }
        for (server, &load) in &self.loads {
            let have = counted.remove(server.as_str()).unwrap_or(0);
            if have != load {
                return Err(format!(
                    "server \"{server}\" records load {load} but holds {have} keys"
                ));
            }
        }
        if let Some((server, _)) = counted.into_iter().next() {
            return Err(format!(
                "keys sit on \"{server}\", which is not on the ring"
            ));
        }
        let capacity = self.capacity();
        for (server, &load) in &self.loads {
            if load > capacity {
                return Err(format!(
                    "server \"{server}\" holds {load} keys, above the capacity {capacity}"
                ));
            }
        }
        let (placement, _) = self.replayed();
        for (key, placed) in &self.keys {
            let want = placement.get(key).map(String::as_str);
            if want != Some(placed.server.as_str()) {
                return Err(format!(
                    "key \"{key}\" is on \"{}\" but the first server below capacity \
                     clockwise at its turn is {want:?}",
                    placed.server
                ));
            }
        }
        Ok(())
    }

    /// The placement and loads the online rule gives the present keys in arrival order.
    fn replayed(&self) -> (BTreeMap<String, String>, BTreeMap<String, u64>) {
        let mut loads: BTreeMap<String, u64> =
            crate::order::map_of(self.ring.servers().map(|s| (s.to_owned(), 0)));
        let mut placement = BTreeMap::new();
        if self.ring.server_count() == 0 {
            return (placement, loads);
        }
        for (m, key) in (1u64..).zip(self.arrivals.values()) {
            let (server, _) = walk(&self.ring, &loads, key, self.capacity_for(m));
            *loads.entry(server.clone()).or_default() += 1;
            placement.insert(key.clone(), server);
        }
        (placement, loads)
    }

    /// Replaces the placement with the replayed one; returns the keys that moved.
    fn replay(&mut self) -> Vec<Move> {
        let (placement, loads) = self.replayed();
        let mut moves = Vec::new();
        for key in self.arrivals.values() {
            let (Some(placed), Some(to)) = (self.keys.get_mut(key), placement.get(key)) else {
                continue;
            };
            if placed.server != *to {
                moves.push(Move {
                    key: key.clone(),
                    from: std::mem::replace(&mut placed.server, to.clone()),
                    to: to.clone(),
                });
            }
        }
        self.loads = loads;
        moves
    }
}

/// `⌈(1 + ε) · m / n⌉` with ε in millionths; 0 when `n` is 0.
fn capacity(epsilon_millionths: u64, m: u64, n: u64) -> u64 {
    if n == 0 {
        return 0;
    }
    let numerator = u128::from(EPSILON_SCALE + epsilon_millionths) * u128::from(m);
    let denominator = u128::from(EPSILON_SCALE) * u128::from(n);
    u64::try_from(numerator.div_ceil(denominator)).unwrap_or(u64::MAX)
}

/// The first server clockwise from `key`'s hash whose load is below `capacity`, and the full
/// servers passed over on the way. The caller guarantees one is below capacity (`n · c > m`).
fn walk(
    ring: &HashRing,
    loads: &BTreeMap<String, u64>,
    key: &str,
    capacity: u64,
) -> (String, Vec<String>) {
    let points = ring.points();
    let pos = ring.position_of(key);
    // The index of the point `HashRing::lookup` returns: the first at or after `pos`, else 0.
    let start = match points.partition_point(|p| p.position < pos) {
        i if i == points.len() => 0,
        i => i,
    };
    debug_assert_eq!(
        points.get(start),
        ring.lookup(pos),
        "walk starts at the owner"
    );
    let mut skipped: Vec<String> = Vec::new();
    for p in points[start..].iter().chain(&points[..start]) {
        if loads.get(&p.server).copied().unwrap_or(0) < capacity {
            return (p.server.clone(), skipped);
        }
        if !skipped.contains(&p.server) {
            skipped.push(p.server.clone());
        }
    }
    // Unreachable while n · capacity > m; fall back to the plain owner rather than panic.
    debug_assert!(false, "every server is full: capacity {capacity}");
    let owner = ring.owner(pos).unwrap_or_default().to_owned();
    (owner, skipped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hashing::HashFn;

    fn ring(servers: &[&str], vnodes: u32) -> HashRing {
        let mut ring = HashRing::new(HashFn::Murmur3_32, vnodes).expect("vnodes in range");
        for s in servers {
            ring.add_server(s, None).expect("distinct names");
        }
        ring
    }

    #[test]
    fn capacity_is_exact_ceiling_of_one_plus_epsilon_times_mean() {
        assert_eq!(capacity(100_000, 10, 11), 1, "1.1 × 10 / 11 is exactly 1");
        assert_eq!(
            capacity(100_000, 11, 11),
            2,
            "1.1 × 11 / 11 = 1.1 rounds up to 2"
        );
        assert_eq!(capacity(250_000, 8, 10), 1, "1.25 × 8 / 10 is exactly 1");
        assert_eq!(capacity(0, 10, 3), 4, "ε = 0 is ⌈m / n⌉");
        assert_eq!(capacity(250_000, 0, 3), 0, "no keys, no room needed");
        assert_eq!(capacity(250_000, 5, 0), 0, "no servers");
    }

    #[test]
    fn a_full_owner_forwards_the_key_clockwise() {
        // One vnode each and ε = 0: two keys over two servers allow one key per server.
        let mut bounded = BoundedLoads::new(ring(&["A", "B"], 1), 0.0).expect("ε in range");
        let mut placed = Vec::new();
        for k in 0..40 {
            let key = format!("k{k}");
            let owner = bounded.ring().owner(bounded.ring().position_of(&key));
            if placed.len() == 2 {
                break;
            }
            if placed.is_empty() || owner == placed.first().map(|p: &Placement| p.server.as_str()) {
                placed.push(bounded.place(&key).expect("servers exist"));
            }
        }
        assert_eq!(placed.len(), 2, "found two keys with the same owner");
        assert!(
            placed[0].skipped.is_empty(),
            "the first key fits at its owner"
        );
        assert_eq!(
            placed[1].skipped,
            vec![placed[0].server.clone()],
            "the owner was full"
        );
        assert_ne!(
            placed[1].server, placed[0].server,
            "forwarded to the other server"
        );
        bounded.validate().expect("valid");
    }

    #[test]
    fn refuses_bad_epsilon_duplicates_and_empty_rings() {
        let r = ring(&["A"], 4);
        assert!(BoundedLoads::new(r.clone(), -0.1).is_err());
        assert!(BoundedLoads::new(r.clone(), f64::NAN).is_err());
        assert!(BoundedLoads::new(r.clone(), f64::INFINITY).is_err());
        let mut bounded = BoundedLoads::new(r, 0.25).expect("in range");
        bounded.place("x").expect("one server");
        assert_eq!(
            bounded.place("x"),
            Err(BoundedError::DuplicateKey("x".to_owned()))
        );
        assert_eq!(
            bounded.remove_server("A"),
            Err(BoundedError::LastServer("A".to_owned()))
        );
        bounded.remove_key("x").expect("placed");
        bounded
            .remove_server("A")
            .expect("empty last server may go");
        assert_eq!(bounded.place("y"), Err(BoundedError::NoServers));
        bounded.validate().expect("valid when empty");
    }

    #[test]
    fn validate_catches_an_overfull_server() {
        let mut bounded = BoundedLoads::new(ring(&["A", "B"], 8), 0.5).expect("in range");
        bounded.place("x").expect("servers exist");
        let server = bounded.server_of("x").expect("placed").to_owned();
        *bounded.loads.get_mut(&server).expect("on ring") += 5;
        assert!(
            bounded.validate().is_err(),
            "a load that counts phantom keys is caught"
        );
    }
}
