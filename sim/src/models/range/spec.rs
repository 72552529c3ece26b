//! The range-sharding model's parameters and actions, and the parsing of ids typed by a learner.

use crate::model::ActionSpec;
use crate::params::ParamSpec;

/// The largest id the key space may reach (10^12: room for millisecond timestamps).
pub const MAX_ID_LIMIT: i64 = 1_000_000_000_000;
/// The most keys a run starts with.
pub const MAX_KEYS: i64 = 10_000;
/// The most keys one `add-keys` adds.
pub const MAX_ADD_KEYS: u64 = 10_000;

/// How ids map to shards.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Partition {
    /// By ranges of the id (the range table).
    Range,
    /// By `hash(id) % N` on the same ids.
    Hash,
}

/// What happens to an id outside `[min_id, max_id]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutOfRange {
    /// The router refuses it ("need a new train line!").
    Reject,
    /// The nearest end range takes it silently (the unchecked `else` branch).
    Clamp,
}

/// How the keys' ids are chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdOrder {
    /// Uniformly at random in the space.
    Uniform,
    /// `min_id`, `min_id + 1`, … (auto-increment sign-ups).
    Sequential,
    /// Increasing with random gaps, like creation timestamps.
    TimeOrdered,
}

impl Partition {
    /// From the `partition` parameter.
    pub fn from_param(v: &str) -> Self {
        if v == "hash" {
            Partition::Hash
        } else {
            Partition::Range
        }
    }
}

impl OutOfRange {
    /// From the `out_of_range` parameter.
    pub fn from_param(v: &str) -> Self {
        if v == "clamp" {
            OutOfRange::Clamp
        } else {
            OutOfRange::Reject
        }
    }
}

impl IdOrder {
    /// From the `ids` parameter.
    pub fn from_param(v: &str) -> Self {
        match v {
            "sequential" => IdOrder::Sequential,
            "time" => IdOrder::TimeOrdered,
            _ => IdOrder::Uniform,
        }
    }
    /// How the narration names it.
    pub fn label(self) -> &'static str {
        match self {
            IdOrder::Uniform => "random",
            IdOrder::Sequential => "sequential",
            IdOrder::TimeOrdered => "time-ordered",
        }
    }
}

/// The parameters of the range-sharding model.
pub fn specs() -> Vec<ParamSpec> {
    let mut specs = vec![
        ParamSpec::int("min_id", "Smallest id", 1, 0, MAX_ID_LIMIT - 1, 1)
            .help("The first id of the key space."),
        ParamSpec::int("max_id", "Largest id", 300_000, 1, MAX_ID_LIMIT, 1)
            .help("The last id of the key space; it must be above the smallest id."),
        ParamSpec::text("boundaries", "Split points", "100000,200000", 800).help(
            "Ascending ids, comma-separated: each is the last id of its range, so 100000,200000 \
             gives 1–100,000, 100,001–200,000 and 200,001–300,000. Empty: one shard.",
        ),
        ParamSpec::text("names", "Shard names", "", 400).help(
            "Optional comma-separated names for the shards, lowest range first \
             (Sector 1,Sector 2,Sector 3). Shards without a name are called Shard 0, Shard 1…",
        ),
        ParamSpec::choice(
            "out_of_range",
            "Ids outside the space",
            "reject",
            &[
                ("reject", "Reject (need a new range!)"),
                ("clamp", "Clamp to the end ranges (unchecked lookup)"),
            ],
        )
        .help(
            "Reject: the router refuses ids below the smallest or above the largest id. Clamp: \
             they land silently on the first or last range, as an if/elif/else lookup without a \
             bounds check does.",
        ),
        ParamSpec::choice(
            "partition",
            "Partitioning",
            "range",
            &[("range", "By range of id"), ("hash", "By hash(id) % N")],
        )
        .help(
            "Range keeps neighbouring ids together (cheap scans, hot tail); hash scatters them \
             (even writes, every scan asks every shard). Hash uses as many shards as there are \
             ranges.",
        ),
        ParamSpec::int("keys", "Keys", 30, 0, MAX_KEYS, 1)
            .unit("keys")
            .help("How many ids exist at the start."),
        ParamSpec::choice(
            "ids",
            "Ids",
            "uniform",
            &[
                ("uniform", "Random in the space"),
                ("sequential", "Sequential (auto-increment)"),
                ("time", "Time-ordered (timestamps)"),
            ],
        )
        .help(
            "How ids are chosen, for the starting keys and for every new one. Sequential and \
             time-ordered ids only grow, so every new key lands at the top of the space.",
        ),
        ParamSpec::int("time_gap", "Mean timestamp gap", 1_000, 1, 1_000_000, 1)
            .unit("ms")
            .help("For time-ordered ids: the average gap between consecutive ids."),
        ParamSpec::int("insert_rate", "Insert rate", 0, 0, 200, 1)
            .unit("writes/s")
            .help("New keys per simulated second (a Poisson stream), with ids from the Ids rule."),
    ];
    specs.extend(crate::workload::specs(5));
    specs
}

/// The inputs the range-sharding model accepts.
pub fn actions() -> Vec<ActionSpec> {
    vec![
        ActionSpec::new("split", "Split a shard").arg("shard[:split point]", Some("0")),
        ActionSpec::new("merge", "Merge with right neighbour").arg("shard", Some("0")),
        ActionSpec::new("set-boundaries", "Set split points")
            .arg("ascending ids", Some("100000,200000")),
        ActionSpec::new("add-shard", "Split the fullest shard"),
        ActionSpec::new("remove-shard", "Remove a shard").arg("shard (optional)", None),
        ActionSpec::new("resize", "Resize to").arg("shard count", Some("4")),
        ActionSpec::new("add-keys", "Add new keys").arg("count", Some("10")),
        ActionSpec::new("insert", "Insert an id").arg("id", Some("150000")),
        ActionSpec::new("lookup", "Look up an id").arg("id", Some("150000")),
        ActionSpec::new("scan", "Range scan").arg("lo-hi", Some("150000-250000")),
    ]
}
