#!/bin/bash
# The http connector with keyset paging (the URL asks from {cursor}, page by page) over an API
# where more records share one cursor value than a page holds, as a register loaded at one
# time does: page 1 from the start and page 1 from that value are the same page, which is the
# next query's answer and not a page served twice. Every record arrives once, without the
# connector taking it for a repeat and backing off.
. "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3
N=1500

start_broker --topic gdx.test.http:8 || { fail "broker starts"; done_testing; }
mkdir -p "$T/state"
export GDX_BOOTSTRAP=$BOOTSTRAP
$PY "$GDX_ROOT/tests/it/httpserver.py" --port-file "$T/port" --records "$N" --same 600 \
    >"$T/srv.log" 2>&1 &
PIDS+=($!)
wait_for 20 test -s "$T/port" || { fail "test API starts"; done_testing; }
cat >"$T/c.yaml" <<YAML
connector:
  id: test.shared
  kind: http
kafka:
  bootstrap.servers: $BOOTSTRAP
topic: gdx.test.http
schema: $GDX_ROOT/tests/it/schemas/seq.avsc
key: k
state.dir: $T/state
poll.interval.ms: 200ms
source:
  url: "http://127.0.0.1:$(cat "$T/port")/api/items?since={cursor}&page={page}&size={size}"
  pagination: page
  page.size: 100
  records.pointer: /data/list
  ok.pointer: /code
  message.pointer: /msg
  cursor.field: update_time
  cursor.lag.ms: 1s
  retry.backoff.ms: 50ms
  retry.backoff.max.ms: 200ms
  retry.max: 2
YAML
timeout 120 "$GDX" connector run --once -c "$T/c.yaml" 2>"$T/c.log"
is "$?" 0 "the connector drains the API"
ok "no page is taken for a repeat of the previous one" sh -c "! grep -q 'repeats the previous page' '$T/c.log'"
"$GDX" tail -H --from-beginning -s "$GDX_ROOT/tests/it/schemas" gdx.test.http >"$T/got.jsonl" 2>/dev/null
"$GDX" tail -H --from-beginning _gdx.offsets >"$T/offsets.jsonl" 2>/dev/null
out=$($PY "$GDX_ROOT/tests/it/seqcheck.py" --count "$N" --got "$T/got.jsonl" \
    --offsets "$T/offsets.jsonl" --connector test.shared)
is "$?" 0 "$N records, 600 to a cursor value, exactly once: $out"
done_testing
