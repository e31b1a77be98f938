"""policyd_db_client - the clients of the database suites (42, 43, 44).

Usage: policyd_db_client.py SOCK MODE ARGS...
  one NAME=VALUE...          one request on its own connection: the reply or EOF
  users ADDR USER...         one lookup request per user (sasl_username), each
                             on its own connection; one reply (or EOF) a line
  many N ADDR USER WANT      N connections at once, one lookup each; prints
                             "N ok" or the first wrong reply
  plain N                    N requests that need no lookup, one after the
                             other on one connection; prints "p99 MS max MS"
"""
import socket, sys, time

sock, mode, args = sys.argv[1], sys.argv[2], sys.argv[3:]

def req(pairs):
    # bytes as given on the command line, invalid UTF-8 included
    return ("request=smtpd_access_policy\n" +
            "".join("%s=%s\n" % p for p in pairs) + "\n").encode("utf-8", "surrogateescape")

def conn():
    s = socket.socket(socket.AF_UNIX)
    s.connect(sock)
    s.settimeout(15)
    return s

def reply(s):
    got = b""
    while not got.endswith(b"\n\n"):
        try:
            b = s.recv(4096)
        except ConnectionResetError:
            b = b""
        if not b:
            return got.decode() or "EOF"
        got += b
    return got.decode().strip()

def lookup(addr, user):
    return req([("protocol_state", "RCPT"), ("client_address", addr), ("sasl_username", user)])

if mode == "one":
    s = conn(); s.sendall(req([a.split("=", 1) for a in args])); print(reply(s))
elif mode == "users":
    for u in args[1:]:
        s = conn(); s.sendall(lookup(args[0], u)); print(reply(s)); s.close()
elif mode == "many":
    n, addr, user, want = int(args[0]), args[1], args[2], args[3]
    socks = [conn() for _ in range(n)]
    for s in socks:
        s.sendall(lookup(addr, user))
    bad = [r for r in (reply(s) for s in socks) if r != want]
    print("%d ok" % n if not bad else "%d wrong, first: %s" % (len(bad), bad[0]))
elif mode == "plain":
    s = conn(); r = req([("protocol_state", "END-OF-MESSAGE"), ("size", "60000000")])
    lat = []
    for _ in range(int(args[0])):
        t0 = time.perf_counter(); s.sendall(r); x = reply(s)
        lat.append((time.perf_counter() - t0) * 1000)
        if x != "action=552 5.3.4 message too big":
            print("wrong reply %r" % x); sys.exit(1)
    lat.sort()
    print("p99 %.3f max %.3f" % (lat[int(len(lat) * 0.99) - 1], lat[-1]))
