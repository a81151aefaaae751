#!/usr/bin/env bash
# Regenerate vmlinux/vmlinux.h from the running kernel's BTF (CO-RE keeps it portable).
set -euo pipefail
cd "$(dirname "$0")/.."
bpftool btf dump file /sys/kernel/btf/vmlinux format c > vmlinux/vmlinux.h
