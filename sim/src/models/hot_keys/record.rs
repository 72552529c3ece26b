//! What the hot-keys model records, and how each record reads in the event log.

use super::route::{Hop, SplitMode};
use crate::models::common::share_percent;
use crate::trace::Narrate;

/// What the cache did for one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CacheStep {
    /// There is no cache.
    NoCache,
    /// A read found the key in the cache; no shard was asked.
    Hit,
    /// A read missed, asked the shards, and put the key in the cache (evicting one, maybe).
    Filled {
        /// The least recently used key pushed out to make room.
        evicted: Option<u64>,
    },
    /// A write went to the shards and deleted the key from the cache (cache-aside).
    Invalidated {
        /// Whether the key was cached.
        was_cached: bool,
    },
}

/// Where a request was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tier {
    /// A cache node, by number.
    Cache(u32),
    /// A shard's node: (shard, node), node 0 = the primary.
    Shard(u32, u32),
}

/// What the hot-keys model records.
#[derive(Clone, Debug, PartialEq)]
pub enum HotKeysRecord {
    /// The run started.
    Built {
        /// Shards.
        shards: u32,
        /// Users (keys).
        keys: u64,
        /// The celebrity's user id.
        celebrity: u64,
        /// Its share of requests, in percent.
        share: u32,
        /// Its shard (the first sub-key's, when split).
        celebrity_shard: u32,
    },
    /// A client request.
    Routed {
        /// The request's number in this measurement period.
        query: u64,
        /// The user asked for.
        key: u64,
        /// A write (else a read).
        write: bool,
        /// The key is the celebrity.
        celebrity: bool,
        /// The cache's part.
        cache: CacheStep,
        /// The shard requests it became (none on a cache hit).
        hops: Vec<Hop>,
    },
    /// An app server answered a read from its local cache.
    LocalHit {
        /// The request's number.
        query: u64,
        /// The user read.
        key: u64,
        /// The app server.
        app: u32,
        /// The value had been replaced by a write since it was cached.
        stale: bool,
    },
    /// A node's queue was full: the request failed.
    Dropped {
        /// The request's number.
        query: u64,
        /// The user asked for.
        key: u64,
        /// A write (else a read).
        write: bool,
        /// The node that refused it.
        tier: Tier,
    },
    /// The number of cache nodes changed.
    CacheNodes {
        /// Before.
        from: u32,
        /// After.
        to: u32,
        /// Cached keys that no longer fit on their new node.
        evicted: u64,
        /// The cache nodes holding the celebrity now (one per copy).
        celebrity: Vec<u32>,
    },
    /// The shard count changed.
    Resized {
        /// Before.
        from: u32,
        /// After.
        to: u32,
        /// Stored keys that changed shard.
        moved: u64,
        /// Stored keys in all.
        total: u64,
        /// The celebrity's shard before and after (its first sub-key's when split).
        celebrity: (u32, u32),
    },
    /// Users were added.
    KeysAdded {
        /// How many.
        added: u64,
        /// Users now.
        total: u64,
    },
    /// Another user became the celebrity.
    CelebrityChanged {
        /// The old celebrity.
        from: u64,
        /// The new one.
        to: u64,
        /// The new celebrity's shards (one per sub-key when split).
        shards: Vec<u32>,
        /// Its share of requests, in percent.
        share: u32,
    },
    /// The celebrity was split into sub-keys (or merged back with `k = 1`).
    Split {
        /// The celebrity.
        key: u64,
        /// Sub-keys.
        k: u32,
        /// How they are used.
        mode: SplitMode,
        /// Each sub-key's shard, by suffix.
        shards: Vec<u32>,
    },
    /// The number of read replicas per shard changed.
    Replicas {
        /// Before.
        from: u32,
        /// After.
        to: u32,
    },
    /// The cache was resized (0 = removed).
    CacheResized {
        /// Before.
        from: u32,
        /// After.
        to: u32,
        /// Keys evicted because they no longer fit.
        evicted: u64,
    },
    /// A shard's request load passed twice the mean.
    HotShard {
        /// The shard.
        shard: u32,
        /// Its shard requests this period.
        load: u64,
        /// All shard requests this period.
        total: u64,
        /// Shards.
        shards: u32,
    },
    /// A hot shard's load fell back under 1.75× the mean.
    Cooled {
        /// The shard.
        shard: u32,
        /// Its shard requests this period.
        load: u64,
        /// All shard requests this period.
        total: u64,
        /// Shards.
        shards: u32,
    },
}

fn list(v: &[u32]) -> String {
    v.iter().map(u32::to_string).collect::<Vec<_>>().join(", ")
}

fn hop_text(h: &Hop) -> String {
    let node = if h.replica == 0 {
        String::new()
    } else {
        format!(" (replica {})", h.replica)
    };
    match h.sub {
        Some(j) => format!("#{j} on shard {}{node}", h.shard),
        None => format!("shard {}{node}", h.shard),
    }
}

fn ratio(load: u64, total: u64, shards: u32) -> f64 {
    if total == 0 {
        0.0
    } else {
        load as f64 * f64::from(shards) / total as f64
    }
}

const RESTART: &str = "Load counters restart.";

impl Narrate for HotKeysRecord {
    fn narrate(&self) -> String {
        match self {
            HotKeysRecord::Built {
                shards,
                keys,
                celebrity,
                share,
                celebrity_shard,
            } => {
                let celeb = if *share > 0 {
                    format!(
                        " User {celebrity} is a celebrity: {share}% of all requests ask for it, and it lives on shard {celebrity_shard}."
                    )
                } else {
                    String::new()
                };
                format!("Placed {keys} users on {shards} shards by jump hash.{celeb}")
            }
            HotKeysRecord::Routed {
                key,
                write,
                celebrity,
                cache,
                hops,
                ..
            } => {
                let verb = if *write { "Write" } else { "Read" };
                let who = if *celebrity {
                    format!("user {key} (celebrity)")
                } else {
                    format!("user {key}")
                };
                if *cache == CacheStep::Hit {
                    return format!("{verb} {who}: cache hit, no shard asked.");
                }
                let where_ = match hops.as_slice() {
                    [one] => hop_text(one),
                    many if *write => format!(
                        "all {} copies: {}",
                        many.len(),
                        many.iter().map(hop_text).collect::<Vec<_>>().join(", ")
                    ),
                    many => format!(
                        "gathered {} sub-keys: {}",
                        many.len(),
                        many.iter().map(hop_text).collect::<Vec<_>>().join(", ")
                    ),
                };
                let tail = match cache {
                    CacheStep::Filled { evicted: Some(e) } => {
                        format!("; cached, evicting user {e}")
                    }
                    CacheStep::Filled { evicted: None } => "; cached".to_string(),
                    CacheStep::Invalidated { was_cached: true } => {
                        "; cached copy deleted".to_string()
                    }
                    _ => String::new(),
                };
                format!("{verb} {who}: {where_}{tail}.")
            }
            HotKeysRecord::LocalHit {
                key, app, stale, ..
            } => {
                let stale = if *stale {
                    " — a stale value: a write has replaced it since it was cached"
                } else {
                    ""
                };
                format!("Read user {key}: app server {app}'s local cache answered{stale}.")
            }
            HotKeysRecord::Dropped {
                key, write, tier, ..
            } => {
                let verb = if *write { "Write" } else { "Read" };
                let node = match tier {
                    Tier::Cache(n) => format!("cache node {n}"),
                    Tier::Shard(s, 0) => format!("shard {s}'s primary"),
                    Tier::Shard(s, r) => format!("shard {s}'s replica {r}"),
                };
                format!("{verb} user {key} dropped: {node}'s queue is full.")
            }
            HotKeysRecord::CacheNodes {
                from,
                to,
                evicted,
                celebrity,
            } => format!(
                "Cache nodes: {from} → {to} ({evicted} cached keys evicted); the celebrity is cached on node {}. {RESTART}",
                list(celebrity)
            ),
            HotKeysRecord::Resized {
                from,
                to,
                moved,
                total,
                celebrity,
            } => {
                let pct = share_percent(*moved, *total);
                let celeb = if celebrity.0 == celebrity.1 {
                    format!("the celebrity stays on shard {}", celebrity.0)
                } else {
                    format!(
                        "the celebrity moves from shard {} to shard {} and takes its load along",
                        celebrity.0, celebrity.1
                    )
                };
                format!(
                    "Resized from {from} to {to} shards: {moved} of {total} keys ({pct:.1}%) moved; {celeb}. {RESTART}"
                )
            }
            HotKeysRecord::KeysAdded { added, total } => {
                format!("Added {added} users ({total} now). {RESTART}")
            }
            HotKeysRecord::CelebrityChanged {
                from,
                to,
                shards,
                share,
            } => {
                let on = if shards.len() == 1 {
                    format!("shard {}", shards[0])
                } else {
                    format!("its sub-keys' shards {}", list(shards))
                };
                format!(
                    "User {to} is now the celebrity instead of user {from} ({share}% of requests), on {on}. {RESTART}"
                )
            }
            HotKeysRecord::Split {
                key,
                k,
                mode,
                shards,
            } => {
                if *k <= 1 {
                    return format!(
                        "User {key} is one key again, on shard {}. {RESTART}",
                        list(shards)
                    );
                }
                let how = match mode {
                    SplitMode::Copies => "each a full copy: reads pick one, writes go to all",
                    SplitMode::Counter => "each a part: writes go to one, reads gather all",
                };
                let mut distinct = shards.clone();
                distinct.sort_unstable();
                distinct.dedup();
                format!(
                    "Split user {key} into {k} sub-keys #0–#{} ({how}), hashed to shards {} — {} distinct. {RESTART}",
                    k - 1,
                    list(shards),
                    distinct.len()
                )
            }
            HotKeysRecord::Replicas { from, to } => format!(
                "Read replicas per shard: {from} → {to}. Reads spread over the primary and its replicas; writes still go to the primary. {RESTART}"
            ),
            HotKeysRecord::CacheResized { from, to, evicted } => {
                if *to == 0 {
                    format!("Removed the cache ({from} keys). {RESTART}")
                } else {
                    format!(
                        "Cache size {from} → {to} keys ({evicted} evicted). Reads that hit never reach a shard; writes delete the cached copy. {RESTART}"
                    )
                }
            }
            HotKeysRecord::HotShard {
                shard,
                load,
                total,
                shards,
            } => format!(
                "Shard {shard} is hot: {:.1}% of shard requests, {:.1}× the mean.",
                share_percent(*load, *total),
                ratio(*load, *total, *shards)
            ),
            HotKeysRecord::Cooled {
                shard,
                load,
                total,
                shards,
            } => format!(
                "Shard {shard} cooled down: {:.1}% of shard requests, {:.1}× the mean.",
                share_percent(*load, *total),
                ratio(*load, *total, *shards)
            ),
        }
    }

    fn is_milestone(&self) -> bool {
        !matches!(
            self,
            HotKeysRecord::Routed { .. }
                | HotKeysRecord::LocalHit { .. }
                | HotKeysRecord::Dropped { .. }
        )
    }
}
