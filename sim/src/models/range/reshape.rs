//! Changes of the shards: split, move, merge, new split points, add, remove, resize. Each records
//! which keys changed *server* (not merely number: splitting shard 1 renumbers the shards above
//! it, but their keys stay put).

use super::command::MoveTo;
use super::record::{RangeRecord, Reshape, SplitHow};
use super::spec::SplitBy;
use super::table::{self, MAX_SHARDS};
use super::{Layout, RangeEvent, RangeShards};
use crate::model::{Ctx, InputError};
use crate::models::shard_view::{ShardChange, ShardMove};

/// A name for the upper half of a split of `name`: `Sector 2` → `Sector 2 b`, then `Sector 2 c`
/// when that is taken (by a name in `taken`).
fn split_name(name: &str, taken: &[Option<String>]) -> String {
    let base = match name.rsplit_once(' ') {
        Some((b, s)) if s.len() == 1 && s.chars().all(|c| c.is_ascii_lowercase()) => b,
        _ => name,
    };
    ('b'..='z')
        .map(|c| format!("{base} {c}"))
        .find(|n| !taken.iter().flatten().any(|t| t == n))
        .unwrap_or_else(|| format!("{base} (split)"))
}

impl RangeShards {
    /// The keys of shard `i` as an index range into the sorted keys.
    fn key_span(&self, i: u32) -> std::ops::Range<usize> {
        let Layout::Range(t) = &self.layout else {
            return 0..0;
        };
        let (lo, hi) = t.range(i);
        let a = if i == 0 {
            0
        } else {
            self.keys.partition_point(|k| *k < lo)
        };
        let b = if i + 1 == t.shards() {
            self.keys.len()
        } else {
            self.keys.partition_point(|k| *k <= hi)
        };
        a..b
    }

    /// The shard with the most keys (the lowest on ties).
    fn fullest(&self) -> u32 {
        let max = self.keys_per_shard.iter().copied().max().unwrap_or(0);
        self.keys_per_shard
            .iter()
            .position(|c| *c == max)
            .unwrap_or(0) as u32
    }

    /// Applies `change` and records what it moved. A refused change alters nothing.
    fn reshape(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        change: impl FnOnce(&mut Self) -> Result<Reshape, String>,
    ) -> Result<(), InputError> {
        let from = self.shards();
        let before: Vec<(u32, u32)> = self
            .keys
            .iter()
            .map(|k| {
                let s = self.shard_of(*k);
                (s, self.server(s))
            })
            .collect();
        let saved = (
            self.layout.clone(),
            self.names.clone(),
            self.keys_per_shard.clone(),
        );
        let what = match change(self) {
            Ok(what) => what,
            Err(e) => {
                (self.layout, self.names, self.keys_per_shard) = saved;
                return Err(InputError(e));
            }
        };
        let to = self.shards();
        let moves: Vec<ShardMove> = self
            .keys
            .iter()
            .zip(before)
            .filter_map(|(&id, (was, server))| {
                let now = self.shard_of(id);
                (self.server(now) != server).then_some(ShardMove {
                    id,
                    from: was,
                    to: now,
                })
            })
            .collect();
        self.names.resize(to as usize, None);
        self.recount();
        self.ensure_servers(ctx.now);
        self.reads_per_shard = vec![0; to as usize];
        self.writes_per_shard = vec![0; to as usize];
        let total = self.keys.len() as u64;
        ctx.record(RangeRecord::Reshaped {
            what,
            from,
            to,
            moved: moves.len() as u64,
            total,
        });
        self.last_change = Some(ShardChange {
            at: ctx.now,
            from_shards: from,
            to_shards: to,
            moves: moves.into(),
            total,
        });
        Ok(())
    }

    /// Hash partitioning: set the shard count to `to`.
    fn rehash(&mut self, to: u32, action: String) -> Result<Reshape, String> {
        if !(1..=MAX_SHARDS).contains(&to) {
            return Err(format!(
                "a run has between 1 and {MAX_SHARDS} shards, not {to}"
            ));
        }
        self.layout = Layout::Hash { n: to };
        self.names.resize(to as usize, None);
        Ok(Reshape::Rehashed { action })
    }

    fn check_shard(&self, i: u32) -> Result<(), String> {
        if i >= self.shards() {
            return Err(format!(
                "there is no shard {i}; shards are numbered 0 to {}",
                self.shards() - 1
            ));
        }
        Ok(())
    }

    /// The lower median of the recent requests' keys that fall in `lo..=hi`, if there are two.
    fn load_median(&self, lo: u64, hi: u64) -> Option<u64> {
        let mut recent: Vec<u64> = self
            .recent_load
            .iter()
            .copied()
            .filter(|k| (lo..=hi).contains(k))
            .collect();
        if recent.len() < 2 {
            return None;
        }
        recent.sort_unstable();
        Some(recent[recent.len() / 2 - 1])
    }

    /// Splits range `i` (no recording): after `at`, or where the split rule puts it. With
    /// `in_place` the new range stays on range `i`'s node.
    fn split_range(
        &mut self,
        i: u32,
        at: Option<u64>,
        in_place: bool,
    ) -> Result<(u64, SplitHow), String> {
        self.check_shard(i)?;
        let span = self.key_span(i);
        let Layout::Range(t) = &self.layout else {
            return Err("not a range table".into());
        };
        let (lo, hi) = t.range(i);
        let by_load = match (at, self.split_by) {
            (None, SplitBy::Load) if hi > lo => self.load_median(lo, hi),
            _ => None,
        };
        let (at, how) = match (at, by_load) {
            (Some(at), _) => (at, SplitHow::Given),
            (None, Some(m)) => (m.clamp(lo, hi - 1), SplitHow::Load),
            (None, None) if hi == lo => (lo, SplitHow::Midpoint),
            (None, None) if span.len() >= 2 => {
                let lower_last = self.keys[span.start + span.len() / 2 - 1];
                (lower_last.clamp(lo, hi - 1), SplitHow::Median)
            }
            (None, None) => (lo + (hi - lo) / 2, SplitHow::Midpoint),
        };
        let Layout::Range(t) = &mut self.layout else {
            return Err("not a range table".into());
        };
        t.split_onto(i, at, in_place)?;
        let name = self.names[i as usize]
            .as_deref()
            .map(|n| split_name(n, &self.names));
        self.names.insert(i as usize + 1, name);
        Ok((at, how))
    }

    /// `move:i[:node]`, and the rebalancer (`auto`): put range `i`'s keys on another node (the
    /// one holding the fewest keys when none is named; a new node when there is no other).
    pub(super) fn move_range(
        &mut self,
        i: u32,
        to: Option<MoveTo>,
        auto: bool,
        ctx: &mut Ctx<'_, Self>,
    ) -> Result<(), InputError> {
        let Layout::Range(t) = &self.layout else {
            return Err(InputError(
                "under hash partitioning there are no ranges to move; every shard is one residue of hash % N"
                    .into(),
            ));
        };
        self.check_shard(i).map_err(InputError)?;
        let from = t.uid(i);
        let target = match to {
            Some(MoveTo::Node(u)) => u,
            Some(MoveTo::New) => t.fresh_server(),
            None => self
                .keys_per_node()
                .into_iter()
                .filter(|(u, _)| *u != from)
                .min_by_key(|(u, keys)| (*keys, *u))
                .map_or(t.fresh_server(), |(u, _)| u),
        };
        if target == from {
            return Err(InputError(format!(
                "{} is already on node {from}",
                self.name(i)
            )));
        }
        let (lo, hi) = t.range(i);
        let name = self.name(i);
        self.reshape(ctx, |m| {
            let Layout::Range(t) = &mut m.layout else {
                return Err("not a range table".into());
            };
            t.relocate(i, target)?;
            Ok(Reshape::Moved {
                name,
                lo,
                hi,
                from_node: from,
                to_node: target,
                auto,
            })
        })
    }

    /// The rebalancer's turn for the range that starts at `lo`: if it still exists and still
    /// shares its node with another range, move it to the node holding the fewest keys.
    pub(super) fn rebalance(&mut self, lo: u64, ctx: &mut Ctx<'_, Self>) {
        let Layout::Range(t) = &self.layout else {
            return;
        };
        let Some(i) = (0..t.shards()).find(|&i| t.range(i).0 == lo) else {
            return;
        };
        let node = t.uid(i);
        let shared = (0..t.shards()).filter(|&j| t.uid(j) == node).count() > 1;
        if shared {
            // A refusal (no other node can take it) leaves the table as it was.
            let _ = self.move_range(i, None, true, ctx);
        }
    }

    /// Merges range `i` with `i + 1` in place (no recording).
    fn merge_ranges(&mut self, i: u32, keep_upper: bool) -> Result<Reshape, String> {
        self.check_shard(i)?;
        let (kept, gone) = if keep_upper {
            (self.name(i + 1), self.name(i))
        } else {
            (self.name(i), self.name(i + 1))
        };
        let Layout::Range(t) = &mut self.layout else {
            return Err("not a range table".into());
        };
        t.merge(i, keep_upper)?;
        let (lo, hi) = t.range(i);
        self.names.remove(i as usize + usize::from(!keep_upper));
        Ok(Reshape::Merged { kept, gone, lo, hi })
    }

    /// `split:i[:at]`, and `add-shard` (`auto`).
    pub(super) fn split(
        &mut self,
        i: u32,
        at: Option<u64>,
        auto: bool,
        ctx: &mut Ctx<'_, Self>,
    ) -> Result<(), InputError> {
        let mut new_lo = None;
        self.reshape(ctx, |m| {
            m.check_shard(i)?;
            if let Layout::Hash { n } = m.layout {
                let action = if auto {
                    "add-shard".to_string()
                } else {
                    format!("split:{i}")
                };
                return m.rehash(n + 1, action);
            }
            let name = m.name(i);
            let in_place = m.splits_in_place();
            let (at, how) = m.split_range(i, at, in_place)?;
            new_lo = Some(at + 1);
            let new_name = m.name(i + 1);
            Ok(if in_place {
                Reshape::SplitInPlace {
                    name,
                    new_name,
                    at,
                    how,
                    auto,
                    node: m.server(i),
                }
            } else {
                Reshape::Split {
                    name,
                    new_name,
                    at,
                    how,
                    auto,
                }
            })
        })?;
        if let Some(lo) = new_lo.filter(|_| self.splits_in_place() && self.rebalance_ms > 0) {
            ctx.schedule(
                ctx.now.plus_us(self.rebalance_ms * 1_000),
                RangeEvent::Rebalance(lo),
            );
        }
        Ok(())
    }

    /// `merge:i`: shard `i` absorbs `i + 1`.
    pub(super) fn merge(&mut self, i: u32, ctx: &mut Ctx<'_, Self>) -> Result<(), InputError> {
        self.reshape(ctx, |m| {
            m.check_shard(i)?;
            if i + 1 >= m.shards() {
                return Err(format!(
                    "shard {i} is the last; merge joins a shard with its right neighbour"
                ));
            }
            match m.layout {
                Layout::Hash { n } => m.rehash(n - 1, format!("merge:{i}")),
                Layout::Range(_) => m.merge_ranges(i, false),
            }
        })
    }

    /// `remove-shard:i`: shard `i`'s range and keys go to its left neighbour (shard 0's to its
    /// right one).
    pub(super) fn remove_shard(
        &mut self,
        i: u32,
        ctx: &mut Ctx<'_, Self>,
    ) -> Result<(), InputError> {
        self.reshape(ctx, |m| {
            m.check_shard(i)?;
            if m.shards() == 1 {
                return Err("the last shard cannot be removed".into());
            }
            match m.layout {
                Layout::Hash { n } => m.rehash(n - 1, format!("remove-shard:{i}")),
                Layout::Range(_) if i == 0 => m.merge_ranges(0, true),
                Layout::Range(_) => m.merge_ranges(i - 1, false),
            }
        })
    }

    /// `add-shard`: split the fullest range at its median key.
    pub(super) fn add_shard(&mut self, ctx: &mut Ctx<'_, Self>) -> Result<(), InputError> {
        let i = self.fullest();
        self.split(i, None, true, ctx)
    }

    /// `set-boundaries:list`.
    pub(super) fn set_boundaries(
        &mut self,
        text: &str,
        ctx: &mut Ctx<'_, Self>,
    ) -> Result<(), InputError> {
        let bounds = table::parse_bounds(text, self.min_id, self.max_id)
            .map_err(|e| InputError(format!("set-boundaries: {e}")))?;
        let shown: Vec<String> = bounds.iter().map(|b| table::grouped(*b)).collect();
        let shown = if shown.is_empty() {
            "none (one shard)".to_string()
        } else {
            shown.join(", ")
        };
        self.reshape(ctx, |m| {
            if let Layout::Range(t) = &mut m.layout {
                t.set_bounds(bounds)?;
                return Ok(Reshape::Bounds { bounds: shown });
            }
            m.rehash(bounds.len() as u32 + 1, format!("set-boundaries:{text}"))
        })
    }

    /// `resize:n`: split the fullest range (at its median) or merge the neighbouring pair with
    /// the fewest keys, until there are `n` shards.
    pub(super) fn resize(&mut self, to: u32, ctx: &mut Ctx<'_, Self>) -> Result<(), InputError> {
        if !(1..=MAX_SHARDS).contains(&to) {
            return Err(InputError(format!(
                "a run has between 1 and {MAX_SHARDS} shards, not {to}"
            )));
        }
        self.reshape(ctx, |m| {
            if let Layout::Hash { .. } = m.layout {
                return m.rehash(to, format!("resize:{to}"));
            }
            while m.shards() != to {
                if m.shards() < to {
                    let i = m.fullest();
                    m.split_range(i, None, false)?;
                } else {
                    let i = (0..m.shards() - 1)
                        .min_by_key(|&i| {
                            m.keys_per_shard[i as usize] + m.keys_per_shard[i as usize + 1]
                        })
                        .unwrap_or(0);
                    m.merge_ranges(i, false)?;
                }
                m.names.resize(m.shards() as usize, None);
                m.recount();
            }
            Ok(Reshape::Resized)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::split_name;

    #[test]
    fn split_halves_get_the_next_free_letter() {
        let taken = [Some("Sector 2".to_string()), Some("Sector 2 b".to_string())];
        assert_eq!(split_name("Sector 1", &taken), "Sector 1 b");
        assert_eq!(split_name("Sector 2", &taken), "Sector 2 c");
        assert_eq!(split_name("Sector 2 b", &taken), "Sector 2 c");
    }
}
