//! The range-sharding model's parameters and actions, and the parsing of ids typed by a learner.

use crate::model::ActionSpec;
use crate::params::ParamSpec;

/// The largest id the key space may reach (10^12: room for millisecond timestamps).
pub const MAX_ID_LIMIT: i64 = 1_000_000_000_000;
/// The most keys a run starts with.
pub const MAX_KEYS: i64 = 10_000;
/// The most keys one `add-keys` adds.
pub const MAX_ADD_KEYS: u64 = 10_000;
/// The longest service time a request may be given, in ms.
pub const MAX_SERVICE_MS: i64 = 10_000;
/// The longest queue a shard may be given.
pub const MAX_QUEUE: i64 = 10_000;

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

/// What a split does with the new range's keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SplitMoves {
    /// The upper half goes to a new node at once (split and move as one step).
    Now,
    /// A split only changes the range table: both halves stay on their node until a move (the
    /// `move` action, or the rebalancer after `rebalance_ms`) relocates one, as in HBase and
    /// CockroachDB.
    Later,
}

/// Where a split without a given point cuts a range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SplitBy {
    /// At the median key: each half holds half the keys (size-based splitting).
    Size,
    /// At the median of the range's recent requests: each half took half of them (load-based
    /// splitting).
    Load,
}

impl SplitMoves {
    /// From the `split_moves` parameter.
    pub fn from_param(v: &str) -> Self {
        if v == "later" {
            SplitMoves::Later
        } else {
            SplitMoves::Now
        }
    }
}

impl SplitBy {
    /// From the `split_by` parameter.
    pub fn from_param(v: &str) -> Self {
        if v == "load" {
            SplitBy::Load
        } else {
            SplitBy::Size
        }
    }
}

/// The columns an SQL expression reads: its identifiers that are not function names
/// (`TO_DAYS(created_at)` → `created_at`) or inside a string literal, lower-cased.
pub fn columns_of(expr: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut rest = expr;
    while let Some(i) = rest.find(|c: char| c.is_ascii_alphabetic() || c == '_' || c == '\'') {
        rest = &rest[i..];
        if let Some(lit) = rest.strip_prefix('\'') {
            rest = lit.split_once('\'').map_or("", |(_, r)| r);
            continue;
        }
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        let word = rest[..end].to_ascii_lowercase();
        rest = &rest[end..];
        if !rest.trim_start().starts_with('(') && !out.contains(&word) {
            out.push(word);
        }
    }
    out
}

/// MySQL's rule for a partitioned table (Reference Manual, "Partitioning Keys, Primary Keys, and
/// Unique Keys"): every unique key, the primary key included, must use every column of the
/// partitioning expression. Returns MySQL's own error (ER_UNIQUE_KEY_NEED_ALL_FIELDS_IN_PF, 1503)
/// and the columns missing from the key.
pub fn check_primary_key(
    partition_by: &str,
    primary_key: &str,
) -> Result<(), (String, Vec<String>)> {
    let key = columns_of(primary_key);
    let missing: Vec<String> = columns_of(partition_by)
        .into_iter()
        .filter(|c| !key.contains(c))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err((
            "ERROR 1503 (HY000): A PRIMARY KEY must include all columns in the table's partitioning function".to_string(),
            missing,
        ))
    }
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
        ParamSpec::int("read_ms", "Read service time", 50, 0, MAX_SERVICE_MS, 1)
            .unit("ms")
            .help("A node's work per read; it serves one request at a time."),
        ParamSpec::int("write_ms", "Write service time", 100, 0, MAX_SERVICE_MS, 1)
            .unit("ms")
            .help("How long a shard's node works on one write."),
        ParamSpec::int("queue_limit", "Queue limit", 100, 0, MAX_QUEUE, 1)
            .unit("requests")
            .help("Requests that may wait at a node; more fail."),
    ];
    specs.extend([
        ParamSpec::choice(
            "split_moves",
            "A split",
            "now",
            &[
                ("now", "Moves the upper half to a new node"),
                ("later", "Changes only the table; a move comes later"),
            ],
        )
        .help("Later: a split only edits the range table; keys move when a range is moved."),
        ParamSpec::int("rebalance_ms", "Rebalancer delay", 0, 0, 60_000, 100)
            .unit("ms")
            .help(
                "After a split that only edits the table, the rebalancer moves the new range to \
                   the node with the fewest keys this long later; 0: never.",
            ),
        ParamSpec::choice(
            "split_by",
            "Split point",
            "size",
            &[
                ("size", "Size: the median key"),
                ("load", "Load: halves the recent requests"),
            ],
        )
        .help("Where a split cuts: at the median key, or at the median of recent requests."),
        ParamSpec::text("partition_by", "Partitioning expression", "id", 120)
            .help("The SQL expression the ranges cut, e.g. TO_DAYS(created_at)."),
        ParamSpec::text("primary_key", "Primary key", "id", 120)
            .help("Its columns, comma-separated; MySQL needs every partitioning column in it."),
    ]);
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
        ActionSpec::new("move", "Move a range").arg("shard[:node]", Some("1")),
        ActionSpec::new("remove-shard", "Remove a shard").arg("shard (optional)", None),
        ActionSpec::new("resize", "Resize to").arg("shard count", Some("4")),
        ActionSpec::new("add-keys", "Add new keys").arg("count", Some("10")),
        ActionSpec::new("insert", "Insert an id").arg("id", Some("150000")),
        ActionSpec::new("lookup", "Look up an id").arg("id", Some("150000")),
        ActionSpec::new("scan", "Range scan").arg("lo-hi", Some("150000-250000")),
    ]
}
