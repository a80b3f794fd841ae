#!/usr/bin/env bash
# t1470-check-threads: issue 3, --check when a block's first free was made
# by another thread (check_threads.c). Each thread holds its freed blocks
# in a quarantine ring of its own, which joins the shared ring when the
# thread ends; a second free from another thread, a write after free found
# at exit or at a leak check, and a forked child's second free must see
# the block wherever it sits (a live thread's ring, the shared ring after
# the thread ended)
# exactly as if one thread had done it all: the same report, both stacks.
source "$(dirname "$0")/../lib/tap.sh"
source "$TOP/tests/cases/check-lib.sh"
plan 19

P="$TESTBIN/check_threads"
S=check_threads.c
story() {  # NAME: (kind, address, size, offset, alloc line, free line) of each error
  python3 -c 'import json,sys; print([(e["kind"], e["address"], e["size"], e["offset"], e["alloc_stack"][0]["line"], e["free_stack"][0]["line"]) for e in json.load(open(sys.argv[1]))["errors"]])' "$1.json"
}
at() { printf '0x%x' $((addr + $1)); }

for m in cross exit; do
  check_run $m "$P" $m-double
  is "$(cat $m.status)" 0 "$m-double: the program runs to its end"
  like "$(cat $m.err)" "^heapspy: ERROR: double_free on address $addr: the 40-byte block at $addr was freed already, detected at free$" \
    "$m-double: one line on stderr"
  is "$(errs $m)" "[('double_free', '$addr', 40, 0, $(mark $S $m-second), $(mark $S thread-alloc), $(mark $S thread-free))]" \
    "$m-double: errors[] name the other thread's free"
done

check_run uaf "$P" live-uaf
like "$(cat uaf.err)" "^heapspy: ERROR: use_after_free on address $(at 3): 1 byte written \(offsets 3\.\.3\) in the 40-byte block at $addr after it was freed, detected at exit$" \
  "live-uaf: a live thread's freed block is verified at exit"
is "$(story uaf)" "[('use_after_free', '$addr', 40, 3, $(mark $S thread-alloc), $(mark $S thread-free))]" \
  "live-uaf: errors[]"

check_run lc "$P" leak-check
is "$(cat lc.out | tail -1)" "after-leak-check" "leak-check: the program goes on"
like "$(cat lc.err)" "^heapspy: ERROR: use_after_free on address $(at 3): 1 byte written \(offsets 3\.\.3\) in the 40-byte block at $addr after it was freed, detected at leak check$" \
  "leak-check: found at the leak check, not later"
is "$(errs lc)" "[('use_after_free', '$addr', 40, 3, $(mark $S uaf-leak-check), $(mark $S thread-alloc), $(mark $S thread-free))]" \
  "leak-check: errors[] at the HEAPSPY_LEAK_CHECK line"

check_run fk "$P" fork-double
is "$(sed -n 's/^child=//p' fk.out)" 0 "fork-double: the child's second free of a block in another thread's ring is not given to glibc"
is "$(errs fk)" "[]" "fork-double: the parent has no errors"
is "$(cat fk.err)" "" "fork-double: nothing on stderr"

# Each freeing thread holds its own share of the quarantine: main's churn
# (1 MiB freed, 8 times its 128 KiB share) evicts main's blocks, never the
# live thread's, so the write into the thread's block is still found (at
# exit). A shared FIFO would have let it go to glibc before the write.
timeout 60 "$HEAPSPY" run --check --quarantine 256K -q -o co.hsp -- "$P" churn-other >co.out 2>co.err
"$HEAPSPY" report --format json co.hsp >co.json 2>/dev/null
addr=$(sed -n 's/^block=//p' co.out)
like "$(cat co.err)" "^heapspy: ERROR: use_after_free on address $(at 3): 1 byte written \(offsets 3\.\.3\) in the 40-byte block at $addr after it was freed, detected at exit$" \
  "churn-other: another thread's churn does not evict this thread's freed block"
is "$(story co)" "[('use_after_free', '$addr', 40, 3, $(mark $S thread-alloc), $(mark $S thread-free))]" \
  "churn-other: errors[]"

check_run many "$P" many-threads
is "$(cat many.status)" 0 "many-threads: 300 threads, the program runs to its end"
like "$(cat many.err)" "^heapspy: ERROR: use_after_free on address $(at 5): 1 byte written \(offsets 5\.\.5\) in the 31-byte block at $addr after it was freed, detected at exit$" \
  "many-threads: the write into an ended thread's freed block is found"
is "$(story many)" "[('use_after_free', '$addr', 31, 5, $(mark $S many-alloc), $(mark $S many-free))]" \
  "many-threads: errors[]"
done_testing
