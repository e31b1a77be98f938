#!/usr/bin/python3
# crashy_policy_helper.py - a deliberately broken Postfix SMTPD policy
# service in the style people write for master.cf spawn: one connection on
# stdin/stdout, requests of name=value lines ended by an empty line,
# answered with action=... and an empty line. It rejects mail from
# senders it does not like, and its bug: a sender longer than 100 bytes
# overruns a fixed buffer, which here is a SIGSEGV. Everything else it
# reads as bytes, so odd input does not end it in other ways: it is a
# target for `fake-smtpd fuzz --policy`.
# Options: --limit N (the buffer size, default 100); --fixed (the bug
# fixed: a longer sender is rejected, as crashy_policy_helper_fixed.py runs
# it).
import os
import signal
import sys

limit = 100
if "--limit" in sys.argv:
    limit = int(sys.argv[sys.argv.index("--limit") + 1])
fixed = "--fixed" in sys.argv
rd = sys.stdin.buffer
wr = sys.stdout.buffer

attrs = {}
for raw in rd:
    line = raw.rstrip(b"\n")
    if line == b"":
        sender = attrs.get(b"sender", b"")
        if len(sender) > limit and not fixed:
            # char buf[100]; strcpy(buf, sender);
            os.kill(os.getpid(), signal.SIGSEGV)
        if len(sender) > limit:
            action = b"REJECT sender address too long"
        elif sender.endswith(b"@spam.example"):
            action = b"REJECT sender not accepted"
        else:
            action = b"DUNNO"
        wr.write(b"action=" + action + b"\n\n")
        wr.flush()
        attrs = {}
        continue
    name, sep, value = line.partition(b"=")
    if sep:
        attrs.setdefault(name, value)
