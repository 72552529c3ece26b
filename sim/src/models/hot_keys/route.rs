//! Where a request goes: the key's shard by jump consistent hash, the celebrity's sub-keys when
//! it is split, and which node of a shard (primary or read replica) serves it.
//!
//! Plain functions over plain data, usable without the scheduler; a routing decision is a list
//! of [`Hop`]s that says exactly which sub-key, shard and node each shard request went to.

use crate::hashing::jump_bucket;
use crate::rng::SimRng;
use std::num::NonZeroU32;

/// Sub-key `j` of key `id` is drawn with id `id + (j + 1) × SUB_KEY_STRIDE`, so sub-keys never
/// collide with user ids (which stay below 10,000).
pub const SUB_KEY_STRIDE: u64 = 1_000_000;

/// The stored name of user `id`: the string that is hashed (`user:42`).
pub fn key_name(id: u64) -> String {
    format!("user:{id}")
}

/// The stored name of sub-key `j` of user `id` (`user:42#3`).
pub fn sub_key_name(id: u64, j: u32) -> String {
    format!("user:{id}#{j}")
}

/// The drawn id of sub-key `j` of user `id`.
pub fn sub_key_id(id: u64, j: u32) -> u64 {
    id + (u64::from(j) + 1) * SUB_KEY_STRIDE
}

/// The shard of a stored name among `shards` shards: `jump_hash(fnv1a64(name), shards)`.
pub fn shard_of(name: &str, shards: u32) -> u32 {
    jump_bucket(name, NonZeroU32::new(shards).unwrap_or(NonZeroU32::MIN))
}

/// How a split key's sub-keys are used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SplitMode {
    /// Read-heavy: every sub-key is a full copy. A write goes to all k copies; a read picks one.
    Copies,
    /// Write-heavy (a counter, a list of likes): each sub-key holds a part. A write goes to one
    /// random part; a read gathers all k and combines them.
    Counter,
}

impl SplitMode {
    /// Reads the `split_mode` parameter.
    pub fn parse(text: &str) -> SplitMode {
        match text {
            "counter" => SplitMode::Counter,
            _ => SplitMode::Copies,
        }
    }
    /// The parameter value.
    pub fn id(self) -> &'static str {
        match self {
            SplitMode::Copies => "copies",
            SplitMode::Counter => "counter",
        }
    }
}

/// One shard request: which sub-key (if the key is split), which shard, which node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hop {
    /// The sub-key it touches, for a split key.
    pub sub: Option<u32>,
    /// The shard.
    pub shard: u32,
    /// The node: 0 = the primary, 1.. = read replica number.
    pub replica: u32,
}

/// Where a key's data lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target<'a> {
    /// One shard.
    Single(u32),
    /// Sub-keys on these shards (index = suffix), used as `mode` says.
    Split(&'a [u32], SplitMode),
}

/// The node of a shard with `replicas` read replicas that serves a read: primary or replica,
/// uniformly. Draws nothing when there are no replicas.
pub fn read_node(replicas: u32, rng: &mut SimRng) -> u32 {
    if replicas == 0 {
        0
    } else {
        rng.below(u64::from(replicas) + 1) as u32
    }
}

/// The shard requests a read or write of a key at `target` turns into. Writes always go to
/// primaries; reads spread over each shard's primary and its `replicas`.
pub fn route(target: Target<'_>, write: bool, replicas: u32, rng: &mut SimRng) -> Vec<Hop> {
    match target {
        Target::Single(shard) => vec![Hop {
            sub: None,
            shard,
            replica: if write { 0 } else { read_node(replicas, rng) },
        }],
        Target::Split(subs, mode) => {
            let k = subs.len() as u64;
            let one = |j: u64, replica: u32| Hop {
                sub: Some(j as u32),
                shard: subs[j as usize],
                replica,
            };
            match (mode, write) {
                (SplitMode::Copies, true) => (0..k).map(|j| one(j, 0)).collect(),
                (SplitMode::Copies, false) => {
                    let j = rng.below(k);
                    vec![one(j, read_node(replicas, rng))]
                }
                (SplitMode::Counter, true) => vec![one(rng.below(k), 0)],
                (SplitMode::Counter, false) => {
                    (0..k).map(|j| one(j, read_node(replicas, rng))).collect()
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_go_to_primaries_and_fan_out_as_the_mode_says() {
        let mut rng = SimRng::new(1);
        let subs = [3, 1, 3, 0];
        for _ in 0..50 {
            let w = route(Target::Split(&subs, SplitMode::Copies), true, 2, &mut rng);
            assert_eq!(w.len(), 4);
            assert!(w.iter().all(|h| h.replica == 0));
            let r = route(Target::Split(&subs, SplitMode::Copies), false, 2, &mut rng);
            assert_eq!(r.len(), 1);
            assert!(r[0].replica <= 2);
            let w = route(Target::Split(&subs, SplitMode::Counter), true, 2, &mut rng);
            assert_eq!((w.len(), w[0].replica), (1, 0));
            let r = route(Target::Split(&subs, SplitMode::Counter), false, 2, &mut rng);
            assert_eq!(r.iter().map(|h| h.shard).collect::<Vec<_>>(), subs);
            let single = route(Target::Single(5), true, 3, &mut rng);
            assert_eq!(
                single[0],
                Hop {
                    sub: None,
                    shard: 5,
                    replica: 0
                }
            );
        }
    }

    #[test]
    fn names_and_ids() {
        assert_eq!(key_name(42), "user:42");
        assert_eq!(sub_key_name(42, 3), "user:42#3");
        assert_eq!(sub_key_id(42, 0), 1_000_042);
        assert_eq!(shard_of("user:42", 1), 0);
    }
}
