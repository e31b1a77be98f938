#!/usr/bin/python3
"""authd_scram_probe - what a SCRAM client learns about a user name.

Usage: authd_scram_probe.py SOCKET USER N

N SCRAM-SHA-256 exchanges for USER, one after the other, each with a wrong
password. Prints one line: "user=USER first=KIND[,KIND] first_p50_ms=X
first_max_ms=X salts=N iters=I[,I] final=SHAPE final_p50_ms=X", where
first is the kind of the server's first reply (CONT or FAIL), timed from
the AUTH; salts the number of distinct salts in the server-first
messages; final the shape of the last reply (its id replaced by ID), timed
from the client-final message. Exit 0.
"""
import base64
import os
import socket
import sys
import time

path, user, n = sys.argv[1], sys.argv[2], int(sys.argv[3])


def connect():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.settimeout(30)
    s.sendall(b"VERSION\t1\t2\nCPID\t%d\n" % os.getpid())
    buf = b""
    while b"DONE\n" not in buf:
        data = s.recv(65536)
        if not data:
            raise OSError("closed during the handshake")
        buf += data
    return s, buf.split(b"DONE\n", 1)[1]


def line(s, buf):
    while b"\n" not in buf:
        data = s.recv(65536)
        if not data:
            raise OSError("closed")
        buf += data
    one, buf = buf.split(b"\n", 1)
    return one.decode(), buf


def main():
    s, buf = connect()
    kinds, firsts, salts, iters, finals, shapes = set(), [], set(), set(), [], set()
    for i in range(1, n + 1):
        cnonce = base64.b64encode(os.urandom(18))
        first = b"n,,n=%s,r=%s" % (user.encode(), cnonce)
        t0 = time.monotonic()
        s.sendall(b"AUTH\t%d\tSCRAM-SHA-256\tservice=smtp\tresp=%s\n" %
                  (i, base64.b64encode(first)))
        reply, buf = line(s, buf)
        firsts.append((time.monotonic() - t0) * 1000)
        f = reply.split("\t")
        kinds.add(f[0])
        if f[0] != "CONT":
            shapes.add(reply.replace("\t%d\t" % i, "\tID\t"))
            continue
        sf = dict(a.split("=", 1) for a in base64.b64decode(f[2]).decode().split(","))
        salts.add(sf["s"])
        iters.add(sf["i"])
        proof = base64.b64encode(os.urandom(32))	# a wrong password's proof
        final = b"c=biws,r=%s,p=%s" % (sf["r"].encode(), proof)
        t0 = time.monotonic()
        s.sendall(b"CONT\t%d\t%s\n" % (i, base64.b64encode(final)))
        reply, buf = line(s, buf)
        finals.append((time.monotonic() - t0) * 1000)
        shapes.add(reply.replace("\t%d\t" % i, "\tID\t").replace("\t%d" % i, "\tID"))
    firsts.sort()
    finals.sort()
    print("user=%s first=%s first_p50_ms=%.1f first_max_ms=%.1f salts=%d iters=%s "
          "final=%s final_p50_ms=%.1f" % (
              user, ",".join(sorted(kinds)), firsts[len(firsts) // 2], firsts[-1],
              len(salts), ",".join(sorted(iters)) or "-",
              "|".join(sorted(shapes)).replace("\t", "/"),
              finals[len(finals) // 2] if finals else -1))


main()
