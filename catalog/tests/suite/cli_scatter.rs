//! The `sdp` command line on the cross-shard-queries lesson, run as a real process.
#![cfg(not(target_arch = "wasm32"))]

use crate::common;

use common::cli::{run_json, sdp};

#[test]
fn run_reports_fan_out_latency_and_the_standard_fields() {
    let v = run_json(&[
        "cross-shard-queries",
        "--preset",
        "by-attribute-4",
        "--key",
        "13",
    ]);
    assert_eq!(v["lesson"], "cross-shard-queries");
    assert_eq!(v["model"], "scatter-gather");
    let m = &v["metrics"];
    assert_eq!(m["query_fanout"], 4.0);
    assert_eq!(m["owners"]["13"], "1", "13 % 4 = 1");
    assert_eq!(m["keys_per_shard"]["0"], 50);
    assert!(m["requests_per_shard"]["3"].as_u64().unwrap() > 0);
    assert_eq!(m["max_mean_ratio"], 1.0);
    assert!(m["moved_keys"].is_null() && m["moved_percent"].is_null());
    assert!(m["requests"].as_u64().unwrap() >= 4 * m["queries"].as_u64().unwrap());
    assert!(m["p99_attr_ms"].as_f64().unwrap() >= m["p50_attr_ms"].as_f64().unwrap());
    assert!(m["p50_key_ms"].is_null(), "no reads by key in this preset");
    assert_eq!(m["p99_by_shards"].as_object().unwrap().len(), 7);
    assert!(v["rejected"].as_array().unwrap().is_empty());
}

#[test]
fn resizing_and_firing_queries_from_the_command_line() {
    let v = run_json(&[
        "cross-shard-queries",
        "--set",
        "query_rate=0",
        "--do",
        "0:resize:5",
        "--do",
        "10:query:by-attribute",
        "--do",
        "20:query:by-key:13",
        "--key",
        "user-13",
        "--moves",
    ]);
    let m = &v["metrics"];
    assert_eq!(m["moved_keys"], 160);
    assert_eq!(m["moved_percent"], 80.0);
    assert_eq!(m["owners"]["user-13"], "3", "13 % 5 = 3");
    assert_eq!(m["moves"].as_array().unwrap().len(), 160);
    assert_eq!(m["queries"], 2);
    assert_eq!(m["query_fanout"], 3.0, "(5 + 1) / 2");
    assert_eq!(m["keys_per_shard"].as_object().unwrap().len(), 5);
}

#[test]
fn a_bad_query_is_refused_with_a_reason() {
    let v = run_json(&["cross-shard-queries", "--do", "0:query:sideways"]);
    let rejected = v["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), 1);
    assert!(
        rejected[0].as_str().unwrap().contains("by-key"),
        "{rejected:?}"
    );
    let (ok, _, err) = sdp(&["run", "cross-shard-queries", "--set", "shards=65"]);
    assert!(!ok && err.contains("shards"), "{err}");
}
