#!/bin/bash
# The simulated sources of 项城市 (examples/xiangcheng/simulate.py): every record of every one
# of the 112 systems, read back from its medium (CSV with the config's Chinese headers, JSON
# Lines, SQLite rows with the cursor column, the REST APIs, the webhook posts, the Singer tap
# over the XML exports), fits its schema; the registers hold the city's figures; the same seed
# gives the same data and another seed other data; the APIs need their token and page
# correctly; webhook posts survive a receiver that fails at first, in order, none lost or
# repeated; the tap resumes from its STATE; malformed records appear only when asked for, each
# logged with its place.
. "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3
[ -x "$PY" ] || skip_all "Debian's /usr/bin/python3 is not installed"
X=$GDX_ROOT/examples/xiangcheng
SIM=$GDX_ROOT/tests/it/citysim.py
START="2026-09-20 06:00:00"

n=$("$PY" "$X/simulate.py" --root "$T/list" --list | wc -l)
is "$n" 112 "--list names the 112 systems"

# 1. all systems, a few simulated hours, nothing malformed; webhooks to a receiver that
#    answers 503 to its first 20 posts
WEBHOOKS=$(awk '/^  - id: /{u=$3} /^      - id: /{s=$3} /kind: webhook/{print u"."s}' "$X/inventory.yaml")
"$PY" "$SIM" receiver --sim "$T/all" --out "$T/posts.jsonl" --fail-first 20 $WEBHOOKS &
RECV=$!
PIDS+=($RECV)
wait_for 20 test -s "$T/all/police.video_alerts/webhook.url" || fail "receiver starts"
# the APIs keep answering after the run (--linger) until told to stop
"$PY" "$X/simulate.py" --root "$T/all" --duration 4s --start "$START" --bad-rate 0 \
    --linger 600 --quiet 2>"$T/all.err" &
ASIM=$!
PIDS+=($ASIM)
final() { grep -q '"final": true' "$T/all/simulate.stats.json" 2>/dev/null; }
webhooks_done() {
    "$PY" -c 'import json,sys; s=json.load(open(sys.argv[1]))["systems"]
sys.exit(any(v.get("pending") for v in s.values()))' "$T/all/simulate.stats.json"
}
if wait_for 300 final; then
    pass "all 112 systems simulated for four hours"
else
    fail "all 112 systems simulated for four hours"
    sed 's/^/#   /' "$T/all.err" | head -5
fi
wait_for 120 webhooks_done || fail "the webhook posts are all accepted"
"$PY" "$SIM" validate --sim "$T/all" --webhooks "$T/posts.jsonl" >"$T/validate.out" 2>&1
kill -TERM $ASIM 2>/dev/null
wait $ASIM 2>/dev/null
is "$?" 0 "the simulator stops cleanly on SIGTERM"
kill -TERM $RECV 2>/dev/null
wait $RECV 2>/dev/null
nok=$(grep -c '^ok ' "$T/validate.out")
is "$nok" 112 "the records of all 112 systems fit their schemas, read back from their media"
grep -v '^ok ' "$T/validate.out" | head -10 | sed 's/^/#   /'
is "$(cat "$T/all/simulate.bad.jsonl" 2>/dev/null | wc -l)" 0 "--bad-rate 0: nothing malformed"

# webhook delivery: every record, in order, once, despite the failures
"$PY" - "$T/all/simulate.stats.json" "$T/posts.jsonl" $WEBHOOKS >"$T/hooks.out" <<'PY'
import json, sys
stats = json.load(open(sys.argv[1]))["systems"]
posts = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8")]
bad = []
for cid in sys.argv[3:]:
    seqs = [int(p["id"].rsplit("-", 1)[1]) for p in posts if p["system"] == cid]
    want = stats[cid]["records"]
    if seqs != list(range(1, want + 1)):
        bad.append("%s: %d posts, want 1..%d in order" % (cid, len(seqs), want))
    if stats[cid]["failures"] == 0 and cid == "police.video_alerts":
        pass
print("\n".join(bad) if bad else "ok %d" % sum(stats[c]["failures"] for c in sys.argv[3:]))
PY
if grep -q '^ok [1-9]' "$T/hooks.out"; then
    pass "webhooks: every record posted once and in order, after $(cut -d' ' -f2 "$T/hooks.out") failed attempts"
else
    fail "webhooks: every record posted once and in order"
    sed 's/^/#   /' "$T/hooks.out"
fi

# 2. the city's figures in the registers
ok "the registers hold the city's figures (grids, staff, volunteers, party units, 付集镇)" \
    "$PY" "$SIM" facts --sim "$T/all"

# 3. the same seed gives the same records, another seed others
ONLY=hotline12345.workorders,grid.incidents,mediation.cases,party.points_market,police.alarms,civil.disability_subsidies
for r in a b; do
    "$PY" "$X/simulate.py" --root "$T/det-$r" --only "$ONLY" --duration 2s --start "$START" --quiet
done
"$PY" "$X/simulate.py" --root "$T/det-c" --only "$ONLY" --duration 2s --start "$START" --seed 7 --quiet
da=$("$PY" "$SIM" digest --sim "$T/det-a")
db=$("$PY" "$SIM" digest --sim "$T/det-b")
dc=$("$PY" "$SIM" digest --sim "$T/det-c")
is "$da" "$db" "the same seed and start give the same records (files, rows, exports)"
if [ "$da" != "$dc" ]; then pass "another seed gives other records"; else fail "another seed gives other records"; fi

# 4. the REST APIs: a bearer token, paging, the time filter; both page shapes
"$PY" "$X/simulate.py" --root "$T/http" --only civil.elderly_cert,urban.cases --duration 3s \
    --start "$START" --linger 30 --quiet &
HSIM=$!
PIDS+=($HSIM)
wait_for 60 test -s "$T/http/urban.cases/url"
sleep 4 # the APIs are served while the run lingers
for cid in civil.elderly_cert urban.cases; do
    out=$("$PY" "$SIM" http --sim "$T/http" "$cid" 2>&1)
    case $out in ok*) pass "http $cid: ${out#ok }" ;; *) fail "http $cid: $out" ;; esac
done
kill -TERM $HSIM 2>/dev/null
wait $HSIM 2>/dev/null

# 5. the Singer tap resumes from its last STATE: nothing again, nothing lost
TAP=$X/taps/tap_xml.py
"$PY" "$TAP" --config "$T/all/police.alarms/tap.json" >"$T/tap1.jsonl"
n1=$(grep -c '"type": "RECORD"' "$T/tap1.jsonl")
is "$n1" "$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["systems"]["police.alarms"]["records"])' "$T/all/simulate.stats.json")" \
    "the tap reads every exported alarm"
grep '"type": "STATE"' "$T/tap1.jsonl" | sed -n 1p | "$PY" -c 'import json,sys; print(json.dumps(json.loads(sys.stdin.read())["value"]))' >"$T/state1.json"
grep '"type": "STATE"' "$T/tap1.jsonl" | tail -1 | "$PY" -c 'import json,sys; print(json.dumps(json.loads(sys.stdin.read())["value"]))' >"$T/state9.json"
first=$(awk '/"type": "STATE"/{exit} /"type": "RECORD"/{n++} END{print n+0}' "$T/tap1.jsonl")
is "$("$PY" "$TAP" --config "$T/all/police.alarms/tap.json" --state "$T/state1.json" | grep -c '"type": "RECORD"')" \
    "$((n1 - first))" "from the first file's STATE, the records after it"
is "$("$PY" "$TAP" --config "$T/all/police.alarms/tap.json" --state "$T/state9.json" | grep -c '"type": "RECORD"')" \
    0 "from the last STATE, nothing again"
ok "the XML exports are GB18030, as the legacy system writes them" \
    grep -q 'encoding="GB18030"' "$(ls "$T"/all/police.alarms/export/*.xml | head -1)"

# 6. malformed on purpose: logged with the place, in every medium
"$PY" "$X/simulate.py" --root "$T/bad" --kinds file,sql --duration 2s --start "$START" \
    --bad-rate 0.02 --quiet
"$PY" - "$T/bad/simulate.bad.jsonl" "$T/bad/simulate.stats.json" >"$T/bad.out" <<'PY'
import json, re, sys
logged = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
stats = json.load(open(sys.argv[2]))["systems"]
want = sum(s["bad"] for s in stats.values())
ok = [b for b in logged if re.match(r"^(file:[^:]+:\d+|table:t_\w+:\w+=.+-X)$", b["where"])
      and b["field"] and b["reason"]]
print("ok" if logged and len(ok) == len(logged) == want else "%d logged, %d well formed, %d counted" % (
    len(logged), len(ok), want))
PY
is "$(cat "$T/bad.out")" ok "each malformed record is logged with its file and line or table row, field and reason"
done_testing
