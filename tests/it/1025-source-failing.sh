#!/bin/bash
# The source fails for a while: the connector waits, the log says why (a warn line with the
# reason), and then it goes on; every row arrives exactly once and every file ends in done/.
#   a. opening a file fails once (GDX_FAULTS=file.open@2: ETIMEDOUT, a network share that
#      does not answer) and moving a committed file to done/ fails once (file.move@1: ENOSPC)
#   b. a read fails in the middle of a file (file.read@5: EIO), with rows already in the batch
#   c. an exporter holds a real fcntl write lock on the file for 3 s
# (Tests run as root, so permissions cannot deny access; EACCES itself is not transient: such a
# file goes to failed/, see 1010.)
. "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3
TOPIC=gdx.test.srcfail
N_A=10000 N_B=10000 N_C=5000
N=$((N_A + N_B + N_C))

start_broker --topic $TOPIC:16 || { fail "broker starts"; done_testing; }
export GDX_BOOTSTRAP=$BOOTSTRAP
mkdir -p "$T/drop"
cat >"$T/c.yaml" <<YAML
connector:
  id: test.srcfail
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
  read.buffer.bytes: 16KiB
YAML
warns() { grep 'level=warn' "$1" | cut -c1-260 | sed 's/^/#   /'; }

# a. open and move fail once each
$PY "$GDX_ROOT/tests/it/seqgen.py" "$T/drop" $N_A 2 --prefix a
GDX_FAULTS=file.open@2,file.move@1 timeout 60 "$GDX" connector run --once -c "$T/c.yaml" \
    2>"$T/a.log"
is "$?" 0 "a: run completes"
ok "a: the failed open is logged as a warning with its reason" \
    grep -q "level=warn.*msg=\"source temporarily failing, retrying\" reason=\"cannot open '$T/drop/a-001.csv': Connection timed out\"" \
    "$T/a.log"
ok "a: the failed move is logged as a warning with its reason" \
    grep -q "level=warn.*msg=\"source cannot acknowledge the committed position, retrying\" reason=\"cannot move '$T/drop/a-000.csv' to '$T/drop/done': No space left on device\"" \
    "$T/a.log"
is "$(ls "$T/drop/done" | grep -c '^a-.*csv$')" 2 "a: both files in done/"
is "$(ls "$T/drop/done" | grep -c '^a-.*csv.ok$')" 2 "a: with their markers"
warns "$T/a.log"

# b. a read fails mid-file while the batch holds rows
$PY "$GDX_ROOT/tests/it/seqgen.py" "$T/drop" $N_B 2 --prefix b --first $((N_A + 1))
GDX_FAULTS=file.read@5 timeout 60 "$GDX" connector run --once -c "$T/c.yaml" 2>"$T/b.log"
is "$?" 0 "b: run completes"
ok "b: the failed read is logged as a warning with its reason" \
    grep -q "level=warn.*msg=\"source temporarily failing, retrying\" reason=\"cannot read '$T/drop/b-000.csv': Input/output error\"" \
    "$T/b.log"
is "$(ls "$T/drop/done" | grep -c '^b-.*csv$')" 2 "b: both files in done/"
warns "$T/b.log"

# c. a real write lock (fcntl, as lockf and most exporters take it) held for 3 s
$PY "$GDX_ROOT/tests/it/seqgen.py" "$T/drop" $N_C 1 --prefix c --first $((N_A + N_B + 1))
$PY - "$T/drop/c-000.csv" "$T/locked" <<'PYEOF' &
import fcntl, sys, time
with open(sys.argv[1], "r+") as f:
    fcntl.lockf(f, fcntl.LOCK_EX)
    open(sys.argv[2], "w").close()
    time.sleep(3)
PYEOF
holder=$!
PIDS+=($holder)
wait_for 10 test -e "$T/locked"
t0=$(date +%s%N)
timeout 60 "$GDX" connector run --once -c "$T/c.yaml" 2>"$T/c.log"
is "$?" 0 "c: run completes"
ms=$((($(date +%s%N) - t0) / 1000000))
ok "c: it waited for the lock (${ms} ms >= 2500)" test $ms -ge 2500
ok "c: the log says the file is locked and by which process ($holder)" \
    grep -q "level=warn.*msg=\"source temporarily failing, retrying\" reason=\"'$T/drop/c-000.csv' is locked by process $holder " \
    "$T/c.log"
ok "c: then it read the file" grep -q "reading 'c-000.csv'" "$T/c.log"
is "$(ls "$T/drop/done" | grep -c '^c-.*csv$')" 1 "c: the file in done/"
warns "$T/c.log"
wait $holder

is "$(ls "$T/drop" | grep -c 'csv')" 0 "nothing left in the drop folder"
is "$(ls "$T/drop/failed" 2>/dev/null | wc -l)" 0 "nothing in failed/"
"$GDX" tail -H --from-beginning -s "$GDX_ROOT/tests/it/schemas" $TOPIC >"$T/got.jsonl"
"$GDX" tail -H --from-beginning _gdx.offsets >"$T/offsets.jsonl"
out=$($PY "$GDX_ROOT/tests/it/seqcheck.py" --count $N --got "$T/got.jsonl" \
    --offsets "$T/offsets.jsonl" --connector test.srcfail)
is "$?" 0 "exactly once through source failures: $out"
done_testing
