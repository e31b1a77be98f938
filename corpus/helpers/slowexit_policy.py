#!/usr/bin/python3
"""slowexit_policy.py - a Postfix policy service for master.cf spawn whose
exit is slow, as every exit is on a loaded machine.

Requests on stdin, answers on stdout, each answered at once; clients of
192.0.2.0/24 get REJECT, the rest DUNNO. It parses client_address with
ipaddress, and a value that is no address (Postfix sends "unknown" for
sendmail -bs and XCLIENT) raises. Its error handler does what many do:
it closes the connection at once, saves its state (half a second), and
ends with abort(), the way a C extension's cleanup may crash.

Postfix sees the connection close without a reply, retries once, then
answers 451 4.3.5; spawn(8) logs the SIGABRT. The helper's end comes
half a second after its connection closed: the verdict must not depend
on when the process can be reaped.

Usage: slowexit_policy.py
"""
import ipaddress
import os
import sys
import time

BLOCKED = ipaddress.ip_network("192.0.2.0/24")


def answer(attrs):
    """the action for one request"""
    addr = ipaddress.ip_address(attrs.get("client_address", ""))
    return "REJECT client not accepted" if addr in BLOCKED else "DUNNO"


def main():
    attrs = {}
    for raw in sys.stdin.buffer:
        line = raw.rstrip(b"\n").decode("latin-1")
        if line:
            name, _, value = line.partition("=")
            attrs.setdefault(name, value)
            continue
        try:
            action = answer(attrs)
        except ValueError:
            for fd in (0, 1, 2):
                os.close(fd)
            time.sleep(0.5)
            os.abort()
        sys.stdout.write("action=%s\n\n" % action)
        sys.stdout.flush()
        attrs = {}


main()
