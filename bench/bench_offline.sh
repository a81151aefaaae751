#!/usr/bin/env bash
# Offline throughput: `tlsnoop -r` against `tshark -r` on the same large capture of real
# lab handshakes, in the same run, pinned to the same CPU. Prints a markdown table on
# stdout (bench/run.sh appends it to docs/performance.md's generated block); progress on
# stderr.
#
#   sudo bench/bench_offline.sh
#
# 1. Seed: scripts/lab.sh brings the lab up (nginx :443, haproxy :8443 mTLS); tcpdump
#    (--immediate-mode, -s 0) records veth-srv in tlsn-srv while ROUNDS rounds of 16 real
#    clients (curl, openssl s_client, tests/e2e/lab/pyclient.py) run in tlsn-cli, the 16 of a
#    round at once: 4 successes (TLS 1.3, TLS 1.3 HTTP/1.1, TLS 1.2, mTLS) and 12 failures
#    (untrusted CA over 1.3 and 1.2, expired certificate, unknown SNI, no SNI, TLS 1.1 only,
#    no shared cipher, plain HTTP, no ClientHello, mTLS without a certificate over 1.2 and
#    1.3, mTLS with an untrusted certificate). The lab is then torn down (always, also on
#    failure or Ctrl-C). The lab is held under flock /tmp/tlsnoop-e2e.lock, as the e2e tests.
# 2. bench/replicate.py copies the seed's connections until the file holds at least
#    HANDSHAKES connections, each copy with new client addresses (198.18.1.0 -
#    198.19.255.255) and ports, offset sequence numbers, shifted times and recomputed
#    checksums (see its header).
# 3. tlsnoop -r FILE -p 443,8443 --json -o FILE, then tshark -r FILE extracting the same
#    fields (SNI, ALPN, offered and negotiated versions, cipher, alert) from ClientHellos,
#    ServerHellos and alerts, each timed (wall clock; user+system CPU), under
#    taskset -c CPU. tlsnoop's events must number the connections in the file, and its
#    reasons must be COPIES times the seed's.
#
# Environment: BENCH_OFFLINE_HANDSHAKES (default 100000), BENCH_OFFLINE_ROUNDS (25),
# BENCH_OFFLINE_CPU (the last CPU), BENCH_OFFLINE_DIR (.output/bench-offline),
# BENCH_OFFLINE_REUSE=1 (reuse the DIR's seed.pcap instead of making one in the lab; then no
# root is needed).
# Exit: 0 table printed, target met; 3 table printed, but the target is missed or the counts
# disagree (as bench_bpf); 1 something missing or failed (one line on stderr says what).
set -euo pipefail

cd "$(dirname "$0")/.."
REPO=$PWD
HANDSHAKES=${BENCH_OFFLINE_HANDSHAKES:-100000}
ROUNDS=${BENCH_OFFLINE_ROUNDS:-25}
CPU=${BENCH_OFFLINE_CPU:-$(($(nproc) - 1))}
DIR=${BENCH_OFFLINE_DIR:-.output/bench-offline}
PORTS=443,8443
TARGET=20
LOCK=/tmp/tlsnoop-e2e.lock
PYTHON=/usr/bin/python3
TLSNOOP=$REPO/tlsnoop
SRV4=198.18.0.1
TSHARK_OPTS=(-n -o tcp.desegment_tcp_streams:TRUE -o tls.desegment_ssl_records:TRUE
	-d tcp.port==8443,tls)
TSHARK_FILTER='tls.handshake.type == 1 || tls.handshake.type == 2 || tls.alert_message'
TSHARK_FIELDS=(frame.time_epoch ip.src tcp.srcport ip.dst tcp.dstport tls.handshake.type
	tls.handshake.extensions_server_name tls.handshake.extensions_alpn_str
	tls.handshake.extensions.supported_version tls.handshake.version
	tls.handshake.ciphersuite tls.alert_message.level tls.alert_message.desc)

die() { echo "bench_offline: $*" >&2; exit 1; }
say() { echo "bench_offline: $*" >&2; }
now() { date +%s.%N; }

for c in ip tcpdump tshark curl openssl nginx haproxy flock taskset awk; do
	command -v "$c" >/dev/null || die "$c is missing: sudo scripts/deps.sh"
done
[ -x /usr/bin/time ] || die "/usr/bin/time (GNU time) is missing: apt-get install time"
[ -x "$PYTHON" ] || die "$PYTHON is missing"
[ -x "$TLSNOOP" ] || die "$TLSNOOP is missing: make"
[[ $CPU =~ ^[0-9]+$ ]] && taskset -c "$CPU" true 2>/dev/null || die "cannot run on CPU '$CPU'"
[[ $HANDSHAKES =~ ^[0-9]+$ && $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "bad HANDSHAKES/ROUNDS"

mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
LAB=$DIR/lab
SEED=$DIR/seed.pcap
BIG=$DIR/big.pcap

lab_is_up=0
tcpdump_pid=
cleanup() {
	local rc=$?
	trap '' INT TERM
	set +e
	if [ -n "$tcpdump_pid" ]; then
		kill -TERM "$tcpdump_pid" 2>/dev/null
		wait "$tcpdump_pid" 2>/dev/null
	fi
	if [ "$lab_is_up" = 1 ]; then
		say "tearing the lab down"
		"$REPO/scripts/lab.sh" down "$LAB" >&2
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- seed capture in the lab
cli() { ip netns exec tlsn-cli timeout 8 "$@" </dev/null >/dev/null 2>&1; }
CURL=(curl -sS --max-time 5 -o /dev/null)
for p in 443 8443; do
	for n in lab.test expired.test nope.test; do CURL+=(--resolve "$n:$p:$SRV4"); done
done

# case NAME: one client; its exit status goes to DIR/clients/NAME.
run_case() {
	local name=$1 ip=198.18.0.$2 rc=0
	shift 2
	case $1 in
	curl) cli "${CURL[@]}" --interface "$ip" "${@:2}" || rc=$? ;;
	s_client) cli openssl s_client -bind "$ip:0" -connect "$SRV4:${PORT:-443}" "${@:2}" || rc=$? ;;
	py) cli "$PYTHON" "$REPO/tests/e2e/lab/pyclient.py" connect-close "$ip" "$SRV4" 443 || rc=$? ;;
	esac
	echo "$rc" >>"$DIR/clients/$name"
}

round() {
	local pids=()
	spawn() { run_case "$@" & pids+=($!); }
	local ca=$LAB/ca.crt cc=(--cert "$LAB/client.crt" --key "$LAB/client.key")
	local oc=(--cert "$LAB/client-other.crt" --key "$LAB/client-other.key")
	spawn tls13_ok 10 curl --cacert "$ca" --tlsv1.3 https://lab.test/
	spawn tls13_http11_ok 30 curl --cacert "$ca" --tlsv1.3 --http1.1 https://lab.test/
	spawn tls12_ok 11 curl --cacert "$ca" --tls-max 1.2 https://lab.test/
	spawn mtls_ok 23 curl --cacert "$ca" "${cc[@]}" https://lab.test:8443/
	spawn untrusted_tls13 15 curl --tlsv1.3 https://lab.test/
	spawn untrusted_tls12 14 curl --tls-max 1.2 https://lab.test/
	spawn expired 16 curl --cacert "$ca" https://expired.test/
	spawn unknown_sni 18 s_client -servername nope.test
	spawn no_sni 17 s_client -noservername
	spawn tls11_only 12 s_client -tls1_1 -cipher DEFAULT:@SECLEVEL=0 -servername lab.test
	spawn no_shared_cipher 13 s_client -tls1_2 -cipher AES128-SHA -servername lab.test
	spawn plain_http 19 curl "http://$SRV4:443/"
	spawn no_client_hello 20 py
	spawn mtls_nocert_tls12 21 curl --cacert "$ca" --tls-max 1.2 https://lab.test:8443/
	spawn mtls_nocert_tls13 22 curl --cacert "$ca" --tlsv1.3 https://lab.test:8443/
	spawn mtls_untrusted_tls13 25 curl --cacert "$ca" --tlsv1.3 "${oc[@]}" \
		https://lab.test:8443/
	wait "${pids[@]}"
}

make_seed() {
	[ "$(id -u)" -eq 0 ] || die "making the seed needs root (lab namespaces, tcpdump): sudo $0"
	say "waiting for $LOCK (the lab's namespaces are shared with the e2e tests)"
	exec 9>>"$LOCK"
	flock -w 1800 9 || die "could not take $LOCK within 30 min"
	lab_is_up=1
	say "lab up ($LAB)"
	"$REPO/scripts/lab.sh" up "$LAB" >&2 || die "scripts/lab.sh up failed"
	rm -f "$SEED" "$DIR/tcpdump.err"
	rm -rf "$DIR/clients"
	mkdir -p "$DIR/clients"
	ip netns exec tlsn-srv tcpdump -i veth-srv --immediate-mode -s 0 -B 131072 -U -n -w "$SEED" \
		"tcp port 443 or tcp port 8443" 2>"$DIR/tcpdump.err" &
	tcpdump_pid=$!
	local i
	for ((i = 0; i < 100; i++)); do
		grep -q "listening on" "$DIR/tcpdump.err" 2>/dev/null && break
		kill -0 "$tcpdump_pid" 2>/dev/null || die "tcpdump failed: $(cat "$DIR/tcpdump.err")"
		sleep 0.05
	done
	grep -q "listening on" "$DIR/tcpdump.err" || die "tcpdump did not start in 5 s"
	local t0
	t0=$(now)
	say "seed: $ROUNDS rounds of 16 real clients"
	for ((i = 0; i < ROUNDS; i++)); do
		round
	done
	sleep 1         # the last FINs and RSTs
	kill -TERM "$tcpdump_pid"
	wait "$tcpdump_pid" || true
	tcpdump_pid=
	say "seed: clients done in $(awk -v a="$t0" -v b="$(now)" 'BEGIN{printf "%.1f", b-a}') s;" \
		"$(grep -h 'captured\|dropped by kernel' "$DIR/tcpdump.err" | tr '\n' ' ')"
	grep -q "^0 packets dropped by kernel" "$DIR/tcpdump.err" ||
		die "tcpdump dropped packets: $(cat "$DIR/tcpdump.err")"
	"$REPO/scripts/lab.sh" down "$LAB" >&2 || die "scripts/lab.sh down failed"
	lab_is_up=0
	flock -u 9
	exec 9>&-
	local f
	for f in "$DIR"/clients/*; do
		printf '%s:%s ' "${f##*/}" "$(sort -n "$f" | uniq -c | awk '{printf "%s%sx rc%s", s, $1, $2; s=","}')"
	done >"$DIR/clients.txt"
	say "client exit codes: $(cat "$DIR/clients.txt")"
}

if [ "${BENCH_OFFLINE_REUSE:-0}" = 1 ] && [ -s "$SEED" ]; then
	say "reusing $SEED"
else
	t_gen=$(now)
	make_seed
fi
[ -s "$SEED" ] || die "no seed capture $SEED"

t_rep=$(now)
rep=$("$PYTHON" "$REPO/bench/replicate.py" "$SEED" "$BIG" --ports "$PORTS" \
	--handshakes "$HANDSHAKES") || die "bench/replicate.py failed"
say "replicate: $rep ($(awk -v a="$t_rep" -v b="$(now)" 'BEGIN{printf "%.1f", b-a}') s," \
	"$(du -m "$BIG" | cut -f1) MB)"
[ -n "${t_gen:-}" ] && say "capture generated in $(awk -v a="$t_gen" -v b="$(now)" \
	'BEGIN{printf "%.0f", b-a}') s"
val() { sed -n "s/.*\\b$1=\\([0-9]*\\).*/\\1/p" <<<"$rep"; }
seed_conns=$(val seed_connections)
copies=$(val copies)
handshakes=$(val handshakes)
packets=$(val packets)
[ -n "$handshakes" ] && [ -n "$packets" ] || die "bench/replicate.py printed no counts"

# ---------------------------------------------------------------- the two readers
# reasons FILE: "reason count" lines of tlsnoop's JSON events (success counted as "success").
reasons() {
	"$PYTHON" -c '
import collections, json, sys
c = collections.Counter()
for line in open(sys.argv[1]):
    e = json.loads(line)
    c[e["event"].get("reason", e["event"]["outcome"])] += 1
for k in sorted(c): print(k, c[k])' "$1"
}

say "tlsnoop -r on the seed (reference counts)"
"$TLSNOOP" -r "$SEED" -p "$PORTS" --json -o "$DIR/seed.json" 2>"$DIR/seed.err" ||
	die "tlsnoop -r $SEED failed: $(tail -3 "$DIR/seed.err")"
seed_events=$(wc -l <"$DIR/seed.json")

# timed NAME CMD...: CMD under taskset; DIR/NAME.time = "wall user sys maxrss_kb".
timed() {
	local name=$1 t0 t1 rc=0
	shift
	sync
	t0=$(now)
	/usr/bin/time -f '%U %S %M' -o "$DIR/$name.cpu" taskset -c "$CPU" "$@" || rc=$?
	t1=$(now)
	[ "$rc" -eq 0 ] || return "$rc"
	echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", b-a}') $(tail -1 "$DIR/$name.cpu")" \
		>"$DIR/$name.time"
}

cat "$BIG" >/dev/null    # both readers start with the file in the page cache
load=$(cut -d' ' -f1-3 /proc/loadavg)
say "tlsnoop -r $BIG (CPU $CPU)"
rm -f "$DIR/tlsnoop.json"
timed tlsnoop "$TLSNOOP" -r "$BIG" -p "$PORTS" --json -o "$DIR/tlsnoop.json" \
	2>"$DIR/tlsnoop.err" || die "tlsnoop -r failed: $(tail -3 "$DIR/tlsnoop.err")"
say "tshark -r $BIG (CPU $CPU)"
fields=()
for f in "${TSHARK_FIELDS[@]}"; do fields+=(-e "$f"); done
timed tshark tshark -r "$BIG" "${TSHARK_OPTS[@]}" -Y "$TSHARK_FILTER" -T fields \
	-E separator=/t "${fields[@]}" >"$DIR/tshark.tsv" 2>"$DIR/tshark.err" ||
	die "tshark failed: $(tail -3 "$DIR/tshark.err")"

# ---------------------------------------------------------------- checks and table
events=$(wc -l <"$DIR/tlsnoop.json")
reasons "$DIR/seed.json" | awk -v k="$copies" '{print $1, $2 * k}' >"$DIR/expected.reasons"
reasons "$DIR/tlsnoop.json" >"$DIR/tlsnoop.reasons"
# tshark rows: column 6 is the handshake types of the frame ("1", "2,11,12,14", ...).
read -r t_ch t_sh t_al < <(awk -F'\t' '
	{ n = split($6, t, ","); ch = sh = 0
	  for (i = 1; i <= n; i++) { if (t[i] == 1) ch = 1; if (t[i] == 2) sh = 1 }
	  c += ch; s += sh; if ($13 != "") a++ }
	END { print c + 0, s + 0, a + 0 }' "$DIR/tshark.tsv")

read -r n_wall n_user n_sys n_rss <"$DIR/tlsnoop.time"
read -r s_wall s_user s_sys s_rss <"$DIR/tshark.time"
ok=1
count_ok=yes
[ "$events" -eq "$handshakes" ] || { count_ok="**NO**"; ok=0; }
reasons_ok=yes
cmp -s "$DIR/expected.reasons" "$DIR/tlsnoop.reasons" || { reasons_ok="**NO**"; ok=0; }
ratio=$(awk -v a="$s_wall" -v b="$n_wall" 'BEGIN{printf "%.1f", a / b}')
cpu_ratio=$(awk -v a="$s_user" -v b="$s_sys" -v c="$n_user" -v d="$n_sys" \
	'BEGIN{printf "%.1f", (a + b) / (c + d)}')
result=PASS
awk -v r="$ratio" -v t="$TARGET" 'BEGIN{exit !(r >= t)}' || { result="**FAIL**"; ok=0; }
mix=$(awk '{printf "%s%s %s", s, $1, $2; s=", "}' "$DIR/tlsnoop.reasons")

row() { # tool wall user sys rss
	awk -v tool="$1" -v w="$2" -v u="$3" -v s="$4" -v m="$5" -v p="$packets" \
		-v h="$handshakes" 'BEGIN{printf "| %s | %.2f | %.2f | %.0f | %.0f | %.0f | %.0f | %.0f |\n",
		tool, w, u + s, p / w, h / w, p / (u + s), h / (u + s), m / 1024}'
}
printf '\nOffline throughput (bench/bench_offline.sh): `tlsnoop -r` against `tshark -r` on the same '
printf 'capture, %s handshakes (TCP connections to ports %s) in %s packets, %s MB: %s copies ' \
	"$handshakes" "$PORTS" "$packets" "$(du -m "$BIG" | cut -f1)" "$copies"
printf 'of a seed of %s real lab connections (bench/replicate.py). Both pinned to CPU %s, ' \
	"$seed_conns" "$CPU"
printf 'file in the page cache; tshark %s; load average before the runs %s.\n\n' \
	"$(tshark --version 2>/dev/null | head -1 | awk '{print $3}')" "$load"
echo "| reader | wall s | CPU s (user+sys) | packets/s | handshakes/s | packets/CPU-s | handshakes/CPU-s | peak RSS MB |"
echo "|--------|-------:|-----------------:|----------:|-------------:|--------------:|-----------------:|------------:|"
row "tlsnoop -r --json" "$n_wall" "$n_user" "$n_sys" "$n_rss"
row "tshark -r (TLS fields)" "$s_wall" "$s_user" "$s_sys" "$s_rss"
echo
echo "| measure | value | target | result |"
echo "|---------|------:|--------|--------|"
echo "| tlsnoop rate / tshark rate (wall clock) | ${ratio}× | ≥ ${TARGET}× | $result |"
echo "| tlsnoop rate / tshark rate (CPU time) | ${cpu_ratio}× | — | — |"
echo "| tlsnoop events / handshakes in the file | $events / $handshakes | equal | $count_ok |"
echo "| tlsnoop reasons = $copies × the seed's ($seed_events events) | $mix | equal | $reasons_ok |"
echo "| tshark rows: ClientHello / ServerHello / alert | $t_ch / $t_sh / $t_al | — | — |"

[ "$ok" -eq 1 ] || exit 3
exit 0
