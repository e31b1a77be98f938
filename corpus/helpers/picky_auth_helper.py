#!/usr/bin/python3
# picky_auth_helper.py - a Dovecot-protocol auth helper for master.cf spawn
# (one connection on stdin/stdout), written the way a first attempt often
# is: PLAIN works with an initial response and the right password, but
#   - AUTH PLAIN without an initial response is refused (no empty CONT),
#   - the mechanism name is compared case-sensitively ("plain" fails),
#   - FAIL says why: "Unknown user" or "Password mismatch".
# Three failures `fake-smtpd check --auth` reports, each one real Postfix
# shows the SMTP client the same way. Account test1 / pass1.
import base64
import os
import sys

USERS = {"test1": "pass1"}
out = sys.stdout.buffer


def send(line):
    out.write(line.encode() + b"\n")
    out.flush()


def fail(rid, reason):
    send("FAIL\t%s\treason=%s" % (rid, reason))


def auth(fields):
    rid, mech = fields[1], fields[2]
    resp = None
    for f in fields[3:]:
        if f.startswith("resp="):
            resp = f[5:]
    if mech != "PLAIN":
        return fail(rid, "Unsupported mechanism")
    if resp is None:
        return fail(rid, "Initial response required")
    try:
        _, user, password = base64.b64decode(resp, validate=True).split(b"\0")
        user, password = user.decode(), password.decode()
    except ValueError:
        return fail(rid, "Invalid base64 data")
    if user not in USERS:
        return fail(rid, "Unknown user")
    if USERS[user] != password:
        return fail(rid, "Password mismatch")
    send("OK\t%s\tuser=%s" % (rid, user))


def main():
    send("\n".join(["VERSION\t1\t2", "MECH\tPLAIN\tplaintext", "SPID\t%d" % os.getpid(),
                     "CUID\t1", "COOKIE\t" + "0" * 32, "DONE"]))
    for raw in sys.stdin.buffer:
        fields = raw.decode(errors="replace").rstrip("\n").split("\t")
        if fields[0] == "AUTH" and len(fields) >= 3:
            auth(fields)
        elif fields[0] == "CONT" and len(fields) >= 2:
            fail(fields[1], "Unexpected continuation")


main()
