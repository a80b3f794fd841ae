# tests/tests.mk: `make test` builds the test programs and runs every test
# through prove (TAP); `make check-debug` runs the unit, case and golden
# tests against a tree built with the debug assertions (build-debug):
#   tests/unit/test_*.c      unit tests of the pieces (compiled programs)
#   tests/cases/t*.sh        the stories and cases, run under heapspy
#   tests/oracle/t*.sh       real programs against valgrind's numbers
#   tests/golden/t*.sh       the story programs' reports, line for line
# Test programs tests/{cases,oracle}/NAME.c|cpp build to build/tests/NAME.

TB := $(BUILD)/tests
TEST_C := $(filter-out %/libtls_filler.c,$(wildcard tests/cases/*.c tests/oracle/*.c))
TEST_CXX := $(wildcard tests/cases/*.cpp tests/oracle/*.cpp)
TEST_PROGS := $(patsubst %.c,$(TB)/%,$(notdir $(TEST_C))) \
              $(patsubst %.cpp,$(TB)/%,$(notdir $(TEST_CXX)))
UNIT_BINS := $(TB)/unit/test_symbolize $(TB)/unit/test_demangle $(TB)/unit/test_profile_read \
             $(TB)/unit/test_size $(TB)/unit/test_insn $(TB)/unit/test_json \
             $(TB)/unit/test_varint $(TB)/unit/test_suppress \
             $(TB)/unit/test_assert
TEST_SCRIPTS := $(sort $(wildcard tests/cases/t*.sh tests/oracle/t*.sh tests/golden/t*.sh))

# Unit tests compile their pieces with the -D options of the user's flags
# (make check-debug's -DHS_DEBUG=1 turns the debug assertions on).
UNIT_CC = $(CC) $(BASE) -O1 -g $(filter -D%,$(CPPFLAGS) $(CFLAGS))

vpath %.c tests/cases tests/oracle
vpath %.cpp tests/cases tests/oracle

$(TB)/%: %.c include/heapspy.h
	@mkdir -p $(dir $@)
	$(CC) -O1 -g -Wall -Iinclude -pthread -o $@ $< -ldl

$(TB)/%: %.cpp include/heapspy.h
	@mkdir -p $(dir $@)
	$(CXX) -O1 -g -Wall -Iinclude -pthread -o $@ $<

# A statically linked program: what heapspy attach refuses (t1760).
$(TB)/attach_static: tests/cases/attach_static.c
	@mkdir -p $(dir $@)
	$(CC) -O1 -g -static -o $@ $<

# Initial-exec TLS loaded late: uses up glibc's spare static TLS (t1760).
$(TB)/libtls_filler.so: tests/cases/libtls_filler.c
	@mkdir -p $(dir $@)
	$(CC) -O1 -g -fPIC -shared -DFILL=96 -o $@ $<

# The spy's live blocks from a profile (the truth of t17xx-heap-*).
$(TB)/hsp_live_blocks: tests/cases/hsp_live_blocks.c src/profile/hsp_read.c src/profile/hsp_read.h src/profile/hsp_format.h \
                      src/inspect/spy_records.c src/inspect/spy_records.h src/common/util.c
	@mkdir -p $(dir $@)
	$(CC) -O1 -g -Wall -D_GNU_SOURCE -Isrc -o $@ tests/cases/hsp_live_blocks.c src/profile/hsp_read.c \
	  src/inspect/spy_records.c src/common/util.c

$(TB)/unit/test_symbolize: tests/unit/test_symbolize.c tests/unit/tap.h src/common/symbolize.c src/common/symbolize.h
	@mkdir -p $(dir $@)
	$(UNIT_CC) -o $@ tests/unit/test_symbolize.c src/common/symbolize.c src/common/demangle.c \
	  src/common/hashmap.c -ldw -lelf -liberty

$(TB)/unit/test_demangle: tests/unit/test_demangle.c tests/unit/tap.h src/common/demangle.c src/common/demangle.h
	@mkdir -p $(dir $@)
	$(UNIT_CC) -o $@ tests/unit/test_demangle.c src/common/demangle.c -liberty

$(TB)/unit/test_profile_read: tests/unit/test_profile_read.c tests/unit/tap.h src/profile/hsp_read.c src/profile/hsp_read.h src/profile/hsp_format.h
	@mkdir -p $(dir $@)
	$(UNIT_CC) -o $@ tests/unit/test_profile_read.c src/profile/hsp_read.c

$(TB)/unit/test_size: tests/unit/test_size.c tests/unit/tap.h src/common/util.c src/common/util.h
	@mkdir -p $(dir $@)
	$(UNIT_CC) -o $@ tests/unit/test_size.c src/common/util.c

$(TB)/unit/test_insn: tests/unit/test_insn.c tests/unit/tap.h src/spy/spy_insn.c $(HDRS)
	@mkdir -p $(dir $@)
	$(UNIT_CC) -Iinclude -o $@ tests/unit/test_insn.c src/spy/spy_insn.c

$(TB)/unit/test_json: tests/unit/test_json.c tests/unit/tap.h src/common/json.c src/common/json.h
	@mkdir -p $(dir $@)
	$(UNIT_CC) -o $@ tests/unit/test_json.c src/common/json.c

$(TB)/unit/test_varint: tests/unit/test_varint.c tests/unit/tap.h src/profile/hst_read.c \
                        src/profile/hst_read.h src/profile/hst_codec.h src/profile/hst_format.h
	@mkdir -p $(dir $@)
	$(UNIT_CC) -o $@ tests/unit/test_varint.c src/profile/hst_read.c -lzstd

# suppress.c with the real error-kind names (model_locks.c and what it
# links); the test supplies the frames (hs_model_frames) itself.
SUPPRESS_SRC := src/analyze/suppress.c src/analyze/model_locks.c src/common/data_symbols.c \
                src/profile/hsp_read.c src/common/util.c
$(TB)/unit/test_suppress: tests/unit/test_suppress.c tests/unit/tap.h $(SUPPRESS_SRC) $(HDRS)
	@mkdir -p $(dir $@)
	$(UNIT_CC) -o $@ tests/unit/test_suppress.c $(SUPPRESS_SRC) -lelf

$(TB)/unit/test_assert: tests/unit/test_assert.c tests/unit/tap.h src/spy/spy_util.c $(HDRS)
	@mkdir -p $(dir $@)
	$(UNIT_CC) -o $@ tests/unit/test_assert.c src/spy/spy_util.c

# AddressSanitizer builds of the bug programs, a column of the
# who-catches-what suite (tests/truth); none when clang is missing. -O0:
# at -O1 clang drops the line of some delete calls from its debug info.
CLANG := $(shell command -v clang 2>/dev/null)
ASAN_PROGS := $(if $(CLANG),$(TB)/asan/check_heap $(TB)/asan/check_cxx)
ASAN_FLAGS := -O0 -g -fsanitize=address -fno-omit-frame-pointer -w

$(TB)/asan/%: %.c
	@mkdir -p $(dir $@)
	clang $(ASAN_FLAGS) -o $@ $<

$(TB)/asan/%: %.cpp
	@mkdir -p $(dir $@)
	clang++ $(ASAN_FLAGS) -o $@ $<

test-programs: all examples $(TEST_PROGS) $(TB)/libtls_filler.so $(UNIT_BINS) $(ASAN_PROGS)

# doc/who-catches-what.md, regenerated from real runs (tests/truth/truth.py).
who-catches-what: test-programs
	/usr/bin/python3 tests/truth/truth.py --write doc/who-catches-what.md

# The unit tests alone: no peer program, no prove, only the build
# dependencies (debian/rules runs them while building the package).
check-unit: $(UNIT_BINS)
	@for t in $(UNIT_BINS); do echo "# $$t"; $$t || exit 1; done

# `make test` installs the test set first (scripts/setup.sh test), so a
# peer found missing afterwards is a failure, not a skip
# (HEAPSPY_PEERS_REQUIRED, tests/lib/tap.sh). `make check` runs the tests
# with whatever is installed, skipping the peers that are not.
test: setup-test
	@$(MAKE) --no-print-directory check HEAPSPY_PEERS_REQUIRED=1
	@$(MAKE) --no-print-directory check-static HEAPSPY_PEERS_REQUIRED=1

check: test-programs
	prove --exec '' $(UNIT_BINS)
	HEAPSPY_PEERS_REQUIRED=$(HEAPSPY_PEERS_REQUIRED) prove -j2 $(TEST_SCRIPTS)

# `make fuzz`: the fuzz tests long (issue 19, "hostile inputs"): each
# libFuzzer harness (profiles, traces, suppressions) FUZZ_SECONDS, and
# FUZZ_SEEDS damaged cores and hostile option strings; `make test` runs
# the same tests short.
FUZZ_SECONDS ?= 300
FUZZ_SEEDS ?= 2000
FUZZ_SCRIPTS := $(wildcard tests/cases/t1200-*.sh tests/cases/t1205-*.sh tests/cases/t1207-*.sh \
                           tests/cases/t1715-*.sh)
fuzz: test-programs
	HEAPSPY_FUZZ_SECONDS=$(FUZZ_SECONDS) HEAPSPY_FUZZ_SEEDS=$(FUZZ_SEEDS) prove -v $(FUZZ_SCRIPTS)

# `make check-static`: three static analyzers over every source file:
# cppcheck, gcc -fanalyzer and clang's scan-build. Each finding is fixed,
# or justified where it stands (a comment naming the analyzer, then its
# suppression). An analyzer that is not installed is skipped with a note,
# unless HEAPSPY_PEERS_REQUIRED (make test, after installing them).
STATIC_BUILD := $(BUILD)/static
SCAN_BUILD := $(firstword $(foreach p,scan-build scan-build-14,$(shell command -v $(p) 2>/dev/null)))
ANALYZER_FLAGS := -std=gnu11 -D_GNU_SOURCE -Isrc -Iinclude -O1 -fPIC -fanalyzer -Werror
check-static:
	@need() { command -v $$1 >/dev/null && return 0; \
	  if [ "$(HEAPSPY_PEERS_REQUIRED)" = 1 ]; then echo "check-static: $$1 is not installed" >&2; exit 1; fi; \
	  echo "check-static: $$1 not installed, skipped"; return 1; }; \
	if need cppcheck; then echo "check-static: cppcheck"; \
	  cppcheck --quiet --error-exitcode=1 --enable=warning,portability --inline-suppr \
	    -D_GNU_SOURCE -Isrc -Iinclude --std=c11 src/ || exit 1; fi; \
	echo "check-static: $(CC) -fanalyzer"; \
	for f in $(SPY_SRC) $(CLI_SRC); do $(CC) $(ANALYZER_FLAGS) -c $$f -o /dev/null || exit 1; done; \
	if need $(or $(SCAN_BUILD),scan-build); then echo "check-static: scan-build"; rm -rf $(STATIC_BUILD); \
	  $(SCAN_BUILD) --status-bugs -o $(STATIC_BUILD)/reports $(MAKE) -s -j2 BUILD=$(STATIC_BUILD) ATTACH_TLS= all \
	    >$(STATIC_BUILD).log 2>&1 || { grep -E 'warning:|error:' $(STATIC_BUILD).log >&2; exit 1; }; fi

# `make check-debug`: the whole tree again in build-debug, compiled with
# -DHS_DEBUG=1 (HS_DEBUG_ASSERT and SPY_DEBUG_ASSERT on, ALWAYS/NEVER
# asserting: src/common/hs_assert.h, src/spy/spy_assert.h), then the unit
# tests and the case and golden tests against that tree (HEAPSPY_BUILD,
# tests/lib/tap.sh). The real-program oracles stay with `make check`.
DEBUG_BUILD := build-debug
DEBUG_CFLAGS := -O1 -g -DHS_DEBUG=1
DEBUG_SCRIPTS := $(sort $(wildcard tests/cases/t*.sh tests/golden/t*.sh))
check-debug:
	@$(MAKE) --no-print-directory BUILD=$(DEBUG_BUILD) CFLAGS='$(DEBUG_CFLAGS)' test-programs
	prove --exec '' $(patsubst $(BUILD)/%,$(DEBUG_BUILD)/%,$(UNIT_BINS))
	HEAPSPY_BUILD=$(CURDIR)/$(DEBUG_BUILD) HEAPSPY_PEERS_REQUIRED=$(HEAPSPY_PEERS_REQUIRED) \
	  prove -j2 $(DEBUG_SCRIPTS)

# tests/golden/expected, rewritten from real runs after a deliberate change
# of output (review the diff before committing it).
golden: test-programs
	rm -rf tests/golden/expected && mkdir -p tests/golden/expected
	tests/golden/run-stories.sh tests/golden/expected

.PHONY: test-programs who-catches-what check check-unit check-static check-debug golden fuzz
