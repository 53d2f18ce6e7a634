"""The systems the city names, simulated from shared worlds (see simgen.py).

- Hotline: 12345 work orders with their life (受理, 派单, 签收, 退回改派, 延期, 办结, 督办,
  回访, 归档) and the quality cycle 接得快、分得准、办得实、评得好; the work orders (a full
  record at each status), the event log, the quality checks and the call-backs are four views
  of the same orders.
- Incidents: grid incidents reported by the grid workers of the 2,619 grids.
- Whistle: 镇街吹哨、部门报到 tasks raised from escalated incidents, with one record per step
  问题发现—任务分办—协同处置—结果反馈—考核评价, and the weekly evaluation of departments.
- Mediation: cases at the three levels of 综治中心 (市, 镇, 村) and their transfers.
- Services: applications (window and online through 豫事办, 周办, 快办), the online
  submissions, and 一件事 joint cases.
- 党群积分超市 ledger, 高龄认证 at home, 小哥议事会 issues, 双报到, 四议两公开 steps,
  雪亮工程 video alerts (references only), and the grid registers (grids, staff,
  volunteers, grid party units) built from the city's own figures.
"""
import functools

import citymodel as cm
import simvalues as sv
from simgen import (DAY, HOUR, REG_EPOCH, Arrivals, Gen, RegistryGen,
                    period_start, rng_for)
from simvalues import date_text, ymd

gs = cm.gs
HOTLINE = "项城市12345政务服务便民热线中心"
WO_RECORDS_PER_ORDER = 6.2


def staff_name(staff_no):
    """The same grid worker has the same name in every record"""
    return gs.make_name(rng_for("staff", staff_no))


def short_place(g):
    return g.estates[0] if g.estates else g.village.name


# ---- 12345 hotline ----------------------------------------------------------------------

class HotlineWorld:
    """Orders k = 0, 1, ...: their arrival time and whole life, a pure function of (seed, k)"""

    def __init__(self, seed, per_day_records):
        self.seed = seed
        self.arr = Arrivals(per_day_records / WO_RECORDS_PER_ORDER, "calls")
        self.order = functools.lru_cache(maxsize=20000)(self._order)

    def number(self, k):
        t = self.arr.time_of(k)
        return "GD%s%06d" % (ymd(t), k - self.arr.first(sv.local_midnight(t)) + 1)

    def _order(self, k):
        r = rng_for(self.seed, "hotline", k)
        city = cm.get()
        t0 = int(self.arr.time_of(k))
        category, sub, unit, amount_kind, where, titles, contents, replies = r.choice(gs.TOPICS)
        g = city.pick_grid(r, 1.0 if where == "urban" else 0.0 if where == "rural" else 0.5)
        if unit is None:
            unit = cm.TOWN_UNIT[g.town_code]
        caller = cm.person(r)
        if r.random() < 0.03:
            caller["name"] = "匿名"
        amount = gs.fmt_amount(amount_kind, r) if amount_kind else None
        age = r.randint(80, 99)
        addr = city.address(r, g)
        subst = {role: cm.company(r, role) for role in gs.COMPANY_KINDS}
        subst.update({"addr": addr, "place": short_place(g), "age": age,
                      "elder_id": cm.resident_id(r, 2026 - age, "411681"), "amount": amount or "",
                      "n": r.randint(2, 9), "months": r.randint(2, 8), "idno": caller["id_no"],
                      "phone": caller["phone"]})
        i = r.randrange(len(contents))
        content = contents[i].format_map(subst)
        if r.random() < 0.06:
            content += r.choice(gs.SUPPLEMENTS)
        urgency = r.choices(["NORMAL", "URGENT", "VERY_URGENT"], [90, 8, 2])[0]
        deadline = t0 + gs.DEADLINE_S[urgency]
        o = {
            "k": k, "t0": t0, "no": self.number(k), "grid": g, "unit": unit,
            "channel": r.choices(["PHONE", "WECHAT", "WEB", "APP", "LETTER", "OTHER"],
                                 [70, 12, 6, 8, 2, 2])[0],
            "caller": caller, "id_given": "{idno}" in contents[i] or r.random() < 0.35,
            "category": category, "sub": sub, "title": titles[i % len(titles)].format_map(subst),
            "content": content, "address": addr, "urgency": urgency, "deadline": deadline,
            "amount": amount, "reply": replies[i % len(replies)].format_map(subst),
            "answer_wait": r.choices([r.randint(2, 15), r.randint(16, 60)], [88, 12])[0],
        }
        # the life of the order: (time, status or None, event type, actor role)
        steps = [(t0, "RECEIVED", "RECEIVE", "话务员")]
        t = t0 + r.randint(5 * 60, 40 * 60)
        steps.append((t, "DISPATCHED", "DISPATCH", "派单员"))
        o["returned"] = 0
        if r.random() < 0.08:
            t += r.randint(HOUR, 6 * HOUR)
            steps.append((t, "RETURNED", "RETURN", "承办人"))
            t += r.randint(20 * 60, 60 * 60)
            steps.append((t, "DISPATCHED", "DISPATCH", "派单员"))
            o["returned"] = 1
        o["dispatched"] = t
        t += r.randint(10 * 60, 3 * HOUR)
        steps.append((t, "ACCEPTED", "ACCEPT", "承办人"))
        if r.random() < 0.04:
            t += r.randint(HOUR, 12 * HOUR)
            o["new_deadline"] = deadline + 3 * DAY
            o["extended_at"] = t
            steps.append((t, None, "EXTEND", "承办人"))
            deadline = o["new_deadline"]
        late = r.random() < 0.07
        if late:
            ts = deadline + r.randint(600, 6 * HOUR)
            steps.append((ts, "SUPERVISED", "SUPERVISE", "督办员"))
            t = ts + r.randint(2 * HOUR, 2 * DAY)
        else:
            t = min(deadline - 600, t + r.randint(HOUR, 3 * DAY)) if deadline - 600 > t else t + 600
        o["handled"] = t
        o["on_time"] = not late
        steps.append((t, "HANDLED", "HANDLE", "承办人"))
        t += r.randint(2 * HOUR, 30 * HOUR)
        o["called"] = t
        o["reached"] = r.random() < 0.95
        o["satisfaction"] = r.choices([5, 4, 3, 2, 1], [58, 24, 10, 4, 4])[0] if o["reached"] else None
        steps.append((t, "CALLED_BACK", "CALL_BACK", "回访员"))
        t += r.randint(30 * 60, 6 * HOUR)
        steps.append((t, "CLOSED", "CLOSE", "回访员"))
        o["steps"] = steps
        o["operator"] = "RX%04d" % r.randint(1, 60)
        return o


_worlds = {}


def world(sim, name, make):
    key = (sim.seed, name)
    w = _worlds.get(key)
    if w is None:
        w = _worlds[key] = make()
    return w


def hotline(sim):
    return world(sim, "hotline", lambda: HotlineWorld(
        sim.seed, sim.system("hotline12345.workorders")["per_day"]))


class HotlineGen(Gen):
    """Base of the four 12345 systems: arrivals are the world's orders"""
    warmup = 5 * DAY

    def __init__(self, sim, sysd, schema):
        self.world = hotline(sim)
        super().__init__(sim, sysd, schema)

    def arrivals(self):
        return self.world.arr

    def arrive(self, k, t):
        o = self.world.order(k)
        for i, step in enumerate(o["steps"]):
            for j, when in enumerate(self.when(o, i, step)):
                self.later(when, k, i * 4 + j, self.emit, i)
        return []

    def emit(self, t, k, i):
        return [(int(t), r) for r in self.records(self.world.order(k), i)]


class WorkOrderGen(HotlineGen):
    """The full work order, again at each status change"""

    def when(self, o, i, step):
        return [step[0]] if step[1] else []

    def records(self, o, i):
        t, status = o["steps"][i][0], o["steps"][i][1]
        c = o["caller"]
        done = t >= o["handled"]
        return [{
            "order_no": o["no"], "channel": o["channel"], "received_at": o["t0"],
            "caller_name": c["name"], "caller_phone": c["phone"],
            "caller_id_no": c["id_no"] if o["id_given"] else None, "category": o["category"],
            "subcategory": o["sub"], "title": o["title"], "content": o["content"],
            "address": o["address"], "grid_code": o["grid"].code, "handling_unit": o["unit"],
            "deadline": o["new_deadline"] if "new_deadline" in o and t >= o["extended_at"] else
            o["deadline"], "status": status, "urgency": o["urgency"], "amount_involved": o["amount"],
            "satisfaction": o["satisfaction"] if t >= o["called"] else None,
            "reply": o["reply"] if done else None}]


class WorkOrderEventGen(HotlineGen):
    def when(self, o, i, step):
        return [step[0]]

    def records(self, o, i):
        t, status, etype, role = o["steps"][i]
        if status is None:
            status = [s for s in o["steps"][:i] if s[1]][-1][1]
        hotline_side = etype in ("RECEIVE", "DISPATCH", "CALL_BACK", "CLOSE", "SUPERVISE")
        opinion = {"RETURN": "经核实不属于本单位职责范围，申请退回改派。",
                   "EXTEND": "需协调多个部门联合处置，申请延期3个工作日。",
                   "HANDLE": o["reply"],
                   "SUPERVISE": "工单已超出办理时限，请承办单位24小时内办结并答复。",
                   "CALL_BACK": "回访来电人，满意度%s。" % (o["satisfaction"] or "未回访到"),
                   "DISPATCH": "派%s办理。" % o["unit"]}.get(etype)
        return [{
            "event_id": "%s-%02d" % (o["no"], i + 1), "order_no": o["no"], "event_type": etype,
            "occurred_at": t, "status": status,
            "actor_unit": (HOTLINE + ("督办科" if etype == "SUPERVISE" else "")) if hotline_side
            else o["unit"], "actor_role": role,
            "actor_staff_no": o["operator"] if hotline_side else None, "opinion": opinion,
            "new_deadline": o.get("new_deadline") if etype == "EXTEND" else None}]


class QualityGen(HotlineGen):
    """接得快 at receipt, 分得准 at the (last) dispatch, 办得实 when handled, 评得好 at the
    call-back (when the caller was reached)"""

    def when(self, o, i, step):
        etype = step[2]
        if etype == "RECEIVE":
            return [step[0] + o["answer_wait"]]
        if etype == "DISPATCH" and step[0] == o["dispatched"]:
            return [step[0]]
        if etype == "HANDLE":
            return [step[0]]
        if etype == "CALL_BACK" and o["reached"]:
            return [step[0]]
        return []

    def records(self, o, i):
        t, _, etype, _ = o["steps"][i]
        if etype == "RECEIVE":
            stage, letter, metric, value, target = "RECEIPT", "R", "接通等待时长（秒）", \
                float(o["answer_wait"]), 15.0
            passed = value <= target
        elif etype == "DISPATCH":
            stage, letter, metric = "DISPATCH", "D", "受理至派单（分钟）"
            value, target = round((t - o["t0"]) / 60.0, 1), 30.0
            passed = value <= target and not o["returned"]
        elif etype == "HANDLE":
            stage, letter, metric = "HANDLING", "H", "办理用时（小时）"
            value = round((t - o["dispatched"]) / 3600.0, 1)
            target = round((o.get("new_deadline", o["deadline"]) - o["dispatched"]) / 3600.0, 1)
            passed = o["on_time"]
        else:
            stage, letter, metric = "EVALUATION", "E", "回访满意度（1–5）"
            value, target = float(o["satisfaction"]), 4.0
            passed = value >= target
        r = rng_for(self.seed, "quality", o["k"], letter)
        return [{
            "check_id": "%s-%s" % (o["no"], letter), "order_no": o["no"], "stage": stage,
            "stage_at": int(t),
            "handling_unit": o["unit"] if stage != "RECEIPT" else None, "metric": metric,
            "value": value, "target": target, "passed": passed,
            "returned_count": o["returned"] if stage == "DISPATCH" else 0,
            "deduction": "0.00" if passed else r.choice(["0.50", "1.00", "2.00"]),
            "reviewer_staff_no": "ZJ%03d" % r.randint(1, 12),
            "remark": None if passed else {
                "RECEIPT": "高峰时段排队，接通超时。", "DISPATCH": "首次派单不准确，承办单位申请退回。",
                "HANDLING": "超出办理时限，已督办。", "EVALUATION": "来电人对办理结果不满意。"}[stage]}]


class CallbackGen(HotlineGen):
    def when(self, o, i, step):
        return [step[0]] if step[2] == "CALL_BACK" else []

    def records(self, o, i):
        t = o["steps"][i][0]
        r = rng_for(self.seed, "callback", o["k"])
        sat = o["satisfaction"]
        return [{
            "callback_id": "HF%s%s" % (ymd(t), o["no"][-6:]), "order_no": o["no"],
            "called_at": int(t), "method": r.choices(["PHONE", "SMS", "WECHAT"], [80, 12, 8])[0],
            "reached": o["reached"],
            "resolved": "UNKNOWN" if sat is None else "RESOLVED" if sat >= 4 else
            "PARTLY" if sat == 3 else "UNRESOLVED",
            "satisfaction": sat, "handling_unit": o["unit"],
            "caller_opinion": None if sat is None else r.choice(sv.TEXTS[("callback", "caller_opinion")]),
            "reopened": sat is not None and sat <= 2 and r.random() < 0.5,
            "agent_staff_no": "HF%03d" % r.randint(1, 30)}]


# ---- grid incidents ---------------------------------------------------------------------

INC_RECORDS = 4.1


class IncidentWorld:
    def __init__(self, seed, per_day_records):
        self.seed = seed
        self.arr = Arrivals(per_day_records / INC_RECORDS, "office")
        self.incident = functools.lru_cache(maxsize=20000)(self._incident)

    def number(self, k):
        t = self.arr.time_of(k)
        return "SJ%s%06d" % (ymd(t), k - self.arr.first(sv.local_midnight(t)) + 1)

    def _incident(self, k):
        r = rng_for(self.seed, "incident", k)
        city = cm.get()
        g = city.pick_grid(r)
        staff = g.full_time or g.part_time
        urban = g.type != "RURAL"
        choices = gs.INC_URBAN if urban else gs.INC_RURAL
        category, lo, hi, text = r.choice(choices)
        subst = {"village": g.village.name, "estate": short_place(g), "name": gs.make_name(r),
                 "age": r.randint(80, 96), "phone": gs.make_phone(r), "bld": r.randint(1, 24),
                 "road": r.choice(gs.ROADS), "road2": r.choice(gs.ROADS)}
        t0 = int(self.arr.time_of(k))
        source = r.choices(["PATROL", "RESIDENT", "HOTLINE", "VIDEO", "OTHER"], [70, 15, 10, 4, 1])[0]
        o = {"k": k, "t0": t0, "no": self.number(k), "grid": g, "staff": staff,
             "category": category, "description": text.format_map(subst), "source": source,
             "address": city.address(r, g) if r.random() < 0.92 else None,
             "location": city.position(r, g) if r.random() < 0.85 else None,
             "persons": r.randint(lo, hi), "photos": r.randint(0, 6)}
        steps = [(t0, "REPORTED")]
        t = t0 + r.randint(10 * 60, 2 * HOUR)
        steps.append((t, "ACCEPTED"))
        if r.random() < 0.35:
            t += r.randint(20 * 60, 4 * HOUR)
            steps.append((t, "DISPATCHED"))
        o["escalated"] = r.random() < 0.05
        if o["escalated"]:
            t += r.randint(HOUR, DAY)
            steps.append((t, "ESCALATED"))
        t += r.randint(HOUR, 3 * DAY)
        steps.append((t, "RESOLVED"))
        o["resolved"] = t
        if r.random() < 0.7:
            steps.append((t + r.randint(2 * HOUR, 2 * DAY), "CLOSED"))
        o["steps"] = steps
        return o


def incidents(sim):
    return world(sim, "incident", lambda: IncidentWorld(
        sim.seed, sim.system("grid.incidents")["per_day"]))


class IncidentGen(Gen):
    warmup = 3 * DAY

    def __init__(self, sim, sysd, schema):
        self.world = incidents(sim)
        self.hot = hotline(sim)
        super().__init__(sim, sysd, schema)

    def arrivals(self):
        return self.world.arr

    def arrive(self, k, t):
        o = self.world.incident(k)
        for i, (when, _) in enumerate(o["steps"]):
            self.later(when, k, i, self.emit, i)
        return []

    def emit(self, t, k, i):
        o = self.world.incident(k)
        status = o["steps"][i][1]
        hot = None
        if o["source"] == "HOTLINE":
            hot = self.hot.number(max(0, self.hot.arr.first(o["t0"]) - 1 - k % 40))
        return [(int(t), {
            "incident_no": o["no"], "grid_code": o["grid"].code, "source": o["source"],
            "reporter_staff_no": o["staff"], "reporter_name": staff_name(o["staff"]),
            "reported_at": o["t0"], "category": o["category"], "description": o["description"],
            "address": o["address"], "location": o["location"],
            "involved_persons_count": o["persons"], "status": status,
            "resolved_at": o["resolved"] if status in ("RESOLVED", "CLOSED") else None,
            "photo_count": o["photos"], "hotline_order_no": hot})]


# ---- 镇街吹哨、部门报到 ----------------------------------------------------------------

ISSUES = [
    ("违法建设", ["市城市管理局", "市自然资源局"]), ("安全生产", ["市应急管理局", "市市场监督管理局"]),
    ("环境污染", ["周口市生态环境局项城分局", "市城市管理局"]), ("欠薪", ["市人力资源和社会保障局", "市住房和城乡建设局"]),
    ("房屋安全", ["市住房和城乡建设局"]), ("河道污染", ["市水利局", "周口市生态环境局项城分局"]),
    ("占道经营", ["市城市管理局", "市公安局交通管理大队"]), ("燃气安全", ["市住房和城乡建设局", "市消防救援大队"]),
    ("耕地保护", ["市自然资源局", "市农业农村局"]),
]
WHISTLE_RECORDS = 5.0


class WhistleWorld:
    def __init__(self, seed, per_day_records, inc):
        self.seed, self.inc = seed, inc
        self.arr = Arrivals(per_day_records / WHISTLE_RECORDS, "office")
        self.task = functools.lru_cache(maxsize=5000)(self._task)

    def number(self, k):
        t = self.arr.time_of(k)
        return "CS%s%04d" % (ymd(t), k - self.arr.first(sv.local_midnight(t)) + 1)

    def _task(self, k):
        r = rng_for(self.seed, "whistle", k)
        t0 = int(self.arr.time_of(k))
        ik = max(0, self.inc.arr.first(t0) - r.randint(20, 400))
        inc = self.inc.incident(ik)
        g = inc["grid"]
        issue, units = r.choice(ISSUES)
        units = units[:r.randint(1, len(units))]
        o = {"k": k, "t0": t0, "no": self.number(k), "inc": inc, "grid": g, "issue": issue,
             "units": units, "town": cm.TOWN_UNIT[g.town_code]}
        o["respond_deadline"] = t0 + (2 * HOUR if r.random() < 0.3 else DAY)
        o["overdue"] = r.random() < 0.08
        o["responded"] = [t0 + r.randint(30 * 60, 20 * HOUR) + (DAY if o["overdue"] else 0)
                          for _ in units]
        o["done"] = max(o["responded"]) + r.randint(HOUR, 5 * DAY)
        o["evaluated"] = o["done"] + r.randint(4 * HOUR, 2 * DAY)
        o["score"] = r.randint(60, 86) if o["overdue"] else r.randint(85, 100)
        o["title"] = "%s%s%s问题" % (g.town, short_place(g), issue)
        o["feedback"] = r.choice(["已联合执法，问题已整改到位。", "部门已现场处置完毕，镇街核查通过。",
                                  "已督促责任主体限期整改，整改完成。"])
        return o


def whistle(sim):
    return world(sim, "whistle", lambda: WhistleWorld(
        sim.seed, sim.system("whistle.tasks")["per_day"], incidents(sim)))


class WhistleTaskGen(Gen):
    """the task itself, again at each status (the http API's current state)"""
    warmup = 7 * DAY

    def __init__(self, sim, sysd, schema):
        self.world = whistle(sim)
        super().__init__(sim, sysd, schema)

    def arrivals(self):
        return self.world.arr

    def statuses(self, o):
        s = [(o["t0"], "WHISTLED"), (max(o["responded"]), "OVERDUE" if o["overdue"] else "RESPONDED"),
             (max(o["responded"]) + 600, "IN_PROGRESS"), (o["done"], "DONE"),
             (o["evaluated"], "EVALUATED")]
        return s

    def arrive(self, k, t):
        o = self.world.task(k)
        for i, (when, st) in enumerate(self.statuses(o)):
            self.later(when, k, i, self.emit, st)
        return []

    def emit(self, t, k, status):
        o = self.world.task(k)
        g = o["grid"]
        return [(int(t), {
            "task_no": o["no"], "whistled_at": o["t0"], "whistling_unit": o["town"],
            "grid_code": g.code, "issue_type": o["issue"], "title": o["title"],
            "description": o["inc"]["description"], "address": o["inc"]["address"],
            "responding_units": "、".join(o["units"]), "respond_deadline": o["respond_deadline"],
            "responded_at": max(o["responded"]) if status != "WHISTLED" else None,
            "status": status, "evaluation": (o["score"] + 19) // 20 if status == "EVALUATED" else None,
            "source_ref": o["inc"]["no"]})]


class WhistleStepGen(WhistleTaskGen):
    """问题发现—任务分办—协同处置—结果反馈—考核评价: one record per step"""

    def arrive(self, k, t):
        o = self.world.task(k)
        steps = [(o["inc"]["t0"], "DISCOVER", None), (o["t0"], "ASSIGN", None)]
        steps += [(rt, "COORDINATE", u) for rt, u in zip(o["responded"], o["units"])]
        steps += [(o["done"], "FEEDBACK", None), (o["evaluated"], "EVALUATE", None)]
        for i, (when, step, unit) in enumerate(steps):
            self.later(max(when, o["t0"] - 1 if step == "DISCOVER" else when), k, i, self.step,
                       i, step, unit)
        return []

    def step(self, t, k, i, step, unit):
        o = self.world.task(k)
        inc = o["inc"]
        actor = {"DISCOVER": (o["town"], "网格员", inc["staff"]),
                 "ASSIGN": (o["town"], "镇街吹哨人", None),
                 "COORDINATE": (unit, "部门报到人", None),
                 "FEEDBACK": (o["town"], "镇街吹哨人", None),
                 "EVALUATE": ("项城市“镇街吹哨、部门报到”工作专班办公室", "专班考核员", None)}[step]
        content = {"DISCOVER": inc["description"],
                   "ASSIGN": "%s难以单独解决，吹哨请%s到场联合处置。" % (o["title"], "、".join(o["units"])),
                   "COORDINATE": "%s已到场报到，会同镇街现场处置。" % unit,
                   "FEEDBACK": o["feedback"],
                   "EVALUATE": "按时报到、处置到位，评分%d。" % o["score"] if not o["overdue"] else
                   "报到超时，处置基本到位，评分%d。" % o["score"]}[step]
        return [(int(t), {
            "step_id": "%s-%d" % (o["no"], i + 1), "task_no": o["no"], "step": step,
            "step_seq": i + 1, "occurred_at": int(t), "whistling_unit": o["town"],
            "actor_unit": actor[0], "actor_role": actor[1], "actor_staff_no": actor[2],
            "responding_units": "、".join(o["units"]) if step == "ASSIGN" else None,
            "deadline": o["respond_deadline"] if step == "ASSIGN" else None, "content": content,
            "on_time": (not o["overdue"]) if step in ("COORDINATE", "FEEDBACK") else None,
            "score": o["score"] if step == "EVALUATE" else None,
            "source_ref": inc["no"] if step == "DISCOVER" else None})]


class WhistleEvaluationGen(Gen):
    """weekly: one record per department answering whistles"""

    def __init__(self, sim, sysd, schema):
        self.world = whistle(sim)
        super().__init__(sim, sysd, schema)
        self.depts = sorted({u for _, us in ISSUES for u in us})

    def arrivals(self):
        return None

    def begin(self, t):
        self.emit_from = t
        self.next = period_start(t, "weekly") - 7 * DAY

    def advance(self, t1):
        out = []
        while self.next + 7 * DAY <= t1:
            w0, w1 = self.next, self.next + 7 * DAY
            stats = {d: [0, 0, 0, 0.0, []] for d in self.depts}
            for k in range(self.world.arr.first(w0), self.world.arr.first(w1)):
                o = self.world.task(k)
                for rt, u in zip(o["responded"], o["units"]):
                    s = stats[u]
                    s[0] += 1
                    s[1] += 0 if o["overdue"] else 1
                    s[2] += 1 if o["done"] < w1 else 0
                    s[3] += (rt - o["t0"]) / 3600.0
                    s[4].append(o["score"])
            ranked = sorted(self.depts, key=lambda d: -(sum(stats[d][4]) / len(stats[d][4])
                                                       if stats[d][4] else 0))
            week = sv.time.strftime("%G-W%V", sv.local_tm(w0))
            for d in self.depts:
                s = stats[d]
                if not s[0]:
                    continue
                out.append((w1, {"evaluation_id": "PJ%s-%02d" % (week, self.depts.index(d) + 1),
                                 "week": week, "department": d, "tasks": s[0], "on_time": s[1],
                                 "resolved": s[2], "avg_response_hours": round(s[3] / s[0], 1),
                                 "avg_score": round(sum(s[4]) / len(s[4]), 1),
                                 "rank": ranked.index(d) + 1}))
            self.next = w1
        return out


# ---- mediation at the three levels of 综治中心 -------------------------------------------

def center_name(level, g):
    if level == "CITY":
        return "项城市综治中心"
    if level == "TOWN":
        return "%s综治中心" % g.town
    return "%s%s综治中心" % (g.town, g.village.name)


class MediationWorld:
    def __init__(self, seed, per_day_records):
        self.seed = seed
        self.arr = Arrivals(per_day_records / 3.2, "office")
        self.case = functools.lru_cache(maxsize=5000)(self._case)

    def _case(self, k):
        r = rng_for(self.seed, "mediation", k)
        city = cm.get()
        g = city.pick_grid(r, 0.35)
        t0 = int(self.arr.time_of(k))
        level = r.choices(["VILLAGE", "TOWN", "CITY"], [60, 30, 10])[0]
        kind, summary = r.choice(DISPUTES)
        a, b = cm.person(r), cm.person(r)
        o = {"k": k, "t0": t0, "no": "TJ%s%06d" % (sv.time.strftime("%Y", sv.local_tm(t0)), k % 1000000),
             "grid": g, "level": level, "kind": kind, "summary": "%s%s%s" % (g.town, g.village.name, summary),
             "a": a, "b": b, "source": r.choices(["APPLICATION", "GRID", "REFERRAL", "INITIATIVE"],
                                                 [45, 25, 20, 10])[0],
             "amount": "%d.00" % (r.randint(5, 900) * 100) if r.random() < 0.55 else None,
             "mediator": gs.make_name(r), "parties": r.choice([2, 2, 2, 3, 4])}
        o["mediating"] = t0 + r.randint(HOUR, 2 * DAY)
        o["final"] = o["mediating"] + r.randint(DAY, 15 * DAY)
        o["result"] = r.choices(["AGREED", "FAILED", "WITHDRAWN", "REFERRED"], [75, 8, 5, 12])[0]
        o["performed"] = r.random() < 0.9
        o["judicial"] = o["result"] == "AGREED" and r.random() < 0.2
        o["transfers"] = []
        lvl, t = level, o["mediating"]
        while lvl != "CITY" and r.random() < (0.2 if lvl == "VILLAGE" else 0.1):
            nxt = "TOWN" if lvl == "VILLAGE" else "CITY"
            t += r.randint(6 * HOUR, 3 * DAY)
            o["transfers"].append((t, lvl, nxt, "ESCALATE"))
            lvl = nxt
        if o["result"] == "REFERRED":
            o["transfers"].append((o["final"] - HOUR, lvl, lvl, "REFER"))
        o["final_level"] = lvl
        return o


DISPUTES = [(k, s) for k, s in [
    ("婚姻家庭纠纷", "双方因离婚后子女抚养费支付问题发生争执，申请人要求被申请人按月支付抚养费。"),
    ("邻里纠纷", "双方因宅基地边界和滴水檐问题多次发生口角，影响邻里关系。"),
    ("土地承包经营纠纷", "双方对承包地流转合同到期后的收回时间和青苗补偿存在争议。"),
    ("劳务报酬纠纷", "申请人在被申请人承包的工地务工，工程结束后劳务费一直未结清。"),
    ("损害赔偿纠纷", "被申请人饲养的家犬咬伤申请人，双方就医疗费赔偿数额协商未果。"),
    ("物业纠纷", "业主以电梯长期故障为由拒交物业费，物业公司要求补交欠费。"),
    ("道路交通事故纠纷", "双方电动车在村道相撞，就误工费和车辆维修费赔偿产生分歧。"),
    ("赡养纠纷", "老人反映子女互相推诿，不愿承担赡养费用和日常照料。"),
]]


def mediation(sim):
    return world(sim, "mediation", lambda: MediationWorld(
        sim.seed, sim.system("mediation.cases")["per_day"]))


class CaseGen(Gen):
    """the case row, written again at each change (sql upsert)"""
    warmup = 10 * DAY

    def __init__(self, sim, sysd, schema):
        self.world = mediation(sim)
        super().__init__(sim, sysd, schema)

    def arrivals(self):
        return self.world.arr

    def arrive(self, k, t):
        o = self.world.case(k)
        for i, when in enumerate([o["t0"], o["mediating"]] + [x[0] for x in o["transfers"]] +
                                 [o["final"]]):
            self.later(when, k, i, self.emit)
        return []

    def emit(self, t, k):
        o = self.world.case(k)
        level = o["level"]
        for tt, _, nxt, _ in o["transfers"]:
            if tt <= t:
                level = nxt
        status = "ACCEPTED" if t < o["mediating"] else o["result"] if t >= o["final"] else "MEDIATING"
        a, b = o["a"], o["b"]
        return [(int(t), {
            "case_no": o["no"], "accepted_at": o["t0"], "source": o["source"],
            "dispute_type": o["kind"], "applicant_name": a["name"], "applicant_phone": a["phone"],
            "applicant_id_no": a["id_no"], "respondent_name": b["name"],
            "respondent_id_no": b["id_no"] if o["k"] % 2 else None,
            "parties_count": o["parties"], "summary": o["summary"], "amount_involved": o["amount"],
            "committee": center_name(level, o["grid"]).replace("综治中心", "人民调解委员会"),
            "mediator_name": o["mediator"], "status": status,
            "agreement_performed": o["performed"] if status == "AGREED" else None,
            "judicial_confirmation": o["judicial"] if status == "AGREED" else False,
            "closed_at": o["final"] if t >= o["final"] else None, "center_level": level,
            "center_name": center_name(level, o["grid"]), "township": o["grid"].town})]


class TransferGen(CaseGen):
    def arrive(self, k, t):
        o = self.world.case(k)
        for i, tr in enumerate(o["transfers"]):
            self.later(tr[0], k, 2 * i, self.emit_transfer, i, False)
            self.later(tr[0] + 3600 * (2 + k % 20), k, 2 * i + 1, self.emit_transfer, i, True)
        return []

    def emit_transfer(self, t, k, i, received):
        o = self.world.case(k)
        tt, frm, to, direction = o["transfers"][i]
        g = o["grid"]
        reason = {"ESCALATE": "村级调解不成，当事人申请上级综治中心组织联合调解。" if frm == "VILLAGE"
                  else "涉及多个部门需联合调处，提请市综治中心统筹。",
                  "REFER": "调解不成，引导当事人通过诉讼解决，移交法院诉前调解。"}[direction]
        return [(int(t), {
            "transfer_id": "%s-%02d" % (o["no"], i + 1), "case_no": o["no"], "from_level": frm,
            "from_center": center_name(frm, g), "to_level": to,
            "to_center": "项城市人民法院诉前调解中心" if direction == "REFER" else center_name(to, g),
            "direction": direction, "reason": reason, "transferred_at": int(tt),
            "received_at": int(t) if received else None, "deadline": int(tt) + 15 * DAY,
            "operator_role": {"VILLAGE": "村综治专干", "TOWN": "镇综治中心主任", "CITY": "市综治中心值班员"}[frm],
            "status": "RECEIVED" if received else "SENT"})]


# ---- government services ----------------------------------------------------------------

ITEMS = [
    ("城乡居民养老保险待遇申领", "PAYMENT", 5, "0.00", "项城市人力资源和社会保障局"),
    ("个体工商户设立登记", "LICENSING", 1, "0.00", "项城市市场监督管理局"),
    ("居民身份证换领", "PUBLIC_SERVICE", 15, "20.00", "项城市公安局"),
    ("高龄津贴申领", "PAYMENT", 10, "0.00", "项城市民政局"),
    ("不动产登记资料查询", "PUBLIC_SERVICE", 1, "0.00", "项城市自然资源局"),
    ("不动产转移登记", "CONFIRMATION", 5, "80.00", "项城市自然资源局"),
    ("食品经营许可", "LICENSING", 10, "0.00", "项城市市场监督管理局"),
    ("城乡居民医保参保登记", "PUBLIC_SERVICE", 1, "0.00", "项城市医疗保障局"),
    ("出生医学证明签发", "PUBLIC_SERVICE", 1, "0.00", "项城市卫生健康委员会"),
    ("残疾人两项补贴申请", "PAYMENT", 20, "0.00", "项城市民政局"),
    ("建筑工程施工许可", "LICENSING", 5, "0.00", "项城市住房和城乡建设局"),
    ("灵活就业人员社保登记", "PUBLIC_SERVICE", 1, "0.00", "项城市人力资源和社会保障局"),
]
ONE_THINGS = [
    ("新生儿出生一件事", ["市卫生健康委员会", "市公安局", "市医疗保障局", "市人力资源和社会保障局"]),
    ("退休一件事", ["市人力资源和社会保障局", "市医疗保障局", "市住房公积金管理中心"]),
    ("企业信息变更一件事", ["市市场监督管理局", "国家税务总局项城市税务局", "市人力资源和社会保障局"]),
    ("开办餐饮店一件事", ["市市场监督管理局", "市消防救援大队", "市城市管理局"]),
    ("身后一件事", ["市民政局", "市公安局", "市人力资源和社会保障局", "市医疗保障局"]),
    ("二手房转移登记及水电气网联合过户一件事", ["市自然资源局", "国家税务总局项城市税务局", "项城市自来水公司", "国网项城市供电公司"]),
    ("残疾人服务一件事", ["市残疾人联合会", "市民政局", "市医疗保障局"]),
]
PLATFORMS = (["YUSHIBAN", "ZHOUBAN", "KUAIBAN", "HNZWFW"], [50, 30, 15, 5])


class AppWorld:
    def __init__(self, seed, per_day_records):
        self.seed = seed
        self.arr = Arrivals(per_day_records / 3.7, "office")
        self.app = functools.lru_cache(maxsize=20000)(self._app)

    def number(self, k):
        t = self.arr.time_of(k)
        return "BJ%s%06d" % (ymd(t), k - self.arr.first(sv.local_midnight(t)) + 1)

    def _app(self, k):
        r = rng_for(self.seed, "app", k)
        g = cm.get().pick_grid(r)
        item = r.choice(ITEMS)
        entity = item[1] == "LICENSING" and r.random() < 0.5
        p = cm.person(r)
        t0 = int(self.arr.time_of(k))
        channel = r.choices(["WINDOW", "ONLINE", "SELF_SERVICE", "AGENT", "MAIL"], [45, 40, 8, 5, 2])[0]
        o = {"k": k, "t0": t0, "no": self.number(k), "item": item, "entity": entity, "p": p,
             "grid": g, "channel": channel,
             "platform": r.choices(*PLATFORMS)[0] if channel == "ONLINE" else None,
             "uscc": cm.uscc(r) if entity else None,
             "name": cm.company(r, "shop") if entity else p["name"],
             "unit": "项城市政务服务中心" if r.random() < 0.6 else "%s便民服务中心" % g.town,
             "code": "11411681MB%07dX4%s" % (ITEMS.index(item) * 1000 + 117, "000117001")}
        steps = []
        t = t0
        if channel == "ONLINE":
            steps.append((t, "SUBMITTED"))
            t += r.randint(10 * 60, 4 * HOUR)
        steps.append((t, "ACCEPTED"))
        o["accepted"] = t
        t += r.randint(HOUR, max(2 * HOUR, item[2] * 8 * HOUR))
        steps.append((t, "IN_REVIEW"))
        t += r.randint(HOUR, max(2 * HOUR, item[2] * 10 * HOUR))
        final = r.choices(["APPROVED", "DENIED"], [96, 4])[0] if item[1] == "LICENSING" else "APPROVED"
        steps.append((t, final))
        o["completed"] = t
        if final == "APPROVED" and r.random() < 0.5:
            steps.append((t + r.randint(HOUR, DAY), "DELIVERED"))
        o["steps"] = steps
        o["pre_review"] = r.choices(["PASSED", "RETURNED", "REJECTED"], [90, 7, 3])[0]
        o["satisfaction"] = r.choices([5, 4, 3, 2, 1], [70, 20, 6, 2, 2])[0] if r.random() < 0.6 else None
        o["auth"] = r.choices(["FACE", "ELECTRONIC_ID", "SMS"], [60, 25, 15])[0]
        o["terminal"] = r.choices(["APP", "MINI_PROGRAM", "WEB"], [55, 35, 10])[0]
        return o


def apps(sim):
    return world(sim, "app", lambda: AppWorld(
        sim.seed, sim.system("govservice.applications")["per_day"]))


class ApplicationGen(Gen):
    warmup = 5 * DAY

    def __init__(self, sim, sysd, schema):
        self.world = apps(sim)
        super().__init__(sim, sysd, schema)

    def arrivals(self):
        return self.world.arr

    def arrive(self, k, t):
        o = self.world.app(k)
        if o["channel"] == "ONLINE" and o["pre_review"] != "PASSED":
            o = dict(o, steps=o["steps"][:1])
        for i, (when, st) in enumerate(o["steps"]):
            self.later(when, k, i, self.emit, st)
        return []

    def emit(self, t, k, status):
        o = self.world.app(k)
        item, p = o["item"], o["p"]
        done = status in ("APPROVED", "DENIED", "DELIVERED")
        return [(int(t), {
            "application_no": o["no"], "item_code": o["code"], "item_name": item[0],
            "service_type": item[1], "applicant_type": "ENTITY" if o["entity"] else "PERSON",
            "applicant_name": o["name"], "applicant_id_no": None if o["entity"] else p["id_no"],
            "applicant_uscc": o["uscc"], "contact_phone": p["phone"], "channel": o["channel"],
            "accepting_unit": o["unit"], "submitted_at": o["t0"],
            "accepted_at": o["accepted"] if t >= o["accepted"] else None,
            "promised_days": item[2], "status": status,
            "completed_at": o["completed"] if done else None, "fee": item[3],
            "satisfaction": o["satisfaction"] if done else None,
            "online_platform": o["platform"], "one_thing_case_no": None})]


class OnlineAppGen(ApplicationGen):
    def arrive(self, k, t):
        o = self.world.app(k)
        if o["channel"] != "ONLINE":
            return []
        self.later(o["t0"], k, 0, self.emit_online, False)
        self.later(o["steps"][1][0] if len(o["steps"]) > 1 else o["t0"] + 3600, k, 1,
                   self.emit_online, True)
        return []

    def emit_online(self, t, k, reviewed):
        o = self.world.app(k)
        p = o["p"]
        passed = reviewed and o["pre_review"] == "PASSED"
        return [(int(t), {
            "submission_no": "WS%s" % o["no"][2:], "platform": o["platform"],
            "terminal": o["terminal"], "item_code": o["code"], "item_name": o["item"][0],
            "one_thing": None, "applicant_name": o["name"],
            "applicant_id_no": None if o["entity"] else p["id_no"], "contact_phone": p["phone"],
            "auth_method": o["auth"], "submitted_at": o["t0"],
            "pre_review": o["pre_review"] if reviewed else "PENDING",
            "application_no": o["no"] if passed else None, "township": o["grid"].town,
            "updated_at": int(t)})]


class OneThingGen(Gen):
    warmup = 5 * DAY
    per_entity = 3.0

    def arrive(self, k, t):
        for i, dt in enumerate((0, 2 * HOUR + k % 7 * 600, DAY + k % 11 * 3600)):
            self.later(t + dt, k, i, self.emit, i)
        return []

    def emit(self, t, k, i):
        r = rng_for(self.seed, self.cid, k)
        name, units = r.choice(ONE_THINGS)
        p = cm.person(r)
        t0 = int(self.arr.time_of(k))
        channel = r.choices(["WINDOW", "ONLINE", "AGENT"], [55, 38, 7])[0]
        status = ["ACCEPTED", "IN_PROGRESS", "COMPLETED"][i]
        entity = name.startswith(("企业", "开办"))
        return [(int(t), {
            "case_no": "YJS%s%05d" % (ymd(t0), self.day_seq(k, t0)), "one_thing": name,
            "applicant_type": "ENTITY" if entity else "PERSON",
            "applicant_name": cm.company(r, "shop") if entity else p["name"],
            "applicant_id_no": None if entity else p["id_no"],
            "applicant_uscc": cm.uscc(r) if entity else None, "contact_phone": p["phone"],
            "channel": channel,
            "online_platform": r.choices(["豫事办", "周办", "快办"], [55, 30, 15])[0] if channel == "ONLINE" else None,
            "item_count": len(units) + r.randint(0, 3), "units": "、".join(units),
            "submitted_at": t0, "completed_at": int(t) if status == "COMPLETED" else None,
            "status": status, "materials_saved": r.randint(3, 12), "trips_saved": r.randint(2, 5),
            "updated_at": int(t)})]


# ---- 党群积分超市 -----------------------------------------------------------------------

EARN = [("人居环境整治", 5), ("志愿服务", 10), ("移风易俗", 10), ("孝老爱亲", 20), ("垃圾分类", 2),
        ("参加党员活动", 5), ("矛盾调解", 10), ("文明家庭评选", 30)]
GOODS = [("食用油", 50), ("洗衣液", 20), ("大米", 60), ("毛巾", 10), ("香皂", 5), ("面粉", 40),
         ("牙膏", 8)]


class PointsMarketGen(Gen):
    """a ledger: balances are kept per household account, in time order"""
    profile = "office"

    def __init__(self, sim, sysd, schema):
        super().__init__(sim, sysd, schema)
        self.balance = {}

    def arrive(self, k, t):
        r = rng_for(self.seed, self.cid, k)
        city = cm.get()
        v = r.choice(city.villages)
        acct = "JFZH%s%03d" % (v.code, r.randint(1, 120))
        bal = self.balance.get(acct)
        if bal is None:
            bal = rng_for(self.seed, self.cid, acct).randint(0, 200)
        kind = r.choices(["EARN", "REDEEM", "DEDUCT"], [80, 18, 2])[0]
        if kind == "REDEEM":
            item, pts = r.choice(GOODS)
            if pts > bal:
                kind = "EARN"
            else:
                pts = -pts
        if kind == "EARN":
            item, pts = r.choice(EARN)
        elif kind == "DEDUCT":
            item, pts = "人居环境整治不达标", -min(bal, 5)
        bal += pts
        self.balance[acct] = bal
        holder = rng_for("account", acct)
        return [(int(t), {
            "entry_id": "JF%s%06d" % (ymd(t), self.day_seq(k, t)), "account_no": acct,
            "holder_name": gs.make_name(holder),
            "holder_type": holder.choices(["PARTY_MEMBER", "RESIDENT", "VOLUNTEER", "GIG_WORKER"],
                                          [20, 70, 8, 2])[0],
            "market": "%s%s党群积分超市" % (v.town, v.name), "township": v.town, "community": v.name,
            "entry_type": kind, "item": item, "points": pts, "balance": bal, "occurred_at": int(t),
            "verified_by": r.choice(["村党支部书记", "网格员", "超市管理员"])})]


# ---- 高龄认证 ---------------------------------------------------------------------------

class ElderlyCertGen(Gen):
    profile = "office"
    per_entity = 1.05

    def arrive(self, k, t):
        r = rng_for(self.seed, self.cid, k)
        g = cm.get().pick_grid(r, 0.3)
        age = min(104, 80 + int(r.expovariate(0.18)))
        p = cm.person(r, age)
        p["id_no"] = cm.resident_id(r, 2026 - age, "411681", p["female"])
        tm = sv.local_tm(t)
        born = (int(p["id_no"][6:10]), int(p["id_no"][10:12]), int(p["id_no"][12:14]))
        age = tm.tm_year - born[0] - ((tm.tm_mon, tm.tm_mday) < born[1:])
        if age < 80:  # not 80 yet this year: certified from next year on
            p["id_no"] = cm.resident_id(r, born[0] - 1, "411681", p["female"])
            age += 1
            born = (int(p["id_no"][6:10]), int(p["id_no"][10:12]), int(p["id_no"][12:14]))
            age = tm.tm_year - born[0] - ((tm.tm_mon, tm.tm_mday) < born[1:])
        tier = "AGE_80_89" if age < 90 else "AGE_90_99" if age < 100 else "AGE_100_PLUS"
        method = r.choices(["ON_SITE", "FACE_APP", "VIDEO", "AGENT"], [60, 25, 8, 7])[0]
        result = r.choices(["PASSED", "PENDING_REVIEW", "FAILED"], [94, 5, 1])[0]
        rec = {
            "cert_id": "GL%s%05d" % (ymd(t), self.day_seq(k, t)), "id_no": p["id_no"],
            "name": p["name"], "age": age, "township": g.town, "community": g.village.name,
            "allowance_tier": tier,
            "monthly_allowance": {"AGE_80_89": "50.00", "AGE_90_99": "100.00", "AGE_100_PLUS": "300.00"}[tier],
            "method": method, "certified_at": int(t), "result": result,
            "agent_name": gs.make_name(r) if method == "AGENT" else None,
            "valid_until": date_text(t + 365 * DAY),
            "certifier_staff_no": (g.full_time or g.part_time) if method in ("ON_SITE", "AGENT") else None,
            "grid_code": g.code}
        out = [(int(t), rec)]
        if result == "PENDING_REVIEW":
            out.append((int(t) + 2 * DAY, dict(rec, result="PASSED")))
        return out


# ---- 小哥议事会, 双报到, 四议两公开 -----------------------------------------------------

COUNCIL_ISSUES = [
    ("停车难", "外卖骑手反映{place}一带没有电动车临时停放点，送餐时常被贴条。", "市城市管理局",
     "在{place}周边划设电动车临时停放区{n}处。"),
    ("充电难", "快递员反映驿站附近没有集中充电桩，电池经常不够跑一天。", "市住房和城乡建设局",
     "协调在{place}新增集中充电柜{n}组。"),
    ("进小区难", "骑手反映{place}小区禁止外卖电动车进入，送餐需步行很远。", "{town}",
     "协调物业开通骑手专用通道并设置取餐柜。"),
    ("就餐休息难", "网约车司机反映夜间找不到休息和吃饭的地方。", "{town}",
     "在{place}小哥驿站延长开放时间，提供热水和微波炉。"),
    ("劳动权益", "骑手反映站点扣款规则不透明，遇到纠纷不知道找谁。", "市人力资源和社会保障局",
     "联合平台企业公开扣款规则，设立劳动争议调解工作室。"),
    ("交通安全", "快递员反映{place}路口早晚高峰车辆多，电动车通行危险。", "市公安局交通管理大队",
     "在路口增设非机动车道和信号灯，高峰时段安排警力疏导。"),
    ("社会保险", "网约车司机询问如何以灵活就业人员身份参加职工养老保险。", "市人力资源和社会保障局",
     "在驿站开展社保政策宣讲，现场办理参保登记。"),
]


class CouncilGen(Gen):
    per_entity = 2.0

    def arrive(self, k, t):
        r = rng_for(self.seed, self.cid, k)
        self.later(t, k, 0, self.emit, "RAISED")
        self.later(t + DAY + r.randint(0, 2 * DAY), k, 1, self.emit, "ASSIGNED")
        final = r.choices(["RESOLVED", "EXPLAINED"], [85, 15])[0]
        self.later(t + r.randint(4, 25) * DAY, k, 2, self.emit, final)
        return []

    def emit(self, t, k, status):
        r = rng_for(self.seed, self.cid, k)
        t0 = int(self.arr.time_of(k))
        g = cm.get().pick_grid(r, 0.9)
        cat, issue, unit, measure = r.choice(COUNCIL_ISSUES)
        subst = {"place": short_place(g), "n": r.randint(2, 8), "town": cm.TOWN_UNIT[g.town_code]}
        group = r.choices(["FOOD_DELIVERY", "COURIER", "RIDE_HAILING", "FREIGHT_DRIVER"], [45, 35, 15, 5])[0]
        platform = {"FOOD_DELIVERY": ["美团", "饿了么"], "COURIER": ["顺丰速运", "中通快递", "京东物流", "圆通速递"],
                    "RIDE_HAILING": ["滴滴出行", "花小猪"], "FREIGHT_DRIVER": ["货拉拉", "满帮"]}[group]
        done = status in ("RESOLVED", "EXPLAINED")
        return [(int(t), {
            "issue_no": "XG%s%04d" % (sv.time.strftime("%Y", sv.local_tm(t0)), k % 10000),
            "council": r.choice(["项城市小哥议事会", "%s小哥驿站议事会" % g.town]),
            "meeting_on": date_text(t0), "raiser_group": group,
            "raiser_name": gs.make_name(r)[0] + "师傅", "platform": r.choice(platform),
            "category": cat, "issue": issue.format_map(subst),
            "responsible_unit": unit.format_map(subst),
            "measure": measure.format_map(subst) if done else None, "status": status,
            "resolved_on": date_text(t) if done else None,
            "satisfaction": r.choice([5, 5, 4, 4, 3]) if done else None, "updated_at": int(t)})]


ORGS = ["中共项城市财政局机关支部委员会", "中共项城市教育体育局机关委员会", "项城市人民医院党委",
        "中共项城市市场监督管理局机关支部委员会", "中共项城市人力资源和社会保障局机关支部委员会",
        "国网项城市供电公司党委", "中共项城市住房和城乡建设局机关委员会", "中共项城市税务局委员会"]


class DualRegGen(Gen):
    """new registrations, and the service hours of earlier ones growing"""

    def arrive(self, k, t):
        r = rng_for(self.seed, self.cid, k)
        if k % 3 and k > 30:
            j = k - 1 - r.randrange(min(k, 3000))
            return [(int(t), self.reg(j, t, r.randint(2, 6)))]
        return [(int(t), self.reg(k, t, 0))]

    def reg(self, j, t, hours):
        r = rng_for(self.seed, self.cid, "reg", j)
        city = cm.get()
        v = r.choice(city.communities)
        member = r.random() < 0.85
        p = cm.person(r)
        t0 = int(self.arr.time_of(j))
        base = r.randint(0, 20)
        return {
            "registration_no": "SBD%s%06d" % (sv.time.strftime("%Y", sv.local_tm(t0)), j % 1000000),
            "reg_type": "MEMBER" if member else "ORGANISATION", "organisation": r.choice(ORGS),
            "member_name": p["name"] if member else None, "member_phone": p["phone"] if member else None,
            "community": v.name, "township": v.town, "grid_code": r.choice(v.grids).code,
            "registered_at": t0,
            "service_offer": r.choice(["政策宣讲", "环境整治", "矛盾调解", "助老服务", "文明劝导", "关爱留守儿童"]),
            "service_hours": float(base + hours + (t - t0) // (7 * DAY)),
            "status": "SERVING" if hours else "REGISTERED", "updated_at": int(t)}


DECISION_SUBJECTS = ["村集体经济项目", "村内道路硬化", "土地流转", "集体资产处置", "低保评议",
                     "人居环境整治", "高标准农田建设", "光伏电站收益分配"]
DECISION_STEPS = [("PROPOSE", 0), ("CONSULT", 2), ("REVIEW", 5), ("RESOLVE", 7),
                  ("PUBLISH_RESOLUTION", 8), ("PUBLISH_RESULT", 45)]


class VillageDecisionGen(Gen):
    per_entity = 6.0
    warmup = 50 * DAY

    def arrive(self, k, t):
        for i, (step, d) in enumerate(DECISION_STEPS):
            self.later(t + d * DAY, k, i, self.emit, i)
        return []

    def emit(self, t, k, i):
        r = rng_for(self.seed, self.cid, k)
        city = cm.get()
        v = r.choice(city.rural)
        t0 = int(self.arr.time_of(k))
        year = sv.time.strftime("%Y", sv.local_tm(t0))
        step = DECISION_STEPS[i][0]
        subject = r.choice(DECISION_SUBJECTS)
        meeting = step in ("PROPOSE", "CONSULT", "REVIEW", "RESOLVE")
        vote = step in ("REVIEW", "RESOLVE")
        people = {"PROPOSE": r.randint(5, 9), "CONSULT": r.randint(7, 13), "REVIEW": r.randint(25, 80),
                  "RESOLVE": r.randint(30, 90)}.get(step)
        against = r.randint(0, 4) if vote else None
        text = {"PROPOSE": "村党支部会议研究，提议实施%s。", "CONSULT": "村“两委”联席会议商议%s实施方案。",
                "REVIEW": "党员大会审议%s方案，表决通过。", "RESOLVE": "村民代表会议表决通过%s决议。",
                "PUBLISH_RESOLUTION": "%s决议在村务公开栏公开，公示7天。",
                "PUBLISH_RESULT": "%s已实施完毕，实施结果公开，接受村民监督。"}[step] % subject
        return [(int(t), {
            "step_id": "SY%s%s%03d-%d" % (v.code, year, k % 1000, i + 1),
            "decision_no": "SY%s%s%03d" % (v.code, year, k % 1000), "township": v.town,
            "village": v.name, "subject": subject, "step": step, "step_seq": i + 1,
            "step_on": date_text(t), "attendees": people,
            "votes_for": people - against if vote else None, "votes_against": against,
            "passed": True if vote else None,
            "amount": "%d.00" % (r.randint(2, 90) * 10000) if subject not in ("低保评议",) else None,
            "summary": text if meeting or r.random() < 0.5 else text + "村务监督委员会主任%s参加。" % gs.make_name(r),
            "publicity_channel": r.choice(["村务公开栏", "村务公开平台", "村民微信群", "广播"]) if not meeting else None})]


# ---- 雪亮工程 video alerts --------------------------------------------------------------

class VideoAlertGen(Gen):
    """AI warnings, face matches and vehicle controls; images and targets are references"""
    profile = "traffic"
    per_entity = 1.3

    def arrive(self, k, t):
        r = rng_for(self.seed, self.cid, k)
        g = self.grid(r)
        cls = r.choices(["AI_WARNING", "FACE_MATCH", "VEHICLE_CONTROL"], [85, 5, 10])[0]
        atype = {"FACE_MATCH": "FACE_MATCH", "VEHICLE_CONTROL": "VEHICLE_MATCH"}.get(cls) or \
            r.choices(["INTRUSION", "CROWD", "FIRE_SMOKE", "ILLEGAL_PARKING", "STREET_VENDING",
                       "WATER_SAFETY", "GARBAGE"], [10, 12, 5, 30, 20, 5, 18])[0]
        cam = k % 1800 + 1
        road = gs.ROADS[cam % len(gs.ROADS)]
        road2 = gs.ROADS[(cam * 7) % len(gs.ROADS)]
        no = "XL%s%06d" % (ymd(t), self.day_seq(k, t))
        rec = {
            "alert_id": no, "camera_id": "4116810000132%07d" % cam,
            "camera_name": "%s%s与%s交叉口" % (g.town, road, road2) if road != road2 else "%s%s" % (g.town, road),
            "township": g.town, "alert_type": atype, "detected_at": int(t),
            "confidence": round(r.uniform(0.62, 0.99), 3),
            "snapshot_ref": "SNAP-%s-%07d" % (ymd(t), k % 10000000),
            "status": "NEW", "dispatched_to": None, "linked_incident_no": None,
            "alert_class": cls,
            "target_ref": ("BK-RX-%06d" if cls == "FACE_MATCH" else "BK-CL-%06d") % r.randint(1, 5000)
            if cls != "AI_WARNING" else None,
            "similarity": round(r.uniform(0.86, 0.985), 3) if cls != "AI_WARNING" else None}
        out = [(int(t), rec)]
        if r.random() < 0.3:
            final = r.choices(["DISPATCHED", "FALSE_ALARM", "CLOSED"], [50, 20, 30])[0]
            out.append((int(t) + r.randint(300, 4 * HOUR), dict(
                rec, status=final,
                dispatched_to="%s网格化服务管理站" % g.town if final == "DISPATCHED" and cls == "AI_WARNING"
                else "市公安局%s派出所" % g.town[:-2] if final == "DISPATCHED" else None)))
        return out


# ---- grid registers ---------------------------------------------------------------------

class GridRegistry(RegistryGen):
    """网格基础信息: the city, 22 towns, 501 villages and communities, 2,619 grids"""

    def __init__(self, sim, sysd, schema):
        city = cm.get()
        self.rows = ([("COUNTY", None)] + [("TOWNSHIP", c) for _, c in cm.TOWNS] +
                     [("COMMUNITY", v) for v in city.villages] + [("GRID", g) for g in city.grids])
        super().__init__(sim, sysd, schema, len(self.rows))

    def base(self, i):
        city = cm.get()
        level, x = self.rows[i % len(self.rows)]
        if level == "COUNTY":
            return {"grid_code": "411681000000", "name": "项城市", "level": "COUNTY", "parent_code": None,
                    "township": "项城市", "community": None, "households": sum(v.households for v in city.villages),
                    "population": sum(v.population for v in city.villages), "area_sq_km": 1078.35,
                    "centre_lat": 33.4433, "centre_lon": 114.8994, "boundary_wkt": None,
                    "leader_staff_no": None, "updated_at": REG_EPOCH, "grid_type": None, "special_kind": None}
        if level == "TOWNSHIP":
            vs = city.by_town[x]
            name = [t for t, c in cm.TOWNS if c == x][0]
            lat, lon = cm.TOWN_CENTRES[x]
            return {"grid_code": "411681%s000" % x, "name": name, "level": "TOWNSHIP",
                    "parent_code": "411681000000", "township": name, "community": None,
                    "households": sum(v.households for v in vs), "population": sum(v.population for v in vs),
                    "area_sq_km": None, "centre_lat": lat, "centre_lon": lon, "boundary_wkt": None,
                    "leader_staff_no": None, "updated_at": REG_EPOCH, "grid_type": None, "special_kind": None}
        if level == "COMMUNITY":
            v = x
            return {"grid_code": v.code, "name": "%s%s" % (v.town, v.name), "level": "COMMUNITY",
                    "parent_code": "411681%s000" % v.town_code, "township": v.town, "community": v.name,
                    "households": v.households, "population": v.population, "area_sq_km": None,
                    "centre_lat": round(v.lat, 6), "centre_lon": round(v.lon, 6), "boundary_wkt": None,
                    "leader_staff_no": v.leader, "updated_at": REG_EPOCH, "grid_type": None,
                    "special_kind": None}
        g = x
        return {"grid_code": g.code, "name": g.name, "level": "GRID", "parent_code": g.village.code,
                "township": g.town, "community": g.village.name, "households": g.households,
                "population": g.population, "area_sq_km": None, "centre_lat": round(g.lat, 6),
                "centre_lon": round(g.lon, 6),
                "boundary_wkt": "POLYGON((%.5f %.5f, %.5f %.5f, %.5f %.5f, %.5f %.5f, %.5f %.5f))" % (
                    g.lon - .003, g.lat - .002, g.lon + .003, g.lat - .002, g.lon + .003, g.lat + .002,
                    g.lon - .003, g.lat + .002, g.lon - .003, g.lat - .002),
                "leader_staff_no": g.full_time or g.part_time, "updated_at": REG_EPOCH,
                "grid_type": g.type, "special_kind": g.special}

    def arrive(self, k, t):
        r = rng_for(self.seed, self.cid, "change", k)
        i = 524 + r.randrange(len(self.rows) - 524)  # a grid: households move
        rec = self.base(i)
        rec["households"] += r.randint(-3, 5)
        rec["population"] += r.randint(-8, 12)
        rec["updated_at"] = int(t)
        return [(int(t), rec)]


class StaffRegistry(RegistryGen):
    """501 grid leaders, 2,322 full-time and 1,353 part-time grid workers"""

    def __init__(self, sim, sysd, schema):
        city = cm.get()
        self.people = [(v.leader, "GRID_LEADER", v.grids[0], v) for v in city.villages]
        self.people += [(g.full_time, "FULL_TIME", g, g.village) for g in city.grids if g.full_time]
        self.people += [(g.part_time, "PART_TIME", g, g.village) for g in city.grids if g.part_time]
        super().__init__(sim, sysd, schema, len(self.people))

    def base(self, i):
        no, role, g, v = self.people[i % len(self.people)]
        r = rng_for("staff", no)
        p = cm.person(r)
        return {"staff_no": no, "name": staff_name(no), "phone": p["phone"],
                "id_no": p["id_no"] if r.random() < 0.9 else None, "role": role,
                "grid_code": v.code if role == "GRID_LEADER" else g.code, "township": v.town,
                "on_duty_since": date_text(REG_EPOCH - r.randint(0, 2000) * DAY), "active": True,
                "updated_at": REG_EPOCH}

    def arrive(self, k, t):
        r = rng_for(self.seed, self.cid, "change", k)
        rec = self.base(r.randrange(self.size))
        if r.random() < 0.7:
            rec["phone"] = gs.make_phone(r)
        else:
            rec["active"] = r.random() < 0.5
        rec["updated_at"] = int(t)
        return [(int(t), rec)]


class VolunteerRegistry(RegistryGen):
    def __init__(self, sim, sysd, schema):
        super().__init__(sim, sysd, schema, cm.FACTS["volunteers"])

    def tweak(self, rec, ctx):
        rec["volunteer_no"] = "ZY%06d" % ctx.seq
        rec["birth_year"] = ctx.person["year"]
        rec["gender"] = "FEMALE" if ctx.person["female"] else "MALE"


class GridPartyRegistry(RegistryGen):
    """501 grid party branches, 2,478 grid party groups, 4,422 党员中心户"""

    def __init__(self, sim, sysd, schema):
        city = cm.get()
        self.units = [("BRANCH", v, None, 0) for v in city.villages]
        for g in city.grids:
            if g.party_group:
                self.units.append(("GROUP", g.village, g, 0))
                for h in range(g.party_households):
                    self.units.append(("HOUSEHOLD", g.village, g, h + 1))
        super().__init__(sim, sysd, schema, len(self.units))

    def base(self, i):
        kind, v, g, h = self.units[i % len(self.units)]
        r = rng_for(self.seed, self.cid, "key", i)
        code = {"BRANCH": "WGDZB" + v.code, "GROUP": "WGDXZ%s" % (g.code if g else ""),
                "HOUSEHOLD": "DYZXH%s-%02d" % (g.code if g else "", h)}[kind]
        parent = {"BRANCH": None, "GROUP": "WGDZB" + v.code,
                  "HOUSEHOLD": "WGDXZ%s" % (g.code if g else "")}[kind]
        name = {"BRANCH": "%s%s网格党支部" % (v.town, v.name),
                "GROUP": "%s党小组" % (g.name.split("（")[0] if g else ""),
                "HOUSEHOLD": "%s党员中心户（%02d）" % (g.name.split("（")[0] if g else "", h)}[kind]
        return {"unit_code": code, "unit_type": kind, "name": name, "parent_code": parent,
                "grid_code": (g or v.grids[0]).code if kind != "BRANCH" else v.code,
                "township": v.town, "community": v.name, "leader_name": gs.make_name(r),
                "leader_phone": gs.make_phone(r),
                "members": {"BRANCH": r.randint(15, 60), "GROUP": r.randint(3, 12),
                            "HOUSEHOLD": r.randint(8, 15)}[kind], "updated_at": REG_EPOCH}
