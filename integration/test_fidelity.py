# SPDX-License-Identifier: MIT
"""Fidelity: does fake-smtpd speak to a helper as real Postfix does, and
does its oracle (harness/postfix/) predict what Postfix answers?

Each scenario starts a private Postfix whose auth or policy connection
goes through `fake-smtpd record` (a byte-for-byte proxy) to a helper:
ref-authd or ref-policyd, with or without their fault modes (-f), or the
stub policy service helpers/policy_action.py for answers the reference
servers refuse to give. smtplib drives the SMTP side. Then `fake-smtpd
replay` runs the same scenario straight against the same helper.
Compared, per scenario:
  - the lines Postfix sent on the helper connection with the lines
    fake-smtpd sent (normalised: CPID, request ids, the CRAM-MD5 digest
    of a fresh challenge; policy: instance, ports, addresses, names);
  - auth: the SMTP reply Postfix gave with the reply replay says Postfix
    gives (checked by replay itself with `expect smtp`), or, when the
    handshake fails, that both drop the SMTP session;
  - policy: how many requests the policy server received (retries) and,
    per RCPT, Postfix's reply with the oracle's verdict on the action
    replay read (integration/oracle/predict.c over pf_policy), or on
    the default action when every try failed.
Two kinds are judged by the oracle's functions directly (integration/
oracle/predict_auth.c): the AUTHs after a broken auth connection
(helpers/auth_break_once.py breaks the first; Postfix's replies and the
request ids the helper receives, against pf_auth_link_after and
pf_auth_next_request) and the EHLO AUTH list (against pf_sasl_offer).
The Postfix is the host's, or the root $SMTPDH_POSTFIX_ROOT names
(scripts/build-peer), with the oracle set to its version.
Each scenario's recording, normalised, and Postfix's SMTP replies are
also compared with its golden transcript corpus/recorded/postfix-X.Y/
KIND-ID.tr (the replies on its "# SMTP:" line), which must replay green
against the same helper (SMTPDH_RERECORD=1 rewrites them instead; see
integration/README.md). Every scenario is counted; the summary line "fidelity: N scenarios
compared, M agreed" and a table go to the terminal and to
$SMTPDH_BUILD/fidelity-report.txt (conftest.py)."""

import atexit
import base64
import difflib
import importlib
import json
import os
import re
import shutil
import smtplib
import subprocess
import sys
import tempfile
import time

import pytest

import pfns
from conftest import HERE, TOP, fidelity_record, write

FAST_POLICY_TIMEOUT = 3  # smtpd_policy_service_timeout of the instances, s
# the pause between two RCPTs, for Postfix (the SMTP client waits) and for
# replay: a policy server that closes after its reply has closed, through
# the recorder, before the next request, whatever the load
SMTP_ROUND_TRIP_MS = 300
DROP = "(connection closed)"
SMTPD_AUTH = "smtpd-auth"


VERSION = pfns.mail_version() or "3.7"
SERIES = ".".join(VERSION.split(".")[:2])
GOLDEN = os.path.join(TOP, "corpus", "recorded", "postfix-" + SERIES)
RERECORD = os.environ.get("SMTPDH_RERECORD") == "1"


# -- golden transcripts ----------------------------------------------------
# what Postfix sent and the helper answered, as `fake-smtpd record` wrote
# it, with the values of this run replaced: the recorder's header (socket
# paths), and in policy requests the instance, client port and queue id
GOLDEN_POLICY = ("instance", "client_port", "queue_id")


def normalise_golden(text, kind, sid, smtp):
    out = ["# %s scenario %s: Postfix %s through fake-smtpd record, normalised "
           "(integration/README.md)" % (kind, sid, SERIES),
           "# SMTP: %s" % smtp]
    # the recorder takes the protocol from the first line it sees: a bare
    # "VERSION" from the server that comes before Postfix's "VERSION<TAB>"
    # makes it a policy transcript, written without the auth masks (a
    # race of fake-smtpd record); written here as it would have been
    as_policy = kind == "auth" and re.search(r"^protocol policy$", text, re.M)
    for line in text.splitlines():
        if line.startswith("# recorded by fake-smtpd record"):
            continue
        if as_policy:
            line = re.sub(r"^protocol policy$", "protocol auth", line)
            line = re.sub(r"^C: CPID\\t\d+$", r"C: CPID\\t{pid}", line)
            line = re.sub(r"^S: (SPID|CUID|COOKIE)\\t.*$", r"S: \1\\t*", line)
            line = re.sub(r"^(C: (?:AUTH|CONT)|S: (?:OK|FAIL|CONT))\\t\d+", r"\1\\t{id}", line)
        m = re.match(r"^((?:# )?C: )([a-z_]+)=(.+)$", line)
        if kind == "policy" and m and m.group(2) in GOLDEN_POLICY:
            line = "%s%s=<%s>" % (m.group(1), m.group(2), m.group(2))
        # CRAM-MD5: the recorder keeps the exchange as comments; the
        # challenge (pid, time, host) and so the digest are fresh each time
        m = re.match(r"^# ([CS]): CONT\\t(\d+)\\t(.+)$", line)
        if m:
            line = "# %s: CONT\\t%s\\t<%s>" % (m.group(1), m.group(2),
                                              "challenge" if m.group(1) == "S" else "response")
        out.append(line)
    if kind == "auth":
        out = handshake_order(out)
    return "\n".join(out) + "\n"


def handshake_order(lines):
    """Postfix's VERSION and CPID first in each connection: the server
    sends its handshake without waiting for them, so the recorder sees the
    two directions interleaved as it happens."""
    res, pos = [], None
    for line in lines:
        if line.startswith("# connection "):
            res.append(line)
            pos = len(res)
            continue
        if pos is not None and re.match(r"^C: (VERSION|CPID)\\t", line):
            res.insert(pos, line)
            pos += 1
            continue
        if pos is not None and not line.startswith("S: "):
            pos = None
        res.append(line)
    return res


def golden(kind, sid, recording, fake, target, smtp, extra=(), closes_unread=False):
    """The recording, normalised, with Postfix's replies to the SMTP
    client (smtp, on a "# SMTP:" line) equals corpus/recorded/postfix-X.Y/
    KIND-SID.tr (SMTPDH_RERECORD=1 writes it instead), and the kept
    transcript replays green against the same helper. closes_unread: the
    helper closes without reading what the client sent, so the replay's
    write may find the connection already closed (EPIPE); that failure
    alone is accepted."""
    with open(recording) as f:
        text = normalise_golden(f.read(), kind, sid, smtp)
    path = os.path.join(GOLDEN, "%s-%s.tr" % (kind, sid))
    if RERECORD:
        os.makedirs(GOLDEN, exist_ok=True)
        write(path, text)
    elif closes_unread:
        # the helper closes at once: whether the recorder forwards
        # Postfix's VERSION/CPID before the close is a race (it may note
        # "helper not writable"); only the replay below is checked
        pass
    elif not os.path.exists(path):
        pytest.fail("no golden transcript %s (SMTPDH_RERECORD=1 make integration records "
                    "it)" % path)
    else:
        with open(path) as f:
            kept = f.read()
        if kept != text:
            diff = difflib.unified_diff(kept.splitlines(), text.splitlines(),
                                        path, "recorded now", lineterm="")
            pytest.fail("Postfix %s sent, got or answered other bytes than %s records:\n%s" % (
                VERSION, path, "\n".join(diff)))
    r = subprocess.run([fake, "replay", "--postfix-version", VERSION] + list(extra)
                       + [target, path], capture_output=True, text=True, timeout=120)
    if closes_unread and r.returncode == 1 and re.search(
            r"\.tr:\d+: C: write failed: (Broken pipe|Connection reset by peer)\n", r.stdout):
        return
    assert r.returncode == 0, "%s does not replay green against the helper:\n%s%s" % (
        path, r.stdout, r.stderr)


# -- auth ----------------------------------------------------------------
# (id, mechanism, user, password, initial response, ref-authd faults,
#  extra ref-authd options)
AUTH = [
    ("plain-ok-ir", "PLAIN", "alice", "secret", True, None, ()),
    ("plain-wrong-ir", "PLAIN", "alice", "wrong", True, None, ()),
    ("plain-ok-noir", "PLAIN", "alice", "secret", False, None, ()),
    ("plain-wrong-noir", "PLAIN", "alice", "wrong", False, None, ()),
    ("plain-unknown-user", "PLAIN", "nobody", "secret", True, None, ()),
    ("plain-lowercase-mech", "plain", "alice", "secret", True, None, ()),
    ("login-ok", "LOGIN", "alice", "secret", False, None, ()),
    ("login-wrong", "LOGIN", "alice", "wrong", False, None, ()),
    ("cram-md5-ok", "CRAM-MD5", "alice", "secret", False, None, ()),
    ("cram-md5-wrong", "CRAM-MD5", "alice", "wrong", False, None, ()),
    ("mech-not-offered", "LOGIN", "alice", "secret", False, None, ("-m", "plain")),
    ("fault-spid-before-mech", "PLAIN", "alice", "secret", True, "spid-before-mech", ()),
    ("fault-version-major-2", "PLAIN", "alice", "secret", True, "version-major-2", ()),
    ("fault-bare-version", "PLAIN", "alice", "secret", True, "bare-version", ()),
    ("fault-no-done", "PLAIN", "alice", "secret", True, "no-done", ()),
    ("fault-crlf", "PLAIN", "alice", "secret", True, "crlf", ()),
    ("fault-ok-without-user", "PLAIN", "alice", "secret", True, "ok-without-user", ()),
    ("fault-fail-temp-plain", "PLAIN", "alice", "wrong", True, "fail-temp", ()),
    ("fault-fail-temp-login", "LOGIN", "alice", "wrong", False, "fail-temp", ()),
    ("fault-wrong-id", "PLAIN", "alice", "secret", True, "wrong-id", ()),
    ("fault-garbage-line", "PLAIN", "alice", "secret", True, "garbage-line", ()),
    ("fault-cont-extra-fields", "LOGIN", "alice", "secret", False, "cont-extra-fields", ()),
    ("fault-unescaped-tab-user", "PLAIN", "alice", "secret", True, "unescaped-tab-user", ()),
    ("fault-close-after-handshake", "PLAIN", "alice", "secret", True, "close-after=1", ()),
]


def smtp_escape(text):
    """A reply line as a transcript pattern that matches only itself (a
    blank at its end written \\s, which the statement's parser would drop)."""
    text = re.sub(r"([\\*{}$])", r"\\\1", text)
    stripped = text.rstrip(" ")
    return stripped + "\\s" * (len(text) - len(stripped))


def auth_connections(path):
    try:
        with open(path) as f:
            text = f.read()
    except FileNotFoundError:
        return []
    return re.split(r"^# connection \d+\n", text, flags=re.M)[1:]


def wait_connections(path, n, timeout=30):
    """The recorded connections once n are written and the file is stable
    (the recorder rewrites it when a connection ends)."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        conns = auth_connections(path)
        if len(conns) >= n and conns == last:
            return conns
        last = conns
        time.sleep(0.1)
    raise AssertionError("%d connection(s) not recorded in %s after %d s" % (n, path, timeout))


def wait_stable(path, quiet=1.0, timeout=30):
    """The recorded connections once there is one and the file has not
    changed for quiet seconds."""
    deadline = time.monotonic() + timeout
    last, since = None, time.monotonic()
    while time.monotonic() < deadline:
        conns = auth_connections(path)
        if conns != last:
            last, since = conns, time.monotonic()
        elif conns and time.monotonic() - since >= quiet:
            return conns
        time.sleep(0.1)
    raise AssertionError("no stable recording in %s after %d s" % (path, timeout))


def normalise_auth(line):
    line = line.replace("\\t", "\t")
    f = line.split("\t")
    if f[0] == "CPID":
        f[1] = "<pid>"
    elif f[0] in ("AUTH", "CONT"):
        f[1] = "<id>"
    if f[0] == "CONT" and len(f) == 3:
        try:
            text = base64.b64decode(f[2]).decode("latin-1")
        except ValueError:
            text = f[2]
        f[2] = re.sub(r"^(\S+) [0-9a-f]{32}$", r"\1 <digest>", text)
    return "\t".join(f)


def client_lines(conn, normalise):
    """What the client sent: C: lines, and the "# C:" lines the recorder
    keeps as comments for challenge-dependent exchanges."""
    lines = [m for m in re.findall(r"^(?:# )?C: ?(.*)$", conn, re.M)]
    lines = [re.sub(r"\{pid\}", "0", line) for line in lines]
    return [normalise(line) for line in lines]


def replay(fake, target, text, d, defines=(), extra=()):
    tr = write(os.path.join(d, "scenario.tr"), text)
    argv = [fake, "replay", "-v", "--format", "json", "--postfix-version", VERSION]
    argv += list(extra)
    for k, v in defines:
        argv += ["-D", "%s=%s" % (k, v)]
    r = subprocess.run(argv + [target, tr], capture_output=True, text=True, timeout=120)
    assert r.returncode in (0, 1), "replay exit %d: %s" % (r.returncode, r.stderr)
    return json.loads(r.stdout)["results"][0]


def logged(result, prefix):
    return [line.strip()[len(prefix):] for line in result["log"].splitlines()
            if line.strip().startswith(prefix)]


AUTH_DROP_PREDICTION = re.compile(r'smtpd exits with "fatal|would crash|connection drop')


def auth_setup(postfix, workdir, bins, authd_opts, front=None):
    """ref-authd (alice, password secret; authd_opts) behind fake-smtpd
    record, and a private Postfix whose smtpd-auth service asks the
    recorder, or front(dir, recorder socket) -> (helper, smtpd_sasl_path)
    put in between. Returns (instance, ref-authd's socket, recording)."""
    d = os.path.join(workdir, "auth")
    os.makedirs(d)
    os.chmod(d, 0o755)
    users = write(os.path.join(d, "users"), "alice:{PLAIN}secret\n")
    authd_sock, rec_sock = os.path.join(d, "authd.sock"), os.path.join(d, "rec.sock")
    recording = os.path.join(d, "postfix.tr")
    authd = pfns.Helper("authd", [bins.ref_authd, "--passwd-file", users] + list(authd_opts)
                        + ["--mode", "0666", "unix:" + authd_sock], listen="unix:" + authd_sock)
    record = pfns.Helper("record", [bins.fake_smtpd, "record", "--listen", "unix:" + rec_sock,
                                    "--upstream", "unix:" + authd_sock, "-o", recording,
                                    "--count", "0", "--keep-credentials"],
                         listen="unix:" + rec_sock, socket_mode=0o666)
    helpers, sasl_path = [authd, record], rec_sock
    if front:
        helper, sasl_path = front(d, rec_sock)
        helpers.append(helper)
    # smtpd-unix (the readiness probe) runs without SASL; smtpd-auth with
    pf = postfix(master_extra=[
        "%s unix n - n - - smtpd\n  -o max_use=1 -o smtpd_sasl_auth_enable=yes"
        " -o smtpd_sasl_path=%s" % (SMTPD_AUTH, sasl_path)], helpers=helpers)
    return pf, authd_sock, recording


@pytest.mark.parametrize("sid,mech,user,password,ir,faults,opts", AUTH, ids=[a[0] for a in AUTH])
def test_auth_fidelity(postfix, workdir, bins, sid, mech, user, password, ir, faults, opts):
    pf, authd_sock, recording = auth_setup(
        postfix, workdir, bins, ["--failure-delay", "0"] + list(opts)
        + (["--fault", faults] if faults else []))

    # real Postfix
    s, steps = None, []   # steps: the 334 lines, when the test drives them
    try:
        # the banner comes before smtpd talks to the helper, but a failed
        # handshake can end smtpd before the client has read it
        s = pfns.UnixSMTP(pf.path("spool", "public", SMTPD_AUTH), local_hostname="client.test",
                          timeout=40)
        s.ehlo()
        s.user, s.password = user, password
        if faults == "cont-extra-fields":
            # smtplib cannot decode a 334 with a TAB in it; answer as a
            # client that ignores the challenge text
            code, text = s.docmd("AUTH", mech)
            for answer in (user, password):
                if code != 334:
                    break
                steps.append("%d %s" % (code, text.decode(errors="replace")))
                code, text = s.docmd(base64.b64encode(answer.encode()).decode())
            text = text.decode(errors="replace")
        elif mech != mech.upper():
            # smtplib upper-cases the mechanism; Postfix passes the client's spelling
            resp = base64.b64encode(("\0%s\0%s" % (user, password)).encode()).decode()
            code, text = s.docmd("AUTH", "%s %s" % (mech, resp))
            text = text.decode(errors="replace")
        else:
            obj = {"PLAIN": s.auth_plain, "LOGIN": s.auth_login,
                   "CRAM-MD5": s.auth_cram_md5}[mech]
            code, text = pfns.smtp_reply(s.auth, mech, obj, initial_response_ok=ir)
        real = "%d %s" % (code, text)
        try:
            s.quit()
        except smtplib.SMTPException:
            pass
    except (smtplib.SMTPServerDisconnected, ConnectionError):
        real = DROP
    finally:
        if s is not None:
            s.close()
    pf_sent = client_lines(wait_connections(recording, 1)[0], normalise_auth)
    golden("auth", sid, recording, bins.fake_smtpd, "unix:" + authd_sock,
           " | ".join(steps + [real]), extra=["--fast", "-D", "password=" + password],
           closes_unread=bool(faults) and faults.startswith("close-after"))

    # fake-smtpd against the same helper
    mode = " resp" if ir else " noresp" if mech.upper() == "PLAIN" else ""
    if faults == "cont-extra-fields":
        # the auth macro is a strict client that refuses such a challenge;
        # this one answers regardless, as the SMTP client above did
        text = ("protocol auth\nhandshake\n"
                "C: AUTH\\t{id}\\t%s\\tservice=smtp\\tnologin\\tlip=127.0.0.1\\trip=127.0.0.1\n"
                "S: CONT\\t{id}\\t*\ncont ${user}\nS: CONT\\t{id}\\t*\ncont ${password}\n"
                "S~ /^(OK|FAIL)\\t/\n" % mech)
    else:
        text = "protocol auth\nhandshake\nauth %s ${user} ${password}%s\n" % (mech, mode)
    if real != DROP:
        text += "expect smtp %s\n" % smtp_escape(real)
    result = replay(bins.fake_smtpd, "unix:" + authd_sock, text, os.path.dirname(recording),
                    defines=[("user", user), ("password", password)], extra=["--fast"])
    fake_sent = [normalise_auth(line) for line in logged(result, "C: ")]
    answers = logged(result, "> ")
    if real == DROP:
        predicted = DROP if (result["result"] != "pass" and AUTH_DROP_PREDICTION.search(
            result["why"] + "\n" + result["log"])) else "(no drop predicted)"
    else:
        predicted = real if result["result"] == "pass" else (result["why"] or "?")
    # the 334 lines: "Postfix x.y would answer: 334 ... (note)"
    said = [re.sub(r"^.*?would answer: ", "", a) for a in answers if "would answer: 334" in a]
    for i, step in enumerate(steps):
        # reports show a TAB as \t and a CR as \r (docs/report.md)
        step = step.replace("\t", "\\t").replace("\r", "\\r")
        if i >= len(said) or not (said[i] == step or said[i].startswith(step + " (")):
            predicted = "334 #%d: %s" % (i + 1, said[i] if i < len(said) else "none")
    # a helper that closes at once may be gone before the recorder has
    # passed Postfix's VERSION and CPID on (the recorder then records none)
    closes_at_once = bool(faults) and faults.startswith("close-after") and not pf_sent
    sent_ok = fake_sent == pf_sent or closes_at_once
    agreed = sent_ok and predicted == real
    fidelity_record("auth", sid, agreed, real, predicted,
                    "" if sent_ok else "lines differ")
    assert sent_ok, "fake-smtpd sent\n%s\nPostfix sent\n%s" % (
        "\n".join(fake_sent), "\n".join(pf_sent))
    assert predicted == real, "Postfix answered %r; replay: %s\n%s" % (
        real, result["why"], "\n".join(answers))


# -- the AUTHs after a broken auth connection ------------------------------
# helpers/auth_break_once.py breaks the connection of the first AUTH
# (close: EOF; silent: no answer, Postfix's 10 s timeout) and serves every
# later one; the SMTP client sends AUTH until it gets 235. What Postfix
# does next is version-gated (3.11-20250304 and its back-ports close the
# connection at once; older ones keep it), and shows in the request ids
# the server receives and, after EOF over TCP, in the SMTP replies.
# (id, proxy mode, how the oracle calls the failure, transport)
RECONNECT = [
    ("reconnect-eof-unix", "close", "eof", "unix"),
    ("reconnect-eof-inet", "close", "eof", "inet"),
    ("reconnect-timeout-unix", "silent", "error", "unix"),
]
RECONNECT_PORT = 12351  # the proxy's TCP port on the instance's private loopback
RECONNECT_MAX_AUTHS = 4


def predict_auth_after(how, transport):
    """[(id the server receives or "-", SMTP reply)] per AUTH, from
    integration/oracle/predict_auth.c over pf_auth."""
    r = subprocess.run([predictor("predict_auth"), VERSION, how, transport],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return [tuple(line.split("\t")[2:4]) for line in r.stdout.splitlines()
            if line.startswith("auth\t")]


@pytest.mark.parametrize("sid,mode,how,transport", RECONNECT, ids=[r[0] for r in RECONNECT])
def test_reconnect_fidelity(postfix, workdir, bins, sid, mode, how, transport):
    def front(d, rec_sock):
        listen = ("unix:" + os.path.join(d, "break.sock") if transport == "unix"
                  else "inet:127.0.0.1:%d" % RECONNECT_PORT)
        proxy = pfns.Helper("break", [sys.executable, os.path.join(HERE, "helpers",
                                                                    "auth_break_once.py"),
                                      mode, listen, "unix:" + rec_sock], listen=listen)
        return proxy, listen[5:] if transport == "unix" else listen

    pf, authd_sock, recording = auth_setup(postfix, workdir, bins, ["--failure-delay", "0"],
                                           front)
    resp = base64.b64encode(b"\0alice\0secret").decode()
    replies = []
    s = pfns.UnixSMTP(pf.path("spool", "public", SMTPD_AUTH), local_hostname="client.test",
                      timeout=40)
    try:
        s.ehlo()
        while len(replies) < RECONNECT_MAX_AUTHS:
            code, text = s.docmd("AUTH", "PLAIN " + resp)
            replies.append("%d %s" % (code, text.decode(errors="replace")))
            if code == 235:
                break
        try:
            s.quit()
        except smtplib.SMTPException:
            pass
    finally:
        s.close()
    pf.wait_maillog(r"disconnect from ", timeout=30)
    ids = re.findall(r"^connection \d+: AUTH (\S+) PLAIN", pf.helper_log("break"), re.M)
    wait_stable(recording)
    real = "%s (ids %s)" % (" | ".join(replies), " ".join(ids))
    golden("auth", sid, recording, bins.fake_smtpd, "unix:" + authd_sock, real, extra=["--fast"])

    predicted = predict_auth_after(how, transport)
    guess = "%s (ids %s)" % (" | ".join(r for _, r in predicted),
                             " ".join(i for i, _ in predicted if i != "-"))
    fidelity_record("auth", sid, real == guess, real, guess)
    assert real == guess, "Postfix %s: %s; oracle: %s\nproxy log:\n%s" % (
        VERSION, real, guess, pf.helper_log("break"))


# -- what EHLO advertises --------------------------------------------------
# the mechanisms of the handshake that Postfix's EHLO lists after AUTH
# (smtpd_sasl_security_options and, since 3.6-20200830,
# smtpd_sasl_mechanism_filter, both at their defaults), against
# pf_sasl_offer over the same handshake (integration/oracle/predict_auth.c)
# (id, ref-authd's mechanisms)
EHLO = [("ehlo-mechanisms", "plain,anonymous,external,login,cram-md5")]


@pytest.mark.parametrize("sid,mechs", EHLO, ids=[e[0] for e in EHLO])
def test_ehlo_fidelity(postfix, workdir, bins, sid, mechs):
    pf, authd_sock, recording = auth_setup(postfix, workdir, bins, ["-m", mechs])
    s = pfns.UnixSMTP(pf.path("spool", "public", SMTPD_AUTH), local_hostname="client.test",
                      timeout=40)
    try:
        s.ehlo()
        real = "250-AUTH " + " ".join(s.esmtp_features.get("auth", "").split())
        s.quit()
    finally:
        s.close()
    conn = wait_connections(recording, 1)[0]
    golden("auth", sid, recording, bins.fake_smtpd, "unix:" + authd_sock, real, extra=["--fast"])

    handshake = "".join(line[3:].replace("\\t", "\t") + "\n"
                        for line in conn.splitlines() if line.startswith("S: "))
    r = subprocess.run([predictor("predict_auth"), VERSION, "ehlo"], input=handshake,
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    guess = "250-AUTH " + r.stdout.strip().split("\t", 1)[1]
    fidelity_record("auth", sid, real == guess, real, guess)
    assert real == guess, "Postfix %s's EHLO: %r; oracle: %r" % (VERSION, real, guess)


# -- policy --------------------------------------------------------------
FALL_THROUGH = "554 5.7.1 <a@test.invalid>: Sender address rejected: fell through"
RCPTS = ["r1@test.invalid", "r2@test.invalid"]

# (id, server, action or ref-policyd faults, RCPTs)
#   server "stub": helpers/policy_action.py answers action= the value
#   server "policyd": ref-policyd, default action REJECT ..., -f faults
POLICY = [
    ("reject", "stub", "REJECT", 2),
    ("reject-text", "stub", "REJECT go away", 2),
    ("reject-lowercase", "stub", "reject go away", 2),
    ("reject-dsn", "stub", "REJECT 5.7.26 bad sender", 2),
    ("defer", "stub", "DEFER", 2),
    ("defer-text", "stub", "DEFER try later", 2),
    ("code-550-dsn", "stub", "550 5.7.0 custom text", 2),
    ("code-550-nodsn", "stub", "550 custom text", 2),
    ("code-450-dsn-class", "stub", "450 5.7.1 forced", 2),
    ("code-421", "stub", "421 4.7.0 closing", 1),
    ("ok", "stub", "OK", 2),
    ("relay", "stub", "RELAY ignored text", 2),
    ("all-digit", "stub", "550", 2),
    ("empty-action", "stub", "", 2),
    ("discard", "stub", "DISCARD", 2),
    ("hold", "stub", "HOLD", 2),
    ("dunno", "stub", "DUNNO", 2),
    ("dunno-text", "stub", "dunno whatever", 2),
    ("info", "stub", "INFO noted", 2),
    ("warn", "stub", "WARN noted", 2),
    ("action-with-colon", "stub", "hash:/etc/postfix/x", 2),
    ("unknown-word", "stub", "FOO", 2),
    ("leading-space", "stub", " DUNNO", 2),
    ("restriction-permit", "stub", "permit", 2),
    ("restriction-list", "stub", "reject_unauth_destination, reject", 2),
    ("server-closes-without-reply", "stub", "@close", 1),
    ("policyd-plain", "policyd", None, 2),
    ("policyd-missing-action", "policyd", "no-action", 1),
    ("policyd-Action=", "policyd", "action-case", 1),
    ("policyd-unknown-action-word", "policyd", "bad-action", 2),
    ("policyd-action-with-colon", "policyd", "colon-action", 2),
    ("policyd-close-after-reply", "policyd", "close-after-reply", 2),
    ("policyd-extra-empty-line", "policyd", "extra-empty-line", 2),
    ("policyd-crlf", "policyd", "crlf", 1),
    ("policyd-no-terminator", "policyd", "no-terminator", 1),
    ("policyd-delay", "policyd", "delay=300", 2),
]
POLICYD_DEFAULT = "REJECT 5.7.1 not today"

# attributes whose values belong to this run, not to the protocol
POLICY_NORMALISED = {"instance", "client_port", "client_address", "client_name",
                     "reverse_client_name", "server_address", "server_port", "queue_id"}


def normalise_policy(line):
    name, eq, value = line.partition("=")
    if eq and name in POLICY_NORMALISED:
        return "%s=<%s>" % (name, name)
    return line


_predict = {}
# the oracle's command lines (integration/oracle/NAME.c) and the oracle
# sources each one needs besides pf_version.c and lib/
PREDICTORS = {"predict": ["pf_policy.c", "pf_policy_eval.c"], "predict_auth": ["pf_auth.c", "pf_sasl.c"]}


def predictor(name="predict"):
    """integration/oracle/NAME.c compiled with the oracle's sources (once
    per pytest process)."""
    if name not in _predict:
        d = tempfile.mkdtemp(prefix="smtpdh-predict.", dir="/tmp")
        atexit.register(shutil.rmtree, d, True)
        out = os.path.join(d, name)
        srcs = [os.path.join(HERE, "oracle", name + ".c"),
                os.path.join(TOP, "harness", "postfix", "pf_version.c")]
        srcs += [os.path.join(TOP, "harness", "postfix", f) for f in PREDICTORS[name]]
        for sub in ("util", "proto"):
            dd = os.path.join(TOP, "lib", sub)
            srcs += [os.path.join(dd, f) for f in sorted(os.listdir(dd)) if f.endswith(".c")]
        r = subprocess.run(["cc", "-std=c11", "-D_POSIX_C_SOURCE=200809L", "-O1", "-w",
                            "-I" + os.path.join(TOP, "lib"), "-I" + TOP, "-o", out] + srcs
                           + ["-lcrypto"], capture_output=True, text=True, timeout=300)
        if r.returncode != 0:
            pytest.fail("cannot build the oracle's %s: %s" % (name, r.stderr[-2000:]))
        _predict[name] = out
    return _predict[name]


def shown_bytes(text):
    """The bytes of a value as a report note shows it (docs/report.md:
    TAB as \\t, CR as \\r, other control bytes and bytes that are not
    UTF-8 as \\xHH)."""
    return re.sub(rb"\\(x[0-9a-f]{2}|t|r)",
                  lambda m: {b"t": b"\t", b"r": b"\r"}.get(m.group(1))
                  or bytes([int(m.group(1)[1:], 16)]), text.encode())


def predict(workdir, rcpt, action=None, failure=False):
    argv = [predictor(), VERSION, "RCPT", "--recipient", rcpt, "--sender", "a@test.invalid",
            "--helo", "client.test", "--client", "localhost[127.0.0.1]", "--relay-ok"]
    argv = [a.encode() for a in argv]
    argv += [b"--failure"] if failure else [b"--", shown_bytes(action)]
    r = subprocess.run(argv, capture_output=True, timeout=30)
    assert r.returncode == 0, r.stderr
    v = dict(line.split("\t", 1) for line in r.stdout.decode(errors="replace").splitlines()
             if "\t" in line)
    kind = v.get("kind")
    discard = "discard" in v.get("effects", "").split()
    if kind == "hangup" and not v.get("smtp"):
        # HANGUP: the connection drops without a reply
        return DROP, False, False
    if kind in ("reject", "config-error", "hangup"):
        reply = v["smtp"]
    elif kind == "permit":
        reply = "250 2.1.5 Ok"
    elif kind == "dunno":
        reply = FALL_THROUGH
    else:
        reply = "(%s)" % kind
    # after a hang-up no RCPT follows; after DISCARD smtpd evaluates no
    # restriction for the rest of the transaction (smtpd_check.c
    # generic_checks: state->discard), so later RCPTs get 250 unasked
    return reply, v.get("disconnect") == "1", discard


def split_requests(lines):
    """Client lines -> requests (lists of name=value), split at empty lines."""
    reqs, cur = [], []
    for line in lines:
        if line == "":
            reqs.append(cur)
            cur = []
        else:
            cur.append(line)
    if cur:
        reqs.append(cur)
    return reqs


@pytest.mark.parametrize("sid,server,arg,nrcpt", POLICY, ids=[p[0] for p in POLICY])
def test_policy_fidelity(postfix, workdir, bins, sid, server, arg, nrcpt):
    d = os.path.join(workdir, "policy")
    os.makedirs(d)
    os.chmod(d, 0o755)
    pol_sock, rec_sock = os.path.join(d, "policy.sock"), os.path.join(d, "rec.sock")
    recording = os.path.join(d, "postfix.tr")
    if server == "stub":
        table = write(os.path.join(d, "actions"), "".join("%s\t%s\n" % (r, arg) for r in RCPTS))
        helper = pfns.Helper("policy", [sys.executable, os.path.join(HERE, "helpers",
                                                                      "policy_action.py"),
                                        "unix:" + pol_sock, table], listen="unix:" + pol_sock)
    else:
        argv = [bins.ref_policyd, "--default-action", POLICYD_DEFAULT]
        if arg:
            argv += ["--fault", arg]
        helper = pfns.Helper("policy", argv + ["--mode", "0666", "unix:" + pol_sock],
                             listen="unix:" + pol_sock)
    record = pfns.Helper("record", [bins.fake_smtpd, "record", "--listen", "unix:" + rec_sock,
                                    "--upstream", "unix:" + pol_sock, "-o", recording,
                                    "--count", "0", "--keep-credentials"],
                         listen="unix:" + rec_sock, socket_mode=0o666)
    pf = postfix(
        relay_restrictions="reject_unauth_destination",
        recipient_restrictions="check_policy_service unix:%s, check_sender_access inline:{ "
                               "{ a@test.invalid = REJECT fell through } }" % rec_sock,
        main_extra=["relay_domains = test.invalid",
                    "smtpd_policy_service_timeout = %ds" % FAST_POLICY_TIMEOUT,
                    "smtpd_policy_service_max_idle = 300s"],
        helpers=[helper, record])

    # real Postfix
    real = []
    s = pf.smtp(timeout=60)
    try:
        s.ehlo()
        assert s.mail("a@test.invalid")[0] == 250
        for i, rcpt in enumerate(RCPTS[:nrcpt]):
            if i:
                time.sleep(SMTP_ROUND_TRIP_MS / 1000.0)
            code, text = pfns.smtp_reply(s.rcpt, rcpt)
            real.append("%d %s" % (code, text))
        s.noop()  # is the session still there (after a 421 it is not)?
        try:
            s.quit()
        except smtplib.SMTPException:
            pass
    except smtplib.SMTPServerDisconnected:
        real.append(DROP)
    finally:
        s.close()
    # smtpd (max_use=1) exits after the session and so closes its policy
    # connection; the recorder then writes it
    pf.wait_maillog(r"disconnect from ", timeout=30)
    conns = wait_stable(recording)
    golden("policy", sid, recording, bins.fake_smtpd, "unix:" + pol_sock, " | ".join(real),
           extra=["--time-scale", "%g" % (FAST_POLICY_TIMEOUT / 100.0)])
    pf_lines = [line for c in conns for line in client_lines(c, normalise_policy)]
    pf_reqs = split_requests(pf_lines)

    # fake-smtpd against the same server
    first = dict(line.split("=", 1) for line in pf_reqs[0]) if pf_reqs else {}

    def script(n):
        # Postfix's next request follows the SMTP client's next RCPT: a
        # server that closes after its reply has closed by then, and
        # Postfix sees that before it writes (attr_clnt: readable());
        # replay would otherwise write at once and race the close.
        # The SMTP client above pauses as long (the recorder passes the
        # close on one event-loop turn after the reply)
        text = "protocol policy\n"
        for i, rcpt in enumerate(RCPTS[:n]):
            text += "sleep %dms\n" % SMTP_ROUND_TRIP_MS if i else ""
            text += "policy state=RCPT sender=a@test.invalid recipient=%s helo_name=%s\n" % (
                rcpt, first.get("helo_name", "client.test"))
        return text

    text = script(nrcpt)
    scale = "%g" % (FAST_POLICY_TIMEOUT / 100.0)
    result = replay(bins.fake_smtpd, "unix:" + pol_sock, text, d, extra=["--time-scale", scale])
    fake_lines = []
    for line in (ln.strip() for ln in result["log"].splitlines()):
        if line == "C:":
            fake_lines.append("")
        elif line.startswith("C: "):
            fake_lines.append(normalise_policy(line[3:]))
    fake_reqs = split_requests(fake_lines)

    # the oracle's verdict on each request's outcome
    def verdicts(result):
        predicted, asked = [], 0
        outcomes = [line.lstrip() for line in result["log"].splitlines()
                    if line.lstrip().startswith("> action: ")
                    or "applies smtpd_policy_service_default_action" in line]
        for rcpt, outcome in zip(RCPTS[:nrcpt], outcomes):
            if outcome.startswith("> action: "):
                reply, hangup, discard = predict(workdir, rcpt, action=outcome[len("> action: "):])
            else:
                reply, hangup, discard = predict(workdir, rcpt, failure=True)
            predicted.append(reply)
            asked += 1
            if reply == DROP:
                break
            if hangup:
                predicted.append(DROP)
                break
            if discard:
                predicted += ["250 2.1.5 Ok"] * (nrcpt - len(predicted))
                break
        return predicted, asked

    predicted, asked = verdicts(result)
    if asked < nrcpt:
        # Postfix asks no more: replay only the requests it sends
        text = script(asked)
        result = replay(bins.fake_smtpd, "unix:" + pol_sock, text, d,
                        extra=["--time-scale", scale])
        fake_lines = []
        for line in (ln.strip() for ln in result["log"].splitlines()):
            if line == "C:":
                fake_lines.append("")
            elif line.startswith("C: "):
                fake_lines.append(normalise_policy(line[3:]))
        fake_reqs = split_requests(fake_lines)
        predicted, _ = verdicts(result)
    sent_ok = fake_reqs == pf_reqs
    agreed = sent_ok and predicted == real
    fidelity_record("policy", sid, agreed, " | ".join(real), " | ".join(predicted),
                    "" if sent_ok else "requests differ (%d vs %d)" % (len(fake_reqs), len(pf_reqs)))
    assert len(fake_reqs) == len(pf_reqs), (
        "Postfix sent %d request(s) (tries included), fake-smtpd %d\n%s" % (
            len(pf_reqs), len(fake_reqs), result["log"]))
    for i, (a, b) in enumerate(zip(fake_reqs, pf_reqs)):
        assert a == b, "request %d: fake-smtpd sent\n%s\nPostfix sent\n%s" % (
            i + 1, "\n".join(a), "\n".join(b))
    assert predicted == real, "Postfix: %r, oracle: %r\n%s" % (real, predicted, result["log"])


def other_golden_names():
    """The golden transcripts of the other fidelity modules
    (test_fidelity_*.py), each listing its own as GOLDEN_NAMES."""
    names = set()
    for f in sorted(os.listdir(HERE)):
        if re.fullmatch(r"test_fidelity_\w+\.py", f):
            names |= set(getattr(importlib.import_module(f[:-3]), "GOLDEN_NAMES", ()))
    return names


def test_golden_set():
    """corpus/recorded/postfix-X.Y holds one transcript per scenario and
    no other (a scenario renamed or dropped leaves none behind)."""
    if RERECORD:
        pytest.skip("re-recording: the scenarios running beside this test write the set")
    want = ({"auth-%s.tr" % a[0] for a in AUTH + RECONNECT + EHLO}
            | {"policy-%s.tr" % p[0] for p in POLICY} | other_golden_names())
    have = set(os.listdir(GOLDEN)) if os.path.isdir(GOLDEN) else set()
    assert have == want, "missing %s, unknown %s in %s" % (
        sorted(want - have), sorted(have - want), GOLDEN)
