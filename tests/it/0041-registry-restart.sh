#!/bin/bash
# 0041-registry-restart.sh - `gdx registry` keeps its state in `_schemas` only: after SIGTERM
# and after SIGKILL a new process rebuilds the same subjects, versions, ids, deletions and
# compatibility levels, and hands out new ids after the old ones.
. "$(dirname "$0")/../lib.sh"

command -v curl >/dev/null || skip_all "curl not installed"
PY=/usr/bin/python3
[ -x "$PY" ] || skip_all "python3 not installed"

start_broker || { fail "broker starts"; done_testing; }

start_registry() {
    rm -f "$T/reg.url"
    "$GDX" registry --listen 127.0.0.1:0 --url-file "$T/reg.url" --bootstrap "$BOOTSTRAP" \
        >>"$T/registry.log" 2>&1 &
    REG_PID=$!
    PIDS+=($REG_PID)
    if ! wait_for 20 test -s "$T/reg.url"; then
        sed 's/^/#   /' "$T/registry.log" | tail -5
        return 1
    fi
    REG=$(cat "$T/reg.url")
}

# register SUBJECT SCHEMA-TEXT: prints the id (or the error body)
register() {
    "$PY" -c 'import json,sys; print(json.dumps({"schema": sys.argv[1]}))' "$2" |
        curl -s -X POST -H 'Content-Type: application/vnd.schemaregistry.v1+json' \
            --data-binary @- "$REG/subjects/$1/versions" |
        "$PY" -c 'import json,sys; d=json.load(sys.stdin); print(d.get("id", d))'
}

# snapshot: everything a client can see, one line per fact
snapshot() {
    "$PY" - "$REG" <<'EOF'
import json, sys, urllib.request, urllib.error
base = sys.argv[1]
def get(path):
    try:
        with urllib.request.urlopen(base + path) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)
out = []
_, subjects = get("/subjects?deleted=true")
out.append("subjects %s" % get("/subjects")[1])
out.append("subjects-with-deleted %s" % subjects)
out.append("global %s" % get("/config")[1])
ids = set()
for s in subjects:
    out.append("config %s %s" % (s, get("/config/" + s)))
    _, versions = get("/subjects/%s/versions?deleted=true" % s)
    out.append("versions %s live=%s all=%s" % (s, get("/subjects/%s/versions" % s)[1], versions))
    for v in versions:
        _, d = get("/subjects/%s/versions/%d?deleted=true" % (s, v))
        out.append("version %s %d id=%d schema=%s" % (s, v, d["id"], d["schema"]))
        ids.add(d["id"])
for i in sorted(ids):
    out.append("id %d %s" % (i, get("/schemas/ids/%d" % i)))
print("\n".join(out))
EOF
}

start_registry && pass "registry starts" || { fail "registry starts"; done_testing; }

WO1='{"type":"record","name":"WorkOrder","namespace":"gov.hotline12345","fields":[{"name":"order_no","type":"string","doc":"工单编号"},{"name":"received_at","type":{"type":"long","logicalType":"timestamp-millis"}}]}'
WO2='{"type":"record","name":"WorkOrder","namespace":"gov.hotline12345","fields":[{"name":"order_no","type":"string","doc":"工单编号"},{"name":"received_at","type":{"type":"long","logicalType":"timestamp-millis"}},{"name":"status","type":"string","default":"已受理"}]}'
GRID='{"type":"record","name":"GridIncident","namespace":"gov.grid","fields":[{"name":"incident_id","type":"string"},{"name":"grid_code","type":"string","doc":"网格编码"}]}'
STAFF='{"type":"record","name":"GridStaff","namespace":"gov.grid","fields":[{"name":"staff_id","type":"string"},{"name":"name","type":"string","gdx.pi":"pi"}]}'
PARTY='{"type":"record","name":"PointsEntry","namespace":"gov.party","fields":[{"name":"entry_id","type":"string"},{"name":"points","type":"int","default":0}]}'

ELDER='{"type":"record","name":"ElderlyCertification","namespace":"gov.civil","fields":[{"name":"cert_id","type":"string","doc":"认证编号"},{"name":"result","type":"string","doc":"认证结果"}]}'

S1=gov.hotline12345.workorders.workorder-value
S2=gov.grid.incidents.incident-value
S3=gov.grid.staff.staff-value
S4=gov.party.points.entry-value

is "$(register $S1 "$WO1")" 1 "work order v1 -> id 1"
is "$(register $S1 "$WO2")" 2 "work order v2 -> id 2"
is "$(register $S2 "$GRID")" 3 "grid incident -> id 3"
is "$(register $S3 "$STAFF")" 4 "grid staff -> id 4"
curl -s -X PUT -d '{"compatibility":"NONE"}' "$REG/config/$S3" >/dev/null
is "$(register $S3 "$GRID")" 3 "a known schema under another subject keeps id 3"
is "$(register $S4 "$PARTY")" 5 "points entry -> id 5"
curl -s -X PUT -d '{"compatibility":"BACKWARD_TRANSITIVE"}' "$REG/config/$S1" >/dev/null
curl -s -X PUT -d '{"compatibility":"FULL"}' "$REG/config" >/dev/null
curl -s -X DELETE "$REG/subjects/$S2/versions/1" >/dev/null
curl -s -X DELETE "$REG/subjects/$S4" >/dev/null
snapshot >"$T/snap0"
grep -q "^global {'compatibilityLevel': 'FULL'}" "$T/snap0" && pass "snapshot taken" ||
    { fail "snapshot taken"; sed 's/^/#   /' "$T/snap0"; }

# --- SIGTERM
kill -TERM "$REG_PID"
wait "$REG_PID"
is "$?" 0 "SIGTERM: exit 0"
start_registry && pass "restarts after SIGTERM" || fail "restarts after SIGTERM"
snapshot >"$T/snap1"
if cmp -s "$T/snap0" "$T/snap1"; then pass "same state after SIGTERM ($(wc -l <"$T/snap1") facts)"
else fail "same state after SIGTERM"; diff "$T/snap0" "$T/snap1" | sed 's/^/#   /' | head -20; fi
is "$(register $S1 "$WO2")" 2 "re-registering after restart keeps the id"
is "$(register $S2 "$ELDER")" 6 "a new schema gets the next id, 6"

# --- SIGKILL right after a write: what was acknowledged survives
is "$(register $S3 "$PARTY")" 5 "a soft-deleted subject's schema keeps its id 5 elsewhere"
snapshot >"$T/snap2"
exec 3>&2 2>/dev/null # no "Killed" notice from bash
kill -KILL "$REG_PID"
wait "$REG_PID"
exec 2>&3 3>&-
start_registry && pass "restarts after SIGKILL" || fail "restarts after SIGKILL"
snapshot >"$T/snap3"
if cmp -s "$T/snap2" "$T/snap3"; then pass "same state after SIGKILL ($(wc -l <"$T/snap3") facts)"
else fail "same state after SIGKILL"; diff "$T/snap2" "$T/snap3" | sed 's/^/#   /' | head -20; fi
grep -q "^version $S3 3 id=5" "$T/snap3" && pass "acknowledged write before SIGKILL kept" ||
    fail "acknowledged write before SIGKILL kept"

# --- compatibility still enforced from the rebuilt config
BAD='{"type":"record","name":"WorkOrder","namespace":"gov.hotline12345","fields":[{"name":"order_no","type":"string","doc":"工单编号"},{"name":"received_at","type":{"type":"long","logicalType":"timestamp-millis"}},{"name":"status","type":"string","default":"已受理"},{"name":"handler_unit","type":"string"}]}'
case $(register $S1 "$BAD") in
*409*) pass "BACKWARD_TRANSITIVE still enforced after restart" ;;
*) fail "BACKWARD_TRANSITIVE still enforced after restart" ;;
esac

kill -TERM "$REG_PID"
wait "$REG_PID"
is "$?" 0 "SIGTERM: exit 0"
done_testing
