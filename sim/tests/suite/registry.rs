//! The registry (`sim::registry`): every registered model runs with its default parameters, and
//! what every model must provide beyond what the compiler checks holds for each of them.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use sim::engine::Simulation;
use sim::frame::Frame;
use sim::models::sharding::placement;
use sim::params::ParamSet;
use sim::registry;
use sim::scenario::Input;
use sim::time::SimTime;
use std::collections::BTreeSet;

/// Every registered model, built from its default parameters and run for a second.
fn every_model() -> Vec<Box<dyn Simulation>> {
    registry::MODELS
        .iter()
        .map(|id| {
            let specs = registry::specs(id).unwrap_or_else(|| panic!("{id}: no specs"));
            let (params, errors) = ParamSet::resolve(&specs, std::iter::empty());
            assert!(
                errors.is_empty(),
                "{id}: its defaults do not validate: {errors:?}"
            );
            let mut run = registry::start_with(id, params, 1, Vec::new(), SimTime::from_secs(2))
                .unwrap_or_else(|e| panic!("{id}: does not start with its defaults: {e}"));
            run.seek(SimTime::from_secs(1));
            run
        })
        .collect()
}

#[test]
fn model_ids_are_distinct_and_each_starts_its_own_model() {
    let ids: BTreeSet<&str> = registry::MODELS.iter().copied().collect();
    assert_eq!(
        ids.len(),
        registry::MODELS.len(),
        "a model id is registered twice"
    );
    for (id, run) in registry::MODELS.iter().zip(every_model()) {
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

#[test]
fn every_action_that_picks_offers_what_it_can_pick() {
    for run in every_model() {
        let id = run.model_id();
        for a in run.actions().iter().filter(|a| a.picks) {
            let choices = run.choices(a.name);
            assert!(
                !choices.is_empty(),
                "{id}: {} picks one of the model's things but `choices` lists none",
                a.name
            );
            for c in choices.iter().filter(|c| c.unavailable.is_none()) {
                let mut run = registry::start(&run.scenario()).unwrap();
                run.seek(SimTime::from_secs(1));
                run.apply_now(Input::new(a.name, Some(&c.value)));
                let refused = run.last_trace_line().filter(|l| l.rejected);
                assert!(
                    refused.is_none(),
                    "{id}: {}:{} is offered but refused: {refused:?}",
                    a.name,
                    c.value
                );
            }
        }
        for a in run.actions().iter().filter(|a| !a.picks) {
            assert!(
                run.choices(a.name).is_empty(),
                "{id}: {} lists choices",
                a.name
            );
        }
    }
}

/// The sharding family: every model that draws a ring or shards places keys, so it must list
/// `Placement` in its `queries` (the compiler cannot see a forgotten one), and its answers
/// agree with what it draws.
#[test]
fn every_model_drawing_a_ring_or_shards_answers_placement() {
    for run in every_model() {
        let id = run.model_id();
        let frame = run.frame();
        // (key, owner) for each drawn key, and how many nodes are drawn. Frames of other
        // families' diagrams are not this test's business.
        let (drawn, nodes_drawn): (Vec<(String, String)>, usize) = if let Frame::Ring(f) = &frame {
            let keys = f.keys.iter().map(|k| (k.name.clone(), k.owners[0].clone()));
            (keys.collect(), f.servers.len())
        } else if let Frame::Shards(f) = &frame {
            let keys = f
                .keys
                .iter()
                .map(|k| (k.id.to_string(), k.shard.to_string()));
            (keys.collect(), f.shards.len())
        } else {
            continue;
        };
        let p = placement(run.as_ref())
            .unwrap_or_else(|| panic!("{id}: draws placed keys but does not answer Placement"));
        let nodes = p.nodes();
        assert_eq!(nodes.len(), nodes_drawn, "{id}: one node per drawn node");
        let distinct: BTreeSet<&String> = nodes.iter().collect();
        assert_eq!(distinct.len(), nodes.len(), "{id}: node names repeat");
        assert!(!drawn.is_empty(), "{id}: draws no keys with its defaults");
        for (key, owner) in drawn {
            let owners = p
                .owners(&key)
                .unwrap_or_else(|| panic!("{id}: cannot place its own key {key}"));
            assert_eq!(owners[0], owner, "{id}: key {key}");
            assert!(owners.iter().all(|o| nodes.contains(o)), "{id}: {owners:?}");
        }
        assert_eq!(p.last_moved(), None, "{id}: nothing has changed yet");
        assert_eq!(p.last_moves(), None, "{id}: nothing has changed yet");
    }
}
