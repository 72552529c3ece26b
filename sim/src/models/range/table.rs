//! The range table: an integer key space `[min_id, max_id]` cut into contiguous ranges, one per
//! shard, by ascending *split points*.
//!
//! A split point `b` is the last id of the range below it: split points `100000, 200000` over
//! `1..=300000` give the three Dharavi sectors `1–100,000`, `100,001–200,000` and
//! `200,001–300,000`. Shard `i` covers `(b[i-1], b[i]]`, the first shard starting at `min_id` and
//! the last ending at `max_id`, so the ranges tile the space with no gap and no overlap exactly
//! when the split points are strictly ascending and lie in `min_id..max_id`. Finding a key's
//! shard is a binary search over the split points (the `partition_point` of `b < id`), as in
//! Bigtable's METADATA table, HBase's `hbase:meta` or CockroachDB's range descriptors.
//!
//! Each range also carries a *server id* (`uid`) that survives renumbering: shards are numbered
//! by position (0 is the lowest range), so splitting shard 1 renumbers shards 2, 3… one up, but
//! their keys stay on the same server. A key *moves* only when its server id changes.
//!
//! Several ranges may share a server: a metadata-only split leaves both halves on the parent's
//! server until a move relocates one ([`RangeTable::split_onto`], [`RangeTable::relocate`]).
//!
//! Invariants checked by [`RangeTable::validate`]: the split points are strictly ascending and
//! inside the space; every range has a server id that has been handed out.

use crate::hashing::HashFn;

/// Most shards a table may have.
pub const MAX_SHARDS: u32 = 64;

/// Ranges over an integer key space.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RangeTable {
    min_id: u64,
    max_id: u64,
    /// Split points: the last id of every range but the last.
    bounds: Vec<u64>,
    /// The server id of each range, by position.
    uids: Vec<u32>,
    next_uid: u32,
}

/// `n` with thousands separators (`100,000`).
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Parses a list of split points (`100000,200000`; commas, spaces or semicolons between them,
/// `_` allowed inside a number) and checks it against the space `[min_id, max_id]`. The error
/// says what is wrong in words a learner can act on.
pub fn parse_bounds(text: &str, min_id: u64, max_id: u64) -> Result<Vec<u64>, String> {
    let mut out = Vec::new();
    for piece in text
        .split(|c: char| c == ',' || c == ';' || c.is_ascii_whitespace())
        .filter(|p| !p.is_empty())
    {
        let clean: String = piece.chars().filter(|c| *c != '_').collect();
        let b: u64 = clean
            .parse()
            .map_err(|_| format!("split points are whole numbers ≥ 0; {piece:?} is not one"))?;
        out.push(b);
    }
    check_bounds(&out, min_id, max_id)?;
    Ok(out)
}

/// Checks split points against the space: at most [`MAX_SHARDS`] − 1 of them, strictly
/// ascending, each in `min_id..max_id` (a split point at `max_id` would leave the last range
/// empty).
pub fn check_bounds(bounds: &[u64], min_id: u64, max_id: u64) -> Result<(), String> {
    if bounds.len() as u64 >= u64::from(MAX_SHARDS) {
        return Err(format!(
            "at most {} split points ({MAX_SHARDS} shards), not {}",
            MAX_SHARDS - 1,
            bounds.len()
        ));
    }
    for w in bounds.windows(2) {
        if w[1] <= w[0] {
            return Err(format!(
                "split points must go up: {} does not come after {}",
                grouped(w[1]),
                grouped(w[0])
            ));
        }
    }
    if let Some(b) = bounds.iter().find(|b| **b < min_id || **b >= max_id) {
        return Err(format!(
            "every split point is the last id of a range, so it lies in {}–{}; {} is outside",
            grouped(min_id),
            grouped(max_id.saturating_sub(1)),
            grouped(*b)
        ));
    }
    Ok(())
}

/// The shard of `id` among `n` under hash partitioning: MurmurHash3 (x86_32, seed 0) of the id's
/// decimal digits, modulo `n`.
pub fn hash_shard(id: i64, n: u32) -> u32 {
    HashFn::Murmur3_32.hash(id.to_string().as_bytes()) % n.max(1)
}

impl RangeTable {
    /// A table over `[min_id, max_id]` cut at `bounds`.
    pub fn new(min_id: u64, max_id: u64, bounds: Vec<u64>) -> Result<Self, String> {
        if max_id <= min_id {
            return Err(format!(
                "the key space needs max_id above min_id ({} ≥ {})",
                grouped(min_id),
                grouped(max_id)
            ));
        }
        check_bounds(&bounds, min_id, max_id)?;
        let n = bounds.len() as u32 + 1;
        Ok(RangeTable {
            min_id,
            max_id,
            bounds,
            uids: (0..n).collect(),
            next_uid: n,
        })
    }

    /// The smallest id of the space.
    pub fn min_id(&self) -> u64 {
        self.min_id
    }
    /// The largest id of the space.
    pub fn max_id(&self) -> u64 {
        self.max_id
    }
    /// The split points.
    pub fn bounds(&self) -> &[u64] {
        &self.bounds
    }
    /// How many ranges (shards).
    pub fn shards(&self) -> u32 {
        self.bounds.len() as u32 + 1
    }
    /// The server id of shard `i`.
    pub fn uid(&self, i: u32) -> u32 {
        self.uids[i as usize]
    }
    /// Whether `id` lies in the space.
    pub fn in_space(&self, id: u64) -> bool {
        (self.min_id..=self.max_id).contains(&id)
    }

    /// The ids shard `i` covers, `(lo, hi)` inclusive.
    pub fn range(&self, i: u32) -> (u64, u64) {
        let i = i as usize;
        let lo = if i == 0 {
            self.min_id
        } else {
            self.bounds[i - 1] + 1
        };
        let hi = self.bounds.get(i).copied().unwrap_or(self.max_id);
        (lo, hi)
    }

    /// How many ids shard `i` covers.
    pub fn width(&self, i: u32) -> u64 {
        let (lo, hi) = self.range(i);
        hi - lo + 1
    }

    /// The shard whose range holds `id`; an id outside the space goes to the nearest end shard
    /// (what an unchecked `if id <= b1 … elif id <= b2 … else` lookup does).
    pub fn shard_of(&self, id: u64) -> u32 {
        self.bounds.partition_point(|b| *b < id) as u32
    }

    /// The shards a scan of `lo..=hi` must ask: those whose ranges intersect it. With `clamp`
    /// the end ranges reach past the space (ids below `min_id` are on shard 0, above `max_id` on
    /// the last); without, the part of the scan outside the space asks no one.
    pub fn touched(&self, lo: u64, hi: u64, clamp: bool) -> std::ops::RangeInclusive<u32> {
        let (lo, hi) = if clamp {
            (lo, hi)
        } else {
            (lo.max(self.min_id), hi.min(self.max_id))
        };
        if lo > hi {
            #[allow(clippy::reversed_empty_ranges)]
            return 1..=0;
        }
        self.shard_of(lo)..=self.shard_of(hi)
    }

    /// Splits shard `i` after id `at`: shard `i` keeps `lo..=at`, a new shard `i + 1` on a new
    /// server takes `at + 1..=hi`, and the shards above are renumbered one up.
    pub fn split(&mut self, i: u32, at: u64) -> Result<(), String> {
        self.split_onto(i, at, false)
    }

    /// Splits shard `i` after id `at`; with `in_place` the new range `i + 1` stays on shard `i`'s
    /// server (a metadata-only split: no key changes server), otherwise it gets a new server.
    pub fn split_onto(&mut self, i: u32, at: u64, in_place: bool) -> Result<(), String> {
        self.check_index(i)?;
        if self.shards() >= MAX_SHARDS {
            return Err(format!("a table has at most {MAX_SHARDS} shards"));
        }
        let (lo, hi) = self.range(i);
        if lo == hi {
            return Err(format!(
                "shard {i} covers the single id {}; it cannot be split",
                grouped(lo)
            ));
        }
        if !(lo..hi).contains(&at) {
            return Err(format!(
                "shard {i} covers {}–{}; a split point inside it lies in {}–{}, not {}",
                grouped(lo),
                grouped(hi),
                grouped(lo),
                grouped(hi - 1),
                grouped(at)
            ));
        }
        let pos = i as usize;
        self.bounds.insert(pos, at);
        if in_place {
            self.uids.insert(pos + 1, self.uids[pos]);
        } else {
            self.uids.insert(pos + 1, self.next_uid);
            self.next_uid += 1;
        }
        Ok(())
    }

    /// The servers that hold at least one range, ascending.
    pub fn servers(&self) -> Vec<u32> {
        crate::order::set_of(self.uids.iter().copied())
            .into_iter()
            .collect()
    }

    /// A server id no range has had yet.
    pub fn fresh_server(&self) -> u32 {
        self.next_uid
    }

    /// Puts range `i` on server `uid` (an existing one, or [`Self::fresh_server`]).
    pub fn relocate(&mut self, i: u32, uid: u32) -> Result<(), String> {
        self.check_index(i)?;
        if uid > self.next_uid {
            return Err(format!(
                "there is no node {uid}; nodes are numbered up to {}",
                self.next_uid.saturating_sub(1)
            ));
        }
        if uid == self.next_uid {
            self.next_uid += 1;
        }
        self.uids[i as usize] = uid;
        Ok(())
    }

    /// Merges shard `i` with its right neighbour `i + 1` into one range at position `i`. The
    /// merged range stays on shard `i`'s server, or on the neighbour's with `keep_upper`.
    pub fn merge(&mut self, i: u32, keep_upper: bool) -> Result<(), String> {
        self.check_index(i)?;
        if i + 1 >= self.shards() {
            return Err(if self.shards() == 1 {
                "there is only one shard; nothing to merge it with".to_string()
            } else {
                format!("shard {i} is the last; merge joins a shard with its right neighbour")
            });
        }
        let pos = i as usize;
        self.bounds.remove(pos);
        let gone = if keep_upper { pos } else { pos + 1 };
        self.uids.remove(gone);
        Ok(())
    }

    /// Replaces the split points. Servers stay by position: shard `i` keeps its server and only
    /// its edges move; extra shards get new servers; surplus ones are retired.
    pub fn set_bounds(&mut self, bounds: Vec<u64>) -> Result<(), String> {
        check_bounds(&bounds, self.min_id, self.max_id)?;
        let n = bounds.len() + 1;
        self.bounds = bounds;
        self.uids.truncate(n);
        while self.uids.len() < n {
            self.uids.push(self.next_uid);
            self.next_uid += 1;
        }
        Ok(())
    }

    fn check_index(&self, i: u32) -> Result<(), String> {
        if i >= self.shards() {
            return Err(format!(
                "there is no shard {i}; shards are numbered 0 to {}",
                self.shards() - 1
            ));
        }
        Ok(())
    }

    /// Checks the table's invariants; the message names the broken one.
    pub fn validate(&self) -> Result<(), String> {
        check_bounds(&self.bounds, self.min_id, self.max_id)
            .map_err(|e| format!("the ranges no longer tile the space: {e}"))?;
        if self.uids.len() != self.bounds.len() + 1 {
            return Err(format!(
                "{} server ids for {} ranges",
                self.uids.len(),
                self.bounds.len() + 1
            ));
        }
        if let Some(u) = self.uids.iter().find(|u| **u >= self.next_uid) {
            return Err(format!(
                "range on server {u}, but only servers below {} exist",
                self.next_uid
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dharavi() -> RangeTable {
        RangeTable::new(1, 300_000, vec![100_000, 200_000]).unwrap()
    }

    #[test]
    fn split_points_are_the_last_id_of_their_range() {
        let t = dharavi();
        assert_eq!(t.range(0), (1, 100_000));
        assert_eq!(t.range(1), (100_001, 200_000));
        assert_eq!(t.range(2), (200_001, 300_000));
        assert_eq!(
            [100_000, 100_001, 200_000, 200_001].map(|id| t.shard_of(id)),
            [0, 1, 1, 2]
        );
        // The notes' lookup has no bounds: past either end, the end sectors answer.
        assert_eq!((t.shard_of(0), t.shard_of(500_000)), (0, 2));
    }

    #[test]
    fn bad_split_points_are_explained() {
        let e = parse_bounds("200000,100000", 1, 300_000).unwrap_err();
        assert!(e.contains("must go up"), "{e}");
        let e = parse_bounds("100000,300000", 1, 300_000).unwrap_err();
        assert!(e.contains("1–299,999") && e.contains("300,000"), "{e}");
        let e = parse_bounds("1e5", 1, 300_000).unwrap_err();
        assert!(e.contains("\"1e5\""), "{e}");
        let many: Vec<String> = (1..=64).map(|i| i.to_string()).collect();
        let e = parse_bounds(&many.join(","), 0, 1_000).unwrap_err();
        assert!(e.contains("at most 63"), "{e}");
        assert_eq!(
            parse_bounds(" 100_000; 200000 ", 1, 300_000).unwrap(),
            [100_000, 200_000]
        );
        assert_eq!(parse_bounds("", 1, 300_000).unwrap(), Vec::<u64>::new());
    }

    #[test]
    fn split_renumbers_above_but_keeps_servers() {
        let mut t = dharavi();
        t.split(1, 150_000).unwrap();
        assert_eq!(t.range(1), (100_001, 150_000));
        assert_eq!(t.range(2), (150_001, 200_000));
        assert_eq!((t.uid(1), t.uid(2), t.uid(3)), (1, 3, 2));
        assert!(
            t.split(0, 100_000).is_err(),
            "the split point must lie below hi"
        );
        t.merge(1, false).unwrap();
        assert_eq!(t, {
            let mut d = dharavi();
            d.next_uid = 4;
            d
        });
    }

    #[test]
    fn a_scan_asks_only_the_ranges_it_crosses() {
        let t = dharavi();
        assert_eq!(t.touched(150_000, 250_000, false), 1..=2);
        assert_eq!(t.touched(5, 10, false), 0..=0);
        assert!(t.touched(400_000, 500_000, false).is_empty());
        assert_eq!(t.touched(400_000, 500_000, true), 2..=2);
    }

    #[test]
    fn grouped_inserts_separators() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1_000), "1,000");
        assert_eq!(grouped(100_000_001), "100,000,001");
    }
}
