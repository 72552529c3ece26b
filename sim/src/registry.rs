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
//! [`start_with`]) then exists only with that feature. The load-balancing family is behind the
//! `balancing` feature this way, so the app (built without it) does not carry it.
//!
//! `tests/suite/registry.rs` runs every registered model once with its default parameters.

use crate::engine::{BuildError, Run, Simulation};
use crate::model::Model;
#[cfg(feature = "balancing")]
use crate::models::balancer::{frame::BalanceFrame, BalancerModel};
use crate::models::cache_expiry::CacheExpiry;
use crate::models::cache_policy::{frame::CacheFrame, CachePolicyModel};
use crate::models::cache_tiers::CacheTiers;
use crate::models::cache_write::CacheWrite;
use crate::models::chat_shards::ChatShards;
use crate::models::directory::DirectoryModel;
use crate::models::hash_ring::{HashRingModel, RingFrame};
use crate::models::hot_keys::HotKeys;
use crate::models::modulo::ModuloShards;
use crate::models::placement::PlacementModel;
use crate::models::range::RangeShards;
use crate::models::scatter_gather::ScatterGather;
use crate::models::shard_view::ShardFrame;
use crate::models::slots::HashSlots;
use crate::models::store_view::StoreFrame;
use crate::params::{ParamSet, ParamSpec};
use crate::scenario::{Scenario, TimedInput};
use crate::time::SimTime;
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

        /// The parameter specs of a model.
        pub fn specs(model: &str) -> Option<Vec<ParamSpec>> {
            $(
                $(#[$cfg])*
                if model == <$model>::ID {
                    return Some(<$model>::specs());
                }
            )+
            None
        }

        /// Starts a run of the model with this id from parameters that were already resolved
        /// (bad overrides dropped).
        pub fn start_with(
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
        #[cfg(feature = "balancing")]
        Balance(BalanceFrame),
    }
    models {
        HashRingModel,
        ModuloShards,
        PlacementModel,
        HotKeys,
        ScatterGather,
        DirectoryModel,
        RangeShards,
        ChatShards,
        HashSlots,
        CacheExpiry,
        CacheWrite,
        CachePolicyModel,
        CacheTiers,
        #[cfg(feature = "balancing")]
        BalancerModel,
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
