#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""
NAME
    policy_action.py - a policy service that answers a fixed action per recipient

SYNOPSIS
    policy_action.py unix:/path|inet:127.0.0.1:PORT MAPFILE

DESCRIPTION
    Speaks Postfix's policy delegation protocol (name=value lines up to an
    empty line; reply "action=VALUE" and an empty line; the connection
    stays open). MAPFILE holds one "recipient<TAB>value" per line; the
    value is sent verbatim (it may be empty or start with a space). The
    value "@close" closes the connection without a reply, as a failing
    server does. A value "@raw:BYTES" sends BYTES instead of the reply
    (Python escapes: \\n, \\r, \\xHH, \\x00), for replies Postfix must
    read in other ways than "action=VALUE". Unlisted recipients and
    requests without one get DUNNO.
    Every request is logged to stdout as one line "request: a=b ..." (in
    arrival order), so a test can see what Postfix sent and how often;
    every new connection as a line "connection".
    Requests are bounded to 1000 lines of 8 KiB.

DIAGNOSTICS
    A malformed MAPFILE line stops start-up with "MAPFILE:LINE: ..." on
    stderr and exit status 2.
"""

import codecs
import os
import socket
import socketserver
import sys
import threading

MAX_LINE, MAX_LINES = 8192, 1000
lock = threading.Lock()


def load(path):
    table = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            if "\t" not in line:
                sys.exit("%s:%d: want recipient<TAB>action" % (path, n))
            rcpt, value = line.split("\t", 1)
            table[rcpt.lower()] = value
    return table


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        with lock:
            print("connection", flush=True)
        while True:
            attrs, lines = {}, 0
            while True:
                raw = self.rfile.readline(MAX_LINE + 1)
                if not raw:
                    return
                if len(raw) > MAX_LINE or lines >= MAX_LINES:
                    return
                lines += 1
                line = raw.decode("utf-8", "replace").rstrip("\n")
                if line == "":
                    break
                name, _, value = line.partition("=")
                attrs[name] = value
            with lock:
                print("request: " + " ".join("%s=%s" % kv for kv in attrs.items()), flush=True)
            action = self.server.table.get(attrs.get("recipient", "").lower(), "DUNNO")
            if action == "@close":
                return
            if action.startswith("@raw:"):
                self.wfile.write(codecs.decode(action[5:], "unicode_escape").encode("latin-1"))
            else:
                self.wfile.write(("action=%s\n\n" % action).encode())
            self.wfile.flush()


class UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


class TCPServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: policy_action.py unix:/path|inet:HOST:PORT MAPFILE")
    spec, table = sys.argv[1], load(sys.argv[2])
    if spec.startswith("unix:"):
        path = spec[5:]
        if os.path.exists(path):
            os.unlink(path)
        server = UnixServer(path, Handler)
        os.chmod(path, 0o666)
    elif spec.startswith("inet:"):
        host, _, port = spec[5:].rpartition(":")
        server = TCPServer((host, int(port)), Handler)
    else:
        sys.exit("listen spec %r: want unix:/path or inet:HOST:PORT" % spec)
    server.table = table
    print("listening on %s, %d entries" % (spec, len(table)), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
