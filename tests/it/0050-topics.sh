#!/bin/bash
# 0050-topics: topics and ACLs as code, against golden files made from a small inventory of
# our own (tests/it/topics/inventory.yaml), so the city's data can change without breaking
# them. Regenerate the golden files with GDX_GOLDEN=update after a deliberate change.
#  - generate: topics.yaml and acls.yaml as expected; gdx broker reads the generated topics
#  - the ACLs: a unit cannot write another unit's topic, a 不予共享 (share: none) topic is
#    readable by nobody outside its unit, the uplink reads only what it may forward
#  - plan against recorded cluster descriptions: empty cluster, a cluster in sync, a drifted one
#  - export: Kafka's own commands
#  - plan and apply against the embedded broker (no Admin API) fail with a clear error
#  - the committed broker-config/ is what the generator makes of the city inventory
#  - inventory errors name file:line:col
. "$(dirname "$0")/../lib.sh"

[ -x "$GDX" ] || skip_all "no $GDX (run make)"
D=$GDX_ROOT/tests/it/topics
cd "$GDX_ROOT" || exit 1

# golden NAME FILE: compare FILE with $D/NAME, or update it with GDX_GOLDEN=update
golden() {
    if [ "${GDX_GOLDEN:-}" = update ]; then
        cp "$2" "$D/$1"
        pass "$1 updated"
        return
    fi
    if diff -u "$D/$1" "$2" >"$T/diff" 2>&1; then
        pass "$1 matches"
    else
        fail "$1 matches"
        sed 's/^/#   /' "$T/diff" | head -40
    fi
}

gen() { "$GDX" topics generate -i tests/it/topics/inventory.yaml -s tests/it/topics/schemas "$@"; }

gen -o "$T" 2>"$T/gen.err"
is "$?" 0 "generate from the test inventory"
golden topics.golden.yaml "$T/topics.yaml"
golden acls.golden.yaml "$T/acls.yaml"
gen --print acls >"$T/acls-stdout.yaml" 2>/dev/null
ok "--print acls prints the same file" cmp -s "$T/acls.yaml" "$T/acls-stdout.yaml"

# --- who may do what ------------------------------------------------------------------------
TOPICS=(gov.hotline12345.workorders.workorder gov.hotline12345.knowledge.article
    gov.grid.incidents.incident gov.police.video_alerts.alert gov.civil.elderly.certification
    _gdx.dlq.police.video_alerts _gdx.offsets.police _gdx.offsets _gdx.audit)
"$GDX" topics access -t "$T/topics.yaml" -a "$T/acls.yaml" "${TOPICS[@]}" >"$T/access.txt"
is "$?" 0 "access lists who may read and write each topic"
golden access.golden.txt "$T/access.txt"

# access_of TOPIC PRINCIPAL: the operations PRINCIPAL has on TOPIC ("" for none)
access_of() {
    awk -v t="$1" -v p="$2:" '$0 == t { on = 1; next } /^[^ ]/ { on = 0 }
        on && $1 == p { $1 = ""; sub(/^ /, ""); print }' "$T/access.txt"
}
is "$(access_of gov.police.video_alerts.alert User:police)" "Read Write Describe" \
    "the police read and write their own video alerts"
nread=$(awk '$0 == "gov.police.video_alerts.alert" { on = 1; next } /^[^ ]/ { on = 0 }
    on && /Read/ { n++ } END { print n + 0 }' "$T/access.txt")
is "$nread" 1 "不予共享: nobody outside the police may read gov.police.video_alerts.alert"
is "$(access_of gov.police.video_alerts.alert User:gdx-uplink)" "" "not even the uplink"
is "$(access_of gov.hotline12345.workorders.workorder User:grid)" "Read Describe" \
    "conditional: grid, a listed consumer, reads the work orders"
is "$(access_of gov.hotline12345.workorders.workorder User:police)" "" \
    "conditional: police, not a listed consumer, does not"
is "$(access_of gov.hotline12345.workorders.workorder User:grid | grep -c Write)" 0 \
    "grid cannot write the hotline's topic"
is "$(access_of gov.civil.elderly.certification User:grid)" "" \
    "a system whose share is left open is not shared"
is "$(access_of _gdx.offsets User:hotline12345)" "" "nobody may use the shared _gdx.offsets"
is "$(access_of _gdx.offsets.police User:grid)" "" "grid cannot touch the police's offsets"

# --- the files feed gdx broker ---------------------------------------------------------------
start_broker --topics "$T/topics.yaml" || { fail "broker starts"; done_testing; }
pass "gdx broker reads the generated topics.yaml"
META=$GDX_BUILD/tools/kafka-meta
if [ -x "$META" ]; then
    "$META" -b "$BOOTSTRAP" -t gov.police.video_alerts.alert -T 10000 >"$T/meta.out" 2>&1
    is "$(cat "$T/meta.out")" "gov.police.video_alerts.alert 51" \
        "the high-volume topic got the partitions the sizing asked for (51)"
fi

# --- plan against recorded cluster descriptions ----------------------------------------------
"$GDX" topics plan -t "$T/topics.yaml" -a "$T/acls.yaml" --state "$D/state-empty.json" \
    >"$T/plan-empty.txt"
is "$?" 0 "plan against an empty cluster"
golden plan-empty.golden.txt "$T/plan-empty.txt"

"$GDX" topics export -t "$T/topics.yaml" -a "$T/acls.yaml" --format json >"$T/synced.json"
"$GDX" topics plan -t "$T/topics.yaml" -a "$T/acls.yaml" --state "$T/synced.json" >"$T/plan-synced.txt"
is "$(tail -1 "$T/plan-synced.txt")" "plan: no changes, the cluster matches the files" \
    "plan against a cluster in sync: no changes"
golden state-synced.golden.json "$T/synced.json"

"$GDX" topics plan -t "$T/topics.yaml" -a "$T/acls.yaml" --state "$D/state-drift.json" \
    >"$T/plan-drift.txt"
is "$?" 0 "plan against a drifted cluster"
golden plan-drift.golden.txt "$T/plan-drift.txt"
"$GDX" topics plan -t "$T/topics.yaml" --no-acls --state "$D/state-drift.json" >"$T/plan-noacl.txt"
is "$(grep -c ' acl ' "$T/plan-noacl.txt")" 0 "--no-acls compares topics only"
"$GDX" topics plan -t "$T/topics.yaml" -a "$T/acls.yaml" --state "$D/state-noauth.json" \
    >"$T/plan-noauth.txt"
ok "a cluster without an authorizer is reported: acls.yaml cannot be enforced" \
    grep -q '^! acls: the cluster reports no ACLs' "$T/plan-noauth.txt"

# --- export ----------------------------------------------------------------------------------
"$GDX" topics export -t "$T/topics.yaml" -a "$T/acls.yaml" >"$T/export.sh"
is "$?" 0 "export"
golden export.golden.sh "$T/export.sh"
ok "the export is valid shell" bash -n "$T/export.sh"
is "$(grep -c '^kafka-topics.sh .* --create --if-not-exists ' "$T/export.sh")" \
    "$(grep -c '  - name: ' "$T/topics.yaml")" "one kafka-topics.sh --create per topic"
ok "transactional ids use kafka-acls.sh --transactional-id" \
    grep -q -- "--allow-principal User:hotline12345 --operation Write --transactional-id gdx-hotline12345.workorders$" "$T/export.sh"

# --- the embedded broker has no Admin API ----------------------------------------------------
"$GDX" topics plan -t "$T/topics.yaml" -a "$T/acls.yaml" -b "$BOOTSTRAP" --timeout 5000 \
    >"$T/plan-mock.out" 2>&1
rc=$?
diag "$(tail -1 "$T/plan-mock.out")"
is "$rc" 1 "plan against gdx broker fails (its mock cluster has no admin requests)"
ok "naming the request the cluster cannot answer" grep -q "DescribeConfigs" "$T/plan-mock.out"
"$GDX" topics apply -t "$T/topics.yaml" -a "$T/acls.yaml" -b "$BOOTSTRAP" --timeout 5000 \
    >"$T/apply-mock.out" 2>&1
is "$?" 1 "apply against gdx broker fails too, and claims nothing"
ok "nothing reported as created" sh -c "! grep -q '^created' '$T/apply-mock.out'"
"$GDX" topics plan -t "$T/topics.yaml" >"$T/nocluster.out" 2>&1
is "$?" 2 "plan without a cluster or --state is a usage error"

# --- the committed files are what the generator makes -------------------------------------
"$GDX" topics generate -o "$T/city" 2>/dev/null || mkdir -p "$T/city"
mkdir -p "$T/city"
"$GDX" topics generate -o "$T/city" >/dev/null 2>&1
ok "broker-config/topics.yaml is up to date with the inventory (run: make broker-config)" \
    cmp -s broker-config/topics.yaml "$T/city/topics.yaml"
ok "broker-config/acls.yaml is up to date with the inventory (run: make broker-config)" \
    cmp -s broker-config/acls.yaml "$T/city/acls.yaml"

# --- inventory errors ------------------------------------------------------------------------
bad() {
    sed "$1" tests/it/topics/inventory.yaml >"$T/bad.yaml"
    "$GDX" topics generate -i "$T/bad.yaml" -s tests/it/topics/schemas --print topics \
        >/dev/null 2>"$T/bad.err"
    local rc=$?
    if [ "$rc" = 78 ] && grep -q "$2" "$T/bad.err"; then
        pass "$3"
    else
        fail "$3 (exit $rc)"
        sed 's/^/#   /' "$T/bad.err"
    fi
}
bad 's/share: none/share: none\n        uplink: true/' 'bad.yaml:[0-9]*:[0-9]*: .police.video_alerts. is marked for the uplink but its share is none' \
    "uplink: true on a 不予共享 system is refused, naming the place"
bad 's/consumers: \[grid, civil\]/consumers: [grid, tax]/' "consumer 'tax' of 'hotline12345.workorders' is not a unit" \
    "an unknown consumer is refused"
bad 's/        share: conditional/        share: unconditional/' "disagrees with gdx.share 'conditional' of its schema" \
    "a share that contradicts the schema's gdx.share is refused"
bad 's/topic: gov.grid.incidents.incident/topic: gov.hotline12345.incidents.incident/' \
    "must be gov.grid.incidents.<record>" "a topic outside its unit's name space is refused"
bad 's/per_day: 3000/per_day: lots/' 'bad.yaml:[0-9]*:[0-9]*:' "a bad per_day names the place"
gen --retention-days 3 --print topics >/dev/null 2>"$T/ret.err"
is "$?" 78 "city topics kept less than 7 days are refused"
gen --audit-retention-days 90 --print topics >/dev/null 2>"$T/ret.err"
is "$?" 78 "_gdx.audit kept less than 183 days is refused"

done_testing
