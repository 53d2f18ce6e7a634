#!/bin/bash
# Fault loops on the webhook's commit-then-answer path (tests/it/faultloop.sh), with a sender
# that retries with the same idempotency key (tests/it/webhookload.py: 5 requests of 10
# records). webhook.answer: the connection breaks as the Nth answer goes out, after its
# records are committed; the retry is answered 200 "duplicate". kafka.commit: the Nth batch's
# commit fails; its requests are fed again and answered after a later commit. Each round a
# warning names what happened, every request ends in a 200, and after a restart every record
# is on the topic exactly once.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/faultloop.sh"
PY=/usr/bin/python3
TOKEN=xcs-webhook-fault-token-0001
N=50

start_broker --topic gdx.test.whfault:4 || { fail "broker starts"; done_testing; }
export GDX_BOOTSTRAP=$BOOTSTRAP

fr_prepare() { # N DIR
    mkdir -p "$2/state"
    cat >"$2/c.yaml" <<YAML
connector:
  id: test.whfault$FR_TAG$1
  kind: webhook
kafka:
  bootstrap.servers: $BOOTSTRAP
topic: gdx.test.whfault
schema: $GDX_ROOT/tests/it/schemas/seq.avsc
key: k
state.dir: $2/state
batch:
  max.records: 10
source:
  listen: 127.0.0.1:0
  url.file: $2/url
  auth.token: $TOKEN
YAML
}
# the first run sends the records (retrying as needed); a restart only starts and stops
fr_run() { # DIR FAULTS LOG
    local pid rc=0
    rm -f "$1/url"
    GDX_FAULTS=$2 "$GDX" connector run -c "$1/c.yaml" 2>"$3" &
    pid=$!
    if ! wait_for 30 test -s "$1/url"; then
        kill $pid 2>/dev/null
        wait $pid
        return 1
    fi
    if [ ! -s "$1/load.json" ]; then
        timeout 120 $PY "$GDX_ROOT/tests/it/webhookload.py" --url-file "$1/url" --token $TOKEN \
            --clients 1 --records $N --per-request 10 --timeout 5 --deadline-s 100 \
            --out "$1/load.json" >/dev/null 2>"$1/load.err" || rc=1
    fi
    kill -TERM $pid
    wait $pid || rc=1
    return $rc
}
fr_check() { # N DIR
    "$GDX" tail -H --from-beginning -s "$GDX_ROOT/tests/it/schemas" gdx.test.whfault \
        >"$2/got.jsonl" 2>/dev/null
    "$GDX" tail -H --from-beginning _gdx.offsets >"$2/offsets.jsonl" 2>/dev/null
    $PY - "$2/load.json" <<'PYEOF' || return 1
import json, sys
t = json.load(open(sys.argv[1]))
print("requests=%d committed=%d duplicate=%d refused=%d conn_errors=%d" % (
    t["requests"], t["committed"], t["duplicate"], t["refused"], t["conn_errors"]), end="; ")
sys.exit(0 if t["requests"] == 5 and t["committed"] + t["duplicate"] == 5 and not t["refused"]
         else 1)
PYEOF
    $PY "$GDX_ROOT/tests/it/seqcheck.py" --count $N --got "$2/got.jsonl" \
        --offsets "$2/offsets.jsonl" --connector "test.whfault$FR_TAG$1"
}

FR_TAG=a
fault_rounds webhook.answer --says "the answer to a committed request was not delivered\" request=[-0-9a-f]+ reason=\"the connection broke\" retry=\"answered as a duplicate\""
ok "webhook.answer fired at least four times" test "$FL_ROUNDS" -ge 4
dup=$(cat "$T"/fr/webhook-answer/*/load.json | $PY -c 'import json,sys; print(sum(json.loads(l)["duplicate"] for l in sys.stdin))')
ok "the lost answers were answered as duplicates on retry ($dup)" test "$dup" -ge 4
FR_TAG=b
fault_rounds kafka.commit --says "batch aborted, resuming from the committed position.*reason=\"commit failed"
ok "kafka.commit fired at least three times" test "$FL_ROUNDS" -ge 3
done_testing
