#!/bin/bash
# make demo: the whole of 项城市 on one machine. Two embedded Kafka clusters (the city's and
# the province's, `gdx broker`), a schema registry for each (`gdx registry`), the 112 systems'
# simulated sources (examples/xiangcheng/simulate.py: a day's volume in about a minute) and,
# under one `gdx supervise`, the connector of every system and the uplink to the province.
# While it runs, a progress line read from the supervisor's /status; then the per-unit table
# (from the audit trail), `gdx audit verify` and `gdx audit reconcile`.
#
#   examples/city-demo.sh [--duration 60s] [--speed 1440] [--keep] [--work DIR]
#                         [--listen HOST:PORT] [--summary FILE]
#
#   --duration T   how long the simulator runs (default 60s: a simulated day at 1440x)
#   --speed X      simulated seconds per wall second (default 1440)
#   --start T      simulated start, "2026-09-21 08:00:00" (default: the span before now)
#   --keep         keep everything running after the report until Ctrl-C (make demo KEEP=1)
#   --work DIR     where the run lives (default a new folder under /tmp; kept with --keep
#                  or when the run fails, removed otherwise)
#   --listen H:P   the supervisor's HTTP address (default 127.0.0.1:0, a free port)
#   --summary FILE write the run's figures as JSON (tests, bench)
#
# Exit 0 when every source was read, the audit trail verifies and reconcile is clean.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
GDX=${GDX_BUILD:-$ROOT/build}/gdx
PY=/usr/bin/python3
X=$ROOT/examples/xiangcheng
DURATION=60s
SPEED=1440
KEEP=${KEEP:-0}
W=
LISTEN=127.0.0.1:0
SUMMARY=
START=
while [ $# -gt 0 ]; do
    case $1 in
    --duration) DURATION=$2; shift 2 ;;
    --speed) SPEED=$2; shift 2 ;;
    --start) START=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --work) W=$2; shift 2 ;;
    --listen) LISTEN=$2; shift 2 ;;
    --summary) SUMMARY=$2; shift 2 ;;
    -h | --help) sed -n '2,/^set /p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "city-demo: unknown option '$1' (try --help)" >&2; exit 2 ;;
    esac
done
[ -x "$GDX" ] || { echo "city-demo: '$GDX' is missing (make)" >&2; exit 1; }
[ -x "$PY" ] || { echo "city-demo: Debian's /usr/bin/python3 is missing" >&2; exit 1; }
[ "$KEEP" = 1 ] || KEEP=0
if [ -z "$W" ]; then
    W=$(mktemp -d "${TMPDIR:-/tmp}/gdx-city.XXXXXX")
else
    rm -rf "$W" && mkdir -p "$W"
fi

PIDS=()
SUP=
SIM=
FAILED=0
stop_all() {
    local p
    # the connectors first: the simulated APIs and senders outlive them
    [ -n "$SUP" ] && kill -TERM "$SUP" 2>/dev/null && wait "$SUP" 2>/dev/null
    SUP=
    [ -n "$SIM" ] && kill -TERM "$SIM" 2>/dev/null && wait "$SIM" 2>/dev/null
    SIM=
    for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill -TERM "$p" 2>/dev/null; done
    for p in "${PIDS[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null; done
    PIDS=()
}
cleanup() {
    stop_all
    if [ "$KEEP" = 1 ] || [ "$FAILED" != 0 ]; then
        echo "the run's files (logs, audit trail, sources) are in $W"
    else
        rm -rf "$W"
    fi
}
trap cleanup EXIT
trap 'echo; echo "stopping (Ctrl-C)"; exit 130' INT TERM
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
die() { FAILED=1; echo "city-demo: $*" >&2; exit 1; }
now_ms() { date +%s%3N; }
T0=$(now_ms)

# wait_file SECONDS FILE LOG: until FILE is non-empty, else show LOG and fail
wait_file() {
    local i
    for i in $(seq $(($1 * 10))); do [ -s "$2" ] && return 0; sleep 0.1; done
    tail -20 "$3" >&2
    die "'$2' did not appear within $1 s"
}

step "two embedded Kafka clusters (gdx broker): the city's and the province's"
# every city topic with room for what this run writes to it (the embedded broker keeps
# ~5 MiB a partition), besides the topics of broker-config/ (generated from the inventory)
city_topics=()
for t in $($PY "$X/citydemo.py" partitions --speed "$SPEED" --duration "$DURATION"); do
    city_topics+=(--topic "$t")
done
prov_topics=(--topic _gdx.uplink.offsets:6 --topic _schemas:1)
for t in $($PY "$X/citydemo.py" partitions --speed "$SPEED" --duration "$DURATION" \
    --prefix henan.411681.); do
    prov_topics+=(--topic "$t")
done
"$GDX" broker --bootstrap-file "$W/city.bootstrap" --topics "$ROOT/broker-config/topics.yaml" \
    "${city_topics[@]}" --log-level warn >"$W/broker-city.log" 2>&1 &
PIDS+=($!)
"$GDX" broker --bootstrap-file "$W/province.bootstrap" --no-topics "${prov_topics[@]}" \
    --log-level warn >"$W/broker-province.log" 2>&1 &
PIDS+=($!)
wait_file 30 "$W/city.bootstrap" "$W/broker-city.log"
wait_file 30 "$W/province.bootstrap" "$W/broker-province.log"
export GDX_BOOTSTRAP=$(cat "$W/city.bootstrap") GDX_PROVINCE_BOOTSTRAP=$(cat "$W/province.bootstrap")
echo "city:     $GDX_BOOTSTRAP ($(grep -c 'name:' "$ROOT/broker-config/topics.yaml") topics of broker-config/topics.yaml, 3 brokers)"
echo "province: $GDX_PROVINCE_BOOTSTRAP"

step "a schema registry for each (gdx registry)"
"$GDX" registry --listen 127.0.0.1:0 --url-file "$W/city.registry" --bootstrap "$GDX_BOOTSTRAP" \
    --log-level warn >"$W/registry-city.log" 2>&1 &
PIDS+=($!)
"$GDX" registry --listen 127.0.0.1:0 --url-file "$W/province.registry" \
    --bootstrap "$GDX_PROVINCE_BOOTSTRAP" --log-level warn >"$W/registry-province.log" 2>&1 &
PIDS+=($!)
wait_file 30 "$W/city.registry" "$W/registry-city.log"
wait_file 30 "$W/province.registry" "$W/registry-province.log"
export GDX_REGISTRY_URL=$(cat "$W/city.registry") GDX_PROVINCE_REGISTRY_URL=$(cat "$W/province.registry")
echo "city:     $GDX_REGISTRY_URL"
echo "province: $GDX_PROVINCE_REGISTRY_URL"

export GDX_KEYS=$W/keys GDX_AUDIT_DIR=$W/audit GDX_SIM=$W/sim GDX_STATE_DIR=$W/state GDX_DEPLOYMENT=
mkdir -p "$GDX_KEYS" "$GDX_AUDIT_DIR" "$GDX_STATE_DIR"
units=$($PY - "$X" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
import city
print(" ".join(u["id"] for u in city.load_inventory()["units"]))
PY
)
step "keys: an SM4 data key and an SM2 audit key for each of the $(echo $units | wc -w) units and the uplink"
: >"$W/trust.txt"
for u in $units uplink; do
    "$GDX" keygen --sm4 "$GDX_KEYS/$u.key" >/dev/null 2>&1 &&
        "$GDX" keygen --sm2 "$GDX_KEYS/$u-audit.pem" --pub "$GDX_KEYS/$u-audit.pub.pem" \
            >/dev/null 2>&1 || die "cannot create the keys of $u"
    echo "$u-audit $GDX_KEYS/$u-audit.pub.pem" >>"$W/trust.txt"
done
echo "$(ls "$GDX_KEYS" | grep -c '\.key$') SM4 keys, $(ls "$GDX_KEYS" | grep -c 'audit\.pem$') SM2 keys in $GDX_KEYS (mode 0600)"

step "the 112 systems' sources (simulate.py --prepare: folders, databases with their registers, APIs' tokens)"
$PY "$X/simulate.py" --root "$GDX_SIM" --prepare --quiet 2>"$W/prepare.err" ||
    { cat "$W/prepare.err" >&2; die "simulate.py --prepare failed"; }
echo "$(ls "$GDX_SIM" | grep -c '\.db$') databases, $(ls -d "$GDX_SIM"/*/ | wc -l) folders under $GDX_SIM"

step "the sources start: the APIs of the http systems listen, the clock waits (simulate.py --hold)"
# the simulator serves the http systems' APIs and posts the webhook systems' records; it
# keeps serving after its last record (--linger) until the run is over
$PY "$X/simulate.py" --root "$GDX_SIM" --speed "$SPEED" --duration "$DURATION" --quiet \
    ${START:+--start "$START"} --hold "$W/go" --linger 100000 --webhook-batch 200 >"$W/simulate.out" 2>"$W/simulate.err" &
SIM=$!
wait_file 60 "$GDX_SIM/simulate.ready" "$W/simulate.err"
export GDX_SIM_API=$(cat "$GDX_SIM/simulate.ready")
echo "the city's API gateway (20 http systems): $GDX_SIM_API"

step "gdx supervise: 112 connectors and the uplink, one process each"
ncfg=$(ls "$X/connectors" | grep -c '\.yaml$')
sup_t0=$(now_ms)
"$GDX" supervise --listen "$LISTEN" --url-file "$W/status.url" --state-dir "$GDX_STATE_DIR" \
    --inventory "$X/inventory.yaml" "$X/connectors" >"$W/supervise.out" 2>"$W/supervise.log" &
SUP=$!
wait_file 30 "$W/status.url" "$W/supervise.log"
URL=$(cat "$W/status.url")
echo "status page: $URL/   (JSON: $URL/status, Prometheus: $URL/metrics)"
# every config running (a kind this build lacks is listed, not started)
start_s=
for _ in $(seq 1200); do
    read -r nrun nbuilt nstop < <(curl -s "$URL/status" 2>/dev/null | $PY -c '
import json, sys
d = json.load(sys.stdin)
s = [x for u in d["units"] for x in u["systems"] if x.get("config")]
print(sum(x["state"] == "running" for x in s), sum(x["kind_built"] for x in s),
      sum(x["state"] == "stopped" for x in s))' 2>/dev/null || echo "0 1 0")
    if [ "$nrun" -ge "$nbuilt" ] && [ "$nbuilt" -gt 0 ]; then
        start_s=$(awk -v a="$(now_ms)" -v b="$sup_t0" 'BEGIN { printf "%.1f", (a - b) / 1000 }')
        break
    fi
    [ "$nstop" -gt 0 ] && break
    sleep 0.25
done
[ -n "$start_s" ] || {
    grep -E 'level=error' "$W/supervise.log" | tail -10 >&2
    die "not every connector started (see $W/supervise.log)"
}
echo "$nrun of $ncfg configs running after $start_s s"
curl -s "$URL/status" | $PY -c '
import json, sys
d = json.load(sys.stdin)
st = d["summary"]["states"]
print("states: " + ", ".join("%s %d" % kv for kv in sorted(st.items())))'

step "simulating $DURATION at ${SPEED}x: a day's volume of the 112 systems"
sim_t0=$(now_ms)
touch "$W/go"
final() { grep -q '"final": true' "$GDX_SIM/simulate.stats.json" 2>/dev/null; }
while ! final; do
    kill -0 "$SIM" 2>/dev/null || break
    line=$($PY "$X/citydemo.py" progress --url "$URL" --sim "$GDX_SIM" 2>/dev/null) &&
        printf '\r\033[K  %s' "$line"
    sleep 2
done
printf '\r\033[K'
final || { tail -20 "$W/simulate.err" >&2; die "the simulator failed"; }
sim_s=$(awk -v a="$(now_ms)" -v b="$sim_t0" 'BEGIN { printf "%.1f", (a - b) / 1000 }')
echo "  the simulator wrote its last records after $sim_s s"

step "waiting until every connector has committed what its source made, and the uplink forwarded it"
$PY "$X/citydemo.py" drained --url "$URL" --sim "$GDX_SIM" --wait 300 | tr '\n' '\r'
drain_rc=${PIPESTATUS[0]}
printf '\r\033[K'
$PY "$X/citydemo.py" progress --url "$URL" --sim "$GDX_SIM" | sed 's/^/  /'
drain_s=$(awk -v a="$(now_ms)" -v b="$sim_t0" 'BEGIN { printf "%.1f", (a - b) / 1000 }')
[ "$drain_rc" = 0 ] || die "not everything arrived (see $W/supervise.log)"
echo "  all in $drain_s s after the simulator started"
curl -s "$URL/status" >"$W/status.json"

if [ "$KEEP" != 1 ]; then
    step "stopping the supervisor (every child commits, seals its audit trail and exits)"
    kill -TERM "$SUP"
    wait "$SUP"
    echo "  exit $?"
    SUP=
    kill -TERM "$SIM" 2>/dev/null && wait "$SIM" 2>/dev/null
    SIM=
fi

step "per unit (from the audit trail: batch_committed and uplink_batch events)"
$PY "$X/citydemo.py" table --audit "$GDX_AUDIT_DIR" --sim "$GDX_SIM" --json "$W/table.json"

step "the auditor: gdx audit verify --trust"
"$GDX" audit verify --trust "$W/trust.txt" "$GDX_AUDIT_DIR" >"$W/verify.out" 2>&1
verify_rc=$?
grep -v '^WARNING: .*unsealed' "$W/verify.out" | tail -5 | sed 's/^\(OK: [^:]*\): .*/\1/; s/^/  /'
[ "$verify_rc" = 0 ] || FAILED=1

step "gdx audit reconcile: the trail against what the city cluster holds"
"$GDX" audit reconcile --bootstrap "$GDX_BOOTSTRAP" "$GDX_AUDIT_DIR" >"$W/reconcile.out" 2>&1
reconcile_rc=$?
tail -4 "$W/reconcile.out" | sed 's/^/  /'
[ "$reconcile_rc" = 0 ] || FAILED=1

total_s=$(awk -v a="$(now_ms)" -v b="$T0" 'BEGIN { printf "%.1f", (a - b) / 1000 }')
if [ -n "$SUMMARY" ]; then
    $PY - "$W" "$SUMMARY" "$start_s" "$sim_s" "$drain_s" "$total_s" "$verify_rc" "$reconcile_rc" \
        "$URL" <<'PY'
import json, sys
w, out = sys.argv[1], sys.argv[2]
t = json.load(open(w + "/table.json", encoding="utf-8"))
json.dump({"work": w, "start_s": float(sys.argv[3]), "simulate_s": float(sys.argv[4]),
           "drain_s": float(sys.argv[5]), "total_s": float(sys.argv[6]),
           "verify_rc": int(sys.argv[7]), "reconcile_rc": int(sys.argv[8]), "url": sys.argv[9],
           "records": sum(u["records"] for u in t["units"]),
           "dead_letters": sum(u["dead_letters"] for u in t["units"]),
           "uplinked": sum(u["uplinked"] for u in t["units"])},
          open(out, "w"), indent=1)
PY
fi
if [ "$FAILED" != 0 ]; then
    die "the audit trail did not verify or reconcile (see $W/verify.out, $W/reconcile.out)"
fi
echo
echo "done in $total_s s. The status page was $URL/ while the city ran."
if [ "$KEEP" = 1 ]; then
    step "everything keeps running: the status page is $URL/"
    echo "  the city cluster: GDX_BOOTSTRAP=$GDX_BOOTSTRAP, e.g. $GDX tail -n 3 gov.hotline12345.workorders.workorder"
    echo "  press Ctrl-C to stop (the connectors, the uplink, the registries and both clusters)"
    while kill -0 "$SUP" 2>/dev/null; do sleep 1; done
fi
exit 0
