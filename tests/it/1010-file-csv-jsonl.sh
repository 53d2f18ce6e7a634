#!/bin/bash
# Files dropped into a folder arrive on Kafka as Avro records equal to the input rows, in
# order per key; bad rows go to the dead letter topic with their line numbers; finished files
# move to done/; an incomplete file (no .ok marker yet) is left alone.
. "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3

start_broker || { fail "broker starts"; done_testing; }
mkdir -p "$T/drop/hotline" "$T/drop/grid" "$T/state" "$T/keys"
"$GDX" keygen --sm4 "$T/keys/dept.key" >/dev/null || fail "keygen"

# --- CSV in GB18030 with bad rows, split over two files
$PY "$GDX_ROOT/examples/gen_sample.py" --kind workorders --rows 3000 --encoding gb18030 --bad 6 \
    --seed 7 --out "$T/drop/hotline/wo-20260920-1.csv" --expect "$T/expect1.jsonl" 2>"$T/bad1.txt"
$PY "$GDX_ROOT/examples/gen_sample.py" --kind workorders --rows 1000 --encoding gb18030 --bad 0 \
    --seed 8 --start "2026-09-21 08:00:00" --out "$T/drop/hotline/wo-20260921-2.csv" \
    --expect "$T/expect2.jsonl" 2>/dev/null
# a third export whose header lists the same columns in another order (the columns are
# looked up again for each file's header, not kept from the file before)
$PY "$GDX_ROOT/examples/gen_sample.py" --kind workorders --rows 500 --encoding gb18030 --bad 0 \
    --seed 9 --start "2026-09-21 18:00:00" --out "$T/wo-3.csv" --expect "$T/expect3.jsonl" \
    2>/dev/null
$PY - "$T/wo-3.csv" "$T/drop/hotline/wo-20260921-2b.csv" <<'EOF_PY'
import csv, sys
with open(sys.argv[1], encoding="gb18030", newline="") as f:
    rows = list(csv.reader(f))
with open(sys.argv[2], "w", encoding="gb18030", newline="") as f:
    csv.writer(f).writerows(r[::-1] for r in rows)
EOF_PY
cat "$T/expect1.jsonl" "$T/expect2.jsonl" "$T/expect3.jsonl" >"$T/expect-wo.jsonl"
touch "$T/drop/hotline/wo-20260920-1.csv.ok" "$T/drop/hotline/wo-20260921-2.csv.ok" \
    "$T/drop/hotline/wo-20260921-2b.csv.ok"
# still being written: no marker, must not be picked up
echo "工单编号" >"$T/drop/hotline/wo-20260922-3.csv"

cat >"$T/hotline.yaml" <<YAML
connector:
  id: hotline12345.workorders
  kind: file
kafka:
  bootstrap.servers: \${GDX_BOOTSTRAP}
topic: gov.hotline12345.workorders.workorder
schema: $GDX_ROOT/schemas/hotline12345/workorder.avsc
key: order_no
state.dir: $T/state
batch:
  max.records: 500
protect:
  caller_id_no: keep     # stated on purpose: this test compares values
keys:
  encrypt.key.file: $T/keys/dept.key
YAML
sed -n '/^fields:/,/^[a-z]/p' "$GDX_ROOT/examples/demo/hotline12345.workorders.yaml" | sed '$d' >>"$T/hotline.yaml"
cat >>"$T/hotline.yaml" <<YAML
source:
  path: $T/drop/hotline
  encoding: gb18030
YAML
export GDX_BOOTSTRAP=$BOOTSTRAP

ok "connector check passes" "$GDX" connector check -c "$T/hotline.yaml"
timeout 120 "$GDX" connector run --once -c "$T/hotline.yaml" 2>"$T/run1.log"
is "$?" 0 "csv connector drains the folder and exits 0"

"$GDX" tail -H --from-beginning -s "$GDX_ROOT/schemas" gov.hotline12345.workorders.workorder >"$T/got-wo.jsonl"
out=$($PY "$GDX_ROOT/tests/it/check.py" records --expect "$T/expect-wo.jsonl" --got "$T/got-wo.jsonl" --key order_no 2>&1)
ok "decoded records equal the CSV rows ($out)" test $? = 0

"$GDX" tail -H --from-beginning _gdx.dlq.hotline12345.workorders >"$T/dlq.jsonl"
want_lines=$(sed -n 's/.*line=\([0-9]*\).*/\1/p' "$T/bad1.txt" | sort -n | tr '\n' ' ')
got_lines=$($PY -c '
import json,sys
ls=[]
for l in open(sys.argv[1]):
    r=json.loads(l); p=r["headers"]["gdx.src.pos"]
    ls.append(int(p.rsplit(":",1)[1]))
print(" ".join(str(x) for x in sorted(ls))+" ")' "$T/dlq.jsonl")
is "$got_lines" "$want_lines" "bad rows are dead letters with their line numbers"
$PY - "$T/dlq.jsonl" <<'PYEOF' >"$T/dlq-check.out" 2>&1
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    h = r["headers"]
    for k in ("gdx.error.stage", "gdx.error.reason", "gdx.src.pos", "gdx.connector", "gdx.batch"):
        assert h.get(k), (k, h)
    assert h["gdx.error.stage"] in ("parse", "map", "validate", "encode"), h
    assert r["value"].startswith("enc:v1:dept:"), r
    assert h.get("gdx.protect") == "raw=encrypt", h
PYEOF
ok "dead letters carry stage, reason, position and the sealed raw row" test ! -s "$T/dlq-check.out"
[ -s "$T/dlq-check.out" ] && head -5 "$T/dlq-check.out" | sed 's/^/#   /'
"$GDX" tail --from-beginning _gdx.dlq.hotline12345.workorders | head -1 | sed 's/^"//; s/"$//' |
    "$GDX" decrypt -k "$T/keys/dept.key" >"$T/raw1" 2>"$T/decrypt.err"
ok "the key holder decrypts a dead letter to a raw row of the source file" /usr/bin/python3 -c '
import sys
raw = open(sys.argv[1], "rb").read().rstrip(b"\n")
src = open(sys.argv[2], "rb").read()
assert raw.startswith("GD2026".encode()) and len(raw) > 50 and raw in src, raw[:80]
' "$T/raw1" "$T/drop/hotline/done/wo-20260920-1.csv"

ok "finished files moved to done/" test -f "$T/drop/hotline/done/wo-20260920-1.csv" -a \
    -f "$T/drop/hotline/done/wo-20260921-2.csv" -a -f "$T/drop/hotline/done/wo-20260921-2b.csv"
ok "incomplete file left in place" test -f "$T/drop/hotline/wo-20260922-3.csv"

# headers on every record
$PY - "$T/got-wo.jsonl" <<'PYEOF' >"$T/hdr-check.out" 2>&1
import json, sys, re
for l in open(sys.argv[1]):
    r = json.loads(l)
    h = r["headers"]
    assert h["gdx.unit"] == "hotline12345" and h["gdx.system"] == "workorders", h
    assert h["gdx.connector"].startswith("hotline12345.workorders@"), h
    assert re.fullmatch(r"[0-9a-f]{64}", h["gdx.config"]), h
    assert re.fullmatch(r"file:wo-2026092[01]-(1|2|2b)\.csv:\d+", h["gdx.src.pos"]), h
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+08:00", h["gdx.extracted.at"]), h
    assert h["gdx.batch"] and h["gdx.level"] in ("general", "important", "core"), h
    assert r["key"] == r["value"]["order_no"], r
PYEOF
ok "lineage headers and business key on every record" test ! -s "$T/hdr-check.out"
[ -s "$T/hdr-check.out" ] && head -5 "$T/hdr-check.out" | sed 's/^/#   /'

# --- JSON Lines
$PY "$GDX_ROOT/examples/gen_sample.py" --kind incidents --rows 2000 --bad 4 --seed 9 \
    --out "$T/drop/grid/inc-20260920.jsonl" --expect "$T/expect-inc.jsonl" 2>"$T/bad-inc.txt"
touch "$T/drop/grid/inc-20260920.jsonl.ok"
cat >"$T/grid.yaml" <<YAML
connector:
  id: grid.incidents
  kind: file
kafka:
  bootstrap.servers: \${GDX_BOOTSTRAP}
topic: gov.grid.incidents.incident
schema: $GDX_ROOT/schemas/grid/incident.avsc
key: incident_no
state.dir: $T/state
protect:
  location: keep
keys:
  encrypt.key.file: $T/keys/dept.key
source:
  path: $T/drop/grid
YAML
timeout 120 "$GDX" connector run --once -c "$T/grid.yaml" 2>"$T/run2.log"
is "$?" 0 "jsonl connector drains the folder and exits 0"
"$GDX" tail -H --from-beginning -s "$GDX_ROOT/schemas" gov.grid.incidents.incident >"$T/got-inc.jsonl"
out=$($PY "$GDX_ROOT/tests/it/check.py" records --expect "$T/expect-inc.jsonl" --got "$T/got-inc.jsonl" --key incident_no 2>&1)
ok "decoded incidents equal the JSONL rows ($out)" test $? = 0
n=$("$GDX" tail --from-beginning _gdx.dlq.grid.incidents | wc -l)
is "$n" 4 "bad JSONL lines are dead letters"

# a second run finds nothing new and adds nothing
timeout 60 "$GDX" connector run --once -c "$T/grid.yaml" 2>"$T/run3.log"
n=$("$GDX" tail --from-beginning gov.grid.incidents.incident | wc -l)
is "$n" "$(wc -l <"$T/expect-inc.jsonl")" "a second run adds nothing"

done_testing
