//! Jump consistent hash: a key's bucket among `n` numbered buckets, with no ring and no table.
//!
//! # What it models
//!
//! **Jump consistent hash** (John Lamping & Eric Veach, "A Fast, Minimal Memory, Consistent Hash
//! Algorithm", Google, 2014, arXiv:1406.2294). Write `ch(k, n)` for the bucket of key `k` when
//! there are `n` buckets. Going from `n` to `n + 1` buckets, `ch` must stay put for `n/(n+1)` of the
//! keys and move to the new bucket `n` for the other `1/(n+1)`: that is exactly balanced *and*
//! moves the fewest keys. The slow way walks `j = 1, 2, …, n − 1`, drawing a uniform `r` seeded by
//! the key and jumping to bucket `j` when `r < 1/(j+1)`. The paper computes where the *next* jump
//! lands instead: after a jump to `b`, the next one lands at `j = ⌊(b + 1) / r⌋`, so only about
//! `ln n` draws are needed. The draws come from a 64-bit linear congruential generator seeded with
//! the key, `key ← key × 2862933555777941757 + 1`, and `r = ((key >> 33) + 1) / 2^31`.
//!
//! [`jump_hash`] is the paper's figure 1, line for line. [`jump_bucket`] first hashes a string key
//! to 64 bits with FNV-1a 64 ([`crate::trace::fnv1a64`]), as the paper asks for keys that are not
//! already 64-bit integers; it reproduces the FNV-1a string vector published with the Go package
//! `github.com/lithammer/go-jump-consistent-hash`.
//!
//! # Why the floating point is deterministic
//!
//! The jump is computed in `f64` exactly as the paper's C++ does it:
//! `(b + 1) × (2^31 / ((key >> 33) + 1))`. Every operand is an integer below 2^53 (`b + 1 ≤ 2^32`,
//! `(key >> 33) + 1 ≤ 2^31`), so converting it to `f64` is exact. The division and the
//! multiplication are single IEEE-754 binary64 operations, each correctly rounded to nearest-even,
//! which IEEE-754 (and the WebAssembly spec) require bit for bit; Rust neither fuses them into a
//! multiply-add nor evaluates them at a wider precision on x86_64 or wasm32. The final
//! `f64 → u64` conversion truncates, as the C++ assignment does. No `libm` function is involved,
//! so `jump_hash` gives the same bucket on every target.
//!
//! # Invariants
//!
//! There is no state, hence no `validate()`. The laws, checked by the property tests:
//! `jump_hash(k, n) < n`; growing from `n` to `n + 1` buckets moves a key only to bucket `n`
//! (*monotonicity*), and moves about `1/(n+1)` of the keys; keys spread evenly over the buckets.
//!
//! # What it cannot do, and what it simplifies
//!
//! - Buckets are **numbered** `0..n`, not named: a caller maps bucket numbers to servers itself.
//! - Only the **last** bucket can be removed (shrinking `n` to `n − 1`). Removing server 3 of 10
//!   means renumbering servers 4..9 down by one, which moves about 69% of the keys where removing
//!   the last server moves its own 10% (the experiment in the property tests). Jump hash suits
//!   shards that are replicated and never leave, not servers that fail at random. Rendezvous
//!   hashing ([`crate::hashing::rendezvous`]) and the ring handle arbitrary removal.
//! - No weights: every bucket gets the same share.
//! - The reference takes `int32_t num_buckets`; here `buckets` is a [`NonZeroU32`], so zero
//!   buckets cannot be asked for, and counts above 2^31 − 1 work the same way (the jump is kept in
//!   a `u64`), though no published vector covers them.

use std::num::NonZeroU32;

use crate::trace::fnv1a64;

/// The multiplier of the paper's 64-bit linear congruential generator.
pub const LCG_MULTIPLIER: u64 = 2_862_933_555_777_941_757;

/// The bucket of `key` among `buckets` buckets numbered `0..buckets`: Lamping & Veach's
/// `JumpConsistentHash`, line for line.
///
/// The result is always below `buckets`; a zero bucket count is unrepresentable.
///
/// ```
/// use std::num::NonZeroU32;
/// use sim::hashing::jump::jump_hash;
///
/// let n = |n| NonZeroU32::new(n).unwrap();
/// assert_eq!(jump_hash(256, n(1024)), 520);
/// // Growing from 6 to 7 buckets moves key 1 to the new bucket 6, and nowhere else.
/// assert_eq!(jump_hash(1, n(6)), 0);
/// assert_eq!(jump_hash(1, n(7)), 6);
/// ```
pub fn jump_hash(mut key: u64, buckets: NonZeroU32) -> u32 {
    let buckets = u64::from(buckets.get());
    // `b` is the destination of the last jump, `j` of the next one; the reference starts b at -1,
    // but the loop always runs once (j = 0 < buckets), so b's first value is never read.
    let mut b: u64 = 0;
    let mut j: u64 = 0;
    while j < buckets {
        b = j;
        key = key.wrapping_mul(LCG_MULTIPLIER).wrapping_add(1);
        // (b + 1) ≤ 2^32 and (key >> 33) + 1 ≤ 2^31 convert exactly; see the module doc.
        let jump = (b + 1) as f64 * ((1u64 << 31) as f64 / ((key >> 33) + 1) as f64);
        // The quotient is at least 1, so j ≥ b + 1 and the loop ends; the product is at most
        // 2^32 × 2^31 = 2^63, so the truncating cast cannot saturate.
        j = jump as u64;
        debug_assert!(j > b, "each jump moves strictly forward");
    }
    debug_assert!(b < buckets, "the last jump before `buckets` is a bucket");
    b as u32
}

/// The bucket of the string `key` among `buckets` buckets: [`jump_hash`] of the key's FNV-1a
/// 64-bit hash ([`crate::trace::fnv1a64`] of its UTF-8 bytes).
///
/// ```
/// use std::num::NonZeroU32;
/// use sim::hashing::jump::jump_bucket;
///
/// let ten = NonZeroU32::new(10).unwrap();
/// assert_eq!(jump_bucket("中国", ten), 5);
/// ```
pub fn jump_bucket(key: &str, buckets: NonZeroU32) -> u32 {
    jump_hash(key_hash(key), buckets)
}

/// The 64-bit key [`jump_bucket`] feeds to [`jump_hash`]: FNV-1a 64 of the UTF-8 bytes of `key`.
pub fn key_hash(key: &str) -> u64 {
    fnv1a64(key.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(buckets: u32) -> NonZeroU32 {
        NonZeroU32::new(buckets).expect("non-zero")
    }

    #[test]
    fn one_bucket_holds_every_key() {
        for key in [0, 1, 42, u64::MAX] {
            assert_eq!(
                jump_hash(key, n(1)),
                0,
                "with one bucket, key {key} is in bucket 0"
            );
        }
    }

    #[test]
    fn key_zero_first_jumps_to_two_to_the_31() {
        // Key 0's first draw is LCG(0) = 1, so r = ((1 >> 33) + 1) / 2^31 = 2^-31 and the first
        // jump lands on 2^31: bucket 0 up to 2^31 buckets, bucket 2^31 past that.
        assert_eq!(jump_hash(0, n(1000)), 0);
        assert_eq!(jump_hash(0, n(1 << 31)), 0);
        assert_eq!(jump_hash(0, n((1 << 31) + 1)), 1 << 31);
    }

    #[test]
    fn results_stay_below_the_largest_bucket_count() {
        for key in [0, 1, 0xdead_beef, u64::MAX] {
            assert!(
                jump_hash(key, n(u32::MAX)) < u32::MAX,
                "key {key} lands in range"
            );
        }
    }

    #[test]
    fn string_keys_hash_with_fnv1a64() {
        assert_eq!(
            key_hash(""),
            0xcbf2_9ce4_8422_2325,
            "empty key is the offset basis"
        );
        assert_eq!(jump_bucket("foobar", n(1)), 0);
    }
}
