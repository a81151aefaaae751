"""The live view (`tlsnoop top`): as periodic text summaries when stdout is not a terminal,
and full screen under tmux, with its keys.

Run as root from the repository root, after `make`:

    /usr/bin/python3 -m pytest -q tests/e2e/test_top.py

Uses test_cli.py's namespace pair (198.19.7.1 server, 198.19.7.2 client) with two more
client addresses: 198.19.7.3 (same /24) and 198.19.9.5 (another /24). Clients of a known
mix fail against a server that never answers: plain HTTP (not_tls) and a ClientHello
followed by a close (client_abort).
"""
import re
import subprocess
import time

import pytest

from test_cli import (BIN, CLI4, CLIENT_PY, IF_CLI, IF_SRV, NS_CLI, NS_SRV, PYTHON, SRV4,
                      assert_nothing_attached, hand_client_hello, net, sh, stop)

CLI4_B = "198.19.7.3"       # same /24 as CLI4
CLI4_C = "198.19.9.5"       # another /24
HTTP = b"GET / HTTP/1.1\r\nHost: top.test\r\n\r\n"
TMUX = ["tmux", "-L", "tlsnoop-test-top"]
WAIT_S = 10.0

# (source, payload, how many): 3 + 2 failures from 198.19.7.0/24, 1 from 198.19.9.0/24.
MIX = [(CLI4, HTTP, 3), (CLI4_B, None, 2), (CLI4_C, HTTP, 1)]

__all__ = ["net"]   # the fixture, imported from test_cli


def add_client_addresses():
    sh(["ip", "-n", NS_CLI, "addr", "add", CLI4_B + "/24", "dev", IF_CLI])
    sh(["ip", "-n", NS_CLI, "addr", "add", CLI4_C + "/24", "dev", IF_CLI])
    sh(["ip", "-n", NS_SRV, "addr", "add", "198.19.9.1/24", "dev", IF_SRV])


def run_mix(n):
    hello = hand_client_hello(b"top.test")
    for src, payload, count in MIX:
        for _ in range(count):
            p = n.popen(NS_CLI, [PYTHON, "-c", CLIENT_PY, SRV4, src,
                                 (payload or hello).hex(), 0.2],
                        subprocess.PIPE, subprocess.PIPE)
            assert p.wait(timeout=10) == 0, p.stderr.read()


def poll(read, pred, what, proc=None, err=None):
    """read() until pred holds; on timeout fail with the output (and tlsnoop's status
    and stderr when given)."""
    deadline = time.monotonic() + WAIT_S
    while True:
        text = read()
        if pred(text):
            return text
        if time.monotonic() > deadline:
            extra = ""
            if proc is not None:
                extra = "\ntlsnoop status %s; stderr:\n%s" % (
                    proc.poll(), err.read_text(errors="replace"))
            pytest.fail("no %s within %.0f s; last output:\n%s%s" % (what, WAIT_S, text, extra),
                        pytrace=False)
        time.sleep(0.2)


def client_row(text, key):
    """count and main reason of the last row for `key` in a table of failing clients."""
    rows = [l.split() for l in text.splitlines() if l.strip().startswith(key + " ")]
    assert rows, "no row for %s in:\n%s" % (key, text)
    return int(rows[-1][1].rstrip("~")), rows[-1][2]


def test_top_text_when_not_a_terminal(net):
    add_client_addresses()
    net.start_server()
    p, out, err = net.start_tlsnoop("top", "--interval", "1", "--timeout", "2", "-i", IF_SRV)
    run_mix(net)
    text = poll(lambda: out.read_text(errors="replace"),
                lambda t: "handshakes: 6 " in t, "summary counting 6 handshakes", p, err)
    last = text[text.rindex("=== tlsnoop"):]
    assert "failure: 6" in last, last
    assert client_row(last, CLI4) == (3, "not_tls"), last
    assert client_row(last, CLI4_B) == (2, "client_abort"), last
    assert client_row(last, CLI4_C) == (1, "not_tls"), last
    assert re.search(r"top\.test\s+2\s", last), "SNI of the aborted hellos missing:\n" + last
    assert stop(p) == 0, err.read_text(errors="replace")
    assert_nothing_attached()


@pytest.fixture
def tmux():
    subprocess.run(TMUX + ["kill-server"], capture_output=True)
    yield
    subprocess.run(TMUX + ["kill-server"], capture_output=True)


def pane():
    return subprocess.run(TMUX + ["capture-pane", "-p", "-t", "top"], capture_output=True,
                          text=True, timeout=10).stdout


def keys(k):
    sh(TMUX + ["send-keys", "-t", "top", k])


def test_top_full_screen_under_tmux(net, tmux):
    add_client_addresses()
    net.start_server()
    cmd = "ip netns exec %s %s top -i %s --timeout 2; echo EXIT=$?; sleep 60" % (
        NS_SRV, BIN, IF_SRV)
    sh(TMUX + ["new-session", "-d", "-s", "top", "-x", "160", "-y", "50", cmd])
    poll(pane, lambda t: "tlsnoop top" in t and IF_SRV in t, "live view")
    run_mix(net)
    screen = poll(pane, lambda t: CLI4_C in t and "client_abort" in t, "failing clients")
    assert client_row(screen, CLI4) == (3, "not_tls"), screen
    assert client_row(screen, CLI4_B) == (2, "client_abort"), screen
    assert "FAILURES BY REASON" in screen and "group: address" in screen, screen

    keys("g")   # group by prefix
    screen = poll(pane, lambda t: "198.19.7.0/24" in t, "clients grouped by /24")
    assert client_row(screen, "198.19.7.0/24") == (5, "not_tls"), screen
    assert client_row(screen, "198.19.9.0/24") == (1, "not_tls"), screen

    keys("r")   # filter: the first reason with failures
    screen = poll(pane, lambda t: "filter: reason" in t, "reason filter")
    reason = re.search(r"filter: reason (\w+)", screen).group(1)
    want = {"not_tls": 4, "client_abort": 2}[reason]
    assert client_row(screen, "198.19.7.0/24")[0] == {"not_tls": 3, "client_abort": 2}[reason]
    assert sum(client_row(screen, k)[0] for k in ("198.19.7.0/24", "198.19.9.0/24")
               if reason == "not_tls" or k != "198.19.9.0/24") == want, screen

    keys("q")
    screen = poll(pane, lambda t: "EXIT=" in t, "tlsnoop to quit")
    assert "EXIT=0" in screen, screen
    assert "--- tlsnoop summary ---" in screen, screen
    assert_nothing_attached()
