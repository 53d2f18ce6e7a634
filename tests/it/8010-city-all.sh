#!/bin/bash
# make test-long: every file and sql system of 项城市 end to end. Half a simulated day of all of
# them (monthly and weekly systems with their last whole period, registers with their
# content), then each connector --once, three at a time; on Kafka exactly the good records of
# each source, the malformed ones as sealed dead letters at their positions, no record twice,
# and an audit trail that verifies.
. "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3
[ -x "$PY" ] || skip_all "Debian's /usr/bin/python3 is not installed"
X=$GDX_ROOT/examples/xiangcheng
CHECK=$GDX_ROOT/tests/it/citycheck.py
"$PY" "$CHECK" systems | awk '$2 == "file" || $2 == "sql" {print $1}' >"$T/cids"
"$PY" "$CHECK" systems | awk '$2 == "file" || $2 == "sql"' >"$T/systems"
# the mock keeps ~5 MiB a partition: room for the big monthly exports (45,000 rows)
topics=()
for t in $("$PY" - "$X" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
import city
span = {"monthly": 50, "weekly": 14, "daily": 2, "hourly": 0.5, "realtime": 0.5}
for s in city.systems(city.load_inventory()):
    if s["kind"] in ("file", "sql") and s["per_day"] * span[s["cycle"]] > 4000:
        print(s["topic"])
PY
); do
    topics+=(--topic "$t:16")
done
start_broker "${topics[@]}" || { fail "broker starts"; done_testing; }
start_registry reg "$BOOTSTRAP" || { fail "registry starts"; done_testing; }
export GDX_BOOTSTRAP=$BOOTSTRAP GDX_REGISTRY_URL=$reg_REG GDX_KEYS=$T/keys GDX_AUDIT_DIR=$T/audit \
    GDX_SIM=$T/sim GDX_STATE_DIR=$T/state
mkdir -p "$GDX_KEYS" "$GDX_STATE_DIR"
: >"$T/trust.txt"
for u in $("$PY" "$CHECK" units); do
    "$GDX" keygen --sm4 "$GDX_KEYS/$u.key" >/dev/null 2>&1
    "$GDX" keygen --sm2 "$GDX_KEYS/$u-audit.pem" --pub "$GDX_KEYS/$u-audit.pub.pem" >/dev/null 2>&1
    echo "$u-audit $GDX_KEYS/$u-audit.pub.pem" >>"$T/trust.txt"
done
timeout 900 "$PY" "$X/simulate.py" --root "$GDX_SIM" --kinds file,sql --speed 1440 --duration 30s \
    --start "2026-09-20 00:00:00" --quiet 2>"$T/sim.err"
is "$?" 0 "half a simulated day of the $(wc -l <"$T/cids") file and sql systems"
GDX_X="$X" GDX_BIN="$GDX" GDX_OUT="$T" xargs -P 3 -n 1 sh -c '
    timeout 600 "$GDX_BIN" connector run --once -c "$GDX_X/connectors/$0.yaml" >"$GDX_OUT/run-$0.log" 2>&1
    echo $? >"$GDX_OUT/run-$0.rc"' <"$T/cids"
failed=""
while read -r cid; do
    [ "$(cat "$T/run-$cid.rc")" = 0 ] || failed="$failed $cid"
done <"$T/cids"
is "$failed" "" "every connector drained its source"
"$PY" "$CHECK" verify --sim "$GDX_SIM" --gdx "$GDX" $(cat "$T/cids") >"$T/verify.out" 2>&1
while read -r line; do
    case $line in
    "ok "*) pass "${line#ok }" ;;
    *) fail "$line" ;;
    esac
done <"$T/verify.out"
"$GDX" audit verify --trust "$T/trust.txt" "$GDX_AUDIT_DIR" >"$T/audit.out" 2>&1
is "$?" 0 "the audit trail of the 83 connectors verifies"
tail -3 "$T/audit.out" | sed 's/^/#   /'
done_testing
