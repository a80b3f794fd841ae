#!/usr/bin/env bash
# t1227-report-massif: `heapspy report --format massif` (issue 18,
# deliverable 2), read by valgrind's own ms_print, against valgrind's
# massif on the same sqlite3 run.
#
# With --trace: ms_print reads the file without a word on stderr; the
# snapshot it marks as the peak holds heapspy's peak (report --peak) as
# its total, the graph's top label is that peak in ms_print's own units,
# the peak's tree starts at it, and the last snapshot is the heap in use
# at exit (libc's caches kept: not 0), detailed. massif itself (--peak-inaccuracy=0, so it records
# the exact peak) measures the same peak of useful heap: both count the
# bytes requested, massif's mem_heap_extra_B (allocator overhead) aside,
# which the export leaves at 0. (massif's realloc always moves, so its
# peak can exceed heapspy's by a block being reallocated at the peak;
# this run has none there.) Without --trace: ms_print reads it too and
# the peak snapshot's total is still heapspy's peak. massif-visualizer,
# where installed (optional: not in the test set), loads the export and
# names the same peak snapshot and cost as it does for massif's own file.
# Checkpoints are detailed snapshots: checkpoint_diff's "middle" holds
# its 50 blocks of 100 bytes, all from checkpoint_diff.c's first malloc
# line; "end" 5,500 bytes, 4,000 of them from that line.
source "$(dirname "$0")/../lib/tap.sh"
plan 11

if ! command -v sqlite3 >/dev/null 2>&1; then
  skip_rest "sqlite3 oracle" "sqlite3 not installed"
fi
if ! command -v ms_print >/dev/null 2>&1; then
  skip_rest "ms_print oracle" "valgrind not installed"
fi

cp "$TOP/tests/cases/sqlite-export.sql" w.sql
"$HEAPSPY" run -q --trace --run-libc-freeres=no -o hs.hsp -- sqlite3 -batch hs.db ".read w.sql" >hs.out 2>hs.err
"$HEAPSPY" report --format json hs.hsp >hs.json
"$HEAPSPY" report --format massif -o hs.massif hs.hsp
is "$?" 0 "massif export: exit status 0"
PEAK=$(json hs.json 'j["totals"]["peak_bytes"]')
INUSE=$(json hs.json 'j["totals"]["in_use_bytes"]')
like "$("$HEAPSPY" report --peak hs.hsp)" "^peak heap usage: $(python3 -c 'import sys; print(f"{int(sys.argv[1]):,}")' "$PEAK") bytes" \
     "report --peak says the JSON's peak ($PEAK bytes)"

ms_print hs.massif >ms.txt 2>ms.err
is "$? $(wc -c <ms.err)" "0 0" "ms_print reads it: exit 0, nothing on stderr"

# ms_print's view: "peak_total graph_label last_total last_detailed root_of_peak"
cat >view.py <<'EOF'
import re, sys
t = open(sys.argv[1]).read()
det = re.search(r'Detailed snapshots: \[(.*)\]', t).group(1)
peak_n = re.search(r'(\d+) \(peak\)', det).group(1)
rows = {m.group(1): m.group(2).replace(',', '')
        for m in re.finditer(r'^\s+(\d+)\s+[\d,]+\s+([\d,]+)\s+[\d,]+\s+0\s+0$', t, re.M)}
last = max(rows, key=int)
label = re.search(r'^\s*([\d.]+)\^', t, re.M).group(1)
root = re.search(r'^100\.00% \(([\d,]+)B\) \(heap allocation functions\)', t.split("\n%s " % peak_n.rjust(3), 1)[-1], re.M)
print(rows[peak_n], label, rows[last], "yes" if re.search(r'\b%s\b' % last, det) else "no",
      root.group(1).replace(',', '') if root else "none")
EOF
# ms_print's label of a byte count (B_max_label, max_label_2)
label() { python3 -c '
import sys
b = int(sys.argv[1]); s = float(b)
for u in range(8):
    if s < 1000: break
    s /= 1024
print("%d" % b if b < 1000 else "%.3f" % s if s < 10 else "%.2f" % s if s < 100 else "%.1f" % s)' "$1"; }
read -r P_TOTAL P_LABEL L_TOTAL L_DET P_ROOT < <(python3 view.py ms.txt)
is "$P_TOTAL" "$PEAK" "the snapshot ms_print marks as the peak: total = heapspy's peak"
is "$P_LABEL" "$(label "$PEAK")" "the graph's top label is that peak ($P_LABEL)"
is "$P_ROOT" "$PEAK" "the peak's tree starts at the peak: 100.00% of it under the allocation functions"
is "$L_TOTAL $L_DET" "$INUSE yes" "the last snapshot: the heap in use at exit ($INUSE bytes), detailed"

if command -v valgrind >/dev/null 2>&1; then
  valgrind --tool=massif --peak-inaccuracy=0 --time-unit=ms --massif-out-file=vg.massif \
    sqlite3 -batch vg.db ".read w.sql" >vg.out 2>vg.err
  VG=$(python3 -c '
import re, sys
t = open(sys.argv[1]).read()
print(max(int(x) for x in re.findall(r"^mem_heap_B=(\d+)", t, re.M)))' vg.massif)
  is "$VG" "$PEAK" "valgrind massif's own peak of useful heap = heapspy's ($PEAK bytes)"
else
  skip "valgrind massif's own peak" "valgrind not installed"
fi

"$HEAPSPY" run -q -o sum.hsp -- sqlite3 -batch sum.db ".read w.sql" >sum.out 2>sum.err
"$HEAPSPY" report --format massif -o sum.massif sum.hsp
ms_print sum.massif >sum.txt 2>sum.err
read -r S_TOTAL _ < <(python3 view.py sum.txt)
is "$(wc -c <sum.err) $S_TOTAL" "0 $(json <("$HEAPSPY" report --format json sum.hsp) 'j["totals"]["peak_bytes"]')" \
   "without --trace: ms_print reads it, the peak snapshot's total is heapspy's peak"

if command -v massif-visualizer >/dev/null 2>&1 && [ -s vg.massif ]; then
  mv() { QT_QPA_PLATFORM=offscreen XDG_RUNTIME_DIR="$TMP" timeout 8 massif-visualizer "$1" 2>&1 |
         sed -n 's/^peak cost: \("[^"]*" heap\) .*/\1/p'; }
  MV=$(mv hs.massif)
  is "${MV:-nothing}" "$(mv vg.massif)" "massif-visualizer loads it: the same peak heap as for massif's own file"
else
  skip "massif-visualizer loads it" "massif-visualizer is optional (Debian massif-visualizer)"
fi

"$HEAPSPY" run -q -o cp.hsp -- "$TESTBIN/checkpoint_diff" >cp.out 2>&1
"$HEAPSPY" report --format massif -o cp.massif cp.hsp
ms_print cp.massif >cp.txt 2>cp.err
LINE=$(grep -n 'malloc(100)' "$TOP/tests/cases/checkpoint_diff.c" | head -1 | cut -d: -f1)
is "$(wc -c <cp.err)|$(grep -A2 '^heap_tree=detailed' cp.massif | grep -E '^ ?n[0-9]' | sed -E 's/0x[0-9A-F]+/ADDR/' | head -4 | tr '\n' '|')" \
   "0|n1: 5000 (heap allocation functions) malloc/new/new[], --alloc-fns, etc.| n1: 5000 ADDR: main (tests/cases/checkpoint_diff.c:$LINE)|n2: 5500 (heap allocation functions) malloc/new/new[], --alloc-fns, etc.| n1: 4000 ADDR: main (tests/cases/checkpoint_diff.c:$LINE)|" \
   "checkpoints middle and end: detailed snapshots of 5,000 and 5,500 bytes from checkpoint_diff.c:$LINE"

done_testing
