#!/usr/bin/python3
# rawname_auth.py - a Dovecot-protocol auth helper for master.cf spawn (one
# connection on stdin/stdout): PLAIN with an initial response or an empty
# challenge first, account test1 / pass1.
#
# It never tab-escapes: an OK carries the user name as it came. Its FAIL
# replies carry no user= at all, so a wrong password for a name with a
# TAB shows nothing: no check can see the missing escaping, and none may
# pass for it either ("not exercised"). Usage: rawname_auth.py
import base64
import binascii
import os
import sys

ACCOUNT = (b"test1", b"pass1")


def w(data):
    os.write(1, data)


def verdict(rid, data):
    try:
        parts = base64.b64decode(data, validate=True).split(b"\0")
    except (binascii.Error, ValueError):
        return b"FAIL\t" + rid + b"\tcode=invalid_base64\n"
    if len(parts) == 3 and (parts[1], parts[2]) == ACCOUNT:
        return b"OK\t" + rid + b"\tuser=" + parts[1] + b"\n"
    return b"FAIL\t" + rid + b"\n"


w(b"VERSION\t1\t2\nMECH\tPLAIN\tplaintext\nSPID\t%d\nCUID\t1\nCOOKIE\t%s\nDONE\n"
  % (os.getpid(), b"0" * 32))
pending = set()
for raw in sys.stdin.buffer:
    f = raw.rstrip(b"\n").split(b"\t")
    if f[0] == b"AUTH" and len(f) >= 3:
        resp = [a[5:] for a in f[3:] if a.startswith(b"resp=")]
        if f[2].upper() != b"PLAIN":
            w(b"FAIL\t" + f[1] + b"\n")
        elif resp:
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
