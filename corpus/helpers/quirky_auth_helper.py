#!/usr/bin/python3
# quirky_auth_helper.py - a Dovecot-protocol auth helper for master.cf spawn
# (one connection on stdin/stdout) that works, except for the quirks named
# with --mode, each one a thing `fake-smtpd check --auth` must catch:
#
#   slow-handshake  each handshake line comes 0.1 s after the previous one
#   version-text    VERSION<TAB>one<TAB>two (not numbers)
#   mech-dups       MECH PLAIN twice, an empty MECH name, a name with a space
#   mech-no-flags   MECH PLAIN without the plaintext flag
#   one-write       2.4 style: MECH..DONE only after the client's VERSION, and
#                   VERSION and CPID must arrive in one read, else it exits
#   cpid-crash      dies by SIGSEGV when CPID is not a positive number
#   close-on-cont   exits when a CONT arrives
#   idle-close      exits after 0.3 s without input once the handshake is done
#   ok-empty-user   OK <id> user=
#   ok-nologin      OK <id> user=test1 nologin proxy host=192.0.2.1
#   ok-resp         OK <id> user=test1 resp=<base64> (final data)
#   reason-odd      FAIL reasons with a \001 escape and a byte 0xff
#   reason-long     FAIL reasons of 600 bytes
#   leaky           FAIL reason "Unknown user" or "Password mismatch"
#   cont-no-data    challenges as CONT<TAB><id> with no data field
#   cont-extra      challenges as CONT<TAB><id><TAB><TAB>extra=1
#   id-hex          reply ids written as 0x<hex>
#   unknown-words   every request is answered with CANCELLED and NOTFOUND only
#   crlf-replies    replies (not the handshake) end in CR LF
#   exit-after-done exits as soon as the handshake is out
#
# Mechanism PLAIN (initial response, or an empty CONT first), account
# test1 / pass1, several pending requests at once, CONT for an unknown id
# answered "Authentication request timed out". Usage:
#   quirky_auth_helper.py [--mode M[,M...]]
import base64
import binascii
import os
import select
import signal
import sys
import time

modes = set()
if "--mode" in sys.argv:
    modes = set(sys.argv[sys.argv.index("--mode") + 1].split(","))


def send_raw(data):
    os.write(1, data)


def send(line):
    send_raw(line + b"\n")


def reply(line):
    send_raw(line + (b"\r\n" if "crlf-replies" in modes else b"\n"))


def rid_text(rid):
    return (b"0x%x" % int(rid)) if "id-hex" in modes else rid


def handshake():
    lines = [b"VERSION\tone\ttwo" if "version-text" in modes else b"VERSION\t1\t2"]
    if "mech-dups" in modes:
        lines += [b"MECH\tPLAIN\tplaintext", b"MECH\tPLAIN\tplaintext", b"MECH\t",
                  b"MECH\tX Y\tplaintext"]
    elif "mech-no-flags" in modes:
        lines.append(b"MECH\tPLAIN")
    else:
        lines.append(b"MECH\tPLAIN\tplaintext")
    lines += [b"SPID\t%d" % os.getpid(), b"CUID\t1", b"COOKIE\t" + b"0" * 32, b"DONE"]
    return lines


def finish(rid, data):
    """PLAIN message data for request rid: OK or FAIL"""
    parts = data.split(b"\0")
    user = parts[1] if len(parts) == 3 else b""
    good = len(parts) == 3 and user == b"test1" and parts[2] == b"pass1"
    r = rid_text(rid)
    if "unknown-words" in modes:
        reply(b"CANCELLED\t" + rid)
        reply(b"NOTFOUND\t" + rid)
        return
    if good:
        if "ok-empty-user" in modes:
            reply(b"OK\t" + r + b"\tuser=")
        elif "ok-nologin" in modes:
            reply(b"OK\t" + r + b"\tuser=test1\tnologin\tproxy\thost=192.0.2.1")
        elif "ok-resp" in modes:
            reply(b"OK\t" + r + b"\tuser=test1\tresp=" + base64.b64encode(b"v=final"))
        else:
            reply(b"OK\t" + r + b"\tuser=test1")
        return
    shown = user.replace(b"\t", b"\x01t").replace(b"\n", b"\x01n")
    line = b"FAIL\t" + r + b"\tuser=" + shown
    if "reason-odd" in modes:
        line += b"\treason=Auth\x01tfailed \xff"
    elif "reason-long" in modes:
        line += b"\treason=" + b"x" * 600
    elif "leaky" in modes:
        line += b"\treason=" + (b"Password mismatch" if user == b"test1" else b"Unknown user")
    reply(line)


def challenge(rid):
    r = rid_text(rid)
    if "unknown-words" in modes:
        reply(b"CANCELLED\t" + rid)
    elif "cont-no-data" in modes:
        reply(b"CONT\t" + r)
    elif "cont-extra" in modes:
        reply(b"CONT\t" + r + b"\t\textra=1")
    else:
        reply(b"CONT\t" + r + b"\t")


def decode(b64):
    try:
        return base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError):
        return None


def command(line, pending):
    f = line.split(b"\t")
    if f[0] == b"CPID":
        if "cpid-crash" in modes and (len(f) < 2 or not f[1].isdigit() or int(f[1]) == 0):
            os.kill(os.getpid(), signal.SIGSEGV)
        return
    if f[0] == b"AUTH" and len(f) >= 3:
        rid = f[1]
        resp = None
        for p in f[3:]:
            if p.startswith(b"resp="):
                resp = p[5:]
        if resp is None:
            pending[rid] = True
            challenge(rid)
            return
        data = decode(resp)
        if data is None:
            reply(b"FAIL\t" + rid_text(rid) +
                  b"\tcode=invalid_base64\treason=Invalid base64 data in initial response")
        else:
            finish(rid, data)
    elif f[0] == b"CONT" and len(f) >= 2:
        if "close-on-cont" in modes:
            sys.exit(0)
        rid = f[1]
        if rid not in pending:
            reply(b"FAIL\t" + rid_text(rid) + b"\treason=Authentication request timed out")
            return
        del pending[rid]
        data = decode(f[2] if len(f) > 2 else b"")
        if data is None:
            reply(b"FAIL\t" + rid_text(rid) +
                  b"\tcode=invalid_base64\treason=Invalid base64 data in continued response")
        else:
            finish(rid, data)


def main():
    buf = b""
    if "one-write" in modes:
        send(b"VERSION\t1\t3")
        buf = os.read(0, 65536)
        if b"\nCPID\t" not in buf:
            sys.exit(1)
        for line in handshake()[1:]:
            send(line)
    else:
        for line in handshake():
            if "slow-handshake" in modes:
                time.sleep(0.1)
            send(line)
    if "exit-after-done" in modes:
        sys.exit(0)
    pending = {}
    while True:
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            command(line, pending)
        if "idle-close" in modes:
            ready, _, _ = select.select([0], [], [], 0.3)
            if not ready:
                sys.exit(0)
        data = os.read(0, 65536)
        if not data:
            return
        buf += data


main()
