#!/usr/bin/python3
"""tap_gaoling_xml.py - a Singer tap for the XML exports of 项城市高龄津贴资格认证系统.

The old certification system of the civil affairs bureau (民政局养老服务股) can only export:
every evening it writes one XML file of the day's certifications into a folder,
高龄津贴认证_YYYYMMDD.xml, declared GB2312 (and really GBK, as such systems write it) or,
after its last upgrade, UTF-8. This tap reads those files in name order and writes one
Singer RECORD per <记录>, with the schema's field names and enum symbols
(schemas/civil/elderly_certification.avsc), and a STATE after every `state_every` records
and at the end of each file:

    {"bookmarks": {"elderly_certification": {"file": "高龄津贴认证_20261128.xml", "record": 14}}}

Started with --state, it continues after that record: started from the same STATE it writes
the same records again, in the same order, which is what the exec connector relies on.

    tap_gaoling_xml.py --config tap_gaoling.json [--state STATE.json] [--catalog CATALOG.json]
    tap_gaoling_xml.py --config tap_gaoling.json --discover

Config: {"export_dir": "data/gaoling", "pattern": "高龄津贴认证_*.xml", "state_every": 50}
(export_dir relative to the config file). Standard library only (Debian's /usr/bin/python3).
Logs go to stderr and name files and record numbers, never names or ID numbers.
"""
import argparse
import fnmatch
import json
import os
import re
import sys
import xml.etree.ElementTree as ET

STREAM = "elderly_certification"
FIELDS = {  # XML element -> schema field
    "认证编号": "cert_id", "身份证号": "id_no", "姓名": "name", "年龄": "age", "乡镇": "township",
    "村社区": "community", "津贴档次": "allowance_tier", "月标准": "monthly_allowance",
    "认证方式": "method", "认证时间": "certified_at", "认证结果": "result", "代认证人": "agent_name",
    "有效期至": "valid_until",
}
TIERS = {"80-89周岁": "AGE_80_89", "90-99周岁": "AGE_90_99", "100周岁以上": "AGE_100_PLUS"}
METHODS = {"手机刷脸认证": "FACE_APP", "上门认证": "ON_SITE", "视频认证": "VIDEO",
           "村（社区）代为认证": "AGENT"}
RESULTS = {"通过": "PASSED", "未通过": "FAILED", "待人工复核": "PENDING_REVIEW"}
SCHEMA = {
    "type": "object",
    "properties": {
        "cert_id": {"type": "string"}, "id_no": {"type": "string"}, "name": {"type": "string"},
        "age": {"type": "integer"}, "township": {"type": "string"},
        "community": {"type": "string"},
        "allowance_tier": {"type": "string", "enum": sorted(TIERS.values())},
        "monthly_allowance": {"type": "string"},
        "method": {"type": "string", "enum": sorted(METHODS.values())},
        "certified_at": {"type": "string", "format": "date-time"},
        "result": {"type": "string", "enum": sorted(RESULTS.values())},
        "agent_name": {"type": ["null", "string"]},
        "valid_until": {"type": "string", "format": "date"},
    },
}


def log(level, msg):
    print(f"{level} {msg}", file=sys.stderr, flush=True)


def emit(msg):
    sys.stdout.write(json.dumps(msg, ensure_ascii=False) + "\n")


def read_export(path):
    """The <记录> elements of one export file, decoding what the file declares."""
    raw = open(path, "rb").read()
    m = re.match(rb'<\?xml[^>]*encoding="([^"]+)"', raw)
    declared = m.group(1).decode("ascii").lower() if m else "utf-8"
    # expat reads no multi-byte Chinese encoding: decode here (GB2312 files are GBK in
    # practice, and GB18030 contains both), then parse the text without its declaration
    enc = "gb18030" if declared in ("gb2312", "gbk", "gb18030") else declared
    text = raw.decode(enc)
    text = re.sub(r'^<\?xml[^>]*\?>', "", text.lstrip("\ufeff"), count=1)
    return ET.fromstring(text).findall("记录")


def convert(el):
    rec = {}
    for child in el:
        field = FIELDS.get(child.tag)
        if field is None:
            continue
        v = (child.text or "").strip()
        if field == "age":
            rec[field] = int(v) if v.isdigit() else v  # a bad age is the connector's to refuse
        elif field == "allowance_tier":
            rec[field] = TIERS.get(v, v)
        elif field == "method":
            rec[field] = METHODS.get(v, v)
        elif field == "result":
            rec[field] = RESULTS.get(v, v)
        elif field == "certified_at":
            rec[field] = v.replace(" ", "T") + "+08:00" if v else v
        elif field == "agent_name":
            rec[field] = v or None
        else:
            rec[field] = v
    return rec


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", required=True)
    ap.add_argument("--state")
    ap.add_argument("--catalog")
    ap.add_argument("--properties")
    ap.add_argument("--discover", action="store_true")
    a = ap.parse_args()
    cfg = json.load(open(a.config, encoding="utf-8"))
    if a.discover:
        print(json.dumps({"streams": [{"tap_stream_id": STREAM, "stream": STREAM,
                                       "key_properties": ["cert_id"], "schema": SCHEMA}]},
                         ensure_ascii=False, indent=2))
        return 0
    folder = os.path.join(os.path.dirname(os.path.abspath(a.config)), cfg["export_dir"])
    pattern = cfg.get("pattern", "高龄津贴认证_*.xml")
    every = int(cfg.get("state_every", 50))
    done_file, done_rec = "", 0
    if a.state:
        mark = json.load(open(a.state, encoding="utf-8"))["bookmarks"][STREAM]
        done_file, done_rec = mark["file"], mark["record"]
        log("INFO", f"resuming after record {done_rec} of {done_file}")

    emit({"type": "SCHEMA", "stream": STREAM, "schema": SCHEMA, "key_properties": ["cert_id"],
          "bookmark_properties": ["certified_at"]})
    files = sorted(f for f in os.listdir(folder) if fnmatch.fnmatch(f, pattern))
    sent = 0
    for name in files:
        if name < done_file:
            continue
        try:
            records = read_export(os.path.join(folder, name))
        except (ET.ParseError, UnicodeDecodeError, LookupError) as e:
            # a broken export is the exporter's to fix: stop here, start here again
            log("ERROR", f"cannot read export {name}: {e}")
            sys.stdout.flush()
            return 1
        skip = done_rec if name == done_file else 0
        log("INFO", f"reading {name}: {len(records)} records, {skip} sent before")
        for i, el in enumerate(records, start=1):
            if i <= skip:
                continue
            emit({"type": "RECORD", "stream": STREAM, "record": convert(el)})
            sent += 1
            if i % every == 0:
                emit({"type": "STATE", "value": {"bookmarks": {STREAM: {"file": name, "record": i}}}})
        if len(records) > skip:
            emit({"type": "STATE",
                  "value": {"bookmarks": {STREAM: {"file": name, "record": len(records)}}}})
        sys.stdout.flush()
    log("INFO", f"done: {sent} records from {len(files)} export files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
