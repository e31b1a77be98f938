#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""
NAME
    auth_script.py - an auth server that plays the same byte script on
    every connection

SYNOPSIS
    auth_script.py unix:PATH STEP...

DESCRIPTION
    Listens on PATH and, for each connection, runs the steps in order:
      send:TEXT   one write of TEXT (Python escapes: \\t, \\n, \\xHH);
                  {id} is the id of the last AUTH line read
      sleep:MS    wait MS milliseconds
      auth        read until a whole line starting with "AUTH<TAB>"
                  has arrived (its id is kept for {id})
      cont        the same for a line starting with "CONT<TAB>"
      close       close the connection
    After the last step the connection is read until the client closes
    it. Each send is one write(2), so what one send carries arrives in
    one read at the other end unless the reader is slower than the
    pause between sends. Every step is logged to stdout as
    "connection N: STEP".

DIAGNOSTICS
    Usage errors exit 2. A client that goes away ends its connection.
"""

import codecs
import os
import socket
import sys
import threading
import time

lock = threading.Lock()


def log(text):
    with lock:
        print(text, flush=True)


def run(conn, n, steps):
    buf, ident = b"", "0"
    try:
        for step in steps:
            kind, _, arg = step.partition(":")
            log("connection %d: %s" % (n, step))
            if kind == "send":
                text = codecs.decode(arg, "unicode_escape").replace("{id}", ident)
                conn.sendall(text.encode("latin-1"))
            elif kind == "sleep":
                time.sleep(int(arg) / 1000.0)
            elif kind in ("auth", "cont"):
                word = b"AUTH\t" if kind == "auth" else b"CONT\t"
                while True:
                    lines = buf.split(b"\n")
                    got = [ln for ln in lines[:-1] if ln.startswith(word)]
                    if got:
                        ident = got[0].split(b"\t")[1].decode("latin-1")
                        buf = b""
                        break
                    data = conn.recv(4096)
                    if not data:
                        return
                    buf += data
            elif kind == "close":
                return
        while conn.recv(4096):
            pass
    except OSError:
        pass
    finally:
        conn.close()


def main():
    if len(sys.argv) < 3 or not sys.argv[1].startswith("unix:"):
        sys.stderr.write("usage: auth_script.py unix:PATH STEP...\n")
        sys.exit(2)
    for step in sys.argv[2:]:
        if step.partition(":")[0] not in ("send", "sleep", "auth", "cont", "close"):
            sys.stderr.write("auth_script.py: unknown step %r\n" % step)
            sys.exit(2)
    path = sys.argv[1][5:]
    if os.path.exists(path):
        os.unlink(path)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    os.chmod(path, 0o666)
    srv.listen(16)
    n = 0
    while True:
        conn, _ = srv.accept()
        n += 1
        threading.Thread(target=run, args=(conn, n, sys.argv[2:]), daemon=True).start()


if __name__ == "__main__":
    main()
