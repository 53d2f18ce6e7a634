#!/usr/bin/python3
"""Simulated sources of the 112 systems of 项城市, driven by inventory.yaml.

    simulate.py --root DIR [--speed 1440] [--duration 60s] [--only UNIT.SYSTEM[,...]]
                [--kinds file,sql,...] [--seed 411681] [--start "2026-09-20 00:00:00"]
                [--prepare] [--bad-rate 0.0005] [--webhook UNIT.SYSTEM=URL ...] [--list]

Every system produces what its department's system would, at the inventory's per_day rate
and with the shape of a day (office hours, night traffic), `--speed` times faster than real
time (1440: a day in a minute). What each kind of system leaves for its connector:

  file     export files in DIR/<unit>.<system>/ (CSV in GB18030 with the department's
           Chinese headers, or JSON Lines), one per export period (15 simulated minutes for
           realtime systems, an hour, a day, a week, a month; never more often than every
           --min-file-interval wall seconds), each followed by its .ok marker
  sql      rows inserted and updated in the SQLite file DIR/<unit>.<system>.db, with the cursor columns update_time (the database's local time when the
           row was written, NOT NULL) and id, indexed together; the table is t_<record>
  http     a paginated REST API on 127.0.0.1; its base URL in DIR/<unit>.<system>/url, the
           bearer token in .../token (README.md describes the two API styles)
  webhook  each record POSTed as JSON to the URL given with --webhook or written to
           DIR/<unit>.<system>/webhook.url, in order, retried until accepted
  exec     XML exports in DIR/<unit>.<system>/export/ for the legacy reader taps/tap_xml.py,
           a Singer tap whose config is DIR/<unit>.<system>/tap.json

Registers (grids, staff, volunteers, schools, ...) start with their whole content (a sql
table filled by --prepare, the first export of a file system) and then change. A few records
are malformed on purpose (--bad-rate, README.md lists how) so dead letters show; each is
logged in DIR/simulate.bad.jsonl. DIR/simulate.stats.json counts what every system produced.

Deterministic: the same --seed and --start give the same records (the wall clock only
decides when they are written, and the sql cursor column). Stops after --duration, or on
SIGTERM/SIGINT, after writing what is pending. Debian's /usr/bin/python3, standard library.
"""
import argparse
import calendar
import csv
import hashlib
import hmac
import http.server
import io
import json
import os
import queue
import random
import secrets
import signal
import sqlite3
import sys
import threading
import time
import urllib.parse
import urllib.request
from xml.sax.saxutils import escape

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import city  # noqa: E402
import citymodel as cm  # noqa: E402
import simgen  # noqa: E402
import simvalues as sv  # noqa: E402
import simworlds as sw  # noqa: E402
from simvalues import DAY, TZ, date_text, iso_text, ts_text  # noqa: E402

CYCLE_WINDOW = {"realtime": 900, "hourly": 3600}
# registers and how many rows they start with (the grid ones are built from the city model)
SNAPSHOT = {
    "party.branches": 900, "civil.residents": 5000, "civil.children": 1200,
    "grid.key_persons": 800, "market.enterprises": 3000, "edu.schools": 320,
    "edu.students": 5000, "health.health_records": 5000, "housing.affordable_housing": 600,
    "medinsure.enrolment": 5000, "justice.community_correction": 180,
    "agri.cooperatives": 900, "agri.land_contracts": 3000, "transport.roads": 600,
    "transport.freight": 400, "emergency.shelters": 48, "emergency.chemical_enterprises": 60,
    "tax.registrations": 3000, "stats.census": 2000, "veterans.veterans": 3000,
    "govservice.items": 1500, "hotline12345.knowledge": 1200,
}
DOMAIN = {
    "hotline12345.workorders": sw.WorkOrderGen, "hotline12345.workorder_events": sw.WorkOrderEventGen,
    "hotline12345.quality": sw.QualityGen, "hotline12345.callbacks": sw.CallbackGen,
    "grid.incidents": sw.IncidentGen, "grid.grids": sw.GridRegistry, "grid.staff": sw.StaffRegistry,
    "grid.volunteers": sw.VolunteerRegistry, "party.grid_party": sw.GridPartyRegistry,
    "whistle.tasks": sw.WhistleTaskGen, "whistle.steps": sw.WhistleStepGen,
    "whistle.evaluations": sw.WhistleEvaluationGen, "mediation.cases": sw.CaseGen,
    "mediation.transfers": sw.TransferGen, "govservice.applications": sw.ApplicationGen,
    "govservice.online_apps": sw.OnlineAppGen, "govservice.one_things": sw.OneThingGen,
    "party.points_market": sw.PointsMarketGen, "civil.elderly_cert": sw.ElderlyCertGen,
    "socialwork.riders_council": sw.CouncilGen, "party.dual_registration": sw.DualRegGen,
    "party.village_decisions": sw.VillageDecisionGen, "police.video_alerts": sw.VideoAlertGen,
}
TRAFFIC = {"police.traffic_violations", "urban.parking", "transport.buses"}
# http systems built on the MyBatis-Plus page shape (POST, epoch-millisecond times); the
# others answer in RuoYi's TableDataInfo shape (GET, "yyyy-MM-dd HH:mm:ss" times)
MYBATIS = {"civil.elderly_cert", "govservice.online_apps", "govservice.items",
           "health.family_doctors", "housing.gas_safety", "agri.village_assets",
           "water.river_patrols", "fuji.village_affairs", "whistle.tasks"}
# the 110 command centre's export uses its own tag names
XML_TAGS = {"police.alarms": {
    "alarm_no": "JJDBH", "received_at": "JJSJ", "category": "JQLB", "subcategory": "JQXL",
    "township": "FSDXZ", "station": "CJDW", "dispatched_at": "PJSJ", "arrived_at": "DDSJ",
    "result": "CJJG", "summary": "JYJQ", "referred_to": "YJDW"}}


# ---- fleets: devices reporting on a clock ------------------------------------------------

def fleet(cid):
    """(devices, interval, reading) of the systems that are fleets of devices or places"""
    c = cm.get()
    if cid == "urban.streetlights":
        roads = cm.gs.ROADS
        devs = [("LD-%02d-%03d" % (i % 15 + 1, i + 1), roads[i % len(roads)]) for i in range(100)]

        def reading(r, t, d, gen):
            h = time.gmtime(int(t) + TZ).tm_hour
            on = h >= 19 or h < 6
            failed = r.choices([0, 1, 2, 3], [92, 5, 2, 1])[0]
            fault = r.choice(["灯具损坏", "线路漏电", "缺相"]) if failed and r.random() < 0.5 else None
            if r.random() < 0.003:
                fault, on = "控制箱离线", False
            return {"reading_id": "%s-%s" % (d[0], time.strftime("%Y%m%d%H", sv.local_tm(t))),
                    "cabinet_no": d[0], "road": d[1], "read_at": int(t), "on": on,
                    "voltage": round(r.uniform(214, 234), 1),
                    "current": round(r.uniform(14, 38), 1) if on else round(r.uniform(0.1, 0.6), 1),
                    "lamps_failed": failed, "fault": fault}
        return devs, 3600, reading
    if cid == "eco.air_quality":
        devs = ["项城市环境监测站", "项城市政府", "项城市第三高级中学", "南顿镇政府"]

        def reading(r, t, d, gen):
            h = time.gmtime(int(t) + TZ).tm_hour
            base = 45 + 25 * (1 if h in (7, 8, 9, 20, 21, 22) else 0)
            pm25 = max(8, int(r.gauss(base, 12)))
            pm10 = int(pm25 * r.uniform(1.4, 1.9))
            o3 = int(max(10, r.gauss(60 + (50 if 12 <= h <= 17 else 0), 15)))
            aqi = max(int(pm25 * 1.35), int(pm10 * 0.8), int(o3 * 0.6))
            prim = None if aqi <= 50 else "PM2.5" if pm25 * 1.35 >= max(pm10 * 0.8, o3 * 0.6) else \
                "PM10" if pm10 * 0.8 >= o3 * 0.6 else "O3"
            return {"reading_id": "KQ%02d-%s" % (devs.index(d) + 1, time.strftime("%Y%m%d%H", sv.local_tm(t))),
                    "station": d, "hour": int(t), "aqi": aqi, "pm25": pm25, "pm10": pm10,
                    "so2": r.randint(4, 14), "no2": r.randint(10, 48), "o3": o3,
                    "co": round(r.uniform(0.4, 1.3), 1), "primary_pollutant": prim}
        return devs, 3600, reading
    if cid == "water.water_levels":
        devs = [("5040%04d" % (2100 + i), name, river, base) for i, (name, river, base) in enumerate([
            ("沙颍河项城闸上", "沙颍河", 36.8), ("沙颍河南顿", "沙颍河", 37.6), ("沙颍河三店", "沙颍河", 37.2),
            ("沙颍河老城", "沙颍河", 36.5), ("汾泉河付集", "汾泉河", 33.9), ("汾泉河官会", "汾泉河", 34.4),
            ("汾泉河新桥", "汾泉河", 34.8), ("泥河李寨", "泥河", 36.1), ("泥河贾岭", "泥河", 35.7),
            ("泥河秣陵", "泥河", 35.2), ("谷河高寺", "谷河", 37.0), ("直河付集", "直河", 33.5)])]

        def reading(r, t, d, gen):
            day = (int(t) + TZ) // DAY
            rain_day = rng_day(gen.seed, day).random() < 0.25
            rain = round(r.expovariate(1.2), 1) if rain_day and r.random() < 0.4 else 0.0
            level = d[3] + 0.4 * (day % 17) / 17.0 + (0.6 if rain_day else 0) + r.uniform(-0.02, 0.02)
            return {"reading_id": "%s-%s" % (d[0], time.strftime("%Y%m%d%H%M", sv.local_tm(t))),
                    "station_code": d[0], "station": d[1], "river": d[2], "observed_at": int(t),
                    "water_level_m": round(level, 2), "warning_level_m": round(d[3] + 3.0, 2),
                    "rain_mm": rain, "flow_m3s": round(20 + (level - d[3]) * 60, 1) if d[2] == "沙颍河" else None,
                    "battery_v": round(r.uniform(12.1, 13.4), 2)}
        return devs, 300, reading
    if cid == "eco.pollution_sources":
        ents = ["项城市某味精有限公司", "项城市某皮革有限公司", "项城市污水处理厂", "项城市某医药有限公司",
                "项城市某纺织有限公司", "项城市某食品有限公司", "项城市第二污水处理厂", "项城市某制革有限公司",
                "项城市某热电有限公司", "项城市某造纸有限公司"]
        factors = [("DW001", "化学需氧量", "mg/L", 50.0), ("DW001", "氨氮", "mg/L", 5.0),
                   ("DA001", "颗粒物", "mg/m³", 10.0)]
        devs = [(e, o, p, u, lim) for e in ents for o, p, u, lim in factors]

        def reading(r, t, d, gen):
            v = d[4] * r.uniform(0.15, 0.8) if r.random() > 0.01 else d[4] * r.uniform(1.02, 1.6)
            flag = r.choices(["N", "F", "M", "D"], [96, 2, 1, 1])[0]
            return {"reading_id": "%s-%s-%s" % (devs.index(d) + 1, d[1], time.strftime("%Y%m%d%H", sv.local_tm(t))),
                    "enterprise": d[0], "outlet": d[1], "pollutant": d[2], "hour": int(t),
                    "value": round(v, 2), "unit": d[3], "limit": d[4], "exceeded": v > d[4], "flag": flag}
        return devs, 3600, reading
    if cid == "fuji.sanitation":
        devs = c.fuji_villages()

        def reading(r, t, v, gen):
            slot = (int(t) + TZ) // DAY
            scores = {x.code: rng_for_slot(gen.seed, cid, slot, x.code).randint(72, 99) for x in devs}
            rank = 1 + sum(1 for s in scores.values() if s > scores[v.code])
            s = scores[v.code]
            return {"score_id": "%s-%s" % (v.code, time.strftime("%Y%m%d", sv.local_tm(t))),
                    "village": v.name, "scored_on": date_text(t), "score": s,
                    "problems": None if s >= 95 else r.choice(["垃圾桶满溢", "沟渠漂浮物", "柴草乱堆", "墙面小广告"]),
                    "inspector": "镇人居办督查员", "rank": rank}
        return devs, DAY, reading
    if cid == "police.population_stats":
        devs = c.villages

        def reading(r, t, v, gen):
            return {"stat_id": "%s-%s" % (v.code, time.strftime("%Y%m", sv.local_tm(t))),
                    "period": time.strftime("%Y-%m", sv.local_tm(t)), "township": v.town,
                    "community": v.name, "registered": int(v.population * r.uniform(1.05, 1.25)),
                    "floating": int(v.population * r.uniform(0.02, 0.12)), "overseas": r.choice([0, 0, 0, 1]),
                    "households": v.households, "aged_60_plus": int(v.population * r.uniform(0.17, 0.24)),
                    "rental_houses": int(v.households * r.uniform(0.0, 0.12))}
        return devs, 30 * DAY, reading
    return None


def rng_day(seed, day):
    return random.Random("%s:day:%s" % (seed, day))


def rng_for_slot(seed, cid, slot, key):
    return random.Random("%s:%s:%s:%s" % (seed, cid, slot, key))


# ---- the simulation ---------------------------------------------------------------------

class Sim:
    def __init__(self, args):
        self.args = args
        self.seed = args.seed
        self.speed = args.speed
        self.root = os.path.abspath(args.root)
        self.inv = city.load_inventory(args.inventory)
        self.systems = {s["cid"]: s for s in city.systems(self.inv)}
        self.stop = False
        self.bad_log = None
        self.lock = threading.Lock()

    def system(self, cid):
        return self.systems[cid]

    def log_bad(self, cid, where, field, reason):
        with self.lock:
            if self.bad_log is None:
                self.bad_log = open(os.path.join(self.root, "simulate.bad.jsonl"), "a",
                                    encoding="utf-8")
            self.bad_log.write(json.dumps({"system": cid, "where": where, "field": field,
                                           "reason": reason}, ensure_ascii=False) + "\n")
            self.bad_log.flush()


ALARM_KINDS = {"求助": ["走失", "醉酒", "被困"], "纠纷": ["家庭纠纷", "邻里纠纷", "经济纠纷"],
               "治安案件": ["盗窃电动车", "打架斗殴", "寻衅滋事"], "交通事故": ["车辆剐蹭", "电动车事故"],
               "火情": ["秸秆起火", "电动车起火"], "诈骗": ["电信诈骗", "网络刷单诈骗"]}


ALARM_SUMMARY = {
    "求助": "报警人称家中老人外出未归，民警协助找回。",
    "纠纷": "报警人称与邻居因宅基地界墙发生争执，民警到场后双方情绪平稳，已移交综治中心调解。",
    "治安案件": "报警人称其电动车在小区楼下被盗，民警已调取周边监控。",
    "交通事故": "群众报称路口两车剐蹭，无人员受伤，交警到场处理。",
    "火情": "报警人称村东秸秆垛起火，消防救援队伍到场扑灭，无人员伤亡。",
    "诈骗": "报警人称接到自称客服的电话要求转账，民警现场劝阻，未造成损失。",
}


def _alarm(rec, ctx):
    t = ctx.t
    if rec["category"] in ALARM_KINDS:
        rec["subcategory"] = ctx.rng.choice(ALARM_KINDS[rec["category"]])
        rec["summary"] = ALARM_SUMMARY[rec["category"]]
    rec["received_at"] = t
    rec["dispatched_at"] = t + ctx.rng.randint(40, 300)
    rec["arrived_at"] = rec["dispatched_at"] + ctx.rng.randint(300, 1500)
    rec["township"] = ctx.grid.town
    rec["station"] = rec["station"] if rec["station"] == "交警大队" else \
        "%s派出所" % ctx.grid.town[:-2] if ctx.grid.town.endswith("街道") else \
        "%s派出所" % ctx.grid.town[:-1]


def _trip(rec, ctx):
    rec["started_at"] = ctx.t - ctx.rng.randint(1800, 3 * 3600)
    rec["ended_at"] = ctx.t


def _bus(rec, ctx):
    rec["departed_at"] = ctx.t - ctx.rng.randint(1200, 3600)
    rec["arrived_at"] = ctx.t


def _fire(rec, ctx):
    rec["arrived_at"] = ctx.t + ctx.rng.randint(240, 1500)


# corrections of generic records where times or places must agree with each other
TWEAKS = {"police.alarms": _alarm, "urban.sanitation_vehicles": _trip, "transport.buses": _bus,
          "fire.incidents": _fire}


def make_gen(sim, sysd, schema):
    cid = sysd["cid"]
    if cid in DOMAIN:
        return DOMAIN[cid](sim, sysd, schema)
    f = fleet(cid)
    if f:
        return simgen.FleetGen(sim, sysd, schema, *f)
    if cid in SNAPSHOT:
        g = simgen.RegistryGen(sim, sysd, schema, SNAPSHOT[cid])
    else:
        g = simgen.Gen(sim, sysd, schema)
    if cid in TWEAKS:
        g.tweak = TWEAKS[cid]
    g.profile = "traffic" if cid in TRAFFIC else "office"
    g.arr = g.arrivals()
    return g


def begin_time(sysd, start):
    """realtime and hourly systems start at the start; the others with the previous whole
    period, so that their first export is there at once"""
    if sysd["cycle"] in ("realtime", "hourly"):
        return start
    return simgen.period_start(simgen.period_start(start, sysd["cycle"]) - 1, sysd["cycle"])


# ---- values for each medium --------------------------------------------------------------

def out_value(fld, v, medium):
    if v is None:
        return "" if medium in ("csv", "xml") else None
    k = fld.kind
    if k == "ts":
        if medium in ("jsonl", "webhook"):
            return iso_text(v)
        if medium == "mybatis":
            return int(v) * 1000
        return ts_text(v)
    if k == "boolean":
        if medium == "csv":
            return "是" if v else "否"
        if medium in ("xml", "sql"):
            return 1 if v else 0
        return bool(v)
    if k == "decimal" and medium in ("ruoyi", "mybatis"):
        return float(v)
    if medium in ("csv", "xml"):
        return str(v)
    return v


BAD_TEXT = {"ts": ("2026/9/20 上午10:30", "bad-timestamp"), "int": ("三", "not-an-int"),
            "date": ("2026-02-30", "impossible-date"), "decimal": ("1,280.00", "bad-decimal"),
            "double": ("约3.5", "not-a-number")}


def bad_version(gen, rec, rng):
    """A copy of @p rec with a new key and one value the schema cannot take:
    (record, field, reason); the value is already text for its medium"""
    fields = gen.maker.fields
    cands = [f for f in fields if f.name != gen.key and (f.kind in BAD_TEXT or
                                                         (f.kind == "enum" and f.labels))]
    bad = dict(rec)
    bad[gen.key] = "%s-X" % rec[gen.key]
    if not cands:
        return bad, None, None
    f = rng.choice(cands)
    if f.kind == "enum":
        sym = rec.get(f.name) or f.symbols[0]
        bad[f.name] = ("LABEL", f.labels.get(sym, sym.lower()))
        return bad, f.name, "unknown-symbol"
    text, reason = BAD_TEXT[f.kind]
    bad[f.name] = ("LABEL", text)
    return bad, f.name, reason


def render(fields, rec, medium):
    out = {}
    for f in fields:
        v = rec.get(f.name)
        if isinstance(v, tuple) and v and v[0] == "LABEL":
            out[f.name] = v[1]
        else:
            out[f.name] = out_value(f, v, medium)
    return out


# ---- sinks ------------------------------------------------------------------------------

class Sink:
    def __init__(self, sim, sysd, schema, gen):
        self.sim, self.sysd, self.gen = sim, sysd, gen
        self.cid = sysd["cid"]
        self.fields = gen.maker.fields
        self.stats = {"kind": sysd["kind"], "records": 0, "bad": 0}
        self.nrec = 0

    def is_bad(self):
        """Deterministic: the n-th record of a system is followed by a bad one or not"""
        self.nrec += 1
        if self.sim.args.bad_rate <= 0:
            return False
        h = hashlib.sha256(("%s:%s:%d" % (self.sim.seed, self.cid, self.nrec)).encode()).digest()
        return int.from_bytes(h[:8], "big") / 2.0 ** 64 < self.sim.args.bad_rate

    def add(self, items):
        """Records as the generator made them; every medium counts what it has written"""
        for t, rec in items:
            self.put(t, rec, None)
            if self.is_bad():
                r = random.Random("%s:%s:bad:%d" % (self.sim.seed, self.cid, self.nrec))
                bad, field, reason = bad_version(self.gen, rec, r)
                if field is not None:
                    self.put(t, bad, (field, reason))

    def count(self, bad):
        self.stats["records"] += 1
        if bad:
            self.stats["bad"] += 1

    def backpressure(self):
        return False

    def tick(self, sim_now):
        pass

    def close(self):
        pass


class FileSink(Sink):
    """Export files with .ok markers, one per period"""
    xml = False

    def __init__(self, sim, sysd, schema, gen, start):
        super().__init__(sim, sysd, schema, gen)
        self.dir = city.sim_path(sim.root, self.cid)
        os.makedirs(self.dir, exist_ok=True)
        self.format, self.encoding = city.file_format(self.cid)
        self.headers = city.headers(schema, self.cid)
        self.cycle = sysd["cycle"]
        if self.cycle in CYCLE_WINDOW:
            self.window = max(CYCLE_WINDOW[self.cycle], sim.args.min_file_interval * sim.speed)
            self.next_cut = start + self.window
        else:
            self.window = None
            self.next_cut = simgen.period_start(start, self.cycle)
        self.pending = []
        self.snap = gen.snapshot(start)
        self.stats["files"] = 0

    def put(self, t, rec, bad):
        self.pending.append((t, rec, bad))

    def tick(self, sim_now):
        while sim_now >= self.next_cut:
            cut = self.next_cut
            batch = [p for p in self.pending if p[0] < cut]
            self.pending = [p for p in self.pending if p[0] >= cut]
            if self.snap:
                batch = [(cut - 1, r, None) for r in self.snap] + batch
                self.snap = None
            if batch:
                self.write(cut, batch)
            self.next_cut = cut + self.window if self.window else \
                simgen.next_period(cut, self.cycle)

    def close(self):
        """A realtime or hourly system writes what it has; a daily, weekly or monthly one
        exports only whole periods, so an unfinished one is left unwritten"""
        if self.window:
            if self.pending or self.snap:
                self.tick(self.next_cut)
        else:
            self.stats["unwritten"] = len(self.pending)

    def name(self, cut, ext):
        base = "%s_%s" % (self.sysd["record"], time.strftime("%Y%m%d_%H%M%S", sv.local_tm(cut)))
        n, name = 1, "%s.%s" % (base, ext)
        while os.path.exists(os.path.join(self.dir, name)) or \
                os.path.exists(os.path.join(self.dir, "done", name)):
            n += 1
            name = "%s_%d.%s" % (base, n, ext)
        return name

    def write(self, cut, batch):
        ext = "jsonl" if self.format == "jsonl" else "csv"
        name = self.name(cut, ext)
        tmp = os.path.join(self.dir, "." + name + ".tmp")
        if self.format == "jsonl":
            data = self.jsonl(name, batch)
        else:
            data = self.csv(name, batch)
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, os.path.join(self.dir, name))
        open(os.path.join(self.dir, name + ".ok"), "wb").close()
        self.stats["files"] += 1
        for _, _, bad in batch:
            self.count(bad)

    def csv(self, name, batch):
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\r\n")
        w.writerow(self.headers)
        line = 2
        for t, rec, bad in batch:
            row = render(self.fields, rec, "csv")
            cells = [row[f.name] for f in self.fields]
            if bad:
                self.sim.log_bad(self.cid, "file:%s:%d" % (name, line), bad[0], bad[1])
            w.writerow(cells)
            line += 1 + sum(c.count("\n") for c in cells if isinstance(c, str))
        return buf.getvalue().encode("utf-8-sig" if self.encoding == "utf-8" else "gb18030")

    def jsonl(self, name, batch):
        out = []
        for i, (t, rec, bad) in enumerate(batch, 1):
            row = render(self.fields, rec, "jsonl")
            text = json.dumps(row, ensure_ascii=False)
            if bad:
                if i % 3 == 0:
                    text = text[:max(10, len(text) // 2)]  # a line cut short: not JSON
                    bad = ("-", "bad-json")
                self.sim.log_bad(self.cid, "file:%s:%d" % (name, i), bad[0], bad[1])
            out.append(text + "\n")
        return "".join(out).encode("utf-8")


SQL_TYPES = {"string": "TEXT", "enum": "TEXT", "int": "INTEGER", "double": "REAL",
             "boolean": "BOOLEAN", "ts": "DATETIME", "date": "DATE", "other": "TEXT"}
NOW_SQL = "strftime('%Y-%m-%d %H:%M:%f', 'now', 'localtime')"


def sql_table(sysd, fields):
    cols = ["id INTEGER PRIMARY KEY AUTOINCREMENT"]
    for f in fields:
        t = "DECIMAL(%d,%d)" % (f.precision, f.scale) if f.kind == "decimal" else SQL_TYPES[f.kind]
        cols.append('"%s" %s%s' % (f.name, t, "" if f.nullable else " NOT NULL"))
    cols.append("update_time DATETIME NOT NULL")
    rec = city.table_of(sysd)
    return ('CREATE TABLE IF NOT EXISTS "%s" (%s);\n'
            'CREATE UNIQUE INDEX IF NOT EXISTS "%s_key" ON "%s" ("%s");\n'
            'CREATE INDEX IF NOT EXISTS "%s_cursor" ON "%s" (update_time, id);\n'
            % (rec, ", ".join(cols), rec, rec, fields[0].name, rec, rec))


class SqlSink(Sink):
    """Rows inserted or updated (by business key) in the system's SQLite database"""

    def __init__(self, sim, sysd, schema, gen, start):
        super().__init__(sim, sysd, schema, gen)
        self.db, n = prepare_sql(sim, sysd, gen, start, count=True)
        self.pending = []
        names = [f.name for f in self.fields]
        cols = ", ".join('"%s"' % n for n in names)
        self.sql = ('INSERT INTO "%s" (%s, update_time) VALUES (%s, %s) ON CONFLICT ("%s") DO '
                    'UPDATE SET %s, update_time = excluded.update_time' % (
                        city.table_of(sysd), cols, ", ".join("?" * len(names)), NOW_SQL, names[0],
                        ", ".join('"%s" = excluded."%s"' % (n, n) for n in names[1:])))
        self.stats["writes"] = self.stats["records"] = n  # the register's rows

    def put(self, t, rec, bad):
        row = render(self.fields, rec, "sql")
        if bad:
            self.sim.log_bad(self.cid, "table:%s:%s=%s" % (city.table_of(self.sysd), self.gen.key,
                                                           row[self.gen.key]), bad[0], bad[1])
        self.pending.append(tuple(row[f.name] for f in self.fields))
        self.count(bad)

    def tick(self, sim_now):
        if not self.pending:
            return
        for attempt in range(50):
            try:
                with self.db:
                    self.db.executemany(self.sql, self.pending)
                break
            except sqlite3.OperationalError as e:  # a reader holding a lock: try again
                if "locked" not in str(e) or attempt == 49:
                    raise
                time.sleep(0.1)
        self.stats["writes"] += len(self.pending)
        self.pending = []

    def close(self):
        self.tick(0)
        self.db.close()


def prepare_sql(sim, sysd, gen, start, count=False):
    """The database and its table; a register's rows on first use. With @p count, also how
    many rows were put in now"""
    path = city.db_path(sim.root, sysd["cid"])
    db = sqlite3.connect(path, timeout=10)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.executescript(sql_table(sysd, gen.maker.fields))
    (n,) = db.execute('SELECT COUNT(*) FROM "%s"' % city.table_of(sysd)).fetchone()
    snap = gen.snapshot(start) if n == 0 else []
    if snap:
        names = [f.name for f in gen.maker.fields]
        rows = []
        for r in snap:
            row = render(gen.maker.fields, r, "sql")
            rows.append(tuple(row[n] for n in names))
        with db:
            db.executemany('INSERT OR IGNORE INTO "%s" (%s, update_time) VALUES (%s, %s)' % (
                city.table_of(sysd), ", ".join('"%s"' % n for n in names),
                ", ".join("?" * len(names)), NOW_SQL), rows)
    return (db, len(snap)) if count else db


class HttpSink(Sink):
    """A paginated REST API on 127.0.0.1 serving the records published so far"""

    def __init__(self, sim, sysd, schema, gen, start):
        super().__init__(sim, sysd, schema, gen)
        self.style = "mybatis" if self.cid in MYBATIS else "ruoyi"
        self.entries = []  # [update time, id, record dict, live]
        self.live = {}
        self.seq = 0
        self.lock = threading.Lock()
        for rec in gen.snapshot(start):
            self.put(start, rec, None)
        d = city.sim_path(sim.root, self.cid)
        os.makedirs(d, exist_ok=True)
        tok = os.path.join(d, "token")
        if not os.path.exists(tok):
            fd = os.open(tok, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            os.write(fd, (secrets.token_hex(16) + "\n").encode())
            os.close(fd)
        self.token = open(tok).read().strip()
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self.handler())
        self.server.daemon_threads = True
        port = self.server.server_address[1]
        rec = sysd["record"]
        path = ("/openapi/v1/%s/page" % rec) if self.style == "mybatis" else \
            ("/prod-api/%s/%s/list" % (sysd["unit"], rec))
        self.url = "http://127.0.0.1:%d%s" % (port, path)
        write_atomic(os.path.join(d, "url"), self.url + "\n")
        write_atomic(os.path.join(d, "port"), "%d\n" % port)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.stats["url"] = self.url
        self.stats["queries"] = 0

    def put(self, t, rec, bad):
        row = render(self.fields, rec, self.style)
        with self.lock:
            self.seq += 1
            key = row[self.gen.key]
            old = self.live.get(key)
            if old is not None:
                old[3] = False
            e = [int(t), self.seq, row, True]
            self.entries.append(e)
            self.live[key] = e
            if bad:
                self.sim.log_bad(self.cid, "id=%d" % self.seq, bad[0], bad[1])
            self.count(bad)
            self.stats["live"] = len(self.live)
            keep = self.sim.args.http_keep
            if len(self.entries) > keep * 1.5 or len(self.entries) > 2 * len(self.live) + 1000:
                self.entries = [x for x in self.entries if x[3]][-keep:]
                self.live = {x[2][self.gen.key]: x for x in self.entries}

    def query(self, begin, end, page, size):
        with self.lock:
            rows = [e for e in self.entries if e[3] and begin <= e[0] < end]
        total = len(rows)
        sel = rows[(page - 1) * size: page * size]
        return total, sel

    def row_out(self, e):
        d = {"id": e[1]}
        d["updateTime"] = e[0] * 1000 if self.style == "mybatis" else ts_text(e[0])
        d.update(e[2])
        return d

    def handler(self):
        sink = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, fmt, *a):
                pass

            def reply(self, code, obj):
                body = json.dumps(obj, ensure_ascii=False).encode("utf-8")
                self.send_response(code)
                self.send_header("Content-Type", "application/json;charset=UTF-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def params(self):
                u = urllib.parse.urlparse(self.path)
                q = {k: v[-1] for k, v in urllib.parse.parse_qs(u.query).items()}
                if self.command == "POST":
                    n = int(self.headers.get("Content-Length") or 0)
                    try:
                        body = json.loads(self.rfile.read(n) or b"{}")
                    except ValueError:
                        return u.path, None
                    if isinstance(body, dict):
                        q.update({k: v for k, v in body.items()})
                return u.path, q

            def serve(self):
                path, q = self.params()
                if path.endswith("/health"):
                    return self.reply(200, {"status": "UP"})
                want = urllib.parse.urlparse(sink.url).path
                if path != want:
                    return self.reply(404, {"code": 404, "msg": "请求地址不存在"})
                if self.headers.get("Authorization", "") != "Bearer " + sink.token:
                    return self.reply(401, {"code": 401, "msg": "认证失败，无法访问系统资源"})
                if q is None:
                    return self.reply(400, {"code": 400, "msg": "请求体不是合法的JSON"})
                try:
                    if sink.style == "mybatis":
                        page, size = int(q.get("pageNo", 1)), int(q.get("pageSize", 100))
                        begin, end = parse_time(q.get("startTime")), parse_time(q.get("endTime"))
                    else:
                        page, size = int(q.get("pageNum", 1)), int(q.get("pageSize", 100))
                        begin, end = parse_time(q.get("beginTime")), parse_time(q.get("endTime"))
                except ValueError as e:
                    return self.reply(400, {"code": 400, "msg": "参数错误：%s" % e})
                if page < 1 or not 1 <= size <= 500:
                    return self.reply(400, {"code": 400, "msg": "参数错误：pageSize 1-500"})
                total, sel = sink.query(begin if begin is not None else 0,
                                        end if end is not None else 1 << 62, page, size)
                sink.stats["queries"] += 1
                rows = [sink.row_out(e) for e in sel]
                if sink.style == "mybatis":
                    return self.reply(200, {"code": "0", "msg": "success", "data": {
                        "list": rows, "total": total, "pageNo": page, "pageSize": size,
                        "pages": (total + size - 1) // size}})
                return self.reply(200, {"code": 200, "msg": "查询成功", "total": total, "rows": rows})

            def do_GET(self):
                self.serve()

            def do_POST(self):
                self.serve()
        return H

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def parse_time(v):
    """epoch milliseconds, or 'yyyy-MM-dd HH:mm:ss' local time; None when absent"""
    if v is None or v == "":
        return None
    if isinstance(v, (int, float)) or str(v).isdigit():
        return int(v) // 1000
    return _timegm(time.strptime(str(v), "%Y-%m-%d %H:%M:%S")) - TZ


def _timegm(tm):
    return calendar.timegm(tm)


class WebhookSink(Sink):
    """POSTs each record as JSON, in order, retrying until the receiver accepts it"""
    CAP = 200000

    def __init__(self, sim, sysd, schema, gen, start):
        super().__init__(sim, sysd, schema, gen)
        self.dir = city.sim_path(sim.root, self.cid)
        os.makedirs(self.dir, exist_ok=True)
        self.url = dict(sim.args.webhook).get(self.cid)
        self.q = queue.Queue()
        self.stats.update({"posted": 0, "failures": 0, "pending": 0})
        self.seq = 0
        self.busy = False
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()

    def put(self, t, rec, bad):
        row = render(self.fields, rec, "webhook")
        self.seq += 1
        body = json.dumps(row, ensure_ascii=False)
        if bad:
            if self.seq % 4 == 0:
                body = body[:max(10, len(body) // 2)]
                bad = ("-", "bad-json")
            self.sim.log_bad(self.cid, "post:%d" % self.seq, bad[0], bad[1])
        self.q.put((self.seq, body.encode("utf-8")))
        self.stats["pending"] = self.q.qsize()
        self.count(bad)

    def backpressure(self):
        return self.q.qsize() >= self.CAP

    def target(self):
        if self.url:
            return self.url
        try:
            with open(os.path.join(self.dir, "webhook.url")) as f:
                return f.read().strip() or None
        except OSError:
            return None

    def loop(self):
        secret_path = os.path.join(self.dir, "webhook.secret")
        while True:
            try:
                seq, body = self.q.get(timeout=0.2)
            except queue.Empty:
                if self.done.is_set():
                    return
                continue
            self.busy = True
            delay = 0.2
            while True:
                url = self.target()
                if url:
                    ts = str(int(time.time() * 1000))
                    req = urllib.request.Request(url, data=body, method="POST")
                    req.add_header("Content-Type", "application/json; charset=utf-8")
                    req.add_header("X-Request-Id", "%s-%d" % (self.cid, seq))
                    req.add_header("X-Timestamp", ts)
                    if os.path.exists(secret_path):
                        key = open(secret_path, "rb").read().strip()
                        req.add_header("X-Signature", hmac.new(key, ts.encode() + b"\n" + body,
                                                               hashlib.sha256).hexdigest())
                    try:
                        with urllib.request.urlopen(req, timeout=10) as resp:
                            if 200 <= resp.status < 300:
                                self.stats["posted"] += 1
                                break
                    except urllib.error.HTTPError as e:
                        if 400 <= e.code < 500 and e.code not in (408, 429):
                            self.stats["posted"] += 1  # refused for good: the receiver's dead letter
                            self.stats["refused"] = self.stats.get("refused", 0) + 1
                            break
                    except (OSError, ValueError):
                        pass
                    self.stats["failures"] += 1
                if self.done.wait(delay):
                    return
                delay = min(delay * 2, 30)
            self.busy = False
            self.stats["pending"] = self.q.qsize()

    def close(self):
        self.done.set()
        self.thread.join(timeout=5)


class ExecSink(FileSink):
    """XML exports of a legacy program, read by taps/tap_xml.py"""

    def __init__(self, sim, sysd, schema, gen, start):
        super().__init__(sim, sysd, schema, gen, start)
        self.dir = os.path.join(city.sim_path(sim.root, self.cid), "export")
        os.makedirs(self.dir, exist_ok=True)
        self.tags = {f.name: XML_TAGS.get(self.cid, {}).get(f.name, f.name.upper())
                     for f in self.fields}
        write_tap_config(sim, sysd, self.tags)

    def write(self, cut, batch):
        name = self.name(cut, "xml")
        out = ['<?xml version="1.0" encoding="GB18030"?>',
               '<Export system="%s" exportTime="%s" count="%d">' % (
                   self.cid, ts_text(cut), len(batch))]
        for i, (t, rec, bad) in enumerate(batch, 1):
            row = render(self.fields, rec, "xml")
            out.append("<Row>" + "".join("<%s>%s</%s>" % (self.tags[f.name], escape(str(row[f.name])),
                                                           self.tags[f.name])
                                         for f in self.fields) + "</Row>")
            if bad:
                self.sim.log_bad(self.cid, "file:%s:row %d" % (name, i), bad[0], bad[1])
        out.append("</Export>")
        tmp = os.path.join(self.dir, "." + name + ".tmp")
        with open(tmp, "wb") as f:
            f.write(("\n".join(out) + "\n").encode("gb18030"))
        os.replace(tmp, os.path.join(self.dir, name))
        open(os.path.join(self.dir, name + ".ok"), "wb").close()
        self.stats["files"] += 1
        for _, _, bad in batch:
            self.count(bad)


def write_tap_config(sim, sysd, tags):
    d = city.sim_path(sim.root, sysd["cid"])
    schema = city.load_schema(sysd["schema"])
    conf = {"export_dir": os.path.join(d, "export"), "pattern": "*.xml", "complete_marker": ".ok",
            "stream": sysd["topic"], "schema": os.path.join(city.SCHEMAS, sysd["schema"]),
            "key_properties": [schema["fields"][0]["name"]], "row_tag": "Row",
            "tags": {v: k for k, v in tags.items()}, "timezone": "+08:00"}
    write_atomic(os.path.join(d, "tap.json"), json.dumps(conf, ensure_ascii=False, indent=2) + "\n")


def write_atomic(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


SINKS = {"file": FileSink, "sql": SqlSink, "http": HttpSink, "webhook": WebhookSink,
         "exec": ExecSink}


# ---- main -------------------------------------------------------------------------------

def parse_duration(s):
    s = str(s).strip()
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
    for u in ("ms", "s", "m", "h"):
        if s.endswith(u):
            return float(s[:-len(u)]) * units[u]
    return float(s)


def selected(sim):
    only = set()
    for o in sim.args.only or []:
        only.update(x.strip() for x in o.split(",") if x.strip())
    kinds = set(sim.args.kinds.split(",")) if sim.args.kinds else set(city.KINDS)
    out = []
    for cid, s in sim.systems.items():
        if only and cid not in only and s["unit"] not in only:
            continue
        if s["kind"] in kinds:
            out.append(s)
    unknown = [o for o in only if o not in sim.systems and
               o not in {s["unit"] for s in sim.systems.values()}]
    if unknown:
        raise SystemExit("simulate: unknown system or unit: %s" % ", ".join(sorted(unknown)))
    return out


def write_stats(sim, sinks, sim_now, final=False):
    doc = {"seed": sim.seed, "speed": sim.speed, "sim_start": iso_text(sim.start),
           "sim_now": iso_text(sim_now), "final": final,
           "systems": {s.cid: s.stats for s in sinks}}
    write_atomic(os.path.join(sim.root, "simulate.stats.json"),
                 json.dumps(doc, ensure_ascii=False, indent=1) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", required=True, help="where the simulated sources live ($GDX_SIM)")
    ap.add_argument("--speed", type=float, default=1440.0,
                    help="simulated seconds per wall second (1440: a day a minute)")
    ap.add_argument("--duration", default="0", help="stop after this long (60s, 2m); 0: until SIGTERM")
    ap.add_argument("--only", action="append", help="UNIT.SYSTEM or UNIT, comma-separated")
    ap.add_argument("--kinds", help="only these kinds, e.g. file,sql")
    ap.add_argument("--seed", type=int, default=411681)
    ap.add_argument("--start", help='simulated start, local time "2026-09-20 00:00:00" '
                    "(default: the span of --duration, or a day, before now)")
    ap.add_argument("--prepare", action="store_true",
                    help="create folders, databases with their registers, tap configs; then exit")
    ap.add_argument("--bad-rate", type=float, default=0.0005,
                    help="share of records followed by a malformed one (default 1 in 2000)")
    ap.add_argument("--min-file-interval", type=float, default=2.0,
                    help="wall seconds between two exports of a realtime system (default 2)")
    ap.add_argument("--http-keep", type=int, default=200000,
                    help="records an http system keeps serving (default 200000)")
    ap.add_argument("--webhook", action="append", default=[], type=lambda s: tuple(s.split("=", 1)),
                    help="UNIT.SYSTEM=URL for a webhook system")
    ap.add_argument("--linger", type=float, default=0,
                    help="after the run, keep serving http and retrying webhooks this long (s), "
                    "or until SIGTERM")
    ap.add_argument("--tick", type=float, default=0.25, help="wall seconds between steps")
    ap.add_argument("--inventory", default=city.INVENTORY)
    ap.add_argument("--list", action="store_true", help="print the systems and how each is simulated")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args()
    sim = Sim(args)
    systems = selected(sim)
    duration = parse_duration(args.duration)
    if args.start:
        sim.start = _timegm(time.strptime(args.start, "%Y-%m-%d %H:%M:%S")) - TZ
    else:
        span = duration * args.speed if duration > 0 else DAY
        sim.start = int(time.time() - span)
    if args.list:
        for s in systems:
            schema = city.load_schema(s["schema"])
            g = make_gen(sim, s, schema)
            kind = type(g).__name__
            extra = ""
            if s["kind"] == "file":
                extra = "%s %s" % city.file_format(s["cid"])
            print("%-36s %-7s %-8s %6d/day  %-20s %s" % (s["cid"], s["kind"], s["cycle"],
                                                         s["per_day"], kind, extra))
        return 0
    os.makedirs(sim.root, exist_ok=True)
    sinks, gens = [], []
    for s in systems:
        schema = city.load_schema(s["schema"])
        g = make_gen(sim, s, schema)
        b = begin_time(s, sim.start)
        if args.prepare:
            if s["kind"] == "sql":
                prepare_sql(sim, s, g, b).close()
            elif s["kind"] == "exec":
                d = os.path.join(city.sim_path(sim.root, s["cid"]), "export")
                os.makedirs(d, exist_ok=True)
                write_tap_config(sim, s, {f.name: XML_TAGS.get(s["cid"], {}).get(f.name, f.name.upper())
                                          for f in g.maker.fields})
            else:
                os.makedirs(city.sim_path(sim.root, s["cid"]), exist_ok=True)
            continue
        g.begin(b)
        sinks.append(SINKS[s["kind"]](sim, s, schema, g, b))
        gens.append(g)
    if args.prepare:
        if not args.quiet:
            print("simulate: prepared %d systems in %s" % (len(systems), sim.root), file=sys.stderr)
        return 0

    def on_signal(signum, frame):
        sim.stop = True
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    wall0 = time.monotonic()
    last_stats = 0
    sim_now = sim.start
    if not args.quiet:
        print("simulate: %d systems, speed %g, simulated start %s, root %s" % (
            len(sinks), args.speed, ts_text(sim.start), sim.root), file=sys.stderr)
    while not sim.stop:
        elapsed = time.monotonic() - wall0
        if duration > 0 and elapsed >= duration:
            elapsed = duration
        sim_now = sim.start + elapsed * args.speed
        for g, s in zip(gens, sinks):
            if not s.backpressure():
                s.add(g.advance(sim_now))
            s.tick(sim_now)
        if time.monotonic() - last_stats >= 5:
            write_stats(sim, sinks, sim_now)
            last_stats = time.monotonic()
        if duration > 0 and elapsed >= duration:
            break
        time.sleep(max(0.0, args.tick - (time.monotonic() - wall0 - elapsed)))
    # everything generated is written; http APIs keep answering and webhooks keep retrying
    # for --linger seconds (or until SIGTERM), then the run ends
    for s in sinks:
        if not isinstance(s, (HttpSink, WebhookSink)):
            s.close()
    write_stats(sim, sinks, sim_now, final=True)
    until = time.monotonic() + args.linger
    sim.stop = False
    while not sim.stop and time.monotonic() < until:
        time.sleep(0.5)
        for s in sinks:
            if isinstance(s, WebhookSink):
                s.stats["pending"] = s.q.qsize() + (1 if s.busy else 0)
        write_stats(sim, sinks, sim_now, final=True)
    for s in sinks:
        if isinstance(s, (HttpSink, WebhookSink)):
            s.close()
    write_stats(sim, sinks, sim_now, final=True)
    if not args.quiet:
        total = sum(s.stats["records"] for s in sinks)
        bad = sum(s.stats["bad"] for s in sinks)
        print("simulate: %d records (%d malformed on purpose) up to %s" % (
            total, bad, ts_text(sim_now)), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
