# SPDX-License-Identifier: MIT
"""Fidelity, auth: how Postfix reads the auth server's bytes, and what its
EHLO offers. Each scenario plays one byte script on every connection
(helpers/auth_script.py: each "send" one write, so what one send carries
arrives in one read) to a private Postfix through `fake-smtpd record`, and
then to `fake-smtpd replay`, which must predict Postfix's SMTP replies:

  - a last reply line without LF, then EOF: Postfix reads the bytes before
    EOF as a line (vstring_get_nonl), so OK is 235 and FAIL 535, not 454;
    a FAIL without reason= is "(reason unavailable)" in 3.7.11, and replay
    judges as the installed Postfix when no --postfix-version is given;
  - stray lines after DONE: those in the same read as DONE are dropped
    when Postfix writes its AUTH (its stream is single-buffered), those in
    a later read are read as the reply; the same after a CONT;
  - the EHLO AUTH list passes smtpd_sasl_mechanism_filter (default
    "!external, static:rest" since 3.6): EXTERNAL is not advertised, but
    AUTH EXTERNAL still reaches the server.

Compared per scenario: Postfix's EHLO AUTH line with replay's "EHLO would
offer" note, and Postfix's reply to AUTH with replay's `expect smtp`. The
recording, normalised, is kept as corpus/recorded/postfix-X.Y/auth-ID.tr
like test_fidelity.py's (GOLDEN_NAMES lists them for its golden-set test).
"""

import contextlib
import json
import os
import re
import smtplib
import subprocess
import sys
import time

import pytest

import pfns
from conftest import HERE, fidelity_record, write
from test_fidelity import (DROP, SMTPD_AUTH, VERSION, golden, logged, smtp_escape,
                           wait_connections)

HANDSHAKE = ("send:VERSION\\t1\\t2\\nMECH\\tPLAIN\\tplaintext\\nMECH\\tLOGIN\\tplaintext\\n"
             "SPID\\t1\\nCUID\\t1\\nCOOKIE\\t0123456789abcdef0123456789abcdef\\nDONE\\n")
EXTERNAL = ("send:VERSION\\t1\\t2\\nMECH\\tEXTERNAL\\nMECH\\tPLAIN\\tplaintext\\n"
            "SPID\\t1\\nCUID\\t1\\nCOOKIE\\t0123456789abcdef0123456789abcdef\\nDONE\\n")
STALE = "FAIL\\t1\\treason=stale\\n"
OK = "send:OK\\t{id}\\tuser=alice\\n"
PAUSE_MS = 600  # after the handshake, before AUTH: later sends have arrived

# (id, script steps, SMTP mechanism, judge with the default version)
SCENARIOS = [
    ("eof-ok-no-lf", [HANDSHAKE, "auth", "send:OK\\t{id}\\tuser=alice", "close"], "PLAIN", False),
    ("eof-fail-no-lf", [HANDSHAKE, "auth", "send:FAIL\\t{id}\\treason=nope", "close"],
     "PLAIN", False),
    ("eof-fail-no-reason-default-version", [HANDSHAKE, "auth", "send:FAIL\\t{id}", "close"],
     "PLAIN", True),
    ("stale-fail-same-read-as-done", [HANDSHAKE + STALE, "auth", OK], "PLAIN", False),
    # the stale line is the reply: the script sends nothing after the AUTH
    # (an answer to it would race smtpd's exit in the recording)
    ("stale-fail-both-reads",
     [HANDSHAKE + "FAIL\\t1\\treason=first\\n", "sleep:300", "send:FAIL\\t1\\treason=second\\n"],
     "PLAIN", False),
    ("stale-fail-later-read-external", [EXTERNAL, "sleep:300", "send:" + STALE], "PLAIN", False),
    ("stale-fail-same-read-as-cont",
     [HANDSHAKE, "auth", "send:CONT\\t{id}\\tVXNlcm5hbWU6\\nFAIL\\t{id}\\treason=stale\\n", "cont",
      "send:CONT\\t{id}\\tUGFzc3dvcmQ6\\n", "cont", OK], "LOGIN", False),
    ("external-hidden-from-ehlo", [EXTERNAL, "auth", OK], "EXTERNAL", False),
]

GOLDEN_NAMES = {"auth-%s.tr" % s[0] for s in SCENARIOS}


def replay(fake, target, text, d, version):
    """fake-smtpd replay of text (as alice/secret) with --postfix-version
    version, or none: the default; its JSON result."""
    tr = write(os.path.join(d, "scenario.tr"), text)
    argv = [fake, "replay", "-v", "--format", "json", "--fast", "-D", "user=alice",
            "-D", "password=secret"]
    argv += ["--postfix-version", version] if version else []
    r = subprocess.run(argv + [target, tr], capture_output=True, text=True, timeout=120)
    assert r.returncode in (0, 1), "replay exit %d: %s" % (r.returncode, r.stderr)
    return json.loads(r.stdout)["results"][0]


def start_scenario(postfix, workdir, bins, steps):
    """auth_script.py behind fake-smtpd record, and a private Postfix whose
    smtpd-auth service asks the recorder. Returns (instance, the script's
    socket, the recording)."""
    d = os.path.join(workdir, "auth")
    os.makedirs(d)
    os.chmod(d, 0o755)
    script_sock, rec_sock = os.path.join(d, "script.sock"), os.path.join(d, "rec.sock")
    recording = os.path.join(d, "postfix.tr")
    script = pfns.Helper("script", [sys.executable, os.path.join(HERE, "helpers", "auth_script.py"),
                                    "unix:" + script_sock] + steps, listen="unix:" + script_sock)
    record = pfns.Helper("record", [bins.fake_smtpd, "record", "--listen", "unix:" + rec_sock,
                                    "--upstream", "unix:" + script_sock, "-o", recording,
                                    "--count", "0", "--keep-credentials"],
                         listen="unix:" + rec_sock, socket_mode=0o666)
    pf = postfix(master_extra=[
        "%s unix n - n - - smtpd\n  -o max_use=1 -o smtpd_sasl_auth_enable=yes"
        " -o smtpd_sasl_path=%s" % (SMTPD_AUTH, rec_sock)], helpers=[script, record])
    return pf, script_sock, recording


def real_postfix(pf, mech):
    """Postfix's EHLO AUTH line and its reply to one AUTH (alice/secret)."""
    s = pfns.UnixSMTP(pf.path("spool", "public", SMTPD_AUTH), local_hostname="client.test",
                      timeout=40)
    ehlo, real = "(no EHLO)", DROP
    with contextlib.closing(s):
        try:
            s.ehlo()
            ehlo = "AUTH " + " ".join(s.esmtp_features.get("auth", "").split())
            time.sleep(PAUSE_MS / 1000.0)
            s.user, s.password = "alice", "secret"
            if mech == "EXTERNAL":
                code, raw = s.docmd("AUTH", "EXTERNAL =")
                real = "%d %s" % (code, raw.decode(errors="replace"))
            else:
                obj = {"PLAIN": s.auth_plain, "LOGIN": s.auth_login}[mech]
                real = "%d %s" % pfns.smtp_reply(s.auth, mech, obj, initial_response_ok=True)
            with contextlib.suppress(smtplib.SMTPException):
                s.quit()
        except (smtplib.SMTPServerDisconnected, ConnectionError):
            real = DROP
    return ehlo, real


@pytest.mark.parametrize("sid,steps,mech,default_version", SCENARIOS,
                         ids=[s[0] for s in SCENARIOS])
def test_auth_read_fidelity(postfix, workdir, bins, sid, steps, mech, default_version):
    pf, script_sock, recording = start_scenario(postfix, workdir, bins, steps)
    ehlo, real = real_postfix(pf, mech)
    wait_connections(recording, 1)
    golden("auth", sid, recording, bins.fake_smtpd, "unix:" + script_sock,
           "%s | %s" % (ehlo, real), extra=["--fast"])

    args = {"EXTERNAL": "", "LOGIN": " ${user} ${password}"}.get(mech, " ${user} ${password} resp")
    text = ("protocol auth\nhandshake\nsleep %dms\nauth %s%s\n" % (PAUSE_MS, mech, args))
    if real != DROP:
        text += "expect smtp %s\n" % smtp_escape(real)
    # the default version is the installed Postfix's: judge without the
    # option when the suite runs the host's Postfix
    version = None if default_version and pfns.default_root() is None else VERSION
    result = replay(bins.fake_smtpd, "unix:" + script_sock, text, os.path.dirname(recording),
                    version)
    offers = [re.sub(r";.*$", "", o)[len("EHLO would offer "):] for o in logged(result, "> ")
              if o.startswith("EHLO would offer ")]
    predicted_ehlo = offers[0] if offers else "(no EHLO predicted)"
    predicted = real if result["result"] == "pass" else (result["why"] or "?")
    agreed = predicted_ehlo == ehlo and predicted == real
    fidelity_record("auth", sid, agreed, "%s | %s" % (ehlo, real),
                    "%s | %s" % (predicted_ehlo, predicted))
    assert predicted_ehlo == ehlo, "Postfix %s's EHLO: %r; replay: %r" % (
        VERSION, ehlo, predicted_ehlo)
    assert predicted == real, "Postfix %s answered %r; replay: %s\n%s" % (
        VERSION, real, result["why"], result["log"])
