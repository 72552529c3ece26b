#!/usr/bin/env bash
# Installs what the build (and, unless told `build`, the tests) need. Idempotent: every step checks
# first and is skipped when the tool is already present at the pinned version, so a re-run takes
# seconds. Only from crates.io, npm and Debian; nothing downloads from GitHub.
#
#   bash scripts/setup.sh build   # what building and serving need (scripts/serve.sh): no root,
#                                 # no apt-get, no browser; Linux and macOS
#   bash scripts/setup.sh         # all of it: the build part, then the test part
#                                 # (scripts/test.sh, scripts/bench.sh)
#
# Needs, and stops with how to install them when missing: cargo + rustup, node (20+) + npm.
#
# build part:
#   - rustup target wasm32-unknown-unknown
#   - crates                             cargo fetch --locked
#   - trunk 0.21.14                      cargo install --locked        (~8 min cold)
#   - wasm-bindgen-cli = Cargo.lock's wasm-bindgen version (wasm-bindgen, wasm-bindgen-test-runner)
#                                        cargo install, --locked then unlocked (~2.5 min cold)
#   - wasm-opt from npm binaryen@132.0.0 into .tools/ (first on PATH in the other scripts)
# test part (adds):
#   - rustup components rustfmt, clippy (if missing)
#   - chromium + chromium-driver         apt-get (Debian, as root or with passwordless sudo), only
#                                        if missing; or CHROMIUM_PATH + CHROMEDRIVER
#   - tests/e2e node modules             npm ci (playwright-core, axe-core; pinned by package-lock.json)
set -euo pipefail
SDP_LOG_TAG=setup
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
sdp_env
cd "$SDP_ROOT"

part="${1:-all}"
case "$part" in
    build | all) ;;
    -h | --help)
        sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *) die "unknown part '$part' (usage: bash scripts/setup.sh [build|all])" ;;
esac

n_installed=0
n_skipped=0
done_skip() {
    n_skipped=$((n_skipped + 1))
    say "$1: present, skipped"
}
done_install() {
    n_installed=$((n_installed + 1))
    say "$1: installed"
}

# Waits while another `cargo install <crate>` runs (for example one started by hand), so that we
# do not build the same tool twice on a 2-core machine. (pgrep is in procps, which minimal Linux
# images lack; macOS has it.)
wait_for_other_cargo_install() {
    local crate="$1" pids
    have pgrep || return 0
    while pids=$(pgrep -f "cargo install .*(^| )$crate( |$)" | tr '\n' ' ') && [ -n "$pids" ]; do
        say "waiting for a running 'cargo install $crate' (pid $pids) to finish..."
        sleep 15
    done
}

# --- what must already be there: Rust (with rustup) and Node.js -------------------------------
# Checked together, before anything is installed, so that one message names everything missing.
rust_hint="Install Rust with rustup (no root needed; Linux and macOS alike):
      curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh
    then open a new shell (or run: . \"\$HOME/.cargo/env\"). Tested with rustc 1.95."
node_hint="Install Node.js $SDP_NODE_MAJOR or newer, with npm:
      Linux: your distribution's nodejs and npm packages if new enough (Debian/Ubuntu:
             sudo apt-get install nodejs npm), or without root nvm (https://github.com/nvm-sh/nvm)
             and then: nvm install $SDP_NODE_MAJOR
      macOS: brew install node, or the installer from https://nodejs.org"
missing=""
if ! have cargo || ! have rustc; then
    missing="$missing
  - cargo and rustc: not found. $rust_hint"
elif ! have rustup &&
    [ ! -d "$(rustc --print sysroot)/lib/rustlib/$SDP_WASM_TARGET" ]; then
    missing="$missing
  - rustup: not found, and the Rust at $(command -v rustc) has no $SDP_WASM_TARGET target
    (a distribution's or Homebrew's rust package lacks it, and only rustup adds it).
    $rust_hint"
fi
if ! have node || ! have npm; then
    missing="$missing
  - node and npm: not found (trunk's post-build hook, wasm-opt and the static server run on them).
    $node_hint"
fi
if [ -n "$missing" ]; then
    die "missing what building needs:$missing
Then re-run: bash scripts/setup.sh${1:+ $1}"
fi
setup_start=$(now)
say "$(rustc --version), node $(node --version)"
node_major=$(node --version)
node_major=${node_major#v}
node_major=${node_major%%.*}
if [ "$node_major" -lt "$SDP_NODE_MAJOR" ] 2>/dev/null; then
    warn "node $(node --version) is older than $SDP_NODE_MAJOR, which this project is tested with. $node_hint"
fi

# ================================ build part ===================================================

# --- the wasm target --------------------------------------------------------------------------
if [ -d "$(rustc --print sysroot)/lib/rustlib/$SDP_WASM_TARGET" ]; then
    done_skip "rust target $SDP_WASM_TARGET"
else
    rustup target add "$SDP_WASM_TARGET"
    done_install "rust target $SDP_WASM_TARGET"
fi

# --- Cargo.lock and crates --------------------------------------------------------------------
if [ ! -f Cargo.lock ]; then
    say "Cargo.lock missing: generating it"
    cargo generate-lockfile
fi
if cargo fetch --locked --quiet; then
    say "crates: fetched (cargo fetch --locked)"
elif [ "${CI:-}" != "true" ]; then
    # Outside CI a stale lockfile (someone just added a dependency) is updated, loudly.
    warn "Cargo.lock is out of date with the manifests; updating it (commit the new Cargo.lock)"
    cargo fetch --quiet
else
    die "cargo fetch --locked failed: Cargo.lock is out of date with Cargo.toml (update and commit it)"
fi

# --- trunk ------------------------------------------------------------------------------------
trunk_ok() { [ "$(trunk --version 2>/dev/null)" = "trunk $SDP_TRUNK_VERSION" ]; }
if ! trunk_ok; then wait_for_other_cargo_install trunk; fi
if trunk_ok; then
    done_skip "trunk $SDP_TRUNK_VERSION"
else
    say "installing trunk $SDP_TRUNK_VERSION (cargo install, about 8 minutes on 2 cores)"
    cargo install --locked --force trunk --version "$SDP_TRUNK_VERSION"
    trunk_ok || die "trunk --version does not print 'trunk $SDP_TRUNK_VERSION' after install"
    done_install "trunk $SDP_TRUNK_VERSION"
fi

# --- wasm-bindgen-cli at exactly Cargo.lock's wasm-bindgen version ----------------------------
wbg_version=$(lock_version wasm-bindgen)
[ -n "$wbg_version" ] || die "no wasm-bindgen entry in Cargo.lock"
wbg_ok() {
    [ "$(wasm-bindgen --version 2>/dev/null)" = "wasm-bindgen $wbg_version" ] &&
        [ "$(wasm-bindgen-test-runner --version 2>/dev/null)" = "wasm-bindgen-test-runner $wbg_version" ]
}
if ! wbg_ok; then wait_for_other_cargo_install wasm-bindgen-cli; fi
if wbg_ok; then
    done_skip "wasm-bindgen-cli $wbg_version"
else
    say "installing wasm-bindgen-cli $wbg_version (cargo install, about 2.5 minutes)"
    # `--locked` fails today (the CLI's lockfile pins a crate version the registry lacks), so fall
    # back to an unlocked install. The commands sit directly in the `if`, so a failure is seen.
    if cargo install --locked --force wasm-bindgen-cli --version "$wbg_version"; then
        :
    else
        say "locked install of wasm-bindgen-cli failed; retrying without --locked"
        cargo install --force wasm-bindgen-cli --version "$wbg_version"
    fi
    wbg_ok || die "wasm-bindgen / wasm-bindgen-test-runner do not report version $wbg_version"
    done_install "wasm-bindgen-cli $wbg_version"
fi

# --- wasm-opt (npm binaryen) ------------------------------------------------------------------
binaryen_ok() {
    local pkg="$SDP_TOOLS_DIR/node_modules/binaryen/package.json"
    [ -f "$pkg" ] &&
        [ "$(node -p 'require(process.argv[1]).version' "$pkg" 2>/dev/null)" = "$SDP_BINARYEN_VERSION" ] &&
        "$SDP_TOOLS_DIR/node_modules/.bin/wasm-opt" --version >/dev/null 2>&1
}
if binaryen_ok; then
    done_skip "wasm-opt (npm binaryen@$SDP_BINARYEN_VERSION)"
else
    mkdir -p "$SDP_TOOLS_DIR"
    npm install --prefix "$SDP_TOOLS_DIR" --no-save --no-package-lock --no-audit --no-fund \
        --loglevel=error "binaryen@$SDP_BINARYEN_VERSION"
    binaryen_ok || die "wasm-opt from binaryen@$SDP_BINARYEN_VERSION does not run"
    done_install "wasm-opt (npm binaryen@$SDP_BINARYEN_VERSION)"
fi
if [ "$(command -v wasm-opt)" != "$SDP_TOOLS_DIR/node_modules/.bin/wasm-opt" ]; then
    die "wasm-opt on PATH is $(command -v wasm-opt), not the npm binaryen one"
fi

if [ "$part" = build ]; then
    say "build part done in $(elapsed "$setup_start" "$(now)"): installed $n_installed, skipped $n_skipped"
    exit 0
fi

# ================================ test part ====================================================

# --- rustfmt and clippy -----------------------------------------------------------------------
for component in rustfmt clippy; do
    if cargo "${component/rustfmt/fmt}" --version >/dev/null 2>&1; then
        done_skip "rustup component $component"
    else
        have rustup || die "cargo $component is missing and so is rustup to add it. Install $rust_hint"
        rustup component add "$component"
        done_install "rustup component $component"
    fi
done

# --- chromium and chromedriver ----------------------------------------------------------------
# Debian's packages by default, installed with apt-get when we may (root, or sudo without a
# password). Where we may not, or CHROMIUM_PATH / CHROMEDRIVER name something else, stop and say
# what to install: never half-install a browser whose chromedriver does not match it.
may_be_root() {
    [ "$(id -u)" -eq 0 ] || { have sudo && sudo -n true 2>/dev/null; }
}
as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi
}
browser_missing() {
    local reason="$1"
    die "the tests need Chromium (or Chrome) and a chromedriver of the same major version; serving does not (bash scripts/serve.sh needs neither).
  $reason
Install them, then re-run:
  Debian/Ubuntu:  sudo apt-get install chromium chromium-driver   (as root, scripts/setup.sh does this itself)
  Fedora:         sudo dnf install chromium chromedriver
  macOS:          brew install --cask google-chrome chromedriver
Or point the scripts at a browser you already have and a matching chromedriver:
  CHROMIUM_PATH=/path/to/chrome CHROMEDRIVER=/path/to/chromedriver bash scripts/test.sh
  (macOS: CHROMIUM_PATH=\"/Applications/Google Chrome.app/Contents/MacOS/Google Chrome\"
   CHROMEDRIVER=\"\$(command -v chromedriver)\")"
}
if [ -x "$SDP_CHROMIUM" ] && [ -x "$SDP_CHROMEDRIVER" ]; then
    done_skip "chromium + chromedriver ($SDP_CHROMIUM, $SDP_CHROMEDRIVER)"
else
    not_found=""
    [ -x "$SDP_CHROMIUM" ] || not_found="$SDP_CHROMIUM"
    [ -x "$SDP_CHROMEDRIVER" ] || not_found="${not_found:+$not_found and }$SDP_CHROMEDRIVER"
    if [ "$SDP_CHROMIUM" != "$SDP_DEFAULT_CHROMIUM" ] || [ "$SDP_CHROMEDRIVER" != "$SDP_DEFAULT_CHROMEDRIVER" ]; then
        browser_missing "Not an executable file: $not_found (from CHROMIUM_PATH=${CHROMIUM_PATH:-} CHROMEDRIVER=${CHROMEDRIVER:-})."
    elif ! have apt-get; then
        browser_missing "Not found: $not_found; and apt-get is not available here to install them."
    elif ! may_be_root; then
        browser_missing "Not found: $not_found; and installing them with apt-get needs root (or sudo without a password)."
    fi
    say "installing chromium and chromium-driver with apt-get"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver
    if [ ! -x "$SDP_CHROMIUM" ] || [ ! -x "$SDP_CHROMEDRIVER" ]; then
        die "chromium or chromedriver missing after apt-get install ($SDP_CHROMIUM, $SDP_CHROMEDRIVER)"
    fi
    done_install "chromium + chromium-driver"
fi

# --- end-to-end test dependencies (npm ci in tests/e2e) ---------------------------------------
e2e_dir="$SDP_ROOT/tests/e2e"
if [ -f "$e2e_dir/package-lock.json" ]; then
    stamp="$e2e_dir/node_modules/.sdp-installed"
    want="$(sha256_file "$e2e_dir/package-lock.json") node-$(node --version)"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
        done_skip "tests/e2e node modules"
    else
        (cd "$e2e_dir" && npm ci --no-audit --no-fund --loglevel=error)
        printf '%s\n' "$want" >"$stamp"
        done_install "tests/e2e node modules (npm ci)"
    fi
else
    warn "tests/e2e/package-lock.json missing: skipping npm ci"
fi

say "done in $(elapsed "$setup_start" "$(now)"): installed $n_installed, skipped $n_skipped"
