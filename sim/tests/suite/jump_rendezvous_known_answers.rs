//! Known answers for jump consistent hash and rendezvous hashing (`sim::hashing::{jump,
//! rendezvous}`): published vectors of the paper's algorithm, pinned tables from an independent
//! Python implementation, and pinned 10,000-key load tables that double as a cross-target check
//! (this file also runs as wasm32, where any drift in the `f64` jump or in `libm::log` would show).
//!
//! How the vectors were obtained and checked. Every number below was recomputed by the Python 3
//! code in this comment, written from the paper's C++ (Lamping & Veach 2014, figure 1) and from
//! the score function documented in `rendezvous.rs`, not from the Rust code. Python's `float` is
//! an IEEE-754 double, so its `/` and `*` round exactly as Rust's `f64` do; its `math.log` is the
//! platform libm rather than the `libm` crate, so for the rendezvous tables the Python also
//! checked that the winner beats the runner-up by a relative margin of at least 8.9e-5, far above
//! the one-ulp (1e-16) difference two `log` implementations may have.
//!
//! ```python
//! import math
//! M = (1 << 64) - 1
//! def jump(key, n):                       # int32_t JumpConsistentHash(uint64_t, int32_t)
//!     b, j = -1, 0
//!     while j < n:
//!         b = j
//!         key = (key * 2862933555777941757 + 1) & M
//!         j = int(float(b + 1) * (float(1 << 31) / float((key >> 33) + 1)))
//!     return b
//! def fnv1a64(data):
//!     h = 0xcbf29ce484222325
//!     for c in data: h = ((h ^ c) * 0x100000001b3) & M
//!     return h
//! def fmix(z):                            # SplitMix64 output function
//!     z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) & M
//!     z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & M
//!     return z ^ (z >> 31)
//! def score_hash(s, k): return fmix(fnv1a64(s.encode() + b"\0" + k.encode()))
//! def score(s, k, w): return -w / math.log(((score_hash(s, k) >> 11) | 1) / 2.0**53)
//! def ranked(servers, k):                 # servers: {name: weight}
//!     return sorted(servers, key=lambda n: (-score(n, k, servers[n]), n.encode()))
//! ```

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use std::collections::BTreeMap;
use std::num::NonZeroU32;

use sim::hashing::jump::{jump_bucket, jump_hash, key_hash};
use sim::hashing::rendezvous::{score, score_hash, unit_interval, Rendezvous, DEFAULT_WEIGHT};

fn n(buckets: u32) -> NonZeroU32 {
    NonZeroU32::new(buckets).expect("non-zero bucket count")
}

// ---------------------------------------------------------------- jump consistent hash

/// `github.com/dgryski/go-jump`, `jump_test.go` ("Generated from the reference C++ code"):
/// `jump_hash(key, b)` for `b = 1, 2, …`; confirmed by the Python `jump` above.
#[test]
fn jump_matches_go_jump_vectors_generated_from_the_papers_cpp() {
    let table: [(u64, &[u32]); 4] = [
        (0, &[0; 20]),
        (
            1,
            &[0, 0, 0, 0, 0, 0, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 17, 17],
        ),
        (
            0xdead_beef,
            &[0, 1, 2, 3, 3, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 16, 16, 16],
        ),
        (
            0x0ddc_0ffe_ebad_f00d,
            &[0, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 15, 15, 15, 15],
        ),
    ];
    for (key, want) in table {
        for (i, &bucket) in want.iter().enumerate() {
            let buckets = i as u32 + 1;
            assert_eq!(
                jump_hash(key, n(buckets)),
                bucket,
                "jump_hash({key:#x}, {buckets})"
            );
        }
    }
}

/// `github.com/lithammer/go-jump-consistent-hash`, `jump_test.go` (the positive-bucket rows);
/// confirmed by the Python `jump` above.
#[test]
fn jump_matches_lithammer_vectors() {
    for (key, buckets, want) in [
        (1, 1, 0),
        (42, 57, 43),
        (0xDEAD_10CC, 1, 0),
        (0xDEAD_10CC, 666, 361),
        (256, 1024, 520),
    ] {
        assert_eq!(
            jump_hash(key, n(buckets)),
            want,
            "jump_hash({key:#x}, {buckets})"
        );
    }
}

/// lithammer's string vector `{"中国", 10, NewFNV1a, 5}` (Go's `fnv.New64a`, the same FNV-1a 64
/// as `jump_bucket`); confirmed by the Python `jump(fnv1a64(...), 10)` above.
#[test]
fn jump_bucket_matches_lithammer_fnv1a_string_vector() {
    assert_eq!(jump_bucket("中国", n(10)), 5);
}

/// Larger bucket counts, up to the largest `u32`, where the `f64` jump is stretched furthest.
/// Computed by the Python `jump` above (the counts above 2^31 − 1 go beyond the paper's `int32_t`
/// and have no published vector).
#[test]
fn jump_matches_python_at_large_bucket_counts() {
    let counts = [100, 1000, 1_000_000, (1 << 31) - 1, 1 << 31, u32::MAX];
    let table: [(u64, [u32; 6]); 4] = [
        (
            1,
            [55, 549, 985_611, 262_355_607, 262_355_607, 3_094_789_146],
        ),
        (
            0xdead_beef,
            [
                87,
                285,
                479_362,
                1_452_406_526,
                1_452_406_526,
                1_452_406_526,
            ],
        ),
        (
            0x0ddc_0ffe_ebad_f00d,
            [72, 113, 86_737, 848_029_737, 848_029_737, 848_029_737],
        ),
        (
            u64::MAX,
            [92, 313, 589_430, 699_554_662, 699_554_662, 2_680_453_518],
        ),
    ];
    for (key, want) in table {
        for (buckets, bucket) in counts.into_iter().zip(want) {
            assert_eq!(
                jump_hash(key, n(buckets)),
                bucket,
                "jump_hash({key:#x}, {buckets})"
            );
        }
    }
}

/// String keys: FNV-1a 64 of the UTF-8 bytes, then the jump. Computed by the Python above.
#[test]
fn jump_bucket_matches_python_for_string_keys() {
    let counts = [2, 3, 10, 100, 1000];
    let table: [(&str, u64, [u32; 5]); 6] = [
        ("", 0xcbf2_9ce4_8422_2325, [1, 1, 1, 90, 266]),
        ("a", 0xaf63_dc4c_8601_ec8c, [1, 2, 2, 31, 163]),
        ("foobar", 0x8594_4171_f739_67e8, [1, 1, 5, 33, 635]),
        ("key-0", 0x7113_5bf2_95f2_8059, [1, 1, 1, 86, 565]),
        ("user-42", 0x32c6_d7a5_4d35_dacb, [0, 0, 9, 79, 364]),
        ("User123", 0xb5ac_eae3_4655_e166, [1, 1, 5, 67, 572]),
    ];
    for (key, hash, want) in table {
        assert_eq!(key_hash(key), hash, "fnv1a64({key:?})");
        for (buckets, bucket) in counts.into_iter().zip(want) {
            assert_eq!(
                jump_bucket(key, n(buckets)),
                bucket,
                "jump_bucket({key:?}, {buckets})"
            );
        }
    }
}

/// 10,000 keys `"key-0"..` over 10 buckets, count per bucket; from the Python above.
#[test]
fn jump_load_over_ten_buckets_is_pinned() {
    let mut load = [0u32; 10];
    for k in 0..10_000 {
        load[jump_bucket(&format!("key-{k}"), n(10)) as usize] += 1;
    }
    assert_eq!(
        load,
        [1019, 1040, 1014, 985, 1010, 1036, 966, 929, 1017, 984]
    );
}

// ---------------------------------------------------------------- rendezvous hashing

fn rendezvous(servers: &[(&str, f64)]) -> Rendezvous {
    let mut r = Rendezvous::new();
    for &(name, weight) in servers {
        r.add_server(name, weight)
            .expect("distinct valid names and weights");
    }
    r.validate().expect("valid");
    r
}

const ABC: [(&str, f64); 3] = [
    ("A", DEFAULT_WEIGHT),
    ("B", DEFAULT_WEIGHT),
    ("C", DEFAULT_WEIGHT),
];
const WEIGHTED: [(&str, f64); 3] = [("small", 1.0), ("medium", 2.0), ("large", 3.0)];

/// The score function step by step; hashes and score bits from the Python above (its
/// `math.log` and the `libm` crate agree to the bit on these inputs).
#[test]
fn score_hash_and_score_match_python() {
    let table: [(&str, &str, u64, u64); 4] = [
        ("A", "user-42", 0xd0fb_c413_5483_19a2, 0x4013_b644_04aa_8765),
        ("B", "user-42", 0xc3b9_bc34_c4f5_a6bc, 0x400d_cc94_5d2c_120d),
        (
            "server-0",
            "key-0",
            0xae70_f49f_56a5_c12a,
            0x4004_db0a_5342_b043,
        ),
        ("cache", "", 0x47a8_b135_f23e_b058, 0x3fe9_21e1_bc64_b18a),
    ];
    for (server, key, hash, score_bits) in table {
        assert_eq!(
            score_hash(server, key),
            hash,
            "score_hash({server:?}, {key:?})"
        );
        let s = score(server, key, 1.0);
        assert_eq!(
            s.to_bits(),
            score_bits,
            "score({server:?}, {key:?}, 1) = {s}"
        );
        assert_eq!(
            score(server, key, 2.0),
            2.0 * s,
            "the weight scales the score exactly"
        );
    }
    assert_eq!(unit_interval(0xd0fb_c413_5483_19a2), 0.816_341_643_065_709);
}

/// (servers A, B, C, equal weights; key) → the full ranking, owner first; from the Python above.
#[test]
fn owners_and_rankings_of_three_equal_servers() {
    let r = rendezvous(&ABC);
    let table: [(&str, [&str; 3]); 10] = [
        ("user-42", ["C", "A", "B"]),
        ("User123", ["A", "B", "C"]),
        ("alice", ["A", "C", "B"]),
        ("bob", ["B", "A", "C"]),
        ("carol", ["B", "A", "C"]),
        ("dave", ["A", "B", "C"]),
        ("key-0", ["C", "A", "B"]),
        ("key-1", ["C", "A", "B"]),
        ("key-2", ["B", "A", "C"]),
        ("photo:1234", ["B", "C", "A"]),
    ];
    for (key, ranking) in table {
        assert_eq!(r.owner(key), Some(ranking[0]), "owner of {key:?}");
        assert_eq!(r.top_n(key, 3), ranking, "ranking for {key:?}");
    }
}

/// Removing C hands each of C's keys to its runner-up and leaves the rest: the table above with
/// C struck out, which the Python also computed directly from servers {A, B}.
#[test]
fn removing_c_hands_its_keys_to_their_runners_up() {
    let mut r = rendezvous(&ABC);
    assert_eq!(r.remove_server("C"), Ok(DEFAULT_WEIGHT));
    let table = [
        ("user-42", "A"),
        ("User123", "A"),
        ("alice", "A"),
        ("bob", "B"),
        ("carol", "B"),
        ("dave", "A"),
        ("key-0", "A"),
        ("key-1", "A"),
        ("key-2", "B"),
        ("photo:1234", "B"),
    ];
    for (key, owner) in table {
        assert_eq!(r.owner(key), Some(owner), "owner of {key:?} without C");
    }
}

/// (servers small:1, medium:2, large:3; key) → the full ranking; from the Python above.
#[test]
fn owners_and_rankings_with_weights_one_two_three() {
    let r = rendezvous(&WEIGHTED);
    let table: [(&str, [&str; 3]); 10] = [
        ("user-42", ["small", "medium", "large"]),
        ("User123", ["large", "small", "medium"]),
        ("alice", ["medium", "small", "large"]),
        ("bob", ["medium", "large", "small"]),
        ("carol", ["large", "medium", "small"]),
        ("dave", ["large", "small", "medium"]),
        ("key-0", ["large", "medium", "small"]),
        ("key-1", ["small", "medium", "large"]),
        ("key-2", ["large", "medium", "small"]),
        ("photo:1234", ["large", "medium", "small"]),
    ];
    for (key, ranking) in table {
        assert_eq!(r.owner(key), Some(ranking[0]), "owner of {key:?}");
        assert_eq!(r.top_n(key, 3), ranking, "ranking for {key:?}");
    }
}

fn load(r: &Rendezvous, keys: u32) -> BTreeMap<String, u32> {
    let mut load: BTreeMap<String, u32> = r.servers().map(|s| (s.to_owned(), 0)).collect();
    for k in 0..keys {
        let owner = r.owner(&format!("key-{k}")).expect("non-empty");
        *load.get_mut(owner).expect("owner is a server") += 1;
    }
    load
}

/// 10,000 keys `"key-0"..` over `"server-0".."server-9"`, equal weights; from the Python above.
#[test]
fn rendezvous_load_over_ten_equal_servers_is_pinned() {
    let names: Vec<String> = (0..10).map(|i| format!("server-{i}")).collect();
    let servers: Vec<(&str, f64)> = names.iter().map(|s| (s.as_str(), DEFAULT_WEIGHT)).collect();
    let load = load(&rendezvous(&servers), 10_000);
    let got: Vec<u32> = names.iter().map(|s| load[s]).collect();
    assert_eq!(got, [954, 1031, 1008, 1027, 1031, 978, 989, 991, 986, 1005]);
}

/// 10,000 keys over weights 1 : 2 : 3 (expected 1667 : 3333 : 5000); from the Python above.
#[test]
fn rendezvous_load_with_weights_one_two_three_is_pinned() {
    let load = load(&rendezvous(&WEIGHTED), 10_000);
    assert_eq!(
        [load["small"], load["medium"], load["large"]],
        [1711, 3293, 4996]
    );
}
