//! Running the `sdp` binary as a real process, for the CLI test files.

use serde_json::Value;
use std::process::Command;

/// Runs `sdp <args>`; returns whether it succeeded, its stdout and its stderr.
pub fn sdp(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sdp"))
        .args(args)
        .output()
        .expect("sdp runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

/// Runs `sdp run <args> --json`, asserts it succeeded, and parses its one JSON object.
pub fn run_json(args: &[&str]) -> Value {
    let mut all = vec!["run"];
    all.extend_from_slice(args);
    all.push("--json");
    let (ok, out, err) = sdp(&all);
    assert!(ok, "sdp {all:?} failed: {err}");
    serde_json::from_str(out.trim()).expect("one JSON object")
}
