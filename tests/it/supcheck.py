#!/usr/bin/python3
"""Read `gdx supervise` the way its users do: /status as JSON, /metrics as Prometheus text.

  supcheck.py get URL ID FIELD        a field of one connector in /status (JSON on stdout;
                                      '.' for the whole object); exit 1 if the id is absent
  supcheck.py ids URL [STATE]         connector ids in /status, one a line (of STATE only)
  supcheck.py prom URL                parse /metrics strictly (the text exposition format
                                      0.0.4) and print every sample as JSON lines
                                      {"name","labels","value"}; exit 1 with the reason on
                                      any violation
  supcheck.py metric URL NAME K=V...  the value of one sample (exit 1 if absent)

The parser checks what Prometheus relies on: names and label names by the grammar, quoted
and escaped label values, float values (NaN, +Inf, -Inf), a TYPE line before a family's
samples and at most one HELP and TYPE per family, a family's samples together, no series
twice, counters named *_total, and for histograms cumulative non-decreasing buckets with an
le label, a +Inf bucket equal to _count, and _sum present.
"""
import json
import math
import re
import signal
import sys
import urllib.request

# a reader that takes only the first lines (head -3) ends the listing quietly
signal.signal(signal.SIGPIPE, signal.SIG_DFL)

NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*$")
LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*$")
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


def fetch(url):
    with urllib.request.urlopen(url, timeout=20) as r:
        return r.read().decode("utf-8"), r.headers.get("Content-Type", "")


def status(url):
    return json.loads(fetch(url.rstrip("/") + "/status")[0])


def systems(doc):
    for u in doc["units"]:
        for s in u["systems"]:
            yield u, s


class PromError(Exception):
    pass


def parse_value(text, where):
    if text in ("NaN", "+Inf", "-Inf", "Inf"):
        return float(text.replace("Inf", "inf"))
    try:
        return float(text)
    except ValueError:
        raise PromError(f"{where}: bad value '{text}'")


def parse_labels(s, i, where):
    """s[i] is '{'; returns (labels, index after '}')"""
    labels = {}
    i += 1
    while True:
        if s[i] == "}":
            return labels, i + 1
        m = re.match(r"[a-zA-Z_][a-zA-Z0-9_]*", s[i:])
        if not m:
            raise PromError(f"{where}: bad label name at col {i + 1}")
        name = m.group(0)
        i += len(name)
        if s[i] != "=" or s[i + 1] != '"':
            raise PromError(f"{where}: expected =\" after label '{name}'")
        i += 2
        val = []
        while s[i] != '"':
            if s[i] == "\\":
                nxt = s[i + 1]
                if nxt not in '\\"n':
                    raise PromError(f"{where}: bad escape \\{nxt} in label '{name}'")
                val.append("\n" if nxt == "n" else nxt)
                i += 2
            elif s[i] == "\n":
                raise PromError(f"{where}: newline in label '{name}'")
            else:
                val.append(s[i])
                i += 1
        i += 1
        if name in labels:
            raise PromError(f"{where}: label '{name}' twice")
        labels[name] = "".join(val)
        if s[i] == ",":
            i += 1
        elif s[i] != "}":
            raise PromError(f"{where}: expected , or }} after label '{name}'")


def family_of(name, types):
    for suffix in ("_bucket", "_sum", "_count"):
        if name.endswith(suffix) and types.get(name[: -len(suffix)]) in ("histogram", "summary"):
            return name[: -len(suffix)]
    return name


def parse_prom(text):
    if not text.endswith("\n"):
        raise PromError("the exposition does not end with a newline")
    types, helps, samples, seen, done = {}, {}, [], set(), set()
    current = None
    for n, line in enumerate(text.split("\n")[:-1], 1):
        where = f"line {n}"
        if line.startswith("#"):
            parts = line.split(" ", 3)
            if len(parts) >= 3 and parts[1] in ("HELP", "TYPE"):
                name = parts[2]
                if not NAME.match(name):
                    raise PromError(f"{where}: bad metric name '{name}'")
                if parts[1] == "TYPE":
                    if len(parts) != 4 or parts[3] not in TYPES:
                        raise PromError(f"{where}: bad TYPE line")
                    if name in types:
                        raise PromError(f"{where}: second TYPE for '{name}'")
                    if any(family_of(s["name"], {name: parts[3]}) == name for s in samples):
                        raise PromError(f"{where}: TYPE for '{name}' after its samples")
                    types[name] = parts[3]
                else:
                    if name in helps:
                        raise PromError(f"{where}: second HELP for '{name}'")
                    helps[name] = parts[3] if len(parts) == 4 else ""
            continue
        if not line.strip():
            continue
        m = re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", line)
        if not m:
            raise PromError(f"{where}: bad sample line")
        name = m.group(0)
        i = len(name)
        labels = {}
        if i < len(line) and line[i] == "{":
            labels, i = parse_labels(line + "\n", i, where)
        rest = line[i:].split()
        if len(rest) not in (1, 2):
            raise PromError(f"{where}: expected a value (and a timestamp) after the series")
        value = parse_value(rest[0], where)
        fam = family_of(name, types)
        if fam not in types:
            raise PromError(f"{where}: sample of '{name}' without a TYPE line")
        if fam != current:
            if fam in done:
                raise PromError(f"{where}: samples of '{fam}' are not together")
            if current:
                done.add(current)
            current = fam
        key = (name, tuple(sorted(labels.items())))
        if key in seen:
            raise PromError(f"{where}: series {name}{labels} twice")
        seen.add(key)
        if types[fam] == "counter" and not name.endswith("_total"):
            raise PromError(f"{where}: counter '{name}' is not named *_total")
        if types[fam] == "counter" and (value < 0 or math.isnan(value)):
            raise PromError(f"{where}: counter '{name}' is {value}")
        samples.append({"name": name, "labels": labels, "value": value, "line": n})
    # histograms
    for fam, t in types.items():
        if t != "histogram":
            continue
        series = {}
        for s in samples:
            if s["name"] in (fam + "_bucket", fam + "_sum", fam + "_count"):
                base = tuple(sorted((k, v) for k, v in s["labels"].items() if k != "le"))
                series.setdefault(base, {"buckets": [], "sum": None, "count": None})
                e = series[base]
                if s["name"].endswith("_bucket"):
                    if "le" not in s["labels"]:
                        raise PromError(f"line {s['line']}: bucket without le")
                    e["buckets"].append((parse_value(s["labels"]["le"], "le"), s["value"]))
                elif s["name"].endswith("_sum"):
                    e["sum"] = s["value"]
                else:
                    e["count"] = s["value"]
        for base, e in series.items():
            b = e["buckets"]
            if not b or b[-1][0] != math.inf:
                raise PromError(f"histogram {fam}{dict(base)}: no +Inf bucket last")
            if any(b[k][0] >= b[k + 1][0] for k in range(len(b) - 1)):
                raise PromError(f"histogram {fam}{dict(base)}: le not increasing")
            if any(b[k][1] > b[k + 1][1] for k in range(len(b) - 1)):
                raise PromError(f"histogram {fam}{dict(base)}: buckets not cumulative")
            if e["count"] is None or e["sum"] is None or b[-1][1] != e["count"]:
                raise PromError(f"histogram {fam}{dict(base)}: +Inf bucket != _count or no _sum")
    return types, helps, samples


def main(argv):
    cmd, url = argv[1], argv[2]
    if cmd == "get":
        doc = status(url)
        for _, s in systems(doc):
            if s["id"] == argv[3]:
                v = s if argv[4] == "." else s.get(argv[4])
                print(v if isinstance(v, str) else json.dumps(v, ensure_ascii=False))
                return 0
        return 1
    if cmd == "ids":
        doc = status(url)
        for _, s in systems(doc):
            if len(argv) < 4 or s["state"] == argv[3]:
                print(s["id"])
        return 0
    if cmd in ("prom", "metric"):
        text, ctype = fetch(url.rstrip("/") + "/metrics")
        if not ctype.startswith("text/plain") or "version=0.0.4" not in ctype:
            print(f"bad Content-Type '{ctype}'", file=sys.stderr)
            return 1
        try:
            _, _, samples = parse_prom(text)
        except PromError as e:
            print(f"not Prometheus text: {e}", file=sys.stderr)
            return 1
        if cmd == "prom":
            for s in samples:
                print(json.dumps({k: s[k] for k in ("name", "labels", "value")},
                                 ensure_ascii=False))
            return 0
        want = dict(kv.split("=", 1) for kv in argv[4:])
        for s in samples:
            if s["name"] == argv[3] and all(s["labels"].get(k) == v for k, v in want.items()):
                v = s["value"]
                print(int(v) if v == int(v) else v)
                return 0
        return 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
