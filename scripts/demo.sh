#!/usr/bin/env bash
# tlsnoop demo: bring the lab up, watch its load balancer with ./tlsnoop (text mode),
# run a few handshakes that succeed and several that fail in different ways, then stop
# tlsnoop with SIGINT so that it prints its summary, and tear the lab down.
# Usage (from the repository root, after make): sudo scripts/demo.sh   (or: sudo make demo)
set -euo pipefail

cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "demo: must run as root (sudo make demo)" >&2; exit 1; }
[ -x ./tlsnoop ] || { echo "demo: ./tlsnoop not found: run make first" >&2; exit 1; }

DIR=$(mktemp -d /tmp/tlsnoop-demo.XXXXXX)
TLSNOOP_PID=

stop_tlsnoop() {
	local i
	[ -n "$TLSNOOP_PID" ] || return 0
	kill -INT "$TLSNOOP_PID" 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do
		kill -0 "$TLSNOOP_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$TLSNOOP_PID" 2>/dev/null || true
	wait "$TLSNOOP_PID" 2>/dev/null || true
	TLSNOOP_PID=
}

cleanup() {
	stop_tlsnoop
	scripts/lab.sh down "$DIR" || true
	rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

scripts/lab.sh up "$DIR"

# Job control: tlsnoop gets its own process group and a default SIGINT disposition
# (a non-interactive shell starts background jobs with SIGINT ignored).
set -m
ip netns exec tlsn-srv ./tlsnoop -i veth-srv -p 443,8443 2>"$DIR/tlsnoop.err" &
TLSNOOP_PID=$!
set +m
for ((i = 0; i < 150; i++)); do
	grep -q '^tlsnoop: attached' "$DIR/tlsnoop.err" 2>/dev/null && break
	kill -0 "$TLSNOOP_PID" 2>/dev/null || break
	sleep 0.1
done
cat "$DIR/tlsnoop.err" >&2
if ! grep -q '^tlsnoop: attached' "$DIR/tlsnoop.err"; then
	echo "demo: tlsnoop did not attach" >&2
	exit 1
fi

CA=$DIR/ca.crt
RESOLVE=(--resolve lab.test:443:198.18.0.1 --resolve expired.test:443:198.18.0.1
	--resolve nope.test:443:198.18.0.1 --resolve lab.test:8443:198.18.0.1)

# run SOURCE_IP DESCRIPTION COMMAND...: run a client in tlsn-cli, quietly.
run() {
	local ip=$1 what=$2
	shift 2
	printf 'demo: %-12s %s\n' "$ip" "$what" >&2
	ip netns exec tlsn-cli timeout 5 "$@" >/dev/null 2>&1 </dev/null || true
	sleep 0.3
}
# cu SOURCE_IP DESCRIPTION CURL_ARGS...
cu() {
	local ip=$1 what=$2
	shift 2
	run "$ip" "$what" curl -sS --max-time 4 --interface "$ip" "${RESOLVE[@]}" "$@"
}
# ssl SOURCE_IP DESCRIPTION S_CLIENT_ARGS... (s_client cannot bind: steer the source by route)
ssl() {
	local ip=$1 what=$2
	shift 2
	ip -n tlsn-cli route replace 198.18.0.1/32 dev veth-cli src "$ip"
	run "$ip" "$what" openssl s_client -connect 198.18.0.1:443 "$@"
}

cu 198.18.0.10 "TLS 1.3, good certificate" --cacert "$CA" https://lab.test/
cu 198.18.0.11 "TLS 1.2, good certificate" --cacert "$CA" --tls-max 1.2 https://lab.test/
cu 198.18.0.12 "client does not trust the CA" https://lab.test/
cu 198.18.0.13 "expired server certificate" --cacert "$CA" https://expired.test/
cu 198.18.0.14 "unknown SNI nope.test" --cacert "$CA" https://nope.test/
ssl 198.18.0.15 "TLS 1.1-only client" -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0' -servername lab.test
ssl 198.18.0.16 "no shared cipher" -tls1_2 -cipher AES128-SHA -servername lab.test
cu 198.18.0.17 "plain HTTP to port 443" http://198.18.0.1:443/
cu 198.18.0.18 "mTLS :8443, no client certificate" --cacert "$CA" https://lab.test:8443/
cu 198.18.0.19 "mTLS :8443, good client certificate" --cacert "$CA" \
	--cert "$DIR/client.crt" --key "$DIR/client.key" https://lab.test:8443/

sleep 1
echo "demo: stopping tlsnoop (SIGINT)" >&2
stop_tlsnoop
# Everything tlsnoop wrote to stderr after "attached", the summary included.
sed '0,/^tlsnoop: attached/d' "$DIR/tlsnoop.err" >&2
