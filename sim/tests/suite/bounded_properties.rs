//! The laws of consistent hashing with bounded loads, checked with proptest against the public
//! API of `sim::hashing::bounded`: random histories stay valid and under the cap
//! `⌈(1 + ε) · mean⌉` and agree with a naive reference; a huge ε is plain consistent hashing;
//! placing a key moves nothing else; removing a server moves all its keys. Last, the experiment a
//! lesson quotes: how many keys move when a server leaves, against plain consistent hashing.
// proptest needs OS randomness for its own seeds; these laws run natively only.
#![cfg(not(target_arch = "wasm32"))]

use crate::common;
use common::hash_fn;

use std::collections::BTreeMap;

use proptest::prelude::*;
use sim::hashing::{BoundedError, BoundedLoads, HashFn, HashRing, Move, RingError};

/// ε in millionths: the lesson's values, 0 (perfect balance), and anything up to 2.
fn epsilon_millionths() -> impl Strategy<Value = u64> {
    prop_oneof![
        1 => Just(0u64),
        3 => prop::sample::select(vec![100_000u64, 250_000, 500_000, 1_000_000]),
        2 => 0u64..=2_000_000,
    ]
}

/// `⌈(1 + ε) · m / n⌉`, computed here independently of the module.
fn cap(epsilon_millionths: u64, m: u64, n: u64) -> u64 {
    if n == 0 {
        return 0;
    }
    ((1_000_000 + epsilon_millionths) * m).div_ceil(1_000_000 * n)
}

/// A small pool of server names, so adds of present servers and removes of absent ones happen.
const SERVERS: [&str; 6] = ["A", "B", "C", "db-1", "db-2", "cache"];

/// A pool of key names, so duplicate places and unknown removes happen too.
const KEYS: usize = 24;

fn key(i: usize) -> String {
    format!("key-{i}")
}

/// One step of a random history.
#[derive(Clone, Debug)]
enum Op {
    Place(usize),
    RemoveKey(usize),
    AddServer(usize),
    RemoveServer(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => (0..KEYS).prop_map(Op::Place),
        3 => (0..KEYS).prop_map(Op::RemoveKey),
        2 => (0..SERVERS.len()).prop_map(Op::AddServer),
        2 => (0..SERVERS.len()).prop_map(Op::RemoveServer),
    ]
}

fn snapshot(b: &BoundedLoads) -> BTreeMap<String, String> {
    b.keys()
        .map(|k| (k.to_owned(), b.server_of(k).expect("placed").to_owned()))
        .collect()
}

/// The moves that turn `before` into `after`, for keys present in both, in `order`.
fn diff(
    before: &BTreeMap<String, String>,
    after: &BTreeMap<String, String>,
    order: &[String],
) -> Vec<Move> {
    order
        .iter()
        .filter_map(|k| match (before.get(k), after.get(k)) {
            (Some(from), Some(to)) if from != to => Some(Move {
                key: k.clone(),
                from: from.clone(),
                to: to.clone(),
            }),
            _ => None,
        })
        .collect()
}

/// The naive reference: keys in arrival order, replayed from scratch after every change. The
/// clockwise walk orders every point by its clockwise distance from the key (ties by server, then
/// index, as `HashRing::lookup_linear` does) and takes the first whose server is below the cap.
#[derive(Debug)]
struct Reference {
    epsilon_millionths: u64,
    arrivals: Vec<String>,
}

impl Reference {
    fn placement(&self, ring: &HashRing) -> BTreeMap<String, String> {
        let mut loads: BTreeMap<&str, u64> = ring.servers().map(|s| (s, 0)).collect();
        let n = u64::from(ring.server_count());
        let mut out = BTreeMap::new();
        for (m, key) in (1u64..).zip(&self.arrivals) {
            let c = cap(self.epsilon_millionths, m, n);
            let pos = ring.position_of(key);
            let mut clockwise: Vec<_> = ring.points().iter().collect();
            clockwise.sort_by_key(|p| (p.position.wrapping_sub(pos), p.server.clone(), p.index));
            let chosen = clockwise
                .iter()
                .find(|p| loads[p.server.as_str()] < c)
                .expect("n · cap > m leaves a server below capacity");
            *loads.get_mut(chosen.server.as_str()).expect("on ring") += 1;
            out.insert(key.clone(), chosen.server.clone());
        }
        out
    }
}

proptest! {
    #![proptest_config(common::config("bounded_properties"))]

    /// Model-based: after every operation the structure validates, no server exceeds
    /// ⌈(1 + ε) · m / n⌉, the errors and the placement match the naive reference, and the moves
    /// reported are exactly the keys whose server changed.
    #[test]
    fn random_histories_stay_under_the_cap_and_match_the_reference(
        hash in hash_fn(),
        vnodes in 1u32..=8,
        eps in epsilon_millionths(),
        initial in 1usize..=4,
        ops in prop::collection::vec(op(), 1..60),
    ) {
        let mut ring = HashRing::new(hash, vnodes).expect("in range");
        for name in &SERVERS[..initial] {
            ring.add_server(name, None).expect("distinct names");
        }
        let epsilon = eps as f64 / 1_000_000.0;
        let mut bounded = BoundedLoads::new(ring, epsilon).expect("ε in range");
        let mut model = Reference { epsilon_millionths: eps, arrivals: Vec::new() };
        for op in ops {
            let before = snapshot(&bounded);
            let order = model.arrivals.clone();
            match op {
                Op::Place(i) => {
                    let k = key(i);
                    let got = bounded.place(&k);
                    if bounded.ring().server_count() == 0 {
                        prop_assert_eq!(got, Err(BoundedError::NoServers), "no servers, no placement");
                    } else if model.arrivals.contains(&k) {
                        prop_assert_eq!(got, Err(BoundedError::DuplicateKey(k)), "placing twice is refused");
                    } else {
                        let placement = got.expect("a fresh key with servers is placed");
                        model.arrivals.push(k.clone());
                        let m = model.arrivals.len() as u64;
                        let n = u64::from(bounded.ring().server_count());
                        prop_assert_eq!(placement.capacity, cap(eps, m, n), "capacity counts the new key");
                        prop_assert!(!placement.skipped.contains(&placement.server), "the chosen server was not skipped");
                        for s in &placement.skipped {
                            prop_assert_eq!(before.values().filter(|v| *v == s).count() as u64, placement.capacity, "skipped {} was full", s);
                        }
                        let after = snapshot(&bounded);
                        prop_assert_eq!(diff(&before, &after, &order), vec![], "placing a key moves no other key");
                    }
                }
                Op::RemoveKey(i) => {
                    let k = key(i);
                    let got = bounded.remove_key(&k);
                    if let Some(at) = model.arrivals.iter().position(|a| *a == k) {
                        model.arrivals.remove(at);
                        let moves = got.expect("a placed key can be removed");
                        prop_assert_eq!(moves, diff(&before, &snapshot(&bounded), &model.arrivals), "moves are the changes");
                    } else {
                        prop_assert_eq!(got, Err(BoundedError::UnknownKey(k)), "removing an absent key is refused");
                    }
                }
                Op::AddServer(i) => {
                    let name = SERVERS[i];
                    let present = bounded.ring().servers().any(|s| s == name);
                    let got = bounded.add_server(name);
                    if present {
                        prop_assert_eq!(got, Err(BoundedError::Ring(RingError::DuplicateServer(name.to_owned()))), "adding a present server is refused");
                    } else {
                        let moves = got.expect("a new server is added");
                        prop_assert_eq!(&moves, &diff(&before, &snapshot(&bounded), &order), "moves are the changes");
                    }
                }
                Op::RemoveServer(i) => {
                    let name = SERVERS[i];
                    let present = bounded.ring().servers().any(|s| s == name);
                    let last_with_keys = bounded.ring().server_count() == 1 && !model.arrivals.is_empty();
                    let got = bounded.remove_server(name);
                    if !present {
                        prop_assert_eq!(got, Err(BoundedError::Ring(RingError::UnknownServer(name.to_owned()))), "removing an absent server is refused");
                    } else if last_with_keys {
                        prop_assert_eq!(got, Err(BoundedError::LastServer(name.to_owned())), "the last server keeps its keys");
                    } else {
                        let moves = got.expect("a present server is removed");
                        let after = snapshot(&bounded);
                        prop_assert_eq!(&moves, &diff(&before, &after, &order), "moves are the changes");
                        for (k, s) in &before {
                            if s == name {
                                prop_assert!(moves.iter().any(|m| &m.key == k), "{}'s key {} moves", name, k);
                            }
                        }
                        prop_assert!(after.values().all(|s| s != name), "no key stays on the removed server");
                    }
                }
            }
            prop_assert!(bounded.validate().is_ok(), "validate() holds after {:?}: {:?}", op, bounded.validate());
            let m = model.arrivals.len() as u64;
            let n = u64::from(bounded.ring().server_count());
            prop_assert_eq!(bounded.key_count(), m, "key count matches");
            prop_assert_eq!(bounded.capacity(), cap(eps, m, n), "capacity is ⌈(1 + ε) · m / n⌉");
            prop_assert!(bounded.max_load() <= cap(eps, m, n), "max load {} exceeds the cap {} after {:?}", bounded.max_load(), cap(eps, m, n), op);
            prop_assert_eq!(snapshot(&bounded), model.placement(bounded.ring()), "placement matches the reference after {:?}", op);
        }
    }

    /// With ε = 100 no server of at most six is ever full, so every key sits at its plain
    /// consistent-hashing owner through any history.
    #[test]
    fn a_huge_epsilon_is_plain_consistent_hashing(
        hash in hash_fn(),
        vnodes in 1u32..=16,
        initial in 1usize..=6,
        ops in prop::collection::vec(op(), 1..60),
    ) {
        let mut ring = HashRing::new(hash, vnodes).expect("in range");
        for name in &SERVERS[..initial] {
            ring.add_server(name, None).expect("distinct names");
        }
        let mut bounded = BoundedLoads::new(ring, 100.0).expect("ε in range");
        for op in ops {
            let result = match op {
                Op::Place(i) => bounded.place(&key(i)).map(|p| {
                    assert!(p.skipped.is_empty(), "nothing is ever full");
                    Vec::new()
                }),
                Op::RemoveKey(i) => bounded.remove_key(&key(i)),
                Op::AddServer(i) => bounded.add_server(SERVERS[i]),
                Op::RemoveServer(i) => bounded.remove_server(SERVERS[i]),
            };
            if let (Ok(moves), Op::RemoveKey(_)) = (&result, &op) {
                prop_assert!(moves.is_empty(), "removing a key moves nothing in plain consistent hashing");
            }
            let ring = bounded.ring();
            for k in bounded.keys() {
                prop_assert_eq!(bounded.server_of(k), ring.owner(ring.position_of(k)), "{} sits at its owner after {:?}", k, op);
            }
        }
    }
}

/// `count` keys placed in order over `servers` servers × `vnodes` vnodes with MurmurHash3.
fn placed(epsilon: f64, servers: u32, vnodes: u32, count: u32) -> BoundedLoads {
    let mut ring = HashRing::new(HashFn::Murmur3_32, vnodes).expect("vnodes in range");
    for s in 0..servers {
        ring.add_server(&format!("server-{s}"), None)
            .expect("distinct names");
    }
    let mut bounded = BoundedLoads::new(ring, epsilon).expect("ε in range");
    for k in 0..count {
        bounded.place(&format!("key-{k}")).expect("servers exist");
    }
    bounded
}

/// The experiment a lesson quotes: 10,000 keys over 10 servers × 100 vnodes, then each server in
/// turn leaves. Plain consistent hashing moves exactly the leaver's keys; bounded loads moves the
/// leaver's keys (at most the cap; 1,000 on average over the ten leavers, as the loads sum to
/// 10,000) plus a cascade of other keys whose turn in the replay finds different loads.
///
/// Columns: the cap ⌈(1 + ε) · m / n⌉ before the removal; the busiest server over the mean load;
/// keys moved per removal (mean, min, max over the ten leavers); the cascade's mean; and the mean
/// over plain consistent hashing's.
#[test]
fn removing_a_server_moves_its_keys_plus_a_bounded_cascade() {
    const SERVERS_N: u32 = 10;
    const VNODES: u32 = 100;
    const KEYS_N: u32 = 10_000;
    let plain = placed(1000.0, SERVERS_N, VNODES, KEYS_N);
    let servers: Vec<String> = plain.ring().servers().map(str::to_owned).collect();
    let plain_moves: Vec<u64> = servers.iter().map(|s| plain.loads()[s]).collect();
    let plain_mean = plain_moves.iter().sum::<u64>() as f64 / plain_moves.len() as f64;
    let mean_load = f64::from(KEYS_N) / f64::from(SERVERS_N);
    println!(
        "{KEYS_N} keys, {SERVERS_N} servers × {VNODES} vnodes (MurmurHash3); each server removed in turn"
    );
    println!(
        "{:>8} {:>5} {:>9} {:>12} {:>10} {:>10} {:>10} {:>10}",
        "ε", "cap", "max/mean", "moves mean", "min", "max", "cascade", "vs plain"
    );
    println!(
        "{:>8} {:>5} {:>9.3} {:>12.1} {:>10} {:>10} {:>10.1} {:>10.2}",
        "plain",
        "-",
        plain.max_load() as f64 / mean_load,
        plain_mean,
        plain_moves.iter().min().expect("servers"),
        plain_moves.iter().max().expect("servers"),
        0.0,
        1.0
    );
    let mut cascade_means: Vec<(f64, f64, f64)> = Vec::new();
    for epsilon in [0.1, 0.25, 0.5, 1.0] {
        let bounded = placed(epsilon, SERVERS_N, VNODES, KEYS_N);
        bounded.validate().expect("valid after 10,000 placements");
        assert!(
            bounded.max_load() <= bounded.capacity(),
            "ε = {epsilon}: max load within the cap"
        );
        let mut totals = Vec::new();
        let mut cascades = Vec::new();
        for victim in &servers {
            let mut after = bounded.clone();
            let moves = after.remove_server(victim).expect("victim is on the ring");
            let own = bounded.loads()[victim];
            let cascade = moves.iter().filter(|m| &m.from != victim).count() as u64;
            assert_eq!(
                moves.len() as u64,
                own + cascade,
                "ε = {epsilon}: every key of {victim} moves"
            );
            assert!(
                after.max_load() <= after.capacity(),
                "ε = {epsilon}: max load within the cap after removing {victim}"
            );
            totals.push(moves.len() as u64);
            cascades.push(cascade);
        }
        let mean = totals.iter().sum::<u64>() as f64 / totals.len() as f64;
        let cascade_mean = cascades.iter().sum::<u64>() as f64 / cascades.len() as f64;
        println!(
            "{:>8} {:>5} {:>9.3} {:>12.1} {:>10} {:>10} {:>10.1} {:>10.2}",
            epsilon,
            bounded.capacity(),
            bounded.max_load() as f64 / mean_load,
            mean,
            totals.iter().min().expect("servers"),
            totals.iter().max().expect("servers"),
            cascade_mean,
            mean / plain_mean
        );
        cascade_means.push((epsilon, cascade_mean, mean / plain_mean));
    }
    // The inputs are fixed, so these are exact regressions, not statistics.
    for pair in cascade_means.windows(2) {
        assert!(
            pair[1].1 < pair[0].1,
            "the cascade shrinks as ε grows: {cascade_means:?}"
        );
    }
    for &(epsilon, _, vs_plain) in &cascade_means[1..] {
        assert!(
            vs_plain < 1.05,
            "ε = {epsilon}: within 5% of plain consistent hashing's moves, got {vs_plain:.3}"
        );
    }
}
