"""Faults while running: the -o file rotated away (SIGHUP reopens it), and the watched
interface deleted under tlsnoop.

Run as root from the repository root, after `make`:

    /usr/bin/python3 -m pytest -q tests/e2e/test_faults.py

Uses test_cli.py's namespace pair (198.19.7.1 server, 198.19.7.2 client) and its server
that never answers: plain HTTP to it fails as not_tls.
"""
import signal
import time

from test_cli import (IF_SRV, NS_SRV, net, read_events, sh, stop,
                      wait_for)

__all__ = ["net"]   # the fixture, imported from test_cli

HTTP = b"GET / HTTP/1.1\r\nHost: faults.test\r\n\r\n"


def test_sighup_reopens_output(net):
    events = net.tmp / "events.json"
    rotated = net.tmp / "events.json.1"
    net.start_server()
    p, _, err = net.start_tlsnoop("--json", "-o", events, "--timeout", "2", "-i", IF_SRV)
    assert net.client(HTTP, 0.1).wait(timeout=10) == 0
    wait_for(lambda: read_events(events), "first event", p, err)
    events.rename(rotated)              # as logrotate does
    p.send_signal(signal.SIGHUP)
    time.sleep(0.5)                     # the reopen happens at the next poll
    assert net.client(HTTP, 0.1).wait(timeout=10) == 0
    new = wait_for(lambda: read_events(events), "event in the new file", p, err)
    assert len(new) == 1 and new[0]["event"]["reason"] == "not_tls", new
    assert len(read_events(rotated)) == 1, rotated.read_text()
    assert stop(p) == 0, err.read_text(errors="replace")


def test_interface_deleted(net):
    p, _, err = net.start_tlsnoop("-i", IF_SRV)
    sh(["ip", "-n", NS_SRV, "link", "del", IF_SRV])
    deadline = time.monotonic() + 5
    while p.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    text = err.read_text(errors="replace")
    assert p.poll() == 1, "tlsnoop did not stop (status %s); stderr:\n%s" % (p.poll(), text)
    assert "interface %s is gone; stopping" % IF_SRV in text, text
    assert "--- tlsnoop summary ---" in text, text
