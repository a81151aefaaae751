"""End-to-end tests: real clients against real nginx/haproxy, tlsnoop watching veth-srv.

Each case runs one client from its own source address in tlsn-cli, checks that the client
(and the server's log) saw what the case is about, then waits for tlsnoop's event with that
source.ip and checks it. The wire behaviour each case relies on was checked with tshark on
veth-srv (Debian 12: nginx 1.22.1, haproxy 2.6.12, OpenSSL 3.0.19, curl 7.88.1) and is
described next to each case.

Tests run in file order: the last two stop tlsnoop and check its exit and summary.
"""
import re

import pytest

from conftest import CLI6, LAB_ONLY, PYCLIENT, PYTHON, SRV4, SRV6, get, has

REASONS = {
    "protocol_version", "no_shared_cipher", "untrusted_certificate", "expired_certificate",
    "revoked_certificate", "missing_sni", "unknown_sni", "client_certificate", "alpn_mismatch",
    "not_tls", "no_client_hello", "client_abort", "server_abort", "timeout", "other_alert",
}

# OpenSSL names (what curl -v prints) of the TLS 1.2 suites the lab's nginx allows.
IANA_TLS12 = {
    "ECDHE-ECDSA-AES128-GCM-SHA256": "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "ECDHE-RSA-AES128-GCM-SHA256": "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "ECDHE-RSA-AES256-GCM-SHA384": "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "ECDHE-RSA-CHACHA20-POLY1305": "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
}

# source ip -> case name, for the cases that ran (checked by the last test).
RAN = {}


# ---------------------------------------------------------------- clients
class CurlResult:
    def __init__(self, proc):
        self.rc = proc.returncode
        self.stderr = proc.stderr
        out = proc.stdout
        m = re.search(r"\n@@local_port=(\d*) http_version=(\S*)\n?$", out)
        self.body = out[:m.start()] if m else out
        self.local_port = int(m.group(1)) if m and m.group(1) not in ("", "0") else None
        self.http_version = m.group(2) if m else None
        m = re.search(r"SSL connection using (TLSv[\d.]+) / (\S+)", proc.stderr)
        self.tls_version, self.cipher = (m.group(1), m.group(2)) if m else (None, None)
        m = re.search(r"ALPN: offers (\S+)", proc.stderr)
        self.alpn_offered = m.group(1).split(",") if m else []
        m = re.search(r"ALPN: server accepted (\S+)", proc.stderr)
        self.alpn = m.group(1) if m else None

    def __repr__(self):
        return "curl rc=%d body=%r\nstderr:\n%s" % (self.rc, self.body[:200], self.stderr)


def curl(lab, ip, url, *args):
    resolve = []
    for port in (443, 8443):
        for name in ("lab.test", "expired.test", "nope.test"):
            resolve += ["--resolve", "%s:%d:%s" % (name, port, SRV4)]
    argv = (["curl", "-sS", "-v", "--max-time", "5", "--interface", ip] + resolve + list(args)
            + ["-w", r"\n@@local_port=%{local_port} http_version=%{http_version}\n", url])
    return CurlResult(lab.cli(argv, timeout=15))


def s_client(lab, ip, *args, port=443):
    lab.set_source(ip)
    return lab.cli(["timeout", "5", "openssl", "s_client", "-connect", "%s:%d" % (SRV4, port)]
                   + list(args), timeout=15)


def pyclient(lab, *args):
    return lab.cli([PYTHON, PYCLIENT] + [str(a) for a in args], timeout=15)


# ---------------------------------------------------------------- event checks
def no_nulls(obj, path=""):
    if obj is None:
        pytest.fail("%s is null: absent facts must be omitted" % path, pytrace=False)
    if isinstance(obj, dict):
        for k, v in obj.items():
            no_nulls(v, path + "." + k if path else k)
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            no_nulls(v, "%s[%d]" % (path, i))


def check_common(ev, ip, port, client_port=None):
    """What every event must satisfy."""
    no_nulls(ev)
    assert get(ev, "source.ip") == ip
    assert get(ev, "destination.ip") == (SRV6 if ":" in ip else SRV4), ev
    assert get(ev, "destination.port") == port, ev
    sport = get(ev, "source.port")
    assert isinstance(sport, int) and 0 < sport < 65536, ev
    if client_port:
        assert sport == client_port, ("source.port is not the client's port", ev)
    assert isinstance(get(ev, "@timestamp"), str), ev
    assert get(ev, "event.outcome") in ("success", "failure"), ev
    if get(ev, "event.outcome") == "failure":
        assert get(ev, "event.reason") in REASONS, ev
    if has(ev, "event.duration"):
        assert isinstance(get(ev, "event.duration"), int) and get(ev, "event.duration") >= 0, ev
    assert get(ev, "tlsnoop.confidence") in ("observed", "inferred"), ev
    if has(ev, "tls.version"):
        assert get(ev, "tls.version_protocol") == "tls", ev
    if has(ev, "tls.alert"):
        assert get(ev, "tls.alert.from") in ("client", "server"), ev
        if get(ev, "tls.alert.encrypted"):
            assert not has(ev, "tls.alert.code") and not has(ev, "tls.alert.level"), ev
        else:
            assert isinstance(get(ev, "tls.alert.code"), int), ev


def event(tlsnoop, name, ip, port, client_port=None):
    """Wait for the case's event and run the common checks. In lab-only mode, stop here."""
    RAN[ip] = name
    if LAB_ONLY:
        pytest.skip("TLSNOOP_E2E_LAB_ONLY=1: client behaviour checked, tlsnoop event not")
    ev = tlsnoop.wait_event(ip)
    check_common(ev, ip, port, client_port)
    return ev


def start(tlsnoop):
    if not LAB_ONLY:
        tlsnoop.require()


def assert_success(ev, version):
    assert get(ev, "event.outcome") == "success", ev
    assert not has(ev, "event.reason"), ev
    assert get(ev, "tls.established") is True, ev
    assert get(ev, "tls.version") == version, ev


def assert_failure(ev, reason, alert_from=None, code=None):
    assert get(ev, "event.outcome") == "failure", ev
    assert get(ev, "event.reason") == reason, ev
    assert get(ev, "tls.established") is not True, ev
    if alert_from:
        assert get(ev, "tls.alert.from") == alert_from, ev
    if code is not None:
        assert get(ev, "tls.alert.code") == code, ev
        assert get(ev, "tls.alert.encrypted") is not True, ev


# ---------------------------------------------------------------- successes
def test_tls13_success(lab, tlsnoop):
    start(tlsnoop)
    ip = "198.18.0.10"
    r = curl(lab, ip, "https://lab.test/", "--cacert", lab.ca, "--tlsv1.3")
    assert r.rc == 0 and r.body == "ok\n" and r.tls_version == "TLSv1.3", r
    ev = event(tlsnoop, "tls13_success", ip, 443, r.local_port)
    assert_success(ev, "1.3")
    assert get(ev, "tls.client.server_name") == "lab.test", ev
    assert get(ev, "tls.cipher") == r.cipher, ev          # TLS 1.3: OpenSSL name == IANA
    assert get(ev, "tls.cipher", "").startswith("TLS_"), ev
    assert "1.3" in get(ev, "tls.client.supported_versions", []), ev
    assert "h2" in get(ev, "tls.client.alpn", []), ev     # curl offers h2,http/1.1
    # The server's choice of ALPN is in the encrypted EncryptedExtensions: not visible.
    assert get(ev, "tlsnoop.confidence") == "observed", ev


def test_tls12_success(lab, tlsnoop):
    start(tlsnoop)
    ip = "198.18.0.11"
    r = curl(lab, ip, "https://lab.test/", "--cacert", lab.ca, "--tls-max", "1.2")
    assert r.rc == 0 and r.body == "ok\n" and r.tls_version == "TLSv1.2", r
    assert r.cipher in IANA_TLS12, r
    ev = event(tlsnoop, "tls12_success", ip, 443, r.local_port)
    assert_success(ev, "1.2")
    assert get(ev, "tls.client.server_name") == "lab.test", ev
    assert get(ev, "tls.cipher") == IANA_TLS12[r.cipher], ev
    assert get(ev, "tls.client.alpn") == r.alpn_offered, ev
    if "h2" in r.alpn_offered:
        # TLS 1.2 ServerHello is plaintext: the ALPN choice is visible.
        assert r.alpn == "h2" and r.http_version == "2", r
        assert get(ev, "tls.next_protocol") == "h2", ev


def test_ipv6_success(lab, tlsnoop):
    start(tlsnoop)
    ip = CLI6
    r = curl(lab, ip, "https://lab.test/", "-6", "--cacert", lab.ca,
             "--resolve", "lab.test:443:[%s]" % SRV6)
    assert r.rc == 0 and r.body == "ok\n", r
    ev = event(tlsnoop, "ipv6_success", ip, 443, r.local_port)
    assert_success(ev, "1.3")
    assert get(ev, "source.ip") == "2001:db8::2", ev
    assert get(ev, "tls.client.server_name") == "lab.test", ev


# ---------------------------------------------------------------- failures, nginx :443
def test_tls11_only_client(lab, tlsnoop):
    # Wire: ClientHello (legacy_version 0x0302, no supported_versions), then the server's
    # plaintext 7-byte alert record: fatal protocol_version (70). nginx logs
    # "unsupported protocol".
    start(tlsnoop)
    ip = "198.18.0.12"
    r = s_client(lab, ip, "-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0", "-servername", "lab.test")
    assert r.returncode != 0 and "SSL alert number 70" in r.stdout + r.stderr, r
    assert any("unsupported protocol" in l for l in lab.nginx_log(ip))
    ev = event(tlsnoop, "tls11_only", ip, 443)
    assert_failure(ev, "protocol_version", "server", 70)
    assert get(ev, "tlsnoop.confidence") == "observed", ev


def test_no_shared_cipher(lab, tlsnoop):
    # Wire: ClientHello offering only AES128-SHA (+ SCSV), server plaintext alert 40
    # (handshake_failure). nginx logs "no shared cipher".
    start(tlsnoop)
    ip = "198.18.0.13"
    r = s_client(lab, ip, "-tls1_2", "-cipher", "AES128-SHA", "-servername", "lab.test")
    assert r.returncode != 0 and "SSL alert number 40" in r.stdout + r.stderr, r
    assert any("no shared cipher" in l for l in lab.nginx_log(ip))
    ev = event(tlsnoop, "no_shared_cipher", ip, 443)
    assert_failure(ev, "no_shared_cipher", "server", 40)
    assert get(ev, "tls.client.server_name") == "lab.test", ev


def test_untrusted_cert_tls12(lab, tlsnoop):
    # Wire: ServerHello, Certificate, ServerKeyExchange, ServerHelloDone, then the client's
    # plaintext alert 48 (unknown_ca); server FIN, client RST.
    start(tlsnoop)
    ip = "198.18.0.14"
    r = curl(lab, ip, "https://lab.test/", "--tls-max", "1.2")
    assert r.rc == 60 and "unable to get local issuer certificate" in r.stderr, r
    assert any("SSL alert number 48" in l for l in lab.nginx_log(ip))
    ev = event(tlsnoop, "untrusted_tls12", ip, 443, r.local_port)
    assert_failure(ev, "untrusted_certificate", "client", 48)
    assert get(ev, "tls.version") == "1.2", ev


def test_untrusted_cert_tls13(lab, tlsnoop):
    # Wire: the server's flight is ServerHello + CCS + 4 encrypted records (36, 861, 281, 69:
    # EncryptedExtensions, Certificate, CertificateVerify, Finished). OpenSSL's client then
    # sends alert 48 as a PLAINTEXT 7-byte record (content type 21, length 2): its handshake
    # write keys are not active yet. Server FIN, client RST.
    start(tlsnoop)
    ip = "198.18.0.15"
    r = curl(lab, ip, "https://lab.test/", "--tlsv1.3")
    assert r.rc == 60 and "unable to get local issuer certificate" in r.stderr, r
    assert any("SSL alert number 48" in l for l in lab.nginx_log(ip))
    ev = event(tlsnoop, "untrusted_tls13", ip, 443, r.local_port)
    assert_failure(ev, "untrusted_certificate", "client", 48)
    assert get(ev, "tls.version") == "1.3", ev


def test_expired_cert(lab, tlsnoop):
    # Wire (TLS 1.3, curl's default): the client sends a plaintext alert 45
    # (certificate_expired) after the server's flight.
    start(tlsnoop)
    ip = "198.18.0.16"
    r = curl(lab, ip, "https://expired.test/", "--cacert", lab.ca)
    assert r.rc == 60 and "certificate has expired" in r.stderr, r
    assert any("SSL alert number 45" in l for l in lab.nginx_log(ip))
    ev = event(tlsnoop, "expired_cert", ip, 443, r.local_port)
    assert_failure(ev, "expired_certificate", "client", 45)
    assert get(ev, "tls.client.server_name") == "expired.test", ev


def test_no_sni(lab, tlsnoop):
    # Wire: ClientHello without server_name, server plaintext alert 112 (unrecognized_name)
    # from ssl_reject_handshake. nginx logs "handshake rejected".
    start(tlsnoop)
    ip = "198.18.0.17"
    r = s_client(lab, ip, "-noservername")
    assert r.returncode != 0 and "SSL alert number 112" in r.stdout + r.stderr, r
    assert any("handshake rejected" in l for l in lab.nginx_log(ip))
    ev = event(tlsnoop, "no_sni", ip, 443)
    assert_failure(ev, "missing_sni", "server", 112)
    assert not has(ev, "tls.client.server_name"), ev


def test_unknown_sni(lab, tlsnoop):
    # Wire: as test_no_sni, with server_name nope.test: server plaintext alert 112.
    start(tlsnoop)
    ip = "198.18.0.18"
    r = s_client(lab, ip, "-servername", "nope.test")
    assert r.returncode != 0 and "SSL alert number 112" in r.stdout + r.stderr, r
    assert any("handshake rejected" in l for l in lab.nginx_log(ip))
    ev = event(tlsnoop, "unknown_sni", ip, 443)
    assert_failure(ev, "unknown_sni", "server", 112)
    assert get(ev, "tls.client.server_name") == "nope.test", ev


def test_plain_http(lab, tlsnoop):
    # Wire: "GET / HTTP/1.1" in plaintext; nginx answers a plaintext HTTP 400 and closes.
    start(tlsnoop)
    ip = "198.18.0.19"
    r = curl(lab, ip, "http://%s:443/" % SRV4)
    assert r.rc == 0 and "The plain HTTP request was sent to HTTPS port" in r.body, r
    ev = event(tlsnoop, "plain_http", ip, 443, r.local_port)
    assert_failure(ev, "not_tls")
    assert not has(ev, "tls.established") or get(ev, "tls.established") is False, ev


def test_no_client_hello(lab, tlsnoop):
    # Wire: handshake, 50 ms, client FIN without a byte of payload; server FIN.
    # nginx logs "client closed connection while SSL handshaking".
    start(tlsnoop)
    ip = "198.18.0.20"
    r = pyclient(lab, "connect-close", ip, SRV4, 443)
    assert r.returncode == 0, r
    port = int(re.search(r'"local_port": (\d+)', r.stdout).group(1))
    assert any("client closed connection" in l for l in lab.nginx_log(ip))
    ev = event(tlsnoop, "no_client_hello", ip, 443, port)
    assert_failure(ev, "no_client_hello")


# ---------------------------------------------------------------- haproxy :8443, mutual TLS
def test_mtls_no_cert_tls12(lab, tlsnoop):
    # Wire: the server flight includes CertificateRequest; the client answers with an empty
    # Certificate (7-byte record), ClientKeyExchange, CCS, Finished; haproxy sends a plaintext
    # alert 40 (handshake_failure) and closes. haproxy logs "SSL handshake failure".
    start(tlsnoop)
    ip = "198.18.0.21"
    r = curl(lab, ip, "https://lab.test:8443/", "--cacert", lab.ca, "--tls-max", "1.2")
    assert r.rc == 35 and "alert handshake failure" in r.stderr, r
    assert any("SSL handshake failure" in l for l in lab.haproxy_log(ip))
    ev = event(tlsnoop, "mtls_no_cert_tls12", ip, 8443, r.local_port)
    assert_failure(ev, "client_certificate", "server", 40)
    assert get(ev, "tls.version") == "1.2", ev


def test_mtls_no_cert_tls13(lab, tlsnoop):
    # Wire: server flight = ServerHello + CCS + 5 encrypted records (36, 97 = the
    # CertificateRequest, 861, 281, 69). Client second flight: CCS + 2 encrypted records,
    # 25 bytes (empty Certificate) and 69 bytes (Finished, SHA-384 suite). haproxy then
    # sends ONE 19-byte encrypted record (decrypted with SSLKEYLOGFILE: fatal alert 116
    # certificate_required, not 40 as over TLS 1.2) and a FIN; curl, which believes the
    # handshake is done, sends its 81-byte HTTP/2 preface; haproxy answers with a RST.
    # Nothing on the wire says "client certificate": tlsnoop can only infer it.
    start(tlsnoop)
    ip = "198.18.0.22"
    r = curl(lab, ip, "https://lab.test:8443/", "--cacert", lab.ca, "--tlsv1.3")
    # curl learns of the failure after its handshake: exit 55 (send) or 56 (recv,
    # "alert certificate required") depending on timing.
    assert r.rc in (55, 56) and r.tls_version == "TLSv1.3", r
    assert any("SSL handshake failure" in l for l in lab.haproxy_log(ip))
    ev = event(tlsnoop, "mtls_no_cert_tls13", ip, 8443, r.local_port)
    assert_failure(ev, "client_certificate", "server")
    assert get(ev, "tls.alert.encrypted") is True, ev
    assert get(ev, "tlsnoop.confidence") == "inferred", ev
    assert get(ev, "tls.version") == "1.3", ev


def test_mtls_untrusted_client_cert_tls12(lab, tlsnoop):
    # Wire: client Certificate (834), ClientKeyExchange, CertificateVerify, CCS, Finished;
    # haproxy plaintext alert 48 (unknown_ca). haproxy logs "client certificate not trusted".
    start(tlsnoop)
    ip = "198.18.0.24"
    r = curl(lab, ip, "https://lab.test:8443/", "--cacert", lab.ca, "--tls-max", "1.2",
             "--cert", lab.path("client-other.crt"), "--key", lab.path("client-other.key"))
    assert r.rc == 35 and "alert unknown ca" in r.stderr, r
    assert any("client certificate not trusted" in l for l in lab.haproxy_log(ip))
    ev = event(tlsnoop, "mtls_untrusted_tls12", ip, 8443, r.local_port)
    assert_failure(ev, "client_certificate", "server", 48)


def test_mtls_untrusted_client_cert_tls13(lab, tlsnoop):
    # Wire: client second flight CCS + 3 encrypted records (854 Certificate, 281
    # CertificateVerify, 69 Finished); haproxy one 19-byte encrypted record (alert 48
    # unknown_ca, seen with SSLKEYLOGFILE), FIN; curl's 81-byte h2 preface; RST.
    start(tlsnoop)
    ip = "198.18.0.25"
    r = curl(lab, ip, "https://lab.test:8443/", "--cacert", lab.ca, "--tlsv1.3",
             "--cert", lab.path("client-other.crt"), "--key", lab.path("client-other.key"))
    assert r.rc in (55, 56) and r.tls_version == "TLSv1.3", r
    assert any("client certificate not trusted" in l for l in lab.haproxy_log(ip))
    ev = event(tlsnoop, "mtls_untrusted_tls13", ip, 8443, r.local_port)
    assert_failure(ev, "client_certificate", "server")
    assert get(ev, "tls.alert.encrypted") is True, ev
    assert get(ev, "tlsnoop.confidence") == "inferred", ev


def test_mtls_success(lab, tlsnoop):
    # Wire (TLS 1.3): client second flight CCS + 1615 (Certificate) + 281 + 69; haproxy then
    # sends two 1082-byte NewSessionTickets, HTTP/2 data and finally a 19-byte encrypted
    # close_notify: an encrypted alert-sized record AFTER the handshake is not a failure.
    start(tlsnoop)
    ip = "198.18.0.23"
    r = curl(lab, ip, "https://lab.test:8443/", "--cacert", lab.ca,
             "--cert", lab.path("client.crt"), "--key", lab.path("client.key"))
    assert r.rc == 0 and r.body == "ok\n", r
    assert any(" 200 " in l for l in lab.haproxy_log(ip))
    ev = event(tlsnoop, "mtls_success", ip, 8443, r.local_port)
    assert_success(ev, r.tls_version.replace("TLSv", ""))
    assert get(ev, "tls.client.server_name") == "lab.test", ev


# ---------------------------------------------------------------- split ClientHello
@pytest.mark.parametrize("chunks,ip", [(2, "198.18.0.26"), (3, "198.18.0.27")])
def test_split_client_hello(lab, tlsnoop, chunks, ip):
    # Python's 517-byte ClientHello (server_name is its first extension, at offset 144),
    # written with TCP_NODELAY and 50 ms pauses: 2 segments [144, 373] (the whole SNI
    # extension in the 2nd), or 3 segments [110, 41, 366] (cut inside the cipher suites,
    # then inside the SNI extension: its headers in the 2nd segment, the name in the 3rd).
    # The handshake then completes (TLS 1.3) and GET / returns 200.
    start(tlsnoop)
    r = pyclient(lab, "split-hello", ip, SRV4, 443, lab.ca, "lab.test", chunks)
    assert r.returncode == 0 and '"response": "HTTP/1.1 200 OK"' in r.stdout, r
    assert re.search(r'"chunks": \[\d+(, \d+){%d}\]' % (chunks - 1), r.stdout), r
    port = int(re.search(r'"local_port": (\d+)', r.stdout).group(1))
    ev = event(tlsnoop, "split_hello_%d" % chunks, ip, 443, port)
    assert get(ev, "tls.client.server_name") == "lab.test", ev
    assert "1.3" in get(ev, "tls.client.supported_versions", []), ev
    assert_success(ev, "1.3")


# ---------------------------------------------------------------- exit, summary
def test_exit_and_summary(lab, tlsnoop):
    """SIGINT: tlsnoop exits 0 and its stderr summary names every failure reason it
    reported."""
    start(tlsnoop)
    if LAB_ONLY:
        pytest.skip("TLSNOOP_E2E_LAB_ONLY=1")
    rc = tlsnoop.stop()
    err = tlsnoop.stderr()
    assert tlsnoop.stop_error is None, tlsnoop.stop_error + "\n" + err
    assert rc == 0, "tlsnoop exited %s after SIGINT; stderr:\n%s" % (rc, err)
    reasons = {get(e, "event.reason") for e in tlsnoop.events()
               if get(e, "event.outcome") == "failure"}
    # Accept "no_shared_cipher" or "no shared cipher" / "no-shared-cipher".
    missing = [r for r in sorted(reasons)
               if not any(v in err for v in (r, r.replace("_", " "), r.replace("_", "-")))]
    assert not missing, "summary does not mention %s; stderr:\n%s" % (missing, err)

    # The counts, and each top failing client's count and main reason, are the events'.
    evs = tlsnoop.events()
    fails = [e for e in evs if get(e, "event.outcome") == "failure"]
    m = re.search(r"handshakes: (\d+)  success: (\d+)  failure: (\d+)", err)
    assert m and tuple(map(int, m.groups())) == (len(evs), len(evs) - len(fails), len(fails)), \
        "summary counts differ from the %d events; stderr:\n%s" % (len(evs), err)
    table = err[err.index("top failing clients"):].splitlines()[1:]
    shown = {}
    for line in table:
        if not line.startswith("  ") or not re.match(r"\s+[0-9a-f.:]+\s+\d+", line):
            break
        f = line.split()
        shown[f[0]] = (int(f[1].rstrip("~")), f[2])
    assert shown, "no top failing clients in:\n" + err
    for ip, (count, main) in shown.items():
        mine = [get(e, "event.reason") for e in fails if get(e, "source.ip") == ip]
        top = max(map(mine.count, mine), default=0)
        assert count == len(mine) and main in {r for r in mine if mine.count(r) == top}, \
            "%s: summary says %d %s, events %r" % (ip, count, main, mine)


def test_one_event_per_handshake(lab, tlsnoop):
    """After exit (all pending handshakes flushed): exactly one event per case, and none
    from addresses no case used."""
    start(tlsnoop)
    if LAB_ONLY:
        pytest.skip("TLSNOOP_E2E_LAB_ONLY=1")
    tlsnoop.stop()
    evs = tlsnoop.events()
    by_ip = {}
    for e in evs:
        by_ip.setdefault(get(e, "source.ip"), []).append(e)
    problems = []
    for ip, name in sorted(RAN.items()):
        n = len(by_ip.get(ip, []))
        if n != 1:
            problems.append("%s (%s): %d events %s" % (name, ip, n, by_ip.get(ip, [])))
    for ip in sorted(set(by_ip) - set(RAN), key=str):
        problems.append("unexpected events from %s: %s" % (ip, by_ip[ip]))
    assert not problems, "\n".join(problems)
