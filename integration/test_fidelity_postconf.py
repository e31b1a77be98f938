# SPDX-License-Identifier: MIT
"""Fidelity of the oracle driven by the user's main.cf: does `fake-smtpd
replay --postconf main.cf` predict the SMTP reply real Postfix gives with
that main.cf?

Each scenario starts a private Postfix whose main.cf puts
check_policy_service (the stub policy service helpers/policy_action.py,
a fixed action per recipient; or ref-policyd with a fault) in a chosen
restriction list with chosen settings, drives EHLO, MAIL and RCPT with
smtplib (or a raw socket where a reply line is longer than smtplib
reads), and records Postfix's replies. The instance's main.cf and a
transcript whose "expect smtp" lines hold those replies are compared with
the golden pair corpus/recorded/postconf-X.Y/ID.main.cf and ID.tr
(SMTPDH_RERECORD=1 writes them), and the transcript must replay green
against the same helper with `fake-smtpd replay --postconf ID.main.cf`
(and the scenario's -o settings): the oracle predicts each reply
exactly. Scenarios are counted in the fidelity report as kind
"postconf".

The scenarios cover which list holds the check (client, HELO, sender
with smtpd_delay_reject = yes answer at RCPT time in their own words;
= no answers at MAIL), what follows DUNNO and OK (reject, defer,
permit_mynetworks, the next list), the relay/recipient order, a pending
DEFER_IF_PERMIT, soft_bounce, a reply longer than 512 bytes (sent
whole), the policy service settings (timeout, default_action,
try_limit, retry_delay, request_limit, policy_context) and the per-service { } form.
The helper's log shows what Postfix asked (protocol_state). Two more
compare the EHLO AUTH list real Postfix gives with main.cf's
smtpd_sasl_mechanism_filter and smtpd_sasl_security_options with the
one `fake-smtpd auth --postconf` predicts over the same ref-authd."""

import importlib
import os
import re
import socket
import smtplib
import subprocess
import sys

import pytest

import pfns
from conftest import HERE, TOP, fidelity_record, write
from test_fidelity import DROP, RERECORD, SERIES, VERSION, smtp_escape

GOLDEN = os.path.join(TOP, "corpus", "recorded", "postconf-" + SERIES)
SENDER = "a@test.invalid"
LONG = "x" * 8000
SVC = "check_policy_service unix:%(sock)s"

# (id, main.cf settings (%(sock)s: the policy socket), the stub's actions
#  per recipient ("" = requests without one: MAIL time), the RCPTs,
#  -o settings (Postfix: "-o { name = value }" on the smtpd service in
#  master.cf; replay: -o name=value), server: "stub" or ref-policyd's
#  options)
SCENARIOS = [
    ("sender-delayed-reject", ["smtpd_sender_restrictions = " + SVC],
     {"r1@test.invalid": "REJECT go away"}, ["r1@test.invalid"], [], "stub"),
    ("client-delayed-reject", ["smtpd_client_restrictions = " + SVC],
     {"r1@test.invalid": "REJECT"}, ["r1@test.invalid"], [], "stub"),
    ("helo-delayed-defer", ["smtpd_helo_restrictions = " + SVC],
     {"r1@test.invalid": "450 4.7.1 try later"}, ["r1@test.invalid"], [], "stub"),
    ("sender-not-delayed", ["smtpd_delay_reject = no", "smtpd_sender_restrictions = " + SVC],
     {"": "REJECT not now"}, [], [], "stub"),
    ("dunno-then-reject", ["smtpd_recipient_restrictions = " + SVC + ", reject"],
     {"r1@test.invalid": "DUNNO", "r2@test.invalid": "OK"},
     ["r1@test.invalid", "r2@test.invalid"], [], "stub"),
    ("dunno-then-defer", ["smtpd_recipient_restrictions = " + SVC + ",\n  defer"],
     {"r1@test.invalid": "DUNNO"}, ["r1@test.invalid"], [], "stub"),
    ("dunno-then-mynetworks", ["mynetworks = 127.0.0.0/8",
                               "smtpd_recipient_restrictions = " + SVC +
                               ", permit_mynetworks, reject"],
     {"r1@test.invalid": "DUNNO"}, ["r1@test.invalid"], [], "stub"),
    ("ok-ends-its-list", ["smtpd_sender_restrictions = " + SVC + ", reject",
                          "smtpd_recipient_restrictions = defer_if_permit"],
     {"r1@test.invalid": "OK", "r2@test.invalid": "DUNNO"},
     ["r1@test.invalid", "r2@test.invalid"], [], "stub"),
    ("defer-if-permit-pending", ["smtpd_sender_restrictions = " + SVC],
     {"r1@test.invalid": "DEFER_IF_PERMIT 4.7.2 greylisted"}, ["r1@test.invalid"], [], "stub"),
    ("relay-before-recipient", ["smtpd_recipient_restrictions = " + SVC],
     {"x@elsewhere.invalid": "REJECT policy"}, ["x@elsewhere.invalid"], [], "stub"),
    ("recipient-before-relay", ["smtpd_relay_before_recipient_restrictions = no",
                                "smtpd_recipient_restrictions = " + SVC],
     {"x@elsewhere.invalid": "REJECT policy"}, ["x@elsewhere.invalid"], [], "stub"),
    ("soft-bounce", ["soft_bounce = yes", "smtpd_sender_restrictions = " + SVC],
     {"r1@test.invalid": "REJECT 5.7.9 bounced softly"}, ["r1@test.invalid"], [], "stub"),
    ("long-reject-text", ["smtpd_recipient_restrictions = " + SVC],
     {"r1@test.invalid": "REJECT " + LONG}, ["r1@test.invalid"], [], "stub"),
    ("default-action", ["smtpd_policy_service_default_action = 450 4.7.1 policy down",
                        "smtpd_policy_service_try_limit = 1",
                        "smtpd_sender_restrictions = " + SVC],
     {"r1@test.invalid": "@close"}, ["r1@test.invalid"], [], "stub"),
    ("service-form-default-action", ["smtpd_recipient_restrictions = check_policy_service "
                                     "{ unix:%(sock)s, try_limit=1, default_action=DUNNO }, "
                                     "reject"],
     {"r1@test.invalid": "@close"}, ["r1@test.invalid"], [], "stub"),
    ("timeout-retry", ["smtpd_policy_service_timeout = 1s",
                       "smtpd_policy_service_retry_delay = 1s",
                       "smtpd_policy_service_default_action = DEFER no answer",
                       "smtpd_recipient_restrictions = " + SVC],
     None, ["r1@test.invalid"], [], ["--fault", "delay=2500"]),
    ("request-limit", ["smtpd_policy_service_request_limit = 1",
                       "smtpd_recipient_restrictions = " + SVC],
     {"r1@test.invalid": "DUNNO", "r2@test.invalid": "REJECT second"},
     ["r1@test.invalid", "r2@test.invalid"], [], "stub"),
    ("policy-context", ["smtpd_recipient_restrictions = check_policy_service "
                        "{ unix:%(sock)s, policy_context=ctx-one }"],
     {"r1@test.invalid": "REJECT seen"}, ["r1@test.invalid"], [], "stub"),
    ("option-overrides-main-cf", ["smtpd_recipient_restrictions = " + SVC + ", reject"],
     {"r1@test.invalid": "DUNNO"}, ["r1@test.invalid"],
     ["smtpd_recipient_restrictions=" + SVC + ", defer", "smtpd_delay_reject=no"], "stub"),
]


def raw_session(path, rcpts):
    """EHLO, MAIL, RCPT over the UNIX socket, reading whole reply lines
    (smtplib stops at 8 KiB); the replies after EHLO."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(60)
    s.connect(path)
    f = s.makefile("rb")

    def reply():
        lines = []
        while True:
            line = f.readline()
            if not line:
                return DROP
            lines.append(line.rstrip(b"\r\n").decode(errors="replace"))
            if len(line) < 4 or line[3:4] != b"-":
                return lines[-1] if len(lines) == 1 else "\n".join(lines)

    try:
        reply()
        s.sendall(b"EHLO client.test\r\n")
        reply()
        s.sendall(("MAIL FROM:<%s>\r\n" % SENDER).encode())
        out = [reply()]
        for r in rcpts:
            s.sendall(("RCPT TO:<%s>\r\n" % r).encode())
            out.append(reply())
        s.sendall(b"QUIT\r\n")
        return out
    finally:
        f.close()
        s.close()


def smtp_session(pf, rcpts):
    """The MAIL reply and each RCPT reply, as "CODE TEXT"."""
    s = pf.smtp(timeout=60)
    out = []
    try:
        s.ehlo()
        code, text = pfns.smtp_reply(s.mail, SENDER)
        out.append("%d %s" % (code, text))
        for r in rcpts:
            code, text = pfns.smtp_reply(s.rcpt, r)
            out.append("%d %s" % (code, text))
        try:
            s.quit()
        except smtplib.SMTPException:
            pass
    except smtplib.SMTPServerDisconnected:
        out.append(DROP)
    finally:
        s.close()
    return out


def transcript(sid, real, rcpts):
    """The scenario as a transcript: one request per command that asks
    the service (MAIL when nothing follows it, else each RCPT), each with
    the reply real Postfix gave."""
    text = "# postconf scenario %s: Postfix %s's replies with %s.main.cf\n" % (sid, SERIES, sid)
    text += "protocol policy\n"
    if not rcpts:
        text += ('policy state=MAIL sender=%s recipient="" helo_name=client.test\n'
                 "expect smtp %s\n" % (SENDER, smtp_escape(real[0])))
        return text
    for r, reply in zip(rcpts, real[1:]):
        text += ("policy state=RCPT sender=%s recipient=%s helo_name=client.test\n"
                 "expect smtp %s\n" % (SENDER, r, smtp_escape(reply)))
    return text


def check_golden(path, text):
    if RERECORD:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        write(path, text)
        return
    assert os.path.exists(path), "no golden %s (SMTPDH_RERECORD=1 make integration records it)" % path
    with open(path) as f:
        kept = f.read()
    assert kept == text, "Postfix %s answered other than %s records:\n%s\n---\n%s" % (
        VERSION, path, kept, text)


@pytest.mark.parametrize("sid,settings,actions,rcpts,opts,server", SCENARIOS,
                         ids=[s[0] for s in SCENARIOS])
def test_postconf_fidelity(postfix, workdir, bins, sid, settings, actions, rcpts, opts, server):
    d = os.path.join(workdir, "policy")
    os.makedirs(d)
    os.chmod(d, 0o755)
    sock = os.path.join(d, "policy.sock")
    if server == "stub":
        table = write(os.path.join(d, "actions"),
                      "".join("%s\t%s\n" % kv for kv in actions.items()))
        helper = pfns.Helper("policy", [sys.executable, os.path.join(HERE, "helpers",
                                                                      "policy_action.py"),
                                        "unix:" + sock, table], listen="unix:" + sock)
    else:
        helper = pfns.Helper("policy", [bins.ref_policyd, "--default-action", "REJECT late"]
                             + list(server) + ["--mode", "0666", "unix:" + sock],
                             listen="unix:" + sock)
    opts = [o % {"sock": sock} for o in opts]
    smtpd_opts = "-o max_use=1" + "".join(" -o { %s = %s }" % tuple(o.split("=", 1))
                                          for o in opts)
    pf = postfix(relay_restrictions="reject_unauth_destination",
                 main_extra=["relay_domains = test.invalid", "mydestination ="]
                 + [s % {"sock": sock} for s in settings], helpers=[helper],
                 smtpd_opts=smtpd_opts)

    # real Postfix
    # whole lines as sent: smtplib stops at 8 KiB and strips trailing blanks
    # (a byte printable() made a blank at the end of a reject text)
    real = (raw_session(pf.smtpd_socket, rcpts)
            if sid in ("long-reject-text", "smtputf8-off-invalid-utf8")
            else smtp_session(pf, rcpts))
    pf.wait_maillog(r"disconnect from ", timeout=30)
    asked = re.findall(r"protocol_state=(\w+)", pf.helper_log("policy"))

    # the golden pair: main.cf (the socket's directory normalised) and the transcript
    with open(pf.path("main.cf")) as f:
        maincf = f.read().replace(d, "/run/policy").rstrip("\n")
    text = transcript(sid, real, rcpts)
    check_golden(os.path.join(GOLDEN, sid + ".main.cf"), maincf)
    check_golden(os.path.join(GOLDEN, sid + ".tr"), text)

    # the oracle, with the same main.cf, against the same helper
    conns = pf.helper_log("policy").count("\nconnection\n")
    tr = write(os.path.join(d, "scenario.tr"), text)
    conf = write(os.path.join(d, "main.cf"), maincf)
    argv = [bins.fake_smtpd, "replay", "-v", "--postfix-version", VERSION, "--postconf", conf]
    for o in opts:
        argv += ["-o", o.replace(d, "/run/policy")]
    r = subprocess.run(argv + ["unix:" + sock, tr], capture_output=True, text=True, timeout=120)
    said = re.findall(r"> (Postfix would answer the SMTP client.*|the SMTP reply is not "
                      r"predicted.*)", r.stdout)
    agreed = r.returncode == 0
    fidelity_record("postconf", sid, agreed, " | ".join(real), " | ".join(said) or r.stderr)
    assert agreed, "Postfix %s with %s answered %r (asked at %s); replay --postconf:\n%s%s" % (
        VERSION, sid, real, asked, r.stdout[-6000:], r.stderr)
    if sid.endswith("-delayed-reject") or sid == "helo-delayed-defer":
        assert asked == ["RCPT"], "Postfix asked at %s" % asked
    if sid == "relay-before-recipient" and tuple(map(int, SERIES.split("."))) < (3, 6):
        # before 3.6 smtpd_recipient_restrictions come first (no
        # smtpd_relay_before_recipient_restrictions): the service is asked
        assert asked == ["RCPT"], "Postfix %s asked at %s" % (VERSION, asked)
    elif sid == "relay-before-recipient":
        assert asked == [] and "Postfix does not ask" not in r.stdout and \
            "Relay access denied" in r.stdout, "Postfix asked at %s" % asked
    if sid == "sender-not-delayed":
        assert asked == ["MAIL"], "Postfix asked at %s" % asked
    if sid == "long-reject-text":
        assert len(real[1]) > 512 and "FINDING: the reply line is" in r.stdout
    log = pf.helper_log("policy")
    if sid == "policy-context":
        # Postfix sent it, and so did replay, from the { } form of main.cf
        assert log.count("policy_context=ctx-one") == 2, log
    if sid == "request-limit":
        # a new connection per request, for Postfix and for replay
        assert conns == 2 and log.count("\nconnection\n") == 4, log


def test_check_policy_postconf(postfix, workdir, bins):
    """`fake-smtpd check --policy TARGET --postconf main.cf`, the policy
    check in smtpd_sender_restrictions and smtpd_delay_reject at its
    default: the check predicts "Sender address rejected", the reply real
    Postfix gives with that main.cf."""
    d = os.path.join(workdir, "policy")
    os.makedirs(d)
    os.chmod(d, 0o755)
    sock = os.path.join(d, "policy.sock")
    table = write(os.path.join(d, "actions"), "r1@test.invalid\tREJECT not from you\n")
    helper = pfns.Helper("policy", [sys.executable, os.path.join(HERE, "helpers",
                                                                  "policy_action.py"),
                                    "unix:" + sock, table], listen="unix:" + sock)
    pf = postfix(relay_restrictions="reject_unauth_destination",
                 main_extra=["relay_domains = test.invalid",
                             "smtpd_sender_restrictions = check_policy_service unix:" + sock],
                 helpers=[helper])
    real = smtp_session(pf, ["r1@test.invalid"])[1]
    assert "Sender address rejected" in real, real
    r = subprocess.run([bins.fake_smtpd, "check", "--policy", "unix:" + sock, "--postconf",
                        pf.path("main.cf"), "--postfix-version", VERSION, "--no-catalogue",
                        "--fast", "-v", "--only", "POLICY-EXPECT",
                        "--expect", "sender=%s recipient=r1@test.invalid => REJECT*" % SENDER],
                       capture_output=True, text=True, timeout=120)
    said = re.findall(r"Postfix would answer the SMTP client \(RCPT\): (.*?)(?: - |$)",
                      r.stdout, re.M)
    fidelity_record("postconf", "check-policy-sender-list", real in said, real, " | ".join(said))
    assert r.returncode == 0, r.stdout + r.stderr
    assert real in said, "Postfix: %r; check --policy --postconf said %r\n%s" % (
        real, said, r.stdout)


def test_postconf_golden_set():
    """corpus/recorded/postconf-X.Y holds a main.cf and a transcript per
    scenario and nothing else."""
    if RERECORD:
        pytest.skip("re-recording: the scenarios running beside this test write the set")
    want = {"%s.%s" % (s[0], ext) for s in SCENARIOS for ext in ("main.cf", "tr")}
    # and those of the other fidelity modules' main.cf scenarios
    for f in sorted(os.listdir(HERE)):
        if re.fullmatch(r"test_fidelity_\w+\.py", f):
            want |= set(getattr(importlib.import_module(f[:-3]), "POSTCONF_GOLDEN_NAMES", ()))
    have = set(os.listdir(GOLDEN)) if os.path.isdir(GOLDEN) else set()
    assert have == want, "missing %s, unknown %s in %s" % (
        sorted(want - have), sorted(have - want), GOLDEN)


# (id, ref-authd's mechanisms, main.cf's SASL settings)
SASL = [
    ("sasl-mechanism-filter", "plain,login,cram-md5",
     ["smtpd_sasl_mechanism_filter = login, cram-md5"]),
    ("sasl-security-options", "plain,login,cram-md5,anonymous",
     ["smtpd_sasl_security_options = noanonymous, noplaintext"]),
]


@pytest.mark.parametrize("sid,mechs,settings", SASL, ids=[s[0] for s in SASL])
def test_sasl_postconf(postfix, workdir, bins, sid, mechs, settings):
    """The EHLO AUTH list real Postfix gives with main.cf's
    smtpd_sasl_mechanism_filter and smtpd_sasl_security_options equals
    the one `fake-smtpd auth --postconf main.cf -v` predicts over the same
    ref-authd."""
    d = os.path.join(workdir, "auth")
    os.makedirs(d)
    os.chmod(d, 0o755)
    users = write(os.path.join(d, "users"), "alice:{PLAIN}secret\n")
    sock = os.path.join(d, "authd.sock")
    authd = pfns.Helper("authd", [bins.ref_authd, "--passwd-file", users, "-m", mechs,
                                  "--failure-delay", "0", "--mode", "0666", "unix:" + sock],
                        listen="unix:" + sock)
    pf = postfix(main_extra=settings, helpers=[authd], master_extra=[
        "smtpd-auth unix n - n - - smtpd\n  -o max_use=1 -o smtpd_sasl_auth_enable=yes"
        " -o smtpd_sasl_path=%s" % sock])
    s = pfns.UnixSMTP(pf.path("spool", "public", "smtpd-auth"), local_hostname="client.test",
                      timeout=40)
    try:
        s.ehlo()
        real = "250-AUTH " + " ".join(s.esmtp_features.get("auth", "").split())
        s.quit()
    finally:
        s.close()
    r = subprocess.run([bins.fake_smtpd, "auth", "-v", "--postfix-version", VERSION,
                        "--postconf", pf.path("main.cf"), "--mech", "CRAM-MD5",
                        "unix:" + sock, "alice", "secret"],
                       capture_output=True, text=True, timeout=60)
    said = re.findall(r"> Postfix's EHLO: (.*)", r.stdout)
    guess = said[0] if said else r.stdout + r.stderr
    fidelity_record("postconf", sid, real == guess, real, guess)
    assert real == guess, "Postfix %s: %r; fake-smtpd auth --postconf: %r" % (VERSION, real, guess)
