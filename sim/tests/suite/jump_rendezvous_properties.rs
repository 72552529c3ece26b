//! The laws of jump consistent hash and rendezvous hashing, checked with proptest against the
//! public API of `sim::hashing::{jump, rendezvous}`, and the experiments a lesson quotes: how many
//! keys move when a bucket or server is added or removed, and how evenly keys spread.
// proptest needs OS randomness for its own seeds; these laws run natively only.
#![cfg(not(target_arch = "wasm32"))]

use crate::common;
use common::name_sets;

use std::collections::{BTreeMap, BTreeSet};
use std::num::NonZeroU32;

use proptest::prelude::*;
use sim::hashing::jump::{jump_bucket, jump_hash};
use sim::hashing::rendezvous::{score, Rendezvous, RendezvousError, DEFAULT_WEIGHT};

fn nz(buckets: u32) -> NonZeroU32 {
    NonZeroU32::new(buckets).expect("non-zero bucket count")
}

/// Any bucket count, weighted towards the small counts a lesson uses and the extremes.
fn bucket_count() -> impl Strategy<Value = u32> {
    prop_oneof![
        4 => 1u32..=64,
        2 => 1u32..=100_000,
        1 => 1u32..=u32::MAX,
        1 => Just(i32::MAX as u32),
        1 => Just(u32::MAX - 1),
    ]
}

// ---------------------------------------------------------------- jump: exact laws

proptest! {
    #![proptest_config(common::config("jump_rendezvous_properties"))]

    /// The bucket is always one of `0..buckets`.
    #[test]
    fn jump_lands_below_the_bucket_count(key in any::<u64>(), buckets in bucket_count()) {
        let b = jump_hash(key, nz(buckets));
        prop_assert!(b < buckets, "jump_hash({}, {}) = {} must be below the count", key, buckets, b);
    }

    /// Monotonicity: going from n to n + 1 buckets a key stays put or moves to the new bucket n;
    /// going from n to any m > n it stays put or moves to one of the new buckets n..m.
    #[test]
    fn jump_growth_moves_keys_only_to_new_buckets(
        key in any::<u64>(),
        n in bucket_count().prop_filter("room to grow", |&n| n < u32::MAX),
        extra in 1u32..=1000,
    ) {
        let before = jump_hash(key, nz(n));
        let next = jump_hash(key, nz(n + 1));
        prop_assert!(next == before || next == n,
            "key {} from {} to {} buckets: {} -> {} must stay or go to bucket {}", key, n, n + 1, before, next, n);
        let m = n.saturating_add(extra);
        let later = jump_hash(key, nz(m));
        prop_assert!(later == before || later >= n,
            "key {} from {} to {} buckets: {} -> {} must stay or go to a new bucket", key, n, m, before, later);
    }

    /// A string key's bucket is the bucket of its FNV-1a 64 hash, and obeys the same laws.
    #[test]
    fn jump_bucket_of_a_string_grows_monotonically(key in ".{0,24}", n in 1u32..=1000) {
        let before = jump_bucket(&key, nz(n));
        let after = jump_bucket(&key, nz(n + 1));
        prop_assert!(before < n, "bucket below the count");
        prop_assert!(after == before || after == n, "{:?}: {} -> {} with {} -> {} buckets", key, before, after, n, n + 1);
    }
}

// ---------------------------------------------------------------- rendezvous: exact laws

fn server_name() -> impl Strategy<Value = String> {
    "[A-Za-z0-9-]{1,8}"
}

fn weight() -> impl Strategy<Value = f64> {
    prop_oneof![
        3 => Just(DEFAULT_WEIGHT),
        2 => prop::sample::select(vec![0.5, 2.0, 3.0, 10.0]),
        1 => 0.01f64..100.0,
    ]
}

fn server_set(max: usize) -> impl Strategy<Value = BTreeMap<String, f64>> {
    prop::collection::btree_map(server_name(), weight(), 1..max)
}

fn keys() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(".{0,16}", 1..60)
}

fn build(servers: &BTreeMap<String, f64>) -> Rendezvous {
    let mut r = Rendezvous::new();
    for (name, &w) in servers {
        r.add_server(name, w)
            .expect("distinct valid names and weights");
    }
    r
}

/// The naive reference: score every server, sort by (score descending, name ascending).
fn reference_ranking<'a>(servers: &'a BTreeMap<String, f64>, key: &str) -> Vec<&'a str> {
    let mut ranked: Vec<(&str, f64)> = servers
        .iter()
        .map(|(name, &w)| (name.as_str(), score(name, key, w)))
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
    ranked.into_iter().map(|(name, _)| name).collect()
}

proptest! {
    #![proptest_config(common::config("jump_rendezvous_properties"))]

    /// `owner` and `top_n` agree with scoring every server and sorting.
    #[test]
    fn rendezvous_agrees_with_the_naive_ranking(servers in server_set(12), keys in keys()) {
        let r = build(&servers);
        for key in &keys {
            let want = reference_ranking(&servers, key);
            prop_assert_eq!(r.owner(key), want.first().copied(), "owner of {:?} is the top scorer", key);
            prop_assert_eq!(r.top_n(key, r.server_count()), want, "ranking of {:?}", key);
        }
    }

    /// Removing a server moves only the keys it owned, each to the server that scored second,
    /// and every other server keeps its place in every key's ranking.
    #[test]
    fn rendezvous_removal_moves_only_the_victims_keys_to_their_runners_up(
        servers in server_set(12),
        victim_pick in any::<prop::sample::Index>(),
        keys in keys(),
    ) {
        prop_assume!(servers.len() >= 2);
        let before = build(&servers);
        let names: Vec<&str> = before.servers().collect();
        let victim = names[victim_pick.index(names.len())].to_owned();
        let mut after = before.clone();
        prop_assert_eq!(after.remove_server(&victim), Ok(servers[&victim]), "removal returns the weight");
        prop_assert!(after.validate().is_ok(), "valid after removal");
        for key in &keys {
            let old = before.top_n(key, before.server_count());
            let new = after.owner(key).expect("still non-empty");
            if old[0] == victim {
                prop_assert_eq!(new, old[1], "{:?} goes to its runner-up", key);
            } else {
                prop_assert_eq!(new, old[0], "{:?} not owned by {} must not move", key, &victim);
            }
            let without: Vec<&str> = old.iter().copied().filter(|&s| s != victim).collect();
            prop_assert_eq!(after.top_n(key, after.server_count()), without, "the ranking of {:?} loses only the victim", key);
        }
    }

    /// Adding a server moves keys only to the newcomer; removing it again restores the set.
    #[test]
    fn rendezvous_addition_moves_keys_only_to_the_newcomer(
        servers in server_set(12),
        newcomer in server_name(),
        w in weight(),
        keys in keys(),
    ) {
        prop_assume!(!servers.contains_key(&newcomer));
        let before = build(&servers);
        let mut after = before.clone();
        after.add_server(&newcomer, w).expect("new name, valid weight");
        for key in &keys {
            let old = before.owner(key).expect("non-empty");
            let new = after.owner(key).expect("non-empty");
            prop_assert!(new == old || new == newcomer, "{:?} moves from {} only to the newcomer, not {}", key, old, new);
        }
        after.remove_server(&newcomer).expect("present");
        prop_assert_eq!(after, before, "add then remove is the identity");
    }

    /// Raising one server's weight moves keys only to it; lowering it moves keys only away.
    #[test]
    fn rendezvous_weight_change_moves_keys_only_to_or_from_that_server(
        servers in server_set(12),
        pick in any::<prop::sample::Index>(),
        w in weight(),
        keys in keys(),
    ) {
        let before = build(&servers);
        let names: Vec<&str> = before.servers().collect();
        let changed = names[pick.index(names.len())].to_owned();
        let old_w = servers[&changed];
        let mut after = before.clone();
        prop_assert_eq!(after.set_weight(&changed, w), Ok(old_w), "set_weight returns the old weight");
        for key in &keys {
            let old = before.owner(key).expect("non-empty");
            let new = after.owner(key).expect("non-empty");
            if old == new {
                continue;
            }
            if w > old_w {
                prop_assert_eq!(new, changed.as_str(), "a heavier {} only gains keys", &changed);
            } else {
                prop_assert_eq!(old, changed.as_str(), "a lighter {} only loses keys", &changed);
            }
        }
    }

    /// The replica set: distinct servers, owner first, min(n, servers) of them, and a longer
    /// set extends a shorter one.
    #[test]
    fn rendezvous_top_n_is_distinct_and_starts_with_the_owner(
        servers in server_set(12),
        key in ".{0,16}",
        n in 0u32..14,
    ) {
        let r = build(&servers);
        let top = r.top_n(&key, n);
        prop_assert_eq!(top.len() as u32, n.min(r.server_count()), "length is min(n, servers)");
        let distinct: BTreeSet<&str> = top.iter().copied().collect();
        prop_assert_eq!(distinct.len(), top.len(), "replicas are distinct servers");
        if n > 0 {
            prop_assert_eq!(top.first().copied(), r.owner(&key), "the owner comes first");
        }
        let longer = r.top_n(&key, n + 1);
        prop_assert_eq!(&longer[..top.len()], &top[..], "a shorter set is a prefix of a longer one");
    }
}

/// One step of a random membership history.
#[derive(Clone, Debug)]
enum Op {
    Add(usize, f64),
    Remove(usize),
    SetWeight(usize, f64),
}

/// A small pool of names, so that duplicate adds and unknown removes happen often.
const POOL: [&str; 6] = ["A", "B", "C", "db-1", "db-2", "cache"];

fn op() -> impl Strategy<Value = Op> {
    // Weights include invalid ones, which must be refused without changing anything.
    let any_weight = prop_oneof![
        6 => weight(),
        1 => prop::sample::select(vec![0.0, -1.0, f64::INFINITY, f64::NAN]),
    ];
    prop_oneof![
        4 => (0..POOL.len(), any_weight.clone()).prop_map(|(i, w)| Op::Add(i, w)),
        3 => (0..POOL.len()).prop_map(Op::Remove),
        2 => (0..POOL.len(), any_weight).prop_map(|(i, w)| Op::SetWeight(i, w)),
    ]
}

fn valid_weight(w: f64) -> bool {
    w.is_finite() && w > 0.0
}

proptest! {
    #![proptest_config(common::config("jump_rendezvous_properties"))]

    /// Model-based: after every operation the set validates, reports the same result as a plain
    /// map of name → weight, and ranks every probe key like the naive reference.
    #[test]
    fn rendezvous_random_histories_match_the_reference(
        ops in prop::collection::vec(op(), 1..40),
        keys in prop::collection::vec(".{0,12}", 10),
    ) {
        let mut r = Rendezvous::new();
        let mut model: BTreeMap<String, f64> = BTreeMap::new();
        for op in ops {
            match op {
                Op::Add(i, w) => {
                    let name = POOL[i];
                    let got = r.add_server(name, w);
                    if !valid_weight(w) {
                        prop_assert!(matches!(got, Err(RendezvousError::InvalidWeight { .. })), "invalid weight {} refused", w);
                    } else if model.contains_key(name) {
                        prop_assert_eq!(got, Err(RendezvousError::DuplicateServer(name.to_owned())), "duplicate refused");
                    } else {
                        model.insert(name.to_owned(), w);
                        prop_assert_eq!(got, Ok(()), "new server accepted");
                    }
                }
                Op::Remove(i) => {
                    let name = POOL[i];
                    let got = r.remove_server(name);
                    match model.remove(name) {
                        Some(w) => prop_assert_eq!(got, Ok(w), "removal returns the weight"),
                        None => prop_assert_eq!(got, Err(RendezvousError::UnknownServer(name.to_owned())), "unknown refused"),
                    }
                }
                Op::SetWeight(i, w) => {
                    let name = POOL[i];
                    let got = r.set_weight(name, w);
                    if !valid_weight(w) {
                        prop_assert!(matches!(got, Err(RendezvousError::InvalidWeight { .. })), "invalid weight {} refused", w);
                    } else if let Some(old) = model.get_mut(name) {
                        prop_assert_eq!(got, Ok(*old), "set_weight returns the old weight");
                        *old = w;
                    } else {
                        prop_assert_eq!(got, Err(RendezvousError::UnknownServer(name.to_owned())), "unknown refused");
                    }
                }
            }
            prop_assert!(r.validate().is_ok(), "validate() holds after {:?}: {:?}", op, r.validate());
            prop_assert_eq!(r.server_count() as usize, model.len(), "server count matches");
            for (name, &w) in &model {
                prop_assert_eq!(r.weight(name), Some(w), "weight of {} matches", name);
            }
            for key in &keys {
                prop_assert_eq!(r.top_n(key, 10), reference_ranking(&model, key), "ranking of {:?}", key);
            }
        }
    }
}

// ---------------------------------------------------------------- experiments

/// The keys the experiments place: `"key-0"`, `"key-1"`, …
fn key_names(count: u32) -> Vec<String> {
    (0..count).map(|k| format!("key-{k}")).collect()
}

/// Max load / mean load and Pearson's chi-square statistic against `expected` shares.
fn spread(counts: &[u32], expected: &[f64]) -> (f64, f64) {
    let total: u32 = counts.iter().sum();
    let total = f64::from(total);
    let mut worst: f64 = 0.0;
    let mut chi2 = 0.0;
    for (&c, &p) in counts.iter().zip(expected) {
        let want = total * p;
        worst = worst.max(f64::from(c) / want);
        chi2 += (f64::from(c) - want).powi(2) / want;
    }
    (worst, chi2)
}

/// Growing from n to n + 1 buckets moves exactly the keys that land in the new bucket, about
/// 1/(n+1) of them.
///
/// With K = 100,000 keys the count moved is binomial(K, 1/(n+1)) if jump hash is as good as its
/// paper claims, so the test allows 5 standard deviations, sqrt(K p (1 − p)), either side: a
/// scheme that moved 1/n or 2/(n+1) of the keys is tens of deviations away even at n = 1000.
#[test]
fn jump_growth_moves_about_one_over_n_plus_one_of_the_keys() {
    const KEYS: u32 = 100_000;
    let keys = key_names(KEYS);
    println!("jump: growing n -> n+1 buckets, {KEYS} keys \"key-0\"..");
    println!(
        "{:>6} {:>9} {:>9} {:>7} {:>7}",
        "n", "moved", "1/(n+1)", "ratio", "z"
    );
    for n in [1u32, 2, 4, 9, 19, 99, 999] {
        let mut moved = 0u32;
        for key in &keys {
            let before = jump_bucket(key, nz(n));
            let after = jump_bucket(key, nz(n + 1));
            if before != after {
                assert_eq!(after, n, "{key:?} moves only to the new bucket {n}");
                moved += 1;
            }
        }
        let p = 1.0 / f64::from(n + 1);
        let k = f64::from(KEYS);
        let fraction = f64::from(moved) / k;
        let z = (f64::from(moved) - k * p) / (k * p * (1.0 - p)).sqrt();
        println!(
            "{n:>6} {fraction:>9.5} {p:>9.5} {:>7.4} {z:>7.2}",
            fraction / p
        );
        assert!(
            z.abs() < 5.0,
            "growing {n} -> {} buckets moves about 1/(n+1) of the keys: got {fraction:.5}, z = {z:.2}",
            n + 1
        );
    }
}

/// Jump hash cannot remove an arbitrary bucket: dropping server s3 of s0..s9 means renumbering
/// s4..s9 down by one, and every key whose bucket number changes meaning moves. Dropping the
/// last server moves only its own 1/10.
#[test]
fn jump_removing_a_middle_bucket_moves_far_more_than_removing_the_last() {
    const KEYS: u32 = 100_000;
    let servers: Vec<String> = (0..10).map(|i| format!("s{i}")).collect();
    let moved_when_dropping = |gone: usize| {
        let remaining: Vec<&String> = servers
            .iter()
            .enumerate()
            .filter(|&(i, _)| i != gone)
            .map(|(_, s)| s)
            .collect();
        key_names(KEYS)
            .iter()
            .filter(|key| {
                let before = &servers[jump_bucket(key, nz(10)) as usize];
                let after = remaining[jump_bucket(key, nz(9)) as usize];
                before != after
            })
            .count() as f64
            / f64::from(KEYS)
    };
    println!("jump: dropping one of 10 servers, {KEYS} keys");
    let mut fractions = Vec::new();
    for gone in 0..10 {
        let f = moved_when_dropping(gone);
        println!("  drop s{gone}: {f:.4} of the keys move");
        fractions.push(f);
    }
    let last = fractions[9];
    assert!(
        (last - 0.1).abs() < 0.005,
        "dropping the last of 10 buckets moves its own 1/10, got {last:.4}"
    );
    assert!(
        fractions[3] > 3.0 * last,
        "dropping s3 renumbers s4..s9 and moves far more than 1/10, got {:.4}",
        fractions[3]
    );
}

/// 100,000 keys over 10 buckets: max/mean load and chi-square.
///
/// Under a uniform assignment each bucket's count has standard deviation about 95 (under 1% of
/// the mean 10,000), so max/mean < 1.03 is over 3 deviations for the busiest of ten; chi-square
/// with 9 degrees of freedom exceeds 30 with probability about 0.0004.
#[test]
fn jump_spreads_keys_evenly_over_ten_buckets() {
    const KEYS: u32 = 100_000;
    let mut counts = [0u32; 10];
    for key in key_names(KEYS) {
        counts[jump_bucket(&key, nz(10)) as usize] += 1;
    }
    let (max_over_mean, chi2) = spread(&counts, &[0.1; 10]);
    println!("jump: {KEYS} keys over 10 buckets: {counts:?}");
    println!("jump: max/mean {max_over_mean:.4}, chi-square (9 df) {chi2:.2}");
    assert!(
        max_over_mean < 1.03,
        "busiest bucket within 3% of the mean, got {max_over_mean:.4}"
    );
    assert!(chi2 < 30.0, "chi-square below 30, got {chi2:.2}");
}

fn load(r: &Rendezvous, keys: &[String]) -> Vec<u32> {
    let mut load: BTreeMap<&str, u32> = r.servers().map(|s| (s, 0)).collect();
    for key in keys {
        *load
            .get_mut(r.owner(key).expect("non-empty"))
            .expect("owner is a server") += 1;
    }
    load.into_values().collect()
}

fn equal_servers(names: &[String]) -> Rendezvous {
    let mut r = Rendezvous::new();
    for name in names {
        r.add_server(name, DEFAULT_WEIGHT).expect("distinct names");
    }
    r
}

/// Adding a server to N moves keys only to it, about 1/(N+1) of them.
///
/// Unlike a ring, rendezvous has no arcs: each key independently moves with probability
/// 1/(N+1), so the count moved out of K = 20,000 keys is binomial. Each of 30 random name sets
/// must land within 5 standard deviations.
#[test]
fn rendezvous_addition_moves_about_one_over_n_plus_one_of_the_keys() {
    const KEYS: u32 = 20_000;
    let keys = key_names(KEYS);
    let mut ratios = Vec::new();
    for names in name_sets(30, 3..=12) {
        let (newcomer, existing) = names.split_last().expect("at least 3 names");
        let before = equal_servers(existing);
        let mut after = before.clone();
        after
            .add_server(newcomer, DEFAULT_WEIGHT)
            .expect("distinct names");
        let mut moved = 0u32;
        for key in &keys {
            let old = before.owner(key).expect("non-empty");
            let new = after.owner(key).expect("non-empty");
            if old != new {
                assert_eq!(new, newcomer, "{key:?} moves only to the newcomer");
                moved += 1;
            }
        }
        let p = 1.0 / (existing.len() as f64 + 1.0);
        let k = f64::from(KEYS);
        let z = (f64::from(moved) - k * p) / (k * p * (1.0 - p)).sqrt();
        assert!(
            z.abs() < 5.0,
            "adding {newcomer} to {} servers moves about 1/(N+1) of the keys: z = {z:.2}",
            existing.len()
        );
        ratios.push(f64::from(moved) / k / p);
    }
    let mean = ratios.iter().sum::<f64>() / ratios.len() as f64;
    let (lo, hi) = ratios.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), &r| {
        (lo.min(r), hi.max(r))
    });
    println!(
        "rendezvous: moved / (1/(N+1)) over {} trials, {KEYS} keys: mean {mean:.4}, min {lo:.4}, max {hi:.4}",
        ratios.len()
    );
}

/// Equal weights, 100,000 keys over 10 servers: the same bounds as for jump hash.
#[test]
fn rendezvous_spreads_keys_evenly_over_ten_equal_servers() {
    const KEYS: u32 = 100_000;
    let names: Vec<String> = (0..10).map(|i| format!("server-{i}")).collect();
    let counts = load(&equal_servers(&names), &key_names(KEYS));
    let (max_over_mean, chi2) = spread(&counts, &[0.1; 10]);
    println!("rendezvous: {KEYS} keys over 10 equal servers: {counts:?}");
    println!("rendezvous: max/mean {max_over_mean:.4}, chi-square (9 df) {chi2:.2}");
    assert!(
        max_over_mean < 1.03,
        "busiest server within 3% of the mean, got {max_over_mean:.4}"
    );
    assert!(chi2 < 30.0, "chi-square below 30, got {chi2:.2}");
}

/// Weights 1 : 2 : 3 over 100,000 keys give shares near 1/6 : 2/6 : 3/6.
///
/// Each share's standard deviation is at most sqrt(0.25 / 100,000) ≈ 0.0016, so ±0.008 is 5
/// deviations; chi-square with 2 degrees of freedom exceeds 20 with probability 0.00005.
#[test]
fn rendezvous_weights_one_two_three_give_shares_one_two_three_sixths() {
    const KEYS: u32 = 100_000;
    let mut r = Rendezvous::new();
    // Name order is the order `load` reports.
    for (name, w) in [("a-small", 1.0), ("b-medium", 2.0), ("c-large", 3.0)] {
        r.add_server(name, w).expect("valid");
    }
    let counts = load(&r, &key_names(KEYS));
    let expected = [1.0 / 6.0, 2.0 / 6.0, 3.0 / 6.0];
    let (_, chi2) = spread(&counts, &expected);
    let shares: Vec<f64> = counts
        .iter()
        .map(|&c| f64::from(c) / f64::from(KEYS))
        .collect();
    println!("rendezvous: weights 1:2:3, {KEYS} keys: {counts:?}");
    println!(
        "rendezvous: shares {:.4} {:.4} {:.4} (want {:.4} {:.4} {:.4}), chi-square (2 df) {chi2:.2}",
        shares[0], shares[1], shares[2], expected[0], expected[1], expected[2]
    );
    for (share, want) in shares.iter().zip(expected) {
        assert!(
            (share - want).abs() < 0.008,
            "weight share {want:.4} within 0.008, got {share:.4}"
        );
    }
    assert!(chi2 < 20.0, "chi-square below 20, got {chi2:.2}");
}
