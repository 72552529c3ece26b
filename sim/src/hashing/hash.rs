//! The 32-bit hash functions that place servers and keys on the ring.
//!
//! Both are written out by hand from their specifications so that a learner can read the whole
//! thing, and both use only wrapping `u32` arithmetic, so a given input hashes to the same value on
//! every platform (x86_64 and wasm32 alike).
//!
//! - **FNV-1a, 32-bit** (Fowler, Noll & Vo): start from the *offset basis* 2166136261; for each
//!   byte, XOR it in, then multiply by the *FNV prime* 16777619. Source: Landon Curt Noll, "FNV
//!   Hash", <http://www.isthe.com/chongo/tech/comp/fnv/>, and the IETF draft
//!   draft-eastlake-fnv ("The FNV Non-Cryptographic Hash Algorithm").
//! - **MurmurHash3 x86_32** (Austin Appleby), seed 0: mix each little-endian 4-byte block into the
//!   state, mix in the 1–3 leftover bytes, XOR in the length, then apply the `fmix32` finaliser so
//!   every input bit affects every output bit. Source: the reference `MurmurHash3.cpp` in
//!   <https://github.com/aappleby/smhasher> (public domain).
//!
//! Neither is a cryptographic hash: they are fast and spread ordinary keys well, which is all a
//! hash ring needs.

/// Which hash function maps names and keys to ring positions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HashFn {
    /// FNV-1a with a 32-bit state: tiny and easy to follow by hand.
    Fnv1a32,
    /// MurmurHash3 x86_32 with seed 0: better mixing, the family Cassandra's partitioner uses.
    Murmur3_32,
}

/// FNV-1a 32-bit offset basis (the starting state).
const FNV_OFFSET_BASIS: u32 = 2_166_136_261;
/// FNV-1a 32-bit prime (the multiplier applied after each byte).
const FNV_PRIME: u32 = 16_777_619;

/// MurmurHash3 x86_32 block-mixing constants, from the reference implementation.
const MURMUR_C1: u32 = 0xcc9e_2d51;
const MURMUR_C2: u32 = 0x1b87_3593;

impl HashFn {
    /// Every hash function, in the order a picker should list them.
    pub const ALL: [HashFn; 2] = [HashFn::Fnv1a32, HashFn::Murmur3_32];

    /// The 32-bit hash of `bytes`.
    pub fn hash(self, bytes: &[u8]) -> u32 {
        match self {
            HashFn::Fnv1a32 => fnv1a_32(bytes),
            HashFn::Murmur3_32 => murmur3_x86_32(bytes, 0),
        }
    }

    /// A short stable identifier, for URLs and config files: `"fnv1a"` or `"murmur3"`.
    pub fn id(self) -> &'static str {
        match self {
            HashFn::Fnv1a32 => "fnv1a",
            HashFn::Murmur3_32 => "murmur3",
        }
    }

    /// A human-readable name for the UI.
    pub fn label(self) -> &'static str {
        match self {
            HashFn::Fnv1a32 => "FNV-1a (32-bit)",
            HashFn::Murmur3_32 => "MurmurHash3 x86_32",
        }
    }

    /// The hash function whose [`HashFn::id`] is `id`, if any.
    pub fn parse(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|h| h.id() == id)
    }
}

/// FNV-1a, 32-bit: XOR each byte into the state, then multiply by the FNV prime.
fn fnv1a_32(bytes: &[u8]) -> u32 {
    let mut h = FNV_OFFSET_BASIS;
    for &b in bytes {
        h ^= u32::from(b);
        h = h.wrapping_mul(FNV_PRIME);
    }
    h
}

/// Scramble one 4-byte block (or the zero-padded tail) before it is mixed into the state.
fn murmur3_scramble(k: u32) -> u32 {
    k.wrapping_mul(MURMUR_C1)
        .rotate_left(15)
        .wrapping_mul(MURMUR_C2)
}

/// The `fmix32` finaliser: forces every input bit to affect every output bit (avalanche).
fn murmur3_fmix32(mut h: u32) -> u32 {
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^= h >> 16;
    h
}

/// MurmurHash3 x86_32, following Appleby's reference `MurmurHash3_x86_32`.
fn murmur3_x86_32(bytes: &[u8], seed: u32) -> u32 {
    let mut h = seed;

    let blocks = bytes.chunks_exact(4);
    let tail = blocks.remainder();
    for block in blocks {
        let k = u32::from_le_bytes([block[0], block[1], block[2], block[3]]);
        h ^= murmur3_scramble(k);
        h = h.rotate_left(13).wrapping_mul(5).wrapping_add(0xe654_6b64);
    }

    // The reference switch falls through 3 → 2 → 1; building the little-endian word does the same.
    if !tail.is_empty() {
        let mut k = 0u32;
        for (i, &b) in tail.iter().enumerate() {
            k |= u32::from(b) << (8 * i);
        }
        h ^= murmur3_scramble(k);
    }

    // The reference takes the length as a 32-bit `int`; truncating keeps wasm32 and x86_64 equal.
    h ^= bytes.len() as u32;
    murmur3_fmix32(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_matches_published_vectors() {
        // From Noll's FNV test suite; re-derived by hand in Python.
        assert_eq!(
            HashFn::Fnv1a32.hash(b""),
            0x811c_9dc5,
            "empty input is the offset basis"
        );
        assert_eq!(HashFn::Fnv1a32.hash(b"a"), 0xe40c_292c);
        assert_eq!(HashFn::Fnv1a32.hash(b"foobar"), 0xbf9c_f968);
    }

    #[test]
    fn murmur3_matches_published_vectors() {
        // Published vectors, also confirmed with Python `mmh3.hash(s, 0, signed=False)`.
        assert_eq!(
            HashFn::Murmur3_32.hash(b""),
            0,
            "seed 0, empty input hashes to 0"
        );
        assert_eq!(HashFn::Murmur3_32.hash(b"hello"), 0x248b_fa47);
        assert_eq!(
            HashFn::Murmur3_32.hash(b"The quick brown fox jumps over the lazy dog"),
            0x2e4f_f723
        );
    }

    #[test]
    fn murmur3_handles_every_tail_length() {
        // Lengths 1..=5 cover tails of 1, 2, 3, 0 and 1 bytes; values from Python `mmh3`.
        let cases: [(&[u8], u32); 5] = [
            (b"a", 0x3c25_69b2),
            (b"ab", 0x9bbf_d75f),
            (b"abc", 0xb3dd_93fa),
            (b"abcd", 0x43ed_676a),
            (b"abcde", 0xe89b_9af6),
        ];
        for (input, want) in cases {
            assert_eq!(HashFn::Murmur3_32.hash(input), want, "murmur3({input:?})");
        }
    }

    #[test]
    fn ids_round_trip_through_parse() {
        for h in HashFn::ALL {
            assert_eq!(
                HashFn::parse(h.id()),
                Some(h),
                "parse(id()) is the identity"
            );
        }
        assert_eq!(HashFn::parse("md5"), None);
    }
}
