//! The registry: every kind of frame and every model, one line each, and starting a run of any
//! of them. (The lessons that drive them are compiled by the build into the `catalog` crate.)
//!
//! - **A new kind of diagram** is one line under `frames`: the variant of [`Frame`] and the
//!   frame type its models report. The registry writes the variant and the `From` impl that
//!   turns the model's own frame into a [`Frame`], so models never name [`Frame`] (they say
//!   `type Frame = RingFrame` and return one). The app's `src/diagrams/mod.rs` matches on
//!   [`Frame`] without a wildcard arm, so a variant added here without a diagram there does not
//!   compile.
//! - **A new model** is one line under `models`. [`MODELS`], [`specs`] and the runs
//!   [`start`] builds all come from this list. A model whose frame type is not
//!   registered does not compile (`Model::Frame: Into<Frame>`); the family queries it answers
//!   are declared by the model itself ([`crate::model::Model::queries`], see [`crate::query`]).
//!
//! A line under either list may carry `#[cfg(feature = "…")]`: every item written from it (the
//! [`Frame`] variant and its `From` impl; the model's entry in [`MODELS`], [`specs`] and
//! [`start_with`]) then exists only with that feature. Each family's models sit behind its
//! feature (`hashing`, `caching`, `balancing`, `resilience`) this way, so a family's engine links only its own
//! and the app none. A model the build does not link runs through a source the app installs
//! ([`install`]: an engine in another wasm).
//!
//! `tests/suite/registry.rs` runs every registered model once with its default parameters.

use crate::engine::{BuildError, Simulation};
use crate::models::balancer::frame::BalanceFrame;
#[cfg(feature = "balancing")]
use crate::models::balancer::BalancerModel;
use crate::models::cache_policy::frame::CacheFrame;
#[cfg(feature = "caching")]
use crate::models::cache_policy::CachePolicyModel;
use crate::models::hash_ring::RingFrame;
use crate::models::lanes::LanesFrame;
#[cfg(feature = "resilience")]
use crate::models::retries::RetriesModel;
use crate::models::shard_view::ShardFrame;
#[cfg(feature = "resilience")]
use crate::models::shedding::SheddingModel;
use crate::models::store_view::StoreFrame;
#[cfg(feature = "resilience")]
use crate::models::{
    breakers::BreakerModel, bulkheads::BulkheadModel, idempotency::IdempotencyModel,
    limiters::LimiterModel,
};
#[cfg(feature = "caching")]
use crate::models::{cache_expiry::CacheExpiry, cache_tiers::CacheTiers, cache_write::CacheWrite};
#[cfg(feature = "hashing")]
use crate::models::{
    chat_shards::ChatShards, directory::DirectoryModel, hash_ring::HashRingModel,
    hot_keys::HotKeys, modulo::ModuloShards, placement::PlacementModel, range::RangeShards,
    scatter_gather::ScatterGather, slots::HashSlots,
};
use crate::params::{ParamSet, ParamSpec};
use crate::scenario::{Scenario, TimedInput};
use crate::time::SimTime;
// Used by every model line: a build that links no family (the app, once its runs are remote)
// has none.
#[allow(unused_imports)]
use crate::{engine::Run, model::Model};
#[cfg(feature = "remote-models")]
use std::cell::RefCell;
use std::rc::Rc;

/// Writes [`Frame`] and its `From` impls from the `frames` list, and [`MODELS`], [`specs`] and
/// [`start_with`] from the `models` list.
macro_rules! registry {
    (
        frames { $( $(#[$doc:meta])* $kind:ident($frame:ty), )+ }
        models { $( $(#[$cfg:meta])* $model:ty, )+ }
    ) => {
        /// What a view draws at one moment: one variant per kind of diagram. Shared (`Rc`) so
        /// that comparing two frames of an unchanged run is cheap. A serde value, because it
        /// crosses from a simulation engine to the app ([`crate::remote`]).
        #[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
        pub enum Frame {
            $( $(#[$doc])* $kind(Rc<$frame>), )+
        }

        $(
            $(#[$doc])*
            impl From<$frame> for Frame {
                fn from(frame: $frame) -> Frame {
                    Frame::$kind(Rc::new(frame))
                }
            }
        )+

        /// The ids of every model.
        pub const MODELS: &[&str] = &[$($(#[$cfg])* <$model>::ID),+];

        /// The parameter specs of a model this build links.
        fn local_specs(model: &str) -> Option<Vec<ParamSpec>> {
            let _ = model; // used by no line in a build that links none
            $(
                $(#[$cfg])*
                if model == <$model>::ID {
                    return Some(<$model>::specs());
                }
            )+
            None
        }

        /// Starts a run of a model this build links, from parameters that were already
        /// resolved.
        fn local_start_with(
            model: &str,
            params: ParamSet,
            seed: u64,
            inputs: Vec<TimedInput>,
            until: SimTime,
        ) -> Result<Box<dyn Simulation>, BuildError> {
            $(
                $(#[$cfg])*
                if model == <$model>::ID {
                    return Ok(Box::new(Run::<$model>::with_params(params, seed, inputs, until)?));
                }
            )+
            let _ = (params, seed, inputs, until); // as in `local_specs`
            Err(BuildError::UnknownModel(model.to_string()))
        }
    };
}

// The list. A new kind of diagram: one line under `frames`. A new model: one line under `models`.
registry! {
    frames {
        /// A consistent-hash ring.
        Ring(RingFrame),
        /// Shards as buckets of keys.
        Shards(ShardFrame),
        /// Stores a request passes (clients, caches, a write-behind buffer, the database) with
        /// their entries' versions and states, and the last flow's path.
        Stores(StoreFrame),
        /// A cache: one eviction policy's segments, ghosts and hand.
        Cache(CacheFrame),
        /// Servers behind a load balancer: what each holds and what the balancer sees of it,
        /// the requests in flight, and why the last one went where it did.
        Balance(BalanceFrame),
        /// Mechanisms side by side on one stream of requests (rate limiters, breakers,
        /// retry strategies): a strip of recent decisions and a gauge of state per lane.
        Lanes(LanesFrame),
    }
    models {
        #[cfg(feature = "hashing")]
        HashRingModel,
        #[cfg(feature = "hashing")]
        ModuloShards,
        #[cfg(feature = "hashing")]
        PlacementModel,
        #[cfg(feature = "hashing")]
        HotKeys,
        #[cfg(feature = "hashing")]
        ScatterGather,
        #[cfg(feature = "hashing")]
        DirectoryModel,
        #[cfg(feature = "hashing")]
        RangeShards,
        #[cfg(feature = "hashing")]
        ChatShards,
        #[cfg(feature = "hashing")]
        HashSlots,
        #[cfg(feature = "caching")]
        CacheExpiry,
        #[cfg(feature = "caching")]
        CacheWrite,
        #[cfg(feature = "caching")]
        CachePolicyModel,
        #[cfg(feature = "caching")]
        CacheTiers,
        #[cfg(feature = "balancing")]
        BalancerModel,
        #[cfg(feature = "resilience")]
        LimiterModel,
        #[cfg(feature = "resilience")]
        BreakerModel,
        #[cfg(feature = "resilience")]
        RetriesModel,
        #[cfg(feature = "resilience")]
        IdempotencyModel,
        #[cfg(feature = "resilience")]
        BulkheadModel,
        #[cfg(feature = "resilience")]
        SheddingModel,
    }
}

/// Runs of the models a build does not link: an engine in another wasm
/// ([`crate::remote::RemoteModels`]) that the app installs with [`install`] once it has loaded.
pub trait Models {
    /// The parameter specs of `model`, or `None` when this source does not run it.
    fn specs(&self, model: &str) -> Option<Vec<ParamSpec>>;

    /// Starts a run of `model` from parameters already resolved against [`Models::specs`].
    fn start_with(
        &self,
        model: &str,
        params: ParamSet,
        seed: u64,
        inputs: Vec<TimedInput>,
        until: SimTime,
    ) -> Result<Box<dyn Simulation>, BuildError>;

    /// Makes an uploaded trace ([`crate::cache::attach`]) available to this source's runs.
    fn attach(&self, file: &crate::cache::attach::TraceFile) {
        let _ = file;
    }
}

#[cfg(feature = "remote-models")]
thread_local! {
    /// The installed sources, asked in the order they were installed.
    static ELSEWHERE: RefCell<Vec<Rc<dyn Models>>> = const { RefCell::new(Vec::new()) };
}

/// Makes `models` answer [`specs`], [`start`] and [`start_with`] for every model this build does
/// not link (a linked model is always run here). Per thread: the app has one; each test thread
/// installs its own. (Feature `remote-models`.)
#[cfg(feature = "remote-models")]
pub fn install(models: Rc<dyn Models>) {
    for file in crate::cache::attach::files() {
        models.attach(&file);
    }
    ELSEWHERE.with(|e| e.borrow_mut().push(models));
}

/// Gives a newly attached trace to every installed source ([`Models::attach`]).
pub fn attached(file: &crate::cache::attach::TraceFile) {
    for models in elsewhere() {
        models.attach(file);
    }
}

/// Forgets every source [`install`] added on this thread. (Feature `remote-models`.)
#[cfg(feature = "remote-models")]
pub fn uninstall_all() {
    ELSEWHERE.with(|e| e.borrow_mut().clear());
}

/// The installed sources (cloned out, so that a source may itself use the registry).
#[cfg(feature = "remote-models")]
fn elsewhere() -> Vec<Rc<dyn Models>> {
    ELSEWHERE.with(|e| e.borrow().clone())
}

/// None without the `remote-models` feature: the fallbacks below compile away.
#[cfg(not(feature = "remote-models"))]
fn elsewhere() -> Vec<Rc<dyn Models>> {
    Vec::new()
}

/// The parameter specs of a model: linked here, or run by an installed source.
pub fn specs(model: &str) -> Option<Vec<ParamSpec>> {
    local_specs(model).or_else(|| elsewhere().iter().find_map(|m| m.specs(model)))
}

/// Starts a run of the model with this id from parameters that were already resolved (bad
/// overrides dropped): here when this build links the model, else in the first installed source
/// that runs it.
pub fn start_with(
    model: &str,
    params: ParamSet,
    seed: u64,
    inputs: Vec<TimedInput>,
    until: SimTime,
) -> Result<Box<dyn Simulation>, BuildError> {
    if MODELS.contains(&model) {
        return local_start_with(model, params, seed, inputs, until);
    }
    match elsewhere().into_iter().find(|m| m.specs(model).is_some()) {
        Some(m) => m.start_with(model, params, seed, inputs, until),
        None => Err(BuildError::UnknownModel(model.to_string())),
    }
}

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
