//! Consistent hashing: the hash functions and the hash ring (catalogue entry D1).
//!
//! - [`hash`] holds the two 32-bit hash functions a learner can pick between ([`HashFn`]).
//! - [`ring`] holds the ring itself ([`HashRing`]): servers as virtual nodes on a circle of 2^32
//!   positions, clockwise lookup, the replica walk, and arc lengths.
//!
//! Both are plain data with no clock and no randomness: the same operations give the same ring on
//! every platform.

pub mod hash;
pub mod ring;

pub use hash::HashFn;
pub use ring::{
    degrees_to_position, position_to_degrees, HashRing, Position, RingError, VirtualNode,
    MAX_VNODES_PER_SERVER, RING_SIZE,
};
