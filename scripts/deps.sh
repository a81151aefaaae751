#!/usr/bin/env bash
# Install every build, test and demo dependency from Debian 12, idempotently.
# Usage: sudo scripts/deps.sh
set -euo pipefail

pkgs=(
	# build
	make clang llvm gcc pkg-config libbpf-dev libelf-dev zlib1g-dev linux-libc-dev libssl-dev
	bpftool libpcap-dev libxdp-dev libjson-c-dev
	# clang's libFuzzer and sanitizer runtimes: only recommended by clang-14
	libclang-rt-14-dev
	# lab, tests and demo
	iproute2 nginx-light haproxy openssl curl python3 tcpdump tshark ethtool
	procps psmisc xdp-tools python3-pytest prometheus tmux time
	# policy ground truth: a third TLS client stack
	gnutls-bin
	# tlsnoop check ground truth: the scanners it replaces
	nmap sslscan
	# Debian's 6.1 kernel under qemu (scripts/check-debian-kernel.sh)
	qemu-system-x86 busybox-static
)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
		|| missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages (${missing[*]}); run as root: sudo $0" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
echo "deps: installing ${missing[*]}" >&2
apt-get update -qq
# tshark asks whether non-root users may capture; answer no without a terminal.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian starts nginx, haproxy and prometheus on install; the lab and the
# tests run their own instances.
for s in nginx haproxy prometheus; do
	systemctl disable --now "$s" >/dev/null 2>&1 || service "$s" stop >/dev/null 2>&1 || true
done
