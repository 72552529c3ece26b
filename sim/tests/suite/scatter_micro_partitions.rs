//! Micro-partitions and the rebalancer in the cross-shard-queries model (Dean & Barroso, "The
//! Tail at Scale", CACM 2013). The expected values are hand calculations written beside each
//! assertion, or laws (conservation, equivalence with one partition per node); the p99 figures
//! the lesson quotes are this model's own output, checked here only as an ordering.

use sim::engine::{Run, Simulation};
use sim::model::MetricValue;
use sim::models::scatter_gather::ScatterGather;
use sim::models::sharding::Placement;
use sim::scenario::{Scenario, TimedInput};
use sim::time::SimTime;

fn preset(id: &str) -> Scenario {
    catalog::lesson("cross-shard-queries")
        .unwrap()
        .scenario(Some(id))
        .unwrap()
}

fn run(s: &Scenario) -> Run<ScatterGather> {
    let mut r = Run::<ScatterGather>::new(s).expect("valid scenario");
    r.seek(s.until);
    r
}

fn metric(r: &Run<ScatterGather>, id: &str) -> f64 {
    r.metrics()
        .get(id)
        .and_then(MetricValue::as_f64)
        .unwrap_or(f64::NAN)
}

/// `(time in µs, text)` of every trace line containing `needle`.
fn lines(r: &Run<ScatterGather>, needle: &str) -> Vec<(u64, String)> {
    r.trace_lines()
        .into_iter()
        .filter(|l| l.text.contains(needle))
        .map(|l| (l.time.as_us(), l.text))
        .collect()
}

#[test]
fn twenty_partitions_per_node_without_a_rebalancer_is_the_same_run() {
    // Partition p starts on node p % 4 and user id is in partition id % 80, so every user is on
    // node id % 4 as before, and a node searching all 20 of its 20 partitions does one draw's
    // work: every latency is the same, query for query.
    let base = preset("by-attribute-4");
    let mut micro = base.clone();
    micro
        .params
        .insert("partitions_per_node".into(), "20".into());
    let (a, b) = (run(&base), run(&micro));
    let mut ma = a.metrics();
    let mut mb = b.metrics();
    for m in [&mut ma, &mut mb] {
        m.scalars.retain(|s| s.id != "max_partitions");
        m.groups.retain(|g| g.id != "partitions_per_shard");
    }
    assert_eq!(ma, mb);
    assert_eq!(metric(&b, "max_partitions"), 20.0);
    for id in 0..200u64 {
        assert_eq!(
            b.model().owners(&id.to_string()),
            Some(vec![(id % 4).to_string()])
        );
    }
}

#[test]
fn a_slow_shard_is_drained_in_twenty_pieces() {
    let r = run(&preset("micro-20"));
    r.validate().unwrap();
    let held = r.model().partitions().held(4);
    // Shard 2's 20 partitions spread over three shards as 7, 7, 6: the others end with 27, 27
    // and 26, and the 80 partitions are all still owned.
    assert_eq!(held[2], 0);
    let mut others = vec![held[0], held[1], held[3]];
    others.sort_unstable();
    assert_eq!(others, [26, 27, 27]);
    assert_eq!(metric(&r, "partitions_moved"), 20.0);
    assert_eq!(metric(&r, "max_partitions"), 27.0);
    // Each copy takes copy_ms / partitions per node = 5000 / 20 = 250 ms: every "moved" line
    // comes exactly 250 ms after the "copying" line of the same partition.
    let started = lines(&r, "Copying partition");
    let done = lines(&r, "moved from shard 2");
    assert_eq!((started.len(), done.len()), (20, 20));
    for (t, text) in &started {
        let p = text.split_whitespace().nth(2).unwrap();
        let (t_done, _) = done
            .iter()
            .find(|(_, d)| d.starts_with(&format!("Partition {p} moved")))
            .unwrap();
        assert_eq!(t_done - t, 250_000, "{text}");
    }
    // Three receivers, one copy each at a time: 20 partitions need ⌈20 / 3⌉ = 7 rounds of
    // 250 ms, 1.75 s after the probation began.
    let (probation, _) = lines(&r, "on probation")[0];
    let last = done.iter().map(|(t, _)| *t).max().unwrap();
    assert_eq!(last - probation, 1_750_000);
    // The users of partition 2 (2, 82, 162) are no longer on shard 2; user 1 never moved.
    for id in [2, 82, 162] {
        assert_ne!(r.model().owners(&id.to_string()), Some(vec!["2".into()]));
    }
    assert_eq!(r.model().owners("1"), Some(vec!["1".into()]));
}

#[test]
fn one_partition_per_node_moves_the_whole_shard_in_the_full_copy_time() {
    let r = run(&preset("micro-1"));
    r.validate().unwrap();
    let held = r.model().partitions().held(4);
    assert_eq!(held[2], 0);
    assert_eq!(held.iter().max(), Some(&2));
    assert_eq!(metric(&r, "partitions_moved"), 1.0);
    let (probation, _) = lines(&r, "on probation")[0];
    let (moved, _) = lines(&r, "moved from shard 2")[0];
    assert_eq!(
        moved - probation,
        5_000_000,
        "copy_ms = 5000 for the whole shard"
    );
}

#[test]
fn twenty_partitions_cut_the_tail_of_a_slowdown() {
    // The lesson's claim, on its own setups (figures in the lesson are this model's output).
    let whole = run(&preset("micro-1"));
    let micro = run(&preset("micro-20"));
    assert!(metric(&micro, "p99_attr_ms") * 4.0 < metric(&whole, "p99_attr_ms"));
    assert!(metric(&micro, "p50_attr_ms") < metric(&whole, "p50_attr_ms"));
}

#[test]
fn the_invariants_hold_throughout_and_seeking_replays_the_same_run() {
    let s = preset("micro-20");
    let straight = run(&s);
    let mut r = Run::<ScatterGather>::new(&s).unwrap();
    for ms in (250..=10_000).step_by(250) {
        r.seek(SimTime::from_ms(ms));
        r.validate().unwrap();
    }
    for ms in [3_000, 9_000, 2_100, 10_000] {
        r.seek(SimTime::from_ms(ms));
    }
    assert_eq!(r.digest(), straight.digest());
    assert_eq!(r.metrics(), straight.metrics());
    assert_eq!(run(&s).digest(), straight.digest());
}

#[test]
fn resizing_a_micro_partitioned_run_is_refused_with_a_reason() {
    let mut s = preset("micro-20");
    s.inputs.push(TimedInput::parse("1000:add-shard").unwrap());
    let r = run(&s);
    let refused = lines(&r, "Refused");
    assert_eq!(refused.len(), 1);
    assert!(
        refused[0].1.contains("20 partitions per node"),
        "{refused:?}"
    );
    assert_eq!(r.model().shards(), 4);
}

#[test]
fn without_a_slow_shard_nothing_moves() {
    let mut s = preset("micro-20");
    s.inputs.clear();
    let r = run(&s);
    assert_eq!(metric(&r, "partitions_moved"), 0.0);
    assert_eq!(r.model().partitions().held(4), [20, 20, 20, 20]);
}
