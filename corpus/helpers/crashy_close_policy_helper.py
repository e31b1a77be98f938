#!/usr/bin/python3
# crashy_close_policy_helper.py - a deliberately broken Postfix SMTPD policy
# service that closes the connection without a reply, as a packaged service
# did that decoded each request as UTF-8: a value that is not UTF-8 (Postfix
# passes 8-bit bytes from the SMTP session as they are) ends the connection,
# silently and with exit status 0, where Postfix waits for the action. It
# answers everything else with action=DUNNO, and never dies by a signal.
# Modes: spawn style (stdin/stdout, the process ends with the connection),
# or a daemon on a UNIX socket with --listen PATH (one connection at a time;
# with --die the whole daemon exits instead, so that it stops accepting
# connections). --fixed: the bug fixed, values are read as bytes and the
# request is answered (crashy_close_policy_helper_fixed.py runs it so).
import os
import socket
import sys

fixed = "--fixed" in sys.argv
die = "--die" in sys.argv


def serve(rd, wr):
    """one connection: True when it ended on a value that is not UTF-8"""
    for raw in rd:
        line = raw.rstrip(b"\n")
        if line == b"":
            wr.write(b"action=DUNNO\n\n")
            wr.flush()
            continue
        if not fixed:
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                return True
    return False


if "--listen" in sys.argv:
    path = sys.argv[sys.argv.index("--listen") + 1]
    if os.path.exists(path):
        os.unlink(path)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(16)
    while True:
        conn, _ = srv.accept()
        try:
            with conn, conn.makefile("rb") as rd, conn.makefile("wb") as wr:
                bad = serve(rd, wr)
        except (BrokenPipeError, ConnectionResetError):
            bad = False
        if bad and die:
            srv.close()
            os.unlink(path)
            sys.exit(0)
else:
    serve(sys.stdin.buffer, sys.stdout.buffer)
