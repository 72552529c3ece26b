//! The registries: every model, every family and every lesson file, compiled in.

use crate::engine::{BuildError, Simulation};
use crate::lesson::{Lesson, LessonError};
use crate::params::ParamSet;
use crate::scenario::{Scenario, TimedInput};
use crate::time::SimTime;

/// A family of lessons on the home page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Family {
    /// Identifier used in lesson files.
    pub id: &'static str,
    /// Title.
    pub title: &'static str,
    /// One sentence.
    pub blurb: &'static str,
}

/// Every family, in home-page order.
pub const FAMILIES: &[Family] = &[Family {
    id: "hashing",
    title: "Consistent hashing & sharding",
    blurb: "Where does a key live, and what moves when servers come and go?",
}];

/// Every lesson file, as `(path under lessons/, contents)`.
pub const LESSON_FILES: &[(&str, &str)] = &[
    (
        "hashing/consistent-hashing.toml",
        include_str!("../../lessons/hashing/consistent-hashing.toml"),
    ),
    (
        "hashing/modulo-sharding.toml",
        include_str!("../../lessons/hashing/modulo-sharding.toml"),
    ),
    (
        "hashing/range-sharding.toml",
        include_str!("../../lessons/hashing/range-sharding.toml"),
    ),
    (
        "hashing/directory-sharding.toml",
        include_str!("../../lessons/hashing/directory-sharding.toml"),
    ),
    (
        "hashing/hashing-strategies.toml",
        include_str!("../../lessons/hashing/hashing-strategies.toml"),
    ),
    (
        "hashing/hot-keys.toml",
        include_str!("../../lessons/hashing/hot-keys.toml"),
    ),
    (
        "hashing/cross-shard-queries.toml",
        include_str!("../../lessons/hashing/cross-shard-queries.toml"),
    ),
];

/// The models are listed in [`crate::registry`].
pub use crate::registry::{specs, MODELS};

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
    crate::registry::start_model(model, params, seed, inputs, until)
}

/// Every lesson, parsed. A file that fails to parse is returned as an error naming it.
pub fn lessons() -> Vec<Result<Lesson, LessonError>> {
    LESSON_FILES
        .iter()
        .map(|(path, text)| {
            Lesson::parse(text).map_err(|e| LessonError(format!("lessons/{path}: {e}")))
        })
        .collect()
}

/// The lesson with this id.
pub fn lesson(id: &str) -> Option<Lesson> {
    lessons().into_iter().flatten().find(|l| l.id == id)
}
