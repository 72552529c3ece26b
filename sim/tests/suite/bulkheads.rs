//! The bulkheads model (issue 14, lesson 4, timeouts and bulkheads): every figure the lesson
//! quotes, hand-calculated answers (Little's law with a constant latency; a timeout below or
//! above every latency), the theory it reports against Monte Carlo runs (the false-timeout
//! rate, Erlang's loss formula), lanes that do not disturb one another, the pools' laws on random
//! settings, the actions and bad input, determinism, and the declared sweeps.
#![cfg(feature = "resilience")]

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use sim::engine::Simulation;
use sim::registry;
use sim::rng::SimRng;
use sim::time::SimTime;

use crate::common;

const LESSON: &str = "timeouts-and-bulkheads";
const MODEL: &str = "bulkheads";

fn run_preset(preset: &str, extra: &[(&str, &str)]) -> Box<dyn Simulation> {
    common::preset_to_end(LESSON, preset, extra)
}

fn m(run: &dyn Simulation, id: &str) -> f64 {
    common::metric(run, id)
}

fn near(what: &str, got: f64, want: f64, tol: f64) {
    assert!(
        (got - want).abs() <= tol,
        "{what}: got {got}, want {want} ± {tol}"
    );
}

/// The model run to `secs` with these parameters and inputs, invariants checked.
fn run(params: &[(&str, &str)], inputs: &[&str], secs: u64, seed: u64) -> Box<dyn Simulation> {
    let s = common::scenario(MODEL, seed, SimTime::from_secs(secs), params, inputs);
    let mut r = registry::start(&s).unwrap_or_else(|e| panic!("{params:?}: {e}"));
    r.seek(r.until());
    r.validate().unwrap();
    r
}

/// Every number the lesson's steps and questions quote, at the lesson's seed.
#[test]
fn the_lesson_figures() {
    let r = run_preset("slow-b", &[]);
    near(
        "A answered, shared",
        m(&*r, "a_ok_percent_shared"),
        79.81,
        0.01,
    );
    assert_eq!(m(&*r, "a_ok_percent_bulkhead"), 100.0);
    assert_eq!(m(&*r, "max_busy_b_shared"), 20.0);
    assert_eq!(
        (m(&*r, "failed_shared"), m(&*r, "failed_bulkhead")),
        (901.0, 180.0)
    );

    let r = run_preset("hang", &[]);
    near(
        "A answered, shared",
        m(&*r, "a_ok_percent_shared"),
        55.31,
        0.01,
    );
    assert_eq!(m(&*r, "a_ok_percent_bulkhead"), 100.0);
    assert_eq!(m(&*r, "rejected_bulkhead"), 198.0);
    near(
        "B's p99 behind the bulkhead",
        m(&*r, "p99_b_ms_bulkhead"),
        19_555.5,
        0.5,
    );

    let r = run_preset("timeout", &[]);
    near(
        "B's threads in the hang",
        m(&*r, "threads_b_outage"),
        2.52,
        0.005,
    );
    assert_eq!(m(&*r, "threads_b_outage_theory"), 2.5);
    assert_eq!(m(&*r, "a_ok_percent_shared_timeout"), 100.0);
    near(
        "work for nobody, s",
        m(&*r, "wasted_work_ms") / 1e3,
        1_950.4,
        0.1,
    );

    let r = run_preset("long-timeout", &[]);
    near(
        "A, shared + timeout",
        m(&*r, "a_ok_percent_shared_timeout"),
        78.65,
        0.01,
    );
    assert_eq!(m(&*r, "a_ok_percent_bulkhead_timeout"), 100.0);
    assert_eq!(m(&*r, "max_busy_b_shared_timeout"), 20.0);
    assert_eq!(m(&*r, "threads_b_outage_theory"), 30.0);

    let r = run_preset("fallback", &[]);
    assert_eq!((m(&*r, "fallbacks"), m(&*r, "failed")), (202.0, 0.0));
    assert_eq!(
        (m(&*r, "fallbacks_shared"), m(&*r, "failed_shared")),
        (183.0, 1_815.0)
    );

    let r = run_preset("timeout-below-p99", &[]);
    assert_eq!(m(&*r, "timed_out"), 20.0);
    near("timed out", m(&*r, "b_timed_out_percent"), 4.85, 0.01);
    near("theory", m(&*r, "b_timeout_theory_percent"), 4.96, 0.01);
    assert_eq!(m(&*r, "p99_b_ms"), 114.0);
    assert_eq!(m(&*r, "failed_shared"), 0.0);

    let r = run_preset("retry", &[]);
    assert_eq!(m(&*r, "failed"), 0.0);
    near("theory", m(&*r, "b_timeout_theory_percent"), 0.25, 0.005);
    near(
        "calls per request",
        m(&*r, "b_calls_per_request"),
        1.05,
        0.005,
    );
    assert_eq!(
        (m(&*r, "downstream_calls_b"), m(&*r, "abandoned_calls")),
        (432.0, 20.0)
    );
    near("B's p99", m(&*r, "p99_b_ms"), 190.15, 0.01);

    let r = run_preset("too-small", &[]);
    near("rejected", m(&*r, "b_rejected_percent"), 37.38, 0.01);
    near("Erlang B", m(&*r, "b_rejected_theory_percent"), 36.17, 0.01);
    near("Little", m(&*r, "threads_b_healthy_theory"), 0.567, 0.001);
    near("carried", m(&*r, "threads_b_healthy"), 0.36, 0.005);
    assert_eq!(m(&*r, "max_busy_b_shared"), 7.0);
    // The step's 4- and 5-thread figures are the formula's.
    let four = run_preset("too-small", &[("pool_b", "4")]);
    near(
        "Erlang B, 4",
        m(&*four, "b_rejected_theory_percent"),
        0.24,
        0.005,
    );
    let five = run_preset("too-small", &[("pool_b", "5")]);
    near(
        "Erlang B, 5",
        m(&*five, "b_rejected_theory_percent"),
        0.03,
        0.005,
    );
}

/// Hand calculations with a constant latency (σ = 0): Little's law gives the threads held
/// exactly up to the randomness of the arrivals; a timeout below every latency fails every call
/// and one above none; a hang with a timeout holds each call exactly T.
#[test]
fn hand_calculated_answers() {
    let base = [
        ("lanes", "shared-timeout"),
        ("outage", "none"),
        ("sigma", "0"),
        ("rate_a", "0"),
        ("rate_b", "100"),
        ("b_ms", "40"),
        ("workers", "200"),
        ("pool_b", "100"),
        ("duration_s", "200"),
    ];
    // 100 a second × 40 ms = 4 threads; every call answers in exactly 40 ms.
    let r = run(&base, &[], 201, 1);
    near("Little, σ = 0", m(&*r, "threads_b_healthy"), 4.0, 0.05);
    assert_eq!(m(&*r, "threads_b_healthy_theory"), 4.0);
    assert_eq!(m(&*r, "p99_b_ms"), 40.0);
    assert_eq!(m(&*r, "timed_out"), 0.0);

    let mut tight = base.to_vec();
    tight.push(("timeout_ms", "39"));
    let r = run(&tight, &[], 201, 1);
    assert_eq!(m(&*r, "b_timed_out_percent"), 100.0);
    assert_eq!(m(&*r, "b_timeout_theory_percent"), 100.0);
    // Each abandoned call runs 1 ms past its timeout at B.
    near(
        "wasted per call",
        m(&*r, "wasted_work_ms") / m(&*r, "abandoned_calls"),
        1.0,
        1e-9,
    );

    // A hang with a 250 ms timeout: every call holds its thread exactly 250 ms: 25 threads.
    let mut hang = base.to_vec();
    hang.extend([
        ("outage", "hang"),
        ("outage_at_s", "0"),
        ("outage_for_s", "200"),
    ]);
    let r = run(&hang, &[], 201, 1);
    near("Little, hang", m(&*r, "threads_b_outage"), 25.0, 0.3);
    assert_eq!(m(&*r, "threads_b_outage_theory"), 25.0);
}

/// The reported theory against Monte Carlo runs: the share of healthy calls a timeout fails is
/// P(latency > T), here at B's median (50 %) and near its p90; a full bulkhead rejects what
/// Erlang's loss formula says, with a lognormal holding time (the formula's insensitivity).
#[test]
fn the_theory_matches_long_runs() {
    for (t, want) in [("50", 50.0), ("90", 12.0)] {
        let params = [
            ("lanes", "shared-timeout"),
            ("outage", "none"),
            ("rate_a", "0"),
            ("rate_b", "200"),
            ("workers", "200"),
            ("pool_b", "100"),
            ("timeout_ms", t),
            ("duration_s", "150"),
        ];
        let r = run(&params, &[], 151, 3);
        let theory = m(&*r, "b_timeout_theory_percent");
        near("theory", theory, want, 1.0);
        // 30,000 calls: the standard error is under 0.3 points.
        near("measured", m(&*r, "b_timed_out_percent"), theory, 1.0);
    }
    let params = [
        ("lanes", "bulkhead"),
        ("outage", "none"),
        ("rate_a", "0"),
        ("rate_b", "50"),
        ("b_ms", "40"),
        ("sigma", "1"),
        ("pool_b", "3"),
        ("duration_s", "600"),
    ];
    let r = run(&params, &[], 601, 5);
    let theory = m(&*r, "b_rejected_theory_percent");
    // 50/s × 40 ms × e^0.5 = 3.30 erlangs on 3 threads: B(3, 3.30) = 38.0 %.
    near("Erlang B", theory, 38.0, 0.1);
    near("rejected", m(&*r, "b_rejected_percent"), theory, 1.5);
}

/// Every lane receives the same requests with the same latencies: its figures do not depend on
/// which other lanes run beside it.
#[test]
fn lanes_do_not_disturb_one_another() {
    for preset in ["slow-b", "fallback", "long-timeout"] {
        let all = run_preset(preset, &[("lanes", "all")]);
        for (lane, id) in [
            ("shared", "shared"),
            ("shared-timeout", "shared_timeout"),
            ("bulkhead", "bulkhead"),
            ("bulkhead-timeout", "bulkhead_timeout"),
        ] {
            let alone = run_preset(preset, &[("lanes", lane)]);
            for what in [
                "ok",
                "failed",
                "rejected",
                "timed_out",
                "fallbacks",
                "p99_ms",
            ] {
                let k = format!("{what}_{id}");
                assert_eq!(m(&*all, &k), m(&*alone, &k), "{preset}: {k}");
            }
        }
    }
}

/// Random settings, seeds, outages and actions: the invariants hold at several moments, and the
/// pools' laws hold at the end: a bulkhead's B never holds more than its threads and A never
/// loses a request to B's outage there; a lane without a timeout never times out; with
/// nothing slow and pools far larger than the load, nothing is rejected.
#[test]
fn invariants_and_laws_on_random_settings() {
    let mut r = SimRng::new(52);
    for case in 0..24u64 {
        let pick = |r: &mut SimRng, xs: &[&str]| xs[r.below(xs.len() as u64) as usize].to_string();
        let workers = 2 + r.below(40);
        let pool_b = 1 + r.below(workers - 1);
        let params = vec![
            ("lanes".to_string(), "all".to_string()),
            ("workers".into(), workers.to_string()),
            ("pool_b".into(), pool_b.to_string()),
            ("wait_ms".into(), pick(&mut r, &["0", "0", "5", "100"])),
            ("timeout_ms".into(), (1 + r.below(500)).to_string()),
            ("retries".into(), r.below(3).to_string()),
            ("fallback".into(), pick(&mut r, &["true", "false"])),
            ("rate_a".into(), r.below(150).to_string()),
            ("rate_b".into(), (1 + r.below(40)).to_string()),
            ("a_ms".into(), (1 + r.below(50)).to_string()),
            ("b_ms".into(), (1 + r.below(100)).to_string()),
            ("sigma".into(), pick(&mut r, &["0", "0.5", "1.5"])),
            ("outage".into(), pick(&mut r, &["none", "slow", "hang"])),
            ("slow_factor".into(), (1 + r.below(100)).to_string()),
            ("outage_at_s".into(), r.below(10).to_string()),
            ("outage_for_s".into(), r.below(15).to_string()),
            ("duration_s".into(), (5 + r.below(20)).to_string()),
        ];
        let inputs = match case % 3 {
            0 => vec!["3000:hang", "6000:recover"],
            1 => vec!["2000:slow:20", "9000:hang", "9500:recover"],
            _ => vec![],
        };
        let s = common::scenario(MODEL, case, SimTime::from_secs(30), &params, &inputs);
        let mut run = registry::start(&s).unwrap_or_else(|e| panic!("case {case}: {e}"));
        for t in [1, 4, 8, 15, 30] {
            run.seek(SimTime::from_secs(t));
            run.validate()
                .unwrap_or_else(|e| panic!("case {case} at {t} s: {e} ({params:?})"));
        }
        for id in ["bulkhead", "bulkhead_timeout"] {
            assert!(
                m(&*run, &format!("max_busy_b_{id}")) <= pool_b as f64,
                "case {case}: {params:?}"
            );
        }
        for id in ["shared", "bulkhead"] {
            assert_eq!(m(&*run, &format!("timed_out_{id}")), 0.0, "case {case}");
        }
    }
    let calm = run(
        &[("outage", "none"), ("workers", "200"), ("pool_b", "100")],
        &[],
        45,
        9,
    );
    for id in ["shared", "shared_timeout", "bulkhead", "bulkhead_timeout"] {
        assert_eq!(m(&*calm, &format!("rejected_{id}")), 0.0, "{id}");
        assert_eq!(m(&*calm, &format!("a_ok_percent_{id}")), 100.0, "{id}");
    }
}

/// The actions change B from now and always say so (compare mode's action records a line even
/// when it changes nothing); bad arguments and impossible settings are refused with a reason
/// naming the parameter, never a panic.
#[test]
fn actions_and_bad_input() {
    let r = run(
        &[("outage", "none")],
        &[
            "5000:slow:50",
            "6000:slow:50",
            "7000:hang",
            "8000:hang",
            "12000:recover",
            "13000:recover",
            "14000:slow:0.5",
            "15000:slow:nope",
            "16000:explode",
        ],
        45,
        7,
    );
    let lines = r.trace_lines();
    let refused = lines.iter().filter(|l| l.rejected).count();
    assert_eq!(refused, 3);
    for words in [
        "B slowed down",
        "already 50 times slower",
        "B hangs",
        "already hangs",
        "B recovered",
        "already healthy",
    ] {
        assert!(
            lines.iter().any(|l| l.text.contains(words)),
            "{words}: {lines:?}"
        );
    }
    assert!(m(&*r, "rejected_shared") > 0.0);
    assert!(m(&*r, "timed_out_shared_timeout") > 0.0);

    for (k, v, named) in [
        ("pool_b", "20", "pool_b"),
        ("duration_s", "600", "duration_s"),
        ("lanes", "hystrix", "lanes"),
        ("outage", "meteor", "outage"),
        ("sigma", "9", "sigma"),
    ] {
        let mut s = common::preset(LESSON, None);
        s.params.insert(k.into(), v.into());
        let err = registry::start(&s).err().expect("refused");
        assert!(err.to_string().contains(named), "{k}={v}: {err}");
    }
}

#[test]
fn same_seed_same_run_and_the_seed_matters() {
    let s = common::preset(LESSON, Some("fallback"));
    let digest = |seed: u64| {
        let mut s = s.clone();
        s.seed = seed;
        let mut r = registry::start(&s).unwrap();
        r.seek(SimTime::from_secs(30));
        (r.digest(), m(&*r, "fallbacks"))
    };
    assert_eq!(digest(3), digest(3));
    assert_ne!(digest(3).0, digest(4).0);
}

/// The timeout sweep follows P(latency > T) from below the median to past the p99.9, and B's
/// p99 follows the timeout until it reaches B's own; the pool sweep follows Erlang B.
#[test]
fn the_timeout_and_pool_sweeps() {
    let csv = common::sweep_csv(LESSON, "timeout");
    let failed = common::sweep_medians(&csv, "lesson", "b_timed_out_percent");
    let p99 = common::sweep_medians(&csv, "lesson", "p99_b_ms");
    assert_eq!(failed.len(), 14);
    assert!(failed[0] > 90.0 && failed[13] == 0.0, "{failed:?}");
    assert!(failed.windows(2).all(|w| w[1] <= w[0]), "{failed:?}");
    // Points 0–8 are 20–126 ms, below B's p99 (160 ms): p99 is the timeout itself.
    assert!(p99[..9].windows(2).all(|w| w[1] > w[0]), "{p99:?}");
    assert!(
        p99[9..].iter().all(|p| (130.0..190.0).contains(p)),
        "{p99:?}"
    );

    let csv = common::sweep_csv(LESSON, "pool");
    let rejected = common::sweep_medians(&csv, "lesson", "b_rejected_percent");
    assert_eq!(rejected.len(), 8);
    assert!(
        rejected[0] > 30.0 && rejected[1] < 15.0 && rejected[7] == 0.0,
        "{rejected:?}"
    );
}
