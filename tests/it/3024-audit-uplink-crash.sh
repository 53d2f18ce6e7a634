#!/bin/bash
# The uplink's audit trail after a crash between a provincial commit and its audit event
# (GDX_FAULTS=uplink.crash.after.commit kills it there): the next start finds the newest
# committed batch in `_gdx.uplink.offsets` without an event and writes it, marked
# recovered. Afterwards every committed uplink batch has exactly one event and the trail
# verifies.
. "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3
TOPIC=gdx.test.upaudit
CITY_ID=411681

[ -x "$GDX" ] || skip_all "no gdx binary"
"$GDX" broker --help >/dev/null 2>&1 || skip_all "gdx broker not built"

start_cluster city --topic $TOPIC:2 --topic _gdx.offsets:1 || { fail "city"; done_testing; }
start_cluster prov --topic _gdx.uplink.offsets:4 --topic henan.$CITY_ID.$TOPIC:2 ||
    { fail "province"; done_testing; }
mkdir -p "$T/schemas" "$T/drop" "$T/state" "$T/keys"
sed -e 's/"gdx.share": "none"/"gdx.share": "unconditional"/' -e 's/"name": "Seq"/"name": "UpSeq"/' \
    "$GDX_ROOT/tests/it/schemas/seq.avsc" >"$T/schemas/upseq.avsc"
"$GDX" keygen --sm2 "$T/keys/audit.pem" --pub "$T/keys/audit.pub.pem" >/dev/null 2>&1
echo "city-uplink $T/keys/audit.pub.pem" >"$T/trust.txt"

cat >"$T/seq.yaml" <<YAML
connector:
  id: test.upaudit
  kind: file
kafka:
  bootstrap.servers: $city_BS
topic: $TOPIC
schema: $T/schemas/upseq.avsc
key: k
state.dir: $T/state
source:
  path: $T/drop
YAML
cat >"$T/uplink.yaml" <<YAML
uplink:
  city.id: "$CITY_ID"
  destination: province
source:
  bootstrap.servers: $city_BS
  topics: [$TOPIC]
  schemas: $T/schemas
destination:
  bootstrap.servers: $prov_BS
  topic.prefix: henan
batch:
  max.records: 500
state.dir: $T/state
audit:
  dir: $T/audit
  key.file: $T/keys/audit.pem
  key.id: city-uplink
YAML

$PY "$GDX_ROOT/tests/it/seqgen.py" "$T/drop" 3000 1
timeout 60 "$GDX" connector run --once -c "$T/seq.yaml" 2>"$T/c.log"
is "$?" 0 "3000 city records"

GDX_FAULTS=uplink.crash.after.commit@3 timeout 60 "$GDX" uplink --once -c "$T/uplink.yaml" \
    2>"$T/u1.log"
is "$?" 137 "the uplink dies right after its third provincial commit"
timeout 60 "$GDX" uplink --once -c "$T/uplink.yaml" 2>"$T/u2.log"
is "$?" 0 "the next run forwards the rest"
ok "it notices the batch without an audit event" \
    grep -q "last committed uplink batch has no audit event" "$T/u2.log"

out=$("$GDX" audit verify --trust "$T/trust.txt" "$T/audit" 2>&1)
is "$?" 0 "the trail verifies: $(echo "$out" | head -1)"
res=$($PY - "$prov_BS" "$CITY_ID" "$T/audit" <<'PYEOF'
import collections, glob, json, sys
from confluent_kafka import Consumer, TopicPartition
prov, city, d = sys.argv[1:4]
c = Consumer({"bootstrap.servers": prov, "group.id": "a", "enable.partition.eof": True,
              "isolation.level": "read_committed"})
t = "_gdx.uplink.offsets"
parts = c.list_topics(t, timeout=10).topics[t].partitions
c.assign([TopicPartition(t, p, 0) for p in parts])
batches, eof = {}, set()
while len(eof) < len(parts):
    m = c.poll(5)
    if m is None:
        break
    if m.error():
        eof.add(m.partition())
        continue
    v = json.loads(m.value())
    if v["city"] == city:
        batches.setdefault(v["batch"], 0)
        batches[v["batch"]] += v["records"]
ev = [json.loads(l) for f in glob.glob(d + "/*.jsonl") for l in open(f)]
up = [e for e in ev if e["type"] == "uplink_batch"]
seen = collections.Counter(e["batch"] for e in up)
rec = [e for e in up if e.get("recovered")]
missing = [b for b in batches if seen[b] != 1]
wrong = [e["batch"] for e in up if batches.get(e["batch"]) != e["records"]]
print(f"batches={len(batches)} events={len(up)} recovered={len(rec)} "
      f"missing={len(missing)} wrong_counts={len(wrong)} "
      f"recovered_source={sum(r['count'] for e in rec for r in e['source'])}")
PYEOF
)
diag "$res"
ok "every committed uplink batch has exactly one audit event with its record count" \
    sh -c "echo '$res' | grep -q 'missing=0 wrong_counts=0'"
ok "exactly one of them is marked recovered, with its source ranges" \
    sh -c "echo '$res' | grep -q 'recovered=1 ' && ! echo '$res' | grep -q 'recovered_source=0$'"
done_testing
