"""The load balancer's other side: haproxy terminates TLS from clients and re-encrypts to
nginx backends; tlsnoop, on the load balancer, reports the backend handshakes (haproxy the
TLS client) apart from the clients', with the backend's address and the reason.

Run as root from the repository root, after `make`:

    /usr/bin/python3 -m pytest -q tests/e2e/test_backend.py

Three namespaces of its own, torn down at the end:

    tlsn-bk-cli  veth-bkc  198.19.40.2  <->  veth-bklc 198.19.40.1  tlsn-bk-lb (haproxy :443,
    tlsn-bk-be   veth-bkb  198.19.41.2  <->  veth-bklb 198.19.41.1   tlsnoop on both veths)

nginx in tlsn-bk-be, with the lab's certificates (scripts/lab.sh pki):
  :8441 lab.test, valid;  :8442 expired.test, expired;  :8443 other.test, signed by a CA
  haproxy does not trust;  :8444 lab.test, TLS 1.0 and 1.1 only.
haproxy verifies every backend (`ssl verify required ca-file ca.crt`) and routes by Host.
tlsnoop watches -p 443,8441-8444 without --backend-ports: the backend side is told by who
sent the SYN (this host).
"""
import signal
import subprocess

import pytest

from test_cli import (BIN, REPO, del_netns, nginx_conf, read_events, run, sh, stop, veth_pair,
                      wait_for)

REPO_LAB = REPO / "scripts" / "lab.sh"
NS_CLI, NS_LB, NS_BE = "tlsn-bk-cli", "tlsn-bk-lb", "tlsn-bk-be"
LINKS = [  # namespace, veth, address  <->  namespace, veth, address
    ((NS_CLI, "veth-bkc", "198.19.40.2"), (NS_LB, "veth-bklc", "198.19.40.1")),
    ((NS_BE, "veth-bkb", "198.19.41.2"), (NS_LB, "veth-bklb", "198.19.41.1")),
]
LB_FRONT, LB_BACK, BE = "198.19.40.1", "198.19.41.1", "198.19.41.2"
CLIENT = "198.19.40.2"
# Backend port: (host the client asks for, certificate, what haproxy makes of it).
BACKENDS = {
    8441: ("ok.test", "lab.test", None),
    8442: ("expired.test", "expired.test", "expired_certificate"),
    8443: ("unknownca.test", "other.test", "untrusted_certificate"),
    8444: ("old.test", "lab.test", "protocol_version"),
}

NGINX_SERVER = """
    server {{
        listen {be}:{port} ssl;
        ssl_certificate {d}/{cert}.crt;
        ssl_certificate_key {d}/{cert}.key;
        {extra}
        location / {{ return 200 "{port}\\n"; }}
    }}"""


HAPROXY_CONF = """
global
    log stderr local0 info
defaults
    mode http
    log global
    retries 0
    timeout connect 3s
    timeout client 5s
    timeout server 5s
frontend fe
    bind {front}:443 ssl crt {d}/lab.test.pem
{routes}
{backends}
"""




def nginx_servers(d):
    servers = ["    ssl_protocols TLSv1.2 TLSv1.3;"]
    for port, (_, cert, _) in BACKENDS.items():
        # TLS 1.0 and 1.1 need OpenSSL's security level 0 in Debian 12.
        extra = ("ssl_protocols TLSv1 TLSv1.1; ssl_ciphers DEFAULT:@SECLEVEL=0;"
                 if port == 8444 else "")
        servers.append(NGINX_SERVER.format(be=BE, port=port, d=d, cert=cert, extra=extra))
    return "".join(servers)


def haproxy_conf(d):
    routes, backends = [], []
    for port, (host, cert, _) in BACKENDS.items():
        name = "be%d" % port
        routes.append("    use_backend %s if { req.hdr(host) -i %s }" % (name, host))
        backends.append("backend %s\n    server s %s:%d ssl verify required ca-file %s/ca.crt "
                        "sni str(%s)" % (name, BE, port, d, cert))
    return HAPROXY_CONF.format(front=LB_FRONT, d=d, routes="\n".join(routes),
                               backends="\n".join(backends))


@pytest.fixture
def chain(tmp_path):
    procs = []

    def popen(ns, argv, out=subprocess.DEVNULL):
        p = subprocess.Popen(["ip", "netns", "exec", ns] + [str(a) for a in argv],
                             stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                             start_new_session=True)
        procs.append(p)
        return p

    del_netns((NS_CLI, NS_LB, NS_BE))
    try:
        for ns in (NS_CLI, NS_LB, NS_BE):
            sh(["ip", "netns", "add", ns])
            sh(["ip", "-n", ns, "link", "set", "lo", "up"])
        for a, b in LINKS:
            veth_pair(a, b)
        sh([REPO_LAB, "pki", tmp_path], timeout=60)
        (tmp_path / "haproxy.cfg").write_text(haproxy_conf(tmp_path))
        popen(NS_BE, ["nginx", "-c", nginx_conf(tmp_path, nginx_servers(tmp_path))])
        with open(tmp_path / "haproxy.log", "wb") as log:
            popen(NS_LB, ["haproxy", "-db", "-f", tmp_path / "haproxy.cfg"], log)
        for ns, want in ((NS_BE, [":%d " % p for p in BACKENDS]), (NS_LB, [":443 "])):
            wait_for_listening(ns, want)
        yield tmp_path, popen
    finally:
        for p in procs:
            stop(p, signal.SIGKILL, wait=5)
        del_netns((NS_CLI, NS_LB, NS_BE))


def wait_for_listening(ns, want):
    for _ in range(50):
        out = sh(["ip", "netns", "exec", ns, "ss", "-Hltn"])
        if all(w in out for w in want):
            return
        run(["sleep", "0.1"])
    pytest.fail("not listening in %s: %s" % (ns, want), pytrace=False)


def curl(host):
    """One HTTPS request through haproxy; its HTTP status."""
    r = run(["ip", "netns", "exec", NS_CLI, "curl", "-sk", "-o", "/dev/null", "-w",
             "%{http_code}", "--resolve", "%s:443:%s" % (host, LB_FRONT),
             "https://%s/" % host], timeout=20)
    return r.stdout.decode()


def test_backend_handshakes_apart_from_the_clients(chain):
    d, popen = chain
    events, err = d / "events.json", d / "tlsnoop.err"
    with open(err, "wb") as e:
        p = subprocess.Popen(["ip", "netns", "exec", NS_LB, BIN, "-i", "veth-bklc,veth-bklb",
                              "-p", "443," + ",".join(map(str, BACKENDS)), "--json", "-o",
                              events], stdin=subprocess.DEVNULL, stderr=e,
                             start_new_session=True)
    try:
        wait_for(lambda: "attached to" in err.read_text(), "tlsnoop attached", p, err)
        for port, (host, _, failure) in BACKENDS.items():
            assert curl(host) == ("200" if failure is None else "503"), host
        # One frontend event per request, and at least one backend event per backend.
        wait_for(lambda: len([e for e in read_events(events)
                              if e["tlsnoop"]["side"] == "frontend"]) >= len(BACKENDS)
                 and {e["destination"]["port"] for e in read_events(events)
                      if e["tlsnoop"]["side"] == "backend"} == set(BACKENDS),
                 "the frontend and backend events", p, err)
    finally:
        assert stop(p) == 0, err.read_text()
    evs = read_events(events)
    front = [e for e in evs if e["tlsnoop"]["side"] == "frontend"]
    back = [e for e in evs if e["tlsnoop"]["side"] == "backend"]
    # The clients' handshakes with haproxy all succeeded: the failures are behind it.
    assert len(front) == len(BACKENDS), front
    for e in front:
        assert (e["source"]["ip"], e["destination"]["ip"], e["destination"]["port"]) == \
            (CLIENT, LB_FRONT, 443), e
        assert e["event"]["outcome"] == "success", e
        assert e["observer"]["ingress"]["interface"]["name"] == "veth-bklc", e
    for e in back:
        port = e["destination"]["port"]
        failure = BACKENDS[port][2]
        assert (e["source"]["ip"], e["destination"]["ip"]) == (LB_BACK, BE), e
        assert e["observer"]["egress"]["interface"]["name"] == "veth-bklb", e
        if failure is None:
            assert e["event"]["outcome"] == "success", e
        else:
            assert (e["event"]["outcome"], e["event"]["reason"]) == ("failure", failure), e
    # haproxy (the client) refused all three: the certificates, and the TLS 1.1 the old
    # backend chose (OpenSSL's internal_error: the reason is inferred).
    alerts = {e["destination"]["port"]: (e["tls"]["alert"]["from"], e["tlsnoop"]["confidence"])
              for e in back if e["event"]["outcome"] == "failure"}
    assert alerts == {8442: ("client", "observed"), 8443: ("client", "observed"),
                      8444: ("client", "inferred")}, alerts
    # No retries: one backend handshake per request.
    assert len(back) == len(BACKENDS), back

    summary = err.read_text()
    assert "backend handshakes (this host to its backends): 4  success: 1  failure: 3" \
        in summary, summary
    assert "top failing backends" in summary, summary
    for port, (_, _, failure) in BACKENDS.items():
        if failure:
            assert any(l.split()[:1] == ["%s:%d" % (BE, port)] and failure in l
                       for l in summary.splitlines()), (port, summary)
    # The clients' section counts the clients' handshakes only.
    assert "handshakes: %d  success: %d  failure: 0" % (len(front), len(front)) in summary, \
        summary
