//! Expiry and stampedes: known answers worked by hand (a burst of readers at the instant a key
//! expires), the TTL cache's hit ratio against `λT/(1+λT)`, XFetch's early-refresh probability
//! against its formula, TTL jitter spreading a mass expiry by the factor its width predicts,
//! stale-while-revalidate and negative caching, determinism, invariants and bad input. Also runs
//! as wasm32.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use sim::engine::{Run, Simulation};
use sim::models::cache_expiry::store::{
    xfetch_fires, xfetch_probability, Config, ExpiryCache, Served, Strategy,
};
use sim::models::cache_expiry::CacheExpiry;
use sim::rng::SimRng;
use sim::time::SimTime;

use crate::common;
use common::metric;

fn run(params: &[(&str, &str)], inputs: &[&str], until_ms: u64, seed: u64) -> Run<CacheExpiry> {
    let until = SimTime::from_ms(until_ms);
    let r = common::run_at::<CacheExpiry>(
        &common::scenario("cache-expiry", seed, until, params, inputs),
        until,
    );
    common::assert_all_accepted(&r);
    r
}

fn config(strategy: Strategy) -> Config {
    Config {
        fill_ttl_us: 10_000_000,
        negative_ttl_us: 0,
        connections: 8,
        query_us: 20_000,
        cache_us: 500,
        strategy,
    }
}

/// One key, expired at 1 s, read by `n` clients at exactly 1 s.
fn burst_at_expiry(n: u32, strategy: Strategy) -> ExpiryCache {
    let mut c = ExpiryCache::new(config(strategy), 1, 1);
    let t = SimTime::from_secs(1);
    c.warm(0, t, 20_000, false);
    let mut rng = SimRng::new(3);
    for _ in 0..n {
        c.read(0, t, false, &mut rng);
        c.validate().unwrap();
    }
    c
}

#[test]
fn a_burst_at_expiry_sends_every_reader_to_the_database_without_single_flight() {
    // By hand: 50 readers at the instant the key expires (live on [warm, 1 s)); nothing is in
    // flight, so each misses and queries. 8 connections, 20 ms a query, first come first
    // served: query k (from 0) runs in round ⌊k/8⌋ and returns at 1 s + (⌊k/8⌋ + 1)·20 ms, the
    // last (k = 49, round 6) at 1 s + 140 ms. Its reader waited 140 ms + the 0.5 ms look-up,
    // which is the p99 (nearest rank ⌈0.99·50⌉ = 50: the slowest).
    let c = burst_at_expiry(50, Strategy::default());
    let k = c.counts();
    assert_eq!((k.requests, k.misses, k.db_reads, k.hits), (50, 50, 50, 0));
    assert_eq!(k.peak_in_flight, 50);
    assert_eq!(c.in_flight_at(SimTime::from_ms(1_000)), 50);
    assert_eq!(
        c.in_flight_at(SimTime::from_ms(1_020)),
        42,
        "round 0 returned"
    );
    assert_eq!(c.in_flight_at(SimTime::from_ms(1_140)), 0);
    assert_eq!(c.latency().quantile_us(990), Some(140_500));
    assert_eq!(c.per_second(), &[0, 50]);
}

#[test]
fn single_flight_turns_the_same_burst_into_one_query() {
    // By hand: the first reader queries (returns at 1.020 s); the other 49 wait for it, so
    // every reader waits 20 ms + 0.5 ms.
    let s = Strategy {
        single_flight: true,
        ..Strategy::default()
    };
    let mut c = burst_at_expiry(50, s);
    let k = c.counts();
    assert_eq!(
        (k.requests, k.misses, k.db_reads, k.coalesced),
        (50, 50, 1, 49)
    );
    assert_eq!(k.peak_in_flight, 1);
    assert_eq!(c.latency().quantile_us(990), Some(20_500));
    assert_eq!(c.entry(0).waiting, 49);
    // At 1.020 s the value is back with a 10 s TTL, and the next reader hits.
    let mut rng = SimRng::new(1);
    assert_eq!(
        c.read(0, SimTime::from_ms(1_020), false, &mut rng),
        Served::Hit
    );
    assert_eq!(c.entry(0).expires, Some(SimTime::from_ms(11_020)));
    c.validate().unwrap();
}

#[test]
fn the_burst_action_gives_the_same_answers_through_the_model() {
    // No background traffic; product 1 warmed with a 1 s TTL; 50 clients at 1 s.
    let params = [
        ("request_rate", "0"),
        ("warm_keys", "1"),
        ("warm_ttl_s", "1"),
        ("db_connections", "8"),
        ("db_query_ms", "20"),
    ];
    let none = run(&params, &["1000:burst:50"], 2_000, 1);
    assert_eq!(metric(&none, "db_reads"), 50.0);
    assert_eq!(metric(&none, "peak_db_in_flight"), 50.0);
    assert_eq!(metric(&none, "p99_ms"), 140.5);
    let mut sf = params.to_vec();
    sf.push(("strategy", "single-flight"));
    let sf = run(&sf, &["1000:burst:50"], 2_000, 1);
    assert_eq!(metric(&sf, "db_reads"), 1.0);
    assert_eq!(metric(&sf, "coalesced"), 49.0);
    assert_eq!(metric(&sf, "p99_ms"), 20.5);
    // Before expiry the same burst is 50 hits.
    let early = run(&params, &["500:burst:50"], 600, 1);
    assert_eq!(metric(&early, "hits"), 50.0);
    assert_eq!(metric(&early, "db_reads"), 0.0);
}

#[test]
fn stale_while_revalidate_serves_the_burst_stale_with_one_refresh() {
    // RFC 5861: within the window, serve stale and revalidate in the background: one query,
    // no reader waits (each pays the look-up only).
    let s = Strategy {
        swr_us: Some(5_000_000),
        ..Strategy::default()
    };
    let c = burst_at_expiry(50, s);
    let k = c.counts();
    assert_eq!(
        (k.hits, k.stale_served, k.db_reads, k.misses),
        (50, 50, 1, 0)
    );
    assert_eq!(c.latency().quantile_us(990), Some(500));
    // Past the window it is an ordinary miss.
    let mut c = ExpiryCache::new(config(s), 1, 1);
    c.warm(0, SimTime::from_secs(1), 20_000, false);
    let r = c.read(0, SimTime::from_secs(6), false, &mut SimRng::new(1));
    assert!(matches!(r, Served::DbRead { early: false, .. }), "{r:?}");
}

#[test]
fn ttl_hit_ratio_matches_lambda_t_over_one_plus_lambda_t() {
    // Theory (Jung, Berger & Balakrishnan 2003; `theory::ttl_hit_ratio`): per-key Poisson
    // requests of rate λ through a non-refreshing TTL T hit with probability λT/(1+λT).
    // 20 equally popular keys at 200 reads/s: λ = 10/s each; T = 0.5 s: λT = 5, 5/6 = 0.833.
    // The 0.1 ms query adds λ·d = 0.001 misses per cycle (negligible). 120,000 reads in
    // about 20,000 cycles: the standard error is about 0.003; tolerance 0.01.
    let params = [
        ("keys", "20"),
        ("zipf_s", "0"),
        ("request_rate", "200"),
        ("ttl_s", "0.5"),
        ("db_query_ms", "0.1"),
    ];
    for (ttl, seed) in [("0.5", 5u64), ("0.1", 6)] {
        let mut p = params.to_vec();
        p[3] = ("ttl_s", ttl);
        let r = run(&p, &[], 600_000, seed);
        let t: f64 = ttl.parse().unwrap();
        let theory = sim::theory::ttl_hit_ratio(10.0, t);
        let got = metric(&r, "hit_ratio");
        assert!(
            (got - theory).abs() < 0.01,
            "TTL {t}: hit ratio {got}, theory {theory}"
        );
    }
}

#[test]
fn xfetch_fires_with_probability_e_to_the_minus_gap_over_delta_beta() {
    // Vattani et al. 2015: P(now − δβ ln u ≥ expiry) = e^{−gap/(δβ)}. 200,000 draws per case;
    // tolerance 5 binomial standard deviations (√(p(1−p)/n) ≤ 0.0011).
    let expiry = SimTime::from_secs(100);
    let mut rng = SimRng::new(9);
    for (gap_ms, delta_ms, beta) in [
        (10, 20, 1.0),
        (20, 20, 1.0),
        (40, 20, 1.0),
        (40, 20, 2.0),
        (100, 50, 0.5),
    ] {
        let now = SimTime::from_us(expiry.as_us() - gap_ms * 1_000);
        let n = 200_000u32;
        let fired = (0..n)
            .filter(|_| xfetch_fires(now, expiry, delta_ms * 1_000, beta, 1.0 - rng.unit_f64()))
            .count() as f64;
        let p = xfetch_probability(gap_ms * 1_000, delta_ms * 1_000, beta);
        let hand = (-(gap_ms as f64) / (delta_ms as f64 * beta)).exp();
        assert!((p - hand).abs() < 1e-12);
        let sd = (p * (1.0 - p) / f64::from(n)).sqrt();
        let got = fired / f64::from(n);
        assert!(
            (got - p).abs() < 5.0 * sd.max(1e-4),
            "gap {gap_ms} ms, δ {delta_ms} ms, β {beta}: fired {got}, formula {p}"
        );
    }
    assert_eq!(xfetch_probability(0, 20_000, 1.0), 1.0);
    assert!(
        xfetch_fires(expiry, expiry, 20_000, 1.0, 1.0),
        "at expiry it always fires"
    );
}

#[test]
fn xfetch_keeps_a_hot_key_from_ever_expiring() {
    // Product 1 read ~190 times a second, 200 ms to recompute: XFetch refreshes it before
    // expiry every cycle, so after warm-up no reader finds it expired and the database never
    // sees a herd for it.
    let base = [
        ("keys", "100"),
        ("request_rate", "1000"),
        ("ttl_s", "60"),
        ("warm_keys", "1"),
        ("warm_ttl_s", "5"),
        ("steady_start", "true"),
        ("db_query_ms", "200"),
    ];
    let mut x = base.to_vec();
    x.push(("strategy", "xfetch"));
    let x = run(&x, &[], 20_000, 3);
    let none = run(&base, &[], 20_000, 3);
    let missed = |r: &Run<CacheExpiry>| {
        r.trace_lines()
            .iter()
            .filter(|l| l.text.starts_with("product 1 missed"))
            .count()
    };
    assert!(metric(&x, "early_refreshes") >= 1.0);
    assert_eq!(missed(&x), 0, "XFetch: product 1 never found expired");
    assert!(x.model().cache().entry(0).fresh_at(SimTime::from_secs(20)));
    assert_eq!(
        missed(&none),
        1,
        "without: it expires at 5 s and a herd queries it"
    );
    let herd = none.model().cache().per_second()[5];
    assert!(
        herd >= 20,
        "the herd at 5 s: {herd} queries (≈ 190/s × 0.2 s)"
    );
}

#[test]
fn jitter_spreads_a_mass_expiry_by_the_width_of_its_window() {
    // 1,000 equally popular keys warmed together with a 20 s TTL, read 3 times a second each.
    // Without jitter all expire at 20 s; each is next read within the second with probability
    // 1 − e^{−3} = 0.95, so one second sees ≈ 950 queries. With ±25 % jitter the expiries are
    // uniform over [15 s, 25 s]: ≈ 1,000 / 10 = 100 a second, the peak second a little more
    // (the largest of ten counts of mean 100, sd 10). Expected factor ≈ 9.5; tolerances: none
    // ≥ 900, jittered in [85, 140].
    let params = [
        ("keys", "1000"),
        ("zipf_s", "0"),
        ("request_rate", "3000"),
        ("ttl_s", "60"),
        ("warm_keys", "1000"),
        ("warm_ttl_s", "20"),
        ("db_connections", "64"),
        ("db_query_ms", "1"),
    ];
    let none = run(&params, &[], 28_000, 4);
    let mut j = params.to_vec();
    j.push(("strategy", "jitter"));
    j.push(("jitter_percent", "25"));
    let jit = run(&j, &[], 28_000, 4);
    let peak_none = metric(&none, "peak_db_reads_per_s");
    let peak_jit = metric(&jit, "peak_db_reads_per_s");
    assert!(peak_none >= 900.0, "no jitter: peak {peak_none}");
    assert!(
        (85.0..=140.0).contains(&peak_jit),
        "jitter: peak {peak_jit}"
    );
    assert!(peak_none / peak_jit > 6.0);
}

#[test]
fn negative_caching_keeps_missing_products_off_the_database() {
    // 20 % of products do not exist. Without a not-found TTL every read of one queries the
    // database; with a 60 s TTL each is queried about once.
    let params = [
        ("keys", "200"),
        ("request_rate", "500"),
        ("ttl_s", "60"),
        ("not_found_percent", "20"),
    ];
    let off = run(&params, &[], 20_000, 8);
    let mut on = params.to_vec();
    on.push(("negative_ttl_s", "60"));
    let on = run(&on, &[], 20_000, 8);
    assert_eq!(metric(&off, "negative_hits"), 0.0);
    assert!(metric(&on, "negative_hits") > 100.0);
    assert!(
        metric(&on, "db_reads") < 0.5 * metric(&off, "db_reads"),
        "{} vs {}",
        metric(&on, "db_reads"),
        metric(&off, "db_reads")
    );
    // Every distinct key is queried at least once in either case; with negative caching at
    // most once per key per TTL (200 keys, one TTL in 20 s).
    assert!(metric(&on, "db_reads") <= 200.0 + 20.0);
}

/// The lesson's flash-sale setup (a sale day at ten times the traffic, the 10,000 most popular
/// products warmed an hour before, fills cached 30 min) joined 10 s before the warm-up expires.
fn flash_sale(strategy: &str) -> Vec<(&'static str, String)> {
    vec![
        ("keys", "50000".into()),
        ("request_rate", "278".into()),
        ("traffic_x", "10".into()),
        ("warm_keys", "10000".into()),
        ("warm_ttl_s", "3600".into()),
        ("warm_age_s", "3590".into()),
        ("ttl_s", "1800".into()),
        ("steady_start", "true".into()),
        ("db_connections", "16".into()),
        ("db_query_ms", "20".into()),
        ("strategy", strategy.into()),
    ]
}

fn run_owned(params: &[(&'static str, String)], until_ms: u64) -> Run<CacheExpiry> {
    let p: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    run(&p, &[], until_ms, 42)
}

#[test]
fn the_flash_sale_storm_and_its_fix() {
    // Every warmed product expires at 10 s. 2,780 reads a second, 80 % of them for warmed
    // products: the database (16 × 20 ms = 800 queries a second) gets several times what it
    // can serve in that second. Jitter (±10 % of an hour) spreads the expiries over 12 minutes.
    let none = run_owned(&flash_sale("none"), 20_000);
    let jit = run_owned(&flash_sale("jitter"), 20_000);
    let before = none.model().cache().per_second()[..9]
        .iter()
        .copied()
        .max()
        .unwrap();
    let storm = metric(&none, "peak_db_reads_per_s");
    assert!(
        storm > 10.0 * f64::from(before),
        "storm {storm}, before {before}"
    );
    assert!(storm > 1_000.0, "storm {storm}");
    assert!(metric(&jit, "peak_db_reads_per_s") < 200.0);
    assert!(metric(&none, "p99_ms") > 10.0 * metric(&jit, "p99_ms"));
}

#[test]
fn same_seed_same_trace_and_seeds_differ() {
    let p = [
        ("request_rate", "800"),
        ("strategy", "xfetch"),
        ("warm_keys", "50"),
    ];
    let a = run(&p, &["3000:burst:20", "4000:traffic:3"], 8_000, 12);
    let b = run(&p, &["3000:burst:20", "4000:traffic:3"], 8_000, 12);
    let c = run(&p, &["3000:burst:20", "4000:traffic:3"], 8_000, 13);
    assert_eq!(a.digest(), b.digest());
    assert_eq!(a.metrics(), b.metrics());
    assert_ne!(a.digest(), c.digest());
}

#[test]
fn strategies_see_the_same_reads() {
    // Compare mode's premise: the request stream has its own generator, so each strategy serves
    // exactly the same reads.
    let mut totals = Vec::new();
    for s in [
        "none",
        "single-flight",
        "jitter",
        "xfetch",
        "swr",
        "jitter+single-flight",
    ] {
        let r = run(&[("strategy", s), ("warm_keys", "100")], &[], 15_000, 2);
        totals.push(metric(&r, "requests"));
        r.validate().unwrap();
    }
    assert!(totals.windows(2).all(|w| w[0] == w[1]), "{totals:?}");
}

#[test]
fn random_reads_keep_the_invariants_under_every_strategy() {
    // Model-based: random keys and nondecreasing times against every combination of cures;
    // `validate()` after every read, and hits + misses = reads.
    for seed in 0..40u64 {
        let mut rng = SimRng::new(seed);
        let strategy = Strategy {
            single_flight: rng.chance(0.5),
            jitter: if rng.chance(0.5) { 0.2 } else { 0.0 },
            xfetch_beta: rng.chance(0.5).then_some(1.0),
            swr_us: rng.chance(0.3).then_some(50_000),
        };
        let cfg = Config {
            fill_ttl_us: 1 + rng.below(200_000),
            negative_ttl_us: rng.below(100_000),
            connections: 1 + rng.below(4) as u32,
            query_us: 1 + rng.below(30_000),
            cache_us: 500,
            strategy,
        };
        let mut c = ExpiryCache::new(cfg, 8, seed);
        let mut t = SimTime::ZERO;
        for step in 0..400 {
            t = t.plus_us(rng.below(5_000));
            let key = rng.below(8) as u32;
            c.read(key, t, key == 7, &mut rng);
            c.validate()
                .unwrap_or_else(|e| panic!("seed {seed} step {step}: {e}"));
            if strategy.single_flight {
                assert!(c.entry(key).loads <= 1);
            }
        }
    }
}

#[test]
fn bad_input_gets_a_clear_refusal() {
    let until = SimTime::from_ms(2_000);
    for (input, says) in [
        ("1000:burst:0", "1 to 10000"),
        ("1000:burst:lots", "number of clients"),
        ("1000:expire:0", "products 1 to 1000"),
        ("1000:traffic:11", "between 1 and 10"),
        ("1000:flush", "unknown action"),
    ] {
        let r = common::run_at::<CacheExpiry>(
            &common::scenario(
                "cache-expiry",
                1,
                until,
                &[("request_rate", "10")],
                &[input],
            ),
            until,
        );
        let refused: Vec<_> = r.trace_lines().into_iter().filter(|l| l.rejected).collect();
        assert_eq!(refused.len(), 1, "{input}");
        assert!(
            refused[0].text.contains(says),
            "{input}: {}",
            refused[0].text
        );
    }
}

/// Prints the figures the lesson quotes (`cargo test -p sim --test suite cache_expiry:: -- --ignored
/// --nocapture figures`): pinned by nothing, read by the author.
#[test]
#[ignore]
fn figures() {
    let show = |name: &str, r: &Run<CacheExpiry>| {
        let ids = [
            "requests",
            "hit_ratio",
            "db_reads",
            "peak_db_in_flight",
            "peak_db_load",
            "peak_db_reads_per_s",
            "p99_ms",
            "p50_ms",
            "stale_served",
            "coalesced",
            "early_refreshes",
        ];
        let v: Vec<String> = ids
            .iter()
            .map(|id| format!("{id}={:.3}", common::metric_opt(r, id).unwrap_or(f64::NAN)))
            .collect();
        println!("{name}: {}", v.join(" "));
        let ps = r.model().cache().per_second();
        println!("   per second: {ps:?}");
    };
    let herd = [
        ("keys", "100"),
        ("request_rate", "1000"),
        ("ttl_s", "60"),
        ("warm_keys", "1"),
        ("warm_ttl_s", "10"),
        ("steady_start", "true"),
        ("db_query_ms", "200"),
    ];
    for s in ["none", "single-flight", "xfetch", "swr", "jitter"] {
        let mut p = herd.to_vec();
        p.push(("strategy", s));
        show(&format!("herd {s}"), &run(&p, &[], 20_000, 42));
    }
    for s in [
        "none",
        "single-flight",
        "jitter",
        "jitter+single-flight",
        "swr",
    ] {
        let p = [
            ("keys", "1000"),
            ("request_rate", "1000"),
            ("warm_keys", "1000"),
            ("warm_ttl_s", "10"),
            ("ttl_s", "60"),
            ("strategy", s),
            ("jitter_percent", "20"),
        ];
        show(&format!("storm {s}"), &run(&p, &[], 20_000, 42));
    }
    for s in ["none", "single-flight", "jitter", "jitter+single-flight"] {
        let r = run_owned(&flash_sale(s), 30_000);
        show(&format!("flash {s}"), &r);
    }
}

#[test]
fn without_cures_it_hits_exactly_when_the_plain_ttl_cache_does() {
    // Model-based against `cache::ttl::TtlCache` (a non-refreshing TTL cache with no database):
    // with a 1 µs query on an idle database, a miss at t is back at t + 1 µs, so a fill TTL of
    // T − 1 µs expires at t + T, as the plain cache's entry inserted at t does. Reads 2–4,000 µs
    // apart (never two at once), random keys and TTLs: hit for hit the same.
    for seed in 0..50u64 {
        let mut rng = SimRng::new(seed);
        let ttl = 2 + rng.below(20_000);
        let cfg = Config {
            fill_ttl_us: ttl - 1,
            negative_ttl_us: 0,
            connections: 1,
            query_us: 1,
            cache_us: 500,
            strategy: Strategy::default(),
        };
        let mut ours = ExpiryCache::new(cfg, 16, seed);
        let mut plain = sim::cache::ttl::TtlCache::new(ttl);
        let mut t = 0u64;
        for step in 0..500 {
            t += 2 + rng.below(4_000);
            let key = rng.below(16);
            let got = ours.read(key as u32, SimTime::from_us(t), false, &mut rng);
            let want = plain.access(key, t);
            assert_eq!(
                got == Served::Hit,
                want == sim::cache::ttl::TtlAccess::Hit,
                "seed {seed} step {step}: key {key} at {t} µs, TTL {ttl}: {got:?} vs {want:?}"
            );
        }
        ours.validate().unwrap();
    }
}
