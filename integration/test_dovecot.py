# SPDX-License-Identifier: MIT
"""Real Dovecot 2.3 auth behind the same private Postfix, inside the same
namespaces (auth_failure_delay 0 and the anvil penalty socket at mode 0,
so a failure costs Dovecot's 0.5 s batch delay only)."""

import os
import shutil

import pytest

import pfns
from conftest import write

CONF = """\
base_dir = {d}/run
state_dir = {d}/state
instance_name = pfns-dovecot
log_path = {d}/dovecot.log
protocols =
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login cram-md5
auth_failure_delay = 0
passdb {{
  driver = passwd-file
  args = username_format=%u {d}/passwd
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {d}/passwd
}}
service auth {{
  unix_listener auth-client {{
    mode = 0666
  }}
  inet_listener auth-inet {{
    address = 127.0.0.1
    port = 12347
  }}
}}
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
"""

MECHS = {
    "PLAIN": lambda s: s.auth_plain,
    "LOGIN": lambda s: s.auth_login,
    "CRAM-MD5": lambda s: s.auth_cram_md5,
}


@pytest.fixture(scope="module", params=["unix", "inet"])
def pf(request, module_postfix, module_workdir):
    if not shutil.which("dovecot", path="/usr/sbin:/usr/bin"):
        pytest.skip("dovecot-core is not installed")
    d = os.path.join(module_workdir, "dovecot-" + request.param)
    os.makedirs(os.path.join(d, "home"))
    os.chmod(d, 0o755)
    write(os.path.join(d, "passwd"), "alice:{PLAIN}secret:1000:1000::%s/home/alice::\n" % d)
    conf = write(os.path.join(d, "dovecot.conf"), CONF.format(d=d))
    path = os.path.join(d, "run", "auth-client") if request.param == "unix" \
        else "inet:127.0.0.1:12347"
    listen = "unix:" + path if request.param == "unix" else path
    helper = pfns.Helper("dovecot", ["dovecot", "-c", conf], listen=listen, daemonizes=True)
    return module_postfix(sasl_auth_enable="yes", sasl_path=path, helpers=[helper])


def auth(pf, mech, user, password):
    with pf.smtp() as s:
        s.ehlo()
        assert s.esmtp_features["auth"].split() == ["PLAIN", "LOGIN", "CRAM-MD5"]
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


def test_dovecot_runs_inside_the_namespace(pf):
    procs, _ = pf.leftovers()
    names = set()
    for p in procs:
        try:
            with open("/proc/%d/comm" % p) as f:
                names.add(f.read().strip())
        except OSError:
            pass
    assert "dovecot" in names and "master" in names, names
