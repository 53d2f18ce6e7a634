#!/bin/bash
# At-least-once for comparison: `delivery: at-least-once`, the connector is killed with
# SIGKILL in the middle of a file three times and restarted. Nothing is lost; rows of the
# batches in flight at a kill may arrive twice (the count is reported, not asserted).
. "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3
N=30000
TOPIC=gdx.test.alo
KILLS=3

start_broker --topic $TOPIC:16 || { fail "broker starts"; done_testing; }
export GDX_BOOTSTRAP=$BOOTSTRAP
$PY "$GDX_ROOT/tests/it/seqgen.py" "$T/drop" $N 3
cat >"$T/c.yaml" <<YAML
connector:
  id: test.alo
  kind: file
kafka:
  bootstrap.servers: \${GDX_BOOTSTRAP}
topic: $TOPIC
schema: $GDX_ROOT/tests/it/schemas/seq.avsc
key: k
delivery: at-least-once
state.dir: $T/state
batch:
  max.records: 500
source:
  path: $T/drop
YAML

broker_ctl rtt all 20 >/dev/null
kills=0 midfile=0 i=0
while [ $kills -lt $KILLS ] && [ $i -lt 10 ]; do
    i=$((i + 1))
    bg "$GDX" connector run --once -c "$T/c.yaml" 2>>"$T/run.log"
    pid=$LAST_PID
    sleep "$($PY -c "import random; print(round(random.uniform(1.0, 2.0), 2))")"
    if kill -0 $pid 2>/dev/null; then
        kill -9 $pid
        kills=$((kills + 1))
        # mid-file: the file being read is still in the drop folder
        [ "$(ls "$T/drop" | grep -c 'csv$')" -gt 0 ] && midfile=$((midfile + 1))
    fi
    wait $pid 2>/dev/null
done 2>/dev/null # (no "Killed" job notices)
broker_ctl rtt all 0 >/dev/null
is "$kills" $KILLS "connector killed $KILLS times"
is "$midfile" $KILLS "every kill hit the middle of the source"
ok "the log says at-least-once" grep -q 'delivery=at-least-once' "$T/run.log"
timeout 60 "$GDX" connector run --once -c "$T/c.yaml" 2>>"$T/run.log"
is "$?" 0 "final run drains the source"

"$GDX" tail -H --from-beginning -s "$GDX_ROOT/tests/it/schemas" $TOPIC >"$T/got.jsonl"
# no --offsets filter: without transactions every record on the topic is delivered
out=$($PY "$GDX_ROOT/tests/it/seqcheck.py" --count $N --got "$T/got.jsonl" --allow-duplicates)
is "$?" 0 "at least once after $kills kills: $out"
diag "duplicates after $kills kills: $(echo "$out" | sed -n 's/.*duplicated=\([0-9]*\).*/\1/p')"
is "$(ls "$T/drop/done" | grep -c 'csv$')" 3 "all files in done/"
done_testing
