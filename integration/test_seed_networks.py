# SPDX-License-Identifier: MIT
"""Seed scenario 2 through real Postfix: a per-user network restriction on
relaying. test1 authenticated from an allowed network may relay; from
another network RCPT gets the policy's REJECT text; without
authentication the policy says DUNNO and the next restriction answers
554 Relay access denied.

The client address is real: the test connects over TCP inside the
instance's network namespace from 127.0.0.1 (allowed) or from
198.51.100.7, an address added to the private loopback (not allowed).
The policy service is either the seed-style helper spawned by master.cf
(corpus/helpers/seed_policy_helper.py, test1 may use 127.0.0.0/8 and
192.0.2.0/24) or ref-policyd with its rule and its SQLite networks
(ref-policyd --create-sample-db: the same two networks for test1, none
for test2) over a UNIX socket, TCP on the private loopback, or spawned;
or ref-policyd with the seed's own store, a MariaDB access(user, network)
table (a private server from scripts/mariadb-private, the same rows)."""

import os
import re
import shutil
import subprocess

import pytest

import pfns
from conftest import TOP, write

SEED_POLICY = os.path.join(TOP, "corpus", "helpers", "seed_policy_helper.py")
OTHER = "198.51.100.7"
RULES = """\
rule user-network: at RCPT
\tsasl_username nonempty and client_address not in networks(sasl_username)
\t=> REJECT 5.7.1 not from your network
rule default: always => DUNNO
"""
# the REJECT text for (test1 from OTHER, test2 from 127.0.0.1)
TEXTS = {
    "seed-helper-spawn": ("user test1 may not send from %s" % OTHER, "user test2 may not relay"),
    "ref-policyd": ("not from your network", "not from your network"),
}
VARIANTS = ["seed-helper-spawn", "ref-policyd-unix", "ref-policyd-inet", "ref-policyd-spawn",
            "ref-policyd-mariadb"]
MARIADB_PRIVATE = os.path.join(TOP, "scripts", "mariadb-private")
MARIADB_ROWS = """CREATE DATABASE policy;
CREATE TABLE policy.access(user VARCHAR(255), network VARCHAR(64), INDEX(user));
INSERT INTO policy.access VALUES ('test1', '127.0.0.0/8'), ('test1', '192.0.2.0/24');
"""


def mariadb(request, root):
    """A private MariaDB with the seed's rows; its --db URL. Stopped at the end."""
    if shutil.which("mariadbd") is None:
        pytest.skip("mariadb-server is not installed (scripts/install-deps)")
    d = os.path.join(root, "mariadb")
    os.makedirs(d)
    r = subprocess.run([MARIADB_PRIVATE, "start", d], capture_output=True, text=True, timeout=120)
    request.addfinalizer(lambda: subprocess.run([MARIADB_PRIVATE, "stop", d], timeout=120))
    assert r.returncode == 0, r.stderr
    r = subprocess.run([MARIADB_PRIVATE, "sql", d], input=MARIADB_ROWS, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return "mysql:///policy?socket=%s/mysql.sock" % d


def networks_instance(start, bins, root, policy_master_line, policy_target, helpers=()):
    users = write(os.path.join(root, "users"), "test1:{PLAIN}pass1\ntest2:{PLAIN}pass2\n")
    sock = os.path.join(root, "authd.sock")
    authd = pfns.Helper("authd", [bins.ref_authd, "--passwd-file", users, "--failure-delay", "0",
                                  "--mode", "0666", "unix:" + sock], listen="unix:" + sock)
    return start(
        sasl_auth_enable="yes", sasl_path=sock,
        relay_restrictions="",
        recipient_restrictions="check_policy_service %s, permit_sasl_authenticated, "
                               "reject_unauth_destination" % policy_target,
        main_extra=["policy_time_limit = 3600"],
        master_extra=[policy_master_line] if policy_master_line else [],
        ns_commands=[["ip", "addr", "add", OTHER + "/32", "dev", "lo"]],
        helpers=[authd] + list(helpers))


@pytest.fixture(scope="module", params=VARIANTS)
def pf(request, module_postfix, module_workdir, bins):
    variant = request.param
    root = os.path.join(module_workdir, "networks-" + variant)
    os.makedirs(root)
    os.chmod(root, 0o755)
    if variant == "seed-helper-spawn":
        if not os.path.exists(SEED_POLICY):
            pytest.skip("%s is missing" % SEED_POLICY)
        line = "policy unix - n n - 0 spawn user=nobody argv=/usr/bin/python3 %s" % SEED_POLICY
        inst = networks_instance(module_postfix, bins, root, line, "unix:private/policy")
        inst.texts = TEXTS[variant]
        return inst
    rules = write(os.path.join(root, "networks.rules"), RULES)
    db = os.path.join(root, "networks.db")
    r = subprocess.run([bins.ref_policyd, "--create-sample-db", db], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    os.chmod(db, 0o644)
    how = variant.rsplit("-", 1)[1]
    if how == "mariadb":
        db, how = mariadb(request, root), "unix"
    argv = [bins.ref_policyd, "--rules", rules, "--db", db]
    if how == "spawn":
        line = "policy unix - n n - 0 spawn user=nobody argv=%s spawn" % " ".join(argv)
        inst = networks_instance(module_postfix, bins, root, line, "unix:private/policy")
    elif how == "unix":
        sock = os.path.join(root, "policyd.sock")
        helper = pfns.Helper("policyd", argv + ["unix:" + sock], listen="unix:" + sock,
                             socket_mode=0o666)
        inst = networks_instance(module_postfix, bins, root, None, "unix:" + sock, [helper])
    else:
        helper = pfns.Helper("policyd", argv + ["inet:127.0.0.1:12346"],
                             listen="inet:127.0.0.1:12346")
        inst = networks_instance(module_postfix, bins, root, None, "inet:127.0.0.1:12346",
                                 [helper])
    inst.texts = TEXTS["ref-policyd"]
    return inst


def relay(pf, src, user=None, password=None, rcpt="bob@example.com"):
    with pf.smtp_inet(src=src) as s:
        s.ehlo()
        if user:
            s.user, s.password = user, password
            assert s.auth("PLAIN", s.auth_plain)[0] == 235
        assert s.mail("test1@test.invalid")[0] == 250
        return pfns.smtp_reply(s.rcpt, rcpt)


def test_allowed_network_may_relay(pf):
    assert relay(pf, "127.0.0.1", "test1", "pass1") == (250, "2.1.5 Ok")


def test_other_network_gets_the_reject_text(pf):
    assert relay(pf, OTHER, "test1", "pass1") == (
        554, "5.7.1 <bob@example.com>: Recipient address rejected: " + pf.texts[0])


def test_unlisted_user_is_rejected(pf):
    assert relay(pf, "127.0.0.1", "test2", "pass2") == (
        554, "5.7.1 <bob@example.com>: Recipient address rejected: " + pf.texts[1])


@pytest.mark.parametrize("src", ["127.0.0.1", OTHER])
def test_unauthenticated_falls_through_to_relay_access_denied(pf, src):
    assert relay(pf, src) == (554, "5.7.1 <bob@example.com>: Relay access denied")


def test_client_address_is_the_source_address(pf):
    relay(pf, OTHER)
    pf.wait_maillog(re.escape("connect from unknown[%s]" % OTHER))
