#!/usr/bin/env bash
# Benchmarks (not tests: nothing here passes or fails on a number). Prints:
#   1. the release bundle's sizes: wasm, JS, CSS, raw / gzip / brotli   (tests/e2e/bench/sizes.mjs)
#   2. time from navigation start to the first rendered lesson in headless Chromium, median of
#      RUNS cold loads                                                   (tests/e2e/bench/first-render.mjs)
#   3. hash-ring lookups per second, native                              (sim's lookup benchmark)
#   4. hash-ring lookups per second, wasm under Node                     (TODO hook, see below)
#
#   bash scripts/bench.sh                  # setup, release build, all benchmarks
#   RUNS=9 bash scripts/bench.sh           # more page loads for the median
#   BENCH_SKIP_BUILD=1 bash scripts/bench.sh   # measure the dist/ already built
set -euo pipefail
SDP_LOG_TAG=bench
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
sdp_env
cd "$SDP_ROOT"

RUNS="${RUNS:-5}"
notes=()

if [ "${SDP_SKIP_SETUP:-}" != "1" ]; then
    bash scripts/setup.sh >/dev/null || die "scripts/setup.sh failed (run it alone to see why)"
fi

if [ "${BENCH_SKIP_BUILD:-}" != "1" ]; then
    say "release build (trunk build --release --offline)"
    start=$(now)
    trunk build --release --offline >/tmp/sdp-bench-build.log 2>&1 ||
        die "trunk build failed; log: /tmp/sdp-bench-build.log"
    say "built in $(elapsed "$start" "$(now)")"
fi
[ -f dist/index.html ] || die "dist/index.html missing: build first"

echo
say "1. bundle sizes (dist/)"
node tests/e2e/bench/sizes.mjs dist

echo
say "2. first rendered lesson in headless Chromium (median of $RUNS cold loads)"
if node tests/e2e/bench/first-render.mjs --runs "$RUNS"; then
    :
else
    notes+=("first render: the lesson's ring diagram never appeared (is the lesson page built yet?)")
    say "   falling back to the first <main> element:"
    node tests/e2e/bench/first-render.mjs --runs "$RUNS" --url '#/' --selector main ||
        notes+=("first render: no <main> either")
fi

echo
say "3. ring lookups per second, native (release)"
native_line=""
if [ -f sim/benches/lookups.rs ]; then
    native_out=$(cargo bench -q -p sim --bench lookups 2>/dev/null) || native_out=""
    native_line=$(printf '%s\n' "$native_out" | grep -m1 '^lookups_per_sec=' || true)
    if [ -n "$native_out" ]; then printf '%s\n' "$native_out" | grep -v '^lookups_per_sec=' || true; fi
fi
if [ -z "$native_line" ]; then
    native_out=$(cargo run -q --release -p sim --bin sdp -- bench 2>/dev/null) || native_out=""
    native_line=$(printf '%s\n' "$native_out" | grep -m1 'lookups_per_sec=' || true)
fi
if [ -n "$native_line" ]; then
    echo "native $native_line"
else
    notes+=("native lookups: neither 'cargo bench -p sim --bench lookups' nor 'sdp bench' printed lookups_per_sec=")
fi

echo
say "4. ring lookups per second, wasm32 under Node"
# TODO(wasm bench hook): when the sim crate gets a wasm benchmark, run it here and print its
# `lookups_per_sec=` line. Expected shape (to be confirmed by the lead): a test file
# sim/tests/wasm_bench.rs with a #[wasm_bindgen_test] that times sim::bench::lookups with
# js_sys/performance (the sim crate never reads a clock itself) and prints lookups_per_sec=<n>.
if [ -f sim/tests/wasm_bench.rs ]; then
    wasm_out=$(cargo test -q --release -p sim --target "$SDP_WASM_TARGET" --test wasm_bench -- --nocapture 2>&1) || wasm_out=""
    wasm_line=$(printf '%s\n' "$wasm_out" | grep -m1 -o 'lookups_per_sec=[0-9.]*' || true)
    if [ -n "$wasm_line" ]; then echo "wasm $wasm_line"; else notes+=("wasm lookups: sim/tests/wasm_bench.rs printed no lookups_per_sec="); fi
else
    notes+=("wasm lookups: not measured yet (no sim wasm benchmark; see the TODO hook in scripts/bench.sh)")
    echo "(no sim wasm benchmark yet)"
fi

if [ ${#notes[@]} -gt 0 ]; then
    echo
    say "notes:"
    for n in "${notes[@]}"; do say "  - $n"; done
fi
