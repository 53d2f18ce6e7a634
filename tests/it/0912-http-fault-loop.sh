#!/bin/bash
# Fault loop on the http connector's fetch (tests/it/faultloop.sh): the Nth request fails as
# a connection that cannot be made (fault point http.fetch), for N = 1, 2, ... until a run
# makes fewer than N requests. With retry.max 0 every failure ends the poll: the runtime
# commits what was taken, goes back to the committed position and asks again. Each round: a
# warning names the URL and the failure, and after a restart every record of the API is on
# the topic exactly once.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/faultloop.sh"
PY=/usr/bin/python3
N=40

start_broker --topic gdx.test.httpfault:4 || { fail "broker starts"; done_testing; }
export GDX_BOOTSTRAP=$BOOTSTRAP
$PY "$GDX_ROOT/tests/it/httpserver.py" --port-file "$T/api.port" --records $N --same 3 \
    >"$T/api.log" 2>&1 &
PIDS+=($!)
wait_for 20 test -s "$T/api.port" || { fail "test API starts"; done_testing; }
PORT=$(cat "$T/api.port")

fr_prepare() { # N DIR
    mkdir -p "$2/state"
    cat >"$2/c.yaml" <<YAML
connector:
  id: test.httpfault$1
  kind: http
kafka:
  bootstrap.servers: $BOOTSTRAP
topic: gdx.test.httpfault
schema: $GDX_ROOT/tests/it/schemas/seq.avsc
key: k
state.dir: $2/state
batch:
  max.records: 15
source:
  url: "http://127.0.0.1:$PORT/api/items?since={cursor}&page={page}&size={size}"
  pagination: page
  page.size: 10
  records.pointer: /data/list
  ok.pointer: /code
  message.pointer: /msg
  cursor.field: update_time
  retry.max: 0
  retry.backoff.ms: 50ms
YAML
}
fr_run() { # DIR FAULTS LOG
    GDX_FAULTS=$2 timeout 120 "$GDX" connector run --once -c "$1/c.yaml" >/dev/null 2>"$3"
}
fr_check() { # N DIR
    "$GDX" tail -H --from-beginning -s "$GDX_ROOT/tests/it/schemas" gdx.test.httpfault \
        >"$2/got.jsonl" 2>/dev/null
    "$GDX" tail -H --from-beginning _gdx.offsets >"$2/offsets.jsonl" 2>/dev/null
    $PY "$GDX_ROOT/tests/it/seqcheck.py" --count $N --got "$2/got.jsonl" \
        --offsets "$2/offsets.jsonl" --connector "test.httpfault$1"
}

fault_rounds http.fetch --says "source temporarily failing, retrying.*reason=\"GET http://127[.]0[.]0[.]1:$PORT/api/items: request failed: Couldn't connect to server\""
ok "http.fetch fired at least four times" test "$FL_ROUNDS" -ge 4
done_testing
