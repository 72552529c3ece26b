//! The `sdp` command line on the directory-sharding lesson, run as a real process.
#![cfg(not(target_arch = "wasm32"))]

use crate::common;

use common::cli::{run_json, sdp};

#[test]
fn moving_a_tenant_reports_exactly_its_keys_and_the_owner() {
    let v = run_json(&[
        "directory-sharding",
        "--preset",
        "whale-own-shard",
        "--key",
        "acme",
        "--key",
        "acme/17",
        "--key",
        "globex",
    ]);
    assert_eq!(v["lesson"], "directory-sharding");
    assert_eq!(v["model"], "directory");
    assert!(v["rejected"].as_array().unwrap().is_empty());
    let m = &v["metrics"];
    assert_eq!(m["moved_keys"], 190);
    let pct = m["moved_percent"].as_f64().unwrap();
    assert!((pct - 190.0 * 100.0 / 600.0).abs() < 1e-4, "{pct}");
    assert_eq!(m["modulo_moved_keys"], 514);
    assert_eq!(m["owners"]["acme"], "4");
    assert_eq!(m["owners"]["acme/17"], "4");
    assert_eq!(m["owners"]["globex"], "2");
    let kps = m["keys_per_shard"].as_object().unwrap();
    let labels: Vec<&str> = kps.keys().map(String::as_str).collect();
    assert_eq!(labels, ["0", "1", "2", "3", "4"]);
    assert_eq!(kps["4"], 190);
    assert!(m["requests_per_shard"].is_object());
    assert!(m["requests_per_shard"]["4"].as_u64().unwrap() > 0);
    assert!((m["max_mean_ratio"].as_f64().unwrap() - 190.0 / 120.0).abs() < 1e-4);
    assert_eq!(m["misrouted_requests"], 4);
    for id in [
        "directory_lookups",
        "cache_hit_rate",
        "failed_requests",
        "mean_latency_ms",
        "p99_latency_ms",
        "directory_share",
        "requests",
    ] {
        assert!(m[id].is_number(), "{id} is a number: {}", m[id]);
    }
}

#[test]
fn moves_lists_every_moved_key_with_its_old_and_new_shard() {
    let v = run_json(&[
        "directory-sharding",
        "--set",
        "copy_rate=0",
        "--do",
        "0:move-tenant:hooli:0",
        "--moves",
    ]);
    let moves = v["metrics"]["moves"].as_array().expect("a list of moves");
    assert_eq!(moves.len(), 39, "hooli has 39 keys");
    assert!(moves.iter().all(|m| {
        m["key"].as_str().unwrap().starts_with("hooli/") && m["from"] == "3" && m["to"] == "0"
    }));
    assert_eq!(v["metrics"]["moved_keys"], 39);
}

#[test]
fn an_outage_without_a_cache_fails_requests_and_with_one_mostly_not() {
    let none = run_json(&["directory-sharding", "--preset", "outage-no-cache"]);
    let cached = run_json(&["directory-sharding", "--preset", "outage-cached"]);
    let (f0, f30) = (
        none["metrics"]["failed_requests"].as_u64().unwrap(),
        cached["metrics"]["failed_requests"].as_u64().unwrap(),
    );
    assert!(f0 > 100 && f30 * 5 < f0, "{f0} vs {f30}");
    assert_eq!(none["metrics"]["directory_share"], 100.0);
    // 2 ms at the directory and 5 ms at the shard, plus the waits in their queues.
    let mean = none["metrics"]["mean_latency_ms"].as_f64().unwrap();
    let wait = none["metrics"]["mean_wait_ms"].as_f64().unwrap();
    assert!((mean - 7.0 - wait).abs() < 1e-6, "{mean} = 7 + {wait}");
    // Standard fields are present before any change, as nulls.
    assert!(none["metrics"]["moved_keys"].is_null());
    assert!(none["metrics"]["moved_percent"].is_null());
    assert_eq!(
        none["digest"],
        run_json(&["directory-sharding", "--preset", "outage-no-cache"])["digest"]
    );
}

#[test]
fn adding_a_shard_moves_nothing_but_user_id_mod_5_would_move_80_percent() {
    let v = run_json(&[
        "directory-sharding",
        "--preset",
        "notes-layout",
        "--key",
        "user-13",
        "--key",
        "13",
    ]);
    let m = &v["metrics"];
    assert_eq!(m["moved_keys"], 0);
    assert_eq!(m["moved_percent"], 0.0);
    assert_eq!(m["modulo_moved_keys"], 16);
    assert_eq!(m["modulo_moved_percent"], 80.0);
    assert_eq!(m["owners"]["user-13"], "1");
    assert_eq!(m["owners"]["13"], "1");
    assert_eq!(m["keys_per_shard"]["4"], 0);
}

#[test]
fn bad_input_is_a_clear_error_not_a_panic() {
    let (ok, _, err) = sdp(&[
        "run",
        "directory-sharding",
        "--set",
        "cache_ttl_ms=150",
        "--json",
    ]);
    assert!(!ok);
    assert!(
        err.contains("cache_ttl_ms") && err.contains("steps of 100"),
        "{err}"
    );
    assert!(!err.contains("panicked"));
    let v = run_json(&["directory-sharding", "--do", "0:move-tenant:nobody:1"]);
    let rejected = v["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), 1);
    assert!(
        rejected[0].as_str().unwrap().contains("nobody"),
        "{rejected:?}"
    );
}
