#!/usr/bin/python3
# counting_policyd.py - a Postfix policy daemon of the kind sites run beside
# Postfix (threaded, on a UNIX or TCP socket; or one connection on
# stdin/stdout for master.cf spawn) that stamps every message it lets
# through, at RCPT time (Postfix takes no PREPEND after the message), with a
# header carrying its request counter:
#
#   action=PREPEND X-Policy-Check: passed, request 17
#
# and rejects senders of the domain spam.example with a reference number:
#
#   action=REJECT 5.7.1 sender refused (ref 18)
#
# It is correct: the same request always gets the same outcome from
# Postfix (a header prepended, or a 554), only the text changes. A check
# that compares action texts instead of outcomes would blame it.
#
# With --flip it is not: it spreads its lookups over two backends in turn,
# and one of them is down, so every other request (odd counter) gets
# "DEFER 4.7.1 backend unavailable" whatever it asks: a nondeterministic
# service, which is what the checks must call it.
# Usage: counting_policyd.py [--flip] unix:/path | inet:host:port | -
import os
import socketserver
import sys
import threading

counter = 0
lock = threading.Lock()
flip = "--flip" in sys.argv
args = [a for a in sys.argv[1:] if a != "--flip"]


def decide(attrs):
    global counter
    with lock:
        counter += 1
        n = counter
    if flip and n % 2 == 1:
        return b"DEFER 4.7.1 backend unavailable (ref %d)" % n
    if attrs.get(b"sender", b"").lower().endswith(b"@spam.example"):
        return b"REJECT 5.7.1 sender refused (ref %d)" % n
    if attrs.get(b"protocol_state") != b"RCPT":
        return b"DUNNO"
    return b"PREPEND X-Policy-Check: passed, request %d" % n


def serve(lines, write):
    attrs = {}
    for raw in lines:
        line = raw.rstrip(b"\n")
        if line:
            name, _, value = line.partition(b"=")
            attrs.setdefault(name, value)
            continue
        write(b"action=" + decide(attrs) + b"\n\n")
        attrs = {}


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        def write(data):
            self.wfile.write(data)
            self.wfile.flush()
        try:
            serve(self.rfile, write)
        except OSError:
            pass


class Unix(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


class Inet(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


where = args[0] if args else "-"
if where == "-":
    serve(sys.stdin.buffer, lambda data: os.write(1, data))
elif where.startswith("unix:"):
    if os.path.exists(where[5:]):
        os.unlink(where[5:])
    Unix(where[5:], Handler).serve_forever()
elif where.startswith("inet:"):
    host, _, port = where[5:].rpartition(":")
    Inet((host, int(port)), Handler).serve_forever()
else:
    sys.exit("usage: counting_policyd.py [--flip] unix:/path | inet:host:port | -")
