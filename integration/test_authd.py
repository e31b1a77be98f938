# SPDX-License-Identifier: MIT
"""ref-authd behind real Postfix: over a UNIX socket, over TCP on the
private loopback and spawned by master.cf, every mechanism forced
explicitly (smtplib's login() would fall back from PLAIN to LOGIN)."""

import base64
import os
import re

import pytest

import pfns
from conftest import write

USERS = "alice:{PLAIN}secret\n"
MECHS = {
    "PLAIN": lambda s: s.auth_plain,
    "LOGIN": lambda s: s.auth_login,
    "CRAM-MD5": lambda s: s.auth_cram_md5,
}


def authd_instance(start, bins, root, how, extra_args=()):
    """A Postfix whose smtpd_sasl_path reaches ref-authd as `how`."""
    users = write(os.path.join(root, "users"), USERS)
    argv = [bins.ref_authd, "--passwd-file", users, "--failure-delay", "0"] + list(extra_args)
    if how == "unix":
        sock = os.path.join(root, "authd.sock")
        helper = pfns.Helper("authd", argv + ["--mode", "0666", "unix:" + sock],
                             listen="unix:" + sock)
        return start(sasl_auth_enable="yes", sasl_path=sock, helpers=[helper])
    if how == "inet":
        helper = pfns.Helper("authd", argv + ["inet:127.0.0.1:12345"],
                             listen="inet:127.0.0.1:12345")
        return start(sasl_auth_enable="yes", sasl_path="inet:127.0.0.1:12345", helpers=[helper])
    assert how == "spawn"
    log = os.path.join(root, "authd-spawn.log")
    write(log, "", 0o666)
    line = "authd unix - n n - - spawn user=nobody argv=%s --log-file %s spawn" % (
        " ".join(argv), log)
    return start(sasl_auth_enable="yes", sasl_path="private/authd", master_extra=[line])


@pytest.fixture(scope="module", params=["unix", "inet", "spawn"])
def pf(request, module_postfix, module_workdir, bins):
    root = os.path.join(module_workdir, "authd-" + request.param)
    os.makedirs(root)
    os.chmod(root, 0o755)
    return authd_instance(module_postfix, bins, root, request.param)


def auth(pf, mech, user, password):
    with pf.smtp() as s:
        s.ehlo()
        offered = s.esmtp_features.get("auth", "").split()
        assert mech in offered, "EHLO offers AUTH %s" % offered
        s.user, s.password = user, password
        return pfns.smtp_reply(s.auth, mech, MECHS[mech](s))


@pytest.mark.parametrize("mech", sorted(MECHS))
def test_right_password_235(pf, mech):
    assert auth(pf, mech, "alice", "secret") == (235, "2.7.0 Authentication successful")


@pytest.mark.parametrize("mech", sorted(MECHS))
def test_wrong_password_535(pf, mech):
    code, text = auth(pf, mech, "alice", "wrong")
    assert code == 535, text
    assert text.startswith("5.7.8 Error: authentication failed:"), text


def test_unknown_user_535(pf):
    assert auth(pf, "PLAIN", "nosuch", "secret")[0] == 535


def test_authenticated_client_may_relay(pf):
    with pf.smtp() as s:
        s.ehlo()
        s.user, s.password = "alice", "secret"
        assert s.auth("PLAIN", s.auth_plain)[0] == 235
        assert s.mail("alice@test.invalid")[0] == 250
        assert pfns.smtp_reply(s.rcpt, "bob@example.com")[0] == 250


def test_seed_spawned_custom_mechanism_with_initial_response(postfix, workdir, bins):
    """Seed scenario 1: a helper spawned from master.cf offers a custom
    mechanism; AUTH with an initial response gets 235."""
    pf = authd_instance(postfix, bins, workdir, "spawn",
                        ["--unsafe-trust-username", "X-TRUST"])
    with pf.smtp() as s:
        s.ehlo()
        assert "X-TRUST" in s.esmtp_features["auth"].split()
        ir = base64.b64encode(b"alice").decode()
        assert s.docmd("AUTH", "X-TRUST " + ir) == (235, b"2.7.0 Authentication successful")
        assert s.mail("alice@test.invalid")[0] == 250
        assert pfns.smtp_reply(s.rcpt, "bob@example.com")[0] == 250
    pf.wait_maillog(re.escape("sasl_method=X-TRUST, sasl_username=alice"))
