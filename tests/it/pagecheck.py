#!/usr/bin/python3
"""The supervisor's status page as Chromium rendered it (its DOM after the script ran)
against what should be on it (tests/it/0540, 0550).

    pagecheck.py PAGE.dom.html EXPECT.json

EXPECT: {"units": [{"id", "name", "systems": [{"id", "name", "state"}]}]}. Prints "units N
rows M", the summary tiles (tile-systems, tile-unbuilt, tile-none, tile-running), "cells ID
a|b|..." per system row, "problem ..." for each difference and "problems N".
"""
import json
import sys
from html.parser import HTMLParser

class Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.units, self.rows, self.stack, self.cur_unit, self.cur_row = {}, [], [], None, None
        self.grab = None
        self.tiles, self.tile = [], None
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        cls = (a.get("class") or "").split()
        if tag == "section" and "unit" in cls:
            self.cur_unit = a.get("data-unit")
            self.units[self.cur_unit] = {"name": "", "rows": []}
        elif tag == "tr" and "sys" in cls:
            self.cur_row = {"id": a.get("data-id"), "unit": a.get("data-unit"),
                            "state": a.get("data-state"), "card": self.cur_unit, "name": ""}
            self.rows.append(self.cur_row)
        elif tag == "span" and "uname" in cls:
            self.grab = ("unit", self.cur_unit)
        elif tag == "span" and "sname" in cls:
            self.grab = ("row", self.cur_row)
        elif tag == "div" and "tile" in cls:
            self.tile = {"n": "", "l": ""}
            self.tiles.append(self.tile)
        elif tag == "div" and self.tile is not None and cls in (["n"], ["l"]):
            self.grab = ("tile", cls[0])
        if tag == "td" and self.cur_row is not None:
            self.cur_row.setdefault("cells", []).append("")
            self.in_td = True
    def handle_endtag(self, tag):
        if tag == "td":
            self.in_td = False
        if tag == "span" or tag == "div":
            self.grab = None
        if tag == "tr":
            self.cur_row = None
    def handle_data(self, data):
        if getattr(self, "in_td", False) and self.cur_row is not None:
            self.cur_row["cells"][-1] += data
        if not self.grab:
            return
        kind, ref = self.grab
        if kind == "unit":
            self.units[ref]["name"] += data
        elif kind == "row" and ref is not None:
            ref["name"] += data
        elif kind == "tile":
            self.tile[ref] += data

p = Page()
p.feed(open(sys.argv[1], encoding="utf-8").read())
e = json.load(open(sys.argv[2], encoding="utf-8"))
problems = []
want = {s["id"]: (u, s) for u in e["units"] for s in u["systems"]}
rows = {}
for r in p.rows:
    if r["id"] in rows:
        problems.append(f"{r['id']} listed twice")
    rows[r["id"]] = r
for u in e["units"]:
    got = p.units.get(u["id"])
    if not got:
        problems.append(f"unit {u['id']} ({u['name']}) has no card")
    elif got["name"].strip() != (u["name"] or u["id"]):
        problems.append(f"unit {u['id']}: card says '{got['name']}', inventory '{u['name']}'")
for cid, (u, s) in want.items():
    r = rows.get(cid)
    if not r:
        problems.append(f"system {cid} ({s['name']}) is not on the page")
        continue
    if r["card"] != u["id"] or r["unit"] != u["id"]:
        problems.append(f"system {cid} is in card {r['card']}, not its unit {u['id']}")
    if r["name"].strip() != (s["name"] or cid):
        problems.append(f"system {cid}: page says '{r['name']}', inventory '{s['name']}'")
    if r["state"] != s["state"]:
        problems.append(f"system {cid}: state {r['state']}, expected {s['state']}")
extra = set(rows) - set(want)
if extra:
    problems.append(f"systems not in the inventory on the page: {sorted(extra)}")
tiles = {t["l"].strip(): t["n"].strip() for t in p.tiles}
print("units", len(p.units), "rows", len(p.rows))
print("tile-systems", tiles.get("系统"))
print("tile-unbuilt", tiles.get("类型未编入"))
print("tile-none", tiles.get("未配置"))
print("tile-running", tiles.get("运行中"))
for r in p.rows:
    print("cells", r["id"], "|".join(c.strip() for c in r.get("cells", [])))
for x in problems[:20]:
    print("problem", x)
print("problems", len(problems))
