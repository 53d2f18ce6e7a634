#!/usr/bin/python3
"""Create the dispute-mediation system's SQLite database for the demo (schemas/mediation/
case.avsc): a `mediation_case` table as the city's 人民调解 system keeps it, with an
auto-increment id and a NOT NULL, indexed `updated_at` the sql connector captures by.

    gen_mediation_db.py --rows N --out FILE.db [--seed S]
"""
import argparse
import random
import sqlite3

TOWNS = ["花园街道", "水寨街道", "东方街道", "莲花街道", "千佛阁街道", "光武街道", "南顿镇",
         "孙店镇", "李寨镇", "贾岭镇", "高寺镇", "新桥镇", "付集镇", "官会镇", "丁集镇", "郑郭镇",
         "秣陵镇", "王明口镇", "范集镇", "永丰镇", "三店镇", "老城镇"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = ["建国", "秀英", "桂兰", "志强", "海燕", "国庆", "淑珍", "伟", "芳", "军", "磊", "静",
         "红霞", "玉梅", "卫东", "春花", "保国", "金凤", "明亮", "小燕"]
DISPUTES = [
    ("婚姻家庭纠纷", "双方因离婚后子女抚养费支付问题发生争执，申请人要求被申请人按月支付抚养费。"),
    ("邻里纠纷", "双方因宅基地边界和滴水檐问题多次发生口角，影响邻里关系。"),
    ("土地承包经营纠纷", "双方对承包地流转合同到期后的收回时间和青苗补偿存在争议。"),
    ("劳务报酬纠纷", "申请人在被申请人承包的工地务工，工程结束后劳务费一直未结清。"),
    ("损害赔偿纠纷", "被申请人饲养的家犬咬伤申请人，双方就医疗费赔偿数额协商未果。"),
    ("物业纠纷", "业主以电梯长期故障为由拒交物业费，物业公司要求补交欠费。"),
    ("道路交通事故纠纷", "双方电动车在村道相撞，就误工费和车辆维修费赔偿产生分歧。"),
]
COMMITTEES = ["千佛阁街道人民调解委员会", "付集镇人民调解委员会", "项城市医疗纠纷人民调解委员会",
              "项城市道路交通事故人民调解委员会", "秣陵镇人民调解委员会",
              "项城市物业纠纷人民调解委员会"]
SOURCES = ["APPLICATION", "REFERRAL", "INITIATIVE", "GRID"]
STATUSES = ["ACCEPTED", "MEDIATING", "AGREED", "AGREED", "AGREED", "FAILED", "WITHDRAWN"]
W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def resident_id(r):
    body = "4116%02d%04d%02d%02d%03d" % (r.choice([81, 81, 81, 81, 2, 3, 23, 24, 25]),
                                         r.randint(1950, 2003),
                                         r.randint(1, 12), r.randint(1, 28), r.randint(0, 999))
    return body + "10X98765432"[sum(int(a) * w for a, w in zip(body, W)) % 11]


def name(r):
    return r.choice(SURNAMES) + r.choice(GIVEN)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=2000)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=809)
    a = ap.parse_args()
    r = random.Random(a.seed)
    db = sqlite3.connect(a.out)
    db.executescript("""
        CREATE TABLE mediation_case (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            case_no TEXT NOT NULL UNIQUE, accepted_at TEXT NOT NULL, source TEXT NOT NULL,
            dispute_type TEXT NOT NULL, applicant_name TEXT NOT NULL, applicant_phone TEXT,
            applicant_id_no TEXT, respondent_name TEXT NOT NULL, respondent_id_no TEXT,
            parties_count INTEGER NOT NULL, summary TEXT NOT NULL, amount_involved NUMERIC,
            committee TEXT NOT NULL, mediator_name TEXT NOT NULL, status TEXT NOT NULL,
            agreement_performed INTEGER, judicial_confirmation INTEGER NOT NULL,
            closed_at TEXT, updated_at TEXT NOT NULL);
        CREATE INDEX mediation_case_updated ON mediation_case (updated_at, id);
    """)
    rows = []
    for i in range(1, a.rows + 1):
        day = 1 + (i * 29) // a.rows
        acc = "2026-09-%02d %02d:%02d:%02d" % (day, 8 + i % 10, i % 60, (i * 7) % 60)
        kind, summary = r.choice(DISPUTES)
        status = r.choice(STATUSES)
        closed = status in ("AGREED", "FAILED", "WITHDRAWN")
        town = r.choice(TOWNS)
        phone = "1%d%09d" % (r.choice([3, 5, 7, 8, 9]), r.randint(0, 999999999))
        rows.append((
            "TJ2026%04d%04d" % (900 + day, i), acc, r.choice(SOURCES), kind, name(r),
            phone if r.random() < 0.9 else None, resident_id(r) if r.random() < 0.8 else None,
            name(r), resident_id(r) if r.random() < 0.5 else None, r.choice([2, 2, 2, 3, 4]),
            "项城市%s%s" % (town, summary),
            "%d.%02d" % (r.randint(500, 90000), r.randint(0, 99)) if r.random() < 0.6 else None,
            r.choice(COMMITTEES), name(r), status,
            (1 if r.random() < 0.9 else 0) if status == "AGREED" else None,
            1 if status == "AGREED" and r.random() < 0.2 else 0,
            acc.replace(" 0", " 1", 1) if closed else None, acc))
    db.executemany("INSERT INTO mediation_case (case_no, accepted_at, source, dispute_type, "
                   "applicant_name, applicant_phone, applicant_id_no, respondent_name, "
                   "respondent_id_no, parties_count, summary, amount_involved, committee, "
                   "mediator_name, status, agreement_performed, judicial_confirmation, "
                   "closed_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    db.commit()
    db.close()


if __name__ == "__main__":
    main()
