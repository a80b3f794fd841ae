#!/usr/bin/env bash
# t1120-maps: "where does the memory go?" and "what is this address?"
# (SPEC: `heapspy maps PID [ADDR]`: heap, mapped files, stacks, anonymous,
# code shared vs private; or what one address is).
#
# maps_prog holds a touched 64 MiB malloc'd block, a 100-byte block from
# make_small_block, a global variable heapspy_test_marker, a 1 MiB shared
# anonymous mapping and a sleeping thread. The summary must count the
# 64 MiB as anonymous memory, and show the heap, both stacks, the code and
# data of each module and the shared memory. `maps PID ADDR` must name the
# module, offset (checked against nm) and symbol of the global and of a
# function, with its source line; under `heapspy run` it also finds the
# heap block holding an address and the stack that allocated it.
source "$(dirname "$0")/../lib/tap.sh"
source "$TOP/tests/cases/inspect-lib.sh"
plan 42

PROG="$TESTBIN/maps_prog"
SRC="$TOP/tests/cases/maps_prog.c"
marker_off=$(nm "$PROG" | awk '$3 == "heapspy_test_marker" { sub(/^0+/, "", $1); print $1 }')
func_off=$(nm "$PROG" | awk '$3 == "make_small_block" { sub(/^0+/, "", $1); print $1 }')
func_size=$((0x$(nm -S "$PROG" | awk '$4 == "make_small_block" { print $2 }')))
func_line=$(line_of "$SRC" 'char \*make_small_block\(void\) \{$')
malloc_line=$(line_of "$SRC" 'char \*p = malloc\(100\);')
caller_line=$(line_of "$SRC" 'char \*small = make_small_block\(\);')
big_line=$(line_of "$SRC" 'char \*big = malloc\(BIG\);')

if ! start_prog M "$TMP/m.ready" "$PROG" "$TMP/m.ready"; then
  echo "Bail out! maps_prog did not start"
  exit 1
fi

# kib ROW-NAME COLUMN: a column (2 virtual, 3 rss, ...) of the summary row,
# without thousands separators.
kib() { awk -v name="$1" -v col="$2" -F'  +' '$1 == name { gsub(",", "", $col); print $col }' sum.txt; }

# --- the summary ------------------------------------------------------------
"$HEAPSPY" maps "$M_pid" >sum.txt 2>err
is "$?" 0 "maps: exit status 0"
is "$(wc -c <err)" 0 "maps: nothing on stderr"
like "$(head -1 sum.txt)" "^memory of process $M_pid \(maps_prog\): [0-9]+ regions, sizes in KiB$" "maps: title"
like "$(sed -n 3p sum.txt)" "^CATEGORY +VIRTUAL +RSS +SHARED +PRIV DIRTY +SWAPPED +REGIONS$" "maps: column header"
check "maps: anonymous memory holds the 64 MiB block (virtual $(kib anonymous 2) KiB)" \
  test "$(kib anonymous 2)" -ge 65536
check "maps: ... and it is resident and private dirty (rss $(kib anonymous 3), dirty $(kib anonymous 5) KiB)" \
  test "$(kib anonymous 3)" -ge 65536 -a "$(kib anonymous 5)" -ge 65536
check "maps: a heap row (the brk heap)" test -n "$(kib heap 2)"
check "maps: the main thread's stack" test -n "$(kib 'main thread stack' 2)"
check "maps: the worker thread's stack (8 MiB by default)" test "$(kib 'thread stacks' 2)" -ge 8192
check "maps: the code of the program" test "$(kib 'code: maps_prog' 2)" -ge 4
check "maps: the data of the program" test "$(kib 'data: maps_prog' 2)" -ge 12
check "maps: libc's code is shared (shared rss > 0)" test "$(kib 'code: libc.so.6' 4)" -gt 0
is "$(kib 'shared memory' 2)" 1024 "maps: the 1 MiB shared anonymous mapping is shared memory"
total=$(kib total 2)
sum=$(awk -F'  +' 'NR > 3 && $1 != "total" { gsub(",", "", $2); s += $2 } END { print s }' sum.txt)
is "$sum" "$total" "maps: the rows add up to the total"

# --- json ---------------------------------------------------------------------
"$HEAPSPY" maps --format json "$M_pid" >m.json
is "$?" 0 "maps --format json: exit status 0"
is "$(json m.json 'sorted(j.keys())')" "['categories', 'command', 'pid', 'regions', 'total']" "json: top-level keys"
is "$(json m.json 'sorted(j["categories"][0].keys())')" \
  "['category', 'module', 'path', 'private_dirty_bytes', 'regions', 'rss_bytes', 'shared_bytes', 'swapped_bytes', 'virtual_bytes']" \
  "json: category keys"
is "$(json m.json '[c["rss_bytes"] >= 64 << 20 for c in j["categories"] if c["category"] == "anonymous"]')" "[True]" \
  "json: anonymous rss >= 64 MiB"
is "$(json m.json 'sum(c["virtual_bytes"] for c in j["categories"]) == j["total"]["virtual_bytes"] == sum(int(r["end"], 16) - int(r["start"], 16) for r in j["regions"])')" \
  "True" "json: categories and regions add up to the total"
is "$(json m.json '[c["category"] for c in j["categories"] if c["module"] == "maps_prog"]')" \
  "['module code', 'module data']" "json: code and data rows of the program"

# --- one address: a global variable, a function -------------------------------------
"$HEAPSPY" maps "$M_pid" "$M_marker" >a.txt 2>err
is "$?" 0 "maps ADDR (global): exit status 0"
is "$(sed -n 1p a.txt)" "address $M_marker in process $M_pid (maps_prog)" "maps ADDR: title"
like "$(sed -n 2p a.txt)" "^  region      0x[0-9a-f]+-0x[0-9a-f]+ rw-p, [0-9,]+ KiB, file offset 0x[0-9a-f]+ of $PROG$" \
  "maps ADDR: the region, its protection and the file"
is "$(sed -n 3p a.txt)" "  category    module data (maps_prog)" "maps ADDR: module data of maps_prog"
is "$(sed -n 4p a.txt)" "  module      maps_prog+0x$marker_off, section .data" "maps ADDR: module+offset (as nm says) and section"
is "$(sed -n 5p a.txt)" "  symbol      heapspy_test_marker+0x0 (object, 8 bytes)" "maps ADDR: the symbol"
inside=$(printf '0x%x' $((M_marker + 4)))
like "$("$HEAPSPY" maps "$M_pid" "$inside")" "symbol      heapspy_test_marker\+0x4 \(object, 8 bytes\)" \
  "maps ADDR: an address inside the variable gives the offset into it"
"$HEAPSPY" maps "$M_pid" "$M_func" >f.txt
is "$(sed -n 4,6p f.txt)" "  module      maps_prog+0x$func_off, section .text
  symbol      make_small_block+0x0 (function, $func_size bytes)
  source      make_small_block at tests/cases/maps_prog.c:$func_line" "maps ADDR (function): module, symbol and source line"
"$HEAPSPY" maps --format json "$M_pid" "$M_marker" >a.json
is "$(json a.json '(j["module"]["name"], j["module"]["offset"], j["symbol"]["name"], j["symbol"]["kind"], j["region"]["category"])')" \
  "('maps_prog', $((0x$marker_off)), 'heapspy_test_marker', 'object', 'module data')" "maps ADDR --format json: module, offset, symbol"
like "$("$HEAPSPY" maps "$M_pid" "$M_big")" "heap block  unknown: the process does not run under heapspy" \
  "maps ADDR (unspied heap): says the heap blocks are unknown"

# --- a spied process: the heap block and its allocation stack -----------------------------
if start_prog P "$TMP/p.ready" "$HEAPSPY" run -q -o "$TMP/p.hsp" -- "$PROG" "$TMP/p.ready"; then
  "$HEAPSPY" maps "$P_pid" "$P_small" >h.txt 2>err
  is "$?" 0 "spied: maps ADDR exit status 0"
  is "$(grep 'heap block' h.txt)" "  heap block  $P_small+0x0, 100 bytes (malloc), allocated at $(sed -nE 's/.*allocated at ([0-9]+) ms.*/\1/p' h.txt) ms by:" \
    "spied: the 100-byte malloc block holding the address"
  like "$(grep -A1 'heap block' h.txt | tail -1)" "^    #0  make_small_block at tests/cases/maps_prog\.c:$malloc_line \(maps_prog\+0x[0-9a-f]+\)$" \
    "spied: allocated by make_small_block at the malloc line"
  like "$(grep -A2 'heap block' h.txt | tail -1)" "^    #1  main at tests/cases/maps_prog\.c:$caller_line " "spied: called from main"
  like "$("$HEAPSPY" maps "$P_pid" "$(printf '0x%x' $((P_small + 0x20)))")" "heap block  $P_small\+0x20, 100 bytes \(malloc\)" \
    "spied: an address inside the block gives the offset into it"
  "$HEAPSPY" maps --format json "$P_pid" "$P_big" >b.json
  is "$(json b.json '(j["spied"], j["heap_block"]["size"], j["heap_block"]["family"], j["heap_block"]["stack"][0]["function"], j["heap_block"]["stack"][0]["line"])')" \
    "(True, 67108864, 'malloc', 'main', $big_line)" "spied json: the 64 MiB block, malloc, from main at its line"
  "$HEAPSPY" maps --format json "$P_pid" >p.json
  is "$(json p.json '[c["rss_bytes"] >= 64 << 20 for c in j["categories"] if c["category"] == "anonymous"]')" "[True]" \
    "spied: anonymous rss >= 64 MiB there too"
else
  for i in 1 2 3 4 5 6 7; do skip "spied process" "heapspy run did not start maps_prog"; done
fi

# --- --guard-sample's slots: 256 private memfd pages, memory like anonymous ---------------
regions() { json "$1" "{c['category']: c['regions'] for c in j['categories']}.get('$2', 0)"; }
if [ -s p.json ] && start_prog G "$TMP/g.ready" "$HEAPSPY" run --guard-sample=1 -q -o "$TMP/g.hsp" -- "$PROG" "$TMP/g.ready"; then
  "$HEAPSPY" maps --format json "$G_pid" >g.json
  is "$(regions g.json 'mapped files')" "$(regions p.json 'mapped files')" \
    "--guard-sample: its slot pages are not counted as mapped files (as many as without it)"
  check "--guard-sample: the closed slots and guard pages are reserved regions ($(regions g.json 'reserved (no access)'))" \
    test "$(regions g.json 'reserved (no access)')" -ge 256
else
  skip "--guard-sample maps" "no spied run"; skip "--guard-sample maps" "no spied run"
fi

# --- errors -----------------------------------------------------------------------------
"$HEAPSPY" maps "$M_pid" 0x10 >out 2>err
is "$?:$(cat err)" "1:heapspy: maps: address 0x10 is not mapped in process $M_pid" "unmapped address: exit 1, one line"
dead=$(dead_pid)
"$HEAPSPY" maps "$dead" >out 2>err
is "$?:$(cat err)" "1:heapspy: maps: no such process $dead" "no such process: exit 1, one line"
"$HEAPSPY" maps "$M_pid" 0xzz >out 2>err
is "$?:$(cat err)" "125:heapspy: maps: '0xzz' is not an address (hexadecimal, like 0x7f12a000)" "bad address: 125, one line"

done_testing
