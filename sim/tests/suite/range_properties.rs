//! The laws of range sharding, checked with proptest: after any sequence of splits, merges and
//! new split points the ranges tile the key space (every id in exactly one range, no gap, no
//! overlap); a scan asks exactly the ranges that intersect it; a split moves only keys of the
//! split range (its upper part), a merge only the right neighbour's keys; sequential inserts
//! all land on the last range; and random action sequences keep the model valid, with every
//! refused input leaving it exactly as it was.
// proptest needs OS randomness for its own seeds; these laws run natively only.
#![cfg(not(target_arch = "wasm32"))]

use crate::common;

use proptest::prelude::*;
use sim::engine::Simulation;
use sim::models::range::RangeTable;
use sim::models::sharding::{placement, Move};
use sim::registry;
use sim::scenario::{Input, Scenario};
use sim::time::SimTime;

/// One change of a table, with indices and points as fractions so most of them are valid.
#[derive(Clone, Debug)]
enum Op {
    Split { shard: u32, at: u64 },
    Merge { shard: u32, keep_upper: bool },
    SetBounds(Vec<u64>),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (any::<u32>(), any::<u64>()).prop_map(|(shard, at)| Op::Split { shard, at }),
        2 => (any::<u32>(), any::<bool>()).prop_map(|(shard, keep_upper)| Op::Merge { shard, keep_upper }),
        1 => prop::collection::vec(any::<u64>(), 0..8).prop_map(Op::SetBounds),
    ]
}

/// A space `[min, max]` (often tiny, so edges collide) and ascending split points inside it.
fn table() -> impl Strategy<Value = RangeTable> {
    (0u64..1_000, prop_oneof![1u64..8, 8u64..100_000])
        .prop_flat_map(|(min, width)| {
            let max = min + width;
            (
                Just(min),
                Just(max),
                prop::collection::btree_set(min..max, 0..(width.min(12) as usize)),
            )
        })
        .prop_map(|(min, max, bounds)| {
            RangeTable::new(min, max, bounds.into_iter().collect()).expect("valid bounds")
        })
}

/// Maps an op's raw numbers into the table (modulo its shard count and range) and applies it.
fn apply(t: &mut RangeTable, op: &Op) -> Result<(), String> {
    let n = t.shards();
    match op {
        Op::Split { shard, at } => {
            // One in eight picks a shard past the end, to check refusals too.
            let i = shard % (n + n.div_ceil(8));
            let (lo, hi) = if i < n { t.range(i) } else { (0, 0) };
            let at = lo + at % (hi - lo + 1);
            t.split(i, at)
        }
        Op::Merge { shard, keep_upper } => t.merge(shard % (n + 1), *keep_upper),
        Op::SetBounds(raw) => {
            let width = t.max_id() - t.min_id() + 1;
            let mut b: Vec<u64> = raw.iter().map(|r| t.min_id() + r % width).collect();
            b.sort_unstable();
            b.dedup();
            t.set_bounds(b)
        }
    }
}

/// The naive reference: the ranges, by position, from the public accessors.
fn ranges(t: &RangeTable) -> Vec<(u64, u64)> {
    (0..t.shards()).map(|i| t.range(i)).collect()
}

/// Ids worth probing: both ends, every edge and its neighbours, and a few spread ones.
fn probes(t: &RangeTable) -> Vec<u64> {
    let mut ids = vec![t.min_id(), t.max_id()];
    for &b in t.bounds() {
        ids.extend([b.saturating_sub(1), b, b + 1]);
    }
    let w = t.max_id() - t.min_id();
    ids.extend((0..=16).map(|k| t.min_id() + w * k / 16));
    ids.retain(|id| t.in_space(*id));
    ids
}

fn assert_tiles(t: &RangeTable) -> Result<(), TestCaseError> {
    prop_assert_eq!(t.validate(), Ok(()));
    let r = ranges(t);
    prop_assert_eq!(r[0].0, t.min_id(), "the first range starts the space");
    prop_assert_eq!(r[r.len() - 1].1, t.max_id(), "the last range ends it");
    for (i, w) in r.windows(2).enumerate() {
        prop_assert!(w[0].0 <= w[0].1, "range {} is not empty", i);
        prop_assert_eq!(w[1].0, w[0].1 + 1, "no gap or overlap after range {}", i);
    }
    for id in probes(t) {
        let holders: Vec<u32> = (0..t.shards())
            .filter(|&i| (r[i as usize].0..=r[i as usize].1).contains(&id))
            .collect();
        prop_assert_eq!(holders.len(), 1, "id {} lies in exactly one range", id);
        prop_assert_eq!(
            t.shard_of(id),
            holders[0],
            "lookup of {} agrees with a scan",
            id
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(common::config("range_properties"))]

    #[test]
    fn ranges_tile_the_space_after_any_changes(mut t in table(), ops in prop::collection::vec(op(), 0..24)) {
        assert_tiles(&t)?;
        for op in &ops {
            let before = t.clone();
            if apply(&mut t, op).is_err() {
                prop_assert_eq!(&t, &before, "a refused {:?} changes nothing", op);
            }
            assert_tiles(&t)?;
        }
    }

    #[test]
    fn a_split_gives_only_the_upper_part_of_one_range_a_new_server(
        mut t in table(), shard in any::<u32>(), at in any::<u64>()
    ) {
        let before = t.clone();
        let i = shard % t.shards();
        let (lo, hi) = t.range(i);
        prop_assume!(lo < hi);
        let at = lo + at % (hi - lo);
        t.split(i, at).unwrap();
        for id in probes(&before).into_iter().chain([at, at + 1]) {
            let old = before.uid(before.shard_of(id));
            let new = t.uid(t.shard_of(id));
            if (at + 1..=hi).contains(&id) {
                prop_assert_ne!(new, old, "id {} above the split point moves", id);
                prop_assert_eq!(t.shard_of(id), i + 1);
            } else {
                prop_assert_eq!(new, old, "id {} outside the split range stays", id);
            }
        }
    }

    #[test]
    fn a_merge_moves_only_the_retired_ranges_ids(mut t in table(), shard in any::<u32>(), keep_upper in any::<bool>()) {
        prop_assume!(t.shards() >= 2);
        let before = t.clone();
        let i = shard % (t.shards() - 1);
        let gone = if keep_upper { before.range(i) } else { before.range(i + 1) };
        t.merge(i, keep_upper).unwrap();
        prop_assert_eq!(t.range(i), (before.range(i).0, before.range(i + 1).1));
        for id in probes(&before) {
            let moved = t.uid(t.shard_of(id)) != before.uid(before.shard_of(id));
            prop_assert_eq!(moved, (gone.0..=gone.1).contains(&id), "id {}", id);
        }
    }

    #[test]
    fn a_scan_asks_exactly_the_ranges_it_intersects(
        t in table(), a in 0u64..110_000, b in 0u64..110_000, clamp in any::<bool>()
    ) {
        let (lo, hi) = (a.min(b), a.max(b));
        let r = ranges(&t);
        let n = r.len();
        let want: Vec<u32> = (0..n as u32)
            .filter(|&i| {
                let (mut rlo, mut rhi) = r[i as usize];
                if clamp && i == 0 {
                    rlo = 0;
                }
                if clamp && i as usize == n - 1 {
                    rhi = u64::MAX;
                }
                rlo <= hi && lo <= rhi
            })
            .collect();
        let got: Vec<u32> = t.touched(lo, hi, clamp).collect();
        prop_assert_eq!(got, want);
    }
}

/// A run of the range model with `keys` random ids in 1–100,000 over `bounds`, at 1 ms.
fn model(bounds: &str, keys: u32, ids: &str, seed: u64) -> Box<dyn Simulation> {
    let mut s = Scenario::new("range", seed, SimTime::from_secs(1));
    for (k, v) in [
        ("min_id", "1"),
        ("max_id", "100000"),
        ("boundaries", bounds),
        ("keys", &keys.to_string()),
        ("ids", ids),
        ("request_rate", "0"),
    ] {
        s.params.insert(k.into(), v.into());
    }
    let mut run = registry::start(&s).expect("valid scenario");
    run.seek(SimTime::from_ms(1));
    run
}

fn counts(run: &dyn Simulation, group: &str) -> Vec<u64> {
    run.metrics()
        .group(group)
        .expect("group")
        .values
        .iter()
        .map(|(_, v)| *v as u64)
        .collect()
}

fn bounds_text() -> impl Strategy<Value = String> {
    prop::collection::btree_set(1u64..100_000, 0..8).prop_map(|b| {
        b.into_iter()
            .map(|x| x.to_string())
            .collect::<Vec<_>>()
            .join(",")
    })
}

fn refused(run: &dyn Simulation) -> bool {
    run.last_trace_line().is_some_and(|l| l.rejected)
}

proptest! {
    #![proptest_config(common::config("range_properties"))]

    #[test]
    fn a_median_split_moves_the_upper_half_of_that_shard_only(
        bounds in bounds_text(), keys in 0u32..300, shard in any::<u32>(), seed in any::<u64>()
    ) {
        let mut run = model(&bounds, keys, "uniform", seed);
        let before = counts(run.as_ref(), "keys_per_shard");
        let s = shard % before.len() as u32;
        run.apply_now(Input::new("split", Some(&s.to_string())));
        prop_assume!(!refused(run.as_ref()));
        run.validate().map_err(TestCaseError::fail)?;
        let moves = placement(&*run).unwrap().last_moves().unwrap();
        let c = before[s as usize];
        if c >= 2 {
            prop_assert_eq!(moves.len() as u64, c - c / 2, "the upper half of {} keys", c);
        }
        for Move { key, from, to } in &moves {
            prop_assert_eq!(from, &s.to_string(), "key {} came from the split shard", key);
            prop_assert_eq!(to, &(s + 1).to_string(), "key {} went to the new shard", key);
        }
        let after = counts(run.as_ref(), "keys_per_shard");
        let mut expect = before.clone();
        expect[s as usize] -= moves.len() as u64;
        expect.insert(s as usize + 1, moves.len() as u64);
        prop_assert_eq!(after, expect, "the other shards keep their keys");
    }

    #[test]
    fn a_merge_moves_the_right_neighbours_keys_only(
        bounds in bounds_text(), keys in 0u32..300, shard in any::<u32>(), seed in any::<u64>()
    ) {
        let mut run = model(&bounds, keys, "uniform", seed);
        let before = counts(run.as_ref(), "keys_per_shard");
        prop_assume!(before.len() >= 2);
        let s = shard % (before.len() as u32 - 1);
        run.apply_now(Input::new("merge", Some(&s.to_string())));
        prop_assert!(!refused(run.as_ref()));
        run.validate().map_err(TestCaseError::fail)?;
        let moves = placement(&*run).unwrap().last_moves().unwrap();
        prop_assert_eq!(moves.len() as u64, before[s as usize + 1]);
        for Move { key, from, to } in &moves {
            prop_assert_eq!(from, &(s + 1).to_string(), "key {}", key);
            prop_assert_eq!(to, &s.to_string(), "key {}", key);
        }
    }

    #[test]
    fn sequential_inserts_all_land_on_the_last_shard(
        keys in 1u32..3_000, raw in prop::collection::btree_set(any::<u64>(), 0..8),
        add in 1u32..200, time in any::<bool>()
    ) {
        // Split points among the existing ids (as a range store that has split as it grew):
        // every new id is above them all.
        let mut cut: Vec<u64> = raw.iter().map(|r| 1 + r % u64::from(keys)).collect();
        cut.sort_unstable();
        cut.dedup();
        let bounds: Vec<String> = cut.iter().map(u64::to_string).collect();
        let bounds = bounds.join(",");
        let ids = if time { "time" } else { "sequential" };
        let mut s = Scenario::new("range", 1, SimTime::from_secs(1));
        for (k, v) in [
            ("min_id", "1"),
            ("max_id", "100000000"),
            ("boundaries", bounds.as_str()),
            ("keys", &keys.to_string()),
            ("ids", ids),
            ("time_gap", "10"),
            ("request_rate", "0"),
        ] {
            s.params.insert(k.into(), v.into());
        }
        let mut run = registry::start(&s).expect("valid");
        run.apply_now(Input::new("add-keys", Some(&add.to_string())));
        run.validate().map_err(TestCaseError::fail)?;
        let writes = counts(run.as_ref(), "writes_per_shard");
        let (last, rest) = writes.split_last().unwrap();
        prop_assert_eq!(*last, u64::from(add));
        prop_assert!(rest.iter().all(|w| *w == 0), "{:?}", writes);
    }

    #[test]
    fn any_action_sequence_keeps_the_model_valid(
        bounds in bounds_text(),
        keys in 0u32..200,
        hash in any::<bool>(),
        clamp in any::<bool>(),
        script in prop::collection::vec((0u8..10, any::<u32>(), any::<u32>()), 1..16),
        seed in any::<u64>(),
    ) {
        let mut s = Scenario::new("range", seed, SimTime::from_secs(1));
        for (k, v) in [
            ("min_id", "1"),
            ("max_id", "100000"),
            ("boundaries", bounds.as_str()),
            ("keys", &keys.to_string()),
            ("partition", if hash { "hash" } else { "range" }),
            ("out_of_range", if clamp { "clamp" } else { "reject" }),
            ("request_rate", "20"),
            ("insert_rate", "5"),
        ] {
            s.params.insert(k.into(), v.into());
        }
        let mut run = registry::start(&s).expect("valid");
        let mut t = 0u64;
        for (kind, a, b) in script {
            t += 50;
            run.seek(SimTime::from_ms(t));
            let n = placement(&*run).unwrap().nodes().len() as u32;
            let (action, arg) = match kind {
                0 => ("split", Some(format!("{}", a % (n + 1)))),
                1 => ("split", Some(format!("{}:{}", a % n, b % 120_000))),
                2 => ("merge", Some(format!("{}", a % n))),
                3 => ("add-shard", None),
                4 => ("remove-shard", (a % 2 == 0).then(|| format!("{}", b % n))),
                5 => ("resize", Some(format!("{}", 1 + a % 8))),
                6 => ("set-boundaries", Some(format!("{},{}", a % 100_000, b % 100_000))),
                7 => ("add-keys", Some(format!("{}", 1 + a % 50))),
                8 => ("scan", Some(format!("{}-{}", a % 120_000, a % 120_000 + b % 50_000))),
                _ => ("insert", Some(format!("{}", a % 150_000))),
            };
            let before = (run.metrics(), run.trace_len());
            run.apply_now(Input::new(action, arg.as_deref()));
            if refused(run.as_ref()) {
                prop_assert_eq!(&run.metrics(), &before.0, "a refused {} {:?} changes nothing", action, arg);
                prop_assert_eq!(run.trace_len(), before.1 + 1, "only the refusal is recorded");
            }
            run.validate().map_err(|e| TestCaseError::fail(format!("after {action} {arg:?}: {e}")))?;
            let m = run.metrics();
            let kps: f64 = m.group("keys_per_shard").unwrap().values.iter().map(|(_, v)| v).sum();
            prop_assert_eq!(Some(kps), m.get("keys").and_then(|v| v.as_f64()));
            if let Some(moves) = placement(&*run).unwrap().last_moves() {
                for Move { key, to, .. } in moves {
                    prop_assert_eq!(placement(&*run).unwrap().owners(&key).map(|o| o[0].clone()), Some(to));
                }
            }
        }
    }
}
