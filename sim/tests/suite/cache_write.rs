//! The write-policy model through the registry, as the app and the CLI run it: every preset of
//! the write-policies lesson runs to its end with its invariants held, the cache-first
//! write-through's failed write shows as uncommitted reads where the correct order shows none,
//! and pinned digests catch drift between targets (this file also runs as wasm32).

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use sim::time::SimTime;

use crate::common;
use common::{metric, preset, start_at};

#[test]
fn a_failed_database_write_after_the_cache_first_is_read_back_and_the_correct_order_is_not() {
    // Both presets have no background writes; at 2 s a write of k1 fails at the database. Every
    // read of k1 after 2,001 ms under the buggy order returns v2, which the database never
    // stored; under write-through (the database first) none does.
    let at = SimTime::from_secs(12);
    let buggy = start_at(&preset("write-policies", Some("buggy-cache-first")), at);
    let right = start_at(&preset("write-policies", Some("write-fails")), at);
    assert_eq!(metric(buggy.as_ref(), "failed_writes"), 1.0);
    assert_eq!(metric(right.as_ref(), "failed_writes"), 1.0);
    assert!(metric(buggy.as_ref(), "uncommitted_reads") > 0.0);
    assert_eq!(metric(right.as_ref(), "uncommitted_reads"), 0.0);
    assert_eq!(metric(right.as_ref(), "stale_reads"), 0.0);
}

#[test]
fn pinned_digests() {
    // Change detectors, computed natively, not known answers: the wasm32 run of this file must
    // agree bit for bit (Poisson gaps use libm, key draws are u64, every map is ordered).
    for (name, want) in [
        ("cache-aside", 0x7342_68db_7e29_2d53_u64),
        ("write-behind", 0x4206_5b42_7a38_9940),
        ("race-leases", 0x8213_90de_e8af_ad13),
        ("buggy-flusher", 0xda85_16f5_90d3_cf1a),
        ("buggy-cache-first", 0x7487_25bf_b127_10b8),
    ] {
        let s = preset("write-policies", Some(name));
        let got = start_at(&s, SimTime::from_secs(12)).digest();
        assert_eq!(got, want, "{name}: {got:#018x}");
    }
}
