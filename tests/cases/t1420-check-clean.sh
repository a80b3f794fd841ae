#!/usr/bin/env bash
# t1420-check-clean: issue 3, no false positives and no change of the
# numbers: sqlite3 and python3 run clean (zero errors, same output) under
# --check; check_heap's "clean" mode (every allocator call, alignments up
# to a page, realloc's copy, calloc's zeros, 100,000 frees through the
# quarantine) keeps its guarantees, and its totals are the same with and
# without --check, and valgrind's. Without --check, a buggy program gets
# no heap errors (nothing changes). --check keeps each block's record
# beside it (spy_records.c) where the table kept them before
# (check_records=0): python3's whole report, leaks by site and kind,
# reads the same either way. Lost over-aligned blocks are definitely lost
# under --check too (its side table of them is not a root), as valgrind
# says.
source "$(dirname "$0")/../lib/tap.sh"
source "$TOP/tests/cases/check-lib.sh"
plan 14

totals() { python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["totals"]; print(t["allocs"], t["frees"], t["bytes_allocated"])' "$1"; }

if command -v sqlite3 >/dev/null 2>&1; then
  check_run sq sqlite3 :memory: 'create table t(a); insert into t values(1); select * from t;'
  is "$(cat sq.out) $(cat sq.status)" "1 0" "sqlite3 under --check: same output, exit 0"
  is "$(errs sq)" "[]" "sqlite3 under --check: zero errors"
  is "$(grep -c 'heapspy: ERROR' sq.err)" 0 "sqlite3 under --check: nothing on stderr"
else
  for i in 1 2 3; do skip "sqlite3 under --check" "sqlite3 not installed"; done
fi

PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)
check_run py "$PY" -c 'print(1)'
is "$(cat py.out) $(cat py.status)" "1 0" "python3 under --check: same output, exit 0"
is "$(errs py)" "[]" "python3 under --check: zero errors"

# records or table: the same leaks, sites, kinds and totals
LIB="$(dirname "$HEAPSPY")/../lib/heapspy/libheapspy.so"
PYLEAK='import json; keep = [json.dumps({"k": i}) for i in range(5000)]; print(len(keep))'
where() {  # NAME RECORDS: python3 under --check, the spy preloaded as heapspy run does
  env PYTHONMALLOC=malloc PYTHONHASHSEED=0 LD_PRELOAD="$LIB" \
    HEAPSPY_OPTIONS="profile=$1.hsp:quiet=1:check=1:check_records=$2" "$PY" -c "$PYLEAK" >"$1.out"
  "$HEAPSPY" report --format json "$1.hsp" >"$1.json" 2>/dev/null
}
where rec 1
where tab 0
leaks() { python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); t=j["totals"]
print(t["in_use_bytes"], t["in_use_blocks"], json.dumps(j["leak_summary"], sort_keys=True),
      sorted((g["kind"], g["bytes"], g["blocks"], [str(f["function"]) for f in g["stack"][:3]]) for g in j["leaks"]))' "$1"; }
is "$(leaks rec.json)" "$(leaks tab.json)" "python3: records beside the blocks or the table, the same leaks by site and kind"
is "$(json rec.json 'len(j["leaks"]) > 20 and j["leak_summary"]["possibly_lost"]["blocks"] > 0 and j["leak_summary"]["still_reachable"]["blocks"] > 0')" \
  True "python3: the reports compared hold leaks (over 20 sites, possibly lost and still reachable)"

check_run la "$TESTBIN/leak_aligned"
is "$(json la.json 'j["leak_summary"]["definitely_lost"]["bytes"], j["leak_summary"]["definitely_lost"]["blocks"], j["leak_summary"]["still_reachable"]["blocks"]')" \
  "(400, 3, 0)" "lost over-aligned blocks under --check: 400 bytes in 3 blocks definitely lost (valgrind: the same)"

check_run cl "$TESTBIN/check_heap" clean
is "$(cat cl.out) $(cat cl.status)" "clean: ok 0" "clean mode: alignment, usable size, realloc, calloc kept"
is "$(errs cl)" "[]" "clean mode: zero errors"
"$HEAPSPY" run -q -o plain.hsp -- "$TESTBIN/check_heap" clean >/dev/null 2>&1
"$HEAPSPY" report --format json plain.hsp >plain.json 2>/dev/null
is "$(totals cl.json)" "$(totals plain.json)" "clean mode: totals the same with and without --check"
if have_valgrind; then
  vg=$(valgrind "$TESTBIN/check_heap" clean 2>&1 >/dev/null | sed -n 's/.*total heap usage: \([0-9,]*\) allocs, \([0-9,]*\) frees, \([0-9,]*\) bytes allocated/\1 \2 \3/p' | tr -d ,)
  is "$(totals cl.json)" "$vg" "clean mode: totals under --check equal valgrind's"
else
  skip "clean mode: totals equal valgrind's" "valgrind not installed"
fi

"$HEAPSPY" run -q -o off.hsp -- "$TESTBIN/check_heap" overflow1 >/dev/null 2>off.err
"$HEAPSPY" report --format json off.hsp >off.json 2>/dev/null
is "$(errs off)" "[]" "without --check: no heap errors"
is "$(grep -c 'heapspy: ERROR' off.err)" 0 "without --check: nothing said"
done_testing
