#!/usr/bin/env bash
# The caching benchmark (issue 12). A benchmark, not a test: it prints figures and fails only when
# something does not build or the two LRUs disagree on the hit count. On one trace (1,000,000
# requests, Zipf(0.8) over 100,000 keys, capacity 1,000 objects; sim::bench::cache_trace) it prints:
#   1. requests per second of our LRU in wasm and of npm lru-cache (v11, get then set on a miss) in
#      the same Node process, on the identical key sequence, both hit counts and the ratio
#                                                         (tests/e2e/bench/cache-bench.mjs)
#   2. requests per second per policy in wasm (same script), then natively
#                                                         (cargo bench -p sim --bench cache)
#   3. the time to compute a miss-ratio curve: every policy of sim::cache (14, Belady's MIN
#      included) at 20 sizes log-spaced from 100 to 100,000 objects (sim::bench::MRC_CAPACITIES),
#      natively (cargo bench -p sim --bench cache -- mrc) and in the app's own sweep worker in
#      headless Chromium (tests/e2e/bench/mrc-bench.mjs posts the worker a bench-mrc request;
#      the worker is the built dist/, trunk's worker-release build: run
#      `trunk build --release --offline` first). One timed pass each: total, per policy,
#      requests per second, the miss ratios. Fails if any policy misses less than MIN at any
#      size, if LRU's or MIN's curve rises, or if the worker's miss counts differ from native.
# Every figure of steps 1-2 is the median of RUNS (5) timed runs after a warm-up, a fresh cache per run.
# The wasm is bench/cache-wasm built as trunk builds the sweep worker, where miss-ratio curves
# run: the worker-release profile (Cargo.toml: opt-level 3, LTO) and wasm-opt -O3 (www/index.html).
# BENCH_PROFILE=release times the app's own size-optimised build (opt-level "z", wasm-opt -Oz).
#
#   bash scripts/bench-cache.sh
#   BENCH_SKIP_NATIVE=1 bash scripts/bench-cache.sh    # wasm and lru-cache only (step 3: worker only)
#   BENCH_SKIP_MRC=1 bash scripts/bench-cache.sh       # steps 1-2 only
#   BENCH_MRC_ONLY=1 bash scripts/bench-cache.sh       # step 3 only
set -euo pipefail
SDP_LOG_TAG=bench-cache
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
sdp_env
cd "$SDP_ROOT"

mrc() {
    [ -f dist/sweep-worker_loader.js ] ||
        die "no dist/sweep-worker_loader.js: build the app first (trunk build --release --offline)"
    if [ -n "$(find sim/src worker/src -name '*.rs' -newer dist/sweep-worker_bg.wasm | head -1)" ]; then
        warn "sim/ or worker/ changed since dist/ was built: the worker timed is the older build"
    fi
    local native=""
    if [ "${BENCH_SKIP_NATIVE:-}" != "1" ]; then
        echo
        say "3. the 20-size × every-policy miss-ratio curve natively (release, one pass)"
        native=$(mktemp)
        cargo bench -q -p sim --bench cache -- mrc | tee "$native" ||
            die "cargo bench -p sim --bench cache -- mrc failed (a result that cannot be right?)"
    fi
    echo
    say "3. the same miss-ratio curve in the app's sweep worker, headless Chromium (one pass)"
    node tests/e2e/bench/mrc-bench.mjs ${native:+--native "$native"} ||
        die "the miss-ratio-curve benchmark in the worker failed"
    [ -z "$native" ] || rm -f "$native"
}

if [ "${BENCH_MRC_ONLY:-}" = "1" ]; then
    mrc
    exit 0
fi

[ -f tests/e2e/node_modules/lru-cache/package.json ] ||
    die "npm lru-cache is missing: (cd tests/e2e && npm ci)"

profile=${BENCH_PROFILE:-worker-release}
case "$profile" in
    worker-release) opt=-O3 ;;
    release) opt=-Oz ;;
    *) die "BENCH_PROFILE must be worker-release or release, not $profile" ;;
esac
out=target/cache-bench-wasm
say "building bench/cache-wasm for wasm32 (profile $profile, wasm-opt $opt)"
cargo build -q --profile "$profile" --offline --target "$SDP_WASM_TARGET" -p cache-bench-wasm ||
    die "the wasm build failed"
mkdir -p "$out"
wasm-bindgen --target nodejs --out-dir "$out" \
    "target/$SDP_WASM_TARGET/$profile/cache_bench_wasm.wasm" || die "wasm-bindgen failed"
if have wasm-opt; then
    wasm-opt "$opt" "$out/cache_bench_wasm_bg.wasm" -o "$out/cache_bench_wasm_bg.wasm" ||
        die "wasm-opt failed"
else
    warn "no wasm-opt on PATH (scripts/setup.sh installs it): timing the wasm without it"
fi

echo
say "1-2. our policies in wasm beside npm lru-cache, one Node process"
node tests/e2e/bench/cache-bench.mjs --wasm "$out/cache_bench_wasm.js"

if [ "${BENCH_SKIP_NATIVE:-}" != "1" ]; then
    echo
    say "2. the same policies natively (release)"
    cargo bench -q -p sim --bench cache 2>/dev/null || die "cargo bench -p sim --bench cache failed"
fi

if [ "${BENCH_SKIP_MRC:-}" != "1" ]; then
    mrc
fi
