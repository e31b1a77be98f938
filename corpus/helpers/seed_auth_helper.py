#!/usr/bin/python3
# seed_auth_helper.py - a Dovecot-protocol auth helper in the style people
# write for master.cf spawn: one connection on stdin/stdout. Offers PLAIN
# (account test1 / pass1) and a custom mechanism X-TRUST that accepts the
# initial response as the user name (like the first seed document's helper).
# Options: --crash-on-auth (dies by SIGSEGV on the first AUTH),
#          --debug-to-stderr (prints debug lines on stderr, which spawn(8)
#          connects to the same socket).
import base64
import os
import signal
import sys

crash = "--crash-on-auth" in sys.argv
debug = "--debug-to-stderr" in sys.argv
out = sys.stdout


def send(line):
    out.write(line + "\n")
    out.flush()


send("VERSION\t1\t2")
send("MECH\tPLAIN\tplaintext")
send("MECH\tX-TRUST\tplaintext")
send("SPID\t%d" % os.getpid())
send("CUID\t1")
send("COOKIE\t" + "0" * 32)
send("DONE")
for raw in sys.stdin:
    fields = raw.rstrip("\n").split("\t")
    if debug:
        sys.stderr.write("debug: got %s\n" % fields[0])
        sys.stderr.flush()
    if fields[0] != "AUTH" or len(fields) < 3:
        continue
    if crash:
        os.kill(os.getpid(), signal.SIGSEGV)
    rid, mech = fields[1], fields[2].upper()
    resp = None
    for f in fields[3:]:
        if f.startswith("resp="):
            resp = f[5:]
    if resp is None:
        send("CONT\t%s\t" % rid)
        cont = sys.stdin.readline().rstrip("\n").split("\t")
        resp = cont[2] if len(cont) > 2 else ""
    try:
        data = base64.b64decode(resp, validate=True)
    except Exception:
        send("FAIL\t%s\tcode=invalid_base64\treason=Invalid base64 data in initial response" % rid)
        continue
    if mech == "X-TRUST":
        send("OK\t%s\tuser=%s" % (rid, data.decode("utf-8", "replace")))
    elif mech == "PLAIN":
        parts = data.split(b"\0")
        if len(parts) == 3 and parts[1] == b"test1" and parts[2] == b"pass1":
            send("OK\t%s\tuser=test1" % rid)
        else:
            send("FAIL\t%s\tuser=%s" % (rid, parts[1].decode("utf-8", "replace") if len(parts) > 1 else ""))
