#!/bin/bash
# An independent decoder reads what gdx wrote: Debian's python3-avro, with the writer schema
# fetched from the schema registry by the id in each record's Confluent header, decodes every
# record of the topic, and the records equal the source rows. gdx tail reads the same framing.
. "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3
$PY -c 'import avro.io, confluent_kafka' 2>/dev/null || skip_all "python3-avro or python3-confluent-kafka missing"

start_broker || { fail "broker starts"; done_testing; }
"$GDX" registry --listen 127.0.0.1:0 --url-file "$T/registry.url" --bootstrap "$BOOTSTRAP" \
    >"$T/registry.log" 2>&1 &
PIDS+=($!)
wait_for 20 test -s "$T/registry.url" || { fail "registry starts"; cat "$T/registry.log"; done_testing; }
REG=$(cat "$T/registry.url")
export GDX_BOOTSTRAP=$BOOTSTRAP

mkdir -p "$T/drop" "$T/state" "$T/keys"
"$GDX" keygen --sm4 "$T/keys/dept.key" >/dev/null 2>&1
$PY "$GDX_ROOT/examples/gen_sample.py" --kind workorders --rows 3000 --bad 0 --seed 42 \
    --out "$T/drop/wo-20260920.csv" --expect "$T/expect.jsonl" 2>/dev/null
touch "$T/drop/wo-20260920.csv.ok"
{
    cat <<YAML
connector:
  id: hotline12345.workorders
  kind: file
kafka:
  bootstrap.servers: \${GDX_BOOTSTRAP}
topic: gov.hotline12345.workorders.workorder
schema: $GDX_ROOT/schemas/hotline12345/workorder.avsc
schema.registry.url: $REG
key: order_no
state.dir: $T/state
protect:
  caller_id_no: keep
keys:
  encrypt.key.file: $T/keys/dept.key
YAML
    sed -n '/^fields:/,/^[a-z]/p' "$GDX_ROOT/examples/demo/hotline12345.workorders.yaml" | sed '$d'
    echo "source:"
    echo "  path: $T/drop"
} >"$T/conf.yaml"
timeout 120 "$GDX" connector run --once -c "$T/conf.yaml" 2>"$T/run.log"
is "$?" 0 "connector with a registry drains the folder"
ok "the subject is registered" curl -sf "$REG/subjects/gov.hotline12345.workorders.workorder-value/versions/latest"
level=$(curl -s "$REG/config/gov.hotline12345.workorders.workorder-value" | $PY -c 'import json,sys; print(json.load(sys.stdin)["compatibilityLevel"])')
is "$level" BACKWARD_TRANSITIVE "gdx sets its own subject to BACKWARD_TRANSITIVE"

$PY - "$BOOTSTRAP" "$REG" "$T/expect.jsonl" <<'PYEOF' >"$T/py.out" 2>&1
import collections, datetime, decimal, io, json, struct, sys, urllib.request
import avro.io, avro.schema
from confluent_kafka import Consumer, TopicPartition

bootstrap, reg, expect = sys.argv[1:4]
topic = "gov.hotline12345.workorders.workorder"
c = Consumer({"bootstrap.servers": bootstrap, "group.id": "py-independent",
              "enable.auto.commit": False, "isolation.level": "read_committed"})
md = c.list_topics(topic, timeout=10)
parts = [TopicPartition(topic, p, 0) for p in md.topics[topic].partitions]
highs = {tp.partition: c.get_watermark_offsets(tp, timeout=10)[1] for tp in parts}
c.assign(parts)
schemas, got, left = {}, [], sum(highs.values())
tz = datetime.timezone(datetime.timedelta(hours=8))

def render(v):
    if isinstance(v, datetime.datetime):
        return v.astimezone(tz).isoformat(timespec="milliseconds")
    if isinstance(v, datetime.date):
        return v.isoformat()
    if isinstance(v, decimal.Decimal):
        return str(v)
    return v

while left > 0:
    m = c.poll(5)
    if m is None:
        break
    if m.error():
        continue
    left -= 1
    b = m.value()
    magic, sid = struct.unpack(">bI", b[:5])
    assert magic == 0, "not the Confluent framing"
    if sid not in schemas:
        with urllib.request.urlopen(f"{reg}/schemas/ids/{sid}") as r:
            schemas[sid] = avro.schema.parse(json.load(r)["schema"])
    rec = avro.io.DatumReader(schemas[sid]).read(avro.io.BinaryDecoder(io.BytesIO(b[5:])))
    got.append(json.dumps({k: render(v) for k, v in rec.items()}, sort_keys=True, ensure_ascii=False))
c.close()
want = [json.dumps(json.loads(l), sort_keys=True, ensure_ascii=False) for l in open(expect)]
g, w = collections.Counter(got), collections.Counter(want)
print(f"decoded={len(got)} expected={len(want)} schema_ids={sorted(schemas)} "
      f"missing={sum((w - g).values())} extra={sum((g - w).values())}")
for k in list(w - g)[:2]:
    print("missing:", k[:400])
for k in list(g - w)[:2]:
    print("extra:  ", k[:400])
sys.exit(0 if g == w else 1)
PYEOF
rc=$?
is "$rc" 0 "python3-avro decodes every record to the source row ($(head -1 "$T/py.out"))"
[ "$rc" = 0 ] || sed 's/^/#   /' "$T/py.out" | head -6

"$GDX" tail -H --from-beginning --registry "$REG" gov.hotline12345.workorders.workorder >"$T/tail.jsonl"
out=$($PY "$GDX_ROOT/tests/it/check.py" records --expect "$T/expect.jsonl" --got "$T/tail.jsonl" --key order_no 2>&1)
ok "gdx tail decodes the Confluent framing through the registry ($out)" test $? = 0

# a schema the registry refuses is never used: the connector stops with the registry's reason
curl -s -X PUT -H 'Content-Type: application/json' --data '{"compatibility": "FULL"}' \
    "$REG/config/gov.hotline12345.workorders.workorder-value" >/dev/null
sed 's/"name": "reply"/"name": "reply_text"/' "$GDX_ROOT/schemas/hotline12345/workorder.avsc" \
    | $PY -c 'import json,sys; s=json.load(sys.stdin); s["fields"].append({"name":"extra","type":"int","doc":"x / x","gdx.level":"general","gdx.pi":"none"}); print(json.dumps(s, ensure_ascii=False))' >"$T/changed.avsc"
sed -e "s|^schema: .*|schema: $T/changed.avsc|" -e 's/^  reply: .*$/  reply_text: 回复内容/' "$T/conf.yaml" >"$T/conf2.yaml"
touch "$T/drop/wo-20260921.csv"
timeout 60 "$GDX" connector run --once -c "$T/conf2.yaml" 2>"$T/run2.log"
rc=$?
is "$rc" 78 "an incompatible schema stops the connector (exit 78)"
ok "the log names the registry's reason" grep -q "schema registry refused" "$T/run2.log"
n=$("$GDX" tail --from-beginning --registry "$REG" gov.hotline12345.workorders.workorder | wc -l)
is "$n" 3000 "no record was produced with the refused schema"
done_testing
