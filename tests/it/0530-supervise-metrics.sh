#!/bin/bash
# /metrics is Prometheus text that a scraper can rely on, and its counters are what Kafka
# holds: a city of two clusters under one supervisor (12345 work orders with bad rows, two
# sequence connectors, the uplink to the province); after the data is through, /metrics is
# parsed strictly (tests/it/supcheck.py) and gdx_records_total, gdx_dead_letters_total and
# gdx_bytes_total of every connector equal the count and value bytes of its records in Kafka
# (the uplink's: in the provincial topic); the commit latency histogram counts every batch;
# a connector restarted by a config change keeps counting from where it was. /status says the
# same, and / is the status page with it inlined.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/supervise.sh"
PY=/usr/bin/python3
CITY_ID=411681
W=gov.hotline12345.workorders.workorder
N=3000
BAD=7

start_cluster city --topic $W:4 --topic _gdx.offsets:1 --topic _gdx.dlq.uplink.province:1 \
    --topic gdx.test.test.s1:2 --topic gdx.test.test.s2:2 || { fail "city cluster"; done_testing; }
start_cluster prov --topic _gdx.uplink.offsets:4 --topic _schemas:1 \
    --topic henan.$CITY_ID.$W:4 || { fail "province cluster"; done_testing; }
start_registry provreg "$prov_BS" || { fail "provincial registry"; done_testing; }
export GDX_BOOTSTRAP=$city_BS
C=$T/conf
mkdir -p "$C" "$T/drop/wo" "$T/state" "$T/keys"
"$GDX" keygen --sm4 "$T/keys/dept.key" >/dev/null 2>&1 || fail "keygen"

# the work orders, as tests/lib.sh's city_workorders writes them, but supervised
cat >"$C/hotline12345.workorders.yaml" <<YAML
connector:
  id: hotline12345.workorders
  kind: file
kafka:
  bootstrap.servers: $city_BS
topic: $W
schema: $GDX_ROOT/schemas/hotline12345/workorder.avsc
key: order_no
state.dir: $T/state
batch:
  max.records: 500
protect:
  caller_id_no: keep
keys:
  encrypt.key.file: $T/keys/dept.key
YAML
sed -n '/^fields:/,/^[a-z]/p' "$GDX_ROOT/examples/demo/hotline12345.workorders.yaml" |
    sed '$d' >>"$C/hotline12345.workorders.yaml"
printf 'source:\n  path: %s\n' "$T/drop/wo" >>"$C/hotline12345.workorders.yaml"
file_conf "$C" test.s1 "batch:" "  max.records: 300"
file_conf "$C" test.s2 "batch:" "  max.records: 1000"
uplink_conf 400
cp "$T/uplink.yaml" "$C/uplink.yaml"

sv_start "$C" --backoff-min 200ms || { fail "supervisor starts"; done_testing; }
for id in hotline12345.workorders test.s1 test.s2 uplink.province; do
    ok "$id runs" wait_for 90 sv_is $id state running
done

# data: work orders with bad rows, sequences in two waves with a config change between
$PY "$GDX_ROOT/examples/gen_sample.py" --kind workorders --rows $N --bad $BAD --seed 5 \
    --out "$T/drop/wo/wo-1.csv" 2>/dev/null && touch "$T/drop/wo/wo-1.csv.ok"
$PY "$GDX_ROOT/tests/it/seqgen.py" "$T/drop/test.s1" 2000 2
$PY "$GDX_ROOT/tests/it/seqgen.py" "$T/drop/test.s2" 2500 3
ok "test.s1 committed its first wave" wait_for 90 sv_is test.s1 records 2000
s1_pid=$(sv_pid test.s1)
echo "# retuned" >>"$C/test.s1.yaml"
kill -HUP "$SV_PID"
ok "test.s1 restarted for its changed config" wait_for 60 sh -c "
    [ \"\$($SUPCHECK get $SV_URL test.s1 pid)\" != $s1_pid ] &&
    [ \"\$($SUPCHECK get $SV_URL test.s1 state)\" = running ]"
$PY "$GDX_ROOT/tests/it/seqgen.py" "$T/drop/test.s1" 2000 2 --first 2001 --prefix wave2

ok "test.s1: 4000 records over two processes" wait_for 90 sv_is test.s1 records 4000
ok "test.s2: 2500 records" wait_for 90 sv_is test.s2 records 2500
ok "work orders: $((N - BAD)) records" wait_for 90 sv_is hotline12345.workorders records $((N - BAD))
ok "work orders: $BAD dead letters" wait_for 30 sv_is hotline12345.workorders dead_letters $BAD
ok "the uplink forwarded $((N - BAD)) records" \
    wait_for 120 sv_is uplink.province records $((N - BAD))
is "$(sv_get test.s1 restarts)" 1 "test.s1 restarted once"

# what Kafka holds: records and value bytes per topic (read_committed, to the end)
kafka_count() {
    $PY - "$1" "$2" <<'PY'
import sys
from confluent_kafka import Consumer, TopicPartition
bs, topic = sys.argv[1], sys.argv[2]
c = Consumer({"bootstrap.servers": bs, "group.id": "supcheck", "enable.auto.commit": False,
              "isolation.level": "read_committed", "enable.partition.eof": True})
md = c.list_topics(topic, timeout=20).topics[topic]
parts = [TopicPartition(topic, p, 0) for p in md.partitions]
c.assign(parts)
left, n, b = len(parts), 0, 0
while left:
    m = c.poll(10)
    if m is None:
        sys.exit("timed out reading " + topic)
    if m.error():
        if m.error().code() == -191:  # _PARTITION_EOF
            left -= 1
            continue
        sys.exit(str(m.error()))
    n += 1
    b += len(m.value() or b"")
print(n, b)
c.close()
PY
}
read -r k_wo b_wo < <(kafka_count "$city_BS" $W)
read -r k_dlq _ < <(kafka_count "$city_BS" _gdx.dlq.hotline12345.workorders)
read -r k_s1 b_s1 < <(kafka_count "$city_BS" gdx.test.test.s1)
read -r k_s2 b_s2 < <(kafka_count "$city_BS" gdx.test.test.s2)
read -r k_up b_up < <(kafka_count "$prov_BS" henan.$CITY_ID.$W)
diag "kafka: work orders $k_wo ($b_wo B), dlq $k_dlq, s1 $k_s1 ($b_s1 B), s2 $k_s2 ($b_s2 B), province $k_up ($b_up B)"

ok "/metrics parses as Prometheus text" sh -c "$SUPCHECK prom $SV_URL >$T/prom.jsonl"
m() { sv_metric "$@"; }
for id in hotline12345.workorders test.s1 test.s2 uplink.province; do
    is "$(m gdx_aborts_total connector=$id)" 0 "$id: no aborted batch (the counts below are exact)"
done
is "$(m gdx_records_total connector=hotline12345.workorders unit=hotline12345 system=workorders)" \
    "$k_wo" "gdx_records_total{hotline12345.workorders} = records on $W"
is "$(m gdx_dead_letters_total connector=hotline12345.workorders)" "$k_dlq" \
    "gdx_dead_letters_total = records in its dead letter topic"
is "$(m gdx_bytes_total connector=hotline12345.workorders)" "$b_wo" \
    "gdx_bytes_total = value bytes on $W"
is "$(m gdx_records_total connector=test.s1)" "$k_s1" "test.s1: records over both processes = Kafka"
is "$(m gdx_bytes_total connector=test.s1)" "$b_s1" "test.s1: bytes = Kafka"
is "$(m gdx_records_total connector=test.s2)" "$k_s2" "test.s2: records = Kafka"
is "$(m gdx_bytes_total connector=test.s2)" "$b_s2" "test.s2: bytes = Kafka"
is "$(m gdx_records_total connector=uplink.province unit=uplink system=province)" "$k_up" \
    "uplink: records = the provincial topic"
is "$(m gdx_bytes_total connector=uplink.province)" "$b_up" "uplink: bytes = the provincial topic"
is "$k_s1" 4000 "Kafka holds test.s1's 4000 records"
for id in hotline12345.workorders test.s1 test.s2 uplink.province; do
    batches=$(m gdx_batches_total connector=$id)
    is "$(m gdx_commit_latency_seconds_count connector=$id)" "$batches" \
        "$id: the latency histogram counts its $batches batches"
    is "$(m gdx_commit_latency_seconds_bucket connector=$id le=+Inf)" "$batches" \
        "$id: +Inf bucket = batches"
    ok "$id: a last commit time" test -n "$(m gdx_last_commit_timestamp_seconds connector=$id)"
    is "$(m gdx_connector_up connector=$id)" 1 "$id: up"
done
ok "test.s1 batches: at least 4000/300" test "$(m gdx_batches_total connector=test.s1)" -ge 14
is "$(m gdx_connector_restarts_total connector=test.s1)" 1 "metrics: test.s1 restarted once"
is "$(m gdx_supervisor_children)" 4 "metrics: four children"
curl -s "$SV_URL/metrics" >"$T/metrics.txt"
is "$(grep -c '^# HELP gdx_' "$T/metrics.txt")" "$(grep -c '^# TYPE gdx_' "$T/metrics.txt")" \
    "a HELP line for every family ($(grep -c '^# TYPE' "$T/metrics.txt") families)"
ok "gdx_records_total's HELP says what it counts" \
    grep -q '^# HELP gdx_records_total Records committed to Kafka' "$T/metrics.txt"

# /status agrees, and / inlines it
is "$(sv_get test.s2 records)" "$k_s2" "/status: test.s2 records"
curl -s "$SV_URL/" >"$T/page.html"
ok "/ is the status page" grep -q '<html lang="zh-CN">' "$T/page.html"
ok "the page inlines the status" grep -q '"id":"hotline12345.workorders"' "$T/page.html"
ok "the page loads nothing from elsewhere" \
    sh -c "! grep -Eq '(src|href)=\"(https?:)?//' '$T/page.html'"
is "$(curl -s -o /dev/null -w '%{http_code}' "$SV_URL/nope")" 404 "an unknown path is 404"
is "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$SV_URL/status")" 405 "POST is refused"
done_testing
