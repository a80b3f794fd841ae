#!/usr/bin/env bash
# t1026-exact-fronts: exact mode keeps each block's record in front of it
# (src/spy/spy_fronts.c, spy_records.c), where the live-block table kept
# it before (records=0, a spy option for tests). fronts.c meets every way
# a block can: realloc's copies and calloc's zeros, malloc_usable_size,
# over-aligned blocks (no front), blocks a checkpoint's leak check listed
# in the table then freed or moved, a block freed by another thread, and
# a forked child the spy does not follow freeing and moving the parent's
# blocks; it checks its own contents and exits with the number of the
# first broken check. Oracles: the table's run of the same program
# (every total and leak kind equal), valgrind's in use at exit and
# definitely lost (10 bytes in 1 block, the block shrunk to 10 bytes by
# realloc), and python3's whole leak report with and without records.
source "$(dirname "$0")/../lib/tap.sh"
plan 8

PROG="$TESTBIN/fronts"
LIB="$HEAPSPY_BUILD/lib/heapspy/libheapspy.so"
summary() { python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
t, l = j["totals"], j["leak_summary"]
print(t["allocs"], t["frees"], t["bytes_allocated"], t["in_use_bytes"], t["in_use_blocks"],
      [(k, l[k]["bytes"], l[k]["blocks"]) for k in sorted(l) if isinstance(l[k], dict)])' "$1"; }

for r in 1 0; do
  LD_PRELOAD="$LIB" HEAPSPY_OPTIONS="profile=$PWD/f$r.hsp:quiet=1:records=$r" "$PROG" 2>"f$r.err"
  echo "$?" >"f$r.status"
  "$HEAPSPY" report --format json "f$r.hsp" >"f$r.json"
done
is "$(cat f1.status):$(cat f1.err)" "0:" "with records: every check of the program holds, exit 0"
is "$(cat f0.status):$(cat f0.err)" "0:" "with the table: the same"
is "$(summary f1.json)" "$(summary f0.json)" "records and table: the same totals and leak kinds ($(summary f1.json))"
is "$(json f1.json '(j["leak_summary"]["definitely_lost"]["bytes"], j["leak_summary"]["definitely_lost"]["blocks"], len(j["checkpoints"]))')" \
   "(10, 1, 1)" "records: 10 bytes in 1 block definitely lost at exit, after one leak check mid-run"
if command -v valgrind >/dev/null 2>&1; then
  vg=$(valgrind --leak-check=full --child-silent-after-fork=yes "$PROG" 2>&1 |
       sed -n 's/.*definitely lost: \([0-9,]*\) bytes in \([0-9,]*\) blocks.*/\1 \2/p')
  is "$vg" "10 1" "valgrind says the same: 10 bytes in 1 block definitely lost"
else
  skip "valgrind's verdict" "valgrind not installed"
fi
"$HEAPSPY" run -q -o run.hsp -- "$PROG"
is "$?" 0 "heapspy run (records on by default): exit 0"

PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)
PYLEAK='import json, re
keep = [json.dumps({"k": i, "v": [i] * 3}) for i in range(20000)]
lost = [re.compile("a%db+" % i) for i in range(50)]'
for r in 1 0; do
  LD_PRELOAD="$LIB" HEAPSPY_OPTIONS="profile=$PWD/py$r.hsp:quiet=1:records=$r" PYTHONMALLOC=malloc \
    PYTHONHASHSEED=0 "$PY" -c "$PYLEAK"
  "$HEAPSPY" report --format json "py$r.hsp" >"py$r.json"
done
sites() { python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); t=j["totals"]
print(t["allocs"], t["frees"], t["bytes_allocated"], t["in_use_bytes"], t["in_use_blocks"],
      sorted((g["kind"], g["bytes"], g["blocks"], [f["function"] for f in g["stack"][:4]]) for g in j["leaks"]))' "$1"; }
is "$(sites py1.json)" "$(sites py0.json)" "python3: the same totals and leaks by site and kind with records as with the table"
is "$(json py1.json 'len(j["leaks"]) > 20 and j["leak_summary"]["possibly_lost"]["blocks"] > 0 and j["leak_summary"]["still_reachable"]["blocks"] > 0')" \
  True "python3: the reports compared hold leaks (over 20 sites, possibly lost and still reachable)"

done_testing
