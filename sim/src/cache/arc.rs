//! ARC, the Adaptive Replacement Cache (Megiddo & Modha, "ARC: A Self-Tuning, Low Overhead
//! Replacement Cache", FAST 2003, §III–IV and Fig. 4).
//!
//! Four LRU lists: `T1` holds objects seen once recently, `T2` objects seen at least twice;
//! `B1` and `B2` are their ghosts (keys only) after eviction. The target size `p` of `T1`
//! adapts: a miss that finds its key in `B1` means `T1` was too small (p grows by
//! `max(|B2|/|B1|, 1)`), one in `B2` means `T2` was (p shrinks by `max(|B1|/|B2|, 1)`).
//! `REPLACE` evicts `T1`'s LRU into `B1` when `|T1| > p` (or `= p` on a `B2` hit), else `T2`'s
//! LRU into `B2`. Fig. 4's cases I–IV are marked in the code.
//!
//! `validate` checks the paper's directory invariants: `|T1| + |T2| ≤ c`, `|T1| + |B1| ≤ c`,
//! `|T1| + |T2| + |B1| + |B2| ≤ 2c`, `0 ≤ p ≤ c`, four disjoint lists whose links and indexes
//! agree.
//!
//! Sizes: ARC is defined on pages of one size. With byte capacity this follows libCacheSim's
//! ARC: every `|·|` above is the sum of sizes (units), `p` and its steps are in units, and an
//! eviction step repeats until the object fits. With unit sizes that is Fig. 4 exactly. The
//! deltas use integer division (the paper's ratio rounded down, at least 1). One more choice:
//! Fig. 4 calls `REPLACE` on a ghost hit unconditionally because the cache is then always full;
//! after an invalidation (`remove`) it may not be, and this version evicts only while the
//! object does not fit. An object larger than the cache is refused.

use super::list::{refuse_if_too_big, KeyList};
use super::{CacheEvent, CacheView, Outcome, Policy, Request, ViewEntry, ViewSegment};

/// Objects seen once recently.
pub const T1: &str = "T1";
/// Objects seen at least twice recently.
pub const T2: &str = "T2";
/// Ghost keys evicted from `T1`.
pub const B1: &str = "B1";
/// Ghost keys evicted from `T2`.
pub const B2: &str = "B2";

/// An ARC cache. See the module doc. (Named `ArcCache`, not `Arc`, so that it never clashes
/// with `std::sync::Arc` on import.)
#[derive(Clone, Debug)]
pub struct ArcCache {
    /// `c`.
    capacity: u64,
    /// The adaptive target size of `T1`, in units.
    p: u64,
    t1: KeyList,
    t2: KeyList,
    b1: KeyList,
    b2: KeyList,
}

impl ArcCache {
    /// An empty ARC cache of `capacity` units, with `p = 0` as in Fig. 4's initialisation.
    pub fn new(capacity: u64) -> Self {
        ArcCache {
            capacity,
            p: 0,
            t1: KeyList::new(),
            t2: KeyList::new(),
            b1: KeyList::new(),
            b2: KeyList::new(),
        }
    }

    /// The current target size of `T1`.
    pub fn p(&self) -> u64 {
        self.p
    }

    fn cached(&self) -> u64 {
        self.t1.used() + self.t2.used()
    }

    fn directory(&self) -> u64 {
        self.cached() + self.b1.used() + self.b2.used()
    }

    /// Fig. 4's `REPLACE(x_t, p)`: `T1`'s LRU goes to `B1` if `T1` is non-empty and either
    /// exceeds `p` or equals it while `x_t` was found in `B2`; otherwise `T2`'s LRU goes to `B2`.
    /// (When `T2` is empty the `T1` branch is the only one that can free anything: a case only
    /// sizes reach.)
    fn replace(&mut self, hit_in_b2: bool, events: &mut Option<&mut Vec<CacheEvent>>) {
        let t1 = self.t1.used();
        let from_t1 = !self.t1.is_empty()
            && (t1 > self.p || (hit_in_b2 && t1 == self.p) || self.t2.is_empty());
        let (list, ghost, name, ghost_name) = if from_t1 {
            (&mut self.t1, &mut self.b1, T1, B1)
        } else {
            (&mut self.t2, &mut self.b2, T2, B2)
        };
        let Some(victim) = list.pop_back() else {
            return;
        };
        ghost.push_front(victim.key, victim.size, 0);
        if let Some(ev) = events.as_deref_mut() {
            let why = if from_t1 {
                format!(
                    "least recent in T1, which holds {t1} against its target p = {}; its key moves to {ghost_name}",
                    self.p
                )
            } else {
                format!(
                    "least recent in T2, as T1 holds {t1}, within its target p = {}; its key moves to {ghost_name}",
                    self.p
                )
            };
            ev.push(CacheEvent::Evict {
                key: victim.key,
                segment: name,
                why,
            });
        }
    }

    fn make_room(&mut self, size: u64, hit_in_b2: bool, ev: &mut Option<&mut Vec<CacheEvent>>) {
        while self.cached() + size > self.capacity && self.cached() > 0 {
            self.replace(hit_in_b2, ev);
        }
    }

    fn adapt(&mut self, p: u64, events: &mut Option<&mut Vec<CacheEvent>>) {
        if p != self.p {
            self.p = p;
            if let Some(ev) = events.as_deref_mut() {
                ev.push(CacheEvent::Adapt {
                    name: "p",
                    value: p as i64,
                });
            }
        }
    }
}

impl Policy for ArcCache {
    fn id(&self) -> &'static str {
        "arc"
    }

    fn access(&mut self, req: &Request, mut events: Option<&mut Vec<CacheEvent>>) -> Outcome {
        let key = req.key;
        // Case I: a hit in T1 or T2 moves x to the MRU end of T2.
        if let Some(node) = self.t1.remove(key) {
            self.t2.push_front(key, node.size, 0);
            if let Some(ev) = events {
                ev.push(CacheEvent::Hit { key, segment: T1 });
                ev.push(CacheEvent::Move {
                    key,
                    from: T1,
                    to: T2,
                });
            }
            return Outcome::Hit;
        }
        if self.t2.move_to_front(key) {
            if let Some(ev) = events {
                ev.push(CacheEvent::Hit { key, segment: T2 });
                ev.push(CacheEvent::Move {
                    key,
                    from: T2,
                    to: T2,
                });
            }
            return Outcome::Hit;
        }
        let ghost = if self.b1.contains(key) {
            Some(B1)
        } else if self.b2.contains(key) {
            Some(B2)
        } else {
            None
        };
        if let Some(ev) = events.as_deref_mut() {
            ev.push(CacheEvent::Miss { key, ghost });
        }
        if refuse_if_too_big(req, self.capacity, &mut events) {
            return Outcome::Miss;
        }
        let size = u64::from(req.size);
        let (b1, b2) = (self.b1.used(), self.b2.used());
        match ghost {
            // Case II: x in B1. δ1 = 1 if |B1| ≥ |B2|, else |B2|/|B1|; p = min(p + δ1, c);
            // REPLACE(x, p); move x to the MRU end of T2.
            Some(B1) => {
                let delta = if b1 >= b2 { 1 } else { b2 / b1 };
                self.adapt((self.p + delta).min(self.capacity), &mut events);
                self.b1.remove(key);
                self.make_room(size, false, &mut events);
                self.t2.push_front(key, req.size, 0);
                if let Some(ev) = events {
                    ev.push(CacheEvent::Insert { key, segment: T2 });
                }
            }
            // Case III: x in B2. δ2 = 1 if |B2| ≥ |B1|, else |B1|/|B2|; p = max(p − δ2, 0);
            // REPLACE(x, p); move x to the MRU end of T2.
            Some(_) => {
                let delta = if b2 >= b1 { 1 } else { b1 / b2 };
                self.adapt(self.p.saturating_sub(delta), &mut events);
                self.b2.remove(key);
                self.make_room(size, true, &mut events);
                self.t2.push_front(key, req.size, 0);
                if let Some(ev) = events {
                    ev.push(CacheEvent::Insert { key, segment: T2 });
                }
            }
            // Case IV: x in no list.
            None => {
                // Case A: L1 = T1 ∪ B1 has c units. If |T1| < c, drop B1's LRU (then REPLACE,
                // below); else drop T1's LRU from the cache altogether.
                while self.t1.used() + self.b1.used() + size > self.capacity {
                    if self.b1.pop_back().is_none() {
                        let Some(victim) = self.t1.pop_back() else {
                            break;
                        };
                        if let Some(ev) = events.as_deref_mut() {
                            ev.push(CacheEvent::Evict {
                                key: victim.key,
                                segment: T1,
                                why: "least recent in T1, which fills the whole cache (B1 is empty, so no ghost is kept)".into(),
                            });
                        }
                    }
                }
                // Case B: L1 has less than c. If the directory holds 2c, drop B2's LRU; if the
                // cache is full, REPLACE.
                while self.directory() + size > 2 * self.capacity && !self.b2.is_empty() {
                    self.b2.pop_back();
                }
                self.make_room(size, false, &mut events);
                // Fetch x into the MRU end of T1.
                self.t1.push_front(key, req.size, 0);
                if let Some(ev) = events {
                    ev.push(CacheEvent::Insert { key, segment: T1 });
                }
            }
        }
        Outcome::Miss
    }

    fn contains(&self, key: u64) -> bool {
        self.t1.contains(key) || self.t2.contains(key)
    }

    fn remove(&mut self, key: u64) -> bool {
        self.t1.remove(key).is_some() || self.t2.remove(key).is_some()
    }

    fn used(&self) -> u64 {
        self.cached()
    }

    fn len(&self) -> u64 {
        self.t1.len() + self.t2.len()
    }

    fn capacity(&self) -> u64 {
        self.capacity
    }

    fn view(&self) -> CacheView {
        let seg = |name, list: &KeyList, ghost| ViewSegment {
            name,
            ghost,
            capacity: None,
            entries: list
                .iter()
                .map(|(_, n)| ViewEntry {
                    key: n.key,
                    size: n.size,
                    mark: None,
                })
                .collect(),
        };
        CacheView {
            segments: vec![
                seg(T1, &self.t1, false),
                seg(T2, &self.t2, false),
                seg(B1, &self.b1, true),
                seg(B2, &self.b2, true),
            ],
            hand: None,
            values: vec![("p", self.p as i64), ("c", self.capacity as i64)],
        }
    }

    fn validate(&self) -> Result<(), String> {
        for (list, name) in [
            (&self.t1, T1),
            (&self.t2, T2),
            (&self.b1, B1),
            (&self.b2, B2),
        ] {
            list.validate(name)?;
        }
        let c = self.capacity;
        if self.cached() > c {
            return Err(format!("|T1| + |T2| = {} exceeds c = {c}", self.cached()));
        }
        if self.t1.used() + self.b1.used() > c {
            return Err(format!(
                "|T1| + |B1| = {} exceeds c = {c}",
                self.t1.used() + self.b1.used()
            ));
        }
        if self.directory() > 2 * c {
            return Err(format!(
                "the directory holds {} units, more than 2c = {}",
                self.directory(),
                2 * c
            ));
        }
        if self.p > c {
            return Err(format!("p = {} exceeds c = {c}", self.p));
        }
        let lists = [&self.t1, &self.t2, &self.b1, &self.b2];
        for (i, a) in lists.iter().enumerate() {
            for b in &lists[i + 1..] {
                if let Some((_, n)) = a.iter().find(|(_, n)| b.contains(n.key)) {
                    return Err(format!("key {} is in two ARC lists", n.key));
                }
            }
        }
        Ok(())
    }
}
