#!/usr/bin/env bash
# t1750-heap-leaks: the leak scan of `heapspy heap` (issue 13, item 3):
# memcheck's kinds and default heuristics, from outside.
#
# heap_leaks holds one block of each kind with known sizes (see its
# header): definitely lost 552 bytes in 3 blocks (88, a tree's root 152,
# a cycle's head 312), indirectly lost 800 in 4 (24, 184, 264, 328),
# possibly lost 136 in 1 plus each of its 2 threads' DTV (glibc's calloc
# in pthread_create, kept by a pointer 16 bytes in: 272 bytes asked, 280
# usable), still reachable 1,240 in 9 (a global's, a chain of 2, a
# thread's local variable, a pointer held only in register r12 of a
# thread blocked in read(2), and one block per heuristic: stdstring 40,
# length64 56, newarray 72, multipleinheritance 168).
#
# The oracle: the same program under valgrind asks memcheck for a leak
# check at the same point (VALGRIND_DO_LEAK_CHECK) and exits. Blocks per
# kind must be memcheck's exactly; bytes too, once memcheck's requested
# sizes are turned into glibc's usable sizes (heapspy reads a stranger's
# heap: malloc_usable_size is all it can know) -- every block of the
# program's own has usable == requested, only the 2 DTVs differ (+8).
# The core of the paused program (gcore) gives the same summary. And a
# heap of 1 M blocks (heap_mix) is scanned in under 2 s.
source "$(dirname "$0")/../lib/tap.sh"
source "$TOP/tests/cases/inspect-lib.sh"
plan 14

summary() {  # FILE: the four kinds as (bytes, blocks)
  json "$1" 'tuple((j["leak_summary"][k]["bytes"], j["leak_summary"][k]["blocks"]) for k in ("definitely_lost", "indirectly_lost", "possibly_lost", "still_reachable"))'
}

if ! start_prog L "$TMP/l.ready" "$TESTBIN/heap_leaks" "$TMP/l.ready"; then
  echo "Bail out! heap_leaks did not start"
  exit 1
fi
"$HEAPSPY" heap --format json "$L_pid" >l.json
is "$?" 0 "heap --format json: exit 0"
is "$(summary l.json)" "((552, 3), (800, 4), (696, 3), (1240, 9))" \
  "leak_summary: definitely 552/3, indirectly 800/4, possibly 696/3, still reachable 1,240/9"
is "$(json l.json 'tuple((k, v["bytes"], v["blocks"]) for k, v in j["leak_summary"]["reachable_via_heuristic"].items())')" \
  "(('stdstring', 40, 1), ('length64', 56, 1), ('newarray', 72, 1), ('multipleinheritance', 168, 1))" \
  "each heuristic keeps its block: stdstring 40, length64 56, newarray 72, multipleinheritance 168"
is "$(json l.json '(j["leak_summary"]["register_threads"], j["leak_summary"]["stack_threads"], j["leak_summary"]["tls_threads"])')" \
  "(3, 3, 3)" "roots: the registers, stack and TLS of all 3 threads"
is "$(json l.json '[(g["kind"], g["size"], g["blocks"]) for g in j["leak_groups"]][:3]')" \
  "[('possibly lost', 280, 2), ('indirectly lost', 328, 1), ('definitely lost', 312, 1)]" \
  "leak_groups: by size, most bytes first"

# --- memcheck, at the same point ---------------------------------------------------
if command -v valgrind >/dev/null; then
  timeout 120 valgrind --leak-check=full --show-leak-kinds=all --log-file=vg.log \
    "$TESTBIN/heap_leaks" "$TMP/vg.ready" >/dev/null 2>&1
  python3 - vg.log >vg.txt <<'PY'
import re, sys
log = open(sys.argv[1]).read()
first = log[:log.index("LEAK SUMMARY")]
num = lambda s: int(s.replace(",", ""))
kinds = ["definitely lost", "indirectly lost", "possibly lost", "still reachable"]
raw = {k: [0, 0] for k in kinds}
usable = {k: [0, 0] for k in kinds}
for m in re.finditer(r"== ([\d,]+)(?: \(([\d,]+) direct, [\d,]+ indirect\))? bytes in ([\d,]+) blocks are (\w+ \w+) in loss record", first):
    direct = num(m.group(2) or m.group(1))
    n, kind = num(m.group(3)), m.group(4)
    assert direct % n == 0, m.group(0)
    size = direct // n
    raw[kind][0] += direct; raw[kind][1] += n
    usable[kind][0] += (max(32, (size + 8 + 15) & ~15) - 8) * n; usable[kind][1] += n
summ = re.search(r"definitely lost: ([\d,]+) bytes in ([\d,]+) blocks.*?indirectly lost: ([\d,]+) bytes in ([\d,]+) blocks.*?possibly lost: ([\d,]+) bytes in ([\d,]+) blocks.*?still reachable: ([\d,]+) bytes in ([\d,]+) blocks", log[log.index("LEAK SUMMARY"):], re.S)
vals = [num(x) for x in summ.groups()]
assert vals == [v for k in kinds for v in raw[k]], (vals, raw)
print(tuple(tuple(usable[k]) for k in kinds))
print(tuple(tuple(raw[k]) for k in kinds))
PY
  is "$(sed -n 1p vg.txt)" "$(summary l.json)" \
    "memcheck agrees: every kind's blocks, and bytes once its requested sizes are glibc's usable sizes"
  is "$(sed -n 2p vg.txt)" "((552, 3), (800, 4), (680, 3), (1240, 9))" \
    "memcheck's own figures (requested bytes): the DTVs are 2 x 272 there, 2 x 280 usable"
else
  skip "memcheck oracle" "valgrind not installed"
  skip "memcheck oracle" "valgrind not installed"
fi

# --- text, --no-leak-check ----------------------------------------------------------
"$HEAPSPY" heap "$L_pid" >l.txt
like "$(sed -n '/^LEAK SUMMARY/,/^$/p' l.txt)" '^ +definitely lost: 552 bytes in 3 blocks$' "text: LEAK SUMMARY"
like "$(sed -n '/^LOST BLOCKS/,$p' l.txt)" '^  definitely lost  312-byte blocks +1 +312$' "text: lost blocks by size"
like "$(sed -n '/^LOST BLOCKS/,$p' l.txt)" 'not known from outside: without allocation stacks' \
  "text: says what a scan from outside cannot know"
"$HEAPSPY" heap --no-leak-check --format json "$L_pid" >n.json
is "$(json n.json '(j["leak_summary"]["definitely_lost"], j["leak_summary"]["not_scanned"])')" \
  "(None, '--no-leak-check')" "--no-leak-check: leak_summary is null, and says why"

# --- the core -------------------------------------------------------------------------
if command -v gcore >/dev/null; then
  gcore -o "$TMP/core" "$L_pid" >/dev/null 2>&1
  "$HEAPSPY" heap --format json "$TMP/core.$L_pid" >c.json
  is "$(summary c.json)" "$(summary l.json)" "core (gcore): the same leak summary as live"
  rm -f "$TMP/core.$L_pid"
else
  skip "core" "gcore (gdb) not installed"
fi

# --- 1 M blocks ---------------------------------------------------------------------
if ! start_prog B "$TMP/b.ready" "$TESTBIN/heap_mix" "$TMP/b.ready" 1000000; then
  echo "Bail out! heap_mix did not start"
  exit 1
fi
"$HEAPSPY" heap --format json "$B_pid" >b.json
is "$(json b.json '(j["heap"]["in_use_blocks"] > 1000000, j["leak_summary"]["definitely_lost"]["blocks"] >= 999000)')" \
  "(True, True)" "heap_mix 1 M: over 1 M blocks, the 999,000 it dropped definitely lost"
ms=$(json b.json 'int(j["leak_summary"]["scan_ms"])')
check "heap_mix 1 M: the scan took under 2 s (${ms} ms; stopped $(json b.json 'int(j["stop_ms"])') ms)" test "$ms" -lt 2000
done_testing
