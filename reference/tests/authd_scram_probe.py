#!/usr/bin/python3
"""authd_scram_probe - what a SCRAM client learns about user names.

Usage: authd_scram_probe.py SOCKET N USER...

N rounds; in each, one SCRAM-SHA-256 exchange per USER, in turn (so that a
busy machine slows them all alike), each with a wrong password. Prints a
line per USER: "user=USER first=KIND[,KIND] first_min_ms=X first_p50_ms=X
first_max_ms=X salts=N iters=I[,I] final=SHAPE final_min_ms=X final_p50_ms=X",
where first is the kind
of the server's first reply (CONT or FAIL), timed from the AUTH; salts the
number of distinct salts in the server-first messages; final the shape of
the last reply (its id replaced by ID, TABs by /), timed from the
client-final message. Exit 0.
"""
import base64
import os
import sys
import time

import authd_wire

path, rounds, users = sys.argv[1], int(sys.argv[2]), sys.argv[3:]


class Conn:
    def __init__(self):
        self.s, self.buf = authd_wire.connect(path)
        self.id = 0

    def line(self):
        while b"\n" not in self.buf:
            data = self.s.recv(65536)
            if not data:
                raise OSError("closed")
            self.buf += data
        one, self.buf = self.buf.split(b"\n", 1)
        return one.decode()

    def exchange(self, user, seen):
        """one exchange for user, its observations into seen"""
        self.id += 1
        i = self.id
        first = b"n,,n=%s,r=%s" % (user.encode(), base64.b64encode(os.urandom(18)))
        t0 = time.monotonic()
        self.s.sendall(b"AUTH\t%d\tSCRAM-SHA-256\tservice=smtp\tresp=%s\n" %
                       (i, base64.b64encode(first)))
        reply = self.line()
        seen["firsts"].append((time.monotonic() - t0) * 1000)
        f = reply.split("\t")
        seen["kinds"].add(f[0])
        if f[0] == "CONT":
            sf = dict(a.split("=", 1) for a in base64.b64decode(f[2]).decode().split(","))
            seen["salts"].add(sf["s"])
            seen["iters"].add(sf["i"])
            proof = base64.b64encode(os.urandom(32))	# a wrong password's proof
            final = b"c=biws,r=%s,p=%s" % (sf["r"].encode(), proof)
            t0 = time.monotonic()
            self.s.sendall(b"CONT\t%d\t%s\n" % (i, base64.b64encode(final)))
            reply = self.line()
            seen["finals"].append((time.monotonic() - t0) * 1000)
        seen["shapes"].add(reply.replace("\t%d\t" % i, "\tID\t").replace("\t", "/"))


def p50(v):
    v = sorted(v)
    return v[len(v) // 2] if v else -1


def main():
    c = Conn()
    seen = {u: {"kinds": set(), "firsts": [], "salts": set(), "iters": set(),
                "finals": [], "shapes": set()} for u in users}
    for _ in range(rounds):
        for u in users:
            c.exchange(u, seen[u])
    for u in users:
        o = seen[u]
        print("user=%s first=%s first_min_ms=%.1f first_p50_ms=%.1f first_max_ms=%.1f "
              "salts=%d iters=%s final=%s final_min_ms=%.1f final_p50_ms=%.1f" % (
                  u, ",".join(sorted(o["kinds"])), min(o["firsts"]), p50(o["firsts"]),
                  max(o["firsts"]), len(o["salts"]), ",".join(sorted(o["iters"])) or "-",
                  "|".join(sorted(o["shapes"])), min(o["finals"] or [-1]), p50(o["finals"])))


main()
