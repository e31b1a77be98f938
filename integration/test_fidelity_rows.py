# SPDX-License-Identifier: MIT
"""Fidelity, row by row: one scenario or more for each rule of how
Postfix reads the auth server's replies, reads and evaluates a policy
server's reply, and retries it, and for each setting `--postconf` and
`-o` read, that test_fidelity.py, test_fidelity_auth2.py and
test_fidelity_postconf.py do not yet probe. The scenarios run through
those files' own test functions, so each is recorded, compared and kept
in the same way:

  - AUTH: a byte script (helpers/auth_script.py) played to a private
    Postfix and to `fake-smtpd replay` (test_fidelity_auth2.py): the
    request id read leniently (hex, leading zero or space, trailing
    junk), OK/FAIL without a TAB, unknown reply words and empty lines
    skipped, EOF before any reply, OK's user= (last one, empty,
    unprintable) and the fields OK ignores (nologin, proxy), CONT with no
    or an empty challenge, FAIL's reason= (last one, unprintable, with
    user=);
  - policy replies (test_fidelity.py's policy scenarios, the stub
    helpers/policy_action.py; "@raw:" values are the whole reply):
    attributes before and after action, a line without "=", a second
    action, names that are not exactly "action", "action" without "=",
    an empty reply, a CR or NUL in the value, a long attribute, bytes
    after the reply; the action words HANGUP, FILTER, REDIRECT, BCC,
    PREPEND, DELAY, 521, and reply sanitizing (a code Postfix does not
    take, a DSN of the wrong class, control characters, invalid UTF-8);
  - main.cf (test_fidelity_postconf.py): DEFER_IF_REJECT and
    DEFER_IF_PERMIT with what follows, warn_if_reject, try_limit,
    default_action DUNNO, the { } form's timeout and request_limit,
    max_idle and max_ttl, soft_bounce on a numeric reply, and the EHLO
    AUTH list with other smtpd_sasl_security_options and
    smtpd_sasl_mechanism_filter values; smtpd_sasl_service, by the
    service= Postfix and `fake-smtpd auth --postconf` send.

The golden transcripts go to corpus/recorded/postfix-X.Y/ (GOLDEN_NAMES)
and corpus/recorded/postconf-X.Y/ (POSTCONF_GOLDEN_NAMES), counted by the
golden-set tests of the two files."""

import base64
import os
import re
import subprocess

import pytest

import pfns
import test_fidelity as tf
import test_fidelity_auth2 as ta
import test_fidelity_postconf as tp
from conftest import fidelity_record, known_gap

H = ta.HANDSHAKE
OKL = "send:OK\\t{id}\\tuser=alice\\n"

# -- A.6: how Postfix reads the auth server's replies ----------------------
# (id, script steps, SMTP mechanism, judge with the default version)
AUTH = [
    ("id-hex", [H, "auth", "send:OK\\t0x{id}\\tuser=alice\\n"], "PLAIN", False),
    ("id-leading-zero", [H, "auth", "send:FAIL\\t0{id}\\treason=zero\\n"], "PLAIN", False),
    ("id-leading-space", [H, "auth", "send:FAIL\\t {id}\\treason=spaced\\n"], "PLAIN", False),
    ("id-trailing-junk", [H, "auth", "send:FAIL\\t{id}abc\\treason=junk\\n"], "PLAIN", False),
    ("ok-without-tab", [H, "auth", "send:OK\\nFAIL\\t{id}\\treason=after\\n"], "PLAIN", False),
    ("fail-without-tab", [H, "auth", "send:FAIL\\n" + OKL[5:]], "PLAIN", False),
    ("cancelled-skipped", [H, "auth", "send:CANCELLED\\t{id}\\n" + OKL[5:]], "PLAIN", False),
    ("empty-line-skipped", [H, "auth", "send:\\n\\n" + OKL[5:]], "PLAIN", False),
    ("handshake-line-skipped",
     [H, "auth", "send:MECH\\tPLAIN\\tplaintext\\nDONE\\n" + OKL[5:]], "PLAIN", False),
    ("eof-after-auth", [H, "auth", "close"], "PLAIN", False),
    ("ok-user-last-wins", [H, "auth", "send:OK\\t{id}\\tuser=bob\\tuser=alice\\n"],
     "PLAIN", False),
    ("ok-user-unprintable", [H, "auth", "send:OK\\t{id}\\tuser=al\\x01ice\\n"], "PLAIN", False),
    ("ok-user-empty", [H, "auth", "send:OK\\t{id}\\tuser=\\n"], "PLAIN", False),
    ("ok-nologin-ignored", [H, "auth", "send:OK\\t{id}\\tuser=alice\\tnologin\\treason=no\\n"],
     "PLAIN", False),
    ("ok-proxy-ignored", [H, "auth", "send:OK\\t{id}\\tuser=alice\\tproxy\\thost=h.invalid\\n"],
     "PLAIN", False),
    ("cont-without-data", [H, "auth", "send:CONT\\t{id}\\n"], "PLAIN", False),
    ("cont-empty-data",
     [H, "auth", "send:CONT\\t{id}\\t\\n", "cont", "send:CONT\\t{id}\\tUGFzc3dvcmQ6\\n", "cont",
      OKL], "LOGIN", False),
    ("fail-reason-last-wins", [H, "auth", "send:FAIL\\t{id}\\treason=first\\treason=second\\n"],
     "PLAIN", False),
    ("fail-reason-unprintable", [H, "auth", "send:FAIL\\t{id}\\treason=bad\\x01text\\n"],
     "PLAIN", False),
    ("fail-with-user", [H, "auth", "send:FAIL\\t{id}\\tuser=alice\\treason=with user\\n"],
     "PLAIN", False),
]

# -- B.3 and B.5: a policy server's reply, as Postfix reads and evaluates it
# (id, server, action, RCPTs) as test_fidelity.POLICY
POLICY = [
    ("raw-attributes-around-action",
     "stub", "@raw:foo=bar\\naction=REJECT raw\\nbaz=1\\n\\n", 2),
    ("raw-line-without-equals", "stub", "@raw:junk\\naction=REJECT raw\\n\\n", 2),
    ("raw-second-action-skipped", "stub", "@raw:action=REJECT first\\naction=OK\\n\\n", 2),
    ("raw-space-before-name", "stub", "@raw: action=REJECT spaced\\n\\n", 1),
    ("raw-space-before-equals", "stub", "@raw:action =REJECT spaced\\n\\n", 1),
    ("raw-action-without-equals", "stub", "@raw:action\\n\\n", 1),
    ("raw-empty-reply", "stub", "@raw:\\n", 1),
    ("raw-cr-in-value", "stub", "@raw:action=DUNNO\\r\\n\\n", 2),
    ("raw-nul-in-value", "stub", "@raw:action=REJECT cut\\x00here\\n\\n", 2),
    ("raw-long-attribute", "stub", "@raw:x=" + "a" * 20000 + "\\naction=REJECT long\\n\\n", 2),
    ("raw-bytes-after-reply", "stub", "@raw:action=DUNNO\\n\\nextra=1\\n", 2),
    ("raw-invalid-utf8", "stub", "@raw:action=REJECT caf\\xe9\\n\\n", 2),
    ("hangup", "stub", "HANGUP", 1),
    ("filter", "stub", "FILTER smtp:[127.0.0.1]:10025", 2),
    ("filter-without-colon", "stub", "FILTER nowhere", 2),
    ("filter-without-text", "stub", "FILTER", 2),
    ("redirect", "stub", "REDIRECT x@test.invalid", 2),
    ("redirect-without-at", "stub", "REDIRECT nobody", 2),
    ("bcc", "stub", "BCC x@test.invalid", 2),
    ("bcc-without-at", "stub", "BCC nobody", 2),
    ("prepend", "stub", "PREPEND X-Policy: seen", 2),
    ("prepend-bad-header", "stub", "PREPEND not a header", 2),
    ("delay-compiled-out", "stub", "DELAY 10", 2),
    ("code-521", "stub", "521 5.7.1 closing", 1),
    ("code-250-not-taken", "stub", "250 2.0.0 fine", 2),
    ("code-599", "stub", "599 odd code", 2),
    ("dsn-wrong-class", "stub", "550 4.7.1 class forced", 2),
    ("reject-dsn-wrong-class", "stub", "REJECT 4.7.1 class forced", 2),
    ("defer-dsn-wrong-class", "stub", "DEFER 5.7.1 class forced", 2),
    ("reject-control-chars", "stub", "REJECT bad\x01text\x7fend", 2),
    ("reject-tab-separator", "stub", "REJECT\tafter a tab", 2),
    ("ok-lowercase-text", "stub", "ok fine", 2),
    ("discard-text", "stub", "DISCARD dropped", 2),
    ("hold-text", "stub", "hold for review", 2),
]

SVC = tp.SVC
R1, R2 = "r1@test.invalid", "r2@test.invalid"
# -- B.4, B.5 and the settings: main.cf-driven scenarios -------------------
# (id, main.cf settings, actions, RCPTs, -o settings, server) as
# test_fidelity_postconf.SCENARIOS
POSTCONF = [
    ("defer-if-reject-then-reject", ["smtpd_recipient_restrictions = " + SVC + ", reject"],
     {R1: "DEFER_IF_REJECT 4.7.1 maybe later"}, [R1], [], "stub"),
    ("defer-if-reject-then-permit", ["smtpd_recipient_restrictions = " + SVC + ", permit"],
     {R1: "DEFER_IF_REJECT 4.7.1 maybe later"}, [R1], [], "stub"),
    ("defer-if-permit-then-reject", ["smtpd_recipient_restrictions = " + SVC + ", reject"],
     {R1: "DEFER_IF_PERMIT 4.7.1 if ever"}, [R1], [], "stub"),
    ("warn-if-reject-action", ["smtpd_recipient_restrictions = " + SVC + ", permit"],
     {R1: "warn_if_reject, reject"}, [R1], [], "stub"),
    ("try-limit-3", ["smtpd_policy_service_try_limit = 3",
                     "smtpd_recipient_restrictions = " + SVC],
     {R1: "@close"}, [R1], [], "stub"),
    ("default-action-dunno", ["smtpd_policy_service_try_limit = 1",
                              "smtpd_policy_service_default_action = DUNNO",
                              "smtpd_recipient_restrictions = " + SVC + ", reject"],
     {R1: "@close"}, [R1], [], "stub"),
    ("service-form-timeout", ["smtpd_recipient_restrictions = check_policy_service "
                              "{ unix:%(sock)s, timeout=1s, retry_delay=1s, "
                              "default_action=DEFER }"],
     None, [R1], [], ["--fault", "delay=2500"]),
    ("service-form-request-limit", ["smtpd_recipient_restrictions = check_policy_service "
                                    "{ unix:%(sock)s, request_limit=1 }"],
     {R1: "DUNNO", R2: "REJECT second"}, [R1, R2], [], "stub"),
    ("max-idle-max-ttl", ["smtpd_policy_service_max_idle = 1s",
                          "smtpd_policy_service_max_ttl = 1s",
                          "smtpd_recipient_restrictions = " + SVC],
     {R1: "DUNNO", R2: "REJECT after ttl"}, [R1, R2], [], "stub"),
    ("soft-bounce-numeric", ["soft_bounce = yes", "smtpd_recipient_restrictions = " + SVC],
     {R1: "550 5.7.1 numeric"}, [R1], [], "stub"),
    # without SMTPUTF8 a reply that is not UTF-8 is taken as it is (the
    # default of a build without EAI support)
    ("smtputf8-off-invalid-utf8", ["smtputf8_enable = no",
                                   "smtpd_recipient_restrictions = " + SVC],
     {R1: "@raw:action=REJECT caf\\xe9\\n\\n"}, [R1], [], "stub"),
    ("defer-if-reject-no-text", ["smtpd_recipient_restrictions = " + SVC + ", reject"],
     {R1: "DEFER_IF_REJECT"}, [R1], [], "stub"),
    ("defer-if-permit-then-permit", ["smtpd_recipient_restrictions = " + SVC + ", permit"],
     {R1: "defer_if_permit 4.7.1 greylisted"}, [R1], [], "stub"),
    ("restriction-class-action", ["smtpd_restriction_classes = strict",
                                  "strict = reject_unauth_destination, defer",
                                  "smtpd_recipient_restrictions = " + SVC],
     {R1: "strict"}, [R1], [], "stub"),
    ("restriction-class-after-dunno", ["smtpd_restriction_classes = strict, open",
                                       "strict = reject", "open = permit",
                                       "smtpd_recipient_restrictions = " + SVC + ", strict"],
     {R1: "DUNNO", R2: "open"}, [R1, R2], [], "stub"),
    ("default-action-unknown-word", ["smtpd_policy_service_try_limit = 1",
                                     "smtpd_policy_service_default_action = FOO",
                                     "smtpd_recipient_restrictions = " + SVC],
     {R1: "@close"}, [R1], [], "stub"),
    ("option-default-action", ["smtpd_recipient_restrictions = " + SVC],
     {R1: "@close"}, [R1],
     ["smtpd_policy_service_default_action=450 4.7.9 from the option",
      "smtpd_policy_service_try_limit=1"], "stub"),
]

# (id, ref-authd's mechanisms, main.cf's SASL settings) as
# test_fidelity_postconf.SASL
SASL = [
    ("sasl-security-noplaintext", "plain,login,cram-md5,anonymous",
     ["smtpd_sasl_security_options = noplaintext"]),
    ("sasl-security-empty", "plain,login,cram-md5,anonymous",
     ["smtpd_sasl_security_options ="]),
    ("sasl-filter-static-all", "plain,login,cram-md5,external,anonymous",
     ["smtpd_sasl_mechanism_filter = static:all"]),
    ("sasl-filter-negation", "plain,login,cram-md5",
     ["smtpd_sasl_mechanism_filter = !plain, static:all"]),
]

# scenarios where the oracle is known to be wrong, with the gap named
# (none at present; known_gap() marks them)
XFAIL = {}

GOLDEN_NAMES = {"auth-%s.tr" % s[0] for s in AUTH} | {"policy-%s.tr" % p[0] for p in POLICY}
POSTCONF_GOLDEN_NAMES = {"%s.%s" % (s[0], ext) for s in POSTCONF for ext in ("main.cf", "tr")}


@pytest.mark.parametrize("sid,steps,mech,default_version", AUTH, ids=[s[0] for s in AUTH])
def test_auth_row(postfix, workdir, bins, sid, steps, mech, default_version):
    ta.test_auth_read_fidelity(postfix, workdir, bins, sid, steps, mech, default_version)


@pytest.mark.parametrize("sid,server,arg,nrcpt", POLICY, ids=[p[0] for p in POLICY])
def test_policy_row(request, postfix, workdir, bins, sid, server, arg, nrcpt):
    if sid == "raw-invalid-utf8" and not smtputf8_built():
        known_gap(request, "policy", sid, (
            "this Postfix was built without SMTPUTF8 support (postconf -d: smtputf8_enable = "
            "no): it passes invalid UTF-8 in a policy reply on, while the oracle models a "
            "build with it, as Debian's packages are"))
    tf.test_policy_fidelity(postfix, workdir, bins, sid, server, arg, nrcpt)


def smtputf8_built():
    """Whether the Postfix under test was built with SMTPUTF8 support (the
    default of smtputf8_enable is not a plain "no")."""
    root = os.environ.get("SMTPDH_POSTFIX_ROOT", "")
    postconf = os.path.join(root, "usr/sbin/postconf") if root else "postconf"
    argv = [postconf] + (["-c", os.path.join(root, "etc/postfix")] if root else [])
    r = subprocess.run(argv + ["-dh", "smtputf8_enable"], capture_output=True, text=True)
    return r.stdout.strip() != "no"


@pytest.mark.parametrize("sid,settings,actions,rcpts,opts,server", POSTCONF,
                         ids=[s[0] for s in POSTCONF])
def test_postconf_row(request, postfix, workdir, bins, sid, settings, actions, rcpts, opts,
                      server):
    if sid in XFAIL:
        known_gap(request, "postconf", sid, XFAIL[sid])
    tp.test_postconf_fidelity(postfix, workdir, bins, sid, settings, actions, rcpts, opts,
                              server)


@pytest.mark.parametrize("sid,mechs,settings", SASL, ids=[s[0] for s in SASL])
def test_sasl_row(postfix, workdir, bins, sid, mechs, settings):
    tp.test_sasl_postconf(postfix, workdir, bins, sid, mechs, settings)


# -- smtpd_sasl_service: the service= of the AUTH line ---------------------
# (id, main.cf's SASL settings)
SASL_SERVICE = [("sasl-service", ["smtpd_sasl_service = submission"])]
GOLDEN_NAMES |= {"auth-%s.tr" % s[0] for s in SASL_SERVICE}


@pytest.mark.parametrize("sid,settings", SASL_SERVICE, ids=[s[0] for s in SASL_SERVICE])
def test_sasl_service_row(postfix, workdir, bins, sid, settings):
    """The AUTH line real Postfix sends with main.cf's smtpd_sasl_service
    (through fake-smtpd record to ref-authd) equals the one `fake-smtpd
    auth --postconf main.cf` sends, and both get 235."""
    pf, authd_sock, recording = tf.auth_setup(
        lambda **kw: postfix(main_extra=settings, **kw), workdir, bins, ["--failure-delay", "0"])
    s = pfns.UnixSMTP(pf.path("spool", "public", tf.SMTPD_AUTH), local_hostname="client.test",
                      timeout=40)
    try:
        s.ehlo()
        s.user, s.password = "alice", "secret"
        real = "%d %s" % pfns.smtp_reply(s.auth, "PLAIN", s.auth_plain, initial_response_ok=True)
        s.quit()
    finally:
        s.close()
    conn = tf.wait_connections(recording, 1)[0]
    tf.golden("auth", sid, recording, bins.fake_smtpd, "unix:" + authd_sock, real,
              extra=["--fast"])
    pf_auth = [ln for ln in tf.client_lines(conn, tf.normalise_auth) if ln.startswith("AUTH\t")]
    r = subprocess.run([bins.fake_smtpd, "auth", "-v", "--postfix-version", tf.VERSION,
                        "--postconf", pf.path("main.cf"), "--mech", "PLAIN",
                        "unix:" + authd_sock, "alice", "secret"],
                       capture_output=True, text=True, timeout=60)
    fake_auth = [tf.normalise_auth(ln) for ln in re.findall(r"^\s*C: (AUTH\\t.*)$", r.stdout, re.M)]
    said = re.findall(r"Postfix answers (\d{3} .*?)(?:ref-authd|$)", r.stdout, re.M)
    guess = "%s | %s" % (" ".join(fake_auth), said[0] if said else r.stdout + r.stderr)
    seen = "%s | %s" % (" ".join(pf_auth), real)
    fidelity_record("postconf", sid, seen == guess, seen, guess)
    assert seen == guess, "Postfix %s: %r; fake-smtpd auth --postconf: %r" % (
        tf.VERSION, seen, guess)


# -- the replies smtpd gives itself: the client's AUTH and responses --------
# (id, mechanism, initial response or None, responses to the 334s), judged
# by pf_sasl_first and pf_sasl_next (integration/oracle/predict_auth.c)
CLIENT = [
    ("ir-invalid-base64", "PLAIN", "!!!!", []),
    ("cont-invalid-base64", "LOGIN", None, ["!!!!"]),
    ("client-abort", "LOGIN", None, ["*"]),
    ("mech-unknown-word", "FOO-BAR", None, []),
]
GOLDEN_NAMES |= {"auth-%s.tr" % c[0] for c in CLIENT}


def predict_step(handshake, *args):
    r = subprocess.run([tf.predictor("predict_auth"), tf.VERSION] + list(args), input=handshake,
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    v = dict(line.split("\t", 1) for line in r.stdout.splitlines() if "\t" in line)
    return v.get("smtp") if v.get("send") == "0" else None


@pytest.mark.parametrize("sid,mech,ir,resps", CLIENT, ids=[c[0] for c in CLIENT])
def test_client_step_row(postfix, workdir, bins, sid, mech, ir, resps):
    """smtpd's own reply to a client's AUTH or response that never reaches
    the server (bad base64, "*", a mechanism not offered), real Postfix
    against pf_sasl_first / pf_sasl_next over the handshake it read."""
    pf, authd_sock, recording = tf.auth_setup(postfix, workdir, bins, ["--failure-delay", "0"])
    s = pfns.UnixSMTP(pf.path("spool", "public", tf.SMTPD_AUTH), local_hostname="client.test",
                      timeout=40)
    steps = []
    try:
        s.ehlo()
        code, text = s.docmd("AUTH", mech + (" " + ir if ir else ""))
        for resp in resps:
            if code != 334:
                break
            steps.append("%d" % code)
            code, text = s.docmd(resp)
        real = " | ".join(steps + ["%d %s" % (code, text.decode(errors="replace"))])
        s.quit()
    finally:
        s.close()
    conn = tf.wait_stable(recording)[0]
    tf.golden("auth", sid, recording, bins.fake_smtpd, "unix:" + authd_sock, real,
              extra=["--fast"])
    handshake = "".join(line[3:].replace("\\t", "\t") + "\n"
                        for line in conn.splitlines() if line.startswith("S: "))
    said = predict_step(handshake, "first", mech, *([ir] if ir else []))
    guess = said
    if said is None:
        guess = "(no reply of smtpd's own)"
        for i, resp in enumerate(resps):
            said = predict_step("", "next", resp)
            if said is not None:
                guess = " | ".join(["334"] * (i + 1) + [said])
                break
    fidelity_record("auth", sid, real == guess, real, guess)
    assert real == guess, "Postfix %s: %r; oracle: %r" % (tf.VERSION, real, guess)


# -- two AUTHs in one session: a reason does not outlive its reply ----------
# (id, script steps; each AUTH gets the next reply)
SESSION = [
    ("second-fail-without-reason",
     [H, "auth", "send:FAIL\\t{id}\\treason=first\\n", "auth", "send:FAIL\\t{id}\\n"]),
    ("fail-then-ok", [H, "auth", "send:FAIL\\t{id}\\treason=first\\n", "auth", OKL]),
    ("auth-after-ok", [H, "auth", OKL, "auth", OKL]),
]
GOLDEN_NAMES |= {"auth-%s.tr" % s[0] for s in SESSION}


@pytest.mark.parametrize("sid,steps", SESSION, ids=[s[0] for s in SESSION])
def test_auth_session_row(request, postfix, workdir, bins, sid, steps):
    """Postfix's replies to two AUTH PLAIN in one session against the
    script's two replies, and replay's `expect smtp` for each, the two
    AUTHs in one `session` (after a 235 Postfix answers 503 itself)."""
    if sid in XFAIL:
        known_gap(request, "auth", sid, XFAIL[sid])
    pf, script_sock, recording = ta.start_scenario(postfix, workdir, bins, steps)
    resp = base64.b64encode(b"\0alice\0secret").decode()
    s = pfns.UnixSMTP(pf.path("spool", "public", tf.SMTPD_AUTH), local_hostname="client.test",
                      timeout=40)
    real = []
    try:
        s.ehlo()
        for _ in range(2):
            code, text = s.docmd("AUTH", "PLAIN " + resp)
            real.append("%d %s" % (code, text.decode(errors="replace")))
        s.quit()
    finally:
        s.close()
    tf.wait_connections(recording, 1)
    tf.golden("auth", sid, recording, bins.fake_smtpd, "unix:" + script_sock, " | ".join(real),
              extra=["--fast"])
    text = "protocol auth\nhandshake\nsession\n"
    for reply in real:
        text += "auth PLAIN ${user} ${password} resp\nexpect smtp %s\n" % tf.smtp_escape(reply)
    result = ta.replay(bins.fake_smtpd, "unix:" + script_sock, text, os.path.dirname(recording),
                       tf.VERSION)
    predicted = " | ".join(real) if result["result"] == "pass" else (result["why"] or "?")
    fidelity_record("auth", sid, predicted == " | ".join(real), " | ".join(real), predicted)
    assert result["result"] == "pass", "Postfix %s answered %r; replay: %s\n%s" % (
        tf.VERSION, real, result["why"], result["log"])
