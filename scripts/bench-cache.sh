#!/usr/bin/env bash
# The caching benchmark (issue 12). A benchmark, not a test: it prints figures and fails only when
# something does not build or the two LRUs disagree on the hit count. On one trace (1,000,000
# requests, Zipf(0.8) over 100,000 keys, capacity 1,000 objects; sim::bench::cache_trace) it prints:
#   1. requests per second of our LRU in wasm and of npm lru-cache (v11, get then set on a miss) in
#      the same Node process, on the identical key sequence, both hit counts and the ratio
#                                                         (tests/e2e/bench/cache-bench.mjs)
#   2. requests per second per policy in wasm (same script), then natively
#                                                         (cargo bench -p sim --bench cache)
# Every figure is the median of RUNS (5) timed runs after a warm-up, a fresh cache per run.
# The wasm is bench/cache-wasm built as trunk builds the sweep worker, where miss-ratio curves
# run: the worker-release profile (Cargo.toml: opt-level 3, LTO) and wasm-opt -O3 (www/index.html).
# BENCH_PROFILE=release times the app's own size-optimised build (opt-level "z", wasm-opt -Oz).
#
#   bash scripts/bench-cache.sh
#   BENCH_SKIP_NATIVE=1 bash scripts/bench-cache.sh    # wasm and lru-cache only
set -euo pipefail
SDP_LOG_TAG=bench-cache
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
sdp_env
cd "$SDP_ROOT"

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
