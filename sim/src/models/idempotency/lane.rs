//! One lane's state: the client's view of each payment and the server's store, ledger and counts.

use super::LaneKind;
use crate::models::lanes::Recent;
use std::collections::{BTreeMap, VecDeque};

/// What the network and the server do to one attempt, the same in every lane.
#[derive(Clone, Copy, Debug)]
pub(super) struct Fate {
    pub(super) request_lost: bool,
    pub(super) response_lost: bool,
    pub(super) charge_us: u64,
    pub(super) draw: u64,
}

/// One payment, as the client meant it.
#[derive(Clone, Debug)]
pub(super) struct Payment {
    pub(super) key: u64,
    pub(super) cents: i64,
    pub(super) meant: i64,
    /// Its first response is lost, whatever the network draws.
    pub(super) lose_first: bool,
}

/// The client's state for one payment in one lane.
#[derive(Clone, Debug)]
pub(super) struct Client {
    pub(super) attempt: u32,
    pub(super) timed_out: bool,
    pub(super) done: bool,
    /// The client gave up on it.
    pub(super) gave_up: bool,
    /// Entries the server's store made for it (more than one: its key expired and came back).
    pub(super) stored: u32,
    pub(super) prev_sleep_us: u64,
}

/// A key the server holds.
#[derive(Clone, Debug)]
pub(super) struct Entry {
    pub(super) cents: i64,
    pub(super) created_us: u64,
    /// The stored response is there (false: the first request is still in flight).
    pub(super) done: bool,
}

/// One server policy's lane.
#[derive(Clone, Debug)]
pub(super) struct Lane {
    pub(super) kind: LaneKind,
    pub(super) clients: BTreeMap<u64, Client>,
    /// Keys held: the dedupe store, or the ledger's unique index.
    pub(super) store: BTreeMap<u64, Entry>,
    /// Keys in the order they expire: (expires µs, key, created µs).
    pub(super) expiry: VecDeque<(u64, u64, u64)>,
    pub(super) charged: BTreeMap<u64, u32>,
    pub(super) charges: u64,
    pub(super) duplicates: u64,
    pub(super) charged_cents: i64,
    pub(super) delivered: u64,
    pub(super) lost_requests: u64,
    pub(super) lost_responses: u64,
    pub(super) late_responses: u64,
    pub(super) retries: u64,
    pub(super) conflicts: u64,
    pub(super) mismatches: u64,
    pub(super) replays: u64,
    pub(super) confirmed: u64,
    pub(super) unresolved: u64,
    /// Charges made under a key whose earlier entry had expired.
    pub(super) recharged_after_expiry: u64,
    /// Keys the store forgot when their TTL ran out.
    pub(super) expired_keys: u64,
    /// Attempts the server is working on.
    pub(super) working: u64,
    pub(super) marks: Recent,
}

impl Lane {
    pub(super) fn new(kind: LaneKind) -> Lane {
        Lane {
            kind,
            clients: BTreeMap::new(),
            store: BTreeMap::new(),
            expiry: VecDeque::new(),
            charged: BTreeMap::new(),
            charges: 0,
            duplicates: 0,
            charged_cents: 0,
            delivered: 0,
            lost_requests: 0,
            lost_responses: 0,
            late_responses: 0,
            retries: 0,
            conflicts: 0,
            mismatches: 0,
            replays: 0,
            confirmed: 0,
            unresolved: 0,
            recharged_after_expiry: 0,
            expired_keys: 0,
            working: 0,
            marks: Recent::default(),
        }
    }

    pub(super) fn label(&self) -> &'static str {
        lane_label(self.kind)
    }

    /// Forgets the keys whose TTL is over by `now`.
    pub(super) fn purge(&mut self, now: u64) {
        while let Some(&(expires, key, created)) = self.expiry.front() {
            if expires > now {
                break;
            }
            self.expiry.pop_front();
            if self
                .store
                .get(&key)
                .is_some_and(|e| e.created_us == created)
            {
                self.store.remove(&key);
                self.expired_keys += 1;
            }
        }
    }

    pub(super) fn held(&self, now: u64, ttl: Option<u64>) -> u64 {
        match ttl {
            Some(ttl) => self
                .store
                .values()
                .filter(|e| e.created_us + ttl > now)
                .count() as u64,
            None => self.store.len() as u64,
        }
    }
}

pub(super) fn lane_label(kind: LaneKind) -> &'static str {
    match kind {
        LaneKind::NoKey => "No key",
        LaneKind::Key => "Idempotency key",
        LaneKind::KeyShortTtl => "Key, short TTL",
        LaneKind::DbUnique => "Unique key in the ledger",
    }
}
