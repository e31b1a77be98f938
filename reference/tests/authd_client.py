#!/usr/bin/python3
"""authd_client - a small scripted Dovecot auth-protocol client for tests.

Usage: authd_client.py TARGET [--greeting-timeout S] STEP...
TARGET is a unix socket path or HOST:PORT ([v6]:PORT). The client reads
the greeting up to DONE, sends "VERSION 1 0" and "CPID", then runs each
STEP: "sleep:S" sleeps S seconds, "hold" keeps the connection open until
stdin ends, anything else is a line to send (\\t and \\n written as
backslash escapes are turned into TAB and LF; "{b64:text}" becomes
base64 of text with \\0 for NUL) after which one reply line is read (5 s
bound). Prints one line per reply, "<ms since the request> <line>", and
"closed" if the server closes, "no greeting" if DONE did not arrive in
time. Exit 0.
"""
import base64
import re
import socket
import sys
import time


def connect(target):
    if target.startswith("/"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(target)
        return s
    host, port = target.rsplit(":", 1)
    host = host.strip("[]")
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.connect((host, int(port)))
    return s


def expand(step):
    def b64(m):
        return base64.b64encode(m.group(1).replace("\\0", "\0").encode()).decode()
    step = re.sub(r"\{b64:([^}]*)\}", b64, step)
    return step.replace("\\t", "\t").replace("\\n", "\n")


class Reader:
    def __init__(self, s):
        self.s, self.buf = s, b""

    def line(self, timeout):
        end = time.time() + timeout
        while b"\n" not in self.buf:
            left = end - time.time()
            if left <= 0:
                return None
            self.s.settimeout(left)
            try:
                chunk = self.s.recv(65536)
            except socket.timeout:
                return None
            except OSError:
                chunk = b""
            if not chunk:
                return ""
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode(errors="replace")


def main():
    args = sys.argv[1:]
    target = args.pop(0)
    gt = 5.0
    if args and args[0] == "--greeting-timeout":
        args.pop(0)
        gt = float(args.pop(0))
    s = connect(target)
    r = Reader(s)
    while True:
        l = r.line(gt)
        if l is None:
            print("no greeting", flush=True)
            gt = 30.0
            continue
        if l == "":
            print("closed")
            return 0
        if l == "DONE":
            break
    s.sendall(b"VERSION\t1\t0\nCPID\t4242\n")
    for step in args:
        if step.startswith("sleep:"):
            time.sleep(float(step[6:]))
            continue
        if step == "hold":
            sys.stdin.read()
            continue
        t0 = time.time()
        s.sendall((expand(step) + "\n").encode())
        l = r.line(5.0)
        if l == "":
            print("closed")
            return 0
        print("%d %s" % ((time.time() - t0) * 1000, "(no reply)" if l is None else l), flush=True)
    s.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
