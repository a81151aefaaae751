#!/usr/bin/env bash
# make install into a staging directory: every file where it belongs, the systemd
# unit valid (systemd-analyze verify), the man page clean (groff warnings), bash
# completion answering, the settings file kept on reinstall, uninstall removing the rest.
# Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."

pass=0
fail=0
check() {	# check DESCRIPTION COMMAND...
	local what=$1; shift
	if "$@" >/dev/null 2>&1; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL: $what" >&2
	fi
}

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
make -s install DESTDIR="$stage" PREFIX=/usr >/dev/null
unit=$stage/usr/lib/systemd/system/tlsnoop.service

check "binary installed" test -x "$stage/usr/sbin/tlsnoop"
check "binary runs" "$stage/usr/sbin/tlsnoop" --version
check "man page installed" test -f "$stage/usr/share/man/man8/tlsnoop.8"
check "man page renders without warnings" \
	bash -c "[ -z \"\$(groff -man -Tutf8 -ww -z '$stage/usr/share/man/man8/tlsnoop.8' 2>&1)\" ]"
check "unit names the installed binary" grep -q '^ExecStart=/usr/sbin/tlsnoop ' "$unit"
check "unit restarts on failure" grep -q '^Restart=on-failure' "$unit"
# verify wants the binary at its path: point the unit at the staged one.
sed "s|/usr/sbin/tlsnoop|$stage/usr/sbin/tlsnoop|" "$unit" >"$stage/tlsnoop.service"
check "unit passes systemd-analyze verify" systemd-analyze verify --man=no "$stage/tlsnoop.service"
check "settings file installed" grep -q '^TLSNOOP_INTERFACE=' "$stage/etc/default/tlsnoop"
check "completion offers options" bash -c "source '$stage/usr/share/bash-completion/completions/tlsnoop'
	COMP_WORDS=(tlsnoop --ho); COMP_CWORD=1; _tlsnoop; [ \"\${COMPREPLY[*]}\" = --hook ]"
check "completion offers hook values" bash -c "source '$stage/usr/share/bash-completion/completions/tlsnoop'
	COMP_WORDS=(tlsnoop --hook ''); COMP_CWORD=2; _tlsnoop; [ \"\${COMPREPLY[*]}\" = 'xdp tc' ]"
echo 'TLSNOOP_INTERFACE=bond0' >"$stage/etc/default/tlsnoop"
make -s install DESTDIR="$stage" PREFIX=/usr >/dev/null
check "reinstall keeps the settings" grep -q '^TLSNOOP_INTERFACE=bond0' "$stage/etc/default/tlsnoop"
make -s uninstall DESTDIR="$stage" PREFIX=/usr >/dev/null
check "uninstall removes the binary" test ! -e "$stage/usr/sbin/tlsnoop"
check "uninstall removes the unit" test ! -e "$unit"

echo "check_install: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
