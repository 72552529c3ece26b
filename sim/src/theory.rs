//! Reference curves from theory, drawn dashed beside a sweep's measured values.
//!
//! Each curve is a formula of a run's parameters (the swept one set to the point's value); a
//! lesson's `[[sweep]]` names the curve beside the metric it predicts. Each formula's source is
//! cited at its function, and `tests/suite/theory.rs` checks it against an independent calculation
//! (Monte Carlo, a direct count, or a closed form from the literature).
//!
//! Every curve is an *expectation over the randomness the model leaves to chance* (where ring
//! points fall, which shard a key hashes to), so a single run sits around it, not on it. Where a
//! model does something the formula leaves out (queueing, a cache), the curve says so in its
//! label or is undefined (`None`) for that setup.
//!
//! Floats come from `libm`, so a curve has the same bits natively and in wasm32.

use crate::models::scatter_gather::service::{scatter_quantile_us, ServiceDist};
use crate::params::ParamSet;

/// A curve's id, legend label and the metrics it may be drawn beside.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CurveInfo {
    /// Identifier in lesson files and links (`modulo-moved`).
    pub id: &'static str,
    /// The legend's label.
    pub label: &'static str,
    /// The model it describes.
    pub model: &'static str,
}

/// Every curve.
pub const CURVES: &[CurveInfo] = &[
    CurveInfo {
        id: "ring-load-stddev",
        label: "E[std dev], random points (Beta arcs + key sampling)",
        model: "hash-ring",
    },
    CurveInfo {
        id: "ring-max-mean",
        label: "E[max]/mean, random points (Gamma arcs, Poisson keys)",
        model: "hash-ring",
    },
    CurveInfo {
        id: "modulo-moved",
        label: "hash % N moves N/(N+1) when a shard joins",
        model: "placement",
    },
    CurveInfo {
        id: "minimal-moved",
        label: "the minimum, 1/(N+1) moves when a shard joins",
        model: "placement",
    },
    CurveInfo {
        id: "scatter-p50",
        label: "p50 of the slowest of N idle shards + merge (no queueing)",
        model: "scatter-gather",
    },
    CurveInfo {
        id: "scatter-p99",
        label: "p99 of the slowest of N idle shards + merge (no queueing)",
        model: "scatter-gather",
    },
    CurveInfo {
        id: "zipf-top-key",
        label: "the top key's share 1/H(K,s), a floor for its shard",
        model: "hot-keys",
    },
    CurveInfo {
        id: "zipf-hottest-shard",
        label: "E[share of the top key's shard], p₁ + (1 − p₁)/N",
        model: "hot-keys",
    },
    CurveInfo {
        id: "che-lru-miss",
        label: "LRU miss ratio by Che's approximation (steady state, no cold misses)",
        model: "cache-policy",
    },
    CurveInfo {
        id: "zipf-top20-share",
        label: "share of the top 20 % of keys, Σ_{r ≤ K/5} r^-s / H(K,s)",
        model: "cache-policy",
    },
    CurveInfo {
        id: "lb-random-p99",
        label: "p99, servers drawn at random: n M/M/w queues at λ/n each",
        model: "load-balancer",
    },
    CurveInfo {
        id: "lb-pooled-p99",
        label: "p99 of one shared queue for every worker (M/M/nw), the pooled reference",
        model: "load-balancer",
    },
    CurveInfo {
        id: "lb-modulo-moved",
        label: "hash mod n moves (n − 1)/n of the clients when one of n servers leaves",
        model: "load-balancer",
    },
    CurveInfo {
        id: "lb-random-mean",
        label: "mean, servers drawn at random: n M/M/w queues at λ/n each",
        model: "load-balancer",
    },
    CurveInfo {
        id: "lb-pooled-mean",
        label: "mean of one shared queue for every worker (M/M/nw), the pooled reference",
        model: "load-balancer",
    },
    CurveInfo {
        id: "lb-two-choices-mean",
        label: "mean, the fewer in flight of d random servers, n → ∞ (supermarket model)",
        model: "load-balancer",
    },
    CurveInfo {
        id: "lb-bins-max-load",
        label: "E[most in flight], n requests on n servers, none answered (balls into bins)",
        model: "load-balancer",
    },
    CurveInfo {
        id: "retry-amplification",
        label: "calls per request, 1 + p + … + p^(attempts−1) per layer, multiplied across layers",
        model: "retries",
    },
    CurveInfo {
        id: "timeout-false-percent",
        label: "P(latency > timeout)^attempts: healthy calls a timeout fails (lognormal)",
        model: "bulkheads",
    },
    CurveInfo {
        id: "bulkhead-erlang-b",
        label: "Erlang B(pool, rate × E[time held]): calls a full bulkhead rejects",
        model: "bulkheads",
    },
    CurveInfo {
        id: "shedding-ideal-goodput",
        label: "ideal goodput, min(offered, capacity), % of capacity",
        model: "shedding",
    },
];

/// The curve with this id.
pub fn info(id: &str) -> Option<&'static CurveInfo> {
    CURVES.iter().find(|c| c.id == id)
}

/// The curve's value for a run with these parameters (`None` where it is not defined).
pub fn curve(id: &str, params: &ParamSet) -> Option<f64> {
    match id {
        "ring-load-stddev" => {
            let (n, k, keys) = ring_setup(params)?;
            Some(ring_load_stddev(n, k, keys))
        }
        "ring-max-mean" => {
            let (n, k, keys) = ring_setup(params)?;
            ring_max_mean(n, k, keys)
        }
        "modulo-moved" => Some(100.0 * modulo_moved(shards(params)?)),
        "minimal-moved" => Some(100.0 * minimal_moved(shards(params)?)),
        "scatter-p50" => scatter_quantile_ms(params, 0.5),
        "scatter-p99" => scatter_quantile_ms(params, 0.99),
        "zipf-top-key" => Some(100.0 * hot_top_key(params)?),
        "zipf-hottest-shard" => {
            let p1 = hot_top_key(params)?;
            let n = f64::from(shards(params)?);
            Some(100.0 * (p1 + (1.0 - p1) / n))
        }
        "che-lru-miss" => {
            let (keys, s) = cache_zipf(params)?;
            let h = harmonic(keys, s);
            let rates: Vec<f64> = (1..=keys).map(|r| libm::pow(r as f64, -s) / h).collect();
            Some(1.0 - che_lru_hit_ratio(&rates, params.int("capacity") as f64)?)
        }
        "zipf-top20-share" => {
            let (keys, s) = cache_zipf(params)?;
            Some(zipf_top_fraction_share(keys, s, 0.2))
        }
        "lb-random-p99" => balancer_random_p99_ms(params),
        "lb-pooled-p99" => balancer_pooled_p99_ms(params),
        "lb-modulo-moved" => balancer_modulo_moved_percent(params),
        "lb-random-mean" => balancer_random_mean_ms(params),
        "lb-pooled-mean" => balancer_pooled_mean_ms(params),
        "lb-two-choices-mean" => balancer_two_choices_mean_ms(params),
        "lb-bins-max-load" => balancer_bins_max_load(params),
        "retry-amplification" => retry_amplification(params),
        // B's lognormal tail beyond the timeout (see `crate::models::bulkheads`), and Erlang's
        // loss formula for its bulkhead (`erlang_b` below; insensitive to the holding time's
        // distribution: Sevastyanov 1957, Kleinrock 1975 §3.6).
        "timeout-false-percent" => crate::models::bulkheads::false_timeout_percent(params),
        "bulkhead-erlang-b" => crate::models::bulkheads::bulkhead_loss_percent(params),
        "shedding-ideal-goodput" => shedding_ideal_goodput(params),
        _ => None,
    }
}

/// `(keys, s)` of a cache-policy run whose requests are independent Zipf (or uniform: `s` = 0)
/// draws over `keys` keys with count capacity; `None` for other workloads (loops, scans, a
/// trace…) and for sized objects, which the formulas do not describe.
fn cache_zipf(params: &ParamSet) -> Option<(u64, f64)> {
    if params.text("sizes") != "unit" {
        return None;
    }
    let keys = u64::try_from(params.int("keys")).ok().filter(|k| *k >= 1)?;
    match params.text("workload") {
        "zipf" => Some((keys, params.float("zipf_s"))),
        "uniform" => Some((keys, 0.0)),
        _ => None,
    }
}

/// The share (0–1) of independent Zipf(`s`) requests over `keys` keys that go to the most
/// popular `⌊fraction · keys⌋` of them: `H(⌊fK⌋, s) / H(K, s)` (the definition of Zipf
/// popularity, key of rank r asked for in proportion to 1/rˢ; Breslau et al., INFOCOM 1999).
/// For 1,000 keys and `fraction` = 0.2 it is 0.501, 0.646, 0.785 and 0.890 at s = 0.6, 0.8, 1.0
/// and 1.2: "80/20" holds only near s = 1.
pub fn zipf_top_fraction_share(keys: u64, s: f64, fraction: f64) -> f64 {
    let top = (fraction.clamp(0.0, 1.0) * keys as f64).floor() as u64;
    harmonic(top, s) / harmonic(keys, s)
}

/// Names in a comma-separated list parameter (`A@45,B,C` has three).
fn list_len(text: &str) -> u32 {
    text.split(',').filter(|s| !s.trim().is_empty()).count() as u32
}

/// The `shards` parameter, when it is at least one.
fn shards(params: &ParamSet) -> Option<u32> {
    u32::try_from(params.int("shards")).ok().filter(|n| *n >= 1)
}

// ---------------------------------------------------------------------------------------------
// Consistent hashing: load spread over a ring of n servers × k random points, with K keys.
// ---------------------------------------------------------------------------------------------

/// `(servers, points per server, keys)` of a hash-ring run, or `None` under `hash % N`
/// placement (which the ring formulas do not describe). Keys are the generated ones plus the
/// named ones; a server pinned at an angle (`A@45`) is counted like the others.
fn ring_setup(params: &ParamSet) -> Option<(u32, u32, u64)> {
    if params.text("placement") == "modulo" {
        return None;
    }
    let n = list_len(params.text("servers"));
    let k = u32::try_from(params.int("vnodes")).ok()?;
    let keys = params.int("keys").max(0) as u64 + u64::from(list_len(params.text("named_keys")));
    (n >= 1 && k >= 1).then_some((n, k, keys))
}

/// The variance of one server's share of the ring when `n` servers each hash to `k` uniformly
/// random points: `(n − 1) / (n² (nk + 1))`.
///
/// The `nk` points cut the circle into `nk` spacings whose lengths are Dirichlet(1, …, 1)
/// (uniform spacings: David & Nagaraja, *Order Statistics*, 3rd ed., 2003, §6.4); a server owns
/// the `k` spacings that end at its points, so its share is a sum of `k` of them, which is
/// Beta(k, (n − 1)k) by the aggregation property of the Dirichlet. A Beta(a, b) has mean
/// `a/(a+b)` and variance `ab / ((a+b)²(a+b+1))`: here `1/n` and the formula above.
pub fn ring_share_variance(n: u32, k: u32) -> f64 {
    let (n, k) = (f64::from(n), f64::from(k));
    (n - 1.0) / (n * n * (n * k + 1.0))
}

/// The expected *population* variance of the servers' key counts, `E[(1/n) Σ (Lᵢ − K/n)²]`,
/// for `K` keys hashed uniformly onto a ring of `n` servers × `k` random points:
///
/// ```text
/// Var(Lᵢ) = K · (1/n)(1 − 1/n) · (nk + K) / (nk + 1)
/// ```
///
/// Given the shares, a server's count is Binomial(K, Xᵢ); with Xᵢ ~ Beta(k, (n−1)k)
/// ([`ring_share_variance`]) it is Beta-binomial (Johnson, Kemp & Kotz, *Univariate Discrete
/// Distributions*, 3rd ed., 2005, §6.7.2), whose variance is the formula above: the
/// `K²·Var(Xᵢ)` of uneven arcs plus the `K·E[Xᵢ(1 − Xᵢ)]` of key sampling. The counts sum to
/// `K`, so their mean across servers is exactly `K/n` and, the servers being exchangeable, the
/// expected population variance is exactly `Var(Lᵢ)`.
pub fn ring_load_variance(n: u32, k: u32, keys: u64) -> f64 {
    let (n, k, m) = (f64::from(n), f64::from(k), keys as f64);
    m * (1.0 / n) * (1.0 - 1.0 / n) * (n * k + m) / (n * k + 1.0)
}

/// `c₄(n) = √(2/(n−1)) · Γ(n/2) / Γ((n−1)/2)`: the expected standard deviation of `n` normal
/// draws over the root of the expected variance (ASTM E2587; Montgomery, *Introduction to
/// Statistical Quality Control*, 7th ed., §6.2 and Appendix VI). 1 for `n ≤ 1`.
pub fn c4(n: u32) -> f64 {
    if n <= 1 {
        return 1.0;
    }
    let n = f64::from(n);
    libm::sqrt(2.0 / (n - 1.0)) * libm::exp(libm::lgamma(n / 2.0) - libm::lgamma((n - 1.0) / 2.0))
}

/// The expected load standard deviation (population, in keys, as the hash-ring model reports
/// `load_stddev`) for `n` servers × `k` random points and `keys` keys:
/// `c₄(n) · √Var(Lᵢ)` ([`ring_load_variance`], [`c4`]).
///
/// `√E[s²]` is exact; the factor `c₄(n)` turns it into `E[s]` under the standard normal
/// approximation: the deviations `Lᵢ − K/n` sum to zero, so `Σ (Lᵢ − K/n)²` is treated as a
/// multiple of a χ² with `n − 1` degrees of freedom. It is worst with one point per server
/// and no key noise (shares Dirichlet(1, …, 1), far from normal): against 200,000 random rings
/// the true `E[s]` is then 8.5 % above the curve for 2 servers (loads `K·U` and `K·(1 − U)`,
/// `E[s] = K/4`), 3.8 % for 3, 0.9 % for 5 and within 0.5 % for 10 or more; with a few points
/// per server it is within 1 % (`tests/suite/theory.rs`). For `k ≪ K/n` the curve falls as `1/√k`:
/// `≈ c₄ · K·√(n−1) / (n·√(nk))`.
pub fn ring_load_stddev(n: u32, k: u32, keys: u64) -> f64 {
    c4(n) * libm::sqrt(ring_load_variance(n, k, keys))
}

/// The expected max/mean key count (`max_mean_ratio`) for `n` servers × `k` random points and
/// `keys` keys: `E[max of n iid NegBin(k, mean K/n)] / (K/n)`; `None` without keys.
///
/// **Arcs.** The shares are Dirichlet(k, …, k), which is `Gᵢ / ΣG` for independent
/// `Gᵢ ~ Gamma(k)`, and the shares are independent of `ΣG` (Lukacs 1955, "A characterization
/// of the gamma distribution", *Ann. Math. Statist.* 26). So
/// `E[max Gᵢ] = E[max share] · E[ΣG] = E[max share] · nk` exactly: the expected largest share
/// is the expected largest of `n` *independent* Gamma(k) variables over `nk`, with no
/// independence assumption. (With `k = 1` it is the classic largest spacing, `H_n / n`.)
///
/// **Keys.** Given the shares the counts are multinomial. A Poisson(Gᵢ·c) count with
/// `Gᵢ ~ Gamma(k)` is negative binomial NegBin(k, ·), and independent negative binomials
/// conditioned on their sum are exactly the Dirichlet-multinomial the model draws (the
/// Pólya-urn representation: Johnson, Kotz & Balakrishnan, *Discrete Multivariate
/// Distributions*, 1997, §40.8). The formula drops that conditioning — *Poissonization*, the
/// standard device for maxima of bin loads (Gonnet, "Expected length of the longest probe
/// sequence in hash code searching", *JACM* 28, 1981; Raab & Steger, "Balls into bins — a
/// simple and tight analysis", RANDOM 1998) — choosing the mean `K/n` so the expected total is
/// `K`. It is exact as `K → ∞` (the Gamma result above) and for one server, and within about
/// 1 % of a Monte Carlo of random rings in between (`tests/suite/theory.rs`).
///
/// `E[max] = Σ_{j ≥ 0} (1 − F(j)ⁿ)` with `F` the NegBin CDF, summed in log space from the
/// recursion `P(j+1) = P(j) · (j + k)/(j + 1) · p`, `p = μ/(k + μ)`, `P(0) = (k/(k + μ))ᵏ`.
pub fn ring_max_mean(n: u32, k: u32, keys: u64) -> Option<f64> {
    if keys == 0 {
        return None;
    }
    if n <= 1 {
        return Some(1.0);
    }
    let mean = keys as f64 / f64::from(n);
    Some(negbin_expected_max(n, f64::from(k), mean) / mean)
}

/// `E[max of n independent NegBin(r, mean μ)]` = `Σ_{j ≥ 0} (1 − F(j)ⁿ)`: see
/// [`ring_max_mean`]. The sum stops once the terms fall below 10⁻¹⁴ past the mean.
pub fn negbin_expected_max(n: u32, r: f64, mean: f64) -> f64 {
    if mean <= 0.0 {
        return 0.0;
    }
    let nf = f64::from(n.max(1));
    let ln_p = libm::log(mean / (r + mean));
    let mut ln_pmf = r * libm::log(r / (r + mean));
    let mut cdf = 0.0;
    let mut sum = 0.0;
    let mut j = 0.0;
    // A hard stop far in the tail, whatever the rounding of the running CDF.
    let cap = mean + 60.0 * libm::sqrt(mean * (1.0 + mean / r)) + 1_000.0;
    while j <= cap {
        cdf += libm::exp(ln_pmf);
        let term = 1.0 - libm::pow(cdf.min(1.0), nf);
        sum += term;
        if j > mean && term < 1e-14 {
            break;
        }
        ln_pmf += libm::log((j + r) / (j + 1.0)) + ln_p;
        j += 1.0;
    }
    sum
}

// ---------------------------------------------------------------------------------------------
// Moving keys when a shard joins.
// ---------------------------------------------------------------------------------------------

/// The share (0–1) of keys `hash % N` moves when an `(N+1)`-th shard joins: `N / (N + 1)`.
///
/// A key stays only if `h mod N = h mod (N + 1)`. By the Chinese remainder theorem (`N` and
/// `N + 1` are coprime) each of the `N(N+1)` residues of `h mod N(N+1)` is one pair of
/// remainders, and exactly `N` of them have equal remainders (`h mod N(N+1) < N`), so a
/// uniformly spread hash keeps `1/(N+1)` of the keys and moves `N/(N+1)` (Karger et al.,
/// "Consistent hashing and random trees", STOC 1997, §1, make the same point).
pub fn modulo_moved(n: u32) -> f64 {
    let n = f64::from(n);
    n / (n + 1.0)
}

/// The least share (0–1) of keys any balanced placement can move when an `(N+1)`-th shard
/// joins: `1 / (N + 1)`, the newcomer's fair share, and nothing between the old shards.
/// Consistent hashing with random points moves it in expectation (the newcomer's share is
/// Beta(k, Nk), mean `1/(N+1)`: Karger et al. 1997, "monotonicity"); jump consistent hash
/// moves it in expectation for every key set (Lamping & Veach, "A fast, minimal memory,
/// consistent hash algorithm", 2014, §2); so does rendezvous hashing (Thaler & Ravishankar,
/// "Using name-based mappings to increase hit rates", *IEEE/ACM ToN* 6(1), 1998).
pub fn minimal_moved(n: u32) -> f64 {
    1.0 / (f64::from(n) + 1.0)
}

// ---------------------------------------------------------------------------------------------
// Scatter-gather latency.
// ---------------------------------------------------------------------------------------------

/// The `q`-quantile latency of a scatter query (a read by attribute without a global index) in
/// ms: the `q^(1/N)`-quantile of one shard's service time plus the merge, for `N` idle shards.
///
/// A scatter waits for the slowest of `N` answers; with independent service times
/// `P(max ≤ t) = F(t)ᴺ` (David & Nagaraja, *Order Statistics*, §2.1; Dean & Barroso, "The tail
/// at scale", *CACM* 56(2), 2013, on why fan-out makes tails common), so its q-quantile is
/// `F⁻¹(q^(1/N))`. `F` is the model's own service-time mixture — a lognormal body (median
/// `service_ms`, σ `service_sigma`) plus, with chance `slow_percent`, a pause of `slow_ms` — and
/// `F⁻¹` is found by bisection on `F` ([`ServiceDist::quantile`]); the merge `gather_ms` is
/// added when `N > 1`. Queueing is ignored: under load the requests queued behind a pause wait
/// too, so the measured latency is higher. `None` with a global index, where attribute reads
/// do not scatter.
fn scatter_quantile_ms(params: &ParamSet, q: f64) -> Option<f64> {
    if params.text("index") == "global" {
        return None;
    }
    let n = shards(params)?;
    let dist = ServiceDist {
        median_us: params.float("service_ms") * 1_000.0,
        sigma: params.float("service_sigma"),
        slow_p: params.float("slow_percent") / 100.0,
        slow_us: params.int("slow_ms").max(0) as f64 * 1_000.0,
    };
    let gather_us = libm::round(params.float("gather_ms").max(0.0) * 1_000.0) as u64;
    Some(scatter_quantile_us(&dist, q, n, gather_us) / 1_000.0)
}

// ---------------------------------------------------------------------------------------------
// Hot keys: Zipf popularity.
// ---------------------------------------------------------------------------------------------

/// Terms summed directly before [`harmonic`] switches to the Euler–Maclaurin tail.
const HARMONIC_DIRECT: u64 = 1_000;

/// The generalized harmonic number `H(n, s) = Σ_{r=1..n} 1/rˢ` (`s ≥ 0`).
///
/// Up to 1,000 terms are summed directly; beyond, the rest is the Euler–Maclaurin formula
/// (Abramowitz & Stegun 23.1.30) with three Bernoulli terms, which for `r > 1000` leaves an
/// error far below 10⁻¹⁵ of the sum. As `n → ∞` it tends to ζ(s) for `s > 1`, and for `s = 1`
/// grows as `ln n + γ`.
pub fn harmonic(n: u64, s: f64) -> f64 {
    let direct = n.min(HARMONIC_DIRECT);
    let mut sum = 0.0;
    for r in 1..=direct {
        sum += libm::pow(r as f64, -s);
    }
    if n <= HARMONIC_DIRECT {
        return sum;
    }
    // Σ_{r=a+1..b} f(r) = ∫_a^b f + (f(b) − f(a))/2 + Σ B₂ⱼ/(2j)! (f⁽²ʲ⁻¹⁾(b) − f⁽²ʲ⁻¹⁾(a)).
    let (a, b) = (direct as f64, n as f64);
    let f = |x: f64| libm::pow(x, -s);
    let integral = if libm::fabs(s - 1.0) < 1e-12 {
        libm::log(b / a)
    } else {
        (libm::pow(b, 1.0 - s) - libm::pow(a, 1.0 - s)) / (1.0 - s)
    };
    // f'(x) = −s x^(−s−1); f'''(x) = −s(s+1)(s+2) x^(−s−3); f⁽⁵⁾(x) = −s(s+1)…(s+4) x^(−s−5).
    let d1 = |x: f64| -s * libm::pow(x, -s - 1.0);
    let d3 = |x: f64| -s * (s + 1.0) * (s + 2.0) * libm::pow(x, -s - 3.0);
    let d5 = |x: f64| -s * (s + 1.0) * (s + 2.0) * (s + 3.0) * (s + 4.0) * libm::pow(x, -s - 5.0);
    sum + integral + (f(b) - f(a)) / 2.0 + (d1(b) - d1(a)) / 12.0 - (d3(b) - d3(a)) / 720.0
        + (d5(b) - d5(a)) / 30_240.0
}

/// The share (0–1) of requests for the most requested key of a hot-keys run, or `None` when a
/// cache or a split celebrity changes which requests reach a shard.
///
/// Zipf(s) over `K` keys gives rank `r` the share `r⁻ˢ / H(K, s)` ([`harmonic`]; Zipf 1949;
/// Breslau et al., "Web caching and Zipf-like distributions", INFOCOM 1999), with rank 1 the
/// user id 0; `uniform` popularity is `s = 0`. A celebrity takes `c` of the requests on top:
/// its share is `c + (1 − c) · w`, every other key's `(1 − c) · w`.
fn hot_top_key(params: &ParamSet) -> Option<f64> {
    if params.int("cache_size") > 0 || params.int("split") > 1 {
        return None;
    }
    let keys = u64::try_from(params.int("keys")).ok().filter(|k| *k >= 1)?;
    let s = if params.text("popularity") == "zipf" {
        params.float("zipf_s")
    } else {
        0.0
    };
    let c = (params.float("celebrity_share") / 100.0).clamp(0.0, 1.0);
    let celebrity = u64::try_from(params.int("celebrity")).unwrap_or(0);
    let h = harmonic(keys, s);
    let weight = |id: u64| libm::pow((id + 1) as f64, -s) / h;
    let top = (1.0 - c) * weight(0);
    Some(if c > 0.0 && celebrity < keys {
        top.max(c + (1.0 - c) * weight(celebrity))
    } else {
        top
    })
}

// ---------------------------------------------------------------------------------------------
// Caches under the independent reference model.
// ---------------------------------------------------------------------------------------------

/// Bisection stops when the bracket on `t_C` is narrower than this fraction of `t_C` (or after
/// [`CHE_MAX_STEPS`] halvings): a relative error of 10⁻¹², far below any simulation's noise.
pub const CHE_REL_TOLERANCE: f64 = 1e-12;

/// The most halvings [`che_characteristic_time`] makes (the bracket then is 2⁻²⁰⁰ of its start).
pub const CHE_MAX_STEPS: u32 = 200;

/// The expected number of distinct keys requested within time `t`, `Σᵢ (1 − e^{−λᵢ t})`: the
/// left side of Che's equation.
fn che_occupancy(rates: &[f64], t: f64) -> f64 {
    rates.iter().map(|&l| -libm::expm1(-l * t)).sum()
}

/// Che's characteristic time `t_C` of an LRU cache of `capacity` objects whose keys are
/// requested as independent Poisson streams of rates `rates` (the independent reference
/// model): the root of `Σᵢ (1 − e^{−λᵢ t_C}) = C`.
///
/// An object stays in an LRU cache for as long as fewer than `C` other distinct objects are
/// requested; Che, Tung & Wang ("Hierarchical Web caching systems: modeling, design and
/// experimental results", *IEEE JSAC* 20(7), 2002) approximate that time by one constant,
/// `t_C`, the time in which `C` distinct objects are expected to be requested. Fricker, Robert &
/// Roberts ("A versatile and accurate approximation for LRU cache performance", ITC 24, 2012)
/// explain why it is so accurate (the sum of many independent indicators concentrates) and show
/// it holds for small caches too.
///
/// The left side increases from 0 (at `t = 0`) towards the number of keys with a positive rate,
/// so the root exists when `0 < C <` that number and is found by bisection to a relative width
/// of [`CHE_REL_TOLERANCE`]. `None` when no root exists: `C ≤ 0` (nothing is cached), `C` at
/// least the number of requested keys (everything fits), or a rate is negative or not finite.
pub fn che_characteristic_time(rates: &[f64], capacity: f64) -> Option<f64> {
    if rates.iter().any(|l| !l.is_finite() || *l < 0.0) || !capacity.is_finite() {
        return None;
    }
    let active = rates.iter().filter(|l| **l > 0.0).count() as f64;
    if capacity <= 0.0 || capacity >= active {
        return None;
    }
    let max_rate = rates.iter().copied().fold(0.0, f64::max);
    let (mut lo, mut hi) = (0.0, 1.0 / max_rate);
    // Grow the bracket until it holds the root (the occupancy tends to `active` > C).
    while che_occupancy(rates, hi) < capacity {
        lo = hi;
        hi *= 2.0;
        if !hi.is_finite() {
            return None;
        }
    }
    for _ in 0..CHE_MAX_STEPS {
        let mid = 0.5 * (lo + hi);
        if che_occupancy(rates, mid) < capacity {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo <= CHE_REL_TOLERANCE * hi {
            break;
        }
    }
    Some(0.5 * (lo + hi))
}

/// The hit ratio (0–1) of an LRU cache of `capacity` objects under the independent reference
/// model with per-key request rates `rates`, by Che's approximation
/// ([`che_characteristic_time`]): key `i` hits when its previous request was less than `t_C`
/// ago, with probability `1 − e^{−λᵢ t_C}`, so the hit ratio is
/// `Σᵢ λᵢ (1 − e^{−λᵢ t_C}) / Σᵢ λᵢ` (Che, Tung & Wang, *IEEE JSAC* 2002; Fricker, Robert &
/// Roberts, ITC 2012). Rates need only be proportional: popularity shares work.
/// Cold-start misses are not counted (it is the steady state). 0 for `C ≤ 0`, 1 when every
/// requested key fits; `None` for invalid rates or no requests.
pub fn che_lru_hit_ratio(rates: &[f64], capacity: f64) -> Option<f64> {
    if rates.iter().any(|l| !l.is_finite() || *l < 0.0) || capacity.is_nan() {
        return None;
    }
    let total: f64 = rates.iter().sum();
    if total <= 0.0 {
        return None;
    }
    if capacity <= 0.0 {
        return Some(0.0);
    }
    let Some(t) = che_characteristic_time(rates, capacity) else {
        return Some(1.0);
    };
    let hits: f64 = rates.iter().map(|&l| l * -libm::expm1(-l * t)).sum();
    Some(hits / total)
}

/// The hit ratio (0–1) of one key in a non-refreshing TTL cache ([`crate::cache::ttl`]) when it
/// is requested as a Poisson stream of rate `rate` and entries live `ttl` (in the rate's time
/// unit): `λT / (1 + λT)`.
///
/// A miss inserts the key; the requests in the following `T` hit; the first request after
/// expiry misses. The number of hits per miss is the number of Poisson arrivals in `T`, mean
/// `λT`, and the next miss starts a fresh, independent cycle (memorylessness), so by the
/// renewal-reward theorem the hit ratio is `λT / (1 + λT)` (Jung, Berger & Balakrishnan,
/// "Modeling TTL-based Internet caches", INFOCOM 2003, derive hit ratios of TTL caches this
/// way). Compare Che's LRU term `1 − e^{−λ t_C}`, which is the hit probability of a TTL that a
/// hit *refreshes* (a hit iff the previous request was less than `t_C` ago). 0 when `λ` or `T`
/// is not positive.
pub fn ttl_hit_ratio(rate: f64, ttl: f64) -> f64 {
    let x = rate * ttl;
    if x.is_nan() || x <= 0.0 {
        0.0
    } else if x.is_infinite() {
        1.0
    } else {
        x / (1.0 + x)
    }
}

// ---------------------------------------------------------------------------------------------
// Queues: M/M/1 and M/M/c (Erlang B and Erlang C).
// ---------------------------------------------------------------------------------------------

/// Erlang's loss formula `B(c, a)`: the probability that an arrival finds all `c` servers busy
/// in an M/M/c/c system (no waiting room) offered `a = λ/μ` erlangs.
///
/// `B(c, a) = (aᶜ/c!) / Σ_{k=0..c} aᵏ/k!` (Erlang, "Solution of some problems in the theory of
/// probabilities of significance in automatic telephone exchanges", 1917; Kleinrock,
/// *Queueing Systems* vol. 1, 1975, §3.6, eq. 3.46), computed by the standard recursion
/// `B(0) = 1`, `B(k) = a·B(k−1) / (k + a·B(k−1))`, which never forms `aᶜ` or `c!` and so
/// neither overflows nor loses precision for large `c`. `None` for a negative or non-finite
/// `a`.
pub fn erlang_b(c: u32, a: f64) -> Option<f64> {
    if !a.is_finite() || a < 0.0 {
        return None;
    }
    let mut b = 1.0;
    for k in 1..=c {
        b = a * b / (f64::from(k) + a * b);
    }
    Some(b)
}

/// Erlang's delay formula `C(c, a)`: the probability that an arrival must wait in an M/M/c
/// queue (c identical exponential servers behind one unbounded FIFO queue, Poisson arrivals)
/// offered `a = λ/μ` erlangs, for `a < c`.
///
/// `C(c, a) = (aᶜ/c!)·(c/(c − a)) / (Σ_{k<c} aᵏ/k! + (aᶜ/c!)·(c/(c − a)))` (Erlang 1917;
/// Kleinrock 1975, §3.5, eq. 3.40), computed from Erlang B as
/// `C = c·B / (c − a·(1 − B))` (Cooper, *Introduction to Queueing Theory*, 2nd ed., 1981,
/// §3.4). `C(1, a) = a` (M/M/1: an arrival waits iff the server is busy, probability ρ).
/// `None` when `c = 0`, when `a ≥ c` (the queue grows without bound) or `a` is invalid.
pub fn erlang_c(c: u32, a: f64) -> Option<f64> {
    if c == 0 || a >= f64::from(c) {
        return None;
    }
    let b = erlang_b(c, a)?;
    let cf = f64::from(c);
    Some(cf * b / (cf - a * (1.0 - b)))
}

/// The mean wait in the queue (before service starts) of an M/M/c queue with arrival rate
/// `lambda` and per-server service rate `mu` (any one time unit; the answer is in its
/// reciprocal): `W_q = C(c, λ/μ) / (cμ − λ)` ([`erlang_c`]; Kleinrock 1975, eq. 3.43).
/// `None` unless `λ ≥ 0`, `μ > 0` and `λ < cμ`.
pub fn mmc_mean_wait(c: u32, lambda: f64, mu: f64) -> Option<f64> {
    if !mu.is_finite() || mu <= 0.0 || lambda.is_nan() || lambda < 0.0 {
        return None;
    }
    let pw = erlang_c(c, lambda / mu)?;
    Some(pw / (f64::from(c) * mu - lambda))
}

/// The mean time in system (wait plus service) of an M/M/c queue: `W = W_q + 1/μ`
/// ([`mmc_mean_wait`]). For `c = 1` it is M/M/1's `1/(μ − λ)`.
pub fn mmc_mean_sojourn(c: u32, lambda: f64, mu: f64) -> Option<f64> {
    Some(mmc_mean_wait(c, lambda, mu)? + 1.0 / mu)
}

/// The mean time in system of an M/M/1 queue, `W = 1/(μ − λ)` (Kleinrock 1975, eq. 3.26);
/// `None` unless `0 ≤ λ < μ`.
pub fn mm1_mean_sojourn(lambda: f64, mu: f64) -> Option<f64> {
    if lambda.is_nan() || lambda < 0.0 || lambda >= mu || !mu.is_finite() {
        return None;
    }
    Some(1.0 / (mu - lambda))
}

/// `P(T > t)` for the time in system `T` of an M/M/c FCFS queue (arrival rate `lambda`,
/// per-server rate `mu`, `λ < cμ`). The wait is 0 with probability `1 − C` and otherwise
/// exponential with rate `γ = cμ − λ` (Kleinrock 1975, ch. 3: `P(W > t) = C·e^{−γt}`), and the
/// service time is an independent exponential with rate `μ`, so
/// `P(T > t) = (1 − C)·e^{−μt} + C·P(Exp(γ) + Exp(μ) > t)`, where the sum of two independent
/// exponentials has `P(> t) = (γ·e^{−μt} − μ·e^{−γt}) / (γ − μ)`, or `(1 + μt)·e^{−μt}` when
/// `γ = μ`. `None` where [`erlang_c`] is.
pub fn mmc_sojourn_survival(c: u32, lambda: f64, mu: f64, t: f64) -> Option<f64> {
    if !mu.is_finite() || mu <= 0.0 || lambda.is_nan() || lambda < 0.0 || t.is_nan() {
        return None;
    }
    let pw = erlang_c(c, lambda / mu)?;
    let t = t.max(0.0);
    let gamma = f64::from(c) * mu - lambda;
    let sum = if (gamma - mu).abs() <= 1e-12 * mu {
        (1.0 + mu * t) * libm::exp(-mu * t)
    } else {
        (gamma * libm::exp(-mu * t) - mu * libm::exp(-gamma * t)) / (gamma - mu)
    };
    Some((1.0 - pw) * libm::exp(-mu * t) + pw * sum)
}

/// The `q`-quantile (0 < q < 1) of the time in system of an M/M/c FCFS queue: the `t` with
/// `P(T > t) = 1 − q` ([`mmc_sojourn_survival`], which falls strictly in `t`), found by
/// bisection to a relative 1e-12. For `c = 1` it is M/M/1's `ln(1/(1 − q)) / (μ − λ)` (the time
/// in system is then exponential). `None` where the survival is, or for `q` outside (0, 1).
pub fn mmc_sojourn_quantile(c: u32, lambda: f64, mu: f64, q: f64) -> Option<f64> {
    if !(q > 0.0 && q < 1.0) {
        return None;
    }
    let tail = 1.0 - q;
    let above = |t: f64| mmc_sojourn_survival(c, lambda, mu, t).map(|p| p > tail);
    // An upper bracket: double from the mean service time until the tail is below 1 − q.
    let mut hi = 1.0 / mu;
    while above(hi)? {
        hi *= 2.0;
        if !hi.is_finite() {
            return None;
        }
    }
    let mut lo = 0.0;
    while hi - lo > 1e-12 * hi {
        let mid = 0.5 * (lo + hi);
        if above(mid)? {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some(0.5 * (lo + hi))
}

// ---------------------------------------------------------------------------------------------
// Load balancing: reference curves for the load-balancer model's latency percentiles.
// ---------------------------------------------------------------------------------------------

/// `(λ per second, μ per second per worker, servers, workers per server)` of a load-balancer run
/// that queueing theory describes exactly: Poisson arrivals, exponential costs, servers of equal
/// speed with unbounded queues, and no timeouts, retries, health checks or pasted config.
/// `None` otherwise.
fn balancer_queues(params: &ParamSet) -> Option<(f64, f64, u32, u32)> {
    let plain = params.text("arrival") == "poisson"
        && params.text("cost") == "exponential"
        && params.text("speeds").trim().is_empty()
        && params.text("config").trim().is_empty()
        && params.int("queue_limit") < 0
        && params.int("timeout_ms") == 0
        && params.int("retries") == 0;
    if !plain {
        return None;
    }
    let servers = u32::try_from(params.int("servers"))
        .ok()
        .filter(|n| *n >= 1)?;
    let workers = u32::try_from(params.int("workers"))
        .ok()
        .filter(|n| *n >= 1)?;
    let mu = 1_000.0 / params.float("mean_ms");
    let rate = crate::models::balancer::setup::pool_rate(params, servers);
    Some((rate, mu, servers, workers))
}

/// p99 of the time in system, in ms, when each request goes to a server drawn at random: each
/// server then sees Poisson arrivals at `λ/n` (a Poisson stream split at random stays Poisson),
/// so it is an M/M/w queue of its own ([`mmc_sojourn_quantile`]).
fn balancer_random_p99_ms(params: &ParamSet) -> Option<f64> {
    let (lambda, mu, n, w) = balancer_queues(params)?;
    Some(1_000.0 * mmc_sojourn_quantile(w, lambda / f64::from(n), mu, 0.99)?)
}

/// p99 of the time in system, in ms, of one queue in front of every worker of every server
/// (M/M/nw): the pooled reference. A balancer that commits each request to one server's queue on
/// arrival can leave a worker idle while a request waits behind another, which the pooled queue
/// never does; join-the-shortest-queue comes close at moderate load.
fn balancer_pooled_p99_ms(params: &ParamSet) -> Option<f64> {
    let (lambda, mu, n, w) = balancer_queues(params)?;
    Some(1_000.0 * mmc_sojourn_quantile(n.checked_mul(w)?, lambda, mu, 0.99)?)
}

/// The percentage of clients that change server when one of the run's `servers` (n ≥ 2) leaves
/// a pool that picks by hash mod n: `100 · (n − 1)/n`.
///
/// A client keeps its server only if `h mod n` and `h mod (n − 1)` name the same one. For a
/// hash uniform over a range that is a multiple of `n(n − 1)`, the pair `(h mod n, h mod
/// (n − 1))` is uniform over all `n(n − 1)` pairs (the Chinese remainder theorem: n and n − 1
/// are coprime), and the servers left in the list, in order, pair each of the `n − 1` new
/// positions with exactly one old position: `n − 1` of the `n(n − 1)` pairs keep a client, 1/n.
/// nginx's `hash` documentation says "most of the keys" move, and Karger et al. (STOC 1997)
/// make the same point against hashing mod n. nginx's map-based `hash` reduces a 15-bit crc32
/// slice modulo the total weight, close enough to uniform (`tests/suite/balance_hashing.rs`
/// counts it over 100,000 keys); a server's own clients, which must move, are part of the
/// (n − 1)/n.
fn balancer_modulo_moved_percent(params: &ParamSet) -> Option<f64> {
    let n = u32::try_from(params.int("servers"))
        .ok()
        .filter(|n| *n >= 2)?;
    Some(100.0 * f64::from(n - 1) / f64::from(n))
}

/// Mean time in system, in ms, when each request goes to a server drawn at random: n M/M/w
/// queues at `λ/n` each ([`mmc_mean_sojourn`]; M/M/1's `1/(μ − λ/n)` for one worker).
fn balancer_random_mean_ms(params: &ParamSet) -> Option<f64> {
    let (lambda, mu, n, w) = balancer_queues(params)?;
    Some(1_000.0 * mmc_mean_sojourn(w, lambda / f64::from(n), mu)?)
}

/// Mean time in system, in ms, of one queue in front of every worker (M/M/nw).
fn balancer_pooled_mean_ms(params: &ParamSet) -> Option<f64> {
    let (lambda, mu, n, w) = balancer_queues(params)?;
    Some(1_000.0 * mmc_mean_sojourn(n.checked_mul(w)?, lambda, mu)?)
}

/// Mean time in system, in ms, when each request goes to the fewer in flight of `d` servers drawn
/// at random, one worker each, in the limit of many servers: the supermarket model's
/// `T_d(ρ) = Σ_{i≥1} ρ^((dⁱ − d)/(d − 1))` mean service times, ρ = λ/(nμ)
/// ([`crate::balance::bins::supermarket_expected_time`]: Mitzenmacher, IEEE TPDS 12(10), 2001;
/// Vvedenskaya, Dobrushin & Karpelevich, Problems of Information Transmission 32(1), 1996).
/// `d` is the run's `d` parameter; the formula is for one worker per server, so `None` for more.
/// A finite pool is a little slower (about 1.5 % at 100 servers and ρ = 0.9: the tests in
/// `tests/suite/balance_bins.rs`).
fn balancer_two_choices_mean_ms(params: &ParamSet) -> Option<f64> {
    let (lambda, mu, n, w) = balancer_queues(params)?;
    if w != 1 {
        return None;
    }
    let d = u32::try_from(params.int("d")).ok()?;
    let rho = lambda / (f64::from(n) * mu);
    let t = crate::balance::bins::supermarket_expected_time(rho, d).ok()?;
    Some(1_000.0 * t / mu)
}

/// The expected most requests in flight at one server when the run is balls into bins: `m`
/// requests arrive evenly spaced (constant arrivals), each costs the same (constant cost),
/// longer than the whole arrival period, so none is answered before the last arrives; one
/// worker per server; the strategy is `random` (d = 1) or `power-of-d`. `None` for any other
/// setup.
///
/// d = 1: the exact expectation for `m` balls thrown independently and uniformly into `n` bins
/// ([`crate::balance::bins::expected_max_load`], m and n up to 5,000). d ≥ 2: Mitzenmacher's
/// fluid limit sᵢ (the fraction of bins with at least i balls after m = t·n balls,
/// [`crate::balance::bins::fluid_limit_tails`]) with his Poisson heuristic for the maximum
/// ("Studying balanced allocations with differential equations", Combinatorics, Probability
/// and Computing 8, 1999): the number of bins holding at least i is about Poisson(n·sᵢ), so
/// `E[max] ≈ Σ_{i≥1} (1 − e^(−n·sᵢ))`, within 0.5 % of a Monte Carlo at 100 and 200 bins for
/// d = 2 and 3 (`tests/suite/theory.rs`). The model draws its d servers without replacement, the fluid
/// limit with; the difference is O(1/n).
fn balancer_bins_max_load(params: &ParamSet) -> Option<f64> {
    let plain = params.text("arrival") == "constant"
        && params.text("cost") == "constant"
        && params.text("config").trim().is_empty()
        && params.text("speeds").trim().is_empty()
        && params.int("workers") == 1
        && params.int("queue_limit") < 0
        && params.int("timeout_ms") == 0
        && params.int("check_interval_ms") == 0
        && params.int("max_fails") == 0;
    let d = match params.text("strategy") {
        "random" => 1,
        "power-of-d" => u32::try_from(params.int("d")).ok()?,
        _ => return None,
    };
    let n = u32::try_from(params.int("servers"))
        .ok()
        .filter(|n| *n >= 1)?;
    let duration_ms = params.int("duration_s") as f64 * 1_000.0;
    if !plain || params.float("mean_ms") <= duration_ms {
        return None;
    }
    // Evenly spaced arrivals come at round(i · 10⁶ / rate) µs, i = 1, 2, …, before the end.
    let rate = crate::models::balancer::setup::pool_rate(params, n);
    let end_us = duration_ms * 1_000.0;
    let mut m = libm::floor(rate * duration_ms / 1_000.0);
    while m > 0.0 && libm::round(m * 1e6 / rate) >= end_us {
        m -= 1.0;
    }
    if !(0.0..=f64::from(crate::balance::bins::MAX_EXACT)).contains(&m) {
        return None;
    }
    if d == 1 {
        return crate::balance::bins::expected_max_load(m as u32, n).ok();
    }
    let tails = crate::balance::bins::fluid_limit_tails(d, m / f64::from(n), 40).ok()?;
    Some(
        tails
            .iter()
            .skip(1)
            .map(|s| 1.0 - libm::exp(-f64::from(n) * s))
            .sum(),
    )
}

/// Calls per request a failing service receives from retries with no budget: each of `layers`
/// callers makes up to `attempts` attempts on the layer below, and the service fails each call
/// independently with probability `p_fail`, so one layer sends `1 + p + … + p^(attempts−1)`
/// calls per call and the layers multiply (`crate::resilience::backoff::layered_amplification`;
/// Google SRE book, ch. 22 "Addressing Cascading Failures": "the product of the number of
/// attempts at each layer" when the bottom is down). Defined for the retries model's
/// failing-service experiment when its headline lane retries without a budget (or not at all: 1).
fn retry_amplification(params: &ParamSet) -> Option<f64> {
    if params.text("scenario") != "amplification" {
        return None;
    }
    let p = params.float("p_fail");
    let attempts = u32::try_from(params.int("attempts")).ok()?;
    let layers = u32::try_from(params.int("layers")).ok()?;
    match params.text("policies") {
        "all" | "budgets" | "plain" | "retry" => Some(
            crate::resilience::backoff::layered_amplification(p, attempts, layers),
        ),
        "no-retry" => Some(1.0),
        _ => None,
    }
}

/// The most goodput a server can give, as a % of its capacity: everything offered up to capacity,
/// `100 · min(load, 1)` (the "ideal" line of goodput against offered load in D. Yanacek, "Using
/// load shedding to avoid overload", Amazon Builders' Library). Defined for the shedding model's
/// runs without a spike (a spike changes the load during the run).
fn shedding_ideal_goodput(params: &ParamSet) -> Option<f64> {
    if params.float("spike_load") > 0.0 {
        return None;
    }
    let load = params.float("load");
    load.is_finite().then(|| 100.0 * load.clamp(0.0, 1.0))
}
