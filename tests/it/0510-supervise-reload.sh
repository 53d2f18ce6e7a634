#!/bin/bash
# SIGHUP reload changes exactly what changed, asserted by process ids: a new file starts, a
# removed one stops (its process exits), a changed one restarts (new pid, new digest), and
# the rest keep their processes, including one whose file was rewritten with the same bytes
# (same SM3). A changed file that is now bad stops with exit 78; a duplicate connector id is
# refused, not started beside the first. A config whose top-level key is `uplink:` runs
# `gdx uplink`. Records keep flowing through the untouched connectors.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/supervise.sh"

start_broker || { fail "broker starts"; done_testing; }
export GDX_BOOTSTRAP=$BOOTSTRAP
C=$T/conf
for id in test.a test.b test.c test.d test.e; do
    file_conf "$C" "$id"
done
# an uplink (its clusters need not answer for it to run as a child)
cat >"$C/uplink.yaml" <<YAML
uplink:
  city.id: "411681"
  destination: province
source:
  bootstrap.servers: \${GDX_BOOTSTRAP}
  topics: [gdx.test.test.a]
  schemas: $GDX_ROOT/tests/it/schemas
destination:
  bootstrap.servers: \${GDX_BOOTSTRAP}
policy:
  share: [unconditional, conditional]
state.dir: $T/state
YAML

sv_start "$C" --backoff-min 200ms || { fail "supervisor starts"; done_testing; }
for id in test.a test.b test.c test.d test.e; do
    ok "$id runs" wait_for 60 sv_is "$id" state running
done
st=$(sv_state uplink.province)
case $st in
running | starting) pass "the uplink config runs as a child ($st)" ;;
*) fail "the uplink config runs as a child ($st: $(sv_get uplink.province reason))" ;;
esac
up_pid=$(sv_pid uplink.province)
ok "the uplink child is 'gdx uplink -c uplink.yaml'" \
    grep -q "uplink.-c.$C/uplink.yaml" <(tr '\0' ' ' <"/proc/$up_pid/cmdline")
declare -A P
for id in test.a test.b test.c test.d test.e; do
    P[$id]=$(sv_pid "$id")
done
old_b_sm3=$(sv_get test.b config_sm3)

# the changes: b changed, c removed, d rewritten identically, e made bad, f and g new (g a
# duplicate of a's connector id)
echo "# tuned" >>"$C/test.b.yaml"
rm "$C/test.c.yaml"
cp "$C/test.d.yaml" "$T/d.copy" && cat "$T/d.copy" >"$C/test.d.yaml"
touch "$C/test.d.yaml"
echo "colour: blue" >>"$C/test.e.yaml"
file_conf "$C" test.f
sed 's/gdx.test.test.a/gdx.test.test.g/' "$C/test.a.yaml" >"$C/zz-dup.yaml"
/usr/bin/python3 "$GDX_ROOT/tests/it/seqgen.py" "$T/drop/test.a" 3000 3

kill -HUP "$SV_PID"
ok "the new config starts" wait_for 60 sv_is test.f state running
ok "the changed config runs again" wait_for 60 sh -c "
    [ \"\$($SUPCHECK get $SV_URL test.b pid)\" != ${P[test.b]} ] &&
    [ \"\$($SUPCHECK get $SV_URL test.b state)\" = running ]"
ok "the removed config is no longer listed" \
    wait_for 60 sh -c "! $SUPCHECK get $SV_URL test.c state"
ok "the bad config is stopped" wait_for 60 sv_is test.e state stopped
is "$(sv_pid test.a)" "${P[test.a]}" "test.a kept its process"
is "$(sv_pid test.d)" "${P[test.d]}" "test.d (same bytes, new mtime) kept its process"
is "$(sv_pid uplink.province)" "$up_pid" "the uplink kept its process"
ok "test.b has a new process" test "$(sv_pid test.b)" != "${P[test.b]}"
ok "test.b's digest changed" test "$(sv_get test.b config_sm3)" != "$old_b_sm3"
is "$(sv_get test.b restarts)" 1 "test.b restarted once"
ok "test.c's process has exited" wait_for 30 sh -c "! kill -0 ${P[test.c]} 2>/dev/null"
is "$(sv_get test.e last_exit_code)" 78 "test.e exited 78"
for id in test.a test.d; do
    is "$(sv_get $id restarts)" 0 "$id was not restarted"
done
is "$(sv_state test.a)" running "test.a still runs"
ok "the reload is logged with its counts" \
    grep -q 'msg=reloaded .*new=2 removed=1 changed=2 unchanged=3' "$T/sv.log"
grep 'msg=reloaded' "$T/sv.log" | sed 's/^/#   /'

# the duplicate id: listed, stopped, never beside the first
/usr/bin/python3 - "$SV_URL" <<'PY' >"$T/dup.txt"
import json, sys, urllib.request
d = json.load(urllib.request.urlopen(sys.argv[1] + "/status"))
rows = [s for u in d["units"] for s in u["systems"] if s["id"] == "test.a"]
print(len(rows))
for s in rows:
    print(s["config"], s["state"], s.get("reason") or "")
PY
is "$(head -1 "$T/dup.txt")" 2 "both configs with connector id test.a are listed"
ok "the second one is stopped as a duplicate" grep -q '^zz-dup.yaml stopped duplicate connector id' "$T/dup.txt"
ok "the first one runs" grep -q '^test.a.yaml running' "$T/dup.txt"

# records flowed through the untouched connector while others restarted
ok "test.a committed the 3000 new records" wait_for 60 sv_is test.a records 3000
is "$(sv_get test.a dead_letters)" 0 "without dead letters"

# a second SIGHUP with nothing changed changes nothing
declare -A Q
for id in test.a test.b test.d test.f; do
    Q[$id]=$(sv_pid "$id")
done
kill -HUP "$SV_PID"
ok "the second reload is logged" wait_for 30 sh -c "[ \$(grep -c 'msg=reloaded' '$T/sv.log') -ge 2 ]"
ok "it found nothing to change" grep -q 'msg=reloaded .*new=0 removed=0 changed=0' "$T/sv.log"
for id in test.a test.b test.d test.f; do
    is "$(sv_pid $id)" "${Q[$id]}" "second reload: $id kept its process"
done
ok "/metrics parses as Prometheus text with a duplicate id among the configs" \
    sh -c "$SUPCHECK prom $SV_URL >$T/prom.jsonl"
is "$(sv_metric gdx_supervisor_reloads_total)" 2 "metrics: two reloads"
is "$(grep -c '"name": "gdx_connector_info", "labels": {"connector": "test.a"' "$T/prom.jsonl")" 2 \
    "metrics: both configs of test.a in gdx_connector_info"
done_testing
