#!/bin/bash
# The http connector against a local paginated API with faults (tests/it/httpserver.py):
# 500s, 503 and 429 with Retry-After, stalls past the request timeout, responses cut short,
# truncated JSON, an HTML error page, an error envelope under HTTP 200, pages served again
# and pages from before the cursor. Records arrive exactly once, through a SIGKILL mid-way,
# in every paging mode (page, offset, token, Link) and for a POST body template; records that
# the schema refuses go to the dead letter topic with their page and index; the whole-API
# (bulk) mode resumes inside a page; with records arriving while it runs and some committed
# late, the safety lag keeps every one of them.
. "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3
N=${HTTP_ROWS:-12000}

start_broker --topic gdx.test.http:16 --topic gdx.test.http2:8 --topic gdx.test.http3:8 \
    --topic gdx.test.http4:8 || { fail "broker starts"; done_testing; }
mkdir -p "$T/state"
export GDX_BOOTSTRAP=$BOOTSTRAP

# serve NAME ARGS...: start the test API; sets PORT
serve() {
    local name=$1
    shift
    rm -f "$T/$name.port"
    $PY "$GDX_ROOT/tests/it/httpserver.py" --port-file "$T/$name.port" "$@" \
        >"$T/$name-srv.log" 2>&1 &
    PIDS+=($!)
    wait_for 20 test -s "$T/$name.port" || { fail "test API $name starts"; cat "$T/$name-srv.log"; }
    PORT=$(cat "$T/$name.port")
}

# conf FILE ID TOPIC URL PAGINATION [SOURCE LINES...]: a config with the seq test schema
conf() {
    local file=$1 id=$2 topic=$3 url=$4 pag=$5
    shift 5
    {
        cat <<YAML
connector:
  id: $id
  kind: http
kafka:
  bootstrap.servers: $BOOTSTRAP
topic: $topic
schema: $GDX_ROOT/tests/it/schemas/seq.avsc
key: k
state.dir: $T/state
poll.interval.ms: 200ms
batch:
  max.records: 700
source:
  url: "$url"
  pagination: $pag
  page.size: 100
  records.pointer: /data/list
  ok.pointer: /code
  message.pointer: /msg
  request.timeout.ms: 1s
  retry.backoff.ms: 50ms
  retry.backoff.max.ms: 200ms
YAML
        local kv
        for kv in "$@"; do
            echo "  $kv"
        done
    } >"$file"
}

# exactly ID TOPIC COUNT: seqcheck of TOPIC against the connector's committed batches
exactly() {
    "$GDX" tail -H --from-beginning -s "$GDX_ROOT/tests/it/schemas" "$2" >"$T/got-$1.jsonl" 2>/dev/null
    "$GDX" tail -H --from-beginning _gdx.offsets >"$T/offsets.jsonl" 2>/dev/null
    $PY "$GDX_ROOT/tests/it/seqcheck.py" --count "$3" --got "$T/got-$1.jsonl" \
        --offsets "$T/offsets.jsonl" --connector "$1"
}

# kill_midway CONFIG LOG: run, SIGKILL once a position is committed, then run --once
kill_midway() {
    "$GDX" connector run -c "$1" 2>"$2.1" &
    local pid=$!
    wait_for 60 sh -c "'$GDX' tail --from-beginning _gdx.offsets 2>/dev/null | grep -q '\"$3\"'"
    kill -9 $pid 2>/dev/null
    wait $pid 2>/dev/null
    timeout 240 "$GDX" connector run --once -c "$1" 2>"$2"
}

# --- 1. page paging with every fault, a SIGKILL, dead letters
FAULTS="500%7,503%37,429%11,stall%13,truncate%17,cut%29,html%19,envelope%31,repeat%5,backwards%23"
serve a --records "$N" --same 7 --bad 5 --faults "$FAULTS"
conf "$T/a.yaml" test.httpa gdx.test.http \
    "http://127.0.0.1:$PORT/api/items?since={cursor}&page={page}&size={size}" page \
    "cursor.field: update_time" "cursor.lag.ms: 2s"
"$GDX" connector check -c "$T/a.yaml" >"$T/check.out" 2>&1
is "$?" 0 "check reaches the API"
ok "check reports the records and the cursor of the first one" \
    grep -q "cursor field 'update_time' of the first record" "$T/check.out"
kill_midway "$T/a.yaml" "$T/a.log" test.httpa
is "$?" 0 "the restarted connector drains the API"
out=$(exactly test.httpa gdx.test.http "$N")
is "$?" 0 "$N records through 10 kinds of faults and a SIGKILL, exactly once: $out"
curl -s "http://127.0.0.1:$PORT/_stats" >"$T/stats-a.json"
for f in 500 503 429 stall truncate cut html envelope repeat backwards; do
    ok "fault '$f' was served" $PY -c "import json,sys; sys.exit(0 if json.load(open('$T/stats-a.json'))['faults'].get('$f') else 1)"
done
cat "$T/a.log.1" "$T/a.log" >"$T/a-all.log"
ok "429 waits the Retry-After" grep -q 'retrying in 1000 ms.*HTTP 429' "$T/a-all.log"
ok "a stalled request times out" grep -q 'timed out' "$T/a-all.log"
ok "a cut response is named" grep -Eq 'response cut short|not complete JSON' "$T/a-all.log"
ok "an HTML page is refused" grep -q "content type 'text/html; charset=utf-8' is not JSON" "$T/a-all.log"
ok "the error envelope is quoted" grep -q "reports an error at '/code' ('500'): 系统繁忙" "$T/a-all.log"
ok "a page from before the cursor is refused" grep -q 'older than the cursor it was asked for' "$T/a-all.log"
"$GDX" tail -H --from-beginning _gdx.dlq.test.httpa >"$T/dlq-a.jsonl" 2>/dev/null
$PY - "$T/dlq-a.jsonl" "$T/offsets.jsonl" >"$T/dlq-a.out" 2>&1 <<'PYEOF'
import json, re, sys
keep = set()
for l in open(sys.argv[2]):
    v = json.loads(l).get("value")
    v = json.loads(v) if isinstance(v, str) else v
    if isinstance(v, dict) and v.get("connector") == "test.httpa":
        keep.add(v.get("batch"))
dl = [json.loads(l) for l in open(sys.argv[1])]
dl = [d for d in dl if d["headers"].get("gdx.batch") in keep]
pos = re.compile(r"^http:/api/items\?since=[^:]*&page=\d+&size=100:\d+$")
good = [d for d in dl if pos.match(d["headers"]["gdx.src.pos"])
        and d["headers"]["gdx.error.field"] == "seq"
        and "第" in json.dumps(d["value"], ensure_ascii=False)]
print(len(dl), len(good), dl[0]["headers"]["gdx.src.pos"] if dl else "-")
sys.exit(0 if len(dl) == 5 and len(good) == 5 else 1)
PYEOF
is "$?" 0 "5 records the schema refuses are dead letters with page and index: $(cat "$T/dlq-a.out")"

# --- 2. token paging, 150 records per timestamp (more than a page), pages repeated
serve b --records 5000 --same 150 --mode token --faults "repeat%4,backwards%9,500%7"
conf "$T/b.yaml" test.httpb gdx.test.http2 \
    "http://127.0.0.1:$PORT/api/items?since={cursor}&size={size}" token \
    "token.pointer: /data/next" "token.param: token" "cursor.field: update_time"
kill_midway "$T/b.yaml" "$T/b.log" test.httpb
is "$?" 0 "token paging drains"
out=$(exactly test.httpb gdx.test.http2 5000)
is "$?" 0 "token paging, 150 records per timestamp, repeated pages, SIGKILL: exactly once: $out"
ok "a page served twice is noticed" grep -q 'repeats the previous page' "$T/b.log.1" "$T/b.log"

# --- 3. Link header paging and offset paging, ids as the records' keys
for m in link offset; do
    serve "c$m" --records 4000 --same 120 --mode $m --faults "repeat%6,500%5"
    url="http://127.0.0.1:$PORT/api/items?since={cursor}&size={size}"
    [ $m = offset ] && url="http://127.0.0.1:$PORT/api/items?since={cursor}&offset={offset}&limit={limit}"
    conf "$T/c$m.yaml" "test.http$m" gdx.test.http3 "$url" $m "cursor.field: update_time" \
        "id.field: seq"
    timeout 120 "$GDX" connector run --once -c "$T/c$m.yaml" 2>"$T/c$m.log"
    is "$?" 0 "$m paging drains"
done
for m in link offset; do
    out=$(exactly "test.http$m" gdx.test.http3 4000)
    is "$?" 0 "$m paging with repeated pages, exactly once: $out"
done
"$GDX" tail --from-beginning _gdx.offsets 2>/dev/null >"$T/offsets-raw.jsonl"
ok "the position names records by id.field" grep -q '"test.httplink".*"keys":\["[0-9]' "$T/offsets-raw.jsonl"

# --- 4. a POST body template; the whole API without a cursor (bulk), resumed inside a page
serve d --records 3000 --same 3 --faults "500%9"
conf "$T/d.yaml" test.httpd gdx.test.http4 "http://127.0.0.1:$PORT/api/query" page \
    "method: POST" 'body: "{\"since\":\"{cursor}\",\"pageNo\":{page},\"pageSize\":{size}}"' \
    "cursor.field: update_time"
timeout 120 "$GDX" connector run --once -c "$T/d.yaml" 2>"$T/d.log"
is "$?" 0 "a POST body template drains"
out=$(exactly test.httpd gdx.test.http4 3000)
is "$?" 0 "POST body with the cursor substituted, exactly once: $out"
serve e --records 3000 --same 3 --mode offset --faults "500%9"
conf "$T/e.yaml" test.httpe gdx.test.http4 \
    "http://127.0.0.1:$PORT/api/items?offset={offset}&limit={limit}" offset
sed -i 's/max.records: 700/max.records: 130/' "$T/e.yaml"
kill_midway "$T/e.yaml" "$T/e.log" test.httpe
is "$?" 0 "a bulk pass drains after a SIGKILL"
"$GDX" tail -H --from-beginning _gdx.offsets >"$T/offsets.jsonl" 2>/dev/null
"$GDX" tail --from-beginning _gdx.offsets >"$T/offsets-raw.jsonl" 2>/dev/null
ok "bulk positions hold the page and the records of it already taken" \
    grep -q '"test.httpe".*"next":{[^}]*"offset":[0-9]*.*"index":[1-9]' "$T/offsets-raw.jsonl"
out=$(exactly test.httpe gdx.test.http4 3000)
is "$?" 0 "bulk pass resumed inside a page after SIGKILL, exactly once: $out"

# --- 5. records arriving while it runs, some committed 2 s late; lag 4 s keeps them all
serve f --records 2000 --same 5 --live --faults "500%11"
conf "$T/f.yaml" test.httpf gdx.test.http \
    "http://127.0.0.1:$PORT/api/items?since={cursor}&page={page}&size={size}" page \
    "cursor.field: update_time" "cursor.lag.ms: 4s"
"$GDX" connector run -c "$T/f.yaml" 2>"$T/f.log" &
fpid=$!
PIDS+=($fpid)
sleep 6
curl -s -X POST -d '{"live": false}' "http://127.0.0.1:$PORT/_control" >/dev/null
curl -s "http://127.0.0.1:$PORT/_dump" >"$T/dump-f.jsonl"
total=$(wc -l <"$T/dump-f.jsonl")
ok "records were added while the connector ran" test "$total" -gt 2100
# wait until everything is committed (the lag passes), then stop
have() {
    "$GDX" tail --from-beginning _gdx.offsets 2>/dev/null | grep '"test.httpf"' | tail -1 |
        grep -q "$(tail -1 "$T/dump-f.jsonl" | $PY -c 'import json,sys; print(json.load(sys.stdin)["update_time"])')"
}
wait_for 60 have
kill -TERM $fpid
wait $fpid
is "$?" 0 "the running connector stops cleanly on SIGTERM"
out=$(exactly test.httpf gdx.test.http "$total")
is "$?" 0 "$total records, new ones arriving and every 25th committed 2 s late: exactly once: $out"
done_testing
