//! The cache diagram's frame: a policy's own structure (segments in the policy's order, the
//! next victim last; ghost lists; a hand; adaptive values) and the last request's events, as
//! plain owned data (serde: frames cross the wasm boundary as values).

use crate::cache::CacheEvent;
use crate::time::SimTime;
use serde::{Deserialize, Serialize};

/// What the cache diagram draws at one moment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CacheFrame {
    /// When.
    pub now: SimTime,
    /// The policy's id (`lru`).
    pub policy: String,
    /// Its label (`LRU`).
    pub policy_label: String,
    /// Capacity in units.
    pub capacity: u64,
    /// Units in use.
    pub used: u64,
    /// Units are bytes (objects have sizes) rather than objects.
    pub bytes: bool,
    /// The policy's segments, as it names them.
    pub segments: Vec<FrameSegment>,
    /// A clock or SIEVE hand: (segment index, entry index).
    pub hand: Option<(u32, u32)>,
    /// Named numbers (ARC's `p`, TinyLFU's last duel, LFU-DA's `L`).
    pub values: Vec<(String, i64)>,
    /// The last request served, and what the policy did.
    pub last: Option<LastRequest>,
    /// The next keys of the stream.
    pub upcoming: Vec<u64>,
    /// W-TinyLFU's count-min sketch, packed ([`FrameSketch::pack`]; empty for other policies;
    /// read it with [`CacheFrame::sketch`]). Numbers, not a struct of its own: a frame crosses
    /// to the app as JSON, and every type the app decodes adds its decoder to the first load.
    pub sketch: Vec<u64>,
    /// The keys of this frame that the reader's trace names, in order (empty when keys have no
    /// names but their numbers) ...
    pub named: Vec<u64>,
    /// ... and their names, as the file writes them.
    pub names: Vec<String>,
}

impl CacheFrame {
    /// A key as this frame names it: the trace's own name, else [`super::key_label`].
    pub fn label(&self, key: u64) -> String {
        match self.named.binary_search(&key) {
            Ok(i) => self.names[i].clone(),
            Err(_) => super::key_label(key),
        }
    }

    /// W-TinyLFU's sketch, if the policy has one.
    pub fn sketch(&self) -> Option<FrameSketch> {
        FrameSketch::unpack(&self.sketch)
    }
}

/// The roles a sketch key plays, by number in the packed form.
const ROLES: [&str; 3] = ["request", "candidate", "victim"];

/// A count-min sketch as W-TinyLFU holds it, and the counters of the keys that matter now.
#[derive(Clone, Debug, PartialEq)]
pub struct FrameSketch {
    /// Rows (hash functions).
    pub rows: u32,
    /// Counters per row.
    pub width: u64,
    /// Increments counted since the last halving.
    pub sample: u64,
    /// W: the sample count at which every counter (and the count) halves.
    pub sample_size: u64,
    /// Halvings so far.
    pub resets: u64,
    /// Whether a doorkeeper (a Bloom filter) sits in front of the counters.
    pub doorkeeper: bool,
    /// The last request's key (read now), then the last duel's candidate and victim (read when
    /// the duel was fought).
    pub keys: Vec<SketchKey>,
}

impl FrameSketch {
    /// As numbers: rows, width, sample, sample size, resets, doorkeeper (0/1), then per key: the
    /// key, its role (0 request, 1 candidate, 2 victim), `at`, doorkeeper (0 no, 1 yes, 2 none),
    /// the estimate, and per row the column and the count.
    pub fn pack(&self) -> Vec<u64> {
        let mut v = vec![
            u64::from(self.rows),
            self.width,
            self.sample,
            self.sample_size,
            self.resets,
            u64::from(self.doorkeeper),
        ];
        for k in &self.keys {
            let role = ROLES.iter().position(|r| *r == k.role).unwrap_or(0) as u64;
            let door = k.doorkeeper.map_or(2, u64::from);
            v.extend([k.key, role, k.at, door, u64::from(k.estimate)]);
            v.extend(k.cells.iter().flat_map(|&(c, n)| [c, u64::from(n)]));
        }
        v
    }

    /// What [`pack`](Self::pack) wrote; `None` for an empty or malformed list.
    pub fn unpack(v: &[u64]) -> Option<FrameSketch> {
        let (head, mut rest) = (v.get(..6)?, v.get(6..)?);
        let rows = u32::try_from(head[0]).ok()?;
        let per = 5 + 2 * rows as usize;
        let mut keys = Vec::new();
        while !rest.is_empty() {
            let k = rest.get(..per)?;
            keys.push(SketchKey {
                key: k[0],
                role: ROLES.get(k[1] as usize)?.to_string(),
                at: k[2],
                doorkeeper: (k[3] < 2).then_some(k[3] == 1),
                estimate: u32::try_from(k[4]).ok()?,
                cells: k[5..].chunks(2).map(|c| (c[0], c[1] as u32)).collect(),
            });
            rest = &rest[per..];
        }
        Some(FrameSketch {
            rows,
            width: head[1],
            sample: head[2],
            sample_size: head[3],
            resets: head[4],
            doorkeeper: head[5] == 1,
            keys,
        })
    }
}

/// One key's counters: one per row.
#[derive(Clone, Debug, PartialEq)]
pub struct SketchKey {
    /// The key.
    pub key: u64,
    /// `request`, `candidate` or `victim`.
    pub role: String,
    /// The request after which the counters were read.
    pub at: u64,
    /// Per row: the column the row's hash picks, and the counter there.
    pub cells: Vec<(u64, u32)>,
    /// Whether the doorkeeper holds the key (`None`: no doorkeeper).
    pub doorkeeper: Option<bool>,
    /// The sketch's estimate: the smallest counter, plus one if the doorkeeper holds the key.
    pub estimate: u32,
}

impl SketchKey {
    /// The counters of `c`, read after request `at`.
    pub fn of(c: &crate::cache::tinylfu::SketchCells, role: &str, at: u64) -> Self {
        SketchKey {
            key: c.key,
            role: role.to_string(),
            at,
            cells: c
                .cells
                .iter()
                .map(|&(col, n)| (col, u32::from(n)))
                .collect(),
            doorkeeper: c.doorkeeper,
            estimate: c.estimate,
        }
    }
}

/// One segment: a queue, list, ghost list or frequency list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FrameSegment {
    /// Its name (`T1`, `small`, `LRU list`).
    pub name: String,
    /// A ghost list: keys only, not cached.
    pub ghost: bool,
    /// Its own capacity in units, if it has one.
    pub capacity: Option<u64>,
    /// Entries, the next victim last (the first [`super::FRAME_ENTRIES`]).
    pub entries: Vec<FrameEntry>,
    /// Entries not drawn.
    pub more: u64,
}

/// One entry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FrameEntry {
    /// The key.
    pub key: u64,
    /// Its size in units.
    pub size: u32,
    /// The policy's mark (visited bit, frequency, counter), if any.
    pub mark: Option<u32>,
}

/// The kinds of event the diagram colours.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventKind {
    /// Found in the cache.
    Hit,
    /// Not found.
    Miss,
    /// Stored.
    Insert,
    /// Moved or promoted.
    Move,
    /// Evicted.
    Evict,
    /// A key forgotten by a ghost list (it was not cached).
    Forget,
    /// Not admitted.
    Refuse,
    /// A parameter adapted.
    Adapt,
}

impl EventKind {
    /// Lowercase name, for classes and test ids.
    pub fn name(self) -> &'static str {
        match self {
            EventKind::Hit => "hit",
            EventKind::Miss => "miss",
            EventKind::Insert => "insert",
            EventKind::Move => "move",
            EventKind::Evict => "evict",
            EventKind::Forget => "forget",
            EventKind::Refuse => "refuse",
            EventKind::Adapt => "adapt",
        }
    }
}

/// One event of the last request, narrated.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FrameEvent {
    /// What happened.
    pub kind: EventKind,
    /// The key it happened to (none for an adaptation).
    pub key: Option<u64>,
    /// In words.
    pub text: String,
}

impl FrameEvent {
    /// The event as drawn; `ghost`: an eviction from a ghost list; keys named by `labels`.
    pub fn from_event(e: &CacheEvent, ghost: bool, labels: &super::Labels) -> FrameEvent {
        let (kind, key) = match e {
            CacheEvent::Hit { key, .. } => (EventKind::Hit, Some(*key)),
            CacheEvent::Miss { key, .. } => (EventKind::Miss, Some(*key)),
            CacheEvent::Insert { key, .. } => (EventKind::Insert, Some(*key)),
            CacheEvent::Move { key, .. } => (EventKind::Move, Some(*key)),
            CacheEvent::Evict { key, .. } if ghost => (EventKind::Forget, Some(*key)),
            CacheEvent::Evict { key, .. } => (EventKind::Evict, Some(*key)),
            CacheEvent::Refuse { key, .. } => (EventKind::Refuse, Some(*key)),
            CacheEvent::Adapt { .. } => (EventKind::Adapt, None),
        };
        FrameEvent {
            kind,
            key,
            text: super::narrate_event(e, ghost, labels),
        }
    }
}

/// The last request served.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LastRequest {
    /// Its number (from 1).
    pub n: u64,
    /// The key asked for.
    pub key: u64,
    /// Whether it hit.
    pub hit: bool,
    /// When it was served.
    pub at: SimTime,
    /// What the policy did, in order.
    pub events: Vec<FrameEvent>,
}

impl LastRequest {
    /// The kind of the most telling event on `key` in this request (an eviction or refusal over
    /// an insert, an insert over a miss), if any.
    pub fn kind_of(&self, key: u64) -> Option<EventKind> {
        let rank = |k: EventKind| match k {
            EventKind::Evict | EventKind::Refuse => 4,
            EventKind::Hit => 3,
            EventKind::Move => 2,
            EventKind::Insert => 1,
            _ => 0,
        };
        self.events
            .iter()
            .filter(|e| e.key == Some(key))
            .map(|e| e.kind)
            .max_by_key(|k| rank(*k))
    }

    /// The events in one line.
    pub fn narration(&self) -> String {
        let parts: Vec<&str> = self.events.iter().map(|e| e.text.as_str()).collect();
        format!("Request {}: {}.", self.n, parts.join("; "))
    }
}
