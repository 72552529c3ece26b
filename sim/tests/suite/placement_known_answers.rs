//! Known answers for the hashing-strategies lesson's model (`placement`): the model places keys
//! exactly where real memcached clients' published vectors, jump hash and rendezvous (both
//! pinned against their references in `jump_rendezvous_known_answers.rs`) and FNV-1a written
//! out here from its definition place them, and the lesson's worked numbers follow from those.
//!
//! Some loads and move counts are pinned from this model's own output: each is marked
//! "change detector" where it stands. They know nothing the model did not say; they catch a
//! change of placement (every saved link would change with it), and as this file also runs as
//! wasm32, a difference between targets. Update one only on purpose.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use sim::engine::{Run, Simulation};
use sim::frame::Frame;
use sim::hashing::jump::{jump_bucket, jump_hash, key_hash};
use sim::hashing::{Ketama, KetamaFlavor, Rendezvous};
use sim::models::placement::{key_name, PlacementModel};
use sim::models::sharding::{placement, Move, Placement};
use sim::scenario::{Input, Scenario};
use sim::time::SimTime;
use std::num::NonZeroU32;

use crate::common;
use common::ketama::SPY_COMPAT_TWO;
use common::metric_opt as metric;

fn scenario(params: &[(&str, &str)], inputs: &[&str]) -> Scenario {
    common::placement_scenario(7, 1, params, inputs)
}

/// A run of the placement model, advanced past its inputs and validated.
fn run(params: &[(&str, &str)], inputs: &[&str]) -> Run<PlacementModel> {
    let run = common::run_at(&scenario(params, inputs), SimTime::from_ms(1));
    common::assert_all_accepted(&run);
    run
}

fn keys_per_shard(run: &dyn Simulation) -> Vec<u64> {
    run.metrics()
        .group("keys_per_shard")
        .expect("keys_per_shard")
        .values
        .iter()
        .map(|(_, v)| *v as u64)
        .collect()
}

/// How many of `owners` are each of `0..n`: the loads an independent calculation expects.
fn tally(owners: impl IntoIterator<Item = u32>, n: u32) -> Vec<u64> {
    let mut out = vec![0u64; n as usize];
    for o in owners {
        out[o as usize] += 1;
    }
    out
}

/// FNV-1a, 64-bit, written out from its published definition (offset basis
/// 0xcbf29ce484222325, prime 0x100000001b3), apart from `sim::hashing`; the check value
/// FNV-1a-64("a") = 0xaf63dc4c8601ec8c is asserted where it is used.
fn fnv1a64_by_hand(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn owner(run: &dyn Simulation, key: &str) -> String {
    placement(run)
        .unwrap()
        .owners(key)
        .and_then(|o| o.first().cloned())
        .expect("an owner")
}

// ---------------------------------------------------------------- ketama: real clients

/// (key, server) for three servers 10.0.1.{1,2,3}:11211 of equal weight, the table
/// `ketama_known_answers.rs` pins from an independent Python port of libketama, libmemcached and
/// spymemcached. The user:N keys are exactly the model's keys for users 0..19.
const THREE_KEYS: [(&str, &str); 29] = [
    ("user:0", "10.0.1.1:11211"),
    ("user:1", "10.0.1.1:11211"),
    ("user:2", "10.0.1.3:11211"),
    ("user:3", "10.0.1.2:11211"),
    ("user:4", "10.0.1.3:11211"),
    ("user:5", "10.0.1.1:11211"),
    ("user:6", "10.0.1.3:11211"),
    ("user:7", "10.0.1.1:11211"),
    ("user:8", "10.0.1.3:11211"),
    ("user:9", "10.0.1.1:11211"),
    ("user:10", "10.0.1.2:11211"),
    ("user:11", "10.0.1.2:11211"),
    ("user:12", "10.0.1.1:11211"),
    ("user:13", "10.0.1.3:11211"),
    ("user:14", "10.0.1.1:11211"),
    ("user:15", "10.0.1.3:11211"),
    ("user:16", "10.0.1.2:11211"),
    ("user:17", "10.0.1.1:11211"),
    ("user:18", "10.0.1.3:11211"),
    ("user:19", "10.0.1.1:11211"),
    ("session:abc", "10.0.1.2:11211"),
    ("cart:42", "10.0.1.1:11211"),
    ("a", "10.0.1.3:11211"),
    ("foo", "10.0.1.2:11211"),
    ("bar", "10.0.1.1:11211"),
    ("hello world", "10.0.1.2:11211"),
    ("memcached", "10.0.1.3:11211"),
    ("ketama", "10.0.1.3:11211"),
    ("10.0.1.1:11211-0", "10.0.1.1:11211"),
];

/// Shard index of server `10.0.1.N[:11211]`: N − 1.
fn shard_of_address(address: &str) -> String {
    let host = address.strip_suffix(":11211").unwrap_or(address);
    let n: u32 = host.rsplit('.').next().unwrap().parse().unwrap();
    (n - 1).to_string()
}

#[test]
fn ketama_mode_sends_every_key_where_a_memcached_client_does() {
    // libmemcached names a port-11211 server by host alone, so its labels differ; it has its own
    // vectors below. The other clients hash "10.0.1.N:11211".
    for flavor in ["libketama", "spymemcached", "spymemcached-weighted"] {
        let r = run(
            &[
                ("strategy", "ketama"),
                ("ketama_flavor", flavor),
                ("shards", "3"),
                ("keys", "20"),
            ],
            &[],
        );
        let Frame::Shards(f) = r.frame() else {
            panic!("a shard frame")
        };
        assert_eq!(f.keys.len(), 20);
        for k in &f.keys {
            let (_, server) = THREE_KEYS[k.id as usize];
            assert_eq!(
                k.shard.to_string(),
                shard_of_address(server),
                "{flavor}: user {} is drawn on the client's server",
                k.id
            );
        }
        for (key, server) in THREE_KEYS {
            assert_eq!(owner(&r, key), shard_of_address(server), "{flavor}: {key}");
        }
        // The loads the clients' table gives users 0..19: 9, 4 and 7.
        let want = tally(
            THREE_KEYS[..20]
                .iter()
                .map(|(_, s)| shard_of_address(s).parse().unwrap()),
            3,
        );
        assert_eq!(want, [9, 4, 7]);
        assert_eq!(keys_per_shard(&r), want, "{flavor}");
    }
}

/// libmemcached `tests/ketama_test_cases.h` (weighted, `MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED`),
/// servers 10.0.1.1..8 with weights 600, 300, 200, 350, 1000, 800, 950, 100: a sample of its 99
/// (key, server) cases, plus its wrap-around key.
const LIBMEMCACHED_CASES: [(&str, &str); 12] = [
    ("SVa_]_V41)", "10.0.1.7"),
    ("*/Z;?V(.\\8", "10.0.1.1"),
    ("30C1*Z*S/_", "10.0.1.2"),
    ("ERR:EC58G>", "10.0.1.7"),
    ("1I=cTMNTKF", "10.0.1.5"),
    ("P1[Ma3=K1/", "10.0.1.8"),
    ("D[HE+cFXDK", "10.0.1.3"),
    ("EM75N0+[X1", "10.0.1.4"),
    ("6,cEI`F_P>", "10.0.1.6"),
    ("(,>E`)FT\\4", "10.0.1.2"),
    ("c,5AQ/T5)6", "10.0.1.8"),
    ("]\\.UH8_0a1", "10.0.1.4"),
];

#[test]
fn libmemcached_weighted_mode_matches_its_test_suite() {
    let r = run(
        &[
            ("strategy", "ketama"),
            ("ketama_flavor", "libmemcached"),
            ("shards", "8"),
            ("weights", "600,300,200,350,1000,800,950,100"),
        ],
        &[],
    );
    for (key, server) in LIBMEMCACHED_CASES {
        assert_eq!(owner(&r, key), shard_of_address(server), "{key:?}");
    }
    // VDEAAAAA hashes past the last point and wraps to point 0, which is 10.0.1.3's.
    let direct = Ketama::with_flavor(
        KetamaFlavor::Libmemcached,
        &[
            ("10.0.1.1", 600),
            ("10.0.1.2", 300),
            ("10.0.1.3", 200),
            ("10.0.1.4", 350),
            ("10.0.1.5", 1000),
            ("10.0.1.6", 800),
            ("10.0.1.7", 950),
            ("10.0.1.8", 100),
        ],
    )
    .unwrap();
    assert_eq!(direct.server_for("VDEAAAAA"), Some("10.0.1.3"));
    assert_eq!(owner(&r, "VDEAAAAA"), "2");
}

/// spymemcached `KetamaNodeLocatorTest.testLibKetamaCompatTwo`: (key, N) for 10.0.1.N:11211 of
/// eight equal servers (the table `ketama_known_answers.rs` checks against the implementation).
/// These keys are bare numbers, which `owners` would read as user ids, so they are asked of the
/// model's placer directly.
#[test]
fn spymemcached_compat_vectors_through_the_models_server_list() {
    let r = run(
        &[
            ("strategy", "ketama"),
            ("ketama_flavor", "spymemcached"),
            ("shards", "8"),
        ],
        &[],
    );
    for (key, n) in SPY_COMPAT_TWO {
        assert_eq!(r.model().placer().owner(key), u32::from(n) - 1, "{key:?}");
    }
}

// ---------------------------------------------------------------- jump

#[test]
fn jump_mode_is_jump_hash_of_the_fnv1a64_of_the_key() {
    for n in [1u32, 4, 10, 37] {
        let shards = n.to_string();
        let r = run(
            &[("strategy", "jump"), ("shards", &shards), ("ids", "random")],
            &[],
        );
        let buckets = NonZeroU32::new(n).unwrap();
        for (&id, &shard) in r.model().ids().iter().zip(r.model().shards_of_keys()) {
            assert_eq!(
                shard,
                jump_hash(key_hash(&key_name(id)), buckets),
                "user {id}"
            );
        }
    }
    // The FNV-1a string vector published with lithammer/go-jump-consistent-hash.
    let r = run(&[("strategy", "jump"), ("shards", "10")], &[]);
    assert_eq!(jump_bucket("中国", NonZeroU32::new(10).unwrap()), 5);
    assert_eq!(owner(&r, "中国"), "5");
    // The lesson's 1,000 sequential users on ten buckets, counted from jump hash itself; the
    // figures are a change detector for the key set (the lesson shows them).
    let ten = NonZeroU32::new(10).unwrap();
    let want = tally(
        (0..1000).map(|id| jump_hash(key_hash(&key_name(id)), ten)),
        10,
    );
    assert_eq!(keys_per_shard(&r), want);
    assert_eq!(want, [95, 106, 97, 101, 99, 81, 108, 107, 104, 102]);
}

#[test]
fn jump_loses_a_middle_bucket_at_a_price() {
    // Worked from jump hash apart from the model: buckets are numbered, so when server 3 of ten
    // goes, the nine left take bucket numbers 0..8 in order, and a key keeps its server only if
    // jump_hash(·, 9) names the bucket its server now has. Removing the last server instead
    // moves only its own keys (jump hash's monotonicity).
    let (ten, nine) = (NonZeroU32::new(10).unwrap(), NonZeroU32::new(9).unwrap());
    let left = [0, 1, 2, 4, 5, 6, 7, 8, 9];
    let moved = |new_server: &dyn Fn(u32) -> u32| {
        (0..1000)
            .filter(|&id| {
                let h = key_hash(&key_name(id));
                jump_hash(h, ten) != new_server(jump_hash(h, nine))
            })
            .count() as f64
    };
    let (middle_moves, last_moves) = (moved(&|b| left[b as usize]), moved(&|b| b));
    let middle = run(
        &[("strategy", "jump"), ("shards", "10")],
        &["0:remove-shard:3"],
    );
    assert_eq!(metric(&middle, "moved_keys"), Some(middle_moves));
    assert_eq!(metric(&middle, "moved_percent"), Some(middle_moves / 10.0));
    // The figure the lesson quotes (a change detector for its text): 68.5 %.
    assert_eq!(middle_moves, 685.0);
    let last = run(
        &[("strategy", "jump"), ("shards", "10")],
        &["0:remove-shard"],
    );
    assert_eq!(metric(&last, "moved_keys"), Some(last_moves));
    assert_eq!(last_moves, 102.0, "bucket 9's load above");
    // Dropping the last bucket moves only its own keys, each to where jump_hash(·, 9) puts it.
    for Move { key, from, to } in last.model().last_moves().unwrap() {
        assert_eq!(from, "9", "user {key} came from the removed shard");
        let id: u64 = key.parse().unwrap();
        let want = jump_hash(key_hash(&key_name(id)), NonZeroU32::new(9).unwrap());
        assert_eq!(to, want.to_string());
    }
    // The ring and rendezvous place by address: removing shard 3 moves only shard 3's keys.
    for strategy in ["ring", "rendezvous", "ketama"] {
        let r = run(
            &[("strategy", strategy), ("shards", "10")],
            &["0:remove-shard:3"],
        );
        assert!(
            r.model()
                .last_moves()
                .unwrap()
                .iter()
                .all(|m| m.from == "3"),
            "{strategy}"
        );
    }
    // So the ring moves exactly what shard 3 held (93 keys here: a change detector).
    let before = run(&[("strategy", "ring"), ("shards", "10")], &[]);
    let ring = run(
        &[("strategy", "ring"), ("shards", "10")],
        &["0:remove-shard:3"],
    );
    assert_eq!(
        metric(&ring, "moved_keys"),
        Some(keys_per_shard(&before)[3] as f64)
    );
    assert_eq!(metric(&ring, "moved_keys"), Some(93.0));
}

// ---------------------------------------------------------------- rendezvous and weights

#[test]
fn rendezvous_weights_one_two_three_share_the_keys_one_two_three() {
    let r = run(
        &[
            ("strategy", "rendezvous"),
            ("shards", "3"),
            ("weights", "1,2,3"),
            ("keys", "10000"),
        ],
        &[],
    );
    let mut direct = Rendezvous::new();
    for (addr, w) in [
        ("10.0.1.1:11211", 1.0),
        ("10.0.1.2:11211", 2.0),
        ("10.0.1.3:11211", 3.0),
    ] {
        direct.add_server(addr, w).unwrap();
    }
    for (&id, &shard) in r.model().ids().iter().zip(r.model().shards_of_keys()) {
        let want = direct.owner(&key_name(id)).unwrap();
        assert_eq!(shard_of_address(want), shard.to_string(), "user {id}");
    }
    // By hand: weighted rendezvous gives server i a share w_i / Σw, so of n keys it expects
    // n/6, 2n/6 and 3n/6, with binomial standard deviation √(n p (1 − p)); every load must lie
    // within four of them (37, 47, 50 keys at n = 10,000; 12, 15, 16 at n = 1,000).
    let within_noise = |loads: &[u64], n: f64| {
        for (load, w) in loads.iter().zip([1.0, 2.0, 3.0]) {
            let p = w / 6.0;
            let sd = (n * p * (1.0 - p)).sqrt();
            assert!(
                (*load as f64 - n * p).abs() < 4.0 * sd,
                "{loads:?}: weight {w} expects {:.0} ± {:.0}",
                n * p,
                sd
            );
        }
    };
    within_noise(&keys_per_shard(&r), 10_000.0);
    // Change detector (this model's output): the exact loads.
    assert_eq!(keys_per_shard(&r), [1660, 3324, 5016]);
    let thousand = run(
        &[
            ("strategy", "rendezvous"),
            ("shards", "3"),
            ("weights", "1,2,3"),
        ],
        &[],
    );
    within_noise(&keys_per_shard(&thousand), 1_000.0);
    // Change detector (this model's output).
    assert_eq!(keys_per_shard(&thousand), [193, 331, 476]);
}

#[test]
fn modulo_and_jump_ignore_weights_and_say_so() {
    for strategy in ["modulo", "jump"] {
        let r = run(
            &[
                ("strategy", strategy),
                ("shards", "3"),
                ("weights", "1,2,3"),
            ],
            &["0:set-weight:2=4"],
        );
        assert_eq!(metric(&r, "moved_keys"), Some(0.0), "{strategy}");
        let Frame::Shards(f) = r.frame() else {
            panic!()
        };
        assert!(f.shards[2]
            .caption
            .as_deref()
            .unwrap()
            .ends_with("weight 4 (ignored)"));
        assert!(r.trace_lines()[0].text.contains("weights are ignored"));
        let max_fair = metric(&r, "max_fair_ratio").unwrap();
        assert!(
            max_fair > 2.0,
            "{strategy}: the weight-1 server holds far more than its share"
        );
    }
    let r = run(
        &[("strategy", "ring"), ("shards", "3"), ("weights", "1,2,3")],
        &[],
    );
    // Change detector (this model's output); the known answer is the point count below.
    assert_eq!(keys_per_shard(&r), [147, 363, 490]);
    let Frame::Shards(f) = r.frame() else {
        panic!()
    };
    assert_eq!(
        f.shards[1].caption.as_deref(),
        Some("10.0.1.2:11211 · weight 2")
    );
    // By hand: 100 virtual nodes per unit of weight, 100 + 200 + 300.
    assert_eq!(r.model().placer().ring().unwrap().points().len(), 600);
}

// ---------------------------------------------------------------- the lesson's numbers

#[test]
fn a_fifth_server_moves_a_fifth_under_consistent_strategies_and_four_fifths_under_modulo() {
    // Worked apart from the model for 1,000 sequential users: hash % N moves a key when its
    // FNV-1a-64 differs mod 4 and mod 5; jump hash when jump_hash(·, 4) ≠ jump_hash(·, 5).
    assert_eq!(
        fnv1a64_by_hand(b"a"),
        0xaf63_dc4c_8601_ec8c,
        "FNV's check value"
    );
    let (four, five) = (NonZeroU32::new(4).unwrap(), NonZeroU32::new(5).unwrap());
    let (mut modulo_moves, mut jump_moves) = (0, 0);
    for id in 0..1000 {
        let h = fnv1a64_by_hand(key_name(id).as_bytes());
        modulo_moves += u64::from(h % 4 != h % 5);
        jump_moves += u64::from(jump_hash(h, four) != jump_hash(h, five));
    }
    // The ring's, ketama's, rendezvous's and bounded loads' figures are change detectors (this
    // model's output; each is near the 200 a fifth would be, and the lesson quotes the ring's).
    let expected = [
        ("modulo", modulo_moves),
        ("ring", 193),
        ("ketama", 188),
        ("jump", jump_moves),
        ("rendezvous", 196),
        ("bounded", 199),
    ];
    assert_eq!((modulo_moves, jump_moves), (801, 195));
    for (strategy, moved) in expected {
        let r = run(&[("strategy", strategy)], &["0:add-shard"]);
        assert_eq!(metric(&r, "moved_keys"), Some(moved as f64), "{strategy}");
        assert_eq!(
            metric(&r, "modulo_moved_keys"),
            Some(modulo_moves as f64),
            "{strategy}"
        );
        assert_eq!(metric(&r, "shards"), Some(5.0));
        if strategy != "modulo" && strategy != "bounded" {
            assert!(
                r.model().last_moves().unwrap().iter().all(|m| m.to == "4"),
                "{strategy}: every moved key goes to the new shard"
            );
        }
    }
    // hash % 4 on consecutive ids is exactly even: FNV-1a's low two bits depend only on the low
    // two bits of each byte, so user:0, user:1, … cycle through the remainders.
    let r = run(&[("strategy", "modulo")], &[]);
    assert_eq!(keys_per_shard(&r), [250, 250, 250, 250]);
    assert_eq!(metric(&r, "max_mean_ratio"), Some(1.0));
}

#[test]
fn bounded_loads_cap_a_lopsided_ring() {
    // Change detectors (this model's output): one point per server leaves the ring lopsided,
    // and bounded loads' exact fill and forwarding below. The hand-worked answers are the
    // capacity, that no server exceeds it and that every key is placed.
    let ring = run(&[("strategy", "ring"), ("vnodes", "1")], &[]);
    assert_eq!(keys_per_shard(&ring), [43, 262, 691, 4]);
    assert_eq!(metric(&ring, "capacity"), None);
    let bounded = run(
        &[
            ("strategy", "bounded"),
            ("vnodes", "1"),
            ("epsilon", "0.25"),
        ],
        &[],
    );
    // ⌈1.25 × 1000 / 4⌉ = 313.
    assert_eq!(metric(&bounded, "capacity"), Some(313.0));
    let loads = keys_per_shard(&bounded);
    assert!(loads.iter().all(|&n| n <= 313), "{loads:?}");
    assert_eq!(loads.iter().sum::<u64>(), 1000);
    assert_eq!(loads, [312, 313, 313, 62]);
    assert_eq!(metric(&bounded, "forwarded_keys"), Some(487.0));
    // At most the capacity over the mean: 313 / 250 = 1.252 (the ceiling adds under one key).
    assert_eq!(metric(&bounded, "max_mean_ratio"), Some(313.0 / 250.0));
    let Frame::Shards(f) = bounded.frame() else {
        panic!()
    };
    let full: Vec<bool> = f.shards.iter().map(|s| s.hot).collect();
    assert_eq!(full, [false, true, true, false], "full shards are flagged");
}

#[test]
fn the_lessons_questions_have_the_expected_answers() {
    let lesson = catalog::lesson("hashing-strategies").unwrap();
    let q = |id: &str| {
        lesson
            .reveal(lesson.questions.iter().find(|q| q.id == id).unwrap())
            .unwrap()
    };
    let ketama = q("ketama-user-13");
    assert!(ketama.is_right("2") && !ketama.is_right("0") && !ketama.is_right("1"));
    assert!(q("ring-add-fifth").is_right("19.3") && !q("ring-add-fifth").is_right("80"));
    assert!(q("jump-middle-cost").is_right("68.5") && !q("jump-middle-cost").is_right("10"));
}

#[test]
fn shard_indices_shift_but_addresses_stay() {
    let r = run(
        &[("strategy", "ring"), ("shards", "4")],
        &["0:remove-shard:1", "0:add-shard"],
    );
    let Frame::Shards(f) = r.frame() else {
        panic!()
    };
    let captions: Vec<&str> = f
        .shards
        .iter()
        .map(|s| s.caption.as_deref().unwrap())
        .collect();
    assert_eq!(
        captions,
        [
            "10.0.1.1:11211",
            "10.0.1.3:11211",
            "10.0.1.4:11211",
            "10.0.1.5:11211"
        ],
        "a new server gets a new address; removed addresses are not reused"
    );
    assert_eq!(r.model().nodes(), ["0", "1", "2", "3"]);
}

#[test]
fn a_refused_input_changes_nothing() {
    let mut r = Run::<PlacementModel>::new(&scenario(&[("shards", "3")], &[])).unwrap();
    r.seek(SimTime::from_ms(1));
    let before = keys_per_shard(&r);
    for bad in [
        "remove-shard:3",
        "set-weight:5=2",
        "set-weight:0=0",
        "set-weight:0",
        "resize:65",
        "add-keys:0",
        "add-keys:49001",
        "fly",
    ] {
        r.apply_now(Input::parse(bad).unwrap());
        assert!(r.last_trace_line().unwrap().rejected, "{bad} is refused");
    }
    assert_eq!(keys_per_shard(&r), before);
    assert_eq!(metric(&r, "moved_keys"), None);
    r.validate().unwrap();
}
