//! The `sdp` command line on the hot-keys lesson, run as a real process.
#![cfg(not(target_arch = "wasm32"))]

use crate::common;

use common::cli::{run_json, sdp};
use serde_json::Value;

fn sum(v: &Value) -> u64 {
    v.as_object()
        .expect("an object of bars")
        .values()
        .map(|x| x.as_u64().expect("a count"))
        .sum()
}

#[test]
fn the_celebrity_preset_reports_request_load_per_shard() {
    let v = run_json(&[
        "hot-keys",
        "--preset",
        "celebrity",
        "--key",
        "0",
        "--key",
        "17",
    ]);
    assert_eq!(v["lesson"], "hot-keys");
    assert_eq!(v["model"], "hot-keys");
    let m = &v["metrics"];
    assert_eq!(m["owners"]["0"], "4", "the celebrity lives on shard 4");
    assert!(m["owners"]["17"].is_string());
    assert_eq!(m["keys_per_shard"].as_object().unwrap().len(), 8);
    assert_eq!(sum(&m["keys_per_shard"]), 1000);
    assert_eq!(m["keys_per_shard"]["4"], 129);
    let requests = m["requests"].as_u64().unwrap();
    assert!(requests > 1_500, "about 200 req/s for 10 s: {requests}");
    // No cache and no split: every request is one shard request.
    assert_eq!(sum(&m["requests_per_shard"]), requests);
    assert_eq!(sum(&m["requests_per_node"]), requests);
    let ratio = m["max_mean_ratio"].as_f64().unwrap();
    assert!((2.7..3.6).contains(&ratio), "max/mean {ratio}");
    let hottest = m["hottest_share"].as_f64().unwrap();
    assert!(hottest > 30.0, "busiest shard {hottest}%");
    let shard4 = m["requests_per_shard"]["4"].as_u64().unwrap();
    assert!((hottest - shard4 as f64 * 100.0 / requests as f64).abs() < 1e-4);
    assert!(
        m["moved_keys"].is_null() && m["moved_percent"].is_null(),
        "nothing moved yet"
    );
    assert!(m["cache_hit_rate"].is_null(), "no cache");
    assert_eq!(m["read_fanout"], 1.0);
    assert!(v["rejected"].as_array().unwrap().is_empty());
}

#[test]
fn doubling_moves_keys_but_not_the_hot_spot() {
    let v = run_json(&[
        "hot-keys",
        "--preset",
        "celebrity",
        "--do",
        "0:resize:16",
        "--key",
        "0",
    ]);
    let m = &v["metrics"];
    assert_eq!(m["moved_keys"], 510);
    assert_eq!(m["moved_percent"], 51.0);
    assert_eq!(m["owners"]["0"], "15");
    assert_eq!(m["requests_per_shard"].as_object().unwrap().len(), 16);
    assert!(m["hottest_share"].as_f64().unwrap() > 30.0);
    assert!(
        m["max_mean_ratio"].as_f64().unwrap() > 4.5,
        "worse than with 8 shards"
    );
}

#[test]
fn mitigations_show_in_their_metrics() {
    let v = run_json(&["hot-keys", "--preset", "all-three", "--key", "0#3"]);
    let m = &v["metrics"];
    assert_eq!(m["owners"]["0#3"], "2");
    assert_eq!(sum(&m["keys_per_shard"]), 1007, "999 users and 8 sub-keys");
    assert_eq!(
        m["requests_per_node"].as_object().unwrap().len(),
        24,
        "8 shards × 3 nodes"
    );
    assert!(m["requests_per_node"]["4r2"].is_u64());
    let hit = m["cache_hit_rate"].as_f64().unwrap();
    assert!(
        hit > 25.0,
        "the cache answers the celebrity's reads: {hit}%"
    );
    assert!(
        m["write_fanout"].as_f64().unwrap() > 1.0,
        "writes update every copy"
    );
    assert!(m["max_node_share"].as_f64().unwrap() < m["hottest_share"].as_f64().unwrap());
    let top = m["cache_top_share"].as_f64().unwrap();
    assert!(
        (top - 37.0).abs() < 0.01,
        "the celebrity (30% + 0.07%) and 99 users at 0.07% each: 37%, got {top}"
    );
}

#[test]
fn refused_inputs_are_listed_not_fatal() {
    let v = run_json(&["hot-keys", "--do", "0:remove-shard:3", "--do", "0:split:99"]);
    let rejected = v["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), 2);
    assert!(
        rejected[0]
            .as_str()
            .unwrap()
            .contains("only remove the last"),
        "{rejected:?}"
    );
    let (ok, _, err) = sdp(&["run", "hot-keys", "--set", "celebrity=5000", "--json"]);
    assert!(!ok && err.contains("celebrity"), "{err}");
    assert!(!err.contains("panicked"));
    let (ok, _, err) = sdp(&["run", "hot-keys", "--set", "cache_size=9999", "--json"]);
    assert!(
        !ok && err.contains("cache_size") && err.contains("0 to 2000"),
        "{err}"
    );
}
