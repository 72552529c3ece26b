//! The seven placement strategies behind one small interface: build one for a server list, then
//! ask which server (by index) holds a key. Every strategy is a mechanism from
//! [`crate::hashing`]; this file only adapts them to numbered shards with addresses and weights.

use crate::hashing::jump::{jump_hash, key_hash};
use crate::hashing::ring::Position;
use crate::hashing::{BoundedLoads, HashFn, HashRing, Ketama, KetamaFlavor, KeyHash, Rendezvous};
use crate::models::slots::hash::{create_split, key_slot, SLOTS};
use crate::models::slots::rebalance::{rebalance, THRESHOLD_PERCENT};
use std::collections::BTreeMap;
use std::num::NonZeroU32;
use std::rc::Rc;

/// The most ring points a ring or bounded-loads run may build (servers × weight × vnodes).
pub const MAX_RING_POINTS: u64 = 200_000;

/// Which placement rule a run uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// `hash(key) % N` (FNV-1a 64 or MD5).
    Modulo,
    /// The hash ring with virtual nodes ([`HashRing`]).
    Ring,
    /// The ketama continuum of memcached clients ([`Ketama`]).
    Ketama,
    /// Jump consistent hash ([`jump_hash`]).
    Jump,
    /// Rendezvous (highest random weight) hashing ([`Rendezvous`]).
    Rendezvous,
    /// The ring with bounded loads ([`BoundedLoads`]).
    Bounded,
    /// A fixed table of 16,384 hash slots, `CRC16(key) mod 16384`, as Redis Cluster keeps it
    /// ([`crate::models::slots`]); servers join and leave by `redis-cli --cluster rebalance`.
    Slots,
}

impl Strategy {
    /// Every strategy, in the order pickers list them.
    pub const ALL: [Strategy; 7] = [
        Strategy::Modulo,
        Strategy::Ring,
        Strategy::Ketama,
        Strategy::Jump,
        Strategy::Rendezvous,
        Strategy::Bounded,
        Strategy::Slots,
    ];

    /// The identifier in URLs and lesson files (`jump`).
    pub fn id(self) -> &'static str {
        match self {
            Strategy::Modulo => "modulo",
            Strategy::Ring => "ring",
            Strategy::Ketama => "ketama",
            Strategy::Jump => "jump",
            Strategy::Rendezvous => "rendezvous",
            Strategy::Bounded => "bounded",
            Strategy::Slots => "slots",
        }
    }

    /// A label for people (`jump consistent hash`).
    pub fn label(self) -> &'static str {
        match self {
            Strategy::Modulo => "hash % N",
            Strategy::Ring => "the hash ring",
            Strategy::Ketama => "ketama",
            Strategy::Jump => "jump consistent hash",
            Strategy::Rendezvous => "rendezvous hashing",
            Strategy::Bounded => "the ring with bounded loads",
            Strategy::Slots => "a slot table",
        }
    }

    /// The strategy whose [`Strategy::id`] is `id`.
    pub fn parse(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.id() == id)
    }

    /// Whether server weights change where keys go (modulo and jump give every bucket the same
    /// share; spymemcached without a weights map ignores them too).
    pub fn honours_weights(self, flavor: KetamaFlavor) -> bool {
        match self {
            Strategy::Modulo | Strategy::Jump => false,
            Strategy::Ketama => flavor != KetamaFlavor::Spymemcached,
            Strategy::Ring | Strategy::Rendezvous | Strategy::Bounded | Strategy::Slots => true,
        }
    }
}

/// The settings a strategy is built with besides the servers.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Settings {
    /// The rule.
    pub strategy: Strategy,
    /// Hash function of the ring and bounded rings.
    pub hash: HashFn,
    /// Virtual nodes per unit of weight on the ring.
    pub vnodes: u32,
    /// Which memcached client's continuum ketama builds.
    pub flavor: KetamaFlavor,
    /// ε of bounded loads.
    pub epsilon: f64,
    /// Bounded loads: bound live requests (HAProxy) rather than keys placed.
    pub live: bool,
    /// The hash of `hash % N`.
    pub modulo_hash: KeyHash,
}

/// One server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Server {
    /// Its serial number: the `n`-th server ever created, from 1. Never reused, so it is the
    /// server's identity while its shard index shifts under removals.
    pub number: u32,
    /// Its weight (1 = an ordinary server).
    pub weight: u32,
    /// The name a run gave it (`mumbai`), which replaces its address everywhere.
    pub name: Option<String>,
    /// How many users it can serve, in the unit of the run's `population`, if given.
    pub capacity: Option<u64>,
}

impl Server {
    /// An unnamed server of no stated capacity.
    pub fn new(number: u32, weight: u32) -> Self {
        Server {
            number,
            weight,
            name: None,
            capacity: None,
        }
    }

    /// Its name if it has one, else its memcached-style address: `10.0.1.1:11211` for server 1,
    /// … `10.0.1.254:11211`, then `10.0.2.1:11211`. Every strategy that places by name hashes
    /// this string.
    pub fn address(&self) -> String {
        if let Some(name) = &self.name {
            return name.clone();
        }
        default_address(self.number)
    }

    /// The string ketama hashes for this server, as the client `flavor` writes it: libmemcached
    /// drops the default port 11211 (`10.0.1.1`); libketama and spymemcached keep `ip:port`.
    pub fn ketama_name(&self, flavor: KetamaFlavor) -> String {
        let address = self.address();
        match flavor {
            KetamaFlavor::Libmemcached => address
                .strip_suffix(":11211")
                .unwrap_or(&address)
                .to_string(),
            _ => address,
        }
    }
}

/// The memcached-style address of the `number`-th server: `10.0.1.1:11211` for 1.
pub fn default_address(number: u32) -> String {
    let n = number.max(1) - 1;
    format!("10.0.{}.{}:11211", 1 + n / 254, n % 254 + 1)
}

/// The ring name of unit `k` of a weighted server: the address itself for `k = 0`, then
/// `address~k`. A weight-`w` server is `w` ring servers of `vnodes` points each.
pub fn ring_name(server: &Server, k: u32) -> String {
    if k == 0 {
        server.address()
    } else {
        format!("{}~{k}", server.address())
    }
}

/// A built strategy: answers which shard index holds a key.
#[derive(Clone, Debug)]
pub enum Placer {
    /// `hash(key) % n`.
    Modulo {
        /// Shards.
        n: u32,
        /// The hash.
        hash: KeyHash,
    },
    /// `jump_hash(fnv1a64(key), n)`.
    Jump {
        /// Buckets.
        n: NonZeroU32,
    },
    /// A ring of weighted servers.
    Ring {
        /// The ring.
        ring: Rc<HashRing>,
        /// Ring server name → shard index.
        index: Rc<BTreeMap<String, u32>>,
    },
    /// A ketama continuum.
    Ketama {
        /// The continuum.
        ketama: Rc<Ketama>,
        /// Ketama server name → shard index.
        index: Rc<BTreeMap<String, u32>>,
    },
    /// Weighted rendezvous hashing.
    Rendezvous {
        /// The servers and weights.
        hrw: Rc<Rendezvous>,
        /// Address → shard index.
        index: Rc<BTreeMap<String, u32>>,
    },
    /// Bounded loads over a ring, holding the keys themselves.
    Bounded {
        /// The placement.
        bounded: Rc<BoundedLoads>,
        /// Ring server name → shard index.
        index: Rc<BTreeMap<String, u32>>,
    },
    /// A slot table: the shard index owning each of the 16,384 slots.
    Slots {
        /// Slot → shard index.
        owner: Rc<[u8]>,
    },
}

/// The ring of `servers` (weight `w` = `w` ring servers) and its name → shard index map, or
/// why it is too big.
fn build_ring(
    settings: &Settings,
    servers: &[Server],
) -> Result<(HashRing, BTreeMap<String, u32>), String> {
    let units: u64 = servers.iter().map(|s| u64::from(s.weight)).sum();
    let points = units * u64::from(settings.vnodes);
    if points > MAX_RING_POINTS {
        return Err(format!(
            "the ring would need {points} points (total weight {units} × {} vnodes); keep it at most {MAX_RING_POINTS} by lowering the weights or vnodes",
            settings.vnodes
        ));
    }
    let mut ring = HashRing::new(settings.hash, settings.vnodes).map_err(|e| e.to_string())?;
    let mut index = BTreeMap::new();
    for (i, s) in (0u32..).zip(servers) {
        for k in 0..s.weight {
            let name = ring_name(s, k);
            ring.add_server(&name, None).map_err(|e| e.to_string())?;
            index.insert(name, i);
        }
    }
    Ok((ring, index))
}

impl Placer {
    /// Builds `settings.strategy` over `servers` (in shard-index order). For bounded loads,
    /// `keys` arrive in order, each on the first server below capacity clockwise from it.
    pub fn build(settings: &Settings, servers: &[Server], keys: &[String]) -> Result<Self, String> {
        let n = u32::try_from(servers.len()).unwrap_or(u32::MAX);
        let n = NonZeroU32::new(n).ok_or("a run needs at least one shard")?;
        match settings.strategy {
            Strategy::Modulo => Ok(Placer::Modulo {
                n: n.get(),
                hash: settings.modulo_hash,
            }),
            Strategy::Jump => Ok(Placer::Jump { n }),
            Strategy::Slots => {
                // `redis-cli --cluster create` splits the slots evenly, whatever the weights;
                // an operator then weights them with `rebalance --cluster-weight`.
                let mut owner = vec![0u8; SLOTS as usize];
                for (m, (a, b)) in (0u8..).zip(create_split(n.get())) {
                    owner[a as usize..=b as usize].fill(m);
                }
                let weights: Vec<u32> = servers.iter().map(|s| s.weight).collect();
                if weights.iter().any(|&w| w != 1) {
                    rebalance(&mut owner, &weights, true, THRESHOLD_PERCENT);
                }
                Ok(Placer::Slots {
                    owner: owner.into(),
                })
            }
            // Bounded live requests: keys have no fixed server, only a ring owner; the bound
            // acts per request, in the model.
            Strategy::Ring => Self::plain_ring(settings, servers),
            Strategy::Bounded if settings.live => Self::plain_ring(settings, servers),
            Strategy::Ketama => {
                let names: Vec<(String, u32)> = servers
                    .iter()
                    .map(|s| (s.ketama_name(settings.flavor), s.weight))
                    .collect();
                let list: Vec<(&str, u32)> = names.iter().map(|(s, w)| (s.as_str(), *w)).collect();
                let ketama =
                    Ketama::with_flavor(settings.flavor, &list).map_err(|e| e.to_string())?;
                let index = crate::order::map_of(names.into_iter().map(|(s, _)| s).zip(0u32..));
                Ok(Placer::Ketama {
                    ketama: Rc::new(ketama),
                    index: Rc::new(index),
                })
            }
            Strategy::Rendezvous => {
                let mut hrw = Rendezvous::new();
                let mut index = BTreeMap::new();
                for (i, s) in (0u32..).zip(servers) {
                    hrw.add_server(&s.address(), f64::from(s.weight))
                        .map_err(|e| e.to_string())?;
                    index.insert(s.address(), i);
                }
                Ok(Placer::Rendezvous {
                    hrw: Rc::new(hrw),
                    index: Rc::new(index),
                })
            }
            Strategy::Bounded => {
                let (ring, index) = build_ring(settings, servers)?;
                let mut bounded =
                    BoundedLoads::new(ring, settings.epsilon).map_err(|e| e.to_string())?;
                for k in keys {
                    bounded.place(k).map_err(|e| e.to_string())?;
                }
                Ok(Placer::Bounded {
                    bounded: Rc::new(bounded),
                    index: Rc::new(index),
                })
            }
        }
    }

    /// The slot table after the server list changes from `old` to `new` (servers matched by
    /// serial number), as an operator running `redis-cli --cluster rebalance
    /// --cluster-use-empty-masters` would leave it: a leaving server at weight 0 gives all its
    /// slots away, a joining one takes its share, and a new weight is honoured; only slots that
    /// must move do. `None` when this is not a slot table.
    pub fn reslot(&self, old: &[Server], new: &[Server]) -> Option<Self> {
        let Placer::Slots { owner } = self else {
            return None;
        };
        // The nodes taking part: the old servers in their order (weight 0 if leaving), then the
        // newcomers.
        let mut nodes: Vec<(u32, u32)> = old
            .iter()
            .map(|o| {
                let w = new
                    .iter()
                    .find(|s| s.number == o.number)
                    .map_or(0, |s| s.weight);
                (o.number, w)
            })
            .collect();
        for s in new {
            if !old.iter().any(|o| o.number == s.number) {
                nodes.push((s.number, s.weight));
            }
        }
        let mut table = owner.to_vec();
        let weights: Vec<u32> = nodes.iter().map(|n| n.1).collect();
        rebalance(&mut table, &weights, true, THRESHOLD_PERCENT);
        let index: Vec<u8> = nodes
            .iter()
            .map(|(number, _)| {
                new.iter()
                    .position(|s| s.number == *number)
                    .map_or(u8::MAX, |i| i as u8)
            })
            .collect();
        for o in table.iter_mut() {
            *o = index[*o as usize];
        }
        Some(Placer::Slots {
            owner: table.into(),
        })
    }

    fn plain_ring(settings: &Settings, servers: &[Server]) -> Result<Self, String> {
        let (ring, index) = build_ring(settings, servers)?;
        Ok(Placer::Ring {
            ring: Rc::new(ring),
            index: Rc::new(index),
        })
    }

    /// The shard index holding `key` now. For bounded loads, a key not placed yet is answered
    /// with where it would go if it arrived now.
    pub fn owner(&self, key: &str) -> u32 {
        let look = |index: &BTreeMap<String, u32>, name: Option<&str>| {
            name.and_then(|n| index.get(n)).copied().unwrap_or(0)
        };
        match self {
            Placer::Modulo { n, hash } => hash.bucket(key, *n),
            Placer::Jump { n } => jump_hash(key_hash(key), *n),
            Placer::Slots { owner } => u32::from(owner[key_slot(key) as usize]),
            Placer::Ring { ring, index } => look(index, ring.owner(ring.position_of(key))),
            Placer::Ketama { ketama, index } => look(index, ketama.server_for(key)),
            Placer::Rendezvous { hrw, index } => look(index, hrw.owner(key)),
            Placer::Bounded { bounded, index } => match bounded.server_of(key) {
                Some(s) => look(index, Some(s)),
                None => {
                    let mut trial = (**bounded).clone();
                    let placed = trial.place(key).ok();
                    look(index, placed.as_ref().map(|p| p.server.as_str()))
                }
            },
        }
    }

    /// Places a new key (bounded loads records it; the others are stateless) and returns its
    /// shard index. No other key moves.
    pub fn place(&mut self, key: &str) -> Result<u32, String> {
        match self {
            Placer::Bounded { bounded, index } => {
                let placed = Rc::make_mut(bounded)
                    .place(key)
                    .map_err(|e| e.to_string())?;
                Ok(index.get(&placed.server).copied().unwrap_or(0))
            }
            other => Ok(other.owner(key)),
        }
    }

    /// Every point of a strategy that lives on a ring (the ring, ketama's continuum, bounded
    /// loads) as `(position, shard index)`, in the ring's own order (by position, ties as the
    /// ring breaks them; both keep their points sorted); `None` for the others.
    pub fn ring_points(&self) -> Option<Vec<(Position, u32)>> {
        let points: Vec<(Position, u32)> = match self {
            Placer::Ring { ring, index } => ring
                .points()
                .iter()
                .map(|v| (v.position, index.get(&v.server).copied().unwrap_or(0)))
                .collect(),
            Placer::Bounded { bounded, index } => bounded
                .ring()
                .points()
                .iter()
                .map(|v| (v.position, index.get(&v.server).copied().unwrap_or(0)))
                .collect(),
            Placer::Ketama { ketama, index } => ketama
                .points()
                .iter()
                .map(|p| (p.value, index.get(&p.server).copied().unwrap_or(0)))
                .collect(),
            _ => return None,
        };
        debug_assert!(
            points.windows(2).all(|w| w[0].0 <= w[1].0),
            "ring points in order"
        );
        Some(points)
    }

    /// Where each shard's own first point sits (vnode 0 of its un-suffixed ring name; ketama's
    /// first digest's first point), for a strategy on a ring: where a diagram puts its marker.
    pub fn ring_anchors(&self) -> BTreeMap<u32, Position> {
        let base = |index: &BTreeMap<String, u32>, server: &str| {
            (!server.contains('~'))
                .then(|| index.get(server).copied())
                .flatten()
        };
        match self {
            Placer::Ring { ring, index } => ring
                .points()
                .iter()
                .filter(|v| v.index == 0)
                .filter_map(|v| Some((base(index, &v.server)?, v.position)))
                .collect(),
            Placer::Bounded { bounded, index } => bounded
                .ring()
                .points()
                .iter()
                .filter(|v| v.index == 0)
                .filter_map(|v| Some((base(index, &v.server)?, v.position)))
                .collect(),
            Placer::Ketama { ketama, index } => ketama
                .points()
                .iter()
                .filter(|p| p.digest == 0 && p.slot == 0)
                .filter_map(|p| Some((*index.get(&p.server)?, p.value)))
                .collect(),
            _ => BTreeMap::new(),
        }
    }

    /// Where `key` sits on the ring of a strategy that has one (`None` for the others).
    pub fn key_position(&self, key: &str) -> Option<Position> {
        match self {
            Placer::Ring { ring, .. } => Some(ring.position_of(key)),
            Placer::Bounded { bounded, .. } => Some(bounded.ring().position_of(key)),
            Placer::Ketama { ketama, .. } => Some(ketama.point_for(key)),
            _ => None,
        }
    }

    /// The shard of every ring point once, clockwise from `key`'s owner: the order a walk that
    /// skips full servers tries them in (the plain ring only).
    pub fn ring_walk<'a>(&'a self, key: &str) -> Option<impl Iterator<Item = u32> + 'a> {
        match self {
            Placer::Ring { ring, index } => Some(
                ring.clockwise(ring.position_of(key))
                    .map(|v| index.get(&v.server).copied().unwrap_or(0)),
            ),
            _ => None,
        }
    }

    /// The bounded-loads placement, when this is one.
    pub fn bounded(&self) -> Option<&BoundedLoads> {
        match self {
            Placer::Bounded { bounded, .. } => Some(bounded),
            _ => None,
        }
    }

    /// The ring, for the ring and bounded loads.
    pub fn ring(&self) -> Option<&HashRing> {
        match self {
            Placer::Ring { ring, .. } => Some(ring),
            Placer::Bounded { bounded, .. } => Some(bounded.ring()),
            _ => None,
        }
    }

    /// Checks the mechanism's own invariants and that it holds exactly `servers`.
    pub fn validate(&self, settings: &Settings, servers: &[Server]) -> Result<(), String> {
        let n = servers.len() as u64;
        let covers = |index: &BTreeMap<String, u32>, expect: u64| -> Result<(), String> {
            if index.len() as u64 != expect || index.values().any(|&i| u64::from(i) >= n) {
                return Err(format!(
                    "the {} lists {} servers for {n} shards",
                    settings.strategy.label(),
                    index.len()
                ));
            }
            Ok(())
        };
        let units: u64 = servers.iter().map(|s| u64::from(s.weight)).sum();
        match self {
            Placer::Modulo { n: m, .. } => (u64::from(*m) == n)
                .then_some(())
                .ok_or_else(|| format!("hash % {m} over {n} shards")),
            Placer::Jump { n: m } => (u64::from(m.get()) == n)
                .then_some(())
                .ok_or_else(|| format!("jump over {m} buckets for {n} shards")),
            Placer::Ring { ring, index } => {
                ring.validate()?;
                covers(index, units)?;
                (u64::from(ring.server_count()) == units)
                    .then_some(())
                    .ok_or_else(|| "the ring's servers differ from the shards'".to_string())
            }
            Placer::Ketama { ketama, index } => {
                ketama.validate()?;
                covers(index, n)?;
                let listed: Vec<(String, u32)> =
                    ketama.servers().map(|(s, w)| (s.to_string(), w)).collect();
                let want: Vec<(String, u32)> = servers
                    .iter()
                    .map(|s| (s.ketama_name(settings.flavor), s.weight))
                    .collect();
                (listed == want)
                    .then_some(())
                    .ok_or_else(|| "the ketama server list differs from the shards'".to_string())
            }
            Placer::Rendezvous { hrw, index } => {
                hrw.validate()?;
                covers(index, n)?;
                for s in servers {
                    if hrw.weight(&s.address()) != Some(f64::from(s.weight)) {
                        return Err(format!("{} has the wrong weight", s.address()));
                    }
                }
                Ok(())
            }
            Placer::Bounded { bounded, index } => {
                bounded.validate()?;
                covers(index, units)
            }
            Placer::Slots { owner } => {
                if owner.len() != SLOTS as usize {
                    return Err(format!("the slot table has {} slots", owner.len()));
                }
                match owner.iter().position(|&o| u64::from(o) >= n) {
                    Some(slot) => Err(format!("slot {slot} belongs to no shard")),
                    None => Ok(()),
                }
            }
        }
    }
}
