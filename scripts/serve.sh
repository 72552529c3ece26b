#!/usr/bin/env bash
# Serves the app at http://127.0.0.1:8080 (README command 1).
#
#   bash scripts/serve.sh              # setup (build part), release build into dist/, static server
#   PORT=9000 bash scripts/serve.sh    # another port (HOST=0.0.0.0 to listen beyond localhost)
#   WATCH=1 bash scripts/serve.sh      # trunk serve: debug build, rebuild + reload on change
#
# The default serves exactly what the tests test (the release build of dist/) with a small Node
# static server (correct .wasm MIME type); it works offline once setup has run.
#
# Needs no browser, no root and no apt-get: it runs only the build part of setup
# (`bash scripts/setup.sh build`: wasm target, trunk, wasm-bindgen, wasm-opt, crates). Works on Linux
# and macOS (bash 3.2 and BSD tools included); SDP_SKIP_SETUP=1 skips setup.
set -euo pipefail
SDP_LOG_TAG=serve
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
sdp_env
cd "$SDP_ROOT"

PORT="${PORT:-8080}"
HOST="${HOST:-127.0.0.1}"

if [ "${SDP_SKIP_SETUP:-}" != "1" ]; then
    "${BASH:-bash}" scripts/setup.sh build
fi

if [ "${WATCH:-0}" = "1" ]; then
    say "trunk serve (debug build, live reload) at http://$HOST:$PORT/"
    exec trunk serve --offline --address "$HOST" --port "$PORT"
fi

say "building the release app into dist/ (trunk build --release --offline)"
start=$(now)
trunk build --release --offline
say "built in $(elapsed "$start" "$(now)")"
say "open http://$HOST:$PORT/"
exec node tests/e2e/server.mjs --root dist --host "$HOST" --port "$PORT"
