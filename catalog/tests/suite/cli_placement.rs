//! The `sdp` command line on the hashing-strategies lesson, run as a real process.
#![cfg(not(target_arch = "wasm32"))]

use crate::common;

use common::cli::{run_json, sdp};

#[test]
fn a_fifth_server_reports_the_standard_metrics_and_owners() {
    let v = run_json(&[
        "hashing-strategies",
        "--preset",
        "add-fifth",
        "--key",
        "13",
        "--key",
        "user:13",
    ]);
    assert_eq!(v["lesson"], "hashing-strategies");
    assert_eq!(v["params"]["strategy"], "ring");
    let m = &v["metrics"];
    assert_eq!(m["strategy"], "ring");
    let keys = m["keys_per_shard"].as_object().expect("keys_per_shard");
    assert_eq!(keys.len(), 5);
    assert_eq!(
        keys.values().map(|k| k.as_u64().unwrap()).sum::<u64>(),
        1000
    );
    let requests = m["requests_per_shard"]
        .as_object()
        .expect("requests_per_shard");
    assert_eq!(requests.len(), 5);
    assert!(m["max_mean_ratio"].as_f64().unwrap() >= 1.0);
    assert_eq!(m["moved_keys"], 193);
    assert_eq!(m["moved_percent"], 19.3);
    assert_eq!(m["modulo_moved_keys"], 801);
    assert_eq!(m["modulo_moved_percent"], 80.1);
    assert!(m["capacity"].is_null(), "only bounded loads has a capacity");
    let owner = m["owners"]["13"].as_str().unwrap();
    assert_eq!(
        m["owners"]["user:13"], owner,
        "13 and user:13 are the same key"
    );
    assert!(owner.parse::<u32>().unwrap() < 5);
}

#[test]
fn moves_all_go_to_the_new_shard() {
    let v = run_json(&[
        "hashing-strategies",
        "--preset",
        "add-fifth",
        "--set",
        "strategy=jump",
        "--moves",
    ]);
    let moves = v["metrics"]["moves"].as_array().expect("a list of moves");
    assert_eq!(
        moves.len() as u64,
        v["metrics"]["moved_keys"].as_u64().unwrap()
    );
    assert!(moves.iter().all(|m| m["to"] == "4" && m["from"] != "4"));
}

#[test]
fn ketama_mode_answers_like_a_memcached_client() {
    let v = run_json(&[
        "hashing-strategies",
        "--preset",
        "ketama-compatible",
        "--key",
        "user:13",
        "--key",
        "session:abc",
        "--key",
        "user:0",
    ]);
    let owners = &v["metrics"]["owners"];
    // 10.0.1.3:11211, 10.0.1.2:11211 and 10.0.1.1:11211, as libketama sends them.
    assert_eq!(owners["user:13"], "2");
    assert_eq!(owners["session:abc"], "1");
    assert_eq!(owners["user:0"], "0");
    assert!(
        v["metrics"]["moved_keys"].is_null(),
        "nothing has changed yet"
    );
    assert!(v["metrics"]["moved_percent"].is_null());
}

#[test]
fn bounded_reports_its_capacity_and_a_middle_removal_costs_jump_dearly() {
    let v = run_json(&["hashing-strategies", "--preset", "bounded-vs-ring"]);
    assert_eq!(v["metrics"]["capacity"], 313);
    let max = v["metrics"]["keys_per_shard"]
        .as_object()
        .unwrap()
        .values()
        .map(|k| k.as_u64().unwrap())
        .max();
    assert_eq!(max, Some(313));
    let v = run_json(&["hashing-strategies", "--preset", "jump-remove-middle"]);
    assert_eq!(v["metrics"]["moved_percent"], 68.5);
    let v = run_json(&[
        "hashing-strategies",
        "--preset",
        "weights-123",
        "--do",
        "0:set-weight:0=3",
    ]);
    assert_eq!(v["metrics"]["shards"], 3);
    assert!(v["metrics"]["moved_keys"].as_u64().unwrap() > 0);
}

#[test]
fn bad_input_is_a_clear_error_not_a_panic() {
    for (set, word) in [
        ("weights=1,x", "weights"),
        ("weights=0", "weights"),
        ("strategy=crc", "strategy"),
        ("ketama_flavor=twemproxy", "ketama_flavor"),
        ("epsilon=9", "epsilon"),
        ("keys=50001", "keys"),
    ] {
        let (ok, _, err) = sdp(&["run", "hashing-strategies", "--set", set, "--json"]);
        assert!(!ok, "{set} is refused");
        assert!(err.contains(word), "{set}: {err}");
        assert!(!err.contains("panicked"), "{set}: {err}");
    }
    // A ring too big for the point budget names the parameter to change.
    let (ok, _, err) = sdp(&[
        "run",
        "hashing-strategies",
        "--set",
        "weights=1000,1000,1000",
        "--set",
        "vnodes=1000",
        "--json",
    ]);
    assert!(
        !ok && err.contains("weights") && err.contains("200000"),
        "{err}"
    );
}
