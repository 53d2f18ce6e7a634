#!/bin/bash
# A fatal producer error (librdkafka 2.0.2 turns an idempotent producer fatal after a lost
# broker response; GDX_FAULTS=kafka.fatal@N provokes it at the Nth batch commit): the log says
# the producer is recreated, the run completes by itself, and every row arrives exactly once.
# Two runs: the fault at the 3rd commit, then (new rows, same connector) at the 7th.
. "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3
N=20000
TOPIC=gdx.test.fatal

start_broker --topic $TOPIC:16 || { fail "broker starts"; done_testing; }
export GDX_BOOTSTRAP=$BOOTSTRAP
cat >"$T/c.yaml" <<YAML
connector:
  id: test.fatal
  kind: file
kafka:
  bootstrap.servers: \${GDX_BOOTSTRAP}
topic: $TOPIC
schema: $GDX_ROOT/tests/it/schemas/seq.avsc
key: k
state.dir: $T/state
batch:
  max.records: 1000
source:
  path: $T/drop
YAML

half=$((N / 2))
for run in 1 2; do
    # 1000-row batches of 5000-row files: commit 3 holds rows 2001-3000 of the first file,
    # commit 7 rows 1001-2000 of the second; the re-read starts right after the last commit
    if [ $run = 1 ]; then at=3 resume="'run1-000.csv' at line 2002"; else
        at=7 resume="'run2-001.csv' at line 1002"; fi
    first=$(((run - 1) * half + 1))
    $PY "$GDX_ROOT/tests/it/seqgen.py" "$T/drop" $half 2 --first $first --prefix "run$run"
    GDX_FAULTS=kafka.fatal@$at timeout 60 "$GDX" connector run --once -c "$T/c.yaml" \
        2>"$T/run$run.log"
    is "$?" 0 "run $run (kafka.fatal@$at) completes"
    ok "run $run: the log reports the fatal error and the recreation" \
        grep -q 'level=error.*msg="kafka producer fatal error, recreating the producer"' \
        "$T/run$run.log"
    is "$(grep -c 'msg="kafka producer fatal error' "$T/run$run.log")" 1 \
        "run $run: exactly one fatal error"
    ok "run $run: the failed batch was aborted and re-read" \
        grep -q 'msg="batch aborted, resuming from the committed position"' "$T/run$run.log"
    ok "run $run: resumed after the last committed batch ($resume)" \
        grep -q "msg=\"resuming $resume " "$T/run$run.log"
    ok "run $run: the stop line counts one abort" grep -q 'msg=stopped.*aborts=1' "$T/run$run.log"
    is "$(ls "$T/drop/done" | grep -c "^run$run-.*csv$")" 2 "run $run: its files in done/"
done

"$GDX" tail -H --from-beginning -s "$GDX_ROOT/tests/it/schemas" $TOPIC >"$T/got.jsonl"
"$GDX" tail -H --from-beginning _gdx.offsets >"$T/offsets.jsonl"
out=$($PY "$GDX_ROOT/tests/it/seqcheck.py" --count $N --got "$T/got.jsonl" \
    --offsets "$T/offsets.jsonl" --connector test.fatal)
is "$?" 0 "exactly once through two recreated producers: $out"
done_testing
