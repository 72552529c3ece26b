//! Helpers shared by the suite's modules (each takes it with `use crate::common;`): building a scenario from
//! parameters and timed inputs, starting a run and seeking it with its invariants checked,
//! reading a metric, a lesson's preset; natively, proptest's settings and strategies too.
#![allow(dead_code)]

use sim::engine::{Run, Simulation};
use sim::lesson::CompareVariant;
use sim::model::{MetricValue, Model};
use sim::registry;
use sim::scenario::{Scenario, TimedInput};
use sim::time::SimTime;

pub mod ketama;
#[cfg(not(target_arch = "wasm32"))]
mod props;
#[cfg(not(target_arch = "wasm32"))]
#[allow(unused_imports)] // a file uses what it needs
pub use props::*;

/// No timed inputs, for the calls that give none (`&[]` alone leaves the item type open).
pub const NO_INPUTS: &[&str] = &[];

/// Timed inputs from their text form (`"1000:add-shard"`, `"2s:crash:B"`); panics naming a bad one.
pub fn inputs<I: AsRef<str>>(lines: &[I]) -> Vec<TimedInput> {
    lines
        .iter()
        .map(|t| {
            let t = t.as_ref();
            TimedInput::parse(t).unwrap_or_else(|e| panic!("timed input {t:?}: {e}"))
        })
        .collect()
}

/// A scenario of `model` up to `until`: the model's defaults with `params` on top (later pairs
/// win), and `inputs` on its timeline.
pub fn scenario<K: AsRef<str>, V: AsRef<str>, I: AsRef<str>>(
    model: &str,
    seed: u64,
    until: SimTime,
    params: &[(K, V)],
    timed: &[I],
) -> Scenario {
    let mut s = Scenario::new(model, seed, until);
    for (k, v) in params {
        s.params.insert(k.as_ref().into(), v.as_ref().into());
    }
    s.inputs = inputs(timed);
    s
}

/// Starts `s` through the registry (any model), seeks to `at` and checks the model's invariants.
pub fn start_at(s: &Scenario, at: SimTime) -> Box<dyn Simulation> {
    let mut run = registry::start(s).unwrap_or_else(|e| panic!("{} builds: {e}", s.model));
    run.seek(at);
    run.validate()
        .unwrap_or_else(|e| panic!("{} keeps its invariants: {e}", s.model));
    run
}

/// [`start_at`] for a model named at compile time, so the test can reach the model itself.
pub fn run_at<M: Model>(s: &Scenario, at: SimTime) -> Run<M> {
    let mut run = Run::<M>::new(s).unwrap_or_else(|e| panic!("{} builds: {e}", s.model));
    run.seek(at);
    run.validate()
        .unwrap_or_else(|e| panic!("{} keeps its invariants: {e}", s.model));
    run
}

/// Fails naming every input the run refused so far.
pub fn assert_all_accepted(run: &dyn Simulation) {
    let refused: Vec<_> = run
        .trace_lines()
        .into_iter()
        .filter(|l| l.rejected)
        .collect();
    assert!(refused.is_empty(), "inputs refused: {refused:?}");
}

/// A metric's value as a number, if it has one now.
pub fn metric_opt(run: &dyn Simulation, id: &str) -> Option<f64> {
    run.metrics().get(id).and_then(MetricValue::as_f64)
}

/// A metric's value as a number; fails when it has none.
pub fn metric(run: &dyn Simulation, id: &str) -> f64 {
    metric_opt(run, id).unwrap_or_else(|| panic!("metric {id} has a value"))
}

/// A lesson's preset as a scenario (`None`: the lesson's starting setup).
pub fn preset(lesson: &str, preset: Option<&str>) -> Scenario {
    catalog::lesson(lesson)
        .unwrap_or_else(|| panic!("lesson {lesson} exists"))
        .scenario(preset)
        .unwrap_or_else(|e| panic!("{lesson} preset {preset:?}: {e}"))
}

/// Runs `s` to its end, checks the model's invariants and that every input was taken.
pub fn run_to_end(s: &Scenario) -> Box<dyn Simulation> {
    let mut run = registry::start(s).unwrap_or_else(|e| panic!("{}: {e}", s.model));
    run.seek(run.until());
    run.validate().unwrap();
    assert_all_accepted(&*run);
    run
}

/// A lesson's preset with some parameters changed, run to its end ([`run_to_end`]).
pub fn preset_to_end(lesson: &str, name: &str, extra: &[(&str, &str)]) -> Box<dyn Simulation> {
    let mut s = preset(lesson, Some(name));
    for (k, v) in extra {
        s.params.insert((*k).into(), (*v).into());
    }
    run_to_end(&s)
}

/// A scenario of the placement model (the hashing-strategies lesson's) with no requests unless
/// `params` sets `request_rate`: placement alone, which every key count is then about.
pub fn placement_scenario(
    seed: u64,
    secs: u64,
    params: &[(&str, &str)],
    timed: &[&str],
) -> Scenario {
    let mut all = vec![("request_rate", "0")];
    all.extend_from_slice(params);
    scenario("placement", seed, SimTime::from_secs(secs), &all, timed)
}

/// `base` as a compare-mode column runs it: the variant's model, if it names one, and its
/// parameters on top of the base's.
pub fn variant(base: &Scenario, v: &CompareVariant) -> Scenario {
    let mut s = base.clone();
    if let Some(model) = &v.model {
        s.model = model.clone();
    }
    s.params
        .extend(v.params.iter().map(|(k, x)| (k.clone(), x.to_text())));
    s
}

/// Runs the declared sweep `sweep` of `lesson` on its own setup to the end and returns its CSV
/// (`SweepResult::to_csv`).
pub fn sweep_csv(lesson: &str, sweep: &str) -> String {
    let lesson = catalog::lesson(lesson).unwrap_or_else(|| panic!("lesson {lesson} exists"));
    let def = lesson
        .sweeps
        .iter()
        .find(|s| s.id == sweep)
        .unwrap_or_else(|| panic!("{} declares sweep {sweep}", lesson.id))
        .clone();
    let scenario = lesson.scenario(def.preset.as_deref()).unwrap();
    let request = sim::sweep::SweepRequest::for_scenario(&lesson, &scenario, &def).unwrap();
    let result = sim::sweep::run_all(request).unwrap();
    assert!(result.complete());
    result.to_csv()
}

/// The medians of series `series` and metric `metric` in a sweep's CSV, in the swept order.
pub fn sweep_medians(csv: &str, series: &str, metric: &str) -> Vec<f64> {
    csv.lines()
        .skip(1)
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|f| f[0] == series && f[1] == metric)
        .map(|f| f[4].parse().unwrap())
        .collect()
}
