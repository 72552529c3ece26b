//! W-TinyLFU (Einziger, Friedman & Manes, "TinyLFU: A Highly Efficient Cache Admission
//! Policy", ACM Transactions on Storage 13(4), 2017), as Caffeine's simulator
//! (`WindowTinyLfuPolicy`, `FrequencySketch`) runs it.
//!
//! - A **window**: an LRU holding 1 % of the capacity (at least one unit). Every new object
//!   enters here, so recency bursts still hit.
//! - A **main** space (the other 99 %): a segmented LRU, 80 % *protected* and the rest
//!   *probation*. A hit in probation promotes to protected; protected's overflow is demoted to
//!   probation's MRU end.
//! - A **count-min sketch** (the paper's approximate counting): 4 rows of 4-bit counters
//!   (saturating at 15), every access recorded. A row is 4 × the capacity rounded up to a power
//!   of two wide, Caffeine's sizing (capped at [`MAX_WIDTH`]). **Reset** (the paper's freshness
//!   mechanism): after a sample of W = 10 × capacity additions, every counter and the addition
//!   count are halved, so old popularity fades.
//! - An optional **doorkeeper** (one of the paper's space reductions): a Bloom filter in front
//!   of the sketch. A key's first occurrence in a sample only sets its doorkeeper bits; the
//!   estimate adds 1 for a key in the doorkeeper. Reset clears it.
//! - The **admission duel** (the paper's W-TinyLFU): when the window overflows, its LRU object
//!   (the *candidate*) enters probation if the cache has room; otherwise it competes with
//!   main's victim (probation's LRU, or protected's when probation is empty) and enters only if
//!   its estimated frequency is strictly higher (a tie keeps the victim, as in Caffeine).
//!
//! `validate` checks: every list's links and index agree, the window, protected segment and
//! whole cache stay within their bounds, the lists are disjoint and the sketch's addition count
//! is below its sample size.
//!
//! Simplifications: the window is fixed at 1 % (Caffeine's cache adapts it by hill climbing; its
//! simulator's `WindowTinyLfuPolicy` does not); no random admission of warm candidates (Caffeine's
//! defence against hash flooding); the sketch's hashes are SplitMix64's finaliser over the key
//! xor a per-row seed. With byte capacity the candidate duels victim after victim until it fits
//! or loses; an object larger than the cache is refused.

use super::list::KeyList;
use super::{CacheEvent, CacheView, Outcome, Policy, Request, ViewEntry, ViewSegment};
use crate::rng::splitmix64_fmix;

/// The LRU admission window.
pub const WINDOW: &str = "window";
/// Main's probation segment.
pub const PROBATION: &str = "probation";
/// Main's protected segment.
pub const PROTECTED: &str = "protected";

/// The seeds of the sketch's four row hashes: row `i` counts `key` at
/// `splitmix64_fmix(key ^ SKETCH_SEEDS[i]) % width`.
pub const SKETCH_SEEDS: [u64; 4] = [
    0x9e37_79b9_7f4a_7c15,
    0xc2b2_ae3d_27d4_eb4f,
    0x1656_67b1_9e37_79f9,
    0x27d4_eb2f_1656_67c5,
];

/// The seeds of the doorkeeper's three bit positions: `splitmix64_fmix(key ^ seed) % bits`.
pub const DOORKEEPER_SEEDS: [u64; 3] = [
    0x85eb_ca77_c2b2_ae63,
    0xff51_afd7_ed55_8ccd,
    0xc4ce_b9fe_1a85_ec53,
];

/// The widest sketch row (counters): with byte capacity the capacity counts bytes, not objects,
/// and an uncapped sketch would take gigabytes (2 MiB at this cap).
pub const MAX_WIDTH: u64 = 1 << 20;

/// The largest doorkeeper (bits; 2 MiB).
pub const MAX_DOORKEEPER_BITS: u64 = 1 << 24;

/// The largest value of a 4-bit counter.
pub const COUNTER_MAX: u8 = 15;

/// A count-min sketch with 4-bit counters, packed 16 to a `u64`, and its reset, with an
/// optional doorkeeper (see the module doc).
#[derive(Clone, Debug)]
pub struct FrequencySketch {
    /// Counters per row (a power of two).
    width: u64,
    /// 4 rows × `width` counters, 16 per word.
    words: Vec<u64>,
    /// Additions since the last reset.
    additions: u64,
    /// W: additions that trigger a reset.
    sample_size: u64,
    /// The doorkeeper's bits (empty when it is off).
    doorkeeper: Vec<u64>,
    /// Resets so far.
    resets: u64,
}

impl FrequencySketch {
    /// A sketch sized for a cache of `capacity` objects.
    pub fn new(capacity: u64, doorkeeper: bool) -> Self {
        let width = (capacity.clamp(1, MAX_WIDTH / 4).next_power_of_two() * 4).max(16);
        let sample_size = 10 * capacity.max(1);
        let dk_bits = sample_size
            .clamp(64, MAX_DOORKEEPER_BITS)
            .next_power_of_two();
        FrequencySketch {
            width,
            words: vec![0; (4 * width / 16) as usize],
            additions: 0,
            sample_size,
            doorkeeper: if doorkeeper {
                vec![0; (dk_bits / 64) as usize]
            } else {
                Vec::new()
            },
            resets: 0,
        }
    }

    /// The column of `key`'s counter in `row`.
    fn column(&self, row: u64, key: u64) -> u64 {
        splitmix64_fmix(key ^ SKETCH_SEEDS[row as usize]) & (self.width - 1)
    }

    fn counter_at(&self, row: u64, key: u64) -> (usize, u32) {
        let i = row * self.width + self.column(row, key);
        ((i / 16) as usize, ((i % 16) * 4) as u32)
    }

    fn counter(&self, row: u64, key: u64) -> u8 {
        let (w, shift) = self.counter_at(row, key);
        ((self.words[w] >> shift) & 0xf) as u8
    }

    fn doorkeeper_bits(&self, key: u64) -> [(usize, u32); 3] {
        let bits = self.doorkeeper.len() as u64 * 64;
        DOORKEEPER_SEEDS.map(|seed| {
            let b = splitmix64_fmix(key ^ seed) & (bits - 1);
            ((b / 64) as usize, (b % 64) as u32)
        })
    }

    fn in_doorkeeper(&self, key: u64) -> bool {
        !self.doorkeeper.is_empty()
            && self
                .doorkeeper_bits(key)
                .iter()
                .all(|&(w, b)| self.doorkeeper[w] >> b & 1 == 1)
    }

    /// The estimated frequency: the smallest of the key's four counters, plus one if the
    /// doorkeeper holds the key.
    pub fn estimate(&self, key: u64) -> u32 {
        let min = (0..4).map(|r| self.counter(r, key)).min().unwrap_or(0);
        u32::from(min) + u32::from(self.in_doorkeeper(key))
    }

    /// Records one access. With the doorkeeper, a key not yet in it is only put there.
    pub fn increment(&mut self, key: u64) {
        if !self.doorkeeper.is_empty() && !self.in_doorkeeper(key) {
            for (w, b) in self.doorkeeper_bits(key) {
                self.doorkeeper[w] |= 1 << b;
            }
        } else {
            for row in 0..4 {
                let (w, shift) = self.counter_at(row, key);
                if (self.words[w] >> shift) & 0xf < u64::from(COUNTER_MAX) {
                    self.words[w] += 1 << shift;
                }
            }
        }
        self.additions += 1;
        if self.additions >= self.sample_size {
            self.reset();
        }
    }

    /// Halves every counter and the addition count; clears the doorkeeper.
    fn reset(&mut self) {
        // Shifting a word right by one moves each counter's low bit into its neighbour's high
        // bit; the mask clears those bits, leaving each counter halved (rounded down).
        for w in &mut self.words {
            *w = (*w >> 1) & 0x7777_7777_7777_7777;
        }
        self.additions /= 2;
        self.doorkeeper.iter_mut().for_each(|w| *w = 0);
        self.resets += 1;
    }

    /// Additions since the last reset.
    pub fn additions(&self) -> u64 {
        self.additions
    }

    /// W, the additions that trigger a reset.
    pub fn sample_size(&self) -> u64 {
        self.sample_size
    }

    /// Resets so far.
    pub fn resets(&self) -> u64 {
        self.resets
    }

    /// Counters per row.
    pub fn width(&self) -> u64 {
        self.width
    }

    /// Whether the sketch has a doorkeeper.
    pub fn has_doorkeeper(&self) -> bool {
        !self.doorkeeper.is_empty()
    }

    /// `key`'s counters as the sketch holds them (read only: nothing is counted).
    pub fn cells(&self, key: u64) -> SketchCells {
        SketchCells {
            key,
            cells: [0, 1, 2, 3].map(|row| (self.column(row, key), self.counter(row, key))),
            doorkeeper: self.has_doorkeeper().then(|| self.in_doorkeeper(key)),
            estimate: self.estimate(key),
        }
    }
}

/// One key's counters in the sketch: the estimate is the smallest of them, plus one when the
/// doorkeeper holds the key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SketchCells {
    /// The key.
    pub key: u64,
    /// Per row, in row order: the column the row's hash picks and the counter there.
    pub cells: [(u64, u8); 4],
    /// Whether the doorkeeper holds the key (`None`: the sketch has no doorkeeper).
    pub doorkeeper: Option<bool>,
    /// [`FrequencySketch::estimate`] of the key.
    pub estimate: u32,
}

/// The last admission duel: the candidate's and the victim's keys and estimates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Duel {
    /// The window's victim.
    pub candidate: u64,
    /// Its estimated frequency.
    pub candidate_freq: u32,
    /// Main's victim.
    pub victim: u64,
    /// Its estimated frequency.
    pub victim_freq: u32,
    /// Whether the candidate won.
    pub admitted: bool,
}

/// A W-TinyLFU cache. See the module doc.
#[derive(Clone, Debug)]
pub struct TinyLfu {
    capacity: u64,
    max_window: u64,
    max_protected: u64,
    window: KeyList,
    probation: KeyList,
    protected: KeyList,
    sketch: FrequencySketch,
    last_duel: Option<Duel>,
}

impl TinyLfu {
    /// An empty W-TinyLFU cache of `capacity` units without a doorkeeper (Caffeine's setup).
    pub fn new(capacity: u64) -> Self {
        Self::with_doorkeeper(capacity, false)
    }

    /// An empty W-TinyLFU cache, with or without the doorkeeper.
    pub fn with_doorkeeper(capacity: u64, doorkeeper: bool) -> Self {
        // Caffeine's split: main = ⌊99 % · capacity⌋, the window the rest; protected =
        // ⌊80 % · main⌋.
        let main = capacity * 99 / 100;
        TinyLfu {
            capacity,
            max_window: capacity - main,
            max_protected: main * 80 / 100,
            window: KeyList::new(),
            probation: KeyList::new(),
            protected: KeyList::new(),
            sketch: FrequencySketch::new(capacity, doorkeeper),
            last_duel: None,
        }
    }

    /// The frequency sketch.
    pub fn sketch(&self) -> &FrequencySketch {
        &self.sketch
    }

    /// `key`'s counters in the sketch, as the diagram draws them.
    pub fn sketch_view(&self, key: u64) -> SketchCells {
        self.sketch.cells(key)
    }

    /// The last admission duel, if any.
    pub fn last_duel(&self) -> Option<Duel> {
        self.last_duel
    }

    fn cached(&self) -> u64 {
        self.window.used() + self.probation.used() + self.protected.used()
    }

    /// Moves the window's overflow into main, each candidate through the admission duel.
    fn evict_window(&mut self, events: &mut Option<&mut Vec<CacheEvent>>) {
        while self.window.used() > self.max_window {
            let Some(cand) = self.window.pop_back() else {
                break;
            };
            self.admit(cand.key, cand.size, events);
        }
    }

    fn admit(&mut self, key: u64, size: u32, events: &mut Option<&mut Vec<CacheEvent>>) {
        loop {
            if self.cached() + u64::from(size) <= self.capacity {
                self.probation.push_front(key, size, 0);
                if let Some(ev) = events.as_deref_mut() {
                    ev.push(CacheEvent::Move {
                        key,
                        from: WINDOW,
                        to: PROBATION,
                    });
                }
                return;
            }
            let (list, name) = if !self.probation.is_empty() {
                (&mut self.probation, PROBATION)
            } else {
                (&mut self.protected, PROTECTED)
            };
            let Some(slot) = list.back() else {
                // Main is empty and still the candidate does not fit: nothing to duel.
                if let Some(ev) = events.as_deref_mut() {
                    ev.push(CacheEvent::Evict {
                        key,
                        segment: WINDOW,
                        why: "least recent in the window, and main has no room for it".into(),
                    });
                }
                return;
            };
            let victim = list.node(slot).key;
            let candidate_freq = self.sketch.estimate(key);
            let victim_freq = self.sketch.estimate(victim);
            let admitted = candidate_freq > victim_freq;
            self.last_duel = Some(Duel {
                candidate: key,
                candidate_freq,
                victim,
                victim_freq,
                admitted,
            });
            if !admitted {
                if let Some(ev) = events.as_deref_mut() {
                    ev.push(CacheEvent::Refuse {
                        key,
                        why: format!(
                            "k{key} (freq {candidate_freq}) lost to k{victim} (freq {victim_freq})"
                        ),
                    });
                }
                return;
            }
            let list = if name == PROBATION {
                &mut self.probation
            } else {
                &mut self.protected
            };
            list.remove_slot(slot);
            if let Some(ev) = events.as_deref_mut() {
                ev.push(CacheEvent::Evict {
                    key: victim,
                    segment: name,
                    why: format!(
                        "lost the admission duel: k{victim} (freq {victim_freq}) against k{key} (freq {candidate_freq})"
                    ),
                });
            }
        }
    }
}

impl Policy for TinyLfu {
    fn id(&self) -> &'static str {
        "tinylfu"
    }

    fn access(&mut self, req: &Request, mut events: Option<&mut Vec<CacheEvent>>) -> Outcome {
        let key = req.key;
        self.sketch.increment(key);
        if self.window.move_to_front(key) {
            if let Some(ev) = events {
                ev.push(CacheEvent::Hit {
                    key,
                    segment: WINDOW,
                });
            }
            return Outcome::Hit;
        }
        if self.protected.move_to_front(key) {
            if let Some(ev) = events {
                ev.push(CacheEvent::Hit {
                    key,
                    segment: PROTECTED,
                });
            }
            return Outcome::Hit;
        }
        if let Some(node) = self.probation.remove(key) {
            // Promotion to protected; its overflow is demoted to probation's MRU end.
            self.protected.push_front(key, node.size, 0);
            if let Some(ev) = events.as_deref_mut() {
                ev.push(CacheEvent::Hit {
                    key,
                    segment: PROBATION,
                });
                ev.push(CacheEvent::Move {
                    key,
                    from: PROBATION,
                    to: PROTECTED,
                });
            }
            while self.protected.used() > self.max_protected {
                let Some(demoted) = self.protected.pop_back() else {
                    break;
                };
                self.probation
                    .push_front(demoted.key, demoted.size, demoted.mark);
                if let Some(ev) = events.as_deref_mut() {
                    ev.push(CacheEvent::Move {
                        key: demoted.key,
                        from: PROTECTED,
                        to: PROBATION,
                    });
                }
            }
            return Outcome::Hit;
        }
        if let Some(ev) = events.as_deref_mut() {
            ev.push(CacheEvent::Miss { key, ghost: None });
        }
        let size = u64::from(req.size);
        if size > self.capacity {
            if let Some(ev) = events {
                ev.push(CacheEvent::Refuse {
                    key,
                    why: format!(
                        "size {size} is larger than the whole cache ({})",
                        self.capacity
                    ),
                });
            }
            return Outcome::Miss;
        }
        self.window.push_front(key, req.size, 0);
        if let Some(ev) = events.as_deref_mut() {
            ev.push(CacheEvent::Insert {
                key,
                segment: WINDOW,
            });
        }
        self.evict_window(&mut events);
        // With sizes (or after invalidations) main may have taken the room the window did not
        // use: more candidates leave the window, through the duel, until everything fits.
        while self.cached() > self.capacity {
            let Some(cand) = self.window.pop_back() else {
                break;
            };
            self.admit(cand.key, cand.size, &mut events);
        }
        Outcome::Miss
    }

    fn contains(&self, key: u64) -> bool {
        self.window.contains(key) || self.probation.contains(key) || self.protected.contains(key)
    }

    fn remove(&mut self, key: u64) -> bool {
        self.window.remove(key).is_some()
            || self.probation.remove(key).is_some()
            || self.protected.remove(key).is_some()
    }

    fn used(&self) -> u64 {
        self.cached()
    }

    fn len(&self) -> u64 {
        self.window.len() + self.probation.len() + self.protected.len()
    }

    fn capacity(&self) -> u64 {
        self.capacity
    }

    /// The window, probation and protected segments, each entry marked with its sketch
    /// estimate; `values` hold the last duel's estimates, the sketch's additions and sample size.
    fn view(&self) -> CacheView {
        let seg = |name, list: &KeyList, capacity| ViewSegment {
            name,
            ghost: false,
            capacity: Some(capacity),
            entries: list
                .iter()
                .map(|(_, n)| ViewEntry {
                    key: n.key,
                    size: n.size,
                    mark: Some(self.sketch.estimate(n.key)),
                })
                .collect(),
        };
        let main = self.capacity - self.max_window;
        let mut values = Vec::new();
        if let Some(d) = self.last_duel {
            values.push(("duel_candidate_freq", i64::from(d.candidate_freq)));
            values.push(("duel_victim_freq", i64::from(d.victim_freq)));
            values.push(("duel_admitted", i64::from(d.admitted)));
        }
        values.push(("sketch_additions", self.sketch.additions() as i64));
        values.push(("sketch_sample_size", self.sketch.sample_size() as i64));
        CacheView {
            segments: vec![
                seg(WINDOW, &self.window, self.max_window),
                seg(PROBATION, &self.probation, main - self.max_protected),
                seg(PROTECTED, &self.protected, self.max_protected),
            ],
            hand: None,
            values,
        }
    }

    fn validate(&self) -> Result<(), String> {
        self.window.validate(WINDOW)?;
        self.probation.validate(PROBATION)?;
        self.protected.validate(PROTECTED)?;
        if self.cached() > self.capacity {
            return Err(format!(
                "W-TinyLFU holds {} units, more than its capacity {}",
                self.cached(),
                self.capacity
            ));
        }
        if self.window.used() > self.max_window {
            return Err(format!(
                "the window holds {} units, more than its {}",
                self.window.used(),
                self.max_window
            ));
        }
        if self.protected.used() > self.max_protected {
            return Err(format!(
                "protected holds {} units, more than its {}",
                self.protected.used(),
                self.max_protected
            ));
        }
        let lists = [&self.window, &self.probation, &self.protected];
        for (i, a) in lists.iter().enumerate() {
            for b in &lists[i + 1..] {
                if let Some((_, n)) = a.iter().find(|(_, n)| b.contains(n.key)) {
                    return Err(format!("key {} is in two W-TinyLFU segments", n.key));
                }
            }
        }
        if self.sketch.additions() >= self.sketch.sample_size() {
            return Err("the sketch missed its reset".into());
        }
        Ok(())
    }
}
