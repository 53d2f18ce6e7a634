#!/bin/bash
# The http connector sends a record without a usable cursor to the dead letter topic once,
# not once per pass: an API filtering `update_time >= since` serves a record whose cursor is
# the text 未知 (it sorts after every time) on every pass, and a record that is not an object
# with the page. Over several passes, a SIGTERM and a restart, each is one dead letter naming
# its record, and every good record is on the topic once.
. "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3

start_broker --topic gdx.test.httpdead:2 || { fail "broker starts"; done_testing; }
export GDX_BOOTSTRAP=$BOOTSTRAP
mkdir -p "$T/state"
cat >"$T/api.py" <<'PYEOF'
import http.server, json, sys, urllib.parse
RECS = [{"seq": i, "k": "K%d" % i, "v": "项城市莲花街道 第%d号" % i,
         "update_time": "2026-09-20 10:00:%02d" % i} for i in range(1, 9)]
RECS.append({"seq": 9, "k": "K9", "v": "更新时间不详", "update_time": "未知"})
N = [0]
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass
    def do_GET(self):
        N[0] += 1
        with open(sys.argv[1] + ".requests", "w") as f:
            f.write(str(N[0]))
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        since = q.get("since", [""])[0]
        page = [r for r in RECS if r["update_time"] >= since]
        body = json.dumps({"code": 0, "data": {"list": page + ["不是对象"]}},
                          ensure_ascii=False).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1], "w").write(str(s.server_address[1]))
s.serve_forever()
PYEOF
$PY "$T/api.py" "$T/port" &
PIDS+=($!)
wait_for 20 test -s "$T/port" || { fail "test API starts"; done_testing; }
cat >"$T/c.yaml" <<YAML
connector:
  id: test.httpdead
  kind: http
kafka:
  bootstrap.servers: $BOOTSTRAP
topic: gdx.test.httpdead
schema: $GDX_ROOT/tests/it/schemas/seq.avsc
key: k
state.dir: $T/state
poll.interval.ms: 100ms
source:
  url: "http://127.0.0.1:$(cat "$T/port")/api/items?since={cursor}"
  records.pointer: /data/list
  cursor.field: update_time
YAML
"$GDX" connector run -c "$T/c.yaml" 2>"$T/run1.log" &
pid=$!
# several passes: each asks from the cursor again and is served both bad records
wait_for 60 sh -c "test \"\$(cat '$T/port.requests' 2>/dev/null)\" -ge 8"
kill -TERM $pid
wait $pid
is "$?" 0 "the connector stops on SIGTERM"
timeout 60 "$GDX" connector run --once -c "$T/c.yaml" 2>"$T/run2.log"
is "$?" 0 "the restarted connector drains the API"
"$GDX" tail -H --from-beginning _gdx.dlq.test.httpdead >"$T/dlq.jsonl" 2>/dev/null
"$GDX" tail -H --from-beginning -s "$GDX_ROOT/tests/it/schemas" gdx.test.httpdead >"$T/got.jsonl"
"$GDX" tail -H --from-beginning _gdx.offsets >"$T/offsets.jsonl"
is "$(wc -l <"$T/dlq.jsonl")" 2 "two dead letters over many passes and a restart"
ok "the one with an unreadable cursor names the field" \
    grep -q '"gdx.error.field":"update_time"' "$T/dlq.jsonl"
ok "the one that is not an object names its index" grep -q 'record 9 of the page' "$T/dlq.jsonl"
out=$($PY "$GDX_ROOT/tests/it/seqcheck.py" --count 8 --got "$T/got.jsonl" \
    --offsets "$T/offsets.jsonl" --connector test.httpdead)
is "$?" 0 "the good records exactly once: $out"
ok "the position remembers the dead letters" grep -q '"dead":\[' "$T/offsets.jsonl"
done_testing
