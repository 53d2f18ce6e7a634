#!/bin/bash
# Retention gaps are never skipped silently. The uplink forwards 100 records, stops; the city
# topic then receives so much that the embedded broker drops its oldest records (it keeps
# ~5 MiB per partition), so the stored position falls below the low watermark. The next run
# logs an error naming the partition, stops forwarding it and exits 1 (--once); only with
# --accept-gap TOPIC/PARTITION does it continue after the gap, recording it with the
# positions. Lag close to the configured source retention raises a warning.
. "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3
TOPIC=gdx.test.gap
CITY_ID=411681

start_cluster city --topic $TOPIC:1 --topic _gdx.offsets:1 || { fail "city"; done_testing; }
start_cluster prov --topic _gdx.uplink.offsets:4 --topic henan.$CITY_ID.$TOPIC:2 ||
    { fail "province"; done_testing; }
mkdir -p "$T/schemas" "$T/drop" "$T/state"
sed -e 's/"gdx.share": "none"/"gdx.share": "unconditional"/' -e 's/"name": "Seq"/"name": "GapSeq"/' \
    "$GDX_ROOT/tests/it/schemas/seq.avsc" >"$T/schemas/gapseq.avsc"

cat >"$T/seq.yaml" <<YAML
connector:
  id: test.gap
  kind: file
kafka:
  bootstrap.servers: $city_BS
topic: $TOPIC
schema: $T/schemas/gapseq.avsc
key: k
state.dir: $T/state
batch:
  max.records: 10000
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
  retention.ms: 1s
destination:
  bootstrap.servers: $prov_BS
  topic.prefix: henan
state.dir: $T/state
YAML
count() {
    $PY - "$prov_BS" "henan.$CITY_ID.$TOPIC" <<'PYEOF'
import sys
from confluent_kafka import Consumer, TopicPartition
c = Consumer({"bootstrap.servers": sys.argv[1], "group.id": "n"})
n = 0
for p in c.list_topics(sys.argv[2], timeout=10).topics[sys.argv[2]].partitions:
    lo, hi = c.get_watermark_offsets(TopicPartition(sys.argv[2], p), timeout=10)
    n += hi - lo
print(n)
PYEOF
}

$PY "$GDX_ROOT/tests/it/seqgen.py" "$T/drop" 100 1 --prefix a
timeout 60 "$GDX" connector run --once -c "$T/seq.yaml" 2>"$T/c1.log"
is "$?" 0 "100 city records"
timeout 60 "$GDX" uplink --once -c "$T/uplink.yaml" 2>"$T/u1.log"
is "$?" 0 "the uplink forwards them"
is "$(count)" 100 "100 on the province"

sleep 1.5 # older than 80% of the 1 s retention
$PY "$GDX_ROOT/tests/it/seqgen.py" "$T/drop" 60000 3 --first 101 --prefix b
timeout 120 "$GDX" connector run --once -c "$T/seq.yaml" 2>"$T/c2.log"
is "$?" 0 "60,000 more city records"
lo=$($PY -c '
import sys
from confluent_kafka import Consumer, TopicPartition
c = Consumer({"bootstrap.servers": sys.argv[1], "group.id": "n"})
print(c.get_watermark_offsets(TopicPartition(sys.argv[2], 0), timeout=10)[0])' "$city_BS" $TOPIC)
diag "city low watermark now $lo"
ok "the broker dropped the oldest records (low watermark above 100)" test "$lo" -gt 100

timeout 60 "$GDX" uplink --once -c "$T/uplink.yaml" 2>"$T/u2.log"
is "$?" 1 "a gap stops the partition: --once exits 1"
ok "the gap is logged as an error naming the partition and the loss" \
    grep -q "level=error.*retention gap.*topic=$TOPIC partition=0 next=100 low_watermark=$lo" "$T/u2.log"
ok "the exit message says how to continue" grep -q -- "--accept-gap $TOPIC/0" "$T/u2.log"
is "$(count)" 100 "nothing forwarded past the gap"

sleep 1
timeout 120 "$GDX" uplink --once --accept-gap $TOPIC/0 -c "$T/uplink.yaml" 2>"$T/u3.log"
is "$?" 0 "with --accept-gap the uplink continues after the gap"
ok "the accepted gap is logged" grep -q "retention gap accepted by the operator" "$T/u3.log"
hi=$($PY -c '
import sys
from confluent_kafka import Consumer, TopicPartition
c = Consumer({"bootstrap.servers": sys.argv[1], "group.id": "n"})
print(c.get_watermark_offsets(TopicPartition(sys.argv[2], 0), timeout=10)[1])' "$city_BS" $TOPIC)
# transaction markers take offsets too: count the city records actually there
there=$($PY -c '
import sys
from confluent_kafka import Consumer, TopicPartition
c = Consumer({"bootstrap.servers": sys.argv[1], "group.id": "n", "enable.partition.eof": True})
c.assign([TopicPartition(sys.argv[2], 0, int(sys.argv[3]))])
n = 0
while True:
    m = c.poll(5)
    if m is None or m.error():
        break
    n += 1
print(n)' "$city_BS" $TOPIC "$lo")
is "$(count)" "$((100 + there))" "everything after the gap is forwarded (100 + $there)"
ok "the gap is recorded with the positions" sh -c "GDX_BOOTSTRAP=$prov_BS '$GDX' tail -H \
    --from-beginning -n 1000 _gdx.uplink.offsets | grep -q '\"gap\":{\"from\":100,\"to\":$lo'"
ok "lag close to the retention was warned about" grep -q "lag approaches the source retention" \
    "$T/u3.log"
done_testing
