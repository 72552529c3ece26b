//! The one random number generator of the simulation.
//!
//! [`SimRng`] wraps xoshiro256++ (Blackman & Vigna, "Scrambled linear pseudorandom number
//! generators", 2021), seeded from a `u64` through SplitMix64 as its authors recommend. It draws
//! only `u64`s and derives everything else from them with integer arithmetic, so the same seed
//! gives the same numbers on x86_64 and wasm32. Never draw a `usize`.

use rand_core::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// A seeded, portable pseudo-random generator.
#[derive(Clone, Debug)]
pub struct SimRng {
    inner: Xoshiro256PlusPlus,
}

impl SimRng {
    /// A generator whose whole output is a function of `seed`.
    pub fn new(seed: u64) -> Self {
        SimRng {
            inner: Xoshiro256PlusPlus::seed_from_u64(seed),
        }
    }

    /// An independent stream derived from `seed` and a stream label, so that adding draws to one
    /// part of a model does not shift the numbers another part sees.
    pub fn stream(seed: u64, label: &str) -> Self {
        Self::new(seed ^ crate::trace::fnv1a64(label.as_bytes()))
    }

    /// The next 64 uniformly random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.inner.next_u64()
    }

    /// A uniform integer in `0..n` without modulo bias (Lemire's multiply-and-reject).
    /// Returns 0 when `n` is 0.
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        let threshold = n.wrapping_neg() % n;
        loop {
            let m = u128::from(self.next_u64()) * u128::from(n);
            if (m as u64) >= threshold {
                return (m >> 64) as u64;
            }
        }
    }

    /// A uniform float in `[0, 1)` with 53 random bits (exact on every target).
    pub fn unit_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// True with probability `p` (clamped to `[0, 1]`).
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit_f64() < p
    }
}

/// SplitMix64's output function (Steele, Lea & Flood, "Fast splittable pseudorandom number
/// generators", 2014): two xor-shift-multiply rounds and a final xor-shift. It spreads every input
/// bit over all 64 output bits, so the low bits `% n` reads depend on the whole input.
pub fn splitmix64_fmix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream() {
        let mut a = SimRng::new(7);
        let mut b = SimRng::new(7);
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
    }

    #[test]
    fn known_first_outputs_pin_the_generator() {
        // Pinned so that a change of generator or seeding (which would silently change every
        // lesson's numbers) fails here first.
        let mut r = SimRng::new(42);
        let first: Vec<u64> = (0..3).map(|_| r.next_u64()).collect();
        assert_eq!(first, KNOWN_SEED_42.to_vec());
    }

    /// The first three outputs for seed 42 (SplitMix64 seeding, xoshiro256++).
    /// Checked against an independent Python implementation of SplitMix64 + xoshiro256++.
    pub(crate) const KNOWN_SEED_42: [u64; 3] = [
        0xd076_4d4f_4476_689f,
        0x519e_4174_576f_3791,
        0xfbe0_7cfb_0c24_ed8c,
    ];

    #[test]
    fn below_stays_in_range_and_covers_it() {
        let mut r = SimRng::new(1);
        let mut seen = [false; 7];
        for _ in 0..1_000 {
            let x = r.below(7);
            assert!(x < 7);
            seen[x as usize] = true;
        }
        assert!(seen.iter().all(|s| *s));
        assert_eq!(r.below(0), 0);
    }

    #[test]
    fn unit_is_half_open() {
        let mut r = SimRng::new(3);
        for _ in 0..1_000 {
            let u = r.unit_f64();
            assert!((0.0..1.0).contains(&u));
        }
    }
}
