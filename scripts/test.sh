#!/usr/bin/env bash
# Runs every test layer, in order, stopping at the first failure (README command 2; .ci/run).
#
#   bash scripts/test.sh                 # full setup (skipped steps cost seconds), then all layers
#   bash scripts/test.sh build e2e       # only the named layers, in the usual order
#   bash scripts/test.sh --list          # the layer names
#
# Layers:
#   scripts   bash scripts/check-scripts.sh   (bash -n and bash 3.2 portability of every script; the
#             serve path's setup with no apt-get, sudo or browser on PATH; setup's messages)
#   fmt       cargo fmt --all -- --check
#   clippy    cargo clippy --workspace --all-targets -- -D warnings
#   test      cargo test --workspace                      (native unit, integration and doc tests)
#   sim-wasm  cargo test -p sim --target wasm32-unknown-unknown         (sim tests as wasm, Node)
#   app-wasm  cargo test -p playground --target wasm32-unknown-unknown --tests  (headless Chromium)
#   build     trunk build --release --offline                           (the app, into dist/)
#   budget    node scripts/budget.mjs            (dist/'s first-load gzip bytes against budget.toml)
#             node scripts/budget.mjs --one-more --check   (the wasm built with one more lesson)
#   e2e       node --test tests/e2e/*.test.mjs    (Playwright against dist/ in headless Chromium;
#             SDP_E2E_JOBS test files at once, default 2)
#
# The end-to-end runner goes last, so that its summary closes the output. The browser layers use
# Debian's /usr/bin/chromium and /usr/bin/chromedriver, or CHROMIUM_PATH and CHROMEDRIVER.
set -euo pipefail
SDP_LOG_TAG="test"
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
sdp_env
cd "$SDP_ROOT"

ALL_LAYERS=(scripts fmt clippy test sim-wasm app-wasm build budget e2e)

if [ "${1:-}" = "--list" ]; then
    printf '%s\n' "${ALL_LAYERS[@]}"
    exit 0
fi
if [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
    exit 0
fi

# (bash 3.2, macOS's, fails on "${a[@]}" of an empty array under `set -u`: hence ${a[@]+...}.)
selected=("$@")
for name in ${selected[@]+"${selected[@]}"}; do
    case " ${ALL_LAYERS[*]} " in
        *" $name "*) ;;
        *) die "unknown layer '$name' (layers: ${ALL_LAYERS[*]})" ;;
    esac
done
wanted() {
    [ ${#selected[@]} -eq 0 ] && return 0
    case " ${selected[*]-} " in *" $1 "*) return 0 ;; esac
    return 1
}

total_start=$(now)
timings=()

print_timings() {
    local line
    say "elapsed per layer:"
    for line in ${timings[@]+"${timings[@]}"}; do say "  $line"; done
    say "  total so far: $(elapsed "$total_start" "$(now)")"
}

# run_layer NAME COMMAND...: runs one layer, records its time, stops everything on failure.
# (COMMAND runs directly in the `if`, so its status is what decides; layer functions below return
# their status explicitly because `set -e` does not apply inside an `if` condition.)
run_layer() {
    local name="$1" start rc
    shift
    start=$(now)
    echo
    say "==> $name: $*"
    if "$@"; then
        timings+=("$(printf '%-9s %8s' "$name" "$(elapsed "$start" "$(now)")")")
        say "<== $name: ok ($(elapsed "$start" "$(now)"))"
    else
        rc=$?
        echo
        print_timings >&2
        printf '[test] FAILED: layer "%s" (exit %s) after %s: %s\n' \
            "$name" "$rc" "$(elapsed "$start" "$(now)")" "$*" >&2
        exit "$rc"
    fi
}

skip_layer() {
    timings+=("$(printf '%-9s %8s' "$1" "skipped")")
    say "--- $1: skipped: $2"
}

# --- setup ------------------------------------------------------------------------------------
if [ "${SDP_SKIP_SETUP:-}" = "1" ]; then
    say "SDP_SKIP_SETUP=1: not running scripts/setup.sh"
else
    run_layer setup "${BASH:-bash}" scripts/setup.sh
fi

# --- layers -----------------------------------------------------------------------------------
wanted scripts && run_layer scripts "${BASH:-bash}" scripts/check-scripts.sh

fmt_color=()
[ "${CI:-}" = "true" ] && fmt_color=(--color=never) # no ANSI escapes in CI logs
wanted fmt && run_layer fmt cargo fmt --all -- --check ${fmt_color[@]+"${fmt_color[@]}"}
wanted clippy && run_layer clippy cargo clippy --workspace --all-targets --locked -- -D warnings
wanted test && run_layer test cargo test --workspace --locked

# The sim crate's tests compiled to wasm32 and run under Node by wasm-bindgen-test-runner (the
# runner in .cargo/config.toml). Doc tests stay native (the `test` layer runs them).
wanted sim-wasm && run_layer sim-wasm cargo test -p sim --target "$SDP_WASM_TARGET" --locked --tests

# The app's wasm tests in headless Chromium through chromedriver (./webdriver.json sets the binary
# and flags). Skipped while the app crate has no wasm-bindgen tests.
app_has_wasm_tests() {
    grep -rqs --include='*.rs' -e 'wasm_bindgen_test' src tests
}
# webdriver.json names /usr/bin/chromium. For another browser (CHROMIUM_PATH) the runner gets a copy
# naming that one instead (wasm-bindgen-test-runner reads WASM_BINDGEN_TEST_WEBDRIVER_JSON).
webdriver_json() {
    local out="$SDP_ROOT/target/webdriver.json"
    mkdir -p "$SDP_ROOT/target"
    node -e '
        const fs = require("fs");
        const [src, out, binary] = process.argv.slice(1);
        const caps = JSON.parse(fs.readFileSync(src, "utf8"));
        caps["goog:chromeOptions"].binary = binary;
        fs.writeFileSync(out, JSON.stringify(caps, null, 2) + "\n");
    ' "$SDP_ROOT/webdriver.json" "$out" "$SDP_CHROMIUM" || return 1
    printf '%s' "$out"
}
if wanted app-wasm; then
    if app_has_wasm_tests; then
        if [ "$SDP_CHROMIUM" != "$SDP_DEFAULT_CHROMIUM" ]; then
            WASM_BINDGEN_TEST_WEBDRIVER_JSON=$(webdriver_json)
            export WASM_BINDGEN_TEST_WEBDRIVER_JSON
            say "app-wasm: browser $SDP_CHROMIUM (through $WASM_BINDGEN_TEST_WEBDRIVER_JSON)"
        fi
        run_layer app-wasm env CHROMEDRIVER="$SDP_CHROMEDRIVER" \
            cargo test -p playground --target "$SDP_WASM_TARGET" --locked --tests
    else
        skip_layer app-wasm "the app crate (src/, tests/*.rs) has no #[wasm_bindgen_test] tests yet"
    fi
fi

wanted build && run_layer build trunk build --release --offline

# The size budget (budget.toml): what a first visit downloads, then what one more lesson adds
# (two more wasm builds, about two minutes; they leave dist/ alone).
budget_layer() {
    [ -f dist/index.html ] || {
        warn "dist/index.html missing: run the build layer first"
        return 1
    }
    node scripts/budget.mjs || return $?
    node scripts/budget.mjs --one-more --check || return $?
}
wanted budget && run_layer budget budget_layer

# --- end-to-end, last ---------------------------------------------------------------------------
if wanted e2e; then
    shopt -s nullglob
    e2e_files=(tests/e2e/*.test.mjs)
    shopt -u nullglob
    [ ${#e2e_files[@]} -gt 0 ] || die "no tests/e2e/*.test.mjs files"
    [ -f dist/index.html ] || die "dist/index.html missing: run the build layer first (bash scripts/test.sh build e2e)"
    print_timings
    echo
    # SDP_E2E_JOBS test files at once (default 2). Two overlap well even on 2 cores (all 194
    # tests in 817-957 s against ~1,100 s one at a time, 2026-12-07). The one test that failed
    # beside another file (sweeps.test.mjs's frame intervals: 14 frames in 2 s against a fixed
    # 20) now judges against its own quiet run on the same machine.
    e2e_jobs="${SDP_E2E_JOBS:-2}"
    case "$e2e_jobs" in '' | *[!0-9]* | 0) die "SDP_E2E_JOBS must be a positive whole number (got '$e2e_jobs')" ;; esac
    say "==> e2e: node --test --test-concurrency=$e2e_jobs ${e2e_files[*]} (its summary closes the output; duration_ms = e2e time)"
    if node --test --test-concurrency="$e2e_jobs" --test-reporter=spec "${e2e_files[@]}"; then
        :
    else
        rc=$?
        printf '[test] FAILED: layer "e2e" (exit %s): end-to-end tests failed (see above)\n' "$rc" >&2
        exit "$rc"
    fi
else
    print_timings
fi
