"""Agreement of tlsnoop with other projects, over ../shared/corpus.

Runs `tlsnoop -r` over every capture of the corpus (in parallel), matches its events to the
connections of the corpus's expected.jsonl by client ip:port -> server ip:port, and compares
field by field. Used by tests/e2e/test_agreement.py; run directly it prints the agreement
table of docs/agreement.md and every difference:

    sudo python3 tests/e2e/agreement.py [--differences]

Every difference must be listed, with the class that explains it, in agreement_known.tsv
(next to this file); the classes and their reasons are in DIFFERENCE_CLASSES below.
"""
import gzip
import ipaddress
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
TLSNOOP = Path(os.environ.get("TLSNOOP_BIN", REPO / "tlsnoop"))
CORPUS = Path(os.environ.get("TLSNOOP_CORPUS", REPO.parent / "shared" / "corpus"))
KNOWN_FILE = HERE / "agreement_known.tsv"

SOURCES = ("zeek", "suricata-verify", "ja4", "arkime", "flowtest", "mercury", "ndpi")
FIELDS = ("sni", "offered_version", "selected_version", "cipher", "alpn_offered", "alert",
          "established", "ja3", "ja4")
CAPTURE_SUFFIXES = (".pcap", ".pcapng", ".cap", ".pcap.gz")
TIMEOUT_S = int(os.environ.get("TLSNOOP_AGREEMENT_TIMEOUT", "3"))  # tlsnoop --timeout
READ_TIMEOUT_S = 60         # bounded time for one `tlsnoop -r`
WORKERS = 4                 # tlsnoop -r is mostly BPF loading: 4 runs share 2 CPUs well

# Why a field may differ from the corpus: every line of agreement_known.tsv names one of these.
# "tlsnoop" says who is wrong or differently defined; docs/agreement.md explains each one.
DIFFERENCE_CLASSES = {
    # The connection has no event.
    "in_progress_at_end": "by design: still in progress when the capture ended (idle for less "
        "than --timeout as of the last packet); counted in the summary, not reported",
    "server_only_flow": "by design: only the server's side of the connection is in the "
        "capture (no SYN, no ClientHello); tlsnoop starts following a handshake at the "
        "client's SYN or ClientHello",
    "tunnel_not_decapsulated": "tlsnoop limit (BPF): TLS inside a tunnel (PPPoE, GTP-U, "
        "VXLAN, CAPWAP, 4in6, 6in4) is not decapsulated",
    "l2_cisco_sgt": "tlsnoop limit (BPF): one direction carries a Cisco SGT (CMD, ethertype "
        "0x8909) header, which the L2 parser does not skip; the other direction alone is "
        "not a handshake",
    "tso_total_length_0": "capture artefact: the ClientHello is a TSO segment captured on the "
        "sending host, IPv4 total length 0, which tlsnoop (like the kernel on the wire) skips",
    # The connection has an event.
    "plaintext_before_tls": "by design: TLS after a plaintext preamble (STARTTLS, SOCKS, "
        "HTTP CONNECT, PROXY protocol, MySQL/PostgreSQL/RDP/OpenVPN framing): tlsnoop "
        "watches TLS servers and reports not_tls at the first non-TLS bytes; a ClientHello "
        "later in the stream is not always picked up",
    "sslv2_server": "tlsnoop limit: an SSLv2 ServerHello (2-byte record header) is not "
        "parsed; the server is reported not_tls",
    "version_not_final": "by definition: tlsnoop names only SSL 3.0 to TLS 1.3; a TLS 1.3 "
        "draft (0x7fNN), Facebook's fizz (0xfb1a) or Chrome's experiment (0x7e01) is not "
        "reported as a selected version and is skipped among the offered ones",
    "draft_server_hello_layout": "tlsnoop wrong (BPF): a ServerHello of a TLS 1.3 draft "
        "before 22 has no session id and compression fields; the kernel parses the TLS 1.2 "
        "layout, so the cipher it reports is two bytes of the random",
    "alpn_list_cut": "by design (docs/events.md): tls.client.alpn keeps at most 8 "
        "protocols from the first 32 bytes of the list",
    "hello_over_4096": "by design (docs/fingerprints.md): a ClientHello longer than 4096 "
        "bytes is parsed in part and gets no JA3/JA4",
    "tshark_ja3_no_extensions": "tshark wrong: for a hello without extensions tshark 4.0 "
        "hashes 'version,ciphers,' instead of 'version,ciphers,,,' (Salesforce's reference "
        "and tlsnoop)",
    "client_closed_before_server_hello": "by design: the client sent FIN before any "
        "ServerHello; tlsnoop reports client_abort at that FIN and does not follow the "
        "ServerHello the server sends afterwards",
    "tls13_no_server_record_after_client_finished": "by definition (docs/reasons.md): a TLS "
        "1.3 handshake is established when the server sends a record after the client's "
        "Finished; here it sends none (capture ends, or it closes), so tlsnoop reports a "
        "timeout or server_abort where the others see both sides' encrypted records",
    "encrypted_alert_inferred": "tlsnoop infers an encrypted alert from record sizes and "
        "order (docs/reasons.md); the corpus's heuristic sees encrypted records on both "
        "sides and no plaintext alert, and calls the handshake established",
    "server_hello_after_timeout": "by definition: the ServerHello came 15 s after the "
        "ClientHello, after --timeout; tlsnoop had reported the handshake as a timeout",
    "tshark_missed_handshake": "tshark wrong: two SYN-ACKs with different sequence numbers "
        "confuse its reassembly and it decodes no ServerHello; tlsnoop and nDPI see a full "
        "TLS 1.0 handshake",
}


# ---------------------------------------------------------------- running tlsnoop
def capture_files(corpus=CORPUS):
    return sorted(p for p in corpus.rglob("*") if p.name.endswith(CAPTURE_SUFFIXES))


def expected_rows(corpus=CORPUS):
    """expected.jsonl, grouped by capture (its path relative to the corpus)."""
    rows = defaultdict(list)
    with open(corpus / "expected.jsonl") as f:
        for line in f:
            row = json.loads(line)
            rows[row["file"]].append(row)
    return rows


def server_port(endpoint):
    return int(endpoint.rsplit(":", 1)[1])


def watched_ports(rows):
    return sorted({443} | {server_port(r["server"]) for r in rows})


class Run:
    """One `tlsnoop -r` over a capture: exit status, events, stderr."""

    def __init__(self, name, rc, stdout, stderr, timed_out=False):
        self.name, self.rc, self.stderr, self.timed_out = name, rc, stderr, timed_out
        self.events = [json.loads(l) for l in stdout.splitlines() if l.strip()]

    def in_progress(self):
        """Handshakes the summary counts as still in progress at the end of the capture."""
        for line in self.stderr.splitlines():
            if line.startswith("handshakes still in progress"):
                return int(line.rsplit(":", 1)[1])
        return 0


def run_tlsnoop(path, name, ports, tmpdir):
    if path.name.endswith(".gz"):       # libpcap reads no gzip: a plain copy first
        plain = Path(tmpdir) / path.name[:-3].replace("/", "_")
        with gzip.open(path) as src, open(plain, "wb") as dst:
            shutil.copyfileobj(src, dst)
        path = plain
    argv = [str(TLSNOOP), "-r", str(path), "-p", ",".join(map(str, ports)), "--json",
            "--timeout", str(TIMEOUT_S)]
    try:
        p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=READ_TIMEOUT_S)
        return Run(name, p.returncode, p.stdout, p.stderr)
    except subprocess.TimeoutExpired:
        return Run(name, None, "", "", timed_out=True)


def run_corpus(corpus=CORPUS, workers=WORKERS):
    """{capture name: Run} for every capture with connections in expected.jsonl."""
    rows = expected_rows(corpus)
    jobs = [(p, str(p.relative_to(corpus))) for p in capture_files(corpus)]
    jobs = [(p, n) for p, n in jobs if rows.get(n)]
    with tempfile.TemporaryDirectory() as tmpdir, ThreadPoolExecutor(workers) as pool:
        runs = pool.map(lambda job: run_tlsnoop(job[0], job[1], watched_ports(rows[job[1]]),
                                                tmpdir), jobs)
        return {r.name: r for r in runs}


# ---------------------------------------------------------------- normalising
def get(obj, dotted):
    for part in dotted.split("."):
        if not isinstance(obj, dict) or part not in obj:
            return None
        obj = obj[part]
    return obj


def endpoint(ip, port):
    return "%s:%d" % (ipaddress.ip_address(ip).compressed, port)


def parse_endpoint(text):
    host, port = text.rsplit(":", 1)
    return endpoint(host.strip("[]"), int(port))


TLSNOOP_VERSIONS = {"3.0": "SSLv3", "1.0": "TLSv1.0", "1.1": "TLSv1.1", "1.2": "TLSv1.2",
                    "1.3": "TLSv1.3"}


def version_name(v):
    return TLSNOOP_VERSIONS.get(v, v) if v is not None else None


def wire_text(s):
    """tlsnoop escapes bytes >= 0x7f as \\u00XX: back to bytes, read as UTF-8 (as tshark)."""
    if s is None:
        return None
    try:
        return s.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return s


def expected_alert(row):
    """The alert tlsnoop is meant to report: the first plaintext alert, or the first fatal one
    after a warning (docs/events.md, tls.alert)."""
    alerts = row["alerts"]
    if not alerts:
        return None
    fatal = [a for a in alerts if a["level"] == "fatal"]
    a = fatal[0] if fatal else alerts[0]
    return (a["level"], a["desc"], a["from"])


def tlsnoop_alert(ev):
    alert = get(ev, "tls.alert")
    if not alert or alert.get("encrypted"):
        return None
    return (alert.get("level"), alert.get("description", str(alert.get("code"))),
            alert.get("from"))


def expected_cipher(row):
    """Wireshark's name; a suite Wireshark does not know ("Unknown") by its code, as tlsnoop
    writes it."""
    if row["cipher"] == "Unknown" and row["cipher_code"]:
        return "0x%04X" % int(row["cipher_code"], 16)
    return row["cipher"]


def expected_values(row):
    return {
        "sni": row["sni"],
        "offered_version": row["offered_max_version"],
        "selected_version": row["selected_version"],
        "cipher": expected_cipher(row),
        "alpn_offered": row["alpn_offered"],
        "alert": expected_alert(row),
        "established": row["established"],
        "ja3": row["ja3"],
        "ja4": row["ja4"],
    }


def tlsnoop_values(ev):
    offered = get(ev, "tls.client.supported_versions")
    alpn = get(ev, "tls.client.alpn")
    return {
        "sni": wire_text(get(ev, "tls.client.server_name")),
        "offered_version": version_name(offered[0]) if offered else None,
        "selected_version": version_name(get(ev, "tls.version")),
        "cipher": get(ev, "tls.cipher"),
        "alpn_offered": [wire_text(a) for a in alpn] if alpn else None,
        "alert": tlsnoop_alert(ev),
        "established": get(ev, "tls.established"),
        "ja3": get(ev, "tls.client.ja3"),
        "ja4": get(ev, "tls.client.ja4"),
    }


def disputed_values(row, field):
    """The other values of a dispute between tools that the corpus documents for this field
    (`disagreements`, `ja4_disputed`): an upstream tool's where the corpus took tshark's, and
    tshark's where it took the upstream tool's."""
    values = []
    for d in row["disagreements"]:
        if d["field"] == field:
            values += [d["value"], d["tshark_or_computed"]]
    if field == "ja4":
        values += list(row.get("ja4_disputed", {}).values())
    return [v for v in values if v != expected_values(row)[field]]


# ---------------------------------------------------------------- matching
def event_key(ev):
    return (endpoint(get(ev, "source.ip"), get(ev, "source.port")),
            endpoint(get(ev, "destination.ip"), get(ev, "destination.port")))


def row_key(row):
    return (parse_endpoint(row["client"]), parse_endpoint(row["server"]))


def match(rows, events):
    """[(row, event or None)] in the corpus's order; a connection seen twice on the same
    addresses and ports takes the events in order. An event whose client and server are the
    other way round (both ports watched) matches too. Also returns the events left over."""
    by_key = defaultdict(list)
    for ev in events:
        by_key[event_key(ev)].append(ev)
    rows_on_key = defaultdict(list)
    for row in rows:
        rows_on_key[row_key(row)].append(row)
    pairs = []
    for row in sorted(rows, key=lambda r: r["tcp_stream"]):
        client, server = row_key(row)
        queue = by_key.get((client, server)) or by_key.get((server, client)) or []
        pairs.append((row, take_event(queue, len(rows_on_key[(client, server)]))))
        rows_on_key[(client, server)].pop()
    extra = [ev for queue in by_key.values() for ev in queue]
    return pairs, extra


def take_event(queue, rows_left):
    """The next event of a queue, for one of rows_left connections on the same addresses and
    ports. With more events than connections, the extra ones are attempts that carried no
    ClientHello (a SYN answered by a RST, then a new SYN): skip those first."""
    while len(queue) > rows_left and get(queue[0], "tls.client") is None:
        queue.pop(0)
    return queue.pop(0) if queue else None


# ---------------------------------------------------------------- comparing
AGREE, DISPUTED, DIFFER, NA, NO_EVENT = "agree", "disputed", "differ", "n/a", "no event"


def compare_field(row, ev, field):
    """AGREE, DISPUTED (the other side of a dispute the corpus documents), DIFFER, NO_EVENT
    (no event for the connection) or NA (neither side has a value), with the two values."""
    want = expected_values(row)[field]
    got = tlsnoop_values(ev)[field] if ev is not None else None
    if ev is None:
        return (NA if want is None else NO_EVENT), want, got
    if got == want:
        return (NA if got is None else AGREE), want, got
    if got in disputed_values(row, field):
        return DISPUTED, want, got
    return DIFFER, want, got


class Difference:
    def __init__(self, row, field, want, got):
        self.file, self.client, self.field = row["file"], row["client"], field
        self.want, self.got = want, got

    @property
    def key(self):
        return (self.file, self.client, self.field)

    def __str__(self):
        return "%s %s %s: corpus %r, tlsnoop %r" % (self.file, self.client, self.field,
                                                   self.want, self.got)


class Comparison:
    """The corpus against tlsnoop's runs: counts per source and field, and the differences
    (fields that differ, and connections without an event, as field "event")."""

    def __init__(self, rows, runs):
        self.counts = defaultdict(Counter)       # (source, field) -> Counter of outcomes
        self.differences = []
        self.extra_events = Counter()            # source -> events with no corpus connection
        self.connections = Counter()             # source -> connections compared
        for name, run in sorted(runs.items()):
            self.add_capture(name.split("/")[0], rows[name], run)

    def add_capture(self, source, rows, run):
        pairs, extra = match(rows, run.events)
        self.extra_events[source] += len(extra)
        for row, ev in pairs:
            self.connections[source] += 1
            if ev is None:
                self.differences.append(Difference(row, "event", "an event", None))
            for field in FIELDS:
                outcome, want, got = compare_field(row, ev, field)
                self.counts[(source, field)][outcome] += 1
                if outcome == DIFFER:
                    self.differences.append(Difference(row, field, want, got))

    def rate(self, field, source=None):
        """Agreement among the connections where either side has a value."""
        c = Counter()
        for (src, f), n in self.counts.items():
            if f == field and source in (None, src):
                c.update(n)
        compared = c[AGREE] + c[DISPUTED] + c[DIFFER] + c[NO_EVENT]
        return (c[AGREE] + c[DISPUTED]) / compared if compared else 1.0

    def table(self):
        """Markdown: per source, per field, agree(+disputed) / differ / no event / n/a."""
        head = "| source | connections | " + " | ".join(FIELDS) + " |"
        lines = [head, "|---|---:|" + "---|" * len(FIELDS)]
        for source in SOURCES + ("all",):
            cells = []
            for field in FIELDS:
                c = Counter()
                for (src, f), n in self.counts.items():
                    if f == field and source in ("all", src):
                        c.update(n)
                agree = "%d" % c[AGREE] + ("+%d" % c[DISPUTED] if c[DISPUTED] else "")
                cells.append("%s / %d / %d / %d" % (agree, c[DIFFER], c[NO_EVENT], c[NA]))
            n = sum(self.connections.values()) if source == "all" else self.connections[source]
            lines.append("| %s | %d | %s |" % (source, n, " | ".join(cells)))
        return "\n".join(lines)


# ---------------------------------------------------------------- accepted differences
def load_known(path=KNOWN_FILE):
    """{(file, client, field): class} from agreement_known.tsv: lines of file, client, fields
    (comma-separated; "event": no event) and class, tab-separated; # comments."""
    known = {}
    for line in path.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        file, client, fields, cls = line.split("\t")[:4]
        for field in fields.split(","):
            known[(file, client, field)] = cls
    return known


def known_line(file, client, fields, cls="?"):
    return "\t".join((file, client, ",".join(fields), cls))


def unexplained(differences, known):
    """Differences not in the table, as lines to add to it (class "?")."""
    new = defaultdict(list)
    for d in differences:
        if d.key not in known:
            new[(d.file, d.client)].append(d.field)
    return [known_line(f, c, fields) for (f, c), fields in new.items()]


def stale(differences, known):
    """Table entries that no longer differ."""
    seen = {d.key for d in differences}
    return sorted("\t".join(k) for k in known if k not in seen)


def main(argv):
    rows = expected_rows()
    runs = run_corpus()
    cmp_ = Comparison(rows, runs)
    print(cmp_.table())
    for field in FIELDS:
        print("%-17s %.3f" % (field, cmp_.rate(field)))
    if "--differences" in argv:
        known = load_known() if KNOWN_FILE.exists() else {}
        for d in cmp_.differences:
            print("%s [%s]" % (d, known.get(d.key, "?")))


if __name__ == "__main__":
    main(sys.argv[1:])
