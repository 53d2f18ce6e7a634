#!/bin/bash
# The webhook's answers: 200 after commit; 4xx at once for what it cannot take (auth, method,
# content type, body, record and count limits, malformed or hostile bodies) with a clear
# reason; 422 after commit naming the records that went to the dead letter topic (a
# malformed JSON line, a value the schema refuses) while the rest of the stream continues;
# the same idempotency key answered "duplicate" and written once, also when both copies are
# in flight together; 503 with Retry-After while Kafka is away, and a held request answered
# 200 once Kafka is back; a request held when the connector stops is answered 503, never
# acknowledged; HTTPS with client certificates (mutual TLS) and certificate names.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/testca.sh"
PY=/usr/bin/python3
TOKEN=xcs-webhook-test-token-0002

start_broker --topic gdx.test.wh:8 --topic gdx.test.whtls:4 || { fail "broker starts"; done_testing; }
export GDX_BOOTSTRAP=$BOOTSTRAP
mkdir -p "$T/state"

# conf FILE ID TOPIC [SOURCE LINES...]
conf() {
    local file=$1 id=$2 topic=$3
    shift 3
    {
        cat <<YAML
connector:
  id: $id
  kind: webhook
kafka:
  bootstrap.servers: $BOOTSTRAP
topic: $topic
schema: $GDX_ROOT/tests/it/schemas/seq.avsc
key: k
state.dir: $T/state
shutdown.grace.ms: 1s
source:
  listen: ${LISTEN:-127.0.0.1:0}
  url.file: $T/$id.url
YAML
        local kv
        for kv in "$@"; do
            echo "  $kv"
        done
    } >"$file"
}

# --- configuration errors
LISTEN=0.0.0.0:0 conf "$T/open.yaml" test.whopen gdx.test.wh "auth: none"
"$GDX" connector check -c "$T/open.yaml" >"$T/open.out" 2>&1
is "$?" 78 "auth none on every interface is a configuration error"
ok "the error says why" grep -q "auth 'none' is refused on '0.0.0.0:0'" "$T/open.out"
conf "$T/short.yaml" test.whshort gdx.test.wh "auth.token: short"
"$GDX" connector check -c "$T/short.yaml" >"$T/short.out" 2>&1
is "$?" 78 "a short token is a configuration error"

# --- the plain endpoint
conf "$T/a.yaml" test.wha gdx.test.wh "auth.token: $TOKEN" "body.max.bytes: 64KiB" \
    "record.max.bytes: 4KiB" "request.max.records: 100" "unavailable.after.ms: 1500ms" \
    "retry.after.ms: 3s"
"$GDX" connector check -c "$T/a.yaml" >"$T/check.out" 2>&1
is "$?" 0 "check passes"
"$GDX" connector run -c "$T/a.yaml" 2>"$T/a.log" &
apid=$!
PIDS+=($apid)
wait_for 30 test -s "$T/test.wha.url" || fail "the endpoint listens"
URL=$(cat "$T/test.wha.url")
HEALTH=${URL%/records}/healthz
wait_for 30 sh -c "curl -sf '$HEALTH' >/dev/null" || fail "the endpoint becomes ready"

# post NAME [curl args...]: POST to $URL; the status in $T/NAME.code, the body in $T/NAME.body
post() {
    local name=$1
    shift
    curl -s -o "$T/$name.body" -D "$T/$name.hdr" -w '%{http_code}' "$@" "$URL" >"$T/$name.code"
}
J=(-H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json")
L=(-H "Authorization: Bearer $TOKEN" -H "Content-Type: application/x-ndjson")

post noauth -H "Content-Type: application/json" -d '{"seq":1,"k":"a","v":"x"}'
is "$(cat "$T/noauth.code")" 401 "no token: 401"
post wrongauth -H "Authorization: Bearer xcs-webhook-test-token-0003" -H "Content-Type: application/json" -d '{}'
is "$(cat "$T/wrongauth.code")" 401 "a wrong token: 401"
is "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$URL")" 405 "GET: 405"
is "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" -d x "${URL}x")" 404 "another path: 404"
post ctype -H "Authorization: Bearer $TOKEN" -H "Content-Type: text/plain" -d 'seq=1'
is "$(cat "$T/ctype.code")" 415 "text/plain: 415"
ok "415 names the accepted types" grep -q 'application/x-ndjson' "$T/ctype.body"
$PY -c 'print("[" + ",".join("{\"seq\":%d,\"k\":\"a\",\"v\":\"%s\"}" % (i, "x" * 700) for i in range(100)) + "]")' >"$T/big.json"
post big "${J[@]}" --data-binary @"$T/big.json"
is "$(cat "$T/big.code")" 413 "a body over body.max.bytes: 413"
$PY -c 'print("[" + ",".join("{\"seq\":%d,\"k\":\"a\",\"v\":\"x\"}" % i for i in range(101)) + "]")' >"$T/many.json"
post many "${J[@]}" --data-binary @"$T/many.json"
is "$(cat "$T/many.code")" 413 "more records than request.max.records: 413"
ok "413 says why" grep -q 'more than 100 records in one request' "$T/many.body"
$PY -c 'print("{\"seq\":1,\"k\":\"a\",\"v\":\"%s\"}" % ("长" * 5000))' >"$T/huge.json"
post huge "${J[@]}" --data-binary @"$T/huge.json"
is "$(cat "$T/huge.code")" 413 "a huge string (a record over record.max.bytes): 413"
ok "the reason names the record and the limit" grep -q 'record 0 is [0-9]* bytes, more than record.max.bytes' "$T/huge.body"
$PY -c 'print("{\"seq\":1,\"k\":\"a\",\"v\":" + "[" * 20000 + "]" * 20000 + "}")' >"$T/deep.json"
post deep "${J[@]}" --data-binary @"$T/deep.json"
is "$(cat "$T/deep.code")" 400 "20,000 levels of nesting: 400"
ok "the reason names the depth limit" grep -q 'nested deeper than 32 levels' "$T/deep.body"
post cut "${J[@]}" -d '[{"seq":1,"k":"a","v":"x"},{"seq":2,"k":"a"'
is "$(cat "$T/cut.code")" 400 "a body cut short: 400"
ok "the reason says it is not complete JSON" grep -q 'not complete JSON' "$T/cut.body"
post badkey "${J[@]}" -H 'Idempotency-Key: has space' -d '{"seq":1,"k":"a","v":"x"}'
is "$(cat "$T/badkey.code")" 400 "an idempotency key with a space: 400"
ok "the endpoint is alive after the hostile bodies" curl -sf "$HEALTH"

# good records, one request per format; 422 for the malformed line and the refused value
post one "${J[@]}" -H 'Idempotency-Key: xcs-0001' -d '{"seq":1,"k":"K1","v":"项城市千佛阁街道"}'
is "$(cat "$T/one.code")" 200 "one JSON object: 200 after commit"
ok "the answer says committed" grep -q '"status":"committed"' "$T/one.body"
post arr "${J[@]}" -H 'Idempotency-Key: xcs-0002' \
    -d '[{"seq":2,"k":"K2","v":"莲花街道"},{"seq":"第三","k":"K3","v":"bad"},{"seq":3,"k":"K3","v":"花园街道"}]'
is "$(cat "$T/arr.code")" 422 "an array with a value the schema refuses: 422"
ok "422 names the record, stage and field" \
    grep -q '"errors":\[{"index":1,"stage":"validate","field":"seq"' "$T/arr.body"
printf '%s\n' '{"seq":4,"k":"K4","v":"东方街道"}' '{"seq":5,"k":"K5","v":' '' \
    '{"seq":5,"k":"K5","v":"水寨街道"}' >"$T/lines.jsonl"
post lines "${L[@]}" -H 'Idempotency-Key: xcs-0003' --data-binary @"$T/lines.jsonl"
is "$(cat "$T/lines.code")" 422 "JSON Lines with a malformed line: 422"
ok "422 names the line" grep -q '"index":1,"line":2,"stage":"parse"' "$T/lines.body"
post dup "${J[@]}" -H 'Idempotency-Key: xcs-0001' -d '{"seq":1,"k":"K1","v":"项城市千佛阁街道"}'
is "$(cat "$T/dup.code")" 200 "the same key again: 200"
ok "answered as a duplicate" grep -q '"status":"duplicate"' "$T/dup.body"
ok "with Idempotent-Replayed" grep -qi '^Idempotent-Replayed: true' "$T/dup.hdr"

# two copies of one request in flight at once (commits slowed): both 200, written once
broker_ctl rtt all 400 >/dev/null
post twin1 "${J[@]}" -H 'Idempotency-Key: xcs-0004' -d '{"seq":6,"k":"K6","v":"光武街道"}' &
t1=$!
post twin2 "${J[@]}" -H 'Idempotency-Key: xcs-0004' -d '{"seq":6,"k":"K6","v":"光武街道"}' &
t2=$!
wait $t1 $t2
broker_ctl rtt all 0 >/dev/null
is "$(cat "$T/twin1.code") $(cat "$T/twin2.code")" "200 200" "two copies in flight together: both 200"

# --- Kafka away: a held request waits, new ones get 503 with Retry-After
broker_ctl down all >/dev/null
post held "${J[@]}" -H 'Idempotency-Key: xcs-0005' -d '{"seq":7,"k":"K7","v":"付集镇"}' &
held=$!
sleep 3
post away "${J[@]}" -H 'Idempotency-Key: xcs-0006' -d '{"seq":8,"k":"K8","v":"秣陵镇"}'
is "$(cat "$T/away.code")" 503 "while Kafka is away: 503"
ok "with Retry-After" grep -qi '^Retry-After: 3' "$T/away.hdr"
is "$(curl -s -o /dev/null -w '%{http_code}' "$HEALTH")" 503 "the health check says unavailable"
broker_ctl up all >/dev/null
wait $held
is "$(cat "$T/held.code")" 200 "the request held during the outage: 200 once Kafka is back"
wait_for 30 sh -c "curl -sf '$HEALTH' >/dev/null"
post after "${J[@]}" -H 'Idempotency-Key: xcs-0006' -d '{"seq":8,"k":"K8","v":"秣陵镇"}'
is "$(cat "$T/after.code")" 200 "the sender's retry after the outage: 200"
ok "the outage is logged" grep -q 'answering 503 until Kafka' "$T/a.log"

# --- stopping with a request held: 503, never 200
broker_ctl down all >/dev/null
post stop "${J[@]}" -H 'Idempotency-Key: xcs-0007' -d '{"seq":99,"k":"K9","v":"不应写入"}' &
sp=$!
sleep 1
kill -TERM $apid
wait $sp
is "$(cat "$T/stop.code")" 503 "a request held when the connector stops: 503"
wait $apid
is "$?" 0 "the connector exits 0 on SIGTERM"
broker_ctl up all >/dev/null

"$GDX" tail -H --from-beginning -s "$GDX_ROOT/tests/it/schemas" gdx.test.wh >"$T/got.jsonl" 2>/dev/null
"$GDX" tail -H --from-beginning _gdx.offsets >"$T/offsets.jsonl" 2>/dev/null
out=$($PY "$GDX_ROOT/tests/it/seqcheck.py" --count 8 --got "$T/got.jsonl" --offsets "$T/offsets.jsonl" \
    --connector test.wha)
is "$?" 0 "records 1-8 exactly once, the held-at-stop one not at all: $out"
"$GDX" tail -H --from-beginning _gdx.dlq.test.wha >"$T/dlq.jsonl" 2>/dev/null
ok "the malformed line is a dead letter with its coordinates" \
    grep -q '"gdx.src.pos":"webhook:xcs-0003:1".*"gdx.error.stage":"parse"' "$T/dlq.jsonl"
ok "the refused value is a dead letter naming the field" \
    grep -q '"gdx.src.pos":"webhook:xcs-0002:1".*"gdx.error.field":"seq"' "$T/dlq.jsonl"

# --- HTTPS with client certificates
make_ca "$T/ca" || fail "the test CA is made"
conf "$T/m.yaml" test.whm gdx.test.whtls "auth: mtls" "tls.cert.file: $T/ca/server.pem" \
    "tls.key.file: $T/ca/server.key" "tls.client.ca.file: $T/ca/ca.pem" \
    "tls.client.names: [govservice.online]"
"$GDX" connector run -c "$T/m.yaml" 2>"$T/m.log" &
PIDS+=($!)
mpid=$!
wait_for 30 test -s "$T/test.whm.url" || fail "the HTTPS endpoint listens"
MURL=$(cat "$T/test.whm.url")
ok "the URL is https" test "${MURL#https://}" != "$MURL"
wait_for 30 sh -c "curl -s --cacert '$T/ca/ca.pem' '${MURL%/records}/healthz' | grep -q ok"
code() { curl -s -o /dev/null -w '%{http_code}' --cacert "$T/ca/ca.pem" -H "Content-Type: application/json" "$@" "$MURL"; }
is "$(code -d '{"seq":1,"k":"a","v":"x"}')" 403 "no client certificate: 403"
is "$(code --cert "$T/ca/other-client.pem" --key "$T/ca/other-client.key" -d '{"seq":1,"k":"a","v":"x"}')" \
    403 "a certificate of another CA: 403"
is "$(code --cert "$T/ca/client.pem" --key "$T/ca/client.key" -d '{"seq":1,"k":"a","v":"x"}')" \
    200 "the department's certificate: 200"
kill -TERM $mpid
wait $mpid
conf "$T/n.yaml" test.whn gdx.test.whtls "auth: mtls" "tls.cert.file: $T/ca/server.pem" \
    "tls.key.file: $T/ca/server.key" "tls.client.ca.file: $T/ca/ca.pem" \
    "tls.client.names: [hotline12345.workorders]"
"$GDX" connector run -c "$T/n.yaml" 2>"$T/n.log" &
PIDS+=($!)
npid=$!
wait_for 30 test -s "$T/test.whn.url" || fail "the second HTTPS endpoint listens"
MURL=$(cat "$T/test.whn.url")
wait_for 30 sh -c "curl -s --cacert '$T/ca/ca.pem' '${MURL%/records}/healthz' | grep -q ok"
is "$(code --cert "$T/ca/client.pem" --key "$T/ca/client.key" -d '{"seq":2,"k":"a","v":"x"}')" \
    403 "a valid certificate with a name not in tls.client.names: 403"
kill -TERM $npid
wait $npid
done_testing
