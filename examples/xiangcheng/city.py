"""What the 项城市 tools share: the inventory, the schemas, and the conventions that tie a
system's simulated source to its connector config.

Used by simulate.py (the simulated sources), gen_connectors.py (the connector configs),
gen_schemas.py and the tests; Debian's /usr/bin/python3, standard library only.

Conventions (examples/xiangcheng/README.md describes them for people):
- a file system drops its exports into <root>/<unit>.<system>/, named
  <record>_<YYYYMMDD>_<HHMMSS>.<csv|jsonl>, each followed by an empty <name>.ok marker;
  CSV files carry the department's Chinese column headers (header_of) in GB18030 unless the
  system is listed in UTF8_CSV;
- a sql system keeps its rows in the SQLite file <root>/<unit>.<system>.db, table
  t_<record> (table_of),
  one column per schema field plus `id` (INTEGER PRIMARY KEY) and `updated_at` (local time
  'YYYY-MM-DD HH:MM:SS.fff', NOT NULL, indexed with id: the connector's cursor);
- an http system serves its API on 127.0.0.1; the URL is in <root>/<unit>.<system>/url;
- a webhook system posts to the URL in <root>/<unit>.<system>/webhook.url (or --webhook);
- an exec system writes XML exports into <root>/<unit>.<system>/export/, read by
  taps/tap_xml.py with the config <root>/<unit>.<system>/tap.json.
"""
import json
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
INVENTORY = os.path.join(HERE, "inventory.yaml")
SCHEMAS = os.path.join(ROOT, "schemas")
CONNECTORS = os.path.join(HERE, "connectors")

KINDS = ("file", "sql", "http", "webhook", "exec")
# File systems whose export is JSON Lines (modern platforms); the others write CSV.
JSONL = {"grid.incidents", "grid.volunteers", "party.grid_party", "socialwork.riders_council",
         "edu.schools", "emergency.shelters"}
# CSV written as Excel's "CSV UTF-8" (with a byte order mark) rather than GB18030.
UTF8_CSV = {"civil.children", "party.village_decisions", "fuji.sanitation", "natres.land_use"}


# ---- a YAML subset: what inventory.yaml uses ---------------------------------------------

class YamlError(Exception):
    pass


def _scalar(text, where):
    t = text.strip()
    if not t:
        return None
    if t[0] == '"':
        if len(t) < 2 or t[-1] != '"':
            raise YamlError("%s: unterminated string" % where)
        return json.loads(t)
    if t[0] == "'":
        if len(t) < 2 or t[-1] != "'":
            raise YamlError("%s: unterminated string" % where)
        return t[1:-1].replace("''", "'")
    if t in ("true", "True"):
        return True
    if t in ("false", "False"):
        return False
    if t in ("null", "~"):
        return None
    if re.fullmatch(r"-?[0-9]+", t):
        return int(t)
    if t[0] in "&*!|>":
        raise YamlError("%s: anchors, aliases, tags and block scalars are not used here" % where)
    return t


def _split_flow(body, where):
    """Split the inside of [..] or {..} at top-level commas"""
    parts, depth, quote, cur = [], 0, None, ""
    for c in body:
        if quote:
            cur += c
            if c == quote:
                quote = None
            continue
        if c in "\"'":
            quote = c
        elif c in "[{":
            depth += 1
        elif c in "]}":
            depth -= 1
        elif c == "," and depth == 0:
            parts.append(cur)
            cur = ""
            continue
        cur += c
    if quote or depth:
        raise YamlError("%s: unbalanced flow collection" % where)
    if cur.strip():
        parts.append(cur)
    return parts


def _value(text, where):
    t = text.strip()
    if t.startswith("[") and t.endswith("]"):
        return [_value(p, where) for p in _split_flow(t[1:-1], where)]
    if t.startswith("{") and t.endswith("}"):
        out = {}
        for p in _split_flow(t[1:-1], where):
            k, sep, v = p.partition(":")
            if not sep:
                raise YamlError("%s: expected key: value in a flow mapping" % where)
            out[_scalar(k, where)] = _value(v, where)
        return out
    return _scalar(t, where)


def _strip_comment(line):
    quote = None
    for i, c in enumerate(line):
        if quote:
            if c == quote:
                quote = None
        elif c in "\"'":
            quote = c
        elif c == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[:i].rstrip()
    return line.rstrip()


def yaml_load(path):
    """Block mappings, block sequences, flow [..] and {..}, plain and quoted scalars"""
    lines = []
    with open(path, encoding="utf-8") as f:
        for n, raw in enumerate(f, 1):
            if "\t" in raw[:len(raw) - len(raw.lstrip())]:
                raise YamlError("%s:%d: tab in indentation" % (path, n))
            s = _strip_comment(raw.rstrip("\n"))
            if s.strip():
                lines.append((len(s) - len(s.lstrip(" ")), s.strip(), "%s:%d" % (path, n)))
    pos = [0]

    def block(indent):
        if pos[0] >= len(lines):
            return None
        ind, text, where = lines[pos[0]]
        if text.startswith("- ") or text == "-":
            seq = []
            while pos[0] < len(lines):
                ind, text, where = lines[pos[0]]
                if ind != indent or not (text.startswith("- ") or text == "-"):
                    if ind > indent:
                        raise YamlError("%s: bad indentation" % where)
                    break
                rest = text[1:].lstrip()
                if not rest:
                    pos[0] += 1
                    seq.append(block(lines[pos[0]][0]) if pos[0] < len(lines) else None)
                    continue
                # "- key: value" opens a mapping indented at the key's column
                col = ind + (len(text) - len(rest))
                lines[pos[0]] = (col, rest, where)
                seq.append(block(col))
            return seq
        mp = {}
        while pos[0] < len(lines):
            ind, text, where = lines[pos[0]]
            if ind < indent:
                break
            if ind > indent:
                raise YamlError("%s: bad indentation" % where)
            if text.startswith("- "):
                break
            m = re.match(r'^("(?:[^"\\]|\\.)*"|[^:]+?)\s*:(?:\s+(.*))?$', text)
            if not m:
                raise YamlError("%s: expected 'key: value'" % where)
            key = _scalar(m.group(1), where)
            if key in mp:
                raise YamlError("%s: duplicate key '%s'" % (where, key))
            pos[0] += 1
            if m.group(2) is not None and m.group(2) != "":
                mp[key] = _value(m.group(2), where)
            elif pos[0] < len(lines) and (lines[pos[0]][0] > ind or
                                          (lines[pos[0]][0] == ind and
                                           lines[pos[0]][1].startswith("- "))):
                mp[key] = block(lines[pos[0]][0])
            else:
                mp[key] = None
        return mp

    doc = block(lines[0][0] if lines else 0)
    if pos[0] != len(lines):
        raise YamlError("%s: unexpected content" % lines[pos[0]][2])
    return doc


# ---- inventory and schemas ---------------------------------------------------------------

def load_inventory(path=None):
    return yaml_load(path or INVENTORY)


def systems(inv):
    """Every system as a dict: the system's keys, plus unit, unit_name, cid (connector id),
    record (the topic's last part)"""
    out = []
    for u in inv["units"]:
        for s in u["systems"]:
            d = dict(s)
            d["unit"] = u["id"]
            d["unit_name"] = u["name"]
            d["cid"] = "%s.%s" % (u["id"], s["id"])
            d["record"] = s["topic"].rsplit(".", 1)[1]
            out.append(d)
    return out


_schema_cache = {}


def load_schema(rel):
    s = _schema_cache.get(rel)
    if s is None:
        with open(os.path.join(SCHEMAS, rel), encoding="utf-8") as f:
            s = _schema_cache[rel] = json.load(f)
    return s


def zh_doc(doc):
    return doc.split(" / ")[0]


def header_of(field):
    """The Chinese column header a department's export uses for a field: the field doc's
    Chinese part up to its first explanation (工单编号，GD+... → 工单编号)"""
    zh = zh_doc(field.get("doc", field["name"]))
    head = re.split(r"[，,（(：:；;。 ]", zh, 1)[0].strip()
    return head or field["name"]


# Systems whose export headers are known from the department (the 12345 hotline's export,
# also written by examples/gen_sample.py); the others use header_of.
HEADERS = {
    "hotline12345.workorders": {
        "order_no": "工单编号", "channel": "来电渠道", "received_at": "受理时间", "caller_name": "来电人",
        "caller_phone": "联系电话", "caller_id_no": "身份证号", "category": "诉求分类",
        "subcategory": "诉求子类", "title": "标题", "content": "诉求内容", "address": "事发地址",
        "grid_code": "网格编码", "handling_unit": "承办单位", "deadline": "办理时限",
        "status": "办理状态", "urgency": "紧急程度", "amount_involved": "涉及金额",
        "satisfaction": "满意度", "reply": "回复内容"},
}


def headers(schema, cid=None):
    """Column headers of a schema's CSV export, unique (a repeated one gets the field name)"""
    known = HEADERS.get(cid, {})
    seen, out = set(), []
    for f in schema["fields"]:
        h = known.get(f["name"]) or header_of(f)
        if h in seen:
            h = "%s（%s）" % (h, f["name"])
        seen.add(h)
        out.append(h)
    return out


def examples_of(field):
    """The values listed after 如 in the Chinese doc: 如 噪音扰民、垃圾清运 → [...]"""
    zh = zh_doc(field.get("doc", ""))
    m = re.search(r"如\s*(.+)$", zh)
    if not m:
        return []
    tail = re.split(r"[；;。]|，(?!.*、)", m.group(1))[0]
    vals = [v.strip(" ，,“”\"") for v in tail.split("、")]
    return [v for v in vals if v and len(v) <= 40]


def base_type(t):
    """(type, logicalType or None, nullable, the type object) of a field type"""
    nullable = False
    if isinstance(t, list):
        rest = [b for b in t if b != "null"]
        nullable = len(rest) < len(t)
        t = rest[0]
    if isinstance(t, dict):
        return t["type"], t.get("logicalType"), nullable, t
    return t, None, nullable, t


def file_format(cid):
    """(format, encoding) of a file system's exports"""
    if cid in JSONL:
        return "jsonl", "utf-8"
    if cid in UTF8_CSV:
        return "csv", "utf-8"
    return "csv", "gb18030"


def sim_path(root, cid, *parts):
    return os.path.join(root, cid, *parts)


def table_of(sysd):
    """The table of a sql system (t_case: record names such as case are SQL keywords)"""
    return "t_" + sysd["record"]


def db_path(root, cid):
    return os.path.join(root, cid + ".db")
