# tests/it/testca.sh - a throwaway certificate authority for the HTTPS tests, made with the
# openssl command line.
#
#   . "$(dirname "$0")/testca.sh"
#   make_ca DIR       DIR/ca.pem, DIR/server.{pem,key} (127.0.0.1, localhost),
#                     DIR/client.{pem,key} (CN govservice.online), and DIR/other-ca.pem with
#                     DIR/other-client.{pem,key}: a client certificate no test trusts

# cert DIR NAME CN EXT CA: a P-256 key and a certificate signed by CA (DIR/CA.pem, .key)
_ca_cert() {
    local d=$1 name=$2 cn=$3 ext=$4 ca=$5
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -keyout "$d/$name.key" -out "$d/$name.csr" -subj "/O=项城市政务服务和大数据管理局/CN=$cn" \
        -utf8 2>/dev/null &&
        printf '%s\n' "$ext" >"$d/$name.ext" &&
        openssl x509 -req -in "$d/$name.csr" -CA "$d/$ca.pem" -CAkey "$d/$ca.key" \
            -CAcreateserial -out "$d/$name.pem" -days 2 -sha256 -extfile "$d/$name.ext" \
            2>/dev/null && chmod 600 "$d/$name.key"
}

make_ca() {
    local d=$1 c
    mkdir -p "$d"
    for c in ca other-ca; do
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
            -keyout "$d/$c.key" -out "$d/$c.pem" -days 2 -subj "/O=gdx test/CN=gdx test $c" \
            -addext basicConstraints=critical,CA:TRUE \
            -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null || return 1
    done
    _ca_cert "$d" server 127.0.0.1 \
        "subjectAltName=IP:127.0.0.1,DNS:localhost
extendedKeyUsage=serverAuth" ca &&
        _ca_cert "$d" client govservice.online "extendedKeyUsage=clientAuth" ca &&
        _ca_cert "$d" other-client govservice.online "extendedKeyUsage=clientAuth" other-ca
}
