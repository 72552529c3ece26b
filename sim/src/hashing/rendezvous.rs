//! Rendezvous hashing: every server scores every key, and the highest score owns it.
//!
//! # What it models
//!
//! - **Rendezvous, or highest random weight (HRW), hashing** (David Thaler & Chinya Ravishankar,
//!   "A Name-Based Mapping Scheme for Rendezvous", University of Michigan technical report
//!   CSE-TR-316-96, 1996; "Using Name-Based Mappings to Increase Hit Rates", IEEE/ACM Transactions
//!   on Networking 6(1), 1998). Each server `S` gives key `k` a pseudo-random score
//!   `score(S, k)`; the key's owner is the server with the highest score. Removing a server moves
//!   only its own keys, each to the server that scored second for it; adding a server moves to it
//!   exactly the keys it now outscores everyone on, about `1/(N+1)` of them. There is no ring and
//!   no virtual nodes, at the price of `N` score computations per lookup.
//! - **Replica sets.** The `n` highest scorers, in descending order, are the key's replicas
//!   ([`Rendezvous::top_n`]); the owner comes first, and losing it promotes the next replica.
//! - **Weights** (Christian Schindelhauer & Gunnar Schomaker, "Weighted Distributed Hash Tables",
//!   SPAA 2005; the same rule is Ceph's `straw2` bucket). With `u` uniform in (0, 1),
//!   `−ln u` is exponentially distributed, so the server maximising `w / (−ln u)` wins with
//!   probability `w / Σw`: server weights 1 : 2 : 3 own 1/6, 2/6 and 3/6 of the keys, and
//!   changing one weight still moves keys only to or from that server.
//!
//! # The score function, exactly
//!
//! 1. `h = fmix(fnv1a64(server ‖ 0x00 ‖ key))`: FNV-1a 64 ([`crate::trace::fnv1a64`]) of the UTF-8
//!    bytes of the server name, one zero byte, and the UTF-8 bytes of the key; then the SplitMix64
//!    finaliser (Steele, Lea & Flood, "Fast Splittable Pseudorandom Number Generators", OOPSLA
//!    2014; constants from Vigna's `splitmix64.c`), because FNV-1a alone leaves its low bits a
//!    plain XOR of the input bytes' low bits. Server names may not contain a zero byte, so the
//!    byte string determines the pair `(server, key)`.
//! 2. `u = ((h >> 11) | 1) / 2^53`: the top 53 bits of `h`, forced odd, so `u` is exact and lies
//!    in `[2^−53, 1 − 2^−53]`, never 0 or 1.
//! 3. `score = −w / ln u`, with `ln` from the `libm` crate so that the score is bit-identical on
//!    x86_64 and wasm32. With equal weights this orders servers exactly as `h >> 11` does.
//!
//! Scores are compared with [`f64::total_cmp`]; on equal scores the server whose name sorts
//! first (byte order) wins. That is the tie-break for [`Rendezvous::owner`] and
//! [`Rendezvous::top_n`] alike. Distinct servers tie only if their hashes agree in the top 53 bits
//! (or, with weights above about 10^292, if both scores overflow to +∞).
//!
//! # Invariants checked by [`Rendezvous::validate`]
//!
//! 1. Every server name is non-empty and contains no zero byte.
//! 2. Every weight is finite and greater than zero.
//!
//! # What it simplifies
//!
//! - One fixed 64-bit score hash, not a choice of [`crate::hashing::HashFn`]: 32-bit scores tie
//!   too often and would give `u` only 32 bits.
//! - Lookups score every server (`O(N)`); the skeleton-based `O(log N)` variant of HRW and
//!   Ceph's tree of buckets are left out.
//! - Membership and weight changes are global and instant, with no data transfer.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;

use crate::trace::fnv1a64;

/// The weight a server gets when the caller has no reason to pick another.
pub const DEFAULT_WEIGHT: f64 = 1.0;

/// Why a rendezvous operation was refused.
#[derive(Clone, Debug, PartialEq)]
pub enum RendezvousError {
    /// A server name was empty.
    EmptyName,
    /// A server name contained a zero byte, which separates name from key in the score hash.
    NulInName(String),
    /// A server with this name is already present.
    DuplicateServer(String),
    /// No server with this name is present.
    UnknownServer(String),
    /// A weight was zero, negative, infinite or NaN.
    InvalidWeight {
        /// The server the weight was meant for.
        server: String,
        /// The refused weight.
        weight: f64,
    },
}

impl fmt::Display for RendezvousError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RendezvousError::EmptyName => write!(f, "a server needs a non-empty name"),
            RendezvousError::NulInName(name) => {
                write!(f, "server name {name:?} contains a zero byte; remove it")
            }
            RendezvousError::DuplicateServer(name) => {
                write!(f, "server \"{name}\" is already present; pick another name")
            }
            RendezvousError::UnknownServer(name) => {
                write!(f, "no server named \"{name}\" is present")
            }
            RendezvousError::InvalidWeight { server, weight } => write!(
                f,
                "server \"{server}\" needs a finite weight greater than 0, got {weight}"
            ),
        }
    }
}

impl std::error::Error for RendezvousError {}

/// A set of named, weighted servers that place keys by highest random weight.
///
/// ```
/// use sim::hashing::rendezvous::{Rendezvous, DEFAULT_WEIGHT};
///
/// let mut servers = Rendezvous::new();
/// for name in ["A", "B", "C"] {
///     servers.add_server(name, DEFAULT_WEIGHT).unwrap();
/// }
/// let owner = servers.owner("user-42").unwrap().to_owned();
/// let replicas = servers.top_n("user-42", 2);
/// assert_eq!(replicas[0], owner);
///
/// // Losing the owner hands the key to the runner-up, and to no one else.
/// let runner_up = replicas[1].to_owned();
/// servers.remove_server(&owner).unwrap();
/// assert_eq!(servers.owner("user-42"), Some(runner_up.as_str()));
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Rendezvous {
    /// Server name → weight.
    servers: BTreeMap<String, f64>,
}

impl Rendezvous {
    /// An empty set of servers.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds server `name` with `weight` (use [`DEFAULT_WEIGHT`] for an unweighted set).
    pub fn add_server(&mut self, name: &str, weight: f64) -> Result<(), RendezvousError> {
        check_name(name)?;
        check_weight(name, weight)?;
        if self.servers.contains_key(name) {
            return Err(RendezvousError::DuplicateServer(name.to_owned()));
        }
        self.servers.insert(name.to_owned(), weight);
        Ok(())
    }

    /// Removes server `name`; returns the weight it had.
    pub fn remove_server(&mut self, name: &str) -> Result<f64, RendezvousError> {
        self.servers
            .remove(name)
            .ok_or_else(|| RendezvousError::UnknownServer(name.to_owned()))
    }

    /// Changes the weight of server `name`; returns the weight it had.
    pub fn set_weight(&mut self, name: &str, weight: f64) -> Result<f64, RendezvousError> {
        check_weight(name, weight)?;
        let slot = self
            .servers
            .get_mut(name)
            .ok_or_else(|| RendezvousError::UnknownServer(name.to_owned()))?;
        Ok(std::mem::replace(slot, weight))
    }

    /// The server names, in name order.
    pub fn servers(&self) -> impl Iterator<Item = &str> + '_ {
        self.servers.keys().map(String::as_str)
    }

    /// The weight of server `name`, if present.
    pub fn weight(&self, name: &str) -> Option<f64> {
        self.servers.get(name).copied()
    }

    /// How many servers there are.
    pub fn server_count(&self) -> u32 {
        // A BTreeMap of distinct names that all fit in memory; saturate rather than wrap.
        u32::try_from(self.servers.len()).unwrap_or(u32::MAX)
    }

    /// Every server's score for `key`, in name order (what a score chart draws).
    pub fn scores(&self, key: &str) -> Vec<(&str, f64)> {
        self.servers
            .iter()
            .map(|(name, &weight)| (name.as_str(), score(name, key, weight)))
            .collect()
    }

    /// The server with the highest score for `key`; on equal scores, the first by name. `None`
    /// when there are no servers.
    pub fn owner(&self, key: &str) -> Option<&str> {
        let mut best: Option<(&str, f64)> = None;
        // Name order, and only a strictly higher score replaces the leader: ties go to the
        // first name.
        for (name, score) in self.scores(key) {
            if best.is_none_or(|(_, top)| score.total_cmp(&top) == Ordering::Greater) {
                best = Some((name, score));
            }
        }
        best.map(|(name, _)| name)
    }

    /// The key's replica set: the `n` highest-scoring servers (all of them if there are fewer),
    /// highest first, ties in name order. The first is [`Rendezvous::owner`].
    pub fn top_n(&self, key: &str, n: u32) -> Vec<&str> {
        let mut ranked = self.scores(key);
        crate::order::sort_by(&mut ranked, |(a_name, a), (b_name, b)| {
            b.total_cmp(a).then_with(|| a_name.cmp(b_name))
        });
        ranked
            .into_iter()
            .take(n.try_into().unwrap_or(usize::MAX))
            .map(|(name, _)| name)
            .collect()
    }

    /// Checks the invariants listed in the module documentation.
    pub fn validate(&self) -> Result<(), String> {
        for (name, &weight) in &self.servers {
            check_name(name).map_err(|e| e.to_string())?;
            check_weight(name, weight).map_err(|e| e.to_string())?;
        }
        Ok(())
    }
}

/// Step 1 of the score: `fmix(fnv1a64(server ‖ 0x00 ‖ key))`, a well-mixed 64-bit hash of the pair.
pub fn score_hash(server: &str, key: &str) -> u64 {
    let mut bytes = Vec::with_capacity(server.len() + 1 + key.len());
    bytes.extend_from_slice(server.as_bytes());
    bytes.push(0);
    bytes.extend_from_slice(key.as_bytes());
    crate::rng::splitmix64_fmix(fnv1a64(&bytes))
}

/// Step 2 of the score: `((h >> 11) | 1) / 2^53`, a uniform draw in `(0, 1)` that is never 0 or 1.
pub fn unit_interval(h: u64) -> f64 {
    // An odd integer below 2^53 times a power of two: exact, no rounding.
    ((h >> 11) | 1) as f64 / (1u64 << 53) as f64
}

/// Server `server`'s score for `key` at weight `weight`: `−weight / ln u` with
/// `u = unit_interval(score_hash(server, key))`.
pub fn score(server: &str, key: &str, weight: f64) -> f64 {
    let u = unit_interval(score_hash(server, key));
    -weight / libm::log(u)
}

fn check_name(name: &str) -> Result<(), RendezvousError> {
    if name.is_empty() {
        Err(RendezvousError::EmptyName)
    } else if name.contains('\0') {
        Err(RendezvousError::NulInName(name.to_owned()))
    } else {
        Ok(())
    }
}

fn check_weight(name: &str, weight: f64) -> Result<(), RendezvousError> {
    if weight.is_finite() && weight > 0.0 {
        Ok(())
    } else {
        Err(RendezvousError::InvalidWeight {
            server: name.to_owned(),
            weight,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_set_has_no_owner() {
        let servers = Rendezvous::new();
        assert_eq!(servers.owner("k"), None);
        assert!(servers.top_n("k", 3).is_empty(), "no servers, no replicas");
    }

    #[test]
    fn refuses_bad_names_and_weights() {
        let mut servers = Rendezvous::new();
        assert_eq!(servers.add_server("", 1.0), Err(RendezvousError::EmptyName));
        assert_eq!(
            servers.add_server("a\0b", 1.0),
            Err(RendezvousError::NulInName("a\0b".into()))
        );
        for weight in [0.0, -1.0, f64::INFINITY, f64::NAN] {
            assert!(
                matches!(
                    servers.add_server("A", weight),
                    Err(RendezvousError::InvalidWeight { .. })
                ),
                "weight {weight} is refused"
            );
        }
        servers.add_server("A", 1.0).expect("valid");
        assert_eq!(
            servers.add_server("A", 2.0),
            Err(RendezvousError::DuplicateServer("A".into()))
        );
        assert_eq!(
            servers.remove_server("B"),
            Err(RendezvousError::UnknownServer("B".into()))
        );
        assert_eq!(
            servers.set_weight("A", 3.0),
            Ok(1.0),
            "returns the old weight"
        );
        assert_eq!(servers.weight("A"), Some(3.0));
        assert_eq!(
            servers.remove_server("A"),
            Ok(3.0),
            "returns the weight it had"
        );
        servers.validate().expect("still valid");
    }

    #[test]
    fn unit_interval_never_reaches_zero_or_one() {
        assert_eq!(unit_interval(0), 2f64.powi(-53), "smallest draw is 2^-53");
        assert_eq!(
            unit_interval(u64::MAX),
            1.0 - 2f64.powi(-53),
            "largest is 1 - 2^-53"
        );
        assert!(score("A", "k", 1.0) > 0.0, "scores are positive");
    }

    #[test]
    fn splitmix_finaliser_matches_the_reference() {
        // splitmix64.c: the first output for seed 0 is fmix(0x9e3779b97f4a7c15).
        assert_eq!(
            crate::rng::splitmix64_fmix(0x9e37_79b9_7f4a_7c15),
            0xe220_a839_7b1d_cdaf
        );
        assert_eq!(crate::rng::splitmix64_fmix(0), 0, "zero is a fixed point");
    }

    #[test]
    fn equal_scores_go_to_the_first_name() {
        // With weight f64::MAX, any draw u > 1/e gives |ln u| < 1 and a score of +inf, so two
        // such servers really tie; the name order must decide, whatever the insertion order.
        let mut servers = Rendezvous::new();
        servers.add_server("beta", f64::MAX).expect("finite weight");
        servers
            .add_server("alpha", f64::MAX)
            .expect("finite weight");
        let key = (0..100)
            .map(|i| format!("k{i}"))
            .find(|k| servers.scores(k).iter().all(|(_, s)| *s == f64::INFINITY))
            .expect("some key draws u > 1/e for both servers");
        assert_eq!(
            servers.owner(&key),
            Some("alpha"),
            "a tie goes to the first name"
        );
        assert_eq!(
            servers.top_n(&key, 2),
            ["alpha", "beta"],
            "ties rank in name order"
        );
    }
}
