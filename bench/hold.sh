#!/usr/bin/env bash
# bench/hold.sh: the cost of holding threads still for a leak check
# (bench/hold.c: THREADS idle threads, 21 checks). Prints, per thread
# count, the median over the checks of: the time to hold every other
# thread (first signal sent .. all answered), to release them (.. all out
# of the handler) and the whole check, from the profile's leak_scan
# records.
#
# usage: bench/hold.sh [THREADS...]   (default: 2 64)
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HEAPSPY=${HEAPSPY:-$ROOT/build/bin/heapspy}
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
echo "| threads | held | hold ms | release ms | whole check ms |"
echo "| ---: | ---: | ---: | ---: | ---: |"
[ $# -eq 0 ] && set -- 2 64
for n in "$@"; do
  "$HEAPSPY" run -q -o "$TMP/h.hsp" -- "$ROOT/build/bench/hold" "$n" >/dev/null 2>&1 || { echo "| $n | run failed |"; continue; }
  "$HEAPSPY" report --format json "$TMP/h.hsp" > "$TMP/h.json" || continue
  python3 - "$n" "$TMP/h.json" <<'PY'
import json, statistics, sys
n, j = sys.argv[1], json.load(open(sys.argv[2]))
s = [c["leak_scan"] for c in j["checkpoints"] if c.get("leak_scan")]
med = lambda k: statistics.median(x[k] for x in s) / 1000
held = sorted({x["threads_held"] for x in s})
print(f"| {n} | {','.join(map(str, held))} | {med('hold_us'):.3f} | {med('release_us'):.3f} | {med('scan_us'):.3f} |")
PY
done
