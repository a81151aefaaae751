# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Build: .bpf.c -> .bpf.o -> .skel.h (bpftool gen skeleton) -> tlsnoop.
OUTPUT := .output
CLANG ?= clang
BPFTOOL ?= bpftool
CC ?= cc
ARCH := $(shell uname -m | sed 's/x86_64/x86/' | sed 's/aarch64/arm64/')
PKGS := libbpf libelf zlib

CFLAGS ?= -g -O2
CFLAGS += -Wall -Wextra -Werror -std=gnu11 -I$(OUTPUT) -Ibpf -Iuser
LDLIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lbpf -lelf -lz)
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Wextra -Werror \
	-Ivmlinux -Ibpf -I$(OUTPUT)

ifeq ($(SAN),1)
CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer
LDFLAGS += -fsanitize=address,undefined
endif

BPF_SRCS := bpf/tlsnoop.bpf.c
BPF_HDRS := $(wildcard bpf/*.h)
USER_SRCS := $(filter-out user/tlsnoop.c,$(wildcard user/*.c))
USER_OBJS := $(patsubst user/%.c,$(OUTPUT)/%.o,$(USER_SRCS))
USER_HDRS := $(wildcard user/*.h)

.PHONY: all clean deps test demo bench unit e2e
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

$(OUTPUT)/baseline.skel.h: $(OUTPUT)/baseline.bpf.o
	$(BPFTOOL) gen skeleton $< name baseline_bpf > $@

$(OUTPUT)/%.o: user/%.c $(USER_HDRS) $(BPF_HDRS) $(OUTPUT)/tlsnoop.skel.h | $(OUTPUT)
	$(CC) $(CFLAGS) -c $< -o $@

tlsnoop: $(OUTPUT)/tlsnoop.o $(USER_OBJS)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

# Tests link the same objects as the tool, minus its main.
$(OUTPUT)/test_%: tests/unit/test_%.c tests/unit/*.h $(USER_OBJS)
	$(CC) $(CFLAGS) -Itests/unit $< $(USER_OBJS) $(LDLIBS) $(LDFLAGS) -o $@

deps:
	scripts/deps.sh

unit: tlsnoop $(OUTPUT)/test_bpf $(OUTPUT)/test_user
unit: $(OUTPUT)/test_metrics
unit: $(OUTPUT)/test_aggregate

test: deps
	$(MAKE) all unit
	tests/run.sh

demo: deps
	$(MAKE) all
	scripts/demo.sh

bench: deps
	$(MAKE) all $(OUTPUT)/bench_bpf $(OUTPUT)/bench_aggregate
	bench/run.sh

$(OUTPUT)/bench_bpf: bench/bench_bpf.c tests/unit/*.h $(BPF_HDRS) $(OUTPUT)/tlsnoop.skel.h \
		$(OUTPUT)/baseline.skel.h | $(OUTPUT)
	$(CC) $(CFLAGS) -Itests/unit $< $(LDLIBS) $(LDFLAGS) -o $@

$(OUTPUT)/bench_aggregate: bench/bench_aggregate.c tests/unit/synth.h $(USER_OBJS)
	$(CC) $(CFLAGS) -Itests/unit $< $(USER_OBJS) $(LDLIBS) $(LDFLAGS) -o $@

clean:
	rm -rf $(OUTPUT) tlsnoop
