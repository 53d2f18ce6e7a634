#!/bin/bash
# The connector's audit trail: start, batch_committed (with offset ranges and SM3 digests),
# dead letters, policy and stop events; it verifies with the trust file, reconciles against
# the topic, is mirrored to _gdx.audit, and a crash between a Kafka commit and its audit
# event is repaired at the next start with a `recovered` event.
. "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3

start_broker || { fail "broker starts"; done_testing; }
export GDX_BOOTSTRAP=$BOOTSTRAP
mkdir -p "$T/drop" "$T/state" "$T/keys" "$T/audit"
"$GDX" keygen --sm4 "$T/keys/dept.key" >/dev/null 2>&1
"$GDX" keygen --sm2 "$T/keys/audit.pem" --pub "$T/keys/audit.pub.pem" >/dev/null 2>&1
printf 'hotline-audit-2026 %s\n' "$T/keys/audit.pub.pem" >"$T/trust.txt"
$PY "$GDX_ROOT/examples/gen_sample.py" --kind workorders --rows 3000 --bad 4 --seed 3 \
    --out "$T/drop/wo-1.csv" --expect "$T/expect1.jsonl" 2>/dev/null
touch "$T/drop/wo-1.csv.ok"
{
    cat <<YAML
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
  max.records: 700
protect:
  caller_name: mask
  caller_id_no: encrypt
keys:
  encrypt.key.file: $T/keys/dept.key
audit:
  dir: $T/audit
  key.file: $T/keys/audit.pem
  key.id: hotline-audit-2026
  checkpoint.lines: 5
YAML
    sed -n '/^fields:/,/^[a-z]/p' "$GDX_ROOT/examples/demo/hotline12345.workorders.yaml" | sed '$d'
    echo "source:"
    echo "  path: $T/drop"
} >"$T/conf.yaml"

timeout 120 "$GDX" connector run --once -c "$T/conf.yaml" 2>"$T/run1.log"
is "$?" 0 "connector with an audit trail runs"
out=$("$GDX" audit verify --trust "$T/trust.txt" --strict "$T/audit" 2>&1)
is "$?" 0 "gdx audit verify: $(echo "$out" | head -1)"
$PY - "$T/audit" <<'PYEOF' >"$T/events.out" 2>&1
import glob, json, sys
ev = [json.loads(l) for f in sorted(glob.glob(sys.argv[1] + "/*.jsonl")) for l in open(f)]
types = [e["type"] for e in ev]
assert "start" in types and "stop" in types, types
b = [e for e in ev if e["type"] == "batch_committed"]
assert sum(e["records"] for e in b) == 2996, sum(e["records"] for e in b)
assert sum(e["dead"] for e in b) == 4
for e in b:
    for r in e["ranges"]:
        assert r["topic"] == "gov.hotline12345.workorders.workorder" and len(r["sm3"]) == 64, r
assert any(e["type"] == "dead_letters" for e in ev)
assert any(e["type"] == "policy_applied" for e in ev)
assert any(e["type"] == "checkpoint" for e in ev)
print("ok")
PYEOF
is "$(tail -1 "$T/events.out")" ok "events: start, batches with ranges and digests, dead letters, policy, checkpoints, stop"
[ "$(tail -1 "$T/events.out")" = ok ] || sed 's/^/#   /' "$T/events.out" | tail -5
out=$("$GDX" audit reconcile --bootstrap "$BOOTSTRAP" "$T/audit" 2>&1)
is "$?" 0 "gdx audit reconcile: counts and digests match the topic"
[ $? = 0 ] || echo "$out" | tail -5 | sed 's/^/#   /'
n=$("$GDX" tail --from-beginning _gdx.audit | wc -l)
lines=$(cat "$T"/audit/*.jsonl | wc -l)
is "$n" "$lines" "every audit line is mirrored to _gdx.audit"
ok "personal data never in the audit trail" $PY "$GDX_ROOT/tests/it/piscan.py" "$T"/audit/*.jsonl

# a crash between a commit and its audit event
$PY "$GDX_ROOT/examples/gen_sample.py" --kind workorders --rows 1000 --bad 0 --seed 4 \
    --start "2026-09-22 08:00:00" --out "$T/drop/wo-2.csv" 2>/dev/null
touch "$T/drop/wo-2.csv.ok"
GDX_FAULTS=runtime.crash.after.commit@1 timeout 60 "$GDX" connector run --once -c "$T/conf.yaml" 2>"$T/run2.log"
is "$?" 137 "the connector dies right after a commit (fault point)"
timeout 60 "$GDX" connector run --once -c "$T/conf.yaml" 2>"$T/run3.log"
is "$?" 0 "it restarts"
ok "the missing batch event is written, marked recovered" grep -q '"recovered":true' $(ls "$T"/audit/*.jsonl)
ok "the restart says so" grep -q "has no audit event" "$T/run3.log"
out=$("$GDX" audit verify --trust "$T/trust.txt" "$T/audit" 2>&1)
is "$?" 0 "the chain continues across the crash: $(echo "$out" | head -1)"

# fail closed: when the trail cannot be written, the connector stops producing and says why
$PY "$GDX_ROOT/examples/gen_sample.py" --kind workorders --rows 1000 --bad 0 --seed 5 \
    --start "2026-09-23 08:00:00" --out "$T/drop/wo-3.csv" 2>/dev/null
touch "$T/drop/wo-3.csv.ok"
before=$("$GDX" tail --from-beginning gov.hotline12345.workorders.workorder | wc -l)
GDX_FAULTS=audit.fsync@3 timeout 60 "$GDX" connector run --once -c "$T/conf.yaml" 2>"$T/run4.log"
is "$?" 1 "an audit trail that cannot be written stops the connector (exit 1)"
ok "it says why" grep -q "cannot write the audit trail" "$T/run4.log"
timeout 60 "$GDX" connector run --once -c "$T/conf.yaml" 2>"$T/run5.log"
is "$?" 0 "once the disk is back it resumes"
"$GDX" tail -H --from-beginning gov.hotline12345.workorders.workorder >"$T/all.jsonl"
"$GDX" tail -H --from-beginning _gdx.offsets >"$T/offsets.jsonl"
n=$($PY -c '
import json, sys
keep = set()
for l in open(sys.argv[2]):
    v = json.loads(l)["value"]
    if isinstance(v, dict) and v.get("batch"):
        keep.add(v["batch"])
seen = {}
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["headers"]["gdx.batch"] in keep:
        pos = r["headers"]["gdx.src.pos"]
        seen[pos] = seen.get(pos, 0) + 1
print(len(seen), sum(1 for v in seen.values() if v > 1))' "$T/all.jsonl" "$T/offsets.jsonl")
is "$n" "4996 0" "every row of the three files exactly once"
out=$("$GDX" audit verify --trust "$T/trust.txt" "$T/audit" 2>&1)
is "$?" 0 "the trail still verifies: $(echo "$out" | head -1)"

# retention below the legal minimum is refused
sed 's/  checkpoint.lines: 5/  retention.days: 90/' "$T/conf.yaml" >"$T/bad.yaml"
"$GDX" connector check -c "$T/bad.yaml" >/dev/null 2>"$T/bad.err"
is "$?" 78 "retention below 183 days is refused (exit 78)"
ok "the error names the place and the legal minimum" grep -q "bad.yaml:.*below the legal minimum of 183 days" "$T/bad.err"
done_testing
