#!/usr/bin/python3
# unflushed_policy.py - a Postfix policy service for master.cf spawn, written
# the way a first try often is: it reads requests from stdin and print()s
# its answers. It never flushes. On a terminal that goes unnoticed (line
# buffering); under spawn(8) stdout is a socket, Python buffers it whole,
# and Postfix waits for a reply that never comes - unless the environment
# happens to hold PYTHONUNBUFFERED=1, which spawn(8) does not pass.
#
# Senders of the domain spam.example get REJECT, everything else DUNNO.
# Usage: unflushed_policy.py
import sys

attrs = {}
for line in sys.stdin:
    line = line.rstrip("\n")
    if line:
        name, _, value = line.partition("=")
        attrs.setdefault(name, value)
        continue
    if attrs.get("sender", "").lower().endswith("@spam.example"):
        print("action=REJECT sender not accepted\n")
    else:
        print("action=DUNNO\n")
    attrs = {}
