#!/usr/bin/python3
"""Connector configs for every system of the city inventory, for the supervisor's tests and
its benchmark (the city's own configs live in examples/, not here).

  supgen.py INVENTORY OUTDIR --root T [--kinds file,sql] [--all-file] [--omit ID]...
            [--expect FILE]

For each system of INVENTORY writes OUTDIR/<config> (the system's `config:` key, else
<unit>.<system>.yaml). A system whose kind is one of --kinds (built into this gdx) gets a
small file-kind config reading the empty drop folder T/drop/<id> into the system's topic
(tests/it/schemas/seq.avsc); with --all-file every system does. Any other system gets a
config of its own kind, which the supervisor lists as not built and never starts. --omit
leaves a system without a config. --expect writes the units and systems as the inventory
names them, with the state the supervisor should show: running, kind_not_built or
not_configured. Kafka is ${GDX_BOOTSTRAP}; state in T/state.
"""
import argparse
import json
import os

import yaml

ap = argparse.ArgumentParser()
ap.add_argument("inventory")
ap.add_argument("outdir")
ap.add_argument("--root", required=True)
ap.add_argument("--kinds", default="file,sql")
ap.add_argument("--all-file", action="store_true")
ap.add_argument("--omit", action="append", default=[])
ap.add_argument("--expect")
ap.add_argument("--schema", default=os.path.join(os.path.dirname(__file__), "schemas", "seq.avsc"))
a = ap.parse_args()

built = set(a.kinds.split(","))
inv = yaml.safe_load(open(a.inventory, encoding="utf-8"))
os.makedirs(a.outdir, exist_ok=True)
units = []
for u in inv["units"]:
    systems = []
    for s in u.get("systems") or []:
        cid = f"{u['id']}.{s['id']}"
        kind = s.get("kind")
        if cid in a.omit:
            state = "not_configured" if kind in built else "kind_not_built"
        elif a.all_file or kind in built:
            state = "running"
        else:
            state = "kind_not_built"
        systems.append({"id": cid, "name": s.get("name"), "kind": kind, "state": state})
        if cid in a.omit:
            continue
        run_kind = "file" if state == "running" else kind
        drop = os.path.join(a.root, "drop", cid)
        topic = s.get("topic") or f"gov.{cid}.record"
        text = (
            f"# {u.get('name', '')} {s.get('name', '')}\n"
            f"connector:\n  id: {cid}\n  kind: {run_kind}\n"
            f"kafka:\n  bootstrap.servers: ${{GDX_BOOTSTRAP}}\n"
            f"topic: {topic}\n"
            f"schema: {a.schema}\n"
            f"key: k\n"
            f"state.dir: {os.path.join(a.root, 'state')}\n"
        )
        if run_kind == "file":
            os.makedirs(drop, exist_ok=True)
            text += f"source:\n  path: {drop}\n"
        name = s.get("config") or f"{cid}.yaml"
        with open(os.path.join(a.outdir, name), "w", encoding="utf-8") as f:
            f.write(text)
    units.append({"id": u["id"], "name": u.get("name"), "systems": systems})
if a.expect:
    with open(a.expect, "w", encoding="utf-8") as f:
        json.dump({"city": inv.get("city", {}), "units": units}, f, ensure_ascii=False)
