#!/usr/bin/python3
"""Sequenced CSV files for the exactly-once tests (schema tests/it/schemas/seq.avsc).

  seqgen.py DIR ROWS FILES [--first N] [--prefix seq] [--no-marker]

Writes FILES files DIR/<prefix>-000.csv ... holding rows seq=first..first+ROWS-1 in order
(header `seq,k,v`, CRLF line ends, UTF-8), each with its `.ok` completion marker unless
--no-marker. Key k is `K<seq mod 97>` so one key's records spread over every file and per-key
order can be checked. Prints nothing; exits 0.
"""
import argparse
import os

ap = argparse.ArgumentParser()
ap.add_argument("dir")
ap.add_argument("rows", type=int)
ap.add_argument("files", type=int)
ap.add_argument("--first", type=int, default=1)
ap.add_argument("--prefix", default="seq")
ap.add_argument("--no-marker", action="store_true")
a = ap.parse_args()

os.makedirs(a.dir, exist_ok=True)
per = a.rows // a.files
seq = a.first
for f in range(a.files):
    n = per if f < a.files - 1 else a.rows - per * (a.files - 1)
    name = os.path.join(a.dir, f"{a.prefix}-{f:03d}.csv")
    with open(name, "w", encoding="utf-8", newline="") as out:
        out.write("seq,k,v\r\n")
        for _ in range(n):
            out.write(f"{seq},K{seq % 97:03d},第{seq}条记录 项城市民政局\r\n")
            seq += 1
    if not a.no_marker:
        open(name + ".ok", "w").close()
