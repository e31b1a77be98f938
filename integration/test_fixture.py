# SPDX-License-Identifier: MIT
"""The private Postfix itself, proved with Postfix's own behaviour."""

import os
import re

import pytest

import pfns


@pytest.mark.parametrize("quick_start", [True, False], ids=["skeleton", "full-check"])
def test_starts_and_answers_on_the_unix_socket(postfix, quick_start):
    pf = postfix(quick_start=quick_start)
    # a hang guard, not a timing goal: start-up time on a loaded CI machine varies
    print("private Postfix started in %.2f s" % pf.start_seconds)
    assert pf.start_seconds < 30, "start took %.2f s" % pf.start_seconds
    # backdated when installed (ctime), or Postfix waits until their mtime has passed
    for f in ("main.cf", "master.cf"):
        st = os.stat(pf.path("etc", f))
        assert st.st_mtime <= st.st_ctime - 4, (f, st)
    with pf.smtp() as s:
        code, text = s.ehlo()
        assert code == 250
        assert text.startswith(b"mx.test.invalid")
        assert not s.has_extn("auth"), "AUTH offered with smtpd_sasl_auth_enable=no"


def test_no_auth_relay_is_denied_and_local_mail_is_queued(postfix):
    pf = postfix(relay_restrictions="permit_mynetworks, reject_unauth_destination",
                 main_extra=["mydestination = test.invalid"])
    with pf.smtp() as s:
        s.ehlo()
        assert pfns.smtp_reply(s.mail, "a@test.invalid")[0] == 250
        code, text = pfns.smtp_reply(s.rcpt, "bob@example.com")
        assert (code, text) == (554, "5.7.1 <bob@example.com>: Relay access denied")
        code, _ = pfns.smtp_reply(s.rcpt, "bob@test.invalid")
        assert code == 250
        code, text = pfns.smtp_reply(s.data, b"Subject: t\r\n\r\nhello\r\n")
        assert code == 250 and b"queued as" in text if isinstance(text, bytes) else "queued as" in text


def test_network_is_private_loopback_only(postfix):
    pf = postfix()
    r = pf.nsenter("ip", "-o", "link")
    assert r.returncode == 0, r.stderr
    names = [line.split(":")[1].strip() for line in r.stdout.splitlines()]
    assert names == ["lo"]
    # smtpd listens on the private 127.0.0.1:25 (state 0A = LISTEN)
    with pf.netns():
        with open("/proc/self/net/tcp") as f:
            inside = f.read()
    with open("/proc/self/net/tcp") as f:
        outside = f.read()
    assert re.search(r" 0100007F:0019 00000000:0000 0A ", inside), inside
    assert inside != outside


def test_tcp_client_address_inside_the_namespace(postfix):
    pf = postfix()
    with pf.smtp_inet(src="127.0.0.7") as s:
        assert s.ehlo()[0] == 250
    pf.wait_maillog(r"connect from (localhost|unknown)\[127\.0\.0\.7\]")


def test_private_config_and_spool(postfix):
    pf = postfix(main_extra=["smtpd_banner = $myhostname ESMTP private-instance-marker"])
    r = pf.nsenter("postconf", "-h", "smtpd_banner", "queue_directory")
    assert r.stdout.split("\n")[:2] == ["$myhostname ESMTP private-instance-marker",
                                        "/var/spool/postfix"]
    with pf.smtp() as s:
        code, text = s.docmd("NOOP")
        assert code == 250
    with open("/proc/self/mountinfo") as f:
        assert pf.root not in f.read(), "instance mounts visible on the host"
    assert os.path.exists(pf.path("spool", "pid", "master.pid"))


def test_stop_leaves_no_process_and_no_mount(postfix):
    pf = postfix()
    procs, mounts = pf.leftovers()
    assert len(procs) >= 4, procs  # PID 1, master, qmgr, pickup at least
    assert mounts == []
    pid1 = pf.pid1
    pf.stop()
    assert pf.leftovers() == ([], [])
    assert not os.path.exists("/proc/%d" % pid1)


def test_start_failure_shows_postfixs_own_error(postfix):
    with pytest.raises(pfns.StartError) as e:
        postfix(main_extra=["maillog_file = /nonexistent/maillog"])
    assert "does not match any prefix in maillog_file_prefixes" in str(e.value), str(e.value)


def test_helper_that_dies_is_named(postfix, tmp_path):
    with pytest.raises(pfns.StartError) as e:
        postfix(helpers=[pfns.Helper("broken", ["sh", "-c", "echo no such option >&2; exit 3"],
                                     listen="unix:/nonexistent/sock")])
    assert "helper broken exited" in str(e.value)
    assert "no such option" in str(e.value)


def test_two_instances_at_once_are_separate(postfix):
    a = postfix(main_extra=["myhostname = a.test.invalid"])
    b = postfix(main_extra=["myhostname = b.test.invalid"])
    with a.smtp() as sa, b.smtp() as sb:
        assert sa.ehlo()[1].startswith(b"a.test.invalid")
        assert sb.ehlo()[1].startswith(b"b.test.invalid")
    assert a.pidns != b.pidns
