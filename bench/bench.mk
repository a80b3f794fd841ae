# bench/bench.mk: `make bench` runs real workloads natively, under
# heaptrack and under heapspy (see bench/README.md), and prints ratios.

$(BUILD)/bench/stress: bench/stress.c $(STAMP)
	@mkdir -p $(dir $@)
	$(CC) -O2 -g -pthread -o $@ $<

bench: all $(BUILD)/bench/stress
	bench/run.sh

# --locks: a lock-heavy workload, native vs heapspy --locks vs helgrind.
$(BUILD)/bench/locks: bench/locks.c $(STAMP)
	@mkdir -p $(dir $@)
	$(CC) -O2 -g -pthread -o $@ $<

bench-locks: all $(BUILD)/bench/locks
	bench/locks.sh

.PHONY: bench-locks
