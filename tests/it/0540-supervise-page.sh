#!/bin/bash
# The status page of a whole city: a config for every system of the inventory (file-kind
# stand-ins for the kinds built into this gdx, each on an empty drop folder; the other kinds
# as the inventory names them, which the supervisor lists as not built; one system left
# without a config), every built one running under one supervisor. Headless Chromium renders
# the page (its JavaScript run) and the rendered DOM lists every unit and system of the
# inventory by the inventory's Chinese names, each system in its unit, each with the state
# it has: running, not built, not configured. The screenshot is kept with the test output.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/supervise.sh"
PY=/usr/bin/python3
INV=$GDX_ROOT/examples/xiangcheng/inventory.yaml
CHROMIUM=/usr/bin/chromium
ART=$GDX_BUILD/test-artifacts

[ -x $CHROMIUM ] || skip_all "no $CHROMIUM (Debian package chromium)"
$PY -c 'import yaml' 2>/dev/null || skip_all "no python3-yaml"
start_broker || { fail "broker starts"; done_testing; }
export GDX_BOOTSTRAP=$BOOTSTRAP

kinds=$("$GDX" connector spec | sed -n '/^connector kinds:/,$p' | awk 'NR > 1 { print $1 }' |
    paste -sd, -)
# one built-kind system is left without a config
omit=$($PY -c '
import sys, yaml
inv = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))
built = set(sys.argv[2].split(","))
print(["%s.%s" % (u["id"], s["id"]) for u in inv["units"] for s in u["systems"] if s.get("kind") in built][-1])
' "$INV" "$kinds")
$PY "$GDX_ROOT/tests/it/supgen.py" "$INV" "$T/conf" --root "$T" --kinds "$kinds" \
    --omit "$omit" --expect "$T/expect.json" || { fail "configs generated"; done_testing; }
read -r n_units n_sys n_run n_unbuilt n_none < <($PY -c '
import json, sys
e = json.load(open(sys.argv[1]))
s = [x for u in e["units"] for x in u["systems"]]
print(len(e["units"]), len(s), *[sum(x["state"] == k for x in s) for k in ("running", "kind_not_built", "not_configured")])
' "$T/expect.json")
diag "inventory: $n_units units, $n_sys systems; built kinds: $kinds; to run $n_run, not built $n_unbuilt, without config $n_none ($omit)"
is "$(ls "$T/conf" | wc -l)" $((n_sys - 1)) "a config for every system but one"

sv_start "$T/conf" --inventory "$INV" || { fail "supervisor starts"; done_testing; }
running() {
    [ "$($SUPCHECK ids "$SV_URL" running | wc -l)" -eq "$n_run" ]
}
ok "all $n_run built-kind connectors run" wait_for 600 running
diag "$($SUPCHECK ids "$SV_URL" running | wc -l) running after $(($(date +%s) - $(stat -c %Y "$T/sv.url"))) s"

# a little traffic, for records, rates and sparklines on the page
busy=$($SUPCHECK ids "$SV_URL" running | head -3)
i=0
for id in $busy; do
    i=$((i + 1))
    $PY "$GDX_ROOT/tests/it/seqgen.py" "$T/drop/$id" $((i * 400)) 1
done
for id in $busy; do
    ok "$id committed its records" wait_for 60 sv_ge "$id" records 400
done

# render: the DOM after its script ran, and a screenshot
render() {
    rm -rf "$T/chromium-$1"
    mkdir -p "$T/chromium-$1"
    timeout 120 $CHROMIUM --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$T/chromium-$1" --virtual-time-budget=3000 "${@:2}" "$SV_URL/" \
        2>>"$T/chromium.log"
}
render dom --dump-dom >"$T/page.dom.html"
ok "chromium rendered the page" test -s "$T/page.dom.html"
render shot --window-size=1680,4200 --screenshot="$T/status-page.png" >/dev/null
ok "chromium took a screenshot" sh -c "head -c 8 '$T/status-page.png' | od -An -c | grep -q 'P   N   G'"
mkdir -p "$ART"
cp "$T/status-page.png" "$ART/0540-status-page.png" 2>/dev/null
cp "$T/page.dom.html" "$ART/0540-status-page.dom.html" 2>/dev/null
diag "screenshot: $ART/0540-status-page.png"

# the rendered DOM against the inventory
$PY - "$T/page.dom.html" "$T/expect.json" >"$T/dom-check.txt" 2>&1 <<'PY'
import json, sys
from html.parser import HTMLParser

class Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.units, self.rows, self.stack, self.cur_unit, self.cur_row = {}, [], [], None, None
        self.grab = None
        self.tiles, self.tile = [], None
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        cls = (a.get("class") or "").split()
        if tag == "section" and "unit" in cls:
            self.cur_unit = a.get("data-unit")
            self.units[self.cur_unit] = {"name": "", "rows": []}
        elif tag == "tr" and "sys" in cls:
            self.cur_row = {"id": a.get("data-id"), "unit": a.get("data-unit"),
                            "state": a.get("data-state"), "card": self.cur_unit, "name": ""}
            self.rows.append(self.cur_row)
        elif tag == "span" and "uname" in cls:
            self.grab = ("unit", self.cur_unit)
        elif tag == "span" and "sname" in cls:
            self.grab = ("row", self.cur_row)
        elif tag == "div" and "tile" in cls:
            self.tile = {"n": "", "l": ""}
            self.tiles.append(self.tile)
        elif tag == "div" and self.tile is not None and cls in (["n"], ["l"]):
            self.grab = ("tile", cls[0])
        if tag == "td" and self.cur_row is not None:
            self.cur_row.setdefault("cells", []).append("")
            self.in_td = True
    def handle_endtag(self, tag):
        if tag == "td":
            self.in_td = False
        if tag == "span" or tag == "div":
            self.grab = None
        if tag == "tr":
            self.cur_row = None
    def handle_data(self, data):
        if getattr(self, "in_td", False) and self.cur_row is not None:
            self.cur_row["cells"][-1] += data
        if not self.grab:
            return
        kind, ref = self.grab
        if kind == "unit":
            self.units[ref]["name"] += data
        elif kind == "row" and ref is not None:
            ref["name"] += data
        elif kind == "tile":
            self.tile[ref] += data

p = Page()
p.feed(open(sys.argv[1], encoding="utf-8").read())
e = json.load(open(sys.argv[2], encoding="utf-8"))
problems = []
want = {s["id"]: (u, s) for u in e["units"] for s in u["systems"]}
rows = {}
for r in p.rows:
    if r["id"] in rows:
        problems.append(f"{r['id']} listed twice")
    rows[r["id"]] = r
for u in e["units"]:
    got = p.units.get(u["id"])
    if not got:
        problems.append(f"unit {u['id']} ({u['name']}) has no card")
    elif got["name"].strip() != (u["name"] or u["id"]):
        problems.append(f"unit {u['id']}: card says '{got['name']}', inventory '{u['name']}'")
for cid, (u, s) in want.items():
    r = rows.get(cid)
    if not r:
        problems.append(f"system {cid} ({s['name']}) is not on the page")
        continue
    if r["card"] != u["id"] or r["unit"] != u["id"]:
        problems.append(f"system {cid} is in card {r['card']}, not its unit {u['id']}")
    if r["name"].strip() != (s["name"] or cid):
        problems.append(f"system {cid}: page says '{r['name']}', inventory '{s['name']}'")
    if r["state"] != s["state"]:
        problems.append(f"system {cid}: state {r['state']}, expected {s['state']}")
extra = set(rows) - set(want)
if extra:
    problems.append(f"systems not in the inventory on the page: {sorted(extra)}")
tiles = {t["l"].strip(): t["n"].strip() for t in p.tiles}
print("units", len(p.units), "rows", len(p.rows))
print("tile-systems", tiles.get("系统"))
print("tile-unbuilt", tiles.get("类型未编入"))
print("tile-none", tiles.get("未配置"))
print("tile-running", tiles.get("运行中"))
for r in p.rows:
    print("cells", r["id"], "|".join(c.strip() for c in r.get("cells", [])))
for x in problems[:20]:
    print("problem", x)
print("problems", len(problems))
PY
grep -v '^cells' "$T/dom-check.txt" | sed 's/^/#   /' | head -30
is "$(sed -n 's/^problems //p' "$T/dom-check.txt")" 0 \
    "every inventory system is on the page, in its unit, by its name, with its state"
is "$(sed -n 's/^units \([0-9]*\) .*/\1/p' "$T/dom-check.txt")" "$n_units" "$n_units unit cards"
is "$(sed -n 's/^units [0-9]* rows //p' "$T/dom-check.txt")" "$n_sys" "$n_sys system rows"
is "$(sed -n 's/^tile-systems //p' "$T/dom-check.txt")" "$n_sys" "the summary counts $n_sys systems"
is "$(sed -n 's/^tile-unbuilt //p' "$T/dom-check.txt")" "$n_unbuilt" "and $n_unbuilt not built"
is "$(sed -n 's/^tile-none //p' "$T/dom-check.txt")" "$n_none" "and $n_none without a config"
is "$(sed -n 's/^tile-running //p' "$T/dom-check.txt")" "$n_run" "and $n_run running"
declared=$($PY -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1], encoding="utf-8"))["city"]["systems"])' "$INV")
is "$n_sys" "$declared" "the inventory's systems are as many as it declares"
i=0
for id in $busy; do
    i=$((i + 1))
    is "$(sed -n "s/^cells $id //p" "$T/dom-check.txt" | cut -d'|' -f3)" $((i * 400)) \
        "the page shows $id's $((i * 400)) records"
done
done_testing
