#!/usr/bin/python3
"""Helpers of tests/it/0035-city-sim.sh: read back what simulate.py produced, in every medium,
and check it against the schemas and the city's figures.

    citysim.py validate --sim DIR [--webhooks FILE]   every record of every system fits its
                                                      schema; one line per system
    citysim.py receiver --sim DIR --out FILE [--fail-first N] CID...
                                                      a webhook receiver; writes the URL files
    citysim.py facts --sim DIR                        the registers hold the city's figures
    citysim.py http --sim DIR CID                     the API: auth, paging, time filter
    citysim.py digest --sim DIR                       a digest of everything but write times
"""
import argparse
import csv
import glob
import hashlib
import http.server
import io
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
X = os.path.join(ROOT, "examples", "xiangcheng")
sys.path.insert(0, X)
import city  # noqa: E402
import simvalues as sv  # noqa: E402

TS_TEXT = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
TS_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$")


def check_value(f, v, medium):
    """None if @p v is a valid value of field @p f as @p medium writes it, else why not"""
    empty = v is None or v == ""
    if empty:
        if f.nullable or f.kind == "string":
            return None
        return "empty"
    k = f.kind
    try:
        if k == "enum":
            return None if v in f.symbols else "symbol %r" % v
        if k == "string":
            return None if isinstance(v, str) else "not text"
        if k == "int":
            return None if (isinstance(v, int) and not isinstance(v, bool)) or \
                re.fullmatch(r"-?\d+", str(v)) else "int %r" % v
        if k == "double":
            float(v)
            return None if not isinstance(v, bool) else "bool"
        if k == "boolean":
            ok = {"csv": ("是", "否"), "sql": (0, 1), "xml": ("1", "0")}.get(medium)
            if ok:
                return None if v in ok else "boolean %r" % v
            return None if isinstance(v, bool) else "boolean %r" % v
        if k == "decimal":
            m = re.fullmatch(r"-?(\d+)(?:\.(\d+))?", str(v))
            if isinstance(v, float):
                return None
            if not m or len(m.group(2) or "") > f.scale or len(m.group(1)) > f.precision - f.scale:
                return "decimal %r" % v
            return None
        if k == "date":
            time.strptime(str(v), "%Y-%m-%d")
            return None
        if k == "ts":
            if medium == "mybatis":
                return None if isinstance(v, int) and v > 10 ** 12 else "epoch ms %r" % v
            if medium in ("jsonl", "webhook", "tap"):
                if not TS_ISO.match(str(v)):
                    return "time %r" % v
                time.strptime(v[:19], "%Y-%m-%dT%H:%M:%S")
                return None
            if not TS_TEXT.match(str(v)):
                return "time %r" % v
            time.strptime(str(v), "%Y-%m-%d %H:%M:%S")
            return None
    except (ValueError, TypeError) as e:
        return str(e)
    return None


def check_record(fields, rec, medium):
    for f in fields:
        if f.name not in rec:
            return "field %s missing" % f.name
        why = check_value(f, rec[f.name], medium)
        if why:
            return "field %s: %s" % (f.name, why)
    return None


def rows_of(sim, s, fields, webhooks):
    """(medium, records as dicts) of a system"""
    cid = s["cid"]
    kind = s["kind"]
    if kind == "file":
        fmt, enc = city.file_format(cid)
        out = []
        d = city.sim_path(sim, cid)
        heads = city.headers(city.load_schema(s["schema"]), cid)
        for p in sorted(glob.glob(os.path.join(d, "*.%s" % ("jsonl" if fmt == "jsonl" else "csv")))):
            if not os.path.exists(p + ".ok"):
                raise RuntimeError("%s has no .ok marker" % p)
            data = open(p, "rb").read()
            if fmt == "jsonl":
                out += [json.loads(line) for line in data.decode("utf-8").splitlines() if line]
                continue
            text = data.decode("utf-8-sig" if enc == "utf-8" else "gb18030")
            rd = csv.reader(io.StringIO(text, newline=""))
            header = next(rd)
            if header != heads:
                raise RuntimeError("%s: header %s is not the config's columns" % (p, header[:3]))
            for row in rd:
                out.append(dict(zip([f.name for f in fields], row)))
        return ("jsonl" if fmt == "jsonl" else "csv"), out
    if kind == "sql":
        db = sqlite3.connect("file:%s?mode=ro" % city.db_path(sim, cid), uri=True)
        db.row_factory = sqlite3.Row
        rows = [dict(r) for r in db.execute('SELECT * FROM "%s"' % city.table_of(s))]
        db.close()
        for r in rows:
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}", r["update_time"] or ""):
                raise RuntimeError("update_time %r is not the cursor format" % r["update_time"])
        return "sql", rows
    if kind == "http":
        return None
    if kind == "webhook":
        return "webhook", [json.loads(b) for c, b in webhooks if c == cid]
    if kind == "exec":
        out = subprocess.run([sys.executable, os.path.join(X, "taps", "tap_xml.py"), "--config",
                              os.path.join(city.sim_path(sim, cid), "tap.json")],
                             stdout=subprocess.PIPE, check=True, timeout=120)
        msgs = [json.loads(line) for line in out.stdout.decode().splitlines()]
        if not msgs or msgs[0]["type"] != "SCHEMA":
            raise RuntimeError("the tap did not start with a SCHEMA message")
        return "tap", [m["record"] for m in msgs if m["type"] == "RECORD"]
    return None


def validate(args):
    inv = city.load_inventory()
    stats = json.load(open(os.path.join(args.sim, "simulate.stats.json")))["systems"]
    webhooks = []
    if args.webhooks and os.path.exists(args.webhooks):
        for line in open(args.webhooks, encoding="utf-8"):
            d = json.loads(line)
            webhooks.append((d["system"], d["body"]))
    bad = 0
    for s in city.systems(inv):
        cid = s["cid"]
        if cid not in stats:
            continue
        fields = sv.fields_of(city.load_schema(s["schema"]))
        try:
            if s["kind"] == "http":
                medium = "mybatis" if "/openapi/" in stats[cid]["url"] else "ruoyi"
                recs = http_all(args.sim, cid, medium)
            else:
                medium, recs = rows_of(args.sim, s, fields, webhooks)
        except (RuntimeError, OSError, ValueError, subprocess.CalledProcessError) as e:
            print("not ok %s: %s" % (cid, e))
            bad += 1
            continue
        problems = [(i, w) for i, w in ((i, check_record(fields, r, medium))
                                        for i, r in enumerate(recs)) if w]
        want = stats[cid]["records"]
        if s["kind"] == "http":
            want = stats[cid]["live"]  # the API shows each record's latest version
        if s["kind"] == "sql":
            want = len(recs)  # rows: updates replace earlier versions
            if len(recs) > stats[cid]["records"]:
                problems.append((0, "more rows than writes"))
        if len(recs) != want:
            problems.append((0, "%d records read back, the simulator counted %d" % (len(recs), want)))
        if problems:
            bad += 1
            i, w = problems[0]
            print("not ok %s: record %d: %s (%d problems)" % (cid, i + 1, w, len(problems)))
        else:
            print("ok %s: %d %s records fit the schema" % (cid, len(recs), medium))
    return 1 if bad else 0


def http_get(sim, cid, medium, body, token=True):
    url = open(os.path.join(city.sim_path(sim, cid), "url")).read().strip()
    tok = open(os.path.join(city.sim_path(sim, cid), "token")).read().strip()
    if medium == "mybatis":
        req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST")
        req.add_header("Content-Type", "application/json")
    else:
        q = "&".join("%s=%s" % (k, urllib.parse.quote(str(v))) for k, v in body.items())
        req = urllib.request.Request(url + "?" + q)
    if token:
        req.add_header("Authorization", "Bearer " + tok)
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def page(medium, doc):
    if medium == "mybatis":
        return doc["data"]["total"], doc["data"]["list"]
    return doc["total"], doc["rows"]


def http_all(sim, cid, medium):
    out, n = [], 1
    while True:
        body = {"pageNo" if medium == "mybatis" else "pageNum": n, "pageSize": 500}
        total, rows = page(medium, http_get(sim, cid, medium, body))
        out += rows
        if len(out) >= total or not rows:
            return out
        n += 1


def http_probe(args):
    cid = args.cid
    medium = "mybatis" if "/openapi/" in open(os.path.join(city.sim_path(args.sim, cid), "url")).read() \
        else "ruoyi"
    p = "pageNo" if medium == "mybatis" else "pageNum"
    problems = []
    try:
        http_get(args.sim, cid, medium, {p: 1, "pageSize": 10}, token=False)
        problems.append("answered without the token")
    except urllib.error.HTTPError as e:
        if e.code != 401:
            problems.append("no token: HTTP %d, want 401" % e.code)
    total, first = page(medium, http_get(args.sim, cid, medium, {p: 1, "pageSize": 7}))
    allr = http_all(args.sim, cid, medium)
    if len(allr) != total or len({r["id"] for r in allr}) != total:
        problems.append("pages of 500 give %d rows (%d distinct) of %d" % (
            len(allr), len({r["id"] for r in allr}), total))
    if [r["id"] for r in allr[:7]] != [r["id"] for r in first]:
        problems.append("page sizes disagree")
    times = [r["updateTime"] for r in allr]
    if times != sorted(times):
        problems.append("rows not in update time order")
    mid = times[len(times) // 2]
    since = {"startTime" if medium == "mybatis" else "beginTime":
             mid if medium == "mybatis" else mid}
    since.update({p: 1, "pageSize": 500})
    t2, rows2 = page(medium, http_get(args.sim, cid, medium, since))
    want = sum(1 for t in times if t >= mid)
    if t2 != want:
        problems.append("since the middle update time: %d rows, want %d" % (t2, want))
    print("; ".join(problems) if problems else "ok %s %s: %d rows in %s pages" % (
        cid, medium, total, medium))
    return 1 if problems else 0


def receiver(args):
    """POSTs are logged as {"system", "id", "body"}; the first --fail-first get 503"""
    lock = threading.Lock()
    count = [0]
    out = open(args.out, "a", encoding="utf-8")

    class H(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_POST(self):
            n = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(n)
            cid = self.path.rsplit("/", 1)[-1]
            with lock:
                count[0] += 1
                fail = count[0] <= args.fail_first
                if not fail:
                    try:
                        json.loads(body)
                        code = 200
                    except ValueError:
                        code = 400
                    out.write(json.dumps({"system": cid, "id": self.headers.get("X-Request-Id"),
                                          "code": code, "body": body.decode("utf-8", "replace")},
                                         ensure_ascii=False) + "\n")
                    out.flush()
            self.send_response(503 if fail else code)
            self.send_header("Content-Length", "0")
            self.end_headers()

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    for cid in args.cids:
        d = city.sim_path(args.sim, cid)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "webhook.url"), "w") as f:
            f.write("http://127.0.0.1:%d/hook/%s\n" % (srv.server_address[1], cid))
    signal.signal(signal.SIGTERM, lambda *a: threading.Thread(target=srv.shutdown).start())
    srv.serve_forever()
    return 0


def facts(args):
    from collections import Counter
    sim = args.sim
    problems = []
    db = sqlite3.connect("file:%s?mode=ro" % city.db_path(sim, "grid.grids"), uri=True)
    levels = Counter(r[0] for r in db.execute("SELECT level FROM t_grid"))
    types = Counter(r[0] for r in db.execute("SELECT grid_type FROM t_grid WHERE level = 'GRID'"))
    fuji = db.execute("SELECT COUNT(*) FROM t_grid WHERE level = 'COMMUNITY' AND township = '付集镇'").fetchone()[0]
    db.close()
    want = {"GRID": 2619, "COMMUNITY": 501, "TOWNSHIP": 22, "COUNTY": 1}
    if dict(levels) != want:
        problems.append("grid levels %s, want %s" % (dict(levels), want))
    if dict(types) != {"URBAN": 473, "RURAL": 1843, "SPECIAL": 303}:
        problems.append("grid types %s" % dict(types))
    if fuji != 21:
        problems.append("付集镇 has %d villages" % fuji)
    db = sqlite3.connect("file:%s?mode=ro" % city.db_path(sim, "grid.staff"), uri=True)
    roles = dict(Counter(r[0] for r in db.execute("SELECT role FROM t_staff")))
    db.close()
    if roles != {"GRID_LEADER": 501, "FULL_TIME": 2322, "PART_TIME": 1353}:
        problems.append("staff %s" % roles)
    vols = set()
    for p in glob.glob(os.path.join(city.sim_path(sim, "grid.volunteers"), "*.jsonl")):
        vols |= {json.loads(line)["volunteer_no"] for line in open(p, encoding="utf-8")}
    if len(vols) < 8566 or not {"ZY%06d" % i for i in range(1, 8567)} <= vols:
        problems.append("%d volunteers, want the 8566 of the register" % len(vols))
    units = Counter()
    for p in sorted(glob.glob(os.path.join(city.sim_path(sim, "party.grid_party"), "*.jsonl")))[:1]:
        units = Counter(json.loads(line)["unit_type"] for line in open(p, encoding="utf-8"))
    if dict(units) != {"BRANCH": 501, "GROUP": 2478, "HOUSEHOLD": 4422}:
        problems.append("grid party units %s" % dict(units))
    print("\n".join(problems) if problems else "ok")
    return 1 if problems else 0


def digest(args):
    """Everything the sources hold except the write times: file contents by name, table rows
    without update_time, http rows without their ids"""
    h = hashlib.sha256()
    for p in sorted(glob.glob(os.path.join(args.sim, "*", "*.*")) +
                    glob.glob(os.path.join(args.sim, "*", "export", "*.xml"))):
        if p.endswith((".csv", ".jsonl", ".xml")):
            h.update(os.path.relpath(p, args.sim).encode())
            h.update(open(p, "rb").read())
    for p in sorted(glob.glob(os.path.join(args.sim, "*.db"))):
        db = sqlite3.connect("file:%s?mode=ro" % p, uri=True)
        for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 't_%'"):
            cols = [c[1] for c in db.execute('PRAGMA table_info("%s")' % t)
                    if c[1] not in ("update_time", "id")]
            for row in db.execute('SELECT %s FROM "%s" ORDER BY 1' % (
                    ", ".join('"%s"' % c for c in cols), t)):
                h.update(repr(row).encode())
        db.close()
    print(h.hexdigest())
    return 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    v = sub.add_parser("validate")
    v.add_argument("--sim", required=True)
    v.add_argument("--webhooks")
    r = sub.add_parser("receiver")
    r.add_argument("--sim", required=True)
    r.add_argument("--out", required=True)
    r.add_argument("--fail-first", type=int, default=0)
    r.add_argument("cids", nargs="+")
    f = sub.add_parser("facts")
    f.add_argument("--sim", required=True)
    h = sub.add_parser("http")
    h.add_argument("--sim", required=True)
    h.add_argument("cid")
    d = sub.add_parser("digest")
    d.add_argument("--sim", required=True)
    args = ap.parse_args()
    return {"validate": validate, "receiver": receiver, "facts": facts, "http": http_probe,
            "digest": digest}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
