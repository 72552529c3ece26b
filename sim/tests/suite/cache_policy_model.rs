//! The `cache-policy` model (the eviction-policies lesson): hand-worked known answers on fixed
//! sequences, agreement with `cache::replay` on the same stream, determinism, MIN's future,
//! the `request` input, the family query and bad input. Also runs as wasm32.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use crate::common;

use sim::cache::workload::{SizeModel, Workload};
use sim::cache::{self, CacheEvent};
use sim::engine::Simulation;
use sim::frame::Frame;
use sim::models::cache_policy::{key_label, parse_key, CacheRecord, Caching};
use sim::registry;
use sim::scenario::Scenario;
use sim::time::SimTime;

/// A run of `policy` over `params`, with `inputs`, played to its end (10 requests a second).
fn run(
    policy: &str,
    capacity: u64,
    params: &[(&str, &str)],
    inputs: &[&str],
) -> Box<dyn Simulation> {
    let capacity = capacity.to_string();
    let mut all = vec![
        ("policy", policy),
        ("capacity", capacity.as_str()),
        ("request_rate", "10"),
    ];
    all.extend_from_slice(params);
    let end = SimTime::from_secs(600);
    common::start_at(&common::scenario("cache-policy", 7, end, &all, inputs), end)
}

fn seq(policy: &str, capacity: u64, keys: &str) -> Box<dyn Simulation> {
    run(
        policy,
        capacity,
        &[("workload", "sequence"), ("sequence", keys)],
        &[],
    )
}

fn int(r: &dyn Simulation, id: &str) -> i64 {
    match r.metrics().get(id) {
        Some(sim::model::MetricValue::Int(i)) => *i,
        other => panic!("{id}: {other:?}"),
    }
}

fn float(r: &dyn Simulation, id: &str) -> f64 {
    r.metrics()
        .get(id)
        .and_then(|v| v.as_f64())
        .unwrap_or_else(|| panic!("{id}"))
}

fn cached(r: &dyn Simulation) -> Vec<u64> {
    r.query::<dyn Caching>()
        .expect("a cache answers Caching")
        .cached()
}

/// The classic reference string 1 2 3 4 1 2 5 1 2 3 4 5 with 3 frames (Belady, Nelson and
/// Shedler 1969; every operating-systems textbook works it by hand): FIFO 9 faults, LRU 10,
/// OPT (MIN) 7. With 4 frames FIFO faults 10 times (Belady's anomaly), LRU 8, OPT 6.
#[test]
fn the_textbook_reference_string() {
    let s = "1 2 3 4 1 2 5 1 2 3 4 5";
    for (policy, cap, faults) in [
        ("fifo", 3, 9),
        ("lru", 3, 10),
        ("belady", 3, 7),
        ("fifo", 4, 10),
        ("lru", 4, 8),
        ("belady", 4, 6),
    ] {
        let r = seq(policy, cap, s);
        assert_eq!(int(&*r, "misses"), faults, "{policy} with {cap} frames");
        assert_eq!(
            int(&*r, "db_reads"),
            faults,
            "every miss reads the database"
        );
        assert_eq!(int(&*r, "hits"), 12 - faults);
        assert_eq!(int(&*r, "requests"), 12);
    }
}

/// Worked by hand: capacity 2, requests 1 2 1 3. FIFO evicts the oldest arrival, 1, although
/// it was just used; LRU evicts 2, the least recently used. Then 1 hits only under LRU.
#[test]
fn fifo_and_lru_evict_different_keys_on_a_hit_key() {
    let fifo = seq("fifo", 2, "1 2 1 3 1");
    let lru = seq("lru", 2, "1 2 1 3 1");
    assert_eq!(
        int(&*fifo, "hits"),
        1,
        "FIFO: only the second request for 1"
    );
    assert_eq!(int(&*lru, "hits"), 2, "LRU: both repeats of 1");
    assert_eq!(cached(&*fifo), vec![1, 3]);
    assert_eq!(cached(&*lru), vec![1, 3]);
    let last_eviction = |r: &dyn Simulation| r.query::<dyn Caching>().unwrap().last_evicted();
    // FIFO: request 4 (k3) evicts k1, request 5 (k1) evicts k2. LRU: request 4 evicts k2 only.
    let evicted_k1 = |r: &dyn Simulation| {
        r.trace_lines()
            .iter()
            .any(|l| l.text.starts_with("Request 4: evicted k1"))
    };
    assert!(evicted_k1(&*fifo) && !evicted_k1(&*lru));
    assert_eq!(last_eviction(&*fifo), Some(2));
    assert_eq!(int(&*fifo, "evictions"), 2);
    assert_eq!(last_eviction(&*lru), Some(2));
    assert_eq!(int(&*lru, "evictions"), 1);
}

/// A loop one key longer than the cache: LRU and FIFO evict every key just before it comes
/// back, so after the first pass nothing hits (hit ratio 0); MIN keeps all but one.
#[test]
fn a_loop_one_larger_than_the_cache_never_hits_under_lru_or_fifo() {
    let p = [("workload", "loop"), ("keys", "5"), ("requests", "100")];
    for policy in ["lru", "fifo"] {
        let r = run(policy, 4, &p, &[]);
        assert_eq!(int(&*r, "hits"), 0, "{policy}");
        assert_eq!(float(&*r, "hit_ratio"), 0.0);
    }
    // MIN, worked by hand: k0–k3 miss once and fill the cache; k4 is then always the object
    // used farthest in the future (its next use is 5 requests away, the cached keys' 1 to 4),
    // so MIN never stores it and it misses on each of its 20 requests: 4 + 20 = 24 misses.
    let min = run("belady", 4, &p, &[]);
    assert_eq!(int(&*min, "misses"), 4 + 20);
    assert_eq!(int(&*min, "refusals"), 20);
}

/// The model's totals are exactly `cache::replay` of the same stream on the same policy.
#[test]
fn metrics_agree_with_replay_on_the_same_stream() {
    let w = Workload::Zipf { keys: 200, s: 0.9 };
    for &(policy, _) in cache::POLICIES {
        let r = run(
            policy,
            20,
            &[
                ("workload", "zipf"),
                ("keys", "200"),
                ("zipf_s", "0.9"),
                ("requests", "1500"),
            ],
            &[],
        );
        let trace = w.generate(7, SizeModel::Fixed(1), 1500).unwrap();
        let mut p = cache::build(policy, 20, 7).unwrap();
        let stats = cache::replay(p.as_mut(), &trace);
        assert_eq!(int(&*r, "hits") as u64, stats.hits, "{policy}");
        assert_eq!(int(&*r, "misses") as u64, stats.misses, "{policy}");
        assert!((float(&*r, "hit_ratio") - stats.hits as f64 / 1500.0).abs() < 1e-12);
        assert_eq!(
            r.metrics().get("byte_hit_ratio"),
            None,
            "no sizes, no byte hit ratio"
        );
    }
}

#[test]
fn byte_capacity_reports_the_byte_hit_ratio_and_respects_bytes() {
    let w = Workload::OneHitWonders {
        keys: 100,
        s: 1.0,
        share: 0.3,
    };
    let sizes = SizeModel::LogNormal {
        median: 10.0,
        sigma: 1.0,
        max: 1000,
    };
    for policy in ["lru", "s3fifo", "belady"] {
        let r = run(
            policy,
            300,
            &[
                ("workload", "one-hit"),
                ("keys", "100"),
                ("sizes", "lognormal"),
                ("requests", "800"),
            ],
            &[],
        );
        let trace = w.generate(7, sizes, 800).unwrap();
        let mut p = cache::build(policy, 300, 7).unwrap();
        let stats = cache::replay(p.as_mut(), &trace);
        let bhr = stats.bytes_hit as f64 / stats.bytes_requested as f64;
        assert!(
            (float(&*r, "byte_hit_ratio") - bhr).abs() < 1e-12,
            "{policy}"
        );
        let Frame::Cache(f) = r.frame() else {
            panic!("a cache frame")
        };
        assert!(f.bytes && f.used <= 300);
    }
}

#[test]
fn same_seed_same_digest_and_another_seed_differs() {
    let p = [("workload", "one-hit"), ("requests", "300")];
    for policy in ["random", "sampled-lru", "tinylfu", "arc"] {
        let a = run(policy, 5, &p, &["3000:request:k3"]);
        let b = run(policy, 5, &p, &["3000:request:k3"]);
        assert_eq!(a.digest(), b.digest(), "{policy}");
        assert_eq!(a.frame(), b.frame());
    }
    let mut s = Scenario::new("cache-policy", 8, SimTime::from_secs(600));
    s.params.insert("request_rate".into(), "10".into());
    s.params.insert("workload".into(), "one-hit".into());
    s.params.insert("requests".into(), "300".into());
    let mut other = registry::start(&s).unwrap();
    other.seek(SimTime::from_secs(600));
    assert_ne!(other.digest(), run("lru", 4, &p, &[]).digest());
}

/// Every event is a narrated trace record carrying the policy's reason.
#[test]
fn every_event_is_narrated_with_its_reason() {
    let r = seq("sieve", 2, "1 2 1 3");
    let lines: Vec<String> = r.trace_lines().into_iter().map(|l| l.text).collect();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("Request 4: evicted k2") && l.contains("visited bit")),
        "{lines:#?}"
    );
    assert!(
        lines.iter().any(|l| l.contains("All 4 requests")),
        "the run says it ran out"
    );
    let Frame::Cache(f) = r.frame() else { panic!() };
    let last = f.last.as_ref().unwrap();
    assert_eq!((last.n, last.key, last.hit), (4, 3, false));
    assert!(
        last.narration().contains("evicted k2"),
        "{}",
        last.narration()
    );
    assert_eq!(last.kind_of(2).map(|k| k.name()), Some("evict"));
}

/// `request` serves one key now; MIN gets that key's next use from the stream.
#[test]
fn a_requested_key_is_served_now_and_min_sees_its_future() {
    // Sequence 1 2 3 at 10/s: requests at 0.1, 0.2, 0.3 s. Asking for k1 at 0.25 s hits.
    let r = run(
        "lru",
        3,
        &[("workload", "sequence"), ("sequence", "1 2 3")],
        &["250:request:k1"],
    );
    assert_eq!(int(&*r, "requests"), 4);
    assert_eq!(int(&*r, "hits"), 1);
    // MIN, capacity 1, stream k1 k2 k1 at 0.1, 0.2, 0.3 s, and k2 asked for at 0.15 s: k2's
    // next use (the stream's request at 0.2 s) comes before k1's (0.3 s), so MIN evicts k1 for
    // it. Had the asked-for key been given no future, MIN would have refused it instead.
    let m = run(
        "belady",
        1,
        &[("workload", "sequence"), ("sequence", "1 2 1")],
        &["150:request:2"],
    );
    let lines: Vec<String> = m.trace_lines().into_iter().map(|l| l.text).collect();
    assert!(
        lines.iter().any(|l| l.starts_with("Request 2: evicted k1")),
        "{lines:#?}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with("Request 3: hit k2")),
        "{lines:#?}"
    );
    let refused = run("lru", 3, &[], &["250:request:x1"]);
    assert!(refused
        .trace_lines()
        .iter()
        .any(|l| l.rejected && l.text.contains("k1 or 17")));
}

#[test]
fn keys_read_back_as_they_are_written() {
    for k in [0, 17, sim::cache::workload::FRESH_KEY_BASE + 3] {
        assert_eq!(parse_key(&key_label(k)), Some(k));
    }
    assert_eq!(key_label(sim::cache::workload::FRESH_KEY_BASE), "n0");
    assert_eq!(parse_key(" 12 "), Some(12));
    assert_eq!(parse_key("k-1"), None);
}

#[test]
fn bad_input_gets_a_clear_error_not_a_panic() {
    let start = |params: &[(&str, &str)]| {
        let mut s = Scenario::new("cache-policy", 1, SimTime::from_secs(1));
        for (k, v) in params {
            s.params.insert((*k).into(), (*v).into());
        }
        registry::start(&s).err().map(|e| e.to_string())
    };
    let e = start(&[("policy", "lru-k")]).expect("an unknown policy fails");
    assert!(e.contains("policy"), "{e}");
    let e = start(&[("workload", "sequence"), ("sequence", "1 two 3")]).expect("a bad key fails");
    assert!(e.contains("`two` is not a key"), "{e}");
    assert!(
        start(&[("capacity", "0")]).is_none(),
        "capacity 0 is a cache that stores nothing"
    );
}

#[test]
fn the_frame_draws_each_policys_own_structure() {
    let names = |policy: &str| {
        let r = run(policy, 10, &[("requests", "200")], &[]);
        let Frame::Cache(f) = r.frame() else { panic!() };
        assert_eq!(f.upcoming.len(), 0, "the stream is served");
        f.segments
            .iter()
            .map(|s| s.name.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(names("arc"), ["T1", "T2", "B1", "B2"]);
    assert_eq!(names("s3fifo"), ["small", "main", "ghost"]);
    assert_eq!(names("tinylfu"), ["window", "probation", "protected"]);
    // The first requests of a long run are still to come at time zero.
    let mut s = Scenario::new("cache-policy", 1, SimTime::from_secs(10));
    s.params.insert("policy".into(), "sieve".into());
    let r = registry::start(&s).unwrap();
    let Frame::Cache(f) = r.frame() else { panic!() };
    assert_eq!(f.upcoming.len(), 8);
    assert!(f.hand.is_none() && f.last.is_none());
    let records = r.trace_lines();
    assert!(
        records[0].text.contains("2000 requests drawn in advance"),
        "{records:?}"
    );
    let _ = CacheRecord::Done { requests: 1 };
    let _ = CacheEvent::Hit {
        key: 1,
        segment: "x",
    };
}

fn sketch_of(r: &dyn Simulation) -> sim::models::cache_policy::frame::FrameSketch {
    let Frame::Cache(f) = r.frame() else { panic!() };
    let s = f.sketch().expect("W-TinyLFU's frame carries its sketch");
    assert_eq!(s.pack(), f.sketch, "packs and unpacks to the same numbers");
    s
}

/// The sketch the frame draws is the policy's own: the same stream replayed through a
/// standalone `TinyLfu` gives the same counters for the last key, whose smallest counter is
/// the policy's `estimate`; and the duel's keys' counters, read when the duel was fought, give
/// the estimates the duel reports.
#[test]
fn the_drawn_sketch_is_the_policys_own_and_its_minimum_is_the_estimate() {
    use sim::cache::tinylfu::TinyLfu;
    use sim::cache::Policy;
    let r = run(
        "tinylfu",
        20,
        &[
            ("workload", "zipf"),
            ("keys", "200"),
            ("zipf_s", "0.9"),
            ("requests", "1500"),
        ],
        &[],
    );
    let s = sketch_of(&*r);
    // Caffeine's sizing (the module doc): 4 × 20 rounded up to a power of two; W = 10 × 20.
    assert_eq!((s.rows, s.width, s.sample_size), (4, 128, 200));
    assert!(!s.doorkeeper && s.sample < 200);
    let trace = Workload::Zipf { keys: 200, s: 0.9 }
        .generate(7, SizeModel::Fixed(1), 1500)
        .unwrap();
    let mut p = TinyLfu::new(20);
    for req in &trace {
        p.access(req, None);
    }
    assert_eq!(s.resets, p.sketch().resets());
    assert!(
        s.resets >= 7,
        "1,500 requests at W = 200 halve the counters 7 times or more"
    );
    let roles: Vec<&str> = s.keys.iter().map(|k| k.role.as_str()).collect();
    assert_eq!(roles, ["request", "candidate", "victim"]);
    let req = &s.keys[0];
    assert_eq!((req.key, req.at), (trace[1499].key, 1500));
    let own = p.sketch_view(req.key);
    let cells: Vec<(u64, u32)> = own.cells.iter().map(|&(c, n)| (c, u32::from(n))).collect();
    assert_eq!(req.cells, cells, "the counters as the policy holds them");
    assert_eq!(
        req.cells.iter().map(|c| c.1).min(),
        Some(p.sketch().estimate(req.key))
    );
    assert_eq!(req.estimate, p.sketch().estimate(req.key));
    // The duel: read when it was fought (maybe some requests ago), its keys' smallest counters
    // are the estimates it reports.
    let Frame::Cache(f) = r.frame() else { panic!() };
    let value = |name: &str| f.values.iter().find(|v| v.0 == name).map(|v| v.1 as u32);
    let (cand, victim) = (&s.keys[1], &s.keys[2]);
    let d = p.last_duel().expect("a full cache of 20 fights duels");
    assert_eq!((cand.key, victim.key), (d.candidate, d.victim));
    assert_eq!(cand.cells.iter().map(|c| c.1).min(), Some(d.candidate_freq));
    assert_eq!(victim.cells.iter().map(|c| c.1).min(), Some(d.victim_freq));
    assert_eq!(value("duel_candidate_freq"), Some(cand.estimate));
    assert_eq!(value("duel_victim_freq"), Some(victim.estimate));
    assert!(run("lru", 20, &[], &[]).frame() != r.frame());
    let Frame::Cache(lru) = run("lru", 20, &[("requests", "10")], &[]).frame() else {
        panic!()
    };
    assert!(lru.sketch().is_none(), "only W-TinyLFU has a sketch");
}

/// TinyLFU's reset (Einziger, Friedman & Manes, TinyLFU, ACM TOS 2017, §3.3 "Freshness
/// Mechanism": after W additions every counter is divided by 2; Caffeine's
/// `FrequencySketch.reset` halves each 4-bit counter with a shift, rounding down, and halves the
/// sample count). Capacity 1: W = 10. Nine requests for k1 leave its four counters at 9; the
/// tenth is the tenth addition: the counters become 10 / 2 = 5, and so does the sample count.
#[test]
fn the_reset_halves_the_counters_the_frame_draws() {
    let before = sketch_of(&*seq("tinylfu", 1, "1 1 1 1 1 1 1 1 1"));
    assert_eq!(
        (before.sample_size, before.sample, before.resets),
        (10, 9, 0)
    );
    assert!(before.keys[0].cells.iter().all(|c| c.1 == 9));
    assert_eq!(before.keys[0].estimate, 9);
    let after = sketch_of(&*seq("tinylfu", 1, "1 1 1 1 1 1 1 1 1 1"));
    assert_eq!((after.sample, after.resets), (5, 1));
    assert!(after.keys[0].cells.iter().all(|c| c.1 == 5), "{after:?}");
    assert_eq!(after.keys[0].estimate, 5);
    // The same columns before and after: a reset moves no counter.
    let cols = |s: &sim::models::cache_policy::frame::FrameSketch| {
        s.keys[0].cells.iter().map(|c| c.0).collect::<Vec<_>>()
    };
    assert_eq!(cols(&before), cols(&after));
}

/// An odd count halves rounding down (9 → 4), counter by counter, read through the policy's
/// accessor: k1 counted 9 times, then k2's single addition is the W-th and triggers the reset.
/// A row where k2 shares k1's counter holds 10 before the halving, 5 after. The doorkeeper
/// (TinyLFU §3.4.2): a key's first addition only sets its Bloom filter bits, and the estimate
/// adds one for a key the doorkeeper holds.
#[test]
fn each_counter_halves_rounding_down_and_the_doorkeeper_adds_one() {
    use sim::cache::tinylfu::FrequencySketch;
    let mut s = FrequencySketch::new(1, false);
    for _ in 0..9 {
        s.increment(1);
    }
    let k1 = s.cells(1);
    let k2 = s.cells(2);
    assert_eq!(k1.estimate, 9);
    assert_eq!(k1.doorkeeper, None);
    s.increment(2);
    assert_eq!(s.resets(), 1);
    let halved = s.cells(1);
    let mut free_rows = 0;
    for row in 0..4 {
        let shared = k1.cells[row].0 == k2.cells[row].0;
        free_rows += u32::from(!shared);
        let expect = if shared { 5 } else { 4 };
        assert_eq!(halved.cells[row], (k1.cells[row].0, expect), "row {row}");
    }
    assert!(
        free_rows > 0,
        "k2 must miss k1's counter in some row for this test"
    );
    assert_eq!(halved.estimate, 4, "9 / 2 rounded down");

    let mut d = FrequencySketch::new(100, true);
    d.increment(7);
    let first = d.cells(7);
    assert_eq!(first.doorkeeper, Some(true));
    assert!(first.cells.iter().all(|c| c.1 == 0));
    assert_eq!(first.estimate, 1);
    d.increment(7);
    assert_eq!(d.cells(7).estimate, 2);
    assert_eq!(d.cells(7).cells.iter().map(|c| c.1).min(), Some(1));
}

/// A policy's reason names keys as `k` and the number; the narration shows each as the lesson
/// labels it (a scan's never-seen key as `n3`), leaving other words alone.
#[test]
fn keys_inside_a_policys_reason_are_labelled_like_every_other_key() {
    let fresh = sim::cache::workload::FRESH_KEY_BASE + 3;
    let labels = sim::models::cache_policy::Labels::default();
    assert_eq!(
        labels.relabel(&format!(
            "k{fresh} (freq 1) lost to k17 (freq 2); k, kk2, k3x, k4."
        )),
        "n3 (freq 1) lost to k17 (freq 2); k, kk2, k3x, k4."
    );
}
