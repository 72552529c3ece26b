//! `sdp run load-balancer` (a model no lesson drives yet) with `--picks N` and `--config FILE`,
//! run as a real process: nginx's smooth weighted round robin for {5, 1, 1} picks a a b a c a
//! a; a pasted nginx block decides servers, weights and strategy and its unmodelled directive
//! is reported; misuse is an error that says what to do.
#![cfg(not(target_arch = "wasm32"))]

use crate::common;

use common::cli::{run_json, sdp};
use std::path::PathBuf;

/// Writes `text` to a file named `name` in a fresh temporary folder; returns its path.
fn file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sdp-cli-lb-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// The server of each line `req N → S: …`.
fn servers(stdout: &str) -> Vec<&str> {
    stdout
        .lines()
        .map(|l| {
            let (_, rest) = l.split_once(" → ").unwrap_or_else(|| panic!("{l}"));
            rest.split(':').next().unwrap()
        })
        .collect()
}

#[test]
fn picks_prints_the_first_requests_servers_with_the_explanation() {
    let (ok, out, err) = sdp(&[
        "run",
        "load-balancer",
        "--set",
        "strategy=weighted-round-robin",
        "--set",
        "servers=3",
        "--set",
        "weights=5,1,1",
        "--set",
        "arrival=constant",
        "--until",
        "1000",
        "--picks",
        "7",
    ]);
    assert!(ok, "{err}");
    assert_eq!(servers(&out), ["A", "A", "B", "A", "C", "A", "A"], "{out}");
    assert!(out.starts_with("req 0 → A: "), "{out}");
    assert!(
        out.lines().all(|l| l.len() > "req 0 → A: ".len()),
        "each line has the strategy's explanation: {out}"
    );
}

#[test]
fn config_reads_a_pasted_nginx_block_and_reports_what_it_does_not_model() {
    let path = file(
        "upstream.conf",
        "upstream app {\n    least_conn;\n    server a weight=2;\n    server b;\n    keepalive 16;\n}\n",
    );
    let p = path.to_str().unwrap();
    let v = run_json(&["load-balancer", "--config", p, "--set", "rate=100"]);
    let strategy = v["metrics"]["strategy"].as_str().unwrap();
    assert!(strategy.contains("least connections"), "{strategy}");
    assert_eq!(v["metrics"]["notices"], 1);
    let served = &v["metrics"]["served_per_server"];
    assert!(
        served["a"].as_i64().unwrap() > served["b"].as_i64().unwrap(),
        "{served}"
    );
    // With --picks the notices go to stderr and the picks name the pasted servers.
    let (ok, out, err) = sdp(&["run", "load-balancer", "--config", p, "--picks", "3"]);
    assert!(ok, "{err}");
    assert!(err.contains("keepalive 16"), "{err}");
    assert!(
        servers(&out).iter().all(|s| *s == "a" || *s == "b"),
        "{out}"
    );
}

#[test]
fn misuse_is_an_error_that_says_what_to_do() {
    let (ok, _, err) = sdp(&["run", "load-balancer", "--picks", "0"]);
    assert!(
        !ok && err.contains("--picks \"0\": expected a whole number from 1 to 1000"),
        "{err}"
    );
    let (ok, _, err) = sdp(&["run", "workloads", "--picks", "3"]);
    assert!(!ok && err.contains("has no load balancer"), "{err}");
    let conf = file("a.conf", "upstream x { server a; }\n");
    let (ok, _, err) = sdp(&["run", "workloads", "--config", conf.to_str().unwrap()]);
    assert!(!ok && err.contains("does not read a config"), "{err}");
    let bad = file("bad.conf", "upstream x { server a weight=0; }\n");
    let (ok, _, err) = sdp(&["run", "load-balancer", "--config", bad.to_str().unwrap()]);
    assert!(
        !ok && err.contains("parameter `config`") && err.contains("line 1"),
        "{err}"
    );
    let (ok, _, err) = sdp(&["run", "load-balancer", "--config", "/nonexistent/x.conf"]);
    assert!(!ok && err.contains("--config /nonexistent/x.conf"), "{err}");
}
