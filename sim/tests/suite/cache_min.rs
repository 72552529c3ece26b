//! Belady's MIN against an exhaustive search, and as a floor for every policy.
//!
//! (a) On small random unit-size traces MIN's misses equal the optimum found by trying every
//!     choice at every miss (bypass, or store evicting any one cached object).
//! (b) No policy in [`policies`] ever has fewer misses than MIN on a random unit-size trace.
//! Plus a hand-worked trace, MIN's invariants with sizes, and its bad-input refusals.
// proptest needs OS randomness for its own seeds; these laws run natively only.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use sim::cache::belady::Belady;
use sim::cache::s3fifo::S3Fifo;
use sim::cache::tinylfu::TinyLfu;
use sim::cache::{
    annotate_next, build, replay, CacheEvent, Outcome, Policy, Request, NEVER, POLICIES,
};

/// Every policy MIN must never lose to, built at a capacity: every entry of
/// `cache::POLICIES` but MIN itself (so a policy added there is covered here without a
/// change), plus the variants the factory does not build (W-TinyLFU with its doorkeeper,
/// S3-FIFO moving at frequency 1).
fn policies(capacity: u64) -> Vec<Box<dyn Policy>> {
    let mut all: Vec<Box<dyn Policy>> = POLICIES
        .iter()
        .filter(|&&(id, _)| id != Belady::new(1).id())
        .map(|&(id, _)| build(id, capacity, 1).unwrap())
        .collect();
    all.push(Box::new(TinyLfu::with_doorkeeper(capacity, true)));
    all.push(Box::new(S3Fifo::with_threshold(capacity, 1).unwrap()));
    all
}

fn unit_trace(keys: &[u64]) -> Vec<Request> {
    let mut trace: Vec<Request> = keys.iter().map(|&k| Request::unit(k)).collect();
    annotate_next(&mut trace);
    trace
}

/// The fewest misses any replacement schedule achieves: at each miss, try bypassing and
/// storing (evicting any one cached object, or none while there is room). Memoised on
/// (position, cached set). Independent of `annotate_next` and of MIN's code.
fn brute_force_min_misses(keys: &[u64], capacity: usize) -> u32 {
    brute_force(keys, capacity, true)
}

/// The exhaustive search; `bypass` allows not storing a missed object (demand paging, as in
/// operating-system textbooks, must store every page).
fn brute_force(keys: &[u64], capacity: usize, bypass: bool) -> u32 {
    fn go(
        i: usize,
        cache: &BTreeSet<u64>,
        keys: &[u64],
        capacity: usize,
        bypass: bool,
        memo: &mut BTreeMap<(usize, Vec<u64>), u32>,
    ) -> u32 {
        if i == keys.len() {
            return 0;
        }
        let memo_key = (i, cache.iter().copied().collect::<Vec<_>>());
        if let Some(&m) = memo.get(&memo_key) {
            return m;
        }
        let k = keys[i];
        let best = if cache.contains(&k) {
            go(i + 1, cache, keys, capacity, bypass, memo)
        } else {
            let mut best = u32::MAX;
            if bypass || capacity == 0 {
                best = 1 + go(i + 1, cache, keys, capacity, bypass, memo);
            }
            // Store without evicting, while there is room.
            if cache.len() < capacity {
                let mut next = cache.clone();
                next.insert(k);
                best = best.min(1 + go(i + 1, &next, keys, capacity, bypass, memo));
            }
            // Store in place of any cached object (also when there is room: more choices
            // cannot hide the optimum).
            for &v in cache {
                let mut next = cache.clone();
                next.remove(&v);
                next.insert(k);
                best = best.min(1 + go(i + 1, &next, keys, capacity, bypass, memo));
            }
            best
        };
        memo.insert(memo_key, best);
        best
    }
    go(
        0,
        &BTreeSet::new(),
        keys,
        capacity,
        bypass,
        &mut BTreeMap::new(),
    )
}

fn min_misses(keys: &[u64], capacity: u64) -> u64 {
    let trace = unit_trace(keys);
    let mut min = Belady::new(capacity);
    let mut misses = 0;
    for req in &trace {
        if min.access(req, None) == Outcome::Miss {
            misses += 1;
        }
        min.validate().unwrap();
        assert!(min.used() <= min.capacity(), "MIN exceeded its capacity");
    }
    misses
}

#[test]
fn brute_force_knows_the_textbook_answer() {
    // The classic page-reference string (Silberschatz et al., "Operating System Concepts",
    // optimal replacement, 3 frames): 7 0 1 2 0 3 0 4 2 3 0 3 2 1 2 0 1 7 0 1 gives 9 page
    // faults under demand paging (every page is loaded). A cache may also bypass: by hand, at
    // the 4 (index 7; cache 2 0 3, next uses 8, 10, 9; 4 never again) demand paging must evict
    // 0 and fault on it at index 10, while MIN bypasses 4 and keeps 0. So 8 with bypass.
    let refs = [7, 0, 1, 2, 0, 3, 0, 4, 2, 3, 0, 3, 2, 1, 2, 0, 1, 7, 0, 1];
    assert_eq!(brute_force(&refs, 3, false), 9);
    assert_eq!(brute_force_min_misses(&refs, 3), 8);
    assert_eq!(min_misses(&refs, 3), 8);
}

#[test]
fn min_bypasses_an_object_used_later_than_everything_cached() {
    // Capacity 2. Trace: a b c a b a b (a=1, b=2, c=3).
    // After a, b the cache is full. c is next used never: MIN refuses it rather than evict
    // a (next at 3) or b (next at 4). Then a, b, a, b all hit: 3 misses in all.
    let keys = [1, 2, 3, 1, 2, 1, 2];
    let trace = unit_trace(&keys);
    let mut min = Belady::new(2);
    let mut events = Vec::new();
    let outcomes: Vec<Outcome> = trace
        .iter()
        .map(|r| min.access(r, Some(&mut events)))
        .collect();
    assert_eq!(
        outcomes.iter().filter(|&&o| o == Outcome::Miss).count(),
        3,
        "{outcomes:?}"
    );
    assert!(events.iter().any(|e| matches!(
        e,
        CacheEvent::Refuse { key: 3, why } if why.contains("never requested again")
    )));
    // Now c comes back twice: a b c a b a b c b c (indices 0–9). At 2, c's next use (7) is
    // later than a's (3) and b's (4): bypassed. At 7, c (next at 9) replaces a, whose next use
    // is never, rather than b (next at 8).
    let keys = [1, 2, 3, 1, 2, 1, 2, 3, 2, 3];
    let trace = unit_trace(&keys);
    let mut min = Belady::new(2);
    let mut events = Vec::new();
    for r in &trace {
        min.access(r, Some(&mut events));
    }
    assert!(events.iter().any(|e| matches!(
        e,
        CacheEvent::Refuse { key: 3, why } if why.contains("farther")
    )));
    assert!(events.iter().any(|e| matches!(
        e,
        CacheEvent::Evict { key: 1, why, .. } if why.contains("farthest")
    )));
    assert_eq!(
        min_misses(&keys, 2),
        brute_force_min_misses(&keys, 2) as u64
    );
}

#[test]
fn min_refuses_bad_input_without_panicking() {
    let mut min = Belady::new(4);
    let mut events = Vec::new();
    // Too large for the cache.
    let big = Request {
        key: 1,
        size: 5,
        next: 3,
    };
    assert_eq!(min.access(&big, Some(&mut events)), Outcome::Miss);
    assert!(!min.contains(1));
    // No future known (not annotated): treated as never used again, refused.
    assert_eq!(
        min.access(&Request::unit(2), Some(&mut events)),
        Outcome::Miss
    );
    assert!(!min.contains(2));
    let refusals = events
        .iter()
        .filter(|e| matches!(e, CacheEvent::Refuse { .. }))
        .count();
    assert_eq!(refusals, 2, "{events:?}");
    // Zero capacity: everything is refused, nothing panics.
    let mut empty = Belady::new(0);
    for r in unit_trace(&[1, 1, 2]) {
        assert_eq!(empty.access(&r, None), Outcome::Miss);
        empty.validate().unwrap();
    }
}

#[test]
fn min_with_sizes_respects_capacity_and_stays_valid() {
    // With sizes MIN is a heuristic (see its module doc); what must hold is the invariants.
    let mut rng = sim::rng::SimRng::new(7);
    for case in 0..200u64 {
        let capacity = 1 + rng.below(40);
        let mut trace: Vec<Request> = (0..200)
            .map(|_| {
                let key = rng.below(30);
                // A key keeps one size.
                let size = 1 + (sim::rng::splitmix64_fmix(key ^ case) % 12) as u32;
                Request {
                    key,
                    size,
                    next: NEVER,
                }
            })
            .collect();
        annotate_next(&mut trace);
        let mut min = Belady::new(capacity);
        for r in &trace {
            min.access(r, None);
            min.validate()
                .unwrap_or_else(|e| panic!("case {case}: {e}"));
            assert!(min.used() <= capacity, "case {case}");
        }
    }
}

fn small_trace() -> impl Strategy<Value = (Vec<u64>, u64)> {
    (prop::collection::vec(0u64..6, 0..13), 1u64..5)
}

fn longer_trace() -> impl Strategy<Value = (Vec<u64>, u64)> {
    (
        prop::collection::vec(prop_oneof![3 => 0u64..8, 2 => 0u64..40], 0..400),
        1u64..24,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// (a) MIN is optimal on unit sizes: it equals the exhaustive optimum.
    #[test]
    fn min_equals_the_brute_force_optimum((keys, capacity) in small_trace()) {
        let expected = brute_force_min_misses(&keys, capacity as usize);
        prop_assert_eq!(min_misses(&keys, capacity), u64::from(expected));
    }

    /// (b) No policy beats MIN on a unit-size trace.
    #[test]
    fn no_policy_beats_min((keys, capacity) in longer_trace()) {
        let trace = unit_trace(&keys);
        let floor = min_misses(&keys, capacity);
        for mut policy in policies(capacity) {
            let stats = replay(policy.as_mut(), &trace);
            prop_assert!(
                stats.misses >= floor,
                "{} had {} misses, fewer than MIN's {} (capacity {})",
                policy.id(), stats.misses, floor, capacity
            );
        }
    }
}
