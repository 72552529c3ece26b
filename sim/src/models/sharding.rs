//! The sharding family's queries: where a key lives and what the last change moved.
//!
//! Every model of the consistent-hashing & sharding lessons places keys on named nodes
//! (servers on a ring, shards elsewhere) and answers [`Placement`]; it lists it in its
//! [`crate::model::Model::queries`]. Questions ("which server owns User123?"), the CLI's
//! `--key` and `--moves`, and compare mode's "what each change moved" ask it through
//! [`placement`], and get `None` from a model of another family. See [`crate::query`] for
//! how a run reaches it.

use crate::engine::Simulation;
use crate::models::common::share_percent;
use serde::{Deserialize, Serialize};

/// One key a placement change moved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Move {
    /// The key, named as [`Placement::owners`] accepts it.
    pub key: String,
    /// The node it was on.
    pub from: String,
    /// The node it is on now.
    pub to: String,
}

/// How many keys a placement change moved, of how many.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Moved {
    /// Keys that moved.
    pub keys: u64,
    /// Keys there were.
    pub total: u64,
}

impl Moved {
    /// The moved keys as a share of all keys, in percent (0 when there were none), as the
    /// `moved_percent` metric reports it.
    pub fn percent(self) -> f64 {
        share_percent(self.keys, self.total)
    }
}

/// Where a key sits in a slot table (Redis Cluster): its hash slot and the node serving it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotOf {
    /// The slot (`CLUSTER KEYSLOT`'s answer).
    pub slot: u32,
    /// The node that owns the slot, by name (`B`).
    pub node: String,
}

/// What a key-placement model answers beyond the common model shape.
pub trait Placement {
    /// The nodes keys are placed on now, in the model's order: servers on a ring (`A`, `B`),
    /// shards by number (`0`, `1`) elsewhere. [`Placement::owners`] answers with these names.
    fn nodes(&self) -> Vec<String>;
    /// Where the key named `key` lives: its owner first, then its replicas (if the model has
    /// any). `None` if the model cannot place a key of that name. Each model documents the
    /// names it accepts (`User123`, `13`, `user-13`, `acme/17`).
    fn owners(&self, key: &str) -> Option<Vec<String>>;
    /// How many keys the last placement change moved, of how many; `None` before the first.
    fn last_moved(&self) -> Option<Moved>;
    /// Every key the last placement change moved, in the model's order; `None` before the
    /// first change.
    fn last_moves(&self) -> Option<Vec<Move>>;
    /// The key's slot and the node serving it, for a model that places keys through a table of
    /// fixed slots (`hash-slots`); `None` (the default) for every other model.
    fn slot_of(&self, _key: &str) -> Option<SlotOf> {
        None
    }
}

/// The user id a key name gives, for the models whose keys are user ids: `13`, `user-13`,
/// `user_13`, `user 13`, `user:13`.
pub fn user_id(key: &str) -> Option<u64> {
    key.trim()
        .trim_start_matches("user")
        .trim_start_matches(['-', '_', ' ', ':'])
        .parse()
        .ok()
}

/// The run's model as a [`Placement`], if it places keys.
pub fn placement(run: &dyn Simulation) -> Option<&dyn Placement> {
    run.query::<dyn Placement>()
}
