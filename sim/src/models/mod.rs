//! Lesson models: each wraps a mechanism from this crate in the common [`crate::model::Model`]
//! shape (parameters, inputs, events, frame, metrics).

pub mod balancer;
pub mod breakers;
pub mod bulkheads;
pub mod cache_expiry;
pub mod cache_policy;
pub mod cache_tiers;
pub mod cache_write;
pub mod caching;
pub mod chat_shards;
pub mod common;
pub mod directory;
pub mod hash_ring;
pub mod hot_keys;
pub mod idempotency;
pub mod lanes;
pub mod limiters;
pub mod modulo;
pub mod placement;
pub mod queueing;
pub mod range;
pub mod retries;
pub mod scatter_gather;
pub mod shard_view;
pub mod sharding;
pub mod shedding;
pub mod slots;
pub mod store_view;
