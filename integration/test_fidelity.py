# SPDX-License-Identifier: MIT
"""Fidelity: does fake-smtpd speak to an auth helper as real Postfix does,
and does its oracle predict the SMTP reply Postfix gives?

For each scenario, real Postfix 3.7 talks to ref-authd through
`fake-smtpd record` (a byte-for-byte proxy), driven by smtplib; then
`fake-smtpd replay` runs the same scenario, written with the handshake and
auth macros, straight against the same ref-authd. Compared:
  - the lines Postfix sent on its auth connection with the lines
    fake-smtpd sent (CPID, request ids and the CRAM-MD5 digest, which
    depends on a fresh challenge, normalised);
  - the SMTP reply smtplib got with the reply replay says Postfix would
    give."""

import base64
import json
import os
import re
import subprocess
import time

import pytest

import pfns
from conftest import write

# (mechanism, password, initial response) - smtplib sends an initial
# response for PLAIN; LOGIN is driven without one, as the auth macro does
SCENARIOS = [
    ("PLAIN", "secret", True),
    ("PLAIN", "wrong", True),
    ("PLAIN", "secret", False),
    ("LOGIN", "secret", False),
    ("LOGIN", "wrong", False),
    ("CRAM-MD5", "secret", False),
    ("CRAM-MD5", "wrong", False),
]
# A known disagreement between Postfix 3.7.11 and the oracle (see test)
REASON_UNAVAILABLE = "535 5.7.8 Error: authentication failed: (reason unavailable)"


@pytest.fixture(scope="module")
def rig(module_postfix, module_workdir, bins):
    d = os.path.join(module_workdir, "fidelity")
    os.makedirs(d)
    os.chmod(d, 0o755)
    users = write(os.path.join(d, "users"), "alice:{PLAIN}secret\n")
    authd_sock, rec_sock = os.path.join(d, "authd.sock"), os.path.join(d, "rec.sock")
    recording = os.path.join(d, "postfix.tr")
    authd = pfns.Helper("authd", [bins.ref_authd, "--passwd-file", users, "--failure-delay", "0",
                                  "unix:" + authd_sock], listen="unix:" + authd_sock)
    record = pfns.Helper("record", [bins.fake_smtpd, "record", "--listen", "unix:" + rec_sock,
                                    "--upstream", "unix:" + authd_sock, "-o", recording,
                                    "--count", "0"],
                         listen="unix:" + rec_sock, socket_mode=0o666)
    pf = module_postfix(sasl_auth_enable="yes", sasl_path=rec_sock, helpers=[authd, record])
    return pf, d, authd_sock, recording, bins.fake_smtpd


def auth_connections(path):
    """The connections of the recorded transcript that carry an AUTH
    (each smtpd also connects, without AUTH, for sessions that do not
    authenticate, such as the fixture's readiness probe)."""
    try:
        with open(path) as f:
            text = f.read()
    except FileNotFoundError:
        return []
    conns = re.split(r"^# connection \d+\n", text, flags=re.M)[1:]
    return [c for c in conns if re.search(r"^(# )?C: AUTH\\t", c, re.M)]


def wait_auth_connection(path, n, timeout=10):
    """The n-th AUTH connection (1-based) once the recorder wrote it whole
    (it rewrites the file when a connection ends)."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        conns = auth_connections(path)
        cur = conns[n - 1] if len(conns) >= n else None
        if cur is not None and cur == last and re.search(r"^(# )?S: (OK|FAIL)\\t", cur, re.M):
            return cur
        last = cur
        time.sleep(0.1)
    raise AssertionError("AUTH connection %d not recorded in %s after %d s" % (n, path, timeout))


def normalise(line):
    """One client line with the values that differ between runs replaced."""
    line = line.replace("\\t", "\t")
    f = line.split("\t")
    if f[0] == "CPID":
        f[1] = "<pid>"
    elif f[0] in ("AUTH", "CONT"):
        f[1] = "<id>"
    if f[0] == "CONT" and len(f) == 3:
        text = base64.b64decode(f[2]).decode("latin-1")
        # CRAM-MD5: "user <hex digest of a fresh challenge>"
        f[2] = re.sub(r"^(\S+) [0-9a-f]{32}$", r"\1 <digest>", text)
    return "\t".join(f)


def postfix_lines(conn):
    """What Postfix sent: C: lines, and the "# C:" lines the recorder keeps
    as comments for mechanisms whose answer depends on a challenge."""
    return [normalise(m) for m in re.findall(r"^(?:# )?C: (.*)$", conn, re.M)]


def run_replay(fake, target, d, mech, password, ir):
    tr = write(os.path.join(d, "scenario.tr"), "protocol auth\nhandshake\nauth %s alice ${password}%s\n"
               % (mech, " resp" if ir else " noresp" if mech == "PLAIN" else ""))
    r = subprocess.run([fake, "replay", "-v", "--format", "json", "-D", "password=" + password,
                        "unix:" + target, tr], capture_output=True, text=True, timeout=30)
    assert r.returncode in (0, 1), r.stderr
    result = json.loads(r.stdout)["results"][0]
    log = result["log"].splitlines()
    sent = [normalise(line.strip()[3:]) for line in log if line.strip().startswith("C: ")]
    answers = [line.strip()[len("> Postfix 3.7 would answer: "):]
               for line in log if line.strip().startswith("> Postfix 3.7 would answer: ")]
    return sent, answers, result


@pytest.mark.parametrize("mech,password,ir", SCENARIOS,
                         ids=["%s-%s-%s" % (m, p, "ir" if i else "noir") for m, p, i in SCENARIOS])
def test_fake_smtpd_sends_what_postfix_sends(rig, mech, password, ir):
    pf, d, authd_sock, recording, fake = rig
    n = len(auth_connections(recording)) + 1
    with pf.smtp() as s:
        s.ehlo()
        s.user, s.password = "alice", password
        obj = {"PLAIN": s.auth_plain, "LOGIN": s.auth_login, "CRAM-MD5": s.auth_cram_md5}[mech]
        code, text = pfns.smtp_reply(s.auth, mech, obj, initial_response_ok=ir)
    real = "%d %s" % (code, text)
    assert code == (235 if password == "secret" else 535), real
    pf_sent = postfix_lines(wait_auth_connection(recording, n))

    fake_sent, answers, result = run_replay(fake, authd_sock, d, mech, password, ir)
    assert result["result"] == "pass", result
    assert fake_sent == pf_sent, "fake-smtpd sent\n%s\nPostfix sent\n%s" % (
        "\n".join(fake_sent), "\n".join(pf_sent))
    assert answers, result["log"]
    # replay may follow the reply with an explanation: "<reply>  (<note>)"
    predicted = answers[-1].partition("  (")[0].rstrip()
    if real == REASON_UNAVAILABLE and predicted == "535 5.7.8 Error: authentication failed:":
        # Postfix 3.6.13/3.7.8/3.8.3 (stable backports of 3.9's 20231105
        # change) already say "(reason unavailable)"; the oracle models it
        # from 3.9 on and ignores patch levels.
        pytest.xfail("oracle: empty FAIL reason at 3.7.11 (Postfix says '(reason unavailable)')")
    assert predicted == real
