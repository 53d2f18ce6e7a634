#!/usr/bin/python3
"""Reference verifier for gdx audit logs, written from docs/audit.md alone.

    audit-verify.py [--trust FILE] PATH...

An independent re-implementation for third parties: SM3 from Python's hashlib (OpenSSL),
SM2 signatures checked with the `openssl pkeyutl` command line. Prints OK or the first
broken place (exit 1). It checks what `gdx audit verify` checks, minus external checkpoints.
"""
import base64
import gzip
import hashlib
import os
import re
import subprocess
import sys
import tempfile

NAME = re.compile(r'^([A-Za-z0-9._]{1,128})-(\d{8})(?:\.([1-9]\d*))?\.jsonl(\.gz)?$')
SUFFIX = re.compile(rb',"hash":"([0-9a-f]{64})"\}$')
ZERO = '0' * 64


def sm3(data):
    return hashlib.new('sm3', data).hexdigest()


def files_of(paths):
    out = []
    for p in paths:
        if os.path.isdir(p):
            out += [os.path.join(p, n) for n in os.listdir(p) if NAME.match(n)]
        else:
            out.append(p)
    def key(p):
        m = NAME.match(os.path.basename(p))
        if not m:
            sys.exit('not an audit file name: %s' % p)
        return (m.group(1), m.group(2), int(m.group(3) or 0))
    return sorted(out, key=key), key


def load_trust(path):
    keys = {}
    base = os.path.dirname(path)
    for line in open(path, encoding='utf-8'):
        line = line.strip()
        if line and not line.startswith('#'):
            kid, pem = line.split()[:2]
            keys[kid] = os.path.join(base, pem)
    return keys


def sig_ok(pem, msg, sig):
    with tempfile.TemporaryDirectory() as d:
        m, s = os.path.join(d, 'm'), os.path.join(d, 's')
        open(m, 'wb').write(msg)
        open(s, 'wb').write(sig)
        r = subprocess.run(['openssl', 'pkeyutl', '-verify', '-rawin', '-digest', 'sm3',
                            '-pubin', '-inkey', pem, '-pkeyopt', 'distid:1234567812345678',
                            '-in', m, '-sigfile', s], capture_output=True)
        return r.returncode == 0


def main(argv):
    import json
    trust = None
    if len(argv) > 2 and argv[1] == '--trust':
        trust = load_trust(argv[2])
        argv = argv[2:]
    files, key = files_of(argv[1:])
    lines = cps = 0
    state = {}  # actor -> (seq, hash, file name, torn (len, sm3))
    for path in files:
        base = os.path.basename(path)
        actor = key(path)[0]
        data = gzip.open(path).read() if path.endswith('.gz') else open(path, 'rb').read()
        if not data:
            continue
        parts = data.split(b'\n')
        torn = parts.pop()  # bytes after the last newline (b'' if none)
        prev_state = state.get(actor)
        for no, line in enumerate(parts, 1):
            where = '%s:%d' % (base, no)
            m = SUFFIX.search(line)
            if not m:
                return 'FAIL: %s: no hash member' % where
            body = line[:m.start()] + b'}'
            if sm3(body) != m.group(1).decode():
                return 'FAIL: %s: hash mismatch' % where
            ev = json.loads(line)
            if ev['actor'] != actor:
                return 'FAIL: %s: wrong actor' % where
            if no == 1:
                if ev['type'] not in ('file_open', 'recovered_tail'):
                    return 'FAIL: %s: file does not start with file_open' % where
                if prev_state:
                    if ev.get('previous') != prev_state[2]:
                        return 'FAIL: %s: predecessor %s missing' % (where, ev.get('previous'))
                    if ev.get('previous_last_seq') != prev_state[0]:
                        return 'FAIL: %s: predecessor truncated' % where
                    t = prev_state[3]
                    if ev['type'] == 'recovered_tail':
                        if (ev.get('torn_bytes'), ev.get('torn_sm3')) != t:
                            return 'FAIL: %s: torn tail does not match' % where
                    elif t[0]:
                        return 'FAIL: %s: predecessor has unrecorded trailing bytes' % where
            if prev_state or ev['seq'] == 1:
                want_seq = prev_state[0] + 1 if prev_state else 1
                want_prev = prev_state[1] if prev_state else ZERO
                if ev['seq'] != want_seq:
                    return 'FAIL: %s: seq %d, expected %d' % (where, ev['seq'], want_seq)
                if ev['prev'] != want_prev:
                    return 'FAIL: %s: prev does not link' % where
            if ev['type'] == 'checkpoint':
                if ev['chain'] != ev['prev'] or ev['covers'][1] != ev['seq'] - 1:
                    return 'FAIL: %s: checkpoint does not seal the line before it' % where
                i = line.rindex(b',"sig":"')
                if trust is not None:
                    pem = trust.get(ev['key_id'])
                    if not pem:
                        return 'FAIL: %s: key %s not trusted' % (where, ev['key_id'])
                    if not sig_ok(pem, line[:i] + b'}', base64.b64decode(ev['sig'])):
                        return 'FAIL: %s: bad checkpoint signature' % where
                cps += 1
            lines += 1
            prev_state = (ev['seq'], m.group(1).decode(), None, (0, None))
        name = base[:-3] if base.endswith('.gz') else base
        tinfo = (len(torn), sm3(torn)) if torn else (0, None)
        if prev_state:
            state[actor] = (prev_state[0], prev_state[1], name, tinfo)
    return 'OK: %d lines, %d checkpoints, %d files' % (lines, cps, len(files))


if __name__ == '__main__':
    res = main(sys.argv)
    print(res)
    sys.exit(0 if res.startswith('OK') else 1)
