#!/bin/bash
# The http and webhook connectors' throughput (make bench), each beside baselines measured in
# the same run on the same machine:
#
#  1. http pull: BENCH_HTTP_ROWS records (default 100000) from the test API
#     (tests/it/httpserver.py, pages of 1000), read by the connector into the embedded Kafka
#     (exactly-once, batches of 10000), once over the plain pages (no cursor) and once
#     incrementally (keyset paging on update_time); each beside curl replaying exactly the
#     requests the connector made (from the server's log) over one kept-alive connection into
#     /dev/null: the rate at which those pages can be had at all from this server.
#  2. webhook: wrk (a separate load generator, 16 connections, 2 threads, BENCH_WEBHOOK_SECS
#     seconds each, default 10) POSTing requests of 1 and of 50 records, each with its own
#     Idempotency-Key; requests/s, records/s and p50/p99 latency, beside wrk against the same
#     server's health endpoint (the HTTP stack without Kafka) and beside the raw
#     transactional producer (bench-produce -x) at the connector's own records per transaction.
#
# Prints Markdown tables and machine lines `bench: NAME=VALUE baseline=... ratio=...`.
# BENCH_NODELAY=0 runs the broker without tests/bench/nodelay.c preloaded.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export GDX_BUILD=${GDX_BUILD:-$ROOT/build}
. "$ROOT/tests/lib.sh"
TOOLS=$GDX_BUILD/tools
PY=/usr/bin/python3
HN=${BENCH_HTTP_ROWS:-100000}
SECS=${BENCH_WEBHOOK_SECS:-10}
TOKEN=xcs-bench-webhook-token-000000000001

die() {
    echo "bench: error: $*" >&2
    exit 1
}
log() { echo "bench: ... $*" >&2; }
for f in "$GDX" "$TOOLS/bench-produce" /usr/bin/curl; do
    [ -x "$f" ] || die "'$f' is missing (run through 'make bench')"
done
command -v wrk >/dev/null || die "wrk is missing (apt-get install wrk)"
now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.3f\", $1 }"; }
int() { printf '%.0f' "$1"; }
free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

PRELOAD=
if [ "${BENCH_NODELAY:-1}" != 0 ] && [ -f "$ROOT/tests/bench/nodelay.c" ]; then
    cc -std=gnu11 -O2 -shared -fPIC -o "$T/nodelay.so" "$ROOT/tests/bench/nodelay.c" -ldl &&
        PRELOAD=$T/nodelay.so
fi
LD_PRELOAD=$PRELOAD "$GDX" broker --bootstrap-file "$T/bootstrap" \
    --topics "$ROOT/broker-config/topics.yaml" --topic gdx.bench.http:64 \
    --topic gdx.bench.webhook:64 --topic gdx.bench.webhook.raw:64 --log-level warn \
    >"$T/broker.log" 2>&1 &
PIDS+=($!)
wait_for 20 test -s "$T/bootstrap" || die "the embedded broker did not start"
BOOTSTRAP=$(cat "$T/bootstrap")
export BOOTSTRAP GDX_BOOTSTRAP=$BOOTSTRAP
mkdir -p "$T/state"

# ---------------------------------------------------------------------------------------
# 1. http pull
$PY "$ROOT/tests/it/httpserver.py" --port-file "$T/api.port" --records "$HN" --same 50 \
    --log "$T/requests.log" >"$T/api.log" 2>&1 &
PIDS+=($!)
wait_for 60 test -s "$T/api.port" || die "the test API did not start"
API=http://127.0.0.1:$(cat "$T/api.port")

# replay: curl fetching exactly the requests the connector made (from the server's log), over
# one kept-alive connection into /dev/null; sets CURL_RATE (records/s)
replay() {
    local args=() p
    while read -r p; do
        args+=(-o /dev/null "$API$p")
    done < <(sed -n 's/.*"GET \([^ ]*\) HTTP[^"]*" 200 .*/\1/p' "$T/requests.log")
    [ "${#args[@]}" -gt 0 ] || die "no requests in the server's log"
    log "http: curl replaying the connector's $((${#args[@]} / 3)) requests"
    local t0 t1
    t0=$(now)
    curl -s --fail "${args[@]}" || die "curl could not fetch the pages"
    t1=$(now)
    CURL_RATE=$(calc "$HN / ($t1 - $t0)")
    : >"$T/requests.log"
}

hconf() {
    cat >"$T/$1.yaml" <<YAML
connector:
  id: bench.$1
  kind: http
kafka:
  bootstrap.servers: $BOOTSTRAP
topic: gdx.bench.http
schema: $ROOT/tests/it/schemas/seq.avsc
key: k
state.dir: $T/state
log.level: warn
batch:
  max.records: 10000
  max.bytes: 256MiB
  max.ms: 60s
source:
  url: "$API/api/items?$2"
  pagination: page
  page.size: 1000
  records.pointer: /data/list
YAML
    [ -n "${3:-}" ] && printf '  %s\n' "$3" "cursor.lag.ms: 0" >>"$T/$1.yaml"
}
# rate NAME: run --once, records/s over the connector's own elapsed time
hrun() {
    log "http: connector, $1"
    sed -i 's/^log.level: warn/log.level: info/' "$T/$1.yaml"
    "$GDX" connector run --once -c "$T/$1.yaml" 2>"$T/$1.log" || die "connector $1 failed (see $T/$1.log)"
    local line recs ms
    line=$(grep 'msg=stopped' "$T/$1.log" | tail -1)
    recs=${line#*records=}
    recs=${recs%% *}
    ms=${line#*elapsed_ms=}
    ms=${ms%% *}
    [ "$recs" = "$HN" ] || die "connector $1 sent $recs records, not $HN"
    H_RATE=$(calc "$recs / ($ms / 1000)")
}
hconf bulk 'page={page}&size={size}'
: >"$T/requests.log"
hrun bulk
BULK_RATE=$H_RATE
replay
BULK_CURL=$CURL_RATE
hconf incr 'since={cursor}&page={page}&size={size}' 'cursor.field: update_time'
hrun incr
INCR_RATE=$H_RATE
replay
INCR_CURL=$CURL_RATE

# ---------------------------------------------------------------------------------------
# 2. webhook
PORT=$(free_port)
cat >"$T/wh.yaml" <<YAML
connector:
  id: bench.webhook
  kind: webhook
kafka:
  bootstrap.servers: $BOOTSTRAP
topic: gdx.bench.webhook
schema: $ROOT/tests/it/schemas/seq.avsc
key: k
state.dir: $T/state
log.level: info
batch:
  max.records: 10000
source:
  listen: 127.0.0.1:$PORT
  url.file: $T/wh.url
  auth.token: $TOKEN
  queue.max.requests: 10000
  idempotency.window.keys: 2000
YAML
# wh_start NAME: a fresh connector (its own log, so each load's transactions are its own)
wh_start() {
    rm -f "$T/wh.url"
    "$GDX" connector run -c "$T/wh.yaml" 2>"$T/wh-$1.log" &
    WH=$!
    PIDS+=($WH)
    wait_for 30 test -s "$T/wh.url" || die "the webhook did not start"
    WURL=$(cat "$T/wh.url")
}
# wh_stop NAME: stop it; sets W_REC and W_TXN (records and transactions of its run)
wh_stop() {
    kill -TERM $WH
    wait $WH
    local line
    line=$(grep 'msg=stopped' "$T/wh-$1.log" | tail -1)
    W_REC=${line#*records=}
    W_REC=${W_REC%% *}
    W_TXN=${line#*batches=}
    W_TXN=${W_TXN%% *}
}

# wrk_lua RECORDS: a Lua script POSTing RECORDS records per request, unique keys and seqs
wrk_lua() {
    cat >"$T/post$1.lua" <<LUA
local n, tid = 0, 0
local counter = 1
function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end
function request()
  n = n + 1
  local recs = {}
  for i = 1, $1 do
    local s = (tid * 100000000) + n * 1000 + i
    recs[i] = string.format('{"seq":%d,"k":"K%d","v":"项城市莲花街道 第%d条"}', s, s % 97, s)
  end
  local body = "[" .. table.concat(recs, ",") .. "]"
  return wrk.format("POST", nil, {["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer $TOKEN", ["Idempotency-Key"] = "wrk-" .. tid .. "-" .. n}, body)
end
LUA
}
# wrk_run NAME URL [SCRIPT]: sets W_RPS W_P50 W_P99 (ms) W_BAD (non-2xx)
ms_of() { awk -v v="$1" 'BEGIN { if (v ~ /us$/) { sub(/us$/, "", v); print v / 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v); print v + 0 } else if (v ~ /s$/) { sub(/s$/, "", v); print v * 1000 } else print v }'; }
wrk_run() {
    local out=$T/wrk-$1.txt
    if [ -n "${3:-}" ]; then
        wrk -t2 -c16 -d"${SECS}s" --timeout 30s --latency -s "$3" "$2" >"$out" 2>&1
    else
        wrk -t2 -c16 -d"${SECS}s" --timeout 30s --latency "$2" >"$out" 2>&1
    fi
    W_RPS=$(awk '/^Requests\/sec:/ { print $2 }' "$out")
    W_P50=$(ms_of "$(awk '$1 == "50%" { print $2 }' "$out")")
    W_P99=$(ms_of "$(awk '$1 == "99%" { print $2 }' "$out")")
    W_BAD=$(awk '/Non-2xx/ { print $NF }' "$out")
    W_BAD=${W_BAD:-0}
    [ -n "$W_RPS" ] || die "wrk $1 printed no rate: $(cat "$out")"
}
wh_start health
log "webhook: wrk against the health endpoint (the HTTP stack alone), ${SECS}s"
wrk_run health "${WURL%/records}/healthz"
H_RPS=$W_RPS H_P50=$W_P50 H_P99=$W_P99
wh_stop health
declare -A R_RPS R_P50 R_P99 R_BAD R_REC R_PER R_RAW
for r in 1 50; do
    wrk_lua $r
    wh_start "post$r"
    log "webhook: wrk POSTing $r record(s) per request, ${SECS}s"
    wrk_run "post$r" "$WURL" "$T/post$r.lua"
    R_RPS[$r]=$W_RPS R_P50[$r]=$W_P50 R_P99[$r]=$W_P99 R_BAD[$r]=$W_BAD
    R_REC[$r]=$(calc "$W_RPS * $r")
    wh_stop "post$r"
    per=$((W_TXN > 0 ? W_REC / W_TXN : 1))
    [ "$per" -ge 1 ] || per=1
    R_PER[$r]=$per
    log "webhook: raw transactional producer, $per records per transaction (the connector's)"
    rawn=$((per * 300 < 200000 ? per * 300 : 200000))
    "$TOOLS/bench-produce" -b "$BOOTSTRAP" -t gdx.bench.webhook.raw -n "$rawn" -k "$rawn" -s 45 \
        -H 8:430 -x "$per" -i "gdx-bench-webhook-raw-$r" >"$T/raw$r.txt" 2>"$T/raw$r.err" ||
        die "bench-produce failed: $(cat "$T/raw$r.err")"
    R_RAW[$r]=$(tail -1 "$T/raw$r.txt" | sed -n 's/.* rate=\([0-9.]*\).*/\1/p')
done

# ---------------------------------------------------------------------------------------
echo "### http pull, $HN records in pages of 1000 (exactly-once, batches of 10000)"
echo
echo "| reader | connector records/s | curl fetching the same requests (records/s) | ratio |"
echo "|---|---:|---:|---:|"
echo "| pages without a cursor | $(int "$BULK_RATE") | $(int "$BULK_CURL") | $(calc "$BULK_RATE / $BULK_CURL") |"
echo "| incremental (keyset on update_time) | $(int "$INCR_RATE") | $(int "$INCR_CURL") | $(calc "$INCR_RATE / $INCR_CURL") |"
echo
echo "### webhook, wrk: 16 connections, 2 threads, ${SECS} s per row"
echo
echo "| load | requests/s | records/s | p50 ms | p99 ms | non-2xx | records per transaction | raw transactional produce at that size (rec/s) | records/s ratio | requests/s ratio to the health endpoint |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
echo "| GET health endpoint (no Kafka) | $(int "$H_RPS") | – | $H_P50 | $H_P99 | 0 | – | – | – | – |"
for r in 1 50; do
    echo "| POST $r record(s)/request | $(int "${R_RPS[$r]}") | $(int "${R_REC[$r]}") | ${R_P50[$r]} |" \
        "${R_P99[$r]} | ${R_BAD[$r]} | ${R_PER[$r]} | $(int "${R_RAW[$r]}") |" \
        "$(calc "${R_REC[$r]} / ${R_RAW[$r]}") | $(calc "${R_RPS[$r]} / $H_RPS") |"
done
echo
echo "bench: http.pull.bulk.records_per_s=$(int "$BULK_RATE") baseline=$(int "$BULK_CURL") ratio=$(calc "$BULK_RATE / $BULK_CURL")"
echo "bench: http.pull.incremental.records_per_s=$(int "$INCR_RATE") baseline=$(int "$INCR_CURL") ratio=$(calc "$INCR_RATE / $INCR_CURL")"
for r in 1 50; do
    echo "bench: webhook.post$r.requests_per_s=$(int "${R_RPS[$r]}") baseline=$(int "$H_RPS") ratio=$(calc "${R_RPS[$r]} / $H_RPS") p50_ms=${R_P50[$r]} p99_ms=${R_P99[$r]} non2xx=${R_BAD[$r]}"
done
for r in 1 50; do
    echo "bench: webhook.post$r.records_per_s=$(int "${R_REC[$r]}") baseline=$(int "${R_RAW[$r]}") ratio=$(calc "${R_REC[$r]} / ${R_RAW[$r]}") per_txn=${R_PER[$r]}"
done
