#!/usr/bin/python3
"""A paginated JSON API with faults, for the http connector's tests (Debian's Python only).

  httpserver.py --port-file F [--records N] [--same K] [--bad B] [--mode page|offset|token|link]
                [--faults SPEC] [--auth none|bearer:TOKEN|basic:USER:PASS|sign:ALG:KEY:SECRET]
                [--tls-cert C --tls-key K [--client-ca CA]] [--live] [--log F]
                [--dataset seq|govservice [--region 411681]]

Records: {"seq": i, "k": "K<i % 97>", "v": "...", "update_time": "YYYY-MM-DD HH:MM:SS"},
K records per second starting two hours ago (so many records share one timestamp), in
(update_time, seq) order; B more records with a seq that is not a number (dead letters), spread
through the data. With --live a thread appends a record every 20 ms with the current time and
every 25th one with a time 2 s in the past (a late commit), until POST /_control {"live": false}.

GET /api/items answers {"code": 0, "msg": "success", "data": {"total": T, "list": [...]}} with the
records whose update_time >= since (query `since`, "" for all), paged by:
  page    page=P (1-based) & size=S
  offset  offset=O & limit=L
  token   size=S & token=... (opaque; the next one is data.next, absent on the last page)
  link    size=S & after=O, the next page in a `Link: <...>; rel="next"` header
POST /api/query takes {"since": ..., "pageNo": P, "pageSize": S} instead (page mode).
--dataset govservice serves applications (办件) of the online services platform instead, at
POST /api/v1/apply/list {"updateTimeStart": ..., "pageNo": P, "pageSize": S}, answering
{"code": "00000", "msg": "操作成功", "data": {"total": T, "records": [...]}}, cursor updateTime;
with --region it wants the header X-Region-Code: REGION.

Faults, SPEC = comma-separated KIND%M (every M-th API request) or KIND@N (the N-th only):
  500, 503 (with Retry-After: 1), 429 (with Retry-After: 1), stall (answer after 3 s),
  truncate (Content-Length of the whole body, half of it sent, connection closed),
  cut (a body cut in the middle, with a matching Content-Length), html (200 text/html),
  envelope (200 {"code": 500, "msg": "系统繁忙"}), repeat (the previous response again),
  backwards (the first page of all records, whatever was asked).
Auth: bearer checks `Authorization: Bearer TOKEN`; basic checks user and password; sign checks
the gateway signature of connectors/http/README.md (ALG hmac-sha256 or hmac-sm3), rejecting
a reused nonce or a timestamp more than 5 minutes away.

GET /_stats: {"requests": N, "faults": {KIND: n}, "auth_failed": n, "signed_ok": n};
GET /_dump: every record as JSON Lines (for the expected set).
"""
import argparse
import base64
import datetime
import hashlib
import hmac
import http.server
import json
import os
import socket
import ssl
import sys
import threading
import time
import urllib.parse

TZ = datetime.timezone(datetime.timedelta(hours=8))


class Data:
    def __init__(self, n, same, bad, dataset="seq"):
        self.lock = threading.Lock()
        self.tf = "updateTime" if dataset == "govservice" else "update_time"
        start = datetime.datetime.now(TZ).replace(microsecond=0) - datetime.timedelta(hours=2)
        make = application if dataset == "govservice" else rec
        self.recs = [make(i + 1, start + datetime.timedelta(seconds=i // same)) for i in range(n)]
        for j in range(bad):
            at = (2 * j + 1) * n // (2 * bad)
            self.recs.append({"seq": f"第{j + 1}号", "k": "BAD", "v": "序号不是数字",
                              "update_time": self.recs[at]["update_time"], "_bad": True})
        self.next_seq = n + 1
        self.sort()

    def sort(self):
        tf = self.tf
        self.recs.sort(key=lambda r: (r[tf], 1 if r.get("_bad") else 0,
                                      r.get("seq") if isinstance(r.get("seq"), int) else 0,
                                      str(r.get("seq", r.get("applyNo")))))

    def since(self, s):
        with self.lock:
            return [r for r in self.recs if r[self.tf] >= s] if s else list(self.recs)


def fmt(ts):
    return ts.strftime("%Y-%m-%d %H:%M:%S")


TOWNS = ["千佛阁街道", "莲花街道", "花园街道", "东方街道", "水寨街道", "光武街道", "付集镇",
         "秣陵镇", "王明口镇", "贾岭镇", "高寺镇", "新桥镇", "丁集镇", "官会镇"]


def rec(seq, ts):
    return {"seq": seq, "k": f"K{seq % 97:03d}",
            "v": f"项城市{TOWNS[seq % len(TOWNS)]}政务服务办件第{seq}号 \"一件事\"联办",
            "update_time": fmt(ts)}


ITEMS = [("11411681MB1937225H400011700100001", "新生儿出生一件事（出生医学证明、户口登记、医保参保）",
          "PUBLIC_SERVICE", "PERSON"),
         ("11411681MB1937225H400011700200002", "企业开办一件事（设立登记、公章刻制、税务登记）",
          "LICENSING", "ENTITY"),
         ("11411681MB1937225H400011700300003", "个体工商户设立登记", "LICENSING", "PERSON"),
         ("11411681MB1937225H400011700400004", "城乡居民养老保险待遇申领", "PAYMENT", "PERSON")]
NAMES = ["王秀英", "李建国", "张桂兰", "刘德明", "陈志强", "杨丽娟", "赵国庆", "黄淑芬"]
APPS = ["豫事办", "周办", "快办"]


def id_no(i):
    body = "411681%04d%02d%02d%03d" % (1950 + i % 60, 1 + i % 12, 1 + i % 28, i % 1000)
    w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body + "10X98765432"[sum(int(c) * k for c, k in zip(body, w)) % 11]


def application(i, ts):
    code, name, kind, who = ITEMS[i % len(ITEMS)]
    online = i % 3 != 0
    return {"applyNo": "411681%s%06d" % (ts.strftime("%Y%m%d"), i), "itemCode": code,
            "itemName": name, "itemType": kind, "applicantType": who,
            "applicantName": NAMES[i % len(NAMES)] if who == "PERSON" else "项城市莲花街道某商贸有限公司",
            "applicantIdNo": id_no(i) if who == "PERSON" else None,
            "applicantUscc": "91411681MA9G3K2X1P" if who == "ENTITY" else None,
            "contactPhone": "13%d%08d" % (5 + i % 5, i), "channel": "ONLINE" if online else "WINDOW",
            "sourceApp": APPS[i % 3] if online else None,
            "oneThing": {"name": name} if "一件事" in name else None,
            "acceptOrgName": TOWNS[i % len(TOWNS)] + "便民服务中心" if i % 4 else "项城市政务服务中心",
            "applyTime": fmt(ts - datetime.timedelta(days=2)), "acceptTime": fmt(ts),
            "promiseDays": 5 + i % 10, "status": "ACCEPTED", "finishTime": None, "fee": "0.00",
            "evaluation": {"score": 1 + i % 5}, "updateTime": fmt(ts)}


class State:
    def __init__(self, a):
        self.a = a
        self.data = Data(a.records, a.same, a.bad, a.dataset)
        self.n = 0
        self.lock = threading.Lock()
        self.faults = {}
        self.fired = {}
        for item in filter(None, a.faults.split(",")):
            if "%" in item:
                k, m = item.split("%")
                self.faults.setdefault(k, []).append(("every", int(m)))
            else:
                k, m = item.split("@")
                self.faults.setdefault(k, []).append(("at", int(m)))
        self.prev = None
        self.auth_failed = 0
        self.signed_ok = 0
        self.nonces = set()
        self.live = a.live
        self.live_thread = None

    def fault(self):
        with self.lock:
            self.n += 1
            n = self.n
            for k, rules in self.faults.items():
                for how, m in rules:
                    if (how == "every" and n % m == 0) or (how == "at" and n == m):
                        self.fired[k] = self.fired.get(k, 0) + 1
                        return k
        return None


def live_loop(st):
    i = 0
    while st.live:
        time.sleep(0.02)
        i += 1
        now = datetime.datetime.now(TZ).replace(microsecond=0)
        ts = now - datetime.timedelta(seconds=2) if i % 25 == 0 else now
        with st.data.lock:
            st.data.recs.append(rec(st.data.next_seq, ts))
            st.data.next_seq += 1
            st.data.sort()


def canonical(method, raw_path, body, key, ts, nonce, alg):
    u = urllib.parse.urlsplit(raw_path)
    params = [p for p in u.query.split("&") if p] if u.query else []

    def split(p):
        name, eq, val = p.partition("=")
        return (name.encode(), val.encode())
    params.sort(key=split)
    q = "&".join(p if "=" in p else p + "=" for p in params)
    dig = (hashlib.new("sm3", body) if alg == "hmac-sm3" else hashlib.sha256(body)).hexdigest()
    return "\n".join([method, u.path or "/", q, key, ts, nonce, dig]).encode()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt_, *args):
        if self.server.st.a.log:
            with open(self.server.st.a.log, "a") as f:
                f.write("%.6f %s %s\n" % (time.monotonic(), self.address_string(), fmt_ % args))

    def send_json(self, code, obj, ctype="application/json; charset=utf-8", extra=None):
        body = json.dumps(obj, ensure_ascii=False).encode()
        self.send_body(code, body, ctype, extra)

    def send_body(self, code, body, ctype, extra=None):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def check_auth(self, body):
        st = self.server.st
        a = st.a.auth
        if a == "none":
            return True
        kind, _, rest = a.partition(":")
        h = self.headers
        ok = False
        if kind == "bearer":
            ok = h.get("Authorization") == "Bearer " + rest
        elif kind == "basic":
            ok = h.get("Authorization") == "Basic " + base64.b64encode(rest.encode()).decode()
        elif kind == "sign":
            alg, key, secret = rest.split(":", 2)
            ts, nonce, sig = h.get("X-Timestamp", ""), h.get("X-Nonce", ""), h.get("X-Signature", "")
            want_m = "HMAC-SM3" if alg == "hmac-sm3" else "HMAC-SHA256"
            if (h.get("X-App-Key") == key and h.get("X-Signature-Method") == want_m and
                    ts.isdigit() and abs(int(ts) / 1000 - time.time()) < 300 and
                    len(nonce) == 32 and nonce not in st.nonces):
                c = canonical(self.command, self.path, body, key, ts, nonce, alg)
                mac = hmac.new(secret.encode(), c, "sm3" if alg == "hmac-sm3" else "sha256")
                if hmac.compare_digest(base64.b64encode(mac.digest()).decode(), sig):
                    ok = True
                    with st.lock:
                        st.nonces.add(nonce)
                        st.signed_ok += 1
        if not ok:
            with st.lock:
                st.auth_failed += 1
            self.send_json(401, {"code": 401, "msg": "unauthorized"})
        return ok

    def do_GET(self):
        self.handle_api(b"")

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n) if n else b""
        if self.path.startswith("/_control"):
            c = json.loads(body or b"{}")
            if "live" in c:
                st = self.server.st
                st.live = bool(c["live"])
                if not st.live and st.live_thread:
                    st.live_thread.join()  # the last record is in before the answer
            self.send_json(200, {"ok": True})
            return
        self.handle_api(body)

    def handle_api(self, body):
        st = self.server.st
        u = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(u.query, keep_blank_values=True))
        if u.path == "/_stats":
            with st.lock:
                self.send_json(200, {"requests": st.n, "faults": st.fired,
                                     "auth_failed": st.auth_failed, "signed_ok": st.signed_ok})
            return
        if u.path == "/_dump":
            lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in st.data.since(""))
            self.send_body(200, lines.encode(), "application/x-ndjson")
            return
        if u.path not in ("/api/items", "/api/query", "/api/v1/apply/list"):
            self.send_json(404, {"code": 404, "msg": "no such path"})
            return
        if not self.check_auth(body):
            return
        if u.path in ("/api/query", "/api/v1/apply/list"):
            b = json.loads(body or b"{}")
            q = {"since": b.get("since", b.get("updateTimeStart", "")),
                 "page": str(b.get("pageNo", 1)), "size": str(b.get("pageSize", 100))}
        f = st.fault()
        if f == "500":
            self.send_json(500, {"code": 500, "msg": "internal error"})
            return
        if f in ("503", "429"):
            self.send_json(int(f), {"code": int(f), "msg": "busy"}, extra={"Retry-After": "1"})
            return
        if f == "html":
            self.send_body(200, "<html><body>网关维护中</body></html>".encode(), "text/html; charset=utf-8")
            return
        if f == "envelope":
            self.send_json(200, {"code": 500, "msg": "系统繁忙，请稍后再试"})
            return
        if f == "stall":
            time.sleep(3)
        if f == "repeat" and st.prev:
            self.send_body(200, st.prev[0], "application/json", st.prev[1])
            return
        recs = st.data.since(q.get("since", ""))
        if f == "backwards":
            recs = st.data.since("")
        mode = st.a.mode if u.path == "/api/items" else "page"
        if st.a.dataset == "govservice" and st.a.region and \
                self.headers.get("X-Region-Code") != st.a.region:
            self.send_json(400, {"code": "A0400", "msg": "缺少区划代码"})
            return
        extra = {}
        total = len(recs)
        if mode == "page":
            size = int(q.get("size", "100"))
            page = int(q.get("page", "1"))
            start = (page - 1) * size
        elif mode == "offset":
            size = int(q.get("limit", "100"))
            start = int(q.get("offset", "0"))
        elif mode == "token":
            size = int(q.get("size", "100"))
            start = int(base64.urlsafe_b64decode(q["token"]).decode()) if q.get("token") else 0
        else:
            size = int(q.get("size", "100"))
            start = int(q.get("after", "0"))
        if f == "backwards":
            start = 0
        page_recs = [{k: v for k, v in r.items() if not k.startswith("_")}
                     for r in recs[start:start + size]]
        data = {"total": total, "list": page_recs}
        if mode == "token" and start + size < total:
            data["next"] = base64.urlsafe_b64encode(str(start + size).encode()).decode()
        if mode == "link" and start + size < total:
            nq = dict(q)
            nq["after"] = str(start + size)
            # a relative reference, as many servers write it
            extra["Link"] = '<%s?%s>; rel="next", <%s?size=%d>; rel="first"' % (
                u.path, urllib.parse.urlencode(nq), u.path, size)
        if st.a.dataset == "govservice":
            data = {"total": total, "records": data["list"]}
            env = {"code": "00000", "msg": "操作成功", "data": data}
        else:
            env = {"code": 0, "msg": "success", "data": data}
        body_out = json.dumps(env, ensure_ascii=False).encode()
        st.prev = (body_out, extra)
        if f == "truncate":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body_out)))
            self.end_headers()
            self.wfile.write(body_out[:len(body_out) // 2])
            self.wfile.flush()
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        if f == "cut":
            body_out = body_out[:len(body_out) * 2 // 3]
        self.send_body(200, body_out, "application/json; charset=utf-8", extra)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--records", type=int, default=1000)
    ap.add_argument("--same", type=int, default=5)
    ap.add_argument("--bad", type=int, default=0)
    ap.add_argument("--mode", default="page", choices=["page", "offset", "token", "link"])
    ap.add_argument("--faults", default="")
    ap.add_argument("--auth", default="none")
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--client-ca")
    ap.add_argument("--live", action="store_true")
    ap.add_argument("--log")
    ap.add_argument("--dataset", default="seq", choices=["seq", "govservice"])
    ap.add_argument("--region", default="")
    a = ap.parse_args()
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    srv.daemon_threads = True
    srv.st = State(a)
    if a.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.tls_cert, a.tls_key)
        if a.client_ca:
            ctx.load_verify_locations(a.client_ca)
            ctx.verify_mode = ssl.CERT_REQUIRED
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    if a.live:
        srv.st.live_thread = threading.Thread(target=live_loop, args=(srv.st,), daemon=True)
        srv.st.live_thread.start()
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(tmp, a.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
