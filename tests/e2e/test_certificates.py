"""Certificates in TLS 1.2 handshakes: nginx serves chains with something wrong with each,
haproxy asks for a client certificate; tlsnoop, beside the servers, reports every chain
(tls.server.x509.*, tlsnoop.certificates) and what is wrong with it, in the events and the
summary.

Run as root from the repository root, after `make`:

    flock /tmp/tlsnoop-e2e.lock /usr/bin/python3 -m pytest -q -p no:cacheprovider \\
        tests/e2e/test_certificates.py

Two namespaces of its own, torn down at the end:

    tlsn-crt-cli  veth-crtc  198.19.50.2  <->  veth-crts  198.19.50.1  tlsn-crt-srv
                                                           (nginx, haproxy, tlsnoop)

Certificates: the lab's (scripts/lab.sh pki), and made here: an intermediate CA under the
lab CA, chain.test and weak.test (1024-bit RSA) under it, self.test signing itself. The lab
CA is private (not in the system store): a leaf it signed directly, sent alone, is a chain
the store cannot complete.
"""
import signal
import subprocess

import pytest

from test_cli import (BIN, REPO, del_netns, nginx_conf, read_events, run, sh, stop, veth_pair,
                      wait_for)

NS_SRV, NS_CLI = "tlsn-crt-srv", "tlsn-crt-cli"
SRV, CLI = "198.19.50.1", "198.19.50.2"
MTLS_PORT = 8443
# Port: (SNI the client sends, certificate file(s) nginx serves, findings expected).
SERVERS = {
    8401: ("chain.test", "chain.test.full", []),
    8402: ("chain.test", "chain.test", ["chain_incomplete"]),
    8403: ("expired.test", "expired.test", ["expired", "chain_incomplete"]),
    8404: ("self.test", "self.test", ["self_signed"]),
    8405: ("mismatch.test", "chain.test.full", ["name_mismatch"]),
    8406: ("weak.test", "weak.test.full", ["weak_key"]),
}

NGINX_SERVER = """
    server {{
        listen {srv}:{port} ssl;
        ssl_protocols TLSv1.2;
        ssl_certificate {d}/{cert}.crt;
        ssl_certificate_key {d}/{key}.key;
        {extra}
        location / {{ return 200 "{port}\\n"; }}
    }}"""

HAPROXY_CONF = """
global
    log stderr local0 info
defaults
    mode http
    timeout connect 3s
    timeout client 5s
    timeout server 5s
frontend mtls
    bind {srv}:{port} ssl crt {d}/lab.test.pem ca-file {d}/ca.crt verify required ssl-max-ver TLSv1.2
    http-request return status 200
"""


def openssl(d, *args):
    sh(["openssl"] + [str(a) for a in args], timeout=60)


def make_pki(d):
    """The lab's PKI and this test's certificates, in d."""
    sh([REPO / "scripts" / "lab.sh", "pki", d], timeout=60)
    ca = ["-CA", d / "ca.crt", "-CAkey", d / "ca.d" / "ca.key"]
    (d / "inter.ext").write_text("basicConstraints=critical,CA:TRUE\n"
                                 "keyUsage=critical,keyCertSign,cRLSign\n")
    openssl(d, "req", "-new", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=tlsnoop lab inter",
            "-keyout", d / "inter.key", "-out", d / "inter.csr")
    openssl(d, "x509", "-req", "-in", d / "inter.csr", *ca, "-set_serial", "100", "-days",
            "365", "-sha256", "-extfile", d / "inter.ext", "-out", d / "inter.crt")
    inter = ["-CA", d / "inter.crt", "-CAkey", d / "inter.key"]
    for name, bits, serial in (("chain.test", 2048, 101), ("weak.test", 1024, 102)):
        (d / (name + ".ext")).write_text("subjectAltName=DNS:%s\n" % name)
        openssl(d, "req", "-new", "-newkey", "rsa:%d" % bits, "-nodes", "-subj", "/CN=" + name,
                "-keyout", d / (name + ".key"), "-out", d / (name + ".csr"))
        openssl(d, "x509", "-req", "-in", d / (name + ".csr"), *inter, "-set_serial", serial,
                "-days", "365", "-sha256", "-extfile", d / (name + ".ext"),
                "-out", d / (name + ".crt"))
        (d / (name + ".full.crt")).write_text((d / (name + ".crt")).read_text() +
                                              (d / "inter.crt").read_text())
    openssl(d, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=self.test",
            "-addext", "subjectAltName=DNS:self.test", "-days", "365",
            "-keyout", d / "self.test.key", "-out", d / "self.test.crt")


def nginx_servers(d):
    servers = []
    for port, (_, cert, _) in SERVERS.items():
        key = cert.replace(".full", "")
        # A 1024-bit key loads only at OpenSSL's security level 0.
        extra = "ssl_ciphers DEFAULT:@SECLEVEL=0;" if key == "weak.test" else ""
        servers.append(NGINX_SERVER.format(srv=SRV, port=port, d=d, cert=cert, key=key,
                                           extra=extra))
    return "".join(servers)




@pytest.fixture
def servers(tmp_path):
    procs = []

    def popen(argv, out=subprocess.DEVNULL):
        p = subprocess.Popen(["ip", "netns", "exec", NS_SRV] + [str(a) for a in argv],
                             stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                             start_new_session=True)
        procs.append(p)
        return p

    del_netns((NS_SRV, NS_CLI))
    try:
        for ns in (NS_SRV, NS_CLI):
            sh(["ip", "netns", "add", ns])
            sh(["ip", "-n", ns, "link", "set", "lo", "up"])
        veth_pair((NS_CLI, "veth-crtc", CLI), (NS_SRV, "veth-crts", SRV))
        make_pki(tmp_path)
        (tmp_path / "haproxy.cfg").write_text(HAPROXY_CONF.format(srv=SRV, port=MTLS_PORT,
                                                                  d=tmp_path))
        with open(tmp_path / "nginx.out", "wb") as log:
            popen(["nginx", "-c", nginx_conf(tmp_path, nginx_servers(tmp_path))], log)
        with open(tmp_path / "haproxy.log", "wb") as log:
            popen(["haproxy", "-db", "-f", tmp_path / "haproxy.cfg"], log)
        want = [":%d " % p for p in list(SERVERS) + [MTLS_PORT]]
        for _ in range(50):
            out = sh(["ip", "netns", "exec", NS_SRV, "ss", "-Hltn"])
            if all(w in out for w in want):
                break
            run(["sleep", "0.1"])
        else:
            pytest.fail("not listening: %s\n%s" % (want, (tmp_path / "nginx.out").read_text()),
                        pytrace=False)
        yield tmp_path
    finally:
        for p in procs:
            stop(p, signal.SIGKILL, wait=5)
        del_netns((NS_SRV, NS_CLI))


def s_client(port, sni, *extra):
    """A TLS 1.2 handshake, then close."""
    return run(["ip", "netns", "exec", NS_CLI, "openssl", "s_client", "-connect",
                "%s:%d" % (SRV, port), "-servername", sni, "-tls1_2", *extra], timeout=20)


def curl(port, host):
    r = run(["ip", "netns", "exec", NS_CLI, "curl", "-sk", "--tls-max", "1.2", "-o", "/dev/null",
             "-w", "%{http_code}", "--resolve", "%s:%d:%s" % (host, port, SRV),
             "https://%s:%d/" % (host, port)], timeout=20)
    return r.stdout.decode()


def test_certificate_chains_and_findings(servers):
    d = servers
    events, err = d / "events.json", d / "tlsnoop.err"
    ports = ",".join(map(str, list(SERVERS) + [MTLS_PORT]))
    with open(err, "wb") as e:
        p = subprocess.Popen(["ip", "netns", "exec", NS_SRV, BIN, "-i", "veth-crts", "-p", ports,
                              "--json", "-o", events], stdin=subprocess.DEVNULL, stderr=e,
                             start_new_session=True)
    try:
        wait_for(lambda: "attached to" in err.read_text(), "tlsnoop attached", p, err)
        assert curl(8401, "chain.test") == "200"
        for port, (sni, _, _) in SERVERS.items():
            if port != 8401:
                s_client(port, sni, "-cipher", "DEFAULT@SECLEVEL=0")
        s_client(MTLS_PORT, "lab.test", "-cert", d / "client.crt", "-key", d / "client.key")
        wait_for(lambda: {e["destination"]["port"] for e in read_events(events)} >=
                 set(SERVERS) | {MTLS_PORT}, "an event per server", p, err, wait=15)
    finally:
        assert stop(p) == 0, err.read_text()
    evs = {e["destination"]["port"]: e for e in read_events(events)}
    for port, (sni, cert, findings) in SERVERS.items():
        e = evs[port]
        leaf = cert.replace(".full", "")
        assert e["tls"]["version"] == "1.2", e
        server = e["tls"]["server"]
        assert server["x509"]["subject"]["common_name"] == [leaf], e
        assert server["subject"] == "CN=" + leaf, e
        assert server["x509"]["public_key_algorithm"] == "RSA", e
        assert server["x509"]["public_key_size"] == (1024 if leaf == "weak.test" else 2048), e
        assert server["x509"]["signature_algorithm"] == "sha256WithRSAEncryption", e
        assert server["x509"]["alternative_names"] == [leaf], e
        assert len(server["hash"]["sha256"]) == 64, e
        chain = e["tlsnoop"]["certificates"]["server"]
        assert len(chain) == (2 if cert.endswith(".full") else 1), e
        assert chain[0]["sha256"] == server["hash"]["sha256"], e
        if len(chain) == 2:
            assert chain[1]["subject"] == "CN=tlsnoop lab inter", e
            assert server["issuer"] == "CN=tlsnoop lab inter", e
        assert e["tlsnoop"]["certificate_findings"] == findings, (port, e)
        assert "client" not in e["tlsnoop"]["certificates"], e
    expired = evs[8403]["tls"]["server"]
    assert (expired["not_before"], expired["not_after"]) == \
        ("2020-01-01T00:00:00.000Z", "2020-02-01T00:00:00.000Z"), expired
    assert evs[8404]["tlsnoop"]["certificates"]["server"][0]["self_signed"] is True

    mtls = evs[MTLS_PORT]
    assert mtls["event"]["outcome"] == "success", mtls
    assert mtls["tls"]["client"]["x509"]["subject"]["common_name"] == ["client"], mtls
    assert mtls["tls"]["client"]["issuer"] == "CN=tlsnoop lab CA", mtls
    assert [c["subject"] for c in mtls["tlsnoop"]["certificates"]["client"]] == ["CN=client"]
    assert mtls["tlsnoop"]["client_certificate_findings"] == ["chain_incomplete"], mtls
    assert mtls["tls"]["server"]["subject"] == "CN=lab.test", mtls

    summary = err.read_text()
    assert "certificates (TLS <= 1.2 handshakes): server chains 7, client chains 1" in summary, \
        summary
    lines = summary.splitlines()
    for side, finding, n, last in (("server", "expired", 1, "expired.test"),
                                   ("server", "self_signed", 1, "self.test"),
                                   ("server", "name_mismatch", 1, "mismatch.test"),
                                   ("server", "weak_key", 1, "weak.test"),
                                   ("server", "chain_incomplete", 3, "lab.test"),
                                   ("client", "chain_incomplete", 1, "lab.test")):
        assert any(l.split()[:3] == [side, finding, str(n)] and
                   ("last: %s (%s:" % (last, SRV)) in l for l in lines), (finding, summary)
