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

use super::list::{hit, miss, one_segment, say, KeyList, OneSegment};
use super::{CacheEvent, CacheView, Outcome, Policy, Request};

/// Segment name of the ring.
pub const RING: &str = "clock";

/// Second-chance CLOCK.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Clock {
    capacity: u64,
    /// The ring in frame order; each object's mark is its reference bit (0 or 1).
    ring: KeyList,
    /// The slot the hand points to (meaningless when the ring is empty).
    hand: u32,
    /// Within one miss, from an eviction to the store that follows it: whether the last
    /// victim was the list's last node (then its frame, just behind the hand, is at the end).
    /// `None` between requests.
    victim_was_last: Option<bool>,
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
        match self.ring.next(s) {
            Some(n) => n,
            None => self.ring.front().unwrap_or(s),
        }
    }

    /// Unlinks slot `s`, moving the hand on first if it points there.
    fn unlink(&mut self, s: u32) {
        if self.hand == s {
            self.hand = self.after(s);
        }
        self.ring.remove_slot(s);
    }
}

impl OneSegment for Clock {
    const SEGMENT: &'static str = RING;

    /// Sweeps from the hand, clearing reference bits of 1 (a second chance), until an object
    /// with bit 0 is found; evicts it, and the hand moves past it.
    #[inline(always)]
    fn evict_one(&mut self, events: &mut Option<&mut Vec<CacheEvent>>) -> bool {
        if self.ring.is_empty() {
            return false;
        }
        loop {
            let s = self.hand;
            let f = self.ring.node_mut(s);
            if f.mark == 1 {
                f.mark = 0;
                self.hand = self.after(s);
                continue;
            }
            let key = f.key;
            self.victim_was_last = Some(self.ring.next(s).is_none());
            self.unlink(s);
            say(events, || CacheEvent::Evict {
                key,
                segment: RING,
                why: "its reference bit was 0".to_string(),
            });
            return true;
        }
    }

    /// The new object goes just behind the hand, where the last victim was: around the ring,
    /// the hand reaches it last. Without an eviction, the hand's predecessor is the last node
    /// when the hand is at the first.
    #[inline(always)]
    fn store(&mut self, req: &Request) {
        let at_end = self
            .victim_was_last
            .take()
            .unwrap_or(self.ring.front() == Some(self.hand));
        if self.ring.is_empty() {
            self.hand = self.ring.push_back(req.key, req.size, 0);
        } else if at_end {
            self.ring.push_back(req.key, req.size, 0);
        } else {
            self.ring.push_before(self.hand, req.key, req.size, 0);
        }
    }
}

impl Policy for Clock {
    fn id(&self) -> &'static str {
        "clock"
    }

    /// A hit sets the reference bit and moves nothing.
    fn access(&mut self, req: &Request, events: Option<&mut Vec<CacheEvent>>) -> Outcome {
        let mut events = events;
        if let Some(bit) = self.ring.mark_mut(req.key) {
            *bit = 1;
            return hit(&mut events, req.key, RING);
        }
        miss(self, req, &mut events)
    }

    fn contains(&self, key: u64) -> bool {
        self.ring.contains(key)
    }

    fn remove(&mut self, key: u64) -> bool {
        match self.ring.slot(key) {
            Some(s) => {
                self.unlink(s);
                true
            }
            None => false,
        }
    }

    #[inline(always)]
    fn used(&self) -> u64 {
        self.ring.used()
    }

    fn len(&self) -> u64 {
        self.ring.len()
    }

    fn capacity(&self) -> u64 {
        self.capacity
    }

    /// One segment, the ring in frame order (after the last entry comes the first); the hand
    /// is the entry the next sweep looks at first. Marks are the reference bits.
    fn view(&self) -> CacheView {
        let hand = self.ring.position(self.hand);
        one_segment(RING, self.capacity, self.ring.entries(true), hand)
    }

    fn validate(&self) -> Result<(), String> {
        self.ring.validate_within(RING, self.capacity)?;
        if !self.ring.is_empty() && self.ring.position(self.hand).is_none() {
            return Err("the hand points outside the ring".to_string());
        }
        Ok(())
    }
}
