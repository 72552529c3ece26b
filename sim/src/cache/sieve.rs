//! SIEVE (Zhang, Yang, Yue, Vigfusson & Rashmi, "SIEVE is Simpler than LRU: an Efficient
//! Turn-Key Eviction Algorithm for Web Caches", NSDI 2024, §3 and Algorithm 1).
//!
//! One FIFO queue, one *visited* bit per object and a *hand*. A hit only sets the bit (no list
//! move: that is the point). A miss on a full cache starts at the hand (or the tail when the hand
//! is null), walks toward the head clearing visited bits until it meets an object whose bit is 0,
//! evicts it and leaves the hand on its predecessor. New objects enter at the head with the bit
//! cleared. Objects that survive the hand keep their place: new objects accumulate between head
//! and hand, which is SIEVE's "lazy promotion, quick demotion".
//!
//! `validate` checks: the queue's links and index agree, `used <= capacity`, the hand names a
//! listed node and every mark is 0 or 1.
//!
//! Simplifications: with byte capacity a miss evicts until the object fits (the paper has unit
//! sizes; libCacheSim evicts in a loop the same way); an object larger than the whole cache is
//! refused.

use super::list::{refuse_if_too_big, KeyList};
use super::{CacheEvent, CacheView, Outcome, Policy, Request, ViewEntry, ViewSegment};

/// The segment name of SIEVE's single queue.
pub const QUEUE: &str = "queue";

/// A SIEVE cache. See the module doc.
#[derive(Clone, Debug)]
pub struct Sieve {
    capacity: u64,
    /// `T` in Algorithm 1: head = newest, tail = oldest; each node's mark is its visited bit.
    queue: KeyList,
    /// `p` in Algorithm 1: the node the next eviction starts from (null: start at the tail).
    hand: Option<u32>,
}

impl Sieve {
    /// An empty SIEVE cache of `capacity` units.
    pub fn new(capacity: u64) -> Self {
        Sieve {
            capacity,
            queue: KeyList::new(),
            hand: None,
        }
    }

    /// Algorithm 1, lines 5–14: one eviction.
    fn evict_one(&mut self, events: &mut Option<&mut Vec<CacheEvent>>) {
        // Line 5–7: o <- p; if o is null, o <- tail of T.
        let Some(mut o) = self.hand.or(self.queue.back()) else {
            return;
        };
        // Lines 8–12: while o.visited = 1, clear it and step toward the head, wrapping to the
        // tail. This ends: each step clears a bit, so within one lap a node with 0 appears.
        while self.queue.node(o).mark == 1 {
            self.queue.node_mut(o).mark = 0;
            o = self.queue.prev(o).or(self.queue.back()).unwrap_or(o);
        }
        // Line 13: p <- o.prev (null when o is the head).
        self.hand = self.queue.prev(o);
        // Line 14: discard o.
        let gone = self.queue.remove_slot(o);
        if let Some(ev) = events.as_deref_mut() {
            ev.push(CacheEvent::Evict {
                key: gone.key,
                segment: QUEUE,
                why: "its visited bit was 0".into(),
            });
        }
    }
}

impl Policy for Sieve {
    fn id(&self) -> &'static str {
        "sieve"
    }

    fn access(&mut self, req: &Request, mut events: Option<&mut Vec<CacheEvent>>) -> Outcome {
        // Lines 1–2: a hit sets the visited bit and nothing moves.
        if let Some(bit) = self.queue.mark_mut(req.key) {
            *bit = 1;
            if let Some(ev) = events {
                ev.push(CacheEvent::Hit {
                    key: req.key,
                    segment: QUEUE,
                });
            }
            return Outcome::Hit;
        }
        if let Some(ev) = events.as_deref_mut() {
            ev.push(CacheEvent::Miss {
                key: req.key,
                ghost: None,
            });
        }
        if refuse_if_too_big(req, self.capacity, &mut events) {
            return Outcome::Miss;
        }
        let size = u64::from(req.size);
        // Line 4: while the cache is full (for this object), evict.
        while self.queue.used() + size > self.capacity {
            self.evict_one(&mut events);
        }
        // Lines 15–16: insert at the head with visited = 0.
        self.queue.push_front(req.key, req.size, 0);
        if let Some(ev) = events {
            ev.push(CacheEvent::Insert {
                key: req.key,
                segment: QUEUE,
            });
        }
        Outcome::Miss
    }

    fn contains(&self, key: u64) -> bool {
        self.queue.contains(key)
    }

    fn remove(&mut self, key: u64) -> bool {
        let Some(slot) = self.queue.slot(key) else {
            return false;
        };
        // The hand must not point at a freed node: it moves on as an eviction would leave it.
        if self.hand == Some(slot) {
            self.hand = self.queue.prev(slot);
        }
        self.queue.remove_slot(slot);
        true
    }

    fn used(&self) -> u64 {
        self.queue.used()
    }

    fn len(&self) -> u64 {
        self.queue.len()
    }

    fn capacity(&self) -> u64 {
        self.capacity
    }

    fn view(&self) -> CacheView {
        let entries = self
            .queue
            .iter()
            .map(|(_, n)| ViewEntry {
                key: n.key,
                size: n.size,
                mark: Some(n.mark),
            })
            .collect();
        // The drawn hand is where the next eviction starts: the hand, or the tail when null.
        let hand = self
            .hand
            .or(self.queue.back())
            .and_then(|slot| self.queue.position(slot))
            .map(|pos| (0, pos));
        CacheView {
            segments: vec![ViewSegment {
                name: QUEUE,
                ghost: false,
                capacity: Some(self.capacity),
                entries,
            }],
            hand,
            values: Vec::new(),
        }
    }

    fn validate(&self) -> Result<(), String> {
        self.queue.validate(QUEUE)?;
        if self.queue.used() > self.capacity {
            return Err(format!(
                "SIEVE holds {} units, more than its capacity {}",
                self.queue.used(),
                self.capacity
            ));
        }
        if let Some(h) = self.hand {
            if self.queue.position(h).is_none() {
                return Err("the SIEVE hand points at a node that is not in the queue".into());
            }
        }
        if let Some((_, n)) = self.queue.iter().find(|(_, n)| n.mark > 1) {
            return Err(format!("key {} has visited bit {}", n.key, n.mark));
        }
        Ok(())
    }
}
