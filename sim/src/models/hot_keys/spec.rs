//! The hot-keys model's parameters and actions.

use super::{
    MAX_APP_SERVERS, MAX_CACHE, MAX_CACHE_NODES, MAX_KEYS, MAX_L1, MAX_OP_US, MAX_QUEUE,
    MAX_REPLICAS, MAX_SHARDS, MAX_SPLIT,
};
use crate::model::ActionSpec;
use crate::params::ParamSpec;

/// The parameters of the hot-keys lesson.
pub(super) fn specs() -> Vec<ParamSpec> {
    let mut specs = vec![
        ParamSpec::int("shards", "Shards", 8, 1, i64::from(MAX_SHARDS), 1)
            .help("How many shards the users are spread over (by jump consistent hash)."),
        ParamSpec::int("keys", "Users", 1000, 1, MAX_KEYS as i64, 1)
            .unit("keys")
            .help("How many user ids (0, 1, 2, …) are stored; each is one key."),
        ParamSpec::int("celebrity", "Celebrity user", 0, 0, MAX_KEYS as i64 - 1, 1).help(
            "The user id of the celebrity (a hot key). Must be below the number of users.",
        ),
        ParamSpec::int("celebrity_share", "Celebrity's share", 0, 0, 90, 1)
            .unit("%")
            .help("This share of all requests asks for the celebrity; 0 = no celebrity. The rest follow the key popularity below."),
        ParamSpec::int("write_percent", "Writes", 10, 0, 100, 1)
            .unit("%")
            .help("The share of requests that are writes. Writes go to primaries only and delete the cached copy."),
        ParamSpec::int("split", "Split the celebrity into", 1, 1, i64::from(MAX_SPLIT), 1)
            .unit("sub-keys")
            .help("Store the celebrity as k sub-keys user:ID#0 … #k−1, each hashed to its own shard (1 = not split)."),
        ParamSpec::choice(
            "split_mode",
            "Split scheme",
            "copies",
            &[
                ("copies", "Copies: write all, read one (read-heavy)"),
                ("counter", "Parts: write one, read all (write-heavy)"),
            ],
        )
        .help("Copies suit a read-heavy hot key (a profile); parts suit a write-heavy one (a like counter)."),
        ParamSpec::int("replicas", "Read replicas per shard", 0, 0, i64::from(MAX_REPLICAS), 1)
            .help("Each shard gets this many read replicas; reads spread evenly over the primary and its replicas, writes go to the primary."),
        ParamSpec::int("cache_size", "Cache size", 0, 0, i64::from(MAX_CACHE), 1)
            .unit("keys")
            .help("An LRU cache in front of the shards holding this many users (0 = none). Cache-aside: a read miss fills it, a write deletes the entry."),
        ParamSpec::int("cache_nodes", "Cache nodes", 1, 1, i64::from(MAX_CACHE_NODES), 1)
            .help("The cache is sharded over this many nodes: each key (and each copy of the celebrity) is hashed to one node, which holds an equal part of the cache size."),
        ParamSpec::int("hot_copies", "Copies of the celebrity in the cache", 1, 1, i64::from(MAX_CACHE_NODES), 1)
            .help("Store the celebrity in the cache as r copies user:ID#0 … #r−1: copy j on the j-th cache node after the celebrity's own, so up to one copy per node. A read asks one copy at random, a write deletes all r (1 = one copy)."),
        ParamSpec::int("l1_size", "Local cache per app server", 0, 0, i64::from(MAX_L1), 1)
            .unit("keys")
            .help("Each app server keeps its own small LRU cache of this many users (0 = none). Nobody invalidates it: an entry is dropped when its TTL runs out, so it can serve a value a write has replaced."),
        ParamSpec::int("l1_ttl_ms", "Local cache TTL", 1000, 1, 60_000, 1)
            .unit("ms")
            .help("How long an app server's local copy is used before it asks the cache again: the longest a reader can see a stale value."),
        ParamSpec::int("app_servers", "App servers", 8, 1, i64::from(MAX_APP_SERVERS), 1)
            .help("Requests are spread evenly over this many app servers; each has its own local cache."),
        ParamSpec::int("cache_op_us", "Cache operation time", 0, 0, MAX_OP_US as i64, 1)
            .unit("µs")
            .help("How long one cache node takes per operation (get, set or delete); operations queue first-in first-out. 0 = unlimited throughput (no queueing)."),
        ParamSpec::int("shard_op_us", "Shard request time", 0, 0, MAX_OP_US as i64, 1)
            .unit("µs")
            .help("How long a shard's node (primary or replica) takes per request; requests queue first-in first-out. 0 = unlimited throughput (no queueing)."),
        ParamSpec::int("queue_limit", "Queue limit", 100, 0, i64::from(MAX_QUEUE), 1)
            .unit("requests")
            .help("At most this many requests wait at one node (cache node or shard node); an arrival that finds the queue full is dropped."),
    ];
    specs.extend(crate::workload::specs(200));
    specs
}

/// The inputs a learner can apply.
pub(super) fn actions() -> Vec<ActionSpec> {
    vec![
        ActionSpec::new("celebrity", "Make a user the celebrity").arg("user id", Some("7")),
        ActionSpec::new("add-shard", "Add a shard"),
        ActionSpec::new("remove-shard", "Remove the last shard")
            .arg("shard (only the last can go)", None),
        ActionSpec::new("resize", "Resize to").arg("shard count", Some("16")),
        ActionSpec::new("add-keys", "Add users").arg("how many", Some("100")),
        ActionSpec::new("split", "Split the celebrity into").arg("sub-keys", Some("8")),
        ActionSpec::new("add-replica", "Add a read replica to every shard"),
        ActionSpec::new("remove-replica", "Remove a read replica from every shard"),
        ActionSpec::new("cache", "Set the cache size").arg("keys (0 = no cache)", Some("100")),
        ActionSpec::new("cache-nodes", "Set the cache nodes").arg("nodes", Some("8")),
    ]
}
