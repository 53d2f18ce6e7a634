# tests/it/faultloop.sh - SQLite-style fault loops for the process-level tests (09xx).
#
#   . "$(dirname "$0")/faultloop.sh"     (after tests/lib.sh and start_broker)
#   fault_loop POINT --says REGEX [--audit] [--registry URL] [--max N]
#
# For N = 1, 2, ... a fresh connector (id fl.<point>n<N>, FL_ROWS rows in two CSV files,
# batches of FL_BATCH) runs once with GDX_FAULTS=POINT@N, then once more without faults, as
# a supervisor would restart it. Each round checks:
#   - the fault fired (the log says `fault injected point=POINT hit=N`), else the point is
#     no longer reached: the run must then simply succeed, and the loop ends;
#   - a clear message: a warn line (the run went on) or an error line (the run stopped, exit
#     1) matching REGEX, which names what failed and why (the path and the errno text);
#   - after the restart: every row exactly once on the topic (seqcheck, against the offsets
#     the connector committed), every file in done/, nothing in failed/;
#   - with --audit: the audit trail verifies and its batch events count every row once.
# Prints one TAP line per round; sets FL_ROUNDS to the number of rounds the point fired.

FL_ROWS=${FL_ROWS:-60}
FL_BATCH=${FL_BATCH:-25}
FL_PY=/usr/bin/python3


fl_conf() { # DIR ID TOPIC AUDIT REGISTRY
    cat <<YAML
connector:
  id: $2
  kind: file
kafka:
  bootstrap.servers: $BOOTSTRAP
topic: $3
schema: $GDX_ROOT/tests/it/schemas/seq.avsc
key: k
state.dir: $1/state
batch:
  max.records: $FL_BATCH
YAML
    if [ -n "$5" ]; then
        echo "schema.registry.url: $5"
    else
        echo "wire.format: single-object"
    fi
    if [ "$4" = 1 ]; then
        cat <<YAML
audit:
  dir: $1/audit
  key.file: $FL_KEYS/audit.pem
  key.id: fault-loop-2026
  checkpoint.lines: 4
YAML
    fi
    cat <<YAML
source:
  path: $1/drop
  read.buffer.bytes: 4KiB
YAML
}

fl_check_audit() { # DIR ROWS
    "$GDX" audit verify --trust "$FL_KEYS/trust.txt" "$1/audit" >"$1/verify.out" 2>&1 || return 1
    $FL_PY - "$1/audit" "$2" <<'PYEOF'
import glob, json, sys
n = 0
for f in sorted(glob.glob(sys.argv[1] + "/*.jsonl")):
    for line in open(f, encoding="utf-8"):
        try:
            e = json.loads(line)
        except ValueError:
            continue  # a torn last line is reported by verify
        if e.get("type") == "batch_committed":
            n += e.get("records", 0)
if n != int(sys.argv[2]):
    print(f"batch events count {n} records, want {sys.argv[2]}")
    sys.exit(1)
PYEOF
}

fault_loop() {
    local point=$1 audit=0 registry="" max=40 says=""
    export GDX_BOOTSTRAP=$BOOTSTRAP
    shift
    while [ $# -gt 0 ]; do
        case $1 in
        --audit) audit=1 ;;
        --says) says=$2; shift ;;
        --registry) registry=$2; shift ;;
        --max) max=$2; shift ;;
        esac
        shift
    done
    if [ -z "${FL_KEYS:-}" ]; then
        FL_KEYS=$T/fl-keys
        mkdir -p "$FL_KEYS"
        "$GDX" keygen --sm2 "$FL_KEYS/audit.pem" --pub "$FL_KEYS/audit.pub.pem" >/dev/null 2>&1
        printf 'fault-loop-2026 %s\n' "$FL_KEYS/audit.pub.pem" >"$FL_KEYS/trust.txt"
    fi
    local tag=${point//./-} topic=gdx.test.faults n
    FL_ROUNDS=0
    for ((n = 1; n <= max; n++)); do
        local d=$T/fl/$tag/$n id=fl.${tag//-/_}n$n rows=$FL_ROWS rc rc2 why what
        mkdir -p "$d/drop" "$d/state"
        $FL_PY "$GDX_ROOT/tests/it/seqgen.py" "$d/drop" "$FL_ROWS" 2
        fl_conf "$d" "$id" "$topic" "$audit" "$registry" >"$d/c.yaml"
        GDX_FAULTS=$point@$n timeout 120 "$GDX" connector run --once -c "$d/c.yaml" \
            >"$d/run1.out" 2>"$d/run1.log"
        rc=$?
        if ! grep -q "msg=\"fault injected\" point=$point hit=$n\$" "$d/run1.log"; then
            # not reached an Nth time: the loop is over; this run saw no fault at all
            what="$point: hit fewer than $n times, the loop ends after $FL_ROUNDS round(s)"
            rc2=$rc
        else
            FL_ROUNDS=$n
            why=$(grep -E 'level=(warn|error)' "$d/run1.log" | grep -v 'msg="fault injected"' |
                grep -E -- "$says" | head -1)
            if [ -z "$why" ]; then
                fail "$point@$n: a warn or error line says /$says/ (exit $rc)"
                grep -E 'level=(warn|error)' "$d/run1.log" | tail -5 | cut -c1-300 | sed 's/^/#   /'
            fi
            why=${why#*level=}
            diag "$point@$n: exit $rc: $(cut -c1-300 <<<"${why//$T/\$T}")"
            timeout 120 "$GDX" connector run --once -c "$d/c.yaml" >"$d/run2.out" \
                2>"$d/run2.log"
            rc2=$?
            what="$point@$n: exit $rc, restart exit $rc2"
        fi
        "$GDX" tail -H --from-beginning -s "$GDX_ROOT/tests/it/schemas" ${registry:+-r "$registry"} \
            "$topic" >"$d/got.jsonl"
        "$GDX" tail -H --from-beginning _gdx.offsets >"$d/offsets.jsonl"
        local out
        out=$($FL_PY "$GDX_ROOT/tests/it/seqcheck.py" --count $rows --got "$d/got.jsonl" \
            --offsets "$d/offsets.jsonl" --connector "$id")
        local okay=1
        [ "$rc2" = 0 ] || okay=0
        [ "$(ls "$d/drop/done" 2>/dev/null | grep -c 'csv$')" = 2 ] || okay=0
        [ -z "$(ls "$d/drop/failed" 2>/dev/null)" ] || okay=0
        [ "$(ls "$d/drop" | grep -c 'csv')" = 0 ] || okay=0
        [ "$audit" = 0 ] || fl_check_audit "$d" $rows >"$d/audit.out" 2>&1 || okay=0
        if [ "$okay" = 1 ] && grep -q 'lost=0 duplicated=0' <<<"$out"; then
            pass "$what; $out"
        else
            fail "$what; $out"
            ls -R "$d/drop" | head -10 | sed 's/^/#   drop: /'
            [ "$audit" = 0 ] || sed 's/^/#   audit: /' "$d/audit.out" "$d/verify.out" | tail -5
            tail -5 "$d/run2.log" 2>/dev/null | sed 's/^/#   /'
        fi
        [ "$FL_ROUNDS" = "$n" ] || break
    done
}

# fault_rounds POINT --says REGEX [--max N]: the same loop for any connector, with three
# functions the test defines:
#   fr_prepare N DIR          a fresh source and config for round N in DIR (its own
#                             connector id, so rounds do not see each other's offsets)
#   fr_run DIR FAULTS LOG     run the connector once; GDX_FAULTS=FAULTS (empty: none)
#   fr_check N DIR            one line of summary; exit 0 when nothing is lost or duplicated
# For N = 1, 2, ...: the Nth hit of POINT fails; if it fired, a warn or error line must
# match REGEX and the connector runs again without faults, as a supervisor would restart it;
# then fr_check. The loop ends when POINT is hit fewer than N times. Sets FL_ROUNDS.
fault_rounds() {
    local point=$1 says="" max=40 n
    shift
    while [ $# -gt 0 ]; do
        case $1 in
        --says) says=$2; shift ;;
        --max) max=$2; shift ;;
        esac
        shift
    done
    FL_ROUNDS=0
    for ((n = 1; n <= max; n++)); do
        local d=$T/fr/${point//./-}/$n what why out
        mkdir -p "$d"
        fr_prepare "$n" "$d"
        fr_run "$d" "$point@$n" "$d/run1.log"
        local rc=$?
        if ! grep -q "msg=\"fault injected\" point=$point hit=$n\$" "$d/run1.log"; then
            what="$point: hit fewer than $n times, the loop ends after $FL_ROUNDS round(s)"
            local rc2=$rc
        else
            FL_ROUNDS=$n
            why=$(grep -E 'level=(warn|error)' "$d/run1.log" | grep -v 'msg="fault injected"' |
                grep -E -- "$says" | head -1)
            if [ -z "$why" ]; then
                fail "$point@$n: a warn or error line says /$says/ (exit $rc)"
                grep -E 'level=(warn|error)' "$d/run1.log" | tail -5 | cut -c1-300 | sed 's/^/#   /'
            fi
            why=${why#*level=}
            diag "$point@$n: exit $rc: $(cut -c1-300 <<<"${why//$T/\$T}")"
            fr_run "$d" "" "$d/run2.log"
            local rc2=$?
            what="$point@$n: exit $rc, restart exit $rc2"
        fi
        if out=$(fr_check "$n" "$d") && [ "$rc2" = 0 ]; then
            pass "$what; $out"
        else
            fail "$what; $out"
            tail -5 "$d/run2.log" 2>/dev/null | cut -c1-300 | sed 's/^/#   /'
        fi
        [ "$FL_ROUNDS" = "$n" ] || break
    done
}
