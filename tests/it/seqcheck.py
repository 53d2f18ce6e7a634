#!/usr/bin/python3
"""Exactly-once checker for sequenced sources.

  seqcheck.py --count N --got DATA.jsonl --offsets OFFSETS.jsonl --connector ID [--allow-duplicates]

DATA.jsonl is `gdx tail -H --from-beginning TOPIC`; OFFSETS.jsonl the same of `_gdx.offsets`.
Only records whose gdx.batch appears in one of the connector's offset records are kept:
librdkafka 2.0.2's mock cluster shows records of aborted (and still open) transactions to
read_committed consumers, and the runtime resumes from what the offsets topic shows, so a
batch without an offset record is exactly an aborted attempt. With a real Kafka cluster
read_committed alone gives the same set. Prints `lost=N duplicated=M order_errors=O` and
exits 1 unless all are 0 (duplicates allowed with --allow-duplicates).
"""
import argparse
import collections
import json
import sys

ap = argparse.ArgumentParser()
ap.add_argument("--count", type=int, required=True)
ap.add_argument("--got", required=True)
ap.add_argument("--offsets")
ap.add_argument("--connector")
ap.add_argument("--allow-duplicates", action="store_true")
a = ap.parse_args()

keep = None
if a.offsets:
    keep = set()
    for line in open(a.offsets, encoding="utf-8"):
        r = json.loads(line)
        v = r.get("value")
        try:
            v = json.loads(v) if isinstance(v, str) else v
        except ValueError:
            continue
        if isinstance(v, dict) and v.get("connector") == a.connector and v.get("batch"):
            keep.add(v["batch"])

seen = collections.Counter()
last = {}
order_errors = 0
total = kept = 0
rows = []
for line in open(a.got, encoding="utf-8"):
    r = json.loads(line)
    total += 1
    if keep is not None and r["headers"].get("gdx.batch") not in keep:
        continue
    kept += 1
    rows.append((r["partition"], r["offset"], r["value"]["k"], r["value"]["seq"]))
for p, o, k, s in sorted(rows):
    seen[s] += 1
    if k in last and s < last[k] and seen[s] == 1:
        order_errors += 1
    last[k] = max(s, last.get(k, -1))
lost = sum(1 for s in range(1, a.count + 1) if s not in seen)
dup = sum(n - 1 for n in seen.values() if n > 1)
extra = sum(1 for s in seen if s < 1 or s > a.count)
print(f"records={total} committed={kept} lost={lost} duplicated={dup} unexpected={extra} "
      f"order_errors={order_errors}")
bad = lost or extra or order_errors or (dup and not a.allow_duplicates)
sys.exit(1 if bad else 0)
