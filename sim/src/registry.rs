//! The model registry: every model the lessons can drive, by id. (The lessons themselves are
//! compiled by the build into the `catalog` crate.)

use crate::engine::{BuildError, Run, Simulation};
use crate::model::Model;
use crate::models::directory::DirectoryModel;
use crate::models::hash_ring::HashRingModel;
use crate::models::hot_keys::HotKeys;
use crate::models::modulo::ModuloShards;
use crate::models::placement::PlacementModel;
use crate::models::range::RangeShards;
use crate::models::scatter_gather::ScatterGather;
use crate::params::{ParamSet, ParamSpec};
use crate::scenario::{Scenario, TimedInput};
use crate::time::SimTime;

/// Declares every model once: its id in [`MODELS`], its specs in [`specs`] and its runs in
/// [`start_with`] all come from this one list.
macro_rules! registry {
    ($($model:ty),+ $(,)?) => {
        /// The ids of every model.
        pub const MODELS: &[&str] = &[$(<$model>::ID),+];

        /// The parameter specs of a model.
        pub fn specs(model: &str) -> Option<Vec<ParamSpec>> {
            $(if model == <$model>::ID {
                return Some(<$model>::specs());
            })+
            None
        }

        fn start_model(
            model: &str,
            params: ParamSet,
            seed: u64,
            inputs: Vec<TimedInput>,
            until: SimTime,
        ) -> Result<Box<dyn Simulation>, BuildError> {
            $(if model == <$model>::ID {
                return Ok(Box::new(Run::<$model>::with_params(params, seed, inputs, until)?));
            })+
            Err(BuildError::UnknownModel(model.to_string()))
        }
    };
}

registry!(
    HashRingModel,
    ModuloShards,
    PlacementModel,
    HotKeys,
    ScatterGather,
    DirectoryModel,
    RangeShards
);

/// Starts a run of the scenario's model. Every bad parameter override fails the start.
pub fn start(scenario: &Scenario) -> Result<Box<dyn Simulation>, BuildError> {
    let specs =
        specs(&scenario.model).ok_or_else(|| BuildError::UnknownModel(scenario.model.clone()))?;
    let overrides = scenario
        .params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()));
    let (params, errors) = ParamSet::resolve(&specs, overrides);
    if !errors.is_empty() {
        return Err(BuildError::Params(errors));
    }
    start_with(
        &scenario.model,
        params,
        scenario.seed,
        scenario.inputs.clone(),
        scenario.until,
    )
}

/// Starts a run from parameters that were already resolved (bad overrides dropped).
pub fn start_with(
    model: &str,
    params: ParamSet,
    seed: u64,
    inputs: Vec<TimedInput>,
    until: SimTime,
) -> Result<Box<dyn Simulation>, BuildError> {
    start_model(model, params, seed, inputs, until)
}
