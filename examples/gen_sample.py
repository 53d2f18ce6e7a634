#!/usr/bin/python3
"""Generate realistic sample data for the Xiangcheng (项城市) demo and tests.

    gen_sample.py --kind workorders --rows N [--encoding gb18030] [--bad K] --out FILE.csv
                  [--expect FILE.jsonl] [--seed S] [--start "2026-09-20 08:00:00"] [--eol crlf]
    gen_sample.py --kind incidents --rows N [--bad K] --out FILE.jsonl [--expect FILE.jsonl]

workorders: a CSV export of the 12345 hotline's work orders (schemas/hotline12345/
workorder.avsc) with a Chinese header row, as the hotline system drops it for the file
connector. RFC 4180: CRLF between records, fields with commas, quotes or line breaks quoted,
and some content does contain them. Enum columns hold the schema's symbols (PHONE, CLOSED).

incidents: JSON Lines of grid incidents (schemas/grid/incident.avsc), one object per line,
keys = schema field names, timestamps as ISO 8601 with +08:00.

Exactly K rows are bad (a field that cannot be coerced to the schema, or a line that does
not parse) at deterministic positions that depend on N and K only, not on the seed. Each bad
row is reported on stderr as one line:

    bad line=<physical line where the record starts> row=<record number> field=<f> reason=<r>

(For CSV the header is line 1 and records may span lines; for JSONL line = row.)

--expect writes, for every good row in order, the record as `gdx tail` prints it: schema
field names in schema order, timestamps "2026-09-20T10:30:00.000+08:00", null as null, ints as
numbers, enums as symbols, decimals as strings with the schema's scale ("12800.00"). Compare
parsed JSON objects, not bytes.

Standard library only, deterministic for a given --seed, about 10 s per million rows.
"""

import argparse
import calendar
import csv
import io
import json
import random
import sys
import time

REGION = "411681"  # 项城市, 周口市, 河南省

# Sub-districts (街道, the urban area) and towns of 项城市 with the 3-digit township part of
# their statistical division code, used in grid codes (411681 + township + grid).
TOWNS = [
    ("花园街道", "001"), ("水寨街道", "002"), ("东方街道", "003"), ("莲花街道", "004"),
    ("千佛阁街道", "005"), ("光武街道", "006"), ("南顿镇", "100"), ("孙店镇", "101"),
    ("李寨镇", "102"), ("贾岭镇", "103"), ("高寺镇", "104"), ("新桥镇", "105"),
    ("付集镇", "107"), ("官会镇", "108"), ("丁集镇", "109"), ("郑郭镇", "110"),
    ("秣陵镇", "111"), ("王明口镇", "112"), ("范集镇", "113"), ("永丰镇", "114"),
    ("三店镇", "115"), ("老城镇", "116"),
]
URBAN = 6  # the first six are the sub-districts of the city proper
# Rough township centres (WGS-84), for incident positions.
TOWN_CENTRES = {
    "001": (33.4551, 114.9046), "002": (33.4466, 114.8952), "003": (33.4448, 114.9254),
    "004": (33.4302, 114.9151), "005": (33.4203, 114.8957), "006": (33.4398, 114.8702),
    "100": (33.5204, 114.7803), "101": (33.5012, 114.8498), "102": (33.3608, 114.7801),
    "103": (33.3012, 114.8203), "104": (33.5003, 114.9802), "105": (33.3307, 115.0504),
    "107": (33.2503, 115.1902), "108": (33.2804, 115.0298), "109": (33.3702, 114.9003),
    "110": (33.4107, 115.0196), "111": (33.2203, 114.9504), "112": (33.4502, 115.0898),
    "113": (33.4803, 114.7302), "114": (33.4006, 114.8297), "115": (33.5601, 114.8502),
    "116": (33.3204, 114.9297),
}
# The government of each: 街道办事处 in the city, 镇人民政府 in the towns.
TOWN_UNIT = {code: "项城市" + name + ("办事处" if int(code) <= URBAN else "人民政府")
             for name, code in TOWNS}
ROADS = ["莲花大道", "建设路", "迎宾大道", "水新路", "环城路", "光武大道", "千佛阁路",
         "人民路", "交通路", "团结路", "东方大道", "花园路", "文明路", "育新街", "正西路"]
ESTATES = ["莲花苑", "建业桂园", "光武花园", "千佛阁小区", "袁桥新村", "水寨花园", "东方名苑",
           "金色港湾", "城南新城", "滨河花园", "阳光新城", "翰林府", "书香门第", "锦绣华庭"]
COMMUNITIES = ["刘祖师庙社区", "潘庄社区", "袁桥社区", "南大街社区", "北大街社区",
               "建设路社区", "文明路社区", "莲花社区"]
VILLAGE_STEMS = ["张庄", "李洼", "王沟", "刘堂", "胡营", "荣楼", "马庄", "后湖", "前营",
                 "小河", "大王", "西孟", "北街", "南关", "韩老家", "吕庄", "曹庄", "罗庄",
                 "周营", "赵岗", "郭店", "杨楼", "高庄", "朱湾", "范庄", "侯岗", "于楼"]
GROUPS = ["一", "二", "三", "四", "五", "六", "七", "八"]
SURNAMES = ("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董程曹袁邓许傅沈曾"
            "彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康"
            "毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文")
GIVEN = ("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英建华国庆红梅玉兰志刚海燕"
         "春生金凤德福文杰子豪雨涵欣怡浩然梓萱俊杰淑珍凤英玉梅建国卫东红旗永强喜梅")
COMPANY_STEMS = ["鑫源", "恒泰", "宏达", "瑞祥", "中原", "汇丰", "金盾", "华美", "盛世",
                 "永兴", "顺通", "嘉禾", "豫龙", "天成"]
# Company name endings by what the company does in a complaint.
COMPANY_KINDS = {
    "builder": ["建筑工程有限公司", "劳务有限公司", "装饰工程有限公司"],
    "factory": ["食品有限公司", "新型建材有限公司", "耐火材料有限公司", "纸业有限公司"],
    "shop": ["商贸有限公司", "家电商场", "汽车销售服务有限公司", "美容美发店", "健身俱乐部"],
    "school": ["教育培训学校", "艺术培训中心", "文化培训学校"],
    "company": ["物业服务有限公司", "商贸有限公司", "食品有限公司", "物流有限公司"],
}
MOBILE_PREFIXES = ["130", "131", "132", "133", "134", "135", "136", "137", "138", "139",
                   "150", "151", "152", "153", "155", "156", "157", "158", "159", "166",
                   "173", "175", "176", "177", "178", "180", "181", "182", "183", "185",
                   "186", "187", "188", "189", "191", "198", "199"]
# 4116xx: 项城市 most often, else the other counties and districts of 周口市 (people born
# elsewhere in the prefecture).
ID_REGIONS = ["411681"] * 12 + ["411602", "411603", "411621", "411622", "411623", "411624",
                                "411625", "411627", "411628"]
ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
ID_CHECK = "10X98765432"
REF_YEAR = 2026  # "now" for ages in the sample text

# (category, subcategory, handling unit or None for the township government, amount kind,
#  where: urban (the six 街道) | rural | any, titles, contents, replies). Titles and replies are
#  picked at the content's index. Placeholders: {addr} {place} {amount} {n} {months} {age}
#  {phone} {idno} (the caller's) {elder_id} and company names {builder} {factory} {shop}
#  {school} {company}.
TOPICS = [
    ("城市管理", "噪音扰民", "市城市管理局", None, "any",
     ["反映{place}夜间噪音扰民", "{place}附近施工噪音问题"],
     ["来电人反映{addr}附近有商户每天晚上十点以后还在用音响播放音乐，严重影响休息，多次沟通无果，"
      "希望相关部门尽快处理。",
      "来电人称{place}旁边的工地连续{n}天夜间施工，凌晨两点还有搅拌车进出，家里老人孩子无法入睡，"
      "要求查处夜间违规施工。"],
     ["经市城市管理局执法人员现场核实，已责令商户降低音量并在22时前停止外放，来电人表示认可。",
      "经核实，该工地未办理夜间施工许可，执法中队已下达整改通知书，夜间已停止施工。"]),
    ("城市管理", "垃圾清运", None, None, "any",
     ["{place}垃圾长期无人清运", "反映{place}垃圾桶满溢"],
     ["来电人反映{addr}的垃圾已经堆了{n}天没人清运，天热气味很大，招苍蝇，希望尽快安排清运。",
      "来电人称{place}门口的垃圾桶每天上午就满了，保洁车下午才来，垃圾散落一地，建议增加清运频次。"],
     ["经乡镇环卫所核实，已安排保洁车辆当日清运完毕，并调整为每日两次清运。",
      "已协调保洁公司增设垃圾桶{n}个，清运时间调整为上午九点前。"]),
    ("城市管理", "路灯不亮", "市城市管理局", None, "any",
     ["{place}路灯不亮", "反映{place}一段路灯损坏"],
     ["来电人反映{addr}一带的路灯已经{n}天晚上不亮了，晚上出行很不安全，希望尽快维修。",
      "来电人称{place}到学校门口这段路有{n}盏路灯不亮，学生晚自习放学路上漆黑一片。"],
     ["经市城市管理局市政维护中心现场检修，更换损坏的灯具和线路，路灯已恢复照明。"]),
    ("城市管理", "占道经营", "市城市管理局", None, "urban",
     ["{place}占道经营问题", "反映{place}流动摊贩占道"],
     ["来电人反映{addr}早市摊贩占用机动车道经营，早上七点到九点车辆无法通行，存在安全隐患。"],
     ["城管执法中队已对占道摊点进行劝导疏导，引导入市经营，并安排人员早间值守。"]),
    ("环境保护", "大气污染", "周口市生态环境局项城分局", None, "any",
     ["反映{place}附近焚烧垃圾", "{place}企业废气扰民"],
     ["来电人反映{addr}附近有人焚烧塑料垃圾，黑烟很大，气味刺鼻，要求相关部门处理。",
      "来电人称{factory}晚上排放刺激性气体，周边居民咳嗽、嗓子疼，怀疑偷排，请环保部门夜查。"],
     ["经生态环境分局执法人员现场检查，已责令停止焚烧并清理现场，对相关责任人进行了教育。",
      "执法人员夜间对该企业进行突击检查，废气处理设施运行不正常，已立案调查并责令整改。"]),
    ("环境保护", "水污染", "周口市生态环境局项城分局", None, "rural",
     ["{place}附近河沟污水", "反映{place}排污问题"],
     ["来电人反映{addr}附近的河沟里有黑臭污水流入，怀疑附近养殖场直排，希望查处。"],
     ["经现场排查，系养殖场沼液池渗漏所致，已责令其限期整改并清理沟渠。"]),
    ("劳动保障", "拖欠工资", "市人力资源和社会保障局", "wage", "any",
     ["{builder}拖欠农民工工资", "反映{company}拖欠工资"],
     ["来电人称其在{builder}承建的工地务工，{builder}拖欠{n}名工人{months}个月工资共计{amount}元，"
      "多次讨要未果。来电人身份证号{idno}，联系电话{phone}。",
      "来电人反映在{company}工作期间被拖欠工资{amount}元，公司以工程款未结为由一直推脱，"
      "希望劳动监察部门帮忙追讨。"],
     ["经市劳动保障监察大队调查核实，已督促{builder}于本月支付拖欠工资，来电人表示已收到。",
      "劳动监察大队已对{company}立案调查，下达《劳动保障监察责令改正决定书》，限期支付。"]),
    ("劳动保障", "社保缴纳", "市人力资源和社会保障局", None, "any",
     ["反映{company}未缴社保", "咨询城乡居民养老保险缴费"],
     ["来电人称其入职{company}已{months}个月，公司一直未给缴纳社会保险，询问如何维权。来电人身份证号码{idno}。",
      "来电人咨询城乡居民基本养老保险今年的缴费档次和缴费截止时间，村里通知不清楚。"],
     ["劳动保障监察大队已责令{company}为来电人补缴入职以来的社会保险费，来电人表示认可。",
      "已向来电人解释缴费档次及截止时间，并告知可通过“豫事办”APP自助缴费。"]),
    ("住房城乡建设", "物业服务", "市住房和城乡建设局", None, "urban",
     ["{place}物业服务差", "反映{place}物业乱收费"],
     ["来电人反映{addr}物业不作为，电梯经常故障，楼道灯坏了{n}个月没人修，物业费却年年涨。",
      "来电人称{place}物业公司强制收取停车管理费每月{n}0元，未公示收费依据，要求查处。"],
     ["市住建局物业科已约谈{place}物业公司，电梯已完成检修，楼道照明已恢复。",
      "经核实，该收费未经备案，已责令物业公司暂停收取并公示收费标准。"]),
    ("住房城乡建设", "燃气服务", "市住房和城乡建设局", None, "urban",
     ["{place}天然气迟迟不通气", "反映{place}燃气管道安全隐患"],
     ["来电人反映{addr}去年就交了天然气开户费，管道已经入户，燃气公司一直没来通气点火，"
      "冬天做饭只能用电。",
      "来电人称{place}楼下燃气管道被车辆撞弯，闻到有轻微气味，担心出事，要求燃气公司马上检修。"],
     ["市住建局已督促燃气公司{n}日内完成验收通气，来电人家中已正常用气。",
      "燃气公司抢修人员已到场检测，更换受损管段并加装防撞护栏，无泄漏。"]),
    ("住房城乡建设", "不动产办证", "市自然资源局", None, "urban",
     ["{place}小区无法办理房产证", "反映{place}办证难"],
     ["来电人称{place}交房已经{n}年，开发商一直没有办理不动产权证，孩子上学受影响，要求尽快办证。"],
     ["经市自然资源局核实，该项目已完成竣工验收备案，正在办理首次登记，预计两个月内可分户办证。"]),
    ("交通运输", "道路破损", "市交通运输局", None, "any",
     ["{place}道路坑洼", "反映{place}路面塌陷"],
     ["来电人反映{addr}路段路面坑洼不平，下雨后积水严重，电动车经常摔倒，请尽快修补。"],
     ["市公路事业发展中心已安排养护人员对坑槽进行修补，路面已恢复平整。"]),
    ("市场监管", "食品安全", "市市场监督管理局", None, "any",
     ["在{place}附近超市购买到过期食品", "反映{place}附近小吃店卫生问题"],
     ["来电人反映在{addr}一家超市购买的牛奶已过期{n}天，要求商家赔偿并查处。",
      "来电人称在{place}附近的小吃店吃饭后全家腹泻，怀疑食材不新鲜，要求检查后厨卫生。"],
     ["市市场监管局执法人员已对该超市进行检查，下架过期食品，商家已按规定赔偿来电人。",
      "执法人员已对该店后厨进行检查，责令停业整改，并对食材抽样送检。"]),
    ("市场监管", "消费纠纷", "市市场监督管理局", "consumer", "any",
     ["{shop}预付卡退费纠纷", "反映购买的电动车质量问题"],
     ["来电人称在{shop}办理预付卡充值{amount}元，现商家关门无法消费，要求退还余额。",
      "来电人反映在{place}购买的电动车使用{n}天后电池鼓包，价格{amount}元，商家拒绝退换。"],
     ["经市场监管所调解，商家同意退还剩余金额，双方达成一致。",
      "经调解，商家同意为来电人更换电池，来电人表示满意。"]),
    ("供水供电", "停水", "项城市自来水公司", None, "any",
     ["{place}停水未通知", "反映{place}水压低"],
     ["来电人反映{addr}从早上开始停水，事先没有任何通知，家里老人做饭都成问题。"],
     ["经核实，系主管网抢修临时停水，已于当日18时恢复供水，今后停水将提前公告。"]),
    ("供水供电", "停电", "国网项城市供电公司", None, "any",
     ["{place}频繁停电", "反映{place}电压不稳"],
     ["来电人反映{addr}这个月已经停电{n}次，电压也不稳，家里冰箱都烧坏了。"],
     ["供电公司已对该台区变压器进行增容改造，电压恢复正常。"]),
    ("教育", "校外培训", "市教育体育局", "consumer", "any",
     ["{school}培训退费", "反映违规校外培训"],
     ["来电人称给孩子在{school}报了培训班交费{amount}元，机构停课后拒绝退费，联系电话{phone}。"],
     ["市教体局已约谈培训机构负责人，机构承诺按剩余课时退费。"]),
    ("农业农村", "惠农补贴", "市农业农村局", "subsidy", "rural",
     ["咨询耕地地力保护补贴", "反映补贴未发放"],
     ["来电人称{addr}村民的耕地地力保护补贴{amount}元至今没有发到“一卡通”上，村里说不清楚原因。"],
     ["经乡镇财政所核实，因来电人银行账户信息有误导致发放失败，已更正信息并重新发放。"]),
    ("民政", "高龄津贴", "市民政局", "subsidy", "any",
     ["反映高龄津贴停发", "咨询高龄津贴认证"],
     ["来电人称家中老人今年{age}岁，高龄津贴从上个月起停发了，老人身份证号{elder_id}，请帮忙查询。"],
     ["经市民政局核实，老人未按期完成年度资格认证，已协助上门认证，津贴将于下月补发。"]),
    ("公安", "交通秩序", "市公安局交通管理大队", None, "urban",
     ["{place}路口车辆乱停", "反映{place}上下学交通拥堵"],
     ["来电人反映{addr}路口早晚高峰车辆乱停乱放，学校门口拥堵严重，建议增派交警疏导。"],
     ["交警大队已在该路口增设临时停车区，上下学时段安排警力疏导。"]),
]

SUPPLEMENTS = [
    "\n补充：来电人要求处理结果电话告知，不要上门。",
    "\n补充说明：该问题去年已反映过一次（工单已办结），但问题反复出现。",
    "\n来电人再次来电催办。",
]
QUOTED = [
    "，物业工作人员说\"这事不归我们管,你去找社区\"",
    "，商家称\"概不退换\"，态度恶劣",
    "，对方回复\"等领导批\"，一直没有下文",
]

CHANNELS = ["PHONE"] * 70 + ["WECHAT"] * 12 + ["WEB"] * 6 + ["APP"] * 8 + ["LETTER", "OTHER"] * 2
STATUSES = (["RECEIVED"] * 4 + ["DISPATCHED"] * 8 + ["ACCEPTED"] * 10 + ["RETURNED"] * 2
            + ["HANDLED"] * 14 + ["SUPERVISED"] * 3 + ["CALLED_BACK"] * 15 + ["CLOSED"] * 44)
URGENCIES = ["NORMAL"] * 90 + ["URGENT"] * 8 + ["VERY_URGENT"] * 2
DEADLINE_S = {"NORMAL": 5 * 86400, "URGENT": 86400, "VERY_URGENT": 2 * 3600}
SATISFACTION = [5] * 55 + [4] * 25 + [3] * 10 + [2] * 5 + [1] * 5

WO_HEADER = ["工单编号", "来电渠道", "受理时间", "来电人", "联系电话", "身份证号", "诉求分类",
             "诉求子类", "标题", "诉求内容", "事发地址", "网格编码", "承办单位", "办理时限",
             "办理状态", "紧急程度", "涉及金额", "满意度", "回复内容"]
WO_FIELDS = ["order_no", "channel", "received_at", "caller_name", "caller_phone",
             "caller_id_no", "category", "subcategory", "title", "content", "address",
             "grid_code", "handling_unit", "deadline", "status", "urgency", "amount_involved",
             "satisfaction", "reply"]
WO = {name: i for i, name in enumerate(WO_FIELDS)}

# Bad workorder rows, in the order they are used: (field, reason, bad text).
WO_BAD = [
    ("satisfaction", "not-an-int", "满意"),
    ("channel", "unknown-symbol", "电话"),
    ("received_at", "bad-timestamp", "2026/9/20 上午10:30"),
    ("amount_involved", "bad-decimal", "1,280.00"),
    ("deadline", "bad-timestamp", "待定"),
    ("status", "unknown-symbol", "办理中"),
    ("received_at", "impossible-date", "2026-09-31 10:30:00"),
    ("urgency", "unknown-symbol", "加急"),
    ("satisfaction", "not-an-int", "4.5"),
    ("amount_involved", "scale-too-large", "99.999"),
]


def id_check(first17):
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS)) % 11]


def id_valid(idno):
    return (len(idno) == 18 and idno[:17].isdigit() and id_check(idno[:17]) == idno[17])


def make_id(rng, year=None):
    """A resident ID with a valid check character; born in @year or 1940-2006."""
    region = rng.choice(ID_REGIONS)
    year = year or rng.randint(1940, 2006)
    month = rng.randint(1, 12)
    mdays = [31, 29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28, 31, 30, 31,
             30, 31, 31, 30, 31, 30, 31][month - 1]
    day = rng.randint(1, mdays)
    first17 = "%s%04d%02d%02d%03d" % (region, year, month, day, rng.randint(1, 999))
    return first17 + id_check(first17)


def make_phone(rng):
    return rng.choice(MOBILE_PREFIXES) + "%08d" % rng.randrange(100000000)


def make_name(rng):
    n = 2 if rng.random() < 0.3 else 1
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(n))


def parse_start(text):
    # Times are kept as +08:00 wall-clock seconds handled as if UTC (no DST in China).
    return calendar.timegm(time.strptime(text, "%Y-%m-%d %H:%M:%S"))


_DAYS = {}


def _day(days):
    text = _DAYS.get(days)
    if text is None:
        text = _DAYS[days] = "%04d-%02d-%02d" % time.gmtime(days * 86400)[:3]
    return text


def local_text(t):
    """2026-09-20 10:30:00 (how the hotline exports times)"""
    days, sod = divmod(t, 86400)
    return "%s %02d:%02d:%02d" % (_day(days), sod // 3600, sod // 60 % 60, sod % 60)


def iso_out(t):
    """2026-09-20T10:30:00.000+08:00 (how gdx tail prints a timestamp-millis)"""
    days, sod = divmod(t, 86400)
    return "%sT%02d:%02d:%02d.000+08:00" % (_day(days), sod // 3600, sod // 60 % 60, sod % 60)


def iso_in(t):
    """2026-09-20T10:30:00+08:00 (ISO 8601 with an offset, as in the incident feed)"""
    days, sod = divmod(t, 86400)
    return "%sT%02d:%02d:%02d+08:00" % (_day(days), sod // 3600, sod // 60 % 60, sod % 60)


def bad_positions(rows, bad):
    """Record numbers (1-based) of the bad rows: spread evenly, seed-independent."""
    if bad > rows:
        raise SystemExit("gen_sample: --bad %d is more than --rows %d" % (bad, rows))
    return {(2 * i + 1) * rows // (2 * bad) + 1 for i in range(bad)} if bad else set()


class Places:
    """Addresses, places and grid codes of 项城市, precomputed for speed."""

    def __init__(self, rng):
        self.towns = []
        for town, code in TOWNS:
            if int(code) <= URBAN:
                places = [(e, "%s%s%d号%s" % (town, r, rng.randint(1, 300), e), c)
                          for e, r, c in zip(rng.sample(ESTATES, 6), rng.sample(ROADS, 6),
                                             rng.sample(COMMUNITIES, 6))]
            else:
                stems = rng.sample(VILLAGE_STEMS, 8)
                places = [(s + "村", "%s%s村%s组" % (town, s, rng.choice(GROUPS)), s + "村")
                          for s in stems]
            self.towns.append((town, code, places))

    def pick(self, rng, where="any"):
        """(town code, short place, full address, grid code); where: urban|rural|any"""
        n = len(self.towns)
        if where == "urban":
            i = rng.randrange(URBAN)
        elif where == "rural":
            i = rng.randrange(URBAN, n)
        else:
            i = rng.randrange(URBAN) if rng.random() < 0.45 else rng.randrange(n)
        town, code, places = self.towns[i]
        place, addr, _ = rng.choice(places)
        if i < URBAN:
            addr = "项城市%s%d号楼%d单元%d0%d室" % (addr, rng.randint(1, 18), rng.randint(1, 4),
                                              rng.randint(1, 18), rng.randint(1, 4))
        else:
            addr = "项城市" + addr
        grid = "%s%s%03d" % (REGION, code, 400 + rng.randint(1, 30))  # grids are 4xx-9xx
        return code, place, addr, grid


def fmt_amount(kind, rng):
    if kind == "wage":
        return "%d.00" % (rng.randint(10, 800) * 100)
    if kind == "consumer":
        return "%d.%02d" % (rng.randint(19, 9999), rng.choice([0, 0, 0, 50, 90, 99]))
    return "%d.%02d" % (rng.randint(50, 3000), rng.randrange(100))


# Rows are a varying head (number, time, channel) plus a body: who called, about what, where
# and how it went. Bodies are generated fresh for the first POOL rows and drawn from those
# afterwards, which keeps a million rows to seconds; each body caches its CSV and JSON text.
POOL = 50000


def csv_text(fields):
    """One CSV record without its terminator (RFC 4180 quoting)."""
    buf = io.StringIO()
    # the terminator tells the writer which characters need quotes: keep CR and LF in it
    csv.writer(buf, lineterminator="\r\n").writerow(fields)
    return buf.getvalue()[:-2]


def json_mid(d):
    """A dict's members as JSON text without the braces: pasted between other members."""
    return json.dumps(d, ensure_ascii=False)[1:-1]


class WorkOrderMaker:
    def __init__(self, rng):
        self.rng = rng
        self.places = Places(rng)
        self.people = [(make_name(rng), make_phone(rng), make_id(rng)) for _ in range(5000)]
        self.companies = {role: ["%s%s%s" % (rng.choice(["项城市", "周口", "河南"]), s, k)
                                 for s in COMPANY_STEMS for k in kinds]
                          for role, kinds in COMPANY_KINDS.items()}

    def body(self):
        rng = self.rng
        random_, choice, randint = rng.random, rng.choice, rng.randint
        if random_() < 0.7:
            name, phone, idno = make_name(rng), make_phone(rng), make_id(rng)
        else:
            name, phone, idno = choice(self.people)  # people who call more than once
        if random_() < 0.03:
            name = "匿名"
        category, sub, unit, amount_kind, where, titles, contents, replies = choice(TOPICS)
        code, place, addr, grid = self.places.pick(rng, where)
        if unit is None:
            unit = TOWN_UNIT[code]
        amount = fmt_amount(amount_kind, rng) if amount_kind else ""
        subst = {role: choice(names) for role, names in self.companies.items()}
        age = randint(80, 99)
        subst.update({"addr": addr, "place": place, "age": age,
                      "elder_id": make_id(rng, REF_YEAR - age),
                      "amount": amount, "n": randint(2, 9), "months": randint(2, 8), "idno": idno,
                      "phone": make_phone(rng) if random_() < 0.5 else phone})
        i = int(random_() * len(contents))  # titles and replies follow the content
        title = titles[i % len(titles)].format_map(subst)
        template = contents[i]
        content = template.format_map(subst)
        r = random_()
        if r < 0.04:
            content = content.rstrip("。") + choice(QUOTED) + "。"
        elif r < 0.08:
            content += choice(SUPPLEMENTS)
        elif r < 0.09:
            title += ",再次反映"
        urgency = choice(URGENCIES)
        status = choice(STATUSES)
        reply = ""
        if status in ("HANDLED", "CALLED_BACK", "CLOSED"):
            reply = replies[i % len(replies)].format_map(subst)
        satisfaction = ""
        if status in ("CALLED_BACK", "CLOSED") and random_() < 0.9:
            satisfaction = str(choice(SATISFACTION))
        id_out = idno if "{idno}" in template or random_() < 0.35 else ""
        if random_() < 0.1:
            grid = ""
        mid = [name, phone, id_out, category, sub, title, content, addr, grid, unit]
        tail = [status, urgency, amount, satisfaction, reply]
        emid = {"caller_name": name, "caller_phone": phone, "caller_id_no": id_out or None,
                "category": category, "subcategory": sub, "title": title, "content": content,
                "address": addr, "grid_code": grid or None, "handling_unit": unit}
        etail = {"status": status, "urgency": urgency, "amount_involved": amount or None,
                 "satisfaction": int(satisfaction) if satisfaction else None,
                 "reply": reply or None}
        return (mid, tail, csv_text(mid), csv_text(tail), json_mid(emid), json_mid(etail),
                DEADLINE_S[urgency], sum(x.count("\n") for x in mid + tail))


def gen_workorders(args, out, expect, rng):
    maker = WorkOrderMaker(rng)
    bodies = []
    bad = bad_positions(args.rows, args.bad)
    nbad = 0
    eol = "\r\n" if args.eol == "crlf" else "\n"
    t = parse_start(args.start)
    day, seq = None, 0
    line = 2  # the header is line 1
    chunk = [csv_text(WO_HEADER), eol]
    echunk = []
    random_ = rng.random  # int(random_() * n) is 3x faster than randrange(n)
    nchannels = len(CHANNELS)
    for row in range(1, args.rows + 1):
        t += 10 + int(random_() * 101)
        if t // 86400 != day:
            day, seq = t // 86400, 0
            ymd = _day(day).replace("-", "")
        seq += 1
        order_no = "GD%s%06d" % (ymd, seq)
        channel = CHANNELS[int(random_() * nchannels)]
        if row <= POOL:
            body = maker.body()
            bodies.append(body)
        else:
            body = bodies[int(random_() * POOL)]
        mid, tail, cmid, ctail, emid, etail, dl, nl = body
        received, deadline = local_text(t), local_text(t + dl)
        if row in bad:
            rec = [order_no, channel, received] + mid + [deadline] + tail
            field, reason, text = WO_BAD[nbad % len(WO_BAD)]
            rec[WO[field]] = text
            nbad += 1
            print("bad line=%d row=%d field=%s reason=%s" % (line, row, field, reason),
                  file=sys.stderr)
            chunk.append(csv_text(rec))
        else:
            chunk.append("%s,%s,%s,%s,%s,%s" % (order_no, channel, received, cmid, deadline,
                                                 ctail))
            if expect is not None:
                echunk.append('{"order_no": "%s", "channel": "%s", "received_at": "%s", %s, '
                              '"deadline": "%s", %s}\n' % (order_no, channel, iso_out(t), emid,
                                                            iso_out(t + dl), etail))
        chunk.append(eol)
        line += 1 + nl
        if row % 20000 == 0:
            flush(out, chunk, args.encoding, expect, echunk)
    flush(out, chunk, args.encoding, expect, echunk)
    return nbad


INCIDENTS = [
    ("矛盾纠纷", 2, 6,
     ["{village}村民{name}与邻居因宅基地边界发生争执，双方情绪激动，网格员已现场劝解，建议镇调委会介入调解。",
      "{village}{name}家因赡养老人问题兄弟三人发生矛盾，老人反映生活无着落，需调解。",
      "{village}两户村民因浇地用水排序发生口角，现场有推搡，已劝开。"]),
    ("安全隐患", 0, 3,
     ["{estate}{bld}号楼楼道内有电动车充电，飞线从三楼窗户接下，存在火灾隐患。",
      "{estate}消防通道被私家车长期占用，消防车无法通行，已贴告知单。",
      "{village}一处废弃土坯房墙体开裂倾斜，紧邻村道，有倒塌危险，已设置警示带。"]),
    ("环境卫生", 0, 1,
     ["{village}村口沟渠内堆放大量建筑垃圾和生活垃圾，已联系保洁员。",
      "{village}麦田地头发现焚烧秸秆痕迹，火已扑灭，未造成损失。",
      "{estate}化粪池污水外溢，气味很大，居民意见大。"]),
    ("市政设施", 0, 1,
     ["{road}人行道井盖缺失，已临时用锥桶围挡，请尽快补装。",
      "{road}与{road2}交叉口路灯杆倾斜，夜间不亮。",
      "{road}路面塌陷约两平方米，深约半米。"]),
    ("民生服务", 1, 2,
     ["走访发现{village}独居老人{name}（{age}岁）家中取暖设施老旧，老人行动不便，建议纳入关爱名单。",
      "{village}困难群众{name}因病致贫，家属反映医疗费用负担重，询问临时救助政策。联系电话{phone}。"]),
    ("治安防控", 0, 4,
     ["{estate}门口有陌生人发放“高息理财”传单，疑似非法集资宣传，已拍照留存并报派出所。",
      "{village}夜间有人收购老人手中旧物件，形迹可疑，已告知村委会。"]),
]
# Templates usable in town (no {village}) and in the countryside (no {estate}).
INC_URBAN = [(c, lo, hi, t) for c, lo, hi, ts in INCIDENTS for t in ts if "{village}" not in t]
INC_RURAL = [(c, lo, hi, t) for c, lo, hi, ts in INCIDENTS for t in ts if "{estate}" not in t]
INC_SOURCES = ["PATROL"] * 70 + ["RESIDENT"] * 15 + ["HOTLINE"] * 10 + ["VIDEO"] * 4 + ["OTHER"]
INC_STATUSES = (["REPORTED"] * 8 + ["ACCEPTED"] * 10 + ["DISPATCHED"] * 10 + ["IN_PROGRESS"] * 12
                + ["ESCALATED"] * 3 + ["RESOLVED"] * 22 + ["CLOSED"] * 35)
INC_BAD = [
    ("involved_persons_count", "not-an-int", "三人"),
    ("", "bad-json", None),
    ("reported_at", "bad-timestamp", "昨天下午"),
    ("status", "unknown-symbol", "PENDING"),
    ("photo_count", "not-an-int", 2.5),
]


def incident_body(rng, places, staff):
    """Everything of an incident but its number and times, as JSON fragments."""
    code, place, addr, grid = places.pick(rng)
    reporter = staff.get(grid)
    if reporter is None:
        reporter = staff[grid] = ("WG" + grid, make_name(rng))
    category, lo, hi, text = rng.choice(INC_URBAN if int(code) <= URBAN else INC_RURAL)
    subst = {"village": place, "estate": place, "name": make_name(rng),
             "age": rng.randint(80, 96), "phone": make_phone(rng), "bld": rng.randint(1, 18),
             "road": rng.choice(ROADS), "road2": rng.choice(ROADS)}
    desc = text.format_map(subst)
    if rng.random() < 0.05:
        desc += "\n处置建议：请相关部门\"尽快\"到场。"
    status = rng.choice(INC_STATUSES)
    resolve_s = rng.randint(1800, 5 * 86400) if status in ("RESOLVED", "CLOSED") else None
    source = rng.choice(INC_SOURCES)
    hotline = None
    if source == "HOTLINE":
        hotline = "GD%s%06d" % ("%s", rng.randint(1, 400))  # date filled per row
    location = None
    if rng.random() < 0.85:
        lat, lon = TOWN_CENTRES[code]
        location = "%.6f,%.6f" % (lat + rng.uniform(-0.03, 0.03), lon + rng.uniform(-0.03, 0.03))
    head = {"grid_code": grid, "source": source, "reporter_staff_no": reporter[0],
            "reporter_name": reporter[1]}
    mid = {"category": category, "description": desc,
           "address": addr if rng.random() < 0.9 else None, "location": location,
           "involved_persons_count": rng.randint(lo, hi), "status": status}
    tail = {"photo_count": rng.randint(0, 6)}
    return (head, mid, tail, hotline, resolve_s,
            json_mid(head), json_mid(mid), json_mid(tail))


def gen_incidents(args, out, expect, rng):
    places = Places(rng)
    staff = {}
    bodies = []
    bad = bad_positions(args.rows, args.bad)
    nbad = 0
    t = parse_start(args.start)
    day, seq = None, 0
    chunk, echunk = [], []
    random_ = rng.random
    for row in range(1, args.rows + 1):
        t += 30 + int(random_() * 371)
        if t // 86400 != day:
            day, seq = t // 86400, 0
            ymd = _day(day).replace("-", "")
        seq += 1
        if row <= POOL:
            body = incident_body(rng, places, staff)
            bodies.append(body)
        else:
            body = bodies[int(random_() * POOL)]
        head, mid, tail, hotline, resolve_s, jhead, jmid, jtail = body
        number = "SJ%s%06d" % (ymd, seq)
        hot = json.dumps(hotline % ymd if hotline else None)
        if row in bad:
            rec = {"incident_no": number}
            rec.update(head)
            rec["reported_at"] = iso_in(t)
            rec.update(mid)
            rec["resolved_at"] = iso_in(t + resolve_s) if resolve_s else None
            rec.update(tail)
            rec["hotline_order_no"] = json.loads(hot)
            field, reason, value = INC_BAD[nbad % len(INC_BAD)]
            nbad += 1
            if field:
                rec[field] = value
                text = json.dumps(rec, ensure_ascii=False)
            else:
                text = json.dumps(rec, ensure_ascii=False)[:60]  # cut short mid-object
                field = "-"
            print("bad line=%d row=%d field=%s reason=%s" % (row, row, field, reason),
                  file=sys.stderr)
            chunk.append(text + "\n")
            continue
        fmt = ('{"incident_no": "%s", %s, "reported_at": "%s", %s, "resolved_at": %s, %s, '
               '"hotline_order_no": %s}\n')
        chunk.append(fmt % (number, jhead, iso_in(t), jmid,
                            '"%s"' % iso_in(t + resolve_s) if resolve_s else "null", jtail, hot))
        if expect is not None:
            echunk.append(fmt % (number, jhead, iso_out(t), jmid,
                                 '"%s"' % iso_out(t + resolve_s) if resolve_s else "null", jtail,
                                 hot))
        if row % 20000 == 0:
            flush(out, chunk, "utf-8", expect, echunk)
    flush(out, chunk, "utf-8", expect, echunk)
    return nbad


def flush(out, chunk, encoding, expect, echunk):
    out.write("".join(chunk).encode(encoding))
    chunk.clear()
    if expect is not None and echunk:
        expect.write("".join(echunk).encode("utf-8"))
        echunk.clear()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kind", choices=["workorders", "incidents"], required=True)
    ap.add_argument("--rows", type=int, default=1000)
    ap.add_argument("--bad", type=int, default=0, help="number of bad rows (default 0)")
    ap.add_argument("--seed", type=int, default=411681)
    ap.add_argument("--encoding", default="utf-8",
                    help="CSV encoding (gb18030 as the hotline exports, or utf-8); JSONL is utf-8")
    ap.add_argument("--eol", choices=["crlf", "lf"], default="crlf", help="CSV record separator")
    ap.add_argument("--start", default="2026-09-20 08:00:00", help="time of the first row, +08:00")
    ap.add_argument("--out", required=True, help="output file, - for stdout")
    ap.add_argument("--expect", help="write the expected decoded records (JSON Lines) here")
    args = ap.parse_args()
    if args.rows < 0 or args.bad < 0:
        ap.error("--rows and --bad must not be negative")
    if args.kind == "incidents":
        args.encoding = "utf-8"
    "".encode(args.encoding)  # unknown encodings fail before any output
    rng = random.Random(args.seed)
    out = sys.stdout.buffer if args.out == "-" else open(args.out, "wb")
    expect = open(args.expect, "wb") if args.expect else None
    gen = gen_workorders if args.kind == "workorders" else gen_incidents
    nbad = gen(args, out, expect, rng)
    if out is not sys.stdout.buffer:
        out.close()
    if expect is not None:
        expect.close()
    print("gen_sample: %d %s, %d bad, to %s" % (args.rows, args.kind, nbad, args.out),
          file=sys.stderr)


if __name__ == "__main__":
    main()
