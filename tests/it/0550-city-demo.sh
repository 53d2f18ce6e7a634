#!/bin/bash
# The city demo end to end, as `make demo` starts it (examples/city-demo.sh), shortened to
# CITY_DURATION (default 10 s at 1440x: four simulated hours from CITY_START, plus the previous
# whole period of every weekly and monthly system and the registers): two clusters, two registries, the 112
# connectors and the uplink under one supervisor. Every system's records are counted in the
# audit trail: exactly what a file or exec source wrote, at least the rows a table or an API
# holds (an updated row may be sent again), and more than none wherever the source made any;
# every record of a system marked for the province is uplinked; the audit trail verifies and
# reconciles with the city cluster. Then, with the city still up (--keep), headless Chromium
# renders the status page: all 112 systems listed in their units, each running; the
# screenshot is kept in build/test-artifacts/. Stopping the demo stops everything.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/supervise.sh"
PY=/usr/bin/python3
CHROMIUM=/usr/bin/chromium
ART=$GDX_BUILD/test-artifacts
X=$GDX_ROOT/examples/xiangcheng
DURATION=${CITY_DURATION:-10s}
# a Monday morning (weekly exports, office hours): every system's source makes records in the
# first four simulated hours (the same seed and start give the same records)
START=${CITY_START:-"2026-09-21 08:00:00"}
[ -x "$PY" ] || skip_all "Debian's /usr/bin/python3 is not installed"
[ -x $CHROMIUM ] || skip_all "no $CHROMIUM (Debian package chromium)"
command -v curl >/dev/null || skip_all "no curl"

kinds=$("$GDX" connector spec | sed -n '/^connector kinds:/,/^$/p' | awk 'NR > 1 && NF { print $1 }' |
    paste -sd, -)
diag "connector kinds built: $kinds"
W=$T/city
bash "$GDX_ROOT/examples/city-demo.sh" --duration "$DURATION" --start "$START" --work "$W" --keep \
    --summary "$T/summary.json" >"$T/demo.out" 2>&1 &
DEMO=$!
PIDS+=($DEMO)
up() { grep -q 'everything keeps running' "$T/demo.out" || ! kill -0 $DEMO 2>/dev/null; }
wait_for 1200 up
if ! grep -q 'everything keeps running' "$T/demo.out"; then
    fail "the city demo ran to its report"
    tr '\r' '\n' <"$T/demo.out" | grep -v '^ *sim \|^.\[K *sim ' | tail -30 | sed 's/^/#   /'
    done_testing
fi
pass "the city demo ran to its report"
tr '\r' '\n' <"$T/demo.out" | grep -E 'configs running after|wrote its last|all in|^  total|OK:' |
    sed 's/^/#   /'
read -r verify_rc reconcile_rc records uplinked < <($PY -c '
import json, sys
s = json.load(open(sys.argv[1]))
print(s["verify_rc"], s["reconcile_rc"], s["records"], s["uplinked"])' "$T/summary.json")
is "$verify_rc" 0 "gdx audit verify --trust: OK"
is "$reconcile_rc" 0 "gdx audit reconcile: every audited range matches the city cluster"
ok "reconcile found no problem" grep -q '^OK: .* 0 problems' "$W/reconcile.out"

# every system counted, from the audit trail
"$PY" "$X/citydemo.py" check --audit "$W/audit" --sim "$W/sim" --kinds "$kinds" >"$T/check.out" 2>&1
n_ok=0
n_none=0
while read -r line; do
    case $line in
    "ok "*"made no record"*) n_none=$((n_none + 1)); pass "${line#ok }" ;;
    "ok "*) n_ok=$((n_ok + 1)); pass "${line#ok }" ;;
    "skip "*) pass "# SKIP ${line#skip }" ;;
    *) fail "$line" ;;
    esac
done <"$T/check.out"
diag "$n_ok systems with records, $n_none whose source made none in $DURATION; $records records, $uplinked uplinked"
is "$n_ok" 112 "all 112 systems' records counted, none without any"

# the status page of the running city
URL=$(cat "$W/status.url")
curl -s "$URL/status" >"$T/status.json"
$PY - "$T/status.json" "$X/inventory.yaml" "$T/expect.json" >"$T/states.txt" <<'PY'
import json, sys
sys.path.insert(0, sys.argv[2].rsplit("/", 1)[0])
import city
st = json.load(open(sys.argv[1], encoding="utf-8"))
inv = city.load_inventory(sys.argv[2])
got = {s["id"]: s for u in st["units"] for s in u["systems"]}
units = [{"id": u["id"], "name": u["name"],
          "systems": [{"id": "%s.%s" % (u["id"], s["id"]), "name": s["name"], "state": "running"}
                      for s in u["systems"]]} for u in inv["units"]]
# what the inventory does not list: the uplink, under its own unit
for u in st["units"]:
    if not u.get("in_inventory"):
        units.append({"id": u["id"], "name": u.get("name") or "",
                      "systems": [{"id": s["id"], "name": s.get("name") or "", "state": "running"}
                                  for s in u["systems"]]})
json.dump({"units": units}, open(sys.argv[3], "w"), ensure_ascii=False)
states = {}
for s in got.values():
    states[s["state"]] = states.get(s["state"], 0) + 1
print("states", " ".join("%s=%d" % kv for kv in sorted(states.items())))
print("inventory", sum(len(u["systems"]) for u in inv["units"]))
print("running_inventory", sum(1 for u in inv["units"] for s in u["systems"]
                               if got.get("%s.%s" % (u["id"], s["id"]), {}).get("state") == "running"))
print("uplink", got.get("uplink.province", {}).get("state"))
print("restarts", sum(s.get("restarts") or 0 for s in got.values()))
PY
diag "$(grep '^states' "$T/states.txt")"
is "$(sed -n 's/^running_inventory //p' "$T/states.txt")" 112 "/status: all 112 systems running"
is "$(sed -n 's/^uplink //p' "$T/states.txt")" running "/status: the uplink running"
is "$(sed -n 's/^restarts //p' "$T/states.txt")" 0 "/status: no process was restarted"
ok "no sanitizer report and no crash in the children's logs" sh -c \
    "! grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:|level=error' '$W/supervise.log'"
grep -E 'ERROR: (Address|Leak)Sanitizer|runtime error:|level=error' "$W/supervise.log" | head -5 |
    cut -c1-300 | sed 's/^/#   /'

page_render "$URL" dom --dump-dom >"$T/page.dom.html"
ok "chromium rendered the page" test -s "$T/page.dom.html"
page_render "$URL" shot --window-size=1680,3400 --screenshot="$T/city-status-page.png" >/dev/null
ok "chromium took a screenshot" sh -c "head -c 8 '$T/city-status-page.png' | od -An -c | grep -q 'P   N   G'"
mkdir -p "$ART"
cp "$T/city-status-page.png" "$ART/0550-city-status-page.png" 2>/dev/null
cp "$T/page.dom.html" "$ART/0550-city-status-page.dom.html" 2>/dev/null
diag "screenshot: $ART/0550-city-status-page.png"
$PY "$GDX_ROOT/tests/it/pagecheck.py" "$T/page.dom.html" "$T/expect.json" >"$T/dom-check.txt" 2>&1
grep -v '^cells' "$T/dom-check.txt" | sed 's/^/#   /' | head -20
is "$(sed -n 's/^problems //p' "$T/dom-check.txt")" 0 \
    "the page lists every system of the inventory in its unit, by its name, running"
is "$(sed -n 's/^units [0-9]* rows //p' "$T/dom-check.txt")" 113 "112 system rows and the uplink's"
is "$(sed -n 's/^tile-running //p' "$T/dom-check.txt")" 113 "the summary counts 113 running"
zero=$(awk '$1 == "cells" { n = split($3, c, "|"); if (c[3] == "0") z++ } END { print z + 0 }' \
    "$T/dom-check.txt")
diag "systems showing 0 records on the page: $zero"

# stopping the demo (SIGTERM, as Ctrl-C) stops the whole city: no process of the run is left
# (each has the run's folder on its command line or, for the connectors, in its environment)
kill -TERM $DEMO
wait $DEMO
left=0
for p in $(pgrep -f -- "$W"; grep -lsF "GDX_AUDIT_DIR=$W/audit" /proc/[0-9]*/environ | cut -d/ -f3); do
    [ "$p" != $$ ] && kill -0 "$p" 2>/dev/null && left=$((left + 1))
done
is "$left" 0 "after the demo is stopped no process of the run is left"
done_testing
