#!/usr/bin/python3
# naive_policy.py - a Postfix SMTPD policy service for master.cf spawn (one
# connection on stdin/stdout) with three mistakes `fake-smtpd check --policy`
# reports, each one real Postfix shows the SMTP client the same way:
#   - at RCPT it answers a local client "action=ALLOW", a word Postfix does
#     not know (451 4.3.5 Server configuration error);
#   - it builds an SQL-like query by pasting sender and helo_name into it,
#     so a quote in either grants access (OK) that the same value without
#     the quote does not get;
#   - every other client is rejected ("REJECT relaying denied").
import sys

inp, out = sys.stdin.buffer, sys.stdout.buffer


def decide(attrs):
    if attrs.get("protocol_state", "") != "RCPT":
        return "DUNNO"
    if "'" in attrs.get("sender", "") or "'" in attrs.get("helo_name", ""):
        return "OK"  # the quote ended the string in the query: access granted
    if not attrs.get("client_address", "").startswith("127."):
        return "REJECT relaying denied"
    return "ALLOW"


def main():
    attrs = {}
    for raw in inp:
        line = raw.decode("utf-8", errors="replace").rstrip("\n")
        if line:
            name, _, value = line.partition("=")
            attrs.setdefault(name, value)
            continue
        out.write(("action=%s\n\n" % decide(attrs)).encode())
        out.flush()
        attrs = {}


main()
