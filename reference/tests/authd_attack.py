#!/usr/bin/python3
"""authd_attack - hostile clients against ref-authd while an ordinary one logs in.

Usage: authd_attack.py SOCKET PID SECONDS [stall=N:USER:PASSWORD]
                       [memory=CONNS:REQS:NONCE_BYTES] [unread=CONNS:REQS:USER:PASSWORD]
                       [probe=USER:PASSWORD]

stall=N:USER:PASSWORD: N connections send AUTH PLAIN for USER (a passwd-file
entry whose scheme is expensive), one in flight each, for SECONDS.
memory=CONNS:REQS:NONCE_BYTES: CONNS connections each send REQS AUTH
SCRAM-SHA-256 requests with a client nonce of NONCE_BYTES and never
continue them (the server keeps them pending, or refuses them).
unread=CONNS:REQS:USER:PASSWORD: CONNS connections each send REQS AUTH
PLAIN logins for USER (whose OK replies are big: extra fields) and never
read a reply (the server queues them, or drops the connections).
probe=USER:PASSWORD (default alice:secret): one more connection logs in
with AUTH PLAIN in a loop, one request at a time, for SECONDS, starting
after the attackers have sent their requests; each reply's latency is kept.

Prints one line: "probes=N ok=N p50_ms=X p99_ms=X max_ms=X rss_start_kb=N
rss_kb=N rss_max_kb=N", where rss is the server's VmRSS (from
/proc/PID/status) before the attack, at the end, and its highest value
sampled during the run. Exit 0.
"""
import base64
import socket
import sys
import threading
import time

import authd_wire

path, pid, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
opts = dict(a.split("=", 1) for a in sys.argv[4:])
stop = threading.Event()
rss_max = [0]


def rss_kb():
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def connect():
    return authd_wire.connect(path)


def plain(user, password):
    return base64.b64encode(b"\0%s\0%s" % (user.encode(), password.encode())).decode()


def login_loop(user, password, lat, oks):
    """AUTH PLAIN one at a time until stop; latencies into lat"""
    try:
        s, buf = connect()
    except OSError:
        return
    resp = plain(user, password)
    n = 0
    while not stop.is_set():
        n += 1
        t0 = time.monotonic()
        try:
            s.sendall(b"AUTH\t%d\tPLAIN\tservice=smtp\tresp=%s\n" % (n, resp.encode()))
            while b"\n" not in buf:
                data = s.recv(65536)
                if not data:
                    return
                buf += data
        except OSError:
            return
        line, buf = buf.split(b"\n", 1)
        if lat is not None:
            lat.append((time.monotonic() - t0) * 1000)
        if line.startswith(b"OK\t%d\t" % n):
            oks[0] += 1


def drain(s):
    """read and drop the server's challenges, so that it keeps reading"""
    while not stop.is_set():
        try:
            if not s.recv(1 << 20):
                return
        except socket.timeout:
            continue
        except OSError:
            return


def memory(conns, reqs, nonce_bytes, socks, threads):
    """pending SCRAM requests with big client nonces, never continued"""
    nonce = b"n" * nonce_bytes
    first = base64.b64encode(b"n,,n=alice,r=" + nonce)
    for _ in range(conns):
        try:
            s, _ = connect()
        except OSError:
            continue
        socks.append(s)
        s.settimeout(1)
        t = threading.Thread(target=drain, args=(s,))
        t.start()
        threads.append(t)
        try:
            for i in range(1, reqs + 1):
                s.sendall(b"AUTH\t%d\tSCRAM-SHA-256\tservice=smtp\tresp=%s\n" % (i, first))
        except OSError:
            pass	# refused and closed: what a bound does


def unread(conns, reqs, user, password, socks):
    """PLAIN logins whose replies are never read"""
    resp = plain(user, password).encode()
    for _ in range(conns):
        try:
            s, _ = connect()
            socks.append(s)
            s.sendall(b"".join(b"AUTH\t%d\tPLAIN\tservice=smtp\tresp=%s\n" % (i, resp)
                               for i in range(1, reqs + 1)))
        except OSError:
            pass	# refused and closed: what a bound does


def sampler():
    while not stop.is_set():
        rss_max[0] = max(rss_max[0], rss_kb())
        time.sleep(0.05)


def main():
    start = rss_kb()
    threads = [threading.Thread(target=sampler)]
    socks = []
    if "stall" in opts:
        n, user, password = opts["stall"].split(":", 2)
        for _ in range(int(n)):
            threads.append(threading.Thread(target=login_loop, args=(user, password, None, [0])))
    for t in threads:
        t.start()
    if "memory" in opts:
        conns, reqs, nonce = (int(x) for x in opts["memory"].split(":"))
        memory(conns, reqs, nonce, socks, threads)
    if "unread" in opts:
        conns, reqs, user, password = opts["unread"].split(":", 3)
        unread(int(conns), int(reqs), user, password, socks)
    time.sleep(0.2)	# the attack is under way
    user, password = opts.get("probe", "alice:secret").split(":", 1)
    lat, oks = [], [0]
    probe = threading.Thread(target=login_loop, args=(user, password, lat, oks))
    probe.start()
    time.sleep(seconds)
    stop.set()
    for t in threads + [probe]:
        t.join()
    for s in socks:
        s.close()
    lat.sort()

    def pct(p):
        return lat[min(len(lat) - 1, int(len(lat) * p))] if lat else -1

    print("probes=%d ok=%d p50_ms=%.1f p99_ms=%.1f max_ms=%.1f rss_start_kb=%d rss_kb=%d "
          "rss_max_kb=%d" % (
        len(lat), oks[0], pct(0.5), pct(0.99), lat[-1] if lat else -1, start, rss_kb(),
        max(rss_max[0], rss_kb())))


main()
