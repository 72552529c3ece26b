//! The laws of the hash-slot model, checked with proptest:
//!
//! - every slot is below 16,384; a key with a non-empty hash tag has its tag's slot;
//! - random timelines of added nodes, reshards, single-slot moves, crashes and restarts keep the
//!   model's invariants (`validate`) after every step: one master per slot, keys on their slot's
//!   owner (or, in the migrating slot, on its source or target);
//! - a reshard moves exactly the keys of the slots it migrates, each to its target, and nothing
//!   else;
//! - with no reshard and no failure, no request is redirected or fails;
//! - the same seed and inputs give the same trace digest.
// proptest needs OS randomness for its own seeds; these laws run natively only.
#![cfg(not(target_arch = "wasm32"))]

use proptest::prelude::*;
use sim::engine::{Run, Simulation};
use sim::models::slots::hash::{key_slot, SLOTS};
use sim::models::slots::HashSlots;
use sim::scenario::Scenario;
use sim::time::SimTime;
use std::collections::BTreeSet;

use crate::common;

fn scenario(params: &[(&str, String)], inputs: &[String], seed: u64, until_ms: u64) -> Scenario {
    common::scenario(
        "hash-slots",
        seed,
        SimTime::from_ms(until_ms),
        params,
        inputs,
    )
}

fn action() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => Just("add-node".to_string()),
        3 => (1u32..3000).prop_map(|n| format!("reshard:{n}")),
        2 => (0u32..SLOTS).prop_map(|s| format!("move-slot:{s}")),
        1 => (0u32..50).prop_map(|u| format!("move-slot:user:{u}")),
        3 => (0u8..5).prop_map(|n| format!("fail-node:{}", char::from(b'A' + n))),
        2 => (0u8..5).prop_map(|n| format!("restart-node:{}", char::from(b'A' + n))),
        1 => (0u8..3).prop_map(|n| format!("restart-node:{}1", char::from(b'A' + n))),
    ]
}

fn timeline() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec((0u64..1500, action()), 0..10).prop_map(|steps| {
        let mut t = 0;
        steps
            .into_iter()
            .map(|(gap, a)| {
                t += gap;
                format!("{t}:{a}")
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn slots_are_in_range_and_tags_decide(key in ".{0,24}", tag in "[a-z0-9:]{1,12}", pre in "[a-z]{0,6}", post in "[a-z.{}]{0,8}") {
        prop_assert!(u32::from(key_slot(&key)) < SLOTS);
        let tagged = format!("{pre}{{{tag}}}{post}");
        prop_assert_eq!(key_slot(&tagged), key_slot(&tag));
    }

    #[test]
    fn random_timelines_keep_the_invariants(
        masters in 1u32..=5,
        replicas in 0u32..=1,
        users in 1u32..300,
        tags in prop_oneof![Just("tagged"), Just("plain")],
        mget in prop_oneof![Just(0u32), Just(30)],
        refresh in prop_oneof![Just("slot"), Just("table")],
        coverage in any::<bool>(),
        batch in 1u32..20,
        step_ms in 1u32..30,
        inputs in timeline(),
        seed in any::<u64>(),
    ) {
        let params = [
            ("masters", masters.to_string()),
            ("replicas", replicas.to_string()),
            ("users", users.to_string()),
            ("tags", tags.to_string()),
            ("mget_percent", mget.to_string()),
            ("refresh", refresh.to_string()),
            ("full_coverage", coverage.to_string()),
            ("migrate_batch", batch.to_string()),
            ("step_ms", step_ms.to_string()),
            ("node_timeout_ms", "500".to_string()),
        ];
        let sc = scenario(&params, &inputs, seed, 12_000);
        let mut run = Run::<HashSlots>::new(&sc).unwrap();
        let mut t = 0;
        while t < 12_000 {
            t += 97;
            run.seek(SimTime::from_ms(t));
            prop_assert_eq!(run.validate(), Ok(()), "at {} ms", t);
            let m = run.model();
            let table = m.table();
            prop_assert_eq!(table.len(), SLOTS as usize);
        }
        // Same seed, same inputs: same digest.
        let mut again = Run::<HashSlots>::new(&sc).unwrap();
        again.seek(SimTime::from_ms(12_000));
        prop_assert_eq!(again.digest(), run.digest());
    }

    #[test]
    fn a_reshard_moves_exactly_the_keys_of_its_slots(
        masters in 1u32..=4,
        users in 1u32..400,
        slots in 1u32..6000,
        add in any::<bool>(),
        batch in 1u32..12,
        seed in any::<u64>(),
    ) {
        let params = [
            ("masters", masters.to_string()),
            ("users", users.to_string()),
            ("migrate_batch", batch.to_string()),
            ("step_ms", "1".to_string()),
            ("request_rate", "50".to_string()),
        ];
        let mut inputs = Vec::new();
        if add {
            inputs.push("100:add-node".to_string());
        }
        inputs.push(format!("100:reshard:{slots}"));
        let sc = scenario(&params, &inputs, seed, 100);
        let mut run = Run::<HashSlots>::new(&sc).unwrap();
        run.seek(SimTime::from_ms(100));
        let before_table = run.model().table().to_vec();
        let before_keys = run.model().key_locations();
        let refused = run.trace_lines().iter().any(|l| l.rejected);
        // Long enough for any reshard here: at most 6,000 slots plus batches, at 1 ms a step.
        let end = 100 + 6_000 + 2 * 800 + 100;
        let sc = Scenario { until: SimTime::from_ms(end), ..sc };
        let mut run = Run::<HashSlots>::new(&sc).unwrap();
        run.seek(SimTime::from_ms(end));
        prop_assert_eq!(run.validate(), Ok(()));
        prop_assert!(!run.model().resharding());
        let after_table = run.model().table();
        let changed: BTreeSet<u16> = (0..SLOTS as u16)
            .filter(|&s| before_table[s as usize] != after_table[s as usize])
            .collect();
        if refused {
            prop_assert!(changed.is_empty());
        } else {
            // redis-cli rounds each source's share (the largest up, the others down), so it
            // may move a few fewer slots than asked, never more.
            let n = changed.len() as u32;
            prop_assert!(n <= slots && n + masters >= slots, "{} of {} slots moved", n, slots);
            let target = after_table[*changed.iter().next().unwrap() as usize];
            prop_assert!(changed.iter().all(|&s| after_table[s as usize] == target));
        }
        let after_keys = run.model().key_locations();
        let mut moved = 0u64;
        for (b, a) in before_keys.iter().zip(&after_keys) {
            prop_assert_eq!(&b.0, &a.0);
            if changed.contains(&b.1) {
                prop_assert_eq!(a.2, after_table[a.1 as usize], "{} follows its slot", a.0);
                moved += u64::from(a.2 != b.2);
            } else {
                prop_assert_eq!(a.2, b.2, "{} is not in a migrated slot but moved", a.0);
            }
        }
        let m = run.metrics();
        prop_assert_eq!(m.get("keys_migrated").and_then(|v| v.as_f64()), Some(moved as f64));
    }

    #[test]
    fn a_quiet_cluster_never_redirects(
        masters in 1u32..=8,
        users in 1u32..500,
        clients in 1u32..8,
        seed in any::<u64>(),
    ) {
        let params = [
            ("masters", masters.to_string()),
            ("users", users.to_string()),
            ("clients", clients.to_string()),
        ];
        let sc = scenario(&params, &[], seed, 3_000);
        let mut run = Run::<HashSlots>::new(&sc).unwrap();
        run.seek(SimTime::from_ms(3_000));
        let m = run.metrics();
        for id in ["moved", "ask", "failed", "extra_round_trips"] {
            prop_assert_eq!(m.get(id).and_then(|v| v.as_f64()), Some(0.0), "{}", id);
        }
    }
}
