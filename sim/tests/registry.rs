//! The registry (`sim::registry`): every registered model runs with its default parameters, and
//! what every model must provide beyond what the compiler checks holds for each of them.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use sim::catalog;
use sim::engine::Simulation;
use sim::params::ParamSet;
use sim::time::SimTime;
use std::collections::BTreeSet;

/// Every registered model, built from its default parameters and run for a second.
fn every_model() -> Vec<Box<dyn Simulation>> {
    catalog::MODELS
        .iter()
        .map(|id| {
            let specs = catalog::specs(id).unwrap_or_else(|| panic!("{id}: no specs"));
            let (params, errors) = ParamSet::resolve(&specs, std::iter::empty());
            assert!(
                errors.is_empty(),
                "{id}: its defaults do not validate: {errors:?}"
            );
            let mut run = catalog::start_with(id, params, 1, Vec::new(), SimTime::from_secs(2))
                .unwrap_or_else(|e| panic!("{id}: does not start with its defaults: {e}"));
            run.seek(SimTime::from_secs(1));
            run
        })
        .collect()
}

#[test]
fn model_ids_are_distinct_and_each_starts_its_own_model() {
    let ids: BTreeSet<&str> = catalog::MODELS.iter().copied().collect();
    assert_eq!(
        ids.len(),
        catalog::MODELS.len(),
        "a model id is registered twice"
    );
    for (id, run) in catalog::MODELS.iter().zip(every_model()) {
        assert_eq!(run.model_id(), *id);
    }
}

#[test]
fn every_model_runs_its_defaults_with_invariants_intact() {
    for run in every_model() {
        let id = run.model_id();
        run.validate()
            .unwrap_or_else(|e| panic!("{id}: invariant broken: {e}"));
        assert_eq!(run.frame(), run.frame(), "{id}: a frame is a pure read");
        assert!(
            !run.actions().is_empty(),
            "{id}: a lesson needs something to do"
        );
    }
}
