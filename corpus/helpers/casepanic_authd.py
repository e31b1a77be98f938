#!/usr/bin/python3
# casepanic_authd.py - a small Dovecot-protocol auth daemon of the kind
# people write for Postfix: a threaded server on a UNIX or TCP socket (or
# one connection on stdin/stdout, for master.cf spawn), mechanism PLAIN
# (initial response, or an empty CONT first), account test1 / pass1.
#
# Its bug: mechanism names are looked up in a table of upper-case names
# and a miss is an "impossible" state, so an AUTH with the mechanism in
# lower case (which Postfix passes on exactly as the SMTP client typed it)
# panics the whole process (abort, as a Go panic or a failed assert()
# ends it). Usage:
#   casepanic_authd.py unix:/path | inet:host:port | -
import base64
import binascii
import os
import socket
import socketserver
import sys
import threading

MECHS = {b"PLAIN": b"plaintext"}
ACCOUNT = (b"test1", b"pass1")


def handshake(w):
    out = b"VERSION\t1\t2\n"
    for name, flags in MECHS.items():
        out += b"MECH\t" + name + b"\t" + flags + b"\n"
    out += b"SPID\t%d\nCUID\t1\nCOOKIE\t%s\nDONE\n" % (os.getpid(), b"0" * 32)
    w(out)


def escape(value):
    # Dovecot's tab-escaping of every value sent
    return (value.replace(b"\001", b"\0011").replace(b"\t", b"\001t")
            .replace(b"\r", b"\001r").replace(b"\n", b"\001n"))


def verdict(rid, data):
    try:
        parts = base64.b64decode(data, validate=True).split(b"\0")
    except (binascii.Error, ValueError):
        return b"FAIL\t" + rid + b"\tcode=invalid_base64\n"
    if len(parts) != 3:
        return b"FAIL\t" + rid + b"\n"
    if (parts[1], parts[2]) == ACCOUNT:
        return b"OK\t" + rid + b"\tuser=" + escape(parts[1]) + b"\n"
    return b"FAIL\t" + rid + b"\tuser=" + escape(parts[1]) + b"\n"


def session(lines, w):
    handshake(w)
    pending = set()
    for raw in lines:
        f = raw.rstrip(b"\n").split(b"\t")
        if f[0] == b"AUTH" and len(f) >= 3:
            if f[2] not in MECHS:
                # assert(mech != NULL): "cannot happen", the handshake
                # offered only these names
                os.abort()
            resp = [a[5:] for a in f[3:] if a.startswith(b"resp=")]
            if resp:
                w(verdict(f[1], resp[0]))
            else:
                pending.add(f[1])
                w(b"CONT\t" + f[1] + b"\t\n")
        elif f[0] == b"CONT" and len(f) >= 3:
            if f[1] in pending:
                pending.discard(f[1])
                w(verdict(f[1], f[2]))
            else:
                w(b"FAIL\t" + f[1] + b"\treason=Authentication request timed out\n")


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        lock = threading.Lock()

        def w(data):
            with lock:
                self.wfile.write(data)
                self.wfile.flush()
        try:
            session(self.rfile, w)
        except OSError:
            pass


class Unix(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


class Inet(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    where = sys.argv[1] if len(sys.argv) > 1 else "-"
    if where == "-":
        def w(data):
            os.write(1, data)
        session(sys.stdin.buffer, w)
    elif where.startswith("unix:"):
        if os.path.exists(where[5:]):
            os.unlink(where[5:])
        Unix(where[5:], Handler).serve_forever()
    elif where.startswith("inet:"):
        host, _, port = where[5:].rpartition(":")
        Inet((host, int(port)), Handler).serve_forever()
    else:
        sys.exit("usage: casepanic_authd.py unix:/path | inet:host:port | -")


main()
