"""tlsnoop check HOST[:PORT] against the tools it replaces: on nginx and haproxy listeners
configured with known versions and suites, the versions and suites tlsnoop finds must be
those `nmap --script ssl-enum-ciphers` and `sslscan` report for the same listener, the chain
and dates those `openssl s_client -showcerts` shows, the signature algorithms, fallback SCSV
and stapled OCSP status sslscan's, secure renegotiation `openssl s_client -tls1_2`'s; and
the SNI cases, resumption, ALPN,
--policy, the failures (a closed port, a service that is not TLS, a server that never
answers) and bad arguments.

Run as root from the repository root, after `make`, under the shared e2e lock:

    flock /tmp/tlsnoop-e2e.lock /usr/bin/python3 -m pytest -q -p no:cacheprovider \\
        tests/e2e/test_check.py

Independent of the lab: its own namespaces tlsn-chk-srv / tlsn-chk-cli joined by a veth
pair, 198.19.77.1 (the servers) <-> 198.19.77.2 (tlsnoop check and the scanners, the only
clients), torn down with every process it started. The PKI is scripts/lab.sh's.
"""
import functools
import hashlib
import json
import os
import re
import shutil
import signal
import ssl
import subprocess
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from test_cli import (BIN, REPO, del_netns, nginx_conf, require_root_and_tlsnoop, run, sh,
                      veth_pair)

LAB_SH = REPO / "scripts" / "lab.sh"
PYTHON = "/usr/bin/python3"

NS_SRV = "tlsn-chk-srv"
NS_CLI = "tlsn-chk-cli"
SRV4 = "198.19.77.1"
CLI4 = "198.19.77.2"
SRV4_B = "198.19.77.3"  # a second address of the servers' namespace
# A name with both addresses, for the client namespace only (ip netns exec bind-mounts
# /etc/netns/NAME/hosts over /etc/hosts).
MULTI_NAME = "multi.test"
NETNS_ETC = Path("/etc/netns") / "tlsn-chk-cli"

# The listeners, each with what it is configured to accept.
P_WIDE = 443        # nginx: TLS 1.0-1.3, server order, tickets; lab.test by SNI, else other.test
                    # (with a stapled OCSP response)
P_TLS12 = 4443      # nginx: TLS 1.2 only, client order, session ids without tickets, expired.test
P_MTLS = 8443       # haproxy: TLS 1.2-1.3, client certificate required, h2 and http/1.1
P_HTTP = 8080       # nginx, plain HTTP: not TLS
P_SLOW = 7443       # accepts, never answers
P_SLOW_TLS = 7444   # TLS, each handshake 0.3 s late
P_CLOSED = 9        # nothing listens
# GnuTLS, for suites Debian's libssl cannot offer (3DES, RC4, Camellia-GCM): only hellos
# of tlsnoop's own find them, as nmap's and sslscan's do.
P_LEGACY = 5443     # TLS 1.0-1.3, those suites among the usual ones, server order
P_LEGACY_ONLY = 5444  # TLS 1.0 and 1.2 with 3DES and RC4 alone, client order
LEGACY_PRIORITY = ("NORMAL:+3DES-CBC:+CAMELLIA-128-GCM:+ARCFOUR-128:+VERS-TLS1.0:"
                   "+VERS-TLS1.1:%SERVER_PRECEDENCE")
LEGACY_ONLY_PRIORITY = ("NONE:+VERS-TLS1.0:+VERS-TLS1.2:+3DES-CBC:+ARCFOUR-128:+RSA:"
                        "+ECDHE-RSA:+SHA1:+COMP-NULL:+SIGN-ALL:+CTYPE-X509:+GROUP-ALL")

WIDE_CIPHERS = ("ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256:"
                "ECDHE-RSA-AES128-SHA:AES256-SHA:DHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0")
TLS12_CIPHERS = "ECDHE-RSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256"
MTLS_CIPHERS = "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384"
MTLS_SUITES = "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"

# The wide listener's settings are the http block's, for both of its names.
NGINX_HTTP = """
    ssl_prefer_server_ciphers on;
    ssl_session_cache shared:chk:1m;
    ssl_protocols TLSv1 TLSv1.1 TLSv1.2 TLSv1.3;
    ssl_ciphers {wide_ciphers};
    server {{
        listen {ip}:{wide} ssl http2 default_server;
        ssl_certificate {d}/other.test.crt;
        ssl_certificate_key {d}/other.test.key;
        ssl_stapling on;
        ssl_stapling_file {d}/other.test.ocsp;
        ssl_trusted_certificate {d}/other-ca.crt;
    }}
    server {{
        listen {ip}:{wide} ssl http2;
        server_name lab.test;
        ssl_certificate {d}/lab.test.crt;
        ssl_certificate_key {d}/lab.test.key;
    }}
    server {{
        listen {ip}:{tls12} ssl;
        ssl_protocols TLSv1.2;
        ssl_ciphers {tls12_ciphers};
        ssl_prefer_server_ciphers off;
        ssl_session_tickets off;
        ssl_certificate {d}/expired.test.crt;
        ssl_certificate_key {d}/expired.test.key;
        location / {{ return 200 "expired\\n"; }}
    }}
    server {{
        listen {ip_b}:{wide} ssl;
        ssl_protocols TLSv1.2;
        ssl_certificate {d}/expired.test.crt;
        ssl_certificate_key {d}/expired.test.key;
    }}
    server {{
        listen {ip}:{http};
        location / {{ return 200 "plain\\n"; }}
    }}
"""

HAPROXY_CFG = """
global
    pidfile {d}/haproxy.pid
    ssl-default-bind-ciphers {ciphers}
    ssl-default-bind-ciphersuites {suites}
defaults
    mode http
    timeout connect 5s
    timeout client 10s
    timeout server 10s
frontend mtls
    bind {ip}:{port} ssl crt {d}/lab.test.pem ca-file {d}/ca.crt verify required ssl-min-ver TLSv1.2 ssl-max-ver TLSv1.3 alpn h2,http/1.1
    http-request return status 200 content-type text/plain string "ok"
"""

# Accepts on argv[1]:argv[2] and never answers.
SILENT_PY = r"""
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(16)
held = []
while True:
    held.append(s.accept()[0])
"""

# TLS on argv[1]:argv[2] with the certificate argv[3] and key argv[4], each handshake
# started 0.3 s after the connection.
LATE_TLS_PY = r"""
import socket, ssl, sys, threading, time
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[3], sys.argv[4])
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(64)
def serve(c):
    time.sleep(0.3)
    try:
        with ctx.wrap_socket(c, server_side=True) as t:
            t.settimeout(2)
            t.recv(1)
    except (OSError, ssl.SSLError):
        pass
while True:
    threading.Thread(target=serve, args=(s.accept()[0],), daemon=True).start()
"""




def listening(port):
    out = run(["ip", "netns", "exec", NS_SRV, "ss", "-ltnH", "sport = :%d" % port])
    return out.stdout.strip() != b""


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    require_root_and_tlsnoop()
    for tool in ("nginx", "haproxy", "openssl", "nmap", "sslscan", "gnutls-serv"):
        if not shutil.which(tool):
            pytest.fail("%s missing: run scripts/deps.sh" % tool, pytrace=False)
    d = tmp_path_factory.mktemp("check")
    procs = []
    del_netns((NS_SRV, NS_CLI))
    try:
        for ns in (NS_SRV, NS_CLI):
            sh(["ip", "netns", "add", ns])
            sh(["ip", "-n", ns, "link", "set", "lo", "up"])
        veth_pair((NS_SRV, "veth-chksrv", SRV4), (NS_CLI, "veth-chkcli", CLI4))
        sh(["ip", "-n", NS_SRV, "addr", "add", SRV4_B + "/24", "dev", "veth-chksrv"])
        NETNS_ETC.mkdir(parents=True, exist_ok=True)
        (NETNS_ETC / "hosts").write_text("%s %s\n%s %s\n" % (SRV4, MULTI_NAME, SRV4_B,
                                                           MULTI_NAME))
        sh([LAB_SH, "pki", d], timeout=60)
        # other.test's OCSP response, "good", from its CA's database, for nginx to staple.
        ca = d / "other-ca.d"
        sh(["openssl", "ocsp", "-index", ca / "index.txt", "-rsigner", ca / "ca.crt", "-rkey",
            ca / "ca.key", "-CA", ca / "ca.crt", "-issuer", ca / "ca.crt", "-cert",
            d / "other.test.crt", "-respout", d / "other.test.ocsp", "-ndays", "2"])
        conf = nginx_conf(d, NGINX_HTTP.format(
            d=d, ip=SRV4, ip_b=SRV4_B, wide=P_WIDE, tls12=P_TLS12, http=P_HTTP, wide_ciphers=WIDE_CIPHERS,
            tls12_ciphers=TLS12_CIPHERS))
        (d / "haproxy.cfg").write_text(HAPROXY_CFG.format(
            d=d, ip=SRV4, port=P_MTLS, ciphers=MTLS_CIPHERS, suites=MTLS_SUITES))
        for argv in [["nginx", "-c", conf], ["haproxy", "-db", "-f", d / "haproxy.cfg"],
                     [PYTHON, "-c", SILENT_PY, SRV4, str(P_SLOW)],
                     [PYTHON, "-c", LATE_TLS_PY, SRV4, str(P_SLOW_TLS), d / "lab.test.crt",
                      d / "lab.test.key"]] + [
                ["gnutls-serv", "-p", port, "--x509certfile", d / "lab.test.crt",
                 "--x509keyfile", d / "lab.test.key", "--priority", priority]
                for port, priority in ((P_LEGACY, LEGACY_PRIORITY),
                                       (P_LEGACY_ONLY, LEGACY_ONLY_PRIORITY))]:
            procs.append(subprocess.Popen(
                ["ip", "netns", "exec", NS_SRV] + [str(a) for a in argv],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=open(d / (Path(str(argv[0])).name + ".stderr"), "wb"),
                start_new_session=True))
        deadline = time.monotonic() + 10
        while not all(listening(p) for p in (P_WIDE, P_TLS12, P_MTLS, P_HTTP, P_SLOW,
                                             P_SLOW_TLS, P_LEGACY, P_LEGACY_ONLY)):
            if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
                pytest.fail("servers did not start; see %s" % d, pytrace=False)
            time.sleep(0.1)
        yield d
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
        del_netns((NS_SRV, NS_CLI))
        shutil.rmtree(NETNS_ETC, ignore_errors=True)


def cli(argv, timeout=120):
    return run(["ip", "netns", "exec", NS_CLI] + [str(a) for a in argv], timeout=timeout)


_checks = {}


def check(port, *args):
    """tlsnoop check SRV4:port --json ..., run once per argument list."""
    key = (port,) + args
    if key not in _checks:
        r = cli([BIN, "check", "%s:%d" % (SRV4, port), "--json"] + list(args))
        assert r.returncode == 0, r.stderr.decode(errors="replace")
        _checks[key] = json.loads(r.stdout)
    return _checks[key]


def accepted(report):
    """{"1.2": [IANA suite names]} of the accepted versions."""
    return {v["version"]: [s["name"] for s in v["cipher_suites"]]
            for v in report["versions"] if v["verdict"] == "accepted"}


@functools.lru_cache(maxsize=None)
def nmap_accepted(port):
    """nmap ssl-enum-ciphers: {"1.2": [IANA suite names, in the order nmap lists them]}."""
    r = cli(["nmap", "-Pn", "-n", "--script", "ssl-enum-ciphers", "-p", port, SRV4, "-oX", "-"],
            timeout=300)
    assert r.returncode == 0, r.stderr
    root = ET.fromstring(r.stdout)
    script = root.find(".//script[@id='ssl-enum-ciphers']")
    assert script is not None, r.stdout.decode(errors="replace")
    out = {}
    for table in script.findall("table"):
        m = re.fullmatch(r"(SSLv3|TLSv1\.[0-3])", table.get("key"))
        if not m:
            continue
        version = "3.0" if m.group(1) == "SSLv3" else m.group(1)[4:]
        if version == "1":
            version = "1.0"
        # nmap 7.93 names TLS 1.3 suites as drafts did: TLS_AKE_WITH_AES_128_GCM_SHA256.
        out[version] = [e.text.replace("TLS_AKE_WITH_", "TLS_") for e in table.findall(
            "table[@key='ciphers']/table/elem[@key='name']")]
    return out


def sslscan_accepted(port, client_cert=None):
    """sslscan: {"1.2": set of suite names as sslscan gives them (OpenSSL's)}, and the
    versions it reports enabled."""
    argv = ["sslscan", "--no-colour", "--xml=-"]
    if client_cert:
        argv += ["--certs=%s.crt" % client_cert, "--pk=%s.key" % client_cert]
    r = cli(argv + ["%s:%d" % (SRV4, port)], timeout=300)
    assert r.returncode == 0, r.stderr
    root = ET.fromstring(r.stdout[r.stdout.index(b"<?xml"):])
    enabled = set()
    for p in root.iter("protocol"):
        if p.get("enabled") == "1":
            enabled.add("3.0" if p.get("type") == "ssl" else p.get("version"))
    ciphers = {}
    for c in root.iter("cipher"):
        version = {"SSLv3": "3.0", "TLSv1.0": "1.0", "TLSv1.1": "1.1", "TLSv1.2": "1.2",
                   "TLSv1.3": "1.3"}[c.get("sslversion")]
        ciphers.setdefault(version, set()).add(c.get("cipher"))
    return enabled, ciphers


def sslscan_features(port, client_cert=None):
    """sslscan --show-sigs --ocsp: {"1.2": set of signature schemes}, whether it finds
    TLS_FALLBACK_SCSV supported ("yes", "no", None: not said), and the stapled OCSP
    response's certificate status (None: no response)."""
    argv = ["sslscan", "--no-colour", "--show-sigs", "--ocsp", "--no-ciphersuites",
            "--no-groups", "--no-heartbleed"]
    if client_cert:
        argv += ["--certs=%s.crt" % client_cert, "--pk=%s.key" % client_cert]
    r = cli(argv + ["%s:%d" % (SRV4, port)], timeout=300)
    assert r.returncode == 0, r.stderr
    text = r.stdout.decode(errors="replace")
    sigs = None     # sslscan 2.0.7 lists none for a listener without TLS 1.3
    if "Server Signature Algorithm(s):" in text:
        sigs = {}
        section = text[text.index("Server Signature Algorithm(s):"):]
        for m in re.finditer(r"^TLSv(1\.[23])\s+(\S+)\s*$", section, re.M):
            sigs.setdefault(m.group(1), set()).add(m.group(2))
    fallback = ("yes" if "Server supports TLS Fallback SCSV" in text else
                "no" if "Server does not support TLS Fallback SCSV" in text else None)
    m = re.search(r"Cert Status: (\w+)", text)
    return sigs, fallback, m.group(1) if m else None


def s_client_secure_renegotiation(port, client_cert=None):
    """openssl s_client at TLS 1.2: does the server support RFC 5746?"""
    argv = ["openssl", "s_client", "-connect", "%s:%d" % (SRV4, port), "-tls1_2"]
    if client_cert:
        argv += ["-cert", "%s.crt" % client_cert, "-key", "%s.key" % client_cert]
    r = run(["ip", "netns", "exec", NS_CLI] + [str(a) for a in argv], timeout=20)
    out = r.stdout.decode(errors="replace")
    assert "Renegotiation IS" in out, out
    return "no" if "Secure Renegotiation IS NOT supported" in out else "yes"


# ---------------------------------------------------------------- agreement with scanners
ALL_TLS = [P_WIDE, P_TLS12, P_MTLS, P_LEGACY, P_LEGACY_ONLY]


@pytest.mark.parametrize("port", ALL_TLS)
def test_versions_and_suites_equal_nmap(lab, port):
    ours = {v: set(s) for v, s in accepted(check(port)).items()}
    assert ours == {v: set(s) for v, s in nmap_accepted(port).items()}


def test_server_order_equals_nmap(lab):
    """With suites of both kinds (libssl's, and those only its own hellos find), the
    server's order as nmap lists it: each of the latter placed among the others."""
    ours = accepted(check(P_LEGACY))
    assert ours == nmap_accepted(P_LEGACY)
    assert all(v["cipher_order"] == "server" for v in check(P_LEGACY)["versions"]
               if v["verdict"] == "accepted")


def test_suites_libssl_cannot_offer(lab):
    """Versions accepted only with suites Debian's libssl lacks are accepted all the same,
    marked as seen in ServerHellos only, as is each such suite; probes that need a whole
    libssl handshake leave those versions alone."""
    versions = {v["version"]: v for v in check(P_LEGACY_ONLY)["versions"]}
    assert {v for v, x in versions.items() if x["verdict"] == "accepted"} == {"1.0", "1.2"}
    for v in ("1.0", "1.2"):
        assert versions[v].get("serverhello_only") is True
        assert {s["name"] for s in versions[v]["cipher_suites"]} == {
            "TLS_RSA_WITH_3DES_EDE_CBC_SHA", "TLS_RSA_WITH_RC4_128_SHA",
            "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", "TLS_ECDHE_RSA_WITH_RC4_128_SHA"}
        assert all(s.get("serverhello_only") and "openssl" not in s
                   for s in versions[v]["cipher_suites"])
        assert versions[v]["cipher_order"] == "client"
        assert "groups" not in versions[v] and "signature_algorithms" not in versions[v]
    # Beside libssl's own, only the suites it lacks are marked.
    mixed = {v["version"]: v for v in check(P_LEGACY)["versions"]}["1.2"]
    assert "serverhello_only" not in mixed
    assert {s["name"] for s in mixed["cipher_suites"] if s.get("serverhello_only")} == {
        "TLS_RSA_WITH_3DES_EDE_CBC_SHA", "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA",
        "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", "TLS_RSA_WITH_CAMELLIA_128_GCM_SHA256",
        "TLS_DHE_RSA_WITH_CAMELLIA_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_CAMELLIA_128_GCM_SHA256",
        "TLS_RSA_WITH_RC4_128_SHA", "TLS_ECDHE_RSA_WITH_RC4_128_SHA"}
    # Secure renegotiation read from such a ServerHello, as gnutls-cli finds it in a
    # whole handshake.
    r = cli(["gnutls-cli", "--insecure", "--priority", LEGACY_ONLY_PRIORITY, "-p", P_LEGACY_ONLY,
             SRV4], timeout=20)
    out = r.stdout.decode(errors="replace")
    assert "Handshake was completed" in out, out
    theirs = "yes" if re.search(r"^- Options:.*safe renegotiation", out, re.M) else "no"
    report = check(P_LEGACY_ONLY)
    assert report["secure_renegotiation"]["supported"] == theirs
    assert report["secure_renegotiation"]["version"] == "1.2"
    r = cli([BIN, "check", "%s:%d" % (SRV4, P_LEGACY_ONLY)])
    assert r.returncode == 0, r.stderr
    text = r.stdout.decode()
    assert re.search(r"^  TLS 1\.0 +accepted \(seen in ServerHellos only", text, re.M), text
    assert re.search(r"^    TLS_RSA_WITH_3DES_EDE_CBC_SHA +\(ServerHello only", text, re.M), text


@pytest.mark.parametrize("port", ALL_TLS)
def test_versions_and_suites_equal_sslscan(lab, port):
    report = check(port)
    # sslscan lists a TLS <= 1.2 suite only after a whole handshake: a listener that
    # requires a client certificate gets one (tlsnoop, as nmap, reads the ServerHello).
    enabled, theirs = sslscan_accepted(port, lab / "client" if port == P_MTLS else None)
    ours = {v["version"]: {s.get("openssl", s["name"]) for s in v["cipher_suites"]}
            for v in report["versions"] if v["verdict"] == "accepted"}
    assert set(ours) == enabled
    assert ours == theirs


@pytest.mark.parametrize("port", [P_WIDE, P_TLS12, P_MTLS, P_LEGACY])
def test_signature_algorithms_and_features_equal_sslscan(lab, port):
    report = check(port)
    client = lab / "client" if port == P_MTLS else None
    sigs, fallback, ocsp = sslscan_features(port, client)
    ours = {v["version"]: set(v["signature_algorithms"]) for v in report["versions"]
            if v.get("signature_algorithms_tried")}
    # sslscan 2.0.7 lists none for a listener without TLS 1.3, and none at TLS 1.2 for
    # one that requires a client certificate (tlsnoop reads the ServerKeyExchange, which
    # comes before the CertificateRequest): compared where it lists any.
    for version in sigs or {}:
        assert ours.get(version) == sigs[version], version
    assert "rsa_pss_rsae_sha256" in ours["1.2"]
    # sslscan counts any refusal of the lower version as support; tlsnoop only
    # inappropriate_fallback, and a lower version refused anyway as not applicable.
    if any(v["verdict"] == "accepted" and v["version"] == report["fallback_scsv"]["version"]
           for v in report["versions"]):
        assert report["fallback_scsv"]["supported"] == fallback
    stapled = report["ocsp_stapling"]
    assert stapled["stapled"] == (ocsp is not None)
    if ocsp:
        assert stapled["certificate_status"] == ocsp and stapled["response_status"] == "successful"
    assert (report["secure_renegotiation"]["supported"] ==
            s_client_secure_renegotiation(port, client))


def test_known_features(lab):
    """What the listeners were configured with, as a check of the check above."""
    wide, tls12 = check(P_WIDE), check(P_TLS12)
    assert wide["ocsp_stapling"]["stapled"] and wide["ocsp_stapling"]["certificate_status"] == "good"
    assert not tls12["ocsp_stapling"]["stapled"]
    assert wide["fallback_scsv"]["supported"] == "yes"
    assert wide["fallback_scsv"]["version"] == "1.2"
    # TLS 1.2 only: OpenSSL refuses a 1.1 retry as a version, before it reads the SCSV.
    assert tls12["fallback_scsv"] == {"supported": "untested", "protocol": "tls",
                                      "version": "1.1",
                                      "detail": "not applicable: TLS 1.1 is refused anyway, "
                                                "no downgrade to guard against"}
    assert wide["secure_renegotiation"] == {"supported": "yes", "protocol": "tls", "version": "1.2"}
    sigs = {v["version"]: set(v["signature_algorithms"]) for v in wide["versions"]
            if v.get("signature_algorithms_tried")}
    assert sigs["1.3"] == {"rsa_pss_rsae_sha256", "rsa_pss_rsae_sha384", "rsa_pss_rsae_sha512"}
    # @SECLEVEL=0 on the wide listener lets SHA-1 sign; OpenSSL 3's default level does not.
    assert "rsa_pkcs1_sha1" in sigs["1.2"]
    tls12_sigs = {v["version"]: set(v["signature_algorithms"]) for v in tls12["versions"]
                  if v.get("signature_algorithms_tried")}
    assert "rsa_pkcs1_sha256" in tls12_sigs["1.2"] and "rsa_pkcs1_sha1" not in tls12_sigs["1.2"]


def test_known_configuration(lab):
    """What the listeners were configured with, as a check of the checks above."""
    wide = accepted(check(P_WIDE))
    assert set(wide) == {"1.0", "1.1", "1.2", "1.3"}
    assert wide["1.2"][:2] == ["TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
                               "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"]
    versions = {v["version"]: v for v in check(P_WIDE)["versions"]}
    assert versions["1.2"]["cipher_order"] == "server"
    # Debian's libssl has no SSL 3.0: a hello of tlsnoop's own asks, and is refused.
    assert versions["3.0"]["verdict"] == "refused"
    # An OpenSSL server accepts nothing its own libssl cannot offer.
    assert not any(s.get("serverhello_only") for v in check(P_WIDE)["versions"]
                   for s in v.get("cipher_suites", []))
    tls12 = check(P_TLS12)
    assert set(accepted(tls12)) == {"1.2"}
    assert {v["version"]: v for v in tls12["versions"]}["1.2"]["cipher_order"] == "client"
    mtls = accepted(check(P_MTLS))
    assert set(mtls["1.3"]) == {"TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"}
    assert check(P_MTLS)["certificate"]["client_certificate_requested"]


def test_groups(lab):
    v13 = {v["version"]: v for v in check(P_WIDE)["versions"]}["1.3"]
    assert {"x25519", "secp256r1"} <= set(v13["groups"])
    assert v13["groups_tried"] >= len(v13["groups"])


# ---------------------------------------------------------------- certificates
def s_client_chain(port, servername):
    """The chain as `openssl s_client -showcerts` shows it: (sha256, notBefore, notAfter)."""
    r = cli(["openssl", "s_client", "-connect", "%s:%d" % (SRV4, port), "-servername",
             servername, "-showcerts"], timeout=30)
    pems = re.findall(rb"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", r.stdout,
                      re.S)
    assert pems, r.stdout
    out = []
    for pem in pems:
        der = ssl.PEM_cert_to_DER_cert(pem.decode())
        r2 = subprocess.run(["openssl", "x509", "-noout", "-startdate", "-enddate", "-dateopt",
                             "iso_8601"], input=pem, capture_output=True, check=True)
        dates = dict(l.split("=", 1) for l in r2.stdout.decode().splitlines())
        out.append((hashlib.sha256(der).hexdigest().upper(),
                    dates["notBefore"].replace(" ", "T").replace("Z", ".000Z"),
                    dates["notAfter"].replace(" ", "T").replace("Z", ".000Z")))
    return out


@pytest.mark.parametrize("port,name", [(P_WIDE, "lab.test"), (P_TLS12, "expired.test")])
def test_chain_equals_s_client(lab, port, name):
    report = check(port, "--servername", name, "--cafile", lab / "ca.crt")
    ours = [(c["sha256"], c["not_before"], c["not_after"])
            for c in report["certificate"]["chain"]]
    assert ours == s_client_chain(port, name)


def test_chain_after_own_hello(lab):
    """A listener libssl cannot finish a handshake with: its chain is read after the
    ServerHello to tlsnoop's own hello, and equals the same certificate served where
    libssl can talk, as s_client shows it and as tlsnoop verifies it there."""
    args = ("--servername", "lab.test", "--cafile", lab / "ca.crt")
    raw = check(P_LEGACY_ONLY, *args)["certificate"]
    full = check(P_LEGACY, *args)["certificate"]
    assert raw.get("serverhello_only") is True and "serverhello_only" not in full
    assert ([(c["sha256"], c["not_before"], c["not_after"]) for c in raw["chain"]] ==
            s_client_chain(P_LEGACY, "lab.test"))
    for key in ("verification", "findings", "name_matches", "chain_complete"):
        assert raw[key] == full[key], key
    assert raw["verification"]["ok"]
    # Without the lab's CA, both fail alike.
    untrusted = check(P_LEGACY_ONLY, "--servername", "lab.test")["certificate"]["verification"]
    assert not untrusted["ok"]
    assert untrusted == check(P_LEGACY, "--servername", "lab.test")["certificate"]["verification"]


def test_certificate_findings(lab):
    good = check(P_WIDE, "--servername", "lab.test", "--cafile", lab / "ca.crt")["certificate"]
    assert good["verification"]["ok"] and good["name_matches"] and good["chain_complete"]
    assert good["findings"] == []
    expired = check(P_TLS12, "--servername", "expired.test",
                    "--cafile", lab / "ca.crt")["certificate"]
    assert "expired" in expired["findings"]
    assert expired["verification"]["text"] == "certificate has expired"
    # The system's store does not know the lab CA.
    untrusted = check(P_WIDE, "--servername", "lab.test")["certificate"]
    assert not untrusted["verification"]["ok"]


def test_sni_side_by_side(lab):
    sni = check(P_WIDE, "--servername", "lab.test", "--cafile", lab / "ca.crt")["sni"]
    assert sni["with_name"]["subject"] == "CN=lab.test" and sni["with_name"]["name_matches"]
    assert sni["without_sni"]["subject"] == "CN=other.test"
    assert sni["unknown_name"]["subject"] == "CN=other.test"
    assert not sni["unknown_name"]["name_matches"]
    # An address: no name to send unless --servername gives one.
    assert not check(P_WIDE)["sni"]["with_name"]["tested"]


# ---------------------------------------------------------------- resumption, ALPN, policy
def test_resumption(lab):
    wide = check(P_WIDE, "--servername", "lab.test")["resumption"]
    assert wide["tls13_ticket_issued"] == "yes" and wide["tls13_ticket_resumed"] == "yes"
    assert wide["tls12_ticket_issued"] == "yes" and wide["tls12_ticket_resumed"] == "yes"
    assert wide["session_id_resumed"] == "yes"
    no_tickets = check(P_TLS12)["resumption"]
    assert no_tickets["tls12_ticket_issued"] == "no"
    assert no_tickets["session_id_resumed"] == "yes"
    assert no_tickets["tls13_ticket_issued"] == "untested"


def test_alpn(lab):
    assert check(P_MTLS)["alpn"] == {"h2": "yes", "http/1.1": "yes", "chosen": "h2"}
    # nginx without http2 on the listener: h2 alone is refused (no_application_protocol).
    assert check(P_TLS12)["alpn"] == {"h2": "no", "http/1.1": "yes", "chosen": "http/1.1"}


def test_policy_misses(lab):
    report = check(P_WIDE, "--policy", "mozilla-intermediate")
    misses = report["policy"]
    versions = {m["version"] for m in misses if "cipher_suite" not in m
                and "group" not in m}
    assert versions == {"1.0", "1.1"}
    suites = {m["cipher_suite"] for m in misses if "cipher_suite" in m}
    assert "TLS_RSA_WITH_AES_256_CBC_SHA" in suites
    assert "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" not in suites


def test_text_output(lab):
    r = cli([BIN, "check", "%s:%d" % (SRV4, P_WIDE), "--servername", "lab.test"])
    out = r.stdout.decode()
    assert r.returncode == 0, r.stderr
    for heading in ("Protocol versions", "Cipher suites accepted", "Groups accepted",
                    "Certificate chain as sent", "Certificate by SNI", "Resumption", "ALPN"):
        assert "\n" + heading in out, out
    assert re.search(r"^  TLS 1\.3 +accepted$", out, re.M), out


# ---------------------------------------------------------------- failures
def one_line_failure(argv, timeout=60):
    t0 = time.monotonic()
    r = cli(argv, timeout=timeout)
    lines = r.stderr.decode(errors="replace").splitlines()
    assert r.returncode == 1, (r.returncode, lines)
    assert len(lines) == 1 and lines[0].startswith("tlsnoop: "), lines
    assert not r.stdout
    return lines[0], time.monotonic() - t0


def test_closed_port(lab):
    line, _ = one_line_failure([BIN, "check", "%s:%d" % (SRV4, P_CLOSED)])
    assert "connection refused" in line


def test_not_tls(lab):
    line, _ = one_line_failure([BIN, "check", "%s:%d" % (SRV4, P_HTTP)])
    assert "not in TLS" in line


def test_slow_server_bounded(lab):
    line, took = one_line_failure([BIN, "check", "%s:%d" % (SRV4, P_SLOW), "--timeout", "2"])
    assert "no TLS answer within 2 s" in line
    assert 1.5 < took < 6, took


def test_unreachable_host(lab):
    # No route from the client namespace to an address outside its /24.
    line, _ = one_line_failure([BIN, "check", "198.19.78.1:443", "--timeout", "2"])
    assert "Network is unreachable" in line


def test_whole_check_bounded(lab):
    """Dozens of probes at 0.3 s each: --max-time 2 stops the check, which says so and
    reports what it had; the probe under way ends at the deadline."""
    t0 = time.monotonic()
    r = cli([BIN, "check", "%s:%d" % (SRV4, P_SLOW_TLS), "--max-time", "2", "--json"])
    took = time.monotonic() - t0
    lines = r.stderr.decode(errors="replace").splitlines()
    assert r.returncode == 1, lines
    assert len(lines) == 1 and "--max-time" in lines[0], lines
    assert 1.5 < took < 6, took
    report = json.loads(r.stdout)
    assert not report["complete"]
    assert report["alpn"]["h2"] == "untested"


BAD_ARGS = [
    [],
    ["%s:0" % SRV4],
    ["%s:99999" % SRV4],
    ["[2001:db8::1"],
    ["host:"],
    [SRV4, "extra"],
    [SRV4, "--timeout", "0"],
    [SRV4, "--policy", "no-such-policy"],
    [SRV4, "--no-such-option"],
    [SRV4, "--servername"],
]


@pytest.mark.parametrize("args", BAD_ARGS, ids=[" ".join(a) or "none" for a in BAD_ARGS])
def test_bad_arguments(lab, args):
    r = cli([BIN, "check"] + args)
    lines = r.stderr.decode(errors="replace").splitlines()
    assert r.returncode == 2, lines
    assert len(lines) == 1 and lines[0].startswith("tlsnoop: "), lines
    assert not r.stdout


def test_cafile_unreadable(lab):
    line, _ = one_line_failure([BIN, "check", SRV4, "--cafile", "/nonexistent/ca.pem"])
    assert "/nonexistent/ca.pem" in line


def test_check_needs_no_root(lab):
    r = cli(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", BIN, "check",
             "%s:%d" % (SRV4, P_TLS12), "--json"])
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["versions"][3]["verdict"] == "accepted"


# ---------------------------------------------------------------- several addresses
def test_first_address_only_by_default(lab):
    r = cli([BIN, "check", MULTI_NAME, "--servername", "lab.test", "--json"])
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["target"]["address"] == "%s:443" % SRV4
    assert report["target"]["addresses_resolved"] == 2
    text = cli([BIN, "check", MULTI_NAME, "--servername", "lab.test"]).stdout.decode()
    assert "one of the 2 addresses the host resolves to (--all-addresses checks each)" in text


def test_all_addresses_compared(lab):
    r = cli([BIN, "check", MULTI_NAME, "--servername", "lab.test", "--all-addresses", "--json"])
    assert r.returncode == 0, r.stderr
    reports = [json.loads(line) for line in r.stdout.decode().splitlines()]
    assert [x["target"]["address"] for x in reports] == ["%s:443" % SRV4, "%s:443" % SRV4_B]
    a, b = ({v["version"] for v in x["versions"] if v["verdict"] == "accepted"}
            for x in reports)
    assert a == {"1.0", "1.1", "1.2", "1.3"} and b == {"1.2"}
    assert reports[1]["certificate"]["chain"][0]["subject"] == "CN=expired.test"
    text = cli([BIN, "check", MULTI_NAME, "--servername", "lab.test", "--all-addresses",
                "--cafile", lab / "ca.crt"])
    out = text.stdout.decode()
    assert text.returncode == 0 and out.count("tlsnoop check multi.test (") == 2, out
    compared = out[out.index("Addresses compared (2 checked)"):]
    assert SRV4 + ":443" in compared and SRV4_B + ":443" in compared
    assert re.search(r"differ in: versions, cipher suites, .*certificate, verification", compared)
