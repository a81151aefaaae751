"""Least privilege (--user): once attached, the collector is a child running as the user
(default nobody) with no capabilities at all, and still delivers events; the root parent
only waits, forwards signals, reopens -o, and detaches at the end.

Run as root from the repository root, after `make`:

    /usr/bin/python3 -m pytest -q tests/e2e/test_privsep.py

Uses test_cli.py's namespace pair (198.19.7.1 server, 198.19.7.2 client) and its server
that never answers: plain HTTP to it fails as not_tls.
"""
import os
import pwd
import signal
import subprocess
import time

from test_cli import (IF_SRV, NS_SRV, PYTHON, assert_nothing_attached, net, read_events,
                      stderr_lines, stop, wait_for)

__all__ = ["net"]   # the fixture, imported from test_cli

HTTP = b"GET / HTTP/1.1\r\nHost: privsep.test\r\n\r\n"
CAP_SETS = ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")


def status(pid):
    """/proc/PID/status as a dict of its fields."""
    with open("/proc/%d/status" % pid) as f:
        return dict(l.rstrip("\n").split(":\t", 1) for l in f if ":\t" in l)


def children(pid):
    with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
        return [int(c) for c in f.read().split()]


def collector_of(p, err):
    """The parent's one child: the collector (it forks right after attaching)."""
    return wait_for(lambda: children(p.pid), "the collector process", p, err)[0]


def scrape(url):
    """GET url from inside the server namespace; "" when that fails."""
    r = subprocess.run(["ip", "netns", "exec", NS_SRV, PYTHON, "-c",
                        "import sys, urllib.request; sys.stdout.write(urllib.request.urlopen("
                        "sys.argv[1], timeout=5).read().decode())", url],
                       capture_output=True, timeout=15)
    return r.stdout.decode(errors="replace") if r.returncode == 0 else ""


def test_collector_drops_to_nobody_and_still_delivers(net):
    nobody = pwd.getpwnam("nobody")
    events = net.tmp / "events.json"
    net.start_server()
    p, _, err = net.start_tlsnoop("--json", "-o", events, "--metrics", "127.0.0.1:9477",
                                  "-i", IF_SRV)
    child = collector_of(p, err)
    st = status(child)
    assert st["Uid"].split() == [str(nobody.pw_uid)] * 4, st["Uid"]
    assert st["Gid"].split() == [str(nobody.pw_gid)] * 4, st["Gid"]
    assert st["Groups"].split() in ([], [str(nobody.pw_gid)]), st["Groups"]
    for c in CAP_SETS:
        assert int(st[c], 16) == 0, "%s of the collector: %s" % (c, st[c])
    assert st["NoNewPrivs"] == "1", st["NoNewPrivs"]
    assert status(p.pid)["Uid"].split()[0] == "0"   # the parent, which detaches

    # Events after the drop: the ring buffer, the maps (expiry, counters) and -o.
    assert net.client(HTTP, 0.1).wait(timeout=10) == 0
    ev = wait_for(lambda: read_events(events), "an event from the collector", p, err)
    assert [e["event"]["reason"] for e in ev] == ["not_tls"], ev
    # The metrics, served by the collector from the socket bound before the drop.
    page = wait_for(lambda: scrape("http://127.0.0.1:9477/metrics"), "metrics", p, err)
    assert 'tlsnoop_handshakes_total{' in page and 'reason="not_tls"' in page, page[:2000]

    assert stop(p, signal.SIGTERM) == 0, err.read_text(errors="replace")
    assert_nothing_attached()


def test_user_root_keeps_one_process(net):
    events = net.tmp / "events.json"
    net.start_server()
    p, _, err = net.start_tlsnoop("--user", "root", "--json", "-o", events, "-i", IF_SRV)
    time.sleep(0.5)
    assert children(p.pid) == [], "a collector child under --user root"
    assert net.client(HTTP, 0.1).wait(timeout=10) == 0
    wait_for(lambda: read_events(events), "an event", p, err)
    assert stop(p) == 0
    assert_nothing_attached()


def test_collector_killed_parent_detaches(net):
    p, _, err = net.start_tlsnoop("-i", IF_SRV)
    child = collector_of(p, err)
    os.kill(child, signal.SIGKILL)
    p.wait(timeout=10)
    assert p.returncode == 128 + signal.SIGKILL, p.returncode
    lines = stderr_lines(err.read_bytes())
    assert ("tlsnoop: the collector (pid %d) was killed by signal 9 (Killed); programs "
            "detached" % child) in lines, lines
    assert_nothing_attached()
