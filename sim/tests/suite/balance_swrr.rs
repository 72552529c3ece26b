//! nginx's smooth weighted round robin (`sim::balance::swrr`): nginx's own sequence for weights
//! {5, 1, 1}, the weights honoured over every cycle, the smoothness bound, and failure accounting
//! worked by hand from `ngx_http_upstream_round_robin.c`.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

#[cfg(not(target_arch = "wasm32"))] // used by the proptest blocks only
use crate::common;

use sim::balance::swrr::{PeerId, PeerSpec, Skip, SmoothWrr, Tier};
use sim::time::SimTime;

fn wrr(weights: &[u32]) -> SmoothWrr {
    let specs = weights
        .iter()
        .enumerate()
        .map(|(i, w)| PeerSpec::new(&((b'a' + i as u8) as char).to_string(), *w))
        .collect();
    SmoothWrr::new(specs, Vec::new()).unwrap()
}

fn name(b: &SmoothWrr, id: PeerId) -> String {
    b.peer(id).unwrap().spec.name.clone()
}

fn primary(index: u32) -> PeerId {
    PeerId {
        tier: Tier::Primary,
        index,
    }
}

/// The sequence and the current weights of nginx commit 52327e062 ("Upstream: smooth weighted
/// round-robin balancing", 2012), whose message works them by hand: `{ a, a, b, a, c, a, a }`,
/// not the old `{ c, b, a, a, a, a, a }` (add each weight, pick the largest, subtract 7).
#[test]
fn weights_5_1_1_give_nginx_sequence_a_a_b_a_c_a_a() {
    let mut b = wrr(&[5, 1, 1]);
    // (current weights after the addition, winner, current weights after the subtraction)
    let by_hand: [([i64; 3], &str, [i64; 3]); 7] = [
        ([5, 1, 1], "a", [-2, 1, 1]),
        ([3, 2, 2], "a", [-4, 2, 2]),
        ([1, 3, 3], "b", [1, -4, 3]), // b and c tie at 3: the first listed wins
        ([6, -3, 4], "a", [-1, -3, 4]),
        ([4, -2, 5], "c", [4, -2, -2]),
        ([9, -1, -1], "a", [2, -1, -1]),
        ([7, 0, 0], "a", [0, 0, 0]),
    ];
    for cycle in 0..5 {
        for (step, (added, winner, after)) in by_hand.iter().enumerate() {
            let mut a = b.begin();
            let pick = b.get(&mut a, SimTime::ZERO).unwrap();
            let seen: Vec<i64> = pick.considered.iter().map(|c| c.current_weight).collect();
            assert_eq!(
                seen,
                added.to_vec(),
                "cycle {cycle} step {step}: weights after +"
            );
            assert_eq!(pick.total, 7);
            assert_eq!(&name(&b, pick.peer), winner, "cycle {cycle} step {step}");
            let now: Vec<i64> = b
                .peers(Tier::Primary)
                .iter()
                .map(|p| p.current_weight)
                .collect();
            assert_eq!(
                now,
                after.to_vec(),
                "cycle {cycle} step {step}: weights after −"
            );
            b.free(&mut a, pick.peer, false, SimTime::ZERO);
        }
    }
}

#[test]
fn next_gives_the_same_sequence() {
    let mut b = wrr(&[5, 1, 1]);
    let seq: String = (0..14)
        .map(|_| name(&b.clone(), b.next(SimTime::ZERO).unwrap()))
        .collect();
    assert_eq!(seq, "aabacaaaabacaa");
}

#[test]
fn equal_weights_are_plain_round_robin() {
    // The material's draft B: four servers, eight requests → 1 2 3 4 1 2 3 4.
    let mut b = wrr(&[1, 1, 1, 1]);
    let seq: Vec<u32> = (0..8)
        .map(|_| b.next(SimTime::ZERO).unwrap().index + 1)
        .collect();
    assert_eq!(seq, vec![1, 2, 3, 4, 1, 2, 3, 4]);
}

#[test]
fn highways_5_4_3_share_exactly() {
    // Catalogue B D8: capacities 1,000 / 800 / 600 as weights 5:4:3.
    let mut b = wrr(&[5, 4, 3]);
    let mut n = [0u32; 3];
    for _ in 0..12 * 50 {
        n[b.next(SimTime::ZERO).unwrap().index as usize] += 1;
    }
    assert_eq!(n, [250, 200, 150]);
}

#[cfg(not(target_arch = "wasm32"))] // proptest is a native-only dev-dependency
mod cycles {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 200, ..common::config("balance_swrr") })]

        /// Over every cycle of W = Σ weights picks, peer i is picked exactly wᵢ times, and the
        /// current weights are back to zero at the end of each cycle.
        ///
        /// Smoothness, the bound tested (and why it holds): after a pick every current weight is
        /// above −W (before the subtraction the winner holds the largest of numbers summing to W, so
        /// at least W/n > 0; the others only grow). With `current_weightᵢ(t) = t·wᵢ − W·nᵢ(t)`
        /// counted from a cycle's start, that is nᵢ(t) < t·wᵢ/W + 1: in the first t picks of a cycle
        /// no peer gets more than ⌈t·wᵢ/W⌉, never a whole pick ahead of its share. (That also forces
        /// nᵢ(W) = wᵢ, so the cycle property above follows.) The current weights are *not* below W
        /// in general: {1, 8, 30, 30, 33} reaches exactly W, larger sets exceed it.
        #[test]
        fn weights_honoured_every_cycle_and_never_a_pick_ahead(
            weights in prop::collection::vec(1u32..=40, 1..=12),
            cycles in 1u32..=4,
        ) {
            let mut b = wrr(&weights);
            let w: u32 = weights.iter().sum();
            for cycle in 0..cycles {
                let mut n = vec![0u32; weights.len()];
                for t in 1..=w {
                    let id = b.next(SimTime::ZERO).unwrap();
                    n[id.index as usize] += 1;
                    for (i, wi) in weights.iter().enumerate() {
                        let ceil = (u64::from(t) * u64::from(*wi)).div_ceil(u64::from(w));
                        prop_assert!(
                            u64::from(n[i]) <= ceil,
                            "cycle {cycle}, pick {t}: peer {i} has {} > ⌈t·wᵢ/W⌉ = {ceil}", n[i]
                        );
                    }
                    for p in b.peers(Tier::Primary) {
                        prop_assert!(p.current_weight > -i64::from(w));
                    }
                }
                prop_assert_eq!(&n, &weights, "cycle {}", cycle);
                prop_assert!(b.peers(Tier::Primary).iter().all(|p| p.current_weight == 0));
            }
        }
    }
}

#[test]
fn longest_run_for_5_1_1_is_four_across_a_cycle_end() {
    // a a b a c a a | a a b a c a a: four a's in a row where one cycle meets the next; a plain
    // weighted round robin that serves each peer's weight at once gives five (a a a a a b c).
    let mut b = wrr(&[5, 1, 1]);
    let seq: Vec<u32> = (0..70)
        .map(|_| b.next(SimTime::ZERO).unwrap().index)
        .collect();
    let longest = seq.chunk_by(|x, y| x == y).map(|r| r.len()).max().unwrap();
    assert_eq!(longest, 4);
}

/// Failure accounting, worked by hand from `ngx_http_upstream_get_peer` and
/// `ngx_http_upstream_free_round_robin_peer_locked`: a (weight 4, max_fails 2, fail_timeout 10s)
/// and b (weight 1, max_fails 1).
#[test]
fn failure_lowers_effective_weight_and_fail_timeout_restores() {
    let mut a_spec = PeerSpec::new("a", 4);
    a_spec.max_fails = 2;
    let b_spec = PeerSpec::new("b", 1);
    let mut b = SmoothWrr::new(vec![a_spec, b_spec], Vec::new()).unwrap();
    let state = |b: &SmoothWrr| -> Vec<(i64, i64, u32)> {
        b.peers(Tier::Primary)
            .iter()
            .map(|p| (p.current_weight, p.effective_weight, p.fails))
            .collect()
    };
    let t = SimTime::from_secs;

    // t=0: a 4 vs b 1 → a, 4 − 5 = −1. It fails: fails 1, effective 4 − 4/2 = 2.
    let mut r = b.begin();
    let p = b.get(&mut r, t(0)).unwrap();
    assert_eq!(p.peer, primary(0));
    b.free(&mut r, p.peer, true, t(0));
    assert_eq!(state(&b), vec![(-1, 2, 1), (1, 1, 0)]);

    // a adds only 2 (then recovers to 3): a −1+2 = 1, b 1+1 = 2 → b, 2 − 3 = −1.
    let p = b.get(&mut b.begin(), t(0)).unwrap();
    assert_eq!(p.peer, primary(1));
    assert_eq!(p.total, 3);
    b.free(&mut b.begin(), p.peer, false, t(0));
    assert_eq!(state(&b), vec![(1, 3, 1), (-1, 1, 0)]);

    // a 1+3 = 4 (recovers to 4), b −1+1 = 0 → a, 4 − 4 = 0. It fails again: fails 2 = max_fails.
    let mut r = b.begin();
    let p = b.get(&mut r, t(0)).unwrap();
    assert_eq!(p.peer, primary(0));
    b.free(&mut r, p.peer, true, t(0));
    assert_eq!(state(&b), vec![(0, 2, 2), (0, 1, 0)]);

    // t=5 and t=10: within fail_timeout (now − checked ≤ 10) a is skipped; b alone, total 1.
    for s in [5, 10] {
        let p = b.get(&mut b.begin(), t(s)).unwrap();
        assert_eq!(p.peer, primary(1));
        assert_eq!(p.considered[0].skipped, Some(Skip::Failed));
        assert_eq!(p.total, 1);
    }
    assert_eq!(state(&b), vec![(0, 2, 2), (0, 1, 0)]);

    // t=11: a is tried again: a 0+2 = 2 (→ 3), b 0+1 = 1 → a, 2 − 3 = −1; 11 − 0 > 10 moves
    // `checked` to 11, so its success now clears the failures (accessed 0 < checked 11).
    let mut r = b.begin();
    let p = b.get(&mut r, t(11)).unwrap();
    assert_eq!(p.peer, primary(0));
    assert_eq!(b.peer(primary(0)).unwrap().checked_s, 11);
    b.free(&mut r, p.peer, false, t(11));
    assert_eq!(state(&b), vec![(-1, 3, 0), (1, 1, 0)]);

    // a −1+3 = 2 (→ 4), b 1+1 = 2: a tie, a is listed first → a, 2 − 4 = −2.
    let p = b.get(&mut b.begin(), t(11)).unwrap();
    assert_eq!(p.peer, primary(0));
    assert_eq!(state(&b), vec![(-2, 4, 0), (2, 1, 0)]);
}

#[test]
fn a_success_inside_fail_timeout_does_not_clear_failures() {
    // max_fails 3: fail, succeed, fail, fail → disabled, because the success at t=1 came before
    // fail_timeout had passed since the failure (accessed == checked).
    let mut a = PeerSpec::new("a", 1);
    a.max_fails = 3;
    let mut b = SmoothWrr::new(vec![a, PeerSpec::new("b", 1)], Vec::new()).unwrap();
    let a_id = primary(0);
    for (s, failed) in [(0, true), (1, false), (2, true), (3, true)] {
        let mut r = b.begin();
        b.get(&mut r, SimTime::from_secs(s)).unwrap();
        b.free(&mut r, a_id, failed, SimTime::from_secs(s));
    }
    assert_eq!(b.peer(a_id).unwrap().fails, 3);
    for _ in 0..5 {
        assert_eq!(b.next(SimTime::from_secs(4)), Some(primary(1)));
    }
}

#[test]
fn max_fails_zero_never_disables_and_keeps_weight() {
    let mut a = PeerSpec::new("a", 2);
    a.max_fails = 0;
    let mut b = SmoothWrr::new(vec![a, PeerSpec::new("b", 1)], Vec::new()).unwrap();
    for _ in 0..10 {
        let mut r = b.begin();
        let p = b.get(&mut r, SimTime::ZERO).unwrap();
        b.free(&mut r, p.peer, p.peer.index == 0, SimTime::ZERO);
    }
    let a = b.peer(primary(0)).unwrap();
    // a b a repeating: a picked (and failed) 7 times of 10, its weight never lowered.
    assert_eq!((a.fails, a.effective_weight), (7, 2));
}

#[test]
fn retries_within_one_request_never_repeat_a_peer_then_go_to_backups() {
    let backups = vec![PeerSpec::new("x", 1), PeerSpec::new("y", 1)];
    let mut b =
        SmoothWrr::new(vec![PeerSpec::new("a", 1), PeerSpec::new("b", 1)], backups).unwrap();
    let mut r = b.begin();
    assert_eq!(r.tries_left(), 4);
    let mut seen = Vec::new();
    while let Some(p) = b.get(&mut r, SimTime::ZERO) {
        seen.push(name(&b, p.peer));
        b.free(&mut r, p.peer, true, SimTime::ZERO);
    }
    assert_eq!(seen, vec!["a", "b", "x", "y"]);
    assert_eq!(r.tries_left(), 0);
    assert_eq!(r.tier(), Tier::Backup);
    // Every peer failed at t=0 (max_fails 1): within fail_timeout (10 s) there is no live
    // upstream at all (nginx's NGX_BUSY, "no live upstreams"); at 11 s the primaries are back,
    // both with effective weight 0 (1 − 1/1), so b, whose current weight is 1 against a's −1,
    // wins with a total of 0; both weights have recovered to 1 on the way.
    assert_eq!(b.next(SimTime::from_secs(10)), None);
    assert_eq!(b.next(SimTime::from_secs(11)), Some(primary(1)));
    let eff: Vec<i64> = b
        .peers(Tier::Primary)
        .iter()
        .map(|p| p.effective_weight)
        .collect();
    assert_eq!(eff, vec![1, 1]);
}

#[test]
fn backups_only_when_every_primary_is_unavailable() {
    let mut b = SmoothWrr::new(
        vec![PeerSpec::new("a", 1), PeerSpec::new("b", 1)],
        vec![PeerSpec::new("x", 1)],
    )
    .unwrap();
    for _ in 0..10 {
        assert_eq!(b.next(SimTime::ZERO).unwrap().tier, Tier::Primary);
    }
    assert!(b.set_down(primary(0), true));
    for _ in 0..10 {
        assert_eq!(b.next(SimTime::ZERO), Some(primary(1)));
    }
    b.set_down(primary(1), true);
    let x = PeerId {
        tier: Tier::Backup,
        index: 0,
    };
    assert_eq!(b.next(SimTime::ZERO), Some(x));
    b.set_down(x, true);
    assert_eq!(b.next(SimTime::ZERO), None);
}

#[test]
fn max_conns_skips_a_full_peer() {
    let mut a = PeerSpec::new("a", 5);
    a.max_conns = 1;
    let mut b = SmoothWrr::new(vec![a, PeerSpec::new("b", 1)], Vec::new()).unwrap();
    let mut r1 = b.begin();
    let p1 = b.get(&mut r1, SimTime::ZERO).unwrap();
    assert_eq!(p1.peer, primary(0));
    // a holds its one connection: the next requests go to b until it is released.
    for _ in 0..3 {
        let p = b.get(&mut b.begin(), SimTime::ZERO).unwrap();
        assert_eq!(p.peer, primary(1));
        assert_eq!(p.considered[0].skipped, Some(Skip::Full));
    }
    b.free(&mut r1, p1.peer, false, SimTime::ZERO);
    assert_eq!(b.next(SimTime::ZERO), Some(primary(0)));
}

#[test]
fn a_single_server_ignores_max_fails() {
    // nginx's `single` path: one primary, no backups, never disabled by failures.
    let mut b = wrr(&[3]);
    for s in 0..5 {
        let mut r = b.begin();
        let p = b.get(&mut r, SimTime::from_secs(s)).unwrap();
        b.free(&mut r, p.peer, true, SimTime::from_secs(s));
        assert_eq!(r.tries_left(), 0);
    }
    assert_eq!(b.next(SimTime::from_secs(5)), Some(primary(0)));
    b.set_down(primary(0), true);
    assert_eq!(b.next(SimTime::from_secs(5)), None);
}

#[test]
fn bad_configurations_are_errors() {
    assert!(SmoothWrr::new(Vec::new(), Vec::new()).is_err());
    assert!(SmoothWrr::new(vec![PeerSpec::new("a", 0)], Vec::new())
        .unwrap_err()
        .contains("weight 0"));
    let many: Vec<PeerSpec> = (0..5000)
        .map(|i| PeerSpec::new(&i.to_string(), 1))
        .collect();
    assert!(SmoothWrr::new(many, Vec::new()).is_err());
}

#[cfg(not(target_arch = "wasm32"))] // proptest is a native-only dev-dependency
mod random_operations {
    use super::*;
    use proptest::prelude::*;

    /// One random operation on a balancer.
    #[derive(Clone, Debug)]
    enum Op {
        /// A request: pick; its release (as failed or not) comes with a later `Release`.
        Request { failed: bool },
        /// Release the oldest open request.
        Release,
        /// The clock moves on this many seconds.
        Tick(u64),
        /// A peer goes down or comes back.
        Toggle(u32),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => any::<bool>().prop_map(|failed| Op::Request { failed }),
            3 => Just(Op::Release),
            1 => (0u64..15).prop_map(Op::Tick),
            1 => (0u32..8).prop_map(Op::Toggle),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 200, ..common::config("balance_swrr") })]

        /// Random requests, failures, releases, clock ticks and peers going down, checking nginx's
        /// invariants after every step: in each list the current weights sum to 0 (a pick adds
        /// `total` to the eligible peers and takes it from the winner), every effective weight is
        /// within [0, weight], open connections match the requests holding them, a pick never
        /// lands on a down peer or one that is full, failed within fail_timeout or already tried.
        #[test]
        fn invariants_hold_under_random_operations(
            weights in prop::collection::vec(1u32..=9, 2..=6),
            backups in 0usize..=2,
            max_fails in 0u32..=3,
            max_conns in 0u32..=3,
            ops in prop::collection::vec(op(), 1..200),
        ) {
            let spec = |i: usize, w: u32| {
                let mut s = PeerSpec::new(&format!("p{i}"), w);
                s.max_fails = max_fails;
                s.fail_timeout_s = 5;
                s.max_conns = max_conns;
                s
            };
            let primary: Vec<PeerSpec> = weights.iter().enumerate().map(|(i, w)| spec(i, *w)).collect();
            let backup: Vec<PeerSpec> = (0..backups).map(|i| spec(100 + i, 1)).collect();
            let mut b = SmoothWrr::new(primary, backup).unwrap();
            let mut now = 0u64;
            let mut open: std::collections::VecDeque<(PeerId, bool)> = Default::default();
            for op in ops {
                match op {
                    Op::Request { failed } => {
                        let mut r = b.begin();
                        let before = b.clone();
                        if let Some(p) = b.get(&mut r, SimTime::from_secs(now)) {
                            let peer = before.peer(p.peer).unwrap();
                            prop_assert!(!peer.down, "picked a down peer");
                            prop_assert!(max_conns == 0 || peer.conns < max_conns, "picked a full peer");
                            if !before.single() {
                                prop_assert!(
                                    max_fails == 0 || peer.fails < max_fails || now - peer.checked_s > 5,
                                    "picked a peer failed within fail_timeout"
                                );
                            }
                            if p.peer.tier == Tier::Backup {
                                // Only when no primary was eligible.
                                prop_assert!(before.peers(Tier::Primary).iter().all(|q| q.down
                                    || (max_conns > 0 && q.conns >= max_conns)
                                    || (max_fails > 0 && q.fails >= max_fails && now - q.checked_s <= 5)));
                            }
                            open.push_back((p.peer, failed));
                        }
                    }
                    Op::Release => {
                        if let Some((peer, failed)) = open.pop_front() {
                            let mut r = b.begin();
                            b.free(&mut r, peer, failed, SimTime::from_secs(now));
                        }
                    }
                    Op::Tick(s) => now += s,
                    Op::Toggle(i) => {
                        let id = PeerId { tier: Tier::Primary, index: i % weights.len() as u32 };
                        let down = b.peer(id).unwrap().down;
                        b.set_down(id, !down);
                    }
                }
                for tier in [Tier::Primary, Tier::Backup] {
                    let peers = b.peers(tier);
                    prop_assert_eq!(peers.iter().map(|p| p.current_weight).sum::<i64>(), 0);
                    for (i, p) in peers.iter().enumerate() {
                        prop_assert!((0..=i64::from(p.spec.weight)).contains(&p.effective_weight));
                        let held = open.iter().filter(|(id, _)| id.tier == tier && id.index == i as u32).count();
                        prop_assert_eq!(p.conns as usize, held);
                    }
                }
            }
        }
    }
}
