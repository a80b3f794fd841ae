#!/usr/bin/env bash
# bench/heap1m.sh: `heapspy heap PID` on a process of 1,000,000 live
# blocks in 4 arenas (heap1m.c): the wall time of census + leak scan from
# outside, the time the target stayed stopped, heapspy's own peak RSS
# against the target's heap (issue 13's targets: under 2 s, under 1 s,
# under 2x). Medians of 3 runs on the same target.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HEAPSPY=${HEAPSPY:-$ROOT/build/bin/heapspy}
TMP=$(mktemp -d)
"$ROOT/build/bench/heap1m" >"$TMP/ready" &
PROG=$!
trap 'kill -KILL $PROG 2>/dev/null; rm -rf "$TMP"' EXIT
for i in $(seq 1 200); do grep -q pid= "$TMP/ready" && break; sleep 0.05; done
for r in 1 2 3; do
  /usr/bin/time -f "%e %M" -o "$TMP/time.$r" "$HEAPSPY" heap --format json "$PROG" >"$TMP/heap.$r.json" 2>/dev/null
done
python3 - "$TMP" "$PROG" <<'PY'
import json, statistics, sys
tmp, pid = sys.argv[1], sys.argv[2]
rows = []
for r in (1, 2, 3):
    wall, rss_kb = open(f"{tmp}/time.{r}").read().split()
    j = json.load(open(f"{tmp}/heap.{r}.json"))
    rows.append((float(wall), j["stop_ms"], int(rss_kb) * 1024, j["heap"]["in_use_bytes"], j["heap"]["in_use_blocks"],
                 j.get("leak_summary", {})))
med = lambda i: statistics.median(x[i] for x in rows)
heap = rows[-1][3]
print("| live blocks | heap in use | heapspy heap: wall s | target stopped ms | heapspy peak RSS | x target heap |")
print("| ---: | ---: | ---: | ---: | ---: | ---: |")
print(f"| {rows[-1][4]:,} | {heap / 2**20:.1f} MB | {med(0):.2f} | {med(1):.0f} | {med(2) / 2**20:.1f} MB | {med(2) / heap:.2f} |")
print("targets: under 2 s, stopped under 1000 ms, under 2x the heap; leak summary:", rows[-1][5])
PY
