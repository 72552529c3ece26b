//! The `sdp` command line, run as a real process.
#![cfg(not(target_arch = "wasm32"))]

use crate::common;

use common::cli::{run_json, sdp};
use serde_json::Value;

#[test]
fn list_names_the_lessons_and_their_presets() {
    // One `sdp list` for every lesson the CLI test modules drive.
    let (ok, out, _) = sdp(&["list"]);
    assert!(ok);
    for names in [
        &["consistent-hashing", "source-example"][..],
        &["directory-sharding", "whale-own-shard"],
        &["hot-keys", "double-shards"],
        &["hashing-strategies", "jump-remove-middle"],
        &["range-sharding", "train-lines", "hot-tail"],
        &["cross-shard-queries", "by-attribute-64"],
    ] {
        assert!(names.iter().all(|n| out.contains(n)), "{names:?} in {out}");
    }
}

#[test]
fn run_prints_one_json_object_with_the_issue_fields() {
    let v = run_json(&[
        "consistent-hashing",
        "--preset",
        "source-example",
        "--do",
        "0:remove-server:B",
        "--key",
        "User123",
    ]);
    assert_eq!(v["lesson"], "consistent-hashing");
    assert_eq!(v["seed"], 42);
    assert_eq!(v["params"]["servers"], "A@45,B@120,C@280");
    let m = &v["metrics"];
    assert_eq!(m["owners"]["User123"], "C");
    assert!(m["keys_per_server"]["A"].is_u64() && m["keys_per_server"].get("B").is_none());
    assert!(m["max_mean_ratio"].as_f64().unwrap() >= 1.0);
    let moved = m["moved_keys"].as_u64().unwrap();
    let total = m["keys"].as_u64().unwrap();
    assert!(moved > 0);
    let pct = m["moved_percent"].as_f64().unwrap();
    assert!((pct - moved as f64 * 100.0 / total as f64).abs() < 1e-4);
}

#[test]
fn moves_lists_every_moved_key_with_its_old_and_new_owner() {
    let v = run_json(&[
        "consistent-hashing",
        "--preset",
        "source-example",
        "--do",
        "0:remove-server:B",
        "--moves",
    ]);
    let moves = v["metrics"]["moves"].as_array().expect("a list of moves");
    assert_eq!(
        moves.len() as u64,
        v["metrics"]["moved_keys"].as_u64().unwrap()
    );
    assert!(
        moves.iter().all(|m| m["from"] == "B" && m["to"] == "C"),
        "B's keys all go to C"
    );
    assert!(moves.iter().any(|m| m["key"] == "User123"));
}

#[test]
fn set_seed_and_add_server_apply() {
    let v = run_json(&[
        "consistent-hashing",
        "--set",
        "servers=A,B,C,D,E",
        "--set",
        "vnodes=100",
        "--set",
        "keys=5000",
        "--seed",
        "7",
        "--do",
        "0:add-server:D2",
        "--key",
        "User123",
    ]);
    assert_eq!(v["seed"], 7);
    assert_eq!(v["metrics"]["servers"], 6);
    let pct = v["metrics"]["moved_percent"].as_f64().unwrap();
    assert!(
        (10.0..24.0).contains(&pct),
        "a sixth server takes about 1/6 of the keys, got {pct}%"
    );
    let modulo = v["metrics"]["modulo_moved_percent"].as_f64().unwrap();
    assert!(modulo > 60.0, "hash % N moves most keys, got {modulo}%");
}

#[test]
fn bad_input_is_a_clear_error_not_a_panic() {
    let (ok, _, err) = sdp(&["run", "consistent-hashing", "--set", "vnodes=0", "--json"]);
    assert!(!ok);
    assert!(err.contains("vnodes") && err.contains("1 to 1000"), "{err}");
    assert!(!err.contains("panicked"));
    let (ok, _, err) = sdp(&["run", "nope"]);
    assert!(!ok && err.contains("no lesson"), "{err}");
    let (ok, _, err) = sdp(&["run", "consistent-hashing", "--do", "soon:remove-server:B"]);
    assert!(!ok && err.contains("milliseconds"), "{err}");
}

#[test]
fn work_past_the_end_of_the_run_is_refused_at_once() {
    // `--do 999999999:…` once stretched the run to reach it: eleven simulated days of requests,
    // minutes of work. Now it is refused with the run's end named, as fast as any other error.
    let started = std::time::Instant::now();
    let (ok, _, err) = sdp(&["run", "hot-keys", "--do", "999999999:add-keys:"]);
    assert!(!ok);
    assert!(err.contains("after the end of the run (10000 ms)"), "{err}");
    assert!(err.contains("--until"), "{err}");
    let (ok, _, err) = sdp(&["run", "hot-keys", "--until", "999999999"]);
    assert!(!ok);
    assert!(err.contains("at most 3600000 ms"), "{err}");
    let (ok, _, err) = sdp(&[
        "sweep",
        "consistent-hashing",
        "--sweep",
        "vnodes-imbalance",
        "--do",
        "20000:add-server",
    ]);
    assert!(!ok);
    assert!(err.contains("after the end of the run"), "{err}");
    assert!(
        started.elapsed().as_secs() < 20,
        "refusals must not run the work"
    );
    // Within --until, a later intervention runs.
    let out = run_json(&[
        "consistent-hashing",
        "--until",
        "20000",
        "--do",
        "15000:remove-server:B",
    ]);
    assert_eq!(out["until_ms"], 20000);
    assert_eq!(out["inputs"][0], "15000:remove-server:B");
    assert_eq!(out["metrics"]["servers"], 2);
}

#[test]
fn modulo_lesson_reports_shards_moves_and_owners() {
    let v = run_json(&[
        "modulo-sharding",
        "--preset",
        "twenty-users",
        "--do",
        "0:resize:5",
        "--key",
        "13",
    ]);
    let m = &v["metrics"];
    assert_eq!(m["moved_keys"], 16);
    assert_eq!(m["moved_percent"], 80.0);
    assert_eq!(
        m["keys_per_shard"]["0"], 4,
        "20 users over 5 shards: 4 each"
    );
    assert!(m["requests_per_shard"].is_object());
    assert_eq!(m["owners"]["13"], "3", "13 % 5 = 3");
}

#[test]
fn compare_runs_every_variant_on_one_timeline() {
    let (ok, out, err) = sdp(&[
        "compare",
        "consistent-hashing",
        "--preset",
        "source-example",
        "--do",
        "500:remove-server:B",
        "--key",
        "User123",
        "--json",
    ]);
    assert!(ok, "{err}");
    let v: Value = serde_json::from_str(out.trim()).unwrap();
    let variants = v["variants"].as_array().unwrap();
    assert_eq!(variants.len(), 4, "hash % N and three rings");
    for c in variants {
        let m = &c["metrics"];
        assert!(
            m["keys_per_server"].is_object() && m["max_mean_ratio"].is_f64(),
            "{c}"
        );
        assert_eq!(c["changes"][0]["input"], "remove-server:B");
        assert_eq!(c["changes"][0]["moved_keys"], m["moved_keys"]);
    }
    // A single point per server is the primary's own run: B's arc goes to C.
    let one = variants.iter().find(|c| c["id"] == "one-point").unwrap();
    assert_eq!(one["metrics"]["owners"]["User123"], "C");
    // hash % N deals about two keys in three again (the ring, about one in five).
    let modulo = &variants[0];
    assert_eq!(modulo["id"], "modulo");
    let pct = modulo["changes"][0]["moved_percent"].as_f64().unwrap();
    assert!((55.0..78.0).contains(&pct), "hash % N moved {pct}%");
    let (ok, _, err) = sdp(&["compare", "consistent-hashing", "--only", "nope"]);
    assert!(!ok && err.contains("no variant \"nope\""), "{err}");
}
