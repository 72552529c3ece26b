//! Hash slots: Redis Cluster's keys → 16,384 fixed slots → nodes, with live resharding
//! (`MOVED`/`ASK` redirections), failover and multi-key commands.
//!
//! What it models, from the Redis Cluster specification
//! (<https://redis.io/docs/latest/operate/oss_and_stack/reference/cluster-spec/>) and the
//! `CLUSTER SETSLOT` and `redis-cli --cluster` documentation:
//!
//! - **The slot function**: `HASH_SLOT = CRC16(key) mod 16384` with hash tags ([`hash`]).
//! - **The slot table**: every slot has exactly one master; `redis-cli --cluster create` splits
//!   the slots into equal consecutive ranges ([`hash::create_split`]). Each master may have a
//!   replica holding a copy of its keys.
//! - **Smart clients**: `clients` clients each cache the whole table and send a command straight
//!   to the node their copy names. A node that does not own the slot answers `-MOVED slot node`;
//!   the client updates that slot in its copy (or, with `refresh = table`, fetches the whole
//!   table with `CLUSTER SLOTS`, one more round trip) and retries there (one extra round trip).
//! - **Resharding** (`reshard`, `move-slot`), as `redis-cli --cluster reshard --cluster-from all`
//!   does it: the slots to move are taken from the sources in proportion to their slot counts,
//!   lowest slot numbers first; they migrate **one at a time**. A migrating slot is MIGRATING on
//!   its source and IMPORTING on its target; its keys move `migrate_batch` per `MIGRATE` step;
//!   then `SETSLOT NODE` gives the slot to the target. Meanwhile a command for the slot reaches
//!   the source: if its keys are all still there it is served; if none are, the client gets
//!   `-ASK`, sends `ASKING` and the command to the target, and does **not** update its table;
//!   if some are and some are not (a multi-key command), `-TRYAGAIN`. After `SETSLOT NODE`, a
//!   client with the old table gets `-MOVED`.
//! - **Failure** (`fail-node`): a crashed master answers nothing; after `node_timeout_ms` the
//!   others flag it FAIL. With a replica, the replica is elected after the specification's
//!   delay (500 ms + a random 0–500 ms) and takes the slots; a client whose connection to the
//!   dead node fails asks a live node, gets `-MOVED` to the new master, and retries. Without a
//!   replica the slots are uncovered: with `cluster-require-full-coverage yes` (the default,
//!   `full_coverage`) every node answers `-CLUSTERDOWN` to every command until the node comes
//!   back (`restart-node`); with `no`, only commands for those slots fail.
//! - **Multi-key commands**: `mget_percent` of the requests read a user's profile and followers
//!   together (`MGET`); keys in different slots get `-CROSSSLOT`. With hash tags
//!   (`{user:42}.followers`) the followers key hashes `user:42`, the profile key's own name,
//!   so both share a slot.
//!
//! Invariants checked by `validate`: every slot is owned by exactly one node, a master (the table
//! is one entry per slot); each master's slot count matches the table; every key lives on its
//! slot's owner, except in the migrating slot, where it is on the source or the target; every
//! client's table names existing nodes; counters add up.
//!
//! Simplifications (the lesson says so too): the table is the same on every node at once (no
//! gossip delay or epochs); clients learn only from redirections (no periodic `CLUSTER SLOTS`
//! refresh); a request takes no time and never queues; replicas serve no reads; keys are not
//! written while they migrate; a crash during a reshard is refused (redis-cli would stop with the
//! slot left open); no network partitions, so the minority side's behaviour is not shown.

pub mod hash;
pub mod rebalance;

use crate::model::{
    ActionSpec, Choice, Ctx, InputError, Metric, MetricGroup, MetricValue, Metrics, Model,
};
use crate::models::common::{moved_metrics, share_percent};
use crate::models::shard_view::{
    FrontView, RecentRequests, RequestOutcome, ShardChange, ShardFrame, ShardKeyView, ShardMove,
    ShardRequest, ShardView,
};
use crate::models::sharding::{Move, Moved, Placement, SlotOf};
use crate::params::{ParamError, ParamSet, ParamSpec};
use crate::query::Queries;
use crate::scenario::Input;
use crate::time::SimTime;
use crate::trace::Narrate;
use crate::workload::Popularity;
use hash::{key_slot, SLOTS};
use std::collections::{BTreeMap, VecDeque};
use std::rc::Rc;

/// Most masters a run starts with.
pub const MAX_MASTERS: u32 = 8;
/// Most nodes a run may have (masters, replicas and added nodes).
pub const MAX_NODES: usize = 26;
/// How many keys a frame draws.
pub const FRAME_KEYS: usize = 240;
/// The replica election delay's fixed part and random part, from the specification
/// (`DELAY = 500 ms + random(0..500 ms) + REPLICA_RANK * 1000 ms`; one replica, rank 0).
const ELECTION_FIXED_US: u64 = 500_000;
const ELECTION_RANDOM_US: u64 = 500_000;

/// A node of the cluster.
#[derive(Clone, Debug, PartialEq)]
struct Node {
    name: String,
    up: bool,
    /// The master it replicates, if it is a replica.
    replica_of: Option<u8>,
    /// Flagged FAIL by the others (down for longer than the node timeout).
    flagged: bool,
    /// Bumped at every crash and restart, so a timer set before is ignored.
    epoch: u32,
    /// The replica that took its slots, if one did.
    successor: Option<u8>,
}

/// A key of the sample.
#[derive(Clone, Debug, PartialEq)]
struct SlotKey {
    name: String,
    slot: u16,
}

/// A reshard under way.
#[derive(Clone, Debug, PartialEq)]
struct Migration {
    /// Slots still to move, in order, with their target.
    queue: VecDeque<(u16, u8)>,
    /// The slot migrating now: (slot, source, target).
    open: Option<(u16, u8, u8)>,
    /// Keys moved so far.
    moves: Vec<ShardMove>,
    /// Masters holding slots when it began.
    from_masters: u32,
    /// Slots it moves in all.
    slots: u32,
}

/// How a request ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reply {
    /// Served where the client sent it.
    Served,
    /// `-MOVED`, then served at the slot's owner.
    Moved,
    /// `-ASK`, then `ASKING` and served at the importing node.
    Ask,
    /// `-MOVED` and then `-ASK` (a stale table and a half-moved slot).
    MovedAsk,
    /// `-CROSSSLOT`: the keys are in different slots.
    CrossSlot,
    /// `-CLUSTERDOWN`: a slot is uncovered and the cluster requires full coverage.
    ClusterDown,
    /// `-TRYAGAIN`: some of the keys have moved and some have not.
    TryAgain,
    /// No answer: the node serving the slot is down and not yet replaced.
    NoAnswer,
}

impl Reply {
    fn failed(self) -> bool {
        matches!(
            self,
            Reply::CrossSlot | Reply::ClusterDown | Reply::TryAgain | Reply::NoAnswer
        )
    }
}

/// What the model records.
#[derive(Clone, Debug, PartialEq)]
pub enum SlotRecord {
    /// The cluster was created.
    Built {
        /// Its masters and their slot ranges, in words.
        layout: String,
        /// Keys in the sample.
        keys: u64,
    },
    /// A node joined (as a master with no slots).
    Added {
        /// Its name.
        node: String,
    },
    /// A reshard began.
    ReshardStarted {
        /// Slots to move.
        slots: u32,
        /// The target.
        to: String,
    },
    /// A slot was set MIGRATING on its source and IMPORTING on its target.
    SlotOpened {
        /// The slot.
        slot: u16,
        /// Source.
        from: String,
        /// Target.
        to: String,
        /// Keys it holds.
        keys: u64,
    },
    /// A batch of keys moved (`MIGRATE`).
    KeysMigrated {
        /// The slot.
        slot: u16,
        /// Keys moved in this batch.
        keys: u64,
    },
    /// `SETSLOT NODE`: the slot now belongs to the target.
    SlotAssigned {
        /// The slot.
        slot: u16,
        /// Its new owner.
        to: String,
    },
    /// The reshard finished.
    ReshardDone {
        /// Slots moved.
        slots: u32,
        /// Keys moved.
        keys: u64,
    },
    /// A node crashed.
    Crashed {
        /// Its name.
        node: String,
    },
    /// The others flagged a node FAIL.
    Flagged {
        /// Its name.
        node: String,
        /// What that does: a failover to come, or the cluster (or its slots) down.
        then: String,
    },
    /// A replica was promoted.
    Promoted {
        /// The replica, now a master.
        node: String,
        /// The failed master.
        from: String,
        /// Slots it took.
        slots: u32,
    },
    /// A node came back.
    Restarted {
        /// Its name.
        node: String,
        /// What it came back as.
        role: String,
    },
    /// A request.
    Request {
        /// Its number.
        id: u64,
        /// The command in words (`GET user:42`).
        command: String,
        /// Its slot.
        slot: u16,
        /// The node the client sent it to.
        sent: String,
        /// The node that answered last.
        node: String,
        /// How it ended.
        reply: Reply,
    },
}

impl Narrate for SlotRecord {
    fn narrate(&self) -> String {
        match self {
            SlotRecord::Built { layout, keys } => {
                format!("Cluster created: {layout}; {keys} keys placed by CRC16(key) mod 16384.")
            }
            SlotRecord::Added { node } => {
                format!("Node {node} joined as a master with no slots.")
            }
            SlotRecord::ReshardStarted { slots, to } => {
                format!("Reshard: {} to move to {to}, one at a time.", plural(*slots, "slot"))
            }
            SlotRecord::SlotOpened {
                slot,
                from,
                to,
                keys,
            } => {
                format!(
                    "Slot {slot} MIGRATING on {from}, IMPORTING on {to} ({} to move).",
                    plural(*keys as u32, "key")
                )
            }
            SlotRecord::KeysMigrated { slot, keys } => {
                format!("MIGRATE moved {} of slot {slot}.", plural(*keys as u32, "key"))
            }
            SlotRecord::SlotAssigned { slot, to } => {
                format!("SETSLOT {slot} NODE {to}: the slot belongs to {to} now.")
            }
            SlotRecord::ReshardDone { slots, keys } => {
                format!(
                    "Reshard done: {} and {} moved.",
                    plural(*slots, "slot"),
                    plural(*keys as u32, "key")
                )
            }
            SlotRecord::Crashed { node } => format!("Node {node} crashed."),
            SlotRecord::Flagged { node, then } => {
                format!("Node timeout: {node} flagged FAIL; {then}.")
            }
            SlotRecord::Promoted { node, from, slots } => {
                format!("Replica {node} promoted: it serves {from}'s {slots} slots now.")
            }
            SlotRecord::Restarted { node, role } => format!("Node {node} is back, {role}."),
            SlotRecord::Request {
                command,
                slot,
                sent,
                node,
                reply,
                ..
            } => match reply {
                Reply::Served => format!("{command} (slot {slot}): served by {node}."),
                Reply::Moved => format!(
                    "{command} (slot {slot}): {sent} answered -MOVED {slot} {node}; retried and served by {node}."
                ),
                Reply::Ask => format!(
                    "{command} (slot {slot}): {sent} answered -ASK {slot} {node} (the keys have moved); ASKING, then served by {node}."
                ),
                Reply::MovedAsk => format!(
                    "{command} (slot {slot}): {sent} answered -MOVED, the owner -ASK; served by {node} after ASKING."
                ),
                Reply::CrossSlot => {
                    format!("{command}: -CROSSSLOT, the keys hash to different slots.")
                }
                Reply::ClusterDown => {
                    format!("{command} (slot {slot}): -CLUSTERDOWN, a slot is not served.")
                }
                Reply::TryAgain => format!(
                    "{command} (slot {slot}): {node} answered -TRYAGAIN, some keys have moved and some have not."
                ),
                Reply::NoAnswer => format!("{command} (slot {slot}): no answer, {node} is down."),
            },
        }
    }
    fn is_milestone(&self) -> bool {
        matches!(
            self,
            SlotRecord::Built { .. }
                | SlotRecord::Added { .. }
                | SlotRecord::ReshardStarted { .. }
                | SlotRecord::ReshardDone { .. }
                | SlotRecord::Crashed { .. }
                | SlotRecord::Flagged { .. }
                | SlotRecord::Promoted { .. }
                | SlotRecord::Restarted { .. }
        )
    }
}

/// The model's own events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SlotEvent {
    /// The next request arrives.
    Request,
    /// The next migration step.
    Migrate,
    /// A crashed node's timeout passes.
    Timeout {
        /// The node.
        node: u8,
        /// Its epoch when it crashed.
        epoch: u32,
    },
    /// A replica wins its election.
    Promote {
        /// The failed master.
        node: u8,
        /// Its epoch when it crashed.
        epoch: u32,
    },
}

/// Request counts.
#[derive(Clone, Debug, Default, PartialEq)]
struct Counts {
    requests: u64,
    served: u64,
    failed: u64,
    moved: u64,
    ask: u64,
    redirected: u64,
    extra_trips: u64,
    crossslot: u64,
    clusterdown: u64,
    keys_migrated: u64,
    slots_migrated: u64,
}

/// The hash-slot lesson model.
#[derive(Clone, Debug)]
pub struct HashSlots {
    nodes: Vec<Node>,
    /// Slot → owning node: the cluster's table.
    owner: Rc<Vec<u8>>,
    /// Slots per node, kept with `owner`.
    slot_count: Vec<u32>,
    /// Each client's cached copy of the table.
    maps: Vec<Rc<Vec<u8>>>,
    keys: Rc<Vec<SlotKey>>,
    /// Key → the node holding it now.
    at: Vec<u8>,
    /// Slot → its keys, in key order.
    by_slot: Rc<BTreeMap<u16, Vec<u32>>>,
    users: u64,
    mget_percent: u64,
    batch: u32,
    step_us: u64,
    node_timeout_us: u64,
    full_coverage: bool,
    /// On `-MOVED`, fetch the whole table (`CLUSTER SLOTS`) rather than fix the one slot.
    refresh_all: bool,
    lookup: String,
    popularity: Popularity,
    rate_per_sec: f64,
    migration: Option<Migration>,
    counts: Counts,
    served_by: Vec<u64>,
    last_change: Option<ShardChange>,
    recent: RecentRequests,
}

/// `1 slot`, `2 slots`.
fn plural(n: u32, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

fn letter(i: usize) -> String {
    char::from(b'A' + (i % 26) as u8).to_string()
}

impl HashSlots {
    /// The hash slot of a key, as Redis computes it.
    pub fn slot(key: &str) -> u16 {
        key_slot(key)
    }

    fn is_master(&self, n: u8) -> bool {
        self.nodes
            .get(n as usize)
            .is_some_and(|x| x.replica_of.is_none())
    }

    /// The nodes drawn as shards: every master, up or down, in node order.
    fn masters(&self) -> Vec<u8> {
        (0..self.nodes.len() as u8)
            .filter(|&i| self.is_master(i))
            .collect()
    }

    /// Whether the whole cluster refuses commands: some slot's owner is flagged FAIL and the
    /// cluster requires full coverage.
    fn cluster_down(&self) -> bool {
        self.full_coverage
            && self
                .nodes
                .iter()
                .enumerate()
                .any(|(i, n)| n.flagged && !n.up && self.slot_count[i] > 0)
    }

    fn find_key(&self, name: &str) -> Option<u32> {
        self.keys
            .iter()
            .position(|k| k.name == name)
            .map(|i| i as u32)
    }

    fn assign(&mut self, slot: u16, to: u8) {
        let owner = Rc::make_mut(&mut self.owner);
        let from = owner[slot as usize];
        self.slot_count[from as usize] -= 1;
        self.slot_count[to as usize] += 1;
        owner[slot as usize] = to;
    }

    fn add_node(&mut self, replica_of: Option<u8>, name: String) -> u8 {
        self.nodes.push(Node {
            name,
            up: true,
            replica_of,
            flagged: false,
            epoch: 0,
            successor: None,
        });
        self.slot_count.push(0);
        self.served_by.push(0);
        (self.nodes.len() - 1) as u8
    }

    fn name(&self, n: u8) -> String {
        self.nodes[n as usize].name.clone()
    }

    /// The master with the fewest slots (the newest on a tie), other than `not`.
    fn emptiest(&self, not: Option<u8>) -> Option<u8> {
        self.masters()
            .into_iter()
            .filter(|&m| Some(m) != not && self.nodes[m as usize].up)
            .min_by_key(|&m| (self.slot_count[m as usize], u8::MAX - m))
    }

    fn check_can_reshard(&self) -> Result<(), InputError> {
        if self.migration.is_some() {
            return Err(InputError(
                "a reshard is already under way; wait for it to finish".into(),
            ));
        }
        if let Some(n) = self.nodes.iter().find(|n| !n.up) {
            return Err(InputError(format!(
                "node {} is down; redis-cli refuses to reshard until every node is reachable (restart it first)",
                n.name
            )));
        }
        Ok(())
    }

    /// The slots `redis-cli --cluster reshard --cluster-from all` would move to `to`: from each
    /// other master in proportion to its slots (the largest first, rounded up; the others
    /// rounded down), lowest slot numbers first.
    pub(crate) fn reshard_table(&self, n: u32, to: u8) -> Vec<u16> {
        let mut sources: Vec<u8> = self
            .masters()
            .into_iter()
            .filter(|&m| m != to && self.slot_count[m as usize] > 0)
            .collect();
        sources.sort_by_key(|&m| (u32::MAX - self.slot_count[m as usize], m));
        let total: u32 = sources.iter().map(|&m| self.slot_count[m as usize]).sum();
        let mut out = Vec::new();
        for (i, &src) in sources.iter().enumerate() {
            // redis-cli computes this share in single precision.
            let share = n as f32 / total as f32 * self.slot_count[src as usize] as f32;
            let max = if i == 0 {
                libm::ceilf(share)
            } else {
                libm::floorf(share)
            } as u32;
            let mut taken = 0;
            for slot in 0..SLOTS as u16 {
                if taken >= max || out.len() as u32 >= n {
                    break;
                }
                if self.owner[slot as usize] == src {
                    out.push(slot);
                    taken += 1;
                }
            }
        }
        out
    }

    fn start_reshard(
        &mut self,
        slots: Vec<u16>,
        to: u8,
        ctx: &mut Ctx<'_, Self>,
    ) -> Result<(), InputError> {
        if slots.is_empty() {
            return Err(InputError("no slots to move".into()));
        }
        let from_masters = self
            .masters()
            .iter()
            .filter(|&&m| self.slot_count[m as usize] > 0)
            .count() as u32;
        ctx.record(SlotRecord::ReshardStarted {
            slots: slots.len() as u32,
            to: self.name(to),
        });
        self.migration = Some(Migration {
            slots: slots.len() as u32,
            queue: slots.into_iter().map(|s| (s, to)).collect(),
            open: None,
            moves: Vec::new(),
            from_masters,
        });
        ctx.schedule(ctx.now.plus_us(self.step_us), SlotEvent::Migrate);
        Ok(())
    }

    /// One migration step: move a batch of the open slot's keys, or give the slot to its
    /// target and open the next one.
    fn migrate_step(&mut self, ctx: &mut Ctx<'_, Self>) {
        let Some(mut m) = self.migration.take() else {
            return;
        };
        if let Some((slot, from, to)) = m.open {
            let batch: Vec<u32> = self
                .by_slot
                .get(&slot)
                .into_iter()
                .flatten()
                .copied()
                .filter(|&k| self.at[k as usize] == from)
                .take(self.batch as usize)
                .collect();
            if batch.is_empty() {
                self.assign(slot, to);
                self.counts.slots_migrated += 1;
                m.open = None;
                ctx.record(SlotRecord::SlotAssigned {
                    slot,
                    to: self.name(to),
                });
            } else {
                for &k in &batch {
                    self.at[k as usize] = to;
                    m.moves.push(ShardMove {
                        id: u64::from(k),
                        from: u32::from(from),
                        to: u32::from(to),
                    });
                }
                self.counts.keys_migrated += batch.len() as u64;
                ctx.record(SlotRecord::KeysMigrated {
                    slot,
                    keys: batch.len() as u64,
                });
                self.migration = Some(m);
                ctx.schedule(ctx.now.plus_us(self.step_us), SlotEvent::Migrate);
                return;
            }
        }
        if let Some((slot, to)) = m.queue.pop_front() {
            let from = self.owner[slot as usize];
            let keys = self.by_slot.get(&slot).map_or(0, Vec::len) as u64;
            m.open = Some((slot, from, to));
            ctx.record(SlotRecord::SlotOpened {
                slot,
                from: self.name(from),
                to: self.name(to),
                keys,
            });
            self.migration = Some(m);
            ctx.schedule(ctx.now.plus_us(self.step_us), SlotEvent::Migrate);
            return;
        }
        // Done.
        let to_masters = self
            .masters()
            .iter()
            .filter(|&&n| self.slot_count[n as usize] > 0)
            .count() as u32;
        ctx.record(SlotRecord::ReshardDone {
            slots: m.slots,
            keys: m.moves.len() as u64,
        });
        self.last_change = Some(ShardChange {
            at: ctx.now,
            from_shards: m.from_masters,
            to_shards: to_masters,
            moves: m.moves.into(),
            total: self.keys.len() as u64,
        });
    }

    fn crash(&mut self, name: &str, ctx: &mut Ctx<'_, Self>) -> Result<(), InputError> {
        let n = self
            .nodes
            .iter()
            .position(|x| x.name == name && x.replica_of.is_none())
            .ok_or_else(|| InputError(format!("no master named {name:?}")))?;
        if !self.nodes[n].up {
            return Err(InputError(format!("{name} is already down")));
        }
        if self.migration.is_some() {
            return Err(InputError(
                "this lesson does not crash a node during a reshard (redis-cli would stop and leave the slot open); wait until the reshard ends".into(),
            ));
        }
        let node = &mut self.nodes[n];
        node.up = false;
        node.epoch += 1;
        let epoch = node.epoch;
        ctx.record(SlotRecord::Crashed {
            node: name.to_string(),
        });
        ctx.schedule(
            ctx.now.plus_us(self.node_timeout_us),
            SlotEvent::Timeout {
                node: n as u8,
                epoch,
            },
        );
        Ok(())
    }

    fn up_replica(&self, master: u8) -> Option<u8> {
        (0..self.nodes.len() as u8).find(|&r| {
            let x = &self.nodes[r as usize];
            x.up && x.replica_of == Some(master)
        })
    }

    fn timeout(&mut self, node: u8, epoch: u32, ctx: &mut Ctx<'_, Self>) {
        let n = &self.nodes[node as usize];
        if n.up || n.epoch != epoch {
            return;
        }
        self.nodes[node as usize].flagged = true;
        let then = if let Some(r) = self.up_replica(node) {
            let delay = ELECTION_FIXED_US + ctx.rng.below(ELECTION_RANDOM_US);
            ctx.schedule(ctx.now.plus_us(delay), SlotEvent::Promote { node, epoch });
            let mut t = format!("replica {} will be elected", self.name(r));
            if self.cluster_down() {
                t.push_str(" (until then the cluster answers -CLUSTERDOWN)");
            }
            t
        } else if self.slot_count[node as usize] == 0 {
            "it served no slots".to_string()
        } else if self.full_coverage {
            format!(
                "no replica: its {} slots are uncovered and the whole cluster answers -CLUSTERDOWN",
                self.slot_count[node as usize]
            )
        } else {
            format!(
                "no replica: its {} slots fail, the others are served",
                self.slot_count[node as usize]
            )
        };
        ctx.record(SlotRecord::Flagged {
            node: self.name(node),
            then,
        });
    }

    fn promote(&mut self, node: u8, epoch: u32, ctx: &mut Ctx<'_, Self>) {
        let n = &self.nodes[node as usize];
        if n.up || n.epoch != epoch {
            return;
        }
        let Some(r) = self.up_replica(node) else {
            return;
        };
        self.nodes[r as usize].replica_of = None;
        self.nodes[node as usize].successor = Some(r);
        let slots: Vec<u16> = (0..SLOTS as u16)
            .filter(|&s| self.owner[s as usize] == node)
            .collect();
        for &s in &slots {
            self.assign(s, r);
        }
        let mut moves = Vec::new();
        for (k, at) in self.at.iter_mut().enumerate() {
            if *at == node {
                *at = r;
                moves.push(ShardMove {
                    id: k as u64,
                    from: u32::from(node),
                    to: u32::from(r),
                });
            }
        }
        let masters = self
            .masters()
            .iter()
            .filter(|&&m| self.slot_count[m as usize] > 0)
            .count() as u32;
        self.last_change = Some(ShardChange {
            at: ctx.now,
            from_shards: masters,
            to_shards: masters,
            moves: moves.into(),
            total: self.keys.len() as u64,
        });
        ctx.record(SlotRecord::Promoted {
            node: self.name(r),
            from: self.name(node),
            slots: slots.len() as u32,
        });
    }

    fn restart(&mut self, name: &str, ctx: &mut Ctx<'_, Self>) -> Result<(), InputError> {
        let n = self
            .nodes
            .iter()
            .position(|x| x.name == name)
            .ok_or_else(|| InputError(format!("no node named {name:?}")))?;
        if self.nodes[n].up {
            return Err(InputError(format!("{name} is not down")));
        }
        let successor = self.nodes[n].successor;
        let node = &mut self.nodes[n];
        node.up = true;
        node.flagged = false;
        node.epoch += 1;
        let role = match successor {
            Some(s) => {
                node.replica_of = Some(s);
                node.successor = None;
                format!("as a replica of {}, which took its slots", self.name(s))
            }
            None => "with its data and its slots".to_string(),
        };
        ctx.record(SlotRecord::Restarted {
            node: name.to_string(),
            role,
        });
        Ok(())
    }

    /// Routes one command for `keys` from `client`; returns how it ended and the node that
    /// answered last.
    fn route(&mut self, client: usize, keys: &[u32]) -> (Reply, u8) {
        let slot = self.keys[keys[0] as usize].slot;
        let mut target = self.maps[client][slot as usize];
        if keys.iter().any(|&k| self.keys[k as usize].slot != slot) {
            return (Reply::CrossSlot, target);
        }
        if self.cluster_down() {
            return (Reply::ClusterDown, target);
        }
        let owner = self.owner[slot as usize];
        let mut moved = false;
        if !self.nodes[target as usize].up {
            if target == owner {
                return (Reply::NoAnswer, target);
            }
            // The connection fails; the client asks a live node, which answers -MOVED.
            self.counts.extra_trips += 1;
        }
        if target != owner {
            self.counts.moved += 1;
            self.counts.extra_trips += 1;
            if self.refresh_all {
                // CLUSTER SLOTS: the whole table, as it is now (one more round trip).
                self.maps[client] = self.owner.clone();
                self.counts.extra_trips += 1;
            } else {
                Rc::make_mut(&mut self.maps[client])[slot as usize] = owner;
            }
            moved = true;
            target = owner;
            if !self.nodes[target as usize].up {
                return (Reply::NoAnswer, target);
            }
        }
        if let Some((open, from, to)) = self.migration.as_ref().and_then(|m| m.open) {
            if open == slot {
                debug_assert_eq!(from, target);
                let here = keys
                    .iter()
                    .filter(|&&k| self.at[k as usize] == from)
                    .count();
                if here == 0 {
                    self.counts.ask += 1;
                    self.counts.extra_trips += 1;
                    let reply = if moved { Reply::MovedAsk } else { Reply::Ask };
                    return (reply, to);
                }
                if here < keys.len() {
                    return (Reply::TryAgain, from);
                }
            }
        }
        (if moved { Reply::Moved } else { Reply::Served }, target)
    }

    fn request(&mut self, ctx: &mut Ctx<'_, Self>) {
        let Some(user) = self.popularity.pick(ctx.rng, self.users) else {
            return;
        };
        let client = ctx.rng.below(self.maps.len() as u64) as usize;
        let mget = self.mget_percent > 0 && ctx.rng.below(100) < self.mget_percent;
        let first = (2 * user) as u32;
        let keys: Vec<u32> = if mget {
            vec![first, first + 1]
        } else {
            vec![first + ctx.rng.below(2) as u32]
        };
        let sent = self.maps[client][self.keys[keys[0] as usize].slot as usize];
        let (reply, node) = self.route(client, &keys);
        let c = &mut self.counts;
        c.requests += 1;
        if reply.failed() {
            c.failed += 1;
        } else {
            c.served += 1;
            self.served_by[node as usize] += 1;
        }
        if matches!(reply, Reply::Moved | Reply::Ask | Reply::MovedAsk) {
            c.redirected += 1;
        }
        match reply {
            Reply::CrossSlot => c.crossslot += 1,
            Reply::ClusterDown => c.clusterdown += 1,
            _ => {}
        }
        let id = c.requests;
        let outcome = match reply {
            Reply::Served => RequestOutcome::Served,
            Reply::Moved | Reply::Ask | Reply::MovedAsk => RequestOutcome::Misrouted,
            _ => RequestOutcome::Failed,
        };
        let mut r = ShardRequest::served(id, u64::from(keys[0]), u32::from(node), ctx.now);
        r.outcome = outcome;
        self.recent.push(r);
        let names: Vec<&str> = keys
            .iter()
            .map(|&k| self.keys[k as usize].name.as_str())
            .collect();
        let command = format!("{} {}", if mget { "MGET" } else { "GET" }, names.join(" "));
        let slot = self.keys[keys[0] as usize].slot;
        ctx.record(SlotRecord::Request {
            id,
            command,
            slot,
            sent: self.name(sent),
            node: self.name(node),
            reply,
        });
    }

    /// The slot a `move-slot` argument names: a slot number or a key.
    fn slot_arg(arg: &str) -> Result<u16, InputError> {
        if arg.is_empty() {
            return Err(InputError(
                "move-slot needs a slot (0–16383) or a key, e.g. move-slot:user:0".into(),
            ));
        }
        match arg.parse::<u32>() {
            Ok(s) if s < SLOTS => Ok(s as u16),
            Ok(s) => Err(InputError(format!("slot {s} is out of range 0–16383"))),
            Err(_) => Ok(key_slot(arg)),
        }
    }

    fn caption(&self, n: u8) -> String {
        let slots = (0..SLOTS as u16).filter(|&s| self.owner[s as usize] == n);
        let mut text = format!("slots {}", hash::ranges_text(&hash::ranges(slots)));
        if let Some((slot, from, to)) = self.migration.as_ref().and_then(|m| m.open) {
            if from == n {
                text.push_str(&format!(" · {slot} → {}", self.name(to)));
            } else if to == n {
                text.push_str(&format!(" · importing {slot}"));
            }
        }
        text
    }
}

/// Read access for tests and tools.
impl HashSlots {
    /// The node (by number) that owns each slot in the cluster's table.
    pub fn table(&self) -> &[u8] {
        &self.owner
    }
    /// Every key of the sample: its name, its slot and the node (by number) holding it now.
    pub fn key_locations(&self) -> Vec<(String, u16, u8)> {
        self.keys
            .iter()
            .zip(&self.at)
            .map(|(k, &n)| (k.name.clone(), k.slot, n))
            .collect()
    }
    /// The node names, by number.
    pub fn node_names(&self) -> Vec<String> {
        self.nodes.iter().map(|n| n.name.clone()).collect()
    }
    /// Whether a reshard is under way.
    pub fn resharding(&self) -> bool {
        self.migration.is_some()
    }
}

impl Model for HashSlots {
    type Event = SlotEvent;
    type Record = SlotRecord;
    type Frame = ShardFrame;
    const ID: &'static str = "hash-slots";

    fn specs() -> Vec<ParamSpec> {
        let mut specs = vec![
            ParamSpec::int("masters", "Masters", 3, 1, i64::from(MAX_MASTERS), 1)
                .help("Masters the 16,384 slots are split over at creation, as redis-cli --cluster create splits them."),
            ParamSpec::int("replicas", "Replicas per master", 0, 0, 1, 1)
                .help("A replica holds a copy of its master's keys and takes over its slots when the master fails."),
            ParamSpec::int("users", "Users", 200, 1, 5_000, 1)
                .help("Users in the key sample; each has a profile key and a followers key."),
            ParamSpec::choice(
                "tags",
                "Followers key",
                "tagged",
                &[
                    ("tagged", "{user:42}.followers (hash tag)"),
                    ("plain", "user:42.followers (no tag)"),
                ],
            )
            .help("With the hash tag, only user:42 is hashed, so the followers key shares the profile key's slot."),
            ParamSpec::int("mget_percent", "Multi-key reads", 0, 0, 100, 1)
                .unit("%")
                .help("Share of requests that read a user's profile and followers in one MGET."),
            ParamSpec::int("clients", "Clients", 4, 1, 16, 1)
                .help("Smart clients, each with its own cached copy of the slot table."),
            ParamSpec::choice(
                "refresh",
                "On MOVED, the client",
                "slot",
                &[
                    ("slot", "fixes that slot"),
                    ("table", "fetches the whole table"),
                ],
            )
            .help("The specification allows both: update the one slot the -MOVED names, or refresh the whole table with CLUSTER SLOTS (one more round trip, but it learns every other moved slot at once)."),
            ParamSpec::int("migrate_batch", "Keys per MIGRATE", 10, 1, 1_000, 1)
                .help("Keys moved per migration step (redis-cli's --cluster-pipeline, default 10)."),
            ParamSpec::int("step_ms", "Migration step", 10, 1, 1_000, 1)
                .unit("ms")
                .help("Simulated time per migration step: opening a slot, one MIGRATE batch, or SETSLOT NODE."),
            ParamSpec::int("node_timeout_ms", "Node timeout", 3_000, 100, 60_000, 100)
                .unit("ms")
                .help("How long a node must be unreachable before it is flagged FAIL. Redis's default is 15,000 ms; the lessons use 3,000 to fit the timeline."),
            ParamSpec::boolean("full_coverage", "Require full coverage", true)
                .help("cluster-require-full-coverage: when a slot is not served, the whole cluster refuses commands (yes, Redis's default) or only that slot's (no)."),
            ParamSpec::text("lookup", "Look up a key", "somekey", 64)
                .help("Any key: the metrics show its hash slot and the node serving it."),
        ];
        specs.extend(crate::workload::specs(200));
        specs
    }

    fn actions() -> Vec<ActionSpec> {
        vec![
            ActionSpec::new("add-node", "Add an empty master")
                .help("A new node joins as a master holding no slots until a reshard gives it some."),
            ActionSpec::new("reshard", "Reshard")
                .arg("slots to move", Some("1000"))
                .help("Moves this many slots to the master with the fewest, taken from every other master in proportion, one slot at a time."),
            ActionSpec::new("move-slot", "Move the slot of")
                .arg("a key or a slot number", Some("user:0"))
                .help("Moves one slot (a key's, or by number) to the master with the fewest slots."),
            ActionSpec::new("fail-node", "Crash a master").pick("master"),
            ActionSpec::new("restart-node", "Restart a node").pick("node"),
        ]
    }

    fn build(params: &ParamSet, ctx: &mut Ctx<'_, Self>) -> Result<Self, ParamError> {
        let masters = params.int("masters").clamp(1, i64::from(MAX_MASTERS)) as u32;
        let users = params.int("users").clamp(1, 5_000) as u64;
        let tagged = params.text("tags") != "plain";
        let lookup = params.text("lookup").to_string();
        let keys: Vec<SlotKey> = (0..users)
            .flat_map(|u| {
                let followers = if tagged {
                    format!("{{user:{u}}}.followers")
                } else {
                    format!("user:{u}.followers")
                };
                [format!("user:{u}"), followers]
            })
            .map(|name| SlotKey {
                slot: key_slot(&name),
                name,
            })
            .collect();
        let mut by_slot: BTreeMap<u16, Vec<u32>> = BTreeMap::new();
        for (i, k) in keys.iter().enumerate() {
            by_slot.entry(k.slot).or_default().push(i as u32);
        }
        let mut owner = vec![0u8; SLOTS as usize];
        let split = hash::create_split(masters);
        for (m, &(a, b)) in split.iter().enumerate() {
            for s in a..=b {
                owner[s as usize] = m as u8;
            }
        }
        let at: Vec<u8> = keys.iter().map(|k| owner[k.slot as usize]).collect();
        let owner = Rc::new(owner);
        let clients = params.int("clients").clamp(1, 16) as usize;
        let mut model = HashSlots {
            nodes: Vec::new(),
            maps: vec![owner.clone(); clients],
            owner,
            slot_count: Vec::new(),
            popularity: Popularity::from_params(params, users),
            keys: Rc::new(keys),
            at,
            by_slot: Rc::new(by_slot),
            users,
            mget_percent: params.int("mget_percent").clamp(0, 100) as u64,
            batch: params.int("migrate_batch").clamp(1, 1_000) as u32,
            step_us: params.int("step_ms").clamp(1, 1_000) as u64 * 1_000,
            node_timeout_us: params.int("node_timeout_ms").clamp(100, 60_000) as u64 * 1_000,
            full_coverage: params.boolean("full_coverage"),
            refresh_all: params.text("refresh") == "table",
            lookup,
            rate_per_sec: params.int("request_rate").max(0) as f64,
            migration: None,
            counts: Counts::default(),
            served_by: Vec::new(),
            last_change: None,
            recent: RecentRequests::default(),
        };
        for m in 0..masters as usize {
            model.add_node(None, letter(m));
        }
        for (m, &(a, b)) in split.iter().enumerate() {
            model.slot_count[m] = u32::from(b - a) + 1;
        }
        if params.int("replicas") > 0 {
            for m in 0..masters as u8 {
                let name = format!("{}1", letter(m as usize));
                model.add_node(Some(m), name);
            }
        }
        let layout: Vec<String> = split
            .iter()
            .enumerate()
            .map(|(m, &(a, b))| format!("{} {a}–{b}", letter(m)))
            .collect();
        ctx.record(SlotRecord::Built {
            layout: layout.join(", "),
            keys: model.keys.len() as u64,
        });
        ctx.schedule_poisson(model.rate_per_sec, SlotEvent::Request);
        Ok(model)
    }

    fn apply(&mut self, input: &Input, ctx: &mut Ctx<'_, Self>) -> Result<(), InputError> {
        let arg = input.arg.as_deref().unwrap_or("").trim();
        match input.action.as_str() {
            "add-node" => {
                if self.nodes.len() >= MAX_NODES {
                    return Err(InputError(format!("a run has at most {MAX_NODES} nodes")));
                }
                let used: Vec<String> = self.nodes.iter().map(|n| n.name.clone()).collect();
                let name = (0..26)
                    .map(letter)
                    .find(|l| !used.contains(l))
                    .ok_or_else(|| InputError("no node name left".into()))?;
                self.add_node(None, name.clone());
                ctx.record(SlotRecord::Added { node: name });
                Ok(())
            }
            "reshard" => {
                let n: u32 = arg.parse().map_err(|_| {
                    InputError(format!(
                        "reshard needs a number of slots from 1 to {}, e.g. reshard:1000",
                        SLOTS - 1
                    ))
                })?;
                if !(1..SLOTS).contains(&n) {
                    return Err(InputError(format!(
                        "reshard moves from 1 to {} slots, not {n}",
                        SLOTS - 1
                    )));
                }
                self.check_can_reshard()?;
                let to = self
                    .emptiest(None)
                    .ok_or_else(|| InputError("no master to move slots to".into()))?;
                let slots = self.reshard_table(n, to);
                self.start_reshard(slots, to, ctx)
            }
            "move-slot" => {
                let slot = Self::slot_arg(arg)?;
                self.check_can_reshard()?;
                let from = self.owner[slot as usize];
                let to = self.emptiest(Some(from)).ok_or_else(|| {
                    InputError("there is no other master to move the slot to".into())
                })?;
                self.start_reshard(vec![slot], to, ctx)
            }
            "fail-node" => self.crash(arg, ctx),
            "restart-node" => self.restart(arg, ctx),
            other => Err(InputError(format!(
                "unknown action {other:?}; this lesson knows add-node, reshard, move-slot, fail-node and restart-node"
            ))),
        }
    }

    fn handle(&mut self, event: SlotEvent, ctx: &mut Ctx<'_, Self>) {
        match event {
            SlotEvent::Request => {
                self.request(ctx);
                ctx.schedule_poisson(self.rate_per_sec, SlotEvent::Request);
            }
            SlotEvent::Migrate => self.migrate_step(ctx),
            SlotEvent::Timeout { node, epoch } => self.timeout(node, epoch, ctx),
            SlotEvent::Promote { node, epoch } => self.promote(node, epoch, ctx),
        }
    }

    fn frame(&self, now: SimTime) -> ShardFrame {
        let mut keys_on = vec![0u64; self.nodes.len()];
        for &n in &self.at {
            keys_on[n as usize] += 1;
        }
        let shards = self
            .masters()
            .into_iter()
            .map(|n| {
                let node = &self.nodes[n as usize];
                let mut v = ShardView::new(
                    u32::from(n),
                    format!("Node {}", node.name),
                    keys_on[n as usize],
                    self.served_by[n as usize],
                );
                v.caption = Some(self.caption(n));
                v.down = !node.up;
                v.replicas = self
                    .nodes
                    .iter()
                    .filter(|r| r.up && r.replica_of == Some(n))
                    .count() as u32;
                v
            })
            .collect();
        let state = if self.cluster_down() {
            " · CLUSTERDOWN"
        } else {
            ""
        };
        ShardFrame {
            now,
            rule: format!("slot = CRC16(key) mod 16384 → node{state}"),
            shards,
            keys: self
                .keys
                .iter()
                .enumerate()
                .take(FRAME_KEYS)
                .map(|(i, k)| ShardKeyView {
                    name: k.name.clone(),
                    id: i as u64,
                    shard: u32::from(self.at[i]),
                    hot: false,
                    share: None,
                })
                .collect(),
            keys_total: self.keys.len() as u64,
            last_change: self.last_change.clone(),
            requests: self.recent.shown(now),
            front: vec![FrontView {
                id: "slot-map".into(),
                label: "Slot tables".into(),
                caption: Some(format!(
                    "MOVED {} · ASK {}",
                    self.counts.moved, self.counts.ask
                )),
                down: self.cluster_down(),
            }],
            fanout: None,
            ring: None,
        }
    }

    fn metrics(&self) -> Metrics {
        let c = &self.counts;
        let masters = self.masters();
        let int = |v: u64| MetricValue::Int(v as i64);
        let metric = |id, label, value, unit, help| Metric {
            id,
            label,
            value,
            unit,
            help,
        };
        let migrating = match self.migration.as_ref().and_then(|m| m.open) {
            Some((s, f, t)) => {
                MetricValue::Text(format!("{s}: {} → {}", self.name(f), self.name(t)))
            }
            None => MetricValue::Text("none".into()),
        };
        let lookup_slot = key_slot(&self.lookup);
        let lookup_owner = self.owner[lookup_slot as usize];
        let [moved_keys, moved_pct] = moved_metrics(
            self.last_change
                .as_ref()
                .map(|ch| (ch.moves.len() as u64, ch.total)),
        );
        let per = |f: &dyn Fn(u8) -> u64| -> Vec<(String, f64)> {
            masters
                .iter()
                .map(|&n| (self.name(n), f(n) as f64))
                .collect()
        };
        let mut keys_on = vec![0u64; self.nodes.len()];
        for &n in &self.at {
            keys_on[n as usize] += 1;
        }
        Metrics {
            scalars: vec![
                metric("lookup_slot", "Slot of the looked-up key", MetricValue::Int(i64::from(lookup_slot)), None,
                    "CRC16 of the key (or of its hash tag) mod 16384: what CLUSTER KEYSLOT answers."),
                metric("lookup_node", "Node serving it", MetricValue::Text(self.name(lookup_owner)), None,
                    "The master that owns the looked-up key's slot in the cluster's table."),
                metric("masters", "Masters", int(masters.iter().filter(|&&m| self.nodes[m as usize].up).count() as u64), None,
                    "Masters that are up."),
                metric("requests", "Requests", int(c.requests), None, "Commands sent so far."),
                metric("moved", "MOVED", int(c.moved), None,
                    "-MOVED redirections: a client's table named a node that no longer owns the slot; it updates the entry and retries."),
                metric("ask", "ASK", int(c.ask), None,
                    "-ASK redirections: the slot is migrating and the key has already moved; the client retries at the target with ASKING and keeps its table."),
                metric("redirected_percent", "Requests redirected", MetricValue::Float(share_percent(c.redirected, c.requests)), Some("%"),
                    "Share of requests that needed at least one redirection."),
                metric("extra_round_trips", "Extra round trips", int(c.extra_trips), None,
                    "Round trips beyond one per request: one per redirection, one per table fetch, one per failed connection."),
                metric("slots_migrated", "Slots migrated", int(c.slots_migrated), None, "Slots handed to another master by SETSLOT NODE."),
                metric("keys_migrated", "Keys migrated", int(c.keys_migrated), None, "Keys moved by MIGRATE."),
                metric("migrating", "Migrating slot", migrating, None, "The slot open now (MIGRATING on its source, IMPORTING on its target)."),
                metric("failed", "Failed requests", int(c.failed), None,
                    "Requests that got an error or no answer: CROSSSLOT, CLUSTERDOWN, TRYAGAIN, or a down node."),
                metric("crossslot", "CROSSSLOT errors", int(c.crossslot), None, "Multi-key commands whose keys hash to different slots."),
                metric("clusterdown", "CLUSTERDOWN errors", int(c.clusterdown), None, "Commands refused because a slot was not served."),
                metric("availability_percent", "Availability", if c.requests == 0 { MetricValue::None } else {
                    MetricValue::Float(share_percent(c.served, c.requests)) }, Some("%"), "Share of requests served."),
                metric("cluster_state", "Cluster state", MetricValue::Text(if self.cluster_down() { "fail" } else { "ok" }.into()), None,
                    "What CLUSTER INFO reports: fail while a slot is uncovered and full coverage is required."),
                moved_keys,
                moved_pct,
            ],
            groups: vec![
                MetricGroup {
                    id: "slots_per_node",
                    label: "Slots per master",
                    unit: Some("slots"),
                    values: per(&|n| u64::from(self.slot_count[n as usize])),
                },
                MetricGroup {
                    id: "keys_per_node",
                    label: "Keys per master",
                    unit: Some("keys"),
                    values: per(&|n| keys_on[n as usize]),
                },
                MetricGroup {
                    id: "requests_per_node",
                    label: "Requests served per master",
                    unit: Some("requests"),
                    values: per(&|n| self.served_by[n as usize]),
                },
            ],
        }
    }

    fn choices(&self, action: &str) -> Vec<Choice> {
        match action {
            "fail-node" => self
                .masters()
                .into_iter()
                .filter(|&m| self.nodes[m as usize].up)
                .map(|m| {
                    let c = Choice::new(self.name(m));
                    if self.migration.is_some() {
                        c.unavailable("a reshard is under way")
                    } else {
                        c
                    }
                })
                .collect(),
            "restart-node" => {
                let down: Vec<Choice> = self
                    .nodes
                    .iter()
                    .filter(|n| !n.up)
                    .map(|n| Choice::new(n.name.clone()))
                    .collect();
                if down.is_empty() {
                    // Offer the masters, greyed out, so the button says why.
                    self.masters()
                        .into_iter()
                        .map(|m| Choice::new(self.name(m)).unavailable("it is not down"))
                        .collect()
                } else {
                    down
                }
            }
            _ => Vec::new(),
        }
    }

    fn queries() -> Queries<Self> {
        Queries::new().with::<dyn Placement>(|m| m)
    }

    fn validate(&self) -> Result<(), String> {
        if self.owner.len() != SLOTS as usize {
            return Err(format!("the table has {} slots", self.owner.len()));
        }
        let mut count = vec![0u32; self.nodes.len()];
        for (s, &n) in self.owner.iter().enumerate() {
            if !self.is_master(n) {
                return Err(format!("slot {s} is owned by {n}, which is not a master"));
            }
            count[n as usize] += 1;
        }
        if count != self.slot_count {
            return Err(format!(
                "slot counts {:?} disagree with the table's {count:?}",
                self.slot_count
            ));
        }
        let open = self.migration.as_ref().and_then(|m| m.open);
        for (k, key) in self.keys.iter().enumerate() {
            let at = self.at[k];
            let owner = self.owner[key.slot as usize];
            let ok = match open {
                Some((s, from, to)) if s == key.slot => at == from || at == to,
                _ => at == owner,
            };
            if !ok {
                return Err(format!(
                    "key {} (slot {}) is on {} but its slot belongs to {}",
                    key.name,
                    key.slot,
                    self.name(at),
                    self.name(owner)
                ));
            }
            if key.slot != key_slot(&key.name) {
                return Err(format!("key {} has a stale slot", key.name));
            }
        }
        for (c, map) in self.maps.iter().enumerate() {
            if map.iter().any(|&n| n as usize >= self.nodes.len()) {
                return Err(format!(
                    "client {c}'s table names a node that does not exist"
                ));
            }
        }
        let c = &self.counts;
        if c.served + c.failed != c.requests || c.redirected > c.moved + c.ask {
            return Err(format!("request counts do not add up: {c:?}"));
        }
        Ok(())
    }
}

impl Placement for HashSlots {
    /// Every master, up or down, by node number (as the diagram draws them).
    fn nodes(&self) -> Vec<String> {
        self.masters().iter().map(|n| n.to_string()).collect()
    }

    /// A key is named as Redis names it (`user:42`, `{user:42}.followers`, any other key), or by
    /// its number in the sample as the diagram draws it (`3`). The answer is the node number
    /// serving it (during a migration, a sample key already moved is served by the target).
    /// Replicas serve no reads here, so none are listed.
    fn owners(&self, key: &str) -> Option<Vec<String>> {
        let key = key.trim();
        let node = match self.find_key(key).or_else(|| {
            key.parse::<u32>()
                .ok()
                .filter(|&i| (i as usize) < self.keys.len())
        }) {
            Some(k) => self.at[k as usize],
            None => self.owner[key_slot(key) as usize],
        };
        Some(vec![node.to_string()])
    }

    fn last_moved(&self) -> Option<Moved> {
        self.last_change.as_ref().map(ShardChange::moved)
    }

    fn last_moves(&self) -> Option<Vec<Move>> {
        let c = self.last_change.as_ref()?;
        Some(c.listed(|id| self.keys[id as usize].name.clone()))
    }

    /// Redis's own answer: `CLUSTER KEYSLOT key`, and the master that owns that slot.
    fn slot_of(&self, key: &str) -> Option<SlotOf> {
        let slot = key_slot(key);
        Some(SlotOf {
            slot: u32::from(slot),
            node: self.name(self.owner[slot as usize]),
        })
    }
}
