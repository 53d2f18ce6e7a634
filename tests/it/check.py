#!/usr/bin/python3
"""Checkers for process-level tests: compare what a topic holds with what the source had.

  check.py records --expect E.jsonl --got G.jsonl [--key FIELD] [--offsets O.jsonl --connector ID]

E.jsonl holds the expected decoded records, one JSON object per line, in source order.
G.jsonl is `gdx tail -H --from-beginning TOPIC` output (topic, partition, offset, key,
headers, value). With --offsets (the `gdx tail -H --from-beginning _gdx.offsets` output), only
records whose gdx.batch header appears in an offset record of the connector are kept: the
mock cluster of librdkafka 2.0.2 shows records of aborted transactions to read_committed
consumers, and the runtime always resumes from what the offsets topic shows, so the records
of batches without an offset record are exactly the aborted ones. On a real Kafka cluster
read_committed alone gives the same set.

Prints `records=N expected=M lost=L duplicated=D unexpected=U order_errors=O` and exits 1
unless lost, duplicated, unexpected and order errors are all 0 (duplicates allowed with
--allow-duplicates, for at-least-once runs).
"""
import argparse
import collections
import json
import sys


def canon(obj):
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def load_lines(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def committed_batches(path, connector):
    batches = set()
    for rec in load_lines(path):
        val = rec.get("value")
        if isinstance(val, str):
            try:
                val = json.loads(val)
            except ValueError:
                continue
        if isinstance(val, dict) and (connector is None or val.get("connector") == connector):
            if val.get("batch"):
                batches.add(val["batch"])
    return batches


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["records"])
    ap.add_argument("--expect", required=True)
    ap.add_argument("--got", required=True)
    ap.add_argument("--key", default=None)
    ap.add_argument("--offsets")
    ap.add_argument("--connector")
    ap.add_argument("--allow-duplicates", action="store_true")
    a = ap.parse_args()

    expect = load_lines(a.expect)
    got = load_lines(a.got)
    if a.offsets:
        keep = committed_batches(a.offsets, a.connector)
        before = len(got)
        got = [g for g in got if g.get("headers", {}).get("gdx.batch") in keep]
        print(f"# kept {len(got)} of {before} records whose batch was committed", file=sys.stderr)

    want = collections.Counter(canon(e) for e in expect)
    have = collections.Counter(canon(g["value"]) for g in got)
    lost = sum((want - have).values())
    unexpected = sum(1 for k in have if k not in want)
    duplicated = sum(n - 1 for k, n in have.items() if n > 1 and k in want)

    # Order per key: within a partition, one key's records keep the source order.
    order_errors = 0
    if a.key:
        pos = {}
        for i, e in enumerate(expect):
            pos.setdefault(canon(e), i)
        last = {}
        for g in sorted(got, key=lambda r: (r["partition"], r["offset"])):
            k = g["value"].get(a.key) if isinstance(g["value"], dict) else None
            p = pos.get(canon(g["value"]))
            if p is None:
                continue
            if k in last and p < last[k] and not a.allow_duplicates:
                order_errors += 1
            last[k] = max(p, last.get(k, -1))
    print(f"records={len(got)} expected={len(expect)} lost={lost} duplicated={duplicated} "
          f"unexpected={unexpected} order_errors={order_errors}")
    bad = lost or unexpected or order_errors or (duplicated and not a.allow_duplicates)
    if bad:
        for k in list((want - have))[:3]:
            print("# lost: " + k[:300], file=sys.stderr)
        for k in [k for k in have if k not in want][:3]:
            print("# unexpected: " + k[:300], file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
