#!/bin/bash
# A hostile drop folder: symbolic links (to a file outside the folder, dangling, to a
# folder), a FIFO, a directory named like a data file, names with a newline and with invalid
# UTF-8, a file that shrinks while it is read and one rewritten after part of it was
# committed. Each is handled with a clear message naming it; the good files' rows arrive
# exactly once; nothing outside the folder is read; the connector never hangs; every log
# record stays on one line.
. "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3
TOPIC=gdx.test.hostile

start_broker --topic $TOPIC:4 || { fail "broker starts"; done_testing; }
export GDX_BOOTSTRAP=$BOOTSTRAP
D=$T/drop
mkdir -p "$D" "$T/outside" "$T/state"
conf() { # ID
    cat <<YAML
connector:
  id: $1
  kind: file
kafka:
  bootstrap.servers: \${GDX_BOOTSTRAP}
topic: $TOPIC
schema: $GDX_ROOT/tests/it/schemas/seq.avsc
wire.format: single-object
key: k
state.dir: $T/state
batch:
  max.records: 50
source:
  path: $D
  read.buffer.bytes: 4KiB
YAML
}
conf test.hostile >"$T/c.yaml"
check() { # ID COUNT LABEL
    "$GDX" tail -H --from-beginning -s "$GDX_ROOT/tests/it/schemas" $TOPIC >"$T/got.jsonl"
    "$GDX" tail -H --from-beginning _gdx.offsets >"$T/offsets.jsonl"
    out=$($PY "$GDX_ROOT/tests/it/seqcheck.py" --count "$2" --got "$T/got.jsonl" \
        --offsets "$T/offsets.jsonl" --connector "$1")
    is "$?" 0 "$3: $out"
}
one_line_logs() { # LOG
    ! grep -v '^ts=' "$1" | grep -q .
}

# good rows, split over a file with a newline in its name and a plain one
$PY "$GDX_ROOT/tests/it/seqgen.py" "$D" 300 2
mv "$D/seq-001.csv" "$D/seq-001"$'\n'"x.csv"
mv "$D/seq-001.csv.ok" "$D/seq-001"$'\n'"x.csv.ok"
# a secret outside the folder, reachable through a link
printf 'seq,k,v\n9001,K1,secret-of-the-host\n' >"$T/outside/secret.csv"
ln -s "$T/outside/secret.csv" "$D/link.csv"
touch "$D/link.csv.ok"
ln -s "$T/outside/missing.csv" "$D/dangling.csv"
touch "$D/dangling.csv.ok"
ln -s "$T/outside" "$D/dir-link.csv"
touch "$D/dir-link.csv.ok"
mkfifo "$D/pipe.csv"
touch "$D/pipe.csv.ok"
mkdir "$D/folder.csv"
touch "$D/folder.csv.ok"
printf 'seq,k,v\n9002,K2,x\n' >"$D/bad-"$'\xff\xfe'".csv"
touch "$D/bad-"$'\xff\xfe'".csv.ok"

timeout 60 "$GDX" connector run --once -c "$T/c.yaml" 2>"$T/a.log"
is "$?" 0 "the run completes, it does not hang on the FIFO"
check test.hostile 300 "the good rows exactly once, the secret never read"
ok "the file with a newline in its name is in done/" test -e "$D/done/seq-001"$'\n'"x.csv"
for f in link.csv dangling.csv dir-link.csv pipe.csv folder.csv; do
    ok "$f is in failed/ with a note" test -e "$D/failed/$f.error"
done
ok "the note says why: a link is not followed" grep -q 'symbolic link' "$D/failed/link.csv.error"
ok "the note of the FIFO says why" grep -q 'not a regular file' "$D/failed/pipe.csv.error"
ok "the invalid UTF-8 name is in failed/ with a note" \
    grep -q 'not valid UTF-8' "$D/failed/bad-"$'\xff\xfe'".csv.error"
ok "the log names the link" grep -q "level=error.*moved 'link.csv' to '$D/failed': .*symbolic link" "$T/a.log"
ok "the target of the link is untouched" grep -q secret-of-the-host "$T/outside/secret.csv"
ok "every log record is one line (a newline in a name is escaped)" one_line_logs "$T/a.log"
ok "the secret is not on the topic" bash -c "! grep -q secret-of-the-host '$T/got.jsonl'"

# a file that shrinks while it is read: Kafka slowed down so the read is still going on
$PY "$GDX_ROOT/tests/it/seqgen.py" "$D" 3000 1 --first 301 --prefix shrink
conf test.hostile2 >"$T/c2.yaml"
broker_ctl rtt all 100 >/dev/null
bg timeout 120 "$GDX" connector run --once -c "$T/c2.yaml" 2>"$T/b.log"
run=$LAST_PID
wait_for 60 grep -q "reading 'shrink-000.csv'" "$T/b.log"
wait_for 60 bash -c "'$GDX' tail --from-beginning -n 100000 -s '$GDX_ROOT/tests/it/schemas' $TOPIC | wc -l | awk '{exit !(\$1 >= 400)}'"
head -c 20000 "$D/shrink-000.csv" >"$T/short" && cat "$T/short" >"$D/shrink-000.csv"
broker_ctl rtt all 0 >/dev/null
wait $run
is "$?" 0 "the run with a shrinking file completes"
# what the file holds in the end is all delivered; the part committed before it shrank may
# come twice (the file is read again from its start, with a warning): nothing is lost
"$GDX" tail -H --from-beginning -s "$GDX_ROOT/tests/it/schemas" $TOPIC >"$T/got.jsonl"
"$GDX" tail -H --from-beginning _gdx.offsets >"$T/offsets.jsonl"
out=$($PY - "$T/got.jsonl" "$T/offsets.jsonl" "$T/short" <<'PYEOF'
import json, sys
keep = set()
for line in open(sys.argv[2], encoding="utf-8"):
    v = json.loads(line).get("value")
    v = json.loads(v) if isinstance(v, str) else v
    if isinstance(v, dict) and v.get("connector") == "test.hostile2":
        keep.add(v.get("batch"))
got = set()
for line in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(line)
    if r["headers"].get("gdx.batch") in keep:
        got.add(r["value"]["seq"])
rows = open(sys.argv[3], "rb").read().split(b"\r\n")[1:-1]  # complete rows only
want = {int(r.split(b",")[0]) for r in rows}
lost = sorted(want - got)
print(f"rows_in_file={len(want)} delivered={len(want & got)} lost={len(lost)}")
sys.exit(1 if lost or not want else 0)
PYEOF
)
is "$?" 0 "nothing the shrunken file holds is lost: $out"
ok "the log says the file shrank, naming it" grep -q "shrink-000.csv' shrank while being read" "$T/b.log"
ok "every log record is one line" one_line_logs "$T/b.log"
grep -E 'level=(warn|error)' "$T/b.log" | grep -v 'no audit' | head -3 | cut -c1-250 | sed 's/^/# /'
done_testing
