//! Standard benchmark workloads, shared by the native benchmark (`cargo bench -p sim`) and the
//! app's in-browser benchmark page, so both measure the same work. Timing is the caller's job:
//! this crate never reads a clock.

use crate::hashing::ring::HashRing;
use crate::hashing::{jump_bucket, HashFn, Ketama, Rendezvous};
use crate::trace::fnv1a64;
use std::num::NonZeroU32;

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

/// How many servers the per-strategy benchmark spreads keys over.
pub const STRATEGY_SERVERS: u32 = 10;

/// A key-placement strategy, ready to answer "which server holds this key?".
pub enum Strategy {
    /// `fnv1a64(key) % N`.
    Modulo,
    /// The hash ring with 100 virtual nodes per server, MurmurHash3.
    Ring(HashRing),
    /// The libketama continuum (160 points per server, MD5).
    Ketama(Ketama),
    /// Jump consistent hash over FNV-1a 64.
    Jump,
    /// Rendezvous (highest random weight) hashing.
    Rendezvous(Rendezvous),
}

/// The server names the benchmarks use, `10.0.0.0:11211` … (memcached-style addresses).
pub fn server_names(n: u32) -> Vec<String> {
    (0..n).map(|i| format!("10.0.0.{i}:11211")).collect()
}

impl Strategy {
    /// Every strategy over [`STRATEGY_SERVERS`] servers, with its name.
    pub fn all() -> Vec<(&'static str, Strategy)> {
        Self::all_over(STRATEGY_SERVERS)
    }

    /// Every strategy over `n` servers named by [`server_names`], with its name.
    pub fn all_over(n: u32) -> Vec<(&'static str, Strategy)> {
        let names = server_names(n);
        let mut rendezvous = Rendezvous::new();
        for n in &names {
            rendezvous
                .add_server(n, 1.0)
                .expect("distinct names, weight 1");
        }
        let weighted: Vec<(&str, u32)> = names.iter().map(|n| (n.as_str(), 1)).collect();
        let mut ring = HashRing::new(HashFn::Murmur3_32, 100).expect("100 vnodes is in range");
        for name in &names {
            ring.add_server(name, None).expect("names are distinct");
        }
        vec![
            ("modulo", Strategy::Modulo),
            ("ring", Strategy::Ring(ring)),
            (
                "ketama",
                Strategy::Ketama(Ketama::new(&weighted).expect("distinct names")),
            ),
            ("jump", Strategy::Jump),
            ("rendezvous", Strategy::Rendezvous(rendezvous)),
        ]
    }

    /// The index or a hash of the server holding `key` (enough to keep the work observable).
    pub fn place(&self, key: &str) -> u64 {
        let n = STRATEGY_SERVERS;
        match self {
            Strategy::Modulo => fnv1a64(key.as_bytes()) % u64::from(n),
            Strategy::Ring(r) => r
                .lookup(r.position_of(key))
                .map_or(0, |v| u64::from(v.index)),
            Strategy::Ketama(k) => k.server_for(key).map_or(0, |s| s.len() as u64),
            Strategy::Jump => u64::from(jump_bucket(key, NonZeroU32::new(n).expect("n > 0"))),
            Strategy::Rendezvous(r) => r.owner(key).map_or(0, |s| s.len() as u64),
        }
    }
}

/// Places every key with `strategy` over `servers` servers (named by [`server_names`]) and
/// returns each key's server index: what a client does when it (re)computes a whole keyspace.
pub fn place_all(strategy: &Strategy, servers: u32, keys: &[String]) -> Vec<u32> {
    let names = server_names(servers);
    let index: std::collections::BTreeMap<&str, u32> = crate::order::map_of(
        names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.as_str(), i as u32)),
    );
    let by_name = |name: Option<&str>| name.and_then(|n| index.get(n).copied()).unwrap_or(0);
    let n = NonZeroU32::new(servers.max(1)).expect("at least one server");
    keys.iter()
        .map(|key| match strategy {
            Strategy::Modulo => (fnv1a64(key.as_bytes()) % u64::from(n.get())) as u32,
            Strategy::Ring(r) => by_name(r.owner(r.position_of(key))),
            Strategy::Ketama(k) => by_name(k.server_for(key)),
            Strategy::Jump => jump_bucket(key, n),
            Strategy::Rendezvous(r) => by_name(r.owner(key)),
        })
        .collect()
}

/// How many keys sit on a different server in `after` than in `before`.
pub fn moved(before: &[u32], after: &[u32]) -> u64 {
    before.iter().zip(after).filter(|(a, b)| a != b).count() as u64
}

/// `n` distinct keys, `key-0` … (made once, so that formatting is not timed).
pub fn distinct_keys(n: u64) -> Vec<String> {
    (0..n).map(|i| format!("key-{i}")).collect()
}

/// The keys the per-strategy benchmark cycles through (`user-0` … `user-1023`), made once so
/// that formatting is not timed.
pub fn bench_keys() -> Vec<String> {
    (0..1024).map(|i| format!("user-{i}")).collect()
}

/// Places `n` keys (cycling through `keys`) with `strategy`; returns a checksum.
pub fn placements(strategy: &Strategy, keys: &[String], n: u64) -> u64 {
    let mut sum = 0u64;
    for i in 0..n {
        let key = &keys[(i % keys.len() as u64) as usize];
        sum = sum.wrapping_add(strategy.place(key));
    }
    sum
}

/// The caching benchmark's trace (issue 12): 1,000,000 requests, Zipf(0.8) over 100,000 keys,
/// unit sizes, seed [`CACHE_SEED`]. The native benchmark (`cargo bench -p sim --bench cache`) and
/// the wasm one (`scripts/bench-cache.sh`) both replay exactly this trace.
pub const CACHE_REQUESTS: u64 = 1_000_000;
/// Keys the benchmark's Zipf draws from.
pub const CACHE_KEYS: u64 = 100_000;
/// The Zipf exponent.
pub const CACHE_ZIPF_S: f64 = 0.8;
/// Objects the benchmark's caches hold.
pub const CACHE_CAPACITY: u64 = 1_000;
/// The trace's seed.
pub const CACHE_SEED: u64 = 12;

/// The benchmark's trace, every request's next use filled in (so Belady's MIN can replay it).
pub fn cache_trace() -> Vec<crate::cache::Request> {
    crate::cache::workload::Workload::Zipf {
        keys: CACHE_KEYS,
        s: CACHE_ZIPF_S,
    }
    .generate(
        CACHE_SEED,
        crate::cache::workload::SizeModel::Fixed(1),
        CACHE_REQUESTS,
    )
    .expect("the benchmark's workload parameters are in range")
}

/// The policies the caching benchmark times, in the order it prints them.
pub const CACHE_POLICIES: [&str; 10] = [
    "lru",
    "fifo",
    "clock",
    "sieve",
    "s3fifo",
    "arc",
    "tinylfu",
    "2q",
    "slru",
    "sampled-lru",
];

/// A fresh policy of `capacity` objects by id (its paper's or its system's defaults), or `None`
/// for an unknown id.
/// Built by [`crate::cache::build`] with the benchmark's seed.
pub fn cache_policy(id: &str, capacity: u64) -> Option<Box<dyn crate::cache::Policy>> {
    // Each policy's documented defaults (SLRU 80 % protected, Redis' 5 samples, …).
    crate::cache::build(id, capacity, CACHE_SEED).ok()
}

/// The miss-ratio-curve benchmark's cache sizes, in objects: 20 sizes log-spaced from 100 (0.1 %
/// of the keys) to 100,000 (every key fits, so only first requests miss), `round(100 ×
/// 1000^(i/19))`. Log-spaced because a miss-ratio curve is read against log size; written out
/// rather than computed so that every target runs exactly these sizes.
pub const MRC_CAPACITIES: [u64; 20] = [
    100, 144, 207, 298, 428, 616, 886, 1274, 1833, 2637, 3793, 5456, 7848, 11288, 16238, 23357,
    33598, 48329, 69519, 100_000,
];

/// One policy's miss-ratio curve: its misses at each of `capacities` on `trace` (which must
/// carry next uses, as [`cache_trace`]'s does, when `id` is `belady`), each size on a fresh
/// cache. `None` for an unknown id.
pub fn mrc_misses(
    id: &str,
    trace: &[crate::cache::Request],
    capacities: &[u64],
) -> Option<Vec<u64>> {
    capacities
        .iter()
        .map(|&c| cache_policy(id, c).map(|mut p| crate::cache::replay(p.as_mut(), trace).misses))
        .collect()
}

/// A miss-ratio curve may rise with the cache size by at most this share of the requests
/// (0.5 percentage point) before [`check_mrc`] calls it broken.
pub const MRC_RISE_TOLERANCE: f64 = 0.005;

/// What [`check_mrc`] found: `problems` fail the benchmark, `notes` are printed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MrcCheck {
    /// Results that cannot be right.
    pub problems: Vec<String>,
    /// Small rises a policy that is not a stack algorithm may show.
    pub notes: Vec<String>,
}

/// Checks miss-ratio curves (`(policy id, misses at each of capacities)`) on `trace` against
/// what is known of them from outside this code:
/// - Belady's MIN is optimal (Belady 1966; Mattson et al. 1970 for its stack form): at every
///   size no policy misses less than `belady` does;
/// - LRU and MIN are stack algorithms (Mattson et al. 1970): a larger cache holds everything a
///   smaller one holds, so their misses never rise with the size;
/// - any other policy may rise a little (FIFO's anomaly, Belady et al. 1969; random draws), by
///   at most [`MRC_RISE_TOLERANCE`] of the requests, and its small rises are noted;
/// - when every key fits, MIN and LRU miss only on each key's first request.
pub fn check_mrc(
    trace: &[crate::cache::Request],
    capacities: &[u64],
    curves: &[(String, Vec<u64>)],
) -> MrcCheck {
    let mut out = MrcCheck::default();
    let n = trace.len().max(1) as f64;
    let distinct = trace
        .iter()
        .filter(|r| r.next == crate::cache::NEVER)
        .count() as u64;
    let min = curves.iter().find(|(id, _)| id == "belady");
    if min.is_none() {
        out.problems.push("no curve for belady (MIN)".into());
    }
    for (id, misses) in curves {
        if misses.len() != capacities.len() {
            out.problems.push(format!(
                "{id}: {} sizes, expected {}",
                misses.len(),
                capacities.len()
            ));
            continue;
        }
        let stack = id == "lru" || id == "belady";
        for (i, (&c, &m)) in capacities.iter().zip(misses).enumerate() {
            if let Some((_, floor)) = min {
                if floor.get(i).is_some_and(|&f| m < f) {
                    out.problems.push(format!(
                        "{id} beats MIN at {c} objects: {m} misses against MIN's {}",
                        floor[i]
                    ));
                }
            }
            if stack && c >= distinct && m != distinct {
                out.problems.push(format!(
                    "{id} at {c} objects holds all {distinct} keys but missed {m} times, not {distinct}"
                ));
            }
            if i == 0 || m <= misses[i - 1] {
                continue;
            }
            let rise = (m - misses[i - 1]) as f64 / n;
            let text = format!(
                "{id}: misses rise from {} at {} objects to {m} at {c} (+{:.3} %)",
                misses[i - 1],
                capacities[i - 1],
                rise * 100.0
            );
            if stack || rise > MRC_RISE_TOLERANCE {
                out.problems.push(text);
            } else {
                out.notes.push(text);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn workload_is_deterministic() {
        let ring = super::bench_ring();
        assert_eq!(super::lookups(&ring, 1_000), super::lookups(&ring, 1_000));
        assert_eq!(ring.points().len(), 1_000);
    }

    #[test]
    fn adding_an_eleventh_server_moves_about_a_eleventh_except_under_modulo() {
        let keys = super::distinct_keys(20_000);
        let before = super::Strategy::all_over(10);
        let after = super::Strategy::all_over(11);
        for ((name, a), (_, b)) in before.iter().zip(&after) {
            let x = super::place_all(a, 10, &keys);
            let y = super::place_all(b, 11, &keys);
            assert!(
                x.iter().all(|s| *s < 10) && y.iter().all(|s| *s < 11),
                "{name}"
            );
            let share = super::moved(&x, &y) as f64 / keys.len() as f64;
            let want = if *name == "modulo" {
                10.0 / 11.0
            } else {
                1.0 / 11.0
            };
            assert!(
                (share - want).abs() < 0.03,
                "{name}: moved {share:.3}, expected ≈ {want:.3}"
            );
        }
    }

    #[test]
    fn every_strategy_places_every_key_somewhere_valid() {
        let keys = super::bench_keys();
        for (name, s) in super::Strategy::all() {
            assert_eq!(
                super::placements(&s, &keys, 2_048),
                super::placements(&s, &keys, 2_048),
                "{name}"
            );
            if matches!(s, super::Strategy::Modulo | super::Strategy::Jump) {
                assert!(
                    keys.iter().all(|k| s.place(k) < 10),
                    "{name} answers a bucket below 10"
                );
            }
        }
    }

    #[test]
    fn every_cache_benchmark_policy_builds_under_its_own_id() {
        for id in super::CACHE_POLICIES.iter().chain(&["belady"]) {
            let p = super::cache_policy(id, 10).expect(id);
            assert_eq!(p.id(), *id);
            assert_eq!(p.capacity(), 10);
        }
        assert!(super::cache_policy("nope", 10).is_none());
    }

    #[test]
    fn mrc_capacities_are_the_documented_log_spacing() {
        let want: Vec<u64> = (0..20)
            .map(|i| (100.0 * 1000f64.powf(f64::from(i) / 19.0)).round() as u64)
            .collect();
        assert_eq!(super::MRC_CAPACITIES.to_vec(), want);
        assert_eq!(super::MRC_CAPACITIES[19], super::CACHE_KEYS);
    }

    /// A trace small enough to hand-check: 1 2 3 1 2 4 1 2 (four keys).
    fn tiny() -> Vec<crate::cache::Request> {
        let mut t: Vec<_> = [1, 2, 3, 1, 2, 4, 1, 2]
            .into_iter()
            .map(crate::cache::Request::unit)
            .collect();
        crate::cache::annotate_next(&mut t);
        t
    }

    #[test]
    fn mrc_misses_match_a_hand_count() {
        let t = tiny();
        // LRU by hand: 1 object: every request misses (8); 2: 1 2 3 1 2 4 1 2 all miss (8);
        // 3: 1 2 3 miss, 1 2 hit, 4 misses (evicts 3), 1 2 hit: 4; 4: only first requests, 4.
        assert_eq!(
            super::mrc_misses("lru", &t, &[1, 2, 3, 4]),
            Some(vec![8, 8, 4, 4])
        );
        // MIN by hand at 2: 1 2 miss, 3 bypassed (never used again), 1 2 hit, 4 bypassed, 1 2
        // hit: 4 misses.
        assert_eq!(super::mrc_misses("belady", &t, &[2]), Some(vec![4]));
        assert_eq!(super::mrc_misses("nope", &t, &[2]), None);
    }

    #[test]
    fn check_mrc_accepts_real_curves_and_fails_a_policy_that_beats_min() {
        let t = tiny();
        let caps = [1, 2, 3, 4];
        let curve = |id: &str| (id.to_string(), super::mrc_misses(id, &t, &caps).unwrap());
        let real: Vec<_> = ["belady", "lru", "fifo", "s3fifo"].map(curve).to_vec();
        assert_eq!(
            super::check_mrc(&t, &caps, &real).problems,
            Vec::<String>::new()
        );

        let mut beaten = real.clone();
        beaten[1].1[1] = 3; // "LRU" at 2 objects with fewer misses than MIN's 4
        let c = super::check_mrc(&t, &caps, &beaten);
        assert!(
            c.problems
                .iter()
                .any(|p| p.contains("lru beats MIN at 2 objects")),
            "{c:?}"
        );

        // A stack algorithm may not rise at all; another policy a little.
        let mut rising = real.clone();
        rising[1].1 = vec![8, 8, 4, 5];
        rising[2].1 = vec![8, 8, 4, 4];
        let c = super::check_mrc(&t, &caps, &rising);
        assert!(
            c.problems.iter().any(|p| p.contains("lru: misses rise")),
            "{c:?}"
        );
        assert!(
            c.problems
                .iter()
                .any(|p| p.contains("holds all 4 keys but missed 5")),
            "{c:?}"
        );
        assert!(super::check_mrc(&t, &caps, &real[1..]).problems[0].contains("no curve for belady"));
    }
}
