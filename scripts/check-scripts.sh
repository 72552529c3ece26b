#!/usr/bin/env bash
# Checks the scripts themselves: the `scripts` layer of scripts/test.sh (seconds once setup has run).
#
#   bash scripts/check-scripts.sh
#   SDP_CHECK_BASH=/path/to/bash-3.2 bash scripts/check-scripts.sh   # 1, 3, 4 also under that bash
#
#   1. `bash -n` on every shell script (scripts/*.sh, .ci/run).
#   2. No construct that macOS's bash 3.2 or its BSD tools break: mapfile/readarray, associative
#      arrays, namerefs, ${x,,} / ${x^^}, ${x@Q}, `|&`, `&>>`, `;;&`, coproc, `[[ -v`, `wait -n`,
#      EPOCHREALTIME, `date +%N`, `readlink -f`, `sed -i`, `grep -P`, sha256sum, `stat -c`;
#      and no "${a[@]}" of an array that may be empty (bash < 4.4 calls it unbound under `set -u`:
#      write ${a[@]+"${a[@]}"}). A line that is fine as it stands says `# bash32-ok`.
#   3. The serve path's setup (`bash scripts/setup.sh build`) with a PATH of only the tools that
#      building needs, so no apt-get, sudo, chromium or chromedriver: it succeeds, and never
#      mentions a browser, apt-get or sudo. serve.sh runs that part and only that part.
#   4. The test path's setup with the same PATH and no browser: it stops, naming the packages to
#      install and CHROMIUM_PATH / CHROMEDRIVER, without trying apt-get; and with CHROMIUM_PATH and
#      CHROMEDRIVER pointing at a browser elsewhere, it accepts them.
#   5. Without Rust or Node.js on PATH, the build part stops before installing anything and says
#      how to install them on Linux and macOS.
set -euo pipefail
SDP_LOG_TAG=scripts
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
sdp_env
cd "$SDP_ROOT"

check_bash="${SDP_CHECK_BASH:-$BASH}"
[ -x "$check_bash" ] || die "SDP_CHECK_BASH=$check_bash is not an executable"
# shellcheck disable=SC2016 # expanded by that bash
say "bash: $("$check_bash" -c 'echo "$BASH_VERSION"') ($check_bash)"

failures=0
fail() {
    failures=$((failures + 1))
    printf '[%s] FAIL: %s\n' "$SDP_LOG_TAG" "$*" >&2
}

files=""
for f in scripts/*.sh .ci/run; do
    [ -f "$f" ] && files="$files $f"
done

# --- 1. syntax ----------------------------------------------------------------------------------
n=0
for f in $files; do
    n=$((n + 1))
    "$BASH" -n "$f" || fail "bash -n $f"
    if [ "$check_bash" != "$BASH" ]; then "$check_bash" -n "$f" || fail "$check_bash -n $f"; fi
done
say "1. bash -n: $n scripts"

# --- 2. bash 3.2 and BSD tools --------------------------------------------------------------------
# The code of a script without its comment lines, lines marked `# bash32-ok` and the `forbid`
# lines below, numbered.
code_lines() {
    awk '!/^[[:space:]]*#/ && !/# bash32-ok/ && !/^forbid / { printf "%s:%d: %s\n", FILENAME, FNR, $0 }' "$1"
}
# forbid REGEX WHY: no line of any script may match REGEX (ERE).
forbid() {
    local re="$1" why="$2" f hits
    for f in $files; do
        hits=$(code_lines "$f" | grep -E -e "$re" || true)
        if [ -n "$hits" ]; then fail "$why:"$'\n'"$hits"; fi
    done
}
forbid '(^|[^[:alnum:]_-])(mapfile|readarray|coproc)([^[:alnum:]_-]|$)' "bash 4: mapfile/readarray/coproc"
forbid '(declare|local|typeset)[[:space:]]+-[[:alpha:]]*[Agn]' "bash 4: declare -A/-g/-n"
# shellcheck disable=SC2016 # the reason quotes bash syntax
forbid '\$\{[#!]?[[:alnum:]_]+(\[[^]]*\])?(,,?|\^\^?)' 'bash 4: ${x,,} / ${x^^} case conversion'
# shellcheck disable=SC2016 # the reason quotes bash syntax
forbid '\$\{[^}]*@[QEPAaUuLK]\}' 'bash 4.4: ${x@Q} transformations'
forbid '[^|]\|&|&>>|;;&' "bash 4: |& or &>> or ;;&"
forbid '(\[\[|\[|test)[[:space:]]+-v[[:space:]]' "bash 4.2: -v test"
forbid 'wait[[:space:]]+-n' "bash 4.3: wait -n"
forbid 'EPOCHREALTIME|EPOCHSECONDS|BASHPID' "bash 4/5 variables"
forbid 'shopt[[:space:]]+-s[[:space:]]+(globstar|lastpipe|autocd|direxpand)' "bash 4 shopt"
forbid '%N' "date +%N is GNU (BSD date prints a literal N)"
forbid 'readlink[[:space:]]+-f|realpath' "readlink -f / realpath are not on every macOS"
forbid 'sed[[:space:]]+(-[[:alpha:]]+[[:space:]]+)*-[[:alpha:]]*i' "sed -i differs between GNU and BSD sed"
forbid 'grep[[:space:]]+(-[[:alpha:]]+[[:space:]]+)*-[[:alpha:]]*P' "grep -P is GNU"
forbid '(^|[^[:alnum:]_-])(sha256sum|sha1sum|md5sum)([^[:alnum:]_-]|$)' "sha256sum is GNU (macOS: shasum; here: sha256_file)"
forbid 'stat[[:space:]]+-c|xargs[[:space:]]+-r|find[[:space:]].*-printf' "GNU-only options"
# Arrays that may be empty (`name=()`, `name=("$@")`) must be expanded with the ${name[@]+...} guard.
for f in $files; do
    for arr in $(code_lines "$f" | sed -n 's/^[^:]*:[0-9]*: *\([[:alpha:]_][[:alnum:]_]*\)=(\("\$@"\)\{0,1\})[[:space:]]*\(#.*\)\{0,1\}$/\1/p' | sort -u); do
        hits=$(code_lines "$f" | grep -E "\\\$\\{$arr\\[[@*]\\]\\}" | grep -vF "\${${arr}[@]+" || true)
        if [ -n "$hits" ]; then
            fail "bash < 4.4 with set -u: \"\${${arr}[@]}\" of the possibly empty array $arr (write \${${arr}[@]+\"\${${arr}[@]}\"}):"$'\n'"$hits"
        fi
    done
done
say "2. bash 3.2 / BSD portability: checked"

# --- 3 and 4: setup with a PATH of only what building needs ---------------------------------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sdp-check.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
bin="$tmp/bin"
mkdir -p "$bin"
ln -s "$check_bash" "$bin/bash"
# The POSIX tools the scripts use, node and npm, and the Rust tools (sdp_env puts ~/.cargo/bin on
# PATH as well; linking them here covers a CARGO_HOME elsewhere).
for tool in env sh cat dirname basename tr id uname awk grep sed cut sort head tail wc date sleep \
    mkdir rm cp mv ln ls chmod mktemp node npm cargo rustc rustup trunk wasm-bindgen \
    wasm-bindgen-test-runner; do
    path=$(command -v "$tool") || die "$tool not found: cannot build the restricted PATH"
    case "$path" in /*) ln -s "$path" "$bin/$tool" ;; esac # builtins have no path
done
run_env=(env -i "HOME=$HOME" "PATH=$bin" "CI=${CI:-}" "TMPDIR=${TMPDIR:-/tmp}")
[ -n "${CARGO_HOME:-}" ] && run_env+=("CARGO_HOME=$CARGO_HOME")
[ -n "${RUSTUP_HOME:-}" ] && run_env+=("RUSTUP_HOME=$RUSTUP_HOME")

# The restricted PATH, as the scripts extend it, really lacks what serving must not need.
# shellcheck disable=SC2016 # expanded by the inner bash
present=$("${run_env[@]}" "$bin/bash" -c '
    . scripts/lib.sh; sdp_env
    for t in apt-get sudo chromium chromium-browser chromedriver google-chrome; do
        command -v "$t" || true
    done')
[ -z "$present" ] || die "the restricted PATH still has: $present"

# 3. The serve path: setup's build part.
log="$tmp/build.log"
start=$(now)
if "${run_env[@]}" "$bin/bash" scripts/setup.sh build >"$log" 2>&1; then
    grep -q '^\[setup\] build part done' "$log" || fail "setup.sh build printed no 'build part done'"
    hits=$(grep -Ein 'chrom|apt-get|sudo|playwright|rustfmt|clippy' "$log" || true)
    [ -z "$hits" ] || fail "setup.sh build mentions the test tools:"$'\n'"$hits"
else
    fail "setup.sh build failed without apt-get, sudo or a browser on PATH:"$'\n'"$(cat "$log")"
fi
say "3. setup.sh build, PATH without apt-get/sudo/chromium/chromedriver: ok in $(elapsed "$start" "$(now)")"
grep -Eq '^[[:space:]]*"\$\{BASH:-bash\}" scripts/setup.sh build$' scripts/serve.sh ||
    fail "serve.sh does not run exactly \"\${BASH:-bash}\" scripts/setup.sh build"

# 4. The test path without a browser. expect_browser_message LOG REASON: setup failed with the
# whole message and tried no install.
expect_browser_message() {
    local log="$1" reason="$2" want
    for want in "$reason" 'apt-get install chromium chromium-driver' 'brew install' \
        'CHROMIUM_PATH=' 'CHROMEDRIVER=' 'serve.sh needs neither'; do
        grep -qF -- "$want" "$log" || fail "setup.sh without a browser: no '$want' in its message:"$'\n'"$(cat "$log")"
    done
    if grep -q 'installing chromium' "$log"; then fail "setup.sh tried to install chromium"; fi
}
start=$(now)
nowhere="$tmp/nowhere"
log="$tmp/no-browser.log"
if "${run_env[@]}" SDP_DEFAULT_CHROMIUM="$nowhere/chromium" SDP_DEFAULT_CHROMEDRIVER="$nowhere/chromedriver" \
    "$bin/bash" scripts/setup.sh >"$log" 2>&1; then
    fail "setup.sh (all) succeeded with no browser and no apt-get"
else
    expect_browser_message "$log" "apt-get is not available here"
fi
log="$tmp/bad-path.log"
if "${run_env[@]}" CHROMIUM_PATH="$nowhere/chrome" CHROMEDRIVER="$nowhere/chromedriver" \
    "$bin/bash" scripts/setup.sh >"$log" 2>&1; then
    fail "setup.sh (all) accepted a CHROMIUM_PATH that does not exist"
else
    expect_browser_message "$log" "Not an executable file: $nowhere/chrome and $nowhere/chromedriver"
fi
# A browser elsewhere, named by CHROMIUM_PATH and CHROMEDRIVER, is taken as it is.
if [ -x "$SDP_CHROMIUM" ] && [ -x "$SDP_CHROMEDRIVER" ]; then
    mkdir -p "$tmp/browser"
    ln -s "$SDP_CHROMIUM" "$tmp/browser/chrome"
    ln -s "$SDP_CHROMEDRIVER" "$tmp/browser/chromedriver"
    log="$tmp/custom.log"
    if "${run_env[@]}" CHROMIUM_PATH="$tmp/browser/chrome" CHROMEDRIVER="$tmp/browser/chromedriver" \
        "$bin/bash" scripts/setup.sh >"$log" 2>&1; then
        grep -qF "chromium + chromedriver ($tmp/browser/chrome, $tmp/browser/chromedriver): present" "$log" ||
            fail "setup.sh did not report the CHROMIUM_PATH browser:"$'\n'"$(cat "$log")"
    else
        fail "setup.sh (all) with CHROMIUM_PATH and CHROMEDRIVER set failed:"$'\n'"$(cat "$log")"
    fi
else
    warn "no browser at $SDP_CHROMIUM / $SDP_CHROMEDRIVER: not checking CHROMIUM_PATH + CHROMEDRIVER"
fi
say "4. setup.sh (all) without a browser: stops with what to install; honours CHROMIUM_PATH/CHROMEDRIVER: ok in $(elapsed "$start" "$(now)")"

# 5. No cargo, rustc, node or npm (CARGO_HOME elsewhere, so that sdp_env adds no ~/.cargo/bin).
start=$(now)
mkdir -p "$tmp/bare"
ln -s "$check_bash" "$tmp/bare/bash"
for tool in env dirname; do ln -s "$(command -v "$tool")" "$tmp/bare/$tool"; done
log="$tmp/bare.log"
if env -i "HOME=$HOME" "PATH=$tmp/bare" "CARGO_HOME=$tmp/no-cargo" "$tmp/bare/bash" scripts/setup.sh build >"$log" 2>&1; then
    fail "setup.sh build succeeded without cargo and node"
else
    for want in 'cargo and rustc: not found' 'sh.rustup.rs' 'node and npm: not found' \
        'nvm install' 'brew install node'; do
        grep -qF -- "$want" "$log" || fail "setup.sh build without Rust and Node: no '$want' in:"$'\n'"$(cat "$log")"
    done
fi
say "5. setup.sh build without Rust or Node.js: says how to install them: ok in $(elapsed "$start" "$(now)")"

if [ "$failures" -gt 0 ]; then
    die "$failures check(s) failed"
fi
say "all checks passed"
