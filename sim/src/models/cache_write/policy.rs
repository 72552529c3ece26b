//! The policies and the model's parameters.

use crate::params::ParamSpec;

/// How reads fill the cache and where writes go (see the module doc).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    /// Read: cache, on a miss the database and fill. Write: the database, then delete.
    CacheAside,
    /// Cache-aside's writes; the cache loads misses itself, once per key.
    ReadThrough,
    /// Writes go through the cache to the database synchronously.
    WriteThrough,
    /// The cache takes writes and flushes them in batches.
    WriteBehind,
    /// Writes go to the database only.
    WriteAround,
    /// Buggy: write-through that re-reads through the cache and re-caches what it finds.
    WriteThroughRecache,
    /// Buggy: write-behind whose flusher writes one write, then sleeps.
    WriteBehindOne,
    /// Buggy: write-through that sets the cache before the database write, which may fail.
    WriteThroughCacheFirst,
}

/// Every policy: (id, label).
pub const POLICIES: &[(&str, &str)] = &[
    ("cache-aside", "Cache-aside (delete on write)"),
    ("read-through", "Read-through"),
    ("write-through", "Write-through"),
    ("write-behind", "Write-behind (write-back)"),
    ("write-around", "Write-around"),
    (
        "write-through-recache",
        "Buggy write-through: re-reads via the cache",
    ),
    (
        "write-behind-one",
        "Buggy write-behind: one write, then sleep",
    ),
    (
        "write-through-cache-first",
        "Buggy write-through: the cache first, then the database",
    ),
];

impl Policy {
    /// The policy with this id (cache-aside for an unknown one: the spec has validated it).
    pub fn from_id(id: &str) -> Self {
        match id {
            "read-through" => Policy::ReadThrough,
            "write-through" => Policy::WriteThrough,
            "write-behind" => Policy::WriteBehind,
            "write-around" => Policy::WriteAround,
            "write-through-recache" => Policy::WriteThroughRecache,
            "write-behind-one" => Policy::WriteBehindOne,
            "write-through-cache-first" => Policy::WriteThroughCacheFirst,
            _ => Policy::CacheAside,
        }
    }

    /// Its id.
    pub fn id(self) -> &'static str {
        match self {
            Policy::CacheAside => "cache-aside",
            Policy::ReadThrough => "read-through",
            Policy::WriteThrough => "write-through",
            Policy::WriteBehind => "write-behind",
            Policy::WriteAround => "write-around",
            Policy::WriteThroughRecache => "write-through-recache",
            Policy::WriteBehindOne => "write-behind-one",
            Policy::WriteThroughCacheFirst => "write-through-cache-first",
        }
    }

    /// Whether writes wait in the cache for a flush.
    pub fn is_write_behind(self) -> bool {
        matches!(self, Policy::WriteBehind | Policy::WriteBehindOne)
    }

    /// One line on what it does, for the diagram's caption.
    pub fn rule(self) -> &'static str {
        match self {
            Policy::CacheAside => "cache-aside: read the cache, on a miss the database and fill; write the database, then delete",
            Policy::ReadThrough => "read-through: the cache loads a miss once per key; write the database, then delete",
            Policy::WriteThrough => "write-through: a write updates the database, then the cache, before it is acknowledged",
            Policy::WriteBehind => "write-behind: the cache acknowledges a write at once and flushes in batches",
            Policy::WriteAround => "write-around: a write goes to the database only; the cache keeps what it had",
            Policy::WriteThroughRecache => "buggy write-through: after the database write, re-read through the cache and cache that",
            Policy::WriteBehindOne => "buggy write-behind: the flusher writes one write, then sleeps",
            Policy::WriteThroughCacheFirst => "buggy write-through: set the cache, then write the database (which may fail)",
        }
    }
}

/// The model's parameters.
pub fn specs() -> Vec<ParamSpec> {
    let mut specs = vec![
        ParamSpec::choice("policy", "Write policy", "cache-aside", POLICIES)
            .help("How reads fill the cache and where writes go."),
        ParamSpec::boolean("leases", "Leases", false).help(
            "A miss gets a token; a write's delete invalidates it and a fill with an invalid token is refused (memcache at Facebook).",
        ),
        ParamSpec::int("keys", "Keys", 4, 1, i64::from(super::MAX_KEYS), 1)
            .help("How many keys clients read and write (few, so that the diagram shows each)."),
        ParamSpec::float("read_rate", "Read rate", 8.0, 0.0, 200.0, 1.0)
            .unit("reads/s")
            .help("Reads per simulated second (a Poisson stream)."),
        ParamSpec::float("write_rate", "Write rate", 2.0, 0.0, 200.0, 0.5)
            .unit("writes/s")
            .help("Writes per simulated second (a Poisson stream)."),
        ParamSpec::int("ttl_ms", "Time to live", 10_000, 0, 3_600_000, 1_000)
            .unit("ms")
            .help("How long a cached entry lives after it is set (0: no expiry)."),
        ParamSpec::int("cache_ms", "Cache round trip", 1, 0, 1_000, 1).unit("ms"),
        ParamSpec::int("db_read_ms", "Database read", 20, 0, 10_000, 5).unit("ms"),
        ParamSpec::int("db_write_ms", "Database write", 30, 0, 10_000, 5).unit("ms"),
        ParamSpec::int("flush_ms", "Flush interval", 2_000, 100, 60_000, 100)
            .unit("ms")
            .help("Write-behind: how often pending writes are flushed (the buggy flusher's sleep)."),
        ParamSpec::int("batch", "Flush batch", 10, 1, 1_000, 1)
            .unit("writes")
            .help("Write-behind: flush as soon as this many writes are pending."),
        ParamSpec::int("race_delay_ms", "Race: reader's delay", 200, 0, 10_000, 10)
            .unit("ms")
            .help("How long reader A's database answer is held up in the race."),
    ];
    specs.extend(
        crate::workload::specs(1)
            .into_iter()
            .filter(|s| s.name != "request_rate"),
    );
    specs
}
