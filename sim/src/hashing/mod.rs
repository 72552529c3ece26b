//! Consistent hashing and its relatives (catalogue entries D1 and D2): every way a key finds its
//! server that the sharding lessons compare on the same keys.
//!
//! - [`hash`]: the two 32-bit hash functions a learner can pick between ([`HashFn`]).
//! - [`ring`]: the hash ring itself ([`HashRing`]): servers as virtual nodes on a circle of 2^32
//!   positions, clockwise lookup, the replica walk, and arc lengths.
//! - [`arcs`]: which stretches of a ring each server owns ([`OwnedArc`]), for drawing.
//! - [`ketama`]: the continuum exactly as libketama, libmemcached and spymemcached build it
//!   ([`Ketama`]), so a key lands where a real memcached client would send it.
//! - [`jump`]: jump consistent hash (Lamping & Veach, 2014): no ring, numbered buckets.
//! - [`rendezvous`]: highest-random-weight hashing, weighted ([`Rendezvous`]).
//! - [`bounded`]: consistent hashing with bounded loads (Mirrokni, Thorup & Zadimoghaddam, 2018)
//!   over a [`HashRing`] ([`BoundedLoads`]): the bound on keys placed.
//! - [`live`]: the same bound on live requests, as HAProxy's `hash-balance-factor` applies it
//!   ([`LiveLoads`]).
//! - [`modulo`]: `hash % N` with FNV-1a 64 or MD5 ([`KeyHash`]).
//!
//! All are plain data with no clock and no randomness of their own (a ring with random tokens
//! draws them from the seed it is given): the same operations give the same placement on every
//! platform.

pub mod arcs;
pub mod bounded;
pub mod hash;
pub mod jump;
pub mod ketama;
pub mod live;
pub mod modulo;
pub mod rendezvous;
pub mod ring;

pub use arcs::OwnedArc;
pub use bounded::{BoundedError, BoundedLoads, Move, Placement};
pub use hash::HashFn;
pub use jump::{jump_bucket, jump_hash};
pub use ketama::{Ketama, KetamaError, KetamaFlavor};
pub use live::LiveLoads;
pub use modulo::KeyHash;
pub use rendezvous::{Rendezvous, RendezvousError};
pub use ring::{
    degrees_to_position, position_to_degrees, random_tokens, HashRing, Position, RingError, Tokens,
    VirtualNode, MAX_VNODES_PER_SERVER, RING_SIZE,
};
