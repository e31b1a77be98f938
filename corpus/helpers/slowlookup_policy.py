#!/usr/bin/python3
# slowlookup_policy.py - a Postfix policy service for master.cf spawn that
# asks a slow backend (a DNS blocklist or a database without a timeout,
# say) for every request before it answers: each answer comes after
# --delay seconds (default 2.5). Postfix waits up to 100 s, so each
# request passes; but a conformance run of a few hundred requests takes
# many minutes unless it is bounded.
#
# Senders of the domain spam.example get REJECT, everything else DUNNO.
# Usage: slowlookup_policy.py [--delay SECONDS]
import sys
import time

delay = 2.5
if "--delay" in sys.argv:
    delay = float(sys.argv[sys.argv.index("--delay") + 1])

attrs = {}
for line in sys.stdin:
    line = line.rstrip("\n")
    if line:
        name, _, value = line.partition("=")
        attrs.setdefault(name, value)
        continue
    time.sleep(delay)
    spam = attrs.get("sender", "").lower().endswith("@spam.example")
    sys.stdout.write("action=REJECT sender not accepted\n\n" if spam else "action=DUNNO\n\n")
    sys.stdout.flush()
    attrs = {}
