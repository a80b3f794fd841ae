#!/usr/bin/env bash
# t1820-sample-story1: story 1 in production mode (issue 16, deliverable
# 4): marshal-demo run long enough to leak 10 MB (300,000 wire copies,
# 11,588,890 bytes, as the exact mode counts them: the oracle) under
# --sample 512K with a fixed seed. The sampled leak report must still name
# the one culprit stack, marshal_to_wire at marshal.c's malloc, as
# definitely lost, with nothing else lost, its bytes within 4 sigma of the
# exact figure (sigma <= sqrt(bytes * 512K) for any block sizes) and its
# block count within 4 sigma of 300,000; the timeline shows the growth.
# `heapspy snapshot` reaches a sampled process even between samples (its
# allocations then go straight to glibc): a slow demo (4000 values, 1 ms
# apart: 150 KB in all, about no sample at 512K) answers a checkpoint.
source "$(dirname "$0")/../lib/tap.sh"
plan 10

DEMO="$HEAPSPY_BUILD/examples/marshal-demo"
MALLOC_LINE=$(grep -n 'malloc(sizeof \*w' "$TOP/examples/marshal-leak/marshal.c" | cut -d: -f1)
check "the demo is built (make examples)" test -x "$DEMO"
"$HEAPSPY" run -q -o e.hsp -- "$DEMO" 300000 >/dev/null 2>&1
"$HEAPSPY" run -q --sample 512K --sample-seed 3 -o s.hsp -- "$DEMO" 300000 >/dev/null 2>&1
"$HEAPSPY" report --format json e.hsp >e.json
"$HEAPSPY" report --format json s.hsp >s.json
EXACT=$(json e.json 'sum(l["bytes"] for l in j["leaks"] if l["kind"] == "definitely_lost")')
EXACT_BLOCKS=$(json e.json 'sum(l["blocks"] for l in j["leaks"] if l["kind"] == "definitely_lost")')
is "$EXACT $EXACT_BLOCKS" "11588890 300000" "exact mode (the oracle): 11,588,890 bytes in 300,000 blocks lost"

is "$(json s.json '" ".join(sorted(set(l["kind"] for l in j["leaks"])))')" "definitely_lost" \
   "sampled: the only leak kind is definitely_lost"
is "$(json s.json 'len([l for l in j["leaks"] if l["kind"] == "definitely_lost"])')" 1 \
   "sampled: one lost site"
is "$(json s.json '"%s %s:%d" % (j["leaks"][0]["stack"][0]["function"], j["leaks"][0]["stack"][0]["file"], j["leaks"][0]["stack"][0]["line"])')" \
   "marshal_to_wire examples/marshal-leak/marshal.c:$MALLOC_LINE" \
   "sampled: the culprit is marshal_to_wire at marshal.c:$MALLOC_LINE"
GOT=$(json s.json 'j["leaks"][0]["bytes"]')
GOT_BLOCKS=$(json s.json 'j["leaks"][0]["blocks"]')
echo "# sampled estimate: $GOT bytes in $GOT_BLOCKS blocks (exact $EXACT in $EXACT_BLOCKS)"
check "sampled: lost bytes within 4 sigma of the exact $EXACT" \
  python3 -c "import math,sys; sys.exit(not abs($GOT-$EXACT) <= 4*math.sqrt($EXACT*524288))"
# a block of s bytes counts 1/p blocks: sigma^2 = sum (1-p)/p <= sum 512K/s
check "sampled: lost blocks within 4 sigma of 300,000" \
  python3 -c "import math,sys; sys.exit(not abs($GOT_BLOCKS-300000) <= 4*math.sqrt(300000*524288/(11588890/300000)))"
check "sampled: the timeline's heap grows to the estimate (last point >= 90% of it)" \
  python3 -c "import json,sys; j=json.load(open('s.json')); t=j['timeline']; sys.exit(not (t[0]['heap_bytes'] < t[-1]['heap_bytes'] and t[-1]['heap_bytes'] >= 0.9*$GOT))"

"$HEAPSPY" run -q --sample 512K -o slow.hsp -- "$DEMO" 4000 1000 >/dev/null 2>&1 &
RUN=$!
for i in $(seq 50); do PID=$(pgrep -P "$RUN" -x marshal-demo) && break; sleep 0.1; done
sleep 1
like "$(timeout 20 "$HEAPSPY" snapshot "$PID" between 2>&1)" "checkpoint 'between' of process $PID recorded" \
  "snapshot of a sampled process between samples is answered"
wait "$RUN"
"$HEAPSPY" report --format json slow.hsp >slow.json
is "$(json slow.json '[c["name"] for c in j["checkpoints"]]')" "['between', 'halfway']" \
   "the profile holds the snapshot's checkpoint, then the demo's own (halfway, at 2 s)"

done_testing
