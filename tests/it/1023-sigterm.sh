#!/bin/bash
# SIGTERM: the open batch is committed within shutdown.grace.ms (or aborted), the process
# exits 0 within the grace period, and a restart continues exactly once. Also with every
# broker down: SIGTERM still exits 0 within the grace period (the batch is given up), and a
# restart once the brokers are back delivers everything exactly once. And SIGTERM while it
# starts against a cluster that is down exits 0 within the grace period too.
. "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3
N=20000
TOPIC=gdx.test.sigterm
GRACE_MS=4000
SLACK_MS=2500 # process start-up, signal delivery and librdkafka teardown

start_broker --topic $TOPIC:16 || { fail "broker starts"; done_testing; }
export GDX_BOOTSTRAP=$BOOTSTRAP
$PY "$GDX_ROOT/tests/it/seqgen.py" "$T/drop" $N 4
cat >"$T/c.yaml" <<YAML
connector:
  id: test.sigterm
  kind: file
kafka:
  bootstrap.servers: \${GDX_BOOTSTRAP}
topic: $TOPIC
schema: $GDX_ROOT/tests/it/schemas/seq.avsc
key: k
state.dir: $T/state
shutdown.grace.ms: ${GRACE_MS}ms
batch:
  max.records: 200
  max.ms: 5s
source:
  path: $T/drop
YAML

# term_after SECS LOG: run the connector, SIGTERM it after SECS; sets RC and MS (ms from the
# signal to the exit)
term_after() {
    bg "$GDX" connector run -c "$T/c.yaml" 2>>"$2"
    local pid=$LAST_PID t0
    sleep "$1"
    if ! kill -0 $pid 2>/dev/null; then
        RC=gone MS=0
        return
    fi
    t0=$(date +%s%N)
    kill -TERM $pid
    local i=0
    while kill -0 $pid 2>/dev/null && [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done
    MS=$((($(date +%s%N) - t0) / 1000000))
    if kill -0 $pid 2>/dev/null; then
        kill -KILL $pid
        RC=hung
        wait $pid 2>/dev/null
        return
    fi
    wait $pid
    RC=$?
}

# 1. mid-batch: a slow cluster keeps a batch open most of the time
broker_ctl rtt all 50 >/dev/null
term_after 3 "$T/run1.log"
is "$RC" 0 "SIGTERM mid-batch: exit 0"
ok "SIGTERM mid-batch: exit within the grace period (${MS} ms <= ${GRACE_MS}+${SLACK_MS} ms)" \
    test "$MS" -le $((GRACE_MS + SLACK_MS))
ok "it logged that it stopped" grep -q 'msg=stopped' "$T/run1.log"
ok "not everything was sent before the stop" \
    test "$(ls "$T/drop/done" 2>/dev/null | grep -c 'csv$')" -lt 4
broker_ctl rtt all 0 >/dev/null

# 2. a second run is stopped while every broker is down: its batch cannot be committed
broker_ctl rtt all 50 >/dev/null
bg "$GDX" connector run -c "$T/c.yaml" 2>>"$T/run2.log"
pid=$LAST_PID
wait_for 20 grep -q "msg=resuming" "$T/run2.log"
sleep 1.5
broker_ctl down all >/dev/null
sleep 2
t0=$(date +%s%N)
kill -TERM $pid
i=0
while kill -0 $pid 2>/dev/null && [ $i -lt 300 ]; do sleep 0.05; i=$((i + 1)); done
MS=$((($(date +%s%N) - t0) / 1000000))
if kill -0 $pid 2>/dev/null; then
    RC=hung
    kill -KILL $pid
    wait $pid 2>/dev/null
else
    wait $pid
    RC=$?
fi
is "$RC" 0 "SIGTERM with the brokers down: exit 0"
ok "SIGTERM with the brokers down: exit within the grace period (${MS} ms <= ${GRACE_MS}+${SLACK_MS} ms)" \
    test "$MS" -le $((GRACE_MS + SLACK_MS))
ok "the open batch was given up and said so" \
    grep -q 'level=warn.*msg="batch aborted' "$T/run2.log"
grep -E 'level=(warn|error)' "$T/run2.log" | cut -c1-220 | head -8 | sed 's/^/#   /'
broker_ctl up all >/dev/null
broker_ctl rtt all 0 >/dev/null

# 3. restart after the brokers are back: everything exactly once
timeout 60 "$GDX" connector run --once -c "$T/c.yaml" 2>"$T/run3.log"
is "$?" 0 "restart drains the source"
"$GDX" tail -H --from-beginning -s "$GDX_ROOT/tests/it/schemas" $TOPIC >"$T/got.jsonl"
"$GDX" tail -H --from-beginning _gdx.offsets >"$T/offsets.jsonl"
out=$($PY "$GDX_ROOT/tests/it/seqcheck.py" --count $N --got "$T/got.jsonl" \
    --offsets "$T/offsets.jsonl" --connector test.sigterm)
is "$?" 0 "exactly once after two SIGTERMs: $out"
is "$(ls "$T/drop/done" | grep -c 'csv$')" 4 "all files in done/"

# 4. SIGTERM while starting against a cluster that is down (waiting to initialise transactions)
broker_ctl down all >/dev/null
bg "$GDX" connector run -c "$T/c.yaml" 2>"$T/run4.log"
pid=$LAST_PID
sleep 2
t0=$(date +%s%N)
kill -TERM $pid
i=0
while kill -0 $pid 2>/dev/null && [ $i -lt 300 ]; do sleep 0.05; i=$((i + 1)); done
MS=$((($(date +%s%N) - t0) / 1000000))
if kill -0 $pid 2>/dev/null; then
    RC=hung
    kill -KILL $pid
    wait $pid 2>/dev/null
else
    wait $pid
    RC=$?
fi
is "$RC" 0 "SIGTERM while starting with the brokers down: exit 0"
ok "SIGTERM while starting with the brokers down: exit within the grace period (${MS} ms <= ${GRACE_MS}+${SLACK_MS} ms)" \
    test "$MS" -le $((GRACE_MS + SLACK_MS))
broker_ctl up all >/dev/null
done_testing
