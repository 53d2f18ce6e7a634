#!/bin/bash
# The exec connector's throughput (make bench): the same grid incidents (examples/gen_sample.py,
# schemas/grid/incident.avsc) sent three ways to one topic of the embedded Kafka with the same
# settings (exactly-once, default batches, location dropped, dead letters sealed):
#
#   file         the file connector reading them as JSON Lines from a drop folder (baseline)
#   exec json    the exec connector reading Singer RECORD lines from an adapter
#   exec binary  the exec connector reading binary frames (connectors/exec/gdxframe.h)
#
# The adapter is `cat` of a file written beforehand by tests/tools/exec-emit (the C reference
# encoder; a STATE every 1000 records), so the figures are the connector's cost of reading
# each format rather than an adapter's. Rates are over the connector's own elapsed time
# (first read to last commit, its `stopped` log line); each run is repeated and the best
# counts. Prints a Markdown table and machine lines:
#   bench: exec.FORMAT.records_per_s=R baseline=FILE_RATE ratio=R/FILE_RATE
#   bench: exec.binary_vs_json.records_per_s=B baseline=J ratio=B/J
#
# Environment: BENCH_EXEC_ROWS (default 200000), BENCH_EXEC_REPEAT (default 2),
# BENCH_NODELAY=0 to run the broker without tests/bench/nodelay.c preloaded.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export GDX_BUILD=${GDX_BUILD:-$ROOT/build}
. "$ROOT/tests/lib.sh"
TOOLS=$GDX_BUILD/tools
ROWS=${BENCH_EXEC_ROWS:-200000}
REPEAT=${BENCH_EXEC_REPEAT:-2}
PY=/usr/bin/python3
DATA=$ROOT/build/bench/data

die() {
    echo "bench: error: $*" >&2
    exit 1
}
log() { echo "bench: ... $*" >&2; }
for f in "$GDX" "$TOOLS/exec-emit" /usr/bin/time; do
    [ -x "$f" ] || die "'$f' is missing (run through 'make bench')"
done
mkdir -p "$DATA"
calc() { awk "BEGIN { printf \"%.3f\", $1 }"; }

# the records, and the adapters' output made from them
SRC=$DATA/incidents-$ROWS.jsonl
if [ ! -s "$SRC" ]; then
    log "generating $ROWS grid incidents (cached in $DATA)"
    $PY "$ROOT/examples/gen_sample.py" --kind incidents --rows "$ROWS" --seed 20261203 \
        --out "$SRC.tmp" 2>/dev/null && mv "$SRC.tmp" "$SRC" || die "cannot generate the data"
fi
"$TOOLS/exec-emit" --format singer --stream incident --state-every 1000 --in "$SRC" \
    --out "$T/singer.jsonl" || die "exec-emit singer failed"
"$TOOLS/exec-emit" --format binary --stream incident --state-every 1000 --in "$SRC" \
    --out "$T/frames.bin" || die "exec-emit binary failed"
SRC_B=$(stat -c %s "$SRC")
JSON_B=$(stat -c %s "$T/singer.jsonl")
BIN_B=$(stat -c %s "$T/frames.bin")

PRELOAD=
if [ "${BENCH_NODELAY:-1}" != 0 ] && [ -f "$ROOT/tests/bench/nodelay.c" ]; then
    cc -std=gnu11 -O2 -shared -fPIC -o "$T/nodelay.so" "$ROOT/tests/bench/nodelay.c" -ldl &&
        PRELOAD=$T/nodelay.so
fi
LD_PRELOAD=$PRELOAD "$GDX" broker --bootstrap-file "$T/bootstrap" \
    --topics "$ROOT/broker-config/topics.yaml" --topic gdx.bench.exec:64 --log-level warn \
    >"$T/broker.log" 2>&1 &
PIDS+=($!)
wait_for 20 test -s "$T/bootstrap" || die "the embedded broker did not start"
export GDX_BOOTSTRAP=$(cat "$T/bootstrap")
mkdir -p "$T/state" "$T/keys"
"$GDX" keygen --sm4 "$T/keys/grid.key" >/dev/null 2>&1 || die "gdx keygen failed"

# conf NAME KIND: one connector of its own id; the source section follows
conf() {
    cat <<YAML
connector:
  id: bench.exec-$1
  kind: $2
kafka:
  bootstrap.servers: \${GDX_BOOTSTRAP}
topic: gdx.bench.exec
schema: $ROOT/schemas/grid/incident.avsc
key: incident_no
state.dir: $T/state
log.level: info
protect:
  location: drop
keys:
  encrypt.key.file: $T/keys/grid.key
source:
YAML
}

# run NAME KIND SOURCE-LINES...: the connector with --once; sets RATE (best of REPEAT), RSS
declare -A RATE RSS
run() {
    local name=$1 kind=$2 best=0 rss=0
    shift 2
    for i in $(seq "$REPEAT"); do
        local d=$T/$name-$i
        mkdir -p "$d"
        if [ "$kind" = file ]; then
            mkdir -p "$d/drop"
            ln "$SRC" "$d/drop/incidents.jsonl" 2>/dev/null || cp "$SRC" "$d/drop/incidents.jsonl"
            touch "$d/drop/incidents.jsonl.ok"
        fi
        { conf "$name-$i" "$kind"; for l in "$@"; do echo "  ${l//@D@/$d}"; done; } >"$d/c.yaml"
        /usr/bin/time -v -o "$d/time.txt" "$GDX" connector run --once -c "$d/c.yaml" \
            2>"$d/run.log" >/dev/null || { tail -5 "$d/run.log" >&2; die "$name run failed"; }
        local line recs dead ms r
        line=$(grep 'msg=stopped' "$d/run.log" | tail -1)
        recs=${line#*records=}; recs=${recs%% *}
        dead=${line#*dead=}; dead=${dead%% *}
        ms=${line#*elapsed_ms=}; ms=${ms%% *}
        [ "$recs" = "$ROWS" ] && [ "$dead" = 0 ] ||
            die "$name sent records=$recs dead=$dead, expected $ROWS and 0 (see $d/run.log)"
        r=$(calc "$ROWS / ($ms / 1000)")
        best=$(awk -v a="$best" -v b="$r" 'BEGIN { print (b > a ? b : a) }')
        local m
        m=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$d/time.txt")
        [ "$m" -gt "$rss" ] && rss=$m
    done
    RATE[$name]=$best
    RSS[$name]=$rss
}

log "file connector, JSON Lines, $ROWS records"
run file file "path: @D@/drop" "format: jsonl"
log "exec connector, Singer JSON lines"
run json exec "command: [/bin/cat, $T/singer.jsonl]" "format: singer" "stream: incident"
log "exec connector, binary frames"
run binary exec "command: [/bin/cat, $T/frames.bin]" "format: binary" "stream: incident"

int() { printf '%.0f' "$1"; }
echo
echo "### exec connector: Singer JSON and binary frames beside the file connector"
echo
echo "$ROWS grid incidents, one topic of 64 partitions, exactly-once, default batches," \
    "best of $REPEAT runs; load average $(cut -d' ' -f1-3 /proc/loadavg)."
echo
echo "| source | bytes read | records/s | ratio to file | peak RSS (MiB) |"
echo "|---|---:|---:|---:|---:|"
echo "| file connector, JSON Lines (baseline) | $SRC_B | $(int "${RATE[file]}") | 1.000 |" \
    "$((RSS[file] / 1024)) |"
echo "| exec, Singer JSON lines | $JSON_B | $(int "${RATE[json]}") |" \
    "$(calc "${RATE[json]} / ${RATE[file]}") | $((RSS[json] / 1024)) |"
echo "| exec, binary frames | $BIN_B | $(int "${RATE[binary]}") |" \
    "$(calc "${RATE[binary]} / ${RATE[file]}") | $((RSS[binary] / 1024)) |"
echo
echo "binary / JSON: $(calc "${RATE[binary]} / ${RATE[json]}")"
echo
for f in json binary; do
    echo "bench: exec.$f.records_per_s=$(int "${RATE[$f]}") baseline=$(int "${RATE[file]}")" \
        "ratio=$(calc "${RATE[$f]} / ${RATE[file]}") peak_rss_kib=${RSS[$f]}"
done
echo "bench: exec.binary_vs_json.records_per_s=$(int "${RATE[binary]}")" \
    "baseline=$(int "${RATE[json]}") ratio=$(calc "${RATE[binary]} / ${RATE[json]}")"
