# SPDX-License-Identifier: MIT
"""
NAME
    conftest - fixtures for the integration suite (real Postfix, real peers)

DESCRIPTION
    postfix(**params) starts a private Postfix in its own namespaces
    (pfns.Instance) under a fresh short directory in /tmp and stops it
    after the test by killing the namespace's PID 1; teardown fails the
    test if a process or a mount of the instance is left.

    bins: paths of the project's programs. The build is $SMTPDH_BUILD
    (scripts/run-tests sets it) or build/release-cc; the suite runs a
    copy of its bin/ made at the start (a concurrent make relinking a
    program does not break a test). A test needing a program that this
    build lacks is skipped with the reason.

    Needs root (Postfix drops privileges to postfix, unshare needs
    CAP_SYS_ADMIN); without it every test is skipped, saying why.

    fidelity_record(kind, id, agreed, real, predicted, why) notes one
    fidelity scenario (test_fidelity.py). known_gap(request, kind, id, reason)
    marks the running scenario as a known gap of the oracle (a strict
    xfail: it fails the run if the scenario starts to agree); its row
    carries the reason as "gap", and the report counts it apart from
    the scenarios that differ. Workers of pytest-xdist append
    to one file ($SMTPDH_FIDELITY_LOG, made by the controlling process);
    at the end the controller prints "fidelity: N scenarios compared, M
    agreed" with the disagreements, and writes the whole table to
    $SMTPDH_BUILD/fidelity-report.txt (and, as JSON, to the file
    $SMTPDH_FIDELITY_JSON names, for integration/fidelity).
"""

import atexit
import json
import os
import shutil
import tempfile
import time

import pytest

import pfns

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
FIDELITY_ENV = "SMTPDH_FIDELITY_LOG"


def build_dir():
    b = os.environ.get("SMTPDH_BUILD") or os.path.join(TOP, "build", "release-cc")
    return os.path.join(TOP, b) if not os.path.isabs(b) else b


class Bins:
    def __init__(self, d):
        self.dir = d

    def __getattr__(self, name):
        p = os.path.join(self.dir, "bin", name.replace("_", "-"))
        if not os.access(p, os.X_OK):
            pytest.skip("%s is not built in %s" % (os.path.basename(p), self.dir))
        return p


def _snapshot(build):
    """A private copy of build/bin, made once per pytest process: others
    may relink the build's programs while the suite runs, and a program
    being linked is missing or not executable for a moment. A file
    modified in the last two seconds is waited for and copied again."""
    src = os.path.join(build, "bin")
    d = tempfile.mkdtemp(prefix="smtpdh-bin.", dir="/tmp")
    os.chmod(d, 0o755)
    atexit.register(shutil.rmtree, d, True)
    os.makedirs(os.path.join(d, "bin"))
    names = sorted(os.listdir(src)) if os.path.isdir(src) else []
    for name in names:
        p = os.path.join(src, name)
        for _ in range(30):
            try:
                st = os.stat(p)
            except FileNotFoundError:
                time.sleep(1)
                continue
            if time.time() - st.st_mtime >= 2 and os.access(p, os.X_OK):
                shutil.copy2(p, os.path.join(d, "bin", name))
                if os.stat(p).st_mtime == st.st_mtime:
                    break
            time.sleep(1)
    return d


@pytest.fixture(scope="session")
def bins():
    return Bins(_snapshot(build_dir()))


def _environment_problem():
    if os.geteuid() != 0:
        return "needs root (private Postfix instances in Linux namespaces)"
    for tool in ("unshare", "postfix", "script", "ip"):
        if not shutil.which(tool, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin"):
            return "%s is not installed (scripts/install-deps)" % tool
    return None


@pytest.fixture
def workdir():
    """A short private directory (UNIX socket paths are limited to 107 bytes)."""
    d = tempfile.mkdtemp(prefix="pfns.", dir="/tmp")
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


class Starter:
    """Starts instances under one directory; close() stops them all."""

    def __init__(self, workdir):
        problem = _environment_problem()
        if problem:
            pytest.skip(problem)
        self.workdir = workdir
        self.started = []

    def __call__(self, **params):
        root = os.path.join(self.workdir, "pf%d" % len(self.started))
        os.makedirs(root)
        inst = pfns.Instance(root, **params)
        self.started.append(inst)
        return inst.start()

    def close(self):
        errors = []
        for inst in self.started:
            try:
                inst.stop()
            except AssertionError as e:
                errors.append(str(e))
        assert not errors, "; ".join(errors)


@pytest.fixture
def postfix(workdir):
    """postfix(**Instance params) -> a started instance, for this test."""
    starter = Starter(workdir)
    yield starter
    starter.close()


@pytest.fixture(scope="module")
def module_workdir():
    d = tempfile.mkdtemp(prefix="pfns.", dir="/tmp")
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="module")
def module_postfix(module_workdir):
    """As postfix, for instances shared by a module's tests (smtpd runs
    with max_use=1, so no auth or policy connection spans two tests)."""
    starter = Starter(module_workdir)
    yield starter
    starter.close()


def write(path, text, mode=0o644):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)
    return path


# -- fidelity report ------------------------------------------------------
def pytest_configure(config):
    if not hasattr(config, "workerinput"):  # the controlling process
        fd, path = tempfile.mkstemp(prefix="smtpdh-fidelity.", suffix=".jsonl", dir="/tmp")
        os.close(fd)
        os.environ[FIDELITY_ENV] = path
        config._fidelity_log = path


_known_gap = {}


def known_gap(request, kind, sid, reason):
    """The running scenario is a known gap: a strict xfail, and its
    fidelity row says so (a row is written for it even when the test
    stops before it compares)."""
    request.applymarker(pytest.mark.xfail(strict=True, reason=reason))
    _known_gap.update(kind=kind, id=sid, reason=reason, recorded=False)


@pytest.fixture(autouse=True)
def _known_gap_row():
    _known_gap.clear()
    yield
    if _known_gap and not _known_gap["recorded"]:
        _append_row({"kind": _known_gap["kind"], "id": _known_gap["id"], "agreed": False,
                     "real": "?", "predicted": "?", "why": "the test stopped before comparing",
                     "gap": _known_gap["reason"]})
    _known_gap.clear()


def fidelity_record(kind, sid, agreed, real, predicted, why=""):
    gap = ""
    if _known_gap.get("kind") == kind and _known_gap.get("id") == sid:
        _known_gap["recorded"] = True
        gap = "" if agreed else _known_gap["reason"]
    _append_row({"kind": kind, "id": sid, "agreed": bool(agreed), "real": real,
                 "predicted": predicted, "why": why, "gap": gap})


def _append_row(row):
    path = os.environ.get(FIDELITY_ENV)
    if not path:
        return
    line = json.dumps(row) + "\n"
    fd = os.open(path, os.O_WRONLY | os.O_APPEND)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    path = getattr(config, "_fidelity_log", None)
    if not path:
        return
    rows = []
    try:
        with open(path) as f:
            rows = [json.loads(line) for line in f if line.strip()]
    except (OSError, ValueError):
        pass
    finally:
        try:
            os.unlink(path)
        except OSError:
            pass
    if not rows:
        return
    rows.sort(key=lambda r: (r["kind"], r["id"]))
    agreed = sum(1 for r in rows if r["agreed"])
    gaps = sum(1 for r in rows if not r["agreed"] and r.get("gap"))
    kinds = sorted(set(r["kind"] for r in rows))
    per = ", ".join("%s %d/%d" % (k, sum(1 for r in rows if r["kind"] == k and r["agreed"]),
                                  sum(1 for r in rows if r["kind"] == k)) for k in kinds)
    head = "fidelity: %d scenarios compared, %d agreed, %d known gap(s) (%s)" % (
        len(rows), agreed, gaps, per)
    table = ["# fidelity of fake-smtpd and its oracle against real Postfix %s, %s" % (
        _mail_version(), time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())), head, ""]
    for r in rows:
        table.append("%-5s %-7s %-34s Postfix: %s" % (
            "agree" if r["agreed"] else "gap" if r.get("gap") else "DIFF", r["kind"], r["id"],
            r["real"]))
        if not r["agreed"]:
            table.append("%48s predicted: %s %s" % ("", r["predicted"], r["why"]))
        if not r["agreed"] and r.get("gap"):
            table.append("%48s known gap: %s" % ("", r["gap"]))
    terminalreporter.write_sep("-", "fidelity")
    for line in table[1:] if agreed == len(rows) else table[1:]:
        if agreed == len(rows) and line.startswith("agree"):
            continue
        terminalreporter.write_line(line)
    out = os.environ.get("SMTPDH_FIDELITY_JSON")
    if out:
        with open(out, "w") as f:
            json.dump({"version": _mail_version(), "rows": rows}, f)
    try:
        with open(os.path.join(build_dir(), "fidelity-report.txt"), "w") as f:
            f.write("\n".join(table) + "\n")
        terminalreporter.write_line("(table: %s)" % os.path.join(build_dir(),
                                                                   "fidelity-report.txt"))
    except OSError:
        pass


def _mail_version():
    return pfns.mail_version() or "?"
