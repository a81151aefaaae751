"""CLI behaviour tests for tlsnoop: crash leftovers, bad input, a taken XDP slot, the idle
timeout and hostile SNI bytes.

Run as root from the repository root, after `make`:

    /usr/bin/python3 -m pytest -q tests/e2e/test_cli.py

Independent of the lab (scripts/lab.sh) and of conftest's session fixtures: every test
builds its own pair of network namespaces (prefix tlsn-cli-t) joined by a veth pair,
198.19.7.1 (server side, where tlsnoop watches) <-> 198.19.7.2 (client side), and tears
them down, with every process it started, even when it fails.
"""
import json
import os
import signal
import ssl
import struct
import subprocess
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("TLSNOOP_BIN", REPO / "tlsnoop"))
BPF_OBJ = REPO / ".output" / "tlsnoop.bpf.o"
# Someone else's XDP program (tests/bpf/xdp_other.bpf.c).
OTHER_OBJ = REPO / ".output" / "xdp_other.bpf.o"
PYTHON = "/usr/bin/python3"

NS_SRV = "tlsn-cli-tsrv"
NS_CLI = "tlsn-cli-tcli"
IF_SRV = "veth-tsrv"
IF_CLI = "veth-tcli"
SRV4 = "198.19.7.1"
CLI4 = "198.19.7.2"

ATTACH_WAIT_S = 15.0
STOP_WAIT_S = 10.0
EVENT_WAIT_S = 6.0

# A TCP server for port 443 that accepts, reads until EOF, never answers, then closes.
SERVER_PY = r"""
import socket, sys, threading
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 443))
s.listen(16)
print("listening", flush=True)
def serve(c):
    with c:
        c.settimeout(30)
        try:
            while c.recv(65536):
                pass
        except OSError:
            pass
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
"""

# Connects to argv[1]:443 from argv[2], sends the hex bytes argv[3], then idles argv[4] s
# and closes.
CLIENT_PY = r"""
import socket, sys, time
c = socket.create_connection((sys.argv[1], 443), timeout=5, source_address=(sys.argv[2], 0))
c.sendall(bytes.fromhex(sys.argv[3]))
print("sent", flush=True)
time.sleep(float(sys.argv[4]))
c.close()
"""


def run(argv, timeout=15, check=False):
    return subprocess.run([str(a) for a in argv], stdin=subprocess.DEVNULL, capture_output=True,
                          timeout=timeout, check=check)


def sh(argv, timeout=15):
    """Run a setup command; fail the test with its output if it fails."""
    r = run(argv, timeout=timeout)
    if r.returncode != 0:
        pytest.fail("%s failed (%d): %s%s" % (" ".join(map(str, argv)), r.returncode,
                                              r.stdout.decode(errors="replace"),
                                              r.stderr.decode(errors="replace")), pytrace=False)
    return r.stdout.decode(errors="replace")


def veth_pair(a, b):
    """A veth pair between two namespaces; a and b: (namespace, device, IPv4 address)."""
    sh(["ip", "link", "add", a[1], "netns", a[0], "type", "veth", "peer", "name", b[1],
        "netns", b[0]])
    for ns, dev, ip in (a, b):
        sh(["ip", "-n", ns, "link", "set", dev, "addrgenmode", "none"])
        sh(["ip", "-n", ns, "addr", "add", ip + "/24", "dev", dev])
        sh(["ip", "-n", ns, "link", "set", dev, "up"])


# nginx for a test: in the foreground, one process, every file under {d}.
NGINX_CONF = """
daemon off;
master_process off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/nginx-error.log info;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {d}/tmp;
    proxy_temp_path {d}/tmp;
    fastcgi_temp_path {d}/tmp;
    uwsgi_temp_path {d}/tmp;
    scgi_temp_path {d}/tmp;
{http}
}}
"""


def nginx_conf(d, http):
    """Write d/nginx.conf with `http` inside its http block; returns its path."""
    (d / "tmp").mkdir(exist_ok=True)
    conf = d / "nginx.conf"
    conf.write_text(NGINX_CONF.format(d=d, http=http))
    return conf


def del_netns(namespaces=(NS_SRV, NS_CLI)):
    """Delete the namespaces, first killing whatever still runs in them."""
    for ns in namespaces:
        for pid in run(["ip", "netns", "pids", ns]).stdout.split():
            try:
                os.kill(int(pid), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass
        run(["ip", "netns", "del", ns], timeout=15)


def require_root_and_tlsnoop():
    if os.geteuid() != 0:
        pytest.fail("needs root (namespaces, BPF)", pytrace=False)
    if not os.access(BIN, os.X_OK):
        pytest.fail("%s missing: run make first" % BIN, pytrace=False)


def stop(proc, sig=signal.SIGINT, wait=STOP_WAIT_S):
    """Signal proc, wait bounded, SIGKILL if needed. Returns the exit status."""
    if proc.poll() is None:
        try:
            proc.send_signal(sig)
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


class Net:
    """The namespace pair, and the processes started in it (all stopped at teardown)."""

    def __init__(self, tmp, namespaces=(NS_SRV, NS_CLI)):
        self.tmp = Path(tmp)
        self.namespaces = namespaces
        self.ns_srv = namespaces[0]     # where tlsnoop runs
        self.procs = []

    def popen(self, ns, argv, stdout, stderr):
        # ip netns exec execs the command, so proc.pid is the command's pid.
        p = subprocess.Popen(["ip", "netns", "exec", ns] + [str(a) for a in argv],
                             stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
                             cwd=str(REPO), start_new_session=True)
        self.procs.append(p)
        return p

    def tlsnoop(self, *args, timeout=30):
        """Run tlsnoop to completion in the server namespace."""
        return run(["ip", "netns", "exec", self.ns_srv, BIN] + list(args), timeout=timeout)

    def start_tlsnoop(self, *args, name="tlsnoop"):
        """Start tlsnoop in the server namespace; wait for 'tlsnoop: attached'."""
        out = self.tmp / (name + ".stdout")
        err = self.tmp / (name + ".stderr")
        with open(out, "wb") as o, open(err, "wb") as e:
            p = self.popen(self.ns_srv, [BIN] + list(args), o, e)
        deadline = time.monotonic() + ATTACH_WAIT_S
        while True:
            text = err.read_text(errors="replace")
            if any(l.startswith("tlsnoop: attached") for l in text.splitlines()):
                return p, out, err
            if p.poll() is not None:
                pytest.fail("tlsnoop exited (%d) before attaching; stderr:\n%s"
                            % (p.returncode, text), pytrace=False)
            if time.monotonic() > deadline:
                pytest.fail("tlsnoop did not attach within %.0f s; stderr:\n%s"
                            % (ATTACH_WAIT_S, text), pytrace=False)
            time.sleep(0.1)

    def start_server(self):
        p = self.popen(NS_SRV, [PYTHON, "-c", SERVER_PY, SRV4], subprocess.PIPE,
                       subprocess.DEVNULL)
        assert p.stdout.readline().strip() == b"listening", "test server did not start"
        return p

    def client(self, payload, idle):
        p = self.popen(NS_CLI, [PYTHON, "-c", CLIENT_PY, SRV4, CLI4, payload.hex(), idle],
                       subprocess.PIPE, subprocess.PIPE)
        return p

    def teardown(self):
        for p in self.procs:
            stop(p, signal.SIGKILL, wait=5)
            for f in (p.stdout, p.stderr):
                if f:
                    f.close()
        del_netns(self.namespaces)


@pytest.fixture
def net(tmp_path):
    require_root_and_tlsnoop()
    n = Net(tmp_path)
    del_netns()     # leftovers of an interrupted run
    try:
        for ns in (NS_SRV, NS_CLI):
            sh(["ip", "netns", "add", ns])
            sh(["ip", "-n", ns, "link", "set", "lo", "up"])
        veth_pair((NS_SRV, IF_SRV, SRV4), (NS_CLI, IF_CLI, CLI4))
        yield n
    finally:
        n.teardown()


# ---------------------------------------------------------------- helpers
def tc_filters(direction):
    return sh(["tc", "-n", NS_SRV, "filter", "show", "dev", IF_SRV, direction])


def link_show():
    return sh(["ip", "-n", NS_SRV, "link", "show", "dev", IF_SRV])


def assert_nothing_attached():
    for d in ("ingress", "egress"):
        out = tc_filters(d)
        assert "tc_tlsnoop" not in out, "tc %s filter left behind:\n%s" % (d, out)
    out = link_show()
    assert "xdp" not in out, "XDP program left behind:\n%s" % out


def stderr_lines(b):
    return b.decode(errors="replace").splitlines()


def read_events(path):
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    return [json.loads(l) for l in data.split(b"\n")[:-1] if l.strip()]


def wait_for(pred, what, proc, errpath, wait=EVENT_WAIT_S):
    deadline = time.monotonic() + wait
    while True:
        v = pred()
        if v:
            return v
        if proc.poll() is not None:
            pytest.fail("tlsnoop exited (%d) while waiting for %s; stderr:\n%s"
                        % (proc.returncode, what, errpath.read_text(errors="replace")),
                        pytrace=False)
        if time.monotonic() > deadline:
            pytest.fail("no %s within %.0f s; tlsnoop stderr:\n%s"
                        % (what, wait, errpath.read_text(errors="replace")), pytrace=False)
        time.sleep(0.1)


def real_client_hello(server_hostname):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_hostname=server_hostname)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    hello = out.read()
    assert hello[:1] == b"\x16" and hello[5:6] == b"\x01", hello[:16]
    return hello


def hand_client_hello(sni):
    """Record + handshake header, TLS 1.2 legacy version, random, empty session id,
    TLS_AES_128_GCM_SHA256, null compression, server_name and supported_versions."""
    name = struct.pack("!BH", 0, len(sni)) + sni
    names = struct.pack("!H", len(name)) + name
    ext = struct.pack("!HH", 0, len(names)) + names
    sv = struct.pack("!BH", 2, 0x0304)
    ext += struct.pack("!HH", 43, len(sv)) + sv
    body = (b"\x03\x03" + os.urandom(32) + b"\x00" + struct.pack("!HH", 2, 0x1301)
            + b"\x01\x00" + struct.pack("!H", len(ext)) + ext)
    hs = b"\x01" + len(body).to_bytes(3, "big") + body
    return b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs


# ---------------------------------------------------------------- tests
def test_sigkill_leftover_cleaned_by_next_start(net):
    p, _, err = net.start_tlsnoop("-i", IF_SRV)
    p.kill()
    p.wait(timeout=STOP_WAIT_S)
    # What a killed tlsnoop leaves: its TC filters and its XDP program (in libxdp's
    # dispatcher, pinned, or attached alone where the kernel has no dispatcher).
    out = tc_filters("egress")
    assert "tc_tlsnoop" in out, "expected the known tc egress leftover after SIGKILL:\n" + out
    assert "xdp" in link_show(), "expected the XDP leftover after SIGKILL:\n" + link_show()

    r = net.tlsnoop("-i", IF_SRV, "--duration", "1")
    err = r.stderr.decode(errors="replace")
    assert r.returncode == 0, err
    assert "removed a stale tlsnoop filter" in err, err
    assert "removed a stale tlsnoop XDP program" in err, err
    assert_nothing_attached()


BAD_ARGS = [
    ["-i", IF_SRV, "-p", "0"],
    ["-i", IF_SRV, "-p", "443,"],
    ["-i", IF_SRV, "-p", "abc"],
    ["-i", IF_SRV, "-p", "70000"],
    ["-p", "443"],
    ["-i", "nosuchif"],
    ["-i", IF_SRV, "-o", "/nonexistent/dir/x.json"],
    ["-i", IF_SRV, "--hook", "foo"],
    ["-i", IF_SRV, "--timeout", "0"],
    ["-i", IF_SRV, "--no-such-option"],
    ["-i", IF_SRV, "--max-flows", "10"],
    ["-i", IF_SRV, "--per-client-rate", "50/"],
    ["-i", IF_SRV, "stray-argument"],
    ["-i", IF_SRV, "--user", "no-such-user-here"],
    ["-i", IF_SRV, "--user", ""],
    ["-i"],
]


@pytest.mark.parametrize("args", BAD_ARGS, ids=[" ".join(a) for a in BAD_ARGS])
def test_bad_input_one_line_nonzero_nothing_attached(net, args):
    r = net.tlsnoop(*args, "--duration", "1")
    lines = stderr_lines(r.stderr)
    assert r.returncode != 0, lines
    assert len(lines) == 1 and lines[0].startswith("tlsnoop:") and lines[0] != "tlsnoop:", \
        "expected exactly one 'tlsnoop: ...' line on stderr, got %r" % lines
    assert not r.stdout, r.stdout
    assert_nothing_attached()


def test_xdp_slot_taken(net):
    """A program attached directly (not through libxdp's dispatcher) cannot share."""
    sh(["ip", "-n", NS_SRV, "link", "set", "dev", IF_SRV, "xdpgeneric", "obj", OTHER_OBJ,
        "sec", "xdp"])
    before = link_show()
    assert "xdp_other" in before, before

    r = net.tlsnoop("-i", IF_SRV, "--duration", "1")
    lines = stderr_lines(r.stderr)
    assert r.returncode != 0, lines
    assert lines == ["tlsnoop: the XDP slot of %s is taken by xdp_other, attached without "
                     "libxdp's dispatcher (directly, or on a kernel without the BPF extension "
                     "programs it needs); run with --hook tc" % IF_SRV], lines
    for d in ("ingress", "egress"):
        assert "tc_tlsnoop" not in tc_filters(d), tc_filters(d)
    assert "xdpgeneric" in link_show(), link_show()

    r = net.tlsnoop("-i", IF_SRV, "--hook", "tc", "--duration", "1")
    err = r.stderr.decode(errors="replace")
    assert r.returncode == 0, err
    assert "tc ingress, tc egress" in err, err
    after = link_show()
    assert "xdpgeneric" in after, "the other XDP program was removed:\n" + after
    for d in ("ingress", "egress"):
        assert "tc_tlsnoop" not in tc_filters(d), tc_filters(d)


def kernel_has_extension_programs():
    """BPF extension (freplace) programs, which libxdp's dispatcher needs."""
    out = sh(["bpftool", "feature", "probe", "kernel"])
    return "eBPF program_type ext is available" in out


def test_beside_a_libxdp_program(net, tmp_path):
    """Another program loaded through libxdp (xdp-loader) first. With extension programs
    in the kernel they share the dispatcher (tests/guest/xdp_coexist.sh checks that on
    Debian's 6.1 kernel); without them libxdp attaches the other program alone and tlsnoop
    refuses, naming it. Either way the other program stays, and tlsnoop leaves nothing."""
    bpffs = tmp_path / "bpffs"
    bpffs.mkdir()
    sh(["mount", "-t", "bpf", "bpf", bpffs])
    xdp = ["ip", "netns", "exec", NS_SRV, "env", "LIBXDP_BPFFS=%s" % bpffs]
    try:
        sh(xdp + ["xdp-loader", "load", "-m", "skb", IF_SRV, OTHER_OBJ])
        assert "xdp_other" in sh(xdp + ["xdp-loader", "status", IF_SRV])
        r = run(xdp + [BIN, "-i", IF_SRV, "--duration", "1"], timeout=30)
        lines = stderr_lines(r.stderr)
        if kernel_has_extension_programs():
            assert r.returncode == 0 and any("attached to " + IF_SRV in l for l in lines), \
                lines
        else:
            assert r.returncode == 1 and lines == [
                "tlsnoop: the XDP slot of %s is taken by xdp_other, attached without "
                "libxdp's dispatcher (directly, or on a kernel without the BPF extension "
                "programs it needs); run with --hook tc" % IF_SRV], lines
        status = sh(xdp + ["xdp-loader", "status", IF_SRV])
        assert "xdp_other" in status and "xdp_tlsnoop" not in status, status
        for d in ("ingress", "egress"):
            assert "tc_tlsnoop" not in tc_filters(d), tc_filters(d)
    finally:
        run(xdp + ["xdp-loader", "unload", IF_SRV, "--all"], timeout=15)
        run(["umount", bpffs], timeout=15)


def test_timeout_event(net):
    hello = real_client_hello("t.test")
    assert len(hello) > 100
    events = net.tmp / "events.json"
    net.start_server()
    p, _, err = net.start_tlsnoop("--json", "-o", events, "--timeout", "2", "-i", IF_SRV)
    c = net.client(hello[:100], 15)
    if c.stdout.readline().strip() != b"sent":
        c.wait(timeout=10)
        pytest.fail("client failed (%s): %r" % (c.returncode, c.stderr.read()), pytrace=False)

    ev = wait_for(lambda: [e for e in read_events(events)
                           if e.get("source", {}).get("ip") == CLI4],
                  "event from %s" % CLI4, p, err)[0]
    assert ev.get("event", {}).get("reason") == "timeout", ev
    assert ev.get("event", {}).get("outcome") == "failure", ev
    assert stop(p) == 0, err.read_text(errors="replace")


HOSTILE = b"evil\x1b[31m\"\\\n\xffx.test"


def test_hostile_sni_json(net):
    events = net.tmp / "events.json"
    net.start_server()
    p, _, err = net.start_tlsnoop("--json", "-o", events, "--timeout", "2", "-i", IF_SRV)
    c = net.client(hand_client_hello(HOSTILE), 0.2)
    assert c.wait(timeout=10) == 0, c.stderr.read()

    ev = wait_for(lambda: [e for e in read_events(events)
                           if e.get("source", {}).get("ip") == CLI4],
                  "event from %s" % CLI4, p, err)[0]
    sni = ev.get("tls", {}).get("client", {}).get("server_name")
    assert sni == HOSTILE.decode("latin-1"), ev
    raw = events.read_bytes()
    bad = sorted({b for b in raw if b < 0x20 and b != 0x0a})
    assert not bad, "raw control bytes %r in %r" % (bad, raw)
    assert b"\xff" not in raw and b"\x1b" not in raw, raw
    assert stop(p) == 0, err.read_text(errors="replace")


def test_hostile_sni_text(net):
    net.start_server()
    p, out, err = net.start_tlsnoop("--timeout", "2", "-i", IF_SRV)
    c = net.client(hand_client_hello(HOSTILE), 0.2)
    assert c.wait(timeout=10) == 0, c.stderr.read()

    lines = wait_for(lambda: [l for l in out.read_bytes().split(b"\n")
                              if CLI4.encode() + b":" in l],
                     "text line from %s" % CLI4, p, err)
    assert len(lines) == 1, lines
    line = lines[0]
    assert b"\x1b" not in line and b"\xff" not in line, line
    assert rb'sni=evil\x1b[31m"\\\x0a\xffx.test' in line, line
    assert stop(p) == 0, err.read_text(errors="replace")


def test_generic_xdp_fallback(net):
    # Loopback has no native XDP: tlsnoop must say so, fall back to generic XDP, and
    # still report handshakes there (seen at TC egress and again at XDP ingress, once).
    sh(["ip", "-n", NS_SRV, "addr", "add", "198.19.8.1/32", "dev", "lo"])
    events = net.tmp / "events.json"
    p = net.popen(NS_SRV, [PYTHON, "-c", SERVER_PY, "198.19.8.1"], subprocess.PIPE,
                  subprocess.DEVNULL)
    assert p.stdout.readline().strip() == b"listening", "test server did not start"
    t, _, err = net.start_tlsnoop("-i", "lo", "--json", "-o", events)
    text = err.read_text()
    assert "native XDP unavailable on lo" in text and "using generic XDP" in text, text
    assert "xdp generic ingress, tc egress" in text, text
    c = net.popen(NS_SRV, [PYTHON, "-c", CLIENT_PY, "198.19.8.1", "198.19.8.1",
                           real_client_hello("lo.test").hex(), "0.2"],
                  subprocess.PIPE, subprocess.PIPE)
    c.wait(timeout=10)
    deadline = time.monotonic() + EVENT_WAIT_S
    lines = []
    while time.monotonic() < deadline and not lines:
        lines = [l for l in events.read_text().splitlines() if l.strip()]
        time.sleep(0.1)
    assert stop(t) == 0
    lines = [json.loads(l) for l in events.read_text().splitlines() if l.strip()]
    assert len(lines) == 1, lines
    assert lines[0]["tls"]["client"]["server_name"] == "lo.test", lines[0]
    assert lines[0]["event"]["reason"] == "client_abort", lines[0]


def test_second_instance_refused(net):
    # The running one keeps its filters; the second says who holds the interface.
    first, _, _ = net.start_tlsnoop("-i", IF_SRV, name="first")
    r = net.tlsnoop("-i", IF_SRV, "--duration", "1")
    err = r.stderr.decode(errors="replace").strip()
    assert r.returncode != 0, err
    assert len(err.splitlines()) == 1 and "another tlsnoop (pid %d)" % first.pid in err, err
    assert "tc_tlsnoop" in tc_filters("egress"), "the first instance lost its filter"
    assert stop(first) == 0
    assert_nothing_attached()


def test_foreign_filter_on_our_qdisc_survives(net):
    # tlsnoop added the clsact qdisc; a filter someone else adds meanwhile must outlive it.
    t, _, _ = net.start_tlsnoop("-i", IF_SRV, name="owner")
    sh(["tc", "-n", NS_SRV, "filter", "add", "dev", IF_SRV, "ingress", "prio", "7", "handle",
        "7", "bpf", "da", "obj", BPF_OBJ, "sec", "tc"])
    assert stop(t) == 0
    assert "handle 0x7 " in tc_filters("ingress"), "a foreign filter was destroyed"
    assert "tc_tlsnoop" not in tc_filters("egress")
