#!/bin/bash
# The connector configs of the 项城市 inventory (examples/xiangcheng/connectors/): every config
# of a connector kind this build has passes `gdx connector check` against a real `gdx broker`
# and `gdx registry`, with its simulated source prepared (simulate.py --prepare) and the
# units' keys in place; systems of kinds not built yet are skipped, one by one, and counted.
# Then the systems the city names that have a file or sql source run end to end: a few
# simulated hours, each connector --once, and on Kafka exactly the good records the source
# holds, with the malformed ones as sealed dead letters at their positions.
. "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3
[ -x "$PY" ] || skip_all "Debian's /usr/bin/python3 is not installed"
X=$GDX_ROOT/examples/xiangcheng
CHECK=$GDX_ROOT/tests/it/citycheck.py

ok "the configs are what gen_connectors.py writes" "$PY" "$X/gen_connectors.py" --check

start_broker || { fail "broker starts"; done_testing; }
start_registry reg "$BOOTSTRAP" || { fail "registry starts"; done_testing; }
export GDX_BOOTSTRAP=$BOOTSTRAP GDX_REGISTRY_URL=$reg_REG GDX_KEYS=$T/keys GDX_AUDIT_DIR=$T/audit \
    GDX_SIM=$T/sim GDX_STATE_DIR=$T/state
mkdir -p "$GDX_KEYS" "$GDX_STATE_DIR"
keys_ok=1
for u in $("$PY" "$CHECK" units); do
    "$GDX" keygen --sm4 "$GDX_KEYS/$u.key" >/dev/null 2>&1 &&
        "$GDX" keygen --sm2 "$GDX_KEYS/$u-audit.pem" --pub "$GDX_KEYS/$u-audit.pub.pem" \
            >/dev/null 2>&1 || keys_ok=0
done
is "$keys_ok" 1 "an SM4 data key and an SM2 audit key for each of the 30 units"

# which connector kinds this build has
built=" "
for k in file sql http webhook exec; do
    "$GDX" connector spec "$k" >/dev/null 2>&1 && built="$built$k "
done
diag "connector kinds built: $built"
kinds=$(echo $built | tr ' ' ',')
"$PY" "$X/simulate.py" --root "$GDX_SIM" --prepare --kinds "$kinds" --quiet 2>"$T/prepare.err"
is "$?" 0 "simulated sources prepared (folders, databases with their registers)"

# check every config, three at a time
mkdir -p "$T/check"
"$PY" "$CHECK" systems >"$T/systems"
while read -r cid kind config; do
    case $built in *" $kind "*) echo "$cid $config" ;; esac
done <"$T/systems" |
    GDX_ROOT_X="$X" GDX_BIN="$GDX" GDX_OUT="$T/check" xargs -P 3 -L 1 sh -c '
        f="$GDX_ROOT_X/connectors/$1"
        if [ -f "$f" ]; then
            timeout 60 "$GDX_BIN" connector check -c "$f" >"$GDX_OUT/$0.out" 2>&1
            echo $? >"$GDX_OUT/$0.rc"
        else
            echo missing >"$GDX_OUT/$0.rc"
        fi'

checked=0
skipped=""
while read -r cid kind config; do
    case $built in
    *" $kind "*)
        checked=$((checked + 1))
        rc=$(cat "$T/check/$cid.rc" 2>/dev/null)
        if [ "$rc" = 0 ] && grep -q '^result     ok: the connector can run' "$T/check/$cid.out" &&
            grep -q '^source     ok' "$T/check/$cid.out"; then
            pass "check $cid ($kind)"
        else
            fail "check $cid ($kind): ${rc:-no result}"
            sed 's/^/#   /' "$T/check/$cid.out" 2>/dev/null | tail -8
        fi
        ;;
    *)
        pass "# SKIP $cid: the $kind connector kind is not built here"
        skipped="$skipped $kind"
        ;;
    esac
done <"$T/systems"
n_fs=$(grep -cE ' (file|sql) ' "$T/systems")
if [ "$checked" -ge "$n_fs" ]; then
    pass "$checked configs checked (all $n_fs file and sql systems among them)"
else
    fail "$checked configs checked, fewer than the $n_fs file and sql systems"
fi
diag "skipped:$(for k in http webhook exec; do c=$(echo "$skipped" | tr ' ' '\n' | grep -c "^$k$"); [ "$c" -gt 0 ] && printf ' %s %d' "$k" "$c"; done)"

# the named systems with a file or sql source, end to end
NAMED="hotline12345.workorders hotline12345.workorder_events hotline12345.quality grid.incidents
whistle.steps mediation.cases govservice.applications govservice.one_things party.points_market
socialwork.riders_council party.dual_registration party.village_decisions"
NAMED=$(echo $NAMED)
"$PY" "$X/simulate.py" --root "$GDX_SIM" --only "$(echo $NAMED | tr ' ' ',')" --speed 1440 \
    --duration 6s --start "2026-09-20 06:00:00" --bad-rate 0.01 --quiet 2>"$T/sim.err"
is "$?" 0 "simulated a few hours of the named systems"
run_ok=1
for cid in $NAMED; do
    timeout 180 "$GDX" connector run --once -c "$X/connectors/$cid.yaml" >"$T/run-$cid.log" 2>&1 || {
        run_ok=0
        diag "$cid: exit $?"
        tail -5 "$T/run-$cid.log" | sed 's/^/#   /'
    }
done
is "$run_ok" 1 "each named system's connector drained its source"
"$PY" "$CHECK" verify --sim "$GDX_SIM" --gdx "$GDX" $NAMED >"$T/verify.out" 2>&1
while read -r line; do
    case $line in
    "ok "*) pass "${line#ok }" ;;
    *) fail "$line" ;;
    esac
done <"$T/verify.out"
ok "no personal value in clear in the connectors' logs" sh -c \
    "! grep -hE '4116[0-9]{12}[0-9X]|\\b1[3-9][0-9]{9}\\b' '$T'/run-*.log"
done_testing
