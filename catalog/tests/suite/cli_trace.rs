//! `sdp --trace FILE` on the workloads lesson, run as a real process: a key-per-line file, a CSV
//! and an oracleGeneral binary become the workload; a bad file is an error naming its line; a
//! sweep runs on the trace.
#![cfg(not(target_arch = "wasm32"))]

use crate::common;

use common::cli::{run_json, sdp};
use std::path::PathBuf;

/// Writes `bytes` to a file named `name` in a fresh temporary folder; returns its path.
fn file(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sdp-cli-trace-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// The textbook reference string (Silberschatz, *Operating System Concepts*, ch. 9): with 3
/// frames LRU faults 12 times and FIFO 15.
const REFERENCE: &str = "7\n0\n1\n2\n0\n3\n0\n4\n2\n3\n0\n3\n2\n1\n2\n0\n1\n7\n0\n1\n";

#[test]
fn a_key_per_line_trace_is_the_workload() {
    let path = file("ref.txt", REFERENCE.as_bytes());
    let p = path.to_str().unwrap();
    for (policy, misses) in [("lru", 12), ("fifo", 15)] {
        let v = run_json(&[
            "workloads",
            "--trace",
            p,
            "--set",
            "capacity=3",
            "--set",
            &format!("policy={policy}"),
        ]);
        assert_eq!(v["metrics"]["requests"], 20, "{policy}");
        assert_eq!(v["metrics"]["misses"], misses, "{policy}");
        assert_eq!(v["params"]["workload"], "trace");
        assert!(v["params"]["trace"]
            .as_str()
            .unwrap()
            .starts_with("ref.txt~"));
    }
    let (ok, _, err) = sdp(&["run", "workloads", "--trace", p, "--json"]);
    assert!(ok);
    assert!(
        err.contains("one key per line") && err.contains("read all 20 requests"),
        "{err}"
    );
}

#[test]
fn csv_and_oracle_general_traces_are_read_by_extension_and_content() {
    let csv = file("t.csv", b"time,key,size\n1,a,10\n2,b,10\n3,a,10\n");
    let v = run_json(&[
        "workloads",
        "--trace",
        csv.to_str().unwrap(),
        "--set",
        "capacity=2",
    ]);
    assert_eq!(
        (
            v["metrics"]["requests"].as_u64(),
            v["metrics"]["hits"].as_u64()
        ),
        (Some(3), Some(1))
    );
    let mut bin = Vec::new();
    for (i, id) in [5u64, 6, 5].into_iter().enumerate() {
        bin.extend_from_slice(&(i as u32).to_le_bytes());
        bin.extend_from_slice(&id.to_le_bytes());
        bin.extend_from_slice(&100u32.to_le_bytes());
        bin.extend_from_slice(&(-1i64).to_le_bytes());
    }
    let path = file("t.oracleGeneral", &bin);
    let (ok, out, err) = sdp(&[
        "run",
        "workloads",
        "--trace",
        path.to_str().unwrap(),
        "--json",
    ]);
    assert!(ok, "{err}");
    assert!(
        err.contains("oracleGeneral") && err.contains("read all 3 requests"),
        "{err}"
    );
    assert!(out.contains("\"hits\":1"), "{out}");
}

#[test]
fn a_bad_trace_or_a_lesson_without_one_is_a_clear_error() {
    let bad = file("bad.csv", b"time,key\n1,a\nsoon,b\n");
    let (ok, _, err) = sdp(&["run", "workloads", "--trace", bad.to_str().unwrap()]);
    assert!(!ok);
    assert!(err.contains("line 3") && err.contains("soon"), "{err}");
    let (ok, _, err) = sdp(&["run", "workloads", "--trace", "/no/such/file.txt"]);
    assert!(!ok && err.contains("--trace /no/such/file.txt"), "{err}");
    let good = file("k.txt", b"a\nb\n");
    let (ok, _, err) = sdp(&["run", "hot-keys", "--trace", good.to_str().unwrap()]);
    assert!(!ok && err.contains("does not read a trace"), "{err}");
}

#[test]
fn a_sweep_runs_on_the_trace() {
    let path = file("sweep.txt", REFERENCE.as_bytes());
    let (ok, out, err) = sdp(&[
        "sweep",
        "workloads",
        "--trace",
        path.to_str().unwrap(),
        "--param",
        "capacity",
        "--from",
        "1",
        "--to",
        "5",
        "--steps",
        "5",
        "--metric",
        "misses",
        "--seeds",
        "1",
        "--json",
    ]);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    let medians: Vec<f64> = v["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["median"].as_f64().unwrap())
        .collect();
    assert_eq!(medians[2], 12.0, "LRU with 3 slots: {medians:?}");
}
