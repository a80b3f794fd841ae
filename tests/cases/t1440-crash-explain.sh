#!/usr/bin/env bash
# t1440-crash-explain: issue 3, any crash is explained, without --guard.
# When the program dies of SIGSEGV at or near a heap block heapspy knows
# (a large block glibc unmapped at free, the end of a live block, a live
# block the program made read-only), stderr gets one ASan-shaped line and
# the profile an error with the faulting stack, the block's allocation
# and free stacks; the program still dies of SIGSEGV (exit 128+11). A
# crash far from any block is left as it is. The line and the error give
# the size of the faulting access where its instruction is decoded.
source "$(dirname "$0")/../lib/tap.sh"
source "$TOP/tests/cases/check-lib.sh"
source "$TOP/tests/cases/guard-lib.sh"
plan 18

P="$TESTBIN/crash_explain"
S=crash_explain.c
E='heapspy: ERROR:'
fault_of() { python3 -c 'import json,sys; print([e["fault_address"] for e in json.load(open(sys.argv[1]))["errors"]])' "$1"; }

grun bu -- "$P" big-uaf
like "$(cat bu.err)" "^$E use_after_free on address $fault: read of size 1, 8 bytes inside the 1048576-byte block at $addr, freed \(SIGSEGV\)$" \
  "read of a freed large block: one line on stderr"
is "$(gerrs bu "$P")" "[('use_after_free', '$addr', 1048576, 8, 'read', 1, 'read_freed:$(mark $S bu-read)', $(mark $S bu-alloc), $(mark $S bu-free))]" \
  "read of a freed large block: errors[] with the faulting, allocation and free stacks"
is "$(fault_of bu.json) $(cat bu.status)" "['$fault'] 139" "read of a freed large block: fault address; 128+SIGSEGV"
"$HEAPSPY" report bu.hsp >bu.txt 2>&1
like "$(grep -A1 "^read of size 1 at $fault (signal 11) by thread [0-9]* here:" bu.txt)" "#0  read_freed at tests/cases/crash_explain.c:$(mark $S bu-read) " \
  "the text report shows the faulting stack"

# glibc's memcpy reads the freed block: its instruction depends on the
# CPU, so objdump disassembles the one that faulted (the oracle).
grun bm -- "$P" big-uaf-memcpy
o=$(insn_size bm "$P")
is "$(gerrs bm "$P") $(cat bm.status)" "[('use_after_free', '$addr', 1048576, 0, 'read', ${o%%	*}, 'big_uaf_memcpy:$(mark $S bm-read)', $(mark $S bm-alloc), $(mark $S bm-free))] 139" \
  "memcpy from a freed large block: access_size is what glibc's ${o#*	} reads"
like "$(cat bm.err)" "^$E use_after_free on address $addr: read of size ${o%%	*}, 0 bytes inside the 1048576-byte block at $addr, freed \(SIGSEGV\)$" \
  "memcpy from a freed large block: stderr names the size"

grun bo -- "$P" big-overflow
if [ "$(cat bo.status)" = 77 ]; then
  for i in 1 2 3; do skip "write past a large block" "$(cat bo.out)"; done
else
  past=$(( fault - addr - 1048576 ))
  like "$(cat bo.err)" "^$E heap_overflow on address $fault: write of size 1, $past bytes past the end of the 1048576-byte block at $addr \(SIGSEGV\)$" \
    "write past a large block: stderr"
  is "$(gerrs bo "$P")" "[('heap_overflow', '$addr', 1048576, $(( fault - addr )), 'write', 1, 'write_past:$(mark $S bo-write)', $(mark $S bo-alloc), None)]" \
    "write past a large block: errors[]"
  is "$(cat bo.status)" 139 "write past a large block: 128+SIGSEGV"
fi

grun rd -- "$P" readonly
like "$(cat rd.err)" "^$E bad_access on address $fault: write of size 1, $(( fault - addr )) bytes inside the 1048576-byte block at $addr \(SIGSEGV\)$" \
  "write into a live block made read-only: stderr"
is "$(gerrs rd "$P") $(cat rd.status)" "[('bad_access', '$addr', 1048576, $(( fault - addr )), 'write', 1, 'poke:$(mark $S ro-write)', $(mark $S ro-alloc), None)] 139" \
  "write into a live block made read-only: errors[]"

# Under --check, a pointer read from a freed node is eight 0xfd bytes: following
# it is a general protection fault, which has no address. The register
# holding the fill says where the pointer came from, and the register
# still pointing into the freed node which block it was (follow() is
# `mov (%rdi),%rax; mov 0x8(%rax),%eax` at -O1: a 4-byte read).
F=0xfdfdfdfdfdfdfdfd
grun fn --check -- "$P" freed-node
like "$(cat fn.err)" "^$E use_after_free on address $addr: access of size 4 through a pointer read from freed memory \([a-z0-9]+ = $F, --check's fill\); [a-z0-9]+ points 0 bytes inside the 16-byte block at $addr, freed \(SIGSEGV\)$" \
  "a pointer read from a freed node: stderr names the fill and the freed block"
is "$(gerrs fn "$P") $(cat fn.status)" "[('use_after_free', '$addr', 16, 0, 'access', 4, 'follow:$(mark $S fill-follow)', $(mark $S fn-alloc), $(mark $S fn-free))] 139" \
  "a pointer read from a freed node: errors[] with the node's allocation and free"
is "$(fault_of fn.json)" "['$F']" "a pointer read from a freed node: fault_address is the pointer used"
grun nn --check -- "$P" new-node
like "$(cat nn.err)" "^$E bad_access on address 0xbebebebebebebebe: access of size 4 through a pointer read from never-written heap memory \([a-z0-9]+ = 0xbebebebebebebebe, --check's fill\) \(SIGSEGV\)$" \
  "a pointer read from a node never written: stderr"
"$HEAPSPY" report nn.hsp >nn.txt 2>&1
is "$(grep -c '^0xbebebebebebebebe is a pointer read from never-written heap memory (--check fills it with 0xbe bytes)$' nn.txt) $(gerrs nn "$P")" \
  "1 [('bad_access', '0x0', 0, 0, 'access', 4, 'follow:$(mark $S fill-follow)', None, None)]" \
  "a pointer read from a node never written: the report says so; no block"

grun wild -- "$P" wild
is "$(grep -c "$E" wild.err) $(gerrs wild "$P")" "0 []" "a crash far from any block: nothing said"
is "$(cat wild.status)" 139 "a crash far from any block: 128+SIGSEGV as before"
done_testing
