//! The sharded table and how a query is planned against it.
//!
//! Rows are users `0..rows`, placed by their shard key: user `id` lives on shard `id % N`, the
//! notes' `user_id % 4`. Every row also has an attribute (a city, a tag — anything that is not
//! the shard key); the values are dealt out at random so that each value matches exactly
//! `matches` rows (the last value may match fewer), and those rows land on shards that have
//! nothing to do with the value. That is the whole problem: the shard key says where user 13
//! lives, but nothing says where the users with attribute value 7 live.
//!
//! Plans:
//! - **by shard key** — one request, to shard `id % N`;
//! - **by attribute, local indexes** — each shard indexes only its own rows, so the router asks
//!   all `N` shards and merges their answers (scatter-gather);
//! - **by attribute, global index** — the index itself is partitioned by the attribute value
//!   (partition `fnv1a(value) % N`, kept on the shard servers), so the router asks that one
//!   partition for the matching ids, then fetches the rows from the distinct shards holding them
//!   (at most `min(matches, N)`);
//! - **a write** — goes to the row's shard; with a global index it must also update the value's
//!   index partition (synchronously here, see the model's docs).

use crate::rng::SimRng;
use crate::trace::fnv1a64;
use std::rc::Rc;

/// The rows and their attribute values. Immutable after it is built, so clones share it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    rows: u64,
    matches: u64,
    /// Attribute value of each row, by row id.
    value_of: Rc<[u32]>,
    /// Rows of each attribute value, by value, each list in id order.
    rows_of: Rc<[Rc<[u64]>]>,
}

impl Table {
    /// `rows` users whose attribute values each match `matches` rows, dealt out by `rng`.
    pub fn build(rows: u64, matches: u64, rng: &mut SimRng) -> Self {
        let rows = rows.max(1);
        let matches = matches.clamp(1, rows);
        // A seeded Fisher–Yates shuffle of the row ids; consecutive runs of `matches` ids in the
        // shuffled order share a value.
        let mut order: Vec<u64> = (0..rows).collect();
        for i in (1..rows).rev() {
            let j = rng.below(i + 1);
            order.swap(i as usize, j as usize);
        }
        let values = rows.div_ceil(matches);
        let mut value_of = vec![0u32; rows as usize];
        let mut rows_of: Vec<Vec<u64>> = vec![Vec::new(); values as usize];
        for (pos, id) in order.iter().enumerate() {
            let v = pos as u64 / matches;
            value_of[*id as usize] = v as u32;
            rows_of[v as usize].push(*id);
        }
        let rows_of: Vec<Rc<[u64]>> = rows_of
            .into_iter()
            .map(|mut r| {
                r.sort_unstable();
                r.into()
            })
            .collect();
        Table {
            rows,
            matches,
            value_of: value_of.into(),
            rows_of: rows_of.into(),
        }
    }

    /// Rows in the table.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Rows each attribute value matches (the last value may match fewer).
    pub fn matches(&self) -> u64 {
        self.matches
    }

    /// Distinct attribute values.
    pub fn values(&self) -> u64 {
        self.rows_of.len() as u64
    }

    /// The rows whose attribute is `value`, in id order (empty for an unknown value).
    pub fn rows_with(&self, value: u64) -> &[u64] {
        self.rows_of
            .get(value as usize)
            .map(|r| &r[..])
            .unwrap_or(&[])
    }

    /// The attribute value of row `id`, if the row exists.
    pub fn value_of(&self, id: u64) -> Option<u64> {
        self.value_of.get(id as usize).map(|v| u64::from(*v))
    }

    /// Rows on each of `shards` shards.
    pub fn rows_per_shard(&self, shards: u32) -> Vec<u64> {
        let n = u64::from(shards.max(1));
        (0..n)
            .map(|s| {
                // Ids s, s + n, s + 2n, … below `rows`.
                if s < self.rows {
                    (self.rows - s).div_ceil(n)
                } else {
                    0
                }
            })
            .collect()
    }
}

/// The shard holding row `id` among `shards` shards: `id % N`.
pub fn shard_of(id: u64, shards: u32) -> u32 {
    (id % u64::from(shards.max(1))) as u32
}

/// The index partition holding attribute value `value` among `shards`: `fnv1a(value) % N`, a
/// hash so that neighbouring values spread out.
pub fn index_partition(value: u64, shards: u32) -> u32 {
    (fnv1a64(&value.to_le_bytes()) % u64::from(shards.max(1))) as u32
}

/// The distinct shards holding the rows whose attribute is `value`, in shard order: where a
/// global-index lookup sends its fetches.
pub fn fetch_shards(table: &Table, value: u64, shards: u32) -> Vec<u32> {
    crate::order::set_of(
        table
            .rows_with(value)
            .iter()
            .map(|id| shard_of(*id, shards)),
    )
    .into_iter()
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_matches_its_share_of_rows() {
        let mut rng = SimRng::new(5);
        let t = Table::build(103, 10, &mut rng);
        assert_eq!(t.values(), 11);
        let sizes: Vec<usize> = (0..11).map(|v| t.rows_with(v).len()).collect();
        assert_eq!(sizes, [10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 3]);
        for v in 0..11 {
            for id in t.rows_with(v) {
                assert_eq!(t.value_of(*id), Some(v));
            }
        }
        assert_eq!(t.rows_per_shard(4), [26, 26, 26, 25]);
        assert_eq!(t.rows_per_shard(4).iter().sum::<u64>(), 103);
    }

    #[test]
    fn fetches_go_to_distinct_shards() {
        let mut rng = SimRng::new(9);
        let t = Table::build(200, 6, &mut rng);
        for v in 0..t.values() {
            let f = fetch_shards(&t, v, 4);
            assert!(!f.is_empty() && f.len() <= 4);
            assert!(f.windows(2).all(|w| w[0] < w[1]));
        }
    }
}
