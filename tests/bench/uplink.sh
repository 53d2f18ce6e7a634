#!/bin/bash
# make bench (uplink): forwarded records/s and MB/s of `gdx uplink` from a city cluster to a
# provincial cluster, beside two raw librdkafka baselines measured in the same run on the same
# pair of embedded clusters, printed as ratios:
#   (a) tests/tools/bench-mirror.c: consume -> produce in C, keys, values and headers copied,
#       no transactions, no policy, no schema work (what a plain mirror costs);
#   (b) tests/tools/bench-produce.c -x B: the raw transactional producer, one transaction per
#       B records (B = the uplink's batch.max.records), records of the same average key,
#       value and header size.
# The uplink runs twice: with the egress policy of the tests (mask name and phone, drop the
# ID, scrub free text: every record decoded, protected and re-encoded) and without field
# rules (records checked by the bounded walk and passed through). Goal: >= 80% of (b): the
# uplink with policy and (b) run interleaved for BENCH_ROUNDS rounds (default 3), and the
# median of the rounds' ratios is reported with their lowest and highest.
#
# Environment: BENCH_UPLINK_ROWS (default 200000), BENCH_UPLINK_BATCH (default 5000),
# BENCH_KEEP=1 keeps the work directory, BENCH_PROFILE=1 records the uplink runs with perf.
# Output: a Markdown table on stdout (and build/bench/uplink.md) plus machine lines
# `bench: NAME=VALUE baseline=... ratio=... goal=... met=yes|no`.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${GDX_BUILD:-$ROOT/build}
GDX=$BUILD/gdx
TOOLS=$BUILD/tools
PY=/usr/bin/python3
ROWS=${BENCH_UPLINK_ROWS:-200000}
B=${BENCH_UPLINK_BATCH:-5000}
OUT=$ROOT/build/bench
W=$OUT/uplink-work
PIDS=()
W_TOPIC=gov.hotline12345.workorders.workorder

die() {
    echo "bench: error: $*" >&2
    exit 1
}
cleanup() {
    local p
    for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill -TERM "$p" 2>/dev/null; done
    for p in "${PIDS[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null; done
    if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "bench: kept $W" >&2; else rm -rf "$W"; fi
}
trap cleanup EXIT
for f in "$GDX" "$TOOLS/bench-produce" "$TOOLS/bench-mirror"; do
    [ -x "$f" ] || die "missing $f (make tests-build)"
done
rm -rf "$W"
mkdir -p "$W/drop" "$W/state" "$W/keys"

cluster() {
    local name=$1; shift
    "$GDX" broker --no-topics --bootstrap-file "$W/$name.bootstrap" \
        --log-level warn "$@" >"$W/$name.log" 2>&1 &
    PIDS+=($!)
    for _ in $(seq 200); do [ -s "$W/$name.bootstrap" ] && break; sleep 0.1; done
    [ -s "$W/$name.bootstrap" ] || die "cluster $name did not start"
}
cluster city --topic $W_TOPIC:64 --topic _gdx.offsets:1
# the uplink with policy and the raw transactional producer run interleaved for ROUNDS rounds
# (BENCH_ROUNDS, default 3), each uplink run as a city of its own (city id 1..ROUNDS, its own
# positions and provincial topic); the run without field rules is city ROUNDS+1
ROUNDS=${BENCH_ROUNDS:-3}
dsts=""
for d in mirror raw pol pass; do dsts="$dsts --topic bench.$d:64"; done
for c in $(seq $((ROUNDS + 1))); do dsts="$dsts --topic henan.$c.$W_TOPIC:64"; done
# shellcheck disable=SC2086
cluster prov --topic _gdx.uplink.offsets:16 --topic _schemas:1 $dsts
CITY=$(cat "$W/city.bootstrap")
PROV=$(cat "$W/prov.bootstrap")
"$GDX" registry --listen 127.0.0.1:0 --url-file "$W/reg.url" --bootstrap "$PROV" \
    --log-level warn >"$W/reg.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 200); do [ -s "$W/reg.url" ] && break; sleep 0.1; done
REG=$(sed 's/^url=//' "$W/reg.url")

echo "bench: ... generating $ROWS work orders on the city cluster" >&2
"$GDX" keygen --sm4 "$W/keys/dept.key" >/dev/null
$PY "$ROOT/examples/gen_sample.py" --kind workorders --rows "$ROWS" --seed 5 \
    --out "$W/drop/wo.csv" 2>/dev/null && touch "$W/drop/wo.csv.ok"
{
    cat <<YAML
connector:
  id: hotline12345.workorders
  kind: file
kafka:
  bootstrap.servers: $CITY
topic: $W_TOPIC
schema: $ROOT/schemas/hotline12345/workorder.avsc
key: order_no
state.dir: $W/state
delivery: at-least-once
protect:
  caller_id_no: keep
keys:
  encrypt.key.file: $W/keys/dept.key
YAML
    sed -n '/^fields:/,/^[a-z]/p' "$ROOT/examples/demo/hotline12345.workorders.yaml" | sed '$d'
    printf 'source:\n  path: %s\n' "$W/drop"
} >"$W/wo.yaml"
timeout 600 "$GDX" connector run --once -c "$W/wo.yaml" 2>"$W/wo.log" || die "city data"

# (a) raw mirror
echo "bench: ... raw consume -> produce (bench-mirror)" >&2
M=$("$TOOLS/bench-mirror" -s "$CITY" -t $W_TOPIC -d "$PROV" -o bench.mirror) ||
    die "bench-mirror failed"
field() { echo "$1" | sed -n "s/.*\b$2=\([0-9.]*\).*/\1/p"; }
VAVG=$(field "$M" value_avg)
HAVG=$(field "$M" headers_avg)
HBYTES=$(field "$M" header_bytes_avg)
# the uplink adds gdx.city.pos, gdx.uplink.batch, gdx.approval and gdx.protect
HAVG=$((HAVG + 4))
HBYTES=$((HBYTES + 160))

# (b) raw transactional producer, same batch size and record shape
raw_txn() {
    "$TOOLS/bench-produce" -b "$PROV" -t bench.raw -n "$ROWS" -s "$VAVG" -x "$B" \
        -H "$HAVG:$HBYTES" -i bench-raw-txn || die "bench-produce failed"
}
# the same with the allocator setting gdx uses (glibc fastbins off, bin/gdx.c)
RM=$(GLIBC_TUNABLES=glibc.malloc.mxfast=0 "$TOOLS/bench-produce" -b "$PROV" -t bench.raw \
    -n "$ROWS" -s "$VAVG" -x "$B" -H "$HAVG:$HBYTES" -i bench-raw-txn-m) ||
    die "bench-produce failed"

# the uplink, with and without field rules
run_uplink() {
    local name=$1 city=$2 protect=$3
    cat >"$W/$name.yaml" <<YAML
uplink:
  city.id: "$city"
  destination: bench$city
source:
  bootstrap.servers: $CITY
  topics: [$W_TOPIC]
  schemas: $ROOT/schemas
destination:
  bootstrap.servers: $PROV
  schema.registry.url: $REG
  topic.prefix: henan
policy:
  share: [unconditional, conditional]
  approvals: {$W_TOPIC: "HN-APPROVAL-2026-0931"}
  require.spi: $([ -n "$protect" ] && echo true || echo false)
$protect
  keys:
    encrypt.key.file: $W/keys/dept.key
batch:
  max.records: $B
  max.ms: 5s
state.dir: $W/state
log.level: ${BENCH_UPLINK_LOG:-info}
YAML
    # warm-up, as the baselines send one record before their clock starts: the schema is
    # registered in the provincial registry first (the embedded registry's first write costs
    # ~0.8 s once; a later lookup by the uplink takes milliseconds)
    $PY -c 'import json,sys; print(json.dumps({"schema": open(sys.argv[1]).read()}))' \
        "$ROOT/schemas/hotline12345/workorder.avsc" |
        curl -sf -o /dev/null -X POST -H 'Content-Type: application/vnd.schemaregistry.v1+json' \
            --data @- "$REG/subjects/henan.$city.$W_TOPIC-value/versions" ||
        die "cannot register the schema in the provincial registry"
    local prof=()
    if [ "${BENCH_PROFILE:-0}" = 1 ]; then
        prof=(perf record -q -o "$W/perf-$name.data" --)
    fi
    timeout 900 "${prof[@]}" "$GDX" uplink --once -c "$W/$name.yaml" 2>"$W/$name.log" ||
        die "uplink $name failed (see $W/$name.log)"
    local line
    line=$(grep 'msg=stopped' "$W/$name.log" | tail -1)
    local recs ms
    recs=$(echo "$line" | sed -n 's/.* records=\([0-9]*\).*/\1/p')
    ms=$(echo "$line" | sed -n 's/.*elapsed_ms=\([0-9]*\).*/\1/p')
    echo "records=$recs seconds=$(awk "BEGIN{print $ms/1000}") rate=$(awk "BEGIN{printf \"%.0f\", $recs/($ms/1000)}") mbps=$(awk "BEGIN{printf \"%.2f\", $recs*$VAVG/($ms/1000)/1e6}")"
}
median() { tr ' ' '\n' | grep . | sort -g |
    awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
POLICY="  protect:
    caller_name: mask
    caller_phone: mask
    caller_id_no: drop
    content: scrub
    reply: scrub"
L0=$(cut -d' ' -f1 /proc/loadavg)
U1S="" RBS="" RAT=""
for r in $(seq "$ROUNDS"); do
    echo "bench: ... round $r: raw transactional producer (bench-produce -x $B) and gdx uplink" \
        "with field protection" >&2
    if [ $((r % 2)) = 1 ]; then
        R=$(raw_txn); rb=$(field "$R" rate)
        U1=$(run_uplink pol "$r" "$POLICY"); u=$(field "$U1" rate)
    else
        U1=$(run_uplink pol "$r" "$POLICY"); u=$(field "$U1" rate)
        R=$(raw_txn); rb=$(field "$R" rate)
    fi
    U1S="$U1S $u" RBS="$RBS $rb" RAT="$RAT $(awk -v a="$u" -v b="$rb" 'BEGIN { printf "%.3f", a / b }')"
done
L1=$(cut -d' ' -f1 /proc/loadavg)
echo "bench: ... gdx uplink without field rules" >&2
U2=$(run_uplink pass $((ROUNDS + 1)) "")

ratio() { awk "BEGIN{printf \"%.2f\", $1/$2}"; }
met() { awk "BEGIN{print ($1 >= $2) ? \"yes\" : \"no\"}"; }
RA=$(field "$M" rate); RB=$(echo "$RBS" | median); RBM=$(field "$RM" rate)
R1=$(echo "$U1S" | median); R2=$(field "$U2" rate)
RPOL=$(echo "$RAT" | median)
RLO=$(echo "$RAT" | tr ' ' '\n' | grep . | sort -g | head -1)
RHI=$(echo "$RAT" | tr ' ' '\n' | grep . | sort -g | tail -1)
{
    echo "## uplink: city -> province, $ROWS work orders (value ~${VAVG} B, ${HAVG} headers), batch $B"
    echo
    echo "| run | records/s | MB/s (values) | vs raw mirror (a) | vs raw txn producer (b) |"
    echo "|---|---:|---:|---:|---:|"
    echo "| (a) raw consume -> produce, no transactions (bench-mirror) | $RA | $(field "$M" mbps) | 1.00 | $(ratio "$RA" "$RB") |"
    echo "| (b) raw transactional producer, -x $B (bench-produce) | $RB | $(field "$R" mbps) | $(ratio "$RB" "$RA") | 1.00 |"
    echo "| (b') the same with glibc.malloc.mxfast=0, gdx's allocator setting | $RBM | | | $(ratio "$RBM" "$RB") |"
    echo "| gdx uplink, policy: mask, drop, scrub (re-encoded); median of $ROUNDS rounds beside (b), ratio the rounds' median ($RLO–$RHI), load $L0->$L1 | $R1 | $(field "$U1" mbps) | $(ratio "$R1" "$RA") | $RPOL |"
    echo "| gdx uplink, no field rules (checked, passed through) | $R2 | $(field "$U2" mbps) | $(ratio "$R2" "$RA") | $(ratio "$R2" "$RB") |"
    echo
    echo "Both clusters are \`gdx broker\` on this machine; the uplink's time runs from its first position read to its exit" \
        "(the first fetch and the --once end detection included); exactly once, with schema" \
        "ids looked up in the provincial registry (registered before the clock starts, as" \
        "the baselines send a warm-up record)."
} | tee "$OUT/uplink.md"
echo "bench: uplink_policy_rate=$R1 baseline=$RB ratio=$RPOL goal=0.80 met=$(met "$RPOL" 0.80) spread=$RLO-$RHI rounds=$ROUNDS load=$L0->$L1"
echo "bench: uplink_pass_rate=$R2 baseline=$RB ratio=$(ratio "$R2" "$RB") goal=0.80 met=$(met "$(ratio "$R2" "$RB")" 0.80)"
echo "bench: uplink_vs_mirror=$R1 baseline=$RA ratio=$(ratio "$R1" "$RA")"
echo "bench: uplink_policy_vs_raw_mxfast0=$R1 baseline=$RBM ratio=$(ratio "$R1" "$RBM")"
