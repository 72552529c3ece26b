//! The load-shedding model (issue 14, lesson 5): every figure the lesson quotes, hand-worked
//! answers (capacity, a backlog's drain time, the cost of refusing), lanes that do not disturb
//! one another, the model's invariants on random settings, the actions, bad input, determinism
//! and the declared sweeps.
#![cfg(feature = "resilience")]

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use sim::engine::Simulation;
use sim::registry;
use sim::rng::SimRng;
use sim::time::SimTime;

use crate::common;

const LESSON: &str = "load-shedding";

fn run_preset(preset: &str, extra: &[(&str, &str)]) -> Box<dyn Simulation> {
    common::preset_to_end(LESSON, preset, extra)
}

fn m(run: &dyn Simulation, id: &str) -> f64 {
    common::metric(run, id)
}

fn close(what: &str, got: f64, want: f64) {
    assert!(
        (got - want).abs() < 0.06,
        "{what}: {got}, the lesson says {want}"
    );
}

/// Every number the lesson's steps and questions quote, at the lesson's seed (pinned change
/// detectors: the lesson's prose must change with them).
#[test]
fn the_lesson_figures() {
    let r = run_preset("below-capacity", &[]);
    assert_eq!(m(&*r, "capacity"), 200.0);
    close("goodput fifo", m(&*r, "goodput_percent_fifo"), 79.2);
    assert_eq!(m(&*r, "max_queue_fifo"), 24.0);
    assert_eq!(m(&*r, "shed_load_limit"), 820.0);
    assert_eq!(m(&*r, "late_fifo"), 0.0);

    let r = run_preset("cliff", &[]);
    close("goodput fifo", m(&*r, "goodput_percent_fifo"), 9.8);
    assert_eq!(m(&*r, "late_fifo"), 5_387.0);
    assert_eq!(m(&*r, "p99_ms_fifo"), 9_800.0);
    assert_eq!(m(&*r, "max_queue_fifo"), 2_921.0);
    assert_eq!(m(&*r, "shed_bounded"), 2_861.0);
    close("goodput bounded", m(&*r, "goodput_percent_bounded"), 99.92);
    close(
        "goodput load limit",
        m(&*r, "goodput_percent_load_limit"),
        80.2,
    );
    assert_eq!(m(&*r, "shed_load_limit"), 4_087.0);
    assert_eq!(m(&*r, "p99_ms_load_limit"), 230.0);
    close("goodput codel", m(&*r, "goodput_percent_codel"), 98.2);
    assert_eq!(m(&*r, "shed_codel"), 3_005.0);
    assert_eq!(m(&*r, "p99_ms_codel"), 257.0);
    assert_eq!(m(&*r, "max_queue_codel"), 35.0);
    // The headline lane is CoDel's, the first that sheds.
    assert_eq!(m(&*r, "rejected"), 3_005.0);
    let fifo = run_preset("cliff", &[("policies", "fifo")]);
    close("wasted", m(&*fifo, "wasted_work_percent"), 90.7);

    let r = run_preset("long-queue", &[]);
    assert_eq!(m(&*r, "shed_bounded"), 2_418.0);
    assert_eq!(m(&*r, "late_bounded"), 5_391.0);
    close("goodput bounded", m(&*r, "goodput_percent_bounded"), 9.8);

    let r = run_preset("spike", &[]);
    assert_eq!(m(&*r, "max_queue_fifo"), 1_996.0);
    assert_eq!(m(&*r, "late_fifo"), 3_661.0);
    close("last late", m(&*r, "last_late_s_fifo"), 29.98);
    close("goodput fifo", m(&*r, "goodput_percent_fifo"), 30.6);
    close("goodput codel", m(&*r, "goodput_percent_codel"), 80.1);
    for id in ["bounded", "load_limit", "codel", "priority"] {
        assert_eq!(m(&*r, &format!("late_{id}")), 0.0, "{id}");
    }

    let r = run_preset("priorities", &[]);
    close(
        "critical, priority",
        m(&*r, "critical_good_percent_priority"),
        99.16,
    );
    close(
        "critical, limit",
        m(&*r, "critical_good_percent_load_limit"),
        43.77,
    );
    close("critical, fifo", m(&*r, "critical_good_percent_fifo"), 3.34);

    let r = run_preset("dead-check", &[]);
    assert_eq!(m(&*r, "shed_dead_check"), 0.0);
    assert_eq!(m(&*r, "late_dead_check"), 5_387.0);
    close("dead", m(&*r, "goodput_percent_dead_check"), 9.8);
    assert_eq!(m(&*r, "shed_load_limit"), 4_087.0);

    let r = run_preset("rejection-cost", &[]);
    close("refusing", m(&*r, "reject_work_percent"), 15.76);
    close("goodput", m(&*r, "goodput_percent"), 83.48);
    assert!((18_800.0..19_000.0).contains(&m(&*r, "rejected")));
}

/// Hand-worked answers. Capacity is workers ÷ mean work: 10 ÷ 50 ms = 200 a second, and 4 ÷
/// 20 ms = 200 too. The dead check is exactly no shedding. The work spent refusing is the
/// requests shed × 5 % of 50 ms, over the workers' time (10 workers × 30 s).
#[test]
fn hand_worked_answers() {
    let r = run_preset("cliff", &[("workers", "4"), ("cost_ms", "20")]);
    assert_eq!(m(&*r, "capacity"), 200.0);
    let r = run_preset("dead-check", &[]);
    for what in ["goodput_percent", "late", "p99_ms", "max_queue"] {
        assert_eq!(
            m(&*r, &format!("{what}_fifo")),
            m(&*r, &format!("{what}_dead_check")),
            "{what}"
        );
    }
    let r = run_preset("rejection-cost", &[]);
    let want = 100.0 * m(&*r, "rejected") * 2_500.0 / (10.0 * 30e6);
    // Refusals still waiting for a worker at the end are not yet counted as work.
    assert!(
        (m(&*r, "reject_work_percent") - want).abs() < 0.05,
        "{} vs {want}",
        m(&*r, "reject_work_percent")
    );
    // Far below capacity nothing waits long and nothing is late.
    let r = run_preset("below-capacity", &[("load", "0.25")]);
    for id in ["fifo", "bounded", "codel"] {
        assert_eq!(m(&*r, &format!("late_{id}")), 0.0, "{id}");
        assert_eq!(m(&*r, &format!("shed_{id}")), 0.0, "{id}");
    }
}

/// Each lane runs its own copy of the server on its own copy of the requests: a lane's figures
/// do not depend on which other lanes run beside it.
#[test]
fn lanes_do_not_disturb_one_another() {
    for preset in ["cliff", "spike"] {
        let all = run_preset(preset, &[]);
        for (lane, id) in [
            ("fifo", "fifo"),
            ("bounded", "bounded"),
            ("load-limit", "load_limit"),
            ("codel", "codel"),
            ("priority", "priority"),
        ] {
            let alone = run_preset(preset, &[("policies", lane)]);
            for what in ["goodput_percent", "shed", "late", "p99_ms", "max_queue"] {
                let k = format!("{what}_{id}");
                assert_eq!(m(&*all, &k), m(&*alone, &k), "{preset}: {k}");
            }
        }
    }
}

/// Random settings, seeds and spikes: the invariants hold at several moments (admitted +
/// refused = offered, served + dropped + held = admitted, no idle worker while work waits, a
/// bounded queue within its bound, the same requests in every lane), and goodput never passes
/// what was offered.
#[test]
fn invariants_hold_on_random_settings() {
    let mut r = SimRng::new(5);
    let sets = ["all", "dead-check", "priorities", "codel", "bounded"];
    for case in 0..24 {
        let pick = |r: &mut SimRng, xs: &[&str]| xs[r.below(xs.len() as u64) as usize].to_string();
        let params = vec![
            ("policies".to_string(), pick(&mut r, &sets)),
            (
                "load".into(),
                format!("{}", 0.25 * (1 + r.below(12)) as f64),
            ),
            ("workers".into(), (1 + r.below(12)).to_string()),
            ("cost_ms".into(), (5 + r.below(60)).to_string()),
            ("deadline_ms".into(), (50 + r.below(1_500)).to_string()),
            ("queue_limit".into(), r.below(80).to_string()),
            ("threshold".into(), (10 + r.below(300)).to_string()),
            ("codel_target_ms".into(), r.below(20).to_string()),
            ("codel_interval_ms".into(), (10 + r.below(300)).to_string()),
            ("critical_percent".into(), r.below(101).to_string()),
            ("critical_headroom".into(), (r.below(10) * 20).to_string()),
            ("reject_cost_percent".into(), (r.below(4) * 5).to_string()),
            ("spike_load".into(), (r.below(3) * 2).to_string()),
            ("duration_s".into(), (5 + r.below(15)).to_string()),
        ];
        let inputs = match case % 3 {
            0 => vec!["3000:spike:4", "4000:set-load:0.5"],
            1 => vec!["2000:spike"],
            _ => vec![],
        };
        let s = common::scenario("shedding", case, SimTime::from_secs(20), &params, &inputs);
        let mut run = registry::start(&s).unwrap_or_else(|e| panic!("case {case}: {e}"));
        let duration: u64 = params[13].1.parse().unwrap();
        for t in [1, 3, 6, 12, 20] {
            run.seek(SimTime::from_secs(t));
            run.validate()
                .unwrap_or_else(|e| panic!("case {case} at {t} s: {e} ({params:?})"));
            let good = m(&*run, "goodput") * (t.min(duration) as f64);
            assert!(good <= m(&*run, "offered") + 1e-6, "case {case} at {t} s");
        }
        common::assert_all_accepted(&*run);
    }
}

/// `spike` raises the load now for the spike's length and always logs a line, a bad load is
/// refused with a reason, and so are impossible settings.
#[test]
fn actions_and_bad_input() {
    let mut s = common::preset(LESSON, Some("below-capacity"));
    s.inputs = common::inputs(&[
        "5000:spike",
        "12000:spike:9",
        "13000:set-load:x",
        "14000:set-load:2",
    ]);
    let mut r = registry::start(&s).unwrap();
    r.seek(r.until());
    r.validate().unwrap();
    let lines = r.trace_lines();
    assert_eq!(lines.iter().filter(|l| l.rejected).count(), 2);
    let calm = run_preset("below-capacity", &[]);
    assert!(m(&*r, "offered") > m(&*calm, "offered") + 1_000.0);
    assert!(m(&*r, "late_fifo") > 0.0);

    for (k, v, named) in [
        ("load", "1e9", "load"),
        ("duration_s", "300", "load"),
        ("policies", "random-drop", "policies"),
        ("spike_load", "NaN", "spike_load"),
    ] {
        let mut s = common::preset(LESSON, Some("cliff"));
        s.params.insert("load".into(), "5".into());
        s.params.insert(k.into(), v.into());
        let err = registry::start(&s).err().expect("refused");
        assert!(err.to_string().contains(named), "{k}={v}: {err}");
    }
}

#[test]
fn same_seed_same_run_and_the_seed_matters() {
    let s = common::preset(LESSON, Some("spike"));
    let digest = |seed: u64| {
        let mut s = s.clone();
        s.seed = seed;
        let mut r = registry::start(&s).unwrap();
        r.seek(SimTime::from_secs(20));
        (r.digest(), m(&*r, "late_fifo"), m(&*r, "p99_ms_codel"))
    };
    assert_eq!(digest(3), digest(3));
    // The trace holds only the spike's start and end; the requests differ with the seed.
    assert_ne!(digest(3).1, digest(4).1);
}

/// The cliff: below capacity every policy follows the ideal line; past it the server without
/// shedding falls off the cliff (under a quarter of capacity from 1.25× on, falling as the load
/// grows) while CoDel and the queue of 50 stay within a few % of capacity. The threshold sweep:
/// a limit below the workers leaves capacity idle, one with a short queue fills them.
#[test]
fn the_cliff_and_threshold_sweeps() {
    let csv = common::sweep_csv(LESSON, "cliff");
    let g = |v: &str| common::sweep_medians(&csv, v, "goodput_percent");
    let loads = [
        0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0, 2.25, 2.5, 2.75, 3.0,
    ];
    let fifo = g("fifo");
    assert_eq!(fifo.len(), loads.len());
    for (x, y) in loads.iter().zip(&fifo) {
        if *x < 1.0 {
            assert!((y - 100.0 * x).abs() < 3.0, "{x}: {y}");
        } else if *x > 1.0 {
            assert!(*y < 25.0, "{x}: {y}");
        }
    }
    assert!(fifo[4..].windows(2).all(|w| w[1] < w[0]), "{fifo:?}");
    for v in ["codel", "bounded"] {
        for (x, y) in loads.iter().zip(g(v)) {
            if *x > 1.1 {
                assert!(y > 95.0, "{v} at {x}: {y}");
            }
        }
    }
    let csv = common::sweep_csv(LESSON, "threshold");
    let g = common::sweep_medians(&csv, "load-limit", "goodput_percent");
    assert!(g[0] < 50.0 && g[1] < 90.0, "{g:?}");
    assert!(g[2..].iter().all(|y| *y > 98.0), "{g:?}");
    let p99 = common::sweep_medians(&csv, "load-limit", "p99_ms");
    assert!(p99.last().unwrap() > &p99[2], "{p99:?}");
}
