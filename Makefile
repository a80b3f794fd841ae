# heapspy: build, test, demo, bench, install.
#   make            build the CLI, the preload library and the header
#   make test       unit, case, story and real-program oracle tests (TAP)
#   make check-debug  the tree again in build-debug with -DHS_DEBUG=1, and its tests
#   make demo       story 1: find the leak in examples/marshal-leak
#   make bench      real workloads: native vs heaptrack vs heapspy
#   make install    PREFIX=/usr/local LIBDIR=$(PREFIX)/lib DESTDIR=

PREFIX ?= /usr/local
# the library goes to $(LIBDIR)/heapspy, the pkg-config file to
# $(LIBDIR)/pkgconfig (Debian: LIBDIR=/usr/lib/<multiarch>, debian/rules)
LIBDIR ?= $(PREFIX)/lib
DESTDIR ?=
BUILD := build
PKG_CONFIG ?= pkg-config
VERSION := $(shell sed -n 's/^\#define HS_VERSION "\(.*\)"/\1/p' src/common/version.h)
# CPPFLAGS, CFLAGS and LDFLAGS are the user's (a distribution's hardening
# flags pass through); BASE and the library flags from pkg-config are ours.
CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Wshadow -Wno-unused-parameter
BASE := -std=gnu11 $(WARN) -D_GNU_SOURCE -Isrc

# The source tree, one folder per process side (src/README.md):
#   src/spy      runs inside the program (libheapspy.so)
#   src/profile  the file formats both sides share
#   src/common   the CLI's shared pieces (errors, JSON, symbolizer)
#   src/analyze  profile -> model -> reports
#   src/inspect  reading a live process from the outside
#   src/inject   the one writer into a live process (heapspy attach)
#   src/cli      one file per `heapspy COMMAND`
SPY_SRC := $(wildcard src/spy/*.c)
CLI_SRC := $(wildcard src/cli/*.c src/analyze/*.c src/inject/*.c src/inspect/*.c src/common/*.c src/profile/*.c)
SPY_OBJ := $(SPY_SRC:%.c=$(BUILD)/obj/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
HDRS := $(wildcard src/*/*.h include/*.h)

SPY_PKGS := libunwind
CLI_PKGS := libdw libelf zlib libzstd
PKG_OK := $(shell $(PKG_CONFIG) --exists $(SPY_PKGS) $(CLI_PKGS) 2>/dev/null && \
            echo '\#include <libiberty/demangle.h>' | $(CC) -E -x c - >/dev/null 2>&1 && \
            echo '\#include <sys/sdt.h>' | $(CC) -E -x c - >/dev/null 2>&1 && echo yes)
SPY_LIBS = $(shell $(PKG_CONFIG) --libs $(SPY_PKGS)) -lm   # libm: --sample's draws and weights
CLI_LIBS = $(shell $(PKG_CONFIG) --libs $(CLI_PKGS)) -liberty -lm   # libiberty: the demangler, no .pc; libm: --sample weights
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(SPY_PKGS) $(CLI_PKGS))

SPY_LIB := $(BUILD)/lib/heapspy/libheapspy.so
SPY_ATTACH_LIB := $(BUILD)/lib/heapspy/libheapspy-attach.so
SPY_ATTACH_DYN_LIB := $(BUILD)/lib/heapspy/libheapspy-attach-dyn.so
CLI := $(BUILD)/bin/heapspy

all: $(CLI) $(CLI)-valgrind $(SPY_LIB) $(SPY_ATTACH_LIB) $(SPY_ATTACH_DYN_LIB) $(BUILD)/include/heapspy.h

# Packages are installed only by the README's commands, never by a plain
# `make`: `make demo`, `make test` and `make bench` first run
# scripts/setup.sh with their set, then make their real target.
setup-%:
	@sh scripts/setup.sh $*

# A build without its libraries stops here with one line, before any compiler error.
build-deps:
	@[ "$(PKG_OK)" = yes ] || { echo "heapspy: missing build dependencies ($(SPY_PKGS) $(CLI_PKGS) through $(PKG_CONFIG), libiberty, sys/sdt.h); install them with: sh scripts/setup.sh build" >&2; exit 1; }

# The spy runs inside the program: static TLS (no allocation on first
# access), hidden symbols, unwind tables so C++ exceptions pass through,
# calls out through the GOT (-fno-plt: --sample's shortest path forwards
# to glibc with one indirect jump, not a jump to a PLT stub that jumps).
SPY_FLAGS := $(BASE) -Iinclude -fPIC -fvisibility=hidden -ftls-model=initial-exec \
             -fexceptions -fno-omit-frame-pointer -fno-plt

$(BUILD)/obj/src/spy/%.o: src/spy/%.c $(HDRS) | build-deps
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) $(SPY_FLAGS) -c $< -o $@

$(SPY_LIB): $(SPY_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -shared -o $@ $^ -Wl,-z,nodelete -Wl,--no-undefined $(SPY_LIBS)

# The same spy for `heapspy attach`, loaded late by dlopen, in two
# builds. libheapspy-attach.so keeps initial-exec TLS: glibc gives a late
# module with such TLS its spare static TLS (512 bytes) and the spy's
# thread-locals cost what they cost under `run`. When a process has used
# that spare up, that dlopen fails and attach loads libheapspy-attach-dyn.so:
# dynamic TLS through TLS descriptors (gnu2), no __tls_get_addr call
# through the PLT. perf on an attached allocation loop (bench/attach.sh):
# __tls_get_addr 22% of the cycles with 71 KB of TLS; _dl_tlsdesc_dynamic
# 18% with gnu2; _dl_tlsdesc_return 9% once the TLS fit the spare. clang
# 14 (scan-build) does not know gnu2: make check-static sets ATTACH_TLS
# empty.
ATTACH_TLS ?= -mtls-dialect=gnu2
SPY_ATTACH_OBJ := $(SPY_SRC:%.c=$(BUILD)/obj-attach/%.o)
SPY_ATTACH_DYN_OBJ := $(SPY_SRC:%.c=$(BUILD)/obj-attach-dyn/%.o)
$(BUILD)/obj-attach/src/spy/%.o: src/spy/%.c $(HDRS) | build-deps
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) $(SPY_FLAGS) -DSPY_ATTACH_BUILD -c $< -o $@
$(BUILD)/obj-attach-dyn/src/spy/%.o: src/spy/%.c $(HDRS) | build-deps
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) $(subst initial-exec,global-dynamic,$(SPY_FLAGS)) $(ATTACH_TLS) \
	  -DSPY_ATTACH_BUILD -DSPY_TLS_DYNAMIC -c $< -o $@

# Their TLS must fit glibc's spare static TLS (src/spy/spy_thread_mem.h):
# past SPY_TLS_BUDGET bytes the build fails rather than attach slowly.
$(SPY_ATTACH_LIB): $(SPY_ATTACH_OBJ)
$(SPY_ATTACH_DYN_LIB): $(SPY_ATTACH_DYN_OBJ)
$(SPY_ATTACH_LIB) $(SPY_ATTACH_DYN_LIB):
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -shared -o $@.tmp $^ -Wl,-z,nodelete -Wl,--no-undefined $(SPY_LIBS)
	@tls=$$(($$(readelf -lW $@.tmp | awk '$$1 == "TLS" { print $$6 }' | grep . || echo 0))); \
	 budget=$$(sed -n 's/^#define SPY_TLS_BUDGET \([0-9]*\).*/\1/p' src/spy/spy_thread_mem.h); \
	 if [ "$$tls" -gt "$$budget" ]; then \
	   echo "heapspy: $@ has $$tls bytes of TLS, over SPY_TLS_BUDGET ($$budget): move arrays to spy_thread_mem.h" >&2; \
	   rm -f $@.tmp; exit 1; fi
	@mv $@.tmp $@

$(BUILD)/obj/src/%.o: src/%.c $(HDRS) | build-deps
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) -c $< -o $@

# Where `heapspy run` looks for the spy after the build tree's place
# (hs_spy_library): LIBDIR relative to the binary's folder, when it is
# under PREFIX, then LIBDIR itself. The stamp rebuilds cmd_run.o when
# LIBDIR or PREFIX change (`make install LIBDIR=...` after a plain make).
SPY_DIRS = -DHS_LIBDIR='"$(LIBDIR)/heapspy"' \
  $(if $(filter $(PREFIX)/%,$(LIBDIR)),-DHS_LIBDIR_REL='"../$(patsubst $(PREFIX)/%,%,$(LIBDIR))/heapspy"')
$(BUILD)/obj/src/cli/cmd_run.o: BASE += $(SPY_DIRS)
$(BUILD)/obj/src/cli/cmd_run.o: $(BUILD)/install-dirs
$(BUILD)/install-dirs: FORCE
	@mkdir -p $(dir $@)
	@echo '$(PREFIX) $(LIBDIR)' | cmp -s - $@ || echo '$(PREFIX) $(LIBDIR)' >$@

$(CLI): $(CLI_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(CLI_LIBS)

# heapspy-valgrind: `heapspy valgrind` under a name memcheck's clients
# recognise (CTest's MEMORYCHECK_COMMAND needs "valgrind" in it)
$(CLI)-valgrind: $(CLI)
	ln -sf heapspy $@

$(BUILD)/include/heapspy.h: include/heapspy.h
	@mkdir -p $(dir $@)
	cp $< $@

include tests/tests.mk
include examples/examples.mk
include bench/bench.mk

# ---- install --------------------------------------------------------------
# (the Debian package runs it too: dpkg-buildpackage -us -uc -b, debian/rules)
BASHCOMPDIR := $(PREFIX)/share/bash-completion/completions
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(LIBDIR)/heapspy \
	  $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/share/man/man1 \
	  $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(BASHCOMPDIR)
	install -m 755 $(CLI) $(DESTDIR)$(PREFIX)/bin/heapspy
	ln -sf heapspy $(DESTDIR)$(PREFIX)/bin/heapspy-valgrind
	install -m 644 $(SPY_LIB) $(DESTDIR)$(LIBDIR)/heapspy/libheapspy.so
	install -m 644 $(SPY_ATTACH_LIB) $(DESTDIR)$(LIBDIR)/heapspy/libheapspy-attach.so
	install -m 644 $(SPY_ATTACH_DYN_LIB) $(DESTDIR)$(LIBDIR)/heapspy/libheapspy-attach-dyn.so
	install -m 644 include/heapspy.h $(DESTDIR)$(PREFIX)/include/heapspy.h
	install -m 644 doc/heapspy.1 $(DESTDIR)$(PREFIX)/share/man/man1/heapspy.1
	ln -sf heapspy.1 $(DESTDIR)$(PREFIX)/share/man/man1/heapspy-valgrind.1
	install -m 644 doc/heapspy.bash-completion $(DESTDIR)$(BASHCOMPDIR)/heapspy
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' -e 's|@VERSION@|$(VERSION)|g' \
	  doc/heapspy.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/heapspy.pc

clean:
	rm -rf $(BUILD) build-debug

FORCE:

.PHONY: all install clean test demo bench build-deps FORCE
