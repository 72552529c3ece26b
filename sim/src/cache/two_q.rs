//! 2Q, the full version: Johnson & Shasha, "2Q: A Low Overhead High Performance Buffer
//! Management Replacement Algorithm", VLDB 1994, section 2.2 ("Full Version").
//!
//! Three queues: **A1in**, a FIFO of objects seen once recently; **A1out**, a FIFO of the
//! *keys* (no data: a ghost list) recently pushed out of A1in; **Am**, an LRU list of objects
//! requested again after leaving A1in. The paper's pseudo-code, per request for X:
//!
//! - X in Am: move it to the front of Am (a hit).
//! - X in A1in: a hit, and nothing moves (re-references soon after the first are "correlated"
//!   and prove nothing).
//! - X in A1out: a miss; `reclaimfor(X)`, then X enters the front of Am (and leaves A1out).
//! - otherwise: a miss; `reclaimfor(X)`, then X enters the front of A1in.
//!
//! `reclaimfor(X)`, until X fits: if A1in holds more than `Kin`, its oldest object leaves and
//! its key enters the front of A1out (whose oldest keys are forgotten beyond `Kout`); otherwise
//! the LRU end of Am leaves, and is not remembered. The paper's tuning: `Kin` = 25 % of the
//! cache, `Kout` = 50 %. With byte capacity, `Kin` and `Kout` are in units and a ghost counts
//! its object's size (with count capacity that is the paper's "number of pages"). If Am is empty
//! while A1in is within `Kin` (possible only with sizes), A1in's oldest object leaves as above.
//!
//! A1in and Am share one slab; A1out is a second slab list of keys with its own index.
//! On a hit in A1out the key leaves A1out before `reclaimfor` runs (the paper does not say
//! when; its key is about to name a cached object). A1in may exceed `Kin` while the cache has
//! free room: `Kin` only decides which queue gives up an object.
//!
//! `validate` checks every list's links, that the index names each object's queue, A1out
//! within `Kout` and disjoint from the cache, and `used() <= capacity()`.

use super::list::{
    check_index, check_segments, refuse_if_too_big, say, segment, Ends, KeyIndex, Obj, Slab,
};
use super::{CacheEvent, CacheView, Outcome, Policy, Request};

/// Segment name of the FIFO of objects seen once.
pub const A1IN: &str = "A1in";
/// Segment name of the ghost FIFO.
pub const A1OUT: &str = "A1out";
/// Segment name of the LRU list of objects seen again.
pub const AM: &str = "Am";

/// Where a cached object sits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Queue {
    A1in,
    Am,
}

/// Full 2Q.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TwoQ {
    capacity: u64,
    kin: u64,
    kout: u64,
    used_a1in: u64,
    used_am: u64,
    ghost_units: u64,
    slab: Slab<Obj>,
    a1in: Ends,
    am: Ends,
    index: KeyIndex<(u32, Queue)>,
    ghosts: Slab<Obj>,
    a1out: Ends,
    ghost_index: KeyIndex<u32>,
}

impl TwoQ {
    /// A 2Q cache of `capacity` units with the paper's tuning: `Kin` = 25 %, `Kout` = 50 %.
    pub fn new(capacity: u64) -> Self {
        Self::with_tuning(capacity, 25, 50).expect("the paper's tuning is valid")
    }

    /// A 2Q cache with `Kin` = `kin_percent` % and `Kout` = `kout_percent` % of `capacity`
    /// (rounded down).
    pub fn with_tuning(capacity: u64, kin_percent: u32, kout_percent: u32) -> Result<Self, String> {
        if kin_percent > 100 {
            return Err(format!(
                "Kin is a percentage of the cache (0 to 100), not {kin_percent}"
            ));
        }
        if kout_percent > 1000 {
            return Err(format!(
                "Kout is a percentage of the cache (0 to 1000), not {kout_percent}"
            ));
        }
        Ok(TwoQ {
            capacity,
            kin: capacity * u64::from(kin_percent) / 100,
            kout: capacity * u64::from(kout_percent) / 100,
            used_a1in: 0,
            used_am: 0,
            ghost_units: 0,
            slab: Slab::default(),
            a1in: Ends::default(),
            am: Ends::default(),
            index: KeyIndex::default(),
            ghosts: Slab::default(),
            a1out: Ends::default(),
            ghost_index: KeyIndex::default(),
        })
    }

    /// `Kin` and `Kout` in units.
    pub fn thresholds(&self) -> (u64, u64) {
        (self.kin, self.kout)
    }

    fn forget_ghost(&mut self, s: u32) -> Obj {
        let g = self.ghosts.remove(&mut self.a1out, s);
        self.ghost_index.remove(&g.key);
        self.ghost_units -= u64::from(g.size);
        g
    }

    /// One step of `reclaimfor`; returns false when nothing is left to evict.
    fn reclaim_one(&mut self, events: &mut Option<&mut Vec<CacheEvent>>) -> bool {
        let from_a1in = self.used_a1in > self.kin || self.am.len() == 0;
        if from_a1in {
            let Some(s) = self.a1in.back() else {
                return false;
            };
            let o = self.slab.remove(&mut self.a1in, s);
            self.index.remove(&o.key);
            self.used_a1in -= u64::from(o.size);
            let over = self.used_a1in + u64::from(o.size) > self.kin;
            say(events, || CacheEvent::Evict {
                key: o.key,
                segment: A1IN,
                why: if over {
                    "oldest in A1in, which held more than Kin; its key is remembered in A1out"
                        .to_string()
                } else {
                    "oldest in A1in (Am is empty); its key is remembered in A1out".to_string()
                },
            });
            let g = self.ghosts.push_front(&mut self.a1out, o);
            self.ghost_index.insert(o.key, g);
            self.ghost_units += u64::from(o.size);
            say(events, || CacheEvent::Insert {
                key: o.key,
                segment: A1OUT,
            });
            while self.ghost_units > self.kout {
                let Some(t) = self.a1out.back() else { break };
                let g = self.forget_ghost(t);
                say(events, || CacheEvent::Evict {
                    key: g.key,
                    segment: A1OUT,
                    why: "oldest key in A1out, which held more than Kout".to_string(),
                });
            }
        } else {
            let Some(s) = self.am.back() else {
                return false;
            };
            let o = self.slab.remove(&mut self.am, s);
            self.index.remove(&o.key);
            self.used_am -= u64::from(o.size);
            say(events, || CacheEvent::Evict {
                key: o.key,
                segment: AM,
                why: "least recently used in Am (A1in is within Kin); not remembered".to_string(),
            });
        }
        true
    }
}

impl Policy for TwoQ {
    fn id(&self) -> &'static str {
        "2q"
    }

    fn access(&mut self, req: &Request, events: Option<&mut Vec<CacheEvent>>) -> Outcome {
        let mut events = events;
        match self.index.get(&req.key) {
            Some(&(s, Queue::Am)) => {
                self.slab.move_to_front(&mut self.am, s);
                say(&mut events, || CacheEvent::Hit {
                    key: req.key,
                    segment: AM,
                });
                say(&mut events, || CacheEvent::Move {
                    key: req.key,
                    from: AM,
                    to: AM,
                });
                return Outcome::Hit;
            }
            Some(&(_, Queue::A1in)) => {
                say(&mut events, || CacheEvent::Hit {
                    key: req.key,
                    segment: A1IN,
                });
                return Outcome::Hit;
            }
            None => {}
        }
        let ghost = self.ghost_index.get(&req.key).copied();
        say(&mut events, || CacheEvent::Miss {
            key: req.key,
            ghost: ghost.map(|_| A1OUT),
        });
        if refuse_if_too_big(req, self.capacity, &mut events) {
            return Outcome::Miss;
        }
        if let Some(g) = ghost {
            self.forget_ghost(g);
        }
        while self.used() + u64::from(req.size) > self.capacity {
            if !self.reclaim_one(&mut events) {
                break;
            }
        }
        let obj = Obj {
            key: req.key,
            size: req.size,
        };
        let (queue, segment) = if ghost.is_some() {
            let s = self.slab.push_front(&mut self.am, obj);
            self.used_am += u64::from(req.size);
            ((s, Queue::Am), AM)
        } else {
            let s = self.slab.push_front(&mut self.a1in, obj);
            self.used_a1in += u64::from(req.size);
            ((s, Queue::A1in), A1IN)
        };
        self.index.insert(req.key, queue);
        say(&mut events, || CacheEvent::Insert {
            key: req.key,
            segment,
        });
        Outcome::Miss
    }

    fn contains(&self, key: u64) -> bool {
        self.index.contains_key(&key)
    }

    /// Drops a cached object (not into A1out); a ghost key stays.
    fn remove(&mut self, key: u64) -> bool {
        match self.index.remove(&key) {
            Some((s, Queue::A1in)) => {
                let o = self.slab.remove(&mut self.a1in, s);
                self.used_a1in -= u64::from(o.size);
                true
            }
            Some((s, Queue::Am)) => {
                let o = self.slab.remove(&mut self.am, s);
                self.used_am -= u64::from(o.size);
                true
            }
            None => false,
        }
    }

    fn used(&self) -> u64 {
        self.used_a1in + self.used_am
    }

    fn len(&self) -> u64 {
        u64::from(self.a1in.len() + self.am.len())
    }

    fn capacity(&self) -> u64 {
        self.capacity
    }

    /// Three segments, newest first in each: Am (LRU), A1in (FIFO; `Kin` is a threshold, so no
    /// capacity), A1out (ghost keys, capacity `Kout`). Values: `Kin`, `Kout`.
    fn view(&self) -> CacheView {
        CacheView {
            segments: vec![
                segment(AM, &self.slab, &self.am, None, false),
                // Kin is a threshold, not a bound: A1in fills the whole cache while it has room.
                segment(A1IN, &self.slab, &self.a1in, None, false),
                segment(A1OUT, &self.ghosts, &self.a1out, Some(self.kout), true),
            ],
            hand: None,
            values: vec![
                ("Kin", i64::try_from(self.kin).unwrap_or(i64::MAX)),
                ("Kout", i64::try_from(self.kout).unwrap_or(i64::MAX)),
            ],
        }
    }

    fn validate(&self) -> Result<(), String> {
        let listed = check_segments(
            &self.slab,
            [
                (&self.a1in, Queue::A1in, A1IN, self.used_a1in),
                (&self.am, Queue::Am, AM, self.used_am),
            ],
            |k| self.index.get(&k).map(|e| e.1),
            |k| {
                if self.ghost_index.contains_key(&k) {
                    Err(format!("key {k} is both cached and in A1out"))
                } else {
                    Ok(())
                }
            },
        )?;
        check_index(
            self.index.len(),
            &listed,
            |k| self.index.get(&k).map(|e| e.0),
            self.used(),
            self.capacity,
        )?;
        let ghosts: Vec<(u64, u32, u32)> = self
            .ghosts
            .check(&self.a1out, A1OUT)?
            .into_iter()
            .map(|s| {
                let g = self.ghosts.get(s);
                (g.key, s, g.size)
            })
            .collect();
        if self.ghosts.live() as usize != ghosts.len() {
            return Err("the ghost slab holds nodes outside A1out".to_string());
        }
        check_index(
            self.ghost_index.len(),
            &ghosts,
            |k| self.ghost_index.get(&k).copied(),
            self.ghost_units,
            self.kout,
        )
        .map_err(|e| format!("A1out: {e}"))
    }
}
