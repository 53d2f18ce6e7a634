#!/bin/bash
# The http connector's credentials against the test API (tests/it/httpserver.py): a bearer
# token from a file, basic auth, gateway signatures (HMAC-SHA256 and HMAC-SM3 over the
# canonical string of connectors/http/README.md, verified by the server with Python's hmac:
# an independent implementation), HTTPS with a test CA and a client certificate (mutual TLS).
# The rate limit spaces requests. Wrong credentials and an untrusted server certificate fail
# `gdx connector check` with a message that says what is wrong, and no secret appears in any
# log.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/testca.sh"
PY=/usr/bin/python3
TOKEN=xcs-govservice-token-7f3a9c
PASS='莲花-Passw0rd!'
SECRET=6b1f0c2e9d8a7b6c5d4e3f2a1b0c9d8e

start_broker --topic gdx.test.httpauth:4 || { fail "broker starts"; done_testing; }
export GDX_BOOTSTRAP=$BOOTSTRAP
mkdir -p "$T/state"
make_ca "$T/ca" || fail "the test CA is made"

serve() {
    local name=$1
    shift
    rm -f "$T/$name.port"
    $PY "$GDX_ROOT/tests/it/httpserver.py" --port-file "$T/$name.port" --records 300 --same 4 \
        "$@" >"$T/$name-srv.log" 2>&1 &
    PIDS+=($!)
    wait_for 20 test -s "$T/$name.port" || { fail "test API $name starts"; cat "$T/$name-srv.log"; }
    PORT=$(cat "$T/$name.port")
}

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
topic: gdx.test.httpauth
schema: $GDX_ROOT/tests/it/schemas/seq.avsc
key: k
state.dir: $T/state
source:
  url: "$url/api/items?since={cursor}&page={page}&size={size}"
  pagination: page
  page.size: 50
  records.pointer: /data/list
  cursor.field: update_time
  retry.max: 1
  retry.backoff.ms: 50ms
YAML
        local kv
        for kv in "$@"; do
            echo "  $kv"
        done
    } >"$file"
}

# drains NAME: run --once and check the 300 records of this connector arrived exactly once
drains() {
    timeout 60 "$GDX" connector run --once -c "$T/$1.yaml" 2>"$T/$1.log" || return 1
    "$GDX" tail -H --from-beginning -s "$GDX_ROOT/tests/it/schemas" gdx.test.httpauth \
        >"$T/got.jsonl" 2>/dev/null
    "$GDX" tail -H --from-beginning _gdx.offsets >"$T/offsets.jsonl" 2>/dev/null
    $PY "$GDX_ROOT/tests/it/seqcheck.py" --count 300 --got "$T/got.jsonl" \
        --offsets "$T/offsets.jsonl" --connector "test.$1"
}
stat_of() { curl -sk "$1/_stats" | $PY -c "import json,sys; print(json.load(sys.stdin)['$2'])"; }

# --- bearer token from a file
serve bearer --auth "bearer:$TOKEN"
printf '%s\n' "$TOKEN" >"$T/token"
chmod 600 "$T/token"
conf "$T/bearer.yaml" test.bearer "http://127.0.0.1:$PORT" "auth: bearer" "auth.token.file: $T/token"
out=$(drains bearer)
is "$?" 0 "bearer token from a file: $out"
printf 'wrong-token-000\n' >"$T/badtoken"
conf "$T/badbearer.yaml" test.badbearer "http://127.0.0.1:$PORT" "auth: bearer" \
    "auth.token.file: $T/badtoken"
"$GDX" connector check -c "$T/badbearer.yaml" >"$T/badbearer.out" 2>&1
ok "a wrong token fails check" test $? -ne 0
ok "the failure says 401 and what to check" grep -q 'HTTP 401 (unauthorized: check the credentials)' "$T/badbearer.out"

# --- basic
serve basic --auth "basic:gdx_reader:$PASS"
export HTTP_TEST_PASS=$PASS
conf "$T/basic.yaml" test.basic "http://127.0.0.1:$PORT" "auth: basic" "auth.user: gdx_reader" \
    'auth.password: ${HTTP_TEST_PASS}'
out=$(drains basic)
is "$?" 0 "basic auth with a password from the environment: $out"

# --- gateway signatures, verified by the server's own implementation
for alg in hmac-sha256 hmac-sm3; do
    serve "sig-$alg" --auth "sign:$alg:411681-govservice:$SECRET"
    printf '%s\n' "$SECRET" >"$T/secret"
    chmod 600 "$T/secret"
    conf "$T/$alg.yaml" "test.$alg" "http://127.0.0.1:$PORT" "sign: $alg" \
        "sign.app.key: 411681-govservice" "sign.secret.file: $T/secret"
    out=$(drains "$alg")
    is "$?" 0 "$alg signed requests: $out"
    reqs=$(stat_of "http://127.0.0.1:$PORT" requests)
    is "$(stat_of "http://127.0.0.1:$PORT" signed_ok)" "$reqs" "$alg: every request's signature verified ($reqs)"
    is "$(stat_of "http://127.0.0.1:$PORT" auth_failed)" 0 "$alg: no signature refused"
done
conf "$T/badsig.yaml" test.badsig "http://127.0.0.1:$PORT" "sign: hmac-sm3" \
    "sign.app.key: 411681-govservice" "sign.secret: not-the-secret"
"$GDX" connector check -c "$T/badsig.yaml" >"$T/badsig.out" 2>&1
ok "a wrong AppSecret fails check with 401" grep -q 'HTTP 401' "$T/badsig.out"

# --- HTTPS with mutual TLS
serve tls --tls-cert "$T/ca/server.pem" --tls-key "$T/ca/server.key" --client-ca "$T/ca/ca.pem"
conf "$T/tls.yaml" test.tls "https://127.0.0.1:$PORT" "tls.ca.file: $T/ca/ca.pem" \
    "tls.cert.file: $T/ca/client.pem" "tls.key.file: $T/ca/client.key"
out=$(drains tls)
is "$?" 0 "HTTPS with a client certificate: $out"
conf "$T/nocert.yaml" test.nocert "https://127.0.0.1:$PORT" "tls.ca.file: $T/ca/ca.pem"
"$GDX" connector check -c "$T/nocert.yaml" >"$T/nocert.out" 2>&1
ok "without the client certificate check fails" test $? -ne 0
# (under TLS 1.3 the server refuses after the client's handshake is done: what the client
# sees first, an alert or a closed connection, depends on timing)
ok "naming the request that failed" grep -q "GET https://127.0.0.1:$PORT/api/items: request failed" "$T/nocert.out"
conf "$T/wrongca.yaml" test.wrongca "https://127.0.0.1:$PORT" "tls.ca.file: $T/ca/other-ca.pem" \
    "tls.cert.file: $T/ca/client.pem" "tls.key.file: $T/ca/client.key"
"$GDX" connector check -c "$T/wrongca.yaml" >"$T/wrongca.out" 2>&1
ok "a server certificate from an untrusted CA fails check" test $? -ne 0
ok "saying it is the certificate" grep -qi 'certificate' "$T/wrongca.out"
ok "and which CA was asked" grep -q "other-ca.pem" "$T/wrongca.out"
# the host's deployment file gives the CA and the client certificate to every HTTPS client:
# a config without tls.* keys works through it, and fails without it
cat >"$T/deployment.yaml" <<YAML
tls:
  ca.file: $T/ca/ca.pem
  cert.file: $T/ca/client.pem
  key.file: $T/ca/client.key
YAML
conf "$T/deptls.yaml" test.deptls "https://127.0.0.1:$PORT"
out=$(GDX_DEPLOYMENT=$T/deployment.yaml drains deptls)
is "$?" 0 "HTTPS with the deployment file's CA and client certificate: $out"
"$GDX" connector check -c "$T/deptls.yaml" >"$T/nodeploy.out" 2>&1
ok "without the deployment file the same config fails check" test $? -ne 0
ok "naming the system's CA store" grep -q "system's CA store" "$T/nodeploy.out"

# --- the rate limit: 10 requests per second, so requests start 100 ms apart; the server logs
# them when answered, which may move each by a few ms, so 80 ms is the bound checked (without
# the limit they come a few ms apart; a loaded machine can only make the gaps longer)
serve rate --log "$T/rate-requests.log"
conf "$T/rate.yaml" test.rate "http://127.0.0.1:$PORT" "rate.limit.requests: 10" \
    "rate.limit.period.ms: 1s"
out=$(drains rate)
is "$?" 0 "rate-limited reading: $out"
gap=$($PY -c "
import sys
t = [float(l.split()[0]) for l in open('$T/rate-requests.log') if '/api/items' in l]
print('%d %.3f' % (len(t), min(b - a for a, b in zip(t, t[1:]))))")
ok "requests spaced by the limit (requests, smallest gap in s: $gap)" \
    $PY -c "import sys; n, g = '$gap'.split(); sys.exit(0 if int(n) >= 5 and float(g) >= 0.08 else 1)"

# --- no secret in any log
leaked=0
for s in "$TOKEN" "$PASS" "$SECRET"; do
    grep -rqF -- "$s" "$T"/*.log "$T"/*.out 2>/dev/null && leaked=1
done
is "$leaked" 0 "no token, password or AppSecret in any log"
done_testing
