//! Every integration test of `sim`, as one test binary: one module per former `tests/*.rs` file.
//!
//! One binary instead of sixty-odd: each test binary is linked on its own, natively and again
//! for wasm32 (where wasm-bindgen also processes each one and Node starts once per binary), and
//! cargo runs the binaries one after another, so the per-binary cost was paid sixty times and the
//! cores idled at the tail of every file. Run one file's tests with a filter on its module:
//! `cargo test -p sim --test suite balance_bins::` (add `-- --ignored` for the long ones).

mod common;

mod backoff;
mod balance_bins;
mod balance_config;
mod balance_hashing;
mod balance_strategies;
mod balance_swrr;
mod balance_threshold;
mod balancer_model;
mod bounded_properties;
mod breaker;
mod breaker_model;
mod bulkheads;
mod cache_attach;
mod cache_classic;
mod cache_classic_models;
mod cache_experiments;
mod cache_expiry;
mod cache_min;
mod cache_modern;
mod cache_policy_model;
mod cache_theory;
mod cache_tiers;
mod cache_trace;
mod cache_workload;
mod cache_write;
mod compare;
mod directory_known_answers;
mod directory_properties;
mod directory_versions_and_phases;
mod engine;
mod golden;
mod hot_keys_capacity;
mod hot_keys_determinism;
mod hot_keys_known_answers;
mod hot_keys_properties;
mod idempotency;
mod jump_rendezvous_known_answers;
mod jump_rendezvous_properties;
mod ketama_known_answers;
mod limiters;
mod modulo_known_answers;
mod placement_known_answers;
mod placement_properties;
mod placement_runs;
mod placement_sites_and_live;
mod placement_slots;
mod range_directory_queueing;
mod range_known_answers;
mod range_properties;
mod range_split_then_move;
mod registry;
mod remote;
mod requests_known_answers;
mod requests_properties;
mod requests_theory;
mod requests_throughput;
mod resilience_throughput;
mod retries;
mod ring_frame;
mod ring_known_answers;
mod ring_modulo;
mod ring_properties;
mod ring_tokens;
mod scatter_determinism;
mod scatter_known_answers;
mod scatter_micro_partitions;
mod scatter_properties;
mod shedding;
mod slots_known_answers;
mod slots_properties;
mod sweep_runs;
mod sweeps;
mod theory;
