#!/usr/bin/python3
"""A sequenced Singer tap for the exec connector's tests (standard library only).

    1500-seqtap.py --config CONFIG.json [--state STATE.json]

CONFIG: {"count": N, "state_every": K, "format": "singer"|"binary", "faults": FILE,
         "pid_file": FILE, "pause_every": P, "pause_s": S, "noise_every": M}

Writes records {"seq", "k", "v"} of stream "seq" for seq = state.seq + 1 .. N with a STATE
{"seq": s} after every K records and at the end, so a run started from a STATE writes the
same messages after it again (deterministic replay). Every M-th record also writes a record
of another stream, "noise". Each line of the FAULTS file is one fault, used once and removed
when hit: "exit SEQ" (exit 3 after writing half of record SEQ's line), "kill SEQ" (SIGKILL
itself before record SEQ), "hang SEQ" (stop writing and sleep). The pid goes to pid_file.
"""
import argparse
import json
import os
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "../../examples/adapters"))
from gdxframe import FrameWriter  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--config", required=True)
ap.add_argument("--state")
a = ap.parse_args()
cfg = json.load(open(a.config, encoding="utf-8"))
start = 0
if a.state:
    start = json.load(open(a.state, encoding="utf-8"))["seq"]
if cfg.get("pid_file"):
    with open(cfg["pid_file"], "w") as f:
        f.write(str(os.getpid()))
n, every = cfg["count"], cfg.get("state_every", 100)
noise = cfg.get("noise_every", 0)
binary = cfg.get("format") == "binary"
faults = []
if cfg.get("faults") and os.path.exists(cfg["faults"]):
    faults = [ln.split() for ln in open(cfg["faults"]) if ln.strip()]


def take_fault(seq):
    for i, f in enumerate(faults):
        if int(f[1]) == seq:
            del faults[i]
            with open(cfg["faults"] + ".tmp", "w") as out:
                out.writelines(" ".join(x) + "\n" for x in faults)
            os.replace(cfg["faults"] + ".tmp", cfg["faults"])
            return f[0]
    return None


out = sys.stdout
w = FrameWriter() if binary else None
print(f"INFO seqtap starting after seq {start} (pid {os.getpid()})", file=sys.stderr, flush=True)
if not binary:
    out.write(json.dumps({"type": "SCHEMA", "stream": "seq", "key_properties": ["seq"],
                          "schema": {"type": "object", "properties": {
                              "seq": {"type": "integer"}, "k": {"type": "string"},
                              "v": {"type": "string"}}}}) + "\n")
t_seq = w.table("seq", ["seq", "k", "v"]) if binary else None
t_noise = w.table("noise", ["id"]) if binary else None


def flush():
    (w.flush() if binary else out.flush())


for seq in range(start + 1, n + 1):
    fault = take_fault(seq)
    rec = {"seq": seq, "k": f"K{seq % 97:03d}", "v": f"第{seq}条记录 项城市莲花街道"}
    if fault == "kill":
        flush()
        os.kill(os.getpid(), signal.SIGKILL)
    if fault == "hang":
        flush()
        time.sleep(3600)
    if binary and fault == "exit":
        w.out.write(b"R\x00\x00\x00\x40\x00\x01\x00\x00")  # a frame cut short
        flush()
        print("ERROR seqtap: injected failure", file=sys.stderr, flush=True)
        os._exit(3)
    if binary:
        w.record(t_seq, [rec["seq"], rec["k"], rec["v"]])
    else:
        line = json.dumps({"type": "RECORD", "stream": "seq", "record": rec,
                           "time_extracted": time.strftime("%Y-%m-%dT%H:%M:%S.000000Z",
                                                           time.gmtime())},
                          ensure_ascii=False)
        if fault == "exit":
            out.write(line[: len(line) // 2])
            out.flush()
            print("ERROR seqtap: injected failure", file=sys.stderr, flush=True)
            os._exit(3)
        out.write(line + "\n")
    if noise and seq % noise == 0:
        if binary:
            w.record(t_noise, [seq])
        else:
            out.write(json.dumps({"type": "RECORD", "stream": "noise", "record": {"id": seq}})
                      + "\n")
    if seq % every == 0 or seq == n:
        if binary:
            w.state({"seq": seq})
        else:
            out.write(json.dumps({"type": "STATE", "value": {"seq": seq}}) + "\n")
    pe = cfg.get("pause_every", 0)
    if pe and seq % pe == 0:
        flush()
        time.sleep(cfg.get("pause_s", 0.05))
flush()
print(f"INFO seqtap done at seq {n}", file=sys.stderr, flush=True)
