#!/bin/bash
# The uplink's provincial commit fails at its Nth attempt (GDX_FAULTS=uplink.commit@N), for
# N = 1, 2, ... until the point is no longer reached: each round on a fresh provincial
# cluster, the uplink says why, a restart forwards the rest, and every city record is on the
# province exactly once (tests/it/uplinkcheck.py against _gdx.uplink.offsets).
. "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3
TOPIC=gdx.test.upfault
CITY_ID=411681
ROWS=900

start_cluster city --topic $TOPIC:2 --topic _gdx.offsets:1 || { fail "city"; done_testing; }
mkdir -p "$T/schemas" "$T/drop" "$T/state"
sed -e 's/"gdx.share": "none"/"gdx.share": "unconditional"/' -e 's/"name": "Seq"/"name": "UpSeq"/' \
    "$GDX_ROOT/tests/it/schemas/seq.avsc" >"$T/schemas/upseq.avsc"
cat >"$T/seq.yaml" <<YAML
connector:
  id: test.upfault
  kind: file
kafka:
  bootstrap.servers: $city_BS
topic: $TOPIC
schema: $T/schemas/upseq.avsc
wire.format: single-object
key: k
state.dir: $T/state
source:
  path: $T/drop
YAML
$PY "$GDX_ROOT/tests/it/seqgen.py" "$T/drop" $ROWS 1
timeout 60 "$GDX" connector run --once -c "$T/seq.yaml" 2>"$T/c.log"
is "$?" 0 "$ROWS city records"

rounds=0
for ((n = 1; n <= 20; n++)); do
    start_cluster prov$n --topic _gdx.uplink.offsets:4 --topic henan.$CITY_ID.$TOPIC:2 ||
        { fail "province $n"; break; }
    bs_var=prov${n}_BS
    prov_BS=${!bs_var}
    cluster_pid=${PIDS[-1]}
    mkdir -p "$T/up$n/state"
    cat >"$T/up$n/uplink.yaml" <<YAML
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
  max.records: 300
state.dir: $T/up$n/state
YAML
    GDX_FAULTS=uplink.commit@$n timeout 120 "$GDX" uplink --once -c "$T/up$n/uplink.yaml" \
        2>"$T/up$n/u1.log"
    rc=$?
    fired=0
    grep -q "msg=\"fault injected\" point=uplink.commit hit=$n\$" "$T/up$n/u1.log" && fired=1
    if [ $fired = 1 ]; then
        rounds=$n
        why=$(grep -E 'level=(warn|error)' "$T/up$n/u1.log" | grep -v 'fault injected' |
            grep -E 'commit' | head -1)
        ok "uplink.commit@$n: a message says the commit failed (exit $rc)" test -n "$why"
        diag "${why#*level=}"
        timeout 120 "$GDX" uplink --once -c "$T/up$n/uplink.yaml" 2>"$T/up$n/u2.log"
        is "$?" 0 "uplink.commit@$n: the restart completes"
    else
        is "$rc" 0 "uplink.commit: hit fewer than $n times, the run completes"
    fi
    out=$($PY "$GDX_ROOT/tests/it/uplinkcheck.py" --city "$city_BS" --province "$prov_BS" \
        --city-id "$CITY_ID" --prefix henan --topics "$TOPIC" 2>&1 | tail -1)
    ok "round $n: every city record on the province exactly once: $out" \
        grep -q 'lost=0 duplicated=0' <<<"$out"
    kill "$cluster_pid" 2>/dev/null
    wait "$cluster_pid" 2>/dev/null
    [ $fired = 1 ] || break
done
ok "uplink.commit fired at least twice ($rounds)" test "$rounds" -ge 2
done_testing
