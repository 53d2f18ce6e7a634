#!/bin/bash
# City to province end to end: two embedded clusters and two registries. The city holds
# 12345 work orders (single-object encoded, from the file connector), a copy of part of them
# Confluent-framed (city registry ids), a few records that fail the egress policy, and a topic
# whose schema is not shared (不予共享). Two uplink instances forward concurrently (static
# partition sets). On the province: every record exactly once, keys kept and partitioned by
# murmur2, schema ids translated and resolvable, approval ids stamped, personal fields
# protected, every other field equal; failures in the city's uplink dead-letter topic; the
# unshared topic never read. A second run forwards nothing new; a conditional topic without
# an approval id is refused at start.
. "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3
N=${UPLINK_ROWS:-20000}
NCF=2000
CITY_ID=411681
W=gov.hotline12345.workorders.workorder
WCF=gov.hotline12345.workorders.workorder_cf
SEQ=gdx.test.seq

[ -x "$GDX" ] || skip_all "no gdx binary"
"$GDX" registry --help >/dev/null 2>&1 || skip_all "gdx registry not built"

start_cluster city --topic $W:16 --topic $WCF:4 --topic $SEQ:2 --topic _gdx.offsets:1 \
    --topic _schemas:1 --topic _gdx.dlq.uplink.province:1 || { fail "city cluster"; done_testing; }
start_cluster prov --topic _gdx.uplink.offsets:16 --topic _schemas:1 \
    --topic henan.$CITY_ID.$W:12 --topic henan.$CITY_ID.$WCF:3 || { fail "province cluster"; done_testing; }
start_registry cityreg "$city_BS" || { fail "city registry"; done_testing; }
start_registry provreg "$prov_BS" || { fail "provincial registry"; done_testing; }
pass "two clusters and two registries started"

# --- city data: work orders through the file connector (no aborts), IDs kept in clear
mkdir -p "$T/drop/seq" "$T/schemas"
city_workorders "$N" 11
$PY "$GDX_ROOT/tests/it/seqgen.py" "$T/drop/seq" 500 1
cat >"$T/seq.yaml" <<YAML
connector:
  id: test.seq
  kind: file
kafka:
  bootstrap.servers: $city_BS
topic: $SEQ
schema: $GDX_ROOT/tests/it/schemas/seq.avsc
key: k
state.dir: $T/state
source:
  path: $T/drop/seq
YAML
timeout 60 "$GDX" connector run --once -c "$T/seq.yaml" 2>"$T/seq.log"
is "$?" 0 "city sequence records (share none) produced"
cp "$GDX_ROOT/schemas/hotline12345/workorder.avsc" "$GDX_ROOT/tests/it/schemas/seq.avsc" "$T/schemas/"

# Confluent-framed copies (city registry ids) and records that fail the policy
$PY - "$city_BS" "$cityreg_REG" "$W" "$WCF" "$NCF" "$GDX_ROOT/schemas/hotline12345/workorder.avsc" <<'PYEOF'
import json, sys, urllib.request
from confluent_kafka import Consumer, Producer, TopicPartition
bs, reg, src, dst, n, avsc = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6]
req = urllib.request.Request(f"{reg}/subjects/{dst}-value/versions",
    data=json.dumps({"schema": open(avsc, encoding="utf-8").read()}).encode(),
    headers={"Content-Type": "application/vnd.schemaregistry.v1+json"})
sid = json.loads(urllib.request.urlopen(req, timeout=10).read())["id"]
c = Consumer({"bootstrap.servers": bs, "group.id": "x", "isolation.level": "read_committed",
              "enable.auto.commit": False})
md = c.list_topics(src, timeout=10).topics[src]
c.assign([TopicPartition(src, q, 0) for q in md.partitions])
p = Producer({"bootstrap.servers": bs, "enable.idempotence": True, "partitioner": "murmur2_random"})
sent = idle = 0
while sent < n and idle < 50:
    m = c.poll(0.2)
    if m is None or m.error():
        idle += m is None
        continue
    idle = 0
    v = m.value()
    p.produce(dst, key=m.key(), value=b"\0" + sid.to_bytes(4, "big") + v[10:], headers=m.headers())
    sent += 1
# policy failures: a truncated body, an unknown registry id, no Avro framing at all
p.produce(dst, key=b"BAD-1", value=b"\0" + sid.to_bytes(4, "big") + v[10:20])
p.produce(dst, key=b"BAD-2", value=b"\0" + (999999).to_bytes(4, "big") + v[10:])
p.produce(dst, key=b"BAD-3", value="不是Avro".encode())
p.flush(30)
c.close()
PYEOF
is "$?" 0 "Confluent-framed copies and 3 bad records produced"

cat >"$T/uplink.yaml" <<YAML
# uplink test config
uplink:
  city.id: "$CITY_ID"
  destination: province
  instance: \${INSTANCE}
  instances: 2
source:
  bootstrap.servers: $city_BS
  schema.registry.url: $cityreg_REG
  topics: [$W, $WCF, $SEQ]
  schemas: $T/schemas
destination:
  bootstrap.servers: $prov_BS
  schema.registry.url: $provreg_REG
  topic.prefix: henan
policy:
  share: [unconditional, conditional]
  approvals:
    $W: "HN-APPROVAL-2026-0931"
    $WCF: "HN-APPROVAL-2026-0932"
  protect:
    caller_name: mask
    caller_phone: mask
    caller_id_no: drop
    content: scrub
    reply: scrub
  keys:
    encrypt.key.file: $T/keys/dept.key    # seals dead letters (they may hold personal data)
batch:
  max.records: 3000
state.dir: $T/state
audit:
  dir: $T/audit
  key.file: $T/keys/audit.pem
  key.id: province-uplink
YAML
"$GDX" keygen --sm2 "$T/keys/audit.pem" --pub "$T/keys/audit.pub.pem" >/dev/null 2>&1
echo "province-uplink $T/keys/audit.pub.pem" >"$T/trust.txt"

INSTANCE=0 timeout 120 "$GDX" uplink --once -c "$T/uplink.yaml" 2>"$T/up0.log" &
p0=$!
INSTANCE=1 timeout 120 "$GDX" uplink --once -c "$T/uplink.yaml" 2>"$T/up1.log" &
p1=$!
wait $p0; rc0=$?
wait $p1; rc1=$?
is "$rc0/$rc1" "0/0" "two uplink instances forward concurrently and exit 0"
[ "$rc0/$rc1" = "0/0" ] || { tail -n 5 "$T/up0.log" "$T/up1.log" | sed 's/^/#   /'; }
ok "the unshared topic is never read" grep -q "topic not shared.*topic=$SEQ" "$T/up0.log"
ok "the transactional ids differ per instance" \
    grep -q "transactional.id=gdx-uplink-$CITY_ID-province-1" "$T/up1.log"
out=$("$GDX" audit verify --trust "$T/trust.txt" --strict "$T/audit" 2>&1)
is "$?" 0 "the uplinks' audit trails verify: $(echo "$out" | head -1)"
ok "uplink batches are audited with source ranges and destination digests" /usr/bin/python3 -c '
import glob, json, sys
ev = [json.loads(l) for f in glob.glob(sys.argv[1] + "/*.jsonl") for l in open(f)]
b = [e for e in ev if e["type"] == "uplink_batch"]
assert b and all(e["source"] and e["dest"] for e in b), len(b)
assert all(len(r["sm3"]) == 64 for e in b for r in e["dest"])
' "$T/audit"

GDX_BOOTSTRAP=$city_BS "$GDX" tail -H --from-beginning -n 100000000 -s "$T/schemas" \
    -r "$cityreg_REG" $W >"$T/city.jsonl" 2>/dev/null
GDX_BOOTSTRAP=$city_BS "$GDX" tail -H --from-beginning -n 100000000 -s "$T/schemas" \
    -r "$cityreg_REG" $WCF >>"$T/city.jsonl" 2>/dev/null
GDX_BOOTSTRAP=$prov_BS "$GDX" tail -H --from-beginning -n 100000000 -r "$provreg_REG" \
    henan.$CITY_ID.$W >"$T/prov.jsonl" 2>/dev/null
GDX_BOOTSTRAP=$prov_BS "$GDX" tail -H --from-beginning -n 100000000 -r "$provreg_REG" \
    henan.$CITY_ID.$WCF >>"$T/prov.jsonl" 2>/dev/null
check() {
    $PY "$GDX_ROOT/tests/it/uplinkcheck.py" --city "$city_BS" --province "$prov_BS" \
        --city-id $CITY_ID --prefix henan --topics $W,$WCF --dlq _gdx.dlq.uplink.province \
        --registry "$provreg_REG" --approval "$W=HN-APPROVAL-2026-0931" \
        --approval "$WCF=HN-APPROVAL-2026-0932" --expect-dlq 3 "$@"
}
out=$(check --city-json "$T/city.jsonl" --prov-json "$T/prov.jsonl" \
    --protected caller_name,caller_phone,caller_id_no,content,reply)
rc=$?
diag "$out"
is "$rc" 0 "exactly once, policy applied, ids resolve: ${out%% city_ids*}"
ok "the city data did hold IDs and mobile numbers in clear" \
    test "$(echo "$out" | sed -n 's/.*city_mobiles=\([0-9]*\).*/\1/p')" -gt 0
ok "every provincial phone is masked" \
    test "$(echo "$out" | sed -n 's/.*masked_phones=\([0-9]*\).*/\1/p')" -ge $((N + NCF))
got_ids=$($PY -c '
import json,sys
n=0; bad=0
for l in open(sys.argv[1], encoding="utf-8"):
    v=json.loads(l)["value"]
    if not isinstance(v, dict): bad+=1; continue
    n+=1
    if v.get("caller_id_no") is not None: bad+=1
print(n, bad)' "$T/prov.jsonl")
is "${got_ids#* }" 0 "caller_id_no is null on every provincial record (drop)"
ok "gdx.protect names the uplink rules" \
    grep -q '"gdx.protect":"[^"]*caller_id_no=drop' "$T/prov.jsonl"
ok "dead letters name the stage" sh -c "GDX_BOOTSTRAP=$city_BS '$GDX' tail -H --from-beginning \
    -n 100 _gdx.dlq.uplink.province 2>/dev/null | grep -q '\"gdx.error.stage\":\"decode\"'"

# a second run forwards nothing new
INSTANCE=0 timeout 60 "$GDX" uplink --once -c "$T/uplink.yaml" 2>"$T/up0b.log"
is "$?" 0 "second run exits 0"
out2=$(check)
is "$(echo "$out2" | sed -n 's/.*province=\([0-9]*\).*/\1/p')" \
    "$(echo "$out" | sed -n 's/.*province=\([0-9]*\).*/\1/p')" "the second run forwards nothing new"

# a conditional topic without an approval id is refused at start, naming the topic
sed '/approvals:/,/WCF\|workorder_cf/d' "$T/uplink.yaml" >"$T/noapproval.yaml"
INSTANCE=0 timeout 60 "$GDX" uplink --once -c "$T/noapproval.yaml" 2>"$T/noappr.log"
is "$?" 78 "conditional share without an approval id: exit 78"
ok "the refusal names the topic" grep -q "topic '$W' shares conditionally" "$T/noappr.log"

# a second copy of the same instance on this host is refused
INSTANCE=0 "$GDX" uplink -c "$T/uplink.yaml" 2>"$T/lock1.log" &
lp=$!
PIDS+=($lp)
wait_for 20 grep -q 'msg=starting' "$T/lock1.log"
INSTANCE=0 timeout 20 "$GDX" uplink -c "$T/uplink.yaml" 2>"$T/lock2.log"
is "$?" 1 "a second copy of instance 0 is refused"
ok "the refusal names the running copy" grep -q "already running on this host (pid $lp" "$T/lock2.log"
kill -TERM $lp
wait $lp
is "$?" 0 "SIGTERM stops the uplink with exit 0"
done_testing
