//! Family queries: questions only one family of models can answer (a key's owner, a cache
//! entry's position, a balancer's choice), asked of any run.
//!
//! [`Model`](crate::model::Model) is the shape every lesson's model shares; what only a family
//! knows stays out of it. Instead each family defines its own query trait next to its models
//! (the sharding family's is [`crate::models::sharding::Placement`]), and each model says, in
//! [`Model::queries`](crate::model::Model::queries), which of these traits it answers:
//!
//! ```ignore
//! fn queries() -> Queries<Self> {
//!     Queries::new().with::<dyn Placement>(|m| m)
//! }
//! ```
//!
//! Code that holds a `dyn Simulation` (the app, the CLI, questions, compare mode) asks
//! `run.query::<dyn Placement>()` and gets `Some(&dyn Placement)` from a model that answers it,
//! `None` from any other. A new family therefore adds its trait and its models, and edits
//! neither [`Model`](crate::model::Model) nor [`crate::engine::Simulation`].
//!
//! Why this shape: the alternatives were one method per family on `Model` (every model of
//! every family would carry the others' defaults, which is how `entities`, `owners` and
//! `last_moves` got there), or an enum of families in the registry (one family per model, and
//! a central list to edit). A model may answer several families' traits (a cache in front of
//! shards answers both), and `queries` has no default, so a model cannot be registered without
//! stating what it answers. That a model answering a trait also lists it is beyond the
//! compiler; `tests/suite/registry.rs` iterates every registered model and checks it per family
//! (for the sharding family: every model that draws a ring or shards answers `Placement`, and
//! its answers agree with its frame).
//!
//! What is not a family query: the actions panel asks every model the same question, "what can
//! this action's argument be now" (the servers `remove-server` can crash; later a cache's keys
//! or a balancer's backends), so that is part of the common shape instead:
//! [`ActionSpec::pick`](crate::model::ActionSpec::pick) marks such an action and
//! [`Model::choices`](crate::model::Model::choices) lists its values, each with the reason it
//! cannot be picked now, if any.
//!
//! How: a run keeps its model as `&dyn Any` and, for each trait `Q` the model answers, a
//! function from `&dyn Any` to `Option<&Q>` (a `'static` type, so it too can sit behind
//! `Any`). [`QueryTable::get`] finds the function for `Q` by its type and applies it. No
//! unsafe code; an answer borrows the run.

use crate::engine::Simulation;
use std::any::Any;
use std::fmt;
use std::marker::PhantomData;

/// Turns the erased model into the query trait object `Q`, if the model is of the right type.
type Cast<Q> = Box<dyn for<'a> Fn(&'a dyn Any) -> Option<&'a Q>>;

/// The family query traits a model answers, as [`crate::model::Model::queries`] declares
/// them.
pub struct Queries<M> {
    table: QueryTable,
    model: PhantomData<fn(&M)>,
}

impl<M: 'static> Queries<M> {
    /// Answers no family's queries (yet).
    pub fn new() -> Self {
        Queries {
            table: QueryTable::default(),
            model: PhantomData,
        }
    }

    /// Also answers `Q`, a family's query trait written as `dyn Trait`; `cast` is `|m| m`
    /// (the coercion from the model to the trait object, which needs the model to implement
    /// the trait).
    pub fn with<Q: ?Sized + 'static>(mut self, cast: fn(&M) -> &Q) -> Self {
        let erased: Cast<Q> = Box::new(move |model| model.downcast_ref::<M>().map(cast));
        self.table.casts.push(Box::new(erased));
        self
    }
}

impl<M: 'static> Default for Queries<M> {
    fn default() -> Self {
        Self::new()
    }
}

impl<M> From<Queries<M>> for QueryTable {
    fn from(q: Queries<M>) -> QueryTable {
        q.table
    }
}

/// A model's [`Queries`] with the model's type erased: what a run keeps.
#[derive(Default)]
pub struct QueryTable {
    casts: Vec<Box<dyn Any>>,
}

impl QueryTable {
    /// `model` as the query trait object `Q`, if the table's model answers `Q` (and `model`
    /// is of that model's type).
    pub fn get<'a, Q: ?Sized + 'static>(&self, model: &'a dyn Any) -> Option<&'a Q> {
        self.casts
            .iter()
            .find_map(|c| c.downcast_ref::<Cast<Q>>())
            .and_then(|cast| cast(model))
    }

    /// How many query traits the model answers.
    pub fn len(&self) -> usize {
        self.casts.len()
    }

    /// Whether the model answers no family's queries.
    pub fn is_empty(&self) -> bool {
        self.casts.is_empty()
    }
}

impl fmt::Debug for QueryTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "QueryTable({} traits)", self.casts.len())
    }
}

impl<'s> dyn Simulation + 's {
    /// The run's model as the family query trait `Q` (`run.query::<dyn Placement>()`), or
    /// `None` if the model does not answer it.
    pub fn query<Q: ?Sized + 'static>(&self) -> Option<&Q> {
        self.queries().get(self.model_any())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    trait Named {
        fn name(&self) -> String;
    }
    trait Counted {
        fn count(&self) -> u32;
    }
    struct Both;
    impl Named for Both {
        fn name(&self) -> String {
            "both".into()
        }
    }
    impl Counted for Both {
        fn count(&self) -> u32 {
            2
        }
    }
    struct Other;

    #[test]
    fn a_table_answers_exactly_the_traits_it_lists() {
        let table: QueryTable = Queries::<Both>::new().with::<dyn Named>(|m| m).into();
        let model: &dyn Any = &Both;
        assert_eq!(
            table.get::<dyn Named>(model).map(|n| n.name()),
            Some("both".into())
        );
        assert!(
            table.get::<dyn Counted>(model).is_none(),
            "Both implements Counted but does not list it"
        );
        assert_eq!(table.len(), 1);
    }

    #[test]
    fn a_model_may_answer_several_families() {
        let table: QueryTable = Queries::<Both>::new()
            .with::<dyn Named>(|m| m)
            .with::<dyn Counted>(|m| m)
            .into();
        let model: &dyn Any = &Both;
        assert_eq!(table.get::<dyn Counted>(model).map(|c| c.count()), Some(2));
        assert!(table.get::<dyn Named>(model).is_some());
    }

    #[test]
    fn another_models_value_answers_nothing() {
        let table: QueryTable = Queries::<Both>::new().with::<dyn Named>(|m| m).into();
        assert!(table.get::<dyn Named>(&Other).is_none());
        assert!(QueryTable::default().get::<dyn Named>(&Both).is_none());
    }
}
