//! The theory curves of `sim::theory`, each against an independent calculation: a Monte Carlo
//! of the random process the formula describes (fixed seeds, so every run is the same), a
//! direct count, or a closed form from the literature. Tolerances are a few standard errors of
//! the Monte Carlo, tight enough that the usual slips (a missing `+ 1`, a sample instead of a
//! population variance, `q` instead of `q^(1/N)`, no merge time) fail.

use sim::hashing::{jump::key_hash, jump_bucket};
use sim::models::hot_keys::request_weights;
use sim::models::scatter_gather::service::ServiceDist;
use sim::params::ParamSet;
use sim::registry;
use sim::rng::SimRng;
use sim::theory::{self, c4, harmonic, negbin_expected_max};
use std::num::NonZeroU32;

/// The model's parameters with these overrides.
fn params(model: &str, overrides: &[(&str, &str)]) -> ParamSet {
    let specs = registry::specs(model).expect("model exists");
    let (set, errors) = ParamSet::resolve(&specs, overrides.iter().copied());
    assert!(errors.is_empty(), "{errors:?}");
    set
}

fn close(what: &str, got: f64, want: f64, rel: f64) {
    assert!(
        (got - want).abs() <= rel * want.abs(),
        "{what}: got {got}, want {want} (± {:.2} %)",
        rel * 100.0
    );
}

/// The one setup a curve describes, for the curves that describe a single setup rather than a
/// model's defaults: balls into bins needs requests that are never answered within the run.
fn curve_setup(id: &str) -> &'static [(&'static str, &'static str)] {
    match id {
        "lb-bins-max-load" => BINS,
        "retry-amplification" => &[("scenario", "amplification")],
        "timeout-false-percent" => &[("outage", "none"), ("lanes", "shared-timeout")],
        "bulkhead-erlang-b" => &[("outage", "none"), ("lanes", "bulkhead")],
        _ => &[],
    }
}

/// Every curve has a label that says it is theory, belongs to a model that exists, and is
/// defined and finite at that model's defaults (or at the one setup it describes).
#[test]
fn every_curve_is_defined_at_its_models_defaults() {
    for c in theory::CURVES {
        // The chart says "theory:" before the label; the label does not repeat it.
        assert!(
            !c.label.is_empty() && !c.label.starts_with("theory"),
            "{}",
            c.id
        );
        let p = params(c.model, curve_setup(c.id));
        let y = theory::curve(c.id, &p).unwrap_or_else(|| panic!("{} at defaults", c.id));
        assert!(y.is_finite() && y >= 0.0, "{}: {y}", c.id);
        assert_eq!(theory::info(c.id), Some(c));
    }
    assert_eq!(
        theory::curve("no-such-curve", &params("placement", &[])),
        None
    );
}

// ---------------------------------------------------------------------------------------------
// Consistent hashing.
// ---------------------------------------------------------------------------------------------

/// One random ring: `n` servers × `k` uniform points on [0, 1), then `keys` uniform keys, each
/// owned by the first point at or after it (wrapping). Returns each server's arc share and key
/// count.
fn random_ring(rng: &mut SimRng, n: usize, k: usize, keys: usize) -> (Vec<f64>, Vec<f64>) {
    let mut points: Vec<(f64, usize)> = (0..n * k).map(|i| (rng.unit_f64(), i / k)).collect();
    points.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut share = vec![0.0; n];
    for (i, &(x, s)) in points.iter().enumerate() {
        let prev = if i == 0 {
            points[points.len() - 1].0 - 1.0
        } else {
            points[i - 1].0
        };
        share[s] += x - prev;
    }
    let mut load = vec![0.0; n];
    for _ in 0..keys {
        let x = rng.unit_f64();
        let i = points.partition_point(|p| p.0 < x) % points.len();
        load[points[i].1] += 1.0;
    }
    (share, load)
}

/// Mean over `trials` random rings of: the population variance, the population standard
/// deviation and the max/mean of the key counts (as the hash-ring model reports them).
fn ring_monte_carlo(seed: u64, n: usize, k: usize, keys: usize, trials: u32) -> (f64, f64, f64) {
    let mut rng = SimRng::new(seed);
    let (mut var, mut sd, mut ratio) = (0.0, 0.0, 0.0);
    let mean = keys as f64 / n as f64;
    for _ in 0..trials {
        let (_, load) = random_ring(&mut rng, n, k, keys);
        let v = load.iter().map(|l| (l - mean) * (l - mean)).sum::<f64>() / n as f64;
        var += v;
        sd += v.sqrt();
        ratio += load.iter().copied().fold(0.0, f64::max) / mean;
    }
    let t = f64::from(trials);
    (var / t, sd / t, ratio / t)
}

/// A server's arc share has variance (n − 1)/(n²(nk + 1)) (Beta(k, (n−1)k)).
#[test]
fn arc_share_variance_is_the_beta_variance() {
    for (n, k) in [(5usize, 1usize), (5, 10), (3, 50)] {
        let mut rng = SimRng::new(11 + n as u64 * 100 + k as u64);
        let trials = 20_000;
        let mut sum = 0.0;
        for _ in 0..trials {
            let (share, _) = random_ring(&mut rng, n, k, 0);
            sum += share
                .iter()
                .map(|x| (x - 1.0 / n as f64).powi(2))
                .sum::<f64>();
        }
        let mc = sum / (trials as f64 * n as f64);
        let want = theory::ring_share_variance(n as u32, k as u32);
        // Pooled over servers: the Monte Carlo's relative standard error is under 1 %.
        close(&format!("share variance n={n} k={k}"), mc, want, 0.03);
    }
    // Exact values: Beta(1, 4) has variance 4 / (25 · 6).
    close(
        "Beta(1,4)",
        theory::ring_share_variance(5, 1),
        4.0 / 150.0,
        1e-15,
    );
}

/// The key counts' expected population variance is the Beta-binomial variance, E[s] follows
/// c₄·√Var once servers have a few points, and max/mean follows the Poissonized Gamma formula.
#[test]
fn ring_loads_match_random_rings() {
    for (n, k, keys, trials) in [
        (5usize, 1usize, 1_000usize, 3_000u32),
        (5, 1, 4_000, 3_000),
        (5, 10, 1_000, 2_000),
        (5, 100, 1_000, 2_000),
        (10, 4, 2_000, 800),
    ] {
        let (var, sd, ratio) = ring_monte_carlo(7 + k as u64, n, k, keys, trials);
        let (n32, k32, m) = (n as u32, k as u32, keys as u64);
        let tag = format!("n={n} k={k} K={keys}");
        // Monte Carlo standard errors: about √(2/(n−1)/trials) of the variance (≤ 2.2 % here),
        // half that of the standard deviation, and a fraction of a percent of max/mean.
        close(
            &format!("variance {tag}"),
            var,
            theory::ring_load_variance(n32, k32, m),
            0.05,
        );
        close(
            &format!("std dev {tag}"),
            sd,
            theory::ring_load_stddev(n32, k32, m),
            0.03,
        );
        let want = theory::ring_max_mean(n32, k32, m).unwrap();
        close(&format!("max/mean {tag}"), ratio, want, 0.015);
    }
    // Where c₄ is known to be off: two servers with one point each. Without key noise the loads
    // are K·U and K·(1 − U), so E[s] = K·E|U − ½| = K/4, while c₄(2)·√(K²/12) = 0.2303·K: the
    // curve is 8.5 % low there (the key noise narrows the gap a little).
    // (The Monte Carlo's standard error is 0.6 % here.)
    let (_, sd, _) = ring_monte_carlo(3, 2, 1, 2_000, 10_000);
    let ratio = sd / theory::ring_load_stddev(2, 1, 2_000);
    assert!((1.065..1.105).contains(&ratio), "n=2 k=1: {ratio}");
}

/// Largest of n geometric variables: the summation against the closed form by
/// inclusion–exclusion, Σᵢ (−1)ⁱ⁺¹ C(n,i) pⁱ/(1 − pⁱ).
#[test]
fn negative_binomial_max_of_geometrics_is_exact() {
    let (n, mean) = (7u32, 50.0);
    let p: f64 = mean / (1.0 + mean);
    let mut want = 0.0;
    let mut binom = 1.0;
    for i in 1..=n {
        binom = binom * f64::from(n - i + 1) / f64::from(i);
        let sign = if i % 2 == 1 { 1.0 } else { -1.0 };
        want += sign * binom * p.powi(i as i32) / (1.0 - p.powi(i as i32));
    }
    close(
        "E[max of 7 geometrics]",
        negbin_expected_max(n, 1.0, mean),
        want,
        1e-10,
    );
    // One variable: its mean.
    close(
        "E[max of 1]",
        negbin_expected_max(1, 3.0, 40.0),
        40.0,
        1e-10,
    );
}

/// As the keys grow, max/mean tends to E[max of n Gamma(k)]/k: H_n for k = 1 (the classic
/// largest spacing), and 2.75/2 for two Gamma(2) (E[min] = 1.25 by direct integration).
#[test]
fn max_mean_tends_to_the_gamma_limit() {
    let h5 = 1.0 + 0.5 + 1.0 / 3.0 + 0.25 + 0.2;
    close("k=1, n=5", negbin_expected_max(5, 1.0, 1e4) / 1e4, h5, 1e-4);
    close(
        "k=2, n=2",
        negbin_expected_max(2, 2.0, 1e4) / 1e4,
        1.375,
        1e-4,
    );
    // Through the curve: 5 servers × 1 point, 5 million keys.
    let p = params(
        "hash-ring",
        &[
            ("servers", "A,B,C,D,E"),
            ("vnodes", "1"),
            ("keys", "50000"),
            ("named_keys", ""),
        ],
    );
    close(
        "curve",
        theory::curve("ring-max-mean", &p).unwrap(),
        h5,
        2e-3,
    );
}

/// c₄ against its tabulated values (ASTM E2587: c₄(2) = 0.7979, c₄(5) = 0.9400,
/// c₄(10) = 0.9727, c₄(25) = 0.9896).
#[test]
fn c4_matches_the_table() {
    for (n, want) in [
        (2, 0.797_885),
        (5, 0.939_986),
        (10, 0.972_659),
        (25, 0.989_640),
    ] {
        close(&format!("c4({n})"), c4(n), want, 2e-6);
    }
}

/// The curves read the servers, points and keys from the hash-ring parameters, fall as 1/√k
/// while arcs dominate, and are undefined under hash % N placement.
#[test]
fn ring_curves_read_the_parameters() {
    let at = |v: &str| {
        let p = params(
            "hash-ring",
            &[
                ("servers", "A@45,B,C,D"),
                ("vnodes", v),
                ("keys", "49998"),
                ("named_keys", "X,Y"),
            ],
        );
        theory::curve("ring-load-stddev", &p)
    };
    // 4 servers, 50,000 keys: K²(n−1)/(n²(nk+1)) dominates the key term.
    let s1 = at("1").unwrap();
    let want = c4(4) * theory::ring_load_variance(4, 1, 50_000).sqrt();
    close("servers and keys counted", s1, want, 1e-12);
    let s100 = at("100").unwrap();
    close("1/√k", s1 / s100, (401.0f64 / 5.0).sqrt(), 0.01);
    // One server holds every key.
    let one = params("hash-ring", &[("servers", "A"), ("keys", "50000")]);
    assert_eq!(theory::curve("ring-max-mean", &one), Some(1.0));
    assert_eq!(theory::curve("ring-load-stddev", &one), Some(0.0));
    let modulo = params("hash-ring", &[("placement", "modulo")]);
    assert_eq!(theory::curve("ring-load-stddev", &modulo), None);
    assert_eq!(theory::curve("ring-max-mean", &modulo), None);
}

// ---------------------------------------------------------------------------------------------
// Moving keys.
// ---------------------------------------------------------------------------------------------

/// hash % N: count the keys whose remainder changes, exactly over a whole period of residues
/// and statistically over the placement model's own hashes of user:0 … user:19999.
#[test]
fn modulo_moves_n_over_n_plus_one() {
    for n in [1u64, 2, 4, 7, 31, 63] {
        let period = n * (n + 1);
        let moved = (0..period * 3).filter(|h| h % n != h % (n + 1)).count() as f64;
        close(
            &format!("exact N={n}"),
            moved / (period * 3) as f64,
            theory::modulo_moved(n as u32),
            1e-15,
        );
        let keys = 20_000;
        let moved = (0..keys)
            .filter(|i| {
                let h = key_hash(&format!("user:{i}"));
                h % n != h % (n + 1)
            })
            .count() as f64;
        let p = theory::modulo_moved(n as u32);
        let se = (p * (1.0 - p) / f64::from(keys)).sqrt();
        assert!(
            (moved / f64::from(keys) - p).abs() < 4.0 * se + 1e-12,
            "N={n}: {moved}"
        );
        let curve = theory::curve(
            "modulo-moved",
            &params("placement", &[("shards", &n.to_string())]),
        );
        close("percent", curve.unwrap(), 100.0 * p, 1e-15);
    }
}

/// Jump hash moves 1/(N+1) of the keys when a bucket is added: count them.
#[test]
fn jump_hash_moves_the_minimum() {
    for n in [1u32, 3, 4, 10, 40] {
        let keys = 20_000;
        let moved = (0..keys)
            .filter(|i| {
                let k = format!("user:{i}");
                jump_bucket(&k, NonZeroU32::new(n).unwrap())
                    != jump_bucket(&k, NonZeroU32::new(n + 1).unwrap())
            })
            .count() as f64;
        let p = theory::minimal_moved(n);
        let se = (p * (1.0 - p) / f64::from(keys)).sqrt();
        assert!(
            (moved / f64::from(keys) - p).abs() < 4.0 * se,
            "N={n}: {moved}"
        );
        let curve = theory::curve(
            "minimal-moved",
            &params("placement", &[("shards", &n.to_string())]),
        );
        close("percent", curve.unwrap(), 100.0 * p, 1e-15);
    }
}

// ---------------------------------------------------------------------------------------------
// Scatter-gather.
// ---------------------------------------------------------------------------------------------

/// The quantile curves against simulated scatters drawn with the model's own service-time
/// sampler: the share of simulated latencies at or below the curve's value must be q, within
/// four standard errors of a binomial share; where the latency density is high, the sorted
/// sample's quantile must also be within 3 %.
#[test]
fn scatter_quantiles_match_simulated_scatters() {
    let dist = ServiceDist {
        median_us: 2_000.0,
        sigma: 0.5,
        slow_p: 0.01,
        slow_us: 50_000.0,
    };
    let gather_us = 500;
    let mut rng = SimRng::new(2024);
    for n in [1u32, 2, 4, 16, 64] {
        let queries = 40_000usize;
        let mut lat: Vec<f64> = (0..queries)
            .map(|_| {
                let slowest = (0..n).map(|_| dist.sample(&mut rng).us).max().unwrap();
                (slowest + if n > 1 { gather_us } else { 0 }) as f64 / 1_000.0
            })
            .collect();
        lat.sort_by(f64::total_cmp);
        let p = params("scatter-gather", &[("shards", &n.to_string())]);
        for (id, q) in [("scatter-p50", 0.5), ("scatter-p99", 0.99)] {
            let t = theory::curve(id, &p).unwrap();
            let below = lat.partition_point(|x| *x <= t) as f64 / queries as f64;
            let se = (q * (1.0 - q) / queries as f64).sqrt();
            assert!(
                (below - q).abs() < 4.0 * se,
                "{id} N={n}: {t} ms has {below} below"
            );
            // The p99 of one shard sits exactly where the 1 % pauses begin: any sample quantile
            // is a coin toss between the body and the pause, so only the CDF check applies.
            if !(n == 1 && q == 0.99) {
                let sample = lat[(q * queries as f64) as usize];
                close(&format!("{id} N={n} sample quantile"), sample, t, 0.03);
            }
        }
    }
}

/// The curve uses the lesson's parameters (ms, percent) and the merge only when N > 1.
#[test]
fn scatter_curve_reads_the_parameters() {
    let one = params(
        "scatter-gather",
        &[
            ("shards", "1"),
            ("service_sigma", "0"),
            ("slow_percent", "0"),
            ("service_ms", "3"),
        ],
    );
    close(
        "constant, one shard",
        theory::curve("scatter-p99", &one).unwrap(),
        3.0,
        1e-9,
    );
    let eight = params(
        "scatter-gather",
        &[
            ("shards", "8"),
            ("service_sigma", "0"),
            ("slow_percent", "0"),
            ("service_ms", "3"),
            ("gather_ms", "1.5"),
        ],
    );
    close(
        "constant, eight shards",
        theory::curve("scatter-p50", &eight).unwrap(),
        4.5,
        1e-9,
    );
    // A pause every time: the body's median plus the pause.
    let paused = params(
        "scatter-gather",
        &[
            ("shards", "1"),
            ("slow_percent", "50"),
            ("slow_ms", "100"),
            ("service_sigma", "0.5"),
        ],
    );
    let p99 = theory::curve("scatter-p99", &paused).unwrap();
    // Half the draws pause, so q = 0.99 is the paused body's 0.98-quantile: Φ⁻¹(0.98) = 2.0537….
    let want = 100.0 + 2.0 * (0.5f64 * 2.053_748_910_631_823).exp();
    close("pause mixture p99", p99, want, 1e-6);
    let global = params("scatter-gather", &[("index", "global")]);
    assert_eq!(theory::curve("scatter-p99", &global), None);
}

// ---------------------------------------------------------------------------------------------
// Hot keys.
// ---------------------------------------------------------------------------------------------

/// H(n, s) against a direct sum, and its limits: ζ(2) = π²/6, ζ(3) (Apéry's constant),
/// ln n + γ + 1/(2n) for s = 1, and n for s = 0.
#[test]
fn harmonic_numbers() {
    for s in [0.0, 0.5, 1.0, 1.2, 2.0, 3.0] {
        for n in [1u64, 10, 1_000, 1_001, 5_000, 50_000] {
            let direct: f64 = (1..=n).map(|r| (r as f64).powf(-s)).sum();
            close(&format!("H({n}, {s})"), harmonic(n, s), direct, 1e-12);
        }
    }
    let pi2_6 = std::f64::consts::PI * std::f64::consts::PI / 6.0;
    close(
        "ζ(2)",
        harmonic(1_000_000_000_000, 2.0),
        pi2_6 - 1e-12,
        1e-14,
    );
    close(
        "ζ(3)",
        harmonic(1_000_000_000, 3.0),
        1.202_056_903_159_594_2,
        1e-14,
    );
    let n = 1_000_000_000u64;
    let euler_gamma = 0.577_215_664_901_532_9;
    close(
        "H(n,1)",
        harmonic(n, 1.0),
        (n as f64).ln() + euler_gamma + 0.5 / n as f64,
        1e-14,
    );
    close("H(n,0)", harmonic(123_456_789, 0.0), 123_456_789.0, 1e-12);
}

/// The top key's share against the model's own request weights (a separate direct sum), with
/// and without a celebrity.
#[test]
fn top_key_share_matches_the_request_weights() {
    for (keys, s) in [(1_000u64, 1.2), (1_000, 0.0), (10_000, 1.0), (500, 2.5)] {
        let p = params(
            "hot-keys",
            &[
                ("keys", &keys.to_string()),
                ("popularity", "zipf"),
                ("zipf_s", &s.to_string()),
                ("celebrity_share", "0"),
            ],
        );
        let w = request_weights(keys, Some(s), None);
        close(
            &format!("K={keys} s={s}"),
            theory::curve("zipf-top-key", &p).unwrap(),
            100.0 * w[0],
            1e-12,
        );
    }
    // The lesson's figure: user 0 gets 1/H(1000, 1.2) ≈ 23 %.
    let p = params(
        "hot-keys",
        &[
            ("popularity", "zipf"),
            ("zipf_s", "1.2"),
            ("celebrity_share", "0"),
        ],
    );
    let top = theory::curve("zipf-top-key", &p).unwrap();
    assert!((22.5..23.5).contains(&top), "{top}");
    // A celebrity other than user 0 with 30 %, uniform popularity: 30 % + 70 %/1000.
    let p = params("hot-keys", &[("celebrity", "7"), ("celebrity_share", "30")]);
    let w = request_weights(1_000, None, Some((7, 0.3)));
    close(
        "celebrity",
        theory::curve("zipf-top-key", &p).unwrap(),
        100.0 * w[7],
        1e-12,
    );
    // Undefined behind a cache or with the celebrity split.
    for o in [("cache_size", "10"), ("split", "4")] {
        assert_eq!(
            theory::curve("zipf-top-key", &params("hot-keys", &[o])),
            None
        );
    }
}

/// The shard holding the top key: with every key on a uniformly random shard, its expected
/// request share is p₁ + (1 − p₁)/N. Monte Carlo over random placements.
#[test]
fn top_key_shard_share_matches_random_placement() {
    let (keys, shards) = (1_000u64, 8u64);
    for s in [0.5, 1.0, 1.5] {
        let w = request_weights(keys, Some(s), None);
        let mut rng = SimRng::new(99);
        let trials = 4_000;
        let (mut sum, mut sq) = (0.0, 0.0);
        for _ in 0..trials {
            let home = rng.below(shards);
            let share: f64 = w[0]
                + w[1..]
                    .iter()
                    .filter(|_| rng.below(shards) == home)
                    .sum::<f64>();
            sum += share;
            sq += share * share;
        }
        let mean = sum / f64::from(trials);
        let se = ((sq / f64::from(trials) - mean * mean) / f64::from(trials)).sqrt();
        let p = params(
            "hot-keys",
            &[
                ("popularity", "zipf"),
                ("zipf_s", &s.to_string()),
                ("celebrity_share", "0"),
            ],
        );
        let want = theory::curve("zipf-hottest-shard", &p).unwrap() / 100.0;
        assert!(
            (mean - want).abs() < 4.0 * se,
            "s={s}: MC {mean} ± {se}, theory {want}"
        );
        assert!(want > w[0]);
    }
}

// ---------------------------------------------------------------------------------------------
// Caching: the miss-ratio curve's floor of theory, and the "80/20" share.
// ---------------------------------------------------------------------------------------------

/// The top-20 % share against the values an independent Python script gave
/// (`sum(r**-s for r in range(1, 201)) / sum(r**-s for r in range(1, 1001))`, six digits; the
/// same table as `tests/cache_theory.rs`), read from a cache-policy run's parameters.
#[test]
fn top20_share_is_80_20_only_near_zipf_one() {
    for (s, python) in [
        (0.6, 0.501_146),
        (0.8, 0.646_205),
        (1.0, 0.785_259),
        (1.2, 0.890_174),
    ] {
        let p = params(
            "cache-policy",
            &[
                ("workload", "zipf"),
                ("keys", "1000"),
                ("zipf_s", &s.to_string()),
            ],
        );
        let y = theory::curve("zipf-top20-share", &p).unwrap();
        assert!((y - python).abs() < 5e-7, "s = {s}: {y} vs {python}");
    }
    // Uniform: exactly a fifth of the requests.
    let p = params("cache-policy", &[("workload", "uniform"), ("keys", "1000")]);
    close(
        "uniform",
        theory::curve("zipf-top20-share", &p).unwrap(),
        0.2,
        1e-12,
    );
    // Not defined for a loop or with sized objects.
    for o in [("workload", "loop"), ("sizes", "lognormal")] {
        assert_eq!(
            theory::curve("zipf-top20-share", &params("cache-policy", &[o])),
            None
        );
    }
}

/// Che's LRU miss ratio against a direct simulation of an LRU stack under independent Zipf
/// requests (a `Vec` kept in recency order, written here, not the crate's LRU): 1,000 keys,
/// s = 0.8, capacities 50, 100 and 200, 250,000 requests after a 50,000-request warm-up.
/// Che's approximation is within about 1 % (relative) of exact LRU at these sizes (Fricker,
/// Robert & Roberts, ITC 2012, Fig. 1); the Monte Carlo's standard error is under 0.002 absolute;
/// tolerance 0.01 absolute. A curve off by a cache slot, or computing the hit ratio, fails.
#[test]
fn che_lru_miss_ratio_matches_a_simulated_lru_stack() {
    let (keys, s) = (1_000u64, 0.8);
    let h = harmonic(keys, s);
    let cdf: Vec<f64> = (1..=keys)
        .scan(0.0, |acc, r| {
            *acc += (r as f64).powf(-s) / h;
            Some(*acc)
        })
        .collect();
    for capacity in [50usize, 100, 200] {
        let mut rng = SimRng::new(11 + capacity as u64);
        let mut stack: Vec<u64> = Vec::new();
        let (mut misses, mut counted) = (0u64, 0u64);
        for i in 0..300_000u32 {
            let u = rng.unit_f64();
            let key = cdf.partition_point(|c| *c < u).min(keys as usize - 1) as u64;
            let hit = match stack.iter().position(|k| *k == key) {
                Some(at) => {
                    stack.remove(at);
                    true
                }
                None => {
                    if stack.len() == capacity {
                        stack.pop();
                    }
                    false
                }
            };
            stack.insert(0, key);
            if i >= 50_000 {
                counted += 1;
                misses += u64::from(!hit);
            }
        }
        let simulated = misses as f64 / counted as f64;
        let p = params(
            "cache-policy",
            &[
                ("workload", "zipf"),
                ("keys", "1000"),
                ("zipf_s", "0.8"),
                ("capacity", &capacity.to_string()),
            ],
        );
        let che = theory::curve("che-lru-miss", &p).unwrap();
        assert!(
            (che - simulated).abs() < 0.01,
            "capacity {capacity}: Che {che:.4}, simulated LRU {simulated:.4}"
        );
    }
    // Everything fits: no steady-state misses; nothing fits: all miss.
    let all = params(
        "cache-policy",
        &[("workload", "zipf"), ("keys", "100"), ("capacity", "100")],
    );
    assert_eq!(theory::curve("che-lru-miss", &all), Some(0.0));
    let none = params("cache-policy", &[("workload", "zipf"), ("capacity", "0")]);
    assert_eq!(theory::curve("che-lru-miss", &none), Some(1.0));
    assert_eq!(
        theory::curve(
            "che-lru-miss",
            &params("cache-policy", &[("workload", "scan")])
        ),
        None
    );
}

// ---------------------------------------------------------------------------------------------
// Load balancing: mean latencies and balls into bins.
// ---------------------------------------------------------------------------------------------

/// Balls into bins in the load-balancer model: 100 servers with one worker, 100 requests evenly
/// spaced over 30 s (the 101st would come at 30.15 s), each a minute long.
const BINS: &[(&str, &str)] = &[
    ("strategy", "power-of-d"),
    ("servers", "100"),
    ("rate", "3.35"),
    ("arrival", "constant"),
    ("cost", "constant"),
    ("mean_ms", "60000"),
    ("duration_s", "30"),
];

/// Random choice: n M/M/1 queues at λ/n, 1/(μ − λ/n) by hand; with two workers each, M/M/2 at
/// λ/n (W = 1/μ + C(2, a)/(2μ − λ), C(2, a) = a²/(2 + a) by Erlang C at c = 2, checked by hand).
/// The pooled queue: M/M/4 at λ = 30/s, μ = 10/s waits with probability 13.5/26.5 (Erlang C by
/// hand, the least-connections lesson's worked figure) for 1/(40 − 30) s: 150.94 ms in all.
/// Per-server rates multiply by the servers.
#[test]
fn balancer_mean_curves_are_mm1_and_mmc() {
    let lb = |o: &[(&str, &str)]| params("load-balancer", o);
    let random = |o| theory::curve("lb-random-mean", &lb(o)).unwrap();
    let pooled = |o| theory::curve("lb-pooled-mean", &lb(o)).unwrap();
    // 4 servers, 300/s, 10 ms: 75/s each against 100/s: 1/25 s = 40 ms.
    close("random, 4 × M/M/1", random(&[]), 40.0, 1e-12);
    // Two workers each: a = 0.75, C = 0.5625 / 2.75; W = 10 ms + C / (200 − 75) s.
    let c = 0.75f64 * 0.75 / 2.75;
    close(
        "random, 4 × M/M/2",
        random(&[("workers", "2")]),
        10.0 + 1_000.0 * c / 125.0,
        1e-12,
    );
    let lc = [("servers", "4"), ("rate", "30"), ("mean_ms", "100")];
    close(
        "pooled, M/M/4",
        pooled(&lc),
        100.0 + 1_000.0 * (13.5 / 26.5) / 10.0,
        1e-9,
    );
    // Per server: 16 servers × 80/s at 10 ms is 80 % busy, 1/(100 − 80) s = 50 ms.
    let per = [("servers", "16"), ("rate_per", "server"), ("rate", "80")];
    close("random, per server", random(&per), 50.0, 1e-12);
    assert!(pooled(&per) < 11.0, "M/M/16 at 80 % barely waits");
    // Overloaded or not exponential: no curve.
    assert_eq!(
        theory::curve("lb-random-mean", &lb(&[("rate", "400")])),
        None
    );
    assert_eq!(
        theory::curve("lb-pooled-mean", &lb(&[("cost", "pareto")])),
        None
    );
}

/// The supermarket curve: T₂(0.9) = 1 + 0.9² + 0.9⁶ + 0.9¹⁴ + … = 2.61406 mean service times
/// (summed by hand in `balance_bins.rs`), so 26.14 ms at 10 ms; d = 1 is M/M/1 (100 ms); d = 3
/// at ρ = 0.5 is 1 + 0.5³ + 0.5¹² + … mean service times; more than one worker has no curve.
#[test]
fn two_choices_curve_is_the_supermarket_limit() {
    let lb = |o: &[(&str, &str)]| params("load-balancer", o);
    let per = |d: &'static str, rate: &'static str| {
        vec![
            ("servers", "100"),
            ("rate_per", "server"),
            ("rate", rate),
            ("d", d),
        ]
    };
    let hand: f64 = [0, 2, 6, 14, 30, 62, 126, 254, 510]
        .iter()
        .map(|e| 0.9f64.powi(*e))
        .sum();
    let t = |o: &[(&str, &str)]| theory::curve("lb-two-choices-mean", &lb(o));
    close("T₂(0.9)", t(&per("2", "90")).unwrap(), 10.0 * hand, 1e-12);
    close("d = 1", t(&per("1", "90")).unwrap(), 100.0, 1e-12);
    let d3 = 1.0 + 0.125 + 0.5f64.powi(12) + 0.5f64.powi(39);
    close("T₃(0.5)", t(&per("3", "50")).unwrap(), 10.0 * d3, 1e-12);
    // The pool's rate: 9,000/s over 100 servers is the same 90 %.
    let pool = [("servers", "100"), ("rate", "9000")];
    close("pool rate", t(&pool).unwrap(), 10.0 * hand, 1e-12);
    let mut two_workers = per("2", "90");
    two_workers.push(("workers", "2"));
    assert_eq!(t(&two_workers), None);
}

/// Balls into bins: for d = 1 the curve is the exact E[max] of 100 balls in 100 bins; for d = 2
/// and 3 it is Mitzenmacher's fluid limit with the Poisson heuristic, held here to a Monte Carlo
/// of `sim::balance::bins::balls_into_bins` (4,000 trials: the mean's standard error is about
/// 0.01) within 2 % at 100 and 200 bins: the heuristic is an approximation (measured within
/// 0.3 % here), and 2 % is four standard errors of the Monte Carlo at d = 2. The request count follows the
/// simulator's evenly spaced arrivals (100 at 3.35/s for 30 s; 100, not 101, at 101/s for 1 s).
#[test]
fn bins_curve_is_the_exact_law_for_one_choice_and_the_fluid_limit_for_more() {
    let with = |extra: &[(&'static str, &'static str)]| {
        let mut o = BINS.to_vec();
        o.extend_from_slice(extra);
        theory::curve("lb-bins-max-load", &params("load-balancer", &o))
    };
    let exact = sim::balance::bins::expected_max_load(100, 100).unwrap();
    close("d = 1", with(&[("d", "1")]).unwrap(), exact, 1e-12);
    close(
        "random",
        with(&[("strategy", "random")]).unwrap(),
        exact,
        1e-12,
    );
    close(
        "101/s for 1 s is 100 requests",
        with(&[("d", "1"), ("rate", "101"), ("duration_s", "1")]).unwrap(),
        exact,
        1e-12,
    );
    for (n, servers, rate) in [(100u32, "100", "3.35"), (200, "200", "6.68")] {
        for (d, ds) in [(2u32, "2"), (3, "3")] {
            let curve = with(&[("d", ds), ("servers", servers), ("rate", rate)]).unwrap();
            let mut rng = SimRng::new(u64::from(n + d));
            let trials = 4_000;
            let mc = (0..trials)
                .map(|_| {
                    f64::from(
                        sim::balance::bins::balls_into_bins(u64::from(n), n, d, &mut rng).unwrap(),
                    )
                })
                .sum::<f64>()
                / f64::from(trials);
            println!("n = {n}, d = {d}: curve {curve:.4}, Monte Carlo {mc:.4}");
            close(&format!("n = {n}, d = {d}"), curve, mc, 0.02);
        }
    }
    // Requests answered within the run, or another strategy: no curve.
    assert_eq!(with(&[("mean_ms", "1000")]), None);
    assert_eq!(with(&[("strategy", "least-connections")]), None);
    assert_eq!(with(&[("arrival", "poisson")]), None);
}
