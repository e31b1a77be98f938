#!/usr/bin/python3
"""authd_load - many concurrent Postfix-like clients plus one hostile client.

Usage: authd_load.py SOCKET CONNECTIONS SECONDS [USER PASSWORD]
Each client does the Postfix handshake, then AUTH PLAIN requests for USER
(default alice, password secret) in a loop (one in flight, ids from its own
counter starting at a random offset), half with the right password, half
wrong; every reply must carry the id of the request in flight and the right
verdict, every client must get replies, and after SECONDS the requests
still in flight must all be answered. One extra client sends a 16385-byte
line, then garbage; it must be disconnected. Prints figures and
"N passed, N failed" (one pass per check).
"""
import base64
import os
import random
import selectors
import socket
import sys
import time

path, nconn, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
user, password = (sys.argv[4], sys.argv[5]) if len(sys.argv) > 5 else ("alice", "secret")
GOOD = base64.b64encode(b"\0%s\0%s" % (user.encode(), password.encode())).decode()
BAD = base64.b64encode(b"\0%s\0wrong-%s" % (user.encode(), password.encode())).decode()
sel = selectors.DefaultSelector()
errors = []
done = {"ok": 0, "fail": 0}


class Client:
    def __init__(self):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(path)
        self.s.setblocking(False)
        self.buf = b""
        self.hs = False
        self.id = random.randint(1, 1 << 30)
        self.want = None
        self.replies = 0
        self.s.send(b"VERSION\t1\t0\nCPID\t%d\n" % os.getpid())
        sel.register(self.s, selectors.EVENT_READ, self)

    def send_next(self):
        self.id += 1
        good = self.id % 2 == 0
        self.want = ("OK" if good else "FAIL", str(self.id))
        self.s.send(("AUTH\t%d\tPLAIN\tservice=smtp\tnologin\tlip=127.0.0.1\trip=127.0.0.1\tresp=%s\n"
                     % (self.id, GOOD if good else BAD)).encode())

    def on_read(self):
        try:
            data = self.s.recv(65536)
        except BlockingIOError:
            return
        if not data:
            errors.append("a well-behaved client was disconnected")
            sel.unregister(self.s)
            return
        self.buf += data
        while b"\n" in self.buf:
            line, self.buf = self.buf.split(b"\n", 1)
            f = line.decode().split("\t")
            if not self.hs:
                if f[0] == "DONE":
                    self.hs = True
                    self.send_next()
                continue
            if (f[0], f[1]) != self.want:
                errors.append("reply %r for request %r" % (f[:2], self.want))
            done["ok" if f[0] == "OK" else "fail"] += 1
            self.replies += 1
            self.want = None
            if time.time() < deadline:
                self.send_next()


deadline = time.time() + seconds
clients = [Client() for _ in range(nconn)]
# the hostile client
bad = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
bad.connect(path)
bad.sendall(b"VERSION\t1\t0\nCPID\t1\n")
bad.setblocking(False)
sent_long = False
bad_closed = False
start = time.time()
while time.time() < deadline + 10:
    for key, _ in sel.select(timeout=0.1):
        key.data.on_read()
    if not sent_long and time.time() - start > seconds / 3:
        try:
            bad.send(b"AUTH\t1\tPLAIN\tservice=smtp\tx=" + b"A" * 16385 + b"\n\x00\xff garbage\n")
        except OSError:
            pass
        sent_long = True
    if sent_long and not bad_closed:
        try:
            if bad.recv(65536) == b"":
                bad_closed = True
        except BlockingIOError:
            pass
        except OSError:
            bad_closed = True
    if time.time() > deadline and bad_closed and not any(c.want for c in clients):
        break
elapsed = min(time.time() - start, seconds)
total = done["ok"] + done["fail"]
print("clients %d, replies %d (OK %d, FAIL %d) in %.1f s: %.0f auths/s" %
      (nconn, total, done["ok"], done["fail"], elapsed, total / max(elapsed, 0.001)))
checks = [
    ("every reply carried the id and verdict of its request", not errors),
    ("every client got replies", all(c.hs and c.replies > 0 for c in clients)),
    ("every request in flight at the end was answered", all(c.hs and not c.want for c in clients)),
    ("the hostile client was disconnected", bad_closed),
]
for e in errors[:5]:
    print("   " + e)
for name, ok in checks:
    print("%s - %s" % ("ok  " if ok else "FAIL", name))
print("%d passed, %d failed" % (sum(1 for _, ok in checks if ok), sum(1 for _, ok in checks if not ok)))
sys.exit(0 if all(ok for _, ok in checks) else 1)
