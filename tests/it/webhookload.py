#!/usr/bin/python3
"""Load generator for the webhook connector's tests: clients that retry like a careful sender.

  webhookload.py --url-file F --token T [--clients 16] [--records 10000] [--per-request 50]
                 [--format json|jsonl] [--cafile CA --cert C --key K] [--out summary.json]
                 [--progress F] [--deadline-s 600]

Client c sends records seq = c*records+1 .. (c+1)*records (keys "C<c>-K<seq % 10>", so each key's
records keep their order) in requests of --per-request records, one request at a time, each
with its own Idempotency-Key. A request is retried with the same key and body, with backoff,
after a connection error, a timeout, a 5xx or a 503 (honouring Retry-After, at most 2 s),
until it gets a 200 or a 4xx; the URL is read from --url-file again before every attempt.

The summary (stdout and --out): requests, answered 200 committed / 200 duplicate / 422 / other
4xx, attempts, connection errors, 503s, and the seq numbers of requests that ended in a 4xx.
Exit status 0 when every request ended in a 200 (or a 422 with --allow-422).
"""
import argparse
import http.client
import json
import os
import ssl
import sys
import threading
import time
import urllib.parse
import uuid


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url-file", required=True)
    ap.add_argument("--token", default="")
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--records", type=int, default=10000)
    ap.add_argument("--per-request", type=int, default=50)
    ap.add_argument("--format", default="json", choices=["json", "jsonl"])
    ap.add_argument("--cafile")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--out")
    ap.add_argument("--progress")
    ap.add_argument("--timeout", type=float, default=10)
    ap.add_argument("--deadline-s", type=float, default=600)
    ap.add_argument("--allow-422", action="store_true")
    a = ap.parse_args()

    lock = threading.Lock()
    tot = {"requests": 0, "committed": 0, "duplicate": 0, "partial": 0, "refused": 0,
           "attempts": 0, "conn_errors": 0, "unavailable": 0, "other_5xx": 0, "refused_seq": []}
    done = [0]
    stop_at = time.time() + a.deadline_s
    ctx = None
    if a.cafile:
        ctx = ssl.create_default_context(cafile=a.cafile)
        if a.cert:
            ctx.load_cert_chain(a.cert, a.key)

    def url():
        with open(a.url_file) as f:
            return urllib.parse.urlsplit(f.read().strip())

    def client(c):
        conn = None
        hostport = None
        first = c * a.records + 1
        for start in range(first, first + a.records, a.per_request):
            recs = [{"seq": s, "k": f"C{c:02d}-K{s % 10}", "v": f"项城市 第{s}条 莲花街道"}
                    for s in range(start, min(start + a.per_request, first + a.records))]
            if a.format == "json":
                body = json.dumps(recs, ensure_ascii=False).encode()
                ctype = "application/json"
            else:
                body = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs).encode()
                ctype = "application/x-ndjson"
            key = str(uuid.uuid4())
            backoff = 0.05
            while True:
                if time.time() > stop_at:
                    print("webhookload: deadline passed", file=sys.stderr)
                    os._exit(2)
                try:
                    u = url()
                    if conn is None or hostport != u.netloc:
                        if conn:
                            conn.close()
                        hostport = u.netloc
                        if u.scheme == "https":
                            conn = http.client.HTTPSConnection(u.hostname, u.port,
                                                               timeout=a.timeout, context=ctx)
                        else:
                            conn = http.client.HTTPConnection(u.hostname, u.port,
                                                              timeout=a.timeout)
                    with lock:
                        tot["attempts"] += 1
                    hdr = {"Content-Type": ctype, "Idempotency-Key": key}
                    if a.token:
                        hdr["Authorization"] = "Bearer " + a.token
                    conn.request("POST", u.path, body=body, headers=hdr)
                    resp = conn.getresponse()
                    data = resp.read()
                    st = resp.status
                    if resp.getheader("Connection", "").lower() == "close":
                        conn.close()
                        conn = None
                except (OSError, http.client.HTTPException):
                    with lock:
                        tot["conn_errors"] += 1
                    if conn:
                        conn.close()
                    conn = None
                    time.sleep(backoff)
                    backoff = min(backoff * 2, 1.0)
                    continue
                if st == 200 or st == 422 or (400 <= st < 500 and st != 429):
                    ans = json.loads(data or b"{}")
                    with lock:
                        tot["requests"] += 1
                        if st == 200 and ans.get("status") == "duplicate":
                            tot["duplicate"] += 1
                        elif st == 200:
                            tot["committed"] += 1
                        elif st == 422:
                            tot["partial"] += 1
                        else:
                            tot["refused"] += 1
                            tot["refused_seq"].append(start)
                    break
                with lock:
                    if st == 503:
                        tot["unavailable"] += 1
                    else:
                        tot["other_5xx"] += 1
                ra = resp.getheader("Retry-After")
                time.sleep(min(float(ra), 2.0) if ra and ra.isdigit() else backoff)
                backoff = min(backoff * 2, 1.0)
            with lock:
                done[0] += len(recs)
                n = done[0]
                # under the lock: two senders renaming the same temporary file race
                if a.progress and n % (a.per_request * 20) < a.per_request:
                    with open(a.progress + ".tmp", "w") as f:
                        f.write(str(n))
                    os.replace(a.progress + ".tmp", a.progress)
        if conn:
            conn.close()

    crashed = []

    def guarded(c):
        try:
            client(c)
        except Exception as e:  # a sender that dies must fail the run, not shorten it
            with lock:
                crashed.append("sender %d: %r" % (c, e))
            raise

    ts = [threading.Thread(target=guarded, args=(c,)) for c in range(a.clients)]
    t0 = time.time()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    tot["seconds"] = round(time.time() - t0, 2)
    tot["refused_seq"] = tot["refused_seq"][:20]
    if crashed:
        tot["crashed"] = crashed
    if a.progress:
        with open(a.progress, "w") as f:
            f.write(str(done[0]))
    out = json.dumps(tot)
    print(out)
    if a.out:
        with open(a.out, "w") as f:
            f.write(out + "\n")
    bad = crashed or tot["refused"] or (tot["partial"] and not a.allow_422)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
