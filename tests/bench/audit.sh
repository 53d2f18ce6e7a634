#!/bin/bash
# make bench, audit part: the file connector's throughput with the audit trail on vs off in
# the same run (exactly once, same data, same embedded cluster), and `gdx audit verify`
# speed in lines/s and MB/s beside `openssl dgst -sm3` over the same files.
#   BENCH_AUDIT_ROWS=N (default 200000), BENCH_AUDIT_EVENTS=N (default 100000)
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${GDX_BUILD:-$ROOT/build}
GDX=$BUILD/gdx
PY=/usr/bin/python3
ROWS=${BENCH_AUDIT_ROWS:-200000}
EVENTS=${BENCH_AUDIT_EVENTS:-100000}
W=$(mktemp -d /tmp/gdx-bench-audit.XXXXXX)
BROKER=
trap '[ -n "$BROKER" ] && kill $BROKER 2>/dev/null; wait 2>/dev/null; rm -rf "$W"' EXIT

"$GDX" broker --bootstrap-file "$W/bootstrap" --topic bench.audit.on:64 --topic bench.audit.off:64 \
    --no-topics >"$W/broker.log" 2>&1 &
BROKER=$!
for _ in $(seq 100); do [ -s "$W/bootstrap" ] && break; sleep 0.1; done
export GDX_BOOTSTRAP=$(cat "$W/bootstrap")
mkdir -p "$W/keys" "$W/audit" "$W/state"
"$GDX" keygen --sm4 "$W/keys/dept.key" >/dev/null 2>&1
"$GDX" keygen --sm2 "$W/keys/audit.pem" --pub "$W/keys/audit.pub.pem" >/dev/null 2>&1
$PY "$ROOT/examples/gen_sample.py" --kind workorders --rows "$ROWS" --seed 11 \
    --out "$W/src.csv" 2>/dev/null

conf() { # id topic audit(0|1)
    {
        cat <<YAML
connector: {id: bench.$1, kind: file}
kafka: {bootstrap.servers: "$GDX_BOOTSTRAP"}
topic: $2
schema: $ROOT/schemas/hotline12345/workorder.avsc
key: order_no
state.dir: $W/state
protect: {caller_id_no: drop}
keys: {encrypt.key.file: $W/keys/dept.key}
YAML
        [ "$3" = 1 ] && echo "audit: {dir: $W/audit, key.file: $W/keys/audit.pem, key.id: bench}"
        sed -n '/^fields:/,/^[a-z]/p' "$ROOT/examples/demo/hotline12345.workorders.yaml" | sed '$d'
        echo "source: {path: $W/drop-$1}"
    } >"$W/$1.yaml"
    mkdir -p "$W/drop-$1"
    cp "$W/src.csv" "$W/drop-$1/a.csv"
    touch "$W/drop-$1/a.csv.ok"
}
rate() { # id -> rows/s
    local t0 t1
    t0=$(date +%s%N)
    "$GDX" connector run --once -c "$W/$1.yaml" 2>"$W/$1.log" || { echo 0; return; }
    t1=$(date +%s%N)
    echo $((ROWS * 1000000000 / (t1 - t0)))
}
conf off bench.audit.off 0
conf on bench.audit.on 1
off=$(rate off)
on=$(rate on)
echo "## audit trail: connector throughput, $ROWS rows, exactly once"
printf '| audit | rows/s | ratio |\n|---|---:|---:|\n| off | %s | 1.00 |\n| on | %s | %s |\n' \
    "$off" "$on" "$(awk -v a="$on" -v b="$off" 'BEGIN{printf "%.2f", b ? a / b : 0}')"
echo "bench: audit.on_rate=$on baseline=$off ratio=$(awk -v a="$on" -v b="$off" 'BEGIN{printf "%.2f", b ? a / b : 0}')"

# verify speed on a large trail written through the library
rm -rf "$W/big" && mkdir -p "$W/big"
"$BUILD/tools/audit-gen" --dir "$W/big" --actor bench.verify --key "$W/keys/audit.pem" \
    --key-id bench --events "$EVENTS" >/dev/null 2>&1
lines=$(cat "$W"/big/*.jsonl | wc -l)
bytes=$(cat "$W"/big/*.jsonl | wc -c)
printf 'bench %s\n' "$W/keys/audit.pub.pem" >"$W/trust.txt"
t0=$(date +%s%N)
"$GDX" audit verify --trust "$W/trust.txt" "$W/big" >/dev/null 2>&1
t1=$(date +%s%N)
t2=$(date +%s%N)
openssl dgst -sm3 "$W"/big/*.jsonl >/dev/null
t3=$(date +%s%N)
vs=$(awk -v n="$((t1 - t0))" 'BEGIN{printf "%.3f", n / 1e9}')
os=$(awk -v n="$((t3 - t2))" 'BEGIN{printf "%.3f", n / 1e9}')
echo
echo "## audit verify: $lines lines, $bytes bytes"
printf '| tool | seconds | lines/s | MB/s |\n|---|---:|---:|---:|\n'
printf '| gdx audit verify (chain, hashes, SM2 checkpoints) | %s | %.0f | %.1f |\n' "$vs" \
    "$(awk -v l="$lines" -v s="$vs" 'BEGIN{print l / s}')" "$(awk -v b="$bytes" -v s="$vs" 'BEGIN{print b / s / 1e6}')"
printf '| openssl dgst -sm3 (hash only) | %s | %.0f | %.1f |\n' "$os" \
    "$(awk -v l="$lines" -v s="$os" 'BEGIN{print l / s}')" "$(awk -v b="$bytes" -v s="$os" 'BEGIN{print b / s / 1e6}')"
echo "bench: audit.verify_s=$vs baseline=$os ratio=$(awk -v a="$vs" -v b="$os" 'BEGIN{printf "%.2f", b ? a / b : 0}')"
