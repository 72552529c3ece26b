//! What the directory model records, and how each record reads in the event log. Shards are
//! named by their index at the time of the record.

use super::route::Route;
use crate::models::common::share_percent;
use crate::time::SimTime;
use crate::trace::Narrate;

/// One tenant in a move, as recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MoveLine {
    /// The tenant.
    pub tenant: String,
    /// Its keys.
    pub keys: u64,
    /// Shard index it leaves.
    pub from: u32,
    /// Shard index it goes to (at the time the move started).
    pub to: u32,
}

/// Why tenants are being moved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MoveKind {
    /// `move-tenant`: one tenant, by hand.
    Manual,
    /// `rebalance`: the directory's plan.
    Rebalance,
    /// `remove-shard` / `resize` down: draining shards before they go.
    Drain,
}

/// Which full queue refused a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Full {
    /// The directory's.
    Directory,
    /// A shard's (by index).
    Shard(u32),
}

/// A request's path, as recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestLine {
    /// The request's number.
    pub id: u64,
    /// The client (application server) it came from.
    pub client: u32,
    /// The key, `tenant/n`.
    pub key: String,
    /// How it went.
    pub route: Route,
    /// The shard that served it (or holds the tenant, if it failed).
    pub shard: u32,
    /// The wrong shard a stale entry named (None if that shard no longer exists).
    pub stale: Option<u32>,
    /// End-to-end latency, if served.
    pub latency_us: Option<u64>,
    /// Of which waiting in queues (or held by a cutover freeze).
    pub wait_us: u64,
    /// The full queue that refused it, if one did.
    pub full: Option<Full>,
    /// Whether the client's cache checks entries by version (a stale one meets a
    /// stale-version error rather than "moved").
    pub versioned: bool,
}

/// What the model records.
#[derive(Clone, Debug, PartialEq)]
pub enum DirectoryRecord {
    /// The directory was built.
    Built {
        /// Tenants.
        tenants: u32,
        /// Keys.
        keys: u64,
        /// Shards.
        shards: u32,
        /// The placement policy's id.
        placement: &'static str,
    },
    /// A tenant's initial entry.
    Placed {
        /// The tenant.
        tenant: String,
        /// Its keys.
        keys: u64,
        /// Its shard.
        shard: u32,
    },
    /// A new tenant signed up, or one grew.
    TenantAdded {
        /// The tenant.
        tenant: String,
        /// Keys added.
        keys: u64,
        /// Its shard.
        shard: u32,
        /// True when an existing tenant grew.
        grew: bool,
    },
    /// Empty shards were added.
    ShardsAdded {
        /// Shard count before.
        from: u32,
        /// After.
        to: u32,
        /// Keys the stateless `% N` rule would have moved.
        modulo_moved: u64,
        /// Keys in all.
        total: u64,
        /// That rule, in words.
        rule: &'static str,
    },
    /// A copy began; the directory flips when it ends.
    CopyStarted {
        /// Why.
        kind: MoveKind,
        /// The tenants.
        moves: Vec<MoveLine>,
        /// Keys to copy.
        keys: u64,
        /// When the copy ends.
        done_at: SimTime,
    },
    /// A copy began, to be followed by catch-up rounds and a cutover freeze before the flip.
    CopyPhaseStarted {
        /// Why.
        kind: MoveKind,
        /// The tenants.
        moves: Vec<MoveLine>,
        /// Keys to copy.
        keys: u64,
        /// When the copy ends.
        done_at: SimTime,
    },
    /// A rebalance found no single move that helps.
    NothingToRebalance {
        /// Keys on the fullest shard.
        peak: u64,
        /// The largest tenant and its keys.
        largest: (String, u64),
    },
    /// A catch-up round: the writes made during the copy (or the previous round) are replayed on
    /// the new shard.
    CatchingUp {
        /// Writes to replay.
        writes: u64,
        /// Which round.
        round: u32,
        /// When it ends.
        until: SimTime,
    },
    /// The cutover freeze: the moving tenants' requests are held until the flip.
    FreezeStarted {
        /// The moving tenants.
        tenants: Vec<String>,
        /// Writes still to replay, inside the freeze.
        writes: u64,
        /// When the directory flips.
        until: SimTime,
    },
    /// The copy ended while the directory was down; the flip waits for it.
    FlipWaiting {
        /// Keys copied.
        keys: u64,
    },
    /// The directory entries were flipped: the moved tenants' requests now go to the new shard.
    Flipped {
        /// Why.
        kind: MoveKind,
        /// The tenants (shard indices after the change).
        moves: Vec<MoveLine>,
        /// Keys moved.
        moved: u64,
        /// Keys in all.
        total: u64,
        /// Shard count before and after (a drain removes shards).
        shards: (u32, u32),
        /// Keys the stateless `% N` rule would have moved, if the shard count changed.
        modulo_moved: Option<u64>,
    },
    /// The directory stopped answering.
    DirectoryDown {
        /// Fresh cache entries at that moment (clients × tenants).
        fresh_entries: u64,
    },
    /// The directory answers again.
    DirectoryUp,
    /// A request.
    Request(RequestLine),
}

fn ms(us: u64) -> String {
    if us % 1_000 == 0 {
        format!("{} ms", us / 1_000)
    } else {
        format!("{:.1} ms", us as f64 / 1_000.0)
    }
}

fn tenants_text(moves: &[MoveLine], arrow: bool) -> String {
    let parts: Vec<String> = moves
        .iter()
        .map(|m| {
            if arrow {
                format!("{} ({} keys) shard {} → {}", m.tenant, m.keys, m.from, m.to)
            } else {
                format!("{} ({} keys)", m.tenant, m.keys)
            }
        })
        .collect();
    parts.join(", ")
}

impl Narrate for DirectoryRecord {
    fn narrate(&self) -> String {
        match self {
            DirectoryRecord::Built {
                tenants,
                keys,
                shards,
                placement,
            } => format!(
                "Directory built: {tenants} tenants with {keys} keys on {shards} shards, placed {placement}."
            ),
            DirectoryRecord::Placed {
                tenant,
                keys,
                shard,
            } => format!("Directory entry: {tenant} ({keys} keys) → shard {shard}."),
            DirectoryRecord::TenantAdded {
                tenant,
                keys,
                shard,
                grew: false,
            } => format!(
                "New tenant {tenant} ({keys} keys): the directory placed it on shard {shard}; no other key moved."
            ),
            DirectoryRecord::TenantAdded {
                tenant,
                keys,
                shard,
                grew: true,
            } => format!("{tenant} grew by {keys} keys, all on its shard {shard}."),
            DirectoryRecord::ShardsAdded {
                from,
                to,
                modulo_moved,
                total,
                rule,
            } => {
                let added = to - from;
                let what = if added == 1 {
                    format!("shard {from}")
                } else {
                    format!("shards {from}–{}", to - 1)
                };
                format!(
                    "Added empty {what} ({from} → {to} shards): no key moved, because the directory still names the old shards. A stateless {rule} would have moved {modulo_moved} of {total} keys ({:.1}%).",
                    share_percent(*modulo_moved, *total)
                )
            }
            DirectoryRecord::CopyStarted {
                kind,
                moves,
                keys,
                done_at,
            } => {
                let why = match kind {
                    MoveKind::Manual => "Moving",
                    MoveKind::Rebalance => "Rebalance: moving",
                    MoveKind::Drain => "Draining: moving",
                };
                format!(
                    "{why} {}: copying {keys} keys; the directory flips at {done_at}, and until then requests still go to the old shard.",
                    tenants_text(moves, true)
                )
            }
            DirectoryRecord::CopyPhaseStarted {
                kind,
                moves,
                keys,
                done_at,
            } => {
                let why = match kind {
                    MoveKind::Manual => "Moving",
                    MoveKind::Rebalance => "Rebalance: moving",
                    MoveKind::Drain => "Draining: moving",
                };
                format!(
                    "{why} {}: copying {keys} keys until {done_at} while requests still go to the old shard; then the writes made meanwhile are caught up and a freeze precedes the flip.",
                    tenants_text(moves, true)
                )
            }
            DirectoryRecord::NothingToRebalance { peak, largest } => format!(
                "Rebalance: no single tenant move narrows the fullest shard ({peak} keys); nothing moved. The largest tenant, {} ({} keys), cannot be split.",
                largest.0, largest.1
            ),
            DirectoryRecord::CatchingUp {
                writes,
                round,
                until,
            } => format!(
                "Copy caught up, round {round}: replaying the {writes} writes made meanwhile on the new shard, until {until}; requests still go to the old one."
            ),
            DirectoryRecord::FreezeStarted {
                tenants,
                writes,
                until,
            } => format!(
                "Cutover freeze: requests for {} are held until {until} while the last {writes} writes are replayed and the new owner is committed.",
                tenants.join(", ")
            ),
            DirectoryRecord::FlipWaiting { keys } => format!(
                "Copy of {keys} keys done, but the directory is down: the flip waits until it is back."
            ),
            DirectoryRecord::Flipped {
                kind: _,
                moves,
                moved,
                total,
                shards,
                modulo_moved,
            } if moves.is_empty() => {
                let mut s = format!(
                    "Shards {} → {}: the removed shard was empty, so no key moved ({moved} of {total}).",
                    shards.0, shards.1
                );
                if let Some(m) = modulo_moved {
                    s.push_str(&format!(
                        " The stateless % N rule would have moved {m} ({:.1}%).",
                        share_percent(*m, *total)
                    ));
                }
                s
            }
            DirectoryRecord::Flipped {
                kind,
                moves,
                moved,
                total,
                shards,
                modulo_moved,
            } => {
                let only = match kind {
                    MoveKind::Manual => "only that tenant's keys",
                    MoveKind::Rebalance => "only the tenants the plan chose",
                    MoveKind::Drain => "only the removed shards' tenants",
                };
                let mut s = format!(
                    "Directory flipped: {}. {moved} of {total} keys ({:.1}%) moved — {only}.",
                    tenants_text(moves, true),
                    share_percent(*moved, *total)
                );
                if shards.0 > shards.1 {
                    s.push_str(&format!(
                        " Shards {} → {}; shard numbers above a removed one shift down (no data moves for that).",
                        shards.0, shards.1
                    ));
                }
                if let Some(m) = modulo_moved {
                    s.push_str(&format!(
                        " The stateless % N rule would have moved {m} ({:.1}%).",
                        share_percent(*m, *total)
                    ));
                }
                s
            }
            DirectoryRecord::DirectoryDown { fresh_entries } => format!(
                "Directory DOWN: only requests with a fresh cached entry can be routed ({fresh_entries} fresh entries right now)."
            ),
            DirectoryRecord::DirectoryUp => "Directory back up.".to_string(),
            DirectoryRecord::Request(r) => {
                let head = format!("Request {} ({}, client {}):", r.id, r.key, r.client);
                let lat = match r.latency_us {
                    Some(l) if r.wait_us > 0 => format!("{} ({} of it queued)", ms(l), ms(r.wait_us)),
                    Some(l) => ms(l),
                    None => String::new(),
                };
                let stale = r
                    .stale
                    .map_or_else(|| "a removed shard".to_string(), |s| format!("shard {s}"));
                // What the wrong shard answered: "moved", or, to a versioned request, a
                // stale-version error (as a MongoDB shard answers a router's old version).
                let refused = if r.versioned {
                    format!("{stale}, which refused its old entry version with a stale-version error")
                } else {
                    format!("{stale}, which answered “moved”")
                };
                if let Some(full) = r.full {
                    let at = match full {
                        Full::Directory => "the directory's".to_string(),
                        Full::Shard(s) => format!("shard {s}'s"),
                    };
                    return format!("{head} {at} queue was full → failed.");
                }
                match r.route {
                    Route::CacheHit => format!("{head} cached entry → shard {}, {lat}.", r.shard),
                    Route::Lookup => {
                        format!("{head} cache miss → directory → shard {}, {lat}.", r.shard)
                    }
                    Route::StaleThenLookup => format!(
                        "{head} stale cached entry sent it to {refused}; the directory named shard {} → served, {lat}.",
                        r.shard
                    ),
                    Route::FailedNoEntry => {
                        format!("{head} no fresh cached entry and the directory is down → failed.")
                    }
                    Route::FailedStale => format!(
                        "{head} stale entry sent it to {refused}, and the directory is down → failed."
                    ),
                }
            }
        }
    }

    fn is_milestone(&self) -> bool {
        match self {
            DirectoryRecord::Request(r) => r.route == Route::StaleThenLookup || r.full.is_some(),
            DirectoryRecord::Placed { .. } => false,
            _ => true,
        }
    }
}
