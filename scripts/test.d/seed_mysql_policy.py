#!/usr/bin/python3
"""seed_mysql_policy.py - the seed's policy service as it was, ported to
Python 3 with its defects kept, for tests only: one connection on
stdin/stdout (master.cf spawn), the allowed network of a user read from a
MariaDB table access(user, network) with SQL built by string formatting
(the user name pasted between quotes) and only the first row used.
fake-smtpd check --policy must catch it (POLICY-INJ-001).

Usage: seed_mysql_policy.py SOCKET DB   (the mariadb client over SOCKET,
as the database superuser of scripts/mariadb-private)
"""
import getpass
import ipaddress
import subprocess
import sys

sock, db = sys.argv[1], sys.argv[2]


def first_network(user):
    sql = "SELECT network FROM access WHERE user = '%s' LIMIT 1" % user	# the defect
    r = subprocess.run(["mariadb", "--no-defaults", "--socket=" + sock, "-u", getpass.getuser(),
                        "-N", "-B", db, "-e", sql], capture_output=True, text=True)
    rows = r.stdout.splitlines()
    return rows[0].strip() if rows else None


def decide(attrs):
    user = attrs.get("sasl_username", "")
    if not user:
        return "DUNNO"
    net = first_network(user)
    if net is None:
        return "REJECT user %s may not relay" % user
    try:
        addr = ipaddress.ip_address(attrs.get("client_address", ""))
        if addr in ipaddress.ip_network(net, strict=False):
            return "DUNNO"
    except ValueError:
        return "REJECT unknown client address"
    return "REJECT user %s may not send from %s" % (user, addr)


attrs = {}
for raw in sys.stdin:
    line = raw.rstrip("\n")
    if line == "":
        sys.stdout.write("action=" + decide(attrs) + "\n\n")
        sys.stdout.flush()
        attrs = {}
        continue
    name, sep, value = line.partition("=")
    if sep:
        attrs.setdefault(name, value)
