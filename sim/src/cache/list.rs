//! The slab-backed doubly linked lists every list-based policy is built on, the key index they
//! share, and the few helpers every policy here shares (narration only when it is on, refusal of
//! objects larger than the cache, index checks for `validate`).
//!
//! A [`Slab`] keeps nodes in a `Vec` and links them by `u32` slot number, reusing freed slots:
//! the layout quick-cache and lru-rs use without unsafe code. Several lists ([`Ends`]) can share
//! one slab, so moving an object between segments relinks a node without copying it (FIFO, LRU,
//! CLOCK, LFU's buckets, SLRU, 2Q, random, sampled LRU). Every operation is O(1);
//! [`Slab::check`] walks a list checking each link both ways.
//!
//! [`KeyList`] packages the common case of one list with its own index and size total (ARC's
//! four lists, W-TinyLFU's window and SLRU segments, S3-FIFO's three queues, SIEVE's queue).
//!
//! Every key → slot index is a [`KeyIndex`]: a hash map with a fixed hasher (see its doc), about
//! 2–3× faster than a `BTreeMap` on a 1M-request trace.
//!
//! Orientation: the *front* is the head (most recently inserted or used), the *back* the tail
//! (the next victim of LRU/FIFO). [`Slab::prev`] steps toward the front, [`Slab::next`] toward
//! the back, as in the SIEVE paper's Algorithm 1, whose hand walks `o.prev` from the tail.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::rng::splitmix64_fmix;

use super::{CacheEvent, CacheView, Outcome, Policy, Request, Segment, ViewEntry, ViewSegment};

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

    /// The node before `s` (towards the front), if any.
    pub(crate) fn prev(&self, s: u32) -> Option<u32> {
        let p = self.nodes[s as usize].prev;
        (p != NIL).then_some(p)
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

/// Narrates a hit in `segment` and reports it.
#[inline(always)]
pub(crate) fn hit(
    events: &mut Option<&mut Vec<CacheEvent>>,
    key: u64,
    segment: Segment,
) -> Outcome {
    say(events, || CacheEvent::Hit { key, segment });
    Outcome::Hit
}

/// A policy with one segment and the common miss path ([`miss`]): what differs between FIFO,
/// LRU, CLOCK, random and sampled LRU is which object goes ([`OneSegment::evict_one`]) and
/// where the new one is put ([`OneSegment::store`]).
pub(crate) trait OneSegment: Policy {
    /// The segment's name, in narration and in the view.
    const SEGMENT: Segment;
    /// Evicts the policy's next victim, narrating why; false when nothing is cached.
    fn evict_one(&mut self, events: &mut Option<&mut Vec<CacheEvent>>) -> bool;
    /// Stores the missed object (there is room for it).
    fn store(&mut self, req: &Request);
}

/// The miss path of a one-segment policy: narrate the miss, refuse an object larger than the
/// whole cache, evict until the object fits, store it and narrate where.
#[inline(always)]
pub(crate) fn miss<P: OneSegment>(
    p: &mut P,
    req: &Request,
    events: &mut Option<&mut Vec<CacheEvent>>,
) -> Outcome {
    say(events, || CacheEvent::Miss {
        key: req.key,
        ghost: None,
    });
    let capacity = p.capacity();
    if refuse_if_too_big(req, capacity, events) {
        return Outcome::Miss;
    }
    while p.used() + u64::from(req.size) > capacity {
        if !p.evict_one(events) {
            break;
        }
    }
    p.store(req);
    say(events, || CacheEvent::Insert {
        key: req.key,
        segment: P::SEGMENT,
    });
    Outcome::Miss
}

/// The view of a one-segment policy: its entries, next victim last, and its hand if it has one
/// (the entry's position).
pub(crate) fn one_segment(
    name: Segment,
    capacity: u64,
    entries: Vec<ViewEntry>,
    hand: Option<u32>,
) -> CacheView {
    CacheView {
        segments: vec![ViewSegment {
            name,
            ghost: false,
            capacity: Some(capacity),
            entries,
        }],
        hand: hand.map(|i| (0, i)),
        values: Vec::new(),
    }
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

/// One segment of plain objects as drawn, front to back (SLRU's and 2Q's lists, which share
/// one slab).
pub(crate) fn segment(
    name: Segment,
    slab: &Slab<Obj>,
    list: &Ends,
    capacity: Option<u64>,
    ghost: bool,
) -> ViewSegment {
    ViewSegment {
        name,
        ghost,
        capacity,
        entries: slab
            .iter(list)
            .map(|(_, o)| ViewEntry {
                key: o.key,
                size: o.size,
                mark: None,
            })
            .collect(),
    }
}

/// A stored object's key and size, whatever else a policy keeps with it.
pub(crate) trait Stored: Copy {
    /// The key.
    fn key(&self) -> u64;
    /// The size in capacity units.
    fn size(&self) -> u32;
}

impl Stored for Obj {
    fn key(&self) -> u64 {
        self.key
    }
    fn size(&self) -> u32 {
        self.size
    }
}

/// Checks the segments of a policy that keeps them all in one slab, with an index naming each
/// key's segment (SLRU, 2Q): each list's links ([`Slab::check`]), that the index names the list a
/// key is in (`tag`, the same type as each segment's), whatever else `each` requires of a listed
/// key, and that each list's sizes add up to its `used`. Returns (key, slot, size) of every listed
/// object, for [`check_index`].
pub(crate) fn check_segments<T: PartialEq>(
    slab: &Slab<Obj>,
    segments: [(&Ends, T, &str, u64); 2],
    tag: impl Fn(u64) -> Option<T>,
    each: impl Fn(u64) -> Result<(), String>,
) -> Result<Vec<(u64, u32, u32)>, String> {
    let names = [segments[0].2, segments[1].2];
    let mut listed = Vec::new();
    for (list, which, name, used) in segments {
        let mut sum = 0;
        for s in slab.check(list, name)? {
            let o = slab.get(s);
            if tag(o.key).as_ref() != Some(&which) {
                return Err(format!(
                    "key {} is in {name}, not the segment its index names",
                    o.key
                ));
            }
            each(o.key)?;
            sum += u64::from(o.size);
            listed.push((o.key, s, o.size));
        }
        if sum != used {
            return Err(format!("{name}'s sizes add up to {sum}, not {used}"));
        }
    }
    if slab.live() as usize != listed.len() {
        return Err(format!(
            "the slab holds nodes outside {} and {}",
            names[0], names[1]
        ));
    }
    Ok(listed)
}

/// (key, slot, size) of the objects in `slots`.
pub(crate) fn listed<T: Stored>(slab: &Slab<T>, slots: &[u32]) -> Vec<(u64, u32, u32)> {
    slots
        .iter()
        .map(|&s| {
            let o = slab.get(s);
            (o.key(), s, o.size())
        })
        .collect()
}

/// Objects in a `Vec` with a key → position index and their size total: the key space of
/// random eviction and sampled LRU, where a uniform draw is one integer below [`KeyVec::len`]
/// and a removal is O(1): the last object takes the removed one's place (`swap_remove`).
#[derive(Clone, Debug)]
pub(crate) struct KeyVec<T> {
    items: Vec<T>,
    /// key → position in `items`.
    index: KeyIndex<u32>,
    used: u64,
}

impl<T: Stored> KeyVec<T> {
    pub fn new() -> Self {
        KeyVec {
            items: Vec::new(),
            index: KeyIndex::default(),
            used: 0,
        }
    }

    /// Objects held.
    pub fn len(&self) -> u64 {
        self.items.len() as u64
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The sum of the objects' sizes.
    pub fn used(&self) -> u64 {
        self.used
    }

    pub fn contains(&self, key: u64) -> bool {
        self.index.contains_key(&key)
    }

    /// The object at position `pos`.
    pub fn get(&self, pos: u32) -> &T {
        &self.items[pos as usize]
    }

    /// The object stored under `key`, if any.
    pub fn by_key(&self, key: u64) -> Option<&T> {
        let pos = *self.index.get(&key)?;
        Some(&self.items[pos as usize])
    }

    /// The object stored under `key`, to change it (not its key or size).
    pub fn by_key_mut(&mut self, key: u64) -> Option<&mut T> {
        let pos = *self.index.get(&key)?;
        Some(&mut self.items[pos as usize])
    }

    /// Appends `item`. Its key must not be held.
    pub fn push(&mut self, item: T) {
        debug_assert!(
            !self.contains(item.key()),
            "key {} is held twice",
            item.key()
        );
        self.index.insert(item.key(), self.items.len() as u32);
        self.used += u64::from(item.size());
        self.items.push(item);
    }

    /// Removes the object at `pos` (the last one takes its place) and returns it.
    pub fn take(&mut self, pos: u32) -> T {
        let gone = self.items.swap_remove(pos as usize);
        self.index.remove(&gone.key());
        if let Some(moved) = self.items.get(pos as usize) {
            self.index.insert(moved.key(), pos);
        }
        self.used -= u64::from(gone.size());
        gone
    }

    /// Removes `key` if held.
    pub fn remove(&mut self, key: u64) -> Option<T> {
        let pos = *self.index.get(&key)?;
        Some(self.take(pos))
    }

    /// The objects in position order.
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.items.iter()
    }

    /// Checks that the index and the positions agree and that the sizes add up to `used`,
    /// within `capacity`.
    pub fn validate_within(&self, capacity: u64) -> Result<(), String> {
        let listed: Vec<(u64, u32, u32)> = self
            .items
            .iter()
            .enumerate()
            .map(|(i, o)| (o.key(), i as u32, o.size()))
            .collect();
        check_index(
            self.index.len(),
            &listed,
            |k| self.index.get(&k).copied(),
            self.used,
            capacity,
        )
    }
}

/// A fixed, unseeded hasher for `u64` keys: SplitMix64's finaliser. The same keys hash the same
/// way on every run and every target (no OS-seeded `RandomState`).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = splitmix64_fmix(self.0 ^ u64::from(b));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = splitmix64_fmix(self.0 ^ n);
    }
}

/// The key → slot index of every policy here: a hash map with the fixed [`KeyHasher`].
///
/// **Determinism rule: never iterate a `KeyIndex`** (no `iter`, `keys`, `values`, `drain`,
/// `retain`, no `Debug` output that a test or a digest reads). It is only looked up, inserted
/// into, removed from and counted, and none of those depend on the map's internal order; the
/// order objects are evicted or drawn in always comes from the lists. Where an order over keys
/// is needed, use a `BTreeMap` instead (DESIGN §2.1).
pub(crate) type KeyIndex<V> = HashMap<u64, V, BuildHasherDefault<KeyHasher>>;

/// An object in a [`KeyList`]: its key, its size in capacity units and the policy's mark (a
/// visited bit, a frequency, S3-FIFO's 0–3 counter).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Marked {
    pub key: u64,
    pub size: u32,
    pub mark: u32,
}

impl Stored for Marked {
    fn key(&self) -> u64 {
        self.key
    }
    fn size(&self) -> u32 {
        self.size
    }
}

/// One list with its own slab, index and size total: the queues of ARC, W-TinyLFU, S3-FIFO
/// and SIEVE, whose objects never share nodes across lists (moving between them re-inserts).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct KeyList {
    slab: Slab<Marked>,
    list: Ends,
    index: KeyIndex<u32>,
    used: u64,
}

impl KeyList {
    pub fn new() -> Self {
        Self::default()
    }

    /// Entries in the list.
    #[inline(always)]
    pub fn len(&self) -> u64 {
        u64::from(self.list.len())
    }

    #[inline(always)]
    pub fn is_empty(&self) -> bool {
        self.list.len() == 0
    }

    /// The sum of the entries' sizes.
    #[inline(always)]
    pub fn used(&self) -> u64 {
        self.used
    }

    #[inline(always)]
    pub fn contains(&self, key: u64) -> bool {
        self.index.contains_key(&key)
    }

    /// The slot of `key`, if listed.
    #[inline(always)]
    pub fn slot(&self, key: u64) -> Option<u32> {
        self.index.get(&key).copied()
    }

    #[inline(always)]
    pub fn node(&self, slot: u32) -> &Marked {
        self.slab.get(slot)
    }

    #[inline(always)]
    pub fn node_mut(&mut self, slot: u32) -> &mut Marked {
        self.slab.get_mut(slot)
    }

    /// The mark of `key`, if listed.
    #[inline(always)]
    pub fn mark_mut(&mut self, key: u64) -> Option<&mut u32> {
        let slot = self.slot(key)?;
        Some(&mut self.slab.get_mut(slot).mark)
    }

    /// The head's slot (the most recent insertion or use).
    #[inline(always)]
    pub fn front(&self) -> Option<u32> {
        self.list.front()
    }

    /// The neighbour of `slot` toward the back.
    #[inline(always)]
    pub fn next(&self, slot: u32) -> Option<u32> {
        self.slab.next(slot)
    }

    /// The tail's slot (the next victim of a FIFO or LRU order).
    #[inline(always)]
    pub fn back(&self) -> Option<u32> {
        self.list.back()
    }

    /// The neighbour of `slot` toward the front.
    #[inline(always)]
    pub fn prev(&self, slot: u32) -> Option<u32> {
        self.slab.prev(slot)
    }

    /// Inserts `key` at the front; returns its slot. The key must not be listed.
    #[inline(always)]
    pub fn push_front(&mut self, key: u64, size: u32, mark: u32) -> u32 {
        let slot = self
            .slab
            .push_front(&mut self.list, Marked { key, size, mark });
        self.indexed(slot, key, size)
    }

    /// Inserts `key` at the back; returns its slot. The key must not be listed.
    #[inline(always)]
    pub fn push_back(&mut self, key: u64, size: u32, mark: u32) -> u32 {
        let slot = self
            .slab
            .push_back(&mut self.list, Marked { key, size, mark });
        self.indexed(slot, key, size)
    }

    /// Inserts `key` just before `slot` (toward the front); returns its slot. The key must not
    /// be listed.
    #[inline(always)]
    pub fn push_before(&mut self, at: u32, key: u64, size: u32, mark: u32) -> u32 {
        let slot = self
            .slab
            .push_before(&mut self.list, at, Marked { key, size, mark });
        self.indexed(slot, key, size)
    }

    /// Indexes `key`, just linked in `slot`, and counts its size; returns the slot.
    #[inline(always)]
    fn indexed(&mut self, slot: u32, key: u64, size: u32) -> u32 {
        debug_assert!(!self.contains(key), "key {key} is listed twice");
        self.index.insert(key, slot);
        self.used += u64::from(size);
        slot
    }

    /// Removes the node in `slot` and returns its object.
    #[inline(always)]
    pub fn remove_slot(&mut self, slot: u32) -> Marked {
        let gone = self.slab.remove(&mut self.list, slot);
        self.index.remove(&gone.key);
        self.used -= u64::from(gone.size);
        gone
    }

    /// Removes `key` if listed.
    #[inline(always)]
    pub fn remove(&mut self, key: u64) -> Option<Marked> {
        let slot = self.slot(key)?;
        Some(self.remove_slot(slot))
    }

    /// Removes and returns the tail.
    #[inline(always)]
    pub fn pop_back(&mut self) -> Option<Marked> {
        let slot = self.list.back()?;
        Some(self.remove_slot(slot))
    }

    /// Moves `key` to the front; false if it is not listed.
    #[inline(always)]
    pub fn move_to_front(&mut self, key: u64) -> bool {
        let Some(slot) = self.slot(key) else {
            return false;
        };
        self.slab.move_to_front(&mut self.list, slot);
        true
    }

    /// The objects from front to back, with their slots.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &Marked)> + '_ {
        self.slab.iter(&self.list)
    }

    /// The position of `slot` counted from the front.
    pub fn position(&self, slot: u32) -> Option<u32> {
        self.iter().position(|(s, _)| s == slot).map(|p| p as u32)
    }

    /// The view entries, front to back, with their marks if `marked`.
    pub fn entries(&self, marked: bool) -> Vec<ViewEntry> {
        self.iter()
            .map(|(_, o)| ViewEntry {
                key: o.key,
                size: o.size,
                mark: marked.then_some(o.mark),
            })
            .collect()
    }

    /// [`KeyList::validate`], and that the sizes stay within `capacity`.
    pub fn validate_within(&self, name: &str, capacity: u64) -> Result<(), String> {
        self.validate(name)?;
        if self.used > capacity {
            return Err(format!(
                "{} units used, over the capacity {capacity}",
                self.used
            ));
        }
        Ok(())
    }

    /// Checks that the links run both ways, that the index names exactly the linked nodes,
    /// that the slab holds no other node and that the sizes add up to `used`. `name` labels the
    /// error.
    pub fn validate(&self, name: &str) -> Result<(), String> {
        let slots = self.slab.check(&self.list, name)?;
        if self.slab.live() != self.list.len() {
            return Err(format!("{name}: the slab holds nodes outside the list"));
        }
        check_index(
            self.index.len(),
            &listed(&self.slab, &slots),
            |k| self.slot(k),
            self.used,
            u64::MAX,
        )
        .map_err(|e| format!("{name}: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_list_keeps_order_index_and_sizes_together() {
        let mut l = KeyList::new();
        for k in 1..=4 {
            l.push_front(k, k as u32, 0);
        }
        l.move_to_front(2);
        let keys: Vec<u64> = l.iter().map(|(_, o)| o.key).collect();
        assert_eq!(keys, [2, 4, 3, 1]);
        assert_eq!(l.pop_back().map(|o| o.key), Some(1));
        assert_eq!(l.remove(4).map(|o| o.size), Some(4));
        assert_eq!((l.len(), l.used()), (2, 5));
        let back = l.back().unwrap();
        assert_eq!(l.node(back).key, 3);
        assert_eq!(l.prev(back).map(|s| l.node(s).key), Some(2));
        assert_eq!(l.position(back), Some(1));
        *l.mark_mut(3).unwrap() = 1;
        assert_eq!(l.node(back).mark, 1);
        assert!(!l.move_to_front(9));
        l.validate("test").unwrap();
    }
}
