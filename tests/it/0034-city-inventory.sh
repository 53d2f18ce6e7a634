#!/bin/bash
# The inventory of 项城市 (examples/xiangcheng/inventory.yaml) is what the catalog, the status
# page, the topics/ACL generator and the simulated sources read: 30 units and 112 systems as
# the city registered them, every system with its topic, schema (owner and share agreeing),
# update cycle, daily volume and connector config, and every system the city names present.
# The generated schemas are what their specs say (gen_schemas.py --check). A broken copy of
# the inventory is caught, naming the system, so the checks cannot pass by checking nothing.
. "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3
[ -x "$PY" ] || skip_all "Debian's /usr/bin/python3 is not installed"
X=$GDX_ROOT/examples/xiangcheng

cat >"$T/check.py" <<'PY'
import json, os, re, sys
sys.path.insert(0, sys.argv[1])
import city

inv = city.load_inventory(sys.argv[2])
problems = []


def bad(where, msg):
    problems.append("%s: %s" % (where, msg))


c = inv["city"]
for k, want in (("id", "xiangcheng"), ("name", "项城市"), ("parent", "河南省周口市"),
                ("region_code", "411681"), ("topic_prefix", "gov"), ("units", 30),
                ("systems", 112)):
    if c.get(k) != want:
        bad("city", "%s is %r, want %r" % (k, c.get(k), want))
units = inv["units"]
ids = [u["id"] for u in units]
if len(units) != c["units"] or len(set(ids)) != len(ids):
    bad("units", "%d units (%d distinct ids), city says %d" % (len(units), len(set(ids)),
                                                               c["units"]))
systems = city.systems(inv)
if len(systems) != c["systems"]:
    bad("systems", "%d systems, city says %d" % (len(systems), c["systems"]))
UNIT_KEYS = {"id", "name", "contact", "systems"}
SYS_KEYS = {"id", "name", "kind", "owner", "topic", "schema", "share", "consumers", "cycle",
            "per_day", "uplink", "config"}
for u in units:
    if set(u) != UNIT_KEYS:
        bad(u.get("id"), "unit keys %s" % sorted(set(u) ^ UNIT_KEYS))
    if not re.fullmatch(r"[a-z0-9_]+", str(u["id"])):
        bad(u["id"], "unit id is not lowercase ASCII")
    if not u["name"].startswith(("项城市", "中共项城市委", "周口市生态环境局项城分局",
                                 "国家税务总局项城市")):
        bad(u["id"], "unit name %r is not a unit of 项城市" % u["name"])
    sids = [s["id"] for s in u["systems"]]
    if len(set(sids)) != len(sids):
        bad(u["id"], "repeated system id")
schema_users = {}
for s in systems:
    w = s["cid"]
    keys = set(k for k in s if k not in ("unit", "unit_name", "cid", "record"))
    if keys - SYS_KEYS or SYS_KEYS - keys - {"consumers"}:
        bad(w, "system keys %s" % sorted(keys ^ SYS_KEYS))
    if not re.fullmatch(r"[a-z0-9_]+", str(s["id"])):
        bad(w, "system id is not lowercase ASCII")
    if s["kind"] not in city.KINDS:
        bad(w, "kind %r" % s["kind"])
    if not re.fullmatch(r"gov\.%s\.%s\.[a-z0-9_]+" % (s["unit"], s["id"]), s["topic"]):
        bad(w, "topic %s is not gov.<unit>.<system>.<record>" % s["topic"])
    if s["schema"] != "%s/%s.avsc" % (s["unit"], s["record"]):
        bad(w, "schema %s is not <unit>/<record>.avsc" % s["schema"])
    schema_users.setdefault(s["schema"], []).append(w)
    try:
        sch = city.load_schema(s["schema"])
    except (OSError, ValueError) as e:
        bad(w, "schema %s: %s" % (s["schema"], e))
        continue
    if sch.get("gdx.owner") != s["unit"]:
        bad(w, "schema owner %s" % sch.get("gdx.owner"))
    if sch.get("gdx.share") != s["share"]:
        bad(w, "share %s but the schema says %s" % (s["share"], sch.get("gdx.share")))
    if s["share"] not in ("unconditional", "conditional", "none"):
        bad(w, "share %r" % s["share"])
    cons = s.get("consumers")
    if s["share"] == "conditional":
        if not cons or any(x not in ids for x in cons) or s["unit"] in cons:
            bad(w, "conditional share needs consumers that are other units: %r" % (cons,))
    elif cons is not None:
        bad(w, "consumers given for a %s share" % s["share"])
    if s["cycle"] not in ("realtime", "hourly", "daily", "weekly", "monthly"):
        bad(w, "cycle %r" % s["cycle"])
    if not isinstance(s["per_day"], int) or s["per_day"] <= 0:
        bad(w, "per_day %r" % s["per_day"])
    if not isinstance(s["uplink"], bool) or (s["uplink"] and s["share"] == "none"):
        bad(w, "uplink %r with share %s" % (s["uplink"], s["share"]))
    if s["config"] != w + ".yaml":
        bad(w, "config %s is not <unit>.<system>.yaml" % s["config"])
    exists = os.path.exists(os.path.join(city.CONNECTORS, s["config"]))
    if s["kind"] in ("file", "sql") and not exists:
        bad(w, "connector config %s is missing" % s["config"])
for rel, users in schema_users.items():
    if len(users) > 1:
        bad(rel, "named by %s" % ", ".join(users))
on_disk = set()
for d, _, fs in os.walk(city.SCHEMAS):
    on_disk |= {os.path.relpath(os.path.join(d, f), city.SCHEMAS) for f in fs
                if f.endswith(".avsc")}
for rel in sorted(on_disk - set(schema_users)):
    bad(rel, "no system of the inventory names this schema")

# the systems the city names, by what they must carry
named = {
    "hotline12345.workorders": "workorder", "hotline12345.quality": "quality_check",
    "grid.incidents": "incident", "whistle.steps": "task_step",
    "mediation.cases": "case", "police.video_alerts": "video_alert",
    "govservice.applications": "application", "govservice.online_apps": "online_application",
    "govservice.one_things": "one_thing_case", "party.points_market": "points_market_entry",
    "civil.elderly_cert": "elderly_certification",
    "socialwork.riders_council": "council_issue",
    "party.dual_registration": "dual_registration",
    "party.village_decisions": "village_decision",
}
bycid = {s["cid"]: s for s in systems}
for cid, rec in named.items():
    if cid not in bycid or bycid[cid]["record"] != rec:
        bad(cid, "a system the city names is missing (record %s)" % rec)


def symbols(rel, field):
    for f in city.load_schema(rel)["fields"]:
        if f["name"] == field:
            t = city.base_type(f["type"])[3]
            return t.get("symbols", []) if isinstance(t, dict) else []
    return []


for rel, field, want in (
        ("hotline12345/quality_check.avsc", "stage", ["RECEIPT", "DISPATCH", "HANDLING", "EVALUATION"]),
        ("whistle/task_step.avsc", "step", ["DISCOVER", "ASSIGN", "COORDINATE", "FEEDBACK", "EVALUATE"]),
        ("mediation/case.avsc", "center_level", ["CITY", "TOWN", "VILLAGE"]),
        ("police/video_alert.avsc", "alert_class", ["AI_WARNING", "FACE_MATCH", "VEHICLE_CONTROL"]),
        ("govservice/online_application.avsc", "platform", ["YUSHIBAN", "ZHOUBAN", "KUAIBAN"]),
        ("party/village_decision.avsc", "step", ["PROPOSE", "CONSULT", "REVIEW", "RESOLVE", "PUBLISH_RESOLUTION", "PUBLISH_RESULT"])):
    got = symbols(rel, field)
    if any(x not in got for x in want):
        bad(rel, "field %s lacks %s" % (field, [x for x in want if x not in got]))
# video alerts carry references only: no field that could hold an image or face features
for f in city.load_schema("police/video_alert.avsc")["fields"]:
    if city.base_type(f["type"])[0] == "bytes" or re.search(r"image|photo|face|plate", f["name"]):
        bad("police/video_alert.avsc", "field %s could hold an image, a face or a plate" % f["name"])
print("\n".join(problems) if problems else "ok")
PY

out=$("$PY" "$T/check.py" "$X" "$X/inventory.yaml" 2>&1)
if [ "$out" = ok ]; then
    pass "inventory: 30 units, 112 systems, topics, schemas, shares, cycles, configs, named systems"
else
    fail "inventory: 30 units, 112 systems, topics, schemas, shares, cycles, configs, named systems"
    echo "$out" | head -30 | sed 's/^/#   /'
fi
ok "the generated schemas match their specs" "$PY" "$X/gen_schemas.py" --check
if grep -nE '^[^#]*(: *[&*!]|- *[&*!])' "$X/inventory.yaml" >"$T/alias"; then
    fail "no anchors, aliases or tags"
    sed 's/^/#   /' "$T/alias"
else
    pass "no anchors, aliases or tags"
fi
# gdx reads it too (the catalog lists every system)
"$GDX" catalog -i "$X/inventory.yaml" -o "$T/cat.md" 2>"$T/err"
is "$?" 0 "gdx catalog reads the inventory"
is "$(grep -c '^| gov\.' "$T/cat.md")" 112 "the catalog lists the 112 systems' topics"

# the checks can fail: a wrong share, a missing schema, a lost named system
sed -e '0,/share: unconditional/s//share: none/' "$X/inventory.yaml" >"$T/bad1.yaml"
sed -e 's|schema: whistle/task_step.avsc|schema: whistle/nope.avsc|' "$X/inventory.yaml" >"$T/bad2.yaml"
sed -e 's|id: points_market|id: points_shop|' "$X/inventory.yaml" >"$T/bad3.yaml"
for n in 1 2 3; do
    "$PY" "$T/check.py" "$X" "$T/bad$n.yaml" >"$T/bad$n.out" 2>&1
done
ok "a share that disagrees with the schema is named" grep -q "^hotline12345.knowledge: share none but the schema says unconditional" "$T/bad1.out"
ok "a missing schema is named" grep -q "^whistle.steps: schema whistle/nope.avsc" "$T/bad2.out"
ok "a lost named system is named" grep -q "^party.points_market: a system the city names is missing" "$T/bad3.out"
done_testing
