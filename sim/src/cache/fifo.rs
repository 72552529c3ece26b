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

use super::list::{
    check_index, entries, listed, refuse_if_too_big, say, Ends, KeyIndex, Obj, Slab,
};
use super::{CacheEvent, CacheView, Outcome, Policy, Request, ViewSegment};

/// Segment name of the FIFO queue.
pub const QUEUE: &str = "queue";

/// First in, first out.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Fifo {
    capacity: u64,
    used: u64,
    slab: Slab<Obj>,
    queue: Ends,
    index: KeyIndex<u32>,
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

impl Policy for Fifo {
    fn id(&self) -> &'static str {
        "fifo"
    }

    fn access(&mut self, req: &Request, events: Option<&mut Vec<CacheEvent>>) -> Outcome {
        let mut events = events;
        if self.index.contains_key(&req.key) {
            say(&mut events, || CacheEvent::Hit {
                key: req.key,
                segment: QUEUE,
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
        while self.used + u64::from(req.size) > self.capacity {
            let Some(s) = self.queue.back() else { break };
            let o = self.slab.remove(&mut self.queue, s);
            self.index.remove(&o.key);
            self.used -= u64::from(o.size);
            say(&mut events, || CacheEvent::Evict {
                key: o.key,
                segment: QUEUE,
                why: "oldest insertion".to_string(),
            });
        }
        let obj = Obj {
            key: req.key,
            size: req.size,
        };
        let s = self.slab.push_front(&mut self.queue, obj);
        self.index.insert(req.key, s);
        self.used += u64::from(req.size);
        say(&mut events, || CacheEvent::Insert {
            key: req.key,
            segment: QUEUE,
        });
        Outcome::Miss
    }

    fn contains(&self, key: u64) -> bool {
        self.index.contains_key(&key)
    }

    fn remove(&mut self, key: u64) -> bool {
        match self.index.remove(&key) {
            Some(s) => {
                let o = self.slab.remove(&mut self.queue, s);
                self.used -= u64::from(o.size);
                true
            }
            None => false,
        }
    }

    fn used(&self) -> u64 {
        self.used
    }

    fn len(&self) -> u64 {
        u64::from(self.queue.len())
    }

    fn capacity(&self) -> u64 {
        self.capacity
    }

    fn view(&self) -> CacheView {
        CacheView {
            segments: vec![ViewSegment {
                name: QUEUE,
                ghost: false,
                capacity: Some(self.capacity),
                entries: entries(&self.slab, &self.queue),
            }],
            hand: None,
            values: Vec::new(),
        }
    }

    fn validate(&self) -> Result<(), String> {
        let slots = self.slab.check(&self.queue, QUEUE)?;
        if self.slab.live() != self.queue.len() {
            return Err("the slab holds nodes outside the queue".to_string());
        }
        check_index(
            self.index.len(),
            &listed(&self.slab, &slots),
            |k| self.index.get(&k).copied(),
            self.used,
            self.capacity,
        )
    }
}
