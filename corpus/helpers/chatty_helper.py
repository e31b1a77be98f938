#!/usr/bin/python3
"""chatty_helper.py - an auth helper or policy service for master.cf spawn
that logs without end to stderr, as a debug build left on does.

It answers correctly (auth: the Dovecot handshake, PLAIN for test1/pass1;
policy: DUNNO), but a thread writes a debug line to stderr over and over,
from its start to its end. Under spawn(8) stderr is the connection: the
client reads the lines between and after the answers, for ever. With
"stream" it writes its debug lines to stdout instead, which is the same
thing to the client.

Usage: chatty_helper.py auth|policy [stream]
"""
import base64
import os
import sys
import threading

PROTO = sys.argv[1] if len(sys.argv) > 1 else "policy"
LOG_FD = 1 if "stream" in sys.argv[2:] else 2
LOCK = threading.Lock()


def say(data):
    """write data to the connection whole, between debug lines"""
    with LOCK:
        os.write(1, data)


def chatter():
    """the debug log, without end"""
    n = 0
    while True:
        n += 1
        with LOCK:
            os.write(LOG_FD, b"debug: event loop tick %d\n" % n)


def auth_answer(fields):
    """the answer to one AUTH line"""
    rid = fields[1]
    resp = [f[5:] for f in fields[3:] if f.startswith("resp=")]
    if not resp:
        return "CONT\t%s\t\n" % rid
    parts = base64.b64decode(resp[0] + "==").split(b"\0")
    if len(parts) == 3 and parts[1:] == [b"test1", b"pass1"]:
        return "OK\t%s\tuser=test1\n" % rid
    return "FAIL\t%s\n" % rid


def main():
    threading.Thread(target=chatter, daemon=True).start()
    if PROTO == "auth":
        say(b"VERSION\t1\t2\nMECH\tPLAIN\tplaintext\nSPID\t1\nCUID\t1\nCOOKIE\t" +
            b"0" * 32 + b"\nDONE\n")
    attrs = 0
    for raw in sys.stdin.buffer:
        line = raw.rstrip(b"\n").decode("latin-1")
        if PROTO == "auth":
            fields = line.split("\t")
            if fields[0] == "AUTH" and len(fields) >= 3:
                say(auth_answer(fields).encode())
            elif fields[0] == "CONT" and len(fields) >= 2:
                say(b"FAIL\t%s\n" % fields[1].encode())
        elif line:
            attrs += 1
        else:
            say(b"action=DUNNO\n\n")
            attrs = 0


main()
