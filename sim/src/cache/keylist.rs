//! An ordered list of keys with O(1) push, pop, unlink and move-to-front: the doubly linked
//! list every queue-based policy keeps (ARC's four LRU lists, W-TinyLFU's window and SLRU
//! segments, SIEVE's queue). Nodes live in an arena (`Vec`) and link by `u32` index, with no
//! `unsafe` and no pointer; a freed slot is reused. A hash map indexes keys for O(1) lookups;
//! its hasher is SplitMix64's finaliser, fixed rather than seeded by the OS, and the index is
//! only ever looked up, never iterated, so nothing depends on its order.
//!
//! The *front* is the head (most recently inserted or used), the *back* the tail (the next
//! victim of LRU/FIFO). `prev` points toward the front, `next` toward the back, as in the SIEVE
//! paper's Algorithm 1, whose hand walks `o.prev` from the tail toward the head.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::rng::splitmix64_fmix;

/// A fixed, unseeded hasher for `u64` keys: SplitMix64's finaliser.
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

type Index = HashMap<u64, u32, BuildHasherDefault<KeyHasher>>;

const NIL: u32 = u32::MAX;

/// One node: the key, its size in capacity units and the policy's mark (a visited bit, a
/// frequency), linked toward the front (`prev`) and the back (`next`).
#[derive(Clone, Debug)]
pub(crate) struct Node {
    pub key: u64,
    pub size: u32,
    pub mark: u32,
    prev: u32,
    next: u32,
}

/// The arena list. See the module doc.
#[derive(Clone, Debug, Default)]
pub(crate) struct KeyList {
    nodes: Vec<Node>,
    free: Vec<u32>,
    head: Option<u32>,
    tail: Option<u32>,
    index: Index,
    used: u64,
}

fn link(i: u32) -> Option<u32> {
    (i != NIL).then_some(i)
}

impl KeyList {
    pub fn new() -> Self {
        Self::default()
    }

    /// Entries in the list.
    pub fn len(&self) -> u64 {
        self.index.len() as u64
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// The sum of the entries' sizes.
    pub fn used(&self) -> u64 {
        self.used
    }

    pub fn contains(&self, key: u64) -> bool {
        self.index.contains_key(&key)
    }

    /// The slot of `key`, if listed.
    pub fn slot(&self, key: u64) -> Option<u32> {
        self.index.get(&key).copied()
    }

    pub fn node(&self, slot: u32) -> &Node {
        &self.nodes[slot as usize]
    }

    pub fn node_mut(&mut self, slot: u32) -> &mut Node {
        &mut self.nodes[slot as usize]
    }

    /// The mark of `key`, if listed.
    pub fn mark_mut(&mut self, key: u64) -> Option<&mut u32> {
        let slot = self.slot(key)?;
        Some(&mut self.nodes[slot as usize].mark)
    }

    /// The tail's slot (the next victim of a FIFO or LRU order).
    pub fn back(&self) -> Option<u32> {
        self.tail
    }

    /// The neighbour of `slot` toward the front.
    pub fn prev(&self, slot: u32) -> Option<u32> {
        link(self.nodes[slot as usize].prev)
    }

    /// Inserts `key` at the front. The key must not be listed.
    pub fn push_front(&mut self, key: u64, size: u32, mark: u32) -> u32 {
        debug_assert!(!self.contains(key), "key {key} is listed twice");
        let node = Node {
            key,
            size,
            mark,
            prev: NIL,
            next: self.head.unwrap_or(NIL),
        };
        let slot = match self.free.pop() {
            Some(slot) => {
                self.nodes[slot as usize] = node;
                slot
            }
            None => {
                self.nodes.push(node);
                (self.nodes.len() - 1) as u32
            }
        };
        match self.head {
            Some(h) => self.nodes[h as usize].prev = slot,
            None => self.tail = Some(slot),
        }
        self.head = Some(slot);
        self.index.insert(key, slot);
        self.used += u64::from(size);
        slot
    }

    fn unlink(&mut self, slot: u32) {
        let (prev, next) = {
            let n = &self.nodes[slot as usize];
            (n.prev, n.next)
        };
        match link(prev) {
            Some(p) => self.nodes[p as usize].next = next,
            None => self.head = link(next),
        }
        match link(next) {
            Some(n) => self.nodes[n as usize].prev = prev,
            None => self.tail = link(prev),
        }
    }

    /// Removes the node in `slot` and returns it (its links are stale).
    pub fn remove_slot(&mut self, slot: u32) -> Node {
        self.unlink(slot);
        let node = self.nodes[slot as usize].clone();
        self.index.remove(&node.key);
        self.used -= u64::from(node.size);
        self.free.push(slot);
        node
    }

    /// Removes `key` if listed.
    pub fn remove(&mut self, key: u64) -> Option<Node> {
        let slot = self.slot(key)?;
        Some(self.remove_slot(slot))
    }

    /// Removes and returns the tail.
    pub fn pop_back(&mut self) -> Option<Node> {
        let slot = self.tail?;
        Some(self.remove_slot(slot))
    }

    /// Moves `key` to the front; false if it is not listed.
    pub fn move_to_front(&mut self, key: u64) -> bool {
        let Some(slot) = self.slot(key) else {
            return false;
        };
        if self.head == Some(slot) {
            return true;
        }
        self.unlink(slot);
        let old_head = self.head.unwrap_or(NIL);
        {
            let n = &mut self.nodes[slot as usize];
            n.prev = NIL;
            n.next = old_head;
        }
        match self.head {
            Some(h) => self.nodes[h as usize].prev = slot,
            None => self.tail = Some(slot),
        }
        self.head = Some(slot);
        true
    }

    /// The nodes from front to back, with their slots.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &Node)> + '_ {
        let mut cur = self.head;
        std::iter::from_fn(move || {
            let slot = cur?;
            let node = &self.nodes[slot as usize];
            cur = link(node.next);
            Some((slot, node))
        })
    }

    /// The position of `slot` counted from the front.
    pub fn position(&self, slot: u32) -> Option<u32> {
        self.iter().position(|(s, _)| s == slot).map(|p| p as u32)
    }

    /// Checks that the links run both ways, the index names exactly the linked nodes and the
    /// used units are their sizes' sum. `name` labels the error.
    pub fn validate(&self, name: &str) -> Result<(), String> {
        let mut count = 0u64;
        let mut used = 0u64;
        let mut prev = NIL;
        let mut cur = self.head;
        while let Some(slot) = cur {
            let node = &self.nodes[slot as usize];
            if node.prev != prev {
                return Err(format!("{name}: key {} has a broken back link", node.key));
            }
            if self.index.get(&node.key) != Some(&slot) {
                return Err(format!(
                    "{name}: key {} is linked but not indexed",
                    node.key
                ));
            }
            count += 1;
            used += u64::from(node.size);
            if count > self.nodes.len() as u64 {
                return Err(format!("{name}: the links form a cycle"));
            }
            prev = slot;
            cur = link(node.next);
        }
        if link(prev) != self.tail {
            return Err(format!("{name}: the tail is not the last linked node"));
        }
        if count != self.len() {
            return Err(format!(
                "{name}: {count} linked nodes but {} indexed",
                self.len()
            ));
        }
        if used != self.used {
            return Err(format!(
                "{name}: sizes sum to {used} but {} recorded",
                self.used
            ));
        }
        Ok(())
    }
}
