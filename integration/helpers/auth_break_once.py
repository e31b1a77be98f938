#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""
NAME
    auth_break_once.py - an auth-socket proxy that breaks one connection once

SYNOPSIS
    auth_break_once.py close|silent unix:PATH|inet:127.0.0.1:PORT unix:UPSTREAM

DESCRIPTION
    Passes every connection through to UPSTREAM (a Dovecot-protocol auth
    server) byte for byte, except at the first AUTH line of all: with
    "close" the proxy closes that line's connection (both sides) without
    passing the line on; with "silent" it swallows that line and every
    later client line of the connection, passes nothing more in either
    direction, and keeps the connection open until the client closes
    it. Everything else passes untouched. The upstream connection is
    made when the client sends its first bytes, so a readiness probe
    that connects and leaves reaches nobody.

    A client that reconnects after the failure finds a working server;
    one that writes its next request on the broken connection does not.
    Each connection, and the request id and mechanism of every AUTH line
    that arrives ("connection 2: AUTH 3 PLAIN", with " (closed)" or
    " (swallowed)" for the one that breaks), is logged to stdout.

DIAGNOSTICS
    Usage errors exit 2; an upstream that cannot be reached closes the
    client's connection, logged.
"""

import os
import select
import socket
import sys
import threading

lock = threading.Lock()
state = {"conns": 0, "armed": True}


def log(text):
    with lock:
        print(text, flush=True)


def disarm():
    """True for the one caller that finds the proxy still armed."""
    with lock:
        armed, state["armed"] = state["armed"], False
    return armed


class Conn:
    """One client connection and its upstream."""

    def __init__(self, client, n, mode, path):
        self.client, self.n, self.mode, self.path = client, n, mode, path
        self.upstream = None
        self.partial = b""      # client bytes after the last LF
        self.broken = False

    def from_client(self, data):
        """Pass complete lines on; False once the connection is to close."""
        if self.upstream is None:
            self.upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.upstream.connect(self.path)
        if self.broken:
            return True
        lines = (self.partial + data).split(b"\n")
        self.partial = lines.pop()
        out = []
        for line in lines:
            f = line.split(b"\t")
            if f[0] == b"AUTH" and len(f) >= 3:
                what = "connection %d: AUTH %s %s" % (self.n, f[1].decode(errors="replace"),
                                                      f[2].decode(errors="replace"))
                if disarm():
                    self.upstream.sendall(b"".join(x + b"\n" for x in out))
                    log(what + (" (closed)" if self.mode == "close" else " (swallowed)"))
                    self.broken = True
                    return self.mode != "close"
                log(what)
            out.append(line)
        self.upstream.sendall(b"".join(x + b"\n" for x in out))
        return True

    def run(self):
        while True:
            socks = [self.client] + ([self.upstream] if self.upstream and not self.broken else [])
            readable, _, _ = select.select(socks, [], [])
            for s in readable:
                data = s.recv(65536)
                if not data:
                    return
                if s is self.upstream:
                    self.client.sendall(data)
                elif not self.from_client(data):
                    return


def serve(client, mode, path):
    with lock:
        state["conns"] += 1
        n = state["conns"]
    log("connection %d" % n)
    conn = Conn(client, n, mode, path)
    try:
        conn.run()
    except OSError as e:
        log("connection %d: %s" % (n, e))
    finally:
        if conn.upstream is not None:
            conn.upstream.close()
        client.close()
        log("connection %d closed" % n)


def listener(spec):
    if spec.startswith("unix:"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(spec[5:])
        os.chmod(spec[5:], 0o666)
    else:
        host, port = spec[5:].rsplit(":", 1)
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, int(port)))
    s.listen(16)
    return s


def main():
    if (len(sys.argv) != 4 or sys.argv[1] not in ("close", "silent")
            or not sys.argv[2].startswith(("unix:", "inet:"))
            or not sys.argv[3].startswith("unix:")):
        sys.stderr.write("usage: auth_break_once.py close|silent unix:PATH|inet:HOST:PORT "
                         "unix:UPSTREAM\n")
        return 2
    srv = listener(sys.argv[2])
    while True:
        client, _ = srv.accept()
        threading.Thread(target=serve, args=(client, sys.argv[1], sys.argv[3][5:]),
                         daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
