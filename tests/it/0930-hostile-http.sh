#!/bin/bash
# `gdx registry` under hostile requests over real HTTP: paths that are not UTF-8 (once an
# abort of the whole registry: any client could stop it), a subject long enough that the
# error message cut a character, a body over the cap, a body that is not JSON, a deep JSON
# body, an unknown method. Each gets a JSON error with the right status, and the registry
# keeps serving: a schema registered at the end is found again.
. "$(dirname "$0")/../lib.sh"
command -v curl >/dev/null || skip_all "curl not installed"
PY=/usr/bin/python3

start_broker || { fail "broker starts"; done_testing; }
start_registry reg "$BOOTSTRAP" || { fail "registry starts"; done_testing; }
REG=$reg_REG
CT='application/vnd.schemaregistry.v1+json'

# req METHOD PATH [BODYFILE]: sets CODE; the answer is in $T/resp
req() {
    local args=(-s -o "$T/resp" -w '%{http_code}' -X "$1" --path-as-is "$REG$2")
    [ $# -ge 3 ] && args+=(-H "Content-Type: $CT" --data-binary "@$3")
    CODE=$(curl "${args[@]}")
}
json_error() { # the answer is {"error_code": N, "message": "..."}, valid UTF-8
    $PY -c 'import json,sys
d = json.loads(open(sys.argv[1], "rb").read().decode("utf-8"))
assert isinstance(d["error_code"], int) and isinstance(d["message"], str), d' "$T/resp"
}
alive() {
    req GET /subjects
    [ "$CODE" = 200 ]
}

req GET "/subjects/%FF%FE/versions"
is "$CODE" 404 "a subject that is not UTF-8: 404"
ok "with a JSON error" json_error
ok "the registry still serves" alive

req POST "/subjects/%C3/versions" "$GDX_ROOT/tests/it/schemas/seq.avsc"
is "$CODE" 404 "registering under a truncated UTF-8 subject: 404"
ok "the registry still serves" alive

long=$($PY -c 'print("%E5%B7%A5" * 700)')
req GET "/subjects/$long/versions"
is "$CODE" 404 "a 2100-byte Chinese subject: 404 (the message is cut at a character)"
ok "with a JSON error in valid UTF-8" json_error

head -c $((5 * 1024 * 1024)) /dev/zero | tr '\0' 'x' >"$T/big"
req POST "/subjects/gov.test.big-value/versions" "$T/big"
is "$CODE" 413 "a 5 MiB body: 413"
ok "the registry still serves" alive

printf 'not json at all \xff' >"$T/bad"
req POST "/subjects/gov.test.bad-value/versions" "$T/bad"
ok "a body that is not JSON: a 4xx JSON error ($CODE)" bash -c "[ $CODE -ge 400 ] && [ $CODE -lt 500 ]"
ok "with a JSON error" json_error

$PY -c 'print("{\"schema\":" + "[" * 100000 + "]" * 100000 + "}")' >"$T/deep"
req POST "/subjects/gov.test.deep-value/versions" "$T/deep"
ok "a body nested 100000 deep: a 4xx JSON error ($CODE)" bash -c "[ $CODE -ge 400 ] && [ $CODE -lt 500 ]"
ok "the registry still serves" alive

req BREW "/subjects"
is "$CODE" 405 "an unknown method: 405"

$PY -c 'import json,sys; print(json.dumps({"schema": open(sys.argv[1]).read()}))' \
    "$GDX_ROOT/tests/it/schemas/seq.avsc" >"$T/seq.json"
req POST "/subjects/gov.test.seq-value/versions" "$T/seq.json"
is "$CODE" 200 "after all that a schema registers"
id=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$T/resp")
req GET "/schemas/ids/$id"
is "$CODE" 200 "and is served by its id"
ok "the registry process is alive" kill -0 "${PIDS[-1]}"
done_testing
