# SPDX-License-Identifier: MIT
"""
NAME
    pfns - a private Postfix 3.x instance in its own Linux namespaces

SYNOPSIS
    pf = Instance(root, sasl_path="unix:/...", helpers=[Helper(...)], ...)
    pf.start()                        # ready in about half a second
    with pf.smtp() as s: ...          # smtplib over $spool/public/smtpd-unix
    with pf.smtp_inet(src="127.0.0.2") as s: ...   # TCP inside the netns
    pf.stop()                         # SIGKILL to the namespace's PID 1

DESCRIPTION
    root is an empty directory (short path: UNIX socket paths are limited
    to 107 bytes). start() renders integration/postfix/main.cf.in and
    master.cf.in (@name@ placeholders, every one must be given), writes
    helpers.sh (ns_commands first, e.g. ip addr add 198.51.100.7/32 dev lo
    for one more client address, then the helpers), runs `unshare --net --mount --pid --fork --mount-proc
    --kill-child nsinit.sh root`, and waits until root/status says
    "ready" and $spool/public/smtpd-unix accepts a connection (at most
    start_timeout seconds). Helpers run inside the namespaces, started
    by nsinit.sh, so inet listeners are on the private loopback; paths
    outside /etc/postfix, /var/spool/postfix and /var/lib/postfix are the
    same inside and outside.

    postfix_root: a private Postfix root made by scripts/build-peer to run
    instead of the host's Postfix (nsinit.sh reads it from root/postfix-
    root); the default is $SMTPDH_POSTFIX_ROOT, the host's Postfix when
    that is unset or empty. postconf(*args, postfix_root=...) runs that
    Postfix's postconf; mail_version() gives its version.

    stop() sends SIGKILL to the namespace's PID 1 through a pidfd and
    waits until that pidfd reports PID 1's exit: the kernel kills and
    reaps every other process of the PID namespace before PID 1 finishes
    exiting (a loaded machine may take seconds; the wait is bounded by
    STOP_TIMEOUT). Then unshare is reaped. It then verifies that no
    process is left in that PID namespace and that no mount under root
    is visible, allowing dying processes up to STOP_TIMEOUT to go, and
    names what is left (pid, state, command) otherwise.

DIAGNOSTICS
    StartError carries the step that failed and the tails of start.log
    (postfix start's own output), maillog and each helper's log.
"""

import atexit
import ctypes
import os
import re
import select
import shlex
import shutil
import signal
import smtplib
import socket
import subprocess
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TEMPLATES = os.path.join(HERE, "postfix")
NSINIT = os.path.join(HERE, "nsinit.sh")
CLONE_NEWNET = 0x40000000
STOP_TIMEOUT = 60  # seconds for a namespace to die on a loaded machine


class StartError(Exception):
    pass


class Helper:
    """A process nsinit.sh starts in the namespaces before Postfix.

    argv: the command; listen: "unix:/path", "inet:127.0.0.1:PORT" or None
    (nsinit.sh waits until it accepts); daemonizes: the command forks
    into the background itself (as dovecot does) and exits 0; socket_mode:
    chmod a unix: listener to this mode once it listens (smtpd runs as
    the unprivileged postfix user).
    """

    def __init__(self, name, argv, listen=None, daemonizes=False, socket_mode=None):
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
            raise ValueError("helper name %r: use [A-Za-z0-9_.-]" % name)
        self.name, self.argv, self.listen = name, list(argv), listen
        self.daemonizes = daemonizes
        if socket_mode is not None and not (listen or "").startswith("unix:"):
            raise ValueError("socket_mode needs a unix: listener")
        self.socket_mode = socket_mode


def render(template, values):
    """Replace every @name@ in template file; all must be given."""
    with open(os.path.join(TEMPLATES, template)) as f:
        text = f.read()
    missing = set()

    def sub(m):
        if m.group(1) not in values:
            missing.add(m.group(1))
            return m.group(0)
        return str(values[m.group(1)])

    out = re.sub(r"@([a-z_]+)@", sub, text)
    if missing:
        raise KeyError("%s: no value for %s" % (template, ", ".join(sorted(missing))))
    unused = set(values) - set(re.findall(r"@([a-z_]+)@", text))
    if unused:
        raise KeyError("%s: unknown placeholder %s" % (template, ", ".join(sorted(unused))))
    return out


def override(text, settings):
    """Apply "name = value" settings to main.cf text: a setting replaces
    the line that defines the same name (no "overriding earlier entry"
    warnings), or is appended."""
    lines = text.split("\n")
    for setting in settings:
        m = re.match(r"\s*([A-Za-z0-9_]+)\s*=", setting)
        if not m:
            raise ValueError("main.cf setting %r is not name = value" % setting)
        for i, line in enumerate(lines):
            if re.match(r"%s\s*=" % re.escape(m.group(1)), line):
                lines[i] = setting
                break
        else:
            lines.append(setting)
    # ends with a newline: lines appended later (postfix-ns's directory
    # settings for a Postfix in its own root) must not join the last one
    return "\n".join(lines).rstrip("\n") + "\n"


def _tail(path, n=15):
    try:
        with open(path, errors="replace") as f:
            lines = f.read().splitlines()
    except OSError:
        return ""
    return "\n".join("    " + line for line in lines[-n:])


_libc = ctypes.CDLL(None, use_errno=True)


class _InNetns:
    """Context: the calling thread is in the network namespace of pid."""

    def __init__(self, pid):
        self.pid = pid

    def __enter__(self):
        self.home = os.open("/proc/self/ns/net", os.O_RDONLY)
        target = os.open("/proc/%d/ns/net" % self.pid, os.O_RDONLY)
        try:
            if _libc.setns(target, CLONE_NEWNET) != 0:
                e = ctypes.get_errno()
                raise OSError(e, "setns(net of pid %d): %s" % (self.pid, os.strerror(e)))
        except BaseException:
            os.close(self.home)
            raise
        finally:
            os.close(target)
        return self

    def __exit__(self, *exc):
        rc = _libc.setns(self.home, CLONE_NEWNET)
        os.close(self.home)
        if rc != 0:
            raise OSError(ctypes.get_errno(), "setns back to the host network failed")
        return False


class UnixSMTP(smtplib.SMTP):
    """smtplib.SMTP whose host is a UNIX socket path."""

    def _get_socket(self, host, port, timeout):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        try:
            s.connect(host)
        except BaseException:
            s.close()
            raise
        return s


class NetnsSMTP(smtplib.SMTP):
    """smtplib.SMTP connecting over TCP inside another network namespace.

    The socket is made inside the namespace of netns_pid and stays there;
    src (an address on the private loopback, e.g. 127.0.0.2) is the
    client address Postfix sees.
    """

    def __init__(self, netns_pid, src, *args, **kw):
        self._netns_pid, self._src = netns_pid, src
        super().__init__(*args, **kw)

    def _get_socket(self, host, port, timeout):
        with _InNetns(self._netns_pid):
            return socket.create_connection((host, port), timeout, (self._src, 0))


def smtp_reply(fn, *args, **kw):
    """Call an smtplib method; return (code, text) also for a refusal."""
    try:
        r = fn(*args, **kw)
    except smtplib.SMTPResponseException as e:
        return e.smtp_code, e.smtp_error.decode(errors="replace")
    except smtplib.SMTPRecipientsRefused as e:
        code, text = next(iter(e.recipients.values()))
        return code, text.decode(errors="replace")
    if isinstance(r, tuple):
        return r[0], (r[1].decode(errors="replace") if isinstance(r[1], bytes) else r[1])
    return r


def default_root():
    """The Postfix root the suite runs ($SMTPDH_POSTFIX_ROOT), or None
    for the host's Postfix."""
    return os.environ.get("SMTPDH_POSTFIX_ROOT") or None


def postconf(*args, postfix_root=None):
    """Run postconf of the root's (default: default_root()) Postfix."""
    root = postfix_root or default_root()
    cmd = os.path.join(root, "usr", "sbin", "postconf") if root else "postconf"
    return subprocess.run([cmd] + list(args), capture_output=True, text=True, timeout=30)


def mail_version(postfix_root=None):
    """The Postfix version of that root ("3.10.13"), "" if unknown."""
    try:
        return postconf("-dh", "mail_version", postfix_root=postfix_root).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


_skeletons = {}


def skeleton(postfix_root=None):
    """A directory whose spool/ and data/ hold the queue directories
    "postfix check" makes (owners and modes included), made once per
    process and Postfix root in its own namespaces and removed at exit.
    Instances copy it and start with quick-start: about 0.1 s instead of
    0.9 s (and several seconds on a loaded machine)."""
    if postfix_root not in _skeletons:
        import tempfile
        d = tempfile.mkdtemp(prefix="pfns-skel.", dir="/tmp")
        atexit.register(shutil.rmtree, d, True)
        os.chmod(d, 0o755)
        inst = Instance(d, postfix_root=postfix_root or "")
        inst._render()
        r = subprocess.run(["unshare", "--net", "--mount", "--pid", "--fork", "--mount-proc",
                            "--kill-child", NSINIT, d, "prepare"],
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=120)
        if r.returncode != 0 or inst._status() != "ready":
            raise StartError(inst._diagnose("preparing the queue skeleton: exit %d %s" % (
                r.returncode, (r.stdout + r.stderr).decode(errors="replace"))))
        for f in ("maillog", "quick-start"):
            try:
                os.unlink(os.path.join(d, "spool", f))
            except FileNotFoundError:
                pass
        _skeletons[postfix_root] = d
    return _skeletons[postfix_root]


def _describe(pid):
    """"pid (comm) state" of a process, for messages."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        state = stat[stat.rindex(")") + 2:].split()[0]
        return "%d (%s) %s" % (pid, comm, state)
    except (OSError, ValueError, IndexError):
        return "%d (gone)" % pid


class Instance:
    """One private Postfix; see the module description."""

    def __init__(self, root, *, sasl_path="private/auth", sasl_auth_enable="no",
                 relay_restrictions="permit_sasl_authenticated, reject_unauth_destination",
                 recipient_restrictions="", main_extra=(), master_extra=(),
                 smtpd_opts="-o max_use=1", helpers=(), ns_commands=(), start_timeout=15,
                 quick_start=True, postfix_root=None):
        self.root = os.path.realpath(root)
        self.postfix_root = default_root() if postfix_root is None else (postfix_root or None)
        if len(os.path.join(self.root, "spool/public/smtpd-unix")) > 107:
            raise ValueError("instance path %s is too long for a UNIX socket" % self.root)
        self.main = {
            "sasl_auth_enable": sasl_auth_enable,
            "sasl_path": sasl_path,
            "relay_restrictions": relay_restrictions,
            "recipient_restrictions": recipient_restrictions,
        }
        self.main_extra = list(main_extra)
        self.master = {"smtpd_opts": smtpd_opts, "extra": "\n".join(master_extra)}
        self.helpers = list(helpers)
        self.ns_commands = [list(c) for c in ns_commands]
        self.start_timeout = start_timeout
        self.quick_start = quick_start
        self.proc = None
        self.pid1 = None
        self.pidns = None
        self._pidns_fd = None
        self._pid1_fd = None

    # -- paths ---------------------------------------------------------
    def path(self, *p):
        return os.path.join(self.root, *p)

    @property
    def smtpd_socket(self):
        return self.path("spool", "public", "smtpd-unix")

    def maillog(self):
        try:
            with open(self.path("spool", "maillog"), errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def wait_maillog(self, pattern, timeout=10):
        """The maillog once regex pattern occurs in it (postlogd writes
        asynchronously, after the SMTP reply); AssertionError otherwise."""
        deadline = time.monotonic() + timeout
        while True:
            log = self.maillog()
            if re.search(pattern, log):
                return log
            if time.monotonic() > deadline:
                raise AssertionError("maillog of %s: no %r after %g s; its end:\n%s" % (
                    self.root, pattern, timeout, log[-3000:]))
            time.sleep(0.02)

    def helper_log(self, name):
        try:
            with open(self.path("log", name + ".log"), errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    # -- start ---------------------------------------------------------
    def _write_helpers(self):
        lines = ["# helpers.sh - sourced by nsinit.sh inside the namespaces"]
        for c in self.ns_commands:
            cmd = " ".join(shlex.quote(a) for a in c)
            lines.append("%s >> %s 2>&1 || fail %s" % (
                cmd, shlex.quote(self.path("log", "ns-commands.log")),
                shlex.quote("%s (see log/ns-commands.log)" % cmd)))
        for h in self.helpers:
            log = shlex.quote(self.path("log", h.name + ".log"))
            cmd = " ".join(shlex.quote(a) for a in h.argv)
            if h.daemonizes:
                lines.append("%s > %s 2>&1 < /dev/null || fail %s" % (
                    cmd, log, shlex.quote("helper %s exited $? (see log/%s.log)" % (h.name, h.name))))
                lines.append("pid=1")
            else:
                lines.append("%s > %s 2>&1 < /dev/null &" % (cmd, log))
                lines.append("pid=$!")
            if h.listen:
                lines.append("wait_listen %s $pid %s" % (shlex.quote(h.listen), shlex.quote(h.name)))
            if h.socket_mode is not None:
                lines.append("chmod %o %s || fail %s" % (
                    h.socket_mode, shlex.quote(h.listen[5:]), shlex.quote("chmod " + h.listen)))
        with open(self.path("helpers.sh"), "w") as f:
            f.write("\n".join(lines) + "\n")

    def _render(self):
        os.makedirs(self.path("log"), exist_ok=True)
        os.chmod(self.root, 0o755)
        if self.postfix_root:
            with open(self.path("postfix-root"), "w") as f:
                f.write(self.postfix_root)
        with open(self.path("main.cf"), "w") as f:
            f.write(override(render("main.cf.in", self.main), self.main_extra))
        with open(self.path("master.cf"), "w") as f:
            f.write(render("master.cf.in", self.master))

    def start(self):
        if self.quick_start:
            with open(self.path("skeleton"), "w") as f:
                f.write(skeleton(self.postfix_root))
        self._render()
        self._write_helpers()
        t0 = time.monotonic()
        with open(self.path("ns.log"), "wb") as log:
            self.proc = subprocess.Popen(
                ["unshare", "--net", "--mount", "--pid", "--fork", "--mount-proc",
                 "--kill-child", NSINIT, self.root],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)
        try:
            self._find_pid1()
            self._wait_ready(t0)
        except BaseException:
            self.stop(check=False)
            raise
        self.start_seconds = time.monotonic() - t0
        return self

    def _find_pid1(self):
        children = "/proc/%d/task/%d/children" % (self.proc.pid, self.proc.pid)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                with open(children) as f:
                    kids = f.read().split()
            except FileNotFoundError:
                kids = []
            if kids:
                pid1 = int(kids[0])
                try:
                    fd = os.open("/proc/%d/ns/pid" % pid1, os.O_RDONLY)
                except FileNotFoundError:
                    fd = None
                if fd is not None:
                    ns = os.readlink("/proc/self/fd/%d" % fd)
                    if ns != os.readlink("/proc/self/ns/pid"):
                        # the open descriptor keeps the namespace, and so
                        # its inode number, from being reused by another
                        # instance until stop() has checked it is empty
                        self.pid1, self.pidns, self._pidns_fd = pid1, ns, fd
                        # signalled through a pidfd: never another process
                        # that got the number after PID 1 was gone
                        self._pid1_fd = os.pidfd_open(pid1)
                        return
                    os.close(fd)
            if self.proc.poll() is not None:
                raise StartError("unshare exited %d:\n%s" % (
                    self.proc.returncode, _tail(self.path("ns.log"))))
            time.sleep(0.005)
        raise StartError("no namespace PID 1 under unshare after 5 s")

    def _status(self):
        try:
            with open(self.path("status")) as f:
                return f.read().strip()
        except FileNotFoundError:
            return None

    def _wait_ready(self, t0):
        while time.monotonic() - t0 < self.start_timeout:
            st = self._status()
            if st and st != "ready":
                raise StartError(self._diagnose(st))
            if st == "ready":
                if self._accepts():
                    return
                log = self.maillog()
                if re.search(r"\]: fatal: |bad command startup", log):
                    raise StartError(self._diagnose("a Postfix daemon fails to start"))
            if self.proc.poll() is not None:
                raise StartError(self._diagnose("namespace exited %d" % self.proc.returncode))
            time.sleep(0.01)
        raise StartError(self._diagnose("not ready after %g s (status %s)" % (
            self.start_timeout, self._status())))

    def _accepts(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(2)
        try:
            s.connect(self.smtpd_socket)
            # smtpd greets once it runs; a connect alone proves only the
            # listener. Read the banner, then leave politely.
            banner = s.recv(512)
            s.sendall(b"QUIT\r\n")
            return banner.startswith(b"220")
        except OSError:
            return False
        finally:
            s.close()

    def _diagnose(self, what):
        parts = ["private Postfix in %s: %s" % (self.root, what)]
        for label, p in (("namespace", "ns.log"), ("postfix start", "start.log"),
                         ("maillog", "spool/maillog")):
            t = _tail(self.path(p))
            if t:
                parts.append("%s:\n%s" % (label, t))
        for h in self.helpers:
            t = _tail(self.path("log", h.name + ".log"))
            if t:
                parts.append("helper %s:\n%s" % (h.name, t))
        return "\n".join(parts)

    # -- clients -------------------------------------------------------
    def smtp(self, timeout=20):
        return UnixSMTP(self.smtpd_socket, local_hostname="client.test", timeout=timeout)

    def smtp_inet(self, src="127.0.0.1", port=25, timeout=20):
        return NetnsSMTP(self.pid1, src, "127.0.0.1", port,
                         local_hostname="client.test", timeout=timeout)

    def netns(self):
        """Context manager: the calling thread works in the private net."""
        return _InNetns(self.pid1)

    def nsenter(self, *argv, **kw):
        """Run argv in the instance's network and mount namespaces."""
        return subprocess.run(["nsenter", "-t", str(self.pid1), "-n", "-m", "--"] + list(argv),
                              capture_output=True, text=True, timeout=30, **kw)

    # -- stop ----------------------------------------------------------
    def leftovers(self):
        """Processes still in this instance's PID namespace, mounts under root."""
        procs = []
        if self.pidns:
            for d in os.listdir("/proc"):
                if not d.isdigit():
                    continue
                try:
                    if os.readlink("/proc/%s/ns/pid" % d) == self.pidns:
                        procs.append(int(d))
                except OSError:
                    pass
        mounts = []
        with open("/proc/self/mountinfo") as f:
            for line in f:
                mp = line.split()[4]
                if mp == self.root or mp.startswith(self.root + "/"):
                    mounts.append(mp)
        return procs, mounts

    def stop(self, check=True):
        if self.proc is None:
            return
        pid1_gone = True
        if self._pid1_fd is not None:
            try:
                signal.pidfd_send_signal(self._pid1_fd, signal.SIGKILL)
            except ProcessLookupError:
                pass
            # readable once PID 1 has exited, which it does only after
            # the kernel has killed and reaped the rest of its namespace
            p = select.poll()
            p.register(self._pid1_fd, select.POLLIN)
            pid1_gone = bool(p.poll(STOP_TIMEOUT * 1000))
            os.close(self._pid1_fd)
            self._pid1_fd = None
        try:
            self.proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            # unshare's --kill-child also ends PID 1 when unshare dies
            self.proc.kill()
            self.proc.wait(timeout=STOP_TIMEOUT)
        self.proc = None
        try:
            procs, mounts = self._wait_leftovers() if check else ([], [])
        finally:
            if self._pidns_fd is not None:
                os.close(self._pidns_fd)
                self._pidns_fd = None
        if check:
            if procs or mounts or not pid1_gone:
                raise AssertionError("instance %s left processes %s, mounts %s%s" % (
                    self.root, [_describe(pid) for pid in procs], mounts,
                    "" if pid1_gone else "; PID 1 %d did not exit within %d s" % (
                        self.pid1, STOP_TIMEOUT)))

    def _wait_leftovers(self):
        """leftovers(), given up to STOP_TIMEOUT to become empty (processes
        with a parent outside the namespace, e.g. an nsenter a test ran,
        stay zombies until that parent reaps them)."""
        deadline = time.monotonic() + STOP_TIMEOUT
        while True:
            procs, mounts = self.leftovers()
            if (not procs and not mounts) or time.monotonic() > deadline:
                return procs, mounts
            time.sleep(0.05)
