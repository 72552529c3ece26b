//! Keys and traffic: the ids rule (the starting keys and every new id), reads of existing keys,
//! writes of new ones (the insert stream, `add-keys`, `insert`), single lookups and range scans.
//! Every request but `add-keys`'s bulk load queues at its shard's node.

use super::record::{span, RangeRecord};
use super::spec::{IdOrder, MAX_KEYS};
use super::{Layout, RangeEvent, RangeShards, Route};
use crate::model::{Ctx, InputError};
use crate::models::queueing::FifoServer;
use crate::models::shard_view::{RequestOutcome, ShardRequest};
use crate::params::{ParamError, ParamSet};
use crate::time::SimTime;
use std::collections::BTreeSet;
use std::rc::Rc;

/// A request served by `shard`'s primary, taking `latency_us`.
fn served(id: u64, key: u64, shard: u32, at: SimTime, latency_us: u64) -> ShardRequest {
    ShardRequest {
        latency_us: Some(latency_us),
        ..ShardRequest::served(id, key, shard, at)
    }
}

/// What a write did.
enum Written {
    /// Stored (or updated) on a shard.
    On(u32),
    /// Refused by the router.
    Refused,
    /// Refused by the shard's node: its queue was full.
    Dropped,
}

/// How a request fared at its node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Queued {
    /// Time it waited for the node, µs.
    pub wait_us: u64,
    /// Time from arrival to completion, µs.
    pub latency_us: u64,
}

impl RangeShards {
    /// The starting keys, or why they do not fit the space.
    pub(super) fn initial_keys(
        params: &ParamSet,
        ids: IdOrder,
        (min_id, max_id): (u64, u64),
        ctx: &mut Ctx<'_, Self>,
    ) -> Result<Vec<u64>, ParamError> {
        let count = params.int("keys").clamp(0, MAX_KEYS) as u64;
        let space = max_id - min_id + 1;
        let gap = params.int("time_gap").max(1) as u64;
        let need = match ids {
            IdOrder::TimeOrdered => count.saturating_sub(1) * (2 * gap - 1) + 1,
            _ => count,
        };
        if need > space {
            return Err(ParamError {
                param: "keys".into(),
                value: count.to_string(),
                allowed: format!(
                    "at most as many {} ids as the space {} can hold",
                    ids.label(),
                    span(min_id, max_id)
                ),
            });
        }
        Ok(match ids {
            IdOrder::Uniform => {
                let mut set = BTreeSet::new();
                while (set.len() as u64) < count {
                    set.insert(min_id + ctx.rng.below(space));
                }
                set.into_iter().collect()
            }
            IdOrder::Sequential => (min_id..min_id + count).collect(),
            IdOrder::TimeOrdered => {
                let mut out = Vec::new();
                let mut id = min_id;
                for i in 0..count {
                    if i > 0 {
                        id += 1 + ctx.rng.below(2 * gap - 1);
                    }
                    out.push(id);
                }
                out
            }
        })
    }

    fn next_request_id(&mut self) -> u64 {
        self.next_request += 1;
        self.next_request
    }

    /// Gives every node a queue, idle from `now` for a node that has just joined.
    pub(super) fn ensure_servers(&mut self, now: SimTime) {
        for i in 0..self.shards() {
            self.node_server(i, now);
        }
    }

    /// The queue of shard `shard`'s node.
    fn node_server(&mut self, shard: u32, now: SimTime) -> &mut FifoServer {
        // Node ids are handed out in order, so a new one is the next index.
        let node = self.server(shard) as usize;
        while self.servers.len() <= node {
            self.servers
                .push(FifoServer::bounded(now, self.queue_limit));
        }
        &mut self.servers[node]
    }

    /// Offers one request (a read, or a write) to shard `shard`'s node now: when it completes, or
    /// `Err(waiting)` when the node's queue is full.
    fn offer(&mut self, shard: u32, write: bool, now: SimTime) -> Result<SimTime, u32> {
        let us = if write { self.write_us } else { self.read_us };
        match self.node_server(shard, now).offer(now, us) {
            Ok((_, finish)) => Ok(finish),
            Err(full) => {
                self.dropped += 1;
                Err(full.waiting)
            }
        }
    }

    /// A request that finishes at `finish` is accepted: its completion is an event then.
    fn complete_at(&mut self, finish: SimTime, write: bool, ctx: &mut Ctx<'_, Self>) -> Queued {
        let latency_us = finish.since(ctx.now);
        let service_us = if write { self.write_us } else { self.read_us };
        self.in_flight += 1;
        ctx.schedule(finish, RangeEvent::Done { latency_us });
        Queued {
            wait_us: latency_us.saturating_sub(service_us),
            latency_us,
        }
    }

    /// A request a full queue refused: shown failed, and narrated.
    fn refuse(&mut self, key: u64, shard: u32, write: bool, ctx: &mut Ctx<'_, Self>) {
        let rid = self.next_request_id();
        let mut r = ShardRequest::served(rid, key, shard, ctx.now);
        r.outcome = RequestOutcome::Failed;
        self.recent.push(r);
        ctx.record(RangeRecord::Dropped {
            key,
            shard: self.name(shard),
            write,
        });
    }

    fn show(&mut self, request: ShardRequest) {
        // Every range request names its key (the model routes only by key).
        if let Some(key) = request.key {
            if self.recent_load.len() == super::RECENT_LOAD {
                self.recent_load.pop_front();
            }
            self.recent_load.push_back(key);
        }
        self.recent.push(request);
    }

    /// The keys in `lo..=hi`, as an index range into the sorted keys.
    fn keys_between(&self, lo: i64, hi: i64) -> std::ops::Range<usize> {
        if hi < 0 {
            return 0..0;
        }
        let (lo, hi) = (lo.max(0) as u64, hi as u64);
        self.keys.partition_point(|k| *k < lo)..self.keys.partition_point(|k| *k <= hi)
    }

    /// The next id the ids rule issues that is not a key yet (None when random ids have
    /// filled the space).
    fn next_id(&mut self, ctx: &mut Ctx<'_, Self>) -> Option<u64> {
        let exists = |keys: &[u64], id: u64| keys.binary_search(&id).is_ok();
        match self.ids {
            IdOrder::Uniform => {
                let space = self.max_id - self.min_id + 1;
                let inside = self
                    .keys_between(self.min_id as i64, self.max_id as i64)
                    .len() as u64;
                if inside >= space {
                    return None;
                }
                // Draw; on a collision walk up (wrapping) to the next free id.
                let mut id = self.min_id + ctx.rng.below(space);
                while exists(&self.keys, id) {
                    id = if id == self.max_id {
                        self.min_id
                    } else {
                        id + 1
                    };
                }
                Some(id)
            }
            IdOrder::Sequential | IdOrder::TimeOrdered => {
                let step = match self.ids {
                    IdOrder::TimeOrdered => 1 + ctx.rng.below(2 * self.time_gap - 1),
                    _ => 1,
                };
                let mut id = self.last_issued.map_or(self.min_id, |l| l + step);
                while exists(&self.keys, id) {
                    id += 1;
                }
                self.last_issued = Some(id);
                Some(id)
            }
        }
    }

    /// Writes `id`: stores it on its shard (an update if it exists), or has the router refuse
    /// it. A request (`queued`) waits for the shard's node and fails if its queue is full; a bulk
    /// load does not queue. `record` says whether to narrate it on its own.
    fn write(
        &mut self,
        id: i64,
        asked: bool,
        record: bool,
        queued: bool,
        ctx: &mut Ctx<'_, Self>,
    ) -> Written {
        let (shard, clamped) = match self.route(id) {
            Route::Refused => {
                self.refused += 1;
                if record {
                    ctx.record(RangeRecord::Refused {
                        key: id,
                        write: true,
                        space: span(self.min_id, self.max_id),
                    });
                }
                return Written::Refused;
            }
            Route::To { shard, clamped } => (shard, clamped),
        };
        let key = id.max(0) as u64;
        let timing = if queued {
            match self.offer(shard, true, ctx.now) {
                Ok(finish) => Some(self.complete_at(finish, true, ctx)),
                Err(_) => {
                    self.refuse(key, shard, true, ctx);
                    return Written::Dropped;
                }
            }
        } else {
            None
        };
        let existed = match self.keys.binary_search(&key) {
            Ok(_) => true,
            Err(pos) => {
                Rc::make_mut(&mut self.keys).insert(pos, key);
                self.keys_per_shard[shard as usize] += 1;
                false
            }
        };
        if clamped {
            self.clamped += 1;
        }
        self.writes_per_shard[shard as usize] += 1;
        self.writes_total += 1;
        let rid = self.next_request_id();
        let shown = timing.map_or(self.write_us, |t| t.latency_us);
        self.show(served(rid, key, shard, ctx.now, shown));
        if record || clamped {
            ctx.record(RangeRecord::Wrote {
                key,
                shard: self.name(shard),
                clamped,
                asked,
                existed,
                timing,
            });
        }
        Written::On(shard)
    }

    /// One write of the insert stream.
    pub(super) fn stream_insert(&mut self, ctx: &mut Ctx<'_, Self>) {
        if let Some(id) = self.next_id(ctx) {
            self.write(id as i64, false, true, true, ctx);
        }
    }

    /// `insert:id`.
    pub(super) fn insert(&mut self, id: i64, ctx: &mut Ctx<'_, Self>) -> Result<(), InputError> {
        if id < 0 && self.route(id) != Route::Refused {
            return Err(InputError(format!(
                "ids are whole numbers from 0; {id} cannot be stored (lookup:{id} shows where the router would send it)"
            )));
        }
        self.write(id, true, true, true, ctx);
        Ok(())
    }

    /// `add-keys:n`: `n` new ids from the ids rule, narrated as one batch.
    pub(super) fn add_keys(&mut self, n: u64, ctx: &mut Ctx<'_, Self>) -> Result<(), InputError> {
        let space = self.max_id - self.min_id + 1;
        let inside = self
            .keys_between(self.min_id as i64, self.max_id as i64)
            .len() as u64;
        if self.ids == IdOrder::Uniform && inside >= space {
            return Err(InputError(format!(
                "every id of the space {} is taken; random ids have nowhere to go",
                span(self.min_id, self.max_id)
            )));
        }
        let last = self.shards() - 1;
        let (mut first, mut high, mut on_last, mut count, mut refused) = (None, 0, 0, 0, 0);
        for _ in 0..n {
            let Some(id) = self.next_id(ctx) else {
                break;
            };
            match self.write(id as i64, false, false, false, ctx) {
                Written::On(shard) => {
                    first = Some(first.map_or(id, |f: u64| f.min(id)));
                    high = high.max(id);
                    count += 1;
                    on_last += u64::from(shard == last);
                }
                Written::Refused => refused += 1,
                Written::Dropped => unreachable!("a bulk load does not queue"),
            }
        }
        ctx.record(RangeRecord::Added {
            count,
            first: first.unwrap_or(0).min(high),
            last: high,
            on_last,
            last_name: self.name(last),
            refused,
            space: span(self.min_id, self.max_id),
        });
        Ok(())
    }

    /// A read of an existing key, chosen by popularity.
    pub(super) fn read(&mut self, ctx: &mut Ctx<'_, Self>) {
        let Some(idx) = self.popularity.pick(ctx.rng, self.keys.len() as u64) else {
            return;
        };
        let key = self.keys[idx as usize];
        let shard = self.shard_of(key);
        let finish = match self.offer(shard, false, ctx.now) {
            Ok(f) => f,
            Err(_) => return self.refuse(key, shard, false, ctx),
        };
        let timing = self.complete_at(finish, false, ctx);
        self.reads_per_shard[shard as usize] += 1;
        self.requests_total += 1;
        let rid = self.next_request_id();
        self.show(served(rid, key, shard, ctx.now, timing.latency_us));
        ctx.record(RangeRecord::Read { key, shard, timing });
    }

    /// `lookup:id`: one read of any id, stored or not.
    pub(super) fn lookup(&mut self, id: i64, ctx: &mut Ctx<'_, Self>) {
        let Route::To { shard, clamped } = self.route(id) else {
            self.refused += 1;
            ctx.record(RangeRecord::Refused {
                key: id,
                write: false,
                space: span(self.min_id, self.max_id),
            });
            return;
        };
        let key = id.max(0) as u64;
        let finish = match self.offer(shard, false, ctx.now) {
            Ok(f) => f,
            Err(_) => return self.refuse(key, shard, false, ctx),
        };
        let timing = self.complete_at(finish, false, ctx);
        if clamped {
            self.clamped += 1;
        }
        let found = id >= 0 && self.keys.binary_search(&(id as u64)).is_ok();
        self.reads_per_shard[shard as usize] += 1;
        self.requests_total += 1;
        let rid = self.next_request_id();
        self.show(served(rid, key, shard, ctx.now, timing.latency_us));
        ctx.record(RangeRecord::LookedUp {
            key: id,
            shard: self.name(shard),
            range: self.caption(shard),
            found,
            clamped,
            timing,
        });
    }

    /// The shards a scan of `lo..=hi` asks, in order.
    pub fn scan_targets(&self, lo: i64, hi: i64) -> Vec<u32> {
        let clamp = self.policy == super::OutOfRange::Clamp;
        let in_space = hi >= self.min_id as i64 && lo <= self.max_id as i64;
        match &self.layout {
            Layout::Hash { n } if clamp || in_space => (0..*n).collect(),
            Layout::Hash { .. } => Vec::new(),
            Layout::Range(_) if hi < 0 => {
                if clamp {
                    vec![0]
                } else {
                    Vec::new()
                }
            }
            Layout::Range(t) => t.touched(lo.max(0) as u64, hi as u64, clamp).collect(),
        }
    }

    /// `scan:lo-hi`: ask every shard whose range crosses the span (every shard, under hash), at
    /// once; the scan completes when its slowest part does, and fails if any shard's queue is
    /// full.
    pub(super) fn scan(&mut self, lo: i64, hi: i64, ctx: &mut Ctx<'_, Self>) {
        let shards = self.scan_targets(lo, hi);
        let found = self.keys_between(lo, hi);
        let query = self.next_request + 1;
        let mut done = ctx.now;
        let mut full = Vec::new();
        for &s in &shards {
            // The first key this shard returns, for the view's highlight (the span's start if none).
            let key = self.keys[found.clone()]
                .iter()
                .copied()
                .find(|k| self.shard_of(*k) == s)
                .unwrap_or(lo.max(0) as u64);
            let rid = self.next_request_id();
            let mut r = served(rid, key, s, ctx.now, self.read_us);
            r.query = query;
            match self.offer(s, false, ctx.now) {
                Ok(finish) => {
                    done = done.max(finish);
                    r.latency_us = Some(finish.since(ctx.now));
                    self.reads_per_shard[s as usize] += 1;
                    self.requests_total += 1;
                }
                Err(_) => {
                    r.outcome = RequestOutcome::Failed;
                    r.latency_us = None;
                    full.push(s);
                }
            }
            self.show(r);
        }
        let timing = (!shards.is_empty() && full.is_empty()).then(|| {
            // Nobody takes back a part already queued: a failed scan's parts still cost their
            // shards the work, but only a complete scan has a latency.
            self.complete_at(done, false, ctx)
        });
        let keys = found.len() as u64;
        self.last_scan = Some((shards.len() as u32, keys));
        ctx.record(RangeRecord::Scanned {
            lo,
            hi,
            of: self.shards(),
            shards,
            keys,
            hash: matches!(self.layout, Layout::Hash { .. }),
            timing,
            full,
        });
    }
}
