//! The synthetic cache workloads: each shape does what its name says (checked by counting, not
//! by pinning our own output), streams are a function of the seed, sizes a function of the key,
//! bad parameters are refused with a message, and pinned digests catch drift between targets
//! (this file also runs as wasm32).

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use sim::cache::workload::{SizeModel, Workload, FRESH_KEY_BASE};
use sim::cache::{Request, NEVER};
use sim::models::hot_keys::Lru;
use std::collections::BTreeMap;

fn take(w: &Workload, seed: u64, n: u64) -> Vec<Request> {
    w.generate(seed, SizeModel::Fixed(1), n).unwrap()
}

fn counts(trace: &[Request]) -> BTreeMap<u64, u64> {
    let mut c = BTreeMap::new();
    for r in trace {
        *c.entry(r.key).or_insert(0) += 1;
    }
    c
}

/// LRU misses over a trace (a count-only LRU; a miss inserts).
fn lru_misses(capacity: u32, trace: &[Request]) -> u64 {
    let mut lru = Lru::new(capacity);
    let mut misses = 0;
    for r in trace {
        if !lru.get(r.key) {
            lru.insert(r.key);
            misses += 1;
        }
    }
    misses
}

fn all_shapes() -> Vec<Workload> {
    vec![
        Workload::Uniform { keys: 500 },
        Workload::Zipf { keys: 500, s: 0.9 },
        Workload::Loop { len: 120 },
        Workload::ScanMix {
            hot_keys: 300,
            s: 1.0,
            scan_share: 0.25,
            scan_len: 50,
        },
        Workload::OneHitWonders {
            keys: 300,
            s: 1.0,
            share: 0.3,
        },
        Workload::Shifting {
            keys: 100,
            s: 1.0,
            period: 1_000,
            shift: 100,
        },
    ]
}

#[test]
fn same_seed_same_stream_other_seed_another() {
    for w in all_shapes() {
        let a = take(&w, 9, 2_000);
        assert_eq!(a, take(&w, 9, 2_000), "{w:?}");
        if !matches!(w, Workload::Loop { .. }) {
            assert_ne!(a, take(&w, 10, 2_000), "{w:?}");
        }
        // The iterator and the collected trace agree (generate only adds `next`).
        let streamed: Vec<u64> = w
            .stream(9, SizeModel::Fixed(1))
            .unwrap()
            .take_u64(2_000)
            .map(|r| r.key)
            .collect();
        assert_eq!(streamed, a.iter().map(|r| r.key).collect::<Vec<_>>());
    }
}

#[test]
fn pinned_digests() {
    // Pinned change detectors (natively computed, not known answers): the wasm32 run of this
    // file must give the same bits (Zipf tables and sizes use libm; draws are u64 only).
    let sizes = SizeModel::LogNormal {
        median: 4_000.0,
        sigma: 1.5,
        max: 1 << 20,
    };
    let mut got = Vec::new();
    for w in all_shapes() {
        let trace = w.generate(3, sizes, 5_000).unwrap();
        let mut bytes = Vec::new();
        for r in &trace {
            bytes.extend_from_slice(&r.key.to_le_bytes());
            bytes.extend_from_slice(&r.size.to_le_bytes());
            bytes.extend_from_slice(&r.next.to_le_bytes());
        }
        got.push(sim::trace::fnv1a64(&bytes));
    }
    let want: [u64; 6] = [
        0x1350_5727_1834_d231,
        0xb8d1_0106_3d5f_439f,
        0xeec6_4836_3a65_5cd2,
        0x8120_0f85_c3cc_790c,
        0x1e7f_931c_a512_8a60,
        0x6b54_ff4d_f82b_b923,
    ];
    assert_eq!(got, want, "{got:#018x?}");
}

#[test]
fn uniform_spreads_evenly() {
    let trace = take(&Workload::Uniform { keys: 10 }, 1, 50_000);
    let c = counts(&trace);
    assert_eq!(c.len(), 10);
    // Each count is Binomial(50,000, 0.1): mean 5,000, σ ≈ 67; 5σ bounds.
    for (k, n) in c {
        assert!((4_665..=5_335).contains(&n), "key {k} drawn {n} times");
    }
}

#[test]
fn a_loop_larger_than_the_cache_defeats_lru() {
    let len = 100;
    let trace = take(&Workload::Loop { len }, 1, 10_000);
    assert!(trace
        .iter()
        .enumerate()
        .all(|(i, r)| r.key == i as u64 % len));
    // Every request misses with 99 slots; with 100 only the first pass misses.
    assert_eq!(lru_misses(99, &trace), 10_000);
    assert_eq!(lru_misses(100, &trace), 100);
    // Next use is exactly one loop later.
    assert_eq!(trace[5].next, 105);
    assert_eq!(trace[9_950].next, NEVER);
}

#[test]
fn scans_are_fresh_sequential_keys_at_the_stated_share() {
    let w = Workload::ScanMix {
        hot_keys: 200,
        s: 1.0,
        scan_share: 0.2,
        scan_len: 40,
    };
    // Period = 40 / 0.2 = 200 requests: 160 hot, then a scan of 40 never-seen keys.
    let trace = take(&w, 4, 10_000);
    let fresh: Vec<u64> = trace
        .iter()
        .filter(|r| r.key >= FRESH_KEY_BASE)
        .map(|r| r.key)
        .collect();
    assert_eq!(fresh.len(), 2_000, "a fifth of 10,000 requests");
    assert!(fresh.windows(2).all(|p| p[1] == p[0] + 1), "sequential");
    for (i, r) in trace.iter().enumerate() {
        let in_scan = i % 200 >= 160;
        assert_eq!(r.key >= FRESH_KEY_BASE, in_scan, "request {i}");
        if in_scan {
            assert_eq!(r.next, NEVER, "a scanned key is never seen again");
        } else {
            assert!(r.key < 200);
        }
    }
}

#[test]
fn one_hit_wonders_are_requested_exactly_once_at_the_stated_share() {
    let w = Workload::OneHitWonders {
        keys: 1_000,
        s: 1.0,
        share: 0.3,
    };
    let n = 40_000u64;
    let trace = take(&w, 8, n);
    let c = counts(&trace);
    let wonders: Vec<u64> = c
        .iter()
        .filter(|(k, _)| **k >= FRESH_KEY_BASE)
        .map(|(_, n)| *n)
        .collect();
    assert!(wonders.iter().all(|n| *n == 1));
    // Binomial(40,000, 0.3): σ ≈ 92; 5σ bounds.
    let share = wonders.len() as f64 / n as f64;
    assert!((0.2885..=0.3115).contains(&share), "share {share}");
    assert!(c
        .keys()
        .filter(|k| **k < FRESH_KEY_BASE)
        .all(|k| *k < 1_000));
    // Share 0: none.
    let none = take(
        &Workload::OneHitWonders {
            keys: 10,
            s: 1.0,
            share: 0.0,
        },
        8,
        1_000,
    );
    assert!(none.iter().all(|r| r.key < 10));
}

#[test]
fn the_hot_set_moves_every_period() {
    let w = Workload::Shifting {
        keys: 50,
        s: 1.2,
        period: 5_000,
        shift: 50,
    };
    let trace = take(&w, 2, 15_000);
    for (phase, chunk) in trace.chunks(5_000).enumerate() {
        let lo = phase as u64 * 50;
        assert!(chunk.iter().all(|r| (lo..lo + 50).contains(&r.key)));
        // The phase's most requested key is its rank 1.
        let c = counts(chunk);
        let top = c.iter().max_by_key(|(_, n)| **n).map(|(k, _)| *k);
        assert_eq!(top, Some(lo), "phase {phase}");
    }
    // A partial shift overlaps: phase 1 with shift 10 covers keys 10..60.
    let half = take(
        &Workload::Shifting {
            keys: 50,
            s: 1.0,
            period: 100,
            shift: 10,
        },
        2,
        200,
    );
    assert!(half[100..].iter().all(|r| (10..60).contains(&r.key)));
}

#[test]
fn a_key_always_has_the_same_size() {
    let sizes = SizeModel::Pareto {
        min: 100,
        alpha: 1.2,
        max: 1_000_000,
    };
    let trace = Workload::Zipf { keys: 200, s: 1.0 }
        .generate(6, sizes, 20_000)
        .unwrap();
    let mut size_of: BTreeMap<u64, u32> = BTreeMap::new();
    for r in &trace {
        assert_eq!(
            *size_of.entry(r.key).or_insert(r.size),
            r.size,
            "key {}",
            r.key
        );
        assert!((100..=1_000_000).contains(&r.size));
        assert_eq!(r.size, sizes.size_of(6, r.key));
    }
    // Another seed, other sizes.
    let differ = (0..200u64)
        .filter(|k| sizes.size_of(6, *k) != sizes.size_of(7, *k))
        .count();
    assert!(differ > 150);
}

#[test]
fn size_distributions_have_their_stated_shape() {
    // Over 20,000 keys: the log-normal's median is its `median` (the share of keys at or below
    // it is 1/2, σ of the share 0.0035; bounds ±0.02), and the Pareto's tail is
    // P(X > x) = (min/x)^α (at x = 4·min with α = 1: 1/4; bounds ±0.02).
    let keys = 20_000u64;
    let ln = SizeModel::LogNormal {
        median: 1_000.0,
        sigma: 1.0,
        max: u32::MAX,
    };
    let below = (0..keys).filter(|k| ln.size_of(1, *k) <= 1_000).count();
    let share = below as f64 / keys as f64;
    assert!(
        (share - 0.5).abs() < 0.02,
        "log-normal share ≤ median {share}"
    );
    let pa = SizeModel::Pareto {
        min: 100,
        alpha: 1.0,
        max: u32::MAX,
    };
    let above = (0..keys).filter(|k| pa.size_of(1, *k) > 400).count();
    let tail = above as f64 / keys as f64;
    assert!((tail - 0.25).abs() < 0.02, "Pareto P(X > 4 min) {tail}");
    // Clamped to max.
    let capped = SizeModel::Pareto {
        min: 100,
        alpha: 0.5,
        max: 150,
    };
    assert!((0..1_000u64).all(|k| (100..=150).contains(&capped.size_of(1, k))));
}

#[test]
fn bad_parameters_are_refused_with_a_message() {
    let bad = [
        (Workload::Uniform { keys: 0 }, "number of keys"),
        (
            Workload::Zipf {
                keys: 10,
                s: f64::NAN,
            },
            "Zipf exponent",
        ),
        (Workload::Zipf { keys: 10, s: -1.0 }, "Zipf exponent"),
        (Workload::Loop { len: 0 }, "loop"),
        (
            Workload::ScanMix {
                hot_keys: 10,
                s: 1.0,
                scan_share: 0.0,
                scan_len: 5,
            },
            "scan share",
        ),
        (
            Workload::ScanMix {
                hot_keys: 10,
                s: 1.0,
                scan_share: 0.5,
                scan_len: 0,
            },
            "scan needs",
        ),
        (
            Workload::OneHitWonders {
                keys: 10,
                s: 1.0,
                share: 1.5,
            },
            "one-hit-wonder share",
        ),
        (
            Workload::Shifting {
                keys: 10,
                s: 1.0,
                period: 0,
                shift: 1,
            },
            "at least 1 request",
        ),
    ];
    for (w, words) in bad {
        let e = w.stream(1, SizeModel::Fixed(1)).unwrap_err();
        assert!(e.to_string().contains(words), "{w:?}: {e}");
    }
    for (sizes, words) in [
        (SizeModel::Fixed(0), "at least 1"),
        (
            SizeModel::LogNormal {
                median: 0.5,
                sigma: 1.0,
                max: 10,
            },
            "median",
        ),
        (
            SizeModel::Pareto {
                min: 10,
                alpha: 1.0,
                max: 5,
            },
            "min ≤ max",
        ),
        (
            SizeModel::Pareto {
                min: 1,
                alpha: 0.0,
                max: 5,
            },
            "tail index",
        ),
    ] {
        let e = Workload::Loop { len: 3 }.stream(1, sizes).unwrap_err();
        assert!(e.to_string().contains(words), "{sizes:?}: {e}");
    }
}
