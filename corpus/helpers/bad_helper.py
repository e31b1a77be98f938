#!/usr/bin/python3
# bad_helper.py - a deliberately broken auth helper for the harness's own
# tests (spawn style, stdin/stdout). Modes (first argument):
#   garbage     binary junk and unterminated lines instead of a handshake
#   long-line   a 1 MiB line without LF, then waits
#   crash       a correct handshake, then SIGSEGV when the AUTH arrives,
#               after a last word on stderr
#   stderr      a correct handshake with debug output on stderr, which
#               spawn(8) connects to the same socket
#   silent      says nothing at all
#   policy-flaky LOG  a policy service that appends each request to LOG and
#               answers the first one ever seen with a malformed "action"
#               line (no "="), later ones with action=DUNNO
import os
import signal
import sys
import time

mode = sys.argv[1] if len(sys.argv) > 1 else "garbage"
out = sys.stdout.buffer


def send(b):
    out.write(b)
    out.flush()


def handshake():
    send(b"VERSION\t1\t2\nMECH\tPLAIN\tplaintext\nSPID\t1\nCUID\t1\nCOOKIE\t" + b"0" * 32 + b"\nDONE\n")


if mode == "garbage":
    send(b"\x00\xff\xfe garbage \x01\x02\nHELLO\tWORLD\n\x1b[31mred\n")
    time.sleep(5)
elif mode == "long-line":
    send(b"V" * (1024 * 1024))
    time.sleep(5)
elif mode == "crash":
    handshake()
    for line in sys.stdin:
        if line.startswith("AUTH\t"):
            sys.stderr.write("bad_helper: about to crash\n")
            sys.stderr.flush()
            os.kill(os.getpid(), signal.SIGSEGV)
elif mode == "stderr":
    sys.stderr.write("debug: starting\n")
    sys.stderr.flush()
    handshake()
    for line in sys.stdin:
        f = line.rstrip("\n").split("\t")
        sys.stderr.write("debug: got %s\n" % f[0])
        sys.stderr.flush()
        if f[0] == "AUTH":
            send(("OK\t%s\tuser=test1\n" % f[1]).encode())
elif mode == "policy-flaky":
    log = sys.argv[2]
    block = []
    for line in sys.stdin:
        block.append(line)
        if line != "\n":
            continue
        try:
            seen = open(log).read().count("\n\n")
        except OSError:
            seen = 0
        with open(log, "a") as f:
            f.write("".join(block))
        block = []
        send(b"action\n\n" if seen == 0 else b"action=DUNNO\n\n")
else:
    time.sleep(5)
