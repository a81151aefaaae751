# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Build: .bpf.c -> .bpf.o -> .skel.h (bpftool gen skeleton) -> tlsnoop.
OUTPUT := .output
CLANG ?= clang
BPFTOOL ?= bpftool
CC ?= cc
ARCH := $(shell uname -m | sed 's/x86_64/x86/' | sed 's/aarch64/arm64/')
PKGS := libxdp libbpf libelf zlib libpcap libcrypto libssl json-c

CFLAGS ?= -g -O2
CFLAGS += -Wall -Wextra -Werror -std=gnu11 -I$(OUTPUT) -Ibpf -Iuser
LDLIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lxdp -lbpf -lelf -lz -lpcap -lcrypto -lssl -ljson-c)
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Wextra -Werror \
	-Ivmlinux -Ibpf -I$(OUTPUT)

ifeq ($(SAN),1)
CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer
LDFLAGS += -fsanitize=address,undefined
endif

BPF_SRCS := bpf/tlsnoop.bpf.c
BPF_HDRS := $(wildcard bpf/*.h)
USER_SRCS := $(filter-out user/tlsnoop.c,$(wildcard user/*.c))
USER_OBJS := $(patsubst user/%.c,$(OUTPUT)/%.o,$(USER_SRCS)) $(OUTPUT)/tlsnoop_host.o
USER_HDRS := $(wildcard user/*.h) $(wildcard bpf/host/*.h)
# The programs built a second time, for the host (-r; docs/design.md).
HOST_SRC := bpf/host/tlsnoop_host.c
HOST_DEPS := $(HOST_SRC) $(BPF_SRCS) $(BPF_HDRS) $(wildcard bpf/host/*.h bpf/host/bpf/*.h) \
	user/bpf_host.h

.PHONY: all clean deps test demo bench unit e2e fuzz install uninstall
all: tlsnoop

$(OUTPUT):
	mkdir -p $@

$(OUTPUT)/tlsnoop.bpf.o: bpf/tlsnoop.bpf.c $(BPF_HDRS) | $(OUTPUT)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@.tmp
	$(BPFTOOL) gen object $@ $@.tmp
	rm -f $@.tmp

$(OUTPUT)/tlsnoop.skel.h: $(OUTPUT)/tlsnoop.bpf.o
	$(BPFTOOL) gen skeleton $< name tlsnoop_bpf > $@

# Benchmark baseline: an XDP program that only returns XDP_PASS.
$(OUTPUT)/baseline.bpf.o: bench/baseline.bpf.c | $(OUTPUT)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@.tmp
	$(BPFTOOL) gen object $@ $@.tmp
	rm -f $@.tmp

# Another XDP program, for the coexistence tests.
$(OUTPUT)/xdp_other.bpf.o: tests/bpf/xdp_other.bpf.c | $(OUTPUT)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@.tmp
	$(BPFTOOL) gen object $@ $@.tmp
	rm -f $@.tmp

$(OUTPUT)/baseline.skel.h: $(OUTPUT)/baseline.bpf.o
	$(BPFTOOL) gen skeleton $< name baseline_bpf > $@

$(OUTPUT)/%.o: user/%.c $(USER_HDRS) $(BPF_HDRS) $(OUTPUT)/tlsnoop.skel.h | $(OUTPUT)
	$(CC) $(CFLAGS) -c $< -o $@

# bpf/host/ stands in for vmlinux.h and libbpf's bpf_helpers.h; the source's
# loop pragmas are clang's.
$(OUTPUT)/tlsnoop_host.o: $(HOST_DEPS) $(OUTPUT)/tlsnoop.skel.h | $(OUTPUT)
	$(CC) $(CFLAGS) -Ibpf/host -Wno-unknown-pragmas -c $< -o $@

tlsnoop: $(OUTPUT)/tlsnoop.o $(USER_OBJS)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

# Tests link the same objects as the tool, minus its main.
$(OUTPUT)/test_%: tests/unit/test_%.c tests/unit/*.h $(USER_OBJS)
	$(CC) $(CFLAGS) -Itests/unit $< $(USER_OBJS) $(LDLIBS) $(LDFLAGS) -o $@

# The ClientHello parser and hello table read bytes from the internet: their
# tests and fuzzer are built by clang from the sources with ASan and UBSan,
# so a read past the bytes, or undefined behaviour, fails them.
HELLO_SRCS := user/hello.c user/hello_table.c user/fingerprint.c
HELLO_DEPS := $(HELLO_SRCS) $(USER_HDRS) $(BPF_HDRS)
SAN_CFLAGS := -g -O1 -fno-omit-frame-pointer -fno-sanitize-recover=all \
	-Wall -Wextra -Werror -std=gnu11 -Ibpf -Iuser -Itests/unit
FUZZ_RUNS ?= 10000000
HELLO_CHECKS := $(OUTPUT)/test_hello $(OUTPUT)/san/test_hello $(OUTPUT)/fuzz/fuzz_hello \
	$(OUTPUT)/fuzz/gen_seeds

$(OUTPUT)/san/test_hello: tests/unit/test_hello.c tests/unit/*.h $(HELLO_DEPS)
	mkdir -p $(@D)
	$(CLANG) $(SAN_CFLAGS) -fsanitize=address,undefined $< $(HELLO_SRCS) -lcrypto -o $@

$(OUTPUT)/fuzz/fuzz_hello: tests/fuzz/fuzz_hello.c $(HELLO_DEPS)
	mkdir -p $(@D)
	$(CLANG) $(SAN_CFLAGS) -fsanitize=fuzzer,address,undefined $< $(HELLO_SRCS) -lcrypto -o $@

# The whole collector (and the host build of the programs) from the sources,
# for the targets built with ASan and UBSan.
SAN_COLLECTOR := $(USER_SRCS) $(HOST_SRC)
SAN_COLLECTOR_DEPS := $(USER_SRCS) $(USER_HDRS) $(HOST_DEPS) $(OUTPUT)/tlsnoop.skel.h
SAN_COLLECTOR_FLAGS := -I$(OUTPUT) -Ibpf/host -Wno-unknown-pragmas

# Ring-buffer records through the collector, every consumer on: all of its
# code is built from the sources with ASan and UBSan.
$(OUTPUT)/fuzz/fuzz_records: tests/fuzz/fuzz_records.c tests/fuzz/json_check.h \
		$(SAN_COLLECTOR_DEPS)
	mkdir -p $(@D)
	$(CLANG) $(SAN_CFLAGS) $(SAN_COLLECTOR_FLAGS) -fsanitize=fuzzer,address,undefined $< \
		$(SAN_COLLECTOR) $(LDLIBS) -o $@

# Capture files through libpcap, the programs built for the host and the
# collector, all built from the sources with ASan and UBSan.
$(OUTPUT)/fuzz/fuzz_capture: tests/fuzz/fuzz_capture.c tests/fuzz/json_check.h \
		$(SAN_COLLECTOR_DEPS)
	mkdir -p $(@D)
	$(CLANG) $(SAN_CFLAGS) $(SAN_COLLECTOR_FLAGS) -fsanitize=fuzzer,address,undefined $< \
		$(SAN_COLLECTOR) $(LDLIBS) -o $@

# Trace files for tlsnoop check --trace: JSON lines read back and judged.
$(OUTPUT)/fuzz/fuzz_trace: tests/fuzz/fuzz_trace.c tests/fuzz/json_check.h \
		$(SAN_COLLECTOR_DEPS)
	mkdir -p $(@D)
	$(CLANG) $(SAN_CFLAGS) $(SAN_COLLECTOR_FLAGS) -fsanitize=fuzzer,address,undefined $< \
		$(SAN_COLLECTOR) $(LDLIBS) -o $@

# Servers' answers to tlsnoop check's own hellos, with the certificates in them.
$(OUTPUT)/fuzz/fuzz_reply: tests/fuzz/fuzz_reply.c $(SAN_COLLECTOR_DEPS)
	mkdir -p $(@D)
	$(CLANG) $(SAN_CFLAGS) $(SAN_COLLECTOR_FLAGS) -fsanitize=fuzzer,address,undefined $< \
		$(SAN_COLLECTOR) $(LDLIBS) -o $@

# Writes the seed corpora from pkt.h's builder (tests/fuzz/run.sh runs it).
$(OUTPUT)/fuzz/gen_seeds: tests/fuzz/gen_seeds.c tests/unit/pkt.h $(BPF_HDRS)
	mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests/unit $< $(LDFLAGS) -o $@

# Flights and certificates come from the internet too: their test also under
# ASan and UBSan, with the collector's sources it goes through.
$(OUTPUT)/san/test_cert: tests/unit/test_cert.c tests/unit/*.h $(SAN_COLLECTOR_DEPS)
	mkdir -p $(@D)
	$(CLANG) $(SAN_CFLAGS) $(SAN_COLLECTOR_FLAGS) -fsanitize=address,undefined $< \
		$(SAN_COLLECTOR) $(LDLIBS) -o $@

# Hostile packets through the real BPF programs (as root); the collector's
# code the records go through is built from the sources with ASan and UBSan.
BPF_PACKETS ?= 1000000
$(OUTPUT)/fuzz/bpf_packets: tests/fuzz/bpf_packets.c tests/fuzz/json_check.h tests/unit/*.h \
		$(SAN_COLLECTOR_DEPS)
	mkdir -p $(@D)
	$(CLANG) $(SAN_CFLAGS) $(SAN_COLLECTOR_FLAGS) -fsanitize=address,undefined $< \
		$(SAN_COLLECTOR) $(LDLIBS) -o $@

fuzz: $(OUTPUT)/fuzz/fuzz_hello $(OUTPUT)/fuzz/fuzz_records $(OUTPUT)/fuzz/fuzz_capture \
		$(OUTPUT)/fuzz/fuzz_trace $(OUTPUT)/fuzz/fuzz_reply $(OUTPUT)/fuzz/gen_seeds \
		$(OUTPUT)/fuzz/bpf_packets tlsnoop
	tests/fuzz/run.sh $(FUZZ_RUNS) fuzz_hello
	tests/fuzz/run.sh $(FUZZ_RUNS) fuzz_records
	tests/fuzz/run.sh $(FUZZ_RUNS) fuzz_capture
	tests/fuzz/run.sh $(FUZZ_RUNS) fuzz_trace
	tests/fuzz/run.sh $(FUZZ_RUNS) fuzz_reply
	$(OUTPUT)/fuzz/bpf_packets $(BPF_PACKETS)

deps:
	scripts/deps.sh

unit: tlsnoop $(OUTPUT)/test_bpf $(OUTPUT)/test_user $(HELLO_CHECKS)
unit: $(OUTPUT)/test_metrics
unit: $(OUTPUT)/test_aggregate
unit: $(OUTPUT)/test_fingerprint
unit: $(OUTPUT)/test_policy $(OUTPUT)/test_trace
unit: $(OUTPUT)/test_check
unit: $(OUTPUT)/test_host
unit: $(OUTPUT)/test_cert $(OUTPUT)/san/test_cert
unit: $(OUTPUT)/fuzz/bpf_packets
unit: $(OUTPUT)/fuzz/fuzz_records $(OUTPUT)/fuzz/fuzz_capture $(OUTPUT)/fuzz/fuzz_trace
unit: $(OUTPUT)/fuzz/fuzz_reply
unit: $(OUTPUT)/xdp_other.bpf.o

test: deps
	$(MAKE) all unit
	TLSNOOP_SAN=$(SAN) tests/run.sh

demo: deps
	$(MAKE) all
	scripts/demo.sh

bench: deps
	$(MAKE) all $(OUTPUT)/bench_bpf $(OUTPUT)/bench_aggregate $(OUTPUT)/bench_flood
	bench/run.sh

$(OUTPUT)/bench_bpf: bench/bench_bpf.c bench/bench.h tests/unit/*.h $(BPF_HDRS) $(OUTPUT)/tlsnoop.skel.h \
		$(OUTPUT)/baseline.skel.h | $(OUTPUT)
	$(CC) $(CFLAGS) -Itests/unit $< $(LDLIBS) $(LDFLAGS) -o $@

$(OUTPUT)/bench_aggregate: bench/bench_aggregate.c tests/unit/synth.h $(USER_OBJS)
	$(CC) $(CFLAGS) -Itests/unit $< $(USER_OBJS) $(LDLIBS) $(LDFLAGS) -o $@

# The flood runs the real collector beside the programs.
$(OUTPUT)/bench_flood: bench/bench_flood.c bench/bench.h tests/unit/pkt.h $(USER_OBJS) $(OUTPUT)/baseline.skel.h
	$(CC) $(CFLAGS) -Itests/unit $< $(USER_OBJS) $(LDLIBS) $(LDFLAGS) -o $@

# Installation (DESTDIR for staging). The settings file is not overwritten.
PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
UNITDIR ?= $(PREFIX)/lib/systemd/system
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
SYSCONFDIR ?= /etc

install: tlsnoop
	install -D -m 0755 tlsnoop $(DESTDIR)$(SBINDIR)/tlsnoop
	install -D -m 0644 packaging/tlsnoop.8 $(DESTDIR)$(MANDIR)/man8/tlsnoop.8
	install -D -m 0644 packaging/tlsnoop.bash-completion $(DESTDIR)$(COMPLETIONDIR)/tlsnoop
	install -d $(DESTDIR)$(UNITDIR)
	sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
		packaging/tlsnoop.service.in >$(DESTDIR)$(UNITDIR)/tlsnoop.service
	[ -e $(DESTDIR)$(SYSCONFDIR)/default/tlsnoop ] || \
		install -D -m 0644 packaging/tlsnoop.default $(DESTDIR)$(SYSCONFDIR)/default/tlsnoop

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/tlsnoop $(DESTDIR)$(MANDIR)/man8/tlsnoop.8 \
		$(DESTDIR)$(COMPLETIONDIR)/tlsnoop $(DESTDIR)$(UNITDIR)/tlsnoop.service

clean:
	rm -rf $(OUTPUT) tlsnoop
