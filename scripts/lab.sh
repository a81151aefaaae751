#!/usr/bin/env bash
# A two-namespace TLS lab for tlsnoop's end-to-end tests and demo.
#
#   scripts/lab.sh up DIR     create namespaces, certificates, start nginx and haproxy
#   scripts/lab.sh down DIR   stop them and delete the namespaces (idempotent)
#   scripts/lab.sh pki DIR    only the certificates (for tests that build their own lab)
#
# tlsn-srv (the load balancer)            tlsn-cli (the clients)
#   veth-srv 198.18.0.1/24 2001:db8::1/64 <-> veth-cli 198.18.0.2/24, 198.18.0.10-40, 2001:db8::2/64
#   nginx   :443  TLS 1.2/1.3, ECDHE+AEAD ciphers, h2, ssl_reject_handshake for no/unknown SNI,
#                 lab.test (valid cert, answers 200 "ok") and expired.test (expired cert)
#   haproxy :8443 mutual TLS (verify required, ca-file = lab CA), answers 200 "ok"
#
# DIR receives the PKI, the server configurations, pid files and logs:
#   ca.crt                     lab CA (the one clients trust)
#   other-ca.crt               a second CA nobody trusts
#   lab.test.{crt,key}         server cert, SAN lab.test, signed by the lab CA
#   expired.test.{crt,key}     server cert that expired in 2020, signed by the lab CA
#   other.test.{crt,key}       server cert signed by the other CA
#   client.{crt,key}           client cert signed by the lab CA (accepted by haproxy)
#   client-other.{crt,key}     client cert signed by the other CA (rejected by haproxy)
#   nginx-error.log            nginx handshake failures (error_log level info)
#   haproxy.sock               haproxy CLI; `show events lablog` prints haproxy's log ring
#
# Only addresses in 198.18.0.0/15 and 2001:db8::/32 are used, only inside the two namespaces;
# no IPv6 link-local addresses are generated (addrgenmode none). Prints nothing on success.
set -euo pipefail

SRV_NS=tlsn-srv
CLI_NS=tlsn-cli
SRV4=198.18.0.1
CLI4=198.18.0.2
SRV6=2001:db8::1
CLI6=2001:db8::2
EXTRA_FIRST=10
EXTRA_LAST=40

die() { echo "lab: $*" >&2; exit 1; }

usage() { echo "usage: $0 up|down|pki DIR" >&2; exit 2; }

# Kill the pids listed in a pid file if they are still the expected program.
kill_pidfile() {
	local file=$1 comm=$2 pid pids=()
	[ -s "$file" ] || return 0
	for pid in $(cat "$file" 2>/dev/null); do
		[[ $pid =~ ^[0-9]+$ ]] || continue
		[ "$(cat /proc/"$pid"/comm 2>/dev/null)" = "$comm" ] && pids+=("$pid")
	done
	kill_pids "${pids[@]}"
	rm -f "$file"
}

# Running, and not a zombie waiting for its parent (or init) to reap it.
running() {
	local stat
	stat=$(cat /proc/"$1"/stat 2>/dev/null) || return 1
	stat=${stat##*) }
	[ "${stat%% *}" != Z ]
}

# SIGTERM, wait up to 3 s, then SIGKILL.
kill_pids() {
	local pid i alive
	[ $# -gt 0 ] || return 0
	kill -TERM "$@" 2>/dev/null || true
	for ((i = 0; i < 30; i++)); do
		alive=0
		for pid in "$@"; do
			running "$pid" && alive=1
		done
		[ $alive -eq 0 ] && return 0
		sleep 0.1
	done
	kill -KILL "$@" 2>/dev/null || true
}

lab_down() {
	local dir=$1 ns pids
	if [ -n "$dir" ] && [ -d "$dir" ]; then
		kill_pidfile "$dir/nginx.pid" nginx
		kill_pidfile "$dir/haproxy.pid" haproxy
	fi
	# Anything else still running in the lab namespaces was started for the lab
	# (a previous lab in another DIR, a tlsnoop left over by an aborted test).
	for ns in "$SRV_NS" "$CLI_NS"; do
		ip netns list 2>/dev/null | grep -qw "^$ns" || continue
		# shellcheck disable=SC2046
		pids=$(ip netns pids "$ns" 2>/dev/null || true)
		# shellcheck disable=SC2086
		[ -z "$pids" ] || kill_pids $pids
		ip netns del "$ns" 2>/dev/null || true
	done
}

# ---------------------------------------------------------------- PKI
pki() {
	local d=$1 log=$1/openssl.log
	: >"$log"
	run() { "$@" >>"$log" 2>&1 || { cat "$log" >&2; die "openssl failed: $*"; }; }

	cat >"$d/pki.cnf" <<-EOF
	[ req ]
	distinguished_name = dn
	prompt = no
	[ dn ]
	CN = unused
	[ ca_ext ]
	basicConstraints = critical, CA:true
	keyUsage = critical, keyCertSign, cRLSign
	subjectKeyIdentifier = hash
	[ server_ext ]
	basicConstraints = critical, CA:false
	keyUsage = critical, digitalSignature, keyEncipherment
	extendedKeyUsage = serverAuth
	subjectKeyIdentifier = hash
	authorityKeyIdentifier = keyid
	subjectAltName = DNS:\${ENV::LAB_SAN}
	[ client_ext ]
	basicConstraints = critical, CA:false
	keyUsage = critical, digitalSignature
	extendedKeyUsage = clientAuth
	subjectKeyIdentifier = hash
	authorityKeyIdentifier = keyid
	# openssl ca is used for every leaf because it can set arbitrary validity
	# dates (-startdate/-enddate); openssl x509 -req in OpenSSL 3.0 cannot.
	[ ca ]
	default_ca = lab_ca
	[ lab_ca ]
	dir = \${ENV::LAB_CADIR}
	database = \$dir/index.txt
	new_certs_dir = \$dir/new
	serial = \$dir/serial
	certificate = \$dir/ca.crt
	private_key = \$dir/ca.key
	default_md = sha256
	default_days = 365
	policy = any
	unique_subject = no
	copy_extensions = none
	[ any ]
	commonName = supplied
	EOF
	# pki.cnf reads these when loaded, so they must always be set.
	export OPENSSL_CONF=$d/pki.cnf LAB_SAN=lab.test LAB_CADIR=$d/ca.d

	local ca
	for ca in ca other-ca; do
		mkdir -p "$d/$ca.d/new"
		: >"$d/$ca.d/index.txt"
		openssl rand -hex 8 >"$d/$ca.d/serial"
		local cn="tlsnoop lab CA"
		[ $ca = other-ca ] && cn="tlsnoop untrusted other CA"
		run openssl req -x509 -new -newkey rsa:2048 -nodes -sha256 -days 3650 \
			-config "$d/pki.cnf" -extensions ca_ext -subj "/CN=$cn" \
			-keyout "$d/$ca.d/ca.key" -out "$d/$ca.d/ca.crt"
		cp "$d/$ca.d/ca.crt" "$d/$ca.crt"
	done

	# leaf NAME CA EXT [openssl ca date options...]
	leaf() {
		local name=$1 ca=$2 ext=$3
		shift 3
		run openssl req -new -newkey rsa:2048 -nodes -config "$d/pki.cnf" \
			-subj "/CN=$name" -keyout "$d/$name.key" -out "$d/$name.csr"
		LAB_CADIR=$d/$ca.d run openssl ca -batch -notext -config "$d/pki.cnf" \
			-extensions "$ext" -in "$d/$name.csr" -out "$d/$name.crt" "$@"
		rm -f "$d/$name.csr"
	}
	leaf lab.test ca server_ext -days 365
	LAB_SAN=expired.test leaf expired.test ca server_ext \
		-startdate 20200101000000Z -enddate 20200201000000Z
	LAB_SAN=other.test leaf other.test other-ca server_ext -days 365
	leaf client ca client_ext -days 365
	leaf client-other other-ca client_ext -days 365
	unset OPENSSL_CONF LAB_SAN LAB_CADIR

	# haproxy wants certificate and key in one file.
	cat "$d/lab.test.crt" "$d/lab.test.key" >"$d/lab.test.pem"
	chmod 600 "$d"/*.key "$d/lab.test.pem"
}

# ---------------------------------------------------------------- servers
nginx_conf() {
	local d=$1
	cat >"$d/nginx.conf" <<-EOF
	# tlsnoop lab nginx: strict TLS policy, SNI required.
	user root;
	daemon on;
	worker_processes 1;
	pid $d/nginx.pid;
	# info: handshake failures are logged with the client address and OpenSSL's reason.
	error_log $d/nginx-error.log info;
	events { worker_connections 256; }
	http {
	    access_log $d/nginx-access.log;
	    ssl_protocols TLSv1.2 TLSv1.3;
	    ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305;
	    ssl_prefer_server_ciphers on;
	    # No SNI or an unknown SNI: alert 112 (unrecognized_name).
	    server {
	        listen 443 ssl http2 default_server;
	        listen [::]:443 ssl http2 default_server;
	        ssl_reject_handshake on;
	    }
	    server {
	        listen 443 ssl http2;
	        listen [::]:443 ssl http2;
	        server_name lab.test;
	        ssl_certificate $d/lab.test.crt;
	        ssl_certificate_key $d/lab.test.key;
	        default_type text/plain;
	        location / { return 200 "ok\n"; }
	    }
	    server {
	        listen 443 ssl http2;
	        listen [::]:443 ssl http2;
	        server_name expired.test;
	        ssl_certificate $d/expired.test.crt;
	        ssl_certificate_key $d/expired.test.key;
	        default_type text/plain;
	        location / { return 200 "expired\n"; }
	    }
	}
	EOF
}

haproxy_conf() {
	local d=$1
	cat >"$d/haproxy.cfg" <<-EOF
	# tlsnoop lab haproxy: mutual TLS, only clients with a lab-CA certificate get in.
	global
	    daemon
	    pidfile $d/haproxy.pid
	    stats socket $d/haproxy.sock mode 600 level admin
	    # Logs go to an in-memory ring: read them with "show events lablog" on the socket.
	    log ring@lablog local0 info
	ring lablog
	    format rfc5424
	    maxlen 1024
	    size 262144
	defaults
	    mode http
	    log global
	    option httplog
	    timeout connect 5s
	    timeout client 10s
	    timeout server 10s
	frontend mtls
	    bind $SRV4:8443 ssl crt $d/lab.test.pem ca-file $d/ca.crt verify required ssl-min-ver TLSv1.2 ssl-max-ver TLSv1.3 alpn h2,http/1.1
	    bind [$SRV6]:8443 ssl crt $d/lab.test.pem ca-file $d/ca.crt verify required ssl-min-ver TLSv1.2 ssl-max-ver TLSv1.3 alpn h2,http/1.1
	    http-request return status 200 content-type text/plain string "ok\n"
	EOF
}

# ---------------------------------------------------------------- network
netns_up() {
	local i
	ip netns add "$SRV_NS"
	ip netns add "$CLI_NS"
	ip link add veth-srv netns "$SRV_NS" type veth peer name veth-cli netns "$CLI_NS"
	for ns in "$SRV_NS" "$CLI_NS"; do
		ip -n "$ns" link set lo up
	done
	# No link-local IPv6 addresses: the lab only ever uses 198.18.0.0/15 and 2001:db8::/32.
	ip -n "$SRV_NS" link set veth-srv addrgenmode none
	ip -n "$CLI_NS" link set veth-cli addrgenmode none
	ip -n "$SRV_NS" addr add "$SRV4/24" dev veth-srv
	ip -n "$SRV_NS" addr add "$SRV6/64" dev veth-srv nodad
	ip -n "$CLI_NS" addr add "$CLI4/24" dev veth-cli
	for ((i = EXTRA_FIRST; i <= EXTRA_LAST; i++)); do
		ip -n "$CLI_NS" addr add "198.18.0.$i/24" dev veth-cli
	done
	ip -n "$CLI_NS" addr add "$CLI6/64" dev veth-cli nodad
	ip -n "$SRV_NS" link set veth-srv up
	ip -n "$CLI_NS" link set veth-cli up
}

listening() {
	local port=$1
	# One IPv4 and one IPv6 listener.
	[ "$(ip netns exec "$SRV_NS" ss -Hltn "sport = :$port" 2>/dev/null | wc -l)" -ge 2 ]
}

lab_up() {
	local d=$1 i
	lab_down "$d"
	mkdir -p "$d"
	pki "$d"
	nginx_conf "$d"
	haproxy_conf "$d"
	netns_up

	ip netns exec "$SRV_NS" nginx -q -t -c "$d/nginx.conf" -e "$d/nginx-error.log" \
		|| die "nginx configuration test failed ($d/nginx.conf)"
	ip netns exec "$SRV_NS" nginx -c "$d/nginx.conf" -e "$d/nginx-error.log" \
		|| die "nginx failed to start, see $d/nginx-error.log"
	ip netns exec "$SRV_NS" haproxy -q -c -f "$d/haproxy.cfg" >"$d/haproxy-check.log" 2>&1 \
		|| { cat "$d/haproxy-check.log" >&2; die "haproxy configuration check failed"; }
	ip netns exec "$SRV_NS" haproxy -q -f "$d/haproxy.cfg" >"$d/haproxy-start.log" 2>&1 \
		|| { cat "$d/haproxy-start.log" >&2; die "haproxy failed to start"; }

	for ((i = 0; i < 50; i++)); do
		listening 443 && listening 8443 && return 0
		sleep 0.1
	done
	ip netns exec "$SRV_NS" ss -ltnp >&2 || true
	die "nginx (:443) or haproxy (:8443) not listening after 5 s"
}

[ $# -eq 2 ] || usage
[ "$(id -u)" -eq 0 ] || die "must run as root"
DIR=$2
case $1 in
up)
	DIR=$(mkdir -p "$DIR" && cd "$DIR" && pwd)
	lab_up "$DIR"
	;;
down)
	[ -d "$DIR" ] && DIR=$(cd "$DIR" && pwd)
	lab_down "$DIR"
	;;
pki)
	DIR=$(mkdir -p "$DIR" && cd "$DIR" && pwd)
	pki "$DIR"
	;;
*) usage ;;
esac
