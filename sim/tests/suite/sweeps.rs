//! The sharding lessons' declared sweeps (`[[sweep]]`), run whole from the compiled catalog and
//! held to their theory curves (`sim::theory`), with tolerances derived from the randomness each
//! sweep leaves in (how many keys, requests or queries a run has), not fitted to the results.
//! Each test also runs its sweep twice and prints the digest, runs and native time:
//!
//! ```text
//! cargo test --release -p sim --test suite sweeps:: -- --nocapture
//! ```

use sim::hashing::ring::{HashRing, Tokens, RING_SIZE};
use sim::hashing::HashFn;
use sim::lesson::Lesson;
use sim::models::hot_keys::{request_weights, shard_of};
use sim::models::scatter_gather::service::ServiceDist;
use sim::params::ParamSet;
use sim::registry;
use sim::sweep::{replicate_seed, run_all, SweepDef, SweepRequest, SweepResult};
use std::time::Instant;

/// A declared sweep, its request (the sweep's preset, as the page resolves it) and its result.
struct Ran {
    def: SweepDef,
    params: ParamSet,
    /// The base seed (replicate `j` runs on `replicate_seed(seed, j)`).
    seed: u64,
    /// The runs' length in seconds.
    seconds: f64,
    result: SweepResult,
}

impl Ran {
    /// Runs `lesson`'s sweep `id` twice: checks the two digests agree and prints one.
    fn new(lesson: &str, id: &str) -> Ran {
        let lesson: Lesson = catalog::lesson(lesson).expect("lesson exists");
        let def = lesson
            .sweeps
            .iter()
            .find(|s| s.id == id)
            .unwrap_or_else(|| panic!("{} declares sweep {id}", lesson.id))
            .clone();
        let scenario = lesson
            .scenario(def.preset.as_deref())
            .expect("preset exists");
        let request = SweepRequest::for_scenario(&lesson, &scenario, &def)
            .expect("the declared sweep is valid");
        // The run's parameters the theory is read with.
        let specs = registry::specs(&lesson.model).unwrap();
        let (params, _) = ParamSet::resolve(
            &specs,
            scenario
                .params
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str())),
        );
        let started = Instant::now();
        let result = run_all(request.clone()).unwrap();
        let secs = started.elapsed().as_secs_f64();
        assert!(result.complete());
        let again = run_all(request).unwrap();
        assert_eq!(
            result.digest(),
            again.digest(),
            "{id}: the same request, another digest"
        );
        assert_eq!(result.to_csv(), again.to_csv());
        let points = result.meta.xs.len();
        println!(
            "sweep {}/{id}: {} points × {} series × {} seeds = {} runs in {secs:.2} s ({:.0} points/s, {:.0} runs/s); digest {:#018x}",
            lesson.id,
            points,
            result.meta.series.len(),
            def.seeds,
            result.total(),
            points as f64 / secs,
            f64::from(result.total()) / secs,
            result.digest()
        );
        Ran {
            def,
            params,
            seed: scenario.seed,
            seconds: scenario.until.as_ms() as f64 / 1_000.0,
            result,
        }
    }

    fn metric(&self, id: &str) -> usize {
        self.result
            .meta
            .metrics
            .iter()
            .position(|m| m.id == id)
            .unwrap()
    }

    fn series(&self, id: &str) -> usize {
        self.result
            .meta
            .series
            .iter()
            .position(|s| s.id == id)
            .unwrap()
    }

    /// The median over the seeds of `metric` at point `p` of `series`.
    fn median(&self, series: usize, metric: &str, p: usize) -> f64 {
        self.result
            .summary(series, self.metric(metric), p)
            .unwrap()
            .median
    }

    /// The theory curve `curve` at the sweep's value `x` (the curves' grid holds every `x`).
    fn theory(&self, curve: &str, x: f64) -> f64 {
        let c = self
            .result
            .meta
            .theory
            .iter()
            .find(|t| t.curve == curve)
            .unwrap();
        c.points
            .iter()
            .find(|p| (p.0 - x).abs() < 1e-9)
            .unwrap_or_else(|| panic!("{curve} has no point at {x}"))
            .1
    }
}

/// Mean and sample standard deviation.
fn mean_sd(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0);
    (mean, var.sqrt())
}

/// Consistent hashing, 5 servers × 1…500 random tokens each, 5,001 keys, R seeds a point.
///
/// The sweep's setup draws each server's points at random from the run's seed
/// (`tokens = "random"`), so each seed runs on another ring and the theory curves, expectations
/// over random rings, apply to the runs directly. Checked at every point:
///
/// 1. **The rings.** Rebuilt here from each replicate's seed, as the model documents it: their
///    mean arc variance `(1/n) Σ (aᵢ − 1/n)²` must be the Beta variance of
///    `ring_share_variance` (the shares sum to 1, so the population variance's expectation is
///    exactly `Var(aᵢ)`), within 4 standard errors of the R rings.
/// 2. **The runs on those rings.** Given ring `j`'s arcs, a server's count is Binomial(K, aᵢ),
///    so `E[s²]` is `(1/n) Σ ((K aᵢ − K/n)² + K aᵢ(1 − aᵢ))`: the mean of the runs' `s²` must match
///    the mean of those exact conditional expectations within 4 standard errors (plus 1 %), which
///    checks that `load_stddev` is the population standard deviation in keys of the ring the
///    model built.
/// 3. **The curves.** The median over the R seeds of `load_stddev` and `max_mean_ratio` must
///    follow `ring-load-stddev` and `ring-max-mean`: within 3.5 standard errors of a median
///    (`1.2533 σ/√R` for σ the seeds' sample standard deviation) plus 2 % for the curves' own
///    approximations (c₄, Poissonization: within about 1 % for 5 servers, `tests/theory.rs`);
///    and, below, 0.2 σ more, because both metrics are skewed to the right, so their median sits
///    under their mean (by 0.17 σ for the largest of five random arcs, exactly; by 0.07–0.1 σ for
///    the standard deviation, by simulation). The mean over the seeds must be within 3.5
///    standard errors (`σ/√R`) plus 2 %.
/// 4. **The band.** The seeds' spread of `load_stddev` must be the spread of random rings: under
///    the normal approximation behind the c₄ factor `s²` is `Var(Lᵢ) χ²ₙ₋₁/(n − 1)`, so
///    `sd(s)/E[s] = √(1 − c₄²)/c₄` (0.363 for 5 servers); the sample's ratio must be within a
///    factor 1.5 of it (a sample standard deviation of R = 40 draws has a relative standard
///    error of about 0.14). With hashed points every seed runs on the same ring, the spread is the
///    keys' alone, and this fails (as do 1–3 at most points).
#[test]
fn vnodes_imbalance_follows_the_ring_theory() {
    let ran = Ran::new("consistent-hashing", "vnodes-imbalance");
    assert_eq!(
        ran.params.text("tokens"),
        "random",
        "the sweep runs on random rings"
    );
    let servers: Vec<&str> = ran.params.text("servers").split(',').collect();
    let n = servers.len() as f64;
    let keys = ran.params.int("keys") as f64 + 1.0; // plus the named key User123
    let hash = HashFn::parse(ran.params.text("hash")).unwrap();
    let r = f64::from(ran.def.seeds);
    let c4 = sim::theory::c4(n as u32);
    let band = (1.0 - c4 * c4).sqrt() / c4;
    for (p, &k) in ran.result.meta.xs.iter().enumerate() {
        // 1. Each replicate's ring, rebuilt from its seed.
        let rings: Vec<Vec<f64>> = (0..ran.def.seeds)
            .map(|j| {
                let tokens = Tokens::Random {
                    seed: replicate_seed(ran.seed, j),
                };
                let mut ring = HashRing::with_tokens(hash, k as u32, tokens).unwrap();
                for s in &servers {
                    ring.add_server(s, None).unwrap();
                }
                ring.arcs()
                    .values()
                    .map(|a| *a as f64 / RING_SIZE as f64)
                    .collect()
            })
            .collect();
        let arc_vars: Vec<f64> = rings
            .iter()
            .map(|arcs| arcs.iter().map(|a| (a - 1.0 / n).powi(2)).sum::<f64>() / n)
            .collect();
        let (arc_var, arc_sd) = mean_sd(&arc_vars);
        let beta = sim::theory::ring_share_variance(n as u32, k as u32);
        assert!(
            (arc_var - beta).abs() <= 4.0 * arc_sd / r.sqrt(),
            "k={k}: mean arc variance {arc_var}, Beta {beta} ± {}",
            arc_sd / r.sqrt()
        );
        // 2. The runs against their rings' conditional expectations.
        let sds = ran.result.samples(0, ran.metric("load_stddev"), p);
        assert_eq!(sds.len(), rings.len());
        let (mut want_var, mut var_of_var) = (0.0, 0.0);
        for arcs in &rings {
            for a in arcs {
                let (d2, v) = ((keys * a - keys / n).powi(2), keys * a * (1.0 - a));
                want_var += (d2 + v) / n;
                var_of_var += (2.0 * v * v + 4.0 * d2 * v) / (n * n);
            }
        }
        let (want_var, se) = (want_var / r, var_of_var.sqrt() / r);
        let mean_var = sds.iter().map(|s| s * s).sum::<f64>() / r;
        assert!(
            (mean_var - want_var).abs() <= 4.0 * se + 0.01 * want_var,
            "k={k}: mean s² {mean_var}, expected {want_var} ± {se} for these rings"
        );
        // 3. Medians and means against the curves.
        let mut line = format!("  k={k:>3}:");
        for (metric, curve) in [
            ("load_stddev", "ring-load-stddev"),
            ("max_mean_ratio", "ring-max-mean"),
        ] {
            let t = ran.theory(curve, k);
            let samples = ran.result.samples(0, ran.metric(metric), p);
            let (mean, sd) = mean_sd(&samples);
            let median = ran.median(0, metric, p);
            let se_median = 1.2533 * sd / r.sqrt();
            let (lo, hi) = (
                t * 0.98 - 3.5 * se_median - 0.2 * sd,
                t * 1.02 + 3.5 * se_median,
            );
            assert!(
                lo <= median && median <= hi,
                "k={k} {metric}: median {median} outside [{lo}, {hi}] (theory {t}, sd {sd})"
            );
            assert!(
                (mean - t).abs() <= 3.5 * sd / r.sqrt() + 0.02 * t,
                "k={k} {metric}: mean {mean}, theory {t} ± {}",
                sd / r.sqrt()
            );
            if metric == "load_stddev" {
                // 4. The band is the spread of random rings.
                assert!(
                    (band / 1.5..=band * 1.5).contains(&(sd / t)),
                    "k={k}: the seeds' std dev of load_stddev is {:.3} of the curve, random rings give {band:.3}",
                    sd / t
                );
                assert_eq!(
                    t,
                    sim::theory::ring_load_stddev(n as u32, k as u32, keys as u64)
                );
            }
            line.push_str(&format!(
                " {metric} median {median:.3} mean {mean:.3} (theory {t:.3}, sd {sd:.3});"
            ));
        }
        println!("{line} arc variance {:.3} of Beta", arc_var / beta);
    }
    // And the measured curve falls: 1 → 500 points cut the std dev at least fivefold.
    let last = ran.result.meta.xs.len() - 1;
    assert!(ran.median(0, "load_stddev", 0) > 5.0 * ran.median(0, "load_stddev", last));
}

/// Moved share when a shard joins, every strategy. `hash % N` must move N/(N+1) and jump hash
/// and rendezvous 1/(N+1), within four binomial standard errors for 1,000 keys; the ring and
/// ketama add the spread of the newcomer's arc share, Beta(v, Nv) for v points per server; bounded
/// loads moves at least the minimum.
#[test]
fn moved_share_follows_n_over_n_plus_one_and_its_complement() {
    let ran = Ran::new("hashing-strategies", "moved-vs-shards");
    let keys = ran.params.int("keys") as f64;
    let vnodes = ran.params.int("vnodes") as f64;
    for (p, &x) in ran.result.meta.xs.iter().enumerate() {
        let modulo = ran.theory("modulo-moved", x) / 100.0;
        let minimal = ran.theory("minimal-moved", x) / 100.0;
        assert!(
            (modulo - x / (x + 1.0)).abs() < 1e-12 && (minimal - 1.0 / (x + 1.0)).abs() < 1e-12
        );
        let binomial = |q: f64| (q * (1.0 - q) / keys).sqrt();
        let arc = |v: f64| (minimal * (1.0 - minimal) / ((x + 1.0) * v + 1.0)).sqrt();
        let mut line = format!("  N={x:>2}:");
        for (id, want, sd) in [
            ("modulo", modulo, binomial(modulo)),
            ("ring", minimal, binomial(minimal).hypot(arc(vnodes))),
            ("ketama", minimal, binomial(minimal).hypot(arc(160.0))),
            ("jump", minimal, binomial(minimal)),
            ("rendezvous", minimal, binomial(minimal)),
            ("bounded", minimal, binomial(minimal)),
        ] {
            let got = ran.median(ran.series(id), "moved_percent", p) / 100.0;
            line.push_str(&format!(" {id} {:.1}", got * 100.0));
            if id == "bounded" {
                assert!(got >= want - 4.0 * sd, "N={x} {id}: {got} < {want}");
            } else {
                assert!(
                    (got - want).abs() <= 4.0 * sd,
                    "N={x} {id}: {got}, theory {want} ± {sd}"
                );
            }
        }
        println!(
            "{line} (theory {:.1} / {:.1})",
            modulo * 100.0,
            minimal * 100.0
        );
    }
}

/// Scatter latency against the shard count. A run's p50/p99 are sample quantiles of its
/// queries, so the median over the seeds must lie between the theory's quantiles at
/// q ∓ 4 standard errors of a share of the pooled queries (less 10 % and plus 15 % for the
/// histogram's 3 % buckets and the little queueing at 10 reads a second). Where the quantile
/// is away from the pause's edge — the p99 from two shards on, the p50 while a read's chance
/// of meeting a pause or a queue behind one stays well below 1 − 0.5^(1/N) — it must also be
/// within 15 % of the curve.
#[test]
fn scatter_latency_follows_the_order_statistics() {
    let ran = Ran::new("cross-shard-queries", "tail-vs-shards");
    let ps = &ran.params;
    assert_eq!(ps.text("index"), "none");
    let dist = ServiceDist {
        median_us: ps.float("service_ms") * 1_000.0,
        sigma: ps.float("service_sigma"),
        slow_p: ps.float("slow_percent") / 100.0,
        slow_us: ps.int("slow_ms") as f64 * 1_000.0,
    };
    let gather = ps.float("gather_ms");
    let rate = ps.int("query_rate") as f64;
    let per_run = rate * ran.seconds * ps.int("by_attribute_percent") as f64 / 100.0;
    let pooled = per_run * f64::from(ran.def.seeds);
    // The chance a shard request waits behind another's pause: arrivals per second at a shard
    // (every read asks every shard) × the chance of a pause × its length.
    let wait = rate * dist.slow_p * dist.slow_us / 1e6;
    for (p, &x) in ran.result.meta.xs.iter().enumerate() {
        let n = x as u32;
        let q_at = |q: f64| {
            let merge = if n > 1 { gather } else { 0.0 };
            dist.max_quantile(q.clamp(1e-9, 1.0 - 1e-9), n) / 1_000.0 + merge
        };
        let mut line = format!("  N={n:>2}:");
        for (metric, curve, q) in [
            ("p50_attr_ms", "scatter-p50", 0.5),
            ("p99_attr_ms", "scatter-p99", 0.99),
        ] {
            let got = ran.median(0, metric, p);
            let t = ran.theory(curve, x);
            assert!((t - q_at(q)).abs() < 1e-9, "{curve} at {n}: {t}");
            let d = 4.0 * (q * (1.0 - q) / pooled).sqrt();
            let (lo, hi) = (0.9 * q_at(q - d), 1.15 * q_at(q + d));
            assert!(
                lo <= got && got <= hi,
                "N={n} {metric}: {got} outside [{lo}, {hi}] (theory {t})"
            );
            let clear = if q == 0.5 {
                1.0 - 0.5f64.powf(1.0 / x) >= 1.2 * (dist.slow_p + wait)
            } else {
                n >= 2
            };
            if clear {
                assert!(
                    (got / t - 1.0).abs() <= 0.15,
                    "N={n} {metric}: {got} vs theory {t}"
                );
            }
            line.push_str(&format!(" {metric} {got:.1} (theory {t:.1})"));
        }
        println!("{line}");
    }
}

/// Hottest shard against the Zipf exponent. With 2,000 requests a run, the hottest shard's share
/// must be at least the top key's 1/H(K, s) and within three standard deviations of the top
/// key's shard's expected share, counting both the requests' sampling and where random placement
/// could put the other keys (variance (1/N)(1 − 1/N) Σᵢ₌₂ pᵢ²). And, sharper: within three
/// binomial standard errors of the exact busiest-shard share of *this* placement (jump hash of
/// user:0 … user:999), which checks `hottest_share` is a percentage of shard requests.
#[test]
fn hottest_shard_follows_the_zipf_top_key() {
    let ran = Ran::new("hot-keys", "zipf-hottest");
    let keys = ran.params.int("keys") as u64;
    let shards = ran.params.int("shards") as u32;
    let requests = ran.params.int("request_rate") as f64 * ran.seconds;
    assert_eq!(ran.params.text("popularity"), "zipf");
    assert_eq!(ran.params.int("celebrity_share"), 0);
    let home: Vec<u32> = (0..keys)
        .map(|id| shard_of(&format!("user:{id}"), shards))
        .collect();
    for (p, &s) in ran.result.meta.xs.iter().enumerate() {
        let w = request_weights(keys, Some(s), None);
        let got = ran.median(0, "hottest_share", p) / 100.0;
        let top = ran.theory("zipf-top-key", s) / 100.0;
        let shard = ran.theory("zipf-hottest-shard", s) / 100.0;
        assert!(
            (top - w[0]).abs() < 1e-12,
            "s={s}: top key {top} vs {}",
            w[0]
        );
        let nf = f64::from(shards);
        assert!((shard - (w[0] + (1.0 - w[0]) / nf)).abs() < 1e-12);
        let req = |q: f64| (q * (1.0 - q) / requests).sqrt();
        assert!(
            got >= top - 3.0 * req(top),
            "s={s}: hottest {got} below the top key's {top}"
        );
        let place: f64 = w[1..].iter().map(|x| x * x).sum::<f64>() * (1.0 / nf) * (1.0 - 1.0 / nf);
        let sd = (place + req(shard).powi(2)).sqrt();
        assert!(
            (got - shard).abs() <= 3.0 * sd,
            "s={s}: hottest {got}, theory {shard} ± {sd}"
        );
        let mut per_shard = vec![0.0; shards as usize];
        for (id, x) in w.iter().enumerate() {
            per_shard[home[id] as usize] += x;
        }
        let exact = per_shard.iter().copied().fold(0.0, f64::max);
        // The busiest of 8 noisy shares sits a little above the busiest expected one.
        assert!(
            got >= exact - 3.0 * req(exact) && got <= exact + 4.0 * req(exact),
            "s={s}: hottest {got}, this placement's busiest shard {exact}"
        );
        println!(
            "  s={s:.1}: hottest {:.1} %, this placement {:.1} %, theory top key {:.1} %, its shard {:.1} %",
            got * 100.0,
            exact * 100.0,
            top * 100.0,
            shard * 100.0
        );
    }
}

/// Every sweep a lesson declares builds into a valid request with its theory curves defined at
/// every point (the other declared sweeps, if any, included).
#[test]
fn every_declared_sweep_is_valid() {
    for entry in catalog::LESSONS {
        let lesson = catalog::lesson(entry.id).unwrap();
        for def in &lesson.sweeps {
            let scenario = lesson.scenario(def.preset.as_deref()).unwrap();
            let request = SweepRequest::for_scenario(&lesson, &scenario, def)
                .unwrap_or_else(|e| panic!("{}/{}: {e}", lesson.id, def.id));
            let plan = sim::sweep::SweepPlan::new(request).unwrap();
            assert!(
                plan.total() <= 1_000,
                "{}/{}: {} runs is more than a few seconds in a browser",
                lesson.id,
                def.id,
                plan.total()
            );
            for t in plan.theory() {
                let fine = (def.steps - 1) * 4 + 1;
                assert!(
                    t.points.len() as u32 >= plan.xs().len() as u32
                        && t.points.len() as u32 <= fine,
                    "{}/{}: {} defined at {} points",
                    lesson.id,
                    def.id,
                    t.curve,
                    t.points.len()
                );
                for x in plan.xs() {
                    assert!(
                        t.points.iter().any(|p| p.0 == *x),
                        "{}: no point at {x}",
                        t.curve
                    );
                }
            }
        }
    }
}

/// A sweep drawn beside the diagram follows the run, and the page marks the run on it: so the
/// run itself, played to its end, must be the curve's point at the run's value of the swept
/// parameter, on the series with the run's parameters (replicate 0 runs on the run's own seed).
/// Checked for every such sweep, on the lesson's defaults and every preset whose value of the
/// swept parameter is one of the sweep's points and whose parameters one series has.
#[test]
fn a_beside_sweep_puts_the_run_on_its_curve() {
    let mut checked = 0;
    for entry in catalog::LESSONS {
        let lesson = catalog::lesson(entry.id).unwrap();
        let Some(def) = lesson.sweeps.iter().find(|s| s.beside) else {
            continue;
        };
        let metric = &def.metrics[0];
        let setups =
            std::iter::once(None).chain(lesson.presets.iter().map(|p| Some(p.id.as_str())));
        for preset in setups {
            let scenario = lesson.scenario(preset).unwrap();
            let request = SweepRequest::for_scenario(&lesson, &scenario, def).unwrap();
            let plan = sim::sweep::SweepPlan::new(request.clone()).unwrap();
            let mut run = registry::start(&scenario).unwrap();
            run.seek(scenario.until);
            let params = run.params().clone();
            let x = params.float(&def.param);
            let Some(point) = plan.xs().iter().position(|v| *v == x) else {
                continue;
            };
            let Some(series) = request.series.iter().position(|s| {
                s.params
                    .iter()
                    .filter(|(k, _)| **k != def.param)
                    .all(|(k, v)| params.get(k).is_some_and(|p| p.to_text() == *v))
            }) else {
                continue;
            };
            let want = run.metrics().get(metric).and_then(|m| m.as_f64());
            let s = request.series.len() as u32;
            let k = point as u32 * s * def.seeds + series as u32 * def.seeds;
            let got = plan.run(k).values[0];
            assert_eq!(
                got, want,
                "{}/{} on {preset:?}: the curve's point at {x} is not the run",
                lesson.id, def.id
            );
            checked += 1;
        }
    }
    assert!(checked >= 5, "only {checked} setups were on a curve");
    println!("{checked} setups sit on their beside sweep's curve");
}

/// The S3-FIFO and SIEVE papers' qualitative result (Yang et al., SOSP 2023, §5; Zhang et al.,
/// NSDI 2024, §4): on skewed traffic with one-hit wonders they miss less than LRU across most
/// cache sizes. The eviction lesson's curve (its starting setup: 30 % one-hit wonders over a
/// Zipf hot set of 100 keys) says where it holds and where it does not; this holds it to that.
#[test]
fn the_eviction_curve_shows_s3fifo_and_sieve_below_lru_where_the_lesson_says() {
    let ran = Ran::new("eviction-policies", "mrc-live");
    let xs = ran.result.meta.xs.clone();
    let (lru, s3, sieve, min) = (
        ran.series("lru"),
        ran.series("s3fifo"),
        ran.series("sieve"),
        ran.series("min"),
    );
    for (p, &x) in xs.iter().enumerate() {
        let at = |s| ran.median(s, "miss_ratio", p);
        let all = [lru, s3, sieve].map(at);
        assert!(all.iter().all(|&v| at(min) <= v), "MIN is the floor at {x}");
        if (2.0..=316.0).contains(&x) {
            assert!(at(s3) < at(lru) && at(sieve) < at(lru), "at {x}: {all:?}");
        }
        if x == 1.0 {
            assert!(
                all.iter().all(|&v| v == all[0]),
                "one slot: all the same {all:?}"
            );
        }
        if x >= 1000.0 {
            assert!(
                all.iter().all(|&v| v == at(min)),
                "at {x} only first requests miss: {all:?}"
            );
        }
    }
}

/// p99 against load over four equal M/M/1 servers (round-robin lesson). Random choice leaves each
/// server a Poisson stream, so its median p99 over the seeds must follow four M/M/1 queues
/// (`lb-random-p99`) within 12 % up to 84 % busy (30 s runs; nearer saturation a run is too short
/// for the steady state and its p99 falls below it). Least connections sees the queues: it must
/// stay within 12 % below and 25 % above the shared-queue M/M/4 reference (`lb-pooled-p99`) over
/// the same range, and below random from 25 % busy on. Round robin sits in between: above least
/// connections and below random from 25 % busy (its Erlang-4 gaps are steadier than Poisson).
#[test]
fn p99_against_load_follows_mm1_for_random_and_the_pooled_queue_for_least_connections() {
    let ran = Ran::new("round-robin", "p99-vs-rate");
    let ps = &ran.params;
    let capacity = ps.int("servers") as f64 * 1_000.0 / ps.float("mean_ms");
    let (rr, random, lc) = (
        ran.series("round-robin"),
        ran.series("random"),
        ran.series("least-connections"),
    );
    for (p, &x) in ran.result.meta.xs.iter().enumerate() {
        let rho = x / capacity;
        let (r, m, l) = (
            ran.median(rr, "p99_ms", p),
            ran.median(random, "p99_ms", p),
            ran.median(lc, "p99_ms", p),
        );
        let (mm1, pooled) = (
            ran.theory("lb-random-p99", x),
            ran.theory("lb-pooled-p99", x),
        );
        println!(
            "  {x:>5.0}/s ({:>3.0} %): round robin {r:.1}, random {m:.1} (M/M/1 {mm1:.1}), least connections {l:.1} (M/M/4 {pooled:.1})",
            rho * 100.0
        );
        if rho <= 0.84 {
            assert!(
                (m / mm1 - 1.0).abs() <= 0.12,
                "{x}/s: random {m} vs M/M/1 {mm1}"
            );
            assert!(
                (0.88 * pooled..=1.25 * pooled).contains(&l),
                "{x}/s: least connections {l} vs M/M/4 {pooled}"
            );
        }
        if rho >= 0.25 {
            assert!(l < m, "{x}/s: least connections {l} not below random {m}");
            assert!(
                l <= r && r < m,
                "{x}/s: round robin {r} not between {l} and {m}"
            );
        }
    }
}

/// The most requests in flight at one server against the number of random choices d, 64
/// requests on 64 servers with nothing answered (random-choices lesson): balls into bins. The
/// mean over the seeds must match the curve (`lb-bins-max-load`: exact for d = 1, the fluid
/// limit for d ≥ 2) within 4 standard errors plus 3 % (the model draws distinct servers, the
/// fluid limit with replacement: `balance_bins.rs` measures both), fall by more than 1.2 from
/// d = 1 to d = 2 and by less than 0.7 from d = 2 to d = 3: most of the gain is the second choice.
#[test]
fn max_load_against_choices_is_balls_into_bins() {
    let ran = Ran::new("random-choices", "max-load-vs-d");
    let m = ran.metric("max_in_flight");
    let mut means = Vec::new();
    for (p, &x) in ran.result.meta.xs.iter().enumerate() {
        let v = ran.result.samples(0, m, p);
        let (mean, sd) = mean_sd(&v);
        let se = sd / (v.len() as f64).sqrt();
        let want = ran.theory("lb-bins-max-load", x);
        println!("  d = {x}: mean {mean:.3} ± {se:.3}, theory {want:.3}");
        assert!(
            (mean - want).abs() <= 4.0 * se + 0.03 * want,
            "d = {x}: {mean} vs {want}"
        );
        means.push(mean);
    }
    assert!(means[0] - means[1] > 1.2, "{means:?}");
    assert!(means[1] - means[2] < 0.7, "{means:?}");
}

/// Mean latency against load on 64 servers (random-choices lesson, 3 s runs of up to 17,000
/// requests). Two random choices must follow the supermarket model's limit T₂(ρ)
/// (`lb-two-choices-mean`) within 5 % at every load from 10 % to 90 % busy: at 100 servers the
/// finite pool is about 1.5 % slower than the limit (`balance_bins.rs`), at 64 measured 2.7 % at
/// 90 %; two seeds of thousands of requests add about 1 %, and two choices settle within a few
/// dozen service times of the empty start. Random must follow 64 M/M/1 queues
/// (`lb-random-mean`) within 5 % up to 70 %
/// busy; nearer saturation an M/M/1 queue takes longer than 3 s to fill from empty
/// (its relaxation time grows as 1/(1 − √ρ)², 380 service times at 90 %), so the run sits below.
/// Least connections, one balancer that sees every server, stays within 15 % above the pooled
/// M/M/64 queue (`lb-pooled-mean`: it commits each request to one server's queue on arrival,
/// measured 9 % above at 90 %) and no more than 3 % below it (start-up from empty), and
/// the order least connections < two choices < random holds from 20 % busy.
#[test]
fn mean_against_load_follows_the_supermarket_model_for_two_choices() {
    let ran = Ran::new("random-choices", "mean-vs-load");
    let (random, two, lc) = (
        ran.series("random"),
        ran.series("two-choices"),
        ran.series("least-connections"),
    );
    for (p, &x) in ran.result.meta.xs.iter().enumerate() {
        let rho = x / 100.0; // x requests a second per server of 10 ms
        let (r, t, l) = (
            ran.median(random, "mean_ms", p),
            ran.median(two, "mean_ms", p),
            ran.median(lc, "mean_ms", p),
        );
        let (mm1, t2, pooled) = (
            ran.theory("lb-random-mean", x),
            ran.theory("lb-two-choices-mean", x),
            ran.theory("lb-pooled-mean", x),
        );
        println!(
            "  {:>3.0} % busy: random {r:.2} (M/M/1 {mm1:.2}), two choices {t:.2} (T₂ {t2:.2}), least connections {l:.2} (M/M/64 {pooled:.2})",
            rho * 100.0
        );
        assert!((t / t2 - 1.0).abs() <= 0.05, "{x}: two choices {t} vs {t2}");
        if rho <= 0.7 {
            assert!((r / mm1 - 1.0).abs() <= 0.05, "{x}: random {r} vs {mm1}");
        }
        assert!(
            (0.97 * pooled..=1.15 * pooled).contains(&l),
            "{x}: least connections {l} vs {pooled}"
        );
        if rho >= 0.2 {
            assert!(l < t && t < r, "{x}: {l} < {t} < {r} fails");
        }
    }
}

/// p99 against the number of servers at a fixed 80 % per server (random-choices lesson, 10 s
/// runs, seven seeds). Random choice leaves every server an M/M/1 queue at 80 %, whatever their
/// number: its median p99 must stay within 30 % of `lb-random-p99` at every point and within
/// 15 % on average (a p99 of a few thousand correlated latencies moves by ±20 % between seeds).
/// Least connections approaches the pooled M/M/n queue (`lb-pooled-p99`), which falls with n:
/// within 15 % below and 30 % above it. Two choices is least connections at n = 2 (it always
/// draws both servers: within 15 %), and from 4 servers sits between least connections and
/// random, its p99 falling as n grows (32 servers below 4).
#[test]
fn p99_against_servers_is_flat_for_random_and_falls_for_the_pooled_queue() {
    let ran = Ran::new("random-choices", "p99-vs-servers");
    let (random, two, lc) = (
        ran.series("random"),
        ran.series("two-choices"),
        ran.series("least-connections"),
    );
    let xs = ran.result.meta.xs.clone();
    let mut ratios = Vec::new();
    let mut twos = Vec::new();
    for (p, &x) in xs.iter().enumerate() {
        let (r, t, l) = (
            ran.median(random, "p99_ms", p),
            ran.median(two, "p99_ms", p),
            ran.median(lc, "p99_ms", p),
        );
        let (mm1, pooled) = (
            ran.theory("lb-random-p99", x),
            ran.theory("lb-pooled-p99", x),
        );
        println!(
            "  {x:>2} servers: random {r:.1} (M/M/1 {mm1:.1}), two choices {t:.1}, least connections {l:.1} (M/M/{x} {pooled:.1})"
        );
        assert!((r / mm1 - 1.0).abs() <= 0.30, "{x}: random {r} vs {mm1}");
        ratios.push(r / mm1);
        assert!(
            (0.85 * pooled..=1.30 * pooled).contains(&l),
            "{x}: least connections {l} vs {pooled}"
        );
        if x == 2.0 {
            assert!((t / l - 1.0).abs() <= 0.15, "two servers: {t} vs {l}");
        } else {
            assert!(l < t && t < r, "{x}: {l} < {t} < {r} fails");
        }
        twos.push(t);
    }
    let avg = ratios.iter().sum::<f64>() / ratios.len() as f64;
    assert!(
        (avg - 1.0).abs() <= 0.15,
        "random against M/M/1 on average: {avg}"
    );
    assert!(twos[twos.len() - 1] < twos[1], "two choices: {twos:?}");
}
