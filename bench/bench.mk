# bench/bench.mk: `make bench` runs real workloads natively, under
# heaptrack and under heapspy (see bench/README.md), and prints ratios.

$(BUILD)/bench/stress: bench/stress.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -g -pthread -o $@ $<

bench: setup-bench
	@$(MAKE) --no-print-directory bench-run

bench-run: all $(BUILD)/bench/stress $(BUILD)/bench/locks $(BUILD)/bench/heap1m test-programs
	bench/run.sh
	bench/locks.sh
	bench/memcheck-suite.sh
	bench/heap1m.sh
	bench/attach.sh

# A CI suite under memcheck: valgrind vs heapspy valgrind, same options.
bench-memcheck: all test-programs
	bench/memcheck-suite.sh

# --locks: a lock-heavy workload, native vs heapspy --locks vs helgrind.
$(BUILD)/bench/locks: bench/locks.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -g -pthread -o $@ $<

bench-locks: all $(BUILD)/bench/locks
	bench/locks.sh

.PHONY: bench-locks bench-run bench-memcheck

# The reachability scan on a million live blocks (time per check).
$(BUILD)/bench/scan1m: bench/scan1m.c include/heapspy.h
	@mkdir -p $(dir $@)
	$(CC) -O2 -g -Iinclude -o $@ $<

bench-scan: all $(BUILD)/bench/scan1m
	/usr/bin/time -f "whole run: %e s, peak RSS %M KB" $(CLI) run -q -o $(BUILD)/bench/scan1m.hsp -- $(BUILD)/bench/scan1m
	$(CLI) report --max-sites 1 --max-frames 3 $(BUILD)/bench/scan1m.hsp | grep -A5 "Leak check" | head -6

.PHONY: bench-scan

# Holding the other threads still for a leak check (2 and 64 threads).
$(BUILD)/bench/hold: bench/hold.c include/heapspy.h
	@mkdir -p $(dir $@)
	$(CC) -O2 -g -Iinclude -pthread -o $@ $<

bench-hold: all $(BUILD)/bench/hold
	bench/hold.sh 2 64

.PHONY: bench-hold

# The spy's cost per call: ns per malloc+free pair and per captured frame.
$(BUILD)/bench/hotpath: bench/hotpath.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -g -o $@ $<

bench-hotpath: all $(BUILD)/bench/hotpath
	bench/hotpath.sh

.PHONY: bench-hotpath

# `heapspy heap` on a million live blocks in 4 arenas (issue 13's row).
$(BUILD)/bench/heap1m: bench/heap1m.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -g -pthread -o $@ $<

bench-heap: all $(BUILD)/bench/heap1m
	bench/heap1m.sh

.PHONY: bench-heap

# heapspy attach: overhead while attached vs run and heaptrack -p, the
# target's stall at attach and detach with 2 and 100 threads.
bench-attach: all test-programs
	bench/attach.sh

.PHONY: bench-attach
