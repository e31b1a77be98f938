# SPDX-License-Identifier: MIT
"""Seed scenario 2 through real Postfix: a per-user network restriction on
relaying. test1 authenticated from an allowed network may relay; from
another network RCPT gets the policy's REJECT text; without
authentication the policy says DUNNO and the next restriction answers
554 Relay access denied.

The client address is real: the test connects over TCP inside the
instance's network namespace from 127.0.0.1 (allowed) or from
198.51.100.7, an address added to the private loopback (not allowed).
The policy service is the seed-style helper spawned by master.cf
(corpus/helpers/seed_policy_helper.py, test1 may use 127.0.0.0/8 and
192.0.2.0/24)."""

import os
import re

import pytest

import pfns
from conftest import TOP, write

SEED_POLICY = os.path.join(TOP, "corpus", "helpers", "seed_policy_helper.py")
OTHER = "198.51.100.7"


def networks_instance(start, bins, root, policy_master_line, policy_target):
    users = write(os.path.join(root, "users"), "test1:{PLAIN}pass1\ntest2:{PLAIN}pass2\n")
    sock = os.path.join(root, "authd.sock")
    authd = pfns.Helper("authd", [bins.ref_authd, "--passwd-file", users, "--failure-delay", "0",
                                  "unix:" + sock], listen="unix:" + sock)
    return start(
        sasl_auth_enable="yes", sasl_path=sock,
        relay_restrictions="",
        recipient_restrictions="check_policy_service %s, permit_sasl_authenticated, "
                               "reject_unauth_destination" % policy_target,
        main_extra=["policy_time_limit = 3600"],
        master_extra=[policy_master_line] if policy_master_line else [],
        ns_commands=[["ip", "addr", "add", OTHER + "/32", "dev", "lo"]],
        helpers=[authd])


@pytest.fixture(scope="module")
def pf(module_postfix, module_workdir, bins):
    if not os.path.exists(SEED_POLICY):
        pytest.skip("%s is missing" % SEED_POLICY)
    root = os.path.join(module_workdir, "seed-networks")
    os.makedirs(root)
    os.chmod(root, 0o755)
    line = "policy unix - n n - 0 spawn user=nobody argv=/usr/bin/python3 %s" % SEED_POLICY
    return networks_instance(module_postfix, bins, root, line, "unix:private/policy")


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
        554, "5.7.1 <bob@example.com>: Recipient address rejected: "
             "user test1 may not send from %s" % OTHER)


def test_unlisted_user_is_rejected(pf):
    assert relay(pf, "127.0.0.1", "test2", "pass2") == (
        554, "5.7.1 <bob@example.com>: Recipient address rejected: user test2 may not relay")


@pytest.mark.parametrize("src", ["127.0.0.1", OTHER])
def test_unauthenticated_falls_through_to_relay_access_denied(pf, src):
    assert relay(pf, src) == (554, "5.7.1 <bob@example.com>: Relay access denied")


def test_client_address_is_the_source_address(pf):
    relay(pf, OTHER)
    pf.wait_maillog(re.escape("connect from unknown[%s]" % OTHER))
