# heapspy: build, test, demo, bench, install.
#   make            build the CLI, the preload library and the header
#   make test       unit, case, story and real-program oracle tests (TAP)
#   make demo       story 1: find the leak in examples/marshal-leak
#   make bench      real workloads: native vs heaptrack vs heapspy
#   make install    PREFIX=/usr/local DESTDIR=

PREFIX ?= /usr/local
DESTDIR ?=
BUILD := build
CC ?= gcc
CXX ?= g++
CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Wshadow -Wno-unused-parameter
BASE := -std=gnu11 $(WARN) -D_GNU_SOURCE

SPY_SRC := $(wildcard src/spy/*.c)
CLI_SRC := $(wildcard src/analyze/*.c src/profile/*.c src/inspect/*.c)
SPY_OBJ := $(SPY_SRC:%.c=$(BUILD)/obj/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
HDRS := $(wildcard src/*/*.h include/*.h)

SPY_LIB := $(BUILD)/lib/heapspy/libheapspy.so
CLI := $(BUILD)/bin/heapspy

all: $(CLI) $(SPY_LIB) $(BUILD)/include/heapspy.h

# Packages are installed only by the README's commands, never by a plain
# `make`: `make demo`, `make test` and `make bench` first run
# scripts/setup.sh with their set, then make their real target.
setup-%:
	@sh scripts/setup.sh $*

# The spy runs inside the program: static TLS (no allocation on first
# access), hidden symbols, unwind tables so C++ exceptions pass through.
SPY_FLAGS := $(BASE) $(CFLAGS) -fPIC -fvisibility=hidden -ftls-model=initial-exec \
             -fexceptions -fno-omit-frame-pointer

$(BUILD)/obj/src/spy/%.o: src/spy/%.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(SPY_FLAGS) -c $< -o $@

$(SPY_LIB): $(SPY_OBJ)
	@mkdir -p $(dir $@)
	$(CC) -shared -o $@ $^ -Wl,-z,nodelete -Wl,--no-undefined -lunwind

$(BUILD)/obj/src/%.o: src/%.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(CFLAGS) -c $< -o $@

$(CLI): $(CLI_OBJ)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $^ -ldw -lelf -lz -lzstd -lstdc++

$(BUILD)/include/heapspy.h: include/heapspy.h
	@mkdir -p $(dir $@)
	cp $< $@

include tests/tests.mk
include examples/examples.mk
include bench/bench.mk

# ---- install --------------------------------------------------------------
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/heapspy \
	  $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/share/man/man1 \
	  $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 755 $(CLI) $(DESTDIR)$(PREFIX)/bin/heapspy
	install -m 644 $(SPY_LIB) $(DESTDIR)$(PREFIX)/lib/heapspy/libheapspy.so
	install -m 644 include/heapspy.h $(DESTDIR)$(PREFIX)/include/heapspy.h
	install -m 644 doc/heapspy.1 $(DESTDIR)$(PREFIX)/share/man/man1/heapspy.1
	sed -e 's|@PREFIX@|$(PREFIX)|g' doc/heapspy.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/heapspy.pc

clean:
	rm -rf $(BUILD)

.PHONY: all install clean test demo bench
