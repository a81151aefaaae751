#!/usr/bin/env bash
# Boot Debian 12's own 6.1 kernel under qemu and run the BPF programs' tests in it, and
# tests/guest/xdp_coexist.sh: tlsnoop beside another XDP program through libxdp's
# dispatcher, which needs BPF extension programs (freplace), a kernel feature Debian's
# kernel has and some VM kernels (this project's CI among them) lack.
#
# Usage (root, Debian 12, after `make unit`): sudo scripts/check-debian-kernel.sh
#
# Needs network access to Debian's apt mirrors only. It installs qemu-system-x86 and
# busybox-static if missing, fetches the newest linux-image-6.1.0-*-amd64 package with
# `apt-get download` (extracted, never installed on this host), builds an initramfs of
# busybox, ./tlsnoop, .output/test_bpf, xdp-loader, bpftool, libxdp's dispatcher, the
# coexistence test's program and their shared libraries, boots it (KVM when /dev/kvm
# exists, else TCG) and runs .output/test_bpf (loads the real programs, then the
# BPF_PROG_TEST_RUN checks), ./tlsnoop -V and every tests/guest/*.sh (on lo) inside. No
# network leaves the guest.
# Debian's 6.1 config builds BPF, BTF, bpffs, debugfs and the 8250 serial console in; the
# clsact qdisc and cls_bpf, for tlsnoop's TC hooks, are modules loaded from the package.
#
# Ends with two lines:  PASS|FAIL kernel <release> (<package> <version>): test_bpf N passed,
# N failed; <each tests/guest script> N passed, N failed ...  and the sum, "N passed, N
# failed" (for tests/run.sh). Exits 0 on PASS.
#
# Environment: KPKG=linux-image-6.1.0-NN-amd64 to pick a package, QEMU_TIMEOUT (seconds,
# default 900), QEMU_MEM (MiB, default 1024), WORK (default .output/debian-kernel),
# QEMU_ACCEL=tcg to skip KVM, KVM_PROBE (seconds a KVM guest gets to reach /init before the
# TCG fallback, default 60; nested KVM can hang or abort).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

QEMU_TIMEOUT=${QEMU_TIMEOUT:-900}
QEMU_MEM=${QEMU_MEM:-1024}
WORK=${WORK:-$repo/.output/debian-kernel}
start=$(date +%s)

die() { echo "check-debian-kernel: $*" >&2; echo "FAIL kernel ? : $*"; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root"
grep -q '^VERSION_ID="12"' /etc/os-release 2>/dev/null \
	|| echo "check-debian-kernel: warning: not Debian 12; apt may not offer its 6.1 kernel" >&2
for f in tlsnoop .output/test_bpf .output/xdp_other.bpf.o; do
	[ -e "$f" ] || die "$f missing: run make unit first"
done

# 1. Tools.
export DEBIAN_FRONTEND=noninteractive
need=()
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'install ok installed' \
	|| need+=(busybox-static)
if [ ${#need[@]} -gt 0 ]; then
	echo "check-debian-kernel: installing ${need[*]}"
	timeout 300 apt-get update -qq || die "apt-get update failed or timed out"
	timeout 600 apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null \
		|| die "apt-get install ${need[*]} failed or timed out"
fi

# 2. The kernel package: the newest linux-image-6.1.0-N-amd64 apt knows of.
mkdir -p "$WORK"
cd "$WORK"
if [ -z "${KPKG:-}" ]; then
	KPKG=$(apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-amd64$' \
		| awk '{print $1}' | sort -V | tail -1)
	if [ -z "$KPKG" ]; then
		timeout 300 apt-get update -qq || die "apt-get update failed or timed out"
		KPKG=$(apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-amd64$' \
			| awk '{print $1}' | sort -V | tail -1)
	fi
fi
[ -n "$KPKG" ] || die "no linux-image-6.1.0-*-amd64 package in apt's lists"
deb=$(ls -1 "${KPKG}"_*.deb 2>/dev/null | tail -1 || true)
if [ -z "$deb" ]; then
	echo "check-debian-kernel: downloading $KPKG"
	timeout 600 apt-get download -q "$KPKG" >/dev/null 2>&1 \
		|| die "apt-get download $KPKG failed or timed out"
	deb=$(ls -1 "${KPKG}"_*.deb | tail -1)
fi
kver=$(dpkg-deb -f "$deb" Version)
krel=${KPKG#linux-image-}
rm -rf kpkg && mkdir kpkg
dpkg-deb -x "$deb" kpkg
vmlinuz=kpkg/boot/vmlinuz-$krel
[ -f "$vmlinuz" ] || die "$deb holds no boot/vmlinuz-$krel"
echo "check-debian-kernel: kernel $krel from $KPKG $kver"

# 3. The initramfs: busybox, the two binaries, their libraries and the loader.
rm -rf root && mkdir -p root/{bin,dev,proc,sys,tmp,run,lib64,tlsnoop/.output}
cp /bin/busybox root/bin/busybox
cp "$repo/tlsnoop" root/tlsnoop/tlsnoop
cp "$repo/.output/test_bpf" "$repo/.output/xdp_other.bpf.o" root/tlsnoop/.output/
mkdir -p root/tlsnoop/guest root/etc
cp "$repo"/tests/guest/* root/tlsnoop/guest/
# For --user nobody.
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' \
	>root/etc/passwd
printf 'root:x:0:\nnogroup:x:65534:\n' >root/etc/group
# The TC hooks: clsact and cls_bpf are modules in Debian's build.
mkdir -p root/modules
for m in sch_ingress cls_bpf; do
	ko=kpkg/lib/modules/$krel/kernel/net/sched/$m.ko
	if [ -f "$ko" ]; then
		cp "$ko" root/modules/
	elif [ -f "$ko.xz" ]; then	# newer kernels compress them
		xz -dc "$ko.xz" >root/modules/$m.ko || die "cannot decompress $ko.xz"
	else
		die "$KPKG holds no $m.ko"
	fi
done
tools=$(command -v xdp-loader bpftool) || die "xdp-loader or bpftool missing: sudo scripts/deps.sh"
dispatcher=$(dpkg -L libxdp1 | grep '/xdp-dispatcher.o$' | head -1)
[ -n "$dispatcher" ] || die "libxdp's xdp-dispatcher.o missing: sudo scripts/deps.sh"
mkdir -p "root$(dirname "$dispatcher")" root/sbin
cp "$dispatcher" "root$dispatcher"
cp $tools root/sbin/
for lib in $(ldd "$repo/tlsnoop" "$repo/.output/test_bpf" $tools \
	| awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// && $1 !~ /:$/ {print $1}' | sort -u); do
	mkdir -p "root$(dirname "$lib")"
	cp -L "$lib" "root$lib"
done
# Under merged /usr, ldd may name libraries by /usr/lib or /lib: make both resolve.
[ -d root/usr/lib ] && [ ! -e root/lib ] && ln -s usr/lib root/lib
[ -d root/lib ] && [ ! -e root/usr/lib ] && mkdir -p root/usr && ln -s ../lib root/usr/lib
cat >root/init <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t bpf bpf /sys/fs/bpf
mount -t debugfs debugfs /sys/kernel/debug
echo "@@KERNEL $(uname -r) | $(cat /proc/version)"
[ -f /sys/kernel/btf/vmlinux ] && echo "@@BTF yes" || echo "@@BTF no"
cd /tlsnoop
echo "@@RUN .output/test_bpf"
./.output/test_bpf 2>&1
echo "@@TEST_BPF_RC $?"
echo "@@RUN ./tlsnoop -V"
./tlsnoop -V 2>&1
echo "@@TLSNOOP_V_RC $?"
insmod /modules/sch_ingress.ko && insmod /modules/cls_bpf.ko
for t in guest/*.sh; do
	echo "@@RUN $t"
	PATH=/bin:/sbin sh "$t" 2>&1
	echo "@@GUEST_RC $t $?"
done
echo "@@DONE"
poweroff -f
EOF
chmod +x root/init
(cd root && find . | /bin/busybox cpio -o -H newc 2>/dev/null | gzip -1) >initramfs.gz

# 4. Boot. panic=-1 and -no-reboot: any panic ends qemu at once.
# boot ACCEL: runs qemu, bounded by QEMU_TIMEOUT; with KVM, gives up (status 125) when the
# guest has not reached /init within KVM_PROBE seconds (nested KVM can hang or abort).
boot() {
	local accel=(-accel tcg) pid waited=0
	[ "$1" = kvm ] && accel=(-enable-kvm -cpu host,-arch-capabilities)
	echo "check-debian-kernel: booting with $1 (timeout ${QEMU_TIMEOUT}s)"
	: >console.log
	timeout "$QEMU_TIMEOUT" qemu-system-x86_64 -nographic -no-reboot -m "$QEMU_MEM" -smp 2 \
		"${accel[@]}" -nic none -kernel "$vmlinuz" -initrd initramfs.gz \
		-append "console=ttyS0 panic=-1 rdinit=/init loglevel=4" </dev/null \
		>console.raw 2>&1 &
	pid=$!
	if [ "$1" = kvm ]; then
		while kill -0 "$pid" 2>/dev/null && ! grep -q '@@KERNEL' console.raw; do
			if [ "$waited" -ge "${KVM_PROBE:-60}" ]; then
				kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
				tr -d '\r\000' <console.raw >console.log
				return 125
			fi
			sleep 1; waited=$((waited + 1))
		done
	fi
	wait "$pid"
	local rc=$?
	tr -d '\r\000' <console.raw >console.log
	grep -q '@@KERNEL' console.log || [ "$rc" -eq 124 ] || return 125
	return "$rc"
}
set +e
qrc=125
if [ -w /dev/kvm ] && [ "${QEMU_ACCEL:-}" != tcg ]; then
	boot kvm; qrc=$?
	[ "$qrc" -eq 125 ] && echo "check-debian-kernel: KVM guest did not boot; falling back to TCG" \
		&& tail -3 console.log >&2
fi
[ "$qrc" -eq 125 ] && { boot tcg; qrc=$?; }
set -e
secs=$(( $(date +%s) - start ))

# 5. Verdict.
set +o pipefail
sed -n '/@@KERNEL/,/^@@DONE/p' console.log | tail -n 200
running=$(grep -o '@@KERNEL [^ ]*' console.log | head -1 | cut -d' ' -f2)
trc=$(sed -n 's/^@@TEST_BPF_RC //p' console.log)
vrc=$(sed -n 's/^@@TLSNOOP_V_RC //p' console.log)
summary=$(sed -n '/^@@RUN .output\/test_bpf/,/^@@TEST_BPF_RC/p' console.log \
	| grep -Eo '[0-9]+ passed, [0-9]+ failed' | tail -1)
# Each tests/guest script: its own "N passed, N failed", or none.
guest=() gfailed=0 gpassed=0
for t in "$repo"/tests/guest/*.sh; do
	t=guest/$(basename "$t")
	rc=$(sed -n "s|^@@GUEST_RC $t ||p" console.log)
	res=$(sed -n "\|^@@RUN $t\$|,\|^@@GUEST_RC $t |p" console.log \
		| grep -Eo '^[0-9]+ passed, [0-9]+ failed' | tail -1)
	guest+=("$(basename "$t" .sh) ${res:-no summary (rc ${rc:-?})}")
	gpassed=$((gpassed + $(grep -Eo '^[0-9]+' <<<"${res:-0}")))
	gfailed=$((gfailed + $(grep -Eo '[0-9]+ failed' <<<"${res:-1 failed}" | grep -Eo '[0-9]+')))
	[ "${rc:-1}" != 0 ] && [ -n "$res" ] && grep -q ' 0 failed' <<<"$res" \
		&& gfailed=$((gfailed + 1))
done
# A verifier rejection: the function being verified and the message before "processed".
verr=$(grep -B1 '^processed [0-9]* insns' console.log | grep -v '^processed\|^--' | head -1)
vfunc=$(grep -o '^Validating [^ ]*' console.log | tail -1)
line="kernel ${running:-?} ($KPKG $kver): test_bpf ${summary:-no summary (rc ${trc:-?})}"
line+="; tlsnoop -V rc=${vrc:-?}; $(IFS=';'; echo "${guest[*]}" | sed 's/;/; /g')"
line+="; ${secs}s; log $WORK/console.log"
[ -n "$verr" ] && line+="; verifier: ${vfunc:+$vfunc: }$verr"
# The sum of all counts; -V failing and a summary missing count as one failure each.
count() { grep -Eo "[0-9]+ $1" <<<"$2" | grep -Eo '[0-9]+' || echo 0; }
passed=$(( $(count passed "$summary") + gpassed ))
failed=$(( $(count failed "$summary") + gfailed + (${vrc:-1} != 0) + (${#summary} == 0) ))
if [ "$qrc" -eq 124 ]; then
	echo "FAIL $line; qemu timed out after ${QEMU_TIMEOUT}s"
	echo "$passed passed, $((failed + 1)) failed"
	exit 1
fi
if [ "$trc" = 0 ] && [ "$failed" -eq 0 ]; then
	echo "PASS $line"
	echo "$passed passed, 0 failed"
	exit 0
fi
echo "FAIL $line"
echo "$passed passed, $((failed > 0 ? failed : 1)) failed"
exit 1
