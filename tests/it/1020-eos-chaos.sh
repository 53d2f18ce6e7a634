#!/bin/bash
# Exactly once through faults: 200,000 sequenced rows in 10 files; the connector is killed
# with SIGKILL at random points and restarted while the embedded cluster injects request
# errors and latency. At the end every row is on the topic exactly once, in order per key.
# The rows go through the encode thread (CHAOS_ENCODE_THREAD=false: the reader's thread).
. "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3
N=${CHAOS_ROWS:-200000}
FILES=10
KILLS=${CHAOS_KILLS:-6}

start_broker --topic gdx.test.chaos:64 || { fail "broker starts"; done_testing; }
export GDX_BOOTSTRAP=$BOOTSTRAP
mkdir -p "$T/drop" "$T/state"
$PY - "$T/drop" "$N" "$FILES" <<'PYEOF'
import sys
d, n, files = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
per = n // files
seq = 1
for f in range(files):
    with open(f"{d}/seq-{f:03d}.csv", "w", encoding="utf-8", newline="") as out:
        out.write("seq,k,v\r\n")
        for _ in range(per if f < files - 1 else n - per * (files - 1)):
            out.write(f"{seq},K{seq % 97:03d},第{seq}条记录 项城市\r\n")
            seq += 1
    open(f"{d}/seq-{f:03d}.csv.ok", "w").close()
PYEOF

cat >"$T/chaos.yaml" <<YAML
connector:
  id: test.chaos
  kind: file
kafka:
  bootstrap.servers: \${GDX_BOOTSTRAP}
topic: gdx.test.chaos
schema: $GDX_ROOT/tests/it/schemas/seq.avsc
key: k
state.dir: $T/state
encode.thread: ${CHAOS_ENCODE_THREAD:-true}
batch:
  max.records: 2000
source:
  path: $T/drop
YAML

broker_ctl rtt all 5 >/dev/null
i=0
kills=0
while [ $kills -lt "$KILLS" ] && [ $i -lt 40 ]; do
    i=$((i + 1))
    "$GDX" connector run --once -c "$T/chaos.yaml" 2>>"$T/run.log" &
    pid=$!
    # faults while it runs: retriable produce and transaction errors
    case $((i % 3)) in
    0) broker_ctl errors Produce 3 NOT_LEADER_OR_FOLLOWER >/dev/null ;;
    1) broker_ctl errors AddPartitionsToTxn 2 COORDINATOR_LOAD_IN_PROGRESS >/dev/null ;;
    2) broker_ctl errors EndTxn 1 NOT_COORDINATOR >/dev/null ;;
    esac
    sleep "$($PY -c "import random; print(round(random.uniform(0.3, 1.5), 2))")"
    if kill -0 $pid 2>/dev/null; then
        kill -9 $pid
        kills=$((kills + 1))
    fi
    wait $pid 2>/dev/null
done
broker_ctl clear Produce >/dev/null 2>&1
broker_ctl rtt all 0 >/dev/null
diag "killed the connector $kills times"
ok "connector killed at least 5 times" test "$kills" -ge 5
timeout 300 "$GDX" connector run --once -c "$T/chaos.yaml" 2>>"$T/run.log"
is "$?" 0 "final run drains the source"

"$GDX" tail -H --from-beginning -s "$GDX_ROOT/tests/it/schemas" gdx.test.chaos >"$T/got.jsonl"
"$GDX" tail -H --from-beginning _gdx.offsets >"$T/offsets.jsonl"
out=$($PY "$GDX_ROOT/tests/it/seqcheck.py" --count "$N" --got "$T/got.jsonl" \
    --offsets "$T/offsets.jsonl" --connector test.chaos)
rc=$?
diag "$out"
is "$rc" 0 "exactly once after $kills kills: $out"
ok "all files done" test "$(ls "$T/drop/done" | grep -c 'csv$')" = "$FILES"
done_testing
