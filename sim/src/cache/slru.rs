//! SLRU: segmented LRU, a probationary and a protected segment.
//!
//! Karedla, Love & Wherry, "Caching strategies to improve disk system performance" (IEEE
//! Computer, 1994): a miss enters the most recently used (MRU) end of the **probationary**
//! segment; a hit anywhere moves the object to the MRU end of the **protected** segment; when
//! the protected segment outgrows its share, its least recently used objects move back to the
//! MRU end of the probationary segment (a second chance there). Victims leave from the LRU end
//! of the probationary segment, so an object requested once never displaces one requested twice.
//!
//! The protected segment's share is a parameter (default 80 % of the capacity, in units,
//! rounded down). If an eviction is needed while the probationary segment is empty (an object
//! larger than the probationary room), the protected segment's LRU end is the victim.
//!
//! Both segments are slab lists sharing one slab, MRU first. `validate` checks their links,
//! that each index entry names the segment its node is in, the protected segment within its
//! share, and `used() <= capacity()`.

use super::list::{
    check_index, check_segments, refuse_if_too_big, say, segment, Ends, KeyIndex, Obj, Slab,
};
use super::{CacheEvent, CacheView, Outcome, Policy, Request};

/// Segment name of the probationary segment.
pub const PROBATIONARY: &str = "probationary";
/// Segment name of the protected segment.
pub const PROTECTED: &str = "protected";
/// The default protected share, in percent.
pub const DEFAULT_PROTECTED_PERCENT: u32 = 80;

/// Segmented LRU.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slru {
    capacity: u64,
    protected_capacity: u64,
    protected_percent: u32,
    used_probationary: u64,
    used_protected: u64,
    slab: Slab<Obj>,
    probationary: Ends,
    protected: Ends,
    /// key → (slot, whether it is in the protected segment).
    index: KeyIndex<(u32, bool)>,
}

impl Slru {
    /// An empty SLRU of `capacity` units whose protected segment holds `protected_percent` % of
    /// it (0 to 100).
    pub fn new(capacity: u64, protected_percent: u32) -> Result<Self, String> {
        if protected_percent > 100 {
            return Err(format!(
                "the protected share is a percentage of the cache (0 to 100), not {protected_percent}"
            ));
        }
        Ok(Slru {
            capacity,
            protected_capacity: capacity * u64::from(protected_percent) / 100,
            protected_percent,
            used_probationary: 0,
            used_protected: 0,
            slab: Slab::default(),
            probationary: Ends::default(),
            protected: Ends::default(),
            index: KeyIndex::default(),
        })
    }

    /// The protected segment's capacity in units.
    pub fn protected_capacity(&self) -> u64 {
        self.protected_capacity
    }

    fn evict_one(&mut self, events: &mut Option<&mut Vec<CacheEvent>>) -> bool {
        let (s, from_protected) = match (self.probationary.back(), self.protected.back()) {
            (Some(s), _) => (s, false),
            (None, Some(s)) => (s, true),
            (None, None) => return false,
        };
        let o = if from_protected {
            let o = self.slab.remove(&mut self.protected, s);
            self.used_protected -= u64::from(o.size);
            o
        } else {
            let o = self.slab.remove(&mut self.probationary, s);
            self.used_probationary -= u64::from(o.size);
            o
        };
        self.index.remove(&o.key);
        say(events, || CacheEvent::Evict {
            key: o.key,
            segment: if from_protected {
                PROTECTED
            } else {
                PROBATIONARY
            },
            why: if from_protected {
                "least recently used of the protected segment (the probationary one is empty)"
                    .to_string()
            } else {
                "least recently used of the probationary segment".to_string()
            },
        });
        true
    }

    /// Moves the protected segment's LRU objects to the probationary MRU end until it fits.
    fn demote_overflow(&mut self, events: &mut Option<&mut Vec<CacheEvent>>) {
        while self.used_protected > self.protected_capacity {
            let Some(s) = self.protected.back() else {
                break;
            };
            self.slab.unlink(&mut self.protected, s);
            self.slab.link_front(&mut self.probationary, s);
            let o = *self.slab.get(s);
            self.used_protected -= u64::from(o.size);
            self.used_probationary += u64::from(o.size);
            self.index.insert(o.key, (s, false));
            say(events, || CacheEvent::Move {
                key: o.key,
                from: PROTECTED,
                to: PROBATIONARY,
            });
        }
    }
}

impl Policy for Slru {
    fn id(&self) -> &'static str {
        "slru"
    }

    fn access(&mut self, req: &Request, events: Option<&mut Vec<CacheEvent>>) -> Outcome {
        let mut events = events;
        if let Some(&(s, protected)) = self.index.get(&req.key) {
            let from = if protected { PROTECTED } else { PROBATIONARY };
            say(&mut events, || CacheEvent::Hit {
                key: req.key,
                segment: from,
            });
            if protected {
                self.slab.move_to_front(&mut self.protected, s);
            } else {
                self.slab.unlink(&mut self.probationary, s);
                self.slab.link_front(&mut self.protected, s);
                let size = u64::from(self.slab.get(s).size);
                self.used_probationary -= size;
                self.used_protected += size;
                self.index.insert(req.key, (s, true));
            }
            say(&mut events, || CacheEvent::Move {
                key: req.key,
                from,
                to: PROTECTED,
            });
            self.demote_overflow(&mut events);
            return Outcome::Hit;
        }
        say(&mut events, || CacheEvent::Miss {
            key: req.key,
            ghost: None,
        });
        if refuse_if_too_big(req, self.capacity, &mut events) {
            return Outcome::Miss;
        }
        while self.used() + u64::from(req.size) > self.capacity {
            if !self.evict_one(&mut events) {
                break;
            }
        }
        let obj = Obj {
            key: req.key,
            size: req.size,
        };
        let s = self.slab.push_front(&mut self.probationary, obj);
        self.used_probationary += u64::from(req.size);
        self.index.insert(req.key, (s, false));
        say(&mut events, || CacheEvent::Insert {
            key: req.key,
            segment: PROBATIONARY,
        });
        Outcome::Miss
    }

    fn contains(&self, key: u64) -> bool {
        self.index.contains_key(&key)
    }

    fn remove(&mut self, key: u64) -> bool {
        match self.index.remove(&key) {
            Some((s, true)) => {
                let o = self.slab.remove(&mut self.protected, s);
                self.used_protected -= u64::from(o.size);
                true
            }
            Some((s, false)) => {
                let o = self.slab.remove(&mut self.probationary, s);
                self.used_probationary -= u64::from(o.size);
                true
            }
            None => false,
        }
    }

    fn used(&self) -> u64 {
        self.used_probationary + self.used_protected
    }

    fn len(&self) -> u64 {
        u64::from(self.probationary.len() + self.protected.len())
    }

    fn capacity(&self) -> u64 {
        self.capacity
    }

    /// Two segments, protected (capacity: its share) then probationary (no capacity of its
    /// own), each MRU first: the next victim is last. Value: the protected share in percent.
    fn view(&self) -> CacheView {
        let seg = |name, list, capacity| segment(name, &self.slab, list, capacity, false);
        CacheView {
            segments: vec![
                seg(PROTECTED, &self.protected, Some(self.protected_capacity)),
                // The probationary segment has no bound of its own: it holds whatever the
                // protected one leaves (the whole cache while nothing was hit twice).
                seg(PROBATIONARY, &self.probationary, None),
            ],
            hand: None,
            values: vec![("protected %", i64::from(self.protected_percent))],
        }
    }

    fn validate(&self) -> Result<(), String> {
        let listed = check_segments(
            &self.slab,
            [
                (
                    &self.probationary,
                    false,
                    PROBATIONARY,
                    self.used_probationary,
                ),
                (&self.protected, true, PROTECTED, self.used_protected),
            ],
            |k| self.index.get(&k).map(|e| e.1),
            |_| Ok(()),
        )?;
        if self.used_protected > self.protected_capacity {
            return Err(format!(
                "the protected segment holds {} units, over its {}",
                self.used_protected, self.protected_capacity
            ));
        }
        check_index(
            self.index.len(),
            &listed,
            |k| self.index.get(&k).map(|e| e.0),
            self.used(),
            self.capacity,
        )
    }
}
