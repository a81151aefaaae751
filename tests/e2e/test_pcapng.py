"""tlsnoop -w FILE.pcapng: the packets of every failed handshake, for Wireshark.

A tlsnoop with `-w` watches the lab's veth-srv while tcpdump records it and clients succeed
and fail in several ways (untrusted certificate, TLS 1.1 only, no SNI, plain HTTP, mTLS
without a certificate over TLS 1.2 and 1.3, a 1.9 KB ClientHello the server refuses, IPv4 and
IPv6). Then `tshark -r` on the written file must find exactly the failed connections, each
from its SYN, its ClientHello decoded with the SNI the event names, the plaintext alert the
event names, and tlsnoop's event line as every packet's comment; the file must be readable
while tlsnoop still runs. `tlsnoop -r` on tcpdump's capture with `-w` must write the same
connections. An unwritable -w path is one line and exit 1, before anything is attached.

One tlsnoop per interface: this module stops the session's tlsnoop (conftest) if it is
running, as test_metrics.py does. Clients use 198.18.0.30-.37 and the lab's IPv6 client;
only 198.18.0.0/15 and 2001:db8::/32 inside the lab's namespaces. Run under the shared lock:

    flock /tmp/tlsnoop-e2e.lock /usr/bin/python3 -m pytest -q -p no:cacheprovider \\
        tests/e2e/test_pcapng.py
"""
import json
import os
import signal
import subprocess
import time
from collections import defaultdict
from pathlib import Path

import pytest

from conftest import CLI6, CLI_NS, EVENT_WAIT_S, LAB_ONLY, REPO, SRV4, SRV6, SRV_NS, get
from test_e2e import curl, s_client
from test_pcap import start_tcpdump, stop

TLSNOOP = Path(os.environ.get("TLSNOOP_BIN", REPO / "tlsnoop"))
ATTACH_WAIT_S = 15.0
STOP_WAIT_S = 10.0
SERVER_PORTS = (443, 8443)
OK_IP = "198.18.0.30"
# Failing clients: source address -> the reason tlsnoop must give.
FAILS = {
    "198.18.0.31": "untrusted_certificate",
    "198.18.0.32": "protocol_version",
    "198.18.0.33": "missing_sni",
    "198.18.0.34": "not_tls",
    "198.18.0.35": "client_certificate",      # TLS 1.2: plaintext alert 40
    "198.18.0.36": "client_certificate",      # TLS 1.3: encrypted alert, inferred
    "198.18.0.37": "no_shared_cipher",        # a 1.9 KB ClientHello, in two segments
}
MY_IPS = {OK_IP, *FAILS}
TSHARK_FIELDS = ("frame.number", "frame.comment", "ip.src", "ipv6.src", "tcp.srcport",
                 "ip.dst", "ipv6.dst", "tcp.dstport", "tcp.flags.syn", "tcp.flags.ack",
                 "tcp.payload", "tls.handshake.type", "tls.handshake.extensions_server_name",
                 "tls.alert_message.level", "tls.alert_message.desc")

pytestmark = pytest.mark.skipif(LAB_ONLY, reason="TLSNOOP_E2E_LAB_ONLY=1: tlsnoop not run")

# A ClientHello padded to about 1.9 KB (as with a post-quantum key share) offering only
# TLS_RSA_WITH_RC4_128_SHA, which the lab's nginx refuses: alert 40, no_shared_cipher.
BIG_HELLO_CLIENT = r"""
import json, socket, struct, sys
src, dst = sys.argv[1], sys.argv[2]
name = b"lab.test"
sni = struct.pack("!HHHBH", 0, len(name) + 5, len(name) + 3, 0, len(name)) + name
pad = struct.pack("!HH", 21, 1800) + bytes(1800)
exts = sni + pad
body = (b"\x03\x03" + bytes(range(32)) + b"\x00" + b"\x00\x02\x00\x05" + b"\x01\x00"
        + struct.pack("!H", len(exts)) + exts)
hs = b"\x01" + struct.pack("!I", len(body))[1:] + body
rec = b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs
s = socket.socket()
s.settimeout(5)
s.bind((src, 0))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
s.connect((dst, 443))
s.sendall(rec)
reply = s.recv(64)
print(json.dumps({"local_port": s.getsockname()[1], "hello_len": len(rec),
                  "reply": reply.hex()}))
s.close()
"""


# ---------------------------------------------------------------- helpers
def in_srv(argv, timeout=30):
    return subprocess.run(["ip", "netns", "exec", SRV_NS] + [str(a) for a in argv],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=timeout)


def tlsnoop_in_srv():
    for pid in in_srv(["ip", "netns", "pids", SRV_NS]).stdout.split():
        try:
            if Path("/proc/%s/comm" % pid).read_text().strip() == "tlsnoop":
                return True
        except OSError:
            pass
    return False


def read_events(path):
    try:
        lines = path.read_text(errors="replace").splitlines(keepends=True)
    except FileNotFoundError:
        return []
    return [json.loads(l) for l in lines if l.endswith("\n") and l.strip()]


def conn_key(ev):
    return (get(ev, "source.ip"), get(ev, "source.port"))


def mine(events):
    """This module's connections: (client ip, client port) -> event."""
    return {conn_key(e): e for e in events
            if get(e, "source.ip") in MY_IPS or get(e, "source.ip") == CLI6}


def tshark_packets(path):
    """Each packet of the file as a dict of TSHARK_FIELDS (lists for repeated fields)."""
    argv = ["tshark", "-n", "-r", str(path), "-o", "tcp.desegment_tcp_streams:TRUE",
            "-d", "tcp.port==8443,tls", "-T", "fields", "-E", "separator=\t",
            "-E", "occurrence=a", "-E", "aggregator=|"]
    for f in TSHARK_FIELDS:
        argv += ["-e", f]
    r = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, "tshark -r %s failed:\n%s" % (path, r.stderr)
    out = []
    for line in r.stdout.splitlines():
        vals = line.split("\t")
        vals += [""] * (len(TSHARK_FIELDS) - len(vals))
        out.append({f: (v.split("|") if v else []) for f, v in zip(TSHARK_FIELDS, vals)})
    return out


def one(p, field):
    return p[field][0] if p[field] else None


def by_connection(packets):
    """Packets grouped by their client endpoint (the side whose port is not a server's)."""
    conns = defaultdict(list)
    for p in packets:
        src = one(p, "ip.src") or one(p, "ipv6.src")
        dst = one(p, "ip.dst") or one(p, "ipv6.dst")
        sport, dport = int(one(p, "tcp.srcport")), int(one(p, "tcp.dstport"))
        from_client = dport in SERVER_PORTS
        client = (src, sport) if from_client else (dst, dport)
        conns[client].append(dict(p, from_client=from_client))
    return conns


def check_written(packets, events):
    """The file holds exactly the failed connections of `events` (this module's), each as
    its event says."""
    conns = by_connection(packets)
    failed = {k: e for k, e in events.items() if get(e, "event.outcome") == "failure"}
    assert set(conns) == set(failed), ("the file's connections are not the failed ones",
                                       sorted(conns), sorted(failed))
    for k, ev in failed.items():
        pkts, reason = conns[k], get(ev, "event.reason")
        ip, port = k
        where = "%s:%s (%s)" % (ip, port, reason)
        first = pkts[0]
        assert first["from_client"] and one(first, "tcp.flags.syn") in ("1", "True") \
            and one(first, "tcp.flags.ack") in ("0", "False"), ("not from its SYN", where)
        endpoint = ("[%s]:%d" if ":" in ip else "%s:%d") % (ip, port)
        for p in pkts:
            comment = " ".join(p["frame.comment"])
            assert comment.startswith("tlsnoop: ") and " FAIL %s " % reason in comment \
                and endpoint + " -> " in comment, ("comment", where, comment)
        sni = get(ev, "tls.client.server_name")
        if sni:
            assert all("sni=" + sni in " ".join(p["frame.comment"]) for p in pkts), where
            hellos = [p for p in pkts if p["from_client"] and "1" in p["tls.handshake.type"]]
            assert hellos, ("no ClientHello decoded", where)
            assert sni in hellos[0]["tls.handshake.extensions_server_name"], (where, hellos)
        alert = get(ev, "tls.alert")
        if alert and not alert.get("encrypted"):
            from_client = alert["from"] == "client"
            alerts = [p for p in pkts if p["from_client"] == from_client
                      and str(alert["code"]) in p["tls.alert_message.desc"]]
            assert alerts, ("alert %s from %s not decoded" % (alert["code"], alert["from"]),
                            where, pkts)
            assert "2" in alerts[-1]["tls.alert_message.level"], where
        if reason == "not_tls":
            payloads = [one(p, "tcp.payload") for p in pkts if p["from_client"]
                        and one(p, "tcp.payload")]
            assert payloads and payloads[0].replace(":", "").startswith("474554"), where
    return conns


# ---------------------------------------------------------------- the live run
class LiveRun:
    def __init__(self, d):
        self.dir = d
        self.pcapng = d / "failed.pcapng"
        self.events_path = d / "events.ndjson"
        self.err_path = d / "tlsnoop.stderr"
        self.capture = d / "lab.pcap"
        self.proc = None
        self.rc = None
        self.events = {}
        self.packets_mid_run = []
        self.big_hello_len = 0

    def start(self):
        with open(self.err_path, "wb") as err:
            self.proc = subprocess.Popen(
                ["ip", "netns", "exec", SRV_NS, str(TLSNOOP), "-i", "veth-srv", "-p",
                 "443,8443", "--json", "-o", str(self.events_path), "--timeout", "3",
                 "-w", str(self.pcapng)],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
                cwd=str(REPO), start_new_session=True)
        deadline = time.monotonic() + ATTACH_WAIT_S
        while "tlsnoop: attached" not in self.stderr():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail("tlsnoop -w did not attach; stderr:\n" + self.stderr(),
                            pytrace=False)
            time.sleep(0.1)

    def stderr(self):
        try:
            return self.err_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def stop(self):
        stop(self.proc)
        return self.proc.returncode


def drive_clients(lab):
    """Successes and failures; returns how many connections were made."""
    n = 0
    r = curl(lab, OK_IP, "https://lab.test/", "--cacert", lab.ca, "--tlsv1.3")
    assert r.rc == 0, r
    r = curl(lab, OK_IP, "https://lab.test/", "--cacert", lab.ca, "--tls-max", "1.2")
    assert r.rc == 0, r
    r = curl(lab, CLI6, "https://lab.test/", "-6", "--cacert", lab.ca,
             "--resolve", "lab.test:443:[%s]" % SRV6)
    assert r.rc == 0, r
    n += 3
    r = curl(lab, "198.18.0.31", "https://lab.test/", "--tls-max", "1.2")
    assert r.rc == 60, r
    r = curl(lab, CLI6, "https://lab.test/", "-6", "--tls-max", "1.2",
             "--resolve", "lab.test:443:[%s]" % SRV6)
    assert r.rc == 60, r
    r = s_client(lab, "198.18.0.32", "-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0",
                 "-servername", "lab.test")
    assert "SSL alert number 70" in r.stdout + r.stderr, r
    r = s_client(lab, "198.18.0.33", "-noservername")
    assert "SSL alert number 112" in r.stdout + r.stderr, r
    r = curl(lab, "198.18.0.34", "http://%s:443/" % SRV4)
    assert r.rc == 0, r
    r = curl(lab, "198.18.0.35", "https://lab.test:8443/", "--cacert", lab.ca,
             "--tls-max", "1.2")
    assert r.rc == 35, r
    r = curl(lab, "198.18.0.36", "https://lab.test:8443/", "--cacert", lab.ca, "--tlsv1.3")
    assert r.rc in (55, 56), r
    r = lab.cli(["/usr/bin/python3", "-c", BIG_HELLO_CLIENT, "198.18.0.37", SRV4], timeout=15)
    assert r.returncode == 0, r
    big = json.loads(r.stdout)
    assert big["hello_len"] > 1800 and big["reply"].startswith("15030"), big
    n += 8
    return n, big["hello_len"]


def wait_events(path, n):
    deadline = time.monotonic() + 2 * EVENT_WAIT_S
    while True:
        evs = mine(read_events(path))
        if len(evs) >= n or time.monotonic() > deadline:
            return evs
        time.sleep(0.1)


@pytest.fixture(scope="module")
def live(lab, request, tmp_path_factory):
    if tlsnoop_in_srv():    # one tlsnoop per interface: the session's must go first
        request.getfixturevalue("tlsnoop").stop(teardown=True)
    run = LiveRun(tmp_path_factory.mktemp("pcapng"))
    tcpdump = start_tcpdump(run.capture, run.dir / "tcpdump.log")
    try:
        run.start()
        n, run.big_hello_len = drive_clients(lab)
        run.events = wait_events(run.events_path, n)
        assert len(run.events) == n, ("events", run.events, run.stderr())
        # Written connection by connection: readable while tlsnoop still runs.
        run.packets_mid_run = tshark_packets(run.pcapng)
        time.sleep(0.5)     # the last packets reach tcpdump's file too
    finally:
        stop(tcpdump)
        if run.proc:
            run.rc = run.stop()
    yield run


# ---------------------------------------------------------------- tests
def test_events_as_expected(live):
    got = defaultdict(list)
    for (ip, _), ev in live.events.items():
        got[ip].append(get(ev, "event.reason") if get(ev, "event.outcome") == "failure"
                       else "ok")
    assert sorted(got[OK_IP]) == ["ok", "ok"], got
    assert sorted(got[CLI6]) == ["ok", "untrusted_certificate"], got
    for ip, reason in FAILS.items():
        assert got[ip] == [reason], (ip, got)


def test_live_file_has_exactly_the_failures(live):
    assert live.rc == 0, live.stderr()
    packets = tshark_packets(live.pcapng)
    # Readable mid-run, and then only added to.
    assert packets[:len(live.packets_mid_run)] == live.packets_mid_run
    conns = check_written(packets, live.events)
    n_failed = sum(get(e, "event.outcome") == "failure" for e in live.events.values())
    assert "tlsnoop: wrote %d failed handshakes (%d packets) to %s\n" % (
        n_failed, len(packets), live.pcapng) in live.stderr(), live.stderr()
    big = [k for k in conns if k[0] == "198.18.0.37"][0]
    sent = sum(len(one(p, "tcp.payload").replace(":", "")) // 2 for p in conns[big]
               if p["from_client"] and one(p, "tcp.payload"))
    assert sent == live.big_hello_len, ("the big ClientHello is not whole", sent)


def test_capinfos(live):
    r = subprocess.run(["capinfos", "-t", "-E", "-I", "-T", "-r", str(live.pcapng)],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split("\t")[1:] == ["pcapng", "ether\n"], r.stdout


def test_offline_writes_the_same_connections(live, tmp_path):
    out = tmp_path / "offline.pcapng"
    p = subprocess.run([str(TLSNOOP), "-r", str(live.capture), "-p", "443,8443", "--json",
                        "--timeout", "3", "-w", str(out)], stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, timeout=60, cwd=str(REPO))
    assert p.returncode == 0, p.stderr
    events = mine(json.loads(l) for l in p.stdout.splitlines() if l.strip())
    assert sorted(events) == sorted(live.events), p.stderr
    offline = check_written(tshark_packets(out), events)
    online = by_connection(tshark_packets(live.pcapng))
    for k in online:
        assert len(offline[k]) == len(online[k]), ("packets of %s:%s" % k, offline[k],
                                                    online[k])


def test_unwritable_path(live, tmp_path):
    """Opened before the interface is locked or anything attached: one line, exit 1."""
    bad = tmp_path / "no" / "such" / "dir" / "x.pcapng"
    r = in_srv([TLSNOOP, "-i", "veth-srv", "-w", bad])
    assert r.returncode == 1, r
    assert r.stderr.splitlines() == ["tlsnoop: cannot write packets to '%s': No such file "
                                     "or directory" % bad], r
    r = subprocess.run([str(TLSNOOP), "-r", str(live.capture), "-w", ""],
                       capture_output=True, text=True, timeout=10)
    assert r.returncode == 2 and r.stderr.splitlines() == [
        "tlsnoop: bad packet file name '' (see tlsnoop --help)"], r
