#!/usr/bin/python3
"""Exactly-once and egress-policy checker for `gdx uplink` tests.

  uplinkcheck.py --city BOOTSTRAP --province BOOTSTRAP --city-id ID --prefix PREFIX
                 --topics T1,T2 [--dlq TOPIC] [--registry URL] [--approval T=ID ...]
                 [--city-json FILE --prov-json FILE --protected f1,f2]

Reads raw records with confluent_kafka:
 - the city topics: every record position is expected on the province exactly once, unless
   it is in the city's uplink dead-letter topic (then never on the province);
 - `_gdx.uplink.offsets` on the province: the committed (uplink batch, topic, partition)
   triples. librdkafka 2.0.2's mock shows aborted records to read_committed consumers, so a
   provincial record counts only if its gdx.uplink.batch is committed for its city partition;
 - the provincial topics `<prefix>.<city id>.<topic>`, read_uncommitted: a record counts when
   its batch is committed for its city partition in `_gdx.uplink.offsets` (read_committed,
   as the uplink reads it), whatever the broker's own transaction filtering shows.
Checks keys kept, partition = murmur2(key) % n, Confluent schema ids resolving in the
provincial registry, approval headers, and scans values for resident IDs and mobile numbers
in clear. With --city-json/--prov-json (`gdx tail -H` output of both sides) every field not
in --protected must be equal on both sides. Prints `lost=N duplicated=M ...`; exit 1 on any
problem.
"""
import argparse
import collections
import json
import os
import re
import sys
import urllib.request

from confluent_kafka import Consumer, TopicPartition

ap = argparse.ArgumentParser()
ap.add_argument("--city", required=True)
ap.add_argument("--province", required=True)
ap.add_argument("--city-id", required=True)
ap.add_argument("--prefix", required=True)
ap.add_argument("--topics", required=True)
ap.add_argument("--dlq")
ap.add_argument("--registry")
ap.add_argument("--approval", action="append", default=[])
ap.add_argument("--city-json")
ap.add_argument("--prov-json")
ap.add_argument("--protected", default="")
ap.add_argument("--expect-dlq", type=int)
a = ap.parse_args()


problems = []
truncated = []


def read_all(bootstrap, topic, isolation="read_committed"):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "uplinkcheck",
                  "isolation.level": isolation, "enable.auto.commit": False,
                  "enable.partition.eof": True})
    md = c.list_topics(topic, timeout=10)
    t = md.topics.get(topic)
    if t is None or t.error is not None or not t.partitions:
        c.close()
        return [], 0
    parts = []
    for p in t.partitions:
        lo, hi = c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
        if hi > lo:
            parts.append((p, lo, hi))
        if lo > 0:
            # the embedded broker keeps ~5 MiB per partition: give the topic more partitions
            truncated.append(f"{topic} [{p}] starts at offset {lo}: truncated by the broker")
    n = len(t.partitions)
    c.assign([TopicPartition(topic, p, lo) for p, lo, hi in parts])
    left = {p: hi for p, lo, hi in parts}
    out = []
    idle = 0
    while left and idle < 100:
        msgs = c.consume(10000, 0.2)
        if not msgs:
            idle += 1
            continue
        idle = 0
        for m in msgs:
            p = m.partition()
            if m.error():
                if m.offset() >= left.get(p, 0):
                    left.pop(p, None)
                continue
            out.append(m)
            if m.offset() + 1 >= left.get(p, 1 << 62):
                left.pop(p, None)
    c.close()
    return out, n


def hdrs(m):
    h = {}
    for k, v in m.headers() or []:
        h[k] = v.decode("utf-8", "replace") if v is not None else None
    return h


def murmur2(data):
    m, r = 0x5BD1E995, 24
    h = (0x9747B28C ^ len(data)) & 0xFFFFFFFF
    n4 = len(data) // 4
    for i in range(n4):
        k = int.from_bytes(data[4 * i:4 * i + 4], "little")
        k = (k * m) & 0xFFFFFFFF
        k ^= k >> r
        k = (k * m) & 0xFFFFFFFF
        h = (h * m) & 0xFFFFFFFF
        h ^= k
    tail = data[4 * n4:]
    if len(tail) == 3:
        h ^= tail[2] << 16
    if len(tail) >= 2:
        h ^= tail[1] << 8
    if len(tail) >= 1:
        h ^= tail[0]
        h = (h * m) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * m) & 0xFFFFFFFF
    h ^= h >> 15
    return h & 0x7FFFFFFF


ID_RE = re.compile(rb"(?<![0-9])[1-9][0-9]{16}[0-9Xx](?![0-9])")
MOBILE_RE = re.compile(rb"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")
MASKED_PHONE_RE = re.compile(rb"1[3-9][0-9]\*\*\*\*[0-9]{4}")
W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def id_ok(s):
    s = s.decode().upper()
    total = sum(int(s[i]) * W[i] for i in range(17))
    return "10X98765432"[total % 11] == s[17]


def leaks(value):
    ids = sum(1 for x in ID_RE.findall(value) if id_ok(x))
    return ids, len(MOBILE_RE.findall(value))


topics = a.topics.split(",")
approvals = dict(x.split("=", 1) for x in a.approval)

# city side
expected = {}
city_leaks = [0, 0]
for t in topics:
    msgs, _ = read_all(a.city, t)
    for m in msgs:
        expected[(t, m.partition(), m.offset())] = m.key()
        if m.value():
            i, p = leaks(m.value())
            city_leaks[0] += i
            city_leaks[1] += p
dead = collections.Counter()
if a.dlq:
    msgs, _ = read_all(a.city, a.dlq)
    for m in msgs:
        pos = hdrs(m).get("gdx.city.pos", "")
        t, p, o = pos.rsplit("/", 2)
        dead[(t, int(p), int(o))] += 1

# committed uplink batches
committed = set()
history = collections.defaultdict(list)
offs, _ = read_all(a.province, "_gdx.uplink.offsets")
for m in offs:
    if not m.value():
        continue
    v = json.loads(m.value())
    if v.get("city") == a.city_id:
        committed.add((v["batch"], v["topic"], v["partition"]))
        history[(v["topic"], v["partition"])].append(
            (m.partition(), m.offset(), v["batch"], v.get("first"), v.get("last"), v["next"]))
carried = collections.defaultdict(list)

# province side
got = collections.Counter()
ids = set()
total = kept = 0
prov_leaks = [0, 0]
masked = 0
bad_key = bad_part = bad_approval = 0
for t in topics:
    dest = f"{a.prefix}.{a.city_id}.{t}" if a.prefix else f"{a.city_id}.{t}"
    # every record, aborted ones included: what counts is decided by the committed offsets
    msgs, npart = read_all(a.province, dest, "read_uncommitted")
    for m in msgs:
        total += 1
        h = hdrs(m)
        pos = h.get("gdx.city.pos")
        if not pos:
            problems.append(f"record without gdx.city.pos in {dest}")
            continue
        ct, cp, co = pos.rsplit("/", 2)
        cp, co = int(cp), int(co)
        if os.environ.get("UPLINKCHECK_DEBUG"):
            carried[(ct, cp, co)].append(h.get("gdx.uplink.batch"))
        if (h.get("gdx.uplink.batch"), ct, cp) not in committed:
            continue
        kept += 1
        got[(ct, cp, co)] += 1
        key = expected.get((ct, cp, co))
        if m.key() != key:
            bad_key += 1
        elif key is not None and m.partition() != murmur2(key) % npart:
            bad_part += 1
        if ct in approvals and h.get("gdx.approval") != approvals[ct]:
            bad_approval += 1
        v = m.value()
        if v:
            if v[0] == 0 and len(v) >= 5:
                ids.add(int.from_bytes(v[1:5], "big"))
            i, p = leaks(v)
            prov_leaks[0] += i
            prov_leaks[1] += p
            masked += len(MASKED_PHONE_RE.findall(v))

want = set(expected) - set(dead)
lost = sum(1 for k in want if k not in got)
dup = sum(n - 1 for n in got.values() if n > 1)
unexpected = sum(1 for k in got if k not in want)
leaked_dlq = sum(1 for k in got if k in dead)
unresolved = 0
if a.registry:
    for i in sorted(ids):
        try:
            with urllib.request.urlopen(f"{a.registry}/schemas/ids/{i}", timeout=10) as r:
                json.loads(r.read())
        except Exception as e:  # noqa: BLE001
            unresolved += 1
            problems.append(f"schema id {i} does not resolve: {e}")

mismatch = 0
if a.city_json and a.prov_json:
    protected = set(x for x in a.protected.split(",") if x)
    city = {}
    for line in open(a.city_json, encoding="utf-8"):
        r = json.loads(line)
        city[(r["topic"], r["partition"], r["offset"])] = r["value"]
    seen = set()
    for line in open(a.prov_json, encoding="utf-8"):
        r = json.loads(line)
        h = r.get("headers") or {}
        pos = h.get("gdx.city.pos")
        if not pos:
            continue
        ct, cp, co = pos.rsplit("/", 2)
        k = (ct, int(cp), int(co))
        if (h.get("gdx.uplink.batch"), ct, int(cp)) not in committed or k in seen:
            continue
        seen.add(k)
        cv, pv = city.get(k), r["value"]
        if not isinstance(cv, dict) or not isinstance(pv, dict):
            mismatch += 1
            if mismatch <= 3:
                problems.append(f"not decoded at {pos}: {str(pv)[:120]}")
            continue
        for f, x in cv.items():
            if f in protected:
                continue
            if pv.get(f) != x:
                mismatch += 1
                if mismatch <= 3:
                    problems.append(f"field {f} differs at {pos}")

print(f"city={len(expected)} dead={len(dead)} province={total} committed={kept} lost={lost} "
      f"duplicated={dup} unexpected={unexpected} dead_forwarded={leaked_dlq} "
      f"schema_ids={len(ids)} unresolved={unresolved} key_errors={bad_key} "
      f"partition_errors={bad_part} approval_errors={bad_approval} "
      f"city_ids={city_leaks[0]} city_mobiles={city_leaks[1]} "
      f"leaked_ids={prov_leaks[0]} leaked_mobiles={prov_leaks[1]} masked_phones={masked} "
      f"field_mismatches={mismatch} truncated={len(truncated)}")
if os.environ.get("UPLINKCHECK_DEBUG"):
    lostk = sorted(k for k in want if k not in got)
    for k in lostk[:5]:
        print("# lost", k, "carried by", carried.get(k))
        for hrow in history[(k[0], k[1])]:
            if hrow[4] is not None and hrow[3] - 3000 <= k[2] <= hrow[4] + 3000 or \
                    abs(hrow[5] - k[2]) < 3000:
                print("#    offsets", hrow)
for p in truncated[:5] + problems[:10]:
    print("#", p)
bad = (truncated or lost or dup or unexpected or leaked_dlq or unresolved or bad_key or bad_part or
       bad_approval or prov_leaks[0] or prov_leaks[1] or mismatch or
       (a.expect_dlq is not None and len(dead) != a.expect_dlq))
sys.exit(1 if bad else 0)
