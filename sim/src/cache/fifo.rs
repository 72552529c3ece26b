//! FIFO: evict the object inserted longest ago; hits change nothing.
//!
//! A queue (a slab list, `cache::list`, newest at the front) and an index from key to
//! node. A miss inserts at the front and evicts from the back until the new object fits; a hit
//! only reports itself. Belady, Nelson & Shedler (1969) showed that FIFO can fault *more* with
//! more frames (the reference string 1,2,3,4,1,2,5,1,2,3,4,5: 9 faults with 3 frames, 10 with
//! 4); the tests reproduce it. A Python dict that evicts `next(iter(d))` is exactly this policy
//! whatever its comments call it.
//!
//! `validate` checks the queue's links, that index and queue agree, and `used() <= capacity()`.

use super::list::{hit, miss, one_segment, say, KeyList, OneSegment};
use super::{CacheEvent, CacheView, Outcome, Policy, Request};

/// Segment name of the FIFO queue.
pub const QUEUE: &str = "queue";

/// First in, first out.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Fifo {
    capacity: u64,
    /// Newest at the front, the next victim at the back.
    queue: KeyList,
}

impl Fifo {
    /// An empty FIFO cache of `capacity` units.
    pub fn new(capacity: u64) -> Self {
        Fifo {
            capacity,
            ..Fifo::default()
        }
    }
}

impl OneSegment for Fifo {
    const SEGMENT: &'static str = QUEUE;

    /// The oldest insertion goes, whatever its hits.
    #[inline(always)]
    fn evict_one(&mut self, events: &mut Option<&mut Vec<CacheEvent>>) -> bool {
        let Some(o) = self.queue.pop_back() else {
            return false;
        };
        say(events, || CacheEvent::Evict {
            key: o.key,
            segment: QUEUE,
            why: "oldest insertion".to_string(),
        });
        true
    }

    #[inline(always)]
    fn store(&mut self, req: &Request) {
        self.queue.push_front(req.key, req.size, 0);
    }
}

impl Policy for Fifo {
    fn id(&self) -> &'static str {
        "fifo"
    }

    /// A hit changes nothing; a miss evicts from the back and inserts at the front.
    fn access(&mut self, req: &Request, events: Option<&mut Vec<CacheEvent>>) -> Outcome {
        let mut events = events;
        if self.queue.contains(req.key) {
            return hit(&mut events, req.key, QUEUE);
        }
        miss(self, req, &mut events)
    }

    fn contains(&self, key: u64) -> bool {
        self.queue.contains(key)
    }

    fn remove(&mut self, key: u64) -> bool {
        self.queue.remove(key).is_some()
    }

    #[inline(always)]
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
        one_segment(QUEUE, self.capacity, self.queue.entries(false), None)
    }

    fn validate(&self) -> Result<(), String> {
        self.queue.validate_within(QUEUE, self.capacity)
    }
}
