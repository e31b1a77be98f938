"""authd_wire - a Dovecot auth client connection over a UNIX socket, for the
attack and probe scripts: connect(path) sends VERSION and CPID, reads the
server's handshake up to DONE and returns the socket and the bytes after it.
"""
import os
import socket


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.settimeout(30)
    s.sendall(b"VERSION\t1\t2\nCPID\t%d\n" % os.getpid())
    buf = b""
    while b"DONE\n" not in buf:
        data = s.recv(65536)
        if not data:
            raise OSError("closed during the handshake")
        buf += data
    return s, buf.split(b"DONE\n", 1)[1]
