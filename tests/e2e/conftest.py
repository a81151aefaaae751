"""Fixtures for tlsnoop's end-to-end tests.

Run as root from the repository root, after `make`:

    /usr/bin/python3 -m pytest -q tests/e2e

The session brings the lab up once (scripts/lab.sh: namespaces tlsn-srv and tlsn-cli,
nginx :443, haproxy :8443), starts one ./tlsnoop inside tlsn-srv watching veth-srv and
tears everything down at the end, also when tests fail or are interrupted.

Environment:
  TLSNOOP_BIN           binary to test (default: ./tlsnoop at the repository root)
  TLSNOOP_E2E_HOOK      xdp (default) or tc: tlsnoop's --hook
  TLSNOOP_E2E_WAIT      seconds to wait for a case's event (default 6)
  TLSNOOP_E2E_LAB_ONLY  1: do not run tlsnoop; only check that the lab and the clients
                        behave as the tests expect (the event checks are skipped)
  TLSNOOP_E2E_KEEP      a directory: keep lab files, events and tlsnoop's output there
"""
import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LAB_SH = REPO / "scripts" / "lab.sh"
PYCLIENT = Path(__file__).resolve().parent / "lab" / "pyclient.py"
PYTHON = "/usr/bin/python3"
SRV_NS = "tlsn-srv"
CLI_NS = "tlsn-cli"
SRV4 = "198.18.0.1"
SRV6 = "2001:db8::1"
CLI6 = "2001:db8::2"

EVENT_WAIT_S = float(os.environ.get("TLSNOOP_E2E_WAIT", "6"))
ATTACH_WAIT_S = 15.0
STOP_WAIT_S = 10.0
LAB_ONLY = os.environ.get("TLSNOOP_E2E_LAB_ONLY") == "1"


def _run(argv, timeout, check=True):
    return subprocess.run([str(a) for a in argv], stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=timeout, check=check)


class Lab:
    def __init__(self, d):
        self.dir = Path(d)
        self.ca = self.dir / "ca.crt"

    def path(self, name):
        return self.dir / name

    def cli(self, argv, timeout=10):
        """Run a client command in tlsn-cli; never raises on a non-zero exit."""
        return _run(["ip", "netns", "exec", CLI_NS] + list(argv), timeout=timeout, check=False)

    def set_source(self, ip):
        """openssl s_client cannot bind: make the route to the server pick IP as source."""
        _run(["ip", "-n", CLI_NS, "route", "replace", SRV4 + "/32", "dev", "veth-cli",
              "src", ip], timeout=10)

    def nginx_log(self, ip, wait=2.0):
        """nginx's info-level lines about client IP (handshake failures)."""
        return self._poll_lines(lambda: (self.dir / "nginx-error.log").read_text(
            errors="replace"), "client: %s," % ip, wait)

    def haproxy_log(self, ip, wait=2.0):
        """haproxy's log lines for client IP, read from its in-memory ring."""
        return self._poll_lines(self._haproxy_ring, " %s:" % ip, wait)

    def _haproxy_ring(self):
        # A unix socket is reachable from any network namespace.
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(2)
        try:
            s.connect(str(self.dir / "haproxy.sock"))
            s.sendall(b"show events lablog\n")
            buf = b""
            while len(buf) < 4 << 20:
                d = s.recv(65536)
                if not d:
                    break
                buf += d
        finally:
            s.close()
        return buf.decode(errors="replace")

    @staticmethod
    def _poll_lines(read, needle, wait):
        deadline = time.monotonic() + wait
        while True:
            lines = [l for l in read().splitlines() if needle in l]
            if lines or time.monotonic() > deadline:
                return lines
            time.sleep(0.1)


def _wait_shielded(proc, timeout):
    """proc.wait() that a Ctrl-C cannot cut short: teardown must finish (pytest is already
    tearing down after the first Ctrl-C; a second one is swallowed). Kills proc after
    timeout. Returns whether an interrupt was swallowed."""
    deadline = time.monotonic() + timeout
    interrupted = False
    while True:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            break
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            break
        except KeyboardInterrupt:
            interrupted = True
    return interrupted


def _lab_down(d):
    # Own session: a Ctrl-C on the terminal does not reach lab.sh down.
    p = subprocess.Popen([str(LAB_SH), "down", str(d)], stdin=subprocess.DEVNULL,
                         start_new_session=True)
    _wait_shielded(p, 60)


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    if os.geteuid() != 0:
        pytest.fail("the e2e tests need root (namespaces, XDP): run them with sudo",
                    pytrace=False)
    keep = os.environ.get("TLSNOOP_E2E_KEEP")
    d = Path(keep).resolve() if keep else tmp_path_factory.mktemp("lab")
    d.mkdir(parents=True, exist_ok=True)
    try:
        try:
            r = _run([LAB_SH, "up", d], timeout=90, check=False)
        except subprocess.TimeoutExpired:
            pytest.fail("scripts/lab.sh up timed out", pytrace=False)
        if r.returncode != 0:
            pytest.fail("scripts/lab.sh up failed (%d):\n%s%s" % (r.returncode, r.stdout, r.stderr),
                        pytrace=False)
        yield Lab(d)
    finally:
        _lab_down(d)


class Tlsnoop:
    """The tlsnoop process under test, and the events it wrote."""

    def __init__(self, workdir):
        self.dir = Path(workdir)
        self.events_path = self.dir / "events.ndjson"
        self.stderr_path = self.dir / "tlsnoop.stderr"
        self.stdout_path = self.dir / "tlsnoop.stdout"
        self.bin = Path(os.environ.get("TLSNOOP_BIN", REPO / "tlsnoop"))
        self.proc = None
        self.error = None       # why tlsnoop is not usable; tests fail with it
        self.returncode = None
        self.stop_error = None

    def argv(self):
        return ["ip", "netns", "exec", SRV_NS, str(self.bin), "-i", "veth-srv",
                "-p", "443,8443", "--json", "-o", str(self.events_path), "--timeout", "3",
                "--hook", os.environ.get("TLSNOOP_E2E_HOOK", "xdp")]

    def start(self):
        if not self.bin.exists():
            self.error = ("%s does not exist: build it with `make` in %s before running the "
                          "e2e tests" % (self.bin, REPO))
            return
        if not os.access(self.bin, os.X_OK):
            self.error = "%s is not executable" % self.bin
            return
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            # ip netns exec execs tlsnoop, so proc.pid is tlsnoop's pid.
            self.proc = subprocess.Popen(self.argv(), stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=err, cwd=str(REPO), start_new_session=True)
        deadline = time.monotonic() + ATTACH_WAIT_S
        while time.monotonic() < deadline:
            if any(l.startswith("tlsnoop: attached") for l in self.stderr().splitlines()):
                return
            if self.proc.poll() is not None:
                self.returncode = self.proc.returncode
                self.error = ("tlsnoop exited with status %d before attaching; stderr:\n%s"
                              % (self.proc.returncode, self.stderr()))
                return
            time.sleep(0.1)
        self.error = ("tlsnoop did not print 'tlsnoop: attached' within %.0f s; stderr:\n%s"
                      % (ATTACH_WAIT_S, self.stderr()))
        self.stop(teardown=True)

    def require(self):
        if self.error:
            pytest.fail(self.error, pytrace=False)

    def stderr(self):
        try:
            return self.stderr_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def stop(self, teardown=False):
        """SIGINT, wait (bounded), SIGKILL if needed. Idempotent; returns the exit status.
        In teardown, Ctrl-C does not interrupt the wait."""
        if self.proc is None or self.returncode is not None:
            return self.returncode
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            if teardown:
                _wait_shielded(self.proc, STOP_WAIT_S)
            else:
                try:
                    self.proc.wait(timeout=STOP_WAIT_S)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
            if self.proc.returncode == -signal.SIGKILL:
                self.stop_error = "tlsnoop did not exit within %.0f s of SIGINT" % STOP_WAIT_S
        self.returncode = self.proc.returncode
        return self.returncode

    def events(self):
        """All complete NDJSON lines so far, parsed. Fails the test on a line that is not
        a JSON object."""
        try:
            data = self.events_path.read_text(errors="replace")
        except FileNotFoundError:
            return []
        out = []
        for n, line in enumerate(data.splitlines(keepends=True), 1):
            if not line.endswith("\n"):
                break       # still being written
            if not line.strip():
                continue
            try:
                ev = json.loads(line)
            except ValueError as e:
                pytest.fail("events line %d is not valid JSON (%s): %r" % (n, e, line),
                            pytrace=False)
            if not isinstance(ev, dict):
                pytest.fail("events line %d is not a JSON object: %r" % (n, line), pytrace=False)
            out.append(ev)
        return out

    def events_from(self, ip):
        return [e for e in self.events() if get(e, "source.ip") == ip]

    def wait_event(self, ip, wait=None):
        """The first event whose source.ip is IP, polling up to TLSNOOP_E2E_WAIT s."""
        wait = EVENT_WAIT_S if wait is None else wait
        deadline = time.monotonic() + wait
        while True:
            evs = self.events_from(ip)
            if evs:
                return evs[0]
            if self.proc is not None and self.proc.poll() is not None:
                pytest.fail("tlsnoop exited (status %s) while waiting for the event from %s; "
                            "stderr:\n%s" % (self.proc.returncode, ip, self.stderr()),
                            pytrace=False)
            if time.monotonic() > deadline:
                pytest.fail("no event with source.ip %s within %.0f s; %d events so far in %s "
                            "(tlsnoop stderr: %s), last ones:\n%s" % (
                                ip, wait, len(self.events()), self.events_path,
                                self.stderr_path, "\n".join(
                                    json.dumps(e) for e in self.events()[-3:])), pytrace=False)
            time.sleep(0.1)


_MISSING = object()


def get(ev, dotted, default=_MISSING):
    """ev["a"]["b"]["c"] for "a.b.c" (the schema nests ECS objects); "@timestamp" is a
    top-level key. Returns default (or None) when absent."""
    cur = ev
    for part in dotted.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None if default is _MISSING else default
        cur = cur[part]
    return cur


_ABSENT = object()


def has(ev, dotted):
    return get(ev, dotted, _ABSENT) is not _ABSENT


@pytest.fixture(scope="session")
def tlsnoop(lab, tmp_path_factory):
    keep = os.environ.get("TLSNOOP_E2E_KEEP")
    d = Path(keep).resolve() if keep else tmp_path_factory.mktemp("tlsnoop")
    t = Tlsnoop(d)
    if LAB_ONLY:
        t.error = "TLSNOOP_E2E_LAB_ONLY=1: tlsnoop not started"
        yield t
        return
    try:
        t.start()
        yield t
    finally:
        t.stop(teardown=True)
