#!/usr/bin/python3
"""Write the record schemas of the 项城市 systems that are generated from a compact spec.

    gen_schemas.py            write schemas/<unit>/<record>.avsc for every spec in schema_specs.py
    gen_schemas.py --check    exit 1 if any of those files differs from what would be written

The schemas of the systems the city names (12345 work orders and their quality cycle, grid
incidents, 镇街吹哨, mediation, 雪亮工程 video alerts, online services, 党群积分超市, 高龄认证,
小哥议事会, 双报到, 四议两公开, ...) are written by hand and are not touched here; this script
covers the rest of the 112 systems. Owner (gdx.owner) and share (gdx.share) come from
examples/xiangcheng/inventory.yaml, so a schema and its inventory entry cannot disagree.

A field is a tuple (name, type, 中文说明, English doc[, labels]):
  type    string | int | long | double | boolean | ts (timestamp-millis) | date |
          dec:P:S (decimal bytes) | an E(...) enum | ref:Name (a named type defined earlier
          in the schema); a trailing "?" makes it nullable
          (["null", T], default null)
  labels  two letters, level then PI class: g/i/c = general/important/core,
          n/p/s = none/pi/spi; default "gn"
Documentation of categorical text fields lists examples after "如 ", separated by "、": the
simulated sources (simulate.py) draw values from those lists.

Standard library only; the output is deterministic (same spec, same bytes).
"""
import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)

import city  # noqa: E402

LEVELS = {"g": "general", "i": "important", "c": "core"}
PIS = {"n": "none", "p": "pi", "s": "spi"}
PRIMS = {
    "string": "string", "int": "int", "long": "long", "double": "double",
    "boolean": "boolean",
    "ts": {"type": "long", "logicalType": "timestamp-millis"},
    "date": {"type": "int", "logicalType": "date"},
}


class E:
    """An enum type: E("Name", [("SYMBOL", "中文"), ...], default="OTHER"); its doc is the
    field's, or "zh / en" given as doc"""

    def __init__(self, name, symbols, default=None, doc=None):
        self.name, self.symbols, self.default, self.doc = name, symbols, default, doc


def field_type(t, zh, en):
    """(Avro type, nullable) of a spec type"""
    nullable = False
    if isinstance(t, str) and t.endswith("?"):
        nullable, t = True, t[:-1]
    if isinstance(t, tuple) and t[1] == "?":
        nullable, t = True, t[0]
    if hasattr(t, "symbols"):  # an E (also when imported under another module name)
        avro = {"type": "enum", "name": t.name,
                "doc": "%s: %s" % (t.doc or "%s / %s" % (zh, en),
                                   ", ".join("%s=%s" % s for s in t.symbols)),
                "symbols": [s for s, _ in t.symbols]}
        if t.default:
            avro["default"] = t.default
    elif t.startswith("ref:"):
        avro = t[4:]  # a named type defined earlier in the same schema
    elif t.startswith("dec:"):
        _, p, s = t.split(":")
        avro = {"type": "bytes", "logicalType": "decimal", "precision": int(p), "scale": int(s)}
    else:
        avro = PRIMS[t]
    return (["null", avro] if nullable else avro), nullable


def build(spec, owner, share):
    """The schema as an ordered dict from a spec entry"""
    fields = []
    for f in spec["fields"]:
        name, t, zh, en = f[:4]
        labels = f[4] if len(f) > 4 else "gn"
        avro, nullable = field_type(t, zh, en)
        fd = {"name": name, "type": avro}
        if nullable:
            fd["default"] = None
        fd["doc"] = "%s / %s" % (zh, en)
        fd["gdx.level"] = LEVELS[labels[0]]
        fd["gdx.pi"] = PIS[labels[1]]
        fields.append(fd)
    return {"type": "record", "name": spec["name"], "namespace": "gov." + owner,
            "doc": "%s / %s" % (spec["zh"], spec["en"]), "gdx.owner": owner,
            "gdx.share": share, "fields": fields}


def compact(v):
    return json.dumps(v, ensure_ascii=False, separators=(", ", ": "))


def dump_enum(out, enum, indent, last):
    out.append(" " * indent + "{")
    em = list(enum.items())
    for n, (ek, ev) in enumerate(em):
        out.append(" " * (indent + 2) + "%s: %s%s" % (compact(ek), compact(ev),
                                                       "," if n < len(em) - 1 else ""))
    out.append(" " * indent + "}" + ("" if last else ","))


def dump(schema):
    """The layout of the hand-written schemas: one member per line, types inline"""
    out = ["{"]
    for k in ("type", "name", "namespace", "doc", "gdx.owner", "gdx.share"):
        out.append("  %s: %s," % (compact(k), compact(schema[k])))
    out.append('  "fields": [')
    for i, f in enumerate(schema["fields"]):
        out.append("    {")
        members = list(f.items())
        for j, (k, v) in enumerate(members):
            if k == "type" and isinstance(v, dict) and v.get("type") == "enum":
                out.append('      "type": {')
                em = list(v.items())
                for n, (ek, ev) in enumerate(em):
                    out.append("        %s: %s%s" % (compact(ek), compact(ev),
                                                     "," if n < len(em) - 1 else ""))
                out.append("      }%s" % ("," if j < len(members) - 1 else ""))
                continue
            if (k == "type" and isinstance(v, list) and isinstance(v[1], dict) and
                    v[1].get("type") == "enum"):
                out.append('      "type": [')
                out.append("        %s," % compact(v[0]))
                dump_enum(out, v[1], 8, True)
                out.append("      ]%s" % ("," if j < len(members) - 1 else ""))
                continue
            if k == "type" and isinstance(v, list) and len(compact(v)) > 60:
                out.append('      "type": [')
                out.append("        %s," % compact(v[0]))
                out.append("        %s" % compact(v[1]))
                out.append("      ]%s" % ("," if j < len(members) - 1 else ""))
                continue
            out.append("      %s: %s%s" % (compact(k), compact(v),
                                           "," if j < len(members) - 1 else ""))
        out.append("    }%s" % ("," if i < len(schema["fields"]) - 1 else ""))
    out.append("  ]")
    out.append("}")
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="compare, do not write")
    args = ap.parse_args()
    import schema_specs  # noqa: E402
    inv = city.load_inventory()
    systems = {s["schema"]: s for s in city.systems(inv)}
    bad = 0
    for rel, spec in sorted(schema_specs.SPECS.items()):
        sysd = systems.get(rel)
        if sysd is None:
            print("gen_schemas: %s: no system of the inventory names it" % rel, file=sys.stderr)
            bad += 1
            continue
        text = dump(build(spec, sysd["unit"], sysd["share"]))
        path = os.path.join(ROOT, "schemas", rel)
        if args.check:
            try:
                with open(path, encoding="utf-8") as f:
                    same = f.read() == text
            except OSError:
                same = False
            if not same:
                print("gen_schemas: schemas/%s differs from its spec (run gen_schemas.py)" % rel,
                      file=sys.stderr)
                bad += 1
            continue
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    if not args.check:
        print("gen_schemas: %d schemas written" % len(schema_specs.SPECS), file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
