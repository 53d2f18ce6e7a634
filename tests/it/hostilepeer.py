#!/usr/bin/python3
"""Hostile HTTP peers for the hardening tests (Debian's Python only).

  hostilepeer.py --port-file F [--log L]

One plain TCP server; what it does depends on the request's path:
  /headers      200, then header lines without end (never the empty line)
  /links        200, then Link headers without end
  /trickle      200 with JSON headers, then one byte of body every 100 ms, for ever
  /endless      200 with a chunked JSON body that never ends, as fast as it is read
  /gzip         200 Content-Encoding: gzip, 256 KiB that inflate to 256 MiB of spaces
  /deflate      the same with Content-Encoding: deflate (zlib)
  /redirect     302 to itself
  /silent       reads the request and answers nothing, holding the connection
  /gauntlet     each of the above in turn, one per request (headers, links, trickle, endless,
                gzip, deflate, redirect, silent), then a good page for ever after:
                {"code": 0, "data": {"list": [{"seq": 1, "k": "K1", "v": "..."}, ...]}} (20 records)
With --log every request's path is appended to L, one line each, when it is read.
Any connection that starts with a TLS ClientHello (byte 0x16) is held without an answer:
a TLS server stalled in the middle of its handshake.

  hostilepeer.py --clients HOST:PORT N --out F
  opens N connections to HOST:PORT and sends nothing on them (writes "open N" to F once
  they are all open, then holds them until killed).
"""
import argparse
import os
import socket
import socketserver
import sys
import threading
import time
import zlib

BOMB = 256 << 20  # bytes a bomb inflates to


def bomb(wbits):
    z = zlib.compressobj(9, zlib.DEFLATED, wbits)
    chunk = b" " * (1 << 20)
    out = [z.compress(b"[")]
    for _ in range(BOMB >> 20):
        out.append(z.compress(chunk))
    out.append(z.compress(b"]") + z.flush())
    return b"".join(out)


BOMBS = {}
GAUNTLET = ["headers", "links", "trickle", "endless", "gzip", "deflate", "redirect", "silent"]
GOOD = 20
STATE = {"gauntlet": 0, "log": None}
LOCK = threading.Lock()


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        s = self.request
        s.settimeout(120)
        try:
            first = s.recv(1, socket.MSG_PEEK)
            if first == b"\x16":
                # a TLS ClientHello: read it and stall in the middle of the handshake
                s.recv(65536)
                time.sleep(120)
                return
            data = b""
            while b"\r\n\r\n" not in data:
                more = s.recv(65536)
                if not more:
                    return
                data += more
            path = data.split(b" ", 2)[1].decode().split("?")[0]
            if STATE["log"]:
                with LOCK, open(STATE["log"], "a") as f:
                    f.write(path + "\n")
            getattr(self, "do_" + path.strip("/"), self.do_other)(s)
        except OSError:
            pass

    def do_headers(self, s):
        s.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
        i = 0
        while True:
            s.sendall(b"X-Pad-%d: %s\r\n" % (i, b"x" * 1000))
            i += 1

    def do_links(self, s):
        s.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
        i = 0
        while True:
            s.sendall(b'Link: </links?page=%d>; rel="prev"\r\n' % i)
            i += 1

    def do_trickle(self, s):
        s.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 100000000\r\n\r\n[")
        while True:
            time.sleep(0.1)
            s.sendall(b" ")

    def do_endless(self, s):
        s.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                  b"Transfer-Encoding: chunked\r\n\r\n")
        piece = '{"seq":1,"k":"K1","v":"项城市莲花街道"},'.encode() * 2000
        chunk = b"%x\r\n%s\r\n" % (len(piece), piece)
        s.sendall(b"1\r\n[\r\n")
        while True:
            s.sendall(chunk)

    def _bomb(self, s, name, wbits):
        if name not in BOMBS:
            BOMBS[name] = bomb(wbits)
        body = BOMBS[name]
        s.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                  b"Content-Encoding: %s\r\nContent-Length: %d\r\n\r\n" % (name.encode(), len(body)))
        s.sendall(body)
        time.sleep(5)

    def do_gzip(self, s):
        self._bomb(s, "gzip", 31)

    def do_deflate(self, s):
        self._bomb(s, "deflate", 15)

    def do_redirect(self, s):
        s.sendall(b"HTTP/1.1 302 Found\r\nLocation: /redirect\r\nContent-Length: 0\r\n\r\n")

    def do_silent(self, s):
        time.sleep(120)

    def do_gauntlet(self, s):
        with LOCK:
            n = STATE["gauntlet"]
            STATE["gauntlet"] += 1
        if n < len(GAUNTLET):
            getattr(self, "do_" + GAUNTLET[n])(s)
            return
        towns = ["千佛阁街道", "莲花街道", "花园街道", "东方街道", "水寨街道", "付集镇", "秣陵镇"]
        recs = ['{"seq":%d,"k":"K%d","v":"项城市%s 第%d号"}' % (i, i, towns[i % len(towns)], i)
                for i in range(1, GOOD + 1)]
        body = ('{"code":0,"msg":"success","data":{"list":[' + ",".join(recs) + ']}}').encode()
        s.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                  b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body))

    def do_other(self, s):
        s.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def clients(target, n, out):
    host, port = target.rsplit(":", 1)
    held = []
    for _ in range(n):
        c = socket.create_connection((host, int(port)), timeout=10)
        held.append(c)
    with open(out, "w") as f:
        f.write("open %d\n" % len(held))
    # hold them: report how many the server has closed so far
    while True:
        time.sleep(0.2)
        closed = 0
        for c in held:
            try:
                c.setblocking(False)
                if c.recv(1, socket.MSG_PEEK) == b"":
                    closed += 1
            except BlockingIOError:
                pass
            except OSError:
                closed += 1
        with open(out + ".tmp", "w") as f:
            f.write("open %d closed %d\n" % (len(held), closed))
        os.replace(out + ".tmp", out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file")
    ap.add_argument("--clients", nargs=2)
    ap.add_argument("--out")
    ap.add_argument("--log")
    a = ap.parse_args()
    STATE["log"] = a.log
    if a.clients:
        clients(a.clients[0], int(a.clients[1]), a.out)
        return
    srv = Server(("127.0.0.1", 0), Handler)
    with open(a.port_file, "w") as f:
        f.write(str(srv.server_address[1]))
    # make the bombs before any client asks (seconds of CPU, not during a request)
    BOMBS["gzip"] = bomb(31)
    BOMBS["deflate"] = bomb(15)
    with open(a.port_file + ".ready", "w") as f:
        f.write("ready\n")
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
