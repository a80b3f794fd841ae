#!/usr/bin/env bash
# bench/memcheck-suite.sh: a `make check`-like suite run the way CI runs
# valgrind, once under valgrind and once under `heapspy valgrind` with the
# same options (issue 15: at least 10x faster). The suite is 20 short
# programs: 10 of Debian's own tools doing a real small job (sqlite3,
# python3, perl, gzip, sort, sed, awk, grep, tar, find) and 10 of this
# project's test programs (build/tests: leaks, C++ families, threads,
# --check's clean run), each a test a CI suite would wrap. Rounds are
# interleaved (valgrind, heapspy, valgrind, ...); prints the median wall
# time of each whole suite, the ratio, and how many programs each tool
# flagged (exit status 99 from --error-exitcode), so a speed-up is never
# bought by finding less.
#
# usage: bench/memcheck-suite.sh [ROUNDS]   (default 3)
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HEAPSPY=${HEAPSPY:-$ROOT/build/bin/heapspy}
T=$ROOT/build/tests
ROUNDS=${1:-3}
OPTS=(--leak-check=full --error-exitcode=99 -q)
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
cd "$TMP" || exit 1
seq 1 20000 | sed 's/^/line /' >data.txt
mkdir -p tree && for i in $(seq 1 200); do echo "$i" >"tree/f$i"; done

SUITE=(
  "sqlite3 :memory: 'create table t(a,b); with recursive c(x) as (select 1 union all select x+1 from c where x<20000) insert into t select x, x*2 from c; select count(*), sum(b) from t group by a%7;'"
  "/usr/bin/python3 -c 'import json; print(len(json.dumps([{\"k\": i} for i in range(20000)])))'"
  "perl -e 'my %h; \$h{\$_} = [\$_] for 1..50000; print scalar(keys %h), \"\\n\"'"
  "gzip -c data.txt"
  "sort -r data.txt"
  "sed 's/line/row/' data.txt"
  "awk '{ s += \$2 } END { print s }' data.txt"
  "grep -c 7 data.txt"
  "tar -cf - tree"
  "find tree -name 'f1*'"
  "$T/leak_heuristics"
  "$T/cxx_every_new"
  "$T/lock_clean"
  "$T/many_small"
  "$T/frees_everything"
  "$T/peak_temp"
  "$T/checkpoint_diff"
  "$T/mangled_names"
  "$T/check_heap clean"
  "$T/exit_kinds"
)

# run_suite NAME TOOL...: every program of the suite under TOOL; prints
# "SECONDS FLAGGED FAILED", and each program's exit status to NAME.status
run_suite() {
  local name=$1 start end flagged=0 failed=0 cmd st
  shift
  : >"$name.status"
  start=$(date +%s.%N)
  for cmd in "${SUITE[@]}"; do
    eval "$* $cmd" >/dev/null 2>&1
    st=$?
    echo "$st" >>"$name.status"
    if [ "$st" = 99 ]; then flagged=$((flagged + 1)); elif [ "$st" != 0 ]; then failed=$((failed + 1)); fi
  done
  end=$(date +%s.%N)
  echo "$(echo "$end - $start" | awk '{ print $1 - $3 }') $flagged $failed"
}

for bin in valgrind sqlite3 perl; do
  command -v "$bin" >/dev/null || { echo "memcheck-suite: $bin not installed (scripts/setup.sh bench)"; exit 0; }
done
[ -x "$T/leak_heuristics" ] || { echo "memcheck-suite: build/tests missing (make test-programs)"; exit 0; }

echo "## A CI suite under memcheck: 20 programs, valgrind vs heapspy valgrind (${OPTS[*]})"
: >vg.txt; : >hs.txt
for r in $(seq 1 "$ROUNDS"); do
  run_suite vg valgrind "${OPTS[@]}" >>vg.txt
  run_suite hs "$HEAPSPY" valgrind "${OPTS[@]}" >>hs.txt
done
python3 - vg.txt hs.txt <<'PY'
import statistics, sys
def load(p):
    rows = [l.split() for l in open(p)]
    return statistics.median(float(r[0]) for r in rows), rows[-1][1], rows[-1][2]
(vg, vgf, vgx), (hs, hsf, hsx) = load(sys.argv[1]), load(sys.argv[2])
print("| tool | suite s (median) | programs flagged | programs failed |")
print("| --- | ---: | ---: | ---: |")
print(f"| valgrind | {vg:.1f} | {vgf} | {vgx} |")
print(f"| heapspy valgrind | {hs:.1f} | {hsf} | {hsx} |")
print(f"\nheapspy is {vg / hs:.1f}x faster than valgrind on the whole suite (target: 10x)")
PY
echo
echo "exit status per program (99: errors or leaks flagged), valgrind / heapspy:"
i=0
paste vg.status hs.status | while read -r a b; do
  printf '  %-8s %s\n' "$a / $b" "${SUITE[$i]:0:70}"
  i=$((i + 1))
done
