# vigil — build, run, test.  `make V=1` shows the commands.
HOST_ARCH := $(shell uname -m | sed -e 's/^x86_64$$/x86/' -e 's/^aarch64$$/arm64/')
ARCH ?= $(HOST_ARCH)
ifeq ($(filter $(ARCH),x86 arm64),)
$(error unsupported architecture '$(ARCH)': vigil builds for x86 (x86_64) and arm64 (aarch64))
endif

# A cross build (ARCH other than the host's) gets its own output directory and
# binary, so it never mixes objects with the native build, and the Debian
# cross compiler unless CC is given.
ifeq ($(ARCH),$(HOST_ARCH))
OUTPUT  ?= .output
BIN     ?= vigil
else
OUTPUT  ?= .output/$(ARCH)
BIN     ?= $(OUTPUT)/vigil
CROSS_COMPILE ?= $(if $(filter arm64,$(ARCH)),aarch64-linux-gnu-,x86_64-linux-gnu-)
# the target's .pc files (the libraries' static closures may differ)
PKG_CONFIG ?= PKG_CONFIG_LIBDIR=/usr/lib/$(CROSS_COMPILE:-=)/pkgconfig:/usr/share/pkgconfig pkg-config
ifeq ($(origin CC),default)
CC      := $(CROSS_COMPILE)gcc
endif
endif
# `vigil --version` says `git describe` of the build, or this version when the
# tree is not a git checkout (a release tarball)
VERSION := 0.1
PREFIX  ?= /usr/local
CLANG   ?= clang
BPFTOOL ?= bpftool
CFLAGS  ?= -O2 -g
WARN    := -Wall -Wextra -Werror
# user/ is layered in folders (docs/architecture.md); events.h, shared with
# the BPF side, stays at its top.  Objects keep flat names in $(OUTPUT).
USER_DIRS := user $(patsubst %/,%,$(sort $(dir $(wildcard user/*/*.c user/*/*.h))))
INCLUDES := $(addprefix -I,$(USER_DIRS)) -I$(OUTPUT)
vpath %.c $(USER_DIRS)
# The libraries vigil links, as pkg-config names: the dynamic link and the
# static one (make static) both derive from this list, so a new library is one
# name here.  STATIC=1 asks pkg-config for the static closure (libelf's zlib,
# ncursesw's tinfo, libdw's compressors, ...).  pkg-config's flags carry no
# paths, so the host's answers serve a cross build too (Debian's cross gcc
# searches its multiarch directory).
LIB_PKGS := libbpf libdw libelf zlib ncursesw
PKG_CONFIG ?= pkg-config
LIBS    := $(shell $(PKG_CONFIG) $(if $(STATIC),--static) --libs $(LIB_PKGS)) -lm -lpthread
LDFLAGS += $(if $(STATIC),-static)
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

USER_SRCS := $(notdir $(wildcard user/*.c user/*/*.c))
LIB_SRCS  := $(filter-out main.c,$(USER_SRCS))
USER_OBJS := $(patsubst %.c,$(OUTPUT)/%.o,$(USER_SRCS))
LIB_OBJS  := $(patsubst %.c,$(OUTPUT)/%.o,$(LIB_SRCS))
SAN_OBJS  := $(patsubst %.c,$(OUTPUT)/san/%.o,$(LIB_SRCS))
BPF_SRCS  := $(wildcard bpf/*.bpf.c)
BPF_OBJS  := $(patsubst bpf/%.bpf.c,$(OUTPUT)/%.bpf.o,$(BPF_SRCS))
SKELS     := $(patsubst bpf/%.bpf.c,$(OUTPUT)/%.skel.h,$(BPF_SRCS))
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/%,$(UNIT_SRCS))
# wl_sites.c and libwlsite.c have rules of their own (below)
WORKLOAD_SRCS := $(filter-out tests/workloads/wl_sites.c tests/workloads/libwlsite.c,$(wildcard tests/workloads/*.c))
WORKLOAD_BINS := $(patsubst tests/workloads/%.c,$(OUTPUT)/workloads/%,$(WORKLOAD_SRCS)) \
	$(OUTPUT)/workloads/wl_sites_fp $(OUTPUT)/workloads/wl_sites_nofp \
	$(OUTPUT)/workloads/libwlsite_fp.so $(OUTPUT)/workloads/libwlsite_nofp.so

# the libFuzzer target (tests/fuzz): clang, with its own instrumented objects
FUZZ_OBJS := $(patsubst %.c,$(OUTPUT)/fuzz/%.o,$(LIB_SRCS))
FUZZ_BIN  := $(OUTPUT)/fuzz/fuzz_dump
FUZZ_SAN  := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer \
	     -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION

BPF_ARCH_DEF := $(if $(filter x86,$(ARCH)),__TARGET_ARCH_x86,__TARGET_ARCH_arm64)

.PHONY: all clean deps deps-vmtest run test unit-tests test-bins workloads bench vmtest install uninstall FORCE fuzz fuzz-bin \
	man static static-x86 static-arm64
# keep the objects that pattern-rule chains would delete as intermediates (and
# then rebuild, with the skeleton and everything that embeds it, next time)
.SECONDARY: $(BPF_OBJS) $(SAN_OBJS) $(FUZZ_OBJS)
all: $(BIN)
ifneq ($(BIN),vigil)
.PHONY: vigil
vigil: $(BIN)
endif

$(OUTPUT) $(OUTPUT)/san $(OUTPUT)/tests $(OUTPUT)/workloads $(OUTPUT)/fuzz:
	$(Q)mkdir -p $@

# BPF object: CO-RE against the committed vmlinux.h of the target architecture
$(OUTPUT)/%.bpf.o: bpf/%.bpf.c vmlinux/$(ARCH)/vmlinux.h | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) -g -O2 -target bpf -D__VIGIL_BPF__ -D$(BPF_ARCH_DEF) -MMD -MP \
		-Ivmlinux/$(ARCH) -Iuser -Ibpf -c $< -o $@

$(OUTPUT)/%.skel.h: $(OUTPUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@.tmp && mv $@.tmp $@

$(OUTPUT)/%.o: %.c | $(OUTPUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(WARN) $(INCLUDES) -MMD -MP -c $< -o $@

$(OUTPUT)/san/%.o: %.c | $(OUTPUT)/san
	$(call msg,CC-SAN,$@)
	$(Q)$(CC) -O1 -g $(SANFLAGS) $(WARN) $(INCLUDES) -MMD -MP -c $< -o $@

$(OUTPUT)/fuzz/%.o: %.c | $(OUTPUT)/fuzz
	$(call msg,CC-FUZZ,$@)
	$(Q)$(CLANG) -O1 -g -fsanitize=fuzzer-no-link $(FUZZ_SAN) $(WARN) $(INCLUDES) -MMD -MP -c $< -o $@

# source.c and main.c embed the skeleton
$(OUTPUT)/source.o $(OUTPUT)/san/source.o $(OUTPUT)/fuzz/source.o: $(SKELS)

# What `vigil --version` tells about the build (git describe, vmlinux.h, the
# BPF object's hash).  A header rather than -D flags: it is regenerated on
# every make but rewritten only when it changes, so a new commit or BPF
# object rebuilds version.o and nothing else, and never leaves it stale.
$(OUTPUT)/build_info.h: scripts/gen-build-info.sh vmlinux/$(ARCH)/vmlinux.h $(BPF_OBJS) FORCE | $(OUTPUT)
	$(Q)bash scripts/gen-build-info.sh $(ARCH) $(VERSION) vmlinux/$(ARCH)/vmlinux.h $(BPF_OBJS) > $@.tmp
	$(Q)if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; printf '  %-8s %s\n' GEN $@; fi
$(OUTPUT)/version.o $(OUTPUT)/san/version.o $(OUTPUT)/fuzz/version.o: $(OUTPUT)/build_info.h
FORCE:

$(BIN): $(USER_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LIBS) -o $@

$(OUTPUT)/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(SAN_OBJS) | $(OUTPUT)/tests
	$(call msg,CC-TEST,$@)
	$(Q)$(CC) -O1 -g $(SANFLAGS) $(WARN) $(INCLUDES) -Itests/unit $< $(SAN_OBJS) $(LIBS) -o $@

# malloc_tune.c tunes glibc's own malloc, which ASan replaces: its test runs on
# glibc's malloc (UBSan only)
$(OUTPUT)/tests/test_heap: tests/unit/test_heap.c tests/unit/check.h user/util/malloc_tune.c user/util/malloc_tune.h | $(OUTPUT)/tests
	$(call msg,CC-TEST,$@)
	$(Q)$(CC) -O1 -g -fsanitize=undefined -fno-sanitize-recover=undefined $(WARN) $(INCLUDES) -Itests/unit $< user/util/malloc_tune.c -o $@

$(OUTPUT)/workloads/%: tests/workloads/%.c | $(OUTPUT)/workloads
	$(call msg,CC-WL,$@)
	$(Q)$(CC) -O1 -g -Wall -Wextra -Werror -pthread $< -o $@ -lm

# The allocation-site ground truth (issue 13), with and without frame
# pointers, each variant with its own copy of the shared-library site, found
# next to the program ($ORIGIN) wherever the workloads are copied.
WL_SITES_FLAGS_fp   := -fno-omit-frame-pointer
WL_SITES_FLAGS_nofp := -fomit-frame-pointer
$(OUTPUT)/workloads/libwlsite_%.so: tests/workloads/libwlsite.c | $(OUTPUT)/workloads
	$(call msg,CC-WL,$@)
	$(Q)$(CC) -O2 -g $(WL_SITES_FLAGS_$*) -fPIC -shared -Wall -Wextra -Werror -Wl,-soname,libwlsite_$*.so $< -o $@
$(OUTPUT)/workloads/wl_sites_%: tests/workloads/wl_sites.c tests/workloads/wl_common.h $(OUTPUT)/workloads/libwlsite_%.so
	$(call msg,CC-WL,$@)
	$(Q)$(CC) -O2 -g $(WL_SITES_FLAGS_$*) -DWL_SITES_VARIANT='"$*"' -Wall -Wextra -Werror $< \
		$(OUTPUT)/workloads/libwlsite_$*.so -Wl,-rpath,'$$ORIGIN' -o $@

$(FUZZ_BIN): tests/fuzz/fuzz_dump.c $(FUZZ_OBJS) | $(OUTPUT)/fuzz
	$(call msg,CC-FUZZ,$@)
	$(Q)$(CLANG) -O1 -g -fsanitize=fuzzer $(FUZZ_SAN) $(WARN) $(INCLUDES) $< $(FUZZ_OBJS) $(LIBS) -o $@

unit-tests: $(UNIT_BINS)
workloads: $(WORKLOAD_BINS)
fuzz-bin: $(FUZZ_BIN)
test-bins: vigil unit-tests workloads fuzz-bin

# A long fuzzing run (until stopped, or FUZZ_ARGS=-max_total_time=S): new
# inputs go to .output/fuzz/corpus, the seeds in tests/fuzz/corpus stay.
fuzz: $(FUZZ_BIN)
	$(Q)mkdir -p $(OUTPUT)/fuzz/corpus $(OUTPUT)/fuzz/findings
	$(FUZZ_BIN) -timeout=30 -rss_limit_mb=2048 -max_len=65536 -artifact_prefix=$(OUTPUT)/fuzz/findings/ \
		$(FUZZ_ARGS) $(OUTPUT)/fuzz/corpus tests/fuzz/corpus

# Quick start: install the Debian packages, build, start the live view.
deps:
	$(Q)bash scripts/install-deps.sh

run: deps
	$(Q)$(MAKE) --no-print-directory vigil
	./vigil live

# every test: the host's, then the kernel matrix's CI rows in qemu; the
# builds (vigil, sanitized unit tests, the fuzzer, workloads) on every CPU:
# serially they took ~4 of CI's 15 minutes
NPROC ?= $(shell nproc 2>/dev/null || echo 1)
test: deps-vmtest
	$(Q)$(MAKE) --no-print-directory -j$(NPROC) test-bins
	$(Q)bash tests/run.sh

deps-vmtest:
	$(Q)bash scripts/install-deps.sh --vmtest

# The whole kernel matrix (docs/testing.md): every row, or ROWS="x86-6.1 ...";
# or one VM: make vmtest ARCH=arm64 KERNEL=6.12 [MODE=noconfig|nobtf]
vmtest: deps-vmtest
	$(Q)bash scripts/vmtest.sh $(if $(KERNEL),--arch $(ARCH) --kernel $(KERNEL) $(if $(MODE),--mode $(MODE)),$(ROWS))

# Overhead benchmarks (docs/performance.md): never part of `make test`,
# timings do not gate tests.  QUICK=1 for a < 2 minute check of a change.
bench: vigil workloads $(OUTPUT)/bench/dumpbench
	$(Q)QUICK=$(QUICK) bash bench/run.sh

# the dump writer and reader alone, on the records of a real dump
DUMPBENCH_OBJS := $(patsubst %,$(OUTPUT)/%.o,dump_write dump_read dump_codec decode clock)
$(OUTPUT)/bench/dumpbench: bench/dumpbench.c $(DUMPBENCH_OBJS)
	$(call msg,CC-BENCH,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(WARN) $(INCLUDES) $< $(DUMPBENCH_OBJS) -lz -o $@

# ---- packaging (issue 15): make install / uninstall, the man page, make static
# DESTDIR for staging (packages).  bash-completion looks in
# $(PREFIX)/share/bash-completion/completions for /usr and /usr/local
# (XDG_DATA_DIRS); systemd in /lib/systemd/system for packages, /etc/systemd/
# system for an administrator's own units (make install PREFIX=/usr/local
# UNITDIR=/etc/systemd/system).  The config goes where vigil reads it,
# /etc/vigil.conf, whatever PREFIX: as shipped every key is commented out, so
# it changes nothing; an existing one is never overwritten, and uninstall
# removes it only while it is still the example.
BINDIR  := $(DESTDIR)$(PREFIX)/sbin
COMPDIR := $(DESTDIR)$(PREFIX)/share/bash-completion/completions
MANDIR  := $(DESTDIR)$(PREFIX)/share/man/man8
UNITDIR ?= /lib/systemd/system
SYSCONFDIR ?= /etc
DEST_UNITDIR := $(DESTDIR)$(UNITDIR)
DEST_CONF := $(DESTDIR)$(SYSCONFDIR)/vigil.conf
install: $(BIN)
	$(call msg,INSTALL,$(BINDIR)/vigil)
	$(Q)install -D -m 0755 $(BIN) $(BINDIR)/vigil
	$(call msg,INSTALL,$(COMPDIR)/vigil)
	$(Q)install -D -m 0644 scripts/vigil.bash-completion $(COMPDIR)/vigil
	$(call msg,INSTALL,$(MANDIR)/vigil.8)
	$(Q)install -D -m 0644 docs/vigil.8 $(MANDIR)/vigil.8
	$(call msg,INSTALL,$(DEST_UNITDIR)/vigil.service)
	$(Q)sed 's|@SBINDIR@|$(PREFIX)/sbin|g' scripts/systemd/vigil.service > $(BIN).service.tmp
	$(Q)install -D -m 0644 $(BIN).service.tmp $(DEST_UNITDIR)/vigil.service && rm -f $(BIN).service.tmp
	$(Q)if [ -e $(DEST_CONF) ]; then echo "  KEEP     $(DEST_CONF) (exists)"; else \
		printf '  %-8s %s\n' INSTALL $(DEST_CONF); install -D -m 0644 scripts/vigil.conf.example $(DEST_CONF); fi

uninstall:
	$(Q)rm -f $(BINDIR)/vigil $(COMPDIR)/vigil $(MANDIR)/vigil.8 $(DEST_UNITDIR)/vigil.service
	$(Q)if cmp -s scripts/vigil.conf.example $(DEST_CONF); then rm -f $(DEST_CONF); \
	elif [ -e $(DEST_CONF) ]; then echo "  KEEP     $(DEST_CONF) (changed from the example)"; fi

# docs/vigil.8 is committed (installing needs no binary that runs on the
# build host, as a cross build's does not); its COMMANDS, TARGETS and OPTIONS
# sections are `vigil __mdoc`, the option table as mdoc.  `make man` splices
# them in; tests/cli/test_man.sh fails while the page is stale.
man: vigil
	$(Q)bash scripts/gen-man.sh ./vigil docs/vigil.8

# One statically linked, stripped binary per architecture, from Debian's
# static libraries: .output/static/vigil-x86_64 and vigil-aarch64.  Each is
# a build of its own (STATIC=1, own OUTPUT); STATIC_ARCHS=x86 builds one.
STATIC_ARCHS ?= x86 arm64
static_uname = $(if $(filter x86,$(1)),x86_64,aarch64)
static: $(foreach a,$(STATIC_ARCHS),static-$(a))
static-x86 static-arm64: static-%:
	$(Q)$(MAKE) --no-print-directory ARCH=$* STATIC=1 OUTPUT=.output/static/$* BIN=.output/static/$*/vigil vigil
	$(Q)$(if $(filter $*,$(HOST_ARCH)),,$(if $(filter arm64,$*),aarch64-linux-gnu-,x86_64-linux-gnu-))strip \
		-o .output/static/vigil-$(call static_uname,$*) .output/static/$*/vigil
	$(call msg,STATIC,.output/static/vigil-$(call static_uname,$*) $$(stat -c %s .output/static/vigil-$(call static_uname,$*)) bytes)

clean:
	$(Q)rm -rf .output $(OUTPUT) vigil

# A dependency file whose source moved (user/ is in folders since issue 12)
# would stop make with "no rule": it goes, with its object, before it is read.
$(shell for d in $(wildcard $(OUTPUT)/*.d $(OUTPUT)/san/*.d $(OUTPUT)/fuzz/*.d); do \
	src=$$(sed -n '1s/^[^:]*: *\([^ ]*\).*/\1/p' "$$d"); \
	[ -z "$$src" ] || [ -f "$$src" ] || rm -f "$$d" "$${d%.d}.o"; done)
-include $(wildcard $(OUTPUT)/*.d $(OUTPUT)/san/*.d $(OUTPUT)/fuzz/*.d)
