"""Prometheus metrics end to end: tlsnoop --metrics in the lab, scraped by a real Prometheus.

tlsnoop runs in tlsn-srv with `--metrics 9101` (all addresses); Debian's prometheus binary
runs in tlsn-srv too, on 127.0.0.1:9090 with its own configuration and storage in a
temporary directory, scraping 127.0.0.1:9101 every second. Real clients (curl, openssl
s_client) succeed and fail in known ways; the counters are then read back through
Prometheus's query API (/api/v1/query), and a scrape goes through `promtool check metrics`.
Hostile HTTP clients must neither block the event path nor the next scrape.

One tlsnoop per interface: this module stops the session's tlsnoop (conftest) if it is
running, so it runs after test_e2e.py (file order). Everything it starts is stopped at the
end, also on failure. Only 198.18.0.0/15 addresses and loopback inside tlsn-srv are used.
"""
import json
import signal
import subprocess
import time
import urllib.parse
from pathlib import Path

import pytest

from conftest import LAB_ONLY, REPO, SRV4, SRV_NS, get

TLSNOOP = REPO / "tlsnoop"
METRICS_PORT = 9101
PROM_PORT = 9090
ATTACH_WAIT_S = 15.0
PROM_READY_WAIT_S = 30.0
COUNT_WAIT_S = 20.0
STOP_WAIT_S = 10.0

pytestmark = pytest.mark.skipif(LAB_ONLY, reason="TLSNOOP_E2E_LAB_ONLY=1: tlsnoop not run")

PROM_CONFIG = """\
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: tlsnoop
    static_configs:
      - targets: ["127.0.0.1:%d"]
""" % METRICS_PORT

# Hostile and well-behaved HTTP clients of the metrics port, run in tlsn-srv. Prints one
# JSON object: what each request got back.
HTTP_CLIENTS_PY = r"""
import json, socket, sys, time
port = int(sys.argv[1])

def ask(data, wait=5):
    s = socket.create_connection(("127.0.0.1", port), timeout=wait)
    try:
        s.sendall(data)
        buf = b""
        while True:
            d = s.recv(65536)
            if not d:
                break
            buf += d
    except (ConnectionResetError, BrokenPipeError):
        pass
    finally:
        s.close()
    return buf.split(b"\r\n", 1)[0].decode(errors="replace")

out = {}
# Idle clients: more than the server serves at once, holding every slot.
idle = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(12)]
idle[0].sendall(b"GET /metrics HTTP/1.1\r\n")   # a request that never ends
t = time.monotonic()
out["scrape_while_idle"] = ask(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", wait=10)
out["scrape_while_idle_s"] = time.monotonic() - t
for s in idle:
    s.close()
out["oversized"] = ask(b"GET /metrics HTTP/1.1\r\nX: " + b"A" * 8192 + b"\r\n\r\n")
out["wrong_path"] = ask(b"GET / HTTP/1.1\r\n\r\n")
out["wrong_method"] = ask(b"POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n")
out["garbage"] = ask(b"\x16\x03\x01\x00\x05hello\r\n\r\n")
out["ok"] = ask(b"GET /metrics HTTP/1.0\r\n\r\n")
print(json.dumps(out))
"""


def _run(argv, timeout=15):
    return subprocess.run([str(a) for a in argv], stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=timeout, check=False)


def in_srv(argv, timeout=15):
    return _run(["ip", "netns", "exec", SRV_NS] + list(argv), timeout=timeout)


def _stop(proc, sig):
    """Signal, wait bounded, SIGKILL if needed."""
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout=STOP_WAIT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


def _tlsnoop_in_srv():
    pids = _run(["ip", "netns", "pids", SRV_NS]).stdout.split()
    for pid in pids:
        try:
            if Path("/proc/%s/comm" % pid).read_text().strip() == "tlsnoop":
                return True
        except OSError:
            pass
    return False


class MetricsRun:
    """tlsnoop with --metrics and the Prometheus scraping it."""

    def __init__(self, d):
        self.dir = Path(d)
        self.events_path = self.dir / "events.ndjson"
        self.tlsnoop_err = self.dir / "tlsnoop.stderr"
        self.prom_log = self.dir / "prometheus.log"
        self.tlsnoop = None
        self.prom = None

    def _popen(self, argv, log):
        with open(log, "wb") as err:
            # ip netns exec execs the command: proc.pid is the command's.
            return subprocess.Popen(["ip", "netns", "exec", SRV_NS] + [str(a) for a in argv],
                                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=err, cwd=str(REPO), start_new_session=True)

    def start_tlsnoop(self):
        self.tlsnoop = self._popen([TLSNOOP, "-i", "veth-srv", "-p", "443,8443", "--json",
                                    "-o", self.events_path, "--timeout", "3",
                                    "--metrics", METRICS_PORT], self.tlsnoop_err)
        deadline = time.monotonic() + ATTACH_WAIT_S
        while time.monotonic() < deadline:
            if "tlsnoop: attached" in self.tlsnoop_err.read_text(errors="replace"):
                return
            if self.tlsnoop.poll() is not None:
                break
            time.sleep(0.1)
        pytest.fail("tlsnoop --metrics did not attach; stderr:\n" +
                    self.tlsnoop_err.read_text(errors="replace"), pytrace=False)

    def start_prometheus(self):
        config = self.dir / "prometheus.yml"
        config.write_text(PROM_CONFIG)
        self.prom = self._popen(["prometheus", "--config.file", config,
                                 "--storage.tsdb.path", self.dir / "prometheus-data",
                                 "--web.listen-address", "127.0.0.1:%d" % PROM_PORT],
                                self.prom_log)
        deadline = time.monotonic() + PROM_READY_WAIT_S
        while time.monotonic() < deadline:
            if self.prom.poll() is not None:
                break
            r = in_srv(["curl", "-sf", "--max-time", "2",
                        "http://127.0.0.1:%d/-/ready" % PROM_PORT])
            if r.returncode == 0:
                return
            time.sleep(0.5)
        pytest.fail("prometheus did not become ready; log:\n" +
                    self.prom_log.read_text(errors="replace")[-3000:], pytrace=False)

    def stop(self):
        for proc, sig in ((self.prom, signal.SIGTERM), (self.tlsnoop, signal.SIGINT)):
            if proc is not None:
                _stop(proc, sig)

    def query(self, promql):
        """Prometheus's instant query: [(labels, value)]."""
        url = "http://127.0.0.1:%d/api/v1/query?%s" % (
            PROM_PORT, urllib.parse.urlencode({"query": promql}))
        r = in_srv(["curl", "-sS", "--max-time", "5", url])
        assert r.returncode == 0, "query %s: %s" % (promql, r.stderr)
        body = json.loads(r.stdout)
        assert body.get("status") == "success", body
        return [(s["metric"], float(s["value"][1])) for s in body["data"]["result"]]

    def value(self, promql):
        """The single value of promql, or None when it has no result."""
        res = self.query(promql)
        assert len(res) <= 1, "%s: more than one series: %s" % (promql, res)
        return res[0][1] if res else None

    def scrape(self):
        r = in_srv(["curl", "-sS", "--max-time", "5", "-D", "-",
                    "http://127.0.0.1:%d/metrics" % METRICS_PORT])
        assert r.returncode == 0, r.stderr
        return r.stdout

    def events(self):
        try:
            lines = self.events_path.read_text(errors="replace").splitlines(keepends=True)
        except FileNotFoundError:
            return []
        return [json.loads(l) for l in lines if l.endswith("\n") and l.strip()]


@pytest.fixture(scope="module")
def mrun(lab, request, tmp_path_factory):
    # One tlsnoop per interface: the session's must go first.
    if _tlsnoop_in_srv():
        request.getfixturevalue("tlsnoop").stop(teardown=True)
    m = MetricsRun(tmp_path_factory.mktemp("metrics"))
    try:
        m.start_tlsnoop()
        m.start_prometheus()
        yield m
    finally:
        m.stop()


# ---------------------------------------------------------------- clients
def curl(lab, ip, url, *args):
    argv = ["curl", "-sS", "-o", "/dev/null", "--max-time", "5", "--interface", ip,
            "--resolve", "lab.test:443:%s" % SRV4, "--resolve", "lab.test:8443:%s" % SRV4]
    return lab.cli(argv + list(args) + [url], timeout=15)


# What the clients below do: (outcome, reason, version, port, side) -> handshakes.
EXPECTED = {
    ("success", "none", "1.3", "443", "none"): 3,
    ("success", "none", "1.2", "443", "none"): 1,
    ("failure", "protocol_version", "unknown", "443", "server"): 1,
    ("failure", "untrusted_certificate", "1.2", "443", "client"): 1,
    ("failure", "client_certificate", "1.2", "8443", "server"): 1,
}


def run_clients(lab):
    for ip in ("198.18.0.30", "198.18.0.31", "198.18.0.32"):
        r = curl(lab, ip, "https://lab.test/", "--cacert", lab.ca, "--tlsv1.3")
        assert r.returncode == 0, r.stderr
    r = curl(lab, "198.18.0.33", "https://lab.test/", "--cacert", lab.ca, "--tls-max", "1.2")
    assert r.returncode == 0, r.stderr
    # TLS 1.1 only: nginx answers with a plaintext protocol_version alert (70).
    lab.set_source("198.18.0.34")
    r = lab.cli(["timeout", "5", "openssl", "s_client", "-connect", "%s:443" % SRV4,
                 "-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0", "-servername", "lab.test"],
                timeout=15)
    assert r.returncode != 0 and "SSL alert number 70" in r.stdout + r.stderr, r
    # No CA: curl refuses nginx's certificate (unknown_ca, 48).
    r = curl(lab, "198.18.0.35", "https://lab.test/", "--tls-max", "1.2")
    assert r.returncode == 60, r.stderr
    # Mutual TLS without a client certificate: haproxy refuses (handshake_failure, 40).
    r = curl(lab, "198.18.0.36", "https://lab.test:8443/", "--cacert", lab.ca,
             "--tls-max", "1.2")
    assert r.returncode == 35, r.stderr


def wait_for(fn, want, wait=COUNT_WAIT_S):
    deadline = time.monotonic() + wait
    while True:
        got = fn()
        if got == want or time.monotonic() > deadline:
            return got
        time.sleep(0.5)


# ---------------------------------------------------------------- tests
def test_counters_match_clients(lab, mrun):
    run_clients(lab)
    total = sum(EXPECTED.values())
    # Prometheus scrapes every second: wait for the scrape that saw every event.
    got = wait_for(lambda: mrun.value("tlsnoop_events_total"), total)
    assert got == total, ("tlsnoop_events_total in Prometheus", got, mrun.events())
    series = {}
    for labels, v in mrun.query("tlsnoop_handshakes_total"):
        key = tuple(labels[k] for k in ("outcome", "reason", "version", "port", "side"))
        series[key] = int(v)
        assert labels["job"] == "tlsnoop", labels
    assert series == EXPECTED, ("handshakes in Prometheus", series, mrun.events())
    # The same as the events tlsnoop wrote.
    by_reason = {}
    for e in mrun.events():
        k = (get(e, "event.outcome"), get(e, "event.reason") or "none")
        by_reason[k] = by_reason.get(k, 0) + 1
    for (outcome, reason), n in by_reason.items():
        assert mrun.value('sum(tlsnoop_handshakes_total{outcome="%s",reason="%s"})'
                          % (outcome, reason)) == n, (outcome, reason, n)

    assert mrun.value('up{job="tlsnoop"}') == 1
    # Failure ratio by reason, as in docs/metrics.md.
    assert mrun.value('sum(tlsnoop_handshakes_total{outcome="failure",'
                      'reason="client_certificate"}) / sum(tlsnoop_handshakes_total)') == 1 / 7
    for outcome, n in (("success", 4), ("failure", 3)):
        assert mrun.value('tlsnoop_handshake_duration_seconds_count{outcome="%s"}'
                          % outcome) == n
        assert mrun.value('tlsnoop_handshake_duration_seconds_bucket{outcome="%s",le="+Inf"}'
                          % outcome) == n
        # Lab handshakes take milliseconds: all well under 10 s.
        assert mrun.value('tlsnoop_handshake_duration_seconds_bucket{outcome="%s",le="10"}'
                          % outcome) == n
    assert mrun.value("tlsnoop_ringbuf_dropped_total") == 0
    assert mrun.value("tlsnoop_flows_tracked") is not None
    version = _run([TLSNOOP, "-V"]).stdout.split()[-1]
    res = mrun.query("tlsnoop_build_info")
    assert [(l["version"], v) for l, v in res] == [(version, 1.0)], res


def test_promtool_check_metrics(mrun):
    text = mrun.scrape()
    head, _, body = text.partition("\n\n")   # text mode: CRLF read as LF
    assert head.startswith("HTTP/1.1 200 OK"), head
    assert "Content-Type: text/plain; version=0.0.4" in head, head
    assert "tlsnoop_handshakes_total{" in body, body
    r = subprocess.run(["promtool", "check", "metrics"], input=body, capture_output=True,
                       text=True, timeout=30, check=False)
    assert r.returncode == 0, "promtool check metrics:\n%s%s\n%s" % (r.stdout, r.stderr, body)


def test_hostile_http_clients(lab, mrun):
    before = len(mrun.events())
    proc = subprocess.Popen(["ip", "netns", "exec", SRV_NS, "/usr/bin/python3", "-c",
                             HTTP_CLIENTS_PY, str(METRICS_PORT)], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        # While the idle clients hold every slot, events keep flowing.
        time.sleep(0.5)
        r = curl(lab, "198.18.0.37", "https://lab.test/", "--cacert", lab.ca)
        assert r.returncode == 0, r.stderr
        got = wait_for(lambda: len(mrun.events()), before + 1, wait=5)
        assert got == before + 1, "no event while the metrics port was busy"
        out, err = proc.communicate(timeout=60)
    finally:
        _stop(proc, signal.SIGKILL)
    assert proc.returncode == 0, err
    res = json.loads(out)
    assert res["scrape_while_idle"] == "HTTP/1.1 200 OK", res
    # Served once the idle clients' 2 s deadline freed the slots.
    assert res["scrape_while_idle_s"] < 5, res
    assert res["oversized"] in ("HTTP/1.1 431 Request Header Fields Too Large", ""), res
    assert res["wrong_path"] == "HTTP/1.1 404 Not Found", res
    assert res["wrong_method"] == "HTTP/1.1 405 Method Not Allowed", res
    assert res["garbage"] == "HTTP/1.1 400 Bad Request", res
    assert res["ok"] == "HTTP/1.1 200 OK", res
    # tlsnoop is still there, and Prometheus still scrapes it.
    assert mrun.tlsnoop.poll() is None
    assert wait_for(lambda: mrun.value('up{job="tlsnoop"}'), 1) == 1


def test_port_in_use_nothing_attached(lab, mrun):
    """A second tlsnoop whose metrics port is taken stops before attaching: one line,
    exit 1 (not the 'another tlsnoop' error, which comes later)."""
    r = in_srv([TLSNOOP, "-i", "veth-srv", "--metrics", "127.0.0.1:%d" % PROM_PORT])
    assert r.returncode == 1, r
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        "tlsnoop: cannot serve metrics on 127.0.0.1:%d: Address already in use" % PROM_PORT), r
    assert mrun.tlsnoop.poll() is None
