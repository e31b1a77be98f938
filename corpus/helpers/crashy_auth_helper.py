#!/usr/bin/python3
# crashy_auth_helper.py - a deliberately broken Dovecot-protocol auth helper
# in the style people write for master.cf spawn: one connection on
# stdin/stdout, PLAIN (initial response or CONT) and LOGIN, account
# test1 / pass1. Its bug: a user name longer than 100 bytes overruns a
# fixed buffer, which here is a SIGSEGV. Everything else it reads as
# bytes, so odd input does not end it in other ways: it is a target for
# `fake-smtpd fuzz --auth`, whose findings must name exactly this crash.
# Options: --limit N (the buffer size, default 100); --hang (the overrun
# loses the request instead: it is never answered); --fixed (the bug fixed:
# a longer name is refused with FAIL, as crashy_auth_helper_fixed.py runs it).
import base64
import binascii
import os
import signal
import sys

limit = 100
if "--limit" in sys.argv:
    limit = int(sys.argv[sys.argv.index("--limit") + 1])
fixed = "--fixed" in sys.argv
hang = "--hang" in sys.argv
rd = sys.stdin.buffer
wr = sys.stdout.buffer


def send(line):
    wr.write(line + b"\n")
    wr.flush()


def check_user(user):
    if len(user) > limit:
        if fixed:
            return False
        if hang:
            return None
        # char name[100]; strcpy(name, user);
        os.kill(os.getpid(), signal.SIGSEGV)
    return True


def decode(data):
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        return None


send(b"VERSION\t1\t2")
send(b"MECH\tPLAIN\tplaintext")
send(b"MECH\tLOGIN\tplaintext")
send(b"SPID\t%d" % os.getpid())
send(b"CUID\t1")
send(b"COOKIE\t" + b"0" * 32)
send(b"DONE")

pending = {}  # id -> ("LOGIN", user or None) / ("PLAIN",)


def verdict(rid, user, password):
    ok = check_user(user)
    if ok is None:
        return
    if not ok:
        send(b"FAIL\t" + rid + b"\treason=User name too long")
    elif user == b"test1" and password == b"pass1":
        send(b"OK\t" + rid + b"\tuser=test1")
    else:
        send(b"FAIL\t" + rid + b"\tuser=" + user.replace(b"\t", b"").replace(b"\n", b""))


def plain(rid, data):
    raw = decode(data)
    if raw is None:
        send(b"FAIL\t" + rid + b"\treason=Invalid base64 data")
        return
    parts = raw.split(b"\0")
    if len(parts) != 3:
        send(b"FAIL\t" + rid + b"\treason=Invalid PLAIN response")
        return
    verdict(rid, parts[1], parts[2])


for raw in rd:
    fields = raw.rstrip(b"\n").split(b"\t")
    if fields[0] == b"AUTH" and len(fields) >= 3:
        rid, mech = fields[1], fields[2].upper()
        resp = None
        for f in fields[3:]:
            if f.startswith(b"resp="):
                resp = f[5:]
        if mech == b"PLAIN":
            if resp is None:
                pending[rid] = ("PLAIN",)
                send(b"CONT\t" + rid + b"\t")
            else:
                plain(rid, resp)
        elif mech == b"LOGIN":
            pending[rid] = ("LOGIN", None)
            send(b"CONT\t" + rid + b"\tVXNlcm5hbWU6")
        else:
            send(b"FAIL\t" + rid + b"\treason=Unsupported authentication mechanism")
    elif fields[0] == b"CONT" and len(fields) >= 2:
        rid = fields[1]
        data = fields[2] if len(fields) > 2 else b""
        state = pending.pop(rid, None)
        if state is None:
            send(b"FAIL\t" + rid + b"\treason=Authentication request timed out")
        elif state[0] == "PLAIN":
            plain(rid, data)
        elif state[1] is None:
            user = decode(data)
            if user is None:
                send(b"FAIL\t" + rid + b"\treason=Invalid base64 data")
                continue
            pending[rid] = ("LOGIN", user)
            send(b"CONT\t" + rid + b"\tUGFzc3dvcmQ6")
        else:
            password = decode(data)
            if password is None:
                send(b"FAIL\t" + rid + b"\treason=Invalid base64 data")
                continue
            verdict(rid, state[1], password)
