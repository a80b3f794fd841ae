#!/usr/bin/env bash
# t1226-viewers-speedscope: issue 18, 4: the pprof, folded-stack and
# chrome-trace outputs opened by speedscope's own importer (npm package
# speedscope, in headless Chromium through playwright-core, both
# installed into build/npm at test time; tests/lib/speedscope-import.js).
#
# flame_tree.c holds a known tree at exit (build>leaf_small 3 x 1000,
# build>leaf_big 3000, grow 5000 bytes) after three checkpoints, run
# under --trace. What speedscope exports after importing each file is
# turned back into folded stacks (frames outermost first, weight) and
# must equal heapspy's own --format collapsed line for line, and the
# program's bytes; the pprof's frames keep their file:line. The
# chrome-trace: speedscope shows the checkpoint phases with the JSON
# report's times; the counters, checkpoint instants and allocation events
# (read here with python) equal the JSON timeline and checkpoints and
# --trace-stats's counts, and the events sum to the heap left at exit.
source "$(dirname "$0")/../lib/tap.sh"
source "$TOP/tests/lib/npm-peer.sh"
plan 16

P="$TESTBIN/flame_tree"
SRC="$TOP/tests/cases/flame_tree.c"
"$HEAPSPY" run -q --trace -o ft.hsp -- "$P" >/dev/null 2>&1
is "$?" 0 "flame_tree ran under --trace"
"$HEAPSPY" report --format json ft.hsp >ft.json
"$HEAPSPY" report --format collapsed ft.hsp >ft.folded
"$HEAPSPY" report --format pprof -o ft.pb.gz ft.hsp
"$HEAPSPY" report --format chrome-trace -o ft.trace.json ft.hsp
is "$?" 0 "chrome-trace: exit status 0"
"$HEAPSPY" report --trace-stats --format json ft.hsp >stats.json
"$HEAPSPY" report --timeline --format json ft.hsp >timeline.json

LEAF="_start;__libc_start_main_impl;__libc_start_call_main;main"
is "$(cat ft.folded)" "$LEAF;build;leaf_big 3000
$LEAF;build;leaf_small 3000
$LEAF;grow 5000" "heapspy's folded stacks: the program's tree and bytes"

# folded FILE: speedscope's exported profile as folded stacks, sorted
cat >folded.py <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
frames = d["shared"]["frames"]
p = d["profiles"][d.get("activeProfileIndex") or 0]
w = {}
if p["type"] == "evented":
    stack, last = [], p["startValue"]
    for e in p["events"]:
        if stack and e["at"] > last:
            k = ";".join(frames[f]["name"] for f in stack); w[k] = w.get(k, 0) + e["at"] - last
        last = e["at"]
        if e["type"] == "O": stack.append(e["frame"])
        else: stack.pop()
else:
    for s, x in zip(p["samples"], p["weights"]):
        k = ";".join(frames[f]["name"] for f in s); w[k] = w.get(k, 0) + x
# speedscope splits a stack into open/close events: merge the zero-width
# prefixes away, keep the leaves that hold weight
for k in sorted(w):
    if w[k] and not any(o != k and o.startswith(k + ";") and w[o] for o in w): print(k, w[k])
print("#unit", p["unit"], p["endValue"] - p["startValue"])
EOF

NM_SS=$(npm_peer speedscope@1.25.0)
NM_PW=$(npm_peer playwright-core@1.57.0)
RELEASE="$NM_SS/speedscope/dist/release"
speedscope() { timeout 120 node "$TOP/tests/lib/speedscope-import.js" "$NM_PW" "$RELEASE" "$1" "$2" 2>"$2.err"; }
if [ -f "$RELEASE/index.html" ] && [ -d "$NM_PW/playwright-core" ] && [ -x /usr/bin/chromium ]; then
  speedscope ft.pb.gz pprof.ss.json
  is "$?" 0 "speedscope imports the pprof (and exports what it holds)"
  is "$(python3 folded.py pprof.ss.json | grep -v '^#')" "$(cat ft.folded)" \
     "speedscope's stacks and weights from the pprof = heapspy's folded stacks"
  is "$(python3 folded.py pprof.ss.json | sed -n 's/^#unit //p')" \
     "bytes $(json ft.json 'j["totals"]["in_use_bytes"]')" "speedscope: unit bytes, total = the JSON report's in-use bytes"
  is "$(python3 -c 'import json,sys; print(sorted({(f["name"], f.get("file"), f.get("line")) for f in json.load(open(sys.argv[1]))["shared"]["frames"] if f["name"].startswith("leaf")}))' pprof.ss.json)" \
     "[('leaf_big', 'tests/cases/flame_tree.c', $(grep -n 'malloc(3000)' "$SRC" | cut -d: -f1)), ('leaf_small', 'tests/cases/flame_tree.c', $(grep -n 'malloc(1000)' "$SRC" | cut -d: -f1))]" \
     "speedscope: the pprof's frames carry file and line of the mallocs"

  speedscope ft.folded folded.ss.json
  is "$?" 0 "speedscope imports the folded stacks"
  is "$(python3 folded.py folded.ss.json | grep -v '^#')" "$(cat ft.folded)" \
     "speedscope's stacks and weights from the folded file = heapspy's"

  speedscope ft.trace.json trace.ss.json
  is "$?" 0 "speedscope imports the chrome-trace"
  is "$(python3 - trace.ss.json <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
p = [p for p in d["profiles"] if p["name"].endswith("checkpoints (tid 1)")][0]
fr = d["shared"]["frames"]
print(p["unit"], " ".join("%s:%d-%d" % (fr[o["frame"]]["name"], o["at"], c["at"])
                          for o, c in zip(p["events"][0::2], p["events"][1::2])))
EOF
)" "microseconds $(json ft.json '" ".join("%s:%d-%d" % (c["name"], 1000 * (j["checkpoints"][i - 1]["t_ms"] if i else 0), 1000 * c["t_ms"]) for i, c in enumerate(j["checkpoints"])) + " exit:%d-%d" % (1000 * j["checkpoints"][-1]["t_ms"], 1000 * j["duration_ms"])')" \
     "speedscope shows the checkpoint phases at the JSON report's times (µs)"
else
  for d in "speedscope imports the pprof" "pprof stacks = folded" "pprof unit and total" "pprof file:line" \
           "speedscope imports the folded stacks" "folded = folded" "speedscope imports the chrome-trace" \
           "checkpoint phases"; do
    skip "$d" "$([ -x /usr/bin/chromium ] && npm_peer_why speedscope@1.25.0 playwright-core@1.57.0 || echo "chromium not installed")"
  done
fi

# the chrome-trace's own values, read with python against the JSON report
cat >trace.py <<'EOF'
import json, sys
t, j, tl = (json.load(open(f)) for f in sys.argv[1:4])
ev = t["traceEvents"]
heap = [(e["ts"] // 1000, e["args"]["bytes"]) for e in ev if e["ph"] == "C" and e["name"] == "heap"]
rss = [(e["ts"] // 1000, e["args"]["bytes"]) for e in ev if e["ph"] == "C" and e["name"] == "RSS"]
# the timeline every report draws: the spy's points (a repeated last one
# once) and the peak as a point of its own
pts = [(x["t_ms"], x["heap_bytes"]) for x in tl["timeline"]]
print("counters", sorted(set(pts) | {(tl["peak_ms"], tl["peak_bytes"])}) == sorted(set(heap)),
      sorted(set((x["t_ms"], x["rss_bytes"]) for x in tl["timeline"])) == sorted(set(rss)),
      max(b for _, b in heap) == tl["peak_bytes"])
print("checkpoints", [(e["name"], e["ts"] // 1000, e["args"]["in_use_bytes"]) for e in ev if e["ph"] == "i" and e["cat"] == "checkpoint"]
      == [(c["name"], c["t_ms"], c["in_use_bytes"]) for c in j["checkpoints"]])
a = [e for e in ev if e["ph"] == "i" and e["cat"] == "alloc"]
f = [e for e in ev if e["ph"] == "i" and e["cat"] == "free"]
print("events", len(a), len(f), sum(e["args"]["size"] for e in a) - sum(e["args"]["size"] for e in f))
print("sites", " ".join("%s:%d" % x for x in sorted({(e["name"], e["args"]["size"]) for e in a})))
EOF
python3 trace.py ft.trace.json ft.json timeline.json >trace.facts 2>trace.err
is "$(sed -n 's/^counters //p' trace.facts)" "True True True" \
   "chrome-trace: heap and RSS counters = the --timeline points and the peak; the highest = the peak"
is "$(sed -n 's/^checkpoints //p' trace.facts)" "True" "chrome-trace: checkpoint instants at the JSON checkpoints' times, with their heap"
is "$(sed -n 's/^events //p' trace.facts)" \
   "$(json stats.json '"%d %d" % (j["allocs"], j["frees"])') $(json ft.json 'j["totals"]["in_use_bytes"]')" \
   "chrome-trace: one event per allocation and free (as --trace-stats counts), summing to the heap at exit"
is "$(sed -n 's/^sites //p' trace.facts)" "churn:64 grow:5000 leaf_big:3000 leaf_small:1000" \
   "chrome-trace: allocation events named after the program's functions, with its sizes"
"$HEAPSPY" run -q -o nt.hsp -- "$P" >/dev/null 2>&1
"$HEAPSPY" report --format chrome-trace nt.hsp >nt.trace.json
"$HEAPSPY" report --format json nt.hsp >nt.json
"$HEAPSPY" report --timeline --format json nt.hsp >nt.timeline.json
is "$(python3 trace.py nt.trace.json nt.json nt.timeline.json | sed -n 's/^checkpoints //p; s/^events //p' | paste -sd' ')" \
   "True 0 0 0" "without --trace: the checkpoints, and no allocation events"
done_testing
