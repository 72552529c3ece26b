//! Split and move as two steps, split points by size or load, and MySQL's partitioning-key rule.
//!
//! Expectations come from outside the model: hand counts of the keys a range holds (the ids are
//! sequential, so a range `lo..=hi` of them holds `hi - lo + 1`), HBase's and CockroachDB's
//! documented behaviour (a split is a metadata operation; data moves when a range is relocated;
//! a load split cannot spread sequential writes, CockroachDB "Hash-sharded Indexes"), and the
//! MySQL Reference Manual's own examples and error text for §26.6.1 "Partitioning Keys, Primary
//! Keys, and Unique Keys". Also runs as wasm32 (except the random-sequence property).

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use sim::engine::Simulation;
use sim::models::range::spec::check_primary_key;
use sim::models::sharding::{placement, Move};
use sim::registry;
use sim::scenario::{Scenario, TimedInput};
use sim::time::SimTime;

/// Forty sequential ids 1–40 on ranges 1–10, 11–20, 21–30 and 31–10,000,000, with splits that
/// only edit the range table, and no traffic unless asked.
const IN_PLACE: &[(&str, &str)] = &[
    ("min_id", "1"),
    ("max_id", "10000000"),
    ("boundaries", "10,20,30"),
    ("keys", "40"),
    ("ids", "sequential"),
    ("request_rate", "0"),
    ("split_moves", "later"),
];

fn start(params: &[(&str, &str)], inputs: &[&str], until_ms: u64) -> Box<dyn Simulation> {
    let mut s = Scenario::new("range", 3, SimTime::from_ms(until_ms));
    for (k, v) in params {
        s.params.insert((*k).into(), (*v).into());
    }
    s.inputs = inputs
        .iter()
        .map(|t| TimedInput::parse(t).unwrap())
        .collect();
    registry::start(&s).unwrap_or_else(|e| panic!("{e}"))
}

fn run(params: &[(&str, &str)], inputs: &[&str], until_ms: u64) -> Box<dyn Simulation> {
    let mut r = start(params, inputs, until_ms);
    r.seek(SimTime::from_ms(until_ms));
    r.validate().unwrap();
    let refused: Vec<_> = r.trace_lines().into_iter().filter(|l| l.rejected).collect();
    assert!(refused.is_empty(), "inputs refused: {refused:?}");
    r
}

fn num(run: &dyn Simulation, id: &str) -> Option<f64> {
    run.metrics().get(id).and_then(|v| v.as_f64())
}

fn group(run: &dyn Simulation, id: &str) -> Vec<u64> {
    run.metrics()
        .group(id)
        .unwrap_or_else(|| panic!("no group {id}"))
        .values
        .iter()
        .map(|(_, v)| *v as u64)
        .collect()
}

fn moves(run: &dyn Simulation) -> Vec<Move> {
    placement(run).unwrap().last_moves().unwrap_or_default()
}

fn log(run: &dyn Simulation) -> String {
    let lines: Vec<String> = run.trace_lines().into_iter().map(|l| l.text).collect();
    lines.join("\n")
}

#[test]
fn a_split_edits_only_the_table_and_a_move_moves_exactly_the_range() {
    // Add ids 41–60, then split range 3 (31–10,000,000, holding ids 31–60) after 45.
    let split = run(IN_PLACE, &["0:add-keys:20", "100:split:3:45"], 200);
    assert_eq!(num(&*split, "shards"), Some(5.0));
    // HBase/CockroachDB: a split is a metadata operation; no key changes node.
    assert_eq!(num(&*split, "moved_keys"), Some(0.0));
    assert!(moves(&*split).is_empty());
    // The table has five ranges; ids 31–45 and 46–60 are 15 keys each (hand count).
    assert_eq!(group(&*split, "keys_per_shard"), [10, 10, 10, 15, 15]);
    assert!(log(&*split).contains("still on node 3"), "{}", log(&*split));

    // Moving range 4 (ids 46–10,000,000, holding 46–60) moves exactly those 15 keys, to the node
    // with the fewest keys: nodes 0, 1 and 2 hold 10 each, node 3 holds 30; the lowest wins a tie.
    let moved = run(
        IN_PLACE,
        &["0:add-keys:20", "100:split:3:45", "150:move:4"],
        200,
    );
    assert_eq!(num(&*moved, "moved_keys"), Some(15.0));
    let m = moves(&*moved);
    let ids: Vec<u64> = m.iter().map(|m| m.key.parse().unwrap()).collect();
    assert_eq!(ids, (46..=60).collect::<Vec<u64>>());
    assert!(m.iter().all(|m| m.from == "4" && m.to == "4"));
    assert!(
        log(&*moved).contains("from node 3 to node 0"),
        "{}",
        log(&*moved)
    );
    // Moving it to a node of its own works too, and moves the same keys.
    let fresh = run(
        IN_PLACE,
        &["0:add-keys:20", "100:split:3:45", "150:move:4:new"],
        200,
    );
    assert_eq!(num(&*fresh, "moved_keys"), Some(15.0));
    assert!(log(&*fresh).contains("to node 4"), "{}", log(&*fresh));
}

#[test]
fn the_rebalancer_moves_the_new_range_after_its_delay_and_the_later_the_more_it_copies() {
    // Ten sign-ups a second from id 41; the fullest range (31 up) splits at 1 s; the rebalancer
    // waits 500 ms.
    let p: Vec<(&str, &str)> = IN_PLACE
        .iter()
        .copied()
        .chain([("insert_rate", "10"), ("rebalance_ms", "500")])
        .collect();
    let before = run(&p, &["1000:add-shard"], 1_400);
    assert_eq!(
        num(&*before, "moved_keys"),
        Some(0.0),
        "nothing moves before the delay"
    );
    let after = run(&p, &["1000:add-shard"], 2_000);
    let keys = group(&*after, "keys_per_shard");
    // The move took every key the upper range held at 1.5 s; the keys written after the move
    // are not moves. So the moved count lies between the range's keys at the split and now.
    let moved = num(&*after, "moved_keys").unwrap() as u64;
    let at_split = group(&*before, "keys_per_shard")[4];
    assert!(
        moved >= at_split && moved <= keys[4],
        "{moved} not in {at_split}..={}",
        keys[4]
    );
    assert!(log(&*after).contains("The rebalancer moved Shard 4"));
}

#[test]
fn a_load_split_halves_the_recent_requests_a_size_split_the_keys() {
    // One range holding ids 1–40; four lookups of ids 31–34 are its only recent requests.
    let p: &[(&str, &str)] = &[
        ("min_id", "1"),
        ("max_id", "1000"),
        ("boundaries", ""),
        ("keys", "40"),
        ("ids", "sequential"),
        ("request_rate", "0"),
        ("split_moves", "later"),
    ];
    let looks = ["0:lookup:31", "1:lookup:32", "2:lookup:33", "3:lookup:34"];
    let with_split = |by: &str| {
        let params: Vec<(&str, &str)> = p.iter().copied().chain([("split_by", by)]).collect();
        let inputs: Vec<&str> = looks.iter().copied().chain(["10:split:0"]).collect();
        group(&*run(&params, &inputs, 20), "keys_per_shard")
    };
    // Size: the lower median of 40 keys is the 20th, id 20 → 20 and 20.
    assert_eq!(with_split("size"), [20, 20]);
    // Load: the lower median of the requested ids 31, 32, 33, 34 is 32 → ids 1–32 and 33–40.
    assert_eq!(with_split("load"), [32, 8]);
}

#[test]
fn no_split_point_spreads_sequential_writes() {
    // CockroachDB ("Hash-sharded Indexes"): with sequential keys every write lands at the end of
    // the range, so load-based splitting cannot divide the traffic. Whatever the rule or move,
    // every write after the split lands on the last range.
    for (by, rebalance) in [("load", "0"), ("load", "2000"), ("size", "2000")] {
        let p: Vec<(&str, &str)> = IN_PLACE
            .iter()
            .copied()
            .chain([
                ("insert_rate", "10"),
                ("request_rate", "5"),
                ("split_by", by),
                ("rebalance_ms", rebalance),
            ])
            .collect();
        let r = run(&p, &["5000:add-shard"], 10_000);
        assert_eq!(num(&*r, "last_shard_write_share"), Some(100.0), "{by}");
        assert_eq!(num(&*r, "busiest_write_share"), Some(100.0), "{by}");
    }
}

/// Applies `input` now; the refusal's text, if it was refused.
fn refusal(r: &mut Box<dyn Simulation>, input: &str) -> Option<String> {
    let before = r.trace_len();
    r.apply_now(sim::scenario::Input::parse(input).unwrap());
    r.trace_lines()
        .into_iter()
        .skip(before as usize)
        .find(|l| l.rejected)
        .map(|l| l.text)
}

#[test]
fn moves_are_refused_with_a_reason_and_change_nothing() {
    let mut r = start(IN_PLACE, &[], 1_000);
    r.seek(SimTime::from_ms(10));
    for (input, says) in [
        ("move:9", "no shard 9"),
        ("move:0:0", "already on node 0"),
        ("move:0:17", "no node 17"),
        ("move:x", "move:4:new"),
    ] {
        let keys = group(&*r, "keys_per_shard");
        let e = refusal(&mut r, input).unwrap_or_else(|| panic!("{input} was accepted"));
        assert!(e.contains(says), "{input}: {e}");
        assert_eq!(
            group(&*r, "keys_per_shard"),
            keys,
            "{input} changed the run"
        );
        assert_eq!(num(&*r, "moved_keys"), None, "{input} moved keys");
    }
    let mut hash = start(&[("partition", "hash")], &[], 1_000);
    let e = refusal(&mut hash, "move:0").expect("refused");
    assert!(e.contains("hash"), "{e}");
}

#[test]
fn mysql_refuses_a_primary_key_without_the_partitioning_column() {
    // The source's messages table: id BIGINT PRIMARY KEY … PARTITION BY RANGE (TO_DAYS(created_at)).
    let text = "ERROR 1503 (HY000): A PRIMARY KEY must include all columns in the table's partitioning function";
    let (e, missing) = check_primary_key("TO_DAYS(created_at)", "id").unwrap_err();
    assert_eq!(e, text);
    assert_eq!(missing, ["created_at"]);
    assert!(check_primary_key("TO_DAYS(created_at)", "id, created_at").is_ok());
    // The manual's own examples: t1 has UNIQUE KEY (col1, col2) and PARTITION BY HASH(col3), and
    // is refused; UNIQUE KEY (col1, col2, col3) is accepted. t2 partitions by HASH(col1 + col3):
    // a key of col1 alone is refused, (col1, col3) accepted.
    assert!(check_primary_key("col3", "col1, col2").is_err());
    assert!(check_primary_key("col3", "col1, col2, col3").is_ok());
    assert_eq!(
        check_primary_key("col1 + col3", "col1").unwrap_err().1,
        ["col3"]
    );
    assert!(check_primary_key("col1 + col3", "col1, col3").is_ok());
    // Identifiers are case-insensitive and may be back-quoted; date literals are not columns.
    assert!(check_primary_key("UNIX_TIMESTAMP(`Created_At`)", "id,created_at").is_ok());
    assert!(check_primary_key("created_at < '2025-03-08'", "id, created_at").is_ok());

    // The model refuses to build such a table, with MySQL's message.
    let mut s = Scenario::new("range", 1, SimTime::from_secs(1));
    s.params
        .insert("partition_by".into(), "TO_DAYS(created_at)".into());
    s.params.insert("primary_key".into(), "id".into());
    let e = registry::start(&s).err().expect("refused").to_string();
    assert!(e.contains(text) && e.contains("created_at"), "{e}");
}

#[test]
fn date_range_partitions_send_every_new_message_to_the_current_one() {
    // The lesson's preset: weekly partitions of March by created_at (seconds since 1 March);
    // 180 messages a mean 4,000 s apart end in the second week, and new ones follow them.
    let p: &[(&str, &str)] = &[
        ("min_id", "0"),
        ("max_id", "2678399"),
        ("boundaries", "604799,1209599,1814399"),
        ("keys", "180"),
        ("ids", "time"),
        ("time_gap", "4000"),
        ("insert_rate", "5"),
        ("partition_by", "TO_DAYS(created_at)"),
        ("primary_key", "id, created_at"),
    ];
    let r = run(p, &[], 10_000);
    let writes = group(&*r, "writes_per_shard");
    assert_eq!(writes.iter().filter(|w| **w > 0).count(), 1, "{writes:?}");
    assert_eq!(num(&*r, "busiest_write_share"), Some(100.0));
}

#[test]
fn the_new_presets_are_a_function_of_their_inputs() {
    let p: Vec<(&str, &str)> = IN_PLACE
        .iter()
        .copied()
        .chain([
            ("insert_rate", "10"),
            ("request_rate", "5"),
            ("split_by", "load"),
            ("rebalance_ms", "700"),
        ])
        .collect();
    let a = run(&p, &["2000:add-shard", "4000:add-shard"], 6_000);
    let b = run(&p, &["2000:add-shard", "4000:add-shard"], 6_000);
    assert_eq!(a.digest(), b.digest());
    assert_eq!(log(&*a), log(&*b));
}

/// Random sequences of splits (in place), moves and merges: every split moves nothing, every
/// move moves exactly the keys of the range it moved, and the model stays valid throughout.
#[cfg(not(target_arch = "wasm32"))]
#[test]
fn random_split_and_move_sequences_keep_their_laws() {
    use sim::rng::SimRng;
    let mut rng = SimRng::new(11);
    let (mut splits, mut moved_ranges) = (0, 0);
    for round in 0..40 {
        let mut r = start(
            &[
                ("min_id", "1"),
                ("max_id", "5000"),
                ("boundaries", "1000,2500"),
                ("keys", "300"),
                ("request_rate", "20"),
                ("insert_rate", "5"),
                ("split_moves", "later"),
                ("split_by", if round % 2 == 0 { "load" } else { "size" }),
            ],
            &[],
            60_000,
        );
        for step in 0..25u64 {
            r.seek(SimTime::from_ms(step * 100 + 50));
            let n = r.metrics().get("shards").and_then(|v| v.as_f64()).unwrap() as u64;
            let shard = rng.below(n);
            let input = match rng.below(4) {
                0 | 1 => format!("split:{shard}"),
                2 => format!("move:{shard}"),
                _ => format!("merge:{shard}"),
            };
            let keys_before = group(&*r, "keys_per_shard");
            if refusal(&mut r, &input).is_some() {
                continue;
            }
            r.validate().unwrap_or_else(|e| panic!("{input}: {e}"));
            let moved = num(&*r, "moved_keys").unwrap() as u64;
            if input.starts_with("split") {
                assert_eq!(moved, 0, "{input}");
                splits += 1;
            } else if input.starts_with("move") {
                moved_ranges += 1;
                assert_eq!(moved, keys_before[shard as usize], "{input}");
                let m = moves(&*r);
                assert!(m.iter().all(|m| m.to == shard.to_string()), "{input}");
            }
        }
    }
    assert!(
        splits > 100 && moved_ranges > 50,
        "{splits} splits, {moved_ranges} moves ran"
    );
}
