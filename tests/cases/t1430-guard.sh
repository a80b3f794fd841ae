#!/usr/bin/env bash
# t1430-guard: issue 3, --guard (page heap). Each bug of guard_heap.c
# faults at the culprit instruction: the report names the kind, the
# block (address, size), the offset, direction and size of the access
# (the size checked against the source, objdump and ASan), the
# faulting stack (its first frame in the program is the bad line), the
# allocation and free stacks; then the access is stepped over (the page
# opened for that one instruction) and the program runs on, one report per
# block and direction; with --halt-on-error it dies of SIGSEGV (128+11) as
# it would have. --check finds the same overflow only at free, and a bad
# read not at all. Slack bytes (16-byte alignment) and the front of the
# first page are checked at free. Also: guard=underflow, fork, running
# out of mappings (one warning, fallback, guard back once blocks are
# freed), the --check knobs, and no false positives on real programs.
source "$(dirname "$0")/../lib/tap.sh"
source "$TOP/tests/cases/check-lib.sh"
source "$TOP/tests/cases/guard-lib.sh"
plan 57

P="$TESTBIN/guard_heap"
S=guard_heap.c
E='heapspy: ERROR:'

grun ow --guard -- "$P" overflow-write
is "$(cat ow.status)" 0 "overflow by 1: stepped over, the program runs to its end"
like "$(cat ow.err)" "^$E heap_overflow on address 0x[0-9a-f]+: write of size 1, 0 bytes past the end of the 32-byte block at $addr \(SIGSEGV on a guard page\)$" \
  "overflow by 1: one ASan-shaped line on stderr"
is "$(gerrs ow "$P")" "[('heap_overflow', '$addr', 32, 32, 'write', 1, 'overflow_write:$(mark $S ow-write)', $(mark $S ow-alloc), None)]" \
  "overflow by 1: errors[]: the faulting stack is the bad write"
grun owh --guard --halt-on-error -- "$P" overflow-write
is "$(cat owh.status) $(grep -c "^$E" owh.err)" "139 1" "overflow by 1, --halt-on-error: the program dies of SIGSEGV at the write"
grun owc --check -- "$P" overflow-write
is "$(gerrs owc "$P")" "[('heap_overflow', '$addr', 32, 32, None, None, 'overflow_write:$(mark $S ow-free)', $(mark $S ow-alloc), None)]" \
  "overflow by 1: --check finds it only at free"

grun or --guard -- "$P" overflow-read
like "$(cat or.err)" "^$E heap_overflow on address 0x[0-9a-f]+: read of size 1, 8 bytes past the end of the 32-byte block at $addr \(SIGSEGV on a guard page\)$" \
  "read overflow: stderr"
is "$(gerrs or "$P")" "[('heap_overflow', '$addr', 32, 40, 'read', 1, 'overflow_read:$(mark $S or-read)', $(mark $S or-alloc), None)]" \
  "read overflow: errors[]"
is "$(cat or.status)" 0 "read overflow: stepped over"
grun orc --check -- "$P" overflow-read
is "$(gerrs orc "$P") $(cat orc.status)" "[] 0" "read overflow: invisible to --check"

grun os --guard -- "$P" overflow-slack
like "$(cat os.err)" "^$E heap_overflow on address 0x[0-9a-f]+: 1 byte past the 20-byte block at $addr \(first at offset 20, in the slack before the guard page\), detected at free$" \
  "overflow into the alignment slack: found at free"
is "$(gerrs os "$P") $(cat os.status)" "[('heap_overflow', '$addr', 20, 20, None, None, 'overflow_slack:$(mark $S os-free)', $(mark $S os-alloc), None)] 0" \
  "overflow into the slack: errors[], the program runs on"

grun ose --guard=exact -- "$P" overflow-slack
is "$(gerrs ose "$P") $(( addr % 4 )) $(( (addr + 20) % 4096 ))" "[('heap_overflow', '$addr', 20, 20, 'write', 1, 'overflow_slack:$(mark $S os-write)', $(mark $S os-alloc), None)] 0 0" \
  "guard=exact: the 20-byte block is 4-aligned and ends at the guard page: the first byte past faults at the write"
grun cle --guard=exact -- "$TESTBIN/check_heap" clean
is "$(cat cle.out) $(cat cle.status) $(gerrs cle)" "clean: ok 0 []" \
  "guard=exact: check_heap clean (memalign, realloc, calloc, usable size): no false positive"

grun uw --guard=underflow -- "$P" underflow-write
like "$(cat uw.err)" "^$E heap_underflow on address 0x[0-9a-f]+: write of size 1, 1 byte before the 32-byte block at $addr \(SIGSEGV on a guard page\)$" \
  "guard=underflow: underflow by 1 faults"
is "$(gerrs uw "$P") $(cat uw.status)" "[('heap_underflow', '$addr', 32, -1, 'write', 1, 'underflow_write:$(mark $S uw-write)', $(mark $S uw-alloc), None)] 0" \
  "guard=underflow: errors[], stepped over"
is "$(( addr % 4096 ))" 0 "guard=underflow: the block starts a page"
grun uwo --guard -- "$P" underflow-write
is "$(gerrs uwo "$P") $(cat uwo.status)" "[('heap_underflow', '$addr', 32, -1, None, None, 'underflow_write:$(mark $S uw-free)', $(mark $S uw-alloc), None)] 0" \
  "guard (overflow side): an underflow is found at free"

# Story 2: the creator frees, the holder's release() writes the object.
grun uafw --guard -- "$P" uaf-write
like "$(cat uafw.err)" "^$E use_after_free on address 0x[0-9a-f]+: write of size 4, 4 bytes inside the 48-byte block at $addr, freed \(SIGSEGV on a guard page\)$" \
  "use after free (story 2): stderr"
is "$(gerrs uafw "$P")" "[('use_after_free', '$addr', 48, 4, 'write', 4, 'obj_release:$(mark $S obj-release-write)', $(mark $S obj-alloc), $(mark $S obj-creator-free))]" \
  "use after free: errors[]: the holder's write, the allocation, the creator's free"
is "$(cat uafw.status)" 0 "use after free: stepped over"
grun uafr --guard -- "$P" uaf-read
is "$(gerrs uafr "$P")" "[('use_after_free', '$addr', 48, 0, 'read', 4, 'obj_peek:$(mark $S obj-peek-read)', $(mark $S obj-alloc), $(mark $S obj-creator-free))]" \
  "read after free: errors[]"

grun df --guard -- "$P" double-free
is "$(gerrs df "$P") $(cat df.status)" "[('double_free', '$addr', 32, 0, None, None, 'double_free:$(mark $S df-second)', $(mark $S df-alloc), $(mark $S df-first))] 0" \
  "double free: both frees, the program runs on"

grun ro --guard -- "$P" realloc-overflow
is "$(gerrs ro "$P") $(cat ro.status)" "[('heap_overflow', '$addr', 64, 64, 'write', 1, 'realloc_overflow:$(mark $S ro-write)', $(mark $S ro-realloc), None)] 0" \
  "realloc: contents kept, the new block guarded"

grun fk --guard -- "$P" fork
is "$(sed -n 's/^child=//p' fk.out)" 0 "fork: the child frees the parent's blocks without harm"
is "$(gerrs fk "$P") $(cat fk.status)" "[('heap_overflow', '$addr', 32, 32, 'write', 1, 'forked:$(mark $S fk-write)', $(mark $S fk-alloc), None)] 0" \
  "fork: the parent's guard pages still catch the overflow"

grun nf --guard -- "$TESTBIN/check_cxx" new-free
is "$(gerrs nf)" "[('mismatched_free', '$addr', 4, 0, None, None, 'main:$(mark check_cxx.cpp new-free-free)', $(mark check_cxx.cpp new-free-alloc), None)]" \
  "C++: new freed with free() is a mismatch under --guard too"

# Access sizes: the faulting instruction is decoded (spy_insn.c). Our
# own stores are known from the source (objdump -d of guard_heap at -O1:
# movq $0x2a,0x20(%rax); movaps %xmm0,0x20(%rax)); glibc's memset and
# memcpy pick their instruction by CPU, so objdump disassembles the one
# that faulted and the size must be what it accesses.
grun s8 --guard -- "$P" store8
like "$(cat s8.err)" "^$E heap_overflow on address 0x[0-9a-f]+: write of size 8, 0 bytes past the end of the 32-byte block at $addr \(SIGSEGV on a guard page\)$" \
  "8-byte store past the end: write of size 8"
"$HEAPSPY" report s8.hsp >s8.txt 2>&1
like "$(grep -A1 "^write of size 8 at 0x[0-9a-f]* (signal 11) by thread [0-9]* here:" s8.txt)" "#0  store8 at tests/cases/guard_heap.c:$(mark $S s8-write) " \
  "8-byte store: the text report's header names the size"
grun s16 --guard -- "$P" store16
is "$(gerrs s16 "$P")" "[('heap_overflow', '$addr', 32, 32, 'write', 16, 'store16:$(mark $S s16-write)', $(mark $S s16-alloc), None)]" \
  "16-byte SSE store (movaps): access_size 16"
grun x87 --guard -- "$P" x87-read
like "$(cat x87.err)" "^$E heap_overflow on address 0x[0-9a-f]+: read, 0 bytes past the end of the 32-byte block at $addr \(SIGSEGV on a guard page\)$" \
  "x87 load (not decoded): no size, the line as without the decoder"
is "$(gerrs x87 "$P")" "[('heap_overflow', '$addr', 32, 32, 'read', None, 'x87_read:$(mark $S x87-read)', $(mark $S x87-alloc), None)]" \
  "x87 load: access_size null, never a guess"
glibc_size() {   # glibc_size MODE BLOCK-BYTES FUNCTION MARK-PREFIX
  grun "$1" --guard -- "$P" "$1"
  local o; o=$(insn_size "$1" "$P")
  is "$(gerrs "$1" "$P")" "[('heap_overflow', '$addr', $2, $2, 'write', ${o%%	*}, '$3:$(mark $S "$4-call")', $(mark $S "$4-alloc"), None)]" \
    "$1 past a $2-byte block: access_size is what glibc's ${o#*	} writes"
}
glibc_size memset 32 overflow_memset ms         # 48 bytes: two 32-byte stores (AVX)
glibc_size memset-small 16 overflow_memset ms   # 24 bytes
glibc_size memset-big 8192 overflow_memset ms   # 8256 bytes: rep stosb where the CPU has ERMS
glibc_size memcpy 32 overflow_memcpy mc         # 64 bytes

# Against AddressSanitizer (clang -O0 build of check_heap, as in the
# who-catches-what suite): the bugs both catch at the faulting access
# get the same direction and size.
for m in uaf-read uaf-write use-after-free; do
  if [ -x "$TESTBIN/asan/check_heap" ]; then
    asan=$(ASAN_OPTIONS=detect_leaks=0 "$TESTBIN/asan/check_heap" "$m" 2>&1 | sed -n 's/^\(READ\|WRITE\) of \(size [0-9]*\) at .*/\1 of \2/p' | tr A-Z a-z)
    grun "asan-$m" --guard -- "$TESTBIN/check_heap" "$m"
    # ASan stops at its first report; heapspy's first is that one
    is "$(grep -o '\(read\|write\) of size [0-9]*' "asan-$m.err" | head -1)" "$asan" "check_heap $m: the access ASan names (${asan:-none})"
  else
    skip "check_heap $m against ASan" "clang not installed"
  fi
done

# Knobs: --quarantine (suffixes) and --check-fill reach the spy.
grun q0 --guard --quarantine=0 -- "$P" uaf-read
is "$(gerrs q0 "$P") $(cat q0.status)" "[] 139" "--quarantine=0: the freed block is not remembered, the crash stays unexplained and fatal"
grun q1 --guard --quarantine=1K -- "$P" uaf-read
is "$(gerrs q1 "$P")" "[('use_after_free', '$addr', 48, 0, 'read', 4, 'obj_peek:$(mark $S obj-peek-read)', $(mark $S obj-alloc), $(mark $S obj-creator-free))]" \
  "--quarantine=1K holds the 48-byte block"
# SIZE's fractions and units (util.c's hs_parse_size) reach the spy as
# exact bytes: the options string it records in the profile, and the
# quarantine's edge at the 48-byte block (48 bytes hold it, 47 do not).
spy_quarantine() { "$HEAPSPY" run -q --check --quarantine "$1" -o qs.hsp -- true && grep -ao 'check_quarantine=[0-9]*' qs.hsp; }
is "$(spy_quarantine 1.5M)" "check_quarantine=1572864" "--quarantine 1.5M: the spy gets 1572864 bytes (1.5 x 1024 x 1024)"
is "$(spy_quarantine 2KiB)" "check_quarantine=2048" "--quarantine 2KiB: the spy gets 2048 bytes"
grun q48 --guard --quarantine=0.046875K -- "$P" uaf-read
grun q47 --guard --quarantine=0.0458984375K -- "$P" uaf-read
is "$(gerrs q48 "$P" | grep -o use_after_free) / $(gerrs q47 "$P")" "use_after_free / []" \
  "--quarantine=0.046875K (48 bytes) holds the 48-byte block, 0.0458984375K (47 bytes) does not"
grun f1 --guard -- "$P" fill
grun f0 --guard --check-fill=no -- "$P" fill
is "$(cat f1.out) $(cat f0.out)" "fill=be fill=00" "--check-fill=no: new blocks are not filled with 0xbe"
"$HEAPSPY" run --guard=sideways -- true >/dev/null 2>bad.err
is "$? $(cat bad.err)" "125 heapspy: run: --guard expects overflow, underflow or exact, not 'sideways'" "--guard=sideways: usage error"
"$HEAPSPY" run --quarantine=12Q -- true >/dev/null 2>bad.err
is "$? $(cat bad.err)" "125 heapspy: run: --quarantine expects a size below 4G (like 64K, 1.5M or 2GiB), not '12Q'" \
  "--quarantine=12Q: usage error"

# Out of mappings: twice vm.max_map_count's worth of blocks cannot all
# have guard pages.
maps=$(cat /proc/sys/vm/max_map_count 2>/dev/null || echo 0)
n=$(( maps / 2 + 2000 ))
if [ "$maps" -gt 0 ] && [ "$n" -le 140000 ]; then
  grun many --guard -- "$P" many "$n"
  is "$(grep -c 'heapspy: warning: --guard: [0-9]* live blocks use the memory mappings the kernel allows' many.err)" 1 \
    "out of mappings: one warning"
  is "$(sed -n 's/^many=//p' many.out)" "$n" "out of mappings: every block still works (red zones)"
  is "$(gerrs many "$P") $(cat many.status)" "[('heap_overflow', '$addr', 32, 32, 'write', 1, 'overflow_write:$(mark $S ow-write)', $(mark $S ow-alloc), None)] 0" \
    "out of mappings: once blocks are freed, guard pages are back"
else
  for i in 1 2 3; do skip "out of mappings" "vm.max_map_count=$maps: too many blocks to try"; done
fi

# Stepping over: 100 overflows in a loop from two threads at once, a
# second instruction past the same block, then a write and a read of a
# freed block: one report per block and direction (three), the page
# closed again after each step (every overflow of the loop faulted: the
# spy saw them all), the freed block's page emptied again (the program
# reads back 0, not its 7), and the program runs to its end.
grun rc --guard -- "$P" recover
is "$(cat rc.status) $(grep -c "^$E" rc.err) $(sed -n 's/^read back //p' rc.out)" "0 3 0, end" \
  "recover: three reports, the program reads 0 back and runs to its end"
is "$(gerrs rc "$P")" "[('heap_overflow', '$addr', 32, 32, 'write', 1, 'overflow_loop:$(mark $S rc-loop)', $(mark $S rc-alloc), None), ('use_after_free', '$(sed -n 's/.*use_after_free on address 0x[0-9a-f]*: write of size 4, 8 bytes inside the 48-byte block at \(0x[0-9a-f]*\).*/\1/p' rc.err)', 48, 8, 'write', 4, 'recover:$(mark $S rc-uaf-write)', $(mark $S rc-uaf-alloc), $(mark $S rc-uaf-free)), ('use_after_free', '$(sed -n 's/.*use_after_free on address 0x[0-9a-f]*: read of size 4, 8 bytes inside the 48-byte block at \(0x[0-9a-f]*\).*/\1/p' rc.err)', 48, 8, 'read', 4, 'recover:$(mark $S rc-uaf-read)', $(mark $S rc-uaf-alloc), $(mark $S rc-uaf-free))]" \
  "recover: errors[]: the loop's overflow, the write and the read after free, each at its line"
# both threads overflow at once: the second fault must wait for the first
# thread's report, not kill the process before it is written (it did, 1
# run in 4, while SA_RESETHAND reset the handler at the first fault)
good=0
for k in 1 2 3 4 5 6 7 8; do
  grun rch --guard --halt-on-error -- "$P" recover
  [ "$(cat rch.status) $(grep -c "^$E" rch.err) $(grep -c 'read back' rch.out)" = "139 1 0" ] && good=$((good + 1))
done
is "$good" 8 "recover, --halt-on-error: the first overflow is fatal and reported, 8 runs of 8 (two threads fault at once)"

# No false positives, guarantees kept.
grun cl --guard -- "$TESTBIN/check_heap" clean
is "$(cat cl.out) $(cat cl.status) $(gerrs cl)" "clean: ok 0 []" \
  "check_heap clean: alignments, usable size, realloc, calloc kept; zero errors"
"$HEAPSPY" run -q -o plain.hsp -- "$TESTBIN/check_heap" clean >/dev/null 2>&1
"$HEAPSPY" report --format json plain.hsp >plain.json 2>/dev/null
totals() { python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["totals"]; print(t["allocs"], t["frees"], t["bytes_allocated"])' "$1"; }
is "$(totals cl.json)" "$(totals plain.json)" "check_heap clean: totals the same with and without --guard"
if command -v sqlite3 >/dev/null 2>&1; then
  grun sq --guard -- sqlite3 :memory: 'create table t(a); insert into t values(1); select * from t;'
  is "$(cat sq.out) $(cat sq.status) $(gerrs sq) $(grep -c "$E" sq.err)" "1 0 [] 0" "sqlite3 under --guard: clean"
else
  skip "sqlite3 under --guard" "sqlite3 not installed"
fi
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)
PYTHONMALLOC=malloc grun py --guard -- "$PY" -c 'import json, re; print(len(json.dumps({"a": [1] * 100})))'
is "$(cat py.out) $(cat py.status) $(gerrs py)" "307 0 []" "python3 (PYTHONMALLOC=malloc) under --guard: clean"
CC1=$(gcc -print-prog-name=cc1 2>/dev/null)
if [ -x "$CC1" ]; then
  python3 "$TOP/bench/gen_c.py" --lines 300 -o gen.c >/dev/null
  grun cc --guard -- "$CC1" -O2 -quiet gen.c -o gen.s
  is "$(cat cc.status) $(gerrs cc) $(test -s gen.s && echo compiled)" "0 [] compiled" "gcc's cc1 under --guard: clean"
else
  skip "cc1 under --guard" "gcc not installed"
fi
done_testing
