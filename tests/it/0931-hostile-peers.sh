#!/bin/bash
# The http and webhook connectors against hostile peers over real TCP (tests/it/hostilepeer.py).
# The http connector pointed at a server that sends headers without end, Link headers without
# end, a body one byte at a time, a body without end, gzip and deflate bombs (256 KiB that
# inflate to 256 MiB), a redirect to itself, no answer at all, and a TLS handshake that stalls:
# each request ends within its timeout or at response.max.bytes (the decoded size, for the
# bombs, with the process's memory staying near that of a run without bombs), is logged with
# the URL and the limit that ended it, is retried, and the connector stops cleanly on SIGTERM;
# the redirect is never followed. One connector served all of them in turn and then a good
# page sends every record of it. Idle connections filling the webhook's connection slots are
# closed after server.header.timeout.ms, and a real client's POST is then committed and its
# record is on the topic.
. "$(dirname "$0")/../lib.sh"
command -v curl >/dev/null || skip_all "curl not installed"
PY=/usr/bin/python3
SAN='AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:'

start_broker --topic gdx.test.hostile:2 --topic gdx.test.hostilewh:2 ||
    { fail "broker starts"; done_testing; }
export GDX_BOOTSTRAP=$BOOTSTRAP
mkdir -p "$T/state"

$PY "$GDX_ROOT/tests/it/hostilepeer.py" --port-file "$T/peer.port" --log "$T/peer.requests" \
    >"$T/peer.log" 2>&1 &
PIDS+=($!)
# ready once the bombs are made
wait_for 60 test -s "$T/peer.port.ready" || { fail "hostile peer starts"; cat "$T/peer.log"; done_testing; }
PEER=127.0.0.1:$(cat "$T/peer.port")

# conf FILE ID URL [SOURCE LINES...]: an http config with short limits
conf() {
    local file=$1 id=$2 url=$3
    shift 3
    {
        cat <<YAML
connector:
  id: $id
  kind: http
kafka:
  bootstrap.servers: $BOOTSTRAP
topic: gdx.test.hostile
schema: $GDX_ROOT/tests/it/schemas/seq.avsc
key: k
state.dir: $T/state
poll.interval.ms: 100ms
source:
  url: "$url"
  pagination: none
  records.pointer: /data/list
  ok.pointer: /code
  message.pointer: /msg
  connect.timeout.ms: 1s
  request.timeout.ms: 2s
  response.max.bytes: 1MiB
  retry.backoff.ms: 50ms
  retry.backoff.max.ms: 100ms
YAML
        local kv
        for kv in "$@"; do
            echo "  $kv"
        done
    } >"$file"
}

# failures LOG: how many requests were logged as failed (retried by the connector, or after
# retry.max of them by the runtime)
failures() { grep -Ec 'request failed, retrying|source temporarily failing' "$1"; }

# --- 1. every hostile path, one connector each, all at once
PATHS="headers links trickle endless gzip deflate redirect silent tls"
declare -A PID WHY URLS HWM
WHY=([headers]='response headers larger than 64KiB' [links]='response headers larger than 64KiB'
    [trickle]='timed out' [endless]='response larger than response.max.bytes'
    [gzip]='response larger than response.max.bytes' [deflate]='response larger than response.max.bytes'
    [redirect]='HTTP 302 (redirected: set url to the new address)' [silent]='timed out'
    [tls]='timed out')
for p in $PATHS; do
    URLS[$p]="http://$PEER/$p"
    [ $p = tls ] && URLS[$p]="https://$PEER/tls"
    conf "$T/$p.yaml" "test.hostile$p" "${URLS[$p]}"
    "$GDX" connector run --once -c "$T/$p.yaml" 2>"$T/$p.log" &
    PID[$p]=$!
    PIDS+=($!)
done
for p in $PATHS; do
    # two failures: the first one ended, was logged, and the connector went on to the next
    wait_for 60 sh -c "[ \$(grep -c 'request failed, retrying' '$T/$p.log') -ge 2 ]" ||
        { fail "$p: two failed requests logged"; tail -5 "$T/$p.log" | sed 's/^/#   /'; }
    ok "$p: the failure names the URL and the reason ('${WHY[$p]}')" \
        grep -qF "GET ${URLS[$p]}: ${WHY[$p]}" "$T/$p.log"
    HWM[$p]=$(awk '/^VmHWM:/ {print $2}' "/proc/${PID[$p]}/status" 2>/dev/null)
done
for p in $PATHS; do
    kill -TERM "${PID[$p]}" 2>/dev/null
done
for p in $PATHS; do
    wait_for 30 sh -c "! kill -0 ${PID[$p]}" || fail "$p: the connector stops on SIGTERM"
    wait "${PID[$p]}"
    is "$?" 0 "$p: the connector exits cleanly"
    ok "$p: no sanitizer report" sh -c "! grep -Eq '$SAN' '$T/$p.log'"
done
# a redirect followed would be many requests per failure
req=$(grep -cx /redirect "$T/peer.requests")
ok "the redirect is not followed ($req requests, $(failures "$T/redirect.log") failures)" \
    test "$req" -le $(($(failures "$T/redirect.log") + 1))
# the bombs inflate to 256 MiB: decoding stops at response.max.bytes (1 MiB), so the
# process's peak memory stays near that of the run against the redirect (no body at all)
base=${HWM[redirect]:-0}
for p in gzip deflate endless; do
    ok "$p: peak memory ${HWM[$p]:-?} KiB, near the ${base} KiB of a run without a body" \
        test "${HWM[$p]:-999999999}" -lt $((base + 64 * 1024))
done

# --- 2. one connector through all of them in turn, then a good page
conf "$T/g.yaml" test.hostileg "http://$PEER/gauntlet" "retry.max: 12"
timeout 120 "$GDX" connector run --once -c "$T/g.yaml" 2>"$T/g.log"
is "$?" 0 "after eight hostile answers in a row the connector drains the good page"
grep -o 'retrying in [0-9]* ms ([0-9]* of 12): GET [^ ]*: [^:]*' "$T/g.log" |
    sed 's/.*gauntlet: //' >"$T/g.why"
printf '%s\n' 'response headers larger than 64KiB' 'response headers larger than 64KiB' \
    'timed out' 'response larger than response.max.bytes' \
    'response larger than response.max.bytes' 'response larger than response.max.bytes' \
    'HTTP 302 (redirected' 'timed out' >"$T/g.want"
is "$(cat "$T/g.why")" "$(cat "$T/g.want")" "each hostile answer was one failure, with its reason"
ok "no sanitizer report" sh -c "! grep -Eq '$SAN' '$T/g.log'"
"$GDX" tail -H --from-beginning -s "$GDX_ROOT/tests/it/schemas" gdx.test.hostile \
    >"$T/got.jsonl" 2>/dev/null
out=$($PY - "$T/got.jsonl" <<'PYEOF'
import json, sys
seqs = sorted(json.loads(l)["value"]["seq"] for l in open(sys.argv[1]))
print(len(seqs))
sys.exit(0 if seqs == list(range(1, 21)) else 1)
PYEOF
)
is "$?" 0 "the good page's 20 records are on the topic once each ($out)"

# --- 3. the webhook with every connection slot held by idle clients
TOKEN=xcs-webhook-test-token-0931
cat >"$T/wh.yaml" <<YAML
connector:
  id: test.hostilewh
  kind: webhook
kafka:
  bootstrap.servers: $BOOTSTRAP
topic: gdx.test.hostilewh
schema: $GDX_ROOT/tests/it/schemas/seq.avsc
key: k
state.dir: $T/state
shutdown.grace.ms: 1s
source:
  listen: 127.0.0.1:0
  url.file: $T/wh.url
  auth.token: $TOKEN
  server.max.connections: 64
  server.header.timeout.ms: 1s
YAML
"$GDX" connector run -c "$T/wh.yaml" 2>"$T/wh.log" &
whpid=$!
PIDS+=($whpid)
wait_for 30 test -s "$T/wh.url" || fail "the webhook listens"
URL=$(cat "$T/wh.url")
wait_for 30 sh -c "curl -sf '${URL%/records}/healthz' >/dev/null" || fail "the webhook becomes ready"
hp=${URL#http://}
hp=${hp%%/*}
$PY "$GDX_ROOT/tests/it/hostilepeer.py" --clients "$hp" 200 --out "$T/clients" \
    >"$T/clients.log" 2>&1 &
PIDS+=($!)
wait_for 60 grep -q '^open 200' "$T/clients" || { fail "200 idle clients connect"; cat "$T/clients.log"; }
code=$(curl -s -m 60 -o "$T/post.body" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: application/json' -H 'Idempotency-Key: xcs-0931-0001' \
    -d '{"seq":931,"k":"K931","v":"项城市莲花街道 刘祖师庙社区"}' "$URL")
is "$code" 200 "with 200 idle clients on 64 slots, a real POST is committed"
ok "the idle clients were closed" grep -Eq 'closed [1-9]' "$T/clients"
wait_for 30 sh -c "'$GDX' tail -H --from-beginning -s '$GDX_ROOT/tests/it/schemas' gdx.test.hostilewh 2>/dev/null | grep -q '刘祖师庙社区'"
is "$?" 0 "its record is on the topic"
kill -TERM $whpid
wait $whpid
is "$?" 0 "the webhook stops cleanly"
ok "no sanitizer report" sh -c "! grep -Eq '$SAN' '$T/wh.log'"
done_testing
