#!/usr/bin/python3
# seed_policy_helper.py - a Postfix SMTPD policy service in the style people
# write for master.cf spawn: one connection on stdin/stdout, requests of
# name=value lines ended by an empty line, answered with action=... and an
# empty line, the connection kept open. It implements the second seed
# scenario: a per-user network restriction on relaying. An authenticated
# user may send only from the networks listed for it; mail without SASL
# authentication is not this policy's business (DUNNO).
#   test1: 127.0.0.0/8, 192.0.2.0/24
# Options: --crlf (answers with CRLF line ends, a common bug),
#          --close-after-reply (closes after each answer).
import ipaddress
import sys

ALLOWED = {"test1": ["127.0.0.0/8", "192.0.2.0/24"]}
crlf = "--crlf" in sys.argv
close_after = "--close-after-reply" in sys.argv
eol = "\r\n" if crlf else "\n"


def decide(attrs):
    user = attrs.get("sasl_username", "")
    if not user:
        return "DUNNO"
    nets = ALLOWED.get(user)
    if nets is None:
        return "REJECT user %s may not relay" % user
    try:
        addr = ipaddress.ip_address(attrs.get("client_address", ""))
    except ValueError:
        return "REJECT unknown client address"
    for n in nets:
        if addr in ipaddress.ip_network(n):
            return "DUNNO"
    return "REJECT user %s may not send from %s" % (user, addr)


attrs = {}
for raw in sys.stdin:
    line = raw.rstrip("\n")
    if line == "":
        sys.stdout.write("action=" + decide(attrs) + eol + eol)
        sys.stdout.flush()
        attrs = {}
        if close_after:
            break
        continue
    name, sep, value = line.partition("=")
    if sep:
        attrs.setdefault(name, value)
