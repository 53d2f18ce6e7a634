#!/bin/bash
# Every broker of the cluster goes down for 30 s while the connector is producing. Nothing
# is lost and nothing duplicated; the log reports the outage once (warn) and the recovery
# (info); resident memory stays bounded by inflight.max.bytes: with inflight.max.bytes 8MiB
# the connector's peak RSS (VmHWM) must stay under 64 MB (the design's full-load target).
. "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3
N=30000
TOPIC=gdx.test.outage
OUTAGE=${OUTAGE_SECS:-30}
RSS_MAX_KB=$((64 * 1024))

start_broker --topic $TOPIC:16 || { fail "broker starts"; done_testing; }
export GDX_BOOTSTRAP=$BOOTSTRAP
$PY "$GDX_ROOT/tests/it/seqgen.py" "$T/drop" $N 6
cat >"$T/c.yaml" <<YAML
connector:
  id: test.outage
  kind: file
kafka:
  bootstrap.servers: \${GDX_BOOTSTRAP}
topic: $TOPIC
schema: $GDX_ROOT/tests/it/schemas/seq.avsc
key: k
state.dir: $T/state
inflight.max.bytes: 8MiB
batch:
  max.records: 200
source:
  path: $T/drop
YAML

broker_ctl rtt all 20 >/dev/null
bg "$GDX" connector run --once -c "$T/c.yaml" 2>"$T/run.log"
pid=$LAST_PID
# peak resident memory, sampled: VmHWM only grows, the last sample is the peak so far
(
    while [ -r /proc/$pid/status ]; do
        hwm=$(awk '/^VmHWM:/ {print $2}' /proc/$pid/status 2>/dev/null)
        [ -n "$hwm" ] && echo "$hwm" >"$T/hwm"
        sleep 0.2
    done
) &
sampler=$!

wait_for 20 grep -q 'msg="reading' "$T/run.log" || diag "connector did not start reading"
sleep 2
ok "connector still producing when the brokers go down" kill -0 $pid
ok "not everything is sent yet" test "$(ls "$T/drop/done" 2>/dev/null | grep -c 'csv$')" -lt 6
broker_ctl down all >/dev/null
diag "all brokers down for ${OUTAGE}s"
sleep "$OUTAGE"
ok "connector survives the outage" kill -0 $pid
broker_ctl up all >/dev/null
broker_ctl rtt all 0 >/dev/null

# --once: it exits 0 by itself once the source is drained
i=0
while kill -0 $pid 2>/dev/null && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
if kill -0 $pid 2>/dev/null; then
    fail "connector finishes within 60 s after the outage"
    kill -TERM $pid
else
    pass "connector finishes within 60 s after the outage"
fi
wait $pid
is "$?" 0 "connector exits 0"
wait $sampler 2>/dev/null

"$GDX" tail -H --from-beginning -s "$GDX_ROOT/tests/it/schemas" $TOPIC >"$T/got.jsonl"
"$GDX" tail -H --from-beginning _gdx.offsets >"$T/offsets.jsonl"
out=$($PY "$GDX_ROOT/tests/it/seqcheck.py" --count $N --got "$T/got.jsonl" \
    --offsets "$T/offsets.jsonl" --connector test.outage)
is "$?" 0 "exactly once through a ${OUTAGE}s outage: $out"
is "$(ls "$T/drop/done" | grep -c 'csv$')" 6 "all files in done/"

down=$(grep -c 'level=warn.*msg="kafka unreachable' "$T/run.log")
is "$down" 1 "the outage is reported once (warn)"
ok "the recovery is reported with the outage length" \
    grep -q 'level=info.*msg="kafka reachable again" outage_ms=[0-9]' "$T/run.log"
diag "$(grep -c 'level=warn' "$T/run.log") warn lines in all; first ones:"
grep 'level=warn' "$T/run.log" | head -5 | cut -c1-200 | sed 's/^/#   /'

hwm=$(cat "$T/hwm" 2>/dev/null || echo 0)
diag "peak RSS (VmHWM) ${hwm} kB; bound ${RSS_MAX_KB} kB (inflight.max.bytes 8MiB)"
if ldd "$GDX" 2>/dev/null | grep -q libasan; then
    pass "# SKIP RSS bound: sanitizer build (shadow memory)"
else
    ok "peak RSS ${hwm} kB < ${RSS_MAX_KB} kB" test "$hwm" -gt 0 -a "$hwm" -lt $RSS_MAX_KB
fi
done_testing
