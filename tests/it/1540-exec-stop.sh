#!/bin/bash
# exec connector, stopping: SIGTERM to the connector reaches the adapter (its process group)
# and the adapter's clean-up runs to its end within stop.grace.ms; an adapter that ignores
# SIGTERM is SIGKILLed once stop.grace.ms is over; either way the connector exits 0, the
# adapter's stderr lines are in its log, and what was sent before the stop is there once.
. "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3

start_broker --topic gdx.test.stop:4 || { fail "broker starts"; done_testing; }
export GDX_BOOTSTRAP=$BOOTSTRAP
mkdir -p "$T/state"
cat >"$T/u.avsc" <<'JSON'
{"type": "record", "name": "User", "namespace": "gdx.test", "doc": "用户", "gdx.owner": "test",
 "gdx.share": "none", "fields": [
  {"name": "id", "type": "long", "doc": "编号", "gdx.level": "general", "gdx.pi": "none"},
  {"name": "name", "type": "string", "doc": "姓名", "gdx.level": "general", "gdx.pi": "none"}]}
JSON
# a streaming adapter: three records and a STATE, then it waits for more data forever.
# With $1 = polite it cleans up for a second on SIGTERM; with $1 = stubborn it ignores it.
cat >"$T/adapter.sh" <<'SH'
#!/bin/bash
mode=$1 dir=$2
echo $$ >"$dir/adapter.pid"
if [ "$mode" = polite ]; then
    trap 'echo "INFO got SIGTERM, closing the export" >&2; sleep 1;
          echo "INFO closed" >&2; echo cleaned >"$dir/marker"; exit 0' TERM
else
    trap '' TERM
fi
start=0
[ "${3:-}" = --state ] && start=$(sed 's/[^0-9]//g' "$4")
for i in 1 2 3; do
    id=$((start + i))
    echo "{\"type\": \"RECORD\", \"stream\": \"users\", \"record\": {\"id\": $id, \"name\": \"王明口镇用户$id\"}}"
done
echo "{\"type\": \"STATE\", \"value\": {\"last\": $((start + 3))}}"
echo ready >"$dir/ready"
while :; do sleep 0.1; done
SH
chmod +x "$T/adapter.sh"
conf() {
    cat >"$T/$1.yaml" <<YAML
connector:
  id: test.stop$1
  kind: exec
kafka:
  bootstrap.servers: \${GDX_BOOTSTRAP}
topic: gdx.test.stop
schema: $T/u.avsc
key: id
state.dir: $T/state
log.level: debug
batch:
  max.ms: 200ms
source:
  command: [$T/adapter.sh, $1, $T]
  stream: users
  stop.grace.ms: $2
YAML
}
# run_until_ready NAME: start the connector and wait for the adapter to have written its batch
run_until_ready() {
    rm -f "$T/ready" "$T/marker" "$T/adapter.pid"
    RUN=$((${RUN:-0} + 1))
    bg "$GDX" connector run -c "$T/$1.yaml" 2>"$T/$1-$RUN.log"
    CPID=$LAST_PID
    LOG=$T/$1-$RUN.log
    wait_for 30 test -s "$T/ready" && wait_for 30 grep -q 'msg="batch committed" .*records=3' "$LOG"
}

# 1. a polite adapter: SIGTERM reaches it, its one-second clean-up is waited for
conf polite 10s
ok "polite adapter started and its records committed" run_until_ready polite
apid=$(cat "$T/adapter.pid")
kill -TERM $CPID
wait $CPID
is "$?" 0 "the connector exits 0 on SIGTERM"
is "$(cat "$T/marker" 2>/dev/null)" cleaned "the adapter got SIGTERM and finished its clean-up"
ok "its stderr lines were forwarded, in order, once" \
    sh -c "grep -o 'msg=\"INFO [A-Za-z ,]*' '$LOG' | tr '\n' '|' | grep -q '^msg=\"INFO got SIGTERM, closing the export|msg=\"INFO closed|$'"
ok "the connector logged how the adapter ended" \
    grep -q 'msg="adapter stopped".*how="exited with status 0"' "$LOG"
ok "the adapter is gone" wait_for 10 sh -c "! kill -0 $apid 2>/dev/null"

# 2. a restart continues from the STATE: the adapter gets --state and nothing is repeated
ok "the restarted adapter resumes" run_until_ready polite
ok "with the committed STATE" grep -q 'from=state skip=0' "$LOG"
kill -TERM $CPID
wait $CPID
"$GDX" tail --from-beginning -s "$T" gdx.test.stop >"$T/got1.jsonl"
is "$($PY -c 'import json,sys; print(sorted(json.loads(l)["id"] for l in open(sys.argv[1])))' "$T/got1.jsonl")" \
    "[1, 2, 3, 4, 5, 6]" "records of both runs, once each"

# 3. a stubborn adapter ignores SIGTERM: SIGKILL after stop.grace.ms
conf stubborn 1500ms
ok "stubborn adapter started" run_until_ready stubborn
apid=$(cat "$T/adapter.pid")
kill -TERM $CPID
wait $CPID
is "$?" 0 "the connector still exits 0"
ok "it said it had to kill the adapter after the grace period" \
    grep -q 'did not exit within stop.grace.ms of SIGTERM: sending SIGKILL.* stop.grace.ms=1500' "$LOG"
ok "and how it ended" grep -q 'msg="adapter stopped".*how="was killed by signal 9' "$LOG"
ok "the adapter (and its sleep) are gone" wait_for 10 sh -c "! kill -0 $apid 2>/dev/null && ! pgrep -g $apid >/dev/null"
done_testing
