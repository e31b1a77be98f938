#!/usr/bin/python3
"""userdb_differential - the same auth-userdb exchanges against ref-authd's
userdb: socket and a real Dovecot's auth-userdb (same passwd-file); the
replies must agree.

Usage: userdb_differential.py REF_SOCKET DOVECOT_SOCKET PROTOCOL [MINOR]
PROTOCOL is the request parameter naming the service: "service" (Dovecot
2.3) or "protocol" (2.4). MINOR names a handshake minor version of this
Dovecot that ref-authd does not send (4 for Dovecot 2.4.4 and later, whose
"VERSION 1 4" ref-authd's 2.4 mode answers as 2.4.0-2.4.3 do, "VERSION 1
3"): an exchange that differs in that alone agrees, and the difference is
reported once as a known gap (a last line "N passed, N failed, 1 skipped"). Each exchange is one connection: the client
lines are written (a list of several is written at once, pipelined), the
replies read until the server closes or is quiet for 0.4 s. Compared: every
reply line, the handshake included (the SPID value as <pid>), and whether
the server closed the connection. Prints one line per exchange and
"N passed, N failed".
"""
import socket
import sys
import time

V = "VERSION\t1\t0\n"


def exchanges(proto):
    """(name, bytes to send) in order"""
    s = "\t%s=lmtp" % proto
    user = lambda i, u: "USER\t%d\t%s%s\n" % (i, u, s)
    long_user = "u" * (1023 - len("USER\t1\t" + s))
    return [
        ("known user: uid, gid, home, userdb_ fields", V + user(1, "alice")),
        ("upper-case name is lowercased", V + user(2, "ALICE")),
        ("unknown user", V + user(3, "nobody-here")),
        ("line ends before the uid column", V + user(4, "bare")),
        ("line ends before the gid column", V + user(5, "nouid")),
        ("empty uid and gid columns", V + user(6, "empty")),
        ("uid 0", V + user(7, "rootuid")),
        ("uid and gid as names", V + user(8, "named")),
        ("userdb_uid as a name that does not exist", V + user(9, "badname")),
        (":protected, :remove, system_user", V + user(10, "sys")),
        ("userdb_tempfail", V + user(11, "tf")),
        ("tab and escape in a value", V + user(12, "tabbed")),
        (":default (2.4's :protected)", V + user(18, "dflt")),
        ("name with a space", V + user(13, "al ice")),
        ("name with a slash", V + user(14, "a/b")),
        ("empty name", V + user(15, "")),
        ("escaped name", V + user(16, "ali\x01ce")),
        ("name cut at an escaped NUL", V + user(17, "alice\x010x")),
        ("three pipelined requests", V + user(21, "alice") + user(22, "nobody-here") +
         user(23, "empty")),
        ("id 4294967295", V + user(4294967295, "alice")),
        ("id 4294967296", V + user(4294967296, "alice")),
        ("id not a number", V + "USER\tx\talice%s\n" % s),
        ("no user field", V + "USER\t1\n"),
        ("bare USER", V + "USER\n"),
        ("no service or protocol", V + "USER\t1\talice\n"),
        ("other parameters before the service", V + "USER\t1\talice\trip=192.0.2.1\tx%s\n" % s),
        ("unknown command", V + "HELLO\t1\n"),
        ("lower-case command", V + "user\t1\talice%s\n" % s),
        ("REQUEST on a userdb socket", V + "REQUEST\t1\t2\t3\t00\n"),
        ("CPID on a userdb socket", V + "CPID\t1\n"),
        ("empty line", V + "\n"),
        ("CRLF line ends", (V + user(1, "alice")).replace("\n", "\r\n")),
        ("request before VERSION", user(1, "alice")),
        ("VERSION major 2", "VERSION\t2\t0\n" + user(1, "alice")),
        ("VERSION without a minor", "VERSION\t1\n" + user(1, "alice")),
        ("VERSION with extra fields", "VERSION\t1\t0\tx\n" + user(1, "alice")),
        ("longest line (1023 bytes)", V + "USER\t1\t" + long_user + s + "\n"),
        ("a line of 1024 bytes", V + "USER\t1\t" + long_user + "u" + s + "\n"),
    ]


def converse(path, data):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(path)
    sock.sendall(data.encode("latin-1"))
    sock.settimeout(0.4)
    buf, closed = b"", False
    deadline = time.time() + 5
    while time.time() < deadline:
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            break
        except ConnectionResetError:
            closed = True
            break
        if not chunk:
            closed = True
            break
        buf += chunk
    sock.close()
    lines = buf.decode("latin-1").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    out = []
    for ln in lines:
        if ln.startswith("SPID\t"):
            ln = "SPID\t<pid>"
        out.append(ln.replace("\t", "\\t").replace("\x01", "\\001"))
    return out, closed


def main():
    ref, dov, proto = sys.argv[1], sys.argv[2], sys.argv[3]
    gap = "VERSION\\t1\\t%s" % sys.argv[4] if len(sys.argv) > 4 else None
    passed = failed = gaps = 0
    for name, data in exchanges(proto):
        r = converse(ref, data)
        d = converse(dov, data)
        if gap and d[0][:1] == [gap] and r[0][:1] == ["VERSION\\t1\\t3"]:
            d = (r[0][:1] + d[0][1:], d[1])
            gaps = 1
        if r == d:
            passed += 1
            print("ok   - %s: %s%s" % (name, " | ".join(r[0][2:]) or "(no reply)",
                                      " (closed)" if r[1] else ""))
        else:
            failed += 1
            print("FAIL - %s\n   ref-authd: %s closed=%s\n   dovecot:   %s closed=%s" %
                  (name, r[0], r[1], d[0], d[1]))
    if gaps:
        print("known gap of ref-authd's 2.4 mode: Dovecot says %s, ref-authd VERSION\\t1\\t3"
              % gap)
        print("%d passed, %d failed, 1 skipped" % (passed, failed))
    else:
        print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
