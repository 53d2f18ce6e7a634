#!/bin/bash
# exec connector, exactly once through failures: a Singer tap (tests/it/1500-seqtap.py) that
# exits in the middle of a line or is SIGKILLed mid-stream is restarted from its last
# committed STATE and the committed messages after it are skipped; then the connector itself
# is SIGKILLed at random points and restarted. Every record is on the topic exactly once, in
# order per key; records of the tap's other stream are not; the adapter never outlives a
# killed connector. And a transaction aborted after its records were read (a fatal producer
# error at the 3rd commit) makes the running connector restart its adapter from the committed
# STATE. Batches of 300 records end between the tap's STATEs (every 250).
. "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3
N=${EXEC_ROWS:-20000}

start_broker --topic gdx.test.exec1:16 --topic gdx.test.exec2:16 --topic gdx.test.exec3:16 || { fail "broker starts"; done_testing; }
export GDX_BOOTSTRAP=$BOOTSTRAP
mkdir -p "$T/state"

# conf NAME TOPIC TAPCONFIG: an exec connector running the sequenced tap
conf() {
    cat >"$T/$1.yaml" <<YAML
connector:
  id: test.exec$1
  kind: exec
kafka:
  bootstrap.servers: \${GDX_BOOTSTRAP}
topic: $2
schema: $GDX_ROOT/tests/it/schemas/seq.avsc
key: k
state.dir: $T/state
batch:
  max.records: 300
source:
  command: [$PY, $GDX_ROOT/tests/it/1500-seqtap.py]
  config: $3
  stream: seq
  restart.backoff.ms: 100ms
  stop.grace.ms: 2s
YAML
}

check() { # TOPIC CONNECTOR
    "$GDX" tail -H --from-beginning -s "$GDX_ROOT/tests/it/schemas" "$1" >"$T/got-$2.jsonl"
    "$GDX" tail -H --from-beginning _gdx.offsets >"$T/offsets-$2.jsonl"
    $PY "$GDX_ROOT/tests/it/seqcheck.py" --count "$N" --got "$T/got-$2.jsonl" \
        --offsets "$T/offsets-$2.jsonl" --connector "$2"
}

# 1. the tap fails four times: twice exiting in the middle of a line, twice SIGKILLed
printf 'exit 3001\nkill 7777\nexit 12001\nkill 15555\n' >"$T/faults1"
cat >"$T/tap1.json" <<JSON
{"count": $N, "state_every": 250, "noise_every": 7, "faults": "$T/faults1"}
JSON
conf 1 gdx.test.exec1 "$T/tap1.json"
timeout 300 "$GDX" connector run --once -c "$T/1.yaml" 2>"$T/run1.log"
is "$?" 0 "the connector drains the tap through its failures"
is "$(grep -c 'msg="adapter failed' "$T/run1.log")" 4 "four failures seen"
ok "an exit is reported with its status" grep -q 'how="exited with status 3"' "$T/run1.log"
ok "a SIGKILL is reported with its signal" grep -q 'how="was killed by signal 9' "$T/run1.log"
ok "the half line of a failed tap is dropped, not a dead letter" \
    grep -q "last line has no newline and it failed" "$T/run1.log"
ok "restarts skip the committed messages after the STATE" \
    grep -q 'msg="adapter started".*from=state skip=[1-9]' "$T/run1.log"
ok "replays reach the committed position" grep -q 'replay reached the committed position' "$T/run1.log"
ok "the tap replays deterministically (no digest mismatch)" \
    sh -c "! grep -q 'did not write the same messages' '$T/run1.log'"
ok "the tap's stderr is forwarded with the connector id" \
    grep -q 'connector=test.exec1 msg="INFO seqtap starting' "$T/run1.log"
ok "and its level" grep -q 'level=error connector=test.exec1 msg="ERROR seqtap: injected failure"' "$T/run1.log"
ok "no dead letters" grep -q 'msg=stopped records=[0-9]* dead=0 ' "$T/run1.log"
out=$(check gdx.test.exec1 test.exec1)
is "$?" 0 "exactly once through four adapter failures: $out"
ok "no record of the other stream reached the topic" \
    sh -c "! grep -q '\"id\"' '$T/got-test.exec1.jsonl'"
ok "the offset holds the last STATE" \
    grep -q "\"offset\":{\"state\":{\"seq\":$N},\"records\":0" "$T/offsets-test.exec1.jsonl"

# 2. the connector is SIGKILLed at random points while the tap writes slowly
cat >"$T/tap2.json" <<JSON
{"count": $N, "state_every": 250, "pause_every": 200, "pause_s": 0.1,
 "pid_file": "$T/tap2.pid"}
JSON
conf 2 gdx.test.exec2 "$T/tap2.json"
kills=0 orphans=0
for i in 1 2 3 4 5; do
    rm -f "$T/tap2.pid"
    "$GDX" connector run -c "$T/2.yaml" 2>>"$T/run2.log" &
    pid=$!
    wait_for 30 test -s "$T/tap2.pid"
    sleep "$($PY -c "import random; print(round(random.uniform(0.5, 1.5), 2))")"
    if kill -0 $pid 2>/dev/null; then
        kill -9 $pid
        kills=$((kills + 1))
    fi
    wait $pid 2>/dev/null
    tap=$(cat "$T/tap2.pid" 2>/dev/null)
    if [ -n "$tap" ] && ! wait_for 10 sh -c "! kill -0 $tap 2>/dev/null"; then
        orphans=$((orphans + 1))
        kill -9 "$tap" 2>/dev/null
    fi
done
diag "killed the connector $kills times"
ok "the connector was killed at least 4 times" test "$kills" -ge 4
is "$orphans" 0 "the tap never outlived a killed connector"
timeout 300 "$GDX" connector run --once -c "$T/2.yaml" 2>>"$T/run2.log"
is "$?" 0 "a last run drains the tap"
out=$(check gdx.test.exec2 test.exec2)
is "$?" 0 "exactly once after $kills SIGKILLs of the connector: $out"

# 3. an aborted transaction: the runtime repositions the connector, which restarts the tap
printf '{"count": %d, "state_every": 250}\n' "$N" >"$T/tap3.json"
conf 3 gdx.test.exec3 "$T/tap3.json"
GDX_FAULTS=kafka.fatal@3 timeout 300 "$GDX" connector run --once -c "$T/3.yaml" 2>"$T/run3.log"
is "$?" 0 "the connector drains the tap through an aborted transaction"
ok "the batch was aborted" grep -q 'msg="batch aborted, resuming from the committed position"' "$T/run3.log"
ok "the adapter was stopped for the repositioning" \
    grep -q 'msg="stopping the adapter".*repositioned the connector to its committed position' "$T/run3.log"
ok "and started again from the committed STATE, skipping what was committed after it" \
    grep -Eq 'msg="adapter started".*run=2 from=state skip=[0-9]+' "$T/run3.log"
out=$(check gdx.test.exec3 test.exec3)
is "$?" 0 "exactly once through an aborted transaction: $out"
done_testing
