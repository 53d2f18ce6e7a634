#!/bin/bash
# make demo-small: start an embedded Kafka, drop a day's exports of two departments into their
# folders, run their connectors until the files are done, and show what arrived.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
GDX=${GDX_BUILD:-$ROOT/build}/gdx
PY=/usr/bin/python3
W=$(mktemp -d /tmp/gdx-demo.XXXXXX)
BROKER=
REGISTRY=
cleanup() {
    [ -n "$REGISTRY" ] && kill -TERM "$REGISTRY" 2>/dev/null && wait "$REGISTRY" 2>/dev/null
    [ -n "$BROKER" ] && kill -TERM "$BROKER" 2>/dev/null && wait "$BROKER" 2>/dev/null
    rm -rf "$W"
}
trap cleanup EXIT
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "starting the embedded Kafka (gdx broker, 3 brokers on 127.0.0.1)"
"$GDX" broker --bootstrap-file "$W/bootstrap" --topics "$ROOT/broker-config/topics.yaml" \
    >"$W/broker.log" 2>&1 &
BROKER=$!
for _ in $(seq 100); do [ -s "$W/bootstrap" ] && break; sleep 0.1; done
[ -s "$W/bootstrap" ] || { cat "$W/broker.log"; exit 1; }
export GDX_BOOTSTRAP=$(cat "$W/bootstrap") GDX_DROP=$W/drop GDX_STATE_DIR=$W/state GDX_KEYS=$W/keys \
    GDX_AUDIT_DIR=$W/audit
echo "bootstrap: $GDX_BOOTSTRAP"

step "starting the embedded schema registry (gdx registry, Confluent REST API)"
"$GDX" registry --listen 127.0.0.1:0 --url-file "$W/registry.url" >"$W/registry.log" 2>&1 &
REGISTRY=$!
for _ in $(seq 100); do [ -s "$W/registry.url" ] && break; sleep 0.1; done
[ -s "$W/registry.url" ] || { cat "$W/registry.log"; exit 1; }
export GDX_REGISTRY_URL=$(cat "$W/registry.url")
echo "registry: $GDX_REGISTRY_URL"

step "creating keys (SM4 data keys and SM2 audit keys, mode 0600)"
mkdir -p "$GDX_KEYS"
for k in city-token hotline12345 grid mediation; do
    "$GDX" keygen --sm4 "$GDX_KEYS/$k.key" >/dev/null
done
: >"$W/trust.txt"
for u in hotline12345 grid mediation; do
    "$GDX" keygen --sm2 "$GDX_KEYS/$u-audit.pem" --pub "$GDX_KEYS/$u-audit.pub.pem" >/dev/null
    echo "$u-audit $GDX_KEYS/$u-audit.pub.pem" >>"$W/trust.txt"
done
ls -l "$GDX_KEYS" | sed 's/^/  /'

step "generating a day's exports"
mkdir -p "$W/drop/hotline" "$W/drop/grid"
$PY "$ROOT/examples/gen_sample.py" --kind workorders --rows 10000 --encoding gb18030 --bad 7 \
    --seed 12345 --out "$W/drop/hotline/workorders-20260920.csv" 2>"$W/bad-hotline.txt"
touch "$W/drop/hotline/workorders-20260920.csv.ok"
$PY "$ROOT/examples/gen_sample.py" --kind incidents --rows 5000 --bad 3 --seed 2619 \
    --out "$W/drop/grid/incidents-20260920.jsonl" 2>"$W/bad-grid.txt"
touch "$W/drop/grid/incidents-20260920.jsonl.ok"
$PY "$ROOT/examples/gen_mediation_db.py" --rows 2000 --out "$W/drop/mediation.db"
ls -l "$W/drop/hotline" "$W/drop/grid" "$W/drop/mediation.db" | sed 's/^/  /'

step "checking the connector files"
for c in hotline12345.workorders grid.incidents mediation.cases; do
    "$GDX" connector check -c "$ROOT/examples/demo/$c.yaml" 2>/dev/null | sed 's/^/  /'
done

step "running the three connectors until their sources are drained"
start=$(date +%s%N)
"$GDX" connector run --once -c "$ROOT/examples/demo/hotline12345.workorders.yaml" \
    2>"$W/hotline.log" &
P1=$!
"$GDX" connector run --once -c "$ROOT/examples/demo/grid.incidents.yaml" 2>"$W/grid.log" &
P2=$!
"$GDX" connector run --once -c "$ROOT/examples/demo/mediation.cases.yaml" 2>"$W/mediation.log" &
P3=$!
wait $P1 || { echo "hotline connector failed:"; tail -20 "$W/hotline.log"; exit 1; }
wait $P3 || { echo "mediation connector failed:"; tail -20 "$W/mediation.log"; exit 1; }
wait $P2 || { echo "grid connector failed:"; tail -20 "$W/grid.log"; exit 1; }
end=$(date +%s%N)
echo "  done in $(( (end - start) / 1000000 )) ms"

step "per-system counts"
printf '  %-28s %10s %13s\n' system records "dead letters"
for pair in "hotline12345.workorders gov.hotline12345.workorders.workorder" \
    "grid.incidents gov.grid.incidents.incident" "mediation.cases gov.mediation.cases.case"; do
    set -- $pair
    n=$("$GDX" tail --from-beginning "$2" | wc -l)
    d=$("$GDX" tail --from-beginning "_gdx.dlq.$1" | wc -l)
    printf '  %-28s %10s %13s\n' "$1" "$n" "$d"
done
echo "  files now in done/: $(ls "$W/drop/hotline/done" "$W/drop/grid/done" | grep -c -E 'csv$|jsonl$')"

step "three decoded work orders (gdx tail -n 3)"
"$GDX" tail -n 3 gov.hotline12345.workorders.workorder

step "one dead letter with its context (gdx tail -H); its raw row is sealed"
"$GDX" tail -H -n 1 _gdx.dlq.hotline12345.workorders
echo "  decrypted by the department's key holder (gdx decrypt):"
"$GDX" tail -n 1 _gdx.dlq.hotline12345.workorders | sed 's/^"//; s/"$//' |
    "$GDX" decrypt -k "$GDX_KEYS/hotline12345.key" | iconv -f gb18030 -t utf-8 | sed 's/^/  /'

step "the auditor's view: gdx audit verify, report and reconcile"
"$GDX" audit verify --trust "$W/trust.txt" "$W/audit" | sed 's/^/  /'
"$GDX" audit report --format md "$W/audit" | sed 's/^/  /'
"$GDX" audit reconcile --bootstrap "$GDX_BOOTSTRAP" "$W/audit" 2>&1 | tail -3 | sed 's/^/  /'

step "the schemas in the registry"
curl -s "$GDX_REGISTRY_URL/subjects" 2>/dev/null | sed 's/^/  /' || true
echo

step "stopping the registry and the embedded Kafka"
