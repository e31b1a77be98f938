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
    (scripts/run-tests sets it) or build/release-cc. A test needing a
    program that this build lacks is skipped with the reason.

    Needs root (Postfix drops privileges to postfix, unshare needs
    CAP_SYS_ADMIN); without it every test is skipped, saying why.
"""

import os
import shutil
import tempfile

import pytest

import pfns

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


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


@pytest.fixture(scope="session")
def bins():
    return Bins(build_dir())


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
