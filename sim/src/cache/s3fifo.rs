//! S3-FIFO (Yang, Zhang, Qiu, Yue & Rashmi, "FIFO Queues are All You Need for Cache Eviction",
//! SOSP 2023, §4 and Algorithm 1).
//!
//! Three FIFO queues: a small queue `S` (10 % of the cache), a main queue `M` (the rest) and a
//! ghost queue `G` of keys only, holding as many entries as `M`. Each cached object has a 2-bit
//! frequency, capped at 3. A new object enters `S`, or `M` when its key is still in `G`. When
//! the cache is full, `S` is evicted from while it holds at least 10 % of the cache: its tail
//! moves to `M` if its frequency is **greater than 1** (Algorithm 1, `if t.freq > 1`; the
//! paper's artifact, Thesys-lab/sosp23-s3fifo, runs libCacheSim with
//! `move-to-main-threshold=2`, the same rule; the authors' blog illustrates threshold 1, "accessed
//! at least once", which [`S3Fifo::with_threshold`] offers), else its key goes to `G` (a quick
//! demotion of one-hit wonders). `M` is a CLOCK with a 2-bit counter: its tail is reinserted at
//! the head with frequency − 1 while the frequency is above 0, and evicted at 0.
//!
//! `validate` checks: each queue's links and index agree, `S` + `M` never exceed the capacity,
//! `G` its own bound, the queues are disjoint and every frequency is in 0..=3.
//!
//! Choices the pseudo-code leaves open, stated: "`M` is full" means `M` holds more than its
//! 90 % share; the ghost is looked up when the miss happens (before evictions could push the
//! key out of `G`), as libCacheSim does; an object keeps its frequency when it moves from `S`
//! to `M` (Algorithm 1 does not reset it; the artifact's main queue starts it again at 0). With byte capacity the queues count units (bytes) and
//! `G` holds keys whose sizes sum to at most `M`'s share. An object larger than the cache is
//! refused.

use super::list::{refuse_if_too_big, KeyList};
use super::{CacheEvent, CacheView, Outcome, Policy, Request, ViewEntry, ViewSegment};

/// The small FIFO queue `S`.
pub const SMALL: &str = "small";
/// The main FIFO queue `M`.
pub const MAIN: &str = "main";
/// The ghost FIFO queue `G`.
pub const GHOST: &str = "ghost";

/// The frequency cap: a 2-bit counter.
pub const MAX_FREQ: u32 = 3;

/// An S3-FIFO cache. See the module doc.
#[derive(Clone, Debug)]
pub struct S3Fifo {
    capacity: u64,
    /// `M`'s share of the capacity (90 %, rounded up) and `G`'s bound.
    main_share: u64,
    /// The frequency at which `S`'s tail moves to `M` rather than to `G` (2: `freq > 1`).
    threshold: u32,
    small: KeyList,
    main: KeyList,
    ghost: KeyList,
}

impl S3Fifo {
    /// An empty S3-FIFO cache of `capacity` units, moving `S`'s tail to `M` when `freq > 1`
    /// (Algorithm 1).
    pub fn new(capacity: u64) -> Self {
        S3Fifo {
            capacity,
            main_share: capacity - capacity / 10,
            threshold: 2,
            small: KeyList::new(),
            main: KeyList::new(),
            ghost: KeyList::new(),
        }
    }

    /// An S3-FIFO cache whose small queue moves its tail to `M` at frequency `threshold` or
    /// more: 1 ("accessed at least once", the authors' blog), 2 (Algorithm 1) or 3.
    pub fn with_threshold(capacity: u64, threshold: u32) -> Result<Self, String> {
        if !(1..=MAX_FREQ).contains(&threshold) {
            return Err(format!(
                "the small-to-main threshold must be 1, 2 or 3 (the 2-bit frequency caps at 3), not {threshold}"
            ));
        }
        Ok(S3Fifo {
            threshold,
            ..Self::new(capacity)
        })
    }

    fn used_units(&self) -> u64 {
        self.small.used() + self.main.used()
    }

    /// EVICT: from `S` while it holds at least 10 % of the cache (`S.size ≥ 0.1 · cache size`,
    /// compared exactly as `10 · S.size ≥ cache size`), else from `M`.
    fn evict(&mut self, events: &mut Option<&mut Vec<CacheEvent>>) {
        // An empty `M` cannot free anything, so `S` is evicted from then too (only reachable
        // with sizes, when a large object needs more than `M` holds).
        if !self.small.is_empty()
            && (10 * self.small.used() >= self.capacity || self.main.is_empty())
        {
            self.evict_small(events);
        } else {
            self.evict_main(events);
        }
    }

    /// EVICTS: the tail of `S` moves to `M` if `freq > 1`, else its key goes to `G`; repeat
    /// until one object has left the cache or `S` is empty.
    fn evict_small(&mut self, events: &mut Option<&mut Vec<CacheEvent>>) {
        let mut evicted = false;
        while !evicted {
            let Some(t) = self.small.pop_back() else {
                break;
            };
            if t.mark >= self.threshold {
                self.main.push_front(t.key, t.size, t.mark);
                if let Some(ev) = events.as_deref_mut() {
                    ev.push(CacheEvent::Move {
                        key: t.key,
                        from: SMALL,
                        to: MAIN,
                    });
                }
                if self.main.used() > self.main_share {
                    self.evict_main(events);
                }
            } else {
                if let Some(ev) = events.as_deref_mut() {
                    ev.push(CacheEvent::Evict {
                        key: t.key,
                        segment: SMALL,
                        why: format!(
                            "hit {} time{} in the small queue (needs {} to move to main); its key goes to the ghost queue",
                            t.mark,
                            if t.mark == 1 { "" } else { "s" },
                            self.threshold
                        ),
                    });
                }
                self.insert_ghost(t.key, t.size);
                evicted = true;
            }
        }
    }

    /// EVICTM: a CLOCK over `M` with a 2-bit counter.
    fn evict_main(&mut self, events: &mut Option<&mut Vec<CacheEvent>>) {
        let mut evicted = false;
        while !evicted {
            let Some(slot) = self.main.back() else {
                break;
            };
            let (key, freq) = {
                let n = self.main.node(slot);
                (n.key, n.mark)
            };
            if freq > 0 {
                self.main.move_to_front(key);
                self.main.node_mut(slot).mark = freq - 1;
                if let Some(ev) = events.as_deref_mut() {
                    ev.push(CacheEvent::Move {
                        key,
                        from: MAIN,
                        to: MAIN,
                    });
                }
            } else {
                self.main.remove_slot(slot);
                if let Some(ev) = events.as_deref_mut() {
                    ev.push(CacheEvent::Evict {
                        key,
                        segment: MAIN,
                        why: "its frequency had dropped to 0 in the main queue".into(),
                    });
                }
                evicted = true;
            }
        }
    }

    /// Inserts a key at the head of `G`, dropping the oldest keys beyond `M`'s share.
    fn insert_ghost(&mut self, key: u64, size: u32) {
        self.ghost.push_front(key, size, 0);
        while self.ghost.used() > self.main_share {
            self.ghost.pop_back();
        }
    }
}

impl Policy for S3Fifo {
    fn id(&self) -> &'static str {
        "s3fifo"
    }

    fn access(&mut self, req: &Request, mut events: Option<&mut Vec<CacheEvent>>) -> Outcome {
        // READ, hit: freq <- min(freq + 1, 3). Nothing moves.
        for (queue, name) in [(&mut self.small, SMALL), (&mut self.main, MAIN)] {
            if let Some(freq) = queue.mark_mut(req.key) {
                *freq = (*freq + 1).min(MAX_FREQ);
                if let Some(ev) = events.as_deref_mut() {
                    ev.push(CacheEvent::Hit {
                        key: req.key,
                        segment: name,
                    });
                }
                return Outcome::Hit;
            }
        }
        // READ, miss: INSERT(x) with freq 0.
        let in_ghost = self.ghost.remove(req.key).is_some();
        if let Some(ev) = events.as_deref_mut() {
            ev.push(CacheEvent::Miss {
                key: req.key,
                ghost: in_ghost.then_some(GHOST),
            });
        }
        if refuse_if_too_big(req, self.capacity, &mut events) {
            return Outcome::Miss;
        }
        let size = u64::from(req.size);
        while self.used_units() + size > self.capacity {
            self.evict(&mut events);
        }
        let segment = if in_ghost {
            self.main.push_front(req.key, req.size, 0);
            MAIN
        } else {
            self.small.push_front(req.key, req.size, 0);
            SMALL
        };
        if let Some(ev) = events {
            ev.push(CacheEvent::Insert {
                key: req.key,
                segment,
            });
        }
        Outcome::Miss
    }

    fn contains(&self, key: u64) -> bool {
        self.small.contains(key) || self.main.contains(key)
    }

    fn remove(&mut self, key: u64) -> bool {
        self.small.remove(key).is_some() || self.main.remove(key).is_some()
    }

    fn used(&self) -> u64 {
        self.used_units()
    }

    fn len(&self) -> u64 {
        self.small.len() + self.main.len()
    }

    fn capacity(&self) -> u64 {
        self.capacity
    }

    fn view(&self) -> CacheView {
        let seg = |name, list: &KeyList, ghost, capacity| ViewSegment {
            name,
            ghost,
            capacity: Some(capacity),
            entries: list
                .iter()
                .map(|(_, n)| ViewEntry {
                    key: n.key,
                    size: n.size,
                    mark: (!ghost).then_some(n.mark),
                })
                .collect(),
        };
        CacheView {
            segments: vec![
                seg(SMALL, &self.small, false, self.capacity - self.main_share),
                seg(MAIN, &self.main, false, self.main_share),
                seg(GHOST, &self.ghost, true, self.main_share),
            ],
            hand: None,
            values: Vec::new(),
        }
    }

    fn validate(&self) -> Result<(), String> {
        self.small.validate(SMALL)?;
        self.main.validate(MAIN)?;
        self.ghost.validate(GHOST)?;
        if self.used_units() > self.capacity {
            return Err(format!(
                "S3-FIFO holds {} units, more than its capacity {}",
                self.used_units(),
                self.capacity
            ));
        }
        if self.ghost.used() > self.main_share {
            return Err(format!(
                "the ghost queue holds {} units, more than main's share {}",
                self.ghost.used(),
                self.main_share
            ));
        }
        for (_, n) in self.small.iter().chain(self.main.iter()) {
            if n.mark > MAX_FREQ {
                return Err(format!("key {} has frequency {} > 3", n.key, n.mark));
            }
            if self.ghost.contains(n.key) {
                return Err(format!("key {} is cached and in the ghost queue", n.key));
            }
        }
        if let Some((_, n)) = self.small.iter().find(|(_, n)| self.main.contains(n.key)) {
            return Err(format!("key {} is in both small and main", n.key));
        }
        Ok(())
    }
}
