# tests/lib.sh - TAP helpers and process management for process-level tests.
#
#   . "$(dirname "$0")/../lib.sh"
#   ok CMD...            run CMD, pass if it exits 0
#   is GOT WANT NAME     compare strings
#   start_broker [ARGS]  start `gdx broker` on loopback; sets BOOTSTRAP, BROKER_CTL
#   done_testing
#
# Every test gets its own temporary directory ($T) and all processes it started are
# stopped at exit, pass or fail.

set -u
GDX_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
GDX_BUILD=${GDX_BUILD:-$GDX_ROOT/build}
GDX=$GDX_BUILD/gdx
T=$(mktemp -d "${TMPDIR:-/tmp}/gdx-test.XXXXXX")
TAP_N=0
TAP_FAILED=0
PIDS=()

tap_cleanup() {
    local p
    for p in "${PIDS[@]:-}"; do
        [ -n "$p" ] && kill -TERM "$p" 2>/dev/null
    done
    for p in "${PIDS[@]:-}"; do
        [ -n "$p" ] && wait "$p" 2>/dev/null
    done
    if [ "${KEEP_TMP:-0}" = 1 ] || [ "$TAP_FAILED" != 0 ]; then
        echo "# kept $T"
    else
        rm -rf "$T"
    fi
}
trap tap_cleanup EXIT

pass() { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - $*"; }
fail() { TAP_N=$((TAP_N + 1)); TAP_FAILED=$((TAP_FAILED + 1)); echo "not ok $TAP_N - $*"; }
diag() { echo "# $*"; }

ok() {
    local name=$1; shift
    if "$@" >"$T/ok.out" 2>&1; then pass "$name"; else fail "$name"; sed 's/^/#   /' "$T/ok.out" | head -20; fi
}

is() {
    if [ "$1" = "$2" ]; then pass "$3"; else fail "$3"; echo "#   got: '$1'"; echo "#  want: '$2'"; fi
}

done_testing() {
    echo "1..$TAP_N"
    [ "$TAP_FAILED" = 0 ]
    exit $?
}

skip_all() { echo "1..0 # SKIP $*"; exit 0; }

# Wait until a command succeeds, up to N seconds.
wait_for() {
    local secs=$1; shift
    local i=0
    while ! "$@" >/dev/null 2>&1; do
        i=$((i + 1))
        [ $i -ge $((secs * 10)) ] && return 1
        sleep 0.1
    done
    return 0
}

# start_broker [extra gdx broker args]: embedded Kafka on loopback.
start_broker() {
    "$GDX" broker --bootstrap-file "$T/bootstrap" --control "$T/broker.sock" \
        --topics "$GDX_ROOT/broker-config/topics.yaml" "$@" >"$T/broker.log" 2>&1 &
    PIDS+=($!)
    BROKER_PID=$!
    if ! wait_for 20 test -s "$T/bootstrap"; then
        echo "# broker did not start:"; sed 's/^/#   /' "$T/broker.log"; return 1
    fi
    BOOTSTRAP=$(cat "$T/bootstrap")
    BROKER_CTL=$T/broker.sock
    export BOOTSTRAP BROKER_CTL
}

# broker_ctl CMD...: send one fault command to the running broker
broker_ctl() {
    "$GDX" broker ctl --control "$BROKER_CTL" "$@"
}

# bg CMD...: start in the background, remember the pid in LAST_PID
bg() {
    "$@" &
    LAST_PID=$!
    PIDS+=($LAST_PID)
}
