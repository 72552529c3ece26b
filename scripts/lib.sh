# shellcheck shell=bash disable=SC2034 # the constants are used by the scripts sourcing this file
# Shared helpers for scripts/*.sh. Source it; it only defines things and sets the environment.
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#
# Portable on purpose: serve.sh and the build part of setup.sh source it on macOS too, whose
# /bin/bash is 3.2 (no EPOCHREALTIME, mapfile, associative arrays or ${x,,}; "${a[@]}" of an empty
# array fails under `set -u`) and whose date, sed and readlink are BSD ones (no `date +%N`, no
# `readlink -f`). scripts/check-scripts.sh checks for those constructs.

SDP_ROOT="$(CDPATH='' cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export SDP_ROOT

# Pinned tool versions (the wasm-bindgen version comes from Cargo.lock, see lock_version).
SDP_TRUNK_VERSION=0.21.14
SDP_BINARYEN_VERSION=132.0.0
SDP_NODE_MAJOR=20
SDP_WASM_TARGET=wasm32-unknown-unknown
SDP_TOOLS_DIR="$SDP_ROOT/.tools"

# The browser the tests use (never the build or serve.sh): Debian's chromium and chromedriver by
# default; CHROMIUM_PATH and CHROMEDRIVER point at another Chrome/Chromium and a chromedriver of
# the same major version. (SDP_DEFAULT_* exist so that scripts/check-scripts.sh can pretend that
# the default paths are empty.)
SDP_DEFAULT_CHROMIUM="${SDP_DEFAULT_CHROMIUM:-/usr/bin/chromium}"
SDP_DEFAULT_CHROMEDRIVER="${SDP_DEFAULT_CHROMEDRIVER:-/usr/bin/chromedriver}"
SDP_CHROMIUM="${CHROMIUM_PATH:-$SDP_DEFAULT_CHROMIUM}"
SDP_CHROMEDRIVER="${CHROMEDRIVER:-$SDP_DEFAULT_CHROMEDRIVER}"

# Environment every script needs:
# - trunk reads boolean env vars as true/false only: NO_COLOR=1 makes every trunk command exit 2.
# - trunk must never try the network (update check, tool downloads).
# - the npm-installed binaryen's wasm-opt must come first on PATH (Debian's and cargo's wasm-opt
#   cannot parse current wasm), and cargo-installed tools must be on PATH.
# - the end-to-end tests (tests/e2e/browser.mjs) read CHROMIUM_PATH, wasm-bindgen-test-runner reads
#   CHROMEDRIVER.
sdp_env() {
    unset NO_COLOR
    export TRUNK_SKIP_VERSION_CHECK=true
    export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
    export CHROMIUM_PATH="$SDP_CHROMIUM"
    export CHROMEDRIVER="$SDP_CHROMEDRIVER"
    # CI builds from scratch once: incremental compilation only costs time and disk there.
    # No debug info either: nothing in CI reads it, and it is most of what the linker and
    # wasm-bindgen write for the native and wasm32 test binaries.
    if [ "${CI:-}" = "true" ]; then
        export CARGO_INCREMENTAL=0 CARGO_PROFILE_DEV_DEBUG=0 CARGO_PROFILE_TEST_DEBUG=0
    fi
    local cargo_bin="${CARGO_HOME:-$HOME/.cargo}/bin"
    case ":$PATH:" in
        *":$cargo_bin:"*) ;;
        *) PATH="$cargo_bin:$PATH" ;;
    esac
    case ":$PATH:" in
        *":$SDP_TOOLS_DIR/node_modules/.bin:"*) ;;
        *) PATH="$SDP_TOOLS_DIR/node_modules/.bin:$PATH" ;;
    esac
    export PATH
}

say() { printf '[%s] %s\n' "${SDP_LOG_TAG:-sdp}" "$*"; }
warn() { printf '[%s] warning: %s\n' "${SDP_LOG_TAG:-sdp}" "$*" >&2; }
die() {
    printf '[%s] error: %s\n' "${SDP_LOG_TAG:-sdp}" "$*" >&2
    exit 1
}
have() { command -v "$1" >/dev/null 2>&1; }

# The version of a package in Cargo.lock (the first entry if several), or nothing.
lock_version() {
    local name="$1" lock="${2:-$SDP_ROOT/Cargo.lock}"
    [ -f "$lock" ] || return 0
    awk -v want="$name" '
        $0 == "[[package]]" { name = "" }
        $1 == "name" { gsub(/"/, "", $3); name = $3 }
        $1 == "version" && name == want { gsub(/"/, "", $3); print $3; exit }
    ' "$lock"
}

# The SHA-256 of a file in hex. sha256sum is GNU coreutils (absent on macOS, which has
# `shasum -a 256`); node, which every script needs anyway, has it everywhere.
sha256_file() {
    node -e 'process.stdout.write(require("crypto").createHash("sha256")
        .update(require("fs").readFileSync(process.argv[1])).digest("hex"))' "$1"
}

# Seconds since the epoch, with microseconds where the shell or date(1) can tell: EPOCHREALTIME is
# bash 5 (with a comma in some locales), `date +%N` is GNU (BSD date prints a literal N), so
# macOS's bash 3.2 falls back to whole seconds.
now() {
    local t="${EPOCHREALTIME:-}" # bash32-ok: guarded, empty in bash < 5
    if [ -z "$t" ]; then
        t=$(date +%s.%N 2>/dev/null) || t="" # bash32-ok: checked below
        case "$t" in
            [0-9]*.[0-9]*) ;;
            *) t=$(date +%s) ;;
        esac
    fi
    printf '%s' "${t/,/.}"
}
# Elapsed seconds between two `now` values, formatted like 12.3s.
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1fs", b - a }'; }
