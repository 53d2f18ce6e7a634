#!/usr/bin/python3
"""What examples/city-demo.sh asks of the city while it runs: topic sizes for the embedded
brokers, the progress line, whether every source has been read, the per-unit table.

    citydemo.py partitions --speed X --duration S [--prefix P]
        NAME:PARTITIONS lines for `gdx broker --topic`: enough partitions for what the run
        writes to each topic (the embedded broker keeps only ~5 MiB a partition)
    citydemo.py progress --url URL --sim DIR          one progress line, from /status
    citydemo.py drained --url URL --sim DIR [--wait S] [--quiet-s Q]
        exit 0 once every system's connector has committed what its source made available,
        and the uplink has forwarded every record of the systems it forwards; prints the
        progress line every 2 s meanwhile; exit 1 after S seconds (what is missing on stderr)
    citydemo.py table --audit DIR --sim DIR [--json FILE]
        the per-unit table: systems, records, dead letters, uplinked, counted from the audit
        trail (batch_committed and uplink_batch events), not from the topics
    citydemo.py check --audit DIR --sim DIR
        one line per system, "ok CID ..." or "not ok CID: why": records counted for every
        system whose source made any (a test's assertions)

Debian's /usr/bin/python3, standard library only.
"""
import argparse
import glob
import json
import math
import os
import sqlite3
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import city  # noqa: E402

MIB = 1024 * 1024
# bytes a record takes on a partition of the embedded broker: value, key and the gdx.*
# headers (measured on the city topics: 0.9-2.2 KiB); kept generous
RECORD_BYTES = 3072
PART_BYTES = 3 * MIB       # the mock keeps ~5 MiB a partition: leave room
# how much the first export of a system covers (its previous whole period), in days
PERIOD_DAYS = {"monthly": 31, "weekly": 7, "daily": 1, "hourly": 1 / 24, "realtime": 1 / 96}


def load():
    return city.systems(city.load_inventory())


def seconds(text):
    t = str(text).strip()
    for suffix, mult in (("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)):
        if t.endswith(suffix) and t[:-len(suffix)].replace(".", "", 1).isdigit():
            return float(t[:-len(suffix)]) * mult
    return float(t)


def partitions(args):
    days = args.speed * seconds(args.duration) / 86400.0
    for s in load():
        recs = s["per_day"] * (days + PERIOD_DAYS.get(s["cycle"], 1)) * 1.2
        if s["kind"] == "sql" or s["kind"] == "http":
            recs *= 2  # registers start filled; rows are sent again when they change
        n = max(6, int(math.ceil(recs * RECORD_BYTES / PART_BYTES)))
        n = min(60, ((n + 2) // 3) * 3)
        print("%s%s:%d" % (args.prefix, s["topic"], n))
    return 0


def status(url):
    with urllib.request.urlopen(url + "/status", timeout=10) as r:
        return json.loads(r.read().decode("utf-8"))


def sim_stats(sim):
    try:
        with open(os.path.join(sim, "simulate.stats.json"), encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def flat(st):
    out = {}
    for u in st["units"]:
        for s in u["systems"]:
            out[s["id"]] = s
    return out


def expected(sim, stats, s):
    """The records a system's source has made available to its connector so far: what the
    connector must have committed (records and dead letters) once it has read everything.
    For tables and APIs the distinct rows (a row changed twice between two reads is sent once,
    so more may be committed, never fewer)."""
    st = stats["systems"].get(s["cid"]) if stats else None
    if st is None:
        return 0
    kind = s["kind"]
    if kind == "sql":
        path = city.db_path(sim, s["cid"])
        try:
            db = sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=5)
            try:
                (n,) = db.execute('SELECT COUNT(*) FROM "%s"' % city.table_of(s)).fetchone()
            finally:
                db.close()
            return n
        except sqlite3.Error:
            return 0
    if kind == "http":
        return st.get("live", st["records"])
    if kind == "webhook":
        # every record is posted until answered: 2xx, or 422 (a dead letter); a body refused
        # for good (400: not JSON) is kept nowhere
        return st["records"] - st.get("refused", 0)
    return st["records"]


def fmt_n(n):
    return "{:,}".format(int(n))


def progress_line(st, stats):
    systems = [s for s in flat(st).values() if s.get("in_inventory")]
    running = sum(1 for s in systems if s["state"] == "running")
    recs = sum(s["records"] for s in systems)
    dead = sum(s.get("dead_letters", 0) for s in systems)
    rate = sum(s.get("records_per_s") or 0 for s in systems)
    up = flat(st).get("uplink.province")
    sim = "sim --:--"
    if stats:
        sim = "sim %s%s" % (stats["sim_now"][5:16].replace("T", " "),
                           " (done)" if stats.get("final") else "")
    line = "%s | %d/%d systems running | %s records (%s/s) | %s dead letters" % (
        sim, running, len(systems), fmt_n(recs), fmt_n(rate), fmt_n(dead))
    if up:
        line += " | uplinked %s (%s)" % (fmt_n(up["records"]), up["state"])
    return line


def missing(sim, st, stats):
    """(connector id, committed, expected) of every system not caught up"""
    by_id = flat(st)
    out = []
    up_want = 0
    for s in load():
        got = by_id.get(s["cid"])
        if got is not None and not got.get("kind_built", True):
            continue  # listed as a kind this gdx lacks: nothing reads it
        want = expected(sim, stats, s)
        have = (got["records"] + got.get("dead_letters", 0)) if got else 0
        if s.get("uplink") and got:
            up_want += got["records"]
        if have < want:
            out.append((s["cid"], have, want))
    up = by_id.get("uplink.province")
    if up is not None:
        have = up["records"] + up.get("dead_letters", 0)
        if have < up_want:
            out.append(("uplink.province", have, up_want))
    return out


def progress(args):
    st = status(args.url)
    print(progress_line(st, sim_stats(args.sim)))
    return 0


def drained(args):
    deadline = time.monotonic() + args.wait
    last, since = None, time.monotonic()
    while True:
        stats = sim_stats(args.sim)
        try:
            st = status(args.url)
        except OSError as e:
            print("citydemo: cannot read %s/status: %s" % (args.url, e), file=sys.stderr)
            return 1
        miss = missing(args.sim, st, stats) if stats and stats.get("final") else None
        if not args.no_progress:
            print("  " + progress_line(st, stats), flush=True)
        total = sum(s["records"] + s.get("dead_letters", 0) for s in flat(st).values())
        if total != last:
            last, since = total, time.monotonic()
        if miss == [] and time.monotonic() - since >= args.quiet_s:
            return 0
        if time.monotonic() > deadline:
            what = miss if miss is not None else [("simulator", 0, 1)]
            for cid, have, want in what[:20]:
                print("citydemo: %s: %d committed, the source has %d" % (cid, have, want),
                      file=sys.stderr)
            return 1
        time.sleep(2)


def audit_counts(audit):
    """Per connector: records and dead letters committed (batch_committed), and per city
    topic the records the uplink forwarded (uplink_batch source ranges)"""
    recs, dead, uplinked, batches = {}, {}, {}, 0
    for path in sorted(glob.glob(os.path.join(audit, "*.jsonl"))):
        with open(path, encoding="utf-8") as f:
            for line in f:
                try:
                    ev = json.loads(line)
                except ValueError:
                    continue
                t = ev.get("type")
                if t == "batch_committed":
                    c = ev.get("connector", "")
                    recs[c] = recs.get(c, 0) + int(ev.get("records", 0))
                    dead[c] = dead.get(c, 0) + int(ev.get("dead", 0))
                    batches += 1
                elif t == "uplink_batch":
                    for r in ev.get("source") or []:
                        topic = r.get("topic", "")
                        uplinked[topic] = uplinked.get(topic, 0) + int(r.get("count", 0))
    return recs, dead, uplinked, batches


def table(args):
    recs, dead, uplinked, batches = audit_counts(args.audit)
    inv = city.load_inventory()
    rows = []
    for u in inv["units"]:
        n = len(u["systems"])
        r = sum(recs.get("%s.%s" % (u["id"], s["id"]), 0) for s in u["systems"])
        d = sum(dead.get("%s.%s" % (u["id"], s["id"]), 0) for s in u["systems"])
        up = sum(uplinked.get(s["topic"], 0) for s in u["systems"] if s.get("uplink"))
        nup = sum(1 for s in u["systems"] if s.get("uplink"))
        rows.append((u["id"], u["name"], n, nup, r, d, up))

    def width(s):
        return sum(2 if ord(c) > 0x2e7f else 1 for c in s)

    def pad(s, w):
        return s + " " * max(0, w - width(s))
    print("  %-14s %s %7s %11s %12s %13s" % ("unit", pad("单位", 42), "systems", "records",
                                              "dead letters", "uplinked"))
    for uid, name, n, nup, r, d, up in rows:
        print("  %-14s %s %7d %11s %12s %13s" % (uid, pad(name, 42), n, fmt_n(r), fmt_n(d),
                                                  "%s (%d)" % (fmt_n(up), nup) if nup else "-"))
    tot = [sum(x[i] for x in rows) for i in (2, 3, 4, 5, 6)]
    print("  %-14s %s %7d %11s %12s %13s" % ("total", pad("30 个单位", 42), tot[0], fmt_n(tot[2]),
                                              fmt_n(tot[3]), "%s (%d)" % (fmt_n(tot[4]), tot[1])))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"units": [dict(zip(("unit", "name", "systems", "uplink_systems", "records",
                                           "dead_letters", "uplinked"), x)) for x in rows],
                       "connectors": {"records": recs, "dead_letters": dead},
                       "uplinked": uplinked, "batches": batches}, f, ensure_ascii=False, indent=1)
    return 0


def check(args):
    """Every system's records counted in the audit trail: committed == what its source made
    available (at least, for tables and APIs), and > 0 wherever the source made any"""
    recs, dead, uplinked, _ = audit_counts(args.audit)
    stats = sim_stats(args.sim)
    bad = 0
    built = set(args.kinds.split(",")) if args.kinds else None
    for s in load():
        cid = s["cid"]
        if built is not None and s["kind"] not in built:
            print("skip %s: the %s connector kind is not built here" % (cid, s["kind"]))
            continue
        want = expected(args.sim, stats, s)
        have = recs.get(cid, 0) + dead.get(cid, 0)
        exact = s["kind"] in ("file", "exec")
        if want == 0:
            print("ok %s: its source made no record in this window (%s, %s a day); %d committed"
                  % (cid, s["cycle"], s["per_day"], have))
        elif (have == want) if exact else (have >= want):
            up = ""
            if s.get("uplink"):
                up = ", %d uplinked" % uplinked.get(s["topic"], 0)
                if uplinked.get(s["topic"], 0) != recs.get(cid, 0):
                    print("not ok %s: %d records, %d uplinked" % (cid, recs.get(cid, 0),
                                                                  uplinked.get(s["topic"], 0)))
                    bad += 1
                    continue
            print("ok %s: %d records, %d dead letters (source: %d)%s" % (
                cid, recs.get(cid, 0), dead.get(cid, 0), want, up))
        else:
            print("not ok %s: %d committed, the source made %d" % (cid, have, want))
            bad += 1
    return 1 if bad else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("partitions")
    p.add_argument("--speed", type=float, default=1440)
    p.add_argument("--duration", default="60s")
    p.add_argument("--prefix", default="")
    for name in ("progress", "drained"):
        p = sub.add_parser(name)
        p.add_argument("--url", required=True)
        p.add_argument("--sim", required=True)
        p.add_argument("--wait", type=float, default=300)
        p.add_argument("--quiet-s", type=float, default=3)
        p.add_argument("--no-progress", action="store_true")
    for name in ("table", "check"):
        p = sub.add_parser(name)
        p.add_argument("--audit", required=True)
        p.add_argument("--sim", required=True)
        p.add_argument("--json")
        p.add_argument("--kinds", help="connector kinds built (check: others are skipped)")
    args = ap.parse_args()
    return {"partitions": partitions, "progress": progress, "drained": drained, "table": table,
            "check": check}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
