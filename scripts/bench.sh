#!/usr/bin/env bash
# Benchmarks (not tests: nothing here passes or fails on a number). Prints:
#   1. the release bundle's sizes: wasm, JS, CSS, raw / gzip / brotli   (tests/e2e/bench/sizes.mjs),
#      the first-load gzip bytes of home, a lesson page and an embed, and what one more lesson
#      adds                                                              (scripts/budget.mjs)
#   2. time from navigation start to the first rendered lesson (its diagram) and home (the app's
#      lesson list) in headless Chromium, with the first contentful paint and the longest task
#      before it, median of RUNS cold loads                              (tests/e2e/bench/first-render.mjs)
#   3. hash-ring lookups per second, native                              (sim's lookup benchmark)
#   4. hash-ring lookups per second and 50,000-key placement, wasm in headless Chromium (#/bench),
#      per-strategy lookups, and placing 1,000,000 keys then recomputing after a server joins
#   5. frame time while the largest presets animate, headless Chromium (tests/e2e/bench/frame-time.mjs)
#   6. offline: the service worker's precache (files, bytes)            (scripts/offline/build.mjs --report)
#      and what a first visit to a lesson transfers until saved offline  (tests/e2e/bench/first-visit.mjs)
#   7. sweeps: each declared sweep's runs and points per second, natively (release `sdp sweep`)
#      and in the page's background worker                              (tests/e2e/bench/sweep-bench.mjs)
#   8. the request simulator: 1,000,000 requests under each of eight balancing strategies, natively
#      and in the app's worker, with the same requests and events on both (tests/e2e/bench/requests-bench.mjs)
#   9. traffic control: decisions per second of each rate limiter, and the backoff experiment's
#      grid (1-100 clients x 5 strategies x 20 seeds), natively and in the app's worker, with the
#      same admissions and calls on both                               (tests/e2e/bench/resilience-bench.mjs)
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
    "${BASH:-bash}" scripts/setup.sh >/dev/null || die "scripts/setup.sh failed (run it alone to see why)"
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
say "1. bundle sizes (dist/), and what a first visit downloads (gzip, as budget.toml counts it)"
node tests/e2e/bench/sizes.mjs dist
node scripts/budget.mjs --report || notes+=("first-load sizes: scripts/budget.mjs failed")
if [ "${BENCH_SKIP_ONE_MORE:-}" != "1" ]; then
    say "   what one more lesson adds (the wasm built with and without one; BENCH_SKIP_ONE_MORE=1 skips)"
    node scripts/budget.mjs --one-more || notes+=("one more lesson: the extra build failed")
fi

echo
say "2. first render in headless Chromium (median of $RUNS cold loads): a lesson's diagram, then home"
node tests/e2e/bench/first-render.mjs --runs "$RUNS" ||
    notes+=("first render: the lesson's ring diagram never appeared")
# The app's own lesson list: index.html's static shell has a <main> long before the app renders.
node tests/e2e/bench/first-render.mjs --runs "$RUNS" --url '#/' --selector '[data-testid="lesson-list"]' ||
    notes+=("first render: the home page's lesson list never appeared")

echo
say "3. ring lookups per second, native (release)"
native_line=""
if [ -f sim/benches/lookups.rs ]; then
    native_out=$(cargo bench -q -p sim --bench lookups 2>/dev/null) || native_out=""
    native_line=$(printf '%s\n' "$native_out" | grep -m1 '^lookups_per_sec=' || true)
    if [ -n "$native_out" ]; then printf '%s\n' "$native_out" | grep -v '^lookups_per_sec=' || true; fi
fi
if [ -n "$native_line" ]; then
    echo "native $native_line"
else
    notes+=("native lookups: 'cargo bench -p sim --bench lookups' printed no lookups_per_sec=")
fi

echo
say "4. ring lookups per second and key placement, wasm in headless Chromium (#/bench)"
# The benchmark page is not in the app people download: build it into dist-bench/.
if trunk build --release --offline --features bench --dist dist-bench >/tmp/sdp-bench-build-bench.log 2>&1; then
    node tests/e2e/bench/wasm-bench.mjs --dist dist-bench || notes+=("wasm bench: the #/bench page gave no figures")
else
    notes+=("wasm bench: the bench build failed; log: /tmp/sdp-bench-build-bench.log")
fi

echo
say "5. frame time while animating the largest presets (headless Chromium, software paint)"
node tests/e2e/bench/frame-time.mjs || notes+=("frame time: a page did not play")

echo
say "6. offline: the precache (dist/sw.js), and what a first visit transfers"
node scripts/offline/build.mjs --report dist || notes+=("offline sizes: dist/sw.js missing (a debug build?)")
node tests/e2e/bench/first-visit.mjs || notes+=("first visit: the page did not load")

echo
say "7. sweeps: runs and points per second, native (release sdp) and in the page's worker (median of 3)"
if cargo build -q --release -p catalog --bin sdp 2>/tmp/sdp-bench-sdp.log; then
    node tests/e2e/bench/sweep-bench.mjs --sdp target/release/sdp || notes+=("sweeps: a sweep did not finish")
else
    notes+=("sweeps: the release sdp did not build; log: /tmp/sdp-bench-sdp.log")
fi

echo
say "8. simulated requests per second: 1,000,000 requests x 8 strategies, native (release) and in the worker"
if cargo test -q -p sim --release --test suite requests_throughput:: -- --ignored --nocapture >/tmp/sdp-bench-requests.log 2>&1; then
    grep -E 'requests/s' /tmp/sdp-bench-requests.log | sed 's/^/native /'
    node tests/e2e/bench/requests-bench.mjs --native /tmp/sdp-bench-requests.log || notes+=("requests: the worker's runs differ from native, or did not finish")
else
    notes+=("requests: the native benchmark failed; log: /tmp/sdp-bench-requests.log")
fi

echo
say "9. traffic control: limiter decisions per second and the backoff grid, native (release) and in the worker"
if cargo test -q -p sim --release --test suite resilience_throughput:: -- --ignored --nocapture --test-threads 1 >/tmp/sdp-bench-resilience.log 2>&1; then
    grep -E 'decisions/s|runs,|grid' /tmp/sdp-bench-resilience.log | sed 's/^/native /'
    node tests/e2e/bench/resilience-bench.mjs --native /tmp/sdp-bench-resilience.log || notes+=("resilience: the worker's runs differ from native, or did not finish")
else
    notes+=("resilience: the native benchmark failed; log: /tmp/sdp-bench-resilience.log")
fi

if [ ${#notes[@]} -gt 0 ]; then
    echo
    say "notes:"
    for n in ${notes[@]+"${notes[@]}"}; do say "  - $n"; done
fi
