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
# Tests never read the host's deployment file (/etc/gdx/deployment.yaml): a test that wants one
# sets GDX_DEPLOYMENT itself.
export GDX_DEPLOYMENT=
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

# start_cluster NAME ARGS...: a `gdx broker` of its own (no default topics); sets
# <NAME>_BS (bootstrap) and <NAME>_CTL (control socket). For tests with two clusters.
start_cluster() {
    local name=$1; shift
    "$GDX" broker --no-topics --bootstrap-file "$T/$name.bootstrap" --control "$T/$name.sock" \
        "$@" >"$T/$name-broker.log" 2>&1 &
    PIDS+=($!)
    wait_for 20 test -s "$T/$name.bootstrap" || { sed 's/^/#   /' "$T/$name-broker.log"; return 1; }
    eval "${name}_BS=\$(cat \"\$T/$name.bootstrap\")"
    eval "${name}_CTL=\$T/$name.sock"
}

# start_registry NAME BOOTSTRAP: a `gdx registry` storing in BOOTSTRAP; sets <NAME>_REG
start_registry() {
    "$GDX" registry --listen 127.0.0.1:0 --url-file "$T/$1.url" --bootstrap "$2" \
        >"$T/$1-registry.log" 2>&1 &
    PIDS+=($!)
    wait_for 20 test -s "$T/$1.url" || { sed 's/^/#   /' "$T/$1-registry.log"; return 1; }
    eval "${1}_REG=\$(sed 's/^url=//' \"\$T/$1.url\")"
}

# --- city and province (uplink tests; need city_BS, prov_BS, provreg_REG, CITY_ID, W) ---

# city_workorders ROWS SEED: ROWS 12345 work orders on the city cluster through the file
# connector, without faults or aborts (resident IDs kept in clear); two assertions
city_workorders() {
    mkdir -p "$T/drop/wo" "$T/state" "$T/keys"
    [ -s "$T/keys/dept.key" ] || "$GDX" keygen --sm4 "$T/keys/dept.key" >/dev/null 2>&1 || fail "keygen"
    /usr/bin/python3 "$GDX_ROOT/examples/gen_sample.py" --kind workorders --rows "$1" --seed "$2" \
        --out "$T/drop/wo/wo-1.csv" 2>/dev/null && touch "$T/drop/wo/wo-1.csv.ok"
    cat >"$T/wo.yaml" <<YAML
connector:
  id: hotline12345.workorders
  kind: file
kafka:
  bootstrap.servers: $city_BS
topic: $W
schema: $GDX_ROOT/schemas/hotline12345/workorder.avsc
key: order_no
state.dir: $T/state
batch:
  max.records: 10000
protect:
  caller_id_no: keep
keys:
  encrypt.key.file: $T/keys/dept.key
YAML
    sed -n '/^fields:/,/^[a-z]/p' "$GDX_ROOT/examples/demo/hotline12345.workorders.yaml" |
        sed '$d' >>"$T/wo.yaml"
    printf 'source:\n  path: %s\n' "$T/drop/wo" >>"$T/wo.yaml"
    timeout 120 "$GDX" connector run --once -c "$T/wo.yaml" 2>"$T/wo.log"
    is "$?" 0 "$1 city work orders produced (no faults, no aborts)"
    ok "the city connector had no aborted batch" sh -c "! grep -q 'batch aborted' '$T/wo.log'"
}

# uplink_conf MAX_RECORDS [MAX_MS]: $T/uplink.yaml forwarding $W to the province with the
# tests' egress policy (mask name and phone, drop the ID, scrub free text)
uplink_conf() {
    cat >"$T/uplink.yaml" <<YAML
uplink:
  city.id: "$CITY_ID"
  destination: province
source:
  bootstrap.servers: $city_BS
  topics: [$W]
  schemas: $GDX_ROOT/schemas
destination:
  bootstrap.servers: $prov_BS
  schema.registry.url: $provreg_REG
  topic.prefix: henan
policy:
  share: [unconditional, conditional]
  approvals: {$W: "HN-APPROVAL-2026-0931"}
  protect:
    caller_name: mask
    caller_phone: mask
    caller_id_no: drop
    content: scrub
    reply: scrub
  keys:
    encrypt.key.file: $T/keys/dept.key
batch:
  max.records: $1
  max.ms: ${2:-1000}
state.dir: $T/state
YAML
}

# prov_ctl CMD...: one fault command to the provincial cluster
prov_ctl() { "$GDX" broker ctl --control "$prov_CTL" "$@" >/dev/null; }

# uplink_check: exactly-once and policy check of the province against the city
# (tests/it/uplinkcheck.py); prints its summary, sets UPLINK_CHECK and returns its status
uplink_check() {
    UPLINK_CHECK=$(/usr/bin/python3 "$GDX_ROOT/tests/it/uplinkcheck.py" --city "$city_BS" \
        --province "$prov_BS" --city-id "$CITY_ID" --prefix henan --topics "$W" \
        --dlq _gdx.dlq.uplink.province --registry "$provreg_REG" \
        --approval "$W=HN-APPROVAL-2026-0931" --expect-dlq 0)
    local rc=$?
    diag "$UPLINK_CHECK"
    return $rc
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
