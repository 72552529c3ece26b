//! The retries model (issue 14, lesson 3): the lesson's figures (every number a step quotes), the
//! replay against the algorithm it replays, Brooker's ranking and ratios over many seeds (the
//! declared N = 1…100 sweep included), retry amplification against the geometric sum and its
//! product across layers (Monte Carlo through the model, within a few standard errors), retry
//! budgets capping the load, a wave of clients that leaves the past alone, determinism, and
//! bad input refused with a reason.
#![cfg(feature = "resilience")]

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use sim::engine::Simulation;
use sim::registry;
use sim::resilience::backoff::{
    amplification, layered_amplification, run_contention, ContentionConfig, Strategy,
};
use sim::time::SimTime;

use crate::common;

const LESSON: &str = "retries-and-backoff";

fn run_preset(preset: &str) -> Box<dyn Simulation> {
    let s = common::preset(LESSON, Some(preset));
    let mut run = registry::start(&s).unwrap_or_else(|e| panic!("{preset}: {e}"));
    run.seek(run.until());
    run.validate().unwrap();
    common::assert_all_accepted(&*run);
    run
}

fn m(run: &dyn Simulation, id: &str) -> f64 {
    common::metric(run, id)
}

/// The retries model with `params` on its defaults, seed `seed`, run to its end (120 s).
fn run_model(seed: u64, params: &[(&str, &str)], timed: &[&str]) -> Box<dyn Simulation> {
    let s = common::scenario("retries", seed, SimTime::from_secs(120), params, timed);
    common::start_at(&s, s.until)
}

fn close(what: &str, got: f64, want: f64, tol: f64) {
    assert!(
        (got - want).abs() <= tol,
        "{what}: got {got}, want {want} ± {tol}"
    );
}

/// Every figure the steps and questions quote (seed 1), so prose and model cannot drift apart.
#[test]
fn the_lesson_figures() {
    let c = run_preset("classic");
    let calls: Vec<f64> = [
        "none",
        "exponential",
        "full_jitter",
        "equal_jitter",
        "decorrelated",
    ]
    .iter()
    .map(|s| m(&*c, &format!("calls_{s}")))
    .collect();
    assert_eq!(calls, [169.0, 140.0, 100.0, 106.0, 104.0]);
    close(
        "no backoff's time",
        m(&*c, "completion_ms_none"),
        659.4,
        0.1,
    );
    close(
        "full jitter's time",
        m(&*c, "completion_ms_full_jitter"),
        957.5,
        0.1,
    );
    close(
        "decorrelated's time",
        m(&*c, "completion_ms_decorrelated"),
        698.1,
        0.1,
    );
    close(
        "equal jitter's time",
        m(&*c, "completion_ms_equal_jitter"),
        1_349.2,
        0.1,
    );
    close(
        "exponential's time",
        m(&*c, "completion_ms_exponential"),
        11_087.1,
        0.1,
    );
    close("time ratio", m(&*c, "time_ratio_exp_vs_full"), 11.58, 0.01);
    close(
        "calls ratio",
        m(&*c, "calls_ratio_exp_vs_full"),
        1.40,
        0.001,
    );

    // The subsets replay the same runs: a lane does not depend on the others shown.
    let e = run_preset("exp-vs-full");
    assert_eq!(m(&*e, "calls_exponential"), 140.0);
    assert_eq!(m(&*e, "calls_full_jitter"), 100.0);
    let j = run_preset("jitter");
    assert_eq!(m(&*j, "calls_decorrelated"), 104.0);

    let big = run_preset("classic-100");
    assert_eq!(m(&*big, "calls_none"), 2_367.0);
    assert_eq!(m(&*big, "calls_exponential"), 1_957.0);
    assert_eq!(m(&*big, "calls_full_jitter"), 794.0);
    close(
        "24 writes per update",
        m(&*big, "downstream_load"),
        23.67,
        0.005,
    );
    close(
        "no backoff at 100",
        m(&*big, "completion_ms_none"),
        2_043.0,
        0.1,
    );
    close(
        "full jitter at 100",
        m(&*big, "completion_ms_full_jitter"),
        4_582.8,
        0.1,
    );
    close(
        "exponential at 100",
        m(&*big, "completion_ms_exponential"),
        68_204.8,
        0.1,
    );
    close(
        "2.5 times the writes",
        m(&*big, "calls_ratio_exp_vs_full"),
        2.465,
        0.001,
    );

    let sch = run_preset("schedules");
    assert_eq!(m(&*sch, "calls_linear"), 140.0);
    close(
        "linear's time",
        m(&*sch, "completion_ms_linear"),
        987.1,
        0.1,
    );

    let flaky = run_preset("flaky");
    close("flaky load", m(&*flaky, "downstream_load"), 1.775, 1e-9);
    assert_eq!(m(&*flaky, "amplification_theory"), 1.75);
    assert_eq!(m(&*flaky, "success_percent"), 90.0);
    assert_eq!(m(&*flaky, "success_no_retry"), 52.5);

    let storm = run_preset("storm");
    assert_eq!(m(&*storm, "downstream_load"), 64.0);
    assert_eq!(m(&*storm, "service_calls"), 12_800.0);

    let budget = run_preset("storm-budget");
    assert_eq!(m(&*budget, "load_retry"), 64.0);
    close("gRPC throttle", m(&*budget, "load_grpc"), 1.055, 1e-9);
    close("Finagle budget", m(&*budget, "load_finagle"), 3.545, 1e-9);

    let outage = run_preset("outage");
    assert_eq!(m(&*outage, "success_retry"), 76.0);
    assert_eq!(m(&*outage, "success_grpc"), 66.0);
    close(
        "retries in the outage",
        m(&*outage, "load_retry"),
        18.09,
        1e-9,
    );
    close("gRPC in the outage", m(&*outage, "load_grpc"), 1.085, 1e-9);
}

/// The model replays `run_contention` exactly: its totals at the end are the algorithm's, for
/// every strategy, several sizes and seeds, with the classic setting (the lesson's defaults).
#[test]
fn the_replay_ends_where_the_algorithm_does() {
    for (n, seed) in [(1u32, 3u64), (7, 4), (20, 5), (60, 6)] {
        let run = run_model(
            seed,
            &[("clients", &n.to_string()), ("strategies", "all")],
            &[],
        );
        for s in Strategy::CLASSIC {
            let out = run_contention(&ContentionConfig::classic(n, s, seed)).unwrap();
            let key = s.id().replace('-', "_");
            assert_eq!(
                m(&*run, &format!("calls_{key}")),
                out.calls as f64,
                "{s} N={n}"
            );
            assert_eq!(
                m(&*run, &format!("completion_ms_{key}")),
                out.completion_us as f64 / 1e3,
                "{s} N={n}"
            );
            assert_eq!(m(&*run, &format!("done_{key}")), f64::from(n));
        }
    }
}

/// Halfway through, a lane shows only what has happened: fewer writes than at the end, no
/// completion time until every client is done.
#[test]
fn metrics_follow_the_clock() {
    let s = common::preset(LESSON, Some("exp-vs-full"));
    let mut run = registry::start(&s).unwrap();
    run.seek(SimTime::from_secs(2));
    run.validate().unwrap();
    assert!(m(&*run, "calls_exponential") < 140.0);
    assert_eq!(common::metric_opt(&*run, "completion_ms_exponential"), None);
    assert_eq!(common::metric_opt(&*run, "time_ratio_exp_vs_full"), None);
    assert_eq!(
        m(&*run, "done_full_jitter"),
        20.0,
        "full jitter is done by 1 s"
    );
    let lanes = match run.frame() {
        sim::registry::Frame::Lanes(f) => f,
        other => panic!("a lanes frame, not {other:?}"),
    };
    assert_eq!(lanes.lanes.len(), 2);
    assert_eq!(lanes.lanes[1].gauge, "20 of 20 done");
    assert!(lanes.lanes[0].fill < 1.0);
}

/// Brooker's published result, through the model, over 20 seeds per point: exponential backoff
/// without jitter makes more writes than full jitter, more so as clients grow (× ≥ 1.15 at 10,
/// ≥ 1.6 at 50, ≥ 2 at 100), and takes far longer (≥ 4× at 10, ≥ 8× from 50); no backoff makes
/// the most writes from 50 clients on. (`sim/tests/suite/backoff.rs` holds the algorithm to the
/// Python simulator's own means.)
#[test]
fn exponential_without_jitter_loses_in_calls_and_time_over_many_seeds() {
    for (n, calls_min, time_min) in [(10u32, 1.15, 4.0), (50, 1.6, 8.0), (100, 2.0, 8.0)] {
        let (mut calls, mut time) = ([0.0f64; 3], [0.0f64; 3]);
        for seed in 0..20 {
            let run = run_model(seed, &[("clients", &n.to_string())], &[]);
            for (k, id) in ["none", "exponential", "full_jitter"].iter().enumerate() {
                calls[k] += m(&*run, &format!("calls_{id}"));
                time[k] += m(&*run, &format!("completion_ms_{id}"));
            }
        }
        let (cr, tr) = (calls[1] / calls[2], time[1] / time[2]);
        println!("N = {n}: exponential ÷ full jitter over 20 seeds: calls ×{cr:.2}, time ×{tr:.1}");
        assert!(cr >= calls_min, "N = {n}: calls ×{cr:.2}");
        assert!(tr >= time_min, "N = {n}: time ×{tr:.1}");
        if n >= 50 {
            assert!(
                calls[0] > calls[1],
                "N = {n}: no backoff makes the most writes"
            );
        }
    }
}

/// The declared N sweep, as the page and `sdp sweep` compute it: from 10 clients on,
/// exponential's median writes and time are above full jitter's, the gap in writes growing to
/// at least 2× at 100 clients and in time at least 8×; with one client every strategy makes one
/// write.
#[test]
fn the_clients_sweep() {
    let csv = common::sweep_csv(LESSON, "clients");
    let series = |s: &str, metric: &str| common::sweep_medians(&csv, s, metric);
    let (exp_calls, full_calls) = (
        series("exponential", "calls"),
        series("full-jitter", "calls"),
    );
    let (exp_time, full_time) = (
        series("exponential", "completion_ms"),
        series("full-jitter", "completion_ms"),
    );
    let none_calls = series("none", "calls");
    assert_eq!(exp_calls.len(), 12);
    for s in [
        "none",
        "exponential",
        "full-jitter",
        "equal-jitter",
        "decorrelated",
    ] {
        assert_eq!(series(s, "calls")[0], 1.0, "{s}: one client, one write");
    }
    for i in 1..12 {
        assert!(
            exp_calls[i] > full_calls[i],
            "point {i}: {exp_calls:?} {full_calls:?}"
        );
        assert!(exp_time[i] > 4.0 * full_time[i], "point {i}");
    }
    assert!(exp_calls[11] >= 2.0 * full_calls[11]);
    assert!(exp_time[11] >= 8.0 * full_time[11]);
    assert!(none_calls[11] > exp_calls[11]);
}

/// The standard deviation of the attempts one request makes with up to `n` attempts failing
/// independently with probability `p`: K ≥ k with probability p^(k−1), so
/// E[K²] = Σ_{k=1..n} (2k − 1) p^(k−1).
fn attempts_sd(p: f64, n: u32) -> f64 {
    let mean = amplification(p, n);
    let second: f64 = (1..=n)
        .map(|k| f64::from(2 * k - 1) * p.powi(k as i32 - 1))
        .sum();
    (second - mean * mean).max(0.0).sqrt()
}

/// Monte Carlo through the model (2,000 requests per run): calls per request within 5 standard
/// errors of 1 + p + … + p^(n−1), and the share succeeded within 5 standard errors of 1 − pⁿ.
#[test]
fn amplification_matches_the_geometric_sum() {
    for &p in &[0.1, 0.3, 0.5, 0.7, 0.9] {
        for &n in &[2u32, 3, 5] {
            let run = run_model(
                11,
                &[
                    ("scenario", "amplification"),
                    ("policies", "plain"),
                    ("p_fail", &p.to_string()),
                    ("attempts", &n.to_string()),
                    ("requests", "2000"),
                    ("rate", "200"),
                ],
                &[],
            );
            let want = amplification(p, n);
            assert_eq!(m(&*run, "amplification_theory"), want);
            let se = attempts_sd(p, n) / 2_000f64.sqrt();
            close(
                &format!("p = {p}, {n} attempts: calls per request"),
                m(&*run, "downstream_load"),
                want,
                5.0 * se + 1e-9,
            );
            let ok = 1.0 - p.powi(n as i32);
            let se_ok = (ok * (1.0 - ok) / 2_000.0).sqrt();
            close(
                &format!("p = {p}, {n} attempts: success"),
                m(&*run, "success_percent") / 100.0,
                ok,
                5.0 * se_ok + 1e-9,
            );
            assert_eq!(m(&*run, "load_no_retry"), 1.0);
        }
    }
}

/// Retries at every layer multiply: within 3 % of the product formula, and exactly
/// attempts^layers on a dead service (the SRE book's 4 × 4 × 4 = 64; 3⁵ = 243).
#[test]
fn layered_amplification_matches_the_product() {
    for &(p, n, layers) in &[(0.5, 3u32, 2u32), (0.8, 3, 3), (0.9, 2, 4), (0.6, 4, 2)] {
        let run = run_model(
            12,
            &[
                ("scenario", "amplification"),
                ("policies", "retry"),
                ("p_fail", &p.to_string()),
                ("attempts", &n.to_string()),
                ("layers", &layers.to_string()),
                ("requests", "2000"),
                ("rate", "100"),
            ],
            &[],
        );
        let want = layered_amplification(p, n, layers);
        let got = m(&*run, "downstream_load");
        assert!(
            (got / want - 1.0).abs() < 0.03,
            "p = {p}, {n} attempts, {layers} layers: {got} vs {want}"
        );
    }
    for &(n, layers, want) in &[(4u32, 3u32, 64.0), (3, 5, 243.0)] {
        let run = run_model(
            13,
            &[
                ("scenario", "amplification"),
                ("policies", "retry"),
                ("p_fail", "1"),
                ("attempts", &n.to_string()),
                ("layers", &layers.to_string()),
                ("requests", "100"),
            ],
            &[],
        );
        assert_eq!(m(&*run, "downstream_load"), want);
        assert_eq!(m(&*run, "amplification_theory"), want);
    }
}

/// A retry budget caps the storm on a dead service: gRPC's throttle stops retrying after a few
/// failures (about one call per request, 64 without it), Finagle's budget lets its share through
/// and no more; on a healthy service neither refuses anything a retry would have needed.
#[test]
fn retry_budgets_cap_the_load() {
    let dead = run_preset("storm-budget");
    assert!(m(&*dead, "load_grpc") < 1.1);
    assert!(m(&*dead, "load_finagle") < 64.0 / 10.0);
    assert_eq!(m(&*dead, "load_no_retry"), 1.0);
    let healthy = run_model(
        14,
        &[
            ("scenario", "amplification"),
            ("p_fail", "0"),
            ("layers", "3"),
        ],
        &[],
    );
    for id in ["retry", "grpc", "finagle", "no_retry"] {
        assert_eq!(m(&*healthy, &format!("load_{id}")), 1.0, "{id}");
        assert_eq!(m(&*healthy, &format!("success_{id}")), 100.0, "{id}");
    }
}

/// Twenty clients joining at 2 s leave every lane's first 2 s untouched (the same writes at the
/// same moments), then finish with 40 done in every lane.
#[test]
fn a_wave_of_clients_leaves_the_past_alone() {
    let s = common::preset(LESSON, Some("classic"));
    let mut with = s.clone();
    with.inputs = common::inputs(&["2000:add-clients:20"]);
    let before = |sc: &sim::scenario::Scenario| {
        let mut r = registry::start(sc).unwrap();
        r.seek(SimTime::from_ms(1_999));
        r.validate().unwrap();
        (r.metrics(), r.digest())
    };
    assert_eq!(before(&s), before(&with));
    let mut r = registry::start(&with).unwrap();
    r.seek(r.until());
    r.validate().unwrap();
    common::assert_all_accepted(&*r);
    assert_eq!(m(&*r, "clients"), 40.0);
    for id in [
        "none",
        "exponential",
        "full_jitter",
        "equal_jitter",
        "decorrelated",
    ] {
        assert_eq!(m(&*r, &format!("done_{id}")), 40.0, "{id}");
    }
    assert!(m(&*r, "calls_full_jitter") > 100.0);
}

#[test]
fn same_seed_same_run_and_the_seed_matters() {
    for preset in ["classic", "outage"] {
        let s = common::preset(LESSON, Some(preset));
        let digest = |seed: u64| {
            let mut s = s.clone();
            s.seed = seed;
            let mut r = registry::start(&s).unwrap();
            r.seek(SimTime::from_secs(8));
            r.digest()
        };
        assert_eq!(digest(3), digest(3), "{preset}");
        assert_ne!(digest(3), digest(4), "{preset}");
    }
}

#[test]
fn bad_inputs_are_refused_with_a_reason() {
    let build = |params: &[(&str, &str)]| {
        let s = common::scenario(
            "retries",
            1,
            SimTime::from_secs(10),
            params,
            common::NO_INPUTS,
        );
        registry::start(&s).err().map(|e| e.to_string())
    };
    let e = build(&[("base_ms", "50"), ("cap_ms", "20")]).expect("cap below base");
    assert!(e.contains("cap_ms"), "{e}");
    let e = build(&[
        ("scenario", "amplification"),
        ("attempts", "10"),
        ("layers", "5"),
    ])
    .expect("a storm too large to simulate");
    assert!(e.contains("requests"), "{e}");
    assert!(build(&[("clients", "201")]).is_some());
    assert!(build(&[("clients", "0")]).is_some());
    assert!(build(&[("strategies", "jitter-ish")]).is_some());
    assert!(build(&[("p_fail", "1.5")]).is_some());
    assert!(build(&[("p_fail", "NaN")]).is_some());
    // The largest allowed setups build and run.
    assert!(build(&[("clients", "200"), ("strategies", "exponential")]).is_none());
    assert!(build(&[
        ("scenario", "amplification"),
        ("attempts", "10"),
        ("layers", "3"),
        ("requests", "200")
    ])
    .is_none());

    let s = common::scenario(
        "retries",
        1,
        SimTime::from_secs(5),
        &[("clients", "150")],
        &[
            "100:set-p:1",
            "200:add-clients:lots",
            "300:add-clients:51",
            "400:add-clients:50",
            "500:add-clients:1",
            "600:explode",
        ],
    );
    let mut r = registry::start(&s).unwrap();
    r.seek(r.until());
    r.validate().unwrap();
    let refused: Vec<String> = r
        .trace_lines()
        .into_iter()
        .filter(|l| l.rejected)
        .map(|l| l.text)
        .collect();
    assert_eq!(refused.len(), 5, "{refused:?}");
    assert_eq!(m(&*r, "clients"), 200.0);

    let s = common::scenario(
        "retries",
        1,
        SimTime::from_secs(5),
        &[("scenario", "amplification")],
        &[
            "100:set-p:2",
            "200:set-p:x",
            "300:add-clients:5",
            "400:set-p:0",
        ],
    );
    let mut r = registry::start(&s).unwrap();
    r.seek(r.until());
    r.validate().unwrap();
    assert_eq!(r.trace_lines().iter().filter(|l| l.rejected).count(), 3);
}

/// The declared amplification sweep against its theory curve: at each failure probability the
/// median calls per request over ten runs of 200 requests lies within 5 standard errors of one
/// run's mean (a median of ten is closer still) of 1 + p + p², and exactly on it at p = 0 and 1.
#[test]
fn the_amplification_sweep_follows_its_theory() {
    let csv = common::sweep_csv(LESSON, "amplification");
    // No variants: the lesson's own run is the one series.
    let medians = common::sweep_medians(&csv, "lesson", "downstream_load");
    assert_eq!(medians.len(), 11);
    for (i, got) in medians.iter().enumerate() {
        let p = i as f64 / 10.0;
        let want = amplification(p, 3);
        let tol = 5.0 * attempts_sd(p, 3) / 200f64.sqrt() + 1e-9;
        close(&format!("p = {p}"), *got, want, tol);
    }
    assert_eq!((medians[0], medians[10]), (1.0, 3.0));
}
