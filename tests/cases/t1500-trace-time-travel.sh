#!/usr/bin/env bash
# --trace and time travel (issue 5, deliverable 3). trace_cuts takes
# checkpoints before, while and after four threads churn the heap; the
# trace must reproduce each checkpoint's figures exactly (a checkpoint cut
# is a sequence number, not a millisecond), the end of the trace must
# equal the aggregate report, and the trace must survive SIGKILL.
source "$(dirname "$0")/../lib/tap.sh"
plan 27
SRC="$TOP/tests/cases/trace_cuts.c"
LINE_A=$(grep -n 'site A' "$SRC" | tail -1 | cut -d: -f1)
LINE_W=$(grep -n 'site W' "$SRC" | tail -1 | cut -d: -f1)
LIB="$HEAPSPY_BUILD/lib/heapspy/libheapspy.so"

# at NAME PROFILE: "bytes blocks" of report --at NAME
at() { "$HEAPSPY" report --at "$1" --format json "$2" > at.json && json at.json '"%d %d" % (j["in_use_bytes"], j["in_use_blocks"])'; }
# cps PROFILE: "name bytes blocks" per checkpoint, from the aggregate report
cps() { "$HEAPSPY" report --format json "$1" > all.json && json all.json '"\n".join("%s %d %d" % (c["name"], c["in_use_bytes"], c["in_use_blocks"]) for c in j["checkpoints"])'; }
# every_cp PROFILE: the same lines computed from the trace
every_cp() { for c in a busy1 busy2 b c; do echo "$c $(at $c "$1")"; done; }

"$HEAPSPY" run --trace -q -o tc.hsp -- "$TESTBIN/trace_cuts"
is "$?" "0" "the program runs under --trace"
"$HEAPSPY" report --trace-stats --format json tc.hsp > stats.json
is "$(json stats.json 'j["packed"]')" "True" "heapspy run packed the trace (compressed, indexed)"

EXPECT=$(cps tc.hsp)
is "$(echo "$EXPECT" | head -1)" "a 5000 50" "checkpoint a: 50 blocks of 100 bytes (the profile's own figure)"
is "$(every_cp tc.hsp)" "$EXPECT" "report --at each checkpoint equals the checkpoint's in-use bytes and blocks (two taken while 4 threads churn)"
is "$(json all.json '"%d %d" % (j["totals"]["in_use_bytes"], j["totals"]["in_use_blocks"])')" "$(at end tc.hsp)" \
   "report --at end equals the aggregate report's in-use totals"
is "$(json stats.json '(j["allocs"], j["frees"])')" "$(json all.json '(j["totals"]["allocs"], j["totals"]["frees"])')" \
   "the trace's allocation and free events equal the profile's allocs and frees"

"$HEAPSPY" report --at a --format json tc.hsp > a.json
is "$(json a.json '[(s["bytes"], s["blocks"], s["stack"][0]["function"], s["stack"][0]["line"]) for s in j["sites"]]')" \
   "[(5000, 50, 'main', $LINE_A)]" "at a: one site, main at line $LINE_A"
T_A=$(json all.json '[c["t_ms"] for c in j["checkpoints"] if c["name"] == "a"][0]')
is "$(at "$((T_A + 20))ms" tc.hsp)" "5000 50" "at a time inside the quiet 40 ms after a: the same heap"
is "$(at "$(python3 -c "print(($T_A + 20) / 1000)")s" tc.hsp)" "5000 50" "the same time in seconds"

"$HEAPSPY" report --between a b --format json tc.hsp > ab.json
B=$(grep '^b ' <<<"$EXPECT")
is "$(json ab.json '"%d %d" % (j["in_use_bytes"], j["in_use_blocks"])')" \
   "$(( $(cut -d' ' -f2 <<<"$B") - 5000 )) $(( $(cut -d' ' -f3 <<<"$B") - 50 ))" \
   "between a and b: b's heap minus a's (nothing older was freed in between)"
is "$(json ab.json '[(s["bytes"], s["blocks"], s["stack"][0]["line"]) for s in j["sites"] if s["stack"][0]["function"] == "worker"]')" \
   "[(1280, 40, $LINE_W)]" "the workers kept 40 blocks of 32 bytes, at line $LINE_W"
"$HEAPSPY" report --between b end --format json tc.hsp > bend.json
is "$(json bend.json '[s for s in j["sites"] if s["stack"][0]["function"] in ("main", "worker")]')" "[]" \
   "between b and the end: main and the workers allocated nothing that stayed"

"$HEAPSPY" report --at c tc.hsp > c.txt
like "$(head -1 c.txt)" "^Live heap at checkpoint 'c' \\([0-9]+ ms\\): 5,496 bytes in 74 blocks" "text: the title line names the checkpoint"
like "$(cat c.txt)" "main at tests/cases/trace_cuts.c:$LINE_A" "text: symbolized stacks"

# SIGKILL: whatever was published survives; heapspy run still packs it
"$HEAPSPY" run --trace -q -o tk.hsp -- "$TESTBIN/trace_cuts" kill
is "$?" "137" "killed by SIGKILL"
is "$(every_cp tk.hsp)" "$(cps tk.hsp)" "after SIGKILL: every checkpoint is still reproduced"
is "$(at end tk.hsp)" "$(json all.json '"%d %d" % (j["totals"]["in_use_bytes"], j["totals"]["in_use_blocks"])')" \
   "after SIGKILL: the end of the trace equals the profile's live heap (nothing lost)"

# fork (the child must never write its parent's trace) and short-lived threads
for shape in fork threads; do
  "$HEAPSPY" run --trace -q -o "tfe-$shape.hsp" -- "$TESTBIN/tfe_prog" $shape > /dev/null 2>&1
  "$HEAPSPY" report --format json "tfe-$shape.hsp" > tfe.json
  is "$(at end "tfe-$shape.hsp")" "$(json tfe.json '"%d %d" % (j["totals"]["in_use_bytes"], j["totals"]["in_use_blocks"])')" \
     "tfe_prog $shape: the end of the trace equals the profile's live heap"
done

# preloaded by hand (HEAPSPY_OPTIONS trace=1): the trace stays raw and reads the same
env LD_PRELOAD="$LIB" HEAPSPY_OPTIONS="profile=raw.hsp:trace=1:quiet=1" "$TESTBIN/trace_cuts"
"$HEAPSPY" report --trace-stats --format json raw.hsp > rstats.json
is "$(json rstats.json 'j["packed"]')" "False" "trace=1 by hand: a raw trace"
is "$(every_cp raw.hsp)" "$(cps raw.hsp)" "the raw trace reproduces every checkpoint too"

# bad input: one clear line, never a crash
"$HEAPSPY" report --at nosuch tc.hsp 2> err.txt
is "$?:$(wc -l < err.txt)" "1:1" "an unknown time or checkpoint: exit 1, one line"
like "$(cat err.txt)" "'nosuch' is neither a time .* nor a checkpoint" "naming what is wrong"
"$HEAPSPY" run -q -o plain.hsp -- "$TESTBIN/trace_cuts"
# kinds: bytes per leak kind; the trace's mapping must never be a root
kinds() { "$HEAPSPY" report --format json "$1" > k.json && json k.json 'sorted((k, sum(l["bytes"] for l in j["leaks"] if l["kind"] == k)) for k in set(l["kind"] for l in j["leaks"]))'; }
is "$(kinds tc.hsp)" "$(kinds plain.hsp)" "the leak check classifies the same with and without --trace (the trace is no root)"
"$HEAPSPY" report --at end plain.hsp 2> err.txt
like "$(cat err.txt)" "cannot open trace .*plain.hsp.trace.*was the program run with --trace" "no trace: says how to get one"
cp tk.hsp.trace plain.hsp.trace
"$HEAPSPY" report --at end plain.hsp 2> err.txt
like "$(cat err.txt)" "belongs to another run" "a trace of another run is refused"
cp tc.hsp.trace bad.trace && cp tc.hsp bad.hsp
python3 - bad.hsp.trace <<'PY'
import sys
d = bytearray(open("bad.trace", "rb").read())
for i in range(4096 + 64, len(d), 97): d[i] ^= 0x5a      # corrupt every chunk's payload
open(sys.argv[1], "wb").write(d)
PY
"$HEAPSPY" report --at busy2 bad.hsp 2> err.txt
is "$?:$(wc -l < err.txt)" "1:1" "a corrupted trace: exit 1, one line"
done_testing
