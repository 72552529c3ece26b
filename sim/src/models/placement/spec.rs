//! The placement model's parameters and actions. `shards`, `keys`, `ids` and the workload
//! parameters mean exactly what they mean for the modulo model, so compare mode can run both on
//! one timeline.

use super::{MAX_CAPACITY, MAX_KEYS, MAX_SERVICE_MS, MAX_SHARDS};
use crate::model::ActionSpec;
use crate::params::ParamSpec;

/// The parameters of the hashing-strategies lesson.
pub(super) fn specs() -> Vec<ParamSpec> {
    let mut specs = vec![
        ParamSpec::choice(
            "strategy",
            "Strategy",
            "ring",
            &[
                ("modulo", "hash % N"),
                ("ring", "Hash ring (virtual nodes)"),
                ("ketama", "Ketama (memcached clients)"),
                ("jump", "Jump consistent hash"),
                ("rendezvous", "Rendezvous (highest random weight)"),
                ("bounded", "Ring with bounded loads"),
                ("slots", "Slot table (16,384 slots)"),
            ],
        )
        .help("How a key's shard is chosen. Every strategy hashes the same key string, user:ID."),
        ParamSpec::int("shards", "Shards", 4, 1, i64::from(MAX_SHARDS), 1).help(
            "How many servers (shards 0..N−1, addresses 10.0.1.1:11211, 10.0.1.2:11211, …).",
        ),
        ParamSpec::int("keys", "Keys", 1_000, 1, MAX_KEYS, 1)
            .unit("keys")
            .help("How many user ids to place."),
        ParamSpec::choice(
            "ids",
            "User ids",
            "sequential",
            &[
                ("sequential", "Sequential (0, 1, 2, …)"),
                ("random", "Random (from the seed)"),
            ],
        )
        .help("Which user ids exist. Every strategy hashes the key string, so both spread evenly."),
        ParamSpec::int("vnodes", "Virtual nodes", 100, 1, 1_000, 1)
            .unit("per server")
            .help("Ring and bounded: points per server (per unit of weight) on the ring."),
        ParamSpec::choice(
            "hash",
            "Ring hash",
            "murmur3",
            &[("murmur3", "MurmurHash3 x86_32"), ("fnv1a", "FNV-1a 32-bit")],
        )
        .help("Ring and bounded: the hash that puts servers and keys on the ring."),
        ParamSpec::text("weights", "Weights", "", 400).help(
            "Comma-separated whole numbers, one per shard in index order (1,1,2,1); missing ones are 1, extra ones unused. hash % N and jump hash cannot use weights.",
        ),
        ParamSpec::choice(
            "ketama_flavor",
            "Ketama client",
            "libketama",
            &[
                ("libketama", "libketama (last.fm)"),
                ("libmemcached", "libmemcached, weighted"),
                ("spymemcached", "spymemcached (no weights)"),
                ("spymemcached-weighted", "spymemcached with weights"),
            ],
        )
        .help("Ketama: which client's continuum to build; a key lands where that client sends it."),
        ParamSpec::float("epsilon", "Bounded-load ε", 0.25, 0.0, 4.0, 0.05).help(
            "Bounded: no server holds more than ⌈(1 + ε) · keys / servers⌉ keys; 0 is perfectly even.",
        ),
        ParamSpec::choice(
            "bound",
            "Bounded loads bound",
            "keys",
            &[
                ("keys", "Keys placed (Mirrokni et al.)"),
                ("requests", "Live requests (HAProxy)"),
            ],
        )
        .help("Bounded: cap keys held, or requests in service now (HAProxy)."),
        ParamSpec::int("service_ms", "Service time", 50, 1, MAX_SERVICE_MS, 1)
            .unit("ms")
            .help("Live bound: mean time a request holds its server."),
        ParamSpec::choice(
            "modulo_hash",
            "hash % N hash",
            "fnv1a64",
            &[("fnv1a64", "FNV-1a 64-bit"), ("md5", "MD5 (as a 128-bit number)")],
        )
        .help("hash % N: the hash; MD5 is read as one 128-bit number."),
        ParamSpec::text("names", "Server names", "", 400).help(
            "One name per shard (mumbai,delhi), hashed in place of the address.",
        ),
        ParamSpec::text("capacities", "Capacities", "", 400).help(
            "One whole number per shard (150,120,180,50), in the unit of Population.",
        ),
        ParamSpec::int("population", "Population", 0, 0, MAX_CAPACITY as i64, 1).help(
            "Users the keys stand for, in the unit of Capacities (0: the keys).",
        ),
    ];
    specs.extend(crate::workload::specs(10));
    specs
}

/// The inputs a learner can apply.
pub(super) fn actions() -> Vec<ActionSpec> {
    vec![
        ActionSpec::new("add-shard", "Add a shard"),
        ActionSpec::new("remove-shard", "Remove a shard")
            .arg("shard index (blank: the last)", None),
        ActionSpec::new("resize", "Resize to").arg("shard count", Some("5")),
        ActionSpec::new("add-keys", "Add keys").arg("how many", Some("100")),
        ActionSpec::new("set-weight", "Set a weight").arg("INDEX=WEIGHT", Some("0=2")),
    ]
}
