//! LRU: evict the least recently used object.
//!
//! The structure every textbook and production LRU uses (memcached's per-class LRU, the
//! "hash map + doubly linked list" of the interview classic): an index from key to node, and a
//! doubly linked list with the most recently used object at the front. A hit unlinks its node
//! and relinks it at the front; a miss inserts at the front and evicts from the back until the
//! new object fits. Every operation is O(log n) (the index is an ordered map, for determinism).
//!
//! The list is intrusive over a slab ([`Slab`]: nodes in a `Vec`, links are `u32` slot numbers,
//! freed slots reused), the layout quick-cache and lru-rs use without unsafe code. FIFO, CLOCK,
//! LFU, SLRU and 2Q are built on the same slab; several lists ([`Ends`]) can share one slab, so
//! moving an object between segments relinks a node without copying it.
//!
//! A hit serves the stored copy: the request's size matters only on a miss (the size the object
//! is stored with). `validate` checks every link both ways, that the index and the list hold
//! the same keys, and that the sizes add up to `used() <= capacity()`.
//!
//! The hot-keys model's cache nodes use this LRU through the count-only methods
//! ([`Lru::get`], [`Lru::insert`], [`Lru::invalidate`], [`Lru::set_capacity`]).

use super::{CacheEvent, CacheView, Outcome, Policy, Request, ViewEntry, ViewSegment};
use std::collections::BTreeMap;

/// The link value meaning "no node".
pub(crate) const NIL: u32 = u32::MAX;

/// One node of a slab-backed list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Node<T> {
    prev: u32,
    next: u32,
    val: T,
}

/// The two ends and the length of one list whose nodes live in a [`Slab`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Ends {
    head: u32,
    tail: u32,
    len: u32,
}

impl Default for Ends {
    fn default() -> Self {
        Ends {
            head: NIL,
            tail: NIL,
            len: 0,
        }
    }
}

impl Ends {
    /// Nodes in the list.
    pub(crate) fn len(&self) -> u32 {
        self.len
    }
    /// The front node (most recent insertion or use).
    pub(crate) fn front(&self) -> Option<u32> {
        (self.head != NIL).then_some(self.head)
    }
    /// The back node (the next victim of a FIFO or LRU list).
    pub(crate) fn back(&self) -> Option<u32> {
        (self.tail != NIL).then_some(self.tail)
    }
}

/// Nodes of one or more doubly linked lists, stored in a `Vec` and linked by slot number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Slab<T> {
    nodes: Vec<Node<T>>,
    free: Vec<u32>,
}

impl<T> Default for Slab<T> {
    fn default() -> Self {
        Slab {
            nodes: Vec::new(),
            free: Vec::new(),
        }
    }
}

impl<T: Copy> Slab<T> {
    /// Stores `val` in a new, unlinked node; returns its slot.
    pub(crate) fn alloc(&mut self, val: T) -> u32 {
        let node = Node {
            prev: NIL,
            next: NIL,
            val,
        };
        match self.free.pop() {
            Some(s) => {
                self.nodes[s as usize] = node;
                s
            }
            None => {
                self.nodes.push(node);
                (self.nodes.len() - 1) as u32
            }
        }
    }

    /// The value in slot `s`.
    pub(crate) fn get(&self, s: u32) -> &T {
        &self.nodes[s as usize].val
    }

    /// The value in slot `s`, to change it.
    pub(crate) fn get_mut(&mut self, s: u32) -> &mut T {
        &mut self.nodes[s as usize].val
    }

    /// The node after `s` (towards the back), if any.
    pub(crate) fn next(&self, s: u32) -> Option<u32> {
        let n = self.nodes[s as usize].next;
        (n != NIL).then_some(n)
    }

    /// Stores `val` in a new node at the front of `list`; returns its slot.
    pub(crate) fn push_front(&mut self, list: &mut Ends, val: T) -> u32 {
        let s = self.alloc(val);
        self.link_front(list, s);
        s
    }

    /// Stores `val` in a new node at the back of `list`; returns its slot.
    pub(crate) fn push_back(&mut self, list: &mut Ends, val: T) -> u32 {
        let s = self.alloc(val);
        match list.back() {
            Some(t) => self.link_after(list, t, s),
            None => self.link_front(list, s),
        }
        s
    }

    /// Stores `val` in a new node just before `at` in `list`; returns its slot.
    pub(crate) fn push_before(&mut self, list: &mut Ends, at: u32, val: T) -> u32 {
        let s = self.alloc(val);
        let prev = self.nodes[at as usize].prev;
        self.nodes[s as usize].prev = prev;
        self.nodes[s as usize].next = at;
        self.nodes[at as usize].prev = s;
        if prev == NIL {
            list.head = s;
        } else {
            self.nodes[prev as usize].next = s;
        }
        list.len += 1;
        s
    }

    fn link_after(&mut self, list: &mut Ends, at: u32, s: u32) {
        let next = self.nodes[at as usize].next;
        self.nodes[s as usize].prev = at;
        self.nodes[s as usize].next = next;
        self.nodes[at as usize].next = s;
        if next == NIL {
            list.tail = s;
        } else {
            self.nodes[next as usize].prev = s;
        }
        list.len += 1;
    }

    /// Links the unlinked node `s` at the front of `list`.
    pub(crate) fn link_front(&mut self, list: &mut Ends, s: u32) {
        self.nodes[s as usize].prev = NIL;
        self.nodes[s as usize].next = list.head;
        if list.head == NIL {
            list.tail = s;
        } else {
            self.nodes[list.head as usize].prev = s;
        }
        list.head = s;
        list.len += 1;
    }

    /// Unlinks node `s` from `list` (the node stays allocated, to be linked elsewhere).
    pub(crate) fn unlink(&mut self, list: &mut Ends, s: u32) {
        let Node { prev, next, .. } = self.nodes[s as usize];
        if prev == NIL {
            list.head = next;
        } else {
            self.nodes[prev as usize].next = next;
        }
        if next == NIL {
            list.tail = prev;
        } else {
            self.nodes[next as usize].prev = prev;
        }
        self.nodes[s as usize].prev = NIL;
        self.nodes[s as usize].next = NIL;
        list.len -= 1;
    }

    /// Unlinks node `s` from `list` and frees its slot; returns its value.
    pub(crate) fn remove(&mut self, list: &mut Ends, s: u32) -> T {
        self.unlink(list, s);
        self.free.push(s);
        self.nodes[s as usize].val
    }

    /// Frees the unlinked node `s`; returns its value.
    pub(crate) fn release(&mut self, s: u32) -> T {
        self.free.push(s);
        self.nodes[s as usize].val
    }

    /// Moves node `s` (in `list`) to the front of `list`.
    pub(crate) fn move_to_front(&mut self, list: &mut Ends, s: u32) {
        if list.head != s {
            self.unlink(list, s);
            self.link_front(list, s);
        }
    }

    /// The list's slots and values, front to back.
    pub(crate) fn iter<'a>(&'a self, list: &Ends) -> impl Iterator<Item = (u32, &'a T)> + 'a {
        let mut at = list.head;
        std::iter::from_fn(move || {
            if at == NIL {
                return None;
            }
            let s = at;
            at = self.nodes[s as usize].next;
            Some((s, &self.nodes[s as usize].val))
        })
    }

    /// Nodes in use (allocated, not freed).
    pub(crate) fn live(&self) -> u32 {
        (self.nodes.len() - self.free.len()) as u32
    }

    /// Walks `list` front to back checking every link both ways, its length and its tail;
    /// returns its slots in order. `name` goes into the error.
    pub(crate) fn check(&self, list: &Ends, name: &str) -> Result<Vec<u32>, String> {
        let mut slots = Vec::with_capacity(list.len as usize);
        let mut prev = NIL;
        let mut at = list.head;
        while at != NIL {
            if slots.len() > self.nodes.len() {
                return Err(format!("the {name} list has a cycle"));
            }
            let node = self
                .nodes
                .get(at as usize)
                .ok_or_else(|| format!("the {name} list links to slot {at}, past the slab"))?;
            if node.prev != prev {
                return Err(format!(
                    "in the {name} list, slot {at}'s back link is wrong"
                ));
            }
            slots.push(at);
            prev = at;
            at = node.next;
        }
        if list.tail != prev {
            return Err(format!("the {name} list's tail is not its last node"));
        }
        if slots.len() != list.len as usize {
            return Err(format!(
                "the {name} list has {} nodes but records {}",
                slots.len(),
                list.len
            ));
        }
        Ok(slots)
    }
}

/// Pushes the event `make` builds, only when narration is on (no formatting work otherwise).
pub(crate) fn say(events: &mut Option<&mut Vec<CacheEvent>>, make: impl FnOnce() -> CacheEvent) {
    if let Some(ev) = events {
        ev.push(make());
    }
}

/// Refuses an object larger than the whole cache (narrating why); returns whether it did.
pub(crate) fn refuse_if_too_big(
    req: &Request,
    capacity: u64,
    events: &mut Option<&mut Vec<CacheEvent>>,
) -> bool {
    if u64::from(req.size) <= capacity {
        return false;
    }
    say(events, || CacheEvent::Refuse {
        key: req.key,
        why: format!(
            "it is larger than the whole cache ({} > {} units)",
            req.size, capacity
        ),
    });
    true
}

/// A cached object as list-based policies store it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Obj {
    pub(crate) key: u64,
    pub(crate) size: u32,
}

/// Checks that an index (key → slot) and the slots of its lists describe the same objects and
/// that their sizes add up to `used`, within `capacity`.
pub(crate) fn check_index(
    index_len: usize,
    listed: &[(u64, u32, u32)],
    lookup: impl Fn(u64) -> Option<u32>,
    used: u64,
    capacity: u64,
) -> Result<(), String> {
    let mut sum = 0u64;
    for &(key, slot, size) in listed {
        if lookup(key) != Some(slot) {
            return Err(format!(
                "key {key} is listed in slot {slot} but the index disagrees"
            ));
        }
        sum += u64::from(size);
    }
    if listed.len() != index_len {
        return Err(format!(
            "the index holds {index_len} keys but the lists {}",
            listed.len()
        ));
    }
    if sum != used {
        return Err(format!("the objects' sizes add up to {sum}, not {used}"));
    }
    if used > capacity {
        return Err(format!("{used} units used, over the capacity {capacity}"));
    }
    Ok(())
}

/// Segment name of the LRU list.
pub const LIST: &str = "LRU list";

/// Least recently used: a recency list, most recent first.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Lru {
    capacity: u64,
    used: u64,
    slab: Slab<Obj>,
    list: Ends,
    index: BTreeMap<u64, u32>,
}

impl Lru {
    /// An empty LRU cache of `capacity` units.
    pub fn new(capacity: u64) -> Self {
        Lru {
            capacity,
            ..Lru::default()
        }
    }

    /// Evicts the least recently used object; returns its key and size.
    pub fn pop_lru(&mut self) -> Option<(u64, u32)> {
        let s = self.list.back()?;
        let o = self.slab.remove(&mut self.list, s);
        self.index.remove(&o.key);
        self.used -= u64::from(o.size);
        Some((o.key, o.size))
    }

    /// Keys from the least recently used to the most recent.
    pub fn keys_by_age(&self) -> Vec<u64> {
        let mut keys: Vec<u64> = self.slab.iter(&self.list).map(|(_, o)| o.key).collect();
        keys.reverse();
        keys
    }

    /// Looks `key` up without a size: on a hit it becomes the most recently used (a count-only
    /// convenience for models whose objects all have size 1).
    pub fn get(&mut self, key: u64) -> bool {
        match self.index.get(&key) {
            Some(&s) => {
                self.slab.move_to_front(&mut self.list, s);
                true
            }
            None => false,
        }
    }

    /// Stores `key` with size 1 as the most recently used (refreshing it if cached); returns the
    /// key evicted to make room, if any. A cache of capacity 0 keeps nothing.
    pub fn insert(&mut self, key: u64) -> Option<u64> {
        if self.capacity == 0 || self.get(key) {
            return None;
        }
        let evicted = if self.used >= self.capacity {
            self.pop_lru().map(|(k, _)| k)
        } else {
            None
        };
        self.access(&Request::unit(key), None);
        evicted
    }

    /// Drops `key` (a write made it stale); returns whether it was cached.
    pub fn invalidate(&mut self, key: u64) -> bool {
        self.remove(key)
    }

    /// Changes the capacity, evicting the least recently used objects that no longer fit;
    /// returns their keys, least recent first.
    pub fn set_capacity(&mut self, capacity: u64) -> Vec<u64> {
        self.capacity = capacity;
        let mut evicted = Vec::new();
        while self.used > self.capacity {
            match self.pop_lru() {
                Some((k, _)) => evicted.push(k),
                None => break,
            }
        }
        evicted
    }
}

impl Policy for Lru {
    fn id(&self) -> &'static str {
        "lru"
    }

    fn access(&mut self, req: &Request, events: Option<&mut Vec<CacheEvent>>) -> Outcome {
        let mut events = events;
        if let Some(&s) = self.index.get(&req.key) {
            self.slab.move_to_front(&mut self.list, s);
            say(&mut events, || CacheEvent::Hit {
                key: req.key,
                segment: LIST,
            });
            say(&mut events, || CacheEvent::Move {
                key: req.key,
                from: LIST,
                to: LIST,
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
            let Some((key, _)) = self.pop_lru() else {
                break;
            };
            say(&mut events, || CacheEvent::Evict {
                key,
                segment: LIST,
                why: "least recently used".to_string(),
            });
        }
        let s = self.slab.push_front(
            &mut self.list,
            Obj {
                key: req.key,
                size: req.size,
            },
        );
        self.index.insert(req.key, s);
        self.used += u64::from(req.size);
        say(&mut events, || CacheEvent::Insert {
            key: req.key,
            segment: LIST,
        });
        Outcome::Miss
    }

    fn contains(&self, key: u64) -> bool {
        self.index.contains_key(&key)
    }

    fn remove(&mut self, key: u64) -> bool {
        match self.index.remove(&key) {
            Some(s) => {
                let o = self.slab.remove(&mut self.list, s);
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
        u64::from(self.list.len())
    }

    fn capacity(&self) -> u64 {
        self.capacity
    }

    fn view(&self) -> CacheView {
        CacheView {
            segments: vec![ViewSegment {
                name: LIST,
                ghost: false,
                capacity: Some(self.capacity),
                entries: entries(&self.slab, &self.list),
            }],
            hand: None,
            values: Vec::new(),
        }
    }

    fn validate(&self) -> Result<(), String> {
        let slots = self.slab.check(&self.list, LIST)?;
        let listed = listed(&self.slab, &slots);
        if self.slab.live() != self.list.len() {
            return Err("the slab holds nodes outside the LRU list".to_string());
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

/// The view entries of a list of plain objects, front to back.
pub(crate) fn entries(slab: &Slab<Obj>, list: &Ends) -> Vec<ViewEntry> {
    slab.iter(list)
        .map(|(_, o)| ViewEntry {
            key: o.key,
            size: o.size,
            mark: None,
        })
        .collect()
}

/// (key, slot, size) of the objects in `slots`.
pub(crate) fn listed(slab: &Slab<Obj>, slots: &[u32]) -> Vec<(u64, u32, u32)> {
    slots
        .iter()
        .map(|&s| {
            let o = slab.get(s);
            (o.key, s, o.size)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hit_moves_to_the_front_and_the_back_is_evicted() {
        let mut c = Lru::new(2);
        for k in [1, 2, 1, 3] {
            c.access(&Request::unit(k), None);
        }
        assert_eq!(c.keys_by_age(), [1, 3], "2 was the least recently used");
        c.validate().unwrap();
    }

    #[test]
    fn count_only_methods_report_what_changed() {
        let mut c = Lru::new(2);
        assert_eq!(c.insert(1), None);
        assert_eq!(c.insert(2), None);
        assert!(c.get(1));
        assert_eq!(c.insert(3), Some(2));
        assert_eq!(
            c.insert(3),
            None,
            "re-inserting a cached key evicts nothing"
        );
        assert!(c.invalidate(1));
        assert!(!c.invalidate(1));
        assert_eq!(c.set_capacity(0), [3]);
        assert_eq!(c.insert(4), None);
        assert!(c.is_empty());
        c.validate().unwrap();
    }
}
