//! Keys and traffic: the ids rule (the starting keys and every new id), reads of existing keys,
//! writes of new ones (the insert stream, `add-keys`, `insert`), single lookups and range scans.

use super::record::{span, RangeRecord};
use super::spec::{IdOrder, MAX_KEYS};
use super::{Layout, RangeShards, Route};
use crate::model::{Ctx, InputError};
use crate::models::shard_view::ShardRequest;
use crate::params::{ParamError, ParamSet};
use crate::time::SimTime;
use std::collections::BTreeSet;
use std::rc::Rc;

/// How long a shard takes to serve a read: the notes' train-line code sleeps 0.05 s per read.
pub const READ_LATENCY_US: u64 = 50_000;
/// How long a shard takes to store a write: the same code sleeps 0.1 s per create.
pub const WRITE_LATENCY_US: u64 = 100_000;

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
    /// it. `record` says whether to narrate it on its own.
    fn write(&mut self, id: i64, asked: bool, record: bool, ctx: &mut Ctx<'_, Self>) -> Written {
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
        self.show(served(rid, key, shard, ctx.now, WRITE_LATENCY_US));
        if record || clamped {
            ctx.record(RangeRecord::Wrote {
                key,
                shard: self.name(shard),
                clamped,
                asked,
                existed,
            });
        }
        Written::On(shard)
    }

    /// One write of the insert stream.
    pub(super) fn stream_insert(&mut self, ctx: &mut Ctx<'_, Self>) {
        if let Some(id) = self.next_id(ctx) {
            self.write(id as i64, false, true, ctx);
        }
    }

    /// `insert:id`.
    pub(super) fn insert(&mut self, id: i64, ctx: &mut Ctx<'_, Self>) -> Result<(), InputError> {
        if id < 0 && self.route(id) != Route::Refused {
            return Err(InputError(format!(
                "ids are whole numbers from 0; {id} cannot be stored (lookup:{id} shows where the router would send it)"
            )));
        }
        self.write(id, true, true, ctx);
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
            match self.write(id as i64, false, false, ctx) {
                Written::On(shard) => {
                    first = Some(first.map_or(id, |f: u64| f.min(id)));
                    high = high.max(id);
                    count += 1;
                    on_last += u64::from(shard == last);
                }
                Written::Refused => refused += 1,
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
        self.reads_per_shard[shard as usize] += 1;
        self.requests_total += 1;
        let rid = self.next_request_id();
        self.show(served(rid, key, shard, ctx.now, READ_LATENCY_US));
        ctx.record(RangeRecord::Read { key, shard });
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
        if clamped {
            self.clamped += 1;
        }
        let found = id >= 0 && self.keys.binary_search(&(id as u64)).is_ok();
        self.reads_per_shard[shard as usize] += 1;
        self.requests_total += 1;
        let rid = self.next_request_id();
        self.show(served(
            rid,
            id.max(0) as u64,
            shard,
            ctx.now,
            READ_LATENCY_US,
        ));
        ctx.record(RangeRecord::LookedUp {
            key: id,
            shard: self.name(shard),
            range: self.caption(shard),
            found,
            clamped,
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

    /// `scan:lo-hi`: ask every shard whose range crosses the span (every shard, under hash).
    pub(super) fn scan(&mut self, lo: i64, hi: i64, ctx: &mut Ctx<'_, Self>) {
        let shards = self.scan_targets(lo, hi);
        let found = self.keys_between(lo, hi);
        let query = self.next_request + 1;
        for &s in &shards {
            // The first key this shard returns, for the view's highlight (the span's start if none).
            let key = self.keys[found.clone()]
                .iter()
                .copied()
                .find(|k| self.shard_of(*k) == s)
                .unwrap_or(lo.max(0) as u64);
            let rid = self.next_request_id();
            let mut r = served(rid, key, s, ctx.now, READ_LATENCY_US);
            r.query = query;
            self.show(r);
            self.reads_per_shard[s as usize] += 1;
            self.requests_total += 1;
        }
        let keys = found.len() as u64;
        self.last_scan = Some((shards.len() as u32, keys));
        ctx.record(RangeRecord::Scanned {
            lo,
            hi,
            of: self.shards(),
            shards,
            keys,
            hash: matches!(self.layout, Layout::Hash { .. }),
        });
    }
}
