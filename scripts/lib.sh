# shellcheck shell=bash disable=SC2034 # the constants are used by the scripts sourcing this file
# Shared helpers for scripts/*.sh. Source it; it only defines things and sets the environment.
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SDP_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export SDP_ROOT

# Pinned tool versions (the wasm-bindgen version comes from Cargo.lock, see lock_version).
SDP_TRUNK_VERSION=0.21.14
SDP_BINARYEN_VERSION=132.0.0
SDP_WASM_TARGET=wasm32-unknown-unknown
SDP_TOOLS_DIR="$SDP_ROOT/.tools"
SDP_CHROMIUM=/usr/bin/chromium
SDP_CHROMEDRIVER=/usr/bin/chromedriver

# Environment every script needs:
# - trunk reads boolean env vars as true/false only: NO_COLOR=1 makes every trunk command exit 2.
# - trunk must never try the network (update check, tool downloads).
# - the npm-installed binaryen's wasm-opt must come first on PATH (Debian's and cargo's wasm-opt
#   cannot parse current wasm), and cargo-installed tools must be on PATH.
sdp_env() {
    unset NO_COLOR
    export TRUNK_SKIP_VERSION_CHECK=true
    export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
    export CHROMEDRIVER="${CHROMEDRIVER:-$SDP_CHROMEDRIVER}"
    # CI builds from scratch once: incremental compilation only costs time and disk there.
    if [ "${CI:-}" = "true" ]; then export CARGO_INCREMENTAL=0; fi
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

# Seconds since the epoch with microseconds (bash 5).
now() { printf '%s' "${EPOCHREALTIME:-$(date +%s.%N)}"; }
# Elapsed seconds between two `now` values, formatted like 12.3s.
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1fs", b - a }'; }
