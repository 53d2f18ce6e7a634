#!/usr/bin/python3
"""A reader of a legacy system's XML exports that speaks the Singer protocol.

    tap_xml.py --config CONFIG.json [--state STATE.json] [--follow]

Some departments' systems (the 110 command centre, a vendor's vehicle platform, telemetry
stations, the statistics reporting platform) can only write XML files. This program reads
them and writes Singer messages, one JSON object per line on stdout: a SCHEMA message (JSON
Schema derived from the record's Avro schema), a RECORD per <Row>, and a STATE after each
file ({"file": name, "row": n}); logs go to stderr. A STATE is written only after every
RECORD it covers, so a runner that stores the last STATE it committed can restart the tap
with --state and nothing is read twice or skipped.

CONFIG (simulate.py writes one per exec system):
  export_dir       folder of the exports          pattern     "*.xml"
  complete_marker  a file X is complete once X<marker> exists (".ok"; "" for none)
  stream           the Singer stream name (the topic)
  schema           the Avro schema (.avsc) of the records
  key_properties   the business key fields        row_tag     "Row"
  tags             element name -> field name (e.g. {"JJDBH": "alarm_no"})
  timezone         offset written on times that have none ("+08:00")

Values: the element's text; empty elements are null; numbers and booleans (1/0, 是/否) are
converted where the schema says so; "yyyy-MM-dd HH:mm:ss" times become RFC 3339 with the
configured offset. A value that does not convert is passed on as text, so the connector's
validation can send that row to the dead letter topic with its reason. A file that is not
well-formed XML is reported on stderr (file and line) and skipped; reading goes on.
--follow keeps watching the folder until SIGTERM. Standard library only.
"""
import argparse
import fnmatch
import json
import os
import re
import signal
import sys
import time
import xml.etree.ElementTree as ET

STOP = False


def log(msg):
    print("tap_xml: %s" % msg, file=sys.stderr, flush=True)


def json_type(t):
    """(JSON Schema of an Avro type, converter name)"""
    nullable = False
    if isinstance(t, list):
        rest = [b for b in t if b != "null"]
        nullable = len(rest) < len(t)
        t = rest[0] if rest else "null"
    conv = "string"
    if isinstance(t, dict):
        lt = t.get("logicalType")
        base = t.get("type")
        if lt in ("timestamp-millis", "timestamp-micros"):
            js, conv = {"type": "string", "format": "date-time"}, "time"
        elif lt == "date":
            js = {"type": "string", "format": "date"}
        elif lt == "decimal":
            js, conv = {"type": "string"}, "decimal"
        elif base == "enum":
            js = {"type": "string", "enum": t["symbols"]}
        else:
            js = {"type": "string"}
    elif t in ("int", "long"):
        js, conv = {"type": "integer"}, "int"
    elif t in ("float", "double"):
        js, conv = {"type": "number"}, "number"
    elif t == "boolean":
        js, conv = {"type": "boolean"}, "bool"
    else:
        js = {"type": "string"}
    if nullable:
        js = dict(js)
        js["type"] = [js["type"], "null"]
    return js, conv


def convert(text, conv, tz):
    if text is None or text == "":
        return None
    if conv == "int" and re.fullmatch(r"-?\d+", text):
        return int(text)
    if conv == "number" and re.fullmatch(r"-?\d+(\.\d+)?([eE][-+]?\d+)?", text):
        return float(text)
    if conv == "bool" and text in ("1", "0", "是", "否", "true", "false"):
        return text in ("1", "是", "true")
    if conv == "time":
        m = re.fullmatch(r"(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})", text)
        if m:
            return "%sT%s%s" % (m.group(1), m.group(2), tz)
    return text


def parse(path):
    """The export's root element. expat reads no multi-byte encoding but UTF-8, and the
    legacy exports are GB18030: decode as the declaration says, then parse the text."""
    with open(path, "rb") as f:
        data = f.read()
    m = re.match(rb'<\?xml[^>]*encoding=["\']([A-Za-z0-9_.-]+)["\']', data)
    enc = m.group(1).decode("ascii") if m else "utf-8"
    text = data.decode(enc)
    text = re.sub(r'^(<\?xml[^>]*?)\s+encoding=["\'][A-Za-z0-9_.-]+["\']', r"\1", text, count=1)
    return ET.fromstring(text)


def emit(msg):
    sys.stdout.write(json.dumps(msg, ensure_ascii=False) + "\n")


def complete_files(conf):
    d, marker = conf["export_dir"], conf.get("complete_marker", ".ok")
    try:
        names = sorted(os.listdir(d))
    except OSError as e:
        log("cannot list '%s': %s" % (d, e.strerror))
        return []
    out = []
    for n in names:
        if n.startswith(".") or not fnmatch.fnmatch(n, conf.get("pattern", "*.xml")):
            continue
        if marker and not os.path.exists(os.path.join(d, n + marker)):
            continue
        out.append(n)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--config", required=True)
    ap.add_argument("--state")
    ap.add_argument("--catalog", help="accepted for compatibility; the config names the stream")
    ap.add_argument("--follow", action="store_true", help="keep reading new files until SIGTERM")
    ap.add_argument("--poll", type=float, default=1.0)
    args = ap.parse_args()
    with open(args.config, encoding="utf-8") as f:
        conf = json.load(f)
    with open(conf["schema"], encoding="utf-8") as f:
        avsc = json.load(f)
    state = {}
    if args.state:
        with open(args.state, encoding="utf-8") as f:
            state = json.load(f) or {}
        if "value" in state and isinstance(state["value"], dict):
            state = state["value"]
    named, props, convs = {}, {}, {}
    for fld in avsc["fields"]:
        t = fld["type"]
        t = named.get(t, t) if isinstance(t, str) else t
        if isinstance(t, dict) and t.get("name"):
            named[t["name"]] = t
        if isinstance(t, list):
            t = [named.get(b, b) if isinstance(b, str) else b for b in t]
            for b in t:
                if isinstance(b, dict) and b.get("name"):
                    named[b["name"]] = b
        props[fld["name"]], convs[fld["name"]] = json_type(t)
    emit({"type": "SCHEMA", "stream": conf["stream"],
          "schema": {"type": "object", "properties": props, "additionalProperties": False},
          "key_properties": conf.get("key_properties", [])})
    sys.stdout.flush()
    tags = conf.get("tags", {})
    tz = conf.get("timezone", "+08:00")
    row_tag = conf.get("row_tag", "Row")
    last_file, last_row = state.get("file"), int(state.get("row", 0))

    def on_signal(signum, frame):
        global STOP
        STOP = True
    signal.signal(signal.SIGTERM, on_signal)
    while not STOP:
        for name in complete_files(conf):
            if last_file and name < last_file:
                continue
            skip = last_row if name == last_file else 0
            if name == last_file and state.get("done"):
                continue
            path = os.path.join(conf["export_dir"], name)
            try:
                rows = list(parse(path).iter(row_tag))
            except (ET.ParseError, LookupError, UnicodeDecodeError) as e:
                if not isinstance(e, ET.ParseError):
                    e.position = (0, 0)
                log("%s:%d:%d: not well-formed XML: %s; file skipped" % (
                    path, e.position[0], e.position[1], e))
                emit({"type": "STATE", "value": {"file": name, "row": 0, "done": True}})
                last_file, last_row, state = name, 0, {"done": True}
                continue
            except OSError as e:
                log("cannot read '%s': %s" % (path, e.strerror))
                continue
            for i, row in enumerate(rows, 1):
                if i <= skip:
                    continue
                rec = {}
                for el in row:
                    field = tags.get(el.tag, el.tag.lower())
                    if field in props:
                        rec[field] = convert((el.text or "").strip(), convs[field], tz)
                emit({"type": "RECORD", "stream": conf["stream"], "record": rec})
            emit({"type": "STATE", "value": {"file": name, "row": len(rows), "done": True}})
            sys.stdout.flush()
            last_file, last_row, state = name, len(rows), {"done": True}
            if STOP:
                break
        if not args.follow:
            break
        time.sleep(args.poll)
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:
        sys.exit(0)
