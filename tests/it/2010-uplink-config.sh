#!/bin/bash
# Uplink configuration: strict keys reported as file:line:col, TLS/mTLS and SASL settings
# validated at load (missing or unreadable files, unknown mechanism, settings that do not
# match security.protocol) with exit 78, and valid ones accepted by librdkafka up to the
# connection attempt (the embedded broker has no TLS, so `gdx uplink check` fails to reach
# it: exit 1, not 78). Passwords never reach the output.
. "$(dirname "$0")/../lib.sh"

start_broker --no-topics --topic gov.hotline12345.workorders.workorder:2 || { fail "broker starts"; done_testing; }
mkdir -p "$T/tls" "$T/state"

# base FILE [extra destination lines...]: a valid config with the given destination extras
base() {
    local f=$1; shift
    cat >"$f" <<YAML
uplink:
  city.id: "411681"
  destination: province
source:
  bootstrap.servers: $BOOTSTRAP
  topics: [gov.hotline12345.workorders.workorder]
  schemas: $GDX_ROOT/schemas
destination:
  bootstrap.servers: $BOOTSTRAP
  topic.prefix: henan
YAML
    local l
    for l in "$@"; do
        echo "  $l" >>"$f"
    done
    echo "state.dir: $T/state" >>"$f"
}

# refused NAME PATTERN FILE: exit 78 and stderr matches PATTERN
refused() {
    local name=$1 pat=$2 f=$3
    timeout 30 "$GDX" uplink check -c "$f" >"$T/out" 2>"$T/err"
    local rc=$?
    if [ $rc = 78 ] && grep -qE "$pat" "$T/err"; then
        pass "$name"
    else
        fail "$name (exit $rc)"
        sed 's/^/#   /' "$T/err" "$T/out" | head -5
    fi
}

base "$T/unknown.yaml"
sed -i 's/^  topic.prefix: henan/  topic.prefix: henan\n  topic.perfix: henan/' "$T/unknown.yaml"
refused "unknown destination key, with its position" \
    "unknown.yaml:11:3: unknown key 'topic.perfix' in 'destination'" "$T/unknown.yaml"

base "$T/top.yaml"
echo "uplinks: {}" >>"$T/top.yaml"
refused "unknown top-level key" "top.yaml:12:1: .*uplinks" "$T/top.yaml"

base "$T/noca.yaml" "security.protocol: ssl" "ssl.ca.location: $T/tls/missing-ca.pem"
refused "missing CA file" "ssl.ca.location: cannot read '.*missing-ca.pem': No such file" \
    "$T/noca.yaml"

base "$T/mech.yaml" "security.protocol: sasl_ssl" "sasl.mechanism: SCRAM-SHA-1"
refused "unknown SASL mechanism" "unknown sasl mechanism 'SCRAM-SHA-1'" "$T/mech.yaml"

base "$T/plainsasl.yaml" "sasl.mechanism: PLAIN" "sasl.username: uplink"
refused "SASL settings without a SASL protocol" \
    "'sasl.(mechanism|username)' needs security.protocol sasl_ssl or sasl_plaintext" \
    "$T/plainsasl.yaml"

base "$T/proto.yaml" "security.protocol: tls"
refused "unknown security.protocol" "unknown security.protocol 'tls'" "$T/proto.yaml"

base "$T/none.yaml"
printf 'policy:\n  share: [unconditional, none]\n' >>"$T/none.yaml"
refused "share none can never be allowed" "share 'none' .*never leaves" "$T/none.yaml"

base "$T/inst.yaml"
sed -i 's/^  destination: province/  destination: province\n  instance: 2\n  instances: 2/' "$T/inst.yaml"
refused "instance must be below instances" "instance 2 must be below instances" "$T/inst.yaml"

# a readable key file with the wrong permissions is still readable: only existence and
# readability are checked here; librdkafka checks the contents
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
    -subj "/CN=henan-kafka-ca" -keyout "$T/tls/ca.key" -out "$T/tls/ca.pem" >/dev/null 2>&1
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -subj "/CN=xiangcheng-uplink" -keyout "$T/tls/client.key" -out "$T/tls/client.csr" \
    >/dev/null 2>&1
openssl x509 -req -in "$T/tls/client.csr" -CA "$T/tls/ca.pem" -CAkey "$T/tls/ca.key" \
    -CAcreateserial -days 30 -out "$T/tls/client.pem" >/dev/null 2>&1
ok "test CA and client certificate made" test -s "$T/tls/client.pem"

chmod 000 "$T/tls/client.key"
if [ "$(id -u)" != 0 ]; then
    base "$T/unreadable.yaml" "security.protocol: ssl" "ssl.ca.location: $T/tls/ca.pem" \
        "ssl.key.location: $T/tls/client.key" "ssl.certificate.location: $T/tls/client.pem"
    refused "unreadable key file" "ssl.key.location: cannot read" "$T/unreadable.yaml"
fi
chmod 600 "$T/tls/client.key"

SECRET='S3cr3t-uplink-密码-2026'
base "$T/mtls.yaml" "security.protocol: sasl_ssl" "ssl.ca.location: tls/ca.pem" \
    "ssl.certificate.location: tls/client.pem" "ssl.key.location: tls/client.key" \
    "sasl.mechanism: SCRAM-SHA-512" "sasl.username: xiangcheng-uplink" \
    "sasl.password: \${UPLINK_SASL_PASSWORD}"
sed -i 's/^  bootstrap.servers: \(.*\)$/  bootstrap.servers: \1/' "$T/mtls.yaml"
UPLINK_SASL_PASSWORD=$SECRET timeout 60 "$GDX" uplink check -c "$T/mtls.yaml" \
    >"$T/check.out" 2>"$T/check.err"
rc=$?
is "$rc" 1 "valid mTLS + SASL settings load; the plaintext mock cannot complete the handshake"
ok "librdkafka accepted the TLS/SASL settings" grep -q "clients *ok" "$T/check.out"
ok "the failure is the connection, not the config" grep -q "destination *FAILED: cannot reach" \
    "$T/check.out"
ok "the password appears nowhere" sh -c "! grep -q '$SECRET' '$T/check.out' '$T/check.err'"

base "$T/good.yaml"
timeout 60 "$GDX" uplink check -c "$T/good.yaml" >"$T/good.out" 2>&1
is "$?" 0 "a plaintext config checks ok against the embedded broker"
done_testing
