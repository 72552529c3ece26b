//! The engine's laws, checked through the real hash-ring lesson: determinism, seeking backwards
//! by restore-and-replay, forking on an input in the past, and stepping.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use sim::engine::Simulation;
use sim::models::sharding::placement;
use sim::registry;
use sim::scenario::{Input, Scenario, TimedInput};
use sim::time::SimTime;

fn scenario(seed: u64, inputs: &[&str]) -> Scenario {
    let mut s = Scenario::new("hash-ring", seed, SimTime::from_secs(10));
    s.params.insert("servers".into(), "A,B,C,D".into());
    s.params.insert("vnodes".into(), "20".into());
    s.params.insert("keys".into(), "500".into());
    s.params.insert("request_rate".into(), "100".into());
    s.inputs = inputs
        .iter()
        .map(|t| TimedInput::parse(t).unwrap())
        .collect();
    s
}

fn run_to(s: &Scenario, t: SimTime) -> Box<dyn Simulation> {
    let mut run = registry::start(s).expect("scenario builds");
    run.seek(t);
    run
}

#[test]
fn same_scenario_twice_gives_the_same_digest() {
    for seed in [1u64, 7, 42, 1_000_003] {
        let s = scenario(
            seed,
            &[
                "2000:remove-server:B",
                "4000:add-server:E",
                "6000:add-keys:50",
            ],
        );
        let a = run_to(&s, SimTime::from_secs(10));
        let b = run_to(&s, SimTime::from_secs(10));
        assert_eq!(
            a.digest(),
            b.digest(),
            "seed {seed}: two runs of one scenario diverged"
        );
        assert_eq!(a.metrics(), b.metrics(), "seed {seed}: metrics diverged");
    }
}

#[test]
fn different_seeds_give_different_runs() {
    let a = run_to(&scenario(1, &[]), SimTime::from_secs(5));
    let b = run_to(&scenario(2, &[]), SimTime::from_secs(5));
    assert_ne!(
        a.digest(),
        b.digest(),
        "the seed must drive the keys and the request stream"
    );
}

#[test]
fn seeking_back_equals_running_fresh() {
    let s = scenario(9, &["1500:remove-server:C", "7000:add-server:Z"]);
    let mut run = run_to(&s, SimTime::from_secs(9));
    for back in [8_000u64, 3_333, 1_500, 1_499, 0, 6_000] {
        run.seek(SimTime::from_ms(back));
        let fresh = run_to(&s, SimTime::from_ms(back));
        assert_eq!(
            run.digest(),
            fresh.digest(),
            "seek back to {back} ms differs from a fresh run"
        );
        assert_eq!(
            run.metrics(),
            fresh.metrics(),
            "metrics after seeking back to {back} ms"
        );
        assert_eq!(
            run.frame(),
            fresh.frame(),
            "frame after seeking back to {back} ms"
        );
        run.validate().unwrap();
    }
}

#[test]
fn an_input_in_the_past_forks_the_timeline() {
    let s = scenario(5, &["6000:remove-server:A"]);
    let mut run = run_to(&s, SimTime::from_secs(8));
    run.seek(SimTime::from_secs(3));
    run.apply_now(Input::new("remove-server", Some("B")));
    // The later input is dropped: the future is recomputed from the new input.
    let inputs: Vec<String> = run.inputs().iter().map(ToString::to_string).collect();
    assert_eq!(inputs, ["3000:remove-server:B"]);
    run.seek(SimTime::from_secs(8));
    let fresh = run_to(
        &scenario(5, &["3000:remove-server:B"]),
        SimTime::from_secs(8),
    );
    assert_eq!(
        run.digest(),
        fresh.digest(),
        "a forked run must equal a fresh run of its scenario"
    );
    assert_eq!(placement(&*run).unwrap().nodes(), ["A", "C", "D"]);
}

#[test]
fn scenario_round_trips_the_run() {
    let s = scenario(11, &["0:remove-server:D"]);
    let mut run = run_to(&s, SimTime::from_secs(4));
    run.apply_now(Input::new("add-keys", Some("25")));
    let again = run_to(&run.scenario(), SimTime::from_secs(4));
    assert_eq!(
        run.digest(),
        again.digest(),
        "scenario() must reproduce the run"
    );
}

#[test]
fn step_back_at_zero_undoes_the_last_input() {
    let mut s = scenario(3, &[]);
    s.params.insert("request_rate".into(), "0".into());
    let mut run = run_to(&s, SimTime::ZERO);
    let before = run.metrics();
    run.apply_now(Input::new("remove-server", Some("C")));
    run.apply_now(Input::new("remove-server", Some("B")));
    assert_eq!(placement(&*run).unwrap().nodes(), ["A", "D"]);
    run.step_back();
    assert_eq!(
        placement(&*run).unwrap().nodes(),
        ["A", "B", "D"],
        "step back restores B only"
    );
    assert_eq!(
        run.inputs().len(),
        1,
        "the undone input leaves the timeline"
    );
    run.step_back();
    assert_eq!(placement(&*run).unwrap().nodes(), ["A", "B", "C", "D"]);
    assert_eq!(run.metrics(), before, "step back restores the metrics");
    assert!(run.inputs().is_empty());
    // What is on screen is what the scenario reproduces.
    let again = run_to(&run.scenario(), SimTime::ZERO);
    assert_eq!(again.digest(), run.digest());
}

#[test]
fn step_back_later_keeps_the_input_on_the_timeline() {
    let s = scenario(3, &["2000:remove-server:B"]);
    let mut run = run_to(&s, SimTime::from_ms(2_000));
    assert!(!placement(&*run).unwrap().nodes().contains(&"B".to_string()));
    // Step back until B is back: the input stays in the future and replays going forward.
    while !placement(&*run).unwrap().nodes().contains(&"B".to_string()) {
        run.step_back();
    }
    assert!(run.now() < SimTime::from_ms(2_000));
    assert_eq!(run.inputs().len(), 1);
    let fresh = run_to(&s, run.now());
    assert_eq!(
        fresh.digest(),
        run.digest(),
        "stepping back equals a fresh run to that time"
    );
    run.seek(SimTime::from_ms(2_000));
    assert!(!placement(&*run).unwrap().nodes().contains(&"B".to_string()));
}

#[test]
fn step_forward_visits_each_event() {
    let s = scenario(4, &["500:remove-server:A"]);
    let mut run = run_to(&s, SimTime::ZERO);
    let mut last = SimTime::ZERO;
    let mut steps = 0;
    while run.now() < SimTime::from_secs(1) {
        let t = run.step_forward();
        assert!(t >= last, "time never runs backwards");
        last = t;
        steps += 1;
        assert!(steps < 10_000, "stepping must reach the end");
    }
    // About 100 requests per second plus the input.
    assert!(
        (60..200).contains(&steps),
        "{steps} steps for one second at 100 req/s"
    );
}

#[test]
fn refused_inputs_are_recorded_not_fatal() {
    let s = scenario(2, &["0:remove-server:Q", "0:launch-rockets"]);
    let run = run_to(&s, SimTime::from_ms(10));
    let refused: Vec<String> = run
        .trace_lines()
        .into_iter()
        .filter(|l| l.rejected)
        .map(|l| l.text)
        .collect();
    assert_eq!(refused.len(), 2, "{refused:?}");
    assert!(refused[0].contains('Q'));
    assert!(refused[1].contains("unknown action"));
    assert_eq!(placement(&*run).unwrap().nodes().len(), 4);
}

#[test]
fn bad_parameters_are_named_in_the_error() {
    let mut s = scenario(1, &[]);
    s.params.insert("vnodes".into(), "5000".into());
    let err = registry::start(&s).err().expect("out of range").to_string();
    assert!(
        err.contains("vnodes") && err.contains("5000") && err.contains("1 to 1000"),
        "{err}"
    );
    let mut s = scenario(1, &[]);
    s.params.insert("servers".into(), "A,A".into());
    let err = registry::start(&s).err().expect("duplicate").to_string();
    assert!(err.contains("servers") && err.contains("twice"), "{err}");
    let mut s = scenario(1, &[]);
    s.params.insert("servers".into(), "A@400".into());
    assert!(registry::start(&s).is_err());
}

#[test]
fn remove_keys_undoes_add_keys_without_moving_others() {
    let before = run_to(&scenario(8, &[]), SimTime::from_ms(10));
    let after = run_to(
        &scenario(8, &["0:add-keys:40", "5:remove-keys:40"]),
        SimTime::from_ms(10),
    );
    assert_eq!(
        before.metrics().group("keys_per_server"),
        after.metrics().group("keys_per_server"),
        "removing the keys just added restores every server's count"
    );
    let refused = run_to(&scenario(8, &["0:remove-keys:100000"]), SimTime::from_ms(1));
    assert!(refused
        .trace_lines()
        .iter()
        .any(|l| l.rejected && l.text.contains("between 1 and 500")));
}

#[test]
fn invariants_hold_through_a_busy_run() {
    let s = scenario(
        13,
        &[
            "100:add-server:E",
            "200:remove-server:A",
            "300:add-keys:100",
            "400:remove-key:User123",
            "500:add-keys:Zed@10",
            "600:remove-keys:30",
        ],
    );
    let mut run = registry::start(&s).unwrap();
    for ms in (0..=1_000).step_by(50) {
        run.seek(SimTime::from_ms(ms));
        run.validate().unwrap_or_else(|e| panic!("at {ms} ms: {e}"));
    }
}
