#!/usr/bin/env bash
# bench/hotpath.sh: nanoseconds per malloc+free pair, native and under
# heapspy's modes, at two call depths, and from the difference the cost of
# each frame a stack capture walks (issue 17's micro-benchmark: every
# change to the hot path shows its effect here first). The fastest of 5
# runs, interleaved, 2 M pairs a run: a shared machine only ever slows a
# run (one afternoon's medians read native 6.2 ns, then 11.5).
#
# usage: bench/hotpath.sh [RUNS]
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HEAPSPY=${HEAPSPY:-$ROOT/build/bin/heapspy}
B=$ROOT/build/bench/hotpath
RUNS=${1:-5}
N=2000000
LO=8
HI=40
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT

declare -A MODE=(
  [native]=""
  [heapspy]="$HEAPSPY run -q -o $TMP/h.hsp --"
  [sample]="$HEAPSPY run -q --sample 512K -o $TMP/s.hsp --"
  [check]="$HEAPSPY run -q --check -o $TMP/c.hsp --"
)
ORDER=(native heapspy sample check)
for r in $(seq 1 "$RUNS"); do
  for m in "${ORDER[@]}"; do
    for d in $LO $HI; do
      # shellcheck disable=SC2086
      ${MODE[$m]} "$B" "$d" "$N" 2>/dev/null | sed "s/^/$m /" >>"$TMP/raw"
    done
  done
done
python3 - "$TMP/raw" "$LO" "$HI" "${ORDER[@]}" <<'PY'
import collections, sys
raw, lo, hi, order = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
v = collections.defaultdict(list)
for line in open(raw):
    m, d, ns = line.split()
    v[(m, int(d))].append(float(ns))
med = {k: min(x) for k, x in v.items()}
print(f"| mode | ns/pair at depth {lo} | ns/pair at depth {hi} | x native ({lo}) | ns per frame captured |")
print("| --- | ---: | ---: | ---: | ---: |")
for m in order:
    if (m, lo) not in med or (m, hi) not in med:
        print(f"| {m} | failed | | | |")
        continue
    a, b = med[(m, lo)], med[(m, hi)]
    per = ((b - a) - (med[("native", hi)] - med[("native", lo)])) / (hi - lo)
    print(f"| {m} | {a:.1f} | {b:.1f} | {a / med[('native', lo)]:.2f} | {per:.2f} |")
PY
