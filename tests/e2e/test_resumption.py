"""Session resumption: how each handshake resumed (session id, ticket, PSK), whether the
client asked to, and the summary's ratio per port, which shows the runbook's "session
cache disabled" case: clients asking, none resumed.

Run as root from the repository root, after `make`:

    /usr/bin/python3 -m pytest -q tests/e2e/test_resumption.py

Uses test_cli.py's namespace pair (198.19.7.1 server, 198.19.7.2 client) with an nginx of
its own in the server namespace: port 9443 with the session cache and tickets off, port
9444 with a shared cache and tickets on. Clients: openssl s_client -reconnect (TLS 1.2:
one full handshake, then five that offer its session id, or its ticket), and -sess_out /
-sess_in (TLS 1.3: a ticket, used as a PSK; and sessions of 9444 offered to 9443).
"""
import subprocess

import pytest

from test_cli import (IF_SRV, NS_CLI, NS_SRV, SRV4, net, nginx_conf, read_events, sh, stop,
                      wait_for)

__all__ = ["net"]   # the fixture, imported from test_cli

OFF, ON = 9443, 9444
REQUEST = b"GET / HTTP/1.0\r\nHost: res.test\r\n\r\n"

NGINX_HTTP = """
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_certificate {d}/res.crt;
    ssl_certificate_key {d}/res.key;
    server {{
        listen {off} ssl;
        ssl_session_cache off;
        ssl_session_tickets off;
        location / {{ return 200 "off\\n"; }}
    }}
    server {{
        listen {on} ssl;
        ssl_session_cache shared:RES:1m;
        ssl_session_tickets on;
        location / {{ return 200 "on\\n"; }}
    }}
"""


@pytest.fixture
def lab(net):
    d = net.tmp
    sh(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
        "-nodes", "-subj", "/CN=res.test", "-addext", "subjectAltName=DNS:res.test",
        "-days", "2", "-keyout", d / "res.key", "-out", d / "res.crt"])
    conf = nginx_conf(d, NGINX_HTTP.format(d=d, off=OFF, on=ON))
    net.popen(NS_SRV, ["nginx", "-c", conf], subprocess.DEVNULL, subprocess.DEVNULL)
    wait_for_listeners()
    return net


def wait_for_listeners():
    for _ in range(50):
        out = sh(["ip", "netns", "exec", NS_SRV, "ss", "-Hltn"])
        if ":%d " % OFF in out and ":%d " % ON in out:
            return
        subprocess.run(["sleep", "0.1"])
    pytest.fail("nginx did not listen on %d and %d" % (OFF, ON), pytrace=False)


def s_client(port, *args):
    """openssl s_client in the client namespace; its "New,"/"Reused," lines."""
    r = subprocess.run(["ip", "netns", "exec", NS_CLI, "openssl", "s_client", "-connect",
                        "%s:%d" % (SRV4, port), "-servername", "res.test", "-ign_eof"]
                       + [str(a) for a in args], input=REQUEST, capture_output=True,
                       timeout=30)
    return [l.split(",")[0] for l in r.stdout.decode(errors="replace").splitlines()
            if l.startswith(("New,", "Reused,"))]


def resumption_of(events):
    return [(e["tlsnoop"]["resumption"], e["tlsnoop"].get("resumption_offered"),
             e["tls"]["resumed"]) for e in events]


def test_resumption_kinds_and_ratio(lab):
    events = lab.tmp / "events.json"
    p, _, err = lab.start_tlsnoop("--json", "-o", events, "-p", "%d,%d" % (OFF, ON),
                                  "-i", IF_SRV)
    seen = 0

    def next_events(n, what):
        nonlocal seen
        got = wait_for(lambda: len(read_events(events)) >= seen + n and read_events(events),
                       what, p, err)
        new, seen = got[seen:], len(got)
        assert len(new) == n, new
        assert all(e["event"]["outcome"] == "success" for e in new), new
        return new

    # TLS 1.2, session ids only: a full handshake, then five resumed by their echo.
    assert s_client(ON, "-tls1_2", "-no_ticket", "-reconnect") == ["New"] + ["Reused"] * 5
    ev = next_events(6, "six TLS 1.2 session-id handshakes")
    assert resumption_of(ev) == [("none", False, False)] + [("session_id", True, True)] * 5

    # TLS 1.2 with tickets: the five offer the ticket (and a session id), resumed by it.
    assert s_client(ON, "-tls1_2", "-reconnect") == ["New"] + ["Reused"] * 5
    ev = next_events(6, "six TLS 1.2 ticket handshakes")
    assert resumption_of(ev) == [("none", False, False)] + [("ticket", True, True)] * 5
    assert all(e["tlsnoop"]["client_hello"]["session_ticket"] for e in ev[1:]), ev

    # TLS 1.3: the ticket of the first connection, offered as a PSK by the second.
    session = lab.tmp / "tls13.session"
    assert s_client(ON, "-tls1_3", "-sess_out", session) == ["New"]
    assert s_client(ON, "-tls1_3", "-sess_in", session) == ["Reused"]
    ev = next_events(2, "two TLS 1.3 handshakes")
    assert resumption_of(ev) == [("none", False, False), ("psk", True, True)], ev
    assert ev[1]["tlsnoop"]["client_hello"]["pre_shared_key"], ev

    # Cache and tickets off: clients that hold a session of the other server (one whose
    # ticket keys or session cache this one does not share) ask with it; none resumes.
    ticket12, sid12 = lab.tmp / "ticket12.session", lab.tmp / "sid12.session"
    assert s_client(ON, "-tls1_2", "-sess_out", ticket12) == ["New"]
    assert s_client(ON, "-tls1_2", "-no_ticket", "-sess_out", sid12) == ["New"]
    next_events(2, "two more full TLS 1.2 handshakes")
    assert s_client(OFF, "-tls1_2", "-sess_in", ticket12) == ["New"]
    assert s_client(OFF, "-tls1_2", "-no_ticket", "-sess_in", sid12) == ["New"]
    assert s_client(OFF, "-tls1_3", "-sess_in", session) == ["New"]
    ev = next_events(3, "three handshakes to the server without a cache")
    assert resumption_of(ev) == [("none", True, False)] * 3, ev
    # And a client with nothing to offer does not count as asking.
    assert s_client(OFF, "-tls1_3") == ["New"]
    assert resumption_of(next_events(1, "a fresh TLS 1.3 handshake")) == [("none", False, False)]

    assert stop(p) == 0
    summary = err.read_text(errors="replace")
    assert "session resumption (established handshakes):" in summary, summary
    lines = {l.split()[1]: l for l in summary.splitlines() if l.startswith("  port ")
             and "resumed" in l}
    assert lines[str(ON)].split(None, 2)[2] == (
        "resumed 11 of 16 (68.8%: session_id 5, ticket 5, psk 1); clients asked in 11"), lines
    assert lines[str(OFF)].split(None, 2)[2] == (
        "resumed 0 of 4 (0.0%); clients asked in 3: none resumed (session cache and "
        "tickets off?)"), lines
