# SPDX-License-Identifier: MIT
"""ref-policyd's actions observed as real Postfix's RCPT replies.

One rule per action row of test_policy_actions (same expected replies,
which come from Postfix's check_table_result). Actions ref-policyd
refuses to load, because Postfix would read them as something else
(empty, all-digit, ':' and unknown words), are produced with its
deliberate faults instead; a reply without action is a server failure."""

import os
import subprocess

import pytest

import pfns
from conftest import write
from test_policy_actions import NEXT, R, ROWS

# rows ref-policyd cannot be told to answer (see test_refused_at_load),
# and " DUNNO", which a rule file trims to DUNNO
NOT_IN_RULES = {"alldigit", "empty", "lookup-table", "unknown-word", "server-failure",
                "space-dunno"}
RULE_ROWS = [r for r in ROWS if r[0] not in NOT_IN_RULES]
TAIL = ("check_sender_access inline:{ { a@test.invalid = REJECT fell through to the next "
        "restriction } }")


def rules_text(rows):
    return "".join('rule %s: at RCPT recipient == "%s@test.invalid" => %s\n'
                   % (local, local, action) for local, action, _, _ in rows)


def policyd_instance(start, bins, root, rules, faults=None):
    os.makedirs(root)
    os.chmod(root, 0o755)
    rules = write(os.path.join(root, "actions.rules"), rules)
    sock = os.path.join(root, "policyd.sock")
    argv = [bins.ref_policyd, "--rules", rules]
    if faults:
        argv += ["--fault", faults]
    helper = pfns.Helper("policyd", argv + ["unix:" + sock], listen="unix:" + sock,
                         socket_mode=0o666)
    return start(main_extra=["mydestination = test.invalid"],
                 recipient_restrictions="check_policy_service unix:%s, %s" % (sock, TAIL),
                 helpers=[helper])


@pytest.fixture(scope="module")
def pf(module_postfix, module_workdir, bins):
    return policyd_instance(module_postfix, bins, os.path.join(module_workdir, "policyd-actions"),
                            rules_text(RULE_ROWS))


def rcpt(pf, local):
    with pf.smtp() as s:
        s.ehlo()
        assert s.mail("a@test.invalid")[0] == 250
        return pfns.smtp_reply(s.rcpt, local + "@test.invalid")


@pytest.mark.parametrize("local,action,code,text", RULE_ROWS, ids=[r[0] for r in RULE_ROWS])
def test_rule_action_reply(pf, local, action, code, text):
    assert rcpt(pf, local) == (code, text), "action=%r" % action


def test_no_matching_rule_is_dunno(pf):
    assert rcpt(pf, "nobody-listed") == (554, NEXT)


@pytest.mark.parametrize("local", sorted(NOT_IN_RULES - {"space-dunno"}))
def test_refused_at_load(bins, tmp_path, local):
    """ref-policyd will not load an action Postfix would not read as written."""
    row = next(r for r in ROWS if r[0] == local)
    f = write(str(tmp_path / "one.rules"), rules_text([row]))
    r = subprocess.run([bins.ref_policyd, "--check", "--rules", f], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode != 0
    assert "one.rules:1:" in r.stderr, r.stderr


@pytest.mark.parametrize("fault,code,text", [
    ("bad-action", 451, "4.3.5 Server configuration error"),
    ("colon-action", 451, "4.3.5 Server configuration error"),
    ("no-action", 451, "4.3.5 " + R("x@test.invalid", "Server configuration problem")),
    ("action-case", 451, "4.3.5 " + R("x@test.invalid", "Server configuration problem")),
])
def test_fault_reply(postfix, workdir, bins, fault, code, text):
    pf = policyd_instance(postfix, bins, os.path.join(workdir, "f"), "always => REJECT\n", fault)
    assert rcpt(pf, "x") == (code, text)
