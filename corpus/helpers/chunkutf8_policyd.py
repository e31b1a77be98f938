#!/usr/bin/python3
# chunkutf8_policyd.py - a Postfix policy daemon in Python (threaded, on a
# UNIX or TCP socket; or one connection on stdin/stdout for master.cf
# spawn) that works with text: it reads the connection 1,024 bytes at a
# time and decodes each read as UTF-8 before it splits lines.
#
# That is its bug: a multi-byte character cut by a read boundary, or any
# byte that is not UTF-8 (a Latin-1 HELO name), raises UnicodeDecodeError
# and the connection ends without a reply; Postfix tries again, then
# answers 451 4.3.5. Short ASCII requests, which most tests send, never
# show it. Senders of the domain spam.example get REJECT, the rest DUNNO.
# Usage: chunkutf8_policyd.py unix:/path | inet:host:port | -
import os
import socketserver
import sys


def serve(read, write):
    text = ""
    attrs = {}
    while True:
        chunk = read(1024)
        if not chunk:
            return
        text += chunk.decode("utf-8")
        while "\n" in text:
            line, text = text.split("\n", 1)
            if line:
                name, _, value = line.partition("=")
                attrs.setdefault(name, value)
                continue
            spam = attrs.get("sender", "").lower().endswith("@spam.example")
            write(("action=REJECT sender not accepted\n\n" if spam else
                   "action=DUNNO\n\n").encode())
            attrs = {}


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        serve(self.request.recv, self.request.sendall)


class Unix(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


class Inet(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


where = sys.argv[1] if len(sys.argv) > 1 else "-"
if where == "-":
    serve(lambda n: os.read(0, n), lambda data: os.write(1, data))
elif where.startswith("unix:"):
    if os.path.exists(where[5:]):
        os.unlink(where[5:])
    Unix(where[5:], Handler).serve_forever()
elif where.startswith("inet:"):
    host, _, port = where[5:].rpartition(":")
    Inet((host, int(port)), Handler).serve_forever()
else:
    sys.exit("usage: chunkutf8_policyd.py unix:/path | inet:host:port | -")
