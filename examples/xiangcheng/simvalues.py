"""Schema-driven values for the simulated sources: one function per field, chosen from the
field's name, type and documentation (the examples after 如 in its Chinese doc), so a new
schema gets realistic records without code. Domain generators (simworlds.py) override the
records of the systems the city names.

Values are Python values by schema type: str (strings, enum symbols, decimals as text with
the schema's scale, dates as YYYY-MM-DD), int, float, bool, None, and timestamps as epoch
seconds (int); the sinks format them for their medium.
"""
import re
import time

import city
import citymodel as cm

TZ = 8 * 3600
DAY = 86400


def local_tm(t):
    return time.gmtime(int(t) + TZ)


def ts_text(t):
    return time.strftime("%Y-%m-%d %H:%M:%S", local_tm(t))


def iso_text(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S+08:00", local_tm(t))


def date_text(t):
    return time.strftime("%Y-%m-%d", local_tm(t))


def ymd(t):
    return time.strftime("%Y%m%d", local_tm(t))


def local_midnight(t):
    return (int(t) + TZ) // DAY * DAY - TZ


class Field:
    """What the generators and sinks need to know of a schema field"""
    __slots__ = ("name", "kind", "nullable", "symbols", "labels", "precision", "scale",
                 "examples", "zh", "pi", "index", "default")

    def __init__(self, f, index):
        base, logical, nullable, obj = city.base_type(f["type"])
        self.name, self.index, self.nullable = f["name"], index, nullable
        self.zh = city.zh_doc(f.get("doc", ""))
        self.pi = f.get("gdx.pi", "none")
        self.examples = city.examples_of(f)
        self.symbols, self.labels = None, {}
        self.precision = self.scale = None
        self.default = obj.get("default") if isinstance(obj, dict) else None
        if logical == "timestamp-millis":
            self.kind = "ts"
        elif logical == "date":
            self.kind = "date"
        elif logical == "decimal":
            self.kind = "decimal"
            self.precision, self.scale = obj["precision"], obj["scale"]
        elif base == "enum":
            self.kind = "enum"
            self.symbols = obj["symbols"]
            doc = obj.get("doc", "")
            for sym in self.symbols:
                m = re.search(r"\b%s=([^,，]+)" % re.escape(sym), doc)
                if m:
                    self.labels[sym] = m.group(1).strip()
        elif base in ("string", "int", "long", "double", "float", "boolean", "bytes"):
            self.kind = {"long": "int", "float": "double", "bytes": "string"}.get(base, base)
        else:
            self.kind = "other"


def _named(t, out):
    if isinstance(t, list):
        for b in t:
            _named(b, out)
    elif isinstance(t, dict):
        if t.get("name") and t.get("type") in ("enum", "fixed", "record"):
            out[t["name"]] = t
        for k in ("items", "values"):
            if k in t:
                _named(t[k], out)
        for f in t.get("fields", []):
            _named(f["type"], out)


def fields_of(schema):
    """The schema's fields; a reference to a named type defined earlier is resolved"""
    named = {}
    out = []
    for i, f in enumerate(schema["fields"]):
        t = f["type"]
        if isinstance(t, str) and t in named:
            f = dict(f, type=named[t])
        elif isinstance(t, list) and any(isinstance(b, str) and b in named for b in t):
            f = dict(f, type=[named.get(b, b) if isinstance(b, str) else b for b in t])
        _named(f["type"], named)
        out.append(Field(f, i))
    return out


# ---- identifiers ------------------------------------------------------------------------

def first_example(zh):
    m = re.search(r"如\s*([^\s、，,；;]+)", zh)
    return m.group(1) if m else None


def id_maker(fld, record, key):
    """(t, seq) -> an identifier shaped like the doc's example; per-day sequences for
    date-based numbers (GD20260920000123), plain ones otherwise"""
    ex = first_example(fld.zh)
    if ex and re.search(r"\d", ex):
        runs = list(re.finditer(r"\d+", ex))
        last = runs[-1]
        run = last.group()
        head, tail = ex[:last.start()], ex[last.end():]
        by_date = "日期" in fld.zh or "时间" in fld.zh
        by_year = "年份" in fld.zh
        m = re.search(r"2026(0[1-9]|1[0-2])([0-2]\d|3[01])", run)
        if by_year and run.startswith("2026"):
            width = len(run) - 4

            def make(t, seq):
                return "%s%s%0*d%s" % (head, time.strftime("%Y", local_tm(t)), width,
                                       seq % 10 ** width, tail)
            return make, False
        if m and (by_date or len(run) >= 12):
            pre, width = run[:m.start()], len(run) - m.end()

            def make(t, seq):
                return "%s%s%s%0*d%s" % (head, pre, ymd(t), width, seq % 10 ** width, tail)
            return make, True
        keep = run[:-6] if len(run) > 6 else ""
        head = (head + keep).replace("2026", "%Y")
        width = len(run) - len(keep)

        def make(t, seq):
            return "%s%0*d%s" % (time.strftime(head, local_tm(t)) if "%Y" in head else head,
                                 width, seq % 10 ** width, tail)
        return make, False
    prefix = "".join(w[0] for w in record.split("_")).upper()
    if len(prefix) < 2:
        prefix = (record[:2]).upper()

    def make(t, seq):
        return "%s%s%06d" % (prefix, ymd(t), seq % 1000000)
    return make, True


# ---- free text --------------------------------------------------------------------------

TEXTS = {
    ("callback", "caller_opinion"): [
        "来电人表示问题已经解决，对办理结果满意。", "来电人称承办单位只打了电话，没有到现场，问题依旧。",
        "来电人表示基本解决，希望以后加强日常管理。", "来电人对处理速度满意，但对答复态度有意见。"],
    ("article", "answer"): [
        "申请人可通过“豫事办”APP或到所在镇（街道）便民服务中心办理，需携带居民身份证和户口簿。",
        "城乡居民医保按年度缴费，缴费期一般为上一年9月至12月，可通过微信、支付宝或“豫事办”缴纳。",
        "年满80周岁的项城市户籍老人可申领高龄津贴，每年需完成一次资格认证，可由网格员上门认证。",
        "新生儿出生后可通过“新生儿出生一件事”一次申请出生医学证明、户口登记、医保参保和社保卡。"],
    ("visit", "findings"): [
        "老人独居，子女在外务工，家中燃气软管老化，已提醒更换。", "户内反映门前排水沟堵塞，雨天积水。",
        "未发现异常情况，已宣传防范电信网络诈骗知识。", "该户低保待遇正常发放，反映希望办理残疾人证。",
        "家中有一名留守儿童，学习生活情况良好。"],
    ("key_person", "notes"): [
        "按月服药，情绪稳定，监护人配合良好。", "已落实每月见面走访，近期无异常。",
        "本月找到临时工作，家属表示会加强看护。"],
    ("alarm_summary", "summary"): [
        "报警人称与邻居因宅基地界墙发生争执，民警到场后双方情绪平稳，已移交综治中心调解。",
        "报警人称其电动车在小区楼下被盗，民警已调取周边监控。",
        "报警人称接到自称客服的电话要求转账，民警现场劝阻，未造成损失。",
        "群众报称路口两车剐蹭，无人员受伤，交警到场处理。", "报警人称家中老人外出未归，民警协助找回。"],
    ("complaint12315", "content"): [
        "消费者称在该店办理健身预付卡后商家停业，要求退还剩余费用。",
        "消费者反映购买的电动车电池使用一个月后无法充电，商家拒绝退换。",
        "消费者称在超市购买的牛奶已过保质期，要求赔偿。"],
    ("screening", "parties"): ["{n1}、{n2}", "{n1}与{n2}两户", "{n1}家兄弟三人"],
    ("screening", "description"): [
        "两户因宅基地边界和滴水问题多次争吵，存在激化风险。", "兄弟之间因赡养老人费用分担产生矛盾。",
        "村民反映承包地流转费用迟迟未付，情绪较大。", "邻里因饲养家禽噪音和气味问题产生纠纷。"],
    ("rating", "comment"): ["办事效率高，工作人员态度好。", "一次就办好了，不用来回跑。",
                           "排队时间有点长。", "材料要求说明不清楚，跑了两趟。"],
    ("property_complaint", "result"): ["已约谈物业公司，电梯已修复。", "已责令物业公司整改并公示收费标准。",
                                       "经调解，业主与物业达成一致。"],
    ("legal_consultation", "question"): [
        "咨询人询问老人去世后房产如何继承，子女意见不一致怎么办。",
        "咨询人称在工地干活被拖欠工资，询问如何申请法律援助。",
        "咨询人询问土地承包合同到期后能否继续承包。", "咨询人询问离婚时孩子抚养权如何确定。"],
    ("petition", "content"): [
        "信访人反映其承包地被占用修路，补偿款未足额到位。",
        "信访人反映所在小区开发商逾期未办理不动产权证。",
        "信访人反映工程完工后劳务费被拖欠，多次讨要未果。"],
    ("petition_visit", "issue"): ["反映征地补偿标准问题", "反映拖欠工资问题", "反映邻里宅基地纠纷处理不公",
                                  "反映小区物业服务问题"],
    ("env_complaint", "content"): [
        "群众反映企业夜间排放刺激性气味，影响休息。", "群众反映建筑工地夜间施工噪声扰民。",
        "群众反映沟渠内有黑臭污水。"],
    ("env_complaint", "result"): ["经现场检查，已责令企业整改废气处理设施。", "已责令工地停止夜间施工。",
                                  "经排查系生活污水直排，已协调镇政府整改。"],
    ("station_service", "feedback"): ["希望驿站增加电动车充电桩。", "希望延长夜间开放时间。",
                                      "驿站有热水和微波炉，很方便。"],
    ("village_affairs_notice", "content"): [
        "本季度村集体收入主要为集体土地租赁和光伏电站收益，支出主要为保洁员工资和村道维修，明细见附表。",
        "经村民代表会议评议，拟将以下家庭纳入最低生活保障，公示期7天，如有异议请向村务监督委员会反映。",
        "村内道路硬化项目经“四议两公开”程序决议实施，现将决议内容公开。"],
    ("warning", "content"): [
        "预计未来6小时内我市将出现50毫米以上降水，请注意防范城乡积涝和农田渍害。",
        "预计未来24小时我市最高气温将升至37℃以上，请做好防暑降温。",
        "受冷空气影响，预计未来24小时内我市气温将下降8℃以上，请注意防寒保暖。"],
    ("urban_case", "place"): ["莲花大道", "建设路", "交通路与团结路交叉口", "人民路", "千佛阁路"],
}


def fill(text, ctx):
    if "{" not in text:
        return text
    r = ctx.rng
    return text.format(n1=cm.gs.make_name(r), n2=cm.gs.make_name(r), town=ctx.grid.town,
                       village=ctx.grid.village.name)


# ---- ranges by name ---------------------------------------------------------------------

INT_RANGES = {
    "members": (3, 80), "workers": (1, 40), "attendees": (15, 120), "votes_for": (12, 90),
    "votes_against": (0, 6), "passengers": (5, 60), "students": (80, 3200), "teachers": (8, 220),
    "vehicles": (1, 40), "drivers": (1, 60), "plots": (1, 12), "head_count": (5, 500),
    "households": (60, 1500), "registered": (800, 6500), "floating": (20, 900),
    "overseas": (0, 3), "aged_60_plus": (120, 1400), "rental_houses": (0, 160),
    "employees": (20, 900), "problems": (0, 6), "capacity": (500, 20000),
    "area_m2": (2000, 60000), "hits": (0, 600), "services_done": (0, 12), "dose_no": (1, 4),
    "group_size": (1, 6), "item_count": (2, 8), "materials_saved": (3, 15), "trips_saved": (1, 5),
    "duration_min": (20, 120), "minutes": (5, 600), "lamps_failed": (0, 3), "tasks": (1, 14),
    "on_time": (1, 12), "resolved": (1, 12), "deaths": (0, 0), "rescued": (0, 5),
    "household_size": (1, 6), "points": (-40, 50), "legal_days": (5, 20),
    "promised_days": (1, 10), "inspectors": (2, 3), "age": (18, 95), "aqi": (25, 160),
    "pm25": (10, 120), "pm10": (20, 180), "so2": (3, 20), "no2": (8, 60), "o3": (20, 190),
}
DOUBLE_RANGES = {
    "service_hours": (0, 320), "avg_response_hours": (0.5, 20), "avg_score": (70, 99),
    "confidence": (0.6, 0.99), "similarity": (0.85, 0.99), "distance_km": (3, 60),
    "tonnage": (2, 12), "mileage_km": (8, 45), "voltage": (212, 236), "current": (4, 40),
    "length_km": (0.8, 18), "yoy_pct": (-15, 25), "energy_tce": (20, 3000), "co": (0.3, 1.6),
    "turbidity_ntu": (0.1, 0.9), "chlorine_mgl": (0.1, 0.8), "fluoride_mgl": (0.2, 1.1),
    "lat": (33.2, 33.6), "lon": (114.7, 115.2), "value": (0, 100),
}
DECIMAL_RANGES = {
    "fine": (50, 2000), "fee": (0, 60), "amount": (80, 3000), "subsidy": (200, 20000),
    "monthly_amount": (300, 900), "total": (180, 600), "basic_pension": (150, 260),
    "account_pension": (5, 300), "paid": (380, 400), "rate": (100, 130),
    "area_mu": (1, 40), "transferred_mu": (0, 20), "area_m2": (40, 260),
    "registered_capital": (100000, 50000000), "budget": (100000, 80000000),
    "spent": (50000, 60000000), "award_amount": (80000, 60000000), "revenue": (1000000, 90000000),
    "ytd": (10000000, 900000000), "output_value": (1000, 900000), "sales": (1000, 900000),
    "loss_amount": (500, 300000), "recovered": (1000, 80000), "recovered_amount": (100, 20000),
    "paid_amount": (2000, 300000), "total_cost": (30, 30000), "fund_paid": (10, 20000),
    "self_paid": (5, 9000), "aid_amount": (200, 20000), "eligible_cost": (500, 60000),
    "deduction": (0, 2), "subsidy_amount": (1000, 1500),
}
# string fields naming an organisation, and the kind of company
COMPANY_FIELDS = {"name": "company", "target_name": "company", "employer": "builder",
                  "enterprise": "factory", "farm": "company", "respondent": "shop",
                  "company": "company", "counterparty": "company", "supplier": "company",
                  "producer": "factory", "target": "shop"}
FALLBACK = {
    "ethnicity": ["汉族"] * 30 + ["回族"],
    "branch": ["中共项城市{town}{village}支部委员会"],
    "whistling_unit": ["{town}"],
    "hospital": ["项城市第一人民医院", "项城市中医院", "项城市第二人民医院", "{town}卫生院"],
    "project": ["{town}{village}道路提升改造工程", "项城市城南安置房建设项目", "{town}农贸市场改造工程"],
    "title": ["{town}{village}问题处置"],
    "accepting_unit": ["项城市政务服务中心", "{town}便民服务中心"],
    "handling_unit": ["市城市管理局", "市住房和城乡建设局", "{town}"],
    "actor_unit": ["{town}", "市住房和城乡建设局", "市城市管理局"],
    "parent_org": ["中共项城市{town}委员会"],
    "office": ["项城市民政局婚姻登记处"],
    "unit": ["项城市政务服务中心", "{town}便民服务中心"],
    "department": ["市住房和城乡建设局", "市城市管理局", "市自然资源局", "周口市生态环境局项城分局"],
    "station": ["项城市环境监测站"],
    "lab": ["周口市食品药品检验检测中心"],
    "receiver": ["市信访局接访科"],
}
DECIMAL_BY_RECORD = {
    ("wage_arrears_lead", "amount"): (8000, 600000), ("collective_asset_entry", "amount"): (500, 300000),
    ("subsidy_payment", "amount"): (50, 3000), ("farmland_subsidy", "amount"): (100, 4000),
    ("veteran_benefit", "amount"): (600, 4500), ("disability_subsidy", "amount"): (80, 160),
    ("student_aid", "amount"): (625, 1250), ("medical_aid", "aid_amount"): (300, 30000),
    ("complaint12315", "amount"): (50, 20000), ("village_decision", "amount"): (20000, 900000),
    ("points_entry", "points"): (1, 10),
}
TRUE_MOSTLY = re.compile(r"^(passed|qualified|compliant|on_time|active|published|handled|"
                         r"rectified|reached|approved|fee|public|member|preferential)$")
LATER = re.compile(r"(deadline|closed|completed|resolved|handled|arrived|ended|dispatched|"
                   r"responded|valid|until|due)")
EARLIER = re.compile(r"(accepted|submitted|registered|started|departed|filed|whistled)")
NUMERIC_TEXT = {"systolic": (105, 175), "diastolic": (62, 102), "weight_g": (2500, 4300),
                "monthly_income": (260, 1900)}


def _decimal_text(v, scale):
    return "%.*f" % (scale, v)


def value_maker(fld, record, key_field):
    """A function ctx -> value for one field"""
    n, zh, kind = fld.name, fld.zh, fld.kind
    ex = fld.examples
    texts = TEXTS.get((record, n))
    if kind == "enum":
        syms = fld.symbols
        weights = [0.02 if s in ("OTHER", "UNKNOWN") else 1.0 / (1 + 0.35 * i)
                   for i, s in enumerate(syms)]

        def enum(ctx):
            return ctx.rng.choices(syms, weights)[0]
        return enum
    if kind == "string":
        if n.endswith("grid_code"):
            return lambda ctx: ctx.grid.code
        if "统一社会信用代码" in zh and "身份证" not in zh or n in ("uscc", "taxpayer_id") or \
                n.endswith("_uscc"):
            return lambda ctx: cm.uscc(ctx.rng)
        if re.search(r"(^|_)id_no$", n) or n == "holder_id":
            who = n[:-5] if n.endswith("_id_no") else ""
            return lambda ctx: ctx.p(who)["id_no"]
        if n.endswith("staff_no") or n in ("patroller_no", "driver_no"):
            return lambda ctx: ctx.grid.full_time or ctx.grid.part_time
        if n == "plate_no":
            return lambda ctx: "豫P%s%04d" % (ctx.rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ"),
                                             ctx.rng.randrange(10000))
        if n == "card_no":
            return lambda ctx: "H4116%05d" % ctx.rng.randrange(100000)
        if n == "bank_account":
            return lambda ctx: "62%017d" % ctx.rng.randrange(10 ** 17)
        if n == key_field or re.search(r"(_no|_id|_code|_ref)$", n):
            make, by_day = id_maker(fld, record, key_field)
            if n == key_field:
                return lambda ctx: make(ctx.t, ctx.day_seq if by_day else ctx.seq)
            return lambda ctx: make(ctx.t - ctx.rng.randint(0, 3) * DAY, ctx.rng.randint(1, 400))
        if n == "township" or n.endswith("_township"):
            return lambda ctx: ctx.grid.town
        if n in ("community", "village"):
            return lambda ctx: ctx.grid.village.name
        if "phone" in n:
            who = n[:-6] if n.endswith("_phone") else ""
            return lambda ctx: ctx.p(who)["phone"]
        if (n.endswith("name") or n == "household_head") and fld.pi != "none" and not ex:
            who = n[:-5] if n.endswith("_name") else ""
            return lambda ctx: ctx.p(who)["name"]
        if n in COMPANY_FIELDS and not ex:
            kind = COMPANY_FIELDS[n]
            return lambda ctx: cm.company(ctx.rng, kind)
        if n in FALLBACK and not ex:
            opts = FALLBACK[n]
            return lambda ctx: fill(ctx.rng.choice(opts), ctx)
        if n in ("address", "location") and "纬度" not in zh:
            return lambda ctx: cm.get().address(ctx.rng, ctx.grid)
        if "纬度" in zh:
            return lambda ctx: cm.get().position(ctx.rng, ctx.grid)
        if n in ("vet", "director", "doctor", "legal_rep", "raiser_name"):
            return lambda ctx: cm.gs.make_name(ctx.rng)
        if n == "birth_date":
            return lambda ctx: "%s-%s-%s" % (ctx.person["id_no"][6:10], ctx.person["id_no"][10:12],
                                             ctx.person["id_no"][12:14])
        if "YYYY-MM-DD HH:MM:SS" in zh:
            return lambda ctx: ts_text(ctx.t - ctx.rng.randint(0, 3600))
        if "YYYY-MM-DD HH:MM" in zh:
            return lambda ctx: ts_text(ctx.t - ctx.rng.randint(0, 3600))[:16]
        if "YYYY-MM-DD" in zh:
            return lambda ctx: date_text(ctx.t - ctx.rng.randint(0, 400) * DAY)
        if n in ("period", "month") or "如 2026-09" in zh:
            return lambda ctx: time.strftime("%Y-%m", local_tm(ctx.t))
        if n == "week":
            return lambda ctx: time.strftime("%G-W%V", local_tm(ctx.t))
        if "数字文本" in zh:
            lo, hi = NUMERIC_TEXT.get(n, (1, 100))
            if n == "fasting_glucose":
                return lambda ctx: "%.1f" % ctx.rng.uniform(4.2, 11.8)
            return lambda ctx: str(ctx.rng.randint(lo, hi))
        if texts:
            return lambda ctx: fill(ctx.rng.choice(texts), ctx)
        if ex:
            return lambda ctx: ctx.rng.choice(ex)
        head = re.split(r"[，（(]", zh, 1)[0]
        return lambda ctx: "%s%s%s" % (ctx.grid.town, head, ctx.rng.randint(1, 99))
    if kind == "int":
        if n in ("year", "birth_year"):
            return lambda ctx: ctx.person["year"] if n == "birth_year" else \
                int(time.strftime("%Y", local_tm(ctx.t)))
        if n == "age":
            return lambda ctx: 2026 - ctx.person["year"]
        if n.endswith("_year"):
            return lambda ctx: ctx.rng.randint(1975, 2024)
        if n in ("score", "satisfaction", "evaluation", "rating"):
            if "百分制" in zh:
                return lambda ctx: ctx.rng.randint(62, 100)
            return lambda ctx: ctx.rng.choices([5, 4, 3, 2, 1], [55, 25, 10, 5, 5])[0]
        if n == "rank":
            m = re.search(r"(\d+)个", zh)
            top = int(m.group(1)) if m else 30
            return lambda ctx: ctx.rng.randint(1, top)
        lo, hi = INT_RANGES.get(n, (0, 20))
        return lambda ctx: ctx.rng.randint(lo, hi)
    if kind == "double":
        lo, hi = DOUBLE_RANGES.get(n, (0, 100))
        if n == "lat":
            return lambda ctx: round(ctx.grid.lat, 6)
        if n == "lon":
            return lambda ctx: round(ctx.grid.lon, 6)
        return lambda ctx: round(ctx.rng.uniform(lo, hi), 2)
    if kind == "decimal":
        lo, hi = DECIMAL_BY_RECORD.get((record, n)) or DECIMAL_RANGES.get(n, (10, 5000))
        cap = 10 ** (fld.precision - fld.scale) - 1
        hi = min(hi, cap)
        lo = min(lo, hi)
        sc = fld.scale
        return lambda ctx: _decimal_text(ctx.rng.uniform(lo, hi), sc)
    if kind == "boolean":
        p = 0.85 if TRUE_MOSTLY.match(n) else 0.3
        return lambda ctx: ctx.rng.random() < p
    if kind == "ts":
        if LATER.search(n):
            return lambda ctx: ctx.t + ctx.rng.randint(600, 3 * DAY)
        if EARLIER.search(n):
            return lambda ctx: ctx.t - ctx.rng.randint(60, DAY)
        if n == "hour":
            return lambda ctx: ctx.t - ctx.t % 3600
        return lambda ctx: ctx.t
    if kind == "date":
        if re.search(r"(valid_until|until|deadline|end_on|due)", n):
            return lambda ctx: date_text(ctx.t + ctx.rng.randint(30, 1500) * DAY)
        if re.search(r"(established|signed|approved|start|founded|registered_on|last_)", n):
            return lambda ctx: date_text(ctx.t - ctx.rng.randint(0, 3000) * DAY)
        return lambda ctx: date_text(ctx.t - ctx.rng.randint(0, 2) * DAY)
    return lambda ctx: None


class Ctx:
    """What a record's values are drawn from: the RNG, its time, its grid, its people (one
    per role: the name, ID and phone fields of mother_* belong to one person)"""
    __slots__ = ("rng", "t", "grid", "people", "seq", "day_seq")

    def __init__(self, rng, t, grid, seq, day_seq):
        self.rng, self.t, self.grid, self.seq, self.day_seq = rng, t, grid, seq, day_seq
        self.people = {}

    def p(self, who=""):
        pr = self.people.get(who)
        if pr is None:
            pr = self.people[who] = cm.person(self.rng)
        return pr

    @property
    def person(self):
        return self.p("")


class RecordMaker:
    """Generic records of a schema"""

    def __init__(self, schema, record):
        self.fields = fields_of(schema)
        self.key = self.fields[0].name
        self.makers = [value_maker(f, record, self.key) for f in self.fields]

    def make(self, ctx):
        rec = {}
        for f, mk in zip(self.fields, self.makers):
            if f.nullable and f.name != self.key and ctx.rng.random() < 0.12:
                rec[f.name] = None
            else:
                rec[f.name] = mk(ctx)
        return rec
