//! Standard benchmark workloads, shared by the native benchmark (`cargo bench -p sim`) and the
//! app's in-browser benchmark page, so both measure the same work. Timing is the caller's job:
//! this crate never reads a clock.

use crate::hashing::ring::HashRing;
use crate::hashing::HashFn;

/// The ring every lookup benchmark uses: 10 servers × 100 virtual nodes, MurmurHash3.
pub fn bench_ring() -> HashRing {
    let mut ring = HashRing::new(HashFn::Murmur3_32, 100).expect("100 vnodes is in range");
    for i in 0..10 {
        ring.add_server(&format!("server-{i}"), None)
            .expect("names are distinct");
    }
    ring
}

/// Performs `n` lookups at pseudo-random positions (a 32-bit LCG, so the workload costs
/// nothing beside the lookups) and returns a checksum that keeps the work from being optimised
/// away.
pub fn lookups(ring: &HashRing, n: u64) -> u64 {
    let mut pos: u32 = 0x1234_5678;
    let mut sum = 0u64;
    for _ in 0..n {
        pos = pos.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        sum = sum.wrapping_add(ring.lookup(pos).map_or(0, |v| u64::from(v.index)));
    }
    sum
}

#[cfg(test)]
mod tests {
    #[test]
    fn workload_is_deterministic() {
        let ring = super::bench_ring();
        assert_eq!(super::lookups(&ring, 1_000), super::lookups(&ring, 1_000));
        assert_eq!(ring.points().len(), 1_000);
    }
}
