#!/bin/bash
# 0060-tls: the deployment file's TLS settings reach every client gdx makes, against real TLS
# servers (openssl s_server) on loopback with a test CA made here.
#  - HTTPS (the registry client, and a plain libcurl handle set up the way the http connector
#    does): the right CA works; a wrong CA, the system store, an expired certificate and a
#    wrong host name are refused, each with an error that names the cause; a server that asks
#    for a client certificate gets one from tls.cert.file/key.file and refuses a client
#    without it.
#  - Kafka (librdkafka, through gdx tail): SASL_SSL with the deployment's CA completes the TLS
#    handshake; with a wrong CA the client refuses the server; the SASL password, read from a
#    file, appears in no output; a password file others can read is refused.
#  - Secrets never on the command line: gdx tail -X sasl.password=... is refused.
. "$(dirname "$0")/../lib.sh"

GET=$GDX_BUILD/tools/tls-get
[ -x "$GDX" ] || skip_all "no $GDX (run make)"
[ -x "$GET" ] || skip_all "no $GET (run make tests-build)"
command -v openssl >/dev/null || skip_all "no openssl"

# --- a test CA, a second CA nobody trusts, and the certificates ---------------------------
C=$T/pki
mkdir -p "$C/new" && : >"$C/index.txt" && echo 1000 >"$C/serial"
cat >"$C/ca.cnf" <<EOF
[ ca ]
default_ca = test
[ test ]
dir = $C
database = $C/index.txt
new_certs_dir = $C/new
serial = $C/serial
default_md = sha256
policy = any
copy_extensions = copy
unique_subject = no
[ any ]
commonName = supplied
EOF
newkey() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
mkca() {
    newkey "$C/$1.key" &&
        openssl req -x509 -new -key "$C/$1.key" -out "$C/$1.pem" -days 3 \
            -subj "/O=Xiangcheng gdx test/CN=$2" 2>/dev/null
}
# mkcert NAME SAN [openssl ca dates...]
mkcert() {
    local name=$1 san=$2
    shift 2
    newkey "$C/$name.key" &&
        openssl req -new -key "$C/$name.key" -out "$C/$name.csr" -subj "/CN=$name" \
            -addext "subjectAltName=$san" 2>/dev/null &&
        openssl ca -batch -config "$C/ca.cnf" -cert "$C/ca.pem" -keyfile "$C/ca.key" \
            -in "$C/$name.csr" -out "$C/$name.pem" "$@" >/dev/null 2>&1
}
mkca ca "gdx test CA" && mkca other "another CA" &&
    mkcert good "IP:127.0.0.1,DNS:localhost" -days 2 &&
    mkcert expired "IP:127.0.0.1,DNS:localhost" -startdate 20250101000000Z -enddate 20250201000000Z &&
    mkcert wronghost "DNS:registry.xiangcheng.example" -days 2 &&
    mkcert client "DNS:hotline12345.xiangcheng.example" -days 2
is "$?" 0 "test CA and certificates made with the openssl command line"
chmod 600 "$C"/*.key

# the registry's answer to GET /schemas/ids/1, served by s_server -WWW
mkdir -p "$T/www/schemas/ids"
printf '{"schema":"{\\"type\\":\\"record\\",\\"name\\":\\"workorder\\",\\"fields\\":[]}"}' \
    >"$T/www/schemas/ids/1"

# serve NAME CERT [s_server args...]: a TLS server on an ephemeral loopback port; sets PORT
serve() {
    local name=$1 cert=$2
    shift 2
    (cd "$T/www" && exec openssl s_server -accept 127.0.0.1:0 -cert "$C/$cert.pem" \
        -key "$C/$cert.key" "$@" </dev/null >"$T/$name.out" 2>&1) &
    PIDS+=($!)
    LAST=$!
    wait_for 10 grep -q '^ACCEPT ' "$T/$name.out" || { fail "s_server $name starts"; return 1; }
    PORT=$(sed -n 's/^ACCEPT .*:\([0-9]*\)$/\1/p' "$T/$name.out")
}
stop() { kill "$LAST" 2>/dev/null; wait "$LAST" 2>/dev/null; }

# deploy FILE [tls lines...]: a deployment file with a tls section
deploy() {
    local f=$1
    shift
    { echo "tls:"; for l in "$@"; do echo "  $l"; done; } >"$f"
}

# --- HTTPS ---------------------------------------------------------------------------------
serve good good -WWW || done_testing
URL=https://127.0.0.1:$PORT

deploy "$T/right.yaml" "ca.file: $C/ca.pem"
out=$(GDX_DEPLOYMENT=$T/right.yaml "$GET" --registry "$URL" 1)
is "$?:${out:0:3}" "0:ok " "registry client: the right CA works"
case $out in *'"name":"workorder"'*) pass "and the schema arrives" ;; *) fail "schema arrives: $out" ;; esac
out=$(GDX_DEPLOYMENT=$T/right.yaml "$GET" --curl "$URL/schemas/ids/1")
is "$?:${out:0:3}" "0:ok " "plain libcurl handle with gdx_tls_curl: the right CA works"

deploy "$T/wrong.yaml" "ca.file: $C/other.pem"
out=$(GDX_DEPLOYMENT=$T/wrong.yaml "$GET" --registry "$URL" 1)
rc=$?
diag "$out"
is "$rc" 1 "a wrong CA is refused"
case $out in *"is not trusted by the CA file '$C/other.pem'"*) pass "the error names the CA file and says not trusted" ;;
*) fail "wrong-CA message: $out" ;; esac
out=$(GDX_DEPLOYMENT=$T/wrong.yaml "$GET" --curl "$URL/schemas/ids/1")
case $out in *"is not trusted by the CA file"*) pass "same through a plain libcurl handle" ;; *) fail "curl wrong CA: $out" ;; esac

out=$(GDX_DEPLOYMENT= "$GET" --registry "$URL" 1)
rc=$?
diag "$out"
case "$rc:$out" in "1:"*"not trusted by the system's CA store"*) pass "without a deployment CA the system store does not trust a private CA" ;;
*) fail "system store: $rc $out" ;; esac
stop

serve expired expired -WWW || done_testing
out=$(GDX_DEPLOYMENT=$T/right.yaml "$GET" --registry "https://127.0.0.1:$PORT" 1)
rc=$?
diag "$out"
case "$rc:$out" in "1:"*"has expired"*) pass "an expired certificate is refused: 'has expired'" ;;
*) fail "expired: $rc $out" ;; esac
stop

serve wronghost wronghost -WWW || done_testing
out=$(GDX_DEPLOYMENT=$T/right.yaml "$GET" --registry "https://127.0.0.1:$PORT" 1)
rc=$?
diag "$out"
case "$rc:$out" in "1:"*"not valid for that host name"*) pass "a certificate for another host name is refused" ;;
*) fail "wrong host: $rc $out" ;; esac
stop

serve mtls good -WWW -Verify 1 -CAfile "$C/ca.pem" || done_testing
out=$(GDX_DEPLOYMENT=$T/right.yaml "$GET" --registry "https://127.0.0.1:$PORT" 1)
rc=$?
diag "$out"
ok "a server that wants a client certificate refuses a client without one" test "$rc" = 1
deploy "$T/mtls.yaml" "ca.file: $C/ca.pem" "cert.file: $C/client.pem" "key.file: $C/client.key"
out=$(GDX_DEPLOYMENT=$T/mtls.yaml "$GET" --registry "https://127.0.0.1:$PORT" 1)
is "$?:${out:0:3}" "0:ok " "with tls.cert.file and key.file from the deployment file it answers"
stop

chmod 644 "$C/client.key"
out=$(GDX_DEPLOYMENT=$T/mtls.yaml "$GET" --registry "$URL" 1)
rc=$?
is "$rc" 3 "a client key that others may read is a config error"
case $out in *"mtls.yaml:4:"*"group or others may read it"*) pass "naming the file:line of key.file" ;;
*) fail "key mode: $out" ;; esac
chmod 600 "$C/client.key"

deploy "$T/inline.yaml" "key.password: hunter2"
out=$(GDX_DEPLOYMENT=$T/inline.yaml "$GET" --registry "$URL" 1)
case "$?:$out" in "3:"*"must come from the environment"*) pass "a password written in the deployment file is refused" ;;
*) fail "inline password: $out" ;; esac

# --- Kafka over SASL_SSL (librdkafka) --------------------------------------------------------
PW=Xc-411681-kafka-口令
printf '%s\n' "$PW" >"$T/kafka.password"
chmod 600 "$T/kafka.password"
kafka_deploy() {
    cat >"$T/kafka-$1.yaml" <<EOF
kafka:
  bootstrap.servers: 127.0.0.1:$PORT
  security.protocol: SASL_SSL
  sasl.mechanism: SCRAM-SHA-512
  sasl.username: hotline12345
  sasl.password.file: $T/kafka.password
  ssl.ca.location: $C/$2.pem
EOF
}
serve kafka good -rev || done_testing
kafka_deploy right ca
GDX_DEPLOYMENT=$T/kafka-right.yaml timeout 60 "$GDX" tail -X debug=security,broker \
    gov.hotline12345.workorders.workorder >"$T/tail-right.out" 2>&1
is "$?" 1 "gdx tail against a TLS server that is not Kafka fails (exit 1)"
ok "but the TLS handshake with the deployment's CA completed" grep -q "CONNECTION ESTABLISHED" "$T/kafka.out"
ok "and the client did not refuse the certificate" sh -c "! grep -q 'certificate verify failed' '$T/tail-right.out'"
stop

serve kafka2 good -rev || done_testing
kafka_deploy wrong other
GDX_DEPLOYMENT=$T/kafka-wrong.yaml timeout 60 "$GDX" tail -X debug=security,broker \
    gov.hotline12345.workorders.workorder >"$T/tail-wrong.out" 2>&1
ok "with a wrong CA librdkafka refuses the broker's certificate" grep -q "certificate verify failed" "$T/tail-wrong.out"
ok "and the server saw the client give up (unknown ca)" grep -q "unknown ca" "$T/kafka2.out"
stop
ok "the SASL password appears in no output" sh -c "! grep -qF '$PW' '$T'/*.out"

chmod 640 "$T/kafka.password"
GDX_DEPLOYMENT=$T/kafka-right.yaml "$GDX" tail gov.x.y.z >"$T/pwmode.out" 2>&1
is "$?" 78 "a password file that the group may read is a config error (exit 78)"
ok "naming the file:line of sasl.password.file" grep -q "kafka-right.yaml:6:.*group or others may read it" "$T/pwmode.out"

"$GDX" tail -b 127.0.0.1:1 -X "sasl.password=$PW" t >"$T/argv.out" 2>&1
is "$?" 2 "a secret on the command line (-X sasl.password=...) is refused"
ok "with the reason" grep -q "is a secret" "$T/argv.out"
ok "and without echoing it" sh -c "! grep -qF '$PW' '$T/argv.out'"

done_testing
