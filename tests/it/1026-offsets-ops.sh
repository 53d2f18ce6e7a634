#!/bin/bash
# Operator control of the committed position: `gdx connector offsets show` prints it as JSON;
# `offsets reset` is refused while the connector runs (naming its pid); after a stop, `reset`
# makes the next run read the source again from the beginning (duplicates on purpose), and
# `offsets set --offset JSON` to a position in the middle of a file makes the next run
# resume exactly there. reset and set are logged on stderr with the action and the user.
. "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3
N=10000
TOPIC=gdx.test.offsets
ID=test.offsets

start_broker --topic $TOPIC:16 || { fail "broker starts"; done_testing; }
export GDX_BOOTSTRAP=$BOOTSTRAP
$PY "$GDX_ROOT/tests/it/seqgen.py" "$T/drop" $N 2
cp "$T/drop/seq-000.csv" "$T/drop/seq-001.csv" "$T"/
cat >"$T/c.yaml" <<YAML
connector:
  id: $ID
  kind: file
kafka:
  bootstrap.servers: \${GDX_BOOTSTRAP}
topic: $TOPIC
schema: $GDX_ROOT/tests/it/schemas/seq.avsc
key: k
state.dir: $T/state
batch:
  max.records: 500
source:
  path: $T/drop
YAML
off() { "$GDX" connector offsets "$@" -c "$T/c.yaml"; }
# jget FILE EXPR: evaluate a Python expression on the JSON document `d` read from FILE
jget() { $PY -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1" 2>&1; }
# per-seq counts of the committed records: "a..b=n" for runs of equal counts
counts() {
    "$GDX" tail -H --from-beginning -s "$GDX_ROOT/tests/it/schemas" $TOPIC >"$T/got.jsonl"
    "$GDX" tail -H --from-beginning _gdx.offsets >"$T/offsets.jsonl"
    $PY - "$T/got.jsonl" "$T/offsets.jsonl" $ID $N <<'PYEOF'
import collections, json, sys
got, offs, cid, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
keep = set()
for line in open(offs, encoding="utf-8"):
    v = json.loads(line).get("value")
    v = json.loads(v) if isinstance(v, str) else v
    if isinstance(v, dict) and v.get("connector") == cid and v.get("batch"):
        keep.add(v["batch"])
c = collections.Counter()
for line in open(got, encoding="utf-8"):
    r = json.loads(line)
    if r["headers"].get("gdx.batch") in keep:
        c[r["value"]["seq"]] += 1
runs, start = [], 1
for s in range(2, n + 2):
    if s == n + 1 or c[s] != c[start]:
        runs.append(f"{start}..{s - 1}={c[start]}")
        start = s
print(" ".join(runs))
PYEOF
}

# nothing committed yet
off show >"$T/show0.json" 2>"$T/show0.err"
is "$?" 0 "show before the first run exits 0"
is "$(jget "$T/show0.json" 'd["connector"], d["offset"]')" "$ID None" \
    "show before the first run: offset null"

# while running: show works, reset is refused and names the pid
broker_ctl rtt all 40 >/dev/null
bg "$GDX" connector run -c "$T/c.yaml" 2>"$T/run1.log"
pid=$LAST_PID
wait_for 20 grep -q "committed\|progress" "$T/run1.log"
sleep 1.5
off show >"$T/show1.json" 2>/dev/null
ok "show while running prints a file position" \
    test "$(jget "$T/show1.json" 'd["offset"]["file"].startswith("seq-")')" = True
USER=tester off reset >"$T/reset1.out" 2>"$T/reset1.err"
rc=$?
ok "reset while running is refused (rc=$rc)" test $rc -ne 0
ok "the refusal names the running copy's pid $pid" grep -q "already running.*pid $pid" \
    "$T/reset1.err"
ok "nothing was reset" sh -c "! grep -q 'operator reset' '$T/reset1.err'"
kill -TERM $pid
wait $pid
is "$?" 0 "the connector stops on SIGTERM"
broker_ctl rtt all 0 >/dev/null
timeout 60 "$GDX" connector run --once -c "$T/c.yaml" 2>"$T/run2.log"
is "$?" 0 "a second run drains the source"

off show >"$T/show2.json" 2>/dev/null
is "$(jget "$T/show2.json" 'd["connector"], d["offset"]["file"], d["offset"]["byte"] == d["offset"]["size"], d["offset"]["line"]')" \
    "$ID seq-001.csv True 5002" "show after the drain: the end of the last file"
ok "show prints the whole offset record (batch, records, committed.at)" \
    test "$(jget "$T/show2.json" '"batch" in d and "records" in d and "committed.at" in d')" = True
is "$(counts)" "1..10000=1" "every row once before the reset"

# reset after the stop: the files are delivered again and read from the beginning
USER=tester off reset >"$T/reset2.out" 2>"$T/reset2.err"
is "$?" 0 "reset after the stop exits 0"
ok "reset is logged with the action and the user" \
    grep -Eq "msg=\"operator reset the offset\" offset=start user=(tester|$(id -un))( |\$)" \
    "$T/reset2.err"
off show >"$T/show3.json" 2>/dev/null
is "$(jget "$T/show3.json" 'd["offset"], d.get("operator")')" "None reset" \
    "show after the reset: offset null, marked as an operator reset"
cp "$T/seq-000.csv" "$T/seq-001.csv" "$T/drop/"
touch "$T/drop/seq-000.csv.ok" "$T/drop/seq-001.csv.ok"
timeout 60 "$GDX" connector run --once -c "$T/c.yaml" 2>"$T/run3.log"
is "$?" 0 "the run after the reset drains the source"
ok "it started from the beginning" grep -q 'msg=resuming offset=start' "$T/run3.log"
is "$(counts)" "1..10000=2" "after the reset every row twice (count doubled)"

# set: resume in the middle of the first file, at seq 2501 (line 2502)
$PY - "$T/seq-000.csv" "$T/show2.json" "$T/offsets.jsonl" >"$T/mid.json" <<'PYEOF'
import json, sys
path = sys.argv[1]
data = open(path, "rb").read()
lines = data.split(b"\r\n")
byte = sum(len(l) + 2 for l in lines[:2501])  # header + seq 1..2500
head = None
for line in open(sys.argv[3], encoding="utf-8"):
    v = json.loads(line)["value"]
    v = json.loads(v) if isinstance(v, str) else v
    o = v.get("offset")
    if isinstance(o, dict) and o.get("file") == "seq-000.csv":
        head = o["head"]
print(json.dumps({"file": "seq-000.csv", "size": len(data), "head": head, "byte": byte,
                  "line": 2502}, separators=(",", ":")))
PYEOF
mid=$(cat "$T/mid.json")
diag "set to $mid"
cp "$T/seq-000.csv" "$T/drop/"
touch "$T/drop/seq-000.csv.ok"
USER=tester off set --offset "$mid" >"$T/set.out" 2>"$T/set.err"
is "$?" 0 "set exits 0"
ok "set is logged with the action, the position and the user" \
    grep -Eq "msg=\"operator set the offset\" offset=.*seq-000.csv.*user=(tester|$(id -un))( |\$)" \
    "$T/set.err"
off show >"$T/show4.json" 2>/dev/null
is "$(jget "$T/show4.json" 'json.dumps(d["offset"], separators=(",", ":")), d.get("operator")')" \
    "$mid set" "show prints the position that was set"
timeout 60 "$GDX" connector run --once -c "$T/c.yaml" 2>"$T/run4.log"
is "$?" 0 "the run after set drains the source"
ok "it resumed at line 2502 of seq-000.csv" grep -q "resuming 'seq-000.csv' at line 2502 " \
    "$T/run4.log"
is "$(counts)" "1..2500=2 2501..5000=3 5001..10000=2" \
    "after set exactly seq 2501..5000 arrived once more"
is "$(ls "$T/drop" | grep -c csv)" 0 "all files back in done/"

ok "set with invalid JSON is a usage error" sh -c "! '$GDX' connector offsets set \
    --offset '{oops' -c '$T/c.yaml' 2>/dev/null"
done_testing
