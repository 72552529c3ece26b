//! Random tokens (`tokens = "random"`): each server's points are drawn from the run's seed when
//! it joins, as Cassandra's `num_tokens` placed them before 4.0 and as Dynamo's first strategy
//! did ("T random tokens per node", DeCandia et al. 2007, §6.2). Known answers for the draw (also
//! run as wasm32, so a platform difference fails here), the same seed giving the same ring and
//! another seed another, a server's tokens not depending on the other servers, hashed points
//! unchanged, and consistent hashing still moving only the keys it must.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use sim::engine::{Run, Simulation};
use sim::frame::Frame;
use sim::hashing::{
    degrees_to_position, random_tokens, HashFn, HashRing, Position, Tokens, RING_SIZE,
};
use sim::models::hash_ring::{HashRingModel, RingFrame};
use sim::models::sharding::placement;
use sim::registry;
use sim::scenario::{Input, Scenario};
use sim::time::SimTime;
use std::collections::BTreeMap;
use std::rc::Rc;

use crate::common;

/// A hash-ring scenario with these parameters on top of the model's defaults.
fn scenario(seed: u64, params: &[(&str, &str)], inputs: &[&str]) -> Scenario {
    common::scenario("hash-ring", seed, SimTime::from_secs(5), params, inputs)
}

fn run(seed: u64, params: &[(&str, &str)], inputs: &[&str]) -> Run<HashRingModel> {
    common::run_at(&scenario(seed, params, inputs), SimTime::from_secs(5))
}

fn frame(run: &Run<HashRingModel>) -> Rc<RingFrame> {
    let Frame::Ring(f) = Simulation::frame(run) else {
        panic!("the ring model draws a ring")
    };
    f
}

/// Each server's points by vnode index.
fn points_by_server(ring: &HashRing) -> BTreeMap<String, Vec<Position>> {
    let mut out: BTreeMap<String, Vec<(u32, Position)>> = BTreeMap::new();
    for p in ring.points() {
        out.entry(p.server.clone())
            .or_default()
            .push((p.index, p.position));
    }
    out.into_iter()
        .map(|(s, mut v)| {
            v.sort_unstable();
            (s, v.into_iter().map(|(_, p)| p).collect())
        })
        .collect()
}

/// Pinned: token `i` of server `S` is the high half of the `i`-th output of xoshiro256++ seeded
/// (through SplitMix64) with `seed XOR FNV-1a-64("ring-tokens/S")`. The values were computed by
/// an independent Python implementation of FNV-1a 64, SplitMix64 and xoshiro256++ (the same one
/// reproduces `SimRng::new(42)`'s first outputs). A change here changes every random ring.
#[test]
fn random_tokens_have_known_values() {
    assert_eq!(
        random_tokens(42, "A", 3),
        [4_028_047_065, 2_635_013_404, 4_109_185_997]
    );
    assert_eq!(
        random_tokens(42, "B", 3),
        [1_518_453_322, 1_409_998_446, 3_304_280_266]
    );
    assert_eq!(
        random_tokens(42, "C", 3),
        [1_039_862_480, 4_000_823_566, 642_461_147]
    );
    assert_eq!(
        random_tokens(7, "A", 3),
        [2_511_377_958, 3_314_138_045, 1_477_701_638]
    );
    // More tokens keep the first ones.
    assert_eq!(
        random_tokens(42, "A", 5)[..3],
        random_tokens(42, "A", 3)[..]
    );
}

#[test]
fn a_random_ring_puts_vnode_i_at_the_servers_token_i() {
    let mut ring =
        HashRing::with_tokens(HashFn::Murmur3_32, 3, Tokens::Random { seed: 42 }).unwrap();
    for s in ["A", "B", "C"] {
        let added = ring.add_server(s, None).unwrap();
        let at: Vec<Position> = added.iter().map(|p| p.position).collect();
        assert_eq!(at, random_tokens(42, s, 3), "{s}");
    }
    ring.validate().unwrap();
    assert_eq!(ring.tokens(), Tokens::Random { seed: 42 });
    assert_eq!(
        ring.points()
            .iter()
            .map(|p| (p.position, p.label()))
            .collect::<Vec<_>>()[..3],
        [
            (642_461_147, "C#2".to_string()),
            (1_039_862_480, "C#0".into()),
            (1_409_998_446, "B#1".into())
        ],
        "sorted by position"
    );
    // A key is still hashed: the ring's hash places keys, not the servers' tokens.
    assert_eq!(
        ring.position_of("User123"),
        HashFn::Murmur3_32.hash(b"User123")
    );
    let arcs: u64 = ring.arcs().values().sum();
    assert_eq!(arcs, RING_SIZE);
}

/// `tokens = "hashed"` is the default and is exactly the ring of `HashRing::new`: vnode `i` of
/// `S` at `hash("S#i")`. (The pinned digests in `golden.rs`, `sweep_runs.rs` and the lesson tests
/// check the runs are unchanged.)
#[test]
fn hashed_tokens_are_the_default_and_unchanged() {
    let mut a = HashRing::new(HashFn::Fnv1a32, 4).unwrap();
    let mut b = HashRing::with_tokens(HashFn::Fnv1a32, 4, Tokens::Hashed).unwrap();
    for s in ["A", "B", "C"] {
        a.add_server(s, None).unwrap();
        b.add_server(s, None).unwrap();
    }
    assert_eq!(a, b);
    assert_eq!(a.tokens(), Tokens::Hashed);
    for p in a.points() {
        assert_eq!(p.position, HashFn::Fnv1a32.hash(p.label().as_bytes()));
    }
    // Through the model: leaving the parameter out and writing its default give the same run,
    // for every preset of the lesson that leaves it out.
    let lesson = catalog::lesson("consistent-hashing").unwrap();
    let mut compared = 0;
    for preset in &lesson.presets {
        let s = lesson.scenario(Some(&preset.id)).unwrap();
        if s.params.contains_key("tokens") {
            continue;
        }
        compared += 1;
        let mut explicit = s.clone();
        explicit.params.insert("tokens".into(), "hashed".into());
        let (mut x, mut y) = (
            registry::start(&s).unwrap(),
            registry::start(&explicit).unwrap(),
        );
        x.seek(s.until);
        y.seek(s.until);
        assert_eq!(x.digest(), y.digest(), "{}", preset.id);
    }
    assert!(compared >= 7, "{compared} presets compared");
}

#[test]
fn the_same_seed_gives_the_same_ring_and_another_seed_another() {
    let params = [
        ("tokens", "random"),
        ("servers", "A,B,C,D,E"),
        ("vnodes", "8"),
    ];
    let (a, again, b) = (
        run(1, &params, &[]),
        run(1, &params, &[]),
        run(2, &params, &[]),
    );
    assert_eq!(a.model().ring(), again.model().ring());
    assert_eq!(a.digest(), again.digest());
    let (pa, pb) = (
        points_by_server(a.model().ring()),
        points_by_server(b.model().ring()),
    );
    for (s, tokens) in &pa {
        assert_eq!(tokens, &random_tokens(1, s, 8), "{s}");
        assert_ne!(tokens, &pb[s], "{s} on another seed");
    }
    assert_ne!(a.model().ring().arcs(), b.model().ring().arcs());
}

/// The tokens come from a stream of their own: the keys, their positions and the requests are
/// those of the same seed with hashed points; only the servers' points (and so the owners)
/// differ.
#[test]
fn random_tokens_leave_the_rest_of_the_run_as_it_was() {
    let base = [
        ("servers", "A,B,C,D"),
        ("vnodes", "20"),
        ("keys", "500"),
        ("request_rate", "50"),
    ];
    let hashed = run(9, &base, &["1000:add-keys:30"]);
    let mut with = base.to_vec();
    with.push(("tokens", "random"));
    let random = run(9, &with, &["1000:add-keys:30"]);
    assert_eq!(hashed.model().keys(), random.model().keys());
    assert_ne!(
        hashed.model().ring().points(),
        random.model().ring().points()
    );
    let requests = |r: &Run<HashRingModel>| {
        r.metrics()
            .get("requests")
            .and_then(|v| v.as_f64())
            .unwrap()
    };
    assert_eq!(requests(&hashed), requests(&random), "the same arrivals");
}

/// A server's tokens depend on the seed and its own name only: not on which other servers there
/// are, the order they joined in, the hash function or whether it joined at build or later.
#[test]
fn a_servers_tokens_do_not_depend_on_the_other_servers() {
    let tokens = Tokens::Random { seed: 5 };
    let mut one = HashRing::with_tokens(HashFn::Murmur3_32, 6, tokens).unwrap();
    for s in ["A", "B", "C"] {
        one.add_server(s, None).unwrap();
    }
    let mut two = HashRing::with_tokens(HashFn::Fnv1a32, 6, tokens).unwrap();
    for s in ["C", "X", "Y", "A"] {
        two.add_server(s, None).unwrap();
    }
    two.remove_server("X").unwrap();
    two.add_server("B", None).unwrap();
    two.remove_server("Y").unwrap();
    assert_eq!(points_by_server(&one), points_by_server(&two));
    assert_eq!(one.points(), two.points());

    // Through the model: F added at 1 s takes the tokens it would have had from the start, and
    // removing a server and adding it back restores its tokens (a restarted node keeps them).
    let p = [("tokens", "random"), ("vnodes", "10"), ("keys", "100")];
    let mut at_start = p.to_vec();
    at_start.push(("servers", "A,B,C,F"));
    let mut later = p.to_vec();
    later.push(("servers", "A,B,C"));
    let built = run(11, &at_start, &[]);
    let joined = run(
        11,
        &later,
        &[
            "1000:add-server:F",
            "2000:remove-server:B",
            "3000:add-server:B",
        ],
    );
    assert_eq!(
        built.model().ring().points(),
        joined.model().ring().points()
    );
    assert_eq!(built.model().keys(), joined.model().keys());
}

/// A pinned server keeps its angle for vnode 0; its other points are its tokens 1, 2, ….
#[test]
fn a_pinned_server_keeps_its_angle() {
    for seed in [1, 2, 3] {
        let r = run(
            seed,
            &[
                ("tokens", "random"),
                ("servers", "A@45,B,C"),
                ("vnodes", "4"),
            ],
            &[],
        );
        let f = frame(&r);
        let a = &f.servers[0];
        assert_eq!(a.anchor, degrees_to_position(45.0), "seed {seed}");
        assert!(a.pinned);
        let mut want = random_tokens(seed, "A", 4);
        want[0] = degrees_to_position(45.0);
        assert_eq!(points_by_server(r.model().ring())["A"], want);
        // The others are marked at their token 0.
        for s in &f.servers[1..] {
            assert_eq!(s.anchor, random_tokens(seed, &s.name, 1)[0], "{}", s.name);
        }
    }
}

/// Consistent hashing holds with random points: when F joins, every key that moves moves to F,
/// about 1/6 of them (F's share is Beta(100, 500), sd 1.5 points of percentage, plus the keys'
/// binomial noise, 0.5; four of their combined standard deviations is 6.4 points); when a server
/// crashes only its keys move. Checked on ten seeds, so on ten different rings.
#[test]
fn joins_and_crashes_move_only_the_keys_they_must() {
    let params = [
        ("tokens", "random"),
        ("servers", "A,B,C,D,E"),
        ("vnodes", "100"),
        ("keys", "5000"),
    ];
    let mut shares = Vec::new();
    for seed in 0..10 {
        let mut r = run(seed, &params, &["1000:add-server:F"]);
        let change = r.model().last_change().unwrap().clone();
        assert!(!change.moves.is_empty());
        assert!(
            change.moves.iter().all(|m| m.to == "F" && m.from != "F"),
            "seed {seed}"
        );
        let share = change.moves.len() as f64 / change.total as f64;
        assert!(
            (share - 1.0 / 6.0).abs() <= 0.064,
            "seed {seed}: moved {share}"
        );
        shares.push(share);
        let on_c = r.metrics().group("keys_per_server").unwrap().values.clone();
        let on_c = on_c.iter().find(|(s, _)| s == "C").unwrap().1 as usize;
        r.apply_now(Input::parse("remove-server:C").unwrap());
        r.validate().unwrap();
        let crash = r.model().last_change().unwrap();
        assert!(crash.moves.iter().all(|m| m.from == "C"), "seed {seed}");
        assert_eq!(
            crash.moves.len(),
            on_c,
            "seed {seed}: exactly C's keys move"
        );
    }
    // Ten different rings: the shares differ.
    shares.dedup();
    assert!(shares.len() > 5, "{shares:?}");
}

/// Replicas, the modulo placement and the frame work on a random ring as on a hashed one.
#[test]
fn replicas_modulo_and_the_frame_work_with_random_tokens() {
    let r = run(
        3,
        &[
            ("tokens", "random"),
            ("servers", "A,B,C,D"),
            ("vnodes", "5"),
            ("replicas", "3"),
            ("keys", "300"),
        ],
        &["1000:add-server:E", "2000:remove-server:A"],
    );
    let ring = r.model().ring();
    let p = placement(&r).unwrap();
    for k in r.model().keys().iter().take(50) {
        let owners = p.owners(&k.name).unwrap();
        assert_eq!(owners, ring.replicas(k.position, 3), "{}", k.name);
        assert_eq!(owners.len(), 3);
        assert_eq!(owners[0], ring.owner(k.position).unwrap());
    }
    let f = frame(&r);
    for s in &f.servers {
        assert_eq!(s.points.len(), 5);
        assert!(s.points.contains(&s.anchor));
        assert_eq!(s.anchor, random_tokens(3, &s.name, 1)[0]);
    }
    assert_eq!(
        f.removed[0].anchor,
        random_tokens(3, "A", 1)[0],
        "A's ghost at its token 0"
    );
    let total: u64 = f.servers.iter().flat_map(|s| &s.arcs).map(|a| a.len).sum();
    assert_eq!(total, RING_SIZE);

    let m = run(
        3,
        &[
            ("tokens", "random"),
            ("servers", "A,B,C,D"),
            ("vnodes", "5"),
            ("placement", "modulo"),
        ],
        &["1000:add-server:E"],
    );
    let f = frame(&m);
    assert!(f.servers.iter().all(|s| s.arcs.is_empty()));
    assert_eq!(f.servers[0].anchor, random_tokens(3, "A", 1)[0]);
}
