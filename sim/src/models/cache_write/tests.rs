//! Known answers worked by hand (the timings in each comment follow from the defaults: cache
//! round trip 1 ms, database read 20 ms, database write 30 ms, TTL 10 s), the cache-aside race,
//! leases, the crash, the buggy variants, determinism and the invariants.

use super::*;
use crate::engine::{Run, Simulation};
use crate::scenario::TimedInput;

/// A run with no background traffic, the given parameters and scripted inputs.
fn run(params: &[(&str, &str)], inputs: &[&str], until_ms: u64) -> Run<CacheWrite> {
    let specs = CacheWrite::specs();
    let mut all = vec![("read_rate", "0"), ("write_rate", "0")];
    all.extend_from_slice(params);
    let (set, errors) = ParamSet::resolve(&specs, all);
    assert!(errors.is_empty(), "{errors:?}");
    let inputs = inputs
        .iter()
        .map(|t| TimedInput::parse(t).unwrap())
        .collect();
    let mut r = Run::<CacheWrite>::with_params(set, 7, inputs, SimTime::from_ms(until_ms)).unwrap();
    // Validate along the way, not only at the end.
    let mut t = 0;
    while t < until_ms {
        t = (t + 5).min(until_ms);
        r.seek(SimTime::from_ms(t));
        r.validate().unwrap_or_else(|e| panic!("at {t} ms: {e}"));
    }
    r
}

fn metric(r: &Run<CacheWrite>, id: &str) -> f64 {
    r.metrics()
        .get(id)
        .and_then(|v| v.as_f64())
        .unwrap_or(f64::NAN)
}

/// (hits, misses, db_reads, db_writes, stale_reads, lost_writes)
fn counts(r: &Run<CacheWrite>) -> (u64, u64, u64, u64, u64, u64) {
    let c = r.model().counts();
    (
        c.hits,
        c.misses,
        c.db_reads,
        c.db_writes,
        c.stale_reads,
        c.lost_writes,
    )
}

/// Read k1, read it again, write it, read twice more.
const SCRIPT: &[&str] = &[
    "0:read:k1",
    "100:read:k1",
    "200:write:k1",
    "300:read:k1",
    "400:read:k1",
];

#[test]
fn cache_aside_by_hand() {
    // 0: miss (1 ms), database read, fill v1 at 21 ms. 100: hit. 200: commit v2 at 230, delete
    // at 231. 300: miss, database read, fill v2. 400: hit v2.
    let r = run(&[("policy", "cache-aside")], SCRIPT, 1_000);
    assert_eq!(counts(&r), (2, 2, 2, 1, 0, 0));
    assert_eq!(r.model().db_version(0), 2);
    assert_eq!(
        r.model().cached(0),
        Some(Cached {
            version: 2,
            dirty: false
        })
    );
    assert_eq!(
        metric(&r, "write_latency_ms"),
        31.0,
        "30 ms write + 1 ms delete"
    );
    assert_eq!(metric(&r, "read_latency_ms"), 11.0, "(21 + 1 + 21 + 1) / 4");
    assert_eq!(metric(&r, "hit_ratio"), 0.5);
}

#[test]
fn write_through_by_hand() {
    // 200: through the cache (1 ms) to the database (30 ms): commit v2 at 231, the cache set
    // then, acknowledged at 232. Both later reads hit v2.
    let r = run(&[("policy", "write-through")], SCRIPT, 1_000);
    assert_eq!(counts(&r), (3, 1, 1, 1, 0, 0));
    assert_eq!(r.model().cached(0).map(|c| c.version), Some(2));
    assert_eq!(metric(&r, "write_latency_ms"), 32.0);
}

#[test]
fn write_around_serves_the_old_value_until_its_ttl() {
    // 200: v2 to the database only; the cache keeps v1 (filled at 21 ms, expires at 10,021).
    // 300 and 400 hit v1: stale. 10,100: miss, fill v2. 10,200: hit v2.
    let mut script = SCRIPT.to_vec();
    script.extend(["10100:read:k1", "10200:read:k1"]);
    let r = run(&[("policy", "write-around")], &script, 10_500);
    assert_eq!(counts(&r), (4, 2, 2, 1, 2, 0));
    assert_eq!(metric(&r, "write_latency_ms"), 30.0);
}

#[test]
fn read_through_loads_a_key_once_for_concurrent_misses() {
    // Two readers miss k1 at 1 and 6 ms; one load (20 ms) serves both.
    let r = run(
        &[("policy", "read-through")],
        &["0:read:k1", "5:read:k1"],
        100,
    );
    assert_eq!(counts(&r), (0, 2, 1, 0, 0, 0));
    assert_eq!(r.model().counts().reads, 2);
    // Cache-aside: each reader reads the database.
    let r = run(
        &[("policy", "cache-aside")],
        &["0:read:k1", "5:read:k1"],
        100,
    );
    assert_eq!(counts(&r), (0, 2, 2, 0, 0, 0));
}

#[test]
fn write_behind_flushes_a_full_batch_coalesced() {
    // Writes at 0, 100 (k1) and 300 (k2) reach the cache 1 ms later as k1 v2, k1 v3, k2 v2; the
    // third fills the batch of 3: one flush, two row writes (k1's two coalesce), at 331 ms.
    let inputs = ["0:write:k1", "100:write:k1", "150:read:k1", "300:write:k2"];
    let r = run(&[("policy", "write-behind"), ("batch", "3")], &inputs, 320);
    assert_eq!(r.model().db_version(0), 1, "nothing flushed yet");
    assert_eq!(
        r.model().cached(0),
        Some(Cached {
            version: 3,
            dirty: true
        })
    );
    assert_eq!(r.model().pending(), 0, "the batch is in flight");
    assert_eq!(
        counts(&r),
        (1, 0, 0, 0, 0, 0),
        "the dirty read is a hit, not stale"
    );
    let r = run(&[("policy", "write-behind"), ("batch", "3")], &inputs, 400);
    assert_eq!((r.model().db_version(0), r.model().db_version(1)), (3, 2));
    assert_eq!(r.model().counts().db_writes, 2);
    assert_eq!(
        r.model().cached(0),
        Some(Cached {
            version: 3,
            dirty: false
        })
    );
    assert_eq!(metric(&r, "write_latency_ms"), 1.0);
}

#[test]
fn a_crash_loses_exactly_the_pending_writes() {
    // Three writes pending (flush every 2 s, batch 10); the crash at 500 ms loses all three.
    // The next write of k1 is v5: the lost versions 2-4 are never reused.
    let inputs = [
        "0:write:k1",
        "100:write:k2",
        "200:write:k1",
        "500:crash",
        "600:read:k1",
        "2500:write:k1",
    ];
    let r = run(&[("policy", "write-behind")], &inputs, 700);
    assert_eq!(counts(&r), (0, 1, 1, 0, 0, 3));
    assert_eq!(r.model().db_version(0), 1);
    assert_eq!(
        r.model().cached(0),
        Some(Cached {
            version: 1,
            dirty: false
        }),
        "refilled from the database"
    );
    let r = run(&[("policy", "write-behind")], &inputs, 4_100);
    assert_eq!(r.model().db_version(0), 4, "flushed by the 4 s timer");
    assert_eq!(metric(&r, "lost_writes"), 3.0);
    // The same writes with write-through lose nothing.
    let r = run(&[("policy", "write-through")], &inputs, 700);
    assert_eq!(r.model().counts().lost_writes, 0);
    assert_eq!(r.model().db_version(0), 3);
}

#[test]
fn a_crash_during_a_flush_loses_only_what_was_not_sent() {
    // Batch 2: the second write (101 ms) sends both; a third write at 110 ms waits; the crash at
    // 115 ms, while the batch is in flight, loses only the third.
    let inputs = ["0:write:k1", "100:write:k2", "110:write:k1", "115:crash"];
    let r = run(&[("policy", "write-behind"), ("batch", "2")], &inputs, 300);
    assert_eq!(r.model().counts().lost_writes, 1);
    assert_eq!((r.model().db_version(0), r.model().db_version(1)), (2, 2));
}

#[test]
fn the_cache_aside_race_leaves_a_stale_value() {
    // A misses at 1,001 ms and reads v1; B starts at 1,002, commits v2 at 1,032 and deletes at
    // 1,033; A's answer, held up 200 ms, fills v1 at 1,221. Reads at 1,500 and 2,000 are stale;
    // the entry expires at 11,221, after which a read fills v2.
    let inputs = [
        "1000:race:k1",
        "1500:read:k1",
        "2000:read:k1",
        "11300:read:k1",
        "11400:read:k1",
    ];
    let r = run(&[("policy", "cache-aside")], &inputs, 1_300);
    assert_eq!(
        r.model().cached(0),
        Some(Cached {
            version: 1,
            dirty: false
        })
    );
    assert_eq!(r.model().db_version(0), 2);
    assert_eq!(r.model().counts().stale_fills, 1);
    let r = run(&[("policy", "cache-aside")], &inputs, 11_500);
    let c = r.model().counts();
    assert_eq!((c.hits, c.stale_reads), (3, 2));
    assert_eq!(r.model().cached(0).map(|c| c.version), Some(2));
    // Without the delay A's fill (1,021) comes before B's commit: no stale value.
    let r = run(
        &[("policy", "cache-aside"), ("race_delay_ms", "0")],
        &inputs,
        2_100,
    );
    assert_eq!(r.model().counts().stale_reads, 0);
}

#[test]
fn leases_refuse_the_racing_fill() {
    // B's delete at 1,033 invalidates A's lease: A's fill at 1,221 is refused; the next read
    // misses and fills v2.
    let inputs = ["1000:race:k1", "1500:read:k1", "2000:read:k1"];
    let r = run(
        &[("policy", "cache-aside"), ("leases", "true")],
        &inputs,
        2_100,
    );
    let c = r.model().counts();
    assert_eq!((c.refused_fills, c.stale_reads, c.stale_fills), (1, 0, 0));
    assert_eq!((c.hits, c.misses), (1, 2));
}

#[test]
fn the_race_under_each_policy() {
    let inputs = ["1000:race:k1", "1500:read:k1"];
    let stale = |policy| {
        run(&[("policy", policy)], &inputs, 1_600)
            .model()
            .counts()
            .stale_reads
    };
    // Write-through's set (1,033) is overwritten by A's plain set (1,221), as with cache-aside.
    assert_eq!(stale("write-through"), 1);
    assert_eq!(stale("write-around"), 1);
    // Read-through's load adds only an absent key, but B's delete made it absent: still stale.
    assert_eq!(stale("read-through"), 1);
    // Write-behind: B's write is in the cache (dirty v2) before A's fill, which keeps it.
    assert_eq!(stale("write-behind"), 0);
}

#[test]
fn the_buggy_write_through_recaches_the_old_value_with_a_fresh_ttl() {
    // k1 v1 cached at 21 ms. The write commits v2 at 130; the re-read at 131 hits v1 and sets
    // it again, now expiring at 10,131 instead of 10,021. Reads at 200 and 10,050 are stale.
    let inputs = [
        "0:read:k1",
        "100:write:k1",
        "200:read:k1",
        "10050:read:k1",
        "10200:read:k1",
    ];
    let r = run(&[("policy", "write-through-recache")], &inputs, 10_300);
    let c = r.model().counts();
    assert_eq!((c.hits, c.misses, c.stale_reads), (2, 2, 2));
    assert_eq!(
        r.model().cached(0).map(|c| c.version),
        Some(2),
        "after the TTL a miss fills v2"
    );
    // The correct write-through: both reads after the write see v2.
    let r = run(&[("policy", "write-through")], &inputs, 10_300);
    assert_eq!(r.model().counts().stale_reads, 0);
    // With nothing cached, the buggy version reads the database and caches v2: no harm.
    let r = run(
        &[("policy", "write-through-recache")],
        &["100:write:k1", "200:read:k1"],
        300,
    );
    let c = r.model().counts();
    assert_eq!((c.hits, c.stale_reads, c.db_reads), (1, 0, 1));
}

#[test]
fn a_failed_database_write_after_the_cache_first_leaves_a_value_never_committed() {
    // 0: miss, fill v1 at 21 ms. 100: the write reaches the cache at 101 and the buggy version
    // sets k1 v2 there first; its database write (30 ms) fails at 131: the client gets an error
    // and the database keeps v1. 200: the read hits v2, a version the database never stored.
    let inputs = ["0:read:k1", "100:fail-db-write:k1", "200:read:k1"];
    let r = run(&[("policy", "write-through-cache-first")], &inputs, 300);
    let c = r.model().counts();
    assert_eq!(
        (c.hits, c.misses, c.uncommitted_reads, c.stale_reads),
        (1, 1, 1, 0)
    );
    assert_eq!((c.failed_writes, c.writes, c.db_writes), (1, 0, 0));
    assert_eq!(r.model().db_version(0), 1);
    assert_eq!(
        r.model().cached(0),
        Some(Cached {
            version: 2,
            dirty: false
        })
    );
    assert_eq!(metric(&r, "uncommitted_reads"), 1.0);
    let said = r.trace_lines();
    assert!(
        said.iter()
            .any(|l| l.text.contains("the database never stored it (it has v1)")),
        "{said:?}"
    );
    // The correct orders, the database first: the failure skips the cache step, so the read at
    // 200 ms returns v1, the committed version.
    for policy in ["write-through", "cache-aside", "write-through-recache"] {
        let r = run(&[("policy", policy)], &inputs, 300);
        let c = r.model().counts();
        assert_eq!(
            (c.hits, c.uncommitted_reads, c.stale_reads, c.failed_writes),
            (1, 0, 0, 1),
            "{policy}"
        );
        assert_eq!(r.model().cached(0).map(|c| c.version), Some(1), "{policy}");
    }
    // The next write of k1 is v3 (v2 is never reused): cache at 301, database at 331, and the
    // read at 400 hits v3, committed.
    let mut more = inputs.to_vec();
    more.extend(["300:write:k1", "400:read:k1"]);
    let r = run(&[("policy", "write-through-cache-first")], &more, 500);
    let c = r.model().counts();
    assert_eq!((c.hits, c.uncommitted_reads, c.db_writes), (2, 1, 1));
    assert_eq!(r.model().db_version(0), 3);
    assert_eq!(
        metric(&r, "write_latency_ms"),
        31.0,
        "1 ms cache + 30 ms database"
    );
}

#[test]
fn the_cache_first_write_through_serves_uncommitted_values_even_when_the_write_succeeds() {
    // The write takes the cache at 101 ms and commits at 131; a read at 110 (hit at 111) gets v2
    // before the database has it. A read at 200 is an ordinary hit.
    let inputs = ["0:read:k1", "100:write:k1", "110:read:k1", "200:read:k1"];
    let r = run(&[("policy", "write-through-cache-first")], &inputs, 300);
    let c = r.model().counts();
    assert_eq!((c.hits, c.uncommitted_reads, c.failed_writes), (2, 1, 0));
    assert_eq!(r.model().db_version(0), 2);
}

#[test]
fn a_write_behind_policy_refuses_to_fail_a_database_write_with_a_message() {
    let r = run(&[("policy", "write-behind")], &["0:fail-db-write:k1"], 10);
    let lines = r.trace_lines();
    assert!(
        lines
            .iter()
            .any(|l| l.text.contains("does not fail its flushes")),
        "{lines:?}"
    );
    assert_eq!(r.model().counts().failed_writes, 0);
}

#[test]
fn the_one_at_a_time_flusher_drains_one_write_per_cycle() {
    // Three writes by 21 ms; flusher: 1 s sleep, 0.5 s write. One reaches the database at
    // 1.5 s, 3.0 s and 4.5 s. A crash at 2 s loses the two still queued; batching flushes
    // all three by 1.5 s and loses none.
    let params = [("db_write_ms", "500"), ("flush_ms", "1000")];
    let inputs = ["0:write:k1", "10:write:k2", "20:write:k3", "2000:crash"];
    let buggy = |until| {
        let mut p = params.to_vec();
        p.push(("policy", "write-behind-one"));
        run(&p, &inputs[..3], until)
    };
    assert_eq!(buggy(1_600).model().counts().db_writes, 1);
    assert_eq!(buggy(3_100).model().counts().db_writes, 2);
    assert_eq!(buggy(4_600).model().counts().db_writes, 3);
    let mut p = params.to_vec();
    p.push(("policy", "write-behind-one"));
    assert_eq!(run(&p, &inputs, 2_100).model().counts().lost_writes, 2);
    let mut p = params.to_vec();
    p.push(("policy", "write-behind"));
    let r = run(&p, &inputs, 2_100);
    assert_eq!(
        (r.model().counts().db_writes, r.model().counts().lost_writes),
        (3, 0)
    );
}

#[test]
fn same_seed_same_run_and_the_invariants_hold_under_load() {
    for policy in super::policy::POLICIES.iter().map(|p| p.0) {
        let p = [
            ("policy", policy),
            ("read_rate", "80"),
            ("write_rate", "30"),
            ("popularity", "zipf"),
        ];
        let specs = CacheWrite::specs();
        let (set, _) = ParamSet::resolve(&specs, p);
        let inputs: Vec<TimedInput> = ["3000:race:k2", "4000:fail-db-write:k1", "5000:crash"]
            .iter()
            .map(|t| TimedInput::parse(t).unwrap())
            .collect();
        let go = || {
            let mut r = Run::<CacheWrite>::with_params(
                set.clone(),
                11,
                inputs.clone(),
                SimTime::from_secs(8),
            )
            .unwrap();
            for t in (0..=8_000).step_by(50) {
                r.seek(SimTime::from_ms(t));
                r.validate()
                    .unwrap_or_else(|e| panic!("{policy} at {t} ms: {e}"));
            }
            r
        };
        let (a, b) = (go(), go());
        assert_eq!(a.metrics(), b.metrics(), "{policy}");
        assert_eq!(a.frame(), b.frame(), "{policy}");
        assert!(a.model().counts().reads > 500, "{policy}: traffic ran");
    }
}

#[test]
fn bad_keys_are_refused_with_a_message() {
    let r = run(&[("keys", "2")], &["0:read:k3", "0:write:zebra"], 10);
    let lines = r.trace_lines();
    assert!(
        lines
            .iter()
            .any(|l| l.text.contains("the keys are k1 to k2")),
        "{lines:?}"
    );
}

#[test]
fn the_frame_shows_versions_and_states() {
    use crate::models::store_view::EntryState;
    let r = run(&[("policy", "cache-aside")], &["1000:race:k1"], 1_300);
    let f = r.model().frame(SimTime::from_ms(1_300));
    let ids: Vec<&str> = f.tiers.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, ["client", "cache", "db"]);
    let cache = &f.tiers[1].entries[0];
    assert_eq!(
        (cache.key.as_str(), cache.version, cache.state),
        ("k1", Some(1), EntryState::Stale)
    );
    assert_eq!(f.tiers[2].entries[0].version, Some(2));
    let last = f.last.unwrap();
    assert!(!last.ok && last.text.contains("stale"), "{}", last.text);
}
