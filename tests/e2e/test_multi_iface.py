"""Several interfaces, one flow table: -i IFACE,IFACE.

Run as root from the repository root, after `make`:

    /usr/bin/python3 -m pytest -q tests/e2e/test_multi_iface.py

Every test builds its own namespaces (prefix tlsn-mi-): a server namespace with two veths,
each paired with a client namespace of its own,

    tlsn-mi-cli0  veth-mic0 198.19.9.2   <->  veth-mi0 198.19.9.1   tlsn-mi-srv
    tlsn-mi-cli1  veth-mic1 198.19.10.2  <->  veth-mi1 198.19.10.1  (tlsnoop, server)

and tears them down, with every process it started, even when it fails. The server
(test_cli's, which never answers) listens on every address: plain HTTP to it fails as not_tls.
"""
import signal
import subprocess
import time

import pytest

from test_cli import (CLIENT_PY, OTHER_OBJ, PYTHON, SERVER_PY, Net, del_netns, read_events,
                      require_root_and_tlsnoop, sh, stderr_lines, stop, veth_pair,
                      wait_for)

NS_SRV = "tlsn-mi-srv"
SIDES = [  # client namespace, client veth, client address, server veth, server address
    ("tlsn-mi-cli0", "veth-mic0", "198.19.9.2", "veth-mi0", "198.19.9.1"),
    ("tlsn-mi-cli1", "veth-mic1", "198.19.10.2", "veth-mi1", "198.19.10.1"),
]
IF0, IF1 = SIDES[0][3], SIDES[1][3]
BOTH = IF0 + "," + IF1

HTTP = b"GET / HTTP/1.1\r\nHost: multi.test\r\n\r\n"


NAMESPACES = (NS_SRV,) + tuple(s[0] for s in SIDES)


class MultiNet(Net):
    def __init__(self, tmp):
        super().__init__(tmp, NAMESPACES)

    def start_server(self):
        p = self.popen(NS_SRV, [PYTHON, "-c", SERVER_PY, "0.0.0.0"], subprocess.PIPE,
                       subprocess.DEVNULL)
        assert p.stdout.readline().strip() == b"listening", "test server did not start"
        return p

    def http_client(self, side):
        """Plain HTTP to the server through SIDES[side]; waits for it to finish."""
        ns, _, cli, _, srv = SIDES[side]
        c = self.popen(ns, [PYTHON, "-c", CLIENT_PY, srv, cli, HTTP.hex(), "0.1"],
                       subprocess.PIPE, subprocess.PIPE)
        assert c.wait(timeout=10) == 0, c.stderr.read()


@pytest.fixture
def mnet(tmp_path):
    require_root_and_tlsnoop()
    n = MultiNet(tmp_path)
    del_netns(NAMESPACES)     # leftovers of an interrupted run
    try:
        sh(["ip", "netns", "add", NS_SRV])
        sh(["ip", "-n", NS_SRV, "link", "set", "lo", "up"])
        for ns, cdev, cip, sdev, sip in SIDES:
            sh(["ip", "netns", "add", ns])
            veth_pair((NS_SRV, sdev, sip), (ns, cdev, cip))
            sh(["ip", "-n", ns, "link", "set", "lo", "up"])
        yield n
    finally:
        n.teardown()


# ---------------------------------------------------------------- helpers
def attached(dev):
    """What of ours (or anyone's XDP) is on dev: a list of strings, empty when nothing."""
    found = []
    for d in ("ingress", "egress"):
        out = sh(["tc", "-n", NS_SRV, "filter", "show", "dev", dev, d])
        if "tc_tlsnoop" in out:
            found.append("tc %s filter" % d)
    if "xdp" in sh(["ip", "-n", NS_SRV, "link", "show", "dev", dev]):
        found.append("xdp")
    return found


def assert_nothing_attached(*devs):
    for dev in devs:
        assert attached(dev) == [], "left on %s: %s" % (dev, attached(dev))


def events_from(path, client_ip):
    return [e for e in read_events(path) if e.get("source", {}).get("ip") == client_ip]


def ingress_name(ev):
    return ev.get("observer", {}).get("ingress", {}).get("interface", {}).get("name")


# ---------------------------------------------------------------- tests
def test_events_name_their_interface(mnet):
    events = mnet.tmp / "events.json"
    mnet.start_server()
    p, _, err = mnet.start_tlsnoop("--json", "-o", events, "-i", BOTH)
    line = [l for l in err.read_text().splitlines() if l.startswith("tlsnoop: attached to ")]
    assert line == ["tlsnoop: attached to %s (ports 443; %s: xdp native ingress, tc egress; "
                    "%s: xdp native ingress, tc egress)" % (BOTH, IF0, IF1)], line
    assert attached(IF0) == attached(IF1) == ["tc egress filter", "xdp"]

    for side in (0, 1):
        mnet.http_client(side)
        cli, dev = SIDES[side][2], SIDES[side][3]
        ev = wait_for(lambda: events_from(events, cli), "event from %s" % cli, p, err)
        assert len(ev) == 1 and ev[0]["event"]["reason"] == "not_tls", ev
        assert ingress_name(ev[0]) == dev, ev[0]

    assert stop(p) == 0, err.read_text(errors="replace")
    assert "handshakes: 2 " in err.read_text(), err.read_text()
    assert_nothing_attached(IF0, IF1)


def test_one_interface_deleted_the_other_goes_on(mnet):
    events = mnet.tmp / "events.json"
    mnet.start_server()
    p, _, err = mnet.start_tlsnoop("--json", "-o", events, "-i", BOTH)
    sh(["ip", "-n", NS_SRV, "link", "del", IF1])
    wait_for(lambda: "is gone" in err.read_text(), "the gone message", p, err, wait=5)
    assert "tlsnoop: interface %s is gone; watching %s\n" % (IF1, IF0) in err.read_text()

    cli = SIDES[0][2]
    mnet.http_client(0)
    ev = wait_for(lambda: events_from(events, cli), "event after the deletion", p, err)
    assert ingress_name(ev[0]) == IF0, ev[0]

    assert stop(p, signal.SIGINT) == 0, err.read_text(errors="replace")
    text = err.read_text()
    assert text.count("is gone") == 1, text
    assert_nothing_attached(IF0)


def test_last_interface_deleted_stops(mnet):
    p, _, err = mnet.start_tlsnoop("-i", BOTH)
    for dev in (IF0, IF1):
        sh(["ip", "-n", NS_SRV, "link", "del", dev])
        time.sleep(1.5)     # checked once a second: one message each
    deadline = time.monotonic() + 5
    while p.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    text = err.read_text(errors="replace")
    assert p.poll() == 1, "tlsnoop did not stop (status %s); stderr:\n%s" % (p.poll(), text)
    assert "interface %s is gone; watching %s" % (IF0, IF1) in text, text
    assert "interface %s is gone; stopping" % IF1 in text, text
    assert "--- tlsnoop summary ---" in text, text


def test_interface_down_and_up(mnet):
    p, _, err = mnet.start_tlsnoop("-i", BOTH)
    sh(["ip", "-n", NS_SRV, "link", "set", IF1, "down"])
    wait_for(lambda: "is down" in err.read_text(), "the down warning", p, err, wait=5)
    sh(["ip", "-n", NS_SRV, "link", "set", IF1, "up"])
    wait_for(lambda: "up again" in err.read_text(), "the up message", p, err, wait=5)
    assert stop(p) == 0
    text = err.read_text()
    assert "tlsnoop: warning: interface %s is down;" % IF1 in text, text
    assert "tlsnoop: interface %s is up again" % IF1 in text, text
    assert_nothing_attached(IF0, IF1)


def test_second_instance_on_one_interface_refused(mnet):
    first, _, _ = mnet.start_tlsnoop("-i", BOTH, name="first")
    r = mnet.tlsnoop("-i", IF1, "--duration", "1")
    lines = stderr_lines(r.stderr)
    assert r.returncode == 1, lines
    assert lines == ["tlsnoop: another tlsnoop (pid %d) is watching %s; stop it first"
                     % (first.pid, IF1)], lines
    assert attached(IF1) == ["tc egress filter", "xdp"], "the first instance lost its hooks"
    assert stop(first) == 0
    assert_nothing_attached(IF0, IF1)


def test_list_with_a_watched_interface_attaches_nothing(mnet):
    # The locks come first: the free interface is not touched either.
    first, _, _ = mnet.start_tlsnoop("-i", IF1, name="first")
    r = mnet.tlsnoop("-i", BOTH, "--duration", "1")
    lines = stderr_lines(r.stderr)
    assert r.returncode == 1 and len(lines) == 1 and "is watching %s" % IF1 in lines[0], lines
    assert_nothing_attached(IF0)
    assert stop(first) == 0


def test_attach_failure_undoes_the_others(mnet):
    sh(["ip", "-n", NS_SRV, "link", "set", "dev", IF1, "xdpgeneric", "obj", OTHER_OBJ,
        "sec", "xdp"])
    r = mnet.tlsnoop("-i", BOTH, "--duration", "1")
    lines = stderr_lines(r.stderr)
    assert r.returncode == 1, lines
    assert len(lines) == 1 and lines[0].startswith(
        "tlsnoop: the XDP slot of %s is taken by xdp_other" % IF1), lines
    assert_nothing_attached(IF0)
    assert attached(IF1) == ["xdp"], "the other XDP program was touched"


BAD_LISTS = [
    (["-i", "a,,b"], 2, "bad interface list 'a,,b'"),
    (["-i", IF0 + ",x,"], 2, "bad interface list"),
    (["-i", IF0 + "," + "x" * 16], 2, "bad interface list"),
    (["-i", BOTH + "," + IF0], 2, "interface '%s' given twice" % IF0),
    (["-i", ",".join("if%d" % i for i in range(17))], 2, "more than 16 interfaces"),
    (["-i", IF0 + ",nosuchif"], 1, "no interface 'nosuchif' here"),
]


@pytest.mark.parametrize("args,status,message", BAD_LISTS,
                         ids=[" ".join(a[0]) for a in BAD_LISTS])
def test_bad_list_one_line_nothing_attached(mnet, args, status, message):
    r = mnet.tlsnoop(*args, "--duration", "1")
    lines = stderr_lines(r.stderr)
    assert r.returncode == status, lines
    assert len(lines) == 1 and lines[0].startswith("tlsnoop: ") and message in lines[0], lines
    assert not r.stdout, r.stdout
    assert_nothing_attached(IF0, IF1)
