//! The `sdp` command line on the range-sharding lesson, run as a real process: the JSON carries
//! the shared sharding metrics, the owners of named ids, every moved key, and clear errors.
#![cfg(not(target_arch = "wasm32"))]

use crate::common;

use common::cli::{run_json, sdp};

#[test]
fn dharavi_json_has_the_sharding_metrics_and_the_unchecked_owners() {
    let v = run_json(&[
        "range-sharding",
        "--preset",
        "dharavi",
        "--key",
        "100000",
        "--key",
        "100001",
        "--key",
        "500000",
        "--key",
        "0",
    ]);
    assert_eq!(v["model"], "range");
    assert_eq!(v["params"]["boundaries"], "100000,200000");
    let m = &v["metrics"];
    for group in ["keys_per_shard", "requests_per_shard", "writes_per_shard"] {
        let g = m[group]
            .as_object()
            .unwrap_or_else(|| panic!("{group}: {m}"));
        let labels: Vec<&str> = g.keys().map(String::as_str).collect();
        assert_eq!(labels, ["0", "1", "2"], "{group}");
    }
    let keys: u64 = ["0", "1", "2"]
        .iter()
        .map(|s| m["keys_per_shard"][s].as_u64().unwrap())
        .sum();
    assert_eq!(keys, 30);
    assert!(m["max_mean_ratio"].as_f64().unwrap() >= 1.0);
    assert!(
        m["moved_keys"].is_null() && m["moved_percent"].is_null(),
        "no change yet"
    );
    assert!(m["requests"].as_u64().unwrap() >= 4);
    assert_eq!(m["owners"]["100000"], "0", "Sector 1");
    assert_eq!(m["owners"]["100001"], "1", "Sector 2");
    assert_eq!(m["owners"]["500000"], "2", "silently Sector 3");
    assert_eq!(m["owners"]["0"], "0", "silently Sector 1");
    assert_eq!(m["clamped"], 2);
}

#[test]
fn train_lines_refuse_an_id_past_the_last_line() {
    let v = run_json(&[
        "range-sharding",
        "--preset",
        "train-lines",
        "--key",
        "15000000",
        "--key",
        "45000000",
        "--key",
        "75000000",
        "--key",
        "100000001",
    ]);
    let m = &v["metrics"];
    assert_eq!(m["owners"]["15000000"], "0");
    assert_eq!(m["owners"]["45000000"], "1");
    assert_eq!(m["owners"]["75000000"], "2");
    assert!(m["owners"]["100000001"].is_null(), "no line for it");
    assert_eq!(m["refused"], 1);
    assert_eq!(m["ids_per_shard"]["0"], 33_000_001);
    assert_eq!(m["ids_per_shard"]["1"], 33_000_000);
    assert_eq!(m["ids_per_shard"]["2"], 34_000_000);
    assert_eq!(
        v["rejected"].as_array().unwrap().len(),
        0,
        "a refused id is not a refused input"
    );
}

#[test]
fn a_split_reports_every_moved_key_and_the_share() {
    let v = run_json(&[
        "range-sharding",
        "--set",
        "boundaries=10,20,30",
        "--set",
        "max_id=1000",
        "--set",
        "keys=40",
        "--set",
        "ids=sequential",
        "--set",
        "names=",
        "--set",
        "request_rate=0",
        "--do",
        "0:add-keys:30",
        "--do",
        "0:split:3",
        "--moves",
        "--key",
        "51",
    ]);
    let m = &v["metrics"];
    assert_eq!(m["moved_keys"], 20);
    let pct = m["moved_percent"].as_f64().unwrap();
    assert!((pct - 200.0 / 7.0).abs() < 1e-6, "{pct}");
    let moves = m["moves"].as_array().unwrap();
    assert_eq!(moves.len(), 20);
    assert!(moves.iter().all(|x| x["from"] == "3" && x["to"] == "4"));
    assert_eq!(moves[0]["key"], "51");
    assert_eq!(m["owners"]["51"], "4");
    assert_eq!(m["keys_per_shard"]["4"], 20);
    assert_eq!(
        m["writes_per_shard"]["4"], 0,
        "write counts restart at the split"
    );
}

#[test]
fn scans_report_their_fan_out_under_range_and_hash() {
    let scan = |partition: &str| {
        let v = run_json(&[
            "range-sharding",
            "--preset",
            "hot-tail",
            "--set",
            &format!("partition={partition}"),
            "--do",
            "10000:scan:11-30",
        ]);
        let m = &v["metrics"];
        (
            m["scan_shards"].as_u64().unwrap(),
            m["scan_keys"].as_u64().unwrap(),
        )
    };
    assert_eq!(scan("range"), (2, 20));
    assert_eq!(scan("hash"), (4, 20));
}

#[test]
fn bad_boundaries_are_a_clear_error_not_a_panic() {
    let (ok, _, err) = sdp(&[
        "run",
        "range-sharding",
        "--set",
        "boundaries=200000,100000",
        "--json",
    ]);
    assert!(!ok);
    assert!(
        err.contains("boundaries") && err.contains("must go up"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    let (ok, _, err) = sdp(&["run", "range-sharding", "--set", "partition=list"]);
    assert!(!ok && err.contains("range, hash"), "{err}");
}
