#!/bin/bash
# In `make test-long`: one run of this test under ASan lost 72 of 200,000 records (see the
# closing note of the uplink issue); it stays here, failing loudly, until that is understood.
# Exactly once from city to province through faults: 200,000 work orders on the city cluster;
# the uplink is killed with SIGKILL at random points and restarted, the provincial cluster
# injects produce and transaction errors and goes away entirely for a while (the uplink
# pauses, alarms and resumes). On the province every record arrives exactly once (only
# committed uplink batches count, see uplinkcheck.py), no resident ID or mobile number is
# in clear, every phone is masked and every schema id resolves in the provincial registry.
. "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3
N=${CHAOS_ROWS:-200000}
KILLS=${CHAOS_KILLS:-5}
OUTAGE=${OUTAGE_SECS:-14}
CITY_ID=411025
W=gov.hotline12345.workorders.workorder

[ -x "$GDX" ] || skip_all "no gdx binary"
"$GDX" registry --help >/dev/null 2>&1 || skip_all "gdx registry not built"

# start_cluster NAME ARGS...: a `gdx broker` of its own; sets <NAME>_BS and <NAME>_CTL
start_cluster() {
    local name=$1; shift
    "$GDX" broker --no-topics --bootstrap-file "$T/$name.bootstrap" --control "$T/$name.sock" \
        "$@" >"$T/$name-broker.log" 2>&1 &
    PIDS+=($!)
    wait_for 20 test -s "$T/$name.bootstrap" || { sed 's/^/#   /' "$T/$name-broker.log"; return 1; }
    eval "${name}_BS=\$(cat \"\$T/$name.bootstrap\")"
    eval "${name}_CTL=\$T/$name.sock"
}
# start_registry NAME BOOTSTRAP: sets <NAME>_REG
start_registry() {
    "$GDX" registry --listen 127.0.0.1:0 --url-file "$T/$1.url" --bootstrap "$2" \
        >"$T/$1-registry.log" 2>&1 &
    PIDS+=($!)
    wait_for 20 test -s "$T/$1.url" || { sed 's/^/#   /' "$T/$1-registry.log"; return 1; }
    eval "${1}_REG=\$(sed 's/^url=//' \"\$T/$1.url\")"
}

start_cluster city --topic $W:64 --topic _gdx.offsets:1 --topic _schemas:1 \
    --topic _gdx.dlq.uplink.province:1 || { fail "city cluster"; done_testing; }
start_cluster prov --topic _gdx.uplink.offsets:16 --topic _schemas:1 \
    --topic henan.$CITY_ID.$W:64 || { fail "province cluster"; done_testing; }
start_registry provreg "$prov_BS" || { fail "provincial registry"; done_testing; }

mkdir -p "$T/drop/wo" "$T/state" "$T/keys"
"$GDX" keygen --sm4 "$T/keys/dept.key" >/dev/null || fail "keygen"
$PY "$GDX_ROOT/examples/gen_sample.py" --kind workorders --rows "$N" --seed 12 \
    --out "$T/drop/wo/wo-1.csv" 2>/dev/null && touch "$T/drop/wo/wo-1.csv.ok"
cat >"$T/wo.yaml" <<YAML
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
  max.records: 10000
protect:
  caller_id_no: keep
keys:
  encrypt.key.file: $T/keys/dept.key
YAML
sed -n '/^fields:/,/^[a-z]/p' "$GDX_ROOT/examples/demo/hotline12345.workorders.yaml" | sed '$d' >>"$T/wo.yaml"
printf 'source:\n  path: %s\n' "$T/drop/wo" >>"$T/wo.yaml"
timeout 120 "$GDX" connector run --once -c "$T/wo.yaml" 2>"$T/wo.log"
is "$?" 0 "$N city work orders produced (no faults, no aborts)"
ok "the city connector had no aborted batch" sh -c "! grep -q 'batch aborted' '$T/wo.log'"

cat >"$T/uplink.yaml" <<YAML
uplink:
  city.id: "$CITY_ID"
  destination: province
source:
  bootstrap.servers: $city_BS
  topics: [$W]
  schemas: $GDX_ROOT/schemas
destination:
  bootstrap.servers: $prov_BS
  schema.registry.url: $provreg_REG
  topic.prefix: henan
policy:
  share: [unconditional, conditional]
  approvals: {$W: "HN-APPROVAL-2026-0931"}
  protect:
    caller_name: mask
    caller_phone: mask
    caller_id_no: drop
    content: scrub
    reply: scrub
  keys:
    encrypt.key.file: $T/keys/dept.key
batch:
  max.records: 2000
state.dir: $T/state
YAML

prov_ctl() { "$GDX" broker ctl --control "$prov_CTL" "$@" >/dev/null; }
prov_ctl rtt all 3
# the provincial link goes away for a while in the middle of a batch: pause, alarm, resume
"$GDX" uplink -c "$T/uplink.yaml" 2>>"$T/run.log" &
pid=$!
wait_for 20 grep -q 'schema registered' "$T/run.log"
prov_ctl down all
sleep "$OUTAGE"
prov_ctl up all
wait_for 60 grep -q "forwarding resumed" "$T/run.log"
sleep 1
kill -9 $pid
wait $pid 2>/dev/null
i=0
kills=1
while [ $kills -lt "$KILLS" ] && [ $i -lt 30 ]; do
    i=$((i + 1))
    "$GDX" uplink -c "$T/uplink.yaml" 2>>"$T/run.log" &
    pid=$!
    case $((i % 3)) in
    0) prov_ctl errors Produce 5 NOT_LEADER_OR_FOLLOWER ;;
    1) prov_ctl errors AddPartitionsToTxn 2 COORDINATOR_LOAD_IN_PROGRESS ;;
    2) prov_ctl errors EndTxn 1 NOT_COORDINATOR ;;
    esac
    sleep "$($PY -c "import random; print(round(random.uniform(0.3, 1.5), 2))")"
    if kill -0 $pid 2>/dev/null; then
        kill -9 $pid
        kills=$((kills + 1))
    fi
    wait $pid 2>/dev/null
done
prov_ctl clear Produce
prov_ctl rtt all 0
diag "killed the uplink $kills times"
ok "uplink killed at least $KILLS times" test "$kills" -ge "$KILLS"
ok "the outage was alarmed (paused)" grep -q "forwarding paused" "$T/run.log"
ok "and the uplink resumed after it" grep -q "forwarding resumed" "$T/run.log"
# Whether a batch was open when the link went down depends on timing; when one was, it was
# given up (aborted) and re-sent, which the exactly-once check below proves either way.
if grep -q "batch aborted.*provincial cluster" "$T/run.log"; then
    diag "an open batch was given up during the outage and re-sent"
else
    diag "the outage fell between batches"
fi
timeout 300 "$GDX" uplink --once -c "$T/uplink.yaml" 2>>"$T/run.log"
is "$?" 0 "a final run forwards the rest and exits 0"

out=$(UPLINKCHECK_DEBUG=${UPLINKCHECK_DEBUG:-} $PY "$GDX_ROOT/tests/it/uplinkcheck.py" --city "$city_BS" --province "$prov_BS" \
    --city-id $CITY_ID --prefix henan --topics $W --dlq _gdx.dlq.uplink.province \
    --registry "$provreg_REG" --approval "$W=HN-APPROVAL-2026-0931" --expect-dlq 0)
rc=$?
diag "$out"
is "$rc" 0 "exactly once after $kills kills and an outage: ${out%% schema_ids*}"
ok "every phone masked" \
    test "$(echo "$out" | sed -n 's/.*masked_phones=\([0-9]*\).*/\1/p')" -ge "$N"
ok "no resident ID or mobile number in clear" \
    sh -c "echo '$out' | grep -q 'leaked_ids=0 leaked_mobiles=0'"
done_testing
