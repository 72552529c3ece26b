//! What the placement model records, and how each record reads in the event log.

use super::placer::Strategy;
use crate::models::common::share_percent;
use crate::trace::Narrate;

/// What changed the server list or the weights.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChangeKind {
    /// A shard joined at the end.
    Added {
        /// Its index.
        index: u32,
        /// Its address.
        address: String,
    },
    /// A shard left; the shards after it were renumbered down by one.
    Removed {
        /// Its index before it left.
        index: u32,
        /// Its address.
        address: String,
        /// How many shards after it were renumbered.
        renumbered: u32,
    },
    /// The shard count changed (servers joined or left at the end).
    Resized {
        /// Before.
        from: u32,
        /// After.
        to: u32,
    },
    /// A shard's weight changed.
    Weight {
        /// Its index.
        index: u32,
        /// Weight before.
        from: u32,
        /// Weight after.
        to: u32,
    },
}

/// A change of servers or weights and what it moved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangeRecord {
    /// What changed.
    pub kind: ChangeKind,
    /// The strategy that placed the keys.
    pub strategy: Strategy,
    /// Keys whose server changed.
    pub moved: u64,
    /// Keys in all.
    pub total: u64,
    /// Keys `hash % N` would have moved on the same change.
    pub modulo_moved: u64,
    /// The shard every moved key went to, when they all went to one (its new index).
    pub all_to: Option<u32>,
    /// The shard every moved key came from, when they all came from one (its old index).
    pub all_from: Option<u32>,
    /// Whether the strategy ignores weights.
    pub weights_ignored: bool,
}

/// What the placement model records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlacementRecord {
    /// Keys were placed.
    Built {
        /// The strategy.
        strategy: Strategy,
        /// Shards.
        shards: u32,
        /// Keys.
        keys: u64,
        /// Weights were given but the strategy ignores them.
        weights_ignored: bool,
        /// The bounded-loads capacity per unit of weight, for that strategy.
        capacity: Option<u64>,
    },
    /// Servers or weights changed.
    Changed(ChangeRecord),
    /// Keys were added (nothing else moves).
    KeysAdded {
        /// How many.
        count: u64,
        /// Keys in all afterwards.
        total: u64,
    },
    /// A request was routed.
    Routed {
        /// The request's number.
        id: u64,
        /// The key's user id.
        key: u64,
        /// The serving shard.
        shard: u32,
    },
}

/// `text` with its first letter in upper case, to start a sentence. The model's own sentences
/// start with an ASCII letter; ASCII case mapping keeps Unicode's case tables out of the app.
fn sentence(text: &str) -> String {
    let mut s = text.to_string();
    if let Some(first) = s.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    s
}

/// `the shard after it was` / `the 6 shards after it were`.
fn followers(n: u32) -> String {
    if n == 1 {
        "the shard after it was".to_string()
    } else {
        format!("the {n} shards after it were")
    }
}

fn moved_words(c: &ChangeRecord) -> String {
    let pct = share_percent(c.moved, c.total);
    let mut s = format!(
        "{} of {} keys ({pct:.1}%) moved under {}",
        c.moved,
        c.total,
        c.strategy.label()
    );
    if c.moved > 0 {
        // A leave is told by where keys came from, everything else by where they went.
        let leave = matches!(c.kind, ChangeKind::Removed { .. });
        match (c.all_from, c.all_to) {
            (Some(from), _) if leave => {
                s.push_str(&format!(", every one of them from shard {from}"))
            }
            (_, Some(to)) => s.push_str(&format!(", every one of them to shard {to}")),
            (Some(from), None) => s.push_str(&format!(", every one of them from shard {from}")),
            (None, None) => s.push_str(", between several shards"),
        }
    }
    s.push('.');
    s
}

fn modulo_words(c: &ChangeRecord) -> String {
    if c.strategy == Strategy::Modulo {
        return String::new();
    }
    format!(
        " hash % N would have moved {} ({:.1}%).",
        c.modulo_moved,
        share_percent(c.modulo_moved, c.total)
    )
}

impl Narrate for PlacementRecord {
    fn narrate(&self) -> String {
        match self {
            PlacementRecord::Built {
                strategy,
                shards,
                keys,
                weights_ignored,
                capacity,
            } => {
                let mut s = format!(
                    "Placed {keys} keys on {shards} shards with {}.",
                    strategy.label()
                );
                if let Some(c) = capacity {
                    s.push_str(&format!(
                        " No server may hold more than {c} keys per unit of weight."
                    ));
                }
                if *weights_ignored {
                    s.push_str(&format!(
                        " The weights are ignored: {} gives every shard the same share.",
                        strategy.label()
                    ));
                }
                s
            }
            PlacementRecord::Changed(c) => {
                let head = match &c.kind {
                    ChangeKind::Added { index, address } => {
                        format!("Shard {index} ({address}) joined: ")
                    }
                    ChangeKind::Removed { index, address, .. } => {
                        format!("Shard {index} ({address}) left: ")
                    }
                    ChangeKind::Resized { from, to } => {
                        format!("Resized from {from} to {to} shards: ")
                    }
                    ChangeKind::Weight { index, from, to } => {
                        format!("Shard {index}'s weight went from {from} to {to}: ")
                    }
                };
                let mut s = head + &moved_words(c);
                match &c.kind {
                    ChangeKind::Removed { renumbered, .. } if *renumbered > 0 => {
                        if matches!(c.strategy, Strategy::Jump | Strategy::Modulo) {
                            s.push_str(&format!(
                                " {} numbers its buckets 0..N−1, so {} renumbered down and their keys moved too.",
                                sentence(c.strategy.label()),
                                followers(*renumbered)
                            ));
                        } else {
                            s.push_str(&format!(
                                " {} renumbered down by one; {} places by address, so the renumbering itself moved nothing.",
                                sentence(&followers(*renumbered)),
                                c.strategy.label()
                            ));
                        }
                    }
                    ChangeKind::Weight { .. } if c.weights_ignored => {
                        s.push_str(&format!(
                            " {} ignores the weights here.",
                            c.strategy.label()
                        ));
                    }
                    _ => {}
                }
                s + &modulo_words(c)
            }
            PlacementRecord::KeysAdded { count, total } => {
                format!("Added {count} keys ({total} in all); no existing key moved.")
            }
            PlacementRecord::Routed { key, shard, .. } => {
                format!("Request for user {key} served by shard {shard}.")
            }
        }
    }

    fn is_milestone(&self) -> bool {
        !matches!(self, PlacementRecord::Routed { .. })
    }
}
