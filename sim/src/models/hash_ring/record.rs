//! What the hash-ring model records, and how each record reads in the event log.

use crate::hashing::ring::Position;
use crate::models::common::share_percent;
use crate::time::SimTime;
use crate::trace::Narrate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::rc::Rc;

/// One key that changed owner.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Move {
    /// The key.
    pub key: String,
    /// Where it sits.
    pub position: Position,
    /// Its owner before the change.
    pub from: String,
    /// Its owner after.
    pub to: String,
    /// The point of its new owner that serves it now.
    pub point: Position,
}

/// What a server change did to key placement.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// When.
    pub at: SimTime,
    /// What changed, in words (`server B removed`).
    pub what: String,
    /// Keys that moved, in key order (all of them).
    #[serde(with = "crate::wire::shared")]
    pub moves: Rc<[Move]>,
    /// Keys on the ring at the time.
    pub total: u64,
    /// How many of the same keys `hash % N` placement would have moved.
    pub modulo_moved: u64,
}

/// What the model records.
#[derive(Clone, Debug, PartialEq)]
pub enum RingRecord {
    /// The ring was built.
    Built {
        /// Servers.
        servers: u32,
        /// Points on the ring.
        points: u32,
        /// Keys placed.
        keys: u64,
    },
    /// A server joined.
    ServerAdded {
        /// Its name.
        server: String,
        /// Keys it took over.
        moved: u64,
        /// Keys on the ring.
        total: u64,
        /// Keys `hash % N` would have moved.
        modulo_moved: u64,
    },
    /// A server left (crashed).
    ServerRemoved {
        /// Its name.
        server: String,
        /// Keys that moved, with the server each went to.
        moved_to: BTreeMap<String, u64>,
        /// Keys on the ring.
        total: u64,
        /// Keys `hash % N` would have moved.
        modulo_moved: u64,
    },
    /// Under `placement = "modulo"`: a server joined or crashed and `hash % N` dealt the keys
    /// again.
    Redealt {
        /// The server.
        server: String,
        /// Whether it joined (or crashed).
        joined: bool,
        /// Keys that moved, with the server each went to.
        moved_to: BTreeMap<String, u64>,
        /// Keys on the ring.
        total: u64,
    },
    /// Keys were added.
    KeysAdded {
        /// How many.
        count: u64,
        /// The first one's name and owner, for the narration.
        example: Option<(String, String)>,
    },
    /// A key was removed.
    KeyRemoved {
        /// Its name.
        key: String,
        /// Who owned it.
        owner: String,
    },
    /// Generated keys were removed in bulk.
    KeysRemoved {
        /// How many.
        count: u64,
        /// How many left each server.
        from: BTreeMap<String, u64>,
    },
    /// A request was routed to a key's owner.
    Routed {
        /// The request's number.
        id: u64,
        /// The key asked for.
        key: String,
        /// The server that served it.
        server: String,
    },
}

impl Narrate for RingRecord {
    fn narrate(&self) -> String {
        match self {
            RingRecord::Built {
                servers,
                points,
                keys,
            } => format!(
                "Built a ring of {servers} servers ({points} points) and placed {keys} keys."
            ),
            RingRecord::ServerAdded {
                server,
                moved,
                total,
                modulo_moved,
            } => format!(
                "Server {server} joined and took {moved} of {total} keys ({}) from its successors; \
                 hash % N would have moved {modulo_moved} ({}).",
                pct(*moved, *total),
                pct(*modulo_moved, *total)
            ),
            RingRecord::Redealt {
                server,
                joined,
                moved_to,
                total,
            } => {
                let (moved, dest) = moves_summary(moved_to);
                format!(
                    "Server {server} {} and hash % N dealt the keys again: {moved} of {total} ({}) moved ({dest}).",
                    if *joined { "joined" } else { "crashed" },
                    pct(moved, *total),
                )
            }
            RingRecord::ServerRemoved {
                server,
                moved_to,
                total,
                modulo_moved,
            } => {
                let (moved, dest) = moves_summary(moved_to);
                format!(
                    "Server {server} crashed: {moved} of {total} keys ({}) moved clockwise ({dest}); \
                     hash % N would have moved {modulo_moved} ({}).",
                    pct(moved, *total),
                    pct(*modulo_moved, *total)
                )
            }
            RingRecord::KeysAdded { count, example } => match example {
                Some((k, s)) if *count == 1 => format!("Key {k} added; it lands on {s}."),
                Some((k, s)) => format!("{count} keys added (for example {k} on {s})."),
                None => format!("{count} keys added."),
            },
            RingRecord::KeyRemoved { key, owner } => format!("Key {key} removed from {owner}."),
            RingRecord::KeysRemoved { count, from } => {
                let from: Vec<String> = from.iter().map(|(s, n)| format!("{n} from {s}")).collect();
                format!(
                    "{count} keys removed ({}); no other key moved.",
                    from.join(", ")
                )
            }
            RingRecord::Routed { key, server, .. } => {
                format!("Request for {key} served by {server}.")
            }
        }
    }
    fn is_milestone(&self) -> bool {
        !matches!(self, RingRecord::Routed { .. })
    }
}

fn pct(n: u64, total: u64) -> String {
    format!("{:.1}%", share_percent(n, total))
}

/// How many keys moved in all, and where they went ("12 to C, 3 to A", or "none").
fn moves_summary(moved_to: &BTreeMap<String, u64>) -> (u64, String) {
    let moved = moved_to.values().sum();
    let dest: Vec<String> = moved_to
        .iter()
        .map(|(s, n)| format!("{n} to {s}"))
        .collect();
    let dest = if dest.is_empty() {
        "none".to_string()
    } else {
        dest.join(", ")
    };
    (moved, dest)
}
