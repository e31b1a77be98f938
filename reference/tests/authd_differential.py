#!/usr/bin/python3
"""authd_differential - the same exchanges against ref-authd and a real
Dovecot 2.3 auth server (same passwd-file); the outcomes must agree.

Usage: authd_differential.py REF_SOCKET DOVECOT_SOCKET
Compared per exchange: the reply lines (command, id and fields; SPID/CUID/
COOKIE values, CRAM-MD5 challenge contents are not compared) and whether the
server closed the connection. Failure timing is not compared: a server is
read until it has been quiet for 1.3 s, or for the exchange's time in QUIET
(Dovecot 2.4 answers an internal failure after 2 to 3 s). Prints one line
per exchange and "N passed, N failed".
"""
import base64
import hmac
import socket
import sys
import threading
import time

HS = "VERSION\t1\t0\nCPID\t4242\n"

# exchanges read longer than 1.3 s: 2.4's auth_internal_failure_delay (2 s, plus up to 50%)
QUIET = {"PLAIN against SCRAM stored under 4096 rounds": 3.5}


def b64(s):
    return base64.b64encode(s.encode()).decode()


class Scram:
    """A SCRAM client for one exchange (RFC 5802), with deliberate quirks:
    variant "ok" (empty answer to server-final), "junk-final" (a non-empty
    answer), "empty-cnonce", "odd-cnonce" (SP and 8-bit bytes), "nx-flag"
    (a two-byte gs2 flag)."""

    def __init__(self, mech, user, password, variant):
        self.hname = "sha256" if mech == "SCRAM-SHA-256" else "sha1"
        self.mech, self.user, self.pw, self.variant = mech, user, password, variant
        self.cnonce = {"empty-cnonce": b"", "odd-cnonce": b"a b\x80\xff~"}.get(variant, b"fyko+d2lbbFgONRv9qkxdawL")
        self.gs2 = b"nx,," if variant == "nx-flag" else b"n,,"
        self.bare = b"n=" + user.encode() + b",r=" + self.cnonce
        self.step = 0

    def first(self):
        return "AUTH\t1\t%s\tservice=smtp\tresp=%s" % (
            self.mech, base64.b64encode(self.gs2 + self.bare).decode())

    def answer(self, chal):
        import hashlib
        self.step += 1
        if self.step == 1:
            attrs = dict(a.split(b"=", 1) for a in chal.split(b","))
            salt = base64.b64decode(attrs[b"s"])
            salted = hashlib.pbkdf2_hmac(self.hname, self.pw.encode(), salt, int(attrs[b"i"]))
            ckey = hmac.new(salted, b"Client Key", self.hname).digest()
            stored = hashlib.new(self.hname, ckey).digest()
            without = b"c=" + base64.b64encode(self.gs2) + b",r=" + attrs[b"r"]
            am = self.bare + b"," + chal + b"," + without
            sig = hmac.new(stored, am, self.hname).digest()
            proof = bytes(a ^ b for a, b in zip(ckey, sig))
            return base64.b64encode(without + b",p=" + base64.b64encode(proof)).decode()
        return b64("x") if self.variant == "junk-final" else ""


def plain(user, password):
    return "AUTH\t1\tPLAIN\tservice=smtp\tresp=" + b64("\0" + user + "\0" + password)


ROWS = [
    ("PLAIN ok", ["AUTH\t1\tPLAIN\tservice=smtp\tnologin\tlip=127.0.0.1\trip=127.0.0.1\tresp=" + b64("\0alice\0secret")]),
    ("PLAIN wrong password", ["AUTH\t1\tPLAIN\tservice=smtp\tresp=" + b64("\0alice\0nope")]),
    ("PLAIN unknown user", ["AUTH\t1\tPLAIN\tservice=smtp\tresp=" + b64("\0nobody\0x")]),
    ("PLAIN authzid is authcid", ["AUTH\t1\tPLAIN\tservice=smtp\tresp=" + b64("alice\0alice\0secret")]),
    ("PLAIN three NULs", ["AUTH\t1\tPLAIN\tservice=smtp\tresp=" + b64("\0alice\0se\0cret")]),
    ("PLAIN without resp", ["AUTH\t1\tPLAIN\tservice=smtp"]),
    ("PLAIN then CONT", ["AUTH\t1\tPLAIN\tservice=smtp", "CONT\t1\t" + b64("\0alice\0secret")]),
    ("resp==", ["AUTH\t1\tPLAIN\tservice=smtp\tresp=="]),
    ("empty resp= (minor 0)", ["AUTH\t1\tPLAIN\tservice=smtp\tresp="]),
    ("unpadded base64", ["AUTH\t1\tPLAIN\tservice=smtp\tresp=AGFsaWNlAHNlY3JldA"]),
    ("base64 with a CR", ["AUTH\t1\tPLAIN\tservice=smtp\tresp=AGFsaWNlAHNlY3JldA==\r"]),
    ("LOGIN", ["AUTH\t1\tLOGIN\tservice=smtp", "CONT\t1\t" + b64("alice"), "CONT\t1\t" + b64("secret")]),
    ("LOGIN with initial response", ["AUTH\t1\tLOGIN\tservice=smtp\tresp=" + b64("alice"), "CONT\t1\t" + b64("secret")]),
    ("LOGIN wrong password", ["AUTH\t1\tLOGIN\tservice=smtp", "CONT\t1\t" + b64("alice"), "CONT\t1\t" + b64("x")]),
    ("LOGIN resp==", ["AUTH\t1\tLOGIN\tservice=smtp\tresp=="]),
    ("mechanism in lower case", ["AUTH\t1\tplain\tservice=smtp\tresp=" + b64("\0alice\0secret")]),
    ("unknown parameters", ["AUTH\t1\tPLAIN\tservice=smtp\tfoo=1\tbare\tsecured\tresp=" + b64("\0alice\0secret")]),
    ("big id", ["AUTH\t4294967295\tPLAIN\tservice=smtp\tresp=" + b64("\0alice\0secret")]),
    ("unknown id", ["CONT\t9\tAAAA"]),
    ("CONT after OK", ["AUTH\t1\tPLAIN\tservice=smtp\tresp=" + b64("\0alice\0secret"), "CONT\t1\tAAAA"]),
    ("invalid base64 in CONT", ["AUTH\t1\tLOGIN\tservice=smtp", "CONT\t1\t!!"]),
    ("two pending requests", ["AUTH\t1\tLOGIN\tservice=smtp", "AUTH\t2\tPLAIN\tservice=smtp\tresp=" + b64("\0alice\0secret")]),
    ("CANCEL then CONT", ["AUTH\t1\tLOGIN\tservice=smtp", "CANCEL\t1", "CONT\t1\t" + b64("alice")]),
    ("params after resp", ["AUTH\t1\tPLAIN\tservice=smtp\tresp=AAAA\tx=1"]),
    ("no service", ["AUTH\t1\tPLAIN\tresp=" + b64("\0alice\0secret")]),
    ("protocol= instead of service=", ["AUTH\t1\tPLAIN\tprotocol=smtp\tresp=" + b64("\0alice\0secret")]),
    ("unknown mechanism", ["AUTH\t1\tGSSAPI\tservice=smtp"]),
    ("id 0", ["AUTH\t0\tPLAIN\tservice=smtp"]),
    ("id not a number", ["AUTH\tx\tPLAIN\tservice=smtp"]),
    ("duplicate id", ["AUTH\t1\tLOGIN\tservice=smtp", "AUTH\t1\tLOGIN\tservice=smtp"]),
    ("CONT without data", ["AUTH\t1\tLOGIN\tservice=smtp", "CONT\t1"]),
    ("unknown command", ["HELLO"]),
    ("empty line", [""]),
    ("second VERSION", ["VERSION\t1\t0"]),
    # words without their TAB, one-number CANCEL, tab-escaped AUTH fields
    ("bare CONT", ["CONT"]),
    ("bare AUTH", ["AUTH"]),
    ("bare CANCEL", ["CANCEL"]),
    ("CONT TAB only", ["CONT\t"]),
    ("CANCEL with an extra field", ["CANCEL\t1\tx"]),
    ("CANCEL unknown id", ["CANCEL\t99", "AUTH\t1\tPLAIN\tservice=smtp\tresp=" + b64("\0alice\0secret")]),
    ("AUTH empty mechanism", ["AUTH\t1\t\tservice=smtp"]),
    ("AUTH id over 32 bits", ["AUTH\t4294967296\tPLAIN\tservice=smtp"]),
    ("escaped parameter name", ["AUTH\t1\tPLAIN\tserv\x01ice=smtp\tresp=" + b64("\0alice\0secret")]),
    ("escaped id", ["AUTH\t\x017\tPLAIN\tservice=smtp\tresp=" + b64("\0alice\0secret")]),
    ("escaped resp", ["AUTH\t1\tPLAIN\tservice=smtp\tresp=AGFsaWNl\x01AHNlY3JldA=="]),
    ("escaped NUL cuts a field", ["AUTH\t1\tPLAIN\tx\x010service=smtp"]),
    ("600 unknown parameters", ["AUTH\t1\tPLAIN\tservice=smtp" + "".join("\tx%d" % i for i in range(600)) +
                                "\tresp=" + b64("\0alice\0secret")]),
    ("10000 empty parameters", ["AUTH\t1\tPLAIN\tservice=smtp" + "\t" * 10000]),
    ("CRAM-MD5 right", "cram:bob:secret"),
    ("CRAM-MD5 wrong", "cram:bob:wrong"),
    # passwd-file extra fields in the replies (users added by 32-authd-vs-dovecot.sh)
    ("extra: visible fields", [plain("visible", "pw")]),
    ("extra: hidden fields only", [plain("hidden", "pw")]),
    ("extra: rename and a visible field", [plain("renamed", "pw")]),
    ("extra: rename only", [plain("renamedonly", "pw")]),
    ("extra: rename to the same name", [plain("samename", "pw")]),
    ("extra: username= keeps the domain", [plain("dom@example.com", "pw")]),
    ("extra: domain= adds a domain", [plain("adddom", "pw")]),
    ("extra: nopassword, any password", [plain("free", "whatever")]),
    ("extra: nopassword, empty password", [plain("freeshown", "")]),
    ("extra: nopassword ignored with a password", [plain("notfree", "other")]),
    ("extra: nopassword user, right password", [plain("notfree", "pw")]),
    ("extra: fail", [plain("failing", "pw")]),
    ("extra: fail after a rename", [plain("failren", "pw")]),
    ("extra: rename to empty", [plain("emptyren", "pw")]),
    ("extra: wrong password, fields rolled back", [plain("visible", "nope")]),
    ("extra: wrong password after a rename", [plain("renamed", "nope")]),
    ("extra: repeated field name", [plain("twice", "pw")]),
    ("extra: repeated user, second password", [plain("twice", "other")]),
    ("extra: user without password", [plain("bare", "")]),
    ("extra: LOGIN with a rename", ["AUTH\t1\tLOGIN\tservice=smtp", "CONT\t1\t" + b64("renamed"),
                                    "CONT\t1\t" + b64("pw")]),
    ("extra: CRAM-MD5 with a rename", "cram:cram:pw"),
    ("extra: CRAM-MD5 wrong, with a rename", "cram:cram:nope"),
    ("extra: CRAM-MD5 with fields", "cram:visible:pw"),
    ("extra: CRAM-MD5 fail", "cram:failing:pw"),
    ("extra: CRAM-MD5 wrong, hidden fields only", "cram:cramhidden:nope"),
    # SCRAM as Dovecot 2.3.19 takes it (SCRAM rows: Scram(...) drives the exchange)
    ("SCRAM-SHA-256 ok", Scram("SCRAM-SHA-256", "alice", "secret", "ok")),
    ("SCRAM-SHA-1 ok", Scram("SCRAM-SHA-1", "alice", "secret", "ok")),
    ("SCRAM-SHA-256 wrong password", Scram("SCRAM-SHA-256", "alice", "nope", "ok")),
    ("SCRAM answer after server-final", Scram("SCRAM-SHA-256", "alice", "secret", "junk-final")),
    ("SCRAM empty c-nonce", Scram("SCRAM-SHA-256", "alice", "secret", "empty-cnonce")),
    ("SCRAM c-nonce with SP and 8-bit", Scram("SCRAM-SHA-1", "alice", "secret", "odd-cnonce")),
    ("SCRAM two-byte gs2 flag", Scram("SCRAM-SHA-256", "alice", "secret", "nx-flag")),
    ("SCRAM with extra fields and a rename", Scram("SCRAM-SHA-256", "renamed", "pw", "ok")),
    ("SCRAM stored under 4096 rounds", Scram("SCRAM-SHA-256", "lowiter", "pw", "ok")),
    ("PLAIN against SCRAM stored under 4096 rounds", [plain("lowiter", "pw")]),
    ("PLAIN against SCRAM stored with 4096 rounds", [plain("scramok", "pw")]),
    ("SCRAM stored with 4096 rounds", Scram("SCRAM-SHA-256", "scramok", "pw", "ok")),
    ("SCRAM empty initial response", ["AUTH\t1\tSCRAM-SHA-256\tservice=smtp\tresp=="]),
    ("SCRAM no initial response", ["AUTH\t1\tSCRAM-SHA-256\tservice=smtp"]),
    ("SCRAM empty authzid", ["AUTH\t1\tSCRAM-SHA-256\tservice=smtp\tresp=" + b64("n,a=,n=alice,r=abc")]),
    ("SCRAM other authzid", ["AUTH\t1\tSCRAM-SHA-1\tservice=smtp\tresp=" + b64("n,a=bob,n=alice,r=abc")]),
    ("extra: CRAM-MD5 right, hidden fields only", "cram:cramhidden:pw"),
]
PRE = [
    ("AUTH before CPID", "VERSION\t1\t0\nAUTH\t1\tPLAIN\tservice=smtp\n"),
    ("CPID before VERSION", "CPID\t1\n"),
    ("CPID 0", "VERSION\t1\t0\nCPID\t0\n"),
    ("VERSION major 2", "VERSION\t2\t0\nCPID\t1\n"),
    ("VERSION three numbers", "VERSION\t1\t2\t3\nCPID\t1\n"),
    ("CPID with an extra field", "VERSION\t1\t0\nCPID\t5\tx\nAUTH\t1\tPLAIN\tservice=smtp\n"),
    ("CPID over 32 bits", "VERSION\t1\t0\nCPID\t4294967296\nAUTH\t1\tPLAIN\tservice=smtp\n"),
    ("bare CPID", "VERSION\t1\t0\nCPID\nAUTH\t1\tPLAIN\tservice=smtp\n"),
]


def converse(path, hello, lines, cram=None, scram=None, quiet=1.3):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.settimeout(0.2)
    data = b""
    s.sendall((hello + "".join(l + "\n" for l in lines)).encode())
    if cram:
        s.sendall("AUTH\t1\tCRAM-MD5\tservice=smtp\n".encode())
    if scram:
        scram = Scram(scram.mech, scram.user, scram.pw, scram.variant)	# fresh per server
        s.sendall((scram.first() + "\n").encode())
    answered = 0
    closed = False
    last = time.time()
    sent_cram = False
    while time.time() - last < quiet:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            chunk = None
        except OSError:
            closed = True
            break
        if chunk == b"":
            closed = True
            break
        if chunk:
            data += chunk
            last = time.time()
        if scram:
            conts = [l for l in data.decode(errors="replace").split("\n") if l.startswith("CONT\t1\t")]
            while answered < len(conts):
                chal = base64.b64decode(conts[answered].split("\t")[2])
                s.sendall(("CONT\t1\t" + scram.answer(chal) + "\n").encode())
                answered += 1
        if cram and not sent_cram:
            for l in data.decode(errors="replace").split("\n"):
                if l.startswith("CONT\t1\t"):
                    chal = base64.b64decode(l.split("\t")[2])
                    user, pw = cram
                    dig = hmac.new(pw.encode(), chal, "md5").hexdigest()
                    s.sendall(("CONT\t1\t" + b64(user + " " + dig) + "\n").encode())
                    sent_cram = True
    s.close()
    out = []
    for l in data.decode(errors="replace").split("\n"):
        if not l:
            continue
        f = l.split("\t")
        if f[0] in ("SPID", "CUID", "COOKIE"):
            f = f[:1]
        if f[0] == "CONT" and (cram or scram):
            f = f[:2] + ["<challenge>"]
        out.append("\t".join(f))
    # the handshake's MECH lines are compared as a set
    hs = sorted(x for x in out if x.startswith("MECH"))
    rest = [x for x in out if not x.startswith(("MECH", "VERSION", "SPID", "CUID", "COOKIE", "DONE"))]
    return hs, sorted(rest) if len(rest) > 1 else rest, closed


def main():
    ref, dov = sys.argv[1], sys.argv[2]
    jobs = []
    for name, lines in ROWS:
        if isinstance(lines, Scram):
            jobs.append((name, HS, [], None, lines))
        elif isinstance(lines, str):
            _, user, pw = lines.split(":")
            jobs.append((name, HS, [], (user, pw), None))
        else:
            jobs.append((name, HS, lines, None, None))
    for name, hello in PRE:
        jobs.append((name, hello, [], None, None))
    results = {}

    def run(job):
        name, hello, lines, cram, scram = job
        quiet = QUIET.get(name, 1.3)
        results[name] = (converse(ref, hello, lines, cram, scram, quiet),
                         converse(dov, hello, lines, cram, scram, quiet))

    threads = [threading.Thread(target=run, args=(j,)) for j in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    passed = failed = 0
    for name, *_ in jobs:
        (rh, rr, rc), (dh, dr, dc) = results[name]
        same = rr == dr and rc == dc and (rh == dh or name in dict(PRE))
        if same:
            passed += 1
            print("ok   - %s: %s%s" % (name, " | ".join(rr) or "(no reply)", " (closed)" if rc else ""))
        else:
            failed += 1
            print("FAIL - %s\n   ref-authd: %s closed=%s %s\n   dovecot:   %s closed=%s %s" %
                  (name, rr, rc, rh, dr, dc, dh))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
