#!/bin/bash
# 0040-registry-api.sh - `gdx registry` against the Confluent Schema Registry API docs, with
# curl: status codes, error codes, content type, idempotent re-registration, global ids,
# lookup, compatibility refusal, config, soft delete, and the `_schemas` record shapes.
. "$(dirname "$0")/../lib.sh"

command -v curl >/dev/null || skip_all "curl not installed"
PY=/usr/bin/python3
[ -x "$PY" ] || skip_all "python3 not installed"

start_broker || { fail "broker starts"; done_testing; }

"$GDX" registry --listen 127.0.0.1:0 --url-file "$T/reg.url" --bootstrap "$BOOTSTRAP" \
    >"$T/registry.out" 2>"$T/registry.log" &
REG_PID=$!
PIDS+=($REG_PID)
if wait_for 20 test -s "$T/reg.url"; then pass "registry starts"; else
    fail "registry starts"; sed 's/^/#   /' "$T/registry.log"; done_testing; fi
REG=$(cat "$T/reg.url")
is "$(head -1 "$T/registry.out")" "url=$REG" "prints its URL"

CT='application/vnd.schemaregistry.v1+json'

# req METHOD PATH [BODY]: sets CODE, BODY (the answer) and CTYPE
req() {
    local args=(-s -o "$T/resp" -D "$T/hdr" -w '%{http_code}' -X "$1" "$REG$2")
    [ $# -ge 3 ] && args+=(-H "Content-Type: $CT" --data-binary "$3")
    CODE=$(curl "${args[@]}")
    BODY=$(cat "$T/resp")
    CTYPE=$(tr -d '\r' <"$T/hdr" | sed -n 's/^[Cc]ontent-[Tt]ype: *//p' | tail -1)
}

# jq-like: field EXPR evaluates d<EXPR> on the last answer
field() {
    "$PY" -c 'import json,sys
d = json.load(open(sys.argv[1]))
v = eval("d" + sys.argv[2])
print(v if isinstance(v, str) else json.dumps(v))' "$T/resp" "$1"
}

# body_of FILE: {"schema": <text of FILE>}
body_of() {
    "$PY" -c 'import json,sys; print(json.dumps({"schema": open(sys.argv[1], encoding="utf-8").read()}))' "$1"
}

# 12345 work order, v1: logicalType and defaults that Avro-C would drop when printing
cat >"$T/wo1.avsc" <<'EOF'
{
  "type": "record",
  "name": "WorkOrder",
  "namespace": "gov.hotline12345",
  "doc": "12345热线工单 / 12345 hotline work order",
  "fields": [
    {"name": "order_no", "type": "string", "doc": "工单编号"},
    {"name": "received_at", "type": {"type": "long", "logicalType": "timestamp-millis"},
     "doc": "受理时间"},
    {"name": "channel", "type": "string", "default": "电话", "doc": "受理渠道"}
  ]
}
EOF
# v2: a nullable field with a default (BACKWARD compatible)
sed 's/"doc": "受理渠道"}/"doc": "受理渠道"},\n    {"name": "street", "type": ["null", "string"], "default": null, "doc": "街道"}/' \
    "$T/wo1.avsc" >"$T/wo2.avsc"
# v3: a field without a default (not BACKWARD compatible)
sed 's/"doc": "受理渠道"}/"doc": "受理渠道"},\n    {"name": "handler_unit", "type": "string", "doc": "承办单位"}/' \
    "$T/wo1.avsc" >"$T/wo3.avsc"
cat >"$T/grid.avsc" <<'EOF'
{"type": "record", "name": "GridIncident", "namespace": "gov.grid", "fields": [
  {"name": "incident_id", "type": "string", "doc": "事件编号"},
  {"name": "grid_code", "type": "string", "doc": "网格编码"}]}
EOF
B1=$(body_of "$T/wo1.avsc")
B2=$(body_of "$T/wo2.avsc")
B3=$(body_of "$T/wo3.avsc")
BG=$(body_of "$T/grid.avsc")
S=gov.hotline12345.workorders.workorder-value
G=gov.grid.incidents.incident-value

# --- empty registry
req GET /subjects
is "$CODE $BODY" "200 []" "GET /subjects on an empty registry"
is "$CTYPE" "$CT" "content type $CT"
req GET /config
is "$CODE $(field '["compatibilityLevel"]')" "200 BACKWARD" "global default is BACKWARD"

# --- registration, idempotent, global ids
req POST "/subjects/$S/versions" "$B1"
is "$CODE $BODY" '200 {"id":1}' "POST /subjects/{s}/versions registers id 1"
req POST "/subjects/$S/versions" "$B1"
is "$CODE $BODY" '200 {"id":1}' "re-registering the same schema returns the same id"
req POST "/subjects/$S/versions" "$("$PY" -c 'import json,sys; print(json.dumps({"schema": json.dumps(json.load(open(sys.argv[1])))}))' "$T/wo1.avsc")"
is "$CODE $BODY" '200 {"id":1}' "the same schema with other whitespace returns the same id"
req POST "/subjects/$S/versions" "$(body_of "$T/wo1.avsc" | sed 's/}$/, "schemaType": "AVRO"}/')"
is "$CODE $BODY" '200 {"id":1}' "schemaType AVRO accepted"
req GET "/subjects/$S/versions"
is "$CODE $BODY" "200 [1]" "still one version"
req POST "/subjects/copy-value/versions" "$B1"
is "$CODE $BODY" '200 {"id":1}' "the same schema under another subject reuses its global id"
req GET "/schemas/ids/1"
is "$CODE" 200 "GET /schemas/ids/1"
if "$PY" -c 'import json,sys
sys.exit(json.load(open(sys.argv[1]))["schema"] != open(sys.argv[2], encoding="utf-8").read())' \
    "$T/resp" "$T/wo1.avsc"; then
    pass "schema served verbatim (whitespace, logicalType, defaults, Chinese docs)"
else fail "schema served verbatim"; diag "$BODY"; fi
req GET "/schemas/ids/1/versions"
is "$CODE $BODY" "200 [{\"subject\":\"$S\",\"version\":1},{\"subject\":\"copy-value\",\"version\":1}]" \
    "GET /schemas/ids/1/versions"
req GET "/schemas/ids/77"
is "$CODE $(field '["error_code"]')" "404 40403" "unknown id: 404 40403"

# --- versions
req GET "/subjects/$S/versions/1"
is "$CODE $(field '["subject"]') $(field '["version"]') $(field '["id"]')" "200 $S 1 1" \
    "GET /subjects/{s}/versions/1"
req GET "/subjects/$S/versions/latest"
is "$CODE $(field '["version"]')" "200 1" "GET /subjects/{s}/versions/latest"
req GET "/subjects/$S/versions/2"
is "$CODE $(field '["error_code"]')" "404 40402" "missing version: 404 40402"
req GET "/subjects/$S/versions/0"
is "$CODE $(field '["error_code"]')" "422 42202" "version 0: 422 42202"
req GET "/subjects/$S/versions/abc"
is "$CODE $(field '["error_code"]')" "422 42202" "version abc: 422 42202"
req GET "/subjects/no.such-value/versions"
is "$CODE $(field '["error_code"]')" "404 40401" "unknown subject: 404 40401"
req GET "/subjects/no.such-value/versions/1"
is "$CODE $(field '["error_code"]')" "404 40401" "unknown subject's version: 404 40401"

# --- lookup
req POST "/subjects/$S" "$B1"
is "$CODE $(field '["subject"]') $(field '["id"]') $(field '["version"]')" "200 $S 1 1" \
    "POST /subjects/{s} finds the schema"
req POST "/subjects/$S" "$BG"
is "$CODE $(field '["error_code"]')" "404 40403" "lookup of an unregistered schema: 404 40403"
req POST "/subjects/$G" "$BG"
is "$CODE $(field '["error_code"]')" "404 40401" "lookup under an unknown subject: 404 40401"

# --- invalid schemas
req POST "/subjects/$G/versions" '{"schema": "{\"type\": \"record\", \"name\": \"X\", \"fields\": [{\"name\": \"a\", \"type\": \"varchar\"}]}"}'
is "$CODE $(field '["error_code"]')" "422 42201" "unknown type: 422 42201"
req POST "/subjects/$G/versions" '{"schema": "{not json"}'
is "$CODE $(field '["error_code"]')" "422 42201" "schema not JSON: 422 42201"
req POST "/subjects/$G/versions" '{"schema": "{\"type\": \"fixed\", \"name\": \"F\", \"size\": -1}"}'
is "$CODE $(field '["error_code"]')" "422 42201" "fixed of size -1: 422 42201"
req POST "/subjects/$G/versions" '{"schema": "{\"type\": \"record\", \"name\": \"R\", \"fields\": [{\"name\": \"a\", \"type\": \"int\"}, {\"name\": \"a\", \"type\": \"int\"}]}"}'
is "$CODE $(field '["error_code"]')" "422 42201" "duplicate field: 422 42201"
req POST "/subjects/$G/versions" '{"schema": "{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\"]}", "schemaType": "PROTOBUF"}'
is "$CODE $(field '["error_code"]')" "422 42201" "schemaType PROTOBUF: 422 42201"
req POST "/subjects/$G/versions" '{"schema": "\"string\""}'
is "$CODE $BODY" '200 {"id":2}' "a primitive schema is valid Avro"
req GET "/subjects/$G/versions"
is "$BODY" "[1]" "and becomes version 1"
req POST "/subjects/$G/versions" "$BG"
is "$CODE $(field '["error_code"]')" "409 409" "record after string under BACKWARD: 409"

# --- compatibility
req POST "/compatibility/subjects/$S/versions/latest" "$B3"
is "$CODE $BODY" '200 {"is_compatible":false}' "new field without default is not BACKWARD compatible"
req POST "/compatibility/subjects/$S/versions/1" "$B2"
is "$CODE $BODY" '200 {"is_compatible":true}' "new field with default is BACKWARD compatible"
req POST "/compatibility/subjects/$S/versions/latest?verbose=true" "$B3"
case $(field '["messages"][0]') in
*handler_unit*) pass "verbose=true names the field" ;;
*) fail "verbose=true names the field"; diag "$BODY" ;;
esac
req POST "/compatibility/subjects/$S/versions/9" "$B2"
is "$CODE $(field '["error_code"]')" "404 40402" "compatibility against a missing version: 40402"
req POST "/compatibility/subjects/no.such-value/versions/latest" "$B2"
is "$CODE $(field '["error_code"]')" "404 40401" "compatibility against an unknown subject: 40401"
req POST "/compatibility/subjects/$S/versions/x1" "$B2"
is "$CODE $(field '["error_code"]')" "422 42202" "compatibility against version x1: 42202"
req POST "/subjects/$S/versions" "$B3"
is "$CODE $(field '["error_code"]')" "409 409" "registering it is refused: 409"
case $(field '["message"]') in
*incompatible*) pass "with a reason" ;;
*) fail "with a reason"; diag "$BODY" ;;
esac
req GET "/subjects/$S/versions"
is "$BODY" "[1]" "a refused schema leaves no version"
req POST "/subjects/$S/versions" "$B2"
is "$CODE $BODY" '200 {"id":3}' "the compatible v2 gets id 3"
req GET "/subjects/$S/versions"
is "$BODY" "[1,2]" "versions [1,2]"

# --- config
req PUT /config/$S '{"compatibility": "BACKWARD_TRANSITIVE"}'
is "$CODE $BODY" '200 {"compatibility":"BACKWARD_TRANSITIVE"}' "PUT /config/{s}"
req GET /config/$S
is "$CODE $BODY" '200 {"compatibilityLevel":"BACKWARD_TRANSITIVE"}' "GET /config/{s}"
req GET /config/$G
is "$CODE $(field '["error_code"]')" "404 40408" "GET /config/{s} without a subject level: 40408"
req GET "/config/$G?defaultToGlobal=true"
is "$CODE $BODY" '200 {"compatibilityLevel":"BACKWARD"}' "defaultToGlobal=true falls back"
req PUT /config '{"compatibility": "sideways"}'
is "$CODE $(field '["error_code"]')" "422 42203" "invalid level: 422 42203"
req PUT /config '{"compatibility": "full"}'
is "$CODE $BODY" '200 {"compatibility":"FULL"}' "PUT /config"
req GET /config
is "$BODY" '{"compatibilityLevel":"FULL"}' "GET /config shows it"
req PUT /config/$G '{"compatibility": "NONE"}'
req POST "/subjects/$G/versions" "$BG"
is "$CODE $BODY" '200 {"id":4}' "NONE lets an unrelated schema in"
req PUT /config '{"compatibility": "BACKWARD"}'
is "$CODE" 200 "global back to BACKWARD"

# --- soft delete
req DELETE "/subjects/$S/versions/2"
is "$CODE $BODY" "200 2" "DELETE /subjects/{s}/versions/2"
req GET "/subjects/$S/versions"
is "$BODY" "[1]" "version 2 hidden"
req GET "/subjects/$S/versions?deleted=true"
is "$BODY" "[1,2]" "shown with deleted=true"
req GET "/subjects/$S/versions/2"
is "$CODE $(field '["error_code"]')" "404 40402" "deleted version: 40402"
req GET "/schemas/ids/3"
is "$CODE" 200 "its id still resolves"
req DELETE "/subjects/$S/versions/2"
is "$CODE $(field '["error_code"]')" "404 40406" "second soft delete: 40406"
req DELETE "/subjects/$S/versions/1?permanent=true"
is "$CODE $(field '["error_code"]')" "404 40407" "permanent delete before soft: 40407"
req POST "/subjects/$S/versions" "$B2"
is "$CODE $BODY" '200 {"id":3}' "re-registering a deleted schema reuses its id"
req GET "/subjects/$S/versions"
is "$BODY" "[1,3]" "as a new version"
req DELETE "/subjects/copy-value"
is "$CODE $BODY" "200 [1]" "DELETE /subjects/{s} answers its versions"
req GET /subjects
is "$BODY" "[\"$S\",\"$G\"]" "deleted subject hidden from /subjects"
req GET "/subjects?deleted=true"
is "$BODY" "[\"$S\",\"copy-value\",\"$G\"]" "listed with deleted=true"
req GET /subjects/copy-value/versions
is "$CODE $(field '["error_code"]')" "404 40401" "versions of a deleted subject: 40401"
req DELETE "/subjects/copy-value"
is "$CODE $(field '["error_code"]')" "404 40404" "second soft delete of a subject: 40404"
req DELETE "/subjects/copy-value?permanent=true"
is "$CODE $BODY" "200 [1]" "permanent delete after soft"
req GET "/subjects?deleted=true"
is "$BODY" "[\"$S\",\"$G\"]" "gone even with deleted=true"
req GET /schemas/ids/1
is "$CODE" 200 "id 1 still resolves: another subject uses it"

# --- odds and ends
req GET /no/such/path
is "$CODE" 404 "unknown path: 404"
req POST "/subjects/$S/versions" 'this is not json'
is "$CODE" 400 "body not JSON: 400"

# --- the _schemas topic holds Confluent's record shapes
"$GDX" tail -b "$BOOTSTRAP" -H --from-beginning -n 1000 _schemas >"$T/schemas.jsonl" 2>"$T/tail.log"
"$PY" - "$T/schemas.jsonl" "$S" >"$T/shapes" 2>&1 <<'EOF'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
def key(r):
    k = r["key"]
    return k if isinstance(k, dict) else json.loads(k)
def val(r):
    v = r.get("value")
    return v if isinstance(v, dict) or v is None else json.loads(v)
first = recs[0]
k, v = key(first), val(first)
assert list(k) == ["keytype", "subject", "version", "magic"], k
assert k == {"keytype": "SCHEMA", "subject": sys.argv[2], "version": 1, "magic": 1}, k
assert v["subject"] == sys.argv[2] and v["version"] == 1 and v["id"] == 1, v
assert v["deleted"] is False and "logicalType" in v["schema"], v
assert all(r["partition"] == 0 for r in recs)
cfg = [key(r) for r in recs if key(r)["keytype"] == "CONFIG"]
assert {"keytype": "CONFIG", "subject": None, "magic": 0} in cfg, cfg
assert {"keytype": "CONFIG", "subject": sys.argv[2], "magic": 0} in cfg, cfg
dels = [(key(r), val(r)) for r in recs if key(r)["keytype"] == "DELETE_SUBJECT"]
assert dels[0] == ({"keytype": "DELETE_SUBJECT", "subject": "copy-value", "magic": 0},
                   {"subject": "copy-value", "version": 1}), dels
soft = [val(r) for r in recs if key(r) == {"keytype": "SCHEMA", "subject": sys.argv[2],
                                            "version": 2, "magic": 1}]
assert soft[-1]["deleted"] is True, soft
print("ok", len(recs))
EOF
case $(tail -1 "$T/shapes") in
ok*) pass "_schemas holds Confluent's keys and values ($(tail -1 "$T/shapes"))" ;;
*) fail "_schemas holds Confluent's keys and values"; sed 's/^/#   /' "$T/shapes" | tail -5 ;;
esac

# --- SIGTERM: exit 0, URL file removed
kill -TERM "$REG_PID"
wait "$REG_PID"
is "$?" 0 "SIGTERM: exit 0"
if [ -e "$T/reg.url" ]; then fail "URL file removed"; else pass "URL file removed"; fi

done_testing
