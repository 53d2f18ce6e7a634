#!/bin/bash
# gdx supervise restarts what fails and leaves alone what cannot work: a connector that
# crashes (SIGSEGV) is started again after a delay that grows with each crash; one that exits
# 1 at every start keeps being retried with growing delays; a bad config (exit 78) is left
# stopped with the file:line:col of its error and is never retried until its file changes;
# a config whose connector kind is not built in is listed and never started. All of it shows
# in /status and in /metrics; SIGTERM stops every child and the supervisor exits 0.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/supervise.sh"

start_broker || { fail "broker starts"; done_testing; }
export GDX_BOOTSTRAP=$BOOTSTRAP
C=$T/conf
file_conf "$C" test.crash
# fails at every start: its state dir cannot be made (a file is in the way)
touch "$T/in-the-way"
file_conf "$C" test.fail "state.dir: $T/in-the-way/state"
cat >"$C/test.bad.yaml" <<YAML
connector:
  id: test.bad
  kind: file
  colour: blue
YAML
cat >"$C/test.web.yaml" <<YAML
connector:
  id: test.web
  kind: webhook-not-built
YAML

sv_start "$C" --backoff-min 300ms --backoff-max 20s || { fail "supervisor starts"; done_testing; }
pass "supervisor listens at $SV_URL"

ok "the healthy connector reports running" wait_for 60 sv_is test.crash state running
ok "the bad config is stopped" wait_for 30 sv_is test.bad state stopped
is "$(sv_get test.bad last_exit_code)" 78 "the bad config exited 78"
reason=$(sv_get test.bad reason)
case $reason in
*"bad config"*"test.bad.yaml:4:3"*colour*) pass "its reason names file:line:col and the key" ;;
*) fail "its reason names file:line:col and the key"; diag "reason: $reason" ;;
esac
is "$(sv_state test.web)" kind_not_built "the unknown kind is listed as not built"
is "$(sv_get test.web pid)" null "and has no process"
is "$(sv_get test.web exits)" "[]" "and was never started"

# --- crashes: SIGSEGV three times, each once it runs again
crash() {
    local old
    old=$(sv_pid test.crash)
    kill -SEGV "$old"
    wait_for 60 sh -c "[ \"\$($SUPCHECK get $SV_URL test.crash pid)\" != $old ] &&
        [ \"\$($SUPCHECK get $SV_URL test.crash state)\" = running ]"
}
for i in 1 2 3; do
    ok "crash $i: restarted and running again" crash
done
is "$(sv_get test.crash restarts)" 3 "three restarts counted"
$SUPCHECK get "$SV_URL" test.crash exits >"$T/exits.json"
read -r sigs b1 b2 b3 < <(/usr/bin/python3 -c '
import json,sys
e = json.load(open(sys.argv[1]))[::-1]   # oldest first
print(",".join(x["signal"] or "none" for x in e), *[x["backoff_ms"] for x in e])' "$T/exits.json")
# under AddressSanitizer its handler turns the SIGSEGV into an abort
want=SIGSEGV
case $GDX_BUILD in */san) want=SIGABRT ;; esac
is "$sigs" "$want,$want,$want" "each exit is recorded with its signal ($want)"
ok "the first delay is within [min/2, min] ($b1 ms)" test "$b1" -ge 150 -a "$b1" -le 300
ok "delays grow: $b1 <= $b2 < $b3 ms" test "$b1" -le "$b2" -a "$b2" -lt "$b3"
ok "the third delay is within [2 min, 4 min] ($b3 ms)" test "$b3" -ge 600 -a "$b3" -le 1200
# the restart came no sooner than its delay (a lower bound: never early)
/usr/bin/python3 - "$T/exits.json" "$(sv_get test.crash started_at)" <<'PY' >"$T/gap.txt"
import json, sys
from datetime import datetime
last = json.load(open(sys.argv[1]))[0]
gap = (datetime.fromisoformat(sys.argv[2]) - datetime.fromisoformat(last["at"])).total_seconds()
print(int(gap * 1000), last["backoff_ms"])
PY
read -r gap_ms want_ms <"$T/gap.txt"
ok "restarted no sooner than its delay (${gap_ms} ms >= ${want_ms} ms)" \
    test "$gap_ms" -ge $((want_ms - 5))

# --- exit 1 at every start: retried with growing delays, reason kept
ok "the failing connector is retried again and again" wait_for 90 sv_ge test.fail restarts 3
$SUPCHECK get "$SV_URL" test.fail exits >"$T/fexits.json"
/usr/bin/python3 - "$T/fexits.json" <<'PY' >"$T/fcheck.txt"
import json, sys
e = json.load(open(sys.argv[1]))[::-1]
codes = {x["code"] for x in e}
d = [x["backoff_ms"] for x in e]
print("codes", ",".join(str(c) for c in sorted(codes)))
print("grow", "yes" if all(d[i] <= d[i + 1] for i in range(len(d) - 1)) and d[-1] > d[0] else "no:%s" % d)
print("why", "yes" if all("cannot create state dir" in x["why"] for x in e) else "no")
PY
is "$(sed -n 's/^codes //p' "$T/fcheck.txt")" 1 "every exit of the failing connector is exit 1"
is "$(sed -n 's/^grow //p' "$T/fcheck.txt")" yes "its delays grow"
is "$(sed -n 's/^why //p' "$T/fcheck.txt")" yes "each exit names the reason (its last error line)"
st=$(sv_state test.fail)
case $st in
backoff | starting) pass "it is backing off or starting again ($st)" ;;
*) fail "it is backing off or starting again ($st)" ;;
esac

# --- the bad config stayed stopped all along
is "$(sv_get test.bad restarts)" 0 "the bad config was never restarted"
is "$(sv_state test.bad)" stopped "and is still stopped"
is "$($SUPCHECK get "$SV_URL" test.bad exits | /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" \
    1 "it has exactly one exit"

# --- the same in /metrics
ok "/metrics parses as Prometheus text" sh -c "$SUPCHECK prom $SV_URL >$T/prom.jsonl"
is "$(sv_metric gdx_connector_state connector=test.bad state=stopped)" 1 \
    "metrics: the bad config is stopped"
is "$(sv_metric gdx_connector_last_exit_code connector=test.bad)" 78 "metrics: its exit code 78"
is "$(sv_metric gdx_connector_restarts_total connector=test.bad)" 0 "metrics: no restart"
is "$(sv_metric gdx_connector_restarts_total connector=test.crash)" 3 "metrics: three restarts"
is "$(sv_metric gdx_connector_up connector=test.crash)" 1 "metrics: the crashed one is up again"
is "$(sv_metric gdx_connector_state connector=test.web state=kind_not_built)" 1 \
    "metrics: the unknown kind is kind_not_built"
ok "metrics: the failing one has restarts" \
    test "$(sv_metric gdx_connector_restarts_total connector=test.fail)" -ge 3

# --- fixing the bad config and SIGHUP starts it
sed -i '/colour/d' "$C/test.bad.yaml"
cat >>"$C/test.bad.yaml" <<YAML
kafka:
  bootstrap.servers: \${GDX_BOOTSTRAP}
topic: gdx.test.bad
schema: $GDX_ROOT/tests/it/schemas/seq.avsc
state.dir: $T/state
source:
  path: $T/drop/test.crash
YAML
kill -HUP "$SV_PID"
ok "after the fix and SIGHUP the former bad config runs" wait_for 60 sv_is test.bad state running

# --- SIGTERM: every child stops, the supervisor exits 0
pids=$($SUPCHECK ids "$SV_URL" | while read -r id; do sv_pid "$id"; done | grep -v null)
kill -TERM "$SV_PID"
wait "$SV_PID"
is "$?" 0 "SIGTERM: the supervisor exits 0"
left=0
for p in $pids; do proc_alive "$p" && left=$((left + 1)); done
is "$left" 0 "no child is left running ($(echo $pids | wc -w) were)"
ok "the supervisor said it stopped" grep -q 'connector=supervise msg=stopped' "$T/sv.log"
ok "no bad metrics line was seen" sh -c "! grep -q 'bad metrics report' '$T/sv.log'"
done_testing
