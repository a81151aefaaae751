#!/usr/bin/env bash
# Load without loss: tlsnoop watching a real nginx (2 workers) in the namespace lab while a
# load generator performs at least HANDSHAKES TLS handshakes with a known mix of outcomes;
# tlsnoop's events per outcome and reason must equal nginx's own logs exactly, with no
# event or ClientHello lost. Prints a markdown table on stdout (bench/run.sh appends it to
# docs/performance.md's generated block); progress on stderr.
#
#   sudo bench/bench_load.sh
#
# 1. Under flock /tmp/tlsnoop-e2e.lock (held while the lab is up, as the e2e tests and
#    bench_offline.sh do), scripts/lab.sh brings the lab up; a second nginx, configured
#    here (DIR/nginx.conf), runs in tlsn-srv on 198.18.0.1:4443 with 2 worker processes,
#    TLS 1.2 and 1.3 with the lab nginx's cipher list, no session cache and no tickets (every
#    handshake is a full one), keepalive off, an access log with $ssl_protocol, $ssl_cipher and
#    $ssl_session_reused, and its error log at info (handshake failures). Certificate: the
#    lab's lab.test (RSA 2048), or with BENCH_LOAD_CERT=ecdsa a P-256 one made here.
# 2. tlsnoop -i veth-srv -p 4443 --json -o FILE --per-client-rate 0 --metrics 127.0.0.1:9101
#    runs in tlsn-srv under GNU time (the load generator's successes all come from one
#    address, at more than the default budget of 1000 new handshakes/s per client).
#    kernel.bpf_stats_enabled is set to 1 for the run (restored after) for the programs'
#    own run time.
# 3. Rounds of ROUND seconds until the successes and the failures reach their share of
#    HANDSHAKES, or CAP seconds have passed: each round runs, in tlsn-cli, four
#    `openssl s_time -new -www /` (two -tls1_3, two -tls1_2: a new full handshake and one
#    GET per connection, HTTP/1.0) and bench/load_clients.py, which opens a given count of
#    three failures, paced over the round, from their own addresses: a TLS 1.1-only client
#    (protocol_version), TLS 1.2 offering only AES128-SHA (no_shared_cipher), and plain HTTP
#    to the TLS port (not_tls). The failures' count per round is FAIL_PCT% of the
#    handshakes, from the previous round's success rate.
# 4. After the load: 2 s for the last events, tlsnoop's metrics, CPU time (/proc/PID/stat)
#    and peak RSS, its programs' run time (bpftool), then SIGINT (summary on stderr); nginx
#    stops gracefully (SIGQUIT) and the lab is torn down (always, also on failure or
#    Ctrl-C), which releases the lock.
# 5. Counts: nginx's access log (status 200 by $ssl_protocol and cipher; 400 without TLS: the
#    plain HTTP requests) and error log ("unsupported protocol", "no shared cipher") against
#    tlsnoop's events (by outcome, reason, version, cipher) and the clients' own counts.
#
# Environment: BENCH_LOAD_HANDSHAKES (default 100000), BENCH_LOAD_FAIL_PCT (20),
# BENCH_LOAD_ROUND (10 s), BENCH_LOAD_CAP (600 s), BENCH_LOAD_CERT (rsa or ecdsa),
# BENCH_LOAD_DIR (.output/bench-load).
# Exit: 0 table printed, all counts equal, no loss; 3 table printed, but the counts differ,
# something was lost or the handshakes were not reached within CAP; 1 something missing or
# failed (one line on stderr says what).
set -euo pipefail

cd "$(dirname "$0")/.."
REPO=$PWD
HANDSHAKES=${BENCH_LOAD_HANDSHAKES:-100000}
FAIL_PCT=${BENCH_LOAD_FAIL_PCT:-20}
ROUND=${BENCH_LOAD_ROUND:-10}
CAP=${BENCH_LOAD_CAP:-600}
CERT=${BENCH_LOAD_CERT:-rsa}
DIR=${BENCH_LOAD_DIR:-.output/bench-load}
LOCK=/tmp/tlsnoop-e2e.lock
PYTHON=/usr/bin/python3
TLSNOOP=$REPO/tlsnoop
SRV4=198.18.0.1
PORT=4443
METRICS=127.0.0.1:9101
# Sources of the failing clients (lab addresses in tlsn-cli); s_time cannot bind, so the
# successes come from veth-cli's first address, 198.18.0.2.
SRC_TLS11=198.18.0.12
SRC_NOCIPHER=198.18.0.13
SRC_PLAIN=198.18.0.19

die() { echo "bench_load: $*" >&2; exit 1; }
say() { echo "bench_load: $*" >&2; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.1f", b - a}'; }

[ "$(id -u)" -eq 0 ] || die "must run as root (lab namespaces, tlsnoop): sudo $0"
for c in ip openssl nginx haproxy curl flock bpftool sysctl awk timeout; do
	command -v "$c" >/dev/null || die "$c is missing: sudo scripts/deps.sh"
done
[ -x /usr/bin/time ] || die "/usr/bin/time (GNU time) is missing: apt-get install time"
[ -x "$PYTHON" ] || die "$PYTHON is missing"
[ -x "$TLSNOOP" ] || die "$TLSNOOP is missing: make"
[[ $HANDSHAKES =~ ^[1-9][0-9]*$ && $FAIL_PCT =~ ^[0-9]+$ && $FAIL_PCT -lt 100 &&
	$ROUND =~ ^[1-9][0-9]*$ && $CAP =~ ^[1-9][0-9]*$ ]] ||
	die "bad HANDSHAKES/FAIL_PCT/ROUND/CAP"
case $CERT in rsa | ecdsa) ;; *) die "BENCH_LOAD_CERT must be rsa or ecdsa" ;; esac

mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
LAB=$DIR/lab
rm -f "$DIR"/*.out "$DIR"/*.json "$DIR"/*.log "$DIR"/*.err "$DIR"/*.time "$DIR"/*.pid \
	"$DIR"/metrics.txt "$DIR"/bpf.txt

lab_is_up=0
tlsnoop_pid=
time_pid=
stats_prev=
load_pids=()
cleanup() {
	local rc=$?
	trap '' INT TERM
	set +e
	local p
	for p in "${load_pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
	if [ -n "$tlsnoop_pid" ]; then
		kill -INT "$tlsnoop_pid" 2>/dev/null
		for ((p = 0; p < 100; p++)); do kill -0 "$tlsnoop_pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$tlsnoop_pid" 2>/dev/null
		wait "$time_pid" 2>/dev/null
	fi
	[ -n "$stats_prev" ] && sysctl -q -w kernel.bpf_stats_enabled="$stats_prev" >/dev/null
	if [ "$lab_is_up" = 1 ]; then
		say "tearing the lab down"
		"$REPO/scripts/lab.sh" down "$LAB" >&2
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- lab and nginx
say "waiting for $LOCK (the lab's namespaces are shared with the e2e tests)"
exec 9>>"$LOCK"
flock -w 1800 9 || die "could not take $LOCK within 30 min"
lab_is_up=1
say "lab up ($LAB)"
"$REPO/scripts/lab.sh" up "$LAB" >&2 || die "scripts/lab.sh up failed"

if [ "$CERT" = ecdsa ]; then
	openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
		-subj /CN=lab.test -addext subjectAltName=DNS:lab.test \
		-keyout "$DIR/server.key" -out "$DIR/server.crt" >"$DIR/openssl.log" 2>&1 ||
		die "could not make the ECDSA certificate: $(tail -2 "$DIR/openssl.log")"
else
	cp "$LAB/lab.test.crt" "$DIR/server.crt"
	cp "$LAB/lab.test.key" "$DIR/server.key"
fi
chmod 600 "$DIR/server.key"
cert_desc=$(openssl x509 -in "$DIR/server.crt" -noout -text |
	sed -n 's/^ *Public Key Algorithm: //p; s/^ *Public-Key: (\(.*\))/\1/p; s/^ *NIST CURVE: //p' |
	paste -sd' ')

cat >"$DIR/nginx.conf" <<EOF
# bench_load nginx: 2 workers, full handshakes only, one log line per TLS connection.
user root;
daemon on;
worker_processes 2;
worker_rlimit_nofile 16384;
pid $DIR/nginx.pid;
error_log $DIR/nginx-error.log info;
events { worker_connections 4096; }
http {
    log_format tls '\$remote_addr \$status \$ssl_protocol \$ssl_cipher \$ssl_session_reused "\$request"';
    access_log $DIR/nginx-access.log tls;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305;
    ssl_prefer_server_ciphers on;
    ssl_session_cache off;
    ssl_session_tickets off;
    keepalive_timeout 0;
    server {
        listen $SRV4:$PORT ssl default_server;
        ssl_certificate $DIR/server.crt;
        ssl_certificate_key $DIR/server.key;
        default_type text/plain;
        location / { return 200 "ok\n"; }
    }
}
EOF
ip netns exec tlsn-srv nginx -q -t -c "$DIR/nginx.conf" -e "$DIR/nginx-error.log" ||
	die "nginx configuration test failed ($DIR/nginx.conf)"
ip netns exec tlsn-srv nginx -c "$DIR/nginx.conf" -e "$DIR/nginx-error.log" ||
	die "nginx failed to start, see $DIR/nginx-error.log"
for ((i = 0; i < 50; i++)); do
	[ -s "$DIR/nginx.pid" ] && ip netns exec tlsn-srv ss -Hltn "sport = :$PORT" | grep -q . && break
	sleep 0.1
done
nginx_pid=$(cat "$DIR/nginx.pid" 2>/dev/null) || die "nginx wrote no pid file"
workers=$(pgrep -c -P "$nginx_pid" -x nginx || true)
[ "$workers" -eq 2 ] || die "nginx runs $workers worker processes, not 2"
# The clients' namespace only: the whole port range but the watched port (a client port
# 4443 would make both directions look like client to server), TIME_WAIT ports reused.
ip netns exec tlsn-cli sysctl -q -w net.ipv4.ip_local_port_range="1024 65000" \
	net.ipv4.ip_local_reserved_ports="$PORT" net.ipv4.tcp_tw_reuse=1 >/dev/null ||
	die "cannot set tlsn-cli's sysctls"

# ---------------------------------------------------------------- tlsnoop
stats_prev=$(sysctl -n kernel.bpf_stats_enabled)
sysctl -q -w kernel.bpf_stats_enabled=1 >/dev/null
/usr/bin/time -f '%e %U %S %M' -o "$DIR/tlsnoop.time" \
	ip netns exec tlsn-srv sh -c 'echo $$ >"$0"; exec "$@"' "$DIR/tlsnoop.pid" \
	"$TLSNOOP" -i veth-srv -p "$PORT" --json -o "$DIR/events.json" --per-client-rate 0 \
	--metrics "$METRICS" 2>"$DIR/tlsnoop.err" &
time_pid=$!
for ((i = 0; i < 150; i++)); do
	grep -q "attached to" "$DIR/tlsnoop.err" 2>/dev/null && break
	kill -0 "$time_pid" 2>/dev/null || die "tlsnoop failed: $(tail -3 "$DIR/tlsnoop.err")"
	sleep 0.1
done
grep -q "attached to" "$DIR/tlsnoop.err" || die "tlsnoop did not attach in 15 s"
tlsnoop_pid=$(cat "$DIR/tlsnoop.pid")
[ "$(cat /proc/"$tlsnoop_pid"/comm 2>/dev/null)" = tlsnoop ] || die "no tlsnoop at pid $tlsnoop_pid"
say "$(grep "attached to" "$DIR/tlsnoop.err")"
tck=$(getconf CLK_TCK)
cpu_ticks() { awk '{ sub(/.*\) /, ""); print $12 + $13 }' /proc/"$tlsnoop_pid"/stat; }
cpu0=$(cpu_ticks)

# ---------------------------------------------------------------- the load
succ_target=$(((HANDSHAKES * (100 - FAIL_PCT) + 99) / 100))
fail_target=$((HANDSHAKES - succ_target))
kind_target=$(((fail_target + 2) / 3))
S13=0 S12=0 F11=0 FNC=0 FPH=0 UNEXP=0
rate=0       # successes per second in the last round
round=0
t_load=$(now)
deadline=$(($(date +%s) + CAP))
say "load: $succ_target successes (openssl s_time -new, TLS 1.3 and 1.2) and 3 x $kind_target" \
	"failures, rounds of $ROUND s, at most $CAP s"
while [ $((S13 + S12)) -lt "$succ_target" ] || [ "$F11" -lt "$kind_target" ] ||
	[ "$FNC" -lt "$kind_target" ] || [ "$FPH" -lt "$kind_target" ]; do
	left_s=$((deadline - $(date +%s)))
	[ "$left_s" -gt 1 ] || { say "cap of $CAP s reached"; break; }
	round=$((round + 1))
	need=$((succ_target - S13 - S12))
	t=$ROUND
	# The last round only as long as the successes still need, at the last round's rate.
	if [ "$rate" -gt 0 ] && [ "$need" -gt 0 ]; then
		t=$(((need + rate - 1) / rate + 1))
		[ "$t" -le "$ROUND" ] || t=$ROUND
	fi
	if [ "$need" -le 0 ]; then   # failures only: about 200 per second and kind
		t=$(((kind_target - (F11 < FNC ? (F11 < FPH ? F11 : FPH) : (FNC < FPH ? FNC : FPH)) + 199) / 200))
		[ "$t" -ge 1 ] || t=1
		[ "$t" -le "$ROUND" ] || t=$ROUND
	fi
	[ "$t" -le "$left_s" ] || t=$left_s
	# Failures: FAIL_PCT% of the handshakes this round should make, split over 3 kinds.
	est=$((rate > 0 ? rate * t : 1000 * t))
	[ "$need" -gt 0 ] || est=0
	per=$(((est * FAIL_PCT / (100 - FAIL_PCT) + 2) / 3))
	k11=$((kind_target - F11)) knc=$((kind_target - FNC)) kph=$((kind_target - FPH))
	[ "$need" -le 0 ] || { [ "$k11" -le "$per" ] || k11=$per; [ "$knc" -le "$per" ] || knc=$per
		[ "$kph" -le "$per" ] || kph=$per; }
	[ "$k11" -ge 0 ] || k11=0; [ "$knc" -ge 0 ] || knc=0; [ "$kph" -ge 0 ] || kph=0
	load_pids=()
	if [ "$need" -gt 0 ]; then
		for v in 1_3 1_3 1_2 1_2; do
			ip netns exec tlsn-cli timeout $((t + 30)) openssl s_time -connect "$SRV4:$PORT" \
				-new -www / -time "$t" -tls$v </dev/null >"$DIR/stime.$round.${#load_pids[@]}.tls$v.out" 2>&1 &
			load_pids+=($!)
		done
	fi
	ip netns exec tlsn-cli timeout $((t + 60)) "$PYTHON" "$REPO/bench/load_clients.py" \
		"$SRV4" "$PORT" "$t" "tls11:$SRC_TLS11:$k11" "no_cipher:$SRC_NOCIPHER:$knc" \
		"plain_http:$SRC_PLAIN:$kph" >"$DIR/fail.$round.json" 2>"$DIR/fail.$round.err" &
	load_pids+=($!)
	rc_all=0
	for p in "${load_pids[@]}"; do wait "$p" || rc_all=1; done
	load_pids=()
	[ -s "$DIR/fail.$round.json" ] || die "bench/load_clients.py failed: $(tail -3 "$DIR/fail.$round.err")"
	r13=0 r12=0
	for f in "$DIR"/stime.$round.*.out; do
		[ -e "$f" ] || continue
		n=$(sed -n 's/^\([0-9]*\) connections in [0-9]* real seconds.*/\1/p' "$f")
		[ -n "$n" ] || die "openssl s_time failed ($f): $(tail -3 "$f")"
		case $f in *tls1_3.out) r13=$((r13 + n)) ;; *) r12=$((r12 + n)) ;; esac
	done
	read -r e11 enc eph u < <("$PYTHON" -c '
import json, sys
d = json.load(open(sys.argv[1]))
g = lambda k, f: d.get(k, {}).get(f, 0)
print(g("tls11", "expected"), g("no_cipher", "expected"), g("plain_http", "expected"),
      sum(v["unexpected"] for v in d.values()))' "$DIR/fail.$round.json")
	[ "$rc_all" -eq 0 ] || [ "$u" -gt 0 ] || die "a load process failed in round $round"
	S13=$((S13 + r13)) S12=$((S12 + r12)) F11=$((F11 + e11)) FNC=$((FNC + enc))
	FPH=$((FPH + eph)) UNEXP=$((UNEXP + u))
	[ $((r13 + r12)) -eq 0 ] || rate=$(((r13 + r12) / t))
	say "round $round ($t s): s_time $r13 TLS 1.3 + $r12 TLS 1.2, failures $e11/$enc/$eph" \
		"(unexpected $u); total $((S13 + S12 + F11 + FNC + FPH)) in $(elapsed "$t_load") s"
done
load_s=$(elapsed "$t_load")
GEN_TOTAL=$((S13 + S12 + F11 + FNC + FPH + UNEXP))

# ---------------------------------------------------------------- stop, read, count
sleep 2   # the last FINs and events
ip netns exec tlsn-srv curl -sS --max-time 5 "http://$METRICS/metrics" >"$DIR/metrics.txt" ||
	die "cannot read tlsnoop's metrics"
cpu1=$(cpu_ticks)
hwm_kb=$(awk '/^VmHWM:/ {print $2}' /proc/"$tlsnoop_pid"/status)
: >"$DIR/bpf.txt"
ip netns exec tlsn-srv bpftool -j net show dev veth-srv >"$DIR/bpfnet.json" 2>/dev/null || true
for id in $("$PYTHON" -c '
import json, sys
for n in json.load(open(sys.argv[1])):
    for kind in ("xdp", "tc"):
        for p in n.get(kind, []):
            if p.get("id") and "tlsnoop" in p.get("name", ""): print(p["id"])' "$DIR/bpfnet.json"); do
	bpftool -j prog show id "$id" >>"$DIR/bpf.txt" && echo >>"$DIR/bpf.txt"
done
kill -INT "$tlsnoop_pid"
for ((i = 0; i < 300; i++)); do kill -0 "$tlsnoop_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$tlsnoop_pid" 2>/dev/null && die "tlsnoop did not stop within 30 s of SIGINT"
trc=0
wait "$time_pid" || trc=$?
tlsnoop_pid=
[ "$trc" -eq 0 ] || die "tlsnoop exited with $trc: $(tail -3 "$DIR/tlsnoop.err")"
sysctl -q -w kernel.bpf_stats_enabled="$stats_prev" >/dev/null
stats_prev=
kill -QUIT "$nginx_pid" 2>/dev/null
for ((i = 0; i < 100; i++)); do kill -0 "$nginx_pid" 2>/dev/null || break; sleep 0.1; done
"$REPO/scripts/lab.sh" down "$LAB" >&2 || die "scripts/lab.sh down failed"
lab_is_up=0
flock -u 9
exec 9>&-
say "lab down; load $load_s s, $GEN_TOTAL connections"

load=$(cut -d' ' -f1-3 /proc/loadavg)
rc=0
"$PYTHON" - "$DIR" "$load_s" "$tck" "$cpu0" "$cpu1" "$hwm_kb" "$S13" "$S12" "$F11" "$FNC" \
	"$FPH" "$UNEXP" "$HANDSHAKES" "$CAP" "$round" "$cert_desc" "$load" "$PORT" <<'EOF' || rc=$?
import collections, json, re, sys
from datetime import datetime

(d, load_s, tck, cpu0, cpu1, hwm_kb, s13, s12, f11, fnc, fph, unexp, target, cap, rounds,
 cert, loadavg, port) = sys.argv[1:]
load_s, tck = float(load_s), int(tck)
s13, s12, f11, fnc, fph, unexp, target = map(int, (s13, s12, f11, fnc, fph, unexp, target))
cpu_s = (int(cpu1) - int(cpu0)) / tck

IANA = {
    "ECDHE-ECDSA-AES128-GCM-SHA256": "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "ECDHE-RSA-AES128-GCM-SHA256": "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "ECDHE-RSA-AES256-GCM-SHA384": "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "ECDHE-RSA-CHACHA20-POLY1305": "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
}

# nginx: one access-log line per request (the TLS connections that got one), error-log
# lines at info for the handshakes that failed.
ng = collections.Counter()
ng_cipher = collections.Counter()
reused = 0
for line in open(d + "/nginx-access.log"):
    f = line.split(" ", 5)
    status, proto, cipher, reuse = f[1], f[2], f[3], f[4]
    if status == "200" and proto in ("TLSv1.3", "TLSv1.2"):
        ng["success " + proto[4:]] += 1
        ng_cipher[proto[4:] + " " + IANA.get(cipher, cipher)] += 1
        reused += reuse == "r"
    elif status == "400" and proto == "-":
        ng["not_tls"] += 1
    else:
        ng["other access: %s %s" % (status, proto)] += 1
plain_err = 0
other_err = collections.Counter()
for line in open(d + "/nginx-error.log"):
    if "client:" not in line:
        continue
    if "unsupported protocol" in line:
        ng["protocol_version"] += 1
    elif "no shared cipher" in line:
        ng["no_shared_cipher"] += 1
    elif "client sent plain HTTP request to HTTPS port" in line:
        plain_err += 1
    else:
        m = re.search(r"\[\w+\] \d+#\d+: \*\d+ (.*?)(, client:|$)", line)
        other_err[m.group(1) if m else line.strip()[:80]] += 1
for k, v in other_err.items():
    ng["other error: " + k] += v

# tlsnoop's events.
tn = collections.Counter()
tn_cipher = collections.Counter()
early_timeouts = 0
first = last = None
for line in open(d + "/events.json"):
    e = json.loads(line)
    ev, tls = e["event"], e.get("tls", {})
    if ev["outcome"] == "success":
        tn["success " + tls.get("version", "?")] += 1
        tn_cipher[tls.get("version", "?") + " " + tls.get("cipher", "?")] += 1
    else:
        tn[ev.get("reason", "?")] += 1
        # A timeout shorter than --timeout (10 s), or negative (wrapped to >= 2^63 ns): the
        # collector's walk expired a handshake that was not idle.
        dur = ev.get("duration", 0)
        early_timeouts += ev.get("reason") == "timeout" and (dur < 10 * 10**9 or dur >= 1 << 63)
    ts = datetime.strptime(e["@timestamp"], "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()
    first = ts if first is None else min(first, ts)
    last = ts if last is None else max(last, ts)
events = sum(tn.values())
seen_s = (last - first) if events > 1 else 0.0

# The clients' own counts.
gen = collections.Counter({"success 1.3": s13, "success 1.2": s12, "protocol_version": f11,
                           "no_shared_cipher": fnc, "not_tls": fph})
gen_total = sum(gen.values()) + unexp

metrics = {}
for line in open(d + "/metrics.txt"):
    m = re.match(r"^(tlsnoop_[a-z_]+)(\{[^}]*\})? (\S+)$", line)
    if m and not m.group(2):
        metrics[m.group(1)] = float(m.group(3))
err = open(d + "/tlsnoop.err").read()
summary = err[err.find("--- tlsnoop summary ---"):] if "--- tlsnoop summary ---" in err else ""
warnings = [l.strip() for l in summary.splitlines() if l.startswith(("WARNING", "note"))]
in_progress = re.search(r"handshakes still in progress \(not reported\): (\d+)", summary)
in_progress = int(in_progress.group(1)) if in_progress else 0
hello_lost = re.search(r"WARNING: (\d+) ClientHellos lost", summary)
hello_lost = int(hello_lost.group(1)) if hello_lost else 0
ring_lost = re.search(r"WARNING: (\d+) events lost", summary)
ring_lost = int(ring_lost.group(1)) if ring_lost else 0
m = re.search(r"handshakes: (\d+)\s+success: (\d+)\s+failure: (\d+)", summary)
sum_total = int(m.group(1)) if m else -1

bpf = []
for chunk in open(d + "/bpf.txt").read().split("\n"):
    if chunk.strip():
        p = json.loads(chunk)
        bpf.append((p.get("name"), p.get("run_time_ns", 0), p.get("run_cnt", 0)))
t, u, s, maxrss = open(d + "/tlsnoop.time").read().split()[-4:]

ok = True
keys = sorted(set(ng) | set(tn) | set(gen), key=lambda k: (not k.startswith("success"), k))
rows = []
for k in keys:
    same = ng[k] == tn[k]
    ok &= same
    rows.append("| %s | %d | %d | %d | %s |" % (k, gen[k], ng[k], tn[k], "yes" if same else "**NO**"))
cipher_same = ng_cipher == tn_cipher
nginx_total = sum(ng.values())
checks = [
    ("handshakes (tlsnoop events)", "%d" % events, "≥ %d" % target, events >= target),
    ("tlsnoop events = nginx's log lines = clients' connections",
     "%d / %d / %d" % (events, nginx_total, gen_total), "equal",
     events == nginx_total == gen_total),
    ("per outcome and reason, tlsnoop = nginx (table above)", "", "equal", all(
        ng[k] == tn[k] for k in keys)),
    ("successes by version and cipher, tlsnoop = nginx",
     ", ".join("%s %d" % kv for kv in sorted(tn_cipher.items())), "equal", cipher_same),
    ("tlsnoop timeouts lasting less than --timeout (10 s) or negative: expired while active",
     "%d of %d" % (early_timeouts, tn["timeout"]), "0", early_timeouts == 0),
    ("plain HTTP: access-log 400s = error-log lines", "%d / %d" % (ng["not_tls"], plain_err),
     "equal", ng["not_tls"] == plain_err),
    ("clients that did not fail as planned", "%d" % unexp, "0", unexp == 0),
    ("resumed sessions (nginx $ssl_session_reused)", "%d" % reused, "0", reused == 0),
    ("ring-buffer drops (tlsnoop_ringbuf_dropped_total; summary)",
     "%d; %d" % (metrics.get("tlsnoop_ringbuf_dropped_total", -1), ring_lost), "0",
     metrics.get("tlsnoop_ringbuf_dropped_total", -1) == 0 and ring_lost == 0),
    ("ClientHellos lost (summary)", "%d" % hello_lost, "0", hello_lost == 0),
    ("evicted (tlsnoop_flows_evicted_total) / not tracked over budget (suppressed)",
     "%d / %d" % (metrics.get("tlsnoop_flows_evicted_total", -1),
                  metrics.get("tlsnoop_events_suppressed_total", -1)), "0 / 0",
     metrics.get("tlsnoop_flows_evicted_total", -1) == 0 and
     metrics.get("tlsnoop_events_suppressed_total", -1) == 0),
    ("handshakes still in progress at exit; summary's handshakes",
     "%d; %d" % (in_progress, sum_total), "0; = events", in_progress == 0 and sum_total == events),
    ("summary warnings and notes", "; ".join(warnings) or "none", "none", not warnings),
    ("load time", "%.1f s in %s rounds" % (load_s, rounds), "≤ %s s" % cap, load_s <= float(cap)),
]
for _, _, _, c in checks:
    ok &= bool(c)

print()
print("Load without loss (bench/bench_load.sh): nginx 1.22 with 2 workers in the lab "
      "(198.18.0.1:%s, certificate %s, no session cache or tickets), `openssl s_time -new "
      "-www /` (4 at once: 2 TLS 1.3, 2 TLS 1.2) and bench/load_clients.py (TLS 1.1-only, "
      "no shared cipher, plain HTTP; paced) in rounds; tlsnoop `--json -o FILE "
      "--per-client-rate 0` on veth-srv (XDP ingress, TC egress); load average at the end %s."
      % (port, cert, loadavg))
print()
print("| outcome | clients | nginx logs | tlsnoop events | equal |")
print("|---------|--------:|-----------:|---------------:|-------|")
print("\n".join(rows))
print("| **total** | %d | %d | %d | %s |" % (gen_total, nginx_total, events,
                                           "yes" if events == nginx_total == gen_total else "**NO**"))
print()
per_k = cpu_s * 1000 / events * 1000 if events else 0
bpf_ns = sum(r for _, r, _ in bpf)
bpf_cnt = sum(c for _, _, c in bpf)
print("| measure | value |")
print("|---------|------:|")
print("| load: wall time | %.1f s |" % load_s)
print("| load generator: handshakes/s (connections / wall time) | %.0f |" % (gen_total / load_s))
print("| tlsnoop: handshakes/s (events / first to last event) | %.0f |"
      % (events / seen_s if seen_s else 0))
print("| tlsnoop CPU (user+sys) while attached, load and 2 s after | %.2f s |" % cpu_s)
print("| tlsnoop CPU per 1,000 handshakes | %.1f ms |" % per_k)
print("| tlsnoop CPU, whole run incl. loading the programs (GNU time: user / sys) | %s s / %s s |"
      % (u, s))
print("| tlsnoop peak RSS (VmHWM; GNU time) | %.1f MiB; %.1f MiB |"
      % (int(hwm_kb) / 1024, int(maxrss) / 1024))
if bpf_cnt:
    print("| BPF programs (kernel, softirq): packets run / ns per packet / µs per handshake | "
          "%d / %.0f / %.1f |" % (bpf_cnt, bpf_ns / bpf_cnt, bpf_ns / 1000 / events if events else 0))
print()
print("| check | value | target | result |")
print("|-------|------:|--------|--------|")
for name, val, tgt, c in checks:
    print("| %s | %s | %s | %s |" % (name, val, tgt, "yes" if c else "**NO**"))
sys.exit(0 if ok else 3)
EOF
case $rc in
0 | 3) exit "$rc" ;;
*) die "counting failed (exit $rc)" ;;
esac
