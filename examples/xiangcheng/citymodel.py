"""The places and people of 项城市 that the simulated sources draw from.

The geography is fixed (built from a constant seed, whatever --seed the simulator runs with),
so grid codes, villages and staff numbers are the same in every run and in every system:

- the 6 sub-districts (街道) and 16 towns (镇) with the township part of their division
  code, and 501 villages and communities (付集镇 has its 21 villages);
- 2,619 grids: 473 urban (by residential compound), 1,843 rural (by villager group) and 303
  special (industrial parks, business districts, schools, hospitals, markets);
- 501 grid leaders (one per village or community), 2,322 full-time and 1,353 part-time grid
  workers; 501 grid party branches, 2,478 grid party groups and 4,422 党员中心户.

Names of villages and communities other than the few the city's own documents name are
sample names. Grid codes are 411681 + township (3) + 4xx-9xx; a village or community is
411681 + township + its 3-digit statistical part (0xx communities, 2xx-3xx villages).
"""
import random
import sys
import os

sys.path.insert(0, os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                 "..")))
import gen_sample as gs  # noqa: E402  (names, phones, IDs, hotline and incident texts)

REGION = "411681"
TOWNS = gs.TOWNS          # [(name, 3-digit code)]
URBAN = gs.URBAN          # the first six are the sub-districts
TOWN_CENTRES = gs.TOWN_CENTRES
TOWN_UNIT = gs.TOWN_UNIT  # code -> 花园街道办事处 / 付集镇人民政府
# villages and communities per township (501 in all; 付集镇 21)
VILLAGE_COUNTS = {
    "001": 14, "002": 10, "003": 12, "004": 13, "005": 15, "006": 12,
    "100": 30, "101": 28, "102": 27, "103": 28, "104": 30, "105": 27, "107": 21, "108": 26,
    "109": 27, "110": 25, "111": 30, "112": 27, "113": 26, "114": 25, "115": 24, "116": 24,
}
COMMUNITY_SHARE = {"001": 5, "002": 10, "003": 6, "004": 7, "005": 9, "006": 6}  # 社区 of 街道
NAMED_VILLAGES = {
    "001": ["邝花园村", "李洼村"], "003": ["胡营村", "刘堂村"], "004": ["王沟村", "韩老家村"],
    "006": ["荣楼村", "邝庄村"], "107": ["付集村", "直河村", "双庙村", "于楼村", "冯寨村"],
}
NAMED_COMMUNITIES = {"005": ["刘祖师庙社区"], "004": ["潘庄社区"], "002": ["袁桥社区"]}
COMMUNITY_STEMS = ["建设路", "人民路", "交通路", "团结路", "文明路", "育新街", "莲花", "光武",
                   "水寨", "花园", "东方", "千佛阁", "迎宾", "滨河", "正西", "南大街", "北大街",
                   "城南", "城北", "顺河", "新华", "和平", "幸福", "友谊", "龙湖", "红旗",
                   "朝阳", "振兴", "育才", "安居", "锦华", "富民", "书香", "清河", "凤凰",
                   "金城", "苏庄", "黄营", "高庄", "孙营", "陈楼", "周庄", "李楼", "张营",
                   "王庄", "丁庄", "吴寨", "郑楼", "马营", "朱庄"]
VILLAGE_SUFFIX = "庄营楼寨集店湾庙岗洼桥口园屯湖寺"
VILLAGE_SURNAMES = ("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董程曹袁邓许傅"
                    "沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝"
                    "孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文")
GROUP_NUMS = "一二三四五六七八九十"
SPECIAL_KINDS = [("工业园区", 60), ("商圈", 55), ("学校", 90), ("医院", 40), ("市场", 58)]
# places of special grids: city-wide ones in the sub-districts, local ones anywhere (the
# town's name is put in front: 付集镇中心小学)
SPECIAL_PLACES = {
    "工业园区": (["项城市皮革产业园", "项城市食品工业园", "项城市医药产业园", "项城市纺织服装产业园",
              "项城市电子信息产业园", "项城市现代物流园"], ["小微企业园", "制鞋产业园"]),
    "商圈": (["莲花大道商圈", "建设路商圈", "交通路步行街", "光武大道商圈", "人民路商业街",
            "城南商业中心", "迎宾大道商圈"], ["镇区商业街"]),
    "学校": (["项城市第一高级中学", "项城市第二高级中学", "项城市第三高级中学",
            "项城市第一初级中学", "项城市实验小学", "项城市莲花小学", "项城市职业中等专业学校"],
           ["中心小学", "第一初级中学", "中心幼儿园"]),
    "医院": (["项城市第一人民医院", "项城市第二人民医院", "项城市中医院", "项城市妇幼保健院"],
           ["卫生院"]),
    "市场": (["项城市蔬菜批发市场", "项城市农资市场", "项城市二手车市场", "项城市建材市场"],
           ["农贸市场"]),
}
FACTS = {"grids": 2619, "urban": 473, "rural": 1843, "special": 303, "leaders": 501,
         "full_time": 2322, "part_time": 1353, "volunteers": 8566, "party_branches": 501,
         "party_groups": 2478, "party_households": 4422, "fuji_villages": 21}


class Village:
    __slots__ = ("code", "name", "kind", "town", "town_code", "lat", "lon", "grids",
                 "households", "population", "leader")


class Grid:
    __slots__ = ("code", "name", "type", "special", "town", "town_code", "village", "lat",
                 "lon", "households", "population", "full_time", "part_time", "party_group",
                 "party_households", "estates", "groups")


class City:
    def __init__(self):
        rng = random.Random(411681)
        self.villages, self.grids = [], []
        self.by_town = {}
        used = set()
        for town, code in TOWNS:
            n = VILLAGE_COUNTS[code]
            ncomm = COMMUNITY_SHARE.get(code, 1 if code in ("100", "104", "111") else 0)
            names = list(NAMED_COMMUNITIES.get(code, []))
            while len(names) < ncomm:
                s = rng.choice(COMMUNITY_STEMS) + "社区"
                if s not in used and s not in names:
                    names.append(s)
            kinds = ["社区"] * len(names)
            vnames = list(NAMED_VILLAGES.get(code, []))
            while len(names) + len(vnames) < n:
                s = rng.choice(VILLAGE_SURNAMES) + rng.choice(VILLAGE_SUFFIX) + "村"
                if s not in used and s not in vnames:
                    vnames.append(s)
            names += vnames
            kinds += ["村"] * len(vnames)
            used.update(names)
            clat, clon = TOWN_CENTRES[code]
            tv = []
            for i, (name, kind) in enumerate(zip(names, kinds)):
                v = Village()
                stat = (1 + i) if kind == "社区" else (200 + i - kinds.count("社区"))
                v.code = "%s%s%03d" % (REGION, code, stat)
                v.name, v.kind, v.town, v.town_code = name, kind, town, code
                v.lat = clat + rng.uniform(-0.035, 0.035)
                v.lon = clon + rng.uniform(-0.035, 0.035)
                v.grids = []
                v.leader = "WZ" + v.code
                tv.append(v)
            self.villages += tv
            self.by_town[code] = tv
        self.communities = [v for v in self.villages if v.kind == "社区"]
        self.rural = [v for v in self.villages if v.kind == "村"]
        # grids: every village and community has at least one
        alloc = {v.code: 0 for v in self.villages}
        urban_comm = self.communities
        self._spread(rng, urban_comm, FACTS["urban"], alloc, "URBAN")
        self._spread(rng, self.rural, FACTS["rural"], alloc, "RURAL")
        specials = []
        for kind, count in SPECIAL_KINDS:
            specials += [kind] * count
        rng.shuffle(specials)
        for i, kind in enumerate(specials):
            pool = urban_comm if i % 3 else self.villages
            v = rng.choice(pool)
            self._grid(rng, v, "SPECIAL", kind)
        for v in self.villages:
            v.households = sum(g.households for g in v.grids)
            v.population = sum(g.population for g in v.grids)
        self.by_code = {g.code: g for g in self.grids}
        self.village_by_code = {v.code: v for v in self.villages}
        # staff: 2,322 grids have a full-time worker; the rest a part-time one; 1,056 more
        # part-time workers are second workers
        order = list(self.grids)
        rng.shuffle(order)
        nft = FACTS["full_time"]
        for i, g in enumerate(order):
            g.full_time = "WG" + g.code if i < nft else None
            g.part_time = "WJ" + g.code if i >= nft else None
        extra = FACTS["part_time"] - (len(order) - nft)
        for g in rng.sample(order[:nft], extra):
            g.part_time = "WJ" + g.code
        # party: a grid party group in 2,478 grids; 4,422 党员中心户 among them
        groups = rng.sample(order, FACTS["party_groups"])
        for g in order:
            g.party_group, g.party_households = False, 0
        for g in groups:
            g.party_group, g.party_households = True, 1
        for g in rng.choices(groups, k=FACTS["party_households"] - len(groups)):
            g.party_households += 1
        self.town_names = [t for t, _ in TOWNS]
        self.town_code = {t: c for t, c in TOWNS}

    def _spread(self, rng, villages, total, alloc, gtype):
        counts = [1] * len(villages)
        for _ in range(total - len(villages)):
            counts[rng.randrange(len(villages))] += 1
        for v, n in zip(villages, counts):
            for _ in range(n):
                self._grid(rng, v, gtype, None)

    def _grid(self, rng, v, gtype, special):
        g = Grid()
        n = 401 + sum(len(x.grids) for x in self.by_town[v.town_code])
        g.code = "%s%s%03d" % (REGION, v.town_code, n)
        g.type, g.special = gtype, special
        g.town, g.town_code, g.village = v.town, v.town_code, v
        g.lat = v.lat + rng.uniform(-0.006, 0.006)
        g.lon = v.lon + rng.uniform(-0.006, 0.006)
        idx = len(v.grids) + 1
        if gtype == "URBAN":
            g.estates = rng.sample(gs.ESTATES, 2)
            g.groups = None
            g.households = rng.randint(180, 420)
            g.name = "%s%s%s网格" % (v.town, v.name, g.estates[0])
        elif gtype == "RURAL":
            g.estates = None
            g.groups = [GROUP_NUMS[(2 * idx - 2) % 10], GROUP_NUMS[(2 * idx - 1) % 10]]
            g.households = rng.randint(90, 260)
            g.name = "%s%s第%s网格（第%s、%s村民小组）" % (v.town, v.name, GROUP_NUMS[(idx - 1) % 10],
                                               g.groups[0], g.groups[1])
        else:
            city_places, local_places = SPECIAL_PLACES[special]
            if int(v.town_code) <= URBAN and rng.random() < 0.7:
                place = rng.choice(city_places)
            else:
                place = v.town + rng.choice(local_places)
                if int(v.town_code) <= URBAN and place.endswith("卫生院"):
                    place = place[:-3] + "社区卫生服务中心"
            g.estates = [place]
            g.groups = None
            g.households = rng.randint(0, 40)
            g.name = place + "专属网格"
            same = sum(1 for x in self.grids if x.estates == [place])
            if same:
                g.name += "（%s）" % GROUP_NUMS[min(same, 9)]
        g.population = int(g.households * rng.uniform(2.6, 3.6))
        v.grids.append(g)
        self.grids.append(g)
        return g

    # ---- places ----------------------------------------------------------------------

    def address(self, rng, g):
        """A street address in the grid"""
        if g.type == "URBAN":
            return "项城市%s%s%d号%s%d号楼%d单元%d0%d室" % (
                g.town, rng.choice(gs.ROADS), rng.randint(1, 400), rng.choice(g.estates),
                rng.randint(1, 24), rng.randint(1, 4), rng.randint(1, 18), rng.randint(1, 4))
        if g.type == "RURAL":
            return "项城市%s%s%s组%d号" % (g.town, g.village.name, rng.choice(g.groups),
                                        rng.randint(1, 120))
        place = g.estates[0]
        return place if place.startswith("项城市") else "项城市" + place

    def position(self, rng, g):
        return "%.6f,%.6f" % (g.lat + rng.uniform(-0.002, 0.002),
                              g.lon + rng.uniform(-0.002, 0.002))

    def pick_grid(self, rng, urban=0.45):
        """A grid, the urban area about @p urban of the time"""
        if rng.random() < urban:
            v = rng.choice(self.communities)
        else:
            v = rng.choice(self.rural)
        return rng.choice(v.grids)

    def fuji_villages(self):
        return self.by_town["107"]


_city = None


def get():
    global _city
    if _city is None:
        _city = City()
    return _city


# ---- people and codes --------------------------------------------------------------------

ID_W = gs.ID_WEIGHTS
USCC_ALPHA = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_W = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def resident_id(rng, year=None, region=None, female=None):
    region = region or rng.choice(gs.ID_REGIONS)
    year = year or rng.randint(1940, 2006)
    month = rng.randint(1, 12)
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    mdays = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    seq = rng.randint(1, 999)
    if female is not None and (seq % 2 == 0) != female:
        seq = seq + 1 if seq < 999 else seq - 1
    first17 = "%s%04d%02d%02d%03d" % (region, year, month, rng.randint(1, mdays), seq)
    return first17 + gs.id_check(first17)


def uscc(rng, kind="91"):
    body = kind + REGION + "".join(rng.choice(USCC_ALPHA) for _ in range(9))
    s = sum(USCC_ALPHA.index(c) * w for c, w in zip(body, USCC_W))
    return body + USCC_ALPHA[(31 - s % 31) % 31]


def person(rng, age=None, now_year=2026):
    """name, resident ID, phone, sex and birth year of a resident"""
    year = now_year - age if age else rng.randint(1945, 2004)
    female = rng.random() < 0.5
    return {"name": gs.make_name(rng), "id_no": resident_id(rng, year, female=female),
            "phone": gs.make_phone(rng), "female": female, "year": year}


def company(rng, kind="company"):
    return "%s%s%s" % (rng.choice(["项城市", "河南", "周口"]), rng.choice(gs.COMPANY_STEMS),
                       rng.choice(gs.COMPANY_KINDS.get(kind, gs.COMPANY_KINDS["company"])))
