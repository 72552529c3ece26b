//! Belady's MIN (Belady, "A study of replacement algorithms for a virtual-storage computer",
//! IBM Systems Journal 1966; Mattson, Gecsei, Slutz & Traiger, "Evaluation techniques for
//! storage hierarchies", 1970, for the optimality proof): on a miss with a full cache, evict the
//! object whose next request is farthest in the future. It needs the future, so it reads each
//! [`Request::next`] (fill them with [`annotate_next`](super::annotate_next)); a request without
//! its future (`next` = [`NEVER`]) is treated as never requested again.
//!
//! This version may also *bypass*: a missed object whose own next use is farther than that of
//! every object it would displace is not stored (a `Refuse` event), nor is one never requested
//! again. With unit sizes, choosing the farthest next use among the cached objects and the
//! missed one is **optimal**: no policy, online or offline, has fewer misses on the trace (the
//! tests check it against an exhaustive search). With sizes it is **only a heuristic**: the
//! optimum with variable sizes is NP-hard (Berger, Beckmann & Harchol-Balter, "Practical
//! Bounds on Optimal Caching with Variable Object Sizes", SIGMETRICS 2018), and farthest-first
//! ignores that evicting one large object may make room for several small ones. Here, with
//! sizes, the object is admitted only if every object it would displace (farthest first) is
//! next used later than it.
//!
//! `validate` checks: `used <= capacity`, the order by next use indexes exactly the cached
//! objects and the units add up.

use std::collections::{BTreeMap, BTreeSet};

use super::{CacheEvent, CacheView, Outcome, Policy, Request, ViewEntry, ViewSegment, NEVER};

/// The segment name of MIN's cache.
pub const CACHE: &str = "cache";

/// Belady's MIN. See the module doc.
#[derive(Clone, Debug)]
pub struct Belady {
    capacity: u64,
    /// key -> (next use, size).
    objects: BTreeMap<u64, (u64, u32)>,
    /// (next use, key), the farthest last: the next victim is the last entry.
    by_next: BTreeSet<(u64, u64)>,
    used: u64,
}

fn when(next: u64) -> String {
    if next == NEVER {
        "never".into()
    } else {
        format!("at request {next}")
    }
}

impl Belady {
    /// An empty MIN cache of `capacity` units.
    pub fn new(capacity: u64) -> Self {
        Belady {
            capacity,
            objects: BTreeMap::new(),
            by_next: BTreeSet::new(),
            used: 0,
        }
    }

    fn drop_key(&mut self, key: u64) -> Option<(u64, u32)> {
        let (next, size) = self.objects.remove(&key)?;
        self.by_next.remove(&(next, key));
        self.used -= u64::from(size);
        Some((next, size))
    }
}

impl Policy for Belady {
    fn id(&self) -> &'static str {
        "belady"
    }

    fn access(&mut self, req: &Request, events: Option<&mut Vec<CacheEvent>>) -> Outcome {
        let key = req.key;
        if let Some(entry) = self.objects.get_mut(&key) {
            // A hit: only the object's next use changes.
            self.by_next.remove(&(entry.0, key));
            entry.0 = req.next;
            self.by_next.insert((req.next, key));
            if let Some(ev) = events {
                ev.push(CacheEvent::Hit {
                    key,
                    segment: CACHE,
                });
            }
            return Outcome::Hit;
        }
        let mut events = events;
        if let Some(ev) = events.as_deref_mut() {
            ev.push(CacheEvent::Miss { key, ghost: None });
        }
        let size = u64::from(req.size);
        let refuse = |events: Option<&mut Vec<CacheEvent>>, why: String| {
            if let Some(ev) = events {
                ev.push(CacheEvent::Refuse { key, why });
            }
            Outcome::Miss
        };
        if size > self.capacity {
            return refuse(
                events,
                format!(
                    "size {size} is larger than the whole cache ({})",
                    self.capacity
                ),
            );
        }
        if req.next == NEVER {
            return refuse(events, "it is never requested again".into());
        }
        // The objects that must go for this one to fit, farthest next use first. Bypass
        // unless every one of them is next used later than the missed object.
        let mut freed = self.capacity - self.used;
        let mut victims = Vec::new();
        for &(next, victim) in self.by_next.iter().rev() {
            if freed >= size {
                break;
            }
            if next < req.next {
                return refuse(
                    events,
                    format!(
                        "its next use ({}) is farther than that of every cached object it could replace (k{victim}: {})",
                        when(req.next),
                        when(next)
                    ),
                );
            }
            freed += u64::from(self.objects[&victim].1);
            victims.push((next, victim));
        }
        for (next, victim) in victims {
            self.drop_key(victim);
            if let Some(ev) = events.as_deref_mut() {
                ev.push(CacheEvent::Evict {
                    key: victim,
                    segment: CACHE,
                    why: format!(
                        "next used farthest in the future ({}, k{key} {})",
                        when(next),
                        when(req.next)
                    ),
                });
            }
        }
        self.objects.insert(key, (req.next, req.size));
        self.by_next.insert((req.next, key));
        self.used += size;
        if let Some(ev) = events {
            ev.push(CacheEvent::Insert {
                key,
                segment: CACHE,
            });
        }
        Outcome::Miss
    }

    fn contains(&self, key: u64) -> bool {
        self.objects.contains_key(&key)
    }

    fn remove(&mut self, key: u64) -> bool {
        self.drop_key(key).is_some()
    }

    fn used(&self) -> u64 {
        self.used
    }

    fn len(&self) -> u64 {
        self.objects.len() as u64
    }

    fn capacity(&self) -> u64 {
        self.capacity
    }

    /// One segment, soonest next use first and the farthest (the next victim) last; each mark
    /// is the index of the object's next request (`u32::MAX` for never or beyond).
    fn view(&self) -> CacheView {
        let entries = self
            .by_next
            .iter()
            .map(|&(next, key)| ViewEntry {
                key,
                size: self.objects[&key].1,
                mark: Some(u32::try_from(next).unwrap_or(u32::MAX)),
            })
            .collect();
        CacheView {
            segments: vec![ViewSegment {
                name: CACHE,
                ghost: false,
                capacity: Some(self.capacity),
                entries,
            }],
            hand: None,
            values: Vec::new(),
        }
    }

    fn validate(&self) -> Result<(), String> {
        if self.used > self.capacity {
            return Err(format!(
                "MIN holds {} units, more than its capacity {}",
                self.used, self.capacity
            ));
        }
        if self.by_next.len() != self.objects.len() {
            return Err("the next-use order and the objects disagree".into());
        }
        let mut used = 0u64;
        for (&key, &(next, size)) in &self.objects {
            if !self.by_next.contains(&(next, key)) {
                return Err(format!("key {key} is missing from the next-use order"));
            }
            used += u64::from(size);
        }
        if used != self.used {
            return Err(format!("sizes sum to {used} but {} recorded", self.used));
        }
        Ok(())
    }
}
