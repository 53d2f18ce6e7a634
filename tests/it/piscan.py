#!/usr/bin/python3
"""Scan text for personal data in clear: valid 18-digit resident IDs (GB 11643 check
character) and mainland mobile numbers, not part of a longer digit run. Envelopes
(tok:v1:..., enc:v1:...) are skipped: their hex/base64 can look like digits by chance.

  piscan.py FILE...          exit 1 and print where, if anything is found
Lines that are JSON are scanned value by value; other lines as text.
"""
import json
import re
import sys

W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
C = "10X98765432"
ID = re.compile(r"(?<![0-9])([1-9][0-9]{16}[0-9Xx])(?![0-9])")
PHONE = re.compile(r"(?<![0-9])(?:\+?86[- ]?)?(1[3-9][0-9](?:[- ]?[0-9]{4}){2})(?![0-9])")
FULLWIDTH = str.maketrans("０１２３４５６７８９ＸＸ", "0123456789XX")


def id_ok(s):
    s = s.upper()
    return C[sum(int(a) * w for a, w in zip(s[:17], W)) % 11] == s[17]


HEXBLOB = re.compile(r"[0-9a-fA-F]{32,}|[A-Za-z0-9+/=_-]{40,}")


def scan_text(t):
    # hashes, digests and base64 blobs can hold an 11-digit run by chance
    t = HEXBLOB.sub(" ", t.translate(FULLWIDTH))
    hits = []
    for m in ID.finditer(t):
        if id_ok(m.group(1)):
            hits.append("resident ID")
    for m in PHONE.finditer(t):
        hits.append("mobile number")
    return hits


def strings(v):
    if isinstance(v, str):
        yield v
    elif isinstance(v, dict):
        for x in v.values():
            yield from strings(x)
    elif isinstance(v, list):
        for x in v:
            yield from strings(x)


found = 0
for path in sys.argv[1:]:
    with open(path, encoding="utf-8", errors="replace") as f:
        for n, line in enumerate(f, 1):
            texts = [line]
            if line.startswith("{") or line.startswith('"'):
                try:
                    texts = list(strings(json.loads(line)))
                except ValueError:
                    pass
            for t in texts:
                if t.startswith(("tok:v1:", "enc:v1:")):
                    continue
                for what in scan_text(t):
                    found += 1
                    if found <= 10:
                        print(f"{path}:{n}: {what} in clear")
print(f"scanned {len(sys.argv) - 1} files: {found} personal-data values in clear")
sys.exit(1 if found else 0)
