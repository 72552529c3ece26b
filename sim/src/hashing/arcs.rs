//! Who owns which stretch of a ring, as arcs: what [`HashRing::arcs`](super::HashRing::arcs)
//! sums, laid out for drawing.
//!
//! A point owns the arc from the previous point (exclusive) to itself (inclusive); the first
//! point's arc wraps past the top. When several points share a position, the first in the
//! ring's tie-break order owns the arc and the rest own nothing (see [`super::ring`]).
//! Neighbouring arcs of one owner are merged, including across the top, so a server with 100
//! virtual nodes draws as few stretches as its points allow.
//!
//! Invariant: the lengths sum to 2^32 (the whole ring) when there is a point.

use super::ring::{Position, RING_SIZE};
use serde::{Deserialize, Serialize};

/// A stretch of the ring held by one owner: the positions `(start, start + len]`, wrapping.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnedArc {
    /// The owner, as an index the caller chose (a server's place in name order).
    pub owner: usize,
    /// Where the arc starts (exclusive): the previous owner's last point.
    pub start: Position,
    /// How many positions it covers, from 1 to 2^32 (the whole ring).
    pub len: u64,
}

/// The arcs of every owner, in ring order, given every point as `(position, owner)` **sorted by
/// the ring's tie-break order** (position, then owner).
pub fn owned_arcs(points: &[(Position, usize)]) -> Vec<OwnedArc> {
    let Some(&(last_pos, _)) = points.last() else {
        return Vec::new();
    };
    let mut arcs: Vec<OwnedArc> = Vec::new();
    let mut prev = last_pos;
    for (i, &(pos, owner)) in points.iter().enumerate() {
        let len = if i == 0 {
            u64::from(pos) + RING_SIZE - u64::from(prev)
        } else {
            u64::from(pos) - u64::from(prev)
        };
        let start = std::mem::replace(&mut prev, pos);
        if len == 0 {
            continue;
        }
        match arcs.last_mut() {
            Some(a) if a.owner == owner => a.len += len,
            _ => arcs.push(OwnedArc { owner, start, len }),
        }
    }
    if arcs.len() > 1 && arcs[0].owner == arcs[arcs.len() - 1].owner {
        let tail = arcs.pop().expect("more than one arc");
        arcs[0].start = tail.start;
        arcs[0].len += tail.len;
    }
    arcs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hashing::ring::degrees_to_position as at;
    use crate::hashing::{HashFn, HashRing};

    fn total(arcs: &[OwnedArc]) -> u64 {
        arcs.iter().map(|a| a.len).sum()
    }

    #[test]
    fn one_point_owns_the_whole_ring() {
        assert_eq!(
            owned_arcs(&[(12345, 7)]),
            vec![OwnedArc {
                owner: 7,
                start: 12345,
                len: RING_SIZE
            }]
        );
    }

    #[test]
    fn the_notes_ring_gives_125_75_160_degrees() {
        let pts = [(at(45.0), 0), (at(120.0), 1), (at(280.0), 2)];
        let arcs = owned_arcs(&pts);
        assert_eq!(total(&arcs), RING_SIZE);
        let spans: Vec<(usize, i64)> = arcs
            .iter()
            .map(|a| {
                (
                    a.owner,
                    (a.len as f64 * 360.0 / RING_SIZE as f64).round() as i64,
                )
            })
            .collect();
        assert_eq!(spans, vec![(0, 125), (1, 75), (2, 160)]);
        // A's arc starts at C (280°) and crosses the top.
        assert_eq!(arcs[0].start, at(280.0));
    }

    #[test]
    fn neighbouring_points_of_one_owner_merge_even_across_the_top() {
        let q = (RING_SIZE / 4) as u32;
        // Owner 0 at 0° and 90°, owner 1 at 180°, owner 0 again at 270°.
        let pts = [(0, 0), (q, 0), (2 * q, 1), (3 * q, 0)];
        assert_eq!(
            owned_arcs(&pts),
            vec![
                OwnedArc {
                    owner: 0,
                    start: 2 * q,
                    len: 3 * RING_SIZE / 4
                },
                OwnedArc {
                    owner: 1,
                    start: q,
                    len: RING_SIZE / 4
                },
            ]
        );
    }

    #[test]
    fn a_shared_position_belongs_to_the_first_point() {
        let arcs = owned_arcs(&[(100, 0), (100, 1), (200, 2)]);
        assert_eq!(total(&arcs), RING_SIZE);
        assert!(
            arcs.iter().all(|a| a.owner != 1),
            "the second point at 100 owns nothing: {arcs:?}"
        );
    }

    #[test]
    fn all_points_at_one_position_give_one_full_arc() {
        assert_eq!(
            owned_arcs(&[(5, 0), (5, 1)]),
            vec![OwnedArc {
                owner: 0,
                start: 5,
                len: RING_SIZE
            }]
        );
    }

    #[test]
    fn no_points_no_arcs() {
        assert!(owned_arcs(&[]).is_empty());
    }

    #[test]
    fn a_rings_owned_arcs_add_up_to_its_arc_lengths() {
        let mut ring = HashRing::new(HashFn::Murmur3_32, 50).unwrap();
        for s in ["A", "B", "C", "D"] {
            ring.add_server(s, None).unwrap();
        }
        let mut sums = [0u64; 4];
        for a in ring.owned_arcs() {
            sums[a.owner] += a.len;
        }
        let want: Vec<u64> = ring.arcs().into_values().collect();
        assert_eq!(sums.to_vec(), want, "servers are indexed in name order");
    }
}
