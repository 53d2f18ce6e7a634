#!/usr/bin/python3
"""Helpers of the city tests (tests/it/1200, 8010): what the inventory lists, and whether what
reached Kafka is what the simulated sources produced.

    citycheck.py units                     unit ids, one a line
    citycheck.py systems                   "<connector id> <kind> <config file>" a line
    citycheck.py verify --sim DIR --gdx GDX CID...
        for each system: records on its topic == good records the simulator wrote (file:
        rows; sql: rows in the table), dead letters == the malformed records it logged, at
        the same positions (file:line, table row), sealed when the schema has personal
        data, no record twice; one line per system,
        "ok CID ..." or "not ok CID: why"; exit 1 if any is not ok
"""
import argparse
import json
import os
import sqlite3
import subprocess
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "examples", "xiangcheng"))
import city  # noqa: E402


def tail(gdx, topic, headers=False):
    cmd = [gdx, "tail", "--from-beginning"] + (["-H"] if headers else []) + [topic]
    out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
    if out.returncode != 0:
        raise RuntimeError("gdx tail %s: %s" % (topic, out.stderr.decode(errors="replace")[-300:]))
    return [line for line in out.stdout.decode("utf-8").splitlines() if line.strip()]


def verify(args):
    inv = city.load_inventory()
    systems = {s["cid"]: s for s in city.systems(inv)}
    stats = json.load(open(os.path.join(args.sim, "simulate.stats.json")))["systems"]
    ledger = {}
    try:
        with open(os.path.join(args.sim, "simulate.bad.jsonl"), encoding="utf-8") as f:
            for line in f:
                b = json.loads(line)
                ledger.setdefault(b["system"], []).append(b)
    except OSError:
        pass
    bad_any = False
    for cid in args.cids:
        s = systems[cid]
        st = stats.get(cid)
        problems = []
        if st is None:
            print("not ok %s: the simulator did not run it" % cid)
            bad_any = True
            continue
        key = city.load_schema(s["schema"])["fields"][0]["name"]
        recs = [json.loads(x) for x in tail(args.gdx, s["topic"])]
        dlq = [json.loads(x) for x in tail(args.gdx, "_gdx.dlq." + cid, headers=True)]
        logged = ledger.get(cid, [])
        if s["kind"] == "sql":
            db = sqlite3.connect("file:%s?mode=ro" % city.db_path(args.sim, cid), uri=True)
            (rows,) = db.execute('SELECT COUNT(*) FROM "%s"' % city.table_of(s)).fetchone()
            ids = {}
            for b in logged:
                k = b["where"].split("=", 1)[1]
                r = db.execute('SELECT id FROM "%s" WHERE "%s" = ?' % (city.table_of(s), key),
                               (k,)).fetchone()
                ids["table:%s:id=%d" % (city.table_of(s), r[0])] = b
            db.close()
            want_good, want_pos = rows - len(logged), set(ids)
        else:
            want_good = st["records"] - st["bad"]
            want_pos = {b["where"] for b in logged}
        if len(recs) != want_good:
            problems.append("%d records on %s, the source has %d good ones" % (
                len(recs), s["topic"], want_good))
        keys = [r.get(key) for r in recs]
        if s["kind"] == "sql" and len(set(keys)) != len(keys):
            problems.append("%d keys repeated" % (len(keys) - len(set(keys))))
        got_pos = {d["headers"].get("gdx.src.pos") for d in dlq}
        if len(dlq) != len(logged) or got_pos != want_pos:
            problems.append("dead letters %d at %s, malformed on purpose %d at %s" % (
                len(dlq), sorted(got_pos)[:3], len(logged), sorted(want_pos)[:3]))
        personal = any(f.get("gdx.pi") in ("pi", "spi")
                       for f in city.load_schema(s["schema"])["fields"])
        for d in dlq:
            if not d["headers"].get("gdx.error.reason"):
                problems.append("a dead letter without its reason")
                break
            if personal and not str(d.get("value", "")).startswith("enc:"):
                problems.append("a dead letter of a schema with personal data is not sealed")
                break
        if problems:
            bad_any = True
            print("not ok %s: %s" % (cid, "; ".join(problems)))
        else:
            print("ok %s: %d records, %d dead letters at their positions" % (
                cid, len(recs), len(dlq)))
    return 1 if bad_any else 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("units")
    sub.add_parser("systems")
    v = sub.add_parser("verify")
    v.add_argument("--sim", required=True)
    v.add_argument("--gdx", required=True)
    v.add_argument("cids", nargs="+")
    args = ap.parse_args()
    inv = city.load_inventory()
    if args.cmd == "units":
        for u in inv["units"]:
            print(u["id"])
        return 0
    if args.cmd == "systems":
        for s in city.systems(inv):
            print("%s %s %s" % (s["cid"], s["kind"], s["config"]))
        return 0
    return verify(args)


if __name__ == "__main__":
    sys.exit(main())
