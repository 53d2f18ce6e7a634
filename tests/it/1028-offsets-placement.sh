#!/bin/bash
# offsets.after.delivery: where the offset record goes in an exactly-once transaction.
# false, the production default on a real cluster, produces it right after the batch and lets
# the commit flush both; true waits for every record's delivery report first (the default on
# librdkafka's mock cluster, whose read_committed readers see open transactions). Both carry
# every record exactly once with retriable produce and transaction errors on the way, and
# auto decides by the cluster (here the mock: true). A value other than auto, true or false is
# a config error naming the place.
. "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3
N=30000

start_broker --topic gdx.test.place:16 || { fail "broker starts"; done_testing; }
export GDX_BOOTSTRAP=$BOOTSTRAP

run_placement() { # NAME VALUE
    local name=$1 value=$2
    mkdir -p "$T/$name/drop" "$T/state"
    $PY "$GDX_ROOT/tests/it/seqgen.py" "$T/$name/drop" $N 3 --prefix s
    cat >"$T/$name.yaml" <<YAML
connector:
  id: test.place-$name
  kind: file
kafka:
  bootstrap.servers: \${GDX_BOOTSTRAP}
topic: gdx.test.place
schema: $GDX_ROOT/tests/it/schemas/seq.avsc
key: k
state.dir: $T/state
offsets.after.delivery: $value
batch:
  max.records: 1000
source:
  path: $T/$name/drop
YAML
    broker_ctl errors Produce 3 NOT_LEADER_OR_FOLLOWER >/dev/null
    broker_ctl errors EndTxn 1 NOT_COORDINATOR >/dev/null
    timeout 120 "$GDX" connector run --once -c "$T/$name.yaml" 2>"$T/$name.log"
    is "$?" 0 "$name: run completes"
    "$GDX" tail -H --from-beginning -s "$GDX_ROOT/tests/it/schemas" gdx.test.place |
        grep "\"gdx.connector\":\"test.place-$name@" >"$T/$name.jsonl"
    "$GDX" tail -H --from-beginning _gdx.offsets >"$T/offsets.jsonl"
    out=$($PY "$GDX_ROOT/tests/it/seqcheck.py" --count "$N" --got "$T/$name.jsonl" \
        --offsets "$T/offsets.jsonl" --connector "test.place-$name")
    is "$?" 0 "$name: exactly once: $out"
}
run_placement fast false
run_placement safe true
run_placement auto auto
ok "auto chose the wait on the mock cluster" \
    grep -q 'offset record placement.*offsets.after.delivery=true cluster=mockCluster' "$T/auto.log"
ok "false was kept" grep -q 'offsets.after.delivery=false' "$T/fast.log"

sed 's/^offsets.after.delivery: .*/offsets.after.delivery: sometimes/' "$T/fast.yaml" >"$T/bad.yaml"
"$GDX" connector check -c "$T/bad.yaml" >"$T/bad.out" 2>&1
is "$?" 78 "an unknown value is a config error"
ok "naming the place" grep -q "bad.yaml:[0-9]*:[0-9]*" "$T/bad.out"
done_testing
