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
#   eof-ok      a correct handshake; the reply to the AUTH is an OK without
#               LF, then the helper exits (EOF)
#   eof-fail    the same with a FAIL (reason=nope) without LF
#   stale-same-read   the handshake and a stale "FAIL 1" in one write, then
#               OK for the AUTH
#   stale-later-read  the handshake, 300 ms, the stale FAIL in a second
#               write, then OK for the AUTH
#   external    a handshake offering EXTERNAL and PLAIN, then OK
#   policy-action WORD...  a policy service that answers every request
#               with action=WORD... (the words joined by spaces)
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


HANDSHAKE = (b"VERSION\t1\t2\nMECH\tPLAIN\tplaintext\nSPID\t1\nCUID\t1\nCOOKIE\t" + b"0" * 32
             + b"\nDONE\n")
STALE = b"FAIL\t1\treason=stale\n"


def handshake():
    send(HANDSHAKE)


def answer(fmt, end=False):
    """fmt % the id of the next AUTH line; exit after it when end"""
    for line in sys.stdin:
        if line.startswith("AUTH\t"):
            send((fmt % line.split("\t")[1]).encode())
            if end:
                sys.exit(0)


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
elif mode in ("eof-ok", "eof-fail"):
    handshake()
    answer("OK\t%s\tuser=test1" if mode == "eof-ok" else "FAIL\t%s\treason=nope", True)
elif mode == "stale-same-read":
    send(HANDSHAKE + STALE)
    answer("OK\t%s\tuser=test1\n")
elif mode == "stale-later-read":
    handshake()
    time.sleep(0.3)
    send(STALE)
    answer("OK\t%s\tuser=test1\n")
elif mode == "external":
    send(b"VERSION\t1\t2\nMECH\tEXTERNAL\nMECH\tPLAIN\tplaintext\nDONE\n")
    answer("OK\t%s\tuser=test1\n")
elif mode == "policy-action":
    action = " ".join(sys.argv[2:])
    for line in sys.stdin:
        if line == "\n":
            send(("action=%s\n\n" % action).encode())
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
