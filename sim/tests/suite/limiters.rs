//! Rate limiters (issue 14, lesson 1): the algorithms' laws on random arrival sequences (a token
//! bucket never admits more than `burst + rate·T` in any window of length T; GCRA and the leaky
//! meter decide exactly as the token bucket; a sliding window log never exceeds its limit in any
//! window; a fixed window reaches twice its limit and no more), the model on the lesson's
//! presets (every figure the lesson quotes), the gateways' coordination modes against what they
//! claim, determinism, and the declared sweeps.
#![cfg(feature = "resilience")]

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use sim::engine::Simulation;
use sim::registry;
use sim::resilience::limiter::{max_in_window, Algorithm, Budget, Decision, Limiter};
use sim::rng::SimRng;
use sim::time::SimTime;

use crate::common;

const LESSON: &str = "rate-limiters";

fn run_preset(preset: &str) -> Box<dyn Simulation> {
    common::preset_to_end(LESSON, preset, &[])
}

fn m(run: &dyn Simulation, id: &str) -> f64 {
    common::metric(run, id)
}

/// Random nondecreasing arrival times: clumps and gaps mixed, so buckets empty and refill.
fn arrivals(seed: u64, n: usize) -> Vec<u64> {
    let mut r = SimRng::new(seed);
    let mut t = 0;
    (0..n)
        .map(|_| {
            t += match r.below(4) {
                0 => 0,
                1 => r.below(5_000),
                2 => r.below(100_000),
                _ => r.below(1_500_000),
            };
            t
        })
        .collect()
}

fn random_budget(seed: u64) -> Budget {
    let mut r = SimRng::new(seed ^ 0x5eed);
    Budget {
        limit: 1 + r.below(20) as u32,
        window_us: 1_000 * (10 + r.below(2_000)),
        burst: 1 + r.below(20) as u32,
    }
}

/// Times at which `alg` let requests reach the service (arrival + any queue delay), sorted.
fn passed(alg: Algorithm, b: Budget, times: &[u64]) -> Vec<u64> {
    let mut l = Limiter::new(alg, b);
    let mut out: Vec<u64> = times
        .iter()
        .filter_map(|&t| match l.decide(t) {
            Decision::Admit { delay_us } => Some(t + delay_us),
            Decision::Reject { .. } => None,
        })
        .collect();
    out.sort_unstable();
    out
}

/// The most events of sorted `times` in any closed interval of length `t_us`.
fn max_in_closed(times: &[u64], t_us: u64) -> u64 {
    max_in_window(times, t_us + 1)
}

#[test]
fn a_token_bucket_admits_at_most_burst_plus_rate_times_t_in_any_window() {
    for seed in 0..300 {
        let b = random_budget(seed);
        let times = arrivals(seed, 400);
        let tb = passed(Algorithm::TokenBucket, b, &times);
        let mut r = SimRng::new(seed);
        for _ in 0..8 {
            let t_us = r.below(5 * b.window_us);
            // Tokens at the start (≤ burst) plus those refilled during T: floor(T·limit/w).
            let bound = u64::from(b.burst) + t_us * u64::from(b.limit) / b.window_us;
            let got = max_in_closed(&tb, t_us);
            assert!(
                got <= bound,
                "seed {seed}: {got} in {t_us} µs > {bound} ({b:?})"
            );
        }
    }
}

#[test]
fn gcra_and_the_leaky_meter_decide_exactly_as_the_token_bucket() {
    for seed in 0..300 {
        let b = random_budget(seed);
        let times = arrivals(seed, 300);
        let decide = |alg| {
            let mut l = Limiter::new(alg, b);
            times.iter().map(|&t| l.decide(t)).collect::<Vec<_>>()
        };
        let tb = decide(Algorithm::TokenBucket);
        assert_eq!(tb, decide(Algorithm::Gcra), "seed {seed} {b:?}");
        assert_eq!(tb, decide(Algorithm::LeakyMeter), "seed {seed} {b:?}");
    }
}

#[test]
fn a_sliding_window_log_never_exceeds_its_limit_in_any_window() {
    for seed in 0..300 {
        let b = random_budget(seed);
        let times = arrivals(seed, 400);
        let log = passed(Algorithm::SlidingLog, b, &times);
        assert!(
            max_in_window(&log, b.window_us) <= u64::from(b.limit),
            "seed {seed} {b:?}"
        );
    }
}

#[test]
fn a_fixed_window_admits_at_most_twice_its_limit_in_any_window() {
    let mut reached = false;
    for seed in 0..300 {
        let b = random_budget(seed);
        let times = arrivals(seed, 400);
        let fw = passed(Algorithm::FixedWindow, b, &times);
        let peak = max_in_window(&fw, b.window_us);
        assert!(peak <= 2 * u64::from(b.limit), "seed {seed}");
        reached |= peak > u64::from(b.limit);
    }
    assert!(
        reached,
        "some sequence crosses a boundary with a full window on each side"
    );
}

#[test]
fn the_leaky_queue_never_releases_faster_than_its_rate_nor_holds_more_than_burst() {
    for seed in 0..200 {
        let b = random_budget(seed);
        let times = arrivals(seed, 300);
        let out = passed(Algorithm::LeakyQueue, b, &times);
        // Consecutive releases at least one interval (w / limit) apart, to the microsecond.
        for w in out.windows(2) {
            let gap = u128::from(w[1] - w[0]) * u128::from(b.limit);
            assert!(
                gap + u128::from(b.limit) > u128::from(b.window_us),
                "seed {seed}: {w:?}"
            );
        }
        let mut l = Limiter::new(Algorithm::LeakyQueue, b);
        for &t in &times {
            if let Decision::Admit { delay_us } = l.decide(t) {
                // At most `burst` intervals of wait.
                assert!(
                    u128::from(delay_us) * u128::from(b.limit)
                        <= u128::from(b.burst) * u128::from(b.window_us) + u128::from(b.limit),
                    "seed {seed}"
                );
            }
        }
    }
}

#[test]
fn every_limiter_admits_a_stream_under_its_rate() {
    // 8 a second, evenly spaced, against 10 a second: nothing is rejected by any algorithm.
    let b = Budget {
        limit: 10,
        window_us: 1_000_000,
        burst: 10,
    };
    let times: Vec<u64> = (0..200).map(|i| i * 125_000).collect();
    for alg in Algorithm::ALL {
        assert_eq!(passed(alg, b, &times).len(), 200, "{alg:?}");
    }
}

#[test]
fn the_lesson_figures() {
    let p = run_preset("poisson");
    assert_eq!(m(&*p, "offered"), 284.0);
    assert_eq!(m(&*p, "admitted_token_bucket"), 203.0);
    assert_eq!(m(&*p, "admitted_gcra"), 203.0);
    assert_eq!(m(&*p, "admitted_leaky_meter"), 203.0);
    assert_eq!(m(&*p, "admitted_sliding_log"), 175.0);
    assert_eq!(m(&*p, "max_window_token_bucket"), 18.0);
    assert_eq!(m(&*p, "max_window_sliding_log"), 10.0);
    assert_eq!(m(&*p, "max_window_sliding_counter"), 12.0);

    let burst = run_preset("burst");
    assert_eq!(m(&*burst, "admitted_token_bucket"), 102.0);
    assert_eq!(m(&*burst, "admitted_leaky_meter"), 102.0);
    assert!((m(&*burst, "retry_after_mean") - 38.0).abs() < 0.5);
    assert!(
        (m(&*burst, "max_delay") - 1_000.0).abs() < 5.0,
        "about a second"
    );

    let boundary = run_preset("boundary");
    assert_eq!(m(&*boundary, "max_window_fixed_window"), 20.0);
    for id in [
        "sliding_log",
        "sliding_counter",
        "token_bucket",
        "gcra",
        "leaky_meter",
    ] {
        assert_eq!(m(&*boundary, &format!("max_window_{id}")), 10.0, "{id}");
    }

    let heavy = run_preset("heavy-user");
    assert!((m(&*heavy, "light_rejected_percent") - 68.6).abs() < 0.05);
    let per_user = run_preset("per-user");
    assert_eq!(m(&*per_user, "light_rejected_percent"), 0.0);
    assert_eq!(m(&*per_user, "rejected"), 153.0);

    let local = run_preset("gateways-local");
    assert!((m(&*local, "admitted_per_window") - 41.55).abs() < 0.01);
    let racy = run_preset("gateways-racy");
    assert!((m(&*racy, "admitted_per_window") - 23.4).abs() < 0.01);
    assert_eq!(m(&*racy, "lost_updates"), 826.0);
    let atomic = run_preset("gateways-atomic");
    assert!((m(&*atomic, "admitted_per_window") - 10.46).abs() < 0.01);
    assert_eq!(m(&*atomic, "lost_updates"), 0.0);
    let share = run_preset("gateways-share");
    assert_eq!(
        (m(&*share, "offered"), m(&*share, "rejected")),
        (202.0, 57.0)
    );
}

/// Four gateways limiting locally admit about four times the limit while traffic exceeds it; a
/// store updated atomically admits exactly what one limiter does; a read-then-write store with
/// no round trip is as good as atomic.
#[test]
fn coordination_modes_keep_or_break_the_global_limit() {
    let base = common::preset(LESSON, Some("gateways-local"));
    let run = |extra: &[(&str, &str)]| {
        let mut s = base.clone();
        for (k, v) in extra {
            s.params.insert((*k).into(), (*v).into());
        }
        let mut r = registry::start(&s).unwrap();
        r.seek(r.until());
        r.validate().unwrap();
        r
    };
    let one = run(&[("gateways", "1")]);
    let atomic = run(&[("coordination", "shared-atomic")]);
    assert_eq!(m(&*one, "admitted"), m(&*atomic, "admitted"));
    let racy0 = run(&[("coordination", "shared-racy"), ("store_rtt_ms", "0")]);
    assert_eq!(m(&*racy0, "admitted"), m(&*atomic, "admitted"));
    assert_eq!(m(&*racy0, "lost_updates"), 0.0);
    for n in [2, 3, 4] {
        let local = run(&[("gateways", &n.to_string())]);
        let ratio = m(&*local, "admitted") / m(&*one, "admitted");
        assert!(
            (ratio - f64::from(n)).abs() < 0.1 * f64::from(n),
            "{n} gateways: {ratio}"
        );
    }
}

#[test]
fn same_seed_same_run_and_the_seed_matters() {
    let s = common::preset(LESSON, Some("gateways-racy"));
    let digest = |seed: u64| {
        let mut s = s.clone();
        s.seed = seed;
        let mut r = registry::start(&s).unwrap();
        r.seek(SimTime::from_secs(10));
        (r.digest(), m(&*r, "admitted"))
    };
    assert_eq!(digest(3), digest(3));
    assert_ne!(digest(3).0, digest(4).0);
}

#[test]
fn bad_inputs_are_refused_with_a_reason() {
    let mut s = common::preset(LESSON, Some("poisson"));
    s.params.insert("pattern".into(), "bursts".into());
    s.params.insert("burst_on_ms".into(), "5000".into());
    s.params.insert("burst_every_ms".into(), "4000".into());
    let err = registry::start(&s).err().expect("refused");
    assert!(err.to_string().contains("burst_every_ms"), "{err}");

    let mut s = common::preset(LESSON, Some("poisson"));
    s.inputs = common::inputs(&[
        "1000:set-rate:lots",
        "2000:set-rate:1e9",
        "3000:set-rate:40",
    ]);
    let mut r = registry::start(&s).unwrap();
    r.seek(r.until());
    let refused = r.trace_lines().iter().filter(|l| l.rejected).count();
    assert_eq!(refused, 2);
    r.validate().unwrap();
}

/// The gateways sweep: local limits climb with the gateways (about n × 10.5 until the offered
/// 60); an atomic store stays at one limiter's figure; an even split stays at or under it.
#[test]
fn the_gateways_sweep() {
    let csv = common::sweep_csv(LESSON, "gateways");
    let series = |name: &str| common::sweep_medians(&csv, name, "admitted_per_window");
    let (local, atomic, share) = (series("local"), series("shared-atomic"), series("share"));
    assert_eq!((local.len(), atomic.len(), share.len()), (16, 16, 16));
    for n in 1..=5 {
        assert!(
            (local[n - 1] - 10.4 * n as f64).abs() < 0.1 * 10.4 * n as f64,
            "{local:?}"
        );
    }
    assert!(local[15] > 58.0 && local[15] <= 60.5);
    assert!(
        atomic.iter().all(|a| (a - 10.46).abs() < 0.05),
        "{atomic:?}"
    );
    assert!(share.iter().all(|s| *s <= 10.5), "{share:?}");
}
