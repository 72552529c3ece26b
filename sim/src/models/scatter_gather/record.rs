//! What the cross-shard-queries model records, and how each record reads in the event log.

use super::QueryKind;
use crate::models::common::share_percent;
use crate::trace::Narrate;

/// What the model records.
#[derive(Clone, Debug, PartialEq)]
pub enum ScatterRecord {
    /// The table was sharded.
    Built {
        /// Shards.
        shards: u32,
        /// Rows.
        rows: u64,
        /// Distinct attribute values.
        values: u64,
        /// Rows per value.
        matches: u64,
        /// Whether a global index exists.
        global_index: bool,
    },
    /// The shard count changed.
    Resized {
        /// Before.
        from: u32,
        /// After.
        to: u32,
        /// Rows that changed shard.
        moved: u64,
        /// Rows in all.
        total: u64,
    },
    /// A shard was degraded.
    Degraded {
        /// Which.
        shard: u32,
        /// Its service times are multiplied by this.
        factor: u64,
    },
    /// A degraded shard recovered.
    Healed {
        /// Which.
        shard: u32,
    },
    /// A learner fired a query.
    Fired {
        /// Its number.
        query: u64,
        /// What it does.
        kind: QueryKind,
        /// User id or attribute value.
        target: u64,
    },
    /// A cure changed how a query was answered (recorded just before its `Completed`, only when
    /// something happened: a hedge sent, or an answer at the deadline without some shards).
    Cured {
        /// Its number.
        query: u64,
        /// Hedge copies it sent.
        hedges: u32,
        /// Shards whose answer it used.
        answered: u32,
        /// Shards it asked.
        asked: u32,
    },
    /// The users were split into micro-partitions, or a rebalancer runs (recorded only then).
    Partitioned {
        /// Partitions in all.
        partitions: u32,
        /// Partitions each node starts with.
        per_node: u32,
        /// How often the rebalancer looks (0: it does not run).
        rebalance_ms: u64,
        /// Time to copy one node's starting share.
        copy_ms: u64,
    },
    /// The rebalancer put a slow node on probation: it will be drained.
    Probation {
        /// The node.
        shard: u32,
        /// Its signal (median answer, or queued work).
        signal_us: u64,
        /// The median healthy node's signal.
        median_us: u64,
    },
    /// The rebalancer started copying a partition off a node on probation.
    MoveStarted {
        /// The partition.
        partition: u32,
        /// The node on probation.
        from: u32,
        /// The node that gets it.
        to: u32,
        /// How long the copy takes.
        copy_us: u64,
    },
    /// A partition's copy finished; its new node serves it.
    PartitionMoved {
        /// The partition.
        partition: u32,
        /// Its old node.
        from: u32,
        /// Its new node.
        to: u32,
        /// Partitions the old node still holds.
        left: u32,
    },
    /// A query completed.
    Completed {
        /// Its number.
        query: u64,
        /// What it did.
        kind: QueryKind,
        /// User id or attribute value.
        target: u64,
        /// Shard requests it sent.
        fanout: u32,
        /// Shards in the cluster when it was issued.
        shards: u32,
        /// The index partition it used, if any.
        index: Option<u32>,
        /// Issue to answer, in microseconds.
        latency_us: u64,
        /// The shard that answered last.
        slowest: u32,
        /// That shard's time from the request's arrival to its answer.
        slowest_us: u64,
        /// How many of its requests met a pause.
        paused: u32,
        /// Fired by a learner.
        manual: bool,
    },
}

/// Microseconds as milliseconds with two decimals (`5.12 ms`).
pub fn ms(us: u64) -> String {
    format!("{:.2} ms", us as f64 / 1_000.0)
}

impl Narrate for ScatterRecord {
    fn narrate(&self) -> String {
        match self {
            ScatterRecord::Built {
                shards,
                rows,
                values,
                matches,
                global_index,
            } => format!(
                "Sharded {rows} users by user_id % {shards}; {values} attribute values, each on about {matches} users. {}",
                if *global_index {
                    "A global index partitioned by the attribute points to them."
                } else {
                    "Each shard indexes only its own rows."
                }
            ),
            ScatterRecord::Resized {
                from,
                to,
                moved,
                total,
            } => format!(
                "Resized from {from} to {to} shards: {moved} of {total} users ({:.1}%) changed shard; an attribute query now asks {to} shards.",
                share_percent(*moved, *total)
            ),
            ScatterRecord::Degraded { shard, factor } => format!(
                "Shard {shard} degraded: its requests now take {factor}× as long. Every scatter query waits for it."
            ),
            ScatterRecord::Healed { shard } => format!("Shard {shard} is healthy again."),
            ScatterRecord::Partitioned {
                partitions,
                per_node,
                rebalance_ms,
                copy_ms,
            } => {
                let mut text = format!(
                    "Split the users into {partitions} partitions, {per_node} per node (user_id % {partitions})."
                );
                if *rebalance_ms > 0 {
                    text.push_str(&format!(
                        " Every {rebalance_ms} ms a rebalancer drains a node whose median answer is more than twice the median node's, one partition per receiving node at a time; a partition copies in {} ms.",
                        copy_ms / u64::from((*per_node).max(1))
                    ));
                }
                text
            }
            ScatterRecord::Probation {
                shard,
                signal_us,
                median_us,
            } => format!(
                "Shard {shard} answers in {} against a median of {}: on probation, its partitions move to the other shards.",
                ms(*signal_us),
                ms(*median_us),
            ),
            ScatterRecord::MoveStarted {
                partition,
                from,
                to,
                copy_us,
            } => format!(
                "Copying partition {partition} from shard {from} to shard {to} ({}).",
                ms(*copy_us)
            ),
            ScatterRecord::PartitionMoved {
                partition,
                from,
                to,
                left,
            } => format!(
                "Partition {partition} moved from shard {from} to shard {to}; shard {from} holds {left} partition{}.",
                if *left == 1 { "" } else { "s" }
            ),
            ScatterRecord::Fired {
                query,
                kind,
                target,
            } => match kind {
                QueryKind::ByKey => format!("You fired query {query}: a read of user {target} by shard key."),
                QueryKind::ByAttribute => format!("You fired query {query}: a read of the users with attribute = {target}."),
                QueryKind::Write => format!("You fired query {query}: a write to user {target}."),
            },
            ScatterRecord::Cured {
                query,
                hedges,
                answered,
                asked,
            } => {
                let mut text = format!("Query {query}:");
                match hedges {
                    0 => {}
                    1 => text.push_str(" one request was late, so a hedge went to another replica."),
                    n => text.push_str(&format!(
                        " {n} requests were late, so hedges went to other replicas."
                    )),
                }
                if answered < asked {
                    text.push_str(&format!(
                        " It answered at the deadline with {answered} of {asked} shards."
                    ));
                }
                text
            }
            ScatterRecord::Completed {
                query,
                kind,
                target,
                fanout,
                shards,
                index,
                latency_us,
                slowest,
                slowest_us,
                paused,
                ..
            } => {
                let pauses = match paused {
                    0 => String::new(),
                    1 => " One request met a pause.".to_string(),
                    n => format!(" {n} requests met a pause."),
                };
                match (kind, index) {
                    (QueryKind::ByKey, _) => format!(
                        "Query {query} by key (user {target}): 1 shard (shard {slowest}), {}.{pauses}",
                        ms(*latency_us)
                    ),
                    (QueryKind::ByAttribute, None) => format!(
                        "Query {query} by attribute (= {target}): scattered to all {shards} shards and gathered in {}; it waited for shard {slowest} ({}).{pauses}",
                        ms(*latency_us),
                        ms(*slowest_us)
                    ),
                    (QueryKind::ByAttribute, Some(p)) => format!(
                        "Query {query} by attribute (= {target}): index partition {p}, then {} shard{} fetched; {} in all.{pauses}",
                        fanout - 1,
                        if *fanout == 2 { "" } else { "s" },
                        ms(*latency_us)
                    ),
                    (QueryKind::Write, None) => format!(
                        "Write {query} (user {target}): shard {slowest}, {}.{pauses}",
                        ms(*latency_us)
                    ),
                    (QueryKind::Write, Some(p)) => format!(
                        "Write {query} (user {target}): its shard and index partition {p}, {}.{pauses}",
                        ms(*latency_us)
                    ),
                }
            }
        }
    }
    fn is_milestone(&self) -> bool {
        match self {
            ScatterRecord::Completed { manual, .. } => *manual,
            ScatterRecord::Cured { .. } => false,
            ScatterRecord::MoveStarted { .. } => false,
            _ => true,
        }
    }
}
