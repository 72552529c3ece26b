//! The request simulator against queueing theory: M/M/1 and M/M/c (Erlang C), plus the cost
//! distributions' means and the arrival processes' rates.
//!
//! **Tolerances.** A queueing estimate's noise grows steeply with utilisation, so a fixed
//! percentage is either too loose at 50 % or too tight at 90 %. Each queueing check therefore
//! runs `R` independent replications (seeds) and requires the mean of the replications to be
//! within **4 standard errors** (estimated from their spread) **plus 1 %** of theory (the 1 %
//! covers the bias of starting empty, which for these run lengths measured at most 0.6 %),
//! and the standard error itself to be below a stated share of the theory value, so the check
//! has teeth: a simulator off by a few percent fails. Utilisation is checked to ±1.5 % absolute.
//!
//! The default run is a sparse grid (a few seconds in debug); the full grid, c = 1…20 ×
//! ρ = 50, 60, 70, 80, 90 %, is `#[ignore]`d: run it with
//! `cargo test -p sim --release --test suite requests_theory:: -- --ignored`
//! (about 90 s of test time on this 2-core machine, several minutes when it is busy).

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use sim::requests::*;
use sim::rng::SimRng;
use sim::theory::{erlang_b, erlang_c, mm1_mean_sojourn, mmc_mean_sojourn, mmc_mean_wait};
use sim::time::SimTime;

/// Mean cost (1/μ) of every queueing run, microseconds.
const MEAN_US: f64 = 1_000.0;

/// What one M/M/c run measured.
#[derive(Debug)]
struct Measured {
    sojourn_us: f64,
    wait_us: f64,
    p_wait: f64,
    utilisation: f64,
    mean_queue: f64,
}

/// One server with `c` workers, Poisson arrivals at utilisation `rho`, exponential costs of
/// mean 1 ms, about `n` arrivals.
fn mmc(c: u32, rho: f64, n: u64, seed: u64) -> Measured {
    let lambda_per_sec = rho * f64::from(c) * 1e6 / MEAN_US;
    let duration = SimTime::from_us((n as f64 / lambda_per_sec * 1e6) as u64);
    let mut cfg = SimConfig::new(
        vec![ServerSpec::new("S").workers(c)],
        Arrivals::Poisson {
            rate_per_sec: lambda_per_sec,
        },
        CostDist::Exponential { mean_us: MEAN_US },
        duration,
    );
    cfg.max_requests = 50_000_000;
    cfg.max_events = 1_000_000_000;
    let mut sim = Simulation::new(cfg, Box::new(RoundRobin::new()), seed).unwrap();
    let r = sim.run().unwrap();
    let s = &r.servers[0];
    assert_eq!(r.served, r.arrivals, "an unbounded queue serves everything");
    Measured {
        sojourn_us: r.latency.mean_us.unwrap(),
        wait_us: s.mean_wait_us.unwrap(),
        p_wait: s.waited as f64 / s.received as f64,
        utilisation: s.utilisation,
        mean_queue: s.mean_queue,
    }
}

fn theory(c: u32, rho: f64) -> (f64, f64, f64) {
    let mu = 1.0 / MEAN_US;
    let lambda = rho * f64::from(c) * mu;
    (
        mmc_mean_sojourn(c, lambda, mu).unwrap(),
        mmc_mean_wait(c, lambda, mu).unwrap(),
        erlang_c(c, lambda / mu).unwrap(),
    )
}

/// Mean and standard error of `xs`.
fn mean_se(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, (var / n).sqrt())
}

/// Checks one estimate over replications against `want` (see the module docs).
fn check(what: &str, xs: &[f64], want: f64, max_rel_se: f64) {
    let (mean, se) = mean_se(xs);
    assert!(
        se <= max_rel_se * want,
        "{what}: standard error {se:.4} is more than {:.1} % of {want:.4}: run longer",
        max_rel_se * 100.0
    );
    assert!(
        (mean - want).abs() <= 4.0 * se + 0.01 * want,
        "{what}: measured {mean:.4} ± {se:.4} (1 s.e.), theory {want:.4}"
    );
}

/// Runs `reps` replications of M/M/c at `(c, rho)` with `n` arrivals each and checks the
/// mean time in system, the mean wait, the probability of waiting, the time-average queue
/// length and the utilisation.
fn check_mmc(c: u32, rho: f64, n: u64, reps: u64, max_se: (f64, f64)) {
    let (w, wq, pw) = theory(c, rho);
    let runs: Vec<Measured> = (0..reps)
        .map(|r| mmc(c, rho, n, 1_000 * u64::from(c) + r))
        .collect();
    let col = |f: fn(&Measured) -> f64| runs.iter().map(f).collect::<Vec<f64>>();
    let at = format!("M/M/{c} at ρ = {rho}");
    check(&format!("{at}: W"), &col(|m| m.sojourn_us), w, max_se.0);
    check(&format!("{at}: W_q"), &col(|m| m.wait_us), wq, max_se.1);
    check(&format!("{at}: P(wait)"), &col(|m| m.p_wait), pw, max_se.1);
    // Little's law, L_q = λ W_q: the time-weighted queue length against theory.
    let lambda = rho * f64::from(c) / MEAN_US;
    check(
        &format!("{at}: L_q"),
        &col(|m| m.mean_queue),
        lambda * wq,
        max_se.1,
    );
    let (u, _) = mean_se(&col(|m| m.utilisation));
    assert!(
        (u - rho).abs() < 0.015,
        "{at}: utilisation {u}, theory {rho}"
    );
}

#[test]
fn mm1_time_in_system_is_one_over_mu_minus_lambda() {
    // M/M/1 is M/M/c with c = 1: W = 1/(μ − λ), utilisation λ/μ. ρ = 0.5, 0.7, 0.8.
    for (rho, n) in [(0.5, 10_000), (0.7, 20_000), (0.8, 30_000)] {
        let mu = 1.0 / MEAN_US;
        let w = mm1_mean_sojourn(rho * mu, mu).unwrap();
        assert!(
            (w - theory(1, rho).0).abs() < 1e-9 * w,
            "the two formulas agree"
        );
        check_mmc(1, rho, n, 8, (0.04, 0.05));
    }
}

#[test]
fn mmc_matches_erlang_c_on_a_sparse_grid() {
    // Few waiters at high c and low ρ make W_q and P(wait) noisy: their standard error may be
    // up to 12 % of theory there, still tight enough to catch a wrong formula (C(c, a) changes
    // by far more between neighbouring c).
    for (c, rho, n) in [
        (2, 0.8, 20_000),
        (4, 0.7, 10_000),
        (10, 0.8, 15_000),
        (20, 0.9, 20_000),
    ] {
        check_mmc(c, rho, n, 8, (0.03, 0.12));
    }
}

#[test]
#[ignore]
fn mmc_matches_erlang_c_on_the_full_grid() {
    for c in 1..=20 {
        for rho in [0.5, 0.6, 0.7, 0.8, 0.9] {
            check_mmc(c, rho, 150_000, 8, (0.03, 0.12));
        }
    }
}

#[test]
fn erlang_formulas_match_published_tables_and_closed_forms() {
    // Erlang B tables, 1 % grade of service (offered load rounded to 2 decimals in the tables):
    // 5 lines carry 1.36 E, 10 lines 4.46 E, 20 lines 12.03 E.
    for (c, a) in [(5, 1.36), (10, 4.46), (20, 12.03)] {
        let b = erlang_b(c, a).unwrap();
        assert!((b - 0.01).abs() < 0.0002, "B({c}, {a}) = {b}");
    }
    // The textbook call-centre example: 10 E offered to 11 agents waits with chance 0.682.
    assert!((erlang_c(11, 10.0).unwrap() - 0.6821).abs() < 1e-4);
    // Closed forms: C(1, a) = a (M/M/1), C(2, a) = 2ρ²/(1 + ρ) with ρ = a/2.
    for a in [0.1, 0.5, 0.9] {
        assert!((erlang_c(1, a).unwrap() - a).abs() < 1e-12);
        let rho: f64 = a;
        let want = 2.0 * rho * rho / (1.0 + rho);
        assert!((erlang_c(2, 2.0 * a).unwrap() - want).abs() < 1e-12);
    }
    // Against the direct sum Σ aᵏ/k! for every c up to 20 and a few loads.
    for c in 1..=20u32 {
        for rho in [0.3, 0.5, 0.9, 0.99] {
            let a = rho * f64::from(c);
            let mut term = 1.0;
            let mut sum = 0.0;
            for k in 0..c {
                sum += term;
                term *= a / f64::from(k + 1);
            }
            let top = term * f64::from(c) / (f64::from(c) - a);
            let direct = top / (sum + top);
            let got = erlang_c(c, a).unwrap();
            assert!(
                (got - direct).abs() < 1e-12 * direct.max(1e-3),
                "C({c}, {a})"
            );
        }
    }
    // Out of range: no answer rather than a wrong one.
    assert_eq!(erlang_c(3, 3.0), None);
    assert_eq!(erlang_c(0, 0.5), None);
    assert_eq!(erlang_b(3, -1.0), None);
    assert_eq!(mmc_mean_wait(2, 3.0, 1.0), None);
    assert_eq!(mm1_mean_sojourn(1.0, 1.0), None);
}

#[test]
fn cost_distributions_have_their_documented_means() {
    // 200,000 draws; tolerance 4 standard errors of the sample mean, 4·(σ/mean)/√n, with
    // σ/mean from theory: exponential 1; log-normal √(e^σ² − 1) = 1.311; Pareto α = 2.5
    // (cap far out) √(α/(α−2) − (α/(α−1))²)·(α−1)/α = 0.894; Pareto α = 1 capped at 100 x_m:
    // E[min(X,c)²] = x_m² + 2x_m(c − x_m) gives 2.31; the mix: 5.22.
    let n = 200_000u32;
    let cases = [
        (CostDist::Exponential { mean_us: 1_000.0 }, 1.0),
        (
            CostDist::LogNormal {
                median_us: 1_000.0,
                sigma: 1.0,
            },
            1.311,
        ),
        (
            CostDist::Pareto {
                min_us: 100.0,
                alpha: 2.5,
                cap_us: 100_000.0,
            },
            0.894,
        ),
        (
            CostDist::Pareto {
                min_us: 100.0,
                alpha: 1.0,
                cap_us: 10_000.0,
            },
            2.31,
        ),
        (
            CostDist::Mix {
                cheap: Box::new(CostDist::Constant { us: 100 }),
                expensive: Box::new(CostDist::Exponential { mean_us: 10_000.0 }),
                expensive_share: 0.05,
            },
            5.22,
        ),
    ];
    for (i, (d, rel_sd)) in cases.iter().enumerate() {
        let tol = 4.0 * rel_sd / f64::from(n).sqrt();
        d.validate().unwrap();
        let mut rng = SimRng::new(50 + i as u64);
        let sum: u64 = (0..n).map(|_| d.draw(&mut rng)).sum();
        let mean = sum as f64 / f64::from(n);
        let want = d.mean_us();
        assert!(
            (mean / want - 1.0).abs() < tol,
            "{d:?}: sample mean {mean}, formula {want}"
        );
    }
    // Hand-computed means: the log-normal's e^(σ²/2) factor, the capped Pareto's integral
    // (α = 2: x_m + x_m² (1/x_m − 1/cap) = 100 + 10⁴ (0.01 − 0.001) = 190).
    let ln = CostDist::LogNormal {
        median_us: 1_000.0,
        sigma: 1.0,
    };
    assert!((ln.mean_us() - 1_648.721_270_7).abs() < 1e-6);
    let p = CostDist::Pareto {
        min_us: 100.0,
        alpha: 2.0,
        cap_us: 1_000.0,
    };
    assert!((p.mean_us() - 190.0).abs() < 1e-9);
    // The log-normal's median is its parameter: half the draws fall below it.
    let mut rng = SimRng::new(9);
    let below = (0..n).filter(|_| ln.draw(&mut rng) < 1_000).count() as f64 / f64::from(n);
    assert!((below - 0.5).abs() < 0.005, "{below}");
}

/// Counts arrivals in `[0, until)`.
fn count(a: Arrivals, until: SimTime, seed: u64) -> Vec<SimTime> {
    a.validate().unwrap();
    let mut s = ArrivalStream::new(a, SimRng::new(seed));
    std::iter::from_fn(|| s.next_arrival())
        .take_while(|t| *t < until)
        .collect()
}

#[test]
fn arrival_processes_have_their_rates() {
    // Poisson, 1,000/s for 200 s: 200,000 expected, s.d. √200,000 ≈ 447; tolerance 4 s.d.
    let p = count(
        Arrivals::Poisson {
            rate_per_sec: 1_000.0,
        },
        SimTime::from_secs(200),
        1,
    );
    assert!((p.len() as f64 - 200_000.0).abs() < 1_800.0, "{}", p.len());
    // Its gaps are exponential: the share above the mean is e^−1 = 0.3679 (±0.005, 4 s.d.).
    let above = p.windows(2).filter(|w| w[1].since(w[0]) > 1_000).count() as f64;
    assert!((above / (p.len() - 1) as f64 - (-1f64).exp()).abs() < 0.005);

    // Bursts: 10 ms at 20,000/s then 90 ms silent, for 100 s → 200 per cycle, 200,000 total;
    // none while off.
    let b = Arrivals::Bursts {
        on_rate_per_sec: 20_000.0,
        on_us: 10_000,
        off_rate_per_sec: 0.0,
        off_us: 90_000,
    };
    let bt = count(b, SimTime::from_secs(100), 2);
    assert!(
        (bt.len() as f64 - 200_000.0).abs() < 1_800.0,
        "{}",
        bt.len()
    );
    assert!(bt.iter().all(|t| t.as_us() % 100_000 <= 10_000));

    // Daily curve, mean 1,000/s, amplitude 0.8, period 100 s, peak at 25 s, over 4 periods:
    // 400,000 expected (the cosine integrates to zero over whole periods); and the quarter
    // around the peak gets (1/4 + 0.8·sin(π/4)/(π/2)·(1/4)·…) — checked directly: the mean
    // of 1 + 0.8 cos over [−T/8, T/8] is 1 + 0.8 · sin(π/4)/(π/4) = 1.7203.
    let d = Arrivals::Daily {
        mean_rate_per_sec: 1_000.0,
        amplitude: 0.8,
        period_us: 100_000_000,
        peak_at_us: 25_000_000,
    };
    let dt = count(d, SimTime::from_secs(400), 3);
    assert!(
        (dt.len() as f64 - 400_000.0).abs() < 2_600.0,
        "{}",
        dt.len()
    );
    let near_peak = dt
        .iter()
        .filter(|t| {
            let phase = (t.as_us() + 100_000_000 - 25_000_000) % 100_000_000;
            !(12_500_000..87_500_000).contains(&phase)
        })
        .count() as f64;
    let want = 4.0
        * 25.0
        * 1_000.0
        * (1.0 + 0.8 * (std::f64::consts::FRAC_PI_4).sin() / std::f64::consts::FRAC_PI_4);
    assert!(
        (near_peak - want).abs() < 4.0 * want.sqrt(),
        "{near_peak} vs {want}"
    );

    // Constant rate: exactly rate × time.
    let c = count(
        Arrivals::Constant {
            rate_per_sec: 250.0,
        },
        SimTime::from_secs(10),
        4,
    );
    assert_eq!(
        c.len(),
        2_499,
        "the 2,500th lands exactly at 10 s, outside [0, 10 s)"
    );
    assert!(c.windows(2).all(|w| w[1].since(w[0]) == 4_000));
}
