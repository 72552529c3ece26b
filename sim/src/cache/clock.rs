//! CLOCK (second chance): a ring of objects, one reference bit each, and a hand.
//!
//! Corbató's CLOCK (1968), as operating-system textbooks give it (Tanenbaum, *Modern Operating
//! Systems*, "The Clock Page Replacement Algorithm"): a hit sets the object's reference bit and
//! moves nothing. To make room, the hand looks at the object it points to: a bit of 1 is
//! cleared and the hand moves on (a second chance); a bit of 0 is the victim, and the hand moves
//! past it. The new object takes the victim's place in the ring, just behind the hand, so it is
//! the last the hand will reach. A new object starts with its bit at 0 (as in libCacheSim's and
//! Caffeine's simulators; hardware that sets the bit on the faulting access would start at 1).
//!
//! The ring is a slab list read circularly (after the last node comes the first), so objects
//! never move: only the hand does. With count capacity the list order is the frame order of
//! the textbook's array. `validate` checks the links, the index, that the hand points into the
//! ring whenever it is not empty, and `used() <= capacity()`.

use super::list::{check_index, refuse_if_too_big, say, Ends, KeyIndex, Slab};
use super::{CacheEvent, CacheView, Outcome, Policy, Request, ViewEntry, ViewSegment};

/// Segment name of the ring.
pub const RING: &str = "clock";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Frame {
    key: u64,
    size: u32,
    referenced: bool,
}

/// Second-chance CLOCK.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Clock {
    capacity: u64,
    used: u64,
    slab: Slab<Frame>,
    ring: Ends,
    /// The slot the hand points to (meaningless when the ring is empty).
    hand: u32,
    index: KeyIndex<u32>,
}

impl Clock {
    /// An empty CLOCK cache of `capacity` units.
    pub fn new(capacity: u64) -> Self {
        Clock {
            capacity,
            ..Clock::default()
        }
    }

    /// The slot after `s` around the ring.
    fn after(&self, s: u32) -> u32 {
        match self.slab.next(s) {
            Some(n) => n,
            None => self.ring.front().unwrap_or(s),
        }
    }

    /// Unlinks slot `s`, moving the hand on first if it points there.
    fn unlink(&mut self, s: u32) -> Frame {
        if self.hand == s {
            self.hand = self.after(s);
        }
        let f = self.slab.remove(&mut self.ring, s);
        self.index.remove(&f.key);
        self.used -= u64::from(f.size);
        f
    }

    /// Sweeps from the hand until an object with bit 0 is found; evicts it. Returns whether
    /// the victim was the last node of the list (then its place is after the last node).
    fn evict_one(&mut self, events: &mut Option<&mut Vec<CacheEvent>>) -> bool {
        loop {
            let s = self.hand;
            let f = self.slab.get_mut(s);
            if f.referenced {
                f.referenced = false;
                self.hand = self.after(s);
                continue;
            }
            let was_last = self.slab.next(s).is_none();
            let f = self.unlink(s);
            say(events, || CacheEvent::Evict {
                key: f.key,
                segment: RING,
                why: "its reference bit was 0".to_string(),
            });
            return was_last;
        }
    }
}

impl Policy for Clock {
    fn id(&self) -> &'static str {
        "clock"
    }

    fn access(&mut self, req: &Request, events: Option<&mut Vec<CacheEvent>>) -> Outcome {
        let mut events = events;
        if let Some(&s) = self.index.get(&req.key) {
            self.slab.get_mut(s).referenced = true;
            say(&mut events, || CacheEvent::Hit {
                key: req.key,
                segment: RING,
            });
            return Outcome::Hit;
        }
        say(&mut events, || CacheEvent::Miss {
            key: req.key,
            ghost: None,
        });
        if refuse_if_too_big(req, self.capacity, &mut events) {
            return Outcome::Miss;
        }
        // The new object goes just behind the hand, where the last victim was: around the
        // ring, the hand reaches it last. Without an eviction, the hand's predecessor is the
        // last node when the hand is at the first.
        let mut at_end = self.ring.front() == Some(self.hand);
        while self.used + u64::from(req.size) > self.capacity && self.ring.len() > 0 {
            at_end = self.evict_one(&mut events);
        }
        let frame = Frame {
            key: req.key,
            size: req.size,
            referenced: false,
        };
        let s = if self.ring.len() == 0 {
            let s = self.slab.push_back(&mut self.ring, frame);
            self.hand = s;
            s
        } else if at_end {
            self.slab.push_back(&mut self.ring, frame)
        } else {
            self.slab.push_before(&mut self.ring, self.hand, frame)
        };
        self.index.insert(req.key, s);
        self.used += u64::from(req.size);
        say(&mut events, || CacheEvent::Insert {
            key: req.key,
            segment: RING,
        });
        Outcome::Miss
    }

    fn contains(&self, key: u64) -> bool {
        self.index.contains_key(&key)
    }

    fn remove(&mut self, key: u64) -> bool {
        match self.index.get(&key) {
            Some(&s) => {
                self.unlink(s);
                true
            }
            None => false,
        }
    }

    fn used(&self) -> u64 {
        self.used
    }

    fn len(&self) -> u64 {
        u64::from(self.ring.len())
    }

    fn capacity(&self) -> u64 {
        self.capacity
    }

    /// One segment, the ring in frame order (after the last entry comes the first); the hand
    /// is the entry the next sweep looks at first. Marks are the reference bits.
    fn view(&self) -> CacheView {
        let mut hand = None;
        let entries = self
            .slab
            .iter(&self.ring)
            .enumerate()
            .map(|(i, (s, f))| {
                if s == self.hand {
                    hand = Some((0, i as u32));
                }
                ViewEntry {
                    key: f.key,
                    size: f.size,
                    mark: Some(u32::from(f.referenced)),
                }
            })
            .collect();
        CacheView {
            segments: vec![ViewSegment {
                name: RING,
                ghost: false,
                capacity: Some(self.capacity),
                entries,
            }],
            hand,
            values: Vec::new(),
        }
    }

    fn validate(&self) -> Result<(), String> {
        let slots = self.slab.check(&self.ring, RING)?;
        if self.slab.live() != self.ring.len() {
            return Err("the slab holds nodes outside the ring".to_string());
        }
        if !slots.is_empty() && !slots.contains(&self.hand) {
            return Err("the hand points outside the ring".to_string());
        }
        let listed: Vec<(u64, u32, u32)> = slots
            .iter()
            .map(|&s| {
                let f = self.slab.get(s);
                (f.key, s, f.size)
            })
            .collect();
        check_index(
            self.index.len(),
            &listed,
            |k| self.index.get(&k).copied(),
            self.used,
            self.capacity,
        )
    }
}
