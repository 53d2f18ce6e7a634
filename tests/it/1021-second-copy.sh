#!/bin/bash
# A second copy of a running connector is refused: it exits non-zero at once and its stderr
# names the running copy's pid. Once the first copy stops (SIGTERM), the second one starts
# and continues where the first stopped: every row exactly once.
. "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3
N=20000
TOPIC=gdx.test.second

start_broker --topic $TOPIC:16 || { fail "broker starts"; done_testing; }
export GDX_BOOTSTRAP=$BOOTSTRAP
$PY "$GDX_ROOT/tests/it/seqgen.py" "$T/drop" $N 4
cat >"$T/c.yaml" <<YAML
connector:
  id: test.second
  kind: file
kafka:
  bootstrap.servers: \${GDX_BOOTSTRAP}
topic: $TOPIC
schema: $GDX_ROOT/tests/it/schemas/seq.avsc
key: k
state.dir: $T/state
batch:
  max.records: 250
source:
  path: $T/drop
YAML

# slow the cluster down so the first copy is still producing when the second one starts
broker_ctl rtt all 20 >/dev/null
bg "$GDX" connector run -c "$T/c.yaml" 2>"$T/first.log"
first=$LAST_PID
wait_for 20 grep -q 'msg="reading' "$T/first.log" || diag "first copy did not start reading"
sleep 1

start=$(date +%s%N)
"$GDX" connector run --once -c "$T/c.yaml" >"$T/second.out" 2>"$T/second.err"
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
ok "second copy exits non-zero (rc=$rc)" test "$rc" -ne 0
ok "second copy gives up at once (${ms} ms)" test "$ms" -lt 5000
ok "its stderr names the running copy's pid $first" grep -q "already running.*pid $first" \
    "$T/second.err"
ok "and names the connector" grep -q "test.second" "$T/second.err"
is "$(cat "$T/second.out")" "" "nothing on stdout"
diag "$(head -c 300 "$T/second.err")"
ok "the first copy is still running" kill -0 "$first"
ok "the first copy has not finished yet" test "$(ls "$T/drop/done" 2>/dev/null | grep -c 'csv$')" -lt 4

kill -TERM "$first"
wait "$first"
is "$?" 0 "first copy exits 0 on SIGTERM"
ok "first copy logged that it stopped" grep -q 'msg=stopped' "$T/first.log"

broker_ctl rtt all 0 >/dev/null
timeout 60 "$GDX" connector run --once -c "$T/c.yaml" 2>"$T/third.log"
is "$?" 0 "second copy now runs and drains the source"
ok "it resumed from the committed position" grep -q 'msg=resuming offset={' "$T/third.log"

"$GDX" tail -H --from-beginning -s "$GDX_ROOT/tests/it/schemas" $TOPIC >"$T/got.jsonl"
"$GDX" tail -H --from-beginning _gdx.offsets >"$T/offsets.jsonl"
out=$($PY "$GDX_ROOT/tests/it/seqcheck.py" --count $N --got "$T/got.jsonl" \
    --offsets "$T/offsets.jsonl" --connector test.second)
is "$?" 0 "exactly once across the two copies: $out"
is "$(ls "$T/drop/done" | grep -c 'csv$')" 4 "all files in done/"

# A copy that opened the lock file just before the running copy released it must still
# exclude later copies once it holds the lock (the lock file must not be unlinked while
# someone may hold it open). B is that copy, played by Python with the same fcntl lock.
bg "$GDX" connector run -c "$T/c.yaml" 2>"$T/a.log"
a=$LAST_PID
wait_for 20 grep -q 'msg=resuming' "$T/a.log"
/usr/bin/python3 - "$T/state/test.second.lock" "$T/b.ready" "$T/a.gone" "$T/b.locked" <<'PYEOF' &
import fcntl, os, sys, time
f = open(sys.argv[1], "r+")
open(sys.argv[2], "w").close()
while not os.path.exists(sys.argv[3]):
    time.sleep(0.05)
fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
open(sys.argv[4], "w").close()
time.sleep(5)
PYEOF
b=$!
PIDS+=($b)
wait_for 10 test -e "$T/b.ready"
kill -TERM $a
wait $a
touch "$T/a.gone"
wait_for 10 test -e "$T/b.locked"
ok "B took the lock after the first copy stopped" test -e "$T/b.locked"
"$GDX" connector run --once -c "$T/c.yaml" 2>"$T/c.err"
rc=$?
ok "a copy started while B holds the lock is refused (rc=$rc)" test $rc -ne 0
ok "and names B's pid $b" grep -q "already running.*pid $b" "$T/c.err"
kill $b 2>/dev/null
wait $b 2>/dev/null
done_testing
