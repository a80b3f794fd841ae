#!/usr/bin/env bash
# tests/oracle/t2140-peak-temporary-sqlite3.sh: `report --peak` and
# `--temporary` on a real program against heaptrack (a full tracer: its
# peak and per-stack peak figures are exact). The sqlite3 CLI runs
# tests/oracle/workload.sql (about 31,000 mallocs) under heaptrack and under
# heapspy, same arguments, same streams. Asserted, after taking heaptrack's
# own libstdc++ emergency pool out of its figures (heaptrack-summary.py):
#  - the peak heap: equal to heaptrack's (to heaptrack's rounding, 10 B);
#  - temporaries: heapspy's heaptrack_count equals heaptrack's count, and
#    heapspy's own count (same block, same thread) is not above it;
#  - the stack holding the most at the peak: the same bytes (to rounding),
#    blocks = heaptrack's calls, and the same named sqlite3 frames.
# heapspy's stacks come from its last peak copy (within 3.1% of the peak);
# on this workload the top stack holds the same blocks at both moments.
source "$(dirname "$0")/../lib/tap.sh"
plan 6
if ! command -v heaptrack >/dev/null || ! command -v heaptrack_print >/dev/null; then
  for i in 1 2 3 4 5 6; do skip "sqlite3 vs heaptrack $i" "heaptrack not installed"; done
  done_testing
fi
SQLITE3=$(command -v sqlite3 || echo /usr/bin/sqlite3)
ARGS=(-batch -init /dev/null :memory:)
W="$TOP/tests/oracle/workload.sql"

env -i PATH=/usr/bin:/bin LANG=C.UTF-8 heaptrack -o sq "$SQLITE3" "${ARGS[@]}" <"$W" >ht.out 2>ht.err
env -i PATH=/usr/bin:/bin LANG=C.UTF-8 "$HEAPSPY" run -q -o sq.hsp -- "$SQLITE3" "${ARGS[@]}" <"$W" >hs.out 2>hs.err
sed -n '/^starting application/,/^Heaptrack finished/{//!p}' ht.out >ht.prog
check "both runs produced the same output" cmp -s ht.prog hs.out
python3 "$TOP/tests/oracle/heaptrack-summary.py" sq.zst >ht.json
"$HEAPSPY" report --peak --format json --max-sites 1 sq.hsp >peak.json
"$HEAPSPY" report --temporary --format json sq.hsp >temp.json

is "$(python3 -c 'import json,sys; h=json.load(open("ht.json")); p=json.load(open("peak.json"))["peak"]["bytes"]; print(abs(h["peak"] - h["own"]["peak"] - p) <= 10)')" True \
   "the peak heap equals heaptrack's ($(json peak.json 'j["peak"]["bytes"]') bytes)"
is "$(json temp.json 'j["temporary"]["heaptrack_count"]')" "$(json ht.json 'j["temporary"] - j["own"]["temporary"]')" \
   "heaptrack_count equals heaptrack's temporary allocations"
is "$(json temp.json '0 < j["temporary"]["count"] <= j["temporary"]["heaptrack_count"]')" True \
   "heapspy's own count ($(json temp.json 'j["temporary"]["count"]')) is not above heaptrack's"

# heaptrack's top peak site, first backtrace: "214.03K consumed over 49 calls from:"
heaptrack_print -a 0 -T 0 -p 1 -n 1 -s 1 sq.zst 2>/dev/null >htpeak.txt
read -r htbytes htcalls < <(sed -n 's/^\([0-9.]*\)\([KMG]*\)B* consumed over \([0-9]*\) calls from:$/\1\2 \3/p' htpeak.txt | head -1)
is "$(json peak.json '"%.2fK %d" % (j["peak"]["stacks"][0]["bytes"] / 1000, j["peak"]["stacks"][0]["blocks"])')" "$htbytes $htcalls" \
   "top stack at the peak: heaptrack's bytes and calls ($htbytes, $htcalls)"
# its named frames in libsqlite3, in order (a frame: name, "at" line?, "in" line?)
htnames=$(python3 - htpeak.txt <<'PY'
import re, sys
lines = open(sys.argv[1]).read().split(" consumed over ", 1)[1].split("\n\n")[0].splitlines()[1:]
names, cur = [], None
for l in lines:
    m = re.match(r"^    (\S.*)$", l)
    if m:
        cur = m.group(1)
    elif l.strip().startswith("in ") and cur and not cur.startswith("0x"):
        if l.strip().endswith("/libsqlite3.so.0"):
            names.append(cur)
        cur = None
print(" ".join(names))
PY
)
is "$(json peak.json '" ".join(f["function"] for f in j["peak"]["stacks"][0]["stack"] if f["function"] and f["module"] == "libsqlite3.so.0")')" \
   "$htnames" "top stack: the same named sqlite3 frames as heaptrack's ($htnames)"
done_testing
