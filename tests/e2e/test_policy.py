"""Ground truth for the security-policy what-if (--policy, tlsnoop whatif): a real nginx
configured with a policy's protocols and cipher string, a varied set of real clients (curl,
openssl s_client, gnutls-cli, python ssl), and tlsnoop watching the server with the same
--policy. For every client, tlsnoop's predicted verdict must match what the server did:
a success event <=> accept. The whatif report must count the rejected clients and
handshakes. And `tlsnoop check --policy P --trace EVENTS` on that server, given the events
of those clients, must name as rejected exactly the client families (JA4) the server
rejected, each with as many handshakes.

Run as root from the repository root, after `make`, under the shared e2e lock:

    flock /tmp/tlsnoop-e2e.lock /usr/bin/python3 -m pytest -q -p no:cacheprovider \\
        tests/e2e/test_policy.py

Independent of the lab: its own namespaces tlsn-pol-srv / tlsn-pol-cli joined by a veth
pair, 198.19.42.1 (nginx, where tlsnoop watches) and one client address per case from
198.19.42.10 up, torn down with every process it started. TLSNOOP_E2E_KEEP=DIR keeps the
events, the whatif report and the matrix (client x policy x predicted x actual) there.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from test_cli import BIN, REPO, del_netns, nginx_conf, require_root_and_tlsnoop, stop

PYTHON = "/usr/bin/python3"

NS_SRV = "tlsn-pol-srv"
NS_CLI = "tlsn-pol-cli"
IF_SRV = "veth-polsrv"
IF_CLI = "veth-polcli"
SRV4 = "198.19.42.1"
CLI_BASE = "198.19.42."
CLI_FIRST = 10

ATTACH_WAIT_S = 15.0
EVENT_WAIT_S = 8.0

# The policies as a server is configured with them (docs/policies.md): nginx's
# ssl_protocols and ssl_ciphers; TLS 1.3 keeps OpenSSL's default suites, the three both
# policies list. ssl_ecdh_curve: the policy's groups, or OpenSSL's defaults ("auto").
POLICIES = {
    "ELBSecurityPolicy-TLS13-1-2-Res-2021-06": dict(
        protocols="TLSv1.2 TLSv1.3", curves="auto",
        ciphers="ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384"),
    "mozilla-intermediate": dict(
        protocols="TLSv1.2 TLSv1.3", curves="X25519:prime256v1:secp384r1",
        ciphers="ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
                "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305"),
    "ELBSecurityPolicy-FS-1-2-Res-2020-10": dict(
        protocols="TLSv1.2", curves="auto",
        ciphers="ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384"),
}

URL = "https://%s/" % SRV4
S_CLIENT = ["openssl", "s_client", "-connect", SRV4 + ":443", "-servername", "pol.test"]
SECLEVEL0 = "DEFAULT@SECLEVEL=0"    # lets OpenSSL 3 clients send TLS 1.0/1.1 hellos
GNUTLS = ["gnutls-cli", "--insecure", "--port", "443", SRV4]
PY_CLIENT = r"""
import socket, ssl, sys
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
if sys.argv[2] != "-":
    ctx.maximum_version = getattr(ssl.TLSVersion, sys.argv[2])
if sys.argv[3] != "-":
    ctx.set_ciphers(sys.argv[3])
with socket.create_connection((sys.argv[1], 443), timeout=5) as s:
    with ctx.wrap_socket(s, server_hostname="pol.test") as t:
        print(t.version(), t.cipher()[0])
"""

# (name, argv): what each client offers is in its name; the server's answer is the truth.
CLIENTS = [
    ("curl default", ["curl", "-sk", "-o", "/dev/null", URL]),
    ("curl --tls-max 1.2", ["curl", "-sk", "-o", "/dev/null", "--tls-max", "1.2", URL]),
    ("curl 1.2 ECDHE-RSA-AES128-SHA", ["curl", "-sk", "-o", "/dev/null", "--tls-max", "1.2",
                                       "--ciphers", "ECDHE-RSA-AES128-SHA", URL]),
    ("curl 1.2 AES128-GCM-SHA256 (RSA kx)", ["curl", "-sk", "-o", "/dev/null", "--tls-max",
                                             "1.2", "--ciphers", "AES128-GCM-SHA256", URL]),
    ("curl 1.2 ECDHE-RSA-CHACHA20", ["curl", "-sk", "-o", "/dev/null", "--tls-max", "1.2",
                                     "--ciphers", "ECDHE-RSA-CHACHA20-POLY1305", URL]),
    ("s_client -tls1", S_CLIENT + ["-tls1", "-cipher", SECLEVEL0]),
    ("s_client -tls1_1", S_CLIENT + ["-tls1_1", "-cipher", SECLEVEL0]),
    ("s_client -tls1_2", S_CLIENT + ["-tls1_2"]),
    ("s_client -tls1_3", S_CLIENT + ["-tls1_3"]),
    ("s_client -tls1_2 ECDSA suites only", S_CLIENT + [
        "-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384"]),
    ("s_client -tls1_2 DHE only", S_CLIENT + ["-tls1_2", "-cipher", "DHE-RSA-AES128-GCM-SHA256"]),
    ("s_client -tls1_3 CCM suite only", S_CLIENT + ["-tls1_3", "-ciphersuites",
                                                    "TLS_AES_128_CCM_SHA256"]),
    ("s_client -tls1_3 -groups P-521", S_CLIENT + ["-tls1_3", "-groups", "P-521"]),
    ("s_client -tls1_3 -groups X448", S_CLIENT + ["-tls1_3", "-groups", "X448"]),
    ("s_client -tls1_2 ECDHE -groups P-521", S_CLIENT + [
        "-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256", "-groups", "P-521"]),
    ("s_client -tls1_2 ECDHE -groups brainpoolP256r1", S_CLIENT + [
        "-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256", "-groups", "brainpoolP256r1"]),
    ("s_client -tls1_3 -sigalgs ECDSA only", S_CLIENT + [
        "-tls1_3", "-sigalgs", "ECDSA+SHA256:ECDSA+SHA384"]),
    ("s_client -tls1_3 -sigalgs rsa_pkcs1 only", S_CLIENT + ["-tls1_3", "-sigalgs",
                                                             "RSA+SHA256:RSA+SHA384"]),
    ("s_client -tls1_2 -sigalgs ECDSA only", S_CLIENT + ["-tls1_2", "-sigalgs", "ECDSA+SHA256"]),
    ("gnutls-cli TLS1.2 ECDSA sigalgs only", GNUTLS + [
        "--priority", "NORMAL:-VERS-ALL:+VERS-TLS1.2:-SIGN-ALL:+SIGN-ECDSA-SHA256"]),
    ("s_client -tls1_2 -sigalgs rsa_pkcs1", S_CLIENT + [
        "-tls1_2", "-sigalgs", "RSA+SHA256", "-cipher", "ECDHE-RSA-AES256-GCM-SHA384"]),
    ("gnutls-cli NORMAL", GNUTLS + ["--priority", "NORMAL"]),
    ("gnutls-cli TLS1.2 no GCM", GNUTLS + [
        "--priority", "NORMAL:-VERS-ALL:+VERS-TLS1.2:-AES-128-GCM:-AES-256-GCM"]),
    ("gnutls-cli TLS1.3 SECP521R1 only", GNUTLS + [
        "--priority", "NORMAL:-VERS-ALL:+VERS-TLS1.3:-GROUP-ALL:+GROUP-SECP521R1"]),
    ("gnutls-cli TLS1.1", GNUTLS + ["--priority", "NORMAL:-VERS-ALL:+VERS-TLS1.1"]),
    ("python ssl default", [PYTHON, "-c", PY_CLIENT, SRV4, "-", "-"]),
    ("python ssl 1.2 ECDHE-RSA-AES256-SHA384", [PYTHON, "-c", PY_CLIENT, SRV4, "TLSv1_2",
                                                "ECDHE-RSA-AES256-SHA384"]),
]


def run(argv, timeout=15, check=True):
    r = subprocess.run([str(a) for a in argv], stdin=subprocess.DEVNULL, capture_output=True,
                       text=True, timeout=timeout)
    if check and r.returncode != 0:
        pytest.fail("%s failed (%d): %s%s" % (" ".join(map(str, argv)), r.returncode, r.stdout,
                                              r.stderr), pytrace=False)
    return r




@pytest.fixture(scope="module")
def net(tmp_path_factory):
    require_root_and_tlsnoop()
    for tool in ("nginx", "curl", "openssl", "gnutls-cli"):
        if not shutil.which(tool):
            pytest.fail("%s missing: run scripts/deps.sh" % tool, pytrace=False)
    d = tmp_path_factory.mktemp("policy")
    del_netns((NS_SRV, NS_CLI))
    try:
        run(["ip", "netns", "add", NS_SRV])
        run(["ip", "netns", "add", NS_CLI])
        run(["ip", "link", "add", IF_SRV, "netns", NS_SRV, "type", "veth", "peer", "name",
             IF_CLI, "netns", NS_CLI])
        for ns, dev, ip in ((NS_SRV, IF_SRV, SRV4), (NS_CLI, IF_CLI, CLI_BASE + "2")):
            run(["ip", "-n", ns, "link", "set", dev, "addrgenmode", "none"])
            run(["ip", "-n", ns, "addr", "add", ip + "/24", "dev", dev])
            run(["ip", "-n", ns, "link", "set", dev, "up"])
            run(["ip", "-n", ns, "link", "set", "lo", "up"])
        for i in range(len(CLIENTS)):
            run(["ip", "-n", NS_CLI, "addr", "add", client_ip(i) + "/24", "dev", IF_CLI])
        run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
             "-subj", "/CN=pol.test", "-addext", "subjectAltName=DNS:pol.test",
             "-keyout", d / "pol.key", "-out", d / "pol.crt"])
        yield d
    finally:
        del_netns((NS_SRV, NS_CLI))


def client_ip(i):
    return CLI_BASE + str(CLI_FIRST + i)


NGINX_SERVER = """
    server {{
        listen {ip}:443 ssl;
        server_name pol.test;
        ssl_certificate {d}/pol.crt;
        ssl_certificate_key {d}/pol.key;
        ssl_protocols {protocols};
        ssl_ciphers {ciphers};
        ssl_ecdh_curve {curves};
        ssl_session_tickets off;
        ssl_session_cache off;
        location / {{ return 200 "ok\\n"; }}
    }}
"""


def start_nginx(d, policy):
    conf = nginx_conf(d, NGINX_SERVER.format(d=d, ip=SRV4, **POLICIES[policy]))
    p = subprocess.Popen(["ip", "netns", "exec", NS_SRV, "nginx", "-c", str(conf)],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=open(d / "nginx.stderr", "wb"), start_new_session=True)
    deadline = time.monotonic() + 10
    while run(["ip", "netns", "exec", NS_SRV, "ss", "-ltnH", "sport = :443"],
              check=False).stdout.strip() == "":
        if p.poll() is not None or time.monotonic() > deadline:
            stop(p, signal.SIGKILL)
            pytest.fail("nginx did not start: %s" % (d / "nginx.stderr").read_text(),
                        pytrace=False)
        time.sleep(0.1)
    return p


def start_whatif(d, policy):
    err = d / "tlsnoop.stderr"
    with open(d / "whatif.stdout", "wb") as o, open(err, "wb") as e:
        p = subprocess.Popen(["ip", "netns", "exec", NS_SRV, BIN, "whatif", "--policy", policy,
                              "-i", IF_SRV, "--json", "-o", d / "events.ndjson",
                              "--timeout", "3"], stdin=subprocess.DEVNULL, stdout=o, stderr=e,
                             cwd=str(REPO), start_new_session=True)
    deadline = time.monotonic() + ATTACH_WAIT_S
    while "tlsnoop: attached" not in err.read_text(errors="replace"):
        if p.poll() is not None or time.monotonic() > deadline:
            stop(p, signal.SIGKILL)
            pytest.fail("tlsnoop did not attach: %s" % err.read_text(), pytrace=False)
        time.sleep(0.1)
    return p


def events(d):
    try:
        lines = (d / "events.ndjson").read_text().split("\n")[:-1]  # whole lines only
    except FileNotFoundError:
        return []
    return [json.loads(l) for l in lines if l.strip()]


def wait_event(d, ip):
    deadline = time.monotonic() + EVENT_WAIT_S
    while time.monotonic() < deadline:
        evs = [e for e in events(d) if e["source"]["ip"] == ip]
        if evs:
            return evs[0]
        time.sleep(0.1)
    return None


def check_trace(d, policy):
    """tlsnoop check of the server, with the clients' events as its trace: its JSON."""
    r = run(["ip", "netns", "exec", NS_CLI, BIN, "check", SRV4 + ":443", "--servername",
             "pol.test", "--cafile", d / "pol.crt", "--policy", policy, "--trace",
             d / "events.ndjson", "--json", "--timeout", "3", "--max-time", "90"],
            timeout=120, check=False)
    (d / "check.json").write_text(r.stdout + r.stderr)
    assert r.returncode == 0, r.stdout + r.stderr
    return json.loads(r.stdout)


def rejected_by_ja4(evs):
    """{JA4: handshakes} of the events whose handshake the server refused."""
    out = {}
    for ev in evs:
        ja4 = ev.get("tls", {}).get("client", {}).get("ja4")
        if ja4 and ev["event"]["outcome"] != "success":
            out[ja4] = out.get(ja4, 0) + 1
    return out


def verdict_of(ev, policy):
    """(verdict, why) from tlsnoop.policy, or None when the hello was not judged."""
    v = ev.get("tlsnoop", {}).get("policy")
    if v is None:
        return None
    assert isinstance(v, dict) and v["name"] == policy, v
    assert (v["verdict"] == "accept") == ("why" not in v), v
    return v["verdict"], v.get("why")


@pytest.mark.parametrize("policy", list(POLICIES))
def test_verdicts_match_a_real_server(net, policy):
    d = net / policy
    d.mkdir()
    (d / "pol.crt").write_bytes((net / "pol.crt").read_bytes())
    (d / "pol.key").write_bytes((net / "pol.key").read_bytes())
    nginx = start_nginx(d, policy)
    tlsnoop = start_whatif(d, policy)
    rows, mismatches, rejected = [], [], set()
    try:
        for i, (name, argv) in enumerate(CLIENTS):
            ip = client_ip(i)
            run(["ip", "-n", NS_CLI, "route", "replace", SRV4 + "/32", "dev", IF_CLI, "src", ip])
            try:
                run(["ip", "netns", "exec", NS_CLI] + argv, timeout=10, check=False)
            except subprocess.TimeoutExpired:
                pass
            ev = wait_event(d, ip)
            if ev is None:
                mismatches.append("%s: no event" % name)
                continue
            actual = "accept" if ev["event"]["outcome"] == "success" else "reject"
            v = verdict_of(ev, policy)
            predicted = v[0] if v else "not judged"
            why = (v[1] or "") if v else ""
            if predicted == "reject":
                rejected.add(ip)
            rows.append((name, policy, predicted + ("(%s)" % why if why else ""), actual,
                         ev["event"].get("reason", "-")))
            if predicted != actual:
                mismatches.append("%s: predicted %s (%s), server: %s (%s)" % (
                    name, predicted, why, actual, ev["event"].get("reason")))
        # The events are whole once tlsnoop has stopped; check's own handshakes are
        # not among them.
        stop(tlsnoop)
        checked = check_trace(d, policy)
    finally:
        stop(tlsnoop)
        stop(nginx, signal.SIGQUIT)
    matrix = "\n".join("%-42s %-40s %-18s %-7s %s" % r for r in rows)
    keep = os.environ.get("TLSNOOP_E2E_KEEP")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copytree(d, Path(keep) / policy, dirs_exist_ok=True)
        with open(Path(keep) / "matrix.txt", "a") as f:
            f.write(matrix + "\n")
    print("\n" + matrix)
    assert not mismatches, "\n".join(mismatches) + "\n" + matrix
    # Every reason the real server can be made to show, for this policy.
    reasons = {r[2] for r in rows}
    for want in ("reject(version)", "reject(cipher)", "reject(group)", "reject(sigalg)",
                 "accept"):
        assert want in reasons, (want, matrix)
    # The whatif report counts the same clients and handshakes.
    report = (d / "whatif.stdout").read_text()
    m = re.search(r"moving to (\S+) breaks (\d+) clients \((\d+) handshakes\)", report)
    assert m and m.group(1) == policy, report
    assert int(m.group(2)) == len(rejected) and int(m.group(3)) == len(rejected), report
    assert "by JA4" in report and "by highest offered version" in report, report
    # check --trace names the families the server refused, with their handshakes.
    evs = events(d)
    trace = checked["trace"]
    assert trace["events"] == len(evs) == trace["to_listener"], trace
    assert trace["certificate"] == "rsa" and not trace["certificate_assumed"], trace
    judged = trace["policies"][0]
    assert judged["name"] == policy and trace["not_judged"] == 0, trace
    assert judged["judged"]["handshakes"] == len(evs), judged
    want = rejected_by_ja4(evs)
    got = {row["ja4"]: row["handshakes"] for row in judged["by_ja4"]}
    assert got == want, (got, want)
    assert judged["rejected"]["handshakes"] == sum(want.values()), judged
