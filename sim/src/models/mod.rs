//! Lesson models: each wraps a mechanism from this crate in the common [`crate::model::Model`]
//! shape (parameters, inputs, events, frame, metrics).

pub mod common;
pub mod hash_ring;
pub mod modulo;
pub mod range;
pub mod shard_view;
