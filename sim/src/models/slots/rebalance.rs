//! `redis-cli --cluster rebalance`: how an operator evens out a slot table after a node joins or
//! before one leaves, as the redis-cli source (`clusterManagerCommandRebalance`) computes it.
//!
//! Every node taking part gets `expected = (int)(16384 / total_weight · weight)` slots (single
//! precision, truncated) and a balance `slots − expected` (positive: it must give). Nodes without
//! slots take part only with `--cluster-use-empty-masters`, the flag a join needs; a node of
//! weight 0 gives all its slots away, which is how a node is emptied before `del-node`. Nothing
//! happens unless some node is more than `threshold` per cent off its expected count (2 % by
//! default; an empty node expecting more than one slot always is). Rounding leaves the balances
//! summing to more than zero; redis-cli walks the nodes in order taking one slot of balance from
//! each node at or below zero until they sum to zero. Then it sorts the nodes by balance and
//! pairs the neediest receiver with the biggest giver, moving `min` of their two balances, each
//! giver's lowest-numbered slots first, until the two ends meet. redis-cli sorts with `qsort`,
//! which leaves the order of equal balances open; here ties keep the nodes' order.

use super::hash::SLOTS;

/// The default `--cluster-threshold`, in per cent.
pub const THRESHOLD_PERCENT: f32 = 2.0;

/// Rebalances `owner` (slot → node index, `SLOTS` entries) over nodes `0..weights.len()` with
/// those weights, in place; returns the slots moved, in the order they moved, as
/// `(slot, from, to)`. `use_empty`: nodes holding no slots take part
/// (`--cluster-use-empty-masters`).
pub fn rebalance(
    owner: &mut [u8],
    weights: &[u32],
    use_empty: bool,
    threshold_percent: f32,
) -> Vec<(u16, u8, u8)> {
    let mut count = vec![0u32; weights.len()];
    for &o in owner.iter() {
        if let Some(c) = count.get_mut(o as usize) {
            *c += 1;
        }
    }
    let involved: Vec<usize> = (0..weights.len())
        .filter(|&i| use_empty || count[i] > 0)
        .collect();
    let total_weight: f32 = involved.iter().map(|&i| weights[i] as f32).sum();
    if total_weight <= 0.0 {
        return Vec::new();
    }
    let mut balance = vec![0i64; weights.len()];
    let (mut total, mut reached) = (0i64, false);
    for &i in &involved {
        let expected = (SLOTS as f32 / total_weight * weights[i] as f32) as i64;
        balance[i] = i64::from(count[i]) - expected;
        total += balance[i];
        let over = if count[i] > 0 {
            let err = (100.0 - 100.0 * expected as f64 / f64::from(count[i])).abs();
            err > f64::from(threshold_percent)
        } else {
            expected > 1
        };
        reached |= threshold_percent <= 0.0 || over;
    }
    if !reached {
        return Vec::new();
    }
    while total > 0 {
        for &i in &involved {
            if balance[i] <= 0 && total > 0 {
                balance[i] -= 1;
                total -= 1;
            }
        }
    }
    // By balance, ties in the nodes' order: each key packs the balance (offset to be positive)
    // above the node index, so a plain sort of numbers gives that order.
    let mut keys: Vec<u64> = involved
        .iter()
        .map(|&i| ((balance[i] + (1 << 32)) as u64) << 16 | i as u64)
        .collect();
    keys.sort_unstable();
    let sorted: Vec<usize> = keys.iter().map(|k| (k & 0xffff) as usize).collect();
    let mut moves = Vec::new();
    let (mut dst, mut src) = (0usize, sorted.len().saturating_sub(1));
    while dst < src {
        let (d, s) = (sorted[dst], sorted[src]);
        let n = balance[d].abs().min(balance[s].abs());
        let mut taken = 0;
        for (slot, o) in owner.iter_mut().enumerate() {
            if taken >= n {
                break;
            }
            if *o as usize == s {
                *o = d as u8;
                moves.push((slot as u16, s as u8, d as u8));
                taken += 1;
            }
        }
        balance[d] += n;
        balance[s] -= n;
        if balance[d] == 0 {
            dst += 1;
        }
        if balance[s] == 0 {
            src = src.saturating_sub(1);
        }
    }
    moves
}

#[cfg(test)]
mod tests {
    use super::super::hash::create_split;
    use super::*;

    fn table(masters: u32) -> Vec<u8> {
        let mut owner = vec![0u8; SLOTS as usize];
        for (m, (a, b)) in create_split(masters).into_iter().enumerate() {
            owner[a as usize..=b as usize].fill(m as u8);
        }
        owner
    }

    fn counts(owner: &[u8], nodes: usize) -> Vec<u32> {
        let mut c = vec![0; nodes];
        owner.iter().for_each(|&o| c[o as usize] += 1);
        c
    }

    #[test]
    fn a_fifth_master_joins_four() {
        // By hand: 16384 / 5 = 3276.8, truncated 3276. The four old masters hold 4096 each,
        // balance +820; the new one −3276. The balances sum to 4, so the newcomer (the only node
        // at or below zero) is lowered four times to −3280. It then takes 820 slots from each
        // old master, each giving its lowest-numbered: 0–819, 4096–4915, 8192–9011, 12288–13107.
        let mut owner = table(4);
        let moves = rebalance(&mut owner, &[1, 1, 1, 1, 1], true, THRESHOLD_PERCENT);
        assert_eq!(moves.len(), 3280);
        assert_eq!(counts(&owner, 5), [3276, 3276, 3276, 3276, 3280]);
        for (slot, o) in owner.iter().enumerate() {
            assert_eq!(*o == 4, slot % 4096 < 820, "slot {slot}");
        }
        // Without --cluster-use-empty-masters the empty node is left out and nothing is off.
        let mut owner = table(4);
        assert!(rebalance(&mut owner, &[1; 5], false, THRESHOLD_PERCENT).is_empty());
    }

    #[test]
    fn weight_zero_empties_a_master() {
        // Master 1 of 3 at weight 0: the other two expect 8192 each. create_split(3) gives
        // 0–5460, 5461–10922, 10923–16383 (5461, 5462, 5461 slots): balances −2731, +5462,
        // −2731, summing to 0. Master 1 gives its 2731 lowest slots (5461–8191) to master 0,
        // then the rest (8192–10922) to master 2.
        let mut owner = table(3);
        let moves = rebalance(&mut owner, &[1, 0, 1], true, THRESHOLD_PERCENT);
        assert_eq!(moves.len(), 5462);
        assert_eq!(counts(&owner, 3), [8192, 0, 8192]);
        assert!(owner[5461..=8191].iter().all(|&o| o == 0));
        assert!(owner[8192..=10922].iter().all(|&o| o == 2));
    }

    #[test]
    fn within_the_threshold_nothing_moves() {
        // 4 equal masters hold exactly their 4096: nobody is off.
        let mut owner = table(4);
        assert!(rebalance(&mut owner, &[1; 4], true, THRESHOLD_PERCENT).is_empty());
        // Weights 1, 1, 1, 2: expected 3276, 3276, 3276, 6553 (3276.8 · 2 truncated); master 3
        // is 37.5 % under, so slots move, and the balances (+820 × 3, −2457) sum to 3, taken
        // from master 3: it ends with 4096 + 2460 = 6556.
        let moves = rebalance(&mut owner, &[1, 1, 1, 2], true, THRESHOLD_PERCENT);
        assert_eq!(moves.len(), 2460);
        assert_eq!(counts(&owner, 4), [3276, 3276, 3276, 6556]);
    }
}
