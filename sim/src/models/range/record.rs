//! What the range-sharding model records, and how the event log narrates it.

use super::table::grouped;
pub use super::traffic::Queued;
use crate::models::common::share_percent;
use crate::trace::Narrate;

/// `lo–hi` with separators.
pub fn span(lo: u64, hi: u64) -> String {
    format!("{}–{}", grouped(lo), grouped(hi))
}

/// A possibly negative id with separators.
pub fn id_text(id: i64) -> String {
    if id < 0 {
        format!("-{}", grouped(id.unsigned_abs()))
    } else {
        grouped(id as u64)
    }
}

/// A duration in words: `50 ms`, `1.25 s`.
pub fn duration(us: u64) -> String {
    if us < 1_000_000 {
        format!("{} ms", (us + 500) / 1_000)
    } else {
        format!("{:.2} s", us as f64 / 1e6)
    }
}

/// How long a request took, and how much of it was queueing: `in 50 ms`, `in 1.25 s (1.20 s of
/// it queued)`.
fn took(t: &Queued) -> String {
    if t.wait_us == 0 {
        format!("in {}", duration(t.latency_us))
    } else {
        format!(
            "in {} ({} of it queued)",
            duration(t.latency_us),
            duration(t.wait_us)
        )
    }
}

/// How a split point was chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SplitHow {
    /// Given by the learner (`split:1:150000`).
    Given,
    /// After the lower median key, so each half holds half the keys.
    Median,
    /// The middle of the id range (a shard with fewer than two keys has no median).
    Midpoint,
    /// After the lower median of the range's recent requests (load-based splitting).
    Load,
}

impl SplitHow {
    /// How the narration says it.
    pub fn words(self) -> &'static str {
        match self {
            SplitHow::Given => "at the given point",
            SplitHow::Median => "at its median key",
            SplitHow::Midpoint => "at the middle of its ids (too few keys for a median)",
            SplitHow::Load => "where it halves the recent requests",
        }
    }
}

/// A change of the shards' layout, for the narration.
#[derive(Clone, Debug, PartialEq)]
pub enum Reshape {
    /// A range was split in two.
    Split {
        /// The split shard's name.
        name: String,
        /// The new shard's name.
        new_name: String,
        /// Last id of the lower part.
        at: u64,
        /// How `at` was chosen.
        how: SplitHow,
        /// Whether `add-shard` picked the shard (the fullest).
        auto: bool,
    },
    /// A range was split in two by editing the range table only: both halves stay on one node.
    SplitInPlace {
        /// The split shard's name.
        name: String,
        /// The new shard's name.
        new_name: String,
        /// Last id of the lower part.
        at: u64,
        /// How `at` was chosen.
        how: SplitHow,
        /// Whether `add-shard` picked the shard (the fullest).
        auto: bool,
        /// The node both halves stay on.
        node: u32,
    },
    /// A range was relocated to another node.
    Moved {
        /// The range's name.
        name: String,
        /// Its ids.
        lo: u64,
        /// Its ids' end.
        hi: u64,
        /// The node it left.
        from_node: u32,
        /// The node it went to.
        to_node: u32,
        /// Whether the rebalancer moved it (not the learner).
        auto: bool,
    },
    /// Two neighbouring ranges became one.
    Merged {
        /// The surviving shard's name.
        kept: String,
        /// The retired shard's name.
        gone: String,
        /// The merged range.
        lo: u64,
        /// The merged range's end.
        hi: u64,
    },
    /// New split points.
    Bounds {
        /// The split points, as written.
        bounds: String,
    },
    /// Resized to a shard count by splitting the fullest or merging the emptiest pair.
    Resized,
    /// Hash partitioning: the shard count changed, so `hash % N` changed for most keys.
    Rehashed {
        /// The action that asked for it.
        action: String,
    },
}

/// What the range-sharding model records.
#[derive(Clone, Debug, PartialEq)]
pub enum RangeRecord {
    /// Keys were placed.
    Built {
        /// Shards.
        shards: u32,
        /// Keys.
        keys: u64,
        /// Ids rule.
        ids: &'static str,
        /// Hash partitioning instead of ranges.
        hash: bool,
    },
    /// The shards changed.
    Reshaped {
        /// What changed.
        what: Reshape,
        /// Shards before.
        from: u32,
        /// Shards after.
        to: u32,
        /// Keys that changed server.
        moved: u64,
        /// Keys in all.
        total: u64,
    },
    /// A read was routed.
    Read {
        /// The key's id.
        key: u64,
        /// The serving shard.
        shard: u32,
        /// Its wait and latency.
        timing: Queued,
    },
    /// A key was written.
    Wrote {
        /// Its id.
        key: u64,
        /// Its shard's name.
        shard: String,
        /// Whether the id lies outside the space and landed by clamping.
        clamped: bool,
        /// Whether the learner asked for it (`insert`), not the insert stream.
        asked: bool,
        /// Whether the id existed already (an update).
        existed: bool,
        /// Its wait and latency (None for a bulk load, which does not queue).
        timing: Option<Queued>,
    },
    /// `add-keys` added a batch.
    Added {
        /// How many.
        count: u64,
        /// Smallest new id.
        first: u64,
        /// Largest new id.
        last: u64,
        /// How many landed on the last shard.
        on_last: u64,
        /// The last shard's name.
        last_name: String,
        /// How many the router refused (out of range).
        refused: u64,
        /// The space, as text.
        space: String,
    },
    /// A lookup asked for one id.
    LookedUp {
        /// The id.
        key: i64,
        /// The shard's name.
        shard: String,
        /// The shard's range, as text.
        range: String,
        /// Whether the key exists.
        found: bool,
        /// Whether the id lies outside the space and landed by clamping.
        clamped: bool,
        /// Its wait and latency.
        timing: Queued,
    },
    /// A shard's node refused a request: its queue was full.
    Dropped {
        /// The id.
        key: u64,
        /// The shard's name.
        shard: String,
        /// A write, or a read.
        write: bool,
    },
    /// The router refused an id outside the space.
    Refused {
        /// The id.
        key: i64,
        /// A write, or a read.
        write: bool,
        /// The space, as text.
        space: String,
    },
    /// A range scan.
    Scanned {
        /// From.
        lo: i64,
        /// To.
        hi: i64,
        /// The shards asked.
        shards: Vec<u32>,
        /// Shards in all.
        of: u32,
        /// Keys returned.
        keys: u64,
        /// Hash partitioning (every shard must be asked).
        hash: bool,
        /// Its wait and latency (the slowest part's), if every shard took its part.
        timing: Option<Queued>,
        /// Shards whose full queue refused their part (the scan failed).
        full: Vec<u32>,
    },
}

impl Narrate for RangeRecord {
    fn narrate(&self) -> String {
        match self {
            RangeRecord::Built {
                shards,
                keys,
                ids,
                hash,
            } => {
                let rule = if *hash {
                    format!("hash(id) % {shards}")
                } else {
                    "the range that holds each id".to_string()
                };
                if *keys == 0 {
                    format!("{shards} empty shards, placed by {rule}.")
                } else {
                    format!("Placed {keys} {ids} ids on {shards} shards by {rule}.")
                }
            }
            RangeRecord::Reshaped {
                what,
                from,
                to,
                moved,
                total,
            } => {
                let pct = share_percent(*moved, *total);
                let cost = format!("{moved} of {total} keys ({pct:.1}%) moved");
                match what {
                    Reshape::Split {
                        name,
                        new_name,
                        at,
                        how,
                        auto,
                    } => {
                        let why = if *auto { " (the fullest)" } else { "" };
                        format!(
                            "Split {name}{why} {}: it keeps ids up to {}, the rest go to the new {new_name}. {cost}; no other shard was touched.",
                            how.words(),
                            grouped(*at)
                        )
                    }
                    Reshape::SplitInPlace {
                        name,
                        new_name,
                        at,
                        how,
                        auto,
                        node,
                    } => format!(
                        "Split {name}{} {}: it keeps ids up to {}, the rest form {new_name}, still on node {node}. The split changed only the range table: {cost}.",
                        if *auto { " (the fullest)" } else { "" },
                        how.words(),
                        grouped(*at)
                    ),
                    Reshape::Moved {
                        name,
                        lo,
                        hi,
                        from_node,
                        to_node,
                        auto,
                    } => format!(
                        "{} moved {name} (ids {}) from node {from_node} to node {to_node}. {cost}, exactly the range's keys.",
                        if *auto { "The rebalancer" } else { "You" },
                        span(*lo, *hi)
                    ),
                    Reshape::Merged { kept, gone, lo, hi } => format!(
                        "Merged {gone} into {kept}, which now holds ids {}. {cost}, all of them {gone}'s.",
                        span(*lo, *hi)
                    ),
                    Reshape::Bounds { bounds } => format!(
                        "Moved the split points to {bounds} ({from} → {to} shards). {cost}: the ids between the old and new edges."
                    ),
                    Reshape::Resized => format!(
                        "Resized from {from} to {to} shards, splitting the fullest range or merging the emptiest neighbours each time. {cost}."
                    ),
                    Reshape::Rehashed { action } => format!(
                        "{action}: hash partitioning cannot move one boundary, so going from {from} to {to} shards re-hashes every id. {cost}."
                    ),
                }
            }
            RangeRecord::Read { key, shard, timing } => format!(
                "Read of id {} served by shard {shard} {}.",
                grouped(*key),
                took(timing)
            ),
            RangeRecord::Wrote {
                key,
                shard,
                clamped,
                asked,
                existed,
                timing,
            } => {
                let verb = match (asked, existed) {
                    (_, true) => "Updated",
                    (true, false) => "Inserted",
                    (false, false) => "New key",
                };
                let tail = if *clamped {
                    " — silently, although it lies outside the key space"
                } else {
                    ""
                };
                let when = timing.map(|t| format!(", stored {}", took(&t)));
                format!(
                    "{verb} id {} on {shard}{tail}{}.",
                    grouped(*key),
                    when.unwrap_or_default()
                )
            }
            RangeRecord::Added {
                count,
                first,
                last,
                on_last,
                last_name,
                refused,
                space,
            } => {
                let added = if *count == 0 {
                    "Added no new ids".to_string()
                } else {
                    format!(
                        "Added {count} new ids ({}); {on_last} of them landed on the last shard, {last_name}",
                        span(*first, *last)
                    )
                };
                if *refused > 0 {
                    format!(
                        "{added}. {refused} more were out of range ({space}) — need a new range!"
                    )
                } else {
                    format!("{added}.")
                }
            }
            RangeRecord::LookedUp {
                key,
                shard,
                range,
                found,
                clamped,
                timing,
            } => {
                let what = if *found { "found" } else { "not there" };
                if *clamped {
                    format!(
                        "Lookup of id {} went to {shard} ({range}) without complaint, though the id is outside the key space: {what}, {}.",
                        id_text(*key),
                        took(timing)
                    )
                } else {
                    format!(
                        "Lookup of id {} → {shard} ({range}): {what}, {}.",
                        id_text(*key),
                        took(timing)
                    )
                }
            }
            RangeRecord::Dropped { key, shard, write } => format!(
                "{shard}'s queue is full: the {} of id {} failed.",
                if *write { "write" } else { "read" },
                grouped(*key)
            ),
            RangeRecord::Refused { key, write, space } => format!(
                "Id {} is out of range ({space}) — need a new range! The {} failed.",
                id_text(*key),
                if *write { "write" } else { "read" }
            ),
            RangeRecord::Scanned {
                lo,
                hi,
                shards,
                of,
                keys,
                hash,
                timing,
                full,
            } => {
                let list: Vec<String> = shards.iter().map(u32::to_string).collect();
                let asked = if shards.is_empty() {
                    "no shard (the span lies outside the key space)".to_string()
                } else {
                    format!("{} of {of} shards ({})", shards.len(), list.join(", "))
                };
                let why = if *hash {
                    "; hashing scatters neighbouring ids, so every shard must be asked"
                } else {
                    ""
                };
                let outcome = match timing {
                    _ if !full.is_empty() => " but failed: a shard's queue was full".to_string(),
                    Some(t) => format!(" and returned {keys} keys {}", took(t)),
                    None => format!(" and returned {keys} keys"),
                };
                format!(
                    "Scan of ids {}–{} asked {asked}{outcome}{why}.",
                    id_text(*lo),
                    id_text(*hi)
                )
            }
        }
    }

    fn is_milestone(&self) -> bool {
        match self {
            RangeRecord::Read { .. } => false,
            RangeRecord::Wrote { asked, clamped, .. } => *asked || *clamped,
            RangeRecord::Dropped { .. } => false,
            _ => true,
        }
    }
}
