"""Specs of the generated record schemas (gen_schemas.py): schemas/<unit>/<record>.avsc.

Each entry: record name, Chinese and English doc, fields as (name, type, 中文, English[,
labels]). Labels: level g/i/c (general/important/core) then PI n/p/s (none/pi/spi).
Personal-information classes follow PIPL: resident ID numbers, health and medical data,
criminal-justice status, bank accounts, minors' data and precise positions are spi; names,
phones and addresses are pi. "如 A、B、C" in a doc lists realistic values (the simulator draws
from them).
"""
from gen_schemas import E


def ID(name="id_no", who="", who_en="", opt=False):
    return (name, "string?" if opt else "string", "%s居民身份证号码" % who,
            ("%s resident ID number" % who_en).strip(), "is")


def NAME(name="name", who="", who_en="", labels="ip"):
    return (name, "string", "%s姓名" % who, ("%s name" % who_en).strip(), labels)


def PHONE(name="phone", who="", who_en="", opt=True):
    return (name, "string?" if opt else "string", "%s联系电话" % who,
            ("%s phone number" % who_en).strip(), "ip")


def ADDR(name="address", zh="住址", en="address", opt=False):
    return (name, "string?" if opt else "string", zh, en, "ip")


TOWN = ("township", "string", "所属镇（街道），如 千佛阁街道、莲花街道、付集镇、秣陵镇",
        "town or sub-district")
COMM = ("community", "string", "所属村（社区），如 刘祖师庙社区、潘庄社区、袁桥社区、付集村、直河村",
        "village or community")
GRID = ("grid_code", "string?", "网格编码（12位）", "grid code (12 digits)")
UPD = ("updated_at", "ts", "更新时间", "time of the last change")
GENDER = E("Gender", [("MALE", "男"), ("FEMALE", "女"), ("UNKNOWN", "未知")], "UNKNOWN")
OTHER = ("OTHER", "其他")

SPECS = {}


def S(rel, name, zh, en, fields):
    SPECS[rel] = {"name": name, "zh": zh, "en": en, "fields": fields}


# ---- 12345 hotline ----------------------------------------------------------------------
S("hotline12345/callback.avsc", "Callback",
  "12345工单回访评价（办结后回访来电人，了解是否解决、是否满意）",
  "a call-back to the caller after a work order was handled: resolved or not, satisfied or not", [
      ("callback_id", "string", "回访编号，HF+日期+6位序号，如 HF20260920000123", "call-back id"),
      ("order_no", "string", "工单编号，如 GD20260920000123", "work order number"),
      ("called_at", "ts", "回访时间", "time of the call-back"),
      ("method", E("CallbackMethod", [("PHONE", "电话回访"), ("SMS", "短信评价"), ("WECHAT", "微信评价"), OTHER], "OTHER"), "回访方式", "how the caller was reached"),
      ("reached", "boolean", "是否联系上来电人", "whether the caller was reached"),
      ("resolved", E("Resolved", [("RESOLVED", "已解决"), ("PARTLY", "部分解决"), ("UNRESOLVED", "未解决"), ("UNKNOWN", "未表态")], "UNKNOWN"), "问题解决情况", "whether the matter was resolved"),
      ("satisfaction", "int?", "满意度（1 非常不满意 … 5 非常满意）", "satisfaction, 1 to 5"),
      ("handling_unit", "string", "承办单位，如 市城市管理局、市住房和城乡建设局、付集镇人民政府", "unit that handled the order"),
      ("caller_opinion", "string?", "来电人意见（原话整理，可能含个人信息）", "the caller's words; may contain personal data", "ip"),
      ("reopened", "boolean", "是否重新派单（不满意重办）", "whether the order was sent back for handling again"),
      ("agent_staff_no", "string", "回访员工号", "staff number of the call-back agent", "gp"),
  ])
S("hotline12345/article.avsc", "Article",
  "热线政策知识库条目（话务员答复群众咨询所用的政策解答，公开发布）",
  "an entry of the hotline's policy knowledge base, used by operators to answer questions; published", [
      ("article_id", "string", "知识编号，ZS+6位序号，如 ZS001234", "article id"),
      ("title", "string", "标题，如 城乡居民医保缴费标准、高龄津贴申领条件、不动产登记办理流程、新生儿落户办理", "title"),
      ("category", "string", "知识分类，如 社会保障、医疗保障、户籍管理、不动产、教育入学、民政救助", "category"),
      ("answer", "string", "答复口径", "the answer operators give"),
      ("source_unit", "string", "提供单位，如 市医疗保障局、市民政局、市公安局、市自然资源局", "unit that provided it"),
      ("valid_from", "date", "生效日期", "valid from"),
      ("valid_until", "date?", "失效日期，长期有效为空", "valid until; null while in force"),
      ("hits", "int", "累计引用次数", "times used by operators"),
      UPD,
  ])

# ---- grid management --------------------------------------------------------------------
S("grid/visit.avsc", "Visit",
  "网格员入户走访记录（走访户、走访事由、发现问题，一户一次一条）",
  "a grid worker's home visit: the household, why, and what was found; one record per visit", [
      ("visit_id", "string", "走访编号，ZF+日期+6位序号，如 ZF20260920000123", "visit id"),
      ("staff_no", "string", "网格员工号，如 WG411681005001", "staff number of the grid worker", "gp"),
      ("grid_code", "string", "网格编码（12位）", "grid code"),
      TOWN, COMM,
      ("household_head", "string", "户主姓名", "head of household", "ip"),
      ADDR("address", "走访地址", "address visited"),
      ("purpose", "string", "走访事由，如 日常走访、政策宣传、独居老人关爱、高龄津贴认证、矛盾排查、防汛巡查、反诈宣传", "purpose of the visit"),
      ("visited_at", "ts", "走访时间", "time of the visit"),
      ("findings", "string?", "走访发现的问题及诉求（可能含家庭成员信息）", "problems or requests found; may describe family members", "ip"),
      ("issue_reported", "boolean", "是否转为网格事件上报", "whether a grid incident was reported from it"),
      ("location", "string?", "走访定位，WGS-84 \"纬度,经度\"", "position of the visit, WGS-84 \"lat,lon\"", "is"),
  ])
S("grid/key_person.avsc", "KeyPerson",
  "重点人群服务管理台账（严重精神障碍患者、社区矫正对象、刑满释放人员等需关爱帮扶和服务管理的人员；不予共享）",
  "register of people who need care and follow-up (severe mental illness, community correction, released prisoners); not shared", [
      ("person_id", "string", "人员编号", "person id"),
      NAME(),
      ID(),
      ("category", E("KeyCategory", [("MENTAL_ILLNESS", "严重精神障碍患者"), ("CORRECTION", "社区矫正对象"), ("RELEASED", "刑满释放人员"), ("DRUG_REHAB", "社区戒毒康复人员"), ("PETITION", "重点信访人员"), OTHER], "OTHER"), "人员类别", "category"),
      ("risk_level", E("RiskLevel", [("LOW", "低"), ("MEDIUM", "中"), ("HIGH", "高")]), "风险等级", "risk level"),
      TOWN, COMM,
      ("grid_code", "string", "网格编码", "grid code"),
      ("helper_staff_no", "string", "帮扶责任网格员工号", "staff number of the grid worker responsible", "gp"),
      ("last_contact_on", "date", "最近一次见面日期", "date last seen"),
      ("notes", "string?", "帮扶情况记录", "follow-up notes", "is"),
      UPD,
  ])
S("grid/volunteer.avsc", "Volunteer",
  "网格志愿者（全市8566名网格志愿者的登记信息及服务时长）",
  "a grid volunteer (8,566 in the city): registration and hours served", [
      ("volunteer_no", "string", "志愿者编号，ZY+6位序号，如 ZY008566", "volunteer number"),
      NAME(labels="gp"),
      PHONE(opt=False),
      ("gender", GENDER, "性别", "sex"),
      ("birth_year", "int", "出生年份", "year of birth"),
      ("political_status", "string", "政治面貌，如 中共党员、共青团员、群众", "political status"),
      ("grid_code", "string", "服务网格编码", "grid served"),
      TOWN, COMM,
      ("service_type", "string", "服务类别，如 治安巡逻、环境整治、助老助残、文明劝导、防汛值守、反诈宣传", "kind of service"),
      ("service_hours", "double", "累计服务时长（小时）", "hours served"),
      ("registered_on", "date", "注册日期", "date registered"),
      ("active", "boolean", "是否在册", "currently registered"),
      UPD,
  ])

# ---- civil affairs ----------------------------------------------------------------------
S("civil/assistance_case.avsc", "AssistanceCase",
  "社会救助对象（最低生活保障、特困人员供养、临时救助）",
  "a social assistance case: minimum living allowance, extreme poverty support or temporary relief", [
      ("case_no", "string", "救助编号，JZ+年份+6位序号，如 JZ2026001234", "case number"),
      NAME(who="申请人", who_en="applicant's"),
      ID(who="申请人", who_en="applicant's"),
      ("assistance_type", "string", "救助类别，如 最低生活保障、特困人员供养、临时救助", "kind of assistance", "is"),
      ("household_size", "int", "家庭保障人口数", "people covered in the household"),
      ("monthly_amount", "dec:10:2", "月救助金额（元）", "monthly amount in yuan", "in"),
      TOWN, COMM,
      ("approved_on", "date?", "审批日期", "date approved"),
      ("status", E("AssistanceStatus", [("APPLIED", "已申请"), ("APPROVED", "已审批"), ("SUSPENDED", "暂停"), ("TERMINATED", "终止")]), "状态", "status"),
      ("review_due_on", "date?", "下次复核日期", "date of the next review"),
      UPD,
  ])
S("civil/marriage_registration.avsc", "MarriageRegistration",
  "婚姻登记记录（结婚、离婚、补领登记）",
  "a marriage registration: marriage, divorce or replacement certificate", [
      ("registration_no", "string", "登记字号，如 J411681-2026-001234、L411681-2026-000123", "registration number"),
      ("reg_type", E("MarriageType", [("MARRIAGE", "结婚登记"), ("DIVORCE", "离婚登记"), ("REISSUE", "补领婚姻登记证")]), "登记类型", "kind of registration"),
      NAME("party_a_name", "男方", "first party's"),
      ID("party_a_id_no", "男方", "first party's"),
      NAME("party_b_name", "女方", "second party's"),
      ID("party_b_id_no", "女方", "second party's"),
      ("registered_on", "date", "登记日期", "date registered"),
      ("office", "string", "登记机关，如 项城市民政局婚姻登记处", "registry office"),
      ("cert_no", "string", "证书编号", "certificate number"),
  ])
S("civil/cremation.avsc", "Cremation",
  "火化及殡葬服务记录（殡仪馆火化登记，死亡信息同步公安、人社、医保停发待遇）",
  "a cremation record of the funeral home; the death is passed on to police, pensions and health insurance", [
      ("record_no", "string", "火化编号，HH+日期+4位序号，如 HH202609200012", "cremation number"),
      NAME(who="逝者", who_en="deceased's"),
      ID(who="逝者", who_en="deceased's"),
      ("gender", GENDER, "性别", "sex"),
      ("age", "int", "享年", "age at death"),
      ("died_on", "date", "死亡日期", "date of death"),
      ("cremated_at", "ts", "火化时间", "time of cremation"),
      TOWN,
      ("death_cert_no", "string", "死亡医学证明编号", "number of the medical death certificate", "ip"),
      NAME("family_contact", "经办家属", "family member's"),
      PHONE("family_phone", "经办家属", "family member's", opt=False),
      ("subsidy_amount", "dec:8:2", "惠民殡葬补贴（元）", "funeral subsidy in yuan"),
  ])
S("civil/child.avsc", "Child",
  "农村留守儿童关爱服务台账（未成年人信息，不予共享）",
  "register of left-behind children in the countryside (minors' data; not shared)", [
      ("child_id", "string", "儿童编号", "child id"),
      NAME(labels="is"),
      ID(),
      ("gender", GENDER, "性别", "sex"),
      ("birth_date", "string", "出生日期，YYYY-MM-DD", "date of birth, YYYY-MM-DD", "is"),
      TOWN, COMM,
      ("school", "string?", "就读学校，如 付集镇中心小学、秣陵镇第一初级中学", "school attended"),
      NAME("guardian_name", "监护人", "guardian's"),
      PHONE("guardian_phone", "监护人", "guardian's", opt=False),
      ("parents_working_in", "string", "父母外出务工地，如 浙江省宁波市、广东省东莞市、江苏省苏州市", "where the parents work"),
      ("care_status", "string", "关爱帮扶情况，如 定期探访、学业辅导、心理疏导", "care provided", "is"),
      ("director", "string", "儿童主任（村级）", "village children's director", "gp"),
      UPD,
  ])
S("civil/disability_subsidy.avsc", "DisabilitySubsidy",
  "困难残疾人生活补贴和重度残疾人护理补贴发放明细（按月）",
  "a monthly payment of the two disability allowances: living allowance for people in hardship and care allowance for the severely disabled", [
      ("payment_id", "string", "发放编号，CB+年月+6位序号，如 CB202609001234", "payment id"),
      NAME(who="残疾人", who_en="disabled person's"),
      ID(who="残疾人", who_en="disabled person's"),
      ("disability_cert_no", "string", "残疾人证号", "disability certificate number", "is"),
      ("disability_grade", "string", "残疾类别和等级，如 肢体二级、视力一级、智力三级", "kind and grade of disability", "is"),
      ("subsidy_type", E("DisabilitySubsidyType", [("LIVING", "困难残疾人生活补贴"), ("CARE", "重度残疾人护理补贴"), ("BOTH", "两项补贴")]), "补贴类别", "allowance"),
      ("period", "string", "发放月份，如 2026-09", "month paid for"),
      ("amount", "dec:8:2", "发放金额（元）", "amount in yuan"),
      ("bank_account", "string", "惠民惠农“一卡通”账号", "bank account of the subsidy card", "is"),
      TOWN,
      ("paid_on", "date", "发放日期", "date paid"),
  ])

# ---- police -----------------------------------------------------------------------------
S("police/population_stat.avsc", "PopulationStat",
  "实有人口统计（按村、社区汇总，不含个人信息）",
  "actual population by village or community, aggregated; no personal data", [
      ("stat_id", "string", "统计编号，村（社区）代码+统计月份", "statistic id"),
      ("period", "string", "统计月份，如 2026-09", "month"),
      TOWN, COMM,
      ("registered", "int", "户籍人口", "registered residents"),
      ("floating", "int", "流动人口", "floating population"),
      ("overseas", "int", "境外人员", "foreign residents"),
      ("households", "int", "户数", "households"),
      ("aged_60_plus", "int", "60周岁以上人口", "residents aged 60 or over"),
      ("rental_houses", "int", "出租房屋数", "rented dwellings"),
  ])
S("police/traffic_violation.avsc", "TrafficViolation",
  "交通违法记录（现场处罚和电子警察抓拍）",
  "a traffic violation, booked on the spot or by an enforcement camera", [
      ("violation_no", "string", "违法编号，如 4116812026000123456", "violation number"),
      ("occurred_at", "ts", "违法时间", "time of the violation"),
      ("place", "string", "违法地点，如 莲花大道与交通路交叉口、106国道项城段、建设路", "place"),
      ("violation", "string", "违法行为，如 闯红灯、未按规定戴头盔、违法停车、超速行驶、不礼让行人", "offence"),
      ("vehicle_type", "string", "车辆类型，如 小型汽车、电动自行车、摩托车、重型货车", "kind of vehicle"),
      ("plate_no", "string?", "号牌号码", "number plate", "ip"),
      NAME("party_name", "当事人", "party's"),
      ID("party_id_no", "当事人", "party's", opt=True),
      ("fine", "dec:8:2", "罚款金额（元）", "fine in yuan"),
      ("points", "int", "记分", "penalty points"),
      ("source", E("ViolationSource", [("ON_SITE", "现场执法"), ("CAMERA", "电子警察"), ("REPORT", "群众举报")]), "发现方式", "how it was found"),
      ("status", E("ViolationStatus", [("UNPROCESSED", "未处理"), ("PROCESSED", "已处理"), ("PAID", "已缴款")]), "处理状态", "status"),
  ])
S("police/alarm_summary.avsc", "AlarmSummary",
  "110接处警摘要（脱敏：不含报警人身份信息，警情内容经过清洗；由指挥中心系统导出XML）",
  "summary of a 110 emergency call and its handling, de-identified (no caller identity, content scrubbed); exported as XML by the command centre system", [
      ("alarm_no", "string", "接警单编号，如 J4116812026092000123", "call number"),
      ("received_at", "ts", "接警时间", "time the call was taken"),
      ("category", "string", "警情类别，如 求助、纠纷、治安案件、交通事故、火情、诈骗", "kind of call"),
      ("subcategory", "string", "警情细类，如 家庭纠纷、邻里纠纷、电信诈骗、盗窃电动车、走失", "detail"),
      ("township", "string", "发生地镇（街道），如 千佛阁街道、付集镇", "town or sub-district"),
      ("station", "string", "处警单位，如 千佛阁派出所、付集派出所、秣陵派出所、交警大队", "police station that responded"),
      ("dispatched_at", "ts?", "派警时间", "time officers were sent"),
      ("arrived_at", "ts?", "到场时间", "time officers arrived"),
      ("result", "string", "处警结果，如 调解处理、移交综治中心、立案侦查、现场救助、劝离", "outcome"),
      ("summary", "string", "简要警情（已脱敏）", "short summary, de-identified", "ip"),
      ("referred_to", "string?", "移交单位，如 付集镇综治中心、市民政局", "body the matter was passed to"),
  ])
S("police/fraud_warning.avsc", "FraudWarning",
  "反诈预警劝阻记录（对疑似受骗群众的预警及上门劝阻）",
  "an anti-fraud warning: a resident at risk of being defrauded and the call or visit that warned them", [
      ("warning_no", "string", "预警编号，FZ+日期+5位序号，如 FZ2026092000012", "warning number"),
      ("warned_at", "ts", "预警时间", "time of the warning"),
      ("fraud_type", "string", "诈骗类型，如 刷单返利、虚假投资理财、冒充客服、冒充公检法、虚假贷款、网络游戏交易", "kind of fraud"),
      NAME("resident_name", "群众", "resident's"),
      PHONE("resident_phone", "群众", "resident's", opt=False),
      TOWN,
      ("method", E("WarningMethod", [("CALL", "电话劝阻"), ("SMS", "短信提醒"), ("VISIT", "上门劝阻"), ("GRID", "网格员劝阻")]), "劝阻方式", "how the resident was warned"),
      ("result", E("WarningResult", [("STOPPED", "劝阻成功"), ("LOST", "已被骗"), ("UNREACHED", "未联系上"), ("NOT_FRAUD", "非诈骗")]), "劝阻结果", "result"),
      ("loss_amount", "dec:12:2?", "被骗金额（元）", "amount lost in yuan"),
      ("grid_staff_no", "string?", "参与劝阻网格员工号", "staff number of the grid worker involved", "gp"),
  ])

# ---- market regulation -----------------------------------------------------------------
S("market/food_sample.avsc", "FoodSample",
  "食品安全监督抽检结果（依法公开）",
  "a food safety sample test result (published by law)", [
      ("sample_no", "string", "抽样单编号，如 DBJ26411681001234", "sample number"),
      ("food_name", "string", "食品名称，如 小麦粉、白芝麻、豆芽、猪肉、鸡蛋、白酒、食用植物油", "food"),
      ("category", "string", "食品大类，如 粮食加工品、食用农产品、酒类、食用油油脂及其制品、调味品", "category"),
      ("producer", "string", "标称生产企业，如 项城市莲花面业有限公司", "producer"),
      ("seller", "string", "被抽样单位，如 项城市千佛阁街道某超市、付集镇农贸市场", "where it was sampled"),
      ("sampled_on", "date", "抽样日期", "date sampled"),
      ("test_items", "string", "检验项目，如 铅、黄曲霉毒素B1、农药残留、二氧化硫", "what was tested"),
      ("result", E("SampleResult", [("PASS", "合格"), ("FAIL", "不合格"), ("PENDING", "检验中")]), "检验结论", "result"),
      ("failed_item", "string?", "不合格项目", "failed test"),
      ("lab", "string", "检验机构，如 周口市食品药品检验检测中心", "laboratory"),
  ])
S("market/complaint12315.avsc", "Complaint12315",
  "12315投诉举报（全国12315平台分流至项城市的消费投诉和举报）",
  "a consumer complaint or report from the national 12315 platform, routed to the city", [
      ("complaint_no", "string", "投诉举报编号，如 1411681202609200012", "complaint number"),
      ("kind", E("ComplaintKind", [("COMPLAINT", "投诉"), ("REPORT", "举报"), ("ENQUIRY", "咨询")]), "类型", "kind"),
      ("received_at", "ts", "登记时间", "time registered"),
      NAME("complainant_name", "投诉人", "complainant's"),
      PHONE("complainant_phone", "投诉人", "complainant's", opt=False),
      ("respondent", "string", "被投诉对象，如 项城市某家电商场、某教育培训学校、某美容美发店", "business complained about"),
      ("category", "string", "问题类别，如 预付卡退费、商品质量、价格欺诈、虚假宣传、食品安全", "category"),
      ("content", "string", "投诉内容", "content", "ip"),
      ("amount", "dec:12:2?", "涉及金额（元）", "amount in yuan"),
      ("status", E("ComplaintStatus", [("RECEIVED", "已登记"), ("MEDIATING", "调解中"), ("SETTLED", "调解成功"), ("FAILED", "调解终止"), ("FILED", "已立案")]), "处理状态", "status"),
      ("recovered_amount", "dec:12:2?", "挽回经济损失（元）", "money recovered in yuan"),
      UPD,
  ])
S("market/random_inspection.avsc", "RandomInspection",
  "“双随机、一公开”抽查结果（随机抽取检查对象、随机选派执法检查人员，结果公开）",
  "a random inspection (random targets, randomly chosen inspectors) and its published result", [
      ("task_no", "string", "抽查任务编号，如 SSJ2026-411681-015", "task number"),
      ("target_name", "string", "检查对象名称，如 项城市某食品有限公司、某加油站", "business inspected"),
      ("target_uscc", "string", "统一社会信用代码", "unified social credit code"),
      ("inspection_item", "string", "检查事项，如 营业执照公示、产品质量、计量器具、广告发布", "what was checked"),
      ("inspected_on", "date", "检查日期", "date inspected"),
      ("result", E("InspectionResult", [("NORMAL", "未发现问题"), ("RECTIFY", "发现问题已责令整改"), ("NOT_FOUND", "未发现开展经营活动"), ("ABNORMAL", "列入经营异常名录")]), "检查结果", "result"),
      ("inspectors", "int", "检查人员数", "number of inspectors"),
      ("published", "boolean", "结果是否已公示", "whether the result was published"),
  ])

# ---- party organisation -----------------------------------------------------------------
S("party/branch.avsc", "Branch",
  "基层党组织信息（党委、党总支、党支部）",
  "a basic-level party organisation: committee, general branch or branch", [
      ("org_code", "string", "党组织代码", "organisation code"),
      ("name", "string", "党组织名称，如 中共项城市付集镇付集村支部委员会、中共项城市财政局机关支部委员会", "name"),
      ("org_type", E("OrgType", [("COMMITTEE", "党委"), ("GENERAL_BRANCH", "党总支"), ("BRANCH", "党支部")]), "组织类别", "kind"),
      ("parent_org", "string?", "上级党组织", "parent organisation"),
      ("field", "string", "所属领域，如 农村、社区、机关、事业单位、非公企业、社会组织", "field"),
      ("members", "int", "党员人数", "members"),
      ("secretary_role", "string", "书记任职情况，如 村党支部书记兼村委会主任", "how the secretary post is held"),
      ("established_on", "date", "成立日期", "date founded"),
      UPD,
  ])
S("party/grid_party_unit.avsc", "GridPartyUnit",
  "网格党组织（全市501个网格党支部、2478个网格党小组、4422个党员中心户）",
  "a grid party unit: 501 grid party branches, 2,478 grid party groups and 4,422 party-member households in the city", [
      ("unit_code", "string", "网格党组织编号，如 WGDZB411681005001、WGDXZ411681005001-2、DYZXH411681005001-07", "unit code"),
      ("unit_type", E("GridPartyType", [("BRANCH", "网格党支部"), ("GROUP", "网格党小组"), ("HOUSEHOLD", "党员中心户")]), "类别", "kind"),
      ("name", "string", "名称，如 千佛阁街道刘祖师庙社区第一网格党支部", "name"),
      ("parent_code", "string?", "上级网格党组织编号", "parent unit"),
      ("grid_code", "string", "所在网格编码", "grid"),
      TOWN, COMM,
      NAME("leader_name", "负责人", "leader's", "gp"),
      PHONE("leader_phone", "负责人", "leader's"),
      ("members", "int", "党员人数（党员中心户为联系户数）", "party members (households served, for a party-member household)"),
      UPD,
  ])

# ---- mediation --------------------------------------------------------------------------
S("mediation/screening.avsc", "Screening",
  "矛盾纠纷排查台账（网格员、调解员定期排查发现的矛盾纠纷线索）",
  "a dispute found on a regular screening by grid workers and mediators", [
      ("screening_id", "string", "排查编号，PC+日期+5位序号，如 PC2026092000123", "screening id"),
      ("screened_on", "date", "排查日期", "date"),
      TOWN, COMM,
      ("grid_code", "string", "网格编码", "grid code"),
      ("dispute_type", "string", "纠纷类型，如 婚姻家庭、邻里纠纷、土地承包、宅基地、劳资纠纷、赡养纠纷", "kind of dispute"),
      ("parties", "string", "当事人（姓名）", "the parties (names)", "ip"),
      ("description", "string", "纠纷情况", "description", "ip"),
      ("risk_level", E("DisputeRisk", [("LOW", "一般"), ("MEDIUM", "较大"), ("HIGH", "重大")]), "风险等级", "risk level"),
      ("action", E("ScreeningAction", [("RESOLVED_ON_SPOT", "就地化解"), ("TO_VILLAGE", "交村（社区）调委会"), ("TO_TOWN", "上报镇（街道）综治中心"), ("TO_CITY", "上报市综治中心"), ("WATCH", "持续关注")]), "处置方式", "what was done"),
      ("staff_no", "string", "排查人员工号", "staff number of the screener", "gp"),
  ])

# ---- whistle and report -----------------------------------------------------------------
S("whistle/evaluation.avsc", "Evaluation",
  "部门报到考核评价（按周汇总各部门响应吹哨的时效和质量）",
  "weekly evaluation of how each department answered whistles: speed and quality", [
      ("evaluation_id", "string", "评价编号，部门代码+周次", "evaluation id"),
      ("week", "string", "考核周，如 2026-W38", "week"),
      ("department", "string", "被考核部门，如 市住房和城乡建设局、市城市管理局、市自然资源局、市生态环境局项城分局", "department"),
      ("tasks", "int", "接哨任务数", "tasks received"),
      ("on_time", "int", "按时报到数", "reported in on time"),
      ("resolved", "int", "办结数", "tasks completed"),
      ("avg_response_hours", "double", "平均响应时长（小时）", "average response time in hours"),
      ("avg_score", "double?", "镇街平均评分（百分制）", "average score from the towns, out of 100"),
      ("rank", "int", "排名", "rank"),
  ])

# ---- government services ----------------------------------------------------------------
S("govservice/service_item.avsc", "ServiceItem",
  "政务服务事项目录（事项清单，依法公开）",
  "a government service item of the city's catalogue (published)", [
      ("item_code", "string", "事项实施编码，如 11411681MB1234567X4000117001", "implementation code"),
      ("item_name", "string", "事项名称，如 城乡居民养老保险待遇申领、个体工商户设立登记、居民身份证换领、高龄津贴申领", "name"),
      ("service_type", "string", "事项类型，如 行政许可、行政确认、行政给付、公共服务", "kind"),
      ("unit", "string", "实施主体，如 项城市人力资源和社会保障局、项城市市场监督管理局", "unit in charge"),
      ("legal_days", "int", "法定办结时限（工作日）", "legal time limit in working days"),
      ("promised_days", "int", "承诺办结时限（工作日）", "promised time limit in working days"),
      ("online_level", "string", "网办深度，如 全程网办、网上预审、一次到场", "how far it can be done online"),
      ("fee", "boolean", "是否收费", "whether a fee is charged"),
      ("one_thing", "string?", "所属“一件事”，如 新生儿出生一件事、退休一件事", "the 一件事 it belongs to"),
      UPD,
  ])
S("govservice/rating.avsc", "Rating",
  "政务服务“好差评”（办事群众对办件的评价，由评价系统实时推送）",
  "a rating of a government service by the applicant (好差评), pushed in real time by the rating system", [
      ("rating_id", "string", "评价编号，HCP+日期+6位序号，如 HCP20260920000123", "rating id"),
      ("application_no", "string", "办件编号", "application number"),
      ("item_name", "string", "事项名称，如 个体工商户设立登记、城乡居民养老保险待遇申领", "service item"),
      ("unit", "string", "被评价单位，如 项城市政务服务中心、付集镇便民服务中心", "unit rated"),
      ("channel", E("RatingChannel", [("WINDOW", "窗口评价器"), ("SMS", "短信"), ("APP", "豫事办、周办等APP"), ("WEB", "网站"), OTHER], "OTHER"), "评价渠道", "channel"),
      ("score", "int", "评价等级（1 非常不满意 … 5 非常满意）", "rating, 1 to 5"),
      ("comment", "string?", "评价内容", "comment", "ip"),
      ("rated_at", "ts", "评价时间", "time rated"),
      ("rectified", "boolean?", "差评是否已整改", "whether a bad rating was acted on"),
  ])
S("govservice/licence.avsc", "Licence",
  "电子证照（证照目录信息，证照文件不经总线交换）",
  "an electronic licence or certificate: its catalogue data (the document itself is not exchanged)", [
      ("licence_id", "string", "证照标识", "licence id"),
      ("licence_type", "string", "证照类型，如 营业执照、食品经营许可证、不动产权证书、结婚证、残疾人证、社会保障卡", "kind of licence"),
      ("licence_no", "string", "证照编号", "licence number"),
      ("holder_name", "string", "持证主体名称", "holder", "ip"),
      ("holder_id", "string", "持证主体代码（身份证号码或统一社会信用代码）", "holder's ID number or credit code", "is"),
      ("issuer", "string", "发证机关，如 项城市市场监督管理局、项城市自然资源局", "issuing authority"),
      ("issued_on", "date", "发证日期", "date issued"),
      ("valid_until", "date?", "有效期至", "valid until"),
      ("status", E("LicenceStatus", [("VALID", "有效"), ("REVOKED", "注销"), ("EXPIRED", "过期")]), "证照状态", "status"),
      UPD,
  ])

# ---- health -----------------------------------------------------------------------------
S("health/health_record.avsc", "HealthRecord",
  "居民电子健康档案（基本信息及健康摘要，属敏感个人信息）",
  "a resident's electronic health record: basic data and a health summary (sensitive personal data)", [
      ("record_no", "string", "健康档案编号（17位）", "health record number"),
      NAME(),
      ID(),
      ("gender", GENDER, "性别", "sex"),
      PHONE(),
      TOWN, COMM,
      ("doctor_team", "string", "家庭医生团队，如 付集镇卫生院第一团队", "family doctor team"),
      ("chronic_conditions", "string?", "慢性病情况，如 高血压、2型糖尿病", "chronic conditions", "is"),
      ("last_checkup_on", "string?", "最近体检日期，YYYY-MM-DD", "date of the last check-up, YYYY-MM-DD", "is"),
      UPD,
  ])
S("health/vaccination.avsc", "Vaccination",
  "预防接种记录（儿童免疫规划疫苗及成人疫苗接种）",
  "a vaccination: childhood immunisation programme or adult vaccine", [
      ("dose_id", "string", "接种记录编号", "dose id"),
      NAME("person_name", "受种者", "vaccinee's", "is"),
      ID("person_id_no", "受种者", "vaccinee's", opt=True),
      ("birth_date", "string", "出生日期，YYYY-MM-DD", "date of birth, YYYY-MM-DD", "is"),
      ("vaccine", "string", "疫苗名称，如 乙肝疫苗、脊灰灭活疫苗、百白破疫苗、麻腮风疫苗、流感疫苗、HPV疫苗", "vaccine", "is"),
      ("dose_no", "int", "剂次", "dose number"),
      ("vaccinated_at", "string", "接种时间，YYYY-MM-DD HH:MM:SS", "time vaccinated, YYYY-MM-DD HH:MM:SS", "is"),
      ("site", "string", "接种单位，如 项城市疾病预防控制中心、付集镇卫生院预防接种门诊", "vaccination site"),
      ("batch_no", "string", "疫苗批号", "batch number"),
  ])
S("health/family_doctor_contract.avsc", "FamilyDoctorContract",
  "家庭医生签约服务（重点人群签约及履约）",
  "a family doctor contract and its services", [
      ("contract_no", "string", "签约编号", "contract number"),
      NAME("resident_name", "签约居民", "resident's"),
      ID("resident_id_no", "签约居民", "resident's"),
      ("population_group", "string", "人群分类，如 65岁以上老年人、高血压患者、糖尿病患者、孕产妇、0-6岁儿童、残疾人", "population group", "is"),
      ("team", "string", "签约团队，如 秣陵镇卫生院第二团队、莲花街道社区卫生服务中心第一团队", "doctor team"),
      ("package", "string", "服务包，如 基础包、老年人健康包、慢病管理包", "service package"),
      ("signed_on", "date", "签约日期", "date signed"),
      ("valid_until", "date", "到期日期", "date the contract ends"),
      ("services_done", "int", "本年度已履约次数", "services delivered this year"),
      TOWN,
      UPD,
  ])
S("health/birth_certificate.avsc", "BirthCertificate",
  "出生医学证明签发记录",
  "a birth medical certificate issued", [
      ("cert_no", "string", "出生医学证明编号，如 Q411681123", "certificate number"),
      ("baby_name", "string", "新生儿姓名", "baby's name", "is"),
      ("gender", GENDER, "性别", "sex"),
      ("born_at", "string", "出生时间，YYYY-MM-DD HH:MM", "time of birth, YYYY-MM-DD HH:MM", "is"),
      ("weight_g", "string", "出生体重（克），数字文本", "birth weight in grams, as digits", "is"),
      ("hospital", "string", "接生机构，如 项城市第一人民医院、项城市妇幼保健院、项城市中医院", "hospital"),
      NAME("mother_name", "母亲", "mother's"),
      ID("mother_id_no", "母亲", "mother's"),
      NAME("father_name", "父亲", "father's"),
      ID("father_id_no", "父亲", "father's", opt=True),
      ("issued_on", "date", "签发日期", "date issued"),
  ])
S("health/chronic_followup.avsc", "ChronicFollowup",
  "慢性病随访记录（高血压、2型糖尿病患者的季度随访）",
  "a follow-up of a patient with hypertension or type 2 diabetes", [
      ("followup_id", "string", "随访编号", "follow-up id"),
      NAME("patient_name", "患者", "patient's"),
      ID("patient_id_no", "患者", "patient's"),
      ("disease", "string", "病种，如 高血压、2型糖尿病、高血压合并糖尿病", "disease", "is"),
      ("followed_on", "date", "随访日期", "date"),
      ("method", E("FollowupMethod", [("CLINIC", "门诊"), ("HOME", "家庭"), ("PHONE", "电话")]), "随访方式", "method"),
      ("systolic", "string?", "收缩压（mmHg），数字文本", "systolic pressure (mmHg), as digits", "is"),
      ("diastolic", "string?", "舒张压（mmHg），数字文本", "diastolic pressure (mmHg), as digits", "is"),
      ("fasting_glucose", "string?", "空腹血糖（mmol/L），数字文本", "fasting glucose (mmol/L), as digits", "is"),
      ("control", "string", "随访评价，如 控制满意、控制不满意、不良反应、并发症", "assessment", "is"),
      ("doctor", "string", "随访医生", "doctor", "gp"),
      TOWN,
  ])

# ---- education --------------------------------------------------------------------------
S("edu/student.avsc", "Student",
  "中小学学籍（未成年人信息）",
  "a primary or secondary school student's enrolment record (minors' data)", [
      ("student_no", "string", "全国学籍号，G+身份证号码", "national student number", "is"),
      NAME(labels="is"),
      ID(),
      ("gender", GENDER, "性别", "sex"),
      ("school", "string", "学校，如 项城市第一初级中学、项城市莲花小学、付集镇中心小学", "school"),
      ("grade", "string", "年级，如 一年级、三年级、七年级、九年级", "grade"),
      ("class_name", "string", "班级", "class"),
      ("status", E("StudentStatus", [("ENROLLED", "在读"), ("TRANSFERRED_IN", "转入"), ("TRANSFERRED_OUT", "转出"), ("SUSPENDED", "休学"), ("GRADUATED", "毕业")]), "学籍状态", "status"),
      ("left_behind", "string", "是否留守儿童，如 是、否", "left-behind child (是 or 否)", "is"),
      ("household_township", "string", "户籍所在镇（街道）", "town of the household registration"),
      UPD,
  ])
S("edu/school.avsc", "School",
  "学校基础信息",
  "a school: basic data", [
      ("school_code", "string", "学校标识码（10位）", "school code"),
      ("name", "string", "学校名称，如 项城市第一高级中学、项城市莲花小学、付集镇中心小学、秣陵镇第一初级中学", "name"),
      ("level", "string", "学段，如 幼儿园、小学、初中、九年一贯制、高中、中职", "level"),
      ("public", "boolean", "是否公办", "public school"),
      TOWN,
      ADDR("address", "校址", "address", opt=False),
      ("students", "int", "在校生数", "students"),
      ("teachers", "int", "专任教师数", "full-time teachers"),
      ("boarding", "boolean", "是否寄宿制", "boarding school"),
      UPD,
  ])
S("edu/enrolment_application.avsc", "EnrolmentApplication",
  "义务教育招生入学报名（小学一年级、初中一年级网上报名，核验户籍和房产）",
  "an application for a place in first grade of primary or junior secondary school, checked against household and property records", [
      ("application_no", "string", "报名编号", "application number"),
      NAME("child_name", "学生", "child's", "is"),
      ID("child_id_no", "学生", "child's"),
      ("stage", E("EnrolStage", [("PRIMARY", "小学一年级"), ("JUNIOR", "初中一年级")]), "报名学段", "stage"),
      ("school", "string", "报名学校，如 项城市实验小学、项城市莲花小学、项城市第一初级中学", "school applied for"),
      NAME("guardian_name", "监护人", "guardian's"),
      ID("guardian_id_no", "监护人", "guardian's"),
      PHONE("guardian_phone", "监护人", "guardian's", opt=False),
      ("basis", E("EnrolBasis", [("HOUSEHOLD_AND_HOME", "户籍和房产一致"), ("HOME_ONLY", "房产"), ("WORKER_CHILD", "随迁子女"), OTHER], "OTHER"), "入学依据", "basis of the application"),
      ("review", E("EnrolReview", [("PENDING", "待审核"), ("PASSED", "审核通过"), ("REJECTED", "审核未通过"), ("PLACED", "已录取")]), "审核状态", "review status"),
      ("submitted_at", "ts", "报名时间", "time submitted"),
  ])
S("edu/student_aid.avsc", "StudentAid",
  "学生资助发放明细（学前、义务教育、普通高中、中职国家助学金及营养改善计划）",
  "a student aid payment (national grants for pre-school, compulsory, senior and vocational education)", [
      ("payment_id", "string", "发放编号", "payment id"),
      NAME("student_name", "学生", "student's", "is"),
      ID("student_id_no", "学生", "student's"),
      ("school", "string", "学校，如 项城市第二高级中学、项城市职业中等专业学校", "school"),
      ("aid_type", "string", "资助项目，如 义务教育家庭经济困难学生生活补助、普通高中国家助学金、中职国家助学金、学前教育资助", "aid"),
      ("hardship", "string", "困难类型，如 建档立卡、低保家庭、特困供养、残疾学生", "kind of hardship", "is"),
      ("term", "string", "学期，如 2026年秋季学期", "term"),
      ("amount", "dec:8:2", "资助金额（元）", "amount in yuan"),
      ("paid_on", "date", "发放日期", "date paid"),
  ])

# ---- housing ----------------------------------------------------------------------------
S("housing/property_complaint.avsc", "PropertyComplaint",
  "物业服务投诉及监管处理",
  "a complaint about a property management company and how the regulator handled it", [
      ("complaint_no", "string", "投诉编号", "complaint number"),
      ("estate", "string", "小区，如 建业桂园、莲花苑、光武花园、滨河花园、锦绣华庭", "housing estate"),
      ("company", "string", "物业服务企业，如 项城市某物业服务有限公司", "property company"),
      TOWN,
      ("issue", "string", "投诉问题，如 电梯故障、违规收费、绿化缺失、消防通道占用、垃圾清运不及时", "issue"),
      NAME("owner_name", "投诉业主", "owner's"),
      PHONE("owner_phone", "投诉业主", "owner's"),
      ("source", E("PropertySource", [("HOTLINE", "12345转办"), ("VISIT", "来访"), ("INSPECTION", "检查发现")]), "来源", "source"),
      ("result", "string?", "处理结果", "outcome"),
      ("status", E("PropertyStatus", [("OPEN", "处理中"), ("CLOSED", "已办结")]), "状态", "status"),
      UPD,
  ])
S("housing/affordable_housing.avsc", "AffordableHousing",
  "保障性住房（公租房）申请及配租",
  "an application for, and allocation of, public rental housing", [
      ("application_no", "string", "申请编号", "application number"),
      NAME(who="申请人", who_en="applicant's"),
      ID(who="申请人", who_en="applicant's"),
      ("household_size", "int", "家庭人口", "household size"),
      ("monthly_income", "string", "家庭人均月收入（元），数字文本", "household income per head per month in yuan, as digits", "is"),
      ("category", "string", "保障类别，如 城镇低保住房困难家庭、新就业无房职工、外来务工人员", "category"),
      ("project", "string?", "配租项目，如 项城市城南公租房小区", "housing project"),
      ("status", E("HousingStatus", [("APPLIED", "已申请"), ("QUALIFIED", "资格审核通过"), ("ALLOCATED", "已配租"), ("REJECTED", "不符合条件"), ("EXITED", "已退出")]), "状态", "status"),
      UPD,
  ])
S("housing/gas_inspection.avsc", "GasInspection",
  "城镇燃气安全检查（入户安检、管网巡检及隐患整改）",
  "a gas safety inspection: household checks, pipeline patrols and the hazards found", [
      ("inspection_no", "string", "检查编号", "inspection number"),
      ("kind", E("GasInspectionKind", [("HOUSEHOLD", "入户安检"), ("COMMERCIAL", "餐饮等工商户检查"), ("PIPELINE", "管网巡检"), ("STATION", "场站检查")]), "检查类别", "kind"),
      ("target", "string", "检查对象，如 住户、餐饮店、中压管线、调压站", "what was inspected"),
      ADDR("address", "检查地址", "address"),
      TOWN,
      ("inspected_at", "ts", "检查时间", "time inspected"),
      ("hazard", "string?", "发现隐患，如 软管老化、未安装报警器、私接改管、占压管线", "hazard found"),
      ("hazard_level", E("GasHazardLevel", [("NONE", "无隐患"), ("GENERAL", "一般隐患"), ("MAJOR", "重大隐患")]), "隐患等级", "hazard level"),
      ("rectified", "boolean", "是否已整改", "whether fixed"),
      ("company", "string", "燃气企业，如 项城市某燃气有限公司", "gas company"),
  ])
S("housing/dangerous_house.avsc", "DangerousHouse",
  "农村危房改造（鉴定、改造方式和补助）",
  "a dilapidated rural house: assessment, renovation and subsidy", [
      ("house_id", "string", "危房编号", "house id"),
      NAME("owner_name", "户主", "owner's"),
      ID("owner_id_no", "户主", "owner's"),
      TOWN, COMM,
      ("grade", E("HouseGrade", [("C", "C级危房"), ("D", "D级危房")]), "鉴定等级", "assessment grade"),
      ("category", "string", "对象类别，如 低保户、分散供养特困人员、低保边缘家庭、防止返贫监测对象", "category", "is"),
      ("method", "string", "改造方式，如 加固改造、拆除重建、租赁安置", "renovation"),
      ("subsidy", "dec:10:2", "补助资金（元）", "subsidy in yuan"),
      ("completed_on", "date?", "竣工日期", "date completed"),
  ])

# ---- human resources and social security ------------------------------------------------
S("hrss/pension_payment.avsc", "PensionPayment",
  "城乡居民基本养老保险待遇发放明细（按月）",
  "a monthly payment of the urban and rural residents' basic pension", [
      ("payment_id", "string", "发放编号", "payment id"),
      NAME(),
      ID(),
      ("period", "string", "发放月份，如 2026-09", "month"),
      ("basic_pension", "dec:8:2", "基础养老金（元）", "basic pension in yuan"),
      ("account_pension", "dec:8:2", "个人账户养老金（元）", "personal account pension in yuan"),
      ("total", "dec:8:2", "发放合计（元）", "total in yuan"),
      ("bank_account", "string", "社会保障卡金融账户", "bank account of the social security card", "is"),
      TOWN,
      ("status", E("PensionStatus", [("PAID", "已发放"), ("SUSPENDED", "暂停（未认证或死亡待核）"), ("FAILED", "发放失败")]), "发放状态", "status"),
  ])
S("hrss/employment_registration.avsc", "EmploymentRegistration",
  "就业失业登记（就业登记、失业登记、就业困难人员认定）",
  "an employment or unemployment registration", [
      ("registration_no", "string", "登记编号", "registration number"),
      NAME(),
      ID(),
      ("reg_type", E("EmploymentType", [("EMPLOYED", "就业登记"), ("UNEMPLOYED", "失业登记"), ("HARDSHIP", "就业困难人员认定")]), "登记类型", "kind"),
      ("employer", "string?", "就业单位，如 项城市某食品有限公司、某皮革制品有限公司", "employer"),
      ("job", "string?", "岗位，如 普工、电商主播、快递员、护工", "job"),
      ("registered_on", "date", "登记日期", "date"),
      TOWN,
      PHONE(),
  ])
S("hrss/wage_arrears_lead.avsc", "WageArrearsLead",
  "欠薪线索（12345、来访、网络投诉等渠道的拖欠农民工工资线索及处置）",
  "a lead on unpaid migrant workers' wages and how it was handled", [
      ("lead_no", "string", "线索编号，QX+日期+4位序号，如 QX202609200012", "lead number"),
      ("source", E("LeadSource", [("HOTLINE", "12345转办"), ("VISIT", "来访"), ("ONLINE", "全国根治欠薪线索反映平台"), ("INSPECTION", "检查发现")]), "线索来源", "source"),
      ("employer", "string", "被反映单位，如 河南某建筑工程有限公司、项城市某劳务有限公司", "employer"),
      ("project", "string?", "工程项目", "construction project"),
      ("workers", "int", "涉及人数", "workers concerned"),
      ("amount", "dec:12:2", "涉及金额（元）", "amount in yuan"),
      NAME("reporter_name", "反映人", "reporter's"),
      PHONE("reporter_phone", "反映人", "reporter's", opt=False),
      ("received_at", "ts", "受理时间", "time received"),
      ("status", E("LeadStatus", [("RECEIVED", "已受理"), ("VERIFYING", "核查中"), ("PAID", "已支付"), ("FILED", "已立案"), ("NOT_FOUND", "查无实据")]), "处置状态", "status"),
      ("paid_amount", "dec:12:2?", "已追回金额（元）", "amount recovered"),
  ])
S("hrss/labour_case.avsc", "LabourCase",
  "劳动保障监察案件",
  "a labour inspection case", [
      ("case_no", "string", "案件编号", "case number"),
      ("employer", "string", "用人单位", "employer"),
      ("employer_uscc", "string", "统一社会信用代码", "unified social credit code"),
      ("violation", "string", "违法行为，如 拖欠工资、未签劳动合同、未缴社会保险、超时加班", "offence"),
      ("workers", "int", "涉及劳动者人数", "workers concerned"),
      ("filed_on", "date", "立案日期", "date opened"),
      ("decision", "string?", "处理决定，如 责令改正、行政处罚、移送公安", "decision"),
      ("fine", "dec:10:2?", "罚款金额（元）", "fine in yuan"),
      ("closed_on", "date?", "结案日期", "date closed"),
  ])
S("hrss/social_card.avsc", "SocialCard",
  "社会保障卡业务（申领、补换、启用、挂失）",
  "a social security card transaction: application, replacement, activation or loss report", [
      ("service_no", "string", "业务流水号", "transaction number"),
      NAME(),
      ID(),
      ("service", E("CardService", [("APPLY", "申领"), ("REPLACE", "补换"), ("ACTIVATE", "启用"), ("REPORT_LOSS", "挂失"), ("ELECTRONIC", "电子社保卡签发")]), "业务类型", "kind"),
      ("outlet", "string", "办理网点，如 项城市社会保障卡服务中心、付集镇便民服务中心、某银行项城支行", "service outlet"),
      ("handled_at", "ts", "办理时间", "time handled"),
      ("card_no", "string?", "社会保障卡号", "card number", "ip"),
  ])

# ---- health insurance -------------------------------------------------------------------
S("medinsure/insured_person.avsc", "InsuredPerson",
  "医疗保险参保登记（城乡居民医保、职工医保）",
  "a health insurance enrolment (residents' or employees' scheme)", [
      ("insured_no", "string", "医保编号", "insurance number"),
      NAME(),
      ID(),
      ("scheme", E("Scheme", [("RESIDENT", "城乡居民基本医疗保险"), ("EMPLOYEE", "职工基本医疗保险")]), "险种", "scheme"),
      ("year", "int", "参保年度", "year"),
      ("subsidy_category", "string?", "资助参保类别，如 特困人员、低保对象、防止返贫监测对象", "category of subsidised enrolment", "is"),
      ("paid", "dec:8:2", "个人缴费（元）", "personal contribution in yuan"),
      TOWN,
      ("status", E("InsuredStatus", [("ACTIVE", "参保缴费"), ("SUSPENDED", "暂停"), ("TERMINATED", "终止")]), "参保状态", "status"),
      UPD,
  ])
S("medinsure/settlement.avsc", "Settlement",
  "医疗费用结算（门诊、住院即时结算）",
  "a medical bill settled: outpatient or inpatient, at the time of treatment", [
      ("settlement_no", "string", "结算流水号", "settlement number"),
      NAME("patient_name", "就诊人", "patient's"),
      ID("patient_id_no", "就诊人", "patient's"),
      ("hospital", "string", "定点医疗机构，如 项城市第一人民医院、项城市中医院、付集镇卫生院、千佛阁街道某诊所", "hospital"),
      ("visit_type", "string", "就诊类别，如 普通门诊、门诊慢特病、住院", "kind of visit", "is"),
      ("diagnosis", "string", "诊断名称，如 上呼吸道感染、高血压、2型糖尿病、脑梗死、肺炎", "diagnosis", "is"),
      ("total_cost", "dec:12:2", "医疗总费用（元）", "total cost in yuan"),
      ("fund_paid", "dec:12:2", "统筹基金支付（元）", "paid by the fund in yuan"),
      ("self_paid", "dec:12:2", "个人自付（元）", "paid by the patient in yuan"),
      ("settled_at", "ts", "结算时间", "time settled"),
  ])
S("medinsure/medical_aid.avsc", "MedicalAid",
  "医疗救助（困难群众住院、门诊费用的救助）",
  "medical aid for people in hardship", [
      ("aid_no", "string", "救助编号", "aid number"),
      NAME(),
      ID(),
      ("category", "string", "救助对象类别，如 特困人员、低保对象、防止返贫监测对象", "category", "is"),
      ("hospital", "string", "就诊医院", "hospital"),
      ("eligible_cost", "dec:12:2", "政策范围内费用（元）", "eligible cost in yuan", "in"),
      ("aid_amount", "dec:12:2", "救助金额（元）", "aid in yuan"),
      ("month", "string", "救助月份，如 2026-09", "month"),
      TOWN,
  ])

# ---- justice ----------------------------------------------------------------------------
S("justice/correction_subject.avsc", "CorrectionSubject",
  "社区矫正对象（刑事执行信息，不予共享）",
  "a person under community correction (criminal-justice data; not shared)", [
      ("subject_no", "string", "矫正对象编号", "subject number"),
      NAME(labels="is"),
      ID(),
      ("correction_type", "string", "矫正类别，如 缓刑、假释、暂予监外执行、管制", "kind", "is"),
      ("start_on", "string", "矫正起始日期，YYYY-MM-DD", "start date, YYYY-MM-DD", "is"),
      ("end_on", "string", "矫正期满日期，YYYY-MM-DD", "end date, YYYY-MM-DD", "is"),
      ("office", "string", "司法所，如 付集司法所、千佛阁司法所", "justice office"),
      ("supervision_level", "string", "管理等级，如 严管、普管、宽管", "supervision level", "is"),
      UPD,
  ])
S("justice/legal_aid_case.avsc", "LegalAidCase",
  "法律援助案件",
  "a legal aid case", [
      ("case_no", "string", "案件编号", "case number"),
      NAME("applicant_name", "受援人", "recipient's"),
      ID("applicant_id_no", "受援人", "recipient's"),
      ("case_type", "string", "案件类型，如 追索劳动报酬、工伤赔偿、婚姻家庭、交通事故赔偿、刑事辩护", "kind of case"),
      ("category", "string", "受援人类别，如 农民工、老年人、残疾人、未成年人、低保对象", "recipient category"),
      ("lawyer_firm", "string", "承办机构，如 项城市法律援助中心、河南某律师事务所", "firm"),
      ("accepted_on", "date", "受理日期", "date accepted"),
      ("closed_on", "date?", "结案日期", "date closed"),
      ("recovered", "dec:12:2?", "挽回经济损失（元）", "money recovered in yuan"),
  ])
S("justice/legal_consultation.avsc", "LegalConsultation",
  "公共法律服务咨询（12348热线、法律服务站点）",
  "a legal consultation (12348 hotline or a legal service point)", [
      ("consultation_no", "string", "咨询编号", "consultation number"),
      ("channel", E("LegalChannel", [("HOTLINE", "12348热线"), ("STATION", "村（社区）法律服务站"), ("ONLINE", "网上咨询")]), "咨询渠道", "channel"),
      ("topic", "string", "咨询类别，如 婚姻家庭、劳动争议、土地承包、房屋买卖、借贷纠纷、继承", "topic"),
      ("question", "string", "咨询内容", "question", "ip"),
      PHONE("caller_phone", "咨询人", "caller's"),
      ("answered_by", "string", "解答人岗位，如 值班律师、基层法律服务工作者", "who answered"),
      ("asked_at", "ts", "咨询时间", "time asked"),
      ("referred", "boolean", "是否转法律援助", "passed to legal aid"),
  ])

# ---- petitions --------------------------------------------------------------------------
S("petition/petition.avsc", "Petition",
  "信访事项（来信、来访、网上信访的受理和办理）",
  "a petition: received by letter, visit or online, and its handling", [
      ("petition_no", "string", "信访件编号", "petition number"),
      ("channel", E("PetitionChannel", [("LETTER", "来信"), ("VISIT", "来访"), ("ONLINE", "网上信访"), ("HOTLINE", "电话")]), "信访形式", "channel"),
      NAME("petitioner_name", "信访人", "petitioner's"),
      ID("petitioner_id_no", "信访人", "petitioner's", opt=True),
      PHONE("petitioner_phone", "信访人", "petitioner's"),
      ("issue_type", "string", "问题类别，如 征地拆迁、劳动社保、城乡建设、涉法涉诉、农村农业", "kind of issue"),
      ("content", "string", "信访内容", "content", "ip"),
      ("responsible_unit", "string", "责任单位，如 市自然资源局、付集镇人民政府", "unit responsible"),
      ("received_on", "date", "登记日期", "date registered"),
      ("deadline", "date", "办理期限", "deadline"),
      ("status", E("PetitionStatus", [("REGISTERED", "已登记"), ("ASSIGNED", "已交办"), ("REPLIED", "已出具意见"), ("REVIEWED", "复查"), ("CLOSED", "已办结")]), "办理状态", "status"),
      UPD,
  ])
S("petition/petition_visit.avsc", "PetitionVisit",
  "来访登记（信访接待大厅来访人员登记）",
  "a visit to the petition reception hall", [
      ("visit_no", "string", "来访登记号", "visit number"),
      ("visited_at", "ts", "来访时间", "time of the visit"),
      NAME("visitor_name", "来访人", "visitor's"),
      ID("visitor_id_no", "来访人", "visitor's"),
      ("group_size", "int", "来访人数", "number of visitors"),
      ("township", "string", "来访人所在镇（街道），如 付集镇、南顿镇", "town or sub-district of the visitors"),
      ("issue", "string", "反映问题", "issue raised", "ip"),
      ("receiver", "string", "接访领导或部门，如 市信访局接访科、市人力资源和社会保障局", "who received them"),
      ("repeat", "boolean", "是否重复来访", "repeat visit"),
  ])

# ---- urban management -------------------------------------------------------------------
S("urban/urban_case.avsc", "UrbanCase",
  "数字化城管案件（信息采集员巡查上报、视频发现及群众举报的市容、市政问题）",
  "a digital urban management case: street and public-works problems found by patrols, cameras or residents", [
      ("case_no", "string", "案件编号", "case number"),
      ("source", E("UrbanSource", [("PATROL", "信息采集员上报"), ("VIDEO", "视频发现"), ("HOTLINE", "12345转办"), ("PUBLIC", "群众举报")]), "案件来源", "source"),
      ("category", "string", "案件类别，如 暴露垃圾、占道经营、乱堆物料、井盖破损、路灯不亮、违规广告", "category"),
      ("place", "string", "发生地点，如 莲花大道、建设路、交通路与团结路交叉口", "place"),
      ("township", "string", "所属街道，如 千佛阁街道、莲花街道、花园街道、东方街道、水寨街道、光武街道", "sub-district"),
      ("reported_at", "ts", "上报时间", "time reported"),
      ("dispatched_to", "string", "处置单位，如 市城市管理局环卫中心、市政设施维护中心、千佛阁街道办事处", "unit it was sent to"),
      ("handled_at", "ts?", "处置完成时间", "time handled"),
      ("status", E("UrbanStatus", [("REPORTED", "已上报"), ("DISPATCHED", "已派遣"), ("HANDLED", "已处置"), ("CLOSED", "已结案"), ("INVALID", "作废")]), "状态", "status"),
      ("location", "string?", "位置，WGS-84 \"纬度,经度\"", "position, WGS-84 \"lat,lon\""),
  ])
S("urban/streetlight_status.avsc", "StreetlightStatus",
  "路灯控制箱运行状态（每小时一条，开关灯、电流电压、故障）",
  "hourly status of a streetlight control cabinet: on or off, current, voltage, faults", [
      ("reading_id", "string", "记录编号，控制箱编号+时间", "reading id"),
      ("cabinet_no", "string", "控制箱编号，如 LD-QFG-015", "cabinet number"),
      ("road", "string", "所在道路，如 莲花大道、建设路、迎宾大道、光武大道、千佛阁路", "road"),
      ("read_at", "ts", "采集时间", "time read"),
      ("on", "boolean", "是否亮灯", "lights on"),
      ("voltage", "double", "电压（V）", "voltage (V)"),
      ("current", "double", "电流（A）", "current (A)"),
      ("lamps_failed", "int", "故障灯数", "failed lamps"),
      ("fault", "string?", "故障类型，如 线路漏电、缺相、灯具损坏、控制箱离线", "fault"),
  ])
S("urban/sanitation_trip.avsc", "SanitationTrip",
  "环卫车辆作业记录（清扫、洒水、垃圾清运车辆每趟作业，厂商平台导出）",
  "one trip of a sanitation vehicle (sweeping, watering, refuse collection), from the vendor's platform", [
      ("trip_id", "string", "作业编号", "trip id"),
      ("vehicle_no", "string", "车辆编号，如 HW-023", "vehicle number"),
      ("vehicle_type", "string", "车辆类型，如 洗扫车、洒水车、压缩式垃圾车、勾臂车", "kind of vehicle"),
      ("route", "string", "作业线路，如 莲花大道东段、建设路全线、付集镇区主街", "route"),
      ("started_at", "ts", "开始时间", "start"),
      ("ended_at", "ts", "结束时间", "end"),
      ("distance_km", "double", "作业里程（公里）", "distance in km"),
      ("tonnage", "double?", "清运量（吨）", "tonnes collected"),
      ("compliant", "boolean", "是否按规定线路和速度作业", "whether route and speed were as planned"),
      ("driver_no", "string", "驾驶员工号", "driver's staff number", "gp"),
  ])
S("urban/parking_event.avsc", "ParkingEvent",
  "城区路内停车泊位事件（驶入、驶离及缴费，由停车平台实时推送）",
  "an on-street parking event (arrival, departure, payment), pushed in real time by the parking platform", [
      ("event_id", "string", "事件编号", "event id"),
      ("berth_no", "string", "泊位编号，如 JSL-0123", "parking bay"),
      ("road", "string", "路段，如 交通路、人民路、文明路、育新街", "road"),
      ("event", E("ParkingEventType", [("ARRIVE", "驶入"), ("DEPART", "驶离"), ("PAY", "缴费")]), "事件类型", "kind of event"),
      ("occurred_at", "ts", "发生时间", "time"),
      ("plate_no", "string", "车牌号码", "number plate", "ip"),
      ("minutes", "int?", "停车时长（分钟，驶离时）", "minutes parked (on departure)"),
      ("fee", "dec:8:2?", "应收费用（元）", "fee in yuan"),
      ("pay_channel", "string?", "缴费方式，如 微信、支付宝、云闪付", "how it was paid"),
  ])

# ---- ecology and environment ------------------------------------------------------------
S("eco/air_quality_hourly.avsc", "AirQualityHourly",
  "空气质量小时数据（国控、省控自动监测站，依法公开）",
  "hourly air quality at an automatic monitoring station (published)", [
      ("reading_id", "string", "记录编号，站点编号+时间", "reading id"),
      ("station", "string", "监测站，如 项城市环境监测站、项城市政府、项城市第三高级中学", "station"),
      ("hour", "ts", "监测时间（整点）", "hour"),
      ("aqi", "int", "空气质量指数", "air quality index"),
      ("pm25", "int", "PM2.5（μg/m³）", "PM2.5 (µg/m³)"),
      ("pm10", "int", "PM10（μg/m³）", "PM10 (µg/m³)"),
      ("so2", "int", "二氧化硫（μg/m³）", "SO2 (µg/m³)"),
      ("no2", "int", "二氧化氮（μg/m³）", "NO2 (µg/m³)"),
      ("o3", "int", "臭氧（μg/m³）", "O3 (µg/m³)"),
      ("co", "double", "一氧化碳（mg/m³）", "CO (mg/m³)"),
      ("primary_pollutant", "string?", "首要污染物，如 PM2.5、PM10、O3", "primary pollutant"),
  ])
S("eco/pollution_reading.avsc", "PollutionReading",
  "重点污染源在线监测小时数据（废水、废气排放口，HJ 212 数据传输标准）",
  "hourly reading of an online emission monitor at a key polluter's outlet (HJ 212)", [
      ("reading_id", "string", "记录编号，监测点编号+时间", "reading id"),
      ("enterprise", "string", "排污单位，如 项城市某味精有限公司、某皮革有限公司、项城市污水处理厂", "enterprise"),
      ("outlet", "string", "排放口，如 DW001、DA001", "outlet"),
      ("pollutant", "string", "监测因子，如 化学需氧量、氨氮、颗粒物、二氧化硫、氮氧化物", "pollutant"),
      ("hour", "ts", "监测时间（整点）", "hour"),
      ("value", "double", "小时均值", "hourly mean"),
      ("unit", "string", "单位，如 mg/L、mg/m³", "unit"),
      ("limit", "double", "排放限值", "emission limit"),
      ("exceeded", "boolean", "是否超标", "whether the limit was exceeded"),
      ("flag", "string", "数据标记，如 N、F、M、D", "HJ 212 data flag"),
  ])
S("eco/env_complaint.avsc", "EnvComplaint",
  "环境信访投诉（生态环境部门受理的噪声、废气、废水投诉）",
  "an environmental complaint (noise, air, water)", [
      ("complaint_no", "string", "投诉编号", "complaint number"),
      ("received_on", "date", "受理日期", "date received"),
      ("source", "string", "来源，如 12345转办、12369环保举报、来信来访", "source"),
      ("kind", "string", "污染类型，如 大气污染、噪声污染、水污染、固体废物", "kind of pollution"),
      ("target", "string", "被投诉对象，如 项城市某皮革有限公司、某建筑工地", "what was complained about"),
      ("content", "string", "投诉内容", "content", "ip"),
      PHONE("complainant_phone", "投诉人", "complainant's"),
      ("result", "string?", "调查处理结果", "outcome"),
      ("substantiated", "boolean?", "投诉是否属实", "whether the complaint was founded"),
  ])

# ---- transport --------------------------------------------------------------------------
S("transport/rural_road.avsc", "RuralRoad",
  "农村公路路段（“四好农村路”建设、管护、运营）",
  "a rural road section (the 四好农村路 programme: built, maintained, run well)", [
      ("road_code", "string", "路线编码，如 X032、Y115、C412", "road code"),
      ("name", "string", "路段名称，如 付集至官会公路、秣陵至丁集公路", "name"),
      ("level", "string", "行政等级，如 县道、乡道、村道", "administrative level"),
      ("township", "string", "所经镇（街道），如 付集镇、官会镇、秣陵镇", "towns it runs through"),
      ("length_km", "double", "里程（公里）", "length in km"),
      ("surface", "string", "路面类型，如 沥青混凝土、水泥混凝土", "surface"),
      ("condition", E("RoadCondition", [("EXCELLENT", "优"), ("GOOD", "良"), ("FAIR", "中"), ("POOR", "次"), ("BAD", "差")]), "技术状况", "condition"),
      ("road_chief", "string", "路长岗位，如 镇级路长、村级路长", "road chief post"),
      ("last_maintained_on", "date?", "最近养护日期", "date last maintained"),
      UPD,
  ])
S("transport/bus_trip.avsc", "BusTrip",
  "城乡公交班次运行记录（车载终端实时推送）",
  "a city or rural bus trip, pushed in real time by the on-board terminal", [
      ("trip_id", "string", "班次编号", "trip id"),
      ("line", "string", "线路，如 项城1路、项城3路、项城—付集、项城—秣陵、项城—南顿", "line"),
      ("bus_no", "string", "车辆自编号，如 XC-0815", "bus number"),
      ("direction", E("BusDirection", [("UP", "上行"), ("DOWN", "下行")]), "方向", "direction"),
      ("departed_at", "ts", "发车时间", "departure"),
      ("arrived_at", "ts?", "到站时间", "arrival"),
      ("passengers", "int", "刷卡扫码人次", "fares taken"),
      ("on_time", "boolean", "是否准点", "on time"),
      ("mileage_km", "double", "运营里程（公里）", "distance in km"),
  ])
S("transport/freight_operator.avsc", "FreightOperator",
  "道路货运经营业户（经营许可、车辆和从业人员）",
  "a road freight operator: licence, vehicles and staff", [
      ("licence_no", "string", "道路运输经营许可证号，如 豫交运管许可周字411681000123号", "operating licence"),
      ("name", "string", "业户名称，如 项城市某物流有限公司、项城市某运输有限公司", "name"),
      ("uscc", "string", "统一社会信用代码", "unified social credit code"),
      ("scope", "string", "经营范围，如 普通货运、货物专用运输（集装箱）、危险货物运输", "scope"),
      ("vehicles", "int", "营运车辆数", "vehicles"),
      ("drivers", "int", "驾驶员数", "drivers"),
      ("rating", "string", "质量信誉考核等级，如 AAA、AA、A、B", "quality rating"),
      ("valid_until", "date", "许可有效期至", "licence valid until"),
      UPD,
  ])

# ---- agriculture and rural affairs ------------------------------------------------------
S("agri/farmland_subsidy.avsc", "FarmlandSubsidy",
  "耕地地力保护补贴发放明细（按户，经“一卡通”发放）",
  "a household's farmland fertility protection subsidy, paid through the subsidy card", [
      ("payment_id", "string", "发放编号", "payment id"),
      NAME("farmer_name", "农户", "farmer's"),
      ID("farmer_id_no", "农户", "farmer's"),
      TOWN, COMM,
      ("area_mu", "dec:10:2", "补贴面积（亩）", "area in mu"),
      ("rate", "dec:8:2", "补贴标准（元/亩）", "rate in yuan per mu"),
      ("amount", "dec:10:2", "补贴金额（元）", "amount in yuan"),
      ("bank_account", "string", "“一卡通”账号", "subsidy card account", "is"),
      ("year", "int", "补贴年度", "year"),
  ])
S("agri/land_contract.avsc", "LandContract",
  "农村土地承包经营权（承包合同和流转）",
  "rural land contract rights: the contract and any transfer", [
      ("contract_no", "string", "承包合同编号", "contract number"),
      NAME("contractor_name", "承包方代表", "contractor's"),
      ID("contractor_id_no", "承包方代表", "contractor's"),
      TOWN, COMM,
      ("plots", "int", "地块数", "plots"),
      ("area_mu", "dec:10:2", "承包面积（亩）", "area in mu"),
      ("transferred_mu", "dec:10:2", "流转面积（亩）", "area transferred in mu"),
      ("transferee", "string?", "流转受让方，如 项城市某种植专业合作社、某家庭农场", "transferee"),
      ("contract_until", "date", "承包期至", "contract ends"),
      UPD,
  ])
S("agri/cooperative.avsc", "Cooperative",
  "农民专业合作社及家庭农场名录",
  "a farmers' cooperative or family farm", [
      ("uscc", "string", "统一社会信用代码", "unified social credit code"),
      ("name", "string", "名称，如 项城市某白芝麻种植专业合作社、某家庭农场", "name"),
      ("kind", E("CoopKind", [("COOPERATIVE", "农民专业合作社"), ("FAMILY_FARM", "家庭农场")]), "类型", "kind"),
      TOWN,
      ("main_business", "string", "主营业务，如 小麦种植、白芝麻种植、生猪养殖、蔬菜种植、农机服务", "main business"),
      ("members", "int", "成员数", "members"),
      ("area_mu", "dec:10:2", "经营面积（亩）", "area in mu"),
      ("model", "string?", "示范等级，如 国家级示范社、省级示范社、市级示范社", "model rating"),
      UPD,
  ])
S("agri/animal_vaccination.avsc", "AnimalVaccination",
  "动物防疫记录（强制免疫、产地检疫）",
  "an animal vaccination or origin quarantine", [
      ("record_no", "string", "记录编号", "record number"),
      ("farm", "string", "养殖场户，如 项城市某生猪养殖场、某养殖户", "farm"),
      TOWN,
      ("species", "string", "畜禽种类，如 生猪、牛、羊、鸡、鸭", "species"),
      ("vaccine", "string", "免疫病种，如 口蹄疫、高致病性禽流感、小反刍兽疫、布鲁氏菌病", "disease vaccinated against"),
      ("head_count", "int", "免疫数量（头、只）", "animals"),
      ("vaccinated_on", "date", "免疫日期", "date"),
      ("vet", "string", "防疫员", "vaccinator", "gp"),
      ("ear_tags", "string?", "耳标号段", "ear tag range"),
  ])
S("agri/collective_asset_entry.avsc", "CollectiveAssetEntry",
  "农村集体“三资”（资金、资产、资源）收支及合同记录",
  "an entry of a village collective's funds, assets and resources: income, spending or a contract", [
      ("entry_no", "string", "记账凭证号", "voucher number"),
      TOWN,
      ("village", "string", "村，如 付集村、直河村、双庙村、于楼村、冯寨村", "village"),
      ("entry_type", E("AssetEntryType", [("INCOME", "收入"), ("EXPENSE", "支出"), ("CONTRACT", "合同")]), "类型", "kind"),
      ("subject", "string", "事项，如 集体土地租赁收入、光伏电站收益、村道维修、保洁员工资、坑塘承包", "what it is for"),
      ("amount", "dec:14:2", "金额（元）", "amount in yuan"),
      ("counterparty", "string", "对方单位或个人", "counterparty", "gp"),
      ("booked_on", "date", "入账日期", "date booked"),
      ("approved", "boolean", "是否经“四议两公开”程序", "whether it passed the 四议两公开 procedure"),
  ])

# ---- natural resources ------------------------------------------------------------------
S("natres/real_estate_registration.avsc", "RealEstateRegistration",
  "不动产登记（首次、转移、变更、抵押登记）",
  "a real estate registration: first, transfer, change or mortgage", [
      ("business_no", "string", "登记业务号", "registration case number"),
      ("reg_type", E("RealEstateType", [("FIRST", "首次登记"), ("TRANSFER", "转移登记"), ("CHANGE", "变更登记"), ("MORTGAGE", "抵押登记"), ("CANCEL", "注销登记")]), "登记类型", "kind"),
      ("cert_no", "string", "不动产权证书号，如 豫（2026）项城市不动产权第0012345号", "certificate number"),
      ("unit_no", "string", "不动产单元号（28位）", "real estate unit number"),
      NAME("holder_name", "权利人", "holder's"),
      ID("holder_id_no", "权利人", "holder's"),
      ADDR("location", "坐落", "location"),
      ("area_m2", "dec:10:2", "建筑面积（平方米）", "floor area in m²"),
      ("use", "string", "用途，如 住宅、商业、工业、宅基地", "use"),
      ("registered_on", "date", "登簿日期", "date registered"),
  ])
S("natres/land_change.avsc", "LandChange",
  "土地利用变更图斑（年度国土变更调查）",
  "a land use change patch of the yearly land survey", [
      ("patch_no", "string", "图斑编号", "patch number"),
      TOWN, COMM,
      ("from_use", "string", "变更前地类，如 水浇地、旱地、坑塘水面、农村宅基地", "land use before"),
      ("to_use", "string", "变更后地类，如 城镇住宅用地、工业用地、公路用地、水浇地", "land use after"),
      ("area_mu", "dec:10:2", "面积（亩）", "area in mu"),
      ("approval_no", "string?", "批准文号", "approval number"),
      ("surveyed_on", "date", "调查日期", "date surveyed"),
      ("farmland", "boolean", "是否涉及永久基本农田", "whether permanent basic farmland is affected"),
  ])
S("natres/farmland_patrol.avsc", "FarmlandPatrol",
  "田长制耕地保护巡查（网格田长巡田发现的违法占地、撂荒等问题）",
  "a farmland patrol by a field chief (田长): illegal occupation, abandoned land and the like", [
      ("patrol_no", "string", "巡查编号", "patrol number"),
      ("field_chief_level", "string", "田长层级，如 镇级田长、村级田长、网格田长", "level of the field chief"),
      ("chief_staff_no", "string", "巡田人编号", "patroller's number", "gp"),
      TOWN, COMM,
      ("patrolled_at", "ts", "巡查时间", "time"),
      ("issue", "string?", "发现问题，如 乱占耕地建房、耕地撂荒、挖塘养鱼、堆放建筑垃圾", "problem found"),
      ("area_mu", "dec:10:2?", "涉及面积（亩）", "area concerned in mu"),
      ("handled", "boolean", "是否已制止或整改", "whether stopped or fixed"),
      ("location", "string?", "位置，WGS-84 \"纬度,经度\"", "position, WGS-84 \"lat,lon\""),
  ])

# ---- water ------------------------------------------------------------------------------
S("water/river_patrol.avsc", "RiverPatrol",
  "河长制巡河记录（沙颍河、汾泉河、泥河及各级河道）",
  "a river chief's patrol (沙颍河, 汾泉河, 泥河 and smaller rivers)", [
      ("patrol_no", "string", "巡河编号", "patrol number"),
      ("river", "string", "河流，如 沙颍河、汾泉河、泥河、谷河、直河、界沟河", "river"),
      ("reach", "string", "河段，如 付集镇段、南顿镇段、秣陵镇段", "reach"),
      ("chief_level", "string", "河长层级，如 市级河长、镇级河长、村级河长、巡河员", "river chief level"),
      ("patroller_no", "string", "巡河人员编号", "patroller's number", "gp"),
      ("patrolled_at", "ts", "巡河时间", "time"),
      ("duration_min", "int", "巡河时长（分钟）", "minutes"),
      ("issue", "string?", "发现问题，如 河道垃圾、违规排污口、乱采乱挖、违章建筑、水面漂浮物", "problem found"),
      ("handled", "boolean", "是否已处理", "whether handled"),
  ])
S("water/water_level.avsc", "WaterLevel",
  "河道水位雨情遥测（遥测站每5分钟一条，厂商程序导出XML）",
  "water level and rainfall from a telemetry station, every 5 minutes, exported as XML by the vendor's program", [
      ("reading_id", "string", "记录编号，站码+时间", "reading id"),
      ("station_code", "string", "测站编码（8位），如 50402100", "station code"),
      ("station", "string", "测站名称，如 沙颍河槐店闸上、汾泉河付集、泥河李寨", "station"),
      ("river", "string", "河流，如 沙颍河、汾泉河、泥河", "river"),
      ("observed_at", "ts", "观测时间", "time observed"),
      ("water_level_m", "double", "水位（米）", "water level in m"),
      ("warning_level_m", "double", "警戒水位（米）", "warning level in m"),
      ("rain_mm", "double", "时段降雨量（毫米）", "rainfall in the period in mm"),
      ("flow_m3s", "double?", "流量（立方米每秒）", "flow in m³/s"),
      ("battery_v", "double", "终端电压（伏）", "terminal battery voltage"),
  ])
S("water/water_quality.avsc", "WaterQuality",
  "农村供水工程水质检测",
  "a water quality test at a rural water supply plant", [
      ("sample_no", "string", "样品编号", "sample number"),
      ("plant", "string", "供水工程，如 付集镇集中供水厂、秣陵镇供水站、南顿镇水厂", "plant"),
      TOWN,
      ("sampled_on", "date", "采样日期", "date sampled"),
      ("turbidity_ntu", "double", "浑浊度（NTU）", "turbidity (NTU)"),
      ("chlorine_mgl", "double", "余氯（mg/L）", "residual chlorine (mg/L)"),
      ("fluoride_mgl", "double", "氟化物（mg/L）", "fluoride (mg/L)"),
      ("coliform", "boolean", "总大肠菌群是否检出", "total coliforms detected"),
      ("qualified", "boolean", "是否合格", "whether it met the standard"),
  ])

# ---- emergency management ---------------------------------------------------------------
S("emergency/hazard.avsc", "Hazard",
  "安全生产隐患（企业自查、部门检查发现的隐患及整改）",
  "a work safety hazard found by a company or an inspection, and its correction", [
      ("hazard_no", "string", "隐患编号", "hazard number"),
      ("enterprise", "string", "企业，如 项城市某食品有限公司、某纺织有限公司、某加油站", "enterprise"),
      ("industry", "string", "行业，如 食品加工、纺织服装、皮革制品、危险化学品、建筑施工", "industry"),
      TOWN,
      ("found_on", "date", "发现日期", "date found"),
      ("description", "string", "隐患描述，如 消防通道堵塞、电气线路私拉乱接、有限空间作业未审批", "description"),
      ("level", E("HazardLevel", [("GENERAL", "一般隐患"), ("MAJOR", "重大隐患")]), "隐患等级", "level"),
      ("deadline", "date", "整改期限", "deadline"),
      ("rectified_on", "date?", "整改完成日期", "date fixed"),
      ("found_by", "string", "检查单位，如 市应急管理局、市消防救援大队、企业自查", "who found it"),
  ])
S("emergency/warning.avsc", "Warning",
  "预警信息发布（气象、水文、地质灾害预警，依法公开）",
  "a public warning (weather, flood, geological), published", [
      ("warning_id", "string", "预警编号", "warning id"),
      ("kind", "string", "预警类型，如 暴雨、大风、高温、寒潮、大雾、冰雹、洪水", "kind"),
      ("level", E("WarningLevel", [("BLUE", "蓝色"), ("YELLOW", "黄色"), ("ORANGE", "橙色"), ("RED", "红色")]), "预警等级", "level"),
      ("issued_at", "ts", "发布时间", "time issued"),
      ("issuer", "string", "发布单位，如 项城市气象台、项城市水利局", "issuer"),
      ("area", "string", "影响区域，如 全市、沙颍河沿线各镇、付集镇", "area"),
      ("content", "string", "预警内容", "content"),
      ("channels", "string", "发布渠道，如 短信、大喇叭、电视、微信公众号", "channels"),
  ])
S("emergency/shelter.avsc", "Shelter",
  "应急避难场所",
  "an emergency shelter", [
      ("shelter_code", "string", "场所编号", "shelter code"),
      ("name", "string", "名称，如 项城市人民广场、项城市体育中心、付集镇中心学校", "name"),
      ("kind", "string", "类型，如 广场、公园、学校、体育场馆", "kind"),
      TOWN,
      ADDR("address", "地址", "address", opt=False),
      ("capacity", "int", "可容纳人数", "capacity"),
      ("area_m2", "int", "有效面积（平方米）", "usable area in m²"),
      ("lat", "double", "纬度（WGS-84）", "latitude (WGS-84)"),
      ("lon", "double", "经度（WGS-84）", "longitude (WGS-84)"),
      UPD,
  ])
S("emergency/chemical_enterprise.avsc", "ChemicalEnterprise",
  "危险化学品企业（生产、经营、使用单位及重大危险源）",
  "a hazardous chemicals enterprise and its major hazard sources", [
      ("uscc", "string", "统一社会信用代码", "unified social credit code"),
      ("name", "string", "企业名称，如 项城市某化工有限公司、某加油站、某燃气有限公司", "name"),
      ("kind", "string", "类别，如 危险化学品经营（带储存）、加油站、燃气经营、使用单位", "kind"),
      TOWN,
      ("licence_no", "string", "许可证编号", "licence number"),
      ("major_hazard", "boolean", "是否构成重大危险源", "major hazard source"),
      ("chemicals", "string", "主要危险化学品，如 汽油、柴油、液化石油气、甲醇、液氨", "main chemicals"),
      ("licence_valid_until", "date", "许可有效期至", "licence valid until"),
      UPD,
  ])

# ---- fire and rescue --------------------------------------------------------------------
S("fire/fire_call.avsc", "FireCall",
  "火灾及抢险救援出警记录",
  "a fire or rescue call-out", [
      ("call_no", "string", "出警编号", "call number"),
      ("received_at", "ts", "接警时间", "time received"),
      ("kind", "string", "警情类型，如 建筑火灾、车辆火灾、秸秆火灾、交通事故救援、水域救援、社会救助", "kind"),
      ("township", "string", "发生地，如 千佛阁街道、付集镇、南顿镇", "town or sub-district"),
      ("station", "string", "出动力量，如 项城市消防救援大队特勤站、付集专职消防队", "units sent"),
      ("arrived_at", "ts", "到场时间", "time arrived"),
      ("vehicles", "int", "出动车辆数", "vehicles"),
      ("rescued", "int", "营救疏散人数", "people rescued or evacuated"),
      ("deaths", "int", "死亡人数", "deaths"),
      ("loss_amount", "dec:12:2?", "直接财产损失（元）", "direct loss in yuan"),
  ])
S("fire/fire_inspection.avsc", "FireInspection",
  "消防监督检查",
  "a fire safety inspection", [
      ("inspection_no", "string", "检查编号", "inspection number"),
      ("target", "string", "检查单位，如 项城市某商场、某KTV、某养老院、某学校", "place inspected"),
      ("kind", "string", "场所类别，如 人员密集场所、养老机构、学校、九小场所、高层住宅", "kind of place"),
      TOWN,
      ("inspected_on", "date", "检查日期", "date"),
      ("problems", "int", "发现问题数", "problems found"),
      ("problem_list", "string?", "主要问题，如 疏散通道堵塞、灭火器过期、消防设施故障", "main problems"),
      ("measure", E("FireMeasure", [("NONE", "无"), ("ORDER", "责令改正"), ("FINE", "罚款"), ("CLOSE", "临时查封")]), "处理措施", "measure"),
      ("rectified", "boolean", "是否复查合格", "whether the re-check passed"),
  ])

# ---- finance ----------------------------------------------------------------------------
S("finance/subsidy_payment.avsc", "SubsidyPayment",
  "惠民惠农财政补贴资金“一卡通”发放明细",
  "a payment through the 惠民惠农 subsidy card", [
      ("payment_no", "string", "发放流水号", "payment number"),
      NAME("recipient_name", "领取人", "recipient's"),
      ID("recipient_id_no", "领取人", "recipient's"),
      ("bank_account", "string", "“一卡通”账号", "card account", "is"),
      ("subsidy", "string", "补贴项目，如 耕地地力保护补贴、高龄津贴、城乡居民基础养老金、残疾人两项补贴、优抚补助", "subsidy"),
      ("unit", "string", "主管部门，如 市农业农村局、市民政局、市退役军人事务局", "department in charge"),
      ("amount", "dec:10:2", "金额（元）", "amount in yuan"),
      TOWN,
      ("paid_on", "date", "发放日期", "date paid"),
      ("status", E("PaymentStatus", [("PAID", "已发放"), ("FAILED", "发放失败"), ("RETURNED", "已退回")]), "状态", "status"),
  ])
S("finance/budget_execution.avsc", "BudgetExecution",
  "预算执行（按单位、科目的支出进度）",
  "budget execution: spending by unit and budget item", [
      ("record_id", "string", "记录编号", "record id"),
      ("unit", "string", "预算单位，如 项城市教育体育局、项城市卫生健康委员会、付集镇人民政府", "budget unit"),
      ("item_code", "string", "支出功能分类科目，如 2050202、2080801、2130152", "budget item code"),
      ("item_name", "string", "科目名称，如 小学教育、死亡抚恤、对高校毕业生到基层任职补助", "budget item"),
      ("budget", "dec:16:2", "年初预算（元）", "budget in yuan"),
      ("spent", "dec:16:2", "累计支出（元）", "spent so far in yuan"),
      ("on", "date", "统计日期", "date"),
  ])
S("finance/procurement_notice.avsc", "ProcurementNotice",
  "政府采购公告（采购意向、招标、中标成交公告，依法公开）",
  "a public procurement notice: intention, tender, or award (published)", [
      ("notice_no", "string", "项目编号，如 项财招标采购-2026-123", "project number"),
      ("kind", E("NoticeKind", [("INTENTION", "采购意向"), ("TENDER", "招标公告"), ("AWARD", "中标（成交）公告"), ("CHANGE", "更正公告")]), "公告类型", "kind"),
      ("title", "string", "项目名称，如 项城市城区道路照明维修项目、付集镇农村人居环境整治项目", "title"),
      ("buyer", "string", "采购人，如 项城市城市管理局、项城市教育体育局", "buyer"),
      ("method", "string", "采购方式，如 公开招标、竞争性磋商、询价", "method"),
      ("budget", "dec:16:2", "预算金额（元）", "budget in yuan"),
      ("award_amount", "dec:16:2?", "中标金额（元）", "awarded amount in yuan"),
      ("supplier", "string?", "中标供应商", "winning supplier"),
      ("published_at", "ts", "发布时间", "time published"),
  ])

# ---- tax --------------------------------------------------------------------------------
S("tax/taxpayer.avsc", "Taxpayer",
  "纳税人登记信息",
  "a taxpayer registration", [
      ("taxpayer_id", "string", "纳税人识别号（统一社会信用代码）", "taxpayer number"),
      ("name", "string", "纳税人名称，如 项城市某食品有限公司、某个体工商户", "name"),
      ("kind", "string", "纳税人类型，如 一般纳税人、小规模纳税人", "kind"),
      ("industry", "string", "行业，如 食品制造业、批发业、零售业、建筑业", "industry"),
      NAME("legal_rep", "法定代表人", "legal representative's", "gp"),
      ("registered_on", "date", "登记日期", "date registered"),
      ("status", E("TaxpayerStatus", [("NORMAL", "正常"), ("NON_FILING", "非正常"), ("CANCELLED", "注销")]), "状态", "status"),
      ("credit_rating", "string?", "纳税信用等级，如 A、B、M、C、D", "tax credit rating"),
      UPD,
  ])
S("tax/tax_revenue_stat.avsc", "TaxRevenueStat",
  "税收收入统计（按月、税种汇总，不含纳税人明细）",
  "monthly tax revenue by tax, aggregated; no taxpayer detail", [
      ("stat_id", "string", "统计编号，月份+税种", "statistic id"),
      ("month", "string", "月份，如 2026-09", "month"),
      ("tax", "string", "税种，如 增值税、企业所得税、个人所得税、城市维护建设税、房产税", "tax"),
      ("revenue", "dec:16:2", "本月收入（元）", "revenue this month in yuan"),
      ("ytd", "dec:16:2", "本年累计（元）", "year to date in yuan"),
      ("yoy_pct", "double", "同比增减（%）", "change on last year in %"),
  ])

# ---- statistics -------------------------------------------------------------------------
S("stats/enterprise_report.avsc", "EnterpriseReport",
  "规模以上工业企业月度报表（联网直报平台导出XML）",
  "a monthly report of an industrial enterprise above the designated size, exported as XML from the online reporting platform", [
      ("report_id", "string", "报表编号，统一社会信用代码+月份", "report id"),
      ("uscc", "string", "统一社会信用代码", "unified social credit code"),
      ("name", "string", "企业名称，如 项城市某味精有限公司、某医药有限公司、某纺织有限公司", "name"),
      ("industry_code", "string", "行业代码（GB/T 4754），如 C1461、C2720、C1711", "industry code"),
      ("month", "string", "报告期，如 2026-09", "period"),
      ("output_value", "dec:16:2", "工业总产值（千元）", "gross output in thousand yuan"),
      ("sales", "dec:16:2", "营业收入（千元）", "revenue in thousand yuan"),
      ("employees", "int", "从业人员期末人数", "employees"),
      ("energy_tce", "double", "综合能源消费量（吨标准煤）", "energy use in tonnes of coal equivalent"),
  ])
S("stats/census_unit.avsc", "CensusUnit",
  "经济普查单位名录（法人单位和产业活动单位）",
  "a unit of the economic census directory", [
      ("unit_code", "string", "统一社会信用代码或普查编码", "code"),
      ("name", "string", "单位名称", "name"),
      ("kind", "string", "单位类型，如 法人单位、产业活动单位、个体经营户", "kind"),
      ("industry_code", "string", "行业代码，如 C1461、F5212、G5431", "industry code"),
      TOWN,
      ("employees", "int", "从业人员数", "employees"),
      ("revenue", "dec:16:2?", "营业收入（千元）", "revenue in thousand yuan"),
      ("status", "string", "运营状态，如 营业、停业、筹建、注销", "status"),
  ])

# ---- veterans affairs -------------------------------------------------------------------
S("veterans/veteran.avsc", "Veteran",
  "退役军人信息",
  "a veteran", [
      ("veteran_no", "string", "退役军人编号", "veteran number"),
      NAME(),
      ID(),
      ("enlisted_year", "int", "入伍年份", "year enlisted"),
      ("discharged_year", "int", "退役年份", "year discharged"),
      ("placement", "string", "安置方式，如 自主就业、安排工作、退休、供养", "placement"),
      TOWN, COMM,
      PHONE(),
      ("preferential", "boolean", "是否优抚对象", "whether entitled to preferential treatment"),
      UPD,
  ])
S("veterans/veteran_benefit.avsc", "VeteranBenefit",
  "优抚对象定期抚恤补助发放明细（按月）",
  "a monthly payment to a person entitled to preferential treatment", [
      ("payment_id", "string", "发放编号", "payment id"),
      NAME(),
      ID(),
      ("category", "string", "优抚类别，如 残疾军人、烈士遗属、在乡退伍红军老战士、带病回乡退伍军人、参战退役人员", "category", "is"),
      ("period", "string", "发放月份，如 2026-09", "month"),
      ("amount", "dec:10:2", "发放金额（元）", "amount in yuan"),
      ("bank_account", "string", "“一卡通”账号", "card account", "is"),
      TOWN,
  ])

# ---- social work ------------------------------------------------------------------------
S("socialwork/station_service.avsc", "StationService",
  "新就业群体服务站（小哥驿站）服务记录（歇脚、饮水、充电、就餐、法律咨询等）",
  "a service at a station for delivery riders and drivers (rest, water, charging, meals, legal advice)", [
      ("service_id", "string", "服务编号", "service id"),
      ("station", "string", "驿站，如 千佛阁街道小哥驿站、莲花街道爱心驿站、付集镇快递物流园驿站", "station"),
      TOWN,
      ("worker_group", E("WorkerGroup", [("FOOD_DELIVERY", "外卖骑手"), ("COURIER", "快递员"), ("RIDE_HAILING", "网约车司机"), ("FREIGHT_DRIVER", "货车司机"), OTHER], "OTHER"), "服务对象", "who was served"),
      ("service", "string", "服务项目，如 歇脚休息、饮水热饭、电动车充电、手机充电、法律咨询、职业技能培训", "service"),
      ("served_at", "ts", "服务时间", "time"),
      ("member", "boolean", "是否为党员", "party member"),
      ("feedback", "string?", "意见建议", "comments", "gp"),
  ])

# ---- 付集镇 -----------------------------------------------------------------------------
S("fuji/township_service.avsc", "TownshipService",
  "付集镇便民服务中心办件（社保、民政、农业、计生等事项的镇级受理）",
  "a case at the 付集镇 service centre (social security, civil affairs, agriculture and other items taken at town level)", [
      ("case_no", "string", "办件编号", "case number"),
      ("item_name", "string", "事项名称，如 城乡居民养老保险参保登记、高龄津贴申请、残疾人两项补贴申请、农村宅基地申请、独生子女父母奖励", "item"),
      NAME("applicant_name", "申请人", "applicant's"),
      ID("applicant_id_no", "申请人", "applicant's"),
      PHONE("applicant_phone", "申请人", "applicant's"),
      ("village", "string", "所在村，如 付集村、直河村、双庙村、于楼村、冯寨村", "village"),
      ("accepted_at", "ts", "受理时间", "time accepted"),
      ("status", E("TownCaseStatus", [("ACCEPTED", "已受理"), ("FORWARDED", "已转市级部门"), ("COMPLETED", "已办结"), ("REJECTED", "不予受理")]), "状态", "status"),
      ("agent", "boolean", "是否村级代办", "handled for the applicant by the village"),
      UPD,
  ])
S("fuji/village_affairs_notice.avsc", "VillageAffairsNotice",
  "村务公开（付集镇21个行政村的党务、村务、财务公开）",
  "a public notice of village affairs in the 21 villages of 付集镇 (party affairs, village affairs, finances)", [
      ("notice_id", "string", "公开编号", "notice id"),
      ("village", "string", "村，如 付集村、直河村、双庙村、于楼村、冯寨村", "village"),
      ("kind", E("NoticeType", [("PARTY", "党务公开"), ("AFFAIRS", "村务公开"), ("FINANCE", "财务公开")]), "公开类别", "kind"),
      ("title", "string", "标题，如 2026年第三季度财务收支公开、低保评议结果公示、村内道路硬化项目决议公开", "title"),
      ("content", "string", "公开内容", "content"),
      ("published_on", "date", "公开日期", "date published"),
      ("until", "date", "公示截止日期", "end of the display period"),
      ("channel", "string", "公开方式，如 村务公开栏、村务公开平台、村民微信群", "channel"),
  ])
S("fuji/sanitation_score.avsc", "SanitationScore",
  "镇区和各村人居环境、环卫保洁考核得分（每日一村一条）",
  "daily score of each village's sanitation and living environment", [
      ("score_id", "string", "考核编号，村代码+日期", "score id"),
      ("village", "string", "村，如 付集村、直河村、双庙村、于楼村、冯寨村", "village"),
      ("scored_on", "date", "考核日期", "date"),
      ("score", "int", "得分（百分制）", "score out of 100"),
      ("problems", "string?", "扣分问题，如 垃圾桶满溢、沟渠漂浮物、柴草乱堆、墙面小广告", "problems found"),
      ("inspector", "string", "考核人岗位，如 镇人居办督查员", "inspector's post"),
      ("rank", "int", "全镇排名（21个村）", "rank among the 21 villages"),
  ])
