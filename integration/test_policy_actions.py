# SPDX-License-Identifier: MIT
"""Every access(5) action family a policy service can answer, observed as
real Postfix's SMTP reply at RCPT (smtpd_check.c check_table_result;
protocols.md B.5). The policy service here is a stub that answers a
fixed value per recipient; the expected replies come from Postfix's
source, with the restriction after the policy service rejecting with a
text of its own so that "continue" is visible."""

import os
import re
import smtplib
import sys

import pytest

import pfns
from conftest import write

HERE = os.path.dirname(os.path.abspath(__file__))
NEXT = "5.7.1 <a@test.invalid>: Sender address rejected: fell through to the next restriction"


def R(rcpt, text):
    return "<%s>: Recipient address rejected: %s" % (rcpt, text)


# (recipient local part, action value, SMTP code, reply text or None for any)
ROWS = [
    ("reject", "REJECT", 554, "5.7.1 " + R("reject@test.invalid", "Access denied")),
    ("reject-text", "REJECT go away", 554, "5.7.1 " + R("reject-text@test.invalid", "go away")),
    ("reject-lower", "reject go away", 554, "5.7.1 " + R("reject-lower@test.invalid", "go away")),
    ("reject-dsn", "REJECT 5.7.26 bad sender", 554,
     "5.7.26 " + R("reject-dsn@test.invalid", "bad sender")),
    ("defer", "DEFER", 450, "4.7.1 " + R("defer@test.invalid", "Access denied")),
    ("defer-text", "DEFER try later", 450, "4.7.1 " + R("defer-text@test.invalid", "try later")),
    ("code-550", "550 5.7.0 custom text", 550, "5.7.0 " + R("code-550@test.invalid", "custom text")),
    ("code-550-nodsn", "550 custom text", 550, "5.7.1 " + R("code-550-nodsn@test.invalid", "custom text")),
    ("code-421", "421 4.7.0 closing", 421, "4.7.0 " + R("code-421@test.invalid", "closing")),
    ("dsn-class", "450 5.7.1 forced", 450, "4.7.1 " + R("dsn-class@test.invalid", "forced")),
    ("dsn-class-5", "550 4.2.0 forced", 550, "5.2.0 " + R("dsn-class-5@test.invalid", "forced")),
    ("ok", "OK", 250, "2.1.5 Ok"),
    ("relay", "RELAY ignored text", 250, "2.1.5 Ok"),
    ("alldigit", "550", 250, "2.1.5 Ok"),
    ("empty", "", 250, "2.1.5 Ok"),
    ("discard", "DISCARD", 250, "2.1.5 Ok"),
    ("hold", "HOLD", 554, NEXT),  # HOLD flags the message and continues
    ("dunno", "DUNNO", 554, NEXT),
    ("dunno-text", "dunno whatever", 554, NEXT),
    ("info", "INFO noted", 554, NEXT),
    ("warn", "WARN noted", 554, NEXT),
    ("lookup-table", "hash:/etc/postfix/x", 451, "4.3.5 Server configuration error"),
    ("unknown-word", "FOO", 451, "4.3.5 Server configuration error"),
    ("space-dunno", " DUNNO", 451, "4.3.5 Server configuration error"),
    ("restriction-permit", "permit", 250, "2.1.5 Ok"),
    ("restriction-list", "reject_unauth_destination, reject", 554,
     "5.7.1 " + R("restriction-list@test.invalid", "Access denied")),
    ("server-failure", "@close", 451,
     "4.3.5 " + R("server-failure@test.invalid", "Server configuration problem")),
]


@pytest.fixture(scope="module")
def pf(module_postfix, module_workdir):
    d = os.path.join(module_workdir, "policy-actions")
    os.makedirs(d)
    os.chmod(d, 0o755)
    table = write(os.path.join(d, "actions"),
                  "".join("%s@test.invalid\t%s\n" % (r[0], r[1]) for r in ROWS))
    sock = os.path.join(d, "policy.sock")
    helper = pfns.Helper("policy", [sys.executable, os.path.join(HERE, "helpers", "policy_action.py"),
                                    "unix:" + sock, table], listen="unix:" + sock)
    return module_postfix(
        main_extra=["mydestination = test.invalid"],
        recipient_restrictions="check_policy_service unix:%s, check_sender_access "
                               "inline:{ { a@test.invalid = REJECT fell through to the next "
                               "restriction } }" % sock,
        helpers=[helper])


def rcpt(pf, local, sender="a@test.invalid"):
    s = pf.smtp()
    try:
        s.ehlo()
        assert s.mail(sender)[0] == 250
        code, text = pfns.smtp_reply(s.rcpt, local + "@test.invalid")
        return s, code, text
    except BaseException:
        s.close()
        raise


@pytest.mark.parametrize("local,action,code,text", ROWS, ids=[r[0] for r in ROWS])
def test_action_reply(pf, local, action, code, text):
    s, got_code, got_text = rcpt(pf, local)
    with s:
        assert (got_code, got_text) == (code, text), "action=%r" % action
        if code == 421:
            # smtpd hangs up after a 421
            with pytest.raises(smtplib.SMTPServerDisconnected):
                s.noop()


def test_discard_accepts_and_drops_the_message(pf):
    s, code, _ = rcpt(pf, "discard")
    with s:
        assert code == 250
        code, text = s.data(b"Subject: t\r\n\r\nbody\r\n")
        assert code == 250 and b"queued as" in text
    pf.wait_maillog(re.escape("discard: RCPT from localhost[127.0.0.1]: <discard@test.invalid>: "
                              "Recipient address triggers DISCARD action"))


def test_hold_puts_the_message_on_hold(pf):
    # a sender the next restriction does not reject
    s, code, _ = rcpt(pf, "hold", sender="b@test.invalid")
    with s:
        assert code == 250
        code, text = s.data(b"Subject: t\r\n\r\nbody\r\n")
        assert code == 250 and b"queued as" in text
        qid = text.decode().split()[-1]
    pf.wait_maillog(re.escape("hold: RCPT from localhost[127.0.0.1]: <hold@test.invalid>: "
                              "Recipient address triggers HOLD action"))
    assert os.path.exists(pf.path("spool", "hold", qid)), os.listdir(pf.path("spool", "hold"))


def test_failing_server_gets_the_same_request_twice(pf):
    before = pf.helper_log("policy").count("recipient=server-failure@test.invalid")
    s, code, _ = rcpt(pf, "server-failure")
    s.close()
    assert code == 451
    after = pf.helper_log("policy").count("recipient=server-failure@test.invalid")
    assert after - before == 2  # smtpd_policy_service_try_limit = 2


def test_empty_action_is_logged_as_empty_value(pf):
    rcpt(pf, "empty")[0].close()
    pf.wait_maillog("has empty value")
