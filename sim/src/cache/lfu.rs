//! LFU: evict the least frequently used object, with optional dynamic aging (LFU-DA).
//!
//! In-cache LFU: an object's count starts at 1 when it is stored and is forgotten when it
//! leaves (Perfect LFU, which remembers evicted objects' counts, is not modelled).
//!
//! - [`Aging::None`]: plain LFU. The victim has the smallest count; among equal counts, the
//!   least recently used.
//! - [`Aging::Dynamic`]: LFU with Dynamic Aging (Arlitt, Cherkasova, Dilley, Friedrich & Jin,
//!   "Evaluating content management techniques for Web proxy caches", 2000; Squid's
//!   `heap LFUDA`). Each object has a priority `K = F + L`, where `F` is its count and `L` the
//!   cache age: `L` starts at 0 and becomes the priority of each evicted object. `K` is set
//!   when the object is stored or hit, so objects that were popular long ago sink below new
//!   ones as `L` grows. The victim has the smallest `K`; ties go to the least recently used.
//!   (Arlitt et al. weigh `F` by a cost `C`; with `C = 1`, as here, `K = F + L`.)
//!
//! The structure is the one of the O(1) LFU of Shah, Mitra & Matani (2010) with its frequency
//! list made an ordered map: buckets of equal priority, each a recency list (most recent
//! first), in a `BTreeMap` from priority to bucket. Every use moves an object to the front of a
//! higher bucket, so within a bucket objects are in order of last use and the victim is the
//! back of the lowest bucket. O(log b) per request for b distinct priorities.
//!
//! `validate` checks every bucket's links, that no bucket is empty, that each object sits in
//! the bucket of its priority, that the index agrees, and `used() <= capacity()`.

use super::list::{check_index, refuse_if_too_big, say, Ends, KeyIndex, Slab};
use super::{CacheEvent, CacheView, Outcome, Policy, Request, ViewEntry, ViewSegment};
use std::collections::BTreeMap;

/// Segment name of the frequency list (all buckets, highest priority first).
pub const BUCKETS: &str = "frequency list";

/// Whether counts age.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Aging {
    /// Plain LFU.
    None,
    /// LFU-DA: priority = count + cache age.
    Dynamic,
}

impl std::str::FromStr for Aging {
    type Err = String;
    /// `none` or `dynamic`.
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "none" => Ok(Aging::None),
            "dynamic" => Ok(Aging::Dynamic),
            other => Err(format!(
                "LFU aging is `none` or `dynamic` (LFU-DA), not `{other}`"
            )),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Counted {
    key: u64,
    size: u32,
    count: u64,
    priority: u64,
}

/// Least frequently used, with optional dynamic aging.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lfu {
    capacity: u64,
    used: u64,
    aging: Aging,
    /// The cache age `L` (always 0 without aging).
    age: u64,
    slab: Slab<Counted>,
    buckets: BTreeMap<u64, Ends>,
    index: KeyIndex<u32>,
}

impl Lfu {
    /// An empty LFU cache of `capacity` units.
    pub fn new(capacity: u64, aging: Aging) -> Self {
        Lfu {
            capacity,
            used: 0,
            aging,
            age: 0,
            slab: Slab::default(),
            buckets: BTreeMap::new(),
            index: KeyIndex::default(),
        }
    }

    /// The cache age `L` (LFU-DA's inflation; 0 without aging).
    pub fn age(&self) -> u64 {
        self.age
    }

    fn priority(&self, count: u64) -> u64 {
        match self.aging {
            Aging::None => count,
            Aging::Dynamic => count + self.age,
        }
    }

    fn link(&mut self, s: u32) {
        let p = self.slab.get(s).priority;
        let bucket = self.buckets.entry(p).or_default();
        self.slab.link_front(bucket, s);
    }

    fn unlink(&mut self, s: u32) {
        let p = self.slab.get(s).priority;
        let bucket = self.buckets.get_mut(&p).expect("an object's bucket exists");
        self.slab.unlink(bucket, s);
        if bucket.len() == 0 {
            self.buckets.remove(&p);
        }
    }

    fn evict_one(&mut self) -> Option<Counted> {
        let (&p, bucket) = self.buckets.iter_mut().next()?;
        let s = bucket.back()?;
        self.slab.unlink(bucket, s);
        if bucket.len() == 0 {
            self.buckets.remove(&p);
        }
        let c = self.slab.release(s);
        self.index.remove(&c.key);
        self.used -= u64::from(c.size);
        if self.aging == Aging::Dynamic {
            self.age = c.priority;
        }
        Some(c)
    }
}

impl Policy for Lfu {
    fn id(&self) -> &'static str {
        match self.aging {
            Aging::None => "lfu",
            Aging::Dynamic => "lfu-da",
        }
    }

    fn access(&mut self, req: &Request, events: Option<&mut Vec<CacheEvent>>) -> Outcome {
        let mut events = events;
        if let Some(&s) = self.index.get(&req.key) {
            self.unlink(s);
            let count = self.slab.get(s).count + 1;
            let priority = self.priority(count);
            let c = self.slab.get_mut(s);
            c.count = count;
            c.priority = priority;
            self.link(s);
            say(&mut events, || CacheEvent::Hit {
                key: req.key,
                segment: BUCKETS,
            });
            say(&mut events, || CacheEvent::Move {
                key: req.key,
                from: BUCKETS,
                to: BUCKETS,
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
            let Some(c) = self.evict_one() else { break };
            let aging = self.aging;
            say(&mut events, || CacheEvent::Evict {
                key: c.key,
                segment: BUCKETS,
                why: match aging {
                    Aging::None => format!(
                        "least frequently used ({} uses; the least recent of its count)",
                        c.count
                    ),
                    Aging::Dynamic => format!(
                        "lowest priority K = {} ({} uses + age {}); the cache age L becomes {}",
                        c.priority,
                        c.count,
                        c.priority - c.count,
                        c.priority
                    ),
                },
            });
        }
        let priority = self.priority(1);
        let s = self.slab.alloc(Counted {
            key: req.key,
            size: req.size,
            count: 1,
            priority,
        });
        self.link(s);
        self.index.insert(req.key, s);
        self.used += u64::from(req.size);
        say(&mut events, || CacheEvent::Insert {
            key: req.key,
            segment: BUCKETS,
        });
        Outcome::Miss
    }

    fn contains(&self, key: u64) -> bool {
        self.index.contains_key(&key)
    }

    fn remove(&mut self, key: u64) -> bool {
        match self.index.remove(&key) {
            Some(s) => {
                self.unlink(s);
                let c = self.slab.release(s);
                self.used -= u64::from(c.size);
                true
            }
            None => false,
        }
    }

    fn used(&self) -> u64 {
        self.used
    }

    fn len(&self) -> u64 {
        self.index.len() as u64
    }

    fn capacity(&self) -> u64 {
        self.capacity
    }

    /// One segment: the buckets from the highest priority to the lowest, each most recent
    /// first, so the next victim is last. Marks: the use count without aging, the priority
    /// `K` with it (value `L`: the cache age).
    fn view(&self) -> CacheView {
        let mut entries = Vec::with_capacity(self.index.len());
        for bucket in self.buckets.values().rev() {
            entries.extend(self.slab.iter(bucket).map(|(_, c)| {
                ViewEntry {
                    key: c.key,
                    size: c.size,
                    mark: Some(
                        u32::try_from(match self.aging {
                            Aging::None => c.count,
                            Aging::Dynamic => c.priority,
                        })
                        .unwrap_or(u32::MAX),
                    ),
                }
            }));
        }
        let values = match self.aging {
            Aging::None => Vec::new(),
            Aging::Dynamic => vec![("L", i64::try_from(self.age).unwrap_or(i64::MAX))],
        };
        CacheView {
            segments: vec![ViewSegment {
                name: BUCKETS,
                ghost: false,
                capacity: Some(self.capacity),
                entries,
            }],
            hand: None,
            values,
        }
    }

    fn validate(&self) -> Result<(), String> {
        let mut listed = Vec::with_capacity(self.index.len());
        for (&p, bucket) in &self.buckets {
            let slots = self.slab.check(bucket, "frequency bucket")?;
            if slots.is_empty() {
                return Err(format!("the bucket of priority {p} is empty but kept"));
            }
            for s in slots {
                let c = self.slab.get(s);
                if c.priority != p {
                    return Err(format!(
                        "key {} of priority {} sits in bucket {p}",
                        c.key, c.priority
                    ));
                }
                if c.count == 0 || (self.aging == Aging::None && c.priority != c.count) {
                    return Err(format!("key {} has a wrong count or priority", c.key));
                }
                if c.priority > c.count + self.age {
                    return Err(format!("key {}'s priority is above count + L", c.key));
                }
                listed.push((c.key, s, c.size));
            }
        }
        if self.slab.live() as usize != listed.len() {
            return Err("the slab holds nodes outside the buckets".to_string());
        }
        check_index(
            self.index.len(),
            &listed,
            |k| self.index.get(&k).copied(),
            self.used,
            self.capacity,
        )
    }
}
