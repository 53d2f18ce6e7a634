#!/bin/bash
# The webhook under load from 16 concurrent senders (16 x 10,000 records in requests of 50,
# tests/it/webhookload.py), which retry with the same idempotency key until they get a 200
# or a 4xx. During the load the connector is SIGKILLed; the next copy turns its producer
# fatal once (an aborted transaction: the requests it held are fed again) and then kills
# itself right after a commit, before answering (every response of that batch is lost);
# the third copy finishes. Every request ends in a 200, the retries of lost responses are
# answered "duplicate", and every record is in Kafka exactly once, in order per key.
. "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3
CLIENTS=${WEBHOOK_CLIENTS:-16}
PER=${WEBHOOK_RECORDS:-10000}
TOTAL=$((CLIENTS * PER))
TOKEN=xcs-webhook-test-token-0001

start_broker --topic gdx.test.whk:64 || { fail "broker starts"; done_testing; }
mkdir -p "$T/state"
export GDX_BOOTSTRAP=$BOOTSTRAP
PORT=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$T/c.yaml" <<YAML
connector:
  id: test.whk
  kind: webhook
kafka:
  bootstrap.servers: $BOOTSTRAP
topic: gdx.test.whk
schema: $GDX_ROOT/tests/it/schemas/seq.avsc
key: k
state.dir: $T/state
batch:
  max.records: 2000
source:
  listen: 127.0.0.1:$PORT
  url.file: $T/url
  auth.token: $TOKEN
  idempotency.window.keys: 5000
YAML
# the offsets topic keeps only ~5 MiB in the mock: read it while it is written
"$GDX" tail -b "$BOOTSTRAP" -f -H --from-beginning _gdx.offsets >"$T/offsets.jsonl" 2>/dev/null &
PIDS+=($!)
tailpid=$!

"$GDX" connector run -c "$T/c.yaml" 2>"$T/run1.log" &
pid=$!
PIDS+=($pid)
wait_for 30 test -s "$T/url" || fail "the endpoint starts"
$PY "$GDX_ROOT/tests/it/webhookload.py" --url-file "$T/url" --token $TOKEN --clients "$CLIENTS" \
    --records "$PER" --per-request 50 --progress "$T/progress" --out "$T/load.json" \
    --deadline-s 500 >"$T/load.out" 2>"$T/load.err" &
load=$!
PIDS+=($load)
sent() { [ -s "$T/progress" ] && [ "$(cat "$T/progress")" -ge "$1" ]; }
wait_for 120 sent $((TOTAL / 4)) || diag "load did not reach a quarter"
kill -9 $pid
wait $pid 2>/dev/null
diag "SIGKILL at $(cat "$T/progress") of $TOTAL records"

# second copy: one aborted transaction, then a crash between a commit and its answers
GDX_FAULTS="kafka.fatal@3,runtime.crash.after.commit@8" "$GDX" connector run -c "$T/c.yaml" \
    2>"$T/run2.log" &
pid=$!
PIDS+=($pid)
wait $pid
is "$?" 137 "the second copy killed itself after a commit, before answering"
ok "the second copy aborted a transaction and resumed" grep -q 'batch aborted' "$T/run2.log"

"$GDX" connector run -c "$T/c.yaml" 2>"$T/run3.log" &
pid=$!
PIDS+=($pid)
wait $load
is "$?" 0 "every request ended in a 200: $(cat "$T/load.out")"
kill -TERM $pid
wait $pid
is "$?" 0 "the last copy stops cleanly"
sleep 1
kill -TERM $tailpid 2>/dev/null
wait $tailpid 2>/dev/null

eval "$($PY -c "
import json
s = json.load(open('$T/load.json'))
print('REQS=%d DUP=%d OK=%d ERRS=%d' % (s['requests'], s['duplicate'], s['committed'], s['conn_errors']))")"
is "$REQS" $((TOTAL / 50)) "every request was answered"
ok "lost responses were retried and answered as duplicates ($DUP)" test "$DUP" -ge 1
ok "the senders saw the connector go away ($ERRS connection errors)" test "$ERRS" -ge 1
"$GDX" tail -H --from-beginning -s "$GDX_ROOT/tests/it/schemas" gdx.test.whk >"$T/got.jsonl" 2>/dev/null
out=$($PY "$GDX_ROOT/tests/it/seqcheck.py" --count "$TOTAL" --got "$T/got.jsonl" \
    --offsets "$T/offsets.jsonl" --connector test.whk)
is "$?" 0 "$TOTAL records from $CLIENTS senders through SIGKILL, an abort and lost answers: exactly once: $out"
done_testing
