#!/usr/bin/python3
"""bench-peers.py - the file connector's peers in `make bench`.

  bench-peers.py dump -b BOOTSTRAP -t TOPIC -n N -o FILE
      The newest N records of TOPIC (what the connector wrote) as input for `kcat -P`:
      key, KEY_DELIM, value, MSG_DELIM per record. Records whose bytes contain a delimiter
      are left out (counted on stderr). Prints `records=N value_avg=B`.

  bench-peers.py pipeline -b BOOTSTRAP -t TOPIC -s SCHEMA -i CSV [-n N]
      The same job as the connector in plain Python: read the GB18030 work-order CSV, map
      the columns onto the schema (the mapping of examples/demo, caller_id_no dropped),
      encode with python3-avro, produce with confluent-kafka (idempotent, acks=all,
      murmur2_random, linger.ms 5) and wait for every delivery report. Prints
      `records=N seconds=S rate=R`, timed from the first row read to the last report.

Debian's /usr/bin/python3 with python3-avro and python3-confluent-kafka.
"""
import argparse
import csv
import datetime
import decimal
import io
import json
import sys
import time

import avro.io
import avro.schema
from confluent_kafka import Consumer, Producer, TopicPartition

KEY_DELIM = b"\xff\xfe\xfd\xfc"
MSG_DELIM = b"\xfc\xfd\xfe\xff"

COLUMNS = {
    "order_no": "工单编号", "channel": "来电渠道", "received_at": "受理时间",
    "caller_name": "来电人", "caller_phone": "联系电话", "caller_id_no": "身份证号",
    "category": "诉求分类", "subcategory": "诉求子类", "title": "标题", "content": "诉求内容",
    "address": "事发地址", "grid_code": "网格编码", "handling_unit": "承办单位",
    "deadline": "办理时限", "status": "办理状态", "urgency": "紧急程度",
    "amount_involved": "涉及金额", "satisfaction": "满意度", "reply": "回复内容",
}
TZ = datetime.timezone(datetime.timedelta(hours=8))


def dump(a):
    c = Consumer({"bootstrap.servers": a.b, "group.id": "bench-peers", "enable.auto.commit": False})
    md = c.list_topics(a.t, timeout=10).topics[a.t]
    parts = sorted(md.partitions)
    marks = [c.get_watermark_offsets(TopicPartition(a.t, p), timeout=10) for p in parts]
    total = sum(hi - lo for lo, hi in marks)
    want = min(a.n, total)
    tps = []
    for p, (lo, hi) in zip(parts, marks):
        take = (hi - lo) * want // total if total else 0
        tps.append(TopicPartition(a.t, p, max(lo, hi - take - 1)))
    c.assign(tps)
    n = skipped = vbytes = 0
    with open(a.o, "wb") as out:
        idle = 0
        while n < want and idle < 20:
            m = c.poll(0.5)
            if m is None:
                idle += 1
                continue
            if m.error():
                continue
            k, v = m.key() or b"", m.value() or b""
            if any(d in x for x in (k, v) for d in (KEY_DELIM, MSG_DELIM)):
                skipped += 1
                continue
            out.write(k + KEY_DELIM + v + MSG_DELIM)
            n += 1
            vbytes += len(v)
    c.close()
    if skipped:
        print(f"bench-peers: {skipped} records left out (a delimiter in their bytes)",
              file=sys.stderr)
    print(f"records={n} value_avg={vbytes / max(n, 1):.1f}")


def converter(ftype):
    """A function from CSV text to the Avro datum of ftype (str, enum, long, int, decimal)."""
    nullable = isinstance(ftype, list)
    t = [x for x in ftype if x != "null"][0] if nullable else ftype
    logical = t.get("logicalType") if isinstance(t, dict) else None
    base = t.get("type") if isinstance(t, dict) else t

    def conv(text):
        if text == "" and nullable:
            return None
        if logical == "timestamp-millis":
            return datetime.datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=TZ)
        if logical == "decimal":
            return decimal.Decimal(text).quantize(decimal.Decimal(1).scaleb(-t["scale"]))
        if base in ("int", "long"):
            return int(text)
        return text
    return conv


def pipeline(a):
    text = open(a.s).read()
    schema = avro.schema.parse(text)
    fields = json.loads(text)["fields"]
    convs = [(f["name"], COLUMNS[f["name"]], converter(f["type"])) for f in fields]
    writer = avro.io.DatumWriter(schema)
    p = Producer({"bootstrap.servers": a.b, "enable.idempotence": True, "acks": "all",
                  "partitioner": "murmur2_random", "linger.ms": 5,
                  "queue.buffering.max.messages": 1000000})
    failed = []

    def dr(err, msg):
        if err:
            failed.append(err)

    n = 0
    t0 = time.monotonic()
    with open(a.i, encoding="gb18030", newline="") as f:
        for row in csv.DictReader(f):
            rec = {name: conv(row[col]) for name, col, conv in convs}
            rec["caller_id_no"] = None  # protect: caller_id_no drop
            buf = io.BytesIO()
            writer.write(rec, avro.io.BinaryEncoder(buf))
            while True:
                try:
                    p.produce(a.t, buf.getvalue(), rec["order_no"].encode(), on_delivery=dr)
                    break
                except BufferError:
                    p.poll(0.05)
            p.poll(0)
            n += 1
            if a.n and n >= a.n:
                break
    p.flush()
    secs = time.monotonic() - t0
    if failed:
        sys.exit(f"bench-peers: {len(failed)} records failed: {failed[0]}")
    print(f"records={n} seconds={secs:.3f} rate={n / secs:.0f}")


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("dump")
    d.add_argument("-b", required=True)
    d.add_argument("-t", required=True)
    d.add_argument("-n", type=int, required=True)
    d.add_argument("-o", required=True)
    q = sub.add_parser("pipeline")
    q.add_argument("-b", required=True)
    q.add_argument("-t", required=True)
    q.add_argument("-s", required=True)
    q.add_argument("-i", required=True)
    q.add_argument("-n", type=int, default=0)
    a = ap.parse_args()
    dump(a) if a.cmd == "dump" else pipeline(a)


if __name__ == "__main__":
    main()
