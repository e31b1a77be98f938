#!/usr/bin/python3
# auth_fault_proxy.py - a Dovecot-protocol auth helper with one deliberate
# bug, for showing that each data check of corpus/conformance/auth can fail.
# It runs a working helper (normally `ref-authd ... spawn`) as a child and
# relays lines between it and its own stdin/stdout (spawn style), changing
# them where the chosen fault says so.
#
# usage: auth_fault_proxy.py FAULT COMMAND [ARGS...]
#
# Faults (the check each one breaks):
#   ipv6-refused          FAIL for lip=/rip= holding ':'          AUTH-REQ-101
#   empty-addr-refused    FAIL for an empty lip= or rip=          AUTH-REQ-102
#   mech-case             FAIL unless the mechanism is upper case AUTH-REQ-103
#   unknown-param         disconnect on a parameter it does not know AUTH-REQ-104
#   short-line            lines cut at 1024 bytes, the rest sent as a new line
#                                                        AUTH-REQ-105, AUTH-CONT-104
#   one-line-per-read     only the first line of each read() is used AUTH-REQ-106
#   signed-id             FAIL for ids above 2^31-1               AUTH-ID-101
#   id-from-one           FAIL unless a connection's first id is 1 AUTH-ID-102
#   lenient-b64           unpadded resp= is padded before use     AUTH-B64-101
#   b64-cont-disconnect   disconnect on a CONT that is not valid base64 AUTH-B64-102
#   plain-empty-ok        OK (empty user) for PLAIN resp==        AUTH-MECH-101
#   login-empty-resp      FAIL for LOGIN resp==                   AUTH-MECH-102
#   plain-noresp-fail     FAIL for PLAIN without resp=            AUTH-MECH-103
#   login-prompts         "User Name" instead of "Username:"      AUTH-MECH-104
#   login-initial-ignored resp= of LOGIN dropped (prompts Username:) AUTH-MECH-105
#   cram-challenge        the challenge without its closing '>'   AUTH-MECH-106
#   scram-ok-resp         server-final sent as OK ... resp=       AUTH-MECH-107/108
#   cont-after-done-disconnect  disconnect on a CONT for a finished id AUTH-CONT-101
#   cont-unknown-ignored  no answer to a CONT for an id never seen AUTH-CONT-102
#   cont-empty-disconnect disconnect on a CONT with empty data    AUTH-CONT-103
#   unescape              \001t and \001n in replies sent raw     AUTH-REP-101/102
#   handshake-one-read    one read() first, then the handshake; disconnect
#                         unless VERSION and CPID came in it     AUTH-HANDSHAKE-101
#   wait-cpid             no handshake lines before the client's CPID AUTH-HANDSHAKE-101
import base64
import binascii
import os
import subprocess
import sys
import threading

fault = sys.argv[1]
child = subprocess.Popen(sys.argv[2:], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
out_lock = threading.Lock()
in_lock = threading.Lock()
first_read = threading.Event()
state = {"cpid": False, "held": [], "finished": set(), "seen": set(), "first_id": None,
         "scram": {}}
KNOWN = {"service", "nologin", "lip", "rip", "secured", "resp", "session", "lport", "rport",
         "no-penalty", "debug"}


def to_client(line):
    with out_lock:
        os.write(1, line + b"\n")


def to_server(line):
    with in_lock:
        child.stdin.write(line + b"\n")
        child.stdin.flush()


def bye():
    child.kill()
    child.wait()
    os._exit(0)


def strict_b64(s):
    try:
        base64.b64decode(s, validate=True)
        return len(s) % 4 == 0
    except (binascii.Error, ValueError):
        return False


def params(fields):
    d = {}
    for f in fields[3:]:
        k, _, v = f.partition(b"=")
        d[k.decode("latin-1")] = v
    return d


def client_line(line):
    f = line.split(b"\t")
    if f[0] == b"CPID":
        state["cpid"] = True
        if fault == "wait-cpid":
            for h in state["held"]:
                to_client(h)
            state["held"] = []
    if f[0] == b"AUTH" and len(f) >= 3:
        rid, mech, p = f[1], f[2], params(f)
        state["seen"].add(rid)
        if state["first_id"] is None:
            state["first_id"] = rid
        no = b"FAIL\t" + rid + b"\treason=refused by fault " + fault.encode()
        if fault == "ipv6-refused" and (b":" in p.get("lip", b"") or b":" in p.get("rip", b"")):
            return to_client(no)
        if fault == "empty-addr-refused" and (p.get("lip") == b"" or p.get("rip") == b""):
            return to_client(no)
        if fault == "mech-case" and mech != mech.upper():
            return to_client(no)
        if fault == "unknown-param" and any(k not in KNOWN for k in p):
            bye()
        if fault == "signed-id" and int(rid) > 2147483647:
            return to_client(no)
        if fault == "id-from-one" and state["first_id"] != b"1":
            return to_client(no)
        if fault == "lenient-b64" and "resp" in p and p["resp"] != b"=" and len(p["resp"]) % 4:
            line = line + b"=" * (4 - len(p["resp"]) % 4)
        if fault == "plain-empty-ok" and mech.upper() == b"PLAIN" and p.get("resp") == b"=":
            return to_client(b"OK\t" + rid + b"\tuser=")
        if fault == "login-empty-resp" and mech.upper() == b"LOGIN" and p.get("resp") == b"=":
            return to_client(no)
        if fault == "plain-noresp-fail" and mech.upper() == b"PLAIN" and "resp" not in p:
            return to_client(no)
        if fault == "login-initial-ignored" and mech.upper() == b"LOGIN" and p.get("resp", b"=") != b"=":
            line = b"\t".join(x for x in f if not x.startswith(b"resp="))
    if f[0] == b"CONT" and len(f) >= 2:
        rid, data = f[1], f[2] if len(f) > 2 else b""
        if fault == "b64-cont-disconnect" and not strict_b64(data):
            bye()
        if fault == "cont-after-done-disconnect" and rid in state["finished"]:
            bye()
        if fault == "cont-unknown-ignored" and rid not in state["seen"]:
            return None
        if fault == "cont-empty-disconnect" and data == b"":
            bye()
    to_server(line)
    return None


def client_loop():
    buf = b""
    first = True
    while True:
        chunk = os.read(0, 65536)
        if not chunk:
            break
        if fault == "handshake-one-read" and first:
            if b"VERSION\t" not in chunk or b"CPID\t" not in chunk:
                bye()
        first = False
        first_read.set()
        buf += chunk
        lines = buf.split(b"\n")
        buf = lines.pop()
        if fault == "one-line-per-read":
            lines = lines[:1]
        for line in lines:
            if fault == "short-line" and len(line) > 1024:
                client_line(line[:1024])
                client_line(line[1024:])
            else:
                client_line(line)
    bye()


def server_line(line):
    f = line.split(b"\t")
    if f[0] in (b"OK", b"FAIL") and len(f) >= 2:
        state["finished"].add(f[1])
    if fault == "wait-cpid" and not state["cpid"]:
        state["held"].append(line)
        return
    if f[0] == b"CONT" and len(f) >= 3:
        try:
            chal = base64.b64decode(f[2], validate=True)
        except (binascii.Error, ValueError):
            chal = b""
        if fault == "login-prompts" and chal == b"Username:":
            line = b"CONT\t" + f[1] + b"\t" + base64.b64encode(b"User Name")
        if fault == "cram-challenge" and chal.startswith(b"<"):
            line = b"CONT\t" + f[1] + b"\t" + base64.b64encode(chal.rstrip(b">"))
        if fault == "scram-ok-resp" and chal.startswith(b"v="):
            state["scram"][f[1]] = f[2]
            to_server(b"CONT\t" + f[1] + b"\t")
            return
    if fault == "scram-ok-resp" and f[0] == b"OK" and f[1] in state["scram"]:
        line = line + b"\tresp=" + state["scram"].pop(f[1])
    if fault == "unescape":
        line = line.replace(b"\x01t", b"\t").replace(b"\x01n", b"\n")
    to_client(line)


def server_loop():
    if fault == "handshake-one-read":
        first_read.wait()
    for line in child.stdout:
        server_line(line.rstrip(b"\n"))
    os._exit(0)


threading.Thread(target=server_loop, daemon=True).start()
client_loop()
