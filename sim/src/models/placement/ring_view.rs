//! The strategies that live on a ring (the ring, ketama's continuum, bounded loads) drawn as a
//! ring: the ring diagram's frame, built from the strategy's own points and key positions.
//!
//! Shards are named by their index (`0`, `1`, …), as the metric bars name them, so both share
//! one colour per shard. A key's owner is the model's (for bounded loads, where the key was
//! placed, which may be past its plain ring owner); a moved key's serving point is its new
//! owner's first point clockwise from it — for bounded loads too, since a key skips only points
//! of servers that were full, and every point of a server is full or not together.

use super::{key_name, PlacementModel, Placer, FRAME_KEYS};
use crate::hashing::arcs::owned_arcs;
use crate::hashing::ring::{Position, RING_SIZE};
use crate::models::hash_ring::{Change, KeyView, Move, RingFrame, ServerView};
use crate::models::shard_view::ShardChange;
use crate::time::SimTime;

/// Each shard's points, sorted, from the strategy's `(position, shard)` list.
fn points_per_shard(points: &[(Position, u32)], n: u32) -> Vec<Vec<Position>> {
    let mut per = vec![Vec::new(); n as usize];
    for &(p, s) in points {
        if let Some(v) = per.get_mut(s as usize) {
            v.push(p);
        }
    }
    per
}

/// The first of `points` (sorted) at or after `at`, wrapping; `at` itself without points.
fn first_clockwise(points: &[Position], at: Position) -> Position {
    let i = points.partition_point(|p| *p < at);
    points.get(i).or(points.first()).copied().unwrap_or(at)
}

impl PlacementModel {
    /// The last change as the ring draws it (every moved key with where it sits and the point
    /// that serves it now), for a strategy on a ring; computed once per change.
    pub(super) fn ring_change(&self, c: &ShardChange) -> Option<Change> {
        let points = self.placer.ring_points()?;
        let per = points_per_shard(&points, self.servers.len() as u32);
        let moves: Vec<Move> = c
            .moves
            .iter()
            .map(|m| {
                let position = self.placer.key_position(&key_name(m.id)).unwrap_or(0);
                let point = per
                    .get(m.to as usize)
                    .map_or(position, |ps| first_clockwise(ps, position));
                Move {
                    key: format!("user {}", m.id),
                    position,
                    from: m.from.to_string(),
                    to: m.to.to_string(),
                    point,
                }
            })
            .collect();
        let what = if c.from_shards == c.to_shards {
            "weights changed".to_string()
        } else {
            format!("{} → {} shards", c.from_shards, c.to_shards)
        };
        Some(Change {
            at: c.at,
            what,
            moves: moves.into(),
            total: c.total,
            modulo_moved: self.last_modulo_moved.unwrap_or(0),
        })
    }

    /// The ring diagram's frame at `now`, for a strategy on a ring (`None` for the others).
    pub(super) fn ring_frame(&self, now: SimTime) -> Option<RingFrame> {
        let points = self.placer.ring_points()?;
        let n = self.servers.len() as u32;
        let per = points_per_shard(&points, n);
        let indexed: Vec<(Position, usize)> =
            points.iter().map(|&(p, s)| (p, s as usize)).collect();
        let arcs = owned_arcs(&indexed);
        let mut by_owner: Vec<Vec<_>> = vec![Vec::new(); n as usize];
        for a in arcs {
            if let Some(v) = by_owner.get_mut(a.owner) {
                v.push(a);
            }
        }
        let anchors = self.placer.ring_anchors();
        let servers = (0..n)
            .map(|i| {
                let arcs = std::mem::take(&mut by_owner[i as usize]);
                let owned: u64 = arcs.iter().map(|a| a.len).sum();
                let points = per[i as usize].clone();
                ServerView {
                    name: i.to_string(),
                    color: i,
                    anchor: anchors.get(&i).or(points.first()).copied().unwrap_or(0),
                    points,
                    arcs,
                    arc_percent: owned as f64 * 100.0 / RING_SIZE as f64,
                    pinned: false,
                    keys: self.keys_per_shard.get(i as usize).copied().unwrap_or(0),
                    requests: self
                        .requests_per_shard
                        .get(i as usize)
                        .copied()
                        .unwrap_or(0),
                }
            })
            .collect();
        let keys = self
            .ids
            .iter()
            .zip(self.owner.iter())
            .take(FRAME_KEYS)
            .map(|(&id, &shard)| KeyView {
                name: format!("user {id}"),
                position: self.placer.key_position(&key_name(id)).unwrap_or(0),
                owners: vec![shard.to_string()],
                named: false,
            })
            .collect();
        let vnodes = (points.len() as u32)
            .checked_div(self.servers.iter().map(|s| s.weight).sum::<u32>())
            .unwrap_or(0);
        Some(RingFrame {
            now,
            servers,
            removed: Vec::new(),
            keys,
            keys_total: self.ids.len() as u64,
            last_change: self.ring_change.as_ref().map(|c| (**c).clone()),
            requests: Vec::new(),
            hash: if matches!(self.placer, Placer::Ketama { .. }) {
                "MD5 (ketama)"
            } else {
                self.settings.hash.id()
            },
            vnodes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_served_by_its_owners_first_point_clockwise() {
        let ps = [10, 200, 3_000];
        assert_eq!(first_clockwise(&ps, 5), 10);
        assert_eq!(
            first_clockwise(&ps, 200),
            200,
            "a point serves its own position"
        );
        assert_eq!(first_clockwise(&ps, 201), 3_000);
        assert_eq!(first_clockwise(&ps, 4_000), 10, "wraps past the top");
        assert_eq!(first_clockwise(&[], 7), 7);
    }
}
